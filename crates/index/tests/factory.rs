//! Factory strings.

use ferrofaiss_index::{
    index_factory, reverse_index_factory, Index, IndexError, IvfFlatIndex, MetricType, MAX_NLIST,
    MAX_RESULT_SLOTS,
};

#[test]
fn builds_each_supported_kind() {
    let cases = [
        ("Flat", MetricType::L2, "IndexFlatL2"),
        ("Flat", MetricType::InnerProduct, "IndexFlatIP"),
        ("IDMap,Flat", MetricType::L2, "IndexIDMap"),
        ("IDMap2,Flat", MetricType::InnerProduct, "IndexIDMap2"),
        ("IVF16,Flat", MetricType::L2, "IndexIVFFlat"),
        (" IVF1024, Flat ", MetricType::InnerProduct, "IndexIVFFlat"),
        ("HNSW32", MetricType::L2, "IndexHNSWFlat"),
        ("HNSW16,Flat", MetricType::InnerProduct, "IndexHNSWFlat"),
        ("HNSW", MetricType::L2, "IndexHNSWFlat"),
        ("IDMap,HNSW8", MetricType::L2, "IndexIDMap"),
        ("IDMap2,HNSW8,Flat", MetricType::L2, "IndexIDMap2"),
    ];
    for (spec, metric, name) in cases {
        let index = index_factory(12, spec, metric).unwrap();
        assert_eq!(index.type_name(), name, "{spec}");
        assert_eq!(index.dimension(), 12);
        assert_eq!(index.metric(), metric);
        assert_eq!(index.ntotal(), 0);
    }
    // Faiss's M: HNSW alone is HNSW32; M must leave a graph (2..=1024).
    let hnsw = index_factory(8, "HNSW", MetricType::L2).unwrap();
    assert_eq!(
        reverse_index_factory(hnsw.as_ref()).as_deref(),
        Some("HNSW32")
    );
    let m8 = index_factory(8, "IDMap,HNSW8", MetricType::L2).unwrap();
    assert_eq!(
        reverse_index_factory(m8.as_ref()).as_deref(),
        Some("IDMap,HNSW8")
    );
    for spec in ["HNSW1", "HNSW0", "HNSW100000"] {
        assert!(
            matches!(
                index_factory(8, spec, MetricType::L2),
                Err(IndexError::InvalidParameter(_))
            ),
            "{spec}"
        );
    }
    let ivf = index_factory(8, "IVF7,Flat", MetricType::L2).unwrap();
    let ivf = ivf.as_any().downcast_ref::<IvfFlatIndex>().unwrap();
    assert_eq!(ivf.nlist(), 7);
    assert!(!ivf.is_trained());
}

#[test]
fn unknown_strings_name_what_is_supported() {
    for spec in [
        "",
        "HNSW32x",
        "HNSW32,SQ8",
        "IVF16,HNSW32",
        "HNSW-3",
        "IVF,Flat",
        "IVFx,Flat",
        "IVF0,Flat",
        "IDMap",
        "Flat,Flat",
        "IVF-3,Flat",
        "flat",
    ] {
        match index_factory(4, spec, MetricType::L2) {
            Err(IndexError::UnknownFactory { supported, .. }) => {
                assert!(supported.contains("IVF{nlist},Flat"))
            }
            Err(IndexError::InvalidParameter(_)) if spec == "IVF0,Flat" => {}
            other => panic!("{spec:?}: {other:?}"),
        }
    }
    let e = index_factory(4, "PQ8", MetricType::L2).unwrap_err();
    assert!(e.to_string().contains("IDMap2,Flat"));
    assert_eq!(
        index_factory(0, "Flat", MetricType::L2).err(),
        Some(IndexError::ZeroDimension)
    );
}

#[test]
fn counts_from_outside_are_checked_before_anything_is_allocated() {
    // 2^40 lists would be a 52 TB allocation, 10^8 lists 4.8 GB: typed errors instead.
    for spec in [
        "IVF1099511627776,Flat",
        "IVF100000000,Flat",
        "IVF4194305,Flat",
    ] {
        match index_factory(8, spec, MetricType::L2) {
            Err(IndexError::InvalidParameter(msg)) => assert!(msg.contains("nlist"), "{msg}"),
            other => panic!("{spec}: {other:?}"),
        }
    }
    // More digits than usize holds is an unknown string, not a wrap-around.
    assert!(index_factory(8, "IVF99999999999999999999999,Flat", MetricType::L2).is_err());
    assert!(index_factory(8, &format!("IVF{MAX_NLIST},Flat"), MetricType::L2).is_ok());
    // A k no result buffer can hold is refused by every index kind, before searching.
    let mut flat = index_factory(2, "Flat", MetricType::L2).unwrap();
    flat.add(&[0.0, 1.0, 2.0, 3.0]).unwrap();
    let mut ivf = index_factory(2, "IVF1,Flat", MetricType::L2).unwrap();
    ivf.train(&[0.0, 1.0, 2.0, 3.0]).unwrap();
    ivf.add(&[0.0, 1.0, 2.0, 3.0]).unwrap();
    for index in [&flat, &ivf] {
        for k in [usize::MAX, MAX_RESULT_SLOTS + 1, 1 << 40] {
            match index.search(&[0.0, 1.0], k, None) {
                Err(IndexError::InvalidParameter(msg)) => {
                    assert!(msg.contains("result slots"), "{msg}")
                }
                other => panic!("k = {k}: {other:?}"),
            }
        }
        // Two queries at half the limit each pass the limit together.
        assert!(index
            .search(&[0.0; 4], MAX_RESULT_SLOTS / 2 + 1, None)
            .is_err());
        assert_eq!(
            index.search(&[0.0, 1.0], 5, None).unwrap().labels[2..],
            [-1, -1, -1]
        );
    }
}

#[test]
fn reverse_index_factory_names_what_the_factory_builds() {
    use ferrofaiss_index::reverse_index_factory;
    for spec in [
        "Flat",
        "IVF7,Flat",
        "IVF3,SQ8",
        "IVF9,SQfp16",
        "SQ8",
        "SQfp16",
        "IDMap,Flat",
        "IDMap2,Flat",
        "IDMap,SQ8",
        "IDMap2,SQfp16",
    ] {
        let index = index_factory(5, spec, MetricType::L2).unwrap();
        assert_eq!(reverse_index_factory(index.as_ref()).as_deref(), Some(spec));
    }
}
