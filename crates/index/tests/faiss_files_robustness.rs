//! Hostile and damaged Faiss files: every truncation, overwritten counts and random
//! byte flips must end in `Ok` or a typed error; never a panic, never an allocation
//! out of proportion to the input. A counting global allocator records the largest
//! single allocation each test thread makes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;

use ferrofaiss_index::__internal::raw::read_raw_index;
use ferrofaiss_index::faiss_io::{read_index_from_bytes, FaissIoError};

/// Records, per thread, the largest allocation requested while armed.
struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call forwards unchanged to the system allocator; the bookkeeping only
// touches a const-initialised thread-local `Cell` and never allocates.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|m| m.set(m.get().max(layout.size())));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = LARGEST.try_with(|m| m.set(m.get().max(layout.size())));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LARGEST.try_with(|m| m.set(m.get().max(new_size)));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/faiss");

/// Every fixture file, supported or not.
const ALL: [&str; 17] = [
    "flat_l2",
    "flat_ip",
    "flat_l1",
    "flat_l2_empty",
    "idmap_flat",
    "idmap2_flat",
    "idmap2_flat_ip",
    "ivfflat",
    "ivfflat_sparse",
    "ivfflat_directmap",
    "ivfflat_ip",
    "hnsw_flat",
    "hnsw_flat_ip",
    "sq8",
    "sqfp16",
    "sq8_ip",
    "ivfsq8",
];

/// The largest single allocation a parse of `len` input bytes may make: payloads are
/// at most the input, bookkeeping a small multiple, and an untrained IVF header may
/// size up to 2^16 empty lists without backing bytes.
fn allocation_bound(len: usize) -> usize {
    16 * len + (4 << 20)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(FIXTURES).join(format!("{name}.faiss"))).expect("fixture")
}

/// Parses `bytes` with the allocation meter armed; returns the result and the largest
/// allocation made.
fn metered<T>(bytes: &[u8], parse: impl Fn(&[u8]) -> T) -> (T, usize) {
    LARGEST.with(|m| m.set(0));
    let out = parse(bytes);
    (out, LARGEST.with(|m| m.get()))
}

/// Decodes `bytes` through both public entry points: the raw structs and the index
/// types. The raw layer and the full reader must agree on whether the bytes parse;
/// the index types may still refuse parts (a typed `FaissIoError::Index`).
fn parse(bytes: &[u8]) -> Result<(), FaissIoError> {
    let raw = read_raw_index(bytes);
    let full = read_index_from_bytes(bytes);
    match (&raw, &full) {
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (Ok(_), Ok(_)) | (Ok(_), Err(FaissIoError::Index(_))) => {}
        _ => panic!("raw {raw:?} vs full {full:?}"),
    }
    full.map(drop)
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_truncation_of_every_fixture_is_a_typed_error() {
    // The meter sees the decoded payload (32 floats) of a whole file.
    let (whole, largest) = metered(&fixture("flat_l2"), parse);
    assert!(whole.is_ok() && largest >= 128, "meter saw {largest} bytes");
    for name in ALL {
        let bytes = fixture(name);
        let whole = parse(&bytes);
        for cut in 0..bytes.len() {
            let (result, largest) = metered(&bytes[..cut], parse);
            match (&whole, result) {
                // A supported file cut short always runs out of bytes.
                (
                    Ok(_),
                    Err(FaissIoError::Truncated {
                        offset,
                        needed,
                        available,
                    }),
                ) => {
                    assert!(
                        offset + available == cut as u64 && needed > available,
                        "{name} cut at {cut}"
                    );
                }
                // An unsupported one fails as the whole file does once its tag is read
                // (or earlier, on a field it shares with supported types).
                (Err(_), Err(_)) => {}
                (_, other) => panic!("{name} cut at {cut}: {other:?}"),
            }
            assert!(
                largest <= allocation_bound(cut),
                "{name} cut at {cut}: allocated {largest}"
            );
        }
    }
}

#[test]
fn huge_counts_written_anywhere_are_typed_errors_without_huge_allocations() {
    let hostile: [u64; 6] = [u64::MAX, 1 << 63, 1 << 62, 1 << 40, 0x7fff_ffff, 1 << 20];
    for name in ALL {
        let bytes = fixture(name);
        for at in 0..bytes.len() {
            for value in hostile {
                let mut damaged = bytes.clone();
                let le = value.to_le_bytes();
                let n = le.len().min(damaged.len() - at);
                damaged[at..at + n].copy_from_slice(&le[..n]);
                let (_result, largest) = metered(&damaged, parse);
                assert!(
                    largest <= allocation_bound(damaged.len()),
                    "{name}: {value:#x} at {at} allocated {largest}"
                );
            }
        }
    }
}

#[test]
fn random_byte_flips_give_ok_or_a_typed_error() {
    let mut rng = SplitMix(0x5eed_f1a5_5000_0001);
    let mut outcomes = [0usize; 2];
    for name in ALL {
        let bytes = fixture(name);
        for _ in 0..2000 {
            let mut damaged = bytes.clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(damaged.len());
                damaged[at] ^= 1 + rng.below(255) as u8;
            }
            let (result, largest) = metered(&damaged, parse);
            outcomes[usize::from(result.is_ok())] += 1;
            assert!(
                largest <= allocation_bound(damaged.len()),
                "{name}: allocated {largest}"
            );
        }
    }
    // Flips in vector payloads leave a valid file: both outcomes must occur.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}
