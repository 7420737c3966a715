//! Retrieval on the State of the Union chunks.
//!
//! * With the offline hashing embedder, LangChain's seed question "What did the
//!   president say about Ketanji Brown Jackson" must find the chunk that names her
//!   first, by L2 distance.
//! * With the golden trigram embedder, the nearest chunks and their distances must be
//!   the ones LangChain + faiss recorded (`fixtures/golden/cases/sotu_pipeline.json`).
//!
//! The text is split here the way CharacterTextSplitter(chunk_size=1000,
//! chunk_overlap=0) does (spec §13), written out independently of the text crate:
//! split on "\n\n", drop empty pieces, merge pieces while the merged length (in code
//! points, separators included) stays within 1000, strip each chunk.

use ferrofaiss_embeddings::{Embeddings, HashingConfig, HashingEmbeddings, TrigramEmbeddings};
use serde_json::Value;

const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);
const PIPELINE_CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/golden/cases/sotu_pipeline.json"
);
const QUERY: &str = "What did the president say about Ketanji Brown Jackson";

fn split_paragraphs_merged(text: &str, chunk_size: usize) -> Vec<String> {
    let sep = "\n\n";
    let sep_len = sep.chars().count();
    let mut chunks = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut total = 0usize;
    let emit = |parts: &[&str], chunks: &mut Vec<String>| {
        let chunk = parts.join(sep).trim().to_string();
        if !chunk.is_empty() {
            chunks.push(chunk);
        }
    };
    for piece in text.split(sep).filter(|p| !p.is_empty()) {
        let len = piece.chars().count();
        let joined = if current.is_empty() { 0 } else { sep_len };
        if total + len + joined > chunk_size && !current.is_empty() {
            emit(&current, &mut chunks);
            current.clear();
            total = 0;
        }
        total += len + if current.is_empty() { 0 } else { sep_len };
        current.push(piece);
    }
    emit(&current, &mut chunks);
    chunks
}

fn sotu_chunks() -> Vec<String> {
    let text = std::fs::read_to_string(SOTU).expect("SOTU fixture");
    split_paragraphs_merged(&text, 1000)
}

fn l2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum()
}

/// Ranks the chunks by squared L2 distance to the query (ascending).
fn ranking(emb: &dyn Embeddings, chunks: &[String], query: &str) -> Vec<(usize, f64)> {
    let vectors = emb.embed_documents(chunks).expect("embed chunks");
    let q = emb.embed_query(query).expect("embed query");
    let mut ranked: Vec<(usize, f64)> = vectors.iter().map(|v| l2(v, &q)).enumerate().collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    ranked
}

#[test]
fn splitter_in_this_test_reproduces_langchains_chunking() {
    let chunks = sotu_chunks();
    // Recorded by LangChain (golden sotu_split.json / spec §13): 42 chunks, the
    // Ketanji paragraph in chunk 31, first and last lengths 939 and 410.
    assert_eq!(chunks.len(), 42);
    let holders: Vec<usize> = (0..chunks.len())
        .filter(|&i| chunks[i].contains("Ketanji Brown Jackson"))
        .collect();
    assert_eq!(holders, [31]);
    assert_eq!(chunks[0].chars().count(), 939);
    assert_eq!(chunks[41].chars().count(), 410);
}

#[test]
fn default_embedder_ranks_the_ketanji_chunk_first() {
    let chunks = sotu_chunks();
    let ranked = ranking(&HashingEmbeddings::default(), &chunks, QUERY);
    assert_eq!(ranked[0].0, 31, "ranking: {:?}", &ranked[..5]);
}

#[test]
fn smaller_dimensions_still_rank_the_ketanji_chunk_first() {
    let chunks = sotu_chunks();
    for dim in [384, 512] {
        let emb = HashingEmbeddings::with_dim(dim).expect("valid dim");
        let ranked = ranking(&emb, &chunks, QUERY);
        assert_eq!(ranked[0].0, 31, "dim {dim}: {:?}", &ranked[..5]);
    }
}

#[test]
fn without_stop_words_or_n_grams_the_name_still_wins() {
    // Each part of the design on its own still finds the chunk: the names are rare.
    let chunks = sotu_chunks();
    let words_only = HashingEmbeddings::new(HashingConfig {
        char_ngrams: None,
        bigram_weight: 0.0,
        ..HashingConfig::default()
    })
    .expect("valid config");
    assert_eq!(ranking(&words_only, &chunks, QUERY)[0].0, 31);
}

#[test]
fn trigram_embedder_reproduces_langchains_sotu_search() {
    let text = std::fs::read_to_string(PIPELINE_CASE).expect("sotu_pipeline case");
    let case: Value = serde_json::from_str(&text).expect("case JSON");
    let create = &case["ops"][0];
    assert_eq!(create["embedding"]["kind"], "trigram");
    let emb = TrigramEmbeddings::new(
        create["embedding"]["dim"].as_u64().expect("dim") as usize,
        create["embedding"]["normalize"]
            .as_bool()
            .expect("normalize"),
    )
    .expect("valid trigram config");
    let chunks = sotu_chunks();

    let mut checked = 0;
    for op in case["ops"].as_array().expect("ops") {
        if op["op"] != "call" || op["method"] != "similarity_search_with_score" {
            continue;
        }
        let query = op["args"]["query"].as_str().expect("query");
        let k = op["args"]["k"].as_u64().expect("k") as usize;
        let ranked = ranking(&emb, &chunks, query);
        let docs = op["expect"]["docs"].as_array().expect("docs");
        let scores = op["expect"]["scores"].as_array().expect("scores");
        assert_eq!(docs.len(), k);
        for (rank, ((i, dist), (doc, score))) in
            ranked.iter().zip(docs.iter().zip(scores)).enumerate()
        {
            assert_eq!(
                chunks[*i],
                doc["page_content"].as_str().expect("page_content"),
                "{query:?}: chunk at rank {rank}"
            );
            let want = score.as_f64().expect("score");
            assert!(
                (dist - want).abs() <= 1e-6 + 1e-5 * want.abs(),
                "{query:?} rank {rank}: distance {dist}, LangChain {want}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 2, "both recorded similarity searches were checked");
}
