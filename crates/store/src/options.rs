//! Search parameters: LangChain's keyword arguments as one options struct with
//! LangChain's defaults (`k = 4`, `fetch_k = 20`, `lambda_mult = 0.5`).

use ferrofaiss_docstore::Filter;

/// LangChain's default number of results.
pub const DEFAULT_K: usize = 4;
/// LangChain's default number of candidates fetched before filtering or MMR.
pub const DEFAULT_FETCH_K: usize = 20;
/// LangChain's default MMR trade-off between relevance (1) and diversity (0).
pub const DEFAULT_LAMBDA_MULT: f32 = 0.5;

/// How a metadata filter chooses a search's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum FilterMode {
    /// LangChain's: the `fetch_k` nearest vectors (`2 * fetch_k` for MMR) are fetched,
    /// then filtered, so a search may return fewer than `k` results, or none, although
    /// `k` documents match. The default, identical to LangChain.
    #[default]
    #[serde(rename = "langchain")]
    LangChain,
    /// The nearest among the documents that match, whatever `fetch_k` says: the
    /// matching rows become the index scan's selector (Faiss's `SearchParameters.sel`),
    /// so non-matching rows never compete. Exact on a flat index; an IVF index, as in
    /// Faiss, looks only in the `nprobe` lists it probes. MMR's candidates are the `fetch_k` nearest matching rows. A filter that
    /// cannot be evaluated on some document fails the search, wherever that document
    /// ranks.
    #[serde(rename = "exact")]
    Exact,
}

/// Parameters of every search method (LangChain's `k`, `fetch_k`, `filter`,
/// `score_threshold`, `lambda_mult` keyword arguments).
///
/// Each method reads the fields it needs:
/// * similarity searches: `k`, `filter`, `fetch_k` (only with a filter: the `fetch_k`
///   nearest vectors are examined, then cut to `k`), `score_threshold` (on raw scores:
///   `<=` for distances, `>=` for `MAX_INNER_PRODUCT` and `JACCARD`);
/// * relevance-score searches: the same, but `score_threshold` keeps relevance `>=` it;
/// * MMR searches: `k`, `fetch_k`, `lambda_mult`, `filter` (`2 * fetch_k` candidates are
///   fetched with a filter); `score_threshold` is ignored, as in LangChain;
/// * every search with a filter: `filter_mode` ([`FilterMode::Exact`] makes `fetch_k`
///   irrelevant to filtering: the nearest matching documents are found by the scan).
///
/// ```
/// use ferrofaiss_store::SearchOptions;
/// let opts = SearchOptions::new().k(2).fetch_k(10).score_threshold(0.5);
/// assert_eq!((opts.k, opts.fetch_k, opts.lambda_mult), (2, 10, 0.5));
/// ```
///
/// Serializable (serde) with LangChain's keyword names; missing fields take their
/// defaults. The filter serializes as its JSON dict; a closure filter
/// (`Filter::from_fn`) cannot be serialized and fails with a serializer error.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SearchOptions {
    /// Number of results (LangChain `k`, default 4). Must be positive for similarity
    /// searches; MMR returns nothing for 0.
    pub k: usize,
    /// Candidates fetched before filtering or MMR (LangChain `fetch_k`, default 20).
    pub fetch_k: usize,
    /// Metadata filter (LangChain `filter`), a compiled dict filter or a closure.
    pub filter: Option<Filter>,
    /// Score threshold (LangChain `score_threshold`); see the struct docs for its
    /// meaning per method.
    pub score_threshold: Option<f32>,
    /// MMR trade-off (LangChain `lambda_mult`, default 0.5): 1 is pure relevance, 0 pure
    /// diversity. Not range-checked, as in LangChain.
    pub lambda_mult: f32,
    /// Inverted lists an IVF index visits for this search (default: the index's own
    /// `nprobe`, 1 for a new index); ignored by flat indexes. Not a LangChain argument.
    pub nprobe: Option<usize>,
    /// How `filter` chooses results (default LangChain's; [`FilterMode::Exact`] returns
    /// the true top `k` among matching documents). Not a LangChain argument; left out of
    /// the serialized form when it is the default.
    #[serde(skip_serializing_if = "is_langchain_mode")]
    pub filter_mode: FilterMode,
}

/// Whether `mode` is the default (kept out of serialized options).
fn is_langchain_mode(mode: &FilterMode) -> bool {
    *mode == FilterMode::LangChain
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            k: DEFAULT_K,
            fetch_k: DEFAULT_FETCH_K,
            filter: None,
            score_threshold: None,
            lambda_mult: DEFAULT_LAMBDA_MULT,
            nprobe: None,
            filter_mode: FilterMode::LangChain,
        }
    }
}

impl SearchOptions {
    /// LangChain's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `k`.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Sets `fetch_k`.
    pub fn fetch_k(mut self, fetch_k: usize) -> Self {
        self.fetch_k = fetch_k;
        self
    }

    /// Sets the metadata filter.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Sets the score threshold.
    pub fn score_threshold(mut self, threshold: f32) -> Self {
        self.score_threshold = Some(threshold);
        self
    }

    /// Sets the MMR `lambda_mult`.
    pub fn lambda_mult(mut self, lambda_mult: f32) -> Self {
        self.lambda_mult = lambda_mult;
        self
    }

    /// Sets how many inverted lists an IVF index visits.
    pub fn nprobe(mut self, nprobe: usize) -> Self {
        self.nprobe = Some(nprobe);
        self
    }

    /// Sets how the filter chooses results.
    pub fn filter_mode(mut self, mode: FilterMode) -> Self {
        self.filter_mode = mode;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip_through_json() {
        let filter = Filter::parse(r#"{"page": {"$gte": 2}}"#).unwrap();
        let opts = SearchOptions::new()
            .k(2)
            .fetch_k(7)
            .filter(filter)
            .score_threshold(0.25)
            .lambda_mult(0.75)
            .nprobe(3);
        let json = serde_json::to_value(&opts).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"k": 2, "fetch_k": 7, "filter": {"page": {"$gte": 2}},
                "score_threshold": 0.25, "lambda_mult": 0.75, "nprobe": 3})
        );
        let back: SearchOptions = serde_json::from_value(json).unwrap();
        assert_eq!((back.k, back.fetch_k, back.nprobe), (2, 7, Some(3)));
        assert_eq!((back.score_threshold, back.lambda_mult), (Some(0.25), 0.75));
        assert_eq!(
            back.filter.and_then(|f| f.to_json()),
            opts.filter.and_then(|f| f.to_json())
        );
    }

    #[test]
    fn missing_fields_take_langchain_defaults_and_closures_refuse() {
        let back: SearchOptions = serde_json::from_str(r#"{"k": 1}"#).unwrap();
        assert_eq!(
            (back.k, back.fetch_k, back.lambda_mult),
            (1, DEFAULT_FETCH_K, 0.5)
        );
        assert!(back.filter.is_none() && back.score_threshold.is_none());
        let closure = SearchOptions::new().filter(Filter::from_fn(|_| true));
        assert!(serde_json::to_value(&closure).is_err());
        assert!(serde_json::from_str::<SearchOptions>(r#"{"filter": 3}"#).is_err());
    }
}

/// What one query of [`FaissStore::search_batch`](crate::FaissStore::search_batch) asks for: the search method whose
/// result it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryKind {
    /// [`FaissStore::similarity_search_with_score_by_vector`](crate::FaissStore::similarity_search_with_score_by_vector): raw scores.
    Scores,
    /// [`FaissStore::similarity_search_with_relevance_scores_by_vector`](crate::FaissStore::similarity_search_with_relevance_scores_by_vector): relevance
    /// scores.
    RelevanceScores,
    /// [`FaissStore::max_marginal_relevance_search_with_score_by_vector`](crate::FaissStore::max_marginal_relevance_search_with_score_by_vector).
    Mmr,
}
