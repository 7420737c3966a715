//! The background tokio runtime that runs every OpenAI request.
//!
//! Requests always run here, whoever asks: the futures returned by the async methods
//! only wait for a task on this runtime, so they can be awaited from any executor
//! (tokio or not), and the synchronous methods can block on them from plain code or
//! from inside a tokio runtime without nesting runtimes. Pooled HTTP connections live
//! on this runtime too, so they never outlive the runtime that drives them.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

use crate::EmbeddingError;

/// Worker threads of the background runtime: requests are I/O bound.
const WORKER_THREADS: usize = 2;

/// The process-wide runtime, created on first use. A failure to create it is kept,
/// so the runtime is never built twice (and never dropped inside an async context).
fn runtime() -> Result<&'static Runtime, EmbeddingError> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(WORKER_THREADS)
                .thread_name("ferrofaiss-openai")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| EmbeddingError::Config(format!("cannot start the HTTP runtime: {e}")))
}

/// Aborts the task when dropped, so a caller that stops waiting also stops the
/// requests it started.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` on the background runtime and waits for its result. Dropping the
/// returned future cancels the work.
pub(crate) async fn run<T, F>(work: F) -> Result<T, EmbeddingError>
where
    F: Future<Output = Result<T, EmbeddingError>> + Send + 'static,
    T: Send + 'static,
{
    let mut task = AbortOnDrop(runtime()?.spawn(work));
    match (&mut task.0).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(EmbeddingError::Transport(format!(
            "embedding request task was cancelled: {e}"
        ))),
    }
}
