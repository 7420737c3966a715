//! A store whose index searches on the GPU (`StoreConfig::device`, feature `gpu`): the
//! same answers as the CPU store, flat and IVF; the same saved bytes; loaded back onto
//! the GPU. Runs on whatever adapter wgpu finds (CI: Mesa's software Vulkan and GL);
//! without one it is skipped, except under `CI=true`.

#![cfg(feature = "gpu")]

use std::sync::Arc;

use ferrofaiss_docstore::{Document, Filter};
use ferrofaiss_embeddings::TrigramEmbeddings;
use ferrofaiss_store::{
    Device, FaissStore, FilterMode, LoadOptions, SearchOptions, StoreConfig, StoreError,
};

fn device_present() -> bool {
    match ferrofaiss_gpu::adapter_report() {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and no GPU adapter: {e}"
            );
            eprintln!("skipped: {e}");
            false
        }
    }
}

/// The same hits up to float rounding: slot by slot the scores agree within 1e-5, and
/// the documents are the same but where two scores are that close (a near tie the GPU's
/// summation order may break the other way), or at the cut.
fn assert_close(got: &[(Document, f32)], want: &[(Document, f32)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    let tol = |x: f32| 1e-5 * x.abs().max(1.0);
    for ((gd, gs), (wd, ws)) in got.iter().zip(want) {
        assert!((gs - ws).abs() <= tol(*ws), "{what}: {gs} vs {ws}");
        if gd.id != wd.id {
            let tied = want
                .iter()
                .any(|(d, s)| d.id == gd.id && (s - gs).abs() <= tol(*s));
            let at_cut = want
                .last()
                .is_some_and(|(_, last)| (gs - last).abs() <= tol(*last));
            assert!(tied || at_cut, "{what}: {:?} vs {:?}", gd.id, wd.id);
        }
    }
}

fn build(factory: &str, device: Device) -> FaissStore {
    let emb = Arc::new(TrigramEmbeddings::new(64, true).unwrap());
    let texts: Vec<String> = (0..40)
        .map(|i| format!("text {i} on subject {}", i % 5))
        .collect();
    let metadatas = (0..40)
        .map(|i| {
            let mut m = ferrofaiss_docstore::Metadata::new();
            m.insert("page".into(), serde_json::json!(i % 3));
            m
        })
        .collect();
    let ids = (0..40).map(|i| format!("d{i}")).collect();
    FaissStore::from_texts(
        &texts,
        emb,
        Some(metadatas),
        Some(ids),
        StoreConfig::new().index_factory(factory).device(device),
    )
    .unwrap()
}

#[test]
fn a_gpu_store_answers_and_saves_as_the_cpu_store() {
    if !device_present() {
        return;
    }
    for factory in ["Flat", "IVF4,Flat"] {
        let cpu = build(factory, Device::Cpu);
        let mut gpu = build(factory, Device::Gpu);
        assert!(gpu.index().type_name().starts_with("Gpu"), "{factory}");
        assert_eq!(gpu.config().device, Device::Gpu);
        let opts = SearchOptions::new().k(6).fetch_k(20).nprobe(4);
        // The filter reads every document (fetch_k 40): the trigram vectors tie in
        // groups (eight documents at one score for "text 7"), and where a group
        // straddles a fetch_k cut, rounding decides which of them are fetched and so
        // how many pass the filter, on the GPU and on each CPU tier differently (an
        // AVX2-only host fetched 4 page-1 documents on the GPU and 3 on the CPU).
        let filtered = opts
            .clone()
            .fetch_k(40)
            .filter(Filter::from_json(&serde_json::json!({"page": 1})).unwrap());
        for q in ["subject 3", "text 7"] {
            assert_close(
                &gpu.similarity_search_with_score(q, &opts).unwrap(),
                &cpu.similarity_search_with_score(q, &opts).unwrap(),
                factory,
            );
            assert_close(
                &gpu.similarity_search_with_score(q, &filtered).unwrap(),
                &cpu.similarity_search_with_score(q, &filtered).unwrap(),
                factory,
            );
        }
        // Saved folders are the CPU store's, byte for byte.
        assert_eq!(
            gpu.serialize_to_bytes().unwrap(),
            cpu.serialize_to_bytes().unwrap()
        );
        let dir = tempfile::tempdir().unwrap();
        gpu.save_local(dir.path(), "index").unwrap();
        let cpu_dir = tempfile::tempdir().unwrap();
        cpu.save_local(cpu_dir.path(), "index").unwrap();
        for file in ["index.faiss", "index.docstore"] {
            assert_eq!(
                std::fs::read(dir.path().join(file)).unwrap(),
                std::fs::read(cpu_dir.path().join(file)).unwrap()
            );
        }
        // Loaded back onto the GPU.
        let mut load = LoadOptions::new();
        load.device = Device::Gpu;
        let back = FaissStore::load_local(dir.path(), gpu.embeddings().clone(), &load).unwrap();
        assert!(back.index().type_name().starts_with("Gpu"));
        assert_close(
            &back
                .similarity_search_with_score("subject 3", &opts)
                .unwrap(),
            &cpu.similarity_search_with_score("subject 3", &opts)
                .unwrap(),
            factory,
        );
        // Delete goes through the GPU index too.
        let mut c = cpu.clone();
        gpu.delete(&["d3", "d11"]).unwrap();
        c.delete(&["d3", "d11"]).unwrap();
        assert_close(
            &gpu.similarity_search_with_score("subject 3", &opts)
                .unwrap(),
            &c.similarity_search_with_score("subject 3", &opts).unwrap(),
            factory,
        );
        // An exact filter needs an id selector, which the GPU indexes refuse.
        let exact = filtered.clone().filter_mode(FilterMode::Exact);
        assert!(matches!(
            gpu.similarity_search_with_score("subject 3", &exact),
            Err(StoreError::Index(_))
        ));
    }
}

#[test]
fn index_kinds_the_gpu_does_not_hold_are_refused_by_name() {
    if !device_present() {
        return;
    }
    let emb = Arc::new(TrigramEmbeddings::new(16, true).unwrap());
    let err = FaissStore::from_texts(
        &["a", "b"],
        emb,
        None,
        None,
        StoreConfig::new()
            .index_factory("HNSW8")
            .device(Device::Gpu),
    )
    .unwrap_err();
    assert!(err.to_string().contains("IndexHNSWFlat"), "{err}");
}
