//! One-to-many kernels (f32, f16 and 8-bit code rows) of every tier against f64
//! references, and their input validation.

mod common;

use common::Rng;
use common::*;
use flatl2_kernel::{f16, KernelError, Kernels, ScanOrder};
use proptest::prelude::*;

const ROW_COUNTS: [usize; 7] = [0, 1, 3, 4, 5, 17, 33];

fn check_ny(k: &Kernels, q: &[f32], rows: &[f32], what: &str) {
    let d = q.len();
    let n = rows.len() / d;
    let mut out = vec![f32::NAN; n];
    let wq = widen(q);
    k.l2_sqr_ny(q, rows, &mut out).unwrap();
    for (i, &got) in out.iter().enumerate() {
        let r = widen(&rows[i * d..(i + 1) * d]);
        assert_close(got, l2_ref(&wq, &r), d, &format!("{what} l2 row {i}"));
    }
    out.fill(f32::NAN);
    k.inner_product_ny(q, rows, &mut out).unwrap();
    for (i, &got) in out.iter().enumerate() {
        let r = widen(&rows[i * d..(i + 1) * d]);
        assert_close(got, ip_ref(&wq, &r), d, &format!("{what} ip row {i}"));
    }
    // Every order of the one-to-many scan gives those values, bit for bit.
    for l2 in [true, false] {
        let mut by_order = [vec![f32::NAN; n], vec![f32::NAN; n], vec![f32::NAN; n]];
        for (order, o) in [ScanOrder::Cached, ScanOrder::Streaming, ScanOrder::Resident]
            .into_iter()
            .zip(by_order.iter_mut())
        {
            if l2 {
                k.l2_sqr_ny_in(q, rows, o, order).unwrap();
            } else {
                k.inner_product_ny_in(q, rows, o, order).unwrap();
            }
        }
        for (i, (&c, &s)) in by_order[0].iter().zip(&by_order[1]).enumerate() {
            let r = widen(&rows[i * d..(i + 1) * d]);
            let want = if l2 { l2_ref(&wq, &r) } else { ip_ref(&wq, &r) };
            assert_close(s, want, d, &format!("{what} l2={l2} streaming row {i}"));
            assert_eq!(c.to_bits(), s.to_bits(), "{what} l2={l2} orders row {i}");
            let r = by_order[2][i];
            assert_eq!(c.to_bits(), r.to_bits(), "{what} l2={l2} resident row {i}");
        }
    }
    out.fill(f32::NAN);
    k.norms_sqr(rows, d, &mut out).unwrap();
    for (i, &got) in out.iter().enumerate() {
        let r = widen(&rows[i * d..(i + 1) * d]);
        assert_close(got, ip_ref(&r, &r), d, &format!("{what} norm row {i}"));
    }
}

fn check_ny_f16(k: &Kernels, q: &[f32], rows: &[f16], what: &str) {
    let d = q.len();
    let n = rows.len() / d;
    let mut out = vec![f32::NAN; n];
    let wq = widen(q);
    k.l2_sqr_ny_f16(q, rows, &mut out).unwrap();
    for (i, &got) in out.iter().enumerate() {
        let r = widen_f16(&rows[i * d..(i + 1) * d]);
        assert_close(got, l2_ref(&wq, &r), d, &format!("{what} f16 l2 row {i}"));
    }
    out.fill(f32::NAN);
    k.inner_product_ny_f16(q, rows, &mut out).unwrap();
    for (i, &got) in out.iter().enumerate() {
        let r = widen_f16(&rows[i * d..(i + 1) * d]);
        assert_close(got, ip_ref(&wq, &r), d, &format!("{what} f16 ip row {i}"));
    }
    // Every order gives the values of the call above, bit for bit.
    for l2 in [true, false] {
        let mut by_order = [
            vec![f32::NAN; n],
            vec![f32::NAN; n],
            vec![f32::NAN; n],
            vec![f32::NAN; n],
        ];
        if l2 {
            k.l2_sqr_ny_f16(q, rows, &mut by_order[3]).unwrap();
        } else {
            k.inner_product_ny_f16(q, rows, &mut by_order[3]).unwrap();
        }
        for (order, o) in [ScanOrder::Cached, ScanOrder::Streaming, ScanOrder::Resident]
            .into_iter()
            .zip(by_order.iter_mut())
        {
            if l2 {
                k.l2_sqr_ny_f16_in(q, rows, o, order).unwrap();
            } else {
                k.inner_product_ny_f16_in(q, rows, o, order).unwrap();
            }
        }
        for i in 0..n {
            let bits = by_order.each_ref().map(|o| o[i].to_bits());
            assert_eq!(bits[0], bits[3], "{what} f16 l2={l2} cached row {i}");
            assert_eq!(bits[1], bits[3], "{what} f16 l2={l2} streaming row {i}");
            assert_eq!(bits[2], bits[3], "{what} f16 l2={l2} resident row {i}");
        }
    }
}

/// The f32 value code `c` in coordinate `j` stands for: one rounding, as the kernels'
/// fused multiply-add gives it.
fn decode_u8(rows: &[u8], offset: &[f32], scale: &[f32]) -> Vec<f64> {
    let d = offset.len();
    rows.iter()
        .enumerate()
        .map(|(i, &c)| f64::from(f32::from(c).mul_add(scale[i % d], offset[i % d])))
        .collect()
}

/// The f64 value and error scale of a row of 8-bit codes: the kernels may fold the
/// decoding into the sum (`(q - offset) - c * scale`, `q * scale * c + q * offset`), so
/// the rounding scale is that of the parts, not of the decoded difference.
fn u8_ref(q: &[f32], codes: &[u8], offset: &[f32], scale: &[f32], l2: bool) -> (f64, f64) {
    let decoded = decode_u8(codes, offset, scale);
    let (mut value, mut abs) = (0.0f64, 0.0f64);
    for j in 0..q.len() {
        let (x, o, cs) = (
            f64::from(q[j]),
            f64::from(offset[j]),
            f64::from(codes[j]) * f64::from(scale[j]),
        );
        if l2 {
            let t = x - decoded[j];
            value += t * t;
            abs += (t.abs() + x.abs() + o.abs() + cs.abs()).powi(2);
        } else {
            value += x * decoded[j];
            abs += x.abs() * (o.abs() + cs.abs());
        }
    }
    (value, abs)
}

fn check_ny_u8(k: &Kernels, q: &[f32], rows: &[u8], offset: &[f32], scale: &[f32], what: &str) {
    let d = q.len();
    let n = rows.len() / d;
    for l2 in [true, false] {
        let mut out = vec![f32::NAN; n];
        let run = |rows: &[u8], out: &mut [f32]| {
            if l2 {
                k.l2_sqr_ny_u8(q, rows, offset, scale, out).unwrap()
            } else {
                k.inner_product_ny_u8(q, rows, offset, scale, out).unwrap()
            }
        };
        run(rows, &mut out);
        for (i, &got) in out.iter().enumerate() {
            let row = &rows[i * d..(i + 1) * d];
            let want = u8_ref(q, row, offset, scale, l2);
            assert_close(got, want, d, &format!("{what} u8 l2={l2} row {i}"));
            // A row's distance does not depend on the rows scanned with it.
            let mut alone = [f32::NAN];
            run(row, &mut alone);
            assert_eq!(
                got.to_bits(),
                alone[0].to_bits(),
                "{what} u8 l2={l2} row {i} alone"
            );
        }
    }
}

#[test]
fn u8_code_rows_match_f64() {
    let mut rng = Rng::new(13);
    for k in tiers() {
        for d in lengths().into_iter().filter(|&d| d > 0) {
            for n in [0usize, 1, 3, 4, 5, 9, 17] {
                let q = rng.vec(d);
                let offset = rng.vec(d);
                let scale: Vec<f32> = rng.vec(d).into_iter().map(|x| x / 255.0).collect();
                let codes: Vec<u8> = (0..n * d + 3).map(|_| rng.below(256) as u8).collect();
                // Unaligned starts: the rows begin 0 to 3 bytes into the buffer.
                let off = d % 4;
                check_ny_u8(
                    k,
                    &q,
                    &codes[off..off + n * d],
                    &offset,
                    &scale,
                    &format!("{} d={d} n={n}", k.tier()),
                );
            }
        }
    }
}

#[test]
fn u8_code_rows_are_typed_errors_on_bad_shapes() {
    for k in tiers() {
        let mut out = vec![0.0f32; 2];
        let codes = [7u8; 4];
        assert_eq!(
            k.l2_sqr_ny_u8(&[], &codes, &[], &[], &mut out),
            Err(KernelError::ZeroDimension)
        );
        assert_eq!(
            k.l2_sqr_ny_u8(&[1.0; 3], &codes, &[0.0; 3], &[1.0; 3], &mut out),
            Err(KernelError::RaggedMatrix { len: 4, dim: 3 })
        );
        assert_eq!(
            k.inner_product_ny_u8(&[1.0; 2], &codes, &[0.0; 1], &[1.0; 2], &mut out),
            Err(KernelError::LengthMismatch { left: 2, right: 1 })
        );
        assert_eq!(
            k.inner_product_ny_u8(&[1.0; 2], &codes, &[0.0; 2], &[1.0; 3], &mut out),
            Err(KernelError::LengthMismatch { left: 2, right: 3 })
        );
        assert_eq!(
            k.l2_sqr_ny_u8(&[1.0; 1], &codes, &[0.0; 1], &[1.0; 1], &mut out),
            Err(KernelError::OutputSize {
                expected: 4,
                got: 2
            })
        );
    }
}

#[test]
fn every_length_row_count_and_offset_matches_f64() {
    let mut rng = Rng::new(11);
    for k in tiers() {
        for d in lengths().into_iter().filter(|&d| d > 0) {
            for n in ROW_COUNTS {
                let q = rng.vec(d);
                let rows = rng.vec(n * d);
                let off = (d + n) % 4;
                let bq = at_offset(&q, 3 - off);
                let br = at_offset(&rows, off);
                check_ny(
                    k,
                    &bq[3 - off..],
                    &br[off..],
                    &format!("{} d={d} n={n} off={off}", k.tier()),
                );
            }
        }
    }
}

/// A row's distance does not depend on where it sits in a call: scanning rows `s..e`
/// gives, bit for bit, the distances a scan of all rows gives them (so blocks, thread
/// splits and batches of queries never change a distance, nor the order of ties), in
/// either scan order.
#[test]
fn a_rows_distance_does_not_depend_on_its_position_in_the_call() {
    let mut rng = Rng::new(13);
    for k in tiers() {
        for d in lengths().into_iter().filter(|&d| d > 0) {
            let n = 11;
            let q = rng.vec(d);
            let rows = rng.vec(n * d);
            type One = fn(&Kernels, &[f32], &[f32], &mut [f32]) -> Result<(), KernelError>;
            let scans: [One; 6] = [
                |k, q, r, o| k.l2_sqr_ny_in(q, r, o, ScanOrder::Resident),
                |k, q, r, o| k.inner_product_ny_in(q, r, o, ScanOrder::Resident),
                |k, q, r, o| k.l2_sqr_ny_in(q, r, o, ScanOrder::Cached),
                |k, q, r, o| k.inner_product_ny_in(q, r, o, ScanOrder::Cached),
                |k, q, r, o| k.l2_sqr_ny_in(q, r, o, ScanOrder::Streaming),
                |k, q, r, o| k.inner_product_ny_in(q, r, o, ScanOrder::Streaming),
            ];
            for ny in scans {
                let mut all = vec![f32::NAN; n];
                ny(k, &q, &rows, &mut all).unwrap();
                for s in 0..n {
                    for e in s..=n {
                        let mut part = vec![f32::NAN; e - s];
                        ny(k, &q, &rows[s * d..e * d], &mut part).unwrap();
                        for (j, got) in part.iter().enumerate() {
                            assert_eq!(
                                got.to_bits(),
                                all[s + j].to_bits(),
                                "{} d={d} rows {s}..{e}: row {}",
                                k.tier(),
                                s + j
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The two-query scans give, bit for bit, what the one-query scans give each query, for
/// every length, row count and unaligned start.
#[test]
fn two_query_scans_equal_one_query_scans() {
    let mut rng = Rng::new(14);
    for k in tiers() {
        for d in lengths().into_iter().filter(|&d| d > 0) {
            for n in ROW_COUNTS {
                let qa = rng.vec(d);
                let qb = rng.vec(d);
                let rows = rng.vec(n * d);
                let off = (d + n) % 4;
                let (ba, bb, br) = (
                    at_offset(&qa, off),
                    at_offset(&qb, 3 - off),
                    at_offset(&rows, off),
                );
                let (qa, qb, rows) = (&ba[off..], &bb[3 - off..], &br[off..]);
                type One = fn(&Kernels, &[f32], &[f32], &mut [f32]) -> Result<(), KernelError>;
                type Two = fn(
                    &Kernels,
                    &[f32],
                    &[f32],
                    &[f32],
                    &mut [f32],
                    &mut [f32],
                ) -> Result<(), KernelError>;
                let pairs: [(One, Two); 2] = [
                    (
                        |k, q, r, o| k.l2_sqr_ny(q, r, o),
                        |k, qa, qb, r, oa, ob| k.l2_sqr_ny2(qa, qb, r, oa, ob),
                    ),
                    (
                        |k, q, r, o| k.inner_product_ny(q, r, o),
                        |k, qa, qb, r, oa, ob| k.inner_product_ny2(qa, qb, r, oa, ob),
                    ),
                ];
                for (one, two) in pairs {
                    let (mut wa, mut wb) = (vec![f32::NAN; n], vec![f32::NAN; n]);
                    one(k, qa, rows, &mut wa).unwrap();
                    one(k, qb, rows, &mut wb).unwrap();
                    let (mut ga, mut gb) = (vec![f32::NAN; n], vec![f32::NAN; n]);
                    two(k, qa, qb, rows, &mut ga, &mut gb).unwrap();
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&ga), bits(&wa), "{} d={d} n={n} first query", k.tier());
                    assert_eq!(
                        bits(&gb),
                        bits(&wb),
                        "{} d={d} n={n} second query",
                        k.tier()
                    );
                }
            }
        }
    }
    // Bad shapes are typed errors.
    let k = tiers()[0];
    let mut out = [0.0f32; 2];
    let mut out2 = [0.0f32; 2];
    assert!(matches!(
        k.l2_sqr_ny2(&[1.0; 3], &[1.0; 2], &[0.0; 6], &mut out, &mut out2),
        Err(KernelError::LengthMismatch { .. })
    ));
    assert!(matches!(
        k.l2_sqr_ny2(&[1.0; 3], &[1.0; 3], &[0.0; 6], &mut out, &mut [0.0; 1]),
        Err(KernelError::OutputSize { .. })
    ));
}

#[test]
fn f16_rows_match_f64() {
    let mut rng = Rng::new(12);
    for k in tiers() {
        for d in lengths().into_iter().filter(|&d| d > 0) {
            for n in [0usize, 1, 3, 5, 17] {
                let q = rng.vec(d);
                let rows: Vec<f16> = rng.vec(n * d + 1).into_iter().map(f16::from_f32).collect();
                let off = d % 2;
                check_ny_f16(
                    k,
                    &q,
                    &rows[off..off + n * d],
                    &format!("{} d={d} n={n}", k.tier()),
                );
            }
        }
    }
}

#[test]
fn special_values_propagate_per_row() {
    for k in tiers() {
        for d in [3usize, 16, 17, 40] {
            let q = vec![1.0f32; d];
            let mut rows = vec![0.5f32; 6 * d];
            rows[d + d / 2] = f32::NAN; // row 1
            rows[3 * d] = f32::INFINITY; // row 3
            let mut out = vec![0.0f32; 6];
            k.l2_sqr_ny(&q, &rows, &mut out).unwrap();
            let t = k.tier();
            assert!(out[1].is_nan(), "{t} d={d}");
            assert_eq!(out[3], f32::INFINITY, "{t} d={d}");
            for i in [0, 2, 4, 5] {
                assert_eq!(out[i], 0.25 * d as f32, "{t} d={d} row {i}");
            }
            k.inner_product_ny(&q, &rows, &mut out).unwrap();
            assert!(out[1].is_nan(), "{t} d={d}");
            assert_eq!(out[3], f32::INFINITY, "{t} d={d}");
            let rows16: Vec<f16> = rows.iter().map(|&x| f16::from_f32(x)).collect();
            k.l2_sqr_ny_f16(&q, &rows16, &mut out).unwrap();
            assert!(out[1].is_nan(), "{t} d={d}");
            assert_eq!(out[3], f32::INFINITY, "{t} d={d}");
            k.inner_product_ny_f16(&q, &rows16, &mut out).unwrap();
            assert!(out[1].is_nan(), "{t} d={d}");
            assert_eq!(out[3], f32::INFINITY, "{t} d={d}");
        }
    }
}

#[test]
fn bad_shapes_are_typed_errors() {
    for k in tiers() {
        let mut out = vec![0.0f32; 2];
        assert_eq!(
            k.l2_sqr_ny(&[], &[1.0, 2.0], &mut out),
            Err(KernelError::ZeroDimension)
        );
        assert_eq!(
            k.inner_product_ny(&[1.0, 2.0], &[1.0, 2.0, 3.0], &mut out),
            Err(KernelError::RaggedMatrix { len: 3, dim: 2 })
        );
        assert_eq!(
            k.l2_sqr_ny(&[1.0, 2.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut out),
            Err(KernelError::OutputSize {
                expected: 3,
                got: 2
            })
        );
        assert_eq!(
            k.norms_sqr(&[1.0; 6], 0, &mut out),
            Err(KernelError::ZeroDimension)
        );
        assert_eq!(
            k.norms_sqr(&[1.0; 6], 4, &mut out),
            Err(KernelError::RaggedMatrix { len: 6, dim: 4 })
        );
        assert_eq!(
            k.norms_sqr(&[1.0; 6], 2, &mut out),
            Err(KernelError::OutputSize {
                expected: 3,
                got: 2
            })
        );
        let h = [f16::ONE; 5];
        assert_eq!(
            k.l2_sqr_ny_f16(&[1.0, 2.0], &h, &mut out),
            Err(KernelError::RaggedMatrix { len: 5, dim: 2 })
        );
        assert_eq!(
            k.inner_product_ny_f16(&[], &h, &mut out),
            Err(KernelError::ZeroDimension)
        );
        assert_eq!(
            k.inner_product_ny_f16(&[1.0], &h, &mut out),
            Err(KernelError::OutputSize {
                expected: 5,
                got: 2
            })
        );
        // The free functions go through the same checks.
        assert_eq!(
            flatl2_kernel::l2_sqr_ny(&[1.0], &[1.0, 2.0], &mut out[..1]),
            Err(KernelError::OutputSize {
                expected: 2,
                got: 1
            })
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_match_f64(
        d in 1usize..200,
        n in 0usize..24,
        off in 0usize..4,
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::new(seed);
        let q = rng.vec(d);
        let rows = rng.vec(n * d);
        let br = at_offset(&rows, off);
        let rows16: Vec<f16> = rows.iter().map(|&x| f16::from_f32(x)).collect();
        for k in tiers() {
            check_ny(k, &q, &br[off..], &format!("{} d={d} n={n}", k.tier()));
            check_ny_f16(k, &q, &rows16, &format!("{} d={d} n={n}", k.tier()));
        }
    }
}
