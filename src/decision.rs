//! Decisions: what the engine decides for the next trade, with every number
//! that led there. The derivation in words is rendered on demand
//! ([`Decision::derivation`]); the hot path only fills in numbers.

use crate::ladder::StepSize;
use crate::money::{ExactMoney, Money, Percent};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

/// What happened to the ladder on the trade before this decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// No trade yet: the first decision.
    Start,
    /// A win (pnl ≥ 0) that returns the ladder to step 1.
    Win,
    /// A loss below the step limit: one step up.
    Loss,
    /// A win under reset on recovery with the cycle still negative: step and size stay.
    Held,
    /// A trade at the step limit that left the cycle negative: back to step 1.
    StoppedOut,
    /// A trade at the step limit that left the cycle at or above zero: back to step 1.
    CycleEnded,
}

impl Event {
    /// The event in words.
    pub fn word(self) -> &'static str {
        match self {
            Event::Start => "start",
            Event::Win => "win",
            Event::Loss => "loss",
            Event::Held => "held",
            Event::StoppedOut => "cycle stopped out",
            Event::CycleEnded => "cycle ended",
        }
    }
}

/// One cycle of the ladder over closed trades: a cycle runs from a step-1
/// trade to the trade after which the ladder is back at step 1 (a win, a
/// stop-out, or any trade at the step limit); the last may still be open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleSpan {
    /// Its trades, as indices into the closed trades.
    pub trades: std::ops::Range<usize>,
    /// What closed it (`None`: still open after the last trade).
    pub closed_by: Option<Event>,
}

/// Splits `trades` closed trades into cycles by the engine's decisions,
/// where `decisions[i + 1]` is the decision after trade `i` (as `run` and
/// the backtest give them): trade `i` ends a cycle when that decision's
/// event is a win, a stop-out or an ended cycle.
pub fn cycles(decisions: &[Decision], trades: usize) -> Vec<CycleSpan> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..trades {
        let event = decisions.get(i + 1).map(|d| d.event);
        let ends = matches!(
            event,
            Some(Event::Win | Event::StoppedOut | Event::CycleEnded)
        );
        if ends || i + 1 == trades {
            out.push(CycleSpan {
                trades: start..i + 1,
                closed_by: event.filter(|_| ends),
            });
            start = i + 1;
        }
    }
    out
}

/// The deepest a cycle's running P&L went (0 when it never went below):
/// what the cycle had lost at its worst, however it ended. Saturating, for
/// journal amounts near a decimal's limit.
pub fn trough(pnls: impl IntoIterator<Item = Decimal>) -> Decimal {
    pnls.into_iter()
        .scan(Decimal::ZERO, |acc, p| {
            *acc = acc.saturating_add(p);
            Some(*acc)
        })
        .fold(Decimal::ZERO, Decimal::min)
}

/// Whether a hedge layer's trigger fired at the decision's date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The layer has no trigger: it buys whenever active.
    Always,
    /// The condition held.
    Fired,
    /// The condition did not hold.
    NotFired,
    /// No market data for that date (or its indicators still warming up): never silently false.
    Unknown,
}

impl Trigger {
    /// From a three-valued condition.
    pub fn of(value: Option<bool>) -> Trigger {
        match value {
            Some(true) => Trigger::Fired,
            Some(false) => Trigger::NotFired,
            None => Trigger::Unknown,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Trigger::Always => "always",
            Trigger::Fired => "fired",
            Trigger::NotFired => "not fired",
            Trigger::Unknown => "unknown",
        }
    }
}

/// One hedge layer in a decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HedgeDecision {
    /// The layer's name.
    pub layer: Arc<str>,
    /// Whether the next trade's step activates it.
    pub active: bool,
    /// Its trigger at the decision's date.
    pub trigger: Trigger,
    /// Its allocation of the size, a fraction.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub allocation: Decimal,
    /// Its budget: allocation × size when active, plus any roll it receives.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub budget: Decimal,
    /// The rolled amount added to it.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub roll: Decimal,
    /// The budget before a guard capped the layers' total notional (then
    /// `budget` is this scaled down), or `None` when no guard capped it.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub capped_from: Option<Decimal>,
    /// The trigger condition's leaves at the decision's bar: the built-in
    /// and plugin calls, named signals, series and event windows it reads
    /// (`rsi(vix, 14) = 73.2`); empty when the layer has no trigger.
    pub trigger_values: Vec<Leaf>,
}

/// Whether a hedge layer buys with a decision, and why, as the backtest
/// decides ([`Decision::hedge_verdict`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuyVerdict {
    /// The layer is not active at this step.
    Inactive,
    /// A guard blocks the entry: no condor, so no hedge.
    Blocked,
    /// The size is $0: no condor (the backtest skips it, hedges included).
    NoCondor,
    /// Nothing to spend (the guards capped the budget to $0).
    NothingToSpend,
    /// It buys: it has no trigger.
    NoTrigger,
    /// It buys: its trigger fired.
    Fired,
    /// Its trigger did not fire.
    NotFired,
    /// Its trigger is unknown (no market data, or still warming up).
    Unknown,
}

impl BuyVerdict {
    /// Whether the layer buys.
    pub fn buys(self) -> bool {
        matches!(self, BuyVerdict::NoTrigger | BuyVerdict::Fired)
    }

    /// In words, as `next` says it.
    pub fn words(self) -> &'static str {
        match self {
            BuyVerdict::Inactive => "inactive",
            BuyVerdict::Blocked => "no buy (a guard blocks the entry)",
            BuyVerdict::NoCondor => "no buy (no condor: the size is $0)",
            BuyVerdict::NothingToSpend => "no buy (nothing to spend)",
            BuyVerdict::NoTrigger => "buy (no trigger)",
            BuyVerdict::Fired => "buy (trigger fired)",
            BuyVerdict::NotFired => "no buy now (trigger not fired)",
            BuyVerdict::Unknown => {
                "no buy now (trigger unknown: no market data, or still warming up)"
            }
        }
    }
}

/// A value a condition read at the decision's bar: `rsi(vix, 14) = 73.2`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Leaf {
    /// The leaf as written (`rsi(vix, 14)`, `theta_press`).
    pub name: Arc<str>,
    /// Its value, or `None` (JSON `null`) where unknown: no data or warming up.
    pub value: Option<LeafValue>,
}

/// A leaf's value: a number or a condition.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LeafValue {
    /// A number (`rsi(vix, 14)`).
    Num(f64),
    /// A condition (`theta_press`).
    Bool(bool),
}

impl std::fmt::Display for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.value {
            Some(LeafValue::Num(v)) => write!(f, "{} = {}", self.name, fmt_f64(v)),
            Some(LeafValue::Bool(b)) => write!(f, "{} = {b}", self.name),
            None => write!(f, "{} unknown", self.name),
        }
    }
}

/// A market value for people: at most 4 decimals, trailing zeros dropped
/// (`73.2`, `0.0123`, `2648.94`).
pub fn fmt_f64(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.into() }
}

/// Which kind of guard a [`GuardDecision`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardKind {
    /// `wacc_impact < 18bps`: caps the hedge layers' total notional.
    WaccImpact,
    /// `quick_ratio >= 1.4 under 3 sigma`: caps the hedges, or blocks.
    QuickRatio,
    /// `no entry within 1d of FOMC, CPI, PPI`: blocks.
    Blackout,
    /// `exposure <= 25% of capital`: blocks.
    Exposure,
    /// `vix < 40`: blocks while false.
    Condition,
}

impl GuardKind {
    /// A short name, for CSV columns: `wacc_impact`, `blackout`.
    pub fn word(self) -> &'static str {
        match self {
            GuardKind::WaccImpact => "wacc_impact",
            GuardKind::QuickRatio => "quick_ratio",
            GuardKind::Blackout => "blackout",
            GuardKind::Exposure => "exposure",
            GuardKind::Condition => "condition",
        }
    }
}

/// What a guard decided. Serializes with `"outcome": "pass" | "capped" |
/// "blocked" | "unknown"` and the fields below (decimals as strings).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum GuardVerdict {
    /// The guard holds.
    Pass {
        /// What was tested: the hedge layers' total notional (WACC, quick
        /// ratio) or the condor's risk (exposure); `None` for market guards.
        #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
        amount: Option<Decimal>,
        /// The guarded quantity (bps, a ratio, dollars); `None` when undefined.
        #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
        value: Option<Decimal>,
        /// The limit.
        #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
        limit: Option<Decimal>,
    },
    /// The hedge layers' total notional was capped (the condor is untouched).
    Capped {
        /// The total asked for.
        #[serde(serialize_with = "crate::money::serde_plain::serialize")]
        from: Decimal,
        /// The largest total that holds.
        #[serde(serialize_with = "crate::money::serde_plain::serialize")]
        to: Decimal,
        /// The guarded quantity at `to`.
        #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
        value: Option<Decimal>,
        /// The limit.
        #[serde(serialize_with = "crate::money::serde_plain::serialize")]
        limit: Decimal,
        /// Why, in words.
        reason: String,
    },
    /// No new entry: the decision is marked blocked; its step and size stay.
    Blocked {
        /// The guarded quantity that breaks the limit, when it is a number.
        #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
        value: Option<Decimal>,
        /// The limit, when it is a number.
        #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
        limit: Option<Decimal>,
        /// Why, in words.
        reason: Cow<'static, str>,
    },
    /// The guard could not be evaluated (no market data for the bar, an
    /// event calendar that does not cover the date, indicators warming up):
    /// neither a pass nor a block.
    Unknown {
        /// Why, in words.
        reason: Cow<'static, str>,
    },
}

impl GuardVerdict {
    /// `pass`, `capped`, `blocked` or `unknown`.
    pub fn word(&self) -> &'static str {
        match self {
            GuardVerdict::Pass { .. } => "pass",
            GuardVerdict::Capped { .. } => "capped",
            GuardVerdict::Blocked { .. } => "blocked",
            GuardVerdict::Unknown { .. } => "unknown",
        }
    }
}

/// One guard in a decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuardDecision {
    /// The guard as written: `no entry within 1d of FOMC, CPI, PPI`.
    pub guard: Arc<str>,
    /// Its kind.
    pub kind: GuardKind,
    /// What it decided, with its numbers.
    #[serde(flatten)]
    pub outcome: GuardVerdict,
    /// The market values it read at the decision's bar: the condition's
    /// leaves (`vix = 82.69`), or SPX and VIX for the quick ratio's stress.
    pub inputs: Vec<Leaf>,
}

/// The roll of realized hedge profit into the next layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RollDecision {
    /// The realized hedge profit of the trade before (0 when none or a loss).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub profit: Decimal,
    /// The coefficient applied.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub coefficient: Decimal,
    /// Which override applied (its condition as written), if any.
    pub applied: Option<Arc<str>>,
    /// Overrides whose condition was unknown (no market data) among those
    /// tried: all of them when the base was used, else those tried before
    /// the one that applied.
    pub unknown: Vec<Arc<str>>,
    /// The coefficient before the clamp changed it, if it did (JSON
    /// `clamped`, whether it did).
    #[serde(rename = "clamped", serialize_with = "serialize_is_some")]
    pub clamped_from: Option<Decimal>,
    /// profit × coefficient, rounded down to the cent, plus any amount an
    /// earlier roll left carried (no layer was active to take it).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub amount: Decimal,
    /// The layer it goes to, or none when no layer is active (then it is carried).
    pub to: Option<Arc<str>>,
}

/// An option as whether it holds a value.
fn serialize_is_some<S: serde::Serializer>(
    value: &Option<Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_bool(value.is_some())
}

/// The decision for the next trade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    /// 0 before any trade; i after journal row i.
    pub trade: usize,
    /// The date of the trade before, if any.
    pub date: Option<NaiveDate>,
    /// What that trade did to the ladder.
    pub event: Event,
    /// That trade's P&L.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub pnl: Option<Decimal>,
    /// The next trade's step.
    pub step: u32,
    /// The next trade's size (its risk budget).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub size: Decimal,
    /// Whether the layer cap cut it.
    pub capped: bool,
    /// The next trade's max loss as a fraction of the credit.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub max_loss_pct: Decimal,
    /// The max loss in money, when the credit is known.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub max_loss: Option<Decimal>,
    /// The credit used for it.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub credit: Option<Decimal>,
    /// Equity after all trades so far.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub equity: Decimal,
    /// The cycle's P&L: the sum since its step-1 trade (0 once a cycle ends).
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub cycle_pnl: Decimal,
    /// The P&L of the cycle that just ended, when stopped out or ended.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub cycle_result: Option<Decimal>,
    /// The hedge layers.
    pub hedges: Vec<HedgeDecision>,
    /// The roll, when the strategy rolls.
    pub roll: Option<RollDecision>,
    /// The size's arithmetic.
    #[serde(skip)]
    pub sizing: StepSize,
    /// Where the max loss comes from: `(from step 3)`.
    #[serde(skip)]
    pub max_loss_rule: Arc<str>,
    /// Whether the size was held (reset on recovery).
    pub held: bool,
    /// The market bar the decision reads: the last bar on or before the
    /// last trade's date (`None` before any trade or without market data).
    pub market_date: Option<NaiveDate>,
    /// Each guard's outcome, in file order.
    pub guards: Vec<GuardDecision>,
    /// Whether a guard blocks the next entry. The step and size are what
    /// they would be anyway: a blocked decision waits, it is not resized.
    pub blocked: bool,
}

impl Decision {
    /// Whether the hedge layer `h` (one of this decision's) buys with it,
    /// and why: the layer active, a condor entered (no guard blocks it and
    /// its size is above $0: a size of $0 is no condor, which the backtest
    /// skips, hedges included, as below one contract), a budget left, its
    /// trigger fired (or it has none).
    pub fn hedge_verdict(&self, h: &HedgeDecision) -> BuyVerdict {
        match h.trigger {
            _ if !h.active => BuyVerdict::Inactive,
            _ if self.blocked => BuyVerdict::Blocked,
            _ if self.size <= Decimal::ZERO => BuyVerdict::NoCondor,
            _ if h.budget <= Decimal::ZERO => BuyVerdict::NothingToSpend,
            Trigger::Always => BuyVerdict::NoTrigger,
            Trigger::Fired => BuyVerdict::Fired,
            Trigger::NotFired => BuyVerdict::NotFired,
            Trigger::Unknown => BuyVerdict::Unknown,
        }
    }

    /// A decision with nothing in it, to be filled by [`crate::eval::Engine::decide_into`]
    /// (the engine starts its own record from one).
    pub fn empty() -> Decision {
        Decision {
            trade: 0,
            date: None,
            event: Event::Start,
            pnl: None,
            step: 1,
            size: Decimal::ZERO,
            capped: false,
            max_loss_pct: Decimal::ZERO,
            max_loss: None,
            credit: None,
            equity: Decimal::ZERO,
            cycle_pnl: Decimal::ZERO,
            cycle_result: None,
            hedges: Vec::new(),
            roll: None,
            sizing: crate::ladder::blank(1),
            max_loss_rule: Arc::from(""),
            held: false,
            market_date: None,
            guards: Vec::new(),
            blocked: false,
        }
    }

    /// The derivation, one line a part: size, max loss, the event, hedges, roll.
    pub fn derivation(&self) -> Vec<String> {
        let mut text = String::new();
        self.write_derivation(&mut text, LINE_BREAK);
        text.split(LINE_BREAK).map(String::from).collect()
    }

    /// The lines of [`Decision::derivation`] appended to `out`, `sep`
    /// between them (the CSV's ` | `): no allocation per part.
    pub fn write_derivation(&self, out: &mut String, sep: &str) {
        // Writing to a `String` cannot fail.
        let _ = self.write_lines(out, sep);
    }

    fn write_lines(&self, out: &mut String, sep: &str) -> std::fmt::Result {
        if let Some(pnl) = self.pnl {
            if matches!(self.event, Event::StoppedOut | Event::CycleEnded) {
                // The trade's own P&L first, then what it did to the cycle:
                // "cycle stopped out $1,100" read as the cycle's amount.
                write!(
                    out,
                    "trade {}: {} {} at the step limit, {}",
                    self.trade,
                    if pnl.is_sign_negative() && !pnl.is_zero() {
                        "loss"
                    } else {
                        "win"
                    },
                    Money(pnl),
                    self.event.word(),
                )?;
            } else if self.event == Event::Held {
                // A win that leaves the cycle short of recovering: the
                // ladder holds its step (reset on recovery).
                write!(
                    out,
                    "trade {}: win {}, the cycle not recovered, held",
                    self.trade,
                    Money(pnl)
                )?;
            } else {
                write!(
                    out,
                    "trade {}: {} {}",
                    self.trade,
                    self.event.word(),
                    Money(pnl)
                )?;
            }
            if let Some(r) = self.cycle_result {
                write!(out, ", cycle P&L {}", Money(r))?;
            }
            write!(out, " → step {}{sep}", self.step)?;
        }
        write!(out, "step {}: ", self.step)?;
        if self.held {
            write!(
                out,
                "held at {} until the cycle recovers (cycle P&L {})",
                Money(self.sizing.from),
                Money(self.cycle_pnl)
            )?;
            if self.sizing.capped {
                write!(out, " → capped at {}", self.sizing.cap_text(self.size))?;
            }
        } else {
            self.sizing.write_derivation(out);
        }
        write!(
            out,
            "; max loss {} of credit {}",
            Percent(self.max_loss_pct),
            self.max_loss_rule
        )?;
        if let (Some(m), Some(c)) = (self.max_loss, self.credit) {
            write!(
                out,
                " = {} of {} credit = {}",
                Percent(self.max_loss_pct),
                Money(c),
                Money(m)
            )?;
        }
        for h in &self.hedges {
            write!(out, "{sep}hedge {}: ", h.layer)?;
            if h.active {
                let asked = h.capped_from.unwrap_or(h.budget);
                write!(
                    out,
                    "{} of {} = {}",
                    Percent(h.allocation),
                    Money(self.size),
                    Money(asked - h.roll)
                )?;
                if !h.roll.is_zero() {
                    write!(out, " + roll {} = {}", Money(h.roll), Money(asked))?;
                }
                if h.capped_from.is_some() {
                    write!(out, ", scaled to {} by the guards", Money(h.budget))?;
                }
                write!(out, "; trigger {}", h.trigger.word())?;
                if !h.trigger_values.is_empty() {
                    out.push_str(" (");
                    write_leaves(out, &h.trigger_values)?;
                    out.push(')');
                }
            } else {
                write!(out, "inactive at step {}", self.step)?;
            }
        }
        if let Some(r) = &self.roll {
            write!(
                out,
                "{sep}roll: hedge profit {} × {}",
                Money(r.profit),
                r.coefficient.normalize()
            )?;
            if let Some(a) = &r.applied {
                write!(out, " (while `{a}`)")?;
            }
            // The overrides passed over as unknown, in one parenthesis:
            // `(`a` unknown: base coefficient)`, `(`a`, `b` unknown: ...)`.
            if !r.unknown.is_empty() {
                out.push_str(" (");
                for (i, u) in r.unknown.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write!(out, "`{u}`")?;
                }
                match r.applied {
                    None => out.push_str(" unknown: base coefficient)"),
                    // Tried first and unknown: had one held, it would apply.
                    Some(_) => out.push_str(", tried first, unknown)"),
                }
            }
            if let Some(from) = r.clamped_from {
                write!(out, " (clamped from {})", from.normalize())?;
            }
            // The amount is this profit's share (down to the cent) plus
            // what an earlier roll left carried: say both, so that the
            // product written is the product.
            use rust_decimal::RoundingStrategy::{MidpointAwayFromZero, ToZero};
            let product = r.profit.checked_mul(r.coefficient);
            let share = product.map(|p| p.round_dp_with_strategy(2, ToZero));
            // A product whose cents, rounded, are not the cents kept:
            // `$101.01 × 0.6 = $60.606, down to the cent $60.60` (to the
            // cent it would read `= $60.61`, or `= $60.60` as if wrong).
            if let (Some(p), Some(s)) = (product, share)
                && p.round_dp_with_strategy(2, MidpointAwayFromZero) != s
            {
                write!(out, " = {}, down to the cent", ExactMoney(p))?;
            } else {
                out.push_str(" =");
            }
            match share.and_then(|s| Some((s, r.amount.checked_sub(s)?))) {
                Some((share, carried)) if !carried.is_zero() => write!(
                    out,
                    " {} + carried {} = {}",
                    Money(share),
                    Money(carried),
                    Money(r.amount)
                )?,
                _ => write!(out, " {}", Money(r.amount))?,
            }
            match &r.to {
                Some(l) if !r.amount.is_zero() => write!(out, " → hedge {l}")?,
                None if !r.amount.is_zero() => out.push_str(" → carried (no active layer)"),
                _ => {}
            }
        }
        for g in &self.guards {
            out.push_str(sep);
            self.write_guard_line(out, g)?;
        }
        if self.blocked {
            write!(
                out,
                "{sep}blocked: no new entry while a guard blocks; step {} and size {} stand",
                self.step,
                Money(self.size)
            )?;
        }
        Ok(())
    }

    /// `guard wacc_impact < 18bps: pass (...)`.
    fn write_guard_line(&self, out: &mut String, g: &GuardDecision) -> std::fmt::Result {
        write!(out, "guard {}: {} (", g.guard, g.outcome.word())?;
        let on = |out: &mut String| match self.market_date {
            Some(d) => write!(out, " on {d}"),
            None => Ok(()),
        };
        match &g.outcome {
            GuardVerdict::Pass {
                amount,
                value,
                limit,
            } => match g.kind {
                GuardKind::WaccImpact => write!(
                    out,
                    "hedges {} move the wacc by {}bps, within {}bps",
                    Money(amount.unwrap_or_default()),
                    rounded_2(value.unwrap_or_default()),
                    rounded_2(limit.unwrap_or_default())
                )?,
                GuardKind::QuickRatio => match value {
                    Some(v) => write!(
                        out,
                        "quick ratio {} under the stress with the next condor's {} open and hedges {}, floor {}",
                        rounded_2(*v),
                        Money(self.size),
                        Money(amount.unwrap_or_default()),
                        rounded_2(limit.unwrap_or_default())
                    )?,
                    None => out.push_str("nothing to cover: no margin requirement"),
                },
                GuardKind::Exposure => write!(
                    out,
                    "this condor's {} within the {} limit",
                    Money(amount.unwrap_or_default()),
                    Money(limit.unwrap_or_default())
                )?,
                GuardKind::Blackout => {
                    out.push_str("no event in the window");
                    on(out)?;
                }
                GuardKind::Condition => {
                    out.push_str("holds");
                    on(out)?;
                }
            },
            GuardVerdict::Capped { reason, .. } => write!(out, "{reason}; hedges scaled down")?,
            GuardVerdict::Blocked { reason, .. } | GuardVerdict::Unknown { reason } => {
                out.push_str(reason)
            }
        }
        if !g.inputs.is_empty() {
            out.push_str("; ");
            write_leaves(out, &g.inputs)?;
        }
        out.push(')');
        Ok(())
    }
}

/// What separates [`Decision::derivation`]'s lines while they are written
/// as one text (no line contains it: it is a control character).
const LINE_BREAK: &str = "\u{1e}";

/// `rsi(vix, 14) = 73.2, theta_press = false`.
fn write_leaves(out: &mut String, values: &[Leaf]) -> std::fmt::Result {
    for (i, leaf) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write!(out, "{leaf}")?;
    }
    Ok(())
}

/// A guard's recorded value (6 places, itself rounded) to 2 places, half
/// away from zero, trailing zeros dropped: `-0.36`, `2.68`. A value exactly
/// half-way at 2 places (`-0.015`) is shown as recorded: the exact figure
/// behind it may lie on either side (`-0.0149999997` is recorded as
/// `-0.015000`), and a second rounding could go the wrong way.
fn rounded_2(d: Decimal) -> Decimal {
    let toward_zero = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
    if d.checked_sub(toward_zero).map(|x| x.abs()) == Some(Decimal::new(5, 3)) {
        return d.normalize();
    }
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}
