//! The Python exception classes LangChain raises.

use std::fmt;

/// The Python exception class LangChain raises for an error, so that callers and tests can
/// map a Rust error to the `{type, message}` pairs recorded from LangChain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PyException {
    /// `ValueError`
    ValueError,
    /// `TypeError`
    TypeError,
    /// `AttributeError`
    AttributeError,
    /// `KeyError`
    KeyError,
}

impl PyException {
    /// The class name as Python prints it, e.g. `"ValueError"`.
    pub fn name(self) -> &'static str {
        match self {
            PyException::ValueError => "ValueError",
            PyException::TypeError => "TypeError",
            PyException::AttributeError => "AttributeError",
            PyException::KeyError => "KeyError",
        }
    }
}

impl fmt::Display for PyException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
