//! Parameter sweeps: backtest every combination of param values, rank them,
//! split the grid into shards, merge shards back, and walk forward.
//!
//! - Grammar of one axis: `NAME=FROM..TO:STEP` (every value from FROM up to
//!   TO inclusive, STEP apart, in exact decimals) or `NAME=VALUE`. Values are
//!   literals of the language and keep the param's unit: `mult=1.6x..2.0x:0.1x`,
//!   `base=1%..2%:0.5%`, `period=10..20:2`, `cap=$5,000..$10,000:$2,500`.
//! - The grid is the cartesian product of the axes, in the order given, the
//!   last axis varying fastest; variant `i` is `i` written in that mixed radix.
//! - A shard `I/N` runs the variants whose index `i` has `i mod N == I`
//!   (round-robin, so that neighbouring variants, which cost about the same,
//!   spread evenly); [`merge`] puts the shards back together and ranks the
//!   union exactly as the unsharded sweep does.
//! - Each variant is the strategy re-checked with its param values
//!   ([`crate::check::check_source_with`]), compiled, its signals computed
//!   over the shared market data, and backtested; a variant whose values make
//!   the strategy invalid is listed as failed, with the checker's message.
//! - Ranking: by one numeric key of the backtest report, in the direction
//!   [`METRICS`] gives it; ties (and failed metrics, last) by variant index.

use crate::ast::{ExprKind, Literal, UnOp};
use crate::backtest::{self, Config, report::Report};
use crate::check::{self, Env};
use crate::eval::MarketValues;
use crate::market::{Calendar, Market};
use crate::plugin::PluginSetup;
use crate::source::SourceFile;
use chrono::{Months, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The most variants one sweep accepts.
pub const MAX_VARIANTS: usize = 1_000_000;

/// The sweep file format's version (`vixshield_sweep`), the one this build
/// writes and reads.
pub const FILE_VERSION: u32 = 1;

/// One axis of the grid: a param and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The param.
    pub name: String,
    /// Its values, in order.
    pub values: Vec<Literal>,
}

fn number(l: &Literal) -> Option<Decimal> {
    match l {
        Literal::Money(d)
        | Literal::Percent(d)
        | Literal::Bps(d)
        | Literal::Multiplier(d)
        | Literal::Days(d)
        | Literal::Points(d)
        | Literal::Number(d) => Some(*d),
        Literal::Version(_) | Literal::Str(_) => None,
    }
}

fn with_number(l: &Literal, d: Decimal) -> Literal {
    match l {
        Literal::Money(_) => Literal::Money(d),
        Literal::Percent(_) => Literal::Percent(d),
        Literal::Bps(_) => Literal::Bps(d),
        Literal::Multiplier(_) => Literal::Multiplier(d),
        Literal::Days(_) => Literal::Days(d),
        Literal::Points(_) => Literal::Points(d),
        _ => Literal::Number(d),
    }
}

/// A unit in words.
pub fn unit(l: &Literal) -> &'static str {
    match l {
        Literal::Money(_) => "money",
        Literal::Percent(_) => "a percentage",
        Literal::Bps(_) => "basis points",
        Literal::Multiplier(_) => "a multiplier",
        Literal::Days(_) => "days",
        Literal::Points(_) => "index points",
        Literal::Number(_) => "a plain number",
        Literal::Version(_) => "a version",
        Literal::Str(_) => "a string",
    }
}

/// A literal as written in a strategy file: `1.6x`, `1%`, `$1,000`, `14`.
pub fn literal_text(l: &Literal) -> String {
    let n = |d: &Decimal| d.normalize().to_string();
    match l {
        Literal::Money(d) => crate::money::fmt_money(*d),
        Literal::Percent(d) => format!("{}%", n(d)),
        Literal::Bps(d) => format!("{}bps", n(d)),
        Literal::Multiplier(d) => format!("{}x", n(d)),
        Literal::Days(d) => format!("{}d", n(d)),
        Literal::Points(d) => format!("{}pt", n(d)),
        Literal::Number(d) => n(d),
        Literal::Version(v) => v.clone(),
        Literal::Str(s) => format!("{s:?}"),
    }
}

/// Reads one value with the language's own literal syntax.
fn value(spec: &str, text: &str) -> Result<Literal, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("`--set {spec}`: a value is missing"));
    }
    let src = SourceFile::new("--set", t);
    let e = crate::parse::parse_expr(&src).map_err(|_| {
        format!(
            "`--set {spec}`: `{t}` is not a value (write for example `1.6x`, `1%`, `$1,000`, `14`)"
        )
    })?;
    let lit = match &e.kind {
        ExprKind::Lit(l) => Some(l.clone()),
        ExprKind::Unary(UnOp::Neg, inner) => match &inner.kind {
            ExprKind::Lit(l) => number(l).map(|d| with_number(l, -d)),
            _ => None,
        },
        _ => None,
    };
    match lit {
        Some(l) if number(&l).is_some() => Ok(l),
        _ => Err(format!(
            "`--set {spec}`: `{t}` is not a number with a unit (write for example `1.6x`, `1%`, `$1,000`, `14`)"
        )),
    }
}

/// Parses `NAME=FROM..TO:STEP` or `NAME=VALUE`.
pub fn parse_set(spec: &str) -> Result<Axis, String> {
    let example = "as in `--set mult=1.6x..2.0x:0.1x`";
    let Some((name, rest)) = spec.split_once('=') else {
        return Err(format!(
            "`--set {spec}`: expected NAME=FROM..TO:STEP, {example}"
        ));
    };
    let name = name.trim();
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`--set {spec}`: `{name}` is not a param name, {example}"
        ));
    }
    let Some((from, rest)) = rest.split_once("..") else {
        if rest.contains(':') {
            return Err(format!(
                "`--set {spec}`: a step needs a range FROM..TO before it, {example}"
            ));
        }
        return Ok(Axis {
            name: name.into(),
            values: vec![value(spec, rest)?],
        });
    };
    let Some((to, step)) = rest.rsplit_once(':') else {
        return Err(format!(
            "`--set {spec}`: the range needs a step, `FROM..TO:STEP`, {example}"
        ));
    };
    let (from, to, step) = (value(spec, from)?, value(spec, to)?, value(spec, step)?);
    let same = |a: &Literal, b: &Literal| std::mem::discriminant(a) == std::mem::discriminant(b);
    if !same(&from, &to) || !same(&from, &step) {
        return Err(format!(
            "`--set {spec}`: FROM, TO and STEP must have the same unit; found {}, {} and {}",
            unit(&from),
            unit(&to),
            unit(&step)
        ));
    }
    let (a, b, s) = (
        number(&from).unwrap_or_default(),
        number(&to).unwrap_or_default(),
        number(&step).unwrap_or_default(),
    );
    if s <= Decimal::ZERO {
        return Err(format!("`--set {spec}`: the step must be positive"));
    }
    if a > b {
        return Err(format!(
            "`--set {spec}`: FROM is above TO; write the low end first"
        ));
    }
    // A span past Decimal's range is divided by the step first
    // (`-max..max:max` is three values; the count, which only guards the
    // limit, may be one short there: the values below are exact); a
    // quotient past the range is far more values than allowed.
    let too_many = || {
        format!("`--set {spec}`: more than {MAX_VARIANTS} values; at most {MAX_VARIANTS} per sweep")
    };
    let count = b
        .checked_sub(a)
        .and_then(|span| span.checked_div(s))
        .or_else(|| b.checked_div(s)?.checked_sub(a.checked_div(s)?))
        .and_then(|q| q.floor().checked_add(Decimal::ONE))
        .ok_or_else(too_many)?;
    if count > Decimal::from(MAX_VARIANTS) {
        return Err(format!(
            "`--set {spec}`: {count} values; at most {MAX_VARIANTS} per sweep"
        ));
    }
    let mut values = Vec::new();
    let mut v = a;
    while v <= b {
        // The count above may be one short where the span was divided
        // first: the values themselves are the limit's last word.
        if values.len() == MAX_VARIANTS {
            return Err(format!(
                "`--set {spec}`: more than {MAX_VARIANTS} values; at most {MAX_VARIANTS} per sweep"
            ));
        }
        values.push(with_number(&from, v));
        // Past Decimal's largest value is past TO.
        let Some(next) = v.checked_add(s) else { break };
        // Past 28 digits the sum rounds: a step lost there never reaches TO.
        if next <= v {
            return Err(format!(
                "`--set {spec}`: the step is below the precision of the values (28 digits)"
            ));
        }
        v = next;
    }
    Ok(Axis {
        name: name.into(),
        values,
    })
}

/// The cartesian product of the axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The axes, in the order given.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// A grid; a param given twice, or too many variants, is an error.
    pub fn new(axes: Vec<Axis>) -> Result<Grid, String> {
        for (i, a) in axes.iter().enumerate() {
            if axes.iter().take(i).any(|b| b.name == a.name) {
                return Err(format!("`--set {}` is given twice", a.name));
            }
        }
        let mut total: usize = 1;
        for a in &axes {
            total = total
                .checked_mul(a.values.len())
                .filter(|t| *t <= MAX_VARIANTS)
                .ok_or_else(|| format!("the grid has more than {MAX_VARIANTS} variants"))?;
        }
        Ok(Grid { axes })
    }

    /// How many variants.
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Whether it has no variant (never: an empty grid is one variant, the defaults).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Variant `i`'s param values (last axis fastest).
    pub fn variant(&self, mut i: usize) -> Vec<(String, Literal)> {
        let mut out = vec![(String::new(), Literal::Number(Decimal::ZERO)); self.axes.len()];
        for (slot, a) in out.iter_mut().zip(&self.axes).rev() {
            let n = a.values.len().max(1);
            if let Some(v) = a.values.get(i % n) {
                *slot = (a.name.clone(), v.clone());
            }
            i /= n;
        }
        out
    }

    /// Checks the axes against the strategy's params: every name declared, every unit the param's.
    pub fn check_against(&self, params: &[crate::model::Param]) -> Result<(), String> {
        for a in &self.axes {
            let Some(p) = params.iter().find(|p| p.name == a.name) else {
                let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                let help = crate::diag::did_you_mean(&a.name, names.iter().copied())
                    .unwrap_or_else(|| {
                        if names.is_empty() {
                            // What to write: the grid's first value as the
                            // param's default, and its name where it goes.
                            let first = a.values.first();
                            let default = first.map_or("...".into(), literal_text);
                            let n = &a.name;
                            let example = match first {
                                Some(Literal::Multiplier(_)) => format!("`multiplier = {n}`"),
                                Some(Literal::Percent(_)) => format!("`base = {n} of capital`"),
                                Some(Literal::Money(_)) => format!("`layer_cap = {n}`"),
                                Some(Literal::Days(_)) => format!("`dte = {n}`"),
                                Some(Literal::Points(_)) => format!("`wing_width = {n}`"),
                                _ => format!("`steps = {n}`"),
                            };
                            format!(
                                "the strategy declares no params: declare it at the top of the file \
                                 (`param {n} = {default}`) and write `{n}` in place of the value it \
                                 varies ({example})"
                            )
                        } else {
                            format!("its params are {}", names.join(", "))
                        }
                    });
                return Err(format!(
                    "`--set {}`: the strategy has no param `{}`; {help}",
                    a.name, a.name
                ));
            };
            if let Some(v) = a.values.first()
                && std::mem::discriminant(v) != std::mem::discriminant(&p.value)
            {
                // The same grid in the param's unit.
                let as_param = |d: Decimal| literal_text(&with_number(&p.value, d));
                let numbers: Vec<Decimal> = a.values.iter().filter_map(number).collect();
                let fix = match numbers[..] {
                    [one] => format!(": write `--set {}={}`", a.name, as_param(one)),
                    [first, second, .., last] | [first, last @ second] => {
                        match second.checked_sub(first) {
                            Some(step) => format!(
                                ": write `--set {}={}..{}:{}`",
                                a.name,
                                as_param(first),
                                as_param(last),
                                as_param(step)
                            ),
                            None => String::new(),
                        }
                    }
                    [] => String::new(),
                };
                return Err(format!(
                    "`--set {}`: param `{}` is {} ({}), the values given are {}{fix}",
                    a.name,
                    a.name,
                    unit(&p.value),
                    literal_text(&p.value),
                    unit(v)
                ));
            }
        }
        Ok(())
    }
}

/// One slice of the grid: the variants with `index mod count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// I, from 0.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("`--shard {s}`: expected I/N with 0 ≤ I < N, as in `--shard 0/4`");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether variant `i` is in this shard.
    pub fn contains(&self, i: usize) -> bool {
        i % self.count.max(1) == self.index
    }
}

/// Whether a larger value of a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Larger is better (ranked descending).
    Higher,
    /// Smaller is better (ranked ascending).
    Lower,
}

/// The numeric keys of the backtest report and their direction.
pub const METRICS: &[(&str, Better)] = &[
    ("cagr", Better::Higher),
    ("sharpe", Better::Higher),
    ("sortino", Better::Higher),
    ("net_pnl", Better::Higher),
    ("final_equity", Better::Higher),
    ("lowest_equity", Better::Higher),
    ("profit_factor", Better::Higher),
    ("win_rate", Better::Higher),
    ("hedge_pnl", Better::Higher),
    ("trades", Better::Higher),
    ("cycles", Better::Higher),
    ("time_in_market", Better::Higher),
    ("max_drawdown", Better::Lower),
    ("max_drawdown_intra_trade", Better::Lower),
    ("max_consecutive_losses", Better::Lower),
    ("max_step_reached", Better::Lower),
    ("cycles_stopped_out", Better::Lower),
    ("losses_past_stop", Better::Lower),
    ("peak_capital_at_risk", Better::Lower),
    ("hedge_cost_to_credit", Better::Lower),
    ("skipped", Better::Lower),
];

/// A metric's direction, or an error naming the metrics.
pub fn metric(name: &str) -> Result<Better, String> {
    METRICS
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, b)| *b)
        .ok_or_else(|| {
            let names: Vec<&str> = METRICS.iter().map(|(k, _)| *k).collect();
            let hint = crate::diag::did_you_mean(name, names.iter().copied())
                .map_or(String::new(), |h| format!("{h} "));
            format!(
                "`--rank {name}`: not a metric; {hint}the metrics are {}",
                names.join(", ")
            )
        })
}

/// Keys of the backtest report a variant's metrics carry beside
/// [`METRICS`] but no ranking reads: the Sharpe ratio's standard error (to
/// judge whether two Sharpe ratios differ), the day of the lowest equity,
/// the day the equity fell to $0 or below (`null`: never), the condors
/// at the contract limit (which trade less than the variant sizes), and the
/// largest condor loss as a multiple of its max loss.
pub const ALONGSIDE: &[&str] = &[
    "sharpe_se",
    "lowest_equity_on",
    "ruined_on",
    "trades_at_contract_limit",
    "worst_loss_to_max_loss",
];

/// The metrics of a report, as JSON values (decimals as exact strings):
/// [`METRICS`], then [`ALONGSIDE`].
pub fn metrics(r: &Report) -> Map<String, Value> {
    let all = serde_json::to_value(r).unwrap_or(Value::Null);
    METRICS
        .iter()
        .map(|(k, _)| *k)
        .chain(ALONGSIDE.iter().copied())
        .map(|k| (k.to_string(), all.get(k).cloned().unwrap_or(Value::Null)))
        .collect()
}

fn as_f64(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| !x.is_nan())
}

/// The value a variant ranks by on `key`: the metric's number, or +∞ for a
/// ratio that has no value because nothing was lost while something was
/// gained: a profit factor with a condor profit and no losing condor, a
/// Sortino ratio with a gain and no losing day. That is the best a variant
/// can do, not a value missing (which ranks last: a profit factor without a
/// condor, or whose condors all closed at $0, 0 over 0).
pub fn rank_value(key: &str, metrics: &Map<String, Value>) -> Option<f64> {
    as_f64(metrics.get(key)).or_else(|| {
        let money = |k: &str| -> Option<Decimal> {
            match metrics.get(k)? {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.to_string().parse().ok(),
                _ => None,
            }
        };
        let unbounded = match key {
            // Without a losing condor, the condors' P&L (the report's net
            // less its hedges) is their gross profit: the ratio's numerator.
            // A win rate counts $0 condors as won, so it cannot tell.
            "profit_factor" => money("net_pnl")
                .zip(money("hedge_pnl"))
                .and_then(|(net, hedge)| net.checked_sub(hedge))
                .is_some_and(|condors| condors > Decimal::ZERO),
            // No losing day is no intra-trade drawdown; a ruined run (the
            // marked equity at $0 or below) has no Sortino ratio either,
            // and its drawdown is over 100%.
            "sortino" => {
                money("net_pnl").is_some_and(|x| x > Decimal::ZERO)
                    && !as_f64(metrics.get("max_drawdown_intra_trade")).is_some_and(|d| d > 0.0)
            }
            _ => false,
        };
        unbounded.then_some(f64::INFINITY)
    })
}

/// Whether a variant's account was ruined: its lowest marked equity was
/// $0 or below (the report's `ruined_on`), so it has no CAGR, Sharpe or
/// Sortino, which rank it last.
pub fn ruined(metrics: &Map<String, Value>) -> bool {
    match metrics.get("lowest_equity") {
        Some(Value::String(s)) => s.parse::<Decimal>().is_ok_and(|x| x <= Decimal::ZERO),
        _ => false,
    }
}

/// One ranked variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// 1 for the best.
    pub rank: usize,
    /// Its index in the grid.
    pub variant: usize,
    /// Its param values, as written.
    pub params: Map<String, Value>,
    /// The report's metrics.
    pub metrics: Map<String, Value>,
}

/// A variant that could not be backtested.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Its index in the grid.
    pub variant: usize,
    /// Its param values, as written.
    pub params: Map<String, Value>,
    /// Why.
    pub error: String,
}

/// An axis as written to the sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisOut {
    /// The param.
    pub name: String,
    /// Its values, as written.
    pub values: Vec<String>,
}

/// The ranking rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rank {
    /// The metric.
    pub metric: String,
    /// Its direction.
    pub better: Better,
}

/// A sweep's result, as `--out` writes it and `sweep merge` reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepFile {
    /// The format's version.
    pub vixshield_sweep: u32,
    /// The strategy's name.
    pub strategy: String,
    /// SHA-256 of the strategy file's text.
    pub source_sha256: String,
    /// The axes.
    pub grid: Vec<AxisOut>,
    /// Variants in the whole grid.
    pub variants: usize,
    /// The backtest's assumptions.
    pub config: Value,
    /// How the results are ranked.
    pub rank: Rank,
    /// The slice this file holds, or `null` for the whole grid.
    pub shard: Option<Shard>,
    /// Ranked, best first.
    pub results: Vec<Row>,
    /// Variants that failed, by index.
    pub failed: Vec<Failure>,
}

impl SweepFile {
    /// Sorts the results by the rank rule and numbers them.
    pub fn rerank(&mut self) {
        let key = self.rank.metric.clone();
        let better = self.rank.better;
        self.results.sort_by(|a, b| {
            let (x, y) = (rank_value(&key, &a.metrics), rank_value(&key, &b.metrics));
            let by_value = match (x, y) {
                (Some(x), Some(y)) => match better {
                    Better::Higher => y.total_cmp(&x),
                    Better::Lower => x.total_cmp(&y),
                },
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            by_value.then(a.variant.cmp(&b.variant))
        });
        for (i, r) in self.results.iter_mut().enumerate() {
            r.rank = i + 1;
        }
        self.failed.sort_by_key(|f| f.variant);
    }

    /// The axes that changed nothing: two values or more, and every two
    /// backtested variants that differ in that axis alone have the same
    /// metrics, at least two of them (a trigger level the history never
    /// reaches, a cap that never binds). Only over the results held: a
    /// shard's pairs are the shard's. Each with how many of its values gave
    /// a backtest (a value whose every variant failed gave none).
    pub fn inert_axes(&self) -> Vec<(&AxisOut, usize)> {
        let mut rows: Vec<(usize, &Map<String, Value>)> = self
            .results
            .iter()
            .map(|r| (r.variant, &r.metrics))
            .collect();
        rows.sort_unstable_by_key(|r| r.0);
        let mut out = Vec::new();
        // A variant's digit on axis `a` is `(i / stride) % n`, the last axis
        // varying fastest (stride 1).
        let mut stride = 1usize;
        for a in self.grid.iter().rev() {
            let n = a.values.len().max(1);
            // Each group of variants that differ in this axis alone, keyed
            // by its member with digit 0 here, must agree with its first.
            let mut first = std::collections::HashMap::new();
            let mut pairs = 0usize;
            let mut ran = std::collections::HashSet::new();
            let inert = rows.iter().all(|&(i, m)| {
                let digit = (i / stride) % n;
                ran.insert(digit);
                let key = i - digit * stride;
                match first.get(&key) {
                    None => {
                        first.insert(key, m);
                        true
                    }
                    Some(&f) => {
                        pairs += 1;
                        f == m
                    }
                }
            });
            if n >= 2 && inert && pairs > 0 {
                out.push((a, ran.len()));
            }
            stride = stride.saturating_mul(n);
        }
        out.reverse();
        out
    }

    /// The value of the ranking metric of a row.
    pub fn score(&self, r: &Row) -> Option<f64> {
        rank_value(&self.rank.metric, &r.metrics)
    }

    /// Checks what a file read from disk says about itself before anything
    /// is sized by it: the format's version, `variants` equal to its grid's
    /// product (at most [`MAX_VARIANTS`]), a shard `I/N` with I < N, and every
    /// variant listed inside the grid and in the shard.
    pub fn check(&self) -> Result<(), String> {
        if self.vixshield_sweep != FILE_VERSION {
            return Err(format!(
                "unsupported sweep file version {} (this vixshield reads version {FILE_VERSION})",
                self.vixshield_sweep
            ));
        }
        let mut total: usize = 1;
        for a in &self.grid {
            total = total
                .checked_mul(a.values.len())
                .filter(|t| *t <= MAX_VARIANTS)
                .ok_or_else(|| format!("its grid has more than {MAX_VARIANTS} variants"))?;
        }
        if self.variants != total {
            return Err(format!(
                "`variants` is {}, but its grid has {total}",
                self.variants
            ));
        }
        if let Some(s) = self.shard
            && (s.count == 0 || s.index >= s.count)
        {
            return Err(format!(
                "its shard {}/{} is not a shard: expected I/N with 0 ≤ I < N",
                s.index, s.count
            ));
        }
        let listed = self.results.iter().map(|r| (r.variant, &r.params));
        for (v, params) in listed.chain(self.failed.iter().map(|f| (f.variant, &f.params))) {
            if v >= total {
                return Err(format!(
                    "variant {v} is outside its grid of {total} variants"
                ));
            }
            if let Some(s) = self.shard
                && !s.contains(v)
            {
                return Err(format!(
                    "variant {v} is not in its shard {}/{}",
                    s.index, s.count
                ));
            }
            // Its params are its grid values, as written (the last axis
            // varying fastest).
            let mut i = v;
            let mut want = Vec::with_capacity(self.grid.len());
            for a in self.grid.iter().rev() {
                let n = a.values.len().max(1);
                want.push((a.name.as_str(), a.values.get(i % n).map(String::as_str)));
                i /= n;
            }
            let same = params.len() == want.len()
                && want
                    .iter()
                    .all(|(name, value)| params.get(*name).and_then(Value::as_str) == *value);
            if !same {
                let grid: Vec<String> = want
                    .iter()
                    .rev()
                    .map(|(n, v)| format!("{n} = {}", v.unwrap_or("?")))
                    .collect();
                return Err(format!(
                    "variant {v}'s params are not its grid values ({})",
                    grid.join(", ")
                ));
            }
        }
        for r in &self.results {
            check_metrics(&r.metrics).map_err(|e| format!("variant {}: {e}", r.variant))?;
        }
        Ok(())
    }
}

/// What [`metrics`] writes, key by key: [`METRICS`] and [`ALONGSIDE`], each
/// of its kind (money as decimal text; counts as whole numbers of 0 or
/// more; ratios as numbers or `null`; days as `YYYY-MM-DD` or `null`), and
/// nothing else. A merge ranks and shows what it reads.
fn check_metrics(m: &Map<String, Value>) -> Result<(), String> {
    const MONEY: &[&str] = &[
        "net_pnl",
        "hedge_pnl",
        "final_equity",
        "lowest_equity",
        "peak_capital_at_risk",
    ];
    const COUNTS: &[&str] = &[
        "trades",
        "cycles",
        "max_consecutive_losses",
        "max_step_reached",
        "cycles_stopped_out",
        "losses_past_stop",
        "skipped",
        "trades_at_contract_limit",
    ];
    const DAYS: &[&str] = &["lowest_equity_on", "ruined_on"];
    let keys = METRICS
        .iter()
        .map(|(k, _)| *k)
        .chain(ALONGSIDE.iter().copied());
    for k in keys.clone() {
        let v = m
            .get(k)
            .ok_or_else(|| format!("its metrics have no `{k}`"))?;
        let ok = if MONEY.contains(&k) {
            v.as_str().is_some_and(|t| t.parse::<Decimal>().is_ok())
        } else if COUNTS.contains(&k) {
            v.as_u64().is_some()
        } else if DAYS.contains(&k) {
            v.is_null() || v.as_str().is_some_and(|t| t.parse::<NaiveDate>().is_ok())
        } else {
            v.is_null() || v.is_number()
        };
        if !ok {
            let kind = if MONEY.contains(&k) {
                "an amount as decimal text"
            } else if COUNTS.contains(&k) {
                "a whole number of 0 or more"
            } else if DAYS.contains(&k) {
                "a day (YYYY-MM-DD) or null"
            } else {
                "a number or null"
            };
            return Err(format!("its `{k}` is {v}, not {kind}"));
        }
    }
    if let Some(extra) = m.keys().find(|k| !keys.clone().any(|w| w == k.as_str())) {
        return Err(format!("its metrics have `{extra}`, which no sweep writes"));
    }
    Ok(())
}

/// Merges shards into the ranking of the whole grid. Each file comes with
/// its name (for the errors) and must pass [`SweepFile::check`]; the files
/// must come from the same strategy text, grid, assumptions and shard count,
/// and together hold every variant exactly once.
pub fn merge(files: Vec<(String, SweepFile)>, rank: Option<Rank>) -> Result<SweepFile, String> {
    for (name, f) in &files {
        f.check().map_err(|e| format!("{name}: {e}"))?;
    }
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let mut it = files.into_iter().map(|(_, f)| f);
    let Some(mut out) = it.next() else {
        return Err("nothing to merge: give the sweep files".into());
    };
    let count = out.shard.map_or(1, |s| s.count);
    // Which file (1-based) listed each variant; 0: none yet. `check` bounded
    // `variants` by the grid, and the grid by MAX_VARIANTS.
    let mut seen = vec![0usize; out.variants];
    let name = |i: usize| names.get(i.wrapping_sub(1)).map_or("?", String::as_str);
    let mark = |v: usize, file: usize, seen: &mut Vec<usize>| -> Result<(), String> {
        match seen.get_mut(v) {
            Some(s) if *s != 0 => Err(format!(
                "variant {v} appears twice ({} and {}): a shard was given twice, or shards of different splits",
                name(*s),
                name(file)
            )),
            Some(s) => {
                *s = file;
                Ok(())
            }
            None => Err(format!(
                "{}: variant {v} is outside the grid of {} variants",
                name(file),
                seen.len()
            )),
        }
    };
    for r in &out.results {
        mark(r.variant, 1, &mut seen)?;
    }
    for f in &out.failed {
        mark(f.variant, 1, &mut seen)?;
    }
    for (n, f) in it.enumerate() {
        let file = n + 2;
        let what = if f.source_sha256 != out.source_sha256 {
            Some("the strategy file's text")
        } else if f.grid != out.grid || f.variants != out.variants {
            Some("the grid")
        } else if f.config != out.config {
            Some("the backtest assumptions")
        } else if f.shard.map_or(1, |s| s.count) != count {
            Some("the number of shards")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(format!(
                "{} differs from {} in {what}; merge shards of one sweep only",
                name(file),
                name(1)
            ));
        }
        for r in &f.results {
            mark(r.variant, file, &mut seen)?;
        }
        for x in &f.failed {
            mark(x.variant, file, &mut seen)?;
        }
        out.results.extend(f.results);
        out.failed.extend(f.failed);
    }
    let missing: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| **s == 0)
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        let some: Vec<String> = missing.iter().take(5).map(usize::to_string).collect();
        return Err(format!(
            "{} of {} variants are missing (variant {}{}); merge every shard",
            missing.len(),
            out.variants,
            some.join(", "),
            if missing.len() > 5 { ", ..." } else { "" }
        ));
    }
    if let Some(r) = rank {
        out.rank = r;
    }
    out.shard = None;
    out.rerank();
    Ok(out)
}

/// What every variant shares: the strategy text, the market, the assumptions.
pub struct Runner<'a> {
    /// The strategy file.
    pub source: &'a SourceFile,
    /// The checker's environment: plugins and events.
    pub env: &'a Env,
    /// The plugins a variant's signals may call.
    pub plugins: &'a PluginSetup,
    /// Market data, loaded once.
    pub market: &'a Market,
    /// Events, loaded once.
    pub calendar: &'a Calendar,
    /// The backtest's assumptions.
    pub config: &'a Config,
}

impl Runner<'_> {
    /// Backtests one variant between `from` and `to` (the config's range when `None`).
    pub fn report(
        &self,
        overrides: &[(String, Literal)],
        range: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<Report, String> {
        let checked = check::check_source_with(self.source, self.env, overrides);
        let Some(s) = checked.strategy else {
            let first = checked
                .diagnostics
                .iter()
                .find(|d| d.severity() == crate::diag::Severity::Error)
                .map_or("the strategy does not check".to_string(), |d| {
                    format!("{}: {}", d.code.as_str(), d.message)
                });
            return Err(first);
        };
        let compiled =
            crate::compile::compile(&s, &self.plugins.defaults()).map_err(|e| e.to_string())?;
        let plugins = self
            .plugins
            .runner(&compiled.graph)
            .map_err(|e| e.to_string())?;
        let values =
            MarketValues::compute(&compiled.graph, self.market, self.calendar, Some(&plugins))
                .map_err(|e| e.to_string())?;
        let mut config = self.config.clone();
        if let Some((from, to)) = range {
            config.from = Some(from);
            config.to = Some(to);
        }
        let bt = backtest::run(&s, &compiled, self.market, &values, &config, |_, _| {})
            .map_err(|e| e.to_string())?;
        Ok(backtest::report::report(&bt, s.account.capital))
    }
}

fn params_map(v: &[(String, Literal)]) -> Map<String, Value> {
    v.iter()
        .map(|(n, l)| (n.clone(), Value::String(literal_text(l))))
        .collect()
}

/// What a sweep needs besides the runner.
pub struct Plan<'a> {
    /// The strategy's name.
    pub name: &'a str,
    /// The grid.
    pub grid: &'a Grid,
    /// The ranking rule.
    pub rank: Rank,
    /// The slice to run, or all.
    pub shard: Option<Shard>,
}

/// Runs the variants of a plan in parallel and ranks them.
pub fn run(runner: &Runner<'_>, plan: &Plan<'_>, progress: &(dyn Fn() + Sync)) -> SweepFile {
    let indices: Vec<usize> = (0..plan.grid.len())
        .filter(|i| plan.shard.is_none_or(|s| s.contains(*i)))
        .collect();
    let outcomes: Vec<Result<Row, Failure>> = indices
        .par_iter()
        .map(|&i| {
            let v = plan.grid.variant(i);
            let r = runner.report(&v, None);
            progress();
            match r {
                Ok(report) => Ok(Row {
                    rank: 0,
                    variant: i,
                    params: params_map(&v),
                    metrics: metrics(&report),
                }),
                Err(error) => Err(Failure {
                    variant: i,
                    params: params_map(&v),
                    error,
                }),
            }
        })
        .collect();
    let mut results = Vec::new();
    let mut failed = Vec::new();
    for o in outcomes {
        match o {
            Ok(r) => results.push(r),
            Err(f) => failed.push(f),
        }
    }
    let mut out = SweepFile {
        vixshield_sweep: FILE_VERSION,
        strategy: plan.name.to_string(),
        source_sha256: sha256(runner.source.text()),
        grid: axes_out(plan.grid),
        variants: plan.grid.len(),
        config: serde_json::to_value(runner.config).unwrap_or(Value::Null),
        rank: plan.rank.clone(),
        shard: plan.shard,
        results,
        failed,
    };
    out.rerank();
    out
}

fn sha256(text: &str) -> String {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(text.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A walk-forward period in months: `5y`, `60m`.
pub fn parse_period(s: &str) -> Option<u32> {
    let s = s.trim();
    let (n, mult) = if let Some(n) = s.strip_suffix('y') {
        (n, 12)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 1)
    } else {
        return None;
    };
    let n: u32 = n.trim().parse().ok()?;
    n.checked_mul(mult).filter(|m| *m > 0)
}

/// Parses `IN/OUT`, e.g. `5y/1y` or `60m/12m`, into months.
pub fn parse_walk(s: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!(
            "`--walk-forward {s}`: expected IN/OUT with periods in years or months, as in `5y/1y` or `60m/12m`"
        )
    };
    let (a, b) = s.split_once('/').ok_or_else(bad)?;
    // A period written right but of no length, or too long to count in
    // months, is named as such rather than as a bad shape.
    let period = |p: &str| {
        parse_period(p).ok_or_else(|| {
            let digits = p.trim().trim_end_matches(['y', 'm']);
            if p.trim().ends_with(['y', 'm'])
                && !digits.is_empty()
                && digits.bytes().all(|c| c.is_ascii_digit())
            {
                if digits.bytes().all(|c| c == b'0') {
                    format!(
                        "`--walk-forward {s}`: `{p}` is no time at all; a period is at least 1m"
                    )
                } else {
                    format!("`--walk-forward {s}`: `{p}` is too long to count in months")
                }
            } else {
                bad()
            }
        })
    };
    Ok((period(a)?, period(b)?))
}

/// One walk-forward window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// In-sample first day.
    pub in_from: NaiveDate,
    /// In-sample last day.
    pub in_to: NaiveDate,
    /// Out-of-sample first day.
    pub out_from: NaiveDate,
    /// Out-of-sample last day (the data's end for the last, maybe shorter, window).
    pub out_to: NaiveDate,
}

/// Rolling windows over `[start, end]`: in-sample `in_months`, then
/// out-of-sample `out_months`, moving forward by `out_months`; the last
/// out-of-sample window is cut at `end`. Every boundary is a whole number of
/// months after `start` (window `k` starts `k × out_months` after it, its
/// out-of-sample `in_months` later), each added to `start` at once: from a
/// month's end, chained additions drift (Jan 31 + 1m + 1m is Mar 29, not
/// Mar 31) and would leave days in no out-of-sample window.
pub fn windows(start: NaiveDate, end: NaiveDate, in_months: u32, out_months: u32) -> Vec<Window> {
    let after = |months: Option<u32>| months.and_then(|m| start.checked_add_months(Months::new(m)));
    let mut out = Vec::new();
    let mut k: u32 = 0;
    while let Some(in_from) = after(k.checked_mul(out_months)) {
        let out_offset = k
            .checked_mul(out_months)
            .and_then(|m| m.checked_add(in_months));
        let Some(out_from) = after(out_offset) else {
            break;
        };
        if out_from > end {
            break;
        }
        let out_to = after(out_offset.and_then(|m| m.checked_add(out_months)))
            .and_then(|d| d.pred_opt())
            .map_or(end, |d| d.min(end));
        out.push(Window {
            in_from,
            in_to: out_from.pred_opt().unwrap_or(out_from),
            out_from,
            out_to,
        });
        k += 1;
    }
    out
}

/// The grid's axes, their values as written.
fn axes_out(grid: &Grid) -> Vec<AxisOut> {
    grid.axes
        .iter()
        .map(|a| AxisOut {
            name: a.name.clone(),
            values: a.values.iter().map(literal_text).collect(),
        })
        .collect()
}

/// The first and last day with both SPX and VIX (what a backtest can trade).
pub fn tradeable_range(market: &Market) -> Option<(NaiveDate, NaiveDate)> {
    let spx = market.get("spx")?.close();
    let vix = market.get("vix")?.close();
    let ok = |i: &usize| {
        spx.get(*i).is_some_and(|x| x.is_finite()) && vix.get(*i).is_some_and(|x| x.is_finite())
    };
    let dates = market.dates();
    let first = (0..dates.len()).find(ok)?;
    let last = (0..dates.len()).rev().find(ok)?;
    Some((*dates.get(first)?, *dates.get(last)?))
}

/// One walk-forward window's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalkRow {
    /// The window.
    #[serde(flatten)]
    pub window: Window,
    /// The best variant in-sample, if any succeeded.
    pub best: Option<usize>,
    /// Its params.
    pub params: Map<String, Value>,
    /// Its ranking metric in-sample.
    pub in_sample: Option<f64>,
    /// Its metrics out of sample.
    pub out_of_sample: Map<String, Value>,
    /// Why the window has no result, if so.
    pub error: Option<String>,
}

/// A walk-forward analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalkForward {
    /// The strategy's name.
    pub strategy: String,
    /// SHA-256 of the strategy file's text.
    pub source_sha256: String,
    /// The axes.
    pub grid: Vec<AxisOut>,
    /// Variants in the grid.
    pub variants: usize,
    /// The backtest's assumptions.
    pub config: Value,
    /// In-sample length, months.
    pub in_months: u32,
    /// Out-of-sample length, months.
    pub out_months: u32,
    /// The ranking rule.
    pub rank: Rank,
    /// One row a window.
    pub windows: Vec<WalkRow>,
    /// Mean of the ranking metric out of sample, over windows with a result.
    pub mean_out_of_sample: Option<f64>,
}

/// Walks forward: in each window, every variant in-sample, the best out of sample.
pub fn walk_forward(
    runner: &Runner<'_>,
    plan: &Plan<'_>,
    (in_months, out_months): (u32, u32),
    (start, end): (NaiveDate, NaiveDate),
    progress: &(dyn Fn() + Sync),
) -> WalkForward {
    let ws = windows(start, end, in_months, out_months);
    let key = plan.rank.metric.clone();
    let better = plan.rank.better;
    let mut rows = Vec::new();
    for w in ws {
        // Each variant's score, and whether it was backtested and ruined.
        let scores: Vec<(usize, Option<f64>, bool, bool)> = (0..plan.grid.len())
            .into_par_iter()
            .map(|i| {
                let r = runner.report(&plan.grid.variant(i), Some((w.in_from, w.in_to)));
                progress();
                match r {
                    Ok(r) => {
                        let m = metrics(&r);
                        (i, rank_value(&key, &m), true, ruined(&m))
                    }
                    Err(_) => (i, None, false, false),
                }
            })
            .collect();
        let backtested = scores.iter().filter(|s| s.2).count();
        let ruined_in = scores.iter().filter(|s| s.3).count();
        // The best, ties to the lowest index (the order `scores` is in).
        let mut best: Option<(usize, f64)> = None;
        for (i, s, _, _) in scores {
            let Some(s) = s else { continue };
            let wins = match best {
                None => true,
                Some((_, b)) => match better {
                    Better::Higher => s > b,
                    Better::Lower => s < b,
                },
            };
            if wins {
                best = Some((i, s));
            }
        }
        let row = match best {
            None => WalkRow {
                window: w,
                best: None,
                params: Map::new(),
                in_sample: None,
                out_of_sample: Map::new(),
                // A variant backtested without a value to rank by (a
                // ruined one has no CAGR, Sharpe or Sortino) was not one
                // that could not be backtested.
                error: Some(if backtested == 0 {
                    "no variant could be backtested in sample".into()
                } else if ruined_in > 0 {
                    format!(
                        "no variant has a {key} in sample: {ruined_in} of {} ruined",
                        plan.grid.len()
                    )
                } else {
                    format!("no variant has a {key} in sample")
                }),
            },
            Some((i, s)) => {
                let v = plan.grid.variant(i);
                match runner.report(&v, Some((w.out_from, w.out_to))) {
                    Ok(r) => WalkRow {
                        window: w,
                        best: Some(i),
                        params: params_map(&v),
                        in_sample: Some(s),
                        out_of_sample: metrics(&r),
                        error: None,
                    },
                    Err(e) => WalkRow {
                        window: w,
                        best: Some(i),
                        params: params_map(&v),
                        in_sample: Some(s),
                        out_of_sample: Map::new(),
                        error: Some(e),
                    },
                }
            }
        };
        rows.push(row);
    }
    let oos: Vec<f64> = rows
        .iter()
        .filter_map(|r| as_f64(r.out_of_sample.get(&key)))
        .collect();
    // A window ruined out of sample has no CAGR, Sharpe or Sortino; a mean
    // of the other windows' would be the survivors' alone, so there is none.
    let ruined_out = rows
        .iter()
        .any(|r| ruined(&r.out_of_sample) && as_f64(r.out_of_sample.get(&key)).is_none());
    WalkForward {
        strategy: plan.name.to_string(),
        source_sha256: sha256(runner.source.text()),
        grid: axes_out(plan.grid),
        variants: plan.grid.len(),
        config: serde_json::to_value(runner.config).unwrap_or(Value::Null),
        in_months,
        out_months,
        rank: plan.rank.clone(),
        mean_out_of_sample: (!oos.is_empty() && !ruined_out)
            .then(|| oos.iter().sum::<f64>() / oos.len() as f64),
        windows: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(spec: &str) -> Axis {
        parse_set(spec).unwrap_or_else(|_| Axis {
            name: String::new(),
            values: Vec::new(),
        })
    }

    /// Three axes of 2, 3 and 2 values (12 variants, the last fastest):
    /// the metric is a function of the chosen axes' digits only; a failed
    /// variant (missing) takes nothing away, and an axis with one value is
    /// never named.
    #[test]
    fn inert_axes_follow_the_mixed_radix() {
        let file = |lens: &[usize], depends_on: &[usize], missing: &[usize]| {
            let grid: Vec<AxisOut> = lens
                .iter()
                .enumerate()
                .map(|(k, &n)| AxisOut {
                    name: format!("p{k}"),
                    values: (0..n).map(|v| v.to_string()).collect(),
                })
                .collect();
            let total: usize = lens.iter().product();
            let results = (0..total)
                .filter(|i| !missing.contains(i))
                .map(|i| {
                    // Variant i's digits, the last axis fastest.
                    let mut digits = vec![0; lens.len()];
                    let mut rest = i;
                    for (d, &n) in digits.iter_mut().zip(lens).rev() {
                        *d = rest % n;
                        rest /= n;
                    }
                    let key: Vec<usize> = depends_on.iter().map(|&k| digits[k]).collect();
                    let mut metrics = Map::new();
                    metrics.insert("m".into(), Value::from(format!("{key:?}")));
                    Row {
                        rank: 0,
                        variant: i,
                        params: Map::new(),
                        metrics,
                    }
                })
                .collect();
            SweepFile {
                vixshield_sweep: FILE_VERSION,
                strategy: String::new(),
                source_sha256: String::new(),
                grid,
                variants: total,
                config: Value::Null,
                rank: Rank {
                    metric: "m".into(),
                    better: Better::Higher,
                },
                shard: None,
                results,
                failed: Vec::new(),
            }
        };
        let names = |f: &SweepFile| -> Vec<String> {
            f.inert_axes().iter().map(|(a, _)| a.name.clone()).collect()
        };
        assert_eq!(
            names(&file(&[2, 3, 2], &[0, 1, 2], &[])),
            Vec::<String>::new()
        );
        assert_eq!(names(&file(&[2, 3, 2], &[1], &[])), ["p0", "p2"]);
        assert_eq!(names(&file(&[2, 3, 2], &[0, 2], &[])), ["p1"]);
        assert_eq!(names(&file(&[2, 3, 2], &[0], &[3, 7])), ["p1", "p2"]);
        assert_eq!(names(&file(&[2, 1, 2], &[0, 2], &[])), Vec::<String>::new());
        // p1's third value failed in every variant: two of its values ran.
        let counts = |f: &SweepFile| -> Vec<(String, usize)> {
            f.inert_axes()
                .iter()
                .map(|(a, ran)| (a.name.clone(), *ran))
                .collect()
        };
        assert_eq!(
            counts(&file(&[2, 3, 2], &[0], &[4, 5, 10, 11])),
            [("p1".to_string(), 2), ("p2".to_string(), 2)]
        );
        // No two results that differ in p0 alone: nothing to say about it.
        assert_eq!(names(&file(&[2, 2], &[1], &[2, 3])), Vec::<String>::new());
    }

    #[test]
    fn ranges_enumerate_exactly() {
        let t: Vec<String> = axis("mult=1.6x..2.0x:0.1x")
            .values
            .iter()
            .map(literal_text)
            .collect();
        assert_eq!(t, ["1.6x", "1.7x", "1.8x", "1.9x", "2x"]);
        assert_eq!(axis("base=1%..2%:0.5%").values.len(), 3);
        assert_eq!(
            axis("p=14").values,
            vec![Literal::Number(Decimal::from(14))]
        );
        let t: Vec<String> = axis("cap=$5,000..$10,000:$2,500")
            .values
            .iter()
            .map(literal_text)
            .collect();
        assert_eq!(t, ["$5,000", "$7,500", "$10,000"]);
    }

    #[test]
    fn variants_are_mixed_radix() {
        let g = Grid::new(vec![axis("a=1..2:1"), axis("b=1..3:1")]);
        let g = g.unwrap_or(Grid { axes: Vec::new() });
        assert_eq!(g.len(), 6);
        let v: Vec<String> = g.variant(4).iter().map(|(_, l)| literal_text(l)).collect();
        assert_eq!(v, ["2", "2"]);
        let v: Vec<String> = g.variant(2).iter().map(|(_, l)| literal_text(l)).collect();
        assert_eq!(v, ["1", "3"], "the last axis varies fastest");
    }

    #[test]
    fn windows_roll() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default();
        let w = windows(d(2000, 1, 3), d(2003, 6, 30), 24, 12);
        assert_eq!(w.len(), 2);
        assert_eq!(w.first().map(|w| w.out_from), Some(d(2002, 1, 3)));
        assert_eq!(w.first().map(|w| w.out_to), Some(d(2003, 1, 2)));
        assert_eq!(w.last().map(|w| w.out_to), Some(d(2003, 6, 30)));
    }

    #[test]
    fn shards_partition_the_grid() {
        let shards: Vec<Shard> = (0..3)
            .filter_map(|i| Shard::parse(&format!("{i}/3")).ok())
            .collect();
        for v in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(v)).count(), 1);
        }
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("0/0").is_err());
    }
}
