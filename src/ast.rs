//! The syntax tree of a strategy file, with spans.
//!
//! Every node carries a [`Loc`], which equality ignores: two files that say the
//! same thing in different layouts parse to equal trees (the formatter's test).
//! The tree is what the text says, checked only for syntax; meaning is the
//! checker's job.

use crate::source::{Loc, Span};
use rust_decimal::Decimal;

/// A parsed strategy file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct File {
    /// The top-level items, in source order.
    pub items: Vec<Item>,
    /// Item keywords of top-level statements that did not parse (or the keyword
    /// they were probably meant as), and keys of settings found outside any
    /// section: the checker does not call those missing.
    pub recovered: Vec<String>,
    /// The names in statements that did not parse, sorted, once each: the
    /// checker does not call a signal or param they name unused.
    pub unparsed_names: Vec<String>,
    /// The names that `signal NAME = ...` and `param NAME = ...` statements
    /// that did not parse define, sorted: their error is said there, not at
    /// each use.
    pub unparsed_defs: Vec<String>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `account { ... }`, `hedge front { ... }`, `strategy "Name" { ... }`
    Section(Section),
    /// `guards { ... }`
    Guards(Guards),
    /// `signal name = expr`
    Signal(SignalDef),
    /// `param name = value`
    Param(ParamDef),
}

impl Item {
    /// Where the item is.
    pub fn span(&self) -> Span {
        match self {
            Item::Section(s) => s.loc.0,
            Item::Guards(g) => g.loc.0,
            Item::Signal(s) => s.loc.0,
            Item::Param(p) => p.loc.0,
        }
    }
}

/// A name with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where.
    pub loc: Loc,
}

impl Ident {
    /// Where the name is.
    pub fn span(&self) -> Span {
        self.loc.0
    }
}

/// The kinds of sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    /// `strategy "Name" { version, language }`
    Strategy,
    /// `account { capital, ... }`
    Account,
    /// `entry { underlying, dte, ... }`
    Entry,
    /// `sizing { base, multiplier, ... }`
    Sizing,
    /// `hedge NAME { ... }`
    Hedge,
    /// `roll { coefficient, ... }`
    Roll,
}

impl SectionKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            SectionKind::Strategy => "strategy",
            SectionKind::Account => "account",
            SectionKind::Entry => "entry",
            SectionKind::Sizing => "sizing",
            SectionKind::Hedge => "hedge",
            SectionKind::Roll => "roll",
        }
    }

    /// The kind named by `keyword`.
    pub fn from_keyword(keyword: &str) -> Option<SectionKind> {
        Some(match keyword {
            "strategy" => SectionKind::Strategy,
            "account" => SectionKind::Account,
            "entry" => SectionKind::Entry,
            "sizing" => SectionKind::Sizing,
            "hedge" => SectionKind::Hedge,
            "roll" => SectionKind::Roll,
            _ => return None,
        })
    }
}

/// A section's label: `strategy "SPX Mastery"` or `hedge front`.
#[derive(Clone, Debug, PartialEq)]
pub enum Label {
    /// A quoted string, without its quotes.
    Str(String, Loc),
    /// A bare name.
    Name(Ident),
}

impl Label {
    /// The label's text.
    pub fn text(&self) -> &str {
        match self {
            Label::Str(s, _) => s,
            Label::Name(i) => &i.name,
        }
    }

    /// Where.
    pub fn span(&self) -> Span {
        match self {
            Label::Str(_, loc) => loc.0,
            Label::Name(i) => i.span(),
        }
    }
}

/// `kind label? { settings }`
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Which section.
    pub kind: SectionKind,
    /// Where the keyword is.
    pub kind_loc: Loc,
    /// The label, if any.
    pub label: Option<Label>,
    /// The settings, in order.
    pub settings: Vec<Setting>,
    /// Keys of settings that did not parse: the checker does not call them missing.
    pub recovered: Vec<String>,
    /// The whole section.
    pub loc: Loc,
}

/// `key = term term ...`
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The setting's name.
    pub key: Ident,
    /// The terms after `=`, at least one.
    pub terms: Vec<Term>,
    /// The whole setting.
    pub loc: Loc,
}

impl Setting {
    /// The span of the terms (the value).
    pub fn value_span(&self) -> Span {
        match (self.terms.first(), self.terms.last()) {
            (Some(a), Some(b)) => a.span().to(b.span()),
            _ => self.loc.0,
        }
    }
}

/// One term of a setting's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// `low..high`
    Range(Box<Expr>, Box<Expr>, Loc),
    /// An expression (a lone word or literal is an expression too).
    Expr(Expr),
}

impl Term {
    /// Where.
    pub fn span(&self) -> Span {
        match self {
            Term::Range(_, _, loc) => loc.0,
            Term::Expr(e) => e.span(),
        }
    }

    /// The term as a bare word, if it is one.
    pub fn word(&self) -> Option<&str> {
        match self {
            Term::Expr(Expr {
                kind: ExprKind::Name(n),
                ..
            }) => Some(n),
            _ => None,
        }
    }
}

/// `guards { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Guards {
    /// Where the keyword is.
    pub kw_loc: Loc,
    /// The guard statements, in order.
    pub guards: Vec<Guard>,
    /// The whole block.
    pub loc: Loc,
}

/// One guard statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Guard {
    /// `no entry within 1d of FOMC, CPI, PPI`
    Blackout {
        /// The `within` expression.
        within: Expr,
        /// The whole statement.
        loc: Loc,
    },
    /// `wacc_impact < 18bps`, `quick_ratio >= 1.4 under 3 sigma`, `vix < 40`
    Condition {
        /// The condition that must hold for an entry.
        expr: Expr,
        /// `under N sigma` (N a plain number, or a param holding one)
        stress: Option<(Count, Loc)>,
        /// The whole statement.
        loc: Loc,
    },
}

impl Guard {
    /// Where.
    pub fn span(&self) -> Span {
        match self {
            Guard::Blackout { loc, .. } | Guard::Condition { loc, .. } => loc.0,
        }
    }
}

/// A count that a statement's syntax fixes in place, written as a literal
/// or as the name of a param holding one (so that a sweep can vary it): the
/// days of `within 1d of ...`, the N of `under N sigma`. The parser checks a
/// literal's unit; the checker checks a param's.
#[derive(Clone, Debug, PartialEq)]
pub enum Count {
    /// `1d`, `3`
    Lit(Decimal),
    /// `window`: a param's name
    Param(Ident),
}

/// `signal name = expr`
#[derive(Clone, Debug, PartialEq)]
pub struct SignalDef {
    /// The signal's name.
    pub name: Ident,
    /// Its definition.
    pub expr: Expr,
    /// The whole item.
    pub loc: Loc,
}

/// `param name = value`
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDef {
    /// The param's name.
    pub name: Ident,
    /// Its default value: a literal, possibly negated.
    pub value: Expr,
    /// The whole item.
    pub loc: Loc,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub loc: Loc,
}

impl Expr {
    /// Where.
    pub fn span(&self) -> Span {
        self.loc.0
    }
}

/// The kinds of expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `$1,800`, `15%`, `1.6x`, ...
    Lit(Literal),
    /// `vix`, `theta_press`, `capital`, `on`
    Name(String),
    /// `rsi(vix, 14)`
    Call {
        /// The function.
        name: Ident,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// `not e`, `-e`
    Unary(UnOp, Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `( e )`, kept so the formatter can print what the author wrote
    Paren(Box<Expr>),
    /// `within 1d of FOMC, CPI`, `within window of FOMC`
    Within {
        /// How many days before an event: days, or a param holding days.
        days: Count,
        /// The events.
        events: Vec<Ident>,
    },
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// Infix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `crosses above`
    CrossAbove,
    /// `crosses below`
    CrossBelow,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `of`
    Of,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::CrossAbove => "crosses above",
            BinOp::CrossBelow => "crosses below",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Of => "of",
        }
    }

    /// Left and right binding powers: higher binds tighter.
    pub fn binding_power(self) -> (u8, u8) {
        match self {
            BinOp::Or => (1, 2),
            BinOp::And => (3, 4),
            BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::Eq
            | BinOp::Ne
            | BinOp::CrossAbove
            | BinOp::CrossBelow => (7, 8),
            BinOp::Add | BinOp::Sub => (9, 10),
            BinOp::Mul | BinOp::Div => (11, 12),
            BinOp::Of => (15, 16),
        }
    }

    /// Whether the operator compares or crosses (gives a boolean from numbers).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::CrossAbove
                | BinOp::CrossBelow
        )
    }
}

impl UnOp {
    /// Binding power of the operand.
    pub fn binding_power(self) -> u8 {
        match self {
            UnOp::Not => 5,
            UnOp::Neg => 13,
        }
    }
}

/// A literal with its unit. Amounts are exact decimals as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `$1,800`
    Money(Decimal),
    /// `15%` (holds 15)
    Percent(Decimal),
    /// `18bps` (holds 18)
    Bps(Decimal),
    /// `1.6x` (holds 1.6)
    Multiplier(Decimal),
    /// `45d` (holds 45)
    Days(Decimal),
    /// `50pt` (holds 50)
    Points(Decimal),
    /// `0.55`
    Number(Decimal),
    /// `1.0.0`
    Version(String),
    /// `"text"` (without quotes)
    Str(String),
}
