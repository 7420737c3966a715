//! One f32 query against rows stored in a compact form (f16 halves, 8-bit codes),
//! decoded to f32 in registers: four rows per iteration sharing the query loads; the
//! last `< 2W` coordinates of a row go through zero-padded buffers. One algorithm for every row form: a [`RowDecoder`] says how `W`
//! stored values become a vector.

use super::{rows_to_scan, sum_rows, term, Lanes, MAX_W};

/// How a tier turns stored row values into `f32` lanes.
pub(crate) trait RowDecoder<S: Lanes>: Copy {
    /// One stored value (a half, a code byte).
    type Elem: Copy + Default;

    /// Decodes the `W` values at `p`, which are coordinates `i .. i + W` of a row.
    ///
    /// # Safety
    /// `p..p + W` must be readable, `i + W <= d`, and the CPU must have what the
    /// decoder's own contract names.
    unsafe fn load(self, s: S, p: *const Self::Elem, i: usize) -> S::V;

    /// Decodes the last `tail.len() < 2W` values of a row, coordinates `i ..`, as two
    /// vectors whose lanes past the row are zero.
    ///
    /// # Safety
    /// As [`RowDecoder::load`] for the CPU.
    unsafe fn load_tail(self, s: S, tail: &[Self::Elem], i: usize) -> (S::V, S::V);
}

/// One f32 query against `n = min(out.len(), rows.len() / d)` coded rows, `d = q.len()`.
/// A row's value never depends on its place in the call: rows past the last of a
/// group of four are the last row again (computed, then dropped), as in
/// [`super::scan::ny`].
///
/// # Safety
/// The CPU must have what the decoder's contract names.
#[inline(always)]
pub(crate) unsafe fn ny_coded<S: Lanes, D: RowDecoder<S>, const L2: bool>(
    s: S,
    dec: D,
    q: &[f32],
    rows: &[D::Elem],
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
    while j < n {
        let live = (n - j).min(4);
        let row = |r: usize| &rows[(j + r.min(live - 1)) * d..(j + r.min(live - 1) + 1) * d];
        let base = [row(0), row(1), row(2), row(3)];
        let mut acc = [[s.zero(); 2]; 4];
        let mut i = 0;
        while i < body {
            // SAFETY: i + 2W <= body <= d = q.len().
            let (q0, q1) = unsafe { (s.load(pq.add(i)), s.load(pq.add(i + w))) };
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let p = base[r].as_ptr().wrapping_add(i);
                s.prefetch(p.wrapping_add(S::PREFETCH_AHEAD));
                // SAFETY: base[r] is a whole row of `rows` and i + 2W <= d; the caller
                // guarantees the decoder's CPU needs.
                let (y0, y1) = unsafe { (dec.load(s, p, i), dec.load(s, p.add(w), i + w)) };
                acc_r[0] = term::<S, L2>(s, acc_r[0], q0, y0);
                acc_r[1] = term::<S, L2>(s, acc_r[1], q1, y1);
            }
            i += 2 * w;
        }
        if body < d {
            let (q0, q1) = padded_query(s, &q[body..]);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: the caller guarantees the decoder's CPU needs.
                let (y0, y1) = unsafe { dec.load_tail(s, &base[r][body..], body) };
                acc_r[0] = term::<S, L2>(s, acc_r[0], q0, y0);
                acc_r[1] = term::<S, L2>(s, acc_r[1], q1, y1);
            }
        }
        out[j..j + live].copy_from_slice(&sum_rows(s, &acc)[..live]);
        j += live;
    }
}

/// The last `< 2W` floats of `tail` as two vectors, zero-padded.
#[inline(always)]
pub(crate) fn padded_query<S: Lanes>(s: S, tail: &[f32]) -> (S::V, S::V) {
    let mut buf = [0.0f32; 2 * MAX_W];
    buf[..tail.len()].copy_from_slice(tail);
    let p = buf.as_ptr();
    // SAFETY: `buf` holds 2 * MAX_W >= 2W values.
    unsafe { (s.load(p), s.load(p.add(S::W))) }
}

/// Rows of f16 halves, widened by the tier's conversion ([`super::HalfLanes`]).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct HalfRows;

#[cfg(target_arch = "x86_64")]
impl<S: super::HalfLanes> RowDecoder<S> for HalfRows {
    type Elem = half::f16;

    /// # Safety
    /// Also: the CPU must have the tier's f16 conversion.
    #[inline(always)]
    unsafe fn load(self, s: S, p: *const half::f16, _i: usize) -> S::V {
        // SAFETY: the caller keeps `load_f16`'s contract.
        unsafe { s.load_f16(p) }
    }

    #[inline(always)]
    unsafe fn load_tail(self, s: S, tail: &[half::f16], _i: usize) -> (S::V, S::V) {
        let mut buf = [half::f16::ZERO; 2 * MAX_W];
        buf[..tail.len()].copy_from_slice(tail);
        let p = buf.as_ptr();
        // SAFETY: `buf` holds 2 * MAX_W >= 2W halves; the caller guarantees the
        // conversion.
        unsafe { (s.load_f16(p), s.load_f16(p.add(S::W))) }
    }
}

/// Rows of 8-bit codes; code `c` in coordinate `j` stands for `offset[j] + c *
/// scale[j]` (Faiss's 8-bit scalar quantizer, decoded with one fused multiply-add).
/// `offset` and `scale` hold `d` values each.
#[derive(Clone, Copy)]
pub(crate) struct ByteRows<'a> {
    pub(crate) offset: &'a [f32],
    pub(crate) scale: &'a [f32],
}

impl<S: Lanes> RowDecoder<S> for ByteRows<'_> {
    type Elem = u8;

    #[inline(always)]
    unsafe fn load(self, s: S, p: *const u8, i: usize) -> S::V {
        // SAFETY: the caller guarantees `p..p + W` readable and `i + W <= d`, the length
        // of `offset` and `scale`.
        unsafe {
            let c = s.load_u8(p);
            let off = s.load(self.offset.as_ptr().add(i));
            let sc = s.load(self.scale.as_ptr().add(i));
            s.fmadd(c, sc, off)
        }
    }

    #[inline(always)]
    unsafe fn load_tail(self, s: S, tail: &[u8], i: usize) -> (S::V, S::V) {
        let mut codes = [0u8; 2 * MAX_W];
        codes[..tail.len()].copy_from_slice(tail);
        let end = i + tail.len();
        // Zero offset and scale past the row make those lanes decode to zero.
        let (o0, o1) = padded_query(s, &self.offset[i..end]);
        let (s0, s1) = padded_query(s, &self.scale[i..end]);
        let p = codes.as_ptr();
        // SAFETY: `codes` holds 2 * MAX_W >= 2W bytes.
        let (c0, c1) = unsafe { (s.load_u8(p), s.load_u8(p.add(S::W))) };
        (s.fmadd(c0, s0, o0), s.fmadd(c1, s1, o1))
    }
}
