//! The feedback prompt of the auto-revision loop: what failed, in the model's own terms.

use std::fmt::Write as _;

use crate::validate::ValidationResult;

/// Build the prompt that asks a model to fix its output: every error (must fix), every warning
/// (should fix), the constraints that are not machine-checked, the original task, and a fixed
/// checklist. English and deterministic: the same result and task give the same prompt, so it
/// is safe inside cache keys.
///
/// ```
/// use mgx_guardrails::{build_revision_prompt, validate, Options};
/// let stack = mgx_stacks::get_stack("fastapi")?;
/// let result = validate("FILE: main.go\npackage main\n", Some(stack), &[] as &[&str], &Options::default());
/// let prompt = build_revision_prompt(&result, "Create a FastAPI /health endpoint");
/// assert!(prompt.starts_with("OUTPUT VALIDATION FAILED"));
/// assert!(prompt.contains("requires the file `app/main.py` or `main.py`"));
/// assert!(prompt.contains("Original task: Create a FastAPI /health endpoint"));
/// # Ok::<(), mgx_stacks::Error>(())
/// ```
pub fn build_revision_prompt(result: &ValidationResult, task: &str) -> String {
    let mut out = String::new();
    out.push_str("OUTPUT VALIDATION FAILED\n");
    out.push_str("The previous output did not pass validation. Fix every error below and keep everything that was right.\n");
    let section = |out: &mut String, title: &str, findings: &[crate::validate::Finding]| {
        if findings.is_empty() {
            return;
        }
        let _ = write!(out, "\n{title}\n");
        for f in findings {
            let place = match (&f.path, f.line) {
                (Some(p), Some(l)) => format!(" ({p}, line {l})"),
                (Some(p), None) => format!(" ({p})"),
                (None, Some(l)) => format!(" (line {l})"),
                (None, None) => String::new(),
            };
            let _ = writeln!(out, "- [{}] {}{place}", f.code, f.message);
        }
    };
    section(&mut out, "ERRORS (must fix):", result.errors());
    section(&mut out, "WARNINGS (should fix):", result.warnings());
    section(
        &mut out,
        "NOT MACHINE-CHECKED (keep in mind):",
        result.notes(),
    );
    let _ = write!(out, "\nOriginal task: {}\n", task.trim());
    out.push_str(
        "\nBefore you answer, make sure that:\n\
         1. every file the stack requires is present;\n\
         2. no forbidden file or import is used, and only allowed libraries;\n\
         3. every file is given as `FILE: <relative path>` followed by its complete content in one fenced code block, with no text outside files;\n\
         4. every path is relative and stays inside the project (no `..`, no absolute paths);\n\
         5. each file appears exactly once.\n\
         \nReturn the complete, corrected output now.\n",
    );
    out
}
