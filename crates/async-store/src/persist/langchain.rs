//! Reading LangChain's `index.pkl` (`(InMemoryDocstore, index_to_docstore_id)`) into
//! our docstore and row-to-id map, through the safe reader of [`super::pickle`].

use std::path::Path;

use ferrofaiss_docstore::{Document, InMemoryDocstore, Metadata};
use serde_json::Value;

use super::container::corrupt;
use super::pickle::{parse, PickleValue};
use crate::error::PersistError;

/// Deepest nesting of metadata values converted (guards against cyclic pickles).
const MAX_DEPTH: usize = 64;

/// The docstore and row-to-id map of a LangChain `index.pkl`.
pub(crate) fn read_langchain_pickle(
    path: &Path,
    bytes: &[u8],
) -> Result<(InMemoryDocstore, Vec<String>), PersistError> {
    let bad = |reason: &str| corrupt(path, &format!("not a LangChain FAISS pickle: {reason}"));
    let pickle = parse(bytes).map_err(|e| corrupt(path, &e))?;
    let PickleValue::Tuple(parts) = pickle.root() else {
        return Err(bad("the top level is not a tuple"));
    };
    let [docstore, mapping] = &parts[..] else {
        return Err(bad("the top level is not a pair"));
    };
    let is_docstore = matches!(docstore, PickleValue::Object(o)
        if o.borrow().class.as_ref().is_some_and(|(_, name)| name == "InMemoryDocstore"));
    if !is_docstore {
        return Err(bad("the docstore is not an InMemoryDocstore"));
    }
    let docs_dict = object_state(docstore)
        .and_then(|state| dict_get(&state, "_dict"))
        .ok_or_else(|| bad("no InMemoryDocstore with a _dict"))?;
    let PickleValue::Dict(entries) = docs_dict else {
        return Err(bad("_dict is not a dict"));
    };
    let mut pairs = Vec::new();
    for (key, doc) in entries.borrow().iter() {
        let PickleValue::Str(key) = key else {
            return Err(bad("a docstore key is not a string"));
        };
        let mut doc = document(doc).map_err(|e| bad(&e))?;
        // Legacy (pydantic v1) stores have no document ids; ours always match the key.
        doc.id.get_or_insert_with(|| key.to_string());
        pairs.push((key.to_string(), doc));
    }
    let docstore = InMemoryDocstore::from_pairs(pairs).map_err(|e| bad(&e.to_string()))?;
    let PickleValue::Dict(rows) = mapping else {
        return Err(bad("index_to_docstore_id is not a dict"));
    };
    let rows = rows.borrow();
    let mut map = vec![None; rows.len()];
    for (row, id) in rows.iter() {
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
fn object_state(v: &PickleValue) -> Option<PickleValue> {
    match v {
        PickleValue::Object(o) => o.borrow().state.clone(),
        _ => None,
    }
}

fn dict_get(dict: &PickleValue, key: &str) -> Option<PickleValue> {
    let PickleValue::Dict(d) = dict else {
        return None;
    };
    let d = d.borrow();
    d.iter()
        .find(|(k, _)| matches!(k, PickleValue::Str(s) if &**s == key))
        .map(|(_, v)| v.clone())
}

/// A pickled `Document` (pydantic v2 or v1 layout: both keep the fields in
/// `__dict__`). A legacy document without an id gets its docstore key as id.
fn document(v: &PickleValue) -> Result<Document, String> {
    let fields = object_state(v)
        .and_then(|s| dict_get(&s, "__dict__"))
        .ok_or("a document has no __dict__ state")?;
    let page_content = match dict_get(&fields, "page_content") {
        Some(PickleValue::Str(s)) => s.to_string(),
        _ => return Err("a document has no page_content string".into()),
    };
    let metadata = match dict_get(&fields, "metadata") {
        Some(m @ PickleValue::Dict(_)) => match to_json(&m, 0)? {
            Value::Object(map) => map,
            _ => Metadata::new(),
        },
        None | Some(PickleValue::None) => Metadata::new(),
        Some(_) => return Err("a document's metadata is not a dict".into()),
    };
    let id = match dict_get(&fields, "id") {
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
/// NaN, integers beyond 64 bits) are refused rather than silently changed.
pub(super) fn to_json(v: &PickleValue, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("metadata nested too deeply (or cyclic)".into());
    }
    Ok(match v {
        PickleValue::None => Value::Null,
        PickleValue::Bool(b) => Value::Bool(*b),
        PickleValue::Int(i) => Value::from(*i),
        PickleValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .ok_or("a metadata float is NaN or infinite")?,
        PickleValue::Str(s) => Value::String(s.to_string()),
        PickleValue::Tuple(items) => Value::Array(
            items
                .iter()
                .map(|x| to_json(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        PickleValue::List(items) => Value::Array(
            items
                .borrow()
                .iter()
                .map(|x| to_json(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        PickleValue::Dict(pairs) => {
            let mut map = Metadata::new();
            for (k, x) in pairs.borrow().iter() {
                let PickleValue::Str(k) = k else {
                    return Err("a metadata dict has a non-string key".into());
                };
                map.insert(k.to_string(), to_json(x, depth + 1)?);
            }
            Value::Object(map)
        }
        PickleValue::BigInt => return Err("a metadata integer exceeds 64 bits".into()),
        PickleValue::Bytes
        | PickleValue::Set(_)
        | PickleValue::Global(_)
        | PickleValue::Object(_) => {
            return Err("a metadata value is not JSON-like (bytes, set or object)".into())
        }
    })
}
