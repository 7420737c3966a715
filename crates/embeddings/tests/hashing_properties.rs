//! Behaviour of the offline hashing embedder, checked through its public API.

use ferrofaiss_embeddings::{EmbeddingError, Embeddings, HashingConfig, HashingEmbeddings};
use proptest::prelude::*;

fn norm(v: &[f32]) -> f64 {
    v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    dot / (norm(a) * norm(b))
}

fn words_only() -> HashingEmbeddings {
    HashingEmbeddings::new(HashingConfig {
        char_ngrams: None,
        bigram_weight: 0.0,
        stop_words: false,
        ..HashingConfig::default()
    })
    .expect("valid config")
}

#[test]
fn term_frequency_is_sublinear() {
    // Two distinct words, "cat" twice: the two nonzero entries are in the ratio
    // (1 + ln 2) : 1, whatever their buckets and signs.
    let v = words_only().embed_f64("cat cat dog");
    let mut mags: Vec<f64> = v.iter().filter(|x| **x != 0.0).map(|x| x.abs()).collect();
    assert_eq!(mags.len(), 2, "cat and dog land in distinct buckets");
    mags.sort_by(f64::total_cmp);
    let ratio = mags[1] / mags[0];
    assert!((ratio - (1.0 + 2f64.ln())).abs() < 1e-12, "ratio {ratio}");
    let n: f64 = mags.iter().map(|m| m * m).sum::<f64>().sqrt();
    assert!((n - 1.0).abs() < 1e-12);
}

#[test]
fn stop_words_weigh_less_than_content_words() {
    let emb = HashingEmbeddings::new(HashingConfig {
        char_ngrams: None,
        bigram_weight: 0.0,
        ..HashingConfig::default()
    })
    .expect("valid config");
    let v = emb.embed_f64("the cat");
    let mut mags: Vec<f64> = v.iter().filter(|x| **x != 0.0).map(|x| x.abs()).collect();
    mags.sort_by(f64::total_cmp);
    assert_eq!(mags.len(), 2);
    assert!((mags[0] / mags[1] - 0.1).abs() < 1e-12, "{mags:?}");
    // A text made only of stop words still gets a unit vector.
    assert!((norm(&emb.embed("what did the")) - 1.0).abs() < 1e-6);
}

#[test]
fn text_without_words_gives_the_zero_vector() {
    let emb = HashingEmbeddings::default();
    for text in ["", "   ", "?! -- ...", "🙂🙂"] {
        let v = emb.embed(text);
        assert_eq!(v.len(), 1024);
        assert!(v.iter().all(|x| *x == 0.0), "{text:?}");
    }
}

#[test]
fn case_folding_follows_the_setting() {
    let folded = HashingEmbeddings::default();
    assert_eq!(
        folded.embed("Ketanji BROWN Straße"),
        folded.embed(
            "ketanji brown STRASSE"
                .replace("STRASSE", "straße")
                .as_str()
        )
    );
    let kept = HashingEmbeddings::new(HashingConfig {
        lowercase: false,
        ..HashingConfig::default()
    })
    .expect("valid config");
    assert_ne!(kept.embed("Brown"), kept.embed("brown"));
}

#[test]
fn char_ngrams_match_inflections_that_words_miss() {
    let chars_only = HashingEmbeddings::new(HashingConfig {
        word_weight: 0.0,
        bigram_weight: 0.0,
        ..HashingConfig::default()
    })
    .expect("valid config");
    let plain = words_only();
    let query = "nominating judges";
    let related = "She nominated a judge.";
    let unrelated = "Gas prices went up in March.";
    let q = chars_only.embed(query);
    let r = cosine(&q, &chars_only.embed(related));
    let u = cosine(&q, &chars_only.embed(unrelated));
    assert!(r > 0.3 && u < 0.1, "related {r}, unrelated {u}");
    // Word features alone share nothing with the related text.
    let pq = plain.embed(query);
    assert!(cosine(&pq, &plain.embed(related)).abs() < 1e-6);
    // The default embedder, which mixes the families, sees the relation too.
    let emb = HashingEmbeddings::default();
    assert!(cosine(&emb.embed(query), &emb.embed(related)) > 0.05);
}

#[test]
fn bigrams_prefer_the_same_word_order() {
    let emb = HashingEmbeddings::default();
    let q = emb.embed("brown jackson");
    let same_order = emb.embed("jackson met brown jackson");
    let other_order = emb.embed("jackson met jackson brown");
    assert!(cosine(&q, &same_order) > cosine(&q, &other_order));
}

#[test]
fn bad_configurations_are_rejected() {
    let bad = [
        HashingConfig {
            dim: 0,
            ..HashingConfig::default()
        },
        HashingConfig {
            char_ngrams: Some((0, 3)),
            ..HashingConfig::default()
        },
        HashingConfig {
            char_ngrams: Some((4, 3)),
            ..HashingConfig::default()
        },
        HashingConfig {
            word_weight: -1.0,
            ..HashingConfig::default()
        },
        HashingConfig {
            stop_word_weight: f64::NAN,
            ..HashingConfig::default()
        },
        HashingConfig {
            word_weight: 0.0,
            bigram_weight: 0.0,
            char_ngrams: None,
            ..HashingConfig::default()
        },
    ];
    for config in bad {
        let got = HashingEmbeddings::new(config.clone());
        assert!(matches!(got, Err(EmbeddingError::Config(_))), "{config:?}");
    }
}

#[test]
fn name_and_dimension_describe_the_configuration() {
    let a = HashingEmbeddings::default();
    let b = HashingEmbeddings::with_dim(512).expect("valid dim");
    assert_eq!(a.dimension(), Some(1024));
    assert_eq!(b.dimension(), Some(512));
    assert_ne!(a.name(), b.name());
    assert!(a.name().starts_with("hashing-v1("));
}

#[test]
fn documents_and_queries_are_embedded_alike() {
    let emb = HashingEmbeddings::default();
    let texts = vec!["one text".to_string(), "another".to_string()];
    let docs = emb.embed_documents(&texts).expect("embeds");
    assert_eq!(docs[0], emb.embed_query("one text").expect("embeds"));
    assert_eq!(docs[1], emb.embed("another"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn vectors_are_unit_or_zero_and_deterministic(text in "\\PC{0,200}", dim in 1usize..300) {
        let emb = HashingEmbeddings::with_dim(dim).expect("valid dim");
        let v = emb.embed(&text);
        prop_assert_eq!(v.len(), dim);
        prop_assert!(v.iter().all(|x| x.is_finite()));
        let n = norm(&v);
        prop_assert!(n == 0.0 || (n - 1.0).abs() < 1e-5, "norm {}", n);
        prop_assert_eq!(emb.embed(&text), v);
    }
}
