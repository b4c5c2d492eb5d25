//! `vixshield backtest STRATEGY`: the strategy over real SPX/VIX history.

use super::common::{self, MarketArgs};
use super::exit;
use crate::backtest::{self, Backtest, Config, report};
use crate::money::fmt_money;
use crate::money::fmt_percent_f64 as pct;
use rust_decimal::Decimal;
use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of `backtest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Table,
    /// The report as JSON (snake_case keys).
    Json,
}

/// Replay a strategy over real SPX/VIX history (bundled data by default).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The strategy file.
    #[arg(value_name = "STRATEGY")]
    strategy: PathBuf,
    /// First date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = super::common::parse_date)]
    from: Option<chrono::NaiveDate>,
    /// Last date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = super::common::parse_date)]
    to: Option<chrono::NaiveDate>,
    /// `table` or `json`.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// Export every trade to this file: CSV, or JSON when its name ends in `.json`.
    #[arg(long, value_name = "FILE")]
    trades: Option<PathBuf>,
    /// Export every market day of the backtest (date, marked and closed equity, step, VIX, whether a hedge trigger fired, capital at risk) to this file: CSV, or JSON when its name ends in `.json`.
    #[arg(long, value_name = "FILE")]
    equity: Option<PathBuf>,
    /// Draw the marked equity with its running peak, the step ladder and VIX with hedge triggers to this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,
    /// How many of the worst cycles (by trough) the report lists.
    #[arg(long, value_name = "N", default_value_t = report::WORST_CYCLES, allow_hyphen_values = true, value_parser = super::common::count_usize)]
    worst: usize,
    #[command(flatten)]
    assumptions: Assumptions,
    #[command(flatten)]
    market: MarketArgs,
}

/// The backtest's assumptions (docs/backtest.md). Each flag's
/// value is checked against the range the model gives it meaning in when the
/// command line is read: a usage error names the flag, the value and the range.
#[derive(clap::Args, Debug, Clone)]
pub struct Assumptions {
    /// Commission per contract per leg, dollars in whole cents, 0 to 10.
    #[arg(long, default_value = "0.65", allow_hyphen_values = true, value_parser = commission)]
    commission: Decimal,
    /// Slippage per leg, SPX points (an XSP leg takes a tenth), 0 to 1.
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true, value_parser = slippage)]
    slippage: f64,
    /// Volatility added to VIX/100 for SPX puts, −0.2 to 0.2.
    #[arg(long, default_value_t = 0.04, allow_hyphen_values = true, value_parser = skew)]
    put_skew: f64,
    /// Volatility added to VIX/100 for SPX calls, −0.2 to 0.2.
    #[arg(long, default_value_t = -0.02, allow_hyphen_values = true, value_parser = skew)]
    call_skew: f64,
    /// Annualized volatility of VIX (Black-76 for the hedges), 0.2 to 3.
    #[arg(long, default_value_t = 0.9, allow_hyphen_values = true, value_parser = vol_of_vol)]
    vol_of_vol: f64,
    /// Hedge call strike as a multiple of the VIX forward, 0.5 to 3.
    #[arg(long, default_value_t = 1.2, allow_hyphen_values = true, value_parser = hedge_otm)]
    hedge_otm: f64,
    /// Short strike of hedge spreads as a multiple of the long strike, above 1, at most 3.
    #[arg(long, default_value_t = 1.5, allow_hyphen_values = true, value_parser = spread_width)]
    spread_width: f64,
}

/// A finite number within `lo` (excluded when `lo_open`) and `hi`, else why not.
fn in_range(s: &str, lo: f64, lo_open: bool, hi: f64, what: &str) -> Result<f64, String> {
    let range = if lo_open {
        format!("above {lo} and at most {hi}")
    } else {
        format!("from {lo} to {hi}")
    };
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("not a number; {what} is {range}"))?;
    let low_ok = if lo_open { x > lo } else { x >= lo };
    if !x.is_finite() || !low_ok || x > hi {
        return Err(format!("{what} is {range}"));
    }
    Ok(x)
}

fn commission(s: &str) -> Result<Decimal, String> {
    const WHAT: &str = "a commission per contract per leg is from $0 to $10, in whole cents";
    // Read as a journal's amounts are (`$0.65`; `0,65` is no amount).
    let d = crate::journal::parse_money(s).map_err(|_| format!("not an amount; {WHAT}"))?;
    // Whole cents: a fraction of a cent would leave every cost, P&L and
    // equity after it off the cent (`0.655` made a hedge cost $79.235).
    if d < Decimal::ZERO || d > Decimal::TEN || d != d.round_dp(2) {
        return Err(WHAT.into());
    }
    Ok(d)
}

fn slippage(s: &str) -> Result<f64, String> {
    in_range(s, 0.0, false, 1.0, "slippage per leg, in index points,")
}

fn skew(s: &str) -> Result<f64, String> {
    in_range(s, -0.2, false, 0.2, "a skew (volatility added to VIX/100)")
}

fn vol_of_vol(s: &str) -> Result<f64, String> {
    in_range(s, 0.2, false, 3.0, "the volatility of VIX")
}

fn hedge_otm(s: &str) -> Result<f64, String> {
    in_range(
        s,
        0.5,
        false,
        3.0,
        "the hedge strike's multiple of the VIX forward",
    )
}

fn spread_width(s: &str) -> Result<f64, String> {
    in_range(
        s,
        1.0,
        true,
        3.0,
        "the spread's short strike, a multiple of the long strike,",
    )
}

impl Assumptions {
    pub(crate) fn config(
        &self,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Config {
        Config {
            from,
            to,
            commission: self.commission,
            slippage: self.slippage,
            put_skew: self.put_skew,
            call_skew: self.call_skew,
            vol_of_vol: self.vol_of_vol,
            hedge_otm: self.hedge_otm,
            spread_width: self.spread_width,
            ..Config::default()
        }
    }
}

/// Loads, compiles and runs a backtest (shared with `diff`).
pub(crate) fn load_and_run(
    strategy: &std::path::Path,
    market: &MarketArgs,
    config: &Config,
    color: bool,
) -> Result<(crate::model::Strategy, Backtest), ExitCode> {
    let (env, plugins) = common::env(&market.plugins)?;
    let s = common::load_strategy(strategy, &env, color)?;
    let compiled = common::compile_strategy(&s, &plugins)?;
    let Some((m, cal)) = common::load_market(market, crate::check::expr::SERIES)? else {
        say!("error: a backtest needs market data; drop `--no-market`");
        return Err(exit::trouble());
    };
    let values = common::market_values(&compiled, &plugins, &m, &cal)?;
    let bt = simulate(&s, &compiled, &m, &values, config)?;
    Ok((s, bt))
}

/// Runs a loaded strategy's backtest with a progress bar on a terminal
/// (shared with `diff`, which loads the market once for both versions).
pub(crate) fn simulate(
    s: &crate::model::Strategy,
    compiled: &crate::compile::Compiled,
    m: &crate::market::Market,
    values: &crate::eval::MarketValues,
    config: &Config,
) -> Result<Backtest, ExitCode> {
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(m.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} days")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_prefix("backtest");
    let bt = backtest::run(s, compiled, m, values, config, |n, total| {
        bar.set_length(total as u64);
        bar.set_position(n as u64);
    })
    .map_err(|e| {
        bar.finish_and_clear();
        say!("error: {e}");
        exit::findings()
    })?;
    bar.finish_and_clear();
    Ok(bt)
}

pub fn run(args: Args, color: bool) -> ExitCode {
    if let Err(code) = super::common::date_range(args.from, args.to) {
        return code;
    }
    let config = args.assumptions.config(args.from, args.to);
    let outputs: Vec<_> = [
        ("--trades", &args.trades),
        ("--equity", &args.equity),
        ("--chart", &args.chart),
    ]
    .into_iter()
    .filter_map(|(flag, p)| Some((flag.to_string(), p.as_deref()?)))
    .collect();
    let mut inputs = vec![("the strategy".to_string(), args.strategy.as_path())];
    inputs.extend(args.market.files());
    if let Err(code) = super::output::distinct_files(&outputs, &inputs) {
        return code;
    }
    let (strategy, bt) = match load_and_run(&args.strategy, &args.market, &config, color) {
        Ok(x) => x,
        Err(code) => return code,
    };
    contracts_capped_warning(&bt, "");
    let r = report::report_with(&bt, strategy.account.capital, args.worst).with_plan(&strategy);
    // Both files are written whole before either is put in place, so a
    // command that fails leaves neither (`--trades` written, then `--chart`
    // failing, would leave a trades file from a run that said error).
    let cannot_write = |path: &std::path::Path, e: &std::io::Error| {
        say!(
            "error: cannot write `{}`: {}",
            path.display(),
            super::io_reason(e)
        );
        exit::trouble()
    };
    let mut staged = Vec::new();
    // The data files: CSV, or JSON when the name ends in `.json`.
    type Writer = fn(&mut dyn Write, &Backtest, bool) -> std::io::Result<()>;
    let data: [(&Option<PathBuf>, Writer); 2] =
        [(&args.trades, write_trades), (&args.equity, write_days)];
    for (path, write) in data {
        let Some(path) = path else { continue };
        let json = path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("json"));
        match super::output::stage_file(path, |w| write(w, &bt, json)) {
            Ok(file) => staged.push((path, file)),
            Err(e) => return cannot_write(path, &e),
        }
    }
    if let Some(path) = &args.chart {
        // `out.png` gets SVG text a viewer of PNGs cannot open; a name
        // without an extension (`/dev/null`, `chart`) is taken as meant.
        if path
            .extension()
            .is_some_and(|x| !x.eq_ignore_ascii_case("svg"))
        {
            say!(
                "warning: `--chart` draws SVG: `{}` will hold SVG whatever its name says (name it `.svg` for a viewer to open it)",
                crate::diag::shown_name(&path.display().to_string())
            );
        }
        let svg = crate::backtest::chart::svg(&strategy.name, &bt);
        let file = svg
            .map_err(std::io::Error::other)
            .and_then(|svg| super::output::stage_file(path, |w| w.write_all(svg.as_bytes())));
        match file {
            Ok(file) => staged.push((path, file)),
            Err(e) => return cannot_write(path, &e),
        }
    }
    if let Err((path, e)) = super::output::commit_all(staged) {
        return cannot_write(path, &e);
    }
    let out = super::output::print(|w| match args.format {
        ReportFormat::Json => writeln!(
            w,
            "{}",
            serde_json::to_string_pretty(&r).unwrap_or_default()
        ),
        ReportFormat::Table => write_report(w, &strategy.name, &r),
    });
    match out {
        Ok(()) => exit::ok(),
        Err(code) => code,
    }
}

/// Says on stderr when a condor or a hedge holds `u32::MAX` contracts, the
/// most a trade records: a size of trillions (a capital near $10^15) asked
/// for more, and the trade's max loss, costs and P&L are those of the count
/// it holds, so the report trades less than the engine sized. Nothing in
/// the report or the trades file says so otherwise (their `contracts` is
/// that count, their `size` the engine's). `side` starts the message
/// (`diff`'s `old: `, `new: `).
pub(crate) fn contracts_capped_warning(bt: &Backtest, side: &str) {
    let most = u32::MAX;
    let capped: Vec<&backtest::Trade> =
        bt.trades.iter().filter(|t| t.at_contract_limit()).collect();
    if let Some(first) = capped.first() {
        // One condor is said in the singular.
        let (condors, first_entered, hold, their) = match capped.len() {
            1 => ("1 condor".to_string(), "entered", "holds", "its"),
            n => (format!("{n} condors"), "the first entered", "hold", "their"),
        };
        say!(
            "warning: {side}{condors} ({first_entered} {}) {hold} {most} contracts, or hedges of that many, the most a trade records: {their} size asked for more, and {their} max loss, costs and P&L are those of that count, so the report trades less than the strategy sizes",
            first.entry
        );
    }
}

/// The worst cycles that went deeper than the plan's full losing cycle
/// (`r.planned_cycle_risk`, `check --explain`'s) are counted under them.
pub(crate) fn write_report(
    w: &mut dyn Write,
    name: &str,
    r: &report::Report,
) -> std::io::Result<()> {
    let d = |x: Option<chrono::NaiveDate>| x.map_or("-".into(), |d| d.to_string());
    writeln!(w, "backtest of `{name}`: {} .. {}", d(r.start), d(r.end))?;
    writeln!(w)?;
    let mut rows: Vec<(&str, String)> = vec![(
        "trades",
        format!("{} ({} entry days skipped)", r.trades, r.skipped),
    )];
    // Why: a line for each kind of reason, the most first.
    for (i, c) in r.skipped_by.iter().enumerate() {
        rows.push((
            if i == 0 { "skipped" } else { "" },
            format!("{} {}, {} .. {}", c.entries, c.reason, c.first, c.last),
        ));
        // The numbers behind a reason the kind alone does not explain (a
        // guard's skip names the guard already).
        if !c.reason.starts_with("blocked by guard") {
            rows.push(("", format!("  first on {}: {}", c.first, c.first_reason)));
        }
        if c.reason == backtest::SkipKind::BelowOneContract.label() {
            rows.push((
                "",
                "  a condor's max loss must fit in the size: raise `capital` or `base`, \
                 narrow `wing_width`, or trade XSP (`underlying = XSP`, a tenth of SPX)"
                    .into(),
            ));
        }
    }
    // How near each numeric guard came to its limit: one that never came
    // near guards nothing in this history.
    for (i, m) in r.guard_margins.iter().enumerate() {
        rows.push((if i == 0 { "guard margins" } else { "" }, guard_margin(m)));
    }
    if r.entries_with_unknown_guard > 0 {
        let which: Vec<String> = r
            .unknown_guards
            .iter()
            .map(|u| format!("{}: {}", u.guard, u.entries))
            .collect();
        rows.push((
            "guards unknown",
            format!(
                "at {} of {} entries, which went ahead ({})",
                r.entries_with_unknown_guard,
                r.trades,
                which.join("; ")
            ),
        ));
    }
    // After ruin CAGR, Sharpe and Sortino have no value: say why beside `-`.
    let none = if r.ruined_on.is_some() {
        "- (ruined)"
    } else {
        "-"
    };
    let lowest = match r.lowest_equity_on {
        Some(d) => format!("{} on {d}", fmt_money(r.lowest_equity)),
        None => fmt_money(r.lowest_equity),
    };
    rows.extend([
        ("win rate", r.win_rate.map_or("-".into(), pct)),
        ("net P&L", fmt_money(r.net_pnl)),
        ("hedge P&L", fmt_money(r.hedge_pnl)),
        ("final equity", fmt_money(r.final_equity)),
        ("lowest equity", lowest),
    ]);
    if let Some(d) = r.ruined_on {
        rows.push((
            "RUINED",
            format!(
                "on {d} the marked equity fell to $0 or below, \
                 so CAGR, Sharpe and Sortino have no value"
            ),
        ));
    }
    rows.extend([
        ("CAGR", r.cagr.map_or(none.into(), pct)),
        ("max drawdown (closed)", pct(r.max_drawdown)),
        (
            "max drawdown (intra-trade)",
            pct(r.max_drawdown_intra_trade),
        ),
        (
            "profit factor",
            r.profit_factor
                .map_or("-".into(), crate::money::fmt_ratio_to_one),
        ),
        (
            "Sharpe",
            r.sharpe.map_or(none.into(), |x| format!("{x:.2}")),
        ),
        (
            "Sharpe standard error",
            r.sharpe_se.map_or(none.into(), |x| format!("{x:.2}")),
        ),
        (
            "Sortino",
            r.sortino.map_or(none.into(), |x| format!("{x:.2}")),
        ),
        (
            "max consecutive losses",
            r.max_consecutive_losses.to_string(),
        ),
        ("max step reached", r.max_step_reached.to_string()),
        ("cycles stopped out", r.cycles_stopped_out.to_string()),
        ("losses past the stop", past_stop(r)),
        ("peak capital at risk", fmt_money(r.peak_capital_at_risk)),
        (
            "hedge cost to credit",
            r.hedge_cost_to_credit.map_or("-".into(), pct),
        ),
        ("time in market", pct(r.time_in_market)),
    ]);
    for (k, v) in rows {
        writeln!(w, "{k:<28}{v}")?;
    }
    let exits: Vec<String> = r
        .exits
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                serde_json::to_string(&e.reason)
                    .unwrap_or_default()
                    .trim_matches('"'),
                e.trades
            )
        })
        .collect();
    let exits = if exits.is_empty() {
        "none".to_string()
    } else {
        exits.join(", ")
    };
    writeln!(w, "{:<28}{exits}", "exits")?;
    writeln!(
        w,
        "\n{:>4}  {:>6}  {:>8}  {:>12}  {:>8}  {:>8}",
        "year", "trades", "win rate", "net P&L", "return", "max DD"
    )?;
    for y in &r.years {
        writeln!(
            w,
            "{:>4}  {:>6}  {:>8}  {:>12}  {:>8}  {:>8}",
            y.year,
            y.trades,
            y.win_rate.map_or("-".into(), pct),
            fmt_money(y.net_pnl),
            y.return_pct.map_or("-".into(), pct),
            y.max_drawdown.map_or("-".into(), pct)
        )?;
    }
    if r.cycles == 0 {
        // "worst 0 of 0 cycles (...):" over an empty list said nothing.
        writeln!(w, "\nno cycles: no condor was traded")?;
        return Ok(());
    }
    writeln!(
        w,
        "\nworst {} of {} cycles (by trough: the deepest the ladder's cycle P&L went):",
        r.worst_cycles.len(),
        r.cycles
    )?;
    for c in &r.worst_cycles {
        writeln!(
            w,
            "  {} .. {}  {:>2} trade{}, max step {}, trough {}, condors {}, hedges {}{}",
            c.start,
            c.end,
            c.trades,
            if c.trades == 1 { "" } else { "s" },
            c.max_step,
            fmt_money(c.trough),
            fmt_money(c.pnl),
            fmt_money(c.hedge_pnl),
            if c.stopped_out { ", stopped out" } else { "" }
        )?;
    }
    // A trough past the plan is what a trader would take for a bug in the
    // ladder: say it, and where the reason is.
    if let Some(plan) = r.planned_cycle_risk {
        let deeper = r.worst_cycles.iter().filter(|c| -c.trough > plan).count();
        if deeper > 0 {
            writeln!(
                w,
                "  {} deeper than the plan's full losing cycle, {} (`check --explain`): \
                 a loss past its stop, or sizes grown with equity (`risk STRATEGY --backtest` says why for the worst)",
                match (deeper, r.worst_cycles.len()) {
                    (1, 1) => "it went".to_string(),
                    (d, n) if d == n => format!("all {n} went"),
                    (1, n) => format!("1 of these {n} went"),
                    (d, n) => format!("{d} of these {n} went"),
                },
                fmt_money(plan)
            )?;
        }
    }
    Ok(())
}

/// A guard's margin line: `wacc_impact < 18bps: highest 1.43bps on
/// 2008-10-09 (limit 18bps); capped 0, blocked 0 of 570 entry decisions`.
fn guard_margin(m: &crate::backtest::GuardMargin) -> String {
    let cents = |d: rust_decimal::Decimal| {
        d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    let show = |d: rust_decimal::Decimal| match m.kind {
        "wacc_impact" => format!("{}bps", cents(d).normalize()),
        "exposure" => fmt_money(cents(d)),
        _ => format!("{:.2}", cents(d)),
    };
    let closest = match (m.closest, m.closest_on) {
        (Some(v), Some(on)) => format!(
            "{} {} on {on}{}",
            if m.kind == "quick_ratio" {
                "lowest"
            } else {
                "highest"
            },
            show(v),
            m.limit
                .map_or(String::new(), |l| format!(" (limit {})", show(l)))
        ),
        _ => "never judged".to_string(),
    };
    format!(
        "{}: {closest}; capped {}, blocked {} of {} entry decisions",
        m.guard, m.capped, m.blocked, m.judged
    )
}

/// The report's line on condors that lost past their stop: how many of
/// the losing ones, and the worst as a multiple of its max loss
/// (`54 of 59 losing condors, the worst 2.03× its max loss`).
fn past_stop(r: &report::Report) -> String {
    let losing = r.trades.saturating_sub(
        r.win_rate
            .map_or(0, |w| (w * r.trades as f64).round() as usize),
    );
    match r.worst_loss_to_max_loss {
        None => "0 (no losing condor)".to_string(),
        Some(worst) => format!(
            "{} of {losing} losing condor{}, the worst {}× its max loss",
            r.losses_past_stop,
            if losing == 1 { "" } else { "s" },
            crate::money::fmt_ratio_to_one(worst)
        ),
    }
}

/// How JSON gives each of the trades file's columns
/// ([`crate::backtest::TRADES_FILE_COLUMNS`], in that order): a whole number,
/// a number, or text (dates, the exit reason, and money, which JSON gives as
/// text everywhere in vixshield).
const TRADE_COLUMN_KINDS: [Column; 18] = [
    Column::Whole,
    Column::Text,
    Column::Text,
    Column::Text,
    Column::Number,
    Column::Number,
    Column::Number,
    Column::Number,
    Column::Number,
    Column::Number,
    Column::Text,
    Column::Whole,
    Column::Whole,
    Column::Text,
    Column::Text,
    Column::Text,
    Column::Text,
    Column::Text,
];

#[derive(Clone, Copy)]
enum Column {
    Whole,
    Number,
    Text,
}

/// A trade's fields, in [`crate::backtest::TRADES_FILE_COLUMNS`]' order, as
/// the CSV writes them.
fn trade_row(t: &crate::backtest::Trade) -> [String; 18] {
    [
        t.number.to_string(),
        t.entry.to_string(),
        t.exit.to_string(),
        t.expiry.to_string(),
        format!("{:.2}", t.spx_entry),
        format!("{:.2}", t.vix_entry),
        t.long_put.to_string(),
        t.short_put.to_string(),
        t.short_call.to_string(),
        t.long_call.to_string(),
        t.credit.normalize().to_string(),
        t.contracts.to_string(),
        t.step.to_string(),
        t.size.normalize().to_string(),
        t.max_loss.normalize().to_string(),
        t.pnl.normalize().to_string(),
        t.hedge_pnl.normalize().to_string(),
        serde_json::to_string(&t.exit_reason)
            .unwrap_or_default()
            .trim_matches('"')
            .to_string(),
    ]
}

/// A condor's hedges as the JSON export gives them: each layer's
/// contracts, strikes (VIX points; `short_strike` `null` for calls alone),
/// expiry, cost (premium and commissions) and P&L, money as text.
fn hedge_rows(hedges: &[crate::backtest::HedgeTrade]) -> serde_json::Value {
    hedges
        .iter()
        .map(|h| {
            serde_json::json!({
                "layer": h.layer,
                "contracts": h.contracts,
                "strike": h.strike,
                "short_strike": h.short_strike,
                "expiry": h.expiry.to_string(),
                "cost": h.cost.normalize().to_string(),
                "pnl": h.pnl.normalize().to_string(),
            })
        })
        .collect()
}

/// Every market day to `w` (`--equity`): CSV, or a JSON list of objects
/// when `json`, with the same keys (money as exact decimal text, VIX and
/// the flag as JSON gives them).
fn write_days(w: &mut dyn Write, bt: &Backtest, json: bool) -> std::io::Result<()> {
    if json {
        let text = serde_json::to_string_pretty(&bt.days).map_err(std::io::Error::other)?;
        return writeln!(w, "{text}");
    }
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record([
        "date",
        "equity",
        "closed_equity",
        "step",
        "vix",
        "hedge_signal",
        "at_risk",
    ])?;
    for d in &bt.days {
        csv.write_record([
            d.date.to_string(),
            d.equity.normalize().to_string(),
            d.closed_equity.normalize().to_string(),
            d.step.to_string(),
            d.vix.to_string(),
            d.hedge_signal.to_string(),
            d.at_risk.normalize().to_string(),
        ])?;
    }
    csv.flush()
}

/// Every trade to `w`: CSV, or a JSON list of objects when `json`.
fn write_trades(w: &mut dyn Write, bt: &Backtest, json: bool) -> std::io::Result<()> {
    if json {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = bt
            .trades
            .iter()
            .map(|t| {
                crate::backtest::TRADES_FILE_COLUMNS
                    .iter()
                    .zip(TRADE_COLUMN_KINDS)
                    .zip(trade_row(t))
                    .map(|((name, column), text)| {
                        let value = match column {
                            Column::Whole => text.parse::<u64>().ok().map(serde_json::Value::from),
                            Column::Number => text
                                .parse::<f64>()
                                .ok()
                                .and_then(serde_json::Number::from_f64)
                                .map(serde_json::Value::Number),
                            Column::Text => None,
                        };
                        (
                            name.to_string(),
                            value.unwrap_or(serde_json::Value::String(text)),
                        )
                    })
                    .chain([("hedges".to_string(), hedge_rows(&t.hedges))])
                    .collect()
            })
            .collect();
        let text = serde_json::to_string_pretty(&rows).map_err(std::io::Error::other)?;
        return writeln!(w, "{text}");
    }
    let mut csv = csv::Writer::from_writer(w);
    csv.write_record(crate::backtest::TRADES_FILE_COLUMNS)?;
    for t in &bt.trades {
        csv.write_record(trade_row(t))?;
    }
    csv.flush()
}
