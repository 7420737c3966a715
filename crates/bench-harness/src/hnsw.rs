//! The HNSW sections (`HNSW{M}`, [`HnswFlatIndex`]): `hnsw_build` (the graph built from
//! the base vectors, on the run's threads), then per `--ef-search` value `hnsw_search`
//! (all queries in one call: QPS and recall) and `hnsw_single` (one query at a time:
//! latency). A loaded graph (`--load-index`) skips the build.

use ferrofaiss_index::{HnswFlatIndex, Index, SearchParams};
use serde_json::json;

use crate::measure::{recall_at, single_bench};
use crate::setup::{BenchError, Setup};
use crate::timing::time_reps;

/// Builds (or takes the loaded) graph and runs its search sections.
pub(crate) fn hnsw_sections(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
) -> Result<(), BenchError> {
    s.loaded_or_built(threads, with_io, hnsw_build_section, hnsw_search_sections)
}

/// `hnsw_build`: the time to add the base vectors to an empty graph.
fn hnsw_build_section(s: &mut Setup<'_>, threads: usize) -> Result<HnswFlatIndex, BenchError> {
    let (n, d) = (s.base.n, s.base.d);
    let empty = || s.new_as::<HnswFlatIndex>("an HNSW index");
    let fresh = || Ok::<_, BenchError>((empty()?, empty()?));
    // The built graph is moved out (an empty one in its place), not copied: the time
    // is the `add` alone, as Faiss's `index.add` is timed.
    let (build_t, index) = time_reps(s.args.reps.min(3), 0, fresh, |(idx, spare)| {
        idx.add(&s.base.data)?;
        Ok(std::mem::replace(idx, spare.clone()))
    })?;
    let name = s.impl_name(&index);
    s.record(
        "hnsw_build",
        &name,
        threads,
        json!({"M": index.m(), "efConstruction": index.ef_construction(), "N": n, "d": d}),
        json!({"build_s": build_t.median(), "vectors_per_s": n as f64 / build_t.median()}),
        &build_t,
    );
    Ok(index)
}

/// `hnsw_search` and `hnsw_single` per efSearch, then the file sections.
fn hnsw_search_sections(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
    index: &HnswFlatIndex,
) -> Result<(), BenchError> {
    let (n, d, k, nq) = (s.base.n, s.base.d, s.args.k, s.queries.n);
    let name = s.impl_name(index);
    let m = index.m();
    for &ef in &s.args.ef_search.clone() {
        let p = SearchParams::with_ef_search(ef);
        let (t, r) = time_reps(
            s.args.reps,
            1,
            || Ok::<(), BenchError>(()),
            |_| Ok(index.search(&s.queries.data, k, Some(&p))?),
        )?;
        let mut metrics = json!({"qps": nq as f64 / t.median(), "ms_per_batch": t.median() * 1e3});
        if let Some(rec) = recall_at(&r.labels, k, s.gt.as_ref(), nq) {
            metrics[s.recall_key()] = json!(rec);
        }
        s.record(
            "hnsw_search",
            &name,
            threads,
            json!({"M": m, "efSearch": ef, "k": k, "nq": nq, "N": n, "d": d}),
            metrics,
            &t,
        );
        let (metrics, t) = single_bench(s, index, Some(&p))?;
        s.record(
            "hnsw_single",
            &name,
            threads,
            json!({"M": m, "efSearch": ef, "k": k, "N": n, "d": d}),
            metrics,
            &t,
        );
    }
    if with_io {
        crate::io::io_sections(s, threads, index)?;
    }
    Ok(())
}
