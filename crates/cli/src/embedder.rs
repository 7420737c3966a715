//! Which embedder a command uses: the offline hashing embedder (default), OpenAI, or
//! MiniLM run locally (feature `minilm`), and how the embedder recorded in a saved
//! folder is rebuilt for `search`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use ferrofaiss::embeddings::{
    EmbedFuture, EmbeddingError, Embeddings, HashingEmbeddings, OpenAiEmbeddings,
};

use crate::error::{CliError, CliResult};

/// The embedders the CLI can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmbedderKind {
    /// Offline lexical feature hashing (no network, no model files).
    Hashing,
    /// OpenAI's embeddings API (`OPENAI_API_KEY`, `OPENAI_BASE_URL`).
    Openai,
    /// sentence-transformers' all-MiniLM-L6-v2 run locally (needs a build with
    /// `--features minilm` and the model files).
    Minilm,
}

/// The MiniLM settings a command accepts (used with `--embedder minilm`, and when
/// `search` rebuilds MiniLM for a folder it built).
#[derive(Debug, Clone, Default, Args)]
pub struct MiniLmArgs {
    /// MiniLM model folder (config.json, tokenizer.json, model.safetensors); default:
    /// $FERROFAISS_MODEL_DIR, the Hugging Face cache, or the cache filled by
    /// `scripts/fetch-minilm.sh`.
    #[arg(long, value_name = "PATH")]
    pub model_dir: Option<PathBuf>,
    /// Texts per MiniLM forward pass (default 32).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub batch_size: Option<usize>,
}

/// Parses a count of at least 1.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Builds an embedder of `kind`; `openai_model` replaces OpenAI's default model and
/// `minilm` sets up MiniLM.
pub fn build_embedder(
    kind: EmbedderKind,
    openai_model: Option<&str>,
    minilm: &MiniLmArgs,
) -> CliResult<Arc<dyn Embeddings>> {
    match kind {
        EmbedderKind::Hashing => Ok(Arc::new(HashingEmbeddings::default())),
        EmbedderKind::Openai => build_openai(openai_model, None),
        EmbedderKind::Minilm => build_minilm(minilm, None),
    }
}

/// What a binary built without the `minilm` feature says when MiniLM is needed.
pub const MINILM_NOT_BUILT: &str = "this ferrofaiss was built without MiniLM; rebuild it \
     with `--features minilm` (e.g. `cargo run --release --features minilm -- ...`)";

/// The prefix of the names MiniLM embedders record.
const MINILM_NAME_PREFIX: &str = "minilm(";

/// Loads MiniLM once (the returned handle is shared by every clone); `max_seq_length`
/// replaces the default (a saved folder records the one it was built with).
#[cfg(feature = "minilm")]
fn build_minilm(
    args: &MiniLmArgs,
    max_seq_length: Option<usize>,
) -> CliResult<Arc<dyn Embeddings>> {
    use ferrofaiss::embeddings::{MiniLmEmbeddings, MiniLmOptions, MINILM_DEFAULT_BATCH_SIZE};
    let defaults = MiniLmOptions::default();
    let embedder = MiniLmEmbeddings::new(MiniLmOptions {
        model_dir: args.model_dir.clone(),
        batch_size: args.batch_size.unwrap_or(MINILM_DEFAULT_BATCH_SIZE),
        max_seq_length: max_seq_length.unwrap_or(defaults.max_seq_length),
    })
    .map_err(EmbeddingError::from)
    .map_err(|e| CliError::new(joined_lines(&e.to_string())))?;
    Ok(Arc::new(embedder))
}

/// Without the `minilm` feature MiniLM cannot be built: says how to get it.
#[cfg(not(feature = "minilm"))]
fn build_minilm(
    _args: &MiniLmArgs,
    _max_seq_length: Option<usize>,
) -> CliResult<Arc<dyn Embeddings>> {
    Err(CliError::new(MINILM_NOT_BUILT))
}

/// A multi-line message on one line: its non-empty lines, trimmed, joined with "; "
/// (with a space only after a line that ends in a colon or in "or").
#[cfg(any(feature = "minilm", test))]
fn joined_lines(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for line in message.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            let continues = out.ends_with(':') || out.ends_with(" or");
            out.push_str(if continues { " " } else { "; " });
        }
        out.push_str(line);
    }
    out
}

fn build_openai(model: Option<&str>, dimensions: Option<u32>) -> CliResult<Arc<dyn Embeddings>> {
    let mut builder = OpenAiEmbeddings::builder();
    if let Some(model) = model {
        builder = builder.model(model);
    }
    if let Some(d) = dimensions {
        builder = builder.dimensions(d);
    }
    let embedder = builder
        .build()
        .map_err(|e| CliError::with_cause("cannot set up the OpenAI embedder", e))?;
    Ok(Arc::new(embedder))
}

/// Rebuilds the embedder whose [`Embeddings::name`] is `saved` (the name a saved folder
/// records): the default hashing embedder, OpenAI with the recorded model and
/// dimensions, or MiniLM (set up by `minilm`) with the recorded sequence length.
pub fn embedder_for_saved_name(saved: &str, minilm: &MiniLmArgs) -> CliResult<Arc<dyn Embeddings>> {
    let hashing = HashingEmbeddings::default();
    if saved == hashing.name() {
        return Ok(Arc::new(hashing));
    }
    if let Some((model, dimensions)) = parse_openai_name(saved) {
        return build_openai(Some(&model), dimensions);
    }
    if saved.starts_with(MINILM_NAME_PREFIX) {
        if cfg!(not(feature = "minilm")) {
            return Err(CliError::new(format!(
                "the index was built with embedder {saved}, but {MINILM_NOT_BUILT}"
            )));
        }
        return build_minilm(minilm, parse_minilm_max_seq_length(saved));
    }
    Err(CliError::new(format!(
        "the index was built with embedder {saved}, which this program cannot rebuild \
         (it knows the default hashing embedder, OpenAI and MiniLM)"
    )))
}

/// The `max_seq_length=N` of a MiniLM name such as
/// `minilm(model=M,dim=384,max_seq_length=256)`.
fn parse_minilm_max_seq_length(name: &str) -> Option<usize> {
    let inner = name.strip_prefix(MINILM_NAME_PREFIX)?.strip_suffix(')')?;
    inner
        .split(',')
        .find_map(|part| part.strip_prefix("max_seq_length="))
        .and_then(|n| n.parse().ok())
}

/// Parses `openai(model=M)` or `openai(model=M,dimensions=D)`.
fn parse_openai_name(name: &str) -> Option<(String, Option<u32>)> {
    let inner = name.strip_prefix("openai(")?.strip_suffix(')')?;
    let mut model = None;
    let mut dimensions = None;
    for part in inner.split(',') {
        let (key, value) = part.split_once('=')?;
        match key {
            "model" => model = Some(value.to_string()),
            "dimensions" => dimensions = Some(value.parse().ok()?),
            _ => return None,
        }
    }
    Some((model?, dimensions))
}

/// An embedder that only carries a name: used to open a saved store for commands that
/// never embed (`info`, `delete`, `merge`), so the store keeps, and saves again, the
/// name of the embedder that built it. Embedding with it is an error.
#[derive(Debug, Clone)]
pub struct RecordedEmbedder {
    name: String,
}

impl RecordedEmbedder {
    /// A stand-in named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        RecordedEmbedder { name: name.into() }
    }

    fn refuse(&self) -> EmbeddingError {
        EmbeddingError::Config(format!(
            "this store was opened without its embedder ({}); nothing can be embedded",
            self.name
        ))
    }
}

impl Embeddings for RecordedEmbedder {
    fn aembed_documents<'a>(&'a self, _texts: &'a [String]) -> EmbedFuture<'a, Vec<Vec<f32>>> {
        Box::pin(async move { Err(self.refuse()) })
    }

    fn aembed_query<'a>(&'a self, _text: &'a str) -> EmbedFuture<'a, Vec<f32>> {
        Box::pin(async move { Err(self.refuse()) })
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openai_names() {
        assert_eq!(
            parse_openai_name("openai(model=text-embedding-3-small)"),
            Some(("text-embedding-3-small".to_string(), None))
        );
        assert_eq!(
            parse_openai_name("openai(model=m,dimensions=256)"),
            Some(("m".to_string(), Some(256)))
        );
        assert_eq!(parse_openai_name("openai(dimensions=256)"), None);
        assert_eq!(parse_openai_name("hashing-v1(dim=1024)"), None);
    }

    #[test]
    fn rebuilds_the_default_hashing_embedder() {
        let name = HashingEmbeddings::default().name();
        let none = MiniLmArgs::default();
        let rebuilt = embedder_for_saved_name(&name, &none).unwrap();
        assert_eq!(rebuilt.name(), name);
        assert!(embedder_for_saved_name("something-else", &none).is_err());
    }

    #[test]
    fn parses_minilm_sequence_lengths() {
        assert_eq!(
            parse_minilm_max_seq_length(
                "minilm(model=sentence-transformers/all-MiniLM-L6-v2,dim=384,max_seq_length=128)"
            ),
            Some(128)
        );
        assert_eq!(parse_minilm_max_seq_length("minilm(model=m,dim=384)"), None);
        assert_eq!(parse_minilm_max_seq_length("hashing-v1(dim=1024)"), None);
    }

    #[test]
    fn joins_multi_line_messages_with_semicolons() {
        assert_eq!(
            joined_lines(
                "not found. Searched:\n  - a: no\n  - b: no\nTo get one:\n  - x; or\n  - y"
            ),
            "not found. Searched: - a: no; - b: no; To get one: - x; or - y"
        );
        assert_eq!(joined_lines("one line"), "one line");
    }

    #[test]
    fn a_missing_minilm_model_folder_is_one_line() {
        let args = MiniLmArgs {
            model_dir: Some(PathBuf::from("/nonexistent/ferrofaiss-minilm-model")),
            batch_size: None,
        };
        let err = build_minilm(&args, None).err().expect("no model there");
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        if cfg!(feature = "minilm") {
            assert!(msg.contains("fetch-minilm"), "{msg}");
            assert!(
                msg.contains("/nonexistent/ferrofaiss-minilm-model"),
                "{msg}"
            );
        } else {
            assert!(msg.contains("--features minilm"), "{msg}");
        }
    }

    #[test]
    fn recorded_embedder_refuses_to_embed() {
        let e = RecordedEmbedder::new("x");
        assert_eq!(e.name(), "x");
        assert!(e.embed_query("q").is_err());
    }
}
