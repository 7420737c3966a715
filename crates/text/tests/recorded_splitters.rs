//! Splitter cases recorded from the real `langchain_text_splitters` 1.1.3 by
//! `data/record_langchain_splitters.py` (the recursive splitter has no golden case in the
//! shared set; these also cover regex separators, `create_documents` and `start_index`).

use std::path::Path;

use ferrofaiss_text::{
    CharacterTextSplitter, CharacterTextSplitterOptions, Language, Metadata,
    RecursiveCharacterTextSplitter, RecursiveCharacterTextSplitterOptions, Split, SplitWarning,
    TextLoader, TextSplitter,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/langchain_splitters.json"
);
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn text_named(name: &str, recording: &Value) -> String {
    match name {
        "sotu" => TextLoader::new(Path::new(FIXTURES).join("state_of_the_union.txt"))
            .read_text()
            .unwrap(),
        "short" => {
            let path = Path::new(FIXTURES).join("golden/cases/split_character.json");
            let case: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            case["ops"][0]["text"].as_str().unwrap().to_owned()
        }
        "mixed" => recording["texts_mixed"].as_str().unwrap().to_owned(),
        other => match other.strip_prefix("code_") {
            Some(language) => recording["texts_code"][language]
                .as_str()
                .unwrap()
                .to_owned(),
            None => panic!("unknown text {other}"),
        },
    }
}

fn build(op: &Value) -> Box<dyn TextSplitter> {
    if let Some(language) = op.get("language") {
        let language: Language = language.as_str().unwrap().parse().unwrap();
        let options = RecursiveCharacterTextSplitterOptions::from_kwargs(&op["splitter"]).unwrap();
        return Box::new(RecursiveCharacterTextSplitter::from_language(language, options).unwrap());
    }
    match op["class"].as_str().unwrap() {
        "character" => Box::new(
            CharacterTextSplitter::new(
                CharacterTextSplitterOptions::from_kwargs(&op["splitter"]).unwrap(),
            )
            .unwrap(),
        ),
        "recursive" => Box::new(
            RecursiveCharacterTextSplitter::new(
                RecursiveCharacterTextSplitterOptions::from_kwargs(&op["splitter"]).unwrap(),
            )
            .unwrap(),
        ),
        other => panic!("unknown class {other}"),
    }
}

fn logs(warnings: &[SplitWarning]) -> Value {
    Value::Array(
        warnings
            .iter()
            .map(|w| serde_json::json!({"logger": w.logger(), "level": "WARNING", "message": w.to_string()}))
            .collect(),
    )
}

fn check_split_text(context: &str, op: &Value, recording: &Value) {
    let text = match op.get("text_value") {
        Some(value) => value.as_str().unwrap().to_owned(),
        None => text_named(op["text"].as_str().unwrap(), recording),
    };
    let Split { chunks, warnings } = build(op).split_text_with_warnings(&text).unwrap();
    let expect = &op["expect"];
    if let Some(full) = expect.get("chunks") {
        let full: Vec<&str> = full
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(chunks, full, "{context}: chunks");
    }
    assert_eq!(
        chunks.len() as u64,
        expect["num_chunks"].as_u64().unwrap(),
        "{context}"
    );
    let lengths: Vec<Value> = chunks
        .iter()
        .map(|c| Value::from(c.chars().count()))
        .collect();
    assert_eq!(
        Value::Array(lengths),
        expect["chunk_lengths"],
        "{context}: lengths"
    );
    let hashes: Vec<Value> = chunks.iter().map(|c| Value::from(sha256_hex(c))).collect();
    assert_eq!(
        Value::Array(hashes),
        expect["chunk_sha256"],
        "{context}: sha256"
    );
    assert_eq!(logs(&warnings), expect["logs"], "{context}: logs");
}

/// `create_documents` needs a sized splitter; dispatch on the class.
fn create_documents(
    op: &Value,
    texts: &[String],
    metadatas: &[Metadata],
) -> Split<ferrofaiss_text::Document> {
    let mut warnings = Vec::new();
    let chunks = match op["class"].as_str().unwrap() {
        "character" => CharacterTextSplitter::new(
            CharacterTextSplitterOptions::from_kwargs(&op["splitter"]).unwrap(),
        )
        .unwrap()
        .create_documents_reporting(texts, Some(metadatas), &mut warnings),
        _ => RecursiveCharacterTextSplitter::new(
            RecursiveCharacterTextSplitterOptions::from_kwargs(&op["splitter"]).unwrap(),
        )
        .unwrap()
        .create_documents_reporting(texts, Some(metadatas), &mut warnings),
    }
    .unwrap();
    Split { chunks, warnings }
}

fn check_create_documents(context: &str, op: &Value, recording: &Value) {
    let texts: Vec<String> = op["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| text_named(n.as_str().unwrap(), recording))
        .collect();
    let metadatas: Vec<Metadata> = op["metadatas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_object().unwrap().clone())
        .collect();
    let Split { chunks, warnings } = create_documents(op, &texts, &metadatas);
    let want = op["expect"]["docs"].as_array().unwrap();
    assert_eq!(chunks.len(), want.len(), "{context}: number of documents");
    for (i, (got, want)) in chunks.iter().zip(want).enumerate() {
        assert_eq!(got.id, None);
        assert_eq!(
            sha256_hex(&got.page_content),
            want["page_content_sha256"],
            "{context} doc {i}"
        );
        assert_eq!(
            got.page_content.chars().count() as u64,
            want["length"],
            "{context} doc {i}"
        );
        assert_eq!(
            Value::Object(got.metadata.clone()),
            want["metadata"],
            "{context} doc {i}"
        );
    }
    assert_eq!(logs(&warnings), op["expect"]["logs"], "{context}: logs");
}

#[test]
fn recorded_langchain_splitter_cases() {
    let recording: Value = serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let ops = recording["ops"].as_array().unwrap();
    assert_eq!(ops.len(), 175);
    for (i, op) in ops.iter().enumerate() {
        let context = format!(
            "op {i}: {} {} on {}",
            op["class"],
            op["splitter"],
            op.get("text")
                .or(op.get("texts"))
                .or(op.get("text_value"))
                .unwrap()
        );
        match op["op"].as_str().unwrap() {
            "split_text" => check_split_text(&context, op, &recording),
            "create_documents" => check_create_documents(&context, op, &recording),
            other => panic!("unknown op {other}"),
        }
    }
}

#[test]
fn language_separators_match_langchain() {
    let recording: Value = serde_json::from_str(&std::fs::read_to_string(DATA).unwrap()).unwrap();
    let table = recording["language_separators"].as_object().unwrap();
    assert_eq!(table.len(), Language::ALL.len());
    for language in Language::ALL {
        let want = &table[language.name()];
        match language.separators() {
            Some(separators) => {
                let want: Vec<&str> = want
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                assert_eq!(separators, want.as_slice(), "{language}");
                // Every separator compiles as a regex.
                RecursiveCharacterTextSplitter::from_language(language, Default::default())
                    .unwrap();
            }
            None => {
                assert!(want.is_null(), "{language}");
                let error =
                    RecursiveCharacterTextSplitter::from_language(language, Default::default())
                        .unwrap_err();
                assert_eq!(
                    error.to_string(),
                    "Language Language.PERL is not implemented yet!"
                );
            }
        }
        assert_eq!(language.name().parse::<Language>().unwrap(), language);
    }
    assert!("klingon".parse::<Language>().is_err());
}
