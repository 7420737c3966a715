//! The scalar-quantizer sections (`SQ8`, `SQfp16`, factory strings of
//! [`ScalarQuantizerIndex`]): `sq_train`, `sq_add`, `sq_single` (one query at a time) and
//! `sq_batch` (all queries in one call), with the bytes of codes each scan reads.

use ferrofaiss_index::{Index, ScalarQuantizerIndex};
use serde_json::json;

use crate::measure::single_and_batch;
use crate::setup::{BenchError, Setup};
use crate::timing::time_reps;

/// Trains, fills and searches a scalar-quantizer index on the base vectors.
pub(crate) fn sq_sections(
    s: &mut Setup<'_>,
    threads: usize,
    with_io: bool,
) -> Result<(), BenchError> {
    s.loaded_or_built(threads, with_io, sq_build_sections, sq_search_sections)
}

/// `sq_train` and `sq_add`: the index built from the base vectors.
fn sq_build_sections(
    s: &mut Setup<'_>,
    threads: usize,
) -> Result<ScalarQuantizerIndex, BenchError> {
    let (n, d) = (s.base.n, s.base.d);
    let fresh = || s.new_as::<ScalarQuantizerIndex>("a scalar-quantizer index");
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
    let name = s.impl_name(index);
    let code_bytes = index.codes().len() as f64;
    single_and_batch(s, index, (&name, threads), "sq", code_bytes, None)?;
    if with_io {
        crate::io::io_sections(s, threads, index)?;
    }
    Ok(())
}
