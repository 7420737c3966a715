//! `ferrofaiss`: index a text, ask it, and compare with native Faiss.

mod bench;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ferrofaiss::kernel;

/// The version line: the package version and the active SIMD tier (computed once).
fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        format!(
            "{} (simd: {})",
            env!("CARGO_PKG_VERSION"),
            kernel::active_tier()
        )
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
    /// Print the active SIMD tier and what this CPU supports.
    Simd,
    /// Time an index on .fvecs/.ivecs data (add, train, batch and one-query search).
    Bench(bench::BenchArgs),
}

fn simd() -> Result<(), String> {
    let f = kernel::cpu_features();
    println!("active tier: {}", kernel::active_tier());
    if let Err(e) = kernel::tier::requested_tier() {
        println!("requested tier rejected: {e}");
    }
    let tiers: Vec<&str> = f.supported_tiers().iter().map(|t| t.name()).collect();
    println!("supported tiers: {}", tiers.join(", "));
    println!(
        "cpu: avx2+fma={} avx512f={} f16c={} neon={}",
        f.avx2_fma, f.avx512f, f.f16c, f.neon
    );
    println!(
        "environment: FAISS_NO_AVX2={} FERROFAISS_SIMD={}",
        std::env::var_os("FAISS_NO_AVX2").is_some(),
        std::env::var("FERROFAISS_SIMD").unwrap_or_else(|_| "(unset)".into())
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Simd => simd(),
        Command::Bench(args) => bench::run(&args).map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("ferrofaiss: {msg}");
            ExitCode::from(2)
        }
    }
}
