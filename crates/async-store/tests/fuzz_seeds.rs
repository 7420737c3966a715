//! The committed seeds of the `docstore_file` and `pickle` fuzz targets (`fuzz/corpus/`)
//! are valid inputs, so fuzzing starts from files that load rather than from errors.

use std::path::PathBuf;

use ferrofaiss::__fuzz::{frame_docstore_payload, load_docstore_file, read_langchain_pickle};

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("seed"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

#[test]
fn docstore_seeds_load() {
    for (name, bytes) in seeds("docstore_file") {
        let file = if name.ends_with(".msgpack") {
            frame_docstore_payload(&bytes)
        } else {
            bytes
        };
        let store = load_docstore_file(&file).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!store.index_to_docstore_id().is_empty(), "{name}");
    }
}

#[test]
fn pickle_seeds_load() {
    for (name, bytes) in seeds("pickle") {
        let (docstore, map) =
            read_langchain_pickle(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(docstore.len(), map.len(), "{name}");
    }
}
