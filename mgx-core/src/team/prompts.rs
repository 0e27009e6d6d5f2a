//! The system prompts of the default actions, as templates a caller can replace.
//!
//! A template is text with `{{placeholder}}`s (double braces, so JSON examples in the text need
//! no escaping). The facts of the run — task, plan, review notes, the project's files — travel
//! in the JSON brief of the user message, not in the template. Placeholders:
//! `{{stack}}`, `{{stack_name}}`, `{{language}}`, `{{test_framework}}`, `{{test_command}}`,
//! `{{test_file_pattern}}`, `{{test_template}}`, `{{review_checklist}}`, `{{file_format}}`.

use std::collections::HashMap;

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "stack",
    "stack_name",
    "language",
    "test_framework",
    "test_command",
    "test_file_pattern",
    "test_template",
    "review_checklist",
    "file_format",
];

/// The actions whose prompts are templates: the default team's, and `write_diff` (the
/// engineer in patch mode).
pub const ACTIONS: &[&str] = &[
    "analyze_task",
    "draft_plan",
    "write_code",
    "write_diff",
    "write_test",
    "review_code",
];

const FILE_FORMAT: &str = "Answer with a FILE manifest only: for each file a line `FILE: <path>` followed by the file's whole content. Paths are relative to the project root. No prose, no Markdown fences around the manifest.";

/// The default template of `action`.
pub fn default_prompt(action: &str) -> Option<&'static str> {
    Some(match action {
        "analyze_task" => {
            "You are the team leader of a software team. Analyse the task for the {{stack_name}} stack. Answer with one JSON object: {\"complexity\": \"XS|S|M|L|XL\", \"files\": [paths], \"test_strategy\": text, \"notes\": text}."
        }
        "draft_plan" => {
            "You are the team leader. Turn the analysis into an ordered plan for the engineer, tester and reviewer. Answer with one JSON object: {\"steps\": [text]}."
        }
        "write_code" => {
            "You are the engineer. Write the code for the task in the {{stack_name}} stack, following the plan and the review notes. {{file_format}}"
        }
        "write_diff" => {
            "You are the engineer. Change the existing project (its files are in the brief) for the task, following the plan and the review notes. Answer with a unified diff only (`--- a/path`, `+++ b/path`, `@@` hunks with three lines of context; `--- /dev/null` for a new file), no prose."
        }
        "write_test" => {
            "You are the tester. Write tests for the code in {{test_framework}} ({{test_command}}), in files matching {{test_file_pattern}}. This is a valid test in the stack:\n{{test_template}}\n{{file_format}}"
        }
        "review_code" => {
            "You are the reviewer. Review the code and tests against the task and this checklist:\n- {{review_checklist}}\nAnswer with one JSON object: {\"verdict\": \"approved\" or \"changes_required\", \"findings\": [text]}."
        }
        _ => return None,
    })
}

/// The placeholders of `template` that are not known (empty: it is fine).
pub(super) fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if !PLACEHOLDERS.contains(&name) {
            unknown.push(name.to_string());
        }
        rest = &after[end + 2..];
    }
    unknown
}

/// The values of the placeholders for a stack.
/// The values templates are filled with (`{stack}`, `{test_framework}` …).
pub(super) type Values = HashMap<&'static str, String>;

pub(super) fn values(stack: Option<&mgx_stacks::StackSpec>) -> Values {
    let test = stack.and_then(|s| s.test.as_ref());
    HashMap::from([
        ("stack", stack.map(|s| s.id.clone()).unwrap_or_default()),
        (
            "stack_name",
            stack.map(|s| s.name.clone()).unwrap_or_default(),
        ),
        (
            "language",
            stack
                .map(|s| format!("{:?}", s.language).to_lowercase())
                .unwrap_or_default(),
        ),
        (
            "test_framework",
            test.map(|t| t.framework.clone()).unwrap_or_default(),
        ),
        (
            "test_command",
            test.map(|t| t.command.clone()).unwrap_or_default(),
        ),
        (
            "test_file_pattern",
            test.map(|t| t.file_pattern.clone()).unwrap_or_default(),
        ),
        (
            "test_template",
            test.map(|t| t.template.trim().to_string())
                .unwrap_or_default(),
        ),
        (
            "review_checklist",
            stack
                .map(|s| s.prompt.review_checklist.join("\n- "))
                .unwrap_or_default(),
        ),
        ("file_format", FILE_FORMAT.to_string()),
    ])
}

/// What every run of a team on one stack is told the same way: the default actions' system
/// prompts (five, found by comparing names: a hash of the name cost more than the comparisons,
/// on every call) and the stack's facts in a brief (see `roles::stack_facts`).
#[derive(Debug, Default)]
pub(super) struct SystemPrompts {
    prompts: Vec<(&'static str, String)>,
    /// The stack's facts as brief fields.
    pub(super) stack_facts: String,
    /// The length of the longest prompt: a run's buffer for its calls' system text is made
    /// this large once (a buffer grown call by call was copied each time it grew).
    pub(super) longest: usize,
}

impl SystemPrompts {
    /// The prompt of `action`.
    pub(super) fn get(&self, action: &str) -> Option<&String> {
        self.prompts
            .iter()
            .find(|(name, _)| *name == action)
            .map(|(_, prompt)| prompt)
    }
}

/// Every action's system prompt for a stack: the caller's template or the default, filled
/// in, and the stack's brief facts. Templates and values are fixed per team and stack, so this
/// is done once for them.
pub(super) fn system_prompts(
    stack: Option<&mgx_stacks::StackSpec>,
    templates: &HashMap<String, String>,
) -> SystemPrompts {
    let values = values(stack);
    let prompts: Vec<(&'static str, String)> = ACTIONS
        .iter()
        .map(|&action| {
            let template = templates
                .get(action)
                .map(String::as_str)
                .or_else(|| default_prompt(action))
                .unwrap_or_default();
            (action, render(template, &values))
        })
        .collect();
    SystemPrompts {
        stack_facts: super::roles::stack_facts(stack),
        longest: prompts.iter().map(|(_, p)| p.len()).max().unwrap_or(0),
        prompts,
    }
}

/// `template` with its placeholders filled in.
pub(super) fn render(template: &str, values: &HashMap<&'static str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                out.push_str(values.get(name).map_or("", String::as_str));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_renders_without_leftovers() {
        let spec = mgx_stacks::StackRegistry::builtin().get("fastapi").unwrap();
        let values = values(Some(spec));
        for action in ACTIONS {
            let template = default_prompt(action).unwrap();
            assert!(unknown_placeholders(template).is_empty(), "{action}");
            let text = render(template, &values);
            assert!(!text.contains("{{"), "{action}: {text}");
        }
        assert!(render(default_prompt("write_test").unwrap(), &values).contains("pytest"));
        assert_eq!(
            unknown_placeholders("a {{stack}} {{nope}} {\"json\": 1}"),
            ["nope"]
        );
    }
}
