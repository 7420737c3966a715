//! Similarity search (LangChain §4.1 and its wrappers) and relevance scores (§6).

use std::borrow::Cow;

use ferrofaiss_docstore::{Document, Filter};
use ferrofaiss_index::{IdSelector, SearchParams};
use rayon::prelude::*;

use crate::error::StoreError;
use crate::options::{FilterMode, QueryKind, SearchOptions};
use crate::relevance::relevance_fn_for;
use crate::store::FaissStore;
use crate::vectors::{check_vector, normalize_rows};

/// One index hit: the row and its raw Faiss score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub(crate) row: usize,
    pub(crate) score: f32,
}

impl FaissStore {
    /// The `n` nearest rows of `query` in Faiss order (best first; ties as Faiss breaks
    /// them). The query must already have the index dimension and finite values.
    pub(crate) fn nearest_rows(
        &self,
        query: &[f32],
        n: usize,
        nprobe: Option<usize>,
    ) -> Result<Vec<Hit>, StoreError> {
        Ok(self
            .nearest_rows_of(query, n, nprobe)?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// The `n` nearest rows of each of `queries` (query after query, each of the index
    /// dimension, checked), from one index search over them all.
    pub(crate) fn nearest_rows_of(
        &self,
        queries: &[f32],
        n: usize,
        nprobe: Option<usize>,
    ) -> Result<Vec<Vec<Hit>>, StoreError> {
        // Rows beyond ntotal would come back as -1 and be skipped: asking for at most
        // ntotal gives the same hits without allocating for a huge k.
        let n = n.min(self.index.ntotal());
        if n == 0 {
            let count = queries.len() / self.index.dimension().max(1);
            return Ok(vec![Vec::new(); count]);
        }
        let params = SearchParams {
            nprobe,
            ..SearchParams::default()
        };
        let result = self.index.search(queries, n, Some(&params))?;
        Ok(result
            .labels
            .chunks_exact(n)
            .zip(result.distances.chunks_exact(n))
            .map(|(labels, scores)| hits_of(labels, scores))
            .collect())
    }

    /// Checks a query vector (dimension, finite values) and returns it normalized (a
    /// copy) when the store normalizes and `normalize` is set, else borrowed as given.
    pub(crate) fn prepare_query<'q>(
        &self,
        embedding: &'q [f32],
        normalize: bool,
    ) -> Result<Cow<'q, [f32]>, StoreError> {
        check_vector(embedding, self.index.dimension(), 0)?;
        if !(normalize && self.normalize_l2) {
            return Ok(Cow::Borrowed(embedding));
        }
        let mut q = embedding.to_vec();
        let dim = q.len();
        normalize_rows(&mut q, dim);
        Ok(Cow::Owned(q))
    }

    /// The `n` nearest rows of `query` among those `selector` selects, best first: the
    /// selector goes into the index scan, so non-selected rows never compete. Hits the
    /// index returns outside the selector (an `Index` of a caller's own that ignores
    /// `SearchParams::selector`) are dropped, never returned.
    fn nearest_selected_rows(
        &self,
        query: &[f32],
        n: usize,
        nprobe: Option<usize>,
        selector: &IdSelector,
    ) -> Result<Vec<Hit>, StoreError> {
        let n = n
            .min(self.index.ntotal())
            .min(selector.count().unwrap_or(usize::MAX));
        if n == 0 {
            return Ok(Vec::new());
        }
        let params = SearchParams {
            nprobe,
            selector: Some(selector),
            ..SearchParams::default()
        };
        let result = self.index.search(query, n, Some(&params))?;
        let matcher = selector.matcher();
        Ok(result
            .labels
            .iter()
            .zip(&result.distances)
            .filter(|(&label, _)| matcher.contains(label))
            .filter_map(|(&label, &score)| {
                usize::try_from(label).ok().map(|row| Hit { row, score })
            })
            .collect())
    }

    /// The rows whose documents pass `filter`, as a selector of index labels (rows):
    /// from the metadata index when it can answer the filter, else by evaluating the
    /// filter on every document, in parallel over chunks of rows (the error reported is
    /// the one of the first failing row).
    fn matching_rows(&self, filter: &Filter) -> Result<IdSelector, StoreError> {
        const CHUNK: usize = 4096;
        let n = self.index.ntotal();
        if let Some(expr) = filter.expr() {
            let metadata = |row: usize| Ok(&self.doc_at_row(row)?.metadata);
            if let Some(words) = self.metadata_index.select(expr, n, &metadata)? {
                return Ok(IdSelector::Bitmap(words));
            }
        }
        let chunks: Vec<Result<Vec<bool>, StoreError>> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                (c * CHUNK..((c + 1) * CHUNK).min(n))
                    .map(|row| Ok(filter.matches(&self.doc_at_row(row)?.metadata)?))
                    .collect()
            })
            .collect();
        let mut selected = Vec::with_capacity(n);
        for chunk in chunks {
            selected.extend(chunk?);
        }
        Ok(IdSelector::bitmap(&selected))
    }

    /// The hits a search works with, best first, each with its document. Without a
    /// filter: the `n` nearest rows. With one, in [`FilterMode::LangChain`]: the `n`
    /// nearest rows, then those whose documents pass; in [`FilterMode::Exact`]: the
    /// `exact_n` nearest among all the rows whose documents pass.
    pub(crate) fn candidates(
        &self,
        query: &[f32],
        n: usize,
        exact_n: usize,
        opts: &SearchOptions,
    ) -> Result<Vec<(Hit, &Document)>, StoreError> {
        match (&opts.filter, opts.filter_mode) {
            (Some(filter), FilterMode::Exact) => {
                let selector = self.matching_rows(filter)?;
                self.nearest_selected_rows(query, exact_n, opts.nprobe, &selector)?
                    .into_iter()
                    .map(|hit| Ok((hit, self.doc_at_row(hit.row)?)))
                    .collect()
            }
            (filter, _) => {
                let hits = self.nearest_rows(query, n, opts.nprobe)?;
                self.filter_hits(hits, filter.as_ref())
            }
        }
    }

    /// Keeps the hits whose documents pass `filter` (all of them without a filter), in
    /// order, paired with their documents. A filter error on any examined document
    /// fails the whole search, as in LangChain.
    pub(crate) fn filter_hits(
        &self,
        hits: Vec<Hit>,
        filter: Option<&Filter>,
    ) -> Result<Vec<(Hit, &Document)>, StoreError> {
        let mut kept = Vec::with_capacity(hits.len());
        for hit in hits {
            let doc = self.doc_at_row(hit.row)?;
            let keep = match filter {
                Some(f) => f.matches(&doc.metadata)?,
                None => true,
            };
            if keep {
                kept.push((hit, doc));
            }
        }
        Ok(kept)
    }

    /// The core similarity search (LangChain `similarity_search_with_score_by_vector`).
    ///
    /// Without a filter the `k` nearest vectors are returned. With a filter the
    /// `fetch_k` nearest are examined, those passing the filter kept, then cut to `k`
    /// (so at most `fetch_k` come back); with [`FilterMode::Exact`] the `k` nearest
    /// among the documents that pass are returned, and `fetch_k` plays no part. `score_threshold` keeps raw scores `<=` it, or
    /// `>=` it for `MAX_INNER_PRODUCT` and `JACCARD`, before the cut. Scores are squared
    /// L2 distances or inner products, as Faiss computes them in f32.
    ///
    /// Errors: `k = 0`, `fetch_k = 0` with a LangChain-mode filter, a query of the wrong dimension or
    /// with NaN, a filter that cannot be evaluated on an examined document.
    pub fn similarity_search_with_score_by_vector(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        self.search_by_kind(embedding, opts, QueryKind::Scores)
    }

    /// The first `k` candidates whose raw scores pass `threshold` (`<=` it, or `>=` for
    /// `MAX_INNER_PRODUCT` and `JACCARD`), with their documents.
    pub(crate) fn scored(
        &self,
        kept: Vec<(Hit, &Document)>,
        k: usize,
        threshold: Option<f32>,
    ) -> Vec<(Document, f32)> {
        let strategy = self.distance_strategy;
        kept.into_iter()
            .filter(|(hit, _)| threshold.is_none_or(|t| strategy.passes_threshold(hit.score, t)))
            .take(k)
            .map(|(hit, doc)| (doc.clone(), hit.score))
            .collect()
    }

    /// [`FaissStore::similarity_search_with_score_by_vector`] without the scores
    /// (LangChain `similarity_search_by_vector`).
    pub fn similarity_search_by_vector(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Ok(strip_scores(
            self.similarity_search_with_score_by_vector(embedding, opts)?,
        ))
    }

    /// Embeds `query` and searches by vector (LangChain
    /// `similarity_search_with_score`).
    pub fn similarity_search_with_score(
        &self,
        query: &str,
        opts: &SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        let embedding = self.embedder.embed_query(query)?;
        self.similarity_search_with_score_by_vector(&embedding, opts)
    }

    /// [`FaissStore::similarity_search_with_score`] without the scores (LangChain
    /// `similarity_search`).
    pub fn similarity_search(
        &self,
        query: &str,
        opts: &SearchOptions,
    ) -> Result<Vec<Document>, StoreError> {
        Ok(strip_scores(
            self.similarity_search_with_score(query, opts)?,
        ))
    }

    /// Similarity search with relevance scores (LangChain
    /// `similarity_search_with_relevance_scores`): each raw score goes through the
    /// custom relevance function or the strategy's (`1 - s/√2` Euclidean,
    /// `1 - s` / `-s` max inner product, `1 - s` cosine). Here `score_threshold` keeps
    /// relevance `>=` it; it is not applied to raw scores. Values are not clamped to
    /// [0, 1], as in LangChain.
    ///
    /// Fails with [`StoreError::NoRelevanceFunction`] for `DOT_PRODUCT` and `JACCARD`
    /// without a custom function.
    pub fn similarity_search_with_relevance_scores(
        &self,
        query: &str,
        opts: &SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        let embedding = self.embedder.embed_query(query)?;
        self.relevance_search_by_vector(&embedding, opts)
    }

    /// [`FaissStore::similarity_search_with_relevance_scores`] for a query vector.
    pub fn similarity_search_with_relevance_scores_by_vector(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        self.relevance_search_by_vector(embedding, opts)
    }

    fn relevance_search_by_vector(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        self.search_by_kind(embedding, opts, QueryKind::RelevanceScores)
    }

    /// Raw `(document, score)` pairs turned into relevance scores, with LangChain's
    /// warnings, keeping those `>= threshold`.
    pub(crate) fn relevance_from_raw(
        &self,
        raw: Vec<(Document, f32)>,
        threshold: Option<f32>,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        let relevance = self.relevance_function()?;
        let pairs: Vec<(Document, f32)> = raw
            .into_iter()
            .map(|(doc, score)| (doc, relevance(score)))
            .collect();
        crate::warnings::relevance_out_of_range(&pairs, self.relevance_score_fn.is_some());
        let Some(threshold) = threshold else {
            return Ok(pairs);
        };
        let kept: Vec<(Document, f32)> = pairs
            .into_iter()
            .filter(|(_, rel)| *rel >= threshold)
            .collect();
        if kept.is_empty() {
            crate::warnings::no_relevant_docs(threshold);
        }
        Ok(kept)
    }

    /// The function that turns raw scores into relevance scores.
    pub(crate) fn relevance_function(&self) -> Result<Box<dyn Fn(f32) -> f32 + '_>, StoreError> {
        match &self.relevance_score_fn {
            Some(f) => Ok(Box::new(move |s| f.apply(s))),
            None => Ok(Box::new(relevance_fn_for(self.distance_strategy)?)),
        }
    }
}

/// Fails with [`StoreError::InvalidParameter`] when `value` is 0; returns it otherwise.
pub(crate) fn check_positive(name: &'static str, value: usize) -> Result<usize, StoreError> {
    if value == 0 {
        return Err(StoreError::InvalidParameter {
            name,
            value: value.to_string(),
            reason: "must be positive",
        });
    }
    Ok(value)
}

/// Drops the scores of `(document, score)` pairs.
pub(crate) fn strip_scores(pairs: Vec<(Document, f32)>) -> Vec<Document> {
    pairs.into_iter().map(|(doc, _)| doc).collect()
}

/// The hits of one query's result row: labels `-1` (empty slots) are dropped.
pub(crate) fn hits_of(labels: &[i64], scores: &[f32]) -> Vec<Hit> {
    labels
        .iter()
        .zip(scores)
        .filter_map(|(&label, &score)| usize::try_from(label).ok().map(|row| Hit { row, score }))
        .collect()
}
