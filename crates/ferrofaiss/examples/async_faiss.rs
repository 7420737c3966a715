//! LangChain's "FAISS (Async)" notebook as a Rust program, section by section.
//!
//! ```sh
//! cargo run -p ferrofaiss --example async_faiss
//! ```
//!
//! Offline by default: the hashing embedder needs no network and no model files. With
//! `OPENAI_API_KEY` set, OpenAI's embeddings are used instead, as in the notebook
//! (`OPENAI_BASE_URL` points it at another OpenAI-compatible server).

use std::error::Error;
use std::sync::Arc;

use ferrofaiss::embeddings::{Embeddings, HashingEmbeddings, OpenAiEmbeddings};
use ferrofaiss::text::{CharacterTextSplitter, TextLoader, TextSplitter};
use ferrofaiss::{
    AsyncFaissStore, Document, FaissStore, Filter, LoadOptions, SearchOptions, StoreConfig,
};

/// The notebook's input text.
const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// `OpenAIEmbeddings()` when a key is set, else the offline hashing embedder.
fn embeddings() -> Result<Arc<dyn Embeddings>> {
    if std::env::var_os("OPENAI_API_KEY").is_some() {
        Ok(Arc::new(OpenAiEmbeddings::from_env()?))
    } else {
        Ok(Arc::new(HashingEmbeddings::default()))
    }
}

/// What `print(doc)` shows in the notebook.
fn show(doc: &Document) -> String {
    format!(
        "Document(id={:?}, metadata={}, page_content={:?})",
        doc.id.as_deref().unwrap_or("None"),
        serde_json::Value::Object(doc.metadata.clone()),
        doc.page_content
    )
}

/// `db.docstore._dict`, read on the blocking pool (the handle's lock is synchronous).
async fn docstore_dict(db: &AsyncFaissStore) -> Result<String> {
    let db = db.clone();
    let entries = tokio::task::spawn_blocking(move || -> Result<Vec<String>> {
        let store = db.read()?;
        Ok(store
            .docstore()
            .iter()
            .map(|(id, doc)| format!("{id:?}: {}", show(doc)))
            .collect())
    })
    .await??;
    Ok(format!("{{{}}}", entries.join(", ")))
}

/// `db.index.ntotal` and `db.index_to_docstore_id[0]`.
async fn ntotal_and_first_id(db: &AsyncFaissStore) -> Result<(usize, Option<String>)> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || -> Result<(usize, Option<String>)> {
        let store = db.read()?;
        Ok((
            store.index().ntotal(),
            store.index_to_docstore_id().first().cloned(),
        ))
    })
    .await?
}

#[tokio::main]
async fn main() -> Result<()> {
    let embeddings = embeddings()?;
    println!("# Faiss (Async) with {}", embeddings.name());

    // loader = TextLoader("../../../extras/modules/state_of_the_union.txt")
    // documents = loader.load()
    // text_splitter = CharacterTextSplitter(chunk_size=1000, chunk_overlap=0)
    // docs = text_splitter.split_documents(documents)
    // db = await FAISS.afrom_documents(docs, embeddings)
    let documents = TextLoader::new(SOTU).load()?;
    let text_splitter = CharacterTextSplitter::with_sizes(1000, 0)?;
    let docs = text_splitter.split_documents(&documents)?;
    println!("{} chunks", docs.len());
    let db =
        AsyncFaissStore::from_documents(docs, Arc::clone(&embeddings), None, StoreConfig::new())
            .await?;

    // query = "What did the president say about Ketanji Brown Jackson"
    // docs = await db.asimilarity_search(query)
    // print(docs[0].page_content)
    let query = "What did the president say about Ketanji Brown Jackson";
    let docs = db.similarity_search(query, SearchOptions::new()).await?;
    let top = docs.first().ok_or("no results")?;
    println!("\n{}", top.page_content);

    println!("\n## Similarity Search with score\n");
    // docs_and_scores = await db.asimilarity_search_with_score(query)
    // docs_and_scores[0]
    let docs_and_scores = db
        .similarity_search_with_score(query, SearchOptions::new())
        .await?;
    let (doc, score) = docs_and_scores.first().ok_or("no results")?;
    println!("({}, {score})", show(doc));

    // embedding_vector = await embeddings.aembed_query(query)
    // docs_and_scores = await db.asimilarity_search_by_vector(embedding_vector)
    let embedding_vector = embeddings.aembed_query(query).await?;
    let docs_by_vector = db
        .similarity_search_by_vector(embedding_vector, SearchOptions::new())
        .await?;
    println!(
        "by vector: the same top chunk: {}",
        docs_by_vector.first().map(|d| &d.id) == Some(&top.id)
    );

    println!("\n## Saving and loading\n");
    // db.save_local("faiss_index")
    // new_db = FAISS.load_local("faiss_index", embeddings, asynchronous=True)
    // docs = await new_db.asimilarity_search(query)
    // docs[0]
    let folder = tempfile::tempdir()?;
    let faiss_index = folder.path().join("faiss_index");
    db.save_local(&faiss_index, "index").await?;
    let new_db =
        AsyncFaissStore::load_local(&faiss_index, Arc::clone(&embeddings), LoadOptions::new())
            .await?;
    let docs = new_db
        .similarity_search(query, SearchOptions::new())
        .await?;
    println!("{}", show(docs.first().ok_or("no results")?));

    println!("\n# Serializing and De-Serializing to bytes\n");
    // pkl = db.serialize_to_bytes()
    // db = FAISS.deserialize_from_bytes(embeddings=embeddings, serialized=pkl, asynchronous=True)
    let pkl = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
            Ok(db.read()?.serialize_to_bytes()?)
        })
        .await??
    };
    println!("{} bytes", pkl.len());
    let db = AsyncFaissStore::new(FaissStore::deserialize_from_bytes(
        &pkl,
        Arc::clone(&embeddings),
        &LoadOptions::new(),
    )?);
    let docs = db.similarity_search(query, SearchOptions::new()).await?;
    println!("{}", show(docs.first().ok_or("no results")?));

    println!("\n## Merging\n");
    // db1 = await FAISS.afrom_texts(["foo"], embeddings)
    // db2 = await FAISS.afrom_texts(["bar"], embeddings)
    // db1.docstore._dict; db2.docstore._dict
    // db1.merge_from(db2); db1.docstore._dict
    let db1 = AsyncFaissStore::from_texts(
        vec!["foo".into()],
        Arc::clone(&embeddings),
        None,
        None,
        StoreConfig::new(),
    )
    .await?;
    let db2 = AsyncFaissStore::from_texts(
        vec!["bar".into()],
        Arc::clone(&embeddings),
        None,
        None,
        StoreConfig::new(),
    )
    .await?;
    println!("db1.docstore._dict: {}", docstore_dict(&db1).await?);
    println!("db2.docstore._dict: {}", docstore_dict(&db2).await?);
    db1.merge_from(&db2).await?;
    println!("db1.merge_from(db2)");
    println!("db1.docstore._dict: {}", docstore_dict(&db1).await?);

    println!("\n## Similarity Search with filtering\n");
    // list_of_documents = [Document(page_content="foo", metadata=dict(page=1)), ...]
    // db = FAISS.from_documents(list_of_documents, embeddings)
    // results_with_scores = db.similarity_search_with_score("foo")
    let list_of_documents: Vec<Document> = [
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
    .collect();
    let db = AsyncFaissStore::from_documents(
        list_of_documents,
        Arc::clone(&embeddings),
        None,
        StoreConfig::new(),
    )
    .await?;
    let print_scored = |results: &[(Document, f32)]| {
        for (doc, score) in results {
            println!(
                "Content: {}, Metadata: {}, Score: {score}",
                doc.page_content,
                serde_json::Value::Object(doc.metadata.clone())
            );
        }
    };
    let print_docs = |results: &[Document]| {
        for doc in results {
            println!(
                "Content: {}, Metadata: {}",
                doc.page_content,
                serde_json::Value::Object(doc.metadata.clone())
            );
        }
    };
    let results_with_scores = db
        .similarity_search_with_score("foo", SearchOptions::new())
        .await?;
    print_scored(&results_with_scores);

    // results_with_scores = await db.asimilarity_search_with_score("foo", filter=dict(page=1))
    let page_1 = || Filter::parse(r#"{"page": 1}"#);
    println!();
    let results_with_scores = db
        .similarity_search_with_score("foo", SearchOptions::new().filter(page_1()?))
        .await?;
    print_scored(&results_with_scores);

    // results = await db.asimilarity_search("foo", filter=dict(page=1), k=1, fetch_k=4)
    println!();
    let results = db
        .similarity_search(
            "foo",
            SearchOptions::new().filter(page_1()?).k(1).fetch_k(4),
        )
        .await?;
    print_docs(&results);

    // results = await db.amax_marginal_relevance_search("foo", filter=dict(page=1))
    println!();
    let results = db
        .max_marginal_relevance_search("foo", SearchOptions::new().filter(page_1()?))
        .await?;
    print_docs(&results);

    println!("\n## Delete\n");
    // print("count before:", db.index.ntotal)
    // await db.adelete([db.index_to_docstore_id[0]])
    // print("count after:", db.index.ntotal)
    let (before, first) = ntotal_and_first_id(&db).await?;
    println!("count before: {before}");
    let first = first.ok_or("the store is empty")?;
    db.delete(vec![first.clone()]).await?;
    let (after, _) = ntotal_and_first_id(&db).await?;
    println!("count after: {after}");
    let left = db.get_by_ids(vec![first.clone()]).await?;
    println!(
        "get_by_ids([{first:?}]) after delete: {} documents",
        left.len()
    );
    Ok(())
}
