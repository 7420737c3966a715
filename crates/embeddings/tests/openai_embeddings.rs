//! `OpenAiEmbeddings` against a real HTTP server on 127.0.0.1 (tests/support): batching,
//! order, retries, errors, configuration, and the sync API inside and outside tokio.
//! No test reaches the internet.

mod support;

use std::time::Duration;

use ferrofaiss_embeddings::{
    EmbeddingError, Embeddings, OpenAiEmbeddings, OpenAiEmbeddingsBuilder, RetryPolicy,
};
use support::embeddings_server::{vector_for, Scripted, TestServer, DEFAULT_DIM, KEY, MODEL};

/// Fast retries so failing paths take milliseconds.
fn quick_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(10),
    }
}

/// A builder for `server` with the right key and model, no proxies, fast retries.
fn builder(server: &TestServer) -> OpenAiEmbeddingsBuilder {
    OpenAiEmbeddings::builder()
        .model(MODEL)
        .api_key(KEY)
        .base_url(server.base_url())
        .proxy_from_env(false)
        .retry_policy(quick_retries(2))
        .request_timeout(Duration::from_secs(20))
}

/// Builds without reading the process environment.
fn build(b: OpenAiEmbeddingsBuilder) -> OpenAiEmbeddings {
    b.build_with_env(|_| None).expect("valid configuration")
}

fn texts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("text number {i} {}", "x".repeat(i % 7)))
        .collect()
}

fn expected(texts: &[String], dim: usize) -> Vec<Vec<f32>> {
    texts.iter().map(|t| vector_for(t, dim)).collect()
}

#[test]
fn many_texts_are_batched_and_come_back_in_order() {
    let server = TestServer::start();
    server.delay_every_request(Duration::from_millis(100));
    let emb = build(builder(&server).chunk_size(4).max_concurrency(3));
    let input = texts(25);
    let got = emb.embed_documents(&input).expect("embeds");
    assert_eq!(got, expected(&input, DEFAULT_DIM));

    let mut requests = server.requests();
    assert_eq!(requests.len(), 7, "25 texts in batches of 4");
    assert!(requests
        .iter()
        .all(|r| r.inputs.len() <= 4 && r.model == MODEL));
    // Requests may arrive in any order; together they carry each text once, in runs.
    requests.sort_by_key(|r| input.iter().position(|t| *t == r.inputs[0]));
    let sent: Vec<String> = requests.into_iter().flat_map(|r| r.inputs).collect();
    assert_eq!(sent, input);
    let peak = server.max_in_flight();
    assert!(
        (2..=3).contains(&peak),
        "requests in flight at once: {peak}"
    );
}

#[test]
fn one_request_at_a_time_when_concurrency_is_one() {
    let server = TestServer::start();
    server.delay_every_request(Duration::from_millis(20));
    let emb = build(builder(&server).chunk_size(2).max_concurrency(1));
    let input = texts(7);
    assert_eq!(
        emb.embed_documents(&input).expect("embeds"),
        expected(&input, DEFAULT_DIM)
    );
    assert_eq!(server.requests().len(), 4);
    assert_eq!(server.max_in_flight(), 1);
}

#[test]
fn model_dimensions_and_key_are_sent() {
    let server = TestServer::start();
    let emb = build(builder(&server).dimensions(5));
    let q = emb.embed_query("hello").expect("embeds");
    assert_eq!(q, vector_for("hello", 5));
    let r = &server.requests()[0];
    assert_eq!(r.inputs, ["hello"]);
    assert_eq!(r.dimensions, Some(5));
    assert_eq!(
        r.authorization.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(emb.dimension(), Some(5));
    assert_eq!(emb.name(), format!("openai(model={MODEL},dimensions=5)"));
}

#[test]
fn empty_input_sends_nothing() {
    let server = TestServer::start();
    let emb = build(builder(&server));
    assert!(emb.embed_documents(&[]).expect("embeds").is_empty());
    assert!(server.requests().is_empty());
}

#[test]
fn rate_limits_are_retried_until_success() {
    let server = TestServer::start();
    server.script([Scripted::RateLimited, Scripted::RateLimited]);
    let emb = build(builder(&server).retry_policy(quick_retries(2)));
    let input = texts(3);
    assert_eq!(
        emb.embed_documents(&input).expect("third attempt succeeds"),
        expected(&input, DEFAULT_DIM)
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn server_errors_are_retried_then_reported() {
    let server = TestServer::start();
    server.script([
        Scripted::ServerError,
        Scripted::ServerError,
        Scripted::ServerError,
    ]);
    let emb = build(builder(&server).retry_policy(quick_retries(2)));
    let err = emb.embed_query("q").expect_err("all attempts fail");
    match err {
        EmbeddingError::Http { status, message } => {
            assert_eq!(status, 500);
            assert!(message.contains("upstream exploded"), "{message}");
            assert!(message.contains("gave up after 3 attempts"), "{message}");
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn no_retries_when_the_policy_says_none() {
    let server = TestServer::start();
    server.script([Scripted::RateLimited]);
    let emb = build(builder(&server).max_retries(0));
    let err = emb.embed_query("q").expect_err("rate limited");
    assert!(
        matches!(err, EmbeddingError::Http { status: 429, ref message } if message.contains("Rate limit")),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_wrong_key_is_reported_without_retrying() {
    let server = TestServer::start();
    let emb = build(builder(&server).api_key("wrong"));
    let err = emb.embed_query("q").expect_err("unauthorised");
    assert!(
        matches!(err, EmbeddingError::Http { status: 401, ref message } if message.contains("Incorrect API key")),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn an_unknown_model_is_reported() {
    let server = TestServer::start();
    let emb = build(builder(&server).model("no-such-model"));
    let err = emb.embed_query("q").expect_err("unknown model");
    assert!(
        matches!(err, EmbeddingError::Http { status: 404, ref message } if message.contains("no-such-model")),
        "{err}"
    );
}

#[test]
fn malformed_answers_are_reported() {
    let server = TestServer::start();
    server.script([Scripted::Malformed]);
    let emb = build(builder(&server));
    let err = emb.embed_query("q").expect_err("malformed");
    assert!(matches!(err, EmbeddingError::MalformedResponse(_)), "{err}");
    assert_eq!(
        server.requests().len(),
        1,
        "malformed answers are not retried"
    );

    server.script([Scripted::MissingEmbedding]);
    let err = emb.embed_documents(&texts(3)).expect_err("one missing");
    assert!(
        err.to_string().contains("sent 3 inputs, got 2 embeddings"),
        "{err}"
    );

    server.script([Scripted::DuplicateIndex]);
    let err = emb.embed_documents(&texts(3)).expect_err("duplicate index");
    assert!(err.to_string().contains("appears twice"), "{err}");
}

#[test]
fn a_wrong_base_path_says_so() {
    let server = TestServer::start();
    let base = server.base_url().trim_end_matches("/v1").to_string();
    let emb = build(builder(&server).base_url(base));
    let err = emb.embed_query("q").expect_err("404 page");
    // The server's 404 is plain text: reported as not JSON, with a hint.
    let text = err.to_string();
    assert!(
        text.contains("404 page not found") && text.contains("/v1"),
        "{text}"
    );
}

#[test]
fn an_unreachable_endpoint_is_a_transport_error() {
    // A port that was free a moment ago and is closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let emb = OpenAiEmbeddings::builder()
        .api_key(KEY)
        .base_url(format!("http://127.0.0.1:{port}/v1"))
        .proxy_from_env(false)
        .retry_policy(quick_retries(1))
        .build_with_env(|_| None)
        .expect("valid configuration");
    let err = emb.embed_query("q").expect_err("nothing listens");
    match err {
        EmbeddingError::Transport(message) => {
            assert!(message.contains("cannot connect"), "{message}");
            assert!(message.contains(&port.to_string()), "{message}");
            assert!(message.contains("gave up after 2 attempts"), "{message}");
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn slow_answers_time_out() {
    let server = TestServer::start();
    server.script([Scripted::Delay(Duration::from_secs(3))]);
    let emb = build(
        builder(&server)
            .request_timeout(Duration::from_millis(200))
            .max_retries(0),
    );
    let err = emb.embed_query("q").expect_err("times out");
    assert!(
        matches!(&err, EmbeddingError::Transport(m) if m.contains("timed out")),
        "{err}"
    );
}

#[test]
fn missing_key_is_a_configuration_error() {
    let err = OpenAiEmbeddings::builder()
        .build_with_env(|_| None)
        .expect_err("no key anywhere");
    assert!(
        matches!(&err, EmbeddingError::Config(m) if m.contains("OPENAI_API_KEY")),
        "{err}"
    );
    let err = OpenAiEmbeddings::builder()
        .api_key("   ")
        .build_with_env(|_| None)
        .expect_err("blank key");
    assert!(matches!(err, EmbeddingError::Config(_)));
}

#[test]
fn key_and_base_url_come_from_the_environment() {
    let server = TestServer::start();
    let base = server.base_url();
    let emb = OpenAiEmbeddings::builder()
        .model(MODEL)
        .proxy_from_env(false)
        .build_with_env(|name| match name {
            "OPENAI_API_KEY" => Some(format!("{KEY}\n")),
            "OPENAI_BASE_URL" => Some(format!("{base}/")),
            _ => None,
        })
        .expect("configured from the environment");
    assert_eq!(emb.base_url(), base);
    assert_eq!(
        emb.embed_query("from env").expect("embeds"),
        vector_for("from env", DEFAULT_DIM)
    );
}

#[test]
fn langchains_older_base_url_variable_is_a_fallback() {
    let lookup = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let build = |vars| {
        OpenAiEmbeddings::builder()
            .api_key("k")
            .build_with_env(lookup(vars))
            .expect("valid")
    };
    let old_only = build(&[("OPENAI_API_BASE", "http://old:1/v1")]);
    assert_eq!(old_only.base_url(), "http://old:1/v1");
    let both = build(&[
        ("OPENAI_API_BASE", "http://old:1/v1"),
        ("OPENAI_BASE_URL", "http://new:2/v1"),
    ]);
    assert_eq!(both.base_url(), "http://new:2/v1");
}

#[test]
fn defaults_follow_langchain() {
    let emb = OpenAiEmbeddings::builder()
        .api_key("k")
        .build_with_env(|_| None)
        .expect("valid");
    assert_eq!(emb.model(), "text-embedding-ada-002");
    assert_eq!(emb.base_url(), "https://api.openai.com/v1");
    assert_eq!(emb.chunk_size(), 1000);
    assert_eq!(emb.retry_policy().max_retries, 2);
    assert_eq!(emb.requested_dimensions(), None);
    assert_eq!(emb.dimension(), Some(1536));
}

#[test]
fn bad_settings_are_rejected() {
    let base = || OpenAiEmbeddings::builder().api_key("k");
    let bad = [
        base().chunk_size(0),
        base().max_concurrency(0),
        base().dimensions(0),
        base().model(" "),
        base().base_url("ftp://example.com/v1"),
        base().api_key("line\nbreak"),
        base().organization("bad\u{7f}"),
        base().request_timeout(Duration::ZERO),
    ];
    for b in bad {
        let err = b.clone().build_with_env(|_| None).expect_err("rejected");
        assert!(matches!(err, EmbeddingError::Config(_)), "{b:?}: {err}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sync_methods_work_inside_a_current_thread_runtime() {
    let server = TestServer::start();
    let emb = build(builder(&server).chunk_size(2));
    let input = texts(5);
    // Blocking call from async code: no nested runtime, no deadlock.
    assert_eq!(
        emb.embed_documents(&input).expect("embeds"),
        expected(&input, DEFAULT_DIM)
    );
    // And the async path on the same runtime.
    assert_eq!(
        emb.aembed_documents(&input).await.expect("embeds"),
        expected(&input, DEFAULT_DIM)
    );
    assert_eq!(
        emb.aembed_query("q").await.expect("embeds"),
        vector_for("q", DEFAULT_DIM)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_from_tasks_share_one_embedder() {
    let server = TestServer::start();
    let emb = build(builder(&server).chunk_size(3));
    let tasks: Vec<_> = (0..4)
        .map(|k| {
            let emb = emb.clone();
            tokio::spawn(async move {
                let input: Vec<String> =
                    texts(10).into_iter().map(|t| format!("{k}:{t}")).collect();
                let got = emb.aembed_documents(&input).await.expect("embeds");
                assert_eq!(got, expected(&input, DEFAULT_DIM));
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(server.requests().len(), 4 * 4);
}

#[test]
fn async_methods_can_be_awaited_without_tokio() {
    let server = TestServer::start();
    let emb = build(builder(&server));
    let v = futures::executor::block_on(emb.aembed_query("plain executor")).expect("embeds");
    assert_eq!(v, vector_for("plain executor", DEFAULT_DIM));
}
