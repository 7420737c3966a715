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

    /// Values without a length prefix, each encoded into `N` little-endian bytes,
    /// written in chunks.
    fn array<T: Copy, const N: usize>(
        &mut self,
        vs: &[T],
        encode: impl Fn(T) -> [u8; N],
    ) -> Result<(), FaissIoError> {
        let mut buf = vec![0u8; CHUNK * N];
        for chunk in vs.chunks(CHUNK) {
            for (dst, &v) in buf.chunks_exact_mut(N).zip(chunk) {
                dst.copy_from_slice(&encode(v));
            }
            self.bytes(&buf[..chunk.len() * N])?;
        }
        Ok(())
    }

    /// `f32`s without a length prefix.
    pub(crate) fn f32s(&mut self, vs: &[f32]) -> Result<(), FaissIoError> {
        self.array(vs, f32::to_le_bytes)
    }

    /// `i64`s without a length prefix.
    pub(crate) fn i64s(&mut self, vs: &[i64]) -> Result<(), FaissIoError> {
        self.array(vs, i64::to_le_bytes)
    }

    /// A Faiss `vec<i32>`: element count, then the elements.
    pub(crate) fn vec_i32(&mut self, vs: &[i32]) -> Result<(), FaissIoError> {
        self.usize(vs.len())?;
        self.array(vs, i32::to_le_bytes)
    }

    /// A Faiss `vec<u64>`.
    pub(crate) fn vec_u64(&mut self, vs: &[u64]) -> Result<(), FaissIoError> {
        self.usize(vs.len())?;
        self.array(vs, u64::to_le_bytes)
    }

    /// A Faiss `vec<double>`.
    pub(crate) fn vec_f64(&mut self, vs: &[f64]) -> Result<(), FaissIoError> {
        self.usize(vs.len())?;
        self.array(vs, f64::to_le_bytes)
    }

    /// A Faiss `vec<i64>`: element count, then the elements.
    pub(crate) fn vec_i64(&mut self, vs: &[i64]) -> Result<(), FaissIoError> {
        self.usize(vs.len())?;
        self.i64s(vs)
    }
}
