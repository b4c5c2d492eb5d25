//! `vixshield sweep STRATEGY --set NAME=FROM..TO:STEP ...`: backtest every
//! combination of param values and rank them; `--shard I/N` runs one slice,
//! `vixshield sweep merge FILES...` puts slices back together;
//! `--walk-forward IN/OUT` picks the best in-sample and tests it out of sample.

use super::backtest::Assumptions;
use super::common::MarketArgs;
use super::{exit, read_source};
use crate::check;
use crate::sweep::{self, Grid, Plan, Rank, Runner, Shard, SweepFile, WalkForward};
use serde_json::Value;
use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of `sweep`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SweepFormat {
    /// For people.
    Table,
    /// One row a variant.
    Csv,
    /// The whole result (what `--out` writes).
    Json,
}

/// Backtest every combination of param values, ranked by a report metric.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// The strategy file; its `param`s are what `--set` varies.
    #[arg(value_name = "STRATEGY")]
    strategy: Option<PathBuf>,
    /// A param's values: `NAME=FROM..TO:STEP` in the param's unit (`mult=1.6x..2.0x:0.1x`,
    /// `base=1%..2%:0.5%`, `period=10..20:2`) or `NAME=VALUE` (repeatable; the grid is their product).
    #[arg(long = "set", value_name = "NAME=VALUES")]
    set: Vec<String>,
    /// The metric to rank by, a key of the backtest report.
    #[arg(long, value_name = "METRIC", default_value = "cagr", value_parser = MetricName)]
    rank: String,
    /// Also write the result as JSON to this file (what `sweep merge` reads).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// `table`, `csv` or `json`.
    #[arg(long, value_enum, default_value_t = SweepFormat::Table)]
    format: SweepFormat,
    /// Run one slice of the grid: the variants whose index mod N is I (0 ≤ I < N).
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Rolling in-sample/out-of-sample windows, `5y/1y` or `60m/12m`: the best variant
    /// in each in-sample window, backtested on the out-of-sample window after it.
    #[arg(long, value_name = "IN/OUT", conflicts_with = "shard")]
    walk_forward: Option<String>,
    /// First date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = super::common::parse_date)]
    from: Option<chrono::NaiveDate>,
    /// Last date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = super::common::parse_date)]
    to: Option<chrono::NaiveDate>,
    #[command(flatten)]
    assumptions: Assumptions,
    #[command(flatten)]
    market: MarketArgs,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Merge the JSON files of a sharded sweep into one ranking (identical to the unsharded sweep's).
    Merge(MergeArgs),
}

#[derive(clap::Args, Debug)]
struct MergeArgs {
    /// The files `sweep --shard I/N --out FILE` wrote.
    #[arg(value_name = "FILES", required = true)]
    files: Vec<PathBuf>,
    /// Rank by this metric instead of the shards' one.
    #[arg(long, value_name = "METRIC", value_parser = MetricName)]
    rank: Option<String>,
    /// Also write the merged result as JSON to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// `table`, `csv` or `json`.
    #[arg(long, value_enum, default_value_t = SweepFormat::Table)]
    format: SweepFormat,
}

/// `--rank`'s value: any text, which [`rank_of`] checks with its own
/// message, offered from [`sweep::METRICS`] to `--help` and to shell
/// completion.
#[derive(Clone)]
struct MetricName;

impl clap::builder::TypedValueParser for MetricName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            sweep::METRICS
                .iter()
                .map(|(name, _)| clap::builder::PossibleValue::new(*name)),
        ))
    }
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    say!("error: {msg}");
    exit::trouble()
}

pub fn run(args: Args, color: bool) -> ExitCode {
    let r = match args.command {
        Some(Sub::Merge(m)) => merge(m),
        None => sweep(args, color),
    };
    match r {
        Ok(c) | Err(c) => c,
    }
}

fn rank_of(name: &str) -> Result<Rank, ExitCode> {
    let better = sweep::metric(name).map_err(usage)?;
    Ok(Rank {
        metric: name.to_string(),
        better,
    })
}

fn sweep(args: Args, color: bool) -> Result<ExitCode, ExitCode> {
    let Some(path) = &args.strategy else {
        return Err(usage(
            "give the strategy: `vixshield sweep STRATEGY --set NAME=FROM..TO:STEP`",
        ));
    };
    let rank = rank_of(&args.rank)?;
    let outputs: Vec<_> = args
        .out
        .iter()
        .map(|p| ("--out".to_string(), p.as_path()))
        .collect();
    let mut inputs = vec![("the strategy".to_string(), path.as_path())];
    inputs.extend(args.market.files());
    super::output::distinct_files(&outputs, &inputs)?;
    super::common::date_range(args.from, args.to)?;
    let axes = args
        .set
        .iter()
        .map(|s| sweep::parse_set(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let grid = Grid::new(axes).map_err(usage)?;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(usage)?;
    let walk = args
        .walk_forward
        .as_deref()
        .map(sweep::parse_walk)
        .transpose()
        .map_err(usage)?;
    // The defaults must check; the axes must name its params, in their units.
    let src = read_source(path).map_err(|msg| {
        say!("{msg}");
        exit::trouble()
    })?;
    let (env, plugins) = super::common::env(&args.market.plugins)?;
    let checked = check::check_source(&src, &env);
    if !checked.diagnostics.is_empty() {
        eprint!(
            "{}",
            crate::diag::render_human(&src, &checked.diagnostics, color)
        );
    }
    let Some(strategy) = checked.strategy else {
        return Err(exit::findings());
    };
    grid.check_against(&strategy.params).map_err(usage)?;
    let Some((market, calendar)) =
        super::common::load_market(&args.market, crate::check::expr::SERIES)?
    else {
        return Err(usage("a sweep backtests: drop `--no-market`"));
    };
    let config = args.assumptions.config(args.from, args.to);
    // A range with no market data is the same for every variant: said once,
    // as `backtest` says it, before any variant runs.
    if let Err(e) = crate::backtest::tradeable_bars(&market, &config) {
        say!("error: {e}");
        return Err(exit::findings());
    }
    let runner = Runner {
        source: &src,
        env: &env,
        plugins: &plugins,
        market: &market,
        calendar: &calendar,
        config: &config,
    };
    let plan = Plan {
        name: &strategy.name,
        grid: &grid,
        rank,
        shard,
    };
    if let Some(walk) = walk {
        let Some((first, last)) = sweep::tradeable_range(&market) else {
            return Err(usage("the market data has no day with both SPX and VIX"));
        };
        let start = args.from.map_or(first, |f| f.max(first));
        let end = args.to.map_or(last, |t| t.min(last));
        let windows = sweep::windows(start, end, walk.0, walk.1);
        if windows.is_empty() {
            return Err(usage(format!(
                "`--walk-forward {}`: the data from {start} to {end} is too short for one window",
                args.walk_forward.as_deref().unwrap_or_default()
            )));
        }
        let bar = progress((windows.len() * grid.len()) as u64, "walk-forward");
        let wf = sweep::walk_forward(&runner, &plan, walk, (start, end), &|| bar.inc(1));
        bar.finish_and_clear();
        if let Some(out) = &args.out {
            write_json(out, &wf)?;
        }
        let written = super::output::print(|w| match args.format {
            SweepFormat::Json => writeln!(
                w,
                "{}",
                serde_json::to_string_pretty(&wf).unwrap_or_default()
            ),
            SweepFormat::Csv => walk_csv(w, &wf),
            SweepFormat::Table => walk_table(w, &wf),
        });
        return Ok(match written {
            Ok(()) => exit::ok(),
            Err(code) => code,
        });
    }
    let todo = (0..grid.len())
        .filter(|i| shard.is_none_or(|s| s.contains(*i)))
        .count();
    let bar = progress(todo as u64, "sweep");
    let result = sweep::run(&runner, &plan, &|| bar.inc(1));
    bar.finish_and_clear();
    emit(&result, args.out.as_deref(), args.format)
}

fn progress(len: u64, prefix: &'static str) -> indicatif::ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(len)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} backtests")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_prefix(prefix);
    bar
}

fn write_json<T: serde::Serialize>(out: &std::path::Path, v: &T) -> Result<(), ExitCode> {
    super::output::write_to(Some(out), |w| {
        writeln!(w, "{}", serde_json::to_string_pretty(v).unwrap_or_default())
    })
    .map_err(|e| {
        say!(
            "error: cannot write `{}`: {}",
            out.display(),
            super::io_reason(&e)
        );
        exit::trouble()
    })
}

fn emit(
    result: &SweepFile,
    out: Option<&std::path::Path>,
    format: SweepFormat,
) -> Result<ExitCode, ExitCode> {
    if let Some(out) = out {
        write_json(out, result)?;
    }
    for f in &result.failed {
        say!(
            "warning: variant {} ({}) failed: {}",
            f.variant,
            params_text(&f.params, result),
            f.error
        );
    }
    // Condors at the contract limit trade less than the variant sizes, as
    // `backtest` warns for one run.
    let capped: Vec<&sweep::Row> = result
        .results
        .iter()
        .filter(|r| {
            r.metrics
                .get("trades_at_contract_limit")
                .and_then(serde_json::Value::as_u64)
                .is_some_and(|n| n > 0)
        })
        .collect();
    if let Some(first) = capped.iter().min_by_key(|r| r.variant) {
        let first = format!(
            "variant {} ({})",
            first.variant,
            params_text(&first.params, result)
        );
        let (who, hold, its, it) = match capped.len() {
            1 => (first, "holds", "its", "it trades less than it sizes"),
            n => (
                format!("{n} variants, the first {first},"),
                "hold",
                "their",
                "they trade less than they size",
            ),
        };
        say!(
            "warning: {who} {hold} condors or hedges at {} contracts, the most a trade records: \
             {its} sizes asked for more, and {its} max loss, costs and P&L are those of that \
             count, so {it} (`trades_at_contract_limit` in the metrics)",
            u32::MAX,
        );
    }
    // A param whose values all gave the same backtest: its ranking is the
    // variant order, not a finding. Over the whole grid only; a shard's
    // pairs are too few to say.
    if result.shard.is_none() {
        for (a, ran) in result.inert_axes() {
            // The values whose variants all failed gave no backtest to compare.
            let values = if ran == a.values.len() {
                format!("its {ran} values")
            } else {
                format!(
                    "the {ran} of its {} values that did not fail",
                    a.values.len()
                )
            };
            say!(
                "warning: `--set {}`: {values} gave the same backtest (every metric equal, \
                 whatever the other params): it changed nothing over this history \
                 (a level never reached, a limit that never binds?)",
                a.name
            );
        }
    }
    let written = super::output::print(|w| match format {
        SweepFormat::Json => writeln!(
            w,
            "{}",
            serde_json::to_string_pretty(result).unwrap_or_default()
        ),
        SweepFormat::Csv => csv_out(w, result),
        SweepFormat::Table => table(w, result),
    });
    written?;
    Ok(if result.results.is_empty() && !result.failed.is_empty() {
        exit::findings()
    } else {
        exit::ok()
    })
}

fn merge(m: MergeArgs) -> Result<ExitCode, ExitCode> {
    let rank = m.rank.as_deref().map(rank_of).transpose()?;
    let outputs: Vec<_> = m
        .out
        .iter()
        .map(|p| ("--out".to_string(), p.as_path()))
        .collect();
    let inputs: Vec<_> = m
        .files
        .iter()
        .map(|p| ("the sweep file".to_string(), p.as_path()))
        .collect();
    super::output::distinct_files(&outputs, &inputs)?;
    let mut files = Vec::new();
    for path in &m.files {
        let bytes = crate::input::read(path, crate::input::SWEEP).map_err(|e| {
            usage(format!(
                "cannot read `{}`: {}",
                path.display(),
                super::io_reason(&e)
            ))
        })?;
        // Not UTF-8: no sweep file (vixshield writes them in UTF-8), said
        // where, as the JSON errors below are.
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = e
                .as_bytes()
                .get(..e.utf8_error().valid_up_to())
                .unwrap_or_default();
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let at = crate::source::line_col(prefix, prefix.len());
            say!(
                "error: {}:{}:{}: not a sweep file (`sweep --out` writes them): not UTF-8",
                path.display(),
                at.line,
                at.column
            );
            exit::findings()
        })?;
        // The version first: another version's fields are not this one's.
        #[derive(serde::Deserialize)]
        struct Header {
            vixshield_sweep: Option<Value>,
        }
        if let Ok(Header {
            vixshield_sweep: Some(v),
        }) = serde_json::from_str::<Header>(&text)
            && v != sweep::FILE_VERSION
        {
            say!(
                "error: `{}`: unsupported sweep file version {v} (this vixshield reads version {})",
                path.display(),
                sweep::FILE_VERSION
            );
            return Err(exit::findings());
        }
        let f: SweepFile = serde_json::from_str(&text).map_err(|e| {
            // `FILE:LINE:COL: ...` as a journal's or a calendar's errors,
            // rather than serde's trailing "at line L column C".
            let what = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let what = what.strip_suffix(&suffix).unwrap_or(&what);
            let (line, column) = json_position(&text, e.line(), e.column());
            say!(
                "error: {}:{line}:{column}: not a sweep file (`sweep --out` writes them): {what}",
                path.display(),
            );
            exit::findings()
        })?;
        files.push((format!("`{}`", path.display()), f));
    }
    let merged = sweep::merge(files, rank).map_err(|e| {
        say!("error: {e}");
        exit::findings()
    })?;
    emit(&merged, m.out.as_deref(), m.format)
}

/// serde_json's line and column (lines end at `\n`, the column counts
/// bytes, 0 before the line's first) as every other position: lines end at
/// `\n`, `\r\n` or a lone `\r`, the column counts characters.
fn json_position(text: &str, line: usize, column: usize) -> (usize, usize) {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let at = crate::source::line_col(text, line_start + column.saturating_sub(1));
    (at.line, at.column)
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Null) | None => "-".into(),
        Some(v) => v.to_string(),
    }
}

fn params_text(p: &serde_json::Map<String, Value>, f: &SweepFile) -> String {
    f.grid
        .iter()
        .map(|a| format!("{}={}", a.name, text(p.get(&a.name))))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pct(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(x) => crate::money::fmt_percent_f64(x),
        None => "-".into(),
    }
}

fn fixed(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        Some(x) => format!("{x:.2}"),
        None => text(v),
    }
}

/// A metric for people: fractions as percentages, ratios with two decimals, money as written.
fn show(key: &str, v: Option<&Value>) -> String {
    match key {
        "cagr"
        | "max_drawdown"
        | "max_drawdown_intra_trade"
        | "win_rate"
        | "time_in_market"
        | "hedge_cost_to_credit" => pct(v),
        "sharpe" | "sortino" => fixed(v),
        "profit_factor" => match v.and_then(Value::as_f64) {
            Some(x) => crate::money::fmt_ratio_to_one(x),
            None => text(v),
        },
        "net_pnl" | "hedge_pnl" | "final_equity" | "lowest_equity" | "peak_capital_at_risk" => {
            match v.and_then(Value::as_str).and_then(|s| s.parse().ok()) {
                Some(d) => crate::money::fmt_money(d),
                None => text(v),
            }
        }
        _ => text(v),
    }
}

/// A metric's cell; a ratio left without a value because nothing was lost,
/// which ranks as +∞ ([`sweep::rank_value`]), reads `∞ (no loss)`, not `-`.
fn cell(key: &str, metrics: &serde_json::Map<String, Value>) -> String {
    match sweep::rank_value(key, metrics) {
        Some(x) if x.is_infinite() => NO_LOSS.into(),
        // CAGR, Sharpe and Sortino have no value after ruin, which ranks
        // the variant last: say why beside `-`, as `backtest` does.
        None if sweep::ruined(metrics) && metrics.get(key).is_some_and(Value::is_null) => {
            RUINED.into()
        }
        _ => show(key, metrics.get(key)),
    }
}

const NO_LOSS: &str = "∞ (no loss)";
const RUINED: &str = "- (ruined)";

const SHOWN: &[&str] = &["cagr", "max_drawdown", "sharpe", "net_pnl", "trades"];

fn table(w: &mut dyn Write, f: &SweepFile) -> std::io::Result<()> {
    let arrow = match f.rank.better {
        sweep::Better::Higher => "higher is better",
        sweep::Better::Lower => "lower is better",
    };
    let scope = match f.shard {
        Some(s) => format!(", shard {}/{}", s.index, s.count),
        None => String::new(),
    };
    writeln!(
        w,
        "sweep of `{}`: {} variant{}{scope}, ranked by {} ({arrow})",
        f.strategy,
        f.variants,
        if f.variants == 1 { "" } else { "s" },
        f.rank.metric
    )?;
    writeln!(w)?;
    let mut cols: Vec<&str> = SHOWN.to_vec();
    if !cols.contains(&f.rank.metric.as_str()) {
        cols.insert(0, f.rank.metric.as_str());
    }
    let mut header = format!("{:>5}  {:>7}", "rank", "variant");
    for a in &f.grid {
        header.push_str(&format!("  {:>10}", a.name));
    }
    for c in &cols {
        header.push_str(&format!("  {:>12}", c));
    }
    writeln!(w, "{header}")?;
    for r in &f.results {
        let mut line = format!("{:>5}  {:>7}", r.rank, r.variant);
        for a in &f.grid {
            line.push_str(&format!("  {:>10}", text(r.params.get(&a.name))));
        }
        for c in &cols {
            line.push_str(&format!("  {:>12}", cell(c, &r.metrics)));
        }
        writeln!(w, "{line}")?;
    }
    if !f.failed.is_empty() {
        writeln!(w, "\nfailed:")?;
        for x in &f.failed {
            writeln!(
                w,
                "  variant {} ({}): {}",
                x.variant,
                params_text(&x.params, f),
                x.error
            )?;
        }
    }
    Ok(())
}

/// The CSV's metric columns: the ranked ones, then those beside them.
fn metric_keys() -> impl Iterator<Item = &'static str> {
    sweep::METRICS
        .iter()
        .map(|(k, _)| *k)
        .chain(sweep::ALONGSIDE.iter().copied())
}

fn csv_out(w: &mut dyn Write, f: &SweepFile) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let mut head: Vec<String> = vec!["rank".into(), "variant".into()];
    head.extend(f.grid.iter().map(|a| a.name.clone()));
    head.extend(metric_keys().map(str::to_string));
    csv.write_record(&head)?;
    for r in &f.results {
        let mut row = vec![r.rank.to_string(), r.variant.to_string()];
        row.extend(f.grid.iter().map(|a| text(r.params.get(&a.name))));
        row.extend(metric_keys().map(|k| match r.metrics.get(k) {
            Some(Value::Null) | None => String::new(),
            v => text(v),
        }));
        csv.write_record(&row)?;
    }
    csv.flush()
}

fn walk_table(w: &mut dyn Write, wf: &WalkForward) -> std::io::Result<()> {
    writeln!(
        w,
        "walk-forward of `{}`: {} months in sample, {} out, best by {}",
        wf.strategy, wf.in_months, wf.out_months, wf.rank.metric
    )?;
    writeln!(w)?;
    writeln!(
        w,
        "{:<23}  {:<23}  {:<24}  {:>12}  {:>12}  {:>12}",
        "in sample", "out of sample", "best", "in sample", "out", "out net P&L"
    )?;
    let m = wf.rank.metric.as_str();
    for r in &wf.windows {
        let best = if r.params.is_empty() {
            "-".to_string()
        } else {
            r.params
                .iter()
                .map(|(k, v)| format!("{k}={}", text(Some(v))))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let ins = match r.in_sample {
            Some(x) if x.is_infinite() => NO_LOSS.to_string(),
            x => show(m, x.map(Value::from).as_ref()),
        };
        writeln!(
            w,
            "{} .. {}  {} .. {}  {:<24}  {:>12}  {:>12}  {:>12}{}",
            r.window.in_from,
            r.window.in_to,
            r.window.out_from,
            r.window.out_to,
            best,
            ins,
            cell(m, &r.out_of_sample),
            show("net_pnl", r.out_of_sample.get("net_pnl")),
            r.error
                .as_ref()
                .map_or(String::new(), |e| format!("  ({e})"))
        )?;
    }
    let mean = wf.mean_out_of_sample.map(Value::from);
    let ruined = wf
        .windows
        .iter()
        .filter(|r| sweep::ruined(&r.out_of_sample))
        .count();
    let note = if ruined > 0 {
        format!(
            " ({ruined} of {} windows ruined out of sample)",
            wf.windows.len()
        )
    } else {
        String::new()
    };
    writeln!(
        w,
        "\nmean out-of-sample {}: {}{note}",
        m,
        show(m, mean.as_ref())
    )
}

fn walk_csv(w: &mut dyn Write, wf: &WalkForward) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let mut head: Vec<String> = [
        "in_from",
        "in_to",
        "out_from",
        "out_to",
        "best",
        "params",
        "in_sample",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    head.extend(metric_keys().map(str::to_string));
    csv.write_record(&head)?;
    for r in &wf.windows {
        let mut row = vec![
            r.window.in_from.to_string(),
            r.window.in_to.to_string(),
            r.window.out_from.to_string(),
            r.window.out_to.to_string(),
            r.best.map_or(String::new(), |b| b.to_string()),
            r.params
                .iter()
                .map(|(k, v)| format!("{k}={}", text(Some(v))))
                .collect::<Vec<_>>()
                .join(" "),
            r.in_sample.map_or(String::new(), |x| x.to_string()),
        ];
        row.extend(metric_keys().map(|k| match r.out_of_sample.get(k) {
            Some(Value::Null) | None => String::new(),
            v => text(v),
        }));
        csv.write_record(&row)?;
    }
    csv.flush()
}
