//! The golden conformance runner: executes every `fixtures/golden/cases/*.json` case,
//! recorded from the real LangChain 0.4.2 + faiss-cpu, op by op, and compares with the
//! recorded `expect`.
//!
//! * ids and contents are compared exactly; scores within 1e-5 relative or 1e-6
//!   absolute; errors by kind and meaning (see `error_class`), not Python's text.
//! * `$gen:N` ids bind to the uuids this store generates, in the order they appear.
//! * Ops marked `hazard` (LangChain mutates, then raises) and MMR-with-filter scores are
//!   checked against our documented behaviour instead (`docs/compat.md`): a failing
//!   mutation must leave the store unchanged; a search LangChain cannot answer is checked
//!   against a brute-force scan; an MMR score must be the document's own distance.
//! * Deviations listed in `DEVIATIONS` are checked against our behaviour, with a reason.
//! * Async ops (`a*` methods, `async: true`) run through `AsyncFaissStore`.
//! * Op kinds of other issues are listed in `DEFERRED_OPS` and reported, never passed.
//!
//! All failures are collected and reported together (case name + op index).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrofaiss_async_store::AsyncFaissStore;
use ferrofaiss_docstore::{Document, Filter, Metadata};
use ferrofaiss_embeddings::{fnv1a64, Embeddings, FakeEmbeddings, TrigramEmbeddings};
use ferrofaiss_index::{FlatIndex, MetricType};
use ferrofaiss_store::{
    maximal_marginal_relevance, DistanceStrategy, FaissStore, LoadOptions, PersistError,
    RelevanceScoreFn, SearchOptions, SearchType, StoreConfig, StoreError,
};
use ferrofaiss_text::{
    CharacterTextSplitter, CharacterTextSplitterOptions, KeepSeparator, SplitWarning, TextLoader,
    TextSplitter,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Root of the repository (tests run with the crate folder as working directory).
fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn cases_dir() -> PathBuf {
    repo_root().join("fixtures/golden/cases")
}

/// Ops that deliberately differ from LangChain, with the reason; each is checked
/// against our documented behaviour by `check_deviation`.
const DEVIATIONS: &[(&str, usize, &str)] = &[
    (
        "fake_add_and_ids",
        11,
        "a document without an id among documents with ids gets a uuid v4 (LangChain stores it under the key None)",
    ),
    (
        "fake_distance_strategies",
        18,
        "an unknown distance strategy name is a typed error (LangChain accepts any string)",
    ),
    (
        "fake_kwargs_and_misc",
        3,
        "unknown keyword arguments cannot be expressed: StoreConfig is a typed struct",
    ),
    (
        "fake_save_load",
        2,
        "no pickle, so no allow_dangerous_deserialization flag: loading our own files is safe",
    ),
    (
        "fake_save_load",
        12,
        "no pickle, so no allow_dangerous_deserialization flag: deserializing our own bytes is safe",
    ),
    (
        "fake_retriever_and_search",
        8,
        "score_threshold is a typed f32: the integer 1 is accepted as 1.0 (LangChain's pydantic check rejects ints)",
    ),
];

/// Op kinds that are not run yet, with the reason (none: the loader and splitter ops
/// run through `ferrofaiss-text`).
const DEFERRED_OPS: &[(&str, &str)] = &[];

/// `expect` fields that have no Rust counterpart and are not compared.
const IGNORED_EXPECT_FIELDS: &[(&str, &str)] = &[
    (
        "warnings",
        "Python warnings.warn calls; the store does not emit warnings",
    ),
    (
        "logs",
        "Python logging records; the store does not log (the splitter's are compared)",
    ),
];

#[derive(Debug)]
enum Status {
    Pass,
    Fail(String),
    /// Checked against our documented behaviour (deviation, hazard, MMR-filter score).
    Ours(String),
    /// Not run, with the reason.
    Skip(String),
}

/// What a store call returned.
#[derive(Debug)]
enum Output {
    Docs(Vec<Document>),
    Scored(Vec<(Document, f32)>),
    Ids(Vec<String>),
    Value(Value),
}

#[derive(Default)]
struct Summary {
    pass: usize,
    ours: Vec<String>,
    skips: Vec<String>,
    failures: Vec<String>,
    ignored_fields: BTreeMap<&'static str, usize>,
    deviations_seen: HashSet<(String, usize)>,
}

struct CaseRunner<'s> {
    case: String,
    /// A scratch copy of `cases/<case>/`: save_local writes here, never into fixtures.
    workdir: PathBuf,
    stores: HashMap<String, FaissStore>,
    /// `$gen:N` (or `null` for a deviation) -> our generated id.
    gen: HashMap<String, String>,
    gen_taken: HashSet<String>,
    /// Stores whose LangChain state is inconsistent after a hazard or a merge (its
    /// target's vectors are moved out): states are compared with `ntotal` = number of
    /// mapped rows, and searches by brute force.
    diverged: HashSet<String>,
    summary: &'s mut Summary,
    /// Runs the async ops (`a*` methods, `async: true`) through `AsyncFaissStore`.
    rt: &'s tokio::runtime::Runtime,
}

#[test]
fn golden_cases() {
    // sotu_pipeline's path is relative to the repository root, like the generator's.
    std::env::set_current_dir(repo_root()).expect("cd to the repository root");
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("fixtures/golden/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden case files found");
    let scratch = tempfile::tempdir().expect("temporary directory");
    let mut summary = Summary::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable case file");
        let case: Value = serde_json::from_str(&text).expect("valid JSON case");
        let name = case["name"].as_str().unwrap_or_default().to_string();
        let workdir = scratch.path().join(&name);
        std::fs::create_dir_all(&workdir).expect("scratch folder");
        copy_dir(&cases_dir().join(&name), &workdir);
        let mut runner = CaseRunner {
            case: name,
            workdir,
            stores: HashMap::new(),
            gen: HashMap::new(),
            gen_taken: HashSet::new(),
            diverged: HashSet::new(),
            summary: &mut summary,
            rt: &rt,
        };
        let ops = case["ops"].as_array().cloned().unwrap_or_default();
        for (i, op) in ops.iter().enumerate() {
            let status = runner.run_op(i, op);
            runner.record(i, op, status);
        }
    }
    for (case, op, reason) in DEVIATIONS {
        if !summary.deviations_seen.contains(&(case.to_string(), *op)) {
            summary.failures.push(format!(
                "{case} op {op}: listed deviation never reached ({reason})"
            ));
        }
    }
    println!(
        "golden: {} case files, {} ops passed against LangChain, {} checked against our documented behaviour, {} skipped, {} failed",
        files.len(),
        summary.pass,
        summary.ours.len(),
        summary.skips.len(),
        summary.failures.len()
    );
    for line in &summary.ours {
        println!("  ours: {line}");
    }
    for line in &summary.skips {
        println!("  skip: {line}");
    }
    for (field, n) in &summary.ignored_fields {
        let why = IGNORED_EXPECT_FIELDS
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, w)| w);
        println!("  not compared: expect.{field} in {n} ops ({why})");
    }
    assert!(
        summary.failures.is_empty(),
        "{} golden failures:\n{}",
        summary.failures.len(),
        summary.failures.join("\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&dest).expect("scratch subfolder");
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy a case file");
        }
    }
}

impl CaseRunner<'_> {
    fn record(&mut self, i: usize, op: &Value, status: Status) {
        let kind = op["op"].as_str().unwrap_or("?");
        let method = op["method"].as_str().unwrap_or("");
        let label = format!("{} op {i} ({kind} {method})", self.case);
        if let Some(expect) = op["expect"].as_object() {
            for (field, _) in IGNORED_EXPECT_FIELDS {
                // The splitter's log records are compared (op_split).
                let compared = *field == "logs" && kind.starts_with("split");
                if expect.contains_key(*field) && !compared {
                    *self.summary.ignored_fields.entry(field).or_default() += 1;
                }
            }
        }
        match status {
            Status::Pass => self.summary.pass += 1,
            Status::Fail(msg) => self.summary.failures.push(format!("{label}: {msg}")),
            Status::Ours(why) => self.summary.ours.push(format!("{label}: {why}")),
            Status::Skip(why) => self.summary.skips.push(format!("{label}: {why}")),
        }
    }

    fn deviation(&mut self, i: usize) -> Option<&'static str> {
        let found = DEVIATIONS
            .iter()
            .find(|(c, o, _)| *c == self.case && *o == i)
            .map(|(_, _, why)| *why);
        if found.is_some() {
            self.summary.deviations_seen.insert((self.case.clone(), i));
        }
        found
    }

    fn run_op(&mut self, i: usize, op: &Value) -> Status {
        let kind = op["op"].as_str().unwrap_or_default();
        if let Some((_, why)) = DEFERRED_OPS.iter().find(|(k, _)| *k == kind) {
            return Status::Skip(why.to_string());
        }
        let deviation = self.deviation(i);
        let result = match kind {
            "create" => self.op_create(op, deviation),
            "call" => self.op_call(op, deviation),
            "state" => self.op_state(op),
            "retriever" => self.op_retriever(op, deviation),
            "search_dispatch" => self.op_search_dispatch(op),
            "save_local" => self.op_save_local(op),
            "load_local" => self.op_load_local(op, deviation),
            "serialize_roundtrip" => self.op_serialize_roundtrip(op, deviation),
            "mmr_raw" => op_mmr_raw(op),
            "filter_eval" => op_filter_eval(op),
            "embed" => op_embed(op),
            "fnv1a64" => op_fnv(op),
            "split_text" | "split_documents" | "splitter_init" | "split_file" => op_split(op),
            "load_text" => self.op_load_text(op),
            other => Err(format!(
                "unknown op kind {other:?}: the runner must learn it"
            )),
        };
        match result {
            Ok(status) => status,
            Err(msg) => Status::Fail(msg),
        }
    }

    // ----- create -------------------------------------------------------------------

    fn op_create(&mut self, op: &Value, deviation: Option<&str>) -> Result<Status, String> {
        let name = str_field(op, "store")?;
        let method = str_field(op, "method")?;
        if deviation.is_some() && op.get("extra_kwargs").is_some() {
            // Nothing to run: Rust cannot pass an unknown keyword argument.
            return Ok(Status::Ours(deviation.unwrap_or_default().to_string()));
        }
        let embedder = embedder_of(&op["embedding"])?;
        let strategy = match op.get("distance_strategy").and_then(Value::as_str) {
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
            .normalize_l2(op["normalize_L2"].as_bool().unwrap_or(false));
        if let Some(f) = relevance_fn_of(&op["relevance_score_fn"])? {
            config = config.relevance_score_fn(f);
        }
        let metadatas = metadatas_of(&op["metadatas"])?;
        let ids = ids_of(&op["ids"])?;
        let into_store = |r: Result<AsyncFaissStore, StoreError>| {
            r.map(|h| h.try_into_inner().expect("the only handle"))
        };
        let result = match method {
            "from_texts" => {
                let texts = strings_of(&op["texts"])?;
                FaissStore::from_texts(&texts, embedder, metadatas, ids, config)
            }
            "afrom_texts" => {
                let texts = strings_of(&op["texts"])?;
                into_store(self.rt.block_on(AsyncFaissStore::from_texts(
                    texts, embedder, metadatas, ids, config,
                )))
            }
            "afrom_documents" => {
                let docs = documents_of(&op["documents"])?;
                into_store(
                    self.rt
                        .block_on(AsyncFaissStore::from_documents(docs, embedder, ids, config)),
                )
            }
            "afrom_embeddings" => {
                let pairs = text_embeddings_of(&op["text_embeddings"])?;
                into_store(self.rt.block_on(AsyncFaissStore::from_embeddings(
                    pairs, embedder, metadatas, ids, config,
                )))
            }
            "from_documents" => {
                let docs = documents_of(&op["documents"])?;
                FaissStore::from_documents(docs, embedder, ids, config)
            }
            "from_embeddings" => {
                let pairs = text_embeddings_of(&op["text_embeddings"])?;
                FaissStore::from_embeddings(pairs, embedder, metadatas, ids, config)
            }
            "constructor" => {
                let dim = op["dim"].as_u64().ok_or("constructor without dim")? as usize;
                let metric = match op["index"].as_str() {
                    Some("IndexFlatIP") => MetricType::InnerProduct,
                    _ => MetricType::L2,
                };
                let index = FlatIndex::new(dim, metric).map_err(|e| e.to_string())?;
                FaissStore::new(embedder, Box::new(index), config)
            }
            "load_text_pipeline" => self.load_text_pipeline(op, embedder, config)?,
            other => return Err(format!("unknown create method {other}")),
        };
        let expect = &op["expect"];
        match result {
            Ok(store) => {
                if let Some(err) = expect.get("error") {
                    return Err(format!("expected error {err}, the store was built"));
                }
                let status = match expect.get("state") {
                    Some(state) => self.compare_state(name, state_json(&store), state)?,
                    None => Status::Pass,
                };
                self.stores.insert(name.to_string(), store);
                Ok(status)
            }
            Err(e) => match expect.get("error") {
                Some(err) => compare_error(&e, err).map(|_| Status::Pass),
                None => Err(format!("unexpected error: {e}")),
            },
        }
    }

    fn load_text_pipeline(
        &self,
        op: &Value,
        embedder: Arc<dyn Embeddings>,
        config: StoreConfig,
    ) -> Result<Result<FaissStore, StoreError>, String> {
        let path = str_field(op, "path")?;
        let splitter = &op["splitter"];
        let size = splitter["chunk_size"].as_i64().unwrap_or(4000);
        let overlap = splitter["chunk_overlap"].as_i64().unwrap_or(200);
        let docs = TextLoader::new(path).load().map_err(|e| e.to_string())?;
        let splitter =
            CharacterTextSplitter::with_sizes(size, overlap).map_err(|e| e.to_string())?;
        let chunks = splitter.split_documents(&docs).map_err(|e| e.to_string())?;
        Ok(FaissStore::from_documents(chunks, embedder, None, config))
    }

    // ----- call ---------------------------------------------------------------------

    fn op_call(&mut self, op: &Value, deviation: Option<&str>) -> Result<Status, String> {
        let name = str_field(op, "store")?.to_string();
        let method = str_field(op, "method")?.to_string();
        let args = &op["args"];
        let expect = &op["expect"];
        let hazard = op.get("hazard").is_some();
        if !self.stores.contains_key(&name) {
            return Ok(Status::Skip(format!(
                "store {name} was not created (see the deviation that refused it)"
            )));
        }
        let opts = match options_of(args) {
            Ok(o) => o,
            // A filter of the wrong shape is refused when it is parsed.
            Err(OptionsError::Filter(e)) => {
                return match expect.get("error") {
                    Some(err) => compare_error(&StoreError::Filter(e), err).map(|_| Status::Pass),
                    None => Err(format!("filter refused: {e}")),
                }
            }
            Err(OptionsError::Other(msg)) => return Err(msg),
        };
        let before = self.state_json(&self.stores[&name]);
        let is_search = method.contains("search");
        let method = method.as_str();
        let result = match is_async_name(method) {
            true => self.dispatch_async(&name, &method[1..], args, &opts)?,
            false => self.dispatch_call(&name, method, args, &opts)?,
        };

        // Hazards: LangChain mutated and raised; we must refuse and stay unchanged, or
        // (for a search after such a hazard) answer as a consistent store would.
        if hazard {
            if is_search {
                let out =
                    result.map_err(|e| format!("search after a refused hazard failed: {e}"))?;
                self.brute_force_check(&name, args, &opts, method, &out)?;
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
            let want = golden_class(
                expect["error"]["type"].as_str().unwrap_or(""),
                expect["error"]["message"].as_str().unwrap_or(""),
            );
            let ok_class = class == want || (want == "key_error" && class == "duplicate_ids");
            if !ok_class {
                return Err(format!(
                    "hazard refused with {class} ({err}), LangChain raised {want}"
                ));
            }
            let after = self.state_json(&self.stores[&name]);
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
            self.brute_force_check(&name, args, &opts, method, &out)?;
            return Ok(Status::Ours(
                "store differs from LangChain's inconsistent one; checked by brute force".into(),
            ));
        }

        let mut status = Status::Pass;
        match result {
            Err(e) => match expect.get("error") {
                Some(err) => compare_error(&e, err)?,
                None => return Err(format!("unexpected error: {e}")),
            },
            Ok(out) => {
                if let Some(err) = expect.get("error") {
                    return Err(format!("expected error {err}, got {out:?}"));
                }
                let mmr_filter_scores = method
                    .trim_start_matches("amax")
                    .trim_start_matches("max")
                    .starts_with("_marginal_relevance_search_with_score")
                    && opts.filter.is_some();
                if let (Some(why), Output::Ids(ids)) = (deviation, &out) {
                    // A document without an id: we generate one; bind it to LangChain's null.
                    let want = expect["ids"].as_array().ok_or("no expected ids")?;
                    for (w, got) in want.iter().zip(ids) {
                        if w.is_null() {
                            if !is_uuid4(got) {
                                return Err(format!("{got} is not a generated uuid v4"));
                            }
                            self.gen.insert("null".into(), got.clone());
                            self.gen_taken.insert(got.clone());
                        }
                    }
                    status = Status::Ours(why.to_string());
                }
                if mmr_filter_scores {
                    let Output::Scored(pairs) = &out else {
                        return Err("MMR with scores returned no scores".into());
                    };
                    self.compare_docs(
                        &pairs.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>(),
                        &expect["docs"],
                    )?;
                    self.check_own_scores(&name, args, pairs)?;
                    status = Status::Ours(
                        "MMR with a filter: documents as LangChain, each with its own score".into(),
                    );
                } else {
                    self.compare_output(&out, expect)?;
                }
            }
        }
        if let Some(state) = expect.get("state_after") {
            let got = state_json(&self.stores[&name]);
            if let Status::Fail(msg) = self.compare_state(&name, got, state)? {
                return Ok(Status::Fail(msg));
            }
        }
        Ok(status)
    }

    fn dispatch_call(
        &mut self,
        name: &str,
        method: &str,
        args: &Value,
        opts: &SearchOptions,
    ) -> Result<Result<Output, StoreError>, String> {
        if method == "merge_from" {
            let target = args["target"].as_str().ok_or("merge_from without target")?;
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
        let query = || args["query"].as_str().unwrap_or_default().to_string();
        let vector = || floats_of(&args["embedding"]);
        Ok(match method {
            "add_texts" => {
                let texts = strings_of(&args["texts"])?;
                let metadatas = metadatas_of(&args["metadatas"])?;
                let ids = ids_of(&args["ids"])?;
                store.add_texts(&texts, metadatas, ids).map(Output::Ids)
            }
            "add_documents" => {
                let docs = documents_of(&args["documents"])?;
                let ids = ids_of(&args["ids"])?;
                store.add_documents(docs, ids).map(Output::Ids)
            }
            "add_embeddings" => {
                let pairs = text_embeddings_of(&args["text_embeddings"])?;
                let metadatas = metadatas_of(&args["metadatas"])?;
                let ids = ids_of(&args["ids"])?;
                store.add_embeddings(pairs, metadatas, ids).map(Output::Ids)
            }
            "delete" => {
                let ids = match &args["ids"] {
                    Value::Null => Vec::new(),
                    v => strings_of(v)?,
                };
                store.delete(&ids).map(|_| Output::Value(Value::Bool(true)))
            }
            "get_by_ids" => {
                let ids = strings_of(&args["ids"])?;
                Ok(Output::Docs(store.get_by_ids(&ids)))
            }
            "similarity_search" => store.similarity_search(&query(), opts).map(Output::Docs),
            "similarity_search_with_score" => store
                .similarity_search_with_score(&query(), opts)
                .map(Output::Scored),
            "similarity_search_by_vector" => store
                .similarity_search_by_vector(&vector()?, opts)
                .map(Output::Docs),
            "similarity_search_with_score_by_vector" => store
                .similarity_search_with_score_by_vector(&vector()?, opts)
                .map(Output::Scored),
            "similarity_search_with_relevance_scores" => store
                .similarity_search_with_relevance_scores(&query(), opts)
                .map(Output::Scored),
            "max_marginal_relevance_search" => store
                .max_marginal_relevance_search(&query(), opts)
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
        args: &Value,
        opts: &SearchOptions,
    ) -> Result<Result<Output, StoreError>, String> {
        let store = self.stores.remove(name).ok_or("unknown store")?;
        let handle = AsyncFaissStore::new(store);
        let opts = opts.clone();
        let query = args["query"].as_str().unwrap_or_default().to_string();
        let vector = || floats_of(&args["embedding"]);
        let h = &handle;
        let result = match method {
            "add_texts" => {
                let texts = strings_of(&args["texts"])?;
                let (metadatas, ids) = (metadatas_of(&args["metadatas"])?, ids_of(&args["ids"])?);
                self.rt
                    .block_on(h.add_texts(texts, metadatas, ids))
                    .map(Output::Ids)
            }
            "add_documents" => {
                let docs = documents_of(&args["documents"])?;
                let ids = ids_of(&args["ids"])?;
                self.rt
                    .block_on(h.add_documents(docs, ids))
                    .map(Output::Ids)
            }
            "delete" => {
                let ids = match &args["ids"] {
                    Value::Null => Vec::new(),
                    v => strings_of(v)?,
                };
                self.rt
                    .block_on(h.delete(ids))
                    .map(|_| Output::Value(Value::Bool(true)))
            }
            "get_by_ids" => self
                .rt
                .block_on(h.get_by_ids(strings_of(&args["ids"])?))
                .map(Output::Docs),
            "similarity_search" => self
                .rt
                .block_on(h.similarity_search(&query, opts))
                .map(Output::Docs),
            "similarity_search_with_score" => self
                .rt
                .block_on(h.similarity_search_with_score(&query, opts))
                .map(Output::Scored),
            "similarity_search_by_vector" => self
                .rt
                .block_on(h.similarity_search_by_vector(vector()?, opts))
                .map(Output::Docs),
            "similarity_search_with_score_by_vector" => self
                .rt
                .block_on(h.similarity_search_with_score_by_vector(vector()?, opts))
                .map(Output::Scored),
            "similarity_search_with_relevance_scores" => self
                .rt
                .block_on(h.similarity_search_with_relevance_scores(&query, opts))
                .map(Output::Scored),
            "max_marginal_relevance_search" => self
                .rt
                .block_on(h.max_marginal_relevance_search(&query, opts))
                .map(Output::Docs),
            "max_marginal_relevance_search_by_vector" => self
                .rt
                .block_on(h.max_marginal_relevance_search_by_vector(vector()?, opts))
                .map(Output::Docs),
            "max_marginal_relevance_search_with_score_by_vector" => self
                .rt
                .block_on(h.max_marginal_relevance_search_with_score_by_vector(vector()?, opts))
                .map(Output::Scored),
            other => {
                self.stores.insert(
                    name.to_string(),
                    handle.try_into_inner().expect("only handle"),
                );
                return Err(format!(
                    "unknown async method a{other}: the runner must learn it"
                ));
            }
        };
        let store = handle
            .try_into_inner()
            .map_err(|_| "the async handle is still shared after the call".to_string())?;
        self.stores.insert(name.to_string(), store);
        Ok(result)
    }

    // ----- state, retriever, dispatch ------------------------------------------------

    fn op_state(&mut self, op: &Value) -> Result<Status, String> {
        let name = str_field(op, "store")?;
        let got = state_json(self.stores.get(name).ok_or("unknown store")?);
        self.compare_state(name, got, &op["expect"]["state"])
    }

    fn op_retriever(&mut self, op: &Value, deviation: Option<&str>) -> Result<Status, String> {
        let name = str_field(op, "store")?;
        let store = self.stores.get(name).ok_or("unknown store")?;
        let search_type = op["search_type"].as_str().unwrap_or("similarity");
        let opts = options_of(&op["search_kwargs"]).map_err(|e| format!("{e:?}"))?;
        let query = str_field(op, "query").unwrap_or_default();
        let result = if op["async"].as_bool().unwrap_or(false) {
            let handle = AsyncFaissStore::new(store.clone());
            search_type
                .parse::<SearchType>()
                .and_then(|t| handle.as_retriever(t, opts))
                .and_then(|r| self.rt.block_on(r.invoke(query)))
        } else {
            search_type
                .parse::<SearchType>()
                .and_then(|t| store.as_retriever(t, opts))
                .and_then(|r| r.invoke(query))
        };
        let expect = &op["expect"];
        match (result, expect.get("error"), deviation) {
            (Ok(docs), Some(_), Some(why)) => {
                let threshold = op["search_kwargs"]["score_threshold"]
                    .as_f64()
                    .ok_or("no threshold")?;
                let rel = store
                    .similarity_search_with_relevance_scores(
                        str_field(op, "query")?,
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
            (Ok(docs), None, _) => {
                self.compare_docs(&docs, &expect["docs"])?;
                Ok(Status::Pass)
            }
            (Ok(docs), Some(err), None) => Err(format!("expected error {err}, got {docs:?}")),
            (Err(e), Some(err), _) => compare_error(&e, err).map(|_| Status::Pass),
            (Err(e), None, _) => Err(format!("unexpected error: {e}")),
        }
    }

    fn op_search_dispatch(&mut self, op: &Value) -> Result<Status, String> {
        let name = str_field(op, "store")?;
        let store = self.stores.get(name).ok_or("unknown store")?;
        let opts = options_of(&op["kwargs"]).map_err(|e| format!("{e:?}"))?;
        let query = str_field(op, "query").unwrap_or_default();
        let search_type = op["search_type"]
            .as_str()
            .unwrap_or_default()
            .parse::<SearchType>();
        let result = if op["async"].as_bool().unwrap_or(false) {
            let handle = AsyncFaissStore::new(store.clone());
            search_type.and_then(|t| self.rt.block_on(handle.search(query, t, opts)))
        } else {
            search_type.and_then(|t| store.search(query, t, &opts))
        };
        let expect = &op["expect"];
        match (result, expect.get("error")) {
            (Ok(docs), None) => self
                .compare_docs(&docs, &expect["docs"])
                .map(|_| Status::Pass),
            (Ok(docs), Some(err)) => Err(format!("expected error {err}, got {docs:?}")),
            (Err(e), Some(err)) => compare_error(&e, err).map(|_| Status::Pass),
            (Err(e), None) => Err(format!("unexpected error: {e}")),
        }
    }

    // ----- persistence ----------------------------------------------------------------

    fn op_save_local(&mut self, op: &Value) -> Result<Status, String> {
        let name = str_field(op, "store")?;
        let store = self.stores.get(name).ok_or("unknown store")?;
        let folder = self.workdir.join(str_field(op, "folder")?);
        let index_name = op["index_name"].as_str().unwrap_or("index");
        store
            .save_local(&folder, index_name)
            .map_err(|e| format!("save_local failed: {e}"))?;
        let mut notes = Vec::new();
        if let Some(files) = op["expect"]["files"].as_object() {
            for (file, want) in files {
                if file.ends_with(".pkl") {
                    notes.push(format!("{file} not compared: we write {index_name}.docstore instead of a pickle (by design)"));
                    continue;
                }
                let bytes = std::fs::read(folder.join(file)).map_err(|e| format!("{file}: {e}"))?;
                let sha = hex(&Sha256::digest(&bytes));
                if want["size"].as_u64() != Some(bytes.len() as u64)
                    || want["sha256"].as_str() != Some(sha.as_str())
                {
                    return Err(format!(
                        "{file}: {} bytes sha256 {sha}, LangChain/Faiss wrote {} bytes sha256 {}",
                        bytes.len(),
                        want["size"],
                        want["sha256"]
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

    fn op_load_local(&mut self, op: &Value, deviation: Option<&str>) -> Result<Status, String> {
        let name = str_field(op, "store")?.to_string();
        let folder = self.workdir.join(str_field(op, "folder")?);
        let embedder = embedder_of(&op["embedding"])?;
        let mut opts = LoadOptions::new().index_name(op["index_name"].as_str().unwrap_or("index"));
        if let Some(d) = op["distance_strategy"].as_str() {
            opts =
                opts.distance_strategy(d.parse::<DistanceStrategy>().map_err(|e| e.to_string())?);
        }
        if let Some(n) = op["normalize_L2"].as_bool() {
            opts = opts.normalize_l2(n);
        }
        let result = FaissStore::load_local(&folder, embedder, &opts);
        self.finish_load(&name, op, result, deviation)
    }

    fn op_serialize_roundtrip(
        &mut self,
        op: &Value,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let name = str_field(op, "store")?.to_string();
        let from = self
            .stores
            .get(str_field(op, "from_store")?)
            .ok_or("unknown store")?;
        let bytes = from.serialize_to_bytes().map_err(|e| e.to_string())?;
        let embedder = embedder_of(&op["embedding"])?;
        let result = FaissStore::deserialize_from_bytes(&bytes, embedder, &LoadOptions::new());
        self.finish_load(&name, op, result, deviation)
    }

    fn finish_load(
        &mut self,
        name: &str,
        op: &Value,
        result: Result<FaissStore, StoreError>,
        deviation: Option<&str>,
    ) -> Result<Status, String> {
        let expect = &op["expect"];
        match (result, expect.get("error"), deviation) {
            (Ok(store), Some(_), Some(why)) => {
                // No flag needed: the load must give the same store as the source.
                let source = op["from_store"].as_str().unwrap_or("s");
                let want = self.state_json(self.stores.get(source).ok_or("unknown source")?);
                let got = self.state_json(&store);
                if want != got {
                    return Err(format!("loaded {got}, saved {want}"));
                }
                Ok(Status::Ours(why.to_string()))
            }
            (Ok(store), None, _) => {
                let status = match expect.get("state") {
                    Some(state) => self.compare_state(name, state_json(&store), state)?,
                    None => Status::Pass,
                };
                self.stores.insert(name.to_string(), store);
                Ok(status)
            }
            (Ok(_), Some(err), None) => Err(format!("expected error {err}, the load succeeded")),
            (Err(e), Some(err), _) => compare_error(&e, err).map(|_| Status::Pass),
            (Err(e), None, _) => Err(format!("unexpected error: {e}")),
        }
    }

    /// `TextLoader(file)` with the working directory set to the case folder (a scratch
    /// copy), after writing the given bytes there.
    fn op_load_text(&mut self, op: &Value) -> Result<Status, String> {
        let file = str_field(op, "file")?;
        if let Some(hex) = op["write_bytes_hex"].as_str() {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|e| e.to_string())?;
            std::fs::write(self.workdir.join(file), bytes).map_err(|e| e.to_string())?;
        }
        let mut loader = TextLoader::new(file);
        if let Some(enc) = op["encoding"].as_str() {
            loader = loader.with_encoding(enc);
        }
        std::env::set_current_dir(&self.workdir).map_err(|e| e.to_string())?;
        let result = loader.load();
        std::env::set_current_dir(repo_root()).map_err(|e| e.to_string())?;
        let expect = &op["expect"];
        match (result, expect.get("error")) {
            (Ok(docs), None) => self
                .compare_docs(&docs, &expect["docs"])
                .map(|_| Status::Pass),
            (Ok(docs), Some(err)) => Err(format!("expected error {err}, loaded {docs:?}")),
            (Err(e), Some(err)) => {
                let msg = err["message"].as_str().unwrap_or_default();
                if err["type"] == "RuntimeError" && e.to_string().starts_with(msg) {
                    Ok(Status::Pass)
                } else {
                    Err(format!("error {e}, LangChain {err}"))
                }
            }
            (Err(e), None) => Err(format!("unexpected error: {e}")),
        }
    }

    // ----- comparisons ----------------------------------------------------------------

    /// Our state in the golden `state` shape, with our ids.
    fn state_json(&self, store: &FaissStore) -> Value {
        state_json(store)
    }

    fn compare_state(&mut self, name: &str, got: Value, want: &Value) -> Result<Status, String> {
        self.compare_state_json(name, got, want)
    }
}

/// A store's state in the golden `state` shape, with our ids.
fn state_json(store: &FaissStore) -> Value {
    {
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
}

impl CaseRunner<'_> {
    fn compare_state_json(
        &mut self,
        name: &str,
        got: Value,
        want: &Value,
    ) -> Result<Status, String> {
        let mut want = want.clone();
        let diverged = self.diverged.contains(name);
        if diverged {
            // LangChain's store is inconsistent here; ours holds one row per mapped id.
            let mapped = want["index_to_docstore_id"].as_array().map_or(0, Vec::len);
            want["ntotal"] = json!(mapped);
        }
        for key in [
            "index_type",
            "dim",
            "ntotal",
            "distance_strategy",
            "normalize_L2",
        ] {
            if got[key] != want[key] {
                return Ok(Status::Fail(format!(
                    "state.{key}: ours {}, LangChain {}",
                    got[key], want[key]
                )));
            }
        }
        let got_map: Vec<&str> = got["index_to_docstore_id"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p[1].as_str().unwrap_or_default())
            .collect();
        let want_map: Vec<Value> = want["index_to_docstore_id"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p[1].clone())
            .collect();
        self.compare_ids(&got_map, &want_map)
            .map_err(|e| format!("state.index_to_docstore_id: {e}"))?;
        let got_ids: Vec<&str> = got["docstore_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap_or_default())
            .collect();
        let want_ids: Vec<Value> = want["docstore_ids"].as_array().cloned().unwrap_or_default();
        if diverged && got_ids.len() != want_ids.len() {
            // LangChain deleted documents but kept their rows; ours kept both.
            self.compare_ids(&got_ids, &want_map)
                .map_err(|e| format!("state.docstore_ids: {e}"))?;
        } else {
            self.compare_ids(&got_ids, &want_ids)
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

    /// Compares our ids with golden ids, binding `$gen:N` to our generated ids.
    fn compare_ids(&mut self, got: &[&str], want: &[Value]) -> Result<(), String> {
        if got.len() != want.len() {
            return Err(format!(
                "{} ids, LangChain {}: {got:?} vs {want:?}",
                got.len(),
                want.len()
            ));
        }
        for (g, w) in got.iter().zip(want) {
            self.id_matches(g, w)?;
        }
        Ok(())
    }

    fn id_matches(&mut self, got: &str, want: &Value) -> Result<(), String> {
        let key = match want {
            Value::Null => "null".to_string(),
            Value::String(s) if s.starts_with("$gen:") => s.clone(),
            Value::String(s) => {
                return if s == got {
                    Ok(())
                } else {
                    Err(format!("id {got:?}, LangChain {s:?}"))
                }
            }
            other => return Err(format!("unexpected id value {other}")),
        };
        match self.gen.get(&key) {
            Some(bound) if bound == got => Ok(()),
            Some(bound) => Err(format!("{key} is {bound:?} in this case, got {got:?}")),
            None if key == "null" => Err(format!("LangChain has a None id where we have {got:?}")),
            None => {
                if !is_uuid4(got) {
                    return Err(format!("{key} should be a generated uuid v4, got {got:?}"));
                }
                if !self.gen_taken.insert(got.to_string()) {
                    return Err(format!("{got:?} is already bound to another generated id"));
                }
                self.gen.insert(key, got.to_string());
                Ok(())
            }
        }
    }

    fn compare_docs(&mut self, got: &[Document], want: &Value) -> Result<(), String> {
        let want = want.as_array().ok_or("expected docs missing")?;
        if got.len() != want.len() {
            return Err(format!(
                "{} docs ({:?}), LangChain {} ({:?})",
                got.len(),
                got.iter()
                    .map(|d| d.id.clone().unwrap_or_default())
                    .collect::<Vec<_>>(),
                want.len(),
                want.iter().map(|d| d["id"].clone()).collect::<Vec<_>>()
            ));
        }
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            match (&g.id, &w["id"]) {
                (None, Value::Null) => {}
                (None, want) => return Err(format!("doc {i}: no id, LangChain {want}")),
                (Some(id), want) => self
                    .id_matches(id, want)
                    .map_err(|e| format!("doc {i}: {e}"))?,
            }
            if Some(g.page_content.as_str()) != w["page_content"].as_str() {
                return Err(format!(
                    "doc {i}: page_content {:?}, LangChain {}",
                    g.page_content, w["page_content"]
                ));
            }
            let want_meta = w.get("metadata").cloned().unwrap_or_else(|| json!({}));
            if Value::Object(g.metadata.clone()) != want_meta {
                return Err(format!(
                    "doc {i}: metadata {:?}, LangChain {want_meta}",
                    g.metadata
                ));
            }
        }
        Ok(())
    }

    fn compare_output(&mut self, out: &Output, expect: &Value) -> Result<(), String> {
        match out {
            Output::Docs(docs) => self.compare_docs(docs, &expect["docs"]),
            Output::Scored(pairs) => {
                let docs: Vec<Document> = pairs.iter().map(|(d, _)| d.clone()).collect();
                self.compare_docs(&docs, &expect["docs"])?;
                let scores: Vec<f32> = pairs.iter().map(|(_, s)| *s).collect();
                match expect.get("scores") {
                    Some(want) => compare_scores(&scores, want),
                    None if docs.is_empty() => Ok(()),
                    None => Err("LangChain recorded no scores".into()),
                }
            }
            Output::Ids(ids) => {
                let want = expect["ids"]
                    .as_array()
                    .cloned()
                    .ok_or("expected ids missing")?;
                let got: Vec<&str> = ids.iter().map(String::as_str).collect();
                self.compare_ids(&got, &want)
            }
            Output::Value(v) => {
                if expect.get("value") == Some(v) {
                    Ok(())
                } else {
                    Err(format!("value {v}, LangChain {}", expect["value"]))
                }
            }
        }
    }

    /// Checks a similarity search against a brute-force f64 scan of the store.
    fn brute_force_check(
        &self,
        name: &str,
        args: &Value,
        opts: &SearchOptions,
        method: &str,
        out: &Output,
    ) -> Result<(), String> {
        if opts.filter.is_some() || opts.score_threshold.is_some() || method.contains("marginal") {
            return Err("brute-force check supports plain similarity searches only".into());
        }
        let store = &self.stores[name];
        let query = match args.get("embedding") {
            Some(v) => floats_of(v)?,
            None => store
                .embeddings()
                .embed_query(args["query"].as_str().unwrap_or_default())
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
                Ok((store.index_to_docstore_id()[row].clone(), s))
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
        args: &Value,
        pairs: &[(Document, f32)],
    ) -> Result<(), String> {
        let store = &self.stores[name];
        let q = floats_of(&args["embedding"])?;
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

// ----- ops without a store ------------------------------------------------------------

/// A `CharacterTextSplitter` from LangChain's keyword arguments.
fn splitter_of(spec: &Value) -> Result<CharacterTextSplitter, ferrofaiss_text::SplitterError> {
    let mut o = CharacterTextSplitterOptions::default();
    if let Some(v) = spec["separator"].as_str() {
        o.separator = v.to_string();
    }
    if let Some(v) = spec["is_separator_regex"].as_bool() {
        o.is_separator_regex = v;
    }
    if let Some(v) = spec["chunk_size"].as_i64() {
        o.chunk_size = v;
    }
    if let Some(v) = spec["chunk_overlap"].as_i64() {
        o.chunk_overlap = v;
    }
    o.keep_separator = match &spec["keep_separator"] {
        Value::Bool(true) | Value::String(_) if spec["keep_separator"] != "end" => {
            KeepSeparator::Start
        }
        Value::String(_) => KeepSeparator::End,
        _ => KeepSeparator::Drop,
    };
    if let Some(v) = spec["add_start_index"].as_bool() {
        o.add_start_index = v;
    }
    if let Some(v) = spec["strip_whitespace"].as_bool() {
        o.strip_whitespace = v;
    }
    CharacterTextSplitter::new(o)
}

/// `split_text`, `split_documents`, `splitter_init` and `split_file` through
/// `ferrofaiss-text`.
fn op_split(op: &Value) -> Result<Status, String> {
    let expect = &op["expect"];
    let splitter = match splitter_of(&op["splitter"]) {
        Ok(s) => s,
        Err(e) => {
            return match expect.get("error") {
                Some(err) if err["message"].as_str() == Some(e.to_string().as_str()) => {
                    Ok(Status::Pass)
                }
                Some(err) => Err(format!("error {e}, LangChain {err}")),
                None => Err(format!("splitter refused: {e}")),
            }
        }
    };
    if let Some(err) = expect.get("error") {
        return Err(format!("expected error {err}, the splitter was built"));
    }
    let lengths = |chunks: &[String]| {
        chunks
            .iter()
            .map(|c| c.chars().count() as u64)
            .collect::<Vec<_>>()
    };
    let want_u64 = |key: &str| -> Vec<u64> {
        expect[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect()
    };
    match op["op"].as_str().unwrap_or_default() {
        "splitter_init" => Ok(Status::Pass),
        "split_text" => {
            let split = splitter
                .split_text_with_warnings(str_field(op, "text")?)
                .map_err(|e| e.to_string())?;
            compare_split_logs(&split.warnings, expect)?;
            let chunks = split.chunks;
            let want = strings_of(&expect["chunks"])?;
            if chunks != want || lengths(&chunks) != want_u64("chunk_lengths") {
                return Err(format!("chunks {chunks:?}, LangChain {want:?}"));
            }
            Ok(Status::Pass)
        }
        "split_documents" => {
            let docs = documents_of(&op["documents"])?;
            let got = splitter.split_documents(&docs).map_err(|e| e.to_string())?;
            let want: Vec<Document> = documents_of(&expect["docs"])?;
            if got != want {
                return Err(format!("documents {got:?}, LangChain {want:?}"));
            }
            Ok(Status::Pass)
        }
        _ => {
            let docs = TextLoader::new(str_field(op, "path")?)
                .load()
                .map_err(|e| e.to_string())?;
            let text = docs
                .first()
                .map(|d| d.page_content.as_str())
                .unwrap_or_default();
            let split = splitter
                .split_text_with_warnings(text)
                .map_err(|e| e.to_string())?;
            compare_split_logs(&split.warnings, expect)?;
            let chunks = split.chunks;
            let sha: Vec<String> = chunks
                .iter()
                .map(|c| hex(&Sha256::digest(c.as_bytes())))
                .collect();
            let first40: Vec<String> = chunks
                .iter()
                .map(|c| c.chars().take(40).collect())
                .collect();
            if Some(chunks.len() as u64) != expect["num_chunks"].as_u64()
                || lengths(&chunks) != want_u64("chunk_lengths")
                || sha != strings_of(&expect["chunk_sha256"])?
                || (expect.get("chunk_first_40").is_some()
                    && first40 != strings_of(&expect["chunk_first_40"])?)
            {
                return Err(format!(
                    "{} chunks {:?} differ from LangChain's",
                    chunks.len(),
                    lengths(&chunks)
                ));
            }
            Ok(Status::Pass)
        }
    }
}

/// The splitter's warnings against LangChain's recorded log records.
fn compare_split_logs(warnings: &[SplitWarning], expect: &Value) -> Result<(), String> {
    let got: Vec<(String, String)> = warnings
        .iter()
        .map(|w| (w.logger().to_string(), w.to_string()))
        .collect();
    let want: Vec<(String, String)> = expect["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            (
                l["logger"].as_str().unwrap_or_default().to_string(),
                l["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    if got == want {
        Ok(())
    } else {
        Err(format!("split warnings {got:?}, LangChain logged {want:?}"))
    }
}

fn op_mmr_raw(op: &Value) -> Result<Status, String> {
    let query = floats_of(&op["query_embedding"])?;
    let list: Vec<Vec<f32>> = op["embedding_list"]
        .as_array()
        .ok_or("embedding_list")?
        .iter()
        .map(floats_of)
        .collect::<Result<_, _>>()?;
    let lambda = op["lambda_mult"].as_f64().ok_or("lambda_mult")? as f32;
    let k = op["k"].as_u64().ok_or("k")? as usize;
    let got = maximal_marginal_relevance(&query, &list, lambda, k);
    let want: Vec<usize> = op["expect"]["selected"]
        .as_array()
        .ok_or("selected")?
        .iter()
        .map(|v| v.as_u64().unwrap_or(u64::MAX) as usize)
        .collect();
    if got == want {
        Ok(Status::Pass)
    } else {
        Err(format!("selected {got:?}, LangChain {want:?}"))
    }
}

fn op_filter_eval(op: &Value) -> Result<Status, String> {
    let expect = &op["expect"];
    let filter = match Filter::from_json(&op["filter"]) {
        Ok(f) => f,
        Err(e) => {
            return match expect.get("error") {
                Some(err) => compare_error(&StoreError::Filter(e), err).map(|_| Status::Pass),
                None => Err(format!("filter refused: {e}")),
            }
        }
    };
    if let Some(err) = expect.get("error") {
        return Err(format!("expected compile error {err}, the filter compiled"));
    }
    let metadatas = metadatas_of(&op["metadatas"])?.unwrap_or_default();
    let want = expect["results"].as_array().ok_or("results")?;
    if want.len() != metadatas.len() {
        return Err("results and metadatas differ in length".into());
    }
    for (i, (m, w)) in metadatas.iter().zip(want).enumerate() {
        match (filter.matches(m), w) {
            (Ok(b), Value::Bool(wb)) if b == *wb => {}
            (Err(e), Value::Object(o)) if o.contains_key("error") => {
                compare_error(&StoreError::FilterEval(e), &o["error"])
                    .map_err(|x| format!("metadata {i}: {x}"))?
            }
            (got, w) => return Err(format!("metadata {i}: {got:?}, LangChain {w}")),
        }
    }
    Ok(Status::Pass)
}

fn op_embed(op: &Value) -> Result<Status, String> {
    let embedder = embedder_of(&op["embedding"])?;
    let texts = strings_of(&op["texts"])?;
    let got = embedder
        .embed_documents(&texts)
        .map_err(|e| e.to_string())?;
    let want = op["expect"]["vectors_f32"]
        .as_array()
        .ok_or("vectors_f32")?;
    if got.len() != want.len() {
        return Err(format!("{} vectors, LangChain {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let w = floats_of(w)?;
        if g != &w {
            return Err(format!("vector {i} differs"));
        }
    }
    // The trigram embedder also exposes its float64 vectors: compare them exactly.
    if op["embedding"]["kind"] == "trigram" {
        let spec = &op["embedding"];
        let trigram = TrigramEmbeddings::new(
            spec["dim"].as_u64().unwrap_or(64) as usize,
            spec["normalize"].as_bool().unwrap_or(true),
        )
        .map_err(|e| e.to_string())?;
        let want = op["expect"]["vectors_f64"]
            .as_array()
            .ok_or("vectors_f64")?;
        for (i, (text, w)) in texts.iter().zip(want).enumerate() {
            let w: Vec<f64> = w
                .as_array()
                .ok_or("vector")?
                .iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN))
                .collect();
            if trigram.embed_f64(text) != w {
                return Err(format!("float64 vector {i} differs"));
            }
        }
    }
    Ok(Status::Pass)
}

fn op_fnv(op: &Value) -> Result<Status, String> {
    let inputs = strings_of(&op["inputs"])?;
    let want = strings_of(&op["expect"]["hashes"])?;
    let got: Vec<String> = inputs
        .iter()
        .map(|s| fnv1a64(s.as_bytes()).to_string())
        .collect();
    if got == want {
        Ok(Status::Pass)
    } else {
        Err(format!("hashes {got:?}, LangChain {want:?}"))
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

fn compare_error(e: &StoreError, want: &Value) -> Result<(), String> {
    let ty = want["type"].as_str().unwrap_or_default();
    let msg = want["message"].as_str().unwrap_or_default();
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

fn options_of(args: &Value) -> Result<SearchOptions, OptionsError> {
    let mut opts = SearchOptions::new();
    if args.is_null() {
        return Ok(opts);
    }
    let usize_of = |key: &str| -> Result<Option<usize>, OptionsError> {
        match &args[key] {
            Value::Null => Ok(None),
            v => v
                .as_u64()
                .map(|x| Some(x as usize))
                .ok_or_else(|| OptionsError::Other(format!("{key} = {v} is not a count"))),
        }
    };
    if let Some(k) = usize_of("k")? {
        opts.k = k;
    }
    if let Some(f) = usize_of("fetch_k")? {
        opts.fetch_k = f;
    }
    if let Some(l) = args["lambda_mult"].as_f64() {
        opts.lambda_mult = l as f32;
    }
    if let Some(t) = args["score_threshold"].as_f64() {
        opts.score_threshold = Some(t as f32);
    }
    match &args["filter"] {
        Value::Null => {}
        Value::Object(o) if o.contains_key("$callable") => {
            // A Python callable: use a Rust closure with the generator-checked
            // equivalent dict as its logic.
            let compiled =
                Filter::from_json(&o["equivalent_dict"]).map_err(OptionsError::Filter)?;
            opts.filter = Some(Filter::from_fn(move |m| {
                compiled.matches(m).unwrap_or(false)
            }));
        }
        v => opts.filter = Some(Filter::from_json(v).map_err(OptionsError::Filter)?),
    }
    Ok(opts)
}

fn embedder_of(spec: &Value) -> Result<Arc<dyn Embeddings>, String> {
    match spec["kind"].as_str() {
        Some("fake") => Ok(Arc::new(FakeEmbeddings::new())),
        Some("trigram") => {
            let dim = spec["dim"].as_u64().unwrap_or(64) as usize;
            let normalize = spec["normalize"].as_bool().unwrap_or(true);
            Ok(Arc::new(
                TrigramEmbeddings::new(dim, normalize).map_err(|e| e.to_string())?,
            ))
        }
        other => Err(format!("unknown embedder {other:?}")),
    }
}

fn relevance_fn_of(spec: &Value) -> Result<Option<RelevanceScoreFn>, String> {
    match spec["kind"].as_str() {
        None => Ok(None),
        // Python `a + b * d` with float a, b and numpy float32 d stays float32.
        Some("linear") => {
            let a = spec["intercept"].as_f64().ok_or("intercept")? as f32;
            let b = spec["slope"].as_f64().ok_or("slope")? as f32;
            Ok(Some(RelevanceScoreFn::new(move |d| a + b * d)))
        }
        Some("const") => {
            let c = spec["value"].as_f64().ok_or("value")? as f32;
            Ok(Some(RelevanceScoreFn::new(move |_| c)))
        }
        Some(other) => Err(format!("unknown relevance_score_fn kind {other}")),
    }
}

fn str_field<'a>(op: &'a Value, key: &str) -> Result<&'a str, String> {
    op[key].as_str().ok_or_else(|| format!("missing {key}"))
}

fn strings_of(v: &Value) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("{v} is not a list"))?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{s} is not a string"))
        })
        .collect()
}

fn ids_of(v: &Value) -> Result<Option<Vec<String>>, String> {
    match v {
        Value::Null => Ok(None),
        other => strings_of(other).map(Some),
    }
}

fn floats_of(v: &Value) -> Result<Vec<f32>, String> {
    v.as_array()
        .ok_or_else(|| format!("{v} is not a vector"))?
        .iter()
        .map(|x| {
            x.as_f64()
                .map(|f| f as f32)
                .ok_or_else(|| format!("{x} is not a number"))
        })
        .collect()
}

fn metadatas_of(v: &Value) -> Result<Option<Vec<Metadata>>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .iter()
            .map(|m| match m {
                Value::Object(o) => Ok(o.clone()),
                Value::Null => Ok(Metadata::new()),
                other => Err(format!("metadata {other} is not a dict")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        other => Err(format!("metadatas {other} is not a list")),
    }
}

fn documents_of(v: &Value) -> Result<Vec<Document>, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("documents: {e}"))
}

fn text_embeddings_of(v: &Value) -> Result<Vec<(String, Vec<f32>)>, String> {
    v.as_array()
        .ok_or("text_embeddings is not a list")?
        .iter()
        .map(|pair| {
            let text = pair[0].as_str().ok_or("text")?.to_string();
            Ok((text, floats_of(&pair[1])?))
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

fn close(a: f64, b: f64) -> bool {
    let diff = (a - b).abs();
    diff <= 1e-6 || diff <= 1e-5 * a.abs().max(b.abs())
}

fn compare_scores(got: &[f32], want: &Value) -> Result<(), String> {
    let want: Vec<f64> = want
        .as_array()
        .ok_or("scores is not a list")?
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    if got.len() != want.len() || got.iter().zip(&want).any(|(g, w)| !close(*g as f64, *w)) {
        return Err(format!("scores {got:?}, LangChain {want:?}"));
    }
    Ok(())
}

fn is_uuid4(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
        && b.iter().enumerate().all(|(i, c)| {
            [8, 13, 18, 23].contains(&i) || c.is_ascii_digit() || (b'a'..=b'f').contains(c)
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
