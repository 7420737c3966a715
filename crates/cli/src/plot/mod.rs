//! `ferrofaiss plot RESULTS.json... --out FILE.svg|png`: recall@k against queries per
//! second, the way vector indexes are compared (ann-benchmarks style), from the JSON
//! records of `ferrofaiss bench --json` and of `shared/bench/faiss_anchor.py` (same
//! schema).
//!
//! A record is a point when its section is a search sweep (`<family>_search` for batch
//! search, `<family>_single` with `--search single`), its `params` hold a search knob
//! (`nprobe` or `efSearch`) and its `metrics` a positive `qps` and a `recall@k` in
//! [0, 1]; other records (training, adding, flat scans, kernels) are ignored. There is
//! one curve per (implementation, index, threads), one point per knob value, labelled
//! with it. All points must come from one dataset (`--dataset` picks one from files
//! that hold several). Text is measured, and in PNGs drawn, with a font embedded in the
//! binary: nothing is looked up on the system.
//!
//! `--kind latency` draws the other picture the field reads: the median latency of one
//! query (`*_single` records) against the dataset size `params.N`, one curve per
//! (implementation, index, knob value, threads), across the datasets of one dimension.

pub mod figure;
mod fonts;
pub mod latency;
pub mod layout;
pub mod records;
pub mod render;
mod typeset;

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use figure::Figure;
pub use records::{QueryMode, Selection};
pub use render::Format;

/// Which picture to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// recall@K against queries per second, one curve per knob sweep.
    Recall,
    /// median one-query latency against dataset size (N), both on log axes.
    Latency,
}

/// Arguments of `ferrofaiss plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Result files: the JSON of `ferrofaiss bench --json` or of
    /// shared/bench/faiss_anchor.py (any number; their records are plotted together).
    #[arg(required = true, value_name = "RESULTS.json")]
    pub files: Vec<PathBuf>,
    /// The picture to write: SVG or PNG, chosen by the extension (.svg, .png).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The picture: recall@K vs QPS, or one-query latency vs dataset size.
    #[arg(long, value_enum, default_value_t = Kind::Recall)]
    pub kind: Kind,
    /// Plot the records of this dataset (required when the files hold several; recall
    /// plots only: a latency plot spans datasets).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    /// Latency plots: the vector dimension (params.d) to plot, required when the
    /// records have several.
    #[arg(long, value_name = "D")]
    pub dim: Option<u64>,
    /// Recall plots: batch searches (the *_search sections) or one query per call
    /// (*_single).
    #[arg(long, value_enum, default_value_t = QueryMode::Batch)]
    pub search: QueryMode,
    /// The recall plotted is recall@K (the records' `metrics["recall@K"]`).
    #[arg(long = "recall-at", value_name = "K", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub recall_at: u32,
    /// Width of the picture in pixels.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(320..=8192))]
    pub width: u32,
    /// Height of the picture in pixels.
    #[arg(long, default_value_t = 700, value_parser = clap::value_parser!(u32).range(320..=8192))]
    pub height: u32,
    /// Title (default: "recall@K vs QPS: DATASET", or the latency plot's).
    #[arg(long)]
    pub title: Option<String>,
}

/// Why a picture could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A results file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A results file is not JSON.
    #[error("{path}: not valid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Where and why parsing stopped.
        source: serde_json::Error,
    },
    /// A results file is JSON but not in the results schema.
    #[error("{path}: {problem}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// No record of any file can be plotted.
    #[error(
        "nothing to plot: no {} record (a *{} section) has a search knob (params.nprobe or \
         params.efSearch) with metrics.qps and metrics[\"{recall_key}\"] (ferrofaiss bench \
         measures recall only with --gt)",
        mode.describe(),
        if matches!(mode, QueryMode::Batch) { "_search" } else { "_single" }
    )]
    NothingToPlot {
        /// The query mode asked for.
        mode: QueryMode,
        /// The recall metric asked for.
        recall_key: String,
    },
    /// The plottable records come from several datasets and none was chosen.
    #[error(
        "the records are from {} datasets ({}); one plot shows one: choose it with --dataset",
        datasets.len(),
        datasets.join(", ")
    )]
    MixedDatasets {
        /// The datasets, sorted.
        datasets: Vec<String>,
    },
    /// `--dataset` names a dataset no plottable record has.
    #[error("no plottable record of dataset {wanted:?} (the files have: {})", available.join(", "))]
    UnknownDataset {
        /// The dataset asked for.
        wanted: String,
        /// The datasets that have plottable records.
        available: Vec<String>,
    },
    /// No record can be a point of a latency plot.
    #[error(
        "nothing to plot: no one-query-per-call record (a *_single section) has params.N, \
         params.d and metrics.latency_ms_median"
    )]
    NoLatencyRecord,
    /// The latency records have several vector dimensions and none was chosen.
    #[error(
        "the records have vectors of {} dimensions ({}); one latency plot shows one: \
         choose it with --dim",
        dims.len(),
        dims.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    )]
    MixedDimensions {
        /// The dimensions, sorted.
        dims: Vec<u64>,
    },
    /// `--dim` names a dimension no latency record has.
    #[error(
        "no one-query latency record of dimension {wanted} (the files have: {})",
        available.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    )]
    UnknownDimension {
        /// The dimension asked for.
        wanted: u64,
        /// The dimensions that have latency records.
        available: Vec<u64>,
    },
    /// An option that does not apply to the kind of plot asked for.
    #[error("{0}")]
    Usage(String),
    /// `--out` has neither a .svg nor a .png extension.
    #[error("--out {path}: the file name must end in .svg or .png")]
    OutputFormat {
        /// The path given.
        path: PathBuf,
    },
    /// The picture is too small for its legend and axes.
    #[error(
        "a {}x{} picture has no room for the chart and a legend of {curves} curve{}; \
         pass a larger --width/--height", size.0, size.1, if *curves == 1 { "" } else { "s" }
    )]
    TooSmall {
        /// Width and height asked for.
        size: (u32, u32),
        /// Curves in the legend.
        curves: usize,
    },
    /// The embedded font could not be loaded.
    #[error("the embedded font could not be loaded")]
    Font,
    /// Drawing failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
    /// The picture could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads the files, builds the chart and writes the picture; prints what it wrote.
pub fn run(args: &PlotArgs) -> Result<(), PlotError> {
    let format = Format::from_path(&args.out)?;
    match args.kind {
        Kind::Recall if args.dim.is_some() => {
            return Err(PlotError::Usage(
                "--dim applies to --kind latency (a recall plot picks a --dataset)".into(),
            ))
        }
        Kind::Latency if args.dataset.is_some() => {
            return Err(PlotError::Usage(
                "--dataset applies to --kind recall (a latency plot spans the datasets of \
                 one dimension: pick it with --dim)"
                    .into(),
            ))
        }
        _ => {}
    }
    let files = args
        .files
        .iter()
        .map(|path| Ok((path.clone(), records::read_results(path)?)))
        .collect::<Result<Vec<_>, PlotError>>()?;
    let (figure, what) = match args.kind {
        Kind::Recall => {
            let selection = Selection {
                dataset: args.dataset.clone(),
                mode: args.search,
                k: args.recall_at,
            };
            let chart = records::collect(&files, &selection)?;
            let what = format!(
                "{} point{}, dataset {}",
                chart.point_count(),
                if chart.point_count() == 1 { "" } else { "s" },
                chart.dataset
            );
            (Figure::from(&chart), what)
        }
        Kind::Latency => {
            let chart = latency::collect(&files, args.dim)?;
            let what = format!(
                "{} point{}, d = {}, datasets {}",
                chart.point_count(),
                if chart.point_count() == 1 { "" } else { "s" },
                chart.d,
                chart.datasets.join(", ")
            );
            (Figure::from(&chart), what)
        }
    };
    let title = args.title.clone().unwrap_or_else(|| figure.title.clone());
    let drawn = render::render(
        &figure,
        format,
        &args.out,
        (args.width, args.height),
        &title,
    )?;
    let mut note = String::new();
    if drawn.labels_shortened > 0 {
        note.push_str(&format!(
            "; {} point label(s) in short form (the value alone)",
            drawn.labels_shortened
        ));
    }
    if drawn.labels_left_out > 0 {
        note.push_str(&format!(
            "; {} point label(s) left out for lack of room (a larger --width/--height \
             gives them room)",
            drawn.labels_left_out
        ));
    }
    let curves = figure.curves.len();
    println!(
        "wrote {} ({curves} curve{}, {what}{note})",
        args.out.display(),
        if curves == 1 { "" } else { "s" },
    );
    Ok(())
}
