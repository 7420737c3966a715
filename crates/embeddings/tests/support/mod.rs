//! Helpers shared by integration tests.

pub mod embeddings_server;
