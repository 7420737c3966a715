//! Folders prepared by someone else: links planted where a save writes, devices and
//! FIFOs where a load reads, partial files of earlier crashes. A save never writes
//! through a planted link, a load reads only regular files and never more than the
//! docstore records, and nothing hangs.

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use ferrofaiss_embeddings::TrigramEmbeddings;
use ferrofaiss_store::{FaissStore, LoadOptions, PersistError, StoreConfig, StoreError};

fn embedder() -> Arc<TrigramEmbeddings> {
    Arc::new(TrigramEmbeddings::new(32, true).unwrap())
}

fn store(n: usize) -> FaissStore {
    let texts: Vec<String> = (0..n).map(|i| format!("hostile text {i}")).collect();
    FaissStore::from_texts(&texts, embedder(), None, None, StoreConfig::new()).unwrap()
}

/// Loads `dir` on another thread; a load still running after 20 s is a hang.
fn load_within_time(dir: &Path) -> Result<FaissStore, StoreError> {
    let (tx, rx) = mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(FaissStore::load_local(
            &dir,
            embedder(),
            &LoadOptions::new(),
        ));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the load hung")
}

fn persist_error(r: Result<FaissStore, StoreError>) -> PersistError {
    match r {
        Err(StoreError::Persist(e)) => e,
        other => panic!("expected a persistence error, got {other:?}"),
    }
}

#[test]
fn a_save_never_writes_through_a_planted_link() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    store(3).save_local(dir.path(), "index").unwrap();
    // Links at the backup name and at every temporary name the old scheme used.
    let pid = std::process::id();
    let planted = [
        "index.faiss.previous".to_string(),
        format!("index.faiss.{pid}-0.partial"),
        format!("index.docstore.{pid}-1.partial"),
        ".index.faiss.guess.partial".to_string(),
    ];
    for name in &planted {
        symlink(&victim, dir.path().join(name)).unwrap();
    }
    store(5).save_local(dir.path(), "index").unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    // The links are gone (stale partials and the backup are removed), the save landed.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["index.docstore", "index.faiss", "victim.txt"]);
    assert_eq!(load_within_time(dir.path()).unwrap().len(), 5);
}

#[test]
fn the_partial_files_of_a_killed_save_are_removed_by_the_next_save() {
    let dir = tempfile::tempdir().unwrap();
    store(3).save_local(dir.path(), "index").unwrap();
    for name in [
        ".index.faiss.x1y2z3.partial",
        "index.docstore.999-7.partial",
    ] {
        std::fs::write(dir.path().join(name), vec![7u8; 4096]).unwrap();
    }
    // Files of other names are not ours and stay.
    std::fs::write(dir.path().join("notes.partial"), b"mine").unwrap();
    store(4).save_local(dir.path(), "index").unwrap();
    assert!(!dir.path().join(".index.faiss.x1y2z3.partial").exists());
    assert!(!dir.path().join("index.docstore.999-7.partial").exists());
    assert!(dir.path().join("notes.partial").exists());
}

#[test]
fn devices_and_fifos_are_never_read() {
    for target in ["/dev/zero", "/dev/urandom"] {
        for file in ["index.faiss", "index.docstore"] {
            let dir = tempfile::tempdir().unwrap();
            store(3).save_local(dir.path(), "index").unwrap();
            std::fs::remove_file(dir.path().join(file)).unwrap();
            symlink(target, dir.path().join(file)).unwrap();
            let e = persist_error(load_within_time(dir.path()));
            assert!(
                matches!(e, PersistError::NotRegularFile { .. }),
                "{file} -> {target}: {e}"
            );
            assert!(e.path().ends_with(file), "{e}");
        }
    }
    for file in ["index.faiss", "index.docstore"] {
        let dir = tempfile::tempdir().unwrap();
        store(3).save_local(dir.path(), "index").unwrap();
        std::fs::remove_file(dir.path().join(file)).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.path().join(file))
            .status()
            .unwrap();
        assert!(made.success());
        let e = persist_error(load_within_time(dir.path()));
        assert!(
            matches!(e, PersistError::NotRegularFile { .. }),
            "{file}: {e}"
        );
    }
}

#[test]
fn the_previous_index_is_read_only_when_needed_and_only_as_recorded() {
    let dir = tempfile::tempdir().unwrap();
    store(3).save_local(dir.path(), "index").unwrap();
    // A device at the backup name: the current pair matches, so it is never opened.
    symlink("/dev/zero", dir.path().join("index.faiss.previous")).unwrap();
    assert_eq!(load_within_time(dir.path()).unwrap().len(), 3);
    // Even when the current index does not match, the device is not read.
    std::fs::write(dir.path().join("index.faiss"), b"garbage").unwrap();
    let e = persist_error(load_within_time(dir.path()));
    assert!(matches!(e, PersistError::Corrupt { .. }), "{e}");
    // A regular backup of another length than the recorded one is not read either.
    std::fs::remove_file(dir.path().join("index.faiss.previous")).unwrap();
    std::fs::write(dir.path().join("index.faiss.previous"), vec![0u8; 1 << 20]).unwrap();
    let e = persist_error(load_within_time(dir.path()));
    assert!(matches!(e, PersistError::Corrupt { .. }), "{e}");
}
