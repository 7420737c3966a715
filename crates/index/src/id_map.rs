//! `IdMap` and `IdMap2`: stable 64-bit external ids over an index whose own ids are
//! row positions (Faiss `IndexIDMap` / `IndexIDMap2`).

use std::collections::{HashMap, HashSet};

use crate::validate::{check_ids, vector_count};
use crate::{
    FlatIndex, HnswFlatIndex, IdSelector, Index, IndexError, IvfFlatIndex, MetricType,
    RangeSearchResult, SearchParams, SearchResult,
};

/// External ids over an inner index: `ids()[i]` is the id of the inner index's vector
/// `i`. Like Faiss's `IndexIDMap`, ids need not be unique (search returns each copy;
/// removing an id removes every copy); `add` without ids is refused.
#[derive(Debug, Clone)]
pub struct IdMap<I: Index + Clone + 'static = Box<dyn Index>> {
    inner: I,
    ids: Vec<i64>,
}

impl<I: Index + Clone + 'static> IdMap<I> {
    /// Wraps an empty inner index.
    pub fn new(inner: I) -> Result<IdMap<I>, IndexError> {
        IdMap::from_parts(inner, Vec::new())
    }

    /// Wraps `inner` whose vector `i` has external id `ids[i]` (e.g. parsed from a
    /// Faiss file); `ids.len()` must equal `inner.ntotal()`.
    pub fn from_parts(inner: I, ids: Vec<i64>) -> Result<IdMap<I>, IndexError> {
        if ids.len() != inner.ntotal() {
            return Err(IndexError::InvalidParts(format!(
                "{} ids for an inner index of {} vectors",
                ids.len(),
                inner.ntotal()
            )));
        }
        Ok(IdMap { inner, ids })
    }

    /// The external id of each inner vector, in inner order.
    pub fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// The wrapped index.
    pub fn inner(&self) -> &I {
        &self.inner
    }

    /// Takes the wrapped index and the ids apart.
    pub fn into_parts(self) -> (I, Vec<i64>) {
        (self.inner, self.ids)
    }

    fn translate(&self, labels: &mut [i64]) {
        for l in labels.iter_mut() {
            if *l >= 0 {
                *l = self.ids.get(*l as usize).copied().unwrap_or(-1);
            }
        }
    }

    /// A search's selector over external ids, as one over the inner index's positions
    /// (Faiss's `IDSelectorTranslated`, built as a bitmap: one pass over the ids).
    fn inner_selector(&self, params: Option<&SearchParams>) -> Option<IdSelector> {
        let matcher = params?.selector?.matcher();
        let selected: Vec<bool> = self.ids.iter().map(|&id| matcher.contains(id)).collect();
        Some(IdSelector::bitmap(&selected))
    }

    /// Inner position of the first vector stored under `id`.
    fn position_of(&self, id: i64) -> Option<usize> {
        self.ids.iter().position(|&x| x == id)
    }

    /// Shape and id checks; NaN is left to the inner index's `add`, which refuses it
    /// without changing anything.
    fn check_add(&self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        let n = vector_count(x, self.inner.dimension())?;
        check_ids(n, ids)
    }

    fn remove_matching(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        if !self.inner.as_any().is::<FlatIndex>() {
            return Err(IndexError::Unsupported(format!(
                "remove_ids through an id map over {} (its positions do not shift)",
                self.inner.type_name()
            )));
        }
        let m = sel.matcher();
        let positions: HashSet<i64> = self
            .ids
            .iter()
            .enumerate()
            .filter(|(_, &id)| m.contains(id))
            .map(|(p, _)| p as i64)
            .collect();
        if positions.is_empty() {
            return Ok(0);
        }
        let removed = self.inner.remove_ids(&IdSelector::Batch(positions))?;
        self.ids.retain(|&id| !m.contains(id));
        Ok(removed)
    }

    fn merge_parts(&mut self, other: &mut IdMap<I>) -> Result<(), IndexError> {
        self.inner.merge_from(&mut other.inner)?;
        self.ids.append(&mut other.ids);
        Ok(())
    }
}

impl<I: Index + Clone + 'static> Index for IdMap<I> {
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    fn ntotal(&self) -> usize {
        self.ids.len()
    }

    fn metric(&self) -> MetricType {
        self.inner.metric()
    }

    fn is_trained(&self) -> bool {
        self.inner.is_trained()
    }

    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.inner.train(x)
    }

    fn add(&mut self, _x: &[f32]) -> Result<(), IndexError> {
        Err(IndexError::Unsupported(
            "add without ids on an id map; use add_with_ids".into(),
        ))
    }

    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        self.check_add(x, ids)?;
        self.inner.add(x)?;
        self.ids.extend_from_slice(ids);
        Ok(())
    }

    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        let inner_selector = self.inner_selector(params);
        let inner_params = params.map(|p| SearchParams {
            selector: inner_selector.as_ref(),
            ..*p
        });
        let mut r = self.inner.search(queries, k, inner_params.as_ref())?;
        self.translate(&mut r.labels);
        Ok(r)
    }

    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        let inner_selector = self.inner_selector(params);
        let inner_params = params.map(|p| SearchParams {
            selector: inner_selector.as_ref(),
            ..*p
        });
        let mut r = self
            .inner
            .range_search(queries, radius, inner_params.as_ref())?;
        self.translate(&mut r.labels);
        Ok(r)
    }

    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        self.remove_matching(sel)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let pos = self.position_of(id).ok_or(IndexError::UnknownId(id))?;
        self.inner.reconstruct_into(pos as i64, out)
    }

    fn reset(&mut self) {
        self.inner.reset();
        self.ids.clear();
    }

    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let other_name = other.type_name();
        let Some(o) = other.as_any_mut().downcast_mut::<IdMap<I>>() else {
            return Err(IndexError::IncompatibleMerge(format!(
                "IndexIDMap cannot merge from {other_name}"
            )));
        };
        self.merge_parts(o)
    }

    fn type_name(&self) -> &'static str {
        "IndexIDMap"
    }

    /// `true`: an id map labels vectors with the ids given to `add_with_ids`.
    fn labels_are_external_ids(&self) -> bool {
        true
    }

    /// The inner index labels its vectors by position; each is reported under its
    /// external id (`-1` for a position without one, which `from_parts` rules out).
    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        let ids = &self.ids;
        self.inner.for_each_vector(&mut |pos, v| {
            let id = usize::try_from(pos)
                .ok()
                .and_then(|p| ids.get(p))
                .copied()
                .unwrap_or(-1);
            visit(id, v)
        })
    }
}

/// An [`IdMap`] that also keeps the reverse map id -> position, so ids are unique
/// ([`IndexError::DuplicateId`] otherwise) and `reconstruct` by id is O(1)
/// (Faiss `IndexIDMap2`).
#[derive(Debug, Clone)]
pub struct IdMap2<I: Index + Clone + 'static = Box<dyn Index>> {
    map: IdMap<I>,
    rev: HashMap<i64, usize>,
}

impl<I: Index + Clone + 'static> IdMap2<I> {
    /// Wraps an empty inner index.
    pub fn new(inner: I) -> Result<IdMap2<I>, IndexError> {
        IdMap2::from_parts(inner, Vec::new())
    }

    /// Wraps `inner` whose vector `i` has id `ids[i]`; ids must be unique.
    pub fn from_parts(inner: I, ids: Vec<i64>) -> Result<IdMap2<I>, IndexError> {
        let map = IdMap::from_parts(inner, ids)?;
        let rev = reverse_map(&map.ids)?;
        Ok(IdMap2 { map, rev })
    }

    /// The external id of each inner vector, in inner order.
    pub fn ids(&self) -> &[i64] {
        &self.map.ids
    }

    /// The wrapped index.
    pub fn inner(&self) -> &I {
        &self.map.inner
    }

    /// Takes the wrapped index and the ids apart.
    pub fn into_parts(self) -> (I, Vec<i64>) {
        self.map.into_parts()
    }

    /// Whether a vector is stored under `id`.
    pub fn contains(&self, id: i64) -> bool {
        self.rev.contains_key(&id)
    }
}

/// id -> position, rejecting duplicates.
fn reverse_map(ids: &[i64]) -> Result<HashMap<i64, usize>, IndexError> {
    let mut rev = HashMap::with_capacity(ids.len());
    for (p, &id) in ids.iter().enumerate() {
        if rev.insert(id, p).is_some() {
            return Err(IndexError::DuplicateId(id));
        }
    }
    Ok(rev)
}

impl<I: Index + Clone + 'static> Index for IdMap2<I> {
    fn dimension(&self) -> usize {
        self.map.dimension()
    }

    fn ntotal(&self) -> usize {
        self.map.ntotal()
    }

    fn metric(&self) -> MetricType {
        self.map.metric()
    }

    fn is_trained(&self) -> bool {
        self.map.is_trained()
    }

    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.map.train(x)
    }

    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.map.add(x)
    }

    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        self.map.check_add(x, ids)?;
        let mut batch = HashSet::with_capacity(ids.len());
        for &id in ids {
            if self.rev.contains_key(&id) || !batch.insert(id) {
                return Err(IndexError::DuplicateId(id));
            }
        }
        let start = self.map.ids.len();
        self.map.add_with_ids(x, ids)?;
        for (i, &id) in ids.iter().enumerate() {
            self.rev.insert(id, start + i);
        }
        Ok(())
    }

    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        self.map.search(queries, k, params)
    }

    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        self.map.range_search(queries, radius, params)
    }

    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        let removed = self.map.remove_matching(sel)?;
        if removed > 0 {
            self.rev = reverse_map(&self.map.ids)?;
        }
        Ok(removed)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let pos = *self.rev.get(&id).ok_or(IndexError::UnknownId(id))?;
        self.map.inner.reconstruct_into(pos as i64, out)
    }

    fn reset(&mut self) {
        self.map.reset();
        self.rev.clear();
    }

    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let other_name = other.type_name();
        let Some(o) = other.as_any_mut().downcast_mut::<IdMap2<I>>() else {
            return Err(IndexError::IncompatibleMerge(format!(
                "IndexIDMap2 cannot merge from {other_name}"
            )));
        };
        if let Some(&dup) = o.map.ids.iter().find(|id| self.rev.contains_key(id)) {
            return Err(IndexError::DuplicateId(dup));
        }
        let start = self.map.ids.len();
        self.map.merge_parts(&mut o.map)?;
        for (i, &id) in self.map.ids[start..].iter().enumerate() {
            self.rev.insert(id, start + i);
        }
        o.rev.clear();
        Ok(())
    }

    fn type_name(&self) -> &'static str {
        "IndexIDMap2"
    }

    /// `true`: an id map labels vectors with the ids given to `add_with_ids`.
    fn labels_are_external_ids(&self) -> bool {
        true
    }

    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        self.map.for_each_vector(visit)
    }
}

/// A read-only view of any id map, whatever its inner type: what a writer of Faiss
/// files needs (`IxMp` / `IxM2` + inner index + ids).
#[derive(Debug, Clone, Copy)]
pub struct IdMapView<'a> {
    /// The inner index.
    pub inner: &'a dyn Index,
    /// External id of each inner vector.
    pub ids: &'a [i64],
    /// `true` for an [`IdMap2`] (Faiss `IndexIDMap2`), `false` for an [`IdMap`].
    pub is_map2: bool,
}

/// The id-map view of `index` when it is an [`IdMap`] or [`IdMap2`] over a
/// [`FlatIndex`], an [`IvfFlatIndex`] or a `Box<dyn Index>`; `None` otherwise.
pub fn id_map_view(index: &dyn Index) -> Option<IdMapView<'_>> {
    let any = index.as_any();
    macro_rules! try_map {
        ($t:ty) => {
            if let Some(m) = any.downcast_ref::<IdMap<$t>>() {
                return Some(IdMapView {
                    inner: &m.inner,
                    ids: &m.ids,
                    is_map2: false,
                });
            }
            if let Some(m) = any.downcast_ref::<IdMap2<$t>>() {
                return Some(IdMapView {
                    inner: &m.map.inner,
                    ids: &m.map.ids,
                    is_map2: true,
                });
            }
        };
    }
    try_map!(FlatIndex);
    try_map!(IvfFlatIndex);
    try_map!(HnswFlatIndex);
    try_map!(Box<dyn Index>);
    None
}
