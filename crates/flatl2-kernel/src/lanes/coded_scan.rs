//! One f32 query against rows stored in a compact form (f16 halves, 8-bit codes),
//! decoded to f32 in registers, walked in either [`ScanOrder`]: four rows per iteration
//! sharing the query loads and whatever the row form derives from them (`Cached`), or
//! each row whole in memory order (`Streaming`, for f16 rows); the last `< 2W`
//! coordinates of a row go through zero-padded buffers. Every row goes through the
//! same arithmetic in both orders, so its value is the same bit for bit.
//! One algorithm for every row form: a [`RowDecoder`] says how a query chunk is
//! prepared and how `W` stored values enter a row's sum.

use super::{rows_to_scan, sum_rows, Lanes, MAX_W};
#[cfg(target_arch = "x86_64")]
use crate::order::ScanOrder;

/// How a tier folds stored row values into a row's running sum.
pub(crate) trait RowDecoder<S: Lanes>: Copy {
    /// One stored value (a half, a code byte).
    type Elem: Copy + Default;
    /// What a chunk of `W` coordinates shares across the rows (derived from the query).
    type Chunk: Copy;

    /// Prepares coordinates `i .. i + len` (`len <= W`; lanes past `len` are padding,
    /// whose query values are zero) for the query values `q`.
    fn chunk<const L2: bool>(self, s: S, q: S::V, i: usize, len: usize) -> Self::Chunk;

    /// Adds the contribution of the `W` stored values at `p` to `acc`; padding values are
    /// `Elem::default()` and must contribute nothing.
    ///
    /// # Safety
    /// `p..p + W` must be readable, and the CPU must have what the decoder's own contract
    /// names.
    unsafe fn accumulate<const L2: bool>(
        self,
        s: S,
        chunk: Self::Chunk,
        acc: S::V,
        p: *const Self::Elem,
    ) -> S::V;

    /// What every row's sum gets added at the end: a constant of the query (`0.0` if
    /// none).
    fn constant<const L2: bool>(self, q: &[f32]) -> f32;
}

/// One f32 query against `n = min(out.len(), rows.len() / d)` coded rows, `d = q.len()`,
/// walked in `order`. A row's value never depends on its place in the call or on the
/// order: rows past the last of a group of four are the last row again (computed, then
/// dropped) or left at zero, and the four-row reduction is lane-wise, as in
/// [`super::scan::ny`].
///
/// Only f16 rows take it, which have native kernels on x86 only.
///
/// # Safety
/// The CPU must have what the decoder's contract names.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn ny_coded<S: Lanes, D: RowDecoder<S>, const L2: bool>(
    s: S,
    dec: D,
    q: &[f32],
    rows: &[D::Elem],
    out: &mut [f32],
    order: ScanOrder,
) {
    // SAFETY: the caller keeps the decoder's contract, which both loops need.
    unsafe {
        match order {
            ScanOrder::Resident | ScanOrder::Cached => {
                ny_coded_interleaved::<S, D, L2>(s, dec, q, rows, out)
            }
            ScanOrder::Streaming => ny_coded_streaming::<S, D, L2>(s, dec, q, rows, out),
        }
    }
}

/// [`ny_coded`] in [`ScanOrder::Cached`]: four rows at a time, their loads interleaved
/// and sharing the query's, with a software prefetch ahead. 8-bit rows always take
/// this walk: streamed one by one, each row would prepare the offset and scale tables
/// again (`IVF1024,SQ8`, 1M x 128, nprobe 16, ran 35% slower that way on an AMD EPYC
/// (Zen 4) host).
///
/// # Safety
/// As [`ny_coded`].
#[inline(always)]
pub(crate) unsafe fn ny_coded_interleaved<S: Lanes, D: RowDecoder<S>, const L2: bool>(
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
    let constant = dec.constant::<L2>(q);
    // Coordinates handled by whole vector pairs; the rest (< 2W) go through buffers.
    let body = d - d % (2 * w);
    let rest = d - body;
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
            let c0 = dec.chunk::<L2>(s, q0, i, w);
            let c1 = dec.chunk::<L2>(s, q1, i + w, w);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let p = base[r].as_ptr().wrapping_add(i);
                s.prefetch(p.wrapping_add(S::PREFETCH_AHEAD));
                // SAFETY: base[r] is a whole row of `rows` and i + 2W <= d; the caller
                // guarantees the decoder's CPU needs.
                unsafe {
                    acc_r[0] = dec.accumulate::<L2>(s, c0, acc_r[0], p);
                    acc_r[1] = dec.accumulate::<L2>(s, c1, acc_r[1], p.add(w));
                }
            }
            i += 2 * w;
        }
        if rest > 0 {
            let chunks = rest_chunks::<S, D, L2>(s, dec, q, body);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: the caller guarantees the decoder's CPU needs.
                unsafe { add_rest::<S, D, L2>(s, dec, chunks, &base[r][body..], acc_r) };
            }
        }
        let sums = sum_rows(s, &acc);
        for (o, v) in out[j..j + live].iter_mut().zip(sums) {
            *o = v + constant;
        }
        j += live;
    }
}

/// [`ny_coded`] in [`ScanOrder::Streaming`]: each row whole, in memory order, with the
/// line hints of `scan::ny_streaming` ahead. From DRAM, on an AMD EPYC (Zen 4) host
/// (before the hints), it scanned 100k x 1536 f16 rows 2.4x as fast as the interleaved
/// order, and 1M x 128 4-10% faster.
///
/// # Safety
/// As [`ny_coded`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn ny_coded_streaming<S: Lanes, D: RowDecoder<S>, const L2: bool>(
    s: S,
    dec: D,
    q: &[f32],
    rows: &[D::Elem],
    out: &mut [f32],
) {
    let d = q.len();
    let Some(n) = rows_to_scan(d, rows.len(), out) else {
        return;
    };
    let constant = dec.constant::<L2>(q);
    let row = |r: usize| &rows[r * d..(r + 1) * d];
    // The loop of `scan::ny_streaming`, written out again: one shared loop taking each
    // row form's accumulation as a closure was tried, and both scans then ran 7-12x
    // slower (the closures were not compiled with the tier's vector features).
    let mut j = 0;
    while j < n {
        let live = (n - j).min(4);
        let mut acc = [[s.zero(); 2]; 4];
        if live == 4 {
            for (r, acc_r) in acc.iter_mut().enumerate() {
                // SAFETY: the caller keeps the decoder's contract.
                *acc_r = unsafe { coded_row_acc::<S, D, L2>(s, dec, q, row(j + r)) };
            }
        } else {
            for (r, acc_r) in acc.iter_mut().enumerate().take(live) {
                // SAFETY: as above.
                *acc_r = unsafe { coded_row_acc::<S, D, L2>(s, dec, q, row(j + r)) };
            }
        }
        let sums = sum_rows(s, &acc);
        for (o, v) in out[j..j + live].iter_mut().zip(sums) {
            *o = v + constant;
        }
        j += live;
    }
}

/// One coded row's two accumulators against the query, as [`ny_coded_interleaved`]
/// fills them: coordinate pairs of vectors into `[0]` and `[1]`, the last `< 2W`
/// through a zero-padded buffer. `row` holds `q.len()` values.
///
/// # Safety
/// The CPU must have what the decoder's contract names.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn coded_row_acc<S: Lanes, D: RowDecoder<S>, const L2: bool>(
    s: S,
    dec: D,
    q: &[f32],
    row: &[D::Elem],
) -> [S::V; 2] {
    let w = S::W;
    let d = q.len().min(row.len());
    let body = d - d % (2 * w);
    let pq = q.as_ptr();
    let mut acc = [s.zero(); 2];
    let mut i = 0;
    while i < body {
        // SAFETY: i + 2W <= body <= d <= q.len().
        let (q0, q1) = unsafe { (s.load(pq.add(i)), s.load(pq.add(i + w))) };
        let c0 = dec.chunk::<L2>(s, q0, i, w);
        let c1 = dec.chunk::<L2>(s, q1, i + w, w);
        let p = row.as_ptr().wrapping_add(i);
        super::prefetch_stream::<S, _>(p, 2 * w * std::mem::size_of::<D::Elem>());
        // SAFETY: i + 2W <= d <= row.len(); the caller guarantees the decoder's CPU
        // needs.
        unsafe {
            acc[0] = dec.accumulate::<L2>(s, c0, acc[0], p);
            acc[1] = dec.accumulate::<L2>(s, c1, acc[1], p.add(w));
        }
        i += 2 * w;
    }
    if body < d {
        let chunks = rest_chunks::<S, D, L2>(s, dec, &q[..d], body);
        // SAFETY: the caller guarantees the decoder's CPU needs.
        unsafe { add_rest::<S, D, L2>(s, dec, chunks, &row[body..d], &mut acc) };
    }
    acc
}

/// The query chunks of a row's last `q.len() - body < 2W` coordinates, zero-padded.
#[inline(always)]
fn rest_chunks<S: Lanes, D: RowDecoder<S>, const L2: bool>(
    s: S,
    dec: D,
    q: &[f32],
    body: usize,
) -> [D::Chunk; 2] {
    let (w, rest) = (S::W, q.len() - body);
    let (q0, q1) = padded(s, &q[body..]);
    [
        dec.chunk::<L2>(s, q0, body, rest.min(w)),
        dec.chunk::<L2>(s, q1, body + w, rest.saturating_sub(w)),
    ]
}

/// Adds a row's last `tail.len() < 2W` stored values, through a zero-padded buffer, to
/// its accumulators, against `chunks` ([`rest_chunks`]).
///
/// # Safety
/// The CPU must have what the decoder's contract names.
#[inline(always)]
unsafe fn add_rest<S: Lanes, D: RowDecoder<S>, const L2: bool>(
    s: S,
    dec: D,
    [c0, c1]: [D::Chunk; 2],
    tail: &[D::Elem],
    acc: &mut [S::V; 2],
) {
    let mut buf = [D::Elem::default(); 2 * MAX_W];
    buf[..tail.len()].copy_from_slice(tail);
    let p = buf.as_ptr();
    // SAFETY: `buf` holds 2 * MAX_W >= 2W values; the caller guarantees the decoder's
    // CPU needs.
    unsafe {
        acc[0] = dec.accumulate::<L2>(s, c0, acc[0], p);
        acc[1] = dec.accumulate::<L2>(s, c1, acc[1], p.add(S::W));
    }
}

/// The first `< 2W` floats of `tail` as two vectors, zero-padded.
#[inline(always)]
pub(crate) fn padded<S: Lanes>(s: S, tail: &[f32]) -> (S::V, S::V) {
    let mut buf = [0.0f32; 2 * MAX_W];
    buf[..tail.len()].copy_from_slice(tail);
    let p = buf.as_ptr();
    // SAFETY: `buf` holds 2 * MAX_W >= 2W values.
    unsafe { (s.load(p), s.load(p.add(S::W))) }
}

/// `W` values of a per-coordinate table from coordinate `i`, of which the first `len`
/// are read and the rest are zero.
#[inline(always)]
fn table_at<S: Lanes>(s: S, table: &[f32], i: usize, len: usize) -> S::V {
    if len == S::W {
        let t = &table[i..i + S::W];
        // SAFETY: `t` holds W values.
        unsafe { s.load(t.as_ptr()) }
    } else if len == 0 {
        s.zero()
    } else {
        padded(s, &table[i..i + len]).0
    }
}

/// Rows of f16 halves, widened by the tier's conversion ([`super::HalfLanes`]).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct HalfRows;

#[cfg(target_arch = "x86_64")]
impl<S: super::HalfLanes> RowDecoder<S> for HalfRows {
    type Elem = half::f16;
    type Chunk = S::V;

    #[inline(always)]
    fn chunk<const L2: bool>(self, _s: S, q: S::V, _i: usize, _len: usize) -> S::V {
        q
    }

    /// # Safety
    /// Also: the CPU must have the tier's f16 conversion.
    #[inline(always)]
    unsafe fn accumulate<const L2: bool>(
        self,
        s: S,
        q: S::V,
        acc: S::V,
        p: *const half::f16,
    ) -> S::V {
        // SAFETY: the caller keeps `load_f16`'s contract.
        let y = unsafe { s.load_f16(p) };
        super::term::<S, L2>(s, acc, q, y)
    }

    #[inline(always)]
    fn constant<const L2: bool>(self, _q: &[f32]) -> f32 {
        0.0
    }
}

/// Rows of 8-bit codes; code `c` in coordinate `j` stands for `offset[j] + c *
/// scale[j]` (Faiss's 8-bit scalar quantizer). `offset` and `scale` hold `d` values.
///
/// Per row and `W` coordinates the work is one widening load and two fused operations:
/// L2 sums `((q - offset) - c * scale)^2` with `q - offset` and `-scale` prepared once
/// per chunk for four rows; inner product sums `(q * scale) * c` and adds the query
/// constant `sum(q * offset)` at the end.
#[derive(Clone, Copy)]
pub(crate) struct ByteRows<'a> {
    pub(crate) offset: &'a [f32],
    pub(crate) scale: &'a [f32],
}

impl<S: Lanes> RowDecoder<S> for ByteRows<'_> {
    type Elem = u8;
    /// L2: `(q - offset, -scale)`; inner product: `(q * scale, unused)`.
    type Chunk = (S::V, S::V);

    #[inline(always)]
    fn chunk<const L2: bool>(self, s: S, q: S::V, i: usize, len: usize) -> (S::V, S::V) {
        let scale = table_at(s, self.scale, i, len);
        if L2 {
            let offset = table_at(s, self.offset, i, len);
            (s.sub(q, offset), s.sub(s.zero(), scale))
        } else {
            (s.fmadd(q, scale, s.zero()), s.zero())
        }
    }

    #[inline(always)]
    unsafe fn accumulate<const L2: bool>(
        self,
        s: S,
        (a, b): (S::V, S::V),
        acc: S::V,
        p: *const u8,
    ) -> S::V {
        // SAFETY: the caller guarantees `p..p + W` readable.
        let c = unsafe { s.load_u8(p) };
        if L2 {
            let t = s.fmadd(c, b, a);
            s.fmadd(t, t, acc)
        } else {
            s.fmadd(a, c, acc)
        }
    }

    #[inline(always)]
    fn constant<const L2: bool>(self, q: &[f32]) -> f32 {
        if L2 {
            0.0
        } else {
            q.iter().zip(self.offset).map(|(&x, &o)| x * o).sum()
        }
    }
}
