//! Expressions over market series: names, calls, arities, types.
//!
//! Every value in a signal expression is a number per bar or a boolean per
//! bar. Percentages and basis points read as fractions (`25%` is 0.25); money,
//! days, multipliers and points have no place in a signal and are unit errors.

use super::{Checker, SigState};
use crate::ast::{BinOp, Count, Expr, ExprKind, Literal, UnOp};
use crate::diag::{Code, Diagnostic, did_you_mean};
use crate::signals::{self, ParamKind};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The type of an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// A number per bar.
    Num,
    /// True or false per bar.
    Bool,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Num => "a number",
            Ty::Bool => "a boolean",
        }
    }
}

/// The market series every expression can name.
pub const SERIES: &[&str] = &["vix", "vix3m", "spx"];

/// How many signal definitions deep one signal may be defined.
pub const MAX_SIGNAL_DEPTH: usize = 32;

/// The deepest the checker follows expressions and signals together; with
/// [`MAX_SIGNAL_DEPTH`] and [`crate::parse::MAX_EXPR_DEPTH`] this bounds its stack.
const MAX_CHECK_DEPTH: usize = 1024;

/// Names that only a guard line can compare.
pub const GUARD_VARS: &[&str] = &["wacc_impact", "quick_ratio", "exposure"];

/// What a name other than a built-in signal already is in the language (a
/// market series, a guard variable), which a plugin may not take.
pub fn reserved_kind(name: &str) -> Option<&'static str> {
    if SERIES.contains(&name) {
        Some("a market series")
    } else if GUARD_VARS.contains(&name) {
        Some("a guard variable")
    } else {
        None
    }
}

impl Checker<'_> {
    /// The type of `e`, or `None` after reporting why it has none.
    pub(crate) fn expr_ty(&mut self, e: &Expr) -> Option<Ty> {
        if self.depth >= MAX_CHECK_DEPTH {
            return None;
        }
        self.depth += 1;
        let t = self.expr_ty_inner(e);
        self.depth -= 1;
        t
    }

    fn expr_ty_inner(&mut self, e: &Expr) -> Option<Ty> {
        match &e.kind {
            ExprKind::Lit(l) => self.lit_ty(l, e),
            ExprKind::Name(n) => self.name_ty(n, e),
            ExprKind::Paren(inner) => self.expr_ty(inner),
            ExprKind::Call { name, args } => self.call_ty(&name.name, name.span(), args, e),
            ExprKind::Unary(op, inner) => {
                let want = match op {
                    UnOp::Not => Ty::Bool,
                    UnOp::Neg => Ty::Num,
                };
                let t = self.expr_ty(inner)?;
                self.expect_ty(
                    inner,
                    t,
                    want,
                    if *op == UnOp::Not { "`not`" } else { "`-`" },
                )?;
                Some(want)
            }
            ExprKind::Binary(BinOp::Of, ..) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        e.span(),
                        "`of` has no meaning inside a signal expression",
                    )
                    .help("`of` belongs in settings such as `allocation = 15% of size`"),
                );
                None
            }
            // `theta-press`: a name written with a `-` reads as a subtraction
            // of two names; when joined with `_` they name a definition,
            // that is the one error (not `press` unknown).
            ExprKind::Binary(BinOp::Sub, a, b)
                if let (ExprKind::Name(x), ExprKind::Name(y)) = (&a.kind, &b.kind)
                    && b.span().start == a.span().end + 1
                    && (self.defined(&format!("{x}_{y}"))
                        || self.unparsed_defs.iter().any(|d| d == x)) =>
            {
                // Defined with the `-` too (`signal theta-press = ...`): that
                // statement's error says to rename it; nothing more here.
                if self.unparsed_defs.iter().any(|d| d == x) {
                    return None;
                }
                let joined = format!("{x}_{y}");
                self.used.insert(joined.clone());
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownName,
                        e.span(),
                        format!("unknown name `{x}-{y}`: a `-` subtracts"),
                    )
                    .label(format!("`{x}` minus `{y}`"))
                    .help(format!("names use `_`, not `-`: `{joined}`")),
                );
                None
            }
            ExprKind::Binary(op, a, b) => {
                let (ta, tb) = (self.expr_ty(a), self.expr_ty(b));
                let (ta, tb) = (ta?, tb?);
                let (want, out) = match op {
                    BinOp::And | BinOp::Or => (Ty::Bool, Ty::Bool),
                    o if o.is_comparison() => (Ty::Num, Ty::Bool),
                    _ => (Ty::Num, Ty::Num),
                };
                // Only a mismatch names the operator.
                let sym = if ta == want && tb == want {
                    String::new()
                } else {
                    format!("`{}`", op.symbol())
                };
                let ok_a = self.expect_ty(a, ta, want, &sym);
                let ok_b = self.expect_ty(b, tb, want, &sym);
                ok_a?;
                ok_b?;
                if op.is_comparison() {
                    self.level_vs_percent(a, b);
                    self.level_vs_percent(b, a);
                    self.scale_vs_number(a, b);
                    self.scale_vs_number(b, a);
                }
                Some(out)
            }
            ExprKind::Within { days, events } => {
                let days_ok = self
                    .count(days, "within", "days", "1d", |l| match l {
                        Literal::Days(d) => Some(*d),
                        _ => None,
                    })
                    .is_some_and(|d| self.check_days(d, e));
                for ev in events {
                    if !self.env.events.iter().any(|k| k == &ev.name) {
                        let mut d = Diagnostic::new(
                            Code::UnknownEvent,
                            ev.span(),
                            format!("unknown event `{}`", ev.name),
                        )
                        .label("not in the event calendar");
                        let same_letters = self
                            .env
                            .events
                            .iter()
                            .find(|k| k.eq_ignore_ascii_case(&ev.name));
                        d = match did_you_mean(&ev.name, self.env.events.iter().map(String::as_str))
                        {
                            Some(h) => d.help(h),
                            // `fomc`: too far apart for the edit distance.
                            None if same_letters.is_some() => d.help(format!(
                                "did you mean `{}`? event names are written in capitals",
                                same_letters.map_or("", String::as_str)
                            )),
                            None => d.help(format!("known events: {}", self.env.events.join(", "))),
                        };
                        self.diags.push(d);
                    }
                }
                // A bad window is reported once here, not again by a guard.
                days_ok.then_some(Ty::Bool)
            }
        }
    }

    /// Whether `name` is a signal or param of the file, or one a statement
    /// that did not parse defines.
    fn defined(&self, name: &str) -> bool {
        self.signal_defs.contains_key(name)
            || self.params.contains_key(name)
            || self.unparsed_defs.iter().any(|d| d == name)
    }

    /// Checks a condition: an expression that must be a boolean.
    pub(crate) fn condition(&mut self, e: &Expr, what: &str) -> bool {
        match self.expr_ty(e) {
            Some(Ty::Bool) => true,
            Some(Ty::Num) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::TypeMismatch,
                        e.span(),
                        format!("{what} must be a condition, found a number"),
                    )
                    .label("this is a number")
                    .help("compare it: `rsi(vix, 14) > 70`"),
                );
                false
            }
            None => false,
        }
    }

    /// W0107: `level` is a market level in points (`vix`, `sma(vix, 20)`)
    /// or an RSI (0 to 100) and `other` a percentage or basis points, which
    /// read as a fraction: `vix > 30%` is `vix > 0.3`, true on every bar.
    fn level_vs_percent(&mut self, level: &Expr, other: &Expr) {
        let (series, what, scale) = match self.level_series(level) {
            Some("spx") => ("spx", "an index level", "in points"),
            Some(series) => (series, "quoted in points", "in points"),
            // An RSI runs from 0 to 100: `rsi(vix, 14) > 70%` is `> 0.7`.
            None if self.is_rsi(level) => ("rsi", "on a scale of 0 to 100", "0 to 100"),
            None => return,
        };
        let lit = match &other.kind {
            ExprKind::Lit(l @ (Literal::Percent(_) | Literal::Bps(_))) => l.clone(),
            ExprKind::Name(n) if !self.signal_defs.contains_key(n) => {
                match self.params.get(n).map(|p| &p.0) {
                    Some(l @ (Literal::Percent(_) | Literal::Bps(_))) => l.clone(),
                    _ => return,
                }
            }
            _ => return,
        };
        let fraction = match lit {
            Literal::Percent(p) => p / Decimal::ONE_HUNDRED,
            Literal::Bps(b) => b / Decimal::from(10_000),
            _ => return,
        };
        let fraction = fraction.normalize();
        // What `30%` (or `3000bps`) was most likely meant as: 30.
        let points = (fraction * Decimal::ONE_HUNDRED).normalize();
        self.diags.push(
            Diagnostic::new(
                Code::LevelVsPercent,
                other.span(),
                format!(
                    "`{series}` is {what}, and a percentage reads as a fraction here: this compares it with {fraction}"
                ),
            )
            .label(format!("this is {fraction}"))
            .related(level.span(), scale)
            .help(format!(
                "to compare with {points}{}, write `{points}`, without a unit{}",
                if series == "rsi" { "" } else { " points" },
                if matches!(other.kind, ExprKind::Name(_)) {
                    " (in the param)"
                } else {
                    ""
                }
            )),
        );
    }

    /// W0109: `measure` compared with `other`, a plain number (written, or
    /// a param's) on another scale than the measure's: below 1 for an RSI
    /// (0 to 100) or a VIX level (points), 10 or more for the ratio of two
    /// VIX indices (near 1), 2 or more for `realized_vol` (a fraction). The
    /// comparison is then true on every bar, or on none.
    fn scale_vs_number(&mut self, measure: &Expr, other: &Expr) {
        let value = match &other.kind {
            ExprKind::Lit(Literal::Number(d)) => *d,
            ExprKind::Name(n) if !self.signal_defs.contains_key(n) => {
                match self.params.get(n).map(|p| &p.0) {
                    Some(Literal::Number(d)) => *d,
                    _ => return,
                }
            }
            _ => return,
        };
        let hundred = Decimal::ONE_HUNDRED;
        let fraction = value > Decimal::ZERO && value < Decimal::ONE;
        let (name, scale, meant) = if self.is_rsi(measure) && fraction {
            (
                "rsi",
                "runs from 0 to 100".to_string(),
                (value * hundred).normalize().to_string(),
            )
        } else if let Some(series @ ("vix" | "vix3m")) = self.level_series(measure)
            && fraction
        {
            (
                series,
                "is quoted in points".to_string(),
                (value * hundred).normalize().to_string(),
            )
        } else if self.call_of(measure, "ratio").is_some_and(|args| {
            args.len() == 2
                && args
                    .iter()
                    .all(|a| matches!(self.level_series(a), Some("vix" | "vix3m")))
        }) && value >= Decimal::TEN
        {
            (
                "ratio",
                "of two VIX indices is near 1 (VIX over VIX3M closed between 0.71 and 1.34 from 2009 to 2026)".to_string(),
                (value / hundred).normalize().to_string(),
            )
        } else if self.call_of(measure, "realized_vol").is_some() && value >= Decimal::TWO {
            (
                "realized_vol",
                "is a fraction (0.15 is 15% a year)".to_string(),
                format!("{}%", value.normalize()),
            )
        } else {
            return;
        };
        self.diags.push(
            Diagnostic::new(
                Code::ScaleMismatch,
                other.span(),
                format!(
                    "`{name}` {scale}, and {} is on another scale: the comparison holds on nearly every bar, or on nearly none",
                    value.normalize()
                ),
            )
            .label(format!("did you mean {meant}?"))
            .related(measure.span(), scale)
            .help(format!(
                "write `{meant}`{}",
                if matches!(other.kind, ExprKind::Name(_)) {
                    " (in the param)"
                } else {
                    ""
                }
            )),
        );
    }

    /// The arguments of `e` when it is a call of `name` (in parentheses or
    /// not).
    fn call_of<'x>(&self, e: &'x Expr, name: &str) -> Option<&'x [Expr]> {
        match &e.kind {
            ExprKind::Paren(inner) => self.call_of(inner, name),
            ExprKind::Call { name: n, args } if n.name == name => Some(args),
            _ => None,
        }
    }

    /// The series whose level `e` is: the series itself, or a built-in that
    /// keeps its unit (`sma`, `ema`, `highest`, `lowest`) over it. Not a
    /// signal or param that shadows nothing (those are names of their own).
    /// Whether `e` is an `rsi(...)` (in parentheses or not).
    fn is_rsi(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Paren(inner) => self.is_rsi(inner),
            ExprKind::Call { name, .. } => name.name == "rsi",
            _ => false,
        }
    }

    fn level_series(&self, e: &Expr) -> Option<&'static str> {
        match &e.kind {
            ExprKind::Name(n) => SERIES.iter().copied().find(|s| s == n),
            ExprKind::Paren(inner) => self.level_series(inner),
            ExprKind::Call { name, args }
                if ["sma", "ema", "highest", "lowest"].contains(&name.name.as_str()) =>
            {
                args.first().and_then(|a| self.level_series(a))
            }
            _ => None,
        }
    }

    fn expect_ty(&mut self, e: &Expr, found: Ty, want: Ty, op: &str) -> Option<()> {
        if found == want {
            return Some(());
        }
        let help = match want {
            Ty::Bool => "compare the number to get a condition: `rsi(vix, 14) > 70`",
            Ty::Num => "a condition cannot be computed with; use it with `and`, `or`, `not`",
        };
        self.diags.push(
            Diagnostic::new(
                Code::TypeMismatch,
                e.span(),
                format!("{op} needs {}, found {}", want.name(), found.name()),
            )
            .label(format!("this is {}", found.name()))
            .help(help),
        );
        None
    }

    /// Whether `within`'s days are whole, not negative and at most
    /// [`MAX_DAYS`](crate::model::MAX_DAYS), like every other day count.
    /// The value of a count written in place (`within 1d`, `under 3 sigma`):
    /// the literal, or the value of the param named there, which `unit` must
    /// accept (it gives the number). The param counts as used.
    pub(crate) fn count(
        &mut self,
        c: &Count,
        what: &str,
        expected: &str,
        example: &str,
        unit: fn(&Literal) -> Option<Decimal>,
    ) -> Option<Decimal> {
        let name = match c {
            Count::Lit(d) => return Some(*d),
            Count::Param(name) => name,
        };
        let Some((lit, _)) = self.params.get(&name.name).cloned() else {
            let d = Diagnostic::new(
                Code::UnknownName,
                name.span(),
                format!("unknown param `{}`", name.name),
            )
            .label(format!("`{what}` takes {expected} or a param holding them"));
            let d = match did_you_mean(&name.name, self.params.keys().map(String::as_str)) {
                Some(h) => d.help(h),
                None => d.help(format!("declare it: `param {} = {example}`", name.name)),
            };
            self.diags.push(d);
            return None;
        };
        self.used.insert(name.name.clone());
        if let Some(v) = unit(&lit) {
            return Some(v);
        }
        let found = super::terms::describe(&lit);
        self.diags.push(
            Diagnostic::new(
                Code::UnitMismatch,
                name.span(),
                format!(
                    "`{what}` expects {expected}, found param `{}` holding {found}",
                    name.name
                ),
            )
            .label(format!("this is {found}"))
            .help(format!(
                "write for example `param {} = {example}`",
                name.name
            )),
        );
        None
    }

    fn check_days(&mut self, days: Decimal, e: &Expr) -> bool {
        let max = crate::model::MAX_DAYS;
        if days.fract().is_zero() && days > Decimal::from(max) {
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    e.span(),
                    format!(
                        "`within` must be from 0d to {max}d, found `{}d`",
                        days.normalize()
                    ),
                )
                .label("too long")
                .help(format!("day counts are at most {max}d (ten years)")),
            );
            false
        } else if !days.fract().is_zero() || days < Decimal::ZERO {
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    e.span(),
                    format!("`within` takes whole days, found `{}d`", days.normalize()),
                )
                .help("write for example `within 1d of FOMC`"),
            );
            false
        } else {
            true
        }
    }

    fn lit_ty(&mut self, l: &Literal, e: &Expr) -> Option<Ty> {
        match l {
            Literal::Number(_) | Literal::Percent(_) | Literal::Bps(_) => Some(Ty::Num),
            other => {
                let what = super::terms::describe(other);
                self.diags.push(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        e.span(),
                        format!("{what} has no place in a signal expression"),
                    )
                    .label(format!("this is {what}"))
                    .help("signals compare plain numbers, percentages (`25%`) and basis points"),
                );
                None
            }
        }
    }

    fn name_ty(&mut self, n: &str, e: &Expr) -> Option<Ty> {
        if SERIES.contains(&n) {
            return Some(Ty::Num);
        }
        if self.signal_defs.contains_key(n) {
            if !self.used.contains(n) {
                self.used.insert(n.to_string());
            }
            return self.signal_ty(n);
        }
        if let Some((lit, _)) = self.params.get(n).cloned() {
            if !self.used.contains(n) {
                self.used.insert(n.to_string());
            }
            return self.lit_ty(&lit, e);
        }
        if GUARD_VARS.contains(&n) {
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownName,
                    e.span(),
                    format!("`{n}` is only known on its own guard line"),
                )
                .help(format!("write it as a guard: `guards {{ {n} ... }}`")),
            );
            return None;
        }
        if self.unparsed_defs.iter().any(|d| d == n) {
            // Its definition did not parse: that error is said there.
            return None;
        }
        let mut d = Diagnostic::new(Code::UnknownName, e.span(), format!("unknown name `{n}`"))
            .label("not a series, signal or param");
        // On a guard line itself (not in a signal it reads), a name may be
        // a guard variable misspelt or cut short (`wacc`, `quickratio`).
        let guard_line = self.in_guard && self.sig_depth == 0;
        let guard_vars = GUARD_VARS.iter().filter(|_| guard_line).copied();
        let candidates: Vec<String> = SERIES
            .iter()
            .copied()
            .chain(guard_vars.clone())
            .map(str::to_string)
            .chain(self.signal_defs.keys().cloned())
            .chain(self.params.keys().cloned())
            .collect();
        let prefix_of = || {
            let mut vars = guard_vars.clone();
            vars.find(|v| n.len() >= 4 && v.starts_with(n))
        };
        let closest = crate::diag::closest(n, candidates.iter().map(String::as_str));
        // The signal or param this misspells is not also called unused.
        if let Some(c) = closest
            && (self.signal_defs.contains_key(c) || self.params.contains_key(c))
        {
            self.used.insert(c.to_string());
        }
        d = match closest.map(|c| format!("did you mean `{c}`?")) {
            Some(h) => d.help(h),
            None if signals::lookup(n).is_some() => d.help(format!(
                "`{n}` is a function: call it, as in `{n}(vix, 14)`"
            )),
            None => match prefix_of() {
                Some(v) => d.help(format!("did you mean `{v}`?")),
                None if guard_line => d.help(
                    "a guard is `wacc_impact < 18bps`, `quick_ratio >= 1.4 under 3 sigma`, \
                     `exposure <= 25% of capital`, `no entry within 1d of FOMC, CPI, PPI`, \
                     or a condition on the series `vix`, `vix3m`, `spx` and signals (`vix < 40`)",
                ),
                None => d.help(
                    "the series are `vix`, `vix3m` and `spx`; define others with `signal NAME = ...`",
                ),
            },
        };
        self.diags.push(d);
        None
    }

    /// The type of a named signal, checking its definition once (and finding cycles).
    pub(crate) fn signal_ty(&mut self, n: &str) -> Option<Ty> {
        match self.sig_state.get(n) {
            Some(SigState::Done(t, height)) => {
                self.sig_height = self.sig_height.max(*height);
                return *t;
            }
            Some(SigState::Visiting) => {
                if let Some(def) = self.signal_defs.get(n) {
                    let span = def.name.span();
                    if self.cycle_reported.insert(n.to_string()) {
                        // Through others, the way round: `a` → `b` → `a`.
                        let through = self
                            .sig_path
                            .iter()
                            .position(|s| s == n)
                            .map(|i| &self.sig_path[i..])
                            .filter(|path| path.len() > 1)
                            .map(|path| {
                                let names: Vec<String> = path
                                    .iter()
                                    .chain([&n.to_string()])
                                    .map(|s| format!("`{s}`"))
                                    .collect();
                                format!(", through {}", names.join(" → "))
                            })
                            .unwrap_or_default();
                        self.diags.push(
                            Diagnostic::new(Code::Cycle, span, format!("signal `{n}` is defined in terms of itself{through}"))
                                .label("this definition leads back to itself")
                                .help("a signal can only use series, params and other signals that do not use it"),
                        );
                    }
                }
                return None;
            }
            None => {}
        }
        let def = *self.signal_defs.get(n)?;
        let too_deep = |c: &mut Self| {
            c.diags.push(
                Diagnostic::new(
                    Code::TooDeep,
                    def.name.span(),
                    format!("signal `{n}` sits more than {MAX_SIGNAL_DEPTH} definitions deep"),
                )
                .label("each signal here is defined through the next")
                .help("flatten the chain: a signal can use other signals, but not hundreds deep"),
            );
        };
        // Following definitions (a signal that reads one defined after it)
        // recurses: stop before the stack does.
        if self.sig_depth >= MAX_SIGNAL_DEPTH {
            too_deep(self);
            let height = MAX_SIGNAL_DEPTH + 1;
            self.sig_height = self.sig_height.max(height);
            self.sig_state
                .insert(n.to_string(), SigState::Done(None, height));
            return None;
        }
        self.sig_state.insert(n.to_string(), SigState::Visiting);
        self.sig_depth += 1;
        self.sig_path.push(n.to_string());
        let outer = std::mem::take(&mut self.sig_height);
        let mut t = self.expr_ty(&def.expr);
        self.sig_path.pop();
        self.sig_depth -= 1;
        // A chain of signals each defined after the one it reads is checked
        // one signal at a time, never deep: its depth is counted instead, so
        // the limit holds whatever order (and names) the signals have. Only
        // the first signal past it is reported.
        let deepest_read = self.sig_height;
        let height = deepest_read + 1;
        if height > MAX_SIGNAL_DEPTH {
            if deepest_read <= MAX_SIGNAL_DEPTH {
                too_deep(self);
            }
            t = None;
        }
        self.sig_height = outer.max(height);
        self.sig_state
            .insert(n.to_string(), SigState::Done(t, height));
        self.signal_order.push(n.to_string());
        t
    }

    fn call_ty(
        &mut self,
        name: &str,
        name_span: crate::source::Span,
        args: &[Expr],
        e: &Expr,
    ) -> Option<Ty> {
        // A plugin named like a built-in signal, a market series or a guard
        // variable is ambiguous where it is called. A built-in's call is
        // still checked as the built-in's.
        let builtin = signals::lookup(name);
        let taken = match builtin {
            Some(_) => Some("a built-in signal"),
            None => reserved_kind(name),
        };
        if let Some(what) = taken
            && let Some(p) = self.env.plugins.iter().find(|p| p.name == name)
        {
            let origin = p
                .manifest
                .as_ref()
                .map(|m| format!(" (`{}`)", m.display()))
                .unwrap_or_default();
            self.diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    name_span,
                    format!("`{name}` is both {what} and a plugin"),
                )
                .label(format!("ambiguous: {what}, or the plugin?"))
                .help(format!(
                    "a plugin cannot take the name of {what}: rename the plugin{origin}"
                )),
            );
            if builtin.is_none() {
                for a in args {
                    let _ = self.expr_ty(a);
                }
                return None;
            }
        }
        if let Some(b) = builtin {
            let sig = b.signature();
            let kinds = sig.params;
            if kinds.len() != args.len() {
                let sig = usage(&sig);
                // `highest(spx, 1,000)`: a thousands separator read as a
                // comma between arguments (no space after it, three digits).
                let separator = args.windows(2).find_map(|w| {
                    let whole = |x: &Expr| match &x.kind {
                        ExprKind::Lit(Literal::Number(d)) if d.fract().is_zero() => Some(*d),
                        _ => None,
                    };
                    let (a, b) = (whole(&w[0])?, whole(&w[1])?);
                    let (end, start) = (w[0].span().end as usize, w[1].span().start as usize);
                    let three = w[1].span().end as usize - start == 3;
                    (start == end + 1 && three)
                        .then(|| format!("{}{:03}", a.normalize(), b.normalize()))
                });
                let help = match separator {
                    Some(n) => format!(
                        "numbers take no thousands separators (only money does): write `{n}`; call it as `{sig}`"
                    ),
                    None => format!("call it as `{sig}`"),
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::WrongArity,
                        e.span(),
                        format!(
                            "`{name}` takes {} argument{}, found {}",
                            kinds.len(),
                            if kinds.len() == 1 { "" } else { "s" },
                            args.len()
                        ),
                    )
                    .label("wrong number of arguments")
                    .help(help),
                );
                for a in args {
                    let _ = self.expr_ty(a);
                }
                return None;
            }
            let mut ok = true;
            let mut periods: Vec<(&str, u32, &Expr)> = Vec::new();
            for (a, kind) in args.iter().zip(kinds) {
                ok &= match kind.kind {
                    ParamKind::Series => match self.expr_ty(a) {
                        Some(Ty::Num) => {
                            if self.is_constant(a) {
                                let call = usage(&sig);
                                self.constant_series(
                                    a,
                                    format!("`{name}`"),
                                    format!(
                                        "call it as `{call}`, with a market series or a signal"
                                    ),
                                );
                            }
                            true
                        }
                        Some(Ty::Bool) => {
                            self.expect_ty(a, Ty::Bool, Ty::Num, &format!("`{name}`"));
                            false
                        }
                        None => false,
                    },
                    ParamKind::Period { min } => match self.period(a, name, kind.name, min) {
                        Some(v) => {
                            periods.push((kind.name, v, a));
                            true
                        }
                        None => false,
                    },
                };
            }
            if ok {
                ok = self.fast_below_slow(name, &periods);
            }
            return if ok { Some(Ty::Num) } else { None };
        }
        if let Some(p) = self.env.plugins.iter().find(|p| p.name == name).cloned() {
            let want = p.inputs + p.params.len();
            let min = p.inputs;
            if args.len() < min || args.len() > want {
                let count = if min == want {
                    format!("{want}")
                } else {
                    format!("{min} to {want}")
                };
                let noun = if want == 1 { "argument" } else { "arguments" };
                self.diags.push(
                    Diagnostic::new(
                        Code::WrongArity,
                        e.span(),
                        format!("plugin `{name}` takes {count} {noun}, found {}", args.len()),
                    )
                    .label("wrong number of arguments")
                    .help(plugin_usage(&p)),
                );
                return None;
            }
            let mut ok = true;
            for (i, a) in args.iter().enumerate() {
                if i < p.inputs {
                    ok &= match self.expr_ty(a) {
                        Some(Ty::Num) => {
                            if self.is_constant(a) {
                                let help = if p.params.is_empty() {
                                    plugin_usage(&p)
                                } else {
                                    format!(
                                        "its first {} argument{} series, then its params: {}",
                                        p.inputs,
                                        if p.inputs == 1 { " is a" } else { "s are" },
                                        plugin_usage(&p)
                                    )
                                };
                                self.constant_series(a, format!("plugin `{name}`"), help);
                            }
                            true
                        }
                        Some(Ty::Bool) => {
                            self.expect_ty(a, Ty::Bool, Ty::Num, &format!("plugin `{name}`"));
                            false
                        }
                        None => false,
                    };
                } else {
                    let literal = self.literal_expr(a).map(|(l, _)| l);
                    // Within the manifest's limits, said where it is written
                    // (the plugin's own error would come at run time).
                    let value = match &literal {
                        Some(Literal::Number(d)) => d.to_f64(),
                        Some(Literal::Percent(d)) => (d / Decimal::ONE_HUNDRED).to_f64(),
                        _ => None,
                    };
                    let j = i - p.inputs;
                    if let (Some(v), Some(limits)) = (value, p.param_limits.get(j))
                        && !limits.admits(v)
                    {
                        let pname = p.params.get(j).map_or("", String::as_str);
                        let mut d = Diagnostic::new(
                            Code::BadValue,
                            a.span(),
                            format!(
                                "param `{pname}` of plugin `{name}` must be {}, found {v}",
                                limits.describe().unwrap_or_default()
                            ),
                        )
                        .label("outside the values the plugin takes");
                        if let Some(m) = &p.manifest {
                            d = d.help(format!(
                                "its manifest, {}, declares them (`min`, `above`, `max`, `below`, `integer` under `[[params]]`)",
                                m.display()
                            ));
                        }
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                    ok &= literal
                        .is_some_and(|l| matches!(l, Literal::Number(_) | Literal::Percent(_)))
                        || {
                            self.diags.push(
                                Diagnostic::new(
                                    Code::BadValue,
                                    a.span(),
                                    format!("a param of plugin `{name}` must be a number"),
                                )
                                .label("not a number literal or param"),
                            );
                            false
                        };
                }
            }
            self.used_plugins.insert(name.to_string());
            self.plugin_calls.push((name.to_string(), name_span));
            return if ok {
                Some(if p.boolean { Ty::Bool } else { Ty::Num })
            } else {
                None
            };
        }
        if let Some(u) = self.env.unavailable.iter().find(|u| u.name == name) {
            self.diags.push(
                Diagnostic::new(
                    Code::PluginUnavailable,
                    name_span,
                    format!("plugin `{name}` cannot be loaded"),
                )
                // A broken manifest, or two plugins of this name.
                .label("this plugin cannot be used")
                .help(u.reason.clone()),
            );
            for a in args {
                let _ = self.expr_ty(a);
            }
            return None;
        }
        let mut d = Diagnostic::new(
            Code::UnknownFunction,
            name_span,
            format!("unknown signal function `{name}`"),
        );
        if self.signal_defs.contains_key(name) || SERIES.contains(&name) {
            d = d.label("not a function").help(format!(
                "`{name}` is a value, not a function: use it without parentheses"
            ));
        } else {
            let builtins: Vec<&str> = signals::BUILTINS.iter().map(|b| b.name()).collect();
            let plugins: Vec<&str> = self.env.plugins.iter().map(|p| p.name.as_str()).collect();
            let names = builtins.iter().chain(&plugins).copied();
            d = d.label("no built-in or plugin has this name");
            let searched = self
                .env
                .plugin_search
                .as_ref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default();
            d = match did_you_mean(name, names) {
                Some(h) => d.help(h),
                None if plugins.is_empty() => d.help(format!(
                    "the built-ins are {}; no plugin was found{searched} (plugins are searched in the `plugins/` folder beside the nearest `vixshield.toml`, from the current folder upward, the folders it lists, and `--plugins DIR`; `vixshield plugin list` shows them)",
                    builtins.join(", ")
                )),
                None => d.help(format!(
                    "the built-ins are {}; the plugins found{searched} are {}; plugins are found from the current folder upward, not the strategy's",
                    builtins.join(", "),
                    plugins.join(", ")
                )),
            };
            // A plugin of that name may be in a folder that could not be read.
            let unread = &self.env.unreadable_plugin_dirs;
            if !unread.is_empty() {
                let what = if unread.len() == 1 {
                    "a plugin folder could not be read"
                } else {
                    "plugin folders could not be read"
                };
                let help = d.help.take().unwrap_or_default();
                d = d.help(format!("{help}; {what}: {}", unread.join(", ")));
            }
        }
        self.diags.push(d);
        for a in args {
            let _ = self.expr_ty(a);
        }
        None
    }

    /// Loads each plugin the file calls (once a name) with the environment's
    /// loader; one that cannot be loaded is an `E0207` at its first call.
    pub(crate) fn load_plugins(&mut self) {
        let Some(loader) = self.env.loader.clone() else {
            return;
        };
        let mut seen = std::collections::HashSet::new();
        for (name, span) in self.plugin_calls.clone() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Err(reason) = loader.validate(&name) {
                self.diags.push(
                    Diagnostic::new(
                        Code::PluginUnavailable,
                        span,
                        format!("plugin `{name}` cannot be loaded"),
                    )
                    .label("this plugin is broken")
                    .help(reason),
                );
            }
        }
    }

    /// A period argument: a whole number ≥ 1, literal or param.
    fn period(&mut self, a: &Expr, func: &str, param: &str, min: usize) -> Option<u32> {
        let Some((lit, span)) = self.literal_expr(a) else {
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    a.span(),
                    format!(
                        "`{param}` of `{func}` must be a number, found {}",
                        super::terms::describe_expr(a)
                    ),
                )
                .label("not a literal or param")
                .help("periods are fixed: write a whole number such as `14`"),
            );
            return None;
        };
        let Literal::Number(d) = lit else {
            self.diags.push(
                Diagnostic::new(
                    Code::UnitMismatch,
                    span,
                    format!(
                        "`{param}` of `{func}` is a plain number of bars, found {}",
                        super::terms::describe(&lit)
                    ),
                )
                .help("write the number of bars without a unit: `14`"),
            );
            return None;
        };
        let max = signals::MAX_PERIOD;
        match d.to_u32() {
            Some(n) if n as usize >= min && n as usize <= max && d.fract().is_zero() => Some(n),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        Code::NotPositive,
                        span,
                        format!("`{param}` of `{func}` must be a whole number of bars in {min}..{max}, found `{}`", d.normalize()),
                    )
                    .label("not a valid number of bars"),
                );
                None
            }
        }
    }

    /// A MACD's `fast` period must be below its `slow` one. TA-Lib swaps a
    /// reversed pair silently, and equal ones give a line of 0 on every bar
    /// (so `macd(...) crosses above macd_signal(...)` never fires): both are
    /// typos far more often than intent, so the checker says so (E0406 for
    /// a reversed pair, E0108 for an equal one).
    fn fast_below_slow(&mut self, name: &str, periods: &[(&str, u32, &Expr)]) -> bool {
        let find = |p: &str| periods.iter().find(|(n, ..)| *n == p);
        let (Some(&(_, fast, fa)), Some(&(_, slow, sa))) = (find("fast"), find("slow")) else {
            return true;
        };
        let span = fa.span().to(sa.span());
        if fast > slow {
            self.diags.push(
                Diagnostic::new(
                    Code::ReversedRange,
                    span,
                    format!("`fast` of `{name}` ({fast}) is above its `slow` ({slow})"),
                )
                .label("the fast period comes first and is the shorter")
                .help(format!(
                    "swap them: `fast` = {slow}, `slow` = {fast} (TA-Lib would swap them silently)"
                )),
            );
            false
        } else if fast == slow {
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    span,
                    format!("`fast` and `slow` of `{name}` are both {fast}: its MACD line is 0 on every bar"),
                )
                .label("equal periods")
                .help("the fast period must be below the slow one, as in `macd(vix, 12, 26, 9)`"),
            );
            false
        } else {
            true
        }
    }

    /// Whether `e` is the same number on every bar: literals and params,
    /// alone or combined.
    fn is_constant(&mut self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Lit(_) => true,
            ExprKind::Name(_) => self.literal_expr(e).is_some(),
            ExprKind::Paren(inner) | ExprKind::Unary(_, inner) => self.is_constant(inner),
            ExprKind::Binary(_, a, b) => self.is_constant(a) && self.is_constant(b),
            ExprKind::Call { .. } | ExprKind::Within { .. } => false,
        }
    }

    /// W0108 at `a`, a constant passed where `callee` expects a series.
    fn constant_series(&mut self, a: &Expr, callee: String, help: String) {
        self.diags.push(
            Diagnostic::new(
                Code::ConstantSeries,
                a.span(),
                format!("a constant where {callee} expects a series"),
            )
            .label("the same number on every bar")
            .help(help),
        );
    }
}

/// How to call a plugin: `call it as `theta_decay(s1, s2, lookback, drop)`; ...`.
fn plugin_usage(p: &super::PluginSignature) -> String {
    let series: Vec<String> = if p.inputs == 1 {
        vec!["s".to_string()]
    } else {
        (1..=p.inputs).map(|i| format!("s{i}")).collect()
    };
    let call = format!(
        "{}({})",
        p.name,
        series
            .iter()
            .chain(&p.params)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    if p.params.is_empty() {
        format!("call it as `{call}`")
    } else {
        format!("call it as `{call}`; params left out take their defaults")
    }
}

/// How to call a built-in: `rsi(s, period)`.
fn usage(sig: &signals::Signature) -> String {
    let params: Vec<&str> = sig.params.iter().map(|p| p.name).collect();
    format!("{}({})", sig.name, params.join(", "))
}
