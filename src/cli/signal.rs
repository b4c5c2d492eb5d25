//! `vixshield signal EXPR`: one signal expression's value on every market bar.

use super::common::{self, MarketArgs};
use super::{exit, read_source};
use crate::check;
use crate::compile::compile_expr;
use crate::diag;
use crate::eval::MarketValues;
use crate::graph::{Graph, Node, NodeId};
use crate::source::SourceFile;
use chrono::NaiveDate;
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of `signal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SignalFormat {
    /// `date,value` lines; the value is empty where there is none.
    Csv,
    /// Aligned columns for people; `-` where there is no value, `*` after a
    /// value carried forward.
    Table,
    /// A list of `{"date": ..., "value": ...}`; `null` where there is no value;
    /// `"carried": [...]` names the series read whose last value was carried forward.
    Json,
}

/// Print a signal expression's value on every market bar (`rsi(vix, 14)`,
/// `vix > sma(vix, 20) * 1.2`; conditions print as 1 and 0).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The expression, quoted: `"rsi(vix, 14)"`.
    #[arg(value_name = "EXPR", allow_hyphen_values = true)]
    expr: String,
    /// A strategy file whose `signal`s and `param`s the expression may name.
    #[arg(long, value_name = "FILE")]
    strategy: Option<PathBuf>,
    /// `csv`, `table` or `json`.
    #[arg(long, value_enum, default_value_t = SignalFormat::Csv)]
    format: SignalFormat,
    /// The first date printed (`YYYY-MM-DD`); the signal is still computed
    /// over the whole history, so its warm-up is the same.
    #[arg(long, value_name = "DATE", value_parser = common::parse_date)]
    from: Option<NaiveDate>,
    /// The last date printed (`YYYY-MM-DD`).
    #[arg(long, value_name = "DATE", value_parser = common::parse_date)]
    to: Option<NaiveDate>,
    #[command(flatten)]
    market: MarketArgs,
}

pub fn run(args: Args, color: bool) -> ExitCode {
    if let Err(code) = common::date_range(args.from, args.to) {
        return code;
    }
    if args.market.no_market {
        say!("error: `signal` prints market values; it cannot run with `--no-market`");
        return exit::trouble();
    }
    // The project's plugins and `--plugins`: a plugin is called like a built-in.
    let (env, setup) = match common::env(&args.market.plugins) {
        Ok(e) => e,
        Err(code) => return code,
    };
    // The strategy whose signals and params are in scope, if any.
    let context = match &args.strategy {
        None => None,
        Some(path) => {
            let src = match read_source(path) {
                Ok(src) => src,
                Err(msg) => {
                    say!("{msg}");
                    return exit::trouble();
                }
            };
            let checked = check::check_source(&src, &env);
            if !checked.diagnostics.is_empty() {
                eprint!("{}", diag::render_human(&src, &checked.diagnostics, color));
            }
            match checked.strategy {
                Some(strategy) => Some((checked.ast, strategy)),
                None => return exit::findings(),
            }
        }
    };
    let src = SourceFile::new("<expr>", args.expr.as_str());
    let checked = match &context {
        Some((ast, _)) => check::check_expr_with(&src, &env, ast),
        None => check::check_expr(&src, &env),
    };
    let (expr, calls) = match checked {
        Ok(c) => {
            if !c.warnings.is_empty() {
                eprint!("{}", diag::render_human(&src, &c.warnings, color));
            }
            (c.expr, c.plugin_calls)
        }
        Err(diags) => {
            eprint!("{}", diag::render_human(&src, &diags, color));
            return exit::findings();
        }
    };
    let defaults = setup.defaults();
    let (graph, id) = match compile_expr(&expr, context.as_ref().map(|(_, s)| s), &defaults, &calls)
    {
        Ok(c) => c,
        Err(e) => {
            say!("error: {e}");
            return exit::findings();
        }
    };
    // The series the expression reads: those `--market` must give, and
    // whose carried bars are flagged (docs/market-data.md).
    let read = series_read(&graph, id);
    let (market, calendar) = match common::load_market(&args.market, &read) {
        Ok(Some(m)) => m,
        Ok(None) => return exit::trouble(),
        Err(code) => return code,
    };
    let runner = match setup.runner(&graph) {
        Ok(r) => r,
        Err(e) => {
            say!("error: {e}");
            return exit::findings();
        }
    };
    let values = match MarketValues::compute_for(&graph, &[id], &market, &calendar, Some(&runner)) {
        Ok(v) => v,
        Err(e) => {
            say!("error: {e}");
            return exit::findings();
        }
    };
    let carried = |bar: usize| -> Vec<&str> {
        market
            .series()
            .filter(|s| read.contains(&s.name()) && s.is_carried(bar))
            .map(|s| s.name())
            .collect()
    };
    let rows = values
        .dates()
        .iter()
        .enumerate()
        .filter(|(_, d)| args.from.is_none_or(|f| **d >= f) && args.to.is_none_or(|t| **d <= t))
        .map(|(bar, d)| (*d, values.value_at(id, bar), carried(bar)));
    let result = super::output::print(|w| match args.format {
        SignalFormat::Csv => write_csv(w, rows),
        SignalFormat::Table => write_table(w, rows),
        SignalFormat::Json => write_json(w, rows),
    });
    // A closed pipe is an error like any other (docs/commands.md, the conventions).
    match result {
        Ok(()) => exit::ok(),
        Err(code) => code,
    }
}

/// The market series `id` reads.
fn series_read(graph: &Graph, id: NodeId) -> Vec<&str> {
    let (mut names, mut seen, mut todo) = (Vec::new(), HashSet::new(), vec![id]);
    while let Some(n) = todo.pop() {
        if !seen.insert(n) {
            continue;
        }
        match graph.node(n) {
            Some(Node::Series(name)) if !names.contains(&name.as_str()) => {
                names.push(name.as_str())
            }
            Some(node) => todo.extend(node.deps()),
            None => {}
        }
    }
    names
}

type Row<'a> = (NaiveDate, Option<f64>, Vec<&'a str>);

fn write_csv<'a>(w: &mut dyn Write, rows: impl Iterator<Item = Row<'a>>) -> std::io::Result<()> {
    writeln!(w, "date,value")?;
    for (date, value, _) in rows {
        match value {
            Some(v) => writeln!(w, "{date},{v}")?,
            None => writeln!(w, "{date},")?,
        }
    }
    Ok(())
}

fn write_table<'a>(w: &mut dyn Write, rows: impl Iterator<Item = Row<'a>>) -> std::io::Result<()> {
    writeln!(w, "{:<10}  {:>14}", "date", "value")?;
    let mut carried_any: Vec<&str> = Vec::new();
    for (date, value, carried) in rows {
        let v = value.map_or_else(|| "-".to_string(), crate::decision::fmt_f64);
        if carried.is_empty() {
            writeln!(w, "{date}  {v:>14}")?;
        } else {
            writeln!(w, "{date}  {v:>14} *")?;
            for name in carried {
                if !carried_any.contains(&name) {
                    carried_any.push(name);
                }
            }
        }
    }
    if !carried_any.is_empty() {
        writeln!(
            w,
            "* carried forward ({}): a series without a row that day keeps its last value",
            carried_any.join(", ")
        )?;
    }
    Ok(())
}

fn write_json<'a>(w: &mut dyn Write, rows: impl Iterator<Item = Row<'a>>) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct JsonRow<'a> {
        date: NaiveDate,
        value: Option<f64>,
        /// The series read whose value on this date was carried forward.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        carried: Vec<&'a str>,
    }
    w.write_all(b"[")?;
    let mut first = true;
    for (date, value, carried) in rows {
        w.write_all(if first { b"\n  " } else { b",\n  " })?;
        first = false;
        let row = JsonRow {
            date,
            value,
            carried,
        };
        serde_json::to_writer(&mut *w, &row).map_err(std::io::Error::other)?;
    }
    w.write_all(if first { b"]\n" } else { b"\n]\n" })
}
