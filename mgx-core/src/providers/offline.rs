//! The offline provider: a deterministic scaffold generator, not a model.

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::llm::{ChatRequest, ChatResponse, LlmProvider, ProviderId};
use crate::parse::json_object;

/// The first line of every system prompt of the default team's actions: `mgx-action: <name>`.
/// The offline provider answers by it; models ignore it.
pub const ACTION_TAG: &str = "mgx-action:";

/// Answers the default team's actions without a network or a key, from the stack's starter
/// project ([`mgx_stacks::StackSpec::starter_files`]): an analysis and a plan as JSON, the
/// starter's files as a FILE manifest for `write_code`, its test for `write_test`, and an
/// approving verdict. It is deterministic (the same request, the same answer) and says what it
/// is: its id is `offline/scaffold`, and a run's report names it. It writes scaffolds, not
/// solutions: the task's own feature is for a model to write.
///
/// The action and its facts come from the request: the tag line of the system prompt
/// ([`ACTION_TAG`]) and the JSON brief in the last message (`{"stack": "fastapi", …}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl Offline {
    /// The offline provider.
    pub fn new() -> Self {
        Offline
    }
}

fn action_of(request: &ChatRequest) -> Option<&str> {
    request.messages.iter().find_map(|m| {
        m.content
            .lines()
            .next()
            .and_then(|l| l.trim().strip_prefix(ACTION_TAG))
            .map(str::trim)
    })
}

fn manifest(files: impl IntoIterator<Item = (String, String)>) -> String {
    let mut out = String::new();
    for (path, content) in files {
        out.push_str(&format!("FILE: {path}\n{content}"));
        if !content.ends_with('\n') && !content.is_empty() {
            out.push('\n');
        }
    }
    out
}

#[async_trait]
impl LlmProvider for Offline {
    fn id(&self) -> ProviderId {
        ProviderId::new("offline", "scaffold")
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse> {
        let action = action_of(request).ok_or_else(|| {
            Error::provider(format!(
                "the offline provider answers the default team's actions only (no `{ACTION_TAG}` line in the request)"
            ))
        })?;
        let brief = request
            .messages
            .last()
            .and_then(|m| json_object(&m.content))
            .unwrap_or_default();
        let registry = mgx_stacks::StackRegistry::builtin();
        let stack = brief
            .get("stack")
            .and_then(|s| s.as_str())
            .and_then(|id| registry.find(id));
        let test_path = stack
            .and_then(|s| s.test.as_ref())
            .and_then(|t| t.example_path.clone());
        let starter = stack.map(|s| s.starter_files()).unwrap_or_default();
        let content = match action {
            "analyze_task" => serde_json::json!({
                "complexity": "S",
                "stack": stack.map(|s| s.id.as_str()),
                "files": starter.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
                "test_strategy": stack.and_then(|s| s.test.as_ref()).map_or_else(
                    || "no test framework for this stack".to_string(),
                    |t| format!("{} tests in {}", t.framework, t.file_pattern)
                ),
                "notes": "offline scaffold: the starter project of the stack, not the task's feature",
            })
            .to_string(),
            "draft_plan" => serde_json::json!({
                "steps": [
                    "write the stack's starter project",
                    "write its test in the stack's framework",
                    "review the result",
                ]
            })
            .to_string(),
            "write_code"
                if brief.get("mode").and_then(|m| m.as_str()) == Some("patch_existing") =>
            {
                // Patch mode: add the starter's files the project does not have; leave the
                // project's own files alone.
                let existing: Vec<&str> = brief["project_paths"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|p| p.as_str()).collect())
                    .unwrap_or_default();
                starter
                    .iter()
                    .filter(|f| Some(&f.path) != test_path.as_ref())
                    .filter(|f| !existing.contains(&f.path.as_str()) && !f.content.is_empty())
                    .map(|f| mgx_patch::make_diff("", &f.content, &f.path))
                    .collect::<String>()
            }
            "write_code" => manifest(
                starter
                    .iter()
                    .filter(|f| Some(&f.path) != test_path.as_ref())
                    .map(|f| (f.path.clone(), f.content.clone())),
            ),
            "write_test" => manifest(
                starter
                    .iter()
                    .filter(|f| Some(&f.path) == test_path.as_ref())
                    .map(|f| (f.path.clone(), f.content.clone())),
            ),
            "review_code" => serde_json::json!({"verdict": "approved", "findings": []}).to_string(),
            other => {
                return Err(Error::provider(format!(
                    "the offline provider does not know the action `{other}`"
                )));
            }
        };
        let mut answer = ChatResponse::text(content);
        answer.model = Some("scaffold".into());
        Ok(answer)
    }
}
