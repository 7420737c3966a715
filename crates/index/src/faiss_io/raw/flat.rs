//! `IxF2` / `IxFI` / `IxFl`: the flat index (spec §3).

use std::borrow::Cow;
use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::header::{metric_name, IndexHeader, METRIC_INNER_PRODUCT, METRIC_L2};
use super::types::{fourcc_text, RawFlat};
use crate::MetricType;

/// Reads the body of a flat index whose tag `tag` has been consumed.
pub(super) fn read(r: &mut ByteReader<'_>, tag: [u8; 4]) -> Result<RawFlat<'static>, FaissIoError> {
    let (d, metric, n_floats) = read_header(r, tag)?;
    let vectors = r.f32s("vectors", n_floats)?;
    Ok(RawFlat {
        d,
        metric,
        vectors: Cow::Owned(vectors),
    })
}

/// A whole file that is one flat index, located rather than decoded: its dimension,
/// metric, and where its `floats` vector values start (`start`, a byte offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlatPayload {
    /// Vector dimension.
    pub d: usize,
    /// Distance.
    pub metric: MetricType,
    /// Byte offset of the first value.
    pub start: usize,
    /// Number of `f32` values (`ntotal * d`).
    pub floats: usize,
}

/// Where the vectors of `bytes` lie when `bytes` is exactly one flat index (`IxF2`,
/// `IxFI`, `IxFl`): the header is checked as [`read`] checks it, and the file must end
/// with the vectors. `Ok(None)` for any other tag; a damaged flat file is an error.
pub(super) fn locate(bytes: &[u8]) -> Result<Option<FlatPayload>, FaissIoError> {
    let mut r = ByteReader::new(bytes);
    let tag = r.fourcc()?;
    if !matches!(&tag, b"IxF2" | b"IxFI" | b"IxFl") {
        return Ok(None);
    }
    let (d, metric, floats) = read_header(&mut r, tag)?;
    let start = r.offset();
    r.take(r.check_room("vectors", floats, 4)?)?;
    if r.remaining() != 0 {
        return Err(FaissIoError::TrailingBytes {
            end: r.offset() as u64,
            extra: r.remaining() as u64,
        });
    }
    Ok(Some(FlatPayload {
        d,
        metric,
        start,
        floats,
    }))
}

/// The header of a flat index whose tag `tag` has been consumed, up to the vectors:
/// dimension, metric and the number of values that follow (checked to be `ntotal * d`).
fn read_header(
    r: &mut ByteReader<'_>,
    tag: [u8; 4],
) -> Result<(usize, MetricType, usize), FaissIoError> {
    let header_at = r.offset();
    let h = IndexHeader::read(r)?;
    let metric = match (&tag, h.metric_type) {
        (b"IxF2", METRIC_L2) | (b"IxFl", METRIC_L2) => MetricType::L2,
        (b"IxFI", METRIC_INNER_PRODUCT) | (b"IxFl", METRIC_INNER_PRODUCT) => {
            MetricType::InnerProduct
        }
        (b"IxFl", other) => {
            return Err(FaissIoError::UnsupportedMetric {
                fourcc: fourcc_text(tag),
                metric_type: other,
                name: metric_name(other).unwrap_or("unknown"),
            })
        }
        (_, other) => {
            return Err(FaissIoError::bad(
                "metric_type",
                header_at,
                format!("{} index with metric_type {other}", fourcc_text(tag)),
            ))
        }
    };
    if h.d == 0 {
        return Err(FaissIoError::bad(
            "d",
            header_at,
            "flat index of dimension 0",
        ));
    }
    let at = r.offset();
    let n_floats = r.usize("n_floats")?;
    let expected = h
        .ntotal
        .checked_mul(h.d)
        .ok_or_else(|| FaissIoError::bad("ntotal", header_at, "ntotal * d overflows"))?;
    if n_floats != expected {
        return Err(FaissIoError::bad(
            "n_floats",
            at,
            format!("{n_floats} floats stored, ntotal * d = {expected}"),
        ));
    }
    Ok((h.d, metric, n_floats))
}

/// Writes a flat index, tag included.
pub(super) fn write<W: Write + ?Sized>(
    f: &RawFlat<'_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    if f.d == 0 || !f.vectors.len().is_multiple_of(f.d) {
        return Err(FaissIoError::bad(
            "vectors",
            0,
            format!(
                "{} floats are not whole vectors of dimension {}",
                f.vectors.len(),
                f.d
            ),
        ));
    }
    w.bytes(match f.metric {
        MetricType::L2 => b"IxF2",
        MetricType::InnerProduct => b"IxFI",
    })?;
    IndexHeader {
        d: f.d,
        ntotal: f.ntotal(),
        is_trained: true,
        metric_type: f.metric.faiss_code(),
        metric_arg: 0.0,
    }
    .write(w)?;
    w.usize(f.vectors.len())?;
    w.f32s(&f.vectors)
}
