//! A growable array whose values start on a 64-byte boundary.
//!
//! The distance kernels load a whole vector register (64 bytes with AVX-512) at a time.
//! A `Vec<f32>` starts wherever the allocator puts it, which for glibc is 16 bytes past
//! a 64-byte boundary more often than not; rows of a multiple of 16 floats then split
//! every load across two cache lines. Scanning 42 rows of 1536 floats held in L2 took
//! 2.9 us so on an Intel Xeon (AVX-512), and 1.7 us from a 64-byte boundary (2026-12-07).
//!
//! [`LineVec`] keeps its values in a `Vec` of 64-byte lines (aligned by their type), so
//! it needs no `unsafe`: the values are a byte-exact view of the lines' first bytes.

use std::marker::PhantomData;

use bytemuck::{Pod, Zeroable};

/// Bytes per line: a cache line, and one AVX-512 register.
const LINE: usize = 64;

/// Bytes [`LineVec::from_vec`] moves before it shrinks the source.
const MOVE_CHUNK_BYTES: usize = 16 << 20;

/// 64 bytes at a 64-byte boundary: the unit [`LineVec`] allocates.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(64))]
struct Line([u8; LINE]);

/// A growable array of plain values whose first value is at a 64-byte boundary.
pub(crate) struct LineVec<T: Pod> {
    /// The memory: `len` values in its first bytes.
    lines: Vec<Line>,
    /// Number of values.
    len: usize,
    values: PhantomData<T>,
}

/// Lines that hold `n` values of `T` (saturating: a count that large is refused by the
/// allocator, as a `Vec` of that many values would be).
fn lines_for<T>(n: usize) -> usize {
    n.saturating_mul(std::mem::size_of::<T>()).div_ceil(LINE)
}

impl<T: Pod> LineVec<T> {
    /// An empty array (no allocation).
    pub(crate) fn new() -> LineVec<T> {
        LineVec {
            lines: Vec::new(),
            len: 0,
            values: PhantomData,
        }
    }

    /// A copy of `values`, exactly as large as they need.
    pub(crate) fn from_slice(values: &[T]) -> LineVec<T> {
        let mut v = LineVec::new();
        v.reserve_exact(values.len());
        v.extend_from_slice(values);
        v
    }

    /// The values of `v`, moved over from its end in chunks, `v` shrinking as they go:
    /// the new memory is taken zeroed from the allocator (pages the system has not yet
    /// touched), so at no point do both copies of the whole array take memory.
    pub(crate) fn from_vec(mut v: Vec<T>) -> LineVec<T> {
        let Ok(lines) = bytemuck::allocation::try_zeroed_vec(lines_for::<T>(v.len())) else {
            return LineVec::from_slice(&v);
        };
        let mut out = LineVec {
            lines,
            len: v.len(),
            values: PhantomData,
        };
        let chunk = (MOVE_CHUNK_BYTES / std::mem::size_of::<T>().max(1)).max(1);
        while !v.is_empty() {
            let start = v.len().saturating_sub(chunk);
            out.as_mut_slice()[start..v.len()].copy_from_slice(&v[start..]);
            v.truncate(start);
            v.shrink_to_fit();
        }
        out
    }

    /// Values that fit without growing.
    pub(crate) fn capacity(&self) -> usize {
        (self.lines.capacity() * LINE)
            .checked_div(std::mem::size_of::<T>())
            .unwrap_or(usize::MAX)
    }

    /// The values.
    pub(crate) fn as_slice(&self) -> &[T] {
        let bytes: &[u8] = bytemuck::cast_slice(&self.lines);
        let used = self.len * std::mem::size_of::<T>();
        // The bytes start at a line, aligned for any plain value of up to 64-byte
        // alignment, and hold whole values: never the fallback.
        let values = bytemuck::try_cast_slice(&bytes[..used]);
        debug_assert!(values.is_ok());
        values.unwrap_or_default()
    }

    /// The values, writable.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        let used = self.len * std::mem::size_of::<T>();
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.lines);
        let values = bytemuck::try_cast_slice_mut(&mut bytes[..used]);
        debug_assert!(values.is_ok());
        values.unwrap_or_default()
    }

    /// Makes room for `additional` more values, and no more (as `Vec::reserve_exact`).
    pub(crate) fn reserve_exact(&mut self, additional: usize) {
        let want = lines_for::<T>(self.len.saturating_add(additional));
        self.lines
            .reserve_exact(want.saturating_sub(self.lines.len()));
    }

    /// Sets the length to `len` values, growing the lines as needed (new bytes zero).
    fn set_len(&mut self, len: usize) {
        let want = lines_for::<T>(len);
        if want > self.lines.len() {
            // Amortised growth, as a `Vec` grows, when the caller did not reserve.
            self.lines.resize(want, Line::zeroed());
        }
        self.len = len;
    }

    /// Appends `values`: into the free bytes of the lines already there, then as new
    /// lines (each byte written once).
    pub(crate) fn extend_from_slice(&mut self, values: &[T]) {
        let src: &[u8] = bytemuck::cast_slice(values);
        let used = self.len * std::mem::size_of::<T>();
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.lines);
        let (head, rest) = src.split_at((bytes.len() - used).min(src.len()));
        bytes[used..used + head.len()].copy_from_slice(head);
        self.lines.extend(rest.chunks(LINE).map(|c| {
            let mut line = Line::zeroed();
            line.0[..c.len()].copy_from_slice(c);
            line
        }));
        self.len += values.len();
    }

    /// Keeps the first `len` values (all of them if there are fewer); the memory stays.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Grows to `len` values, new ones equal to `value`, or shrinks to `len`.
    pub(crate) fn resize(&mut self, len: usize, value: T) {
        let have = self.len;
        if len <= have {
            return self.truncate(len);
        }
        self.set_len(len);
        self.as_mut_slice()[have..].fill(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation agrees with a `Vec` doing the same, and the values always start
    /// at a 64-byte boundary.
    #[test]
    fn matches_a_vec_and_stays_aligned() {
        let mut v: Vec<f32> = Vec::new();
        let mut a: LineVec<f32> = LineVec::new();
        assert!(a.as_slice().is_empty());
        for round in 0..40usize {
            let block: Vec<f32> = (0..round * 7 + 1).map(|i| (i * round) as f32).collect();
            v.extend_from_slice(&block);
            a.extend_from_slice(&block);
            let cut = v.len() - round % 3;
            v.truncate(cut);
            a.truncate(cut);
            v.resize(cut + round % 5, -1.0);
            a.resize(cut + round % 5, -1.0);
            a.as_mut_slice()[0] = round as f32;
            v[0] = round as f32;
            assert_eq!(a.as_slice(), v.as_slice(), "round {round}");
            assert_eq!(a.as_slice().len(), v.len());
            assert!(a.capacity() >= v.len());
            assert_eq!(a.as_slice().as_ptr() as usize % LINE, 0, "round {round}");
        }
        let c = LineVec::from_slice(&v);
        assert_eq!(c.as_slice(), v.as_slice());
        assert_eq!(c.as_slice().as_ptr() as usize % LINE, 0);
        let m = LineVec::from_vec(v.clone());
        assert_eq!(m.as_slice(), v.as_slice());
        assert_eq!(m.as_slice().as_ptr() as usize % LINE, 0);
        // Across several chunks of the move.
        let big: Vec<u32> = (0..(MOVE_CHUNK_BYTES / 4 * 2 + 5) as u32).collect();
        let moved = LineVec::from_vec(big.clone());
        assert_eq!(moved.as_slice(), big.as_slice());
        assert!(LineVec::<f32>::from_vec(Vec::new()).as_slice().is_empty());
        // Values of other sizes, including one that does not divide a line.
        let bytes: Vec<[u8; 3]> = (0..100u8).map(|i| [i, i ^ 1, i ^ 2]).collect();
        let b = LineVec::from_slice(&bytes);
        assert_eq!(b.as_slice(), bytes.as_slice());
        let mut r = LineVec::<u8>::new();
        r.reserve_exact(10);
        assert!(r.capacity() >= 10);
        r.resize(3, 9);
        assert_eq!(r.as_slice(), &[9, 9, 9]);
    }
}
