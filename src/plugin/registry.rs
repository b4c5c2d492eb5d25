//! Finding plugins: the project's `plugins/` folder, `vixshield.toml`'s
//! `[plugins] paths`, and extra folders (the CLI's `--plugins DIR`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use super::error::PluginError;
use super::host::{LoadedPlugin, PluginHost};
use super::manifest::Manifest;

/// The project file's name.
pub const PROJECT_FILE: &str = "vixshield.toml";
/// A plugin folder's manifest name.
pub const MANIFEST_FILE: &str = "plugin.toml";
/// The project's default plugin folder, next to `vixshield.toml`.
pub const PROJECT_PLUGIN_DIR: &str = "plugins";

/// `vixshield.toml`. Plugins are all it configures, so anything else in it
/// (`[plugin]` for `[plugins]`) is an error at its line, never ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    plugins: Option<PluginsSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginsSection {
    #[serde(default)]
    paths: Vec<toml::Spanned<String>>,
    #[serde(default)]
    canonicalize_nans: bool,
    /// `cache = false`: never keep this project's compiled plugins on disk.
    #[serde(default = "yes")]
    cache: bool,
}

impl Default for PluginsSection {
    fn default() -> Self {
        PluginsSection {
            paths: Vec::new(),
            canonicalize_nans: false,
            cache: true,
        }
    }
}

fn yes() -> bool {
    true
}

enum Entry {
    One(usize),
    Clash(usize, usize),
}

#[derive(Default)]
struct Scan {
    manifests: Vec<Manifest>,
    by_name: BTreeMap<String, Entry>,
    problems: Vec<PluginError>,
    /// Manifest paths that failed to parse.
    broken: Vec<PathBuf>,
}

/// The plugins visible to a project.
///
/// Search folders are fixed at construction; the manifests in them are read
/// on first use (lazily, once). Only manifests are read: a plugin's wasm is
/// loaded and compiled when asked for by name ([`load`](Self::load)). A
/// broken plugin folder is recorded in [`problems`](Self::problems) and does
/// not prevent using the others.
pub struct PluginRegistry {
    dirs: Vec<PathBuf>,
    project_file: Option<PathBuf>,
    canonicalize_nans: bool,
    disk_cache: bool,
    scan: OnceLock<Scan>,
}

impl std::fmt::Debug for PluginRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginRegistry")
            .field("dirs", &self.dirs)
            .field("project_file", &self.project_file)
            .field("canonicalize_nans", &self.canonicalize_nans)
            .field("disk_cache", &self.disk_cache)
            .finish_non_exhaustive()
    }
}

impl PluginRegistry {
    /// The registry for the current directory plus `extra_dirs` (the CLI's
    /// repeatable `--plugins DIR`); see [`discover`](Self::discover).
    pub fn from_current_dir(extra_dirs: &[PathBuf]) -> Result<Self, PluginError> {
        let cwd = std::env::current_dir().map_err(|source| PluginError::Io {
            path: PathBuf::from("."),
            source,
        })?;
        Self::discover(&cwd, extra_dirs)
    }

    /// The registry for a project, searching from `start` upward for the
    /// nearest directory holding a `vixshield.toml` (the project root; else
    /// `start` itself is the root). Search folders, in order:
    ///
    /// 1. `ROOT/plugins`, if it exists;
    /// 2. each of `vixshield.toml`'s `[plugins] paths`, relative to that file;
    /// 3. `extra_dirs`, as given.
    ///
    /// Each plugin is a subfolder of a search folder holding a `plugin.toml`.
    /// `vixshield.toml`'s `[plugins] canonicalize_nans = true` is kept for
    /// the host (see [`canonicalize_nans`](Self::canonicalize_nans)), and
    /// `cache = false` (see [`disk_cache_allowed`](Self::disk_cache_allowed)).
    /// Errors: an invalid `vixshield.toml`, or a listed or extra folder that
    /// does not exist.
    pub fn discover(start: &Path, extra_dirs: &[PathBuf]) -> Result<Self, PluginError> {
        let start = if start.is_absolute() {
            start.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|source| PluginError::Io {
                    path: start.to_path_buf(),
                    source,
                })?
                .join(start)
        };
        // Anything called `vixshield.toml` marks the project (a folder of
        // that name is then an error when read, not passed over).
        let project_file = start
            .ancestors()
            .map(|d| d.join(PROJECT_FILE))
            .find(|f| std::fs::symlink_metadata(f).is_ok());
        let root = project_file
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(&start)
            .to_path_buf();

        let mut dirs = Vec::new();
        let default_dir = root.join(PROJECT_PLUGIN_DIR);
        if default_dir.is_dir() {
            dirs.push(default_dir);
        }
        let (settings, text) = match &project_file {
            Some(file) => read_project_file(file)?,
            None => (PluginsSection::default(), String::new()),
        };
        for p in &settings.paths {
            let folder = root.join(p.get_ref());
            let listed = |source| PluginError::ListedFolder {
                file: project_file.clone().unwrap_or_default(),
                pos: Some(crate::source::line_col(&text, p.span().start)),
                listed: p.get_ref().clone(),
                folder: folder.clone(),
                source,
            };
            dirs.push(must_be_dir(folder.clone()).map_err(|e| match e {
                PluginError::Io { source, .. } => listed(source),
                other => other,
            })?);
        }
        for d in extra_dirs {
            dirs.push(must_be_dir(d.clone())?);
        }
        let mut registry = Self::from_dirs(dirs);
        registry.project_file = project_file;
        registry.canonicalize_nans = settings.canonicalize_nans;
        registry.disk_cache = settings.cache;
        Ok(registry)
    }

    /// A registry over exactly these search folders (duplicates, after
    /// resolving symlinks, are searched once). Missing folders are reported
    /// in [`problems`](Self::problems).
    pub fn from_dirs(dirs: Vec<PathBuf>) -> Self {
        let mut seen = Vec::new();
        let mut unique = Vec::new();
        for d in dirs {
            let canon = std::fs::canonicalize(&d).unwrap_or_else(|_| d.clone());
            if !seen.contains(&canon) {
                seen.push(canon);
                unique.push(d);
            }
        }
        PluginRegistry {
            dirs: unique,
            project_file: None,
            canonicalize_nans: false,
            disk_cache: true,
            scan: OnceLock::new(),
        }
    }

    /// The search folders, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The `vixshield.toml` found, if any.
    pub fn project_file(&self) -> Option<&Path> {
        self.project_file.as_deref()
    }

    /// Whether the project asks for NaN canonicalisation
    /// (`vixshield.toml`: `[plugins] canonicalize_nans = true`; default
    /// false). [`PluginSetup::new`](super::PluginSetup::new) passes it to the
    /// host as [`HostConfig::canonicalize_nans`](super::HostConfig::canonicalize_nans).
    pub fn canonicalize_nans(&self) -> bool {
        self.canonicalize_nans
    }

    /// Whether the project lets compiled plugins be kept on disk
    /// (`vixshield.toml`: `[plugins] cache = false` says no; default yes).
    /// The library keeps nothing on disk unless asked
    /// ([`PluginHost::with_disk_cache`](super::PluginHost::with_disk_cache));
    /// the command line asks unless this or `--no-plugin-cache` says no.
    pub fn disk_cache_allowed(&self) -> bool {
        self.disk_cache
    }

    fn scan(&self) -> &Scan {
        self.scan.get_or_init(|| scan_dirs(&self.dirs))
    }

    /// The manifest of the plugin called `name`; `None` if there is none or
    /// if two plugins clash on that name (see [`lookup`](Self::lookup) for
    /// the reason). Reads manifests only, never wasm.
    pub fn find(&self, name: &str) -> Option<&Manifest> {
        let scan = self.scan();
        match scan.by_name.get(name) {
            Some(Entry::One(i)) => scan.manifests.get(*i),
            _ => None,
        }
    }

    /// Like [`find`](Self::find), but says why a plugin is unavailable:
    /// [`PluginError::NameClash`] naming both manifests,
    /// [`PluginError::Manifest`] when the only folder called `name` has a
    /// broken manifest, or [`PluginError::NotFound`].
    pub fn lookup(&self, name: &str) -> Result<&Manifest, PluginError> {
        let scan = self.scan();
        match scan.by_name.get(name) {
            Some(Entry::One(i)) => {
                if let Some(m) = scan.manifests.get(*i) {
                    return Ok(m);
                }
            }
            Some(Entry::Clash(a, b)) => {
                let path = |i: &usize| {
                    scan.manifests
                        .get(*i)
                        .map(|m| m.path.clone())
                        .unwrap_or_default()
                };
                return Err(PluginError::NameClash {
                    name: name.to_string(),
                    first: path(a),
                    second: path(b),
                });
            }
            None => {}
        }
        // A broken manifest in a folder of that name is the likely culprit.
        for path in &scan.broken {
            let folder = path.parent().and_then(Path::file_name);
            if folder.is_some_and(|f| f == std::ffi::OsStr::new(name)) {
                // Re-read to hand out the (non-`Clone`) error; it failed before.
                Manifest::from_file(path)?;
            }
        }
        Err(PluginError::NotFound {
            name: name.to_string(),
            searched: self.dirs.clone(),
        })
    }

    /// Every plugin name found (clashing names included once), sorted.
    /// For the language checker, to detect clashes with built-in signals.
    pub fn names(&self) -> Vec<&str> {
        self.scan().by_name.keys().map(String::as_str).collect()
    }

    /// Every valid manifest found, in search order.
    pub fn manifests(&self) -> &[Manifest] {
        &self.scan().manifests
    }

    /// Problems met while scanning (unreadable folders, broken manifests,
    /// name clashes). None of them stops other plugins from working.
    pub fn problems(&self) -> &[PluginError] {
        &self.scan().problems
    }

    /// Look `name` up and load it (compiling its wasm on first use).
    pub fn load(&self, host: &PluginHost, name: &str) -> Result<LoadedPlugin, PluginError> {
        host.load(self.lookup(name)?)
    }
}

fn must_be_dir(dir: PathBuf) -> Result<PathBuf, PluginError> {
    match std::fs::metadata(&dir) {
        Ok(m) if m.is_dir() => Ok(dir),
        Ok(_) => Err(PluginError::Io {
            path: dir,
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
        }),
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => Err(PluginError::Io {
            path: dir,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
        }),
        Err(source) => Err(PluginError::Io { path: dir, source }),
    }
}

/// The project file's `[plugins]` section, and its text (for positions).
fn read_project_file(file: &Path) -> Result<(PluginsSection, String), PluginError> {
    let bytes = crate::input::read_regular(file, crate::input::MANIFEST).map_err(|source| {
        PluginError::Io {
            path: file.to_path_buf(),
            source,
        }
    })?;
    let text = super::error::utf8_text(bytes).map_err(|pos| PluginError::ProjectFile {
        path: file.to_path_buf(),
        pos: Some(pos),
        message: "the file is not UTF-8 text".into(),
    })?;
    let parsed: ProjectFile = toml::from_str(&text).map_err(|e| PluginError::ProjectFile {
        path: file.to_path_buf(),
        pos: e.span().map(|s| crate::source::line_col(&text, s.start)),
        message: e.message().trim_end().to_string(),
    })?;
    Ok((parsed.plugins.unwrap_or_default(), text))
}

/// A search folder that holds a `plugin.toml` itself is one plugin's
/// folder, given where the folder of plugin folders goes (`--plugins
/// plugins/wilder_rsi` for `--plugins plugins`): what to give instead.
pub(crate) fn itself_a_plugin(dir: &Path) -> Option<String> {
    dir.join(MANIFEST_FILE).is_file().then(|| {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        format!(
            "itself a plugin's folder: a search folder holds plugin folders, so give its parent, `{}`",
            parent.display()
        )
    })
}

fn scan_dirs(dirs: &[PathBuf]) -> Scan {
    let mut scan = Scan::default();
    for dir in dirs {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(source) => {
                scan.problems.push(PluginError::Io {
                    path: dir.clone(),
                    source,
                });
                continue;
            }
        };
        let mut folders: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        for folder in folders {
            let manifest_path = folder.join(MANIFEST_FILE);
            if !manifest_path.is_file() {
                // Something called `plugin.toml` that is no file (a folder, a
                // dangling link) is a broken plugin, not a folder without one;
                // so is a folder that cannot be looked into (permission
                // denied): it may well hold one.
                let source = match std::fs::symlink_metadata(&manifest_path) {
                    Ok(_) => std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => e,
                };
                scan.problems.push(PluginError::Io {
                    path: manifest_path.clone(),
                    source,
                });
                scan.broken.push(manifest_path);
                continue;
            }
            match Manifest::from_file(&manifest_path) {
                Ok(m) => {
                    let index = scan.manifests.len();
                    let name = m.name.clone();
                    let path = m.path.clone();
                    scan.manifests.push(m);
                    let first = match scan.by_name.get(&name) {
                        None => {
                            scan.by_name.insert(name, Entry::One(index));
                            continue;
                        }
                        Some(Entry::One(first) | Entry::Clash(first, _)) => *first,
                    };
                    let first_path = scan
                        .manifests
                        .get(first)
                        .map(|m| m.path.clone())
                        .unwrap_or_default();
                    scan.problems.push(PluginError::NameClash {
                        name: name.clone(),
                        first: first_path,
                        second: path,
                    });
                    if let Some(Entry::One(_)) = scan.by_name.get(&name) {
                        scan.by_name.insert(name, Entry::Clash(first, index));
                    }
                }
                Err(e) => {
                    scan.problems.push(e);
                    scan.broken.push(manifest_path);
                }
            }
        }
    }
    scan
}
