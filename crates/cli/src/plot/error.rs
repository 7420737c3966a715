//! [`PlotError`]: why a picture could not be drawn.

use std::path::PathBuf;

use super::query_mode::QueryMode;

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
