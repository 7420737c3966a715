//! `ferrofaiss`: LangChain's `FAISS` vector store in pure Rust.
//!
//! The crate users add. It composes the index, the docstore, the embedders and the
//! text tools, and re-exports them.

pub use ferrofaiss_docstore as docstore;
pub use ferrofaiss_embeddings as embeddings;
pub use ferrofaiss_index as index;
pub use ferrofaiss_text as text;
pub use flatl2_kernel as kernel;
