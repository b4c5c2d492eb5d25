//! What several subcommands share: plugins, loading a strategy, a journal and market data.

use super::{exit, read_source};
use crate::check::{self, Env};
use crate::compile::{Compiled, compile};
use crate::diag;
use crate::eval::{ClosedTrade, MarketValues};
use crate::market::{self, Calendar, Market};
use crate::model::Strategy;
use crate::plugin::{DiskCache, HostConfig, PluginError, PluginRegistry, PluginSetup};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A `--from`/`--to` value: an ISO date, with a message that says so
/// (chrono's own reasons, "premature end of input", do not).
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    s.trim()
        .parse::<chrono::NaiveDate>()
        .map_err(|_| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

/// `--from` and `--to` in order, the one check of every command that takes
/// them: a reversed range is a usage error (exit 2) before any work, never a
/// run over no data.
pub fn date_range(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(), ExitCode> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        say!("error: `--from {from}` is after `--to {to}`");
        return Err(exit::trouble());
    }
    Ok(())
}

/// Where plugins come from besides the project's.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PluginArgs {
    /// A folder of plugins (one subfolder with a `plugin.toml` each), searched
    /// after the project's `plugins/` and `vixshield.toml` paths (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    pub plugins: Vec<PathBuf>,
    /// Compile every plugin afresh: neither read nor write the cache of
    /// compiled plugins (`$VIXSHIELD_CACHE_DIR`, else `vixshield/plugins` in
    /// the user's cache folder).
    #[arg(long)]
    pub no_plugin_cache: bool,
}

/// The checker's environment and the plugin setup of the project around the
/// current directory plus `--plugins`. Reads manifests only; a broken plugin
/// is reported only by a file that calls it.
pub fn env(args: &PluginArgs) -> Result<(Env, PluginSetup), ExitCode> {
    try_env(args).map_err(|e| {
        say!("error: {e}");
        env_exit(&e)
    })
}

/// [`env`], giving the error rather than saying it (`check --format json`
/// puts it in its data).
pub fn try_env(args: &PluginArgs) -> Result<(Env, PluginSetup), PluginError> {
    let registry = PluginRegistry::from_current_dir(&args.plugins)?;
    let setup = setup(registry, args.no_plugin_cache);
    Ok((setup.env(), setup))
}

/// The exit status of a plugin setup that failed: 2 for a file or folder
/// that cannot be read, 1 for one that says something wrong.
pub fn env_exit(e: &PluginError) -> ExitCode {
    if env_unreadable(e) {
        exit::trouble()
    } else {
        exit::findings()
    }
}

/// Whether the plugin setup failed on a file or folder that cannot be read.
pub fn env_unreadable(e: &PluginError) -> bool {
    matches!(e, PluginError::Io { .. } | PluginError::ListedFolder { .. })
}

/// The plugin setup of `registry` for a command: the project's NaN setting,
/// and compiled plugins kept on disk unless `no_cache` (`--no-plugin-cache`)
/// or the project (`[plugins] cache = false`) says no.
pub fn setup(registry: PluginRegistry, no_cache: bool) -> PluginSetup {
    let config = HostConfig::default().with_nan_canonicalization(registry.canonicalize_nans());
    let disk = (!no_cache && registry.disk_cache_allowed())
        .then(DiskCache::default_dir)
        .flatten()
        .map(DiskCache::at);
    PluginSetup::with_disk_cache(registry, config, disk)
}

/// Compiles a checked strategy with the plugins' param defaults.
pub fn compile_strategy(strategy: &Strategy, setup: &PluginSetup) -> Result<Compiled, ExitCode> {
    compile(strategy, &setup.defaults()).map_err(|e| {
        say!("error: {e}");
        exit::findings()
    })
}

/// Evaluates a compiled graph's market nodes, running the plugins it uses.
pub fn market_values(
    compiled: &Compiled,
    setup: &PluginSetup,
    market: &Market,
    calendar: &Calendar,
) -> Result<MarketValues, ExitCode> {
    let fail = |e: String| {
        say!("error: {e}");
        exit::findings()
    };
    let runner = setup
        .runner(&compiled.graph)
        .map_err(|e| fail(e.to_string()))?;
    MarketValues::compute(&compiled.graph, market, calendar, Some(&runner))
        .map_err(|e| fail(e.to_string()))
}

/// Where market data and events come from.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct MarketArgs {
    /// A market series from CSV, `NAME=PATH` with NAME one of vix, vix3m, spx
    /// (repeatable; default: the bundled real CBOE/S&P data, which `--market`
    /// replaces as a whole: give every series the command reads).
    ///
    /// Read as CBOE, FRED, Yahoo Finance, Stooq and Nasdaq.com serve it: a `date` column
    /// (YYYY-MM-DD or MM/DD/YYYY) and a `close` (or the FRED id, VIXCLS,
    /// VXVCLS, SP500), rows oldest or newest first, a row with no prices
    /// (empty, `.`, `null`) skipped; every file `data/README.md` lists.
    /// `;` separators, decimal commas, thousands separators and day-first
    /// dates are errors at their line.
    #[arg(long = "market", value_name = "NAME=PATH")]
    pub market: Vec<String>,
    /// An event calendar file added to the bundled FOMC, CPI and PPI dates: `date,event` lines, or, under a `date,event,replaces` header, lines that move a date, or, under `date,event,until`, spans where an event's dates are not known (repeatable).
    #[arg(long = "calendar", value_name = "FILE")]
    pub calendar: Vec<PathBuf>,
    /// Evaluate without market data: every signal, trigger and guard reading
    /// it is `unknown`; the event calendar (bundled and `--calendar`) is kept,
    /// so the blackout guard still counts its window from the last trade's
    /// date (decisions over a journal; a backtest and `signal` need market
    /// data and refuse it).
    #[arg(long, conflicts_with = "market")]
    pub no_market: bool,
    #[command(flatten)]
    pub plugins: PluginArgs,
}

impl MarketArgs {
    /// The files these arguments read (`--market` and `--calendar`), named
    /// as on the command line, for [`super::output::distinct_files`].
    pub(crate) fn files(&self) -> Vec<super::output::Named<'_>> {
        let market = self.market.iter().filter_map(|spec| {
            let (name, path) = spec.split_once('=')?;
            Some((format!("the `--market {name}` file"), Path::new(path)))
        });
        let calendar = self
            .calendar
            .iter()
            .map(|p| ("the `--calendar` file".to_string(), p.as_path()));
        market.chain(calendar).collect()
    }
}

/// Checks a strategy file; on errors prints them and gives the exit code.
pub fn load_strategy(path: &Path, env: &Env, color: bool) -> Result<Strategy, ExitCode> {
    let src = read_source(path).map_err(|msg| {
        say!("{msg}");
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
    journal_trades(path, crate::journal::read_journal(path))
}

/// [`load_journal`] for a journal that may hold only its header: the
/// history before the first trade (`run`, `next`, `diff --journal`).
pub fn load_history(
    path: &Path,
) -> Result<(Vec<crate::journal::Trade>, Vec<ClosedTrade>), ExitCode> {
    journal_trades(path, crate::journal::read_history(path))
}

fn journal_trades(
    path: &Path,
    read: Result<crate::journal::Journal, crate::journal::JournalError>,
) -> Result<(Vec<crate::journal::Trade>, Vec<ClosedTrade>), ExitCode> {
    match read {
        Ok(j) => {
            for w in &j.warnings {
                say!("warning: {w}");
            }
            // A close after today is a typo (2062 for 2026), which the
            // ladder would take as history; a day of slack for time zones.
            if let Some(today) = today_utc() {
                let mut future = j
                    .trades
                    .iter()
                    .filter(|t| t.date > today + chrono::Days::new(1));
                if let Some(first) = future.next() {
                    say!(
                        "warning: {}:{}:1: closed on {}, after today ({today}){}: is the date right?",
                        path.display(),
                        first.line,
                        first.date,
                        match future.count() {
                            0 => String::new(),
                            more => format!(", and {more} more after it"),
                        }
                    );
                }
            }
            let closed = j.trades.iter().map(ClosedTrade::from).collect();
            Ok((j.trades, closed))
        }
        Err(e) => {
            say!("error: {e}");
            Err(match e {
                crate::journal::JournalError::Io { .. } => exit::trouble(),
                _ => exit::findings(),
            })
        }
    }
}

/// The series `graph` reads (its series nodes: signals', guards' and
/// plugins' inputs), each once, for [`load_market`]'s `reads`.
pub fn series_read(graph: &crate::graph::Graph) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for node in &graph.nodes {
        if let crate::graph::Node::Series(name) = node
            && !names.contains(&name.as_str())
        {
            names.push(name);
        }
    }
    names
}

/// The market and calendar the arguments name (`None` with `--no-market`,
/// for the commands that need market data; decisions over a journal keep
/// the calendar with [`load_sources`]).
/// `reads` are the series the command reads (every one for a backtest,
/// which prices SPX and its hedges on VIX and VIX3M): one of them that
/// `--market` does not give is warned of, the others are not.
pub fn load_market(
    args: &MarketArgs,
    reads: &[&str],
) -> Result<Option<(Market, Calendar)>, ExitCode> {
    Ok(match load_sources(args, reads)? {
        Sources::Market(m, calendar) => Some((m, calendar)),
        Sources::CalendarOnly(_) => None,
    })
}

/// What decisions are evaluated over: the market and the event calendar,
/// or with `--no-market` the calendar alone (the bundled one and the
/// `--calendar` files), which the blackout guard reads at the decision's
/// date: event dates need no prices.
pub enum Sources {
    Market(Market, Calendar),
    CalendarOnly(Calendar),
}

/// [`load_market`], keeping the calendar with `--no-market`.
pub fn load_sources(args: &MarketArgs, reads: &[&str]) -> Result<Sources, ExitCode> {
    let fail = |e: String| {
        say!("error: {e}");
        exit::findings()
    };
    let mut calendar = Calendar::bundled().map_err(|e| fail(e.to_string()))?;
    // A strategy can name only the checker's events, so a file's other
    // events (a typo, `NFP`) are errors where they stand, not dates nothing
    // could read.
    let known = crate::check::Env::default().events;
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    for path in &args.calendar {
        calendar.load_events_of(path, &known).map_err(|e| match e {
            // A file that cannot be read is trouble, as for `--market`.
            market::MarketError::Io { .. } => {
                say!("error: {e}");
                exit::trouble()
            }
            e => fail(e.to_string()),
        })?;
    }
    if args.no_market {
        return Ok(Sources::CalendarOnly(calendar));
    }
    if args.market.is_empty() {
        return Market::bundled()
            .map(|m| Sources::Market(m, calendar))
            .map_err(|e| fail(e.to_string()));
    }
    // Each series once, said before any file is read: a second one would
    // otherwise be silently ignored.
    for (i, spec) in args.market.iter().enumerate() {
        let name = spec.split_once('=').map(|(n, _)| n);
        let earlier = args
            .market
            .iter()
            .take(i)
            .find(|s| name.is_some() && s.split_once('=').map(|(n, _)| n) == name);
        if let (Some(name), Some(earlier)) = (name, earlier) {
            say!(
                "error: `--market {spec}`: series `{name}` is already given (`--market {earlier}`); give each series once"
            );
            return Err(exit::trouble());
        }
    }
    let mut series = Vec::new();
    for spec in &args.market {
        let Some((name, path)) = spec.split_once('=') else {
            say!("error: `--market {spec}`: expected NAME=PATH, as in `--market vix=data/vix.csv`");
            return Err(exit::trouble());
        };
        if !crate::check::expr::SERIES.contains(&name) {
            say!(
                "error: `--market {spec}`: unknown series `{name}`; the series are vix, vix3m and spx"
            );
            return Err(exit::trouble());
        }
        let s = market::load_series(name, Path::new(path)).map_err(|e| match e {
            market::MarketError::Io { .. } => {
                say!("error: {e}");
                exit::trouble()
            }
            e => fail(e.to_string()),
        })?;
        series.push(s);
    }
    // `--market` replaces the bundled data as a whole: a series not given
    // is not there, and whatever reads it is unknown on every bar (a
    // backtest without vix3m ran with `ratio(vix, vix3m)` unknown, its
    // results changed with no word). A series the command does not read
    // is no matter (`signal vix` over a VIX file alone).
    for name in crate::check::expr::SERIES {
        if reads.contains(name) && !series.iter().any(|s| s.name == *name) {
            let bundled = market::bundled::SERIES
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, file)| format!(" (the bundled one is {})", file.shown_path()))
                .unwrap_or_default();
            say!(
                "warning: no `--market {name}=FILE`: with `--market` the bundled data is not used, so `{name}` is unknown on every bar; give its file too{bundled}"
            );
        }
    }
    // VIX sets the calendar when given; else the first series.
    let primary = series.iter().position(|s| s.name == "vix").unwrap_or(0);
    let first = series.swap_remove(primary);
    let mut m = Market::new(&first, None).map_err(|e| fail(e.to_string()))?;
    for s in &series {
        m.add(s);
    }
    // The calendar's own file dated on a weekend, when no index closes: a
    // typo, or dates shifted a day by a time zone.
    let mut weekend = first
        .dates
        .iter()
        .filter(|d| chrono::Datelike::weekday(*d).number_from_monday() > 5);
    if let Some(day) = weekend.next() {
        let rows = match weekend.count() {
            0 => format!("a row dated {day}, a {}", day.format("%A")),
            more => format!(
                "{} rows dated on a Saturday or Sunday (the first {day}, a {})",
                more + 1,
                day.format("%A")
            ),
        };
        say!(
            "warning: {}: {rows}, when no index closes: are the dates right (a typo, or shifted a day by a time zone)?",
            first.path
        );
    }
    // What the join did to a file's rows that the file did not say: a gap
    // of weeks carried over, rows on days the calendar lacks left out.
    for s in &series {
        let Some(aligned) = m.get(&s.name) else {
            continue;
        };
        if let Some((from, to, bars)) = aligned.longest_carried_run()
            && bars > MAX_QUIET_CARRY
        {
            say!(
                "warning: {}: no row from {from} to {to}: its last close before them stands in for those {bars} bars of the market (give the missing rows)",
                s.path
            );
        }
        if let (n @ 1.., Some(day)) = aligned.dropped_rows() {
            say!(
                "warning: {}: {n} {} left out (the first on {day}): the market's days are those of `{}` ({}), which has no row on {}",
                s.path,
                if n == 1 { "row" } else { "rows" },
                first.name,
                first.path,
                if n == 1 { "that date" } else { "their dates" },
            );
        }
    }
    Ok(Sources::Market(m, calendar))
}

/// The most consecutive bars a `--market` file's last close may stand in
/// for without a warning: a long weekend of holidays VIX printed on is two
/// or three; a gap of weeks is a file missing rows.
const MAX_QUIET_CARRY: usize = 5;

/// A whole number ≥ 0, said plainly when it is not.
pub(crate) fn count(s: &str) -> Result<u64, String> {
    at_least(s, 0)
}

/// A whole number ≥ 1 (`--run K`), said plainly when it is not.
pub(crate) fn positive(s: &str) -> Result<u64, String> {
    at_least(s, 1)
}

/// A whole number ≥ `least` (0 or 1), said plainly when it is not: `-1`
/// is told the least there is, not that it is negative alone.
fn at_least(s: &str, least: u64) -> Result<u64, String> {
    let t = s.trim();
    if t.starts_with('-') || (least > 0 && t.parse::<u64>() == Ok(0)) {
        return Err(format!(
            "`{t}` is {}; give a whole number, {least} or more",
            if t.starts_with('-') {
                "negative"
            } else {
                "too small"
            }
        ));
    }
    t.parse()
        .map_err(|e: std::num::ParseIntError| match e.kind() {
            std::num::IntErrorKind::PosOverflow => {
                format!("`{t}` is too large: at most {}", u64::MAX)
            }
            _ => format!("`{t}` is not a whole number"),
        })
}

/// [`count`], as a `usize`.
pub(crate) fn count_usize(s: &str) -> Result<usize, String> {
    count(s).and_then(|n| usize::try_from(n).map_err(|_| format!("`{s}` is too large")))
}

/// Today's date in UTC, from the system clock (`None` before 1970).
fn today_utc() -> Option<chrono::NaiveDate> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_days(chrono::Days::new(secs / 86_400))
}
