//! The library side of the `ferrofaiss` program. **Not an API**: it holds the parts of
//! the program that its fuzz targets (the repository's `fuzz/` folder) call, hidden
//! from the docs and free to change in any release. Use the `ferrofaiss` crate instead.

#[doc(hidden)]
pub mod texmex;
