//! [`crate::dot_f64::dot_f64`]'s loop with full-width widening: eight floats of each
//! input converted to f64 at once (one `vcvtps2pd zmm` on AVX-512, two `ymm` on AVX2)
//! instead of the two at a time the compiler picks for the generic body, and one fused
//! multiply-add per step. Accumulator lane `j` adds the same products in the same
//! order as the generic loop's `acc[j]`, and the sum ends in [`finish`]: the same bits
//! on every tier. (The fused step rounds once where the generic one rounds the product
//! and then the sum; the product of two f32 is exact in f64, so both round only the
//! sum.)
//!
//! The loop is written once over [`F64x8`], which each x86 tier implements.

use core::arch::x86_64::*;

use crate::dot_f64::{finish, LANES};

/// Eight f64 accumulator lanes as an x86 tier holds them. Implementors are
/// zero-sized tokens, made only inside functions compiled with the tier's features.
trait F64x8: Copy {
    /// The accumulator of eight lanes.
    type Acc: Copy;
    /// All lanes zero.
    fn zero(self) -> Self::Acc;
    /// `acc[j] + f64(a[j]) * f64(b[j])` for `j < 8`.
    ///
    /// # Safety
    /// `a..a + 8` and `b..b + 8` must be readable.
    unsafe fn step(self, acc: Self::Acc, a: *const f32, b: *const f32) -> Self::Acc;
    /// The lanes, in order.
    fn lanes(self, acc: Self::Acc) -> [f64; LANES];
}

/// The AVX-512F token: one `__m512d` accumulator.
#[derive(Clone, Copy)]
struct Zmm(());

impl F64x8 for Zmm {
    type Acc = __m512d;
    #[inline(always)]
    fn zero(self) -> __m512d {
        // SAFETY: the token is made only where the CPU has AVX-512F.
        unsafe { _mm512_setzero_pd() }
    }
    #[inline(always)]
    unsafe fn step(self, acc: __m512d, a: *const f32, b: *const f32) -> __m512d {
        // SAFETY: AVX-512F by the token; the caller guarantees 8 readable floats at each.
        unsafe {
            let x = _mm512_cvtps_pd(_mm256_loadu_ps(a));
            let y = _mm512_cvtps_pd(_mm256_loadu_ps(b));
            _mm512_fmadd_pd(x, y, acc)
        }
    }
    #[inline(always)]
    fn lanes(self, acc: __m512d) -> [f64; LANES] {
        let mut out = [0.0f64; LANES];
        // SAFETY: AVX-512F by the token; `out` holds the 8 values stored.
        unsafe { _mm512_storeu_pd(out.as_mut_ptr(), acc) };
        out
    }
}

/// The AVX2 + FMA token: two `__m256d` accumulators, lanes 0-3 and 4-7.
#[derive(Clone, Copy)]
struct Ymm(());

impl F64x8 for Ymm {
    type Acc = [__m256d; 2];
    #[inline(always)]
    fn zero(self) -> [__m256d; 2] {
        // SAFETY: the token is made only where the CPU has AVX2 and FMA.
        unsafe { [_mm256_setzero_pd(); 2] }
    }
    #[inline(always)]
    unsafe fn step(self, acc: [__m256d; 2], a: *const f32, b: *const f32) -> [__m256d; 2] {
        // SAFETY: AVX2 and FMA by the token; the caller guarantees 8 readable floats at
        // each.
        unsafe {
            let (x, y) = (_mm256_loadu_ps(a), _mm256_loadu_ps(b));
            let lo = |v: __m256| _mm256_cvtps_pd(_mm256_castps256_ps128(v));
            let hi = |v: __m256| _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v));
            [
                _mm256_fmadd_pd(lo(x), lo(y), acc[0]),
                _mm256_fmadd_pd(hi(x), hi(y), acc[1]),
            ]
        }
    }
    #[inline(always)]
    fn lanes(self, acc: [__m256d; 2]) -> [f64; LANES] {
        let mut out = [0.0f64; LANES];
        // SAFETY: AVX by the token; `out` holds the 4 + 4 values stored.
        unsafe {
            _mm256_storeu_pd(out.as_mut_ptr(), acc[0]);
            _mm256_storeu_pd(out.as_mut_ptr().add(4), acc[1]);
        }
        out
    }
}

/// `sum a[i] * b[i]` over `n = min(len)`, in [`crate::dot_f64::dot_f64`]'s order.
#[inline(always)]
fn dot<T: F64x8>(t: T, a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let body = n - n % LANES;
    let mut acc = t.zero();
    for i in (0..body).step_by(LANES) {
        // SAFETY: `i + 8 <= body <= n`, within both slices.
        acc = unsafe { t.step(acc, a.as_ptr().add(i), b.as_ptr().add(i)) };
    }
    finish(t.lanes(acc), &a[body..n], &b[body..n])
}

/// [`crate::dot_f64::dot_f64`] on AVX-512F.
#[target_feature(enable = "avx512f")]
pub(crate) fn dot_f64_avx512(a: &[f32], b: &[f32]) -> f64 {
    // The token: this function is compiled with AVX-512F and only reachable through
    // the AVX-512 table, handed out after checking the CPU.
    dot(Zmm(()), a, b)
}

/// [`crate::dot_f64::dot_f64`] on AVX2 + FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) fn dot_f64_avx2(a: &[f32], b: &[f32]) -> f64 {
    // The token: this function is compiled with AVX2 and FMA and only reachable
    // through the AVX2 tables, handed out after checking the CPU.
    dot(Ymm(()), a, b)
}
