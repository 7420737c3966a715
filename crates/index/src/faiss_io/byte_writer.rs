//! A little-endian writer over any [`std::io::Write`], with the Faiss `vec<T>` framing.

use std::io::Write;

use super::error::FaissIoError;

/// Elements encoded per `write_all` call when writing arrays.
const CHUNK: usize = 1024;

/// Writes Faiss fields to `W`, mapping I/O failures to [`FaissIoError::Write`].
pub(crate) struct ByteWriter<'w, W: Write + ?Sized> {
    out: &'w mut W,
}

impl<'w, W: Write + ?Sized> ByteWriter<'w, W> {
    /// A writer appending to `out`.
    pub(crate) fn new(out: &'w mut W) -> Self {
        ByteWriter { out }
    }

    /// Raw bytes, as given.
    pub(crate) fn bytes(&mut self, b: &[u8]) -> Result<(), FaissIoError> {
        self.out.write_all(b).map_err(FaissIoError::Write)
    }

    /// One byte.
    pub(crate) fn u8(&mut self, v: u8) -> Result<(), FaissIoError> {
        self.bytes(&[v])
    }

    /// A `bool` as one byte `0`/`1`.
    pub(crate) fn bool(&mut self, v: bool) -> Result<(), FaissIoError> {
        self.u8(u8::from(v))
    }

    /// A little-endian `i32`.
    pub(crate) fn i32(&mut self, v: i32) -> Result<(), FaissIoError> {
        self.bytes(&v.to_le_bytes())
    }

    /// A little-endian `i64`.
    pub(crate) fn i64(&mut self, v: i64) -> Result<(), FaissIoError> {
        self.bytes(&v.to_le_bytes())
    }

    /// A little-endian `u64` (a `usize` widened).
    pub(crate) fn u64(&mut self, v: u64) -> Result<(), FaissIoError> {
        self.bytes(&v.to_le_bytes())
    }

    /// A `usize` as a little-endian `u64` (Faiss `size_t`).
    pub(crate) fn usize(&mut self, v: usize) -> Result<(), FaissIoError> {
        self.u64(v as u64)
    }

    /// A little-endian `f32`.
    pub(crate) fn f32(&mut self, v: f32) -> Result<(), FaissIoError> {
        self.bytes(&v.to_le_bytes())
    }

    /// `f32`s without a length prefix, encoded in chunks.
    pub(crate) fn f32s(&mut self, vs: &[f32]) -> Result<(), FaissIoError> {
        let mut buf = [0u8; CHUNK * 4];
        for chunk in vs.chunks(CHUNK) {
            for (dst, v) in buf.chunks_exact_mut(4).zip(chunk) {
                dst.copy_from_slice(&v.to_le_bytes());
            }
            self.bytes(&buf[..chunk.len() * 4])?;
        }
        Ok(())
    }

    /// `i64`s without a length prefix, encoded in chunks.
    pub(crate) fn i64s(&mut self, vs: &[i64]) -> Result<(), FaissIoError> {
        let mut buf = [0u8; CHUNK * 8];
        for chunk in vs.chunks(CHUNK) {
            for (dst, v) in buf.chunks_exact_mut(8).zip(chunk) {
                dst.copy_from_slice(&v.to_le_bytes());
            }
            self.bytes(&buf[..chunk.len() * 8])?;
        }
        Ok(())
    }

    /// A Faiss `vec<i64>`: element count, then the elements.
    pub(crate) fn vec_i64(&mut self, vs: &[i64]) -> Result<(), FaissIoError> {
        self.usize(vs.len())?;
        self.i64s(vs)
    }
}
