//! How search results are printed: readable text, or one JSON document (`--json`).

use ferrofaiss::Document;
use serde_json::json;
use serde_json::Value;

/// One search result: the document and its raw score (a squared L2 distance or an
/// inner product, as Faiss computes it).
pub type Hit = (Document, f32);

/// A score as JSON: a number, or null for a non-finite value (JSON has no NaN).
pub fn score_json(score: f32) -> Value {
    serde_json::Number::from_f64(f64::from(score)).map_or(Value::Null, Value::Number)
}

/// A document as LangChain prints it: `{"id", "page_content", "metadata"}`.
pub fn document_json(doc: &Document) -> Value {
    json!({
        "id": doc.id,
        "page_content": doc.page_content,
        "metadata": Value::Object(doc.metadata.clone()),
    })
}

/// The results as a JSON array of `{"rank", "id", "score", "page_content", "metadata"}`.
pub fn hits_json(hits: &[Hit]) -> Value {
    Value::Array(
        hits.iter()
            .enumerate()
            .map(|(i, (doc, score))| {
                json!({
                    "rank": i + 1,
                    "id": doc.id,
                    "score": score_json(*score),
                    "page_content": doc.page_content,
                    "metadata": Value::Object(doc.metadata.clone()),
                })
            })
            .collect(),
    )
}

/// The results as text: a header line per result (rank, id, score when asked,
/// metadata), then the text indented.
pub fn hits_text(hits: &[Hit], with_scores: bool) -> String {
    if hits.is_empty() {
        return "(no results)\n".to_string();
    }
    let mut out = String::new();
    for (i, (doc, score)) in hits.iter().enumerate() {
        out.push_str(&format!(
            "[{}] id={}",
            i + 1,
            doc.id.as_deref().unwrap_or("-")
        ));
        if with_scores {
            out.push_str(&format!(" score={score:.4}"));
        }
        if !doc.metadata.is_empty() {
            out.push_str(&format!(
                " metadata={}",
                Value::Object(doc.metadata.clone())
            ));
        }
        out.push('\n');
        for line in doc.page_content.lines() {
            if !line.trim().is_empty() {
                out.push_str("    ");
                out.push_str(line.trim_end());
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_scores_never_hold_nan() {
        assert_eq!(score_json(f32::NAN), Value::Null);
        assert_eq!(score_json(0.5), json!(0.5));
    }

    #[test]
    fn text_lists_rank_id_score_and_indented_content() {
        let doc = Document::new("line one\nline two").with_id("a");
        let text = hits_text(&[(doc, 1.5)], true);
        assert_eq!(
            text,
            "[1] id=a score=1.5000\n    line one\n    line two\n\n"
        );
        assert_eq!(hits_text(&[], false), "(no results)\n");
    }
}
