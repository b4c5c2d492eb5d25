//! `vixshield plugin list | inspect PATH | test PATH`

use super::common::PluginArgs;
use super::{Format, exit, io_reason};
use crate::market::Market;
use crate::plugin::{
    ABI_VERSION, BULK_BLOCK_BYTES, BULK_BLOCK_COST, BULK_CALL_COST, CACHE_DIR_ENV, DiskCache,
    FREE_LOCAL_BYTES, LOCAL_BLOCK_BYTES, LoadOrigin, Manifest, OutputKind, PluginError, PluginHost,
    PluginRegistry, TemplateSpec, Tier, Tiering, host_charged_locals, host_metered_operators,
    winch_meters_fully,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Custom signals in WebAssembly: list, inspect and try plugins.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: PluginCommand,
}

#[derive(clap::Subcommand, Debug)]
enum PluginCommand {
    /// List the plugins a strategy here can call: name, version, ABI, inputs,
    /// params with defaults, module file and its SHA-256.
    List(ListArgs),
    /// Show a plugin's manifest, its module's imports and exports, and whether it loads.
    Inspect(PathArgs),
    /// Run a plugin over the bundled VIX closes (and VIX3M, SPX for plugins of
    /// 2 or 3 inputs, or the series `--input` names) with its default params,
    /// or those given with `--param`.
    Test(TestArgs),
    /// Show the cache of compiled plugins (folder, entries, size, whether it
    /// is used), or empty it with `--clear`.
    Cache(CacheArgs),
    /// Make a new plugin: a Rust crate in PATH (a new folder named like the
    /// plugin) with its `plugin.toml`, ready to build for
    /// wasm32-unknown-unknown; write the signal in `compute` in `src/lib.rs`.
    New(NewArgs),
}

#[derive(clap::Args, Debug)]
struct NewArgs {
    /// The folder to make; its last part is the plugin's name, which
    /// strategies call (`plugins/vix_zscore`).
    #[arg(value_name = "PATH")]
    path: PathBuf,
    /// How many series it takes.
    #[arg(long, default_value_t = 1, value_name = "N", allow_hyphen_values = true, value_parser = input_count)]
    inputs: u32,
    /// `number` or `bool`.
    #[arg(long, value_enum, default_value_t = NewOutput::Number)]
    output: NewOutput,
    /// A param and its default (`--param period=14`); repeatable, in the
    /// order a strategy passes them.
    #[arg(
        long = "param",
        value_name = "NAME=DEFAULT",
        allow_hyphen_values = true
    )]
    params: Vec<String>,
    /// The manifest's one-line description.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum NewOutput {
    Number,
    Bool,
}

#[derive(clap::Args, Debug)]
struct CacheArgs {
    /// Remove every compiled plugin from the cache.
    #[arg(long)]
    clear: bool,
    /// `human` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    /// `human` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    #[command(flatten)]
    plugins: PluginArgs,
}

#[derive(clap::Args, Debug)]
struct PathArgs {
    /// The plugin's folder or its `plugin.toml`.
    #[arg(value_name = "PATH")]
    path: PathBuf,
    /// Compile the plugin afresh: neither read nor write the cache of
    /// compiled plugins.
    #[arg(long)]
    no_plugin_cache: bool,
    /// `human` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::Args, Debug)]
struct TestArgs {
    #[command(flatten)]
    path: PathArgs,
    /// A param's value instead of its default, as a strategy passes it: a
    /// number or a percentage (`--param period=7`, `--param drop=5%`);
    /// repeatable, once a param.
    #[arg(long = "param", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    params: Vec<String>,
    /// A bundled series to pass, in the order a strategy passes them
    /// (`--input spx --input vix`); once for each input the plugin takes.
    /// Without it: vix, then vix3m, then spx.
    #[arg(long = "input", value_name = "SERIES", value_parser = ["vix", "vix3m", "spx"])]
    inputs: Vec<String>,
}

pub fn run(args: Args, _color: bool) -> ExitCode {
    match args.command {
        PluginCommand::List(a) => list(&a),
        PluginCommand::Inspect(a) => inspect(&a),
        PluginCommand::Test(a) => test(&a.path, &a.params, &a.inputs),
        PluginCommand::Cache(a) => cache(&a),
        PluginCommand::New(a) => new(&a),
    }
}

/// The plugins of the project around the current directory plus `dirs`;
/// on error, says why and gives the exit code.
fn registry(dirs: &[PathBuf]) -> Result<PluginRegistry, ExitCode> {
    PluginRegistry::from_current_dir(dirs).map_err(|e| setup_failed(&e))
}

/// Says why the plugin setup could not be made, and the exit status: I/O
/// trouble for a folder that cannot be read, a finding for a project file
/// that says something wrong.
fn setup_failed(e: &PluginError) -> ExitCode {
    say!("error: {e}");
    match e {
        PluginError::Io { .. } | PluginError::ListedFolder { .. } => exit::trouble(),
        _ => exit::findings(),
    }
}

fn cache(args: &CacheArgs) -> ExitCode {
    // The cache is the user's, not the project's: a project file that
    // cannot be read only means commands here would stop before using it,
    // and must not keep it from being shown or cleared.
    let registry = PluginRegistry::from_current_dir(&[]);
    let Some(dir) = DiskCache::default_dir() else {
        say!("error: no cache folder: set ${CACHE_DIR_ENV} (no user cache folder was found)");
        return exit::trouble();
    };
    let disk = DiskCache::at(&dir);
    let removed = if args.clear {
        match disk.clear() {
            Ok(n) => Some(n),
            Err(e) => {
                say!("error: cannot clear `{}`: {}", dir.display(), io_reason(&e));
                return exit::trouble();
            }
        }
    } else {
        None
    };
    let entries = match disk.entries() {
        Ok(e) => e,
        // A file where the folder should be holds no entries; `problem`
        // says why it is not used.
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Vec::new(),
        Err(e) => {
            say!("error: cannot read `{}`: {}", dir.display(), io_reason(&e));
            return exit::trouble();
        }
    };
    let bytes: u64 = entries.iter().map(|(_, n)| n).sum();
    // Why commands here would not use it.
    let unused = match &registry {
        Err(e) => Some(format!("commands here stop at the project file: {e}")),
        Ok(r) if !r.disk_cache_allowed() => {
            Some("this project's vixshield.toml says `cache = false`".to_string())
        }
        Ok(_) => disk.problem(),
    };
    // Used for reading, a compile may still not be kept (a read-only file
    // system, a folder that cannot be created).
    let unwritable = if unused.is_none() {
        disk.write_problem()
    } else {
        None
    };
    let printed = super::output::print(|w| {
        match args.format {
            Format::Json => {
                let v = json!({
                    "dir": dir.display().to_string(),
                    "entries": entries.len(),
                    "bytes": bytes,
                    "used": unused.is_none(),
                    "not_used_because": unused,
                    "keeps_compiles": unused.is_none() && unwritable.is_none(),
                    // Not used: not kept either, for that reason.
                    "not_kept_because": unwritable.clone().or_else(|| unused.clone()),
                    "removed": removed,
                });
                writeln!(
                    w,
                    "{}",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                )?;
            }
            Format::Human => {
                writeln!(
                    w,
                    "cache    {}",
                    crate::diag::terminal_safe(&dir.display().to_string())
                )?;
                if let Some(n) = removed {
                    writeln!(
                        w,
                        "removed  {n} compiled plugin{}",
                        if n == 1 { "" } else { "s" }
                    )?;
                }
                writeln!(
                    w,
                    "entries  {} ({:.2} MiB)",
                    entries.len(),
                    bytes as f64 / (1024.0 * 1024.0)
                )?;
                match &unused {
                    None => writeln!(w, "used     yes")?,
                    Some(why) => writeln!(w, "used     no: {}", crate::diag::terminal_safe(why))?,
                }
                if let Some(why) = &unwritable {
                    writeln!(
                        w,
                        "kept     no: {} (what it holds is read, a new compile is not kept)",
                        crate::diag::terminal_safe(why)
                    )?;
                }
            }
        }
        Ok(())
    });
    if let Err(code) = printed {
        return code;
    }
    exit::ok()
}

/// `path` relative to the current directory when it lies inside it.
fn shown(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf));
    rel.unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

fn output_word(o: OutputKind) -> &'static str {
    match o {
        OutputKind::Number => "number",
        OutputKind::Bool => "bool",
    }
}

fn params_text(m: &Manifest) -> String {
    if m.params.is_empty() {
        return "none".into();
    }
    m.params
        .iter()
        .map(|p| match p.limits.describe() {
            Some(takes) => format!("{} = {} ({takes})", p.name, p.default),
            None => format!("{} = {}", p.name, p.default),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A param `plugin test` passes: its value and whether `--param` gave it.
#[derive(Debug)]
struct TestParam<'m> {
    name: &'m str,
    value: f64,
    given: bool,
}

/// The params of `m` in manifest order: each `NAME=VALUE` of `given` in
/// place of its default. A value is written as a strategy passes it to a
/// plugin: a number (`7`, `-0.5`, `1e3`) or a percentage (`5%`, 0.05).
fn params_given<'m>(m: &'m Manifest, given: &[String]) -> Result<Vec<TestParam<'m>>, String> {
    let mut params: Vec<TestParam> = m
        .params
        .iter()
        .map(|p| TestParam {
            name: &p.name,
            value: p.default,
            given: false,
        })
        .collect();
    for arg in given {
        let Some((name, text)) = arg.split_once('=') else {
            return Err(format!(
                "`--param {arg}`: write NAME=VALUE (`--param {}=7`)",
                m.params.first().map_or("period", |p| p.name.as_str())
            ));
        };
        let (name, text) = (name.trim(), text.trim());
        let Some(p) = params.iter_mut().find(|p| p.name == name) else {
            let names: Vec<&str> = m.params.iter().map(|p| p.name.as_str()).collect();
            let known = if names.is_empty() {
                "it takes no params".to_string()
            } else {
                let guess = crate::diag::did_you_mean(name, names.iter().copied())
                    .map(|g| format!("{g} "))
                    .unwrap_or_default();
                format!("{guess}its params are {}", names.join(", "))
            };
            return Err(format!(
                "`--param {arg}`: plugin `{}` has no param `{name}`; {known}",
                m.name
            ));
        };
        if p.given {
            return Err(format!("`--param {name}` is given twice"));
        }
        let value = number_arg(text).ok_or_else(|| {
            format!("`--param {arg}`: `{text}` is not a finite number (write `7`, `-0.5` or `5%`)")
        })?;
        // The manifest's limits, as `check` holds a strategy to them.
        if let Some(limits) = m.params.iter().find(|q| q.name == name).map(|q| q.limits)
            && !limits.admits(value)
        {
            return Err(format!(
                "`--param {arg}`: `{name}` must be {}, as the manifest's limits say",
                limits.describe().unwrap_or_default()
            ));
        }
        p.value = value;
        p.given = true;
    }
    Ok(params)
}

/// `period = 7 (given), drop = 0.05 (default)`, or `none`.
fn given_params_text(params: &[TestParam]) -> String {
    if params.is_empty() {
        return "none".into();
    }
    params
        .iter()
        .map(|p| {
            let how = if p.given { "given" } else { "default" };
            format!("{} = {} ({how})", p.name, p.value)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The module's bytes, or why they cannot be read.
fn module_bytes(m: &Manifest) -> Result<Vec<u8>, String> {
    let path = m.wasm_path();
    crate::input::read_regular(&path, crate::input::WASM).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::NotFound {
            crate::plugin::missing_module_hint(m)
        } else {
            io_reason(&e)
        };
        format!("cannot read `{}`: {reason}", shown(&path))
    })
}

/// A manifest's fields as JSON (paths as shown).
fn manifest_json(m: &Manifest) -> serde_json::Value {
    json!({
        "name": m.name,
        "version": m.version,
        "abi": m.abi,
        "description": m.description,
        "inputs": m.inputs,
        "output": output_word(m.output),
        "params": m.params.iter().map(|p| json!({
            "name": p.name,
            "default": p.default,
            "min": p.limits.min,
            "above": p.limits.above,
            "max": p.limits.max,
            "below": p.limits.below,
            "integer": p.limits.integer,
        })).collect::<Vec<_>>(),
        "limits": {"fuel": m.limits.fuel, "memory_mib": m.limits.memory_mib},
        "errors": m.errors.iter().map(|(code, meaning)| json!({"code": code, "meaning": meaning})).collect::<Vec<_>>(),
        "manifest": shown(&m.path),
        "module": shown(&m.wasm_path()),
    })
}

/// A problem of `plugin list` that is no listed plugin (a manifest that
/// cannot be read, a folder that cannot be searched) as an entry of its
/// list: the keys of a plugin's entry, `null`, but `manifest` (the file or
/// folder, when the problem names one) and `error`.
fn problem_json(path: Option<&Path>, error: String) -> serde_json::Value {
    json!({
        "name": null,
        "version": null,
        "abi": null,
        "description": null,
        "inputs": null,
        "output": null,
        "params": null,
        "limits": null,
        "errors": null,
        "manifest": path.map(shown),
        "module": null,
        "bytes": null,
        "sha256": null,
        "error": error,
    })
}

fn list(args: &ListArgs) -> ExitCode {
    let registry = match PluginRegistry::from_current_dir(&args.plugins.plugins) {
        Ok(r) => r,
        Err(e) => {
            // The list is the data: a setup that cannot be read (a
            // `--plugins` folder, a `vixshield.toml`) is its one entry, as
            // `check --format json` gives it, on the same exit status.
            if args.format == Format::Json {
                let path = match &e {
                    PluginError::Io { path, .. } => Some(path.as_path()),
                    PluginError::ListedFolder { file, .. } => Some(file.as_path()),
                    _ => None,
                };
                let list = json!([problem_json(path, e.to_string())]);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            }
            return setup_failed(&e);
        }
    };
    let mut problems: Vec<String> = registry
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect();
    // The registry's problems in the JSON too, each where it belongs: a
    // name clash on the two listed plugins it names, anything else (a
    // broken manifest, a folder that cannot be read) an entry of its own.
    let mut clashes: Vec<(&Path, String)> = Vec::new();
    let mut unlisted = Vec::new();
    for p in registry.problems() {
        match p {
            PluginError::NameClash { first, second, .. } => {
                clashes.push((first, p.to_string()));
                clashes.push((second, p.to_string()));
            }
            PluginError::Manifest { path, .. } | PluginError::Io { path, .. } => {
                unlisted.push(problem_json(Some(path), p.to_string()));
            }
            _ => unlisted.push(problem_json(None, p.to_string())),
        }
    }
    let mut json_list = Vec::new();
    let mut text = String::new();
    for m in registry.manifests() {
        // This plugin's problems (each also a line on stderr, and exit 1).
        let mut own: Vec<String> = Vec::new();
        if let Some(what) = taken_name(&m.name) {
            // "plugin `rsi` (...) has the name of a built-in signal".
            let what = what
                .replacen("is the name of", "has the name of", 1)
                .replacen("is a keyword", "is named with a keyword", 1);
            own.push(format!(
                "plugin `{}` ({}) {what}; strategies cannot call it: rename it",
                m.name,
                shown(&m.path)
            ));
        }
        let bytes = module_bytes(m);
        let (size, hash) = match &bytes {
            Ok(b) => (Some(b.len()), Some(hex(&Sha256::digest(b)))),
            Err(e) => {
                own.push(format!("plugin `{}`: {e}", m.name));
                (None, None)
            }
        };
        match args.format {
            Format::Json => {
                let mut v = manifest_json(m);
                v["bytes"] = json!(size);
                v["sha256"] = json!(hash);
                // Why the listed plugin fails the run (`null`: it does not),
                // as `plugin inspect` and `plugin test` say it.
                let why: Vec<&str> = clashes
                    .iter()
                    .filter(|(path, _)| *path == m.path.as_path())
                    .map(|(_, why)| why.as_str())
                    .chain(own.iter().map(String::as_str))
                    .collect();
                v["error"] = json!((!why.is_empty()).then(|| why.join("; ")));
                json_list.push(v);
            }
            Format::Human => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&format!(
                    "{} {} (abi {}): {}\n",
                    m.name, m.version, m.abi, m.description
                ));
                text.push_str(&format!(
                    "  inputs   {} series\n  output   {}\n  params   {}\n",
                    m.inputs,
                    output_word(m.output),
                    params_text(m)
                ));
                text.push_str(&format!("  manifest {}\n", shown(&m.path)));
                text.push_str(&format!(
                    "  module   {}{}\n",
                    shown(&m.wasm_path()),
                    size.map(|n| format!(" ({n} bytes)")).unwrap_or_default()
                ));
                text.push_str(&format!(
                    "  sha-256  {}\n",
                    hash.as_deref().unwrap_or("- (module unreadable)")
                ));
            }
        }
        problems.extend(own);
    }
    json_list.extend(unlisted);
    let printed = super::output::print(|w| {
        match args.format {
            Format::Json => writeln!(
                w,
                "{}",
                serde_json::to_string_pretty(&json_list).unwrap_or_default()
            )?,
            Format::Human => {
                let dirs: Vec<String> = registry.dirs().iter().map(|d| shown(d)).collect();
                let project = registry
                    .project_file()
                    .map(|f| format!(" (project file {})", shown(f)))
                    .unwrap_or_default();
                if dirs.is_empty() {
                    writeln!(
                        w,
                        "plugin folders: none: no `plugins/` here and no `--plugins DIR`{project}"
                    )?;
                    if registry.project_file().is_none() {
                        writeln!(
                            w,
                            "(a `vixshield.toml`, even an empty one, marks a project's root: its \
                             `plugins/` is found from any folder below it)"
                        )?;
                    }
                } else {
                    writeln!(w, "plugin folders: {}{project}", dirs.join(", "))?;
                }
                if registry.manifests().is_empty() {
                    writeln!(w, "no plugins found")?;
                    for d in registry.dirs() {
                        if let Some(note) = crate::plugin::itself_a_plugin(d) {
                            writeln!(w, "note: `{}` is {note}", shown(d))?;
                        }
                    }
                } else {
                    write!(w, "\n{text}")?;
                }
            }
        }
        Ok(())
    });
    if let Err(code) = printed {
        return code;
    }
    for p in &problems {
        say!("error: {p}");
    }
    if problems.is_empty() {
        exit::ok()
    } else {
        exit::findings()
    }
}

/// The manifest at PATH (a plugin folder or its `plugin.toml`).
fn manifest_at(path: &Path) -> Result<Manifest, ExitCode> {
    read_manifest(path).map_err(|f| {
        say!("error: {}", f.why);
        f.code
    })
}

/// Why [`read_manifest`] has no manifest.
struct NoManifest {
    /// 2 when it cannot be read, 1 when it says something wrong.
    code: ExitCode,
    /// The `plugin.toml`.
    file: PathBuf,
    /// Why, in words (said as `error: ...`).
    why: String,
}

/// [`manifest_at`], giving the reason rather than saying it.
fn read_manifest(path: &Path) -> Result<Manifest, NoManifest> {
    let file = if path.is_dir() {
        path.join(crate::plugin::MANIFEST_FILE)
    } else {
        path.to_path_buf()
    };
    let regular = match std::fs::metadata(&file) {
        Ok(meta) => meta.is_file(),
        Err(e) => {
            return Err(NoManifest {
                code: exit::trouble(),
                why: format!("cannot read `{}`: {}", file.display(), io_reason(&e)),
                file,
            });
        }
    };
    // A module given for its plugin: say so, rather than that it is not
    // UTF-8 (only a regular file is opened: a FIFO would block).
    let mut magic = [0u8; 4];
    let is_module = regular
        && std::fs::File::open(&file)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok_and(|()| magic == *b"\0asm");
    if is_module {
        return Err(NoManifest {
            code: exit::trouble(),
            why: format!(
                "`{}` is a WebAssembly module, not a plugin manifest: give its plugin's folder or `{}` (which names the module)",
                file.display(),
                crate::plugin::MANIFEST_FILE
            ),
            file,
        });
    }
    Manifest::from_file(&file).map_err(|e| NoManifest {
        code: match e {
            PluginError::Io { .. } => exit::trouble(),
            _ => exit::findings(),
        },
        why: e.to_string(),
        file,
    })
}

/// `plugin inspect`'s JSON with every key it can have, each `null`: a
/// plugin whose module cannot be read or loaded leaves some unknown, and a
/// manifest that says something wrong all but `manifest`, `valid` and
/// `error`.
fn inspect_json_unknown() -> serde_json::Value {
    let mut v = problem_json(None, String::new());
    for key in [
        "imports",
        "exports",
        "module_error",
        "tier",
        "tier_reason",
        "host_metered_operators",
        "host_charged_locals",
        "valid",
        "error",
    ] {
        v[key] = serde_json::Value::Null;
    }
    v
}

/// The plugin host with the settings of the project around the current
/// directory (`vixshield.toml`'s `[plugins] canonicalize_nans` and `cache`).
fn host(no_cache: bool) -> Result<PluginHost, ExitCode> {
    super::common::setup(registry(&[])?, no_cache)
        .host()
        .map_err(|e| {
            say!("error: {e}");
            exit::trouble()
        })
}

fn inspect(args: &PathArgs) -> ExitCode {
    let m = match read_manifest(&args.path) {
        Ok(m) => m,
        Err(f) => {
            say!("error: {}", f.why);
            // A manifest that says something wrong is inspect's verdict
            // (exit 1): JSON says it, as it says a module's. One that
            // cannot be read is trouble (exit 2), with nothing to inspect.
            if args.format == Format::Json && f.code == exit::findings() {
                let mut v = inspect_json_unknown();
                v["manifest"] = json!(shown(&f.file));
                v["valid"] = json!(false);
                v["error"] = json!(f.why);
                if let Err(code) = super::output::print(|w| {
                    writeln!(
                        w,
                        "{}",
                        serde_json::to_string_pretty(&v).unwrap_or_default()
                    )
                }) {
                    return code;
                }
            }
            return f.code;
        }
    };
    let host = match host(args.no_plugin_cache) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let bytes = module_bytes(&m);
    let described = bytes
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|b| host.describe(&m, b).map_err(|e| e.to_string()));
    let verdict = bytes
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|b| host.load_bytes(&m, b).map_err(|e| e.to_string()));
    let clash = taken_name(&m.name).map(|what| {
        format!(
            "`{}` {what}; strategies cannot call this plugin: rename it",
            m.name
        )
    });
    let valid = verdict.is_ok() && clash.is_none();
    // Which compiler a command would load it with, and why not the fast one.
    let compiler = verdict.as_ref().ok().map(|loaded| {
        let tier = loaded.tier();
        let why = match (tier, &bytes) {
            (Tier::Baseline, _) => None,
            (Tier::Optimized, _) if host.config().tiering == Tiering::Optimized => None,
            (Tier::Optimized, Ok(b)) if !winch_meters_fully(b) => Some(
                "it uses `memory.init` or table operators, which only Cranelift charges fuel for per byte or element",
            ),
            (Tier::Optimized, _) => Some("the baseline compiler does not take this module"),
        };
        (tier, why)
    });
    // Bulk operators whose bytes the host charges fuel for itself.
    let metered = bytes.as_ref().map_or(0, |b| host_metered_operators(b));
    // Functions whose locals the host charges for at each call.
    let locals = bytes
        .as_ref()
        .map_or_else(|_| Vec::new(), |b| host_charged_locals(b));
    let fuel = host.config().default_fuel;
    let memory = host.config().default_memory_mib;
    let printed = super::output::print(|w| {
        match args.format {
            Format::Json => {
                // Every key, `null` where this plugin leaves it unknown.
                let mut v = inspect_json_unknown();
                if let (Some(all), serde_json::Value::Object(known)) =
                    (v.as_object_mut(), manifest_json(&m))
                {
                    all.extend(known);
                }
                if let Ok(b) = &bytes {
                    v["bytes"] = json!(b.len());
                    v["sha256"] = json!(hex(&Sha256::digest(b)));
                }
                match &described {
                    Ok(info) => {
                        v["imports"] = json!(info.imports);
                        v["exports"] = json!(info.exports);
                    }
                    Err(e) => v["module_error"] = json!(e),
                }
                if let Some((tier, why)) = compiler {
                    v["tier"] = json!(tier_word(tier));
                    v["tier_reason"] = json!(why);
                    v["host_metered_operators"] = json!(metered);
                    v["host_charged_locals"] = json!(locals);
                }
                v["valid"] = json!(valid);
                v["error"] = json!(verdict.as_ref().err().or(clash.as_ref()));
                writeln!(
                    w,
                    "{}",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                )?;
            }
            Format::Human => {
                writeln!(w, "plugin {} {} (abi {})", m.name, m.version, m.abi)?;
                writeln!(w, "  description {}", m.description)?;
                writeln!(w, "  manifest    {}", shown(&m.path))?;
                writeln!(w, "  inputs      {} series", m.inputs)?;
                writeln!(w, "  output      {}", output_word(m.output))?;
                writeln!(w, "  params      {}", params_text(&m))?;
                for (i, (code, meaning)) in m.errors.iter().enumerate() {
                    let label = if i == 0 { "errors" } else { "" };
                    writeln!(w, "  {label:<11} {code} = {meaning}")?;
                }
                writeln!(
                    w,
                    "  limits      fuel {}, memory {}",
                    m.limits
                        .fuel
                        .map_or(format!("{fuel} (default)"), |f| f.to_string()),
                    m.limits
                        .memory_mib
                        .map_or(format!("{memory} MiB (default)"), |f| format!("{f} MiB")),
                )?;
                match &bytes {
                    Ok(b) => {
                        writeln!(
                            w,
                            "  module      {} ({} bytes)",
                            shown(&m.wasm_path()),
                            b.len()
                        )?;
                        writeln!(w, "  sha-256     {}", hex(&Sha256::digest(b)))?;
                    }
                    Err(e) => writeln!(w, "  module      {e}")?,
                }
                match compiler {
                    Some((tier, None)) => writeln!(w, "  compiler    {tier}")?,
                    Some((tier, Some(why))) => writeln!(w, "  compiler    {tier}: {why}")?,
                    None => {}
                }
                if compiler.is_some() && metered > 0 {
                    writeln!(
                        w,
                        "  metering    {metered} `memory.copy`/`memory.fill` charged by the host: \
                     {BULK_CALL_COST} fuel units a call, {BULK_BLOCK_COST} per {BULK_BLOCK_BYTES} bytes"
                    )?;
                }
                if compiler.is_some() && !locals.is_empty() {
                    let label = if metered > 0 { "" } else { "metering" };
                    let (n, whose) = match locals.len() {
                        1 => ("1 function".to_string(), "its"),
                        n => (format!("{n} functions"), "their"),
                    };
                    writeln!(
                        w,
                        "  {label:<11} {n} charged for {whose} locals at each call: \
                         {BULK_BLOCK_COST} fuel units per {LOCAL_BLOCK_BYTES} bytes beyond {FREE_LOCAL_BYTES}"
                    )?;
                    const SHOWN: usize = 10;
                    for charge in locals.iter().take(SHOWN) {
                        let export = charge
                            .export
                            .as_ref()
                            .map(|name| format!(" (`{name}`)"))
                            .unwrap_or_default();
                        writeln!(
                            w,
                            "                func {}{export}: {} bytes of locals, {} fuel units a call",
                            charge.function, charge.local_bytes, charge.fuel_per_call
                        )?;
                    }
                    if locals.len() > SHOWN {
                        writeln!(w, "                and {} more", locals.len() - SHOWN)?;
                    }
                }
                match &described {
                    Ok(info) => {
                        let width = info
                            .imports
                            .iter()
                            .chain(&info.exports)
                            .map(|i| i.name.len())
                            .max()
                            .unwrap_or(0);
                        for (title, items) in
                            [("imports", &info.imports), ("exports", &info.exports)]
                        {
                            if items.is_empty() {
                                writeln!(w, "{title}: none")?;
                                continue;
                            }
                            writeln!(w, "{title}:")?;
                            for i in items {
                                writeln!(w, "  {:<width$}  {}", i.name, i.ty)?;
                            }
                        }
                    }
                    Err(e) => writeln!(w, "module: {e}")?,
                }
                match (&verdict, &clash) {
                    (Ok(_), None) => writeln!(
                        w,
                        "verdict: valid: a vixshield plugin for ABI version {ABI_VERSION}"
                    )?,
                    (Err(e), _) => writeln!(w, "verdict: invalid: {e}")?,
                    (Ok(_), Some(c)) => writeln!(w, "verdict: invalid: {c}")?,
                }
            }
        }
        Ok(())
    });
    if let Err(code) = printed {
        return code;
    }
    if valid { exit::ok() } else { exit::findings() }
}

/// Where a load found its code, in JSON output.
fn origin_word(origin: LoadOrigin) -> &'static str {
    match origin {
        LoadOrigin::Memory => "memory",
        LoadOrigin::Disk => "disk_cache",
        _ => "compiled",
    }
}

/// `--inputs N`: a count (`new` says when it is not 1 to
/// [`MAX_INPUTS`](crate::plugin::MAX_INPUTS)); `-1` is this flag's value,
/// refused with its message, not an unknown flag.
fn input_count(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let max = crate::plugin::MAX_INPUTS;
    match t.parse::<i128>() {
        Ok(n) => {
            u32::try_from(n).map_err(|_| format!("a plugin takes 1 to {max} input series, not {t}"))
        }
        Err(e)
            if matches!(
                e.kind(),
                std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
            ) =>
        {
            Err(format!("a plugin takes 1 to {max} input series, not {t}"))
        }
        Err(_) => Err(format!(
            "`{t}` is not a whole number of input series (1 to {max})"
        )),
    }
}

fn new(args: &NewArgs) -> ExitCode {
    let Some(name) = args.path.file_name().and_then(|n| n.to_str()) else {
        say!(
            "error: `{}` does not end in a folder name, which would be the plugin's",
            args.path.display()
        );
        return exit::trouble();
    };
    if let Some(what) = taken_name(name) {
        say!("error: `{name}` {what}; a strategy could not call the plugin: choose another name");
        return exit::trouble();
    }
    let mut params: Vec<crate::plugin::ParamSpec> = Vec::new();
    for arg in &args.params {
        let Some((pname, text)) = arg.split_once('=') else {
            say!("error: `--param {arg}`: write NAME=DEFAULT (`--param period=14`)");
            return exit::trouble();
        };
        let Some(default) = number_arg(text) else {
            say!(
                "error: `--param {arg}`: `{}` is not a finite number (write `14`, `-0.5` or `5%`)",
                text.trim()
            );
            return exit::trouble();
        };
        params.push(crate::plugin::ParamSpec {
            name: pname.trim().to_string(),
            default,
            limits: crate::check::ParamLimits::default(),
        });
    }
    // Said of the argument: the manifest it would go into is not written.
    if let Some(c) = args
        .description
        .as_deref()
        .and_then(|d| d.chars().find(|c| c.is_control()))
    {
        say!(
            "error: `--description`: the description must be one line without control characters, found U+{:04X}",
            u32::from(c)
        );
        return exit::trouble();
    }
    let spec = TemplateSpec {
        name: name.to_string(),
        inputs: args.inputs,
        output: match args.output {
            NewOutput::Number => OutputKind::Number,
            NewOutput::Bool => OutputKind::Bool,
        },
        params,
        description: args
            .description
            .clone()
            .unwrap_or_else(|| format!("{name}: say here what it computes")),
    };
    let files = match spec.files() {
        Ok(f) => f,
        Err(e) => {
            say!("error: {e}");
            return exit::trouble();
        }
    };
    // Never into an existing folder: a plugin's files would mix with others.
    let parent = args.path.parent().filter(|p| !p.as_os_str().is_empty());
    let made = parent
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::create_dir(&args.path));
    if let Err(e) = made {
        // A folder above it that is a file makes `create_dir_all` say
        // "exists" too: name the file.
        let file_above = args
            .path
            .ancestors()
            .skip(1)
            .find(|a| std::fs::metadata(a).is_ok_and(|m| !m.is_dir()));
        let why = if let Some(file) = file_above {
            format!("`{}` is a file, not a folder", file.display())
        } else if e.kind() == std::io::ErrorKind::AlreadyExists {
            "it exists already: give a new folder".to_string()
        } else {
            io_reason(&e)
        };
        say!("error: cannot make `{}`: {why}", args.path.display());
        return exit::trouble();
    }
    for (rel, text) in &files {
        let path = args.path.join(rel);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| super::output::write_file(&path, |w| w.write_all(text.as_bytes())));
        if let Err(e) = written {
            say!(
                "error: cannot write `{}`: {}",
                path.display(),
                io_reason(&e)
            );
            // No half-made plugin: the folder is the one made above.
            let _ = std::fs::remove_dir_all(&args.path);
            return exit::trouble();
        }
    }
    let printed = super::output::print(|w| {
        writeln!(w, "made plugin `{name}` in {}:", args.path.display())?;
        for (rel, _) in &files {
            writeln!(w, "  {}", rel.display())?;
        }
        writeln!(
            w,
            "next: write the signal in `compute` in src/lib.rs, then, in that folder:"
        )?;
        writeln!(w, "  cargo build --release")?;
        writeln!(
            w,
            "  cp target/wasm32-unknown-unknown/release/{name}.wasm ."
        )?;
        writeln!(w, "  vixshield plugin test .")?;
        Ok(())
    });
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// The module cargo built in the plugin's own folder
/// (`target/wasm32-unknown-unknown/release/`, as a crate `plugin new` made
/// builds it) when it is newer than the copy next to `plugin.toml` and
/// differs from it: the copy the host reads was not made again after the
/// last build, so the values are the old code's.
fn newer_build(m: &Manifest) -> Option<PathBuf> {
    let built = m
        .dir()
        .join("target")
        .join("wasm32-unknown-unknown")
        .join("release")
        .join(&m.wasm);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|md| md.modified()).ok();
    let (b, c) = (modified(&built)?, modified(&m.wasm_path())?);
    (b > c && std::fs::read(&built).ok()? != std::fs::read(m.wasm_path()).ok()?).then_some(built)
}

/// A number as a strategy passes it to a plugin: `7`, `-0.5`, `1e3`, or a
/// percentage (`5%` is 0.05); finite only.
fn number_arg(text: &str) -> Option<f64> {
    let text = text.trim();
    let (digits, scale) = match text.strip_suffix('%') {
        Some(d) => (d.trim_end(), 0.01),
        None => (text, 1.0),
    };
    digits
        .parse::<f64>()
        .ok()
        .map(|v| v * scale)
        .filter(|v| v.is_finite())
}

/// A tier in JSON output.
fn tier_word(tier: Tier) -> &'static str {
    match tier {
        Tier::Baseline => "baseline",
        Tier::Optimized => "optimized",
    }
}

/// The bundled series fed to a plugin of `n` inputs, in order.
const TEST_SERIES: &[&str] = &["vix", "vix3m", "spx"];

fn test(args: &PathArgs, given: &[String], chosen: &[String]) -> ExitCode {
    let m = match manifest_at(&args.path) {
        Ok(m) => m,
        Err(code) => return code,
    };
    if let Some(built) = newer_build(&m) {
        say!(
            "warning: `{}` is a newer build than the `{}` the plugin loads; copy it to test it: cp {} {}",
            built.display(),
            m.wasm,
            built.display(),
            m.wasm_path().display()
        );
    }
    let params = match params_given(&m, given) {
        Ok(p) => p,
        Err(why) => {
            say!("error: {why}");
            return exit::trouble();
        }
    };
    let n_inputs = m.inputs as usize;
    let names: Vec<&str> = if chosen.is_empty() {
        let Some(names) = TEST_SERIES.get(..n_inputs) else {
            say!(
                "error: plugin `{}` takes {n_inputs} input series; `plugin test` feeds at most {} (vix, vix3m, spx) unless told which: give `--input vix|vix3m|spx` {n_inputs} times, in call order",
                m.name,
                TEST_SERIES.len()
            );
            return exit::trouble();
        };
        names.to_vec()
    } else if chosen.len() != n_inputs {
        say!(
            "error: plugin `{}` takes {n_inputs} input series, and {} `--input` given: give one for each, in the order a strategy passes them (`--input spx --input vix`), or none for {}",
            m.name,
            chosen.len(),
            TEST_SERIES
                .get(..n_inputs)
                .unwrap_or(TEST_SERIES)
                .join(", ")
        );
        return exit::trouble();
    } else {
        chosen.iter().map(String::as_str).collect()
    };
    let host = match host(args.no_plugin_cache) {
        Ok(h) => h,
        Err(code) => return code,
    };
    let market = match Market::bundled() {
        Ok(m) => m,
        Err(e) => {
            say!("error: {e}");
            return exit::trouble();
        }
    };
    let mut series = Vec::with_capacity(n_inputs);
    for name in &names {
        match market.get(name) {
            Some(s) => series.push(s),
            None => {
                say!("error: the bundled data has no `{name}` series");
                return exit::trouble();
            }
        }
    }
    // The bars a strategy's call would pass: not those where every series
    // given is carried forward (VIX3M on a day only VIX printed on), whose
    // value is the bar before's.
    let fresh = crate::eval::fresh_bars(series.iter().copied());
    let owned: Vec<Vec<f64>> = series
        .iter()
        .map(|s| match &fresh {
            Some(bars) => crate::eval::on_fresh_bars(s.close(), bars),
            None => s.close().to_vec(),
        })
        .collect();
    let inputs: Vec<&[f64]> = owned.iter().map(Vec::as_slice).collect();
    let t0 = Instant::now();
    let plugin = match host.load(&m) {
        Ok(p) => p,
        Err(e) => {
            say!("error: {e}");
            return match e {
                // The module cannot be read (missing, not a regular file,
                // over the size limit): I/O trouble.
                PluginError::Io { .. } => exit::trouble(),
                _ => exit::findings(),
            };
        }
    };
    let load_time = t0.elapsed();
    let values: Vec<f64> = params.iter().map(|p| p.value).collect();
    let t1 = Instant::now();
    let result = plugin.compute(&inputs, &values);
    let compute_time = t1.elapsed();
    let mut c = match result {
        Ok(c) => c,
        Err(e) => {
            say!("error: {e}");
            return exit::findings();
        }
    };
    // How many bars the plugin was given, before they are spread back over
    // the market's (the carried-forward ones left out).
    let passed = c.values.len();
    if let Some(bars) = &fresh {
        c.values = crate::eval::spread_over_bars(std::mem::take(&mut c.values), bars);
    }
    let dates = market.dates();
    let bars = c.values.len();
    // As the evaluator reads them: NaN and ±inf are no value.
    let computed = c.values.iter().filter(|v| v.is_finite()).count();
    if computed == 0 && bars > 0 {
        say!(
            "warning: plugin `{}` gave no value on any of the {passed} bars it was given (every output NaN or infinite): a strategy calling it reads `unknown` on every bar",
            m.name
        );
    }
    let at = |i: usize| {
        let v = c.values.get(i).copied().unwrap_or(f64::NAN);
        let date = dates.get(i).map(ToString::to_string).unwrap_or_default();
        (i, date, v)
    };
    let first = c.values.iter().position(|v| v.is_finite()).map(at);
    let last = c.values.iter().rposition(|v| v.is_finite()).map(at);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    // What `plugin inspect` calls invalid fails here too (exit 1): it runs,
    // but no strategy can call it. The JSON says why, as `inspect`'s does.
    let invalid = taken_name(&m.name).map(|what| {
        format!(
            "`{}` {what}; strategies cannot call this plugin: rename it",
            m.name
        )
    });
    let printed = super::output::print(|w| {
        match args.format {
            Format::Json => {
                let point = |p: &Option<(usize, String, f64)>| {
                    p.as_ref()
                        .map(|(i, d, v)| json!({"bar": i, "date": d, "value": v}))
                };
                let v = json!({
                    "plugin": m.name,
                    "version": m.version,
                    "inputs": names,
                    "params": params.iter().map(|p| json!({"name": p.name, "value": p.value, "given": p.given})).collect::<Vec<_>>(),
                    "bars": bars,
                    "bars_passed": passed,
                    "computed": computed,
                    "first": point(&first),
                    "last": point(&last),
                    "fuel_used": c.fuel_used,
                    "fuel_budget": plugin.fuel_budget(),
                    "load_ms": ms(load_time),
                    "loaded": origin_word(plugin.origin()),
                    "cache_note": plugin.disk_cache_note(),
                    "compute_ms": ms(compute_time),
                    "tier": tier_word(c.tier),
                    "error": invalid,
                });
                writeln!(
                    w,
                    "{}",
                    serde_json::to_string_pretty(&v).unwrap_or_default()
                )?;
            }
            Format::Human => {
                let span = match (dates.first(), dates.last()) {
                    (Some(a), Some(b)) => format!(", {a} to {b}"),
                    _ => String::new(),
                };
                let passed = if passed == bars {
                    String::new()
                } else {
                    format!(
                        "; {passed} passed to the plugin, the days every series given was carried forward left out"
                    )
                };
                writeln!(
                    w,
                    "plugin {} {} over the bundled {} ({bars} bars{span}{passed})",
                    m.name,
                    m.version,
                    names.join(", ")
                )?;
                writeln!(w, "params   {}", given_params_text(&params))?;
                writeln!(
                    w,
                    "computed {computed} of {bars} bars ({} without a value)",
                    bars - computed
                )?;
                let show = |p: &Option<(usize, String, f64)>| match p {
                    Some((i, d, v)) => format!("{v} on {d} (bar {i})"),
                    None => "none".into(),
                };
                writeln!(w, "first    {}", show(&first))?;
                writeln!(w, "last     {}", show(&last))?;
                writeln!(
                    w,
                    "fuel     {} of {} units",
                    c.fuel_used,
                    plugin.fuel_budget()
                )?;
                writeln!(
                    w,
                    "time     load {:.2} ms ({}), compute {:.2} ms ({} code)",
                    ms(load_time),
                    plugin.origin(),
                    ms(compute_time),
                    c.tier
                )?;
                if let Some(note) = plugin.disk_cache_note() {
                    writeln!(w, "cache    {}", crate::diag::terminal_safe(note))?;
                }
            }
        }
        Ok(())
    });
    if let Err(code) = printed {
        return code;
    }
    if let Some(why) = invalid {
        say!("error: {why}");
        return exit::findings();
    }
    exit::ok()
}

/// What else a plugin's name already is in the language, if anything: a
/// built-in signal, a market series, a guard variable (`E0204` in a
/// strategy), or a keyword (`and`, `within`: a call is a syntax error). Such
/// a plugin cannot be called. The text follows the name: "`rsi` is the name
/// of a built-in signal", "`and` is a keyword of the language".
fn taken_name(name: &str) -> Option<&'static str> {
    if crate::parse::RESERVED.contains(&name) {
        Some("is a keyword of the language")
    } else if crate::signals::lookup(name).is_some() {
        Some("is the name of a built-in signal")
    } else {
        match crate::check::expr::reserved_kind(name)? {
            "a market series" => Some("is the name of a market series"),
            _ => Some("is the name of a guard variable"),
        }
    }
}
