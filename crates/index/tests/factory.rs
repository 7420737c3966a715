//! Factory strings.

use ferrofaiss_index::{index_factory, Index, IndexError, IvfFlatIndex, MetricType};

#[test]
fn builds_each_supported_kind() {
    let cases = [
        ("Flat", MetricType::L2, "IndexFlatL2"),
        ("Flat", MetricType::InnerProduct, "IndexFlatIP"),
        ("IDMap,Flat", MetricType::L2, "IndexIDMap"),
        ("IDMap2,Flat", MetricType::InnerProduct, "IndexIDMap2"),
        ("IVF16,Flat", MetricType::L2, "IndexIVFFlat"),
        (" IVF1024, Flat ", MetricType::InnerProduct, "IndexIVFFlat"),
    ];
    for (spec, metric, name) in cases {
        let index = index_factory(12, spec, metric).unwrap();
        assert_eq!(index.type_name(), name, "{spec}");
        assert_eq!(index.dimension(), 12);
        assert_eq!(index.metric(), metric);
        assert_eq!(index.ntotal(), 0);
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
        "HNSW32",
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
