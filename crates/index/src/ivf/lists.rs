//! One inverted list of an IVF index: the ids and codes of the vectors assigned to one
//! centroid, in insertion order (Faiss `ArrayInvertedLists`). IVF-Flat's codes are the
//! raw vectors (`f32`), IVF-SQ's the scalar quantizer's bytes (`u8`).
//!
//! The scans read a list's codes through [`ListUnit::Codes`], which is the same for
//! codes held in the list and codes left in a read-only mapping of the index file.

use std::borrow::Cow;
use std::fmt::Debug;
use std::ops::Range;

use flatl2_kernel::Rows;

mod sealed {
    /// Only `f32` and `u8` implement [`super::ListUnit`].
    pub trait Sealed {}
}

/// A value IVF list codes are made of: `f32` (IVF-Flat's raw vectors) or `u8`
/// (scalar-quantizer bytes); implemented by those two only.
pub trait ListUnit:
    bytemuck::Pod + Default + Debug + PartialEq + Send + Sync + 'static + sealed::Sealed
{
    /// A run of codes as the scans read them: [`Rows`] for floats (which may lie at any
    /// address of a mapped file), `&[u8]` for bytes.
    type Codes<'a>: Copy + Send + Sync;

    /// Values held in memory, as codes.
    fn codes(values: &[Self]) -> Self::Codes<'_>;

    /// Little-endian bytes (a whole number of values) read in place, as codes; `None`
    /// where the target cannot (big-endian floats) or the length is not whole.
    fn codes_from_le_bytes(bytes: &[u8]) -> Option<Self::Codes<'_>>;

    /// Values `range` of `codes` (empty where the range is out of bounds).
    fn slice<'a>(codes: Self::Codes<'a>, range: Range<usize>) -> Self::Codes<'a>;

    /// The values as a slice: borrowed where they lie aligned, else copied.
    fn to_cow<'a>(codes: Self::Codes<'a>) -> Cow<'a, [Self]>;
}

impl sealed::Sealed for f32 {}

impl ListUnit for f32 {
    type Codes<'a> = Rows<'a>;

    fn codes(values: &[f32]) -> Rows<'_> {
        Rows::from(values)
    }

    fn codes_from_le_bytes(bytes: &[u8]) -> Option<Rows<'_>> {
        Rows::from_le_bytes(bytes).ok()
    }

    fn slice<'a>(codes: Self::Codes<'a>, range: Range<usize>) -> Self::Codes<'a> {
        codes.slice(range).unwrap_or(Rows::from(&[] as &[f32]))
    }

    fn to_cow<'a>(codes: Self::Codes<'a>) -> Cow<'a, [f32]> {
        codes.to_cow()
    }
}

impl sealed::Sealed for u8 {}

impl ListUnit for u8 {
    type Codes<'a> = &'a [u8];

    fn codes(values: &[u8]) -> &[u8] {
        values
    }

    fn codes_from_le_bytes(bytes: &[u8]) -> Option<&[u8]> {
        Some(bytes)
    }

    fn slice<'a>(codes: Self::Codes<'a>, range: Range<usize>) -> Self::Codes<'a> {
        codes.get(range).unwrap_or(&[])
    }

    fn to_cow<'a>(codes: Self::Codes<'a>) -> Cow<'a, [u8]> {
        Cow::Borrowed(codes)
    }
}

/// Ids and codes (`codes`, `ids.len() * units` values, entry after entry) of one list;
/// `units` is the number of code values per vector (`d` floats for IVF-Flat, the code
/// size in bytes for IVF-SQ).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InvertedList<T = f32> {
    /// Stored id of each entry.
    pub ids: Vec<i64>,
    /// Codes of the entries, one after the other.
    pub codes: Vec<T>,
}

impl<T: Copy> InvertedList<T> {
    /// A list from its parts.
    pub fn new(ids: Vec<i64>, codes: Vec<T>) -> InvertedList<T> {
        InvertedList { ids, codes }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the list holds nothing.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The code of entry `offset`, `units` values per entry.
    pub fn code(&self, offset: usize, units: usize) -> Option<&[T]> {
        self.codes.get(offset * units..(offset + 1) * units)
    }

    /// Overwrites entry `dst` with entry `src` (Faiss `update_entry`).
    pub(crate) fn copy_entry(&mut self, src: usize, dst: usize, units: usize) {
        self.ids[dst] = self.ids[src];
        self.codes
            .copy_within(src * units..(src + 1) * units, dst * units);
    }

    pub(crate) fn truncate(&mut self, len: usize, units: usize) {
        self.ids.truncate(len);
        self.codes.truncate(len * units);
    }

    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.codes.clear();
    }
}

impl InvertedList<f32> {
    /// The codes as little-endian bytes, as a Faiss file stores them
    /// (`len() * 4 * d` bytes).
    pub fn code_bytes(&self) -> Vec<u8> {
        self.codes.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}
