//! The portable tier: 8-lane vectors through the `wide` crate, which lowers them to
//! SSE2, NEON, WASM SIMD or scalar code depending on the target. No `unsafe` here.
//!
//! Also the fallback for the f16 kernels on x86 CPUs with AVX2 but no F16C.

use half::f16;
use half::slice::HalfFloatSliceExt;
use wide::f32x8;

use crate::order::ScanOrder;
use crate::rows::Rows;
use crate::simd_tier::SimdTier;
use crate::table::{staged_ny, Kernels};
use crate::tile::{finish_generic, TileBlock, TileKernels, TileSpan};
use crate::topk::{Best, TopK};

const W: usize = 8;
/// Queries per many-to-many tile (one vector).
const QB: usize = 8;
/// Rows per many-to-many tile.
const RB: usize = 4;

#[inline(always)]
fn load(s: &[f32]) -> f32x8 {
    let mut a = [0.0f32; W];
    a.copy_from_slice(&s[..W]);
    f32x8::new(a)
}

#[inline(always)]
fn term<const L2: bool>(acc: f32x8, q: f32x8, y: f32x8) -> f32x8 {
    if L2 {
        let t = q - y;
        t.mul_add(t, acc)
    } else {
        q.mul_add(y, acc)
    }
}

#[inline(always)]
fn pair<const L2: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [f32x8::ZERO; 4];
    let mut ca = a.chunks_exact(4 * W);
    let mut cb = b.chunks_exact(4 * W);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for (u, acc_u) in acc.iter_mut().enumerate() {
            *acc_u = term::<L2>(*acc_u, load(&x[u * W..]), load(&y[u * W..]));
        }
    }
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut ca = ra.chunks_exact(W);
    let mut cb = rb.chunks_exact(W);
    for (x, y) in (&mut ca).zip(&mut cb) {
        acc[0] = term::<L2>(acc[0], load(x), load(y));
    }
    let mut tail = 0.0f32;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        if L2 {
            let t = x - y;
            tail += t * t;
        } else {
            tail += x * y;
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])).reduce_add() + tail
}

/// Values widened per step of the f16 and 8-bit code kernels.
const F16_CHUNK: usize = 256;

#[inline(always)]
fn pair_f16<const L2: bool>(q: &[f32], row: &[f16]) -> f32 {
    // Widen a chunk at a time with `half`'s slice conversion (F16C or aarch64 fp16
    // instructions when the CPU has them), then reuse the f32 kernel.
    let mut buf = [0.0f32; F16_CHUNK];
    let mut acc = 0.0f32;
    for (qc, rc) in q.chunks(F16_CHUNK).zip(row.chunks(F16_CHUNK)) {
        let b = &mut buf[..rc.len()];
        rc.convert_to_f32_slice(b);
        acc += pair::<L2>(qc, b);
    }
    acc
}

/// Decodes a chunk of 8-bit codes at a time into a buffer, then reuses the f32 kernel.
#[inline(always)]
fn pair_u8<const L2: bool>(q: &[f32], row: &[u8], offset: &[f32], scale: &[f32]) -> f32 {
    let mut buf = [0.0f32; F16_CHUNK];
    let mut acc = 0.0f32;
    let chunks = q
        .chunks(F16_CHUNK)
        .zip(row.chunks(F16_CHUNK))
        .zip(offset.chunks(F16_CHUNK).zip(scale.chunks(F16_CHUNK)));
    for ((qc, rc), (oc, sc)) in chunks {
        let b = &mut buf[..rc.len()];
        for (((y, &c), &o), &s) in b.iter_mut().zip(rc).zip(oc).zip(sc) {
            *y = f32::from(c).mul_add(s, o);
        }
        acc += pair::<L2>(qc, b);
    }
    acc
}

fn ny_u8<const L2: bool>(q: &[f32], rows: &[u8], offset: &[f32], scale: &[f32], out: &mut [f32]) {
    let d = q.len();
    if d == 0 {
        out.fill(0.0);
        return;
    }
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(d)) {
        *o = pair_u8::<L2>(q, row, offset, scale);
    }
}

fn l2_sqr_ny_u8(q: &[f32], rows: &[u8], offset: &[f32], scale: &[f32], out: &mut [f32]) {
    ny_u8::<true>(q, rows, offset, scale, out)
}

fn inner_product_ny_u8(q: &[f32], rows: &[u8], offset: &[f32], scale: &[f32], out: &mut [f32]) {
    ny_u8::<false>(q, rows, offset, scale, out)
}

fn ny<const L2: bool>(q: &[f32], rows: &[f32], out: &mut [f32]) {
    let d = q.len();
    if d == 0 {
        out.fill(0.0);
        return;
    }
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(d)) {
        *o = pair::<L2>(q, row);
    }
}

fn ny_f16<const L2: bool>(q: &[f32], rows: &[f16], out: &mut [f32]) {
    let d = q.len();
    if d == 0 {
        out.fill(0.0);
        return;
    }
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(d)) {
        *o = pair_f16::<L2>(q, row);
    }
}

fn l2_sqr(a: &[f32], b: &[f32]) -> f32 {
    pair::<true>(a, b)
}

fn inner_product(a: &[f32], b: &[f32]) -> f32 {
    pair::<false>(a, b)
}

fn l2_sqr_ny(q: &[f32], rows: Rows<'_>, out: &mut [f32], _: ScanOrder) {
    staged_ny(q, rows, out, ny::<true>)
}

fn inner_product_ny(q: &[f32], rows: Rows<'_>, out: &mut [f32], _: ScanOrder) {
    staged_ny(q, rows, out, ny::<false>)
}

/// Squared L2 from an f32 query to each f16 row (portable).
pub(crate) fn l2_sqr_ny_f16(q: &[f32], rows: &[f16], out: &mut [f32], _: ScanOrder) {
    ny_f16::<true>(q, rows, out)
}

/// Inner product of an f32 query with each f16 row (portable).
pub(crate) fn inner_product_ny_f16(q: &[f32], rows: &[f16], out: &mut [f32], _: ScanOrder) {
    ny_f16::<false>(q, rows, out)
}

/// The 4-row x 8-query micro-kernel (see [`crate::tile`] for the layouts).
fn tile_ip(pack: &[f32], rows: &[f32], d: usize, span: TileSpan, out: &mut [f32]) {
    let nrows = span.nrows.min(RB);
    if nrows == 0 || span.k0 >= span.k1 {
        return;
    }
    let (k0, k1) = (span.k0, span.k1.min(d));
    let row = |r: usize| {
        let r = span.first_row + r.min(nrows - 1);
        &rows[r * d + k0..r * d + k1]
    };
    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
    let mut acc = [f32x8::ZERO; RB];
    if span.accumulate {
        for (a, o) in acc.iter_mut().zip(out.chunks_exact(QB)) {
            *a = load(o);
        }
    }
    for (k, q) in pack[k0 * QB..k1 * QB].chunks_exact(QB).enumerate() {
        let q = load(q);
        acc[0] = q.mul_add(f32x8::splat(r0[k]), acc[0]);
        acc[1] = q.mul_add(f32x8::splat(r1[k]), acc[1]);
        acc[2] = q.mul_add(f32x8::splat(r2[k]), acc[2]);
        acc[3] = q.mul_add(f32x8::splat(r3[k]), acc[3]);
    }
    for (o, a) in out[..RB * QB].chunks_exact_mut(QB).zip(acc) {
        o.copy_from_slice(a.as_array_ref());
    }
}

fn tile_finish<const L2: bool>(blk: &TileBlock<'_>, h: &mut [TopK]) {
    finish_generic::<QB, L2, _>(blk, h)
}

fn tile_best<const L2: bool>(blk: &TileBlock<'_>, h: &mut Best<'_>) {
    finish_generic::<QB, L2, _>(blk, h)
}

/// The portable kernel table (any CPU).
pub(crate) static PORTABLE: Kernels = Kernels {
    tier: SimdTier::Portable,
    l2_sqr,
    inner_product,
    inner_product_f64: crate::dot_f64::dot_f64,
    row_norm: crate::scalar::norm_in_lanes::<W>,
    l2_sqr_x4: None,
    inner_product_x4: None,
    l2_sqr_ny,
    inner_product_ny,
    l2_sqr_ny2: None,
    inner_product_ny2: None,
    l2_sqr_ny_f16,
    inner_product_ny_f16,
    l2_sqr_ny_u8,
    inner_product_ny_u8,
    dot_ny_u8: crate::int_dot::dot_ny,
    tile: TileKernels {
        queries: QB,
        rows: RB,
        ip: tile_ip,
        l2_finish: tile_finish::<true>,
        ip_finish: tile_finish::<false>,
        l2_best: tile_best::<true>,
        ip_best: tile_best::<false>,
        fused_top1: false,
    },
};
