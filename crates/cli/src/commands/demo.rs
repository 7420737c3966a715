//! `ferrofaiss demo`: LangChain's "FAISS (Async)" notebook, end to end, offline.
//!
//! Each section of the notebook is a heading followed by what its cells print: load
//! and split the State of the Union text, index it with `afrom_documents`, ask the
//! Ketanji Brown Jackson question (plain, with scores, by vector), save and load,
//! serialize to bytes and back, merge two stores, filter the notebook's eight
//! page-tagged documents (with `fetch_k`, and with MMR), and delete.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use ferrofaiss::embeddings::Embeddings;
use ferrofaiss::text::{CharacterTextSplitter, TextLoader, TextSplitter};
use ferrofaiss::{
    AsyncFaissStore, Document, FaissStore, Filter, LoadOptions, SearchOptions, StoreConfig,
};
use serde_json::Value;

use crate::embedder::{build_embedder, EmbedderKind, MiniLmArgs};
use crate::error::{CliError, CliResult};
use crate::output::document_json;

/// The notebook's question.
pub const QUERY: &str = "What did the president say about Ketanji Brown Jackson";

/// The State of the Union text, built in so the demo runs from any folder. `data/` holds
/// a symlink to `fixtures/state_of_the_union.txt`: `cargo package` stores it as a file, so
/// the published crate builds (a path outside the crate's folder would not be packaged).
const SOTU_TEXT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/state_of_the_union.txt"
));

/// Where the text is read from when the demo runs at the repository root.
const SOTU_PATH: &str = "fixtures/state_of_the_union.txt";

/// The section headings, in order (the notebook's sections).
pub const HEADINGS: [&str; 9] = [
    "## Load, split and index the text (afrom_documents)",
    "## Similarity search",
    "## Similarity search with score",
    "## Similarity search by vector",
    "## Saving and loading",
    "## Serializing and de-serializing to bytes",
    "## Merging",
    "## Similarity search with filtering",
    "## Delete",
];

/// Arguments of `ferrofaiss demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Embedder: offline feature hashing (default), OpenAI (needs OPENAI_API_KEY), or
    /// MiniLM run locally (a build with `--features minilm`).
    #[arg(long, value_enum, default_value_t = EmbedderKind::Hashing)]
    embedder: EmbedderKind,
    /// The text to index (default: fixtures/state_of_the_union.txt, or the built-in
    /// copy when that file is not there).
    #[arg(long, value_name = "PATH")]
    text: Option<PathBuf>,
    /// MiniLM settings (with --embedder minilm).
    #[command(flatten)]
    minilm: MiniLmArgs,
}

/// Runs `ferrofaiss demo` on a tokio runtime.
pub fn run(args: DemoArgs) -> CliResult<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::with_cause("cannot start the async runtime", e))?;
    runtime.block_on(notebook(args))
}

fn heading(n: usize) {
    println!("\n{}\n", HEADINGS[n]);
}

fn failed<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> CliError {
    move |e| CliError::with_cause(what, e)
}

/// Runs `f` on the store behind `db` on tokio's blocking pool, for the synchronous
/// parts of LangChain's API (`serialize_to_bytes`, `docstore._dict`, `index.ntotal`).
async fn inspect<T, F>(db: &AsyncFaissStore, f: F) -> CliResult<T>
where
    T: Send + 'static,
    F: FnOnce(&FaissStore) -> T + Send + 'static,
{
    let db = db.clone();
    tokio::task::spawn_blocking(move || db.read().map(|store| f(&store)))
        .await
        .map_err(failed("a blocking task"))?
        .map_err(failed("reading the store"))
}

async fn notebook(args: DemoArgs) -> CliResult<()> {
    let started = Instant::now();
    let workdir = tempfile::tempdir()
        .map_err(|e| CliError::with_cause("cannot create a temporary folder", e))?;
    let embedder = build_embedder(args.embedder, None, &args.minilm)?;
    println!("# FAISS (Async): embedder {}", embedder.name());

    heading(0);
    let path = text_path(args.text, workdir.path())?;
    let db = load_split_index(&path, Arc::clone(&embedder)).await?;

    heading(1);
    let docs = db
        .similarity_search(QUERY, SearchOptions::new())
        .await
        .map_err(failed("asimilarity_search"))?;
    println!("query: {QUERY}\n");
    print_top(&docs);

    heading(2);
    let with_scores = db
        .similarity_search_with_score(QUERY, SearchOptions::new())
        .await
        .map_err(failed("asimilarity_search_with_score"))?;
    for (doc, score) in &with_scores {
        println!("score {score:.4}  {}", first_line(doc));
    }

    heading(3);
    let vector = embedder
        .aembed_query(QUERY)
        .await
        .map_err(failed("aembed_query"))?;
    println!("aembed_query: {} dimensions", vector.len());
    let by_vector = db
        .similarity_search_by_vector(vector, SearchOptions::new())
        .await
        .map_err(failed("asimilarity_search_by_vector"))?;
    for doc in &by_vector {
        println!("{}", first_line(doc));
    }

    heading(4);
    let folder = workdir.path().join("faiss_index");
    db.save_local(&folder, "index")
        .await
        .map_err(failed("save_local"))?;
    println!("save_local: {}", list_files(&folder));
    let new_db = AsyncFaissStore::load_local(&folder, Arc::clone(&embedder), LoadOptions::new())
        .await
        .map_err(failed("load_local"))?;
    println!(
        "load_local: {} documents",
        inspect(&new_db, |s| s.len()).await?
    );
    let again = new_db
        .similarity_search(QUERY, SearchOptions::new())
        .await
        .map_err(failed("asimilarity_search after load_local"))?;
    print_top_short(&again, &docs);

    heading(5);
    let bytes = inspect(&db, |s| s.serialize_to_bytes())
        .await?
        .map_err(failed("serialize_to_bytes"))?;
    println!("serialize_to_bytes: {} bytes", bytes.len());
    let from_bytes = AsyncFaissStore::new(
        FaissStore::deserialize_from_bytes(&bytes, Arc::clone(&embedder), &LoadOptions::new())
            .map_err(failed("deserialize_from_bytes"))?,
    );
    println!(
        "deserialize_from_bytes: {} documents",
        inspect(&from_bytes, |s| s.len()).await?
    );
    let again = from_bytes
        .similarity_search(QUERY, SearchOptions::new())
        .await
        .map_err(failed("asimilarity_search after deserialize_from_bytes"))?;
    print_top_short(&again, &docs);

    heading(6);
    merge_section(&embedder).await?;

    heading(7);
    let paged = filter_section(&embedder).await?;

    heading(8);
    delete_section(paged).await?;

    println!(
        "\ndemo finished in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The text file to load: `--text`, else the repository's fixture, else the built-in
/// copy written into `workdir`.
fn text_path(given: Option<PathBuf>, workdir: &Path) -> CliResult<PathBuf> {
    if let Some(path) = given {
        return Ok(path);
    }
    let fixture = PathBuf::from(SOTU_PATH);
    if fixture.is_file() {
        return Ok(fixture);
    }
    let copy = workdir.join("state_of_the_union.txt");
    std::fs::write(&copy, SOTU_TEXT)
        .map_err(|e| CliError::with_cause(format!("cannot write {}", copy.display()), e))?;
    Ok(copy)
}

/// TextLoader, CharacterTextSplitter(chunk_size=1000, chunk_overlap=0), afrom_documents.
async fn load_split_index(
    path: &Path,
    embedder: Arc<dyn Embeddings>,
) -> CliResult<AsyncFaissStore> {
    let documents = TextLoader::new(path)
        .load()
        .map_err(|e| CliError::new(e.to_string()))?;
    let splitter = CharacterTextSplitter::with_sizes(1000, 0).map_err(failed("splitter"))?;
    let chunks = splitter
        .split_documents(&documents)
        .map_err(failed("splitting the text"))?;
    println!(
        "TextLoader({}): {} characters; CharacterTextSplitter(chunk_size=1000, chunk_overlap=0): {} chunks",
        path.display(),
        documents
            .iter()
            .map(|d| d.page_content.chars().count())
            .sum::<usize>(),
        chunks.len()
    );
    let db = AsyncFaissStore::from_documents(chunks, embedder, None, StoreConfig::new())
        .await
        .map_err(failed("afrom_documents"))?;
    let (len, dim, kind) =
        inspect(&db, |s| (s.len(), s.dimension(), s.index().type_name())).await?;
    println!("afrom_documents: {len} vectors of dimension {dim} in {kind}");
    Ok(db)
}

/// Prints the first document in full.
fn print_top(docs: &[Document]) {
    match docs.first() {
        Some(doc) => println!("{}", doc.page_content),
        None => println!("(no results)"),
    }
}

/// Prints whether the top document matches the one found before, and its first line.
fn print_top_short(docs: &[Document], before: &[Document]) {
    let same = docs.first().map(|d| &d.id) == before.first().map(|d| &d.id);
    match docs.first() {
        Some(doc) => println!(
            "top result {} the original store's: {}",
            if same { "matches" } else { "differs from" },
            first_line(doc)
        ),
        None => println!("(no results)"),
    }
}

/// The first line of a document, cut to 100 characters.
fn first_line(doc: &Document) -> String {
    let line = doc.page_content.lines().next().unwrap_or_default();
    let cut: String = line.chars().take(100).collect();
    if cut.len() < line.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

/// The files in `folder`, with sizes.
fn list_files(folder: &Path) -> String {
    let mut entries: Vec<String> = std::fs::read_dir(folder)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                    format!("{} ({size} bytes)", e.file_name().to_string_lossy())
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    entries.join(", ")
}

/// A docstore as `{id: {"id", "page_content", "metadata"}}`, LangChain's `_dict`.
fn docstore_json(store: &FaissStore) -> Value {
    Value::Object(
        store
            .docstore()
            .iter()
            .map(|(id, doc)| (id.to_string(), document_json(doc)))
            .collect(),
    )
}

/// Two stores from `["foo"]` and `["bar"]`, printed, merged, printed.
async fn merge_section(embedder: &Arc<dyn Embeddings>) -> CliResult<()> {
    let from_text = |text: &str| {
        AsyncFaissStore::from_texts(
            vec![text.to_string()],
            Arc::clone(embedder),
            None,
            None,
            StoreConfig::new(),
        )
    };
    let db1 = from_text("foo").await.map_err(failed("afrom_texts"))?;
    let db2 = from_text("bar").await.map_err(failed("afrom_texts"))?;
    println!(
        "db1.docstore._dict: {}",
        inspect(&db1, docstore_json).await?
    );
    println!(
        "db2.docstore._dict: {}",
        inspect(&db2, docstore_json).await?
    );
    db1.merge_from(&db2).await.map_err(failed("merge_from"))?;
    println!("db1.merge_from(db2)");
    println!(
        "db1.docstore._dict: {}",
        inspect(&db1, docstore_json).await?
    );
    Ok(())
}

/// The notebook's eight documents, pages 1 to 4.
fn page_tagged_documents() -> Vec<Document> {
    [
        ("foo", 1),
        ("bar", 1),
        ("foo", 2),
        ("barbar", 2),
        ("foo", 3),
        ("bar burr", 3),
        ("foo", 4),
        ("bar bruh", 4),
    ]
    .into_iter()
    .map(|(text, page)| Document::new(text).with_field("page", page))
    .collect()
}

fn print_scored(results: &[(Document, f32)]) {
    for (doc, score) in results {
        println!(
            "Content: {}, Metadata: {}, Score: {score}",
            doc.page_content,
            Value::Object(doc.metadata.clone())
        );
    }
}

fn print_docs(results: &[Document]) {
    for doc in results {
        println!(
            "Content: {}, Metadata: {}",
            doc.page_content,
            Value::Object(doc.metadata.clone())
        );
    }
}

/// Searches "foo" over the eight documents: unfiltered, filtered on page 1, with
/// `fetch_k`, and MMR with the filter. Returns the store for the delete section.
async fn filter_section(embedder: &Arc<dyn Embeddings>) -> CliResult<AsyncFaissStore> {
    let db = AsyncFaissStore::from_documents(
        page_tagged_documents(),
        Arc::clone(embedder),
        None,
        StoreConfig::new(),
    )
    .await
    .map_err(failed("afrom_documents"))?;
    let page_1 = || Filter::parse(r#"{"page": 1}"#).map_err(failed("filter"));

    println!("asimilarity_search_with_score(\"foo\"):");
    let all = db
        .similarity_search_with_score("foo", SearchOptions::new())
        .await
        .map_err(failed("asimilarity_search_with_score"))?;
    print_scored(&all);

    println!("\nasimilarity_search_with_score(\"foo\", filter={{\"page\": 1}}):");
    let filtered = db
        .similarity_search_with_score("foo", SearchOptions::new().filter(page_1()?))
        .await
        .map_err(failed("asimilarity_search_with_score with a filter"))?;
    print_scored(&filtered);

    println!("\nasimilarity_search(\"foo\", filter={{\"page\": 1}}, k=1, fetch_k=4):");
    let fetch_k = db
        .similarity_search(
            "foo",
            SearchOptions::new().filter(page_1()?).k(1).fetch_k(4),
        )
        .await
        .map_err(failed("asimilarity_search with fetch_k"))?;
    print_docs(&fetch_k);

    println!("\namax_marginal_relevance_search(\"foo\", filter={{\"page\": 1}}):");
    let mmr = db
        .max_marginal_relevance_search("foo", SearchOptions::new().filter(page_1()?))
        .await
        .map_err(failed("amax_marginal_relevance_search"))?;
    print_docs(&mmr);
    Ok(db)
}

/// Deletes the document of row 0 and shows it is gone.
async fn delete_section(db: AsyncFaissStore) -> CliResult<()> {
    let (before, first) = inspect(&db, |s| {
        (
            s.index().ntotal(),
            s.index_to_docstore_id().first().cloned(),
        )
    })
    .await?;
    println!("count before: {before}");
    let id = first.ok_or_else(|| CliError::new("the store to delete from is empty"))?;
    db.delete(vec![id.clone()])
        .await
        .map_err(failed("adelete"))?;
    println!("adelete([{id:?}])");
    let (after, len) = inspect(&db, |s| (s.index().ntotal(), s.len())).await?;
    println!("count after: {after}");
    let found = db
        .get_by_ids(vec![id.clone()])
        .await
        .map_err(failed("aget_by_ids"))?;
    println!("aget_by_ids([{id:?}]): {} documents", found.len());
    let still = db
        .similarity_search("foo", SearchOptions::new().k(len))
        .await
        .map_err(failed("asimilarity_search after adelete"))?;
    println!(
        "a search over every row {} the deleted id",
        if still.iter().any(|d| d.id.as_deref() == Some(id.as_str())) {
            "still returns"
        } else {
            "no longer returns"
        }
    );
    Ok(())
}
