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

mod error;
pub mod figure;
mod fonts;
pub mod latency;
pub mod layout;
mod query_mode;
pub mod records;
pub mod render;
mod typeset;

use std::path::PathBuf;

use clap::{Args, ValueEnum};

pub use error::PlotError;
use figure::Figure;
pub use query_mode::QueryMode;
pub use records::Selection;
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
