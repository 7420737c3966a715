//! Reading LangChain's `index.pkl` (`(InMemoryDocstore, index_to_docstore_id)`) into
//! our docstore and row-to-id map, through the safe reader of [`super::pickle`].

use std::path::Path;

use ferrofaiss_docstore::{Document, InMemoryDocstore, Metadata};
use serde_json::Value;

use super::container::corrupt;
use super::pickle::{parse, Container, Pickle, PickleValue};
use crate::error::PersistError;

/// Deepest nesting of metadata values converted (guards against cyclic pickles).
pub(super) const MAX_DEPTH: usize = 64;

/// The docstore and row-to-id map of a LangChain `index.pkl`.
pub(crate) fn read_langchain_pickle(
    path: &Path,
    bytes: &[u8],
) -> Result<(InMemoryDocstore, Vec<String>), PersistError> {
    let bad = |reason: &str| corrupt(path, &format!("not a LangChain FAISS pickle: {reason}"));
    let pickle = parse(bytes).map_err(|e| corrupt(path, &e))?;
    let Some(Container::Tuple(parts)) = pickle.get(&pickle.root) else {
        return Err(bad("the top level is not a tuple"));
    };
    let [docstore, mapping] = &parts[..] else {
        return Err(bad("the top level is not a pair"));
    };
    let is_docstore = matches!(pickle.get(docstore), Some(Container::Object { class: Some((_, name)), .. })
        if name == "InMemoryDocstore");
    if !is_docstore {
        return Err(bad("the docstore is not an InMemoryDocstore"));
    }
    let docs_dict = object_state(&pickle, docstore)
        .and_then(|state| dict_get(&pickle, state, "_dict"))
        .ok_or_else(|| bad("no InMemoryDocstore with a _dict"))?;
    let Some(Container::Dict(entries)) = pickle.get(docs_dict) else {
        return Err(bad("_dict is not a dict"));
    };
    // Shared references (the memo) can make a small file describe a huge tree; the
    // metadata converted from it may not hold more values than the file has bytes.
    let mut budget = bytes.len().saturating_add(1024);
    let mut pairs = Vec::new();
    for (key, doc) in entries {
        let PickleValue::Str(key) = key else {
            return Err(bad("a docstore key is not a string"));
        };
        let mut doc = document(&pickle, doc, &mut budget).map_err(|e| bad(&e))?;
        // Legacy (pydantic v1) stores have no document ids; ours always match the key.
        doc.id.get_or_insert_with(|| key.to_string());
        pairs.push((key.to_string(), doc));
    }
    let docstore = InMemoryDocstore::from_pairs(pairs).map_err(|e| bad(&e.to_string()))?;
    let Some(Container::Dict(rows)) = pickle.get(mapping) else {
        return Err(bad("index_to_docstore_id is not a dict"));
    };
    let mut map = vec![None; rows.len()];
    for (row, id) in rows {
        let (PickleValue::Int(row), PickleValue::Str(id)) = (row, id) else {
            return Err(bad("index_to_docstore_id must map int rows to str ids"));
        };
        let slot = usize::try_from(*row)
            .ok()
            .and_then(|r| map.get_mut(r))
            .ok_or_else(|| bad("index_to_docstore_id rows are not 0..n"))?;
        *slot = Some(id.to_string());
    }
    let map = map
        .into_iter()
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| bad("index_to_docstore_id rows are not 0..n"))?;
    Ok((docstore, map))
}

/// The state `BUILD` gave an object.
fn object_state<'p>(pickle: &'p Pickle, v: &PickleValue) -> Option<&'p PickleValue> {
    match pickle.get(v) {
        Some(Container::Object { state, .. }) => state.as_ref(),
        _ => None,
    }
}

fn dict_get<'p>(pickle: &'p Pickle, dict: &PickleValue, key: &str) -> Option<&'p PickleValue> {
    let Some(Container::Dict(d)) = pickle.get(dict) else {
        return None;
    };
    d.iter()
        .find(|(k, _)| matches!(k, PickleValue::Str(s) if &**s == key))
        .map(|(_, v)| v)
}

/// A pickled `Document` (pydantic v2 or v1 layout: both keep the fields in
/// `__dict__`). A legacy document without an id gets its docstore key as id.
fn document(pickle: &Pickle, v: &PickleValue, budget: &mut usize) -> Result<Document, String> {
    let fields = object_state(pickle, v)
        .and_then(|s| dict_get(pickle, s, "__dict__"))
        .ok_or("a document has no __dict__ state")?;
    let page_content = match dict_get(pickle, fields, "page_content") {
        Some(PickleValue::Str(s)) => s.to_string(),
        _ => return Err("a document has no page_content string".into()),
    };
    let metadata = match dict_get(pickle, fields, "metadata") {
        None | Some(PickleValue::None) => Metadata::new(),
        Some(m) if matches!(pickle.get(m), Some(Container::Dict(_))) => {
            match to_json(pickle, m, 0, budget)? {
                Value::Object(map) => map,
                _ => Metadata::new(),
            }
        }
        Some(_) => return Err("a document's metadata is not a dict".into()),
    };
    let id = match dict_get(pickle, fields, "id") {
        Some(PickleValue::Str(s)) => Some(s.to_string()),
        _ => None,
    };
    Ok(Document {
        id,
        page_content,
        metadata,
    })
}

/// Converts a metadata value to JSON; values JSON cannot hold (bytes, sets, objects,
/// NaN, integers beyond 64 bits) are refused rather than silently changed. Each value
/// converted spends one unit of `budget`.
pub(super) fn to_json(
    pickle: &Pickle,
    v: &PickleValue,
    depth: usize,
    budget: &mut usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("metadata nested too deeply (or cyclic)".into());
    }
    *budget = budget
        .checked_sub(1)
        .ok_or("metadata expands to more values than the file has bytes (shared references)")?;
    let array = |items: &[PickleValue], budget: &mut usize| -> Result<Value, String> {
        Ok(Value::Array(
            items
                .iter()
                .map(|x| to_json(pickle, x, depth + 1, budget))
                .collect::<Result<_, _>>()?,
        ))
    };
    Ok(match v {
        PickleValue::None => Value::Null,
        PickleValue::Bool(b) => Value::Bool(*b),
        PickleValue::Int(i) => Value::from(*i),
        PickleValue::UInt(u) => Value::from(*u),
        PickleValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or("a metadata float is NaN or infinite")?,
        PickleValue::Str(s) => Value::String(s.to_string()),
        PickleValue::BigInt => return Err("a metadata integer exceeds 64 bits".into()),
        PickleValue::Bytes | PickleValue::Global(_) => {
            return Err("a metadata value is not JSON-like (bytes, set or object)".into())
        }
        PickleValue::Ref(_) => match pickle.get(v) {
            Some(Container::Tuple(items) | Container::List(items)) => array(items, budget)?,
            Some(Container::Dict(pairs)) => {
                let mut map = Metadata::new();
                for (k, x) in pairs {
                    let PickleValue::Str(k) = k else {
                        return Err("a metadata dict has a non-string key".into());
                    };
                    map.insert(k.to_string(), to_json(pickle, x, depth + 1, budget)?);
                }
                Value::Object(map)
            }
            Some(Container::Set(_) | Container::Object { .. }) | None => {
                return Err("a metadata value is not JSON-like (bytes, set or object)".into())
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists `L0 = []`, `L(i) = [L(i-1), L(i-1)]` for i up to `levels`: a few bytes
    /// per level, 2^levels values as a tree.
    fn doubling_dag(levels: u8) -> Vec<u8> {
        let mut p = vec![0x80, 4, b']', 0x94];
        for i in 1..=levels {
            p.extend_from_slice(&[b'(', b'h', i - 1, b'h', i - 1, b'l', 0x94]);
        }
        p.push(b'.');
        p
    }

    #[test]
    fn shared_references_cannot_blow_up_the_conversion() {
        let bytes = doubling_dag(40);
        let pickle = parse(&bytes).unwrap();
        let mut budget = bytes.len() + 1024;
        let err = to_json(&pickle, &pickle.root, 0, &mut budget).unwrap_err();
        assert!(err.contains("shared references"), "{err}");
        // A small DAG within the budget converts, each reference in full.
        let bytes = doubling_dag(3);
        let pickle = parse(&bytes).unwrap();
        let mut budget = bytes.len() + 1024;
        let json = to_json(&pickle, &pickle.root, 0, &mut budget).unwrap();
        assert_eq!(json.to_string(), "[[[[],[]],[[],[]]],[[[],[]],[[],[]]]]");
    }

    #[test]
    fn a_cyclic_list_is_refused_by_depth() {
        // EMPTY_LIST, MEMOIZE, BINGET 0, APPEND, STOP: a list holding itself.
        let bytes = [0x80, 4, b']', 0x94, b'h', 0, b'a', b'.'];
        let pickle = parse(&bytes).unwrap();
        let mut budget = usize::MAX;
        let err = to_json(&pickle, &pickle.root, 0, &mut budget).unwrap_err();
        assert!(err.contains("nested too deeply"), "{err}");
    }
}
