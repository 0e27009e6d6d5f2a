//! The team run end to end, with the offline provider and with scripted models.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use mgx_core::Error;
use mgx_core::budget::Budget;
use mgx_core::cache::MemoryCache;
use mgx_core::cost::PriceTable;
use mgx_core::events::{ChannelSink, Event, EventType};
use mgx_core::llm::{ChatRequest, ChatResponse};
use mgx_core::providers::Scripted;
use mgx_core::team::{
    Action, ActionRole, Approval, ApprovalPolicy, Message, RunContext, RunStatus, Team,
};

fn out_dir(name: &str) -> crate::TestDir {
    crate::TestDir::new("mgx-team", name, false)
}

/// The action a request asks for (the default team tags its system prompt's first line).
pub(crate) fn action(request: &ChatRequest) -> String {
    request.messages[0]
        .content
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("mgx-action:")
        .trim()
        .to_string()
}

const GOOD_CODE: &str = "FILE: app/main.py\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/health\")\ndef health() -> dict[str, str]:\n    return {\"status\": \"ok\"}\nFILE: requirements.txt\nfastapi\nuvicorn\npytest\n";
const GOOD_TESTS: &str = "FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\nfrom app.main import app\n\n\ndef test_health() -> None:\n    assert TestClient(app).get(\"/health\").status_code == 200\n";

/// A scripted team: answers by action; `code` and `review` give the successive answers of
/// those actions (the last one repeats).
fn scripted(
    code: Vec<&'static str>,
    review: Vec<&'static str>,
) -> (Arc<Scripted>, Arc<Mutex<Vec<ChatRequest>>>) {
    scripted_tests(code, vec![GOOD_TESTS], review)
}

/// [`scripted`], with the successive answers of `write_test` too.
fn scripted_tests(
    code: Vec<&'static str>,
    tests: Vec<&'static str>,
    review: Vec<&'static str>,
) -> (Arc<Scripted>, Arc<Mutex<Vec<ChatRequest>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let (nc, nt, nr) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let provider = Scripted::from_fn(move |req| {
        seen.lock().unwrap().push(req.clone());
        let pick = |list: &Vec<&'static str>, n: &AtomicUsize| {
            let i = n.fetch_add(1, Ordering::SeqCst).min(list.len() - 1);
            list[i].to_string()
        };
        let text = match action(req).as_str() {
            "analyze_task" => r#"Here you go: {"complexity": "S", "files": ["app/main.py"], "test_strategy": "pytest"}"#.to_string(),
            "draft_plan" => "```json\n{\"steps\": [\"code\", \"tests\", \"review\"]}\n```".to_string(),
            "write_code" => pick(&code, &nc),
            "write_test" => pick(&tests, &nt),
            "review_code" => pick(&review, &nr),
            other => panic!("unexpected action {other}"),
        };
        let mut answer = ChatResponse::text(text);
        answer.usage = Some(mgx_core::llm::Usage {
            prompt_tokens: 10,
            completion_tokens: 5,
        });
        Ok(answer)
    });
    (Arc::new(provider), calls)
}

/// A fastapi team on `provider`, writing into `dir`.
fn fastapi_team(provider: Arc<Scripted>, dir: &std::path::Path) -> Team {
    Team::builder()
        .provider(provider)
        .stack("fastapi")
        .output_dir(dir)
        .build()
        .unwrap()
}

/// The default team with `role` in the place of the built-in role of its name.
fn default_roles_with(role: Arc<dyn mgx_core::team::Role>) -> Vec<Arc<dyn mgx_core::team::Role>> {
    mgx_core::team::default_roles()
        .into_iter()
        .map(|r| {
            if r.name() == role.name() {
                Arc::clone(&role)
            } else {
                r
            }
        })
        .collect()
}

/// [`fastapi_team`] with `role` in the place of the built-in role of its name.
fn fastapi_team_with(
    provider: Arc<Scripted>,
    dir: &std::path::Path,
    role: Arc<dyn mgx_core::team::Role>,
) -> Team {
    Team::builder()
        .provider(provider)
        .stack("fastapi")
        .output_dir(dir)
        .roles(default_roles_with(role))
        .build()
        .unwrap()
}

/// The user prompts of the calls made for `name`.
fn prompts(calls: &Mutex<Vec<ChatRequest>>, name: &str) -> Vec<String> {
    calls
        .lock()
        .unwrap()
        .iter()
        .filter(|r| action(r) == name)
        .map(|r| r.messages[1].content.clone())
        .collect()
}

#[tokio::test]
async fn one_team_runs_tasks_of_several_stacks_each_with_its_own_prompts_and_rules() {
    // The team prepares each stack's prompts and validator once and reads the first it
    // prepared without a lock: every run must still get its own stack's.
    /// The offline provider, noting each analysis prompt.
    struct Noting(Mutex<Vec<String>>);
    #[async_trait]
    impl mgx_core::llm::LlmProvider for Noting {
        fn id(&self) -> mgx_core::llm::ProviderId {
            mgx_core::llm::ProviderId::new("offline", "scaffold")
        }
        async fn complete(&self, r: &ChatRequest) -> mgx_core::Result<ChatResponse> {
            if action(r) == "analyze_task" {
                self.0.lock().unwrap().push(r.messages[0].content.clone());
            }
            mgx_core::llm::LlmProvider::complete(&mgx_core::providers::Offline, r).await
        }
    }
    let noted = Arc::new(Noting(Mutex::default()));
    let team = Team::builder()
        .provider(noted.clone())
        .dry_run(true)
        .output_dir("/nonexistent/mgx-team-stacks")
        .build()
        .unwrap();
    let registry = mgx_stacks::StackRegistry::builtin();
    for (task, stack) in [
        ("Create a FastAPI /health endpoint with tests", "fastapi"),
        ("Build a Laravel API for invoices", "laravel"),
        ("Create a FastAPI /users endpoint", "fastapi"),
        ("Build a Laravel API for orders", "laravel"),
    ] {
        let report = team.run(task).await;
        assert_eq!(
            report.status,
            RunStatus::Completed,
            "{task}: {:?}",
            report.error
        );
        assert_eq!(report.stack.as_deref(), Some(stack));
        let starter: Vec<String> = registry
            .find(stack)
            .unwrap()
            .starter_files()
            .into_iter()
            .map(|f| f.path)
            .collect();
        for path in &starter {
            assert!(
                report.files.contains(path),
                "{task}: {path} not in {:?}",
                report.files
            );
        }
        let validation = report.validations.last().unwrap();
        assert!(validation.valid, "{task}: {:?}", validation.errors);
        let prompt = noted.0.lock().unwrap().pop().unwrap();
        let name = &registry.find(stack).unwrap().name;
        assert!(
            prompt.contains(&format!("for the {name} stack")),
            "{task}: {prompt}"
        );
    }
}

#[tokio::test]
async fn the_offline_team_builds_every_stacks_starter() {
    let registry = mgx_stacks::StackRegistry::builtin();
    for spec in registry.iter() {
        let dir = out_dir(&format!("offline-{}", spec.id));
        let (sink, stream) = ChannelSink::new(4096);
        let team = Team::builder()
            .stack(&spec.id)
            .output_dir(&dir)
            .sink(Arc::new(sink))
            .build()
            .unwrap();
        let report = team.run("Build the starter project").await;
        drop(team);
        assert_eq!(
            report.status,
            RunStatus::Completed,
            "{}: {:?}",
            spec.id,
            report.error
        );
        assert_eq!(report.providers, ["offline/scaffold"]);
        assert_eq!(report.stack.as_deref(), Some(spec.id.as_str()));
        for f in spec.starter_files() {
            let written = std::fs::read_to_string(dir.join(&f.path))
                .unwrap_or_else(|_| panic!("{}: {} missing", spec.id, f.path));
            assert_eq!(written, f.content, "{}: {}", spec.id, f.path);
        }
        assert_eq!(
            report.review.as_ref().map(|r| r.verdict.as_str()),
            Some("approved")
        );
        assert_eq!(
            (report.tokens_in, report.cost_usd),
            (None, None),
            "offline reports no usage: unknown, not zero"
        );
        let events: Vec<Event> = stream.collect().await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        for expected in [
            "analysis_start",
            "plan_ready",
            "approval_required",
            "approved",
            "llm_call",
            "validation_passed",
            "files_written",
            "completion",
        ] {
            assert!(
                types.contains(&expected),
                "{}: no {expected} in {types:?}",
                spec.id
            );
        }
        assert_eq!(types.last(), Some(&"completion"));
        assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[tokio::test]
async fn invalid_code_is_revised_and_review_notes_reach_the_engineer() {
    // First code answer lacks requirements.txt (an error for fastapi); the review first asks
    // for changes, then approves.
    let bad = "FILE: app/main.py\nfrom fastapi import FastAPI\napp = FastAPI()\n";
    let (provider, calls) = scripted(
        vec![bad, GOOD_CODE],
        vec![
            r#"{"verdict": "changes_required", "findings": ["add a docstring to health"]}"#,
            r#"{"verdict": "approved", "findings": []}"#,
        ],
    );
    let dir = out_dir("revise");
    let team = fastapi_team(provider, &dir);
    let report = team
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.validations.len(), 3, "{:#?}", report.validations);
    assert!(
        !report.validations[0].valid && report.validations[1].valid && report.validations[2].valid
    );
    // Each attempt keeps what passed with a warning, not only its errors.
    assert_eq!(
        report.validations[1].warnings,
        [
            "stack `fastapi` recommends a file `.env.example`",
            "stack `fastapi` recommends a file `tests/test_*.py`"
        ]
    );
    assert!(report.validations[0].errors[0].contains("requirements.txt"));
    assert_eq!(report.revision_rounds, 1);
    assert_eq!(report.review.as_ref().unwrap().verdict, "approved");
    // The analysis is the whole object the team leader answered, prose around it left out.
    assert_eq!(
        report.analysis,
        Some(
            serde_json::json!({"complexity": "S", "files": ["app/main.py"], "test_strategy": "pytest"})
        )
    );
    assert_eq!(
        (report.tokens_in, report.tokens_out),
        (Some(10 * report.llm_calls), Some(5 * report.llm_calls))
    );
    // The retry after validation saw the errors; the revision after review saw its findings.
    let code_calls = prompts(&calls, "write_code");
    assert_eq!(code_calls.len(), 3);
    assert!(
        code_calls[1].contains("requirements.txt"),
        "{}",
        code_calls[1]
    );
    assert!(
        code_calls[2].contains("add a docstring to health"),
        "{}",
        code_calls[2]
    );
    assert!(dir.join("tests/test_health.py").exists() && dir.join("requirements.txt").exists());
}

#[tokio::test]
async fn an_unreadable_verdict_fails_closed_and_revisions_stop() {
    let (provider, calls) = scripted(vec![GOOD_CODE], vec!["Looks approved to me!"]);
    let dir = out_dir("unreadable");
    let team = fastapi_team(provider, &dir);
    let report = team.run("Create a FastAPI /health endpoint").await;
    // Never approved by keyword: the review fails closed, and the same review repeated stops
    // the rounds before max_revision_rounds.
    let review = report.review.clone().unwrap();
    assert_eq!(review.verdict, "changes_required");
    assert!(review.findings[0].contains("could not be read"));
    assert_eq!(
        report.revision_rounds, 1,
        "the repeated review stops the rounds"
    );
    let reviews = prompts(&calls, "review_code").len();
    assert_eq!(reviews, 4, "each review asked twice");
    assert_eq!(report.status, RunStatus::Completed);
}

#[tokio::test]
async fn the_budget_is_never_exceeded() {
    // Every call reports 350 tokens; each is reserved at its worst case (prompt estimate plus
    // max_tokens 300) before it is made, so the run stops before the call that could pass 1,500.
    let (scripted_code, _) = scripted(vec![GOOD_CODE], vec![r#"{"verdict": "approved"}"#]);
    let provider = Scripted::from_fn(move |req| {
        let mut answer = futures::executor::block_on(mgx_core::llm::LlmProvider::complete(
            scripted_code.as_ref(),
            req,
        ))?;
        answer.usage = Some(mgx_core::llm::Usage {
            prompt_tokens: 100,
            completion_tokens: 250,
        });
        Ok(answer)
    });
    let dir = out_dir("budget");
    let (sink, stream) = ChannelSink::new(1024);
    let team = Team::builder()
        .provider(Arc::new(provider))
        .stack("fastapi")
        .output_dir(&dir)
        .max_tokens(300)
        .budget(
            Budget {
                max_tokens: Some(1500),
                ..Budget::default()
            },
            PriceTable::new(),
        )
        .sink(Arc::new(sink))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    drop(team);
    assert_eq!(report.status, RunStatus::BudgetExceeded, "{report:#?}");
    assert_eq!(report.error_code.as_deref(), Some("budget_exceeded"));
    let spent = report.tokens_in.unwrap() + report.tokens_out.unwrap();
    assert!(
        spent <= 1500 && report.llm_calls >= 2,
        "{spent} tokens in {} calls",
        report.llm_calls
    );
    assert!(!dir.exists(), "nothing written");
    let types: Vec<String> = stream
        .map(|e| e.event_type.as_str().to_string())
        .collect()
        .await;
    assert!(types.contains(&"budget_exceeded".to_string()));
    assert_eq!(types.last().map(String::as_str), Some("failure"));
}

#[tokio::test]
async fn a_provider_failure_mid_run_fails_typed_and_writes_nothing() {
    let calls = AtomicUsize::new(0);
    let provider = Scripted::from_fn(move |req| {
        if action(req) == "write_code" {
            calls.fetch_add(1, Ordering::SeqCst);
            return Err(Error::provider("model crashed"));
        }
        Ok(ChatResponse::text(match action(req).as_str() {
            "analyze_task" => r#"{"complexity": "M"}"#,
            _ => r#"{"steps": ["x"]}"#,
        }))
    });
    let dir = out_dir("provider-error");
    let team = Team::builder()
        .provider(Arc::new(provider))
        .stack("fastapi")
        .output_dir(&dir)
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.error_code.as_deref(), Some("provider"));
    assert!(report.error.unwrap().contains("model crashed"));
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_rejected_plan_writes_nothing() {
    let dir = out_dir("rejected");
    let team = Team::builder()
        .stack("fastapi")
        .output_dir(&dir)
        .approval(ApprovalPolicy::Callback(Arc::new(|plan: &Message| {
            assert!(!plan.data()["steps"].as_array().unwrap().is_empty());
            Approval::Reject {
                reason: "not this sprint".into(),
            }
        })))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Rejected);
    assert_eq!(report.error.as_deref(), Some("not this sprint"));
    assert!(!dir.exists());
}

/// A custom action for a custom role: counts lines of code, publishes a `security_review`.
struct CountLines;

#[async_trait]
impl Action for CountLines {
    fn name(&self) -> &str {
        "count_lines"
    }

    async fn run(
        &self,
        _ctx: &RunContext,
        role: &str,
        trigger: &Message,
    ) -> mgx_core::Result<Message> {
        let lines = trigger.content.lines().count();
        Ok(Message::new(
            "security_review",
            role,
            format!("{lines} lines checked"),
            serde_json::json!({"lines": lines}),
        ))
    }
}

#[tokio::test]
async fn a_custom_role_slots_into_the_flow() {
    let dir = out_dir("custom");
    let (sink, stream) = ChannelSink::new(1024);
    let team = Team::builder()
        .stack("fastapi")
        .output_dir(&dir)
        .add_role(Arc::new(ActionRole::new(
            "security_reviewer",
            &["code"],
            vec![Arc::new(CountLines)],
        )))
        .sink(Arc::new(sink))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    drop(team);
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let events: Vec<Event> = stream.collect().await;
    assert!(
        events
            .iter()
            .any(|e| e.event_type == EventType::Progress && e.data["role"] == "security_reviewer")
    );
}

/// A role written from scratch (not an `ActionRole`): notes what it is shown.
#[tokio::test]
async fn custom_roles_and_actions_see_what_the_ones_before_them_publish() {
    // The default team's roles and actions are called without their boxed futures; a
    // custom action in an `ActionRole`, and a role of its own, still go through the traits.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out_custom_chain = out_dir("custom-chain");
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_custom_chain)
        .add_role(Arc::new(ActionRole::new(
            "security_reviewer",
            &["code"],
            vec![Arc::new(CountLines)],
        )))
        .add_role(Arc::new(Recorder {
            kind: "security_review",
            seen: seen.clone(),
        }))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].from == "security_reviewer" && seen[0].content.ends_with(" lines checked"),
        "{seen:?}"
    );
}

/// A team leader of the caller's: its plan's facts are a JSON array, not an object.
struct ArrayPlanner;

#[async_trait]
impl mgx_core::team::Role for ArrayPlanner {
    fn name(&self) -> &str {
        "planner"
    }

    fn watches(&self) -> Vec<String> {
        vec!["task".into()]
    }

    async fn react(&self, _ctx: &RunContext, _message: &Message) -> mgx_core::Result<Vec<Message>> {
        Ok(vec![Message::new(
            "plan",
            "planner",
            "1. code\n2. tests",
            serde_json::json!(["code", "tests"]),
        )])
    }
}

/// Keeps every message of one kind.
struct Recorder {
    kind: &'static str,
    seen: Arc<Mutex<Vec<Message>>>,
}

#[async_trait]
impl mgx_core::team::Role for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }

    fn watches(&self) -> Vec<String> {
        vec![self.kind.into()]
    }

    async fn react(&self, _ctx: &RunContext, message: &Message) -> mgx_core::Result<Vec<Message>> {
        self.seen.lock().unwrap().push(message.clone());
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn the_default_teams_facts_read_as_json_and_a_custom_plan_of_any_shape_is_approved() {
    // The default team keeps its messages' facts typed; a role of the caller's reads them as
    // the JSON they always were.
    let files = Arc::new(Mutex::new(Vec::new()));
    let out_facts_json = out_dir("facts-json");
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_facts_json)
        .add_role(Arc::new(Recorder {
            kind: "code",
            seen: files.clone(),
        }))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let files: Vec<serde_json::Value> = files
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.data().clone())
        .collect();
    let paths: Vec<&str> = files[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"app/main.py"), "{paths:?}");
    assert!(
        files[0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["content"].as_str().is_some_and(|c| c.contains("/health")))
    );

    // A plan whose facts are not an object is approved with the feedback in their place,
    // where it once made the run panic.
    let approved = Arc::new(Mutex::new(Vec::new()));
    let mut roles: Vec<Arc<dyn mgx_core::team::Role>> = vec![Arc::new(ArrayPlanner)];
    roles.extend(mgx_core::team::default_roles().into_iter().skip(1));
    roles.push(Arc::new(Recorder {
        kind: "approved_plan",
        seen: approved.clone(),
    }));
    let out_facts_array_plan = out_dir("facts-array-plan");
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_facts_array_plan)
        .roles(roles)
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let approved: Vec<serde_json::Value> = approved
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.data().clone())
        .collect();
    assert_eq!(approved, [serde_json::json!({"feedback": null})]);
}

#[tokio::test]
async fn bad_configuration_is_a_typed_error() {
    let e = Team::builder().stack("fastapy").build().unwrap_err();
    assert_eq!(e.code(), "config");
    assert!(e.to_string().contains("fastapi"), "{e}");
    let e = Team::builder().max_rounds(0).build().unwrap_err();
    assert_eq!(e.code(), "config");
    let e = Team::builder()
        .role_provider("designer", Arc::new(Scripted::new(["x"])))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("designer"));
    let e = Team::builder()
        .budget(
            Budget {
                max_usd: Some(-1.0),
                ..Budget::default()
            },
            PriceTable::new(),
        )
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "config");
}

#[tokio::test]
async fn an_empty_or_stackless_task_fails_typed() {
    let out_empty = out_dir("empty");
    let team = Team::builder().output_dir(&out_empty).build().unwrap();
    let report = team.run("   ").await;
    assert_eq!(
        (report.status, report.error_code.as_deref()),
        (RunStatus::Failed, Some("task"))
    );
    let report = team.run("Write a haiku about autumn").await;
    assert_eq!(
        (report.status, report.error_code.as_deref()),
        (RunStatus::Failed, Some("task")),
        "{:?}",
        report.error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_team_runs_many_tasks_at_once_and_the_cache_serves_repeats() {
    let cache = Arc::new(MemoryCache::new(10_000, Duration::from_secs(3600)));
    let base = out_dir("many");
    let team = Team::builder()
        .stack("express-ts")
        .cache(cache.clone())
        .build()
        .unwrap();
    let reports = futures::stream::iter(0..100)
        .map(|i| {
            let (team, dir) = (team.clone(), base.join(format!("run-{i}")));
            async move { team.run_into("Build an Express API", &dir).await }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert!(reports.iter().all(|r| r.status == RunStatus::Completed));
    assert!(base.join("run-99/src/app.ts").exists());
    // Five distinct calls (one per action) were made and stored; every other one was shared
    // in flight or served from the cache.
    assert_eq!(cache.stats().sets, 5);
    assert_eq!(reports.iter().map(|r| r.llm_calls).sum::<u64>(), 500);
    std::fs::remove_dir_all(&base).ok();
}

#[tokio::test]
async fn a_plan_is_approved_or_rejected_through_the_handle_or_times_out() {
    let out_manual = out_dir("manual");
    let manual = |secs: f64| {
        Team::builder()
            .stack("fastapi")
            .dry_run(true)
            .output_dir(&out_manual)
            .approval(ApprovalPolicy::Manual {
                timeout: Duration::from_secs_f64(secs),
            })
            .build()
            .unwrap()
    };
    let run = manual(30.0).start("Create a FastAPI /health endpoint");
    let plan = run.plan().await.unwrap();
    assert_eq!(plan.kind, "plan");
    run.reject("too big");
    let report = run.report().await;
    assert_eq!(
        (report.status, report.error.as_deref()),
        (RunStatus::Rejected, Some("too big"))
    );

    let run = manual(30.0).start("Create a FastAPI /health endpoint");
    run.plan().await.unwrap();
    run.approve(Some("use pydantic models".into()));
    assert_eq!(run.report().await.status, RunStatus::Completed);

    let run = manual(0.2).start("Create a FastAPI /health endpoint");
    let report = run.report().await;
    assert_eq!(
        (report.status, report.error_code.as_deref()),
        (RunStatus::Failed, Some("approval_timeout"))
    );
    // Without a handle nobody can decide: the gate waits out its timeout all the same.
    let started = std::time::Instant::now();
    let report = manual(0.2).run("Create a FastAPI /health endpoint").await;
    assert_eq!(
        (report.status, report.error_code.as_deref()),
        (RunStatus::Failed, Some("approval_timeout"))
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_cancelled_run_stops_at_once_and_writes_nothing() {
    struct Slow;
    #[async_trait]
    impl mgx_core::llm::LlmProvider for Slow {
        fn id(&self) -> mgx_core::llm::ProviderId {
            mgx_core::llm::ProviderId::new("slow", "m")
        }
        async fn complete(&self, _r: &ChatRequest) -> mgx_core::Result<ChatResponse> {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(ChatResponse::text("{}"))
        }
    }
    let dir = out_dir("cancel");
    let (sink, stream) = ChannelSink::new(64);
    let team = Team::builder()
        .provider(Arc::new(Slow))
        .stack("fastapi")
        .output_dir(&dir)
        .sink(Arc::new(sink))
        .build()
        .unwrap();
    let run = team.start("Create a FastAPI /health endpoint");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    run.cancel();
    let report = run.report().await;
    drop(team);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        (report.status, report.error_code.as_deref()),
        (RunStatus::Cancelled, Some("cancelled"))
    );
    assert!(!dir.exists());
    let types: Vec<String> = stream
        .map(|e| e.event_type.as_str().to_string())
        .collect()
        .await;
    assert_eq!(types.last().map(String::as_str), Some("cancelled"));
}

#[tokio::test]
async fn a_human_reviewer_takes_the_reviewers_place() {
    let (provider, calls) = scripted(vec![GOOD_CODE], vec!["never asked"]);
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let out_human = out_dir("human");
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_human)
        .human_reviewer(move |review: &mgx_core::team::HumanReview| {
            assert!(
                review.code.contains("FILE: app/main.py")
                    && review.tests.contains("def test_health")
            );
            let n = counter.fetch_add(1, Ordering::SeqCst);
            mgx_core::team::ReviewVerdict {
                verdict: if n == 0 {
                    "changes_required"
                } else {
                    "approved"
                }
                .into(),
                findings: vec!["name the endpoint's tag".into()],
            }
        })
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(
        (seen.load(Ordering::SeqCst), report.revision_rounds),
        (2, 1)
    );
    assert!(
        calls
            .lock()
            .unwrap()
            .iter()
            .all(|r| action(r) != "review_code")
    );
}

fn project(name: &str) -> crate::TestDir {
    let dir = out_dir(name);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/main.py"),
        "from fastapi import FastAPI\n\napp = FastAPI(title=\"mine\")\n",
    )
    .unwrap();
    std::fs::write(dir.join("requirements.txt"), "fastapi\n").unwrap();
    dir
}

#[tokio::test]
async fn offline_patch_mode_adds_what_the_project_lacks_and_keeps_its_files() {
    let dir = project("patch-offline");
    let (sink, stream) = ChannelSink::new(1024);
    let team = Team::builder()
        .stack("fastapi")
        .project(&dir)
        .sink(Arc::new(sink))
        .build()
        .unwrap();
    let report = team.run("Add a health endpoint").await;
    drop(team);
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(
        std::fs::read_to_string(dir.join("app/main.py")).unwrap(),
        "from fastapi import FastAPI\n\napp = FastAPI(title=\"mine\")\n"
    );
    assert!(
        dir.join("app/routers/health.py").exists() && dir.join("tests/test_health.py").exists()
    );
    let events: Vec<Event> = stream.collect().await;
    let approvals = events
        .iter()
        .filter(|e| e.event_type == EventType::ApprovalRequired)
        .count();
    assert_eq!(approvals, 2, "the plan, then the change set");
    let applied = events
        .iter()
        .find(|e| e.event_type == EventType::PatchApplied)
        .unwrap();
    assert_eq!(applied.data["hash"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn a_diff_that_does_not_place_goes_back_and_the_change_set_is_approved_by_hash() {
    let wrong = "--- a/app/main.py\n+++ b/app/main.py\n@@ -1,3 +1,4 @@\n from fastapi import FastAPI\n \n-app = FastAPI()\n+app = FastAPI()\n+# health\n";
    let right = "--- a/app/main.py\n+++ b/app/main.py\n@@ -1,3 +1,8 @@\n from fastapi import FastAPI\n \n app = FastAPI(title=\"mine\")\n+\n+\n+@app.get(\"/health\")\n+def health() -> dict[str, str]:\n+    return {\"status\": \"ok\"}\n";
    let (provider, calls) = scripted(vec![wrong, right], vec![r#"{"verdict": "approved"}"#]);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let dir = project("patch-scripted");
    let team = Team::builder()
        .provider(provider.clone())
        .stack("fastapi")
        .project(&dir)
        .approval(ApprovalPolicy::Callback(Arc::new(move |m: &Message| {
            log.lock().unwrap().push(m.kind.to_string());
            if m.kind == "change_set" {
                assert_eq!(m.data()["hash"].as_str().unwrap().len(), 64);
                assert!(m.data()["diff"].as_str().unwrap().contains("/health"));
            }
            Approval::Approve { feedback: None }
        })))
        .build()
        .unwrap();
    let report = team.run("Add a /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(*seen.lock().unwrap(), ["plan", "change_set"]);
    assert!(!report.validations[0].valid && report.validations[1].valid);
    assert!(
        report.validations[0].summary.contains("app/main.py"),
        "{}",
        report.validations[0].summary
    );
    // The retry saw why the first diff did not place.
    let second = prompts(&calls, "write_code")[1].clone();
    assert!(second.contains("nearest"), "{second}");
    assert!(
        std::fs::read_to_string(dir.join("app/main.py"))
            .unwrap()
            .contains("def health")
    );
    // The project's own file was shown to the engineer.
    assert!(second.contains("FastAPI(title=\\\"mine\\\")"), "{second}");

    // A rejected change set leaves the project as it was.
    let dir = project("patch-rejected");
    let (provider, _) = scripted(vec![right], vec![r#"{"verdict": "approved"}"#]);
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .project(&dir)
        .approval(ApprovalPolicy::Callback(Arc::new(|m: &Message| {
            if m.kind == "change_set" {
                Approval::Reject {
                    reason: "not now".into(),
                }
            } else {
                Approval::Approve { feedback: None }
            }
        })))
        .build()
        .unwrap();
    let report = team.run("Add a /health endpoint").await;
    assert_eq!(report.status, RunStatus::Rejected);
    assert!(
        !std::fs::read_to_string(dir.join("app/main.py"))
            .unwrap()
            .contains("def health")
    );
    assert!(!dir.join("tests").exists());
}

#[tokio::test]
async fn unreadable_analysis_or_plan_fails_typed_after_asking_twice() {
    for (phase, broken) in [
        ("analyze_task", "I think this is a medium task."),
        ("draft_plan", "First code, then test."),
    ] {
        let asked = Arc::new(AtomicUsize::new(0));
        let count = asked.clone();
        let provider = Scripted::from_fn(move |req| {
            let a = action(req);
            if a == phase {
                count.fetch_add(1, Ordering::SeqCst);
                return Ok(ChatResponse::text(broken));
            }
            Ok(ChatResponse::text(match a.as_str() {
                "analyze_task" => r#"{"complexity": "M"}"#,
                _ => r#"{"steps": ["x"]}"#,
            }))
        });
        let dir = out_dir(&format!("unreadable-{phase}"));
        let team = Team::builder()
            .provider(Arc::new(provider))
            .stack("fastapi")
            .output_dir(&dir)
            .build()
            .unwrap();
        let report = team.run("Create a FastAPI /health endpoint").await;
        assert_eq!(
            (report.status, report.error_code.as_deref()),
            (RunStatus::Failed, Some("unreadable_output")),
            "{phase}"
        );
        assert_eq!(asked.load(Ordering::SeqCst), 2, "{phase}: asked again once");
        assert!(!dir.exists());
        // The analysis made (and paid for) before an unreadable plan is still reported.
        let analysis = (phase == "draft_plan").then(|| serde_json::json!({"complexity": "M"}));
        assert_eq!(report.analysis, analysis, "{phase}");
    }
}

#[tokio::test]
async fn the_dollar_budget_follows_the_complexity() {
    use mgx_core::cost::Price;
    // $1 per token both ways (absurd, to make the limit bite): XS gives $1.5 x multiplier.
    let prices = PriceTable::new().with(
        "scripted",
        Price {
            input_per_million: 1e6,
            output_per_million: 1e6,
        },
    );
    let (provider, _) = scripted(vec![GOOD_CODE], vec![r#"{"verdict": "approved"}"#]);
    let out_complexity = out_dir("complexity");
    let team = Team::builder()
        .provider(provider.clone())
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_complexity)
        .max_tokens(100)
        .budget_by_complexity(1_000.0, prices.clone())
        .build()
        .unwrap();
    // $1,500 for an S task: 15 tokens a call at $1 a token fits easily.
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.cost_usd, Some(15.0 * report.llm_calls as f64));
    // With a multiplier that leaves $150, the worst case of a call (prompt + 100 tokens) no
    // longer fits after the analysis: the run stops before passing it.
    let out_complexity_2 = out_dir("complexity-2");
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_complexity_2)
        .max_tokens(100)
        .budget_by_complexity(100.0, prices)
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::BudgetExceeded, "{:?}", report);
    assert!(report.cost_usd.unwrap_or(0.0) <= 150.0);
    // Unpriced models under a dollar limit are an error, not a pass.
    let out_complexity_3 = out_dir("complexity-3");
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_complexity_3)
        .budget_by_complexity(1.0, PriceTable::new())
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(
        (report.status, report.error_code.as_deref()),
        (RunStatus::Failed, Some("config"))
    );
    assert!(
        Team::builder()
            .budget_by_complexity(0.0, PriceTable::new())
            .build()
            .is_err()
    );
}

#[tokio::test]
async fn prompts_are_templates_the_caller_can_replace() {
    let (provider, calls) = scripted(vec![GOOD_CODE], vec![r#"{"verdict": "approved"}"#]);
    let out_prompts = out_dir("prompts");
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_prompts)
        .prompt(
            "review_code",
            "Review as a security auditor for {{stack_name}}. {\"verdict\": ...}",
        )
        .build()
        .unwrap();
    assert_eq!(
        team.run("Create a FastAPI /health endpoint").await.status,
        RunStatus::Completed
    );
    let systems: Vec<String> = calls
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.messages[0].content.clone())
        .collect();
    assert!(systems.iter().any(|s| s == "mgx-action: review_code\nReview as a security auditor for Python + FastAPI. {\"verdict\": ...}"), "{systems:#?}");
    // The others keep their defaults, filled in.
    assert!(
        systems
            .iter()
            .any(|s| s.starts_with("mgx-action: write_test\n") && s.contains("pytest"))
    );
    let e = Team::builder()
        .prompt("review_code", "{{stak}}")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("stak"), "{e}");
    let e = Team::builder().prompt("sing", "x").build().unwrap_err();
    assert!(e.to_string().contains("sing"), "{e}");
}

#[tokio::test]
async fn a_journaled_run_resumes_without_paying_twice() {
    let base = out_dir("journal");
    let dir = out_dir("journal-out");
    // Stops at the approval gate (nobody approves in time): analysis and plan are paid for.
    let (provider, calls) = scripted(vec![GOOD_CODE], vec![r#"{"verdict": "approved"}"#]);
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .output_dir(&dir)
        .run_dir(&base)
        .approval(ApprovalPolicy::Manual {
            timeout: Duration::from_millis(100),
        })
        .build()
        .unwrap();
    let first = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(first.error_code.as_deref(), Some("approval_timeout"));
    assert_eq!(calls.lock().unwrap().len(), 2);
    let run_dir = std::path::PathBuf::from(first.run_dir.clone().unwrap());
    assert!(run_dir.join("run.json").exists() && run_dir.join("events.jsonl").exists());
    assert_eq!(
        std::fs::read_to_string(run_dir.join("calls.jsonl"))
            .unwrap()
            .lines()
            .count(),
        2
    );

    // Later, another team (another process, say) approves: the two answers come from the
    // journal, only the rest is asked.
    let (provider, calls) = scripted(vec![GOOD_CODE], vec![r#"{"verdict": "approved"}"#]);
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .output_dir(&dir)
        .build()
        .unwrap();
    let second = team.resume(&run_dir).await;
    assert_eq!(second.status, RunStatus::Completed, "{:?}", second.error);
    let asked: Vec<String> = calls.lock().unwrap().iter().map(action).collect();
    assert_eq!(asked, ["write_code", "write_test", "review_code"]);
    assert!(dir.join("app/main.py").exists());

    // Resuming a finished run pays for nothing at all.
    let failing = Scripted::from_fn(|_| Err(Error::provider("must not be called")));
    let team = Team::builder()
        .provider(Arc::new(failing))
        .stack("fastapi")
        .output_dir(&dir)
        .build()
        .unwrap();
    let third = team.resume(&run_dir).await;
    assert_eq!(third.status, RunStatus::Completed, "{:?}", third.error);
    // A directory that is not a run is a typed error.
    let report = team.resume(&base).await;
    assert_eq!(report.error_code.as_deref(), Some("io"));
    std::fs::remove_dir_all(&base).ok();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_limits_its_concurrent_runs() {
    struct Gauge {
        now: AtomicUsize,
        peak: AtomicUsize,
    }
    struct Tracked(Arc<Gauge>);
    #[async_trait]
    impl mgx_core::llm::LlmProvider for Tracked {
        fn id(&self) -> mgx_core::llm::ProviderId {
            mgx_core::llm::ProviderId::new("offline", "scaffold")
        }
        async fn complete(&self, r: &ChatRequest) -> mgx_core::Result<ChatResponse> {
            let n = self.0.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.0.peak.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            let answer = mgx_core::providers::Offline.complete(r).await;
            self.0.now.fetch_sub(1, Ordering::SeqCst);
            answer
        }
    }
    let gauge = Arc::new(Gauge {
        now: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    let out_limit = out_dir("limit");
    let team = Team::builder()
        .provider(Arc::new(Tracked(gauge.clone())))
        .stack("flask")
        .dry_run(true)
        .output_dir(&out_limit)
        .max_concurrent_runs(3)
        .build()
        .unwrap();
    let reports = futures::future::join_all((0..12).map(|_| team.run("Build a Flask app"))).await;
    assert!(reports.iter().all(|r| r.status == RunStatus::Completed));
    // One call at a time per run, so calls in flight never pass the number of runs.
    assert!(
        gauge.peak.load(Ordering::SeqCst) <= 3,
        "{}",
        gauge.peak.load(Ordering::SeqCst)
    );
    assert!(Team::builder().max_concurrent_runs(0).build().is_err());
}

#[tokio::test]
async fn a_huge_task_runs_or_fails_typed() {
    let task = format!(
        "Create a FastAPI /health endpoint. {}",
        "Details follow. ".repeat(100_000)
    );
    let out_huge = out_dir("huge");
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_huge)
        .build()
        .unwrap();
    let report = team.run(&task).await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    // Under a token budget the same task is refused before any call: its prompt alone
    // passes the limit.
    let out_huge_2 = out_dir("huge-2");
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_huge_2)
        .budget(
            Budget {
                max_tokens: Some(100_000),
                ..Budget::default()
            },
            PriceTable::new(),
        )
        .build()
        .unwrap();
    let report = team.run(&task).await;
    assert_eq!(
        (report.status, report.llm_calls),
        (RunStatus::BudgetExceeded, 0)
    );
}

/// The default team's actions, one per phase, in order.
const ACTIONS: [&str; 5] = [
    "analyze_task",
    "draft_plan",
    "write_code",
    "write_test",
    "review_code",
];

/// Answers like the offline provider, after `delay`; on `hang`, never.
struct Slow {
    delay: Duration,
    hang: Option<&'static str>,
}

#[async_trait]
impl mgx_core::llm::LlmProvider for Slow {
    fn id(&self) -> mgx_core::llm::ProviderId {
        mgx_core::llm::ProviderId::new("offline", "scaffold")
    }
    async fn complete(&self, r: &ChatRequest) -> mgx_core::Result<ChatResponse> {
        if self.hang.is_some_and(|a| action(r) == a) {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(self.delay).await;
        mgx_core::llm::LlmProvider::complete(&mgx_core::providers::Offline, r).await
    }
}

#[tokio::test]
async fn cancelling_in_any_phase_ends_cancelled_and_writes_nothing() {
    for phase in ACTIONS {
        let dir = out_dir(&format!("cancel-{phase}"));
        let (sink, stream) = ChannelSink::new(256);
        let team = Team::builder()
            .provider(Arc::new(Slow {
                delay: Duration::ZERO,
                hang: Some(phase),
            }))
            .stack("fastapi")
            .output_dir(&dir)
            .sink(Arc::new(sink))
            .build()
            .unwrap();
        let run = team.start("Create a FastAPI /health endpoint");
        // Wait until the run is inside the hanging call.
        tokio::time::sleep(Duration::from_millis(100)).await;
        run.cancel();
        let report = tokio::time::timeout(Duration::from_secs(5), run.report())
            .await
            .expect("cancelled promptly");
        drop(team);
        assert_eq!(
            report.status,
            RunStatus::Cancelled,
            "{phase}: {:?}",
            report.error
        );
        assert!(!dir.exists(), "{phase}: nothing written");
        let events: Vec<Event> = stream.collect().await;
        assert_eq!(
            events.last().map(|e| e.event_type.as_str()),
            Some("cancelled"),
            "{phase}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_past_its_deadline_ends_the_run_in_any_phase_and_writes_nothing() {
    for phase in ACTIONS {
        let dir = out_dir(&format!("deadline-{phase}"));
        let team = Team::builder()
            .provider(Arc::new(Slow {
                delay: Duration::from_secs(1),
                hang: Some(phase),
            }))
            .stack("fastapi")
            .output_dir(&dir)
            .call_timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let started = tokio::time::Instant::now();
        let report = team.run("Create a FastAPI /health endpoint").await;
        assert_eq!(report.status, RunStatus::Failed, "{phase}");
        assert_eq!(report.error_code.as_deref(), Some("timeout"), "{phase}");
        assert!(
            matches!(
                report.failure,
                Some(mgx_core::Error::Timeout {
                    stage: mgx_core::TimeoutStage::Deadline,
                    ..
                })
            ),
            "{phase}: {:?}",
            report.failure
        );
        // The calls before took a second each; the hanging one its 30 s, not more.
        let took = started.elapsed().as_secs();
        assert!((30..=35).contains(&took), "{phase}: {took} s");
        assert!(!dir.exists(), "{phase}: nothing written");
    }
    assert!(
        Team::builder()
            .call_timeout(Duration::ZERO)
            .build()
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn calls_each_within_the_deadline_pass_however_long_the_run() {
    // Five calls of 20 s each under a 30 s deadline: the run takes 100 s, no call 30.
    let out_deadline_long_run = out_dir("deadline-long-run");
    let team = Team::builder()
        .provider(Arc::new(Slow {
            delay: Duration::from_secs(20),
            hang: None,
        }))
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&out_deadline_long_run)
        .call_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.llm_calls, 5);
    assert_eq!(started.elapsed().as_secs(), 100);
}

#[tokio::test]
async fn a_dry_run_into_an_existing_directory_writes_nothing_and_completes() {
    // Regression: a dry run against an existing output directory used to end as a failure,
    // because the transaction's dry-run status was not counted as success.
    let dir = out_dir("dry-existing");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("keep.txt"), "mine\n").unwrap();
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .output_dir(&dir)
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert!(report.files.contains(&"app/main.py".to_string()));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["keep.txt"], "nothing written");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_handle_is_shared_its_report_awaited_twice_and_plan_ends_with_the_run() {
    // A run that fails before any plan: waiting for the plan ends with the run, not never.
    #[derive(Debug)]
    struct ClientDown;
    impl std::fmt::Display for ClientDown {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("the client is down")
        }
    }
    impl std::error::Error for ClientDown {}
    let failing = Scripted::from_fn(|_| {
        Err(Error::Provider {
            message: "the client is down".into(),
            cause: Some(Arc::new(ClientDown)),
        })
    });
    let team = Team::builder()
        .provider(Arc::new(failing))
        .stack("fastapi")
        .approval(ApprovalPolicy::Manual {
            timeout: Duration::from_secs(300),
        })
        .dry_run(true)
        .build()
        .unwrap();
    let run = Arc::new(team.start("Create a FastAPI /health endpoint"));
    let waiting = {
        let run = run.clone();
        tokio::spawn(async move { run.plan().await })
    };
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("plan() ends when the run does")
            .unwrap(),
        None
    );
    let (first, second) = (run.report().await, run.report().await);
    assert!(run.is_finished());
    assert_eq!(first, second);
    assert_eq!(first.status, RunStatus::Failed);
    // The provider's own error is kept as the cause, for bindings to hand back.
    let failure = first.failure.expect("the error itself");
    assert!(std::error::Error::source(&failure).is_some());
    let cause = failure.cause().expect("a cause");
    assert!(cause.downcast_ref::<ClientDown>().is_some());
    // Not serialized: error and error_code say it in JSON.
    let json = serde_json::to_value(&second).unwrap();
    assert!(json.get("failure").is_none());
    assert_eq!(json["error_code"], "provider");
}

#[tokio::test]
async fn run_options_add_sinks_and_an_output_dir_per_run_and_wrap_the_task() {
    let team = Team::builder().stack("fastapi").build().unwrap();
    let (sink, events) = ChannelSink::new(1024);
    let out = out_dir("run-options");
    let wrapped = Arc::new(AtomicUsize::new(0));
    let count = wrapped.clone();
    let options = mgx_core::team::RunOptions::default()
        .output_dir(&out)
        .sink(Arc::new(sink))
        .wrap(Arc::new(move |run| {
            count.fetch_add(1, Ordering::SeqCst);
            run
        }));
    let run = team.start_with("Create a FastAPI /health endpoint with tests", options);
    let report = run.report().await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(wrapped.load(Ordering::SeqCst), 1);
    assert!(out.join("app/main.py").is_file());
    let events: Vec<Event> = events.collect().await;
    assert_eq!(events.first().unwrap().event_type, EventType::AnalysisStart);
    assert_eq!(events.last().unwrap().event_type, EventType::Completion);
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test]
async fn a_run_started_cancelled_ends_cancelled_and_writes_nothing() {
    let out = out_dir("started-cancelled");
    let team = Team::builder().stack("fastapi").build().unwrap();
    let options = mgx_core::team::RunOptions::default()
        .output_dir(&out)
        .cancelled(true);
    let report = team
        .start_with("Create a FastAPI /health endpoint", options.clone())
        .report()
        .await;
    assert_eq!(report.status, RunStatus::Cancelled);
    assert_eq!(report.llm_calls, 0);
    assert!(!out.exists());
    let report = team
        .run_with("Create a FastAPI /health endpoint", options)
        .await;
    assert_eq!(report.status, RunStatus::Cancelled);
}

#[tokio::test]
async fn a_patch_run_finds_the_stack_in_the_projects_files() {
    let dir = out_dir("infer-from-project");
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/main.py"),
        "from fastapi import FastAPI\n\napp = FastAPI()\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("requirements.txt"),
        "fastapi>=0.110\nuvicorn[standard]\n",
    )
    .unwrap();
    let team = Team::builder().project(&dir).build().unwrap();
    let report = team.run("Add a /health endpoint with tests").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.stack.as_deref(), Some("fastapi"));
    assert!(report.stack_confidence > 0.0);
    // Nothing to go on: still a typed failure.
    let empty = out_dir("infer-from-nothing");
    std::fs::create_dir_all(&empty).unwrap();
    let report = Team::builder()
        .project(&empty)
        .build()
        .unwrap()
        .run("Add a /health endpoint")
        .await;
    assert_eq!(report.status, RunStatus::Failed);
    assert_eq!(report.error_code.as_deref(), Some("task"));
}

#[tokio::test]
async fn an_async_approval_function_decides_each_gate_within_its_time() {
    let shown = Arc::new(Mutex::new(Vec::new()));
    let seen = shown.clone();
    let decide = Arc::new(move |m: Message| {
        seen.lock().unwrap().push(m.kind);
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Approval::Approve {
                feedback: Some("fine".into()),
            }
        }) as futures::future::BoxFuture<'static, Approval>
    });
    let team = Team::builder()
        .dry_run(true)
        .approval(ApprovalPolicy::AsyncCallback {
            decide,
            timeout: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    let report = team
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(*shown.lock().unwrap(), ["plan"]);
    // Too slow: the run ends with approval_timeout.
    let slow = Arc::new(|_m: Message| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Approval::Approve { feedback: None }
        }) as futures::future::BoxFuture<'static, Approval>
    });
    let team = Team::builder()
        .dry_run(true)
        .approval(ApprovalPolicy::AsyncCallback {
            decide: slow,
            timeout: Duration::from_millis(50),
        })
        .build()
        .unwrap();
    let report = team
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.error_code.as_deref(), Some("approval_timeout"));
}

/// A role whose reaction runs elsewhere (as a binding's does, on another thread or in another
/// language) and holds only an `AskHandle`; its reaction here serves the calls it asks for.
struct Delegating;

#[async_trait]
impl mgx_core::team::Role for Delegating {
    fn name(&self) -> &str {
        "delegating"
    }

    fn watches(&self) -> Vec<String> {
        vec!["code".into()]
    }

    async fn react(&self, ctx: &RunContext, message: &Message) -> mgx_core::Result<Vec<Message>> {
        use mgx_core::team::asks;
        let (handle, mut requests) = asks::channel("delegating");
        let lines = message.content.lines().count();
        let elsewhere = tokio::spawn(async move {
            let first = handle
                .ask(
                    format!("{lines} lines: any secrets?"),
                    Some("security_review".into()),
                    None,
                )
                .unwrap();
            let second = handle
                .ask("and style?", None, Some("Be brief.".into()))
                .unwrap();
            let (first, second) = futures::join!(first, second);
            (first, second, handle)
        });
        let (first, second, handle) = ctx.serving(&mut requests, elsewhere).await?.unwrap();
        drop(requests);
        // Once its reaction is over, the handle asks nothing.
        assert_eq!(
            handle.ask("too late", None, None).err(),
            Some(asks::Ended("delegating".into()))
        );
        Ok(vec![Message::new(
            "security_report",
            "delegating",
            format!("{} / {}", first?, second?),
            serde_json::Value::Null,
        )])
    }
}

#[tokio::test]
async fn a_role_elsewhere_asks_through_a_handle_its_reaction_serves() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen_calls = calls.clone();
    let provider = Scripted::from_fn(move |req| {
        seen_calls.lock().unwrap().push(req.clone());
        let text = match action(req).as_str() {
            "analyze_task" => r#"{"complexity": "S", "files": ["app/main.py"]}"#,
            "draft_plan" => r#"{"steps": ["code", "tests", "review"]}"#,
            "write_code" => GOOD_CODE,
            "write_test" => GOOD_TESTS,
            "review_code" => r#"{"verdict": "approved", "findings": []}"#,
            "security_review" => "no secrets",
            "delegating" => "fine style",
            other => panic!("unexpected action {other}"),
        };
        Ok(ChatResponse::text(text))
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let team = Team::builder()
        .provider(Arc::new(provider))
        .stack("fastapi")
        .dry_run(true)
        .add_role(Arc::new(Delegating))
        .add_role(Arc::new(Recorder {
            kind: "security_report",
            seen: seen.clone(),
        }))
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.llm_calls, 7);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].content, "no secrets / fine style");
    let calls = calls.lock().unwrap();
    let style = calls.iter().find(|r| action(r) == "delegating").unwrap();
    assert!(style.messages[0].content.ends_with("Be brief."));
    assert_eq!(style.messages[1].content, "and style?");
}

/// A role whose reaction elsewhere never ends.
struct Stuck;

#[async_trait]
impl mgx_core::team::Role for Stuck {
    fn name(&self) -> &str {
        "stuck"
    }

    fn watches(&self) -> Vec<String> {
        vec!["task".into()]
    }

    async fn react(&self, ctx: &RunContext, _message: &Message) -> mgx_core::Result<Vec<Message>> {
        let (_handle, mut requests) = mgx_core::team::asks::channel("stuck");
        ctx.serving(&mut requests, std::future::pending::<()>())
            .await?;
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn a_cancelled_run_stops_serving_a_reaction_that_never_ends() {
    let team = Team::builder()
        .stack("fastapi")
        .dry_run(true)
        .roles(vec![Arc::new(Stuck)])
        .build()
        .unwrap();
    let run = team.start("Create a FastAPI /health endpoint");
    tokio::time::sleep(Duration::from_millis(50)).await;
    run.cancel();
    let report = tokio::time::timeout(Duration::from_secs(5), run.report())
        .await
        .expect("the cancelled run ends");
    assert_eq!(report.status, RunStatus::Cancelled);
}

/// An engineer of the caller's: publishes `code` with its files as data, no model.
struct TemplateEngineer {
    path: &'static str,
}

#[async_trait]
impl mgx_core::team::Role for TemplateEngineer {
    fn name(&self) -> &str {
        "engineer"
    }

    fn watches(&self) -> Vec<String> {
        vec!["approved_plan".into(), "revision_request".into()]
    }

    async fn react(&self, _ctx: &RunContext, _message: &Message) -> mgx_core::Result<Vec<Message>> {
        let files = mgx_guardrails::parse(GOOD_CODE).files;
        let mut files: Vec<serde_json::Value> = files
            .into_iter()
            .map(|f| serde_json::json!({"path": f.path, "content": f.content}))
            .collect();
        files[0]["path"] = self.path.into();
        Ok(vec![Message::new(
            "code",
            "engineer",
            "from a template",
            serde_json::json!({ "files": files }),
        )])
    }
}

#[tokio::test]
async fn code_a_custom_role_publishes_is_validated_before_anyone_reads_it() {
    for (path, valid) in [("app/main.py", true), ("../outside.py", false)] {
        let (provider, calls) = scripted(
            vec![GOOD_CODE],
            vec![r#"{"verdict": "approved", "findings": []}"#],
        );
        let dir = out_dir(if valid {
            "custom-engineer-ok"
        } else {
            "custom-engineer-bad"
        });
        let team = fastapi_team_with(provider, &dir, Arc::new(TemplateEngineer { path }));
        let report = team.run("Create a FastAPI /health endpoint").await;
        // Invalid code goes back to its author (it watches `revision_request`) twice, the
        // team's validation retries, and comes back as invalid each time.
        let attempts = if valid { 1 } else { 3 };
        assert_eq!(report.validations.len(), attempts, "{path}");
        assert!(
            report.validations.iter().all(|v| v.valid == valid),
            "{:?}",
            report.validations
        );
        if valid {
            assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
            assert!(dir.join("app/main.py").is_file());
        } else {
            assert_eq!(report.error_code.as_deref(), Some("validation"));
            assert!(
                matches!(report.failure, Some(Error::Invalid { attempts: 3, .. })),
                "{:?}",
                report.failure
            );
            // Failed where the code was published: no tests, no review were asked for.
            assert!(prompts(&calls, "write_test").is_empty());
            assert!(
                !dir.join("app").exists() && !dir.parent().unwrap().join("outside.py").exists()
            );
        }
    }
}

/// An engineer of the caller's that gets its first answer wrong (a path out of the project)
/// and mends it from the errors a `revision_request` brings; or, `mends: false`, answers the
/// request with a note instead of code.
struct MendingEngineer {
    mends: bool,
    requests: Mutex<Vec<serde_json::Value>>,
}

#[async_trait]
impl mgx_core::team::Role for MendingEngineer {
    fn name(&self) -> &str {
        "engineer"
    }

    fn watches(&self) -> Vec<String> {
        vec!["approved_plan".into(), "revision_request".into()]
    }

    async fn react(&self, ctx: &RunContext, message: &Message) -> mgx_core::Result<Vec<Message>> {
        let path = if message.kind == "revision_request" {
            self.requests.lock().unwrap().push(message.data().clone());
            if !self.mends {
                return Ok(vec![Message::new(
                    "note",
                    "engineer",
                    "not now",
                    serde_json::Value::Null,
                )]);
            }
            "app/main.py"
        } else {
            "../outside.py"
        };
        TemplateEngineer { path }.react(ctx, message).await
    }
}

#[tokio::test]
async fn invalid_custom_code_goes_back_to_its_author_with_the_errors() {
    for mends in [true, false] {
        let (provider, calls) = scripted(
            vec![GOOD_CODE],
            vec![r#"{"verdict": "approved", "findings": []}"#],
        );
        let dir = out_dir(if mends {
            "custom-mends"
        } else {
            "custom-answers-otherwise"
        });
        let engineer = Arc::new(MendingEngineer {
            mends,
            requests: Mutex::new(Vec::new()),
        });
        let team = fastapi_team_with(provider, &dir, engineer.clone());
        let report = team.run("Create a FastAPI /health endpoint").await;
        // The request named what was wrong and which attempt it was.
        let requests = engineer.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert_eq!(requests[0]["attempt"], 1);
        let errors = requests[0]["validation_errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e.as_str().unwrap().contains("outside.py")),
            "{errors:?}"
        );
        assert!(!report.validations[0].valid);
        if mends {
            assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
            assert_eq!(report.validations.len(), 2);
            assert!(report.validations[1].valid && report.validations[1].attempt == 2);
            assert!(dir.join("app/main.py").is_file());
            // Only the mended code reached the tester.
            let tests = prompts(&calls, "write_test");
            assert_eq!(tests.len(), 1);
            assert!(!tests[0].contains("outside.py"));
        } else {
            // The invalid code is not written for want of a better one.
            assert_eq!(
                report.error_code.as_deref(),
                Some("validation"),
                "{:?}",
                report.error
            );
            assert!(prompts(&calls, "write_test").is_empty());
            assert!(!dir.join("app").exists());
        }
    }
}

#[tokio::test]
async fn invalid_custom_code_ends_the_run_at_once_when_nobody_revises_or_no_retries_are_left() {
    for (watches_requests, retries) in [(false, 2), (true, 0)] {
        let (provider, _) = scripted(vec![], vec![]);
        let engineer = ManifestAuthor {
            name: "engineer",
            watches: if watches_requests {
                &["approved_plan", "revision_request"]
            } else {
                &["approved_plan"]
            },
            kind: "code",
            text: "FILE: ../outside.py\nprint('hi')\n",
        };
        let roles = default_roles_with(Arc::new(engineer));
        let dir = out_dir("custom-no-revision");
        let team = Team::builder()
            .provider(provider)
            .stack("fastapi")
            .dry_run(true)
            .output_dir(&dir)
            .max_validation_retries(retries)
            .roles(roles)
            .build()
            .unwrap();
        let report = team.run("Create a FastAPI /health endpoint").await;
        assert_eq!(report.error_code.as_deref(), Some("validation"));
        assert_eq!(report.validations.len(), 1, "{watches_requests} {retries}");
        assert!(matches!(
            report.failure,
            Some(Error::Invalid { attempts: 1, .. })
        ));
    }
}

/// A custom engineer and tester that answer as the model would: a FILE manifest as the text.
struct ManifestAuthor {
    name: &'static str,
    watches: &'static [&'static str],
    kind: &'static str,
    text: &'static str,
}

#[async_trait]
impl mgx_core::team::Role for ManifestAuthor {
    fn name(&self) -> &str {
        self.name
    }

    fn watches(&self) -> Vec<String> {
        self.watches.iter().map(|w| w.to_string()).collect()
    }

    async fn react(&self, _ctx: &RunContext, _message: &Message) -> mgx_core::Result<Vec<Message>> {
        Ok(vec![Message::new(
            self.kind,
            self.name,
            self.text,
            serde_json::json!({"note": "written by hand"}),
        )])
    }
}

#[tokio::test]
async fn custom_code_and_tests_given_as_a_file_manifest_are_read_validated_and_written() {
    let dir = out_dir("manifest-authors");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let roles: Vec<Arc<dyn mgx_core::team::Role>> = mgx_core::team::default_roles()
        .into_iter()
        .map(|r| match r.name() {
            "engineer" => Arc::new(ManifestAuthor {
                name: "engineer",
                watches: &["approved_plan", "revision_request"],
                kind: "code",
                text: GOOD_CODE,
            }) as Arc<dyn mgx_core::team::Role>,
            "tester" => Arc::new(ManifestAuthor {
                name: "tester",
                watches: &["code"],
                kind: "tests",
                text: GOOD_TESTS,
            }),
            _ => r,
        })
        .chain([Arc::new(Recorder {
            kind: "tests",
            seen: seen.clone(),
        }) as Arc<dyn mgx_core::team::Role>])
        .collect();
    let (provider, _) = scripted(
        vec![GOOD_CODE],
        vec![r#"{"verdict": "approved", "findings": []}"#],
    );
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .output_dir(&dir)
        .roles(roles)
        .build()
        .unwrap();
    let report = team.run("Create a FastAPI /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.llm_calls, 3);
    assert_eq!(report.validations.len(), 1);
    assert!(dir.join("app/main.py").is_file() && dir.join("tests/test_health.py").is_file());
    assert_eq!(report.tests, vec!["tests/test_health.py".to_string()]);
    // What the next role reads: the files as data, the role's own data kept.
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].data()["note"], "written by hand");
    assert_eq!(seen[0].data()["files"][0]["path"], "tests/test_health.py");
}

/// Tests that replace `app/main.py` with code the stack forbids (Django in a FastAPI project).
const TESTS_BREAKING_CODE: &str = "FILE: tests/test_health.py\ndef test_health() -> None:\n    assert True\nFILE: app/main.py\nfrom django.http import HttpResponse\n";
/// Tests that add the client they use to the code's `requirements.txt`.
const TESTS_ADDING_A_REQUIREMENT: &str = "FILE: tests/test_health.py\nfrom fastapi.testclient import TestClient\n\nfrom app.main import app\n\n\ndef test_health() -> None:\n    assert TestClient(app).get(\"/health\").status_code == 200\nFILE: requirements.txt\nfastapi\nuvicorn\npytest\nhttpx\n";

#[tokio::test]
async fn tests_that_change_the_code_are_held_to_the_codes_rules() {
    let approved = r#"{"verdict": "approved", "findings": []}"#;
    // Tests that break the code are asked for once more, with the errors.
    let (provider, calls) = scripted_tests(
        vec![GOOD_CODE],
        vec![TESTS_BREAKING_CODE, GOOD_TESTS],
        vec![approved],
    );
    let dir = out_dir("tests-break-code-once");
    let report = fastapi_team(provider, &dir)
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let valid: Vec<bool> = report.validations.iter().map(|v| v.valid).collect();
    assert_eq!(valid, [true, false], "{:#?}", report.validations);
    assert!(report.validations[1].errors[0].contains("django"));
    let asks = prompts(&calls, "write_test");
    assert_eq!(asks.len(), 2);
    assert!(
        asks[1].contains("changed files of the code: the tests change app/main.py"),
        "{}",
        asks[1]
    );
    let main = std::fs::read_to_string(dir.join("app/main.py")).unwrap();
    assert!(main.contains("FastAPI()") && !main.contains("django"));

    // Twice: the run fails on validation and writes nothing.
    let (provider, _) = scripted_tests(vec![GOOD_CODE], vec![TESTS_BREAKING_CODE], vec![approved]);
    let dir = out_dir("tests-break-code");
    let report = fastapi_team(provider, &dir)
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.error_code.as_deref(), Some("validation"));
    assert!(
        matches!(&report.failure, Some(Error::Invalid { attempts: 2, summary }) if summary.contains("app/main.py")),
        "{:?}",
        report.failure
    );
    assert!(!dir.join("app").exists() && !dir.join("tests").exists());

    // A change the rules allow is written, validated with the code.
    let (provider, calls) = scripted_tests(
        vec![GOOD_CODE],
        vec![TESTS_ADDING_A_REQUIREMENT],
        vec![approved],
    );
    let dir = out_dir("tests-add-requirement");
    let report = fastapi_team(provider, &dir)
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    assert_eq!(report.validations.len(), 2);
    assert!(report.validations.iter().all(|v| v.valid));
    assert_eq!(prompts(&calls, "write_test").len(), 1);
    let requirements = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
    assert!(requirements.contains("httpx"));

    // Tests that leave the code alone cost no validation of their own.
    let (provider, _) = scripted(vec![GOOD_CODE], vec![approved]);
    let dir = out_dir("tests-alone");
    let report = fastapi_team(provider, &dir)
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(report.validations.len(), 1);
}

#[tokio::test]
async fn custom_tests_that_break_the_code_end_the_run_before_the_review() {
    for (text, valid) in [
        (TESTS_ADDING_A_REQUIREMENT, true),
        (TESTS_BREAKING_CODE, false),
    ] {
        let (provider, calls) = scripted(
            vec![GOOD_CODE],
            vec![r#"{"verdict": "approved", "findings": []}"#],
        );
        let dir = out_dir(if valid {
            "custom-tests-ok"
        } else {
            "custom-tests-bad"
        });
        let tester = Arc::new(ManifestAuthor {
            name: "tester",
            watches: &["code"],
            kind: "tests",
            text,
        });
        let team = fastapi_team_with(provider, &dir, tester);
        let report = team.run("Create a FastAPI /health endpoint").await;
        assert_eq!(report.validations.len(), 2, "{:#?}", report.validations);
        assert_eq!(report.validations[1].valid, valid);
        if valid {
            assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
            let requirements = std::fs::read_to_string(dir.join("requirements.txt")).unwrap();
            assert!(requirements.contains("httpx"));
        } else {
            assert!(
                matches!(&report.failure, Some(Error::Invalid { attempts: 1, summary }) if summary.contains("the tests change app/main.py")),
                "{:?}",
                report.failure
            );
            assert!(prompts(&calls, "review_code").is_empty());
            assert!(!dir.join("app").exists());
        }
    }
}

#[tokio::test]
async fn in_patch_mode_the_change_set_shown_holds_the_tests_lines_too() {
    let right = "--- a/app/main.py\n+++ b/app/main.py\n@@ -1,3 +1,8 @@\n from fastapi import FastAPI\n \n app = FastAPI(title=\"mine\")\n+\n+\n+@app.get(\"/health\")\n+def health() -> dict[str, str]:\n+    return {\"status\": \"ok\"}\n";
    let approved = r#"{"verdict": "approved"}"#;
    let dir = project("patch-tests-shown");
    // The project has a test of its own where the tester writes one.
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        dir.join("tests/test_health.py"),
        "def test_mine() -> None:\n    assert 1 + 1 == 2\n",
    )
    .unwrap();
    let (provider, _) = scripted(vec![right], vec![approved]);
    let shown = Arc::new(Mutex::new(serde_json::Value::Null));
    let seen = shown.clone();
    let team = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .project(&dir)
        .approval(ApprovalPolicy::Callback(Arc::new(move |m: &Message| {
            if m.kind == "change_set" {
                *seen.lock().unwrap() = m.data().clone();
            }
            Approval::Approve { feedback: None }
        })))
        .build()
        .unwrap();
    let report = team.run("Add a /health endpoint").await;
    assert_eq!(report.status, RunStatus::Completed, "{:?}", report.error);
    let shown = shown.lock().unwrap().clone();
    let diff = shown["diff"].as_str().unwrap();
    // The engineer's diff, then the test file as a change of the one there: what it loses too.
    assert!(diff.starts_with(right), "{diff}");
    assert!(
        diff.contains("--- a/tests/test_health.py\n+++ b/tests/test_health.py\n"),
        "{diff}"
    );
    assert!(diff.contains("\n-def test_mine() -> None:\n"), "{diff}");
    assert!(diff.contains("\n+def test_health() -> None:\n"), "{diff}");
    // The hash is the hash of what was shown.
    let hash = <sha2::Sha256 as sha2::Digest>::digest(diff.as_bytes());
    assert_eq!(shown["hash"].as_str().unwrap(), hex::encode(hash));
    assert_eq!(
        shown["files"],
        serde_json::json!(["app/main.py", "tests/test_health.py"])
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("tests/test_health.py")).unwrap(),
        GOOD_TESTS.trim_start_matches("FILE: tests/test_health.py\n")
    );

    // A test file out of the project is refused before anything is read or written.
    let escaping = "FILE: ../escaped_test.py\ndef test_x() -> None:\n    assert True\n";
    let (provider, _) = scripted_tests(vec![right], vec![escaping], vec![approved]);
    let dir = project("patch-tests-escape");
    let report = Team::builder()
        .provider(provider)
        .stack("fastapi")
        .project(&dir)
        .build()
        .unwrap()
        .run("Add a /health endpoint")
        .await;
    assert_eq!(
        report.error_code.as_deref(),
        Some("apply"),
        "{:?}",
        report.error
    );
    assert!(!dir.parent().unwrap().join("escaped_test.py").exists());
    assert!(
        !std::fs::read_to_string(dir.join("app/main.py"))
            .unwrap()
            .contains("def health")
    );
}
