//! LangChain dict filters: JSON text compiled into a `FilterExpr`, then evaluated.
//! The input is parsed as filter JSON as it stands, and, when it is a JSON array, its
//! first element is compiled and evaluated on every later element that is an object
//! (the metadata of a document).
#![no_main]

use ferrofaiss_docstore::Filter;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Filter::parse(text);
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let Some((filter, documents)) = items.split_first() else {
        return;
    };
    let Ok(filter) = Filter::from_json(filter) else {
        return;
    };
    let _ = format!("{filter:?}");
    for metadata in documents.iter().filter_map(Value::as_object) {
        let _ = filter.matches(metadata);
    }
});
