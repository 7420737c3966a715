//! Shared helpers for the kernel tests: a deterministic generator, f64 references and
//! the list of tiers this machine can run.

#![allow(dead_code)]

use flatl2_kernel::{f16, kernels_for, Kernels, SimdTier};

/// Every tier this CPU supports, forced one by one.
pub fn tiers() -> Vec<&'static Kernels> {
    SimdTier::ALL
        .into_iter()
        .filter(|t| t.is_supported())
        .map(|t| kernels_for(t).expect("a supported tier has a table"))
        .collect()
}

/// xorshift64*: deterministic, no dependencies.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn vec(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.unit()).collect()
    }
    /// Small integers in [-lim, lim]: every sum stays exact in f32.
    pub fn ints(&mut self, len: usize, lim: i64) -> Vec<f32> {
        (0..len)
            .map(|_| (self.below(2 * lim as u64 + 1) as i64 - lim) as f32)
            .collect()
    }
}

/// `(value, sum of |terms|)` of the squared L2 distance, in f64.
pub fn l2_ref(a: &[f64], b: &[f64]) -> (f64, f64) {
    let s: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    (s, s)
}

/// `(value, sum of |terms|)` of the inner product, in f64.
pub fn ip_ref(a: &[f64], b: &[f64]) -> (f64, f64) {
    let s = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let abs = a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum();
    (s, abs)
}

pub fn widen(a: &[f32]) -> Vec<f64> {
    a.iter().map(|&x| x as f64).collect()
}

pub fn widen_f16(a: &[f16]) -> Vec<f64> {
    a.iter().map(|x| x.to_f64()).collect()
}

/// The stated error bound: a sum of `d` rounded terms in f32, each term itself rounded
/// at most twice, is within `(d + 2) * eps * sum|terms|` of the exact value (first
/// order); we allow twice that.
pub fn bound(d: usize, abs_sum: f64) -> f64 {
    2.0 * (d as f64 + 2.0) * f32::EPSILON as f64 * abs_sum + f32::MIN_POSITIVE as f64
}

/// Asserts `got` is within [`bound`] of `(value, abs_sum)`.
pub fn assert_close(got: f32, want: (f64, f64), d: usize, what: &str) {
    let err = (got as f64 - want.0).abs();
    assert!(
        err <= bound(d, want.1),
        "{what}: got {got}, want {}, err {err} > bound {}",
        want.0,
        bound(d, want.1)
    );
}

/// A copy of `v` at float offset `off` inside a larger buffer (for unaligned slices).
pub fn at_offset(v: &[f32], off: usize) -> Vec<f32> {
    let mut buf = vec![0.0f32; v.len() + off];
    buf[off..].copy_from_slice(v);
    buf
}

pub const LENGTHS_BIG: [usize; 4] = [128, 384, 768, 1536];

/// All lengths 0..=67 and the embedding sizes.
pub fn lengths() -> Vec<usize> {
    (0..=67).chain(LENGTHS_BIG).collect()
}
