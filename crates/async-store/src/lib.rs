//! `ferrofaiss-async-store`: the async handle, a cheap-to-clone [`AsyncFaissStore`] over a shared
//! [`FaissStore`](ferrofaiss_store::FaissStore). Embedding is awaited (`aembed_documents` / `aembed_query`); index
//! and document work runs on `tokio::task::spawn_blocking`, so the async executor never
//! waits on a search. Every method behaves exactly like its synchronous twin; the
//! LangChain name (`asimilarity_search`, ...) is a doc alias.
//!
//! Readers share the store (searches run in parallel); writers (add, delete, merge)
//! take it exclusively, so a search never sees half an add. LangChain's async methods
//! take no lock at all.
//!
//! Which calls take the lock, and how:
//!
//! | calls | lock | where |
//! | --- | --- | --- |
//! | searches and MMR (batched) | shared, per pass | the store's search thread |
//! | searches and MMR with batching off, `get_by_ids`, `len`, `is_empty`, `embeddings`, `index_to_docstore_id`, `documents`, `save_local`, `serialize_to_bytes`, the source of `merge_from` | shared | the blocking pool |
//! | `add_*`, `delete`, `merge_from` | exclusive, after any embedding is awaited | the blocking pool |
//! | `from_*`, `load_local`, `deserialize_from_bytes` | none (a new store) | the blocking pool |
//! | [`AsyncFaissStore::read`] / [`AsyncFaissStore::write`], `snapshot` | shared / exclusive | the calling thread, which blocks while the other kind is held |
//!
//! Searches by vector (and the searches by text, once their query is embedded) are
//! micro-batched: those that arrive while a search pass is running share the next pass,
//! run on the store's search thread (its own, bound to no runtime), which answers up to
//! [`Batching::DEFAULT_MAX_BATCH`] of them with
//! one scan of a flat index ([`FaissStore::search_batch`](ferrofaiss_store::FaissStore::search_batch)).
//! Each caller keeps its own options and gets its own result, exactly what it would get
//! alone, or its own error; a caller that gives up does not disturb the others. A lone
//! search starts its pass at once. [`AsyncFaissStore::builder`] sets the batch size and
//! an optional wait ([`Batching`]); `max_batch(1)` turns batching off.
//!
//! Cancellation: dropping a write's future before its index work has started cancels
//! the write; once that work is running on the blocking pool it completes, wholly,
//! after the drop. Either way the store is never left half-written
//! (`tests/async_concurrency.rs`).

mod coalesce;
mod handle;
mod lock;
mod retriever;

pub use coalesce::Batching;
pub use handle::{AsyncFaissStore, AsyncFaissStoreBuilder};
pub use retriever::AsyncRetriever;

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
