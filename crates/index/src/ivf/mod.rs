//! `IvfIndex`: a flat coarse quantizer over `nlist` centroids and one inverted list per
//! centroid, holding raw vectors (`IvfFlatIndex`, Faiss `IndexIVFFlat`) or scalar
//! quantizer codes (`IvfSqIndex`, Faiss `IndexIVFScalarQuantizer`): the list codec.

mod codec;
mod direct_map;
mod int_scan;
mod lists;
mod lone;
mod norms;
mod search;

use flatl2_kernel::TopK;
use rayon::prelude::*;
use std::borrow::Cow;

pub use codec::{FlatCodec, ListCodec, SqCodec};
pub use direct_map::{DirectMap, DirectMapType};
pub use lists::{InvertedList, ListUnit};

use norms::ListNorms;

use crate::index_trait::same_kind;
use crate::kmeans::{kmeans, ClusteringParameters};
use crate::mapped::MappedLists;
use crate::rng::rand_perm_prefix;
use crate::sq::{check_sq_dimension, QuantizerType, ScalarQuantizer};
use crate::validate::{check_ids, check_k, check_radius, checked_vectors};
use crate::{
    FlatIndex, IdSelector, Index, IndexError, MetricType, RangeSearchResult, SearchParams,
    SearchResult,
};

/// Every entry of `map` names a slot of `lists` that holds the id it is filed under
/// (as a Faiss file's direct map is checked when read), so removal and
/// reconstruction through it stay in bounds.
fn check_direct_map<T: Copy>(map: &DirectMap, lists: &[InvertedList<T>]) -> Result<(), IndexError> {
    let holds = |id: i64, lo: i64| {
        let (list_no, offset) = ((lo >> 32) as usize, (lo & 0xffff_ffff) as usize);
        lo >= 0 && lists.get(list_no).and_then(|l| l.ids.get(offset)) == Some(&id)
    };
    let bad = match map.kind() {
        DirectMapType::NoMap => None,
        DirectMapType::Array => map
            .array()
            .iter()
            .enumerate()
            .find(|&(id, &lo)| !holds(id as i64, lo))
            .map(|(id, _)| id as i64),
        DirectMapType::Hashtable => map
            .hashtable_entries()
            .iter()
            .find(|&&(id, lo)| !holds(id, lo))
            .map(|&(id, _)| id),
    };
    match bad {
        Some(id) => Err(IndexError::InvalidParts(format!(
            "the direct map files id {id} where the lists do not hold it"
        ))),
        None => Ok(()),
    }
}

/// Faiss's default `nprobe`.
pub const DEFAULT_NPROBE: usize = 1;

/// Everything an [`IvfFlatIndex`] holds, as plain values: what a Faiss `IwFl` file
/// stores (the dimension is the quantizer's, `ntotal` the sum of list lengths,
/// `code_size` is `4 * d`).
#[derive(Debug, Clone)]
pub struct IvfFlatParts {
    /// Metric of the IVF index (the header's `metric_type`).
    pub metric: MetricType,
    /// Coarse quantizer: `nlist` centroids once trained, empty before.
    pub quantizer: FlatIndex,
    /// One list per centroid (`nlist` lists).
    pub lists: Vec<InvertedList>,
    /// Direct map (id -> location), possibly none.
    pub direct_map: DirectMap,
    /// Persisted default of lists visited per query.
    pub nprobe: usize,
    /// Header `is_trained`.
    pub is_trained: bool,
}

/// `slot`'s heap, emptied; made anew when it keeps another `k` or orders by another
/// metric.
fn emptied(slot: &mut Option<TopK>, metric: MetricType, k: usize) -> &mut TopK {
    match slot {
        Some(heap) if heap.metric() == metric && heap.k() == k => heap.reset(),
        _ => *slot = Some(TopK::new(metric, k)),
    }
    slot.get_or_insert_with(|| TopK::new(metric, k))
}

/// The most inverted lists an [`IvfFlatIndex`] may have: 2^22 (4,194,304; Faiss's
/// guidance of 4-16 √N lists reaches that only past 10^10 vectors). The empty lists
/// alone take 48 bytes each, so a count from outside (a factory string) is checked
/// against this before anything is allocated.
pub const MAX_NLIST: usize = 1 << 22;

/// An inverted-file index whose lists hold what its codec `C` stores.
#[derive(Debug, Clone)]
pub struct IvfIndex<C: ListCodec = FlatCodec> {
    d: usize,
    metric: MetricType,
    quantizer: FlatIndex,
    lists: Vec<InvertedList<C::Unit>>,
    direct_map: DirectMap,
    nprobe: usize,
    /// Whether the coarse quantizer is trained (the codec says for itself).
    is_trained: bool,
    ntotal: usize,
    cp: ClusteringParameters,
    codec: C,
    /// The lists' codes, while they stay in the mapping of the file the index was read
    /// from (the lists then hold their ids and no codes); the first change copies them
    /// into the lists.
    mapped: Option<MappedLists>,
    /// The squared norms of the lists' 8-bit codes, for their integer scan; emptied
    /// by every change to the lists or the codec.
    code_norms: ListNorms,
}

/// An inverted-file index with raw (flat) vectors in the lists (Faiss `IndexIVFFlat`).
pub type IvfFlatIndex = IvfIndex<FlatCodec>;

/// An inverted-file index with scalar-quantizer codes in the lists, of each vector's
/// residual from its list's centroid (Faiss `IndexIVFScalarQuantizer`, factory
/// `IVF{nlist},SQ8` / `IVF{nlist},SQfp16`).
pub type IvfSqIndex = IvfIndex<SqCodec>;

/// Everything an [`IvfSqIndex`] holds, as plain values: what a Faiss `IwSq` file
/// stores.
#[derive(Debug, Clone)]
pub struct IvfSqParts {
    /// Metric of the IVF index.
    pub metric: MetricType,
    /// Coarse quantizer: `nlist` centroids once trained, empty before.
    pub quantizer: FlatIndex,
    /// Quantizer type.
    pub qtype: QuantizerType,
    /// Faiss's `rangestat` and `rangestat_arg` (training-time settings).
    pub rangestat: i32,
    /// See `rangestat`.
    pub rangestat_arg: f32,
    /// The scalar quantizer's trained values (empty before training; none for fp16).
    pub trained: Vec<f32>,
    /// Whether codes are of residuals from the list's centroid.
    pub by_residual: bool,
    /// One list per centroid, `code_size` bytes per entry.
    pub lists: Vec<InvertedList<u8>>,
    /// Direct map (id -> location), possibly none.
    pub direct_map: DirectMap,
    /// Persisted default of lists visited per query.
    pub nprobe: usize,
    /// Header `is_trained`.
    pub is_trained: bool,
}

impl IvfFlatIndex {
    /// An untrained index of dimension `d` with `nlist` lists, `nprobe` 1, no direct
    /// map, and Faiss's IVF clustering parameters.
    pub fn new(d: usize, nlist: usize, metric: MetricType) -> Result<IvfFlatIndex, IndexError> {
        IvfIndex::empty(d, nlist, metric, FlatCodec)
    }

    /// An index from raw parts (e.g. a parsed Faiss file), checked for consistency.
    pub fn from_parts(parts: IvfFlatParts) -> Result<IvfFlatIndex, IndexError> {
        IvfFlatIndex::from_parts_mapped(parts, None)
    }

    /// [`IvfFlatIndex::from_parts`]; with `mapped`, the lists hold ids only and their
    /// codes lie in that mapping.
    pub(crate) fn from_parts_mapped(
        parts: IvfFlatParts,
        mapped: Option<MappedLists>,
    ) -> Result<IvfFlatIndex, IndexError> {
        IvfIndex::checked(
            parts.metric,
            parts.quantizer,
            parts.lists,
            parts.direct_map,
            parts.nprobe,
            parts.is_trained,
            FlatCodec,
            mapped,
        )
    }

    /// The raw parts, consuming the index (codes in a mapping are copied out).
    pub fn into_parts(mut self) -> IvfFlatParts {
        self.own_codes();
        IvfFlatParts {
            metric: self.metric,
            quantizer: self.quantizer,
            lists: self.lists,
            direct_map: self.direct_map,
            nprobe: self.nprobe,
            is_trained: self.is_trained,
        }
    }
}

impl IvfSqIndex {
    /// An untrained index of dimension `d` with `nlist` lists of `qtype` codes of
    /// residuals (Faiss's default), `nprobe` 1, no direct map.
    pub fn new(
        d: usize,
        nlist: usize,
        qtype: QuantizerType,
        metric: MetricType,
    ) -> Result<IvfSqIndex, IndexError> {
        check_sq_dimension(d)?;
        IvfIndex::empty(d, nlist, metric, SqCodec::new(qtype, d))
    }

    /// An index from raw parts (e.g. a parsed Faiss file), checked for consistency.
    pub fn from_parts(parts: IvfSqParts) -> Result<IvfSqIndex, IndexError> {
        IvfSqIndex::from_parts_mapped(parts, None)
    }

    /// [`IvfSqIndex::from_parts`]; with `mapped`, the lists hold ids only and their
    /// codes lie in that mapping.
    pub(crate) fn from_parts_mapped(
        parts: IvfSqParts,
        mapped: Option<MappedLists>,
    ) -> Result<IvfSqIndex, IndexError> {
        let d = parts.quantizer.dimension();
        let sq = ScalarQuantizer::from_parts(
            parts.qtype,
            d,
            parts.rangestat,
            parts.rangestat_arg,
            parts.trained,
        )?;
        let codec = SqCodec {
            sq,
            by_residual: parts.by_residual,
        };
        let has_codes = parts.lists.iter().any(|l| !l.is_empty());
        if has_codes && !codec.is_trained() {
            return Err(IndexError::InvalidParts(
                "codes of an untrained scalar quantizer".into(),
            ));
        }
        IvfIndex::checked(
            parts.metric,
            parts.quantizer,
            parts.lists,
            parts.direct_map,
            parts.nprobe,
            parts.is_trained,
            codec,
            mapped,
        )
    }

    /// The quantizer type of the codes.
    pub fn quantizer_type(&self) -> QuantizerType {
        self.codec.sq.qtype
    }

    /// Whether codes hold residuals from the list's centroid.
    pub fn by_residual(&self) -> bool {
        self.codec.by_residual
    }

    /// The scalar quantizer's trained values (`[vmin; d] ++ [vdiff; d]` for 8-bit).
    pub fn sq_trained(&self) -> &[f32] {
        &self.codec.sq.trained
    }

    /// Faiss's `rangestat` and `rangestat_arg` of the scalar quantizer.
    pub fn sq_range_stat(&self) -> (i32, f32) {
        (self.codec.sq.rangestat, self.codec.sq.rangestat_arg)
    }
}

impl<C: ListCodec> IvfIndex<C> {
    /// An untrained index with `nlist` empty lists.
    fn empty(d: usize, nlist: usize, metric: MetricType, codec: C) -> Result<Self, IndexError> {
        if nlist == 0 {
            return Err(IndexError::InvalidParameter(
                "nlist must be positive".into(),
            ));
        }
        if nlist > MAX_NLIST {
            return Err(IndexError::InvalidParameter(format!(
                "nlist {nlist} is more than the {MAX_NLIST} lists an IVF index may have"
            )));
        }
        let quantizer = FlatIndex::new(d, metric)?;
        Ok(IvfIndex {
            d,
            metric,
            quantizer,
            lists: vec![InvertedList::default(); nlist],
            direct_map: DirectMap::none(),
            nprobe: DEFAULT_NPROBE,
            is_trained: false,
            ntotal: 0,
            cp: ClusteringParameters::for_ivf(metric),
            codec,
            mapped: None,
            code_norms: ListNorms::new(nlist),
        })
    }

    /// An index from raw parts, checked for consistency; with `mapped`, the lists hold
    /// ids only and their codes lie in that mapping. Without, large lists' codes are
    /// packed into one array in huge pages ([`MappedLists::packed`]) and searched
    /// there until the first change, as mapped codes are.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn checked(
        metric: MetricType,
        quantizer: FlatIndex,
        mut lists: Vec<InvertedList<C::Unit>>,
        direct_map: DirectMap,
        nprobe: usize,
        is_trained: bool,
        codec: C,
        mapped: Option<MappedLists>,
    ) -> Result<Self, IndexError> {
        let d = quantizer.dimension();
        let nlist = lists.len();
        if nlist == 0 {
            return Err(IndexError::InvalidParts("nlist is 0".into()));
        }
        if is_trained && quantizer.ntotal() != nlist {
            return Err(IndexError::InvalidParts(format!(
                "trained index with {} centroids for {nlist} lists",
                quantizer.ntotal()
            )));
        }
        let units = codec.units(d);
        let unit_bytes = std::mem::size_of::<C::Unit>();
        if mapped.as_ref().is_some_and(|m| m.len() != nlist) {
            return Err(IndexError::InvalidParts(format!(
                "mapped codes for other than {nlist} lists"
            )));
        }
        let mut ntotal = 0usize;
        for (i, l) in lists.iter().enumerate() {
            let expected = l.ids.len().checked_mul(units);
            let whole = match &mapped {
                // Held in the mapping, whole, and readable in place.
                Some(m) => {
                    l.codes.is_empty()
                        && expected
                            .and_then(|v| v.checked_mul(unit_bytes))
                            .and_then(|bytes| m.list(i, bytes))
                            .and_then(C::Unit::codes_from_le_bytes)
                            .is_some()
                }
                None => Some(l.codes.len()) == expected,
            };
            if !whole {
                return Err(IndexError::InvalidParts(format!(
                    "list {i}: {} ids but {} code values ({units} per vector)",
                    l.ids.len(),
                    l.codes.len()
                )));
            }
            ntotal += l.len();
        }
        if !is_trained && ntotal > 0 {
            return Err(IndexError::InvalidParts(
                "untrained index holding vectors".into(),
            ));
        }
        if direct_map.kind() == DirectMapType::Array && direct_map.array().len() != ntotal {
            return Err(IndexError::InvalidParts(format!(
                "array direct map of {} entries for {ntotal} vectors",
                direct_map.array().len()
            )));
        }
        check_direct_map(&direct_map, &lists)?;
        let mapped = mapped.or_else(|| MappedLists::packed(&mut lists));
        // A file's `is_trained` is the whole index's (Faiss sets it once the codec is
        // trained too); a quantizer holding its `nlist` centroids is trained either way.
        let quantizer_trained = is_trained || quantizer.ntotal() == nlist;
        Ok(IvfIndex {
            d,
            metric,
            quantizer,
            lists,
            direct_map,
            nprobe,
            is_trained: quantizer_trained,
            ntotal,
            cp: ClusteringParameters::for_ivf(metric),
            codec,
            mapped,
            code_norms: ListNorms::new(nlist),
        })
    }

    /// Code values per vector.
    fn units(&self) -> usize {
        self.codec.units(self.d)
    }

    /// The centroid of list `l` (empty before training).
    fn centroid(&self, l: usize) -> Cow<'_, [f32]> {
        self.quantizer.row(l).unwrap_or_default()
    }

    /// Whether the coarse quantizer holds its centroids (the lists' codec may still
    /// need training: see [`Index::is_trained`]).
    pub fn is_quantizer_trained(&self) -> bool {
        self.is_trained
    }

    /// Number of inverted lists (centroids).
    pub fn nlist(&self) -> usize {
        self.lists.len()
    }

    /// Lists visited per query when a search passes no `nprobe`.
    pub fn nprobe(&self) -> usize {
        self.nprobe
    }

    /// Sets the default `nprobe` (must be positive).
    pub fn set_nprobe(&mut self, nprobe: usize) -> Result<(), IndexError> {
        if nprobe == 0 {
            return Err(IndexError::InvalidParameter(
                "nprobe must be positive".into(),
            ));
        }
        self.nprobe = nprobe;
        Ok(())
    }

    /// The coarse quantizer (its vectors are the centroids).
    pub fn quantizer(&self) -> &FlatIndex {
        &self.quantizer
    }

    /// The centroids, row-major (`nlist * d` once trained); borrowed unless the
    /// quantizer was built over mapped storage.
    pub fn centroids(&self) -> Cow<'_, [f32]> {
        self.quantizer.vectors()
    }

    /// Number of vectors in each list.
    pub fn list_sizes(&self) -> Vec<usize> {
        self.lists.iter().map(InvertedList::len).collect()
    }

    /// The ids of list `l`, in list order (empty for a list that does not exist).
    pub fn list_ids(&self, l: usize) -> &[i64] {
        self.lists.get(l).map_or(&[], |list| &list.ids)
    }

    /// The codes of list `l`, [`IvfIndex::code_size`] bytes per entry, wherever they
    /// are (in the lists or in the mapping of the file the index was read from; empty
    /// for a list that does not exist).
    pub fn list_codes(&self, l: usize) -> <C::Unit as ListUnit>::Codes<'_> {
        let Some(list) = self.lists.get(l) else {
            return C::Unit::codes(&[]);
        };
        match &self.mapped {
            // Checked when the index was made: the bytes are in the mapping and read
            // in place; the fallback is never taken.
            Some(m) => m
                .list(l, list.len() * self.code_size())
                .and_then(C::Unit::codes_from_le_bytes)
                .unwrap_or(C::Unit::codes(&[])),
            None => C::Unit::codes(&list.codes),
        }
    }

    /// Whether the lists' codes are searched in place in a read-only mapping of the
    /// file the index was read from (until the first change copies them).
    pub fn is_mapped(&self) -> bool {
        self.mapped.as_ref().is_some_and(MappedLists::in_file)
    }

    /// Makes the lists ready for a change: their codes copied out of a mapping, their
    /// code norms forgotten.
    fn lists_will_change(&mut self) {
        self.own_codes();
        self.code_norms.clear();
    }

    /// Copies codes that lie in a mapping into the lists, which every change needs.
    fn own_codes(&mut self) {
        if self.mapped.is_none() {
            return;
        }
        let owned: Vec<Vec<C::Unit>> = (0..self.lists.len())
            .map(|l| C::Unit::to_cow(self.list_codes(l)).into_owned())
            .collect();
        for (list, codes) in self.lists.iter_mut().zip(owned) {
            list.codes = codes;
        }
        self.mapped = None;
    }

    /// The direct map.
    pub fn direct_map(&self) -> &DirectMap {
        &self.direct_map
    }

    /// Bytes per stored vector (`4 * d` for raw vectors), the `code_size` of a Faiss
    /// file.
    pub fn code_size(&self) -> usize {
        self.units() * std::mem::size_of::<C::Unit>()
    }

    /// The k-means parameters `train` uses.
    pub fn clustering_params(&self) -> &ClusteringParameters {
        &self.cp
    }

    /// Replaces the k-means parameters `train` uses.
    pub fn set_clustering_params(&mut self, cp: ClusteringParameters) {
        self.cp = cp;
    }

    /// Switches the direct map type, rebuilding it from the lists (Faiss
    /// `set_direct_map_type`). An array needs ids `0..ntotal`.
    pub fn set_direct_map_type(&mut self, kind: DirectMapType) -> Result<(), IndexError> {
        self.direct_map = DirectMap::build(kind, &self.lists)?;
        Ok(())
    }

    /// Trains from given centroids instead of k-means (`nlist * d` values).
    pub fn train_with_centroids(&mut self, centroids: &[f32]) -> Result<(), IndexError> {
        let n = checked_vectors(centroids, self.d)?;
        if n != self.nlist() {
            return Err(IndexError::InvalidParameter(format!(
                "{n} centroids for {} lists",
                self.nlist()
            )));
        }
        self.quantizer = FlatIndex::from_vectors(self.d, self.metric, centroids.to_vec())?;
        self.is_trained = true;
        Ok(())
    }

    /// Coarse assignment: the nearest list of every vector.
    fn assign_lists(&self, x: &[f32]) -> Result<Vec<i64>, IndexError> {
        Ok(self.quantizer.search_unchecked(x, 1)?.labels)
    }

    fn add_core(&mut self, x: &[f32], ids: Option<&[i64]>) -> Result<(), IndexError> {
        let n = checked_vectors(x, self.d)?;
        if let Some(ids) = ids {
            check_ids(n, ids)?;
        }
        if !self.is_trained() {
            return Err(IndexError::NotTrained);
        }
        self.direct_map.check_can_add(ids.is_some())?;
        self.lists_will_change();
        if self.direct_map.kind() == DirectMapType::Hashtable {
            if let Some(ids) = ids {
                let mut seen = std::collections::HashSet::with_capacity(ids.len());
                for &id in ids {
                    if self.direct_map.locate(id).is_ok() || !seen.insert(id) {
                        return Err(IndexError::DuplicateId(id));
                    }
                }
            }
        }
        let assign = self.assign_lists(x)?;
        // Faiss silently drops a vector no centroid is finitely close to (e.g. with an
        // infinite component) yet counts it in ntotal; refuse it instead.
        if let Some(row) = assign.iter().position(|&l| l < 0) {
            return Err(IndexError::InvalidParameter(format!(
                "vector {row} has no finite distance to any centroid"
            )));
        }
        let d = self.d;
        let first_id = self.ntotal as i64;
        let id_of = |i: usize| match ids {
            Some(ids) => ids[i],
            None => first_id + i as i64,
        };
        // Rows of each list in input order (counting sort), then every list appends its
        // rows in parallel: the same lists as appending row after row.
        let nlist = self.nlist();
        let mut start = vec![0usize; nlist + 1];
        for &l in &assign {
            if let Ok(l) = usize::try_from(l) {
                start[l + 1] += 1;
            }
        }
        for l in 0..nlist {
            start[l + 1] += start[l];
        }
        let mut fill = start.clone();
        let mut rows = vec![0usize; start[nlist]];
        for (i, &l) in assign.iter().enumerate() {
            if let Ok(l) = usize::try_from(l) {
                rows[fill[l]] = i;
                fill[l] += 1;
            }
        }
        let offsets: Vec<usize> = self.lists.iter().map(InvertedList::len).collect();
        let units = self.units();
        let (codec, quantizer) = (&self.codec, &self.quantizer);
        self.lists.par_iter_mut().enumerate().for_each(|(l, list)| {
            let mine = &rows[start[l]..start[l + 1]];
            if mine.is_empty() {
                return;
            }
            let centroid = quantizer.row(l).unwrap_or_default();
            let mut scratch = vec![0.0f32; d];
            list.ids.reserve(mine.len());
            list.codes.reserve(mine.len() * units);
            for &i in mine {
                list.ids.push(id_of(i));
                codec.encode(
                    &x[i * d..(i + 1) * d],
                    &centroid,
                    &mut scratch,
                    &mut list.codes,
                );
            }
        });
        if self.direct_map.kind() != DirectMapType::NoMap {
            for (i, &l) in assign.iter().enumerate() {
                if let Ok(l) = usize::try_from(l) {
                    // Position of row i within its list's new entries.
                    let pos = rows[start[l]..start[l + 1]].binary_search(&i).unwrap_or(0);
                    self.direct_map.add(id_of(i), l, offsets[l] + pos);
                }
            }
        }
        self.ntotal += n;
        Ok(())
    }

    /// The effective `nprobe` of a call: the parameter's, else the index's, clamped to
    /// `nlist`.
    fn effective_nprobe(&self, params: Option<&SearchParams>) -> Result<usize, IndexError> {
        let nprobe = params.and_then(|p| p.nprobe).unwrap_or(self.nprobe);
        if nprobe == 0 {
            return Err(IndexError::InvalidParameter(
                "nprobe must be positive".into(),
            ));
        }
        Ok(nprobe.min(self.nlist()))
    }

    /// Faiss's `merge_from(other, add_id)`: appends every list of `other` with its ids
    /// shifted by `add_id`, leaving `other` empty. Requires the same dimension,
    /// metric, `nlist` and identical centroids, and no direct map on either side.
    pub fn merge_from_with_offset(
        &mut self,
        other: &mut IvfIndex<C>,
        add_id: i64,
    ) -> Result<(), IndexError> {
        if other.d != self.d || other.metric != self.metric {
            return Err(IndexError::IncompatibleMerge(format!(
                "dimension/metric {}/{:?} vs {}/{:?}",
                self.d, self.metric, other.d, other.metric
            )));
        }
        if other.nlist() != self.nlist() {
            return Err(IndexError::IncompatibleMerge(format!(
                "nlist {} vs {}",
                self.nlist(),
                other.nlist()
            )));
        }
        if self.quantizer.vectors() != other.quantizer.vectors() {
            return Err(IndexError::IncompatibleMerge(
                "coarse quantizers differ (the centroids must be equal)".into(),
            ));
        }
        if self.codec != other.codec {
            return Err(IndexError::IncompatibleMerge(
                "the lists' codecs differ (scalar quantizer type, ranges or residuals)".into(),
            ));
        }
        if self.direct_map.kind() != DirectMapType::NoMap
            || other.direct_map.kind() != DirectMapType::NoMap
        {
            return Err(IndexError::IncompatibleMerge(
                "merging indexes with a direct map is not supported (as in Faiss)".into(),
            ));
        }
        self.lists_will_change();
        other.lists_will_change();
        for (mine, theirs) in self.lists.iter_mut().zip(other.lists.iter_mut()) {
            mine.ids.extend(theirs.ids.iter().map(|&id| id + add_id));
            mine.codes.extend_from_slice(&theirs.codes);
            theirs.clear();
        }
        self.ntotal += other.ntotal;
        other.ntotal = 0;
        Ok(())
    }

    /// Faiss's removal with no direct map: each list is scanned, a removed entry is
    /// replaced by the list's last entry.
    fn remove_scan(&mut self, sel: &IdSelector) -> usize {
        let m = sel.matcher();
        let d = self.units();
        self.lists
            .par_iter_mut()
            .map(|list| {
                let before = list.len();
                let mut l = before;
                let mut j = 0;
                while j < l {
                    if m.contains(list.ids[j]) {
                        l -= 1;
                        list.copy_entry(l, j, d);
                    } else {
                        j += 1;
                    }
                }
                list.truncate(l, d);
                before - l
            })
            .sum()
    }

    /// Removal through a hashtable direct map: each selected id is swapped with the
    /// last entry of its list.
    fn remove_hashtable(&mut self, sel: &IdSelector) -> usize {
        // A selector that may list more ids than the index holds (a dense bitmap) is
        // matched against the stored ids instead of listed.
        let listed = match sel.count() {
            Some(count) if count <= self.ntotal => sel.listed_ids(),
            _ => None,
        };
        let candidates: Vec<i64> = match listed {
            Some(ids) => ids,
            None => {
                let m = sel.matcher();
                let mut ids: Vec<i64> = self
                    .direct_map
                    .hashtable_ids()
                    .filter(|&id| m.contains(id))
                    .collect();
                ids.sort_unstable();
                ids
            }
        };
        let d = self.units();
        let mut removed = 0;
        for id in candidates {
            let Some((list_no, offset)) = self.direct_map.remove(id) else {
                continue;
            };
            let list = &mut self.lists[list_no];
            let last = list.len() - 1;
            if offset < last {
                list.copy_entry(last, offset, d);
                let moved = list.ids[offset];
                self.direct_map.relocate(moved, list_no, offset);
            }
            list.truncate(last, d);
            removed += 1;
        }
        removed
    }
}

impl<C: ListCodec> Index for IvfIndex<C> {
    fn dimension(&self) -> usize {
        self.d
    }

    fn ntotal(&self) -> usize {
        self.ntotal
    }

    fn metric(&self) -> MetricType {
        self.metric
    }

    fn is_trained(&self) -> bool {
        self.is_trained && self.codec.is_trained()
    }

    /// k-means on `x` with [`IvfIndex::clustering_params`], skipped once the
    /// quantizer holds its centroids (as Faiss's `train_q1`); then, for a codec that
    /// needs it, Faiss's encoder training: at most the codec's limit of the vectors
    /// (Faiss's subsample, `rand_perm` with seed 1234), as residuals from their nearest
    /// centroid when the codec stores residuals.
    fn train(&mut self, x: &[f32]) -> Result<(), IndexError> {
        let n = checked_vectors(x, self.d)?;
        if self.is_trained() {
            return Ok(());
        }
        if !self.is_trained {
            let result = kmeans(x, self.d, self.nlist(), self.metric, &self.cp)?;
            self.quantizer = FlatIndex::from_vectors(self.d, self.metric, result.centroids)?;
            self.is_trained = true;
        }
        if self.codec.is_trained() {
            return Ok(());
        }
        self.code_norms.clear();
        let d = self.d;
        let limit = self.codec.train_limit();
        let sample: Vec<f32>;
        let x = if limit > 0 && n > limit {
            sample = rand_perm_prefix(n, limit, 1234)
                .into_iter()
                .flat_map(|i| x[i * d..(i + 1) * d].iter().copied())
                .collect();
            &sample[..]
        } else {
            x
        };
        if self.codec.by_residual() {
            let assign = self.assign_lists(x)?;
            let mut residuals = x.to_vec();
            for (r, &l) in residuals.chunks_exact_mut(d).zip(&assign) {
                let centroid = usize::try_from(l).ok().and_then(|l| self.quantizer.row(l));
                if let Some(c) = centroid {
                    for (v, &cv) in r.iter_mut().zip(c.iter()) {
                        *v -= cv;
                    }
                }
            }
            self.codec.train(&residuals)
        } else {
            self.codec.train(x)
        }
    }

    fn add(&mut self, x: &[f32]) -> Result<(), IndexError> {
        self.add_core(x, None)
    }

    fn add_with_ids(&mut self, x: &[f32], ids: &[i64]) -> Result<(), IndexError> {
        self.add_core(x, Some(ids))
    }

    fn search(
        &self,
        queries: &[f32],
        k: usize,
        params: Option<&SearchParams>,
    ) -> Result<SearchResult, IndexError> {
        check_k(k, queries.len() / self.d)?;
        checked_vectors(queries, self.d)?;
        let nprobe = self.effective_nprobe(params)?;
        if !self.is_trained() {
            return Err(IndexError::NotTrained);
        }
        self.search_lists(queries, k, nprobe, params.and_then(|p| p.selector))
    }

    fn range_search(
        &self,
        queries: &[f32],
        radius: f32,
        params: Option<&SearchParams>,
    ) -> Result<RangeSearchResult, IndexError> {
        check_radius(radius)?;
        checked_vectors(queries, self.d)?;
        let nprobe = self.effective_nprobe(params)?;
        if !self.is_trained() {
            return Err(IndexError::NotTrained);
        }
        let result = self.range_search_lists(queries, radius, nprobe)?;
        Ok(match params.and_then(|p| p.selector) {
            Some(selector) => result.retain_selected(selector),
            None => result,
        })
    }

    fn remove_ids(&mut self, sel: &IdSelector) -> Result<usize, IndexError> {
        if self.direct_map.kind() != DirectMapType::Array {
            self.lists_will_change();
        }
        let removed = match self.direct_map.kind() {
            DirectMapType::NoMap => self.remove_scan(sel),
            DirectMapType::Hashtable => self.remove_hashtable(sel),
            DirectMapType::Array => {
                return Err(IndexError::Unsupported(
                    "remove_ids with an array direct map (as in Faiss)".into(),
                ))
            }
        };
        self.ntotal -= removed;
        Ok(removed)
    }

    fn reconstruct_into(&self, id: i64, out: &mut [f32]) -> Result<(), IndexError> {
        let (list_no, offset) = self.direct_map.locate(id)?;
        let units = self.units();
        let codes = self.list_codes(list_no);
        if offset >= self.list_ids(list_no).len() {
            return Err(IndexError::UnknownId(id));
        }
        let code = C::Unit::to_cow(C::Unit::slice(codes, offset * units..(offset + 1) * units));
        if out.len() != self.d {
            return Err(IndexError::DimensionMismatch {
                dimension: self.d,
                len: out.len(),
            });
        }
        self.codec.decode(&code, &self.centroid(list_no), out);
        Ok(())
    }

    fn reset(&mut self) {
        self.mapped = None;
        self.code_norms.clear();
        self.lists.iter_mut().for_each(InvertedList::clear);
        self.direct_map.clear();
        self.ntotal = 0;
    }

    /// Faiss's default `merge_from(other)` (`add_id = 0`: ids are kept as they are).
    fn merge_from(&mut self, other: &mut dyn Index) -> Result<(), IndexError> {
        let o = same_kind::<IvfIndex<C>>(self.type_name(), other)?;
        self.merge_from_with_offset(o, 0)
    }

    fn type_name(&self) -> &'static str {
        self.codec.type_name()
    }

    /// Visits the vectors the codes stand for (decoded for scalar quantizers).
    fn for_each_vector(&self, visit: &mut dyn FnMut(i64, &[f32])) -> Result<(), IndexError> {
        let mut buf = vec![0.0f32; self.d];
        let units = self.units().max(1);
        for (l, list) in self.lists.iter().enumerate() {
            let centroid = self.centroid(l);
            let codes = C::Unit::to_cow(self.list_codes(l));
            for (&id, code) in list.ids.iter().zip(codes.chunks_exact(units)) {
                self.codec.decode(code, &centroid, &mut buf);
                visit(id, &buf);
            }
        }
        Ok(())
    }
}
