//! Native Faiss files against the fixtures written by faiss-cpu 1.15.1
//! (`fixtures/faiss`, see its README): decoding, byte-identical re-encoding,
//! search results, unsupported types, atomic writes.

use std::borrow::Cow;
use std::path::PathBuf;

use ferrofaiss_index::__internal::raw::{
    read_raw_index, write_raw_index, RawDirectMap, RawIndex, MAX_NESTING,
};
use ferrofaiss_index::faiss_io::{
    read_index, read_index_from_bytes, write_index, write_index_to, write_index_to_vec,
    FaissIoError,
};
use ferrofaiss_index::{
    DirectMapType, FlatIndex, IdMap, IdMap2, Index, IvfFlatIndex, IvfSqIndex, MetricType,
    QuantizerType, ScalarQuantizerIndex,
};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/faiss");

/// Fixtures of the supported types.
const SUPPORTED: [&str; 16] = [
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
    "sq8",
    "sq8_ip",
    "sqfp16",
    "ivfsq8",
    "hnsw_flat",
    "hnsw_flat_ip",
];

/// Files of types this crate does not read: an HNSW fixture with its tag changed to
/// HNSW over scalar-quantizer or PQ storage (`IHNs`, `IHNp`, the same body in Faiss),
/// with the fourcc the error must name.
const UNSUPPORTED: [&str; 2] = ["IHNs", "IHNp"];

/// `hnsw_flat.faiss` retagged as `tag`.
fn unsupported_bytes(tag: &str) -> Vec<u8> {
    let mut bytes = fixture_bytes("hnsw_flat");
    bytes[..4].copy_from_slice(tag.as_bytes());
    bytes
}

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
        ("flat_l2", MetricType::L2),
        ("flat_ip", MetricType::InnerProduct),
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
    for tag in UNSUPPORTED {
        match read_raw_index(&unsupported_bytes(tag)) {
            Err(FaissIoError::UnsupportedFourcc(t)) => assert_eq!(t, tag),
            other => panic!("{tag}: {other:?}"),
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

fn xq() -> Vec<f32> {
    f32_rows(&json("data.json")["xq"])
}

/// A fresh, empty folder under the system temp dir for one test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ferrofaiss-faiss-io-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Labels exactly, distances within 1e-5 relative, as recorded by faiss.
fn assert_search_matches(name: &str, index: &dyn Index) {
    let e = expected(name);
    let k = e["search_k"].as_u64().unwrap() as usize;
    let result = index
        .search(&xq(), k, None)
        .unwrap_or_else(|err| panic!("{name}: {err}"));
    let labels: Vec<i64> = e["expected_labels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(i64_list)
        .collect();
    let distances: Vec<f64> = e["expected_distances"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(result.labels, labels, "{name}: labels");
    for (got, want) in result.distances.iter().zip(&distances) {
        let got = f64::from(*got);
        assert!(
            (got - want).abs() <= 1e-5 * want.abs().max(1e-30),
            "{name}: distance {got} vs {want}"
        );
    }
}

#[test]
fn every_supported_fixture_loads_and_searches_like_faiss() {
    for name in SUPPORTED {
        let index = read_index(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            index.ntotal() as i64,
            expected(name)["ntotal"].as_i64().unwrap(),
            "{name}"
        );
        assert_eq!(index.dimension(), 4, "{name}");
        assert_search_matches(name, index.as_ref());
    }
}

#[test]
fn every_supported_fixture_is_written_back_byte_identically() {
    for name in SUPPORTED {
        let bytes = fixture_bytes(name);
        let index = read_index_from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(write_index_to_vec(index.as_ref()).unwrap(), bytes, "{name}");
        let mut streamed = Vec::new();
        write_index_to(index.as_ref(), &mut streamed).unwrap();
        assert_eq!(streamed, bytes, "{name}: write_index_to");
    }
}

#[test]
fn fixtures_load_as_the_concrete_index_types() {
    let flat = read_index(fixture_path("flat_ip")).unwrap();
    let flat = flat
        .as_any()
        .downcast_ref::<FlatIndex>()
        .expect("FlatIndex");
    assert_eq!(flat.metric(), MetricType::InnerProduct);
    assert_eq!(flat.vectors(), xb().as_slice());

    let map = read_index(fixture_path("idmap_flat")).unwrap();
    let map = map
        .as_any()
        .downcast_ref::<IdMap<FlatIndex>>()
        .expect("IdMap<FlatIndex>");
    assert_eq!(
        map.ids(),
        i64_list(&expected("idmap_flat")["params"]["ids"]).as_slice()
    );

    let map2 = read_index(fixture_path("idmap2_flat_ip")).unwrap();
    assert!(map2.as_any().downcast_ref::<IdMap2<FlatIndex>>().is_some());

    for name in [
        "ivfflat",
        "ivfflat_sparse",
        "ivfflat_directmap",
        "ivfflat_ip",
    ] {
        let ivf = read_index(fixture_path(name)).unwrap();
        let ivf = ivf
            .as_any()
            .downcast_ref::<IvfFlatIndex>()
            .expect("IvfFlatIndex");
        assert_eq!(ivf.nlist(), 4);
        assert_eq!(
            ivf.nprobe() as i64,
            expected(name)["params"]["nprobe"].as_i64().unwrap(),
            "{name}"
        );
        let want = if name == "ivfflat_directmap" {
            DirectMapType::Array
        } else {
            DirectMapType::NoMap
        };
        assert_eq!(ivf.direct_map().kind(), want, "{name}");
    }
    // The direct map makes vectors reconstructible by id.
    let ivf = read_index(fixture_path("ivfflat_directmap")).unwrap();
    for id in 0..8 {
        assert_eq!(
            ivf.reconstruct(id).unwrap(),
            xb()[id as usize * 4..id as usize * 4 + 4].to_vec()
        );
    }
}

#[test]
fn unsupported_fixtures_give_typed_errors_naming_the_type() {
    for tag in UNSUPPORTED {
        match read_index_from_bytes(&unsupported_bytes(tag)) {
            Err(FaissIoError::UnsupportedFourcc(t)) => assert_eq!(t, tag),
            other => panic!("{tag}: {other:?}"),
        }
    }
    let err = read_index(fixture_path("flat_l1")).unwrap_err();
    assert!(
        matches!(&err, FaissIoError::UnsupportedMetric { metric_type: 2, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("L1") && text.contains("IxFl"), "{text}");
}

/// Indexes built with this crate's own API, filled the way the fixtures' Python did,
/// must serialise to the very bytes faiss wrote.
#[test]
fn indexes_built_here_serialise_to_the_bytes_faiss_wrote() {
    let base = xb();
    let mut flat = FlatIndex::new(4, MetricType::L2).unwrap();
    flat.add(&base).unwrap();
    assert_eq!(write_index_to_vec(&flat).unwrap(), fixture_bytes("flat_l2"));

    let mut empty_ip = FlatIndex::new(4, MetricType::InnerProduct).unwrap();
    empty_ip.add(&base).unwrap();
    assert_eq!(
        write_index_to_vec(&empty_ip).unwrap(),
        fixture_bytes("flat_ip")
    );

    let ids = i64_list(&expected("idmap2_flat")["params"]["ids"]);
    let mut map = IdMap::new(FlatIndex::new(4, MetricType::L2).unwrap()).unwrap();
    map.add_with_ids(&base, &ids).unwrap();
    assert_eq!(
        write_index_to_vec(&map).unwrap(),
        fixture_bytes("idmap_flat")
    );
    let mut map2 = IdMap2::new(FlatIndex::new(4, MetricType::InnerProduct).unwrap()).unwrap();
    map2.add_with_ids(&base, &ids).unwrap();
    assert_eq!(
        write_index_to_vec(&map2).unwrap(),
        fixture_bytes("idmap2_flat_ip")
    );

    // IVF: centroids as faiss trained them (recorded), then the same adds.
    let centroids = f32_rows(&expected("ivfflat")["centroids"]);
    let ivf_with = |nprobe: usize, n: usize, map: DirectMapType| {
        let mut ivf = IvfFlatIndex::new(4, 4, MetricType::L2).unwrap();
        ivf.train_with_centroids(&centroids).unwrap();
        ivf.set_nprobe(nprobe).unwrap();
        ivf.add(&base[..n * 4]).unwrap();
        ivf.set_direct_map_type(map).unwrap();
        ivf
    };
    assert_eq!(
        write_index_to_vec(&ivf_with(2, 8, DirectMapType::NoMap)).unwrap(),
        fixture_bytes("ivfflat")
    );
    assert_eq!(
        write_index_to_vec(&ivf_with(2, 4, DirectMapType::NoMap)).unwrap(),
        fixture_bytes("ivfflat_sparse")
    );
    assert_eq!(
        write_index_to_vec(&ivf_with(4, 8, DirectMapType::Array)).unwrap(),
        fixture_bytes("ivfflat_directmap")
    );
    // Inner-product IVF: faiss's spherical-ish centroids (recorded as f32 decimals).
    let mut ivf_ip = IvfFlatIndex::new(4, 4, MetricType::InnerProduct).unwrap();
    ivf_ip
        .train_with_centroids(&f32_rows(&expected("ivfflat_ip")["centroids"]))
        .unwrap();
    ivf_ip.set_nprobe(4).unwrap();
    ivf_ip.add(&base).unwrap();
    assert_eq!(
        write_index_to_vec(&ivf_ip).unwrap(),
        fixture_bytes("ivfflat_ip")
    );

    // Scalar quantizers: trained on the base vectors (8-bit), then the same adds.
    for (name, qtype, metric) in [
        ("sq8", QuantizerType::Sq8, MetricType::L2),
        ("sq8_ip", QuantizerType::Sq8, MetricType::InnerProduct),
        ("sqfp16", QuantizerType::Fp16, MetricType::L2),
    ] {
        let mut sq = ScalarQuantizerIndex::new(4, qtype, metric).unwrap();
        sq.train(&base).unwrap();
        sq.add(&base).unwrap();
        assert_eq!(
            write_index_to_vec(&sq).unwrap(),
            fixture_bytes(name),
            "{name}"
        );
    }

    // IVF-SQ8: k-means (5 runs) on the training vectors, the quantizer trained on their
    // residuals, then the base vectors added.
    let xt = f32_rows(&json("data.json")["xt"]);
    let mut ivfsq = IvfSqIndex::new(4, 4, QuantizerType::Sq8, MetricType::L2).unwrap();
    let mut cp = *ivfsq.clustering_params();
    cp.nredo = 5;
    ivfsq.set_clustering_params(cp);
    ivfsq.train(&xt).unwrap();
    ivfsq.set_nprobe(2).unwrap();
    ivfsq.add(&base).unwrap();
    assert_eq!(
        ivfsq.centroids(),
        f32_rows(&expected("ivfsq8")["centroids"]).as_slice()
    );
    assert_eq!(write_index_to_vec(&ivfsq).unwrap(), fixture_bytes("ivfsq8"));
}

#[test]
fn other_index_shapes_round_trip_through_bytes() {
    let base = xb();
    let centroids = f32_rows(&expected("ivfflat")["centroids"]);
    let mut cases: Vec<(&str, Box<dyn Index>)> = Vec::new();

    // Untrained IVF (no centroids, empty lists, sprs encoding).
    cases.push((
        "untrained ivf",
        Box::new(IvfFlatIndex::new(4, 8, MetricType::InnerProduct).unwrap()),
    ));
    // IVF with a hashtable direct map and arbitrary ids, inside an IdMap2.
    let mut ivf = IvfFlatIndex::new(4, 4, MetricType::L2).unwrap();
    ivf.train_with_centroids(&centroids).unwrap();
    ivf.set_direct_map_type(DirectMapType::Hashtable).unwrap();
    ivf.add_with_ids(&base, &[70, 60, 50, 40, 30, 20, 10, 1 << 40])
        .unwrap();
    cases.push(("ivf hashtable", Box::new(ivf.clone())));
    cases.push((
        "idmap2 over ivf",
        Box::new(IdMap2::from_parts(ivf, (100..108).collect()).unwrap()),
    ));
    // Id map over a boxed id map (nested id maps).
    let inner: Box<dyn Index> = Box::new(
        IdMap::from_parts(
            FlatIndex::from_vectors(4, MetricType::L2, base.clone()).unwrap(),
            (0..8).collect(),
        )
        .unwrap(),
    );
    cases.push((
        "idmap over idmap",
        Box::new(IdMap::from_parts(inner, (10..18).collect()).unwrap()),
    ));

    for (what, index) in cases {
        let bytes = write_index_to_vec(index.as_ref()).unwrap_or_else(|e| panic!("{what}: {e}"));
        let back = read_index_from_bytes(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(write_index_to_vec(back.as_ref()).unwrap(), bytes, "{what}");
        assert_eq!(
            (back.ntotal(), back.is_trained(), back.metric()),
            (index.ntotal(), index.is_trained(), index.metric()),
            "{what}"
        );
        if index.is_trained() {
            let (a, b) = (
                index.search(&xq(), 4, None).unwrap(),
                back.search(&xq(), 4, None).unwrap(),
            );
            assert_eq!((a.labels, a.distances), (b.labels, b.distances), "{what}");
        }
    }
    let ivf = read_index_from_bytes(
        &write_index_to_vec(&{
            let mut ivf = IvfFlatIndex::new(4, 4, MetricType::L2).unwrap();
            ivf.train_with_centroids(&centroids).unwrap();
            ivf.set_direct_map_type(DirectMapType::Hashtable).unwrap();
            ivf.add_with_ids(&base, &[70, 60, 50, 40, 30, 20, 10, 1 << 40])
                .unwrap();
            ivf
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(ivf.reconstruct(1 << 40).unwrap(), base[28..32].to_vec());
}

#[test]
fn write_index_replaces_files_atomically() {
    let dir = scratch_dir("atomic");
    let path = dir.join("index.faiss");
    let flat = read_index(fixture_path("flat_l2")).unwrap();
    write_index(flat.as_ref(), &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), fixture_bytes("flat_l2"));

    // Overwrite with another index: the new bytes, and no temporary file left behind.
    let ivf = read_index(fixture_path("ivfflat")).unwrap();
    write_index(ivf.as_ref(), &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), fixture_bytes("ivfflat"));
    assert_eq!(entries(&dir), vec!["index.faiss".to_string()]);

    // A write that fails before any byte (an index nested too deep to read back)
    // leaves the existing file as it was.
    let mut deep: Box<dyn Index> = Box::new(FlatIndex::new(4, MetricType::L2).unwrap());
    for _ in 0..MAX_NESTING {
        deep = Box::new(IdMap::new(deep).unwrap());
    }
    assert!(matches!(
        write_index(deep.as_ref(), &path),
        Err(FaissIoError::BadValue { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), fixture_bytes("ivfflat"));

    // A write that fails at the rename (the target is a folder) removes its temp file.
    let folder = dir.join("taken");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("keep"), b"x").unwrap();
    match write_index(flat.as_ref(), &folder) {
        Err(FaissIoError::Io { path, .. }) => assert_eq!(path, folder),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        entries(&dir),
        vec!["index.faiss".to_string(), "taken".to_string()]
    );
    assert_eq!(entries(&folder), vec!["keep".to_string()]);

    // Missing folder and missing file: I/O errors that name the path.
    let nowhere = dir.join("no-such-folder").join("index.faiss");
    assert!(matches!(
        write_index(flat.as_ref(), &nowhere),
        Err(FaissIoError::Io { .. })
    ));
    match read_index(dir.join("missing.faiss")) {
        Err(FaissIoError::Io { path, .. }) => assert_eq!(path, dir.join("missing.faiss")),
        other => panic!("{other:?}"),
    }
    // An empty file is a truncated index, not a mapping error.
    std::fs::write(dir.join("empty.faiss"), b"").unwrap();
    assert!(matches!(
        read_index(dir.join("empty.faiss")),
        Err(FaissIoError::Truncated { offset: 0, .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_writer_refuses_exactly_the_nesting_the_reader_refuses() {
    let centroids = f32_rows(&expected("ivfflat")["centroids"]);
    let mut ivf = IvfFlatIndex::new(4, 4, MetricType::L2).unwrap();
    ivf.train_with_centroids(&centroids).unwrap();
    ivf.add(&xb()).unwrap();
    let bases: [(Box<dyn Index>, usize); 2] = [
        (
            Box::new(FlatIndex::from_vectors(4, MetricType::L2, xb()).unwrap()),
            1,
        ),
        (Box::new(ivf), 2),
    ];
    for (base, base_depth) in bases {
        let mut index = base;
        for maps in 0..MAX_NESTING + 2 {
            let depth = base_depth + maps;
            match write_index_to_vec(index.as_ref()) {
                Ok(bytes) => {
                    assert!(depth <= MAX_NESTING, "wrote depth {depth}");
                    let back = read_index_from_bytes(&bytes).unwrap();
                    assert_eq!(write_index_to_vec(back.as_ref()).unwrap(), bytes);
                }
                Err(FaissIoError::BadValue { field: "index", .. }) => {
                    assert!(depth > MAX_NESTING, "refused depth {depth}")
                }
                Err(other) => panic!("depth {depth}: {other}"),
            }
            let n = index.ntotal() as i64;
            index = Box::new(IdMap::from_parts(index, (0..n).collect()).unwrap());
        }
    }
}

#[test]
fn ivf_after_removals_round_trips() {
    let centroids = f32_rows(&expected("ivfflat")["centroids"]);
    let ids = [70, 60, 50, 40, 30, 20, 10, 1 << 40];
    for map in [DirectMapType::NoMap, DirectMapType::Hashtable] {
        let mut ivf = IvfFlatIndex::new(4, 4, MetricType::L2).unwrap();
        ivf.train_with_centroids(&centroids).unwrap();
        ivf.set_direct_map_type(map).unwrap();
        ivf.add_with_ids(&xb(), &ids).unwrap();
        let removed = ivf
            .remove_ids(&ferrofaiss_index::IdSelector::batch([60, 10, 1 << 40]))
            .unwrap();
        assert_eq!(removed, 3);
        let bytes = write_index_to_vec(&ivf).unwrap();
        let back = read_index_from_bytes(&bytes).unwrap_or_else(|e| panic!("{map:?}: {e}"));
        assert_eq!(write_index_to_vec(back.as_ref()).unwrap(), bytes, "{map:?}");
        let (a, b) = (
            ivf.search(&xq(), 8, None).unwrap(),
            back.search(&xq(), 8, None).unwrap(),
        );
        assert_eq!((a.labels, a.distances), (b.labels, b.distances), "{map:?}");
        if map == DirectMapType::Hashtable {
            assert_eq!(back.reconstruct(70).unwrap(), xb()[..4].to_vec());
            assert!(back.reconstruct(60).is_err());
        }
    }
}
