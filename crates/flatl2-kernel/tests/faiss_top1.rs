//! The blocked path against native Faiss's own answers (fixtures/faiss_top1, recorded
//! by `gen_top1.py` from faiss-cpu 1.15.1's AVX-512 build): k = 1, which Faiss's x86
//! builds take through their fused top-1 L2 path (`t = fma(x.y, -2, |y|^2)`, the
//! query's norm added last), and k = 4 (its heap path, `|x|^2 + |y|^2 - 2 x.y`). Labels
//! must be Faiss's on every tier; on the AVX-512 tier, whose norms are summed in the
//! order Faiss's AVX-512 build sums them, the distances must be Faiss's bit for bit.
//!
//! Also pins down each tier's row-norm order (`Kernels::norms_sqr`), which those
//! distance bits depend on.

mod common;

use common::*;
use flatl2_kernel::{KnnPath, MetricType, SimdTier};

const D: usize = 64;
const NQ: usize = 2000;
const N: usize = 300;

/// `gen_top1.py`'s 64-bit LCG: values `k / 2^24 - 0.5`, exact in f32.
fn lcg_values(count: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f64 / (1u64 << 24) as f64 - 0.5) as f32
        })
        .collect()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/faiss_top1/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn f32s(name: &str) -> Vec<f32> {
    let b = fixture(name);
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn i64s(name: &str) -> Vec<i64> {
    let b = fixture(name);
    b.chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn data() -> (Vec<f32>, Vec<f32>) {
    let mut y = lcg_values(N * D, 11);
    let mut x = lcg_values(NQ * D, 12);
    y.copy_within(3 * D..4 * D, 150 * D);
    x[7 * D..8 * D].copy_from_slice(&y[3 * D..4 * D]);
    x[9 * D..10 * D].copy_from_slice(&y[100 * D..101 * D]);
    (x, y)
}

#[test]
fn blocked_results_are_faiss_s() {
    let (x, y) = data();
    const { assert!(NQ * D >= flatl2_kernel::BLOCKED_THRESHOLD) };
    for k in tiers() {
        let mut norms = vec![0.0f32; N];
        k.norms_sqr(&y, D, &mut norms).unwrap();
        for kk in [1usize, 4] {
            let (want_d, want_l) = (f32s(&format!("D{kk}.f32")), i64s(&format!("I{kk}.i64")));
            for given in [None, Some(norms.as_slice())] {
                for path in [KnnPath::Auto, KnnPath::Blocked] {
                    let mut dist = vec![0.0f32; NQ * kk];
                    let mut labels = vec![0i64; NQ * kk];
                    k.knn_via(
                        path,
                        MetricType::L2,
                        &x,
                        &y,
                        D,
                        given,
                        kk,
                        &mut dist,
                        &mut labels,
                    )
                    .unwrap();
                    let what = format!(
                        "{} k={kk} {path:?} norms given={}",
                        k.tier(),
                        given.is_some()
                    );
                    assert_eq!(labels, want_l, "{what}");
                    if k.tier() == SimdTier::Avx512 {
                        let got: Vec<u32> = dist.iter().map(|v| v.to_bits()).collect();
                        let want: Vec<u32> = want_d.iter().map(|v| v.to_bits()).collect();
                        let bad: Vec<usize> =
                            (0..got.len()).filter(|&i| got[i] != want[i]).collect();
                        assert!(
                            bad.is_empty(),
                            "{what}: {} differ, first {:?}: {:?} vs {:?}",
                            bad.len(),
                            &bad[..bad.len().min(5)],
                            bad.iter().take(5).map(|&i| dist[i]).collect::<Vec<_>>(),
                            bad.iter().take(5).map(|&i| want_d[i]).collect::<Vec<_>>()
                        );
                    } else {
                        for (g, w) in dist.iter().zip(&want_d) {
                            assert!(
                                (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                                "{what}: {g} vs {w}"
                            );
                        }
                    }
                    // A query equal to a row: round-off only, never negative.
                    assert!(
                        (0.0..1e-5).contains(&dist[7 * kk]),
                        "{what}: {}",
                        dist[7 * kk]
                    );
                }
            }
        }
    }
}

/// `W` lanes over whole vectors (fused multiply-adds, or multiply then add), the lanes
/// summed by halves, then the tail one step at a time: Faiss's `fvec_norms_L2sqr` as a
/// compiler vectorizes it for a `W`-float register (`W = 1`: one value at a time).
fn norm_in_order(a: &[f32], w: usize, fused: bool) -> f32 {
    let step = |r: f32, v: f32| if fused { v.mul_add(v, r) } else { r + v * v };
    if w == 1 {
        return a.iter().fold(0.0f32, |r, &v| step(r, v));
    }
    let body = a.len() - a.len() % w;
    let mut lanes = vec![0.0f32; w];
    for chunk in a[..body].chunks_exact(w) {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l = step(*l, v);
        }
    }
    while lanes.len() > 1 {
        let half = lanes.len() / 2;
        let (lo, hi) = lanes.split_at(half);
        lanes = lo.iter().zip(hi).map(|(a, b)| a + b).collect();
    }
    a[body..].iter().fold(lanes[0], |r, &v| step(r, v))
}

#[test]
fn every_tier_sums_row_norms_in_its_width_s_order() {
    let mut rng = Rng::new(77);
    for k in tiers() {
        let (w, fused) = match k.tier() {
            SimdTier::Avx512 => (16, true),
            SimdTier::Avx2 => (8, true),
            SimdTier::Neon => (4, true),
            SimdTier::Portable => (8, false),
            SimdTier::Scalar => (1, false),
        };
        for d in lengths() {
            if d == 0 {
                continue;
            }
            let v = rng.vec(d + 3);
            for off in 0..=3 {
                let a = &v[off..off + d];
                let mut got = [0.0f32];
                k.norms_sqr(a, d, &mut got).unwrap();
                assert_eq!(
                    got[0].to_bits(),
                    norm_in_order(a, w, fused).to_bits(),
                    "{} d={d} off={off}",
                    k.tier()
                );
            }
        }
    }
}
