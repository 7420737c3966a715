//! TextLoader and DirectoryLoader on files made in a scratch folder.

use std::fs;
use std::path::{Path, PathBuf};

use ferrofaiss_text::{DirectoryLoader, LoaderError, TextLoader};

fn write(root: &Path, relative: &str, bytes: &[u8]) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

/// A tree with nested folders, hidden entries, a non-text file and an invalid UTF-8 file.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "b.txt", b"bee");
    write(root, "a.txt", b"ay\r\n");
    write(root, "notes.md", b"# md");
    write(root, "sub/c.txt", b"sea");
    write(root, "sub/deeper/d.txt", b"dee");
    write(root, "sub/skip.log", b"log");
    write(root, ".hidden.txt", b"hidden");
    write(root, ".git/e.txt", b"in hidden folder");
    dir
}

fn sources(docs: &[ferrofaiss_text::Document], root: &Path) -> Vec<String> {
    docs.iter()
        .map(|d| {
            let source = PathBuf::from(d.metadata["source"].as_str().unwrap());
            source
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn directory_glob_any_depth_sorted() {
    let dir = tree();
    let docs = DirectoryLoader::new(dir.path())
        .with_glob("**/*.txt")
        .load()
        .unwrap();
    assert_eq!(
        sources(&docs, dir.path()),
        ["a.txt", "b.txt", "sub/c.txt", "sub/deeper/d.txt"]
    );
    assert_eq!(docs[0].page_content, "ay\n");
    assert_eq!(docs[3].page_content, "dee");
    assert!(docs.iter().all(|d| d.id.is_none()));
}

#[test]
fn directory_glob_top_level_unless_recursive() {
    let dir = tree();
    let top = DirectoryLoader::new(dir.path())
        .with_glob("*.txt")
        .paths()
        .unwrap();
    assert_eq!(top, [dir.path().join("a.txt"), dir.path().join("b.txt")]);
    let all = DirectoryLoader::new(dir.path())
        .with_glob("*.txt")
        .with_recursive(true)
        .paths()
        .unwrap();
    assert_eq!(all.len(), 4);
    let nested = DirectoryLoader::new(dir.path())
        .with_glob("sub/*.txt")
        .paths()
        .unwrap();
    assert_eq!(nested, [dir.path().join("sub/c.txt")]);
}

#[test]
fn directory_default_glob_hidden_and_exclude() {
    let dir = tree();
    let default = DirectoryLoader::new(dir.path()).paths().unwrap();
    let names: Vec<String> = default
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "a.txt",
            "b.txt",
            "notes.md",
            "sub/c.txt",
            "sub/deeper/d.txt",
            "sub/skip.log"
        ]
    );

    let with_hidden = DirectoryLoader::new(dir.path())
        .with_glob("**/*.txt")
        .with_load_hidden(true)
        .paths()
        .unwrap();
    assert_eq!(with_hidden.len(), 6);

    let excluded = DirectoryLoader::new(dir.path())
        .with_exclude(["*.log", "deeper/*"])
        .paths()
        .unwrap();
    assert_eq!(excluded.len(), 4);
}

#[test]
fn directory_errors_name_the_file() {
    let dir = tree();
    write(dir.path(), "sub/bad.txt", b"ok\xffno");
    let error = DirectoryLoader::new(dir.path())
        .with_glob("**/*.txt")
        .load()
        .unwrap_err();
    assert_eq!(error.path(), Some(dir.path().join("sub/bad.txt").as_path()));
    assert!(
        matches!(error, LoaderError::Decode { offset: 2, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("bad.txt"));

    let mut skipped = Vec::new();
    let docs = DirectoryLoader::new(dir.path())
        .with_glob("**/*.txt")
        .with_silent_errors(true)
        .load_reporting(&mut skipped)
        .unwrap();
    assert_eq!(docs.len(), 4);
    assert_eq!(skipped.len(), 1);

    let latin = DirectoryLoader::new(dir.path())
        .with_glob("**/bad.txt")
        .with_encoding("latin-1")
        .load()
        .unwrap();
    assert_eq!(latin[0].page_content, "ok\u{ff}no");
}

#[test]
fn directory_missing_or_file_or_bad_glob() {
    let dir = tree();
    let missing = DirectoryLoader::new(dir.path().join("nope"))
        .load()
        .unwrap_err();
    assert!(matches!(missing, LoaderError::DirectoryNotFound { .. }));
    assert!(missing.to_string().starts_with("Directory not found: '"));
    let file = DirectoryLoader::new(dir.path().join("a.txt"))
        .load()
        .unwrap_err();
    assert!(matches!(file, LoaderError::NotADirectory { .. }));
    let glob = DirectoryLoader::new(dir.path())
        .with_glob("[")
        .load()
        .unwrap_err();
    assert!(matches!(glob, LoaderError::InvalidGlob { .. }));
}

#[test]
fn text_loader_errors_and_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "utf16.txt", b"\xff\xfeh\x00i\x00\r\x00\n\x00");
    write(root, "latin.txt", b"na\xefve\rx");

    let utf16 = TextLoader::new(root.join("utf16.txt"))
        .with_encoding("UTF-16")
        .load_document()
        .unwrap();
    assert_eq!(utf16.page_content, "hi\n");

    let strict = TextLoader::new(root.join("latin.txt")).load().unwrap_err();
    assert!(
        matches!(
            strict,
            LoaderError::Decode {
                offset: 2,
                encoding: "utf-8",
                ..
            }
        ),
        "{strict:?}"
    );
    // Autodetect falls back to Windows-1252 here (0xEF is 'ï' there too).
    let detected = TextLoader::new(root.join("latin.txt"))
        .with_autodetect_encoding(true)
        .load_document()
        .unwrap();
    assert_eq!(detected.page_content, "naïve\nx");

    let unknown = TextLoader::new(root.join("latin.txt"))
        .with_encoding("klingon")
        .load()
        .unwrap_err();
    assert!(matches!(unknown, LoaderError::UnknownEncoding { .. }));
    assert_eq!(unknown.python_type(), "RuntimeError");

    let folder = TextLoader::new(root).load().unwrap_err();
    assert!(matches!(folder, LoaderError::Io { .. }));
    assert_eq!(folder.path(), Some(root));
}

#[test]
fn text_loader_source_is_the_path_as_given() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.txt", b"x");
    let given = dir.path().join(".").join("x.txt");
    let doc = TextLoader::new(&given).load_document().unwrap();
    assert_eq!(doc.metadata["source"], given.to_string_lossy().as_ref());
    assert_eq!(doc.metadata.len(), 1);
}
