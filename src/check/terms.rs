//! Reading a setting's terms as typed values: `$1,000`, `1% of capital`,
//! `1.8x into steps 3..4`, `nearest $100`. Every mismatch becomes a diagnostic
//! that names what was expected and what was found.

use super::Checker;
use crate::ast::{BinOp, Expr, ExprKind, Literal, Setting, Term, UnOp};
use crate::diag::{Code, Diagnostic};
use crate::model::{Amount, Basis, MAX_DAYS};
use crate::source::Span;
use rust_decimal::Decimal;

/// A cursor over one setting's terms.
pub(crate) struct Terms<'s> {
    pub setting: &'s Setting,
    pub pos: usize,
}

impl<'s> Terms<'s> {
    pub fn new(setting: &'s Setting) -> Terms<'s> {
        Terms { setting, pos: 0 }
    }

    /// The next term, consumed.
    pub fn next(&mut self) -> Option<&'s Term> {
        let t = self.setting.terms.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// The next term, not consumed.
    pub fn peek(&self) -> Option<&'s Term> {
        self.setting.terms.get(self.pos)
    }

    /// Consumes the next term if it is the word `w`.
    pub fn eat_word(&mut self, w: &str) -> bool {
        if self.peek().and_then(Term::word) == Some(w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Where the value ends: for "missing" diagnostics.
    pub fn end_span(&self) -> Span {
        let s = self.setting.value_span();
        Span {
            start: s.end,
            end: s.end,
        }
    }
}

/// Which steps a per-step setting covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StepSel {
    pub from: u32,
    /// `None`: through the step limit.
    pub to: Option<u32>,
    pub span: Span,
}

/// A literal's unit, in words.
pub(crate) fn describe(lit: &Literal) -> String {
    match lit {
        Literal::Money(_) => "money".into(),
        Literal::Percent(_) => "a percentage".into(),
        Literal::Bps(_) => "basis points".into(),
        Literal::Multiplier(_) => "a multiplier".into(),
        Literal::Days(_) => "days".into(),
        Literal::Points(_) => "index points".into(),
        Literal::Number(_) => "a plain number".into(),
        Literal::Version(_) => "a version".into(),
        Literal::Str(_) => "a string".into(),
    }
}

/// What a term is, in words, for "found ..." messages.
pub(crate) fn describe_term(t: &Term) -> String {
    match t {
        Term::Range(..) => "a range".into(),
        Term::Expr(e) => describe_expr(e),
    }
}

/// `the word `x``, `a plain number` without its article, for "unexpected
/// word `x`", "unexpected plain number".
fn without_article(what: &str) -> &str {
    ["the ", "a ", "an "]
        .iter()
        .find_map(|a| what.strip_prefix(a))
        .unwrap_or(what)
}

pub(crate) fn describe_expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Lit(l) => describe(l),
        ExprKind::Unary(UnOp::Neg, inner) => describe_expr(inner),
        ExprKind::Name(n) => format!("the word `{n}`"),
        ExprKind::Binary(BinOp::Of, share, base) => {
            // `0.10 of capital` is a plain number of it, not a percentage.
            let share = match &share.kind {
                ExprKind::Lit(l @ Literal::Percent(_)) | ExprKind::Lit(l @ Literal::Number(_)) => {
                    describe(l)
                }
                _ => "a percentage".into(),
            };
            match &base.kind {
                ExprKind::Name(n) => format!("{share} of `{n}`"),
                _ => format!("{share} of something"),
            }
        }
        ExprKind::Paren(inner) => describe_expr(inner),
        _ => "an expression".into(),
    }
}

impl Checker<'_> {
    /// The literal a term stands for: a literal, a negated literal, or a param.
    pub(crate) fn literal(&mut self, t: &Term) -> Option<(Literal, Span)> {
        match t {
            Term::Expr(e) => self.literal_expr(e),
            Term::Range(..) => None,
        }
    }

    pub(crate) fn literal_expr(&mut self, e: &Expr) -> Option<(Literal, Span)> {
        match &e.kind {
            ExprKind::Lit(l) => Some((l.clone(), e.span())),
            ExprKind::Unary(UnOp::Neg, inner) => {
                let (l, _) = self.literal_expr(inner)?;
                Some((negate(l)?, e.span()))
            }
            // `(14)` is `14`, as the compiler reads it.
            ExprKind::Paren(inner) => {
                let (l, _) = self.literal_expr(inner)?;
                Some((l, e.span()))
            }
            ExprKind::Name(n) => {
                let value = self.params.get(n).map(|p| p.0.clone())?;
                self.used.insert(n.clone());
                Some((value, e.span()))
            }
            _ => None,
        }
    }

    /// Reports that `t` is not what `key` expects.
    pub(crate) fn mismatch(&mut self, t: &Term, key: &str, expected: &str, example: &str) {
        if t.word()
            .is_some_and(|w| self.unparsed_defs.iter().any(|d| d == w))
        {
            // A param whose definition did not parse: that error is said there.
            return;
        }
        if let Term::Expr(e) = t
            && self.param_mismatch(e, &format!("`{key}` expects {expected}"), expected, example)
        {
            return;
        }
        let literal = self.literal(t);
        let found = describe_term(t);
        let code = match literal {
            Some(_) => Code::UnitMismatch,
            None => Code::BadValue,
        };
        // The number written, with the unit the setting takes (`multiplier =
        // 2` is `2x`, `160%` is `1.6x`, `dte = 30` is `30d`), when the
        // literal is written here (a param's value is fixed where it is set).
        let written = match (&literal, t) {
            (Some((l, _)), Term::Expr(e)) if matches!(e.kind, ExprKind::Lit(_)) => {
                with_unit(l, expected)
            }
            _ => None,
        };
        let help = match written {
            Some(w)
                if matches!(literal, Some((Literal::Percent(_), _)))
                    || (example != w && !example.starts_with(&format!("{w} "))) =>
            {
                format!("write `{w}` (for example `{key} = {example}`)")
            }
            _ => format!("write for example `{key} = {example}`"),
        };
        self.diags.push(
            Diagnostic::new(
                code,
                t.span(),
                format!("`{key}` expects {expected}, found {found}"),
            )
            .label(format!("this is {found}"))
            .help(help),
        );
    }

    /// When `e` names a param: reports that `head` (`` `multiplier` expects
    /// a multiplier ``) found the param holding another unit, where it is
    /// set, and the fix there, `param NAME = VALUE` (the value it holds in
    /// the unit expected, else `example`); whether it did. It read "found
    /// the word `mult`", and writing the example in its place took the
    /// param out of the sweep.
    pub(crate) fn param_mismatch(
        &mut self,
        e: &Expr,
        head: &str,
        expected: &str,
        example: &str,
    ) -> bool {
        let ExprKind::Name(name) = &e.kind else {
            return false;
        };
        let Some((l, at)) = self.params.get(name).cloned() else {
            return false;
        };
        self.used.insert(name.clone());
        let holding = describe(&l);
        let value = with_unit(&l, expected).unwrap_or_else(|| example.to_string());
        self.diags.push(
            Diagnostic::new(
                Code::UnitMismatch,
                e.span(),
                format!("{head}, found param `{name}` holding {holding}"),
            )
            .label(format!("this is {holding}"))
            .related(at, format!("`{name}` is set here"))
            .help(format!(
                "give the param {expected}: `param {name} = {value}`"
            )),
        );
        true
    }

    /// Reports a missing value.
    pub(crate) fn missing(&mut self, ts: &Terms<'_>, expected: &str, example: &str) {
        let key = &ts.setting.key.name;
        self.diags.push(
            Diagnostic::new(
                Code::BadValue,
                ts.end_span(),
                format!("`{key}` is missing {expected}"),
            )
            .help(format!("write for example `{key} = {example}`")),
        );
    }

    /// Reports terms left over after the value; whether there were none.
    pub(crate) fn end(&mut self, ts: &mut Terms<'_>, example: &str) -> bool {
        let Some(t) = ts.peek() else {
            return true;
        };
        let last = ts.setting.terms.last().map_or(t.span(), Term::span);
        let key = &ts.setting.key.name;
        self.diags.push(
            Diagnostic::new(
                Code::BadValue,
                t.span().to(last),
                format!(
                    "unexpected {} after the value of `{key}`",
                    without_article(&describe_term(t))
                ),
            )
            .label("not part of the value")
            .help(format!("write for example `{key} = {example}`")),
        );
        ts.pos = ts.setting.terms.len();
        false
    }

    /// A value of one literal kind, picked by `pick`.
    fn one<T>(
        &mut self,
        ts: &mut Terms<'_>,
        expected: &str,
        example: &str,
        pick: impl Fn(&Literal) -> Option<T>,
    ) -> Option<(T, Span)> {
        let Some(t) = ts.next() else {
            self.missing(ts, expected, example);
            return None;
        };
        match self.literal(t).and_then(|(l, s)| pick(&l).map(|v| (v, s))) {
            Some(v) => Some(v),
            None => {
                self.mismatch(t, &ts.setting.key.name, expected, example);
                None
            }
        }
    }

    pub(crate) fn money(&mut self, ts: &mut Terms<'_>, example: &str) -> Option<(Decimal, Span)> {
        self.one(ts, "money", example, |l| match l {
            Literal::Money(d) => Some(*d),
            _ => None,
        })
    }

    /// A percentage as a fraction (15% → 0.15).
    pub(crate) fn percent(&mut self, ts: &mut Terms<'_>, example: &str) -> Option<(Decimal, Span)> {
        self.one(ts, "a percentage", example, |l| match l {
            Literal::Percent(d) => Some(*d / Decimal::ONE_HUNDRED),
            _ => None,
        })
    }

    pub(crate) fn number(&mut self, ts: &mut Terms<'_>, example: &str) -> Option<(Decimal, Span)> {
        self.one(ts, "a plain number", example, |l| match l {
            Literal::Number(d) => Some(*d),
            _ => None,
        })
    }

    pub(crate) fn multiplier(
        &mut self,
        ts: &mut Terms<'_>,
        example: &str,
    ) -> Option<(Decimal, Span)> {
        self.one(ts, "a multiplier", example, |l| match l {
            Literal::Multiplier(d) => Some(*d),
            _ => None,
        })
    }

    pub(crate) fn points(&mut self, ts: &mut Terms<'_>, example: &str) -> Option<(Decimal, Span)> {
        self.one(ts, "index points", example, |l| match l {
            Literal::Points(d) => Some(*d),
            _ => None,
        })
    }

    pub(crate) fn string(&mut self, ts: &mut Terms<'_>, example: &str) -> Option<(String, Span)> {
        self.one(ts, "a string", example, |l| match l {
            Literal::Str(s) => Some(s.clone()),
            _ => None,
        })
    }

    /// A whole number ≥ 0 from a plain number.
    pub(crate) fn integer(&mut self, ts: &mut Terms<'_>, example: &str) -> Option<(u32, Span)> {
        let (d, span) = self.number(ts, example)?;
        self.whole(d, span, &ts.setting.key.name.clone())
    }

    /// `d` as a whole number, or a diagnostic.
    pub(crate) fn whole(&mut self, d: Decimal, span: Span, what: &str) -> Option<(u32, Span)> {
        match (
            d.fract().is_zero(),
            u32::try_from(d.trunc().mantissa() / 10i128.pow(d.trunc().scale())),
        ) {
            (true, Ok(n)) if d >= Decimal::ZERO => Some((n, span)),
            (true, _) => {
                let (message, label) = if d < Decimal::ZERO {
                    (
                        format!("`{what}` must not be negative, found `{}`", d.normalize()),
                        "negative",
                    )
                } else {
                    (
                        format!(
                            "`{what}` is too large: at most {}, found `{}`",
                            u32::MAX,
                            d.normalize()
                        ),
                        "too large",
                    )
                };
                self.diags
                    .push(Diagnostic::new(Code::BadValue, span, message).label(label));
                None
            }
            (false, _) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::BadValue,
                        span,
                        format!("`{what}` must be a whole number, found `{}`", d.normalize()),
                    )
                    .label("not a whole number")
                    .help(format!(
                        "write `{}` or `{}`",
                        d.floor().normalize(),
                        d.ceil().normalize()
                    )),
                );
                None
            }
        }
    }

    /// Whole days from a days literal (`45d`), at most [`MAX_DAYS`]; `least`
    /// is the setting's own lower bound, named in the message (checked by
    /// the caller).
    pub(crate) fn days(
        &mut self,
        ts: &mut Terms<'_>,
        example: &str,
        least: u32,
    ) -> Option<(u32, Span)> {
        let (d, span) = self.one(ts, "days", example, |l| match l {
            Literal::Days(d) => Some(*d),
            _ => None,
        })?;
        self.day_count(d, span, &ts.setting.key.name.clone(), least)
    }

    /// `d` as a whole number of days from `least`d to [`MAX_DAYS`]d, or a
    /// diagnostic naming `what` and that range. Every day count of a
    /// setting goes through here, so that none reaches past the calendar.
    pub(crate) fn day_count(
        &mut self,
        d: Decimal,
        span: Span,
        what: &str,
        least: u32,
    ) -> Option<(u32, Span)> {
        if d.fract().is_zero() && d > Decimal::from(MAX_DAYS) {
            self.diags.push(
                Diagnostic::new(
                    Code::BadValue,
                    span,
                    format!(
                        "`{what}` must be from {least}d to {MAX_DAYS}d, found `{}d`",
                        d.normalize()
                    ),
                )
                .label("too long")
                .help(format!(
                    "day counts are at most {MAX_DAYS}d (ten years): option expiries, \
                     exits and re-entry waits all fall well inside it"
                )),
            );
            return None;
        }
        self.whole(d, span, what)
    }

    /// An amount of money: `$1,000`, `1% of capital`, `1% of equity`, or a bare
    /// percentage of the account's basis.
    pub(crate) fn amount(&mut self, ts: &mut Terms<'_>, example: &str) -> Option<(Amount, Span)> {
        let key = ts.setting.key.name.clone();
        let Some(t) = ts.next() else {
            self.missing(ts, "an amount", example);
            return None;
        };
        let span = t.span();
        if let Term::Expr(Expr {
            kind: ExprKind::Binary(BinOp::Of, lhs, rhs),
            ..
        }) = t
        {
            let fraction = self.fraction_of(lhs, rhs, &key, &["capital", "equity"], example)?;
            let of = if rhs.kind == ExprKind::Name("equity".into()) {
                Basis::Equity
            } else {
                Basis::Capital
            };
            return Some((Amount::Percent { fraction, of }, span));
        }
        match self.literal(t) {
            Some((Literal::Money(d), _)) => Some((Amount::Money(d), span)),
            Some((Literal::Percent(p), _)) => Some((
                Amount::Percent {
                    fraction: p / Decimal::ONE_HUNDRED,
                    of: self.basis,
                },
                span,
            )),
            _ => {
                self.mismatch(
                    t,
                    &key,
                    "money or a percentage of `capital` or `equity`",
                    example,
                );
                None
            }
        }
    }

    /// A percentage of one of `bases`: `90% of credit` (a bare `90%` is accepted too).
    pub(crate) fn percent_of(
        &mut self,
        ts: &mut Terms<'_>,
        bases: &[&str],
        example: &str,
    ) -> Option<(Decimal, Span)> {
        let key = ts.setting.key.name.clone();
        let Some(t) = ts.next() else {
            self.missing(ts, "a percentage", example);
            return None;
        };
        let span = t.span();
        if let Term::Expr(Expr {
            kind: ExprKind::Binary(BinOp::Of, lhs, rhs),
            ..
        }) = t
        {
            return self
                .fraction_of(lhs, rhs, &key, bases, example)
                .map(|f| (f, span));
        }
        match self.literal(t) {
            Some((Literal::Percent(p), _)) => Some((p / Decimal::ONE_HUNDRED, span)),
            _ => {
                let list = bases
                    .iter()
                    .map(|b| format!("`{b}`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                self.mismatch(t, &key, &format!("a percentage of {list}"), example);
                None
            }
        }
    }

    /// `lhs of rhs` where lhs is a percentage and rhs one of `bases`.
    fn fraction_of(
        &mut self,
        lhs: &Expr,
        rhs: &Expr,
        key: &str,
        bases: &[&str],
        example: &str,
    ) -> Option<Decimal> {
        let base_ok = matches!(&rhs.kind, ExprKind::Name(n) if bases.contains(&n.as_str()));
        if !base_ok {
            let list = bases
                .iter()
                .map(|b| format!("`{b}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            let mut d = Diagnostic::new(
                Code::BadValue,
                rhs.span(),
                format!(
                    "`{key}` is a percentage of {list}, found {}",
                    describe_expr(rhs)
                ),
            )
            .label("not a base this setting knows");
            if let ExprKind::Name(n) = &rhs.kind
                && let Some(h) = crate::diag::did_you_mean(n, bases.iter().copied())
            {
                d = d.help(h);
            }
            d = if d.help.is_none() {
                d.help(format!("write for example `{key} = {example}`"))
            } else {
                d
            };
            self.diags.push(d);
            return None;
        }
        match self.literal_expr(lhs) {
            Some((Literal::Percent(p), _)) => Some(p / Decimal::ONE_HUNDRED),
            _ if self.param_mismatch(
                lhs,
                &format!("`{key}` expects a percentage before `of`"),
                "a percentage",
                "50%",
            ) =>
            {
                None
            }
            _ => {
                let found = describe_expr(lhs);
                // `0.9 of credit`: a share written as a fraction.
                let help = match &lhs.kind {
                    ExprKind::Lit(Literal::Number(d))
                        if *d > Decimal::ZERO && *d <= Decimal::ONE =>
                    {
                        let rest = example.split_once(" of ").map_or("", |(_, r)| r);
                        format!(
                            "a share is a percentage: write `{key} = {}% of {rest}`",
                            (*d * Decimal::ONE_HUNDRED).normalize()
                        )
                    }
                    _ => format!("write for example `{key} = {example}`"),
                };
                self.diags.push(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        lhs.span(),
                        format!("`{key}` expects a percentage before `of`, found {found}"),
                    )
                    .label(format!("this is {found}"))
                    .help(help),
                );
                None
            }
        }
    }

    /// A range `lo..hi` whose ends `pick` reads; checks `lo <= hi`.
    pub(crate) fn range<T: PartialOrd + Copy>(
        &mut self,
        ts: &mut Terms<'_>,
        expected: &str,
        example: &str,
        pick: impl Fn(&Literal) -> Option<T>,
    ) -> Option<((T, T), Span)> {
        let key = ts.setting.key.name.clone();
        let Some(t) = ts.next() else {
            self.missing(ts, expected, example);
            return None;
        };
        let Term::Range(lo, hi, loc) = t else {
            self.mismatch(t, &key, expected, example);
            return None;
        };
        let end = |this: &mut Self, e: &Expr| match this.literal_expr(e).and_then(|(l, _)| pick(&l))
        {
            Some(v) => Some(v),
            None => {
                let found = describe_expr(e);
                this.diags.push(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        e.span(),
                        format!("`{key}` expects {expected}, found {found} in the range"),
                    )
                    .label(format!("this is {found}"))
                    .help(format!("write for example `{key} = {example}`")),
                );
                None
            }
        };
        let (lo_v, hi_v) = (end(self, lo)?, end(self, hi)?);
        if lo_v > hi_v {
            let (a, b) = (crate::fmt::expr(lo), crate::fmt::expr(hi));
            self.diags.push(
                Diagnostic::new(
                    Code::ReversedRange,
                    loc.0,
                    format!("range `{a}..{b}` of `{key}` runs backwards"),
                )
                .label("the low end comes first")
                .help(format!("write `{b}..{a}`")),
            );
            return None;
        }
        Some(((lo_v, hi_v), loc.0))
    }

    /// `at step 2`, `into steps 3..4`, `from step 3`. `None` when absent (no diagnostic).
    pub(crate) fn step_selector(
        &mut self,
        ts: &mut Terms<'_>,
        example: &str,
    ) -> Option<Option<StepSel>> {
        let Some(first) = ts.peek() else {
            return Some(None);
        };
        let Some(prep) = first.word().filter(|w| ["at", "into", "from"].contains(w)) else {
            return Some(None);
        };
        let start = first.span();
        ts.next();
        if !(ts.eat_word("step") || ts.eat_word("steps")) {
            let key = ts.setting.key.name.clone();
            match ts.peek() {
                Some(t) => self.mismatch(t, &key, "`step` or `steps`", example),
                None => self.missing(ts, &format!("`step N` after `{prep}`"), example),
            }
            // Said once: what follows is not reported again as left over.
            ts.pos = ts.setting.terms.len();
            return None;
        }
        let key = ts.setting.key.name.clone();
        let Some(t) = ts.next() else {
            self.missing(ts, "a step number", example);
            return None;
        };
        let span = start.to(t.span());
        let step_no = |this: &mut Self, e: &Expr| -> Option<u32> {
            match this.literal_expr(e) {
                Some((Literal::Number(d), s)) => {
                    let (n, _) = this.whole(d, s, "step")?;
                    if n == 0 {
                        this.diags.push(
                            Diagnostic::new(Code::StepOutOfRange, s, "there is no step 0")
                                .help("steps count from 1"),
                        );
                        return None;
                    }
                    Some(n)
                }
                _ => {
                    let found = describe_expr(e);
                    this.diags.push(
                        Diagnostic::new(
                            Code::UnitMismatch,
                            e.span(),
                            format!("a step is a plain number, found {found}"),
                        )
                        .help(format!("write for example `{key} = {example}`")),
                    );
                    None
                }
            }
        };
        let sel = match t {
            Term::Range(lo, hi, loc) => {
                let (a, b) = (step_no(self, lo)?, step_no(self, hi)?);
                if a > b {
                    self.diags.push(
                        Diagnostic::new(
                            Code::ReversedRange,
                            loc.0,
                            format!("steps `{a}..{b}` run backwards"),
                        )
                        .help(format!("write `steps {b}..{a}`")),
                    );
                    return None;
                }
                StepSel {
                    from: a,
                    to: Some(b),
                    span,
                }
            }
            Term::Expr(e) => {
                let n = step_no(self, e)?;
                if prep == "from" {
                    StepSel {
                        from: n,
                        to: None,
                        span,
                    }
                } else {
                    StepSel {
                        from: n,
                        to: Some(n),
                        span,
                    }
                }
            }
        };
        Some(Some(sel))
    }
}

fn negate(l: Literal) -> Option<Literal> {
    Some(match l {
        Literal::Money(d) => Literal::Money(-d),
        Literal::Percent(d) => Literal::Percent(-d),
        Literal::Bps(d) => Literal::Bps(-d),
        Literal::Multiplier(d) => Literal::Multiplier(-d),
        Literal::Days(d) => Literal::Days(-d),
        Literal::Points(d) => Literal::Points(-d),
        Literal::Number(d) => Literal::Number(-d),
        Literal::Version(_) | Literal::Str(_) => return None,
    })
}

/// A plain number, or a percentage meant as a multiplier, written with the
/// unit `expected` names: `2` as `2x`, `160%` as `1.6x`, `30` as `30d`,
/// `50000` as `$50,000`.
fn with_unit(l: &Literal, expected: &str) -> Option<String> {
    match (l, expected) {
        (Literal::Number(n), "a multiplier") => Some(format!("{}x", n.normalize())),
        (Literal::Percent(p), "a multiplier") => {
            Some(format!("{}x", (*p / Decimal::ONE_HUNDRED).normalize()))
        }
        (Literal::Number(n), "days") if n.fract().is_zero() => Some(format!("{}d", n.normalize())),
        (Literal::Number(n), "index points") => Some(format!("{}pt", n.normalize())),
        (Literal::Number(n), "a percentage") => Some(format!("{}%", n.normalize())),
        (Literal::Number(n), "basis points") => Some(format!("{}bps", n.normalize())),
        (Literal::Number(n), "money") if *n > Decimal::ZERO => Some(crate::money::fmt_money(*n)),
        _ => None,
    }
}
