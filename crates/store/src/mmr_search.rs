//! MMR searches on the store (LangChain §7.1 and its wrappers).

use ferrofaiss_docstore::Document;

use crate::error::StoreError;
use crate::mmr::maximal_marginal_relevance;
use crate::options::{QueryKind, SearchOptions};
use crate::search::{strip_scores, Hit};
use crate::store::FaissStore;

impl FaissStore {
    /// MMR search returning `(document, raw score)` pairs in selection order (LangChain
    /// `max_marginal_relevance_search_with_score_by_vector`).
    ///
    /// The `fetch_k` nearest vectors (`2 * fetch_k` with a filter, keeping those that
    /// pass it; with [`FilterMode::Exact`](crate::FilterMode::Exact) the `fetch_k`
    /// nearest among the documents that pass) are the candidates; [`maximal_marginal_relevance`] picks `k` of them
    /// using their stored vectors. As in LangChain the query is used as given, even
    /// when the store normalizes (only the scores show it), and `score_threshold` is
    /// ignored. Unlike LangChain, each document comes with **its own** score even when
    /// a filter is given (LangChain pairs filtered documents with the scores of the
    /// unfiltered list).
    ///
    /// `k = 0` gives `[]`; `fetch_k = 0` is an error.
    pub fn max_marginal_relevance_search_with_score_by_vector(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        self.search_by_kind(embedding, opts, QueryKind::Mmr)
    }

    /// MMR's pick of `k` among the candidates (best first), by their stored vectors.
    pub(crate) fn mmr_pick(
        &self,
        query: &[f32],
        kept: Vec<(Hit, &Document)>,
        opts: &SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        // The candidates' vectors in one buffer, row after row.
        let d = self.index.dimension().max(1);
        let mut vectors = vec![0.0f32; kept.len() * d];
        for ((hit, _), out) in kept.iter().zip(vectors.chunks_exact_mut(d)) {
            self.vector_into(hit.row, out)?;
        }
        let candidates: Vec<&[f32]> = vectors.chunks_exact(d).collect();
        let picked = maximal_marginal_relevance(query, &candidates, opts.lambda_mult, opts.k);
        Ok(picked
            .into_iter()
            .map(|i| (kept[i].1.clone(), kept[i].0.score))
            .collect())
    }

    /// MMR search returning documents (LangChain
    /// `max_marginal_relevance_search_by_vector`).
    pub fn max_marginal_relevance_search_by_vector(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Ok(strip_scores(
            self.max_marginal_relevance_search_with_score_by_vector(embedding, opts)?,
        ))
    }

    /// Embeds `query` and runs an MMR search (LangChain
    /// `max_marginal_relevance_search`).
    pub fn max_marginal_relevance_search(
        &self,
        query: &str,
        opts: &SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        let embedding = self.embedder.embed_query(query)?;
        self.max_marginal_relevance_search_by_vector(&embedding, opts)
    }
}
