//! Against a real third-party OpenAI-compatible server on 127.0.0.1: the LiteLLM proxy, which
//! `.ci/test-all` starts with a `mock_response` model (no network, no key). Outside CI, without
//! `MGX_LITELLM_URL`, the test says it skipped.

use futures::StreamExt;
use mgx_core::llm::{ChatRequest, LlmProvider, collect};
use mgx_core::providers::OpenAiCompatible;

fn litellm() -> Option<OpenAiCompatible> {
    let url = match std::env::var("MGX_LITELLM_URL") {
        Ok(url) => url,
        Err(_) if std::env::var("CI").is_ok() => {
            panic!("CI must provide MGX_LITELLM_URL (a LiteLLM proxy)")
        }
        Err(_) => {
            eprintln!("MGX_LITELLM_URL is not set: skipping the LiteLLM test");
            return None;
        }
    };
    Some(
        OpenAiCompatible::builder()
            .base_url(url)
            .api_key("sk-mgx-test-master-key")
            .model("mgx-mock")
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn a_real_openai_compatible_server_answers_and_streams() {
    let Some(provider) = litellm() else { return };
    let answer = provider
        .complete(&ChatRequest::user("Say hello"))
        .await
        .unwrap();
    assert_eq!(answer.content, "Hello from the mgx test model.");
    assert!(answer.finish_reason.is_some());
    let usage = answer.usage.expect("LiteLLM reports usage");
    assert!(usage.total() > 0);

    let stream = provider
        .stream(&ChatRequest::user("Say hello"))
        .await
        .unwrap();
    let streamed = collect(stream).await.unwrap();
    assert_eq!(streamed.content, "Hello from the mgx test model.");

    // A model the server does not know is a 4xx with the server's message, not retried.
    let mut request = ChatRequest::user("x");
    request.model = Some("no-such-model".into());
    let error = provider.complete(&request).await.unwrap_err();
    assert!(
        matches!(
            error,
            mgx_core::Error::Status {
                retryable: false,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );

    // Many calls at once through one client.
    let calls = futures::stream::iter(0..16)
        .map(|i| {
            let p = provider.clone();
            async move { p.complete(&ChatRequest::user(format!("call {i}"))).await }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(calls.iter().all(|c| c.is_ok()));
}
