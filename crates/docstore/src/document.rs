//! LangChain's `Document`: a piece of text, an optional id and a metadata dict.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A document's metadata: an insertion-ordered map from keys to JSON values, LangChain's
/// `dict[str, Any]` restricted to what JSON can hold.
pub type Metadata = serde_json::Map<String, Value>;

/// A piece of text with an optional id and metadata, like LangChain's `Document`.
///
/// Serializes as `{"id": ..., "page_content": ..., "metadata": {...}}` (the shape the
/// golden cases record); `id` and `metadata` may be left out when deserializing.
///
/// `PartialEq` compares the JSON values structurally, so `1` and `1.0` differ; use
/// [`ferrofaiss_cpython::eq`] on metadata values for Python's `1 == 1.0`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The document's id; `None` when it has none yet.
    #[serde(default)]
    pub id: Option<String>,
    /// The text.
    pub page_content: String,
    /// The metadata.
    #[serde(default)]
    pub metadata: Metadata,
}

impl Document {
    /// A document with this text, no id and empty metadata.
    pub fn new(page_content: impl Into<String>) -> Self {
        Document {
            id: None,
            page_content: page_content.into(),
            metadata: Metadata::new(),
        }
    }

    /// Sets the id.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Replaces the metadata.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets one metadata entry (replacing an existing value under that key, which keeps
    /// its position).
    pub fn with_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// Builds [`Metadata`] from a JSON value: the object's entries, in order, or `None`
/// when the value is not an object.
///
/// ```
/// use ferrofaiss_docstore::metadata_from_json;
/// let m = metadata_from_json(serde_json::json!({"source": "a.txt", "page": 2})).unwrap();
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["source", "page"]);
/// ```
pub fn metadata_from_json(value: Value) -> Option<Metadata> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builders_set_fields_in_order() {
        let doc = Document::new("text")
            .with_id("a")
            .with_field("z", 1)
            .with_field("b", "x")
            .with_field("z", 2);
        assert_eq!(doc.id.as_deref(), Some("a"));
        assert_eq!(doc.page_content, "text");
        assert_eq!(doc.metadata.keys().collect::<Vec<_>>(), ["z", "b"]);
        assert_eq!(doc.metadata["z"], json!(2));
    }

    #[test]
    fn serde_shape_matches_golden_docs() {
        let doc = Document::new("hi").with_field("page", 1);
        let value = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            value,
            json!({"id": null, "page_content": "hi", "metadata": {"page": 1}})
        );
        let back: Document =
            serde_json::from_value(json!({"page_content": "hi", "metadata": {"page": 1}})).unwrap();
        assert_eq!(back, doc);
        let keyed: Document = serde_json::from_value(
            json!({"id": "k", "page_content": "t", "metadata": {"b": 1, "a": 2}}),
        )
        .unwrap();
        assert_eq!(keyed.id.as_deref(), Some("k"));
        assert_eq!(keyed.metadata.keys().collect::<Vec<_>>(), ["b", "a"]);
    }

    #[test]
    fn metadata_from_json_rejects_non_objects() {
        assert!(metadata_from_json(json!([1])).is_none());
        assert_eq!(metadata_from_json(json!({})), Some(Metadata::new()));
    }
}
