//! A small OpenAI-compatible embeddings server on 127.0.0.1 (std only): answers
//! `POST /v1/embeddings` with word-hashing vectors and records the model of each
//! request, so the CLI's OpenAI path runs without the internet.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// Dimension of the vectors served.
pub const DIM: usize = 64;

/// A running server; it stops with the test process.
pub struct EmbeddingsServer {
    /// `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// The `model` of every request received, in order.
    pub models: Arc<Mutex<Vec<String>>>,
}

/// Starts a server on a free port.
pub fn start() -> EmbeddingsServer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    let models = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&models);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || serve(stream, &seen));
        }
    });
    EmbeddingsServer { base_url, models }
}

/// A unit vector from the words of `text`: each lower-cased word adds 1 to bucket
/// `fnv1a(word) % DIM`.
pub fn vector_for(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; DIM];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in word.to_lowercase().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        v[(h % DIM as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn serve(stream: TcpStream, models: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut content_length = 0usize;
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (status, answer) = answer(&request_line, &body, models);
    let text = answer.to_string();
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

fn answer(request_line: &str, body: &[u8], models: &Mutex<Vec<String>>) -> (&'static str, Value) {
    if !request_line.starts_with("POST ") || !request_line.contains("/v1/embeddings") {
        return ("404 Not Found", json!({"error": {"message": "not found"}}));
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return ("400 Bad Request", json!({"error": {"message": "bad json"}}));
    };
    let model = request["model"].as_str().unwrap_or_default().to_string();
    models.lock().unwrap().push(model.clone());
    let inputs: Vec<String> = match &request["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": vector_for(text)}))
        .collect();
    (
        "200 OK",
        json!({"object": "list", "data": data, "model": model,
               "usage": {"prompt_tokens": 1, "total_tokens": 1}}),
    )
}
