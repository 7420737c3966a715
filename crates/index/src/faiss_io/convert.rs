//! Conversion between the raw file structs and the index types.
//!
//! Decoding moves the vectors the raw layer decoded into the index (no second copy);
//! encoding borrows the index's storage (no copy at all).

use std::borrow::Cow;
use std::sync::Arc;

use super::error::FaissIoError;
use super::raw::{
    RawDirectMap, RawFlat, RawHnsw, RawIdMap, RawIndex, RawIvfFlat, RawIvfSq, RawList, RawSq,
    RawSqBlock, MAX_NESTING,
};
use crate::mapped::MappedLists;
use crate::{
    id_map_view, DirectMap, DirectMapType, FlatIndex, HnswFlatIndex, HnswParts, IdMap, IdMap2,
    Index, InvertedList, IvfFlatIndex, IvfFlatParts, IvfIndex, IvfSqIndex, IvfSqParts, ListCodec,
    ListUnit, ScalarQuantizerIndex, ScalarQuantizerParts,
};

/// Builds the index a decoded file describes.
pub(crate) fn index_from_raw(raw: RawIndex<'_>) -> Result<Box<dyn Index>, FaissIoError> {
    Ok(match raw {
        RawIndex::Flat(f) => Box::new(flat_from_raw(f)?),
        RawIndex::IvfFlat(v) => Box::new(ivf_from_raw(v, None)?),
        RawIndex::IdMap(m) => id_map_from_raw(m)?,
        RawIndex::Sq(q) => Box::new(sq_from_raw(q)?),
        RawIndex::IvfSq(v) => Box::new(ivf_sq_from_raw(v, None)?),
        RawIndex::Hnsw(h) => Box::new(hnsw_from_raw(h)?),
    })
}

fn hnsw_from_raw(h: RawHnsw<'_>) -> Result<HnswFlatIndex, FaissIoError> {
    Ok(HnswFlatIndex::from_parts(HnswParts {
        storage: flat_from_raw(h.storage)?,
        assign_probas: h.assign_probas.into_owned(),
        cum_neighbors: h.cum_neighbors.into_owned(),
        levels: h.levels.into_owned(),
        offsets: h.offsets.into_owned(),
        neighbors: h.neighbors.into_owned(),
        entry_point: h.entry_point,
        max_level: h.max_level,
        ef_construction: h.ef_construction,
        ef_search: h.ef_search,
    })?)
}

fn direct_map_from_raw(map: RawDirectMap<'_>) -> Result<DirectMap, FaissIoError> {
    Ok(match map {
        RawDirectMap::None => DirectMap::none(),
        RawDirectMap::Array(a) => DirectMap::from_array(a.into_owned()),
        RawDirectMap::Hashtable(pairs) => DirectMap::from_hashtable(pairs.into_owned())?,
    })
}

/// The decoded lists as the index's lists (moved, not copied).
fn lists_from_raw<T: Copy>(lists: Vec<RawList<'_, T>>) -> Vec<InvertedList<T>> {
    lists
        .into_iter()
        .map(|l| InvertedList::new(l.ids.into_owned(), l.codes.into_owned()))
        .collect()
}

/// An IVF index read with its lists' codes left in the file's mapping `map` (list `l`'s
/// from byte `code_starts[l]` on; see `raw::read_raw_index_leaving_codes`), searched
/// there. `None` for any other index (an IVF index nested in another included).
pub(crate) fn mapped_ivf_from_raw(
    raw: RawIndex<'_>,
    map: Arc<memmap2::Mmap>,
    code_starts: Vec<usize>,
) -> Result<Option<Box<dyn Index>>, FaissIoError> {
    let mapped = Some(MappedLists::new(map, code_starts));
    Ok(match raw {
        RawIndex::IvfFlat(v) => Some(Box::new(ivf_from_raw(v, mapped)?)),
        RawIndex::IvfSq(v) => Some(Box::new(ivf_sq_from_raw(v, mapped)?)),
        _ => None,
    })
}

fn ivf_sq_from_raw(
    v: RawIvfSq<'_>,
    mapped: Option<MappedLists>,
) -> Result<IvfSqIndex, FaissIoError> {
    let lists = lists_from_raw(v.lists);
    let parts = IvfSqParts {
        metric: v.metric,
        quantizer: flat_from_raw(v.quantizer)?,
        qtype: v.sq.qtype,
        rangestat: v.sq.rangestat,
        rangestat_arg: v.sq.rangestat_arg,
        trained: v.sq.trained.into_owned(),
        by_residual: v.by_residual,
        lists,
        direct_map: direct_map_from_raw(v.direct_map)?,
        nprobe: v.nprobe,
        is_trained: v.is_trained,
    };
    Ok(IvfSqIndex::from_parts_mapped(parts, mapped)?)
}

fn sq_from_raw(q: RawSq<'_>) -> Result<ScalarQuantizerIndex, FaissIoError> {
    Ok(ScalarQuantizerIndex::from_parts(ScalarQuantizerParts {
        d: q.d,
        metric: q.metric,
        qtype: q.qtype,
        rangestat: q.rangestat,
        rangestat_arg: q.rangestat_arg,
        trained: q.trained.into_owned(),
        codes: q.codes.into_owned(),
    })?)
}

fn flat_from_raw(f: RawFlat<'_>) -> Result<FlatIndex, FaissIoError> {
    Ok(FlatIndex::from_vectors(
        f.d,
        f.metric,
        f.vectors.into_owned(),
    )?)
}

fn ivf_from_raw(
    v: RawIvfFlat<'_>,
    mapped: Option<MappedLists>,
) -> Result<IvfFlatIndex, FaissIoError> {
    let direct_map = direct_map_from_raw(v.direct_map)?;
    let lists = lists_from_raw(v.lists);
    let parts = IvfFlatParts {
        metric: v.metric,
        quantizer: flat_from_raw(v.quantizer)?,
        lists,
        direct_map,
        nprobe: v.nprobe,
        is_trained: v.is_trained,
    };
    Ok(IvfFlatIndex::from_parts_mapped(parts, mapped)?)
}

/// An id map keeps its inner index concrete where it can (`IdMap<FlatIndex>`,
/// `IdMap<IvfFlatIndex>`), boxed otherwise.
fn id_map_from_raw(m: RawIdMap<'_>) -> Result<Box<dyn Index>, FaissIoError> {
    fn wrap<I: Index + Clone + 'static>(
        inner: I,
        ids: Vec<i64>,
        two_way: bool,
    ) -> Result<Box<dyn Index>, FaissIoError> {
        Ok(if two_way {
            Box::new(IdMap2::from_parts(inner, ids)?)
        } else {
            Box::new(IdMap::from_parts(inner, ids)?)
        })
    }
    let ids = m.ids.into_owned();
    match *m.inner {
        RawIndex::Flat(f) => wrap(flat_from_raw(f)?, ids, m.two_way),
        RawIndex::IvfFlat(v) => wrap(ivf_from_raw(v, None)?, ids, m.two_way),
        RawIndex::Hnsw(h) => wrap(hnsw_from_raw(h)?, ids, m.two_way),
        inner @ (RawIndex::IdMap(_) | RawIndex::Sq(_) | RawIndex::IvfSq(_)) => {
            wrap(index_from_raw(inner)?, ids, m.two_way)
        }
    }
}

/// Describes `index` as raw file structs that borrow its storage.
pub(crate) fn raw_from_index(index: &dyn Index) -> Result<RawIndex<'_>, FaissIoError> {
    raw_at_depth(index, 1)
}

fn raw_at_depth(index: &dyn Index, depth: usize) -> Result<RawIndex<'_>, FaissIoError> {
    let too_deep = |levels: usize| {
        if depth + levels - 1 > MAX_NESTING {
            Err(FaissIoError::bad(
                "index",
                0,
                format!("indexes nested deeper than {MAX_NESTING} could not be read back"),
            ))
        } else {
            Ok(())
        }
    };
    too_deep(1)?;
    let any = index.as_any();
    if let Some(f) = any.downcast_ref::<FlatIndex>() {
        return Ok(RawIndex::Flat(raw_flat(f)));
    }
    if let Some(v) = any.downcast_ref::<IvfFlatIndex>() {
        // The quantizer is one level below the IVF index.
        too_deep(2)?;
        return Ok(RawIndex::IvfFlat(raw_ivf(v)));
    }
    if let Some(v) = any.downcast_ref::<IvfSqIndex>() {
        too_deep(2)?;
        return Ok(RawIndex::IvfSq(raw_ivf_sq(v)));
    }
    if let Some(h) = any.downcast_ref::<HnswFlatIndex>() {
        // The storage is one level below the HNSW index.
        too_deep(2)?;
        return Ok(RawIndex::Hnsw(RawHnsw {
            is_trained: h.is_trained(),
            assign_probas: Cow::Borrowed(h.assign_probas()),
            cum_neighbors: Cow::Borrowed(h.cum_neighbors()),
            levels: Cow::Borrowed(h.levels()),
            offsets: Cow::Borrowed(h.offsets()),
            neighbors: Cow::Borrowed(h.neighbors()),
            entry_point: h.entry_point(),
            max_level: h.max_level(),
            ef_construction: h.ef_construction(),
            ef_search: h.ef_search(),
            storage: raw_flat(h.storage()),
        }));
    }
    if let Some(q) = any.downcast_ref::<ScalarQuantizerIndex>() {
        let (rangestat, rangestat_arg) = q.range_stat();
        return Ok(RawIndex::Sq(RawSq {
            d: q.dimension(),
            metric: q.metric(),
            is_trained: q.is_trained(),
            qtype: q.quantizer_type(),
            rangestat,
            rangestat_arg,
            trained: Cow::Borrowed(q.trained()),
            codes: Cow::Borrowed(q.codes()),
        }));
    }
    if let Some(view) = id_map_view(index) {
        return Ok(RawIndex::IdMap(RawIdMap {
            two_way: view.is_map2,
            inner: Box::new(raw_at_depth(view.inner, depth + 1)?),
            ids: Cow::Borrowed(view.ids),
        }));
    }
    Err(FaissIoError::UnsupportedIndex(index.type_name()))
}

fn raw_flat(f: &FlatIndex) -> RawFlat<'_> {
    RawFlat {
        d: f.dimension(),
        metric: f.metric(),
        vectors: f.vectors(),
    }
}

fn raw_direct_map(dm: &DirectMap) -> RawDirectMap<'_> {
    match dm.kind() {
        DirectMapType::NoMap => RawDirectMap::None,
        DirectMapType::Array => RawDirectMap::Array(Cow::Borrowed(dm.array())),
        DirectMapType::Hashtable => RawDirectMap::Hashtable(Cow::Borrowed(dm.hashtable_entries())),
    }
}

/// The lists of `v`, borrowed where they can be (floats in a mapping at an unaligned
/// address are copied).
fn raw_lists<C: ListCodec>(v: &IvfIndex<C>) -> Vec<RawList<'_, C::Unit>> {
    (0..v.nlist())
        .map(|l| RawList {
            ids: Cow::Borrowed(v.list_ids(l)),
            codes: C::Unit::to_cow(v.list_codes(l)),
        })
        .collect()
}

fn raw_ivf_sq(v: &IvfSqIndex) -> RawIvfSq<'_> {
    let (rangestat, rangestat_arg) = v.sq_range_stat();
    RawIvfSq {
        d: v.dimension(),
        metric: v.metric(),
        is_trained: v.is_trained(),
        nlist: v.nlist(),
        nprobe: v.nprobe(),
        quantizer: raw_flat(v.quantizer()),
        direct_map: raw_direct_map(v.direct_map()),
        sq: RawSqBlock {
            qtype: v.quantizer_type(),
            rangestat,
            rangestat_arg,
            trained: Cow::Borrowed(v.sq_trained()),
        },
        by_residual: v.by_residual(),
        lists: raw_lists(v),
    }
}

fn raw_ivf(v: &IvfFlatIndex) -> RawIvfFlat<'_> {
    let direct_map = raw_direct_map(v.direct_map());
    RawIvfFlat {
        d: v.dimension(),
        metric: v.metric(),
        is_trained: v.is_trained(),
        nlist: v.nlist(),
        nprobe: v.nprobe(),
        quantizer: raw_flat(v.quantizer()),
        direct_map,
        lists: raw_lists(v),
    }
}
