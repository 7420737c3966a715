//! Batch search or one query per call: which records a chart is drawn from.

use clap::ValueEnum;

/// Which searches are plotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryMode {
    /// All queries in one call (`ivf_search`, `hnsw_search`, ... sections).
    Batch,
    /// One query per call (`ivf_single`, `hnsw_single`, ... sections).
    Single,
}

impl QueryMode {
    /// The section-name suffix of this mode's records.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            QueryMode::Batch => "_search",
            QueryMode::Single => "_single",
        }
    }

    /// How the searches are run, in words.
    pub fn describe(self) -> &'static str {
        match self {
            QueryMode::Batch => "batch search",
            QueryMode::Single => "one query per call",
        }
    }
}
