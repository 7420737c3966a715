//! One query, or two, against many rows: four rows per iteration sharing the query
//! loads, each row with two accumulators, software prefetch ahead of the scan.
//!
//! A row's distance never depends on its place in the call: rows past the last of a
//! group of four are the last row again (computed, then dropped), so every row goes
//! through the same arithmetic wherever it sits. Blocked and thread-split scans rely on
//! that, and so does the two-query scan, whose every distance is bit for bit the
//! one-query scan's.

use super::{rows_to_scan, sum_rows, term, Lanes};
use crate::rows::Rows;

/// One query against `n = min(out.len(), rows.len() / d)` rows, `d = q.len()`. The rows
/// may start at any byte (every load is unaligned).
#[inline(always)]
pub(crate) fn ny<S: Lanes, const L2: bool>(s: S, q: &[f32], rows: Rows<'_>, out: &mut [f32]) {
    let w = S::W;
    let d = q.len();
    let Some(n) = rows_to_scan(d, rows.len(), out) else {
        return;
    };
    let (pq, pr) = (q.as_ptr(), rows.ptr());
    let mut j = 0;
    while j < n {
        let live = (n - j).min(4);
        // Rows j .. j + live are whole rows of `rows` (j + live <= n).
        let row = |r: usize| pr.wrapping_add((j + r.min(live - 1)) * d);
        let base = [row(0), row(1), row(2), row(3)];
        let mut acc = [[s.zero(); 2]; 4];
        let mut i = 0;
        while i + 2 * w <= d {
            // SAFETY: i + 2W <= d = q.len().
            let (q0, q1) = unsafe { (s.load(pq.add(i)), s.load(pq.add(i + w))) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let p = base[r].wrapping_add(i);
                s.prefetch(p.wrapping_add(S::PREFETCH_AHEAD));
                // SAFETY: each base[r] starts a whole row of `rows`, and i + 2W <= d.
                let (y0, y1) = unsafe { (s.load(p), s.load(p.add(w))) };
                acc_r[0] = term::<S, L2>(s, acc_r[0], q0, y0);
                acc_r[1] = term::<S, L2>(s, acc_r[1], q1, y1);
            }
            i += 2 * w;
        }
        if i + w <= d {
            // SAFETY: i + W <= d.
            let q0 = unsafe { s.load(pq.add(i)) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: base[r] starts a whole row of `rows`, and i + W <= d.
                let y0 = unsafe { s.load(base[r].add(i)) };
                acc_r[0] = term::<S, L2>(s, acc_r[0], q0, y0);
            }
            i += w;
        }
        if i < d {
            // SAFETY: a partial load of lanes i .. d of the query only.
            let q0 = unsafe { s.load_part(pq.add(i), d - i) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: a partial load of lanes i .. d of the row at base[r] only.
                let y0 = unsafe { s.load_part(base[r].add(i), d - i) };
                acc_r[1] = term::<S, L2>(s, acc_r[1], q0, y0);
            }
        }
        out[j..j + live].copy_from_slice(&sum_rows(s, &acc)[..live]);
        j += live;
    }
}

/// Two queries against the same rows: [`ny`]'s loop with the row loads shared, so each
/// row is read once for both. Every `(query, row)` pair goes through exactly the
/// operations [`ny`] applies to it (the same accumulators, in the same order, the same
/// reduction), so each distance is bit for bit the one-query distance. No prefetch: the
/// caller hands blocks that are already in cache. `d = min(qa.len(), qb.len())`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn ny2<S: Lanes, const L2: bool>(
    s: S,
    qa: &[f32],
    qb: &[f32],
    rows: Rows<'_>,
    out_a: &mut [f32],
    out_b: &mut [f32],
) {
    let w = S::W;
    let d = qa.len().min(qb.len());
    if d == 0 {
        out_a.fill(0.0);
        out_b.fill(0.0);
        return;
    }
    let n = out_a.len().min(out_b.len()).min(rows.len() / d);
    let (pa, pb, pr) = (qa.as_ptr(), qb.as_ptr(), rows.ptr());
    let mut j = 0;
    while j < n {
        let live = (n - j).min(4);
        // Rows j .. j + live are whole rows of `rows` (j + live <= n).
        let row = |r: usize| pr.wrapping_add((j + r.min(live - 1)) * d);
        let base = [row(0), row(1), row(2), row(3)];
        let mut acc_a = [[s.zero(); 2]; 4];
        let mut acc_b = [[s.zero(); 2]; 4];
        let mut i = 0;
        while i + 2 * w <= d {
            // SAFETY: i + 2W <= d, the length of both queries.
            let (a0, a1, b0, b1) = unsafe {
                (
                    s.load(pa.add(i)),
                    s.load(pa.add(i + w)),
                    s.load(pb.add(i)),
                    s.load(pb.add(i + w)),
                )
            };
            for r in 0..4 {
                // SAFETY: each base[r] starts a whole row of `rows`, and i + 2W <= d.
                let (y0, y1) = unsafe { (s.load(base[r].add(i)), s.load(base[r].add(i + w))) };
                acc_a[r][0] = term::<S, L2>(s, acc_a[r][0], a0, y0);
                acc_a[r][1] = term::<S, L2>(s, acc_a[r][1], a1, y1);
                acc_b[r][0] = term::<S, L2>(s, acc_b[r][0], b0, y0);
                acc_b[r][1] = term::<S, L2>(s, acc_b[r][1], b1, y1);
            }
            i += 2 * w;
        }
        if i + w <= d {
            // SAFETY: i + W <= d.
            let (a0, b0) = unsafe { (s.load(pa.add(i)), s.load(pb.add(i))) };
            for r in 0..4 {
                // SAFETY: base[r] starts a whole row of `rows`, and i + W <= d.
                let y0 = unsafe { s.load(base[r].add(i)) };
                acc_a[r][0] = term::<S, L2>(s, acc_a[r][0], a0, y0);
                acc_b[r][0] = term::<S, L2>(s, acc_b[r][0], b0, y0);
            }
            i += w;
        }
        if i < d {
            // SAFETY: partial loads of lanes i .. d of the queries only.
            let (a0, b0) =
                unsafe { (s.load_part(pa.add(i), d - i), s.load_part(pb.add(i), d - i)) };
            for r in 0..4 {
                // SAFETY: a partial load of lanes i .. d of the row at base[r] only.
                let y0 = unsafe { s.load_part(base[r].add(i), d - i) };
                acc_a[r][1] = term::<S, L2>(s, acc_a[r][1], a0, y0);
                acc_b[r][1] = term::<S, L2>(s, acc_b[r][1], b0, y0);
            }
        }
        out_a[j..j + live].copy_from_slice(&sum_rows(s, &acc_a)[..live]);
        out_b[j..j + live].copy_from_slice(&sum_rows(s, &acc_b)[..live]);
        j += live;
    }
}
