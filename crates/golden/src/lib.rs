//! What every crate's golden runner shares (dev-only, never published).
//!
//! The golden cases in `fixtures/golden/cases/*.json` were recorded from the real
//! LangChain + faiss-cpu (format: `shared/golden/README.md`). Each crate that implements
//! some of their op kinds has a `harness = false` test target named `golden` that calls
//! [`main`]: every case file its crate owns becomes one trial named `golden_<file stem>`,
//! so `cargo test -p <crate> golden_fake_mmr` filters as usual.
//!
//! * **Ownership** ([`Owner`], [`Case::owner`]): every op kind belongs to exactly one
//!   crate's runner ([`OP_KINDS`]). A case file belongs to the runner of its ops; a case
//!   that mixes ops of several runners belongs to the store's runner when it has store ops
//!   (the store sits above every other crate and runs their ops too), and to nobody
//!   otherwise, which is an error naming the case and the two op kinds. An unknown op kind
//!   is an error naming the case, the op and the kind. A new case file made of known op
//!   kinds needs no code change.
//! * **Typed access** ([`Fields`]): every field read returns `Err(String)` naming the
//!   field (`args.k: expected a count, got "x"`), never a panic or a silent `null`.
//! * **Generated ids** ([`GenIds`]): `$gen:N` in `expect` binds to the ids the port
//!   generates, in order; `$gen:N` anywhere in an op's arguments is replaced by its bound
//!   id before the op runs.
//! * **Bookkeeping** ([`Status`], [`CaseLog`], [`Deviation`]): pass, fail, skip, or checked
//!   against our documented behaviour, with listed deviations that must be reached.
//! * **Warnings and logs** ([`capture`], [`compare_warnings`]): the `tracing` events an
//!   op emits are captured per case and compared with the op's recorded `warnings`
//!   (Python `warnings.warn`) and `logs` (Python `logging`) by [`run_case`], for every
//!   runner.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};

pub mod capture;

use capture::Captured;

// ----- ownership ---------------------------------------------------------------------------

/// The crate whose `golden` runner owns an op kind (and the case files made of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Owner {
    /// `ferrofaiss-docstore`: metadata filters.
    Docstore,
    /// `ferrofaiss-embeddings`: the deterministic embedders and FNV-1a.
    Embeddings,
    /// `ferrofaiss-text`: the text loader and splitters.
    Text,
    /// `ferrofaiss`: the vector store, which depends on every other crate.
    Store,
}

impl Owner {
    /// Every runner, in the order their crates depend on each other.
    pub const ALL: [Owner; 4] = [
        Owner::Docstore,
        Owner::Embeddings,
        Owner::Text,
        Owner::Store,
    ];

    /// The package whose `golden` test target is this runner.
    pub fn package(self) -> &'static str {
        match self {
            Owner::Docstore => "ferrofaiss-docstore",
            Owner::Embeddings => "ferrofaiss-embeddings",
            Owner::Text => "ferrofaiss-text",
            Owner::Store => "ferrofaiss",
        }
    }

    /// The op kinds this runner owns.
    pub fn op_kinds(self) -> impl Iterator<Item = &'static str> {
        OP_KINDS
            .iter()
            .filter(move |(_, o)| *o == self)
            .map(|(k, _)| *k)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.package())
    }
}

/// Every op kind of the case format, with the runner that owns it.
pub const OP_KINDS: &[(&str, Owner)] = &[
    ("filter_eval", Owner::Docstore),
    ("embed", Owner::Embeddings),
    ("fnv1a64", Owner::Embeddings),
    ("split_text", Owner::Text),
    ("split_documents", Owner::Text),
    ("splitter_init", Owner::Text),
    ("split_file", Owner::Text),
    ("load_text", Owner::Text),
    ("create", Owner::Store),
    ("call", Owner::Store),
    ("state", Owner::Store),
    ("retriever", Owner::Store),
    ("search_dispatch", Owner::Store),
    ("save_local", Owner::Store),
    ("load_local", Owner::Store),
    ("serialize_roundtrip", Owner::Store),
    ("mmr_raw", Owner::Store),
];

/// The runner that owns an op kind, if any does.
pub fn owner_of_kind(kind: &str) -> Option<Owner> {
    OP_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, o)| *o)
}

// ----- locations ---------------------------------------------------------------------------

/// The workspace root: the nearest folder above this crate's manifest that holds
/// `fixtures/golden/cases` (tests run with their own crate folder as working directory).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|p| p.join("fixtures/golden/cases").is_dir())
        .unwrap_or(here)
        .to_path_buf()
}

/// `fixtures/golden/cases` under the workspace root.
pub fn cases_dir() -> PathBuf {
    workspace_root().join("fixtures/golden/cases")
}

/// The case files (`*.json`) of a folder, sorted by name.
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

static CWD: Mutex<()> = Mutex::new(());

/// Runs `f` with the process's working directory set to `dir`, then sets it back to the
/// workspace root. Trials run on several threads and the working directory is global:
/// every op that resolves a relative path must go through here.
pub fn with_current_dir<T>(dir: &Path, f: impl FnOnce() -> T) -> Result<T, String> {
    let _guard = CWD.lock().unwrap_or_else(PoisonError::into_inner);
    std::env::set_current_dir(dir).map_err(|e| format!("cd {}: {e}", dir.display()))?;
    let out = f();
    let root = workspace_root();
    std::env::set_current_dir(&root).map_err(|e| format!("cd {}: {e}", root.display()))?;
    Ok(out)
}

// ----- cases -------------------------------------------------------------------------------

/// One parsed case file.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's `name` (its folder under `cases/`, and the key of [`Deviation`]s).
    pub name: String,
    /// The file name without `.json`: the trial is `golden_<stem>`.
    pub stem: String,
    /// The ops, run in order.
    pub ops: Vec<Op>,
}

impl Case {
    /// Parses a case file's text. `stem` names it in errors.
    pub fn parse(stem: &str, text: &str) -> Result<Case, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("case {stem}: invalid JSON: {e}"))?;
        let top = Fields::root(&value);
        let name = top.str("name").map_err(|e| format!("case {stem}: {e}"))?;
        let ops = top
            .array("ops")
            .map_err(|e| format!("case {stem}: {e}"))?
            .iter()
            .enumerate()
            .map(|(i, op)| Op::new(i, op.clone()).map_err(|e| format!("case {stem}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Case {
            name: name.to_string(),
            stem: stem.to_string(),
            ops,
        })
    }

    /// Reads and parses a case file.
    pub fn load(path: &Path) -> Result<Case, String> {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("{}: not a case file name", path.display()))?;
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("case {stem}: unreadable: {e}"))?;
        Case::parse(stem, &text)
    }

    /// The trial's name: `golden_<file stem>`.
    pub fn trial_name(&self) -> String {
        format!("golden_{}", self.stem)
    }

    /// The runner that owns this case (see the crate docs for the rule).
    pub fn owner(&self) -> Result<Owner, String> {
        let mut owners: BTreeMap<Owner, &str> = BTreeMap::new();
        for op in &self.ops {
            let owner = owner_of_kind(&op.kind).ok_or_else(|| {
                format!(
                    "case {}: op {} has an unknown op kind {:?}: no runner knows it (known: {})",
                    self.stem,
                    op.index,
                    op.kind,
                    OP_KINDS
                        .iter()
                        .map(|(k, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            owners.entry(owner).or_insert(&op.kind);
        }
        let mut it = owners.iter();
        match (it.next(), it.next()) {
            (None, _) => Err(format!("case {}: no ops, so no runner", self.stem)),
            (Some((owner, _)), None) => Ok(*owner),
            _ if owners.contains_key(&Owner::Store) => Ok(Owner::Store),
            (Some((a, ka)), Some((b, kb))) => Err(format!(
                "case {}: mixes ops of {a} ({ka}) and {b} ({kb}) and has no store op: no runner owns it; split the case",
                self.stem
            )),
        }
    }
}

/// One op of a case, with its position.
#[derive(Debug, Clone)]
pub struct Op {
    /// Position in the case's `ops`.
    pub index: usize,
    /// The op kind (`"op"`).
    pub kind: String,
    /// The whole op object.
    pub value: Value,
}

impl Op {
    /// Wraps one element of `ops`: it must be an object with a string `op`.
    pub fn new(index: usize, value: Value) -> Result<Op, String> {
        let kind = Fields::new(&value, format!("ops[{index}]"))
            .str("op")?
            .to_string();
        Ok(Op { index, kind, value })
    }

    /// The op's fields (arguments and `expect`).
    pub fn fields(&self) -> Fields<'_> {
        Fields::root(&self.value)
    }

    /// The `expect` object (an empty one when the op records none).
    pub fn expect(&self) -> Result<Fields<'_>, String> {
        Ok(self
            .fields()
            .opt_field("expect")?
            .unwrap_or_else(|| Fields::new(&EMPTY, "expect".into())))
    }

    /// `method` when the op has one (for labels).
    pub fn method(&self) -> &str {
        self.value
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `<case> op <i> (<kind> <method>)`, the label of failures and notes.
    pub fn label(&self, case: &str) -> String {
        format!("{case} op {} ({} {})", self.index, self.kind, self.method())
    }
}

static EMPTY: Value = Value::Null;

// ----- typed field access ------------------------------------------------------------------

/// A JSON object (or any value) seen through accessors that fail with the field's path
/// instead of panicking. `null` counts as absent for the `opt_*` accessors.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    value: &'a Value,
    path: String,
}

fn kind_of(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}...", s.chars().take(77).collect::<String>())
    } else {
        s
    }
}

impl<'a> Fields<'a> {
    /// Top-level fields (paths are the bare keys).
    pub fn root(value: &'a Value) -> Fields<'a> {
        Fields::new(value, String::new())
    }

    /// A value with the path that names it in errors.
    pub fn new(value: &'a Value, path: String) -> Fields<'a> {
        Fields { value, path }
    }

    /// The wrapped value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// The path of this value (`args`, `expect.docs[2]`...).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path of a key under this value.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn err(&self, key: &str, want: &str, got: &Value) -> String {
        format!(
            "{}: expected {want}, got {}",
            self.path_of(key),
            kind_of(got)
        )
    }

    fn missing(&self, key: &str) -> String {
        match self.value {
            Value::Object(_) => format!("missing field {}", self.path_of(key)),
            Value::Null if self.path.is_empty() => format!("missing field {key}"),
            other if self.path.is_empty() => {
                format!("expected an object holding {key}, got {}", kind_of(other))
            }
            other => format!(
                "{}: expected an object holding {key}, got {}",
                self.path,
                kind_of(other)
            ),
        }
    }

    /// Whether the key is present (even as `null`).
    pub fn has(&self, key: &str) -> bool {
        self.value.get(key).is_some()
    }

    /// The key's value, when present and not `null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    /// The key's value as it is (`null` included); absent is an error.
    pub fn raw(&self, key: &str) -> Result<&'a Value, String> {
        self.value.get(key).ok_or_else(|| self.missing(key))
    }

    /// A required value, not `null`.
    pub fn req(&self, key: &str) -> Result<&'a Value, String> {
        self.get(key).ok_or_else(|| self.missing(key))
    }

    /// A nested value (any type), or `null` when absent.
    pub fn sub(&self, key: &str) -> Fields<'a> {
        Fields::new(self.value.get(key).unwrap_or(&EMPTY), self.path_of(key))
    }

    /// A required nested object.
    pub fn field(&self, key: &str) -> Result<Fields<'a>, String> {
        let v = self.req(key)?;
        if v.is_object() {
            Ok(Fields::new(v, self.path_of(key)))
        } else {
            Err(self.err(key, "an object", v))
        }
    }

    /// An optional nested object.
    pub fn opt_field(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.field(key).map(Some),
        }
    }

    /// A required string.
    pub fn str(&self, key: &str) -> Result<&'a str, String> {
        let v = self.req(key)?;
        v.as_str().ok_or_else(|| self.err(key, "a string", v))
    }

    /// An optional string.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| self.err(key, "a string", v)),
        }
    }

    /// An optional boolean.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| self.err(key, "a boolean", v)),
        }
    }

    /// A required non-negative integer.
    pub fn u64(&self, key: &str) -> Result<u64, String> {
        let v = self.req(key)?;
        v.as_u64().ok_or_else(|| self.err(key, "a count", v))
    }

    /// An optional non-negative integer.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.u64(key).map(Some),
        }
    }

    /// A required count that fits `usize`.
    pub fn usize(&self, key: &str) -> Result<usize, String> {
        let n = self.u64(key)?;
        usize::try_from(n).map_err(|_| format!("{}: {n} does not fit usize", self.path_of(key)))
    }

    /// An optional count that fits `usize`.
    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.usize(key).map(Some),
        }
    }

    /// An optional integer (may be negative).
    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.err(key, "an integer", v)),
        }
    }

    /// A required number.
    pub fn f64(&self, key: &str) -> Result<f64, String> {
        let v = self.req(key)?;
        v.as_f64().ok_or_else(|| self.err(key, "a number", v))
    }

    /// An optional number.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.f64(key).map(Some),
        }
    }

    /// A required list.
    pub fn array(&self, key: &str) -> Result<&'a [Value], String> {
        let v = self.req(key)?;
        v.as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.err(key, "a list", v))
    }

    /// An optional list.
    pub fn opt_array(&self, key: &str) -> Result<Option<&'a [Value]>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.array(key).map(Some),
        }
    }

    /// A required list, each element wrapped with its path (`key[i]`).
    pub fn items(&self, key: &str) -> Result<Vec<Fields<'a>>, String> {
        let path = self.path_of(key);
        Ok(self
            .array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| Fields::new(v, format!("{path}[{i}]")))
            .collect())
    }

    /// A required object, as a map.
    pub fn object(&self, key: &str) -> Result<&'a Map<String, Value>, String> {
        let v = self.req(key)?;
        v.as_object().ok_or_else(|| self.err(key, "an object", v))
    }

    /// A required list of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        let path = self.path_of(key);
        strings_at(self.req(key).map_err(|_| self.missing(key))?, &path)
    }

    /// An optional list of strings.
    pub fn opt_strings(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(_) => self.strings(key).map(Some),
        }
    }

    /// A required list of numbers, as `f32` (the cast LangChain's numpy makes).
    pub fn floats(&self, key: &str) -> Result<Vec<f32>, String> {
        let path = self.path_of(key);
        floats_at(self.req(key)?, &path)
    }

    /// A required list of numbers, as `f64`.
    pub fn f64s(&self, key: &str) -> Result<Vec<f64>, String> {
        let path = self.path_of(key);
        f64s_at(self.req(key)?, &path)
    }

    /// A required list of counts.
    pub fn u64s(&self, key: &str) -> Result<Vec<u64>, String> {
        self.items(key)?
            .iter()
            .map(|f| {
                f.value.as_u64().ok_or_else(|| {
                    format!("{}: expected a count, got {}", f.path, kind_of(f.value))
                })
            })
            .collect()
    }
}

/// A list of strings at `path`.
pub fn strings_at(v: &Value, path: &str) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("{path}: expected a list of strings, got {}", kind_of(v)))?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{path}[{i}]: expected a string, got {}", kind_of(s)))
        })
        .collect()
}

/// A list of numbers at `path`, as `f32`.
pub fn floats_at(v: &Value, path: &str) -> Result<Vec<f32>, String> {
    Ok(f64s_at(v, path)?.into_iter().map(|x| x as f32).collect())
}

/// A list of numbers at `path`, as `f64`.
pub fn f64s_at(v: &Value, path: &str) -> Result<Vec<f64>, String> {
    v.as_array()
        .ok_or_else(|| format!("{path}: expected a vector, got {}", kind_of(v)))?
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .ok_or_else(|| format!("{path}[{i}]: expected a number, got {}", kind_of(x)))
        })
        .collect()
}

// ----- generated ids -----------------------------------------------------------------------

/// The prefix of a generated-id placeholder (`$gen:N`).
pub const GEN_PREFIX: &str = "$gen:";

/// `$gen:N` placeholders bound to the ids this port generated, in the order they appear.
#[derive(Debug, Default)]
pub struct GenIds {
    bound: HashMap<String, String>,
    taken: HashSet<String>,
}

impl GenIds {
    /// Binds a placeholder (or `"null"`, for a deviation) to one of our ids.
    pub fn bind(&mut self, key: &str, id: &str) -> Result<(), String> {
        match self.bound.get(key) {
            Some(b) if b == id => return Ok(()),
            Some(b) => return Err(format!("{key} is {b:?} in this case, got {id:?}")),
            None => {}
        }
        if !self.taken.insert(id.to_string()) {
            return Err(format!("{id:?} is already bound to another generated id"));
        }
        self.bound.insert(key.to_string(), id.to_string());
        Ok(())
    }

    /// The id bound to a placeholder, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.bound.get(key).map(String::as_str)
    }

    /// Whether `got` (one of our ids) matches a recorded id: literal ids compare exactly,
    /// `$gen:N` (and `null`, once bound by a deviation) bind on first sight to a fresh
    /// uuid v4, then must stay the same.
    pub fn matches(&mut self, got: &str, want: &Value) -> Result<(), String> {
        let key = match want {
            Value::Null => "null".to_string(),
            Value::String(s) if s.starts_with(GEN_PREFIX) => s.clone(),
            Value::String(s) => {
                return if s == got {
                    Ok(())
                } else {
                    Err(format!("id {got:?}, LangChain {s:?}"))
                }
            }
            other => return Err(format!("unexpected id value {other}")),
        };
        match self.bound.get(&key) {
            Some(bound) if bound == got => Ok(()),
            Some(bound) => Err(format!("{key} is {bound:?} in this case, got {got:?}")),
            None if key == "null" => Err(format!("LangChain has a None id where we have {got:?}")),
            None => {
                if !is_uuid4(got) {
                    return Err(format!("{key} should be a generated uuid v4, got {got:?}"));
                }
                self.bind(&key, got)
            }
        }
    }

    /// Compares a list of our ids with recorded ones (see [`GenIds::matches`]).
    pub fn match_all(&mut self, got: &[&str], want: &[Value]) -> Result<(), String> {
        if got.len() != want.len() {
            return Err(format!(
                "{} ids, LangChain {}: {got:?} vs {want:?}",
                got.len(),
                want.len()
            ));
        }
        got.iter()
            .zip(want)
            .try_for_each(|(g, w)| self.matches(g, w))
    }

    /// The op with every `$gen:N` string in its arguments (any depth, `expect` aside)
    /// replaced by the id bound to it. A placeholder not bound yet is an error naming it.
    pub fn substitute(&self, op: &Op) -> Result<Op, String> {
        let Value::Object(map) = &op.value else {
            return Ok(op.clone());
        };
        let mut out = Map::new();
        for (key, value) in map {
            let v = if key == "expect" {
                value.clone()
            } else {
                self.substitute_value(value, key)?
            };
            out.insert(key.clone(), v);
        }
        Ok(Op {
            index: op.index,
            kind: op.kind.clone(),
            value: Value::Object(out),
        })
    }

    fn substitute_value(&self, v: &Value, path: &str) -> Result<Value, String> {
        Ok(match v {
            Value::String(s) if s.starts_with(GEN_PREFIX) => match self.bound.get(s) {
                Some(id) => Value::String(id.clone()),
                None => return Err(format!("{path}: {s} is used before this case generated it")),
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.substitute_value(x, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| {
                        Ok((k.clone(), self.substitute_value(x, &format!("{path}.{k}"))?))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// Whether `s` is a lowercase hyphenated uuid v4.
pub fn is_uuid4(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
        && b.iter().enumerate().all(|(i, c)| {
            [8, 13, 18, 23].contains(&i) || c.is_ascii_digit() || (b'a'..=b'f').contains(c)
        })
}

// ----- comparisons shared by runners ------------------------------------------------------

/// Scores agree within 1e-6 absolute or 1e-5 relative (FAISS computes in float32).
pub fn close(a: f64, b: f64) -> bool {
    let diff = (a - b).abs();
    diff <= 1e-6 || diff <= 1e-5 * a.abs().max(b.abs())
}

/// Lowercase hex of some bytes (sha256 digests).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A returned document, seen without its crate's type (`ferrofaiss-docstore`'s `Document`
/// would make this crate depend on a crate whose tests depend on it).
#[derive(Debug, Clone, Copy)]
pub struct DocView<'d> {
    /// The document's id, if it has one.
    pub id: Option<&'d str>,
    /// The text.
    pub page_content: &'d str,
    /// The metadata.
    pub metadata: &'d Map<String, Value>,
}

/// Compares returned documents with recorded `docs` (`[{id, page_content, metadata}]`),
/// in order: ids through `gen` (binding `$gen:N`), text and metadata exactly (a missing
/// `metadata` is `{}`).
pub fn compare_docs(
    gen: &mut GenIds,
    got: &[DocView<'_>],
    want: &Fields<'_>,
) -> Result<(), String> {
    let want_docs = want
        .value()
        .as_array()
        .ok_or_else(|| format!("{}: expected docs missing", want.path()))?;
    if got.len() != want_docs.len() {
        return Err(format!(
            "{} docs ({:?}), LangChain {} ({:?})",
            got.len(),
            got.iter()
                .map(|d| d.id.unwrap_or_default())
                .collect::<Vec<_>>(),
            want_docs.len(),
            want_docs
                .iter()
                .map(|d| d.get("id").cloned().unwrap_or(Value::Null))
                .collect::<Vec<_>>()
        ));
    }
    for (i, (g, w)) in got.iter().zip(want_docs).enumerate() {
        let wf = Fields::new(w, format!("{}[{i}]", want.path()));
        let want_id = wf.get("id").unwrap_or(&Value::Null);
        match (g.id, want_id) {
            (None, Value::Null) => {}
            (None, want) => return Err(format!("doc {i}: no id, LangChain {want}")),
            (Some(id), want) => gen.matches(id, want).map_err(|e| format!("doc {i}: {e}"))?,
        }
        if Some(g.page_content) != wf.get("page_content").and_then(Value::as_str) {
            return Err(format!(
                "doc {i}: page_content {:?}, LangChain {}",
                g.page_content,
                wf.sub("page_content").value()
            ));
        }
        let empty = Map::new();
        let want_meta = match w.get("metadata") {
            None => &empty,
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(format!(
                    "{}: expected an object, got {}",
                    wf.path_of("metadata"),
                    kind_of(other)
                ))
            }
        };
        if g.metadata != want_meta {
            return Err(format!(
                "doc {i}: metadata {:?}, LangChain {}",
                g.metadata,
                Value::Object(want_meta.clone())
            ));
        }
    }
    Ok(())
}

/// Compares the events an op emitted with the `warnings` (`[{category, message}]`) and
/// `logs` (`[{logger, level, message}]`) LangChain recorded for it (absent: none), in
/// order and by exact text. An event with a `category` field is a Python warning, one
/// with a `logger` field a Python log record; other events are not LangChain's and are
/// not compared.
pub fn compare_warnings(events: &[Captured], expect: &Fields<'_>) -> Result<(), String> {
    let got_warnings: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| {
            e.fields
                .get("category")
                .map(|c| (c.clone(), e.message.clone()))
        })
        .collect();
    let got_logs: Vec<(String, String, String)> = events
        .iter()
        .filter_map(|e| {
            e.fields
                .get("logger")
                .map(|l| (l.clone(), e.python_level().to_string(), e.message.clone()))
        })
        .collect();
    let want_warnings: Vec<(String, String)> = match expect.get("warnings") {
        None => Vec::new(),
        Some(_) => expect
            .items("warnings")?
            .iter()
            .map(|w| {
                Ok((
                    w.str("category")?.to_string(),
                    w.str("message")?.to_string(),
                ))
            })
            .collect::<Result<_, String>>()?,
    };
    let want_logs: Vec<(String, String, String)> = match expect.get("logs") {
        None => Vec::new(),
        Some(_) => expect
            .items("logs")?
            .iter()
            .map(|l| {
                Ok((
                    l.str("logger")?.to_string(),
                    l.str("level")?.to_string(),
                    l.str("message")?.to_string(),
                ))
            })
            .collect::<Result<_, String>>()?,
    };
    if got_warnings != want_warnings {
        return Err(format!(
            "warnings {got_warnings:?}, LangChain warned {want_warnings:?}"
        ));
    }
    if got_logs != want_logs {
        return Err(format!(
            "log records {got_logs:?}, LangChain logged {want_logs:?}"
        ));
    }
    Ok(())
}

// ----- status and bookkeeping --------------------------------------------------------------

/// The outcome of one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Matches what LangChain recorded.
    Pass,
    /// Differs from LangChain, or could not be run (the reason).
    Fail(String),
    /// Checked against our documented behaviour (deviation, hazard, MMR-filter score).
    Ours(String),
    /// Not run, with the reason.
    Skip(String),
}

/// An op that deliberately differs from LangChain, checked against our documented
/// behaviour instead; a listed deviation that is never reached is a failure.
#[derive(Debug, Clone, Copy)]
pub struct Deviation {
    /// The case's `name`.
    pub case: &'static str,
    /// The op's position in the case.
    pub op: usize,
    /// Why we differ.
    pub reason: &'static str,
}

/// An `expect` field a runner does not compare, with the reason.
#[derive(Debug, Clone, Copy)]
pub struct IgnoredField {
    /// The `expect` key.
    pub field: &'static str,
    /// Why it is not compared.
    pub reason: &'static str,
    /// Op kinds (prefixes) that do compare it.
    pub compared_by: &'static [&'static str],
}

/// What a runner is: its crate, its deviations, skipped op kinds and ignored fields.
#[derive(Debug, Clone, Copy)]
pub struct Harness {
    /// The crate whose cases this runner runs.
    pub owner: Owner,
    /// Ops checked against our documented behaviour instead of LangChain's.
    pub deviations: &'static [Deviation],
    /// Ops whose recorded `warnings` / `logs` we deliberately do not reproduce, with the
    /// reason: the op is reported as checked against our behaviour when its events
    /// differ; a listed one that never differs is a failure.
    pub warning_deviations: &'static [Deviation],
    /// Op kinds not run yet, with the reason (reported as skips, never passed).
    pub deferred_ops: &'static [(&'static str, &'static str)],
    /// `expect` fields without a Rust counterpart.
    pub ignored_fields: &'static [IgnoredField],
}

/// The results of one case's ops.
#[derive(Debug, Default)]
pub struct CaseLog {
    /// Ops that matched LangChain.
    pub pass: usize,
    /// Ops checked against our documented behaviour (`label: why`).
    pub ours: Vec<String>,
    /// Ops not run (`label: why`).
    pub skips: Vec<String>,
    /// Failures (`label: what`).
    pub failures: Vec<String>,
    /// Ignored `expect` fields and how many ops had them.
    pub ignored_fields: BTreeMap<&'static str, usize>,
    deviations_seen: HashSet<usize>,
    warning_deviations_seen: HashSet<usize>,
}

impl CaseLog {
    /// Records an op's outcome under its label, and counts its ignored `expect` fields.
    pub fn record(&mut self, harness: &Harness, case: &str, op: &Op, status: Status) {
        let label = op.label(case);
        if let Some(expect) = op.value.get("expect").and_then(Value::as_object) {
            for f in harness.ignored_fields {
                let compared = f.compared_by.iter().any(|p| op.kind.starts_with(p));
                if expect.contains_key(f.field) && !compared {
                    *self.ignored_fields.entry(f.field).or_default() += 1;
                }
            }
        }
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail(msg) => self.failures.push(format!("{label}: {msg}")),
            Status::Ours(why) => self.ours.push(format!("{label}: {why}")),
            Status::Skip(why) => self.skips.push(format!("{label}: {why}")),
        }
    }

    /// Adds another case's results (for the runner's total).
    pub fn absorb(&mut self, other: &CaseLog) {
        self.pass += other.pass;
        self.ours.extend(other.ours.iter().cloned());
        self.skips.extend(other.skips.iter().cloned());
        self.failures.extend(other.failures.iter().cloned());
        for (k, n) in &other.ignored_fields {
            *self.ignored_fields.entry(k).or_default() += n;
        }
    }

    /// `N passed against LangChain, N ours, N skipped, N failed`.
    pub fn counts(&self) -> String {
        format!(
            "{} ops passed against LangChain, {} checked against our documented behaviour, {} skipped, {} failed",
            self.pass,
            self.ours.len(),
            self.skips.len(),
            self.failures.len()
        )
    }
}

/// The state a case's ops share, besides the runner's own.
#[derive(Debug)]
pub struct CaseCtx<'h> {
    /// The runner's description.
    pub harness: &'h Harness,
    /// The case's name.
    pub case: String,
    /// A scratch copy of `cases/<case>/`: ops write here, never into fixtures.
    pub workdir: PathBuf,
    /// Generated-id bindings.
    pub gen: GenIds,
    /// Results so far.
    pub log: CaseLog,
}

impl CaseCtx<'_> {
    /// The listed deviation of op `index` of this case, marked as reached.
    pub fn deviation(&mut self, index: usize) -> Option<&'static str> {
        let found = self
            .harness
            .deviations
            .iter()
            .find(|d| d.case == self.case && d.op == index)
            .map(|d| d.reason);
        if found.is_some() {
            self.log.deviations_seen.insert(index);
        }
        found
    }
}

/// A crate's op implementations, one value per case (created on the trial's thread).
pub trait CaseRunner {
    /// Runs one op (its `$gen:N` arguments already substituted). `Err` is a failure.
    fn run_op(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String>;
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
            copy_dir(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Runs every op of a case through `runner` in `cases_dir`'s scratch copy, and checks
/// that the deviations listed for this case were reached. Never panics on a bad case.
pub fn run_case<R: CaseRunner>(
    harness: &Harness,
    case: &Case,
    cases_dir: &Path,
    runner: &mut R,
) -> CaseLog {
    let scratch = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            return CaseLog {
                failures: vec![format!("{}: no scratch folder: {e}", case.name)],
                ..CaseLog::default()
            }
        }
    };
    let workdir = scratch.path().join(&case.name);
    let mut ctx = CaseCtx {
        harness,
        case: case.name.clone(),
        workdir: workdir.clone(),
        gen: GenIds::default(),
        log: CaseLog::default(),
    };
    if let Err(e) = std::fs::create_dir_all(&workdir)
        .map_err(|e| e.to_string())
        .and_then(|()| copy_dir(&cases_dir.join(&case.name), &workdir))
    {
        ctx.log.failures.push(format!(
            "{}: scratch copy of the case folder: {e}",
            case.name
        ));
        return ctx.log;
    }
    let sink = capture::current();
    for op in &case.ops {
        sink.take();
        let status =
            if let Some((_, why)) = harness.deferred_ops.iter().find(|(k, _)| *k == op.kind) {
                Status::Skip(why.to_string())
            } else {
                match ctx.gen.substitute(op) {
                    Ok(bound) => runner.run_op(&mut ctx, &bound).unwrap_or_else(Status::Fail),
                    Err(e) => Status::Fail(e),
                }
            };
        // A listed deviation's op does something else than LangChain did, so its
        // recorded warnings do not apply.
        let deviates = ctx.log.deviations_seen.contains(&op.index);
        let status = match status {
            Status::Pass | Status::Ours(_) if !deviates => match op
                .expect()
                .and_then(|expect| compare_warnings(&sink.take(), &expect))
            {
                Ok(()) => status,
                Err(e) => match harness
                    .warning_deviations
                    .iter()
                    .find(|d| d.case == case.name && d.op == op.index)
                {
                    Some(d) => {
                        ctx.log.warning_deviations_seen.insert(op.index);
                        Status::Ours(format!("{} ({e})", d.reason))
                    }
                    None => Status::Fail(e),
                },
            },
            other => other,
        };
        ctx.log.record(harness, &case.name, op, status);
    }
    for d in harness
        .warning_deviations
        .iter()
        .filter(|d| d.case == case.name)
    {
        if !ctx.log.warning_deviations_seen.contains(&d.op) {
            ctx.log.failures.push(format!(
                "{} op {}: listed warning deviation never reached ({})",
                d.case, d.op, d.reason
            ));
        }
    }
    for d in harness.deviations.iter().filter(|d| d.case == case.name) {
        if !ctx.log.deviations_seen.contains(&d.op) {
            ctx.log.failures.push(format!(
                "{} op {}: listed deviation never reached ({})",
                d.case, d.op, d.reason
            ));
        }
    }
    ctx.log
}

fn report(harness: &Harness, title: &str, log: &CaseLog, details: bool) {
    println!("{title}: {}", log.counts());
    if details {
        for line in &log.ours {
            println!("  ours: {line}");
        }
        for line in &log.skips {
            println!("  skip: {line}");
        }
        for (field, n) in &log.ignored_fields {
            let why = harness
                .ignored_fields
                .iter()
                .find(|f| f.field == *field)
                .map_or("", |f| f.reason);
            println!("  not compared: expect.{field} in {n} ops ({why})");
        }
    }
}

/// The trials of a runner: one `golden_<stem>` per case file it owns, one failing trial
/// per case file nobody can own (unreadable, malformed, unknown op kind), and
/// `golden_deviations_listed`, which fails when a listed deviation names a case this
/// runner does not run.
pub fn trials<R, F>(
    harness: Harness,
    dir: &Path,
    make: F,
    totals: Arc<Mutex<(usize, CaseLog)>>,
    details: bool,
) -> Vec<libtest_mimic::Trial>
where
    R: CaseRunner,
    F: Fn() -> R + Send + Sync + Clone + 'static,
{
    use libtest_mimic::{Failed, Trial};
    let files = match case_files(dir) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            let msg = format!("no case files in {}", dir.display());
            return vec![Trial::test("golden_case_files", move || Err(msg.into()))];
        }
        Err(e) => return vec![Trial::test("golden_case_files", move || Err(e.into()))],
    };
    let mut out = Vec::new();
    let mut owned = HashSet::new();
    for file in files {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let case = match Case::load(&file).and_then(|c| c.owner().map(|o| (c, o))) {
            Ok((case, owner)) if owner == harness.owner => case,
            Ok(_) => continue,
            Err(e) => {
                out.push(Trial::test(format!("golden_{stem}"), move || Err(e.into())));
                continue;
            }
        };
        owned.insert(case.name.clone());
        let (make, dir, totals) = (make.clone(), dir.to_path_buf(), Arc::clone(&totals));
        out.push(Trial::test(case.trial_name(), move || {
            let mut runner = make();
            let log = run_case(&harness, &case, &dir, &mut runner);
            report(&harness, &case.trial_name(), &log, details);
            let mut t = totals.lock().unwrap_or_else(PoisonError::into_inner);
            t.0 += 1;
            t.1.absorb(&log);
            if log.failures.is_empty() {
                Ok(())
            } else {
                Err(Failed::from(format!(
                    "{} golden failures:\n{}",
                    log.failures.len(),
                    log.failures.join("\n")
                )))
            }
        }));
    }
    let stray: Vec<String> = harness
        .deviations
        .iter()
        .chain(harness.warning_deviations)
        .filter(|d| !owned.contains(d.case))
        .map(|d| {
            format!(
                "{} op {}: listed deviation of a case {} does not run ({})",
                d.case, d.op, harness.owner, d.reason
            )
        })
        .collect();
    out.push(Trial::test("golden_deviations_listed", move || {
        if stray.is_empty() {
            Ok(())
        } else {
            Err(stray.join("\n").into())
        }
    }));
    out
}

/// The `main` of a crate's `golden` test target (`harness = false`): builds the trials,
/// runs them with libtest-mimic (so `cargo test -p <crate> golden_<stem>` filters), prints
/// the runner's total, and exits with the standard status.
pub fn main<R, F>(harness: Harness, make: F) -> !
where
    R: CaseRunner,
    F: Fn() -> R + Send + Sync + Clone + 'static,
{
    let args = libtest_mimic::Arguments::from_args();
    // Relative fixture paths (the SOTU text) are relative to the workspace root.
    let _ = std::env::set_current_dir(workspace_root());
    let totals = Arc::new(Mutex::new((0, CaseLog::default())));
    let trials = trials(
        harness,
        &cases_dir(),
        make,
        Arc::clone(&totals),
        args.nocapture,
    );
    let conclusion = libtest_mimic::run(&args, trials);
    let t = totals.lock().unwrap_or_else(PoisonError::into_inner);
    if !args.list && t.0 > 0 {
        let title = format!("golden ({}): {} case files run", harness.owner, t.0);
        report(&harness, &title, &t.1, args.nocapture);
    }
    drop(t);
    conclusion.exit()
}

/// The whole `main` of a runner whose ops need no state between them and that lists no
/// deviations, deferred ops or ignored fields: each op of each owned case goes to `run_op`.
pub fn main_stateless(owner: Owner, run_op: OpFn) -> ! {
    let harness = Harness {
        owner,
        deviations: &[],
        warning_deviations: &[],
        deferred_ops: &[],
        ignored_fields: &[],
    };
    main(harness, move || Stateless(run_op))
}

/// One op of a stateless runner (see [`main_stateless`]).
pub type OpFn = fn(&mut CaseCtx<'_>, &Op) -> Result<Status, String>;

/// A [`CaseRunner`] that hands every op to one function.
#[derive(Clone, Copy)]
struct Stateless(OpFn);

impl CaseRunner for Stateless {
    fn run_op(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
        (self.0)(ctx, op)
    }
}
