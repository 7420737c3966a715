//! `ferrofaiss info DIR`: what a saved index holds.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Args;
use ferrofaiss::{FaissStore, DEFAULT_INDEX_NAME};
use serde_json::json;
use serde_json::Value;

use crate::error::CliResult;
use crate::saved::{folder_format, open_without_embedder};

/// Arguments of `ferrofaiss info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Folder written by `ferrofaiss index` (or by LangChain's `save_local`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `ferrofaiss info`.
pub fn run(args: InfoArgs) -> CliResult<()> {
    let store = open_without_embedder(&args.dir)?;
    let info = describe(&store, &args.dir);
    if args.json {
        println!("{info}");
    } else {
        print!("{}", as_text(&info));
    }
    Ok(())
}

/// The facts about a saved store, as JSON.
fn describe(store: &FaissStore, dir: &std::path::Path) -> Value {
    let sources: BTreeSet<String> = store
        .docstore()
        .iter()
        .filter_map(|(_, doc)| doc.metadata.get("source"))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let format = folder_format(dir);
    let (faiss_path, docstore_path) = format.paths(dir, DEFAULT_INDEX_NAME);
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).ok();
    let config = store.config();
    json!({
        "index": dir.display().to_string(),
        "documents": store.len(),
        "dimension": store.dimension(),
        "index_type": store.index().type_name(),
        "index_factory": config.index_factory,
        "distance_strategy": store.distance_strategy().as_str(),
        "normalize_l2": store.normalize_l2(),
        "embedder": store.embeddings().name(),
        "format": format.as_str(),
        "sources": sources.into_iter().collect::<Vec<_>>(),
        "files": {
            "faiss": { "path": faiss_path.display().to_string(), "bytes": size(&faiss_path) },
            "docstore": { "path": docstore_path.display().to_string(), "bytes": size(&docstore_path) },
        },
    })
}

/// The same facts as `key: value` lines.
fn as_text(info: &Value) -> String {
    let field = |k: &str| match &info[k] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::new();
    for key in [
        "index",
        "documents",
        "dimension",
        "index_type",
        "index_factory",
        "distance_strategy",
        "normalize_l2",
        "embedder",
        "format",
    ] {
        out.push_str(&format!("{key}: {}\n", field(key)));
    }
    let sources = info["sources"].as_array().map_or(0, Vec::len);
    out.push_str(&format!("sources: {sources}\n"));
    if let Some(list) = info["sources"].as_array() {
        for s in list {
            out.push_str(&format!("  {}\n", s.as_str().unwrap_or_default()));
        }
    }
    for kind in ["faiss", "docstore"] {
        let f = &info["files"][kind];
        out.push_str(&format!(
            "file: {} ({} bytes)\n",
            f["path"].as_str().unwrap_or_default(),
            f["bytes"]
        ));
    }
    out
}
