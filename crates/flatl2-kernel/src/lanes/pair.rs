//! One vector against one vector: four accumulators over whole vectors, a partial load
//! for the tail.

use super::{term, Lanes};

/// Squared L2 (`L2`) or inner product of `a[..n]` and `b[..n]`, `n = min(len)`.
#[inline(always)]
pub(crate) fn pair<S: Lanes, const L2: bool>(s: S, a: &[f32], b: &[f32]) -> f32 {
    let w = S::W;
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [s.zero(); 4];
    let mut i = 0;
    while i + 4 * w <= n {
        for (u, acc_u) in acc.iter_mut().enumerate() {
            // SAFETY: i + 4W <= n, so lanes i + uW .. i + (u + 1)W are in both slices.
            let (x, y) = unsafe { (s.load(pa.add(i + u * w)), s.load(pb.add(i + u * w))) };
            *acc_u = term::<S, L2>(s, *acc_u, x, y);
        }
        i += 4 * w;
    }
    let mut u = 0;
    while i + w <= n {
        // SAFETY: i + W <= n.
        let (x, y) = unsafe { (s.load(pa.add(i)), s.load(pb.add(i))) };
        acc[u] = term::<S, L2>(s, acc[u], x, y);
        u += 1;
        i += w;
    }
    if i < n {
        // SAFETY: the partial loads read lanes i .. n of both slices only.
        let (x, y) = unsafe { (s.load_part(pa.add(i), n - i), s.load_part(pb.add(i), n - i)) };
        acc[3] = term::<S, L2>(s, acc[3], x, y);
    }
    s.sum(s.add(s.add(acc[0], acc[1]), s.add(acc[2], acc[3])))
}
