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
use ferrofaiss::docstore::Value;
use ferrofaiss::embeddings::Embeddings;
use ferrofaiss::text::{CharacterTextSplitter, TextLoader, TextSplitter};
use ferrofaiss::{Document, FaissStore, Filter, LoadOptions, SearchOptions, StoreConfig};

use crate::embedder::{build_embedder, EmbedderKind};
use crate::error::{CliError, CliResult};
use crate::output::document_json;

/// The notebook's question.
pub const QUERY: &str = "What did the president say about Ketanji Brown Jackson";

/// The State of the Union text, built in so the demo runs from any folder.
const SOTU_TEXT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
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
    /// Embedder: offline feature hashing (default), or OpenAI (needs OPENAI_API_KEY).
    #[arg(long, value_enum, default_value_t = EmbedderKind::Hashing)]
    embedder: EmbedderKind,
    /// The text to index (default: fixtures/state_of_the_union.txt, or the built-in
    /// copy when that file is not there).
    #[arg(long, value_name = "PATH")]
    text: Option<PathBuf>,
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

async fn notebook(args: DemoArgs) -> CliResult<()> {
    let started = Instant::now();
    let workdir = tempfile::tempdir()
        .map_err(|e| CliError::with_cause("cannot create a temporary folder", e))?;
    let embedder = build_embedder(args.embedder, None)?;
    println!("# FAISS (Async), offline: embedder {}", embedder.name());

    heading(0);
    let path = text_path(args.text, workdir.path())?;
    let db = load_split_index(&path, Arc::clone(&embedder)).await?;

    heading(1);
    let docs = db
        .similarity_search(QUERY, &SearchOptions::new())
        .map_err(failed("similarity search"))?;
    println!("query: {QUERY}\n");
    print_top(&docs);

    heading(2);
    let with_scores = db
        .similarity_search_with_score(QUERY, &SearchOptions::new())
        .map_err(failed("similarity search with score"))?;
    for (doc, score) in &with_scores {
        println!("score {score:.4}  {}", first_line(doc));
    }

    heading(3);
    let vector = embedder
        .aembed_query(QUERY)
        .await
        .map_err(failed("embedding the query"))?;
    println!("embedded the query: {} dimensions", vector.len());
    let by_vector = db
        .similarity_search_by_vector(&vector, &SearchOptions::new())
        .map_err(failed("search by vector"))?;
    for doc in &by_vector {
        println!("{}", first_line(doc));
    }

    heading(4);
    let folder = workdir.path().join("faiss_index");
    db.save_local(&folder, "index")
        .map_err(failed("save_local"))?;
    println!("save_local: {}", list_files(&folder));
    let new_db = FaissStore::load_local(&folder, Arc::clone(&embedder), &LoadOptions::new())
        .map_err(failed("load_local"))?;
    println!("load_local: {} documents", new_db.len());
    let again = new_db
        .similarity_search(QUERY, &SearchOptions::new())
        .map_err(failed("search after load"))?;
    print_top_short(&again, &docs);

    heading(5);
    let bytes = db
        .serialize_to_bytes()
        .map_err(failed("serialize_to_bytes"))?;
    println!("serialize_to_bytes: {} bytes", bytes.len());
    let from_bytes =
        FaissStore::deserialize_from_bytes(&bytes, Arc::clone(&embedder), &LoadOptions::new())
            .map_err(failed("deserialize_from_bytes"))?;
    println!("deserialize_from_bytes: {} documents", from_bytes.len());
    let again = from_bytes
        .similarity_search(QUERY, &SearchOptions::new())
        .map_err(failed("search after deserializing"))?;
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
async fn load_split_index(path: &Path, embedder: Arc<dyn Embeddings>) -> CliResult<FaissStore> {
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
    let db = FaissStore::from_documents(chunks, embedder, None, StoreConfig::new())
        .map_err(failed("afrom_documents"))?;
    println!(
        "afrom_documents: {} vectors of dimension {} in {}",
        db.len(),
        db.dimension(),
        db.index().type_name()
    );
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
    let mut db1 = FaissStore::from_texts(
        &["foo"],
        Arc::clone(embedder),
        None,
        None,
        StoreConfig::new(),
    )
    .map_err(failed("afrom_texts"))?;
    let db2 = FaissStore::from_texts(
        &["bar"],
        Arc::clone(embedder),
        None,
        None,
        StoreConfig::new(),
    )
    .map_err(failed("afrom_texts"))?;
    println!("db1.docstore._dict: {}", docstore_json(&db1));
    println!("db2.docstore._dict: {}", docstore_json(&db2));
    db1.merge_from(&db2).map_err(failed("merge_from"))?;
    println!("db1.merge_from(db2)");
    println!("db1.docstore._dict: {}", docstore_json(&db1));
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
async fn filter_section(embedder: &Arc<dyn Embeddings>) -> CliResult<FaissStore> {
    let db = FaissStore::from_documents(
        page_tagged_documents(),
        Arc::clone(embedder),
        None,
        StoreConfig::new(),
    )
    .map_err(failed("afrom_documents"))?;
    let page_1 = || Filter::parse(r#"{"page": 1}"#).map_err(failed("filter"));

    println!("similarity_search_with_score(\"foo\"):");
    let all = db
        .similarity_search_with_score("foo", &SearchOptions::new())
        .map_err(failed("search"))?;
    print_scored(&all);

    println!("\nsimilarity_search_with_score(\"foo\", filter={{\"page\": 1}}):");
    let filtered = db
        .similarity_search_with_score("foo", &SearchOptions::new().filter(page_1()?))
        .map_err(failed("filtered search"))?;
    print_scored(&filtered);

    println!("\nsimilarity_search(\"foo\", filter={{\"page\": 1}}, k=1, fetch_k=4):");
    let fetch_k = db
        .similarity_search(
            "foo",
            &SearchOptions::new().filter(page_1()?).k(1).fetch_k(4),
        )
        .map_err(failed("search with fetch_k"))?;
    print_docs(&fetch_k);

    println!("\nmax_marginal_relevance_search(\"foo\", filter={{\"page\": 1}}):");
    let mmr = db
        .max_marginal_relevance_search("foo", &SearchOptions::new().filter(page_1()?))
        .map_err(failed("MMR search"))?;
    print_docs(&mmr);
    Ok(db)
}

/// Deletes the document of row 0 and shows it is gone.
async fn delete_section(mut db: FaissStore) -> CliResult<()> {
    println!("count before: {}", db.index().ntotal());
    let id = db
        .index_to_docstore_id()
        .first()
        .cloned()
        .ok_or_else(|| CliError::new("the store to delete from is empty"))?;
    db.delete(&[id.as_str()]).map_err(failed("delete"))?;
    println!("adelete([{id:?}])");
    println!("count after: {}", db.index().ntotal());
    let found = db.get_by_ids(&[id.as_str()]);
    println!("get_by_ids([{id:?}]): {} documents", found.len());
    let still = db
        .similarity_search("foo", &SearchOptions::new().k(db.len()))
        .map_err(failed("search after delete"))?;
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
