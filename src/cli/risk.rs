//! `vixshield risk [STRATEGY]`: losing-run odds, stopped-out cycles, the
//! ladder's worst case beside Kelly, and (with `--paths`) a Monte Carlo of the
//! sizing engine.

use super::backtest::{Assumptions, ReportFormat};
use super::common::{MarketArgs, count, count_usize, positive};

/// `--run K`: a whole number ≥ 1, a run being at least one loss.
fn run_length(s: &str) -> Result<u64, String> {
    positive(s).map_err(|e| format!("{e}: a run is at least one loss"))
}
use super::exit;
use crate::money::fmt_percent_f64 as pct;
use crate::money::{fmt_money, share_of_capital};
use crate::risk::{self, TradeStats, exact, monte_carlo};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde::Serialize;
use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Risk of ruin: the exact odds of a run of K losses in N trades, the expected
/// stopped-out cycles, the worst-case cycle loss and the Kelly fraction;
/// with `--paths`, a Monte Carlo of the strategy's sizing engine.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The strategy file (optional when `--run` is given, with `--loss-rate` or `--journal`).
    #[arg(value_name = "STRATEGY")]
    strategy: Option<PathBuf>,
    /// Probability that a trade loses: `0.25` or `25%` (default: measured from `--journal` or `--backtest`).
    #[arg(long, value_name = "Q", allow_hyphen_values = true)]
    loss_rate: Option<String>,
    /// Trades N ≥ 0 (default: as many as the journal or backtest has).
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count)]
    trades: Option<u64>,
    /// Run length K ≥ 1 (default: the strategy's step limit, `sizing.steps`).
    #[arg(long, value_name = "K", allow_hyphen_values = true, value_parser = run_length)]
    run: Option<u64>,
    /// Average win, for Kelly: money (`$1,200`) or a return on risk (`0.25`); its unit must match `--avg-loss`.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    avg_win: Option<String>,
    /// Average loss (a positive amount), for Kelly.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    avg_loss: Option<String>,
    /// Measure the loss rate and average win and loss from this journal.
    #[arg(long, value_name = "FILE", conflicts_with = "backtest")]
    journal: Option<PathBuf>,
    /// Measure them from a backtest of STRATEGY (bundled data unless `--market`).
    #[arg(long)]
    backtest: bool,
    /// Monte Carlo: this many paths through the sizing engine (needs STRATEGY; resamples its backtest).
    #[arg(long, value_name = "P", allow_hyphen_values = true, value_parser = count_usize)]
    paths: Option<usize>,
    /// Monte Carlo seed: the same seed gives the same output whatever the thread count.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 0,
        allow_hyphen_values = true,
        value_parser = count
    )]
    seed: u64,
    /// Monte Carlo draws: mean length of the blocks of consecutive backtest trades a path replays (stationary bootstrap), `1` for independent draws, `auto` for the cube root of the trade count.
    #[arg(long, value_name = "L", default_value = "auto", allow_hyphen_values = true, value_parser = block)]
    block: Block,
    /// Monte Carlo ruin: equity below this share of the initial capital (`50%` or `0.5`).
    #[arg(
        long,
        value_name = "LEVEL",
        default_value = "50%",
        allow_hyphen_values = true
    )]
    ruin_level: String,
    /// `table` or `json`.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// First date of the backtest (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = super::common::parse_date)]
    from: Option<chrono::NaiveDate>,
    /// Last date of the backtest (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = super::common::parse_date)]
    to: Option<chrono::NaiveDate>,
    #[command(flatten)]
    assumptions: Assumptions,
    #[command(flatten)]
    market: MarketArgs,
}

/// Where the loss rate and trade statistics came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Source {
    CommandLine,
    Journal,
    Backtest,
}

#[derive(Serialize)]
struct Ladder {
    /// Steps.
    steps: u32,
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    worst_cycle_loss: Decimal,
    worst_cycle_loss_fraction: f64,
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    deepest_step_size: Decimal,
    deepest_step_fraction: f64,
    /// The worst cycle's and the deepest step's exact shares of capital, as
    /// the table shows them (`check --explain`'s style).
    #[serde(skip)]
    worst_cycle_loss_share: String,
    #[serde(skip)]
    deepest_step_share: String,
    /// The exact probability that some trade of the N is at the last step:
    /// a run of `steps − 1` losses in the first N − 1 trades (with `reset =
    /// on win`; `null` with `reset = on recovery` or a one-step ladder). A
    /// cycle ends at the last step, won or lost, so this is the chance of a
    /// cycle stopped out at the limit, far above P(≥ steps losses in a row).
    p_reach_last_step: Option<f64>,
    /// Its complement, for the table's `1 − c`.
    #[serde(skip)]
    p_not_reach_last_step: f64,
    /// The measured trades' worst cycle, beside the plan (`null` when no
    /// trades were measured through the strategy's engine: no backtest, and
    /// no journal).
    observed_worst_cycle: Option<WorstCycle>,
}

/// The cycle of the measured trades whose condors' running P&L went
/// deepest, as the backtest report ranks its worst cycles.
#[derive(Serialize)]
struct WorstCycle {
    /// Its first trade's entry (a backtest) or close (a journal).
    start: chrono::NaiveDate,
    /// Its last trade's exit or close.
    end: chrono::NaiveDate,
    trades: usize,
    max_step: u32,
    /// The deepest its condors' P&L went, as a loss (`0`: no cycle went
    /// below zero); hedges apart, as the plan counts.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    loss: Decimal,
    loss_fraction: f64,
    #[serde(skip)]
    loss_share: String,
    /// Whether it lost more than the plan's `worst_cycle_loss`: a loss went
    /// past its stop (a gap between two daily marks, or a fill beyond it),
    /// or its trades were sized above the plan's steps (a size of an equity
    /// above the capital), or both.
    beyond_plan: bool,
    /// What its trades' sizes add up to, each lost in full as the plan
    /// counts a step: a loss beyond it passed a stop; one within it but
    /// beyond the plan is the sizes' doing.
    #[serde(skip)]
    sized: Decimal,
}

/// A cycle of the measured trades, before it is set beside the plan.
struct MeasuredCycle {
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
    trades: usize,
    max_step: u32,
    /// The deepest its condors' running P&L went (0 or below).
    trough: Decimal,
    /// Its trades' sizes added up.
    sized: Decimal,
}

/// The cycle whose trough is deepest, the earliest of equals.
fn deepest(cycles: impl IntoIterator<Item = MeasuredCycle>) -> Option<MeasuredCycle> {
    cycles
        .into_iter()
        .min_by(|a, b| a.trough.cmp(&b.trough).then(a.start.cmp(&b.start)))
}

/// Sizes added up, saturating (a journal's amounts near a decimal's limit).
fn sized(sizes: impl IntoIterator<Item = Decimal>) -> Decimal {
    sizes
        .into_iter()
        .fold(Decimal::ZERO, |sum, x| sum.saturating_add(x))
}

#[derive(Serialize)]
struct KellyOut {
    win_rate: f64,
    avg_win: f64,
    avg_loss: f64,
    /// Whether the averages are returns on risk (else dollars).
    on_risk: bool,
    payoff_ratio: f64,
    /// `null` when f* is −∞ (no average win).
    fraction: Option<f64>,
    edge: f64,
    /// Whether the ladder's deepest step risks more of the capital than Kelly.
    deepest_step_exceeds: Option<bool>,
}

#[derive(Serialize)]
struct Out {
    strategy: Option<String>,
    loss_rate: f64,
    loss_rate_source: Source,
    trades: u64,
    run: u64,
    p_losing_run: f64,
    p_no_losing_run: f64,
    expected_stopped_cycles: f64,
    stopped_cycle_rate: f64,
    /// What the measured trades did, beside the odds for independent ones
    /// (only when q and N are the measured ones).
    observed: Option<Observed>,
    measured: Option<TradeStats>,
    ladder: Option<Ladder>,
    kelly: Option<KellyOut>,
    monte_carlo: Option<monte_carlo::Summary>,
    /// The backtest's own path, beside the simulated ones.
    backtest: Option<BacktestPath>,
    /// The journal's own equity (with a strategy, whose capital it starts
    /// from): its lowest and whether it fell to $0 or below (`null`
    /// otherwise, as `backtest` is without one).
    journal: Option<JournalPath>,
    /// How often the measured trades came, and how long N trades take at
    /// that pace.
    pace: Option<Pace>,
}

/// A journal's equity over its trades: the capital plus each trade's P&L
/// and hedge P&L.
#[derive(Serialize)]
struct JournalPath {
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    lowest_equity: Decimal,
    /// The close after which it was lowest (`null`: never below the capital).
    lowest_equity_on: Option<chrono::NaiveDate>,
    /// The first close after which it was $0 or below (`null`: never).
    ruined_on: Option<chrono::NaiveDate>,
}

impl JournalPath {
    fn of(capital: Decimal, closed: &[crate::eval::ClosedTrade]) -> JournalPath {
        let after = closed.iter().scan(capital, |equity, t| {
            *equity = equity
                .saturating_add(t.pnl)
                .saturating_add(t.hedge_pnl.unwrap_or_default());
            Some((t.date, *equity))
        });
        let (lowest_equity, lowest_equity_on, ruined_on) =
            crate::summary::lowest_and_ruin(capital, after);
        JournalPath {
            lowest_equity,
            lowest_equity_on,
            ruined_on,
        }
    }
}

#[derive(Serialize)]
struct Pace {
    /// The measured period: the days the backtest replayed, or the
    /// journal's first and last close.
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    trades_per_year: f64,
    /// N trades at that pace, in years.
    years_for_trades: f64,
    /// Whether the measured trades are a journal's (else a backtest's),
    /// whatever gave q.
    #[serde(skip)]
    journal: bool,
}

/// A measured period: first and last day, the trades' intervals in it, and
/// whether they are a journal's.
type Span = (chrono::NaiveDate, chrono::NaiveDate, usize, bool);

impl Pace {
    /// `intervals` trades over `from..=to` (a backtest's trades fill its
    /// days, a journal's closes are its ends), for `n` trades.
    fn new((from, to, intervals, journal): Span, n: u64) -> Option<Pace> {
        let years = (to - from).num_days() as f64 / 365.25;
        let trades_per_year = intervals as f64 / years;
        (years > 0.0 && intervals > 0).then(|| Pace {
            from,
            to,
            trades_per_year,
            years_for_trades: n as f64 / trades_per_year,
            journal,
        })
    }
}

#[derive(Serialize)]
struct BacktestPath {
    trades: usize,
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    final_equity: Decimal,
    /// At trade exits, as the Monte Carlo measures its paths.
    max_drawdown: f64,
    /// The lowest marked equity, as the backtest's report gives it.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    lowest_equity: Decimal,
    /// The first day it was marked there, as the report gives it.
    lowest_equity_on: Option<chrono::NaiveDate>,
    /// The first day the marked equity was $0 or below (`null`: never).
    ruined_on: Option<chrono::NaiveDate>,
    /// The share of simulated paths (of as many trades) whose drawdown is
    /// at most the backtest's: where it stands among them.
    drawdown_percentile: Option<f64>,
}

#[derive(Serialize)]
struct Observed {
    stopped_cycles: u64,
    longest_losing_run: u64,
    /// P(at least `stopped_cycles`) if trades were independent (Poisson
    /// with the expected count as its mean).
    p_at_least_if_independent: f64,
}

/// Below this, the observed stopped cycles are called clustered.
const CLUSTERED: f64 = 0.01;

/// `--block`: chosen from the trade count, or given.
#[derive(Clone, Copy, Debug)]
enum Block {
    Auto,
    Mean(u32),
}

/// `auto` or a mean block length ≥ 1.
fn block(s: &str) -> Result<Block, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("auto") {
        return Ok(Block::Auto);
    }
    match t.parse::<u32>() {
        Ok(0) => Err("a block is at least one trade; give L ≥ 1 or `auto`".into()),
        Ok(n) => Ok(Block::Mean(n)),
        Err(_) => Err(format!("`{t}` is not a whole number or `auto`")),
    }
}

/// The most trades a Monte Carlo simulates (paths × trades): minutes of work.
const MAX_SIMULATED: u128 = 10_000_000_000;

/// The most paths a Monte Carlo simulates: each path's outcome is kept for
/// the percentiles (about 100 bytes a path, 100 MB at the cap).
const MAX_PATHS: usize = 1_000_000;

/// `--paths P` with N trades a path, within [`MAX_SIMULATED`]; `default_n`
/// says N is the measured count (no `--trades`).
fn check_simulated(p: usize, n: u64, default_n: bool) -> Result<(), String> {
    let total = (p as u128) * u128::from(n);
    if total <= MAX_SIMULATED {
        return Ok(());
    }
    Err(if default_n {
        format!(
            "`--paths {p}` with the backtest's {n} trades a path (the default `--trades`): {total} simulated trades; at most {MAX_SIMULATED} (give fewer paths or `--trades N`)"
        )
    } else {
        format!("`--paths {p} --trades {n}`: {total} simulated trades; at most {MAX_SIMULATED}")
    })
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    say!("error: {msg}");
    exit::trouble()
}

fn parse_amount(flag: &str, s: &str) -> Result<f64, String> {
    // Read as a journal's amounts are: `$1,2` is no amount.
    let d = crate::journal::parse_money(s)
        .map_err(|_| format!("`{flag} {s}`: not an amount (write `$1,200` or `0.25`)"))?;
    if d < Decimal::ZERO {
        return Err(format!("`{flag} {s}`: give a positive amount"));
    }
    d.to_f64()
        .ok_or_else(|| format!("`{flag} {s}`: not an amount"))
}

pub fn run(args: Args, color: bool) -> ExitCode {
    match go(args, color) {
        Ok(code) | Err(code) => code,
    }
}

fn go(args: Args, color: bool) -> Result<ExitCode, ExitCode> {
    // Validate the plain flags first: usage errors before any work.
    super::common::date_range(args.from, args.to)?;
    let flag_q = args
        .loss_rate
        .as_deref()
        .map(risk::parse_probability)
        .transpose()
        .map_err(|e| usage(format!("`--loss-rate`: {e}")))?;
    let ruin_level = risk::parse_probability(&args.ruin_level)
        .map_err(|e| usage(format!("`--ruin-level`: {e}")))?;
    let avg_win = args
        .avg_win
        .as_deref()
        .map(|s| parse_amount("--avg-win", s))
        .transpose()
        .map_err(usage)?;
    let avg_loss = args
        .avg_loss
        .as_deref()
        .map(|s| parse_amount("--avg-loss", s))
        .transpose()
        .map_err(usage)?;
    if avg_win.is_some() != avg_loss.is_some() {
        return Err(usage(
            "Kelly needs both `--avg-win` and `--avg-loss` (in the same unit)",
        ));
    }
    // One unit for both: b = win / loss of dollars over a return is no ratio.
    if let (Some(w), Some(l)) = (args.avg_win.as_deref(), args.avg_loss.as_deref()) {
        let money = |s: &str| s.contains('$');
        if money(w) != money(l) {
            let unit = |s: &str| {
                if money(s) {
                    "money"
                } else {
                    "a return on risk"
                }
            };
            return Err(usage(format!(
                "`--avg-win {w}` is {} but `--avg-loss {l}` is {}; give both in dollars (`$1,200`) or both as returns on risk (`0.25`)",
                unit(w),
                unit(l)
            )));
        }
    }
    if avg_loss == Some(0.0) {
        return Err(usage("`--avg-loss`: must be above zero"));
    }
    // In dollars, a loss is at least a cent, as a journal's amounts are.
    if let (Some(l), Some(text)) = (avg_loss, args.avg_loss.as_deref())
        && text.contains('$')
        && l < 0.01
    {
        return Err(usage(format!(
            "`--avg-loss {text}`: below a cent; an average loss in dollars is at least $0.01"
        )));
    }
    if args.paths == Some(0) {
        return Err(usage("`--paths 0`: give at least one path"));
    }
    if let Some(p) = args.paths
        && p > MAX_PATHS
    {
        return Err(usage(format!(
            "`--paths {p}`: at most {MAX_PATHS} paths (each path's outcome is kept for the percentiles)"
        )));
    }
    if let (Some(p), Some(n)) = (args.paths, args.trades) {
        check_simulated(p, n, false).map_err(usage)?;
    }
    let needs_backtest = args.backtest || args.paths.is_some();
    if needs_backtest && args.strategy.is_none() {
        return Err(usage(if args.paths.is_some() {
            "the Monte Carlo (`--paths`) resamples a backtest of the strategy: give STRATEGY"
        } else {
            "`--backtest` needs STRATEGY"
        }));
    }

    // The strategy, its compiled graph, and what is measured.
    let (env, plugins) = super::common::env(&args.market.plugins)?;
    let config = args.assumptions.config(args.from, args.to);
    let mut measured: Option<(TradeStats, Source)> = None;
    let mut journal_path: Option<JournalPath> = None;
    // The measured trades' losses, in order.
    let mut losses: Vec<bool> = Vec::new();
    let mut bt = None;
    // The measured trades' deepest cycle, when the engine gave their steps.
    let mut worst_measured: Option<MeasuredCycle> = None;
    // The measured period and its trades (as `Pace::new` counts them).
    let mut span: Option<Span> = None;
    let strategy = match (&args.strategy, needs_backtest) {
        (Some(path), true) => {
            let (s, b) = super::backtest::load_and_run(path, &args.market, &config, color)?;
            // The measured returns are those of the contracts traded.
            super::backtest::contracts_capped_warning(&b, "");
            measured = Some((
                TradeStats::from_trades(b.trades.iter().map(|t| (t.pnl, Some(t.size)))),
                Source::Backtest,
            ));
            losses = b.trades.iter().map(|t| t.pnl < Decimal::ZERO).collect();
            // The cycles as the backtest report splits them.
            worst_measured = deepest(
                crate::decision::cycles(&b.decisions, b.trades.len())
                    .into_iter()
                    .filter_map(|c| {
                        let t = b.trades.get(c.trades)?;
                        Some(MeasuredCycle {
                            start: t.first()?.entry,
                            end: t.last()?.exit,
                            trades: t.len(),
                            max_step: t.iter().map(|x| x.step).max()?,
                            trough: crate::decision::trough(t.iter().map(|x| x.pnl)),
                            sized: sized(t.iter().map(|x| x.size)),
                        })
                    }),
            );
            if let (Some(first), Some(last)) = (b.days.first(), b.days.last()) {
                span = Some((first.date, last.date, b.trades.len(), false));
            }
            bt = Some(b);
            Some(s)
        }
        (Some(path), false) => Some(super::common::load_strategy(path, &env, color)?),
        (None, _) => None,
    };
    let compiled = match &strategy {
        Some(s) => Some(super::common::compile_strategy(s, &plugins)?),
        None => None,
    };
    if let Some(path) = &args.journal {
        let (trades, closed) = super::common::load_journal(path)?;
        // Sizes from the strategy's engine when there is one: returns on risk.
        let decisions = match (&strategy, &compiled) {
            (Some(s), Some(c)) => match crate::eval::run(s, c, None, &closed) {
                Ok(d) => d,
                Err(e) => {
                    say!("error: {}", super::run::journal_error(path, &trades, &e));
                    return Err(exit::findings());
                }
            },
            _ => Vec::new(),
        };
        let sizes: Vec<Option<Decimal>> = decisions.iter().map(|d| Some(d.size)).collect();
        if !decisions.is_empty() {
            worst_measured = deepest(
                crate::decision::cycles(&decisions, closed.len())
                    .into_iter()
                    .filter_map(|c| {
                        // The trades, and the decisions they were taken at.
                        let t = closed.get(c.trades.clone())?;
                        let d = decisions.get(c.trades)?;
                        Some(MeasuredCycle {
                            start: t.first()?.date,
                            end: t.last()?.date,
                            trades: t.len(),
                            max_step: d.iter().map(|d| d.step).max()?,
                            trough: crate::decision::trough(t.iter().map(|t| t.pnl)),
                            sized: sized(d.iter().map(|d| d.size)),
                        })
                    }),
            );
        }
        measured = Some((
            TradeStats::from_trades(
                closed
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.pnl, sizes.get(i).copied().flatten())),
            ),
            Source::Journal,
        ));
        losses = closed.iter().map(|t| t.pnl < Decimal::ZERO).collect();
        journal_path = strategy
            .as_ref()
            .map(|s| JournalPath::of(s.account.capital, &closed));
        let dates = closed.iter().map(|t| t.date);
        span = dates
            .clone()
            .min()
            .zip(dates.max())
            .map(|(a, b)| (a, b, closed.len().saturating_sub(1), true));
    }

    let (q, source) = match (flag_q, &measured) {
        (Some(q), _) => (q, Source::CommandLine),
        (None, Some((m, src))) if m.trades > 0 => (m.loss_rate, *src),
        (None, Some(_)) => {
            // A backtest that traded nothing: say why, as `backtest` would.
            let why = bt
                .as_ref()
                .and_then(|b| b.skips.first().map(|f| (b.skips.len(), f)))
                .map_or(String::from("; give"), |(n, f)| {
                    format!(
                        ": the backtest skipped all {n} entries, the first on {} because {} \
                         (`vixshield backtest` shows every reason); fix the strategy, or give",
                        f.date, f.reason
                    )
                });
            return Err(usage(format!(
                "no trades to measure the loss rate from{why} `--loss-rate Q`"
            )));
        }
        (None, None) => {
            return Err(usage(
                "give the loss rate: `--loss-rate Q`, `--journal FILE` or `--backtest`",
            ));
        }
    };
    let n = match (args.trades, &measured) {
        (Some(n), _) => n,
        (None, Some((m, _))) => m.trades as u64,
        (None, None) => return Err(usage("give the number of trades: `--trades N`")),
    };
    let k = match (args.run, &strategy) {
        (Some(k), _) => k,
        (None, Some(s)) => u64::from(s.sizing.steps),
        (None, None) => {
            return Err(usage(
                "give the run length `--run K`, or a STRATEGY (K is then its step limit)",
            ));
        }
    };
    let fail = |e: exact::OddsError| usage(e);
    let odds = exact::losing_run(q, k, n).map_err(fail)?;
    let cycles = exact::expected_stopped_cycles(q, k, n).map_err(fail)?;
    let observed = (source != Source::CommandLine && args.trades.is_none()).then(|| {
        let runs = risk::observed_runs(losses.iter().copied(), k);
        Observed {
            stopped_cycles: runs.stopped_cycles,
            longest_losing_run: runs.longest_losing_run,
            p_at_least_if_independent: risk::poisson_tail(cycles, runs.stopped_cycles),
        }
    });

    // The ladder's worst case.
    let ladder = match &strategy {
        Some(s) => {
            let e = crate::check::exposure::analyze(&s.sizing, &s.account).map_err(|e| {
                say!("error: the ladder: {e}");
                exit::findings()
            })?;
            let capital = s.account.capital;
            let frac = |d: Decimal| {
                d.checked_div(capital)
                    .and_then(|x| x.to_f64())
                    .unwrap_or(0.0)
            };
            let deepest_size = e.rungs.last().map_or(Decimal::ZERO, |r| r.size.size);
            // The last step is reached after `steps − 1` losses in a row
            // (a win resets to step 1), and played on the trade after.
            let steps = u64::from(s.sizing.steps);
            let reach = (s.sizing.reset == crate::model::Reset::OnWin && steps >= 2)
                .then(|| exact::losing_run(q, steps - 1, n.saturating_sub(1)))
                .transpose()
                .map_err(fail)?;
            Some(Ladder {
                p_reach_last_step: reach.as_ref().map(|r| r.p_losing_run),
                p_not_reach_last_step: reach.as_ref().map_or(1.0, |r| r.p_no_losing_run),
                steps: s.sizing.steps,
                worst_cycle_loss: e.cycle_risk,
                worst_cycle_loss_fraction: frac(e.cycle_risk),
                deepest_step_size: deepest_size,
                deepest_step_fraction: frac(deepest_size),
                worst_cycle_loss_share: share_of_capital(e.cycle_risk, capital),
                deepest_step_share: share_of_capital(deepest_size, capital),
                observed_worst_cycle: worst_measured.map(|c| {
                    let loss = -c.trough;
                    WorstCycle {
                        start: c.start,
                        end: c.end,
                        trades: c.trades,
                        max_step: c.max_step,
                        loss,
                        loss_fraction: frac(loss),
                        loss_share: share_of_capital(loss, capital),
                        beyond_plan: loss > e.cycle_risk,
                        sized: c.sized,
                    }
                }),
            })
        }
        None => None,
    };

    // Kelly: the command line's averages, else the measured ones.
    let inputs = match (avg_win, avg_loss, &measured) {
        // Returns on risk unless written as money (one unit for both,
        // checked above).
        (Some(w), Some(l), _) => Some((
            w,
            l,
            !args.avg_win.as_deref().is_some_and(|s| s.contains('$')),
        )),
        (_, _, Some((m, _))) if m.losses > 0 => Some((m.avg_win, m.avg_loss, m.on_risk)),
        _ => None,
    };
    let kelly = match inputs {
        Some((w, l, on_risk)) => risk::kelly(q, w, l).map(|k| KellyOut {
            win_rate: 1.0 - q,
            avg_win: w,
            avg_loss: l,
            on_risk,
            payoff_ratio: k.payoff_ratio,
            fraction: k.fraction,
            edge: k.edge,
            deepest_step_exceeds: ladder
                .as_ref()
                // Any stake exceeds an f* of −∞.
                .map(|d| k.fraction.is_none_or(|f| d.deepest_step_fraction > f)),
        }),
        None => None,
    };

    // The Monte Carlo, and its paths' drawdowns.
    let mut drawdowns: Vec<f64> = Vec::new();
    let mc = match (args.paths, &strategy, &compiled, &bt) {
        (Some(paths), Some(s), Some(c), Some(b)) => {
            // N is known only now when it is the backtest's trade count.
            check_simulated(paths, n, args.trades.is_none()).map_err(usage)?;
            let samples = monte_carlo::samples(b);
            let cfg = monte_carlo::Config {
                paths,
                trades: usize::try_from(n).unwrap_or(usize::MAX),
                seed: args.seed,
                ruin_level,
                run: u32::try_from(k).unwrap_or(u32::MAX),
                block: match args.block {
                    Block::Auto => monte_carlo::auto_block(samples.len()),
                    Block::Mean(l) => l,
                },
            };
            let bar = if std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(paths as u64)
            } else {
                indicatif::ProgressBar::hidden()
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} paths")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_prefix("monte carlo");
            let r = monte_carlo::simulate_paths(s, c, &samples, &cfg, &|| bar.inc(1));
            bar.finish_and_clear();
            let paths = r.map_err(|e| {
                say!("error: {e}");
                exit::findings()
            })?;
            drawdowns = paths.iter().map(|p| p.max_drawdown).collect();
            Some(monte_carlo::summarize(&paths, &samples, &cfg))
        }
        _ => None,
    };

    let out = Out {
        strategy: strategy.as_ref().map(|s| s.name.clone()),
        loss_rate: q,
        loss_rate_source: source,
        trades: n,
        run: k,
        p_losing_run: odds.p_losing_run,
        p_no_losing_run: odds.p_no_losing_run,
        expected_stopped_cycles: cycles,
        stopped_cycle_rate: exact::stopped_cycle_rate(q, k),
        observed,
        measured: measured.map(|(m, _)| m),
        ladder,
        kelly,
        monte_carlo: mc,
        backtest: match (&bt, &strategy) {
            (Some(b), Some(s)) => {
                let r = crate::backtest::report::report(b, s.account.capital);
                let comparable = !drawdowns.is_empty() && n == r.trades as u64;
                Some(BacktestPath {
                    trades: r.trades,
                    final_equity: r.final_equity,
                    max_drawdown: r.max_drawdown,
                    lowest_equity: r.lowest_equity,
                    lowest_equity_on: r.lowest_equity_on,
                    ruined_on: r.ruined_on,
                    drawdown_percentile: comparable.then(|| {
                        drawdowns.iter().filter(|&&d| d <= r.max_drawdown).count() as f64
                            / drawdowns.len() as f64
                    }),
                })
            }
            _ => None,
        },
        journal: journal_path,
        pace: span.and_then(|span| Pace::new(span, n)),
    };
    let written = super::output::print(|w| match args.format {
        ReportFormat::Json => writeln!(
            w,
            "{}",
            serde_json::to_string_pretty(&out).unwrap_or_default()
        ),
        ReportFormat::Table => table(w, &out),
    });
    Ok(match written {
        Ok(()) => exit::ok(),
        Err(code) => code,
    })
}

/// An exact probability `p` beside its complement `c` (each computed on its
/// own, so a tiny one keeps its digits): six decimals, a tiny one in
/// scientific notation, one within 10⁻⁴ of 1 as `1 − c`. `0` and `1` only
/// when they are exact (`exact_zero`, `exact_one`): a value that is not but
/// rounds there in `f64` is said to be beyond the smallest `f64`.
/// A length in years for people: `25.6 years`, `8 months`.
fn years(y: f64) -> String {
    if y < 1.0 {
        let m = (y * 12.0).round().max(1.0);
        format!("{m:.0} month{}", if m == 1.0 { "" } else { "s" })
    } else if y < 100.0 {
        format!("{y:.1} years")
    } else {
        format!("{y:.0} years")
    }
}

fn prob(p: f64, c: f64, exact_zero: bool, exact_one: bool) -> String {
    if exact_zero {
        "0".into()
    } else if exact_one {
        "1".into()
    } else if p < 1e-4 {
        tiny(p)
    } else if c < 1e-4 {
        match tiny(c).strip_prefix("below ") {
            Some(bound) => format!("above 1 − {bound}"),
            None => format!("1 − {}", tiny(c)),
        }
    } else {
        format!("{p:.6}")
    }
}

/// A small positive number in scientific notation; one that underflowed
/// to 0 in `f64` (it is not 0) as `below 2.2e-308`.
fn tiny(x: f64) -> String {
    if x < f64::MIN_POSITIVE {
        format!("below {:.1e}", f64::MIN_POSITIVE)
    } else {
        format!("{x:.6e}")
    }
}

/// `(1 in X)` after a probability, when it says something: not for 0, 1,
/// or a probability within 10⁻⁴ of either end that its `1 − c` or its
/// bound already says.
fn one_in(p: f64, c: f64, exact_zero: bool, exact_one: bool) -> String {
    if exact_zero || exact_one || p < f64::MIN_POSITIVE || c < 1e-4 {
        String::new()
    } else if p < 1e-4 {
        format!(" (1 in {:.3e})", 1.0 / p)
    } else {
        format!(" (1 in {:.1})", 1.0 / p)
    }
}

/// An expected count: six decimals, a tiny non-zero one in scientific
/// notation (never `0.000000` for a count that is not 0).
fn count_f(x: f64, exact_zero: bool) -> String {
    if exact_zero {
        format!("{:.6}", 0.0)
    } else if x < 1e-4 {
        tiny(x)
    } else {
        format!("{x:.6}")
    }
}

/// A percentage that is not `0.00%` unless it is 0: two decimals, or two
/// significant digits when smaller (`0.0030%`, `4.0e-7%`).
fn pct_sig(x: f64) -> String {
    pct_digits(x, 0.01)
}

/// As [`pct_sig`], two significant digits below `from` percent.
fn pct_digits(x: f64, from: f64) -> String {
    let p = x * 100.0;
    if x <= 0.0 || p >= from {
        pct(x)
    } else if p >= 1e-6 {
        let d = usize::try_from(1 - p.log10().floor() as i64).unwrap_or(2);
        format!("{p:.d$}%")
    } else {
        format!("{p:.1e}%")
    }
}

/// A share of the Monte Carlo's paths with its standard error,
/// `√(x(1 − x)/P)`: `1.62% ± 0.09%`. None or all of the paths is said so,
/// with the one-sided 95% bound `1 − 0.05^(1/P)` (about 3/P): the
/// probability is not 0 or 1 for having not been seen.
fn mc_share(x: f64, paths: usize) -> String {
    let n = paths as f64;
    // Two significant digits: 20,000 paths bound it at 0.015%.
    let bound = pct_digits(1.0 - 0.05_f64.powf(1.0 / n), 1.0);
    if x <= 0.0 {
        format!("0 of {paths} paths (under {bound} at 95% confidence)")
    } else if x >= 1.0 {
        format!("all {paths} paths (within {bound} of 100% at 95% confidence)")
    } else {
        // Both to two decimals, or more when the error is below 0.01%
        // (two of its significant digits): `0.0100% ± 0.0071%`.
        let se = (x * (1.0 - x) / n).sqrt() * 100.0;
        let d = if se >= 0.01 {
            2
        } else {
            usize::try_from(1 - se.log10().floor() as i64).unwrap_or(2)
        };
        format!("{:.d$}% ± {se:.d$}%", x * 100.0)
    }
}

/// A fraction given as an `f64` as the percentage its shortest decimal
/// says: `0.5` is `50%`, `0.125` is `12.5%`.
fn exact_pct(x: f64) -> String {
    format!("{x}")
        .parse::<Decimal>()
        .map_or_else(|_| pct(x), crate::money::fmt_percent)
}

/// A probability in a few digits: `0.23`, `3.9e-6`.
fn short_prob(p: f64) -> String {
    if p == 0.0 || p == 1.0 {
        format!("{p}")
    } else if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn table(w: &mut dyn Write, o: &Out) -> std::io::Result<()> {
    match &o.strategy {
        Some(name) => writeln!(w, "risk of `{name}`")?,
        None => writeln!(w, "risk")?,
    }
    writeln!(w)?;
    let src = match o.loss_rate_source {
        Source::CommandLine => "given".to_string(),
        Source::Journal => format!(
            "journal, {} trades",
            o.measured.as_ref().map_or(0, |m| m.trades)
        ),
        Source::Backtest => format!(
            "backtest, {} trades",
            o.measured.as_ref().map_or(0, |m| m.trades)
        ),
    };
    // Exactly 0 (no run possible) and exactly 1 (every trade loses, and
    // there are enough of them), as docs/risk.md's edge cases say.
    let none = o.loss_rate == 0.0 || o.run > o.trades;
    let all = o.loss_rate == 1.0 && o.run <= o.trades;
    let mut rows: Vec<(String, String)> = vec![
        (
            "loss rate q".into(),
            format!("{} ({src})", pct_sig(o.loss_rate)),
        ),
        (
            "trades N".into(),
            match &o.pace {
                Some(p) => format!(
                    "{} (about {} at the {} pace, {:.1} a year)",
                    o.trades,
                    years(p.years_for_trades),
                    if p.journal { "journal's" } else { "backtest's" },
                    p.trades_per_year
                ),
                None => o.trades.to_string(),
            },
        ),
        ("run K".into(), o.run.to_string()),
        (
            format!("P(≥ {} losses in a row)", o.run),
            format!(
                "{}{}",
                prob(o.p_losing_run, o.p_no_losing_run, none, all),
                one_in(o.p_losing_run, o.p_no_losing_run, none, all)
            ),
        ),
        (
            "P(no such run)".into(),
            prob(o.p_no_losing_run, o.p_losing_run, all, none),
        ),
        (
            // Cycles the model stops: runs of K losses (the engine also
            // stops one whose step-K trade wins but leaves it negative).
            format!("expected runs of {} losses", o.run),
            format!(
                "{} (long run: one per {} trades)",
                count_f(o.expected_stopped_cycles, none),
                if o.stopped_cycle_rate > 0.0 {
                    let every = 1.0 / o.stopped_cycle_rate;
                    if every >= 1e6 {
                        format!("{every:.3e}")
                    } else if every >= 100.0 {
                        format!("{every:.0}")
                    } else {
                        format!("{every:.1}")
                    }
                } else if o.loss_rate > 0.0 {
                    // q^K underflowed: not never.
                    format!("more than {:.1e}", f64::MAX)
                } else {
                    "∞".into()
                }
            ),
        ),
    ];
    // The trades measured come from a journal or a backtest that went
    // broke: say so before any odds computed from them.
    if let Some(j) = &o.journal
        && let Some(d) = j.ruined_on
    {
        rows.insert(
            1,
            (
                "RUINED".into(),
                format!(
                    "the journal's equity fell to $0 or below on {d} (lowest {})",
                    fmt_money(j.lowest_equity)
                ),
            ),
        );
    }
    if let Some(b) = &o.backtest
        && let Some(d) = b.ruined_on
    {
        rows.insert(
            1,
            (
                "RUINED".into(),
                format!(
                    "the backtest's marked equity fell to $0 or below on {d} (lowest {})",
                    fmt_money(b.lowest_equity)
                ),
            ),
        );
    }
    for (k, v) in rows {
        writeln!(w, "{k:<28}{v}")?;
    }
    if let Some(obs) = &o.observed {
        let what = match o.loss_rate_source {
            Source::Journal => "the journal",
            _ => "the backtest",
        };
        write!(
            w,
            "{:<28}{} in {what}, longest losing run {}",
            format!("observed runs of {} losses", o.run),
            obs.stopped_cycles,
            obs.longest_losing_run,
        )?;
        // P(≥ 0) is 1 whatever the trades: nothing to compare.
        if obs.stopped_cycles > 0 {
            write!(
                w,
                "; P(≥ {}) = {} if trades were independent",
                obs.stopped_cycles,
                short_prob(obs.p_at_least_if_independent),
            )?;
        }
        writeln!(w)?;
        if obs.p_at_least_if_independent < CLUSTERED {
            writeln!(
                w,
                "note: {what}'s losses cluster; the odds above assume independent trades and understate the risk{}",
                if o.monte_carlo.is_some() {
                    ""
                } else {
                    " (the Monte Carlo, `--paths`, replays blocks of consecutive trades)"
                }
            )?;
        }
    }
    if let Some(l) = &o.ladder {
        writeln!(
            w,
            "{:<28}{} ({} of capital, {} steps lost in full)",
            "worst cycle loss",
            fmt_money(l.worst_cycle_loss),
            l.worst_cycle_loss_share,
            l.steps
        )?;
        if let Some(c) = &l.observed_worst_cycle {
            let label = if o.backtest.is_some() {
                "worst cycle in the backtest"
            } else {
                "worst cycle in the journal"
            };
            if c.loss <= Decimal::ZERO {
                writeln!(w, "{label:<28}none went below $0")?;
            } else {
                writeln!(
                    w,
                    "{label:<28}{} ({} of capital), {} .. {}, {} trade{}, deepest step {}{}",
                    fmt_money(c.loss),
                    c.loss_share,
                    c.start,
                    c.end,
                    c.trades,
                    if c.trades == 1 { "" } else { "s" },
                    c.max_step,
                    if c.beyond_plan {
                        // Past its own sizes lost in full: a stop was passed;
                        // within them, the plan's steps were sized smaller.
                        let why = if c.loss > c.sized {
                            "a loss went past its stop".to_string()
                        } else {
                            format!(
                                "its trades were sized above the plan's steps ({} in all, \
                                 more than it lost)",
                                fmt_money(c.sized)
                            )
                        };
                        format!(
                            "; {} over the planned worst: {why}",
                            fmt_money(c.loss - l.worst_cycle_loss)
                        )
                    } else {
                        String::new()
                    }
                )?;
            }
        }
        writeln!(
            w,
            "{:<28}{} ({} of capital)",
            format!("deepest step ({})", l.steps),
            fmt_money(l.deepest_step_size),
            l.deepest_step_share
        )?;
        if let Some(p) = l.p_reach_last_step {
            let (c, n) = (l.p_not_reach_last_step, o.trades);
            let none = o.loss_rate == 0.0 || n < u64::from(l.steps);
            let all = o.loss_rate == 1.0 && n >= u64::from(l.steps);
            writeln!(
                w,
                "{:<28}{}{} in {n} trades: after {} losses in a row; the cycle ends there, won or lost",
                format!("P(reaching step {})", l.steps),
                prob(p, c, none, all),
                one_in(p, c, none, all),
                l.steps - 1
            )?;
        }
    }
    if let Some(k) = &o.kelly {
        let unit = |x: f64| {
            if k.on_risk {
                format!("{:.4} of risk", x)
            } else {
                // Dollars (a journal's without STRATEGY, or `$` flags).
                // Past Decimal's range (a flag near its limit, read as f64).
                Decimal::from_f64_retain(x).map_or_else(
                    || format!("${x:.3e}"),
                    |d| {
                        fmt_money(d.round_dp_with_strategy(
                            2,
                            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                        ))
                    },
                )
            }
        };
        writeln!(
            w,
            "{:<28}p = {:.4}, avg win {}, avg loss {}, b = {:.4}",
            "Kelly inputs",
            k.win_rate,
            unit(k.avg_win),
            unit(k.avg_loss),
            k.payoff_ratio
        )?;
        let deepest = o.ladder.as_ref().map_or_else(String::new, |l| {
            format!(", {} of capital,", l.deepest_step_share)
        });
        let verdict = match k.deepest_step_exceeds {
            Some(true) => format!(" — the deepest step{deepest} EXCEEDS it"),
            Some(false) => format!(" — the deepest step{deepest} is below it"),
            None => String::new(),
        };
        let edge = if k.fraction.is_none_or(|f| f <= 0.0) {
            " (no edge: Kelly says do not bet)"
        } else {
            ""
        };
        writeln!(
            w,
            "{:<28}f* = p − q/b = {}{edge}{verdict}",
            "Kelly fraction",
            k.fraction
                .map_or_else(|| "−∞ (the average win is 0)".to_string(), pct)
        )?;
    }
    if let Some(m) = &o.monte_carlo {
        writeln!(w)?;
        let draws = if m.block <= 1 {
            "one at a time (independent)".to_string()
        } else {
            format!("in blocks of {} on average (stationary bootstrap)", m.block)
        };
        writeln!(
            w,
            "Monte Carlo: {} paths × {} trades, seed {}, {} backtest returns resampled {draws}",
            m.paths, m.trades, m.seed, m.samples
        )?;
        if let Some(worst) = m.worst_return {
            writeln!(
                w,
                "  no path draws a trade worse than the backtest's worst, {}× its size \
                 (condor and hedges): a loss history did not have is not in these paths",
                worst.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero
                )
            )?;
        }
        writeln!(
            w,
            "{:<28}{:>12} {:>12} {:>12} {:>12} {:>12}",
            "percentile", "5%", "25%", "50%", "75%", "95%"
        )?;
        let e = &m.final_equity;
        writeln!(
            w,
            "{:<28}{:>12} {:>12} {:>12} {:>12} {:>12}",
            "final equity",
            fmt_money(e.p5),
            fmt_money(e.p25),
            fmt_money(e.p50),
            fmt_money(e.p75),
            fmt_money(e.p95)
        )?;
        let d = &m.max_drawdown;
        writeln!(
            w,
            "{:<28}{:>12} {:>12} {:>12} {:>12} {:>12}",
            "max drawdown",
            pct(d.p5),
            pct(d.p25),
            pct(d.p50),
            pct(d.p75),
            pct(d.p95)
        )?;
        let share = |x: f64| mc_share(x, m.paths);
        writeln!(w, "{:<28}{}", "P(drawdown ≥ 25%)", share(m.p_drawdown_25))?;
        writeln!(w, "{:<28}{}", "P(drawdown ≥ 50%)", share(m.p_drawdown_50))?;
        writeln!(
            w,
            "{:<28}{}; ruin is equity ever below {} of the initial capital (`--ruin-level`)",
            "P(ruin)",
            share(m.p_ruin),
            exact_pct(m.ruin_level)
        )?;
        writeln!(
            w,
            "{:<28}{}",
            format!("P(≥ {} losses in a row)", m.run),
            share(m.p_losing_run)
        )?;
        writeln!(
            w,
            "{:<28}{:.4}",
            "mean stopped cycles", m.mean_stopped_cycles
        )?;
        if let Some(b) = &o.backtest {
            writeln!(
                w,
                "{:<28}final equity {}, max drawdown {} ({} trades{})",
                "the backtest itself",
                fmt_money(b.final_equity),
                pct(b.max_drawdown),
                b.trades,
                b.drawdown_percentile.map_or(String::new(), |p| format!(
                    "; {} of the simulated drawdowns are at most this",
                    pct(p)
                ))
            )?;
        }
    }
    Ok(())
}
