//! Errors of metadata filters: those found while compiling a dict filter
//! ([`FilterError`]) and those raised while evaluating it on one document's metadata
//! ([`FilterEvalError`]).
//!
//! The split follows LangChain: a malformed filter fails before any document is looked
//! at, while Python's `TypeError`s from comparing incomparable values only fire when a
//! document's value makes them fire.

use ferrofaiss_cpython::{ContainsError, OrderError, PyException};

/// A dict filter that LangChain refuses to compile.
///
/// `Display` gives LangChain's message verbatim (for every variant but
/// [`FilterError::InvalidJson`], which has no LangChain counterpart);
/// [`FilterError::python_exception`] gives the Python exception class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The filter is not a dict (a JSON object). Python: `ValueError`.
    #[error("filter must be a dict of metadata or a callable, not <class '{type_name}'>")]
    NotADict {
        /// The Python type name of what was given (`list`, `str`, `int`, ...).
        type_name: &'static str,
    },
    /// A `$`-key at the top level that is not one of the eleven operators, or any key of
    /// a field's operator dict that is not one of the eight comparison/sequence
    /// operators. Python: `ValueError`.
    #[error("filter contains unsupported operator: {op}")]
    UnsupportedOperator {
        /// The offending key, as written.
        op: String,
    },
    /// A sub-filter (an item of `$and`/`$or`, or the operand of `$not`) that is a list
    /// or a string: LangChain calls `.items()` on it. Python: `AttributeError`.
    #[error("'{type_name}' object has no attribute 'items'")]
    SubFilterNotADict {
        /// `list` or `str`.
        type_name: &'static str,
    },
    /// A sub-filter that is a number, a bool or null: LangChain's `"$and" in sub` fails.
    /// Python: `TypeError`.
    #[error("argument of type '{type_name}' is not iterable")]
    SubFilterNotAContainer {
        /// `int`, `float`, `bool` or `NoneType`.
        type_name: &'static str,
    },
    /// A sub-filter that is a string containing `$and`, `$or` or `$not`, or a list
    /// holding one of those strings: LangChain indexes it with that string.
    /// Python: `TypeError`.
    #[error("{}", indexed_by_string_message(type_name))]
    SubFilterIndexedByString {
        /// `str` or `list`.
        type_name: &'static str,
    },
    /// The operand of `$and`/`$or` is a number, a bool or null, which Python cannot
    /// iterate. Python: `TypeError`.
    #[error("'{type_name}' object is not iterable")]
    OperandNotIterable {
        /// `int`, `float`, `bool` or `NoneType`.
        type_name: &'static str,
    },
    /// A list condition longer than ten items holding a list or a dict: LangChain turns
    /// it into a `frozenset`. Python: `TypeError`.
    #[error("unhashable type: '{type_name}'")]
    UnhashableInList {
        /// `list` or `dict`.
        type_name: &'static str,
    },
    /// The filter text is not valid JSON (only from the string parsers). Python's
    /// `json.JSONDecodeError` is a `ValueError`.
    #[error("filter is not valid JSON: {0}")]
    InvalidJson(String),
}

fn indexed_by_string_message(type_name: &str) -> &'static str {
    if type_name == "list" {
        "list indices must be integers or slices, not str"
    } else {
        "string indices must be integers, not 'str'"
    }
}

impl FilterError {
    /// The Python exception LangChain raises for this error.
    pub fn python_exception(&self) -> PyException {
        match self {
            FilterError::NotADict { .. }
            | FilterError::UnsupportedOperator { .. }
            | FilterError::InvalidJson(_) => PyException::ValueError,
            FilterError::SubFilterNotADict { .. } => PyException::AttributeError,
            FilterError::SubFilterNotAContainer { .. }
            | FilterError::SubFilterIndexedByString { .. }
            | FilterError::OperandNotIterable { .. }
            | FilterError::UnhashableInList { .. } => PyException::TypeError,
        }
    }
}

/// A Python `TypeError` raised while evaluating a compiled filter on one document's
/// metadata. `Display` gives Python's message verbatim.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterEvalError {
    /// `$gt/$gte/$lt/$lte` between values that have no order (str vs number, None vs
    /// anything, dict vs anything, ...).
    #[error(transparent)]
    Order(#[from] OrderError),
    /// `$in/$nin` (or a long list condition) that Python cannot evaluate.
    #[error(transparent)]
    Contains(#[from] ContainsError),
}

impl FilterEvalError {
    /// The Python exception LangChain raises for this error (always `TypeError`).
    pub fn python_exception(&self) -> PyException {
        PyException::TypeError
    }
}
