//! Documents, their metadata, the in-memory docstore and LangChain-style metadata
//! filters: the document layer of LangChain's FAISS vector store.
//!
//! This crate knows documents and metadata. It knows nothing of vectors, indexes,
//! embeddings or files: the store (`ferrofaiss`) composes it with an index.
//!
//! * [`Document`] and [`Metadata`]: LangChain's `Document` with a JSON-valued,
//!   insertion-ordered metadata map.
//! * [`InMemoryDocstore`]: LangChain's `InMemoryDocstore` (ids in insertion order),
//!   all-or-nothing, with `check_*` methods that validate a batch without applying it.
//! * [`Filter`]: LangChain's dict filters (`$eq $neq $gt $gte $lt $lte $in $nin $and $or
//!   $not`) compiled once into a [`FilterExpr`] and evaluated with Python's value
//!   semantics, including the quirks and Python errors LangChain 0.4.2 shows; or a Rust
//!   closure over the metadata.
//!
//! The CPython semantics (`==`, ordering, `in`, `repr` of strings) the filters and error
//! messages rely on live in `ferrofaiss_cpython`; the Python types that appear in this
//! crate's errors ([`PyException`], [`OrderError`], [`OrderOp`], [`ContainsError`]) are
//! re-exported here.
//!
//! Errors carry LangChain's messages: `Display` (or `python_message`) gives the text and
//! `python_exception` the Python exception class recorded in the golden cases.
//!
//! Not here: similarity search, score thresholds, `fetch_k`, persistence (the pickle
//! format of the docstore belongs to the store), id generation.

mod docstore;
mod document;
mod filter;

pub use docstore::{DocstoreError, InMemoryDocstore, IntoIter, Iter};
pub use document::{metadata_from_json, Document, Metadata};
pub use ferrofaiss_cpython::{ContainsError, OrderError, OrderOp, PyException};
pub use filter::{
    Comparison, Condition, Filter, FilterError, FilterEvalError, FilterExpr, ValueSet,
};

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
