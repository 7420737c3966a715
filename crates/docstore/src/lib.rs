//! Documents, their metadata, the in-memory docstore and LangChain-style metadata
//! filters.
//!
//! This crate knows documents and metadata. It knows nothing of vectors.
