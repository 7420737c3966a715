//! `ferrofaiss plot`: the picture drawn from recorded benchmark JSON (native Faiss's
//! anchor run, and records `ferrofaiss bench --json` writes here), and its failures.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::*;

/// A trimmed copy of shared/bench/results/faiss_anchor.json (see fixtures/bench/README.md).
const ANCHOR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/bench/faiss_anchor_trimmed.json"
);

fn plot(args: &[&str]) -> Run {
    ff(std::iter::once("plot").chain(args.iter().copied()))
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// The fixture's `(qps, recall@10)` per `(impl, threads)` for one section and dataset.
fn recorded(section: &str, dataset: &str) -> BTreeMap<(String, u64), Vec<(f64, f64)>> {
    let doc: Value = serde_json::from_str(&fs::read_to_string(ANCHOR).unwrap()).unwrap();
    let mut out: BTreeMap<(String, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for r in doc["records"].as_array().unwrap() {
        if r["section"] == section && r["dataset"] == dataset {
            out.entry((
                r["impl"].as_str().unwrap().into(),
                r["threads"].as_u64().unwrap(),
            ))
            .or_default()
            .push((
                r["metrics"]["qps"].as_f64().unwrap(),
                r["metrics"]["recall@10"].as_f64().unwrap(),
            ));
        }
    }
    out
}

/// A QPS tick label (`500`, `1k`, `10k`, `1.5M`) as a number.
fn parse_qps(label: &str) -> Option<f64> {
    let (digits, scale) = match label.strip_suffix('k') {
        Some(d) => (d, 1e3),
        None => match label.strip_suffix('M') {
            Some(d) => (d, 1e6),
            None => (label, 1.0),
        },
    };
    digits.parse::<f64>().ok().map(|v| v * scale)
}

/// A linear map from two (value, pixel) ticks, checked against every other tick.
fn fit(ticks: &[(f64, f64)]) -> impl Fn(f64) -> f64 {
    assert!(ticks.len() >= 2, "need two ticks: {ticks:?}");
    let (v0, p0) = ticks[0];
    let (v1, p1) = ticks[ticks.len() - 1];
    let slope = (v1 - v0) / (p1 - p0);
    for &(v, p) in ticks {
        let got = v0 + (p - p0) * slope;
        assert!(
            (got - v).abs() <= slope.abs() * 1.5,
            "ticks not evenly spaced: {ticks:?}"
        );
    }
    move |p| v0 + (p - p0) * slope
}

/// What the tests read back from an SVG.
struct Svg {
    width: u32,
    height: u32,
    /// `(stroke colour, points)` of every polyline.
    polylines: Vec<(String, Vec<(f64, f64)>)>,
    /// `(text, x, y, text-anchor, fill)` of every text element.
    texts: Vec<(String, f64, f64, String, String)>,
    /// Fill colours of the rectangles (background, legend samples).
    rect_fills: Vec<String>,
}

fn parse_svg(path: &Path) -> Svg {
    let text = fs::read_to_string(path).expect("the SVG was written");
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name("svg"), "root is <svg>");
    let num = |n: roxmltree::Node, a: &str| -> f64 {
        n.attribute(a)
            .unwrap_or_else(|| panic!("{a} on {n:?}"))
            .parse()
            .unwrap()
    };
    let mut svg = Svg {
        width: num(root, "width") as u32,
        height: num(root, "height") as u32,
        polylines: Vec::new(),
        texts: Vec::new(),
        rect_fills: Vec::new(),
    };
    for n in root.descendants().filter(|n| n.is_element()) {
        match n.tag_name().name() {
            "polyline" => {
                let points = n
                    .attribute("points")
                    .unwrap()
                    .split_whitespace()
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                svg.polylines
                    .push((n.attribute("stroke").unwrap().to_string(), points));
            }
            "text" => svg.texts.push((
                n.text().unwrap_or_default().trim().to_string(),
                num(n, "x"),
                num(n, "y"),
                n.attribute("text-anchor").unwrap_or_default().to_string(),
                n.attribute("fill").unwrap_or_default().to_string(),
            )),
            "rect" => svg
                .rect_fills
                .push(n.attribute("fill").unwrap_or_default().to_string()),
            _ => {}
        }
    }
    svg
}

impl Svg {
    /// The curves: one polyline per legend colour (legend samples are the non-white
    /// rectangles), each asserted to be the only polyline in that colour.
    fn curves(&self) -> Vec<(String, Vec<(f64, f64)>)> {
        let colours: Vec<&String> = self.rect_fills.iter().filter(|c| *c != "#FFFFFF").collect();
        colours
            .iter()
            .map(|c| {
                let lines: Vec<_> = self.polylines.iter().filter(|(s, _)| s == *c).collect();
                assert_eq!(lines.len(), 1, "one polyline in the legend colour {c}");
                lines[0].clone()
            })
            .collect()
    }

    /// Pixel to QPS on the x axis and pixel to recall on the y axis, from the ticks.
    fn axes(
        &self,
    ) -> (
        impl Fn(f64) -> f64,
        impl Fn(f64) -> f64,
        Vec<String>,
        Vec<String>,
    ) {
        let x_ticks: Vec<&(String, f64, f64, String, String)> = self
            .texts
            .iter()
            .filter(|t| t.3 == "middle" && parse_qps(&t.0).is_some())
            .collect();
        let y_ticks: Vec<&(String, f64, f64, String, String)> = self
            .texts
            .iter()
            .filter(|t| t.3 == "end" && t.0.parse::<f64>().is_ok())
            .collect();
        let xs: Vec<(f64, f64)> = x_ticks
            .iter()
            .map(|t| (parse_qps(&t.0).unwrap().log10(), t.1))
            .collect();
        let ys: Vec<(f64, f64)> = y_ticks
            .iter()
            .map(|t| (t.0.parse().unwrap(), t.2))
            .collect();
        let fx = fit(&xs);
        let fy = fit(&ys);
        (
            move |px| 10f64.powf(fx(px)),
            fy,
            x_ticks.iter().map(|t| t.0.clone()).collect(),
            y_ticks.iter().map(|t| t.0.clone()).collect(),
        )
    }
}

#[test]
fn svg_of_the_faiss_anchor_has_one_curve_per_index_and_threads_on_true_axes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("n1m.svg");
    let run = plot(&[
        ANCHOR,
        "--dataset",
        "clustered-d128-n1m",
        "--out",
        path_str(&out),
    ])
    .ok();
    assert!(run.stdout.contains("2 curves, 8 points"), "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
    let svg = parse_svg(&out);
    assert_eq!((svg.width, svg.height), (1000, 700));

    // The log QPS axis and the recall axis, read from their tick labels.
    let (qps_at, recall_at, x_labels, y_labels) = svg.axes();
    assert_eq!(x_labels, ["1k", "10k", "100k"]);
    assert_eq!(y_labels, ["0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]);

    // One polyline per (impl, threads), through the recorded points, in legend order.
    let expected = recorded("ivf_search", "clustered-d128-n1m");
    let curves = svg.curves();
    assert_eq!(curves.len(), expected.len());
    assert_eq!(svg.polylines.iter().filter(|(_, p)| p.len() > 2).count(), 2);
    for ((_, points), ((imp, threads), mut want)) in curves.iter().zip(expected) {
        // Recorded by nprobe 1, 4, 16, 64: drawn by increasing nprobe too.
        want.sort_by(|a, b| b.0.total_cmp(&a.0));
        assert_eq!(points.len(), want.len(), "{imp} t={threads}");
        for (&(px, py), &(qps, recall)) in points.iter().zip(&want) {
            let (got_qps, got_recall) = (qps_at(px), recall_at(py));
            assert!(
                (got_qps / qps - 1.0).abs() < 0.02,
                "{imp}: qps {got_qps} vs {qps}"
            );
            assert!(
                (got_recall - recall).abs() < 0.005,
                "{imp}: recall {got_recall} vs {recall}"
            );
        }
        let legend = format!(
            "{imp}, IVF1024, {threads} thread{}",
            if threads == 1 { "" } else { "s" }
        );
        assert!(svg.texts.iter().any(|t| t.0 == legend), "legend {legend:?}");
    }

    // Every point is labelled with its knob, in its curve's colour.
    let mut labels: Vec<(String, String)> = svg
        .texts
        .iter()
        .filter(|t| t.0.starts_with("nprobe="))
        .map(|t| (t.4.clone(), t.0.clone()))
        .collect();
    labels.sort();
    let mut want: Vec<(String, String)> = curves
        .iter()
        .flat_map(|(c, _)| ["1", "4", "16", "64"].map(|n| (c.clone(), format!("nprobe={n}"))))
        .collect();
    want.sort();
    assert_eq!(labels, want);

    // Axis titles name the quantities and their units.
    for desc in [
        "queries per second (QPS, log scale)",
        "recall@10 (fraction of the true 10",
    ] {
        assert!(svg.texts.iter().any(|t| t.0.starts_with(desc)), "{desc}");
    }
}

#[test]
fn hnsw_and_ivf_curves_of_several_implementations_share_one_picture() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("n100k.svg");
    let run = plot(&[
        ANCHOR,
        "--dataset",
        "clustered-d128-n100k",
        "--out",
        path_str(&out),
    ])
    .ok();
    let hnsw = recorded("hnsw_search", "clustered-d128-n100k");
    let ivf = recorded("ivf_search", "clustered-d128-n100k");
    let n = hnsw.len() + ivf.len();
    assert_eq!(n, 8);
    assert!(run.stdout.contains("8 curves, 26 points"), "{run:?}");
    let svg = parse_svg(&out);
    let curves = svg.curves();
    assert_eq!(curves.len(), n);
    let (qps_at, _, _, _) = svg.axes();
    let mut drawn: Vec<f64> = curves
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(x, _)| qps_at(x)))
        .collect();
    drawn.sort_by(f64::total_cmp);
    let mut want: Vec<f64> = hnsw
        .values()
        .chain(ivf.values())
        .flatten()
        .map(|p| p.0)
        .collect();
    want.sort_by(f64::total_cmp);
    assert_eq!(drawn.len(), want.len());
    for (d, w) in drawn.iter().zip(&want) {
        assert!((d / w - 1.0).abs() < 0.02, "{d} vs {w}");
    }
    for legend in [
        "hnswlib 0.8.0, HNSW32, 2 threads",
        "faiss.IndexIVFFlat, IVF256, 1 thread",
    ] {
        assert!(svg.texts.iter().any(|t| t.0 == legend), "{legend}");
    }
}

#[test]
fn one_query_per_call_plots_the_single_sections() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("single.svg");
    let run = plot(&[
        ANCHOR,
        "--dataset",
        "clustered-d128-n1m",
        "--search",
        "single",
        "--out",
        path_str(&out),
    ])
    .ok();
    assert!(run.stdout.contains("1 curve, 4 points"), "{run:?}");
    let svg = parse_svg(&out);
    assert_eq!(svg.curves().len(), 1);
    assert!(svg
        .texts
        .iter()
        .any(|t| t.0.starts_with("one query per call")));
}

#[test]
fn png_is_a_png_of_the_requested_size_with_the_curves_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("N1M.PNG");
    plot(&[
        ANCHOR,
        "--dataset",
        "clustered-d128-n1m",
        "--out",
        path_str(&out),
        "--width",
        "640",
        "--height",
        "480",
    ])
    .ok();
    let bytes = fs::read(&out).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a valid PNG header");
    let info = reader.info();
    assert_eq!((info.width, info.height), (640, 480));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader
        .next_frame(&mut pixels)
        .expect("the image data decodes");
    let count = |rgb: [u8; 3]| pixels.chunks_exact(3).filter(|p| *p == rgb).count();
    // The two curves' colours (matplotlib tab10 blue and orange), black text, white ground.
    assert!(count([0x1f, 0x77, 0xb4]) > 200);
    assert!(count([0xff, 0x7f, 0x0e]) > 200);
    assert!(count([0, 0, 0]) > 100, "text is drawn");
    assert!(count([255, 255, 255]) > 640 * 480 / 2);
}

/// `(N, latency_ms_median)` points keyed by `(impl, section, nprobe or 0, threads)`.
type LatencyRecords = BTreeMap<(String, String, u64, u64), Vec<(f64, f64)>>;

/// The fixture's one-query records of dimension `d`, as latency points.
fn recorded_latency(d: u64) -> LatencyRecords {
    let doc: Value = serde_json::from_str(&fs::read_to_string(ANCHOR).unwrap()).unwrap();
    let mut out = LatencyRecords::new();
    for r in doc["records"].as_array().unwrap() {
        let p = &r["params"];
        if r["section"].as_str().unwrap().ends_with("_single") && p["d"] == d {
            out.entry((
                r["impl"].as_str().unwrap().into(),
                r["section"].as_str().unwrap().into(),
                p["nprobe"].as_u64().unwrap_or(0),
                r["threads"].as_u64().unwrap(),
            ))
            .or_default()
            .push((
                p["N"].as_f64().unwrap(),
                r["metrics"]["latency_ms_median"].as_f64().unwrap(),
            ));
        }
    }
    out
}

#[test]
fn latency_against_dataset_size_spans_the_datasets_of_one_dimension() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("latency.svg");
    let o = path_str(&out);
    // The fixture holds d = 128 and d = 768 records: one must be chosen.
    let run = plot(&[ANCHOR, "--kind", "latency", "--out", o]).fails_with("--dim");
    assert!(run.stderr.contains("(128, 768)"), "{run:?}");
    plot(&[ANCHOR, "--kind", "latency", "--dim", "64", "--out", o]).fails_with("dimension 64");
    plot(&[ANCHOR, "--kind", "latency", "--dataset", "x", "--out", o]).fails_with("--dim");
    plot(&[ANCHOR, "--dim", "128", "--out", o]).fails_with("--kind latency");

    let run = plot(&[ANCHOR, "--kind", "latency", "--dim", "128", "--out", o]).ok();
    let want = recorded_latency(128);
    // Flat at 1 and 2 threads, IVF at nprobe 1, 4, 16, 64: each at N = 100k and 1M.
    assert_eq!(want.len(), 6);
    assert!(
        run.stdout.contains("6 curves, 12 points, d = 128"),
        "{run:?}"
    );
    let svg = parse_svg(&out);
    let curves = svg.curves();
    assert_eq!(curves.len(), 6);

    // Both axes are log10: fit each from its tick labels.
    let log_ticks = |anchor: &str, pick: fn(&(String, f64, f64, String, String)) -> f64| {
        let ticks: Vec<(f64, f64)> = svg
            .texts
            .iter()
            .filter(|t| t.3 == anchor)
            .filter_map(|t| parse_qps(&t.0).map(|v| (v.log10(), pick(t))))
            .collect();
        let labels: Vec<String> = svg
            .texts
            .iter()
            .filter(|t| t.3 == anchor && parse_qps(&t.0).is_some())
            .map(|t| t.0.clone())
            .collect();
        let f = fit(&ticks);
        (move |px: f64| 10f64.powf(f(px)), labels)
    };
    let (n_at, x_labels) = log_ticks("middle", |t| t.1);
    let (ms_at, y_labels) = log_ticks("end", |t| t.2);
    assert_eq!(x_labels, ["100k", "200k", "500k", "1M"]);
    assert_eq!(y_labels, ["0.01", "0.1", "1", "10"]);
    let mut drawn: Vec<Vec<(f64, f64)>> = curves
        .iter()
        .map(|(_, pts)| pts.iter().map(|&(x, y)| (n_at(x), ms_at(y))).collect())
        .collect();
    let mut expected: Vec<Vec<(f64, f64)>> = want.into_values().collect();
    for c in expected.iter_mut().chain(drawn.iter_mut()) {
        c.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let key = |c: &Vec<(f64, f64)>| c[0].1;
    expected.sort_by(|a, b| key(a).total_cmp(&key(b)));
    drawn.sort_by(|a, b| key(a).total_cmp(&key(b)));
    for (d, w) in drawn.iter().zip(&expected) {
        assert_eq!(d.len(), 2);
        for (&(dn, dms), &(wn, wms)) in d.iter().zip(w) {
            assert!((dn / wn - 1.0).abs() < 0.02, "N {dn} vs {wn}");
            assert!((dms / wms - 1.0).abs() < 0.03, "latency {dms} vs {wms}");
        }
    }
    for legend in [
        "faiss.IndexFlatL2, Flat, 2 threads",
        "faiss.IndexIVFFlat, IVF nprobe=16, 1 thread",
    ] {
        assert!(svg.texts.iter().any(|t| t.0 == legend), "{legend}");
    }
    // IVF points are labelled with their list count (it grows with N).
    let nlists: Vec<&str> = svg
        .texts
        .iter()
        .filter(|t| t.0.starts_with("nlist="))
        .map(|t| t.0.as_str())
        .collect();
    assert_eq!(nlists.len(), 8, "{nlists:?}");
    assert_eq!(nlists.iter().filter(|t| **t == "nlist=1024").count(), 4);
}

/// Writes `text` into a file in `dir`.
fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn bad_input_fails_with_exit_2_and_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = dir.join("never.svg");
    let o = path_str(&out);
    let bad = file(dir, "bad.json", "{\"records\": [");
    plot(&[path_str(&bad), "--out", o]).fails_with("bad.json: not valid JSON");
    let empty = file(dir, "empty.json", "{\"meta\": {}, \"records\": []}");
    plot(&[path_str(&empty), "--out", o]).fails_with("nothing to plot");
    // Records, but none with a knob, QPS and recall.
    let flat = file(
        dir,
        "flat.json",
        r#"{"records": [{"section": "flat_batch", "dataset": "d", "impl": "x", "threads": 1,
                         "params": {"nq": 10}, "metrics": {"qps": 5.0, "recall@10": 1.0}},
                        {"section": "ivf_search", "dataset": "d", "impl": "x", "threads": 1,
                         "params": {"nprobe": 4}, "metrics": {"qps": 5.0}}]}"#,
    );
    plot(&[path_str(&flat), "--out", o]).fails_with("--gt");
    let schema = file(dir, "schema.json", "[1, 2]");
    plot(&[path_str(&schema), "--out", o]).fails_with("no \"records\" array");
    let not_objects = file(dir, "strings.json", "{\"records\": [\"a\"]}");
    plot(&[path_str(&not_objects), "--out", o]).fails_with("record 0 is not a JSON object");
    plot(&[path_str(&dir.join("missing.json")), "--out", o]).fails_with("cannot read");
    // The anchor run holds two datasets: one must be chosen, and it must exist.
    let mixed = plot(&[ANCHOR, "--out", o]).fails_with("choose it with --dataset");
    assert!(mixed
        .stderr
        .contains("clustered-d128-n100k, clustered-d128-n1m"));
    plot(&[ANCHOR, "--dataset", "sift1m", "--out", o]).fails_with("sift1m");
    // Two files of different datasets are mixed too.
    let other = file(
        dir,
        "other.json",
        r#"{"records": [{"section": "ivf_search", "dataset": "other", "impl": "x",
                         "threads": 1, "params": {"nprobe": 4},
                         "metrics": {"qps": 5.0, "recall@10": 0.5}}]}"#,
    );
    plot(&[path_str(&other), path_str(&flat), ANCHOR, "--out", o]).fails_with("3 datasets");
    plot(&[
        ANCHOR,
        "--dataset",
        "clustered-d128-n1m",
        "--out",
        "plot.jpg",
    ])
    .fails_with(".svg or .png");
    plot(&[ANCHOR, "--out", o, "--width", "10"]).fails_with("--width");
    plot(&[ANCHOR, "--out", o, "--recall-at", "0"]).fails_with("--recall-at");
    plot(&["--out", o]).fails_with("RESULTS.json");
    let to_nowhere = dir.join("no-such-folder").join("p.svg");
    plot(&[
        ANCHOR,
        "--dataset",
        "clustered-d128-n1m",
        "--out",
        path_str(&to_nowhere),
    ])
    .fails_with("cannot write");
    assert!(!out.exists(), "no picture is written by a failing command");
}

/// `n` pseudo-random vectors of dimension `d` (xorshift), as .fvecs bytes and values.
fn vectors(n: usize, d: usize, seed: u64) -> (Vec<u8>, Vec<f32>) {
    let mut s = seed;
    let mut values = Vec::with_capacity(n * d);
    let mut bytes = Vec::new();
    for _ in 0..n {
        bytes.extend_from_slice(&(d as i32).to_le_bytes());
        for _ in 0..d {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let v = (s >> 40) as f32 / (1u64 << 24) as f32;
            values.push(v);
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    (bytes, values)
}

/// Exact top-k ids of each query by squared L2, as .ivecs bytes.
fn ground_truth(base: &[f32], queries: &[f32], d: usize, k: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for q in queries.chunks_exact(d) {
        let mut dist: Vec<(f32, i32)> = base
            .chunks_exact(d)
            .enumerate()
            .map(|(i, b)| {
                (
                    b.iter().zip(q).map(|(x, y)| (x - y) * (x - y)).sum(),
                    i as i32,
                )
            })
            .collect();
        dist.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        bytes.extend_from_slice(&(k as i32).to_le_bytes());
        for &(_, i) in &dist[..k] {
            bytes.extend_from_slice(&i.to_le_bytes());
        }
    }
    bytes
}

/// Runs a small IVF benchmark with recall and returns its --json output.
fn bench_json(dir: &Path) -> String {
    bench_json_of(dir, "IVF16,Flat")
}

/// Runs a small benchmark of the index `factory` with recall; its --json output.
fn bench_json_of(dir: &Path, factory: &str) -> String {
    bench_json_args(dir, factory, &[])
}

/// `ferrofaiss bench` arguments for one short timed pass on one thread, in JSON.
const ONE_QUICK_RUN: [&str; 7] = [
    "--threads",
    "1",
    "--reps",
    "1",
    "--single-target-s",
    "0.01",
    "--json",
];

/// [`bench_json_of`] with more arguments.
fn bench_json_args(dir: &Path, factory: &str, more: &[&str]) -> String {
    let d = 8;
    let (base_bytes, base) = vectors(2000, d, 7);
    let (query_bytes, queries) = vectors(20, d, 11);
    fs::write(dir.join("base.fvecs"), base_bytes).unwrap();
    fs::write(dir.join("query.fvecs"), query_bytes).unwrap();
    fs::write(dir.join("gt.ivecs"), ground_truth(&base, &queries, d, 10)).unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let run = ff([
        "bench",
        "--base",
        &p("base.fvecs"),
        "--queries",
        &p("query.fvecs"),
        "--gt",
        &p("gt.ivecs"),
        "--index",
        factory,
        "--nprobe",
        "1,4,16",
        "--dataset",
        "tiny-d8",
    ]
    .into_iter()
    .chain(ONE_QUICK_RUN)
    .chain(more.iter().copied()))
    .ok();
    run.stdout
}

#[test]
fn scalar_quantizer_benchmarks_record_their_sections_with_the_factory_string() {
    let tmp = tempfile::tempdir().unwrap();
    for factory in ["SQ8", "SQfp16"] {
        let doc: Value = serde_json::from_str(&bench_json_of(tmp.path(), factory)).unwrap();
        let records = doc["records"].as_array().unwrap();
        let sections: Vec<&str> = records
            .iter()
            .map(|r| r["section"].as_str().unwrap())
            .collect();
        assert_eq!(
            sections,
            [
                "sq_train",
                "sq_add",
                "sq_single",
                "sq_batch",
                "io_write",
                "io_read",
                "io_read"
            ],
            "{factory}"
        );
        for r in records {
            assert_eq!(r["params"]["index"], factory, "{r}");
            assert!(r["impl"]
                .as_str()
                .unwrap()
                .starts_with("ferrofaiss IndexScalarQuantizer"));
        }
        // 8-bit codes of uniform data keep nearly all of the exact neighbours.
        let batch = &records[3]["metrics"];
        assert!(
            batch["recall@10"].as_f64().unwrap() > 0.9,
            "{factory}: {batch}"
        );
        assert_eq!(
            records[1]["metrics"]["bytes_per_vector"],
            if factory == "SQ8" { 8 } else { 16 }
        );
    }
}

#[test]
fn bench_saves_the_index_it_built_and_searches_a_loaded_file_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let saved = dir.join("sq8.faiss");
    let built: Value = serde_json::from_str(&bench_json_args(
        dir,
        "SQ8",
        &["--save-index", saved.to_str().unwrap()],
    ))
    .unwrap();
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    // The saved file searched, mapped or (`--no-mmap`) copied.
    let load = |copy: bool| -> Value {
        let (file, query, gt) = (p("sq8.faiss"), p("query.fvecs"), p("gt.ivecs"));
        let mut args = vec!["bench", "--load-index", &file];
        if copy {
            args.push("--no-mmap");
        }
        args.extend(["--queries", &query, "--gt", &gt]);
        args.extend(ONE_QUICK_RUN);
        serde_json::from_str(&ff(args).ok().stdout).unwrap()
    };
    let loaded = load(false);
    let sections = |doc: &Value| -> Vec<String> {
        doc["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["section"].as_str().unwrap().to_string())
            .collect()
    };
    // No build sections for a loaded file; the search sections as for a built index.
    assert_eq!(
        sections(&loaded),
        ["sq_single", "sq_batch", "io_write", "io_read", "io_read"]
    );
    let batch_of = |doc: &Value| -> Value {
        doc["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["section"] == "sq_batch")
            .unwrap()
            .clone()
    };
    let (a, b) = (batch_of(&built), batch_of(&loaded));
    assert_eq!(b["params"]["index"], "SQ8");
    assert_eq!(b["params"]["N"], a["params"]["N"]);
    assert_eq!(a["metrics"]["recall@10"], b["metrics"]["recall@10"]);
    // Copied out of the file instead of mapped: the same results.
    let copied = load(true);
    assert_eq!(
        batch_of(&copied)["metrics"]["recall@10"],
        a["metrics"]["recall@10"]
    );
    // A file Faiss wrote loads too; a missing one is one line and exit 2.
    let faiss_file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/faiss/flat_l2.faiss"
    );
    let (q4, _) = vectors(3, 4, 5);
    fs::write(dir.join("q4.fvecs"), q4).unwrap();
    let q4 = p("q4.fvecs");
    let args = ["bench", "--load-index", faiss_file, "--queries", &q4];
    let run = ff(args.into_iter().chain(ONE_QUICK_RUN)).ok();
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["records"][0]["section"], "flat_single");
    assert_eq!(doc["records"][0]["params"]["index"], "Flat");
    ff([
        "bench",
        "--load-index",
        &p("missing.faiss"),
        "--queries",
        &p("q4.fvecs"),
    ])
    .fails_with("missing.faiss");
}

#[test]
fn records_of_ferrofaiss_bench_plot_beside_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let json = bench_json(dir);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let searches: Vec<&Value> = doc["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["section"] == "ivf_search")
        .collect();
    assert_eq!(searches.len(), 3);
    let run1 = file(dir, "run1.json", &json);
    let run2 = file(dir, "run2.json", &json);

    // One run: one curve; the anchor's records of other datasets are left out.
    let out = dir.join("ours.svg");
    let run = plot(&[
        path_str(&run1),
        ANCHOR,
        "--dataset",
        "tiny-d8",
        "--out",
        path_str(&out),
    ])
    .ok();
    assert!(run.stdout.contains("1 curve, 3 points"), "{run:?}");
    let svg = parse_svg(&out);
    let curves = svg.curves();
    assert_eq!(curves.len(), 1);
    let (qps_at, recall_at, _, _) = svg.axes();
    for (&(px, py), r) in curves[0].1.iter().zip(&searches) {
        let qps = r["metrics"]["qps"].as_f64().unwrap();
        let recall = r["metrics"]["recall@10"].as_f64().unwrap();
        assert!(
            (qps_at(px) / qps - 1.0).abs() < 0.02,
            "{} vs {qps}",
            qps_at(px)
        );
        assert!(
            (recall_at(py) - recall).abs() < 0.01,
            "{} vs {recall}",
            recall_at(py)
        );
    }
    let imp = searches[0]["impl"].as_str().unwrap();
    assert!(imp.starts_with("ferrofaiss IndexIVFFlat"));
    assert!(svg
        .texts
        .iter()
        .any(|t| t.0 == format!("{imp}, IVF16, 1 thread")));

    // Two runs of the same thing: two curves, told apart by file name.
    let both = dir.join("both.svg");
    let run = plot(&[path_str(&run1), path_str(&run2), "--out", path_str(&both)]).ok();
    assert!(run.stdout.contains("2 curves, 6 points"), "{run:?}");
    let svg = parse_svg(&both);
    assert_eq!(svg.curves().len(), 2);
    for name in ["run1.json", "run2.json"] {
        assert!(
            svg.texts
                .iter()
                .any(|t| t.0 == format!("{imp}, IVF16, 1 thread [{name}]")),
            "{name}"
        );
    }
}

#[test]
fn extreme_values_and_the_smallest_picture_still_draw_readable_axes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let one = file(
        dir,
        "extreme.json",
        r#"{"records": [{"section": "ivf_search", "dataset": "d", "impl": "x", "threads": 1,
                         "params": {"nprobe": 1}, "metrics": {"qps": 1e300, "recall@10": 0.0}},
                        {"section": "hnsw_search", "dataset": "d", "impl": "y", "threads": 1,
                         "params": {"efSearch": 1}, "metrics": {"qps": 2e-300, "recall@10": 1.0}}]}"#,
    );
    for (w, h) in [("320", "360"), ("1000", "700")] {
        let out = dir.join(format!("extreme-{w}.svg"));
        plot(&[
            path_str(&one),
            "--out",
            path_str(&out),
            "--width",
            w,
            "--height",
            h,
        ])
        .ok();
        let svg = parse_svg(&out);
        assert_eq!(svg.curves().len(), 2);
        // Tick labels along x: short, and never touching (at 12 px per character at most).
        let mut ticks: Vec<&(String, f64, f64, String, String)> = svg
            .texts
            .iter()
            .filter(|t| t.3 == "middle" && parse_qps(&t.0).is_some())
            .collect();
        ticks.sort_by(|a, b| a.1.total_cmp(&b.1));
        assert!(ticks.len() >= 2, "{ticks:?}");
        for pair in ticks.windows(2) {
            let room = (pair[0].0.len() + pair[1].0.len()) as f64 * 12.0 / 2.0;
            assert!(pair[1].1 - pair[0].1 >= room, "{pair:?}");
            assert!(pair[0].0.len() <= 6, "{pair:?}");
            assert!(!pair[1].0.contains("inf") && pair[0].0 != "0", "{pair:?}");
        }
    }
    let png = dir.join("extreme.png");
    let small = |h: &str| {
        plot(&[
            path_str(&one),
            "--out",
            path_str(&png),
            "--width",
            "320",
            "--height",
            h,
        ])
    };
    small("360").ok();
    small("320").fails_with("no room for the chart and a legend of 2 curves");
    plot(&[path_str(&one), "--out", path_str(&png), "--height", "100"]).fails_with("--height");
}

#[test]
fn hnsw_benchmarks_record_build_and_one_search_per_ef() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let saved = dir.join("hnsw.faiss");
    let doc: Value = serde_json::from_str(&bench_json_args(
        dir,
        "HNSW16",
        &[
            "--ef-search",
            "8,64",
            "--save-index",
            saved.to_str().unwrap(),
        ],
    ))
    .unwrap();
    let records = doc["records"].as_array().unwrap();
    let sections: Vec<&str> = records
        .iter()
        .map(|r| r["section"].as_str().unwrap())
        .collect();
    assert_eq!(
        sections,
        [
            "hnsw_build",
            "hnsw_search",
            "hnsw_single",
            "hnsw_search",
            "hnsw_single",
            "io_write",
            "io_read",
            "io_read"
        ]
    );
    for r in records {
        assert_eq!(r["params"]["index"], "HNSW16", "{r}");
    }
    assert!(records[0]["metrics"]["build_s"].as_f64().unwrap() > 0.0);
    assert_eq!(records[1]["params"]["efSearch"], 8);
    assert_eq!(records[3]["params"]["efSearch"], 64);
    assert!(records[2]["metrics"]["latency_ms_median"].as_f64().unwrap() > 0.0);
    // A wider search finds at least as many true neighbours, nearly all at ef 64.
    let (r8, r64) = (
        records[1]["metrics"]["recall@10"].as_f64().unwrap(),
        records[3]["metrics"]["recall@10"].as_f64().unwrap(),
    );
    assert!(r64 >= r8 && r64 > 0.95, "{r8} {r64}");
    // The saved graph is a Faiss HNSW file.
    assert_eq!(&fs::read(&saved).unwrap()[..4], b"IHNf");
    // A zero ef is bad input: one line, exit 2.
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    ff([
        "bench",
        "--ef-search",
        "0",
        "--index",
        "HNSW16",
        "--base",
        &p("base.fvecs"),
        "--queries",
        &p("query.fvecs"),
    ])
    .fails_with("--ef-search");
}
