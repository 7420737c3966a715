//! `ferrofaiss merge DIR OTHER`: append the documents of one saved index to another.

use std::path::PathBuf;

use clap::Args;
use ferrofaiss::StoreError;

use crate::error::{CliError, CliResult};
use crate::saved::{format_for, open_without_embedder, save, FormatArg, UNRECORDED_EMBEDDER};

/// Arguments of `ferrofaiss merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folder that receives the documents (saved again in place).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Folder whose documents are copied into DIR (left unchanged).
    #[arg(value_name = "OTHER")]
    other: PathBuf,
    /// Format to save DIR in: ferrofaiss (index.docstore) or langchain (index.pkl, which
    /// Python's `FAISS.load_local` opens). Default: the format DIR has.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<FormatArg>,
}

/// Runs `ferrofaiss merge`. Both indexes must come from the same embedder, with the
/// same dimension, metric and index type, and share no id; otherwise nothing changes.
/// A LangChain folder records no embedder, so with one the embedders are not compared.
pub fn run(args: MergeArgs) -> CliResult<()> {
    let mut store = open_without_embedder(&args.dir)?;
    let other = open_without_embedder(&args.other)?;
    let (mine, theirs) = (store.embeddings().name(), other.embeddings().name());
    if mine != theirs && mine != UNRECORDED_EMBEDDER && theirs != UNRECORDED_EMBEDDER {
        return Err(CliError::new(format!(
            "cannot merge: {} was indexed with embedder {mine}, {} with {theirs}",
            args.dir.display(),
            args.other.display()
        )));
    }
    let before = store.len();
    store.merge_from(&other).map_err(|e| match e {
        StoreError::IdsAlreadyExist(ids) => CliError::new(format!(
            "cannot merge: {} of the ids in {} are already in {} (first: {})",
            ids.len(),
            args.other.display(),
            args.dir.display(),
            ids.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        )),
        other => CliError::with_cause("cannot merge", other),
    })?;
    save(&store, &args.dir, format_for(&args.dir, args.format))?;
    println!(
        "merged {} documents from {} into {} ({} -> {})",
        store.len() - before,
        args.other.display(),
        args.dir.display(),
        before,
        store.len()
    );
    Ok(())
}
