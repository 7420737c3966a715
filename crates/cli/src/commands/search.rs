//! `ferrofaiss search DIR QUERY`: similarity or MMR search of a saved index.

use std::path::PathBuf;

use clap::Args;
use ferrofaiss::docstore::Filter;
use ferrofaiss::{
    FaissStore, FilterMode, SearchOptions, DEFAULT_FETCH_K, DEFAULT_K, DEFAULT_LAMBDA_MULT,
};
use serde_json::json;

use crate::commands::gpu::DeviceArg;
use crate::embedder::{build_embedder, EmbedderKind, MiniLmArgs};
use crate::error::{CliError, CliResult};
use crate::output::{hits_json, hits_text, Hit};
use crate::saved::open_for_search;

/// Arguments of `ferrofaiss search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Folder written by `ferrofaiss index`.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The question or text to look for.
    #[arg(value_name = "QUERY")]
    query: String,
    /// Number of results.
    #[arg(short, long, default_value_t = DEFAULT_K, value_parser = positive)]
    k: usize,
    /// Candidates examined before the filter (or MMR) picks k of them
    /// (default 20, LangChain's).
    #[arg(long, value_parser = positive)]
    fetch_k: Option<usize>,
    /// Metadata filter as JSON, LangChain's dict syntax: '{"source": "a.txt"}',
    /// '{"page": {"$gte": 2}}', '{"$or": [...]}'.
    #[arg(long, value_name = "JSON")]
    filter: Option<String>,
    /// With --filter: the k nearest among the matching documents, whatever --fetch-k
    /// says (LangChain filters only the fetch-k nearest, so it may return fewer than k);
    /// an IVF index looks in its probed lists.
    #[arg(long, requires = "filter")]
    exact_filter: bool,
    /// Maximal marginal relevance: relevant and diverse results.
    #[arg(long)]
    mmr: bool,
    /// MMR trade-off between relevance (1) and diversity (0); default 0.5.
    #[arg(
        long = "lambda",
        value_name = "X",
        requires = "mmr",
        allow_negative_numbers = true
    )]
    lambda: Option<f32>,
    /// Print each result's raw score (squared L2 distance, or inner product).
    #[arg(long)]
    scores: bool,
    /// Keep results whose raw score is at most X (at least X for inner product).
    #[arg(
        long,
        value_name = "X",
        conflicts_with = "mmr",
        allow_negative_numbers = true
    )]
    threshold: Option<f32>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Embed the query with this embedder; it must be the one that built the index
    /// (default: the one recorded in DIR; required for a LangChain folder, which
    /// records none).
    #[arg(long, value_enum)]
    embedder: Option<EmbedderKind>,
    /// OpenAI model (with --embedder openai).
    #[arg(long, value_name = "MODEL")]
    openai_model: Option<String>,
    /// MiniLM settings (with --embedder minilm, or a folder MiniLM built).
    #[command(flatten)]
    minilm: MiniLmArgs,
    /// Where the search runs: cpu, or gpu (a build with --features gpu; Flat and IVF
    /// indexes; --exact-filter needs the cpu).
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
}

/// Parses a count of at least 1.
fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs `ferrofaiss search`.
pub fn run(args: SearchArgs) -> CliResult<()> {
    let opts = options(&args)?;
    let requested = match args.embedder {
        Some(kind) => Some(build_embedder(
            kind,
            args.openai_model.as_deref(),
            &args.minilm,
        )?),
        None => None,
    };
    let mut store = open_for_search(&args.dir, requested, &args.minilm)?;
    store
        .set_device(args.device.device())
        .map_err(|e| CliError::with_cause(format!("--device {}", args.device.device()), e))?;
    let hits = search(&store, &args.query, args.mmr, &opts)?;
    if args.json {
        let doc = json!({
            "index": args.dir.display().to_string(),
            "query": args.query,
            "search_type": if args.mmr { "mmr" } else { "similarity" },
            "k": opts.k,
            "fetch_k": opts.fetch_k,
            "exact_filter": args.exact_filter,
            "embedder": store.embeddings().name(),
            "distance_strategy": store.distance_strategy().as_str(),
            "results": hits_json(&hits),
        });
        println!("{doc}");
    } else {
        print!("{}", hits_text(&hits, args.scores));
    }
    Ok(())
}

/// The search options from the arguments, checked before the index is read.
fn options(args: &SearchArgs) -> CliResult<SearchOptions> {
    let mut opts = SearchOptions::new()
        .k(args.k)
        .fetch_k(args.fetch_k.unwrap_or(DEFAULT_FETCH_K))
        .lambda_mult(args.lambda.unwrap_or(DEFAULT_LAMBDA_MULT));
    if let Some(lambda) = args.lambda {
        if !(0.0..=1.0).contains(&lambda) {
            return Err(CliError::new(format!(
                "bad --lambda {lambda}: must be between 0 and 1"
            )));
        }
    }
    if let Some(threshold) = args.threshold {
        if !threshold.is_finite() {
            return Err(CliError::new(format!(
                "bad --threshold {threshold}: must be a finite number"
            )));
        }
        opts = opts.score_threshold(threshold);
    }
    if let Some(text) = &args.filter {
        let filter = Filter::parse(text).map_err(|e| CliError::with_cause("bad --filter", e))?;
        opts = opts.filter(filter);
    }
    if args.exact_filter {
        opts = opts.filter_mode(FilterMode::Exact);
    }
    Ok(opts)
}

/// Runs the search the arguments ask for, returning documents with raw scores.
fn search(store: &FaissStore, query: &str, mmr: bool, opts: &SearchOptions) -> CliResult<Vec<Hit>> {
    let failed = |e| CliError::with_cause("search failed", e);
    if mmr {
        let embedding = store
            .embeddings()
            .embed_query(query)
            .map_err(|e| CliError::with_cause("cannot embed the query", e))?;
        store
            .max_marginal_relevance_search_with_score_by_vector(&embedding, opts)
            .map_err(failed)
    } else {
        store
            .similarity_search_with_score(query, opts)
            .map_err(failed)
    }
}
