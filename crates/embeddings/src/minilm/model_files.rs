//! Where the model comes from and what it is made of: the names the locator searches
//! for, which the not-found error also lists.

/// Files a model folder must hold.
pub const MODEL_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
/// The environment variable naming the model folder.
pub const MODEL_DIR_ENV: &str = "FERROFAISS_MODEL_DIR";
/// The Hugging Face repository of the model.
pub const HF_REPO: &str = "sentence-transformers/all-MiniLM-L6-v2";
