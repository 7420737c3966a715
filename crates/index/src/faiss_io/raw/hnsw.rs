//! `IHNf`: the HNSW index over flat storage (spec §7): header, the `HNSW` struct, then
//! the storage as a nested `IxF2` / `IxFI`.

use std::borrow::Cow;
use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::header::{l2_or_ip, IndexHeader};
use super::types::{RawHnsw, RawIndex, ReadAny};

/// Faiss writes this in place of the removed `upper_beam` field.
const UPPER_BEAM: i32 = 1;

/// Reads the body of an `IHNf` index whose tag has been consumed; `read_any` reads the
/// storage.
pub(super) fn read(
    r: &mut ByteReader<'_>,
    depth: usize,
    read_any: ReadAny,
) -> Result<RawHnsw<'static>, FaissIoError> {
    let header_at = r.offset();
    let h = IndexHeader::read(r)?;
    let metric = l2_or_ip(&h, "IHNf")?;
    let assign_probas = r.vec_f64("hnsw.assign_probas")?;
    let cum_neighbors = r.vec_i32("hnsw.cum_nneighbor_per_level")?;
    let at = r.offset();
    let levels = r.vec_i32("hnsw.levels")?;
    if levels.len() != h.ntotal {
        return Err(FaissIoError::bad(
            "hnsw.levels",
            at,
            format!("{} levels for {} vectors", levels.len(), h.ntotal),
        ));
    }
    let offsets = r.vec_u64("hnsw.offsets")?;
    let neighbors = r.vec_i32("hnsw.neighbors")?;
    let entry_point = r.i32()?;
    let max_level = r.i32()?;
    let ef_at = r.offset();
    let ef_construction = r.i32()?;
    let ef_search = r.i32()?;
    let _upper_beam = r.i32()?;
    let (Ok(ef_construction), Ok(ef_search)) =
        (usize::try_from(ef_construction), usize::try_from(ef_search))
    else {
        return Err(FaissIoError::bad(
            "hnsw.efConstruction",
            ef_at,
            format!("negative ef: efConstruction {ef_construction}, efSearch {ef_search}"),
        ));
    };
    let storage_at = r.offset();
    let storage = match read_any(r, depth + 1)? {
        RawIndex::Flat(f) => f,
        other => {
            return Err(FaissIoError::bad(
                "storage",
                storage_at,
                format!(
                    "HNSW storage must be a flat index, found one of {} vectors",
                    other.ntotal()
                ),
            ))
        }
    };
    if storage.d != h.d || storage.ntotal() != h.ntotal || storage.metric != metric {
        return Err(FaissIoError::bad(
            "storage",
            header_at,
            format!(
                "HNSW header (d {}, ntotal {}) differs from its storage (d {}, ntotal {}) \
                 or the metrics differ",
                h.d,
                h.ntotal,
                storage.d,
                storage.ntotal()
            ),
        ));
    }
    Ok(RawHnsw {
        is_trained: h.is_trained,
        assign_probas: Cow::Owned(assign_probas),
        cum_neighbors: Cow::Owned(cum_neighbors),
        levels: Cow::Owned(levels),
        offsets: Cow::Owned(offsets),
        neighbors: Cow::Owned(neighbors),
        entry_point,
        max_level,
        ef_construction,
        ef_search,
        storage,
    })
}

/// Writes an `IHNf` index, tag included.
pub(super) fn write<W: Write + ?Sized>(
    v: &RawHnsw<'_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    let ef = |field: &'static str, ef: usize| {
        i32::try_from(ef).map_err(|_| FaissIoError::bad(field, 0, format!("{ef} > i32::MAX")))
    };
    let (ef_construction, ef_search) = (
        ef("hnsw.efConstruction", v.ef_construction)?,
        ef("hnsw.efSearch", v.ef_search)?,
    );
    w.bytes(b"IHNf")?;
    IndexHeader {
        d: v.storage.d,
        ntotal: v.storage.ntotal(),
        is_trained: v.is_trained,
        metric_type: v.storage.metric.faiss_code(),
        metric_arg: 0.0,
    }
    .write(w)?;
    w.vec_f64(&v.assign_probas)?;
    w.vec_i32(&v.cum_neighbors)?;
    w.vec_i32(&v.levels)?;
    w.vec_u64(&v.offsets)?;
    w.vec_i32(&v.neighbors)?;
    w.i32(v.entry_point)?;
    w.i32(v.max_level)?;
    w.i32(ef_construction)?;
    w.i32(ef_search)?;
    w.i32(UPPER_BEAM)?;
    super::flat::write(&v.storage, w)
}
