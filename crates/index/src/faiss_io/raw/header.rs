//! The common index header ("H" in the spec, §2) and Faiss's metric codes.

use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use crate::MetricType;

/// Largest dimension Faiss's reader accepts (`d` in `[0, 2^20]`).
pub(crate) const MAX_DIMENSION: usize = 1 << 20;

/// The value Faiss writes into the two removed header fields.
const DUMMY: i64 = 1 << 20;

/// `metric_type` of `METRIC_INNER_PRODUCT`.
pub(crate) const METRIC_INNER_PRODUCT: i32 = MetricType::InnerProduct as i32;
/// `metric_type` of `METRIC_L2` (squared Euclidean).
pub(crate) const METRIC_L2: i32 = MetricType::L2 as i32;

/// Faiss's name for a valid `metric_type`, or `None` when Faiss would reject it.
pub(crate) fn metric_name(metric_type: i32) -> Option<&'static str> {
    Some(match metric_type {
        0 => "INNER_PRODUCT",
        1 => "L2",
        2 => "L1",
        3 => "Linf",
        4 => "Lp",
        20 => "Canberra",
        21 => "BrayCurtis",
        22 => "JensenShannon",
        23 => "Jaccard",
        24 => "NaNEuclidean",
        25 => "GOWER",
        _ => return None,
    })
}

/// The decoded common header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct IndexHeader {
    /// Vector dimension, `<= MAX_DIMENSION`.
    pub(crate) d: usize,
    /// Number of stored vectors.
    pub(crate) ntotal: usize,
    /// Whether the index is trained.
    pub(crate) is_trained: bool,
    /// Raw `metric_type`, one of the values [`metric_name`] knows.
    pub(crate) metric_type: i32,
    /// `metric_arg`; present in the file only when `metric_type > 1`.
    pub(crate) metric_arg: f32,
}

impl IndexHeader {
    /// Reads and validates a header (the fourcc has already been consumed).
    pub(crate) fn read(r: &mut ByteReader<'_>) -> Result<Self, FaissIoError> {
        let at = r.offset();
        let d = r.i32()?;
        let d = usize::try_from(d)
            .ok()
            .filter(|&d| d <= MAX_DIMENSION)
            .ok_or_else(|| FaissIoError::bad("d", at, format!("{d} is not in [0, 2^20]")))?;
        let at = r.offset();
        let ntotal = r.i64()?;
        let ntotal = usize::try_from(ntotal).map_err(|_| {
            FaissIoError::bad("ntotal", at, format!("{ntotal} is negative or too large"))
        })?;
        let _removed_field_1 = r.i64()?;
        let _removed_field_2 = r.i64()?;
        let is_trained = r.bool("is_trained")?;
        let at = r.offset();
        let metric_type = r.i32()?;
        if metric_name(metric_type).is_none() {
            return Err(FaissIoError::bad(
                "metric_type",
                at,
                format!("{metric_type} is not a Faiss metric"),
            ));
        }
        let metric_arg = if metric_type > 1 { r.f32()? } else { 0.0 };
        Ok(IndexHeader {
            d,
            ntotal,
            is_trained,
            metric_type,
            metric_arg,
        })
    }

    /// Writes the header exactly as Faiss does.
    pub(crate) fn write<W: Write + ?Sized>(
        &self,
        w: &mut ByteWriter<'_, W>,
    ) -> Result<(), FaissIoError> {
        let d = i32::try_from(self.d)
            .map_err(|_| FaissIoError::bad("d", 0, format!("{} does not fit i32", self.d)))?;
        let ntotal = i64::try_from(self.ntotal).map_err(|_| {
            FaissIoError::bad("ntotal", 0, format!("{} does not fit i64", self.ntotal))
        })?;
        w.i32(d)?;
        w.i64(ntotal)?;
        w.i64(DUMMY)?;
        w.i64(DUMMY)?;
        w.bool(self.is_trained)?;
        w.i32(self.metric_type)?;
        if self.metric_type > 1 {
            w.f32(self.metric_arg)?;
        }
        Ok(())
    }
}

/// The L2 or inner-product metric of header `h` of an index tagged `fourcc`, whose
/// type supports only those; any other valid metric is
/// [`FaissIoError::UnsupportedMetric`].
pub(crate) fn l2_or_ip(h: &IndexHeader, fourcc: &str) -> Result<MetricType, FaissIoError> {
    match h.metric_type {
        METRIC_L2 => Ok(MetricType::L2),
        METRIC_INNER_PRODUCT => Ok(MetricType::InnerProduct),
        other => Err(FaissIoError::UnsupportedMetric {
            fourcc: fourcc.to_string(),
            metric_type: other,
            name: metric_name(other).unwrap_or("unknown"),
        }),
    }
}
