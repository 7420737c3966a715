//! One module per subcommand.

pub mod delete;
pub mod demo;
pub mod gpu;
pub mod index;
pub mod info;
pub mod merge;
pub mod search;
pub mod simd;
