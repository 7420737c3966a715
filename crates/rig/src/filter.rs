//! rig's canonical filter as a ferrofaiss filter: evaluated by rig's own
//! [`Filter::satisfies`] on each candidate's document JSON, so a rig user gets rig's
//! semantics (numbers compare numerically, mismatched types never match, a missing
//! field fails every leaf) rather than Python's.

use ferrofaiss::Metadata;
use rig_core::vector_store::request::Filter;
use serde_json::Value;

use crate::payload::from_metadata;

/// The ferrofaiss filter that keeps the rows whose document satisfies `filter`.
pub(crate) fn to_store_filter(filter: &Filter<Value>) -> ferrofaiss::Filter {
    let filter = filter.clone();
    ferrofaiss::Filter::from_fn(move |metadata: &Metadata| {
        filter.satisfies(&from_metadata(metadata))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rig_core::vector_store::request::SearchFilter;
    use serde_json::json;

    fn metadata(value: Value) -> Metadata {
        crate::payload::to_metadata(value)
    }

    #[test]
    fn leaves_and_combinators_follow_rig() {
        let doc = metadata(json!({"year": 2022, "topic": "court"}));
        let keep = |f: Filter<Value>| to_store_filter(&f).matches(&doc).unwrap();
        assert!(keep(Filter::eq("topic", json!("court"))));
        assert!(keep(Filter::eq("year", json!(2022.0))));
        assert!(keep(Filter::gt("year", json!(2000))));
        assert!(!keep(Filter::lt("year", json!(2000))));
        // A type mismatch is no match in rig (Python would raise).
        assert!(!keep(Filter::gt("topic", json!(1))));
        assert!(!keep(Filter::eq("missing", json!(1))));
        assert!(keep(
            Filter::eq("topic", json!("war")).or(Filter::gt("year", json!(2021)))
        ));
        assert!(!keep(
            Filter::eq("topic", json!("court")).and(Filter::lt("year", json!(2021)))
        ));
    }
}
