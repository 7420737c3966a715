//! Rows read in place at any byte address ([`Rows::from_le_bytes`], as a mapped `.faiss`
//! file's vectors are): every tier gives, bit for bit, what it gives the same values in
//! an aligned `Vec<f32>`, for every length 0..=67, the usual dimensions, and byte
//! offsets 1, 2 and 3 (the aligned results are checked against the f64 reference and
//! the scalar tier by the other test files).

mod common;

use common::*;
use flatl2_kernel::{Kernels, KnnPath, MetricType, Rows, ScanOrder};

/// `values` as little-endian bytes starting `offset` bytes into the returned buffer.
fn le_bytes_at(values: &[f32], offset: usize) -> Vec<u8> {
    let mut bytes = vec![0x5Au8; offset];
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn one_to_many_scans_read_unaligned_rows_as_aligned_ones() {
    let mut rng = Rng::new(41);
    for k in tiers() {
        for d in lengths().into_iter().filter(|&d| d > 0) {
            let n = 9;
            let (qa, qb) = (rng.vec(d), rng.vec(d));
            let rows = rng.vec(n * d);
            for offset in 1..4 {
                let bytes = le_bytes_at(&rows, offset);
                let un = Rows::from_le_bytes(&bytes[offset..]).unwrap();
                assert!(!un.is_aligned() || offset % 4 == 0);
                let what = format!("{} d={d} offset {offset}", k.tier());
                let (mut want, mut got) = (vec![0.0; n], vec![0.0; n]);
                let (mut want_b, mut got_b) = (vec![0.0; n], vec![0.0; n]);

                k.l2_sqr_ny(&qa, &rows, &mut want).unwrap();
                k.l2_sqr_ny(&qa, un, &mut got).unwrap();
                assert_eq!(bits(&got), bits(&want), "l2 {what}");

                k.inner_product_ny(&qa, &rows, &mut want).unwrap();
                k.inner_product_ny(&qa, un, &mut got).unwrap();
                assert_eq!(bits(&got), bits(&want), "ip {what}");

                for order in [ScanOrder::Resident, ScanOrder::Cached, ScanOrder::Streaming] {
                    k.l2_sqr_ny_in(&qa, &rows, &mut want, order).unwrap();
                    k.l2_sqr_ny_in(&qa, un, &mut got, order).unwrap();
                    assert_eq!(bits(&got), bits(&want), "l2 {order:?} {what}");
                    k.inner_product_ny_in(&qa, &rows, &mut want, order).unwrap();
                    k.inner_product_ny_in(&qa, un, &mut got, order).unwrap();
                    assert_eq!(bits(&got), bits(&want), "ip {order:?} {what}");
                }

                k.l2_sqr_ny2(&qa, &qb, &rows, &mut want, &mut want_b)
                    .unwrap();
                k.l2_sqr_ny2(&qa, &qb, un, &mut got, &mut got_b).unwrap();
                assert_eq!(bits(&got), bits(&want), "l2 ny2 a {what}");
                assert_eq!(bits(&got_b), bits(&want_b), "l2 ny2 b {what}");

                k.inner_product_ny2(&qa, &qb, &rows, &mut want, &mut want_b)
                    .unwrap();
                k.inner_product_ny2(&qa, &qb, un, &mut got, &mut got_b)
                    .unwrap();
                assert_eq!(bits(&got), bits(&want), "ip ny2 a {what}");
                assert_eq!(bits(&got_b), bits(&want_b), "ip ny2 b {what}");

                k.norms_sqr(&rows, d, &mut want).unwrap();
                k.norms_sqr(un, d, &mut got).unwrap();
                assert_eq!(bits(&got), bits(&want), "norms {what}");
            }
        }
    }
}

/// Both many-to-many paths (the blocked one copies unaligned blocks into scratch), at
/// k = 1 and k = 5, over more rows than one block holds.
#[test]
fn knn_reads_unaligned_rows_as_aligned_ones() {
    let mut rng = Rng::new(42);
    for k in tiers() {
        for d in [1, 3, 17, 64, 67, 128] {
            let (nq, n) = (37, 3000);
            let queries = rng.vec(nq * d);
            let rows = rng.vec(n * d);
            let bytes = le_bytes_at(&rows, 3);
            let un = Rows::from_le_bytes(&bytes[3..]).unwrap();
            for path in [KnnPath::Direct, KnnPath::Blocked] {
                for metric in [MetricType::L2, MetricType::InnerProduct] {
                    for top in [1, 5] {
                        let what = format!("{} d={d} {path:?} {metric:?} k={top}", k.tier());
                        let run = |rows: Rows<'_>| {
                            let mut dist = vec![0.0; nq * top];
                            let mut labels = vec![0i64; nq * top];
                            k.knn_via(
                                path,
                                metric,
                                &queries,
                                rows,
                                d,
                                None,
                                top,
                                &mut dist,
                                &mut labels,
                            )
                            .unwrap();
                            (bits(&dist), labels)
                        };
                        assert_eq!(run(un), run(Rows::from(&rows)), "{what}");
                    }
                }
            }
        }
    }
}

#[test]
fn unaligned_rows_are_validated_like_slices() {
    let k: &Kernels = tiers()[0];
    let bytes = le_bytes_at(&[1.0; 7], 1);
    let un = Rows::from_le_bytes(&bytes[1..]).unwrap();
    let mut out = [0.0; 2];
    assert!(k.l2_sqr_ny(&[0.0; 3], un, &mut out).is_err());
    assert!(k.norms_sqr(un, 2, &mut out).is_err());
    assert!(Rows::from_le_bytes(&bytes[..6]).is_err());
}
