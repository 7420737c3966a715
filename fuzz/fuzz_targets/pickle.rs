//! The safe pickle reader (LangChain's `index.pkl`) and its conversion to JSON: any
//! bytes end in a value or an error, never a panic, a leak or an allocation out of
//! proportion to the input.
#![no_main]

use ferrofaiss_store::__fuzz::{pickle_to_json, read_langchain_pickle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = pickle_to_json(data) {
        serde_json::to_string(&value).expect("converted JSON serializes");
    }
    if let Ok((docstore, map)) = read_langchain_pickle(data) {
        for id in &map {
            let _ = docstore.get(id);
        }
    }
});
