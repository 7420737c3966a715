//! The notebook's retrieval through rig, offline: `fixtures/state_of_the_union.txt` split
//! as in LangChain's FAISS notebook (1,000-character chunks), embedded by ferrofaiss's
//! hashing embedder through rig's `EmbeddingsBuilder`, inserted with rig's
//! `InsertDocuments`, and asked the Ketanji Brown Jackson question with rig's `top_n`.
//!
//! ```sh
//! cargo run -p ferrofaiss-rig --example rag_offline
//! ```

use std::error::Error;
use std::sync::Arc;

use ferrofaiss::embeddings::{Embeddings, HashingEmbeddings};
use ferrofaiss::text::{CharacterTextSplitter, TextLoader, TextSplitter};
use ferrofaiss::{AsyncFaissStore, FaissStore, StoreConfig};
use ferrofaiss_rig::{embedding_model, FaissVectorIndex};
use rig_core::embeddings::{EmbedError, EmbeddingsBuilder, TextEmbedder};
use rig_core::vector_store::request::{Filter, SearchFilter};
use rig_core::vector_store::{InsertDocuments, VectorSearchRequest, VectorStoreIndex};
use rig_core::Embed;
use serde::{Deserialize, Serialize};

/// The notebook's input text.
const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);

/// The notebook's question.
const QUERY: &str = "What did the president say about Ketanji Brown Jackson";

/// One chunk of the speech: what rig embeds (`text`) and what the filter can see.
#[derive(Debug, Serialize, Deserialize)]
struct Chunk {
    source: String,
    chunk: usize,
    text: String,
}

impl Embed for Chunk {
    fn embed(&self, embedder: &mut TextEmbedder) -> Result<(), EmbedError> {
        embedder.embed(self.text.clone());
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let documents = TextLoader::new(SOTU).load()?;
    let splitter = CharacterTextSplitter::with_sizes(1000, 0)?;
    let chunks: Vec<Chunk> = splitter
        .split_documents(&documents)?
        .into_iter()
        .enumerate()
        .map(|(chunk, doc)| Chunk {
            source: "state_of_the_union.txt".to_string(),
            chunk,
            text: doc.page_content,
        })
        .collect();

    let embedder: Arc<dyn Embeddings> = Arc::new(HashingEmbeddings::default());
    let dim = embedder
        .dimension()
        .ok_or("the hashing embedder has a fixed width")?;
    let store = FaissStore::with_dimension(embedder.clone(), dim, StoreConfig::new())?;
    let index = FaissVectorIndex::new(AsyncFaissStore::new(store));

    let embedded = EmbeddingsBuilder::new(embedding_model(embedder))
        .documents(chunks)?
        .build()
        .await?;
    println!(
        "inserting {} chunks through rig's InsertDocuments",
        embedded.len()
    );
    index.insert_documents(embedded).await?;

    let request = VectorSearchRequest::builder()
        .query(QUERY)
        .samples(4)
        .build();
    println!("\nrig top_n(samples = 4) for {QUERY:?}:");
    for hit in index.top_n::<Chunk>(request).await? {
        let first_line = hit.document.text.lines().next().unwrap_or("");
        println!(
            "  score {:.4}  chunk {:>2}  id {}  {first_line:.70}",
            hit.score, hit.document.chunk, hit.id
        );
    }

    let filtered = VectorSearchRequest::builder()
        .query(QUERY)
        .samples(2)
        .filter(Filter::gt("chunk", serde_json::json!(30)))
        .build();
    println!("\nthe same, only chunks after 30 (rig filter chunk > 30):");
    for hit in index.top_n_ids(filtered).await? {
        println!("  score {:.4}  id {}", hit.score, hit.id);
    }
    Ok(())
}
