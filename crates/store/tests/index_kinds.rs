//! The store over every index kind the factory builds: same answers as the flat index
//! where the index is exact; IVF finds stored vectors and stays consistent.

use std::sync::Arc;

use ferrofaiss_embeddings::TrigramEmbeddings;
use ferrofaiss_store::{FaissStore, LoadOptions, SearchOptions, StoreConfig, StoreError};

fn texts() -> Vec<String> {
    (0..24)
        .map(|i| format!("text {i} on subject {}", i % 5))
        .collect()
}

fn build(factory: &str) -> FaissStore {
    let emb = Arc::new(TrigramEmbeddings::new(64, true).unwrap());
    let ids = (0..24).map(|i| format!("d{i}")).collect();
    FaissStore::from_texts(
        &texts(),
        emb,
        None,
        Some(ids),
        StoreConfig::new().index_factory(factory),
    )
    .unwrap()
}

fn ids_of(hits: &[(ferrofaiss_docstore::Document, f32)]) -> Vec<String> {
    hits.iter().map(|(d, _)| d.id.clone().unwrap()).collect()
}

#[test]
fn exact_index_kinds_agree_with_flat() {
    let flat = build("Flat");
    for factory in ["IDMap2,Flat", "IDMap,Flat"] {
        let mut s = build(factory);
        let opts = SearchOptions::new().k(6);
        for q in ["subject 3", "text 7"] {
            assert_eq!(
                s.similarity_search_with_score(q, &opts).unwrap(),
                flat.similarity_search_with_score(q, &opts).unwrap(),
                "{factory}"
            );
        }
        let bytes = s.serialize_to_bytes().unwrap();
        let back =
            FaissStore::deserialize_from_bytes(&bytes, s.embeddings().clone(), &LoadOptions::new())
                .unwrap();
        assert_eq!(back.index().type_name(), s.index().type_name());
        let mut f = flat.clone();
        assert_eq!(
            s.max_marginal_relevance_search("subject 3", &opts).unwrap(),
            f.max_marginal_relevance_search("subject 3", &opts).unwrap()
        );
        s.delete(&["d3", "d10"]).unwrap();
        f.delete(&["d3", "d10"]).unwrap();
        assert_eq!(s.index_to_docstore_id(), f.index_to_docstore_id());
        assert_eq!(
            ids_of(&s.similarity_search_with_score("subject 3", &opts).unwrap()),
            ids_of(&f.similarity_search_with_score("subject 3", &opts).unwrap())
        );
    }
}

#[test]
fn ivf_store_finds_exact_matches_and_stays_consistent() {
    let mut s = build("IVF3,Flat");
    assert_eq!(s.index().type_name(), "IndexIVFFlat");
    // A stored text is its own nearest neighbour when its list is probed; nprobe = 1
    // probes the query's own list, which holds the identical vector.
    let hits = s
        .similarity_search_with_score("text 7 on subject 2", &SearchOptions::new().k(1))
        .unwrap();
    assert_eq!(hits[0].0.id.as_deref(), Some("d7"));
    assert!(hits[0].1.abs() < 1e-5);
    s.add_texts(&["a brand new text"], None, Some(vec!["new".into()]))
        .unwrap();
    s.delete(&["d0", "d5"]).unwrap();
    assert_eq!(s.len(), 23);
    assert_eq!(s.index().ntotal(), 23);
    let hits = s
        .similarity_search_with_score("a brand new text", &SearchOptions::new().k(1))
        .unwrap();
    assert_eq!(hits[0].0.id.as_deref(), Some("new"));
    let too_few = FaissStore::from_embeddings(
        vec![("solo".into(), s.vector_at(0).unwrap())],
        s.embeddings().clone(),
        None,
        None,
        StoreConfig::new().index_factory("IVF3,Flat"),
    );
    // Training an IVF index needs at least nlist vectors: a typed error.
    assert!(matches!(too_few, Err(StoreError::Index(_))));
}

/// A store of `n` texts on its own subject, ids `{prefix}{i}`.
fn build_part(factory: &str, prefix: &str, n: usize) -> FaissStore {
    let emb = Arc::new(TrigramEmbeddings::new(64, true).unwrap());
    let texts: Vec<String> = (0..n)
        .map(|i| format!("{prefix} document number {i} about {}", i * 7 % 11))
        .collect();
    let ids = (0..n).map(|i| format!("{prefix}{i}")).collect();
    FaissStore::from_texts(
        &texts,
        emb,
        None,
        Some(ids),
        StoreConfig::new().index_factory(factory),
    )
    .unwrap()
}

/// Every document's own text finds that document first, at distance 0: with a
/// colliding label the search returned another store's document instead.
fn assert_every_document_finds_itself(s: &FaissStore, factory: &str) {
    assert_eq!(s.index().ntotal(), s.len(), "{factory}");
    for (id, doc) in s.docstore().iter() {
        let hits = s
            .similarity_search_with_score(&doc.page_content, &SearchOptions::new().k(1))
            .unwrap();
        assert_eq!(hits[0].0.id.as_deref(), Some(id), "{factory}");
        assert!(hits[0].1.abs() < 1e-4, "{factory}: {}", hits[0].1);
    }
}

#[test]
fn merged_stores_answer_every_document_of_both_for_every_index_kind() {
    for factory in ["Flat", "IDMap,Flat", "IDMap2,Flat", "IVF3,Flat"] {
        let mut a = build_part(factory, "alpha", 12);
        let b = build_part(factory, "beta", 9);
        a.merge_from(&b).unwrap();
        assert_eq!(a.len(), 21, "{factory}");
        assert_every_document_finds_itself(&a, factory);
        // Deleting a merged-in document and one of our own works and keeps the rest.
        assert_eq!(a.delete(&["beta4", "alpha0"]).unwrap(), 2, "{factory}");
        assert_every_document_finds_itself(&a, factory);
        // The merged store survives a save and load with the same answers.
        let bytes = a.serialize_to_bytes().unwrap();
        let back =
            FaissStore::deserialize_from_bytes(&bytes, a.embeddings().clone(), &LoadOptions::new())
                .unwrap();
        assert_every_document_finds_itself(&back, factory);
        // Merging into an empty store of the same kind copies the other store whole.
        let emb = a.embeddings().clone();
        let mut empty =
            FaissStore::with_dimension(emb, 64, StoreConfig::new().index_factory(factory)).unwrap();
        empty.merge_from(&b).unwrap();
        assert_every_document_finds_itself(&empty, factory);
    }
}

/// Every document's own text finds that document first; a scalar quantizer stores an
/// approximation, so the distance is small rather than zero (larger for vectors added
/// after training that fall outside the trained ranges and are clamped, as in Faiss).
fn assert_every_document_finds_itself_approximately(s: &FaissStore, factory: &str) {
    assert_eq!(s.index().ntotal(), s.len(), "{factory}");
    for (id, doc) in s.docstore().iter() {
        let hits = s
            .similarity_search_with_score(&doc.page_content, &SearchOptions::new().k(1))
            .unwrap();
        assert_eq!(hits[0].0.id.as_deref(), Some(id), "{factory}");
        assert!(hits[0].1.abs() < 0.25, "{factory}: {}", hits[0].1);
    }
}

/// Search, save/load (the very same answers: codes and graphs travel as they are), MMR
/// (which reconstructs the stored vectors), merge and delete (which rebuilds any index
/// but a flat one from the kept vectors), each followed by `finds_itself`.
fn search_save_merge_delete(factory: &str, finds_itself: fn(&FaissStore, &str)) {
    let mut a = build_part(factory, "alpha", 12);
    finds_itself(&a, factory);
    let bytes = a.serialize_to_bytes().unwrap();
    let back =
        FaissStore::deserialize_from_bytes(&bytes, a.embeddings().clone(), &LoadOptions::new())
            .unwrap();
    let opts = SearchOptions::new().k(5);
    for q in ["alpha document number 3", "about 7"] {
        assert_eq!(
            back.similarity_search_with_score(q, &opts).unwrap(),
            a.similarity_search_with_score(q, &opts).unwrap(),
            "{factory}"
        );
    }
    assert_eq!(
        a.max_marginal_relevance_search("about 7", &opts)
            .unwrap()
            .len(),
        5
    );
    let b = build_part(factory, "beta", 9);
    a.merge_from(&b).unwrap();
    assert_eq!(a.len(), 21, "{factory}");
    finds_itself(&a, factory);
    assert_eq!(a.delete(&["beta4", "alpha0"]).unwrap(), 2, "{factory}");
    assert_eq!(a.len(), 19, "{factory}");
    finds_itself(&a, factory);
}

#[test]
fn scalar_quantizer_stores_search_save_delete_and_merge() {
    for factory in ["SQ8", "SQfp16", "IDMap2,SQ8"] {
        let a = build_part(factory, "alpha", 1);
        assert_eq!(
            a.index().type_name().contains("ScalarQuantizer"),
            factory != "IDMap2,SQ8"
        );
        search_save_merge_delete(factory, assert_every_document_finds_itself_approximately);
    }
}

/// A store over an HNSW graph: every verb, the graph rebuilt on delete as for IVF.
#[test]
fn hnsw_stores_search_save_delete_and_merge() {
    for factory in ["HNSW16", "IDMap2,HNSW8"] {
        search_save_merge_delete(factory, assert_every_document_finds_itself);
    }
}
