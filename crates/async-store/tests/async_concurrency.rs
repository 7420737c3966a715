//! Issue #5: the async handle under concurrency.
//!
//! * Many tasks at once (writers adding, deleting and merging in their own id spaces,
//!   readers searching and inspecting): no deadlock (the run is bounded by a timeout),
//!   no panic, every search sees each write wholly or not at all, the store's parts
//!   agree in every snapshot, no write is lost, and the final state equals the same
//!   operations applied one after another to a synchronous store.
//! * Futures dropped part-way through a write leave the store consistent: the write
//!   lands wholly or not at all, and the store keeps working (no poisoned lock).
//!
//! Every write touches one "unit": `UNIT` documents sharing a `group` tag, so a write
//! seen halfway would show as a group with between 1 and `UNIT - 1` documents.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use ferrofaiss_async_store::AsyncFaissStore;
use ferrofaiss_docstore::{Filter, Metadata};
use ferrofaiss_embeddings::TrigramEmbeddings;
use ferrofaiss_store::{FaissStore, SearchOptions, StoreConfig};
use serde_json::{json, Value};

/// Documents per write unit.
const UNIT: usize = 8;
/// Writer tasks; as many reader tasks run beside them.
const WRITERS: usize = 32;
/// Operations per writer: add, merge, delete, repeated.
const STEPS: usize = 15;
/// Documents present before the run, never touched by a writer.
const BASE: usize = 20;
/// A deadlock shows as this timeout expiring.
const LIMIT: Duration = Duration::from_secs(60);

fn embedder() -> Arc<TrigramEmbeddings> {
    Arc::new(TrigramEmbeddings::new(64, true).unwrap())
}

/// The text every document with this id must carry.
fn text_of(id: &str) -> String {
    format!("the body of {id} says {}", id.len() * 7 % 13)
}

fn unit_ids(group: &str, size: usize) -> Vec<String> {
    (0..size).map(|i| format!("{group}-{i}")).collect()
}

fn unit_texts(group: &str, size: usize) -> Vec<String> {
    unit_ids(group, size).iter().map(|id| text_of(id)).collect()
}

fn unit_metadatas(group: &str, size: usize) -> Vec<Metadata> {
    (0..size)
        .map(|i| {
            json!({ "group": group, "part": i })
                .as_object()
                .cloned()
                .unwrap()
        })
        .collect()
}

fn base_store() -> FaissStore {
    let ids: Vec<String> = (0..BASE).map(|i| format!("base-{i}")).collect();
    let texts: Vec<String> = ids.iter().map(|id| text_of(id)).collect();
    let metas = unit_metadatas("base", BASE);
    FaissStore::from_texts(
        &texts,
        embedder(),
        Some(metas),
        Some(ids),
        StoreConfig::new(),
    )
    .unwrap()
}

/// A filter keeping the documents of one group.
fn group_filter(group: &str) -> Filter {
    Filter::from_json(&json!({ "group": group })).unwrap()
}

/// Options that examine every stored vector and return every match of `group`.
fn whole_group(group: &str) -> SearchOptions {
    SearchOptions::new()
        .k(4 * UNIT)
        .fetch_k(1 << 20)
        .filter(group_filter(group))
}

/// One write of a writer, on its own group.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Add(String),
    Merge(String),
    Delete(String),
}

/// Writer `w`'s fixed plan: add a unit, merge a unit, delete one of the two.
fn plan(w: usize) -> Vec<Op> {
    let group = |j: usize| format!("w{w}-s{j}");
    (0..STEPS)
        .map(|j| match j % 3 {
            0 => Op::Add(group(j)),
            1 => Op::Merge(group(j)),
            _ => Op::Delete(group(j - 1 - (w + j) % 2)),
        })
        .collect()
}

/// Every group any writer may create.
fn all_groups() -> Vec<String> {
    (0..WRITERS)
        .flat_map(plan)
        .filter_map(|op| match op {
            Op::Add(g) | Op::Merge(g) => Some(g),
            Op::Delete(_) => None,
        })
        .collect()
}

/// Checks one state of the store: index, docstore and map agree, every document has
/// its own text, every group is whole or absent, the base documents are all there.
/// Returns the number of documents per group.
fn check_consistent(store: &FaissStore) -> BTreeMap<String, usize> {
    let n = store.len();
    assert_eq!(store.index().ntotal(), n, "index rows vs map entries");
    assert_eq!(store.docstore().len(), n, "documents vs map entries");
    let mut groups = BTreeMap::new();
    for id in store.index_to_docstore_id() {
        let doc = store
            .docstore()
            .get(id)
            .unwrap_or_else(|| panic!("row maps to {id}, which has no document"));
        assert_eq!(doc.page_content, text_of(id), "text of {id}");
        let group = doc.metadata["group"].as_str().unwrap().to_string();
        *groups.entry(group).or_insert(0) += 1;
    }
    for (group, count) in &groups {
        let whole = if group == "base" { BASE } else { UNIT };
        assert_eq!(*count, whole, "group {group} seen with {count} documents");
    }
    groups
}

/// [`check_consistent`] on the live store, under its shared lock, off the executor.
async fn check_live(handle: &AsyncFaissStore) -> BTreeMap<String, usize> {
    let h = handle.clone();
    tokio::task::spawn_blocking(move || check_consistent(&h.read().unwrap()))
        .await
        .unwrap()
}

/// How many documents of `group` a filtered search over the whole store returns;
/// checks each returned document's group and text.
async fn count_group(handle: &AsyncFaissStore, group: &str) -> usize {
    let docs = handle
        .similarity_search(&format!("body of {group}"), whole_group(group))
        .await
        .unwrap();
    for doc in &docs {
        let id = doc.id.as_deref().unwrap();
        assert_eq!(doc.metadata["group"], Value::from(group));
        assert_eq!(doc.page_content, text_of(id));
    }
    docs.len()
}

/// Runs writer `w`'s plan through the handle; returns the operations it performed.
async fn run_writer(handle: AsyncFaissStore, w: usize) -> Vec<Op> {
    let mut done = Vec::new();
    for op in plan(w) {
        match &op {
            Op::Add(g) => {
                let ids = handle
                    .add_texts(
                        unit_texts(g, UNIT),
                        Some(unit_metadatas(g, UNIT)),
                        Some(unit_ids(g, UNIT)),
                    )
                    .await
                    .unwrap();
                assert_eq!(ids, unit_ids(g, UNIT));
                assert_eq!(count_group(&handle, g).await, UNIT, "own add of {g} lost");
            }
            Op::Merge(g) => {
                let source = AsyncFaissStore::from_texts(
                    unit_texts(g, UNIT),
                    embedder(),
                    Some(unit_metadatas(g, UNIT)),
                    Some(unit_ids(g, UNIT)),
                    StoreConfig::new(),
                )
                .await
                .unwrap();
                handle.merge_from(&source).await.unwrap();
                assert_eq!(count_group(&handle, g).await, UNIT, "own merge of {g} lost");
            }
            Op::Delete(g) => {
                let removed = handle.delete(unit_ids(g, UNIT)).await.unwrap();
                assert_eq!(removed, UNIT);
                assert_eq!(count_group(&handle, g).await, 0, "deleted {g} still found");
            }
        }
        done.push(op);
    }
    done
}

/// Reader `r`: until the writers are done, searches groups (each must be whole or
/// absent, and once deleted never come back) and inspects the whole store.
async fn run_reader(handle: AsyncFaissStore, r: usize, stop: Arc<AtomicBool>) -> usize {
    let groups = all_groups();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut gone: BTreeSet<String> = BTreeSet::new();
    let mut round = 0;
    while !stop.load(Ordering::Acquire) || round < 4 {
        let group = &groups[(r * 31 + round * 17) % groups.len()];
        let count = count_group(&handle, group).await;
        assert!(
            count == 0 || count == UNIT,
            "reader {r} saw {count} of the {UNIT} documents of {group}"
        );
        // A group is written once and deleted at most once: present after absent
        // after present would mean a write replayed.
        if count == UNIT {
            assert!(!gone.contains(group), "{group} came back after its delete");
            seen.insert(group.clone());
        } else if seen.contains(group) {
            gone.insert(group.clone());
        }
        if round % 4 == r % 4 {
            let live = check_live(&handle).await;
            assert_eq!(live.get("base"), Some(&BASE));
        }
        let plain = handle
            .similarity_search(&text_of(group), SearchOptions::new().k(10))
            .await
            .unwrap();
        assert!(plain.len() <= 10);
        for doc in &plain {
            assert_eq!(doc.page_content, text_of(doc.id.as_deref().unwrap()));
        }
        round += 1;
        tokio::task::yield_now().await;
    }
    round
}

/// The writers' operations applied one after another to a synchronous store.
fn sequential(logs: &[Vec<Op>]) -> FaissStore {
    let mut store = base_store();
    for op in logs.iter().flatten() {
        match op {
            Op::Add(g) => {
                store
                    .add_texts(
                        &unit_texts(g, UNIT),
                        Some(unit_metadatas(g, UNIT)),
                        Some(unit_ids(g, UNIT)),
                    )
                    .unwrap();
            }
            Op::Merge(g) => {
                let source = FaissStore::from_texts(
                    &unit_texts(g, UNIT),
                    embedder(),
                    Some(unit_metadatas(g, UNIT)),
                    Some(unit_ids(g, UNIT)),
                    StoreConfig::new(),
                )
                .unwrap();
                store.merge_from(&source).unwrap();
            }
            Op::Delete(g) => {
                store.delete(&unit_ids(g, UNIT)).unwrap();
            }
        }
    }
    store
}

/// Each document of a store by id: text, metadata and stored vector.
fn contents(store: &FaissStore) -> BTreeMap<String, (String, Metadata, Vec<f32>)> {
    store
        .index_to_docstore_id()
        .iter()
        .enumerate()
        .map(|(row, id)| {
            let doc = store.docstore().get(id).unwrap();
            let entry = (
                doc.page_content.clone(),
                doc.metadata.clone(),
                store.vector_at(row).unwrap(),
            );
            (id.clone(), entry)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_tasks_see_whole_writes_and_end_in_the_sequential_state() {
    let handle = AsyncFaissStore::new(base_store());
    let stop = Arc::new(AtomicBool::new(false));
    let run = async {
        let readers: Vec<_> = (0..WRITERS)
            .map(|r| tokio::spawn(run_reader(handle.clone(), r, Arc::clone(&stop))))
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| tokio::spawn(run_writer(handle.clone(), w)))
            .collect();
        let mut logs = Vec::new();
        for writer in writers {
            logs.push(writer.await.expect("a writer panicked"));
        }
        stop.store(true, Ordering::Release);
        let mut rounds = 0;
        for reader in readers {
            rounds += reader.await.expect("a reader panicked");
        }
        (logs, rounds)
    };
    let (logs, rounds) = tokio::time::timeout(LIMIT, run)
        .await
        .expect("deadlock: the tasks did not finish in time");
    eprintln!("{rounds} reader rounds beside the writers");
    assert!(rounds >= 4 * WRITERS);
    for (w, log) in logs.iter().enumerate() {
        assert_eq!(log, &plan(w), "writer {w} did not perform its whole plan");
    }

    let live = handle.snapshot().unwrap();
    let groups = check_consistent(&live);
    let expected = sequential(&logs);
    check_consistent(&expected);
    // Each writer keeps one unit of every add/merge/delete triple.
    assert_eq!(expected.len(), BASE + WRITERS * (STEPS / 3) * UNIT);
    assert_eq!(groups.len(), 1 + WRITERS * (STEPS / 3));
    assert_eq!(contents(&live), contents(&expected));
    // The lock is not poisoned and the store still answers like the sequential one.
    let q = text_of("w3-s0-2");
    let opts = SearchOptions::new().k(5);
    assert_eq!(
        handle
            .similarity_search_with_score(&q, opts.clone())
            .await
            .unwrap()
            .len(),
        expected
            .similarity_search_with_score(&q, &opts)
            .unwrap()
            .len()
    );
}

/// Documents per write in the drop test: large enough that the write takes a while.
const BIG: usize = 256;
/// Writes started and dropped part-way.
const DROPS: usize = 50;

/// Polls `fut` `polls` times (yielding between polls, so blocking work moves on),
/// then drops it. Returns its output if it finished within those polls.
async fn poll_then_drop<F: Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut: Pin<Box<F>> = Box::pin(fut);
    for _ in 0..polls {
        let step = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
        if let Poll::Ready(out) = step {
            return Some(out);
        }
        tokio::task::yield_now().await;
    }
    None
}

/// Drops `fut` when `after` has passed, unless it finished first.
async fn race_then_drop<F: Future>(fut: F, after: Duration) -> Option<F::Output> {
    tokio::time::timeout(after, fut).await.ok()
}

/// Waits until no detached blocking work of a dropped future still holds the store,
/// and hands it back as the only handle.
async fn settle(mut handle: AsyncFaissStore) -> AsyncFaissStore {
    loop {
        match handle.try_into_inner() {
            Ok(store) => return AsyncFaissStore::new(store),
            Err(back) => {
                handle = back;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_write_midway_leaves_the_store_consistent() {
    let run = async {
        let mut handle = AsyncFaissStore::new(base_store());
        let mut expected: BTreeSet<String> = (0..BASE).map(|i| format!("base-{i}")).collect();
        let mut took_effect = 0;
        let mut landed_units: Vec<String> = Vec::new();
        for i in 0..DROPS {
            let group = format!("drop-{i}");
            // Deletes target a unit that landed earlier; otherwise add or merge.
            let delete_target = (i % 3 == 2).then(|| landed_units.pop()).flatten();
            let polls = 1 + i % 4;
            let after = Duration::from_millis((i % 3) as u64);
            let finished = match (&delete_target, i % 3) {
                (Some(target), _) => {
                    let fut = handle.delete(unit_ids(target, BIG));
                    if i % 2 == 0 {
                        poll_then_drop(fut, polls).await.map(|r| r.map(|_| ()))
                    } else {
                        race_then_drop(fut, after).await.map(|r| r.map(|_| ()))
                    }
                }
                (None, 1) => {
                    let source = AsyncFaissStore::from_texts(
                        unit_texts(&group, BIG),
                        embedder(),
                        Some(unit_metadatas(&group, BIG)),
                        Some(unit_ids(&group, BIG)),
                        StoreConfig::new(),
                    )
                    .await
                    .unwrap();
                    let fut = handle.merge_from(&source);
                    if i % 2 == 0 {
                        poll_then_drop(fut, polls).await
                    } else {
                        race_then_drop(fut, after).await
                    }
                }
                (None, _) => {
                    let fut = handle.add_texts(
                        unit_texts(&group, BIG),
                        Some(unit_metadatas(&group, BIG)),
                        Some(unit_ids(&group, BIG)),
                    );
                    if i % 2 == 0 {
                        poll_then_drop(fut, polls).await.map(|r| r.map(|_| ()))
                    } else {
                        race_then_drop(fut, after).await.map(|r| r.map(|_| ()))
                    }
                }
            };
            if let Some(result) = &finished {
                assert!(result.is_ok(), "write {i} failed: {result:?}");
            }
            let unit = delete_target.clone().unwrap_or_else(|| group.clone());

            // While a detached blocking write may still be running, the store is
            // consistent and the unit is whole or absent.
            let during = check_unit(&handle, &unit).await;
            assert!(
                during == 0 || during == BIG,
                "write {i}: {during} of {BIG} seen"
            );

            handle = settle(handle).await;
            let after_settle = check_unit(&handle, &unit).await;
            assert!(after_settle == 0 || after_settle == BIG);
            let present = after_settle == BIG;
            if finished.is_some() {
                assert_eq!(present, delete_target.is_none(), "finished write {i} lost");
            }
            if delete_target.is_some() != present {
                took_effect += 1;
            }
            if present {
                expected.extend(unit_ids(&unit, BIG));
                landed_units.push(unit.clone());
            } else {
                for id in unit_ids(&unit, BIG) {
                    expected.remove(&id);
                }
            }

            // The store keeps working: a later write and search go through.
            let probe = format!("after-{i}");
            handle
                .add_texts(
                    unit_texts(&probe, 1),
                    Some(unit_metadatas(&probe, 1)),
                    Some(unit_ids(&probe, 1)),
                )
                .await
                .unwrap();
            expected.extend(unit_ids(&probe, 1));
            let hits = handle
                .similarity_search(&text_of(&format!("{probe}-0")), whole_group(&probe))
                .await
                .unwrap();
            assert_eq!(hits.len(), 1);
        }
        (handle, expected, took_effect)
    };
    let (handle, expected, took_effect) = tokio::time::timeout(LIMIT, run)
        .await
        .expect("deadlock: the drop test did not finish in time");

    let store = handle.snapshot().unwrap();
    let ids: BTreeSet<String> = store.index_to_docstore_id().iter().cloned().collect();
    assert_eq!(ids, expected);
    assert_eq!(store.index().ntotal(), expected.len());
    eprintln!("{took_effect} of {DROPS} dropped writes took effect");
}

/// Checks the live store's parts agree and every document has its own text; returns
/// how many documents of `group` it holds.
async fn check_unit(handle: &AsyncFaissStore, group: &str) -> usize {
    let h = handle.clone();
    let group = group.to_string();
    tokio::task::spawn_blocking(move || {
        let store = h.read().unwrap();
        let n = store.len();
        assert_eq!(store.index().ntotal(), n);
        assert_eq!(store.docstore().len(), n);
        let mut count = 0;
        for id in store.index_to_docstore_id() {
            let doc = store.docstore().get(id).unwrap();
            assert_eq!(doc.page_content, text_of(id));
            if doc.metadata["group"] == group.as_str() {
                count += 1;
            }
        }
        count
    })
    .await
    .unwrap()
}
