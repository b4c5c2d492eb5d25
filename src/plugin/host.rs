//! The wasmtime-based sandbox that loads and runs plugins.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use wasmtime::{
    Config, Engine, ExternType, FuncType, InstancePre, Linker, Memory, Module, ResourceLimiter,
    Store, Trap, TypedFunc, ValType,
};

use super::error::PluginError;
use super::manifest::{Manifest, OutputKind};

/// Default fuel budget for one computation: 1 billion units.
///
/// One unit is roughly one WebAssembly instruction. `wilder_rsi` spends about
/// 75 units per bar (692,321 for the 9,235 VIX bars), so the default leaves
/// room for series over a thousand times longer, while an endless loop is
/// stopped after about a second (0.9 s measured for `(loop br 0)`).
pub const DEFAULT_FUEL: u64 = 1_000_000_000;

/// Default ceiling a manifest's `[limits] fuel` may ask for: 50 billion units.
pub const MAX_FUEL: u64 = 50_000_000_000;

/// Default memory cap of a plugin, in MiB.
pub const DEFAULT_MEMORY_MIB: u32 = 256;

/// Default ceiling a manifest's `[limits] memory_mib` may ask for, in MiB.
pub const MAX_MEMORY_MIB: u32 = 1024;

/// Maximum WebAssembly stack of a plugin, in bytes (deep recursion traps
/// with `stack overflow` past this).
pub const MAX_WASM_STACK: usize = 512 * 1024;

const EXPORT_MEMORY: &str = "memory";
const EXPORT_MARKER: &str = "vxs_signal_v1";
const EXPORT_ALLOC: &str = "vxs_alloc";
const EXPORT_COMPUTE: &str = "vxs_compute";
const INSTANTIATION: &str = "instantiation";

const TYPE_MEMORY: &str = "a 32-bit, non-shared memory";
const TYPE_MARKER: &str = "(func)";
const TYPE_ALLOC: &str = "(func (param i32) (result i32))";
const TYPE_COMPUTE: &str = "(func (param i32 i32 i32 i32 i32 i32) (result i32))";

/// Limits of a [`PluginHost`]; a manifest's `[limits]` may override the
/// defaults up to the maxima.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostConfig {
    /// Fuel for one computation when the manifest does not say.
    pub default_fuel: u64,
    /// The most fuel a manifest may ask for.
    pub max_fuel: u64,
    /// Memory cap (MiB) when the manifest does not say.
    pub default_memory_mib: u32,
    /// The most memory (MiB) a manifest may ask for.
    pub max_memory_mib: u32,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            default_fuel: DEFAULT_FUEL,
            max_fuel: MAX_FUEL,
            default_memory_mib: DEFAULT_MEMORY_MIB,
            max_memory_mib: MAX_MEMORY_MIB,
        }
    }
}

impl HostConfig {
    /// Set the default fuel budget (clamped to at least 1; raises `max_fuel`
    /// if needed).
    pub fn with_default_fuel(mut self, fuel: u64) -> Self {
        self.default_fuel = fuel.max(1);
        self.max_fuel = self.max_fuel.max(self.default_fuel);
        self
    }

    /// Set the default memory cap in MiB (clamped to 1 ..= 4096; raises
    /// `max_memory_mib` if needed).
    pub fn with_default_memory_mib(mut self, mib: u32) -> Self {
        self.default_memory_mib = mib.clamp(1, 4096);
        self.max_memory_mib = self.max_memory_mib.max(self.default_memory_mib);
        self
    }

    /// Set the ceilings a manifest may ask for (each at least the default;
    /// memory at most 4096 MiB).
    pub fn with_maxima(mut self, max_fuel: u64, max_memory_mib: u32) -> Self {
        self.max_fuel = max_fuel.max(self.default_fuel);
        self.max_memory_mib = max_memory_mib.clamp(self.default_memory_mib, 4096);
        self
    }
}

/// The sandboxed WebAssembly host for custom signals (plugin ABI version 1).
///
/// # The plugin contract (ABI version 1)
///
/// A plugin is a core WebAssembly module plus a `plugin.toml` manifest in its
/// own folder (see [`Manifest`]).
///
/// * The module **imports nothing**; a module with any import is rejected at
///   load, naming the import (e.g. `wasi_snapshot_preview1.fd_write`).
/// * It exports:
///   * `memory`: its (32-bit) linear memory;
///   * `vxs_signal_v1`: a `() -> ()` function that is never called; its
///     presence declares ABI version 1. Without it the module is rejected at
///     load, before any of its code runs;
///   * `vxs_alloc(size: i32) -> i32`: the offset of `size` writable bytes in
///     `memory`, 0 if it cannot;
///   * `vxs_compute(inputs: i32, n_inputs: i32, n_bars: i32, params: i32,
///     n_params: i32, out: i32) -> i32`: `inputs` holds `n_inputs × n_bars`
///     little-endian f64, series after series, oldest bar first; `params`
///     holds `n_params` f64 in manifest order; the plugin writes `n_bars` f64
///     to `out`, NaN where it has no value yet, and returns 0, or a non-zero
///     error code that the host reports.
/// * For each computation the host creates a fresh instance, asks
///   `vxs_alloc` for the inputs, params and output buffers (in that order;
///   a zero-sized buffer is not allocated and passed as offset 0), checks
///   that each returned range lies inside memory and that they do not overlap
///   (0 = allocation failure), writes inputs and params, calls `vxs_compute`
///   once for the whole series and reads the output. A series of 0 bars is
///   answered with an empty output without running the plugin.
/// * Booleans (`output = "bool"`): 0.0 is false, any other number true; the
///   host normalises them to 0.0 / 1.0 and keeps NaN as "no value yet".
///
/// # Sandbox
///
/// No imports are linked, so a plugin can only compute. Each computation (its
/// `vxs_alloc` calls and `vxs_compute`) runs on a fuel budget
/// ([`DEFAULT_FUEL`] by default, deterministic: the same inputs always use
/// the same fuel), a memory cap ([`DEFAULT_MEMORY_MIB`] MiB by default, never
/// unlimited), and a [`MAX_WASM_STACK`]-byte stack. Every trap becomes a
/// [`PluginError`] naming the plugin, the export and the trap. Floating-point
/// NaNs are canonicalised and relaxed SIMD is disabled so results are
/// deterministic across machines. Run computations on a thread with at least
/// 1 MiB of native stack (the main thread and Rust's default 2 MiB threads
/// qualify), so the wasm stack limit is reached before the native one.
///
/// One wasmtime `Engine` is shared by the whole process; compiled modules are
/// cached by the SHA-256 of their bytes, so each distinct wasm file is
/// compiled once per process, and a changed file is recompiled.
#[derive(Clone)]
pub struct PluginHost {
    engine: Engine,
    config: HostConfig,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A compiled, validated module ready to instantiate.
struct Compiled {
    pre: InstancePre<StoreState>,
}

type Cache = Mutex<HashMap<[u8; 32], Arc<Compiled>>>;

static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
static CACHE: OnceLock<Cache> = OnceLock::new();

fn shared_engine() -> Result<Engine, PluginError> {
    ENGINE
        .get_or_init(|| {
            let mut config = Config::new();
            config
                .consume_fuel(true)
                .cranelift_nan_canonicalization(true)
                .wasm_relaxed_simd(false)
                .relaxed_simd_deterministic(true)
                .wasm_memory64(false)
                .wasm_multi_memory(false)
                .wasm_backtrace_max_frames(None)
                .max_wasm_stack(MAX_WASM_STACK);
            Engine::new(&config).map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|message| PluginError::Engine { message })
}

fn cache() -> std::sync::MutexGuard<'static, HashMap<[u8; 32], Arc<Compiled>>> {
    CACHE
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The store's data: just the resource limiter.
struct StoreState {
    limiter: Limiter,
}

/// Caps memory, tables and instances; remembers a refused memory growth.
struct Limiter {
    memory_cap: usize,
    refused: Option<usize>,
}

/// The most table elements a plugin may have.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.refused = Some(desired);
            // An error (rather than `Ok(false)`) traps right away, so the
            // plugin cannot stumble on into a confusing failure.
            return Err(wasmtime::Error::msg("memory limit exceeded"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        4
    }

    fn memories(&self) -> usize {
        1
    }
}

impl PluginHost {
    /// A host with the given limits, sharing the process-wide engine.
    pub fn new(config: HostConfig) -> Result<Self, PluginError> {
        Ok(PluginHost {
            engine: shared_engine()?,
            config,
        })
    }

    /// The host's limits.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Read the manifest's wasm file and [`load_bytes`](Self::load_bytes) it.
    pub fn load(&self, manifest: &Manifest) -> Result<LoadedPlugin, PluginError> {
        let path = manifest.wasm_path();
        let bytes = std::fs::read(&path).map_err(|source| PluginError::Io {
            path: path.clone(),
            source,
        })?;
        self.load_bytes(manifest, &bytes)
    }

    /// Validate and compile (or fetch from the cache) the module `bytes` for
    /// `manifest`: no imports, the ABI marker, the exports and their types,
    /// and the manifest's limits against the host's maxima. Runs no plugin code.
    pub fn load_bytes(
        &self,
        manifest: &Manifest,
        bytes: &[u8],
    ) -> Result<LoadedPlugin, PluginError> {
        let name = &manifest.name;
        let fuel = manifest.limits.fuel.unwrap_or(self.config.default_fuel);
        if fuel > self.config.max_fuel {
            return Err(PluginError::LimitTooHigh {
                plugin: name.clone(),
                what: "fuel",
                requested: fuel,
                max: self.config.max_fuel,
            });
        }
        let memory_mib = manifest
            .limits
            .memory_mib
            .unwrap_or(self.config.default_memory_mib);
        if memory_mib > self.config.max_memory_mib {
            return Err(PluginError::LimitTooHigh {
                plugin: name.clone(),
                what: "memory_mib",
                requested: u64::from(memory_mib),
                max: u64::from(self.config.max_memory_mib),
            });
        }

        let key: [u8; 32] = Sha256::digest(bytes).into();
        let cached = cache().get(&key).cloned();
        let compiled = match cached {
            Some(c) => c,
            None => {
                let compiled = Arc::new(self.compile(manifest, bytes)?);
                // Another thread may have compiled it meanwhile; either copy works.
                cache()
                    .entry(key)
                    .or_insert_with(|| compiled.clone())
                    .clone()
            }
        };
        Ok(LoadedPlugin {
            manifest: manifest.clone(),
            compiled,
            engine: self.engine.clone(),
            fuel,
            memory_mib,
        })
    }

    /// Forget every compiled module (they are recompiled on next load).
    /// Mostly for benchmarks measuring cold loads.
    pub fn clear_module_cache() {
        cache().clear();
    }

    fn compile(&self, manifest: &Manifest, bytes: &[u8]) -> Result<Compiled, PluginError> {
        let name = &manifest.name;
        let module =
            Module::from_binary(&self.engine, bytes).map_err(|e| PluginError::InvalidModule {
                plugin: name.clone(),
                path: manifest.wasm_path(),
                message: format!("{e:#}"),
            })?;
        validate(name, &module)?;
        let linker: Linker<StoreState> = Linker::new(&self.engine);
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| PluginError::InvalidModule {
                plugin: name.clone(),
                path: manifest.wasm_path(),
                message: format!("{e:#}"),
            })?;
        Ok(Compiled { pre })
    }

    /// What the module `bytes` imports and exports, with their types, for
    /// people inspecting a plugin (`vixshield plugin inspect`). Compiles the
    /// module (bypassing the cache) but checks nothing against the ABI: see
    /// [`load_bytes`](Self::load_bytes) for that.
    pub fn describe(&self, manifest: &Manifest, bytes: &[u8]) -> Result<ModuleInfo, PluginError> {
        let module =
            Module::from_binary(&self.engine, bytes).map_err(|e| PluginError::InvalidModule {
                plugin: manifest.name.clone(),
                path: manifest.wasm_path(),
                message: format!("{e:#}"),
            })?;
        Ok(ModuleInfo {
            imports: module
                .imports()
                .map(|i| ModuleItem {
                    name: format!("{}.{}", i.module(), i.name()),
                    ty: fmt_extern(&i.ty()),
                })
                .collect(),
            exports: module
                .exports()
                .map(|e| ModuleItem {
                    name: e.name().to_string(),
                    ty: fmt_extern(&e.ty()),
                })
                .collect(),
        })
    }
}

/// A module's imports and exports, as [`PluginHost::describe`] lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ModuleInfo {
    /// Imports (`module.field`), in declaration order; a plugin has none.
    pub imports: Vec<ModuleItem>,
    /// Exports, in declaration order.
    pub exports: Vec<ModuleItem>,
}

/// One import or export: its name and its type in words
/// (`(func (param i32) (result i32))`, `a 32-bit memory`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ModuleItem {
    /// The name (`module.field` for an import).
    pub name: String,
    /// The type.
    #[serde(rename = "type")]
    pub ty: String,
}

fn fmt_func(ty: &FuncType) -> String {
    let mut s = String::from("(func");
    let list = |kw: &str, tys: Vec<ValType>| -> String {
        if tys.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = tys.iter().map(ToString::to_string).collect();
            format!(" ({kw} {})", names.join(" "))
        }
    };
    s.push_str(&list("param", ty.params().collect()));
    s.push_str(&list("result", ty.results().collect()));
    s.push(')');
    s
}

fn fmt_extern(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => fmt_func(f),
        ExternType::Global(_) => "a global".into(),
        ExternType::Table(_) => "a table".into(),
        ExternType::Memory(m) => {
            let mut s = String::from(if m.is_64() { "a 64-bit" } else { "a 32-bit" });
            s.push_str(if m.is_shared() {
                " shared memory"
            } else {
                " memory"
            });
            s
        }
        ExternType::Tag(_) => "a tag".into(),
    }
}

/// Is `ty` a function of `params` i32 parameters and `results` i32 results?
fn func_matches(ty: &ExternType, params: usize, results: usize) -> bool {
    let ExternType::Func(f) = ty else {
        return false;
    };
    let all_i32 = |mut it: Box<dyn ExactSizeIterator<Item = ValType> + '_>, n: usize| {
        it.len() == n && it.all(|t| matches!(t, ValType::I32))
    };
    all_i32(Box::new(f.params()), params) && all_i32(Box::new(f.results()), results)
}

/// Check a compiled module against ABI version 1, in the documented order:
/// imports, ABI marker, then the other exports and their types.
fn validate(name: &str, module: &Module) -> Result<(), PluginError> {
    if let Some(import) = module.imports().next() {
        return Err(PluginError::Import {
            plugin: name.to_string(),
            module: import.module().to_string(),
            field: import.name().to_string(),
        });
    }
    let export = |n: &str| module.get_export(n);
    let wrong = |export: &'static str, expected: &'static str, found: &ExternType| {
        PluginError::ExportType {
            plugin: name.to_string(),
            export,
            expected,
            found: fmt_extern(found),
        }
    };
    let missing = |export: &'static str, expected: &'static str| PluginError::MissingExport {
        plugin: name.to_string(),
        export,
        expected,
    };

    let Some(marker) = export(EXPORT_MARKER) else {
        return Err(PluginError::MissingAbiMarker {
            plugin: name.to_string(),
        });
    };
    if !func_matches(&marker, 0, 0) {
        return Err(wrong(EXPORT_MARKER, TYPE_MARKER, &marker));
    }

    match export(EXPORT_MEMORY) {
        None => return Err(missing(EXPORT_MEMORY, TYPE_MEMORY)),
        Some(ExternType::Memory(m)) if !m.is_64() && !m.is_shared() => {}
        Some(other) => return Err(wrong(EXPORT_MEMORY, TYPE_MEMORY, &other)),
    }

    match export(EXPORT_ALLOC) {
        None => return Err(missing(EXPORT_ALLOC, TYPE_ALLOC)),
        Some(t) if func_matches(&t, 1, 1) => {}
        Some(other) => return Err(wrong(EXPORT_ALLOC, TYPE_ALLOC, &other)),
    }
    match export(EXPORT_COMPUTE) {
        None => return Err(missing(EXPORT_COMPUTE, TYPE_COMPUTE)),
        Some(t) if func_matches(&t, 6, 1) => {}
        Some(other) => return Err(wrong(EXPORT_COMPUTE, TYPE_COMPUTE, &other)),
    }
    Ok(())
}

/// A plugin that passed validation, ready to [`compute`](Self::compute).
/// Cheap to clone; shareable across threads.
#[derive(Clone)]
pub struct LoadedPlugin {
    manifest: Manifest,
    compiled: Arc<Compiled>,
    engine: Engine,
    fuel: u64,
    memory_mib: u32,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.manifest.name)
            .field("fuel", &self.fuel)
            .field("memory_mib", &self.memory_mib)
            .finish_non_exhaustive()
    }
}

/// The result of one computation.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Computation {
    /// One value per bar; NaN where the plugin has no value yet. For
    /// `output = "bool"` plugins: 0.0 false, 1.0 true, NaN no value.
    pub values: Vec<f64>,
    /// Fuel the computation used (deterministic).
    pub fuel_used: u64,
}

/// A guest buffer: its offset and length in bytes.
#[derive(Clone, Copy)]
struct Buffer {
    offset: u32,
    len: u32,
}

impl Buffer {
    fn range(self) -> Range<usize> {
        let start = self.offset as usize;
        start..start.saturating_add(self.len as usize)
    }
}

impl LoadedPlugin {
    /// The manifest this plugin was loaded with.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The fuel budget of one computation.
    pub fn fuel_budget(&self) -> u64 {
        self.fuel
    }

    /// The memory cap, in MiB.
    pub fn memory_mib(&self) -> u32 {
        self.memory_mib
    }

    /// [`compute`](Self::compute) with the manifest's default parameters.
    pub fn compute_with_defaults(&self, inputs: &[&[f64]]) -> Result<Computation, PluginError> {
        self.compute(inputs, &self.manifest.default_params())
    }

    /// Run the plugin once over whole series. `inputs` must hold the
    /// manifest's number of series, all of the same length; `params` the
    /// manifest's parameters in order.
    pub fn compute(&self, inputs: &[&[f64]], params: &[f64]) -> Result<Computation, PluginError> {
        let name = &self.manifest.name;
        let n_inputs = self.manifest.inputs as usize;
        if inputs.len() != n_inputs {
            return Err(PluginError::InputCount {
                plugin: name.clone(),
                expected: n_inputs,
                found: inputs.len(),
            });
        }
        if params.len() != self.manifest.params.len() {
            return Err(PluginError::ParamCount {
                plugin: name.clone(),
                expected: self.manifest.params.len(),
                found: params.len(),
                names: self
                    .manifest
                    .params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let n_bars = inputs.first().map_or(0, |s| s.len());
        for (index, series) in inputs.iter().enumerate() {
            if series.len() != n_bars {
                return Err(PluginError::InputLength {
                    plugin: name.clone(),
                    index,
                    expected: n_bars,
                    found: series.len(),
                });
            }
        }
        if n_bars == 0 {
            return Ok(Computation {
                values: Vec::new(),
                fuel_used: 0,
            });
        }
        let size = |what: &'static str, count: u128| -> Result<u32, PluginError> {
            let bytes = count.saturating_mul(8);
            match i32::try_from(bytes) {
                Ok(b) => Ok(b.cast_unsigned()),
                Err(_) => Err(PluginError::TooLarge {
                    plugin: name.clone(),
                    what,
                    bytes,
                }),
            }
        };
        let in_size = size("inputs", (n_inputs as u128).saturating_mul(n_bars as u128))?;
        let params_size = size("params", params.len() as u128)?;
        let out_size = size("output", n_bars as u128)?;
        // All three fit in i32 (checked above), so these casts are lossless.
        let n_bars_i32 = i32::try_from(n_bars).unwrap_or(i32::MAX);
        let n_inputs_i32 = i32::try_from(n_inputs).unwrap_or(i32::MAX);
        let n_params_i32 = i32::try_from(params.len()).unwrap_or(i32::MAX);

        let mut store = Store::new(
            &self.engine,
            StoreState {
                limiter: Limiter {
                    memory_cap: (self.memory_mib as usize).saturating_mul(1024 * 1024),
                    refused: None,
                },
            },
        );
        store.limiter(|s| &mut s.limiter);
        store
            .set_fuel(self.fuel)
            .map_err(|e| self.call_error(&store, INSTANTIATION, e))?;

        let instance = self
            .compiled
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.call_error(&store, INSTANTIATION, e))?;
        let memory: Memory = instance
            .get_memory(&mut store, EXPORT_MEMORY)
            .ok_or_else(|| PluginError::MissingExport {
                plugin: name.clone(),
                export: EXPORT_MEMORY,
                expected: TYPE_MEMORY,
            })?;
        let alloc: TypedFunc<i32, i32> = instance
            .get_typed_func(&mut store, EXPORT_ALLOC)
            .map_err(|e| self.call_error(&store, EXPORT_ALLOC, e))?;
        let compute: TypedFunc<(i32, i32, i32, i32, i32, i32), i32> = instance
            .get_typed_func(&mut store, EXPORT_COMPUTE)
            .map_err(|e| self.call_error(&store, EXPORT_COMPUTE, e))?;

        let mut taken: Vec<(&'static str, Buffer)> = Vec::with_capacity(3);
        let mut allocate = |store: &mut Store<StoreState>,
                            what: &'static str,
                            len: u32|
         -> Result<Buffer, PluginError> {
            if len == 0 {
                return Ok(Buffer { offset: 0, len: 0 });
            }
            let offset = alloc
                .call(&mut *store, len.cast_signed())
                .map_err(|e| self.call_error(store, EXPORT_ALLOC, e))?
                .cast_unsigned();
            if offset == 0 {
                return Err(PluginError::AllocFailed {
                    plugin: name.clone(),
                    what,
                    size: len,
                });
            }
            let buf = Buffer { offset, len };
            let mem_size = memory.data_size(&*store);
            let bad = |problem: String| PluginError::BadAlloc {
                plugin: name.clone(),
                what,
                offset,
                size: len,
                problem,
            };
            let end = u64::from(offset) + u64::from(len);
            if end > mem_size as u64 {
                return Err(bad(format!("past the end of its {mem_size}-byte memory")));
            }
            for (other, b) in &taken {
                let (r, s) = (buf.range(), b.range());
                if r.start < s.end && s.start < r.end {
                    return Err(bad(format!("overlapping the {other} buffer")));
                }
            }
            taken.push((what, buf));
            Ok(buf)
        };
        let in_buf = allocate(&mut store, "inputs", in_size)?;
        let params_buf = allocate(&mut store, "params", params_size)?;
        let out_buf = allocate(&mut store, "output", out_size)?;

        {
            let data = memory.data_mut(&mut store);
            let region_error = |what: &'static str, b: Buffer| PluginError::BadAlloc {
                plugin: name.clone(),
                what,
                offset: b.offset,
                size: b.len,
                problem: "past the end of its memory".into(),
            };
            let dst = data
                .get_mut(in_buf.range())
                .ok_or_else(|| region_error("inputs", in_buf))?;
            let (chunks, _) = dst.as_chunks_mut::<8>();
            let values = inputs.iter().flat_map(|s| s.iter());
            for (chunk, v) in chunks.iter_mut().zip(values) {
                *chunk = v.to_le_bytes();
            }
            let dst = data
                .get_mut(params_buf.range())
                .ok_or_else(|| region_error("params", params_buf))?;
            let (chunks, _) = dst.as_chunks_mut::<8>();
            for (chunk, v) in chunks.iter_mut().zip(params) {
                *chunk = v.to_le_bytes();
            }
        }

        let status = compute
            .call(
                &mut store,
                (
                    in_buf.offset.cast_signed(),
                    n_inputs_i32,
                    n_bars_i32,
                    params_buf.offset.cast_signed(),
                    n_params_i32,
                    out_buf.offset.cast_signed(),
                ),
            )
            .map_err(|e| self.call_error(&store, EXPORT_COMPUTE, e))?;
        if status != 0 {
            return Err(PluginError::Status {
                plugin: name.clone(),
                code: status,
            });
        }

        // `vxs_compute` may have grown memory, never shrunk it: the range is
        // still inside, but check anyway rather than trust it.
        let src =
            memory
                .data(&store)
                .get(out_buf.range())
                .ok_or_else(|| PluginError::BadAlloc {
                    plugin: name.clone(),
                    what: "output",
                    offset: out_buf.offset,
                    size: out_buf.len,
                    problem: "past the end of its memory".into(),
                })?;
        let (chunks, _) = src.as_chunks::<8>();
        let mut values: Vec<f64> = chunks.iter().map(|c| f64::from_le_bytes(*c)).collect();
        if self.manifest.output == OutputKind::Bool {
            for v in &mut values {
                if !v.is_nan() {
                    *v = if *v == 0.0 { 0.0 } else { 1.0 };
                }
            }
        }
        let fuel_left = store.get_fuel().unwrap_or(0);
        Ok(Computation {
            values,
            fuel_used: self.fuel.saturating_sub(fuel_left),
        })
    }

    /// Turn a wasmtime error from running `export` into a [`PluginError`].
    fn call_error(
        &self,
        store: &Store<StoreState>,
        export: &'static str,
        err: wasmtime::Error,
    ) -> PluginError {
        let plugin = self.manifest.name.clone();
        if let Some(desired) = store.data().limiter.refused {
            return PluginError::MemoryLimit {
                plugin,
                export,
                limit_mib: self.memory_mib,
                desired: desired as u64,
            };
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => PluginError::OutOfFuel {
                plugin,
                export,
                fuel: self.fuel,
            },
            Some(Trap::StackOverflow) => PluginError::Trap {
                plugin,
                export,
                trap: "stack overflow".into(),
            },
            Some(trap) => {
                let text = trap.to_string();
                let text = text.strip_prefix("wasm trap: ").unwrap_or(&text);
                PluginError::Trap {
                    plugin,
                    export,
                    trap: text.to_string(),
                }
            }
            None => PluginError::Trap {
                plugin,
                export,
                trap: format!("{err:#}"),
            },
        }
    }
}
