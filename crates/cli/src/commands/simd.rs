//! `ferrofaiss simd`: the SIMD tier the kernels run on and what the CPU supports.

use ferrofaiss::kernel;

use crate::error::{CliError, CliResult};

/// Runs `ferrofaiss simd`.
pub fn run() -> CliResult<()> {
    let f = kernel::cpu_features();
    // A tier request that cannot be honoured was refused before any command ran.
    let tier = kernel::active_tier().map_err(|e| CliError::new(e.to_string()))?;
    println!("active tier: {tier}");
    let tiers: Vec<&str> = f.supported_tiers().iter().map(|t| t.name()).collect();
    println!("supported tiers: {}", tiers.join(", "));
    println!(
        "cpu: avx2+fma={} avx512f={} f16c={} neon={}",
        f.avx2_fma, f.avx512f, f.f16c, f.neon
    );
    println!(
        "environment: FAISS_NO_AVX2={} FERROFAISS_SIMD={}",
        std::env::var_os("FAISS_NO_AVX2").is_some(),
        std::env::var("FERROFAISS_SIMD").unwrap_or_else(|_| "(unset)".into())
    );
    Ok(())
}
