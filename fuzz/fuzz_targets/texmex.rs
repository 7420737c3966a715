//! TEXMEX `.fvecs` / `.ivecs` bytes (`ferrofaiss bench` inputs): a matrix whose shape
//! accounts for every byte, or a typed error.
#![no_main]

use ferrofaiss_bench_harness::texmex::{parse_fvecs, parse_ivecs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = parse_fvecs(data);
    let i = parse_ivecs(data);
    assert_eq!(
        f.is_ok(),
        i.is_ok(),
        "the two readers disagree on the framing"
    );
    if let Ok(v) = f {
        assert_eq!(v.data.len(), v.n * v.d);
        assert_eq!(data.len(), v.n * (v.d + 1) * 4);
        assert!(v.n > 0 && v.d > 0);
    }
});
