//! The store's golden runner: every case file in `fixtures/golden/cases` that has store
//! ops (`create`, `call`, `state`, `retriever`, `search_dispatch`, `save_local`,
//! `load_local`, `serialize_roundtrip`, `mmr_raw`) is one trial, `golden_<file stem>`,
//! run op by op against the recorded `expect` of the real LangChain 0.4.2 + faiss-cpu.
//! Case files made only of other crates' ops run in those crates' `golden` runners;
//! ownership, typed field access, `$gen:N` binding and the bookkeeping are
//! `ferrofaiss-golden`'s.
//!
//! * ids and contents are compared exactly; scores within 1e-5 relative or 1e-6
//!   absolute; errors by kind and meaning (see `error_class`), not Python's text.
//! * `$gen:N` ids bind to the uuids this store generates, in the order they appear, and
//!   are replaced by them in an op's arguments.
//! * Ops marked `hazard` (LangChain mutates, then raises) and MMR-with-filter scores are
//!   checked against our documented behaviour instead (`docs/compat.md`): a failing
//!   mutation must leave the store unchanged; a search LangChain cannot answer is checked
//!   against a brute-force scan; an MMR score must be the document's own distance.
//! * Deviations listed in `DEVIATIONS` are checked against our behaviour, with a reason.
//! * Async ops (`a*` methods, `async: true`) run through `AsyncFaissStore` on tokio.
//! * The `tracing` events an op emits (on this thread or the runtime's) are compared
//!   with its recorded `warnings` and `logs` (`ferrofaiss_golden::compare_warnings`).
//! * A case that mixes other crates' ops with store ops runs them through those crates'
//!   own op modules (included below), so they are implemented once.
//!
//! Each case file reports its failures together (case name + op index).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ferrofaiss_async_store::AsyncFaissStore;
use ferrofaiss_docstore::{Document, Filter};
use ferrofaiss_embeddings::Embeddings;
use ferrofaiss_golden::{
    close, compare_docs, floats_at, hex, owner_of_kind, with_current_dir, workspace_root, CaseCtx,
    CaseRunner, Deviation, DocView, Fields, Harness, IgnoredField, Op, Owner, Status,
};
use ferrofaiss_index::{FlatIndex, MetricType};
use ferrofaiss_store::{
    maximal_marginal_relevance, DistanceStrategy, FaissStore, LoadOptions, PersistError,
    RelevanceScoreFn, SearchOptions, SearchType, StoreConfig, StoreError,
};
use ferrofaiss_text::{CharacterTextSplitter, TextLoader, TextSplitter};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

// The other crates' op implementations, for cases that mix their ops with store ops
// (and the `embedding` spec and metadata lists the store's ops share with them).
#[path = "../../docstore/tests/golden/ops.rs"]
mod docstore_ops;
#[path = "../../embeddings/tests/golden/ops.rs"]
mod embeddings_ops;
#[path = "../../text/tests/golden/ops.rs"]
mod text_ops;

use docstore_ops::metadatas_of;
use embeddings_ops::embedder_of;
use text_ops::documents_of;

/// Ops that deliberately differ from LangChain, with the reason; each is checked
/// against our documented behaviour by the op that reaches it.
const DEVIATIONS: &[Deviation] = &[
    Deviation {
        case: "fake_add_and_ids",
        op: 11,
        reason: "a document without an id among documents with ids gets a uuid v4 (LangChain stores it under the key None)",
    },
    Deviation {
        case: "fake_distance_strategies",
        op: 18,
        reason: "an unknown distance strategy name is a typed error (LangChain accepts any string)",
    },
    Deviation {
        case: "fake_kwargs_and_misc",
        op: 3,
        reason: "unknown keyword arguments cannot be expressed: StoreConfig is a typed struct",
    },
    Deviation {
        case: "fake_save_load",
        op: 2,
        reason: "no pickle, so no allow_dangerous_deserialization flag: loading our own files is safe",
    },
    Deviation {
        case: "fake_save_load",
        op: 12,
        reason: "no pickle, so no allow_dangerous_deserialization flag: deserializing our own bytes is safe",
    },
    Deviation {
        case: "fake_retriever_and_search",
        op: 8,
        reason: "score_threshold is a typed f32: the integer 1 is accepted as 1.0 (LangChain's pydantic check rejects ints)",
    },
];

/// `expect` fields that have no Rust counterpart and are not compared (none: `warnings`
/// and `logs` are compared with the `tracing` events each op emits, by
/// `ferrofaiss_golden::run_case`).
const IGNORED_EXPECT_FIELDS: &[IgnoredField] = &[];

/// Ops whose recorded warnings we deliberately do not reproduce, with the reason.
const WARNING_DEVIATIONS: &[Deviation] = &[Deviation {
    case: "fake_normalize_l2",
    op: 8,
    reason: "f32 rounding: our inner product of a normalized vector with itself is exactly 1.0 (relevance 0.0, in range), faiss's is 1.0000001 (relevance -1.1920929e-07, which warns); the scores agree within tolerance",
}];

const HARNESS: Harness = Harness {
    owner: Owner::Store,
    deviations: DEVIATIONS,
    warning_deviations: WARNING_DEVIATIONS,
    // Op kinds not run yet, with the reason (none: every op kind runs).
    deferred_ops: &[],
    ignored_fields: IGNORED_EXPECT_FIELDS,
};

fn main() {
    ferrofaiss_golden::main(HARNESS, StoreRunner::new)
}

/// What a store call returned.
#[derive(Debug)]
enum Output {
    Docs(Vec<Document>),
    Scored(Vec<(Document, f32)>),
    Ids(Vec<String>),
    Value(Value),
}

/// The stores of one case.
struct StoreRunner {
    stores: HashMap<String, FaissStore>,
    /// Stores whose LangChain state is inconsistent after a hazard or a merge (its
    /// target's vectors are moved out): states are compared with `ntotal` = number of
    /// mapped rows, and searches by brute force.
    diverged: HashSet<String>,
    /// Runs the async ops (`a*` methods, `async: true`) through `AsyncFaissStore`.
    rt: Result<tokio::runtime::Runtime, String>,
}

fn views(docs: &[Document]) -> Vec<DocView<'_>> {
    docs.iter()
        .map(|d| DocView {
            id: d.id.as_deref(),
            page_content: &d.page_content,
            metadata: &d.metadata,
        })
        .collect()
}

impl CaseRunner for StoreRunner {
    fn run_op(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
        let deviation = ctx.deviation(op.index);
        match op.kind.as_str() {
            "create" => self.op_create(ctx, op, deviation),
            "call" => self.op_call(ctx, op, deviation),
            "state" => self.op_state(ctx, op),
            "retriever" => self.op_retriever(ctx, op, deviation),
            "search_dispatch" => self.op_search_dispatch(ctx, op),
            "save_local" => self.op_save_local(ctx, op),
            "load_local" => self.op_load_local(ctx, op, deviation),
            "serialize_roundtrip" => self.op_serialize_roundtrip(ctx, op, deviation),
            "mmr_raw" => op_mmr_raw(op),
            other => match owner_of_kind(other) {
                Some(Owner::Docstore) => docstore_ops::run_op(ctx, op),
                Some(Owner::Embeddings) => embeddings_ops::run_op(ctx, op),
                Some(Owner::Text) => text_ops::run_op(ctx, op),
                _ => Err(format!(
                    "unknown op kind {other:?}: the runner must learn it"
                )),
            },
        }
    }
}

impl StoreRunner {
    fn new() -> StoreRunner {
        // The runtime's threads (workers and `spawn_blocking`'s) report the events they
        // emit to this trial's sink, so async ops' warnings are compared too.
        let sink = ferrofaiss_golden::capture::current();
        StoreRunner {
            stores: HashMap::new(),
            diverged: HashSet::new(),
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .on_thread_start(move || ferrofaiss_golden::capture::attach(sink.clone()))
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}")),
        }
    }

    fn rt(&self) -> Result<&tokio::runtime::Runtime, String> {
        self.rt.as_ref().map_err(Clone::clone)
    }

    fn store(&self, name: &str) -> Result<&FaissStore, String> {
        self.stores
            .get(name)
            .ok_or_else(|| format!("unknown store {name}"))
    }

    // ----- create -------------------------------------------------------------------

    fn op_create(
        &mut self,
        ctx: &mut CaseCtx<'_>,
        op: &Op,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let f = op.fields();
        let name = f.str("store")?;
        let method = f.str("method")?;
        if let (Some(why), true) = (deviation, f.has("extra_kwargs")) {
            // Nothing to run: Rust cannot pass an unknown keyword argument.
            return Ok(Status::Ours(why.to_string()));
        }
        let embedder = embedder_of(&f.sub("embedding"))?;
        let strategy = match f.opt_str("distance_strategy")? {
            None => Ok(DistanceStrategy::EuclideanDistance),
            Some(s) => s.parse::<DistanceStrategy>().map_err(StoreError::from),
        };
        let strategy = match strategy {
            Ok(s) => s,
            Err(e) => {
                return match deviation {
                    Some(why) if matches!(e, StoreError::UnknownDistanceStrategy(_)) => {
                        Ok(Status::Ours(why.to_string()))
                    }
                    _ => Err(format!("strategy refused: {e}")),
                }
            }
        };
        let mut config = StoreConfig::new()
            .distance_strategy(strategy)
            .normalize_l2(f.opt_bool("normalize_L2")?.unwrap_or(false));
        if let Some(rf) = relevance_fn_of(&f.sub("relevance_score_fn"))? {
            config = config.relevance_score_fn(rf);
        }
        let metadatas = metadatas_of(&f, "metadatas")?;
        let ids = f.opt_strings("ids")?;
        let rt = self.rt()?;
        let into_store = |r: Result<AsyncFaissStore, StoreError>| match r {
            Ok(h) => h
                .try_into_inner()
                .map(Ok)
                .map_err(|_| "the async handle is still shared after the call".to_string()),
            Err(e) => Ok(Err(e)),
        };
        let result = match method {
            "from_texts" => {
                let texts = f.strings("texts")?;
                FaissStore::from_texts(&texts, embedder, metadatas, ids, config)
            }
            "afrom_texts" => {
                let texts = f.strings("texts")?;
                into_store(rt.block_on(AsyncFaissStore::from_texts(
                    texts, embedder, metadatas, ids, config,
                )))?
            }
            "afrom_documents" => {
                let docs = documents_of(&f, "documents")?;
                into_store(
                    rt.block_on(AsyncFaissStore::from_documents(docs, embedder, ids, config)),
                )?
            }
            "afrom_embeddings" => {
                let pairs = text_embeddings_of(&f, "text_embeddings")?;
                into_store(rt.block_on(AsyncFaissStore::from_embeddings(
                    pairs, embedder, metadatas, ids, config,
                )))?
            }
            "from_documents" => {
                let docs = documents_of(&f, "documents")?;
                FaissStore::from_documents(docs, embedder, ids, config)
            }
            "from_embeddings" => {
                let pairs = text_embeddings_of(&f, "text_embeddings")?;
                FaissStore::from_embeddings(pairs, embedder, metadatas, ids, config)
            }
            "constructor" => {
                let dim = f.usize("dim")?;
                let metric = match f.opt_str("index")? {
                    Some("IndexFlatIP") => MetricType::InnerProduct,
                    _ => MetricType::L2,
                };
                let index = FlatIndex::new(dim, metric).map_err(|e| e.to_string())?;
                FaissStore::new(embedder, Box::new(index), config)
            }
            "load_text_pipeline" => load_text_pipeline(&f, embedder, config)?,
            other => return Err(format!("unknown create method {other}")),
        };
        let expect = op.expect()?;
        match result {
            Ok(store) => {
                if expect.has("error") {
                    return Err(format!(
                        "expected error {}, the store was built",
                        expect.sub("error").value()
                    ));
                }
                let status = if expect.has("state") {
                    self.compare_state(ctx, name, &state_json(&store), &expect.sub("state"))?
                } else {
                    Status::Pass
                };
                self.stores.insert(name.to_string(), store);
                Ok(status)
            }
            Err(e) => match expect.has("error") {
                true => compare_error(&e, &expect.sub("error")).map(|()| Status::Pass),
                false => Err(format!("unexpected error: {e}")),
            },
        }
    }

    // ----- call ---------------------------------------------------------------------

    fn op_call(
        &mut self,
        ctx: &mut CaseCtx<'_>,
        op: &Op,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let f = op.fields();
        let name = f.str("store")?.to_string();
        let method = f.str("method")?.to_string();
        let args = f.sub("args");
        let expect = op.expect()?;
        let hazard = f.has("hazard");
        if !self.stores.contains_key(&name) {
            return Ok(Status::Skip(format!(
                "store {name} was not created (see the deviation that refused it)"
            )));
        }
        let opts = match options_of(&args) {
            Ok(o) => o,
            // A filter of the wrong shape is refused when it is parsed.
            Err(OptionsError::Filter(e)) => {
                return match expect.has("error") {
                    true => compare_error(&StoreError::Filter(e), &expect.sub("error"))
                        .map(|()| Status::Pass),
                    false => Err(format!("filter refused: {e}")),
                }
            }
            Err(OptionsError::Other(msg)) => return Err(msg),
        };
        let before = state_json(self.store(&name)?);
        let is_search = method.contains("search");
        let method = method.as_str();
        let result = match is_async_name(method) {
            true => self.dispatch_async(&name, &method[1..], &args, &opts)?,
            false => self.dispatch_call(&name, method, &args, &opts)?,
        };

        // Hazards: LangChain mutated and raised; we must refuse and stay unchanged, or
        // (for a search after such a hazard) answer as a consistent store would.
        if hazard {
            if is_search {
                let out =
                    result.map_err(|e| format!("search after a refused hazard failed: {e}"))?;
                self.brute_force_check(&name, &args, &opts, method, &out)?;
                return Ok(Status::Ours(
                    "answered as a consistent store (brute-force check) where LangChain raises"
                        .into(),
                ));
            }
            let err = match result {
                Ok(out) => return Err(format!("hazardous mutation succeeded: {out:?}")),
                Err(e) => e,
            };
            let class = error_class(&err);
            let want_err = expect.sub("error");
            let want = golden_class(
                want_err.opt_str("type")?.unwrap_or(""),
                want_err.opt_str("message")?.unwrap_or(""),
            );
            let ok_class = class == want || (want == "key_error" && class == "duplicate_ids");
            if !ok_class {
                return Err(format!(
                    "hazard refused with {class} ({err}), LangChain raised {want}"
                ));
            }
            let after = state_json(self.store(&name)?);
            if after != before {
                return Err(format!(
                    "refused mutation changed the store: {before} -> {after}"
                ));
            }
            self.diverged.insert(name.clone());
            return Ok(Status::Ours(format!("refused before any change ({err})")));
        }

        if is_search && self.diverged.contains(&name) {
            let out = result.map_err(|e| format!("search on a diverged store failed: {e}"))?;
            self.brute_force_check(&name, &args, &opts, method, &out)?;
            return Ok(Status::Ours(
                "store differs from LangChain's inconsistent one; checked by brute force".into(),
            ));
        }

        let mut status = Status::Pass;
        match result {
            Err(e) => match expect.has("error") {
                true => compare_error(&e, &expect.sub("error"))?,
                false => return Err(format!("unexpected error: {e}")),
            },
            Ok(out) => {
                if expect.has("error") {
                    return Err(format!(
                        "expected error {}, got {out:?}",
                        expect.sub("error").value()
                    ));
                }
                let mmr_filter_scores = method
                    .trim_start_matches("amax")
                    .trim_start_matches("max")
                    .starts_with("_marginal_relevance_search_with_score")
                    && opts.filter.is_some();
                if let (Some(why), Output::Ids(ids)) = (deviation, &out) {
                    // A document without an id: we generate one; bind it to LangChain's null.
                    let want = expect.array("ids")?;
                    for (w, got) in want.iter().zip(ids) {
                        if w.is_null() {
                            if !ferrofaiss_golden::is_uuid4(got) {
                                return Err(format!("{got} is not a generated uuid v4"));
                            }
                            ctx.gen.bind("null", got)?;
                        }
                    }
                    status = Status::Ours(why.to_string());
                }
                if mmr_filter_scores {
                    let Output::Scored(pairs) = &out else {
                        return Err("MMR with scores returned no scores".into());
                    };
                    let docs: Vec<Document> = pairs.iter().map(|(d, _)| d.clone()).collect();
                    compare_docs(&mut ctx.gen, &views(&docs), &expect.sub("docs"))?;
                    self.check_own_scores(&name, &args, pairs)?;
                    status = Status::Ours(
                        "MMR with a filter: documents as LangChain, each with its own score".into(),
                    );
                } else {
                    compare_output(ctx, &out, &expect)?;
                }
            }
        }
        if expect.has("state_after") {
            let got = state_json(self.store(&name)?);
            if let Status::Fail(msg) =
                self.compare_state(ctx, &name, &got, &expect.sub("state_after"))?
            {
                return Ok(Status::Fail(msg));
            }
        }
        Ok(status)
    }

    fn dispatch_call(
        &mut self,
        name: &str,
        method: &str,
        args: &Fields<'_>,
        opts: &SearchOptions,
    ) -> Result<Result<Output, StoreError>, String> {
        if method == "merge_from" {
            let target = args.str("target")?;
            let other = self
                .stores
                .get(target)
                .cloned()
                .ok_or_else(|| format!("unknown target store {target}"))?;
            let store = self.stores.get_mut(name).ok_or("unknown store")?;
            let r = store
                .merge_from(&other)
                .map(|()| Output::Value(Value::Null));
            if matches!(r, Ok(_) | Err(StoreError::IdsAlreadyExist(_))) {
                // LangChain moves the target's vectors out as soon as the indexes are
                // compatible, even when it then fails on a duplicate id; ours keeps them.
                self.diverged.insert(target.to_string());
            }
            return Ok(r);
        }
        let store = self.stores.get_mut(name).ok_or("unknown store")?;
        let query = args.opt_str("query")?.unwrap_or_default().to_string();
        let vector = || args.floats("embedding");
        Ok(match method {
            "add_texts" => {
                let texts = args.strings("texts")?;
                let metadatas = metadatas_of(args, "metadatas")?;
                let ids = args.opt_strings("ids")?;
                store.add_texts(&texts, metadatas, ids).map(Output::Ids)
            }
            "add_documents" => {
                let docs = documents_of(args, "documents")?;
                let ids = args.opt_strings("ids")?;
                store.add_documents(docs, ids).map(Output::Ids)
            }
            "add_embeddings" => {
                let pairs = text_embeddings_of(args, "text_embeddings")?;
                let metadatas = metadatas_of(args, "metadatas")?;
                let ids = args.opt_strings("ids")?;
                store.add_embeddings(pairs, metadatas, ids).map(Output::Ids)
            }
            "delete" => {
                let ids = args.opt_strings("ids")?.unwrap_or_default();
                store.delete(&ids).map(|_| Output::Value(Value::Bool(true)))
            }
            "get_by_ids" => {
                let ids = args.strings("ids")?;
                Ok(Output::Docs(store.get_by_ids(&ids)))
            }
            "similarity_search" => store.similarity_search(&query, opts).map(Output::Docs),
            "similarity_search_with_score" => store
                .similarity_search_with_score(&query, opts)
                .map(Output::Scored),
            "similarity_search_by_vector" => store
                .similarity_search_by_vector(&vector()?, opts)
                .map(Output::Docs),
            "similarity_search_with_score_by_vector" => store
                .similarity_search_with_score_by_vector(&vector()?, opts)
                .map(Output::Scored),
            "similarity_search_with_relevance_scores" => store
                .similarity_search_with_relevance_scores(&query, opts)
                .map(Output::Scored),
            "max_marginal_relevance_search" => store
                .max_marginal_relevance_search(&query, opts)
                .map(Output::Docs),
            "max_marginal_relevance_search_by_vector" => store
                .max_marginal_relevance_search_by_vector(&vector()?, opts)
                .map(Output::Docs),
            "max_marginal_relevance_search_with_score_by_vector" => store
                .max_marginal_relevance_search_with_score_by_vector(&vector()?, opts)
                .map(Output::Scored),
            other => return Err(format!("unknown method {other}: the runner must learn it")),
        })
    }

    /// Runs an async method (given by its sync name) through an `AsyncFaissStore`
    /// wrapping the named store, then takes the store back.
    fn dispatch_async(
        &mut self,
        name: &str,
        method: &str,
        args: &Fields<'_>,
        opts: &SearchOptions,
    ) -> Result<Result<Output, StoreError>, String> {
        let store = self.stores.remove(name).ok_or("unknown store")?;
        let handle = AsyncFaissStore::new(store);
        let result = self.run_async(&handle, method, args, opts.clone());
        let store = handle
            .try_into_inner()
            .map_err(|_| "the async handle is still shared after the call".to_string())?;
        self.stores.insert(name.to_string(), store);
        result
    }

    fn run_async(
        &self,
        h: &AsyncFaissStore,
        method: &str,
        args: &Fields<'_>,
        opts: SearchOptions,
    ) -> Result<Result<Output, StoreError>, String> {
        let rt = self.rt()?;
        let query = args.opt_str("query")?.unwrap_or_default().to_string();
        let vector = || args.floats("embedding");
        Ok(match method {
            "add_texts" => {
                let texts = args.strings("texts")?;
                let (metadatas, ids) = (metadatas_of(args, "metadatas")?, args.opt_strings("ids")?);
                rt.block_on(h.add_texts(texts, metadatas, ids))
                    .map(Output::Ids)
            }
            "add_documents" => {
                let docs = documents_of(args, "documents")?;
                let ids = args.opt_strings("ids")?;
                rt.block_on(h.add_documents(docs, ids)).map(Output::Ids)
            }
            "delete" => {
                let ids = args.opt_strings("ids")?.unwrap_or_default();
                rt.block_on(h.delete(ids))
                    .map(|_| Output::Value(Value::Bool(true)))
            }
            "get_by_ids" => rt
                .block_on(h.get_by_ids(args.strings("ids")?))
                .map(Output::Docs),
            "similarity_search" => rt
                .block_on(h.similarity_search(&query, opts))
                .map(Output::Docs),
            "similarity_search_with_score" => rt
                .block_on(h.similarity_search_with_score(&query, opts))
                .map(Output::Scored),
            "similarity_search_by_vector" => rt
                .block_on(h.similarity_search_by_vector(vector()?, opts))
                .map(Output::Docs),
            "similarity_search_with_score_by_vector" => rt
                .block_on(h.similarity_search_with_score_by_vector(vector()?, opts))
                .map(Output::Scored),
            "similarity_search_with_relevance_scores" => rt
                .block_on(h.similarity_search_with_relevance_scores(&query, opts))
                .map(Output::Scored),
            "max_marginal_relevance_search" => rt
                .block_on(h.max_marginal_relevance_search(&query, opts))
                .map(Output::Docs),
            "max_marginal_relevance_search_by_vector" => rt
                .block_on(h.max_marginal_relevance_search_by_vector(vector()?, opts))
                .map(Output::Docs),
            "max_marginal_relevance_search_with_score_by_vector" => rt
                .block_on(h.max_marginal_relevance_search_with_score_by_vector(vector()?, opts))
                .map(Output::Scored),
            other => {
                return Err(format!(
                    "unknown async method a{other}: the runner must learn it"
                ))
            }
        })
    }

    // ----- state, retriever, dispatch ------------------------------------------------

    fn op_state(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
        let name = op.fields().str("store")?;
        let got = state_json(self.store(name)?);
        self.compare_state(ctx, name, &got, &op.expect()?.sub("state"))
    }

    fn op_retriever(
        &mut self,
        ctx: &mut CaseCtx<'_>,
        op: &Op,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let f = op.fields();
        let name = f.str("store")?;
        let store = self.store(name)?;
        let search_type = f.opt_str("search_type")?.unwrap_or("similarity");
        let kwargs = f.sub("search_kwargs");
        let opts = options_of(&kwargs).map_err(|e| format!("{e:?}"))?;
        let query = f.opt_str("query")?.unwrap_or_default();
        let result = if f.opt_bool("async")?.unwrap_or(false) {
            let rt = self.rt()?;
            let handle = AsyncFaissStore::new(store.clone());
            search_type
                .parse::<SearchType>()
                .and_then(|t| handle.as_retriever(t, opts))
                .and_then(|r| rt.block_on(r.invoke(query)))
        } else {
            search_type
                .parse::<SearchType>()
                .and_then(|t| store.as_retriever(t, opts))
                .and_then(|r| r.invoke(query))
        };
        let expect = op.expect()?;
        match (result, expect.has("error"), deviation) {
            (Ok(docs), true, Some(why)) => {
                let threshold = kwargs.f64("score_threshold")?;
                let rel = store
                    .similarity_search_with_relevance_scores(
                        f.str("query")?,
                        &SearchOptions::new().score_threshold(threshold as f32),
                    )
                    .map_err(|e| e.to_string())?;
                let want: Vec<Document> = rel.into_iter().map(|(d, _)| d).collect();
                if docs != want {
                    return Err(format!(
                        "threshold retriever returned {docs:?}, expected {want:?}"
                    ));
                }
                Ok(Status::Ours(why.to_string()))
            }
            (Ok(docs), false, _) => {
                compare_docs(&mut ctx.gen, &views(&docs), &expect.sub("docs"))?;
                Ok(Status::Pass)
            }
            (Ok(docs), true, None) => Err(format!(
                "expected error {}, got {docs:?}",
                expect.sub("error").value()
            )),
            (Err(e), true, _) => compare_error(&e, &expect.sub("error")).map(|()| Status::Pass),
            (Err(e), false, _) => Err(format!("unexpected error: {e}")),
        }
    }

    fn op_search_dispatch(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
        let f = op.fields();
        let store = self.store(f.str("store")?)?;
        let opts = options_of(&f.sub("kwargs")).map_err(|e| format!("{e:?}"))?;
        let query = f.opt_str("query")?.unwrap_or_default();
        let search_type = f
            .opt_str("search_type")?
            .unwrap_or_default()
            .parse::<SearchType>();
        let result = if f.opt_bool("async")?.unwrap_or(false) {
            let rt = self.rt()?;
            let handle = AsyncFaissStore::new(store.clone());
            search_type.and_then(|t| rt.block_on(handle.search(query, t, opts)))
        } else {
            search_type.and_then(|t| store.search(query, t, &opts))
        };
        let expect = op.expect()?;
        match (result, expect.has("error")) {
            (Ok(docs), false) => compare_docs(&mut ctx.gen, &views(&docs), &expect.sub("docs"))
                .map(|()| Status::Pass),
            (Ok(docs), true) => Err(format!(
                "expected error {}, got {docs:?}",
                expect.sub("error").value()
            )),
            (Err(e), true) => compare_error(&e, &expect.sub("error")).map(|()| Status::Pass),
            (Err(e), false) => Err(format!("unexpected error: {e}")),
        }
    }

    // ----- persistence ----------------------------------------------------------------

    fn op_save_local(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
        let f = op.fields();
        let store = self.store(f.str("store")?)?;
        let folder = ctx.workdir.join(f.str("folder")?);
        let index_name = f.opt_str("index_name")?.unwrap_or("index");
        store
            .save_local(&folder, index_name)
            .map_err(|e| format!("save_local failed: {e}"))?;
        let mut notes = Vec::new();
        let expect = op.expect()?;
        if let Some(files) = expect.opt_field("files")? {
            let files_map = expect.object("files")?;
            for file in files_map.keys() {
                if file.ends_with(".pkl") {
                    notes.push(format!("{file} not compared: we write {index_name}.docstore instead of a pickle (by design)"));
                    continue;
                }
                let want = files.sub(file);
                let (size, sha256) = (want.opt_u64("size")?, want.opt_str("sha256")?);
                let bytes = std::fs::read(folder.join(file)).map_err(|e| format!("{file}: {e}"))?;
                let sha = hex(&Sha256::digest(&bytes));
                if size != Some(bytes.len() as u64) || sha256 != Some(sha.as_str()) {
                    return Err(format!(
                        "{file}: {} bytes sha256 {sha}, LangChain/Faiss wrote {} bytes sha256 {}",
                        bytes.len(),
                        want.sub("size").value(),
                        want.sub("sha256").value()
                    ));
                }
            }
        }
        if notes.is_empty() {
            Ok(Status::Pass)
        } else {
            Ok(Status::Ours(format!(
                "index.faiss byte-identical to Faiss; {}",
                notes.join("; ")
            )))
        }
    }

    fn op_load_local(
        &mut self,
        ctx: &mut CaseCtx<'_>,
        op: &Op,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let f = op.fields();
        let name = f.str("store")?.to_string();
        let folder = ctx.workdir.join(f.str("folder")?);
        let embedder = embedder_of(&f.sub("embedding"))?;
        let mut opts = LoadOptions::new().index_name(f.opt_str("index_name")?.unwrap_or("index"));
        if let Some(d) = f.opt_str("distance_strategy")? {
            opts =
                opts.distance_strategy(d.parse::<DistanceStrategy>().map_err(|e| e.to_string())?);
        }
        if let Some(n) = f.opt_bool("normalize_L2")? {
            opts = opts.normalize_l2(n);
        }
        let result = FaissStore::load_local(&folder, embedder, &opts);
        self.finish_load(ctx, &name, op, result, deviation)
    }

    fn op_serialize_roundtrip(
        &mut self,
        ctx: &mut CaseCtx<'_>,
        op: &Op,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let f = op.fields();
        let name = f.str("store")?.to_string();
        let from = self.store(f.str("from_store")?)?;
        let bytes = from.serialize_to_bytes().map_err(|e| e.to_string())?;
        let embedder = embedder_of(&f.sub("embedding"))?;
        let result = FaissStore::deserialize_from_bytes(&bytes, embedder, &LoadOptions::new());
        self.finish_load(ctx, &name, op, result, deviation)
    }

    fn finish_load(
        &mut self,
        ctx: &mut CaseCtx<'_>,
        name: &str,
        op: &Op,
        result: Result<FaissStore, StoreError>,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let expect = op.expect()?;
        match (result, expect.has("error"), deviation) {
            (Ok(store), true, Some(why)) => {
                // No flag needed: the load must give the same store as the source.
                let source = op.fields().opt_str("from_store")?.unwrap_or("s");
                let want = state_json(self.store(source)?);
                let got = state_json(&store);
                if want != got {
                    return Err(format!("loaded {got}, saved {want}"));
                }
                Ok(Status::Ours(why.to_string()))
            }
            (Ok(store), false, _) => {
                let status = if expect.has("state") {
                    self.compare_state(ctx, name, &state_json(&store), &expect.sub("state"))?
                } else {
                    Status::Pass
                };
                self.stores.insert(name.to_string(), store);
                Ok(status)
            }
            (Ok(_), true, None) => Err(format!(
                "expected error {}, the load succeeded",
                expect.sub("error").value()
            )),
            (Err(e), true, _) => compare_error(&e, &expect.sub("error")).map(|()| Status::Pass),
            (Err(e), false, _) => Err(format!("unexpected error: {e}")),
        }
    }

    // ----- comparisons ----------------------------------------------------------------

    fn compare_state(
        &self,
        ctx: &mut CaseCtx<'_>,
        name: &str,
        got: &Value,
        want: &Fields<'_>,
    ) -> Result<Status, String> {
        let want_obj = want.value().as_object().ok_or_else(|| {
            format!(
                "{}: expected a state object, got {}",
                want.path(),
                want.value()
            )
        })?;
        let mut want_obj = want_obj.clone();
        let want_pairs = want.items("index_to_docstore_id")?;
        let want_map: Vec<Value> = want_pairs
            .iter()
            .map(|p| {
                p.value()
                    .as_array()
                    .and_then(|a| a.get(1))
                    .cloned()
                    .ok_or_else(|| {
                        format!("{}: expected a [pos, id] pair, got {}", p.path(), p.value())
                    })
            })
            .collect::<Result<_, String>>()?;
        let diverged = self.diverged.contains(name);
        if diverged {
            // LangChain's store is inconsistent here; ours holds one row per mapped id.
            want_obj.insert("ntotal".into(), json!(want_map.len()));
        }
        for key in [
            "index_type",
            "dim",
            "ntotal",
            "distance_strategy",
            "normalize_L2",
        ] {
            let (g, w) = (got.get(key), want_obj.get(key));
            if g != w {
                let show = |v: Option<&Value>| v.cloned().unwrap_or(Value::Null);
                return Ok(Status::Fail(format!(
                    "state.{key}: ours {}, LangChain {}",
                    show(g),
                    show(w)
                )));
            }
        }
        let strs = |key: &str| -> Vec<&str> {
            got.get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| match v {
                    // index_to_docstore_id pairs: [pos, id].
                    Value::Array(pair) => pair.get(1).and_then(Value::as_str).unwrap_or_default(),
                    other => other.as_str().unwrap_or_default(),
                })
                .collect()
        };
        let got_map = strs("index_to_docstore_id");
        ctx.gen
            .match_all(&got_map, &want_map)
            .map_err(|e| format!("state.index_to_docstore_id: {e}"))?;
        let got_ids = strs("docstore_ids");
        let want_ids = want.array("docstore_ids")?;
        if diverged && got_ids.len() != want_ids.len() {
            // LangChain deleted documents but kept their rows; ours kept both.
            ctx.gen
                .match_all(&got_ids, &want_map)
                .map_err(|e| format!("state.docstore_ids: {e}"))?;
        } else {
            ctx.gen
                .match_all(&got_ids, want_ids)
                .map_err(|e| format!("state.docstore_ids: {e}"))?;
        }
        Ok(if diverged {
            Status::Ours(
                "LangChain's store is inconsistent here; ours has one row per mapped id".into(),
            )
        } else {
            Status::Pass
        })
    }

    /// Checks a similarity search against a brute-force f64 scan of the store.
    fn brute_force_check(
        &self,
        name: &str,
        args: &Fields<'_>,
        opts: &SearchOptions,
        method: &str,
        out: &Output,
    ) -> Result<(), String> {
        if opts.filter.is_some() || opts.score_threshold.is_some() || method.contains("marginal") {
            return Err("brute-force check supports plain similarity searches only".into());
        }
        let store = self.store(name)?;
        let query = match args.get("embedding") {
            Some(_) => args.floats("embedding")?,
            None => store
                .embeddings()
                .embed_query(args.opt_str("query")?.unwrap_or_default())
                .map_err(|e| e.to_string())?,
        };
        let mut q: Vec<f64> = query.iter().map(|&x| x as f64).collect();
        if store.normalize_l2() {
            let n = q.iter().map(|x| x * x).sum::<f64>().sqrt();
            if n > 0.0 {
                q.iter_mut().for_each(|x| *x /= n);
            }
        }
        let ip = store.index().metric() == MetricType::InnerProduct;
        let truth: Vec<(String, f64)> = (0..store.len())
            .map(|row| {
                let v = store.vector_at(row).map_err(|e| e.to_string())?;
                let s = if ip {
                    v.iter().zip(&q).map(|(a, b)| *a as f64 * b).sum()
                } else {
                    v.iter().zip(&q).map(|(a, b)| (*a as f64 - b).powi(2)).sum()
                };
                let id = store
                    .index_to_docstore_id()
                    .get(row)
                    .ok_or_else(|| format!("row {row} has no id"))?;
                Ok((id.clone(), s))
            })
            .collect::<Result<_, String>>()?;
        let got: Vec<(String, Option<f32>)> = match out {
            Output::Docs(d) => d
                .iter()
                .map(|d| (d.id.clone().unwrap_or_default(), None))
                .collect(),
            Output::Scored(p) => p
                .iter()
                .map(|(d, s)| (d.id.clone().unwrap_or_default(), Some(*s)))
                .collect(),
            other => return Err(format!("not a search result: {other:?}")),
        };
        let k = opts.k.min(truth.len());
        if got.len() != k {
            return Err(format!(
                "{} results, a consistent store of {} has {k}",
                got.len(),
                truth.len()
            ));
        }
        let score_of: HashMap<&str, f64> = truth.iter().map(|(id, s)| (id.as_str(), *s)).collect();
        let better = |a: f64, b: f64| if ip { a > b + 1e-5 } else { a < b - 1e-5 };
        let mut seen = HashSet::new();
        let mut last: Option<f64> = None;
        for (id, score) in &got {
            let truth_score = *score_of
                .get(id.as_str())
                .ok_or_else(|| format!("{id} is not stored"))?;
            if !seen.insert(id.clone()) {
                return Err(format!("{id} returned twice"));
            }
            if let Some(s) = score {
                if !close(*s as f64, truth_score) {
                    return Err(format!("{id}: score {s}, brute force {truth_score}"));
                }
            }
            if let Some(prev) = last {
                if better(truth_score, prev) {
                    return Err(format!("results out of order at {id}"));
                }
            }
            last = Some(truth_score);
        }
        if let Some(worst) = last {
            for (id, s) in &truth {
                if !seen.contains(id) && better(*s, worst) {
                    return Err(format!(
                        "{id} (score {s}) is better than the last result ({worst})"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Each MMR result's score must be its own distance to the query (used as given).
    fn check_own_scores(
        &self,
        name: &str,
        args: &Fields<'_>,
        pairs: &[(Document, f32)],
    ) -> Result<(), String> {
        let store = self.store(name)?;
        let q = args.floats("embedding")?;
        let rows = store.rows_by_id();
        let ip = store.index().metric() == MetricType::InnerProduct;
        for (doc, score) in pairs {
            let id = doc.id.as_deref().unwrap_or_default();
            let row = *rows.get(id).ok_or_else(|| format!("{id} not stored"))?;
            let v = store.vector_at(row).map_err(|e| e.to_string())?;
            let own: f64 = if ip {
                v.iter().zip(&q).map(|(a, b)| *a as f64 * *b as f64).sum()
            } else {
                v.iter()
                    .zip(&q)
                    .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
                    .sum()
            };
            if !close(*score as f64, own) {
                return Err(format!(
                    "{id}: MMR score {score}, its own distance is {own}"
                ));
            }
        }
        Ok(())
    }
}

/// A store's state in the golden `state` shape, with our ids.
fn state_json(store: &FaissStore) -> Value {
    json!({
        "index_type": store.index().type_name(),
        "dim": store.dimension(),
        "ntotal": store.index().ntotal(),
        "index_to_docstore_id": store.index_to_docstore_id().iter().enumerate().map(|(i, id)| json!([i, id])).collect::<Vec<_>>(),
        "docstore_ids": store.docstore().ids().collect::<Vec<_>>(),
        "distance_strategy": store.distance_strategy().as_str(),
        "normalize_L2": store.normalize_l2(),
    })
}

fn compare_output(ctx: &mut CaseCtx<'_>, out: &Output, expect: &Fields<'_>) -> Result<(), String> {
    match out {
        Output::Docs(docs) => compare_docs(&mut ctx.gen, &views(docs), &expect.sub("docs")),
        Output::Scored(pairs) => {
            let docs: Vec<Document> = pairs.iter().map(|(d, _)| d.clone()).collect();
            compare_docs(&mut ctx.gen, &views(&docs), &expect.sub("docs"))?;
            let scores: Vec<f32> = pairs.iter().map(|(_, s)| *s).collect();
            match expect.has("scores") {
                true => compare_scores(&scores, &expect.sub("scores")),
                false if docs.is_empty() => Ok(()),
                false => Err("LangChain recorded no scores".into()),
            }
        }
        Output::Ids(ids) => {
            let want = expect
                .array("ids")
                .map_err(|e| format!("expected ids missing ({e})"))?;
            let got: Vec<&str> = ids.iter().map(String::as_str).collect();
            ctx.gen.match_all(&got, want)
        }
        Output::Value(v) => {
            let want = expect.value().get("value");
            if want == Some(v) {
                Ok(())
            } else {
                Err(format!(
                    "value {v}, LangChain {}",
                    want.cloned().unwrap_or(Value::Null)
                ))
            }
        }
    }
}

/// TextLoader → CharacterTextSplitter → `from_documents` (the path is relative to the
/// repository root, like the generator's).
fn load_text_pipeline(
    f: &Fields<'_>,
    embedder: Arc<dyn Embeddings>,
    config: StoreConfig,
) -> Result<Result<FaissStore, StoreError>, String> {
    let path = f.str("path")?;
    let splitter = f.sub("splitter");
    let size = splitter.opt_i64("chunk_size")?.unwrap_or(4000);
    let overlap = splitter.opt_i64("chunk_overlap")?.unwrap_or(200);
    let docs = with_current_dir(&workspace_root(), || TextLoader::new(path).load())?
        .map_err(|e| e.to_string())?;
    let splitter = CharacterTextSplitter::with_sizes(size, overlap).map_err(|e| e.to_string())?;
    let chunks = splitter.split_documents(&docs).map_err(|e| e.to_string())?;
    Ok(FaissStore::from_documents(chunks, embedder, None, config))
}

// ----- ops without a store ------------------------------------------------------------

fn op_mmr_raw(op: &Op) -> Result<Status, String> {
    let f = op.fields();
    let query = f.floats("query_embedding")?;
    let list: Vec<Vec<f32>> = f
        .items("embedding_list")?
        .iter()
        .map(|v| floats_at(v.value(), v.path()))
        .collect::<Result<_, _>>()?;
    let lambda = f.f64("lambda_mult")? as f32;
    let k = f.usize("k")?;
    let got = maximal_marginal_relevance(&query, &list, lambda, k);
    let want: Vec<usize> = op
        .expect()?
        .u64s("selected")?
        .into_iter()
        .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
        .collect();
    if got == want {
        Ok(Status::Pass)
    } else {
        Err(format!("selected {got:?}, LangChain {want:?}"))
    }
}

// ----- errors ------------------------------------------------------------------------

/// The meaning of one of our errors, comparable with `golden_class`.
fn error_class(e: &StoreError) -> String {
    match e {
        StoreError::EmptyInput(_) => "empty_input".into(),
        StoreError::LengthMismatch { what, .. } => format!("length_mismatch:{what}"),
        StoreError::DuplicateIds(_) => "duplicate_ids".into(),
        StoreError::IdsAlreadyExist(_) => "ids_exist".into(),
        StoreError::UnknownIds(_) => "unknown_ids".into(),
        StoreError::NoIdsToDelete => "no_ids".into(),
        StoreError::DimensionMismatch { .. } | StoreError::InvalidParameter { .. } => {
            "assertion".into()
        }
        StoreError::NoRelevanceFunction(_) => "no_relevance".into(),
        StoreError::UnknownSearchType(_) => "unknown_search_type".into(),
        StoreError::MissingScoreThreshold => "missing_threshold".into(),
        StoreError::IncompatibleMerge(_) => "incompatible_merge".into(),
        StoreError::Filter(f) => format!("filter:{}:{f}", f.python_exception().name()),
        StoreError::FilterEval(f) => format!("filter:{}:{f}", f.python_exception().name()),
        StoreError::Persist(PersistError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            "file_missing".into()
        }
        other => format!("other:{other}"),
    }
}

/// The meaning of a recorded Python exception.
fn golden_class(ty: &str, msg: &str) -> String {
    let starts = |p: &str| msg.starts_with(p);
    match ty {
        "IndexError" if starts("list index out of range") => "empty_input".into(),
        "ValueError" if starts("not enough values to unpack") => "empty_input".into(),
        "ValueError" if starts("texts and metadatas expected") => {
            "length_mismatch:metadatas".into()
        }
        "ValueError" if starts("texts and ids expected") => "length_mismatch:ids".into(),
        "ValueError" if starts("Duplicate ids found") => "duplicate_ids".into(),
        "ValueError" if starts("Tried to add ids that already exist") => "ids_exist".into(),
        "ValueError" if starts("Some specified ids do not exist") => "unknown_ids".into(),
        "ValueError"
            if starts("No ids provided to delete")
                || starts("Tried to delete ids that does not  exist: []") =>
        {
            "no_ids".into()
        }
        "AssertionError" => "assertion".into(),
        "ValueError" if starts("Unknown distance strategy") => "no_relevance".into(),
        "ValueError" | "ValidationError" if msg.contains("search_type of") => {
            "unknown_search_type".into()
        }
        "ValidationError" if msg.contains("`score_threshold` is not specified") => {
            "missing_threshold".into()
        }
        "RuntimeError"
            if msg.contains("can only merge indexes of the same type")
                || msg.contains("other->d == d") =>
        {
            "incompatible_merge".into()
        }
        "RuntimeError" if msg.contains("could not open") => "file_missing".into(),
        "KeyError" => "key_error".into(),
        "ValueError" | "TypeError" | "AttributeError"
            if starts("filter ")
                || starts("'")
                || starts("unhashable")
                || starts("argument of type")
                || starts("list indices")
                || starts("string indices") =>
        {
            format!("filter:{ty}:{msg}")
        }
        _ => format!("python:{ty}:{msg}"),
    }
}

fn compare_error(e: &StoreError, want: &Fields<'_>) -> Result<(), String> {
    let ty = want.opt_str("type")?.unwrap_or_default();
    let msg = want.opt_str("message")?.unwrap_or_default();
    let (ours, theirs) = (error_class(e), golden_class(ty, msg));
    if ours == theirs {
        Ok(())
    } else {
        Err(format!("error {ours} ({e}), LangChain {theirs}"))
    }
}

// ----- argument parsing ----------------------------------------------------------------

#[derive(Debug)]
enum OptionsError {
    Filter(ferrofaiss_docstore::FilterError),
    Other(String),
}

fn options_of(args: &Fields<'_>) -> Result<SearchOptions, OptionsError> {
    let mut opts = SearchOptions::new();
    if args.value().is_null() {
        return Ok(opts);
    }
    if let Some(k) = args.opt_usize("k").map_err(OptionsError::Other)? {
        opts.k = k;
    }
    if let Some(f) = args.opt_usize("fetch_k").map_err(OptionsError::Other)? {
        opts.fetch_k = f;
    }
    if let Some(l) = args.opt_f64("lambda_mult").map_err(OptionsError::Other)? {
        opts.lambda_mult = l as f32;
    }
    if let Some(t) = args
        .opt_f64("score_threshold")
        .map_err(OptionsError::Other)?
    {
        opts.score_threshold = Some(t as f32);
    }
    match args.get("filter") {
        None => {}
        Some(Value::Object(o)) if o.contains_key("$callable") => {
            // A Python callable: use a Rust closure with the generator-checked
            // equivalent dict as its logic.
            let dict = args
                .sub("filter")
                .raw("equivalent_dict")
                .map_err(OptionsError::Other)?;
            let compiled = Filter::from_json(dict).map_err(OptionsError::Filter)?;
            opts.filter = Some(Filter::from_fn(move |m| {
                compiled.matches(m).unwrap_or(false)
            }));
        }
        Some(v) => opts.filter = Some(Filter::from_json(v).map_err(OptionsError::Filter)?),
    }
    Ok(opts)
}

fn relevance_fn_of(spec: &Fields<'_>) -> Result<Option<RelevanceScoreFn>, String> {
    match spec.opt_str("kind")? {
        None => Ok(None),
        // Python `a + b * d` with float a, b and numpy float32 d stays float32.
        Some("linear") => {
            let a = spec.f64("intercept")? as f32;
            let b = spec.f64("slope")? as f32;
            Ok(Some(RelevanceScoreFn::new(move |d| a + b * d)))
        }
        Some("const") => {
            let c = spec.f64("value")? as f32;
            Ok(Some(RelevanceScoreFn::new(move |_| c)))
        }
        Some(other) => Err(format!("unknown relevance_score_fn kind {other}")),
    }
}

/// `text_embeddings`: `[[text, vector], ...]`.
fn text_embeddings_of(f: &Fields<'_>, key: &str) -> Result<Vec<(String, Vec<f32>)>, String> {
    f.items(key)?
        .iter()
        .map(|pair| {
            let bad = || {
                format!(
                    "{}: expected a [text, vector] pair, got {}",
                    pair.path(),
                    pair.value()
                )
            };
            let items = pair.value().as_array().ok_or_else(bad)?;
            let text = items.first().and_then(Value::as_str).ok_or_else(bad)?;
            let vector = items.get(1).ok_or_else(bad)?;
            Ok((
                text.to_string(),
                floats_at(vector, &format!("{}[1]", pair.path()))?,
            ))
        })
        .collect()
}

// ----- small helpers -------------------------------------------------------------------

/// Sync methods and constructors whose `a`-prefixed names are their async twins.
const SYNC_NAMES: &[&str] = &[
    "from_texts",
    "from_documents",
    "from_embeddings",
    "add_texts",
    "add_documents",
    "delete",
    "get_by_ids",
    "similarity_search",
    "similarity_search_with_score",
    "similarity_search_by_vector",
    "similarity_search_with_score_by_vector",
    "similarity_search_with_relevance_scores",
    "max_marginal_relevance_search",
    "max_marginal_relevance_search_by_vector",
    "max_marginal_relevance_search_with_score_by_vector",
];

/// Whether `method` is LangChain's async twin of a sync method (`aadd_texts`, ...).
fn is_async_name(method: &str) -> bool {
    method
        .strip_prefix('a')
        .is_some_and(|rest| SYNC_NAMES.contains(&rest))
}

fn compare_scores(got: &[f32], want: &Fields<'_>) -> Result<(), String> {
    let want = ferrofaiss_golden::f64s_at(want.value(), want.path())?;
    if got.len() != want.len() || got.iter().zip(&want).any(|(g, w)| !close(*g as f64, *w)) {
        return Err(format!("scores {got:?}, LangChain {want:?}"));
    }
    Ok(())
}
