//! Faiss-style vector indexes: flat L2/IP, IVF-Flat with k-means, id maps, factory
//! strings, and native Faiss `index.faiss` files read and written byte-identically.
//!
//! This crate knows vectors and 64-bit ids (Faiss's world). It knows nothing of
//! documents or text; distance arithmetic comes from `flatl2-kernel`.

pub mod faiss_io;
