//! The NEON tier (aarch64): 128-bit lanes (4 floats), an 8-row x 8-query register tile
//! for many-to-many, no software prefetch.
//!
//! The f16 kernels come from the portable tier: widening f16 vectors in hardware needs
//! the `float16x4_t` intrinsics, which are not stable Rust yet.
//!
//! The algorithms are written once over `crate::lanes::Lanes`; this file gives the
//! tier's intrinsics and instantiates them in the [`NEON`] table, which
//! [`crate::dispatch::table_for`] hands out after checking the CPU.

use core::arch::aarch64::*;

use crate::lanes::simd_tier;

/// Bit `i` in lane `i`: ANDed with a comparison's all-ones lanes and summed, a bit mask.
static LANE_BITS: [u32; 4] = [1, 2, 4, 8];

/// `a * b + c`, fused, in `Lanes::fmadd`'s argument order.
#[inline(always)]
unsafe fn fma(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
    // SAFETY: the caller holds the token, proof of NEON; no memory is touched.
    unsafe { vfmaq_f32(c, a, b) }
}

/// x86 `maxps`: `a` where `a > b`, else `b` (NEON's own max returns NaN for NaN inputs
/// and orders -0.0 below 0.0; this keeps every tier's epilogue alike).
#[inline(always)]
unsafe fn maxps(a: float32x4_t, b: float32x4_t) -> float32x4_t {
    // SAFETY: the caller holds the token, proof of NEON; no memory is touched.
    unsafe { vbslq_f32(vcgtq_f32(a, b), a, b) }
}

/// `[sum(a), sum(b), sum(c), sum(d)]` by pairwise adds.
#[inline(always)]
unsafe fn sum4(a: float32x4_t, b: float32x4_t, c: float32x4_t, d: float32x4_t) -> [f32; 4] {
    let mut out = [0.0f32; 4];
    // SAFETY: the caller holds the token, proof of NEON; `out` holds the 4 floats stored.
    unsafe {
        vst1q_f32(
            out.as_mut_ptr(),
            vpaddq_f32(vpaddq_f32(a, b), vpaddq_f32(c, d)),
        )
    };
    out
}

/// The bit mask of a comparison's lanes.
#[inline(always)]
unsafe fn bits(c: uint32x4_t) -> u32 {
    // SAFETY: the caller holds the token, proof of NEON; `LANE_BITS` holds the 4 values
    // loaded.
    unsafe { vaddvq_u32(vandq_u32(c, vld1q_u32(LANE_BITS.as_ptr()))) }
}

/// Lanes of `a` below those of `b` (false for NaN), as bits.
#[inline(always)]
unsafe fn lt_bits(a: float32x4_t, b: float32x4_t) -> u32 {
    // SAFETY: the caller holds the token, proof of NEON, all `bits` needs.
    unsafe { bits(vcltq_f32(a, b)) }
}

/// Lanes of `a` above those of `b` (false for NaN), as bits.
#[inline(always)]
unsafe fn gt_bits(a: float32x4_t, b: float32x4_t) -> u32 {
    // SAFETY: the caller holds the token, proof of NEON, all `bits` needs.
    unsafe { bits(vcgtq_f32(a, b)) }
}

/// `x` in the lanes where `a < b` (false for NaN), `y` elsewhere.
#[inline(always)]
unsafe fn blend_lt(a: float32x4_t, b: float32x4_t, x: float32x4_t, y: float32x4_t) -> float32x4_t {
    // SAFETY: the caller holds the token, proof of NEON; no memory is touched.
    unsafe { vbslq_f32(vcltq_f32(a, b), x, y) }
}

/// The first `n < 4` floats at `p`, zero elsewhere, through a buffer (NEON has no masked
/// load).
#[inline(always)]
unsafe fn load_part(p: *const f32, n: usize) -> float32x4_t {
    let mut buf = [0.0f32; 4];
    // SAFETY: the caller holds the token, proof of NEON, and guarantees `p .. p + n`
    // readable; n < 4 = `buf`'s length, and the load reads `buf`'s 4 floats.
    unsafe {
        // A byte copy: `p` may be unaligned (rows read in place from a mapped file).
        core::ptr::copy_nonoverlapping(p.cast::<u8>(), buf.as_mut_ptr().cast::<u8>(), 4 * n);
        vld1q_f32(buf.as_ptr())
    }
}

/// 4 bytes at `p`, widened to floats.
#[inline(always)]
unsafe fn load_u8(p: *const u8) -> float32x4_t {
    // SAFETY: the caller holds the token, proof of NEON, and guarantees 4 readable
    // bytes, the u32 read here (unaligned).
    unsafe {
        let word = core::ptr::read_unaligned(p as *const u32);
        let bytes = vreinterpret_u8_u32(vdup_n_u32(word));
        vcvtq_f32_u32(vmovl_u16(vget_low_u16(vmovl_u8(bytes))))
    }
}

simd_tier! {
    /// The NEON kernel table (checked by [`crate::dispatch::table_for`]).
    table NEON, token Neon, tier Neon, features "neon", vector float32x4_t of 4, prefetch 0,
    stream prefetch 0, tile rows 8, two-query scan no, top-1 plain, f16 portable;
    splat vdupq_n_f32, add vaddq_f32, sub vsubq_f32, fmadd fma, max maxps, sum vaddvq_f32,
    sum4 sum4, lt_bits lt_bits, gt_bits gt_bits, blend_lt blend_lt, load vld1q_f32, load_part load_part,
    store vst1q_f32, load_u8 load_u8, dot_f64 crate::dot_f64::dot_f64, dot_u8 crate::int_dot::dot_ny;
}
