//! The store-level calls `shared/bench/langchain_store.py` times on LangChain's FAISS,
//! made the same way on ours (issue 9's store table), so the two print side by side:
//! a store built with `from_embeddings` from `n` random `d`-dimensional vectors, texts
//! `doc {i}` and metadata `{"page": i % 10}`, then the median microseconds of
//! `similarity_search_with_score_by_vector` (k = 4), the same with the filter
//! `{"page": 1}`, `max_marginal_relevance_search_by_vector` (k = 4, fetch_k = 20), and
//! the async `similarity_search_with_score_by_vector` driven to completion one call at a
//! time (as the Python script drives each coroutine with `run_until_complete`); then
//! the store saved with `save_local` and opened again with `load_local`, the index file
//! mapped (the default) and copied (median seconds of three loads each). A benchmark
//! binary, not a CI test:
//!
//! ```sh
//! cargo run --release -p ferrofaiss-benches --bin store_calls
//! ```
//!
//! Prints one line per shape in the Python script's format, then the same as JSON.
//! `store_calls N D REPS [...]` measures other shapes.

use std::sync::Arc;
use std::time::Instant;

use ferrofaiss::embeddings::FakeEmbeddings;
use ferrofaiss::{
    AsyncFaissStore, FaissStore, Filter, LoadOptions, Metadata, SearchOptions, StoreConfig,
};
use ferrofaiss_benches::Rng;
use serde_json::json;

/// Roughly standard normal values (sum of four uniforms, centred and scaled): the
/// distribution does not matter for timing, only the shapes do.
fn normal(rng: &mut Rng) -> f32 {
    let s: f32 = (0..4).map(|_| rng.uniform()).sum();
    (s - 2.0) * 1.732
}

/// Median microseconds of `reps` calls of `f`, after three untimed calls.
fn median_us(reps: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn bench(n: usize, d: usize, reps: usize) -> serde_json::Value {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let vectors: Vec<Vec<f32>> = (0..n)
        .map(|_| (0..d).map(|_| normal(&mut rng)).collect())
        .collect();
    let texts: Vec<String> = (0..n).map(|i| format!("doc {i}")).collect();
    let metadatas: Vec<Metadata> = (0..n)
        .map(|i| {
            json!({"page": i % 10})
                .as_object()
                .cloned()
                .expect("an object")
        })
        .collect();
    let t = Instant::now();
    let store = FaissStore::from_embeddings(
        texts.into_iter().zip(vectors).collect(),
        Arc::new(FakeEmbeddings::new()),
        Some(metadatas),
        None,
        StoreConfig::new(),
    )
    .expect("the store builds");
    let build_s = t.elapsed().as_secs_f64();
    let q: Vec<f32> = (0..d).map(|_| normal(&mut rng)).collect();
    let plain = SearchOptions::new().k(4);
    let filtered = SearchOptions::new()
        .k(4)
        .filter(Filter::from_json(&json!({"page": 1})).expect("a filter"));
    let mmr = SearchOptions::new().k(4).fetch_k(20);
    let search_us = median_us(reps, || {
        store
            .similarity_search_with_score_by_vector(&q, &plain)
            .expect("search");
    });
    let filter_us = median_us(reps, || {
        store
            .similarity_search_with_score_by_vector(&q, &filtered)
            .expect("search");
    });
    let mmr_us = median_us(reps, || {
        store
            .max_marginal_relevance_search_by_vector(&q, &mmr)
            .expect("mmr");
    });
    let (load_mmap_s, load_copy_s) = load_times(&store);
    let handle = AsyncFaissStore::new(store);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let async_us = median_us(reps, || {
        rt.block_on(handle.similarity_search_with_score_by_vector(q.clone(), plain.clone()))
            .expect("async search");
    });
    say(&format!(
        "n={n} d={d}: build {build_s:.2}s; search_with_score_by_vector {search_us:.1} us; \
         +filter {filter_us:.1} us; mmr {mmr_us:.1} us; async {async_us:.1} us; \
         load_local {load_mmap_s:.3}s mapped, {load_copy_s:.3}s copied"
    ));
    json!({
        "n": n, "d": d, "build_s": build_s, "search_us": search_us,
        "filter_us": filter_us, "mmr_us": mmr_us, "async_us": async_us,
        "load_mmap_s": load_mmap_s, "load_copy_s": load_copy_s,
    })
}

/// Median seconds of three `load_local` calls of `store` saved in a temporary folder,
/// with the index file mapped, then copied.
fn load_times(store: &FaissStore) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    store
        .save_local(dir.path(), "index")
        .expect("the store saves");
    let median_s = |mmap: bool| {
        let mut times: Vec<f64> = (0..3)
            .map(|_| {
                let t = Instant::now();
                let loaded = FaissStore::load_local(
                    dir.path(),
                    Arc::new(FakeEmbeddings::new()),
                    &LoadOptions::new().mmap(mmap),
                )
                .expect("the store loads");
                let s = t.elapsed().as_secs_f64();
                assert_eq!(loaded.len(), store.len());
                s
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[1]
    };
    (median_s(true), median_s(false))
}

/// One line on stdout; a closed pipe (`| head`) is not an error worth a panic.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn main() {
    // `store_calls N D REPS [N D REPS ...]` measures other shapes.
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| {
            eprintln!("store_calls: {e}: give N D REPS triples");
            std::process::exit(2);
        });
    let shapes: Vec<(usize, usize, usize)> = if args.is_empty() {
        vec![(42, 1536, 200), (100_000, 384, 50)]
    } else if args.len().is_multiple_of(3)
        && args.chunks(3).all(|c| c[0] > 0 && c[1] > 0 && c[2] > 0)
    {
        args.chunks(3).map(|c| (c[0], c[1], c[2])).collect()
    } else {
        eprintln!("store_calls: give N D REPS triples of positive numbers");
        std::process::exit(2);
    };
    let records: Vec<_> = shapes.into_iter().map(|(n, d, r)| bench(n, d, r)).collect();
    say(&json!({ "records": records }).to_string());
}
