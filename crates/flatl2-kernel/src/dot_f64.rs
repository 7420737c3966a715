//! The inner product of two f32 vectors accumulated in f64, for callers that need more
//! than f32's resolution (MMR's cosines, where LangChain's recorded near-ties differ
//! below it). Plain Rust in eight partial sums, written once: NEON and the portable
//! tier compile this same body with their instructions enabled (the compiler vectorizes
//! it). On x86 the compiler widens the floats two at a time (`vcvtps2pd xmm`), which
//! bounds the loop at about one conversion per cycle; the AVX2 and AVX-512 tiers run
//! the same loop with full-width conversions instead (`crate::x86::dot_f64`), lane for
//! lane, and end in the same [`finish`]. Exact products added in a fixed order: every
//! tier returns the same bits.

/// Partial sums per step.
pub(crate) const LANES: usize = 8;

/// `sum a[i] * b[i]` in f64 over `n = min(len)` values: each product exact (an f32
/// times an f32 fits in an f64), eight running sums (lane `j` adds the products at
/// `j, j + 8, j + 16, ...` in turn), reduced by [`finish`].
#[inline(always)]
pub(crate) fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let body = n - n % LANES;
    let mut acc = [0.0f64; LANES];
    for (x, y) in a[..body]
        .chunks_exact(LANES)
        .zip(b[..body].chunks_exact(LANES))
    {
        for lane in 0..LANES {
            acc[lane] += f64::from(x[lane]) * f64::from(y[lane]);
        }
    }
    finish(acc, &a[body..n], &b[body..n])
}

/// The end of [`dot_f64`], shared with the x86 tiers' versions of its loop: the
/// products of the tail (`n % 8` values) summed in order, the eight lane sums added as
/// halves, then quarters, then pairs (the order a vector reduction takes: any other
/// order keeps the compiler from vectorizing the generic loop), then the tail.
#[inline(always)]
pub(crate) fn finish(acc: [f64; LANES], tail_a: &[f32], tail_b: &[f32]) -> f64 {
    let tail: f64 = tail_a
        .iter()
        .zip(tail_b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    let h: [f64; 4] = core::array::from_fn(|i| acc[i] + acc[i + 4]);
    let q = [h[0] + h[2], h[1] + h[3]];
    (q[0] + q[1]) + tail
}
