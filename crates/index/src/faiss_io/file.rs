//! Files: memory-mapped reading and atomic (temp file, fsync, rename) writing.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::FaissIoError;

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> FaissIoError + '_ {
    move |source| FaissIoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps `path` read-only; `None` for an empty file (mapping zero bytes is not
/// portable).
///
/// The mapping may outlive this call: an index opened with `mmap` searches its vectors
/// in it (see `crate::mapped` for what happens when the file changes meanwhile).
pub(crate) fn map_file(path: &Path) -> Result<Option<memmap2::Mmap>, FaissIoError> {
    let file = File::open(path).map_err(io_error(path))?;
    let len = file.metadata().map_err(io_error(path))?.len();
    if len == 0 {
        return Ok(None);
    }
    // SAFETY: the mapping is read-only, and only ever read as bytes (`&[u8]`, or
    // `Rows` of little-endian floats at any alignment). The remaining hazard of any
    // file mapping is another process truncating or rewriting the file while it is
    // mapped (reads could then fault or see changed bytes), documented in
    // `crate::mapped`. Our own writers never modify an index file in place: they write
    // a new file and rename it over the old one, which leaves a mapping intact.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_error(path))?;
    // Scans stream the vectors and lists in place: where the kernel can back a file's
    // mapping with huge pages (large folios in the page cache), this asks it to, as
    // pages are read in. A hint only: refused or ignored, the pages stay 4 KiB.
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    Ok(Some(map))
}

/// Distinguishes temp files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes a file atomically: `fill` writes into a new temporary file in the same
/// folder, which is flushed, fsynced and renamed over `path`; the folder is then
/// fsynced (best effort) so the rename itself is durable. On any failure the
/// temporary file is removed and an existing file at `path` is left untouched.
pub(crate) fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), FaissIoError>,
) -> Result<(), FaissIoError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| FaissIoError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
    })?;
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_then_rename(&temp, path, fill);
    if result.is_err() {
        // Best effort: the temp file may not exist (creation failed) or be gone.
        let _ = std::fs::remove_file(&temp);
    } else {
        sync_dir(&dir);
    }
    result
}

fn write_then_rename(
    temp: &Path,
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), FaissIoError>,
) -> Result<(), FaissIoError> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(io_error(temp))?;
    let mut out = BufWriter::new(file);
    fill(&mut out).map_err(|e| match e {
        FaissIoError::Write(source) => FaissIoError::Io {
            path: temp.to_path_buf(),
            source,
        },
        other => other,
    })?;
    let file = out.into_inner().map_err(|e| FaissIoError::Io {
        path: temp.to_path_buf(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io_error(temp))?;
    drop(file);
    std::fs::rename(temp, path).map_err(io_error(path))
}

/// Fsyncs a folder so a rename in it survives a crash; ignored where folders cannot
/// be opened or synced (e.g. Windows).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
