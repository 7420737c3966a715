//! [`Rows`]: a borrowed row-major matrix of `f32` that may start at any byte, so that the
//! vectors of a memory-mapped `.faiss` file (which start at byte 45 of a flat file) can
//! be searched where they lie.
//!
//! Rust forbids a `&[f32]` that is not 4-byte aligned, so such storage is carried as a
//! pointer and a length. The SIMD tiers read it with unaligned loads, which cost the
//! same as aligned ones; the scalar and portable tiers, and the blocked path's tiles,
//! copy it a block at a time into aligned scratch ([`Rows::for_each_block`]).

use std::borrow::Cow;
use std::marker::PhantomData;
use std::ops::Range;

use crate::error::KernelError;

/// A borrowed row-major matrix of `f32` values, aligned (made from a `&[f32]`) or not
/// (made from little-endian bytes at any address with [`Rows::from_le_bytes`]).
///
/// Every kernel entry point that reads database rows takes `impl Into<Rows>`, so a
/// `&[f32]` or `&Vec<f32>` is passed as before.
#[derive(Clone, Copy)]
pub struct Rows<'a> {
    /// First value; 4-byte aligned only when `aligned`.
    ptr: *const f32,
    /// Values (not bytes).
    len: usize,
    /// Borrows the bytes for `'a`.
    _borrow: PhantomData<&'a [u8]>,
}

// SAFETY: `Rows` is a shared borrow of immutable bytes (like `&[u8]`), only ever read.
unsafe impl Send for Rows<'_> {}
// SAFETY: as above.
unsafe impl Sync for Rows<'_> {}

impl std::fmt::Debug for Rows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("len", &self.len)
            .field("aligned", &self.is_aligned())
            .finish()
    }
}

impl<'a> From<&'a [f32]> for Rows<'a> {
    fn from(values: &'a [f32]) -> Rows<'a> {
        Rows {
            ptr: values.as_ptr(),
            len: values.len(),
            _borrow: PhantomData,
        }
    }
}

impl<'a> From<&'a Vec<f32>> for Rows<'a> {
    fn from(values: &'a Vec<f32>) -> Rows<'a> {
        Rows::from(values.as_slice())
    }
}

impl<'a, const N: usize> From<&'a [f32; N]> for Rows<'a> {
    fn from(values: &'a [f32; N]) -> Rows<'a> {
        Rows::from(values.as_slice())
    }
}

impl<'a> Rows<'a> {
    /// The values stored in `bytes` as little-endian `f32`s (a `.faiss` file's layout), at
    /// whatever address `bytes` starts. Errors when the length is not a multiple of 4, and
    /// on big-endian targets (where the bytes are not the CPU's floats; decode a copy
    /// there instead).
    pub fn from_le_bytes(bytes: &'a [u8]) -> Result<Rows<'a>, KernelError> {
        if cfg!(target_endian = "big") {
            return Err(KernelError::BigEndianBytes);
        }
        if !bytes.len().is_multiple_of(4) {
            return Err(KernelError::RaggedMatrix {
                len: bytes.len(),
                dim: 4,
            });
        }
        Ok(Rows {
            ptr: bytes.as_ptr().cast(),
            len: bytes.len() / 4,
            _borrow: PhantomData,
        })
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the values start on a 4-byte boundary (then [`Rows::as_slice`] is `Some`).
    pub fn is_aligned(&self) -> bool {
        self.ptr.is_aligned()
    }

    /// The values as a slice, when they are aligned.
    pub fn as_slice(&self) -> Option<&'a [f32]> {
        // SAFETY: aligned, and `len` values from `ptr` are borrowed for 'a (both
        // constructors take them from one live slice).
        self.is_aligned()
            .then(|| unsafe { std::slice::from_raw_parts(self.ptr, self.len) })
    }

    /// Value `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<f32> {
        // SAFETY: i < len, so the 4 bytes at `ptr + i` are borrowed; read unaligned.
        (i < self.len).then(|| unsafe { self.ptr.add(i).read_unaligned() })
    }

    /// Values `range`, or `None` when it is out of bounds or reversed.
    pub fn slice(&self, range: Range<usize>) -> Option<Rows<'a>> {
        if range.start > range.end || range.end > self.len {
            return None;
        }
        Some(Rows {
            // SAFETY: start <= len: in bounds or one past the end.
            ptr: unsafe { self.ptr.add(range.start) },
            len: range.end - range.start,
            _borrow: PhantomData,
        })
    }

    /// Copies the values into `out`, which must hold exactly [`Rows::len`] of them.
    pub fn copy_to(&self, out: &mut [f32]) -> Result<(), KernelError> {
        if out.len() != self.len {
            return Err(KernelError::OutputSize {
                expected: self.len,
                got: out.len(),
            });
        }
        // SAFETY: both regions hold `len * 4` bytes; `out` is a distinct &mut borrow,
        // so they do not overlap; a byte copy needs no alignment.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.ptr.cast::<u8>(),
                out.as_mut_ptr().cast::<u8>(),
                self.len * 4,
            )
        };
        Ok(())
    }

    /// The values as a slice: the storage itself when aligned, else a copy in
    /// `scratch` (resized to fit).
    pub fn as_slice_in<'s>(&self, scratch: &'s mut Vec<f32>) -> &'s [f32]
    where
        'a: 's,
    {
        if let Some(values) = self.as_slice() {
            return values;
        }
        scratch.resize(self.len, 0.0);
        // The lengths agree by construction.
        let _ = self.copy_to(scratch);
        scratch
    }

    /// The values borrowed when aligned, copied otherwise.
    pub fn to_cow(&self) -> Cow<'a, [f32]> {
        match self.as_slice() {
            Some(values) => Cow::Borrowed(values),
            None => Cow::Owned(self.to_vec()),
        }
    }

    /// The values in a new vector.
    pub fn to_vec(&self) -> Vec<f32> {
        let mut out = vec![0.0f32; self.len];
        // The lengths agree by construction.
        let _ = self.copy_to(&mut out);
        out
    }

    /// The first value's address, for the SIMD tiers' unaligned loads.
    pub(crate) fn ptr(&self) -> *const f32 {
        self.ptr
    }

    /// Calls `f(first_row, rows)` for consecutive runs of whole rows of dimension `d`
    /// (`d > 0`), at most `max_rows` rows each (at least one), as aligned slices: the
    /// storage itself when it is aligned (then in one call), otherwise copies in
    /// `scratch`. A trailing partial row is not visited.
    pub(crate) fn for_each_block(
        &self,
        d: usize,
        max_rows: usize,
        scratch: &mut Vec<f32>,
        mut f: impl FnMut(usize, &[f32]),
    ) {
        let n = self.len / d.max(1);
        if let Some(all) = self.as_slice() {
            f(0, &all[..n * d]);
            return;
        }
        let per = max_rows.clamp(1, n.max(1));
        let mut start = 0;
        while start < n {
            let end = (start + per).min(n);
            if let Some(block) = self.slice(start * d..end * d) {
                f(start, block.as_slice_in(scratch));
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le_bytes(values: &[f32], offset: usize) -> Vec<u8> {
        let mut bytes = vec![0xAAu8; offset];
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn bytes_at_any_offset_read_back_their_values() {
        let values: Vec<f32> = (0..37).map(|i| i as f32 * 0.5 - 3.0).collect();
        for offset in 0..4 {
            let bytes = le_bytes(&values, offset);
            let rows = Rows::from_le_bytes(&bytes[offset..]).unwrap();
            assert_eq!(rows.len(), values.len());
            assert_eq!(rows.to_vec(), values);
            assert_eq!(rows.get(36), Some(values[36]));
            assert_eq!(rows.get(37), None);
            let mid = rows.slice(5..9).unwrap();
            assert_eq!(mid.to_vec(), &values[5..9]);
            let (from, to) = (9, 5);
            assert!(rows.slice(from..to).is_none() && rows.slice(0..38).is_none());
            let aligned = rows.is_aligned();
            assert_eq!(rows.as_slice().is_some(), aligned);
        }
    }

    #[test]
    fn blocks_cover_every_whole_row_once() {
        let d = 3;
        let values: Vec<f32> = (0..(10 * d + 2)).map(|i| i as f32).collect();
        for offset in 0..4 {
            let bytes = le_bytes(&values, offset);
            let rows = Rows::from_le_bytes(&bytes[offset..]).unwrap();
            for max_rows in [0, 1, 3, 4, 10, 50] {
                let mut seen = Vec::new();
                let mut scratch = Vec::new();
                rows.for_each_block(d, max_rows, &mut scratch, |first, block| {
                    assert_eq!(first * d, seen.len());
                    seen.extend_from_slice(block);
                });
                assert_eq!(seen, &values[..10 * d], "offset {offset} max {max_rows}");
            }
        }
    }

    #[test]
    fn ragged_bytes_are_refused() {
        assert!(matches!(
            Rows::from_le_bytes(&[0u8; 7]),
            Err(KernelError::RaggedMatrix { len: 7, dim: 4 })
        ));
    }
}
