//! `vixshield next STRATEGY --journal J`: the next trade's decision, derived.

use super::common::MarketArgs;
use super::{Format, exit};
use crate::money::{fmt_money, fmt_percent};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::process::ExitCode;

/// The decision for the next trade, with its derivation in words and numbers.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The strategy file.
    #[arg(value_name = "STRATEGY")]
    strategy: PathBuf,
    /// The journal of closed trades so far.
    #[arg(long, value_name = "FILE")]
    journal: PathBuf,
    /// The next trade's expected credit (`$1,500`), for its max loss in money.
    #[arg(long, value_name = "MONEY", allow_hyphen_values = true)]
    credit: Option<String>,
    /// The day you enter (YYYY-MM-DD, on or after the last trade's close):
    /// signals, triggers and guards read the last market bar on or before
    /// it, and the blackout counts its window from it (default: the last
    /// trade's close, as `run` decides).
    #[arg(long, value_name = "DATE", value_parser = super::common::parse_date)]
    on: Option<chrono::NaiveDate>,
    /// `human` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    #[command(flatten)]
    market: MarketArgs,
}

pub fn run(args: Args, color: bool) -> ExitCode {
    let credit = match args.credit.as_deref().map(parse_money).transpose() {
        Ok(c) => c,
        Err(e) => {
            say!("error: `--credit`: {e}");
            return exit::trouble();
        }
    };
    let l = match super::run::load(&args.strategy, &args.journal, &args.market, color) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut engine = l.engine();
    if let Err(e) = engine.next_decision(None) {
        say!("error: {e}");
        return exit::findings();
    }
    // The equity after each trade, for the day the account was ruined (as
    // `run --summary` says it).
    let mut after = Vec::with_capacity(l.closed.len());
    for t in &l.closed {
        let applied = engine
            .apply(t)
            .and_then(|()| engine.next_decision(None).map(|_| ()));
        after.push((t.date, engine.state().equity));
        if let Err(e) = applied {
            say!(
                "error: {}",
                super::run::journal_error(&args.journal, &l.trades, &e)
            );
            return exit::findings();
        }
    }
    let (_, _, ruined_on) = crate::summary::lowest_and_ruin(l.strategy.account.capital, after);
    if let Some(on) = args.on {
        // The next trade enters after the last one closed: a day before it
        // would decide from a market the journal had not reached.
        if let Some(last) = engine.state().date
            && on < last
        {
            say!(
                "error: `--on {on}` is before the last trade's close ({last}, {}:{}): the next trade enters on or after it",
                args.journal.display(),
                l.trades.last().map_or(1, |t| t.line)
            );
            return exit::trouble();
        }
        engine.set_as_of(Some(on));
    }
    let d = match engine.next_decision(credit) {
        Ok(d) => d,
        Err(e) => {
            say!("error: {e}");
            return exit::findings();
        }
    };
    let printed = super::output::print(|w| {
        match args.format {
            Format::Json => {
                // A struct, not `json!`: the decision's keys keep their
                // order, `run`'s (a `json!` map sorts them).
                #[derive(serde::Serialize)]
                struct Next<'a> {
                    decision: &'a crate::decision::Decision,
                    derivation: Vec<String>,
                    ruined_on: Option<chrono::NaiveDate>,
                    on: Option<chrono::NaiveDate>,
                }
                let value = Next {
                    decision: d,
                    derivation: d.derivation(),
                    ruined_on,
                    on: args.on,
                };
                writeln!(
                    w,
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                )?;
            }
            Format::Human => {
                let mut after = match d.date {
                    Some(date) => format!(
                        "after {} trade{}, the last closed {date}",
                        d.trade,
                        if d.trade == 1 { "" } else { "s" }
                    ),
                    None => "before any trade".into(),
                };
                if let Some(on) = args.on {
                    after.push_str(&format!(", entering on {on}"));
                }
                writeln!(
                    w,
                    "next trade ({after}): step {} of {}, size {}{}",
                    d.step,
                    l.strategy.sizing.steps,
                    fmt_money(d.size),
                    if d.capped { " (capped)" } else { "" }
                )?;
                write!(w, "max loss {} of credit", fmt_percent(d.max_loss_pct))?;
                match d.max_loss {
                    Some(m) => writeln!(w, " = {}", fmt_money(m))?,
                    None => writeln!(w, " (give --credit for the amount)")?,
                }
                // The size is the risk budget: a position whose stop is above
                // it risks more than the step allows (the backtest sizes its
                // contracts so that it never does, and skips an entry below
                // one contract).
                if let Some(m) = d.max_loss
                    && d.size > Decimal::ZERO
                    && m > d.size
                {
                    let most = d.size.checked_div(d.max_loss_pct).map(|c| {
                        c.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
                    });
                    writeln!(
                        w,
                        "OVER SIZE: a max loss of {} is above the size {}: this position risks more than step {} allows; {}",
                        fmt_money(m),
                        fmt_money(d.size),
                        d.step,
                        match most {
                            Some(c) => format!(
                                "take fewer contracts, for a credit of at most {}",
                                fmt_money(c)
                            ),
                            None => "take fewer contracts".to_string(),
                        }
                    )?;
                }
                // Whether the layer buys now, as the backtest would: a condor
                // entered (not blocked, a size above $0), the layer active,
                // its trigger fired (or none), a budget left after the guards.
                for h in d.hedges.iter().filter(|h| h.active) {
                    let verdict = d.hedge_verdict(h).words();
                    writeln!(
                        w,
                        "hedge {}: budget {}, {verdict}",
                        h.layer,
                        fmt_money(h.budget)
                    )?;
                }
                if d.blocked {
                    writeln!(
                        w,
                        "BLOCKED: a guard blocks a new entry now (see the derivation)"
                    )?;
                }
                // A guard that could not be judged does not stop the entry
                // (the backtest's rule too), so it is said up here, not only
                // in the derivation: the trader is on his own for it.
                let unknown: Vec<String> = d
                    .guards
                    .iter()
                    .filter_map(|g| match &g.outcome {
                        crate::decision::GuardVerdict::Unknown { reason } => {
                            Some(format!("`{}` ({reason})", g.guard))
                        }
                        _ => None,
                    })
                    .collect();
                if !d.blocked && !unknown.is_empty() {
                    writeln!(
                        w,
                        "UNGUARDED: {} could not be judged, so the entry goes ahead unguarded by {} (as in a backtest): {}",
                        match unknown.len() {
                            1 => "a guard".to_string(),
                            n => format!("{n} guards"),
                        },
                        if unknown.len() == 1 { "it" } else { "them" },
                        unknown.join("; ")
                    )?;
                    // A new account's first decision has no day to read the
                    // market and calendar at until told the entry day.
                    if d.date.is_none() && args.on.is_none() {
                        writeln!(
                            w,
                            "  no trade yet, so no day to judge them on: give `--on DATE`, the day you enter"
                        )?;
                    }
                }
                // A size of $0 is no condor at all: the rounding (or a cap,
                // or equity at or below zero) took it there.
                if d.size <= Decimal::ZERO {
                    writeln!(
                        w,
                        "NO TRADE: the size is {}, no condor (see the derivation)",
                        fmt_money(d.size)
                    )?;
                }
                writeln!(
                    w,
                    "equity {}, cycle P&L {}",
                    fmt_money(d.equity),
                    fmt_money(d.cycle_pnl)
                )?;
                // A ruined account is said, not only implied by a negative
                // equity: the sizes below assume it trades on.
                if let Some(date) = ruined_on {
                    writeln!(
                        w,
                        "RUINED: on {date} the equity fell to $0 or below; this size follows the strategy's rules as if the account went on"
                    )?;
                }
                // The bar every signal, trigger and guard above read: a
                // live journal runs past the bundled data, and a bar days
                // older than the trade is not news.
                let blackout = l
                    .strategy
                    .guards
                    .iter()
                    .any(|g| matches!(g, crate::model::Guard::Blackout { .. }));
                let at = match args.on {
                    Some(on) => Some(At::Entry(on)),
                    None => d.date.map(At::LastTrade),
                };
                if let Some(mut line) = market_line(at, d.market_date, l.market.as_ref(), blackout)
                {
                    if let (Some(m), Some(bar)) = (l.market.as_ref(), d.market_date) {
                        line.push_str(&missing_series(&l.compiled.graph, m, bar));
                    }
                    writeln!(w, "{line}")?;
                }
                writeln!(w, "\nderivation:")?;
                for line in d.derivation() {
                    writeln!(w, "  {line}")?;
                }
            }
        }
        Ok(())
    });
    match printed {
        Ok(()) => exit::ok(),
        Err(code) => code,
    }
}

/// The day a decision is made for: the last trade's close, or the entry
/// day `--on` gives.
#[derive(Clone, Copy)]
enum At {
    LastTrade(chrono::NaiveDate),
    Entry(chrono::NaiveDate),
}

impl At {
    fn date(self) -> chrono::NaiveDate {
        match self {
            At::LastTrade(d) | At::Entry(d) => d,
        }
    }

    fn name(self) -> &'static str {
        match self {
            At::LastTrade(_) => "the last trade",
            At::Entry(_) => "the entry day",
        }
    }
}

/// Which market bar the decision read, and how old it is next to the day
/// decided for; `None` before any trade. Without market data, a strategy
/// with a blackout guard is told it still counts from the event calendar.
fn market_line(
    at: Option<At>,
    bar: Option<chrono::NaiveDate>,
    market: Option<&crate::eval::MarketValues>,
    blackout: bool,
) -> Option<String> {
    let at = at?;
    let date = at.date();
    let Some(market) = market else {
        let mut line = String::from(
            "market: none (--no-market): every signal, trigger and guard reading it is unknown",
        );
        if blackout {
            let whose = match at {
                At::LastTrade(_) => "the last trade's date",
                At::Entry(_) => "the entry day, --on",
            };
            line.push_str(&format!(
                "; the blackout reads the event calendar alone, its window counted from {date} ({whose})"
            ));
        }
        return Some(line);
    };
    Some(match bar {
        Some(bar) if bar == date => format!("market: the bar of {bar}"),
        Some(bar) => {
            let days = (date - bar).num_days();
            format!(
                "market: the bar of {bar}, {days} day{} before {} (the last bar on or before it)",
                if days == 1 { "" } else { "s" },
                at.name()
            )
        }
        None => match market.dates().last() {
            Some(last) if *last < date => format!(
                "market: NONE for {date}: the market data ends on {last}; every signal, trigger \
                 and guard reading it is unknown (give newer data with --market)"
            ),
            _ => format!("market: none on or before {date}: every signal is unknown"),
        },
    })
}

/// The series the strategy reads that have no value on the bar `date`
/// (their data ended before it, or is not carried that far), each with its
/// last day, as `; on that bar no spx (its last value on 2025-08-15): ...`;
/// empty when every one has a value. A guard or trigger that reads one is
/// unknown, and the cure is newer data.
fn missing_series(
    graph: &crate::graph::Graph,
    market: &crate::eval::MarketValues,
    date: chrono::NaiveDate,
) -> String {
    let Some(bar) = market.bar_on_or_before(date) else {
        return String::new();
    };
    let missing: Vec<String> = graph
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| match node {
            crate::graph::Node::Series(name) => {
                let id = crate::graph::NodeId(u32::try_from(i).ok()?);
                if market.num_at(id, Some(bar)).is_some() {
                    return None;
                }
                let last = (0..bar)
                    .rev()
                    .find(|&b| market.num_at(id, Some(b)).is_some())
                    .and_then(|b| market.date(b));
                Some(match last {
                    Some(last) => format!("no {name} (its last value on {last})"),
                    None => format!("no {name} (none on or before it)"),
                })
            }
            _ => None,
        })
        .collect();
    if missing.is_empty() {
        String::new()
    } else {
        format!(
            "; on that bar {}: whatever reads {} is unknown (give newer data with --market)",
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        )
    }
}

/// `$1,500`, `1500`, `1,500.50`: a credit of at least a cent, read as a
/// journal's `credit` is ([`crate::journal::parse_money`]).
fn parse_money(s: &str) -> Result<rust_decimal::Decimal, String> {
    let d = crate::journal::parse_money(s).map_err(|why| format!("`{s}`: {why}"))?;
    if d < crate::journal::MIN_CREDIT {
        return Err(format!(
            "`{s}` is not a credit: a condor opens for a credit of at least $0.01"
        ));
    }
    Ok(d)
}
