//! MiniLmEmbeddings against sentence-transformers: the vectors recorded in
//! `fixtures/minilm/st_reference.json` (sentence-transformers 6.2.0, all-MiniLM-L6-v2)
//! within 1e-5 per component, and LangChain's seed question on the State of the Union.
//!
//! These tests need the model (`scripts/fetch-minilm.sh`). Without it they print why
//! and pass, except with `CI=true`, where a missing model is a failure.
#![cfg(feature = "minilm")]

use ferrofaiss_embeddings::{Embeddings, MiniLmEmbeddings, MiniLmOptions, ModelLocator};
use ferrofaiss_text::{CharacterTextSplitter, TextSplitter};
use serde_json::Value;

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/minilm/st_reference.json"
);
const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);
const QUERY: &str = "What did the president say about Ketanji Brown Jackson";

/// The model, or `None` (after saying why) when it is absent outside CI.
fn model() -> Option<MiniLmEmbeddings> {
    match ModelLocator::from_env(None).locate() {
        Ok(dir) => Some(MiniLmEmbeddings::from_dir(dir).expect("model loads")),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and the MiniLM model is missing: {e}")
        }
        Err(e) => {
            eprintln!("skipping: {e}");
            None
        }
    }
}

fn reference() -> (Vec<String>, Vec<Vec<f64>>) {
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(REFERENCE).expect("reference file"))
            .expect("reference JSON");
    let texts = json["texts"]
        .as_array()
        .expect("texts")
        .iter()
        .map(|t| t.as_str().expect("text").to_string())
        .collect();
    let vectors = json["embeddings"]
        .as_array()
        .expect("embeddings")
        .iter()
        .map(|v| {
            v.as_array()
                .expect("vector")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect();
    (texts, vectors)
}

fn max_abs_diff(got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "dimension");
    got.iter()
        .zip(want)
        .map(|(g, w)| (f64::from(*g) - w).abs())
        .fold(0.0, f64::max)
}

#[test]
fn matches_sentence_transformers_within_1e_5() {
    let Some(model) = model() else { return };
    let (texts, want) = reference();
    assert_eq!(texts.len(), 6);
    // One reference text is longer than 256 tokens: it must be truncated, not refused.
    let lengths: Vec<usize> = texts
        .iter()
        .map(|t| model.token_ids(t).expect("tokenise").len())
        .collect();
    assert!(lengths.contains(&256), "token counts {lengths:?}");
    assert!(lengths.iter().all(|&n| n <= 256));

    let got = model.embed_documents(&texts).expect("embed");
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let diff = max_abs_diff(g, w);
        assert!(
            diff <= 1e-5,
            "text {i} ({:?}): max |diff| {diff:e}",
            &texts[i]
        );
        worst = worst.max(diff);
    }
    eprintln!("max |component difference| from sentence-transformers: {worst:e}");
    // One at a time (no batch neighbours) and as queries: the same vectors.
    for (i, text) in texts.iter().enumerate() {
        let q = model.embed_query(text).expect("embed query");
        let diff = max_abs_diff(&q, &want[i]);
        assert!(diff <= 1e-5, "query {i}: max |diff| {diff:e}");
    }
}

#[test]
fn batch_size_does_not_change_vectors() {
    let Some(model) = model() else { return };
    let (texts, want) = reference();
    for batch in [1, 2, 5] {
        let m = model.with_batch_size(batch).expect("batch size");
        let got = m.embed(&texts).expect("embed");
        for (g, w) in got.iter().zip(&want) {
            assert!(max_abs_diff(g, w) <= 1e-5, "batch size {batch}");
        }
    }
}

#[test]
fn async_path_matches_sync_path() {
    let Some(model) = model() else { return };
    let (texts, want) = reference();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let got = runtime
        .block_on(model.aembed_documents(&texts))
        .expect("async embed");
    for (g, w) in got.iter().zip(&want) {
        assert!(max_abs_diff(g, w) <= 1e-5);
    }
    let q = runtime
        .block_on(model.aembed_query(&texts[0]))
        .expect("async query");
    assert!(max_abs_diff(&q, &want[0]) <= 1e-5);
}

#[test]
fn empty_and_whitespace_texts_embed_like_python() {
    let Some(model) = model() else { return };
    // sentence-transformers strips texts, so "" and "  \n" both become [CLS] [SEP].
    assert_eq!(model.token_ids("").expect("tokenise"), [101, 102]);
    let v = model
        .embed(&["", "  \n", "The cat sits on the mat"])
        .expect("embed");
    assert_eq!(v[0], v[1]);
    for x in &v {
        assert_eq!(x.len(), 384);
        let norm: f64 = x.iter().map(|c| f64::from(*c).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    assert!(model.embed::<&str>(&[]).expect("empty batch").is_empty());
    assert_eq!(model.dimension(), Some(384));
}

#[test]
fn very_long_text_is_truncated_to_256_tokens() {
    let Some(model) = model() else { return };
    let long = "lorem ipsum dolor sit amet ".repeat(20_000);
    assert_eq!(model.token_ids(&long).expect("tokenise").len(), 256);
    // Truncation keeps the start: the long text embeds like its first 254 word pieces.
    let prefix = "lorem ipsum dolor sit amet ".repeat(60);
    let v = model
        .embed(&[long.as_str(), prefix.as_str()])
        .expect("embed");
    let ids_prefix = model.token_ids(&prefix).expect("tokenise");
    assert!(ids_prefix.len() >= 256);
    assert!(
        max_abs_diff(
            &v[0],
            &v[1].iter().map(|&x| f64::from(x)).collect::<Vec<_>>()
        ) < 1e-6
    );
}

fn l2(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum()
}

#[test]
fn seed_question_finds_the_ketanji_chunk_first() {
    let Some(model) = model() else { return };
    let text = std::fs::read_to_string(SOTU).expect("SOTU fixture");
    let chunks = CharacterTextSplitter::with_sizes(1000, 0)
        .expect("splitter")
        .split_text(&text)
        .expect("split");
    assert_eq!(chunks.len(), 42);
    let vectors = model.embed_documents(&chunks).expect("embed chunks");
    let q = model.embed_query(QUERY).expect("embed query");
    let mut ranked: Vec<(usize, f64)> = vectors.iter().map(|v| l2(v, &q)).enumerate().collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    let top = &chunks[ranked[0].0];
    assert!(
        top.contains("Ketanji Brown Jackson"),
        "top chunk {} at distance {}: {}",
        ranked[0].0,
        ranked[0].1,
        &top[..top.len().min(200)]
    );
}

#[test]
fn options_pick_the_folder_and_batch_size() {
    let Some(model) = model() else { return };
    let again = MiniLmEmbeddings::new(MiniLmOptions {
        model_dir: Some(model.model_dir().to_path_buf()),
        batch_size: 7,
        ..MiniLmOptions::default()
    })
    .expect("load with options");
    assert_eq!(again.batch_size(), 7);
    assert_eq!(again.max_seq_length(), 256);
    assert_eq!(again.name(), model.name());
    assert!(again.name().contains("all-MiniLM-L6-v2"));
}
