//! `IwFl`: IVF-Flat (spec §5 and §6).

use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::header::{metric_name, IndexHeader, METRIC_INNER_PRODUCT, METRIC_L2};
use super::types::{RawFlat, RawIndex, RawIvfFlat, ReadAny};
use super::{direct_map, flat, inverted_lists};
use crate::MetricType;

/// Most lists an *untrained* IVF file may declare. A trained one has `nlist` centroids
/// in its quantizer, so the file's own size bounds `nlist`; an untrained one stores no
/// centroids, and this cap keeps a hostile `nlist` from sizing large allocations.
pub(crate) const MAX_UNTRAINED_NLIST: usize = 1 << 16;

/// Reads the body of an `IwFl` index whose tag has been consumed; `read_any` reads
/// the quantizer.
pub(super) fn read(
    r: &mut ByteReader<'_>,
    depth: usize,
    read_any: ReadAny,
) -> Result<RawIvfFlat<'static>, FaissIoError> {
    let header_at = r.offset();
    let h = IndexHeader::read(r)?;
    let metric = match h.metric_type {
        METRIC_L2 => MetricType::L2,
        METRIC_INNER_PRODUCT => MetricType::InnerProduct,
        other => {
            return Err(FaissIoError::UnsupportedMetric {
                fourcc: "IwFl".to_string(),
                metric_type: other,
                name: metric_name(other).unwrap_or("unknown"),
            })
        }
    };
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
    let lists = inverted_lists::read(r, nlist, h.d, h.ntotal)?;
    direct_map::validate(&direct_map, &lists, map_at)?;
    Ok(RawIvfFlat {
        d: h.d,
        metric,
        is_trained: h.is_trained,
        nlist,
        nprobe,
        quantizer,
        direct_map,
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
        (centroids == nlist || centroids == 0) && nlist <= MAX_UNTRAINED_NLIST && h.ntotal == 0
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
    if v.lists.len() != v.nlist || v.quantizer.d != v.d {
        return Err(FaissIoError::bad(
            "nlist",
            0,
            format!(
                "{} lists for nlist {}, quantizer dimension {} for d {}",
                v.lists.len(),
                v.nlist,
                v.quantizer.d,
                v.d
            ),
        ));
    }
    w.bytes(b"IwFl")?;
    IndexHeader {
        d: v.d,
        ntotal: v.ntotal(),
        is_trained: v.is_trained,
        metric_type: v.metric.faiss_code(),
        metric_arg: 0.0,
    }
    .write(w)?;
    w.usize(v.nlist)?;
    w.usize(v.nprobe)?;
    flat::write(&v.quantizer, w)?;
    direct_map::write(&v.direct_map, w)?;
    inverted_lists::write(&v.lists, v.d, w)
}
