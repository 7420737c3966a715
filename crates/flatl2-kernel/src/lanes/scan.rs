//! One query, or two, against many rows: rows in groups of four whose sums are reduced
//! together, each row with two accumulators.
//!
//! A row's distance never depends on its place in the call or on the [`ScanOrder`]:
//! each row goes through the same arithmetic wherever it sits (a group cut short by
//! the end of the rows computes its last row again, or leaves the missing rows'
//! accumulators at zero, and the four-row reduction is lane-wise, so it never mixes
//! rows). Blocked and thread-split scans rely on that, and so does the two-query scan,
//! whose every distance is bit for bit the one-query scan's.

use super::{prefetch_stream, rows_to_scan, sum_rows, term, Lanes};
use crate::order::ScanOrder;
use crate::rows::Rows;

/// One query against `n = min(out.len(), rows.len() / d)` rows, `d = q.len()`, walked
/// in `order`. The rows may start at any byte (every load is unaligned).
#[inline(always)]
pub(crate) fn ny<S: Lanes, const L2: bool>(
    s: S,
    q: &[f32],
    rows: Rows<'_>,
    out: &mut [f32],
    order: ScanOrder,
) {
    match order {
        ScanOrder::Resident => ny_interleaved::<S, L2, false>(s, q, rows, out),
        ScanOrder::Cached => ny_interleaved::<S, L2, true>(s, q, rows, out),
        ScanOrder::Streaming => ny_streaming::<S, L2>(s, q, rows, out),
    }
}

/// [`ny`] in [`ScanOrder::Cached`]: four rows at a time, their loads interleaved and
/// sharing the query's, eight independent accumulators in flight, and (`PREFETCH`) a
/// software prefetch ahead (rows in L3 reach L1 sooner); without it, in
/// [`ScanOrder::Resident`].
#[inline(always)]
fn ny_interleaved<S: Lanes, const L2: bool, const PREFETCH: bool>(
    s: S,
    q: &[f32],
    rows: Rows<'_>,
    out: &mut [f32],
) {
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
                if PREFETCH {
                    s.prefetch(p.wrapping_add(S::PREFETCH_AHEAD));
                }
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

/// [`ny`] in [`ScanOrder::Streaming`]: each row whole, in memory order, with a line
/// hint [`Lanes::STREAM_PREFETCH_BYTES`] ahead of each step ([`prefetch_stream`]). On an
/// AMD EPYC (Zen 4) host the hardware prefetchers alone kept this order at the DRAM
/// probe; on an Intel Xeon host they kept it at 70-85% of it, and the hint 1024 bytes
/// ahead brought 1M x 128 from 43-50 to 31-35 ms (2026-12-07).
///
/// A loop of its own, like [`ny_interleaved`]'s: one shared loop calling a per-order
/// group function was tried, and what it compiled to ran at 55-80% of this loop's
/// speed from DRAM on the same host (the kernel's `knn`, one query, 1M x 128).
#[inline(always)]
fn ny_streaming<S: Lanes, const L2: bool>(s: S, q: &[f32], rows: Rows<'_>, out: &mut [f32]) {
    let d = q.len();
    let Some(n) = rows_to_scan(d, rows.len(), out) else {
        return;
    };
    let (pq, pr) = (q.as_ptr(), rows.ptr());
    let mut j = 0;
    while j < n {
        let live = (n - j).min(4);
        let mut acc = [[s.zero(); 2]; 4];
        // A fixed trip count for whole groups lets the compiler unroll the four rows.
        if live == 4 {
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: row j + r < n is a whole row of `rows`, and `pq` holds d floats.
                *acc_r = unsafe { row_acc::<S, L2>(s, pq, pr.add((j + r) * d), d) };
            }
        } else {
            for (r, acc_r) in acc.iter_mut().enumerate().take(live) {
                // SAFETY: as above.
                *acc_r = unsafe { row_acc::<S, L2>(s, pq, pr.add((j + r) * d), d) };
            }
        }
        out[j..j + live].copy_from_slice(&sum_rows(s, &acc)[..live]);
        j += live;
    }
}

/// One row's two accumulators against the query, as [`ny_interleaved`] fills them:
/// coordinate pairs of vectors into `[0]` and `[1]`, a last whole vector into `[0]`, a
/// partial one into `[1]`.
///
/// # Safety
/// `pq` and `py` must each point to `d` readable floats (any alignment).
#[inline(always)]
unsafe fn row_acc<S: Lanes, const L2: bool>(
    s: S,
    pq: *const f32,
    py: *const f32,
    d: usize,
) -> [S::V; 2] {
    let w = S::W;
    let mut acc = [s.zero(); 2];
    let mut i = 0;
    while i + 2 * w <= d {
        // SAFETY: lanes i .. i + 2W of the query, below d.
        let (q0, q1) = unsafe { (s.load(pq.add(i)), s.load(pq.add(i + w))) };
        prefetch_stream::<S, _>(py.wrapping_add(i), 2 * w * std::mem::size_of::<f32>());
        // SAFETY: lanes i .. i + 2W of the row, below d.
        let (y0, y1) = unsafe { (s.load(py.add(i)), s.load(py.add(i + w))) };
        acc[0] = term::<S, L2>(s, acc[0], q0, y0);
        acc[1] = term::<S, L2>(s, acc[1], q1, y1);
        i += 2 * w;
    }
    if i + w <= d {
        // SAFETY: lanes i .. i + W of the query and of the row, below d.
        let (q0, y0) = unsafe { (s.load(pq.add(i)), s.load(py.add(i))) };
        acc[0] = term::<S, L2>(s, acc[0], q0, y0);
        i += w;
    }
    if i < d {
        // SAFETY: partial loads of lanes i .. d of the query and of the row only.
        let (q0, y0) = unsafe { (s.load_part(pq.add(i), d - i), s.load_part(py.add(i), d - i)) };
        acc[1] = term::<S, L2>(s, acc[1], q0, y0);
    }
    acc
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
