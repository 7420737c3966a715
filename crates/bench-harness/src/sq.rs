//! The scalar-quantizer sections (`SQ8`, `SQfp16`, factory strings of
//! [`ScalarQuantizerIndex`]): `sq_train`, `sq_add`, `sq_single` (one query at a time) and
//! `sq_batch` (all queries in one call), with the bytes of codes each scan reads.

use ferrofaiss_index::{Index, ScalarQuantizerIndex};
use serde_json::json;

use crate::harness::{recall_at, single_bench};
use crate::setup::{BenchError, Setup};
use crate::timing::time_reps;

/// Trains, fills and searches a scalar-quantizer index on the base vectors.
pub(crate) fn sq_sections(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
) -> Result<(), BenchError> {
    let loaded = s.loaded.take();
    let result = match loaded
        .as_deref()
        .and_then(|i| i.as_any().downcast_ref::<ScalarQuantizerIndex>())
    {
        Some(index) => sq_search_sections(s, threads, with_io, index),
        None => sq_build_sections(s, threads).and_then(|index| {
            if with_io {
                s.save(&index)?;
            }
            sq_search_sections(s, threads, with_io, &index)
        }),
    };
    s.loaded = loaded;
    result
}

/// `sq_train` and `sq_add`: the index built from the base vectors.
fn sq_build_sections(
    s: &mut Setup<'_>,
    threads: usize,
) -> Result<ScalarQuantizerIndex, BenchError> {
    let (n, d) = (s.base.n, s.base.d);
    let fresh = || -> Result<ScalarQuantizerIndex, BenchError> {
        s.new_index()?
            .as_any()
            .downcast_ref::<ScalarQuantizerIndex>()
            .cloned()
            .ok_or_else(|| BenchError::BadInput("expected a scalar-quantizer index".into()))
    };
    let (train_t, trained) = time_reps(s.args.reps.min(3), 0, fresh, |idx| {
        idx.train(&s.base.data)?;
        Ok(idx.clone())
    })?;
    let name = s.impl_name(&trained);
    s.record(
        "sq_train",
        &name,
        threads,
        json!({"N": n, "d": d}),
        json!({"train_s": train_t.median()}),
        &train_t,
    );
    let (add_t, index) = time_reps(
        s.args.reps,
        0,
        || Ok::<_, BenchError>(trained.clone()),
        |idx| {
            idx.add(&s.base.data)?;
            Ok(std::mem::replace(idx, trained.clone()))
        },
    )?;
    let code_bytes = index.codes().len() as f64;
    s.record(
        "sq_add",
        &name,
        threads,
        json!({"N": n, "d": d}),
        json!({"vectors_per_s": n as f64 / add_t.median(), "add_s": add_t.median(),
               "code_bytes": code_bytes, "bytes_per_vector": index.code_size()}),
        &add_t,
    );
    Ok(index)
}

/// `sq_single` and `sq_batch`, then the file sections.
fn sq_search_sections(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
    index: &ScalarQuantizerIndex,
) -> Result<(), BenchError> {
    let (n, d, k, nq) = (s.base.n, s.base.d, s.args.k, s.queries.n);
    let name = s.impl_name(index);
    let code_bytes = index.codes().len() as f64;
    let (mut m, t) = single_bench(s, index, None)?;
    m["GBps_scanned"] =
        json!(code_bytes / (m["latency_ms_median"].as_f64().unwrap_or(1.0) * 1e-3) / 1e9);
    s.record(
        "sq_single",
        &name,
        threads,
        json!({"k": k, "N": n, "d": d}),
        m,
        &t,
    );
    let (t, r) = time_reps(
        s.args.reps,
        1,
        || Ok::<(), BenchError>(()),
        |_| Ok(index.search(&s.queries.data, k, None)?),
    )?;
    let med = t.median();
    let mut m = json!({"qps": nq as f64 / med, "ms_per_batch": med * 1e3});
    if let Some(rec) = recall_at(&r.labels, k, s.gt.as_ref(), nq) {
        m[s.recall_key()] = json!(rec);
    }
    s.record(
        "sq_batch",
        &name,
        threads,
        json!({"k": k, "nq": nq, "N": n, "d": d}),
        m,
        &t,
    );
    if with_io {
        crate::io::io_sections(s, threads, index)?;
    }
    Ok(())
}
