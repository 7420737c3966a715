//! Checks the fake and trigram embedders and FNV-1a 64 against the vectors LangChain's
//! side recorded in `fixtures/golden/cases/embedder_vectors.json`.

use ferrofaiss_embeddings::{fnv1a64, Embeddings, FakeEmbeddings, TrigramEmbeddings};
use serde_json::Value;

const CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/golden/cases/embedder_vectors.json"
);

fn ops() -> Vec<Value> {
    let text = std::fs::read_to_string(CASE).expect("golden case file");
    let case: Value = serde_json::from_str(&text).expect("golden case JSON");
    case["ops"].as_array().expect("ops array").clone()
}

fn f64_rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array of strings")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

/// The nonzero entries of `v` as (index, value), the golden `nonzero` format.
fn nonzero(v: &[f64]) -> Vec<(usize, f64)> {
    v.iter()
        .enumerate()
        .filter(|(_, x)| **x != 0.0)
        .map(|(i, x)| (i, *x))
        .collect()
}

fn expected_nonzero(v: &Value) -> Vec<Vec<(usize, f64)>> {
    v.as_array()
        .expect("nonzero rows")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("nonzero row")
                .iter()
                .map(|pair| {
                    let idx = pair[0].as_u64().expect("index") as usize;
                    (idx, pair[1].as_f64().expect("value"))
                })
                .collect()
        })
        .collect()
}

fn check_trigram(op: &Value, texts: &[String]) {
    let cfg = &op["embedding"];
    let dim = cfg["dim"].as_u64().expect("dim") as usize;
    let normalize = cfg["normalize"].as_bool().expect("normalize");
    let emb = TrigramEmbeddings::new(dim, normalize).expect("valid trigram config");
    let want_f64 = f64_rows(&op["expect"]["vectors_f64"]);
    let want_f32 = f64_rows(&op["expect"]["vectors_f32"]);
    let want_nz = expected_nonzero(&op["expect"]["nonzero"]);
    assert_eq!(want_f64.len(), texts.len());

    let got_docs = emb.embed_documents(texts).expect("trigram embeds");
    for (i, text) in texts.iter().enumerate() {
        let got = emb.embed_f64(text);
        assert_eq!(
            got, want_f64[i],
            "f64 vector of {text:?} ({dim}, {normalize})"
        );
        assert_eq!(nonzero(&got), want_nz[i], "nonzero of {text:?}");
        let want32: Vec<f32> = want_f32[i].iter().map(|&x| x as f32).collect();
        // The golden f32 values are f32s written as doubles: check that first.
        assert!(want_f32[i]
            .iter()
            .zip(&want32)
            .all(|(&d, &s)| f64::from(s) == d));
        assert_eq!(got_docs[i], want32, "f32 vector of {text:?}");
        assert_eq!(emb.embed_query(text).expect("query"), want32);
    }
}

fn check_fake(op: &Value, texts: &[String]) {
    let emb = FakeEmbeddings::new();
    let want_f32 = f64_rows(&op["expect"]["vectors_f32"]);
    let want_f64 = f64_rows(&op["expect"]["vectors_f64"]);
    let want_nz = expected_nonzero(&op["expect"]["nonzero"]);
    let got = emb.embed_documents(texts).expect("fake embeds");
    assert_eq!(got.len(), want_f32.len());
    for (i, v) in got.iter().enumerate() {
        let as_f64: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
        assert_eq!(as_f64, want_f32[i]);
        assert_eq!(as_f64, want_f64[i]);
        assert_eq!(nonzero(&as_f64), want_nz[i]);
    }
    // A second call restarts the positions at 0.
    assert_eq!(
        emb.embed_documents(&texts[1..]).expect("fake embeds")[0],
        got[0]
    );
    let query = emb.embed_query(&texts[2]).expect("fake query");
    assert_eq!(query, got[0], "embed_query is [1]*9 + [0]");
}

#[test]
fn every_golden_embedder_op_matches() {
    let mut seen = (0, 0, 0);
    for op in ops() {
        match op["op"].as_str().expect("op name") {
            "fnv1a64" => {
                let inputs = strings(&op["inputs"]);
                let hashes = strings(&op["expect"]["hashes"]);
                assert_eq!(inputs.len(), hashes.len());
                for (input, want) in inputs.iter().zip(&hashes) {
                    let want: u64 = want.parse().expect("decimal u64");
                    assert_eq!(fnv1a64(input.as_bytes()), want, "fnv1a64({input:?})");
                }
                seen.0 += 1;
            }
            "embed" => {
                let texts = strings(&op["texts"]);
                match op["embedding"]["kind"].as_str().expect("embedder kind") {
                    "trigram" => {
                        check_trigram(&op, &texts);
                        seen.1 += 1;
                    }
                    "fake" => {
                        check_fake(&op, &texts);
                        seen.2 += 1;
                    }
                    other => panic!("unknown embedder kind {other}"),
                }
            }
            other => panic!("unexpected op {other} in embedder_vectors"),
        }
    }
    assert_eq!(seen, (1, 2, 1), "ops checked: fnv, trigram, fake");
}
