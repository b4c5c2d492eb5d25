//! `vixshield plugin new`: the files of a new plugin crate, ready to build.
//!
//! The crate is the ABI's plumbing (`vxs_signal_v1`, a bump `vxs_alloc`, a
//! `vxs_compute` that checks the counts and reads the host's buffers) around
//! one safe function, `compute`, that the author writes. Its first body
//! passes the first series through (a number plugin) or says whether it rose
//! since the bar before (a bool plugin), so the crate builds and runs as
//! made. `tests/fixtures/plugin_template/` holds two crates made by this
//! module, with their built modules; a test keeps them equal to what it
//! makes now.

use std::path::PathBuf;

use super::manifest::{MAX_INPUTS, Manifest, OutputKind, ParamSpec, is_identifier};

/// What the new plugin declares.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateSpec {
    /// Its name: the crate's, the module's and the one strategies call.
    pub name: String,
    /// The number of series it takes (1 ..= [`MAX_INPUTS`]).
    pub inputs: u32,
    /// What its output means.
    pub output: OutputKind,
    /// Its params, with their defaults, in order.
    pub params: Vec<ParamSpec>,
    /// The manifest's one-line description.
    pub description: String,
}

/// Why a [`TemplateSpec`] cannot make a plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The name is not an identifier the language can call.
    #[error(
        "`{0}` is not a plugin name: a strategy calls a plugin by its name, which must be an identifier (letters, digits, `_`, not starting with a digit){guess}",
        guess = identifier_like(.0).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default()
    )]
    Name(String),
    /// The input count is out of range.
    #[error("a plugin takes 1 to {MAX_INPUTS} input series, not {0}")]
    Inputs(u32),
    /// A param's name is not an identifier or is given twice.
    #[error("param `{0}`: {1}")]
    Param(String, &'static str),
    /// The manifest made from the spec does not read back (a description
    /// with a control character, say).
    #[error("{0}")]
    Manifest(String),
}

/// `name` with each run of characters an identifier cannot hold as one
/// `_` (`vix-zscore` → `vix_zscore`), when that is an identifier.
fn identifier_like(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    (is_identifier(&out) && out != name).then_some(out)
}

const LIB_RS: &str = include_str!("template/lib.rs.in");
const CARGO_TOML: &str = include_str!("template/Cargo.toml.in");
const CONFIG_TOML: &str = include_str!("template/config.toml.in");
const README_MD: &str = include_str!("template/README.md.in");
const GITIGNORE: &str = include_str!("template/gitignore.in");

/// The first body of `compute` for a number plugin.
const NUMBER_BODY: &str = "    let _ = params;
    // Replace with your signal: this passes the first series through.
    out.copy_from_slice(inputs[0]);
    Ok(())";

/// What the first test checks of the first body, a number plugin's.
const NUMBER_TEST: &str = "        assert_eq!(out, series);";

/// What the first test checks of the first body, a bool plugin's.
const BOOL_TEST: &str = "        assert!(out[0].is_nan());
        assert_eq!(out[1..], [1.0, 0.0, 0.0, 1.0]);";

/// The first body of `compute` for a bool plugin.
const BOOL_BODY: &str = "    let _ = params;
    // Replace with your signal: this says whether the first series rose
    // since the bar before (no value on the first bar).
    let s = inputs[0];
    for (t, o) in out.iter_mut().enumerate() {
        *o = if t == 0 {
            f64::NAN
        } else {
            f64::from(u8::from(s[t] > s[t - 1]))
        };
    }
    Ok(())";

impl TemplateSpec {
    /// The files of the crate, as paths relative to its folder and their
    /// text, after checking the spec; the manifest among them reads back
    /// as a valid `plugin.toml`.
    pub fn files(&self) -> Result<Vec<(PathBuf, String)>, TemplateError> {
        if !is_identifier(&self.name) {
            return Err(TemplateError::Name(self.name.clone()));
        }
        if !(1..=MAX_INPUTS).contains(&self.inputs) {
            return Err(TemplateError::Inputs(self.inputs));
        }
        for (i, p) in self.params.iter().enumerate() {
            if !is_identifier(&p.name) {
                return Err(TemplateError::Param(
                    p.name.clone(),
                    "a param's name must be an identifier",
                ));
            }
            if self.params[..i].iter().any(|q| q.name == p.name) {
                return Err(TemplateError::Param(p.name.clone(), "given twice"));
            }
        }
        let manifest = self.manifest();
        Manifest::parse(&manifest, std::path::Path::new("plugin.toml"))
            .map_err(|e| TemplateError::Manifest(e.to_string()))?;
        let fill = |text: &str| {
            text.replace("{{name}}", &self.name)
                .replace("{{inputs}}", &self.inputs.to_string())
                .replace("{{n_params}}", &self.params.len().to_string())
                .replace("{{param_doc}}", &self.param_doc())
                .replace(
                    "{{output_rule}}",
                    match self.output {
                        OutputKind::Number => "a number",
                        OutputKind::Bool => "0.0 for false, 1.0 for true",
                    },
                )
                .replace(
                    "{{body}}",
                    match self.output {
                        OutputKind::Number => NUMBER_BODY,
                        OutputKind::Bool => BOOL_BODY,
                    },
                )
                .replace("{{call}}", &self.call())
                .replace("{{defaults}}", &self.defaults())
                .replace(
                    "{{test_check}}",
                    match self.output {
                        OutputKind::Number => NUMBER_TEST,
                        OutputKind::Bool => BOOL_TEST,
                    },
                )
        };
        Ok(vec![
            ("plugin.toml".into(), manifest),
            ("Cargo.toml".into(), fill(CARGO_TOML)),
            (
                PathBuf::from(".cargo").join("config.toml"),
                fill(CONFIG_TOML),
            ),
            (PathBuf::from("src").join("lib.rs"), fill(LIB_RS)),
            ("README.md".into(), fill(README_MD)),
            (".gitignore".into(), fill(GITIGNORE)),
        ])
    }

    /// The `plugin.toml` text.
    fn manifest(&self) -> String {
        let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut m = format!(
            "name = {}\nversion = \"0.1.0\"\nabi = 1\nwasm = {}\ndescription = {}\ninputs = {}\noutput = \"{}\"\n",
            quoted(&self.name),
            quoted(&format!("{}.wasm", self.name)),
            quoted(&self.description),
            self.inputs,
            match self.output {
                OutputKind::Number => "number",
                OutputKind::Bool => "bool",
            },
        );
        for p in &self.params {
            m.push_str(&format!(
                "\n[[params]]\nname = {}\ndefault = {:?}\n",
                quoted(&p.name),
                p.default
            ));
        }
        m.push_str(&format!(
            "\n[errors]\n1 = {}\n",
            quoted(&format!(
                "not called with {} and {}",
                plural(self.inputs as usize, "input series", "input series"),
                plural(self.params.len(), "param", "params"),
            ))
        ));
        m
    }

    /// What `compute`'s documentation says of `params`, one item a line.
    fn param_doc(&self) -> String {
        if self.params.is_empty() {
            return "It takes no params.".into();
        }
        let mut doc = String::from("`params` holds, in order:");
        for (i, p) in self.params.iter().enumerate() {
            doc.push_str(&format!(
                "\n/// * `params[{i}]`: `{}` (default {})",
                p.name, p.default
            ));
        }
        doc
    }

    /// The params' defaults as Rust `f64` literals: `14.0, -0.5`.
    fn defaults(&self) -> String {
        self.params
            .iter()
            .map(|p| format!("{:?}", p.default))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How a strategy calls it: `name(vix, vix3m, 14)`.
    fn call(&self) -> String {
        const SERIES: [&str; 3] = ["vix", "vix3m", "spx"];
        let args: Vec<String> = (0..self.inputs as usize)
            .map(|k| {
                SERIES
                    .get(k)
                    .map_or(format!("s{}", k + 1), ToString::to_string)
            })
            .chain(self.params.iter().map(|p| p.default.to_string()))
            .collect();
        format!("{}({})", self.name, args.join(", "))
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
