//! aarch64 tiers. Compiled only for aarch64; the table is handed out only after the CPU
//! has been checked for NEON.

pub(crate) mod neon;
