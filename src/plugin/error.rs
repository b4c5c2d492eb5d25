//! The one error type of the plugin host.

use std::path::PathBuf;

/// Where a manifest error sits inside its file: the project's one
/// convention ([`crate::source::line_col`]).
pub use crate::source::LineCol;

/// `path` or `path:line:col`, for messages.
pub(crate) fn at(path: &std::path::Path, pos: Option<LineCol>) -> String {
    match pos {
        Some(p) => format!("{}:{p}", path.display()),
        None => path.display().to_string(),
    }
}

/// A manifest's or project file's bytes as text, or the position of the
/// first byte that is not UTF-8.
pub(crate) fn utf8_text(bytes: Vec<u8>) -> Result<String, LineCol> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = e.utf8_error().valid_up_to();
        let before =
            std::str::from_utf8(bytes.get(..valid).unwrap_or_default()).unwrap_or_default();
        crate::source::line_col(before, before.len())
    })
}

/// Everything that can go wrong when finding, loading or running a plugin.
///
/// Each variant's documentation names an input that triggers it. Plugin names
/// are quoted with backticks, file paths are printed as given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// A file or folder could not be read, e.g. a `plugin.toml` whose `wasm`
    /// file does not exist, or `--plugins /no/such/dir`.
    #[error("cannot read {}: {}", path.display(), crate::input::reason(.source))]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// The project file `vixshield.toml` is not valid, e.g. `[plugins] paths = "x"`
    /// (a string where a list is expected) or `[plugins] path = []` (unknown key).
    #[error("{}: {message}", at(path, *pos))]
    ProjectFile {
        /// The `vixshield.toml`.
        path: PathBuf,
        /// Line and column, when known.
        pos: Option<LineCol>,
        /// What is wrong.
        message: String,
    },

    /// A folder `vixshield.toml`'s `[plugins] paths` lists cannot be
    /// searched, e.g. `paths = ["vendor"]` without a `vendor` folder: said
    /// at its place in the file.
    #[error(
        "{}: plugin folder `{listed}` ({}) cannot be searched: {}",
        at(file, *pos),
        folder.display(),
        // A missing folder is `no such folder` already (`must_be_dir`).
        crate::input::reason(source)
    )]
    ListedFolder {
        /// The `vixshield.toml`.
        file: PathBuf,
        /// Where the folder is listed, when known.
        pos: Option<LineCol>,
        /// The folder as written.
        listed: String,
        /// The folder, relative to the project file's folder.
        folder: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// A `plugin.toml` is not valid, e.g. it has an unknown field `colour = 1`,
    /// misses `wasm`, says `abi = 2`, or has `output = "string"`.
    #[error("{}: {message}", at(path, *pos))]
    Manifest {
        /// The `plugin.toml`.
        path: PathBuf,
        /// Line and column, when known.
        pos: Option<LineCol>,
        /// What is wrong.
        message: String,
    },

    /// No plugin of that name was found, e.g. `registry.lookup("nope")`.
    #[error("no plugin named `{name}` (searched {})", list_dirs(searched))]
    NotFound {
        /// The name asked for.
        name: String,
        /// The folders searched.
        searched: Vec<PathBuf>,
    },

    /// Two plugin folders declare the same `name`, e.g. `a/rsi/plugin.toml` and
    /// `b/rsi/plugin.toml` both say `name = "rsi"`.
    #[error("two plugins are named `{name}`: {} and {}", first.display(), second.display())]
    NameClash {
        /// The clashing name.
        name: String,
        /// The first manifest found.
        first: PathBuf,
        /// The second manifest found.
        second: PathBuf,
    },

    /// The wasm file is not a valid WebAssembly module (or uses a feature the
    /// host does not enable), e.g. a text file renamed to `.wasm`.
    #[error("plugin `{plugin}`: {} is not a valid WebAssembly module: {message}", path.display())]
    InvalidModule {
        /// The plugin.
        plugin: String,
        /// The wasm file.
        path: PathBuf,
        /// What the compiler said.
        message: String,
    },

    /// The optimizing compiler (Cranelift) did not finish within
    /// [`HostConfig::compile_deadline`](super::HostConfig::compile_deadline).
    /// Its time can grow much faster than the module: a 60 KB function with
    /// a thousand locals live across many loops takes seconds, a 1 MB one
    /// minutes, where Winch takes milliseconds.
    #[error(
        "plugin `{plugin}`: the optimizing compiler (Cranelift) did not finish compiling {} within {seconds} s; the module is too large or too complex for it",
        path.display()
    )]
    CompileTimeout {
        /// The plugin.
        plugin: String,
        /// The wasm file.
        path: PathBuf,
        /// The deadline, in seconds.
        seconds: f64,
    },

    /// The module imports something; plugins must import nothing, e.g. a Rust
    /// plugin built for `wasm32-wasip1` imports `wasi_snapshot_preview1.fd_write`.
    #[error(
        "plugin `{plugin}` imports `{module}.{field}`; plugins must import nothing ({})",
        import_hint(module, field)
    )]
    Import {
        /// The plugin.
        plugin: String,
        /// The import's module name.
        module: String,
        /// The import's field name.
        field: String,
    },

    /// The module does not export the ABI marker `vxs_signal_v1`, e.g. any
    /// module written for another host. Detected before any of its code runs.
    #[error(
        "plugin `{plugin}` does not export `vxs_signal_v1`; it is not a vixshield plugin for ABI version 1 (a plugin declares it with an exported function that takes and returns nothing; in Rust: {})",
        rust_export("vxs_signal_v1")
    )]
    MissingAbiMarker {
        /// The plugin.
        plugin: String,
    },

    /// A required export is missing, e.g. a module without `vxs_alloc`.
    #[error(
        "plugin `{plugin}` does not export `{export}` (expected {expected}{})",
        rust_hint(export)
    )]
    MissingExport {
        /// The plugin.
        plugin: String,
        /// The missing export.
        export: &'static str,
        /// What was expected.
        expected: &'static str,
    },

    /// An export has the wrong kind or type, e.g. `vxs_alloc` declared as
    /// `(func (param i64) (result i64))`.
    #[error(
        "plugin `{plugin}`: export `{export}` has the wrong type: expected {expected}, found {found}{}",
        rust_hint(export)
    )]
    ExportType {
        /// The plugin.
        plugin: String,
        /// The export.
        export: &'static str,
        /// What was expected.
        expected: &'static str,
        /// What the module declares.
        found: String,
    },

    /// The module's memory starts larger than the plugin may use, so no
    /// computation could ever start, e.g. `(memory 65536)` (4 GiB) under the
    /// default 256 MiB.
    #[error(
        "plugin `{plugin}`: its memory starts at {initial_mib} MiB, more than its limit of {limit_mib} MiB (`[limits] memory_mib` in its manifest)"
    )]
    MemoryTooLarge {
        /// The plugin.
        plugin: String,
        /// The module's initial memory, in MiB (rounded up).
        initial_mib: u64,
        /// The plugin's memory limit, in MiB.
        limit_mib: u32,
    },

    /// The manifest asks for more than the host allows, e.g. `[limits]
    /// memory_mib = 2048` when the host allows at most 1024, at the value
    /// in the manifest (`plugin.toml:21:14: ...`).
    #[error(
        "{}: plugin `{plugin}` asks for {what} {requested}; the host allows at most {max}",
        at(manifest, *pos)
    )]
    LimitTooHigh {
        /// The `plugin.toml`.
        manifest: PathBuf,
        /// Where it gives the limit.
        pos: Option<LineCol>,
        /// The plugin.
        plugin: String,
        /// `fuel` or `memory_mib`.
        what: &'static str,
        /// The value asked for.
        requested: u64,
        /// The host's ceiling.
        max: u64,
    },

    /// `compute` got the wrong number of input series, e.g. two series for a
    /// plugin whose manifest says `inputs = 1`.
    #[error("plugin `{plugin}` takes {expected} input series, got {found}")]
    InputCount {
        /// The plugin.
        plugin: String,
        /// From the manifest.
        expected: usize,
        /// Passed in.
        found: usize,
    },

    /// `compute` got input series of different lengths, e.g. `[&[1.0, 2.0], &[1.0]]`.
    #[error("plugin `{plugin}`: input series {index} has {found} bars but series 0 has {expected}")]
    InputLength {
        /// The plugin.
        plugin: String,
        /// The index of the offending series.
        index: usize,
        /// The length of series 0.
        expected: usize,
        /// Its length.
        found: usize,
    },

    /// `compute` got the wrong number of parameters, e.g. none for a plugin
    /// whose manifest declares `period`.
    #[error("plugin `{plugin}` takes {expected} parameters ({names}), got {found}")]
    ParamCount {
        /// The plugin.
        plugin: String,
        /// From the manifest.
        expected: usize,
        /// Passed in.
        found: usize,
        /// The parameter names, comma-separated.
        names: String,
    },

    /// The data cannot fit in a 32-bit WebAssembly memory, e.g. 300 million bars.
    #[error(
        "plugin `{plugin}`: {what} needs {bytes} bytes, more than a 32-bit WebAssembly memory can hold"
    )]
    TooLarge {
        /// The plugin.
        plugin: String,
        /// Which buffer.
        what: &'static str,
        /// The bytes it needs.
        bytes: u128,
    },

    /// `vxs_alloc` returned 0, e.g. a plugin whose allocator is out of space,
    /// or one that hands out the start of a memory that starts empty (the
    /// first `memory.grow` of `(memory 0)` returns page 0).
    #[error(
        "plugin `{plugin}`: `vxs_alloc` returned 0 for {size} bytes ({what}), which means it could not allocate them (no buffer may start at offset 0: an allocator must not hand out the first bytes of memory, which the first `memory.grow` of a memory that starts empty does)"
    )]
    AllocFailed {
        /// The plugin.
        plugin: String,
        /// Which buffer.
        what: &'static str,
        /// The size asked for.
        size: u32,
    },

    /// `vxs_alloc` returned a range outside memory or overlapping another
    /// buffer, e.g. `(func (param i32) (result i32) i32.const 0x7fff0000)`.
    #[error(
        "plugin `{plugin}`: `vxs_alloc` returned offset {offset} for {size} bytes ({what}), which is {problem}"
    )]
    BadAlloc {
        /// The plugin.
        plugin: String,
        /// Which buffer.
        what: &'static str,
        /// The offset returned.
        offset: u32,
        /// The size asked for.
        size: u32,
        /// Why it is unusable, e.g. `past the end of its 65536-byte memory`.
        problem: String,
    },

    /// The plugin used up its fuel, e.g. `(loop br 0)`. The budget is the
    /// manifest's `[limits] fuel`, else the host's default.
    #[error(
        "plugin `{plugin}` ran out of its budget of {fuel} fuel units in `{export}` (a plugin that needs more asks for it with `[limits] fuel` in its manifest)"
    )]
    OutOfFuel {
        /// The plugin.
        plugin: String,
        /// The export that was running.
        export: &'static str,
        /// The budget.
        fuel: u64,
    },

    /// The plugin tried to grow its memory past its cap, e.g. a loop of
    /// `memory.grow` with a 1 MiB cap, or a module declaring 300 MiB of
    /// initial memory with the default cap.
    #[error(
        "plugin `{plugin}`: `{export}` exceeded its memory limit of {limit_mib} MiB (tried to grow memory to {desired} bytes)"
    )]
    MemoryLimit {
        /// The plugin.
        plugin: String,
        /// The export (or `instantiation`).
        export: &'static str,
        /// The cap.
        limit_mib: u32,
        /// The size it asked for.
        desired: u64,
    },

    /// The plugin trapped, e.g. `unreachable`, an out-of-bounds store, a
    /// division by zero, or endless recursion (`stack overflow`).
    #[error("plugin `{plugin}`: `{export}` trapped: {trap}")]
    Trap {
        /// The plugin.
        plugin: String,
        /// The export that was running (or `instantiation`).
        export: &'static str,
        /// The trap, e.g. `out of bounds memory access`, `stack overflow`.
        trap: String,
    },

    /// `vxs_compute` returned a non-zero status, e.g. `wilder_rsi` with
    /// `period = 1` returns 2.
    #[error(
        "plugin `{plugin}`: `vxs_compute` returned error code {code}{meaning} (called with {call})"
    )]
    Status {
        /// The plugin.
        plugin: String,
        /// The code.
        code: i32,
        /// `: ` and what the manifest's `[errors]` says the code means, or
        /// nothing when it does not say.
        meaning: String,
        /// What it was given, as the manifest names it: `1 input series of
        /// 9235 bars and 1 param (period = 1)`; a plugin whose code expects
        /// other counts than its manifest declares shows it here.
        call: String,
    },

    /// The WebAssembly engine could not be set up (e.g. the host CPU lacks a
    /// feature Cranelift needs). Not caused by a plugin.
    #[error("cannot start the WebAssembly engine: {message}")]
    Engine {
        /// What wasmtime said.
        message: String,
    },
}

/// How a Rust plugin declares the ABI export `export`, if it is a function.
fn rust_export(export: &str) -> &'static str {
    match export {
        "vxs_signal_v1" => "`#[unsafe(no_mangle)] pub extern \"C\" fn vxs_signal_v1() {}`",
        "vxs_alloc" => "`#[unsafe(no_mangle)] pub extern \"C\" fn vxs_alloc(size: i32) -> i32`",
        "vxs_compute" => {
            "`#[unsafe(no_mangle)] pub extern \"C\" fn vxs_compute(inputs: i32, n_inputs: i32, n_bars: i32, params: i32, n_params: i32, out: i32) -> i32`"
        }
        _ => "",
    }
}

/// What to do about an import: AssemblyScript's runtime and standard
/// library import a few `env` functions, which `asc` options or leaving out
/// a call remove; anything else comes from a WASI or JS-bindings build.
fn import_hint(module: &str, field: &str) -> &'static str {
    match (module, field) {
        ("env", "abort") => {
            "AssemblyScript's runtime imports it to report an error: build with `asc ... --use abort=`, which makes an abort a trap"
        }
        ("env", f) if matches!(f, "trace" | "seed" | "Date.now") || f.starts_with("console.") => {
            "AssemblyScript's `trace`, `Math.random`, `Date.now` and `console` import `env` functions: leave those calls out"
        }
        _ => "build for wasm32-unknown-unknown without WASI or JS bindings",
    }
}

/// `; in Rust: ...` for a function export, else nothing.
fn rust_hint(export: &str) -> String {
    match rust_export(export) {
        "" => String::new(),
        decl => format!("; in Rust: {decl}"),
    }
}

/// What to do when a manifest's module does not exist: the usual cause is
/// a plugin not built yet, or built but not copied next to its manifest.
const MISSING_MODULE_HINT: &str = "no such file: build the plugin and copy its module there, under the name `wasm` gives in its plugin.toml (a Rust crate's is `target/wasm32-unknown-unknown/release/<crate>.wasm` after `cargo build --release --target wasm32-unknown-unknown`)";

/// [`MISSING_MODULE_HINT`], or, when cargo's build of the module is in the
/// plugin's own folder (a crate `plugin new` made, built but not copied),
/// the command that copies it.
pub(crate) fn missing_module_hint(manifest: &super::Manifest) -> String {
    let built = std::path::Path::new("target")
        .join("wasm32-unknown-unknown")
        .join("release")
        .join(&manifest.wasm);
    if manifest.dir().join(&built).is_file() {
        format!(
            "no such file, but its crate's build is beside it: copy it there (`cp {} .` in {})",
            built.display(),
            manifest.dir().display()
        )
    } else {
        MISSING_MODULE_HINT.to_string()
    }
}

fn list_dirs(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "no plugin folders".to_string();
    }
    dirs.iter()
        .map(|d| match super::registry::itself_a_plugin(d) {
            Some(note) => format!("{} ({note})", d.display()),
            None => d.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
