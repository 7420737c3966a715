//! CPython's semantics that LangChain's behaviour depends on, for the Rust crates that
//! reproduce that behaviour.
//!
//! Over JSON values (`serde_json::Value`, read as Python's `json` module reads them:
//! `None`, `bool`, `int`, `float`, `str`, `list` and `dict`), what CPython 3.11 does for
//! the operators LangChain's metadata filters and error messages use:
//!
//! * [`type_name`]: the Python type name of a value (`NoneType`, `int`, `dict`, ...).
//! * [`eq`]: `a == b`; numbers compare by value across `bool`, `int` and `float`
//!   (`True == 1 == 1.0`), and exactly: an integer is compared with a float without
//!   rounding either of them.
//! * [`compare`]: `a < b` and the other [`OrderOp`]s; ordering works between numbers,
//!   between strings (code-point order) and between lists (lexicographically,
//!   recursively); any other pairing is a Python `TypeError`, returned as [`OrderError`].
//! * [`contains`]: `item in container`; against a list element equality, against a string
//!   a substring test (the left side must be a string), against a dict a key lookup (the
//!   left side must be hashable); anything else is a `TypeError`, returned as
//!   [`ContainsError`].
//! * [`is_hashable`] and [`hash_key`]: which values Python can hash, and a key under which
//!   hash-based containers (`frozenset`) find them.
//! * [`repr_str`], [`repr_float`], [`repr_value`]: `repr()` of a string, a float and a
//!   JSON value; [`repr_f32`], numpy's `repr()` of a `float32` value.
//! * [`PyException`]: the Python exception class of an error.
//!
//! Numbers that JSON writes without a fraction or exponent and that fit in 64 bits are
//! Python `int`s; every other number is a `float`, as Python's `json` module reads them.
//!
//! Over `str`, what the text splitters must reproduce:
//!
//! * [`is_python_whitespace`] and [`python_strip`]: `str.isspace()` and `str.strip()`.
//! * [`CodePointOffsets`]: `str.find()` positions counted in code points.

mod code_points;
mod equality;
mod exception;
mod hash;
mod membership;
mod number;
mod ordering;
mod repr;
mod type_name;
mod whitespace;

pub use code_points::CodePointOffsets;
pub use equality::eq;
pub use exception::PyException;
pub use hash::{hash_key, is_hashable, HashKey};
pub use membership::{contains, ContainsError};
pub use ordering::{compare, OrderError, OrderOp};
pub use repr::{repr_f32, repr_float, repr_str, repr_value};
pub use type_name::type_name;
pub use whitespace::{is_python_whitespace, python_strip};

/// The crate README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
