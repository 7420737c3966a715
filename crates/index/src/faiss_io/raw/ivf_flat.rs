//! `IwFl`: IVF-Flat (spec §5 and §6).

use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::header::{l2_or_ip, IndexHeader};
use super::types::{RawDirectMap, RawFlat, RawIndex, RawIvfFlat, ReadAny};
use super::{direct_map, flat, inverted_lists};
use crate::MetricType;

/// Most lists an *untrained* IVF file may declare. A trained one has `nlist` centroids
/// in its quantizer, so the file's own size bounds `nlist`; an untrained one stores no
/// centroids, and this cap keeps a hostile `nlist` from sizing large allocations.
pub(crate) const MAX_UNTRAINED_NLIST: usize = 1 << 16;

/// What every IVF index file starts with: the header, `nlist`, `nprobe`, the coarse
/// quantizer and the direct map (spec §5).
pub(super) struct IvfHead {
    pub(super) h: IndexHeader,
    pub(super) metric: MetricType,
    pub(super) nlist: usize,
    pub(super) nprobe: usize,
    pub(super) quantizer: RawFlat<'static>,
    pub(super) direct_map: RawDirectMap<'static>,
    /// Where the direct map starts (for errors found once the lists are read).
    pub(super) map_at: usize,
}

/// Reads the common part of an IVF index tagged `fourcc` whose tag has been consumed;
/// `read_any` reads the quantizer.
pub(super) fn read_head(
    r: &mut ByteReader<'_>,
    depth: usize,
    read_any: ReadAny,
    fourcc: &str,
) -> Result<IvfHead, FaissIoError> {
    let header_at = r.offset();
    let h = IndexHeader::read(r)?;
    let metric = l2_or_ip(&h, fourcc)?;
    let nlist_at = r.offset();
    let nlist = r.usize("nlist")?;
    let nprobe = r.usize("nprobe")?;
    let quantizer_at = r.offset();
    let quantizer = match read_any(r, depth + 1)? {
        RawIndex::Flat(f) => f,
        _ => {
            return Err(FaissIoError::bad(
                "quantizer",
                quantizer_at,
                "IVF quantizer is not a flat index",
            ))
        }
    };
    check_quantizer(&h, nlist, &quantizer, header_at, nlist_at)?;
    let map_at = r.offset();
    let direct_map = direct_map::read(r)?;
    Ok(IvfHead {
        h,
        metric,
        nlist,
        nprobe,
        quantizer,
        direct_map,
        map_at,
    })
}

/// Reads the body of an `IwFl` index whose tag has been consumed; `read_any` reads
/// the quantizer.
pub(super) fn read(
    r: &mut ByteReader<'_>,
    depth: usize,
    read_any: ReadAny,
) -> Result<RawIvfFlat<'static>, FaissIoError> {
    let head = read_head(r, depth, read_any, "IwFl")?;
    let lists = inverted_lists::read(r, head.nlist, head.h.d, head.h.ntotal)?;
    direct_map::validate(&head.direct_map, &lists, head.map_at)?;
    Ok(RawIvfFlat {
        d: head.h.d,
        metric: head.metric,
        is_trained: head.h.is_trained,
        nlist: head.nlist,
        nprobe: head.nprobe,
        quantizer: head.quantizer,
        direct_map: head.direct_map,
        lists,
    })
}

/// The quantizer must match the index's dimension and hold `nlist` centroids once
/// trained; before training it may be empty (then `nlist` is capped).
fn check_quantizer(
    h: &IndexHeader,
    nlist: usize,
    q: &RawFlat<'_>,
    header_at: usize,
    nlist_at: usize,
) -> Result<(), FaissIoError> {
    if q.d != h.d {
        return Err(FaissIoError::bad(
            "quantizer.d",
            header_at,
            format!(
                "quantizer dimension {} differs from index dimension {}",
                q.d, h.d
            ),
        ));
    }
    let centroids = q.ntotal();
    let ok = if h.is_trained {
        centroids == nlist
    } else {
        // Stored centroids bound nlist by the file's size; without them it is capped.
        (centroids == nlist || (centroids == 0 && nlist <= MAX_UNTRAINED_NLIST)) && h.ntotal == 0
    };
    if !ok || nlist == 0 {
        return Err(FaissIoError::bad(
            "nlist",
            nlist_at,
            format!(
                "nlist {nlist} with {centroids} centroids (trained: {}, ntotal {})",
                h.is_trained, h.ntotal
            ),
        ));
    }
    Ok(())
}

/// Writes an `IwFl` index with `ilar` lists, tag included.
pub(super) fn write<W: Write + ?Sized>(
    v: &RawIvfFlat<'_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    write_head(
        b"IwFl",
        &IvfHeadRef {
            d: v.d,
            metric: v.metric,
            is_trained: v.is_trained,
            ntotal: v.ntotal(),
            nlist: v.nlist,
            lists: v.lists.len(),
            nprobe: v.nprobe,
            quantizer: &v.quantizer,
            direct_map: &v.direct_map,
        },
        w,
    )?;
    inverted_lists::write(&v.lists, v.d, w)
}

/// The common part of an IVF index to write.
pub(super) struct IvfHeadRef<'r, 'a> {
    pub(super) d: usize,
    pub(super) metric: MetricType,
    pub(super) is_trained: bool,
    pub(super) ntotal: usize,
    pub(super) nlist: usize,
    /// How many lists there are (must be `nlist`).
    pub(super) lists: usize,
    pub(super) nprobe: usize,
    pub(super) quantizer: &'r RawFlat<'a>,
    pub(super) direct_map: &'r RawDirectMap<'a>,
}

/// Writes the tag and the common part of an IVF index.
pub(super) fn write_head<W: Write + ?Sized>(
    tag: &[u8; 4],
    v: &IvfHeadRef<'_, '_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    if v.lists != v.nlist || v.quantizer.d != v.d {
        return Err(FaissIoError::bad(
            "nlist",
            0,
            format!(
                "{} lists for nlist {}, quantizer dimension {} for d {}",
                v.lists, v.nlist, v.quantizer.d, v.d
            ),
        ));
    }
    w.bytes(tag)?;
    IndexHeader {
        d: v.d,
        ntotal: v.ntotal,
        is_trained: v.is_trained,
        metric_type: v.metric.faiss_code(),
        metric_arg: 0.0,
    }
    .write(w)?;
    w.usize(v.nlist)?;
    w.usize(v.nprobe)?;
    flat::write(v.quantizer, w)?;
    direct_map::write(v.direct_map, w)
}
