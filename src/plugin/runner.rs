//! Plugins wired into the pipeline: signatures for the checker, defaults for
//! the compiler, loaded modules for the evaluator.
//!
//! [`PluginSetup`] wraps a [`PluginRegistry`]: the checker's [`Env`] is built
//! from manifests only (cheap), with a loader that validates just the plugins
//! a file calls (`E0207` when one cannot be loaded); [`PluginSetup::runner`]
//! loads the plugins a compiled graph uses into a [`WasmRunner`], the
//! evaluator's [`PluginRunner`]. A broken plugin that nothing calls is never
//! loaded and never gets in the way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use super::disk_cache::DiskCache;
use super::error::PluginError;
use super::host::{HostConfig, LoadedPlugin, PluginHost};
use super::manifest::{Manifest, OutputKind};
use super::registry::{MANIFEST_FILE, PluginRegistry};
use crate::check::{Env, PluginLoader, PluginSignature, UnavailablePlugin};
use crate::compile::PluginDefaults;
use crate::eval::PluginRunner;
use crate::graph::{Graph, Node};

/// The plugins of a project, for every step that needs them. Cheap to clone
/// (shared state); loaded modules are kept for the life of the setup.
#[derive(Clone, Debug)]
pub struct PluginSetup {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: PluginRegistry,
    config: HostConfig,
    disk: Option<DiskCache>,
    /// Created on first load: a command that uses no plugin starts no engine.
    host: OnceLock<Result<PluginHost, String>>,
    /// Plugins loaded so far, by name (failures are not kept: asked again,
    /// they are retried and report afresh).
    loaded: Mutex<HashMap<String, LoadedPlugin>>,
}

impl PluginSetup {
    /// The setup over `registry`, with the host's default limits and the
    /// project's NaN setting ([`PluginRegistry::canonicalize_nans`]).
    pub fn new(registry: PluginRegistry) -> Self {
        let config = HostConfig::default().with_nan_canonicalization(registry.canonicalize_nans());
        Self::with_config(registry, config)
    }

    /// The setup over `registry` with the given host limits and settings,
    /// as given (the project file's NaN setting is not applied).
    pub fn with_config(registry: PluginRegistry, config: HostConfig) -> Self {
        Self::with_disk_cache(registry, config, None)
    }

    /// [`with_config`](Self::with_config), keeping compiled plugins in
    /// `disk` between runs (see [`PluginHost::with_disk_cache`]).
    pub fn with_disk_cache(
        registry: PluginRegistry,
        config: HostConfig,
        disk: Option<DiskCache>,
    ) -> Self {
        PluginSetup {
            inner: Arc::new(Inner {
                registry,
                config,
                disk,
                host: OnceLock::new(),
                loaded: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Discover the plugins of the project around `start` plus `extra_dirs`
    /// (see [`PluginRegistry::discover`]).
    pub fn discover(start: &Path, extra_dirs: &[PathBuf]) -> Result<Self, PluginError> {
        PluginRegistry::discover(start, extra_dirs).map(Self::new)
    }

    /// No plugins at all.
    pub fn empty() -> Self {
        Self::new(PluginRegistry::from_dirs(Vec::new()))
    }

    /// The registry.
    pub fn registry(&self) -> &PluginRegistry {
        &self.inner.registry
    }

    /// The plugin host (the shared wasm engine), created on first use.
    pub fn host(&self) -> Result<PluginHost, PluginError> {
        self.inner.host()
    }

    /// The usable plugins: one manifest for each name found, skipping names
    /// two plugins share. Reads manifests only.
    pub fn manifests(&self) -> Vec<&Manifest> {
        let r = &self.inner.registry;
        r.names().into_iter().filter_map(|n| r.find(n)).collect()
    }

    /// What the checker needs: each usable plugin's signature, the plugins
    /// that are found but unusable (with the reason), and a loader that
    /// validates the plugins a file calls. Reads manifests only.
    pub fn env(&self) -> Env {
        let r = &self.inner.registry;
        let mut env = Env::default();
        let dirs: Vec<String> = r
            .dirs()
            .iter()
            .map(|d| crate::diag::shown_name(&d.display().to_string()).into_owned())
            .collect();
        let project = r
            .project_file()
            .map(|f| crate::diag::shown_name(&f.display().to_string()).into_owned());
        env.plugin_search = Some(match (dirs.is_empty(), project) {
            (true, None) => {
                "here: no `plugins/` folder, and no `vixshield.toml` from here upward".to_string()
            }
            (true, Some(f)) => {
                format!("through the project file {f}: it leads to no plugin folder")
            }
            (false, None) => format!("in {}", dirs.join(", ")),
            (false, Some(f)) => format!("in {}, from the project file {f}", dirs.join(", ")),
        });
        for name in r.names() {
            match r.lookup(name) {
                Ok(m) => env.plugins.push(signature(m)),
                Err(e) => env.unavailable.push(UnavailablePlugin {
                    name: name.to_string(),
                    reason: e.to_string(),
                }),
            }
        }
        // A folder whose manifest does not parse, or cannot be read (not
        // UTF-8, a folder called `plugin.toml`), has no name but its own.
        for problem in r.problems() {
            if let PluginError::Io { path, source } = problem
                && r.dirs().contains(path)
            {
                env.unreadable_plugin_dirs.push(format!(
                    "{}: {}",
                    path.display(),
                    crate::input::reason(source)
                ));
                continue;
            }
            let path = match problem {
                PluginError::Manifest { path, .. } => Some(path),
                PluginError::Io { path, .. }
                    if path.file_name() == Some(std::ffi::OsStr::new(MANIFEST_FILE)) =>
                {
                    Some(path)
                }
                _ => None,
            };
            if let Some(path) = path {
                let folder = path
                    .parent()
                    .and_then(Path::file_name)
                    .and_then(|f| f.to_str());
                if let Some(name) = folder {
                    let known = env.plugins.iter().any(|p| p.name == name)
                        || env.unavailable.iter().any(|u| u.name == name);
                    if !known {
                        env.unavailable.push(UnavailablePlugin {
                            name: name.to_string(),
                            reason: problem.to_string(),
                        });
                    }
                }
            }
        }
        env.loader = Some(Arc::new(self.clone()));
        env
    }

    /// What the compiler needs: each usable plugin's param defaults.
    pub fn defaults(&self) -> Vec<PluginDefaults> {
        self.manifests()
            .into_iter()
            .map(|m| PluginDefaults {
                name: m.name.clone(),
                inputs: m.inputs as usize,
                defaults: m.default_params(),
                boolean: m.output == OutputKind::Bool,
            })
            .collect()
    }

    /// Load the plugin called `name` (once; later calls reuse it).
    pub fn load(&self, name: &str) -> Result<LoadedPlugin, PluginError> {
        if let Some(p) = self.inner.lock().get(name) {
            return Ok(p.clone());
        }
        let host = self.inner.host()?;
        let plugin = self.inner.registry.load(&host, name)?;
        self.inner.lock().insert(name.to_string(), plugin.clone());
        Ok(plugin)
    }

    /// Load every plugin `graph` uses into a runner for the evaluator.
    pub fn runner(&self, graph: &Graph) -> Result<WasmRunner, PluginError> {
        let mut plugins = HashMap::new();
        for node in &graph.nodes {
            if let Node::Plugin { name, .. } = node
                && !plugins.contains_key(name)
            {
                plugins.insert(name.clone(), self.load(name)?);
            }
        }
        Ok(WasmRunner { plugins })
    }
}

impl Inner {
    fn host(&self) -> Result<PluginHost, PluginError> {
        self.host
            .get_or_init(|| {
                PluginHost::new(self.config)
                    .map(|host| host.with_disk_cache(self.disk.clone()))
                    .map_err(|e| match e {
                        PluginError::Engine { message } => message,
                        other => other.to_string(),
                    })
            })
            .clone()
            .map_err(|message| PluginError::Engine { message })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, LoadedPlugin>> {
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PluginLoader for PluginSetup {
    fn validate(&self, name: &str) -> Result<(), String> {
        self.load(name).map(|_| ()).map_err(|e| e.to_string())
    }
}

/// A manifest as the checker sees it.
pub fn signature(m: &Manifest) -> PluginSignature {
    PluginSignature {
        name: m.name.clone(),
        inputs: m.inputs as usize,
        params: m.params.iter().map(|p| p.name.clone()).collect(),
        param_limits: m.params.iter().map(|p| p.limits).collect(),
        boolean: m.output == OutputKind::Bool,
        manifest: Some(m.path.clone()),
    }
}

/// The evaluator's [`PluginRunner`]: the loaded plugins a graph uses.
#[derive(Clone, Debug, Default)]
pub struct WasmRunner {
    plugins: HashMap<String, LoadedPlugin>,
}

impl WasmRunner {
    /// A runner over these loaded plugins (by their names).
    pub fn from_plugins(plugins: impl IntoIterator<Item = LoadedPlugin>) -> Self {
        WasmRunner {
            plugins: plugins
                .into_iter()
                .map(|p| (p.name().to_string(), p))
                .collect(),
        }
    }

    /// The plugins it holds.
    pub fn plugins(&self) -> impl Iterator<Item = &LoadedPlugin> {
        self.plugins.values()
    }
}

impl PluginRunner for WasmRunner {
    fn run(&self, name: &str, inputs: &[&[f64]], params: &[f64]) -> Result<Vec<f64>, String> {
        let plugin = self
            .plugins
            .get(name)
            .ok_or_else(|| format!("plugin `{name}` is used but was not loaded"))?;
        plugin
            .compute(inputs, params)
            .map(|c| c.values)
            .map_err(|e| e.to_string())
    }
}
