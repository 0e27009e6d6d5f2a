//! JS types for `mgx_core::guardrails`: `parseManifest`, `validateOutput`, `buildRevisionPrompt`.

use napi_derive::napi;

use mgx_core::guardrails as core;

use crate::error::{Result, stack_err};

/// One file of a manifest.
#[napi(object)]
pub struct ManifestFile {
    pub path: String,
    pub content: String,
    /// The 1-based line of the marker.
    pub line: u32,
    /// The 1-based line of the first content line.
    pub content_line: u32,
    /// The info string of the fence the content came in (`""` for a bare fence), or `null`.
    pub fence: Option<String>,
}

/// Text outside files.
#[napi(object)]
pub struct ProseSpan {
    pub line: u32,
    pub end_line: u32,
    pub text: String,
}

/// A path given more than once.
#[napi(object)]
pub struct Duplicate {
    pub path: String,
    pub lines: Vec<u32>,
}

/// A parsed FILE manifest.
#[napi(object)]
pub struct Manifest {
    pub files: Vec<ManifestFile>,
    pub prose: Vec<ProseSpan>,
    pub duplicates: Vec<Duplicate>,
}

fn line(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<core::Manifest> for Manifest {
    fn from(m: core::Manifest) -> Self {
        Manifest {
            files: m
                .files
                .into_iter()
                .map(|f| ManifestFile {
                    path: f.path,
                    content: f.content,
                    line: line(f.line),
                    content_line: line(f.content_line),
                    fence: f.fence,
                })
                .collect(),
            prose: m
                .prose
                .into_iter()
                .map(|p| ProseSpan {
                    line: line(p.line),
                    end_line: line(p.end_line),
                    text: p.text,
                })
                .collect(),
            duplicates: m
                .duplicates
                .into_iter()
                .map(|d| Duplicate {
                    path: d.path,
                    lines: d.lines.into_iter().map(line).collect(),
                })
                .collect(),
        }
    }
}

impl From<&Manifest> for core::Manifest {
    fn from(m: &Manifest) -> Self {
        core::Manifest {
            files: m
                .files
                .iter()
                .map(|f| core::ManifestFile {
                    path: f.path.clone(),
                    content: f.content.clone(),
                    line: f.line as usize,
                    content_line: f.content_line as usize,
                    fence: f.fence.clone(),
                })
                .collect(),
            ..core::Manifest::default()
        }
    }
}

/// One thing validation found.
#[napi(object)]
pub struct Finding {
    /// The stable code (`missing_required_file` …).
    pub code: String,
    /// `error`, `warning` or `note`.
    pub severity: String,
    pub message: String,
    pub path: Option<String>,
    /// The 1-based line of the output.
    pub line: Option<u32>,
}

fn finding(f: &core::Finding) -> Finding {
    let severity = match f.severity {
        core::Severity::Error => "error",
        core::Severity::Warning => "warning",
        _ => "note",
    };
    Finding {
        code: f.code.as_str().to_string(),
        severity: severity.to_string(),
        message: f.message.clone(),
        path: f.path.clone(),
        line: f.line.map(line),
    }
}

/// How to validate.
#[napi(object)]
pub struct ValidateOptions {
    /// The stack id whose rules apply.
    pub stack: Option<String>,
    /// Task constraints, e.g. `"No extra libraries"`.
    pub constraints: Option<Vec<String>>,
    /// Strict FILE-manifest mode: no prose anywhere.
    pub strict: Option<bool>,
    /// The threshold of "minimal dependencies" (default 20).
    pub max_dependencies: Option<u32>,
    /// Look for minified code (default true).
    pub check_minified: Option<bool>,
}

/// The result of validation.
#[napi]
pub struct ValidationResult {
    inner: core::ValidationResult,
}

#[napi]
impl ValidationResult {
    #[napi(getter)]
    pub fn is_valid(&self) -> bool {
        self.inner.is_valid()
    }

    #[napi(getter)]
    pub fn errors(&self) -> Vec<Finding> {
        self.inner.errors().iter().map(finding).collect()
    }

    #[napi(getter)]
    pub fn warnings(&self) -> Vec<Finding> {
        self.inner.warnings().iter().map(finding).collect()
    }

    #[napi(getter)]
    pub fn notes(&self) -> Vec<Finding> {
        self.inner.notes().iter().map(finding).collect()
    }

    /// Whether any finding has this code.
    #[napi]
    pub fn has(&self, code: String) -> bool {
        self.inner.findings().any(|f| f.code.as_str() == code)
    }

    /// One line: `validation passed (1 warning)` or `validation failed: 2 errors, 1 warning`.
    #[napi]
    pub fn summary(&self) -> String {
        self.inner.summary()
    }

    /// The result in its JSON shape (snake_case keys), so `JSON.stringify(result)` works.
    #[napi(js_name = "toJSON")]
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(&self.inner).unwrap_or(serde_json::Value::Null)
    }
}

/// Parse a FILE manifest.
#[napi]
pub fn parse_manifest(text: String) -> Manifest {
    Manifest::from(core::parse(&text))
}

/// Write a manifest as text that `parseManifest` reads back to the same files.
#[napi]
pub fn render_manifest(manifest: Manifest) -> String {
    core::render(&core::Manifest::from(&manifest))
}

/// Validate generated output against a stack and constraints; the stack is looked up in
/// `registry` (default: the built-in stacks). Throws `code: 'unknown_stack'`.
#[napi]
pub fn validate_output(
    text: String,
    options: Option<ValidateOptions>,
    registry: Option<&crate::stacks::StackRegistry>,
) -> Result<ValidationResult> {
    let options = options.unwrap_or(ValidateOptions {
        stack: None,
        constraints: None,
        strict: None,
        max_dependencies: None,
        check_minified: None,
    });
    let registry = match registry {
        Some(r) => r.registry(),
        None => mgx_core::stacks::StackRegistry::builtin(),
    };
    let spec = match &options.stack {
        Some(id) => Some(registry.get(id).map_err(stack_err)?),
        None => None,
    };
    let core_options = core::Options {
        strict: options.strict.unwrap_or(false),
        max_dependencies: options.max_dependencies.map_or(20, |n| n as usize),
        check_minified: options.check_minified.unwrap_or(true),
    };
    let constraints = options.constraints.unwrap_or_default();
    Ok(ValidationResult {
        inner: core::validate(&text, spec, &constraints, &core_options),
    })
}

/// The prompt that asks a model to fix its output.
#[napi]
pub fn build_revision_prompt(result: &ValidationResult, task: String) -> String {
    core::build_revision_prompt(&result.inner, &task)
}
