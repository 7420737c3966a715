//! Runs the `load_text` ops of the LangChain-recorded `loader_text` case.
//!
//! Each op may first write bytes to `cases/loader_text/<file>`; here they go to a temporary
//! folder instead, which becomes the working directory so that `metadata["source"]` is the
//! relative name, as in the recording. Changing the working directory is process-wide, so
//! this file holds a single test (its own test binary).

use ferrofaiss_text::{LoaderError, TextLoader};
use serde_json::Value;

const CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/golden/cases/loader_text.json"
);
const CASE_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/golden/cases/loader_text"
);

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn loader_text_case() {
    let case: Value = serde_json::from_str(&std::fs::read_to_string(CASE).unwrap()).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    std::env::set_current_dir(scratch.path()).unwrap();

    let mut ran = 0;
    for (i, op) in case["ops"].as_array().unwrap().iter().enumerate() {
        assert_eq!(op["op"], "load_text");
        let file = op["file"].as_str().unwrap();
        let context = format!("op {i} ({file}, encoding {})", op["encoding"]);
        if let Some(hex) = op["write_bytes_hex"].as_str() {
            let bytes = hex_bytes(hex);
            std::fs::write(file, &bytes).unwrap();
            // The recorded files hold the same bytes.
            assert_eq!(
                std::fs::read(format!("{CASE_DIR}/{file}")).unwrap(),
                bytes,
                "{context}"
            );
        }
        let mut loader = TextLoader::new(file);
        if let Some(encoding) = op["encoding"].as_str() {
            loader = loader.with_encoding(encoding);
        }
        let expect = &op["expect"];
        match loader.load() {
            Ok(docs) => {
                let want = expect["docs"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{context}: expected an error"));
                assert_eq!(docs.len(), want.len(), "{context}");
                for (got, want) in docs.iter().zip(want) {
                    assert_eq!(got.id, None, "{context}");
                    assert_eq!(
                        got.page_content,
                        want["page_content"].as_str().unwrap(),
                        "{context}"
                    );
                    assert_eq!(
                        Value::Object(got.metadata.clone()),
                        want["metadata"],
                        "{context}"
                    );
                }
            }
            Err(error) => {
                let want = &expect["error"];
                assert!(want.is_object(), "{context}: unexpected error {error}");
                assert_eq!(
                    error.python_type(),
                    want["type"].as_str().unwrap(),
                    "{context}"
                );
                let message = error.to_string();
                assert!(
                    message.starts_with(want["message"].as_str().unwrap()),
                    "{context}: {message}"
                );
                assert_eq!(
                    error.path().unwrap(),
                    std::path::Path::new(file),
                    "{context}"
                );
                if file == "latin1.txt" {
                    // "caf\xe9": the bad byte is at offset 3.
                    assert!(
                        matches!(error, LoaderError::Decode { offset: 3, .. }),
                        "{context}: {error:?}"
                    );
                }
            }
        }
        ran += 1;
    }
    assert_eq!(ran, 7);
}
