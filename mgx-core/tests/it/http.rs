//! The OpenAI-compatible provider against local mock servers, one test per fault.

use std::time::{Duration, Instant};

use futures::StreamExt;
use mgx_core::Error;
use mgx_core::TimeoutStage;
use mgx_core::llm::{ChatRequest, FinishReason, LlmProvider, Usage, collect};
use mgx_core::providers::{OpenAiCompatible, RetryPolicy, Timeouts};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-never-shown-0123456789";

fn provider(base: &str) -> OpenAiCompatible {
    provider_with(
        base,
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            deadline: Duration::from_secs(20),
        },
        Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_secs(2),
            between_chunks: Duration::from_millis(300),
        },
    )
}

fn provider_with(base: &str, retry: RetryPolicy, timeouts: Timeouts) -> OpenAiCompatible {
    OpenAiCompatible::builder()
        .base_url(format!("{base}/v1"))
        .api_key(KEY)
        .model("test-model")
        .retry(retry)
        .timeouts(timeouts)
        .build()
        .unwrap()
}

fn ok_body(text: &str) -> serde_json::Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model-0613",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    })
}

/// A server that answers every POST with `template`.
async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

/// A server that answers each POST with the next template, and with the last one from then on.
async fn answering_in_turn(templates: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    let last = templates.len() - 1;
    for (i, template) in templates.into_iter().enumerate() {
        let mock = Mock::given(method("POST"))
            .respond_with(template)
            .with_priority(u8::try_from(i + 1).unwrap());
        let mock = if i < last {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(&server).await;
    }
    server
}

/// An event-stream answer.
fn event_stream(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

/// Stream a one-message request from `server` and collect the answer.
async fn streamed(server: &MockServer) -> mgx_core::Result<mgx_core::llm::ChatResponse> {
    collect(
        provider(&server.uri())
            .stream(&ChatRequest::user("hi"))
            .await?,
    )
    .await
}

/// A 429 answer with `Retry-After` and the server's message.
fn too_many(retry_after: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("retry-after", retry_after)
        .set_body_json(json!({"error": {"message": message}}))
}

fn no_key_in(error: &Error) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(KEY), "the key leaked: {shown}");
}

#[tokio::test]
async fn a_call_sends_the_request_and_reads_answer_and_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({
            "model": "test-model", "stream": false, "max_tokens": 50, "temperature": 0.5,
            "stop": ["END"], "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body("hello")))
        .expect(1)
        .mount(&server)
        .await;
    let mut request = ChatRequest::new(vec![
        mgx_core::llm::ChatMessage::system("be brief"),
        mgx_core::llm::ChatMessage::user("hi"),
    ]);
    request.max_tokens = Some(50);
    request.temperature = Some(0.5);
    request.stop = vec!["END".into()];
    request.response_format = Some(mgx_core::llm::ResponseFormat::JsonObject);
    let answer = provider(&server.uri()).complete(&request).await.unwrap();
    assert_eq!(answer.content, "hello");
    assert_eq!(answer.finish_reason, Some(FinishReason::Stop));
    assert_eq!(
        answer.usage,
        Some(Usage {
            prompt_tokens: 12,
            completion_tokens: 3
        })
    );
    assert_eq!(answer.model.as_deref(), Some("test-model-0613"));
    assert_eq!(answer.attempts, 1);
}

#[tokio::test]
async fn usage_that_is_not_reported_stays_unknown() {
    let server = MockServer::start().await;
    let mut body = ok_body("x");
    body.as_object_mut().unwrap().remove("usage");
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let answer = provider(&server.uri())
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap();
    assert_eq!(answer.usage, None);
}

#[tokio::test]
async fn status_429_waits_as_retry_after_says() {
    let server = answering_in_turn(vec![
        too_many("1", "slow down"),
        ResponseTemplate::new(200).set_body_json(ok_body("after the wait")),
    ])
    .await;
    let start = Instant::now();
    let answer = provider(&server.uri())
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        (answer.content.as_str(), answer.attempts),
        ("after the wait", 2)
    );
}

#[tokio::test]
async fn status_429_as_an_http_date_and_without_retry_after() {
    let soon = httpdate_in(Duration::from_secs(1));
    let server = answering_in_turn(vec![
        ResponseTemplate::new(429).insert_header("retry-after", soon.as_str()),
        ResponseTemplate::new(429),
        ResponseTemplate::new(200).set_body_json(ok_body("third time")),
    ])
    .await;
    let answer = provider(&server.uri())
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap();
    assert_eq!(answer.attempts, 3);
}

fn httpdate_in(d: Duration) -> String {
    // Second resolution: round up so that the wait is not zero.
    httpdate::fmt_http_date(std::time::SystemTime::now() + d + Duration::from_millis(999))
}

#[tokio::test]
async fn status_500_502_503_are_retried() {
    let mut turns: Vec<ResponseTemplate> = [500u16, 502, 503]
        .into_iter()
        .map(|status| ResponseTemplate::new(status).set_body_string("upstream trouble"))
        .collect();
    turns.push(ResponseTemplate::new(200).set_body_json(ok_body("fine")));
    let server = answering_in_turn(turns).await;
    let answer = provider(&server.uri())
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap();
    assert_eq!(answer.attempts, 4);
}

#[tokio::test]
async fn a_server_that_keeps_failing_gives_up_after_the_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "overloaded"}})),
        )
        .expect(4)
        .mount(&server)
        .await;
    let error = provider(&server.uri())
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap_err();
    match &error {
        Error::Status {
            status: 503,
            message,
            retryable: true,
            attempts: 4,
        } => assert_eq!(message, "overloaded"),
        other => panic!("{other:?}"),
    }
    assert!(error.is_retryable());
    no_key_in(&error);
}

#[tokio::test]
async fn status_400_and_401_are_not_retried_and_carry_the_message() {
    for (status, message) in [
        (400u16, "max_tokens is too large"),
        (401, "Incorrect API key provided"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(
                json!({"error": {"message": message, "type": "invalid_request_error"}}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let error = provider(&server.uri())
            .complete(&ChatRequest::user("hi"))
            .await
            .unwrap_err();
        match &error {
            Error::Status {
                status: s,
                message: m,
                retryable: false,
                attempts: 1,
            } => {
                assert_eq!((*s, m.as_str()), (status, message));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(error.code(), "status");
        no_key_in(&error);
    }
}

#[tokio::test]
async fn malformed_json_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"choices\": [", "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = provider(&server.uri())
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
    let server = answering(ResponseTemplate::new(200).set_body_json(json!({"choices": []}))).await;
    let error = provider(&server.uri())
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    let server = answering_in_turn(vec![
        ResponseTemplate::new(200)
            .set_body_json(ok_body("late"))
            .set_delay(Duration::from_secs(3)),
        ResponseTemplate::new(200).set_body_json(ok_body("on time")),
    ])
    .await;
    let p = provider_with(
        &server.uri(),
        RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        Timeouts {
            request: Duration::from_millis(300),
            ..Timeouts::default()
        },
    );
    let answer = p.complete(&ChatRequest::user("hi")).await.unwrap();
    assert_eq!((answer.content.as_str(), answer.attempts), ("on time", 2));
    // With one attempt, the timeout is the error.
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_json(ok_body("late"))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let p = provider_with(
        &server.uri(),
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        Timeouts {
            request: Duration::from_millis(300),
            ..Timeouts::default()
        },
    );
    let error = p.complete(&ChatRequest::user("hi")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                stage: TimeoutStage::Request,
                attempts: 1
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(too_many("120", "quota"))
        .expect(1)
        .mount(&server)
        .await;
    let p = provider_with(
        &server.uri(),
        RetryPolicy {
            deadline: Duration::from_secs(5),
            ..RetryPolicy::default()
        },
        Timeouts::default(),
    );
    let start = Instant::now();
    let error = p.complete(&ChatRequest::user("hi")).await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    match error {
        Error::RateLimited {
            retry_after,
            attempts: 1,
            message,
        } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
            assert_eq!(message, "quota");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reset_connection_is_retried_then_reported() {
    // A server that accepts and closes at once: every attempt fails at the transport.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(socket);
        }
    });
    let error = provider(&format!("http://{addr}"))
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Connection { attempts: 4, .. }),
        "{error:?}"
    );
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 4);
    no_key_in(&error);
    // Nothing listening at all.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let error = provider(&format!("http://{closed}"))
        .complete(&ChatRequest::user("hi"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
}

fn sse(chunks: &[serde_json::Value], done: bool) -> String {
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    body
}

fn delta(text: &str) -> serde_json::Value {
    json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
}

#[tokio::test]
async fn a_stream_is_read_to_done_with_usage_in_a_final_chunk() {
    for usage_choices in [json!([]), json!([{"index": 0, "delta": {}}])] {
        let server = MockServer::start().await;
        let body = sse(
            &[
                json!({"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": null}]}),
                delta("Hel"),
                delta("lo"),
                json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
                json!({"choices": usage_choices, "usage": {"prompt_tokens": 5, "completion_tokens": 2}}),
            ],
            true,
        );
        Mock::given(method("POST"))
            .and(body_partial_json(
                json!({"stream": true, "stream_options": {"include_usage": true}}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
            .expect(1)
            .mount(&server)
            .await;
        let stream = provider(&server.uri())
            .stream(&ChatRequest::user("hi"))
            .await
            .unwrap();
        let answer = collect(stream).await.unwrap();
        assert_eq!(answer.content, "Hello");
        assert_eq!(answer.finish_reason, Some(FinishReason::Stop));
        assert_eq!(
            answer.usage,
            Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 2
            })
        );
    }
}

#[tokio::test]
async fn a_stream_cut_before_done_and_finish_is_an_error_not_a_short_answer() {
    let server = answering(event_stream(sse(&[delta("Hel"), delta("lo")], false))).await;
    let mut stream = provider(&server.uri())
        .stream(&ChatRequest::user("hi"))
        .await
        .unwrap();
    let mut text = String::new();
    let mut last = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(d) => text.push_str(&d.content),
            Err(e) => last = Some(e),
        }
    }
    assert_eq!(text, "Hello");
    assert!(
        matches!(last, Some(Error::IncompleteStream { chunks: 2 })),
        "{last:?}"
    );
    // A finish reason without [DONE] is a complete answer (some servers never send [DONE]).
    let finished =
        json!({"choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": "length"}]});
    let server = answering(event_stream(sse(&[delta("Hi"), finished], false))).await;
    let answer = streamed(&server).await.unwrap();
    assert_eq!(
        (answer.content.as_str(), answer.finish_reason),
        ("Hi!", Some(FinishReason::Length))
    );
}

#[tokio::test]
async fn a_stream_with_garbage_or_an_error_chunk_fails_typed() {
    let server = answering(event_stream("data: {not json\n\n".into())).await;
    let error = streamed(&server).await.unwrap_err();
    assert!(
        matches!(error, Error::MalformedResponse { .. }),
        "{error:?}"
    );
    let crashed = json!({"error": {"message": "model crashed"}});
    let server = answering(event_stream(sse(&[delta("a"), crashed], true))).await;
    let error = streamed(&server).await.unwrap_err();
    assert!(
        matches!(&error, Error::Provider { message, .. } if message == "model crashed"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_stream_request_is_retried_before_the_first_byte() {
    let done =
        json!({"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]});
    let server = answering_in_turn(vec![
        ResponseTemplate::new(502),
        event_stream(sse(&[done], true)),
    ])
    .await;
    assert_eq!(streamed(&server).await.unwrap().content, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_that_stop_arriving_time_out() {
    // mockito writes the chunks over time: two quickly, then a pause longer than the limit.
    let mut server = mockito::Server::new_async().await;
    let _m = server
        .mock("POST", "/v1/chat/completions")
        .with_status(200)
        .with_header("content-type", "text/event-stream")
        .with_chunked_body(|w| {
            w.write_all(format!("data: {}\n\n", delta("one")).as_bytes())?;
            w.flush()?;
            std::thread::sleep(Duration::from_millis(50));
            w.write_all(format!("data: {}\n\n", delta("two")).as_bytes())?;
            w.flush()?;
            std::thread::sleep(Duration::from_millis(1500));
            w.write_all(b"data: [DONE]\n\n")
        })
        .create_async()
        .await;
    let mut stream = provider(&server.url())
        .stream(&ChatRequest::user("hi"))
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(d) => got.push(d.content),
            Err(e) => error = Some(e),
        }
    }
    assert_eq!(got, ["one", "two"]);
    assert!(
        matches!(
            error,
            Some(Error::Timeout {
                stage: TimeoutStage::BetweenChunks,
                ..
            })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn bad_configuration_is_a_typed_error() {
    for url in ["not a url", "ftp://127.0.0.1/v1"] {
        let e = OpenAiCompatible::builder()
            .base_url(url)
            .model("m")
            .build()
            .unwrap_err();
        assert_eq!(e.code(), "config", "{e}");
    }
    let e = OpenAiCompatible::builder()
        .base_url("http://127.0.0.1:1/v1")
        .model("m")
        .retry(RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "config");
}

#[tokio::test]
async fn providers_with_one_endpoint_and_key_share_their_rate_limits() {
    let server = answering(
        ResponseTemplate::new(200)
            .set_body_json(ok_body("x"))
            .set_delay(Duration::from_millis(200)),
    )
    .await;
    let limited = |key: &str| {
        OpenAiCompatible::builder()
            .base_url(format!("{}/v1", server.uri()))
            .api_key(key)
            .model("m")
            .rate_limits(mgx_core::ratelimit::RateLimits {
                max_concurrent: Some(1),
                ..Default::default()
            })
            .build()
            .unwrap()
    };
    // Two providers built apart, same endpoint and key: one call at a time between them.
    let (a, b) = (limited("k-shared"), limited("k-shared"));
    let start = Instant::now();
    let request = ChatRequest::user("hi");
    let (x, y, z) = futures::join!(
        a.complete(&request),
        b.complete(&request),
        a.complete(&request)
    );
    assert!(x.is_ok() && y.is_ok() && z.is_ok());
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
    // Another key has its own limiter.
    let (c, d) = (limited("k-one"), limited("k-two"));
    let start = Instant::now();
    let (x, y) = futures::join!(c.complete(&request), d.complete(&request));
    assert!(x.is_ok() && y.is_ok());
    assert!(
        start.elapsed() < Duration::from_millis(390),
        "{:?}",
        start.elapsed()
    );
}
