//! SIMD tiers, CPU feature detection, and the environment switches that force a tier.
//!
//! The tier is detected once, on first use, and cached. `FAISS_NO_AVX2` (any value, as
//! Faiss reads it) moves off AVX to the portable tier; `FERROFAISS_SIMD` names a tier
//! explicitly and wins over `FAISS_NO_AVX2`.

use std::sync::OnceLock;

use crate::error::KernelError;
use crate::simd_tier::SimdTier;

impl SimdTier {
    /// Parses a tier name as `FERROFAISS_SIMD` accepts it (case-insensitive).
    pub fn parse(name: &str) -> Result<SimdTier, KernelError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Ok(SimdTier::Scalar),
            "portable" => Ok(SimdTier::Portable),
            "avx2" => Ok(SimdTier::Avx2),
            "avx512" | "avx512f" => Ok(SimdTier::Avx512),
            "neon" => Ok(SimdTier::Neon),
            _ => Err(KernelError::UnknownTier(name.to_string())),
        }
    }

    /// Whether this CPU (and this build's target architecture) can run the tier.
    pub fn is_supported(self) -> bool {
        match self {
            SimdTier::Scalar | SimdTier::Portable => true,
            SimdTier::Avx2 => cpu_features().avx2_fma,
            SimdTier::Avx512 => cpu_features().avx512f,
            SimdTier::Neon => cpu_features().neon,
        }
    }
}

/// What the CPU supports, as far as this crate's kernels care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuFeatures {
    /// AVX2 and FMA both present (x86-64).
    pub avx2_fma: bool,
    /// AVX-512 Foundation present (x86-64).
    pub avx512f: bool,
    /// F16C present (hardware half-float conversion, x86-64).
    pub f16c: bool,
    /// NEON (Advanced SIMD) present (aarch64).
    pub neon: bool,
}

impl CpuFeatures {
    fn detect() -> CpuFeatures {
        #[cfg(target_arch = "x86_64")]
        {
            CpuFeatures {
                avx2_fma: std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma"),
                avx512f: std::arch::is_x86_feature_detected!("avx512f"),
                f16c: std::arch::is_x86_feature_detected!("f16c"),
                neon: false,
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            CpuFeatures {
                neon: std::arch::is_aarch64_feature_detected!("neon"),
                ..CpuFeatures::default()
            }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            CpuFeatures::default()
        }
    }

    /// Tiers this CPU can run, best last.
    pub fn supported_tiers(&self) -> Vec<SimdTier> {
        SimdTier::ALL
            .into_iter()
            .filter(|t| t.is_supported())
            .collect()
    }
}

/// The CPU's features, detected once.
pub fn cpu_features() -> CpuFeatures {
    static FEATURES: OnceLock<CpuFeatures> = OnceLock::new();
    *FEATURES.get_or_init(CpuFeatures::detect)
}

/// The best tier this CPU supports, ignoring the environment.
pub fn best_supported_tier() -> SimdTier {
    let f = cpu_features();
    if f.avx512f && f.avx2_fma {
        SimdTier::Avx512
    } else if f.avx2_fma {
        SimdTier::Avx2
    } else if f.neon {
        SimdTier::Neon
    } else {
        SimdTier::Portable
    }
}

/// Chooses the tier from the environment values given (for testing without touching
/// the process environment): `ferrofaiss_simd` is `FERROFAISS_SIMD`, `faiss_no_avx2`
/// is whether `FAISS_NO_AVX2` is set.
pub fn choose_tier(
    ferrofaiss_simd: Option<&str>,
    faiss_no_avx2: bool,
) -> Result<SimdTier, KernelError> {
    if let Some(name) = ferrofaiss_simd.filter(|s| !s.trim().is_empty()) {
        let tier = SimdTier::parse(name)?;
        return if tier.is_supported() {
            Ok(tier)
        } else {
            Err(KernelError::UnsupportedTier(tier))
        };
    }
    if faiss_no_avx2 {
        return Ok(SimdTier::Portable);
    }
    Ok(best_supported_tier())
}

/// The tier the free functions of this crate use: the one the environment asks for,
/// or [`KernelError::UnsupportedTier`] / [`KernelError::UnknownTier`] when that
/// request cannot be honoured (the kernels then refuse to run rather than run another
/// tier). Read once and cached.
pub fn active_tier() -> Result<SimdTier, KernelError> {
    static REQUESTED: OnceLock<Result<SimdTier, KernelError>> = OnceLock::new();
    REQUESTED
        .get_or_init(|| {
            let simd = std::env::var("FERROFAISS_SIMD").ok();
            let no_avx2 = std::env::var_os("FAISS_NO_AVX2").is_some();
            choose_tier(simd.as_deref(), no_avx2)
        })
        .clone()
}
