//! Timing searches the way `faiss_anchor.py` does: queries one at a time (latency
//! percentiles, QPS, recall) and all queries in one call, and recall@k against ground
//! truth; shared by every section.

use std::time::Instant;

use ferrofaiss_index::{Index, SearchParams};
use serde_json::{json, Value};

use crate::setup::{BenchError, Setup};
use crate::texmex::Vecs;
use crate::timing::{median, percentile, time_reps, Timing};

/// recall@k: |returned top-k ∩ true top-k| / k, averaged over the queries.
pub(crate) fn recall_at(
    labels: &[i64],
    k: usize,
    gt: Option<&Vecs<i32>>,
    nq: usize,
) -> Option<f64> {
    let gt = gt?;
    let mut hits = 0usize;
    for q in 0..nq {
        let truth = &gt.data[q * gt.d..q * gt.d + k];
        let got = &labels[q * k..(q + 1) * k];
        hits += got
            .iter()
            .filter(|&&l| l >= 0 && truth.contains(&(l as i32)))
            .count();
    }
    Some(hits as f64 / (nq * k) as f64)
}

/// Searches queries one at a time: per-query latencies and the labels of each.
fn loop_single(
    index: &dyn Index,
    queries: &Vecs<f32>,
    nq: usize,
    k: usize,
    params: Option<&SearchParams>,
) -> Result<(Vec<f64>, Vec<i64>), BenchError> {
    let d = queries.d;
    let mut lat = Vec::with_capacity(nq);
    let mut labels = Vec::with_capacity(nq * k);
    for q in 0..nq {
        let t0 = Instant::now();
        let r = index.search(&queries.data[q * d..(q + 1) * d], k, params)?;
        lat.push(t0.elapsed().as_secs_f64());
        labels.extend_from_slice(&r.labels);
    }
    Ok((lat, labels))
}

/// One-query-at-a-time measurement: `(metrics, timing)` with latency median / p90 /
/// p99 over all repetitions and QPS from the median repetition.
pub(crate) fn single_bench(
    s: &Setup<'_>,
    index: &dyn Index,
    params: Option<&SearchParams>,
) -> Result<(Value, Timing), BenchError> {
    let k = s.args.k;
    let calib = 5.min(s.queries.n);
    let (lat, _) = loop_single(index, &s.queries, calib, k, params)?;
    let per_q = median(&lat).max(1e-7);
    let nq = ((s.args.single_target_s / per_q) as usize).clamp(20.min(s.queries.n), s.queries.n);
    let mut all = Vec::new();
    let mut first_labels = None;
    let (timing, _) = time_reps(
        s.args.reps,
        0,
        || Ok::<(), BenchError>(()),
        |_| {
            let (lat, labels) = loop_single(index, &s.queries, nq, k, params)?;
            all.extend_from_slice(&lat);
            first_labels.get_or_insert(labels);
            Ok(())
        },
    )?;
    let per_rep: Vec<f64> = timing.times.iter().map(|t| t / nq as f64).collect();
    let mut metrics = json!({
        "latency_ms_median": median(&all) * 1e3,
        "latency_ms_p90": percentile(&all, 90.0) * 1e3,
        "latency_ms_p99": percentile(&all, 99.0) * 1e3,
        "qps": 1.0 / median(&per_rep),
        "queries_per_rep": nq,
    });
    if let Some(r) = recall_at(first_labels.as_deref().unwrap_or(&[]), k, s.gt.as_ref(), nq) {
        metrics[s.recall_key()] = json!(r);
    }
    Ok((metrics, timing))
}

/// The `{prefix}_single` and `{prefix}_batch` records of `index` (`impl` name and thread
/// count in `who`): one query at a time with `GBps_scanned` (from `scanned_bytes` per
/// query), then every query in one call, with `per_batch` (a metric name and an amount
/// of work per batch, reported per second in 1e9) when given.
pub(crate) fn single_and_batch(
    s: &mut Setup<'_>,
    index: &dyn Index,
    who: (&str, usize),
    prefix: &str,
    scanned_bytes: f64,
    per_batch: Option<(&str, f64)>,
) -> Result<(), BenchError> {
    let (name, threads) = who;
    let (n, d, k, nq) = (s.base.n, s.base.d, s.args.k, s.queries.n);
    let (mut m, t) = single_bench(s, index, None)?;
    m["GBps_scanned"] =
        json!(scanned_bytes / (m["latency_ms_median"].as_f64().unwrap_or(1.0) * 1e-3) / 1e9);
    s.record(
        &format!("{prefix}_single"),
        name,
        threads,
        json!({"k": k, "N": n, "d": d}),
        m,
        &t,
    );
    let (t, r) = time_reps(
        s.args.reps,
        1,
        || Ok::<(), BenchError>(()),
        |_| Ok(index.search(&s.queries.data, k, None)?),
    )?;
    let med = t.median();
    let mut m = json!({"qps": nq as f64 / med, "ms_per_batch": med * 1e3});
    if let Some((metric, work)) = per_batch {
        m[metric] = json!(work / med / 1e9);
    }
    if let Some(rec) = recall_at(&r.labels, k, s.gt.as_ref(), nq) {
        m[s.recall_key()] = json!(rec);
    }
    s.record(
        &format!("{prefix}_batch"),
        name,
        threads,
        json!({"k": k, "nq": nq, "N": n, "d": d}),
        m,
        &t,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_recall() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(percentile(&[0.0, 10.0], 90.0), 9.0);
        let gt = Vecs {
            d: 3,
            n: 2,
            data: vec![1, 2, 3, 4, 5, 6],
        };
        assert_eq!(recall_at(&[2, 1, 9, 9], 2, Some(&gt), 2), Some(0.5));
    }
}
