//! The pickle reader frees everything it built, also for pickles whose containers
//! refer to themselves (a list appended to itself, a dict holding itself, an object
//! whose state is itself), whether the pickle then loads, fails to convert or is cut
//! short. Found by the `pickle` fuzz target (LeakSanitizer): such cycles of shared
//! containers were never freed.
//!
//! A global allocator counts, per thread, the bytes allocated and not yet freed; each
//! read must end where it started.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrofaiss_store::__fuzz::{pickle_to_json, read_langchain_pickle};

struct LiveBytes;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
}

// SAFETY: every call forwards unchanged to the system allocator; the bookkeeping only
// touches a const-initialised thread-local `Cell` and never allocates.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LiveBytes = LiveBytes;

/// Bytes still allocated by this thread after `f` returned (and its result dropped).
fn leaked(f: impl FnOnce()) -> isize {
    let before = LIVE.with(Cell::get);
    f();
    LIVE.with(Cell::get) - before
}

/// Self-referencing pickles (protocol 4): each ends in STOP; the test also cuts it.
fn cyclic_pickles() -> Vec<(&'static str, Vec<u8>)> {
    let mut object = vec![0x80, 4, b'c'];
    object.extend_from_slice(b"builtins\nobject\n");
    object.extend_from_slice(&[b')', 0x81, 0x94, b'h', 0, b'b', b'.']);
    vec![
        // EMPTY_LIST, MEMOIZE, BINGET 0, APPEND: a list that contains itself.
        ("list", vec![0x80, 4, b']', 0x94, b'h', 0, b'a', b'.']),
        // EMPTY_DICT, MEMOIZE, BININT1 1, BINGET 0, SETITEM: d[1] = d.
        (
            "dict",
            vec![0x80, 4, b'}', 0x94, b'K', 1, b'h', 0, b's', b'.'],
        ),
        // object(), MEMOIZE, BINGET 0, BUILD: an object whose state is itself.
        ("object", object),
        // A self-containing list left on the stack under the result (None).
        (
            "garbage",
            vec![0x80, 4, b']', 0x94, b'h', 0, b'a', b'N', b'.'],
        ),
    ]
}

#[test]
fn cyclic_pickles_are_freed_whatever_the_outcome() {
    for (name, bytes) in cyclic_pickles() {
        for cut in [bytes.len(), bytes.len() - 1] {
            let input = &bytes[..cut];
            let json = leaked(|| drop(pickle_to_json(input)));
            assert_eq!(
                json, 0,
                "{name} cut at {cut}: pickle_to_json leaked {json} bytes"
            );
            let docstore = leaked(|| drop(read_langchain_pickle(input)));
            assert_eq!(
                docstore, 0,
                "{name} cut at {cut}: read_langchain_pickle leaked {docstore} bytes"
            );
        }
    }
}

#[test]
fn acyclic_pickles_still_load_and_convert() {
    // PROTO 4, EMPTY_DICT, MEMOIZE, MARK, 'a' -> [1, 'x'], SETITEMS, STOP
    let bytes = [
        0x80, 4, b'}', 0x94, b'(', 0x8c, 1, b'a', b']', b'(', b'K', 1, 0x8c, 1, b'x', b'e', b'u',
        b'.',
    ];
    assert_eq!(
        pickle_to_json(&bytes).unwrap(),
        serde_json::json!({"a": [1, "x"]})
    );
    assert_eq!(leaked(|| drop(pickle_to_json(&bytes))), 0);
}
