//! The notebook's retrieval through langchain-rust, offline: `fixtures/state_of_the_union.txt`
//! split as in LangChain's FAISS notebook (1,000-character chunks), added with
//! langchain-rust's `VectorStore::add_documents` (ferrofaiss's hashing embedder, no
//! network), and asked the Ketanji Brown Jackson question with its `similarity_search`,
//! then through its `Retriever`.
//!
//! ```sh
//! cargo run -p ferrofaiss-langchain-rust --example rag_offline
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::sync::Arc;

use ferrofaiss::embeddings::{Embeddings, HashingEmbeddings};
use ferrofaiss::text::{CharacterTextSplitter, TextLoader, TextSplitter};
use ferrofaiss::{AsyncFaissStore, FaissStore, StoreConfig};
use ferrofaiss_langchain_rust::FaissVectorStore;
use langchain_rust::schemas::{Document, Retriever as _};
use langchain_rust::vectorstore::{Retriever, VecStoreOptions, VectorStore};
use serde_json::json;

/// The notebook's input text.
const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);

/// The notebook's question.
const QUERY: &str = "What did the president say about Ketanji Brown Jackson";

fn first_line(doc: &Document) -> &str {
    doc.page_content.lines().next().unwrap_or("")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let loaded = TextLoader::new(SOTU).load()?;
    let splitter = CharacterTextSplitter::with_sizes(1000, 0)?;
    let docs: Vec<Document> = splitter
        .split_documents(&loaded)?
        .into_iter()
        .enumerate()
        .map(|(chunk, doc)| {
            Document::new(doc.page_content).with_metadata(HashMap::from([
                ("source".to_string(), json!("state_of_the_union.txt")),
                ("chunk".to_string(), json!(chunk)),
            ]))
        })
        .collect();

    let embedder: Arc<dyn Embeddings> = Arc::new(HashingEmbeddings::default());
    let dim = embedder
        .dimension()
        .ok_or("the hashing embedder has a fixed width")?;
    let store = FaissVectorStore::new(AsyncFaissStore::new(FaissStore::with_dimension(
        embedder,
        dim,
        StoreConfig::new(),
    )?));

    let options = VecStoreOptions::default();
    let ids = store.add_documents(&docs, &options).await?;
    println!(
        "added {} chunks through langchain-rust's VectorStore",
        ids.len()
    );

    println!("\nsimilarity_search({QUERY:?}, 4):");
    for doc in store.similarity_search(QUERY, 4, &options).await? {
        println!(
            "  score {:.4}  chunk {:>2}  {:.70}",
            doc.score,
            doc.metadata["chunk"],
            first_line(&doc)
        );
    }

    let after_30 = VecStoreOptions::default().with_filters(json!({"chunk": {"$gt": 30}}));
    println!("\nthe same, filter {{\"chunk\": {{\"$gt\": 30}}}}, 2 results:");
    for doc in store.similarity_search(QUERY, 2, &after_30).await? {
        println!(
            "  score {:.4}  chunk {:>2}",
            doc.score, doc.metadata["chunk"]
        );
    }

    let retriever = Retriever::new(store, 1);
    let best = retriever.get_relevant_documents(QUERY).await?;
    println!(
        "\nRetriever (1 document): chunk {}",
        best[0].metadata["chunk"]
    );
    Ok(())
}
