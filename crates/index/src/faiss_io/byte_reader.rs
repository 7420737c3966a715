//! A bounds-checked little-endian reader over a byte slice.
//!
//! Every read checks the bytes that remain before touching them, and every counted
//! array checks `count * element_size` (overflow-checked) against the remaining bytes
//! *before* anything is allocated. A hostile count therefore costs nothing: it fails
//! with [`FaissIoError::Truncated`] or [`FaissIoError::BadValue`].

use super::error::FaissIoError;

/// A cursor over Faiss bytes. All multi-byte values are little-endian (Faiss writes
/// native order and ships only for little-endian hosts).
#[derive(Debug, Clone)]
pub(crate) struct ByteReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Where each inverted list's codes start, when the reader leaves them in place
    /// (`None`: lists are decoded).
    code_starts: Option<Vec<usize>>,
}

impl<'a> ByteReader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        ByteReader {
            bytes,
            pos: 0,
            code_starts: None,
        }
    }

    /// A reader at the start of `bytes` that checks inverted lists' codes but leaves
    /// them in place: it notes where each list's codes start instead of decoding them
    /// (see [`ByteReader::skip_codes`]).
    pub(crate) fn leaving_codes(bytes: &'a [u8]) -> Self {
        ByteReader {
            code_starts: Some(Vec::new()),
            ..ByteReader::new(bytes)
        }
    }

    /// When the reader leaves codes in place: notes the offset of the next `bytes`
    /// bytes (a list's codes) and skips them, returning `Ok(true)`. Otherwise reads
    /// nothing and returns `Ok(false)`.
    pub(crate) fn skip_codes(&mut self, bytes: usize) -> Result<bool, FaissIoError> {
        let at = self.pos;
        if self.code_starts.is_none() {
            return Ok(false);
        }
        self.take(bytes)?;
        if let Some(starts) = &mut self.code_starts {
            starts.push(at);
        }
        Ok(true)
    }

    /// Where each list's codes start, in the order the lists were read (empty unless
    /// the reader leaves codes in place).
    pub(crate) fn into_code_starts(self) -> Vec<usize> {
        self.code_starts.unwrap_or_default()
    }

    /// Current offset from the start of the input.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// Bytes left after the current offset.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `n` bytes, or [`FaissIoError::Truncated`].
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], FaissIoError> {
        if n > self.remaining() {
            return Err(FaissIoError::Truncated {
                offset: self.pos as u64,
                needed: n as u64,
                available: self.remaining() as u64,
            });
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], FaissIoError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// A 4-byte type tag, as stored.
    pub(crate) fn fourcc(&mut self) -> Result<[u8; 4], FaissIoError> {
        self.array::<4>()
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8, FaissIoError> {
        Ok(self.array::<1>()?[0])
    }

    /// A C++ `bool`: exactly `0` or `1` (Faiss 1.14.3+ rejects other bytes too).
    pub(crate) fn bool(&mut self, field: &'static str) -> Result<bool, FaissIoError> {
        let at = self.pos;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(FaissIoError::bad(
                field,
                at,
                format!("bool byte must be 0 or 1, found {other}"),
            )),
        }
    }

    /// A little-endian `i32`.
    pub(crate) fn i32(&mut self) -> Result<i32, FaissIoError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A little-endian `i64`.
    pub(crate) fn i64(&mut self) -> Result<i64, FaissIoError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A little-endian `u64`.
    pub(crate) fn u64(&mut self) -> Result<u64, FaissIoError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian `f32`.
    pub(crate) fn f32(&mut self) -> Result<f32, FaissIoError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    /// A `u64` that must fit a `usize`.
    pub(crate) fn usize(&mut self, field: &'static str) -> Result<usize, FaissIoError> {
        let at = self.pos;
        let v = self.u64()?;
        usize::try_from(v)
            .map_err(|_| FaissIoError::bad(field, at, format!("{v} does not fit in usize")))
    }

    /// Checks that `count` elements of `elem_size` bytes remain, without consuming.
    /// Returns the byte length.
    pub(crate) fn check_room(
        &self,
        field: &'static str,
        count: usize,
        elem_size: usize,
    ) -> Result<usize, FaissIoError> {
        let bytes = count.checked_mul(elem_size).ok_or_else(|| {
            FaissIoError::bad(
                field,
                self.pos,
                format!("{count} elements of {elem_size} bytes overflow usize"),
            )
        })?;
        if bytes > self.remaining() {
            return Err(FaissIoError::Truncated {
                offset: self.pos as u64,
                needed: bytes as u64,
                available: self.remaining() as u64,
            });
        }
        Ok(bytes)
    }

    /// `count` little-endian `f32`s decoded into a new vector. The count is checked
    /// against the remaining bytes before the vector is allocated.
    pub(crate) fn f32s(
        &mut self,
        field: &'static str,
        count: usize,
    ) -> Result<Vec<f32>, FaissIoError> {
        let bytes = self.check_room(field, count, 4)?;
        Ok(decode_f32s(self.take(bytes)?))
    }

    /// `count` values of `N` little-endian bytes each, decoded with `decode` into a new
    /// vector; the count is checked against the remaining bytes before allocating.
    fn values<T, const N: usize>(
        &mut self,
        field: &'static str,
        count: usize,
        decode: impl Fn([u8; N]) -> T,
    ) -> Result<Vec<T>, FaissIoError> {
        let bytes = self.check_room(field, count, N)?;
        Ok(self
            .take(bytes)?
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                decode(a)
            })
            .collect())
    }

    /// `count` little-endian `i64`s decoded into a new vector (checked first).
    pub(crate) fn i64s(
        &mut self,
        field: &'static str,
        count: usize,
    ) -> Result<Vec<i64>, FaissIoError> {
        self.values(field, count, i64::from_le_bytes)
    }

    /// `count` little-endian `u64`s that must each fit a `usize` (checked first).
    pub(crate) fn usizes(
        &mut self,
        field: &'static str,
        count: usize,
    ) -> Result<Vec<usize>, FaissIoError> {
        let start = self.pos;
        let bytes = self.check_room(field, count, 8)?;
        self.take(bytes)?
            .chunks_exact(8)
            .enumerate()
            .map(|(i, c)| {
                let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                usize::try_from(v).map_err(|_| {
                    FaissIoError::bad(field, start + 8 * i, format!("{v} does not fit in usize"))
                })
            })
            .collect()
    }

    /// A Faiss `vec<T>` length prefix (`u64` element count), checked against the
    /// remaining bytes for elements of `elem_size` bytes.
    pub(crate) fn vec_len(
        &mut self,
        field: &'static str,
        elem_size: usize,
    ) -> Result<usize, FaissIoError> {
        let n = self.usize(field)?;
        self.check_room(field, n, elem_size)?;
        Ok(n)
    }

    /// A Faiss `vec<i64>`.
    pub(crate) fn vec_i64(&mut self, field: &'static str) -> Result<Vec<i64>, FaissIoError> {
        self.vec_of(field, i64::from_le_bytes)
    }

    /// A Faiss `vec<T>` of `N`-byte little-endian values, decoded with `decode`.
    fn vec_of<T, const N: usize>(
        &mut self,
        field: &'static str,
        decode: impl Fn([u8; N]) -> T,
    ) -> Result<Vec<T>, FaissIoError> {
        let n = self.vec_len(field, N)?;
        self.values(field, n, decode)
    }

    /// A Faiss `vec<i32>`.
    pub(crate) fn vec_i32(&mut self, field: &'static str) -> Result<Vec<i32>, FaissIoError> {
        self.vec_of(field, i32::from_le_bytes)
    }

    /// A Faiss `vec<u64>`, as stored.
    pub(crate) fn vec_u64(&mut self, field: &'static str) -> Result<Vec<u64>, FaissIoError> {
        self.vec_of(field, u64::from_le_bytes)
    }

    /// A Faiss `vec<double>`.
    pub(crate) fn vec_f64(&mut self, field: &'static str) -> Result<Vec<f64>, FaissIoError> {
        self.vec_of(field, f64::from_le_bytes)
    }

    /// A Faiss `vec<u64>` whose elements must fit a `usize`.
    pub(crate) fn vec_usize(&mut self, field: &'static str) -> Result<Vec<usize>, FaissIoError> {
        let n = self.vec_len(field, 8)?;
        self.usizes(field, n)
    }
}

/// Decodes little-endian `f32`s. This is the one copy a vector payload goes through on
/// its way from the file (or mapping) into the index's own `Vec<f32>`; it does not
/// depend on the alignment of `bytes`.
pub(crate) fn decode_f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
