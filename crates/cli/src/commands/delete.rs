//! `ferrofaiss delete DIR IDS...`: remove documents from a saved index.

use std::path::PathBuf;

use clap::Args;

use crate::error::{CliError, CliResult};
use crate::saved::{format_for, open_without_embedder, save, FormatArg};

/// Arguments of `ferrofaiss delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Folder written by `ferrofaiss index` (or by LangChain's `save_local`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Ids of the documents to delete (as `search` prints them).
    #[arg(value_name = "IDS", required = true)]
    ids: Vec<String>,
    /// Format to save DIR in: ferrofaiss (index.docstore) or langchain (index.pkl, which
    /// Python's `FAISS.load_local` opens). Default: the format DIR has.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<FormatArg>,
}

/// Runs `ferrofaiss delete`: all ids go, or (on an unknown or repeated id) none, and
/// the folder is left as it was.
pub fn run(args: DeleteArgs) -> CliResult<()> {
    let mut store = open_without_embedder(&args.dir)?;
    let removed = store
        .delete(&args.ids)
        .map_err(|e| CliError::with_cause("cannot delete", e))?;
    save(&store, &args.dir, format_for(&args.dir, args.format))?;
    println!(
        "deleted {removed} document{} from {} ({} left)",
        if removed == 1 { "" } else { "s" },
        args.dir.display(),
        store.len()
    );
    Ok(())
}
