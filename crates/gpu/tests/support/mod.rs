//! What the GPU tests share: whether a device is there, and a seeded generator.

#![allow(dead_code)]

use ferrofaiss_gpu::adapter_report;

/// Whether a device is there; under `CI=true` its absence fails the test. When
/// `WGPU_BACKEND` names one backend, the adapter must be on it.
pub fn device() -> bool {
    match adapter_report() {
        Ok(report) => {
            if let Ok(wanted) = std::env::var("WGPU_BACKEND") {
                assert!(
                    wanted.eq_ignore_ascii_case(&report.backend),
                    "WGPU_BACKEND={wanted} but the adapter is {report:?}"
                );
            }
            true
        }
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and no GPU adapter: {e}"
            );
            eprintln!("skipped: {e}");
            false
        }
    }
}

/// A small deterministic generator (xorshift), so failures replay.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Integers in `0..levels` as floats: sums of their squares and products are exact.
    pub fn ints(&mut self, n: usize, levels: u64) -> Vec<f32> {
        (0..n).map(|_| (self.next() % levels) as f32).collect()
    }
    /// Uniform floats in [-1, 1).
    pub fn floats(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
            .collect()
    }
}
