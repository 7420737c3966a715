//! Property tests: random indexes of every supported shape survive
//! encode -> decode -> encode unchanged, through the raw structs and the index types.

use std::borrow::Cow;

use ferrofaiss_index::__internal::raw::{
    faiss_writes_full, read_raw_index, write_raw_index, RawDirectMap, RawFlat, RawIdMap, RawIndex,
    RawIvfFlat, RawList,
};
use ferrofaiss_index::faiss_io::{read_index_from_bytes, write_index_to_vec};
use ferrofaiss_index::MetricType;
use proptest::prelude::*;

fn metric() -> impl Strategy<Value = MetricType> {
    prop_oneof![Just(MetricType::L2), Just(MetricType::InnerProduct)]
}

/// Finite values (the index types accept NaN from files, but equality checks here
/// compare with `==`).
fn floats(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-1e6f32..1e6, n)
}

fn flat() -> impl Strategy<Value = RawFlat<'static>> {
    (1usize..6, 0usize..12, metric()).prop_flat_map(|(d, n, m)| {
        floats(n * d).prop_map(move |v| RawFlat {
            d,
            metric: m,
            vectors: Cow::Owned(v),
        })
    })
}

/// Which direct map to build over the lists.
#[derive(Debug, Clone, Copy)]
enum MapKind {
    None,
    Array,
    Hashtable,
}

fn ivf() -> impl Strategy<Value = RawIvfFlat<'static>> {
    let kind = prop_oneof![
        Just(MapKind::None),
        Just(MapKind::Array),
        Just(MapKind::Hashtable)
    ];
    (
        1usize..5,
        1usize..7,
        0usize..16,
        metric(),
        kind,
        1usize..10,
        any::<u64>(),
    )
        .prop_flat_map(|(d, nlist, n, m, kind, nprobe, seed)| {
            (
                floats(nlist * d),
                floats(n * d),
                prop::collection::vec(0..nlist, n),
            )
                .prop_map(move |(centroids, vectors, assign)| {
                    build_ivf(d, nlist, m, kind, nprobe, seed, centroids, vectors, &assign)
                })
        })
}

#[allow(clippy::too_many_arguments)]
fn build_ivf(
    d: usize,
    nlist: usize,
    metric: MetricType,
    kind: MapKind,
    nprobe: usize,
    seed: u64,
    centroids: Vec<f32>,
    vectors: Vec<f32>,
    assign: &[usize],
) -> RawIvfFlat<'static> {
    let mut ids: Vec<Vec<i64>> = vec![Vec::new(); nlist];
    let mut codes: Vec<Vec<f32>> = vec![Vec::new(); nlist];
    let mut entries = Vec::new();
    for (i, &list) in assign.iter().enumerate() {
        // Sequential ids for an array map, scattered ones otherwise.
        let id = match kind {
            MapKind::Array => i as i64,
            _ => (i as i64) * 1_000_003 + (seed % 97) as i64,
        };
        entries.push((id, ((list as i64) << 32) | ids[list].len() as i64));
        ids[list].push(id);
        codes[list].extend_from_slice(&vectors[i * d..(i + 1) * d]);
    }
    let direct_map = match kind {
        MapKind::None => RawDirectMap::None,
        MapKind::Array => RawDirectMap::Array(Cow::Owned(entries.iter().map(|e| e.1).collect())),
        MapKind::Hashtable => {
            // Any order (Faiss writes hash-map order): rotate by the seed.
            let k = entries.len().max(1);
            entries.rotate_left(seed as usize % k);
            RawDirectMap::Hashtable(Cow::Owned(entries))
        }
    };
    RawIvfFlat {
        d,
        metric,
        is_trained: true,
        nlist,
        nprobe,
        quantizer: RawFlat {
            d,
            metric,
            vectors: Cow::Owned(centroids),
        },
        direct_map,
        lists: ids
            .into_iter()
            .zip(codes)
            .map(|(i, c)| RawList {
                ids: Cow::Owned(i),
                codes: Cow::Owned(c),
            })
            .collect(),
    }
}

fn index() -> impl Strategy<Value = RawIndex<'static>> {
    let base = prop_oneof![
        flat().prop_map(RawIndex::Flat),
        ivf().prop_map(RawIndex::IvfFlat)
    ];
    (base, any::<bool>(), any::<bool>(), any::<u64>()).prop_map(|(inner, wrap, two_way, seed)| {
        if !wrap {
            return inner;
        }
        let n = inner.ntotal() as i64;
        // Distinct ids (IxM2 requires them), including large and negative ones.
        let ids = (0..n)
            .map(|i| (i * 7_919 + seed as i64 % 1_000) - 500)
            .collect();
        RawIndex::IdMap(RawIdMap {
            two_way,
            inner: Box::new(inner),
            ids: Cow::Owned(ids),
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn raw_and_index_round_trips_are_exact(raw in index()) {
        let mut bytes = Vec::new();
        write_raw_index(&raw, &mut bytes).unwrap();
        let decoded = read_raw_index(&bytes).unwrap();
        prop_assert_eq!(&decoded, &raw);

        let index = read_index_from_bytes(&bytes).unwrap();
        prop_assert_eq!(index.ntotal(), raw.ntotal());
        prop_assert_eq!(write_index_to_vec(index.as_ref()).unwrap(), bytes);
    }

    #[test]
    fn list_encoding_follows_occupancy(raw in ivf()) {
        let non_empty = raw.lists.iter().filter(|l| !l.ids.is_empty()).count();
        let mut bytes = Vec::new();
        write_raw_index(&RawIndex::IvfFlat(raw.clone()), &mut bytes).unwrap();
        // The list type follows `ilar`, nlist and code_size (4 + 8 + 8 bytes).
        let at = bytes.windows(4).rposition(|w| w == b"ilar").unwrap() + 20;
        let want: &[u8] = if faiss_writes_full(non_empty, raw.nlist) { b"full" } else { b"sprs" };
        prop_assert_eq!(&bytes[at..at + 4], want);
    }
}
