//! Crash consistency of `save_local` (and of `save_local_with` in LangChain's format),
//! as a test: a save is killed (the process aborts,
//! through the `crash-points` seam) at each of its steps, then the following save is
//! killed at each of its steps, and after every kill the folder must load, with the
//! contents it had before that save or with the new ones. Then a save that runs to
//! its end must leave exactly the new pair behind.
//!
//! Each save runs in a child process (this test binary, re-run on the ignored
//! `crash_child` entry point) so that a kill really stops it mid-way, leaving its
//! temporary files and half-done renames exactly as a crash would.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use ferrofaiss_embeddings::TrigramEmbeddings;
use ferrofaiss_store::{FaissStore, LoadOptions, SaveFormat, StoreConfig};

/// Every step of a save at which it can be killed, in the order a save passes them
/// (`recovered-previous` is only reached by a save that finishes an interrupted one).
const POINTS: [&str; 7] = [
    "recovered-previous",
    "staged-index",
    "staged-docstore",
    "removed-previous",
    "kept-previous",
    "renamed-index",
    "renamed-docstore",
];

/// The steps of a LangChain-format save (`lc-recovered-previous` only in a save that
/// finishes an interrupted one).
const LC_POINTS: [&str; 6] = [
    "lc-recovered-previous",
    "removed-previous",
    "kept-previous",
    "lc-journal",
    "lc-renamed-index",
    "lc-renamed-pickle",
];

const FORMAT_VAR: &str = "FERROFAISS_CRASH_TEST_FORMAT";
const DIR_VAR: &str = "FERROFAISS_CRASH_TEST_DIR";
const VERSION_VAR: &str = "FERROFAISS_CRASH_TEST_VERSION";

fn embedder() -> Arc<TrigramEmbeddings> {
    Arc::new(TrigramEmbeddings::new(32, true).unwrap())
}

/// The store of one version: `3 + version` documents with ids naming the version.
fn store_of(version: u8) -> FaissStore {
    let n = 3 + version as usize;
    let texts: Vec<String> = (0..n)
        .map(|i| format!("version {version} text {i}"))
        .collect();
    let ids = (0..n).map(|i| format!("v{version}-{i}")).collect();
    FaissStore::from_texts(&texts, embedder(), None, Some(ids), StoreConfig::new()).unwrap()
}

/// Which version the folder holds, or why it does not load.
fn loaded_version(dir: &Path) -> Result<u8, String> {
    let store =
        FaissStore::load_local(dir, embedder(), &LoadOptions::new()).map_err(|e| e.to_string())?;
    let first = store
        .index_to_docstore_id()
        .first()
        .ok_or("an empty store")?
        .clone();
    let version: u8 = first[1..first.find('-').unwrap()].parse().unwrap();
    let want = store_of(version);
    assert_eq!(store.index_to_docstore_id(), want.index_to_docstore_id());
    for row in 0..store.len() {
        assert_eq!(store.vector_at(row).unwrap(), want.vector_at(row).unwrap());
    }
    Ok(version)
}

/// Saves `version` into `dir` in a child process killed at `point` (or not at all);
/// returns whether the save ran to its end.
fn save_in_child(dir: &Path, version: u8, point: Option<&str>, format: SaveFormat) -> bool {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "crash_child",
        "--exact",
        "--ignored",
        "--test-threads=1",
        "-q",
    ])
    .env(DIR_VAR, dir)
    .env(VERSION_VAR, version.to_string())
    .env(FORMAT_VAR, format.as_str())
    .env_remove("FERROFAISS_CRASH_POINT");
    if let Some(point) = point {
        cmd.env("FERROFAISS_CRASH_POINT", point);
    }
    let out = cmd.output().unwrap();
    out.status.success()
}

/// The child's side: one save, killed wherever `FERROFAISS_CRASH_POINT` says. Run by
/// [`save_in_child`] only; on its own it has no folder to save into and does nothing.
#[test]
#[ignore = "the child process of the crash-consistency test"]
fn crash_child() {
    let (Some(dir), Some(version)) = (std::env::var_os(DIR_VAR), std::env::var_os(VERSION_VAR))
    else {
        return;
    };
    let version: u8 = version.to_str().unwrap().parse().unwrap();
    let format = match std::env::var(FORMAT_VAR).as_deref() {
        Ok("langchain") => SaveFormat::LangChain,
        _ => SaveFormat::Ferrofaiss,
    };
    store_of(version)
        .save_local_with(dir, "index", format)
        .unwrap();
}

/// A copy of every file of `from` (links copied as the files they point to).
fn copy_folder(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn folder_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_crash_at_every_step_of_two_saves_leaves_a_folder_that_loads() {
    crash_at_every_step(
        SaveFormat::Ferrofaiss,
        &POINTS,
        ["index.docstore", "index.faiss"],
    );
}

#[test]
fn every_crash_at_every_step_of_two_langchain_saves_leaves_a_folder_that_loads() {
    crash_at_every_step(
        SaveFormat::LangChain,
        &LC_POINTS,
        ["index.faiss", "index.pkl"],
    );
}

fn crash_at_every_step(format: SaveFormat, steps: &[&'static str], final_names: [&str; 2]) {
    let points: Vec<Option<&str>> = steps.iter().copied().map(Some).chain([None]).collect();
    let mut killed = 0;
    for &first in &points {
        let dir = tempfile::tempdir().unwrap();
        store_of(0)
            .save_local_with(dir.path(), "index", format)
            .unwrap();
        let done = save_in_child(dir.path(), 1, first, format);
        let after_first = loaded_version(dir.path())
            .unwrap_or_else(|e| panic!("killed at {first:?}: the folder does not load: {e}"));
        assert!(after_first == 0 || after_first == 1, "{first:?}");
        if done {
            assert_eq!(after_first, 1, "a save that ran to its end");
        } else {
            killed += 1;
        }
        for &second in &points {
            let copy = tempfile::tempdir().unwrap();
            copy_folder(dir.path(), copy.path());
            let done = save_in_child(copy.path(), 2, second, format);
            let after_second = loaded_version(copy.path()).unwrap_or_else(|e| {
                panic!("killed at {first:?} then {second:?}: the folder does not load: {e}")
            });
            assert!(
                after_second == after_first || after_second == 2,
                "killed at {first:?} then {second:?}: version {after_second}"
            );
            if done {
                assert_eq!(after_second, 2, "{first:?} then a whole save");
            } else {
                killed += 1;
            }
            // Whatever happened, the next whole save leaves only the new pair.
            store_of(3)
                .save_local_with(copy.path(), "index", format)
                .unwrap();
            assert_eq!(loaded_version(copy.path()), Ok(3));
            assert_eq!(
                folder_names(copy.path()),
                final_names,
                "{first:?} then {second:?}: leftovers"
            );
        }
    }
    // Every point was reached at least once (the seam is live, not compiled out).
    assert!(killed >= steps.len() * 2, "only {killed} saves were killed");
}
