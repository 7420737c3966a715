//! Errors of the in-memory docstore.

use ferrofaiss_cpython::{repr_str, PyException};

/// Why a docstore operation was refused. A refused operation changes nothing.
///
/// `Display` gives LangChain's message verbatim, except for
/// [`DocstoreError::CannotDelete`] (see [`DocstoreError::python_message`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocstoreError {
    /// No document under this id. LangChain's `search` returns this message as a string
    /// rather than raising; the FAISS store then raises
    /// `ValueError("Could not find document for id {id}, got ID {id} not found.")`.
    #[error("ID {id} not found.")]
    NotFound {
        /// The id looked up.
        id: String,
    },
    /// The same id twice in one batch to add. LangChain's FAISS store raises
    /// `ValueError` with this message before reaching its docstore.
    #[error("Duplicate ids found in the ids list.")]
    DuplicateInBatch {
        /// The first id that repeats.
        id: String,
    },
    /// Ids to add that the docstore already holds: `ValueError`. LangChain prints a
    /// Python set, whose order depends on string hashing; here the ids come in batch
    /// order.
    #[error("Tried to add ids that already exist: {}", set_repr(ids))]
    AlreadyExist {
        /// The ids already present, distinct, in batch order.
        ids: Vec<String>,
    },
    /// A delete where not one of the ids is present (an empty list included):
    /// `ValueError`, with the ids as given. The double space is LangChain's.
    #[error("Tried to delete ids that does not  exist: {}", list_repr(ids))]
    NoneExist {
        /// The ids as given.
        ids: Vec<String>,
    },
    /// A delete naming an absent id beside present ones, or repeating an id. LangChain
    /// raises `KeyError(id)` part-way through, after removing the ids before it; this
    /// docstore refuses the whole delete instead.
    #[error(
        "cannot delete id {}: it is absent or repeated in the list",
        repr_str(id)
    )]
    CannotDelete {
        /// The first id whose removal would fail.
        id: String,
    },
}

impl DocstoreError {
    /// The Python exception LangChain raises in this situation.
    pub fn python_exception(&self) -> PyException {
        match self {
            DocstoreError::CannotDelete { .. } => PyException::KeyError,
            _ => PyException::ValueError,
        }
    }

    /// LangChain's message: the `Display` text, except for
    /// [`DocstoreError::CannotDelete`], whose Python `KeyError` message is the id's repr
    /// (`'c'`).
    pub fn python_message(&self) -> String {
        match self {
            DocstoreError::CannotDelete { id } => repr_str(id),
            other => other.to_string(),
        }
    }
}

/// Python's repr of a set of strings (`set()` when empty).
fn set_repr(ids: &[String]) -> String {
    if ids.is_empty() {
        return "set()".to_owned();
    }
    let items: Vec<String> = ids.iter().map(|id| repr_str(id)).collect();
    format!("{{{}}}", items.join(", "))
}

/// Python's repr of a list of strings.
fn list_repr(ids: &[String]) -> String {
    let items: Vec<String> = ids.iter().map(|id| repr_str(id)).collect();
    format!("[{}]", items.join(", "))
}
