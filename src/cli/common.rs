//! What several subcommands share: loading a strategy, a journal and market data.

use super::{exit, read_source};
use crate::check::{self, Env};
use crate::diag;
use crate::eval::ClosedTrade;
use crate::market::{self, Calendar, Market};
use crate::model::Strategy;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where market data and events come from.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct MarketArgs {
    /// A market series from CSV, `NAME=PATH` with NAME one of vix, vix3m, spx
    /// (repeatable; default: the bundled real CBOE/S&P data).
    #[arg(long = "market", value_name = "NAME=PATH")]
    pub market: Vec<String>,
    /// An event calendar file (`date,event` lines) added to the bundled FOMC, CPI and PPI dates (repeatable).
    #[arg(long = "calendar", value_name = "FILE")]
    pub calendar: Vec<PathBuf>,
    /// Evaluate without market data: every signal is `unknown`.
    #[arg(long, conflicts_with = "market")]
    pub no_market: bool,
}

/// Checks a strategy file; on errors prints them and gives the exit code.
pub fn load_strategy(path: &Path, env: &Env, color: bool) -> Result<Strategy, ExitCode> {
    let src = read_source(path).map_err(|msg| {
        eprintln!("{msg}");
        exit::trouble()
    })?;
    let checked = check::check_source(&src, env);
    if !checked.diagnostics.is_empty() {
        eprint!("{}", diag::render_human(&src, &checked.diagnostics, color));
    }
    checked.strategy.ok_or_else(exit::findings)
}

/// Reads a journal as closed trades; on a bad row prints `path:line:col: ...`.
pub fn load_journal(
    path: &Path,
) -> Result<(Vec<crate::journal::Trade>, Vec<ClosedTrade>), ExitCode> {
    match crate::journal::read_journal(path) {
        Ok(j) => {
            for w in &j.warnings {
                eprintln!("warning: {w}");
            }
            let closed = j
                .trades
                .iter()
                .map(|t| ClosedTrade {
                    date: t.date,
                    pnl: t.pnl,
                    credit: t.credit,
                    hedge_pnl: t.hedge_pnl,
                })
                .collect();
            Ok((j.trades, closed))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(match e {
                crate::journal::JournalError::Io { .. } => exit::trouble(),
                _ => exit::findings(),
            })
        }
    }
}

/// The market and calendar the arguments name (`None` with `--no-market`).
pub fn load_market(args: &MarketArgs) -> Result<Option<(Market, Calendar)>, ExitCode> {
    let fail = |e: String| {
        eprintln!("error: {e}");
        exit::findings()
    };
    let mut calendar = Calendar::bundled().map_err(|e| fail(e.to_string()))?;
    for path in &args.calendar {
        calendar
            .load_events(path)
            .map_err(|e| fail(e.to_string()))?;
    }
    if args.no_market {
        return Ok(None);
    }
    if args.market.is_empty() {
        return Market::bundled()
            .map(|m| Some((m, calendar)))
            .map_err(|e| fail(e.to_string()));
    }
    let mut series = Vec::new();
    for spec in &args.market {
        let Some((name, path)) = spec.split_once('=') else {
            eprintln!(
                "error: `--market {spec}`: expected NAME=PATH, as in `--market vix=data/vix.csv`"
            );
            return Err(exit::trouble());
        };
        if !crate::check::expr::SERIES.contains(&name) {
            eprintln!(
                "error: `--market {spec}`: unknown series `{name}`; the series are vix, vix3m and spx"
            );
            return Err(exit::trouble());
        }
        let s = market::load_series(name, Path::new(path)).map_err(|e| match e {
            market::MarketError::Io { .. } => {
                eprintln!("error: {e}");
                exit::trouble()
            }
            e => fail(e.to_string()),
        })?;
        series.push(s);
    }
    // VIX sets the calendar when given; else the first series.
    let primary = series.iter().position(|s| s.name == "vix").unwrap_or(0);
    let first = series.swap_remove(primary);
    let mut m = Market::new(&first, None).map_err(|e| fail(e.to_string()))?;
    for s in &series {
        m.add(s);
    }
    Ok(Some((m, calendar)))
}
