//! The AVX2 + FMA tier: 256-bit lanes (8 floats), masked tails, software prefetch 512
//! floats ahead, a 6-row x 16-query register tile for many-to-many. The f16 kernels also
//! need F16C; CPUs without it get the portable f16 kernels ([`AVX2_NO_F16C`]). No
//! two-query scan: its accumulators would not fit in 16 vector registers.
//!
//! The algorithms are written once over `crate::lanes::Lanes`; this file gives the
//! tier's intrinsics and instantiates them in the [`AVX2`] / [`AVX2_NO_F16C`] tables,
//! which [`crate::dispatch::table_for`] hands out after checking the CPU.

use core::arch::x86_64::*;

use half::f16;

use crate::lanes::simd_tier;
use crate::portable;
use crate::table::Kernels;

/// `MASK_SOURCE[8 - r..16 - r]` has its first `r` lanes set.
static MASK_SOURCE: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// Sum of the lanes.
#[inline(always)]
unsafe fn sum(v: __m256) -> f32 {
    // SAFETY: the caller holds the token, proof of AVX2 and FMA; no memory is touched.
    unsafe {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s)))
    }
}

/// `[sum(a), sum(b), sum(c), sum(d)]`.
#[inline(always)]
unsafe fn sum4(a: __m256, b: __m256, c: __m256, d: __m256) -> [f32; 4] {
    // SAFETY: the caller holds the token, proof of AVX2 and FMA; no memory is touched
    // here.
    unsafe {
        let abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
        super::add_halves(abcd)
    }
}

/// Lanes of `a` below those of `b` (ordered: false for NaN), as bits.
#[inline(always)]
unsafe fn lt_bits(a: __m256, b: __m256) -> u32 {
    // SAFETY: the caller holds the token, proof of AVX2 and FMA; no memory is touched.
    unsafe { _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(a, b)) as u32 }
}

/// Lanes of `a` above those of `b` (ordered: false for NaN), as bits.
#[inline(always)]
unsafe fn gt_bits(a: __m256, b: __m256) -> u32 {
    // SAFETY: the caller holds the token, proof of AVX2 and FMA; no memory is touched.
    unsafe { _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(a, b)) as u32 }
}

/// The first `n < 8` floats at `p`, zero elsewhere: `maskload` neither reads nor faults
/// on the masked-off lanes.
#[inline(always)]
unsafe fn load_part(p: *const f32, n: usize) -> __m256 {
    let m = &MASK_SOURCE[8 - n..16 - n];
    // SAFETY: the caller holds the token, proof of AVX2 and FMA; `m` holds 8 i32 values;
    // the caller guarantees lanes 0 .. n readable, and the mask covers only those.
    unsafe { _mm256_maskload_ps(p, _mm256_loadu_si256(m.as_ptr() as *const __m256i)) }
}

/// `x` in the lanes where `a < b` (ordered: not where either is NaN), `y` elsewhere.
#[inline(always)]
unsafe fn blend_lt(a: __m256, b: __m256, x: __m256, y: __m256) -> __m256 {
    // SAFETY: the caller holds the token, proof of AVX2 and FMA; no memory is touched.
    unsafe { _mm256_blendv_ps(y, x, _mm256_cmp_ps::<_CMP_LT_OQ>(a, b)) }
}

/// 8 halves at `p`, widened (F16C).
#[inline(always)]
unsafe fn load_f16(p: *const f16) -> __m256 {
    // SAFETY: the caller holds the token, proof of AVX2 and FMA, and guarantees F16C and
    // 8 readable halves.
    unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i)) }
}

/// 8 bytes at `p`, widened to floats.
#[inline(always)]
unsafe fn load_u8(p: *const u8) -> __m256 {
    // SAFETY: the caller holds the token, proof of AVX2 and FMA; the caller guarantees 8
    // readable bytes, all `_mm_loadl_epi64` reads.
    unsafe { _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i))) }
}

simd_tier! {
    /// The AVX2 + FMA + F16C kernel table (checked by [`crate::dispatch::table_for`]).
    table AVX2, token Avx2, tier Avx2, features "avx2,fma", vector __m256 of 8, prefetch 512,
    stream prefetch 1024, tile rows 6, two-query scan no, top-1 fused, f16 native "avx2,fma,f16c";
    splat _mm256_set1_ps, add _mm256_add_ps, sub _mm256_sub_ps, fmadd _mm256_fmadd_ps,
    max _mm256_max_ps, sum sum, sum4 sum4, lt_bits lt_bits, gt_bits gt_bits, blend_lt blend_lt, load _mm256_loadu_ps,
    load_part load_part, store _mm256_storeu_ps, load_u8 load_u8, dot_f64 crate::x86::dot_f64::dot_f64_avx2,
    dot_u8 crate::x86::int_dot::dot_ny, load_f16 load_f16;
}

/// The AVX2 + FMA table for CPUs without F16C: the f16 kernels come from the portable
/// tier.
pub(crate) const AVX2_NO_F16C: Kernels = Kernels {
    l2_sqr_ny_f16: portable::l2_sqr_ny_f16,
    inner_product_ny_f16: portable::inner_product_ny_f16,
    ..AVX2
};
