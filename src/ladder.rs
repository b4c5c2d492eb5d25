//! The ladder's arithmetic: the size at each step, exactly, with its derivation.
//!
//! One place computes a step's size, so the checker's exposure analysis and the
//! engine's decisions can never disagree:
//! size(1) = base; size(k+1) = round(size(k) × multiplier into k+1), then
//! clamped to the layer cap (itself rounded down to the increment).

use crate::model::{Amount, Basis, Rounding, Sizing};
use crate::money::{self, Overflow, RoundMode, fmt_money, fmt_percent};
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

/// One step's size and how it was reached. The numbers only: the derivation
/// in words is rendered on demand by [`StepSize::derivation`], so that the hot
/// path allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct StepSize {
    /// The step, from 1.
    pub step: u32,
    /// The multiplier applied into this step (none at step 1).
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub multiplier: Option<Decimal>,
    /// What the size was multiplied from (the previous size), or the base's amount.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub from: Decimal,
    /// Before rounding.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub raw: Decimal,
    /// After rounding.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub rounded: Decimal,
    /// The layer cap in money, if any.
    #[serde(serialize_with = "crate::money::serde_plain::option::serialize")]
    pub cap: Option<Decimal>,
    /// The size traded.
    #[serde(serialize_with = "crate::money::serde_plain::serialize")]
    pub size: Decimal,
    /// Whether the cap cut the size.
    pub capped: bool,
    /// Step 1's amount as written, when this is the base.
    #[serde(skip)]
    pub base: Option<Amount>,
    /// The rounding applied, if any.
    #[serde(skip)]
    pub rounding: Option<Rounding>,
    /// The layer cap as written and what a percentage of it is of (the
    /// capital, or the equity at the decision), so the derivation can show
    /// how a cap that is not a round figure came about; the engine sets it.
    #[serde(skip)]
    pub cap_rule: Option<(Amount, Decimal)>,
}

impl StepSize {
    /// The arithmetic in words:
    /// `$1,800 × 1.6 = $2,880 → nearest $100 = $2,900 (cap $10,000 not binding)`.
    pub fn derivation(&self) -> String {
        let mut d = String::new();
        self.write_derivation(&mut d);
        d
    }

    /// [`StepSize::derivation`], appended to `out`.
    pub fn write_derivation(&self, out: &mut String) {
        use money::{ExactMoney, Money, Percent};
        use std::fmt::Write as _;
        let _ = match (self.base, self.multiplier) {
            (Some(Amount::Money(m)), _) => write!(out, "base {}", Money(m)),
            // Exact figures: this is what gets rounded (`$99.998 → down
            // $100 = $0` would read `$100 → down $100 = $0` to the cent).
            (Some(Amount::Percent { fraction, of }), _) => write!(
                out,
                "base {} of {} = {}",
                Percent(fraction),
                of.word(),
                ExactMoney(self.raw)
            ),
            (None, Some(m)) => write!(
                out,
                "{} × {} = {}",
                ExactMoney(self.from),
                m.normalize(),
                ExactMoney(self.raw)
            ),
            (None, None) => write!(out, "{}", ExactMoney(self.raw)),
        };
        if let Some(r) = self.rounding {
            let _ = write!(
                out,
                " → {} {} = {}",
                r.mode.word(),
                Money(r.increment),
                Money(self.rounded)
            );
        }
        let _ = match self.cap {
            Some(c) if self.capped => write!(out, " → capped at {}", self.cap_text(c)),
            Some(c) => write!(out, " (cap {} not binding)", self.cap_text(c)),
            None => write!(out, " (no cap)"),
        };
    }

    /// The cap `c` in a derivation: with its arithmetic when it is not
    /// plain ([`StepSize::cap_arithmetic`]), else its amount.
    pub fn cap_text(&self, c: Decimal) -> String {
        self.cap_arithmetic(c)
            .unwrap_or_else(|| money::Money(c).to_string())
    }

    /// How the cap `c` came about, when it is not plain: a percentage of
    /// equity (it moves with every trade), or one that rounding changed:
    /// `1% of equity $96,040 = $960.40 → down $100 = $900`.
    fn cap_arithmetic(&self, c: Decimal) -> Option<String> {
        use money::{ExactMoney, Money, Percent};
        let Some((Amount::Percent { fraction, of }, basis)) = self.cap_rule else {
            return None;
        };
        let raw = money::mul(fraction, basis.max(Decimal::ZERO)).ok()?;
        if of == Basis::Capital && raw == c {
            return None;
        }
        // An equity at or below zero counts as $0 (`resolve`): said, or
        // `2% of equity -$1,000 = $0` would not be the arithmetic done.
        let counted = if basis < Decimal::ZERO {
            " (counts as $0)"
        } else {
            ""
        };
        let mut text = format!(
            "{} of {} {}{counted} = {}",
            Percent(fraction),
            of.word(),
            Money(basis),
            ExactMoney(raw)
        );
        if raw != c {
            match self.rounding {
                Some(r) => text.push_str(&format!(" → down {} = {}", Money(r.increment), Money(c))),
                None => text.push_str(&format!(" = {}", Money(c))),
            }
        }
        Some(text)
    }
}

fn round(amount: Decimal, rounding: Option<Rounding>) -> Result<Decimal, Overflow> {
    match rounding {
        Some(r) => money::round_to(amount, r.increment, r.mode),
        None => Ok(amount),
    }
}

/// The layer cap in money (rounded down to the increment), if any.
pub fn cap_money(
    s: &Sizing,
    capital: Decimal,
    equity: Decimal,
) -> Result<Option<Decimal>, Overflow> {
    let Some(cap) = s.layer_cap else {
        return Ok(None);
    };
    let c = resolve(cap, capital, equity)?;
    Ok(Some(match s.rounding {
        Some(r) => money::round_to(c, r.increment, RoundMode::Down)?,
        None => c,
    }))
}

fn finish(
    s: &Sizing,
    out: StepSize,
    capital: Decimal,
    equity: Decimal,
) -> Result<StepSize, Overflow> {
    let cap = cap_money(s, capital, equity)?;
    let mut out = finish_with_cap(s, out, cap)?;
    // What the cap is a percentage of, as the engine records it: the
    // exposure analysis derives a step in the same words as a decision.
    out.cap_rule = s.layer_cap.map(|c| match c {
        Amount::Percent {
            of: Basis::Equity, ..
        } => (c, equity),
        _ => (c, capital),
    });
    Ok(out)
}

fn finish_with_cap(
    s: &Sizing,
    mut out: StepSize,
    cap: Option<Decimal>,
) -> Result<StepSize, Overflow> {
    out.rounded = round(out.raw, s.rounding)?;
    out.cap = cap;
    out.capped = out.cap.is_some_and(|c| out.rounded > c);
    out.size = match out.cap {
        Some(c) if out.capped => c,
        _ => out.rounded,
    };
    out.rounding = s.rounding;
    Ok(out)
}

/// A step's size of $0 with no derivation, for a decision with nothing to
/// size.
pub(crate) fn blank(step: u32) -> StepSize {
    StepSize {
        step,
        multiplier: None,
        from: Decimal::ZERO,
        raw: Decimal::ZERO,
        rounded: Decimal::ZERO,
        cap: None,
        size: Decimal::ZERO,
        capped: false,
        base: None,
        rounding: None,
        cap_rule: None,
    }
}

/// Step 1: the base (rounded as declared, capped).
pub fn base_size(s: &Sizing, capital: Decimal, equity: Decimal) -> Result<StepSize, Overflow> {
    let raw = resolve(s.base, capital, equity)?;
    let out = StepSize {
        from: raw,
        raw,
        base: Some(s.base),
        ..blank(1)
    };
    finish(s, out, capital, equity)
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
    let out = StepSize {
        multiplier: Some(m),
        from: prev,
        raw,
        ..blank(step)
    };
    finish(s, out, capital, equity)
}

/// Like [`next_size`], with the cap in money already known (it is constant
/// unless the cap is a percentage of equity): the engine's hot path.
pub fn next_size_capped(
    s: &Sizing,
    step: u32,
    prev: Decimal,
    cap: Option<Decimal>,
) -> Result<StepSize, Overflow> {
    let i = (step as usize).checked_sub(2).ok_or(Overflow)?;
    let m = *s.multipliers.get(i).ok_or(Overflow)?;
    let raw = money::mul(prev, m)?;
    let out = StepSize {
        multiplier: Some(m),
        from: prev,
        raw,
        ..blank(step)
    };
    finish_with_cap(s, out, cap)
}

/// A size held under reset on recovery at `step`, clamped again to the
/// layer cap in force now (a cap of a percentage of equity falls with it).
/// The rounding is the one the cap was rounded down with (its derivation
/// says so); the held size itself is not rounded again.
pub fn held_size(s: &Sizing, step: u32, held: Decimal, cap: Option<Decimal>) -> StepSize {
    let capped = cap.is_some_and(|c| held > c);
    StepSize {
        from: held,
        raw: held,
        rounded: held,
        cap,
        size: match cap {
            Some(c) if capped => c,
            _ => held,
        },
        capped,
        rounding: s.rounding,
        ..blank(step)
    }
}

/// Whether the sizes depend on equity (a base or cap given as a percentage of equity).
pub fn depends_on_equity(s: &Sizing) -> bool {
    let of_equity = |a: Option<Amount>| {
        matches!(
            a,
            Some(Amount::Percent {
                of: crate::model::Basis::Equity,
                ..
            })
        )
    };
    of_equity(Some(s.base)) || of_equity(s.layer_cap)
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
