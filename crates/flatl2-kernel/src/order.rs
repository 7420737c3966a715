//! [`ScanOrder`]: how a one-to-many scan walks its rows. The order changes speed only:
//! every distance is the same, bit for bit, in either.

/// Below this many bytes of rows, a scan assumes they sit in cache (L2 or L3); at or
/// above it, that they stream from DRAM. On an AMD EPYC (Zen 4) host the cached order
/// ran 23% faster on 10 MB of rows and 13% slower on 19.5 MB.
const STREAMING_BYTES: usize = 16 << 20;

/// Below this many bytes of rows, a scan assumes they sit in the core's own L2 (half a
/// MiB or more on the x86 and Arm server cores of this decade).
const RESIDENT_BYTES: usize = 512 << 10;

/// How a one-to-many scan (`l2_sqr_ny`, `inner_product_ny`) walks its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOrder {
    /// [`ScanOrder::Cached`] without its software prefetch, for f32 rows already in L2,
    /// where the prefetches only take load slots. 42 rows of 1536 floats in L2 scanned
    /// in 1.86-1.96 us without them and 2.07-2.10 us with them (Intel Xeon, AVX-512,
    /// 2026-12-07); from L3 the two ran alike. Coded rows (f16, 8-bit) are walked as in
    /// [`ScanOrder::Cached`], prefetch included: not measured without it.
    Resident,
    /// Four rows at a time with their loads interleaved, sharing the query's loads:
    /// the fastest order when the rows are in cache.
    Cached,
    /// Each row whole, one after the other, in memory order, with a software prefetch
    /// a little ahead: the order the hardware prefetchers follow best when the rows
    /// stream from DRAM. Interleaving rows there ran at 45-70% of this order's speed
    /// on an AMD EPYC (Zen 4) host.
    Streaming,
}

impl ScanOrder {
    /// The order for a scan over rows that are part of a matrix of `total_bytes` bytes
    /// read once per query: [`ScanOrder::Streaming`] from 16 MiB (larger than the cache
    /// a thread can expect to keep them in), [`ScanOrder::Resident`] below 512 KiB (a
    /// core's L2), [`ScanOrder::Cached`] between.
    pub fn for_bytes(total_bytes: usize) -> ScanOrder {
        if total_bytes >= STREAMING_BYTES {
            ScanOrder::Streaming
        } else if total_bytes >= RESIDENT_BYTES {
            ScanOrder::Cached
        } else {
            ScanOrder::Resident
        }
    }
}
