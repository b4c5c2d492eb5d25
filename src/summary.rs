//! The journal summary (`vixshield run --summary`): per cycle and overall.
//!
//! - A **cycle** runs from a step-1 trade to the trade that returns the ladder
//!   to step 1 (a win, a stop-out, or any trade at the step limit); the last
//!   cycle may still be open.
//! - **IRR** is XIRR (actual/365) over dated cash flows: the capital paid in on
//!   the first trade's date, each trade's P&L (condor and hedge) on its date,
//!   and the capital taken back on the last trade's date. A cycle's IRR does the
//!   same over that cycle's trades. No IRR when all flows are on one day, or when no rate solves
//!   them (losses beyond the capital taken back: the NPV is negative at
//!   every rate).
//! - **Hedge cost to credit**: what the hedges lost (the sum of negative
//!   `hedge_pnl`) over the credit collected, over trades with a known credit.
//! - **Break-even prices**, for trades with both strikes and a credit: short put
//!   − credit and short call + credit, the credit in index points being the
//!   journal's dollars ÷ (100 × contracts) (SPX's multiplier is 100; the
//!   journal's credit is the whole position's), to 4 places (a cent a condor).

use crate::decision::{Decision, Event};
use crate::journal::Trade;
use crate::money::{self, Overflow};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

/// Counts and money over a set of trades.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Trades.
    pub trades: usize,
    /// Trades with pnl ≥ 0.
    pub wins: usize,
    /// Trades with pnl < 0.
    pub losses: usize,
    /// The deepest step traded.
    pub max_step_reached: u32,
    /// Cycles that hit the step limit and ended negative.
    pub cycles_stopped_out: usize,
    /// Condor P&L (hedges apart: [`Stats::hedge_pnl`]; the backtest's
    /// `net_pnl` is both, so this has another name).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub condor_pnl: Decimal,
    /// Hedge P&L.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub hedge_pnl: Decimal,
    /// What the hedges lost (every trade): not the premium paid, which a
    /// journal does not give (the backtest's `hedge_cost` is the premium).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub hedge_loss: Decimal,
    /// Credit collected (trades with a known credit).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub credit: Decimal,
    /// What the hedges lost on trades with a known credit, over that
    /// credit, when any credit is known.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub hedge_loss_to_credit: Option<Decimal>,
    /// XIRR over the dated cash flows.
    pub irr: Option<f64>,
}

/// One cycle of the ladder.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cycle {
    /// 1-based.
    pub number: usize,
    /// Date of its first trade.
    pub start: NaiveDate,
    /// Date of its last trade.
    pub end: NaiveDate,
    /// Whether it is still open at the end of the journal.
    pub open: bool,
    /// Its numbers.
    #[serde(flatten)]
    pub stats: Stats,
}

/// A trade's break-even prices.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakEven {
    /// The trade, 1-based.
    pub trade: usize,
    /// Its date.
    pub date: NaiveDate,
    /// Short put − credit.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub lower: Decimal,
    /// Short call + credit.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub upper: Decimal,
}

/// The whole summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Over the whole journal.
    pub overall: Stats,
    /// Equity after the last trade.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub final_equity: Decimal,
    /// The lowest equity after any trade (the capital when none was lower).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub lowest_equity: Decimal,
    /// The date of the trade after which the equity was lowest (`None`:
    /// never below the capital).
    pub lowest_equity_on: Option<NaiveDate>,
    /// The date of the first trade after which the equity was $0 or below
    /// (`None`: never): the account was ruined, whatever followed.
    pub ruined_on: Option<NaiveDate>,
    /// Cycle by cycle.
    pub cycles: Vec<Cycle>,
    /// Break-even prices where the journal gives strikes and a credit.
    pub break_evens: Vec<BreakEven>,
}

/// A sum of the summary (P&L, credit, hedge cost, a break-even price) beyond
/// a decimal's range, at a trade: a journal's amounts are each within range,
/// their sums need not be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("summing trade {trade}: {source}")]
pub struct SummaryOverflow {
    /// The trade, 1-based, in journal order.
    pub trade: usize,
    /// The overflow.
    pub source: Overflow,
}

/// Over a journal's equity after each trade (`(date, equity)`, in order),
/// from `capital`: the lowest equity (the capital when none was lower), the
/// date it was first that low (`None`: never below the capital), and the
/// first date it was $0 or below (`None`: never), the account ruined. The
/// one definition `run --summary` and `risk --journal` give.
pub fn lowest_and_ruin(
    capital: Decimal,
    after: impl IntoIterator<Item = (NaiveDate, Decimal)>,
) -> (Decimal, Option<NaiveDate>, Option<NaiveDate>) {
    let (mut lowest_equity, mut lowest_equity_on) = (capital, None);
    let mut ruined_on = None;
    for (date, equity) in after {
        if equity < lowest_equity {
            (lowest_equity, lowest_equity_on) = (equity, Some(date));
        }
        if equity <= Decimal::ZERO && ruined_on.is_none() {
            ruined_on = Some(date);
        }
    }
    (lowest_equity, lowest_equity_on, ruined_on)
}

/// Summarizes a journal and the decisions the engine took over it
/// (`decisions[0]` before any trade, `decisions[i]` after trade `i`).
pub fn summarize(
    capital: Decimal,
    trades: &[Trade],
    decisions: &[Decision],
) -> Result<Summary, SummaryOverflow> {
    let steps: Vec<u32> = trades
        .iter()
        .enumerate()
        .map(|(i, _)| decisions.get(i).map_or(1, |d| d.step))
        .collect();
    let events: Vec<Event> = trades
        .iter()
        .enumerate()
        .map(|(i, _)| decisions.get(i + 1).map_or(Event::Start, |d| d.event))
        .collect();
    let overall = stats(capital, 0, trades, &steps, &events)?;
    let mut cycles = Vec::new();
    for c in crate::decision::cycles(decisions, trades.len()) {
        let r = c.trades;
        let Some(in_cycle) = trades.get(r.clone()) else {
            continue;
        };
        let (Some(first), Some(last)) = (in_cycle.first(), in_cycle.last()) else {
            continue;
        };
        cycles.push(Cycle {
            number: cycles.len() + 1,
            start: first.date,
            end: last.date,
            open: c.closed_by.is_none(),
            stats: stats(capital, r.start, in_cycle, &steps[r.clone()], &events[r])?,
        });
    }
    let hundred = Decimal::ONE_HUNDRED;
    let mut break_evens = Vec::new();
    for (i, t) in trades.iter().enumerate() {
        let (Some(credit), Some(put), Some(call)) = (t.credit, t.short_put, t.short_call) else {
            continue;
        };
        // At least 100 × 1: the quotient is at most the credit. To 4 places,
        // a cent of one condor's credit: spread over several condors it need
        // not end (`$999.99` over 7 is 1.42855714… points), and 28 digits of
        // it were shown.
        let points = (credit / (hundred * Decimal::from(t.contracts.max(1))))
            .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let at = |source| SummaryOverflow {
            trade: i + 1,
            source,
        };
        break_evens.push(BreakEven {
            trade: i + 1,
            date: t.date,
            lower: money::sub(put, points).map_err(at)?,
            upper: money::add(call, points).map_err(at)?,
        });
    }
    // The equity after each trade: `decisions[i + 1]`'s, on trade `i`'s date.
    let after = trades
        .iter()
        .zip(decisions.iter().skip(1))
        .map(|(t, d)| (t.date, d.equity));
    let (lowest_equity, lowest_equity_on, ruined_on) = lowest_and_ruin(capital, after);
    Ok(Summary {
        final_equity: decisions.last().map_or(capital, |d| d.equity),
        lowest_equity,
        lowest_equity_on,
        ruined_on,
        overall,
        cycles,
        break_evens,
    })
}

/// The stats of `trades`, the journal's trades from index `first` on.
fn stats(
    capital: Decimal,
    first: usize,
    trades: &[Trade],
    steps: &[u32],
    events: &[Event],
) -> Result<Stats, SummaryOverflow> {
    let mut s = Stats::default();
    // The hedge losses of the trades whose credit is known: the ratio's
    // numerator, so that a trade without a credit adds to neither side.
    let mut cost_with_credit = Decimal::ZERO;
    for (i, t) in trades.iter().enumerate() {
        let at = |source| SummaryOverflow {
            trade: first + i + 1,
            source,
        };
        s.trades += 1;
        if t.pnl < Decimal::ZERO {
            s.losses += 1;
        } else {
            s.wins += 1;
        }
        s.max_step_reached = s.max_step_reached.max(steps.get(i).copied().unwrap_or(1));
        if events.get(i) == Some(&Event::StoppedOut) {
            s.cycles_stopped_out += 1;
        }
        s.condor_pnl = money::add(s.condor_pnl, t.pnl).map_err(at)?;
        let h = t.hedge_pnl.unwrap_or_default();
        s.hedge_pnl = money::add(s.hedge_pnl, h).map_err(at)?;
        if h < Decimal::ZERO {
            s.hedge_loss = money::sub(s.hedge_loss, h).map_err(at)?;
        }
        if let Some(credit) = t.credit {
            s.credit = money::add(s.credit, credit).map_err(at)?;
            cost_with_credit = money::sub(cost_with_credit, h.min(Decimal::ZERO)).map_err(at)?;
        }
    }
    if !s.credit.is_zero() {
        let last = first + trades.len();
        let ratio = cost_with_credit
            .checked_div(s.credit)
            .ok_or(SummaryOverflow {
                trade: last,
                source: Overflow,
            })?;
        // Half away from zero, as every amount here (`round_dp` alone
        // would round half to even: 0.0000125 to 0.000012).
        s.hedge_loss_to_credit = Some(
            ratio.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        );
    }
    s.irr = irr(capital, trades);
    Ok(s)
}

fn irr(capital: Decimal, trades: &[Trade]) -> Option<f64> {
    let (first, last) = (trades.first()?, trades.last()?);
    if first.date == last.date {
        return None;
    }
    let cap = capital.to_f64()?;
    let mut flows = vec![(first.date, -cap)];
    flows.extend(trades.iter().map(|t| {
        (
            t.date,
            // Exact when the sum is in range, as a float beyond it.
            match money::add(t.pnl, t.hedge_pnl.unwrap_or_default()) {
                Ok(sum) => sum.to_f64().unwrap_or(0.0),
                Err(Overflow) => {
                    t.pnl.to_f64().unwrap_or(0.0)
                        + t.hedge_pnl.and_then(|h| h.to_f64()).unwrap_or(0.0)
                }
            },
        )
    }));
    flows.push((last.date, cap));
    crate::irr::xirr(&flows).ok()
}
