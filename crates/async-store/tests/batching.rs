//! Micro-batched searches on the async handle: concurrent searches share passes, and
//! each caller still gets exactly what the synchronous store answers for its own query
//! and options, or its own error; callers that give up do not disturb the others; a
//! runtime that shuts down with searches queued does not wedge the handle.

use std::sync::Arc;
use std::time::Duration;

use ferrofaiss_async_store::{AsyncFaissStore, Batching};
use ferrofaiss_docstore::{Document, Filter, Metadata};
use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_store::{
    DistanceStrategy, FaissStore, FilterMode, SearchOptions, StoreConfig, StoreError,
};
use serde_json::json;

const DIM: usize = 16;
const ROWS: usize = 3000;

/// Deterministic pseudo-random values in [-1, 1).
fn values(seed: u64, count: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// A store of `ROWS` vectors; metadata `{"tenant": i % 50, "v": i % 7}`, and one
/// document whose `v` is a string (a `$gt` on it fails, as in Python).
fn store(strategy: DistanceStrategy) -> FaissStore {
    let data = values(7, ROWS * DIM);
    let pairs = data
        .chunks_exact(DIM)
        .enumerate()
        .map(|(i, v)| (format!("doc {i}"), v.to_vec()))
        .collect();
    let mut metadatas: Vec<Metadata> = (0..ROWS)
        .map(|i| {
            json!({"tenant": i % 50, "v": i % 7})
                .as_object()
                .cloned()
                .unwrap()
        })
        .collect();
    metadatas[ROWS - 1] = json!({"tenant": 1, "v": "seven"})
        .as_object()
        .cloned()
        .unwrap();
    FaissStore::from_embeddings(
        pairs,
        Arc::new(FakeEmbeddings::new()),
        Some(metadatas),
        None,
        StoreConfig::new().distance_strategy(strategy),
    )
    .unwrap()
}

/// The calls the test makes, each with its options.
#[derive(Debug, Clone, Copy)]
enum Call {
    Scores,
    Relevance,
    Mmr,
}

/// Query `i`: a vector (the wrong length for some), a call, options that vary from
/// query to query (k, fetch_k, filters in both modes, thresholds, bad values).
fn case(i: usize) -> (Vec<f32>, Call, SearchOptions) {
    let mut q = values(100 + i as u64, DIM);
    if i % 23 == 5 {
        q.pop();
    }
    let call = [Call::Scores, Call::Relevance, Call::Mmr][i % 3];
    let mut opts = SearchOptions::new().k(1 + i % 9).fetch_k(5 + i % 30);
    match i % 8 {
        1 => opts = opts.filter(Filter::from_json(&json!({"tenant": i % 50})).unwrap()),
        2 => {
            opts = opts
                .filter(Filter::from_json(&json!({"tenant": {"$in": [i % 50, 3]}})).unwrap())
                .filter_mode(FilterMode::Exact)
        }
        // Fails on the document whose "v" is a string, in exact mode (every document
        // is examined).
        3 => {
            opts = opts
                .filter(Filter::from_json(&json!({"v": {"$gt": 3}})).unwrap())
                .filter_mode(FilterMode::Exact)
        }
        4 => {
            opts.score_threshold = Some(if matches!(call, Call::Relevance) {
                -3.0
            } else {
                6.0
            })
        }
        5 => opts = opts.k(0),
        _ => {}
    }
    (q, call, opts)
}

fn sync_answer(
    s: &FaissStore,
    (q, call, opts): &(Vec<f32>, Call, SearchOptions),
) -> Result<Vec<(Document, f32)>, StoreError> {
    match call {
        Call::Scores => s.similarity_search_with_score_by_vector(q, opts),
        Call::Relevance => s.similarity_search_with_relevance_scores_by_vector(q, opts),
        Call::Mmr => s.max_marginal_relevance_search_with_score_by_vector(q, opts),
    }
}

async fn async_answer(
    h: &AsyncFaissStore,
    (q, call, opts): (Vec<f32>, Call, SearchOptions),
) -> Result<Vec<(Document, f32)>, StoreError> {
    match call {
        Call::Scores => h.similarity_search_with_score_by_vector(q, opts).await,
        Call::Relevance => {
            h.similarity_search_with_relevance_scores_by_vector(q, opts)
                .await
        }
        Call::Mmr => {
            h.max_marginal_relevance_search_with_score_by_vector(q, opts)
                .await
        }
    }
}

fn same(
    got: &Result<Vec<(Document, f32)>, StoreError>,
    want: &Result<Vec<(Document, f32)>, StoreError>,
) -> bool {
    match (got, want) {
        (Ok(g), Ok(w)) => {
            g.len() == w.len()
                && g.iter()
                    .zip(w)
                    .all(|((gd, gs), (wd, ws))| gd == wd && gs.to_bits() == ws.to_bits())
        }
        (Err(g), Err(w)) => g.to_string() == w.to_string(),
        _ => false,
    }
}

/// Runs `cases` as concurrent tasks on `handle`; returns each task's answer.
async fn concurrently(
    handle: &AsyncFaissStore,
    cases: &[(Vec<f32>, Call, SearchOptions)],
) -> Vec<Result<Vec<(Document, f32)>, StoreError>> {
    let tasks: Vec<_> = cases
        .iter()
        .cloned()
        .map(|c| {
            let h = handle.clone();
            tokio::spawn(async move { async_answer(&h, c).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_passes_and_each_gets_its_own_answer() {
    for strategy in [
        DistanceStrategy::EuclideanDistance,
        DistanceStrategy::MaxInnerProduct,
    ] {
        let sync = store(strategy);
        let handle = AsyncFaissStore::builder(sync.clone())
            .max_batch(64)
            .max_wait(Duration::from_millis(30))
            .inline_limit(0)
            .build()
            .unwrap();
        let cases: Vec<_> = (0..96).map(case).collect();
        let answers = concurrently(&handle, &cases).await;
        let mut errors = 0;
        for (i, (c, got)) in cases.iter().zip(&answers).enumerate() {
            let want = sync_answer(&sync, c);
            errors += usize::from(want.is_err());
            assert!(
                same(got, &want),
                "{strategy:?} query {i}: {got:?} vs {want:?}"
            );
        }
        // Bad k, wrong lengths and the failing filter: errors for those callers only.
        assert!(errors >= 20, "{errors} errors");
        // 96 searches in passes of at most 64, gathered for 30 ms: a few passes.
        let passes = handle.search_passes();
        assert!((2..=8).contains(&passes), "{passes} passes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_search_is_one_pass_with_its_own_answer() {
    let sync = store(DistanceStrategy::EuclideanDistance);
    // This store is within the default inline limit: its searches run on the calling
    // task, no pass at all, except those with an exact filter (cases 2 and 3).
    let handle = AsyncFaissStore::new(sync.clone());
    assert_eq!(handle.batching(), Batching::new());
    assert!(ROWS * DIM.max(64) <= Batching::DEFAULT_INLINE_LIMIT);
    let mut exact = 0;
    for i in 0..10 {
        let c = case(i);
        exact += u64::from(c.2.filter.is_some() && c.2.filter_mode == FilterMode::Exact);
        let want = sync_answer(&sync, &c);
        let got = async_answer(&handle, c).await;
        assert!(same(&got, &want), "query {i}");
    }
    assert_eq!(exact, 2);
    assert_eq!(handle.search_passes(), exact);
    // With searches sent to the search thread, one pass each.
    let handle = AsyncFaissStore::builder(sync.clone())
        .inline_limit(0)
        .build()
        .unwrap();
    for i in 0..10 {
        let c = case(i);
        let want = sync_answer(&sync, &c);
        let got = async_answer(&handle, c).await;
        assert!(same(&got, &want), "query {i}");
    }
    assert_eq!(handle.search_passes(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_hold_at_most_max_batch_searches() {
    let sync = store(DistanceStrategy::EuclideanDistance);
    let handle = AsyncFaissStore::builder(sync.clone())
        .batching(
            Batching::new()
                .max_batch(8)
                .max_wait(Duration::from_millis(20))
                .inline_limit(0),
        )
        .build()
        .unwrap();
    let cases: Vec<_> = (0..40).map(|i| case(i * 8)).collect();
    let answers = concurrently(&handle, &cases).await;
    for (c, got) in cases.iter().zip(&answers) {
        assert!(same(got, &sync_answer(&sync, c)));
    }
    assert!(handle.search_passes() >= 5, "{}", handle.search_passes());

    // Batching off: one pass per search, the same answers.
    let off = AsyncFaissStore::builder(sync.clone())
        .batching(Batching::off())
        .build()
        .unwrap();
    let answers = concurrently(&off, &cases).await;
    for (c, got) in cases.iter().zip(&answers) {
        assert!(same(got, &sync_answer(&sync, c)));
    }
    assert_eq!(
        off.search_passes(),
        0,
        "batching off bypasses the coalescer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_give_up_do_not_disturb_the_others() {
    let sync = store(DistanceStrategy::EuclideanDistance);
    let handle = AsyncFaissStore::builder(sync.clone())
        .max_wait(Duration::from_millis(40))
        .inline_limit(0)
        .build()
        .unwrap();
    let cases: Vec<_> = (0..48).map(case).collect();
    let mut tasks = Vec::new();
    for c in cases.iter().cloned() {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move { async_answer(&h, c).await }));
    }
    // Every third caller gives up while its search waits for the pass.
    tokio::time::sleep(Duration::from_millis(5)).await;
    for t in tasks.iter().step_by(3) {
        t.abort();
    }
    // Others give up through a deadline too short for any pass.
    let hurried: Vec<_> = (48..60)
        .map(|i| {
            let h = handle.clone();
            tokio::spawn(async move {
                tokio::time::timeout(Duration::from_micros(1), async_answer(&h, case(i))).await
            })
        })
        .collect();
    for (i, (c, t)) in cases.iter().zip(tasks).enumerate() {
        match t.await {
            Ok(got) => assert!(same(&got, &sync_answer(&sync, c)), "query {i}"),
            Err(e) => assert!(e.is_cancelled() && i % 3 == 0, "query {i}: {e}"),
        }
    }
    for t in hurried {
        assert!(t.await.unwrap().is_err(), "a 1 µs deadline cannot be met");
    }
    // The handle goes on working, and the store can be taken back.
    let c = case(1);
    assert!(same(
        &async_answer(&handle, c.clone()).await,
        &sync_answer(&sync, &c)
    ));
    assert!(handle.try_into_inner().is_ok());
}

#[test]
fn a_runtime_that_shuts_down_mid_wait_does_not_wedge_the_handle() {
    let sync = store(DistanceStrategy::EuclideanDistance);
    // Passes wait an hour for a second search, or start when two are queued.
    let handle = AsyncFaissStore::builder(sync.clone())
        .max_batch(2)
        .max_wait(Duration::from_secs(3600))
        .inline_limit(0)
        .build()
        .unwrap();
    {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let h = handle.clone();
        rt.block_on(async move {
            let waiting = tokio::spawn(async move { async_answer(&h, case(0)).await });
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(waiting);
        });
        // The search thread waits for company; the caller's runtime ends meanwhile
        // (and its caller with it).
        rt.shutdown_timeout(Duration::from_secs(5));
    }
    // On a new runtime, the same handle answers: two searches fill a pass, and the
    // abandoned search is skipped.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cases = [case(0), case(1)];
    let answers = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), concurrently(&handle, &cases))
            .await
            .expect("the handle answered")
    });
    for (c, got) in cases.iter().zip(&answers) {
        assert!(same(got, &sync_answer(&sync, c)));
    }
    assert_eq!(handle.search_passes(), 1);
}

#[test]
fn max_batch_zero_is_refused() {
    let err = AsyncFaissStore::builder(store(DistanceStrategy::EuclideanDistance))
        .max_batch(0)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::InvalidParameter {
                name: "max_batch",
                ..
            }
        ),
        "{err}"
    );
}

/// Passes run on the store's own search thread, bound to no runtime: callers on
/// several current-thread runtimes (each driven only inside its `block_on`, as
/// `#[tokio::test]` runtimes are) share one handle; a runtime that ends (or is dropped)
/// while others search disturbs none of them; a caller on no tokio runtime at all is
/// answered too.
#[test]
fn callers_on_several_runtimes_share_one_handle() {
    let sync = store(DistanceStrategy::EuclideanDistance);
    let handle = AsyncFaissStore::new(sync.clone());
    let current = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    // One runtime answers a search and is never driven again; another one then
    // searches on the same handle.
    let first = current();
    let c = case(0);
    assert!(same(
        &first.block_on(async_answer(&handle, c.clone())),
        &sync_answer(&sync, &c)
    ));
    let second = current();
    let c = case(1);
    assert!(same(
        &second.block_on(async_answer(&handle, c.clone())),
        &sync_answer(&sync, &c)
    ));
    drop(first);
    // Four threads, each with its own runtime, search at once; two drop their runtime
    // half-way.
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (handle, sync) = (handle.clone(), &sync);
            scope.spawn(move || {
                let rt = current();
                for i in 0..30 {
                    if t % 2 == 1 && i == 15 {
                        return;
                    }
                    let c = case(t * 100 + i);
                    let got = rt.block_on(async {
                        tokio::time::timeout(
                            Duration::from_secs(60),
                            async_answer(&handle, c.clone()),
                        )
                        .await
                        .expect("answered")
                    });
                    assert!(same(&got, &sync_answer(sync, &c)), "thread {t} query {i}");
                }
            });
        }
    });
    // No tokio runtime at all.
    let c = case(7);
    assert!(same(
        &futures::executor::block_on(async_answer(&handle, c.clone())),
        &sync_answer(&sync, &c)
    ));
}
