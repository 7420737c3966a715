//! `ferrofaiss simd`: the SIMD tier the kernels run on and what the CPU supports.

use ferrofaiss::kernel;

use crate::error::CliResult;

/// Runs `ferrofaiss simd`.
pub fn run() -> CliResult<()> {
    let f = kernel::cpu_features();
    println!("active tier: {}", kernel::active_tier());
    if let Err(e) = kernel::tier::requested_tier() {
        println!("requested tier rejected: {e}");
    }
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
