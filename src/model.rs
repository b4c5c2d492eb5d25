//! The checked strategy: what a `.vxs` file means, with every value typed,
//! in its unit, and validated.
//!
//! The checker builds a [`Strategy`] only when it found no errors, so
//! everything downstream (exposure analysis, the rule graph, backtests) can rely
//! on these invariants: `steps >= 1`, `multipliers.len() == steps - 1`, every
//! multiplier > 1, `max_loss.len() == steps`, fractions in range, names resolved,
//! every day count of a setting (DTEs, `exit_dte`, `reentry`) at most
//! [`MAX_DAYS`]. (The backtest does not rely on that last one: its date
//! arithmetic is checked, so a strategy built by hand cannot make it panic.)

use crate::ast;
use crate::money::RoundMode;
use rust_decimal::Decimal;

/// The longest day count a setting may give (ten years): no option this
/// method trades or hedges with lives longer, and no wait means anything
/// beyond it.
pub const MAX_DAYS: u32 = 3650;

/// What a percentage of money refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The declared initial capital.
    Capital,
    /// The equity after all prior trades.
    Equity,
}

impl Basis {
    /// The word used in strategy files.
    pub fn word(self) -> &'static str {
        match self {
            Basis::Capital => "capital",
            Basis::Equity => "equity",
        }
    }
}

/// An amount of money: fixed, or a fraction of capital or equity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    /// `$1,000`
    Money(Decimal),
    /// `1% of capital` (holds 0.01)
    Percent {
        /// The fraction, 0.01 for 1%.
        fraction: Decimal,
        /// Of what.
        of: Basis,
    },
}

/// The whole checked strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct Strategy {
    /// `strategy "Name"`.
    pub name: String,
    /// The strategy's own semantic version.
    pub version: String,
    /// The language version the file was written for.
    pub language: u32,
    /// Capital and the guards' inputs.
    pub account: Account,
    /// What is traded.
    pub entry: Entry,
    /// The modified martingale.
    pub sizing: Sizing,
    /// Named signals, in dependency order (a signal only uses earlier ones).
    pub signals: Vec<Signal>,
    /// Hedge layers, in file order.
    pub hedges: Vec<Hedge>,
    /// The roll of realized hedge profit.
    pub roll: Option<Roll>,
    /// Entry guards, in file order.
    pub guards: Vec<Guard>,
    /// Params and their values (defaults, or overrides from a sweep).
    pub params: Vec<Param>,
    /// Every plugin call in the file: the span of the plugin's name there
    /// and its `file:line:col`, in source order, so that an error a plugin
    /// gives when it runs can say which call failed. Empty when the strategy
    /// was not checked from a file.
    pub plugin_calls: Vec<(crate::source::Span, String)>,
}

/// `account { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    /// Initial capital.
    pub capital: Decimal,
    /// What a bare percentage of money refers to.
    pub percent_of: Basis,
    /// Risk-free rate, a fraction.
    pub risk_free_rate: Option<Decimal>,
    /// CAPM beta of the book.
    pub beta: Option<Decimal>,
    /// Equity risk premium, a fraction.
    pub equity_risk_premium: Option<Decimal>,
    /// Margin borrowing rate, a fraction.
    pub margin_rate: Option<Decimal>,
    /// Tax rate, a fraction.
    pub tax_rate: Option<Decimal>,
    /// Cash on hand (defaults to the capital).
    pub cash: Decimal,
}

/// `entry { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// `SPX`.
    pub underlying: String,
    /// Days to expiration at entry.
    pub dte: u32,
    /// Short-strike delta range (absolute deltas).
    pub short_delta: (Decimal, Decimal),
    /// Wing width in index points.
    pub wing_width: Decimal,
    /// Profit target as a return on risk, a fraction.
    pub target_return: Option<Decimal>,
    /// Take profit at this fraction of the credit.
    pub take_profit: Option<Decimal>,
    /// Close when this many days remain.
    pub exit_dte: Option<u32>,
    /// Days to wait after an exit before the next entry.
    pub reentry: u32,
}

/// How the ladder returns to step 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reset {
    /// Any win (pnl ≥ 0) returns to step 1.
    OnWin,
    /// A win returns to step 1 only once the cycle's P&L is ≥ 0.
    OnRecovery,
}

/// `round = nearest $100`
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rounding {
    /// Nearest or down.
    pub mode: RoundMode,
    /// The increment, > 0.
    pub increment: Decimal,
}

/// `sizing { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Sizing {
    /// Step 1's size.
    pub base: Amount,
    /// The step limit, ≥ 1.
    pub steps: u32,
    /// The multiplier into step k is `multipliers[k - 2]`; each > 1.
    pub multipliers: Vec<Decimal>,
    /// The reset policy.
    pub reset: Reset,
    /// Rounding of sizes, if declared.
    pub rounding: Option<Rounding>,
    /// The cap on one condor's size.
    pub layer_cap: Option<Amount>,
    /// The cap on a full cycle's cumulative risk.
    pub total_cap: Option<Amount>,
    /// Max loss at step k as a fraction of the credit is `max_loss[k - 1]`.
    pub max_loss: Vec<Decimal>,
}

/// `signal name = expr`
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    /// Its name.
    pub name: String,
    /// Whether it is a boolean (else a number).
    pub boolean: bool,
    /// Its definition, checked.
    pub expr: ast::Expr,
}

/// What a hedge layer buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Instrument {
    /// Long VIX calls.
    VixCalls,
    /// A VIX call spread.
    VixCallSpread,
    /// A VIX futures calendar spread.
    VixFuturesSpread,
    /// A volatility-ETF call spread (VXX, UVXY).
    EtfSpread,
}

impl Instrument {
    /// Every instrument with its word.
    pub const ALL: &'static [(&'static str, Instrument)] = &[
        ("vix_calls", Instrument::VixCalls),
        ("vix_call_spread", Instrument::VixCallSpread),
        ("vix_futures_spread", Instrument::VixFuturesSpread),
        ("etf_spread", Instrument::EtfSpread),
    ];

    /// The word used in strategy files.
    pub fn word(self) -> &'static str {
        Instrument::ALL
            .iter()
            .find(|(_, i)| *i == self)
            .map_or("?", |(w, _)| w)
    }
}

/// `hedge name { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Hedge {
    /// The layer's name.
    pub name: String,
    /// What it buys.
    pub instrument: Instrument,
    /// DTE range of what it buys.
    pub dte: (u32, u32),
    /// Its budget as a fraction of the condor's size.
    pub allocation: Decimal,
    /// The first step at which it is active.
    pub active_from: u32,
    /// The last step at which it is active (the step limit unless narrowed).
    pub active_to: u32,
    /// When it buys; `None` means whenever active.
    pub trigger: Option<ast::Expr>,
}

/// `roll { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Roll {
    /// The coefficient when no override applies.
    pub coefficient: Decimal,
    /// Conditional overrides, in the order they are tried.
    pub overrides: Vec<RollOverride>,
    /// The allowed range.
    pub clamp: Option<(Decimal, Decimal)>,
}

/// `coefficient = 0.45 when theta_press`
#[derive(Clone, Debug, PartialEq)]
pub struct RollOverride {
    /// The coefficient while the condition holds.
    pub coefficient: Decimal,
    /// The condition.
    pub when: ast::Expr,
    /// Its explicit order (1 first), if given.
    pub priority: Option<u32>,
}

/// One entry guard.
#[derive(Clone, Debug, PartialEq)]
pub enum Guard {
    /// `wacc_impact < 18bps`: the next hedge layer's incremental WACC impact limit.
    Wacc {
        /// The limit in basis points.
        max_bps: Decimal,
        /// The operator as written, `<` or `<=`: both mean the same (the
        /// limit is inclusive, to the cent); kept to show the guard as written.
        op: ast::BinOp,
    },
    /// `quick_ratio >= 1.4 under 3 sigma`
    QuickRatio {
        /// The floor.
        floor: Decimal,
        /// The stress in standard deviations.
        sigma: Decimal,
    },
    /// `no entry within 1d of FOMC, CPI, PPI`
    Blackout {
        /// Days before an event.
        days: u32,
        /// Event kinds.
        events: Vec<String>,
    },
    /// `exposure <= 25% of capital`
    Exposure {
        /// The maximum capital at risk.
        max: Amount,
    },
    /// Any other condition on market signals: entries only while it holds.
    Condition {
        /// The condition.
        expr: ast::Expr,
    },
}

/// `param name = value`
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: ast::Literal,
}
