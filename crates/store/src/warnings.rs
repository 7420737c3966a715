//! The warnings LangChain's `FAISS` emits, as `tracing` events at `WARN` with
//! LangChain's exact text, so a subscriber sees what a Python user would.
//!
//! * Python `warnings.warn(UserWarning(..))` calls are events with the field
//!   `category = "UserWarning"`;
//! * Python `logger.warning(..)` records are events with the field `logger` naming the
//!   Python logger (`langchain_core.vectorstores.base`).
//!
//! The events' target is this module's path (`ferrofaiss_store::warnings`). Messages
//! are only formatted when a subscriber is interested.

use std::fmt;

use ferrofaiss_cpython::{repr_f32, repr_str, repr_value};
use ferrofaiss_docstore::Document;

use crate::distance::DistanceStrategy;

/// The Python warning category of the store's `warnings.warn` calls.
pub(crate) const USER_WARNING: &str = "UserWarning";

/// The Python logger of LangChain's `VectorStore` base class.
pub(crate) const VECTORSTORE_LOGGER: &str = "langchain_core.vectorstores.base";

/// `FAISS.__init__`: `normalize_L2` with a strategy other than `EUCLIDEAN_DISTANCE`.
/// LangChain warns and still normalizes, and so does the store.
pub(crate) fn normalize_not_applicable(strategy: DistanceStrategy) {
    tracing::warn!(
        category = USER_WARNING,
        "Normalizing L2 is not applicable for metric type: {strategy}"
    );
}

/// `similarity_search_with_relevance_scores`: some relevance score is outside `[0, 1]`
/// (NaN is not, as in Python). `custom` says whether the scores come from a
/// user-supplied relevance function (written as plain floats) rather than a built-in one
/// (numpy `float32` scalars, `np.float32(..)`).
pub(crate) fn relevance_out_of_range(pairs: &[(Document, f32)], custom: bool) {
    if pairs.iter().any(|(_, r)| *r < 0.0 || *r > 1.0) {
        tracing::warn!(
            category = USER_WARNING,
            "Relevance scores must be between 0 and 1, got {}",
            ScoredRepr { pairs, custom }
        );
    }
}

/// `similarity_search_with_relevance_scores`: a `score_threshold` left no document.
pub(crate) fn no_relevant_docs(threshold: f32) {
    tracing::warn!(
        logger = VECTORSTORE_LOGGER,
        "No relevant docs were retrieved using the relevance score threshold {}",
        repr_f32(threshold)
    );
}

/// Python's `repr()` of a list of `(Document, score)` tuples.
struct ScoredRepr<'a> {
    pairs: &'a [(Document, f32)],
    custom: bool,
}

impl fmt::Display for ScoredRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, (doc, score)) in self.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "({}, ", DocumentRepr(doc))?;
            if self.custom {
                f.write_str(&repr_f32(*score))?;
            } else {
                write!(f, "np.float32({})", repr_f32(*score))?;
            }
            f.write_str(")")?;
        }
        f.write_str("]")
    }
}

/// Python's `repr()` of a LangChain `Document`: `Document(id='a', metadata={..},
/// page_content='..')`, the id left out when it is `None` (pydantic leaves out fields
/// equal to their default).
struct DocumentRepr<'a>(&'a Document);

impl fmt::Display for DocumentRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Document(")?;
        if let Some(id) = &self.0.id {
            write!(f, "id={}, ", repr_str(id))?;
        }
        write!(
            f,
            "metadata={}, page_content={})",
            repr_value(&serde_json::Value::Object(self.0.metadata.clone())),
            repr_str(&self.0.page_content)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scored_pairs_repr_as_python_lists_of_tuples() {
        let mut meta = ferrofaiss_docstore::Metadata::new();
        meta.insert("i".into(), serde_json::json!(1));
        meta.insert("odd".into(), serde_json::json!(true));
        let mut a = Document::new("d1");
        a.id = Some("k1".into());
        a.metadata = meta;
        let b = Document::new("it's");
        let pairs = vec![(a, 0.292_893_23_f32), (b, -5.363_961_f32)];
        assert_eq!(
            ScoredRepr { pairs: &pairs, custom: false }.to_string(),
            "[(Document(id='k1', metadata={'i': 1, 'odd': True}, page_content='d1'), np.float32(0.29289323)), (Document(metadata={}, page_content=\"it's\"), np.float32(-5.363961))]"
        );
        assert_eq!(
            ScoredRepr {
                pairs: &pairs[1..],
                custom: true
            }
            .to_string(),
            "[(Document(metadata={}, page_content=\"it's\"), -5.363961)]"
        );
    }
}
