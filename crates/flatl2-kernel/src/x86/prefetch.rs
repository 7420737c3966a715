//! Software prefetch hints, written once for the x86 tiers.

use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};

/// Asks the CPU to bring the cache line holding `p` into L1 (`prefetcht0`). A hint only:
/// it never faults and has no effect on results, whatever the address.
#[inline(always)]
pub(crate) fn prefetch_t0<T>(p: *const T) {
    // Rust 1.89's `_mm_prefetch` is an `unsafe fn`; later releases made it safe, and the
    // block is then unneeded (hence the allow), so one source builds on both.
    #[allow(unused_unsafe)]
    // SAFETY: SSE (prefetch's instruction set) is part of x86-64's baseline, and a
    // prefetch reads nothing and never faults, for any address, valid or not.
    unsafe {
        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>())
    }
}

/// Bytes per cache line assumed by [`prefetch_lines`].
const CACHE_LINE: usize = 64;

/// [`prefetch_t0`] for every cache line of the `bytes` bytes from `p` (one hint per
/// 64 bytes). Hints only, like [`prefetch_t0`]: any address, valid or not.
#[inline(always)]
pub(crate) fn prefetch_lines(p: *const u8, bytes: usize) {
    let mut off = 0;
    while off < bytes {
        prefetch_t0(p.wrapping_add(off));
        off += CACHE_LINE;
    }
}
