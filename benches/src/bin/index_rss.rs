//! Resident memory of an index (issue 11's memory target: SQ8 at most 0.27x of the f32
//! flat index), measured as the growth of this process's resident set (`VmRSS` in
//! `/proc/self/status`) while an index of the factory string is trained and filled
//! from a TEXMEX `.fvecs` file, the file's vectors already loaded. A fresh process per
//! index, so no memory freed earlier is reused. Linux only. A benchmark binary, not a
//! CI test:
//!
//! ```sh
//! cargo run --release -p ferrofaiss-benches --bin index_rss -- BASE.fvecs SQ8
//! ```
//!
//! Prints one JSON object: `index`, `N`, `d`, `rss_before`, `rss_after`, `rss_index`
//! (bytes) and `rss_per_vector`.

use ferrofaiss::index::{index_factory, MetricType};
use serde_json::json;

/// This process's resident set in bytes (`VmRSS`).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: index_rss BASE.fvecs FACTORY");
        std::process::exit(2);
    }
    let bytes = std::fs::read(&args[1]).unwrap_or_else(|e| {
        eprintln!("index_rss: {}: {e}", args[1]);
        std::process::exit(2)
    });
    let d = bytes
        .get(..4)
        .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .filter(|&d| d > 0 && bytes.len().is_multiple_of(4 * d + 4))
        .unwrap_or_else(|| {
            eprintln!("index_rss: {} is not an .fvecs file", args[1]);
            std::process::exit(2)
        });
    let base: Vec<f32> = bytes
        .chunks_exact(4 * d + 4)
        .flat_map(|row| {
            row[4..]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        })
        .collect();
    drop(bytes);
    let n = base.len() / d;
    let before = rss();
    let mut index = index_factory(d, &args[2], MetricType::L2).unwrap_or_else(|e| {
        eprintln!("index_rss: {e}");
        std::process::exit(2)
    });
    let filled = if index.is_trained() {
        Ok(())
    } else {
        index.train(&base)
    }
    .and_then(|()| index.add(&base));
    if let Err(e) = filled {
        eprintln!("index_rss: {e}");
        std::process::exit(2);
    }
    let after = rss();
    let grown = after.saturating_sub(before);
    println!(
        "{}",
        json!({"index": args[2], "N": n, "d": d, "rss_before": before, "rss_after": after,
               "rss_index": grown, "rss_per_vector": grown as f64 / n as f64})
    );
}
