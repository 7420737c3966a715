//! Large arrays in memory that Linux may back with transparent huge pages.
//!
//! A graph walk (HNSW) reads rows and neighbour lists scattered over the whole index.
//! With 4 KiB pages nearly every one of those reads lands on a page the TLB does not
//! hold, and waits for a page-table walk before its data can come; a 2 MiB page
//! covers 512 times as much. Where transparent huge pages are enabled (`always`, or
//! `madvise` as most distributions ship it), an anonymous mapping advised with
//! `MADV_HUGEPAGE` is backed by them as it is first touched.
//!
//! [`PageVec`] is a growable array that asks for this once it is large: it is a heap
//! array ([`LineVec`], values from a 64-byte boundary) until huge pages are asked for
//! and it grows to [`HUGE_FROM`] bytes, then moves into such a mapping and stays there
//! (growing into new ones; shrinking does not move it back). Elsewhere than Linux it is
//! always on the heap; where a mapping is refused it stops asking and goes on on the
//! heap; where the advice is refused or ignored, the mapping is ordinary memory. Either
//! way the advice changes speed, never contents.

#[cfg(target_os = "linux")]
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use bytemuck::Pod;

use crate::line_vec::LineVec;

/// Arrays of at least this many bytes move into an advised mapping (smaller ones gain
/// little: a few 4 KiB pages fit the TLB anyway).
pub(crate) const HUGE_FROM: usize = 4 << 20;

/// The size of a transparent huge page on x86-64 and most aarch64 kernels: the
/// mapping's data starts at a multiple of it, so that every whole 2 MiB of the array
/// can be one page.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// A growable array of plain values, moved into memory advised for transparent huge
/// pages once it holds [`HUGE_FROM`] bytes or more and huge pages are asked for
/// ([`PageVec::use_huge_pages`]).
pub(crate) struct PageVec<T: Pod> {
    mem: Mem<T>,
    /// Whether the array moves into an advised mapping when large.
    huge: bool,
}

/// Where a [`PageVec`]'s values are.
enum Mem<T: Pod> {
    /// A heap allocation, its values from a 64-byte boundary (whole-register loads of
    /// rows of 16 floats never straddle two cache lines).
    Heap(LineVec<T>),
    /// An anonymous mapping advised for huge pages.
    #[cfg(target_os = "linux")]
    Mapped(Mapped<T>),
}

/// `len` values (room for `cap`) at byte `start` of an anonymous mapping.
#[cfg(target_os = "linux")]
struct Mapped<T: Pod> {
    map: memmap2::MmapMut,
    start: usize,
    len: usize,
    cap: usize,
    values: PhantomData<T>,
}

#[cfg(target_os = "linux")]
impl<T: Pod> Mapped<T> {
    /// An empty mapping with room for `cap` values, its data at a 2 MiB boundary and
    /// advised for huge pages; `None` when the size overflows or the system refuses
    /// the mapping (the caller then keeps a `Vec`).
    fn with_capacity(cap: usize) -> Option<Mapped<T>> {
        let bytes = cap.checked_mul(std::mem::size_of::<T>())?;
        let map = memmap2::MmapMut::map_anon(bytes.checked_add(HUGE_PAGE)?).ok()?;
        let addr = map.as_ptr() as usize;
        let start = addr.next_multiple_of(HUGE_PAGE) - addr;
        // A refused advice (THP disabled, an old kernel) leaves ordinary pages.
        let _ = map.advise_range(memmap2::Advice::HugePage, start, bytes);
        let mapped = Mapped {
            map,
            start,
            len: 0,
            cap,
            values: PhantomData,
        };
        // The data start is page-aligned, so aligned for any plain value; checked here
        // once so that the views below never fail.
        bytemuck::try_cast_slice::<u8, T>(&mapped.map[start..start + bytes]).ok()?;
        Some(mapped)
    }

    /// The bytes of the values in use.
    fn bytes(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len * std::mem::size_of::<T>()
    }

    fn as_slice(&self) -> &[T] {
        // Aligned and whole values (checked in `with_capacity`): never the fallback.
        let values = bytemuck::try_cast_slice(&self.map[self.bytes()]);
        debug_assert!(values.is_ok());
        values.unwrap_or_default()
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        let r = self.bytes();
        let values = bytemuck::try_cast_slice_mut(&mut self.map[r]);
        debug_assert!(values.is_ok());
        values.unwrap_or_default()
    }

    /// Appends `values`, which fit (`len + values.len() <= cap`).
    fn extend_within(&mut self, values: &[T]) {
        debug_assert!(self.len + values.len() <= self.cap);
        let at = self.len;
        self.len += values.len();
        self.as_mut_slice()[at..].copy_from_slice(values);
    }
}

impl<T: Pod> PageVec<T> {
    /// An empty array that stays on the heap (until [`PageVec::use_huge_pages`]).
    pub(crate) fn new() -> PageVec<T> {
        PageVec::from_vec(Vec::new())
    }

    /// The values of `v`, kept in its allocation on the heap, moved up in place to a
    /// 64-byte boundary ([`LineVec::from_vec`]).
    pub(crate) fn from_vec(v: Vec<T>) -> PageVec<T> {
        PageVec::from_line_vec(LineVec::from_vec(v))
    }

    /// The values of `v`, kept where they are, on the heap.
    pub(crate) fn from_line_vec(v: LineVec<T>) -> PageVec<T> {
        PageVec {
            mem: Mem::Heap(v),
            huge: false,
        }
    }

    /// From now on the array lives in memory advised for huge pages whenever it holds
    /// [`HUGE_FROM`] bytes or more: moved there now if it already does (one copy).
    pub(crate) fn use_huge_pages(&mut self) {
        self.huge = true;
        self.reserve(0);
    }

    /// Takes `other`'s values and memory in place of this array's own, keeping this
    /// array's preference: memory taken over stays where it is, except that a `Vec`
    /// moves into huge pages if this array asks for them and it is large.
    pub(crate) fn replace(&mut self, other: PageVec<T>) {
        let huge = self.huge;
        *self = other;
        self.huge = false;
        if huge {
            self.use_huge_pages();
        }
    }

    /// Moves the values and memory out, leaving an empty array with the same
    /// preference (`std::mem::take` would drop it).
    pub(crate) fn take(&mut self) -> PageVec<T> {
        let huge = self.huge;
        let out = std::mem::take(self);
        self.huge = huge;
        out
    }

    /// Drops the values and frees their memory; huge pages stay asked for or not.
    pub(crate) fn release(&mut self) {
        self.mem = Mem::Heap(LineVec::new());
    }

    /// Number of values.
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// The values.
    pub(crate) fn as_slice(&self) -> &[T] {
        match &self.mem {
            Mem::Heap(v) => v.as_slice(),
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m.as_slice(),
        }
    }

    /// The values, writable.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.mem {
            Mem::Heap(v) => v.as_mut_slice(),
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m.as_mut_slice(),
        }
    }

    /// Makes room for `additional` more values (exactly on the heap, geometrically in a
    /// mapping, which cannot grow in place), and moves the array into an advised
    /// mapping when huge pages are asked for and it is (or is about to be)
    /// [`HUGE_FROM`] bytes or more.
    pub(crate) fn reserve(&mut self, additional: usize) {
        #[cfg(target_os = "linux")]
        if self.remap(additional) {
            return;
        }
        // (The only kind of memory elsewhere than Linux.) Exact, as the vectors have
        // always been grown here: no slack beyond what is added and the at most one
        // line of padding that puts the values on a 64-byte boundary.
        #[allow(irrefutable_let_patterns)]
        if let Mem::Heap(v) = &mut self.mem {
            v.reserve(additional, true);
        }
    }

    /// [`PageVec::reserve`]'s mappings: a new one when the array moves into one or
    /// outgrows its own; `true` when room is made.
    #[cfg(target_os = "linux")]
    fn remap(&mut self, additional: usize) -> bool {
        let needed = self.len().saturating_add(additional);
        let large = needed.saturating_mul(std::mem::size_of::<T>()) >= HUGE_FROM;
        let cap = match &self.mem {
            Mem::Mapped(m) if needed <= m.cap => return true,
            Mem::Mapped(m) => m.cap,
            Mem::Heap(v) if self.huge && large => v.capacity(),
            Mem::Heap(_) => return false,
        };
        // Growth doubles (amortised appends); a move alone takes what is there.
        let grown = if additional == 0 {
            needed
        } else {
            needed.max(cap.saturating_mul(2))
        };
        if let Some(mut m) = Mapped::with_capacity(grown) {
            m.extend_within(self.as_slice());
            self.mem = Mem::Mapped(m);
            return true;
        }
        // The system refuses the mapping (address-space limits, say): stop asking, and go
        // on on the heap, which grows in place from now on (no copy per call).
        self.huge = false;
        if let Mem::Mapped(m) = &self.mem {
            let mut v = LineVec::new();
            v.reserve(needed, true);
            v.extend_from_slice(m.as_slice());
            self.mem = Mem::Heap(v);
            return true;
        }
        false
    }

    /// Appends `values`.
    pub(crate) fn extend_from_slice(&mut self, values: &[T]) {
        self.reserve(values.len());
        match &mut self.mem {
            Mem::Heap(v) => v.extend_from_slice(values),
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m.extend_within(values),
        }
    }

    /// Keeps the first `len` values (all of them if there are fewer).
    pub(crate) fn truncate(&mut self, len: usize) {
        match &mut self.mem {
            Mem::Heap(v) => v.truncate(len),
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m.len = m.len.min(len),
        }
    }

    /// Grows to `len` values, new ones equal to `value`, or shrinks to `len`.
    pub(crate) fn resize(&mut self, len: usize, value: T) {
        let have = self.len();
        if len <= have {
            return self.truncate(len);
        }
        // A move into (or growth of) a mapping; the heap grows as `Vec::resize` grows.
        #[cfg(target_os = "linux")]
        self.remap(len - have);
        match &mut self.mem {
            Mem::Heap(v) => v.resize(len, value),
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => {
                // Room was made above; the new values are written, not assumed zero.
                m.len = len;
                m.as_mut_slice()[have..].fill(value);
            }
        }
    }

    /// The values as a `Vec` (moved out of a heap array, copied out of a mapping).
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self.mem {
            Mem::Heap(v) => v.into_vec(),
            #[cfg(target_os = "linux")]
            Mem::Mapped(m) => m.as_slice().to_vec(),
        }
    }

    /// Whether the values are in an advised mapping (for tests).
    #[cfg(test)]
    fn is_mapped(&self) -> bool {
        !matches!(self.mem, Mem::Heap(_))
    }
}

impl PageVec<f32> {
    /// `len` zeros in memory advised for huge pages when that is [`HUGE_FROM`] bytes or
    /// more (huge pages asked for from the start), else on the heap
    /// ([`LineVec::zeroed`]). Either way the pages are fresh and faulted in only where
    /// they are first written: a new anonymous mapping reads as zeros, so nothing is
    /// written here.
    pub(crate) fn zeroed(len: usize) -> PageVec<f32> {
        #[cfg(target_os = "linux")]
        if len.saturating_mul(4) >= HUGE_FROM {
            if let Some(mut m) = Mapped::with_capacity(len) {
                m.len = len;
                return PageVec {
                    mem: Mem::Mapped(m),
                    huge: true,
                };
            }
        }
        PageVec::from_line_vec(LineVec::zeroed(len))
    }
}

impl<T: Pod> AsRef<[T]> for PageVec<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Pod> Default for PageVec<T> {
    fn default() -> Self {
        PageVec::new()
    }
}

impl<T: Pod> Clone for PageVec<T> {
    fn clone(&self) -> Self {
        let mut c = PageVec::new();
        if self.huge {
            c.use_huge_pages();
        }
        c.extend_from_slice(self.as_slice());
        c
    }
}

impl<T: Pod> std::fmt::Debug for PageVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageVec")
            .field("len", &self.len())
            .field("huge", &self.huge)
            .finish()
    }
}

impl<T: Pod> Deref for PageVec<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Pod> DerefMut for PageVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation agrees with a `Vec` doing the same, across the move into a
    /// mapping and its growth.
    #[test]
    fn matches_a_vec_across_the_move() {
        let mut v: Vec<f32> = Vec::new();
        let mut p: PageVec<f32> = PageVec::new();
        p.use_huge_pages();
        let step = HUGE_FROM / 4 / 3 + 7;
        let block: Vec<f32> = (0..step).map(|i| i as f32 * 0.5).collect();
        for round in 0..5 {
            v.extend_from_slice(&block);
            p.extend_from_slice(&block);
            assert_eq!(p.as_slice(), v.as_slice(), "round {round}");
            let cut = v.len() - round * 3;
            v.truncate(cut);
            p.truncate(cut);
            v.resize(cut + 11, -1.0);
            p.resize(cut + 11, -1.0);
            assert_eq!(p.as_slice(), v.as_slice(), "round {round}");
            p[round] = 9.0;
            v[round] = 9.0;
        }
        assert_eq!(p.len(), v.len());
        #[cfg(target_os = "linux")]
        assert!(p.is_mapped());
        let c = p.clone();
        assert_eq!(c.as_slice(), v.as_slice());
        assert_eq!(p.into_vec(), v);
    }

    /// Without huge pages asked for, a large array stays a `Vec`; asking moves it.
    #[test]
    fn moves_only_when_asked_and_large() {
        let mut p = PageVec::from_vec(vec![1u8; HUGE_FROM]);
        p.extend_from_slice(&[2, 3]);
        assert!(!p.is_mapped());
        let mut small = PageVec::from_vec(vec![1u8; 100]);
        small.use_huge_pages();
        assert!(!small.is_mapped());
        p.use_huge_pages();
        #[cfg(target_os = "linux")]
        assert!(p.is_mapped());
        assert_eq!(p.len(), HUGE_FROM + 2);
        assert_eq!(&p[HUGE_FROM - 1..], &[1, 2, 3]);
        // A replacement keeps the preference; a release keeps it too.
        small.replace(PageVec::from_vec(vec![5u8; HUGE_FROM]));
        #[cfg(target_os = "linux")]
        assert!(small.is_mapped());
        assert_eq!(small.len(), HUGE_FROM);
        small.release();
        assert_eq!(small.len(), 0);
        small.extend_from_slice(&vec![6u8; HUGE_FROM]);
        #[cfg(target_os = "linux")]
        assert!(small.is_mapped());
        // So does a take.
        let taken = small.take();
        assert_eq!((taken.len(), small.len()), (HUGE_FROM, 0));
        small.resize(HUGE_FROM, 7);
        #[cfg(target_os = "linux")]
        assert!(small.is_mapped());
        assert_eq!(&small[HUGE_FROM - 2..], &[7, 7]);
        // Memory taken over stays where it is.
        let mut plain = PageVec::new();
        plain.replace(p);
        #[cfg(target_os = "linux")]
        assert!(plain.is_mapped());
        assert_eq!(&plain[HUGE_FROM - 1..], &[1, 2, 3]);
    }
}
