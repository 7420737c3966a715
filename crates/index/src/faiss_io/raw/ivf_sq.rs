//! `IwSq`: IVF with scalar-quantizer codes (spec §9), and the legacy `IwSQ`, which has
//! no `by_residual` byte (always by residual).

use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::ivf_flat::{read_head, write_head, IvfHeadRef};
use super::types::{RawIvfSq, ReadAny};
use super::{direct_map, inverted_lists, sq};

/// Reads the body of an `IwSq` (or, `legacy`, `IwSQ`) index whose tag has been
/// consumed; `read_any` reads the quantizer.
pub(super) fn read(
    r: &mut ByteReader<'_>,
    depth: usize,
    read_any: ReadAny,
    legacy: bool,
) -> Result<RawIvfSq<'static>, FaissIoError> {
    let head = read_head(r, depth, read_any, if legacy { "IwSQ" } else { "IwSq" })?;
    let d = head.h.d;
    if d == 0 {
        return Err(FaissIoError::bad(
            "d",
            0,
            "IVF scalar quantizer of dimension 0",
        ));
    }
    let block = sq::read_block(r, d, head.h.is_trained)?;
    let expected = block.qtype.code_size(d).unwrap_or(usize::MAX);
    let at = r.offset();
    let code_size = r.usize("code_size")?;
    if code_size != expected {
        return Err(FaissIoError::bad(
            "code_size",
            at,
            format!("{code_size} bytes per code, the quantizer's are {expected}"),
        ));
    }
    let by_residual = if legacy { true } else { r.bool("by_residual")? };
    let lists_at = r.offset();
    let lists = inverted_lists::read::<u8>(r, head.nlist, code_size, head.h.ntotal)?;
    if head.h.ntotal > 0 && block.trained.len() != block.qtype.trained_len(d) {
        return Err(FaissIoError::bad(
            "invlists",
            lists_at,
            "codes of an untrained scalar quantizer",
        ));
    }
    direct_map::validate(&head.direct_map, &lists, head.map_at)?;
    Ok(RawIvfSq {
        d,
        metric: head.metric,
        is_trained: head.h.is_trained,
        nlist: head.nlist,
        nprobe: head.nprobe,
        quantizer: head.quantizer,
        direct_map: head.direct_map,
        sq: block,
        by_residual,
        lists,
    })
}

/// Writes an `IwSq` index with `ilar` lists, tag included.
pub(super) fn write<W: Write + ?Sized>(
    v: &RawIvfSq<'_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    let code_size =
        v.sq.qtype
            .code_size(v.d)
            .ok_or_else(|| FaissIoError::bad("d", 0, format!("dimension {} is too large", v.d)))?;
    write_head(
        b"IwSq",
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
    sq::write_block(
        v.sq.qtype,
        v.sq.rangestat,
        v.sq.rangestat_arg,
        &v.sq.trained,
        v.d,
        w,
    )?;
    w.usize(code_size)?;
    w.bool(v.by_residual)?;
    inverted_lists::write(&v.lists, code_size, w)
}
