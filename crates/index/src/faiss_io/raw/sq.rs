//! `IxSQ`: the scalar-quantizer index (spec §8), for the quantizer types this crate
//! has (`QT_8bit`, `QT_fp16`).

use std::borrow::Cow;
use std::io::Write;

use super::super::byte_reader::ByteReader;
use super::super::byte_writer::ByteWriter;
use super::super::error::FaissIoError;
use super::header::{l2_or_ip, IndexHeader};
use super::types::{RawSq, RawSqBlock};
use crate::QuantizerType;

/// Reads the body of an `IxSQ` index whose tag has been consumed.
pub(super) fn read(r: &mut ByteReader<'_>) -> Result<RawSq<'static>, FaissIoError> {
    let header_at = r.offset();
    let h = IndexHeader::read(r)?;
    let metric = l2_or_ip(&h, "IxSQ")?;
    if h.d == 0 {
        return Err(FaissIoError::bad(
            "d",
            header_at,
            "scalar quantizer of dimension 0",
        ));
    }
    let block = read_block(r, h.d, h.is_trained)?;
    let (qtype, n_trained) = (block.qtype, block.trained.len());
    let code_size = qtype.code_size(h.d).unwrap_or(usize::MAX);
    let at = r.offset();
    let n_bytes = r.vec_len("codes", 1)?;
    let expected = h
        .ntotal
        .checked_mul(code_size)
        .ok_or_else(|| FaissIoError::bad("ntotal", header_at, "ntotal * code_size overflows"))?;
    if n_bytes != expected {
        return Err(FaissIoError::bad(
            "codes",
            at,
            format!("{n_bytes} code bytes, ntotal * code_size = {expected}"),
        ));
    }
    if n_bytes != 0 && n_trained != qtype.trained_len(h.d) {
        return Err(FaissIoError::bad(
            "codes",
            at,
            "codes of an untrained quantizer",
        ));
    }
    let codes = r.take(n_bytes)?.to_vec();
    Ok(RawSq {
        d: h.d,
        metric,
        is_trained: h.is_trained,
        qtype,
        rangestat: block.rangestat,
        rangestat_arg: block.rangestat_arg,
        trained: block.trained,
        codes: Cow::Owned(codes),
    })
}

/// Writes an `IxSQ` index, tag included.
pub(super) fn write<W: Write + ?Sized>(
    s: &RawSq<'_>,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    let code_size = s
        .qtype
        .code_size(s.d)
        .filter(|&cs| cs > 0 && s.codes.len().is_multiple_of(cs))
        .ok_or_else(|| {
            FaissIoError::bad(
                "codes",
                0,
                format!(
                    "{} code bytes are not whole codes of dimension {}",
                    s.codes.len(),
                    s.d
                ),
            )
        })?;
    w.bytes(b"IxSQ")?;
    IndexHeader {
        d: s.d,
        ntotal: s.codes.len() / code_size,
        is_trained: s.is_trained,
        metric_type: s.metric.faiss_code(),
        metric_arg: 0.0,
    }
    .write(w)?;
    write_block(s.qtype, s.rangestat, s.rangestat_arg, &s.trained, s.d, w)?;
    w.usize(s.codes.len())?;
    w.bytes(&s.codes)
}

/// Reads the SQ block (spec §8) of an index of dimension `d`, checking its dimension,
/// code size and trained values (present in full when the header says trained).
pub(super) fn read_block(
    r: &mut ByteReader<'_>,
    d: usize,
    header_trained: bool,
) -> Result<RawSqBlock<'static>, FaissIoError> {
    let at = r.offset();
    let code = r.i32()?;
    let qtype = QuantizerType::from_faiss_code(code).ok_or_else(|| {
        FaissIoError::bad(
            "sq.qtype",
            at,
            format!("quantizer type {code} is not supported (only 0 = QT_8bit, 4 = QT_fp16)"),
        )
    })?;
    let rangestat = r.i32()?;
    let rangestat_arg = r.f32()?;
    let at = r.offset();
    let sq_d = r.usize("sq.d")?;
    if sq_d != d {
        return Err(FaissIoError::bad(
            "sq.d",
            at,
            format!("quantizer dimension {sq_d}, index dimension {}", d),
        ));
    }
    let at = r.offset();
    let code_size = r.usize("sq.code_size")?;
    if Some(code_size) != qtype.code_size(d) {
        return Err(FaissIoError::bad(
            "sq.code_size",
            at,
            format!(
                "{code_size} bytes per code for {} of dimension {}",
                qtype.factory_name(),
                d
            ),
        ));
    }
    let at = r.offset();
    let n_trained = r.vec_len("sq.trained", 4)?;
    if n_trained != 0 && n_trained != qtype.trained_len(d) {
        return Err(FaissIoError::bad(
            "sq.trained",
            at,
            format!(
                "{n_trained} trained values for {} of dimension {}",
                qtype.factory_name(),
                d
            ),
        ));
    }
    if header_trained && n_trained != qtype.trained_len(d) {
        return Err(FaissIoError::bad(
            "sq.trained",
            at,
            "a trained 8-bit quantizer without its ranges",
        ));
    }
    let trained = r.f32s("sq.trained", n_trained)?;
    Ok(RawSqBlock {
        qtype,
        rangestat,
        rangestat_arg,
        trained: Cow::Owned(trained),
    })
}

/// Writes the SQ block (spec §8).
pub(super) fn write_block<W: Write + ?Sized>(
    qtype: QuantizerType,
    rangestat: i32,
    rangestat_arg: f32,
    trained: &[f32],
    d: usize,
    w: &mut ByteWriter<'_, W>,
) -> Result<(), FaissIoError> {
    let code_size = qtype
        .code_size(d)
        .ok_or_else(|| FaissIoError::bad("sq.d", 0, format!("dimension {d} is too large")))?;
    w.i32(qtype.faiss_code())?;
    w.i32(rangestat)?;
    w.f32(rangestat_arg)?;
    w.usize(d)?;
    w.usize(code_size)?;
    w.usize(trained.len())?;
    w.f32s(trained)
}
