//! Exact filtered search at scale (issue 15): a store of `--rows` random vectors of
//! `--dim` dimensions whose metadata has `tenant` in `--tenants` values and `bucket` in
//! 0..1000, searched (k = 10, one query at a time) without a filter, with an exact
//! filter for one tenant, with exact filters matching half the rows through the
//! metadata index (`$in` of half the tenants: rows in runs of `--tenants / 2`; `$in` of
//! half the buckets and `bucket < 500`: rows scattered), with one the index cannot
//! answer (`tenant < "t5"`, a string ordering, evaluated document by document: about
//! 44% of rows), and with LangChain's filter for one tenant. A benchmark
//! binary, not a CI test:
//!
//! ```sh
//! cargo run --release -p ferrofaiss-benches --bin exact_filter -- --rows 1000000 --dim 128
//! ```
//!
//! Prints one JSON object per case: median and p90 milliseconds per query over
//! `--queries` queries (after one warm-up query, whose time, which includes building
//! the metadata index for a field's first use, is reported as `first_ms`), the median
//! number of results, and the ratio of the unfiltered median to the case's.

use std::sync::Arc;
use std::time::Instant;

use ferrofaiss::embeddings::FakeEmbeddings;
use ferrofaiss::{FaissStore, Filter, FilterMode, Metadata, SearchOptions, StoreConfig};
use ferrofaiss_benches::Rng;
use serde_json::json;

struct Settings {
    rows: usize,
    dim: usize,
    tenants: usize,
    queries: usize,
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings {
        rows: 1_000_000,
        dim: 128,
        tenants: 1000,
        queries: 30,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let n: usize = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?;
        match flag.as_str() {
            "--rows" => s.rows = n,
            "--dim" => s.dim = n,
            "--tenants" => s.tenants = n.max(2),
            "--queries" => s.queries = n.max(1),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(s)
}

fn main() {
    let s = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("exact_filter: {e}");
            std::process::exit(2);
        }
    };
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let start = Instant::now();
    let pairs: Vec<(String, Vec<f32>)> = (0..s.rows)
        .map(|_| (String::new(), (0..s.dim).map(|_| rng.uniform()).collect()))
        .collect();
    let metadatas: Vec<Metadata> = (0..s.rows)
        .map(|i| {
            json!({"tenant": format!("t{}", i % s.tenants), "bucket": (i * 7919) % 1000})
                .as_object()
                .cloned()
                .expect("an object")
        })
        .collect();
    let ids = (0..s.rows).map(|i| format!("d{i}")).collect();
    let store = FaissStore::from_embeddings(
        pairs,
        Arc::new(FakeEmbeddings::new()),
        Some(metadatas),
        Some(ids),
        StoreConfig::new(),
    )
    .expect("the store builds");
    eprintln!(
        "built {} x {} in {:.1} s",
        s.rows,
        s.dim,
        start.elapsed().as_secs_f64()
    );
    let queries: Vec<Vec<f32>> = (0..=s.queries)
        .map(|_| (0..s.dim).map(|_| rng.uniform()).collect())
        .collect();

    let half: Vec<String> = (0..s.tenants / 2).map(|t| format!("t{t}")).collect();
    let exact = |f: serde_json::Value| {
        SearchOptions::new()
            .k(10)
            .filter(Filter::from_json(&f).expect("a filter"))
            .filter_mode(FilterMode::Exact)
    };
    let cases: Vec<(&str, SearchOptions)> = vec![
        ("unfiltered", SearchOptions::new().k(10)),
        ("exact_one_tenant", exact(json!({"tenant": "t7"}))),
        (
            "exact_half_indexed",
            exact(json!({"tenant": {"$in": half}})),
        ),
        (
            "exact_half_scattered_indexed",
            exact(json!({"bucket": {"$in": (0..500).collect::<Vec<_>>()}})),
        ),
        (
            "exact_half_range_indexed",
            exact(json!({"bucket": {"$lt": 500}})),
        ),
        (
            "exact_string_order_evaluated",
            exact(json!({"tenant": {"$lt": "t5"}})),
        ),
        (
            "langchain_one_tenant",
            SearchOptions::new()
                .k(10)
                .filter(Filter::from_json(&json!({"tenant": "t7"})).expect("a filter")),
        ),
    ];
    let mut unfiltered_ms = None;
    for (name, opts) in cases {
        let t = Instant::now();
        store
            .similarity_search_with_score_by_vector(&queries[0], &opts)
            .expect("search");
        let first_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut times = Vec::with_capacity(s.queries);
        let mut counts = Vec::with_capacity(s.queries);
        for q in &queries[1..] {
            let t = Instant::now();
            let hits = store
                .similarity_search_with_score_by_vector(q, &opts)
                .expect("search");
            times.push(t.elapsed().as_secs_f64() * 1e3);
            counts.push(hits.len());
        }
        times.sort_by(f64::total_cmp);
        counts.sort_unstable();
        let median = times[times.len() / 2];
        let p90 = times[(times.len() * 9 / 10).min(times.len() - 1)];
        let base = *unfiltered_ms.get_or_insert(median);
        println!(
            "{}",
            json!({
                "case": name, "rows": s.rows, "dim": s.dim, "tenants": s.tenants,
                "queries": s.queries, "threads": rayon_threads(),
                "median_ms": median, "p90_ms": p90, "first_ms": first_ms,
                "results_median": counts[counts.len() / 2],
                "speedup_vs_unfiltered": base / median,
            })
        );
    }
}

/// The worker threads searches use: rayon's global pool, `RAYON_NUM_THREADS` or one
/// per core.
fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
