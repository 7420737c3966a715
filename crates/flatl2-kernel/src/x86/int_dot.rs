//! [`crate::int_dot::dot_ny`] for the x86 tiers (AVX2, and AVX-512F, which implies
//! it): four rows at a time, sixteen codes of each widened to 16 bits (`vpmovzxbw`)
//! and multiplied with the same sixteen weights into pairs of 32-bit sums
//! (`vpmaddwd`), the four rows' sums reduced together at the end. The compiler's
//! version of the generic loop takes one row at a time and pays a whole horizontal
//! sum per row. Integer sums are exact (a pair of products is at most `2 * 255 *
//! 32767`, within `i32`; the additions wrap as the generic loop's do), so the values
//! are the generic loop's.

use core::arch::x86_64::*;

/// Codes of a row (and weights) per step.
const STEP: usize = 16;

/// How far ahead of a quad's loads the scan hints the lines it will read, in bytes. On
/// an Intel Xeon host (AVX-512, 2026-12-07) a 1M x 128 SQ8 scan from DRAM ran 1.3-1.9x
/// as fast with it as without (8.0-8.4 against 12.6-15.2 ms), 2048 bytes ahead 1.4x slower
/// than 4096, 8192 about the same as 4096.
const INT_PREFETCH_BYTES: usize = 4096;

/// `acc + madd(codes[0..16], w)`, the codes widened to 16 bits.
///
/// # Safety
/// AVX2; the 16 bytes from `codes` readable.
#[inline(always)]
unsafe fn step(acc: __m256i, codes: *const u8, w: __m256i) -> __m256i {
    // SAFETY: the caller guarantees AVX2 and 16 readable bytes at `codes`.
    unsafe {
        let c = _mm256_cvtepu8_epi16(_mm_loadu_si128(codes as *const __m128i));
        _mm256_add_epi32(acc, _mm256_madd_epi16(c, w))
    }
}

/// The sums of the eight lanes of each of `a`, `b`, `c`, `d`.
///
/// # Safety
/// AVX2.
#[inline(always)]
unsafe fn sum4(a: __m256i, b: __m256i, c: __m256i, d: __m256i) -> [i32; 4] {
    let mut out = [0i32; 4];
    // SAFETY: the caller guarantees AVX2; `out` holds the 4 values stored.
    unsafe {
        let abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
        let four = _mm_add_epi32(
            _mm256_castsi256_si128(abcd),
            _mm256_extracti128_si256::<1>(abcd),
        );
        _mm_storeu_si128(out.as_mut_ptr() as *mut __m128i, four);
    }
    out
}

/// `out[r] = sum_j w[j] * rows[r * d + j]` for each of the `out.len()` rows, `d =
/// w.len()`: [`crate::int_dot::dot_ny`]'s contract and values.
///
/// # Safety
/// The CPU must have AVX2.
#[inline(always)]
pub(crate) unsafe fn dot_ny(w: &[i16], rows: &[u8], out: &mut [i32]) {
    let d = w.len();
    if d == 0 {
        out.fill(0);
        return;
    }
    let n = out.len().min(rows.len() / d);
    let whole = d / STEP * STEP;
    let quads = n / 4;
    let quad_rows = rows[..quads * 4 * d].chunks_exact(4 * d);
    for (o, quad) in out[..quads * 4].chunks_exact_mut(4).zip(quad_rows) {
        let base = quad.as_ptr();
        let mut acc = [0i32; 4];
        // SAFETY: AVX2 by the caller; every load reads codes `j .. j + 16` of one of
        // the four rows and weights `j .. j + 16`, with `j + 16 <= whole <= d`, inside
        // the quad's `4 d` codes and the `d` weights.
        unsafe {
            let z = _mm256_setzero_si256();
            let (mut a0, mut a1, mut a2, mut a3) = (z, z, z, z);
            let mut j = 0;
            while j < whole {
                // The quad's 4 d codes are contiguous: one line hint per step of 16
                // codes of each row covers as many bytes as the step reads, ahead.
                crate::x86::prefetch::prefetch_t0(base.wrapping_add(4 * j + INT_PREFETCH_BYTES));
                let wv = _mm256_loadu_si256(w.as_ptr().add(j) as *const __m256i);
                a0 = step(a0, base.add(j), wv);
                a1 = step(a1, base.add(d + j), wv);
                a2 = step(a2, base.add(2 * d + j), wv);
                a3 = step(a3, base.add(3 * d + j), wv);
                j += STEP;
            }
            if whole > 0 {
                acc = sum4(a0, a1, a2, a3);
            }
        }
        for ((o, sum), row) in o.iter_mut().zip(acc).zip(quad.chunks_exact(d)) {
            *o = crate::int_dot::dot_from(sum, &w[whole..], &row[whole..]);
        }
    }
    let rest_rows = &rows[quads * 4 * d..n * d];
    crate::int_dot::dot_ny(w, rest_rows, &mut out[quads * 4..n]);
}
