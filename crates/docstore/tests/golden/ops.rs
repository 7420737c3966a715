//! The docstore's golden ops (`filter_eval`). The store's runner includes this file too,
//! for cases that mix these ops with store ops.

use ferrofaiss_docstore::{Filter, Metadata};
use ferrofaiss_golden::{CaseCtx, Fields, Op, Status};
use serde_json::Value;

/// Runs one docstore op.
pub fn run_op(_ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
    match op.kind.as_str() {
        "filter_eval" => filter_eval(op),
        other => Err(format!(
            "unknown op kind {other:?}: the docstore runner must learn it"
        )),
    }
}

/// Whether a recorded Python exception is the filter error we raised: the same class as
/// the store's runner gives it (`filter:<exception>:<message>`), so type and message must
/// both match, and the recorded message must read like a filter error.
pub fn compare_filter_error(name: &str, ours: &str, want: &Fields<'_>) -> Result<(), String> {
    let ty = want.opt_str("type")?.unwrap_or_default();
    let msg = want.opt_str("message")?.unwrap_or_default();
    let starts = |p: &str| msg.starts_with(p);
    let filter_like = matches!(ty, "ValueError" | "TypeError" | "AttributeError")
        && (starts("filter ")
            || starts("'")
            || starts("unhashable")
            || starts("argument of type")
            || starts("list indices")
            || starts("string indices"));
    let theirs = if filter_like {
        format!("filter:{ty}:{msg}")
    } else {
        format!("python:{ty}:{msg}")
    };
    let ours_class = format!("filter:{name}:{ours}");
    if ours_class == theirs {
        Ok(())
    } else {
        Err(format!("error {ours_class} ({ours}), LangChain {theirs}"))
    }
}

/// `metadatas`: a list of dicts (`null` items are empty dicts); absent is no metadata.
pub fn metadatas_of(f: &Fields<'_>, key: &str) -> Result<Option<Vec<Metadata>>, String> {
    let Some(items) = f.opt_array(key)? else {
        return Ok(None);
    };
    items
        .iter()
        .enumerate()
        .map(|(i, m)| match m {
            Value::Object(o) => Ok(o.clone()),
            Value::Null => Ok(Metadata::new()),
            other => Err(format!(
                "{}[{i}]: metadata {other} is not a dict",
                f.path_of(key)
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn filter_eval(op: &Op) -> Result<Status, String> {
    let f = op.fields();
    let expect = op.expect()?;
    let filter = match Filter::from_json(f.raw("filter")?) {
        Ok(filter) => filter,
        Err(e) => {
            return match expect.opt_field("error")? {
                Some(err) => {
                    compare_filter_error(e.python_exception().name(), &e.to_string(), &err)
                        .map(|()| Status::Pass)
                }
                None => Err(format!("filter refused: {e}")),
            }
        }
    };
    if expect.has("error") {
        return Err(format!(
            "expected compile error {}, the filter compiled",
            expect.sub("error").value()
        ));
    }
    let metadatas = metadatas_of(&f, "metadatas")?.unwrap_or_default();
    let want = expect.items("results")?;
    if want.len() != metadatas.len() {
        return Err("results and metadatas differ in length".into());
    }
    for (i, (m, w)) in metadatas.iter().zip(&want).enumerate() {
        match (filter.matches(m), w.value()) {
            (Ok(b), Value::Bool(wb)) if b == *wb => {}
            (Err(e), Value::Object(o)) if o.contains_key("error") => compare_filter_error(
                e.python_exception().name(),
                &e.to_string(),
                &w.field("error")?,
            )
            .map_err(|x| format!("metadata {i}: {x}"))?,
            (got, w) => return Err(format!("metadata {i}: {got:?}, LangChain {w}")),
        }
    }
    Ok(Status::Pass)
}
