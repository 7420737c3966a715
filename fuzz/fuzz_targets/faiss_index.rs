//! `index.faiss` bytes: `read_index_from_bytes` never panics and allocates in proportion
//! to its input; what it reads it can write, and what it writes reads back to the same
//! bytes; a read index can be searched.
#![no_main]

use ferrofaiss_index::faiss_io::{read_index_from_bytes, write_index_to_vec};
use ferrofaiss_index::{Index, SearchParams};
use libfuzzer_sys::fuzz_target;

/// Searches only small dimensions: a header may claim a huge `d` with no vectors, and
/// the query would be this harness's allocation, not the reader's.
const MAX_SEARCH_D: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(index) = read_index_from_bytes(data) else {
        return;
    };
    let written = write_index_to_vec(&*index).expect("an index that was read can be written");
    let again = read_index_from_bytes(&written).expect("written bytes read back");
    assert_eq!(again.ntotal(), index.ntotal());
    assert_eq!(again.dimension(), index.dimension());
    assert_eq!(
        write_index_to_vec(&*again).expect("written again"),
        written,
        "write(read(write(read(x)))) != write(read(x))"
    );
    let d = index.dimension();
    if d == 0 || d > MAX_SEARCH_D || !index.is_trained() {
        return;
    }
    let query: Vec<f32> = (0..d).map(|i| (i % 7) as f32 * 0.25 - 0.5).collect();
    for nprobe in [None, Some(SearchParams::with_nprobe(3))] {
        let _ = index.search(&query, 4, nprobe.as_ref());
        let _ = index.range_search(&query, 1.5, nprobe.as_ref());
    }
    if index.ntotal() > 0 {
        let _ = index.reconstruct(0);
    }
});
