//! Saving in LangChain's format (`SaveFormat::LangChain`, issue 13): the folders real
//! LangChain wrote (`fixtures/langchain_save_local`) are written back byte for byte,
//! what we write reads back, and a save is atomic like our own format's.

mod common;

use common::CountEmbeddings;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrofaiss_store::{
    DistanceStrategy, FaissStore, LoadOptions, PersistError, SaveFormat, StoreConfig, StoreError,
    DEFAULT_INDEX_NAME,
};
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/langchain_save_local"
    ))
}

fn load(dir: &Path, strategy: DistanceStrategy) -> FaissStore {
    FaissStore::load_local(
        dir,
        Arc::new(CountEmbeddings),
        &LoadOptions::new().distance_strategy(strategy),
    )
    .unwrap()
}

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_same_store(a: &FaissStore, b: &FaissStore) {
    assert_eq!(a.index_to_docstore_id(), b.index_to_docstore_id());
    let docs = |s: &FaissStore| {
        s.docstore()
            .iter()
            .map(|(k, d)| (k.to_string(), d.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(docs(a), docs(b));
    assert_eq!(a.index().ntotal(), b.index().ntotal());
}

#[test]
fn langchain_folders_are_written_back_byte_for_byte() {
    for (folder, strategy) in [
        ("index", DistanceStrategy::EuclideanDistance),
        ("index_ip", DistanceStrategy::MaxInnerProduct),
        // 1200 documents: LONG_BINGET, BININT2, three FRAMEs, batches of 1000.
        ("index_many", DistanceStrategy::EuclideanDistance),
    ] {
        let store = load(&fixtures().join(folder), strategy);
        let out = tempfile::tempdir().unwrap();
        store
            .save_local_with(out.path(), DEFAULT_INDEX_NAME, SaveFormat::LangChain)
            .unwrap();
        for file in ["index.faiss", "index.pkl"] {
            let (want, got) = (
                read(fixtures().join(folder).join(file)),
                read(out.path().join(file)),
            );
            if want != got {
                let at = want.iter().zip(&got).position(|(a, b)| a != b);
                panic!(
                    "{folder}/{file}: {} bytes written, {} recorded; first difference at {at:?}",
                    got.len(),
                    want.len()
                );
            }
        }
        // Only LangChain's two files: no docstore file, journal or temporary file.
        let mut names: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["index.faiss", "index.pkl"], "{folder}");
        assert_same_store(&store, &load(out.path(), strategy));
    }
}

#[test]
fn a_store_built_here_is_written_as_langchain_wrote_the_same_store() {
    // The fixture's `main()`: five documents with every metadata type, two sharing one
    // metadata dict, ids doc-0..doc-4.
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap())
            .unwrap();
    let docstore = expected["fixtures"]["index"]["docstore"]
        .as_object()
        .unwrap();
    let texts: Vec<String> = docstore
        .values()
        .map(|d| d["page_content"].as_str().unwrap().to_string())
        .collect();
    let metadatas = docstore
        .values()
        .map(|d| d["metadata"].as_object().unwrap().clone())
        .collect();
    let ids = docstore.keys().cloned().collect();
    let store = FaissStore::from_texts(
        &texts,
        Arc::new(CountEmbeddings),
        Some(metadatas),
        Some(ids),
        StoreConfig::new(),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    store
        .save_local_with(out.path(), "index", SaveFormat::LangChain)
        .unwrap();
    assert_eq!(
        read(out.path().join("index.pkl")),
        read(fixtures().join("index/index.pkl"))
    );
    assert_eq!(
        read(out.path().join("index.faiss")),
        read(fixtures().join("index/index.faiss"))
    );
}

#[test]
fn the_legacy_layout_is_written_in_the_current_layout_and_reads_back() {
    let store = load(
        &fixtures().join("legacy_lc02"),
        DistanceStrategy::EuclideanDistance,
    );
    let out = tempfile::tempdir().unwrap();
    store
        .save_local_with(out.path(), "index", SaveFormat::LangChain)
        .unwrap();
    assert_same_store(
        &store,
        &load(out.path(), DistanceStrategy::EuclideanDistance),
    );
}

fn store_with(metadata: Value) -> FaissStore {
    FaissStore::from_texts(
        &["alpha beta", "gamma"],
        Arc::new(CountEmbeddings),
        Some(vec![
            metadata.as_object().unwrap().clone(),
            serde_json::Map::new(),
        ]),
        Some(vec!["a".into(), "b".into()]),
        StoreConfig::new(),
    )
    .unwrap()
}

#[test]
fn every_json_value_round_trips() {
    let big = "é".repeat(40_000); // 80,000 bytes: written outside any frame
    let metadata = json!({
        "null": null, "t": true, "f": false, "zero": 0, "i8": -128, "u16": 65535,
        "i32": i32::MIN, "i64": i64::MIN, "u64": u64::MAX, "float": 1.0, "tiny": 5e-324,
        "list": [1, [2, [3, {"x": []}]], "s"], "many": (0..2500).collect::<Vec<_>>(),
        "wide": (0..2000).map(|i| (format!("k{i}"), json!(i))).collect::<serde_json::Map<_, _>>(),
        "big": big, "": "", "a": "a",
    });
    let store = store_with(metadata);
    let out = tempfile::tempdir().unwrap();
    store
        .save_local_with(out.path(), "index", SaveFormat::LangChain)
        .unwrap();
    assert_same_store(
        &store,
        &load(out.path(), DistanceStrategy::EuclideanDistance),
    );
}

#[test]
fn metadata_too_deep_for_the_reader_is_refused_and_nothing_is_written() {
    let mut deep = json!(null);
    for _ in 0..100 {
        deep = json!([deep]);
    }
    let store = store_with(json!({ "deep": deep }));
    let out = tempfile::tempdir().unwrap();
    let err = store
        .save_local_with(out.path(), "index", SaveFormat::LangChain)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Persist(PersistError::Unrepresentable { path, .. }) if path.ends_with("index.pkl")),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn switching_formats_leaves_one_consistent_pair() {
    let store = store_with(json!({"source": "x"}));
    let out = tempfile::tempdir().unwrap();
    store.save_local(out.path(), "index").unwrap();
    assert_eq!(
        SaveFormat::of_folder(out.path(), "index"),
        Some(SaveFormat::Ferrofaiss)
    );
    store
        .save_local_with(out.path(), "index", SaveFormat::LangChain)
        .unwrap();
    assert!(!out.path().join("index.docstore").exists());
    assert_eq!(
        SaveFormat::of_folder(out.path(), "index"),
        Some(SaveFormat::LangChain)
    );
    store.save_local(out.path(), "index").unwrap();
    assert!(!out.path().join("index.pkl").exists());
    assert_eq!(
        SaveFormat::of_folder(out.path(), "index"),
        Some(SaveFormat::Ferrofaiss)
    );
    assert_eq!(SaveFormat::of_folder(out.path(), "other"), None);
}

#[test]
fn a_failed_langchain_save_leaves_the_old_files_whole() {
    let old = store_with(json!({"v": 1}));
    let out = tempfile::tempdir().unwrap();
    old.save_local_with(out.path(), "index", SaveFormat::LangChain)
        .unwrap();
    let before = (
        read(out.path().join("index.faiss")),
        read(out.path().join("index.pkl")),
    );
    // A directory where the pickle should go: its rename fails after the index's.
    let blocked = tempfile::tempdir().unwrap();
    old.save_local_with(blocked.path(), "index", SaveFormat::LangChain)
        .unwrap();
    std::fs::remove_file(blocked.path().join("index.pkl")).unwrap();
    std::fs::create_dir(blocked.path().join("index.pkl")).unwrap();
    std::fs::write(blocked.path().join("index.pkl/x"), b"x").unwrap();
    let faiss_before = read(blocked.path().join("index.faiss"));
    let mut new = store_with(json!({"v": 2}));
    new.add_texts(&["delta"], None, None).unwrap();
    assert!(new
        .save_local_with(blocked.path(), "index", SaveFormat::LangChain)
        .is_err());
    assert_eq!(read(blocked.path().join("index.faiss")), faiss_before);
    // An interrupted save (new index renamed, pickle not): the journal and the
    // previous index let the loader and the next save pick the pair that belongs.
    let dir = out.path();
    std::fs::hard_link(dir.join("index.faiss"), dir.join("index.faiss.previous")).unwrap();
    let newer = tempfile::tempdir().unwrap();
    new.save_local_with(newer.path(), "index", SaveFormat::LangChain)
        .unwrap();
    // A rename replaces the name; writing through it would change the hard link too.
    std::fs::remove_file(dir.join("index.faiss")).unwrap();
    std::fs::copy(newer.path().join("index.faiss"), dir.join("index.faiss")).unwrap();
    let new_pickle = read(newer.path().join("index.pkl"));
    let mut record = (new_pickle.len() as u64).to_le_bytes().to_vec();
    record.extend_from_slice(&fnv1a64(&new_pickle).to_le_bytes());
    std::fs::write(dir.join("index.pkl.pending"), record).unwrap();
    assert_same_store(&old, &load(dir, DistanceStrategy::EuclideanDistance));
    old.save_local_with(dir, "index", SaveFormat::LangChain)
        .unwrap();
    assert_eq!(
        (read(dir.join("index.faiss")), read(dir.join("index.pkl"))),
        before
    );
    assert!(!dir.join("index.pkl.pending").exists());
    assert!(!dir.join("index.faiss.previous").exists());
}

/// FNV-1a 64, the journal's checksum.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON value up to a few levels deep (numbers of every serde_json kind).
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-c]{0,3}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever metadata a store holds, our reader reads back what the writer wrote.
        #[test]
        fn what_the_writer_writes_the_reader_reads(
            docs in prop::collection::vec((".{0,20}", prop::collection::vec(("[a-d]{0,4}", json_value()), 0..5)), 1..6)
        ) {
            let texts: Vec<String> = docs.iter().map(|(t, _)| t.clone()).collect();
            let metadatas = docs
                .into_iter()
                .map(|(_, kv)| kv.into_iter().collect())
                .collect();
            let store = FaissStore::from_texts(
                &texts,
                Arc::new(CountEmbeddings),
                Some(metadatas),
                None,
                StoreConfig::new(),
            )
            .unwrap();
            let out = tempfile::tempdir().unwrap();
            store
                .save_local_with(out.path(), "index", SaveFormat::LangChain)
                .unwrap();
            assert_same_store(&store, &load(out.path(), DistanceStrategy::EuclideanDistance));
        }
    }
}
