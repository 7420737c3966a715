//! Running the built `ferrofaiss` binary from tests.

#![allow(dead_code)]

pub mod openai_server;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The State of the Union text (the notebook's input).
pub const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);

/// The notebook's question.
pub const KETANJI: &str = "What did the president say about Ketanji Brown Jackson";

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// The stdout parsed as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", self.stdout))
    }

    /// Asserts success and returns self.
    pub fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "command failed: {self:?}");
        self
    }

    /// Asserts the failure contract: exit code 2, exactly one line on stderr that
    /// starts with `ferrofaiss: ` and contains `fragment`, no panic, no backtrace, and
    /// nothing on stdout.
    pub fn fails_with(self, fragment: &str) -> Self {
        assert_eq!(self.code, Some(2), "expected exit code 2: {self:?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one stderr line: {self:?}");
        assert!(
            lines[0].starts_with("ferrofaiss: "),
            "stderr should start with the program name: {self:?}"
        );
        assert!(
            lines[0].contains(fragment),
            "stderr should mention {fragment:?}: {self:?}"
        );
        for forbidden in ["panicked", "backtrace", "RUST_BACKTRACE", "internal error"] {
            assert!(!self.stderr.contains(forbidden), "{forbidden} in {self:?}");
        }
        assert!(
            self.stdout.is_empty(),
            "nothing on stdout on failure: {self:?}"
        );
        self
    }
}

/// A `ferrofaiss` command with no OpenAI settings inherited and backtraces requested
/// (so a panic would show one).
pub fn ferrofaiss() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrofaiss"));
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "FERROFAISS_SIMD",
        "FAISS_NO_AVX2",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_BACKTRACE", "1");
    cmd
}

/// Runs `cmd` to completion.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("the ferrofaiss binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `ferrofaiss ARGS...`.
pub fn ff<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run(ferrofaiss().args(args))
}

/// Indexes the SOTU text into `dir` with the hashing embedder.
pub fn index_sotu(dir: &Path) {
    ff([
        "index".as_ref(),
        SOTU.as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
    ])
    .ok();
}

/// `search DIR QUERY -k K --json`, parsed.
pub fn search_json(dir: &Path, query: &str, k: usize) -> serde_json::Value {
    ff([
        "search".as_ref(),
        dir.as_os_str(),
        query.as_ref(),
        "-k".as_ref(),
        k.to_string().as_ref(),
        "--json".as_ref(),
    ])
    .ok()
    .json()
}

/// The ids of a `search --json` document's results, in order.
pub fn result_ids(doc: &serde_json::Value) -> Vec<String> {
    doc["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| r["id"].as_str().expect("string id").to_string())
        .collect()
}

/// Every file of a saved folder with its bytes, to check a failed command left it as
/// it was.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("folder readable")
        .map(|e| {
            let path = e.expect("entry").path();
            let bytes = std::fs::read(&path).expect("file readable");
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}
