//! The exact integer dot products of 16-bit weights with 8-bit code rows
//! (`Kernels::dot_ny_u8_i16`): every tier equals an `i64` reference at every length
//! 0..=67 and the usual dimensions, with rows and weights starting at any address, at
//! the extreme weights the limit allows; bad shapes and weights past the limit are
//! typed errors.

mod common;

use common::*;
use flatl2_kernel::{KernelError, Kernels, U8_DOT_WEIGHT_LIMIT};

/// `sum_j w[j] * row[j]` in `i64`, for each row.
fn reference(w: &[i16], rows: &[u8]) -> Vec<i64> {
    rows.chunks_exact(w.len())
        .map(|row| {
            row.iter()
                .zip(w)
                .map(|(&c, &x)| i64::from(c) * i64::from(x))
                .sum()
        })
        .collect()
}

fn check(k: &Kernels, w: &[i16], rows: &[u8], what: &str) {
    let n = rows.len() / w.len();
    let mut out = vec![i32::MIN; n];
    k.dot_ny_u8_i16(w, rows, &mut out).unwrap();
    let want = reference(w, rows);
    let got: Vec<i64> = out.iter().map(|&v| i64::from(v)).collect();
    assert_eq!(got, want, "{what}");
}

/// Weights of `d` values: random, and the largest magnitudes the limit allows.
fn weights(rng: &mut Rng, d: usize) -> [Vec<i16>; 3] {
    let cap = (U8_DOT_WEIGHT_LIMIT / d as u64).min(i16::MAX as u64) as i64;
    let random: Vec<i16> = (0..d)
        .map(|_| (rng.below(2 * cap as u64 + 1) as i64 - cap) as i16)
        .collect();
    let high = vec![cap as i16; d];
    let low = vec![-(cap as i16); d];
    [random, high, low]
}

#[test]
fn every_tier_equals_the_integer_reference() {
    let mut rng = Rng::new(29);
    let dims: Vec<usize> = (1..=67).chain([96, 128, 384, 768, 1536]).collect();
    for k in tiers() {
        for &d in &dims {
            for n in [0usize, 1, 3, 4, 5, 17] {
                let mut codes: Vec<u8> = (0..n * d + 3).map(|_| rng.below(256) as u8).collect();
                // All-255 rows for the extreme weights' largest sums.
                codes[..d.min(n * d)].fill(255);
                for w in weights(&mut rng, d) {
                    // Unaligned starts: rows 0-3 bytes into their buffer, weights one
                    // element into theirs.
                    let mut wbuf = vec![0i16; d + 1];
                    wbuf[1..].copy_from_slice(&w);
                    for off in 0..4 {
                        check(
                            k,
                            &wbuf[1..],
                            &codes[off..off + n * d],
                            &format!("{} d={d} n={n} off={off}", k.tier()),
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bad_shapes_and_weights_past_the_limit_are_typed_errors() {
    for k in tiers() {
        let mut out = vec![0i32; 2];
        let codes = [7u8; 4];
        assert_eq!(
            k.dot_ny_u8_i16(&[], &codes, &mut out),
            Err(KernelError::ZeroDimension)
        );
        assert_eq!(
            k.dot_ny_u8_i16(&[1; 3], &codes, &mut out),
            Err(KernelError::RaggedMatrix { len: 4, dim: 3 })
        );
        assert_eq!(
            k.dot_ny_u8_i16(&[1; 4], &codes, &mut out),
            Err(KernelError::OutputSize {
                expected: 1,
                got: 2
            })
        );
        // 257 weights of i16::MAX sum past the limit; one fewer does not.
        let d = (U8_DOT_WEIGHT_LIMIT / i16::MAX as u64) as usize + 1;
        let rows = vec![255u8; d];
        let mut one = [0i32];
        assert!(matches!(
            k.dot_ny_u8_i16(&vec![i16::MAX; d], &rows, &mut one),
            Err(KernelError::WeightsTooLarge { .. })
        ));
        assert!(matches!(
            k.dot_ny_u8_i16(&vec![i16::MIN; d], &rows, &mut one),
            Err(KernelError::WeightsTooLarge { .. })
        ));
        k.dot_ny_u8_i16(&vec![i16::MAX; d - 1], &rows[..d - 1], &mut one)
            .unwrap();
        assert_eq!(i64::from(one[0]), (d as i64 - 1) * 255 * i16::MAX as i64);
    }
}
