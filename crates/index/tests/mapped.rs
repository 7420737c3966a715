//! Flat index files opened with `mmap` (the default): the vectors are searched where
//! they lie in the file's mapping (byte 45 on, unaligned), and every call answers
//! exactly as the same file read with a copy does; changes copy the vectors out;
//! saving over an open file leaves the open index whole; damaged files are typed
//! errors.

mod common;

use std::path::PathBuf;

use common::uniform;

use ferrofaiss_index::faiss_io::{read_index_with, write_index, ReadOptions};
use ferrofaiss_index::{FlatIndex, IdSelector, Index, MetricType, SearchParams};

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
    let ivf = open(&PathBuf::from(FIXTURES).join("ivfflat.faiss"), true);
    assert_eq!(ivf.type_name(), "IndexIVFFlat");
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

/// A flat file cut at any byte, or with a byte too many, is a typed error when opened
/// with `mmap`, never a mapping past its end.
#[test]
fn damaged_flat_files_are_typed_errors_when_mapped() {
    let dir = scratch_dir("damaged");
    let bytes = std::fs::read(PathBuf::from(FIXTURES).join("flat_l2.faiss")).unwrap();
    let path = dir.join("cut.faiss");
    for cut in 0..bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        assert!(
            read_index_with(&path, ReadOptions { mmap: true }).is_err(),
            "cut at {cut}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    std::fs::write(&path, &longer).unwrap();
    assert!(read_index_with(&path, ReadOptions { mmap: true }).is_err());
    // A hostile count: ntotal * d far beyond the file.
    let mut hostile = bytes.clone();
    hostile[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &hostile).unwrap();
    assert!(read_index_with(&path, ReadOptions { mmap: true }).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}
