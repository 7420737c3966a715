//! Choosing the kernel table: the table for a tier is only handed out after the CPU has
//! been checked for it, which is what makes calling a `#[target_feature]` kernel sound.
//!
//! Each tier module provides safe functions with the same signatures as the scalar
//! tier's and a [`Kernels`] table of them (see `table`).

use crate::error::KernelError;
use crate::simd_tier::SimdTier;
use crate::table::Kernels;
use crate::tile::SCALAR_TILE;
use crate::{portable, scalar, tier};

pub(crate) static SCALAR: Kernels = Kernels {
    tier: SimdTier::Scalar,
    l2_sqr: scalar::l2_sqr,
    inner_product: scalar::inner_product,
    inner_product_f64: crate::dot_f64::dot_f64,
    row_norm: scalar::norm_sqr,
    l2_sqr_x4: None,
    inner_product_x4: None,
    l2_sqr_ny: scalar::l2_sqr_ny,
    inner_product_ny: scalar::inner_product_ny,
    l2_sqr_ny2: None,
    inner_product_ny2: None,
    l2_sqr_ny_f16: scalar::l2_sqr_ny_f16,
    inner_product_ny_f16: scalar::inner_product_ny_f16,
    l2_sqr_ny_u8: scalar::l2_sqr_ny_u8,
    inner_product_ny_u8: scalar::inner_product_ny_u8,
    dot_ny_u8: crate::int_dot::dot_ny,
    tile: SCALAR_TILE,
};

/// The table for `tier`, if this build has one and the CPU supports it.
pub(crate) fn table_for(tier: SimdTier) -> Result<&'static Kernels, KernelError> {
    if !tier.is_supported() {
        return Err(KernelError::UnsupportedTier(tier));
    }
    let features = tier::cpu_features();
    match tier {
        SimdTier::Scalar => Ok(&SCALAR),
        SimdTier::Portable => Ok(&portable::PORTABLE),
        // The AVX-512 kernels may use the AVX2/FMA/F16C instructions that `avx512f`
        // implies, so all are checked (every AVX-512 CPU has them).
        #[cfg(target_arch = "x86_64")]
        SimdTier::Avx512 if features.avx512f && features.avx2_fma && features.f16c => {
            Ok(&crate::x86::avx512::AVX512)
        }
        #[cfg(target_arch = "x86_64")]
        SimdTier::Avx2 if features.avx2_fma => Ok(if features.f16c {
            &crate::x86::avx2::AVX2
        } else {
            &crate::x86::avx2::AVX2_NO_F16C
        }),
        #[cfg(target_arch = "aarch64")]
        SimdTier::Neon if features.neon => Ok(&crate::aarch64::neon::NEON),
        _ => {
            let _ = features;
            Err(KernelError::UnsupportedTier(tier))
        }
    }
}
