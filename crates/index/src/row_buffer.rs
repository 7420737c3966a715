//! [`RowBuffer`]: vectors laid out as a flat index keeps them, filled by the caller and
//! handed over whole.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::huge_pages::PageVec;
use crate::line_vec::LineVec;

/// Vectors, row-major, from a 64-byte boundary: the layout a [`crate::FlatIndex`]
/// keeps. Fill it in place, then hand it to [`crate::Index::add_owned`]; an empty flat
/// index takes it as its storage, with no copy and no moving the values into line.
///
/// A `Vec<f32>` converts with `into()` (its values are moved up to the boundary in
/// place, one pass over them); [`RowBuffer::zeroed`] starts in line, and a large one in
/// the memory advised for huge pages that the index keeps its vectors in.
pub struct RowBuffer(PageVec<f32>);

impl RowBuffer {
    /// `len` zeros. A large buffer comes as fresh pages, faulted in only where they are
    /// first written (by whichever thread writes them); from 4 MiB on, huge pages where
    /// the system gives them. A failed allocation aborts, as `vec!` does.
    pub fn zeroed(len: usize) -> RowBuffer {
        RowBuffer(PageVec::zeroed(len))
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        self.0.as_slice()
    }

    /// The values, writable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        self.0.as_mut_slice()
    }

    /// The storage, for an index that keeps it.
    pub(crate) fn into_page_vec(self) -> PageVec<f32> {
        self.0
    }
}

impl From<Vec<f32>> for RowBuffer {
    fn from(v: Vec<f32>) -> RowBuffer {
        RowBuffer(PageVec::from_line_vec(LineVec::from_vec(v)))
    }
}

impl Deref for RowBuffer {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        self.as_slice()
    }
}

impl DerefMut for RowBuffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        self.as_mut_slice()
    }
}

impl fmt::Debug for RowBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowBuffer")
            .field("len", &self.as_slice().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways in hold the values given, from a 64-byte boundary.
    #[test]
    fn buffers_hold_their_values_in_line() {
        // 1 << 20 floats: 4 MiB, in huge-page memory on Linux.
        for len in [0usize, 1, 15, 16, 17, 1000, 1 << 20] {
            let v: Vec<f32> = (0..len).map(|i| i as f32 * 0.5).collect();
            let from_vec = RowBuffer::from(v.clone());
            let mut zeroed = RowBuffer::zeroed(len);
            zeroed.copy_from_slice(&v);
            for b in [&from_vec, &zeroed] {
                assert_eq!(b.as_slice(), v.as_slice());
                assert!(len == 0 || (b.as_ptr() as usize).is_multiple_of(64));
            }
        }
    }
}
