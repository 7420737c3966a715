//! `index.faiss` bytes: `read_index_from_bytes` never panics and allocates in proportion
//! to its input; what it reads it can write, and what it writes reads back to the same
//! bytes; a read index can be searched. The reader that leaves IVF list codes in place
//! (a mapped open) accepts exactly the inputs the decoding reader accepts, and the
//! places it notes hold the codes that reader decodes.
#![no_main]

use ferrofaiss_index::__internal::raw::{
    read_raw_index, read_raw_index_leaving_codes, RawIndex, RawList,
};
use ferrofaiss_index::faiss_io::{read_index_from_bytes, write_index_to_vec};
use ferrofaiss_index::{Index, SearchParams};
use libfuzzer_sys::fuzz_target;

/// The lists of an IVF index (`None` for other index types), as their ids and the
/// little-endian bytes of their codes.
fn lists_of(raw: &RawIndex<'_>) -> Option<Vec<(Vec<i64>, Vec<u8>)>> {
    fn bytes<T: Clone>(
        lists: &[RawList<'_, T>],
        le: impl Fn(&T) -> Vec<u8>,
    ) -> Vec<(Vec<i64>, Vec<u8>)> {
        lists
            .iter()
            .map(|l| (l.ids.to_vec(), l.codes.iter().flat_map(&le).collect()))
            .collect()
    }
    match raw {
        RawIndex::IvfFlat(v) => Some(bytes(&v.lists, |x: &f32| x.to_le_bytes().to_vec())),
        RawIndex::IvfSq(v) => Some(bytes(&v.lists, |x: &u8| vec![*x])),
        _ => None,
    }
}

/// Reading with the codes left in place agrees with decoding them.
fn check_leaving_codes(data: &[u8]) {
    let (full, left) = (read_raw_index(data), read_raw_index_leaving_codes(data));
    assert_eq!(full.is_ok(), left.is_ok(), "the two readers disagree");
    let (Ok(full), Ok((left, starts))) = (full, left) else {
        return;
    };
    let (Some(decoded), Some(located)) = (lists_of(&full), lists_of(&left)) else {
        return;
    };
    assert_eq!(starts.len(), decoded.len());
    for (((ids, codes), (left_ids, left_codes)), start) in decoded.iter().zip(&located).zip(starts)
    {
        assert_eq!(ids, left_ids);
        assert!(left_codes.is_empty());
        assert_eq!(&data[start..start + codes.len()], &codes[..]);
    }
}

/// Searches only small dimensions: a header may claim a huge `d` with no vectors, and
/// the query would be this harness's allocation, not the reader's.
const MAX_SEARCH_D: usize = 4096;

fuzz_target!(|data: &[u8]| {
    check_leaving_codes(data);
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
