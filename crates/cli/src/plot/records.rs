//! Reading benchmark JSON files and turning their records into curves.
//!
//! The files are `{"meta": ..., "machine": ..., "records": [...]}` as written by
//! `ferrofaiss bench --json` and by `shared/bench/faiss_anchor.py` (whose Python `json`
//! may also write the bare tokens `NaN` and `Infinity`, read here as `null`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::PlotError;
use super::query_mode::QueryMode;

/// The search parameters a curve sweeps, in the order they are looked for in `params`.
pub const KNOBS: [&str; 2] = ["nprobe", "efSearch"];

/// What a chart is drawn from: the records of one dataset and one query mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Only records of this dataset; `None` requires all plottable records to share one.
    pub dataset: Option<String>,
    /// Batch or one-query-per-call sections.
    pub mode: QueryMode,
    /// The recall plotted is `recall@{k}`.
    pub k: u32,
}

impl Selection {
    /// The metric key of the recall plotted, e.g. `recall@10`.
    pub fn recall_key(&self) -> String {
        format!("recall@{}", self.k)
    }
}

/// One measured point of a curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Queries per second.
    pub qps: f64,
    /// recall@k, a fraction in [0, 1].
    pub recall: f64,
    /// The knob's name (`nprobe`, `efSearch`).
    pub knob: &'static str,
    /// The knob's value at this point.
    pub knob_value: f64,
}

impl Point {
    /// The point's label: its knob and value, e.g. `nprobe=16`.
    pub fn label(&self) -> String {
        format!("{}={}", self.knob, format_number(self.knob_value))
    }

    /// The label without the knob's name, e.g. `16`, for crowded spots.
    pub fn short_label(&self) -> String {
        format_number(self.knob_value)
    }
}

/// One curve: the points of one (implementation, index, threads), by knob value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The record's `impl`, e.g. `faiss.IndexIVFFlat`.
    pub implementation: String,
    /// The index, from the section and its structural parameters, e.g. `IVF1024`.
    pub index: String,
    /// Threads the search ran on.
    pub threads: u64,
    /// The file the points come from, named only when another file has a curve with the
    /// same implementation, index and threads (two runs of one thing).
    pub file: Option<String>,
    /// The points, ordered by knob value.
    pub points: Vec<Point>,
}

impl Series {
    /// The legend text, e.g. `faiss.IndexIVFFlat, IVF1024, 2 threads`.
    pub fn label(&self) -> String {
        series_label(
            &self.implementation,
            &self.index,
            self.threads,
            self.file.as_deref(),
        )
    }
}

/// The legend text of a curve: `implementation, index, N thread(s)`, then ` [file]`
/// when curves of several files would otherwise share a name.
pub(crate) fn series_label(
    implementation: &str,
    index: &str,
    threads: u64,
    file: Option<&str>,
) -> String {
    let mut s = format!(
        "{implementation}, {index}, {threads} thread{}",
        if threads == 1 { "" } else { "s" }
    );
    if let Some(file) = file {
        s.push_str(&format!(" [{file}]"));
    }
    s
}

/// Everything one picture shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The dataset all points were measured on.
    pub dataset: String,
    /// Batch or one query per call.
    pub mode: QueryMode,
    /// The recall plotted, e.g. `recall@10`.
    pub recall_key: String,
    /// The `k` of the recall.
    pub k: u32,
    /// The fewest and most queries per batch that the batch records give.
    pub queries_per_batch: Option<(u64, u64)>,
    /// The curves, ordered by implementation, index and threads.
    pub series: Vec<Series>,
}

impl Chart {
    /// Number of points over all curves.
    pub fn point_count(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }
}

/// A number as short text: integers without a fraction, others with up to 4
/// significant digits.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Rewrites the non-standard tokens Python's `json` writes for non-finite floats
/// (`NaN`, `Infinity`, `-Infinity`) outside strings as `null`.
pub fn python_json_to_strict(text: &str) -> Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else {
            let token = ["-Infinity", "Infinity", "NaN"]
                .into_iter()
                .find(|t| rest.starts_with(t));
            if let Some(t) = token {
                out.push_str("null");
                rest = &rest[t.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Reads one results file: its `records` array.
pub fn read_results(path: &Path) -> Result<Vec<Value>, PlotError> {
    let bytes = std::fs::read(path).map_err(|source| PlotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| PlotError::Schema {
        path: path.to_path_buf(),
        problem: format!("not UTF-8 text (byte offset {})", e.valid_up_to()),
    })?;
    let doc: Value =
        serde_json::from_str(&python_json_to_strict(text)).map_err(|source| PlotError::Json {
            path: path.to_path_buf(),
            source,
        })?;
    let records = doc
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| PlotError::Schema {
            path: path.to_path_buf(),
            problem: "no \"records\" array (expected the JSON of `ferrofaiss bench --json` \
                      or shared/bench/faiss_anchor.py)"
                .into(),
        })?;
    if let Some(i) = records.iter().position(|r| !r.is_object()) {
        return Err(PlotError::Schema {
            path: path.to_path_buf(),
            problem: format!("record {i} is not a JSON object"),
        });
    }
    Ok(records.clone())
}

/// A positive finite number.
fn positive(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
        .filter(|x| x.is_finite() && *x > 0.0)
}

/// The index a record measured: the section's family (`ivf`, `hnsw`) in capitals, with
/// the number of lists (`nlist`) or of links (`M`) when the parameters give one.
fn index_label(family: &str, params: &Value) -> String {
    let mut label = family.to_uppercase();
    for key in ["nlist", "M"] {
        if let Some(n) = params.get(key).and_then(Value::as_u64) {
            label.push_str(&n.to_string());
        }
    }
    label
}

/// A record's place in a chart, when it is plottable.
#[derive(Debug)]
struct Candidate {
    dataset: String,
    implementation: String,
    index: String,
    threads: u64,
    queries: Option<u64>,
    point: Point,
}

/// The record as a point of a curve, or `None` when it is not a knob sweep of the
/// selected mode with a positive QPS and a recall in [0, 1].
fn candidate(record: &Value, mode: QueryMode, recall_key: &str) -> Option<Candidate> {
    let section = record.get("section")?.as_str()?;
    let family = section.strip_suffix(mode.suffix())?;
    if family.is_empty() {
        return None;
    }
    let params = record.get("params")?;
    let (knob, knob_value) = KNOBS
        .iter()
        .find_map(|&k| params.get(k).and_then(Value::as_f64).map(|v| (k, v)))?;
    let metrics = record.get("metrics")?;
    let qps = positive(metrics.get("qps"))?;
    let recall = metrics
        .get(recall_key)
        .and_then(Value::as_f64)
        .filter(|r| (0.0..=1.0).contains(r))?;
    Some(Candidate {
        dataset: record.get("dataset")?.as_str()?.to_string(),
        implementation: record.get("impl")?.as_str()?.to_string(),
        index: index_label(family, params),
        threads: record.get("threads")?.as_u64().filter(|&t| t > 0)?,
        queries: params.get("nq").and_then(Value::as_u64),
        point: Point {
            qps,
            recall,
            knob,
            knob_value,
        },
    })
}

/// The file's name for a legend (its file name, or the whole path if it has none).
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Builds the chart from the records of every file.
pub fn collect(files: &[(PathBuf, Vec<Value>)], sel: &Selection) -> Result<Chart, PlotError> {
    let recall_key = sel.recall_key();
    let mut candidates: Vec<(usize, Candidate)> = Vec::new();
    for (f, (_, records)) in files.iter().enumerate() {
        candidates.extend(
            records
                .iter()
                .filter_map(|r| candidate(r, sel.mode, &recall_key))
                .map(|c| (f, c)),
        );
    }
    let datasets: BTreeSet<String> = candidates.iter().map(|(_, c)| c.dataset.clone()).collect();
    if datasets.is_empty() {
        return Err(PlotError::NothingToPlot {
            mode: sel.mode,
            recall_key,
        });
    }
    let dataset = match &sel.dataset {
        Some(wanted) if datasets.contains(wanted) => wanted.clone(),
        Some(wanted) => {
            return Err(PlotError::UnknownDataset {
                wanted: wanted.clone(),
                available: datasets.into_iter().collect(),
            })
        }
        None if datasets.len() == 1 => datasets.into_iter().next().unwrap_or_default(),
        None => {
            return Err(PlotError::MixedDatasets {
                datasets: datasets.into_iter().collect(),
            })
        }
    };
    candidates.retain(|(_, c)| c.dataset == dataset);

    let queries: BTreeSet<u64> = candidates.iter().filter_map(|(_, c)| c.queries).collect();
    let queries_per_batch = match (sel.mode, queries.first(), queries.last()) {
        (QueryMode::Batch, Some(&lo), Some(&hi)) => Some((lo, hi)),
        _ => None,
    };

    type Key = (String, String, u64, usize);
    let mut groups: BTreeMap<Key, Vec<Point>> = BTreeMap::new();
    for (f, c) in candidates {
        groups
            .entry((c.implementation, c.index, c.threads, f))
            .or_default()
            .push(c.point);
    }
    let mut files_per_curve: BTreeMap<(&str, &str, u64), usize> = BTreeMap::new();
    for (imp, index, threads, _) in groups.keys() {
        *files_per_curve.entry((imp, index, *threads)).or_default() += 1;
    }
    let ambiguous: BTreeSet<(String, String, u64)> = files_per_curve
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|((i, x, t), _)| (i.to_string(), x.to_string(), t))
        .collect();
    let series = groups
        .into_iter()
        .map(|((implementation, index, threads, f), mut points)| {
            points.sort_by(|a, b| {
                a.knob_value
                    .total_cmp(&b.knob_value)
                    .then(a.qps.total_cmp(&b.qps))
            });
            let file = ambiguous
                .contains(&(implementation.clone(), index.clone(), threads))
                .then(|| file_name(&files[f].0));
            Series {
                implementation,
                index,
                threads,
                file,
                points,
            }
        })
        .collect();
    Ok(Chart {
        dataset,
        mode: sel.mode,
        recall_key,
        k: sel.k,
        queries_per_batch,
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(section: &str, dataset: &str, imp: &str, threads: u64, nprobe: u64, qps: f64) -> Value {
        json!({"section": section, "dataset": dataset, "impl": imp, "threads": threads,
               "params": {"nlist": 64, "nprobe": nprobe, "nq": 100},
               "metrics": {"qps": qps, "recall@10": 0.5 + nprobe as f64 / 100.0}})
    }

    fn sel(dataset: Option<&str>) -> Selection {
        Selection {
            dataset: dataset.map(str::to_string),
            mode: QueryMode::Batch,
            k: 10,
        }
    }

    #[test]
    fn python_tokens_become_null_outside_strings_only() {
        let text = r#"{"a": NaN, "b": -Infinity, "c": [Infinity], "s": "NaN \" Infinity", "é": 1}"#;
        let strict = python_json_to_strict(text);
        let v: Value = serde_json::from_str(&strict).unwrap();
        assert_eq!(v["a"], Value::Null);
        assert_eq!(v["b"], Value::Null);
        assert_eq!(v["c"], json!([null]));
        assert_eq!(v["s"], "NaN \" Infinity");
        assert_eq!(v["é"], 1);
        assert!(matches!(python_json_to_strict("{}"), Cow::Borrowed(_)));
    }

    #[test]
    fn curves_group_by_impl_index_threads_and_sort_by_knob() {
        let records = vec![
            rec("ivf_search", "d", "faiss", 1, 16, 100.0),
            rec("ivf_search", "d", "faiss", 1, 1, 900.0),
            rec("ivf_search", "d", "faiss", 2, 1, 1500.0),
            rec("ivf_single", "d", "faiss", 1, 1, 50.0),
            json!({"section": "flat_batch", "dataset": "d", "impl": "faiss", "threads": 1,
                   "params": {"nq": 100}, "metrics": {"qps": 5.0, "recall@10": 1.0}}),
            json!({"section": "ivf_search", "dataset": "other", "impl": "faiss", "threads": 1,
                   "params": {"nprobe": 1}, "metrics": {"qps": 5.0}}),
        ];
        let chart = collect(&[(PathBuf::from("a.json"), records)], &sel(None)).unwrap();
        assert_eq!(chart.dataset, "d");
        assert_eq!(chart.queries_per_batch, Some((100, 100)));
        assert_eq!(chart.series.len(), 2);
        let s = &chart.series[0];
        assert_eq!(
            (s.index.as_str(), s.threads, s.file.as_ref()),
            ("IVF64", 1, None)
        );
        let knobs: Vec<f64> = s.points.iter().map(|p| p.knob_value).collect();
        assert_eq!(knobs, vec![1.0, 16.0]);
        assert_eq!(s.points[1].label(), "nprobe=16");
        assert_eq!(s.label(), "faiss, IVF64, 1 thread");
        assert_eq!(chart.series[1].label(), "faiss, IVF64, 2 threads");

        let single = Selection {
            mode: QueryMode::Single,
            ..sel(None)
        };
        let chart = collect(
            &[(
                PathBuf::from("a.json"),
                vec![rec("ivf_single", "d", "x", 1, 4, 9.0)],
            )],
            &single,
        )
        .unwrap();
        assert_eq!(chart.point_count(), 1);
        assert_eq!(chart.queries_per_batch, None);
    }

    #[test]
    fn the_same_curve_in_two_files_is_told_apart_by_file_name() {
        let a = (
            PathBuf::from("/x/run1.json"),
            vec![rec("hnsw_search", "d", "i", 1, 1, 9.0)],
        );
        let b = (
            PathBuf::from("/x/run2.json"),
            vec![rec("hnsw_search", "d", "i", 1, 1, 8.0)],
        );
        let c = (
            PathBuf::from("/x/run3.json"),
            vec![rec("hnsw_search", "d", "j", 1, 1, 8.0)],
        );
        let chart = collect(&[a, b, c], &sel(None)).unwrap();
        let labels: Vec<String> = chart.series.iter().map(Series::label).collect();
        assert_eq!(
            labels,
            [
                "i, HNSW64, 1 thread [run1.json]",
                "i, HNSW64, 1 thread [run2.json]",
                "j, HNSW64, 1 thread"
            ]
        );
    }

    #[test]
    fn datasets_must_be_one_or_chosen() {
        let records = vec![
            rec("ivf_search", "b", "x", 1, 1, 9.0),
            rec("ivf_search", "a", "x", 1, 1, 9.0),
        ];
        let files = [(PathBuf::from("r.json"), records)];
        match collect(&files, &sel(None)) {
            Err(PlotError::MixedDatasets { datasets }) => assert_eq!(datasets, ["a", "b"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(collect(&files, &sel(Some("b"))).unwrap().dataset, "b");
        assert!(matches!(
            collect(&files, &sel(Some("c"))),
            Err(PlotError::UnknownDataset { .. })
        ));
        assert!(matches!(
            collect(&[(PathBuf::from("e.json"), vec![])], &sel(None)),
            Err(PlotError::NothingToPlot { .. })
        ));
    }

    #[test]
    fn records_without_a_usable_point_are_skipped() {
        let mut bad_recall = rec("ivf_search", "d", "x", 1, 1, 9.0);
        bad_recall["metrics"]["recall@10"] = json!(1.5);
        let mut zero_qps = rec("ivf_search", "d", "x", 1, 1, 0.0);
        zero_qps["metrics"]["qps"] = json!(0.0);
        let mut no_knob = rec("ivf_search", "d", "x", 1, 1, 9.0);
        no_knob["params"] = json!({"nlist": 4});
        let mut null_qps = rec("ivf_search", "d", "x", 1, 1, 9.0);
        null_qps["metrics"]["qps"] = Value::Null;
        let files = [(
            PathBuf::from("r.json"),
            vec![bad_recall, zero_qps, no_knob, null_qps],
        )];
        assert!(matches!(
            collect(&files, &sel(None)),
            Err(PlotError::NothingToPlot { .. })
        ));
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(format_number(16.0), "16");
        assert_eq!(format_number(0.25), "0.25");
    }
}
