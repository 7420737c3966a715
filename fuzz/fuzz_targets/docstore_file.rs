//! Our `index.docstore` file: the framing (magic, version, length, checksum) and the
//! MessagePack payload behind it. Each input is read twice: as a whole file, and as a
//! payload framed with a valid header (a fuzzer cannot forge the checksum). A store
//! that loads serializes and deserializes to the same documents.
#![no_main]

use std::sync::Arc;

use ferrofaiss::embeddings::FakeEmbeddings;
use ferrofaiss::{FaissStore, LoadOptions};
use ferrofaiss_store::__fuzz::{frame_docstore_payload, load_docstore_file};
use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8]) {
    let Ok(store) = load_docstore_file(bytes) else {
        return;
    };
    let buffer = store
        .serialize_to_bytes()
        .expect("a loaded store serializes");
    let back = FaissStore::deserialize_from_bytes(
        &buffer,
        Arc::new(FakeEmbeddings::new()),
        &LoadOptions::new().allow_other_embedder(true),
    )
    .expect("serialized bytes deserialize");
    assert_eq!(back.index_to_docstore_id(), store.index_to_docstore_id());
    assert!(
        back.docstore().iter().eq(store.docstore().iter()),
        "documents changed in a serialize/deserialize round trip"
    );
}

fuzz_target!(|data: &[u8]| {
    check(data);
    check(&frame_docstore_payload(data));
});
