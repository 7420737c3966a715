//! Many searches answered together: the queries that need the same index scan (same
//! number of hits, same `nprobe`, no exact filter) share one `search` call, so a flat
//! index streams its rows once for all of them instead of once per query. Each query
//! keeps its own options, its own result and its own error, and its result is the one
//! it gets alone, bit for bit.

use std::borrow::Cow;
use std::collections::BTreeMap;

use ferrofaiss_docstore::Document;
use ferrofaiss_index::max_direct_queries;

use crate::error::StoreError;
use crate::options::{FilterMode, QueryKind, SearchOptions};
use crate::search::{check_positive, Hit};
use crate::store::FaissStore;

/// One query of [`FaissStore::search_batch`].
#[derive(Debug, Clone, Copy)]
pub struct BatchQuery<'a> {
    /// The query vector.
    pub embedding: &'a [f32],
    /// Its options, exactly as for a search of its own.
    pub opts: &'a SearchOptions,
    /// The method whose result it gets.
    pub kind: QueryKind,
}

/// A checked query: the vector the index sees (the caller's, unless normalized) and how
/// many hits it needs.
pub(crate) struct Plan<'q> {
    query: Cow<'q, [f32]>,
    /// Nearest rows to fetch before a LangChain-mode filter (or without a filter).
    n: usize,
    /// Nearest matching rows to fetch with an exact filter.
    exact_n: usize,
}

impl FaissStore {
    /// Checks a query's options and vector, in the order its method does, so the same
    /// error comes first.
    fn plan<'q>(
        &self,
        embedding: &'q [f32],
        opts: &SearchOptions,
        kind: QueryKind,
    ) -> Result<Plan<'q>, StoreError> {
        match kind {
            QueryKind::Scores | QueryKind::RelevanceScores => {
                if kind == QueryKind::RelevanceScores {
                    drop(self.relevance_function()?);
                }
                check_positive("k", opts.k)?;
                let n = match (&opts.filter, opts.filter_mode) {
                    (Some(_), FilterMode::LangChain) => check_positive("fetch_k", opts.fetch_k)?,
                    _ => opts.k,
                };
                Ok(Plan {
                    query: self.prepare_query(embedding, true)?,
                    n,
                    exact_n: opts.k,
                })
            }
            QueryKind::Mmr => {
                check_positive("fetch_k", opts.fetch_k)?;
                let n = match opts.filter {
                    Some(_) => opts.fetch_k.saturating_mul(2),
                    None => opts.fetch_k,
                };
                // As in LangChain, MMR uses the query as given, even when the store
                // normalizes.
                Ok(Plan {
                    query: self.prepare_query(embedding, false)?,
                    n,
                    exact_n: opts.fetch_k,
                })
            }
        }
    }

    /// The result of a query of `kind` from its candidates (best first).
    fn answer(
        &self,
        plan: &Plan<'_>,
        kept: Vec<(Hit, &Document)>,
        opts: &SearchOptions,
        kind: QueryKind,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        match kind {
            QueryKind::Scores => Ok(self.scored(kept, opts.k, opts.score_threshold)),
            QueryKind::RelevanceScores => {
                let raw = self.scored(kept, opts.k, None);
                self.relevance_from_raw(raw, opts.score_threshold)
            }
            QueryKind::Mmr => self.mmr_pick(&plan.query, kept, opts),
        }
    }

    /// One query, answered by the search method its [`QueryKind`] names
    /// ([`FaissStore::similarity_search_with_score_by_vector`],
    /// [`FaissStore::similarity_search_with_relevance_scores_by_vector`] or
    /// [`FaissStore::max_marginal_relevance_search_with_score_by_vector`]): for callers
    /// that hold the kind as a value, as [`FaissStore::search_batch`]'s do.
    pub fn search_by_kind(
        &self,
        embedding: &[f32],
        opts: &SearchOptions,
        kind: QueryKind,
    ) -> Result<Vec<(Document, f32)>, StoreError> {
        let plan = self.plan(embedding, opts, kind)?;
        let kept = self.candidates(&plan.query, plan.n, plan.exact_n, opts)?;
        self.answer(&plan, kept, opts, kind)
    }

    /// Answers many queries at once, each exactly as its own method would (same
    /// documents, same scores to the bit, same errors), in the order given.
    ///
    /// Queries that need the same scan (the same number of nearest rows, the same
    /// `nprobe`, no [`FilterMode::Exact`] filter) share one index search, in passes of
    /// at most [`max_direct_queries`] queries, so that every distance is computed as in
    /// a one-query search. A flat index then reads its rows once per pass instead of
    /// once per query. Queries with an exact filter are searched one by one. One query's
    /// bad options or failing filter fail that query only.
    pub fn search_batch(
        &self,
        batch: &[BatchQuery<'_>],
    ) -> Vec<Result<Vec<(Document, f32)>, StoreError>> {
        let plans: Vec<Result<Plan<'_>, StoreError>> = batch
            .iter()
            .map(|q| self.plan(q.embedding, q.opts, q.kind))
            .collect();
        let ntotal = self.index.ntotal();
        let mut groups: BTreeMap<(usize, Option<usize>), Vec<usize>> = BTreeMap::new();
        for (i, (q, plan)) in batch.iter().zip(&plans).enumerate() {
            let exact = q.opts.filter.is_some() && q.opts.filter_mode == FilterMode::Exact;
            if let (Ok(plan), false) = (plan, exact) {
                groups
                    .entry((plan.n.min(ntotal), q.opts.nprobe))
                    .or_default()
                    .push(i);
            }
        }
        let mut shared: Vec<Option<Vec<Hit>>> = batch.iter().map(|_| None).collect();
        let per_pass = max_direct_queries(self.index.dimension());
        for ((n, nprobe), members) in groups {
            for pass in members.chunks(per_pass) {
                let mut queries = Vec::new();
                for plan in pass.iter().filter_map(|&i| plans[i].as_ref().ok()) {
                    queries.extend_from_slice(&plan.query);
                }
                // A failed shared search leaves its queries to be searched alone, so each
                // gets its own error.
                if let Ok(lists) = self.nearest_rows_of(&queries, n, nprobe) {
                    for (&i, hits) in pass.iter().zip(lists) {
                        shared[i] = Some(hits);
                    }
                }
            }
        }
        batch
            .iter()
            .zip(plans)
            .zip(shared)
            .map(|((q, plan), hits)| {
                let plan = plan?;
                let kept = match hits {
                    Some(hits) => self.filter_hits(hits, q.opts.filter.as_ref())?,
                    None => self.candidates(&plan.query, plan.n, plan.exact_n, q.opts)?,
                };
                self.answer(&plan, kept, q.opts, q.kind)
            })
            .collect()
    }
}
