//! save_local / load_local and serialize_to_bytes / deserialize_from_bytes: round trips,
//! native Faiss bytes, atomic saves, and a typed error naming the file for every
//! missing, truncated, corrupt or future-version file.

use std::path::Path;
use std::sync::Arc;

use ferrofaiss_docstore::Metadata;
use ferrofaiss_embeddings::{Embeddings, FakeEmbeddings, TrigramEmbeddings};
use ferrofaiss_index::faiss_io::read_index;
use ferrofaiss_store::{
    DistanceStrategy, FaissStore, LoadOptions, PersistError, SearchOptions, StoreConfig, StoreError,
};
use serde_json::json;

fn trigram() -> Arc<TrigramEmbeddings> {
    Arc::new(TrigramEmbeddings::new(64, true).unwrap())
}

const TEXTS: [&str; 6] = [
    "the cat sat on the mat",
    "a dog barked at the mailman",
    "rust is a systems language",
    "vector search with faiss",
    "langchain stores documents",
    "the quick brown fox",
];

fn store(config: StoreConfig) -> FaissStore {
    let metadatas: Vec<Metadata> = (0..TEXTS.len())
        .map(|i| {
            json!({"i": i, "tags": ["x", i], "nested": {"even": i % 2 == 0}, "f": 0.5 * i as f64})
                .as_object()
                .cloned()
                .unwrap()
        })
        .collect();
    FaissStore::from_texts(&TEXTS, trigram(), Some(metadatas), None, config).unwrap()
}

fn answers(s: &FaissStore) -> Vec<Vec<(String, f32)>> {
    ["cat on a mat", "faiss vector", "quick fox"]
        .iter()
        .map(|q| {
            s.similarity_search_with_score(q, &SearchOptions::new().k(6))
                .unwrap()
                .into_iter()
                .map(|(d, sc)| (d.id.unwrap(), sc))
                .collect()
        })
        .collect()
}

fn assert_same_store(a: &FaissStore, b: &FaissStore) {
    assert_eq!(a.index_to_docstore_id(), b.index_to_docstore_id());
    assert_eq!(a.distance_strategy(), b.distance_strategy());
    assert_eq!(a.normalize_l2(), b.normalize_l2());
    assert_eq!(a.index().type_name(), b.index().type_name());
    let docs_a: Vec<_> = a.docstore().iter().map(|(_, d)| d.clone()).collect();
    let docs_b: Vec<_> = b.docstore().iter().map(|(_, d)| d.clone()).collect();
    assert_eq!(docs_a, docs_b);
    assert_eq!(answers(a), answers(b));
}

#[test]
fn round_trip_keeps_strategy_normalize_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig::new()
        .distance_strategy(DistanceStrategy::MaxInnerProduct)
        .normalize_l2(true);
    let s = store(config);
    s.save_local(dir.path(), "my_index").unwrap();
    let loaded = FaissStore::load_local(
        dir.path(),
        trigram(),
        &LoadOptions::new().index_name("my_index"),
    )
    .unwrap();
    // LangChain would come back as EUCLIDEAN_DISTANCE without normalization.
    assert_eq!(
        loaded.distance_strategy(),
        DistanceStrategy::MaxInnerProduct
    );
    assert!(loaded.normalize_l2());
    assert_same_store(&s, &loaded);
    // The index file is a native Faiss file.
    let index = read_index(dir.path().join("my_index.faiss")).unwrap();
    assert_eq!(index.type_name(), "IndexFlatIP");
    assert_eq!(index.ntotal(), TEXTS.len());
    // Overrides replace what was saved, as LangChain's load_local kwargs do.
    let overridden = FaissStore::load_local(
        dir.path(),
        trigram(),
        &LoadOptions::new()
            .index_name("my_index")
            .distance_strategy(DistanceStrategy::Cosine),
    )
    .unwrap();
    assert_eq!(overridden.distance_strategy(), DistanceStrategy::Cosine);
}

#[test]
fn bytes_round_trip_and_ivf_store() {
    let s = store(StoreConfig::new().index_factory("IVF2,Flat"));
    assert_eq!(s.index().type_name(), "IndexIVFFlat");
    let bytes = s.serialize_to_bytes().unwrap();
    let back = FaissStore::deserialize_from_bytes(&bytes, trigram(), &LoadOptions::new()).unwrap();
    assert_same_store(&s, &back);
    // An IVF store supports MMR (reconstruct) and delete (rows renumbered). Probing both
    // lists makes every stored vector a candidate, whatever the trained centroids are.
    let mut back = back;
    let mmr = back
        .max_marginal_relevance_search("cat", &SearchOptions::new().k(3).fetch_k(6).nprobe(2))
        .unwrap();
    assert_eq!(mmr.len(), 3);
    let victim = back.index_to_docstore_id()[1].clone();
    back.delete(&[victim.as_str()]).unwrap();
    assert_eq!(back.len(), TEXTS.len() - 1);
    assert!(!back.index_to_docstore_id().contains(&victim));
    for (row, id) in back.index_to_docstore_id().iter().enumerate() {
        let doc = &back.get_by_ids(&[id.as_str()])[0];
        let want = TEXTS.iter().position(|t| *t == doc.page_content).unwrap();
        let v = back.vector_at(row).unwrap();
        let expected = s.vector_at(want).unwrap();
        assert_eq!(
            v, expected,
            "row {row} holds the vector of its own document"
        );
    }
}

#[test]
fn wrong_embedder_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    store(StoreConfig::new())
        .save_local(dir.path(), "index")
        .unwrap();
    let err = FaissStore::load_local(
        dir.path(),
        Arc::new(FakeEmbeddings::new()),
        &LoadOptions::new(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Persist(PersistError::EmbedderMismatch { .. })
        ),
        "{err}"
    );
    FaissStore::load_local(
        dir.path(),
        Arc::new(FakeEmbeddings::new()),
        &LoadOptions::new().allow_other_embedder(true),
    )
    .unwrap();
}

fn load(dir: &Path) -> Result<FaissStore, StoreError> {
    FaissStore::load_local(dir, trigram(), &LoadOptions::new())
}

fn persist_error(r: Result<FaissStore, StoreError>) -> PersistError {
    match r {
        Err(StoreError::Persist(e)) => e,
        other => panic!("expected a persistence error, got {other:?}"),
    }
}

#[test]
fn missing_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = persist_error(load(&dir.path().join("nope")));
    assert!(matches!(e, PersistError::Io { .. }));
    assert!(e.path().ends_with("nope/index.faiss"));
    store(StoreConfig::new())
        .save_local(dir.path(), "index")
        .unwrap();
    std::fs::remove_file(dir.path().join("index.docstore")).unwrap();
    let e = persist_error(load(dir.path()));
    assert!(e.path().ends_with("index.docstore"), "{e}");
}

#[test]
fn every_truncation_of_either_file_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    store(StoreConfig::new())
        .save_local(dir.path(), "index")
        .unwrap();
    for file in ["index.docstore", "index.faiss"] {
        let path = dir.path().join(file);
        let full = std::fs::read(&path).unwrap();
        let step = (full.len() / 97).max(1);
        for cut in (0..full.len()).step_by(step) {
            std::fs::write(&path, &full[..cut]).unwrap();
            let e = persist_error(load(dir.path()));
            assert!(
                e.path().ends_with(file) || e.path().ends_with("index.docstore"),
                "{file} cut {cut}: {e}"
            );
        }
        std::fs::write(&path, &full).unwrap();
        load(dir.path()).unwrap();
    }
}

#[test]
fn corrupt_bytes_wrong_magic_and_future_version() {
    let dir = tempfile::tempdir().unwrap();
    store(StoreConfig::new())
        .save_local(dir.path(), "index")
        .unwrap();
    let path = dir.path().join("index.docstore");
    let full = std::fs::read(&path).unwrap();

    let mut flipped = full.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    std::fs::write(&path, &flipped).unwrap();
    assert!(matches!(
        persist_error(load(dir.path())),
        PersistError::Corrupt { .. }
    ));

    let mut magic = full.clone();
    magic[0] = b'X';
    std::fs::write(&path, &magic).unwrap();
    assert!(matches!(
        persist_error(load(dir.path())),
        PersistError::BadMagic { .. }
    ));

    // The version is the u32 after the 8 magic bytes; the checksum covers the payload.
    let mut future = full.clone();
    future[8..12].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(&path, &future).unwrap();
    let e = persist_error(load(dir.path()));
    assert!(
        matches!(
            e,
            PersistError::UnsupportedVersion {
                found: 99,
                supported: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("index.docstore"));

    // A corrupt index file (valid length, flipped floats) no longer matches its docstore.
    std::fs::write(&path, &full).unwrap();
    let faiss = dir.path().join("index.faiss");
    let mut bytes = std::fs::read(&faiss).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&faiss, &bytes).unwrap();
    let e = persist_error(load(dir.path()));
    assert!(
        matches!(e, PersistError::Corrupt { .. }) && e.path().ends_with("index.faiss"),
        "{e}"
    );

    // Bytes: garbage and truncations.
    let s = store(StoreConfig::new());
    let buf = s.serialize_to_bytes().unwrap();
    for cut in [0, 5, 27, buf.len() / 2, buf.len() - 1] {
        let r = FaissStore::deserialize_from_bytes(&buf[..cut], trigram(), &LoadOptions::new());
        assert!(matches!(r, Err(StoreError::Persist(_))), "cut {cut}");
    }
}

#[test]
fn failed_save_leaves_the_previous_files_loadable() {
    let dir = tempfile::tempdir().unwrap();
    let first = store(StoreConfig::new());
    first.save_local(dir.path(), "index").unwrap();
    let first_faiss = std::fs::read(dir.path().join("index.faiss")).unwrap();
    let mut second = first.clone();
    second.add_texts(&["one more text"], None, None).unwrap();

    // The docstore rename fails (a directory stands in its way, after the index file
    // was already replaced): the previous index file is put back.
    std::fs::remove_file(dir.path().join("index.docstore")).unwrap();
    first.save_local(dir.path(), "other").unwrap();
    std::fs::rename(
        dir.path().join("other.docstore"),
        dir.path().join("index.docstore.keep"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("index.docstore")).unwrap();
    std::fs::create_dir(dir.path().join("index.docstore").join("occupied")).unwrap();
    assert!(second.save_local(dir.path(), "index").is_err());
    assert_eq!(
        std::fs::read(dir.path().join("index.faiss")).unwrap(),
        first_faiss
    );
    assert!(!dir.path().join("index.faiss.previous").exists());
    std::fs::remove_dir_all(dir.path().join("index.docstore")).unwrap();
    std::fs::rename(
        dir.path().join("index.docstore.keep"),
        dir.path().join("index.docstore"),
    )
    .unwrap();
    assert_same_store(&first, &load(dir.path()).unwrap());

    // A save killed between its two renames: new index file, old docstore file, and the
    // old index kept as index.faiss.previous. The previous pair loads.
    let faiss = dir.path().join("index.faiss");
    std::fs::hard_link(&faiss, dir.path().join("index.faiss.previous")).unwrap();
    second.save_local(dir.path(), "newer").unwrap();
    std::fs::remove_file(&faiss).unwrap();
    std::fs::copy(dir.path().join("newer.faiss"), &faiss).unwrap();
    assert_same_store(&first, &load(dir.path()).unwrap());

    // No leftover temporary files after successful saves.
    second.save_local(dir.path(), "index").unwrap();
    assert_same_store(&second, &load(dir.path()).unwrap());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial") || n.starts_with("index.faiss.previous"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn saved_embedder_name_reads_the_docstore_file_alone() {
    let s = store(StoreConfig::new());
    let dir = tempfile::tempdir().unwrap();
    s.save_local(dir.path(), "index").unwrap();
    let name = FaissStore::saved_embedder_name(dir.path(), "index").unwrap();
    assert_eq!(name, Some(trigram().name()));
    // The index file is not needed to answer.
    std::fs::remove_file(dir.path().join("index.faiss")).unwrap();
    assert_eq!(
        FaissStore::saved_embedder_name(dir.path(), "index").unwrap(),
        Some(trigram().name())
    );
    // A folder LangChain wrote records no embedder.
    let langchain = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/langchain_save_local/index"
    );
    assert_eq!(
        FaissStore::saved_embedder_name(langchain, "index").unwrap(),
        None
    );
    // A missing docstore file is a typed error naming it.
    let err = FaissStore::saved_embedder_name(dir.path(), "other").unwrap_err();
    assert!(err.to_string().contains("other.docstore"), "{err}");
    // A corrupt one too.
    std::fs::write(dir.path().join("index.docstore"), b"not a docstore").unwrap();
    assert!(FaissStore::saved_embedder_name(dir.path(), "index").is_err());
}

fn is_mapped(s: &FaissStore) -> bool {
    s.index()
        .as_any()
        .downcast_ref::<ferrofaiss_index::FlatIndex>()
        .is_some_and(|f| f.is_mapped())
}

/// `load_local` searches a flat index in place in its file's mapping by default, with
/// the answers of a copied load; a change copies the vectors out; saving over the open
/// folder leaves the open store whole.
#[test]
fn loaded_flat_stores_search_the_mapped_file() {
    let dir = tempfile::tempdir().unwrap();
    store(StoreConfig::new())
        .save_local(dir.path(), "index")
        .unwrap();
    let load = |mmap| FaissStore::load_local(dir.path(), trigram(), &LoadOptions::new().mmap(mmap));
    let (mut mapped, mut copied) = (load(true).unwrap(), load(false).unwrap());
    assert!(is_mapped(&mapped) && !is_mapped(&copied));
    assert_same_store(&mapped, &copied);

    let more = ["a mapped store takes new texts", "and finds them"];
    let ids = Some(vec!["n1".to_string(), "n2".to_string()]);
    mapped.add_texts(&more, None, ids.clone()).unwrap();
    copied.add_texts(&more, None, ids).unwrap();
    assert!(!is_mapped(&mapped));
    assert_same_store(&mapped, &copied);

    let open = load(true).unwrap();
    let before = answers(&open);
    mapped.save_local(dir.path(), "index").unwrap();
    assert_eq!(answers(&open), before);
    assert_same_store(&load(true).unwrap(), &copied);

    // LangChain's own folder (index.faiss + index.pkl) is mapped too.
    let langchain = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/langchain_save_local/index"
    );
    let lc = FaissStore::load_local(
        langchain,
        Arc::new(FakeEmbeddings::new()),
        &LoadOptions::new(),
    );
    assert!(lc.is_ok_and(|s| is_mapped(&s) == cfg!(unix)));
}

/// A folder saved before docstore format 2 (its index checksum FNV-1a, not XXH3) still
/// loads; saved again, it is written in the current format and loads as well.
#[test]
fn version_1_docstore_folders_still_load() {
    let v1 = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cli/tests/data/minilm-index"
    );
    let header = std::fs::read(Path::new(v1).join("index.docstore")).unwrap();
    assert_eq!(
        &header[8..12],
        &1u32.to_le_bytes(),
        "the fixture is version 1"
    );
    let opts = LoadOptions {
        allow_other_embedder: true,
        ..LoadOptions::new()
    };
    let old = FaissStore::load_local(v1, Arc::new(FakeEmbeddings::new()), &opts).unwrap();
    assert_eq!(old.len(), 3);
    let dir = tempfile::tempdir().unwrap();
    old.save_local(dir.path(), "index").unwrap();
    let header = std::fs::read(dir.path().join("index.docstore")).unwrap();
    assert_eq!(&header[8..12], &2u32.to_le_bytes());
    let again = FaissStore::load_local(dir.path(), Arc::new(FakeEmbeddings::new()), &opts).unwrap();
    assert_eq!(again.index_to_docstore_id(), old.index_to_docstore_id());
    // Flipping one byte of the index file breaks the XXH3 pairing too.
    let faiss = dir.path().join("index.faiss");
    let mut bytes = std::fs::read(&faiss).unwrap();
    bytes[60] ^= 0x10;
    std::fs::write(&faiss, &bytes).unwrap();
    assert!(FaissStore::load_local(dir.path(), Arc::new(FakeEmbeddings::new()), &opts).is_err());
}
