//! Faiss's `DirectMap`: from a vector id to where it lives in the inverted lists
//! (`list_no << 32 | offset`), needed by `reconstruct`.

use std::collections::HashMap;

use crate::ivf::InvertedList;
use crate::IndexError;

/// Which direct map an IVF index keeps (the byte Faiss writes: 0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DirectMapType {
    /// No map: `reconstruct` is unavailable, `remove_ids` scans the lists.
    #[default]
    NoMap,
    /// A vector indexed by id: needs sequential ids (`add` without ids).
    Array,
    /// A hash table id -> location: any ids.
    Hashtable,
}

impl DirectMapType {
    /// The byte Faiss writes for this type.
    pub fn faiss_code(self) -> u8 {
        match self {
            DirectMapType::NoMap => 0,
            DirectMapType::Array => 1,
            DirectMapType::Hashtable => 2,
        }
    }

    /// The type for a Faiss byte.
    pub fn from_faiss_code(code: u8) -> Result<DirectMapType, IndexError> {
        match code {
            0 => Ok(DirectMapType::NoMap),
            1 => Ok(DirectMapType::Array),
            2 => Ok(DirectMapType::Hashtable),
            other => Err(IndexError::InvalidParts(format!(
                "direct map type {other} (expected 0, 1 or 2)"
            ))),
        }
    }
}

/// `list_no << 32 | offset`, Faiss's `lo_build`.
pub(crate) fn lo_build(list_no: usize, offset: usize) -> i64 {
    ((list_no as i64) << 32) | offset as i64
}

/// `(list_no, offset)` from a `lo_build` value, or `None` for a negative entry.
pub(crate) fn lo_split(lo: i64) -> Option<(usize, usize)> {
    (lo >= 0).then_some(((lo >> 32) as usize, (lo & 0xFFFF_FFFF) as usize))
}

/// The direct map of an IVF index. Hashtable entries keep their order (as read from a
/// file), so writing them back gives the same bytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirectMap {
    kind: DirectMapType,
    /// Array: entry `id` = location of vector `id` (-1 when unassigned).
    array: Vec<i64>,
    /// Hashtable: `(id, location)` entries in order, and id -> position in `entries`.
    entries: Vec<(i64, i64)>,
    index: HashMap<i64, usize>,
}

impl DirectMap {
    /// No map.
    pub fn none() -> DirectMap {
        DirectMap::default()
    }

    /// An array map from Faiss's `direct_map.array` (`lo_build` values).
    pub fn from_array(array: Vec<i64>) -> DirectMap {
        DirectMap {
            kind: DirectMapType::Array,
            array,
            ..DirectMap::default()
        }
    }

    /// A hashtable map from Faiss's `(id, lo_build)` pairs, in file order.
    pub fn from_hashtable(pairs: Vec<(i64, i64)>) -> Result<DirectMap, IndexError> {
        let mut index = HashMap::with_capacity(pairs.len());
        for (i, &(id, _)) in pairs.iter().enumerate() {
            if index.insert(id, i).is_some() {
                return Err(IndexError::DuplicateId(id));
            }
        }
        Ok(DirectMap {
            kind: DirectMapType::Hashtable,
            entries: pairs,
            index,
            ..DirectMap::default()
        })
    }

    /// Builds a map of `kind` over existing lists. An array needs the ids to be exactly
    /// `0..ntotal`.
    pub fn build<T: Copy>(
        kind: DirectMapType,
        lists: &[InvertedList<T>],
    ) -> Result<DirectMap, IndexError> {
        let ntotal: usize = lists.iter().map(InvertedList::len).sum();
        match kind {
            DirectMapType::NoMap => Ok(DirectMap::none()),
            DirectMapType::Array => {
                let mut array = vec![-1i64; ntotal];
                for (l, list) in lists.iter().enumerate() {
                    for (o, &id) in list.ids.iter().enumerate() {
                        let slot = usize::try_from(id)
                            .ok()
                            .filter(|&i| i < ntotal)
                            .ok_or_else(|| {
                                IndexError::Unsupported(format!(
                                    "array direct map needs sequential ids 0..{ntotal}, found {id}"
                                ))
                            })?;
                        array[slot] = lo_build(l, o);
                    }
                }
                Ok(DirectMap::from_array(array))
            }
            DirectMapType::Hashtable => {
                let mut pairs = Vec::with_capacity(ntotal);
                for (l, list) in lists.iter().enumerate() {
                    for (o, &id) in list.ids.iter().enumerate() {
                        pairs.push((id, lo_build(l, o)));
                    }
                }
                DirectMap::from_hashtable(pairs)
            }
        }
    }

    /// Which kind of map this is.
    pub fn kind(&self) -> DirectMapType {
        self.kind
    }

    /// The array entries (empty unless the kind is `Array`).
    pub fn array(&self) -> &[i64] {
        &self.array
    }

    /// The hashtable `(id, lo_build)` entries in order (empty unless `Hashtable`).
    pub fn hashtable_entries(&self) -> &[(i64, i64)] {
        &self.entries
    }

    /// Where vector `id` lives, as `(list_no, offset)`.
    pub fn locate(&self, id: i64) -> Result<(usize, usize), IndexError> {
        let lo = match self.kind {
            DirectMapType::NoMap => {
                return Err(IndexError::Unsupported(
                    "reconstruct needs a direct map (set_direct_map_type)".into(),
                ))
            }
            DirectMapType::Array => usize::try_from(id)
                .ok()
                .and_then(|i| self.array.get(i).copied()),
            DirectMapType::Hashtable => self.index.get(&id).map(|&p| self.entries[p].1),
        };
        lo.and_then(lo_split).ok_or(IndexError::UnknownId(id))
    }

    /// Refuses ids an array map cannot hold.
    pub(crate) fn check_can_add(&self, with_ids: bool) -> Result<(), IndexError> {
        if self.kind == DirectMapType::Array && with_ids {
            return Err(IndexError::Unsupported(
                "add_with_ids with an array direct map (ids must be sequential)".into(),
            ));
        }
        Ok(())
    }

    /// Records a new vector `id` at `(list_no, offset)`.
    pub(crate) fn add(&mut self, id: i64, list_no: usize, offset: usize) {
        match self.kind {
            DirectMapType::NoMap => {}
            DirectMapType::Array => self.array.push(lo_build(list_no, offset)),
            DirectMapType::Hashtable => self.set(id, lo_build(list_no, offset)),
        }
    }

    fn set(&mut self, id: i64, lo: i64) {
        match self.index.get(&id) {
            Some(&p) => self.entries[p].1 = lo,
            None => {
                self.index.insert(id, self.entries.len());
                self.entries.push((id, lo));
            }
        }
    }

    /// Moves the hashtable entry of `id` to a new location.
    pub(crate) fn relocate(&mut self, id: i64, list_no: usize, offset: usize) {
        if self.kind == DirectMapType::Hashtable {
            self.set(id, lo_build(list_no, offset));
        }
    }

    /// Drops the hashtable entry of `id`; returns its location.
    pub(crate) fn remove(&mut self, id: i64) -> Option<(usize, usize)> {
        let p = self.index.remove(&id)?;
        let (_, lo) = self.entries.swap_remove(p);
        if let Some(&(moved, _)) = self.entries.get(p) {
            self.index.insert(moved, p);
        }
        lo_split(lo)
    }

    /// Ids held by a hashtable map.
    pub(crate) fn hashtable_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.entries.iter().map(|e| e.0)
    }

    /// Empties the map, keeping its kind.
    pub(crate) fn clear(&mut self) {
        self.array.clear();
        self.entries.clear();
        self.index.clear();
    }
}
