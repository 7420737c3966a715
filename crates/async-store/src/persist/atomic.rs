//! Crash-safe file replacement: write a temporary file beside the target, fsync it,
//! rename it over the target, fsync the directory.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::PersistError;

/// A temporary file written and synced but not yet renamed into place.
#[derive(Debug)]
pub(crate) struct StagedFile {
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagedFile {
    /// Writes `bytes` to a fresh temporary file next to `target` and syncs it to disk.
    pub(crate) fn write(target: &Path, bytes: &[u8]) -> Result<StagedFile, PersistError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = target
            .file_name()
            .map(|s| s.to_os_string())
            .unwrap_or_default();
        name.push(format!(".{}-{}.partial", std::process::id(), n));
        let temp = target.with_file_name(name);
        let staged = StagedFile {
            temp,
            target: target.to_path_buf(),
            committed: false,
        };
        let io = |source| PersistError::Io {
            path: staged.temp.clone(),
            source,
        };
        let mut file = File::create(&staged.temp).map_err(io)?;
        file.write_all(bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(staged)
    }

    /// Renames the temporary file over the target (atomic on POSIX file systems).
    pub(crate) fn commit(mut self) -> Result<(), PersistError> {
        fs::rename(&self.temp, &self.target).map_err(|source| PersistError::Io {
            path: self.target.clone(),
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for StagedFile {
    /// A staged file that is never committed is removed.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
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
                Err(PersistError::Io {
                    path: dir.to_path_buf(),
                    source: e,
                })
            }
        }),
        Err(_) => Ok(()),
    }
}

/// Reads a whole file, naming it in the error.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, PersistError> {
    fs::read(path).map_err(|source| PersistError::Io {
        path: path.to_path_buf(),
        source,
    })
}
