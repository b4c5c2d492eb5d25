//! Evaluation: the rule graph run over market bars and closed trades.
//!
//! Two phases. [`MarketValues::compute`] evaluates the market nodes the
//! decisions read once over the whole history, in node order, each built-in incrementally (O(1) per
//! bar). Then [`Engine`], an event-driven state machine, takes closed trades
//! one by one: each updates the state (step, the cycle's P&L, equity, the
//! realized hedge profit) and the decision nodes are evaluated in topological
//! order, reading market nodes at the trade's bar. Last come the guards
//! (`Engine::guards`), in file order at the same bar: each records its
//! outcome (pass, capped, blocked, unknown) with its numbers, a block marks
//! the decision `blocked`, a cap scales the hedge layers' budgets down; the
//! step and size are never touched. docs/guards.md states the inputs.
//!
//! Semantics (docs/engine.md): step 1 is the base; a loss below the
//! step limit moves one step up, the size being the size traded × the
//! multiplier into the next step, rounded, capped; reset on win returns to step
//! 1 on any pnl ≥ 0, reset on recovery only once the cycle's P&L is ≥ 0 (else
//! step and size stay); any trade at the step limit ends the cycle.

use crate::ast::BinOp;
use crate::compile::Compiled;
use crate::decision::{
    Decision, Event, GuardDecision, GuardKind, GuardVerdict, HedgeDecision, Leaf, LeafValue,
    RollDecision, Trigger,
};
use crate::graph::{Graph, Input, Node, NodeId};
use crate::ladder::{self, StepSize};
use crate::market::{Calendar, Market, knows_between};
use crate::model::{Amount, Basis, Guard, Reset, Strategy};
use crate::money::{self, Overflow};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use std::sync::Arc;

/// What can go wrong while evaluating.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// Money beyond a decimal's range: `after trade 12: amount overflows ...`.
    #[error("after trade {trade}: {source}")]
    Overflow {
        /// The trade.
        trade: usize,
        /// The overflow.
        source: Overflow,
    },
    /// A plugin signal failed or is not available.
    #[error("{0}")]
    Plugin(String),
    /// A built-in rejected its arguments.
    #[error("{0}")]
    Signal(String),
}

impl EvalError {
    /// The trade (1-based, in journal order) an overflow happened at:
    /// applying it, or deciding after it. `None` before any trade and for
    /// other errors.
    pub fn trade(&self) -> Option<usize> {
        match self {
            EvalError::Overflow { trade, .. } if *trade > 0 => Some(*trade),
            _ => None,
        }
    }
}

/// Runs plugin signals for the evaluator (the wasm host implements it).
pub trait PluginRunner {
    /// `name(inputs..., params...)` over whole series; NaN where there is no value.
    fn run(&self, name: &str, inputs: &[&[f64]], params: &[f64]) -> Result<Vec<f64>, String>;
}

/// One market node's values, a value per bar.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Numbers; `None` where there is no value (warm-up, missing data).
    Num(Vec<Option<f64>>),
    /// Conditions; `None` where unknown.
    Bool(Vec<Option<bool>>),
}

/// The market nodes of a graph, evaluated over a market's bars.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarketValues {
    dates: Vec<NaiveDate>,
    /// The series whose dates are the bars (`vix`, or with `--market` and
    /// no VIX file the first series given), for messages.
    primary: String,
    columns: Vec<Option<Column>>,
    /// The event calendar the `within` columns were computed from, for
    /// decisions to name the event that blocks an entry.
    calendar: Calendar,
}

fn num_col(c: Option<&Column>) -> &[Option<f64>] {
    match c {
        Some(Column::Num(v)) => v,
        _ => &[],
    }
}

fn bool_col(c: Option<&Column>) -> &[Option<bool>] {
    match c {
        Some(Column::Bool(v)) => v,
        _ => &[],
    }
}

fn to_f64s(v: &[Option<f64>]) -> Vec<f64> {
    v.iter().map(|x| x.unwrap_or(f64::NAN)).collect()
}

impl MarketValues {
    /// Evaluates over `market`'s bars the market nodes of `graph` that its
    /// decision nodes read (directly or through other market nodes); when
    /// the graph has no decision nodes (a signal expression alone), every
    /// market node. A signal nothing uses is not computed.
    pub fn compute(
        graph: &Graph,
        market: &Market,
        calendar: &Calendar,
        plugins: Option<&dyn PluginRunner>,
    ) -> Result<MarketValues, EvalError> {
        let roots: Vec<NodeId> = (0..graph.nodes.len())
            .filter(|&i| graph.nodes.get(i).is_some_and(|n| !n.is_market()))
            .map(|i| NodeId(i as u32))
            .collect();
        if roots.is_empty() {
            let all: Vec<NodeId> = (0..graph.nodes.len()).map(|i| NodeId(i as u32)).collect();
            return Self::compute_for(graph, &all, market, calendar, plugins);
        }
        Self::compute_for(graph, &roots, market, calendar, plugins)
    }

    /// Evaluates the market nodes `roots` need (themselves included) over
    /// `market`'s bars; every other node's column is empty.
    pub fn compute_for(
        graph: &Graph,
        roots: &[NodeId],
        market: &Market,
        calendar: &Calendar,
        plugins: Option<&dyn PluginRunner>,
    ) -> Result<MarketValues, EvalError> {
        let dates = market.dates().to_vec();
        let n = dates.len();
        let needed = needed_nodes(graph, roots);
        let mut columns: Vec<Option<Column>> = Vec::with_capacity(graph.nodes.len());
        // Which bars bring a new observation to each node (see `Fresh`).
        let mut fresh: Vec<Fresh> = Vec::with_capacity(graph.nodes.len());
        for (i, node) in graph.nodes.iter().enumerate() {
            if needed.get(i) != Some(&true) {
                columns.push(None);
                fresh.push(Fresh::Always);
                continue;
            }
            let fresh_of = |id: &NodeId| fresh.get(id.index()).unwrap_or(&Fresh::Always);
            fresh.push(match node {
                Node::Series(name) => market.get(name).map_or(Fresh::Always, Fresh::of_series),
                Node::Const(_) => Fresh::Never,
                Node::Builtin { args, .. } | Node::Plugin { args, .. } => {
                    Fresh::any(args.iter().map(fresh_of))
                }
                Node::Neg(a) | Node::Not(a) => fresh_of(a).clone(),
                Node::Binary(_, a, b) => Fresh::any([fresh_of(a), fresh_of(b)]),
                Node::Signal { value, .. } => fresh_of(value).clone(),
                _ => Fresh::Always,
            });
            let col = |id: &NodeId| columns.get(id.index()).and_then(Option::as_ref);
            let c = match node {
                Node::Series(name) => Some(Column::Num(match market.get(name) {
                    Some(s) => s
                        .close()
                        .iter()
                        .map(|x| x.is_finite().then_some(*x))
                        .collect(),
                    None => vec![None; n],
                })),
                Node::Const(v) => Some(Column::Num(vec![v.is_finite().then_some(*v); n])),
                Node::Builtin {
                    func,
                    periods,
                    args,
                } => {
                    let inputs: Vec<Vec<f64>> =
                        args.iter().map(|a| to_f64s(num_col(col(a)))).collect();
                    let refs: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
                    let out = match fresh.get(i) {
                        Some(Fresh::Bars(bars)) => func.compute_fresh(&refs, periods, bars),
                        _ => func.compute(&refs, periods),
                    }
                    .map_err(|e| EvalError::Signal(e.to_string()))?;
                    Some(Column::Num(out))
                }
                Node::Plugin { name, args, params } => {
                    let runner = plugins.ok_or_else(|| {
                        EvalError::Plugin(format!(
                            "plugin `{name}` is used but no plugin host is available"
                        ))
                    })?;
                    let mut inputs: Vec<Vec<f64>> =
                        args.iter().map(|a| to_f64s(num_col(col(a)))).collect();
                    // As a built-in, a plugin sees only the bars that bring a
                    // new observation, and repeats its value on the others.
                    let bars = match fresh.get(i) {
                        Some(Fresh::Bars(bars)) => Some(bars),
                        _ => None,
                    };
                    if let Some(bars) = bars {
                        for input in &mut inputs {
                            *input = on_fresh_bars(input, bars);
                        }
                    }
                    let refs: Vec<&[f64]> = inputs.iter().map(Vec::as_slice).collect();
                    let out = runner.run(name, &refs, params).map_err(|e| {
                        // Where the file calls it, when the graph knows.
                        let id = NodeId(i as u32);
                        match graph.names.plugin_calls.iter().find(|(n, _)| *n == id) {
                            Some((_, at)) => EvalError::Plugin(format!("{at}: {e}")),
                            None => EvalError::Plugin(e),
                        }
                    })?;
                    let out = match bars {
                        Some(bars) => spread_over_bars(out, bars),
                        None => out,
                    };
                    Some(Column::Num(
                        out.into_iter()
                            .map(|x| x.is_finite().then_some(x))
                            .collect(),
                    ))
                }
                Node::Not(a) => Some(Column::Bool(
                    bool_col(col(a)).iter().map(|x| x.map(|b| !b)).collect(),
                )),
                Node::Neg(a) => Some(Column::Num(
                    num_col(col(a)).iter().map(|x| x.map(|v| -v)).collect(),
                )),
                Node::Binary(op, a, b) => Some(binary(*op, col(a), col(b), n)),
                Node::Within { days, events } => {
                    // Each kind's dates looked up once, not once a bar.
                    let lists: Vec<KindDates> = events
                        .iter()
                        .map(|k| (calendar.dates(k), calendar.unknown_spans(k)))
                        .collect();
                    Some(Column::Bool(
                        dates.iter().map(|d| within(&lists, *d, *days)).collect(),
                    ))
                }
                Node::Signal { value, .. } => col(value).cloned(),
                _ => None,
            };
            columns.push(c);
        }
        Ok(MarketValues {
            dates,
            primary: market.primary().name().to_string(),
            columns,
            calendar: calendar.clone(),
        })
    }

    /// The bar on or before `date` (a journal date may fall on a weekend).
    pub fn bar_on_or_before(&self, date: NaiveDate) -> Option<usize> {
        let i = self.dates.partition_point(|d| *d <= date);
        let last = self.dates.last().copied()?;
        if i == 0
            || last
                .checked_add_days(chrono::Days::new(5))
                .is_some_and(|end| date > end)
        {
            // Before the history, or well after its end: no data for that date.
            return None;
        }
        Some(i - 1)
    }

    /// The dates of the bars.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }

    /// A node's column.
    pub fn column(&self, id: NodeId) -> Option<&Column> {
        self.columns.get(id.index()).and_then(Option::as_ref)
    }

    /// A condition node's value at a bar; `None` when unknown.
    pub fn bool_at(&self, id: NodeId, bar: Option<usize>) -> Option<bool> {
        bar.and_then(|b| bool_col(self.column(id)).get(b).copied().flatten())
    }

    /// A number node's value at a bar.
    pub fn num_at(&self, id: NodeId, bar: Option<usize>) -> Option<f64> {
        bar.and_then(|b| num_col(self.column(id)).get(b).copied().flatten())
    }

    /// Any market node's value at a bar, a number or a condition; `None` when unknown.
    pub fn leaf_at(&self, id: NodeId, bar: Option<usize>) -> Option<LeafValue> {
        let b = bar?;
        match self.column(id)? {
            Column::Num(v) => v.get(b).copied().flatten().map(LeafValue::Num),
            Column::Bool(v) => v.get(b).copied().flatten().map(LeafValue::Bool),
        }
    }

    /// A node's value at a bar as a number, conditions as 1 and 0 (what
    /// `vixshield signal` prints); `None` when unknown.
    pub fn value_at(&self, id: NodeId, bar: usize) -> Option<f64> {
        match self.leaf_at(id, Some(bar))? {
            LeafValue::Num(v) => Some(v),
            LeafValue::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        }
    }

    /// The date of a bar.
    pub fn date(&self, bar: usize) -> Option<NaiveDate> {
        self.dates.get(bar).copied()
    }

    /// The event calendar the values were computed with.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }
}

/// `within Nd of` `kinds` at `date` from `calendar` alone: true when an
/// event of one of them falls in `[date, date + days]` (calendar days),
/// false when the calendar covers every kind there, else unknown.
pub fn within_on(
    calendar: &Calendar,
    kinds: &[String],
    date: NaiveDate,
    days: u32,
) -> Option<bool> {
    let lists: Vec<KindDates> = kinds
        .iter()
        .map(|k| (calendar.dates(k), calendar.unknown_spans(k)))
        .collect();
    within(&lists, date, days)
}

/// The first event of one of `kinds` in `[date, date + days]` in
/// `calendar`: its kind and date.
pub fn event_within<'k>(
    calendar: &Calendar,
    kinds: &'k [String],
    date: NaiveDate,
    days: u32,
) -> Option<(&'k str, NaiveDate)> {
    kinds
        .iter()
        .filter_map(|k| {
            let dates = calendar.dates(k);
            let next = *dates.get(dates.partition_point(|d| *d < date))?;
            ((next - date).num_days() <= i64::from(days)).then_some((k.as_str(), next))
        })
        .min_by_key(|(_, d)| *d)
}

/// The kinds among `kinds` whose events `calendar` does not cover over
/// `[date, date + days]` (see `within`'s coverage rule).
pub fn uncovered<'k>(
    calendar: &Calendar,
    kinds: &'k [String],
    date: NaiveDate,
    days: u32,
) -> Vec<&'k str> {
    kinds
        .iter()
        .filter(|k| !covers(calendar, k, date, days))
        .map(String::as_str)
        .collect()
}

/// Whether the calendar knows every event of `kind` in `[date, date + days]`
/// ([`Calendar::knows`]).
fn covers(calendar: &Calendar, kind: &str, date: NaiveDate, days: u32) -> bool {
    date.checked_add_days(chrono::Days::new(u64::from(days)))
        .is_some_and(|end| calendar.knows(kind, date, end))
}

/// A kind's event dates and the spans where its events are not known.
type KindDates<'c> = (&'c [NaiveDate], &'c [(NaiveDate, NaiveDate)]);

/// `within` with the calendar's coverage: true when an event of one of the
/// kinds falls in `[date, date + days]`; false only when the calendar knows
/// every kind's events there (the window lies between the kind's first and
/// last dates and meets none of its unknown spans, as [`Calendar::knows`]);
/// otherwise unknown, never silently false. The bundled CPI and PPI dates
/// start in January 2000, with a few months whose release was never found
/// marked unknown (`data/cpi-ppi-unknown.csv`).
fn within(kinds: &[KindDates<'_>], date: NaiveDate, days: u32) -> Option<bool> {
    let end = date.checked_add_days(chrono::Days::new(u64::from(days)))?;
    let mut known = true;
    for (dates, unknown) in kinds {
        // As `Calendar::within`: the next event on or after `date` is at most `days` away.
        let next = dates.get(dates.partition_point(|d| *d < date));
        if next.is_some_and(|next| *next <= end) {
            return Some(true);
        }
        known &= knows_between(dates, unknown, date, end);
    }
    known.then_some(false)
}

fn binary(op: BinOp, a: Option<&Column>, b: Option<&Column>, n: usize) -> Column {
    match op {
        BinOp::And | BinOp::Or => {
            let (a, b) = (bool_col(a), bool_col(b));
            Column::Bool(
                (0..n)
                    .map(|i| {
                        let (x, y) = (a.get(i).copied().flatten(), b.get(i).copied().flatten());
                        // Kleene logic: false and unknown = false, true or unknown = true.
                        if op == BinOp::And {
                            match (x, y) {
                                (Some(false), _) | (_, Some(false)) => Some(false),
                                (Some(true), Some(true)) => Some(true),
                                _ => None,
                            }
                        } else {
                            match (x, y) {
                                (Some(true), _) | (_, Some(true)) => Some(true),
                                (Some(false), Some(false)) => Some(false),
                                _ => None,
                            }
                        }
                    })
                    .collect(),
            )
        }
        BinOp::CrossAbove => Column::Bool(crate::signals::crosses_above(num_col(a), num_col(b))),
        BinOp::CrossBelow => Column::Bool(crate::signals::crosses_below(num_col(a), num_col(b))),
        _ => {
            let (a, b) = (num_col(a), num_col(b));
            let pair =
                |i: usize| Some((a.get(i).copied().flatten()?, b.get(i).copied().flatten()?));
            if op.is_comparison() {
                Column::Bool(
                    (0..n)
                        .map(|i| {
                            let (x, y) = pair(i)?;
                            Some(match op {
                                BinOp::Lt => x < y,
                                BinOp::Le => x <= y,
                                BinOp::Gt => x > y,
                                BinOp::Ge => x >= y,
                                BinOp::Eq => x == y,
                                _ => x != y,
                            })
                        })
                        .collect(),
                )
            } else {
                Column::Num(
                    (0..n)
                        .map(|i| {
                            let (x, y) = pair(i)?;
                            let v = match op {
                                BinOp::Add => x + y,
                                BinOp::Sub => x - y,
                                BinOp::Mul => x * y,
                                _ => x / y,
                            };
                            v.is_finite().then_some(v)
                        })
                        .collect(),
                )
            }
        }
    }
}

/// A closed trade from the journal: the event the engine steps on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedTrade {
    /// When it closed.
    pub date: NaiveDate,
    /// Its P&L.
    pub pnl: Decimal,
    /// Its credit, if known.
    pub credit: Option<Decimal>,
    /// Its hedge's realized P&L, if any.
    pub hedge_pnl: Option<Decimal>,
}

/// A journal's trade as the engine reads it.
impl From<&crate::journal::Trade> for ClosedTrade {
    fn from(t: &crate::journal::Trade) -> ClosedTrade {
        ClosedTrade {
            date: t.date,
            pnl: t.pnl,
            credit: t.credit,
            hedge_pnl: t.hedge_pnl,
        }
    }
}

/// The engine's state between trades.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct State {
    /// Trades applied so far.
    pub trades: usize,
    /// The next trade's step.
    pub step: u32,
    /// The size traded at the step before, in this cycle.
    pub prev_size: Decimal,
    /// A size held under reset on recovery.
    pub held: Option<Decimal>,
    /// Equity after all trades.
    pub equity: Decimal,
    /// The cycle's P&L so far.
    pub cycle_pnl: Decimal,
    /// The realized hedge profit of the last trade (≥ 0).
    pub hedge_profit: Decimal,
    /// Roll carried because no layer was active.
    pub roll_carry: Decimal,
    /// The last trade's date.
    pub date: Option<NaiveDate>,
    /// The last trade's P&L.
    pub pnl: Option<Decimal>,
    /// What the last trade did.
    pub event: Event,
    /// The P&L of the cycle that the last trade ended, if it ended one.
    pub cycle_result: Option<Decimal>,
}

/// One per-event node value.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Empty,
    Money(Decimal),
    Maybe(Option<Decimal>),
    Step(u32),
    /// The size node's value lives in [`Engine::size`], keeping slots small.
    Size,
    Fraction(Decimal),
    Trigger(Trigger),
    Budget {
        active: bool,
        budget: Decimal,
    },
    Coefficient {
        value: Decimal,
        applied: Option<usize>,
        clamped: bool,
    },
}

/// What a decision node reads from outside the graph, as bits of a mask: a
/// node is evaluated again only when something it reads (itself or through
/// the nodes it depends on) changed since the engine's last decision.
mod reads {
    pub const STEP: u16 = 1;
    pub const PREV: u16 = 1 << 1;
    pub const HELD: u16 = 1 << 2;
    pub const EQUITY: u16 = 1 << 3;
    pub const CREDIT: u16 = 1 << 4;
    pub const PROFIT: u16 = 1 << 5;
    pub const CARRY: u16 = 1 << 6;
    pub const BAR: u16 = 1 << 7;
    /// In every node's mask: set only when nothing was read before (the
    /// first decision, or after [`super::Engine::invalidate`] or an error),
    /// so that every node, even one that reads nothing, is evaluated then.
    pub const FIRST: u16 = 1 << 15;
    pub const ALL: u16 = u16::MAX;
}

/// A hedge budget scaled as a guard scaled its condor's size: `budget ×
/// allowed / asked`, down to the cent. The product is exact decimal when it
/// fits one; past a decimal's 28 digits (a budget and a size of $10^14
/// each), where the quotient still fits, it is taken on the 128-bit
/// mantissas, so such an account is not an overflow, and past those, as
/// the fraction `allowed / asked` times the budget. `None` for a negative
/// amount or for `asked` zero.
fn scale_budget(budget: Decimal, allowed: Decimal, asked: Decimal) -> Option<Decimal> {
    if let Ok(product) = money::mul(budget, allowed) {
        return product
            .checked_div(asked)
            .map(|q| q.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero));
    }
    // Without trailing zeros: a budget of a size times an allocation carries
    // a dozen places, most of them zeros.
    let (budget, allowed, asked) = (budget.normalize(), allowed.normalize(), asked.normalize());
    let ((b, bn), (a, an), (d, dn)) = (
        money::magnitude(budget),
        money::magnitude(allowed),
        money::magnitude(asked),
    );
    if bn || an || dn || d == 0 {
        return None;
    }
    // budget × allowed / asked × 10^2 = b × a × 10^e / d.
    let e = i64::from(asked.scale()) + 2 - i64::from(budget.scale()) - i64::from(allowed.scale());
    let exact = money::mul_magnitudes(b, a)
        .and_then(|n| money::aligned(n, d, e))
        .and_then(|(n, d)| money::decimal_of(n / d, false, 2));
    // Past 128 bits too (a budget of sub-cent places, from a size of equity
    // and a roll): the fraction allowed / asked first, to 28 digits, whose
    // error is far below a cent of any budget a decimal holds.
    exact.or_else(|| {
        budget
            .checked_mul(allowed.checked_div(asked)?)
            .map(|x| x.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero))
    })
}

/// Whether two amounts have the same representation, not only the same
/// value: `1.0` and `1.00` print differently, and so may `-0` and `0`.
#[inline]
fn same(a: Decimal, b: Decimal) -> bool {
    let (x, y) = (a.unpack(), b.unpack());
    x.lo == y.lo && x.mid == y.mid && x.hi == y.hi && x.scale == y.scale && x.negative == y.negative
}

fn same_opt(a: Option<Decimal>, b: Option<Decimal>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// One decision node in evaluation order: its slot, the node, and what it
/// reads ([`reads`] bits, its dependencies' included).
#[derive(Clone, Copy, Debug)]
struct Step<'a> {
    slot: usize,
    node: &'a Node,
    reads: u16,
}

/// The event-driven state machine over a compiled strategy.
pub struct Engine<'a> {
    strategy: &'a Strategy,
    compiled: &'a Compiled,
    market: Option<&'a MarketValues>,
    /// The event calendar the blackout guard reads at the decision's date:
    /// the market's, or one given alone ([`Engine::with_calendar`]) when
    /// there is no market data (`--no-market`), since dates need no prices.
    calendar: Option<&'a Calendar>,
    /// The decision nodes in topological order.
    plan: Vec<Step<'a>>,
    /// What changed since the last decision ([`reads`] bits): marked by
    /// [`Engine::apply`]; every bit before the first decision, after
    /// [`Engine::invalidate`] or an error, when every node is evaluated.
    dirty: u16,
    /// The credit and the bar the last decision read.
    last_credit: Option<Decimal>,
    last_bar: Option<usize>,
    slots: Vec<Slot>,
    state: State,
    layer_names: Vec<Arc<str>>,
    override_texts: Vec<Arc<str>>,
    max_loss_rules: Vec<Arc<str>>,
    /// Step 1's size and the cap, when they do not depend on equity.
    fixed: Option<(StepSize, Option<Decimal>)>,
    /// The size node's value (one per graph).
    size: StepSize,
    /// With a fixed base and cap, the size at each step (the index) for the
    /// size before it, from the last time that step was reached.
    size_memo: Vec<Option<(Decimal, StepSize)>>,
    /// Whether the size node was evaluated since the record last took its value.
    size_fresh: bool,
    /// The date to read market nodes at, instead of the last trade's (until the next trade).
    as_of: Option<NaiveDate>,
    /// Each guard as written.
    guard_texts: Vec<Arc<str>>,
    /// The names of the market values each guard reads.
    guard_input_names: Vec<Vec<Arc<str>>>,
    /// The names of each layer's trigger leaves.
    trigger_leaf_names: Vec<Vec<Arc<str>>>,
    /// Each WACC guard, prepared (`None` for other guards, or when the
    /// account lacks an input or the inputs are rejected).
    wacc_guards: Vec<Option<crate::guards::WaccGuard>>,
    /// Each WACC guard's clear pass, prepared for the last few hedge totals
    /// (one per step, typically) and equity scales it saw.
    wacc_passes: Vec<[Option<crate::guards::WaccPass>; WACC_PASSES]>,
    /// How many sigmas away the next condor's short strikes sit (its short
    /// delta's upper end: the nearer strikes), for the quick ratio's stress.
    strike_sigmas: f64,
    /// The last decision's record, updated in place by the next one: only
    /// the parts whose reads changed are rebuilt (`None` before the first).
    current: Option<Box<Decision>>,
    /// What the hedge layers and the roll read ([`reads`] bits): their
    /// records are rebuilt only when one of these changed.
    hedge_reads: u16,
    /// The active layers' total budget before the guards (kept with the
    /// hedge records).
    asked: Decimal,
    /// Whether a guard scaled the last decision's hedge budgets down: then
    /// the next decision rebuilds them from the graph's values.
    scaled: bool,
}

impl<'a> Engine<'a> {
    /// An engine before any trade.
    pub fn new(
        strategy: &'a Strategy,
        compiled: &'a Compiled,
        market: Option<&'a MarketValues>,
    ) -> Engine<'a> {
        let capital = strategy.account.capital;
        let fixed = (!ladder::depends_on_equity(&strategy.sizing))
            .then(|| {
                let base = ladder::base_size(&strategy.sizing, capital, capital).ok()?;
                let cap = ladder::cap_money(&strategy.sizing, capital, capital).ok()?;
                Some((base, cap))
            })
            .flatten();
        let plan = plan(&compiled.graph, fixed.is_some());
        let ids = &compiled.ids;
        let hedge_nodes = ids
            .triggers
            .iter()
            .chain(&ids.budgets)
            .chain(&ids.roll_coefficient)
            .chain(&ids.roll_amount);
        let hedge_reads = hedge_nodes.fold(reads::STEP | reads::BAR, |m, id| {
            m | plan
                .iter()
                .find(|p| p.slot == id.index())
                .map_or(reads::ALL, |p| p.reads)
        });
        Engine {
            strategy,
            compiled,
            market,
            calendar: market.map(MarketValues::calendar),
            plan,
            dirty: reads::ALL,
            last_credit: None,
            last_bar: None,
            slots: vec![Slot::Empty; compiled.graph.nodes.len()],
            state: State {
                trades: 0,
                step: 1,
                prev_size: Decimal::ZERO,
                held: None,
                equity: capital,
                cycle_pnl: Decimal::ZERO,
                hedge_profit: Decimal::ZERO,
                roll_carry: Decimal::ZERO,
                date: None,
                pnl: None,
                event: Event::Start,
                cycle_result: None,
            },
            layer_names: strategy
                .hedges
                .iter()
                .map(|h| Arc::from(h.name.as_str()))
                .collect(),
            override_texts: strategy
                .roll
                .iter()
                .flat_map(|r| {
                    r.overrides
                        .iter()
                        .map(|o| Arc::from(crate::fmt::expr(&o.when).as_str()))
                })
                .collect(),
            max_loss_rules: (1..=strategy.sizing.steps)
                .map(|k| Arc::from(max_loss_rule(strategy, k).as_str()))
                .collect(),
            fixed,
            size: Decision::empty().sizing,
            size_memo: vec![None; strategy.sizing.steps as usize + 1],
            size_fresh: false,
            as_of: None,
            guard_texts: strategy
                .guards
                .iter()
                .map(|g| Arc::from(crate::compile::describe_guard(g).as_str()))
                .collect(),
            guard_input_names: arc_names(&compiled.ids.guard_inputs),
            trigger_leaf_names: arc_names(&compiled.ids.trigger_leaves),
            wacc_guards: strategy
                .guards
                .iter()
                .map(|g| match (g, wacc_inputs(&strategy.account)) {
                    (Guard::Wacc { max_bps, .. }, Some(inputs)) => {
                        crate::guards::WaccGuard::new(&inputs, *max_bps).ok()
                    }
                    _ => None,
                })
                .collect(),
            wacc_passes: vec![[None; WACC_PASSES]; strategy.guards.len()],
            strike_sigmas: crate::guards::strike_sigmas(crate::compile::f64_of(
                strategy.entry.short_delta.1,
            )),
            current: None,
            hedge_reads,
            asked: Decimal::ZERO,
            scaled: false,
        }
    }

    /// The engine with `calendar` for the blackout guard instead of the
    /// market's: for decisions without market data (`--no-market`), whose
    /// event windows need only the decision's date and the calendar. Every
    /// market value (signals, triggers, conditions, `within` columns, which
    /// are read at a bar) stays unknown without market data.
    pub fn with_calendar(mut self, calendar: Option<&'a Calendar>) -> Engine<'a> {
        if calendar.is_some() {
            self.calendar = calendar;
            self.dirty = reads::ALL;
            self.current = None;
        }
        self
    }

    /// Reads market nodes at `date` (an entry date) instead of the last trade's
    /// date, until the next trade is applied.
    pub fn set_as_of(&mut self, date: Option<NaiveDate>) {
        self.as_of = date;
    }

    /// Forgets what the last decision read and its record, so that the next
    /// one evaluates every decision node again and builds its record from
    /// nothing. Decisions are the same either way: the engine re-evaluates
    /// only the nodes, and rebuilds only the parts of the record, whose reads
    /// changed (tests check the two agree).
    pub fn invalidate(&mut self) {
        self.dirty = reads::ALL;
        self.current = None;
        // And the memos: the sizes per step, the WACC guards' prepared passes.
        self.size_memo.fill(None);
        self.wacc_passes.fill([None; WACC_PASSES]);
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The decision for the next trade, from the current state. `credit` is
    /// that trade's credit when known (for the max loss in money). A copy of
    /// [`Engine::next_decision`]'s record.
    pub fn decide(&mut self, credit: Option<Decimal>) -> Result<Decision, EvalError> {
        self.next_decision(credit).cloned()
    }

    /// Like [`Engine::decide`], into `out` (its buffers reused where the
    /// shapes allow).
    pub fn decide_into(
        &mut self,
        credit: Option<Decimal>,
        out: &mut Decision,
    ) -> Result<(), EvalError> {
        out.clone_from(self.next_decision(credit)?);
        Ok(())
    }

    /// The decision for the next trade, as the engine's own record: the hot
    /// path. The record of the decision before is updated in place, and only
    /// the parts whose reads changed since are rebuilt (the size and max
    /// loss on a new step, the hedge layers and the roll on a new step, bar
    /// or hedge profit, each guard on what it reads); every field comes out
    /// as a full evaluation would give it (tests compare the two after
    /// [`Engine::invalidate`]).
    pub fn next_decision(&mut self, credit: Option<Decimal>) -> Result<&Decision, EvalError> {
        let bar = match (self.market, self.as_of.or(self.state.date)) {
            (Some(m), Some(d)) => m.bar_on_or_before(d),
            _ => None,
        };
        // Anything that fails below leaves every bit set for the next decision.
        let mut changed = std::mem::replace(&mut self.dirty, reads::ALL);
        if !same_opt(credit, self.last_credit) {
            changed |= reads::CREDIT;
        }
        if bar != self.last_bar {
            changed |= reads::BAR;
        }
        // Taken for the loop (the nodes write `self.slots` and `self.size`), put back below.
        let plan = std::mem::take(&mut self.plan);
        let result = self.evaluate(&plan, changed, credit, bar);
        self.plan = plan;
        result?;
        let mut out = self
            .current
            .take()
            .unwrap_or_else(|| Box::new(Decision::empty()));
        let result = self.assemble(changed, credit, bar, &mut out);
        let out = self.current.insert(out);
        result?;
        (self.dirty, self.last_credit, self.last_bar) = (0, credit, bar);
        Ok(out)
    }

    /// The last decision's record, if the engine has decided.
    pub fn last_decision(&self) -> Option<&Decision> {
        self.current.as_deref()
    }

    /// Evaluates the nodes of `plan` that read something in `changed`.
    fn evaluate(
        &mut self,
        plan: &[Step<'a>],
        changed: u16,
        credit: Option<Decimal>,
        bar: Option<usize>,
    ) -> Result<(), EvalError> {
        let trade = self.state.trades;
        let wrap = |source| EvalError::Overflow { trade, source };
        let s = self.strategy;
        let capital = s.account.capital;
        for &Step { slot, node, reads } in plan {
            if reads & changed == 0 {
                continue;
            }
            let get =
                |slots: &[Slot], d: NodeId| slots.get(d.index()).copied().unwrap_or(Slot::Empty);
            let value = match node {
                Node::Input(i) => match i {
                    Input::Capital => Slot::Money(capital),
                    Input::Equity => Slot::Money(self.state.equity),
                    Input::Step => Slot::Step(self.state.step),
                    Input::PrevSize => Slot::Money(self.state.prev_size),
                    Input::Credit => Slot::Maybe(credit),
                    Input::HedgeProfit => Slot::Money(self.state.hedge_profit),
                    // Read by the blackout guard alone, with the record.
                    Input::Date => Slot::Empty,
                },
                Node::Size {
                    step,
                    prev,
                    capital,
                    equity,
                } => {
                    let money_of = |d: NodeId| match get(&self.slots, d) {
                        Slot::Money(m) => m,
                        _ => Decimal::ZERO,
                    };
                    let step = match get(&self.slots, *step) {
                        Slot::Step(k) => k,
                        _ => 1,
                    };
                    let prev = money_of(*prev);
                    // Read only without a fixed base and cap (the plan
                    // drops these inputs otherwise).
                    let basis = || (money_of(*capital), money_of(*equity));
                    let size = match (self.state.held, step) {
                        (Some(h), step) => {
                            let cap = match &self.fixed {
                                Some((_, cap)) => *cap,
                                None => {
                                    let (capital, equity) = basis();
                                    ladder::cap_money(&s.sizing, capital, equity).map_err(wrap)?
                                }
                            };
                            ladder::held_size(&s.sizing, step, h, cap)
                        }
                        (None, 1) => match &self.fixed {
                            Some((base, _)) => *base,
                            None => {
                                let (capital, equity) = basis();
                                ladder::base_size(&s.sizing, capital, equity).map_err(wrap)?
                            }
                        },
                        (None, step) => match &self.fixed {
                            // A pure function of the step and the size
                            // before: kept per step, keyed by that size.
                            Some((_, cap)) => match self.size_memo.get(step as usize) {
                                Some(Some((from, size))) if same(*from, prev) => *size,
                                _ => {
                                    let size =
                                        ladder::next_size_capped(&s.sizing, step, prev, *cap)
                                            .map_err(wrap)?;
                                    if let Some(m) = self.size_memo.get_mut(step as usize) {
                                        *m = Some((prev, size));
                                    }
                                    size
                                }
                            },
                            None => {
                                let (capital, equity) = basis();
                                ladder::next_size(&s.sizing, step, prev, capital, equity)
                                    .map_err(wrap)?
                            }
                        },
                    };
                    self.size = size;
                    self.size_fresh = true;
                    Slot::Size
                }
                Node::MaxLossPct { step } => match get(&self.slots, *step) {
                    Slot::Step(k) => Slot::Fraction(ladder::max_loss(&s.sizing, k)),
                    _ => Slot::Fraction(Decimal::ONE),
                },
                Node::MaxLoss { pct, credit } => {
                    match (get(&self.slots, *pct), get(&self.slots, *credit)) {
                        (Slot::Fraction(p), Slot::Maybe(Some(c))) => {
                            Slot::Maybe(Some(money::mul(p, c).map_err(wrap)?))
                        }
                        _ => Slot::Maybe(None),
                    }
                }
                Node::Trigger { condition, .. } => Slot::Trigger(match (condition, self.market) {
                    (None, _) => Trigger::Always,
                    (Some(c), Some(m)) => Trigger::of(m.bool_at(*c, bar)),
                    (Some(_), None) => Trigger::Unknown,
                }),
                Node::HedgeBudget { layer, size, .. } => {
                    let h = s.hedges.get(*layer);
                    let active =
                        h.is_some_and(|h| (h.active_from..=h.active_to).contains(&self.state.step));
                    let budget = match (get(&self.slots, *size), h) {
                        (Slot::Size, Some(h)) if active => {
                            money::mul(h.allocation, self.size.size).map_err(wrap)?
                        }
                        _ => Decimal::ZERO,
                    };
                    Slot::Budget { active, budget }
                }
                Node::RollCoefficient { conditions } => {
                    let roll = s.roll.as_ref();
                    let mut value = roll.map_or(Decimal::ZERO, |r| r.coefficient);
                    let mut applied = None;
                    for (i, c) in conditions.iter().enumerate() {
                        if self.market.and_then(|m| m.bool_at(*c, bar)) == Some(true) {
                            if let Some(o) = roll.and_then(|r| r.overrides.get(i)) {
                                value = o.coefficient;
                                applied = Some(i);
                            }
                            break;
                        }
                    }
                    let mut clamped = false;
                    if let Some((lo, hi)) = roll.and_then(|r| r.clamp) {
                        let c = value.clamp(lo, hi);
                        clamped = c != value;
                        value = c;
                    }
                    Slot::Coefficient {
                        value,
                        applied,
                        clamped,
                    }
                }
                Node::RollAmount { coefficient, .. } => match get(&self.slots, *coefficient) {
                    Slot::Coefficient { value, .. } => {
                        // Money is cents: the share rolled is rounded down
                        // (never more than the coefficient's share).
                        let amount = money::mul(self.state.hedge_profit, value)
                            .map_err(wrap)?
                            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
                        Slot::Money(money::add(amount, self.state.roll_carry).map_err(wrap)?)
                    }
                    _ => Slot::Money(Decimal::ZERO),
                },
                _ => Slot::Empty,
            };
            if let Some(slot) = self.slots.get_mut(slot) {
                *slot = value;
            }
        }
        Ok(())
    }

    fn slot(&self, id: NodeId) -> Slot {
        self.slots.get(id.index()).copied().unwrap_or(Slot::Empty)
    }

    /// Fills `out`, the record of the decision before, for this decision:
    /// the parts whose reads are in `changed` (everything when it holds
    /// [`reads::FIRST`]) and the guards.
    fn assemble(
        &mut self,
        changed: u16,
        credit: Option<Decimal>,
        bar: Option<usize>,
        out: &mut Decision,
    ) -> Result<(), EvalError> {
        let compiled = self.compiled;
        let ids = &compiled.ids;
        let Slot::Size = self.slot(ids.size) else {
            return Err(EvalError::Signal("the graph has no size node".into()));
        };
        out.max_loss_pct = match self.slot(ids.max_loss_pct) {
            Slot::Fraction(p) => p,
            _ => Decimal::ONE,
        };
        out.max_loss = match self.slot(ids.max_loss) {
            Slot::Maybe(m) => m,
            _ => None,
        };
        if changed & self.hedge_reads != 0 || self.scaled {
            self.hedges(changed, bar, out)?;
        }
        out.trade = self.state.trades;
        out.date = self.state.date;
        out.event = self.state.event;
        out.pnl = self.state.pnl;
        out.step = self.state.step;
        if std::mem::take(&mut self.size_fresh) {
            out.size = self.size.size;
            out.capped = self.size.capped;
            out.sizing = self.size;
            out.sizing.cap_rule = self.strategy.sizing.layer_cap.map(|cap| {
                let basis = match cap {
                    Amount::Percent {
                        of: Basis::Equity, ..
                    } => self.state.equity,
                    _ => self.strategy.account.capital,
                };
                (cap, basis)
            });
        }
        out.credit = credit;
        out.equity = self.state.equity;
        out.cycle_pnl = self.state.cycle_pnl;
        out.cycle_result = self.state.cycle_result;
        if let Some(rule) = self
            .max_loss_rules
            .get((self.state.step.max(1) - 1) as usize)
            && !Arc::ptr_eq(rule, &out.max_loss_rule)
        {
            out.max_loss_rule = rule.clone();
        }
        out.held = self.state.held.is_some();
        out.market_date = self.market.zip(bar).and_then(|(m, b)| m.date(b));
        self.guards(changed, bar, out)
    }

    /// The hedge layers' records and the roll into them: budgets from the
    /// graph's values, the roll added to the first active layer, the
    /// triggers' leaves read again when the bar changed.
    fn hedges(
        &mut self,
        changed: u16,
        bar: Option<usize>,
        out: &mut Decision,
    ) -> Result<(), EvalError> {
        let compiled = self.compiled;
        let ids = &compiled.ids;
        let n = self.strategy.hedges.len();
        out.hedges.truncate(n);
        for (i, h) in self.strategy.hedges.iter().enumerate() {
            let trigger = match ids.triggers.get(i).map(|t| self.slot(*t)) {
                Some(Slot::Trigger(t)) => t,
                _ => Trigger::Unknown,
            };
            let (active, budget) = match ids.budgets.get(i).map(|b| self.slot(*b)) {
                Some(Slot::Budget { active, budget }) => (active, budget),
                _ => (false, Decimal::ZERO),
            };
            match out.hedges.get_mut(i) {
                Some(slot) => {
                    slot.active = active;
                    slot.trigger = trigger;
                    slot.allocation = h.allocation;
                    slot.budget = budget;
                    slot.roll = Decimal::ZERO;
                    slot.capped_from = None;
                }
                None => out.hedges.push(HedgeDecision {
                    layer: self
                        .layer_names
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| Arc::from("?")),
                    active,
                    trigger,
                    allocation: h.allocation,
                    budget,
                    roll: Decimal::ZERO,
                    capped_from: None,
                    trigger_values: Vec::new(),
                }),
            }
            if let (Some(slot), Some(names), Some(leaves)) = (
                out.hedges.get_mut(i),
                self.trigger_leaf_names.get(i),
                ids.trigger_leaves.get(i),
            ) && (changed & reads::BAR != 0 || slot.trigger_values.len() != leaves.len())
            {
                fill_leaves(&mut slot.trigger_values, names, leaves, self.market, bar);
            }
        }
        out.roll = match (ids.roll_coefficient, ids.roll_amount) {
            (Some(c), Some(a)) => {
                let (coefficient, applied, clamped) = match self.slot(c) {
                    Slot::Coefficient {
                        value,
                        applied,
                        clamped,
                    } => (value, applied, clamped),
                    _ => (Decimal::ZERO, None, false),
                };
                let amount = match self.slot(a) {
                    Slot::Money(m) => m,
                    _ => Decimal::ZERO,
                };
                let mut roll = out.roll.take().unwrap_or_else(|| RollDecision {
                    profit: Decimal::ZERO,
                    coefficient: Decimal::ZERO,
                    applied: None,
                    unknown: Vec::new(),
                    clamped_from: None,
                    amount: Decimal::ZERO,
                    to: None,
                });
                // Overrides whose condition is unknown, kept in place when
                // unchanged: every one tried before the one that applied (a
                // prior override unknown may have held), or all of them.
                let mut n_unknown = 0;
                let tried = applied.unwrap_or(ids.roll_conditions.len());
                for (i, cond) in ids.roll_conditions.iter().enumerate().take(tried) {
                    if self.market.and_then(|m| m.bool_at(*cond, bar)).is_none()
                        && let Some(text) = self.override_texts.get(i)
                    {
                        match roll.unknown.get(n_unknown) {
                            Some(t) if Arc::ptr_eq(t, text) => {}
                            _ => {
                                roll.unknown.truncate(n_unknown);
                                roll.unknown.push(text.clone());
                            }
                        }
                        n_unknown += 1;
                    }
                }
                roll.unknown.truncate(n_unknown);
                // The roll goes to the first active layer, whether or not its
                // trigger fires: a layer that does not buy leaves it unspent
                // (the profit stays in equity, it is not carried on). Carried
                // only while no layer is active.
                let target = out.hedges.iter_mut().find(|h| h.active);
                let to = target.as_ref().map(|h| &h.layer);
                if roll.to.as_ref().map(Arc::as_ptr) != to.map(Arc::as_ptr) {
                    roll.to = to.cloned();
                }
                if let Some(h) = target {
                    h.roll = amount;
                    h.budget =
                        money::add(h.budget, amount).map_err(|source| EvalError::Overflow {
                            trade: self.state.trades,
                            source,
                        })?;
                }
                roll.profit = self.state.hedge_profit;
                roll.coefficient = coefficient;
                roll.applied = applied.and_then(|i| self.override_texts.get(i).cloned());
                // What the clamp changed: the override's coefficient that
                // applied, or the base.
                roll.clamped_from = clamped
                    .then(|| {
                        let r = self.strategy.roll.as_ref()?;
                        Some(
                            applied
                                .and_then(|i| r.overrides.get(i))
                                .map_or(r.coefficient, |o| o.coefficient),
                        )
                    })
                    .flatten();
                roll.amount = amount;
                Some(roll)
            }
            _ => None,
        };
        self.asked = out
            .hedges
            .iter()
            .filter(|h| h.active)
            .try_fold(Decimal::ZERO, |sum, h| money::add(sum, h.budget))
            .map_err(|source| EvalError::Overflow {
                trade: self.state.trades,
                source,
            })?;
        Ok(())
    }

    /// Evaluates the guards in file order at the decision's bar, records each
    /// outcome, marks the decision blocked when one blocks, and scales the
    /// hedge layers' budgets down when one caps their total. Never touches
    /// the step or the size.
    fn guards(
        &mut self,
        changed: u16,
        bar: Option<usize>,
        out: &mut Decision,
    ) -> Result<(), EvalError> {
        let s = self.strategy;
        let compiled = self.compiled;
        let ids = &compiled.ids;
        let wrap = |source| EvalError::Overflow {
            trade: self.state.trades,
            source,
        };
        let asked = self.asked;
        let mut allowed = asked;
        let mut blocked = false;
        let equity = self.state.equity;
        let capital = s.account.capital;
        let market_date = out.market_date;
        let first = changed & reads::FIRST != 0;
        let bar_changed = changed & reads::BAR != 0;
        out.guards.truncate(s.guards.len());
        for (i, g) in s.guards.iter().enumerate() {
            // A guard that reads only the bar keeps its outcome while the bar
            // stays; without market data every market guard is unknown for
            // the same reason on every decision. Neither caps the hedges.
            let keep = !first
                && match g {
                    // The event window is read at the decision's date, which
                    // can move while the bar stays (a weekend, stale data).
                    Guard::Blackout { .. } => self.calendar.is_none(),
                    Guard::Condition { .. } => {
                        self.market.is_none() || (!bar_changed && bar.is_some())
                    }
                    Guard::QuickRatio { .. } => self.market.is_none(),
                    Guard::Wacc { .. } | Guard::Exposure { .. } => false,
                };
            if keep && let Some(slot) = out.guards.get(i) {
                blocked |= matches!(slot.outcome, GuardVerdict::Blocked { .. });
                continue;
            }
            // The WACC guard's clear pass, on integers prepared for this
            // hedge total: the record's pass keeps its amount and limit and
            // takes the new impact.
            if let Guard::Wacc { .. } = g
                && let Some(w) = self.wacc_guards.get(i).and_then(Option::as_ref)
                && let Some(slot) = out.guards.get_mut(i)
                && slot.kind == GuardKind::WaccImpact
                && let Some(memo) = self.wacc_passes.get_mut(i)
            {
                let hit = memo.iter().position(|p| {
                    p.as_ref()
                        .is_some_and(|p| same(p.wanted, allowed) && p.scale == equity.scale())
                });
                let k = hit.unwrap_or_else(|| {
                    // The oldest goes.
                    memo.rotate_right(1);
                    memo[0] = w.prepare_pass(allowed, equity.scale(), VALUE_DP);
                    0
                });
                let pass = memo.get(k).and_then(Option::as_ref);
                if let Some(impact) = pass.and_then(|p| w.quick_pass(p, equity)) {
                    let limit_bps = w.limit_bps();
                    match &mut slot.outcome {
                        GuardVerdict::Pass {
                            amount: Some(a),
                            value,
                            limit: Some(l),
                        } if same(*a, allowed) && same(*l, limit_bps) => *value = Some(impact),
                        other => {
                            *other = GuardVerdict::Pass {
                                amount: Some(allowed),
                                value: Some(impact),
                                limit: Some(limit_bps),
                            }
                        }
                    }
                    let leaves = ids.guard_inputs.get(i).map_or(&[][..], Vec::as_slice);
                    if bar_changed || slot.inputs.len() != leaves.len() {
                        let names = self.guard_input_names.get(i).map_or(&[][..], Vec::as_slice);
                        fill_leaves(&mut slot.inputs, names, leaves, self.market, bar);
                    }
                    continue;
                }
            }
            let no_bar = || self.no_bar_reason();
            let (kind, outcome) = match g {
                Guard::Blackout { days, events } => {
                    // At the decision's date (the last trade's), not its bar's:
                    // the calendar needs no market data, and a bar days older
                    // (a journal past the data's end, a holiday) would miss
                    // an event near the trade.
                    // Without market data the calendar alone
                    // (`with_calendar`) gives the same window.
                    let date = self.as_of.or(self.state.date);
                    let value = match (self.calendar, date) {
                        (Some(cal), Some(d)) => within_on(cal, events, d, *days),
                        _ => None,
                    };
                    let outcome = match (value, self.calendar, date) {
                        (Some(true), Some(cal), Some(date)) => {
                            blocked = true;
                            let reason = match event_within(cal, events, date, *days) {
                                Some((kind, on)) => {
                                    let away = (on - date).num_days();
                                    format!(
                                        "{kind} on {on}, {}",
                                        match away {
                                            0 => "that day".to_string(),
                                            1 => "1 day away".to_string(),
                                            n => format!("{n} days away"),
                                        }
                                    )
                                }
                                None => format!("an event within {days}d of {date}"),
                            };
                            GuardVerdict::Blocked {
                                value: None,
                                limit: None,
                                reason: reason.into(),
                            }
                        }
                        (Some(false), ..) => GuardVerdict::Pass {
                            amount: None,
                            value: None,
                            limit: None,
                        },
                        (_, Some(cal), Some(date)) => {
                            let uncovered = uncovered(cal, events, date, *days);
                            let known: Vec<&str> = events
                                .iter()
                                .map(String::as_str)
                                .filter(|k| !uncovered.contains(k))
                                .collect();
                            let mut reason = String::new();
                            if !known.is_empty() {
                                reason.push_str(&format!(
                                    "no {} in the window, but ",
                                    known.join(", ")
                                ));
                            }
                            reason.push_str(&format!(
                                "the event calendar does not cover {} around {date}",
                                uncovered.join(", ")
                            ));
                            // Past a kind's last known date (a live journal
                            // beyond the bundled calendar): where it ends, and the cure.
                            let ended: Vec<String> = uncovered
                                .iter()
                                .filter_map(|k| {
                                    let (_, last) = cal.coverage(k)?;
                                    (last < date).then(|| format!("{k} known to {last}"))
                                })
                                .collect();
                            if !ended.is_empty() {
                                reason.push_str(&format!(
                                    ": {}; add later dates with --calendar",
                                    ended.join(", ")
                                ));
                            }
                            GuardVerdict::Unknown {
                                reason: reason.into(),
                            }
                        }
                        // The calendar alone, before any trade: no date yet.
                        (_, Some(_), None) if self.market.is_none() => GuardVerdict::Unknown {
                            reason:
                                "no trade yet: the decision has no date to count the window from"
                                    .into(),
                        },
                        _ => GuardVerdict::Unknown { reason: no_bar() },
                    };
                    (GuardKind::Blackout, outcome)
                }
                Guard::Condition { .. } => {
                    let cond = ids.guard_conditions.get(i).copied().flatten();
                    let value = match (self.market, cond) {
                        (Some(m), Some(c)) => m.bool_at(c, bar),
                        _ => None,
                    };
                    let text = self.guard_texts.get(i).map_or("?", |t| t);
                    let outcome = match (value, market_date) {
                        (Some(true), _) => GuardVerdict::Pass {
                            amount: None,
                            value: None,
                            limit: None,
                        },
                        (Some(false), date) => {
                            blocked = true;
                            GuardVerdict::Blocked {
                                value: None,
                                limit: None,
                                reason: format!(
                                    "`{text}` does not hold{}: no entry while it is false",
                                    date.map_or_else(String::new, |d| format!(" on {d}"))
                                )
                                .into(),
                            }
                        }
                        (None, Some(date)) => GuardVerdict::Unknown {
                            reason: format!(
                                "`{text}` is unknown on {date}: no data, or an indicator still warming up"
                            )
                            .into(),
                        },
                        (None, None) => GuardVerdict::Unknown { reason: no_bar() },
                    };
                    (GuardKind::Condition, outcome)
                }
                Guard::Wacc { max_bps, .. } => {
                    let prepared = self.wacc_guards.get(i).and_then(Option::as_ref);
                    let outcome = match (
                        prepared,
                        prepared
                            .is_none()
                            .then(|| wacc_inputs(&s.account))
                            .flatten(),
                    ) {
                        // A ruined account: no cost of capital to weigh (and no
                        // message to format on the hot path).
                        (Some(_), _) if equity <= Decimal::ZERO => GuardVerdict::Unknown {
                            reason: "equity at or below zero: the book's wacc is undefined".into(),
                        },
                        (Some(w), _) => verdict(
                            w.check_rounded(equity, allowed, VALUE_DP),
                            &mut allowed,
                            &mut blocked,
                        ),
                        // Inputs the formulas reject: say why.
                        (None, Some(inputs)) => verdict(
                            crate::guards::wacc_guard(
                                &inputs,
                                equity,
                                Decimal::ZERO,
                                *max_bps,
                                allowed,
                            ),
                            &mut allowed,
                            &mut blocked,
                        ),
                        (None, None) => GuardVerdict::Unknown {
                            reason: "the account does not declare every cost-of-capital input"
                                .into(),
                        },
                    };
                    (GuardKind::WaccImpact, outcome)
                }
                Guard::QuickRatio { floor, sigma } => {
                    let value = |name: &str| {
                        let id = ids.guard_inputs.get(i)?.iter().find(|(n, _)| n == name)?.1;
                        self.market?.num_at(id, bar)
                    };
                    let outcome = match (value("spx"), value("vix")) {
                        (Some(spx), Some(vix)) => verdict(
                            self.quick_ratio(spx, vix, *floor, *sigma, out.size, allowed)
                                .map_err(wrap)?,
                            &mut allowed,
                            &mut blocked,
                        ),
                        _ => match (self.market, market_date) {
                            (Some(_), Some(date)) => GuardVerdict::Unknown {
                                reason: format!("no spx or vix value on {date} for the stress")
                                    .into(),
                            },
                            _ => GuardVerdict::Unknown { reason: no_bar() },
                        },
                    };
                    (GuardKind::QuickRatio, outcome)
                }
                Guard::Exposure { max } => {
                    let limit = ladder::resolve(*max, capital, equity).map_err(wrap)?;
                    let outcome = verdict(
                        Ok(crate::guards::exposure_guard(
                            limit,
                            Decimal::ZERO,
                            out.size,
                        )),
                        &mut allowed,
                        &mut blocked,
                    );
                    (GuardKind::Exposure, outcome)
                }
            };
            let names = self.guard_input_names.get(i).map_or(&[][..], Vec::as_slice);
            let leaves = ids.guard_inputs.get(i).map_or(&[][..], Vec::as_slice);
            match out.guards.get_mut(i) {
                Some(slot) => {
                    if let Some(text) = self.guard_texts.get(i)
                        && !Arc::ptr_eq(&slot.guard, text)
                    {
                        slot.guard = text.clone();
                    }
                    slot.kind = kind;
                    slot.outcome = outcome;
                    if bar_changed || slot.inputs.len() != leaves.len() {
                        fill_leaves(&mut slot.inputs, names, leaves, self.market, bar);
                    }
                }
                None => {
                    let mut inputs = Vec::new();
                    fill_leaves(&mut inputs, names, leaves, self.market, bar);
                    out.guards.push(GuardDecision {
                        guard: self
                            .guard_texts
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| Arc::from("?")),
                        kind,
                        outcome,
                        inputs,
                    });
                }
            }
        }
        out.blocked = blocked;
        // No guard capped: `allowed` is still `asked` itself.
        self.scaled = !same(allowed, asked) && allowed < asked && asked > Decimal::ZERO;
        if self.scaled {
            for h in out.hedges.iter_mut().filter(|h| h.active) {
                let scaled =
                    scale_budget(h.budget, allowed, asked).ok_or_else(|| wrap(Overflow))?;
                h.capped_from = Some(h.budget);
                h.budget = scaled;
            }
        }
        Ok(())
    }

    /// Why a market guard has no value: no market data, no trade yet, or no bar.
    fn no_bar_reason(&self) -> std::borrow::Cow<'static, str> {
        match (self.market, self.as_of.or(self.state.date)) {
            (None, _) => "no market data".into(),
            (Some(_), None) => "no trade yet: the decision has no market bar to read".into(),
            // Past the end, the data is stale rather than absent: say so, and the cure.
            (Some(m), Some(d)) => match m.dates().last() {
                Some(last) if *last < d => format!(
                    "the market data ends on {last} ({}'s last bar), more than 5 days \
                     before {d}: \
                     give newer data with --market",
                    m.primary.to_uppercase()
                )
                .into(),
                _ => format!("no market bar on or before {d}").into(),
            },
        }
    }

    /// The quick-ratio guard for the next condor: cash is the account's cash
    /// plus the realized P&L so far (equity − capital, hedges included); the
    /// next condor is the only open position, its margin requirement and its
    /// stressed loss both its size (the risk budget; strikes and credit are
    /// not known yet), its short strikes placed at its short delta's upper
    /// end ([`crate::guards::strike_sigmas`]); the stress is `sigma` × VIX
    /// at the bar over the entry's DTE around SPX at the bar. A put whose
    /// distance is 100% or more of the price is placed at 0, which a move
    /// of 100% or more reaches (so at fewer sigmas than `z`: conservative).
    /// Only extreme VIX and DTE get there (at VIX 80, a 0.20-delta strike
    /// from a DTE of about 810 days).
    fn quick_ratio(
        &self,
        spx: f64,
        vix: f64,
        floor: Decimal,
        sigma: Decimal,
        size: Decimal,
        wanted: Decimal,
    ) -> Result<Result<crate::guards::GuardOutcome, crate::guards::GuardError>, Overflow> {
        use crate::guards::{GuardError, OpenCondor, QuickInputs, Stress, quick_ratio_guard};
        let s = self.strategy;
        let dte = s.entry.dte;
        let to_dec = |x: f64, dp: u32| {
            Decimal::from_f64(x)
                .map(|d| d.round_dp(dp))
                .ok_or(GuardError::Overflow {
                    what: "stress inputs",
                })
        };
        let result = (|| {
            let (spx_d, vix_d) = (to_dec(spx, 4)?, to_dec(vix, 4)?);
            let distance = self.strike_sigmas * vix / 100.0 * (f64::from(dte) / 365.0).sqrt();
            let (put, call) = (
                to_dec(spx * (1.0 - distance), 2)?,
                to_dec(spx * (1.0 + distance), 2)?,
            );
            let condor = OpenCondor {
                short_put: put.max(Decimal::ZERO),
                short_call: call,
                wing_width: size / Decimal::ONE_HUNDRED,
                contracts: 1,
                credit: Decimal::ZERO,
                max_loss: size,
            };
            let stress = Stress {
                spx: spx_d,
                vix: vix_d,
                sigmas: sigma,
                dte_days: dte,
            };
            let realized = self
                .state
                .equity
                .checked_sub(s.account.capital)
                .ok_or(GuardError::Overflow { what: "cash" })?;
            let cash = s
                .account
                .cash
                .checked_add(realized)
                .ok_or(GuardError::Overflow { what: "cash" })?;
            quick_ratio_guard(&QuickInputs::new(cash), &[condor], &stress, floor, wanted)
        })();
        Ok(result)
    }

    /// Applies a closed trade, traded as the engine's last decision said
    /// (its step, size and roll); decides first if it has not decided yet.
    pub fn apply(&mut self, t: &ClosedTrade) -> Result<(), EvalError> {
        if self.current.is_none() {
            self.next_decision(None)?;
        }
        let Some(decided) = self.current.as_deref() else {
            return Err(EvalError::Signal(
                "no decision to apply the trade to".into(),
            ));
        };
        let trade = self.state.trades + 1;
        let wrap = |source| EvalError::Overflow { trade, source };
        self.as_of = None;
        let st = &self.state;
        let before = (
            st.step,
            st.prev_size,
            st.held,
            st.hedge_profit,
            st.roll_carry,
        );
        // Until the trade is applied whole, the next decision evaluates everything.
        let dirty = std::mem::replace(&mut self.dirty, reads::ALL);
        let st = &mut self.state;
        let s = self.strategy;
        let hedge = t.hedge_pnl.unwrap_or(Decimal::ZERO);
        // `x + 0` is `x` exactly (its scale and sign kept), so a trade
        // without a hedge skips one addition.
        let moved = if hedge.is_zero() {
            t.pnl
        } else {
            money::add(t.pnl, hedge).map_err(wrap)?
        };
        st.equity = money::add(st.equity, moved).map_err(wrap)?;
        st.cycle_pnl = money::add(st.cycle_pnl, t.pnl).map_err(wrap)?;
        // A rolled amount is spent once a layer took it; otherwise it stays carried.
        let taken = decided.roll.as_ref().is_some_and(|r| r.to.is_some());
        st.roll_carry = if taken {
            Decimal::ZERO
        } else {
            decided.roll.as_ref().map_or(Decimal::ZERO, |r| r.amount)
        };
        st.hedge_profit = if money::is_negative(hedge) {
            Decimal::ZERO
        } else {
            hedge
        };
        st.trades = trade;
        st.date = Some(t.date);
        st.pnl = Some(t.pnl);
        st.cycle_result = None;
        let at_limit = decided.step >= s.sizing.steps;
        let loss = money::is_negative(t.pnl);
        let recovered = !money::is_negative(st.cycle_pnl);
        let end_cycle = |st: &mut State, event: Event| {
            st.event = event;
            st.cycle_result = Some(st.cycle_pnl);
            st.cycle_pnl = Decimal::ZERO;
            st.step = 1;
            st.prev_size = Decimal::ZERO;
            st.held = None;
        };
        if at_limit {
            end_cycle(
                st,
                if recovered {
                    Event::CycleEnded
                } else {
                    Event::StoppedOut
                },
            );
        } else if loss {
            st.event = Event::Loss;
            st.step = decided.step + 1;
            st.prev_size = decided.size;
            st.held = None;
        } else {
            match s.sizing.reset {
                Reset::OnWin => end_cycle(st, Event::Win),
                Reset::OnRecovery if recovered => end_cycle(st, Event::Win),
                Reset::OnRecovery => {
                    st.event = Event::Held;
                    st.held = Some(decided.size);
                }
            }
        }
        let bit = |differs: bool, b: u16| if differs { b } else { 0 };
        // Equity moves with (almost) every trade: always marked.
        self.dirty = dirty
            | reads::EQUITY
            | bit(st.step != before.0, reads::STEP)
            | bit(!same(st.prev_size, before.1), reads::PREV)
            | bit(!same_opt(st.held, before.2), reads::HELD)
            | bit(!same(st.hedge_profit, before.3), reads::PROFIT)
            | bit(!same(st.roll_carry, before.4), reads::CARRY);
        Ok(())
    }
}

/// The decision nodes in topological order, each with what it reads (its own
/// reads and its dependencies'). `fixed`: step 1's size and the cap do not
/// depend on equity, so the size node does not read it.
fn plan(graph: &Graph, fixed: bool) -> Vec<Step<'_>> {
    let mut masks = vec![0u16; graph.nodes.len()];
    let mut plan = Vec::new();
    for id in graph.topo_order().unwrap_or_default() {
        let Some(node) = graph.node(id) else {
            continue;
        };
        if node.is_market() {
            continue;
        }
        let own = match node {
            Node::Input(Input::Capital) => 0,
            Node::Input(Input::Equity) => reads::EQUITY,
            Node::Input(Input::Step) => reads::STEP,
            Node::Input(Input::PrevSize) => reads::PREV,
            Node::Input(Input::Credit) => reads::CREDIT,
            Node::Input(Input::HedgeProfit) => reads::PROFIT,
            Node::Input(Input::Date) => 0,
            // The size reads `state.held`, and capital and equity only
            // when they change step 1's size or the cap.
            Node::Size { .. } if fixed => reads::STEP | reads::PREV | reads::HELD,
            Node::Size { .. } => reads::STEP | reads::PREV | reads::HELD | reads::EQUITY,
            Node::Trigger { .. } | Node::RollCoefficient { .. } => reads::BAR,
            // Activation reads `state.step`.
            Node::HedgeBudget { .. } => reads::STEP,
            Node::RollAmount { .. } => reads::PROFIT | reads::CARRY,
            _ => 0,
        };
        let inherited = match node {
            Node::Size { .. } => 0,
            _ => node.deps().iter().fold(0, |m, d| {
                m | masks.get(d.index()).copied().unwrap_or(reads::ALL)
            }),
        };
        let mask = own | inherited | reads::FIRST;
        if let Some(m) = masks.get_mut(id.index()) {
            *m = mask;
        }
        // Guards are evaluated with the record (`Engine::guards`) and the
        // decision node gathers: neither has a value of its own to keep.
        if matches!(node, Node::Guard { .. } | Node::Decision { .. }) {
            continue;
        }
        plan.push(Step {
            slot: id.index(),
            node,
            reads: mask,
        });
    }
    // An input no kept node reads (equity, when the sizes do not depend on
    // it) would only be copied on every decision.
    let mut read = vec![false; graph.nodes.len()];
    for step in plan.iter().rev() {
        let needed = !matches!(step.node, Node::Input(_)) || read.get(step.slot) == Some(&true);
        if !needed {
            continue;
        }
        let deps = match step.node {
            Node::Size { step, prev, .. } if fixed => vec![*step, *prev],
            node => node.deps(),
        };
        for d in deps {
            if let Some(r) = read.get_mut(d.index()) {
                *r = true;
            }
        }
    }
    plan.retain(|step| !matches!(step.node, Node::Input(_)) || read.get(step.slot) == Some(&true));
    plan
}

/// How many prepared clear passes each WACC guard keeps: a ladder of four
/// steps asks for up to four hedge totals, in turn.
const WACC_PASSES: usize = 6;

/// Decimal places of a guarded value (bps, a ratio) in a decision's record.
const VALUE_DP: u32 = 6;

/// A guard's arithmetic as a decision's verdict: a cap lowers `allowed`, a
/// block sets `blocked`; an error (an account the formulas reject, such as
/// equity at or below zero) makes the guard unknown, with the error as reason.
/// The guarded value (bps, a ratio) is rounded to 6 decimals for the record;
/// amounts and limits are exact.
fn verdict(
    outcome: Result<crate::guards::GuardOutcome, crate::guards::GuardError>,
    allowed: &mut Decimal,
    blocked: &mut bool,
) -> GuardVerdict {
    use crate::guards::GuardOutcome as O;
    // A value already within the places is kept as it is (as rounding would).
    let round = |v: Option<Decimal>| {
        v.map(|v| {
            if v.scale() <= VALUE_DP {
                v
            } else {
                v.round_dp_with_strategy(
                    VALUE_DP,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                )
            }
        })
    };
    match outcome {
        Ok(O::Pass {
            amount,
            value,
            limit,
            ..
        }) => GuardVerdict::Pass {
            amount: Some(amount),
            value: round(value),
            limit: Some(limit),
        },
        Ok(O::Capped {
            from,
            to,
            value,
            limit,
            reason,
            ..
        }) => {
            *allowed = to;
            GuardVerdict::Capped {
                from,
                to,
                value: round(value),
                limit,
                reason,
            }
        }
        Ok(O::Blocked {
            value,
            limit,
            reason,
            ..
        }) => {
            *blocked = true;
            GuardVerdict::Blocked {
                value: round(value),
                limit: Some(limit),
                reason: reason.into(),
            }
        }
        Err(e) => GuardVerdict::Unknown {
            reason: e.to_string().into(),
        },
    }
}

/// Which bars bring a new observation to a market node. A market series
/// carried forward on a bar (no row that day: SPX on a holiday VIX printed
/// on) brings none, so a built-in reading only carried values on a bar does
/// not take it as a new bar (it repeats its last value): indicators count
/// a series' own rows, as TA-Lib over that series would.
#[derive(Clone, Debug)]
enum Fresh {
    /// Every bar (a series never carried, a window).
    Always,
    /// No bar: a constant, which reads no series (a built-in over constants
    /// alone still takes every bar).
    Never,
    /// The bars where this is true.
    Bars(Vec<bool>),
}

impl Fresh {
    /// A series' bars: all but those carried forward from the bar before
    /// (the first bar, or one after a missing value, counts as new).
    fn of_series(s: &crate::market::AlignedSeries) -> Fresh {
        if s.carried_count() == 0 {
            return Fresh::Always;
        }
        let close = s.close();
        Fresh::Bars(
            (0..close.len())
                .map(|i| !s.is_carried(i) || i == 0 || close.get(i - 1).is_none_or(|v| v.is_nan()))
                .collect(),
        )
    }

    /// New where any of `parts` is new.
    fn any<'a>(parts: impl IntoIterator<Item = &'a Fresh>) -> Fresh {
        let mut out = Fresh::Never;
        for part in parts {
            out = match (out, part) {
                (Fresh::Always, _) | (_, Fresh::Always) => return Fresh::Always,
                (out, Fresh::Never) => out,
                (Fresh::Never, Fresh::Bars(b)) => Fresh::Bars(b.clone()),
                (Fresh::Bars(a), Fresh::Bars(b)) => {
                    Fresh::Bars(a.iter().zip(b).map(|(x, y)| *x || *y).collect())
                }
            };
        }
        out
    }
}

/// The bars on which some of `series` brings a new observation, as a
/// built-in or a plugin passed them takes its bars; `None` when every bar
/// does (no series is carried forward).
pub fn fresh_bars<'a>(
    series: impl IntoIterator<Item = &'a crate::market::AlignedSeries>,
) -> Option<Vec<bool>> {
    let parts: Vec<Fresh> = series.into_iter().map(Fresh::of_series).collect();
    match Fresh::any(&parts) {
        Fresh::Bars(bars) => Some(bars),
        Fresh::Always | Fresh::Never => None,
    }
}

/// The values of `input` on the bars `bars` marks (a bar past its end
/// counts as marked), for a plugin.
pub fn on_fresh_bars(input: &[f64], bars: &[bool]) -> Vec<f64> {
    input
        .iter()
        .enumerate()
        .filter(|(i, _)| bars.get(*i).copied().unwrap_or(true))
        .map(|(_, v)| *v)
        .collect()
}

/// A plugin's output over the bars `bars` marks, back on every bar: a bar
/// not marked repeats the value of the bar before (NaN before the first).
pub fn spread_over_bars(out: Vec<f64>, bars: &[bool]) -> Vec<f64> {
    let mut taken = out.into_iter();
    let mut last = f64::NAN;
    bars.iter()
        .map(|&new| {
            if new {
                last = taken.next().unwrap_or(f64::NAN);
            }
            last
        })
        .collect()
}

/// Which nodes `roots` depend on, themselves included (by index).
fn needed_nodes(graph: &Graph, roots: &[NodeId]) -> Vec<bool> {
    let mut needed = vec![false; graph.nodes.len()];
    let mut stack: Vec<NodeId> = roots.to_vec();
    while let Some(id) = stack.pop() {
        match needed.get_mut(id.index()) {
            Some(seen) if !*seen => *seen = true,
            _ => continue,
        }
        if let Some(node) = graph.node(id) {
            stack.extend(node.deps());
        }
    }
    needed
}

/// Fills `out` with the values of `leaves` at the bar, reusing its buffer.
fn fill_leaves(
    out: &mut Vec<Leaf>,
    names: &[Arc<str>],
    leaves: &[(String, NodeId)],
    market: Option<&MarketValues>,
    bar: Option<usize>,
) {
    out.truncate(leaves.len());
    for (j, ((_, id), name)) in leaves.iter().zip(names).enumerate() {
        let value = market.and_then(|m| m.leaf_at(*id, bar));
        match out.get_mut(j) {
            Some(slot) => {
                if !Arc::ptr_eq(&slot.name, name) {
                    slot.name = name.clone();
                }
                slot.value = value;
            }
            None => out.push(Leaf {
                name: name.clone(),
                value,
            }),
        }
    }
}

fn arc_names(lists: &[Vec<(String, NodeId)>]) -> Vec<Vec<Arc<str>>> {
    lists
        .iter()
        .map(|l| l.iter().map(|(n, _)| Arc::from(n.as_str())).collect())
        .collect()
}

/// The WACC inputs, when the account declares all five.
fn wacc_inputs(a: &crate::model::Account) -> Option<crate::guards::WaccInputs> {
    Some(crate::guards::WaccInputs {
        risk_free_rate: a.risk_free_rate?,
        beta: a.beta?,
        equity_risk_premium: a.equity_risk_premium?,
        margin_rate: a.margin_rate?,
        tax_rate: a.tax_rate?,
    })
}

/// Where a step's max loss comes from: `(from step 3)`, `(at steps 1..2)`.
fn max_loss_rule(s: &Strategy, step: u32) -> String {
    let ml = &s.sizing.max_loss;
    let i = (step.max(1) - 1) as usize;
    let Some(v) = ml.get(i) else {
        return String::new();
    };
    let mut lo = i;
    while lo > 0 && ml.get(lo - 1) == Some(v) {
        lo -= 1;
    }
    let mut hi = i;
    while ml.get(hi + 1) == Some(v) {
        hi += 1;
    }
    let (lo, hi) = (lo + 1, hi + 1);
    if lo == 1 && hi == ml.len() {
        "(every step)".into()
    } else if hi == ml.len() {
        format!("(from step {lo})")
    } else if lo == hi {
        format!("(at step {lo})")
    } else {
        format!("(at steps {lo}..{hi})")
    }
}

/// Runs a whole journal: the decision before any trade, then one after each trade.
/// The credit of the trade a decision sizes (the next journal row's) is used for
/// its max loss in money.
pub fn run(
    strategy: &Strategy,
    compiled: &Compiled,
    market: Option<&MarketValues>,
    trades: &[ClosedTrade],
) -> Result<Vec<Decision>, EvalError> {
    let mut engine = Engine::new(strategy, compiled, market);
    let mut out = Vec::with_capacity(trades.len() + 1);
    out.push(engine.decide(trades.first().and_then(|t| t.credit))?);
    for (i, t) in trades.iter().enumerate() {
        engine.apply(t)?;
        out.push(engine.decide(trades.get(i + 1).and_then(|t| t.credit))?);
    }
    Ok(out)
}
