//! Micro-batched searches: searches that arrive while a pass is running wait for the
//! next pass and share it ([`FaissStore::search_batch`]: one scan of a flat index for
//! all of them), up to [`Batching::max_batch`] per pass.
//!
//! A caller queues its query and waits for its answer on a oneshot channel. Passes run
//! on a search thread of the store's own (one per store, started by the first search,
//! gone after ten seconds without work): it takes up to `max_batch` waiting queries,
//! answers them with one `search_batch`, hands each caller its own result, and goes on
//! while queries wait. A lone query starts a pass at once (unless
//! [`Batching::max_wait`] asks the thread to wait for company), so it waits no longer
//! than an unbatched search. The thread belongs to no async runtime: callers on any
//! runtime (or several) share it, and a runtime that shuts down neither stops it nor
//! waits for it. Its `tracing` events go to the dispatcher in effect where it was
//! started (a scoped default there, else the global one). A caller that gives up (drops its future) never stalls the others: its
//! query is skipped if its pass has not started, and its answer dropped otherwise.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, Weak};
use std::time::Duration;

use ferrofaiss_docstore::Document;
use ferrofaiss_store::{BatchQuery, FaissStore, QueryKind, SearchOptions, StoreError};
use tokio::sync::oneshot;

use crate::lock::read_lock;

/// How long the search thread waits for work before it ends (the next search starts a
/// new one): tokio's keep-alive for its blocking threads.
const IDLE: Duration = Duration::from_secs(10);

/// One caller's answer.
type Answer = Result<Vec<(Document, f32)>, StoreError>;

/// How an [`AsyncFaissStore`](crate::AsyncFaissStore) groups concurrent searches into
/// passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    max_batch: usize,
    max_wait: Duration,
    inline_limit: usize,
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
            inline_limit: Self::DEFAULT_INLINE_LIMIT,
        }
    }

    /// Queries per pass by default.
    pub const DEFAULT_MAX_BATCH: usize = 64;

    /// The default [`Batching::inline_limit`]: 2^18 floats (1 MiB of vectors), a scan
    /// of some 10-20 µs, within tokio's advice for the time between two awaits.
    pub const DEFAULT_INLINE_LIMIT: usize = 1 << 18;

    /// No batching: every search is its own pass, as in LangChain (small stores are
    /// still searched on the calling task: see [`Batching::inline_limit`]).
    pub const fn off() -> Self {
        Batching {
            max_batch: 1,
            max_wait: Duration::ZERO,
            inline_limit: Self::DEFAULT_INLINE_LIMIT,
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

    /// Searches of a store whose work is at most `floats` values
    /// (`ntotal * max(d, 64)`) run on the calling task, under the store's read lock
    /// when it is free at once, instead of going to the search thread: for them the hop
    /// to another thread and back costs more than the scan, and sharing a pass saves
    /// nothing. Searches with an exact filter always go to the search thread (their
    /// filter may be evaluated on every document). 0 sends every search there.
    pub fn inline_limit(mut self, floats: usize) -> Self {
        self.inline_limit = floats;
        self
    }

    /// The largest store work searched on the calling task (see
    /// [`Batching::inline_limit`]).
    pub fn inline_floats(&self) -> usize {
        self.inline_limit
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
    /// Whether a search thread is running (it takes everything queued before it ends).
    running: bool,
    /// Every handle is gone: the search thread ends.
    closed: bool,
}

/// What the handles and the search thread share.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the search thread: a query was queued, or the handles are gone.
    wake: Condvar,
    passes: AtomicU64,
}

impl Shared {
    /// The queue; a panic while it was held cannot leave it inconsistent (each critical
    /// section is a push, a drain or a flag), so poison is ignored.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// One store's queue of searches (shared by the clones of its handle).
pub(crate) struct Coalescer {
    batching: Batching,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalescer")
            .field("batching", &self.batching)
            .field("passes", &self.passes())
            .finish_non_exhaustive()
    }
}

impl Drop for Coalescer {
    fn drop(&mut self) {
        self.shared.queue().closed = true;
        self.shared.wake.notify_all();
    }
}

impl Coalescer {
    pub(crate) fn new(batching: Batching) -> Self {
        Coalescer {
            batching,
            shared: Arc::new(Shared::default()),
        }
    }

    pub(crate) fn batching(&self) -> Batching {
        self.batching
    }

    /// Search passes run so far.
    pub(crate) fn passes(&self) -> u64 {
        self.shared.passes.load(Ordering::Relaxed)
    }

    /// Queues one query and waits for its answer from the pass that takes it.
    pub(crate) async fn search(
        &self,
        store: &Arc<RwLock<FaissStore>>,
        embedding: Vec<f32>,
        opts: SearchOptions,
        kind: QueryKind,
    ) -> Answer {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = self.shared.queue();
            queue.waiting.push_back(Waiting {
                embedding,
                opts,
                kind,
                reply,
            });
            !std::mem::replace(&mut queue.running, true)
        };
        if start {
            self.start_thread(store);
        } else {
            self.shared.wake.notify_one();
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Background(
                "the search thread ended without an answer".into(),
            ))
        })
    }

    /// Starts the search thread; if the system refuses a thread, every waiting caller
    /// gets the error.
    fn start_thread(&self, store: &Arc<RwLock<FaissStore>>) {
        let driver = Driver {
            shared: Arc::clone(&self.shared),
            batching: self.batching,
            store: Arc::downgrade(store),
            armed: true,
        };
        // The thread reports `tracing` events (LangChain's warnings) where the caller
        // that started it would have: to the dispatcher in effect here.
        let dispatch = tracing::dispatcher::get_default(|d| d.clone());
        let started = std::thread::Builder::new()
            .name("ferrofaiss-search".into())
            .spawn(move || tracing::dispatcher::with_default(&dispatch, || driver.run()));
        if let Err(e) = started {
            // The driver (and its guard) went down with the closure: nothing runs.
            let mut queue = self.shared.queue();
            for w in queue.waiting.drain(..) {
                let _ = w.reply.send(Err(StoreError::Background(format!(
                    "cannot start the search thread: {e}"
                ))));
            }
        }
    }
}

/// The search thread's state. Dropped while armed (the thread is refused, or unwinds),
/// it marks the queue threadless and drops the waiting queries, so their callers get
/// an error instead of waiting for ever, and a later search starts a new thread.
struct Driver {
    shared: Arc<Shared>,
    batching: Batching,
    store: Weak<RwLock<FaissStore>>,
    armed: bool,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if self.armed {
            let mut queue = self.shared.queue();
            queue.waiting.clear();
            queue.running = false;
        }
    }
}

impl Driver {
    /// Passes while queries wait; ends after [`IDLE`] without any, or when every
    /// handle is gone.
    fn run(mut self) {
        while let Some(pass) = self.next_pass() {
            self.shared.passes.fetch_add(1, Ordering::Relaxed);
            let (queries, replies): (Vec<_>, Vec<_>) = pass
                .into_iter()
                .map(|w| ((w.embedding, w.opts, w.kind), w.reply))
                .unzip();
            for (reply, answer) in replies.into_iter().zip(self.answer(&queries)) {
                // A caller that gave up has dropped its receiver: nothing to do.
                let _ = reply.send(answer);
            }
            // Let the callers just answered run before the next pass is taken: those
            // that search again at once then join it instead of the one after.
            std::thread::yield_now();
        }
    }

    /// Up to `max_batch` waiting queries whose callers still wait, after waiting for
    /// work (and, with `max_wait`, for company); `None`, with the queue marked
    /// threadless under the same lock, when there is none.
    fn next_pass(&mut self) -> Option<Vec<Waiting>> {
        let shared = Arc::clone(&self.shared);
        let mut queue = shared.queue();
        if queue.waiting.is_empty() {
            queue = wait(&shared.wake, queue, IDLE, |q| q.waiting.is_empty());
        }
        let (max_batch, max_wait) = (self.batching.max_batch, self.batching.max_wait);
        if !max_wait.is_zero() {
            // Callers that gave up do not count towards a full batch.
            let live = |q: &Queue| q.waiting.iter().filter(|w| !w.reply.is_closed()).count();
            queue = wait(&shared.wake, queue, max_wait, |q| live(q) < max_batch);
        }
        queue.waiting.retain(|w| !w.reply.is_closed());
        if queue.waiting.is_empty() {
            queue.running = false;
            self.armed = false;
            return None;
        }
        let take = queue.waiting.len().min(max_batch);
        Some(queue.waiting.drain(..take).collect())
    }

    /// One answer per query, from one `search_batch`; a pass that cannot run (the
    /// store's lock refuses, the store is gone, a search panics) answers every query
    /// with that error.
    fn answer(&self, queries: &[(Vec<f32>, SearchOptions, QueryKind)]) -> Vec<Answer> {
        let run = || {
            let store = self.store.upgrade().ok_or_else(|| {
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
        };
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(Ok(answers)) => answers,
            Ok(Err(e)) => queries.iter().map(|_| Err(shared_error(&e))).collect(),
            Err(panic) => {
                let what = panic_message(panic.as_ref());
                queries
                    .iter()
                    .map(|_| Err(StoreError::Background(what.clone())))
                    .collect()
            }
        }
    }
}

/// What a panicking search said, for its callers' error.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a search panicked".into())
}

/// Waits on `wake` while `pending` holds (at most `limit`), unless the handles are gone.
fn wait<'a>(
    wake: &Condvar,
    queue: MutexGuard<'a, Queue>,
    limit: Duration,
    pending: impl Fn(&Queue) -> bool,
) -> MutexGuard<'a, Queue> {
    match wake.wait_timeout_while(queue, limit, |q| !q.closed && pending(q)) {
        Ok((queue, _)) => queue,
        Err(poison) => poison.into_inner().0,
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
