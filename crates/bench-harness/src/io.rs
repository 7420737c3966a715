//! The `io_write` and `io_read` sections: the built index written as a native Faiss
//! file (`write_index`) and read back (`read_index`), into a temporary folder removed
//! afterwards (hot in the page cache, as `faiss_anchor.py`'s `io` section measures
//! Faiss). `io_read` is recorded twice, param `mmap` `false` (the vectors copied out of
//! the file) and `true` (a flat index's vectors or an IVF index's list codes searched
//! in place in the file's mapping; other index types are copied either way).

use ferrofaiss_index::faiss_io::{read_index_with, write_index, ReadOptions};
use ferrofaiss_index::Index;
use serde_json::json;

use crate::setup::{BenchError, Setup};
use crate::timing::time_reps;

/// Times writing `index` and reading it back; the read index must hold as many vectors.
pub(crate) fn io_sections(
    s: &mut Setup<'_>,
    threads: usize,
    index: &dyn Index,
) -> Result<(), BenchError> {
    let (n, d) = (index.ntotal(), index.dimension());
    let dir = tempfile::tempdir().map_err(|source| BenchError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let path = dir.path().join("index.faiss");
    let (write_t, ()) = time_reps(
        s.args.reps,
        0,
        || Ok::<(), BenchError>(()),
        |_| Ok(write_index(index, &path)?),
    )?;
    let bytes = std::fs::metadata(&path)
        .map_err(|source| BenchError::Io {
            path: path.clone(),
            source,
        })?
        .len() as f64;
    let name = s.impl_name(index);
    s.record(
        "io_write",
        &name,
        threads,
        json!({"N": n, "d": d}),
        json!({"write_s": write_t.median(), "GBps": bytes / write_t.median() / 1e9,
               "file_bytes": bytes}),
        &write_t,
    );
    for mmap in [false, true] {
        let (read_t, back) = time_reps(
            s.args.reps,
            0,
            || Ok::<(), BenchError>(()),
            |_| Ok(read_index_with(&path, ReadOptions { mmap })?),
        )?;
        if back.ntotal() != n {
            return Err(BenchError::BadInput(format!(
                "{} read back holds {} vectors, not {n}",
                path.display(),
                back.ntotal()
            )));
        }
        drop(back);
        // A mapped open defers the file's pages to the first search: open and search
        // the first query (k = 10) together, as a process that loads and asks would.
        let query = s.queries.data.get(..d).unwrap_or_default().to_vec();
        let (first_t, _) = time_reps(
            s.args.reps,
            0,
            || Ok::<(), BenchError>(()),
            |_| {
                let index = read_index_with(&path, ReadOptions { mmap })?;
                if query.len() == d && n > 0 {
                    index.search(&query, 10.min(n), None)?;
                }
                Ok(index)
            },
        )?;
        s.record(
            "io_read",
            &name,
            threads,
            json!({"N": n, "d": d, "mmap": mmap}),
            json!({"read_s": read_t.median(), "GBps": bytes / read_t.median() / 1e9,
                   "file_bytes": bytes, "read_and_first_search_s": first_t.median()}),
            &read_t,
        );
    }
    Ok(())
}
