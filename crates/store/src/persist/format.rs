//! The docstore file (`<index_name>.docstore`) and the single-buffer form of a store:
//! what they hold and how they are encoded (MessagePack via rmp-serde inside our
//! framing, see [`super::container`]).

use ferrofaiss_docstore::Document;
use serde::{Deserialize, Serialize};

/// Magic bytes of a docstore file.
pub(crate) const DOCSTORE_MAGIC: &[u8; 8] = b"FFDOCST\0";
/// Magic bytes of a store serialized into one buffer.
pub(crate) const BYTES_MAGIC: &[u8; 8] = b"FFSTORE\0";
/// The docstore format version written (and the newest read). Version 2 pairs the
/// docstore with its index file by XXH3-64 instead of version 1's FNV-1a 64 (one byte
/// per multiply: 0.7 s of a 512 MB index's load); both are read.
pub(crate) const DOCSTORE_VERSION: u32 = 2;
/// The single-buffer format version written (and the newest read).
pub(crate) const BYTES_VERSION: u32 = 1;

/// Everything of a store except its vectors, which live in the native Faiss file.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SavedDocstore {
    /// LangChain's name of the distance strategy (LangChain does not save it).
    pub(crate) distance_strategy: String,
    /// Whether vectors are L2-normalized (LangChain does not save it).
    pub(crate) normalize_l2: bool,
    /// The name of the embedder that built the store.
    pub(crate) embedder: String,
    /// The factory string new indexes of this store are built from.
    pub(crate) index_factory: String,
    /// Length of the Faiss file this docstore belongs with.
    pub(crate) faiss_len: u64,
    /// Checksum of the Faiss file this docstore belongs with (see
    /// `container::index_checksum`), so a mismatched pair (e.g. files from two
    /// different saves) is detected.
    pub(crate) faiss_checksum: u64,
    /// Document id of each index row.
    pub(crate) index_to_docstore_id: Vec<String>,
    /// The documents, in docstore (insertion) order.
    pub(crate) documents: Vec<Document>,
    /// The format version of the file this record came from (not stored in the
    /// record: the file's header holds it); it says how `faiss_checksum` was taken.
    #[serde(skip)]
    pub(crate) version: u32,
}
