//! x86-64 tiers. Compiled only for x86-64; each table is handed out only after the CPU
//! has been checked for its instruction set.

pub(crate) mod avx2;
pub(crate) mod avx512;
mod prefetch;
