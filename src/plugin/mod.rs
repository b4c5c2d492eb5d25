//! Custom signals as sandboxed WebAssembly plugins (ABI version 1).
//!
//! * [`Manifest`]: a plugin's `plugin.toml`;
//! * [`PluginRegistry`]: finds plugins (project `plugins/`, `vixshield.toml`
//!   `[plugins] paths`, `--plugins DIR`), reading manifests only;
//! * [`PluginHost`]: loads (validates, compiles, caches) and runs them in a
//!   sandbox; its documentation is the contract a plugin must follow;
//! * [`DiskCache`]: compiled plugins kept between runs;
//! * [`PluginSetup`]: the registry wired into the pipeline: the checker's
//!   environment, the compiler's defaults, and [`WasmRunner`], the
//!   evaluator's plugin runner;
//! * [`PluginError`]: everything that can go wrong;
//! * [`TemplateSpec`]: the crate `vixshield plugin new` makes.
//!
//! See `plugins/README.md` for how to write and build a plugin.

mod disk_cache;
mod error;
mod host;
mod manifest;
mod metering;
mod registry;
mod runner;
mod template;

pub use disk_cache::{CACHE_DIR_ENV, DiskCache};
pub(crate) use error::missing_module_hint;
pub use error::{LineCol, PluginError};
pub use host::{
    COMPILE_DEADLINE, Computation, DEFAULT_FUEL, DEFAULT_MEMORY_MIB, HostConfig,
    INDIRECT_CALL_WEIGHT, LoadOrigin, LoadedPlugin, MAX_CODE_BYTES, MAX_DATA_BYTES,
    MAX_ELEMENT_SEGMENTS, MAX_ELEMENTS, MAX_EXPORTS, MAX_FUEL, MAX_FUNCTION_BRANCHES,
    MAX_FUNCTION_BYTES, MAX_FUNCTIONS, MAX_GLOBALS, MAX_IMPORTS, MAX_LOCAL_BYTES, MAX_MEMORY_MIB,
    MAX_MODULE_BRANCHES, MAX_NAME_SECTION_BYTES, MAX_SIGNATURE_VALUES, MAX_TYPES, MAX_WASM_STACK,
    ModuleInfo, ModuleItem, PluginHost, TIER_UP_FUEL_PER_BYTE, Tier, Tiering,
};
pub use manifest::{
    ABI_VERSION, Limits, MAX_INPUTS, Manifest, OutputKind, ParamSpec, is_identifier,
};
pub use metering::{
    BRANCH_COST, BULK_BLOCK_BYTES, BULK_BLOCK_COST, BULK_CALL_COST, FREE_LOCAL_BYTES,
    LOCAL_BLOCK_BYTES, LocalCharge, REF_FUNC_COST, RUNTIME_CALL_COST, host_charged_locals,
    host_metered_operators, winch_meters_fully,
};
pub(crate) use registry::itself_a_plugin;
pub use registry::{MANIFEST_FILE, PROJECT_FILE, PROJECT_PLUGIN_DIR, PluginRegistry};
pub use runner::{PluginSetup, WasmRunner, signature};
pub use template::{TemplateError, TemplateSpec};
