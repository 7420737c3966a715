//! What the fuzz targets in `fuzz/` call (re-exported as `ferrofaiss_store::__fuzz`). Not part
//! of the API: these wrap private readers so they can be fuzzed one by one.

use std::path::Path;
use std::sync::Arc;

use ferrofaiss_docstore::InMemoryDocstore;
use ferrofaiss_embeddings::FakeEmbeddings;
use ferrofaiss_index::{FlatIndex, MetricType};
use serde_json::Value;

use super::container::encode;
use super::format::{DOCSTORE_MAGIC, DOCSTORE_VERSION};
use super::{decode_docstore, langchain, pickle, LoadOptions};
use crate::error::{PersistError, StoreError};
use crate::store::FaissStore;

/// The name errors give the fuzzed input.
const FUZZ_PATH: &str = "<fuzz>";

/// Frames `payload` as a docstore file (magic, version, length and checksum), so a
/// fuzzer's bytes reach the payload decoder instead of stopping at the checksum.
pub fn frame_docstore_payload(payload: &[u8]) -> Vec<u8> {
    encode(DOCSTORE_MAGIC, DOCSTORE_VERSION, payload)
}

/// Reads `bytes` as a docstore file and builds the store `load_local` would, with every
/// check made after the two files are read. The Faiss file is not read: the index is
/// a one-dimensional flat index with one row per entry of the saved id map (which the
/// saved Faiss checksum is not compared with), and the embedder is
/// [`FakeEmbeddings`], accepted whatever name was saved.
pub fn load_docstore_file(bytes: &[u8]) -> Result<FaissStore, StoreError> {
    let path = Path::new(FUZZ_PATH);
    let saved = decode_docstore(path, bytes)?;
    let rows = saved.index_to_docstore_id.len();
    let index = FlatIndex::from_vectors(1, MetricType::L2, vec![0.0; rows])?;
    let opts = LoadOptions::new().allow_other_embedder(true);
    FaissStore::from_saved(
        saved,
        Box::new(index),
        path,
        Arc::new(FakeEmbeddings::new()),
        &opts,
    )
}

/// Decodes a pickle with the safe reader and converts the whole value to JSON as
/// metadata values are converted (`Err` with the reader's or the converter's message).
pub fn pickle_to_json(bytes: &[u8]) -> Result<Value, String> {
    let pickle = pickle::parse(bytes)?;
    let mut budget = bytes.len().saturating_add(1024);
    langchain::to_json(&pickle, &pickle.root, 0, &mut budget)
}

/// Reads the bytes of a LangChain `index.pkl` into our docstore and row-to-id map.
pub fn read_langchain_pickle(
    bytes: &[u8],
) -> Result<(InMemoryDocstore, Vec<String>), PersistError> {
    langchain::read_langchain_pickle(Path::new(FUZZ_PATH), bytes)
}
