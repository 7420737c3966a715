//! Crash-safe file replacement and bounded reads.
//!
//! A new file is written to a temporary file beside its target, created exclusively
//! under an unpredictable name (`O_EXCL`: a link planted at that name is never
//! followed, the create fails instead), fsynced, and renamed over the target. Saves
//! into one folder are serialised by an advisory lock on the folder, which also makes
//! it safe to delete the partial files that an earlier killed save left behind.
//!
//! Reads open only regular files (a FIFO, a device such as `/dev/zero`, or a directory
//! is refused before anything is read) and never read more than the caller's bound.

use ferrofaiss_index::faiss_io::MappedFile;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::PersistError;

/// Suffix of every temporary file a save writes.
const PARTIAL_SUFFIX: &str = ".partial";

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> PersistError + '_ {
    move |source| PersistError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file name of `target`, for naming its temporary files.
fn file_name(target: &Path) -> OsString {
    target
        .file_name()
        .map(|s| s.to_os_string())
        .unwrap_or_default()
}

/// A temporary file written and synced but not yet renamed into place; dropped
/// uncommitted, it is removed.
#[derive(Debug)]
pub(crate) struct StagedFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl StagedFile {
    /// Writes `bytes` to a new temporary file next to `target` (named
    /// `.<target name>.<random>.partial`, created exclusively) and syncs it to disk.
    pub(crate) fn write(target: &Path, bytes: &[u8]) -> Result<StagedFile, PersistError> {
        let dir = parent_dir(target);
        let mut prefix = OsString::from(".");
        prefix.push(file_name(target));
        prefix.push(".");
        let mut temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(PARTIAL_SUFFIX)
            .tempfile_in(dir)
            .map_err(io_error(target))?;
        let path = temp.path().to_path_buf();
        temp.as_file_mut()
            .write_all(bytes)
            .map_err(io_error(&path))?;
        temp.as_file().sync_all().map_err(io_error(&path))?;
        Ok(StagedFile {
            temp,
            target: target.to_path_buf(),
        })
    }

    /// Renames the temporary file over the target (atomic on POSIX file systems; a
    /// link at the target is replaced, not followed).
    pub(crate) fn commit(self) -> Result<(), PersistError> {
        let target = self.target;
        self.temp
            .persist(&target)
            .map(drop)
            .map_err(|e| PersistError::Io {
                path: target.clone(),
                source: e.error,
            })
    }
}

/// The folder a file lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// An exclusive advisory lock on a folder, held while a save runs there; released on
/// drop. Another process saving into the same folder waits for it.
#[derive(Debug)]
pub(crate) struct FolderLock {
    _dir: File,
}

impl FolderLock {
    /// Takes the lock on `folder`, waiting while another save holds it. Where the file
    /// system has no locks, saving goes on unlocked.
    pub(crate) fn acquire(folder: &Path) -> Result<FolderLock, PersistError> {
        let dir = File::open(folder).map_err(io_error(folder))?;
        match dir.lock() {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {}
            Err(e) => return Err(io_error(folder)(e)),
        }
        Ok(FolderLock { _dir: dir })
    }
}

/// Removes the temporary files that earlier saves of `targets` left behind when they
/// were killed (both this module's `.<name>.<random>.partial` and the older
/// `<name>.<pid>-<n>.partial`). Only called under the folder's [`FolderLock`], so no
/// running save owns them.
pub(crate) fn remove_stale_partials(folder: &Path, targets: &[&Path]) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    let names: Vec<String> = targets
        .iter()
        .map(|t| file_name(t).to_string_lossy().into_owned())
        .collect();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(PARTIAL_SUFFIX) else {
            continue;
        };
        let ours = names.iter().any(|target| {
            stem.strip_prefix('.')
                .and_then(|s| s.strip_prefix(target.as_str()))
                .is_some_and(|rest| rest.starts_with('.'))
                || stem
                    .strip_prefix(target.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        });
        if ours {
            // Unlinking removes a planted link itself, never what it points to.
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Makes the renames in `dir` durable (a no-op where directories cannot be opened).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), PersistError> {
    match File::open(dir) {
        Ok(d) => d.sync_all().or_else(|e| {
            // Some file systems refuse fsync on directories; the data files are synced.
            if e.kind() == std::io::ErrorKind::InvalidInput
                || e.kind() == std::io::ErrorKind::Unsupported
            {
                Ok(())
            } else {
                Err(io_error(dir)(e))
            }
        }),
        Err(_) => Ok(()),
    }
}

/// Opens `path` for reading if it is a regular file and returns it with its length.
/// A FIFO is opened without blocking and refused like any other non-regular file.
fn open_regular(path: &Path) -> Result<(File, u64), PersistError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO must not wait for a writer; regular files ignore the flag.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io_error(path))?;
    let meta = file.metadata().map_err(io_error(path))?;
    if !meta.is_file() {
        return Err(PersistError::NotRegularFile {
            path: path.to_path_buf(),
        });
    }
    Ok((file, meta.len()))
}

/// Maps a whole regular file of at most `limit` bytes read-only, naming it in the
/// error (a larger file is [`PersistError::TooLarge`]); nothing is read yet.
pub(crate) fn map_file_bounded(path: &Path, limit: u64) -> Result<MappedFile, PersistError> {
    let (_, len) = open_regular(path)?;
    let too_large = |size| PersistError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if len > limit {
        return Err(too_large(len));
    }
    let mapped = MappedFile::open(path).map_err(|source| PersistError::Faiss {
        path: path.to_path_buf(),
        source,
    })?;
    match mapped.bytes().len() as u64 {
        size if size > limit => Err(too_large(size)),
        _ => Ok(mapped),
    }
}

/// Reads a whole regular file of at most `limit` bytes, naming it in the error: a
/// larger file is [`PersistError::TooLarge`] before anything is allocated, and a file
/// that grows while it is read is never read past the bound.
pub(crate) fn read_file_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, PersistError> {
    let (file, len) = open_regular(path)?;
    if len > limit {
        return Err(PersistError::TooLarge {
            path: path.to_path_buf(),
            size: len,
            limit,
        });
    }
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(len as usize)
        .map_err(|_| PersistError::TooLarge {
            path: path.to_path_buf(),
            size: len,
            limit,
        })?;
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error(path))?;
    if bytes.len() as u64 > limit {
        return Err(PersistError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Reads a whole regular file: its length as the system reports it on open is the
/// bound, so a device or a FIFO is never read.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, PersistError> {
    read_file_bounded(path, isize::MAX as u64)
}

/// The length of `path` if it is a regular file (following links), else `None`.
pub(crate) fn regular_file_len(path: &Path) -> Option<u64> {
    fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len())
}

/// A seam for the crash-consistency tests (feature `crash-points`, off by default):
/// when `FERROFAISS_CRASH_POINT` names this point, the process aborts here, as a kill
/// at this step of a save would stop it. Without the feature it compiles to nothing.
#[cfg(feature = "crash-points")]
pub(crate) fn crash_point(name: &str) {
    if std::env::var_os("FERROFAISS_CRASH_POINT").is_some_and(|point| point == name) {
        std::process::abort();
    }
}

/// Without the `crash-points` feature, no step of a save can be made to abort.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub(crate) fn crash_point(_name: &str) {}
