//! Search-type dispatch (`VectorStore.search`) and retrievers (`as_retriever`), as
//! LangChain's `VectorStoreRetriever`.

use std::fmt;
use std::str::FromStr;

use ferrofaiss_docstore::Document;

use crate::error::StoreError;
use crate::options::SearchOptions;
use crate::search::strip_scores;
use crate::store::FaissStore;

/// What a retriever or [`FaissStore::search`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SearchType {
    /// `"similarity"`: [`FaissStore::similarity_search`] (the default).
    #[default]
    Similarity,
    /// `"similarity_score_threshold"`:
    /// [`FaissStore::similarity_search_with_relevance_scores`], documents only.
    SimilarityScoreThreshold,
    /// `"mmr"`: [`FaissStore::max_marginal_relevance_search`].
    Mmr,
}

impl SearchType {
    /// LangChain's name for the search type.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchType::Similarity => "similarity",
            SearchType::SimilarityScoreThreshold => "similarity_score_threshold",
            SearchType::Mmr => "mmr",
        }
    }
}

impl fmt::Display for SearchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SearchType {
    type Err = StoreError;

    /// Parses `"similarity"`, `"similarity_score_threshold"` or `"mmr"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "similarity" => Ok(SearchType::Similarity),
            "similarity_score_threshold" => Ok(SearchType::SimilarityScoreThreshold),
            "mmr" => Ok(SearchType::Mmr),
            other => Err(StoreError::UnknownSearchType(other.to_string())),
        }
    }
}

impl FaissStore {
    /// Runs the search `search_type` names (LangChain `VectorStore.search`).
    pub fn search(
        &self,
        query: &str,
        search_type: SearchType,
        opts: &SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        match search_type {
            SearchType::Similarity => self.similarity_search(query, opts),
            SearchType::SimilarityScoreThreshold => Ok(strip_scores(
                self.similarity_search_with_relevance_scores(query, opts)?,
            )),
            SearchType::Mmr => self.max_marginal_relevance_search(query, opts),
        }
    }

    /// A retriever over this store (LangChain `as_retriever`). A
    /// `SimilarityScoreThreshold` retriever needs `opts.score_threshold`
    /// ([`StoreError::MissingScoreThreshold`] otherwise), as LangChain checks when the
    /// retriever is built.
    pub fn as_retriever(
        &self,
        search_type: SearchType,
        opts: SearchOptions,
    ) -> Result<Retriever<'_>, StoreError> {
        search_type.check_options(&opts)?;
        Ok(Retriever {
            store: self,
            search_type,
            opts,
        })
    }
}

impl SearchType {
    /// LangChain's retriever validation: a score-threshold retriever needs a threshold
    /// ([`StoreError::MissingScoreThreshold`] otherwise). Every retriever, sync or
    /// async, is checked with this when it is built.
    pub fn check_options(self, opts: &SearchOptions) -> Result<(), StoreError> {
        if self == SearchType::SimilarityScoreThreshold && opts.score_threshold.is_none() {
            return Err(StoreError::MissingScoreThreshold);
        }
        Ok(())
    }
}

/// A query-to-documents function over a borrowed store (LangChain
/// `VectorStoreRetriever`), built by [`FaissStore::as_retriever`].
#[derive(Debug, Clone)]
pub struct Retriever<'a> {
    store: &'a FaissStore,
    search_type: SearchType,
    opts: SearchOptions,
}

impl Retriever<'_> {
    /// The search type.
    pub fn search_type(&self) -> SearchType {
        self.search_type
    }

    /// The search options every query uses.
    pub fn options(&self) -> &SearchOptions {
        &self.opts
    }

    /// Retrieves the documents for `query` (LangChain `invoke`).
    pub fn invoke(&self, query: &str) -> Result<Vec<Document>, StoreError> {
        self.store.search(query, self.search_type, &self.opts)
    }
}
