//! Files and results recorded from faiss-cpu 1.15.1 (`fixtures/faiss`): each flat and
//! IVF-Flat index Faiss wrote, moved to the GPU, returns Faiss's own labels and, bit for
//! bit, its distances (the data are binary fractions, so every sum is exact).

mod support;

use std::path::PathBuf;

use ferrofaiss_gpu::index_cpu_to_gpu;
use ferrofaiss_index::faiss_io::read_index;
use serde_json::Value;
use support::device;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/faiss")
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join(name)).unwrap()).unwrap()
}

#[test]
fn faiss_files_on_the_gpu_give_faiss_results() {
    if !device() {
        return;
    }
    let data = json("data.json");
    let queries: Vec<f32> = data["xq"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect();
    let expected = json("expected.json");
    for name in [
        "flat_l2",
        "flat_ip",
        "flat_l2_empty",
        "ivfflat",
        "ivfflat_sparse",
        "ivfflat_directmap",
        "ivfflat_ip",
    ] {
        let case = &expected["fixtures"][name];
        let cpu = read_index(fixtures().join(case["file"].as_str().unwrap())).unwrap();
        let gpu = index_cpu_to_gpu(cpu.as_ref()).unwrap();
        assert!(gpu.type_name().starts_with("Gpu"), "{name}");
        let k = case["search_k"].as_u64().unwrap() as usize;
        let got = gpu.search(&queries, k, None).unwrap();
        let labels: Vec<i64> = case["expected_labels"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()))
            .collect();
        let bits: Vec<u32> = case["expected_distances_f32_hex"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| u32::from_str_radix(v.as_str().unwrap(), 16).unwrap())
            })
            .collect();
        assert_eq!(got.labels, labels, "{name}");
        let got_bits: Vec<u32> = got.distances.iter().map(|d| d.to_bits()).collect();
        assert_eq!(got_bits, bits, "{name}");
    }
}
