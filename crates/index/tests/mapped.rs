//! Flat and IVF index files opened with `mmap` (the default): the vectors (flat) or the
//! lists' codes (IVF-Flat, IVF-SQ) are searched where they lie in the file's mapping
//! (at unaligned offsets), and every call answers exactly as the same file read with a
//! copy does; writing a mapped index gives the file's bytes back; changes copy the
//! vectors out; saving over an open file leaves the open index whole; damaged files
//! are typed errors.

mod common;

use std::path::PathBuf;

use common::uniform;

use ferrofaiss_index::faiss_io::{read_index_with, write_index, write_index_to_vec, ReadOptions};
use ferrofaiss_index::{
    DirectMapType, FlatIndex, IdSelector, Index, IvfFlatIndex, IvfSqIndex, MetricType,
    QuantizerType, SearchParams,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/faiss");

fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrofaiss-mapped-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn open(path: &std::path::Path, mmap: bool) -> Box<dyn Index> {
    read_index_with(path, ReadOptions { mmap }).expect("readable")
}

fn flat(index: &dyn Index) -> &FlatIndex {
    index
        .as_any()
        .downcast_ref::<FlatIndex>()
        .expect("a flat index")
}

/// Whether `index` searches storage in a file's mapping (flat, IVF-Flat or IVF-SQ).
fn is_mapped(index: &dyn Index) -> bool {
    let any = index.as_any();
    if let Some(f) = any.downcast_ref::<FlatIndex>() {
        return f.is_mapped();
    }
    if let Some(v) = any.downcast_ref::<IvfFlatIndex>() {
        return v.is_mapped();
    }
    any.downcast_ref::<IvfSqIndex>()
        .expect("a flat or IVF index")
        .is_mapped()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every read-only call of `a` and `b` answers alike, bit for bit.
fn assert_same_answers(a: &dyn Index, b: &dyn Index, queries: &[f32], what: &str) {
    let d = a.dimension();
    assert_eq!(a.ntotal(), b.ntotal(), "{what}");
    let nq = queries.len() / d;
    for (batch, k) in [(1, 1), (2, 7), (nq, 1), (nq, 10)] {
        let q = &queries[..batch * d];
        let (ra, rb) = (a.search(q, k, None).unwrap(), b.search(q, k, None).unwrap());
        assert_eq!(ra.labels, rb.labels, "{what} search nq={batch} k={k}");
        assert_eq!(
            bits(&ra.distances),
            bits(&rb.distances),
            "{what} nq={batch} k={k}"
        );
    }
    let sel = IdSelector::range(100, 900);
    let params = SearchParams {
        selector: Some(&sel),
        ..SearchParams::default()
    };
    let (ra, rb) = (
        a.search(&queries[..3 * d], 5, Some(&params)).unwrap(),
        b.search(&queries[..3 * d], 5, Some(&params)).unwrap(),
    );
    assert_eq!(ra.labels, rb.labels, "{what} selected");
    assert_eq!(bits(&ra.distances), bits(&rb.distances), "{what} selected");
    let radius = ra.distances[4];
    let (ra, rb) = (
        a.range_search(&queries[..2 * d], radius, None).unwrap(),
        b.range_search(&queries[..2 * d], radius, None).unwrap(),
    );
    assert_eq!(ra, rb, "{what} range");
    for id in [0, 1, a.ntotal() as i64 - 1] {
        assert_eq!(
            a.reconstruct(id).unwrap(),
            b.reconstruct(id).unwrap(),
            "{what} {id}"
        );
    }
    assert!(a.reconstruct(a.ntotal() as i64).is_err(), "{what}");
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    a.for_each_vector(&mut |id, v| va.push((id, v.to_vec())))
        .unwrap();
    b.for_each_vector(&mut |id, v| vb.push((id, v.to_vec())))
        .unwrap();
    assert_eq!(va, vb, "{what} for_each_vector");
}

#[test]
fn mapped_flat_files_answer_as_copied_ones() {
    let dir = scratch_dir("answers");
    // d = 67: rows straddle every alignment; 1200 queries take the blocked path.
    for (metric, d) in [(MetricType::L2, 67), (MetricType::InnerProduct, 64)] {
        let mut index = FlatIndex::new(d, metric).unwrap();
        index.add(&uniform(3000, d, 1)).unwrap();
        let path = dir.join(format!("{metric:?}.faiss"));
        write_index(&index, &path).unwrap();
        let (mapped, copied) = (open(&path, true), open(&path, false));
        assert!(flat(mapped.as_ref()).is_mapped(), "{metric:?}");
        assert!(!flat(copied.as_ref()).is_mapped(), "{metric:?}");
        assert!(
            !flat(mapped.as_ref()).rows().is_aligned(),
            "byte 45 is not 4-aligned"
        );
        let queries = uniform(1200, d, 2);
        assert_same_answers(
            mapped.as_ref(),
            copied.as_ref(),
            &queries,
            &format!("{metric:?}"),
        );
        assert_eq!(
            *flat(mapped.as_ref()).vectors(),
            *flat(copied.as_ref()).vectors()
        );
        // Both hold exactly the vectors written, bit for bit.
        assert_eq!(
            bits(&flat(copied.as_ref()).vectors()),
            bits(&uniform(3000, d, 1))
        );
        assert_eq!(flat(mapped.as_ref()).row(7), flat(copied.as_ref()).row(7));
    }
    // Faiss's own files, and one with no vectors.
    for name in ["flat_l2", "flat_ip", "flat_l2_empty"] {
        let path = PathBuf::from(FIXTURES).join(format!("{name}.faiss"));
        let (mapped, copied) = (open(&path, true), open(&path, false));
        assert!(flat(mapped.as_ref()).is_mapped(), "{name}");
        assert_eq!(
            *flat(mapped.as_ref()).vectors(),
            *flat(copied.as_ref()).vectors()
        );
    }
    // Other index types are read with a copy.
    let sq = open(&PathBuf::from(FIXTURES).join("sq8.faiss"), true);
    assert_eq!(sq.type_name(), "IndexScalarQuantizer");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An IVF index of `kind` ("flat", "sq8", "fp16") over `n` uniform vectors, 16 lists,
/// nprobe 4, with an array direct map (so `reconstruct` works).
fn ivf(kind: &str, metric: MetricType, d: usize, n: usize) -> Box<dyn Index> {
    let data = uniform(n, d, 11);
    let mut index: Box<dyn Index> = match kind {
        "flat" => {
            let mut v = IvfFlatIndex::new(d, 16, metric).unwrap();
            v.train(&data).unwrap();
            v.set_direct_map_type(DirectMapType::Array).unwrap();
            v.set_nprobe(4).unwrap();
            Box::new(v)
        }
        _ => {
            let qtype = if kind == "sq8" {
                QuantizerType::Sq8
            } else {
                QuantizerType::Fp16
            };
            let mut v = IvfSqIndex::new(d, 16, qtype, metric).unwrap();
            v.train(&data).unwrap();
            v.set_direct_map_type(DirectMapType::Array).unwrap();
            v.set_nprobe(4).unwrap();
            Box::new(v)
        }
    };
    index.add(&data).unwrap();
    index
}

#[test]
fn mapped_ivf_files_answer_as_copied_ones() {
    let dir = scratch_dir("ivf-answers");
    // d = 67: IVF-Flat codes (268 bytes) start at every alignment; 1200 queries take
    // the list-by-list batch path.
    for (kind, metric, d) in [
        ("flat", MetricType::L2, 67),
        ("flat", MetricType::InnerProduct, 64),
        ("sq8", MetricType::L2, 33),
        ("fp16", MetricType::InnerProduct, 20),
    ] {
        let what = format!("{kind} {metric:?}");
        let path = dir.join(format!("{kind}-{metric:?}.faiss"));
        write_index(ivf(kind, metric, d, 3000).as_ref(), &path).unwrap();
        let (mapped, copied) = (open(&path, true), open(&path, false));
        assert!(is_mapped(mapped.as_ref()), "{what}");
        assert!(!is_mapped(copied.as_ref()), "{what}");
        let queries = uniform(1200, d, 2);
        assert_same_answers(mapped.as_ref(), copied.as_ref(), &queries, &what);
        assert_eq!(
            write_index_to_vec(mapped.as_ref()).unwrap(),
            std::fs::read(&path).unwrap(),
            "{what}: written back byte for byte"
        );
    }
    // Faiss's own files: dense and sparse list sizes, a direct map, SQ8 codes.
    for name in [
        "ivfflat",
        "ivfflat_ip",
        "ivfflat_sparse",
        "ivfflat_directmap",
        "ivfsq8",
    ] {
        let path = PathBuf::from(FIXTURES).join(format!("{name}.faiss"));
        let (mapped, copied) = (open(&path, true), open(&path, false));
        assert!(is_mapped(mapped.as_ref()), "{name}");
        let (mut va, mut vb) = (Vec::new(), Vec::new());
        mapped
            .for_each_vector(&mut |id, v| va.push((id, v.to_vec())))
            .unwrap();
        copied
            .for_each_vector(&mut |id, v| vb.push((id, v.to_vec())))
            .unwrap();
        assert_eq!(va, vb, "{name}");
        let d = mapped.dimension();
        let queries = uniform(5, d, 3);
        assert_eq!(
            mapped.search(&queries, 3, None).unwrap(),
            copied.search(&queries, 3, None).unwrap(),
            "{name}"
        );
        assert_eq!(
            write_index_to_vec(mapped.as_ref()).unwrap(),
            std::fs::read(&path).unwrap(),
            "{name}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lists read with a copy and large enough to be packed into one array (over 4 MiB of
/// codes) answer, change and save as the lists the index was built with.
#[test]
fn packed_ivf_lists_answer_as_lists_held_apart() {
    let dir = scratch_dir("ivf-packed");
    // IVF-Flat: 268-byte codes, 4.3 MB; SQ8: 96-byte codes, 4.3 MB.
    for (kind, d, n) in [("flat", 67, 16_000), ("sq8", 96, 45_000)] {
        let path = dir.join(format!("{kind}.faiss"));
        let mut built = ivf(kind, MetricType::L2, d, n);
        write_index(built.as_ref(), &path).unwrap();
        let mut copied = open(&path, false);
        assert!(!is_mapped(copied.as_ref()), "{kind}");
        // 1200 queries take the list-by-list batch path, 7 the query-by-query one
        // (and single queries within, the lone path).
        for nq in [1200, 7] {
            let queries = uniform(nq, d, 6);
            assert_same_answers(built.as_ref(), copied.as_ref(), &queries, kind);
        }
        assert_eq!(
            write_index_to_vec(copied.as_ref()).unwrap(),
            std::fs::read(&path).unwrap(),
            "{kind}: written back byte for byte"
        );
        // A change copies the codes back into the lists. Removal needs no direct map or
        // a hashtable one (as in Faiss).
        set_direct_map(&mut built, DirectMapType::Hashtable);
        set_direct_map(&mut copied, DirectMapType::Hashtable);
        let more = uniform(50, d, 7);
        built.add(&more).unwrap();
        copied.add(&more).unwrap();
        let gone = IdSelector::range(100, 300);
        assert_eq!(built.remove_ids(&gone).unwrap(), 200);
        assert_eq!(copied.remove_ids(&gone).unwrap(), 200);
        let queries = uniform(40, d, 8);
        for nq in [1, 40] {
            let q = &queries[..nq * d];
            let (ra, rb) = (
                built.search(q, 10, None).unwrap(),
                copied.search(q, 10, None).unwrap(),
            );
            assert_eq!(ra.labels, rb.labels, "{kind} changed, nq={nq}");
            assert_eq!(bits(&ra.distances), bits(&rb.distances), "{kind} changed");
        }
        assert_eq!(
            write_index_to_vec(built.as_ref()).unwrap(),
            write_index_to_vec(copied.as_ref()).unwrap(),
            "{kind} changed, written"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Switches the direct map of an IVF index (IVF-Flat or IVF-SQ).
fn set_direct_map(index: &mut Box<dyn Index>, kind: DirectMapType) {
    let any = index.as_any_mut();
    let switched = match any.downcast_mut::<IvfFlatIndex>() {
        Some(v) => v.set_direct_map_type(kind),
        None => any
            .downcast_mut::<IvfSqIndex>()
            .expect("an IVF index")
            .set_direct_map_type(kind),
    };
    switched.unwrap();
}

#[test]
fn changes_copy_mapped_ivf_codes_out() {
    let dir = scratch_dir("ivf-changes");
    for (kind, d) in [("flat", 19), ("sq8", 12)] {
        let path = dir.join(format!("{kind}.faiss"));
        write_index(ivf(kind, MetricType::L2, d, 500).as_ref(), &path).unwrap();
        let queries = uniform(40, d, 4);
        let more = uniform(30, d, 5);

        let (mut mapped, mut copied) = (open(&path, true), open(&path, false));
        mapped.add(&more).unwrap();
        copied.add(&more).unwrap();
        assert!(!is_mapped(mapped.as_ref()), "{kind}");
        assert_same_answers(mapped.as_ref(), copied.as_ref(), &queries, kind);

        // Removal needs no direct map or a hashtable one (as in Faiss).
        let (mut mapped, mut copied) = (open(&path, true), open(&path, false));
        set_direct_map(&mut mapped, DirectMapType::Hashtable);
        set_direct_map(&mut copied, DirectMapType::Hashtable);
        assert!(is_mapped(mapped.as_ref()), "{kind}");
        let gone = IdSelector::range(10, 20);
        assert_eq!(mapped.remove_ids(&gone).unwrap(), 10);
        assert_eq!(copied.remove_ids(&gone).unwrap(), 10);
        assert!(!is_mapped(mapped.as_ref()), "{kind}");
        let (ra, rb) = (
            mapped.search(&queries, 6, None).unwrap(),
            copied.search(&queries, 6, None).unwrap(),
        );
        assert_eq!(ra, rb, "{kind} after remove");

        // Merging a mapped index into an owned one: the same as adding its vectors.
        let (mut owned, mut twice) = (open(&path, false), open(&path, false));
        let no_map = |index: &mut Box<dyn Index>| set_direct_map(index, DirectMapType::NoMap);
        let mut other = open(&path, true);
        no_map(&mut owned);
        no_map(&mut other);
        owned.merge_from(other.as_mut()).unwrap();
        assert_eq!(other.ntotal(), 0);
        no_map(&mut twice);
        let mut again = open(&path, false);
        no_map(&mut again);
        twice.merge_from(again.as_mut()).unwrap();
        let (ra, rb) = (
            owned.search(&queries, 8, None).unwrap(),
            twice.search(&queries, 8, None).unwrap(),
        );
        assert_eq!(ra, rb, "{kind} merged");

        let mut reset = open(&path, true);
        reset.reset();
        assert_eq!(reset.ntotal(), 0);
        assert!(!is_mapped(reset.as_ref()), "{kind}");
        reset.add(&more).unwrap();
        assert_eq!(reset.ntotal(), 30);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn changes_copy_mapped_vectors_out() {
    let dir = scratch_dir("changes");
    let d = 19;
    let mut index = FlatIndex::new(d, MetricType::L2).unwrap();
    index.add(&uniform(500, d, 3)).unwrap();
    let path = dir.join("flat.faiss");
    write_index(&index, &path).unwrap();
    let queries = uniform(40, d, 4);
    let more = uniform(30, d, 5);

    let (mut mapped, mut copied) = (open(&path, true), open(&path, false));
    mapped.add(&more).unwrap();
    copied.add(&more).unwrap();
    assert!(!flat(mapped.as_ref()).is_mapped());
    assert_same_answers(mapped.as_ref(), copied.as_ref(), &queries, "after add");

    let (mut mapped, mut copied) = (open(&path, true), open(&path, false));
    let gone = IdSelector::range(10, 20);
    assert_eq!(mapped.remove_ids(&gone).unwrap(), 10);
    assert_eq!(copied.remove_ids(&gone).unwrap(), 10);
    assert_same_answers(mapped.as_ref(), copied.as_ref(), &queries, "after remove");

    // Merging a mapped index into an owned one and into an empty one.
    let (mut owned, mut into_empty) = (
        open(&path, false),
        FlatIndex::new(d, MetricType::L2).unwrap(),
    );
    owned.merge_from(open(&path, true).as_mut()).unwrap();
    into_empty.merge_from(open(&path, true).as_mut()).unwrap();
    let mut twice = open(&path, false);
    twice
        .add(&flat(open(&path, false).as_ref()).vectors())
        .unwrap();
    assert_same_answers(owned.as_ref(), twice.as_ref(), &queries, "merged");
    assert_same_answers(
        &into_empty,
        copied_fresh(&path).as_ref(),
        &queries,
        "merged into empty",
    );

    let mut reset = open(&path, true);
    reset.reset();
    assert_eq!(reset.ntotal(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

fn copied_fresh(path: &std::path::Path) -> Box<dyn Index> {
    open(path, false)
}

/// Our writers rename a new file over the old one, so an index open on the old file
/// keeps answering from it, whole.
#[test]
fn saving_over_an_open_mapped_file_leaves_it_whole() {
    let dir = scratch_dir("save-over");
    let d = 8;
    let mut first = FlatIndex::new(d, MetricType::L2).unwrap();
    first.add(&uniform(200, d, 6)).unwrap();
    let path = dir.join("flat.faiss");
    write_index(&first, &path).unwrap();
    let mapped = open(&path, true);
    let queries = uniform(5, d, 7);
    let before = mapped.search(&queries, 4, None).unwrap();

    let mut second = FlatIndex::new(d, MetricType::L2).unwrap();
    second.add(&uniform(50, d, 8)).unwrap();
    write_index(&second, &path).unwrap();
    assert_eq!(mapped.search(&queries, 4, None).unwrap(), before);
    assert_eq!(mapped.ntotal(), 200);
    assert_eq!(open(&path, true).ntotal(), 50);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `bytes` cut at any byte, or with a byte too many, written to `path`, do not open,
/// with `mmap` or with a copy.
fn assert_cut_or_longer_fails(path: &std::path::Path, bytes: &[u8], name: &str) {
    for mmap in [true, false] {
        for cut in 0..bytes.len() {
            std::fs::write(path, &bytes[..cut]).unwrap();
            assert!(
                read_index_with(path, ReadOptions { mmap }).is_err(),
                "{name} cut at {cut}, mmap {mmap}"
            );
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        std::fs::write(path, &longer).unwrap();
        assert!(
            read_index_with(path, ReadOptions { mmap }).is_err(),
            "{name} with a byte too many, mmap {mmap}"
        );
    }
}

/// A flat file cut at any byte, or with a byte too many, is a typed error when opened
/// (with `mmap` or a copy), never a read past the mapping's end.
#[test]
fn damaged_flat_files_are_typed_errors_when_mapped() {
    let dir = scratch_dir("damaged");
    let bytes = std::fs::read(PathBuf::from(FIXTURES).join("flat_l2.faiss")).unwrap();
    let path = dir.join("cut.faiss");
    assert_cut_or_longer_fails(&path, &bytes, "flat_l2");
    // A hostile count: ntotal * d far beyond the file.
    let mut hostile = bytes.clone();
    hostile[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &hostile).unwrap();
    assert!(read_index_with(&path, ReadOptions { mmap: true }).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// An IVF file cut at any byte, with a byte too many, or with a list size past the
/// end of the file, is a typed error when opened with `mmap` (the codes left in the
/// mapping are checked as the copying reader checks them).
#[test]
fn damaged_ivf_files_are_typed_errors_when_mapped() {
    let dir = scratch_dir("ivf-damaged");
    let path = dir.join("cut.faiss");
    for name in ["ivfflat", "ivfflat_sparse", "ivfsq8"] {
        let bytes = std::fs::read(PathBuf::from(FIXTURES).join(format!("{name}.faiss"))).unwrap();
        assert_cut_or_longer_fails(&path, &bytes, name);
        // Every 8-byte word set to a huge count in turn: never a panic or a mapping read
        // past the end; where the file still parses, the answers match the copy's.
        for at in (0..bytes.len().saturating_sub(8)).step_by(4) {
            let mut hostile = bytes.clone();
            hostile[at..at + 8].copy_from_slice(&(u64::MAX / 3).to_le_bytes());
            std::fs::write(&path, &hostile).unwrap();
            let mapped = read_index_with(&path, ReadOptions { mmap: true });
            let copied = read_index_with(&path, ReadOptions { mmap: false });
            assert_eq!(mapped.is_ok(), copied.is_ok(), "{name} word at {at}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
