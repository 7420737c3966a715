//! Native Faiss files against the fixtures written by faiss-cpu 1.15.1
//! (`fixtures/faiss`, see its README): decoding, byte-identical re-encoding,
//! search results, unsupported types, atomic writes.

use std::borrow::Cow;
use std::path::PathBuf;

use ferrofaiss_index::faiss_io::raw::{
    read_raw_index, write_raw_index, RawDirectMap, RawIndex, RawMetric,
};
use ferrofaiss_index::faiss_io::FaissIoError;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/faiss");

/// Fixtures of the supported types.
const SUPPORTED: [&str; 10] = [
    "flat_l2",
    "flat_ip",
    "flat_l2_empty",
    "idmap_flat",
    "idmap2_flat",
    "idmap2_flat_ip",
    "ivfflat",
    "ivfflat_sparse",
    "ivfflat_directmap",
    "ivfflat_ip",
];

/// Fixtures of other types, with the fourcc the error must name.
const UNSUPPORTED: [(&str, &str); 6] = [
    ("hnsw_flat", "IHNf"),
    ("hnsw_flat_ip", "IHNf"),
    ("sq8", "IxSQ"),
    ("sq8_ip", "IxSQ"),
    ("sqfp16", "IxSQ"),
    ("ivfsq8", "IwSq"),
];

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(FIXTURES).join(format!("{name}.faiss"))
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(file: &str) -> Value {
    let text = std::fs::read_to_string(PathBuf::from(FIXTURES).join(file)).expect("fixture json");
    serde_json::from_str(&text).expect("valid json")
}

fn expected(name: &str) -> Value {
    json("expected.json")["fixtures"][name].clone()
}

fn f32_rows(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("rows")
        .iter()
        .flat_map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number") as f32)
        })
        .collect()
}

fn i64_list(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_i64().expect("integer"))
        .collect()
}

fn xb() -> Vec<f32> {
    f32_rows(&json("data.json")["xb"])
}

#[test]
fn raw_reencoding_is_byte_identical_for_every_supported_fixture() {
    for name in SUPPORTED {
        let bytes = fixture_bytes(name);
        let raw = read_raw_index(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut out = Vec::new();
        write_raw_index(&raw, &mut out).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out, bytes, "{name}: re-encoded bytes differ");
        assert_eq!(
            raw.ntotal() as i64,
            expected(name)["ntotal"].as_i64().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn raw_flat_holds_the_base_vectors() {
    for (name, metric) in [
        ("flat_l2", RawMetric::L2),
        ("flat_ip", RawMetric::InnerProduct),
    ] {
        let RawIndex::Flat(flat) = read_raw_index(&fixture_bytes(name)).unwrap() else {
            panic!("{name} is not flat");
        };
        assert_eq!((flat.d, flat.metric), (4, metric));
        assert_eq!(flat.vectors.as_ref(), xb().as_slice());
    }
    let RawIndex::Flat(empty) = read_raw_index(&fixture_bytes("flat_l2_empty")).unwrap() else {
        panic!("flat_l2_empty is not flat");
    };
    assert_eq!((empty.d, empty.ntotal()), (4, 0));
}

#[test]
fn raw_id_maps_hold_ids_and_inner_vectors() {
    for (name, two_way) in [
        ("idmap_flat", false),
        ("idmap2_flat", true),
        ("idmap2_flat_ip", true),
    ] {
        let RawIndex::IdMap(map) = read_raw_index(&fixture_bytes(name)).unwrap() else {
            panic!("{name} is not an id map");
        };
        assert_eq!(map.two_way, two_way, "{name}");
        assert_eq!(
            map.ids.as_ref(),
            i64_list(&expected(name)["params"]["ids"]).as_slice()
        );
        let RawIndex::Flat(inner) = map.inner.as_ref() else {
            panic!("{name}: inner is not flat");
        };
        assert_eq!(inner.vectors.as_ref(), xb().as_slice());
    }
}

#[test]
fn raw_ivf_holds_centroids_lists_and_direct_map() {
    let base = xb();
    for name in [
        "ivfflat",
        "ivfflat_sparse",
        "ivfflat_directmap",
        "ivfflat_ip",
    ] {
        let e = expected(name);
        let RawIndex::IvfFlat(ivf) = read_raw_index(&fixture_bytes(name)).unwrap() else {
            panic!("{name} is not IVF-Flat");
        };
        assert_eq!(ivf.nlist, 4);
        assert_eq!(
            ivf.nprobe as i64,
            e["params"]["nprobe"].as_i64().unwrap(),
            "{name}"
        );
        if let Some(c) = e.get("centroids") {
            assert_eq!(
                ivf.quantizer.vectors.as_ref(),
                f32_rows(c).as_slice(),
                "{name}"
            );
        }
        let sizes: Vec<i64> = ivf.lists.iter().map(|l| l.ids.len() as i64).collect();
        assert_eq!(sizes, i64_list(&e["list_sizes"]), "{name}");
        // Every stored code is the base vector with the stored id.
        for list in &ivf.lists {
            for (j, &id) in list.ids.iter().enumerate() {
                let row = &base[id as usize * 4..id as usize * 4 + 4];
                assert_eq!(&list.codes[j * 4..j * 4 + 4], row, "{name} id {id}");
            }
        }
        let want_map = name == "ivfflat_directmap";
        match &ivf.direct_map {
            RawDirectMap::Array(a) => {
                assert!(want_map, "{name}");
                for (id, &lo) in a.iter().enumerate() {
                    let list = &ivf.lists[(lo >> 32) as usize];
                    assert_eq!(list.ids[(lo & 0xffff_ffff) as usize], id as i64);
                }
            }
            RawDirectMap::None => assert!(!want_map, "{name}"),
            RawDirectMap::Hashtable(_) => panic!("{name}: unexpected hashtable"),
        }
    }
}

#[test]
fn raw_writer_picks_full_or_sprs_by_list_occupancy() {
    // ivfflat_ip has lists [3, 3, 0, 2]: 3 non-empty > 4 / 2, so `full`.
    let ip = fixture_bytes("ivfflat_ip");
    assert!(ip.windows(4).any(|w| w == b"full"));
    // Emptying lists in memory must flip the encoding to `sprs` exactly at nz <= nlist/2,
    // and the result must decode to the same lists.
    let RawIndex::IvfFlat(mut ivf) = read_raw_index(&ip).unwrap() else {
        panic!("not IVF");
    };
    ivf.direct_map = RawDirectMap::None;
    for emptied in 0..4 {
        if emptied > 0 {
            ivf.lists[emptied - 1].ids = Cow::Owned(Vec::new());
            ivf.lists[emptied - 1].codes = Cow::Owned(Vec::new());
        }
        let non_empty = ivf.lists.iter().filter(|l| !l.ids.is_empty()).count();
        let mut out = Vec::new();
        write_raw_index(&RawIndex::IvfFlat(ivf.clone()), &mut out).unwrap();
        let tag: &[u8; 4] = if non_empty > 2 { b"full" } else { b"sprs" };
        assert!(out.windows(4).any(|w| w == tag), "nz {non_empty}");
        assert_eq!(
            read_raw_index(&out).unwrap(),
            RawIndex::IvfFlat(ivf.clone())
        );
    }
}

#[test]
fn raw_reader_names_unsupported_fourccs_and_metrics() {
    for (name, tag) in UNSUPPORTED {
        match read_raw_index(&fixture_bytes(name)) {
            Err(FaissIoError::UnsupportedFourcc(t)) => assert_eq!(t, tag, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    match read_raw_index(&fixture_bytes("flat_l1")) {
        Err(FaissIoError::UnsupportedMetric {
            fourcc,
            metric_type,
            name,
        }) => {
            assert_eq!((fourcc.as_str(), metric_type, name), ("IxFl", 2, "L1"));
        }
        other => panic!("flat_l1: {other:?}"),
    }
}

#[test]
fn raw_reader_rejects_wrong_magic_and_trailing_bytes() {
    let mut bytes = fixture_bytes("flat_l2");
    bytes[..4].copy_from_slice(&[0x80, 0x04, 0x95, 0x00]);
    assert!(
        matches!(read_raw_index(&bytes), Err(FaissIoError::BadMagic { found }) if found == [0x80, 4, 0x95, 0])
    );
    let mut bytes = fixture_bytes("flat_l2");
    bytes.push(0);
    assert!(matches!(
        read_raw_index(&bytes),
        Err(FaissIoError::TrailingBytes { end: 173, extra: 1 })
    ));
    assert!(matches!(
        read_raw_index(&[]),
        Err(FaissIoError::Truncated {
            offset: 0,
            needed: 4,
            available: 0
        })
    ));
}
