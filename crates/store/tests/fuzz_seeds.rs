//! The committed seeds of the `docstore_file` and `pickle` fuzz targets (`fuzz/corpus/`)
//! are valid inputs, so fuzzing starts from files that load rather than from errors;
//! the `regress-*` pickle seeds are fixed defects' reproducers, refused cleanly.

use std::path::PathBuf;

use ferrofaiss_store::__fuzz::{
    frame_docstore_payload, load_docstore_file, pickle_to_json, read_langchain_pickle,
};

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

/// Seeds named `regress-*` are the reproducers of fixed defects (docs/reliability.md),
/// kept so every fuzz run replays them: they are not LangChain pickles and must be
/// refused with an error, quickly and within memory. The others are real pickles.
#[test]
fn pickle_seeds_load() {
    for (name, bytes) in seeds("pickle") {
        if name.starts_with("regress-") {
            assert!(read_langchain_pickle(&bytes).is_err(), "{name}");
            let _ = pickle_to_json(&bytes);
            continue;
        }
        let (docstore, map) =
            read_langchain_pickle(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(docstore.len(), map.len(), "{name}");
    }
}
