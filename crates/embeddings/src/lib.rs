//! Text embedders: OpenAI (through `async-openai`), offline embedders and the
//! deterministic test embedders LangChain's tests use.
//!
//! This crate turns text into vectors; it does not store them.
