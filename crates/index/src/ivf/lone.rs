//! A lone query (a batch of one: the call a LangChain user makes). Its coarse quantizer
//! scan and its list scan run in working space that its thread keeps from one search
//! to the next, so the search allocates its result and nothing else. The exceptions are
//! the searches that fan out over threads: probed lists shared between threads
//! ([`IvfIndex::split_pays`]), or a quantizer large enough to split its rows.

use std::cell::RefCell;

use flatl2_kernel::{ScanOrder, TopK};

use super::search::{ScanScratch, SCAN_CHUNK};
use super::{emptied, IvfIndex, ListCodec};
use crate::exhaustive::{distances_to_rows, lone_query_is_sequential};
use crate::{Index, IndexError, SearchResult};

/// A thread keeps buffers of at most this many slots for its next lone query (a search
/// with a larger `k` or `nprobe` makes its own and lets them go).
const KEEP_SLOTS: usize = 4096;

/// What a thread keeps for its next lone query.
#[derive(Default)]
struct LoneScratch {
    scan: ScanScratch,
    probe_dists: Vec<f32>,
    probes: Vec<i64>,
    coarse_heap: Option<TopK>,
    heap: Option<TopK>,
}

impl LoneScratch {
    /// Lets go of what is larger than [`KEEP_SLOTS`].
    fn trim(&mut self) {
        if self.probes.capacity() > KEEP_SLOTS {
            self.probes = Vec::new();
            self.probe_dists = Vec::new();
        }
        for heap in [&mut self.coarse_heap, &mut self.heap] {
            if heap.as_ref().is_some_and(|h| h.k() > KEEP_SLOTS) {
                *heap = None;
            }
        }
    }
}

thread_local! {
    static LONE: RefCell<LoneScratch> = RefCell::default();
}

impl<C: ListCodec> IvfIndex<C> {
    /// The `k` nearest of `query` (one vector) among its `nprobe` probed lists, into
    /// `out` (`k` slots): the result of the batch search, bit for bit.
    pub(super) fn search_lone(
        &self,
        query: &[f32],
        k: usize,
        nprobe: usize,
        out: &mut SearchResult,
    ) -> Result<(), IndexError> {
        let mut run = |ws: &mut LoneScratch| {
            let found = self.search_lone_in(query, k, nprobe, ws, out);
            ws.trim();
            found
        };
        // The thread's scratch is taken when a search on this thread waits inside
        // rayon and runs another one meanwhile; that one brings its own.
        let kept = LONE.try_with(|cell| cell.try_borrow_mut().ok().map(|mut ws| run(&mut ws)));
        match kept {
            Ok(Some(found)) => found,
            _ => run(&mut LoneScratch::default()),
        }
    }

    fn search_lone_in(
        &self,
        query: &[f32],
        k: usize,
        nprobe: usize,
        ws: &mut LoneScratch,
        out: &mut SearchResult,
    ) -> Result<(), IndexError> {
        self.lone_probes(query, nprobe, ws)?;
        let LoneScratch {
            scan, probes, heap, ..
        } = ws;
        let heap = emptied(heap, self.metric, k);
        let (dist_out, labels_out) = (&mut out.distances[..k], &mut out.labels[..k]);
        self.scan_one(query, probes, heap, scan, dist_out, labels_out)
    }

    /// The `nprobe` lists `query` probes, best first, into `ws.probes`: the coarse
    /// quantizer's one-query search, whose scan over the centroids, in order, it
    /// repeats [`SCAN_CHUNK`] centroids at a time, where that search is such a scan.
    fn lone_probes(
        &self,
        query: &[f32],
        nprobe: usize,
        ws: &mut LoneScratch,
    ) -> Result<(), IndexError> {
        let d = self.d;
        ws.probes.clear();
        if !lone_query_is_sequential(self.nlist(), d) {
            ws.probes.extend_from_slice(&self.probes(query, nprobe)?);
            return Ok(());
        }
        let metric = self.quantizer.metric();
        let heap = emptied(&mut ws.coarse_heap, metric, nprobe);
        let (dists, _) = ws.scan.parts();
        let centroids = self.centroids();
        let order = ScanOrder::for_bytes(centroids.len().saturating_mul(4));
        for (c, rows) in centroids.chunks(SCAN_CHUNK * d).enumerate() {
            let out = &mut dists[..rows.len() / d];
            distances_to_rows(metric, query, rows, out, order)?;
            heap.push_run(out, (c * SCAN_CHUNK) as i64);
        }
        ws.probe_dists.resize(nprobe, 0.0);
        ws.probes.resize(nprobe, -1);
        heap.drain_sorted_into(&mut ws.probe_dists, &mut ws.probes);
        Ok(())
    }
}
