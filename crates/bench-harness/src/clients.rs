//! The `async_clients` section: `N` concurrent callers on one [`AsyncFaissStore`], each
//! searching its own queries one at a time (await, then the next), as a server's request
//! handlers do. Concurrent searches share passes (the handle's micro-batching), so the
//! store answers many callers per scan of a flat index.
//!
//! Per `N`: `qps` (searches answered per second of wall time), `latency_ms_p50` and
//! `latency_ms_p99` (one search, from call to answer), `passes` and `mean_batch` (how the
//! handle grouped them), and `batch_pass_ms`: the time of one synchronous
//! [`FaissStore::search_batch`] over `min(N, max_batch)` queries, the pass a caller
//! waits for.

use std::sync::Arc;
use std::time::Instant;

use ferrofaiss_async_store::{AsyncFaissStore, Batching};
use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_index::MetricType;
use ferrofaiss_store::{
    BatchQuery, DistanceStrategy, FaissStore, QueryKind, SearchOptions, StoreConfig,
};
use serde_json::json;

use crate::setup::{BenchError, Setup};
use crate::timing::{median, percentile, LoadProbe, Timing};

/// Rows added to the store per `add_embeddings` call while it is built.
const ADD_CHUNK: usize = 1 << 18;

/// The store over the base vectors (document `i` is row `i`; the embedder is never
/// called: every search is by vector).
fn build_store(s: &Setup<'_>) -> Result<FaissStore, BenchError> {
    let strategy = match s.metric {
        MetricType::L2 => DistanceStrategy::EuclideanDistance,
        MetricType::InnerProduct => DistanceStrategy::MaxInnerProduct,
    };
    let config = StoreConfig::new()
        .distance_strategy(strategy)
        .index_factory(s.args.index.clone());
    let d = s.base.d;
    let mut store = FaissStore::with_dimension(Arc::new(FakeEmbeddings::new()), d, config)
        .map_err(store_error)?;
    for (c, chunk) in s.base.data.chunks(ADD_CHUNK * d).enumerate() {
        let pairs = chunk
            .chunks_exact(d)
            .enumerate()
            .map(|(i, v)| ((c * ADD_CHUNK + i).to_string(), v.to_vec()))
            .collect();
        store
            .add_embeddings(pairs, None, None)
            .map_err(store_error)?;
    }
    Ok(store)
}

fn store_error(e: ferrofaiss_store::StoreError) -> BenchError {
    BenchError::BadInput(format!("store: {e}"))
}

/// What one run of `clients` callers measured.
struct Run {
    latencies: Vec<f64>,
    wall: f64,
    passes: u64,
}

/// `clients` callers, each searching `per_client` queries one at a time.
fn run_clients(
    rt: &tokio::runtime::Runtime,
    handle: &AsyncFaissStore,
    s: &Setup<'_>,
    clients: usize,
    per_client: usize,
) -> Result<Run, BenchError> {
    let (d, nq, k) = (s.queries.d, s.queries.n, s.args.k);
    let queries = Arc::new(s.queries.data.clone());
    let passes_before = handle.search_passes();
    let t0 = Instant::now();
    let latencies = rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let (handle, queries) = (handle.clone(), Arc::clone(&queries));
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(per_client);
                    for r in 0..per_client {
                        let q = (c + r * clients) % nq;
                        let v = queries[q * d..(q + 1) * d].to_vec();
                        let t = Instant::now();
                        handle
                            .similarity_search_with_score_by_vector(v, SearchOptions::new().k(k))
                            .await?;
                        lat.push(t.elapsed().as_secs_f64());
                    }
                    Ok::<_, ferrofaiss_store::StoreError>(lat)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(clients * per_client);
        for t in tasks {
            let lat = t
                .await
                .map_err(|e| BenchError::BadInput(format!("client task: {e}")))?
                .map_err(store_error)?;
            all.extend(lat);
        }
        Ok::<_, BenchError>(all)
    })?;
    Ok(Run {
        latencies,
        wall: t0.elapsed().as_secs_f64(),
        passes: handle.search_passes() - passes_before,
    })
}

/// Median time of one synchronous pass over `batch` queries.
fn pass_time(
    store: &FaissStore,
    s: &Setup<'_>,
    batch: usize,
    reps: usize,
) -> Result<Timing, BenchError> {
    let d = s.queries.d;
    let opts = SearchOptions::new().k(s.args.k);
    let queries: Vec<BatchQuery<'_>> = (0..batch)
        .map(|i| BatchQuery {
            embedding: &s.queries.data[(i % s.queries.n) * d..(i % s.queries.n + 1) * d],
            opts: &opts,
            kind: QueryKind::Scores,
        })
        .collect();
    let mut timing = Timing::default();
    for _ in 0..reps.max(1) {
        let probe = LoadProbe::start();
        let t0 = Instant::now();
        for answer in store.search_batch(&queries) {
            answer.map_err(store_error)?;
        }
        timing.push(t0.elapsed().as_secs_f64(), probe.stop());
    }
    Ok(timing)
}

/// The `async_clients` records, one per entry of `--clients`.
pub(crate) fn clients_sections(s: &mut Setup<'_>) -> Result<(), BenchError> {
    let store = build_store(s)?;
    let batching = Batching::new().max_batch(s.args.max_batch);
    let handle = AsyncFaissStore::builder(store)
        .batching(batching)
        .build()
        .map_err(store_error)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::BadInput(format!("tokio runtime: {e}")))?;
    let threads = rayon::current_num_threads();
    let name = {
        let store = handle.read().map_err(store_error)?;
        format!(
            "ferrofaiss AsyncFaissStore over {}",
            s.impl_name(store.index())
        )
    };
    for &clients in &s.args.clients.clone() {
        // Warm up (page in the rows, start the blocking pool), then measure.
        run_clients(&rt, &handle, s, clients, 1)?;
        let per_client = s.args.client_queries;
        let mut timing = Timing::default();
        let mut latencies = Vec::new();
        let (mut passes, mut searches) = (0u64, 0usize);
        for _ in 0..s.args.reps.max(1) {
            let probe = LoadProbe::start();
            let run = run_clients(&rt, &handle, s, clients, per_client)?;
            timing.push(run.wall, probe.stop());
            searches += run.latencies.len();
            latencies.extend(run.latencies);
            passes += run.passes;
        }
        if s.args.max_batch == 1 {
            // Batching off: every search is a pass of its own (the handle counts none).
            passes = searches as u64;
        }
        let per_rep = (clients * per_client) as f64;
        let qps: Vec<f64> = timing.times.iter().map(|t| per_rep / t).collect();
        let batch = clients.min(s.args.max_batch);
        let pass = {
            let store = handle.read().map_err(store_error)?;
            pass_time(&store, s, batch, s.args.reps)?
        };
        let metrics = json!({
            "qps": median(&qps),
            "latency_ms_p50": percentile(&latencies, 50.0) * 1e3,
            "latency_ms_p99": percentile(&latencies, 99.0) * 1e3,
            "passes": passes,
            "mean_batch": searches as f64 / passes.max(1) as f64,
            "batch_pass_ms": pass.median() * 1e3,
            "p99_over_batch_pass": percentile(&latencies, 99.0) / pass.median(),
        });
        let params = json!({
            "clients": clients, "index": s.args.index, "k": s.args.k,
            "queries_per_client": per_client, "max_batch": s.args.max_batch,
            "N": s.base.n, "d": s.base.d,
        });
        s.record("async_clients", &name, threads, params, metrics, &timing);
    }
    Ok(())
}
