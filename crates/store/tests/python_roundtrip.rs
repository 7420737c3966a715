//! The real LangChain opens what `SaveFormat::LangChain` writes (issue 13): a Python
//! with `faiss-cpu` and `langchain-community` (named by `FERROFAISS_PYTHON`; `.ci/run`
//! makes one in `.venv-langchain`) runs `tests/python/langchain_roundtrip.py`, which
//! calls `FAISS.load_local` on our folder and reports the documents, ids and search
//! results it sees; they must be ours. Python then saves the store again and we read
//! its folder back. Without `FERROFAISS_PYTHON` the test says it skips, except under
//! `CI=true`, where it fails.

mod common;

use common::CountEmbeddings;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use ferrofaiss_docstore::Filter;
use ferrofaiss_store::{
    DistanceStrategy, FaissStore, LoadOptions, SaveFormat, SearchOptions, StoreConfig,
};
use serde_json::{json, Value};

/// The Python to run, or `None` (after saying so) when the test is to skip.
fn python() -> Option<PathBuf> {
    match std::env::var_os("FERROFAISS_PYTHON") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "FERROFAISS_PYTHON is unset under CI=true: .ci/run must install faiss-cpu and \
                 langchain-community into a venv and name its python"
            );
            eprintln!(
                "skipping: FERROFAISS_PYTHON is unset (a python with faiss-cpu and \
                 langchain-community; see .ci/run)"
            );
            None
        }
    }
}

fn run_python(python: &Path, request: &Value, dir: &Path) -> Value {
    let req_path = dir.join("request.json");
    std::fs::write(&req_path, request.to_string()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/langchain_roundtrip.py"
    );
    let out = Command::new(python)
        .arg(script)
        .arg(&req_path)
        .env("PYTHONHASHSEED", "0")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "python failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "python printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn texts_and_metadata() -> (Vec<&'static str>, Vec<Value>) {
    let texts = vec![
        "alpha beta",
        "gamma delta epsilon",
        "zeta",
        "eta theta",
        "iota kappa lambda",
        "a bee sat on a leaf",
        "président: é ü 中",
    ];
    let metadata = vec![
        json!({"source": "a.txt", "page": 1, "score": 0.5, "flag": true, "missing": null,
               "tags": ["x", "y", 3], "nested": {"k": [1, 2.25, null, false], "deep": {"z": "é ü 中"}},
               "big": 1u64 << 40, "neg": -7, "huge": u64::MAX, "min": i64::MIN, "one": 1.0,
               "empty_list": [], "empty_dict": {}}),
        json!({"source": "b.txt", "page": 2, "flag": false}),
        json!({}),
        json!({"source": "shared.txt", "page": 7}),
        json!({"source": "shared.txt", "page": 7}),
        json!({"source": "b.txt", "page": 300, "long": "x".repeat(70_000)}),
        json!({"source": "c.txt", "page": 70_000}),
    ];
    (texts, metadata)
}

fn hits(results: &[(ferrofaiss_docstore::Document, f32)]) -> Value {
    Value::Array(
        results
            .iter()
            .map(|(d, s)| {
                json!({"id": d.id, "page_content": d.page_content, "metadata": d.metadata,
                       "score": f64::from(*s)})
            })
            .collect(),
    )
}

/// Python's answers against ours: same ids, texts and metadata, scores within f32
/// rounding.
fn assert_same_hits(python: &Value, ours: &Value, what: &str) {
    let (p, o) = (python.as_array().unwrap(), ours.as_array().unwrap());
    assert_eq!(p.len(), o.len(), "{what}: python {python}\nours {ours}");
    for (p, o) in p.iter().zip(o) {
        for key in ["id", "page_content", "metadata"] {
            assert_eq!(p[key], o[key], "{what}: {key}");
        }
        let (ps, os) = (p["score"].as_f64().unwrap(), o["score"].as_f64().unwrap());
        assert!(
            (ps - os).abs() <= 1e-4 * os.abs().max(1.0),
            "{what}: score {ps} vs {os}"
        );
    }
}

#[test]
fn langchain_loads_our_langchain_folders() {
    let Some(python) = python() else { return };
    let (texts, metadata) = texts_and_metadata();
    let queries = ["a bee sat", "zeta", "gamma delta", "président"];
    let filters = [
        ("a bee sat", json!({"source": "b.txt"})),
        ("eta", json!({"page": 7})),
    ];
    // Scalar quantizers and HNSW too: LangChain takes any Faiss index, and Faiss reads
    // our IxSQ and IHNf.
    for (strategy, factory) in [
        (DistanceStrategy::EuclideanDistance, "Flat"),
        (DistanceStrategy::MaxInnerProduct, "Flat"),
        (DistanceStrategy::EuclideanDistance, "SQ8"),
        (DistanceStrategy::MaxInnerProduct, "SQfp16"),
        (DistanceStrategy::EuclideanDistance, "HNSW16"),
        (DistanceStrategy::MaxInnerProduct, "HNSW8"),
    ] {
        let mut store = FaissStore::from_texts(
            &texts,
            Arc::new(CountEmbeddings),
            Some(
                metadata
                    .iter()
                    .map(|m| m.as_object().unwrap().clone())
                    .collect(),
            ),
            Some((0..texts.len()).map(|i| format!("doc-{i}")).collect()),
            StoreConfig::new()
                .distance_strategy(strategy)
                .index_factory(factory),
        )
        .unwrap();
        // A delete renumbers the rows, as LangChain's does.
        store.delete(&["doc-2".to_string()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("store");
        store
            .save_local_with(&folder, "index", SaveFormat::LangChain)
            .unwrap();
        let resave = dir.path().join("resaved");
        let got = run_python(
            &python,
            &json!({
                "folder": folder, "distance_strategy": strategy.as_str(), "k": 3,
                "queries": queries, "filtered": filters, "resave": resave,
            }),
            dir.path(),
        );
        let what = &format!("{} {factory}", strategy.as_str());
        assert_eq!(got["ntotal"], json!(store.len()), "{what}");
        assert_eq!(
            got["index_to_docstore_id"],
            json!(store.index_to_docstore_id()),
            "{what}"
        );
        let ours: Vec<Value> = store
            .docstore()
            .iter()
            .map(|(k, d)| {
                json!([k, {"id": d.id, "page_content": d.page_content, "metadata": d.metadata,
                           "type": "Document", "fields_set": ["id", "metadata", "page_content"]}])
            })
            .collect();
        assert_eq!(got["docstore"], Value::Array(ours), "{what}");
        for (i, q) in queries.iter().enumerate() {
            let mine = store
                .similarity_search_with_score(q, &SearchOptions::new().k(3))
                .unwrap();
            assert_same_hits(&got["searches"][i], &hits(&mine), &format!("{what} {q:?}"));
        }
        for (i, (q, f)) in filters.iter().enumerate() {
            let filter = Filter::from_json(f).unwrap();
            let mine = store
                .similarity_search_with_score(q, &SearchOptions::new().k(3).filter(filter))
                .unwrap();
            assert_same_hits(
                &got["filtered"][i],
                &hits(&mine),
                &format!("{what} {q:?} {f}"),
            );
        }
        // Python's own save of the same store reads back as ours.
        let back = FaissStore::load_local(
            &resave,
            Arc::new(CountEmbeddings),
            &LoadOptions::new().distance_strategy(strategy),
        )
        .unwrap();
        assert_eq!(back.index_to_docstore_id(), store.index_to_docstore_id());
        let docs = |s: &FaissStore| {
            s.docstore()
                .iter()
                .map(|(_, d)| d.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(docs(&back), docs(&store), "{what}");
    }
}
