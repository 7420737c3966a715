//! Bad usage and bad input: exit code 2, one line on stderr naming the problem, no
//! panic or backtrace, and a saved folder that a failing command leaves as it was.

mod support;

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use support::*;

fn args(parts: &[&dyn AsRefOs]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_os()).collect()
}

/// Strings and paths as command-line arguments.
trait AsRefOs {
    fn as_os(&self) -> OsString;
}
impl AsRefOs for &str {
    fn as_os(&self) -> OsString {
        OsString::from(*self)
    }
}
impl AsRefOs for &Path {
    fn as_os(&self) -> OsString {
        self.as_os_str().to_owned()
    }
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    ff(["frobnicate"]).fails_with("frobnicate");
    ff::<[&str; 0], &str>([]).fails_with("a command is needed");
    ff(["search"]).fails_with("required");
    ff(["search", "dir", "q", "-k", "0"]).fails_with("at least 1");
    ff(["search", "dir", "q", "-k", "many"]).fails_with("many");
    ff(["search", "dir", "q", "--lambda", "0.3"]).fails_with("--mmr");
    ff(["search", "dir", "q", "--mmr", "--threshold", "1"]).fails_with("--threshold");
    ff(["index", "a.txt"]).fails_with("--out");
    ff(["index", "a.txt", "--out", "o", "--distance", "manhattan"]).fails_with("manhattan");
    ff(["delete", "dir"]).fails_with("IDS");
    // Help and version still print normally and succeed.
    let help = ff(["--help"]).ok();
    for cmd in ["demo", "index", "search", "info", "delete", "merge"] {
        assert!(help.stdout.contains(cmd), "{cmd} missing from --help");
    }
    assert!(ff(["--version"]).ok().stdout.contains("simd:"));
}

#[test]
fn unreadable_files_name_the_file_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("latin1.txt");
    fs::write(&bad, b"caf\xe9 au lait").unwrap();
    let out = tmp.path().join("out");
    let run = ff(args(&[&"index", &bad.as_path(), &"--out", &out.as_path()]));
    let run = run.fails_with("latin1.txt");
    assert!(run.stderr.contains("byte offset 3"), "{run:?}");
    assert!(!out.exists(), "nothing is written when loading fails");

    // Inside a folder too.
    let folder = tmp.path().join("docs");
    fs::create_dir(&folder).unwrap();
    fs::write(folder.join("good.txt"), "fine text").unwrap();
    fs::write(folder.join("zz_bad.txt"), b"ok\xff").unwrap();
    ff(args(&[
        &"index",
        &folder.as_path(),
        &"--out",
        &out.as_path(),
    ]))
    .fails_with("zz_bad.txt")
    .stderr
    .contains("byte offset 2")
    .then_some(())
    .expect("offset named");

    ff(args(&[
        &"index",
        &tmp.path().join("missing.txt").as_path(),
        &"--out",
        &out.as_path(),
    ]))
    .fails_with("missing.txt");
}

#[test]
fn empty_inputs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let out = tmp.path().join("out");
    ff(args(&[
        &"index",
        &empty.as_path(),
        &"--out",
        &out.as_path(),
    ]))
    .fails_with("holds no files");
    let blank = tmp.path().join("blank.txt");
    fs::write(&blank, "\n\n   \n").unwrap();
    ff(args(&[
        &"index",
        &blank.as_path(),
        &"--out",
        &out.as_path(),
    ]))
    .fails_with("no text");
    assert!(!out.exists());
}

#[test]
fn missing_or_foreign_index_folders_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    ff(args(&[&"search", &missing.as_path(), &"q"])).fails_with("does not exist");
    ff(args(&[&"info", &missing.as_path()])).fails_with("does not exist");
    ff(args(&[&"delete", &missing.as_path(), &"id"])).fails_with("does not exist");
    let plain = tmp.path().join("plain");
    fs::create_dir(&plain).unwrap();
    ff(args(&[&"info", &plain.as_path()])).fails_with("index.faiss is missing");
    ff(args(&[&"merge", &plain.as_path(), &missing.as_path()])).fails_with("index.faiss");
}

#[test]
fn bad_search_options_are_refused_before_the_index_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    index_sotu(&dir);
    let search = |extra: &[&str]| {
        let mut a = args(&[&"search", &dir.as_path(), &"q"]);
        a.extend(extra.iter().map(OsString::from));
        ff(a)
    };
    search(&["--filter", "{page: 1"]).fails_with("not valid JSON");
    search(&["--filter", "[1, 2]"]).fails_with("must be a dict");
    search(&["--filter", r#"{"page": {"$near": 1}}"#]).fails_with("unsupported operator: $near");
    search(&["--mmr", "--lambda", "1.5"]).fails_with("--lambda");
    search(&["--threshold", "NaN"]).fails_with("--threshold");
    // A valid filter that matches nothing is not an error.
    let none = search(&["--filter", r#"{"page": 7}"#, "--json"])
        .ok()
        .json();
    assert_eq!(none["results"], serde_json::json!([]));
}

#[test]
fn bad_index_settings_are_refused_and_save_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let index = |extra: &[&str]| {
        let mut a = args(&[&"index", &SOTU, &"--out", &out.as_path()]);
        a.extend(extra.iter().map(OsString::from));
        ff(a)
    };
    index(&["--index", "PQ8"]).fails_with("PQ8");
    index(&["--index", "IVF1000,Flat"]).fails_with("clusters");
    index(&["--chunk-size", "0"]).fails_with("chunk_size must be > 0");
    index(&["--chunk-size", "10", "--chunk-overlap", "20"]).fails_with("larger chunk overlap");
    index(&["--chunk-overlap", "-1"]).fails_with("chunk_overlap must be >= 0");
    assert!(!out.join("index.faiss").exists());
}

#[test]
fn failed_commands_leave_the_saved_folder_loadable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    index_sotu(&dir);
    let before = snapshot(&dir);
    let top = result_ids(&search_json(&dir, KETANJI, 1));

    // Indexing over it without --overwrite, or with a bad file and --overwrite.
    ff(args(&[&"index", &SOTU, &"--out", &dir.as_path()])).fails_with("already holds an index");
    let bad = tmp.path().join("bad.txt");
    fs::write(&bad, b"\xff\xfe\xfd").unwrap();
    ff(args(&[
        &"index",
        &bad.as_path(),
        &"--out",
        &dir.as_path(),
        &"--overwrite",
    ]))
    .fails_with("bad.txt");
    // Deleting unknown or repeated ids, merging with itself.
    ff(args(&[&"delete", &dir.as_path(), &"no-such-id"])).fails_with("no-such-id");
    ff(args(&[
        &"delete",
        &dir.as_path(),
        &top[0].as_str(),
        &top[0].as_str(),
    ]))
    .fails_with("duplicate");
    ff(args(&[&"merge", &dir.as_path(), &dir.as_path()])).fails_with("already in");

    assert_eq!(snapshot(&dir), before, "no file changed");
    assert_eq!(result_ids(&search_json(&dir, KETANJI, 1)), top);
}

#[test]
fn a_different_embedder_is_refused_by_search() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    index_sotu(&dir);
    let run = run(ferrofaiss().env("OPENAI_API_KEY", "sk-test").args(args(&[
        &"search",
        &dir.as_path(),
        &"q",
        &"--embedder",
        &"openai",
    ])));
    let run = run.fails_with("was indexed with embedder hashing-v1(");
    assert!(run.stderr.contains("openai(model="), "{run:?}");
    // The recorded embedder is used when none is named.
    ff(args(&[
        &"search",
        &dir.as_path(),
        &"q",
        &"--embedder",
        &"hashing",
    ]))
    .ok();
}

#[test]
fn an_unreachable_openai_endpoint_is_a_clear_error() {
    // A port that was open a moment ago and is now closed: connections are refused.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}/v1");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = run(ferrofaiss()
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_BASE_URL", &base)
        .args(args(&[
            &"index",
            &SOTU,
            &"--out",
            &out.as_path(),
            &"--embedder",
            &"openai",
        ])));
    let run = run.fails_with("unreachable");
    assert!(run.stderr.contains(&base), "names the endpoint: {run:?}");
    assert!(!out.exists(), "nothing saved");

    // Without a key the message says which variable to set.
    ff(args(&[
        &"index",
        &SOTU,
        &"--out",
        &out.as_path(),
        &"--embedder",
        &"openai",
    ]))
    .fails_with("OPENAI_API_KEY");
}

#[test]
fn a_simd_tier_request_that_cannot_be_honoured_stops_every_command() {
    // A tier this CPU lacks (NEON on x86, AVX-512 on aarch64) and a name that is no tier.
    let missing = if cfg!(target_arch = "x86_64") {
        "neon"
    } else {
        "avx512"
    };
    for (tier, fragment) in [(missing, "not supported"), ("sse9", "unknown SIMD tier")] {
        for command in [&["simd"][..], &["info", "/nonexistent"][..]] {
            run(ferrofaiss().env("FERROFAISS_SIMD", tier).args(command))
                .fails_with(fragment)
                .fails_with("FERROFAISS_SIMD");
        }
    }
    // A tier it has runs, and says so.
    let forced = run(ferrofaiss().env("FERROFAISS_SIMD", "scalar").arg("simd")).ok();
    assert!(forced.stdout.contains("active tier: scalar"), "{forced:?}");
}

#[test]
fn index_sizes_beyond_any_memory_are_refused_not_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for spec in ["IVF1099511627776,Flat", "IVF100000000,Flat"] {
        ff([
            "index".as_ref(),
            SOTU.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            "--index".as_ref(),
            spec.as_ref(),
        ])
        .fails_with("nlist");
        assert!(!out.exists(), "{spec}: nothing saved");
    }
}
