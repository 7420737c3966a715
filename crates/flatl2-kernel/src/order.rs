//! [`ScanOrder`]: how a one-to-many scan walks its rows. The order changes speed only:
//! every distance is the same, bit for bit, in either.

/// Below this many bytes of rows, a scan assumes they sit in cache (L2 or L3); at or
/// above it, that they stream from DRAM. On an AMD EPYC (Zen 4) host the cached order
/// ran 23% faster on 10 MB of rows and 13% slower on 19.5 MB.
const STREAMING_BYTES: usize = 16 << 20;

/// How a one-to-many scan (`l2_sqr_ny`, `inner_product_ny`) walks its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOrder {
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
    /// a thread can expect to keep them in), [`ScanOrder::Cached`] below.
    pub fn for_bytes(total_bytes: usize) -> ScanOrder {
        if total_bytes >= STREAMING_BYTES {
            ScanOrder::Streaming
        } else {
            ScanOrder::Cached
        }
    }
}
