//! Shared helpers of the index tests: deterministic data and a naive f64 reference.
#![allow(dead_code)]

use ferrofaiss_index::MetricType;

/// A tiny deterministic generator (64-bit LCG, high bits) for test data.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407))
    }
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    /// Uniform in [-1, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u32() as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    }
    pub fn below(&mut self, n: u32) -> u32 {
        self.next_u32() % n
    }
}

/// `n * d` uniform values in [-1, 1).
pub fn uniform(n: usize, d: usize, seed: u64) -> Vec<f32> {
    let mut r = Lcg::new(seed);
    (0..n * d).map(|_| r.next_f32()).collect()
}

/// `n * d` small integers in `0..levels` (distances exact in f32; many ties).
pub fn small_ints(n: usize, d: usize, levels: u32, seed: u64) -> Vec<f32> {
    let mut r = Lcg::new(seed);
    (0..n * d).map(|_| r.below(levels) as f32).collect()
}

/// Gaussian-ish blobs: `n` points around `centers` well separated centres.
pub fn clustered(n: usize, d: usize, centers: usize, spread: f32, seed: u64) -> Vec<f32> {
    let mut r = Lcg::new(seed);
    let c: Vec<f32> = (0..centers * d).map(|_| r.next_f32() * 10.0).collect();
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let ci = r.below(centers as u32) as usize;
        for j in 0..d {
            let noise = (r.next_f32() + r.next_f32() + r.next_f32()) / 3.0;
            out.push(c[ci * d + j] + noise * spread);
        }
    }
    out
}

/// Naive f64 distance.
pub fn dist64(metric: MetricType, a: &[f32], b: &[f32]) -> f64 {
    match metric {
        MetricType::L2 => a
            .iter()
            .zip(b)
            .map(|(&x, &y)| {
                let t = x as f64 - y as f64;
                t * t
            })
            .sum(),
        MetricType::InnerProduct => a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum(),
    }
}

/// The k results of `query` over `rows` as Faiss computes them: rows offered in
/// increasing order to a bounded heap that admits a candidate only when strictly better
/// than its worst entry, the worst being (L2) the largest distance, ties to the larger
/// row, or (IP) the smallest similarity, ties to the smaller row (Faiss's `CMax` /
/// `CMin` `cmp2`). Output: L2 ascending (ties ascending row), IP descending (ties
/// descending row). Naive f64 arithmetic, O(n * k).
pub fn brute_force(
    metric: MetricType,
    query: &[f32],
    rows: &[f32],
    d: usize,
    k: usize,
) -> Vec<(f64, i64)> {
    let worse = |a: (f64, i64), b: (f64, i64)| match metric {
        MetricType::L2 => a.0 > b.0 || (a.0 == b.0 && a.1 > b.1),
        MetricType::InnerProduct => a.0 < b.0 || (a.0 == b.0 && a.1 < b.1),
    };
    let better = |a: f64, b: f64| match metric {
        MetricType::L2 => a < b,
        MetricType::InnerProduct => a > b,
    };
    let mut kept: Vec<(f64, i64)> = Vec::with_capacity(k);
    for (i, r) in rows.chunks_exact(d).enumerate() {
        let c = (dist64(metric, query, r), i as i64);
        if kept.len() < k {
            kept.push(c);
            continue;
        }
        let mut w = 0;
        for j in 1..kept.len() {
            if worse(kept[j], kept[w]) {
                w = j;
            }
        }
        if k > 0 && better(c.0, kept[w].0) {
            kept[w] = c;
        }
    }
    // Faiss's `<` and `>`, so `-0.0` ties with `0.0` (`total_cmp` would split them).
    let by = |a: f64, b: f64| a.partial_cmp(&b).expect("finite scores");
    match metric {
        MetricType::L2 => kept.sort_by(|a, b| by(a.0, b.0).then(a.1.cmp(&b.1))),
        MetricType::InnerProduct => kept.sort_by(|a, b| by(b.0, a.0).then(b.1.cmp(&a.1))),
    }
    kept
}

/// Relative closeness used for f32 results against f64 truth.
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

/// Checks one query's results against the brute force: distances within `rel`, each
/// returned id really at the returned distance, and ids equal wherever the reference
/// distance is not within `rel` of a neighbour's (no near-tie).
pub fn assert_matches_reference(
    metric: MetricType,
    query: &[f32],
    rows: &[f32],
    d: usize,
    got_d: &[f32],
    got_l: &[i64],
    rel: f64,
) {
    let k = got_d.len();
    let reference = brute_force(metric, query, rows, d, k);
    for r in 0..k {
        if r >= reference.len() {
            assert_eq!(got_l[r], -1, "slot {r} should be empty");
            assert_eq!(got_d[r], metric_worst(metric));
            continue;
        }
        let (rd, rl) = reference[r];
        assert!(
            close(got_d[r] as f64, rd, rel),
            "rank {r}: distance {} vs reference {rd}",
            got_d[r]
        );
        let id = got_l[r];
        assert!(
            id >= 0 && (id as usize) < rows.len() / d,
            "rank {r}: bad id {id}"
        );
        let own = dist64(metric, query, &rows[id as usize * d..(id as usize + 1) * d]);
        assert!(
            close(own, rd, rel),
            "rank {r}: id {id} is at {own}, not {rd}"
        );
        let isolated = (r == 0 || !close(reference[r - 1].0, rd, rel))
            && (r + 1 >= reference.len() || !close(reference[r + 1].0, rd, rel));
        if isolated {
            assert_eq!(id, rl, "rank {r}: id");
        }
    }
}

pub fn metric_worst(metric: MetricType) -> f32 {
    match metric {
        MetricType::L2 => f32::MAX,
        MetricType::InnerProduct => -f32::MAX,
    }
}

/// recall@k of `labels` (nq * k) against `truth` (nq lists).
pub fn recall(labels: &[i64], truth: &[Vec<i64>], k: usize) -> f64 {
    let mut hit = 0usize;
    for (q, t) in truth.iter().enumerate() {
        let got = &labels[q * k..(q + 1) * k];
        hit += t.iter().take(k).filter(|id| got.contains(id)).count();
    }
    hit as f64 / (truth.len() * k) as f64
}

/// Two result lists of the same queries agree: distances within `rel` rank by rank,
/// and labels equal except at near-ties (a rank whose distance is within `rel` of a
/// neighbouring rank's), where rounding may order them either way.
pub fn assert_same_results(a_d: &[f32], a_l: &[i64], b_d: &[f32], b_l: &[i64], k: usize, rel: f64) {
    assert_eq!(a_l.len(), b_l.len());
    for (q, (ad, bd)) in a_d.chunks(k).zip(b_d.chunks(k)).enumerate() {
        for r in 0..k {
            let i = q * k + r;
            assert!(
                close(ad[r] as f64, bd[r] as f64, rel),
                "q {q} rank {r}: {} vs {}",
                ad[r],
                bd[r]
            );
            if a_l[i] != b_l[i] {
                let near = (r > 0 && close(bd[r - 1] as f64, bd[r] as f64, rel))
                    || (r + 1 < k && close(bd[r + 1] as f64, bd[r] as f64, rel))
                    || (r + 1 == k);
                assert!(
                    near,
                    "q {q} rank {r}: label {} vs {} without a tie",
                    a_l[i], b_l[i]
                );
            }
        }
    }
}

/// Runs `f` in a rayon pool of `threads` threads (exercises the split paths that a
/// 2-core machine would not take).
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// The bytes of `file` in the fixture folder `folder` (relative to the workspace).
pub fn fixture_in(folder: &str, file: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(folder)
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Little-endian `f32`s, as numpy's `tofile` writes them.
pub fn le_f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
