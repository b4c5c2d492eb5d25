//! The ladder's arithmetic: the size at each step, exactly, with its derivation.
//!
//! One place computes a step's size, so the checker's exposure analysis and the
//! engine's decisions can never disagree:
//! size(1) = base; size(k+1) = round(size(k) × multiplier into k+1), then
//! clamped to the layer cap (itself rounded down to the increment).

use crate::model::{Amount, Basis, Rounding, Sizing};
use crate::money::{self, Overflow, RoundMode, fmt_decimal, fmt_money, fmt_percent};
use rust_decimal::Decimal;

/// Money an [`Amount`] stands for, given the capital and the current equity.
pub fn resolve(amount: Amount, capital: Decimal, equity: Decimal) -> Result<Decimal, Overflow> {
    match amount {
        Amount::Money(m) => Ok(m),
        Amount::Percent {
            fraction,
            of: Basis::Capital,
        } => money::mul(fraction, capital),
        Amount::Percent {
            fraction,
            of: Basis::Equity,
        } => money::mul(fraction, equity.max(Decimal::ZERO)),
    }
}

/// An amount as written: `$1,000`, `1% of capital`.
pub fn fmt_amount(amount: Amount) -> String {
    match amount {
        Amount::Money(m) => fmt_money(m),
        Amount::Percent { fraction, of } => format!("{} of {}", fmt_percent(fraction), of.word()),
    }
}

/// One step's size and how it was reached.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StepSize {
    /// The step, from 1.
    pub step: u32,
    /// The multiplier applied into this step (none at step 1).
    pub multiplier: Option<Decimal>,
    /// What the size was multiplied from (the previous size), or the base's amount.
    pub from: Decimal,
    /// Before rounding.
    pub raw: Decimal,
    /// After rounding.
    pub rounded: Decimal,
    /// The layer cap in money, if any.
    pub cap: Option<Decimal>,
    /// The size traded.
    pub size: Decimal,
    /// Whether the cap cut the size.
    pub capped: bool,
    /// The arithmetic in words: `$1,800 × 1.6 = $2,880 → nearest $100 = $2,900 (cap $10,000 not binding)`.
    pub derivation: String,
}

fn round(amount: Decimal, rounding: Option<Rounding>) -> Result<Decimal, Overflow> {
    match rounding {
        Some(r) => money::round_to(amount, r.increment, r.mode),
        None => Ok(amount),
    }
}

fn cap_money(s: &Sizing, capital: Decimal, equity: Decimal) -> Result<Option<Decimal>, Overflow> {
    let Some(cap) = s.layer_cap else {
        return Ok(None);
    };
    let c = resolve(cap, capital, equity)?;
    Ok(Some(match s.rounding {
        Some(r) => money::round_to(c, r.increment, RoundMode::Down)?,
        None => c,
    }))
}

#[allow(clippy::too_many_arguments)]
fn finish(
    s: &Sizing,
    step: u32,
    multiplier: Option<Decimal>,
    from: Decimal,
    raw: Decimal,
    capital: Decimal,
    equity: Decimal,
    head: String,
) -> Result<StepSize, Overflow> {
    let rounded = round(raw, s.rounding)?;
    let cap = cap_money(s, capital, equity)?;
    let capped = cap.is_some_and(|c| rounded > c);
    let size = match cap {
        Some(c) if capped => c,
        _ => rounded,
    };
    let mut d = head;
    if let Some(r) = s.rounding {
        d.push_str(&format!(
            " → {} {} = {}",
            r.mode.word(),
            fmt_money(r.increment),
            fmt_money(rounded)
        ));
    }
    match cap {
        Some(c) if capped => d.push_str(&format!(" → capped at {}", fmt_money(c))),
        Some(c) => d.push_str(&format!(" (cap {} not binding)", fmt_money(c))),
        None => d.push_str(" (no cap)"),
    }
    Ok(StepSize {
        step,
        multiplier,
        from,
        raw,
        rounded,
        cap,
        size,
        capped,
        derivation: d,
    })
}

/// Step 1: the base (rounded as declared, capped).
pub fn base_size(s: &Sizing, capital: Decimal, equity: Decimal) -> Result<StepSize, Overflow> {
    let raw = resolve(s.base, capital, equity)?;
    let head = match s.base {
        Amount::Money(m) => format!("base {}", fmt_money(m)),
        a => format!("base {} = {}", fmt_amount(a), fmt_money(raw)),
    };
    finish(s, 1, None, raw, raw, capital, equity, head)
}

/// Step `step` (≥ 2) after trading `prev` at the step before.
pub fn next_size(
    s: &Sizing,
    step: u32,
    prev: Decimal,
    capital: Decimal,
    equity: Decimal,
) -> Result<StepSize, Overflow> {
    let i = (step as usize).checked_sub(2).ok_or(Overflow)?;
    let m = *s.multipliers.get(i).ok_or(Overflow)?;
    let raw = money::mul(prev, m)?;
    let head = format!(
        "{} × {} = {}",
        fmt_money(prev),
        fmt_decimal(m),
        fmt_money(raw)
    );
    finish(s, step, Some(m), prev, raw, capital, equity, head)
}

/// The max loss at `step` as a fraction of the credit.
pub fn max_loss(s: &Sizing, step: u32) -> Decimal {
    let i = (step.max(1) - 1) as usize;
    s.max_loss
        .get(i)
        .or(s.max_loss.last())
        .copied()
        .unwrap_or(Decimal::ONE)
}
