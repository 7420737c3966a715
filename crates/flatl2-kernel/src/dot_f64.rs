//! The inner product of two f32 vectors accumulated in f64, for callers that need more
//! than f32's resolution (MMR's cosines, where LangChain's recorded near-ties differ
//! below it). Plain Rust in eight partial sums, written once: each SIMD tier compiles
//! this same body with its instructions enabled (the compiler vectorizes it with
//! them), and since it has separate multiplies and adds in a fixed order, every tier
//! returns the same bits.

/// Partial sums per step.
const LANES: usize = 8;

/// `sum a[i] * b[i]` in f64 over `n = min(len)` values: each product exact (an f32
/// times an f32 fits in an f64), eight running sums, added as halves at the end.
#[inline(always)]
pub(crate) fn dot_f64(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for lane in 0..LANES {
            acc[lane] += f64::from(x[lane]) * f64::from(y[lane]);
        }
    }
    // Halves, then quarters, then pairs: the order a vector reduction takes (any other
    // order keeps the compiler from vectorizing the loop).
    let h: [f64; 4] = core::array::from_fn(|i| acc[i] + acc[i + 4]);
    let q = [h[0] + h[2], h[1] + h[3]];
    (q[0] + q[1]) + tail
}
