//! Decisions: what the engine decides for the next trade, with every number
//! that led there. The derivation in words is rendered on demand
//! ([`Decision::derivation`]); the hot path only fills in numbers.

use crate::ladder::StepSize;
use crate::money::{fmt_decimal, fmt_money, fmt_percent};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
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
    /// Overrides whose condition was unknown (no market data): the base was used.
    pub unknown: Vec<Arc<str>>,
    /// Whether the clamp changed the coefficient.
    pub clamped: bool,
    /// profit × coefficient.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub amount: Decimal,
    /// The layer it goes to, or none when no layer is active (then it is carried).
    pub to: Option<Arc<str>>,
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
}

impl Decision {
    /// A decision with nothing in it, to be filled by [`crate::eval::Engine::decide_into`].
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
            sizing: crate::ladder::StepSize {
                step: 1,
                multiplier: None,
                from: Decimal::ZERO,
                raw: Decimal::ZERO,
                rounded: Decimal::ZERO,
                cap: None,
                size: Decimal::ZERO,
                capped: false,
                base: None,
                rounding: None,
            },
            max_loss_rule: Arc::from(""),
            held: false,
        }
    }

    /// The derivation, one line a part: size, max loss, the event, hedges, roll.
    pub fn derivation(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pnl) = self.pnl {
            let mut line = format!(
                "trade {}: {} {}",
                self.trade,
                self.event.word(),
                fmt_money(pnl)
            );
            if let Some(r) = self.cycle_result {
                line.push_str(&format!(", cycle P&L {}", fmt_money(r)));
            }
            line.push_str(&format!(" → step {}", self.step));
            out.push(line);
        }
        let size = if self.held {
            format!(
                "held at {} until the cycle recovers (cycle P&L {})",
                fmt_money(self.size),
                fmt_money(self.cycle_pnl)
            )
        } else {
            self.sizing.derivation()
        };
        let mut line = format!(
            "step {}: {size}; max loss {} of credit {}",
            self.step,
            fmt_percent(self.max_loss_pct),
            self.max_loss_rule
        );
        if let (Some(m), Some(c)) = (self.max_loss, self.credit) {
            line.push_str(&format!(
                " = {} of {} credit = {}",
                fmt_percent(self.max_loss_pct),
                fmt_money(c),
                fmt_money(m)
            ));
        }
        out.push(line);
        for h in &self.hedges {
            let mut line = format!("hedge {}: ", h.layer);
            if h.active {
                line.push_str(&format!(
                    "{} of {} = {}",
                    fmt_percent(h.allocation),
                    fmt_money(self.size),
                    fmt_money(h.budget - h.roll)
                ));
                if !h.roll.is_zero() {
                    line.push_str(&format!(
                        " + roll {} = {}",
                        fmt_money(h.roll),
                        fmt_money(h.budget)
                    ));
                }
                line.push_str(&format!("; trigger {}", h.trigger.word()));
            } else {
                line.push_str(&format!("inactive at step {}", self.step));
            }
            out.push(line);
        }
        if let Some(r) = &self.roll {
            let mut line = format!(
                "roll: hedge profit {} × {}",
                fmt_money(r.profit),
                fmt_decimal(r.coefficient)
            );
            if let Some(a) = &r.applied {
                line.push_str(&format!(" (while `{a}`)"));
            }
            for u in &r.unknown {
                line.push_str(&format!(" (`{u}` unknown: base coefficient)"));
            }
            if r.clamped {
                line.push_str(" (clamped)");
            }
            line.push_str(&format!(" = {}", fmt_money(r.amount)));
            match &r.to {
                Some(l) if !r.amount.is_zero() => line.push_str(&format!(" → hedge {l}")),
                None if !r.amount.is_zero() => line.push_str(" → carried (no active layer)"),
                _ => {}
            }
            out.push(line);
        }
        out
    }
}
