//! Soak test of the async handle (issue 12): concurrent readers and writers on one
//! store for minutes, with saves in between, then a check that nothing was lost or
//! duplicated. A benchmark binary, not a CI test:
//!
//! ```sh
//! cargo run --release -p ferrofaiss-benches --bin soak -- --minutes 10 --clients 64 --rows 100000
//! ```
//!
//! Three quarters of the clients search (by vector, k = 10, checking every answer);
//! the others each add batches under their own ids, delete some of their own earlier
//! documents, and merge small stores of their own, in proportions that keep the store
//! at about its starting size. A saver saves the store every
//! `--save-every-s` seconds and loads the saved folder back. At the end the store
//! must hold exactly the initial documents plus every document a writer added and did
//! not delete, each once, and its last save must load with the same ids. Prints one
//! JSON document: ops, errors, problems found, and RSS over time.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrofaiss::embeddings::FakeEmbeddings;
use ferrofaiss::{AsyncFaissStore, FaissStore, LoadOptions, SearchOptions, StoreConfig};
use ferrofaiss_benches::Rng;

/// Dimension of the soak store's vectors.
const DIM: usize = 64;

/// Command-line settings.
struct Settings {
    minutes: f64,
    clients: usize,
    rows: usize,
    save_every_s: f64,
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings {
        minutes: 10.0,
        clients: 64,
        rows: 100_000,
        save_every_s: 30.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--minutes" => s.minutes = number(&value)?,
            "--clients" => s.clients = number(&value)? as usize,
            "--rows" => s.rows = number(&value)? as usize,
            "--save-every-s" => s.save_every_s = number(&value)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if s.clients < 2 || s.rows == 0 || !positive(s.minutes) || !positive(s.save_every_s) {
        return Err(
            "need --clients >= 2, --rows >= 1, positive --minutes and --save-every-s".into(),
        );
    }
    Ok(s)
}

/// A random vector of `DIM` values in [-0.5, 0.5).
fn vector(rng: &mut Rng) -> Vec<f32> {
    (0..DIM).map(|_| rng.uniform() - 0.5).collect()
}

/// Counters shared by every task.
#[derive(Default)]
struct Counters {
    searches: AtomicU64,
    adds: AtomicU64,
    deletes: AtomicU64,
    merges: AtomicU64,
    saves: AtomicU64,
    loads: AtomicU64,
    errors: AtomicU64,
    problems: AtomicU64,
}

impl Counters {
    fn json(&self) -> serde_json::Value {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        serde_json::json!({
            "searches": n(&self.searches),
            "adds": n(&self.adds),
            "deletes": n(&self.deletes),
            "merges": n(&self.merges),
            "saves": n(&self.saves),
            "loads": n(&self.loads),
            "errors": n(&self.errors),
            "problems": n(&self.problems),
        })
    }
}

/// Resident set size of this process in MiB (Linux), 0 where unknown.
fn rss_mib() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn note_error(counters: &Counters, what: &str, e: impl std::fmt::Display) {
    counters.errors.fetch_add(1, Ordering::Relaxed);
    eprintln!("soak: {what} failed: {e}");
}

/// One reader: searches until told to stop, checking each answer.
async fn reader(handle: AsyncFaissStore, seed: u64, stop: Arc<AtomicBool>, c: Arc<Counters>) {
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::Relaxed) {
        match handle
            .similarity_search_with_score_by_vector(vector(&mut rng), SearchOptions::new().k(10))
            .await
        {
            Ok(hits) => {
                let ids: HashSet<_> = hits.iter().map(|(d, _)| d.id.clone()).collect();
                let sorted = hits.windows(2).all(|w| w[0].1 <= w[1].1);
                if hits.len() != 10 || ids.len() != 10 || !sorted {
                    c.problems.fetch_add(1, Ordering::Relaxed);
                }
                c.searches.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => note_error(&c, "search", e),
        }
    }
}

/// One writer: adds, deletes and merges documents of its own; returns the ids it left
/// in the store.
async fn writer(
    handle: AsyncFaissStore,
    w: usize,
    stop: Arc<AtomicBool>,
    c: Arc<Counters>,
) -> HashSet<String> {
    let mut rng = Rng::new(0x5eed + w as u64);
    let mut mine: Vec<String> = Vec::new();
    let mut seq = 0u64;
    let mut fresh = |n: usize| -> Vec<String> {
        (0..n)
            .map(|_| {
                seq += 1;
                format!("w{w}-{seq}")
            })
            .collect()
    };
    while !stop.load(Ordering::Relaxed) {
        // Adds of 8 and merges of 4 balance deletes of 6 twice as often: the store
        // keeps about its size, so the figures over time compare like with like.
        match rng.next_u64() % 4 {
            0 => {
                let ids = fresh(8);
                let pairs = ids
                    .iter()
                    .map(|id| (id.clone(), vector(&mut rng)))
                    .collect();
                match handle.add_embeddings(pairs, None, Some(ids.clone())).await {
                    Ok(_) => {
                        mine.extend(ids);
                        c.adds.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => note_error(&c, "add", e),
                }
            }
            2 | 3 if mine.len() >= 6 => {
                let at = (rng.next_u64() as usize) % (mine.len() - 5);
                let doomed: Vec<String> = mine.drain(at..at + 6).collect();
                match handle.delete(doomed.clone()).await {
                    Ok(6) => {
                        c.deletes.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(n) => {
                        c.problems.fetch_add(1, Ordering::Relaxed);
                        eprintln!("soak: delete of 6 removed {n}");
                    }
                    Err(e) => {
                        mine.extend(doomed);
                        note_error(&c, "delete", e);
                    }
                }
            }
            _ => {
                let ids = fresh(4);
                let pairs: Vec<(String, Vec<f32>)> = ids
                    .iter()
                    .map(|id| (id.clone(), vector(&mut rng)))
                    .collect();
                let part = match FaissStore::from_embeddings(
                    pairs,
                    Arc::new(FakeEmbeddings::new()),
                    None,
                    Some(ids.clone()),
                    StoreConfig::new(),
                ) {
                    Ok(s) => AsyncFaissStore::new(s),
                    Err(e) => {
                        note_error(&c, "building a store to merge", e);
                        continue;
                    }
                };
                match handle.merge_from(&part).await {
                    Ok(()) => {
                        mine.extend(ids);
                        c.merges.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => note_error(&c, "merge", e),
                }
            }
        }
    }
    mine.into_iter().collect()
}

/// Saves the store into `folder` and loads it back; the loaded store must be whole.
async fn save_and_check(handle: &AsyncFaissStore, folder: &std::path::Path, c: &Counters) {
    match handle.save_local(folder.to_path_buf(), "index").await {
        Ok(()) => {
            c.saves.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => return note_error(c, "save", e),
    }
    let loaded = AsyncFaissStore::load_local(
        folder.to_path_buf(),
        Arc::new(FakeEmbeddings::new()),
        LoadOptions::new(),
    )
    .await;
    match loaded {
        Ok(store) => {
            c.loads.fetch_add(1, Ordering::Relaxed);
            let ok = store.read().is_ok_and(|s| s.len() == s.index().ntotal());
            if !ok {
                c.problems.fetch_add(1, Ordering::Relaxed);
            }
        }
        Err(e) => note_error(c, "load", e),
    }
}

fn main() {
    let s = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let report = rt.block_on(run(s));
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    if report["ok"] != serde_json::Value::Bool(true) {
        std::process::exit(1);
    }
}

async fn run(s: Settings) -> serde_json::Value {
    let started = Instant::now();
    let mut rng = Rng::new(0x00c0_ffee);
    let initial_ids: Vec<String> = (0..s.rows).map(|i| format!("base-{i}")).collect();
    let pairs: Vec<(String, Vec<f32>)> = initial_ids
        .iter()
        .map(|id| (id.clone(), vector(&mut rng)))
        .collect();
    let handle = AsyncFaissStore::from_embeddings(
        pairs,
        Arc::new(FakeEmbeddings::new()),
        None,
        Some(initial_ids.clone()),
        StoreConfig::new(),
    )
    .await
    .expect("the initial store");
    let folder = tempfile::tempdir().expect("a temporary folder");
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let writers = (s.clients / 4).max(1);
    let readers = s.clients - writers;
    let mut reader_tasks = Vec::new();
    for r in 0..readers {
        let (h, st, c) = (handle.clone(), stop.clone(), counters.clone());
        reader_tasks.push(tokio::spawn(reader(h, 0x1234 + r as u64, st, c)));
    }
    let mut writer_tasks = Vec::new();
    for w in 0..writers {
        let (h, st, c) = (handle.clone(), stop.clone(), counters.clone());
        writer_tasks.push(tokio::spawn(writer(h, w, st, c)));
    }
    let duration = Duration::from_secs_f64(s.minutes * 60.0);
    let mut timeline = Vec::new();
    let mut next_save = Instant::now() + Duration::from_secs_f64(s.save_every_s);
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(5).min(duration.saturating_sub(started.elapsed())))
            .await;
        if Instant::now() >= next_save {
            save_and_check(&handle, folder.path(), &counters).await;
            next_save = Instant::now() + Duration::from_secs_f64(s.save_every_s);
        }
        let len = handle.read().map(|st| st.len()).unwrap_or(0);
        timeline.push(serde_json::json!({
            "t_s": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "rss_mib": (rss_mib() * 10.0).round() / 10.0,
            "docs": len,
            "ops": counters.json(),
        }));
    }
    stop.store(true, Ordering::Relaxed);
    for t in reader_tasks {
        let _ = t.await;
    }
    let mut expected: HashSet<String> = initial_ids.into_iter().collect();
    for t in writer_tasks {
        match t.await {
            Ok(ids) => expected.extend(ids),
            Err(e) => note_error(&counters, "a writer task", e),
        }
    }
    // The final check: exactly the expected ids, each once, in the store and in its
    // last save.
    save_and_check(&handle, folder.path(), &counters).await;
    let actual: Vec<String> = handle
        .read()
        .map(|st| st.index_to_docstore_id().to_vec())
        .unwrap_or_default();
    let distinct: HashSet<&String> = actual.iter().collect();
    let duplicated = actual.len() - distinct.len();
    let lost = expected.iter().filter(|id| !distinct.contains(id)).count();
    let unexpected = distinct
        .iter()
        .filter(|id| !expected.contains(**id))
        .count();
    let saved_ids: Vec<String> = FaissStore::load_local(
        folder.path(),
        Arc::new(FakeEmbeddings::new()),
        &LoadOptions::new(),
    )
    .map(|st| st.index_to_docstore_id().to_vec())
    .unwrap_or_default();
    let save_matches = saved_ids == actual;
    let errors = counters.errors.load(Ordering::Relaxed);
    let problems = counters.problems.load(Ordering::Relaxed);
    let ok = lost == 0
        && unexpected == 0
        && duplicated == 0
        && save_matches
        && errors == 0
        && problems == 0;
    serde_json::json!({
        "ok": ok,
        "settings": {
            "minutes": s.minutes, "clients": s.clients, "readers": readers,
            "writers": writers, "rows": s.rows, "dim": DIM, "save_every_s": s.save_every_s,
        },
        "elapsed_s": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "ops": counters.json(),
        "final": {
            "docs": actual.len(), "expected": expected.len(), "lost": lost,
            "unexpected": unexpected, "duplicated": duplicated,
            "last_save_matches": save_matches,
        },
        "rss_mib_max": timeline.iter().filter_map(|p| p["rss_mib"].as_f64()).fold(0.0, f64::max),
        "timeline": timeline,
    })
}
