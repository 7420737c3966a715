//! One vector against one vector: four accumulators over whole vectors, a partial load
//! for the tail.

use super::{term, Lanes, MAX_W};

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

/// [`pair`] of `q` with each of four rows at once, every value bit for bit [`pair`]'s
/// (each row keeps its own four accumulators, filled in [`pair`]'s order): the four
/// rows' loads are in flight together, which is what scattered rows (a graph walk's
/// neighbours) need, as Faiss's `fvec_L2sqr_batch_4`. `n = min` of all five lengths.
#[inline(always)]
pub(crate) fn pair4<S: Lanes, const L2: bool>(s: S, q: &[f32], rows: [&[f32]; 4]) -> [f32; 4] {
    let w = S::W;
    let n = rows.iter().fold(q.len(), |n, r| n.min(r.len()));
    let pq = q.as_ptr();
    let pr = rows.map(<[f32]>::as_ptr);
    let mut acc = [[s.zero(); 4]; 4];
    let mut i = 0;
    while i + 4 * w <= n {
        for u in 0..4 {
            // SAFETY: i + 4W <= n, so lanes i + uW .. i + (u + 1)W are in all five slices.
            let x = unsafe { s.load(pq.add(i + u * w)) };
            for (acc_r, &p) in acc.iter_mut().zip(&pr) {
                // SAFETY: as above.
                let y = unsafe { s.load(p.add(i + u * w)) };
                acc_r[u] = term::<S, L2>(s, acc_r[u], x, y);
            }
        }
        i += 4 * w;
    }
    let mut u = 0;
    while i + w <= n {
        // SAFETY: i + W <= n.
        let x = unsafe { s.load(pq.add(i)) };
        for (acc_r, &p) in acc.iter_mut().zip(&pr) {
            // SAFETY: i + W <= n.
            let y = unsafe { s.load(p.add(i)) };
            acc_r[u] = term::<S, L2>(s, acc_r[u], x, y);
        }
        u += 1;
        i += w;
    }
    if i < n {
        // SAFETY: the partial loads read lanes i .. n of the slices only.
        let x = unsafe { s.load_part(pq.add(i), n - i) };
        for (acc_r, &p) in acc.iter_mut().zip(&pr) {
            // SAFETY: as above.
            let y = unsafe { s.load_part(p.add(i), n - i) };
            acc_r[3] = term::<S, L2>(s, acc_r[3], x, y);
        }
    }
    acc.map(|a| s.sum(s.add(s.add(a[0], a[1]), s.add(a[2], a[3]))))
}

/// Squared L2 norm of `a` summed in Faiss's order at this width (`fvec_norms_L2sqr` as
/// compilers vectorize it for a `W`-float register): one accumulator of `W` lanes over
/// the whole vectors (fused multiply-adds), the lanes summed by halves (lane `i` plus
/// lane `i + W/2`, down to one), then the tail one value at a time (fused). Norms in
/// this order make the blocked path's `|x|^2 + |y|^2 - 2 x.y` distances Faiss's, bit
/// for bit.
#[inline(always)]
pub(crate) fn norm<S: Lanes>(s: S, a: &[f32]) -> f32 {
    let w = S::W;
    let body = a.len() - a.len() % w;
    let pa = a.as_ptr();
    let mut acc = s.zero();
    let mut i = 0;
    while i < body {
        // SAFETY: i + W <= body <= a.len().
        let x = unsafe { s.load(pa.add(i)) };
        acc = s.fmadd(x, x, acc);
        i += w;
    }
    let mut lanes = [0.0f32; MAX_W];
    // SAFETY: `lanes` holds MAX_W >= W values.
    unsafe { s.store(lanes.as_mut_ptr(), acc) };
    crate::scalar::halving_sum(&mut lanes[..w]);
    a[body..].iter().fold(lanes[0], |r, &x| x.mul_add(x, r))
}
