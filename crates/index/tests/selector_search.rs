//! Searches restricted by `SearchParams::selector` (Faiss's `SearchParameters.sel`):
//! flat (gathered and scanned paths), IVF probing every list, and the id maps (the
//! selector names external ids) all return exactly the brute-force top k among the
//! selected vectors, ties broken as Faiss breaks them; range searches return the
//! unrestricted results that are selected.

mod common;

use std::collections::HashSet;

use common::*;
use ferrofaiss_index::{
    FlatIndex, IdMap, IdMap2, IdSelector, Index, IvfFlatIndex, MetricType, SearchParams,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Kind {
    Range,
    Array,
    Batch,
    Bitmap,
}

/// A selector of kind `kind` selecting exactly the ids `chosen(id)` among `ids`.
fn selector(kind: &Kind, ids: &[i64], chosen: &[bool], lo: i64, hi: i64) -> IdSelector {
    let picked = ids
        .iter()
        .zip(chosen)
        .filter(|(_, &c)| c)
        .map(|(&id, _)| id);
    match kind {
        Kind::Range => IdSelector::range(lo, hi),
        Kind::Array => IdSelector::Array(picked.collect()),
        Kind::Batch => IdSelector::batch(picked),
        Kind::Bitmap => {
            let max = ids.iter().copied().max().unwrap_or(0).max(0) as usize;
            let mut bits = vec![false; max + 1];
            for id in picked {
                bits[id as usize] = true;
            }
            IdSelector::bitmap(&bits)
        }
    }
}

/// The brute-force top k among the selected rows, labelled by `ids`.
fn expected(
    metric: MetricType,
    q: &[f32],
    xb: &[f32],
    d: usize,
    k: usize,
    ids: &[i64],
    sel: &IdSelector,
) -> Vec<(f64, i64)> {
    let keep: Vec<usize> = (0..ids.len()).filter(|&i| sel.is_member(ids[i])).collect();
    let rows: Vec<f32> = keep
        .iter()
        .flat_map(|&i| xb[i * d..(i + 1) * d].to_vec())
        .collect();
    brute_force(metric, q, &rows, d, k)
        .into_iter()
        .map(|(dist, pos)| (dist, ids[keep[pos as usize]]))
        .collect()
}

/// Checks results against `want`; `exact_ties` also requires the labels to be equal
/// (the flat scans offer rows in order, as Faiss does; an IVF index offers them list by
/// list, so among equal distances it may keep others, as Faiss's IVF does), otherwise
/// each returned label must be selected and distinct.
fn check(
    index: &dyn Index,
    q: &[f32],
    k: usize,
    params: &SearchParams,
    want: &[(f64, i64)],
    exact_ties: bool,
) -> Result<(), TestCaseError> {
    let r = index.search(q, k, Some(params)).unwrap();
    let got: Vec<(f64, i64)> = r
        .labels
        .iter()
        .zip(&r.distances)
        .filter(|(&l, _)| l >= 0)
        .map(|(&l, &dist)| (f64::from(dist), l))
        .collect();
    prop_assert_eq!(
        got.len(),
        want.len(),
        "{} got {:?} want {:?}",
        index.type_name(),
        got,
        want
    );
    for (g, w) in got.iter().zip(want) {
        if exact_ties {
            prop_assert_eq!(
                g.1,
                w.1,
                "{} got {:?} want {:?}",
                index.type_name(),
                got,
                want
            );
        } else {
            prop_assert!(params.selector.is_none_or(|s| s.is_member(g.1)));
        }
        prop_assert!(close(g.0, w.0, 1e-5));
    }
    let distinct: HashSet<i64> = got.iter().map(|g| g.1).collect();
    prop_assert_eq!(distinct.len(), got.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn selected_search_is_the_top_k_among_the_selected(
        n in 0usize..300,
        d in 1usize..9,
        k in 1usize..12,
        ip in any::<bool>(),
        kind in prop_oneof![Just(Kind::Range), Just(Kind::Array), Just(Kind::Batch), Just(Kind::Bitmap)],
        density in 0u32..100,
        seed in any::<u64>(),
        lo in 0i64..200,
        width in 0i64..200,
    ) {
        let metric = if ip { MetricType::InnerProduct } else { MetricType::L2 };
        let xb = small_ints(n, d, 4, seed);
        let q = small_ints(1, d, 4, seed ^ 1);
        let mut rng = Lcg::new(seed ^ 2);
        let chosen: Vec<bool> = (0..n).map(|_| rng.below(100) < density).collect();
        let rows: Vec<i64> = (0..n as i64).collect();

        // Flat: labels are rows.
        let flat = FlatIndex::from_vectors(d, metric, xb.clone()).unwrap();
        let sel = selector(&kind, &rows, &chosen, lo, lo + width);
        let want = expected(metric, &q, &xb, d, k, &rows, &sel);
        check(&flat, &q, k, &SearchParams::with_selector(&sel), &want, true)?;

        // IVF probing every list: exact among the selected.
        if n >= 4 {
            let mut ivf = IvfFlatIndex::new(d, 4, metric).unwrap();
            ivf.train(&xb).unwrap();
            ivf.add(&xb).unwrap();
            let params = SearchParams { nprobe: Some(4), selector: Some(&sel), ..SearchParams::default() };
            check(&ivf, &q, k, &params, &want, false)?;
        }

        // Id maps: the selector names external ids.
        let ext: Vec<i64> = (0..n as i64).map(|i| 1000 + 3 * (n as i64 - i)).collect();
        let sel_ext = selector(&kind, &ext, &chosen, 1000 + lo, 1000 + lo + width);
        let want_ext = expected(metric, &q, &xb, d, k, &ext, &sel_ext);
        let mut map = IdMap::new(FlatIndex::new(d, metric).unwrap()).unwrap();
        map.add_with_ids(&xb, &ext).unwrap();
        check(&map, &q, k, &SearchParams::with_selector(&sel_ext), &want_ext, true)?;
        let mut map2 = IdMap2::new(FlatIndex::new(d, metric).unwrap()).unwrap();
        map2.add_with_ids(&xb, &ext).unwrap();
        check(&map2, &q, k, &SearchParams::with_selector(&sel_ext), &want_ext, true)?;

        // Range search: the unrestricted results that are selected.
        let radius = if ip { 2.0 } else { 6.0 };
        let all = flat.range_search(&q, radius, None).unwrap();
        let some = flat.range_search(&q, radius, Some(&SearchParams::with_selector(&sel))).unwrap();
        let want_ids: HashSet<i64> = all.labels.iter().copied().filter(|&l| sel.is_member(l)).collect();
        let got_ids: HashSet<i64> = some.labels.iter().copied().collect();
        prop_assert_eq!(got_ids, want_ids);
        prop_assert_eq!(some.lims.len(), 2);
    }
}

#[test]
fn bitmap_selects_its_bits_only() {
    let sel = IdSelector::bitmap(&[true, false, false, true]);
    assert!(sel.is_member(0) && sel.is_member(3));
    assert!(
        !sel.is_member(1) && !sel.is_member(4) && !sel.is_member(-1) && !sel.is_member(1 << 40)
    );
    assert_eq!(sel.count(), Some(2));
    assert_eq!(sel.listed_ids(), Some(vec![0, 3]));
    let m = sel.matcher();
    assert!(m.contains(3) && !m.contains(64));
    assert_eq!(IdSelector::range(2, 5).count(), None);
    assert_eq!(IdSelector::Array(vec![1, 1, 2]).count(), Some(2));
}

#[test]
fn an_empty_selection_returns_nothing() {
    let xb = uniform(100, 8, 3);
    let flat = FlatIndex::from_vectors(8, MetricType::L2, xb.clone()).unwrap();
    let none = IdSelector::Array(vec![]);
    let r = flat
        .search(&xb[..8], 5, Some(&SearchParams::with_selector(&none)))
        .unwrap();
    assert!(r.labels.iter().all(|&l| l == -1));
}

/// Many rows: the scan splits them across threads and merges, still exact with ties
/// broken by row, for a dense bitmap and a sparse list.
#[test]
fn split_scans_merge_exactly() {
    let (n, d, k) = (40_000, 4, 25);
    let xb = small_ints(n, d, 3, 11);
    let rows: Vec<i64> = (0..n as i64).collect();
    let mut rng = Lcg::new(12);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let flat = FlatIndex::from_vectors(d, metric, xb.clone()).unwrap();
        for density in [50u32, 3] {
            let chosen: Vec<bool> = (0..n).map(|_| rng.below(100) < density).collect();
            for kind in [Kind::Bitmap, Kind::Batch] {
                let sel = selector(&kind, &rows, &chosen, 0, 0);
                for qi in 0..3 {
                    let q = small_ints(1, d, 3, 100 + qi);
                    let want = expected(metric, &q, &xb, d, k, &rows, &sel);
                    check(
                        &flat,
                        &q,
                        k,
                        &SearchParams::with_selector(&sel),
                        &want,
                        true,
                    )
                    .unwrap();
                }
            }
        }
    }
}

/// Identical vectors get bitwise-identical distances wherever they sit and whatever
/// else is selected, so among equals the earliest row always wins (non-integer values
/// and an odd width, so every kernel path and remainder is exercised).
#[test]
fn duplicates_tie_by_row_whatever_the_selection() {
    let d = 37;
    let distinct = uniform(5, d, 21);
    let n = 3000;
    let mut rng = Lcg::new(22);
    let which: Vec<usize> = (0..n).map(|_| rng.below(5) as usize).collect();
    let xb: Vec<f32> = which
        .iter()
        .flat_map(|&w| distinct[w * d..(w + 1) * d].to_vec())
        .collect();
    let q = uniform(1, d, 23);
    for metric in [MetricType::L2, MetricType::InnerProduct] {
        let flat = FlatIndex::from_vectors(d, metric, xb.clone()).unwrap();
        for density in [2u32, 30, 90] {
            let chosen: Vec<bool> = (0..n).map(|_| rng.below(100) < density).collect();
            let sel = IdSelector::bitmap(&chosen);
            let k = 40;
            let r = flat
                .search(&q, k, Some(&SearchParams::with_selector(&sel)))
                .unwrap();
            // The expected order: by the distinct vector's rank, then by row.
            let mut want: Vec<(usize, i64)> = (0..n)
                .filter(|&i| chosen[i])
                .map(|i| (which[i], i as i64))
                .collect();
            let score = |w: usize| dist64(metric, &q, &distinct[w * d..(w + 1) * d]);
            want.sort_by(|a, b| {
                let (sa, sb) = (score(a.0), score(b.0));
                let by_score = match metric {
                    MetricType::L2 => sa.total_cmp(&sb),
                    MetricType::InnerProduct => sb.total_cmp(&sa),
                };
                by_score.then(a.1.cmp(&b.1))
            });
            want.truncate(k);
            let got: Vec<i64> = r.labels.iter().copied().filter(|&l| l >= 0).collect();
            if metric == MetricType::L2 {
                let want: Vec<i64> = want.iter().map(|w| w.1).collect();
                assert_eq!(got, want, "{metric:?} density {density}");
            }
            // Equal vectors, equal bits.
            for (i, &l) in got.iter().enumerate() {
                for (j, &m) in got.iter().enumerate() {
                    if which[l as usize] == which[m as usize] {
                        assert_eq!(r.distances[i].to_bits(), r.distances[j].to_bits());
                    }
                }
            }
        }
    }
}
