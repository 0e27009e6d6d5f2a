//! The default team: its roles and their actions, with their prompts.

use std::sync::Arc;

use async_trait::async_trait;

use super::run::{ReviewVerdict, RunContext, Validation};
use super::{Action, Facts, Message, Role, kinds};
use crate::error::{Error, Result};
use crate::events::{EventType, emit};
use crate::parse::parse_json;

/// A role that runs its actions in order on every message it watches and publishes what
/// each returns. The default team is four of these; a custom role can be one too.
pub struct ActionRole {
    name: String,
    watches: Vec<String>,
    actions: Vec<Arc<dyn Action>>,
}

impl ActionRole {
    /// A role named `name` that runs `actions` on the kinds it `watches`.
    pub fn new(name: &str, watches: &[&str], actions: Vec<Arc<dyn Action>>) -> Self {
        ActionRole {
            name: name.to_string(),
            watches: watches.iter().map(|w| w.to_string()).collect(),
            actions,
        }
    }
}

#[async_trait]
impl Role for ActionRole {
    fn name(&self) -> &str {
        &self.name
    }

    fn watches(&self) -> Vec<String> {
        self.watches.clone()
    }

    async fn react(&self, ctx: &RunContext, message: &Message) -> Result<Vec<Message>> {
        self.react_unboxed(ctx, message).await
    }
}

impl ActionRole {
    /// [`Role::react`] without the trait's box; the run calls it for the roles it knows to be
    /// `ActionRole`s, so the default team's roles and actions allocate no future per call
    /// (the provider's call is still one: providers are trait objects).
    pub(super) async fn react_unboxed(
        &self,
        ctx: &RunContext,
        message: &Message,
    ) -> Result<Vec<Message>> {
        // Allocated at the first answer, not before the first call: a buffer held across a
        // call is memory gone cold (and freed on another thread) by the time it is used.
        let mut out: Vec<Message> = Vec::new();
        for action in &self.actions {
            // Each action reacts to what the one before it produced.
            let trigger = out.last().unwrap_or(message);
            match run_action(action.as_ref(), ctx, &self.name, trigger).await {
                Ok(produced) => out.push(produced),
                Err(e) => {
                    ctx.keep_before_failure(out);
                    return Err(e);
                }
            }
        }
        Ok(out)
    }
}

/// Run `action`: the built-in actions directly, their futures part of the caller's (no box
/// of a kilobyte written to fresh memory each call); any other through [`Action::run`].
async fn run_action(
    action: &dyn Action,
    ctx: &RunContext,
    role: &str,
    trigger: &Message,
) -> Result<Message> {
    let any: &dyn std::any::Any = action;
    if let Some(a) = any.downcast_ref::<AnalyzeTask>() {
        a.act(ctx, role, trigger).await
    } else if let Some(a) = any.downcast_ref::<DraftPlan>() {
        a.act(ctx, role, trigger).await
    } else if let Some(a) = any.downcast_ref::<WriteCode>() {
        a.act(ctx, role, trigger).await
    } else if let Some(a) = any.downcast_ref::<WriteTest>() {
        a.act(ctx, role, trigger).await
    } else if let Some(a) = any.downcast_ref::<ReviewCode>() {
        a.act(ctx, role, trigger).await
    } else {
        action.run(ctx, role, trigger).await
    }
}

/// The default team: team leader, engineer, tester, reviewer (see the module docs).
pub fn default_roles() -> Vec<Arc<dyn Role>> {
    vec![
        Arc::new(ActionRole::new(
            "team_leader",
            &[kinds::TASK],
            vec![Arc::new(AnalyzeTask), Arc::new(DraftPlan)],
        )),
        Arc::new(ActionRole::new(
            "engineer",
            &[kinds::APPROVED_PLAN, kinds::REVISION_REQUEST],
            vec![Arc::new(WriteCode)],
        )),
        Arc::new(ActionRole::new(
            "tester",
            &[kinds::CODE],
            vec![Arc::new(WriteTest)],
        )),
        Arc::new(ActionRole::new(
            "reviewer",
            &[kinds::TESTS],
            vec![Arc::new(ReviewCode)],
        )),
    ]
}

/// The facts every prompt carries, as a JSON block the model (and the offline provider) reads:
/// the run's fixed facts (rendered once per run, see [`brief_head`]) and the fields an action
/// adds. Written straight into one buffer: no JSON tree is built or cloned per call.
struct Brief {
    buf: Vec<u8>,
}

impl Brief {
    fn new(ctx: &RunContext) -> Self {
        Self::with_tail(ctx, &[])
    }

    /// A brief whose buffer has room for `tail` too (see [`Brief::finish_with`]): one
    /// allocation, where growing it for the tail copied everything once more.
    fn with_tail(ctx: &RunContext, tail: &[&str]) -> Self {
        let tail: usize = tail.iter().map(|part| part.len()).sum();
        let mut buf = Vec::with_capacity(ctx.brief_head.len() + 256 + tail);
        buf.extend_from_slice(b"```json\n");
        buf.extend_from_slice(ctx.brief_head.as_bytes());
        Brief { buf }
    }

    fn field(mut self, key: &str, value: &impl serde::Serialize) -> Self {
        push_field(&mut self.buf, key, value);
        self
    }

    fn finish(self) -> String {
        self.finish_with(&[])
    }

    /// The brief, then `tail` (the code and tests an action shows), in the one buffer.
    fn finish_with(mut self, tail: &[&str]) -> String {
        self.buf
            .reserve(6 + tail.iter().map(|part| part.len()).sum::<usize>());
        self.buf.extend_from_slice(b"}\n```\n");
        for part in tail {
            self.buf.extend_from_slice(part.as_bytes());
        }
        // serde_json writes UTF-8, and so does everything else here.
        String::from_utf8(self.buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// `,"key":value` (no comma after the opening brace); a value that cannot be written as JSON
/// is left out whole rather than half-written.
fn push_field(buf: &mut Vec<u8>, key: &str, value: &impl serde::Serialize) {
    let mark = buf.len();
    if buf.last() != Some(&b'{') {
        buf.push(b',');
    }
    let written = serde_json::to_writer(&mut *buf, key).and_then(|()| {
        buf.push(b':');
        serde_json::to_writer(&mut *buf, value)
    });
    if written.is_err() {
        buf.truncate(mark);
    }
}

/// The run's fixed facts as an unclosed JSON object (`{"task":…,"stack":…`), rendered once
/// when the run starts: task, the stack's facts (rendered once per team and stack, see
/// [`stack_facts`]), constraints and, in patch mode, what the engineer is shown of the
/// project.
pub(super) fn brief_head(
    task: &str,
    stack_facts: &str,
    constraints: &[String],
    project: Option<&serde_json::Value>,
) -> String {
    let mut buf = Vec::with_capacity(64 + task.len() + stack_facts.len());
    buf.push(b'{');
    push_field(&mut buf, "task", &task);
    buf.extend_from_slice(stack_facts.as_bytes());
    push_field(&mut buf, "constraints", &constraints);
    if let Some(serde_json::Value::Object(project)) = project {
        push_field(&mut buf, "mode", &"patch_existing");
        for (key, value) in project {
            push_field(&mut buf, key, value);
        }
    }
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The stack's facts of a brief, as the fields that follow the task
/// (`,"stack":…,"test_file_pattern":…`): the same for every run of a team on that stack.
pub(super) fn stack_facts(stack: Option<&mgx_stacks::StackSpec>) -> String {
    // After a field, so every one is written with its comma.
    let mut buf = vec![b'{', b'"', b'"', b':', b'0'];
    let test = stack.and_then(|s| s.test.as_ref());
    push_field(&mut buf, "stack", &stack.map(|s| s.id.as_str()));
    push_field(&mut buf, "stack_name", &stack.map(|s| s.name.as_str()));
    push_field(
        &mut buf,
        "language",
        &stack.map(|s| language_word(&s.language)),
    );
    push_field(
        &mut buf,
        "test_framework",
        &test.map(|t| t.framework.as_str()),
    );
    push_field(
        &mut buf,
        "test_file_pattern",
        &test.map(|t| t.file_pattern.as_str()),
    );
    let facts = buf.split_off(5);
    String::from_utf8(facts).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The language as briefs have always named it: its variant's name in lower case
/// (`typescript`, `csharp`), without formatting it for the known ones.
fn language_word(language: &mgx_stacks::Language) -> std::borrow::Cow<'static, str> {
    use mgx_stacks::Language as L;
    std::borrow::Cow::Borrowed(match language {
        L::TypeScript => "typescript",
        L::JavaScript => "javascript",
        L::Python => "python",
        L::Php => "php",
        L::CSharp => "csharp",
        L::Dart => "dart",
        L::Go => "go",
        L::Yaml => "yaml",
        L::Ruby => "ruby",
        L::Java => "java",
        L::Kotlin => "kotlin",
        L::Rust => "rust",
        other => return std::borrow::Cow::Owned(format!("{other:?}").to_lowercase()),
    })
}

fn start(text: &str) -> String {
    let mut s: String = text.chars().take(200).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// Ask for a JSON object; ask once more when the answer has none; then give up.
async fn ask_json<T: serde::de::DeserializeOwned>(
    ctx: &RunContext,
    role: &str,
    action: &str,
    what: &str,
    system: &str,
    mut user: String,
) -> Result<(T, String)> {
    let first = ctx.ask_lending(role, action, system, &mut user).await?;
    if let Some(v) = parse_json::<T>(&first.content) {
        return Ok((v, first.content));
    }
    user.push_str(
        "\nYour previous answer had no JSON object of the requested shape. Answer with that JSON object only.",
    );
    let second = ctx.ask_lending(role, action, system, &mut user).await?;
    match parse_json::<T>(&second.content) {
        Some(v) => Ok((v, second.content)),
        None => Err(Error::Unreadable {
            what: what.to_string(),
            message: format!(
                "no JSON object of the requested shape in {:?}",
                start(&second.content)
            ),
        }),
    }
}

/// Team leader: complexity, files, test strategy.
pub struct AnalyzeTask;

#[derive(serde::Deserialize)]
struct Analysis {
    complexity: String,
}

#[async_trait]
impl Action for AnalyzeTask {
    fn name(&self) -> &str {
        "analyze_task"
    }

    async fn run(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        self.act(ctx, role, trigger).await
    }
}

impl AnalyzeTask {
    /// [`Action::run`], callable without the trait's box (see [`run_action`]).
    async fn act(&self, ctx: &RunContext, role: &str, _trigger: &Message) -> Result<Message> {
        let system = ctx.system_prompt_text(self.name());
        let (WithObject(analysis, data), text): (WithObject<Analysis>, String) = ask_json(
            ctx,
            role,
            self.name(),
            "analysis",
            system,
            Brief::new(ctx).finish(),
        )
        .await?;
        if !matches!(analysis.complexity.as_str(), "XS" | "S" | "M" | "L" | "XL") {
            return Err(Error::Unreadable {
                what: "analysis".into(),
                message: format!(
                    "complexity {:?} is not one of XS, S, M, L, XL",
                    analysis.complexity
                ),
            });
        }
        Ok(Message::new(kinds::ANALYSIS, role, text, data))
    }
}

/// An answer read as `T` that keeps its whole JSON object too (the analysis is passed on
/// whole): the object is parsed once, then read as `T`.
struct WithObject<T>(T, serde_json::Value);

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for WithObject<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let object = serde_json::Value::deserialize(d)?;
        if !object.is_object() {
            return Err(D::Error::custom("not a JSON object"));
        }
        let value = T::deserialize(&object).map_err(D::Error::custom)?;
        Ok(WithObject(value, object))
    }
}

/// Team leader: the ordered steps.
pub struct DraftPlan;

#[derive(serde::Deserialize)]
struct Plan {
    steps: Vec<String>,
}

#[async_trait]
impl Action for DraftPlan {
    fn name(&self) -> &str {
        "draft_plan"
    }

    async fn run(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        self.act(ctx, role, trigger).await
    }
}

impl DraftPlan {
    /// [`Action::run`], callable without the trait's box (see [`run_action`]).
    async fn act(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        let system = ctx.system_prompt_text(self.name());
        let user = Brief::new(ctx).field("analysis", &trigger.data).finish();
        let (plan, text): (Plan, String) =
            ask_json(ctx, role, self.name(), "plan", system, user).await?;
        if plan.steps.is_empty() {
            return Err(Error::Unreadable {
                what: "plan".into(),
                message: "the plan has no steps".into(),
            });
        }
        Ok(Message::with_facts(
            kinds::PLAN,
            role,
            text,
            Facts::Plan {
                steps: plan.steps.into(),
            },
        ))
    }
}

/// Engineer: the code as a FILE manifest, validated by guardrails; validation errors go back
/// to the model (with the reviewer's notes, which are kept) a bounded number of times.
pub struct WriteCode;

#[async_trait]
impl Action for WriteCode {
    fn name(&self) -> &str {
        "write_code"
    }

    async fn run(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        self.act(ctx, role, trigger).await
    }
}

impl WriteCode {
    /// [`Action::run`], callable without the trait's box (see [`run_action`]).
    async fn act(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        if let Some(project) = ctx.project.clone() {
            return write_diff(ctx, role, self.name(), trigger, &project).await;
        }
        let approved_plan = ctx.latest(kinds::APPROVED_PLAN);
        let plan = approved_plan.as_ref().map(|m| &m.data);
        let review_notes = (trigger.kind == kinds::REVISION_REQUEST).then_some(&trigger.data);
        let system = ctx.system_prompt_text(self.name());
        let mut validation_errors: Vec<String> = Vec::new();
        let attempts = ctx.max_validation_retries + 1;
        let mut last_summary = String::new();
        for attempt in 1..=attempts {
            let mut user = Brief::new(ctx)
                .field("plan", &plan)
                .field("review_notes", &review_notes)
                .field("validation_errors", &validation_errors)
                .finish();
            let answer = ctx
                .ask_lending(role, self.name(), system, &mut user)
                .await?;
            let manifest = mgx_guardrails::parse(&answer.content);
            let result = ctx.validator.validate_manifest(&manifest, &answer.content);
            let validation = Validation::of(attempt, result);
            if validation.valid {
                let warning_count = validation.warnings.len();
                ctx.record_validation(validation);
                emit!(
                    ctx.events,
                    EventType::ValidationPassed,
                    format!("Code passed validation (attempt {attempt})"),
                    serde_json::json!({"attempt": attempt, "warnings": warning_count}),
                );
                return Ok(Message::with_facts(
                    kinds::CODE,
                    role,
                    answer.content,
                    Facts::Files(manifest.files),
                ));
            }
            let errors = validation.errors.clone();
            last_summary = validation.summary.clone();
            ctx.record_validation(validation);
            emit!(
                ctx.events,
                EventType::ValidationFailed,
                format!("Code failed validation (attempt {attempt}): {last_summary}"),
                serde_json::json!({"attempt": attempt, "errors": errors}),
            );
            validation_errors = errors;
        }
        Err(Error::Invalid {
            attempts,
            summary: last_summary,
        })
    }
}

/// Patch mode: a unified diff against the project, dry-run before it is accepted; hunks that
/// do not place go back to the engineer with their nearest match, a bounded number of times.
async fn write_diff(
    ctx: &RunContext,
    role: &str,
    action: &str,
    trigger: &Message,
    project: &std::path::Path,
) -> Result<Message> {
    let approved_plan = ctx.latest(kinds::APPROVED_PLAN);
    let plan = approved_plan.as_ref().map(|m| &m.data);
    let review_notes = (trigger.kind == kinds::REVISION_REQUEST).then_some(&trigger.data);
    let system = ctx.system_prompt_text("write_diff");
    let dry = mgx_patch::ApplyOptions {
        dry_run: true,
        ..mgx_patch::ApplyOptions::default()
    };
    let attempts = ctx.max_validation_retries + 1;
    let mut problems: Vec<String> = Vec::new();
    for attempt in 1..=attempts {
        let mut user = Brief::new(ctx)
            .field("plan", &plan)
            .field("review_notes", &review_notes)
            .field("diff_problems", &problems)
            .finish();
        let answer = ctx.ask_lending(role, action, system, &mut user).await?;
        problems = diff_problems(project, &answer.content, &dry);
        let valid = problems.is_empty();
        ctx.record_validation(Validation {
            attempt,
            valid,
            summary: if valid {
                "the diff applies to the project".into()
            } else {
                format!("the diff does not apply: {}", problems.join("; "))
            },
            errors: problems.clone(),
            warnings: Vec::new(),
            notes: Vec::new(),
        });
        if valid {
            emit!(
                ctx.events,
                EventType::ValidationPassed,
                format!("The diff applies (attempt {attempt})"),
                serde_json::json!({"attempt": attempt}),
            );
            let data = serde_json::json!({"diff": answer.content, "files": []});
            return Ok(Message::new(kinds::CODE, role, answer.content, data));
        }
        emit!(
            ctx.events,
            EventType::ValidationFailed,
            format!("The diff does not apply (attempt {attempt})"),
            serde_json::json!({"attempt": attempt, "errors": problems}),
        );
    }
    Err(Error::Invalid {
        attempts,
        summary: problems.join("; "),
    })
}

/// Why a diff would not apply to the project (empty: it would).
fn diff_problems(
    project: &std::path::Path,
    diff: &str,
    dry: &mgx_patch::ApplyOptions,
) -> Vec<String> {
    let changes = match mgx_patch::ChangeSet::from_diff(diff) {
        Ok(c) => c,
        Err(e) => return vec![format!("the diff could not be read: {e}")],
    };
    let report = match mgx_patch::apply(project, &changes, dry) {
        Ok(r) => r,
        Err(e) => return vec![e.to_string()],
    };
    if matches!(
        report.status,
        mgx_patch::ApplyStatus::DryRun | mgx_patch::ApplyStatus::AlreadyApplied
    ) {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for f in report
        .files
        .iter()
        .filter(|f| f.status == mgx_patch::FileStatus::Failed)
    {
        if let Some(m) = &f.message {
            problems.push(format!("{}: {m}", f.path));
        }
        for h in f.hunks.iter().filter(|h| !h.status.is_ok()) {
            let near = h.nearest.as_ref().map_or(String::new(), |n| {
                format!(
                    " (nearest: line {}, {}/{} lines match)",
                    n.line, n.matching, n.total
                )
            });
            problems.push(format!(
                "{}: hunk {} {:?}{near}",
                f.path,
                h.index + 1,
                h.status
            ));
        }
    }
    problems
}

/// Tester: tests in the stack's own framework, as a FILE manifest.
pub struct WriteTest;

#[async_trait]
impl Action for WriteTest {
    fn name(&self) -> &str {
        "write_test"
    }

    async fn run(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        self.act(ctx, role, trigger).await
    }
}

impl WriteTest {
    /// [`Action::run`], callable without the trait's box (see [`run_action`]).
    async fn act(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        if ctx.stack.and_then(|s| s.test.as_ref()).is_none() {
            // Stacks without a test framework of their own (devops) get no tests.
            return Ok(Message::with_facts(
                kinds::TESTS,
                role,
                "",
                Facts::Files(Vec::new()),
            ));
        };
        let system = ctx.system_prompt_text(self.name());
        let tail = ["\nThe code:\n", &trigger.content];
        let mut user = Brief::with_tail(ctx, &tail).finish_with(&tail);
        // Asked once more when the answer has no FILE manifest, or changes files of the code
        // so that the code fails validation; then given up.
        let mut rejected = None;
        for attempt in 1..=2 {
            let answer = ctx
                .ask_lending(role, self.name(), system, &mut user)
                .await?;
            let files = mgx_guardrails::parse(&answer.content).files;
            let why = if files.is_empty() {
                if attempt == 2 {
                    return Err(Error::Unreadable {
                        what: "tests".into(),
                        message: format!("no FILE manifest in {:?}", start(&answer.content)),
                    });
                }
                "\nYour previous answer had no FILE manifest. Answer with the FILE manifest of the tests only.".to_string()
            } else {
                let tests = files.iter().map(|f| (f.path.as_str(), f.content.as_str()));
                match super::run::tests_keep_code_valid(ctx, role, trigger, tests) {
                    Ok(()) => {
                        return Ok(Message::with_facts(
                            kinds::TESTS,
                            role,
                            answer.content,
                            Facts::Files(files),
                        ));
                    }
                    Err(r) => {
                        let why = format!(
                            "\nYour previous answer changed files of the code: {}. Answer with the FILE manifest of the tests only, leaving the code's files as they are.",
                            r.summary
                        );
                        rejected = Some(r);
                        why
                    }
                }
            };
            user.push_str(&why);
        }
        Err(Error::Invalid {
            attempts: 2,
            summary: rejected.map(|r| r.summary).unwrap_or_default(),
        })
    }
}

/// Reviewer: a JSON verdict. Unreadable twice: not approved (fails closed).
pub struct ReviewCode;

#[async_trait]
impl Action for ReviewCode {
    fn name(&self) -> &str {
        "review_code"
    }

    async fn run(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        self.act(ctx, role, trigger).await
    }
}

impl ReviewCode {
    /// [`Action::run`], callable without the trait's box (see [`run_action`]).
    async fn act(&self, ctx: &RunContext, role: &str, trigger: &Message) -> Result<Message> {
        let system = ctx.system_prompt_text(self.name());
        let code_message = ctx.latest(kinds::CODE);
        let code = code_message.as_ref().map_or("", |m| m.content.as_str());
        let tail = ["\nThe code:\n", code, "\nThe tests:\n", &trigger.content];
        let user = Brief::with_tail(ctx, &tail).finish_with(&tail);
        let asked = match &ctx.human_reviewer {
            Some(human) => Ok((
                human(super::HumanReview {
                    task: ctx.task.task.clone(),
                    code: code.to_string(),
                    tests: trigger.content.clone(),
                })
                .await,
                String::new(),
            )),
            None => ask_json::<ReviewVerdict>(ctx, role, self.name(), "review", system, user).await,
        };
        let verdict = match asked {
            Ok((v, _)) if v.verdict == "approved" || v.verdict == "changes_required" => v,
            Ok((v, _)) => ReviewVerdict {
                verdict: "changes_required".into(),
                findings: vec![format!(
                    "the review's verdict {:?} is neither approved nor changes_required: not approved",
                    v.verdict
                )],
            },
            Err(Error::Unreadable { message, .. }) => ReviewVerdict {
                verdict: "changes_required".into(),
                findings: vec![format!(
                    "the review could not be read ({message}): not approved"
                )],
            },
            Err(e) => return Err(e),
        };
        let content = serde_json::to_string(&verdict).unwrap_or_default();
        Ok(Message::with_facts(
            kinds::REVIEW,
            role,
            content,
            Facts::Review(verdict),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brief as it was rendered whole for every run, field by field.
    fn brief_head_whole(
        task: &str,
        stack: Option<&mgx_stacks::StackSpec>,
        constraints: &[String],
    ) -> String {
        let mut buf = vec![b'{'];
        let test = stack.and_then(|s| s.test.as_ref());
        push_field(&mut buf, "task", &task);
        push_field(&mut buf, "stack", &stack.map(|s| s.id.as_str()));
        push_field(&mut buf, "stack_name", &stack.map(|s| s.name.as_str()));
        push_field(
            &mut buf,
            "language",
            &stack.map(|s| format!("{:?}", s.language).to_lowercase()),
        );
        push_field(
            &mut buf,
            "test_framework",
            &test.map(|t| t.framework.as_str()),
        );
        push_field(
            &mut buf,
            "test_file_pattern",
            &test.map(|t| t.file_pattern.as_str()),
        );
        push_field(&mut buf, "constraints", &constraints);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn a_brief_from_its_stacks_shared_facts_reads_as_one_rendered_whole() {
        let registry = mgx_stacks::StackRegistry::builtin();
        let constraints = ["No extra libraries".to_string(), "say \"hi\"".to_string()];
        let mut stacks: Vec<Option<&mgx_stacks::StackSpec>> = registry.iter().map(Some).collect();
        stacks.push(None);
        for stack in stacks {
            for task in ["Build an API", "ü \"quoted\"\n\ttask"] {
                for constraints in [&constraints[..], &[]] {
                    assert_eq!(
                        brief_head(task, &stack_facts(stack), constraints, None),
                        brief_head_whole(task, stack, constraints)
                    );
                }
            }
        }
    }

    #[test]
    fn briefs_name_languages_as_they_always_did() {
        for code in [
            "ts", "js", "py", "php", "cs", "dart", "go", "yaml", "rb", "java", "kotlin", "rust",
            "elixir",
        ] {
            let language = mgx_stacks::Language::from_code(code);
            assert_eq!(
                language_word(&language),
                format!("{language:?}").to_lowercase(),
                "{code}"
            );
        }
    }
}
