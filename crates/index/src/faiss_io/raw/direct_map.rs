//! The direct map of an IVF index (spec §5): id -> `list_no << 32 | offset`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::types::{RawDirectMap, RawList};

/// Reads `type` byte, the `array` vector and (type 2 only) the hashtable pairs.
pub(super) fn read(r: &mut ByteReader<'_>) -> Result<RawDirectMap<'static>, FaissIoError> {
    let at = r.offset();
    let kind = r.u8()?;
    let array_at = r.offset();
    let array = r.vec_i64("direct_map.array")?;
    if kind != 1 && !array.is_empty() {
        return Err(FaissIoError::bad(
            "direct_map.array",
            array_at,
            format!(
                "{} entries in the array of a type {kind} direct map",
                array.len()
            ),
        ));
    }
    match kind {
        0 => Ok(RawDirectMap::None),
        1 => Ok(RawDirectMap::Array(Cow::Owned(array))),
        2 => {
            let n = r.vec_len("direct_map.hashtable", 16)?;
            let flat = r.i64s("direct_map.hashtable", 2 * n)?;
            Ok(RawDirectMap::Hashtable(Cow::Owned(
                flat.chunks_exact(2).map(|p| (p[0], p[1])).collect(),
            )))
        }
        other => Err(FaissIoError::bad(
            "direct_map.type",
            at,
            format!("{other} is not 0 (none), 1 (array) or 2 (hashtable)"),
        )),
    }
}

/// Checks the map against the lists it points into: each entry must name a slot
/// holding the id it is filed under, and the array must cover ids `0..ntotal`.
pub(super) fn validate<T: Clone>(
    map: &RawDirectMap<'_>,
    lists: &[RawList<'_, T>],
    at: usize,
) -> Result<(), FaissIoError> {
    let slot_holds = |id: i64, lo: i64| -> bool {
        let list_no = (lo >> 32) as usize;
        let offset = (lo & 0xffff_ffff) as usize;
        lo >= 0 && lists.get(list_no).and_then(|l| l.ids.get(offset)) == Some(&id)
    };
    let ntotal: usize = lists.iter().map(|l| l.ids.len()).sum();
    match map {
        RawDirectMap::None => Ok(()),
        RawDirectMap::Array(array) => {
            if array.len() != ntotal {
                return Err(FaissIoError::bad(
                    "direct_map.array",
                    at,
                    format!("{} entries for {ntotal} vectors", array.len()),
                ));
            }
            match array
                .iter()
                .enumerate()
                .find(|&(id, &lo)| !slot_holds(id as i64, lo))
            {
                None => Ok(()),
                Some((id, lo)) => Err(FaissIoError::bad(
                    "direct_map.array",
                    at,
                    format!("entry {id} = {lo:#x} does not locate vector id {id}"),
                )),
            }
        }
        RawDirectMap::Hashtable(pairs) => {
            if pairs.len() != ntotal {
                return Err(FaissIoError::bad(
                    "direct_map.hashtable",
                    at,
                    format!("{} entries for {ntotal} vectors", pairs.len()),
                ));
            }
            let mut seen = HashSet::with_capacity(pairs.len());
            for &(id, lo) in pairs.iter() {
                if !seen.insert(id) || !slot_holds(id, lo) {
                    return Err(FaissIoError::bad(
                        "direct_map.hashtable",
                        at,
                        format!("entry ({id}, {lo:#x}) is duplicated or does not locate id {id}"),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Writes the direct map as Faiss does.
pub(super) fn write<W: Write + ?Sized>(
    map: &RawDirectMap<'_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    match map {
        RawDirectMap::None => {
            w.u8(0)?;
            w.vec_i64(&[])
        }
        RawDirectMap::Array(array) => {
            w.u8(1)?;
            w.vec_i64(array)
        }
        RawDirectMap::Hashtable(pairs) => {
            w.u8(2)?;
            w.vec_i64(&[])?;
            w.usize(pairs.len())?;
            for &(id, lo) in pairs.iter() {
                w.i64(id)?;
                w.i64(lo)?;
            }
            Ok(())
        }
    }
}
