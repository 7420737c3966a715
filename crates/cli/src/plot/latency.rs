//! Latency against dataset size (`--kind latency`): the median latency of one query
//! (`*_single` records, `metrics.latency_ms_median`) against the number of vectors
//! searched (`params.N`), one curve per (implementation, index, knob value, threads),
//! across datasets of one vector dimension (`params.d`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::error::PlotError;
use super::figure::{AxisSpec, Curve, FigPoint, Figure, Scale};
use super::records::{file_name, format_number, series_label, KNOBS};

/// One measured point: a dataset size and the median latency there.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyPoint {
    /// Vectors in the index.
    pub n: u64,
    /// Median latency of one query, in milliseconds.
    pub latency_ms: f64,
    /// The IVF list count at this size, when the index has lists.
    pub nlist: Option<u64>,
}

/// One curve: one configuration measured at several sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySeries {
    /// The record's `impl`.
    pub implementation: String,
    /// The index family: `Flat`, `IVF`, `HNSW32` (the IVF list count changes with N
    /// and labels the points instead).
    pub index: String,
    /// The search knob and its value, for indexes that have one.
    pub knob: Knob,
    /// Threads.
    pub threads: u64,
    /// The file, when another file has the same curve.
    pub file: Option<String>,
    /// The points, by increasing N.
    pub points: Vec<LatencyPoint>,
}

impl LatencySeries {
    /// The legend text, e.g. `faiss.IndexIVFFlat, IVF nprobe=16, 1 thread`.
    pub fn label(&self) -> String {
        let knob = self
            .knob
            .map(|(k, v)| format!(" {k}={}", format_number(v)))
            .unwrap_or_default();
        let index = format!("{}{knob}", self.index);
        series_label(
            &self.implementation,
            &index,
            self.threads,
            self.file.as_deref(),
        )
    }
}

/// Everything a latency figure shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyChart {
    /// The vector dimension of every point.
    pub d: u64,
    /// The datasets the points come from, sorted.
    pub datasets: Vec<String>,
    /// The curves.
    pub series: Vec<LatencySeries>,
}

impl LatencyChart {
    /// Number of points over all curves.
    pub fn point_count(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }
}

/// The index family of a `<family>_single` section, as Faiss spells it.
fn family_label(family: &str, params: &Value) -> String {
    match family {
        "flat" => "Flat".to_string(),
        "hnsw" => match params.get("M").and_then(Value::as_u64) {
            Some(m) => format!("HNSW{m}"),
            None => "HNSW".to_string(),
        },
        other => other.to_uppercase(),
    }
}

/// A curve's identity: implementation, index family, knob (name, value bits), threads.
type Key = (String, String, Option<(&'static str, u64)>, u64);

/// A search knob and its value.
pub type Knob = Option<(&'static str, f64)>;

/// What one record contributes: its dimension, curve and point.
struct Candidate {
    d: u64,
    key: Key,
    knob: Knob,
    point: LatencyPoint,
}

/// The record as a latency point, or `None` when it is not a one-query-per-call record
/// with a size, a dimension and a positive median latency.
fn candidate(record: &Value) -> Option<Candidate> {
    let family = record.get("section")?.as_str()?.strip_suffix("_single")?;
    if family.is_empty() {
        return None;
    }
    let params = record.get("params")?;
    let n = params.get("N")?.as_u64().filter(|&n| n > 0)?;
    let d = params.get("d")?.as_u64()?;
    let latency_ms = record
        .get("metrics")?
        .get("latency_ms_median")?
        .as_f64()
        .filter(|x| x.is_finite() && *x > 0.0)?;
    let knob = KNOBS
        .iter()
        .find_map(|&k| params.get(k).and_then(Value::as_f64).map(|v| (k, v)));
    let key = (
        record.get("impl")?.as_str()?.to_string(),
        family_label(family, params),
        knob.map(|(k, v)| (k, v.to_bits())),
        record.get("threads")?.as_u64().filter(|&t| t > 0)?,
    );
    let point = LatencyPoint {
        n,
        latency_ms,
        nlist: params.get("nlist").and_then(Value::as_u64),
    };
    Some(Candidate {
        d,
        key,
        knob,
        point,
    })
}

/// Builds the latency chart from the records of every file.
pub fn collect(
    files: &[(PathBuf, Vec<Value>)],
    dim: Option<u64>,
) -> Result<LatencyChart, PlotError> {
    let mut found = Vec::new();
    for (f, (_, records)) in files.iter().enumerate() {
        for r in records {
            if let Some(c) = candidate(r) {
                let dataset = r.get("dataset").and_then(Value::as_str).unwrap_or("?");
                found.push((f, dataset.to_string(), c));
            }
        }
    }
    let dims: BTreeSet<u64> = found.iter().map(|(_, _, c)| c.d).collect();
    let d = match dim {
        _ if dims.is_empty() => return Err(PlotError::NoLatencyRecord),
        Some(want) if dims.contains(&want) => want,
        Some(want) => {
            return Err(PlotError::UnknownDimension {
                wanted: want,
                available: dims.into_iter().collect(),
            })
        }
        None if dims.len() == 1 => dims.into_iter().next().unwrap_or_default(),
        None => {
            return Err(PlotError::MixedDimensions {
                dims: dims.into_iter().collect(),
            })
        }
    };
    found.retain(|(_, _, c)| c.d == d);
    let datasets: BTreeSet<String> = found.iter().map(|(_, ds, _)| ds.clone()).collect();

    let mut groups: BTreeMap<(Key, usize), (Knob, Vec<LatencyPoint>)> = BTreeMap::new();
    for (f, _, c) in found {
        groups
            .entry((c.key, f))
            .or_insert((c.knob, Vec::new()))
            .1
            .push(c.point);
    }
    let mut files_per_curve: BTreeMap<&Key, usize> = BTreeMap::new();
    for (key, _) in groups.keys() {
        *files_per_curve.entry(key).or_default() += 1;
    }
    let ambiguous: BTreeSet<Key> = files_per_curve
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(k, _)| k.clone())
        .collect();
    let series = groups
        .into_iter()
        .map(|((key, f), (knob, mut points))| {
            points.sort_by(|a, b| a.n.cmp(&b.n).then(a.latency_ms.total_cmp(&b.latency_ms)));
            let file = ambiguous.contains(&key).then(|| file_name(&files[f].0));
            let (implementation, index, _, threads) = key;
            LatencySeries {
                implementation,
                index,
                knob,
                threads,
                file,
                points,
            }
        })
        .collect();
    Ok(LatencyChart {
        d,
        datasets: datasets.into_iter().collect(),
        series,
    })
}

impl From<&LatencyChart> for Figure {
    /// N on a log x axis, latency on a log y axis, IVF points labelled by nlist.
    fn from(chart: &LatencyChart) -> Figure {
        let labelled = chart
            .series
            .iter()
            .any(|s| s.points.iter().any(|p| p.nlist.is_some()));
        Figure {
            title: format!("one-query latency vs dataset size: d = {}", chart.d),
            subtitle: format!(
                "median over queries searched one per call, on {}{}; lower is better",
                chart.datasets.join(", "),
                if labelled {
                    "; IVF points labelled by nlist"
                } else {
                    ""
                }
            ),
            x: AxisSpec {
                scale: Scale::Log,
                title: "vectors in the index (N, log scale)".into(),
                short_title: "N (log scale)".into(),
            },
            y: AxisSpec {
                scale: Scale::Log,
                title: "median latency of one query (ms, log scale)".into(),
                short_title: "latency (ms, log scale)".into(),
            },
            curves: chart
                .series
                .iter()
                .map(|s| Curve {
                    label: s.label(),
                    threads: s.threads,
                    points: s
                        .points
                        .iter()
                        .map(|p| FigPoint {
                            x: p.n as f64,
                            y: p.latency_ms,
                            labels: p
                                .nlist
                                .map(|n| vec![format!("nlist={n}"), n.to_string()])
                                .unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn single(section: &str, dataset: &str, n: u64, d: u64, params: Value, ms: f64) -> Value {
        let mut p = params;
        p["N"] = json!(n);
        p["d"] = json!(d);
        json!({"section": section, "dataset": dataset, "impl": "faiss", "threads": 1,
               "params": p, "metrics": {"latency_ms_median": ms, "qps": 1000.0 / ms}})
    }

    #[test]
    fn curves_follow_one_configuration_across_sizes() {
        let records = vec![
            single(
                "ivf_single",
                "big",
                1_000_000,
                128,
                json!({"nlist": 1024, "nprobe": 16}),
                0.9,
            ),
            single(
                "ivf_single",
                "small",
                100_000,
                128,
                json!({"nlist": 256, "nprobe": 16}),
                0.15,
            ),
            single(
                "ivf_single",
                "small",
                100_000,
                128,
                json!({"nlist": 256, "nprobe": 1}),
                0.02,
            ),
            single("flat_single", "small", 100_000, 128, json!({"k": 10}), 1.7),
            single("flat_single", "big", 1_000_000, 128, json!({"k": 10}), 17.0),
            single("flat_single", "wide", 100_000, 768, json!({"k": 10}), 9.0),
            // No N (hnsw_single in the anchor run): not a point.
            json!({"section": "hnsw_single", "dataset": "small", "impl": "faiss", "threads": 1,
                   "params": {"M": 32, "efSearch": 16}, "metrics": {"latency_ms_median": 0.05}}),
        ];
        let files = [(PathBuf::from("a.json"), records)];
        match collect(&files, None) {
            Err(PlotError::MixedDimensions { dims }) => assert_eq!(dims, [128, 768]),
            other => panic!("{other:?}"),
        }
        let chart = collect(&files, Some(128)).unwrap();
        assert_eq!(chart.datasets, ["big", "small"]);
        let labels: Vec<String> = chart.series.iter().map(LatencySeries::label).collect();
        assert_eq!(
            labels,
            [
                "faiss, Flat, 1 thread",
                "faiss, IVF nprobe=1, 1 thread",
                "faiss, IVF nprobe=16, 1 thread"
            ]
        );
        let ivf16 = &chart.series[2];
        let ns: Vec<u64> = ivf16.points.iter().map(|p| p.n).collect();
        assert_eq!(ns, [100_000, 1_000_000]);
        assert_eq!(ivf16.points[1].nlist, Some(1024));
        let fig = Figure::from(&chart);
        assert_eq!(fig.curves[2].points[1].labels, ["nlist=1024", "1024"]);
        assert!(fig.curves[0].points[0].labels.is_empty());
        assert_eq!((fig.x.scale, fig.y.scale), (Scale::Log, Scale::Log));
        assert!(matches!(
            collect(&files, Some(64)),
            Err(PlotError::UnknownDimension { .. })
        ));
        assert!(matches!(
            collect(&[(PathBuf::from("e.json"), vec![])], None),
            Err(PlotError::NoLatencyRecord)
        ));
    }
}
