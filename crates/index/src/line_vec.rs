//! A growable array whose values start on a 64-byte boundary.
//!
//! The distance kernels load a whole vector register (64 bytes with AVX-512) at a time.
//! A `Vec<f32>` starts wherever the allocator puts it, which for glibc is 16 bytes past
//! a 64-byte boundary more often than not; rows of a multiple of 16 floats then split
//! every load across two cache lines. Scanning 42 rows of 1536 floats held in L2 took
//! 2.9 us so on an Intel Xeon (AVX-512), and 1.7 us from a 64-byte boundary (2026-12-07).
//!
//! [`LineVec`] is a `Vec` whose values start a few slots in, at the first 64-byte
//! boundary: no `unsafe`, and a `Vec` handed over is kept, its values moved up in place
//! (no second buffer, no fresh pages to fault in).

use bytemuck::Pod;

/// The boundary the values start at: a cache line, and one AVX-512 register.
const LINE: usize = 64;

/// A growable array of plain values whose first value is at a 64-byte boundary (for
/// value sizes that divide 64; others start where the allocation does).
pub(crate) struct LineVec<T: Pod> {
    /// `start` slots of padding, then the values.
    buf: Vec<T>,
    /// Where the values start in `buf`.
    start: usize,
}

/// The most padding slots a boundary can need.
fn slack<T>() -> usize {
    (LINE / std::mem::size_of::<T>().max(1)).saturating_sub(1)
}

impl<T: Pod> LineVec<T> {
    /// An empty array (no allocation).
    pub(crate) fn new() -> LineVec<T> {
        LineVec {
            buf: Vec::new(),
            start: 0,
        }
    }

    /// The values of `v`, kept in its allocation (grown by at most a line when it has
    /// no room to spare) and moved up to the first 64-byte boundary. An empty `v` with
    /// nothing allocated stays so.
    pub(crate) fn from_vec(v: Vec<T>) -> LineVec<T> {
        let mut a = LineVec { buf: v, start: 0 };
        if a.buf.capacity() > 0 {
            a.reserve(0, false);
        }
        a
    }

    /// The values.
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.buf[self.start..]
    }

    /// The values, writable.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.buf[self.start..]
    }

    /// Values that fit without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity() - self.start
    }

    /// Makes room for `additional` more values (exactly, or amortised as a `Vec`
    /// grows), and moves the values to the boundary if the allocation moved.
    pub(crate) fn reserve(&mut self, additional: usize, exact: bool) {
        // Room for the padding too, so that re-aligning never grows the buffer again.
        let more = additional.saturating_add(slack::<T>());
        if exact {
            self.buf.reserve_exact(more);
        } else {
            self.buf.reserve(more);
        }
        self.align();
    }

    /// Moves the values to the first 64-byte boundary of the allocation (a no-op when
    /// they are there). The buffer has room for the padding.
    fn align(&mut self) {
        let len = self.buf.len() - self.start;
        let want = self.buf.as_ptr().align_offset(LINE);
        let want = if want <= slack::<T>() { want } else { 0 };
        if want == self.start {
            return;
        }
        let zero = T::zeroed();
        if want > self.start {
            self.buf.resize(want + len, zero);
            self.buf.copy_within(self.start..self.start + len, want);
        } else {
            self.buf.copy_within(self.start..self.start + len, want);
            self.buf.truncate(want + len);
        }
        self.start = want;
    }

    /// Appends `values`.
    pub(crate) fn extend_from_slice(&mut self, values: &[T]) {
        self.reserve(values.len(), false);
        self.buf.extend_from_slice(values);
    }

    /// Keeps the first `len` values (all of them if there are fewer); the memory stays.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.buf.truncate(self.start.saturating_add(len));
    }

    /// Grows to `len` values, new ones equal to `value`, or shrinks to `len`.
    pub(crate) fn resize(&mut self, len: usize, value: T) {
        let have = self.buf.len() - self.start;
        if len <= have {
            return self.truncate(len);
        }
        self.reserve(len - have, false);
        self.buf.resize(self.start + len, value);
    }

    /// The values as a `Vec`: the allocation itself, the padding taken out.
    pub(crate) fn into_vec(mut self) -> Vec<T> {
        self.buf.drain(..self.start);
        self.buf
    }
}

impl LineVec<f32> {
    /// `len` zeros from a 64-byte boundary, in memory asked for zeroed: a large buffer
    /// comes as fresh pages that are faulted in only where they are first written (by
    /// whichever thread writes them). It has room for the padding before the values
    /// and for the slack [`LineVec::reserve`] keeps after them, so reserving nothing
    /// never moves it.
    pub(crate) fn zeroed(len: usize) -> LineVec<f32> {
        let slack = slack::<f32>();
        let mut buf = vec![0.0f32; len.saturating_add(2 * slack)];
        let want = buf.as_ptr().align_offset(LINE);
        let start = if want <= slack { want } else { 0 };
        buf.truncate(start + len);
        LineVec { buf, start }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aligned<T: Pod>(a: &LineVec<T>) -> bool {
        (a.as_slice().as_ptr() as usize).is_multiple_of(LINE)
    }

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
            assert!(a.capacity() >= v.len());
            assert!(aligned(&a), "round {round}");
        }
        a.reserve(1000, true);
        assert!(a.capacity() >= v.len() + 1000 && aligned(&a));
        assert_eq!(a.as_slice(), v.as_slice());
        assert_eq!(a.into_vec(), v);
    }

    /// A `Vec` handed over keeps its values, whatever its alignment and spare room.
    #[test]
    fn takes_a_vec_over() {
        for extra in [0usize, 1, 3, 15, 16, 40] {
            for skip in 0..16usize {
                // Allocations of several sizes and spare room start at several
                // offsets from a boundary.
                let mut v: Vec<f32> = Vec::with_capacity(100 + extra + skip);
                v.extend((0..100 + skip).map(|i| i as f32));
                let want = v.clone();
                let a = LineVec::from_vec(v);
                assert_eq!(a.as_slice(), want.as_slice(), "extra {extra} skip {skip}");
                assert!(aligned(&a));
                assert_eq!(a.into_vec(), want);
            }
        }
        let bytes = LineVec::from_vec((0..=255u8).collect());
        assert!(aligned(&bytes));
        assert_eq!(bytes.as_slice().len(), 256);
        // A value size that does not divide a line: kept, alignment not promised.
        let odd: Vec<[u8; 3]> = (0..50u8).map(|i| [i, i, i]).collect();
        assert_eq!(LineVec::from_vec(odd.clone()).as_slice(), odd.as_slice());
        let empty = LineVec::<f32>::from_vec(Vec::new());
        assert!(empty.as_slice().is_empty() && empty.capacity() == 0);
    }

    /// Zeroed buffers of every small length, and a large one, start at a boundary and
    /// have the padding's room already (reserving nothing moves them).
    #[test]
    fn zeroed_buffers_start_in_line() {
        for len in (0..70usize).chain([1 << 20, (1 << 20) + 5]) {
            let mut a = LineVec::zeroed(len);
            assert_eq!(a.as_slice().len(), len);
            assert!(a.as_slice().iter().all(|&x| x == 0.0));
            assert!(aligned(&a), "len {len}");
            let at = a.as_slice().as_ptr();
            a.reserve(0, false);
            assert_eq!(a.as_slice().as_ptr(), at, "len {len}");
        }
    }
}
