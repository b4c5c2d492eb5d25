//! `plugin.toml`: the manifest that describes a plugin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::error::PluginError;

/// The only ABI version this host speaks.
pub const ABI_VERSION: u32 = 1;

/// The most input series a plugin may declare.
pub const MAX_INPUTS: u32 = 64;

/// What a plugin's output series means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// A number per bar (NaN where there is no value yet).
    Number,
    /// A boolean per bar: 0.0 false, any other number true, NaN no value yet.
    Bool,
}

/// One declared parameter: its name, default value and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The parameter's name, an identifier.
    pub name: String,
    /// Its default value.
    pub default: f64,
    /// The optional `min`, `max` and `integer`, which `check` holds a
    /// strategy's values to (the default keeps to them).
    pub limits: crate::check::ParamLimits,
}

/// The optional `[limits]` table. `None` means the host's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Fuel budget for one computation (alloc calls plus `vxs_compute`).
    pub fuel: Option<u64>,
    /// Memory cap in MiB.
    pub memory_mib: Option<u32>,
    /// Where the manifest gives `fuel`, for an error about it at load.
    pub fuel_at: Option<crate::source::LineCol>,
    /// Where the manifest gives `memory_mib`.
    pub memory_mib_at: Option<crate::source::LineCol>,
}

/// A parsed, validated `plugin.toml`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Manifest {
    /// The plugin's name, an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
    pub name: String,
    /// Its version, free text (e.g. `0.1.0`).
    pub version: String,
    /// The ABI version, always [`ABI_VERSION`].
    pub abi: u32,
    /// The wasm file's name, inside the manifest's folder.
    pub wasm: String,
    /// One-line description.
    pub description: String,
    /// The number of series arguments (1 ..= [`MAX_INPUTS`]).
    pub inputs: u32,
    /// What the output means.
    pub output: OutputKind,
    /// Parameters, in the order they are passed to `vxs_compute`.
    pub params: Vec<ParamSpec>,
    /// Resource limits asked for.
    pub limits: Limits,
    /// What each non-zero status of `vxs_compute` means (the optional
    /// `[errors]` table: `2 = "period must be at least 1"`), shown with the
    /// code when the plugin returns it.
    pub errors: BTreeMap<i32, String>,
    /// The `plugin.toml` this was read from.
    pub path: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Spanned<String>,
    version: Spanned<String>,
    abi: Spanned<i64>,
    wasm: Spanned<String>,
    description: Spanned<String>,
    inputs: Spanned<i64>,
    output: OutputKind,
    #[serde(default)]
    params: Vec<RawParam>,
    #[serde(default)]
    limits: Option<RawLimits>,
    #[serde(default)]
    errors: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    name: Spanned<String>,
    default: Spanned<f64>,
    min: Option<Spanned<f64>>,
    above: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    below: Option<Spanned<f64>>,
    integer: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    fuel: Option<Spanned<i64>>,
    memory_mib: Option<Spanned<i64>>,
}

/// Is `s` an identifier the strategy language can call?
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Manifest {
    /// Read and validate the manifest at `path` (a `plugin.toml`).
    pub fn from_file(path: &Path) -> Result<Self, PluginError> {
        let bytes = crate::input::read_regular(path, crate::input::MANIFEST).map_err(|source| {
            PluginError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        let text = super::error::utf8_text(bytes).map_err(|pos| PluginError::Manifest {
            path: path.to_path_buf(),
            pos: Some(pos),
            message: "the file is not UTF-8 text".into(),
        })?;
        Self::parse(&text, path)
    }

    /// Parse and validate manifest text; `path` is used for messages and to
    /// locate the wasm file.
    pub fn parse(text: &str, path: &Path) -> Result<Self, PluginError> {
        let err = |span: Option<std::ops::Range<usize>>, message: String| PluginError::Manifest {
            path: path.to_path_buf(),
            pos: span.map(|s| crate::source::line_col(text, s.start)),
            message,
        };
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end();
            // The TOML reader says "duplicate key" and points at it: name it.
            let key = e
                .span()
                .filter(|_| message == "duplicate key")
                .and_then(|s| text.get(s.start..))
                .map(|rest| {
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                        .collect::<String>()
                })
                .filter(|k| !k.is_empty());
            let message = match key {
                Some(k) => format!("duplicate key `{k}`: each key is given once"),
                None => message.to_string(),
            };
            err(e.span(), message)
        })?;

        let name = raw.name.get_ref();
        if !is_identifier(name) {
            return Err(err(
                Some(raw.name.span()),
                format!(
                    "`name` must be an identifier (letters, digits, `_`, not starting with a digit), found {name:?}"
                ),
            ));
        }
        // Both are printed as they are (`plugin list`, `plugin inspect`):
        // one line, nothing a terminal would act on.
        for (field, value) in [("version", &raw.version), ("description", &raw.description)] {
            if let Some(c) = value.get_ref().chars().find(|c| c.is_control()) {
                return Err(err(
                    Some(value.span()),
                    format!(
                        "`{field}` must be one line without control characters, found U+{:04X}",
                        u32::from(c)
                    ),
                ));
            }
        }
        if raw.version.get_ref().trim().is_empty() {
            return Err(err(
                Some(raw.version.span()),
                "`version` must not be empty".into(),
            ));
        }
        if *raw.abi.get_ref() != i64::from(ABI_VERSION) {
            return Err(err(
                Some(raw.abi.span()),
                format!(
                    "unsupported `abi = {}`; this host supports `abi = {ABI_VERSION}`",
                    raw.abi.get_ref()
                ),
            ));
        }
        let wasm = raw.wasm.get_ref();
        let plain = Path::new(wasm)
            .file_name()
            .is_some_and(|f| f == std::ffi::OsStr::new(wasm));
        if wasm.is_empty() || !plain || wasm.contains(['/', '\\']) || wasm == ".." {
            return Err(err(
                Some(raw.wasm.span()),
                format!("`wasm` must be a file name in the plugin's folder, found {wasm:?}"),
            ));
        }
        let inputs = *raw.inputs.get_ref();
        let inputs = match u32::try_from(inputs) {
            Ok(n) if (1..=MAX_INPUTS).contains(&n) => n,
            _ => {
                return Err(err(
                    Some(raw.inputs.span()),
                    format!("`inputs` must be between 1 and {MAX_INPUTS}, found {inputs}"),
                ));
            }
        };
        let mut params: Vec<ParamSpec> = Vec::with_capacity(raw.params.len());
        for p in raw.params {
            let pname = p.name.get_ref();
            if !is_identifier(pname) {
                return Err(err(
                    Some(p.name.span()),
                    format!("parameter name must be an identifier, found {pname:?}"),
                ));
            }
            if params.iter().any(|q| q.name == *pname) {
                return Err(err(
                    Some(p.name.span()),
                    format!("parameter `{pname}` is declared twice"),
                ));
            }
            if !p.default.get_ref().is_finite() {
                return Err(err(
                    Some(p.default.span()),
                    format!("default of parameter `{pname}` must be a finite number"),
                ));
            }
            for bound in [&p.min, &p.above, &p.max, &p.below].into_iter().flatten() {
                if !bound.get_ref().is_finite() {
                    return Err(err(
                        Some(bound.span()),
                        format!("a limit of parameter `{pname}` must be a finite number"),
                    ));
                }
            }
            // One bound a side: `min` or `above`, `max` or `below`.
            for (inclusive, exclusive, a, b) in [
                (&p.min, &p.above, "min", "above"),
                (&p.max, &p.below, "max", "below"),
            ] {
                if let (Some(_), Some(second)) = (inclusive, exclusive) {
                    return Err(err(
                        Some(second.span()),
                        format!(
                            "parameter `{pname}` has both `{a}` and `{b}`; give one \
                             (`{a}` takes its value, `{b}` does not)"
                        ),
                    ));
                }
            }
            let lower = p.min.as_ref().map(|b| (b, "min", true));
            let lower = lower.or(p.above.as_ref().map(|b| (b, "above", false)));
            let upper = p.max.as_ref().map(|b| (b, "max", true));
            let upper = upper.or(p.below.as_ref().map(|b| (b, "below", false)));
            if let (Some((lo, lo_key, lo_in)), Some((hi, hi_key, hi_in))) = (lower, upper) {
                let (lo_v, hi_v) = (*lo.get_ref(), *hi.get_ref());
                let message = if hi_v < lo_v {
                    format!("parameter `{pname}`: `{hi_key}` {hi_v} is below `{lo_key}` {lo_v}")
                } else if hi_v == lo_v && !(lo_in && hi_in) {
                    format!(
                        "parameter `{pname}`: `{lo_key}` {lo_v} and `{hi_key}` {hi_v} \
                         leave no value between them"
                    )
                } else {
                    String::new()
                };
                if !message.is_empty() {
                    return Err(err(Some(hi.span()), message));
                }
            }
            let limits = crate::check::ParamLimits {
                min: p.min.as_ref().map(|m| *m.get_ref()),
                above: p.above.as_ref().map(|m| *m.get_ref()),
                max: p.max.as_ref().map(|m| *m.get_ref()),
                below: p.below.as_ref().map(|m| *m.get_ref()),
                integer: p.integer.unwrap_or(false),
            };
            let default = *p.default.get_ref();
            if !limits.admits(default) {
                return Err(err(
                    Some(p.default.span()),
                    format!(
                        "default {default} of parameter `{pname}` is not {}, as its limits ask",
                        limits.describe().unwrap_or_default()
                    ),
                ));
            }
            params.push(ParamSpec {
                name: pname.clone(),
                default,
                limits,
            });
        }
        let mut limits = Limits::default();
        if let Some(l) = raw.limits {
            if let Some(f) = l.fuel {
                match u64::try_from(*f.get_ref()) {
                    Ok(v) if v > 0 => {
                        limits.fuel = Some(v);
                        limits.fuel_at = Some(crate::source::line_col(text, f.span().start));
                    }
                    _ => {
                        return Err(err(
                            Some(f.span()),
                            format!("`fuel` must be a positive integer, found {}", f.get_ref()),
                        ));
                    }
                }
            }
            if let Some(m) = l.memory_mib {
                match u32::try_from(*m.get_ref()) {
                    Ok(v) if (1..=4096).contains(&v) => {
                        limits.memory_mib = Some(v);
                        limits.memory_mib_at = Some(crate::source::line_col(text, m.span().start));
                    }
                    _ => {
                        return Err(err(
                            Some(m.span()),
                            format!(
                                "`memory_mib` must be between 1 and 4096, found {}",
                                m.get_ref()
                            ),
                        ));
                    }
                }
            }
        }
        let mut errors = BTreeMap::new();
        // In the file's order, so that a code given twice is reported at its
        // second spelling.
        let mut raw_errors: Vec<_> = raw.errors.into_iter().collect();
        raw_errors.sort_by_key(|(_, meaning)| meaning.span().start);
        for (code, meaning) in raw_errors {
            // The key's own position is not kept by the TOML reader: point
            // at its text.
            let at = Some(meaning.span());
            let n = match code.trim().parse::<i32>() {
                Ok(0) => {
                    return Err(err(
                        at,
                        "`[errors]` code 0 is success, not an error: give the non-zero codes `vxs_compute` returns".into(),
                    ));
                }
                Ok(n) => n,
                Err(_) => {
                    return Err(err(
                        at,
                        format!(
                            "`[errors]` keys are the codes `vxs_compute` returns, whole numbers written in quotes or bare (`2 = \"...\"`), found {code:?}"
                        ),
                    ));
                }
            };
            let text = meaning.get_ref();
            if let Some(c) = text.chars().find(|c| c.is_control()) {
                return Err(err(
                    at,
                    format!(
                        "`[errors]` text for code {n} must be one line without control characters, found U+{:04X}",
                        u32::from(c)
                    ),
                ));
            }
            if text.trim().is_empty() {
                return Err(err(
                    at,
                    format!("`[errors]` text for code {n} must not be empty"),
                ));
            }
            if errors.insert(n, text.trim().to_string()).is_some() {
                return Err(err(
                    at,
                    format!("`[errors]` gives code {n} twice ({code:?} is another spelling of it)"),
                ));
            }
        }
        Ok(Manifest {
            name: raw.name.into_inner(),
            version: raw.version.into_inner(),
            abi: ABI_VERSION,
            wasm: raw.wasm.into_inner(),
            description: raw.description.into_inner(),
            inputs,
            output: raw.output,
            params,
            limits,
            errors,
            path: path.to_path_buf(),
        })
    }

    /// The folder holding the manifest (and the wasm file).
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The path of the wasm file.
    pub fn wasm_path(&self) -> PathBuf {
        self.dir().join(&self.wasm)
    }

    /// The parameters' default values, in order.
    pub fn default_params(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.default).collect()
    }
}
