//! Runs every splitter op (`split_text`, `split_documents`, `splitter_init`, `split_file`)
//! of the LangChain-recorded golden cases and compares with what LangChain returned.

use std::path::{Path, PathBuf};

use ferrofaiss_text::{
    CharacterTextSplitter, CharacterTextSplitterOptions, Document, Metadata, Split, SplitWarning,
    TextLoader, TextSplitter,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

const REPO_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn fixture(relative: &str) -> PathBuf {
    Path::new(REPO_ROOT).join("fixtures").join(relative)
}

fn read_case(name: &str) -> Value {
    let path = fixture(&format!("golden/cases/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("case file is JSON")
}

fn splitter(op: &Value) -> CharacterTextSplitter {
    let options = CharacterTextSplitterOptions::from_kwargs(&op["splitter"]).expect("kwargs parse");
    CharacterTextSplitter::new(options).expect("splitter builds")
}

fn code_points(chunks: &[String]) -> Vec<u64> {
    chunks.iter().map(|c| c.chars().count() as u64).collect()
}

fn as_u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("integer"))
        .collect()
}

fn as_strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("string").to_owned())
        .collect()
}

/// The `logs` LangChain recorded must be exactly our warnings, in order.
fn check_logs(context: &str, expect: &Value, warnings: &[SplitWarning]) {
    let expected: Vec<(String, String, String)> = expect
        .get("logs")
        .and_then(Value::as_array)
        .map(|logs| {
            logs.iter()
                .map(|l| {
                    (
                        l["logger"].as_str().unwrap().to_owned(),
                        l["level"].as_str().unwrap().to_owned(),
                        l["message"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let got: Vec<(String, String, String)> = warnings
        .iter()
        .map(|w| (w.logger().to_owned(), "WARNING".to_owned(), w.to_string()))
        .collect();
    assert_eq!(got, expected, "{context}: warnings");
}

fn metadata(v: &Value) -> Metadata {
    v.as_object().cloned().unwrap_or_default()
}

fn run_split_text(context: &str, op: &Value) {
    let text = op["text"].as_str().expect("text");
    let Split { chunks, warnings } = splitter(op).split_text_with_warnings(text).expect("split");
    let expect = &op["expect"];
    assert_eq!(chunks, as_strings(&expect["chunks"]), "{context}: chunks");
    assert_eq!(
        code_points(&chunks),
        as_u64s(&expect["chunk_lengths"]),
        "{context}: lengths"
    );
    check_logs(context, expect, &warnings);
}

fn run_split_documents(context: &str, op: &Value) {
    let documents: Vec<Document> = op["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| {
            Document::new(d["page_content"].as_str().unwrap())
                .with_metadata(metadata(&d["metadata"]))
        })
        .collect();
    let Split { chunks, warnings } = splitter(op)
        .split_documents_with_warnings(&documents)
        .expect("split");
    let expected = op["expect"]["docs"].as_array().expect("docs");
    assert_eq!(chunks.len(), expected.len(), "{context}: number of docs");
    for (got, want) in chunks.iter().zip(expected) {
        assert_eq!(got.id, None, "{context}: chunk ids are None");
        assert_eq!(
            got.page_content,
            want["page_content"].as_str().unwrap(),
            "{context}"
        );
        assert_eq!(
            got.metadata,
            metadata(&want["metadata"]),
            "{context}: metadata"
        );
    }
    check_logs(context, &op["expect"], &warnings);
}

fn run_splitter_init(context: &str, op: &Value) {
    let options = CharacterTextSplitterOptions::from_kwargs(&op["splitter"]).expect("kwargs parse");
    let error = CharacterTextSplitter::new(options).expect_err("constructor must fail");
    let want = &op["expect"]["error"];
    assert_eq!(
        error.python_type(),
        want["type"].as_str().unwrap(),
        "{context}"
    );
    assert_eq!(
        error.to_string(),
        want["message"].as_str().unwrap(),
        "{context}"
    );
}

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn run_split_file(context: &str, op: &Value) {
    let relative = op["path"].as_str().expect("path");
    let relative = relative.strip_prefix("fixtures/").expect("a fixture path");
    let text = TextLoader::new(fixture(relative))
        .read_text()
        .expect("fixture loads");
    let Split { chunks, warnings } = splitter(op).split_text_with_warnings(&text).expect("split");
    let expect = &op["expect"];
    assert_eq!(
        chunks.len() as u64,
        expect["num_chunks"].as_u64().unwrap(),
        "{context}"
    );
    assert_eq!(
        code_points(&chunks),
        as_u64s(&expect["chunk_lengths"]),
        "{context}: lengths"
    );
    let hashes: Vec<String> = chunks.iter().map(|c| sha256_hex(c)).collect();
    assert_eq!(
        hashes,
        as_strings(&expect["chunk_sha256"]),
        "{context}: sha256"
    );
    let firsts: Vec<String> = chunks
        .iter()
        .map(|c| c.chars().take(40).collect())
        .collect();
    assert_eq!(
        firsts,
        as_strings(&expect["chunk_first_40"]),
        "{context}: first 40"
    );
    check_logs(context, expect, &warnings);
}

/// Runs the splitter ops of one case file; returns how many ran.
fn run_case(name: &str) -> usize {
    let case = read_case(name);
    let mut ran = 0;
    for (i, op) in case["ops"].as_array().expect("ops").iter().enumerate() {
        let context = format!("{name} op {i} ({})", op["splitter"]);
        match op["op"].as_str().expect("op kind") {
            "split_text" => run_split_text(&context, op),
            "split_documents" => run_split_documents(&context, op),
            "splitter_init" => run_splitter_init(&context, op),
            "split_file" => run_split_file(&context, op),
            other => panic!("{context}: unexpected op {other}"),
        }
        ran += 1;
    }
    ran
}

#[test]
fn split_character_case() {
    assert_eq!(run_case("split_character"), 22);
}

#[test]
fn split_sotu_variants_case() {
    assert_eq!(run_case("split_sotu_variants"), 7);
}

/// `golden/sotu_split.json`: the LangChain FAISS guide's TextLoader +
/// CharacterTextSplitter(1000, 0) on the State of the Union fixture.
#[test]
fn sotu_split_matches_langchain() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("golden/sotu_split.json")).unwrap())
            .unwrap();
    let path = fixture("state_of_the_union.txt");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        bytes.len() as u64,
        golden["fixture_bytes"].as_u64().unwrap()
    );
    assert_eq!(
        format!("{:x}", Sha256::digest(&bytes)),
        golden["fixture_sha256"].as_str().unwrap()
    );

    let documents = TextLoader::new(&path).load().unwrap();
    assert_eq!(documents.len(), 1);
    let text = &documents[0].page_content;
    assert_eq!(
        text.chars().count() as u64,
        golden["fixture_chars"].as_u64().unwrap()
    );
    assert_eq!(
        documents[0].metadata["source"],
        path.to_string_lossy().as_ref()
    );

    let splitter = CharacterTextSplitter::with_sizes(1000, 0).unwrap();
    let Split { chunks, warnings } = splitter.split_documents_with_warnings(&documents).unwrap();
    assert!(
        warnings.is_empty(),
        "LangChain logs no warning here: {warnings:?}"
    );
    assert_eq!(chunks.len() as u64, golden["num_chunks"].as_u64().unwrap());
    assert_eq!(chunks.len(), 42);
    let contents: Vec<String> = chunks.iter().map(|d| d.page_content.clone()).collect();
    assert_eq!(
        code_points(&contents),
        as_u64s(&golden["chunk_lengths_chars"])
    );
    let bytes_per_chunk: Vec<u64> = contents.iter().map(|c| c.len() as u64).collect();
    assert_eq!(
        bytes_per_chunk,
        as_u64s(&golden["chunk_lengths_utf8_bytes"])
    );
    let hashes: Vec<String> = contents.iter().map(|c| sha256_hex(c)).collect();
    assert_eq!(hashes, as_strings(&golden["chunk_sha256"]));
    for chunk in &chunks {
        assert_eq!(chunk.metadata, documents[0].metadata);
        assert_eq!(chunk.id, None);
    }
    let firsts: Vec<String> = contents
        .iter()
        .map(|c| c.chars().take(40).collect())
        .collect();
    assert_eq!(firsts, as_strings(&golden["chunk_first_40_chars"]));
    let ketanji: Vec<u64> = (0u64..)
        .zip(&contents)
        .filter(|(_, c)| c.contains("Ketanji Brown Jackson"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        ketanji,
        as_u64s(&golden["ketanji_brown_jackson_chunk_indices"])
    );
    assert_eq!(ketanji, [31]);
    assert_eq!(contents[31], golden["ketanji_chunk_text"].as_str().unwrap());
    assert!(golden["warnings"].as_array().unwrap().is_empty());
    assert!(golden["logs"].as_array().unwrap().is_empty());
}
