//! The backtest report, comparable to TradingView's Strategy Tester and LEAN's
//! statistics. JSON keys are the snake_case names below.
//!
//! Definitions: returns are daily changes of equity marked to market; Sharpe
//! and Sortino are annualized with √252 and a zero risk-free rate (none
//! once the marked equity has been $0 or below: ruin), Sortino's downside
//! deviation the root mean square of min(return, 0) over all days; CAGR runs
//! from the first to the last day of the backtest (none after ruin); the closed drawdown is
//! measured on equity at trade exits, the intra-trade drawdown on daily marked
//! equity; a win is a condor with P&L ≥ 0 (hedge P&L apart); profit factor is
//! gross condor profit over gross condor loss. The Sharpe ratio's standard
//! error is Mertens' (2002): independent days, their skewness and kurtosis
//! counted, which a short-premium strategy's fat left tail makes matter.

use super::{Backtest, ExitReason};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// A cycle of the ladder in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CycleRow {
    /// First entry.
    pub start: NaiveDate,
    /// Last exit.
    pub end: NaiveDate,
    /// Condors in it.
    pub trades: usize,
    /// Deepest step.
    pub max_step: u32,
    /// The deepest the cycle's P&L went (condors only, as the ladder counts it).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub trough: Decimal,
    /// Condor P&L at the cycle's end.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub pnl: Decimal,
    /// Hedge P&L over the cycle.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub hedge_pnl: Decimal,
    /// Whether it hit the step limit and ended negative.
    pub stopped_out: bool,
}

/// How many condors closed for one reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExitCount {
    /// The reason.
    pub reason: ExitReason,
    /// How many.
    pub trades: usize,
}

/// How many entries were skipped for one kind of reason, and when.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SkipCount {
    /// The kind of reason, in words ([`super::SkipKind::label`]).
    pub reason: String,
    /// How many entries.
    pub entries: usize,
    /// The first of them.
    pub first: NaiveDate,
    /// The last of them.
    pub last: NaiveDate,
    /// Why the first of them was skipped, with its numbers (`size $500 is
    /// below one contract's max loss $1,377 (90% of a $1,530 credit)`).
    pub first_reason: String,
}

/// One calendar year.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct YearRow {
    /// The year.
    pub year: i32,
    /// Condors closed in it.
    pub trades: usize,
    /// Share of them with P&L ≥ 0.
    pub win_rate: Option<f64>,
    /// Condor and hedge P&L of those closed in it.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub net_pnl: Decimal,
    /// Change of marked equity over the year; `None` when the year began
    /// with the equity at $0 or below (ruin), where a return has no base.
    pub return_pct: Option<f64>,
    /// Intra-year drawdown of marked equity; `None` when the equity was at
    /// $0 or below all year, from before it on (no peak to fall from).
    pub max_drawdown: Option<f64>,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// First day.
    pub start: Option<NaiveDate>,
    /// Last day.
    pub end: Option<NaiveDate>,
    /// Condors traded.
    pub trades: usize,
    /// Entries skipped.
    pub skipped: usize,
    /// Entries skipped by kind of reason, the most first.
    pub skipped_by: Vec<SkipCount>,
    /// Entries taken while a guard could not say (see `unknown_guards`).
    pub entries_with_unknown_guard: usize,
    /// Each guard that was unknown at entries taken, with their number.
    pub unknown_guards: Vec<super::UnknownGuard>,
    /// How near each guard with a numeric limit came to it over the entry
    /// decisions ([`super::GuardMargin`]).
    pub guard_margins: Vec<super::GuardMargin>,
    /// Condors that hold `u32::MAX` contracts, or a hedge of that many, the
    /// most a trade records: their size asked for more, so the report
    /// trades less than the strategy sizes ([`super::Trade::at_contract_limit`]).
    pub trades_at_contract_limit: usize,
    /// Share of condors with P&L ≥ 0 (`None` without a condor).
    pub win_rate: Option<f64>,
    /// Condor and hedge P&L.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub net_pnl: Decimal,
    /// Hedge P&L alone.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub hedge_pnl: Decimal,
    /// Final equity.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub final_equity: Decimal,
    /// The lowest marked equity of any day (the capital without a day):
    /// how near the account came to ruin, or how deep it went.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub lowest_equity: Decimal,
    /// The first day it was marked at `lowest_equity`.
    pub lowest_equity_on: Option<NaiveDate>,
    /// The first day the marked equity was $0 or below: the account was
    /// ruined (sizes of capital trade on after it); `None` when it never was.
    pub ruined_on: Option<NaiveDate>,
    /// Compound annual growth rate; `None` after ruin (`ruined_on`), where
    /// no rate compounds the capital into the final equity through $0.
    pub cagr: Option<f64>,
    /// Largest drawdown of equity at trade exits, a fraction.
    pub max_drawdown: f64,
    /// Largest drawdown of daily marked equity, a fraction.
    pub max_drawdown_intra_trade: f64,
    /// Gross profit over gross loss.
    pub profit_factor: Option<f64>,
    /// Annualized Sharpe ratio of daily returns; `None` when they do not
    /// vary (no condor traded), where the ratio has no value, or when the
    /// marked equity was ever $0 or below (no return on no equity).
    pub sharpe: Option<f64>,
    /// The standard error of `sharpe`, annualized alike: how far the ratio
    /// measured over these days may be from the strategy's own (Mertens,
    /// 2002: √((1 − γ₃·SR + (γ₄ − 1)/4·SR²)/n) for the daily ratio SR over n
    /// independent days of skewness γ₃ and kurtosis γ₄); `None` with `sharpe`.
    pub sharpe_se: Option<f64>,
    /// Annualized Sortino ratio of daily returns; `None` when no day lost,
    /// where the ratio has no value, or as `sharpe` after ruin.
    pub sortino: Option<f64>,
    /// Longest run of losing condors.
    pub max_consecutive_losses: usize,
    /// Deepest step traded.
    pub max_step_reached: u32,
    /// Cycles that hit the step limit and ended negative.
    pub cycles_stopped_out: usize,
    /// Condors that lost more than their max loss (their P&L, costs
    /// included, below minus the stop the step decided): the backtest sees a
    /// stop only at a day's close, so a gap passes it, and the ladder's
    /// planned worst case assumes it holds.
    pub losses_past_stop: usize,
    /// The largest loss of a condor as a multiple of its max loss (`1.0` is
    /// a loss of exactly the stop); `None` without a losing condor.
    pub worst_loss_to_max_loss: Option<f64>,
    /// Most capital at risk at once (open stop + hedge premium).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub peak_capital_at_risk: Decimal,
    /// Hedge premium paid over credit collected; `None` when no condor
    /// took a credit (as `run --summary`'s, and `win_rate` without a condor).
    pub hedge_cost_to_credit: Option<f64>,
    /// Share of days with a condor open.
    pub time_in_market: f64,
    /// Exits by reason.
    pub exits: Vec<ExitCount>,
    /// Year by year.
    pub years: Vec<YearRow>,
    /// How many cycles the backtest traded (a cycle runs from a step-1
    /// trade to the trade that returns the ladder to step 1).
    pub cycles: usize,
    /// What a full losing cycle of the ladder risks as planned (`check
    /// --explain`'s cycle risk), which the worst cycles are set against;
    /// `None` until [`Report::with_plan`] (a sweep's variants leave it out).
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub planned_cycle_risk: Option<Decimal>,
    /// The worst cycles by trough (the deepest the ladder's cycle P&L went),
    /// worst first: [`WORST_CYCLES`] of them unless asked otherwise.
    pub worst_cycles: Vec<CycleRow>,
}

/// The largest fall from a running peak, as a fraction of the peak; `None`
/// when no value was above $0 (no peak to fall from).
fn drawdown(series: impl Iterator<Item = f64>) -> Option<f64> {
    let mut peak = f64::NEG_INFINITY;
    let mut worst = None;
    for x in series {
        peak = peak.max(x);
        if peak > 0.0 {
            worst = Some(worst.unwrap_or(0.0f64).max((peak - x) / peak));
        }
    }
    worst
}

/// Sharpe, its standard error, and Sortino, annualized.
fn ratios(returns: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let n = returns.len() as f64;
    if n < 2.0 {
        return (None, None, None);
    }
    let mean = returns.iter().sum::<f64>() / n;
    let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let down = returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / n;
    let ann = 252f64.sqrt();
    let daily = (var > 0.0).then(|| mean / var.sqrt());
    // Mertens (2002): the daily ratio's variance with the returns' skewness
    // and kurtosis (central moments over n). At least (γ₃·SR/2 − 1)² ≥ 0,
    // since γ₄ ≥ 1 + γ₃².
    let se = daily.and_then(|sr| {
        let m = |k: i32| returns.iter().map(|r| (r - mean).powi(k)).sum::<f64>() / n;
        let m2 = m(2);
        let skew = m(3) / m2.powf(1.5);
        let kurt = m(4) / (m2 * m2);
        let v = (1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr) / n;
        (v.is_finite() && v >= 0.0).then(|| v.sqrt() * ann)
    });
    let sortino = (down > 0.0).then(|| mean / down.sqrt() * ann);
    (daily.map(|sr| sr * ann), se, sortino)
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// The sum of `xs` from +0.0: `Iterator::sum` of no `f64`s is -0.0, which
/// made the profit factor of a backtest without a win `-0.00` and the hedge
/// cost ratio of one without a hedge `-0.0` in JSON (ranked below a true 0
/// by `sweep`).
fn total(xs: impl Iterator<Item = f64>) -> f64 {
    xs.fold(0.0, |a, x| a + x)
}

/// Computes the report.
/// How many worst cycles a report lists by default: enough to show every
/// major stress of the bundled history (the ten worst of the 327 cycles spx-mastery trades over 2000–2025).
pub const WORST_CYCLES: usize = 10;

/// The report of a backtest, with the [`WORST_CYCLES`] worst cycles.
pub fn report(bt: &Backtest, capital: Decimal) -> Report {
    report_with(bt, capital, WORST_CYCLES)
}

/// The report of a backtest, listing the `worst` worst cycles.
impl Report {
    /// With the plan's full losing cycle ([`Report::planned_cycle_risk`])
    /// of `strategy`, the one backtested.
    pub fn with_plan(mut self, strategy: &crate::model::Strategy) -> Report {
        self.planned_cycle_risk =
            crate::check::exposure::analyze(&strategy.sizing, &strategy.account)
                .ok()
                .map(|e| e.cycle_risk);
        self
    }
}

pub fn report_with(bt: &Backtest, capital: Decimal, worst: usize) -> Report {
    let worst_n = worst;
    let lowest = bt
        .days
        .iter()
        .min_by(|a, b| a.equity.cmp(&b.equity).then(a.date.cmp(&b.date)));
    let ruined_on = bt
        .days
        .iter()
        .find(|d| d.equity <= Decimal::ZERO)
        .map(|d| d.date);
    let (lowest_equity, lowest_equity_on) =
        lowest.map_or((capital, None), |d| (d.equity, Some(d.date)));
    let capital = f(capital);
    let trades = &bt.trades;
    let wins = trades.iter().filter(|t| t.pnl >= Decimal::ZERO).count();
    let net_pnl: Decimal = trades.iter().map(|t| t.pnl + t.hedge_pnl).sum();
    let hedge_pnl: Decimal = trades.iter().map(|t| t.hedge_pnl).sum();
    let gross_win = total(
        trades
            .iter()
            .filter(|t| t.pnl > Decimal::ZERO)
            .map(|t| f(t.pnl)),
    );
    let gross_loss = total(
        trades
            .iter()
            .filter(|t| t.pnl < Decimal::ZERO)
            .map(|t| -f(t.pnl)),
    );
    let mut run = 0;
    let mut max_run = 0;
    for t in trades {
        if t.pnl < Decimal::ZERO {
            run += 1;
            max_run = max_run.max(run);
        } else {
            run = 0;
        }
    }
    let (start, end) = (
        bt.days.first().map(|d| d.date),
        bt.days.last().map(|d| d.date),
    );
    let final_equity = bt.days.last().map_or(capital, |d| f(d.equity));
    let years = match (start, end) {
        (Some(a), Some(b)) => ((b - a).num_days() as f64 / 365.25).max(1.0 / 365.25),
        _ => 1.0,
    };
    // None after ruin: a run whose equity went to $0 or below and back
    // read a CAGR of +8.58% (spx-mastery at 30% of capital a condor,
    // -$123,839 in February 2018) as if nothing had happened; one that
    // ended there read -100%.
    let cagr = (capital > 0.0 && final_equity > 0.0 && ruined_on.is_none())
        .then(|| (final_equity / capital).powf(1.0 / years) - 1.0);
    let returns: Vec<f64> = bt
        .days
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if a.equity > Decimal::ZERO => Some(f(b.equity) / f(a.equity) - 1.0),
            _ => None,
        })
        .collect();
    // A return on no equity is none: once the marked equity is $0 or below
    // (ruin; sizes of capital trade on), the days' changes over it and over
    // the few dollars it recovers from (+1,983% from $37.28 to $776.73 on
    // one day) made a run that lost 57% read Sharpe 1.22, Sortino 7.22.
    let (sharpe, sharpe_se, sortino) = if ruined_on.is_some() {
        (None, None, None)
    } else {
        ratios(&returns)
    };
    let closed = std::iter::once(capital).chain(trades.iter().scan(capital, |eq, t| {
        *eq += f(t.pnl + t.hedge_pnl);
        Some(*eq)
    }));
    let credit = total(trades.iter().map(|t| f(t.credit) * f64::from(t.contracts)));
    let hedge_cost = total(trades.iter().flat_map(|t| &t.hedges).map(|h| f(h.cost)));
    let cycles = super::cycles(bt);
    let mut worst = cycles.clone();
    worst.sort_by(|a, b| a.trough.cmp(&b.trough).then(a.start.cmp(&b.start)));
    worst.truncate(worst_n);
    let mut exits: Vec<ExitCount> = Vec::new();
    for t in trades {
        match exits.iter_mut().find(|e| e.reason == t.exit_reason) {
            Some(e) => e.trades += 1,
            None => exits.push(ExitCount {
                reason: t.exit_reason,
                trades: 1,
            }),
        }
    }
    let mut skipped_by: Vec<(&super::SkipKind, SkipCount)> = Vec::new();
    for s in &bt.skips {
        match skipped_by.iter_mut().find(|(k, _)| **k == s.kind) {
            Some((_, c)) => {
                c.entries += 1;
                if s.date < c.first {
                    c.first = s.date;
                    c.first_reason.clone_from(&s.reason);
                }
                c.last = c.last.max(s.date);
            }
            None => skipped_by.push((
                &s.kind,
                SkipCount {
                    reason: s.kind.label(),
                    entries: 1,
                    first: s.date,
                    last: s.date,
                    first_reason: s.reason.clone(),
                },
            )),
        }
    }
    let mut skipped_by: Vec<SkipCount> = skipped_by.into_iter().map(|(_, c)| c).collect();
    skipped_by.sort_by(|a, b| b.entries.cmp(&a.entries).then(a.first.cmp(&b.first)));
    let mut year_rows = Vec::new();
    if let (Some(a), Some(b)) = (start, end) {
        for y in a.year()..=b.year() {
            let in_year: Vec<_> = trades.iter().filter(|t| t.exit.year() == y).collect();
            let days: Vec<f64> = bt
                .days
                .iter()
                .filter(|d| d.date.year() == y)
                .map(|d| f(d.equity))
                .collect();
            let before = bt
                .days
                .iter()
                .rev()
                .find(|d| d.date.year() < y)
                .map(|d| f(d.equity))
                // The first year's from the capital, as the intra-trade
                // drawdown: its first day's equity is the capital, unless
                // that day is also the last, closed at its mark (a one-day
                // run showed a return of 0 beside a loss).
                .or(Some(capital));
            let (Some(first), Some(last)) = (before, days.last().copied()) else {
                continue;
            };
            year_rows.push(YearRow {
                year: y,
                trades: in_year.len(),
                win_rate: (!in_year.is_empty()).then(|| {
                    in_year.iter().filter(|t| t.pnl >= Decimal::ZERO).count() as f64
                        / in_year.len() as f64
                }),
                net_pnl: in_year.iter().map(|t| t.pnl + t.hedge_pnl).sum(),
                // A year begun at $0 or below has no return (it read 0).
                return_pct: (first > 0.0).then(|| last / first - 1.0),
                max_drawdown: drawdown(std::iter::once(first).chain(days.iter().copied())),
            });
        }
    }
    Report {
        start,
        end,
        trades: trades.len(),
        skipped: bt.skips.len(),
        skipped_by,
        entries_with_unknown_guard: bt.entries_with_unknown_guard,
        unknown_guards: bt.unknown_guards.clone(),
        guard_margins: bt.guard_margins.clone(),
        trades_at_contract_limit: trades.iter().filter(|t| t.at_contract_limit()).count(),
        win_rate: (!trades.is_empty()).then(|| wins as f64 / trades.len() as f64),
        net_pnl,
        hedge_pnl,
        final_equity: bt
            .days
            .last()
            .map_or(Decimal::from_f64_retain(capital).unwrap_or_default(), |d| {
                d.equity
            }),
        lowest_equity,
        lowest_equity_on,
        ruined_on,
        cagr,
        // Both start from the capital, which is above $0 (the checker's).
        max_drawdown: drawdown(closed).unwrap_or(0.0),
        max_drawdown_intra_trade: drawdown(
            std::iter::once(capital).chain(bt.days.iter().map(|d| f(d.equity))),
        )
        .unwrap_or(0.0),
        profit_factor: (gross_loss > 0.0).then(|| gross_win / gross_loss),
        sharpe,
        sharpe_se,
        sortino,
        max_consecutive_losses: max_run,
        max_step_reached: trades.iter().map(|t| t.step).max().unwrap_or(0),
        cycles_stopped_out: cycles.iter().filter(|c| c.stopped_out).count(),
        losses_past_stop: trades.iter().filter(|t| t.pnl < -t.max_loss).count(),
        worst_loss_to_max_loss: trades
            .iter()
            .filter(|t| t.pnl < Decimal::ZERO && t.max_loss > Decimal::ZERO)
            .map(|t| -f(t.pnl) / f(t.max_loss))
            .reduce(f64::max),
        peak_capital_at_risk: bt.days.iter().map(|d| d.at_risk).max().unwrap_or_default(),
        hedge_cost_to_credit: (credit > 0.0).then(|| hedge_cost / credit),
        time_in_market: if bt.days.is_empty() {
            0.0
        } else {
            bt.days.iter().filter(|d| d.step > 0).count() as f64 / bt.days.len() as f64
        },
        exits,
        years: year_rows,
        cycles: cycles.len(),
        planned_cycle_risk: None,
        worst_cycles: worst,
    }
}
