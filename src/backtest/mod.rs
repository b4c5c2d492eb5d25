//! Backtests: the strategy replayed over real SPX/VIX history, with the sizing
//! engine, hedge layers, roll and guards in the loop.
//!
//! Every assumption is a field of [`Config`] (docs/backtest.md):
//!
//! - one condor at a time; the next is opened `reentry` days after the last
//!   closed, on the first bar with SPX and VIX; the trading days are the bars
//!   with a real SPX close: a bar whose SPX value is carried forward (a day in
//!   the VIX file only, such as a holiday VIX printed on) is skipped, with no
//!   entry, mark, exit or settlement;
//! - options expire on a trading day: the last bar with a real SPX close on
//!   or before entry + DTE (past the data's last SPX close, a weekend goes
//!   back to the Friday); priced with the days to that expiry, settled at
//!   its close; a condor that would expire on its entry day is skipped;
//! - SPX options priced with Black-Scholes at VIX/100 plus a skew (puts
//!   `put_skew` higher, calls `call_skew`), the risk-free rate of the account;
//!   short strikes at the middle of the strategy's delta range, on the 5-point
//!   grid, wings `wing_width` further out; credit from the four legs less
//!   slippage; multiplier 100; an `XSP` condor (the Mini-SPX index, a tenth
//!   of SPX, cash-settled and European too) is priced, marked and settled on
//!   SPX/10, its strikes on a 1-point grid, `wing_width` and the slippage in
//!   its points (the slippage a tenth of `slippage`, which is in SPX points);
//! - contracts = the engine's size ÷ the stop per contract (the step's max loss
//!   % × the credit), whole contracts, at most `u32::MAX` (a hedge layer's
//!   count too; the trade's max loss, costs and P&L are those of the count
//!   it holds); fewer than one skips the entry;
//! - marked to market at every close; exit at the profit target (`take_profit`
//!   of the credit, or `target_return` of the condor's margin risk, whichever is
//!   nearer), at the step's max loss, at `exit_dte`, or at expiry at intrinsic
//!   value (no exit costs: cash settlement); on the last day a condor still
//!   open closes at that day's mark, its hedges with it, as on any exit;
//! - hedge layers bought at entry when active and their trigger fires, each for
//!   its budget, priced with Black-76 on a VIX forward interpolated between VIX
//!   and VIX3M (VIX alone before VIX3M exists) at `vol_of_vol`; calls at
//!   `hedge_otm` × the forward; spreads (`vix_call_spread`, `vix_futures_spread`,
//!   `etf_spread`) as call spreads with the short leg `spread_width` × further;
//!   closed at their expiry (at intrinsic on spot VIX) or with the condor; one
//!   that would expire on its entry day is not bought; realized
//!   profit goes through the engine's roll into the next layer;
//! - commissions per contract per leg, slippage in index points per leg;
//! - prices are the model's `f64`; each becomes money where it is filled or
//!   marked, as one contract's dollars rounded to the cent ([`dollars`]), and
//!   every amount after it (P&L, costs, stops, targets, budgets, equity) is
//!   decimal.

pub mod chart;
pub mod pricing;
pub mod report;

use crate::compile::{Compiled, f64_of};
use crate::decision::{Decision, Event, Trigger};
use crate::eval::{ClosedTrade, Engine, EvalError, MarketValues};
use crate::market::Market;
use crate::model::{Instrument, Strategy};
use chrono::NaiveDate;
use pricing::{Right, black_scholes, black76, intrinsic, strike_for_delta};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use serde::Serialize;

/// The backtest's assumptions, each configurable.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// First date (inclusive).
    pub from: Option<NaiveDate>,
    /// Last date (inclusive).
    pub to: Option<NaiveDate>,
    /// Commission per contract per leg, in dollars.
    pub commission: Decimal,
    /// Slippage per leg, in index points.
    pub slippage: f64,
    /// Volatility added to VIX/100 for puts (skew).
    pub put_skew: f64,
    /// Volatility added to VIX/100 for calls (usually negative).
    pub call_skew: f64,
    /// Annualized volatility of VIX for Black-76.
    pub vol_of_vol: f64,
    /// Hedge call strike as a multiple of the VIX forward.
    pub hedge_otm: f64,
    /// Short strike of hedge spreads as a multiple of the long strike.
    pub spread_width: f64,
    /// SPX strike grid, in points (an XSP condor's is [`XSP_GRID`]).
    pub grid: f64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            from: None,
            to: None,
            commission: Decimal::new(65, 2),
            slippage: 0.05,
            put_skew: 0.04,
            call_skew: -0.02,
            vol_of_vol: 0.9,
            hedge_otm: 1.2,
            spread_width: 1.5,
            grid: 5.0,
        }
    }
}

/// XSP's strike grid, in XSP points: $1 strikes.
pub const XSP_GRID: f64 = 1.0;

/// The index a condor is traded on, as the backtest prices it from the SPX
/// closes: SPX itself, or XSP (the Mini-SPX index, SPX/10, $100 multiplier,
/// cash-settled European like SPX).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Index {
    /// The index's points per SPX point: 1 for SPX, 0.1 for XSP.
    scale: f64,
    /// Its strike grid, in its points.
    grid: f64,
}

impl Index {
    fn of(strategy: &Strategy, config: &Config) -> Index {
        if strategy.entry.underlying == "XSP" {
            Index {
                scale: 0.1,
                grid: XSP_GRID,
            }
        } else {
            Index {
                scale: 1.0,
                grid: config.grid,
            }
        }
    }

    /// The slippage per leg in the index's points (`slippage` is in SPX
    /// points).
    fn slippage(&self, c: &Config) -> f64 {
        c.slippage * self.scale
    }
}

/// Why a condor was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// The profit target.
    ProfitTarget,
    /// The step's max loss.
    MaxLoss,
    /// `exit_dte` days before expiry.
    ExitDte,
    /// Held to expiry, settled at intrinsic value.
    Expiry,
    /// The data ended with the condor open (closed at the last mark).
    EndOfData,
}

/// One hedge bought with a condor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HedgeTrade {
    /// The layer.
    pub layer: String,
    /// Contracts (VIX multiplier 100).
    pub contracts: u32,
    /// Long strike.
    pub strike: f64,
    /// Short strike of a spread.
    pub short_strike: Option<f64>,
    /// Expiry.
    pub expiry: NaiveDate,
    /// Premium paid, with costs.
    pub cost: Decimal,
    /// Realized P&L.
    pub pnl: Decimal,
}

/// One condor, entry to exit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trade {
    /// 1-based.
    pub number: usize,
    /// Entry date.
    pub entry: NaiveDate,
    /// Exit date.
    pub exit: NaiveDate,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// SPX at entry (SPX's close, also for an XSP condor, whose strikes
    /// are in XSP points, a tenth of it).
    pub spx_entry: f64,
    /// VIX at entry.
    pub vix_entry: f64,
    /// Long put strike, in the underlying's points (SPX or XSP).
    pub long_put: f64,
    /// Short put strike.
    pub short_put: f64,
    /// Short call strike.
    pub short_call: f64,
    /// Long call strike.
    pub long_call: f64,
    /// Credit per contract, in dollars, after slippage.
    pub credit: Decimal,
    /// Contracts.
    pub contracts: u32,
    /// The ladder's step.
    pub step: u32,
    /// The engine's size (risk budget).
    pub size: Decimal,
    /// The stop, in dollars for the position.
    pub max_loss: Decimal,
    /// Realized condor P&L, costs included.
    pub pnl: Decimal,
    /// Realized hedge P&L.
    pub hedge_pnl: Decimal,
    /// Why it closed.
    pub exit_reason: ExitReason,
    /// The hedges bought with it.
    pub hedges: Vec<HedgeTrade>,
}

/// The columns of the trades file `backtest --trades` writes, in order: a
/// trade's number, entry, exit (the day it closed), expiry, SPX and VIX at
/// entry, strikes, credit per contract, contracts, step, size, the
/// position's max loss, P&L and hedge P&L, and why it closed. The journal
/// reads such a file as a journal ([`crate::journal`]).
pub const TRADES_FILE_COLUMNS: [&str; 18] = [
    "trade",
    "entry",
    "exit",
    "expiry",
    "spx_entry",
    "vix_entry",
    "long_put",
    "short_put",
    "short_call",
    "long_call",
    "credit",
    "contracts",
    "step",
    "size",
    "max_loss",
    "pnl",
    "hedge_pnl",
    "exit_reason",
];

impl Trade {
    /// Whether it, or a hedge bought with it, holds `u32::MAX` contracts,
    /// the most a trade records: its size asked for more (sizes of
    /// trillions), and its max loss, costs and P&L are that count's.
    pub fn at_contract_limit(&self) -> bool {
        self.contracts == u32::MAX || self.hedges.iter().any(|h| h.contracts == u32::MAX)
    }
}

/// An entry that did not happen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skip {
    /// When.
    pub date: NaiveDate,
    /// Why, with the numbers.
    pub reason: String,
    /// Why, without them: what the report counts skips by.
    pub kind: SkipKind,
}

/// The kind of reason an entry was skipped for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipKind {
    /// Guards blocked it, as written (one, or several at once).
    Blocked(Vec<String>),
    /// The engine's size is below one contract's max loss.
    BelowOneContract,
    /// The four legs give no credit.
    NoCredit,
    /// The condor would expire past the last date there is.
    ExpiresPastData,
    /// The condor would expire on its entry day.
    ExpiresOnEntryDay,
    /// A hedge layer's would expire past the last date there is.
    HedgeExpiresPastData(String),
}

impl SkipKind {
    /// The kind in words, as the report shows it.
    pub fn label(&self) -> String {
        match self {
            SkipKind::Blocked(guards) => match guards.as_slice() {
                [one] => format!("blocked by guard `{one}`"),
                many => format!("blocked by guards `{}`", many.join("`, `")),
            },
            SkipKind::BelowOneContract => "size below one contract's max loss".into(),
            SkipKind::NoCredit => "no credit".into(),
            SkipKind::ExpiresPastData => "would expire past the data".into(),
            SkipKind::ExpiresOnEntryDay => "would expire on its entry day".into(),
            SkipKind::HedgeExpiresPastData(layer) => {
                format!("hedge `{layer}` would expire past the data")
            }
        }
    }
}

/// A guard that could not say at some entries the backtest took (a calendar
/// that does not cover the date, a signal still warming up): the entry went
/// ahead, unguarded by it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownGuard {
    /// The guard, as written.
    pub guard: String,
    /// Entries taken while it was unknown.
    pub entries: usize,
}

/// How near a guard with a number for its limit (`wacc_impact`,
/// `quick_ratio`, `exposure`) came to it over the backtest's entry
/// decisions: a guard that never comes near its limit guards nothing in this
/// history, which the report says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuardMargin {
    /// The guard, as written.
    pub guard: String,
    /// `wacc_impact`, `quick_ratio` or `exposure`.
    pub kind: &'static str,
    /// Entry decisions that judged it (passed, capped or blocked).
    pub judged: usize,
    /// Of those, the ones where it capped the hedges.
    pub capped: usize,
    /// Of those, the ones where it blocked the entry.
    pub blocked: usize,
    /// Its value nearest its limit, or past it: the highest WACC impact
    /// (bps) or exposure ($), the lowest stressed quick ratio (`None` when
    /// never judged).
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub closest: Option<Decimal>,
    /// The first decision's day with that value.
    pub closest_on: Option<NaiveDate>,
    /// The limit.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub limit: Option<Decimal>,
}

/// Adds a decision's numeric guards to `margins` (one entry a guard, in the
/// order first seen).
fn note_guard_margins(margins: &mut Vec<GuardMargin>, decision: &Decision, date: NaiveDate) {
    use crate::decision::{GuardKind, GuardVerdict};
    for g in &decision.guards {
        let highest = match g.kind {
            GuardKind::WaccImpact | GuardKind::Exposure => true,
            GuardKind::QuickRatio => false,
            GuardKind::Blackout | GuardKind::Condition => continue,
        };
        let (value, limit, capped, blocked) = match &g.outcome {
            GuardVerdict::Pass { value, limit, .. } => (*value, *limit, false, false),
            GuardVerdict::Capped { value, limit, .. } => (*value, Some(*limit), true, false),
            GuardVerdict::Blocked { value, limit, .. } => (*value, *limit, false, true),
            GuardVerdict::Unknown { .. } => continue,
        };
        let i = match margins.iter().position(|m| *m.guard == *g.guard) {
            Some(i) => i,
            None => {
                margins.push(GuardMargin {
                    guard: g.guard.to_string(),
                    kind: g.kind.word(),
                    judged: 0,
                    capped: 0,
                    blocked: 0,
                    closest: None,
                    closest_on: None,
                    limit: None,
                });
                margins.len() - 1
            }
        };
        let Some(m) = margins.get_mut(i) else {
            continue;
        };
        m.judged += 1;
        m.capped += usize::from(capped);
        m.blocked += usize::from(blocked);
        m.limit = m.limit.or(limit);
        if let Some(v) = value
            && m.closest
                .is_none_or(|c| if highest { v > c } else { v < c })
        {
            m.closest = Some(v);
            m.closest_on = Some(date);
        }
    }
}

/// The bits of the layers `fired` (the 64th and after share the last bit).
fn fired_bits(fired: impl Iterator<Item = usize>) -> u64 {
    fired.fold(0, |bits, i| bits | 1u64 << i.min(63))
}

/// One market day of the backtest.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Day {
    /// The date.
    pub date: NaiveDate,
    /// Equity marked to market.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub equity: Decimal,
    /// Equity of closed trades only.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub closed_equity: Decimal,
    /// The open condor's step (0 when flat).
    pub step: u32,
    /// VIX close.
    pub vix: f64,
    /// Whether a hedge layer's trigger fired this day.
    pub hedge_signal: bool,
    /// Which: bit `i` for the strategy's layer `i` (the 64th layer's and
    /// those after it are not told apart), for the chart's markers.
    #[serde(skip)]
    pub hedges_fired: u64,
    /// Capital at risk: the open condor's stop plus the hedges' premium.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub at_risk: Decimal,
}

/// A backtest's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    /// The assumptions.
    pub config: Config,
    /// Every condor.
    pub trades: Vec<Trade>,
    /// Entries skipped, with reasons.
    pub skips: Vec<Skip>,
    /// Entries taken with at least one guard unknown.
    pub entries_with_unknown_guard: usize,
    /// Each guard that was unknown at an entry taken, in the file's order.
    pub unknown_guards: Vec<UnknownGuard>,
    /// How near each guard with a numeric limit came to it.
    pub guard_margins: Vec<GuardMargin>,
    /// Every market day.
    pub days: Vec<Day>,
    /// The hedge layers' names, in the strategy's order (the bits of
    /// [`Day::hedges_fired`]).
    #[serde(skip)]
    pub hedge_layers: Vec<String>,
    /// The engine's decision after each trade (0: before any).
    #[serde(skip)]
    pub decisions: Vec<Decision>,
}

/// What can stop a backtest.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// The market has no SPX series (or no VIX).
    #[error("the market data has no `{0}` series; a backtest needs SPX and VIX")]
    MissingSeries(&'static str),
    /// No day with both SPX and VIX in the requested range: its first and
    /// last dates (or the start and the end of the data), and the span of
    /// the days that have both.
    #[error("no market data with both SPX and VIX between {0} and {1}{2}")]
    EmptyRange(String, String, String),
    /// The engine failed.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// The equity went past a decimal's range: `on 2020-01-24: amount
    /// overflows ...` (a capital near the largest decimal).
    #[error("on {date}: {source}")]
    Overflow {
        /// The day.
        date: NaiveDate,
        /// The overflow.
        source: crate::money::Overflow,
    },
}

/// `equity` plus a closed condor's P&L and its hedges', or the day's
/// overflow.
fn book(equity: Decimal, t: &Trade, date: NaiveDate) -> Result<Decimal, BacktestError> {
    crate::money::add(t.pnl, t.hedge_pnl)
        .and_then(|p| crate::money::add(equity, p))
        .map_err(|source| BacktestError::Overflow { date, source })
}

struct OpenHedge {
    trade: HedgeTrade,
    /// Settled at its expiry or closed with the condor: its P&L is booked
    /// (it may be exactly $0).
    settled: bool,
}

struct Open {
    trade: Trade,
    /// The index traded (SPX or XSP).
    index: Index,
    /// Profit target for the position, dollars (`None`: none).
    target: Option<Decimal>,
    /// Stop for the position, dollars.
    stop: Decimal,
    /// Entry costs, dollars.
    entry_costs: Decimal,
    hedges: Vec<OpenHedge>,
    hedge_realized: Decimal,
}

/// A price the model gives in the index's points per share (`f64`, as
/// prices may be) as money: the dollars of one contract (× 100), rounded
/// to the cent, half away from zero. Every fill and mark becomes money
/// here, once per contract; all the money after it is decimal, so a trade's
/// P&L is exactly its credit less its exit, times its contracts, less its
/// commissions. The model's prices are finite (bounded by the wing width,
/// the VIX forward or an intrinsic value); one that is not is $0.
fn dollars(points: f64) -> Decimal {
    let cents = (points * 10_000.0).round();
    if cents.is_finite() && cents.abs() < 1e18 {
        Decimal::new(cents as i64, 2)
    } else {
        Decimal::from_f64(points * 100.0)
            .unwrap_or_default()
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    }
}

/// An exact amount (a stop: a percentage of a credit, times contracts) to
/// the cent, half away from zero, as every amount vixshield shows.
fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// `a × b + c`, saturating: for amounts bounded by the engine's size (a
/// stop, a target, a position's costs), which cannot reach a decimal's
/// range unless the size does.
fn mul_add(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    a.saturating_mul(b).saturating_add(c)
}

/// The whole number of `unit`s in `amount`, at most `u32::MAX` (a
/// quotient past a decimal's range, or a unit of $0, is that cap).
fn whole(amount: Decimal, unit: Decimal) -> u32 {
    amount.checked_div(unit).map_or(u32::MAX, |q| {
        q.floor().min(Decimal::from(u32::MAX)).to_u32().unwrap_or(0)
    })
}

/// The VIX forward for `days` ahead: VIX interpolated towards VIX3M (93 days), VIX alone when VIX3M is missing.
fn vix_forward(vix: f64, vix3m: Option<f64>, days: f64) -> f64 {
    match vix3m {
        Some(v3) => vix + (v3 - vix) * (days / 93.0).clamp(0.0, 1.0),
        None => vix,
    }
}

/// An open condor marked at a close.
struct Mark {
    /// The condor's P&L if closed at this close, costs included (no exit
    /// costs at expiry: cash settlement).
    pnl: Decimal,
    /// The open hedges' value less their cost.
    hedges_open: Decimal,
    /// Calendar days to the condor's expiry.
    days_left: i64,
}

impl Open {
    /// Marks the condor and its hedges at `date`'s close (SPX `s`, VIX `v`,
    /// VIX3M `v3`), settling on spot VIX the hedges that expire then.
    fn mark(
        &mut self,
        date: NaiveDate,
        s: f64,
        v: f64,
        v3: Option<f64>,
        r: f64,
        config: &Config,
    ) -> Result<Mark, crate::money::Overflow> {
        use crate::money::{add, mul, sub};
        let days_left = (self.trade.expiry - date).num_days();
        let t = days_left.max(0) as f64 / 365.0;
        // The index the condor trades on: SPX, or XSP at SPX/10.
        let s = s * self.index.scale;
        let contracts = Decimal::from(self.trade.contracts);
        // Hedges reaching their own expiry are settled on spot VIX.
        for h in self
            .hedges
            .iter_mut()
            .filter(|h| h.trade.expiry <= date && !h.settled)
        {
            let payoff = intrinsic(Right::Call, v, h.trade.strike)
                - h.trade
                    .short_strike
                    .map_or(0.0, |k| intrinsic(Right::Call, v, k));
            let pnl = sub(
                mul(dollars(payoff), Decimal::from(h.trade.contracts))?,
                h.trade.cost,
            )?;
            h.trade.pnl = pnl;
            h.settled = true;
            self.hedge_realized = add(self.hedge_realized, pnl)?;
        }
        let mut hedges_open = Decimal::ZERO;
        for h in self.hedges.iter().filter(|h| h.trade.expiry > date) {
            let value = mul(
                dollars(hedge_value(h, v, v3, date, r, config)),
                Decimal::from(h.trade.contracts),
            )?;
            hedges_open = add(hedges_open, sub(value, h.trade.cost)?)?;
        }
        let expired = days_left <= 0;
        let exit_value = dollars(if expired {
            self.legs()
                .iter()
                .map(|(right, k, sign)| -sign * intrinsic(*right, s, *k))
                .sum::<f64>()
        } else {
            self.value(s, v, t, r, config)
        });
        // Per contract: four legs' commissions and slippage.
        let exit_costs = if expired {
            Decimal::ZERO
        } else {
            add(
                mul(Decimal::from(4), config.commission)?,
                dollars(4.0 * self.index.slippage(config)),
            )?
        };
        let per_contract = sub(sub(self.trade.credit, exit_value)?, exit_costs)?;
        Ok(Mark {
            pnl: sub(mul(per_contract, contracts)?, self.entry_costs)?,
            hedges_open,
            days_left,
        })
    }

    fn legs(&self) -> [(Right, f64, f64); 4] {
        let t = &self.trade;
        [
            (Right::Put, t.long_put, 1.0),
            (Right::Put, t.short_put, -1.0),
            (Right::Call, t.short_call, -1.0),
            (Right::Call, t.long_call, 1.0),
        ]
    }

    /// Cost to close the condor (points per share), before slippage.
    fn value(&self, s: f64, vix: f64, t: f64, r: f64, c: &Config) -> f64 {
        let vol = vix / 100.0;
        self.legs()
            .iter()
            .map(|(right, k, sign)| {
                let v = match right {
                    Right::Put => (vol + c.put_skew).max(0.01),
                    Right::Call => (vol + c.call_skew).max(0.01),
                };
                -sign * black_scholes(*right, s, *k, t, r, v)
            })
            .sum()
    }
}

fn hedge_value(
    h: &OpenHedge,
    vix: f64,
    vix3m: Option<f64>,
    date: NaiveDate,
    r: f64,
    c: &Config,
) -> f64 {
    let days = (h.trade.expiry - date).num_days().max(0) as f64;
    let fwd = vix_forward(vix, vix3m, days);
    let t = days / 365.0;
    let long = black76(Right::Call, fwd, h.trade.strike, t, r, c.vol_of_vol);
    let short = h
        .trade
        .short_strike
        .map_or(0.0, |k| black76(Right::Call, fwd, k, t, r, c.vol_of_vol));
    long - short
}

/// Whether bar `i` holds a real SPX close: known and not carried forward.
fn real_spx_close(spx: &crate::market::AlignedSeries, i: usize) -> bool {
    spx.get(i).is_some_and(f64::is_finite) && !spx.is_carried(i)
}

/// The SPX trading days of the data (the bars with a real SPX close), which
/// options expire on.
struct TradingDays<'a> {
    dates: &'a [NaiveDate],
    spx: &'a crate::market::AlignedSeries,
    /// The last of them.
    last: Option<NaiveDate>,
}

impl<'a> TradingDays<'a> {
    fn new(dates: &'a [NaiveDate], spx: &'a crate::market::AlignedSeries) -> TradingDays<'a> {
        let last = (0..dates.len())
            .rev()
            .find(|&i| real_spx_close(spx, i))
            .and_then(|i| dates.get(i).copied());
        TradingDays { dates, spx, last }
    }

    /// The expiry of an option bought on `from` (a trading day) for `days`
    /// calendar days: the last trading day on or before `from` + `days`.
    /// Past the data's last SPX close, where the trading days are not known,
    /// a Saturday or a Sunday goes back to the Friday before. `None` when
    /// `from` + `days` lies past the last date there is.
    fn expiry(&self, from: NaiveDate, days: u64) -> Option<NaiveDate> {
        use chrono::Datelike;
        let nominal = from.checked_add_days(chrono::Days::new(days))?;
        if self.last.is_some_and(|last| nominal <= last) {
            let end = self.dates.partition_point(|d| *d <= nominal);
            let day = (0..end)
                .rev()
                .find(|&i| real_spx_close(self.spx, i))
                .and_then(|i| self.dates.get(i).copied());
            if let Some(day) = day {
                return Some(day.max(from));
            }
        }
        let back = match nominal.weekday() {
            chrono::Weekday::Sat => 1,
            chrono::Weekday::Sun => 2,
            _ => 0,
        };
        Some(
            nominal
                .checked_sub_days(chrono::Days::new(back))
                .unwrap_or(nominal)
                .max(from),
        )
    }
}

/// `date` plus `days`, or the last date there is when that lies beyond it:
/// a wait past the end of the calendar never ends (checked arithmetic, so a
/// strategy built by hand with any day count cannot panic here).
fn days_after(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(chrono::Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The bars a backtest over `config.from..=config.to` trades on (a real SPX
/// close and VIX known), or the error `run` gives when there are none (or no
/// SPX or VIX series). It does not depend on the strategy: a sweep says it
/// once before running any variant.
///
/// A bar whose SPX value is carried forward (a day in the VIX file only,
/// such as the holidays VIX prints on from 2022) is no SPX trading day:
/// nothing is entered, marked, exited or settled on it.
pub fn tradeable_bars(market: &Market, config: &Config) -> Result<Vec<usize>, BacktestError> {
    let spx = market
        .get("spx")
        .ok_or(BacktestError::MissingSeries("spx"))?;
    let vix = market
        .get("vix")
        .ok_or(BacktestError::MissingSeries("vix"))?
        .close();
    let dates = market.dates();
    let in_range =
        |d: &NaiveDate| config.from.is_none_or(|f| *d >= f) && config.to.is_none_or(|t| *d <= t);
    // The days a condor can be marked or traded: a real SPX close (not
    // carried) and VIX known.
    let tradeable =
        |i: &usize| real_spx_close(spx, *i) && vix.get(*i).is_some_and(|x| x.is_finite());
    let bars: Vec<usize> = (0..dates.len())
        .filter(|&i| dates.get(i).is_some_and(in_range) && tradeable(&i))
        .collect();
    if bars.is_empty() {
        let show = |d: Option<NaiveDate>, or: &str| d.map_or(or.to_string(), |d| d.to_string());
        let first = (0..dates.len()).find(tradeable).and_then(|i| dates.get(i));
        let last = (0..dates.len())
            .rev()
            .find(tradeable)
            .and_then(|i| dates.get(i));
        let span = match (first, last) {
            (Some(a), Some(b)) => format!(" (the data has both from {a} to {b})"),
            _ => " (the data has no day with both)".to_string(),
        };
        return Err(BacktestError::EmptyRange(
            show(config.from, "the start of the data"),
            show(config.to, "the end of the data"),
            span,
        ));
    }
    Ok(bars)
}

/// Runs the backtest.
pub fn run(
    strategy: &Strategy,
    compiled: &Compiled,
    market: &Market,
    values: &MarketValues,
    config: &Config,
    mut progress: impl FnMut(usize, usize),
) -> Result<Backtest, BacktestError> {
    let spx_series = market
        .get("spx")
        .ok_or(BacktestError::MissingSeries("spx"))?;
    let spx = spx_series.close();
    let vix = market
        .get("vix")
        .ok_or(BacktestError::MissingSeries("vix"))?
        .close();
    let vix3m = market.get("vix3m").map(|s| s.close());
    let dates = market.dates();
    let bars = tradeable_bars(market, config)?;
    let trading = TradingDays::new(dates, spx_series);
    let r = strategy.account.risk_free_rate.map_or(0.0, f64_of);
    let entry = &strategy.entry;
    let delta = f64_of((entry.short_delta.0 + entry.short_delta.1) / Decimal::TWO);
    let width = f64_of(entry.wing_width);
    let mut engine = Engine::new(strategy, compiled, Some(values));
    let mut decisions = vec![engine.decide(None)?];
    let mut trades = Vec::new();
    let mut skips = Vec::new();
    let mut guard_margins = Vec::new();
    let mut entries_with_unknown_guard = 0;
    let mut unknown_guards: Vec<UnknownGuard> = Vec::new();
    let mut days = Vec::with_capacity(bars.len());
    let mut open: Option<Open> = None;
    let mut next_entry: Option<NaiveDate> = None;
    let mut closed_equity = strategy.account.capital;
    let total = bars.len();
    // The last day marked: its date, SPX, VIX and VIX3M.
    let mut last_close: Option<(NaiveDate, f64, f64, Option<f64>)> = None;
    // The last bar with both SPX and VIX: nothing enters there, since a
    // condor entered on it could only be closed at once, at the mark it was
    // entered at, a round trip of costs that no one would trade.
    let last_tradeable = bars.iter().rposition(|&i| {
        dates.get(i).is_some()
            && spx.get(i).is_some_and(|x| x.is_finite())
            && vix.get(i).is_some_and(|x| x.is_finite())
    });
    // The market conditions of the hedge triggers, each with its layer's
    // index, for the chart's markers.
    let conditions: Vec<(usize, crate::graph::NodeId)> = compiled
        .ids
        .triggers
        .iter()
        .filter_map(|t| match compiled.graph.node(*t) {
            Some(crate::graph::Node::Trigger {
                layer,
                condition: Some(c),
            }) => Some((*layer, *c)),
            _ => None,
        })
        .collect();
    for (n, &i) in bars.iter().enumerate() {
        if n % 256 == 0 {
            progress(n, total);
        }
        let Some(&date) = dates.get(i) else { continue };
        let s = spx.get(i).copied().filter(|x| x.is_finite());
        let v = vix.get(i).copied().filter(|x| x.is_finite());
        let v3 = vix3m
            .and_then(|c| c.get(i).copied())
            .filter(|x| x.is_finite());
        let (Some(s), Some(v)) = (s, v) else {
            // No SPX (before 2000 or after its last date): nothing to mark or trade.
            continue;
        };
        last_close = Some((date, s, v, v3));
        // Mark and maybe close the open condor.
        let overflow = |source| BacktestError::Overflow { date, source };
        let mut unrealized = Decimal::ZERO;
        let mut at_risk = Decimal::ZERO;
        if let Some(o) = open.as_mut() {
            let Mark {
                pnl,
                hedges_open,
                days_left,
            } = o.mark(date, s, v, v3, r, config).map_err(overflow)?;
            let reason = if days_left <= 0 {
                Some(ExitReason::Expiry)
            } else if o.target.is_some_and(|target| pnl >= target) {
                Some(ExitReason::ProfitTarget)
            } else if pnl <= -o.stop {
                Some(ExitReason::MaxLoss)
            } else if entry.exit_dte.is_some_and(|e| days_left <= i64::from(e)) {
                Some(ExitReason::ExitDte)
            } else if n + 1 == total {
                // The last day: closed at this mark, its hedges with it, as
                // on any other exit.
                Some(ExitReason::EndOfData)
            } else {
                None
            };
            if let Some(reason) = reason {
                close(o, date, pnl, reason, v, v3, r, config).map_err(overflow)?;
                let o = open.take().map(|o| o.trade);
                if let Some(t) = o {
                    closed_equity = book(closed_equity, &t, date)?;
                    engine.apply(&ClosedTrade {
                        date,
                        pnl: t.pnl,
                        credit: Some(t.credit * Decimal::from(t.contracts)),
                        hedge_pnl: Some(t.hedge_pnl),
                    })?;
                    decisions.push(engine.decide(None)?);
                    next_entry = Some(days_after(date, entry.reentry));
                    trades.push(t);
                }
            } else {
                unrealized = crate::money::add(pnl, hedges_open)
                    .and_then(|u| crate::money::add(u, o.hedge_realized))
                    .map_err(overflow)?;
                at_risk = o.at_risk();
            }
        }
        // Enter when flat.
        let hedges_fired: u64;
        if open.is_none() && next_entry.is_none_or(|d| date >= d) && Some(n) != last_tradeable {
            engine.set_as_of(Some(date));
            let decision = engine.next_decision(None)?;
            note_guard_margins(&mut guard_margins, decision, date);
            hedges_fired = fired_bits(
                decision
                    .hedges
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.trigger == Trigger::Fired)
                    .map(|(i, _)| i),
            );
            if decision.blocked {
                let blocking: Vec<String> = decision
                    .guards
                    .iter()
                    .filter(|g| matches!(g.outcome, crate::decision::GuardVerdict::Blocked { .. }))
                    .map(|g| g.guard.to_string())
                    .collect();
                let why: Vec<String> = blocking
                    .iter()
                    .map(|g| format!("guard `{g}` blocks the entry"))
                    .collect();
                skips.push(Skip {
                    date,
                    reason: why.join("; "),
                    kind: SkipKind::Blocked(blocking),
                });
                next_entry = Some(days_after(date, 1));
                days.push(Day {
                    date,
                    equity: closed_equity,
                    closed_equity,
                    step: 0,
                    vix: v,
                    hedge_signal: hedges_fired != 0,
                    hedges_fired,
                    at_risk: Decimal::ZERO,
                });
                continue;
            }
            let unknown: Vec<std::sync::Arc<str>> = decision
                .guards
                .iter()
                .filter(|g| matches!(g.outcome, crate::decision::GuardVerdict::Unknown { .. }))
                .map(|g| g.guard.clone())
                .collect();
            match enter(
                strategy,
                config,
                &trading,
                decision,
                date,
                s,
                v,
                v3,
                r,
                delta,
                width,
                trades.len() + 1,
            ) {
                Ok(o) => {
                    at_risk = o.at_risk();
                    open = Some(o);
                    if !unknown.is_empty() {
                        entries_with_unknown_guard += 1;
                    }
                    for guard in unknown {
                        match unknown_guards
                            .iter_mut()
                            .find(|u: &&mut UnknownGuard| *u.guard == *guard)
                        {
                            Some(u) => u.entries += 1,
                            None => unknown_guards.push(UnknownGuard {
                                guard: guard.to_string(),
                                entries: 1,
                            }),
                        }
                    }
                }
                Err((kind, reason)) => {
                    skips.push(Skip { date, reason, kind });
                    next_entry = Some(days_after(date, 1));
                }
            }
        } else {
            hedges_fired = fired_bits(
                conditions
                    .iter()
                    .filter(|(_, c)| values.bool_at(*c, Some(i)) == Some(true))
                    .map(|(layer, _)| *layer),
            );
        }
        let equity = crate::money::add(closed_equity, unrealized).map_err(overflow)?;
        days.push(Day {
            date,
            equity,
            closed_equity,
            step: open.as_ref().map_or(0, |o| o.trade.step),
            vix: v,
            hedge_signal: hedges_fired != 0,
            hedges_fired,
            at_risk: cents(at_risk),
        });
    }
    // A condor still open after the last bar (the bars after the last SPX
    // close have none to mark it at) closes at the last day's mark, its
    // hedges with it, as on any exit.
    if let (Some(mut o), Some((date, s, v, v3))) = (open.take(), last_close) {
        let overflow = |source| BacktestError::Overflow { date, source };
        let m = o.mark(date, s, v, v3, r, config).map_err(overflow)?;
        let reason = if m.days_left <= 0 {
            ExitReason::Expiry
        } else {
            ExitReason::EndOfData
        };
        close(&mut o, date, m.pnl, reason, v, v3, r, config).map_err(overflow)?;
        let t = o.trade;
        closed_equity = book(closed_equity, &t, date)?;
        engine.apply(&ClosedTrade {
            date,
            pnl: t.pnl,
            credit: Some(t.credit * Decimal::from(t.contracts)),
            hedge_pnl: Some(t.hedge_pnl),
        })?;
        decisions.push(engine.decide(None)?);
        trades.push(t);
        // The day's equity is then the closed equity, as on any exit day.
        if let Some(day) = days.last_mut() {
            day.equity = closed_equity;
            day.closed_equity = closed_equity;
        }
    }
    progress(total, total);
    Ok(Backtest {
        config: config.clone(),
        trades,
        skips,
        entries_with_unknown_guard,
        unknown_guards,
        guard_margins,
        days,
        hedge_layers: strategy.hedges.iter().map(|h| h.name.clone()).collect(),
        decisions,
    })
}

#[allow(clippy::too_many_arguments)]
fn close(
    o: &mut Open,
    date: NaiveDate,
    pnl: Decimal,
    reason: ExitReason,
    v: f64,
    v3: Option<f64>,
    r: f64,
    c: &Config,
) -> Result<(), crate::money::Overflow> {
    use crate::money::{add, mul, sub};
    for h in o
        .hedges
        .iter_mut()
        .filter(|h| !h.settled && h.trade.expiry > date)
    {
        let k = Decimal::from(h.trade.contracts);
        let legs = Decimal::from(if h.trade.short_strike.is_some() { 2 } else { 1 });
        let costs = mul(mul(k, c.commission)?, legs)?;
        let value = mul(dollars(hedge_value(h, v, v3, date, r, c)), k)?;
        let p = sub(sub(value, h.trade.cost)?, costs)?;
        h.trade.pnl = p;
        h.settled = true;
        o.hedge_realized = add(o.hedge_realized, p)?;
    }
    o.trade.exit = date;
    o.trade.pnl = pnl;
    o.trade.hedge_pnl = o.hedge_realized;
    o.trade.exit_reason = reason;
    o.trade.hedges = o.hedges.iter().map(|h| h.trade.clone()).collect();
    Ok(())
}

impl Open {
    /// Capital at risk: the stop plus the hedges' premium.
    fn at_risk(&self) -> Decimal {
        self.hedges
            .iter()
            .fold(self.stop, |sum, h| sum.saturating_add(h.trade.cost))
    }
}

#[allow(clippy::too_many_arguments)]
fn enter(
    strategy: &Strategy,
    c: &Config,
    trading: &TradingDays<'_>,
    d: &Decision,
    date: NaiveDate,
    s: f64,
    v: f64,
    v3: Option<f64>,
    r: f64,
    delta: f64,
    width: f64,
    number: usize,
) -> Result<Open, (SkipKind, String)> {
    let e = &strategy.entry;
    let index = Index::of(strategy, c);
    let Some(expiry) = trading.expiry(date, u64::from(e.dte)) else {
        return Err((
            SkipKind::ExpiresPastData,
            format!(
                "a {}d condor entered on {date} would expire past the last date there is",
                e.dte
            ),
        ));
    };
    // One that would expire on its entry day (a short `dte` over a weekend
    // or a holiday: a 1d condor entered on a Friday) has no time left: it
    // was priced at its intrinsic value and skipped for want of a credit.
    if expiry <= date {
        return Err((
            SkipKind::ExpiresOnEntryDay,
            format!(
                "a {}d condor entered on {date} would expire on its entry day",
                e.dte
            ),
        ));
    }
    // Priced with the days to the expiry it really has.
    let t = (expiry - date).num_days() as f64 / 365.0;
    let vol = v / 100.0;
    let (vp, vc) = ((vol + c.put_skew).max(0.01), (vol + c.call_skew).max(0.01));
    // The index traded: SPX, or XSP at SPX/10 on its own grid.
    let x = s * index.scale;
    let short_put = strike_for_delta(Right::Put, delta, x, t, r, vp, index.grid);
    let short_call = strike_for_delta(Right::Call, delta, x, t, r, vc, index.grid);
    let (long_put, long_call) = (short_put - width, short_call + width);
    let credit_pts = black_scholes(Right::Put, x, short_put, t, r, vp)
        - black_scholes(Right::Put, x, long_put, t, r, vp)
        + black_scholes(Right::Call, x, short_call, t, r, vc)
        - black_scholes(Right::Call, x, long_call, t, r, vc)
        - 4.0 * index.slippage(c);
    // Per contract, in dollars: under half a cent is no credit.
    let credit = dollars(credit_pts);
    if credit <= Decimal::ZERO || !credit_pts.is_finite() {
        return Err((
            SkipKind::NoCredit,
            format!(
                "no credit for a {delta:.2}-delta condor at {} {x:.2}, VIX {v:.2}",
                e.underlying
            ),
        ));
    }
    // Exact: the step's fraction of the credit (a max loss of 0% is a stop
    // of $0, and as many contracts as can be counted).
    let stop_per = d.max_loss_pct.saturating_mul(credit);
    // At most `u32::MAX` contracts, the count the trade records: its max
    // loss, costs and P&L are all that count's (a size of trillions once
    // recorded `u32::MAX` contracts with the max loss of all it wanted).
    let n = whole(d.size, stop_per);
    if n < 1 {
        return Err((
            SkipKind::BelowOneContract,
            format!(
                "size {} is below one contract's max loss {} ({} of a {} credit)",
                crate::money::fmt_money(d.size),
                crate::money::fmt_money(stop_per),
                crate::money::fmt_percent(d.max_loss_pct),
                crate::money::fmt_money(credit)
            ),
        ));
    }
    let cn = Decimal::from(n);
    let entry_costs = mul_add(
        cn,
        Decimal::from(4).saturating_mul(c.commission),
        Decimal::ZERO,
    );
    // The margin at risk: the wing width less the credit, per contract.
    let risk = mul_add(
        e.wing_width
            .saturating_mul(Decimal::ONE_HUNDRED)
            .saturating_sub(credit),
        cn,
        Decimal::ZERO,
    );
    let target = [
        e.take_profit
            .map(|tp| mul_add(tp.saturating_mul(credit), cn, Decimal::ZERO)),
        e.target_return.map(|tr| mul_add(tr, risk, Decimal::ZERO)),
    ]
    .into_iter()
    .flatten()
    .min();
    let mut hedges = Vec::new();
    for (h, hd) in strategy.hedges.iter().zip(&d.hedges) {
        if !hd.active
            || !matches!(hd.trigger, Trigger::Fired | Trigger::Always)
            || hd.budget <= Decimal::ZERO
        {
            continue;
        }
        // In f64: two DTEs near `u32::MAX` would overflow a `u32` sum.
        let nominal = (f64::from(h.dte.0) + f64::from(h.dte.1)) / 2.0;
        let Some(hedge_expiry) = trading.expiry(date, nominal.round() as u64) else {
            return Err((
                SkipKind::HedgeExpiresPastData(h.name.clone()),
                format!(
                    "hedge `{}` bought on {date} would expire past the last date there is",
                    h.name
                ),
            ));
        };
        // One that would expire on its entry day (a short `dte` over a
        // weekend or a holiday: a 1d layer bought on a Friday) has no time
        // left and is not bought. It was bought at its intrinsic value, by
        // the budget's worth of commissions, and settled at the next
        // trading day's VIX, after its expiry.
        if hedge_expiry <= date {
            continue;
        }
        // Priced with the days to the expiry it really has.
        let days = (hedge_expiry - date).num_days() as f64;
        let fwd = vix_forward(v, v3, days);
        let strike = (fwd * c.hedge_otm).round();
        // VIX strikes are whole points: the short leg at least one above the
        // long, so that a width near 1 never rounds to a spread of nothing.
        let short_strike = (h.instrument != Instrument::VixCalls)
            .then(|| (strike * c.spread_width).round().max(strike + 1.0));
        let th = days / 365.0;
        let premium = black76(Right::Call, fwd, strike, th, r, c.vol_of_vol)
            - short_strike.map_or(0.0, |k| black76(Right::Call, fwd, k, th, r, c.vol_of_vol));
        // One contract: its premium and a commission per leg.
        let legs = Decimal::from(if short_strike.is_some() { 2 } else { 1 });
        let unit = mul_add(c.commission, legs, dollars(premium));
        if unit <= Decimal::ZERO {
            continue;
        }
        // At most `u32::MAX`, as the condor's count: the cost is what it holds.
        let k = whole(hd.budget, unit);
        if k < 1 {
            continue;
        }
        hedges.push(OpenHedge {
            trade: HedgeTrade {
                layer: h.name.clone(),
                contracts: k,
                strike,
                short_strike,
                expiry: hedge_expiry,
                cost: mul_add(unit, Decimal::from(k), Decimal::ZERO),
                pnl: Decimal::ZERO,
            },
            settled: false,
        });
    }
    Ok(Open {
        trade: Trade {
            number,
            entry: date,
            exit: date,
            expiry,
            spx_entry: s,
            vix_entry: v,
            long_put,
            short_put,
            short_call,
            long_call,
            credit,
            contracts: n,
            step: d.step,
            size: d.size,
            max_loss: cents(mul_add(stop_per, cn, Decimal::ZERO)),
            pnl: Decimal::ZERO,
            hedge_pnl: Decimal::ZERO,
            exit_reason: ExitReason::EndOfData,
            hedges: Vec::new(),
        },
        index,
        target,
        stop: mul_add(stop_per, cn, Decimal::ZERO),
        entry_costs,
        hedges,
        hedge_realized: Decimal::ZERO,
    })
}

/// The cycles of a backtest, from the engine's decisions.
pub fn cycles(bt: &Backtest) -> Vec<report::CycleRow> {
    crate::decision::cycles(&bt.decisions, bt.trades.len())
        .into_iter()
        .filter_map(|c| {
            let slice = bt.trades.get(c.trades)?;
            let (first, last) = (slice.first()?, slice.last()?);
            Some(report::CycleRow {
                start: first.entry,
                end: last.exit,
                trades: slice.len(),
                max_step: slice.iter().map(|x| x.step).max().unwrap_or(1),
                trough: crate::decision::trough(slice.iter().map(|x| x.pnl)),
                pnl: slice.iter().map(|x| x.pnl).sum(),
                hedge_pnl: slice.iter().map(|x| x.hedge_pnl).sum(),
                stopped_out: c.closed_by == Some(Event::StoppedOut),
            })
        })
        .collect()
}
