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

/// A runtime folder for commands that need the adapter, or `None` (the test skips)
/// when there is none; under `CI=true` that fails.
fn runtime_with_adapter() -> Option<tempfile::TempDir> {
    let runtime = tempfile::tempdir().unwrap();
    if run(&mut gpu_command(runtime.path())).code == Some(0) {
        return Some(runtime);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true and no adapter"
    );
    None
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
    let Some(runtime) = runtime_with_adapter() else {
        return;
    };
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

/// Writes `rows` vectors of dimension `d` as `.fvecs`.
fn write_fvecs(path: &std::path::Path, d: usize, values: &[f32]) {
    let mut bytes = Vec::new();
    for row in values.chunks_exact(d) {
        bytes.extend_from_slice(&(d as i32).to_le_bytes());
        for v in row {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn bench_on_the_gpu_keeps_the_sections_and_marks_every_record() {
    let Some(runtime) = runtime_with_adapter() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = 8;
    let base: Vec<f32> = (0..300 * d).map(|i| ((i * 37) % 101) as f32).collect();
    let queries: Vec<f32> = (0..5 * d).map(|i| ((i * 13) % 97) as f32).collect();
    write_fvecs(&dir.path().join("base.fvecs"), d, &base);
    write_fvecs(&dir.path().join("query.fvecs"), d, &queries);
    let bench = |extra: &[&str]| {
        run(ferrofaiss()
            .env("XDG_RUNTIME_DIR", runtime.path())
            .arg("bench")
            .arg("--base")
            .arg(dir.path().join("base.fvecs"))
            .arg("--queries")
            .arg(dir.path().join("query.fvecs"))
            .args(["--device", "gpu"])
            .args(extra))
    };
    let out = bench(&["--reps", "1", "--single-target-s", "0.01", "--json"])
        .ok()
        .json();
    let records = out["records"].as_array().unwrap();
    let sections: Vec<&str> = records
        .iter()
        .map(|r| r["section"].as_str().unwrap())
        .collect();
    assert_eq!(sections, ["flat_add", "flat_single", "flat_batch"]);
    for r in records {
        assert_eq!(r["params"]["device"], "gpu", "{r}");
        assert!(
            r["impl"].as_str().unwrap().contains("GpuIndexFlatL2"),
            "{r}"
        );
    }
    // IVF: trained and filled on the host (records say device cpu), searched on the GPU.
    let out = bench(&[
        "--index",
        "IVF4,Flat",
        "--nprobe",
        "1,4",
        "--reps",
        "1",
        "--single-target-s",
        "0.01",
        "--json",
    ])
    .ok()
    .json();
    let devices: Vec<(String, String)> = out["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["section"].as_str().unwrap().to_string(),
                r["params"]["device"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |section: &str, device: &str| (section.to_string(), device.to_string());
    assert_eq!(
        devices,
        [
            expect("ivf_train", "cpu"),
            expect("ivf_add", "cpu"),
            expect("ivf_search", "gpu"),
            expect("ivf_single", "gpu"),
            expect("ivf_search", "gpu"),
            expect("ivf_single", "gpu"),
        ]
    );
    // Kinds the GPU does not hold: one line naming them.
    bench(&["--index", "SQ8"]).fails_with("--device gpu times Flat and IVF-Flat indexes");
}
