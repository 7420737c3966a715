//! `ferrofaiss index PATHS... --out DIR`: load text files, split them into chunks, embed
//! the chunks and save a store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};
use ferrofaiss::embeddings::Embeddings;
use ferrofaiss::text::{
    CharacterTextSplitter, DirectoryLoader, Document, RecursiveCharacterTextSplitter, TextLoader,
    TextSplitter,
};
use ferrofaiss::{DistanceStrategy, FaissStore, Metadata, StoreConfig, DEFAULT_INDEX_FACTORY};

use crate::commands::gpu::DeviceArg;
use crate::embedder::{build_embedder, EmbedderKind, MiniLmArgs};
use crate::error::{CliError, CliResult};
use crate::progress::{self, Progress, Unit};
use crate::saved::{holds_saved_store, save, FormatArg};

/// Chunks embedded per call while indexing (one progress step each).
const EMBED_BATCH: usize = 128;

/// Input this large (bytes of text) gets progress bars for loading and splitting.
const LARGE_INPUT_BYTES: u64 = 1 << 20;

/// This many files get a loading bar however small they are.
const MANY_FILES: usize = 256;

/// This many chunks get an embedding bar (fewer are embedded in a moment, unless the
/// embedder is a remote service, whose first batch answers soon anyway).
const MANY_CHUNKS: usize = 256;

/// How chunks are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitterKind {
    /// LangChain's `CharacterTextSplitter` on blank lines (the notebook's splitter).
    Character,
    /// LangChain's `RecursiveCharacterTextSplitter` (paragraphs, lines, words, chars).
    Recursive,
}

/// How vectors are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Distance {
    /// Squared Euclidean distance (LangChain's default; lower is closer).
    L2,
    /// Inner product (higher is closer).
    Ip,
    /// Cosine similarity: inner product of L2-normalized vectors (higher is closer).
    Cosine,
}

impl Distance {
    fn apply(self, config: StoreConfig) -> StoreConfig {
        match self {
            Distance::L2 => config.distance_strategy(DistanceStrategy::EuclideanDistance),
            Distance::Ip => config.distance_strategy(DistanceStrategy::MaxInnerProduct),
            Distance::Cosine => config
                .distance_strategy(DistanceStrategy::MaxInnerProduct)
                .normalize_l2(true),
        }
    }
}

/// Arguments of `ferrofaiss index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Text files, or folders whose files are all indexed (recursively, hidden files
    /// skipped). Files must be UTF-8.
    #[arg(required = true, value_name = "PATHS")]
    paths: Vec<PathBuf>,
    /// Folder to save the index into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace an index already saved in DIR.
    #[arg(long)]
    overwrite: bool,
    /// Embedder: offline feature hashing, OpenAI (needs OPENAI_API_KEY; OPENAI_BASE_URL
    /// selects another OpenAI-compatible server), or MiniLM run locally (a build with
    /// `--features minilm`).
    #[arg(long, value_enum, default_value_t = EmbedderKind::Hashing)]
    embedder: EmbedderKind,
    /// OpenAI model (with --embedder openai).
    #[arg(long, value_name = "MODEL")]
    openai_model: Option<String>,
    /// MiniLM settings (with --embedder minilm).
    #[command(flatten)]
    minilm: MiniLmArgs,
    /// Faiss index factory string (the list comes from `SUPPORTED_FACTORY_STRINGS`).
    #[arg(long = "index", value_name = "FACTORY", default_value = DEFAULT_INDEX_FACTORY,
          help = format!("Faiss index factory string, one of: {}", ferrofaiss::index::SUPPORTED_FACTORY_STRINGS))]
    index_factory: String,
    /// Largest chunk, in characters.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    chunk_size: i64,
    /// Characters shared by consecutive chunks.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    chunk_overlap: i64,
    /// Text splitter.
    #[arg(long, value_enum, default_value_t = SplitterKind::Character)]
    splitter: SplitterKind,
    /// Distance between vectors.
    #[arg(long, value_enum, default_value_t = Distance::L2)]
    distance: Distance,
    /// Print what was indexed as one JSON document (and draw no progress bars).
    #[arg(long)]
    json: bool,
    /// Files to write: ferrofaiss (index.faiss + index.docstore, the default) or
    /// langchain (index.faiss + index.pkl, which Python's `FAISS.load_local` opens; it
    /// records no embedder or distance, so `search` needs --embedder).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "ferrofaiss")]
    format: FormatArg,
    /// Where the index is built and filled: cpu, or gpu (a build with --features gpu;
    /// Flat and IVF indexes). The saved folder is the same either way.
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
}

/// Runs `ferrofaiss index`.
pub fn run(args: IndexArgs) -> CliResult<()> {
    if args.out.exists() && !args.out.is_dir() {
        return Err(CliError::new(format!(
            "--out {} is not a folder",
            args.out.display()
        )));
    }
    if holds_saved_store(&args.out) && !args.overwrite {
        return Err(CliError::new(format!(
            "{} already holds an index; pass --overwrite to replace it, or index into \
             another folder and `ferrofaiss merge` the two",
            args.out.display()
        )));
    }
    let config = args
        .distance
        .apply(StoreConfig::new().index_factory(args.index_factory.clone()))
        .device(args.device.device());
    check_factory(&config)?;
    let splitter = make_splitter(args.splitter, args.chunk_size, args.chunk_overlap)?;
    let embedder = build_embedder(args.embedder, args.openai_model.as_deref(), &args.minilm)?;

    // Progress bars on a terminal for large inputs: loading, splitting, embedding.
    let show = progress::wanted(args.json);
    let documents = load_documents(&args.paths, &args.out, show)?;
    let files = documents.len();
    let chunks = split_with_progress(&*splitter, &documents, show)?;
    if chunks.is_empty() {
        return Err(CliError::new(
            "nothing to index: the files hold no text".to_string(),
        ));
    }

    let texts: Vec<String> = chunks.iter().map(|d| d.page_content.clone()).collect();
    let metadatas: Vec<Metadata> = chunks.into_iter().map(|d| d.metadata).collect();
    let vectors = embed_with_progress(&*embedder, &texts, show)?;
    let store = FaissStore::from_embeddings(
        texts.into_iter().zip(vectors).collect(),
        Arc::clone(&embedder),
        Some(metadatas),
        None,
        config,
    )
    .map_err(|e| CliError::with_cause("cannot build the index", e))?;
    save(&store, &args.out, args.format.into())?;
    if args.json {
        let doc = serde_json::json!({
            "out": args.out.display().to_string(),
            "chunks": store.len(),
            "files": files,
            "embedder": embedder.name(),
            "index": store.index().type_name(),
            "dimension": store.dimension(),
            "distance": store.distance_strategy().to_string(),
            "format": ferrofaiss::SaveFormat::from(args.format).as_str(),
        });
        println!("{doc}");
    } else {
        println!(
            "indexed {} chunks from {} file{} into {} (embedder {}, index {}, dimension {}, {})",
            store.len(),
            files,
            if files == 1 { "" } else { "s" },
            args.out.display(),
            embedder.name(),
            store.index().type_name(),
            store.dimension(),
            store.distance_strategy(),
        );
    }
    Ok(())
}

/// Rejects an unknown factory string before any file is read or text embedded.
fn check_factory(config: &StoreConfig) -> CliResult<()> {
    ferrofaiss::index::index_factory(1, &config.index_factory, config.distance_strategy.metric())
        .map(drop)
        .map_err(|e| CliError::with_cause(format!("bad --index {:?}", config.index_factory), e))
}

fn make_splitter(
    kind: SplitterKind,
    chunk_size: i64,
    chunk_overlap: i64,
) -> CliResult<Box<dyn DocumentSplitter>> {
    let bad = |e| CliError::with_cause("bad --chunk-size/--chunk-overlap", e);
    Ok(match kind {
        SplitterKind::Character => {
            Box::new(CharacterTextSplitter::with_sizes(chunk_size, chunk_overlap).map_err(bad)?)
        }
        SplitterKind::Recursive => Box::new(
            RecursiveCharacterTextSplitter::with_sizes(chunk_size, chunk_overlap).map_err(bad)?,
        ),
    })
}

/// The one splitter method the command needs, object-safe.
trait DocumentSplitter {
    fn split(&self, documents: &[Document]) -> CliResult<Vec<Document>>;
}

impl<T: TextSplitter> DocumentSplitter for T {
    fn split(&self, documents: &[Document]) -> CliResult<Vec<Document>> {
        self.split_documents(documents)
            .map_err(|e| CliError::with_cause("cannot split the text", e))
    }
}

/// Loads every file named, and every file under every folder named, in order. Files
/// inside `out` (an earlier index written into a folder being indexed) are skipped.
/// With `show`, a bar counts the bytes read when the input is large.
fn load_documents(paths: &[PathBuf], out: &Path, show: bool) -> CliResult<Vec<Document>> {
    let out = out.canonicalize().ok();
    let mut files = Vec::new();
    for path in paths {
        files.extend(files_of(path, out.as_deref())?);
    }
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let total: u64 = sizes.iter().sum();
    let large = total >= LARGE_INPUT_BYTES || files.len() >= MANY_FILES;
    let progress = Progress::new(total, Unit::Bytes, "loading", show && large);
    let mut documents = Vec::with_capacity(files.len());
    for (file, size) in files.iter().zip(sizes) {
        let loaded = TextLoader::new(file)
            .load()
            .map_err(|e| CliError::new(e.to_string()))?;
        documents.extend(loaded);
        progress.advance(size);
    }
    progress.finish();
    Ok(documents)
}

/// Splits the documents one at a time (as LangChain's `split_documents` does, so the
/// chunks are the same), with a bar counting the bytes split when they are many.
fn split_with_progress(
    splitter: &dyn DocumentSplitter,
    documents: &[Document],
    show: bool,
) -> CliResult<Vec<Document>> {
    let total: u64 = documents.iter().map(|d| d.page_content.len() as u64).sum();
    let progress = Progress::new(
        total,
        Unit::Bytes,
        "splitting",
        show && total >= LARGE_INPUT_BYTES,
    );
    let mut chunks = Vec::new();
    for document in documents {
        chunks.extend(splitter.split(std::slice::from_ref(document))?);
        progress.advance(document.page_content.len() as u64);
    }
    progress.finish();
    Ok(chunks)
}

/// `path` itself if it is a file; the files under it (recursively, hidden ones and
/// those inside `out` left out) if it is a folder.
fn files_of(path: &Path, out: Option<&Path>) -> CliResult<Vec<PathBuf>> {
    if !path.exists() {
        return Err(CliError::new(format!(
            "cannot read {}: no such file or folder",
            path.display()
        )));
    }
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let inside_out = |file: &Path| match (out, file.canonicalize()) {
        (Some(out), Ok(file)) => file.starts_with(out),
        _ => false,
    };
    let files: Vec<PathBuf> = DirectoryLoader::new(path)
        .with_recursive(true)
        .paths()
        .map_err(|e| CliError::new(e.to_string()))?
        .into_iter()
        .filter(|file| !inside_out(file))
        .collect();
    if files.is_empty() {
        return Err(CliError::new(format!(
            "nothing to index in {}: the folder holds no files",
            path.display()
        )));
    }
    Ok(files)
}

/// Embeds `texts` in batches, with a bar counting the chunks embedded when they are many.
fn embed_with_progress(
    embedder: &dyn Embeddings,
    texts: &[String],
    show: bool,
) -> CliResult<Vec<Vec<f32>>> {
    let progress = Progress::new(
        texts.len() as u64,
        Unit::Items,
        "embedding",
        show && texts.len() >= MANY_CHUNKS,
    );
    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(EMBED_BATCH) {
        let got = embedder
            .embed_documents(batch)
            .map_err(|e| CliError::with_cause("embedding failed", e))?;
        if got.len() != batch.len() {
            return Err(CliError::new(format!(
                "embedding failed: the embedder returned {} vectors for {} texts",
                got.len(),
                batch.len()
            )));
        }
        vectors.extend(got);
        progress.advance(batch.len() as u64);
    }
    progress.finish();
    Ok(vectors)
}
