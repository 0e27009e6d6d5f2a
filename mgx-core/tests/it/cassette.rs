//! Cassettes: record, replay, strict replay, record-missing; the file format; no secrets.

use std::sync::Arc;

use mgx_core::Error;
use mgx_core::llm::{ChatRequest, ChatResponse, LlmProvider};
use mgx_core::providers::{Cassette, CassetteEntry, CassetteMode, OpenAiCompatible, Scripted};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A cassette's path in a directory of its own (removed when the directory is dropped).
fn temp(name: &str) -> (crate::TestDir, std::path::PathBuf) {
    let dir = crate::TestDir::new("mgx-core-cassette", name, true);
    let path = dir.join("calls.jsonl");
    (dir, path)
}

/// The text of `provider`'s answer to one user message.
async fn ask(provider: &dyn LlmProvider, prompt: &str) -> String {
    provider
        .complete(&ChatRequest::user(prompt))
        .await
        .unwrap()
        .content
}

#[tokio::test]
async fn record_then_replay_then_strict_miss() {
    let (_dir, path) = temp("modes");
    let scripted = Arc::new(Scripted::new(["one", "two", "three"]).with_model("m1"));
    let recorder = Cassette::open(&path, CassetteMode::Record, Some(scripted.clone())).unwrap();
    assert_eq!(ask(&recorder, "a").await, "one");
    assert_eq!(ask(&recorder, "a").await, "two");
    assert_eq!(ask(&recorder, "b").await, "three");
    drop(recorder);
    let lines: Vec<CassetteEntry> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].key, lines[1].key);
    assert_eq!(lines[0].model, "m1");

    // Replay: the same key twice serves its answers in order, then keeps the last.
    let player = Cassette::replay(&path, "m1").unwrap();
    let a = ChatRequest::user("a");
    let got: Vec<String> = [
        player.complete(&a).await.unwrap(),
        player.complete(&a).await.unwrap(),
        player.complete(&a).await.unwrap(),
    ]
    .into_iter()
    .map(|r| {
        assert!(r.cached);
        r.content
    })
    .collect();
    assert_eq!(got, ["one", "two", "two"]);
    match player.complete(&ChatRequest::user("never recorded")).await {
        Err(Error::CassetteMiss { key, request, .. }) => {
            assert_eq!(key.len(), 64);
            assert!(request.contains("never recorded"), "{request}");
        }
        other => panic!("{other:?}"),
    }
    // Another model's recording is another key.
    assert!(
        Cassette::replay(&path, "m2")
            .unwrap()
            .complete(&a)
            .await
            .is_err()
    );

    // Record-missing: hits from the file, misses from the provider, appended.
    let fresh = Arc::new(Scripted::new(["new answer"]).with_model("m1"));
    let both = Cassette::open(&path, CassetteMode::RecordMissing, Some(fresh.clone())).unwrap();
    assert_eq!(ask(&both, "b").await, "three");
    assert_eq!(ask(&both, "c").await, "new answer");
    assert_eq!(fresh.calls().len(), 1);
    drop(both);
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 4);

    // Plain replay falls through to the provider for what it lacks, without recording it.
    let fallback = Arc::new(Scripted::new(["live"]).with_model("m1"));
    let replay = Cassette::open(&path, CassetteMode::Replay, Some(fallback)).unwrap();
    assert_eq!(ask(&replay, "zzz").await, "live");
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 4);
}

#[tokio::test]
async fn a_bad_line_names_the_file_and_line() {
    let (_dir, path) = temp("bad");
    std::fs::write(&path, "{\"cassette\":1}\n").unwrap();
    match Cassette::replay(&path, "m") {
        Err(Error::Cassette { message, .. }) => {
            assert!(message.starts_with("line 1:"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Cassette::open(&path, CassetteMode::Record, None),
        Err(Error::Config { .. })
    ));
}

#[tokio::test]
async fn no_secret_is_ever_written() {
    let server = MockServer::start().await;
    let body =
        serde_json::json!({"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}]});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let key = "sk-cassette-secret-987654321";
    let provider = OpenAiCompatible::builder()
        .base_url(format!("{}/v1", server.uri()))
        .api_key(key)
        .model("m")
        .build()
        .unwrap();
    let (_dir, path) = temp("secret");
    let recorder = Cassette::open(&path, CassetteMode::Record, Some(Arc::new(provider))).unwrap();
    recorder
        .complete(&ChatRequest::user("hello"))
        .await
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(key));
    assert!(!text.to_lowercase().contains("authorization"));
    let replayed: ChatResponse =
        serde_json::from_str::<CassetteEntry>(text.lines().next().unwrap())
            .unwrap()
            .response;
    assert_eq!(replayed.content, "hi");
}

/// The shared cassette of `tests/data/interop`: what Rust, Python and Node each record for
/// the same team run, byte for byte (the Python test `test_interop.py` and the Node test
/// `interop.test.mjs` check the same file).
fn interop(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/interop")
        .join(name)
}

/// The shared team run (dry, on `fastapi`) with `provider`; it must complete.
async fn interop_run(provider: Arc<dyn LlmProvider>) -> mgx_core::team::RunReport {
    let team = mgx_core::team::Team::builder()
        .provider(provider)
        .stack("fastapi")
        .dry_run(true)
        .build()
        .unwrap();
    let report = team
        .run("Create a FastAPI /health endpoint with tests")
        .await;
    assert_eq!(
        report.status,
        mgx_core::team::RunStatus::Completed,
        "{:?}",
        report.error
    );
    report
}

#[tokio::test]
async fn interop_rust_records_the_shared_cassette_byte_for_byte() {
    let answers: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(interop("answers.json")).unwrap()).unwrap();
    let dir = crate::TestDir::new("mgx-interop", "rust", true);
    let path = dir.join("team-run.jsonl");
    let _ = std::fs::remove_file(&path);
    let recorder = Cassette::open(
        &path,
        CassetteMode::Record,
        Some(Arc::new(Scripted::new(answers))),
    )
    .unwrap();
    interop_run(Arc::new(recorder)).await;
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(interop("team-run.jsonl")).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn interop_rust_replays_the_cassette_python_recorded() {
    let player = Cassette::replay(interop("team-run.jsonl"), "scripted").unwrap();
    let report = interop_run(Arc::new(player)).await;
    assert_eq!(
        report.files,
        ["app/main.py", "requirements.txt", "tests/test_health.py"]
    );
}
