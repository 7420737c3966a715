//! Embeds the State of the Union chunks with the offline hashing embedder, times it,
//! and prints the chunks nearest to LangChain's seed question.
//!
//! `cargo run --release -p ferrofaiss-embeddings --example hashing_sotu [-- "query"]`

use std::time::Instant;

use ferrofaiss_embeddings::{Embeddings, HashingEmbeddings};

const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);

/// Paragraphs ("\n\n"-separated) merged into chunks of at most `size` chars.
fn chunks(text: &str, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for piece in text.split("\n\n").filter(|p| !p.is_empty()) {
        let extra = if current.is_empty() { 0 } else { 2 };
        if !current.is_empty() && current.chars().count() + extra + piece.chars().count() > size {
            out.push(current.trim().to_string());
            current.clear();
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(piece);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let query = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "What did the president say about Ketanji Brown Jackson".into());
    let text = std::fs::read_to_string(SOTU)?;
    let docs = chunks(&text, 1000);
    let emb = HashingEmbeddings::default();

    let rounds = 200;
    let start = Instant::now();
    let mut vectors = Vec::new();
    for _ in 0..rounds {
        vectors = emb.embed_documents(&docs)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let bytes: usize = docs.iter().map(String::len).sum();
    println!(
        "{} chunks x {rounds} rounds in {secs:.3} s: {:.0} chunks/s, {:.1} MB/s ({})",
        docs.len(),
        (docs.len() * rounds) as f64 / secs,
        (bytes * rounds) as f64 / secs / 1e6,
        emb.name()
    );

    let q = emb.embed_query(&query)?;
    let mut ranked: Vec<(usize, f32)> = vectors
        .iter()
        .map(|v| {
            v.iter()
                .zip(&q)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f32>()
        })
        .enumerate()
        .collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    println!("query: {query}");
    for (i, d) in ranked.iter().take(4) {
        let head: String = docs[*i].chars().take(70).collect();
        println!("  chunk {i:2}  L2^2 {d:.4}  {head:?}");
    }
    Ok(())
}
