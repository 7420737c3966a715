//! A real HTTP/1.1 server on 127.0.0.1 implementing OpenAI's `POST /v1/embeddings`,
//! for testing `OpenAiEmbeddings` without the internet.
//!
//! It checks the bearer token and the model, answers one deterministic vector per
//! input (derived from the text, see [`vector_for`]) in reverse order with their
//! indices, and can be scripted to fail the next requests in chosen ways.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrofaiss_embeddings::fnv1a64;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

/// The API key the server accepts.
pub const KEY: &str = "test-key-123";
/// The model the server serves.
pub const MODEL: &str = "test-embed-model";
/// Vector length when the request has no `dimensions`.
pub const DEFAULT_DIM: usize = 8;

/// How the server answers one request, instead of the normal answer.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub enum Scripted {
    /// 429 with OpenAI's rate-limit error body.
    RateLimited,
    /// 500 with a plain-text body.
    ServerError,
    /// 200 with a body that is not valid JSON.
    Malformed,
    /// 200 with one embedding fewer than inputs.
    MissingEmbedding,
    /// 200 where every embedding has index 0.
    DuplicateIndex,
    /// Wait this long, then answer normally.
    Delay(Duration),
}

/// What one request carried.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct Recorded {
    /// The texts of `input`.
    pub inputs: Vec<String>,
    /// The `model` field.
    pub model: String,
    /// The `dimensions` field.
    pub dimensions: Option<u64>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Scripted>>,
    requests: Mutex<Vec<Recorded>>,
    every_request_delay: Mutex<Duration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// The server's vector for `text`: `[len, b0, b1, ...]` where `b_j` are bytes of the
/// text's FNV-1a hash scaled to [0, 1); length `dim`.
pub fn vector_for(text: &str, dim: usize) -> Vec<f32> {
    let h = fnv1a64(text.as_bytes());
    (0..dim)
        .map(|j| {
            if j == 0 {
                text.chars().count() as f32
            } else {
                ((h >> ((j % 8) * 8)) & 0xff) as f32 / 256.0 + (j / 8) as f32
            }
        })
        .collect()
}

fn json_response(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    text_response(status, body.to_string(), "application/json")
}

fn text_response(status: StatusCode, body: String, kind: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", kind)
        .body(Full::new(Bytes::from(body)))
        .expect("valid response")
}

fn api_error(status: StatusCode, message: &str, code: &str) -> Response<Full<Bytes>> {
    json_response(
        status,
        json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}}),
    )
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let response = answer(&state, req).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    Ok(response)
}

async fn answer(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != hyper::Method::POST || req.uri().path() != "/v1/embeddings" {
        return text_response(
            StatusCode::NOT_FOUND,
            "404 page not found".into(),
            "text/plain",
        );
    }
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return text_response(StatusCode::BAD_REQUEST, e.to_string(), "text/plain"),
    };
    let Ok(body): Result<Value, _> = serde_json::from_slice(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "body is not JSON", "bad_json");
    };
    let inputs: Vec<String> = match &body["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .map(|s| s.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "input must be strings",
                "bad_input",
            )
        }
    };
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let dimensions = body["dimensions"].as_u64();
    state.requests.lock().expect("lock").push(Recorded {
        inputs: inputs.clone(),
        model: model.clone(),
        dimensions,
        authorization: authorization.clone(),
    });

    if authorization.as_deref() != Some(&format!("Bearer {KEY}")) {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided",
            "invalid_api_key",
        );
    }
    if model != MODEL {
        let msg = format!("The model `{model}` does not exist");
        return api_error(StatusCode::NOT_FOUND, &msg, "model_not_found");
    }
    let delay = *state.every_request_delay.lock().expect("lock");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let scripted = state.script.lock().expect("lock").pop_front();
    let mut indices: Vec<usize> = (0..inputs.len()).rev().collect();
    match scripted {
        Some(Scripted::RateLimited) => {
            return json_response(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"error": {"message": "Rate limit reached, slow down", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}),
            )
        }
        Some(Scripted::ServerError) => {
            return text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "upstream exploded".into(),
                "text/plain",
            )
        }
        Some(Scripted::Malformed) => {
            return text_response(
                StatusCode::OK,
                "{\"object\": \"list\", \"data\": [".into(),
                "application/json",
            )
        }
        Some(Scripted::MissingEmbedding) => {
            indices.pop();
        }
        Some(Scripted::DuplicateIndex) => indices.iter_mut().for_each(|i| *i = 0),
        Some(Scripted::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    let dim = dimensions.map_or(DEFAULT_DIM, |d| d as usize);
    let data: Vec<Value> = indices
        .iter()
        .map(|&i| {
            let text = &inputs[(i).min(inputs.len() - 1)];
            json!({"object": "embedding", "index": i, "embedding": vector_for(text, dim)})
        })
        .collect();
    json_response(
        StatusCode::OK,
        json!({"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": 1, "total_tokens": 1}}),
    )
}

/// A running server; stopped when dropped.
pub struct TestServer {
    port: u16,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[allow(dead_code)]
impl TestServer {
    /// Starts a server on 127.0.0.1 (a free port) in its own thread and runtime.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(State::default());
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let served = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let state = Arc::clone(&served);
                            tokio::spawn(async move {
                                let service = service_fn(move |req| handle(Arc::clone(&state), req));
                                let _ = http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        Self {
            port,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL to give the client: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Answers the next requests (past the key and model checks) as scripted.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.state.script.lock().expect("lock").extend(answers);
    }

    /// Delays every answer by `delay` (to make concurrent requests overlap).
    pub fn delay_every_request(&self, delay: Duration) {
        *self.state.every_request_delay.lock().expect("lock") = delay;
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
