//! Micro-batched searches: searches that arrive while a pass is running wait for the
//! next pass and share it ([`FaissStore::search_batch`]: one scan of a flat index for
//! all of them), up to [`Batching::max_batch`] per pass.
//!
//! A caller queues its query and, when no pass is running, starts the driver: a tokio
//! task that takes up to `max_batch` waiting queries, answers them in one
//! `spawn_blocking` pass, hands each caller its own result, and goes on while queries
//! wait. A lone query starts a pass at once (unless [`Batching::max_wait`] asks the
//! driver to wait for company), so it waits no longer than an unbatched search. The
//! driver is a task of its own, so a caller that gives up (drops its future) never
//! stalls the others: its query is skipped if its pass has not started, and its answer
//! dropped otherwise.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::Duration;

use ferrofaiss_docstore::Document;
use ferrofaiss_store::{BatchQuery, FaissStore, QueryKind, SearchOptions, StoreError};
use tokio::sync::{oneshot, Notify};

use crate::lock::read_lock;

/// One caller's answer.
type Answer = Result<Vec<(Document, f32)>, StoreError>;

/// How an [`AsyncFaissStore`](crate::AsyncFaissStore) groups concurrent searches into
/// passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    max_batch: usize,
    max_wait: Duration,
}

impl Default for Batching {
    fn default() -> Self {
        Batching::new()
    }
}

impl Batching {
    /// The default: up to [`Batching::DEFAULT_MAX_BATCH`] queries per pass, no waiting
    /// (queries that arrive during a pass form the next one).
    pub const fn new() -> Self {
        Batching {
            max_batch: Self::DEFAULT_MAX_BATCH,
            max_wait: Duration::ZERO,
        }
    }

    /// Queries per pass by default.
    pub const DEFAULT_MAX_BATCH: usize = 64;

    /// No batching: every search is its own pass, as in LangChain.
    pub const fn off() -> Self {
        Batching {
            max_batch: 1,
            max_wait: Duration::ZERO,
        }
    }

    /// The most queries one pass answers (at least 1; 1 turns batching off).
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch;
        self
    }

    /// How long a pass that is not full waits for more queries before it starts (zero
    /// by default: a pass starts as soon as the previous one ends); a pass that fills
    /// up starts at once.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The most queries per pass.
    pub fn batch_limit(&self) -> usize {
        self.max_batch
    }

    /// The wait before a pass that is not full.
    pub fn wait(&self) -> Duration {
        self.max_wait
    }

    /// Fails with [`StoreError::InvalidParameter`] when `max_batch` is 0.
    pub(crate) fn check(self) -> Result<Self, StoreError> {
        if self.max_batch == 0 {
            return Err(StoreError::InvalidParameter {
                name: "max_batch",
                value: "0".into(),
                reason: "must be positive",
            });
        }
        Ok(self)
    }
}

/// A query waiting for a pass.
struct Waiting {
    embedding: Vec<f32>,
    opts: SearchOptions,
    kind: QueryKind,
    reply: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Waiting>,
    /// Whether a driver is running (it takes everything queued before it stops).
    running: bool,
}

/// The shared queue of one store and its pass counter.
pub(crate) struct Coalescer {
    batching: Batching,
    queue: Mutex<Queue>,
    /// Wakes a driver waiting for company when a full batch is queued.
    full: Notify,
    passes: AtomicU64,
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalescer")
            .field("batching", &self.batching)
            .field("passes", &self.passes.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Coalescer {
    pub(crate) fn new(batching: Batching) -> Self {
        Coalescer {
            batching,
            queue: Mutex::new(Queue::default()),
            full: Notify::new(),
            passes: AtomicU64::new(0),
        }
    }

    pub(crate) fn batching(&self) -> Batching {
        self.batching
    }

    /// Search passes run so far.
    pub(crate) fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    /// The queue; a panic while it was held cannot leave it inconsistent (each critical
    /// section is a push, a drain or a flag), so poison is ignored.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Queues one query and waits for its answer from the pass that takes it.
    pub(crate) async fn search(
        self: &Arc<Self>,
        store: &Arc<RwLock<FaissStore>>,
        embedding: Vec<f32>,
        opts: SearchOptions,
        kind: QueryKind,
    ) -> Answer {
        let (reply, answer) = oneshot::channel();
        let (start, full) = {
            let mut queue = self.queue();
            queue.waiting.push_back(Waiting {
                embedding,
                opts,
                kind,
                reply,
            });
            let full = queue.waiting.len() >= self.batching.max_batch;
            (!std::mem::replace(&mut queue.running, true), full)
        };
        if full {
            self.full.notify_one();
        }
        if start {
            let driver = Driver {
                coalescer: Arc::clone(self),
                armed: true,
            };
            tokio::spawn(driver.run(Arc::downgrade(store)));
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Background(
                "the search pass ended without an answer (its runtime shut down)".into(),
            ))
        })
    }

    /// Up to `max_batch` waiting queries whose callers still wait; `None` (and the
    /// driver marked stopped, under the same lock) when there are none.
    fn next_pass(&self) -> Option<Vec<Waiting>> {
        let mut queue = self.queue();
        queue.waiting.retain(|w| !w.reply.is_closed());
        if queue.waiting.is_empty() {
            queue.running = false;
            return None;
        }
        let take = queue.waiting.len().min(self.batching.max_batch);
        Some(queue.waiting.drain(..take).collect())
    }

    fn queued(&self) -> usize {
        self.queue().waiting.len()
    }
}

/// The task that runs passes while queries wait. Dropped before it finishes (its
/// runtime shut down), it marks the queue driverless and drops the waiting queries, so
/// their callers get an error instead of waiting for ever, and a later search starts a
/// new driver.
struct Driver {
    coalescer: Arc<Coalescer>,
    armed: bool,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.armed {
            let mut queue = self.coalescer.queue();
            queue.waiting.clear();
            queue.running = false;
        }
    }
}

impl Driver {
    /// Holds the store only while a pass runs (inside the blocking closure), so that a
    /// caller that has its answer may take the store back
    /// ([`AsyncFaissStore::try_into_inner`](crate::AsyncFaissStore::try_into_inner)).
    async fn run(mut self, store: Weak<RwLock<FaissStore>>) {
        let co = Arc::clone(&self.coalescer);
        loop {
            let wait = co.batching.max_wait;
            if !wait.is_zero() && co.queued() < co.batching.max_batch {
                // Until the wait is over or a full batch is queued, whichever is first.
                let _ = tokio::time::timeout(wait, co.full.notified()).await;
            }
            let Some(pass) = co.next_pass() else {
                // `next_pass` marked the queue driverless under its lock.
                self.armed = false;
                return;
            };
            co.passes.fetch_add(1, Ordering::Relaxed);
            let (queries, replies): (Vec<_>, Vec<_>) = pass
                .into_iter()
                .map(|w| ((w.embedding, w.opts, w.kind), w.reply))
                .unzip();
            let count = queries.len();
            let store = store.clone();
            let answers = tokio::task::spawn_blocking(move || {
                let store = store.upgrade().ok_or_else(|| {
                    StoreError::Background("the store was dropped before the search".into())
                })?;
                let store = read_lock(&store)?;
                let batch: Vec<BatchQuery<'_>> = queries
                    .iter()
                    .map(|(embedding, opts, kind)| BatchQuery {
                        embedding,
                        opts,
                        kind: *kind,
                    })
                    .collect();
                Ok::<_, StoreError>(store.search_batch(&batch))
            })
            .await;
            let answers: Vec<Answer> = match answers {
                Ok(Ok(answers)) => answers,
                Ok(Err(e)) => (0..count).map(|_| Err(shared_error(&e))).collect(),
                Err(e) => (0..count)
                    .map(|_| Err(StoreError::Background(e.to_string())))
                    .collect(),
            };
            for (reply, answer) in replies.into_iter().zip(answers) {
                // A caller that gave up has dropped its receiver: nothing to do.
                let _ = reply.send(answer);
            }
            // Let the callers just answered run before the next pass is taken: those
            // that search again at once then join it instead of the one after.
            tokio::task::yield_now().await;
        }
    }
}

/// A copy, for every caller of a pass, of the error that stopped the whole pass (the
/// store's lock refused it, or the store is gone).
fn shared_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Poisoned(message) => StoreError::Poisoned(message.clone()),
        other => StoreError::Background(other.to_string()),
    }
}
