//! `vixshield run STRATEGY --journal J`: a decision before any trade and one after each.

use super::common::{self, MarketArgs, Sources};
use super::exit;
use crate::compile::Compiled;
use crate::decision::{Decision, Event, Trigger};
use crate::eval::{ClosedTrade, Engine, EvalError, MarketValues};
use crate::market::Calendar;
use crate::model::Strategy;
use crate::money::{fmt_money, fmt_percent};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output format of `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunFormat {
    /// Aligned columns for people.
    Table,
    /// One row a decision: the numbers, the derivation, then `blocked` and
    /// one column per guard (`guard_wacc_impact`, ...: its outcome).
    Csv,
    /// A list of decisions with their derivations.
    Json,
}

/// Replay a journal of closed trades through a strategy: every decision, with its derivation.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The strategy file.
    #[arg(value_name = "STRATEGY")]
    strategy: PathBuf,
    /// The journal: CSV with `date,pnl` and optional `credit,hedge_pnl,short_put,short_call,contracts`.
    #[arg(long, value_name = "FILE")]
    journal: PathBuf,
    /// `table`, `csv` or `json` (default: `json` or `csv` for an `--out`
    /// file named so, as `backtest --trades` does; `table` otherwise).
    #[arg(long, value_enum)]
    format: Option<RunFormat>,
    /// Write to FILE instead of stdout (written whole or not at all).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the journal summary (per cycle and overall) instead of the decisions
    /// (`--format table` or `json`).
    #[arg(long)]
    summary: bool,
    #[command(flatten)]
    market: MarketArgs,
}

/// Everything a run needs, loaded and checked.
pub(crate) struct Loaded {
    pub strategy: Strategy,
    pub compiled: Compiled,
    pub market: Option<MarketValues>,
    /// The event calendar alone, without market data (`--no-market`): the
    /// blackout guard reads it at the decision's date. With market data the
    /// calendar is the market values' own.
    pub calendar: Option<Calendar>,
    pub trades: Vec<crate::journal::Trade>,
    pub closed: Vec<ClosedTrade>,
}

impl Loaded {
    /// An engine before any trade over this strategy, market and calendar.
    pub(crate) fn engine(&self) -> Engine<'_> {
        Engine::new(&self.strategy, &self.compiled, self.market.as_ref())
            .with_calendar(self.calendar.as_ref())
    }
}

/// A journal trade that lost more than the max loss the engine decided for
/// it (from its credit): its stop was passed.
struct PastStop {
    trade: usize,
    date: chrono::NaiveDate,
    pnl: rust_decimal::Decimal,
    max_loss: rust_decimal::Decimal,
}

/// The strategy, compiled, the market and the journal, for `run` and
/// `next`: a journal holding only its header is the history before the
/// first trade, whose decision the engine makes too.
pub(crate) fn load(
    strategy: &Path,
    journal: &Path,
    market: &MarketArgs,
    color: bool,
) -> Result<Loaded, ExitCode> {
    let (env, plugins) = common::env(&market.plugins)?;
    let strategy = common::load_strategy(strategy, &env, color)?;
    let (trades, closed) = common::load_history(journal)?;
    let compiled = common::compile_strategy(&strategy, &plugins)?;
    let (market, calendar) =
        match common::load_sources(market, &common::series_read(&compiled.graph))? {
            Sources::Market(m, cal) => (
                Some(common::market_values(&compiled, &plugins, &m, &cal)?),
                None,
            ),
            Sources::CalendarOnly(cal) => (None, Some(cal)),
        };
    Ok(Loaded {
        strategy,
        compiled,
        market,
        calendar,
        trades,
        closed,
    })
}

/// An evaluation error for the journal it came from: `journal:LINE:1: ...`,
/// the line of the trade it is about when there is one.
pub(crate) fn journal_error(
    journal: &std::path::Path,
    trades: &[crate::journal::Trade],
    e: &EvalError,
) -> String {
    match e.trade().and_then(|t| trades.get(t - 1)) {
        Some(t) => format!("{}:{}:1: {e}", journal.display(), t.line),
        None => format!("{}: {e}", journal.display()),
    }
}

/// A sum of the summary beyond a decimal, at the line of the trade it
/// reached: `journal:LINE:1: summing trade N: ...`.
pub(crate) fn summary_error(
    journal: &std::path::Path,
    trades: &[crate::journal::Trade],
    e: &crate::summary::SummaryOverflow,
) -> String {
    let trade = e.trade.checked_sub(1).and_then(|i| trades.get(i));
    let at = trade.map_or(0, |t| t.line);
    format!("{}:{at}:1: {e}", journal.display())
}

/// Calls `f` with the decision before any trade and after each trade, reusing one buffer.
pub(crate) fn for_each_decision(
    l: &Loaded,
    mut f: impl FnMut(&Decision) -> std::io::Result<()>,
) -> Result<Result<(), std::io::Error>, EvalError> {
    let mut engine = l.engine();
    let mut credit = l.closed.first().and_then(|t| t.credit);
    for (i, t) in l.closed.iter().enumerate() {
        if let Err(e) = f(engine.next_decision(credit)?) {
            return Ok(Err(e));
        }
        engine.apply(t)?;
        credit = l.closed.get(i + 1).and_then(|t| t.credit);
    }
    Ok(f(engine.next_decision(credit)?))
}

pub fn run(args: Args, color: bool) -> ExitCode {
    // An `--out` file's extension says the format when `--format` does not.
    // The summary is a table or a JSON document: it has no CSV form, so a
    // `.csv` name gets the table, and `--format csv` is refused.
    let extension = |x: &str| {
        args.out
            .as_deref()
            .and_then(Path::extension)
            .is_some_and(|e| e.eq_ignore_ascii_case(x))
    };
    let format = args.format.unwrap_or(if extension("json") {
        RunFormat::Json
    } else if extension("csv") && !args.summary {
        RunFormat::Csv
    } else {
        RunFormat::Table
    });
    if args.summary && format == RunFormat::Csv {
        say!("error: `--summary` has no CSV form; use `--format table` or `--format json`");
        return exit::trouble();
    }
    let outputs: Vec<_> = args
        .out
        .iter()
        .map(|p| ("--out".to_string(), p.as_path()))
        .collect();
    let mut inputs = vec![
        ("the strategy".to_string(), args.strategy.as_path()),
        ("the journal".to_string(), args.journal.as_path()),
    ];
    inputs.extend(args.market.files());
    if let Err(code) = super::output::distinct_files(&outputs, &inputs) {
        return code;
    }
    let l = match load(&args.strategy, &args.journal, &args.market, color) {
        Ok(l) => l,
        Err(code) => return code,
    };
    // Pass one: the whole run must succeed before anything is written.
    let mut decisions = Vec::new();
    // Trades that lost more than the max loss decided for them.
    let mut past_stop: Vec<PastStop> = Vec::new();
    let mut max_loss_before: Option<rust_decimal::Decimal> = None;
    let pass = for_each_decision(&l, |d| {
        if let (Some(max_loss), Some(pnl), Some(date)) = (max_loss_before, d.pnl, d.date)
            && pnl < -max_loss
        {
            past_stop.push(PastStop {
                trade: d.trade,
                date,
                pnl,
                max_loss,
            });
        }
        max_loss_before = d.max_loss;
        if args.summary {
            decisions.push(d.clone());
        }
        Ok(())
    });
    if let Err(e) = pass {
        say!("error: {}", journal_error(&args.journal, &l.trades, &e));
        return exit::findings();
    }
    if let Some(first) = past_stop.first() {
        say!(
            "warning: {} trade{} lost more than the max loss decided for {}, so a stop was passed \
             (a gap, or a fill beyond it): the ladder's worst case assumes stops hold; \
             the first is trade {} on {}, {} against a max loss of {}",
            past_stop.len(),
            if past_stop.len() == 1 { "" } else { "s" },
            if past_stop.len() == 1 { "it" } else { "them" },
            first.trade,
            first.date,
            fmt_money(first.pnl),
            fmt_money(first.max_loss)
        );
    }
    let summary = if args.summary {
        match crate::summary::summarize(l.strategy.account.capital, &l.trades, &decisions) {
            Ok(s) => Some(s),
            Err(e) => {
                say!("error: {}", summary_error(&args.journal, &l.trades, &e));
                return exit::findings();
            }
        }
    } else {
        None
    };
    let result = super::output::write_or_say(args.out.as_deref(), |w| {
        if let Some(s) = &summary {
            return match format {
                RunFormat::Json => {
                    writeln!(w, "{}", serde_json::to_string_pretty(s).unwrap_or_default())
                }
                _ => write_summary(w, s),
            };
        }
        match format {
            RunFormat::Csv => write_csv(w, &l),
            RunFormat::Json => write_json(w, &l),
            RunFormat::Table => write_table(w, &l),
        }
    });
    match result {
        Ok(()) => exit::ok(),
        Err(code) => code,
    }
}

fn trigger_word(t: Trigger) -> &'static str {
    match t {
        Trigger::Always => "always",
        Trigger::Fired => "fired",
        Trigger::NotFired => "not_fired",
        Trigger::Unknown => "unknown",
    }
}

/// The event as a CSV value: `start`, `win`, `loss`, `held`,
/// `stopped_out`, `cycle_ended`.
fn event_word(e: Event) -> &'static str {
    match e {
        Event::Start => "start",
        Event::Win => "win",
        Event::Loss => "loss",
        Event::Held => "held",
        Event::StoppedOut => "stopped_out",
        Event::CycleEnded => "cycle_ended",
    }
}

fn write_csv(w: &mut dyn Write, l: &Loaded) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let mut header: Vec<String> = [
        "trade",
        "date",
        "event",
        "pnl",
        "step",
        "size",
        "capped",
        "max_loss_pct",
        "max_loss",
        "equity",
        "cycle_pnl",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for h in &l.strategy.hedges {
        header.push(format!("hedge_{}", h.name));
        header.push(format!("hedge_{}_trigger", h.name));
    }
    header.push("roll".into());
    header.push("derivation".into());
    header.push("blocked".into());
    header.extend(guard_columns(&l.strategy));
    csv.write_record(&header)?;
    use std::fmt::Write as _;
    // One scratch buffer for every field: no allocation per row once it has grown.
    let mut buf = String::new();
    let r = for_each_decision(l, |d| {
        let mut field = |f: &dyn Fn(&mut String) -> std::fmt::Result| {
            buf.clear();
            f(&mut buf).map_err(std::io::Error::other)?;
            csv.write_field(&buf).map_err(std::io::Error::other)
        };
        field(&|b| write!(b, "{}", d.trade))?;
        field(&|b| match d.date {
            Some(x) => write!(b, "{x}"),
            None => Ok(()),
        })?;
        field(&|b| {
            b.push_str(event_word(d.event));
            Ok(())
        })?;
        field(&|b| match d.pnl {
            Some(p) => write!(b, "{}", p.normalize()),
            None => Ok(()),
        })?;
        field(&|b| write!(b, "{}", d.step))?;
        field(&|b| write!(b, "{}", d.size.normalize()))?;
        field(&|b| write!(b, "{}", d.capped))?;
        field(&|b| write!(b, "{}", d.max_loss_pct.normalize()))?;
        field(&|b| match d.max_loss {
            Some(m) => write!(b, "{}", m.normalize()),
            None => Ok(()),
        })?;
        field(&|b| write!(b, "{}", d.equity.normalize()))?;
        field(&|b| write!(b, "{}", d.cycle_pnl.normalize()))?;
        for h in &d.hedges {
            field(&|b| write!(b, "{}", h.budget.normalize()))?;
            field(&|b| {
                // A layer not active at this step buys nothing, whatever its trigger.
                b.push_str(if h.active {
                    trigger_word(h.trigger)
                } else {
                    "inactive"
                });
                Ok(())
            })?;
        }
        field(&|b| match &d.roll {
            Some(r) => write!(b, "{}", r.amount.normalize()),
            None => Ok(()),
        })?;
        field(&|b| {
            d.write_derivation(b, " | ");
            Ok(())
        })?;
        field(&|b| write!(b, "{}", d.blocked))?;
        for g in &d.guards {
            field(&|b| {
                b.push_str(g.outcome.word());
                Ok(())
            })?;
        }
        csv.write_record(None::<&[u8]>)
            .map_err(std::io::Error::other)
    });
    flatten(r)?;
    csv.flush()
}

/// One CSV column per guard: `guard_wacc_impact`, `guard_blackout`, ...; a
/// kind that appears again is numbered (`guard_condition_2`).
fn guard_columns(s: &Strategy) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    s.guards
        .iter()
        .map(|g| {
            let word = match g {
                crate::model::Guard::Wacc { .. } => "wacc_impact",
                crate::model::Guard::QuickRatio { .. } => "quick_ratio",
                crate::model::Guard::Blackout { .. } => "blackout",
                crate::model::Guard::Exposure { .. } => "exposure",
                crate::model::Guard::Condition { .. } => "condition",
            };
            seen.push(word);
            match seen.iter().filter(|w| **w == word).count() {
                1 => format!("guard_{word}"),
                n => format!("guard_{word}_{n}"),
            }
        })
        .collect()
}

/// The guards of a decision in one word: `blocked`, else `capped`, else
/// `unknown` (one could not be evaluated), else `pass`.
fn guards_word(d: &Decision) -> &'static str {
    let any = |w: &str| d.guards.iter().any(|g| g.outcome.word() == w);
    if d.blocked {
        "blocked"
    } else if any("capped") {
        "capped"
    } else if any("unknown") {
        "unknown"
    } else {
        "pass"
    }
}

fn flatten(r: Result<std::io::Result<()>, EvalError>) -> std::io::Result<()> {
    match r {
        Ok(x) => x,
        Err(e) => Err(std::io::Error::other(e.to_string())),
    }
}

#[derive(serde::Serialize)]
struct JsonDecision<'a> {
    #[serde(flatten)]
    decision: &'a Decision,
    derivation: Vec<String>,
}

fn write_json(w: &mut dyn Write, l: &Loaded) -> std::io::Result<()> {
    w.write_all(b"[")?;
    let mut first = true;
    let r = for_each_decision(l, |d| {
        w.write_all(if first { b"\n  " } else { b",\n  " })?;
        first = false;
        let row = JsonDecision {
            decision: d,
            derivation: d.derivation(),
        };
        serde_json::to_writer(&mut *w, &row).map_err(std::io::Error::other)
    });
    flatten(r)?;
    w.write_all(b"\n]\n")
}

fn write_table(w: &mut dyn Write, l: &Loaded) -> std::io::Result<()> {
    // A row is a closed trade and the decision after it, which is the next
    // trade's: without saying so, a row read `loss -$3,380, step 2,
    // $6,750` as the step and size of the trade that lost.
    writeln!(
        w,
        "{:<50}the decision after it, for the next trade: step, size, max loss, hedges \
         (equity and cycle P&L after the trade)",
        "the trade closed"
    )?;
    write!(
        w,
        "{:>5}  {:<10}  {:<17}  {:>10}  {:>4}  {:>9}  {:>8}  {:>10}  {:>11}  {:>10}",
        "trade",
        "date",
        "event",
        "pnl",
        "step",
        "size",
        "max loss",
        "max loss $",
        "equity",
        "cycle P&L"
    )?;
    for h in &l.strategy.hedges {
        write!(w, "  {:>16}", format!("hedge {}", h.name))?;
    }
    if l.strategy.roll.is_some() {
        write!(w, "  {:>9}", "roll")?;
    }
    // The last column is not padded: no spaces end a line.
    if !l.strategy.guards.is_empty() {
        write!(w, "  guards")?;
    }
    writeln!(w)?;
    let mut capped = false;
    let r = for_each_decision(l, |d| {
        capped |= d.capped;
        write!(
            w,
            "{:>5}  {:<10}  {:<17}  {:>10}  {:>4}  {:>9}  {:>8}  {:>10}  {:>11}  {:>10}",
            d.trade,
            d.date.map(|x| x.to_string()).unwrap_or_else(|| "-".into()),
            d.event.word(),
            d.pnl.map(fmt_money).unwrap_or_else(|| "-".into()),
            d.step,
            format!("{}{}", fmt_money(d.size), if d.capped { "*" } else { "" }),
            fmt_percent(d.max_loss_pct),
            d.max_loss.map(fmt_money).unwrap_or_else(|| "-".into()),
            fmt_money(d.equity),
            fmt_money(d.cycle_pnl),
        )?;
        for (i, h) in d.hedges.iter().enumerate() {
            let t = match h.trigger {
                Trigger::Always => "",
                Trigger::Fired => " fired",
                Trigger::NotFired => " no",
                Trigger::Unknown => " ?",
            };
            // The amounts line up from row to row, the trigger's word in a
            // slot of its own after them (`$150 ?` and `$270 no`, right
            // aligned together, put the dollars a column apart).
            let (amount, mark) = if h.active {
                (fmt_money(h.budget), t)
            } else {
                ("-".into(), "")
            };
            let cell = format!("{amount:>10}{mark:<6}");
            // The last column is not padded: no spaces end a line.
            let last = d.roll.is_none() && d.guards.is_empty() && i + 1 == d.hedges.len();
            write!(w, "  {}", if last { cell.trim_end() } else { &cell })?;
        }
        if let Some(r) = &d.roll {
            write!(w, "  {:>9}", fmt_money(r.amount))?;
        }
        if !d.guards.is_empty() {
            write!(w, "  {}", guards_word(d))?;
        }
        writeln!(w)
    });
    flatten(r)?;
    // What the marks mean, of those the table can show.
    let mut legend = Vec::new();
    if capped {
        legend.push("* capped by the layer cap");
    }
    if !l.strategy.hedges.is_empty() {
        legend.push("hedge triggers: fired, no (not fired), ? (unknown: no market data)");
    }
    let mut lines = Vec::new();
    if !legend.is_empty() {
        lines.push(legend.join("; "));
    }
    if !l.strategy.guards.is_empty() {
        lines.push("guards: blocked (no new entry; step and size stand), capped (hedges scaled down), unknown (one could not be evaluated), pass; details with --format json or csv".into());
    }
    if !lines.is_empty() {
        writeln!(w, "\n{}", lines.join("\n"))?;
    }
    Ok(())
}

fn write_summary(w: &mut dyn Write, s: &crate::summary::Summary) -> std::io::Result<()> {
    // An IRR a hair below zero (a flat run) shows as 0.00%, not -0.00%.
    let irr = |x: Option<f64>| x.map_or("-".to_string(), crate::money::fmt_percent_f64);
    let ratio = |x: Option<rust_decimal::Decimal>| {
        // The JSON's 6 places to 2 of a percentage, half away from zero as
        // `backtest`'s table rounds its ratios (`round_dp` is half to even),
        // and always with its 2 places, as there: a zero read `0%`, 2% `2%`.
        x.map_or("-".to_string(), |r| {
            let r =
                r.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            match r.checked_mul(rust_decimal::Decimal::ONE_HUNDRED) {
                Some(mut p) => {
                    if p.is_zero() {
                        p.set_sign_positive(true);
                    }
                    format!("{p:.2}%")
                }
                None => fmt_percent(r),
            }
        })
    };
    if s.cycles.is_empty() {
        // A journal holding only its header: the account before its first trade.
        writeln!(w, "no cycles: no trade yet")?;
    } else {
        writeln!(
            w,
            "{:>6}  {:<10}  {:<10}  {:>6}  {:>4}  {:>6}  {:>8}  {:>11}  {:>11}  {:>9}  {:>9}",
            "cycle",
            "start",
            "end",
            "trades",
            "wins",
            "losses",
            "max step",
            "condor P&L",
            "hedge P&L",
            "loss/crd",
            "IRR"
        )?;
        for c in &s.cycles {
            writeln!(
                w,
                "{:>6}  {:<10}  {:<10}  {:>6}  {:>4}  {:>6}  {:>8}  {:>11}  {:>11}  {:>9}  {:>9}{}",
                c.number,
                c.start,
                c.end,
                c.stats.trades,
                c.stats.wins,
                c.stats.losses,
                c.stats.max_step_reached,
                fmt_money(c.stats.condor_pnl),
                fmt_money(c.stats.hedge_pnl),
                ratio(c.stats.hedge_loss_to_credit),
                irr(c.stats.irr),
                if c.stats.cycles_stopped_out > 0 {
                    "  stopped out"
                } else if c.open {
                    "  open"
                } else {
                    ""
                }
            )?;
        }
    }
    let o = &s.overall;
    writeln!(w)?;
    writeln!(
        w,
        "trades {}, wins {}, losses {}, max step reached {}, cycles {} ({} stopped out)",
        o.trades,
        o.wins,
        o.losses,
        o.max_step_reached,
        s.cycles.len(),
        o.cycles_stopped_out
    )?;
    writeln!(
        w,
        "condor P&L {}, hedge P&L {}, final equity {}",
        fmt_money(o.condor_pnl),
        fmt_money(o.hedge_pnl),
        fmt_money(s.final_equity)
    )?;
    match s.lowest_equity_on {
        Some(d) => writeln!(
            w,
            "lowest equity after a trade {} on {d}",
            fmt_money(s.lowest_equity)
        )?,
        None => writeln!(
            w,
            "lowest equity after a trade {}",
            fmt_money(s.lowest_equity)
        )?,
    }
    if let Some(d) = s.ruined_on {
        writeln!(
            w,
            "RUINED: on {d} the equity fell to $0 or below; the ladder sized on from the strategy's rules, as if the account went on"
        )?;
    }
    writeln!(
        w,
        "hedge loss to credit {}, IRR {}",
        ratio(o.hedge_loss_to_credit),
        irr(o.irr)
    )?;
    if !s.break_evens.is_empty() {
        writeln!(
            w,
            "\nbreak-even prices (short put − credit, short call + credit):"
        )?;
        for b in &s.break_evens {
            writeln!(
                w,
                "  trade {:>4}  {}  {} .. {}",
                b.trade,
                b.date,
                b.lower.normalize(),
                b.upper.normalize()
            )?;
        }
    }
    Ok(())
}
