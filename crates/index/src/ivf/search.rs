//! IVF search: the quantizer picks `nprobe` lists per query, the lists are scanned with
//! the one-to-many kernel into a Faiss-ordered top-k. Parallel over queries; a large
//! batch of f32 rows, f16 codes or 8-bit codes (these with integer approximations
//! first, `int_scan.rs`) is scanned list by list; a lone query with much to
//! scan splits its lists across threads (a batch of one runs in `lone.rs`). Every
//! strategy returns what one sequential scan per query returns, ties included (see
//! `stretch_survivors`), so a query's result never depends on the batch it came in or
//! the thread count.

use std::ops::Range;

use flatl2_kernel::{ScanOrder, TopK};
use rayon::prelude::*;

use super::int_scan::Candidates;
use super::{IvfIndex, ListCodec, ListUnit};
use crate::{IdMatcher, IdSelector, IndexError, RangeSearchResult, SearchResult};

/// A query whose probed lists hold at least this many coordinates (vectors times `d`:
/// 1 MiB of f32 rows, some 100 us of scanning from memory) is split across threads when
/// there are fewer queries than threads.
const SPLIT_MIN_VALUES: usize = 1 << 18;

/// Entries of a list whose distances one codec call computes in a query's scan: the
/// distances (4 KiB) stay in L1 between the kernel and the heap, and the scratch has
/// this size whatever the longest list.
pub(super) const SCAN_CHUNK: usize = 1024;

/// Queries per parallel task.
const QUERIES_PER_TASK: usize = 8;

/// Batches of at least this many queries are scanned list by list (each probed list is
/// read once and compared with all the queries that probe it), where that pays
/// ([`IvfIndex::list_major_pays`]).
const LIST_MAJOR_MIN_QUERIES: usize = 32;

/// Working space of a query's scan: one chunk of distances and the codec's scratch.
#[derive(Default)]
pub(super) struct ScanScratch {
    dists: Vec<f32>,
    resid: Vec<f32>,
}

impl ScanScratch {
    /// Room for the distances of [`SCAN_CHUNK`] entries (or rows), and the codec's
    /// scratch.
    pub(super) fn parts(&mut self) -> (&mut [f32], &mut Vec<f32>) {
        if self.dists.len() < SCAN_CHUNK {
            self.dists.resize(SCAN_CHUNK, 0.0);
        }
        (&mut self.dists[..SCAN_CHUNK], &mut self.resid)
    }
}

impl<C: ListCodec> IvfIndex<C> {
    /// The probed lists of every query (`nq * nprobe`, `-1` for none), best first.
    pub(super) fn probes(&self, queries: &[f32], nprobe: usize) -> Result<Vec<i64>, IndexError> {
        Ok(self.quantizer.search_unchecked(queries, nprobe)?.labels)
    }

    /// Whether a batch is best scanned list by list. That reads each probed list once
    /// per batch instead of once per query probing it, at the price of a fresh top-k
    /// per (query, list), whose threshold starts from nothing, and a merge. It pays
    /// where the scan is bound by memory: f32 rows and f16 codes, two or more bytes a
    /// coordinate, and 8-bit codes scanned in integers, which from cache run at about
    /// twice their speed from memory. 8-bit codes decoded to floats (too wide for the
    /// integer weights) run at the decoder's speed from memory or cache alike, and are
    /// scanned query by query: there the list-major batch was 1.1x slower at nprobe 16
    /// and 1.3x at nprobe 64 on `IVF1024,SQ8` over 1M x 128 (`docs/benchmarks.md`).
    fn list_major_pays(&self) -> bool {
        std::mem::size_of::<C::Unit>() * self.codec.units(self.d) >= 2 * self.d
            || self.int_scanned().is_some()
    }

    /// Whether a lone query's probed lists are worth sharing between threads.
    fn split_pays(&self, probes: &[i64]) -> bool {
        let scanned: usize = probes
            .iter()
            .filter_map(|&p| usize::try_from(p).ok())
            .map(|p| self.lists[p].len())
            .sum();
        rayon::current_num_threads() > 1 && scanned.saturating_mul(self.d) >= SPLIT_MIN_VALUES
    }

    /// How list scans walk their codes: by the size of all the lists, each list being
    /// read once per query that probes it.
    fn scan_order(&self) -> ScanOrder {
        let unit = std::mem::size_of::<C::Unit>();
        ScanOrder::for_bytes(
            self.ntotal
                .saturating_mul(self.units())
                .saturating_mul(unit),
        )
    }

    /// Distances from `query` to every entry of list `l`, into `out` (one slot each).
    pub(super) fn list_distances(
        &self,
        query: &[f32],
        l: usize,
        out: &mut [f32],
        resid: &mut Vec<f32>,
    ) -> Result<(), IndexError> {
        self.stretch_distances(query, l, 0..self.lists[l].len(), out, resid)
    }

    /// Distances from `query` to entries `entries` of list `l`, into `out` (one slot
    /// each): a code's distance does not depend on the entries computed with it.
    fn stretch_distances(
        &self,
        query: &[f32],
        l: usize,
        entries: Range<usize>,
        out: &mut [f32],
        resid: &mut Vec<f32>,
    ) -> Result<(), IndexError> {
        let units = self.units();
        let codes = C::Unit::slice(
            self.list_codes(l),
            entries.start * units..entries.end * units,
        );
        self.codec.distances(
            self.metric,
            query,
            &self.centroid(l),
            codes,
            out,
            resid,
            self.scan_order(),
        )
    }

    /// Scans `probes` for `query` into `heap`, [`SCAN_CHUNK`] entries at a time (a
    /// code's distance does not depend on the chunk it is computed in); with
    /// `selected`, only the ids it contains enter the heap (Faiss's
    /// `SearchParameters.sel`).
    fn scan_into(
        &self,
        query: &[f32],
        probes: &[i64],
        heap: &mut TopK,
        scratch: &mut ScanScratch,
        selected: Option<&IdMatcher<'_>>,
    ) -> Result<(), IndexError> {
        let units = self.units().max(1);
        let order = self.scan_order();
        let (dists, resid) = scratch.parts();
        for &p in probes {
            let Ok(p) = usize::try_from(p) else { continue };
            let all_codes = self.list_codes(p);
            for (c, ids) in self.list_ids(p).chunks(SCAN_CHUNK).enumerate() {
                let first = c * SCAN_CHUNK * units;
                let codes = C::Unit::slice(all_codes, first..first + ids.len() * units);
                let out = &mut dists[..ids.len()];
                let centroid = self.centroid(p);
                self.codec
                    .distances(self.metric, query, &centroid, codes, out, resid, order)?;
                match selected {
                    None => heap.push_labeled(out, ids),
                    Some(matcher) => {
                        for (&distance, &id) in out.iter().zip(ids) {
                            if matcher.contains(id) {
                                heap.push(distance, id);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The `k` nearest of each query among its `nprobe` probed lists; with `selector`,
    /// among the selected ids of those lists only (each query then scans its own lists,
    /// queries in parallel).
    pub(super) fn search_lists(
        &self,
        queries: &[f32],
        k: usize,
        nprobe: usize,
        selector: Option<&IdSelector>,
    ) -> Result<SearchResult, IndexError> {
        let d = self.d;
        let nq = queries.len() / d;
        let metric = self.metric;
        let mut out = SearchResult::empty(nq, k, metric.worst());
        if nq == 0 || self.ntotal == 0 {
            return Ok(out);
        }
        if selector.is_none() && nq == 1 {
            self.search_lone(queries, k, nprobe, &mut out)?;
            return Ok(out);
        }
        let probes = self.probes(queries, nprobe)?;
        let matcher = selector.map(IdSelector::matcher);
        if matcher.is_none() && nq < rayon::current_num_threads() {
            let (mut heap, mut scratch) = (TopK::new(metric, k), ScanScratch::default());
            for q in 0..nq {
                self.scan_one(
                    &queries[q * d..(q + 1) * d],
                    &probes[q * nprobe..(q + 1) * nprobe],
                    &mut heap,
                    &mut scratch,
                    &mut out.distances[q * k..(q + 1) * k],
                    &mut out.labels[q * k..(q + 1) * k],
                )?;
            }
            return Ok(out);
        }
        if matcher.is_none() && nq >= LIST_MAJOR_MIN_QUERIES && self.list_major_pays() {
            return self.search_list_major(queries, k, nprobe, &probes, out);
        }
        out.distances
            .par_chunks_mut(QUERIES_PER_TASK * k)
            .zip(out.labels.par_chunks_mut(QUERIES_PER_TASK * k))
            .zip(queries.par_chunks(QUERIES_PER_TASK * d))
            .zip(probes.par_chunks(QUERIES_PER_TASK * nprobe))
            .try_for_each(|(((dc, lc), qc), pc)| {
                let mut heap = TopK::new(metric, k);
                let mut scratch = ScanScratch::default();
                for (i, query) in qc.chunks_exact(d).enumerate() {
                    self.scan_into(
                        query,
                        &pc[i * nprobe..(i + 1) * nprobe],
                        &mut heap,
                        &mut scratch,
                        matcher.as_ref(),
                    )?;
                    heap.drain_sorted_into(
                        &mut dc[i * k..(i + 1) * k],
                        &mut lc[i * k..(i + 1) * k],
                    );
                }
                Ok::<(), IndexError>(())
            })?;
        Ok(out)
    }

    /// One query's `k` nearest among its probed lists, into `dist_out` / `labels_out`:
    /// the lists shared between threads where that pays ([`IvfIndex::split_pays`]),
    /// else scanned in order into `heap`: an empty heap of `k`, left empty (drained)
    /// for the next query.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn scan_one(
        &self,
        query: &[f32],
        probes: &[i64],
        heap: &mut TopK,
        scratch: &mut ScanScratch,
        dist_out: &mut [f32],
        labels_out: &mut [i64],
    ) -> Result<(), IndexError> {
        if self.split_pays(probes) {
            self.scan_split(query, probes, heap.k())?
                .drain_sorted_into(dist_out, labels_out);
        } else {
            self.scan_into(query, probes, heap, scratch, None)?;
            heap.drain_sorted_into(dist_out, labels_out);
        }
        Ok(())
    }

    /// Batch search list by list: the `(query, rank)` probes are grouped by list, each
    /// list is scanned once against all its queries while it is in cache (in parallel
    /// over lists), then every query merges its `nprobe` partial top-k in probe order.
    ///
    /// 8-bit codes scanned in integers give each member query the list's candidates
    /// (`IvfSqIndex::int_candidates`). Otherwise a list's first member query is
    /// scanned alone (its rows come from memory, with the kernel's prefetch), the
    /// others two at a time (rows read from cache once for both,
    /// [`ListCodec::distances2`]). Distances use the direct one-to-many kernels,
    /// as Faiss's IVF scan does (the blocked `|x|^2 + |y|^2 - 2 x.y` path measured
    /// about 2x faster at nprobe >= 16 but changes the last bits of L2 distances).
    /// Equal to the query-by-query scan, ties included: each list offers a query the
    /// entries that can still reach its heap ([`stretch_survivors`]), in stored order.
    fn search_list_major(
        &self,
        queries: &[f32],
        k: usize,
        nprobe: usize,
        probes: &[i64],
        mut out: SearchResult,
    ) -> Result<SearchResult, IndexError> {
        let d = self.d;
        let nlist = self.nlist();
        let metric = self.metric;
        // Counting sort of the probes by list: members[start[l]..start[l + 1]] are the
        // probe slots (query * nprobe + rank) of list l; slot_pos[s] is the position of
        // slot s among its list's members.
        let mut start = vec![0usize; nlist + 1];
        for &p in probes {
            if let Ok(p) = usize::try_from(p) {
                start[p + 1] += 1;
            }
        }
        for l in 0..nlist {
            start[l + 1] += start[l];
        }
        let mut fill = start.clone();
        let mut members = vec![0usize; start[nlist]];
        let mut slot_pos = vec![usize::MAX; probes.len()];
        for (s, &p) in probes.iter().enumerate() {
            if let Ok(p) = usize::try_from(p) {
                members[fill[p]] = s;
                slot_pos[s] = fill[p] - start[p];
                fill[p] += 1;
            }
        }
        // Per list: for each member query, the entries that can still reach its heap,
        // in stored order, labels already ids; member j's are kept[ends[j - 1]..ends[j]].
        let partials: Vec<Survivors> = (0..nlist)
            .into_par_iter()
            .map(|l| {
                let slots = &members[start[l]..start[l + 1]];
                let list = &self.lists[l];
                let mut out = Survivors::default();
                if slots.is_empty() || list.is_empty() {
                    return Ok(out);
                }
                let mut heap = TopK::new(metric, k);
                let mut best = (vec![0.0f32; k], vec![-1i64; k]);
                let query = |s: usize| &queries[s / nprobe * d..(s / nprobe + 1) * d];
                if let Some(int) = self.int_scanned() {
                    // 8-bit codes: each member query's candidates, the list read from
                    // memory by the first and from cache by the others.
                    let mut ws = Candidates::default();
                    let mut resid = Vec::new();
                    let mut dists = Vec::new();
                    for &s in slots {
                        if int.int_candidates(query(s), l, k, &mut ws)? {
                            out.keep(nprobe, &mut heap, &mut best, &ws.dists, &ws.ids);
                        } else {
                            dists.resize(list.len(), 0.0);
                            self.list_distances(query(s), l, &mut dists, &mut resid)?;
                            out.keep(nprobe, &mut heap, &mut best, &dists, &list.ids);
                        }
                    }
                    return Ok(out);
                }
                let mut scratch = vec![0.0f32; 2 * list.len()];
                let mut resid = Vec::new();
                // The first member query alone (the kernel prefetches the list from
                // memory), then the others two by two (the list read from cache once
                // for both).
                let (first, others) = slots.split_at(1);
                for pair in std::iter::once(first).chain(others.chunks(2)) {
                    let (out_a, out_b) = scratch.split_at_mut(list.len());
                    let scanned: &[&[f32]] = match *pair {
                        [a, b] => {
                            let queries = [query(a), query(b)];
                            let (centroid, codes) = (self.centroid(l), self.list_codes(l));
                            let outs = [&mut *out_a, &mut *out_b];
                            self.codec
                                .distances2(metric, queries, &centroid, codes, outs, &mut resid)?;
                            &[out_a, out_b]
                        }
                        [a] => {
                            self.list_distances(query(a), l, out_a, &mut resid)?;
                            &[out_a]
                        }
                        _ => &[],
                    };
                    for dists in scanned {
                        out.keep(nprobe, &mut heap, &mut best, dists, &list.ids);
                    }
                }
                Ok(out)
            })
            .collect::<Result<_, IndexError>>()?;
        out.distances
            .par_chunks_mut(k)
            .zip(out.labels.par_chunks_mut(k))
            .enumerate()
            .for_each_init(
                || TopK::new(metric, k),
                |heap, (q, (dq, lq))| {
                    for s in q * nprobe..(q + 1) * nprobe {
                        let Ok(p) = usize::try_from(probes[s]) else {
                            continue;
                        };
                        for &(dv, lv) in partials[p].of(slot_pos[s]) {
                            heap.push(dv, lv);
                        }
                    }
                    heap.drain_sorted_into(dq, lq);
                },
            );
        Ok(out)
    }

    /// One query, its probed lists shared among threads: its scan (the probed lists'
    /// entries, in probe order) is cut into one stretch per thread of about the same
    /// number of entries ([`balanced_stretches`]; a stretch may begin or end inside a
    /// list), each thread keeps the entries of its stretch that can still reach the
    /// heap ([`stretch_survivors`]), and they are offered in scan order, so the heap is
    /// the one a sequential scan gives, ties included (Faiss scans a lone query on one
    /// thread).
    fn scan_split(&self, query: &[f32], probes: &[i64], k: usize) -> Result<TopK, IndexError> {
        let metric = self.metric;
        let threads = rayon::current_num_threads().max(1);
        let lists: Vec<(usize, usize)> = probes
            .iter()
            .filter_map(|&p| usize::try_from(p).ok())
            .map(|p| (p, self.lists[p].len()))
            .collect();
        let partials = balanced_stretches(&lists, threads)
            .into_par_iter()
            .map(|stretch| {
                // Sized once: growing them list by list copied what was already there.
                let entries = stretch.iter().map(|(_, r)| r.len()).sum();
                let (mut dists, mut ids) =
                    (Vec::with_capacity(entries), Vec::with_capacity(entries));
                let mut resid = Vec::new();
                for (p, range) in stretch {
                    let from = dists.len();
                    dists.resize(from + range.len(), 0.0);
                    ids.extend_from_slice(&self.lists[p].ids[range.clone()]);
                    self.stretch_distances(query, p, range, &mut dists[from..], &mut resid)?;
                }
                let mut kept = Vec::new();
                stretch_survivors(&mut TopK::new(metric, k), &dists, &ids, &mut kept);
                Ok(kept)
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let mut heap = TopK::new(metric, k);
        for &(dv, lv) in partials.iter().flatten() {
            heap.push(dv, lv);
        }
        Ok(heap)
    }

    pub(super) fn range_search_lists(
        &self,
        queries: &[f32],
        radius: f32,
        nprobe: usize,
    ) -> Result<RangeSearchResult, IndexError> {
        let d = self.d;
        let nq = queries.len() / d;
        if nq == 0 {
            return Ok(RangeSearchResult::from_per_query(Vec::new()));
        }
        let probes = self.probes(queries, nprobe)?;
        let per_query = queries
            .par_chunks(d)
            .zip(probes.par_chunks(nprobe))
            .map(|(query, qp)| {
                let mut ds = Vec::new();
                let mut ls = Vec::new();
                let (mut scratch, mut resid) = (Vec::new(), Vec::new());
                for &p in qp {
                    let Ok(p) = usize::try_from(p) else { continue };
                    let list = &self.lists[p];
                    scratch.resize(list.len(), 0.0);
                    self.list_distances(query, p, &mut scratch, &mut resid)?;
                    for (&dv, &id) in scratch.iter().zip(&list.ids) {
                        if self.metric.within_radius(dv, radius) {
                            ds.push(dv);
                            ls.push(id);
                        }
                    }
                }
                Ok((ds, ls))
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        Ok(RangeSearchResult::from_per_query(per_query))
    }
}

/// A scan over `lists` (`(list, entries)` pairs, in scan order) cut into at most `parts`
/// stretches, in order, of `ceil(total / parts)` entries each (the last one the rest):
/// each stretch is its `(list, entry range)` pieces, none empty. A stretch may begin or
/// end inside a list, so no thread waits on a list that runs past its share (a query's
/// probed lists differ severalfold in size; cut between lists, the larger of two halves
/// was 6% above the even share on average at nprobe 16 on `clustered-d128-n1m`).
fn balanced_stretches(lists: &[(usize, usize)], parts: usize) -> Vec<Vec<(usize, Range<usize>)>> {
    let total: usize = lists.iter().map(|&(_, n)| n).sum();
    let share = total.div_ceil(parts.max(1)).max(1);
    let mut stretches = Vec::with_capacity(parts.min(total));
    let (mut current, mut room) = (Vec::new(), share);
    for &(l, n) in lists {
        let mut at = 0;
        while at < n {
            let take = (n - at).min(room);
            current.push((l, at..at + take));
            at += take;
            room -= take;
            if room == 0 {
                stretches.push(std::mem::take(&mut current));
                room = share;
            }
        }
    }
    if !current.is_empty() {
        stretches.push(current);
    }
    stretches
}

/// The entries of one contiguous stretch of a scan (`dists[i]` for `ids[i]`, in scan
/// order) that can still reach a heap of `k` fed the whole scan in order: those not
/// strictly worse than the stretch's own k-th best (all of them when it holds fewer than
/// `k`), appended to `out` in scan order. Offering only these, in order, leaves the heap
/// exactly as offering every entry would, ties included: an entry strictly worse than
/// `k` others of its stretch is out of the heap by the end of the stretch, whatever came
/// before, and what it evicted on its way in, one of those `k` would have evicted.
/// `heap` (of `k`) is scratch space, reset here.
fn stretch_survivors(heap: &mut TopK, dists: &[f32], ids: &[i64], out: &mut Vec<(f32, i64)>) {
    let metric = heap.metric();
    heap.reset();
    heap.push_run(dists, 0);
    let kth = heap.threshold();
    out.extend(
        dists
            .iter()
            .zip(ids)
            .filter(|(&dv, _)| !metric.is_better(kth, dv))
            .map(|(&dv, &id)| (dv, id)),
    );
}

/// One list's survivors for each query that probes it, back to back.
#[derive(Default)]
struct Survivors {
    kept: Vec<(f32, i64)>,
    ends: Vec<usize>,
}

impl Survivors {
    /// Keeps, for the list's next member query, the entries (distances `dists`, ids
    /// `ids`, in stored order) that can still reach its heap: all of them within the
    /// list's k-th ([`stretch_survivors`]), or, where the list is the query's only one
    /// (`nprobe` 1), its k best, which are then the query's own.
    fn keep(
        &mut self,
        nprobe: usize,
        heap: &mut TopK,
        best: &mut (Vec<f32>, Vec<i64>),
        dists: &[f32],
        ids: &[i64],
    ) {
        if nprobe == 1 {
            heap.reset();
            heap.push_labeled(dists, ids);
            heap.drain_sorted_into(&mut best.0, &mut best.1);
            let found = best.0.iter().zip(&best.1).filter(|(_, &id)| id != -1);
            self.kept.extend(found.map(|(&dv, &id)| (dv, id)));
        } else {
            stretch_survivors(heap, dists, ids, &mut self.kept);
        }
        self.ends.push(self.kept.len());
    }

    /// The survivors of the list's `j`-th member query (none when the list is empty).
    fn of(&self, j: usize) -> &[(f32, i64)] {
        let Some(&end) = self.ends.get(j) else {
            return &[];
        };
        let start = if j == 0 { 0 } else { self.ends[j - 1] };
        &self.kept[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::balanced_stretches;

    /// The stretches cover every entry once, in scan order, at most `parts` of them,
    /// each but the last of exactly `ceil(total / parts)` entries, no piece empty.
    #[test]
    fn balanced_stretches_cut_the_scan_into_even_runs_in_order() {
        let sizes = [5usize, 1, 0, 1, 9, 2, 2, 2, 0, 7];
        for len in 0..=sizes.len() {
            let lists: Vec<(usize, usize)> = (0..len).map(|l| (l * 3, sizes[l])).collect();
            let total: usize = lists.iter().map(|&(_, n)| n).sum();
            for parts in 1..=5 {
                let stretches = balanced_stretches(&lists, parts);
                assert!(stretches.len() <= parts, "len {len} parts {parts}");
                let flat: Vec<(usize, usize)> = stretches
                    .iter()
                    .flatten()
                    .flat_map(|(l, r)| r.clone().map(move |e| (*l, e)))
                    .collect();
                let want: Vec<(usize, usize)> = lists
                    .iter()
                    .flat_map(|&(l, n)| (0..n).map(move |e| (l, e)))
                    .collect();
                assert_eq!(flat, want, "len {len} parts {parts}");
                assert!(stretches.iter().flatten().all(|(_, r)| !r.is_empty()));
                let share = total.div_ceil(parts);
                for (i, stretch) in stretches.iter().enumerate() {
                    let n: usize = stretch.iter().map(|(_, r)| r.len()).sum();
                    if i + 1 < stretches.len() {
                        assert_eq!(n, share, "len {len} parts {parts}");
                    } else {
                        assert!(n >= 1 && n <= share, "len {len} parts {parts}");
                    }
                }
            }
        }
        // Two threads over 16 lists of which the first holds half the entries and more:
        // the first list is cut between them.
        let mut lists = vec![(0usize, 17usize)];
        lists.extend((1..16).map(|l| (l, 1)));
        let stretches = balanced_stretches(&lists, 2);
        assert_eq!(stretches[0], [(0, 0..16)]);
        assert_eq!(stretches[1][0], (0, 16..17));
        assert_eq!(stretches[1].len(), 16);
    }
}
