//! `IxMp` / `IxM2`: an id map around another index (spec §4).

use std::borrow::Cow;
use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::header::IndexHeader;
use super::types::{RawIdMap, ReadAny, WriteAny};

/// Reads the body of an id map whose tag has been consumed; `read_any` reads the
/// inner index.
pub(super) fn read(
    r: &mut ByteReader<'_>,
    two_way: bool,
    depth: usize,
    read_any: ReadAny,
) -> Result<RawIdMap<'static>, FaissIoError> {
    let header_at = r.offset();
    let h = IndexHeader::read(r)?;
    let inner = read_any(r, depth + 1)?;
    if h.d != inner.d()
        || h.ntotal != inner.ntotal()
        || h.metric_type != inner.metric().faiss_code()
    {
        return Err(FaissIoError::bad(
            "header",
            header_at,
            format!(
                "id map header (d {}, ntotal {}, metric {}) differs from its inner index \
                 (d {}, ntotal {}, metric {})",
                h.d,
                h.ntotal,
                h.metric_type,
                inner.d(),
                inner.ntotal(),
                inner.metric().faiss_code()
            ),
        ));
    }
    let at = r.offset();
    let ids = r.vec_i64("id_map")?;
    if ids.len() != h.ntotal {
        return Err(FaissIoError::bad(
            "id_map",
            at,
            format!("{} ids for {} vectors", ids.len(), h.ntotal),
        ));
    }
    Ok(RawIdMap {
        two_way,
        inner: Box::new(inner),
        ids: Cow::Owned(ids),
    })
}

/// Writes an id map, tag included; `write_any` writes the inner index.
pub(super) fn write<W: Write + ?Sized>(
    m: &RawIdMap<'_>,
    w: &mut ByteWriter<'_, W>,
    write_any: WriteAny<W>,
) -> Result<(), FaissIoError> {
    if m.ids.len() != m.inner.ntotal() {
        return Err(FaissIoError::bad(
            "id_map",
            0,
            format!("{} ids for {} vectors", m.ids.len(), m.inner.ntotal()),
        ));
    }
    w.bytes(if m.two_way { b"IxM2" } else { b"IxMp" })?;
    IndexHeader {
        d: m.inner.d(),
        ntotal: m.inner.ntotal(),
        is_trained: m.inner.is_trained(),
        metric_type: m.inner.metric().faiss_code(),
        metric_arg: 0.0,
    }
    .write(w)?;
    write_any(&m.inner, w)?;
    w.vec_i64(&m.ids)
}
