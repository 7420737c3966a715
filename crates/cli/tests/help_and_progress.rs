//! The help texts name every factory string, and `index` shows progress on a terminal
//! for large inputs, and nothing without one or with `--json`.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::*;

/// Every factory string this build's `index_factory` accepts, as the help spells them.
const FACTORY_STRINGS: [&str; 16] = [
    "Flat",
    "IVF{nlist},Flat",
    "SQ8",
    "SQfp16",
    "IVF{nlist},SQ8",
    "IVF{nlist},SQfp16",
    "HNSW{M}",
    "HNSW{M},Flat",
    "IDMap,Flat",
    "IDMap2,Flat",
    "IDMap,SQ8",
    "IDMap,SQfp16",
    "IDMap2,SQ8",
    "IDMap2,SQfp16",
    "IDMap,HNSW{M}",
    "IDMap2,HNSW{M}",
];

#[test]
fn bench_and_index_help_list_every_factory_string_with_its_braces() {
    for cmd in ["bench", "index"] {
        let help = ff([cmd, "--help"]).ok().stdout;
        let line = help
            .lines()
            .find(|l| l.contains("IVF{nlist},Flat"))
            .unwrap_or_else(|| panic!("{cmd} --help has no IVF{{nlist}},Flat:\n{help}"));
        for spec in FACTORY_STRINGS {
            assert!(line.contains(spec), "{cmd} --help lacks {spec}: {line}");
        }
        assert!(
            !help.contains("IVF\n"),
            "{cmd} --help breaks the IVF line:\n{help}"
        );
    }
    // The list is the one the factory itself reports for a string it does not know.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("idx");
    let run = ff([
        "index".as_ref(),
        SOTU.as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--index".as_ref(),
        "PQ8".as_ref(),
    ])
    .fails_with("PQ8");
    assert!(run.stderr.contains(&FACTORY_STRINGS.join(", ")), "{run:?}");
}

/// A text of about 2 MiB (the State of the Union, 52 times over): loading, splitting
/// and embedding all count as large.
fn large_text(dir: &Path) -> std::path::PathBuf {
    let sotu = fs::read_to_string(SOTU).unwrap();
    let path = dir.join("large.txt");
    fs::write(&path, sotu.repeat(52)).unwrap();
    assert!(fs::metadata(&path).unwrap().len() > 2_000_000);
    path
}

#[test]
fn index_draws_no_progress_without_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let text = large_text(tmp.path());
    let out = tmp.path().join("idx");
    let run = ff([
        "index".as_ref(),
        text.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    assert!(run.stderr.is_empty(), "stderr: {:?}", run.stderr);
    assert!(run.stdout.starts_with("indexed "), "{run:?}");

    // --json: one document describing what was indexed.
    let run = ff([
        "index".as_ref(),
        text.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--overwrite".as_ref(),
        "--json".as_ref(),
    ])
    .ok();
    assert!(run.stderr.is_empty(), "stderr: {:?}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["files"], 1);
    assert!(doc["chunks"].as_u64().unwrap() > 2000, "{doc}");
    assert_eq!(doc["out"], out.to_str().unwrap());
    assert_eq!(doc["index"], "IndexFlatL2");
}

/// Runs `ferrofaiss ARGS` under a pseudo-terminal (util-linux `script`) and returns
/// what the terminal received (stdout and stderr together), or `None` where `script`
/// is missing.
fn on_a_terminal(args: &[&str]) -> Option<String> {
    let probe = Command::new("script").arg("--version").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let bin = env!("CARGO_BIN_EXE_ferrofaiss");
    let command = std::iter::once(bin)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = ferrofaiss_env(Command::new("script"))
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script runs");
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `cmd` with the environment the `ferrofaiss` test helper sets.
fn ferrofaiss_env(mut cmd: Command) -> Command {
    let reference = ferrofaiss();
    for (k, v) in reference.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

#[test]
fn index_shows_loading_splitting_and_embedding_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let text = large_text(tmp.path());
    let (t, out) = (text.to_str().unwrap(), tmp.path().join("idx"));
    let o = out.to_str().unwrap();
    let Some(screen) = on_a_terminal(&["index", t, "--out", o]) else {
        return;
    };
    for phase in ["loading", "splitting", "embedding"] {
        assert!(screen.contains(phase), "no {phase} bar in {screen:?}");
    }
    assert!(screen.contains("indexed "), "{screen:?}");

    // With --json the terminal gets the JSON document alone.
    let screen = on_a_terminal(&["index", t, "--out", o, "--overwrite", "--json"]).unwrap();
    let doc: serde_json::Value = serde_json::from_str(screen.trim()).expect("only JSON");
    assert_eq!(doc["files"], 1);

    // A small input draws no bar on a terminal either.
    let screen = on_a_terminal(&["index", SOTU, "--out", o, "--overwrite"]).unwrap();
    for phase in ["loading", "splitting", "embedding"] {
        assert!(
            !screen.contains(phase),
            "{phase} bar for a small input: {screen:?}"
        );
    }
}
