//! `--format langchain` (issue 13): `index`, `merge` and `delete` write LangChain's
//! layout (index.faiss + index.pkl), and every command opens a folder LangChain wrote.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::*;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn info_json(dir: &Path) -> serde_json::Value {
    ff(["info".as_ref(), dir.as_os_str(), "--json".as_ref()])
        .ok()
        .json()
}

fn search_with_hashing(dir: &Path, query: &str) -> serde_json::Value {
    ff([
        "search".as_ref(),
        dir.as_os_str(),
        query.as_ref(),
        "-k".as_ref(),
        "3".as_ref(),
        "--json".as_ref(),
        "--embedder".as_ref(),
        "hashing".as_ref(),
    ])
    .ok()
    .json()
}

fn ids_and_scores(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].to_string(), r["score"].to_string()))
        .collect()
}

#[test]
fn index_search_delete_and_merge_in_langchain_format() {
    let tmp = tempfile::tempdir().unwrap();
    let (lc, ours) = (tmp.path().join("lc"), tmp.path().join("ours"));
    let indexed = ff([
        "index".as_ref(),
        SOTU.as_ref(),
        "--out".as_ref(),
        lc.as_os_str(),
        "--format".as_ref(),
        "langchain".as_ref(),
        "--json".as_ref(),
    ])
    .ok()
    .json();
    assert_eq!(indexed["format"], "langchain");
    assert_eq!(files(&lc), ["index.faiss", "index.pkl"]);
    index_sotu(&ours);

    let info = info_json(&lc);
    assert_eq!(info["format"], "langchain");
    assert_eq!(info["documents"], 42);
    assert_eq!(info["dimension"], 1024);
    assert!(info["files"]["docstore"]["path"]
        .as_str()
        .unwrap()
        .ends_with("index.pkl"));

    // LangChain records no embedder: search needs one, then answers as our folder does.
    ff(["search".as_ref(), lc.as_os_str(), KETANJI.as_ref()])
        .fails_with("records no embedder: pass --embedder");
    let (from_lc, from_ours) = (
        search_with_hashing(&lc, KETANJI),
        search_json(&ours, KETANJI, 3),
    );
    assert_eq!(ids_and_scores(&from_lc).len(), 3);
    let texts = |d: &serde_json::Value| {
        d["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["page_content"].clone(), r["score"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&from_lc), texts(&from_ours));

    // delete keeps the folder's format.
    let first_id = from_lc["results"][0]["id"].as_str().unwrap().to_string();
    ff(["delete".as_ref(), lc.as_os_str(), first_id.as_ref()]).ok();
    assert_eq!(files(&lc), ["index.faiss", "index.pkl"]);
    assert_eq!(info_json(&lc)["documents"], 41);

    // merge our folder into the LangChain one (no embedder to compare), still LangChain's.
    let other = tmp.path().join("other");
    index_sotu(&other);
    ff(["merge".as_ref(), lc.as_os_str(), other.as_os_str()]).ok();
    assert_eq!(info_json(&lc)["documents"], 83);
    assert_eq!(files(&lc), ["index.faiss", "index.pkl"]);

    // --format converts: to ours (the pickle goes).
    let second_id = from_lc["results"][1]["id"].as_str().unwrap().to_string();
    ff([
        "delete".as_ref(),
        lc.as_os_str(),
        second_id.as_ref(),
        "--format".as_ref(),
        "ferrofaiss".as_ref(),
    ])
    .ok();
    assert_eq!(files(&lc), ["index.docstore", "index.faiss"]);
    assert_eq!(info_json(&lc)["format"], "ferrofaiss");
    ff([
        "merge".as_ref(),
        ours.as_os_str(),
        tmp.path().join("nothing").as_os_str(),
    ])
    .fails_with("does not exist");
    assert_eq!(files(&ours), ["index.docstore", "index.faiss"]);
}

fn fixture_copy(tmp: &Path) -> PathBuf {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/langchain_save_local/index");
    let dir = tmp.join("from_python");
    fs::create_dir(&dir).unwrap();
    for f in ["index.faiss", "index.pkl"] {
        fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    dir
}

#[test]
fn a_folder_langchain_wrote_opens_in_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_copy(tmp.path());
    let info = info_json(&dir);
    assert_eq!(info["documents"], 5);
    assert_eq!(info["dimension"], 4);
    assert_eq!(info["format"], "langchain");
    assert_eq!(info["embedder"], "unrecorded (LangChain folder)");
    // The hashing embedder's 1024 dimensions are not the folder's 4: one line, exit 2.
    ff([
        "search".as_ref(),
        dir.as_os_str(),
        "q".as_ref(),
        "--embedder".as_ref(),
        "hashing".as_ref(),
    ])
    .fails_with("dimension");
    let before = fs::read(dir.join("index.pkl")).unwrap();
    ff(["delete".as_ref(), dir.as_os_str(), "doc-9".as_ref()]).fails_with("doc-9");
    assert_eq!(fs::read(dir.join("index.pkl")).unwrap(), before);
    ff(["delete".as_ref(), dir.as_os_str(), "doc-2".as_ref()]).ok();
    assert_eq!(info_json(&dir)["documents"], 4);
    // Merging a folder of another dimension is refused and changes nothing.
    let ours = tmp.path().join("ours");
    index_sotu(&ours);
    let before = fs::read(dir.join("index.pkl")).unwrap();
    ff(["merge".as_ref(), dir.as_os_str(), ours.as_os_str()]).fails_with("cannot merge");
    assert_eq!(fs::read(dir.join("index.pkl")).unwrap(), before);
}

#[test]
fn bad_format_input_is_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    ff([
        "index".as_ref(),
        SOTU.as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--format".as_ref(),
        "pickle".as_ref(),
    ])
    .fails_with("pickle");
    assert!(!out.exists());
    // An index file alone: neither docstore nor pickle.
    let lone = tmp.path().join("lone");
    fs::create_dir(&lone).unwrap();
    fs::write(lone.join("index.faiss"), b"IxF2").unwrap();
    ff(["info".as_ref(), lone.as_os_str()]).fails_with("and so is LangChain's");
    // A damaged pickle names the file.
    let dir = fixture_copy(tmp.path());
    fs::write(dir.join("index.pkl"), b"\x80\x04garbage").unwrap();
    ff(["info".as_ref(), dir.as_os_str()]).fails_with("index.pkl");
    ff([
        "search".as_ref(),
        dir.as_os_str(),
        "q".as_ref(),
        "--embedder".as_ref(),
        "hashing".as_ref(),
    ])
    .fails_with("index.pkl");
}
