//! One f32 query against f16 rows, widened in registers: four rows per iteration
//! sharing the query loads, the rows left over one at a time; the last `< 2W`
//! coordinates of a row go through zero-padded buffers.

use half::f16;

use super::{rows_to_scan, sum_rows, term, HalfLanes, Lanes, MAX_W};

/// One f32 query against `n = min(out.len(), rows.len() / d)` f16 rows, `d = q.len()`.
///
/// # Safety
/// The CPU must have the tier's f16 conversion (see [`HalfLanes::load_f16`]).
#[inline(always)]
pub(crate) unsafe fn ny_f16<S: HalfLanes, const L2: bool>(
    s: S,
    q: &[f32],
    rows: &[f16],
    out: &mut [f32],
) {
    let w = S::W;
    let d = q.len();
    let Some(n) = rows_to_scan(d, rows.len(), out) else {
        return;
    };
    let pq = q.as_ptr();
    // Coordinates handled by whole vector pairs; the rest (< 2W) go through buffers.
    let body = d - d % (2 * w);
    let mut j = 0;
    while j + 4 <= n {
        let base = rows[j * d..].as_ptr();
        let mut acc = [[s.zero(); 2]; 4];
        let mut i = 0;
        while i < body {
            // SAFETY: i + 2W <= body <= d = q.len().
            let (q0, q1) = unsafe { (s.load(pq.add(i)), s.load(pq.add(i + w))) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let p = base.wrapping_add(r * d + i);
                s.prefetch(p.wrapping_add(S::PREFETCH_AHEAD));
                // SAFETY: rows j + r < n are in `rows` and i + 2W <= d; the caller
                // guarantees the f16 conversion.
                let (y0, y1) = unsafe { (s.load_f16(p), s.load_f16(p.add(w))) };
                acc_r[0] = term::<S, L2>(s, acc_r[0], q0, y0);
                acc_r[1] = term::<S, L2>(s, acc_r[1], q1, y1);
            }
            i += 2 * w;
        }
        if body < d {
            let (q0, q1) = padded_query(s, &q[body..]);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let row = &rows[(j + r) * d + body..(j + r + 1) * d];
                // SAFETY: the caller guarantees the f16 conversion.
                let (y0, y1) = unsafe { padded_row(s, row) };
                acc_r[0] = term::<S, L2>(s, acc_r[0], q0, y0);
                acc_r[1] = term::<S, L2>(s, acc_r[1], q1, y1);
            }
        }
        out[j..j + 4].copy_from_slice(&sum_rows(s, &acc));
        j += 4;
    }
    // SAFETY: the caller guarantees the f16 conversion.
    unsafe { ny_f16_single::<S, L2>(s, q, &rows[j * d..], &mut out[j..n]) };
}

/// One f32 query against f16 rows, one row at a time (same contract as [`ny_f16`]).
///
/// # Safety
/// The CPU must have the tier's f16 conversion (see [`HalfLanes::load_f16`]).
#[inline(always)]
unsafe fn ny_f16_single<S: HalfLanes, const L2: bool>(
    s: S,
    q: &[f32],
    rows: &[f16],
    out: &mut [f32],
) {
    let w = S::W;
    let d = q.len();
    let Some(n) = rows_to_scan(d, rows.len(), out) else {
        return;
    };
    let pq = q.as_ptr();
    for (j, o) in out.iter_mut().enumerate().take(n) {
        let row = &rows[j * d..(j + 1) * d];
        let pr = row.as_ptr();
        let mut acc = [s.zero(); 2];
        let mut i = 0;
        while i + 2 * w <= d {
            s.prefetch(pr.wrapping_add(i + 2 * S::PREFETCH_AHEAD));
            // SAFETY: i + 2W <= d for the query and the row; the caller guarantees the
            // f16 conversion.
            let (q0, q1, y0, y1) = unsafe {
                (
                    s.load(pq.add(i)),
                    s.load(pq.add(i + w)),
                    s.load_f16(pr.add(i)),
                    s.load_f16(pr.add(i + w)),
                )
            };
            acc[0] = term::<S, L2>(s, acc[0], q0, y0);
            acc[1] = term::<S, L2>(s, acc[1], q1, y1);
            i += 2 * w;
        }
        if i < d {
            let (q0, q1) = padded_query(s, &q[i..]);
            // SAFETY: the caller guarantees the f16 conversion.
            let (y0, y1) = unsafe { padded_row(s, &row[i..]) };
            acc[0] = term::<S, L2>(s, acc[0], q0, y0);
            acc[1] = term::<S, L2>(s, acc[1], q1, y1);
        }
        *o = s.sum(s.add(acc[0], acc[1]));
    }
}

/// The last `< 2W` query values as two vectors, zero-padded.
#[inline(always)]
fn padded_query<S: Lanes>(s: S, tail: &[f32]) -> (S::V, S::V) {
    let mut buf = [0.0f32; 2 * MAX_W];
    buf[..tail.len()].copy_from_slice(tail);
    let p = buf.as_ptr();
    // SAFETY: `buf` holds 2 * MAX_W >= 2W values.
    unsafe { (s.load(p), s.load(p.add(S::W))) }
}

/// The last `< 2W` halves of a row as two widened vectors, zero-padded.
///
/// # Safety
/// The CPU must have the tier's f16 conversion.
#[inline(always)]
unsafe fn padded_row<S: HalfLanes>(s: S, tail: &[f16]) -> (S::V, S::V) {
    let mut buf = [f16::ZERO; 2 * MAX_W];
    buf[..tail.len()].copy_from_slice(tail);
    let p = buf.as_ptr();
    // SAFETY: `buf` holds 2 * MAX_W >= 2W halves; the caller guarantees the conversion.
    unsafe { (s.load_f16(p), s.load_f16(p.add(S::W))) }
}
