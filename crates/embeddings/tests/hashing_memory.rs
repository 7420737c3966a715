//! The hashing embedder's memory does not grow with the text: a 6 MiB one-line text
//! (once about 28 bytes per input byte, 170 MB) is embedded within a fixed bound. A
//! counting global allocator records the peak of live bytes this thread allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrofaiss_embeddings::HashingEmbeddings;

/// Tracks, per thread, the bytes allocated and not yet freed, and their peak.
struct PeakLive;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

// SAFETY: every call forwards unchanged to the system allocator; the bookkeeping only
// touches const-initialised thread-local `Cell`s and never allocates.
unsafe impl GlobalAlloc for PeakLive {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: PeakLive = PeakLive;

/// Peak live bytes while `f` runs, above what was live when it started.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, (PEAK.with(Cell::get) - start) as usize)
}

/// About `bytes` of one line of pseudo-random words (a large vocabulary, so most
/// character n-grams are distinct: the worst case for memory).
fn one_line_text(bytes: usize) -> String {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = String::with_capacity(bytes + 16);
    while out.len() < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.push_str(&format!("q{:x} ", state % 4_000_000));
    }
    out
}

#[test]
fn a_6_mib_text_is_embedded_in_bounded_memory() {
    let e = HashingEmbeddings::default();
    let text = one_line_text(6 << 20);
    let (v, peak) = peak_during(|| e.embed(&text));
    assert_eq!(v.len(), 1024);
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    // The bound is the pass size's (KEYS_PER_PASS keys, counted in a hash map), not
    // the text's: this text once took about 170 MB.
    assert!(peak < 40 << 20, "peak {} MiB", peak >> 20);
    eprintln!(
        "peak {:.1} MiB for {} MiB of text",
        peak as f64 / 1048576.0,
        text.len() >> 20
    );
}
