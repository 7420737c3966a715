//! Folders written by LangChain's own `save_local` (`index.faiss` + `index.pkl`) load
//! through the safe pickle reader, with the documents, ids and search results
//! LangChain recorded (`fixtures/langchain_save_local/expected.json`, golden
//! `fake_save_load/saved*`).

mod common;

use common::CountEmbeddings;

use std::path::PathBuf;
use std::sync::Arc;

use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_store::{
    DistanceStrategy, FaissStore, LoadOptions, PersistError, SearchOptions, StoreError,
};
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures"))
}

fn expected() -> Value {
    let text =
        std::fs::read_to_string(fixtures().join("langchain_save_local/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn flat_l2_and_ip_folders_match_langchain() {
    let expected = expected();
    for (folder, strategy) in [
        ("index", DistanceStrategy::EuclideanDistance),
        ("index_ip", DistanceStrategy::MaxInnerProduct),
    ] {
        let want = &expected["fixtures"][folder];
        let store = FaissStore::load_local(
            fixtures().join("langchain_save_local").join(folder),
            Arc::new(CountEmbeddings),
            &LoadOptions::new().distance_strategy(strategy),
        )
        .unwrap();
        // Rows and documents, in order, with every metadata type (2^40, nested, unicode).
        let map: Vec<String> = (0..store.len())
            .map(|i| {
                want["index_to_docstore_id"][i.to_string()]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(store.index_to_docstore_id(), map.as_slice());
        let docstore = want["docstore"].as_object().unwrap();
        assert_eq!(
            store.docstore().ids().collect::<Vec<_>>(),
            docstore.keys().collect::<Vec<_>>()
        );
        for (id, doc) in docstore {
            let got = &store.get_by_ids(&[id.as_str()])[0];
            assert_eq!(got.id.as_deref(), Some(id.as_str()));
            assert_eq!(got.page_content, doc["page_content"].as_str().unwrap());
            assert_eq!(
                Value::Object(got.metadata.clone()),
                doc["metadata"],
                "{folder} {id}"
            );
        }
        let hits = store
            .similarity_search_with_score(
                want["query"].as_str().unwrap(),
                &SearchOptions::new().k(3),
            )
            .unwrap();
        let got: Vec<Value> = hits
            .iter()
            .map(|(d, s)| json!({"id": d.id, "page_content": d.page_content, "score": *s as f64}))
            .collect();
        assert_eq!(
            Value::Array(got),
            want["similarity_search_with_score_k3"],
            "{folder}"
        );
    }
}

#[test]
fn legacy_and_large_pickles_load() {
    let legacy = FaissStore::load_local(
        fixtures().join("langchain_save_local/legacy_lc02"),
        Arc::new(CountEmbeddings),
        &LoadOptions::new(),
    )
    .unwrap();
    assert_eq!(legacy.index_to_docstore_id(), ["doc-0", "doc-1"]);
    let docs = legacy.get_by_ids(&["doc-0", "doc-1"]);
    assert_eq!(docs[0].page_content, "alpha beta");
    assert_eq!(docs[1].page_content, "zeta");
    // Legacy documents have no id; ours take the docstore key.
    assert_eq!(docs[0].id.as_deref(), Some("doc-0"));

    let many = FaissStore::load_local(
        fixtures().join("langchain_save_local/index_many"),
        Arc::new(CountEmbeddings),
        &LoadOptions::new(),
    )
    .unwrap();
    assert_eq!(many.len(), 1200);
    assert_eq!(many.index_to_docstore_id()[0], "id-00000");
    assert_eq!(many.index_to_docstore_id()[1199], "id-01199");
    // Every row's document answers a search for its own vector first or tied first.
    for row in [0, 5, 600, 1199] {
        let v = many.vector_at(row).unwrap();
        let hit = &many
            .similarity_search_with_score_by_vector(&v, &SearchOptions::new().k(1))
            .unwrap()[0];
        assert_eq!(hit.1, 0.0);
    }
}

#[test]
fn golden_folder_written_by_langchain_loads() {
    let cases = fixtures().join("golden/cases/fake_save_load");
    for (folder, name) in [("saved", "index"), ("saved_named", "my_index")] {
        let store = FaissStore::load_local(
            cases.join(folder),
            Arc::new(FakeEmbeddings::new()),
            &LoadOptions::new().index_name(name),
        )
        .unwrap();
        let hits = store
            .similarity_search_with_score("foo", &SearchOptions::new().k(3))
            .unwrap();
        let got: Vec<Value> = hits
            .iter()
            .map(|(d, s)| json!([d.id, d.page_content, d.metadata, *s as f64]))
            .collect();
        assert_eq!(
            Value::Array(got),
            json!([
                ["a", "foo", {"page": 0, "tags": ["x"]}, 0.0],
                ["b", "bar", {"page": 1, "nested": {"k": "v"}}, 1.0],
                ["c", "baz", {}, 4.0]
            ])
        );
    }
}

#[test]
fn damaged_pickles_are_typed_errors_naming_the_file() {
    let src = fixtures().join("langchain_save_local/index");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(src.join("index.faiss"), dir.path().join("index.faiss")).unwrap();
    let pkl = std::fs::read(src.join("index.pkl")).unwrap();
    for cut in (0..pkl.len()).step_by(7) {
        std::fs::write(dir.path().join("index.pkl"), &pkl[..cut]).unwrap();
        match FaissStore::load_local(dir.path(), Arc::new(CountEmbeddings), &LoadOptions::new()) {
            Err(StoreError::Persist(e)) => assert!(e.path().ends_with("index.pkl"), "{e}"),
            other => panic!("cut {cut}: {other:?}"),
        }
    }
    // A pickle that would run a command under Python: refused, nothing runs.
    let mut evil = vec![0x80, 2, b'c'];
    evil.extend_from_slice(b"os\nsystem\n");
    evil.extend_from_slice(&[0x8c, 4]);
    evil.extend_from_slice(b"true");
    evil.extend_from_slice(&[0x85, b'R', b'.']);
    std::fs::write(dir.path().join("index.pkl"), &evil).unwrap();
    let err = FaissStore::load_local(dir.path(), Arc::new(CountEmbeddings), &LoadOptions::new())
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Persist(PersistError::Corrupt { .. })),
        "{err}"
    );
}

/// A copy of the `index` fixture folder whose `index.faiss` is replaced by `index`.
fn folder_with_index(index: &dyn ferrofaiss_index::Index) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("langchain_save_local/index");
    std::fs::copy(src.join("index.pkl"), dir.path().join("index.pkl")).unwrap();
    ferrofaiss_index::faiss_io::write_index(index, dir.path().join("index.faiss")).unwrap();
    dir
}

/// The fixture's own index, read as Faiss wrote it.
fn fixture_index() -> Box<dyn ferrofaiss_index::Index> {
    ferrofaiss_index::faiss_io::read_index(
        fixtures().join("langchain_save_local/index/index.faiss"),
    )
    .unwrap()
}

fn load_folder(dir: &tempfile::TempDir) -> Result<FaissStore, StoreError> {
    FaissStore::load_local(dir.path(), Arc::new(CountEmbeddings), &LoadOptions::new())
}

#[test]
fn folders_whose_index_labels_are_not_its_rows_are_refused() {
    use ferrofaiss_index::{FlatIndex, IdMap, IdMap2, Index, MetricType};
    let flat = fixture_index();
    let n = flat.ntotal();
    let d = flat.dimension();
    let vectors: Vec<f32> = (0..n as i64)
        .flat_map(|row| flat.reconstruct(row).unwrap())
        .collect();
    let inner = || FlatIndex::from_vectors(d, MetricType::L2, vectors.clone()).unwrap();
    // Labels `0..n` in order load as before.
    let fine = IdMap::from_parts(inner(), (0..n as i64).collect()).unwrap();
    assert_eq!(load_folder(&folder_with_index(&fine)).unwrap().len(), n);
    let bad: Vec<(Box<dyn Index>, &str)> = vec![
        (
            Box::new(IdMap::from_parts(inner(), vec![0; n]).unwrap()),
            "stored twice",
        ),
        (
            Box::new(IdMap::from_parts(inner(), (1..=n as i64).collect()).unwrap()),
            "is not a row",
        ),
        (
            Box::new(IdMap2::from_parts(inner(), (0..n as i64).map(|i| i - 1).collect()).unwrap()),
            "is not a row",
        ),
    ];
    for (index, why) in bad {
        let err = load_folder(&folder_with_index(&*index)).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, StoreError::Persist(PersistError::Corrupt { .. })),
            "{msg}"
        );
        assert!(msg.contains(why) && msg.contains("index.faiss"), "{msg}");
    }
}

#[test]
fn folders_whose_stored_vectors_hold_nan_are_refused() {
    use ferrofaiss_index::{FlatIndex, Index, MetricType};
    let flat = fixture_index();
    let (n, d) = (flat.ntotal(), flat.dimension());
    let mut vectors: Vec<f32> = (0..n as i64)
        .flat_map(|row| flat.reconstruct(row).unwrap())
        .collect();
    vectors[d + 1] = f32::NAN;
    let poisoned = FlatIndex::from_vectors(d, MetricType::L2, vectors).unwrap();
    let err = load_folder(&folder_with_index(&poisoned)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("row 1 holds NaN"), "{msg}");
    assert!(
        matches!(err, StoreError::Persist(PersistError::Corrupt { .. })),
        "{msg}"
    );
}
