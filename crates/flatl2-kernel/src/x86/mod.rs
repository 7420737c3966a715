//! x86-64 tiers. Compiled only for x86-64; each table is handed out only after the CPU
//! has been checked for its instruction set.

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod dot_f64;
pub(crate) mod int_dot;
pub(crate) mod prefetch;

use core::arch::x86_64::{
    __m256, _mm256_castps256_ps128, _mm256_extractf128_ps, _mm_add_ps, _mm_storeu_ps,
};

/// The sum of the two 128-bit halves of `v`, as four floats: the last step of both x86
/// tiers' four-way horizontal sums.
///
/// # Safety
/// The CPU must have AVX.
#[inline(always)]
pub(crate) unsafe fn add_halves(v: __m256) -> [f32; 4] {
    let mut out = [0.0f32; 4];
    // SAFETY: the caller guarantees AVX; `out` holds the 4 floats stored.
    unsafe {
        let four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        _mm_storeu_ps(out.as_mut_ptr(), four);
    }
    out
}
