//! LangChain's `DirectoryLoader` with `loader_cls=TextLoader`: every matching file of a
//! folder, in a deterministic (sorted) order.

use std::path::{Component, Path, PathBuf};

use ferrofaiss_docstore::Document;
use globset::{Glob, GlobBuilder, GlobMatcher};
use walkdir::WalkDir;

use super::error::LoaderError;
use super::text::TextLoader;

/// LangChain's default glob: every file whose name does not start with a dot, at any depth.
pub const DEFAULT_DIRECTORY_GLOB: &str = "**/[!.]*";

/// Loads the files under a folder whose relative path matches a glob, each with a
/// [`TextLoader`], in sorted path order.
///
/// Glob rules follow Python's `Path.glob`: `*`, `?` and `[...]` stay within one path
/// component and `**` spans any number of folders (zero included). Without `recursive` the
/// pattern is matched against the whole relative path (so `*.txt` only finds top-level
/// files and `**/*.txt` finds all); with it, as `Path.rglob`, against any tail of it.
/// Files or folders whose name starts with a dot are skipped unless `load_hidden`.
/// `metadata["source"]` is the folder joined with the relative path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryLoader {
    dir: PathBuf,
    glob: String,
    exclude: Vec<String>,
    recursive: bool,
    load_hidden: bool,
    silent_errors: bool,
    encoding: Option<String>,
    autodetect_encoding: bool,
}

impl DirectoryLoader {
    /// A loader for `dir` with LangChain's defaults ([`DEFAULT_DIRECTORY_GLOB`], not
    /// recursive, hidden files skipped, errors not silenced, UTF-8).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            glob: DEFAULT_DIRECTORY_GLOB.to_owned(),
            exclude: Vec::new(),
            recursive: false,
            load_hidden: false,
            silent_errors: false,
            encoding: None,
            autodetect_encoding: false,
        }
    }

    /// Which files to load, e.g. `**/*.txt`.
    pub fn with_glob(mut self, glob: impl Into<String>) -> Self {
        self.glob = glob.into();
        self
    }

    /// Globs of files to leave out; each is matched against any tail of the relative path,
    /// like Python's `Path.match` (so `*.log` excludes log files at any depth).
    pub fn with_exclude<S: Into<String>>(mut self, patterns: impl IntoIterator<Item = S>) -> Self {
        self.exclude = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Match the glob at any depth (`Path.rglob`).
    pub fn with_recursive(mut self, recursive: bool) -> Self {
        self.recursive = recursive;
        self
    }

    /// Also load files inside, or named like, hidden (dot) entries.
    pub fn with_load_hidden(mut self, load_hidden: bool) -> Self {
        self.load_hidden = load_hidden;
        self
    }

    /// Skip files that fail to load instead of failing (see
    /// [`DirectoryLoader::load_reporting`] to learn which).
    pub fn with_silent_errors(mut self, silent: bool) -> Self {
        self.silent_errors = silent;
        self
    }

    /// The encoding every file is decoded with (see [`TextLoader::with_encoding`]).
    pub fn with_encoding(mut self, encoding: impl Into<String>) -> Self {
        self.encoding = Some(encoding.into());
        self
    }

    /// `autodetect_encoding` for every file (see [`TextLoader`]).
    pub fn with_autodetect_encoding(mut self, autodetect: bool) -> Self {
        self.autodetect_encoding = autodetect;
        self
    }

    /// The files that would be loaded, sorted.
    pub fn paths(&self) -> Result<Vec<PathBuf>, LoaderError> {
        self.collect_paths(&mut Vec::new())
    }

    /// Loads every matching file, in [`DirectoryLoader::paths`] order. The first failure
    /// is returned unless errors are silenced.
    pub fn load(&self) -> Result<Vec<Document>, LoaderError> {
        self.load_reporting(&mut Vec::new())
    }

    /// Like [`DirectoryLoader::load`]; with silenced errors, the failures (unreadable
    /// folders, undecodable files) are appended to `skipped` instead.
    pub fn load_reporting(
        &self,
        skipped: &mut Vec<LoaderError>,
    ) -> Result<Vec<Document>, LoaderError> {
        let paths = self.collect_paths(skipped)?;
        let mut documents = Vec::with_capacity(paths.len());
        for path in paths {
            let mut loader =
                TextLoader::new(path).with_autodetect_encoding(self.autodetect_encoding);
            if let Some(encoding) = &self.encoding {
                loader = loader.with_encoding(encoding.clone());
            }
            match loader.load_document() {
                Ok(document) => documents.push(document),
                Err(error) if self.silent_errors => skipped.push(error),
                Err(error) => return Err(error),
            }
        }
        Ok(documents)
    }

    fn collect_paths(&self, skipped: &mut Vec<LoaderError>) -> Result<Vec<PathBuf>, LoaderError> {
        match std::fs::metadata(&self.dir) {
            Err(_) => {
                return Err(LoaderError::DirectoryNotFound {
                    path: self.dir.clone(),
                })
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(LoaderError::NotADirectory {
                    path: self.dir.clone(),
                })
            }
            Ok(_) => {}
        }
        let include = if self.recursive {
            matcher(&format!("**/{}", self.glob), &self.glob)?
        } else {
            matcher(&self.glob, &self.glob)?
        };
        let exclude = self
            .exclude
            .iter()
            .map(|p| matcher(&format!("**/{p}"), p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut walk = WalkDir::new(&self.dir).min_depth(1).follow_links(false);
        if let Some(depth) = self.max_depth() {
            walk = walk.max_depth(depth);
        }
        let mut paths = Vec::new();
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let error = LoaderError::Walk {
                        path: error.path().unwrap_or(&self.dir).to_path_buf(),
                        message: error.to_string(),
                    };
                    if self.silent_errors {
                        skipped.push(error);
                        continue;
                    }
                    return Err(error);
                }
            };
            // Symbolic links to files count as files, as with Python's `is_file()`.
            if !entry.path().is_file() {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(&self.dir) else {
                continue;
            };
            if !self.load_hidden && is_hidden(relative) {
                continue;
            }
            if include.is_match(relative) && !exclude.iter().any(|m| m.is_match(relative)) {
                paths.push(entry.path().to_path_buf());
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// How deep the walk must go: unbounded with `**` or `recursive`, else one level per
    /// path component of the pattern.
    fn max_depth(&self) -> Option<usize> {
        if self.recursive || self.glob.contains("**") {
            None
        } else {
            Some(
                self.glob
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .count()
                    .max(1),
            )
        }
    }
}

/// True when a component of `relative` starts with a dot (LangChain's `_is_visible`).
fn is_hidden(relative: &Path) -> bool {
    relative.components().any(|c| match c {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        _ => false,
    })
}

/// Compiles `pattern` with Python's rule that wildcards stay within one path component.
fn matcher(pattern: &str, as_given: &str) -> Result<GlobMatcher, LoaderError> {
    let glob: Glob = GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| LoaderError::InvalidGlob {
            pattern: as_given.to_owned(),
            message: e.to_string(),
        })?;
    Ok(glob.compile_matcher())
}
