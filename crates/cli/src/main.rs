//! `ferrofaiss`: index a text, ask it, and compare with native Faiss.
//!
//! Every failure (bad usage, bad input, an unreachable embedding service) prints one
//! line on stderr and exits with code 2; nothing already saved is changed by a command
//! that fails.

mod commands;
mod embedder;
mod error;
mod output;
mod plot;
mod progress;
mod saved;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferrofaiss::kernel;

use crate::error::{one_line, FAILURE_EXIT_CODE};

/// The version line: the package version and the active SIMD tier (computed once).
fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        let tier = match kernel::active_tier() {
            Ok(tier) => tier.to_string(),
            Err(e) => format!("none: {e}"),
        };
        format!("{} (simd: {tier})", env!("CARGO_PKG_VERSION"))
    })
}

#[derive(Parser)]
#[command(name = "ferrofaiss", version = version_line(), about = "LangChain's FAISS vector store and Faiss indexes, in pure Rust")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run LangChain's "FAISS (Async)" notebook end to end, offline, on the State of the
    /// Union text.
    Demo(commands::demo::DemoArgs),
    /// Load text files, split them, embed the chunks and save an index folder.
    Index(commands::index::IndexArgs),
    /// Search a saved index (similarity or MMR, with filters and scores).
    Search(commands::search::SearchArgs),
    /// Describe a saved index.
    Info(commands::info::InfoArgs),
    /// Delete documents from a saved index by id.
    Delete(commands::delete::DeleteArgs),
    /// Merge the documents of one saved index into another.
    Merge(commands::merge::MergeArgs),
    /// Print the active SIMD tier and what this CPU supports.
    Simd,
    /// Print the GPU adapter the `gpu` feature would use (name, backend, limits), or
    /// why there is none. `WGPU_BACKEND` and `WGPU_ADAPTER_NAME` choose it.
    Gpu,
    /// Time an index on .fvecs/.ivecs data (add, train, batch and one-query search).
    Bench(ferrofaiss_bench_harness::harness::BenchArgs),
    /// Draw recall@10 against queries per second, or one-query latency against dataset
    /// size (SVG or PNG), from `bench --json` records.
    Plot(plot::PlotArgs),
}

/// Runs the parsed command; an error is a message for the user.
fn dispatch(command: Command) -> Result<(), String> {
    check_simd_request()?;
    let result = match command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Index(args) => commands::index::run(args),
        Command::Search(args) => commands::search::run(args),
        Command::Info(args) => commands::info::run(args),
        Command::Delete(args) => commands::delete::run(args),
        Command::Merge(args) => commands::merge::run(args),
        Command::Simd => commands::simd::run(),
        Command::Gpu => commands::gpu::run(),
        Command::Bench(args) => {
            return ferrofaiss_bench_harness::harness::run(&args).map_err(|e| e.to_string())
        }
        Command::Plot(args) => return plot::run(&args).map_err(|e| e.to_string()),
    };
    result.map_err(|e| e.to_string())
}

/// Refuses to run any command when the environment asks for a SIMD tier that cannot
/// run here (`FERROFAISS_SIMD` naming a tier this CPU lacks, or no tier at all): a
/// benchmark that asked for a tier must not silently measure another.
fn check_simd_request() -> Result<(), String> {
    kernel::active_tier().map(drop).map_err(|e| {
        let supported: Vec<&str> = kernel::cpu_features()
            .supported_tiers()
            .iter()
            .map(|t| t.name())
            .collect();
        format!(
            "FERROFAISS_SIMD={:?}: {e} (this CPU runs {})",
            std::env::var("FERROFAISS_SIMD").unwrap_or_default(),
            supported.join(", ")
        )
    })
}

/// Reports a usage error as one line (clap's first paragraph, which names the
/// problem) and returns its exit code; `--help` and `--version` print in full and
/// succeed.
fn report_usage(e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let problem = match e.kind() {
        clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "a command is needed".to_string()
        }
        _ => {
            let rendered = e.render().to_string();
            let paragraph = rendered
                .trim_start()
                .split("\n\n")
                .next()
                .unwrap_or_default();
            let line = one_line(paragraph);
            line.trim_start_matches("error:").trim().to_string()
        }
    };
    eprintln!("ferrofaiss: {problem} (see `ferrofaiss --help`)");
    ExitCode::from(FAILURE_EXIT_CODE)
}

/// Prints a panic as one line, without a backtrace: the program never shows users a
/// Rust panic report.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".to_string());
        eprintln!(
            "ferrofaiss: internal error (a bug, please report it): {}",
            one_line(&what)
        );
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return report_usage(&e),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || dispatch(cli.command))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(msg)) => {
            eprintln!("ferrofaiss: {}", one_line(&msg));
            ExitCode::from(FAILURE_EXIT_CODE)
        }
        Err(_) => ExitCode::from(FAILURE_EXIT_CODE),
    }
}
