//! Pairwise kernels of every tier against f64 references: all short lengths, the usual
//! embedding sizes, unaligned slices, IEEE special values, random shapes.

mod common;

use common::Rng;
use common::*;
use flatl2_kernel::{kernels_for, KernelError, Kernels, SimdTier};
use proptest::prelude::*;

fn check_pair(k: &Kernels, a: &[f32], b: &[f32], what: &str) {
    let (wa, wb) = (widen(a), widen(b));
    let d = a.len();
    assert_close(
        k.l2_sqr(a, b).unwrap(),
        l2_ref(&wa, &wb),
        d,
        &format!("{what} l2"),
    );
    assert_close(
        k.inner_product(a, b).unwrap(),
        ip_ref(&wa, &wb),
        d,
        &format!("{what} ip"),
    );
    assert_close(k.norm_sqr(a), ip_ref(&wa, &wa), d, &format!("{what} norm"));
}

#[test]
fn every_length_and_offset_matches_f64() {
    let mut rng = Rng::new(1);
    for k in tiers() {
        for d in lengths() {
            let a = rng.vec(d);
            let b = rng.vec(d);
            for off_a in 0..=3 {
                let off_b = (off_a * 7 + 1) % 4;
                let ba = at_offset(&a, off_a);
                let bb = at_offset(&b, off_b);
                check_pair(
                    k,
                    &ba[off_a..],
                    &bb[off_b..],
                    &format!("{} d={d} off={off_a}/{off_b}", k.tier()),
                );
            }
        }
    }
}

#[test]
fn f64_inner_product_is_the_same_bits_on_every_tier_and_matches_f64() {
    let mut rng = Rng::new(5);
    let scalar = kernels_for(SimdTier::Scalar).unwrap();
    for d in lengths() {
        let a = rng.vec(d);
        let b: Vec<f32> = rng.vec(d).iter().map(|x| x * 1e3).collect();
        let (want, abs) = ip_ref(&widen(&a), &widen(&b));
        let reference = scalar.inner_product_f64(&a, &b).unwrap();
        // Exact products, d additions in f64.
        let bound = (d as f64 + 1.0) * f64::EPSILON * abs;
        assert!(
            (reference - want).abs() <= bound,
            "d={d}: {reference} vs {want}"
        );
        for k in tiers() {
            for off_a in 0..=3 {
                let off_b = (off_a * 5 + 3) % 4;
                let ba = at_offset(&a, off_a);
                let bb = at_offset(&b, off_b);
                let got = k.inner_product_f64(&ba[off_a..], &bb[off_b..]).unwrap();
                assert_eq!(
                    got.to_bits(),
                    reference.to_bits(),
                    "{} d={d} off={off_a}/{off_b}",
                    k.tier()
                );
            }
        }
    }
    for k in tiers() {
        assert!(matches!(
            k.inner_product_f64(&[1.0, 2.0], &[1.0]),
            Err(KernelError::LengthMismatch { left: 2, right: 1 })
        ));
    }
}

#[test]
fn four_row_kernels_are_the_pair_kernels_bits_row_by_row() {
    let mut rng = Rng::new(6);
    for k in tiers() {
        for d in lengths() {
            let q = rng.vec(d);
            let rows: Vec<Vec<f32>> = (0..4).map(|_| rng.vec(d)).collect();
            for off in 0..=3 {
                let bq = at_offset(&q, off);
                // Each row at its own misalignment.
                let brows: Vec<Vec<f32>> =
                    (0..4).map(|r| at_offset(&rows[r], (off + r) % 4)).collect();
                let views: [&[f32]; 4] = core::array::from_fn(|r| &brows[r][(off + r) % 4..]);
                let what = format!("{} d={d} off={off}", k.tier());
                let l2 = k.l2_sqr_x4(&bq[off..], views).unwrap();
                let ip = k.inner_product_x4(&bq[off..], views).unwrap();
                for r in 0..4 {
                    let one_l2 = k.l2_sqr(&bq[off..], views[r]).unwrap();
                    let one_ip = k.inner_product(&bq[off..], views[r]).unwrap();
                    assert_eq!(l2[r].to_bits(), one_l2.to_bits(), "{what} row {r} l2");
                    assert_eq!(ip[r].to_bits(), one_ip.to_bits(), "{what} row {r} ip");
                    let (wq, wr) = (widen(&q), widen(&rows[r]));
                    assert_close(l2[r], l2_ref(&wq, &wr), d, &format!("{what} row {r} l2"));
                    assert_close(ip[r], ip_ref(&wq, &wr), d, &format!("{what} row {r} ip"));
                }
            }
        }
    }
}

#[test]
fn four_row_kernels_keep_a_nan_in_its_row() {
    for k in tiers() {
        for d in [1usize, 7, 16, 17, 64, 65, 128] {
            let q = vec![0.5f32; d];
            let mut bad = vec![1.0f32; d];
            bad[d - 1] = f32::NAN;
            let good = vec![1.0f32; d];
            let rows = [&good[..], &bad[..], &good[..], &good[..]];
            let l2 = k.l2_sqr_x4(&q, rows).unwrap();
            let ip = k.inner_product_x4(&q, rows).unwrap();
            let t = k.tier();
            assert!(l2[1].is_nan() && ip[1].is_nan(), "{t} d={d}");
            for r in [0, 2, 3] {
                assert_eq!(l2[r], 0.25 * d as f32, "{t} d={d} row {r}");
                assert_eq!(ip[r], 0.5 * d as f32, "{t} d={d} row {r}");
            }
        }
    }
}

#[test]
fn large_magnitudes_stay_within_bound() {
    let mut rng = Rng::new(2);
    for k in tiers() {
        for d in [17, 64, 384, 1536] {
            let a: Vec<f32> = rng.vec(d).iter().map(|x| x * 1e4).collect();
            let b: Vec<f32> = rng.vec(d).iter().map(|x| x * 1e-3 + 5.0).collect();
            check_pair(k, &a, &b, &format!("{} d={d}", k.tier()));
        }
    }
}

#[test]
fn nan_and_infinity_propagate() {
    for k in tiers() {
        for d in [1usize, 5, 8, 15, 16, 17, 31, 33, 64, 65, 100, 128] {
            for p in [0, d / 2, d - 1] {
                let t = k.tier();
                let ones = vec![1.0f32; d];
                let mut a = vec![0.5f32; d];
                a[p] = f32::NAN;
                assert!(k.l2_sqr(&a, &ones).unwrap().is_nan(), "{t} d={d} p={p}");
                assert!(
                    k.inner_product(&a, &ones).unwrap().is_nan(),
                    "{t} d={d} p={p}"
                );

                // inf - inf = NaN in L2.
                let mut a = vec![0.5f32; d];
                let mut b = vec![0.25f32; d];
                a[p] = f32::INFINITY;
                b[p] = f32::INFINITY;
                assert!(k.l2_sqr(&a, &b).unwrap().is_nan(), "{t} d={d} p={p}");
                // inf - finite = inf, squared inf.
                b[p] = 3.0;
                assert_eq!(k.l2_sqr(&a, &b).unwrap(), f32::INFINITY, "{t} d={d} p={p}");
                // inf * positive = inf; inf * 0 = NaN.
                assert_eq!(
                    k.inner_product(&a, &b).unwrap(),
                    f32::INFINITY,
                    "{t} d={d} p={p}"
                );
                b[p] = 0.0;
                assert!(k.inner_product(&a, &b).unwrap().is_nan(), "{t} d={d} p={p}");
                // inf + (-inf) = NaN across terms.
                if d > 1 {
                    let q = (p + 1) % d;
                    let mut a = vec![0.0f32; d];
                    let b = vec![1.0f32; d];
                    a[p] = f32::INFINITY;
                    a[q] = f32::NEG_INFINITY;
                    assert!(k.inner_product(&a, &b).unwrap().is_nan(), "{t} d={d}");
                }
                // Overflow of a finite sum gives +inf, not NaN.
                let big = vec![3e38f32; d];
                let neg = vec![-3e38f32; d];
                assert_eq!(k.l2_sqr(&big, &neg).unwrap(), f32::INFINITY, "{t} d={d}");
            }
        }
    }
}

#[test]
fn mismatched_lengths_are_typed_errors() {
    for k in tiers() {
        assert_eq!(
            k.l2_sqr(&[1.0, 2.0], &[1.0]),
            Err(KernelError::LengthMismatch { left: 2, right: 1 })
        );
        assert_eq!(
            k.inner_product(&[], &[1.0]),
            Err(KernelError::LengthMismatch { left: 0, right: 1 })
        );
        assert_eq!(k.l2_sqr(&[], &[]), Ok(0.0));
        let row = [1.0f32, 2.0];
        assert_eq!(
            k.l2_sqr_x4(&[1.0, 2.0], [&row, &row, &row[..1], &row]),
            Err(KernelError::LengthMismatch { left: 2, right: 1 })
        );
        assert_eq!(
            k.inner_product_x4(&[1.0], [&row[..1], &row, &row[..1], &row[..1]]),
            Err(KernelError::LengthMismatch { left: 1, right: 2 })
        );
        assert_eq!(k.l2_sqr_x4(&[], [&[], &[], &[], &[]]), Ok([0.0; 4]));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_shapes_match_f64(
        d in 0usize..300,
        off_a in 0usize..4,
        off_b in 0usize..4,
        scale in prop_oneof![Just(1e-3f32), Just(1.0f32), Just(1e3f32)],
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::new(seed);
        let a: Vec<f32> = rng.vec(d).iter().map(|x| x * scale).collect();
        let b: Vec<f32> = rng.vec(d).iter().map(|x| x * scale).collect();
        let ba = at_offset(&a, off_a);
        let bb = at_offset(&b, off_b);
        for k in tiers() {
            check_pair(k, &ba[off_a..], &bb[off_b..], &format!("{} d={d}", k.tier()));
        }
    }
}
