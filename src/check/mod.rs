//! Checking: syntax tree → [`model::Strategy`], collecting every problem.
//!
//! The checker walks the whole file and never stops at the first error: each
//! section, setting and expression is checked on its own, and a setting that
//! is wrong is simply left out of the model. The model is only returned when
//! there are no errors (warnings allowed).
//!
//! - [`terms`]: reading a setting's terms as typed values;
//! - [`expr`]: names, calls, arities and types in signal expressions;
//! - [`exposure`]: the exact ladder of sizes and the caps' warnings.

pub mod exposure;
pub mod expr;
pub mod terms;

use crate::ast::{self, BinOp, Expr, ExprKind, Literal, Section, SectionKind, Setting};
use crate::diag::{self, Code, Diagnostic, did_you_mean};
use crate::model::{
    self, Amount, Basis, Guard, Hedge, Instrument, Reset, Roll, RollOverride, Rounding, Strategy,
};
use crate::money::RoundMode;
use crate::source::{SourceFile, Span};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};
use terms::{StepSel, Terms};

/// The language version this vixshield speaks.
pub const LANGUAGE_VERSION: u32 = 1;

/// The largest step limit accepted.
pub const MAX_STEPS: u32 = 12;

/// The highest `quick_ratio` floor a guard may set: far above the ratio of
/// any book (this method uses 1.4).
pub const MAX_QUICK_RATIO_FLOOR: Decimal = Decimal::ONE_HUNDRED;

/// The highest `wacc_impact` limit, in bps: a shift of the book's cost of
/// capital by 100%.
pub const MAX_WACC_IMPACT_BPS: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

/// What the checker knows besides the file: plugin signals and calendar events.
#[derive(Clone, Debug)]
pub struct Env {
    /// Plugin signals callable by name (from their manifests: cheap).
    pub plugins: Vec<PluginSignature>,
    /// Plugins found but unusable (a broken manifest, two plugins of one
    /// name): a call to one is reported as `E0207` with the reason.
    pub unavailable: Vec<UnavailablePlugin>,
    /// Loads the plugins a file calls, so that `E0207` reports one that
    /// cannot be loaded (bad module, missing ABI marker, imports, ...).
    /// `None`: signatures only, nothing is loaded.
    pub loader: Option<std::sync::Arc<dyn PluginLoader>>,
    /// Plugin search folders that could not be read, each as `path: why`
    /// (`/p/plugins: permission denied`): a plugin there cannot be found, so
    /// `E0201` says so.
    pub unreadable_plugin_dirs: Vec<String>,
    /// Where plugins were searched for, in words that follow "no plugin was
    /// found" (`in /p/plugins, from the project file /p/vixshield.toml`),
    /// which `E0201` names: a command run from another folder finds another
    /// project's plugins, or none.
    pub plugin_search: Option<String>,
    /// Event kinds of the calendar (`FOMC`, `CPI`, `PPI`).
    pub events: Vec<String>,
}

impl Default for Env {
    fn default() -> Env {
        Env {
            plugins: Vec::new(),
            unavailable: Vec::new(),
            loader: None,
            unreadable_plugin_dirs: Vec::new(),
            plugin_search: None,
            events: vec!["FOMC".into(), "CPI".into(), "PPI".into()],
        }
    }
}

/// The values a plugin's param takes, as its manifest declares them
/// (`min`, `max`, `integer` under `[[params]]`): a value written in a
/// strategy outside them is an error where it is written.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ParamLimits {
    /// The least value, inclusive.
    pub min: Option<f64>,
    /// A value it must be above (an exclusive lower bound).
    pub above: Option<f64>,
    /// The greatest value, inclusive.
    pub max: Option<f64>,
    /// A value it must be below (an exclusive upper bound).
    pub below: Option<f64>,
    /// Whole numbers only.
    pub integer: bool,
}

impl ParamLimits {
    /// What the limits ask for, in words (`a whole number from 2 to
    /// 100000`, `a number of at least 0 and below 1`); `None` when there
    /// are none.
    pub fn describe(&self) -> Option<String> {
        let kind = if self.integer {
            "a whole number"
        } else {
            "a number"
        };
        if let (Some(lo), Some(hi)) = (self.min, self.max) {
            return Some(format!("{kind} from {lo} to {hi}"));
        }
        let lower = match (self.min, self.above) {
            (Some(lo), _) => Some(format!("of at least {lo}")),
            (None, Some(lo)) => Some(format!("above {lo}")),
            (None, None) => None,
        };
        let upper = match (self.max, self.below) {
            (Some(hi), _) => Some(format!("at most {hi}")),
            (None, Some(hi)) => Some(format!("below {hi}")),
            (None, None) => None,
        };
        Some(match (lower, upper) {
            (Some(lower), Some(upper)) => format!("{kind} {lower} and {upper}"),
            (Some(lower), None) => format!("{kind} {lower}"),
            (None, Some(upper)) if self.max.is_some() => format!("{kind} of {upper}"),
            (None, Some(upper)) => format!("{kind} {upper}"),
            (None, None) => return self.integer.then(|| kind.to_string()),
        })
    }

    /// Whether `v` keeps to them.
    pub fn admits(&self, v: f64) -> bool {
        v.is_finite()
            && self.min.is_none_or(|lo| v >= lo)
            && self.above.is_none_or(|lo| v > lo)
            && self.max.is_none_or(|hi| v <= hi)
            && self.below.is_none_or(|hi| v < hi)
            && (!self.integer || v.fract() == 0.0)
    }
}

/// How a plugin signal is called.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginSignature {
    /// Its name.
    pub name: String,
    /// How many series it takes.
    pub inputs: usize,
    /// Its params' names, in order (each optional in a call).
    pub params: Vec<String>,
    /// Each param's limits, in the same order (none declared: the default).
    pub param_limits: Vec<ParamLimits>,
    /// Whether it gives a boolean.
    pub boolean: bool,
    /// The manifest it was read from, for messages.
    pub manifest: Option<std::path::PathBuf>,
}

/// A plugin that was found but cannot be used, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct UnavailablePlugin {
    /// The name a strategy would call it by.
    pub name: String,
    /// Why it cannot be used, e.g. the manifest's error.
    pub reason: String,
}

/// Validates the plugins a strategy calls (the wasm host implements it).
pub trait PluginLoader: std::fmt::Debug + Send + Sync {
    /// Loads the plugin called `name` (checking its module against the
    /// plugin ABI); the reason in words when it cannot be loaded.
    fn validate(&self, name: &str) -> Result<(), String>;
}

/// What checking gives.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// The strategy, when there are no errors.
    pub strategy: Option<Strategy>,
    /// Errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// Comments, for the formatter.
    pub comments: Vec<crate::parse::Comment>,
    /// The syntax tree.
    pub ast: ast::File,
    /// Every plugin call in the file, in source order: the plugin's name
    /// and the span of the name at the call.
    pub plugin_calls: Vec<(String, Span)>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity() == diag::Severity::Error)
    }
}

/// Parses and checks a source file.
pub fn check_source(src: &SourceFile, env: &Env) -> Checked {
    check_source_with(src, env, &[])
}

/// Like [`check_source`], with param values overridden before checking (a
/// sweep's variant): each `(name, literal)` replaces the default of the param
/// `name`. An override must keep the param's unit (`E0301`), and a name the
/// file does not declare as a param is an error (`E0203`).
pub fn check_source_with(src: &SourceFile, env: &Env, overrides: &[(String, Literal)]) -> Checked {
    if let Some(at) = src.invalid_utf8_at() {
        let d = Diagnostic::new(
            Code::NotText,
            Span::new(at, at),
            "this file is not UTF-8 text",
        )
        .label("the first byte that is not UTF-8")
        .help("strategy files are UTF-8 text; is this the right file?");
        return Checked {
            diagnostics: vec![d],
            ..Checked::default()
        };
    }
    let mut checked = check_parsed(crate::parse::parse(src), env, overrides);
    if let Some(strategy) = &mut checked.strategy {
        strategy.plugin_calls = checked
            .plugin_calls
            .iter()
            .map(|(_, span)| {
                let at = src.line_col(span.start as usize);
                (*span, format!("{}:{}:{}", src.name(), at.line, at.column))
            })
            .collect();
    }
    let controls = control_char_diagnostics(src.text());
    if !controls.is_empty() {
        // The file is refused; its other problems still show.
        checked.diagnostics.extend(controls);
        diag::sort(&mut checked.diagnostics);
        checked.strategy = None;
    }
    checked
}

/// One `E0005` per control character in `text` (see [`diag::control_chars`]),
/// at most ten, the last of which then says how many there are in all.
pub fn control_char_diagnostics(text: &str) -> Vec<Diagnostic> {
    let found: Vec<(usize, char)> = diag::control_chars(text).collect();
    let mut out: Vec<Diagnostic> = found
        .iter()
        .take(MAX_CONTROL_DIAGNOSTICS)
        .map(|&(at, c)| {
            let end = at + c.len_utf8();
            Diagnostic::new(
                Code::ControlChar,
                Span::new(at, end),
                format!("control character U+{:04X} in the source", u32::from(c)),
            )
            .label(if c.len_utf8() == 1 {
                "shown as `?`"
            } else {
                "shown as `¿`"
            })
            .help("remove it: a terminal showing this file would act on it")
        })
        .collect();
    if found.len() > MAX_CONTROL_DIAGNOSTICS
        && let Some(last) = out.last_mut()
    {
        last.message = format!(
            "{} ({} control characters in all; only the first {MAX_CONTROL_DIAGNOSTICS} are shown)",
            last.message,
            found.len()
        );
    }
    out
}

/// How many control characters a file reports one by one.
const MAX_CONTROL_DIAGNOSTICS: usize = 10;

/// Checks what [`crate::parse::parse`] gave.
fn check_parsed(
    parsed: crate::parse::Parsed,
    env: &Env,
    overrides: &[(String, Literal)],
) -> Checked {
    if parsed.file.items.is_empty() && !parsed.diagnostics.is_empty() {
        // Nothing parsed (garbage, or nesting too deep): "missing section" would only add noise.
        return Checked {
            diagnostics: parsed.diagnostics,
            comments: parsed.comments,
            ..Checked::default()
        };
    }
    let mut checked = check_tree(&parsed.file, env, overrides);
    checked
        .diagnostics
        .extend(parsed.diagnostics.iter().cloned());
    let syntax_errors = !parsed.diagnostics.is_empty();
    if syntax_errors {
        checked.strategy = None;
    }
    diag::sort(&mut checked.diagnostics);
    checked.comments = parsed.comments;
    checked.ast = parsed.file;
    checked
}

/// Checks a parsed file.
pub fn check(file: &ast::File, env: &Env) -> Checked {
    check_with(file, env, &[])
}

/// Checks a parsed file with params overridden (see [`check_source_with`]).
pub fn check_with(file: &ast::File, env: &Env, overrides: &[(String, Literal)]) -> Checked {
    Checked {
        ast: file.clone(),
        ..check_tree(file, env, overrides)
    }
}

/// [`check_with`] without a copy of the tree in [`Checked::ast`] (left empty).
fn check_tree(file: &ast::File, env: &Env, overrides: &[(String, Literal)]) -> Checked {
    let mut c = Checker::new(env);
    c.overrides = overrides.to_vec();
    let strategy = c.file(file);
    c.load_plugins();
    let mut plugin_calls = std::mem::take(&mut c.plugin_calls);
    plugin_calls.sort_by_key(|(_, span)| *span);
    plugin_calls.dedup();
    let mut diagnostics = c.diags;
    diag::sort(&mut diagnostics);
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity() == diag::Severity::Error);
    // A use of a name whose definition did not parse has no diagnostic of
    // its own (the parser's is at the definition): never a strategy then.
    let refused = has_errors || !file.unparsed_defs.is_empty();
    Checked {
        strategy: if refused { None } else { strategy },
        diagnostics,
        comments: Vec::new(),
        ast: ast::File::default(),
        plugin_calls,
    }
}

/// A signal expression that checked: its tree, its type and the warnings it
/// gave (`W0107` for `vix > 30%`, say), with spans into its source.
#[derive(Debug, Clone)]
pub struct CheckedExpr {
    /// The expression.
    pub expr: Expr,
    /// Its type.
    pub ty: expr::Ty,
    /// Its warnings, in source order.
    pub warnings: Vec<Diagnostic>,
    /// Where it calls plugins, as `name:line:col` in its source (see
    /// [`Strategy::plugin_calls`](crate::model::Strategy::plugin_calls)).
    pub plugin_calls: Vec<(Span, String)>,
}

/// Parses and type-checks one signal expression on its own (the text of
/// `src`, as given to `vixshield signal`): its tree, its type and its
/// warnings, or every diagnostic found (errors and warnings), with spans
/// into `src`. Only the series, the built-ins and the plugins of `env` are
/// known; see [`check_expr_with`] for a strategy's signals and params.
pub fn check_expr(src: &SourceFile, env: &Env) -> Result<CheckedExpr, Vec<Diagnostic>> {
    check_expr_in(src, env, None)
}

/// Like [`check_expr`], with the `signal` and `param` definitions of a
/// strategy's syntax tree in scope (the strategy is expected to check clean:
/// its definitions' own problems are not reported).
pub fn check_expr_with(
    src: &SourceFile,
    env: &Env,
    context: &ast::File,
) -> Result<CheckedExpr, Vec<Diagnostic>> {
    check_expr_in(src, env, Some(context))
}

fn check_expr_in(
    src: &SourceFile,
    env: &Env,
    context: Option<&ast::File>,
) -> Result<CheckedExpr, Vec<Diagnostic>> {
    if let Some(at) = src.invalid_utf8_at() {
        return Err(vec![
            Diagnostic::new(
                Code::NotText,
                Span::new(at, at),
                "the expression is not UTF-8 text",
            )
            .label("the first byte that is not UTF-8"),
        ]);
    }
    let controls = control_char_diagnostics(src.text());
    if !controls.is_empty() {
        return Err(controls);
    }
    let e = crate::parse::parse_expr(src)?;
    let mut c = Checker::new(env);
    if let Some(file) = context {
        for item in &file.items {
            match item {
                ast::Item::Param(p) => c.param_def(p),
                ast::Item::Signal(s) => c.signal_def(s),
                _ => {}
            }
        }
        // Resolve the context's signals now, so that the plugins they call
        // (spans in another file) are not taken for the expression's own.
        for item in &file.items {
            if let ast::Item::Signal(s) = item {
                let _ = c.signal_ty(&s.name.name);
            }
        }
        // Problems of the context's own definitions have spans in another file.
        c.diags.clear();
        c.plugin_calls.clear();
    }
    let ty = c.expr_ty(&e);
    // A plugin the expression calls that cannot be loaded: `E0207` at the
    // call, as `check` reports it in a file.
    c.load_plugins();
    let mut diags = c.diags;
    diag::sort(&mut diags);
    let errors = diags.iter().any(|d| d.severity() == diag::Severity::Error);
    match ty {
        Some(ty) if !errors => {
            let mut calls: Vec<Span> = c.plugin_calls.iter().map(|(_, span)| *span).collect();
            calls.sort();
            calls.dedup();
            let plugin_calls = calls
                .into_iter()
                .map(|span| {
                    let at = src.line_col(span.start as usize);
                    (span, format!("{}:{}:{}", src.name(), at.line, at.column))
                })
                .collect();
            Ok(CheckedExpr {
                expr: e,
                ty,
                warnings: diags,
                plugin_calls,
            })
        }
        _ if diags.is_empty() => Err(vec![Diagnostic::new(
            Code::TypeMismatch,
            e.span(),
            "this expression has no value",
        )]),
        _ => Err(diags),
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum SigState {
    Visiting,
    /// Checked: its type, and how many definitions deep it sits (1 for a
    /// signal that reads no other signal).
    Done(Option<expr::Ty>, usize),
}

pub(crate) struct Checker<'e> {
    pub env: &'e Env,
    pub diags: Vec<Diagnostic>,
    /// Params: name → (value, span of the name).
    pub params: BTreeMap<String, (Literal, Span)>,
    /// Signals: name → definition, in the syntax tree being checked.
    pub signal_defs: BTreeMap<String, &'e ast::SignalDef>,
    pub sig_state: HashMap<String, SigState>,
    pub signal_order: Vec<String>,
    pub cycle_reported: HashSet<String>,
    pub used: HashSet<String>,
    pub used_plugins: HashSet<String>,
    /// Each plugin call that type-checked: the plugin's name and the call's name span.
    pub plugin_calls: Vec<(String, Span)>,
    /// What a bare percentage of money refers to.
    pub basis: Basis,
    /// Names of statements that did not parse at the top level (see [`ast::File::recovered`]).
    pub stray: Vec<String>,
    /// Names defined by statements that did not parse (see [`ast::File::unparsed_defs`]).
    pub unparsed_defs: Vec<String>,
    /// How deep signal definitions are being followed right now.
    pub sig_depth: usize,
    /// The signals being followed right now, outermost first: a cycle's
    /// path, for its message.
    pub sig_path: Vec<String>,
    /// How many definitions deep the deepest signal read since this was
    /// last reset sits (see [`SigState::Done`]).
    pub sig_height: usize,
    /// How deep expression checking is right now, signals included.
    pub depth: usize,
    /// Param values given from outside (a sweep), by name.
    pub overrides: Vec<(String, Literal)>,
    /// Whether the expression being checked is a guard line's condition
    /// (an unknown name there may be a misspelt guard variable).
    pub in_guard: bool,
    /// The `account` settings the file writes, whether or not their values
    /// check (or misspelt, or on a line that did not parse): a guard that
    /// needs one is not told it is missing, its error is said already.
    pub account_written: Vec<&'static str>,
}

/// What a section accepts: its keys and whether each may repeat or is required.
struct Key {
    name: &'static str,
    required: bool,
    repeat: bool,
}

const fn key(name: &'static str) -> Key {
    Key {
        name,
        required: false,
        repeat: false,
    }
}
const fn required(name: &'static str) -> Key {
    Key {
        name,
        required: true,
        repeat: false,
    }
}
const fn repeated(name: &'static str) -> Key {
    Key {
        name,
        required: false,
        repeat: true,
    }
}

const STRATEGY_KEYS: &[Key] = &[
    required("version"),
    required("language"),
    key("description"),
];
const ACCOUNT_KEYS: &[Key] = &[
    required("capital"),
    key("percent_of"),
    key("risk_free_rate"),
    key("beta"),
    key("equity_risk_premium"),
    key("margin_rate"),
    key("tax_rate"),
    key("cash"),
];
const ENTRY_KEYS: &[Key] = &[
    required("underlying"),
    required("dte"),
    required("short_delta"),
    required("wing_width"),
    key("target_return"),
    key("take_profit"),
    key("exit_dte"),
    key("reentry"),
];
const SIZING_KEYS: &[Key] = &[
    required("base"),
    required("steps"),
    repeated("multiplier"),
    key("reset"),
    key("round"),
    key("layer_cap"),
    key("total_cap"),
    repeated("max_loss"),
];
const HEDGE_KEYS: &[Key] = &[
    required("instrument"),
    required("dte"),
    required("allocation"),
    key("active"),
    key("trigger"),
];
const ROLL_KEYS: &[Key] = &[repeated("coefficient"), key("clamp")];

/// The sections that have a setting `name`, as a trader reads them
/// (`layer_cap` written in `account` belongs in `sizing`).
pub(crate) fn sections_with_key(name: &str) -> Vec<&'static str> {
    [
        ("`strategy`", STRATEGY_KEYS),
        ("`account`", ACCOUNT_KEYS),
        ("`entry`", ENTRY_KEYS),
        ("`sizing`", SIZING_KEYS),
        ("a `hedge`", HEDGE_KEYS),
        ("`roll`", ROLL_KEYS),
    ]
    .into_iter()
    .filter(|(_, keys)| keys.iter().any(|k| k.name == name))
    .map(|(section, _)| section)
    .collect()
}

/// A guard variable that an operator joins to what comes before it in a
/// guard's condition (`vix < 40 and wacc_impact < 18bps`: the right side of
/// a binary operator starts with it), and its name.
fn joined_guard_var(e: &Expr) -> Option<(&Expr, &str, Span)> {
    let ExprKind::Binary(_, lhs, rhs) = &e.kind else {
        return None;
    };
    let mut first = &**rhs;
    while let ExprKind::Binary(_, l, _) = &first.kind {
        first = l;
    }
    match &first.kind {
        ExprKind::Name(n) if expr::GUARD_VARS.contains(&n.as_str()) => {
            Some((first, n.as_str(), lhs.span()))
        }
        _ => joined_guard_var(lhs).or_else(|| joined_guard_var(rhs)),
    }
}

/// Every name `e` reads, marked used (a guard that is not checked further
/// leaves no signal or param it names unused).
fn mark_names_used(e: &Expr, used: &mut HashSet<String>) {
    match &e.kind {
        ExprKind::Name(n) => {
            used.insert(n.clone());
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| mark_names_used(a, used)),
        ExprKind::Unary(_, inner) | ExprKind::Paren(inner) => mark_names_used(inner, used),
        ExprKind::Binary(_, l, r) => {
            mark_names_used(l, used);
            mark_names_used(r, used);
        }
        ExprKind::Lit(_) => {}
        ExprKind::Within { days, .. } => {
            if let ast::Count::Param(p) = days {
                used.insert(p.name.clone());
            }
        }
    }
}

/// Whether a section of `kind` has a setting `name`.
pub(crate) fn section_has_key(kind: ast::SectionKind, name: &str) -> bool {
    let keys = match kind {
        ast::SectionKind::Strategy => STRATEGY_KEYS,
        ast::SectionKind::Account => ACCOUNT_KEYS,
        ast::SectionKind::Entry => ENTRY_KEYS,
        ast::SectionKind::Sizing => SIZING_KEYS,
        ast::SectionKind::Hedge => HEDGE_KEYS,
        ast::SectionKind::Roll => ROLL_KEYS,
    };
    keys.iter().any(|k| k.name == name)
}

/// Words a trader writes for a cap on the size: `layer_cap` or
/// `total_cap`, as the value says.
const CAP_WORDS: &[&str] = &["cap", "max_size", "size_cap", "max_cap", "size_limit"];

/// A trader's words for a setting: the words, the setting, what it holds
/// and an example.
const TRADER_WORDS: &[(&[&str], &str, &str, &str)] = &[
    (
        &[
            "max_steps",
            "step_limit",
            "max_step",
            "levels",
            "max_levels",
            "max_level",
        ],
        "steps",
        "the step limit, 1 to 12",
        "steps = 4",
    ),
    (
        &["mult", "multiple", "factor", "martingale"],
        "multiplier",
        "the factor a loss multiplies the size by",
        "multiplier = 1.6x",
    ),
    (
        &["stop", "stop_loss", "stoploss", "stop_at", "sl"],
        "max_loss",
        "the stop, a percentage of the credit",
        "max_loss = 90% of credit",
    ),
    (
        &["delta", "deltas", "short"],
        "short_delta",
        "the short strikes' delta, a range or one delta",
        "short_delta = 0.15..0.20",
    ),
    (
        &["width", "wings", "wing", "spread_width"],
        "wing_width",
        "the wings' width in index points",
        "wing_width = 25pt",
    ),
    (
        &[
            "expiry",
            "expiration",
            "days",
            "days_to_expiry",
            "days_to_expiration",
        ],
        "dte",
        "the days to expiry at entry",
        "dte = 45d",
    ),
];

/// The setting a trader's own word for it means, where "did you mean" finds
/// nothing (`cap`, `stop_loss`, `delta`): the setting (or the two a `cap`
/// can be, when its value does not say which), what it holds and an
/// example (for a `cap`, with its own percentage or amount).
fn setting_meant(name: &str, s: &Setting) -> Option<Vec<(&'static str, String, String)>> {
    // The value written, when it is one literal of the setting's kind
    // (`delta = 0.16`: `short_delta = 0.16`).
    let written = match s.terms.as_slice() {
        [
            ast::Term::Expr(Expr {
                kind: ExprKind::Lit(l),
                ..
            }),
        ] => Some(l),
        _ => None,
    };
    let one = |key: &'static str, what: &str, example: &str| {
        let value = match (key, written) {
            ("steps" | "short_delta", Some(Literal::Number(n))) => {
                Some(format!("{}", n.normalize()))
            }
            ("multiplier", Some(Literal::Multiplier(m))) => Some(format!("{}x", m.normalize())),
            ("max_loss", Some(Literal::Percent(p))) => {
                Some(format!("{}% of credit", p.normalize()))
            }
            ("wing_width", Some(Literal::Points(p))) => Some(format!("{}pt", p.normalize())),
            ("dte", Some(Literal::Days(d))) => Some(format!("{}d", d.normalize())),
            _ => None,
        };
        let example = match value {
            Some(v) => format!("{key} = {v}"),
            None => example.to_string(),
        };
        Some(vec![(key, what.to_string(), example)])
    };
    let lower = name.to_ascii_lowercase();
    if !CAP_WORDS.contains(&lower.as_str()) {
        let (_, key, what, example) = TRADER_WORDS
            .iter()
            .find(|(words, ..)| words.contains(&lower.as_str()))?;
        return one(key, what, example);
    }
    // A `cap`: its value says which when it names a cycle or a layer.
    let words: Vec<String> = s
        .terms
        .iter()
        .filter_map(|t| match t {
            ast::Term::Expr(Expr {
                kind: ExprKind::Name(n),
                ..
            }) => Some(n.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let amount = match s.terms.first() {
        Some(ast::Term::Expr(Expr {
            kind: ExprKind::Lit(Literal::Percent(p)),
            ..
        })) => format!("{}% of capital", p.normalize()),
        Some(ast::Term::Expr(Expr {
            kind: ExprKind::Lit(Literal::Money(m)),
            ..
        })) => crate::money::fmt_money(*m),
        _ => "10% of capital".to_string(),
    };
    let has = |ws: &[&str]| words.iter().any(|w| ws.contains(&w.as_str()));
    let layer = (
        "layer_cap",
        "the cap on one condor's size, at every step".to_string(),
        format!("layer_cap = {amount}"),
    );
    let total = (
        "total_cap",
        "the budget for a full losing cycle's risk, which `check` holds the ladder to".to_string(),
        format!("total_cap = {amount}"),
    );
    // The cycle's words first: `per cycle` is the total.
    Some(if has(&["total", "cycle", "all", "overall"]) {
        vec![total]
    } else if has(&[
        "layer", "layers", "condor", "trade", "position", "step", "each", "per",
    ]) {
        vec![layer]
    } else {
        vec![layer, total]
    })
}

/// The settings of one section, by key.
struct Settings<'s> {
    by_key: BTreeMap<&'static str, Vec<&'s Setting>>,
    /// Keys that an unknown setting was probably meant as (`multiplyer`):
    /// not reported missing, the typo already is.
    typos: Vec<&'static str>,
}

impl<'s> Settings<'s> {
    fn one(&self, k: &str) -> Option<&'s Setting> {
        self.by_key.get(k).and_then(|v| v.first().copied())
    }
    fn all(&self, k: &str) -> &[&'s Setting] {
        self.by_key.get(k).map_or(&[], Vec::as_slice)
    }
    fn typo(&self, k: &str) -> bool {
        self.typos.contains(&k)
    }
}

impl<'e> Checker<'e> {
    fn new(env: &'e Env) -> Checker<'e> {
        Checker {
            env,
            diags: Vec::new(),
            params: BTreeMap::new(),
            signal_defs: BTreeMap::new(),
            sig_state: HashMap::new(),
            signal_order: Vec::new(),
            cycle_reported: HashSet::new(),
            used: HashSet::new(),
            used_plugins: HashSet::new(),
            plugin_calls: Vec::new(),
            basis: Basis::Capital,
            stray: Vec::new(),
            unparsed_defs: Vec::new(),
            sig_depth: 0,
            sig_path: Vec::new(),
            sig_height: 0,
            depth: 0,
            overrides: Vec::new(),
            in_guard: false,
            account_written: Vec::new(),
        }
    }

    fn err(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(code, span, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn file(&mut self, file: &'e ast::File) -> Option<Strategy> {
        self.stray = file.recovered.clone();
        self.unparsed_defs = file.unparsed_defs.clone();
        // Collect items: sections by kind, definitions by name.
        let mut sections: BTreeMap<SectionKind, Vec<&Section>> = BTreeMap::new();
        let mut guards: Vec<&ast::Guards> = Vec::new();
        for item in &file.items {
            match item {
                ast::Item::Section(s) => sections.entry(s.kind).or_default().push(s),
                ast::Item::Guards(g) => guards.push(g),
                ast::Item::Param(p) => self.param_def(p),
                ast::Item::Signal(s) => self.signal_def(s),
            }
        }
        self.unknown_overrides();
        for (kind, list) in &sections {
            if *kind == SectionKind::Hedge {
                continue;
            }
            if let [first, rest @ ..] = list.as_slice() {
                for dup in rest {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DuplicateSection,
                            dup.kind_loc.0,
                            format!("section `{}` appears twice", kind.keyword()),
                        )
                        .label("second definition")
                        .related(first.kind_loc.0, "first defined here")
                        .help("merge the two sections into one"),
                    );
                }
            }
        }
        if let [first, rest @ ..] = guards.as_slice() {
            for dup in rest {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateSection,
                        dup.kw_loc.0,
                        "section `guards` appears twice",
                    )
                    .label("second definition")
                    .related(first.kw_loc.0, "first defined here")
                    .help("merge the two blocks into one"),
                );
            }
        }
        let first = |k: SectionKind| sections.get(&k).and_then(|v| v.first().copied());
        // Each example pastes as it is shown: one setting a line (two on one
        // line are E0001), every required setting given.
        for (kind, example) in [
            (
                SectionKind::Strategy,
                "add the header, one setting a line:\nstrategy \"Name\" {\n    version = 1.0.0\n    language = 1\n}",
            ),
            (
                SectionKind::Account,
                "add the section, one setting a line:\naccount {\n    capital = $100,000\n}",
            ),
            (
                SectionKind::Entry,
                "add the section, one setting a line:\nentry {\n    underlying = SPX\n    dte = 45d\n    short_delta = 0.15..0.20\n    wing_width = 25pt\n}",
            ),
            (
                SectionKind::Sizing,
                "add the section, one setting a line:\nsizing {\n    base = 1% of capital\n    steps = 4\n    multiplier = 1.6x\n    layer_cap = 10% of capital\n    max_loss = 90% of credit\n}",
            ),
        ] {
            if first(kind).is_none() && !file.recovered.iter().any(|r| r == kind.keyword()) {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingSection,
                        Span::new(0, 0),
                        format!("missing section `{}`", kind.keyword()),
                    )
                    .label("required in every strategy")
                    .help(example),
                );
            }
        }

        let header = first(SectionKind::Strategy).and_then(|s| self.header(s));
        let account = first(SectionKind::Account).and_then(|s| self.account(s));
        let entry = first(SectionKind::Entry).and_then(|s| self.entry(s));
        let sizing_sec = first(SectionKind::Sizing);
        let sizing = sizing_sec.and_then(|s| self.sizing(s));
        let steps = sizing.as_ref().map(|(s, _)| s.steps);

        // Signals, each after those it reads; each checked once.
        for n in self.signal_check_order() {
            let _ = self.signal_ty(&n);
        }

        let mut hedges = Vec::new();
        let mut hedge_names: HashMap<String, Span> = HashMap::new();
        for h in sections
            .get(&SectionKind::Hedge)
            .map_or(&[][..], Vec::as_slice)
        {
            if let Some(label) = &h.label
                && let Some(prev) = hedge_names.insert(label.text().to_string(), label.span())
            {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        label.span(),
                        format!("hedge layer `{}` is defined twice", label.text()),
                    )
                    .related(prev, "first defined here")
                    .help("give each layer its own name"),
                );
                continue;
            }
            hedges.extend(self.hedge(h, steps));
        }
        let roll = first(SectionKind::Roll).and_then(|s| self.roll(s));
        let mut model_guards = Vec::new();
        // Exposure limits with where they are written, to hold against the base.
        let mut exposure_limits = Vec::new();
        for g in guards.iter().take(1) {
            // The market conditions that checked, to hold against each other.
            let mut conditions: Vec<&Expr> = Vec::new();
            for guard in &g.guards {
                if let Some(m) = self.guard(guard, account.as_ref()) {
                    if let Guard::Exposure { max } = m {
                        exposure_limits.push((max, guard.span()));
                    }
                    if let (Guard::Condition { .. }, ast::Guard::Condition { expr, .. }) =
                        (&m, guard)
                    {
                        conditions.push(expr);
                    }
                    model_guards.push(m);
                }
            }
            // Every entry needs every guard: two that never hold together
            // (`vix < 15`, `vix > 40`) block them all.
            let pair = conditions.iter().enumerate().find_map(|(i, a)| {
                conditions
                    .get(i + 1..)?
                    .iter()
                    .find(|b| exclusive(a, b))
                    .map(|b| (*a, *b))
            });
            if let Some((a, b)) = pair {
                self.diags.push(
                    Diagnostic::new(
                        Code::GuardsExclusive,
                        b.span(),
                        "these two guards never hold together: no entry is ever allowed",
                    )
                    .label("never holds with the one above")
                    .related(a.span(), "this guard")
                    .help("an entry needs every guard to hold: drop one, or write them as one guard with `or`"),
                );
            }
        }

        // Unused definitions. A statement that did not parse may use them,
        // and so may one that parsed but did not check (`coefficient = 0.45
        // if theta_press`, a roll section given twice): when the file has an
        // error, a name written anywhere but its own definition is not
        // reported as unused, which would only follow from that error.
        let mentioned = if self
            .diags
            .iter()
            .any(|d| d.severity() == crate::diag::Severity::Error)
        {
            mentioned_names(file)
        } else {
            HashSet::new()
        };
        let unparsed = |name: &str| {
            file.unparsed_names
                .binary_search_by(|n| n.as_str().cmp(name))
                .is_ok()
                || mentioned.contains(name)
        };
        for (name, def) in &self.signal_defs {
            if !self.used.contains(name) && !unparsed(name) {
                self.diags.push(
                    Diagnostic::new(
                        Code::Unused,
                        def.name.span(),
                        format!("signal `{name}` is never used"),
                    )
                    .label("defined here")
                    .help("use it in a trigger, a roll override or a guard, or remove it"),
                );
            }
        }
        for (name, (_, span)) in &self.params {
            if !self.used.contains(name) && !unparsed(name) {
                self.diags.push(
                    Diagnostic::new(Code::Unused, *span, format!("param `{name}` is never used"))
                        .label("defined here")
                        .help("use it in a setting or a signal, or remove it"),
                );
            }
        }

        let (sizing, sizing_spans) = sizing?;
        let account = account?;
        if let Some(sec) = sizing_sec {
            exposure::warnings(
                self,
                sec,
                &sizing,
                &sizing_spans,
                &account,
                // Written, not only checked: a layer whose trigger reads a
                // signal that did not parse is an error already, not an
                // unhedged ladder to warn of too.
                sections
                    .get(&SectionKind::Hedge)
                    .is_some_and(|written| !written.is_empty()),
                &exposure_limits,
            );
        }
        let (name, version, language) = header?;
        let signals = self
            .signal_order
            .iter()
            .filter_map(|n| {
                let def = self.signal_defs.get(n)?;
                let boolean = matches!(
                    self.sig_state.get(n),
                    Some(SigState::Done(Some(expr::Ty::Bool), _))
                );
                Some(model::Signal {
                    name: n.clone(),
                    boolean,
                    expr: def.expr.clone(),
                })
            })
            .collect();
        let params = self
            .params
            .iter()
            .map(|(n, (v, _))| model::Param {
                name: n.clone(),
                value: v.clone(),
            })
            .collect();
        Some(Strategy {
            name,
            version,
            language,
            account,
            entry: entry?,
            sizing,
            signals,
            hedges,
            roll,
            guards: model_guards,
            params,
            plugin_calls: Vec::new(),
        })
    }

    /// Groups a section's settings by key, reporting unknown, duplicate and missing keys.
    fn settings<'s>(&mut self, sec: &'s Section, keys: &[Key]) -> Settings<'s> {
        let mut by_key: BTreeMap<&'static str, Vec<&'s Setting>> = BTreeMap::new();
        let mut typos = Vec::new();
        for s in &sec.settings {
            let name = s.key.name.as_str();
            let Some(k) = keys.iter().find(|k| k.name == name) else {
                let mut d = Diagnostic::new(
                    Code::UnknownSetting,
                    s.key.span(),
                    format!("`{}` has no setting `{name}`", sec.kind.keyword()),
                )
                .label("unknown setting");
                if let Some(k) = keys.iter().find(|k| did_you_mean(name, [k.name]).is_some()) {
                    typos.push(k.name);
                }
                let meant = setting_meant(name, s);
                if let Some(meant) = &meant {
                    typos.extend(
                        keys.iter()
                            .filter(|k| meant.iter().any(|m| m.0 == k.name))
                            .map(|k| k.name),
                    );
                }
                let elsewhere = sections_with_key(name);
                d = match did_you_mean(name, keys.iter().map(|k| k.name)) {
                    Some(h) => d.help(h),
                    None if let Some(meant) = meant => {
                        let here = keys.iter().any(|k| k.name == meant[0].0);
                        let named = meant
                            .iter()
                            .map(|(key, what, example)| format!("`{key}`, {what} (`{example}`)"))
                            .collect::<Vec<_>>()
                            .join(", or ");
                        d.help(if here {
                            format!("did you mean {named}?")
                        } else {
                            format!(
                                "did you mean {named}? it is a setting of {}: move it there",
                                sections_with_key(meant[0].0).join(" or ")
                            )
                        })
                    }
                    None if !elsewhere.is_empty() => d.help(format!(
                        "`{name}` is a setting of {}: move it there",
                        elsewhere.join(" or ")
                    )),
                    None => d.help(format!(
                        "`{}` takes {}",
                        sec.kind.keyword(),
                        keys.iter()
                            .map(|k| format!("`{}`", k.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                self.diags.push(d);
                continue;
            };
            let list = by_key.entry(k.name).or_default();
            if !k.repeat
                && let Some(first) = list.first()
            {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateSetting,
                        s.key.span(),
                        format!("`{name}` is set twice"),
                    )
                    .label("second setting")
                    .related(first.key.span(), "first set here")
                    .help("keep one"),
                );
                continue;
            }
            list.push(s);
        }
        let set = Settings { by_key, typos };
        for k in keys.iter().filter(|k| k.required) {
            if set.one(k.name).is_none() && !self.unread(sec, &set, k.name) {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingSetting,
                        sec.kind_loc.0,
                        format!("`{}` is missing `{}`", sec.kind.keyword(), k.name),
                    )
                    .label(format!("this section needs `{}`", k.name))
                    .help(format!("add `{} = ...`", k.name)),
                );
            }
        }
        set
    }

    /// Whether `key` is written in `sec` but could not be read: on a line
    /// that did not parse, misspelt (`multiplyer`), or on a line outside
    /// any section. It is not said to be missing, nor anything that would
    /// follow from that: its error is said where it is written.
    fn unread(&self, sec: &Section, set: &Settings<'_>, key: &str) -> bool {
        sec.recovered.iter().any(|r| r == key)
            || set.typo(key)
            || self.stray.iter().any(|r| r == key)
    }

    fn param_def(&mut self, p: &ast::ParamDef) {
        let name = &p.name.name;
        if self.params.contains_key(name) || self.signal_defs.contains_key(name) {
            let prev = self
                .params
                .get(name)
                .map(|x| x.1)
                .or_else(|| self.signal_defs.get(name).map(|s| s.name.span()));
            let mut d = Diagnostic::new(
                Code::DuplicateName,
                p.name.span(),
                format!("`{name}` is defined twice"),
            )
            .help("give each definition its own name");
            if let Some(prev) = prev {
                d = d.related(prev, "first defined here");
            }
            self.diags.push(d);
            return;
        }
        if let Some(d) = self.reserved_name(name, p.name.span()) {
            self.diags.push(d);
            return;
        }
        match self.literal_expr(&p.value) {
            Some((l @ (Literal::Version(_) | Literal::Str(_)), s)) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        s,
                        format!("a param holds a number, found {}", terms::describe(&l)),
                    )
                    .help("write for example `param mult = 1.6x`"),
                );
            }
            Some((l, s)) => {
                let l = match self.overrides.iter().find(|(n, _)| n == name) {
                    Some((_, o)) if std::mem::discriminant(o) != std::mem::discriminant(&l) => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::UnitMismatch,
                                s,
                                format!(
                                    "param `{name}` is {}; its override is {}",
                                    terms::describe(&l),
                                    terms::describe(o)
                                ),
                            )
                            .help("give the override in the param's unit"),
                        );
                        return;
                    }
                    Some((_, o)) => o.clone(),
                    None => l,
                };
                self.params.insert(name.clone(), (l, p.name.span()));
            }
            None => {
                self.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        p.value.span(),
                        "a param's value must be a literal",
                    )
                    .help("write for example `param mult = 1.6x`"),
                );
            }
        }
    }

    /// Overrides of names that are no param of the file.
    fn unknown_overrides(&mut self) {
        let unknown: Vec<String> = self
            .overrides
            .iter()
            .map(|(n, _)| n)
            .filter(|n| !self.params.contains_key(*n))
            .cloned()
            .collect();
        for name in unknown {
            let known: Vec<&str> = self.params.keys().map(String::as_str).collect();
            let help = did_you_mean(&name, known.iter().copied()).unwrap_or_else(|| {
                if known.is_empty() {
                    format!("the file declares no params; add `param {name} = ...`")
                } else {
                    format!("its params are {}", known.join(", "))
                }
            });
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownName,
                    Span::new(0, 0),
                    format!("`{name}` is set from outside, but the file has no param `{name}`"),
                )
                .help(help),
            );
        }
    }

    fn reserved_name(&self, name: &str, span: Span) -> Option<Diagnostic> {
        let what = if crate::signals::lookup(name).is_some() {
            "a built-in signal"
        } else if expr::SERIES.contains(&name) {
            "a market series"
        } else if self.env.plugins.iter().any(|p| p.name == name) {
            "a plugin signal"
        } else if expr::GUARD_VARS.contains(&name) {
            "a guard variable"
        } else {
            return None;
        };
        Some(
            Diagnostic::new(
                Code::DuplicateName,
                span,
                format!("`{name}` is already {what}"),
            )
            .label("this name is taken")
            .help("choose another name"),
        )
    }

    /// The signals in an order where each comes after the signals it reads
    /// (a post-order of the reads, walked with a stack of its own, however
    /// long a chain is). Checked in this order, a signal finds what it reads
    /// already checked, so a chain's depth is measured rather than recursed
    /// into, and the one signal past [`MAX_SIGNAL_DEPTH`](expr::MAX_SIGNAL_DEPTH) is the one
    /// reported, whatever the order and names of the definitions. The
    /// signals on a cycle come last, by name (the check finds the cycle).
    fn signal_check_order(&self) -> Vec<String> {
        fn reads<'a>(e: &'a ast::Expr, out: &mut Vec<&'a str>) {
            match &e.kind {
                ExprKind::Name(n) => out.push(n),
                ExprKind::Call { args, .. } => args.iter().for_each(|a| reads(a, out)),
                ExprKind::Unary(_, a) | ExprKind::Paren(a) => reads(a, out),
                ExprKind::Binary(_, a, b) => {
                    reads(a, out);
                    reads(b, out);
                }
                ExprKind::Lit(_) | ExprKind::Within { .. } => {}
            }
        }
        let signal_reads = |name: &str| {
            let mut out = Vec::new();
            if let Some(def) = self.signal_defs.get(name) {
                reads(&def.expr, &mut out);
            }
            out.retain(|n| self.signal_defs.contains_key(*n));
            out
        };
        let mut order = Vec::with_capacity(self.signal_defs.len());
        let mut seen: HashSet<&str> = HashSet::new();
        // Where each signal on the walk's stack is, and those found on a cycle.
        let mut on_stack: HashMap<&str, usize> = HashMap::new();
        let mut cyclic: HashSet<&str> = HashSet::new();
        for root in self.signal_defs.keys() {
            if !seen.insert(root) {
                continue;
            }
            let mut stack = vec![(root.as_str(), signal_reads(root), 0usize)];
            on_stack.insert(root, 0);
            while let Some((name, next, i)) = stack.last_mut() {
                if let Some(r) = next.get(*i).copied() {
                    *i += 1;
                    if seen.insert(r) {
                        on_stack.insert(r, stack.len());
                        stack.push((r, signal_reads(r), 0));
                    } else if let Some(&at) = on_stack.get(r) {
                        cyclic.extend(stack.iter().skip(at).map(|(n, _, _)| *n));
                    }
                } else {
                    on_stack.remove(*name);
                    order.push(*name);
                    stack.pop();
                }
            }
        }
        // The signals on a cycle are left to the check in name order, which
        // reports the cycle at its first name, as it always has.
        let mut rest: Vec<&str> = self.signal_defs.keys().map(String::as_str).collect();
        rest.retain(|n| cyclic.contains(n));
        order.retain(|n| !cyclic.contains(n));
        order.extend(rest);
        order.into_iter().map(str::to_string).collect()
    }

    fn signal_def(&mut self, s: &'e ast::SignalDef) {
        let name = &s.name.name;
        if let Some(prev) = self
            .signal_defs
            .get(name)
            .map(|d| d.name.span())
            .or_else(|| self.params.get(name).map(|p| p.1))
        {
            self.diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    s.name.span(),
                    format!("`{name}` is defined twice"),
                )
                .related(prev, "first defined here")
                .help("give each definition its own name"),
            );
            return;
        }
        if let Some(d) = self.reserved_name(name, s.name.span()) {
            // Reported; still defined, so that its uses are not reported again.
            self.diags.push(d);
        }
        self.signal_defs.insert(name.clone(), s);
    }

    fn header(&mut self, sec: &Section) -> Option<(String, String, u32)> {
        let set = self.settings(sec, STRATEGY_KEYS);
        let name = match &sec.label {
            Some(ast::Label::Str(s, _)) => Some(s.clone()),
            Some(l @ ast::Label::Name(_)) => {
                let text = l.text().to_string();
                self.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        l.span(),
                        "a strategy's name is a quoted string",
                    )
                    .help(format!("write `strategy \"{text}\" {{ ... }}`")),
                );
                None
            }
            None => {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingSetting,
                        sec.kind_loc.0,
                        "the strategy has no name",
                    )
                    .help("write `strategy \"Name\" { ... }`"),
                );
                None
            }
        };
        let version = set.one("version").and_then(|s| {
            let mut ts = Terms::new(s);
            let v = self.one_version(&mut ts);
            self.end(&mut ts, "1.0.0");
            v
        });
        let language = set.one("language").and_then(|s| {
            let mut ts = Terms::new(s);
            let (n, span) = self.integer(&mut ts, "1")?;
            self.end(&mut ts, "1");
            if n != LANGUAGE_VERSION {
                self.diags.push(
                    Diagnostic::new(Code::UnsupportedLanguage, span, format!("language version {n} is not supported"))
                        .label(format!("this vixshield speaks language {LANGUAGE_VERSION}"))
                        .help(format!("write `language = {LANGUAGE_VERSION}`, or use a vixshield that speaks language {n}")),
                );
                return None;
            }
            Some(n)
        });
        if let Some(s) = set.one("description") {
            let mut ts = Terms::new(s);
            let _ = self.string(&mut ts, "\"what it does\"");
            self.end(&mut ts, "\"what it does\"");
        }
        Some((name?, version?, language?))
    }

    fn one_version(&mut self, ts: &mut Terms<'_>) -> Option<String> {
        let t = ts.next()?;
        match self.literal(t) {
            Some((Literal::Version(v), _)) => Some(v),
            _ => {
                self.mismatch(t, "version", "a semantic version", "1.0.0");
                None
            }
        }
    }

    fn account(&mut self, sec: &Section) -> Option<model::Account> {
        let set = self.settings(sec, ACCOUNT_KEYS);
        self.account_written = ACCOUNT_KEYS
            .iter()
            .map(|k| k.name)
            .filter(|&k| set.one(k).is_some() || self.unread(sec, &set, k))
            .collect();
        if let Some(s) = set.one("percent_of") {
            let mut ts = Terms::new(s);
            match ts.next() {
                Some(t) if t.word() == Some("capital") => self.basis = Basis::Capital,
                Some(t) if t.word() == Some("equity") => self.basis = Basis::Equity,
                Some(t) => self.mismatch(t, "percent_of", "`capital` or `equity`", "capital"),
                None => self.missing(&ts, "`capital` or `equity`", "capital"),
            }
            self.end(&mut ts, "capital");
        }
        let capital = set.one("capital").and_then(|s| {
            let mut ts = Terms::new(s);
            let (c, span) = self.money(&mut ts, "$100,000")?;
            self.end(&mut ts, "$100,000");
            self.positive(c, span, "capital")
        });
        let rate = |this: &mut Self, k: &str| -> Option<Decimal> {
            let s = set.one(k)?;
            let mut ts = Terms::new(s);
            let (p, span) = this.percent(&mut ts, "4.5%")?;
            this.end(&mut ts, "4.5%");
            this.fraction_in_range(p, span, k, true)
        };
        let risk_free_rate = rate(self, "risk_free_rate");
        let equity_risk_premium = rate(self, "equity_risk_premium");
        let margin_rate = rate(self, "margin_rate");
        let tax_rate = rate(self, "tax_rate");
        let beta = set.one("beta").and_then(|s| {
            let mut ts = Terms::new(s);
            let (b, _) = self.number(&mut ts, "1.0")?;
            self.end(&mut ts, "1.0");
            Some(b)
        });
        let cash = match set.one("cash") {
            Some(s) => {
                let mut ts = Terms::new(s);
                let v = self.money(&mut ts, "$100,000");
                self.end(&mut ts, "$100,000");
                let (c, span) = v?;
                if c < Decimal::ZERO {
                    self.err(Code::NotPositive, span, "`cash` cannot be negative");
                    return None;
                }
                Some(c)
            }
            None => None,
        };
        let capital = capital?;
        Some(model::Account {
            capital,
            percent_of: self.basis,
            risk_free_rate,
            beta,
            equity_risk_premium,
            margin_rate,
            tax_rate,
            cash: cash.unwrap_or(capital),
        })
    }

    fn positive(&mut self, d: Decimal, span: Span, what: &str) -> Option<Decimal> {
        if d > Decimal::ZERO {
            Some(d)
        } else {
            self.diags.push(
                Diagnostic::new(
                    Code::NotPositive,
                    span,
                    format!("`{what}` must be more than zero, found `{}`", d.normalize()),
                )
                .label("not positive"),
            );
            None
        }
    }

    /// A fraction in (0, 1] (or [0, 1] with `zero_ok`), else E0403.
    fn fraction_in_range(
        &mut self,
        f: Decimal,
        span: Span,
        what: &str,
        zero_ok: bool,
    ) -> Option<Decimal> {
        let low_ok = if zero_ok {
            f >= Decimal::ZERO
        } else {
            f > Decimal::ZERO
        };
        if low_ok && f <= Decimal::ONE {
            return Some(f);
        }
        let shown = crate::money::fmt_percent(f);
        let (msg, label) = if f > Decimal::ONE {
            (
                format!("`{what}` of {shown} is over 100%"),
                "more than the whole",
            )
        } else {
            (
                format!("`{what}` of {shown} must be above 0%"),
                "not above zero",
            )
        };
        self.diags.push(
            Diagnostic::new(Code::PercentRange, span, msg)
                .label(label)
                .help("a percentage here lies in 0%..100%"),
        );
        None
    }

    fn entry(&mut self, sec: &Section) -> Option<model::Entry> {
        let set = self.settings(sec, ENTRY_KEYS);
        let underlying = set.one("underlying").and_then(|s| {
            let mut ts = Terms::new(s);
            let t = ts.next()?;
            let w = t.word().map(str::to_string);
            self.end(&mut ts, "SPX");
            match w.as_deref() {
                Some(u @ ("SPX" | "XSP")) => Some(u.to_string()),
                _ => {
                    self.mismatch(t, "underlying", "`SPX` or `XSP`", "SPX");
                    None
                }
            }
        });
        let dte = set.one("dte").and_then(|s| {
            let mut ts = Terms::new(s);
            let (d, span) = self.days(&mut ts, "45d", 1)?;
            self.end(&mut ts, "45d");
            self.positive(Decimal::from(d), span, "dte").map(|_| d)
        });
        let short_delta = set.one("short_delta").and_then(|s| {
            let mut ts = Terms::new(s);
            // One delta (`0.16`) is the range of that delta alone, as a
            // hedge's `dte` of one count is.
            let (r, span) = if matches!(ts.peek(), Some(ast::Term::Range(..))) {
                self.range(&mut ts, "a delta range", "0.15..0.20", |l| match l {
                    Literal::Number(d) => Some(*d),
                    _ => None,
                })?
            } else {
                let (d, span) = self.number(&mut ts, "0.15..0.20")?;
                ((d, d), span)
            };
            self.end(&mut ts, "0.15..0.20");
            for d in [r.0, r.1] {
                if d <= Decimal::ZERO || d >= Decimal::ONE {
                    self.diags.push(
                        Diagnostic::new(
                            Code::DeltaRange,
                            span,
                            format!("delta `{}` lies outside (0, 1)", d.normalize()),
                        )
                        .label("an option's delta is between 0 and 1")
                        .help(if d.fract().is_zero() && d > Decimal::ONE && d < Decimal::ONE_HUNDRED {
                            // `16`: a trader's "16 delta".
                            format!(
                                "a delta is a fraction: a {0}-delta strike is `{1}` (short strikes of this method sit at 0.15..0.20)",
                                d.normalize(),
                                (d / Decimal::ONE_HUNDRED).normalize()
                            )
                        } else {
                            "short strikes of this method sit at 0.15..0.20".to_string()
                        }),
                    );
                    return None;
                }
            }
            Some(r)
        });
        let wing_width = set.one("wing_width").and_then(|s| {
            let mut ts = Terms::new(s);
            let (w, span) = self.points(&mut ts, "50pt")?;
            self.end(&mut ts, "50pt");
            self.positive(w, span, "wing_width")
        });
        let target_return = set.one("target_return").and_then(|s| {
            let mut ts = Terms::new(s);
            let (p, span) = self.percent(&mut ts, "15%")?;
            self.end(&mut ts, "15%");
            self.fraction_in_range(p, span, "target_return", false)
        });
        let take_profit = set.one("take_profit").and_then(|s| {
            let mut ts = Terms::new(s);
            let (p, span) = self.percent_of(&mut ts, &["credit"], "50% of credit")?;
            self.end(&mut ts, "50% of credit");
            self.fraction_in_range(p, span, "take_profit", false)
        });
        let exit_dte = set.one("exit_dte").and_then(|s| {
            let mut ts = Terms::new(s);
            let (d, _) = self.days(&mut ts, "21d", 0)?;
            self.end(&mut ts, "21d");
            Some(d)
        });
        let reentry = match set.one("reentry") {
            Some(s) => {
                let mut ts = Terms::new(s);
                let d = self.days(&mut ts, "1d", 0);
                self.end(&mut ts, "1d");
                Some(d?.0)
            }
            None => Some(1),
        };
        if let (Some(e), Some(d), Some(s)) = (exit_dte, dte, set.one("exit_dte"))
            && e >= d
        {
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    s.value_span(),
                    format!("`exit_dte` of {e}d is not before expiry of a {d}d condor"),
                )
                .help("exit_dte counts the days left when the condor is closed: less than `dte`"),
            );
            return None;
        }
        Some(model::Entry {
            underlying: underlying?,
            dte: dte?,
            short_delta: short_delta?,
            wing_width: wing_width?,
            target_return,
            take_profit,
            exit_dte,
            reentry: reentry?,
        })
    }

    fn sizing(&mut self, sec: &Section) -> Option<(model::Sizing, exposure::SizingSpans)> {
        let set = self.settings(sec, SIZING_KEYS);
        let mut spans = exposure::SizingSpans {
            section: sec.kind_loc.0,
            ..Default::default()
        };
        let base = set.one("base").and_then(|s| {
            spans.base = s.value_span();
            let mut ts = Terms::new(s);
            let (a, span) = self.amount(&mut ts, "1% of capital")?;
            self.end(&mut ts, "1% of capital");
            self.amount_in_range(a, span, "base")
        });
        let steps = set.one("steps").and_then(|s| {
            let mut ts = Terms::new(s);
            let (d, span) = self.number(&mut ts, "4")?;
            self.end(&mut ts, "4");
            // A whole number past the range, however large, is a step limit
            // outside it (it read "too large: at most 4294967295").
            let outside = d.fract().is_zero() && (d < Decimal::ONE || d > Decimal::from(MAX_STEPS));
            if outside {
                self.diags.push(
                    Diagnostic::new(
                        Code::StepLimitRange,
                        span,
                        format!(
                            "a step limit of {} is outside 1..{MAX_STEPS}",
                            d.normalize()
                        ),
                    )
                    .label(if d < Decimal::ONE {
                        "the ladder needs at least one step"
                    } else {
                        "a ladder this deep cannot be capped sensibly"
                    })
                    .help("the method uses 3 to 4 steps"),
                );
                return None;
            }
            self.whole(d, span, "steps").map(|(n, _)| n)
        });
        let reset = match set.one("reset") {
            None => Some(Reset::OnWin),
            Some(s) => {
                let mut ts = Terms::new(s);
                let on = ts.eat_word("on");
                let r = match ts.next() {
                    Some(t) if on && t.word() == Some("win") => Some(Reset::OnWin),
                    Some(t) if on && t.word() == Some("recovery") => Some(Reset::OnRecovery),
                    Some(t) => {
                        // `on recovry`: the example is the one meant.
                        let meant_recovery = t
                            .word()
                            .is_some_and(|w| did_you_mean(w, ["recovery"]).is_some());
                        let example = if meant_recovery {
                            "on recovery"
                        } else {
                            "on win"
                        };
                        self.mismatch(t, "reset", "`on win` or `on recovery`", example);
                        None
                    }
                    None => {
                        self.missing(&ts, "`on win` or `on recovery`", "on win");
                        None
                    }
                };
                self.end(&mut ts, "on win");
                r
            }
        };
        let rounding = set.one("round").and_then(|s| {
            let mut ts = Terms::new(s);
            let mode = match ts.next() {
                Some(t) if t.word() == Some("nearest") => RoundMode::Nearest,
                Some(t) if t.word() == Some("down") => RoundMode::Down,
                Some(t) => {
                    self.mismatch(
                        t,
                        "round",
                        "`nearest` or `down` and an increment",
                        "nearest $100",
                    );
                    return None;
                }
                None => return None,
            };
            let (inc, span) = self.money(&mut ts, "nearest $100")?;
            self.end(&mut ts, "nearest $100");
            let increment = self.positive(inc, span, "round")?;
            // Money is kept to the cent: a finer increment rounds nothing
            // (and a tiny one overflows the division that rounds).
            if increment
                .checked_mul(Decimal::ONE_HUNDRED)
                .is_some_and(|cents| !cents.fract().is_zero())
            {
                self.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        span,
                        format!(
                            "`round` must be a whole number of cents, found `${}`",
                            increment.normalize()
                        ),
                    )
                    .label("finer than a cent")
                    .help("round to cents at the finest: `round = nearest $0.01`"),
                );
                return None;
            }
            Some(Rounding { mode, increment })
        });
        let cap = |this: &mut Self, k: &'static str, span_slot: &mut Span| {
            let s = set.one(k)?;
            *span_slot = s.value_span();
            let mut ts = Terms::new(s);
            let (a, span) = this.amount(&mut ts, "10% of capital")?;
            this.end(&mut ts, "10% of capital");
            this.amount_in_range(a, span, k)
        };
        let layer_cap = cap(self, "layer_cap", &mut spans.layer_cap);
        let total_cap = cap(self, "total_cap", &mut spans.total_cap);
        let had_layer_cap = set.one("layer_cap").is_some();
        let had_total_cap = set.one("total_cap").is_some();
        // A cap written but not read (misspelt, `cap` for it, a line that
        // did not parse) is no ladder without a cap: its error is said, and
        // no warning that would follow from the cap missing (W0103).
        spans.cap_unread =
            self.unread(sec, &set, "layer_cap") || self.unread(sec, &set, "total_cap");

        // Per-step settings need the step limit.
        let steps = steps?;
        // A per-step key written on a line that did not parse, or misspelt.
        let (multiplier_lost, max_loss_lost) = (
            self.unread(sec, &set, "multiplier"),
            self.unread(sec, &set, "max_loss"),
        );
        let multipliers = self.per_step(
            set.all("multiplier"),
            steps,
            2,
            "multiplier",
            "1.6x into steps 2..4",
            |this, ts| {
                let (m, span) = this.multiplier(ts, "1.6x into step 2")?;
                if m <= Decimal::ONE {
                    this.diags.push(
                        Diagnostic::new(
                            Code::MultiplierTooSmall,
                            span,
                            format!("multiplier `{}x` must be greater than 1", m.normalize()),
                        )
                        .label(if m < Decimal::ONE {
                            "a multiplier below 1 shrinks the next position"
                        } else {
                            "a multiplier of 1 never grows the position"
                        })
                        .help("the method uses 1.6x to 2x"),
                    );
                    return None;
                }
                Some(m)
            },
            &mut spans.multipliers,
            multiplier_lost,
        );
        let max_loss = self.per_step(
            set.all("max_loss"),
            steps,
            1,
            "max_loss",
            "90% of credit at steps 1..2",
            |this, ts| {
                let (p, span) = this.percent_of(ts, &["credit"], "90% of credit")?;
                this.fraction_in_range(p, span, "max_loss", false)
            },
            &mut spans.max_loss,
            max_loss_lost,
        );
        for (key, example, needed) in [
            ("multiplier", "multiplier = 1.6x", steps > 1),
            ("max_loss", "max_loss = 90% of credit", true),
        ] {
            if needed && set.all(key).is_empty() && !self.unread(sec, &set, key) {
                let why = if key == "multiplier" {
                    format!("steps 2..{steps} need a multiplier")
                } else {
                    "how much of the credit may a condor lose?".to_string()
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingSetting,
                        sec.kind_loc.0,
                        format!("`sizing` is missing `{key}`"),
                    )
                    .label(why)
                    .help(format!("add for example `{example}`")),
                );
            }
        }
        let sizing = model::Sizing {
            base: base?,
            steps,
            multipliers: multipliers?,
            reset: reset?,
            rounding,
            layer_cap: if had_layer_cap {
                Some(layer_cap?)
            } else {
                None
            },
            total_cap: if had_total_cap {
                Some(total_cap?)
            } else {
                None
            },
            max_loss: max_loss?,
        };
        Some((sizing, spans))
    }

    /// Checks that an amount is positive and a percentage at most 100%.
    fn amount_in_range(&mut self, a: Amount, span: Span, what: &str) -> Option<Amount> {
        match a {
            Amount::Money(m) => self.positive(m, span, what).map(Amount::Money),
            Amount::Percent { fraction, of } => self
                .fraction_in_range(fraction, span, what, false)
                .map(|fraction| Amount::Percent { fraction, of }),
        }
    }

    /// Reads a per-step setting into one value per step `first..=steps`: explicit
    /// selectors first, a setting with no selector fills the rest. Reports steps
    /// outside the ladder, overlaps and gaps.
    #[allow(clippy::too_many_arguments)]
    fn per_step(
        &mut self,
        settings: &[&Setting],
        steps: u32,
        first: u32,
        key: &str,
        example: &str,
        mut value: impl FnMut(&mut Self, &mut Terms<'_>) -> Option<Decimal>,
        spans: &mut Vec<Span>,
        lost: bool,
    ) -> Option<Vec<Decimal>> {
        let n = (steps + 1).saturating_sub(first) as usize;
        let mut slots: Vec<Option<(Decimal, Span)>> = vec![None; n];
        let mut default: Option<(Decimal, Span)> = None;
        let mut ok = true;
        for s in settings {
            let mut ts = Terms::new(s);
            let v = value(self, &mut ts);
            let sel = self.step_selector(&mut ts, example);
            // A setting with words left over (`... step 2`) is said there,
            // and does not take part in the steps' coverage: what it was
            // meant to cover is unknown.
            let whole = self.end(&mut ts, example);
            let (Some(v), Some(sel), true) = (v, sel, whole) else {
                ok = false;
                continue;
            };
            let span = s.value_span();
            let Some(StepSel {
                from,
                to,
                span: sel_span,
            }) = sel
            else {
                if let Some((_, prev)) = default {
                    self.diags.push(
                        Diagnostic::new(
                            Code::StepCoverage,
                            span,
                            format!("two `{key}` settings apply to every step"),
                        )
                        .related(prev, "first one here")
                        .help(format!("give one a step, as in `{example}`")),
                    );
                    ok = false;
                } else {
                    default = Some((v, span));
                }
                continue;
            };
            let to = to.unwrap_or(steps.max(from));
            if from < first || to > steps {
                let (code, msg, help) = if from < first {
                    (
                        Code::StepOutOfRange,
                        format!("step {from} has no `{key}`"),
                        format!(
                            "the ladder starts at the base: multipliers apply into steps 2..{steps}"
                        ),
                    )
                } else {
                    (
                        Code::StepOutOfRange,
                        format!("step {to} is beyond the step limit of {steps}"),
                        format!("the ladder has steps 1..{steps}"),
                    )
                };
                self.diags.push(
                    Diagnostic::new(code, sel_span, msg)
                        .label("outside the ladder")
                        .help(help),
                );
                ok = false;
                continue;
            }
            for step in from..=to {
                let Some(slot) = slots.get_mut((step - first) as usize) else {
                    continue;
                };
                if let Some((_, prev)) = slot {
                    let prev = *prev;
                    self.diags.push(
                        Diagnostic::new(
                            Code::StepCoverage,
                            sel_span,
                            format!("step {step} gets two `{key}` settings"),
                        )
                        .label("overlaps an earlier setting")
                        .related(prev, "also set here")
                        .help("each step takes exactly one"),
                    );
                    ok = false;
                } else {
                    *slot = Some((v, span));
                }
            }
        }
        let mut out = Vec::with_capacity(n);
        let mut missing = Vec::new();
        for (i, slot) in slots.iter().enumerate() {
            match slot.or(default) {
                Some((v, span)) => {
                    out.push(v);
                    spans.push(span);
                }
                None => missing.push(first + i as u32),
            }
        }
        // A `key` line that did not parse (or a misspelt key) may be the
        // one meant for the steps left: its error is said, not a gap too.
        if !missing.is_empty() && !settings.is_empty() && ok && !lost {
            let list = missing
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let span = settings.last().map_or(Span::default(), |s| s.value_span());
            self.diags.push(
                Diagnostic::new(
                    Code::StepCoverage,
                    span,
                    format!("no `{key}` for step{} {list}", if missing.len() == 1 { "" } else { "s" }),
                )
                .label("the ladder has a gap")
                .help(format!("cover every step, as in `{example}`, or add a `{key}` with no step for the rest")),
            );
            return None;
        }
        if missing.is_empty() && ok {
            Some(out)
        } else {
            None
        }
    }

    fn hedge(&mut self, sec: &Section, steps: Option<u32>) -> Option<Hedge> {
        let set = self.settings(sec, HEDGE_KEYS);
        let name = match &sec.label {
            Some(ast::Label::Name(i)) => Some(i.name.clone()),
            Some(l @ ast::Label::Str(..)) => {
                let text = l.text().to_string();
                self.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        l.span(),
                        "a hedge layer's name is a bare word",
                    )
                    .help(format!(
                        "write `hedge {} {{ ... }}`",
                        text.replace(' ', "_")
                    )),
                );
                None
            }
            None => {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingSetting,
                        sec.kind_loc.0,
                        "the hedge layer has no name",
                    )
                    .help("write `hedge front { ... }`"),
                );
                None
            }
        };
        let instrument = set.one("instrument").and_then(|s| {
            let mut ts = Terms::new(s);
            let t = ts.next()?;
            self.end(&mut ts, "vix_calls");
            let w = t.word().unwrap_or("");
            match Instrument::ALL.iter().find(|(n, _)| *n == w) {
                Some((_, i)) => Some(*i),
                None => {
                    let words: Vec<&str> = Instrument::ALL.iter().map(|(n, _)| *n).collect();
                    let mut d = Diagnostic::new(
                        Code::BadValue,
                        t.span(),
                        match t.word() {
                            Some(w) => format!("unknown instrument `{w}`"),
                            None => format!(
                                "`instrument` expects an instrument, found {}",
                                terms::describe_term(t)
                            ),
                        },
                    )
                    .label("not an instrument vixshield prices");
                    d = match did_you_mean(w, words.iter().copied()) {
                        Some(h) => d.help(h),
                        None => d.help(format!("instruments: {}", words.join(", "))),
                    };
                    self.diags.push(d);
                    None
                }
            }
        });
        let dte = set.one("dte").and_then(|s| {
            let mut ts = Terms::new(s);
            let r = if matches!(ts.peek(), Some(ast::Term::Range(..))) {
                let ((a, b), span) = self.range(&mut ts, "days", "14d..30d", |l| match l {
                    Literal::Days(d) => Some(*d),
                    _ => None,
                })?;
                let (a, _) = self.day_count(a, span, "dte", 1)?;
                let (b, _) = self.day_count(b, span, "dte", 1)?;
                (a, b, span)
            } else {
                let (d, span) = self.days(&mut ts, "14d..30d", 1)?;
                (d, d, span)
            };
            self.end(&mut ts, "14d..30d");
            if r.0 == 0 {
                self.diags.push(
                    Diagnostic::new(
                        Code::NotPositive,
                        r.2,
                        "a hedge's `dte` must be at least 1d",
                    )
                    .label("a hedge bought on its expiry day")
                    .help("start the range at 1d or later: `dte = 14d..30d`"),
                );
                return None;
            }
            Some((r.0, r.1))
        });
        let allocation = set.one("allocation").and_then(|s| {
            let mut ts = Terms::new(s);
            let (p, span) = self.percent_of(&mut ts, &["size"], "15% of size")?;
            self.end(&mut ts, "15% of size");
            self.fraction_in_range(p, span, "allocation", false)
        });
        let active = match set.one("active") {
            None => Some((1, steps.unwrap_or(1))),
            Some(s) => {
                let mut ts = Terms::new(s);
                let sel = self.step_selector(&mut ts, "from step 3");
                let sel = match sel {
                    Some(Some(sel)) => Some(sel),
                    Some(None) => {
                        match ts.peek() {
                            Some(t) => self.mismatch(
                                t,
                                "active",
                                "`from step N` or `at steps A..B`",
                                "from step 3",
                            ),
                            None => self.missing(&ts, "`from step N`", "from step 3"),
                        }
                        // Said once: not again as terms left over.
                        ts.pos = ts.setting.terms.len();
                        None
                    }
                    None => None,
                };
                self.end(&mut ts, "from step 3");
                sel.and_then(|sel| {
                    let limit = steps?;
                    if sel.from > limit {
                        self.diags.push(
                            Diagnostic::new(
                                Code::LayerNeverActive,
                                sel.span,
                                format!("layer activated at step {} but the ladder stops at step {limit}", sel.from),
                            )
                            .label("this layer can never be bought")
                            .help(format!("activate it at a step in 1..{limit}, or raise `steps`")),
                        );
                        return None;
                    }
                    let to = sel.to.unwrap_or(limit);
                    if to > limit {
                        self.diags.push(
                            Diagnostic::new(Code::StepOutOfRange, sel.span, format!("step {to} is beyond the step limit of {limit}"))
                                .help(format!("the ladder has steps 1..{limit}")),
                        );
                        return None;
                    }
                    Some((sel.from, to))
                })
            }
        };
        let trigger = match set.one("trigger") {
            None => Some(None),
            Some(s) => {
                let mut ts = Terms::new(s);
                let t = ts.next();
                self.end(&mut ts, "rsi(vix, 14) > 70");
                match t {
                    Some(ast::Term::Expr(e)) => {
                        self.condition(e, "a trigger").then(|| Some(e.clone()))
                    }
                    Some(t) => {
                        self.mismatch(t, "trigger", "a condition", "rsi(vix, 14) > 70");
                        None
                    }
                    None => None,
                }
            }
        };
        let (active_from, active_to) = active?;
        Some(Hedge {
            name: name?,
            instrument: instrument?,
            dte: dte?,
            allocation: allocation?,
            active_from,
            active_to,
            trigger: trigger?,
        })
    }

    fn roll(&mut self, sec: &Section) -> Option<Roll> {
        let set = self.settings(sec, ROLL_KEYS);
        let mut base: Option<(Decimal, Span)> = None;
        let mut overrides: Vec<(RollOverride, Span)> = Vec::new();
        // Every coefficient written, base and overrides, with its span.
        let mut written: Vec<(Decimal, Span)> = Vec::new();
        let mut ok = true;
        for s in set.all("coefficient") {
            let mut ts = Terms::new(s);
            let coef = self.number(&mut ts, "0.55").and_then(|(c, span)| {
                if c < Decimal::ZERO || c > Decimal::ONE {
                    self.diags.push(
                        Diagnostic::new(
                            Code::CoefficientRange,
                            span,
                            format!("roll coefficient `{}` lies outside 0..1", c.normalize()),
                        )
                        .label("a share of the realized profit")
                        .help("the method rolls 0.45 to 0.65 of it"),
                    );
                    return None;
                }
                Some((c, span))
            });
            let coef = coef.map(|(c, span)| {
                written.push((c, span));
                c
            });
            if !ts.eat_word("when") {
                // `0.45 if theta_press`: an override misspelt, said by
                // `end`; not a second unconditional coefficient.
                if !self.end(&mut ts, "0.45 when theta_press") {
                    ok = false;
                    continue;
                }
                match (coef, base) {
                    (Some(_), Some((_, prev))) => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::DuplicateSetting,
                                s.key.span(),
                                "two unconditional roll coefficients",
                            )
                            .related(prev, "first set here")
                            .help(
                                "keep one, or add `when CONDITION` to make the other an override",
                            ),
                        );
                        ok = false;
                    }
                    (Some(c), None) => base = Some((c, s.key.span())),
                    (None, _) => ok = false,
                }
                continue;
            }
            let cond = match ts.next() {
                Some(ast::Term::Expr(e)) => self.condition(e, "a roll override").then(|| e.clone()),
                Some(t) => {
                    self.mismatch(
                        t,
                        "coefficient",
                        "a condition after `when`",
                        "0.45 when theta_press",
                    );
                    None
                }
                None => {
                    self.missing(&ts, "a condition after `when`", "0.45 when theta_press");
                    None
                }
            };
            let priority = if ts.eat_word("priority") {
                // Named as itself, not as the setting (`coefficient`) it is in.
                let p = self
                    .number(&mut ts, "0.45 when theta_press priority 1")
                    .and_then(|(d, span)| self.whole(d, span, "priority"));
                p.map(|(n, _)| Some(n))
            } else {
                Some(None)
            };
            self.end(&mut ts, "0.45 when theta_press priority 1");
            match (coef, cond, priority) {
                (Some(coefficient), Some(when), Some(priority)) => overrides.push((
                    RollOverride {
                        coefficient,
                        when,
                        priority,
                    },
                    s.value_span(),
                )),
                _ => ok = false,
            }
        }
        // A `coefficient` line that did not parse (or a misspelt one) may be
        // the unconditional one.
        if base.is_none() && ok && !self.unread(sec, &set, "coefficient") {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingSetting,
                    sec.kind_loc.0,
                    "`roll` has no unconditional `coefficient`",
                )
                .label("what applies when no override does?")
                .help("add `coefficient = 0.55`"),
            );
            ok = false;
        }
        let clamp = match set.one("clamp") {
            None => Some(None),
            Some(s) => {
                let mut ts = Terms::new(s);
                let r = self.range(
                    &mut ts,
                    "a range of coefficients",
                    "0.45..0.65",
                    |l| match l {
                        Literal::Number(d) => Some(*d),
                        _ => None,
                    },
                );
                self.end(&mut ts, "0.45..0.65");
                match r {
                    Some(((lo, hi), span)) if lo < Decimal::ZERO || hi > Decimal::ONE => {
                        self.diags.push(
                            Diagnostic::new(
                                Code::CoefficientRange,
                                span,
                                format!(
                                    "clamp `{}..{}` reaches outside 0..1",
                                    lo.normalize(),
                                    hi.normalize()
                                ),
                            )
                            .help("roll coefficients lie in 0..1"),
                        );
                        None
                    }
                    Some((r, _)) => Some(Some(r)),
                    None => None,
                }
            }
        };
        // Overlapping overrides need an order.
        for i in 0..overrides.len() {
            for j in 0..i {
                let (Some((a, span_a)), Some((b, span_b))) = (overrides.get(j), overrides.get(i))
                else {
                    continue;
                };
                // Prioritized overrides are tried first, by priority; the rest in file order
                // after them. Only two unprioritized (or equally prioritized) overrides lack an order.
                let ordered = match (a.priority, b.priority) {
                    (Some(x), Some(y)) => x != y,
                    (None, None) => false,
                    _ => true,
                };
                if !ordered && !exclusive(&a.when, &b.when) {
                    self.diags.push(
                        Diagnostic::new(Code::AmbiguousOverride, *span_b, "two roll overrides can apply at once and have no order")
                            .label("overlaps an earlier override")
                            .related(*span_a, "this one can hold at the same time")
                            .help("add `priority N` to each (1 is tried first), or make the conditions exclusive"),
                    );
                    ok = false;
                }
            }
        }
        let clamp = clamp?;
        if let Some((lo, hi)) = clamp {
            for (c, span) in written.iter().filter(|(c, _)| *c < lo || *c > hi) {
                let to = if *c < lo { lo } else { hi };
                self.diags.push(
                    Diagnostic::new(
                        Code::ClampedAway,
                        *span,
                        format!(
                            "roll coefficient `{}` lies outside the clamp `{}..{}`",
                            c.normalize(),
                            lo.normalize(),
                            hi.normalize()
                        ),
                    )
                    .label(format!("always clamped to {}", to.normalize()))
                    .help(format!(
                        "write `{}`, or widen the clamp to take it",
                        to.normalize()
                    )),
                );
            }
        }
        let (coefficient, _) = base?;
        if !ok {
            return None;
        }
        let mut overrides: Vec<RollOverride> = overrides.into_iter().map(|(o, _)| o).collect();
        overrides.sort_by_key(|o| o.priority.unwrap_or(u32::MAX));
        Some(Roll {
            coefficient,
            overrides,
            clamp,
        })
    }

    fn guard(&mut self, g: &ast::Guard, account: Option<&model::Account>) -> Option<Guard> {
        match g {
            ast::Guard::Blackout { within, .. } => {
                self.expr_ty(within)?;
                let ExprKind::Within { days, events } = &within.kind else {
                    return None;
                };
                let days = self.count(days, "within", "days", "1d", |l| match l {
                    Literal::Days(d) => Some(*d),
                    _ => None,
                })?;
                let (days, _) = self.whole(days, within.span(), "within")?;
                // A window as long as the time from one event to the next
                // blocks most days: CPI and PPI come out monthly (CPI 21 to
                // 59 days apart from 2000), the FOMC meets about every six
                // weeks; half the days are blocked from about 15 and 23 days.
                let named = |n: &str| events.iter().any(|e| e.name == n);
                let half = if named("CPI") || named("PPI") {
                    15
                } else if named("FOMC") {
                    23
                } else {
                    u32::MAX
                };
                if days >= half {
                    self.diags.push(
                        Diagnostic::new(
                            Code::LongBlackout,
                            within.span(),
                            format!(
                                "a blackout of {days}d blocks about half the days or more: CPI and PPI come out monthly, and the FOMC meets about every six weeks"
                            ),
                        )
                        .label("most days are this near an event")
                        .help("the method keeps out of the day before a release: `no entry within 1d of FOMC, CPI, PPI` (`backtest` counts the days skipped)"),
                    );
                }
                Some(Guard::Blackout {
                    days,
                    events: events.iter().map(|e| e.name.clone()).collect(),
                })
            }
            ast::Guard::Condition { expr, stress, loc } => {
                // `vix < 40 and` over `wacc_impact < 18bps`: the line ending
                // with an operator took the next guard in as its right side.
                if let Some((var, name, before)) = joined_guard_var(expr) {
                    mark_names_used(expr, &mut self.used);
                    self.diags.push(
                        Diagnostic::new(
                            Code::UnknownName,
                            var.span(),
                            format!(
                                "`{name}` starts a guard of its own, but here it is read as part of the condition before it"
                            ),
                        )
                        .label("joined to the condition before it by an operator")
                        .related(before, "the condition it is joined to")
                        .help("a guard variable opens its own guard line, and a line that ends with an operator (`and`, `<`, ...) continues on the next: finish the condition before it, or remove its last operator"),
                    );
                    return None;
                }
                if let ExprKind::Binary(op, lhs, rhs) = &expr.kind
                    && let ExprKind::Name(var) = &lhs.kind
                    && expr::GUARD_VARS.contains(&var.as_str())
                {
                    let sigma = stress.as_ref().map(|(c, l)| (self.sigma(c), *l));
                    let resolved = sigma.and_then(|(v, l)| Some((v?, l)));
                    let g = self.guard_var(var, *op, rhs, resolved, loc.0, account);
                    return g.filter(|_| !matches!(sigma, Some((None, _))));
                }
                if let Some((c, s)) = stress {
                    if let ast::Count::Param(p) = c {
                        self.used.insert(p.name.clone());
                    }
                    self.misplaced_stress(s.0);
                    // Still checked: its names are used, and its own
                    // problems are worth reporting at the same time.
                    self.guard_condition(expr);
                    return None;
                }
                self.guard_condition(expr)
                    .then(|| Guard::Condition { expr: expr.clone() })
            }
        }
    }

    /// Checks a guard line's condition, where an unknown name is told the
    /// guard variables as well as the series.
    fn guard_condition(&mut self, expr: &Expr) -> bool {
        self.in_guard = true;
        let ok = self.condition(expr, "a guard");
        self.in_guard = false;
        ok
    }

    /// The N of `under N sigma`: a plain number, or a param holding a
    /// non-negative one.
    fn sigma(&mut self, c: &ast::Count) -> Option<Decimal> {
        let n = self.count(c, "under ... sigma", "a plain number", "3", |l| match l {
            Literal::Number(d) => Some(*d),
            _ => None,
        })?;
        if n < Decimal::ZERO
            && let ast::Count::Param(p) = c
        {
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    p.span(),
                    format!(
                        "a stress of `{}` sigma is negative (param `{}`)",
                        n.normalize(),
                        p.name
                    ),
                )
                .label("a stress is a number of standard deviations against the position")
                .help(format!("write for example `param {} = 3`", p.name)),
            );
            return None;
        }
        Some(n)
    }

    /// A `under N sigma` stress on a guard other than `quick_ratio`.
    fn misplaced_stress(&mut self, span: Span) {
        self.diags.push(
            Diagnostic::new(
                Code::BadValue,
                span,
                "only the `quick_ratio` guard takes a stress",
            )
            .help("write `quick_ratio >= 1.4 under 3 sigma`"),
        );
    }

    fn guard_var(
        &mut self,
        var: &str,
        op: BinOp,
        rhs: &Expr,
        stress: Option<(Decimal, crate::source::Loc)>,
        span: Span,
        account: Option<&model::Account>,
    ) -> Option<Guard> {
        // The limits are inclusive and found to the cent: `wacc_impact`
        // caps a hedge (`<` and `<=` alike, as the method writes it);
        // `exposure` is a ceiling and `quick_ratio` a floor, written `<=` and
        // `>=` only, so that a strict `<` or `>` is never read as inclusive.
        let (ok_op, wanted, example) = match var {
            "wacc_impact" => (
                matches!(op, BinOp::Lt | BinOp::Le),
                "`<` (or `<=`)",
                "wacc_impact < 18bps",
            ),
            "quick_ratio" => (op == BinOp::Ge, "`>=`", "quick_ratio >= 1.4 under 3 sigma"),
            _ => (op == BinOp::Le, "`<=`", "exposure <= 25% of capital"),
        };
        if !ok_op {
            // `<` for a ceiling, `>` for a floor: the right way round, but strict.
            let strict = matches!(
                (var, op),
                ("exposure", BinOp::Lt) | ("quick_ratio", BinOp::Gt)
            );
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    span,
                    format!("the `{var}` guard compares with {wanted}"),
                )
                .label(if strict {
                    format!(
                        "`{}`: the limit is inclusive (to the cent), not strict",
                        op.symbol()
                    )
                } else {
                    format!("`{}` cannot express this guard", op.symbol())
                })
                .help(format!("write for example `{example}`")),
            );
            return None;
        }
        if var != "quick_ratio"
            && let Some((_, s)) = stress
        {
            self.misplaced_stress(s.0);
            return None;
        }
        let lit = self.literal_expr(rhs);
        match var {
            "wacc_impact" => {
                let (max_bps, lit_span) = match lit {
                    Some((Literal::Bps(b), s)) => (b, s),
                    Some((Literal::Percent(p), s)) => (p * Decimal::ONE_HUNDRED, s),
                    _ => {
                        self.guard_mismatch(rhs, var, "basis points", example);
                        return None;
                    }
                };
                // A negative limit no hedge can meet, and a shift of the
                // book's cost of capital past 100% means nothing (and past
                // what a decimal holds would leave the guard unknown).
                if max_bps < Decimal::ZERO || max_bps > MAX_WACC_IMPACT_BPS {
                    self.diags.push(
                        Diagnostic::new(
                            Code::BadValue,
                            lit_span,
                            format!(
                                "the `wacc_impact` limit must be from 0bps to 10,000bps (100%), found `{}bps`",
                                max_bps.normalize()
                            ),
                        )
                        .label("out of range")
                        .help("the limit is how far one hedge may move the book's WACC; this method uses `wacc_impact < 18bps`"),
                    );
                    return None;
                }
                // `wacc_impact < 18%` is 1,800bps: no hedge moves a book's
                // cost of capital that far, so the guard never caps.
                if let Some((Literal::Percent(p), _)) = lit
                    && p >= Decimal::ONE
                {
                    self.diags.push(
                        Diagnostic::new(
                            Code::ScaleMismatch,
                            lit_span,
                            format!(
                                "a WACC impact of {}% is {}bps: the guard would cap no hedge",
                                p.normalize(),
                                max_bps.normalize()
                            ),
                        )
                        .label(format!("did you mean {}bps?", p.normalize()))
                        .help(format!(
                            "a hedge moves the book's WACC by basis points: write `{}bps` (this method uses `wacc_impact < 18bps`)",
                            p.normalize()
                        )),
                    );
                }
                if let Some(acc) = account {
                    let (written, missing): (Vec<&str>, Vec<&str>) = [
                        ("risk_free_rate", acc.risk_free_rate.is_none()),
                        ("beta", acc.beta.is_none()),
                        ("equity_risk_premium", acc.equity_risk_premium.is_none()),
                        ("margin_rate", acc.margin_rate.is_none()),
                        ("tax_rate", acc.tax_rate.is_none()),
                    ]
                    .into_iter()
                    .filter_map(|(k, m)| m.then_some(k))
                    // One written but wrong is reported where it is written:
                    // the guard names only those the account lacks.
                    .partition(|k| self.account_written.contains(k));
                    if missing.is_empty() && !written.is_empty() {
                        return None;
                    }
                    if !missing.is_empty() {
                        let list = missing
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.diags.push(
                            Diagnostic::new(
                                Code::MissingSetting,
                                span,
                                format!("the `wacc_impact` guard needs {list} in `account`"),
                            )
                            .label("the WACC of the book cannot be computed")
                            .help("declare the cost-of-capital inputs in `account`"),
                        );
                        return None;
                    }
                }
                Some(Guard::Wacc { max_bps, op })
            }
            "quick_ratio" => {
                let floor = match lit {
                    Some((Literal::Number(n), s)) => {
                        let n = self.positive(n, s, "quick_ratio")?;
                        // Far above any quick ratio a book has, and a floor
                        // past what a decimal holds times the margin would
                        // leave the guard unknown (and the entry unguarded).
                        if n > MAX_QUICK_RATIO_FLOOR {
                            self.diags.push(
                                Diagnostic::new(
                                    Code::BadValue,
                                    s,
                                    format!(
                                        "the `quick_ratio` floor must be above 0 and at most 100, found `{}`",
                                        n.normalize()
                                    ),
                                )
                                .label("out of range")
                                .help("the floor is the stressed (cash + hedges) over the margin requirement; this method uses `quick_ratio >= 1.4 under 3 sigma`"),
                            );
                            return None;
                        }
                        n
                    }
                    _ => {
                        self.guard_mismatch(rhs, var, "a plain number", example);
                        return None;
                    }
                };
                let sigma = match stress {
                    Some((s, _)) => s,
                    None => Decimal::ZERO,
                };
                Some(Guard::QuickRatio { floor, sigma })
            }
            _ => {
                let max = match lit {
                    Some((Literal::Money(m), s)) => Amount::Money(self.positive(m, s, "exposure")?),
                    None => match &rhs.kind {
                        ExprKind::Binary(BinOp::Of, a, b) => {
                            let of = match &b.kind {
                                ExprKind::Name(n) if n == "capital" => Basis::Capital,
                                ExprKind::Name(n) if n == "equity" => Basis::Equity,
                                _ => {
                                    self.guard_mismatch(
                                        rhs,
                                        var,
                                        "money or a percentage of `capital` or `equity`",
                                        example,
                                    );
                                    return None;
                                }
                            };
                            match self.literal_expr(a) {
                                Some((Literal::Percent(p), s)) => Amount::Percent {
                                    fraction: self.fraction_in_range(
                                        p / Decimal::ONE_HUNDRED,
                                        s,
                                        "exposure",
                                        false,
                                    )?,
                                    of,
                                },
                                _ => {
                                    self.guard_mismatch(
                                        rhs,
                                        var,
                                        "money or a percentage of `capital` or `equity`",
                                        example,
                                    );
                                    return None;
                                }
                            }
                        }
                        _ => {
                            self.guard_mismatch(
                                rhs,
                                var,
                                "money or a percentage of `capital` or `equity`",
                                example,
                            );
                            return None;
                        }
                    },
                    Some((Literal::Percent(p), s)) => Amount::Percent {
                        fraction: self.fraction_in_range(
                            p / Decimal::ONE_HUNDRED,
                            s,
                            "exposure",
                            false,
                        )?,
                        of: self.basis,
                    },
                    Some(_) => {
                        self.guard_mismatch(
                            rhs,
                            var,
                            "money or a percentage of `capital` or `equity`",
                            example,
                        );
                        return None;
                    }
                };
                Some(Guard::Exposure { max })
            }
        }
    }

    fn guard_mismatch(&mut self, rhs: &Expr, var: &str, expected: &str, example: &str) {
        let value = example
            .rsplit(' ')
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()));
        if self.param_mismatch(
            rhs,
            &format!("the `{var}` guard's limit is {expected}"),
            expected,
            value.unwrap_or(example),
        ) {
            return;
        }
        let found = terms::describe_expr(rhs);
        // `10% of capitol`: a base misspelt.
        let meant = match &rhs.kind {
            ExprKind::Binary(BinOp::Of, share, base) => match (&share.kind, &base.kind) {
                // `0.10 of capital`: a share written as a fraction.
                (ExprKind::Lit(Literal::Number(d)), ExprKind::Name(n))
                    if *d > Decimal::ZERO && *d <= Decimal::ONE =>
                {
                    Some(format!(
                        "a share is a percentage: write `{var} <= {}% of {n}`",
                        (*d * Decimal::ONE_HUNDRED).normalize()
                    ))
                }
                (_, ExprKind::Name(n)) => did_you_mean(n, ["capital", "equity"]),
                _ => None,
            },
            _ => None,
        };
        self.diags.push(
            Diagnostic::new(
                Code::UnitMismatch,
                rhs.span(),
                format!("the `{var}` guard's limit is {expected}, found {found}"),
            )
            .label(format!("this is {found}"))
            .help(meant.unwrap_or_else(|| format!("write for example `{example}`"))),
        );
    }
}

/// Every name a file reads outside its own definitions: in settings, guards,
/// signal definitions and param values (a signal reading itself counts as
/// its own definition).
fn mentioned_names(file: &ast::File) -> HashSet<&str> {
    fn walk<'a>(e: &'a Expr, out: &mut HashSet<&'a str>) {
        match &e.kind {
            ExprKind::Name(n) => {
                out.insert(n);
            }
            ExprKind::Call { name, args } => {
                // `theta_press()`: a signal called as a function.
                out.insert(&name.name);
                args.iter().for_each(|a| walk(a, out));
            }
            ExprKind::Unary(_, a) | ExprKind::Paren(a) => walk(a, out),
            ExprKind::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            ExprKind::Within { days, .. } => {
                if let ast::Count::Param(p) = days {
                    out.insert(&p.name);
                }
            }
            ExprKind::Lit(_) => {}
        }
    }
    let mut out = HashSet::new();
    for item in &file.items {
        match item {
            ast::Item::Section(s) => {
                for t in s.settings.iter().flat_map(|s| &s.terms) {
                    match t {
                        ast::Term::Expr(e) => walk(e, &mut out),
                        ast::Term::Range(a, b, _) => {
                            walk(a, &mut out);
                            walk(b, &mut out);
                        }
                    }
                }
            }
            ast::Item::Guards(g) => {
                for guard in &g.guards {
                    match guard {
                        ast::Guard::Blackout { within, .. } => walk(within, &mut out),
                        ast::Guard::Condition { expr, stress, .. } => {
                            walk(expr, &mut out);
                            if let Some((ast::Count::Param(p), _)) = stress {
                                out.insert(&p.name);
                            }
                        }
                    }
                }
            }
            ast::Item::Signal(d) => {
                let mut inner = HashSet::new();
                walk(&d.expr, &mut inner);
                inner.remove(d.name.name.as_str());
                out.extend(inner);
            }
            ast::Item::Param(p) => walk(&p.value, &mut out),
        }
    }
    out
}

/// Whether two conditions can never hold at once, as far as a simple analysis
/// shows: `c` against `not c`, or comparisons of one expression with constants
/// whose intervals do not meet.
pub fn exclusive(a: &Expr, b: &Expr) -> bool {
    let (xs, ys) = (conjuncts(a), conjuncts(b));
    xs.iter().any(|x| ys.iter().any(|y| atoms_exclusive(x, y)))
}

fn strip(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip(inner),
        _ => e,
    }
}

fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &strip(e).kind {
        ExprKind::Binary(BinOp::And, a, b) => {
            let mut v = conjuncts(a);
            v.extend(conjuncts(b));
            v
        }
        _ => vec![strip(e)],
    }
}

fn atoms_exclusive(x: &Expr, y: &Expr) -> bool {
    let negates = |p: &Expr, q: &Expr| matches!(&p.kind, ExprKind::Unary(ast::UnOp::Not, inner) if strip(inner) == q);
    if negates(x, y) || negates(y, x) {
        return true;
    }
    // `e == c` against `e != c`: no interval says "all but one point".
    let eq_ne = |p: &Expr, q: &Expr| match (comparison(p), comparison(q)) {
        (Some((ep, BinOp::Eq, cp)), Some((eq, BinOp::Ne, cq))) => ep == eq && cp == cq,
        _ => false,
    };
    if eq_ne(x, y) || eq_ne(y, x) {
        return true;
    }
    match (interval(x), interval(y)) {
        (Some((ex, ix)), Some((ey, iy))) if ex == ey => ix.disjoint(&iy),
        _ => false,
    }
}

/// An interval of the real line; each end is (value, closed).
#[derive(Clone, Copy, Debug)]
struct Interval {
    lo: Option<(Decimal, bool)>,
    hi: Option<(Decimal, bool)>,
}

impl Interval {
    fn disjoint(&self, other: &Interval) -> bool {
        let below = |hi: Option<(Decimal, bool)>, lo: Option<(Decimal, bool)>| match (hi, lo) {
            (Some((h, hc)), Some((l, lc))) => h < l || (h == l && !(hc && lc)),
            _ => false,
        };
        below(self.hi, other.lo) || below(other.hi, self.lo)
    }
}

/// `e op const` (or `const op e`, turned around) as `(e, op, const)`.
fn comparison(x: &Expr) -> Option<(&Expr, BinOp, Decimal)> {
    let ExprKind::Binary(op, a, b) = &strip(x).kind else {
        return None;
    };
    let constant = |e: &Expr| match &strip(e).kind {
        ExprKind::Lit(Literal::Number(d)) => Some(*d),
        ExprKind::Lit(Literal::Percent(d)) => Some(*d / Decimal::ONE_HUNDRED),
        ExprKind::Lit(Literal::Bps(d)) => Some(*d / Decimal::from(10_000)),
        _ => None,
    };
    let (e, c, op) = match (constant(a), constant(b)) {
        (None, Some(c)) => (strip(a), c, *op),
        (Some(c), None) => {
            let flipped = match op {
                BinOp::Lt => BinOp::Gt,
                BinOp::Le => BinOp::Ge,
                BinOp::Gt => BinOp::Lt,
                BinOp::Ge => BinOp::Le,
                o => *o,
            };
            (strip(b), c, flipped)
        }
        _ => return None,
    };
    Some((e, op, c))
}

/// `e op const` (or `const op e`) as the interval `e` must lie in.
fn interval(x: &Expr) -> Option<(&Expr, Interval)> {
    let (e, op, c) = comparison(x)?;
    let iv = match op {
        BinOp::Lt => Interval {
            lo: None,
            hi: Some((c, false)),
        },
        BinOp::Le => Interval {
            lo: None,
            hi: Some((c, true)),
        },
        BinOp::Gt => Interval {
            lo: Some((c, false)),
            hi: None,
        },
        BinOp::Ge => Interval {
            lo: Some((c, true)),
            hi: None,
        },
        BinOp::Eq => Interval {
            lo: Some((c, true)),
            hi: Some((c, true)),
        },
        _ => return None,
    };
    Some((e, iv))
}
