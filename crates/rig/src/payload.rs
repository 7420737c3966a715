//! A rig document and a row's metadata: the document serialized as a JSON object is
//! the metadata; any other JSON value is kept under [`DOCUMENT_KEY`].

use ferrofaiss::{Document, Metadata};
use serde_json::Value;

/// The metadata key under which a document that does not serialize to a JSON object (a
/// `String`, a number, a list) is stored.
pub const DOCUMENT_KEY: &str = "rig_document";

/// The metadata of a row for a document serialized as `json`: its fields, unless
/// reading them back would be ambiguous (no fields, which reads as a plain-text row, or
/// [`DOCUMENT_KEY`] as the only field), in which case it is wrapped like a non-object.
pub(crate) fn to_metadata(json: Value) -> Metadata {
    match json {
        Value::Object(fields) if !fields.is_empty() && !is_wrapped(&fields) => fields,
        other => Metadata::from_iter([(DOCUMENT_KEY.to_string(), other)]),
    }
}

/// Whether `metadata` is a wrapped document: [`DOCUMENT_KEY`] and nothing else.
fn is_wrapped(metadata: &Metadata) -> bool {
    metadata.len() == 1 && metadata.contains_key(DOCUMENT_KEY)
}

/// The document JSON stored in `metadata`, the inverse of [`to_metadata`]: the value
/// under [`DOCUMENT_KEY`] when that is the only key, else the metadata as an object.
pub(crate) fn from_metadata(metadata: &Metadata) -> Value {
    match metadata.get(DOCUMENT_KEY) {
        Some(value) if is_wrapped(metadata) => value.clone(),
        _ => Value::Object(metadata.clone()),
    }
}

/// The document JSON of a stored row: [`from_metadata`], except that a row with no
/// metadata at all (a LangChain store's plain text) is its text.
pub(crate) fn from_row(doc: &Document) -> Value {
    if doc.metadata.is_empty() {
        Value::String(doc.page_content.clone())
    } else {
        from_metadata(&doc.metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_are_the_metadata_and_other_values_are_wrapped() {
        for doc in [
            json!({"title": "a", "n": 1}),
            json!({}),
            json!({"rig_document": 5}),
            json!({"rig_document": {"rig_document": 5}}),
            json!("plain text"),
            json!(3),
            json!([1, 2]),
            json!(null),
        ] {
            let metadata = to_metadata(doc.clone());
            assert_eq!(from_metadata(&metadata), doc);
        }
        assert!(to_metadata(json!({"title": "a"})).contains_key("title"));
    }

    #[test]
    fn a_row_without_metadata_is_its_text() {
        let doc = Document::new("hello");
        assert_eq!(from_row(&doc), json!("hello"));
    }
}
