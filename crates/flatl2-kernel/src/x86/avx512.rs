//! The AVX-512F tier: 512-bit lanes (16 floats), masked tails, software prefetch 2048
//! floats ahead, a 12-row x 32-query register tile for many-to-many, and the two-query
//! scan (32 vector registers hold both queries' accumulators).
//!
//! The algorithms are written once over `crate::lanes::Lanes`; this file gives the
//! tier's intrinsics and instantiates them in the [`AVX512`] table, which
//! [`crate::dispatch::table_for`] hands out after checking the CPU (AVX-512F, and the
//! AVX2, FMA and F16C that every AVX-512 CPU has).

use core::arch::x86_64::*;

use half::f16;

use crate::lanes::simd_tier;

/// `[sum(a), sum(b), sum(c), sum(d)]`.
#[inline(always)]
unsafe fn sum4(a: __m512, b: __m512, c: __m512, d: __m512) -> [f32; 4] {
    // SAFETY: the caller holds the token, proof of AVX-512F; no memory is touched
    // here.
    unsafe {
        // Within each 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3], same for c, d.
        let ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
        let cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
        // Within each 128-bit lane: [a, b, c, d] partial sums.
        let (ab, cd) = (_mm512_castps_pd(ab), _mm512_castps_pd(cd));
        let lo = _mm512_castpd_ps(_mm512_unpacklo_pd(ab, cd));
        let hi = _mm512_castpd_ps(_mm512_unpackhi_pd(ab, cd));
        let abcd = _mm512_add_ps(lo, hi);
        // Add the four 128-bit lanes.
        let swapped = _mm512_shuffle_f32x4::<0b01_00_11_10>(abcd, abcd);
        let half = _mm512_castps512_ps256(_mm512_add_ps(abcd, swapped));
        super::add_halves(half)
    }
}

/// Lanes of `a` below those of `b` (ordered: false for NaN), as bits.
#[inline(always)]
unsafe fn lt_bits(a: __m512, b: __m512) -> u32 {
    // SAFETY: the caller holds the token, proof of AVX-512F; no memory is touched.
    unsafe { u32::from(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b)) }
}

/// Lanes of `a` above those of `b` (ordered: false for NaN), as bits.
#[inline(always)]
unsafe fn gt_bits(a: __m512, b: __m512) -> u32 {
    // SAFETY: the caller holds the token, proof of AVX-512F; no memory is touched.
    unsafe { u32::from(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, b)) }
}

/// `x` in the lanes where `a < b` (ordered: not where either is NaN), `y` elsewhere.
#[inline(always)]
unsafe fn blend_lt(a: __m512, b: __m512, x: __m512, y: __m512) -> __m512 {
    // SAFETY: the caller holds the token, proof of AVX-512F; no memory is touched.
    unsafe { _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b), y, x) }
}

/// The first `n < 16` floats at `p`, zero elsewhere: a masked load, which neither reads
/// nor faults on the masked-off lanes.
#[inline(always)]
unsafe fn load_part(p: *const f32, n: usize) -> __m512 {
    // SAFETY: the caller holds the token, proof of AVX-512F;
    // the caller guarantees lanes 0 .. n readable, and the mask covers only those.
    unsafe { _mm512_maskz_loadu_ps(((1u32 << n) - 1) as __mmask16, p) }
}

/// 16 halves at `p`, widened (`vcvtph2ps` is AVX-512F).
#[inline(always)]
unsafe fn load_f16(p: *const f16) -> __m512 {
    // SAFETY: the caller holds the token, proof of AVX-512F; the caller
    // guarantees 16 readable halves.
    unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i)) }
}

/// 16 bytes at `p`, widened to floats.
#[inline(always)]
unsafe fn load_u8(p: *const u8) -> __m512 {
    // SAFETY: the caller holds the token, proof of AVX-512F; the caller guarantees 16
    // readable bytes.
    unsafe { _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(p as *const __m128i))) }
}

simd_tier! {
    /// The AVX-512F kernel table. Only [`crate::dispatch::table_for`] may hand it out,
    /// and only after checking the CPU.
    table AVX512, token Avx512, tier Avx512, features "avx512f", vector __m512 of 16,
    prefetch 2048, stream prefetch 1024, tile rows 12, two-query scan yes, top-1 fused, f16 native "avx512f";
    splat _mm512_set1_ps, add _mm512_add_ps, sub _mm512_sub_ps, fmadd _mm512_fmadd_ps,
    max _mm512_max_ps, sum _mm512_reduce_add_ps, sum4 sum4, lt_bits lt_bits, gt_bits gt_bits, blend_lt blend_lt,
    load _mm512_loadu_ps, load_part load_part, store _mm512_storeu_ps, load_u8 load_u8, dot_f64 crate::x86::dot_f64::dot_f64_avx512,
    dot_u8 crate::x86::int_dot::dot_ny,
    load_f16 load_f16;
}
