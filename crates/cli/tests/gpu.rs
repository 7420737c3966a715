//! `ferrofaiss gpu`: names the adapter (on the backend `WGPU_BACKEND` asks for), or
//! fails with one line saying what was looked for. Without an adapter the success
//! test is skipped, except under `CI=true`.

#![cfg(feature = "gpu")]

mod support;

use support::*;

/// A private runtime folder: without one, the Wayland client library that wgpu's GL
/// backend probes prints a line of its own to stderr.
fn gpu_command(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = ferrofaiss();
    cmd.arg("gpu").env("XDG_RUNTIME_DIR", dir);
    cmd
}

#[test]
fn gpu_names_the_adapter_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut gpu_command(dir.path()));
    if out.code != Some(0) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no adapter: {out:?}"
        );
        out.fails_with("no GPU adapter found");
        return;
    }
    assert!(out.stdout.starts_with("adapter: "), "{out:?}");
    let backend = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("backend: "))
        .expect("a backend line");
    if let Ok(wanted) = std::env::var("WGPU_BACKEND") {
        assert!(wanted.eq_ignore_ascii_case(backend), "{out:?}");
    }
    assert!(out.stdout.contains("max_storage_binding="), "{out:?}");
}

#[test]
fn an_adapter_name_that_matches_nothing_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    run(gpu_command(dir.path()).env("WGPU_ADAPTER_NAME", "no-such-adapter-xyz"))
        .fails_with("\"no-such-adapter-xyz\" (WGPU_ADAPTER_NAME)");
}

#[test]
fn index_and_search_on_the_gpu_give_the_cpu_folder_and_answers() {
    let runtime = tempfile::tempdir().unwrap();
    if run(&mut gpu_command(runtime.path())).code != Some(0) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and no adapter"
        );
        return;
    }
    let on_gpu = tempfile::tempdir().unwrap();
    let on_cpu = tempfile::tempdir().unwrap();
    for (dir, device) in [(on_gpu.path(), "gpu"), (on_cpu.path(), "cpu")] {
        run(ferrofaiss()
            .env("XDG_RUNTIME_DIR", runtime.path())
            .args(["index", SOTU, "--out"])
            .arg(dir)
            .args(["--device", device]))
        .ok();
    }
    // The folder built on the GPU is the CPU's, apart from the random document ids in
    // the docstore: the index file is byte for byte the same.
    assert_eq!(
        std::fs::read(on_gpu.path().join("index.faiss")).unwrap(),
        std::fs::read(on_cpu.path().join("index.faiss")).unwrap()
    );
    let search = |device: &str| {
        run(ferrofaiss()
            .env("XDG_RUNTIME_DIR", runtime.path())
            .arg("search")
            .arg(on_cpu.path())
            .args([KETANJI, "--json", "-k", "3", "--device", device]))
        .ok()
        .json()
    };
    let (gpu, cpu) = (search("gpu"), search("cpu"));
    assert_eq!(result_ids(&gpu)[0], result_ids(&cpu)[0]);
    assert_eq!(result_ids(&gpu).len(), 3);
}
