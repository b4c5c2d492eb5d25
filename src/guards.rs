//! The guards' arithmetic: pure functions on exact decimals.
//!
//! A strategy's guards never change a condor's step or size. They cap the
//! notional of **the next hedge layer** (its whole budget, roll included),
//! or block an entry:
//!
//! | guard | caps the hedge | blocks the entry |
//! |---|---|---|
//! | `wacc_impact < 18bps` | [`max_hedge_under_wacc`] | never |
//! | `quick_ratio >= 1.4 under 3 sigma` | [`max_hedge_under_quick_ratio`] | when the stressed ratio is below the floor before any hedge |
//! | `exposure <= 25% of capital` | never | when the new condor's risk does not fit in [`exposure_room`] |
//!
//! Each guard also has a function returning a [`GuardOutcome`] (pass,
//! capped or blocked, with its numbers and a reason in words) for decisions
//! to print. The formulas, their assumptions and a worked example with the
//! `spx-mastery.vxs` inputs are in `docs/guards.md`; each function's doc
//! repeats its formula.
//!
//! Money and rates are [`Decimal`]; every operation is checked, so extreme
//! inputs give [`GuardError::Overflow`], never a panic or a wrap. Rates are
//! fractions (`0.045` for 4.5%). Hedge amounts are found to the cent.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::money::fmt_money;

/// What the guards' arithmetic rejects.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// The book's equity is zero or less, e.g. `wacc(&inputs, $0, $0)`:
    /// `equity must be above zero to weigh the cost of capital, found $0`.
    #[error("equity must be above zero to weigh the cost of capital, found {}", fmt_money(*.equity))]
    NonPositiveEquity {
        /// The equity given.
        equity: Decimal,
    },

    /// An amount that cannot be negative is, e.g. a margin debt of −$5:
    /// `the margin debt cannot be negative, found -$5`.
    #[error("the {what} cannot be negative, found {value}")]
    Negative {
        /// What it is (`margin debt`, `hedge notional`, ...).
        what: &'static str,
        /// Its value, as shown.
        value: String,
    },

    /// A rate outside its range, e.g. `tax_rate = 1.5`:
    /// `the tax rate must be between 0 and 1, found 1.5`.
    #[error("the {what} must be between 0 and 1, found {value}")]
    OutOfRange {
        /// What it is.
        what: &'static str,
        /// Its value.
        value: Decimal,
    },

    /// The stress needs a positive SPX price, e.g. `spx = 0`:
    /// `the spx price must be above zero, found 0`.
    #[error("the spx price must be above zero, found {spx}")]
    NonPositivePrice {
        /// The price given.
        spx: Decimal,
    },

    /// The numbers are too large for a decimal (about 7.9 × 10^28), e.g. an
    /// equity of 7 × 10^28 with a debt as large:
    /// `amounts too large to compute the wacc`.
    #[error("amounts too large to compute the {what}")]
    Overflow {
        /// What was being computed.
        what: &'static str,
    },
}

type Result<T> = std::result::Result<T, GuardError>;

/// Which guard an outcome is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardKind {
    /// `wacc_impact < Nbps`.
    WaccImpact,
    /// `quick_ratio >= X under N sigma`.
    QuickRatio,
    /// `exposure <= X`.
    Exposure,
}

/// A guard's decision, with the numbers behind it. Serializes as an object
/// with `"outcome": "pass" | "capped" | "blocked"` and the fields below
/// (decimals as strings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum GuardOutcome {
    /// The amount asked for holds.
    Pass {
        /// The guard.
        guard: GuardKind,
        /// The amount allowed: all of it (a hedge notional, or a condor's risk).
        amount: Decimal,
        /// The guarded quantity at that amount (bps, a ratio, dollars of
        /// exposure); `None` when undefined (a quick ratio with nothing to cover).
        value: Option<Decimal>,
        /// The guard's limit.
        limit: Decimal,
    },
    /// The hedge layer's notional is cut.
    Capped {
        /// The guard.
        guard: GuardKind,
        /// The notional asked for.
        from: Decimal,
        /// The largest notional that holds.
        to: Decimal,
        /// The guarded quantity at `to`.
        value: Option<Decimal>,
        /// The guard's limit.
        limit: Decimal,
        /// Why, in words.
        reason: String,
    },
    /// The entry is blocked.
    Blocked {
        /// The guard.
        guard: GuardKind,
        /// The guarded quantity that breaks the limit.
        value: Option<Decimal>,
        /// The guard's limit.
        limit: Decimal,
        /// Why, in words.
        reason: String,
    },
}

impl GuardOutcome {
    /// The amount allowed: all of it, the cap, or `None` when blocked.
    pub fn allowed(&self) -> Option<Decimal> {
        match self {
            GuardOutcome::Pass { amount, .. } => Some(*amount),
            GuardOutcome::Capped { to, .. } => Some(*to),
            GuardOutcome::Blocked { .. } => None,
        }
    }

    /// Which guard decided.
    pub fn guard(&self) -> GuardKind {
        match self {
            GuardOutcome::Pass { guard, .. }
            | GuardOutcome::Capped { guard, .. }
            | GuardOutcome::Blocked { guard, .. } => *guard,
        }
    }
}

// ---------------------------------------------------------------------------
// Checked arithmetic.

fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_add(b).ok_or(GuardError::Overflow { what })
}

fn sub(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_sub(b).ok_or(GuardError::Overflow { what })
}

fn mul(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_mul(b).ok_or(GuardError::Overflow { what })
}

fn div(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal> {
    a.checked_div(b).ok_or(GuardError::Overflow { what })
}

fn non_negative(value: Decimal, what: &'static str) -> Result<Decimal> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(GuardError::Negative {
            what,
            value: value.to_string(),
        });
    }
    Ok(value)
}

fn non_negative_money(value: Decimal, what: &'static str) -> Result<Decimal> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(GuardError::Negative {
            what,
            value: fmt_money(value),
        });
    }
    Ok(value)
}

/// Down to the cent (amounts here are never negative).
fn cents_down(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::ToZero)
}

const CENT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
const BPS_PER_UNIT: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);
const CONTRACT_MULTIPLIER: Decimal = Decimal::ONE_HUNDRED;
const DAYS_PER_YEAR: Decimal = Decimal::from_parts(365, 0, 0, false, 0);

/// The largest cent amount in `[0, wanted]` that `holds`, starting from
/// `guess` (the closed form's answer) and stepping by cents to undo the
/// rounding of its division: `holds` is the guard's own exact test, so the
/// answer agrees with it and one more cent breaks it (unless the answer is
/// `wanted`). `holds(0)` must be true. A few steps suffice; if more were
/// ever needed, a bisection over cents finishes the job.
fn largest_holding(
    guess: Decimal,
    wanted: Decimal,
    holds: impl Fn(Decimal) -> Result<bool>,
) -> Result<Decimal> {
    const STEPS: usize = 8;
    let mut h = cents_down(guess.clamp(Decimal::ZERO, wanted));
    for _ in 0..STEPS {
        if holds(h)? {
            break;
        }
        h = h.saturating_sub(CENT).max(Decimal::ZERO);
    }
    if !holds(h)? {
        return bisect_cents(Decimal::ZERO, h, &holds);
    }
    for _ in 0..STEPS {
        let next = h.checked_add(CENT).unwrap_or(Decimal::MAX);
        if next > wanted || next == h {
            return Ok(if holds(wanted)? { wanted } else { h });
        }
        if !holds(next)? {
            return Ok(h);
        }
        h = next;
    }
    let high = cents_down(wanted);
    if holds(high)? {
        return Ok(if holds(wanted)? { wanted } else { high });
    }
    bisect_cents(h, high, &holds)
}

/// Bisection over cents: `holds(low)` and not `holds(high)`; returns the
/// largest cent amount in `[low, high)` that holds.
fn bisect_cents(
    mut low: Decimal,
    mut high: Decimal,
    holds: &impl Fn(Decimal) -> Result<bool>,
) -> Result<Decimal> {
    // 2^110 cents exceed any decimal: 110 halvings always suffice.
    for _ in 0..110 {
        if high - low <= CENT {
            break;
        }
        let mid = cents_down(low + (high - low) / Decimal::TWO);
        let mid = if mid <= low {
            low.saturating_add(CENT)
        } else {
            mid
        };
        if mid <= low || mid >= high {
            break;
        }
        if holds(mid)? {
            low = mid;
        } else {
            high = mid;
        }
    }
    Ok(low)
}

fn fmt_ratio(r: Decimal) -> String {
    r.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

fn fmt_bps(bps: Decimal) -> String {
    format!(
        "{}bps",
        bps.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    )
}

// ---------------------------------------------------------------------------
// WACC.

/// The account's cost-of-capital inputs, rates as fractions (`0.045`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WaccInputs {
    /// `rf`, the risk-free rate.
    pub risk_free_rate: Decimal,
    /// `β`, the book's unlevered (asset) beta.
    pub beta: Decimal,
    /// `ERP`, the equity risk premium.
    pub equity_risk_premium: Decimal,
    /// `m`, the broker's margin rate.
    pub margin_rate: Decimal,
    /// `t`, the tax rate (0 to 1).
    pub tax_rate: Decimal,
}

impl WaccInputs {
    fn check(&self) -> Result<()> {
        if self.tax_rate < Decimal::ZERO || self.tax_rate > Decimal::ONE {
            return Err(GuardError::OutOfRange {
                what: "tax rate",
                value: self.tax_rate,
            });
        }
        Ok(())
    }

    /// Hamada's levered beta `β_L = β × (1 + (1 − t) × D/E)`: debt makes the
    /// equity riskier, so leverage raises the cost of equity.
    pub fn levered_beta(&self, equity: Decimal, debt: Decimal) -> Result<Decimal> {
        let (equity, debt) = self.check_book(equity, debt)?;
        let what = "levered beta";
        let ratio = div(debt, equity, what)?;
        let factor = add(
            Decimal::ONE,
            mul(Decimal::ONE - self.tax_rate, ratio, what)?,
            what,
        )?;
        mul(self.beta, factor, what)
    }

    /// The cost of equity by CAPM with the levered beta:
    /// `Ke = rf + β_L × ERP`.
    pub fn cost_of_equity(&self, equity: Decimal, debt: Decimal) -> Result<Decimal> {
        let beta = self.levered_beta(equity, debt)?;
        let what = "cost of equity";
        add(
            self.risk_free_rate,
            mul(beta, self.equity_risk_premium, what)?,
            what,
        )
    }

    /// The after-tax cost of margin debt: `Kd = m × (1 − t)`.
    pub fn cost_of_debt(&self) -> Result<Decimal> {
        self.check()?;
        mul(
            self.margin_rate,
            Decimal::ONE - self.tax_rate,
            "cost of debt",
        )
    }

    fn check_book(&self, equity: Decimal, debt: Decimal) -> Result<(Decimal, Decimal)> {
        self.check()?;
        if equity <= Decimal::ZERO {
            return Err(GuardError::NonPositiveEquity { equity });
        }
        let debt = non_negative_money(debt, "margin debt")?;
        Ok((equity, debt))
    }
}

/// The book's weighted average cost of capital:
///
/// ```text
/// β_L  = β × (1 + (1 − t) × D/E)          Hamada
/// Ke   = rf + β_L × ERP                    CAPM
/// Kd   = m × (1 − t)                       after-tax margin debt
/// WACC = E/(E+D) × Ke + D/(E+D) × Kd
/// ```
///
/// with `E` the equity (above zero) and `D` the margin debt (zero or more).
/// Algebraically `WACC = (E × a + D × b) / (E + D)` with `a = rf + β × ERP`
/// (the unlevered cost of equity) and `b = (1 − t) × (β × ERP + m)`: a
/// weighted average of `a` and `b` that moves from `a` towards `b` as debt
/// grows (down when `b < a`, as with typical inputs).
pub fn wacc(inputs: &WaccInputs, equity: Decimal, debt: Decimal) -> Result<Decimal> {
    let (equity, debt) = inputs.check_book(equity, debt)?;
    let what = "wacc";
    let ke = inputs.cost_of_equity(equity, debt)?;
    let kd = inputs.cost_of_debt()?;
    let value = add(equity, debt, what)?;
    let equity_part = mul(div(equity, value, what)?, ke, what)?;
    let debt_part = mul(div(debt, value, what)?, kd, what)?;
    add(equity_part, debt_part, what)
}

/// The shift of the book's WACC, in basis points, when a hedge layer of
/// notional `hedge` is bought on margin (`D → D + H`):
/// `(WACC(D + H) − WACC(D)) × 10,000`. Signed: with typical inputs more
/// debt lowers the WACC and the impact is negative.
pub fn wacc_impact_bps(
    inputs: &WaccInputs,
    equity: Decimal,
    debt: Decimal,
    hedge: Decimal,
) -> Result<Decimal> {
    let hedge = non_negative_money(hedge, "hedge notional")?;
    let what = "wacc impact";
    let before = wacc(inputs, equity, debt)?;
    let after = wacc(inputs, equity, add(debt, hedge, what)?)?;
    mul(sub(after, before, what)?, BPS_PER_UNIT, what)
}

/// `b = (1 − t) × (β × ERP + m)`: where the WACC goes as margin debt grows
/// (the rate the closed forms weigh against the unlevered cost of equity).
fn debt_cost_rate(inputs: &WaccInputs, what: &'static str) -> Result<Decimal> {
    mul(
        Decimal::ONE - inputs.tax_rate,
        add(
            mul(inputs.beta, inputs.equity_risk_premium, what)?,
            inputs.margin_rate,
            what,
        )?,
        what,
    )
}

/// The largest hedge notional `H` in `[0, wanted]`, to the cent, whose
/// WACC impact stays within the limit: `|wacc_impact_bps(H)| ≤ limit_bps`.
///
/// The guard bounds the **absolute** shift: the limit is on how far one
/// hedge may move the book's cost of capital, either way. With typical
/// inputs more margin debt *lowers* the WACC (the after-tax margin rate is
/// below the cost of equity), so a signed test would let any hedge through;
/// the point of the guard is that a layer big enough to reshape the book's
/// financing is too big.
///
/// Closed form: with `V = E + D`, `W = WACC(D)` and `b = (1 − t)(β × ERP + m)`,
/// `WACC(D + H) − W = H × (b − W) / (V + H)`, whose absolute value grows with
/// `H` towards `|b − W|`. So every `H` holds when `|b − W| ≤ L` (`L` the limit
/// as a fraction), and otherwise `H ≤ L × V / (|b − W| − L)`. The result is
/// that bound rounded down to the cent, checked (and corrected by a cent
/// if the bound's rounding requires) against the exact test
/// `|impact(H)| ≤ limit_bps` (see [`wacc_within_limit`]): an impact exactly
/// at the limit holds, which [`wacc_impact_bps`]'s 28-digit divisions can
/// miss either way.
pub fn max_hedge_under_wacc(
    inputs: &WaccInputs,
    equity: Decimal,
    debt: Decimal,
    limit_bps: Decimal,
    wanted: Decimal,
) -> Result<Decimal> {
    let (equity, debt) = inputs.check_book(equity, debt)?;
    let wanted = non_negative_money(wanted, "hedge notional")?;
    let limit_bps = non_negative(limit_bps, "wacc impact limit")?;
    let what = "largest hedge under the wacc limit";
    let value = add(equity, debt, what)?;
    let w = wacc(inputs, equity, debt)?;
    let b = debt_cost_rate(inputs, what)?;
    let gap = sub(b, w, what)?.abs();
    let limit = div(limit_bps, BPS_PER_UNIT, what)?;
    let guess = if gap <= limit {
        wanted
    } else {
        div(mul(limit, value, what)?, sub(gap, limit, what)?, what)?
    };
    let slope = sub(b, unlevered_cost(inputs, what)?, what)?.abs();
    let holds =
        |h: Decimal| -> Result<bool> { wacc_within_limit(slope, equity, debt, h, limit_bps, what) };
    largest_holding(guess, wanted, holds)
}

/// `a = rf + β × ERP`: the unlevered cost of equity (the WACC without debt).
fn unlevered_cost(inputs: &WaccInputs, what: &'static str) -> Result<Decimal> {
    add(
        inputs.risk_free_rate,
        mul(inputs.beta, inputs.equity_risk_premium, what)?,
        what,
    )
}

/// Whether a hedge `H` keeps `|impact(H)| ≤ limit_bps`, exactly. From the
/// closed form, `WACC(D) = (E × a + D × b) / V` with `V = E + D`, so
/// `impact(H) = 10^4 × H × E × (b − a) / (V × (V + H))` bps, and the test is
/// `10^4 × H × E × |b − a| ≤ limit_bps × V × (V + H)`: products of decimals
/// compared on their integer mantissas, with no division to round
/// (`slope` is `|b − a|`).
fn wacc_within_limit(
    slope: Decimal,
    equity: Decimal,
    debt: Decimal,
    hedge: Decimal,
    limit_bps: Decimal,
    what: &'static str,
) -> Result<bool> {
    let value = add(equity, debt, what)?;
    let after = add(value, hedge, what)?;
    Ok(product_le(
        &[BPS_PER_UNIT, hedge, equity, slope],
        &[limit_bps, value, after],
    ))
}

/// Whether `∏ lhs ≤ ∏ rhs` for non-negative decimals, exactly: each side's
/// mantissas multiplied as a big integer, the side with fewer decimal
/// places scaled up to the other's.
fn product_le(lhs: &[Decimal], rhs: &[Decimal]) -> bool {
    use num_bigint::BigUint;
    let side = |xs: &[Decimal]| {
        xs.iter()
            .fold((BigUint::from(1u32), 0u32), |(p, places), x| {
                (p * x.mantissa().unsigned_abs(), places + x.scale())
            })
    };
    let (l, lp) = side(lhs);
    let (r, rp) = side(rhs);
    if lp < rp {
        l * BigUint::from(10u32).pow(rp - lp) <= r
    } else {
        l <= r * BigUint::from(10u32).pow(lp - rp)
    }
}

/// The WACC guard's decision for a hedge layer of notional `wanted`:
/// [`GuardOutcome::Pass`] when `|impact| ≤ limit` at `wanted`, else
/// [`GuardOutcome::Capped`] at [`max_hedge_under_wacc`]. `value` is the
/// signed impact in bps. This guard never blocks an entry.
pub fn wacc_guard(
    inputs: &WaccInputs,
    equity: Decimal,
    debt: Decimal,
    limit_bps: Decimal,
    wanted: Decimal,
) -> Result<GuardOutcome> {
    let max = max_hedge_under_wacc(inputs, equity, debt, limit_bps, wanted)?;
    let at_wanted = wacc_impact_bps(inputs, equity, debt, wanted)?;
    if max >= wanted {
        return Ok(GuardOutcome::Pass {
            guard: GuardKind::WaccImpact,
            amount: wanted,
            value: Some(at_wanted),
            limit: limit_bps,
        });
    }
    let at_max = wacc_impact_bps(inputs, equity, debt, max)?;
    Ok(GuardOutcome::Capped {
        guard: GuardKind::WaccImpact,
        from: wanted,
        to: max,
        value: Some(at_max),
        limit: limit_bps,
        reason: format!(
            "a {} hedge moves the book's wacc by {}, more than the {} limit; {} keeps it within",
            fmt_money(wanted),
            fmt_bps(at_wanted),
            fmt_bps(limit_bps),
            fmt_money(max)
        ),
    })
}

/// The WACC guard prepared once for a book without margin debt (`D = 0`,
/// as the engine models it): [`WaccGuard::check`] gives the same outcome as
/// [`wacc_guard`] with `debt = 0`, cheaply in the common case.
///
/// With `D = 0` the WACC is `a = rf + β × ERP` whatever the equity, and the
/// closed form gives `impact(H) = H × (b − a) / (E + H)` (see
/// [`max_hedge_under_wacc`]). A hedge clearly inside the limit
/// (`H × (|b − a| − L) < L × E`, with a margin of one part in 10^12) passes
/// with that impact, computed in four decimal operations instead of two full
/// WACCs and a search; anything near or over the limit goes to
/// [`wacc_guard`] itself. The two impacts agree to about 20 decimal places
/// (they differ only in the rounding of the divisions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaccGuard {
    inputs: WaccInputs,
    limit_bps: Decimal,
    /// `L`, the limit as a fraction.
    limit: Decimal,
    /// `b − a`: where the WACC moves as debt grows.
    slope: Decimal,
    /// `|b − a| − L`: at or below zero, every hedge passes.
    excess: Decimal,
    /// `L × (1 − 10^-12)`: the limit less the safety margin of the clear pass.
    limit_inside: Decimal,
    /// `(b − a) × 10^4`: the slope in bps.
    slope_bps: Decimal,
}

impl WaccGuard {
    /// Prepares the guard `wacc_impact < limit_bps` for these inputs.
    pub fn new(inputs: &WaccInputs, limit_bps: Decimal) -> Result<WaccGuard> {
        inputs.check()?;
        let limit_bps = non_negative(limit_bps, "wacc impact limit")?;
        let what = "wacc guard";
        let a = unlevered_cost(inputs, what)?;
        let b = debt_cost_rate(inputs, what)?;
        let slope = sub(b, a, what)?;
        let limit = div(limit_bps, BPS_PER_UNIT, what)?;
        let margin = div(limit, Decimal::from(1_000_000_000_000u64), what)?;
        Ok(WaccGuard {
            inputs: *inputs,
            limit_bps,
            limit,
            slope,
            excess: sub(slope.abs(), limit, what)?,
            limit_inside: sub(limit, margin, what)?,
            slope_bps: mul(slope, BPS_PER_UNIT, what)?,
        })
    }

    /// The guard's decision for hedges of total notional `wanted` on a book
    /// of equity `equity` and no margin debt: as `wacc_guard(inputs, equity,
    /// 0, limit_bps, wanted)`.
    pub fn check(&self, equity: Decimal, wanted: Decimal) -> Result<GuardOutcome> {
        if let Some(pass) = self.clear_pass(equity, wanted) {
            return Ok(pass);
        }
        wacc_guard(&self.inputs, equity, Decimal::ZERO, self.limit_bps, wanted)
    }

    /// As [`WaccGuard::check`], the impact rounded half away from zero to
    /// `dp` places. A clear pass divides once to exactly `dp` places
    /// ([`crate::money::div_round`]) instead of computing 28 digits and
    /// rounding them away: the engine records guarded values to 6 places.
    pub fn check_rounded(&self, equity: Decimal, wanted: Decimal, dp: u32) -> Result<GuardOutcome> {
        if self.clearly_inside(equity, wanted) == Some(true) {
            let impact = equity
                .checked_add(wanted)
                .and_then(|den| crate::money::mul_div_round(wanted, self.slope_bps, den, dp));
            if let Some(impact) = impact {
                return Ok(self.pass(wanted, impact));
            }
        }
        self.check(equity, wanted).map(|o| match o {
            GuardOutcome::Pass {
                guard,
                amount,
                value,
                limit,
            } => GuardOutcome::Pass {
                guard,
                amount,
                value: value.map(|v| {
                    v.round_dp_with_strategy(
                        dp,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    )
                }),
                limit,
            },
            other => other,
        })
    }

    /// Whether `wanted` is clearly inside the limit on `equity` (`None` on overflow).
    fn clearly_inside(&self, equity: Decimal, wanted: Decimal) -> Option<bool> {
        if equity.is_sign_negative() || equity.is_zero() || wanted.is_sign_negative() {
            return Some(false);
        }
        if !self.excess.is_sign_negative() && !self.excess.is_zero() {
            if let Some(inside) =
                crate::money::product_lt(wanted, self.excess, self.limit_inside, equity)
            {
                return Some(inside);
            }
            let lhs = wanted.checked_mul(self.excess)?;
            return Some(lhs < self.limit_inside.checked_mul(equity)?);
        }
        Some(true)
    }

    /// The clear pass prepared for hedges of total notional `wanted` on
    /// equity written to `scale` places, the impact to `dp` places (see
    /// [`WaccGuard::quick_pass`]);
    /// `None` when the total is negative, has more places than `scale`, or
    /// its arithmetic leaves 128 bits.
    pub fn prepare_pass(&self, wanted: Decimal, scale: u32, dp: u32) -> Option<WaccPass> {
        if wanted.is_sign_negative() || wanted.scale() > scale {
            return None;
        }
        let (wm, _) = crate::money::magnitude(wanted);
        let sw = wanted.scale();
        // Clearly inside: `H × excess < L_inside × E`, that is `E` above
        // `H × excess / L_inside`; every positive equity when the excess is
        // not positive.
        let threshold = if !self.excess.is_sign_negative() && !self.excess.is_zero() {
            let (xm, _) = crate::money::magnitude(self.excess);
            let (lm, _) = crate::money::magnitude(self.limit_inside);
            crate::money::ceil_quotient_at(
                (
                    crate::money::mul_magnitudes(wm, xm)?,
                    sw + self.excess.scale(),
                ),
                (lm, self.limit_inside.scale()),
                scale,
            )?
        } else {
            0
        };
        // The impact `(H × slope_bps) / (E + H)` to `dp` places is
        // `H × slope_bps × 10^e / (E + H)` on mantissas (`E + H` at `scale`),
        // `e = scale + dp − (H's and slope's places)`: the constant side is
        // ready here, as `money::mul_div_round` would align it.
        let (bm, negative) = crate::money::magnitude(self.slope_bps);
        let (num, den_pow) = crate::money::aligned(
            crate::money::mul_magnitudes(wm, bm)?,
            1,
            i64::from(scale) + i64::from(dp) - i64::from(sw + self.slope_bps.scale()),
        )?;
        Some(WaccPass {
            wanted,
            scale,
            dp,
            threshold,
            wanted_at: crate::money::scale_up(wm, scale - sw)?,
            num,
            den_pow,
            negative,
        })
    }

    /// The impact [`WaccGuard::check_rounded`] gives, rounded to the prepared places, when the
    /// prepared hedge total is clearly inside the limit on `equity`, on
    /// integers: a comparison against the equity threshold and one
    /// division. `None` sends the caller to [`WaccGuard::check_rounded`]
    /// (equity at another scale, at or below the threshold, or arithmetic
    /// beyond the decimal's 96 bits).
    pub fn quick_pass(&self, pass: &WaccPass, equity: Decimal) -> Option<Decimal> {
        if equity.scale() != pass.scale || equity.is_sign_negative() {
            return None;
        }
        let (em, _) = crate::money::magnitude(equity);
        if em <= pass.threshold {
            return None;
        }
        // `E + H` as the decimal sum would hold it: at `E`'s scale, in 96 bits.
        let den = em.checked_add(pass.wanted_at)?;
        if den >> 96 != 0 {
            return None;
        }
        let den = crate::money::mul_magnitudes(den, pass.den_pow)?;
        crate::money::decimal_of(
            crate::money::round_div(pass.num, den)?,
            pass.negative,
            pass.dp,
        )
    }

    /// The limit in bps.
    pub fn limit_bps(&self) -> Decimal {
        self.limit_bps
    }

    fn pass(&self, wanted: Decimal, impact: Decimal) -> GuardOutcome {
        GuardOutcome::Pass {
            guard: GuardKind::WaccImpact,
            amount: wanted,
            value: Some(impact),
            limit: self.limit_bps,
        }
    }

    fn clear_pass(&self, equity: Decimal, wanted: Decimal) -> Option<GuardOutcome> {
        if !self.clearly_inside(equity, wanted)? {
            return None;
        }
        let impact = wanted
            .checked_mul(self.slope)?
            .checked_div(equity.checked_add(wanted)?)?
            .checked_mul(BPS_PER_UNIT)?;
        Some(GuardOutcome::Pass {
            guard: GuardKind::WaccImpact,
            amount: wanted,
            value: Some(impact),
            limit: self.limit_bps,
        })
    }
}

/// A [`WaccGuard`]'s clear pass prepared for one hedge total and one scale
/// of equity ([`WaccGuard::prepare_pass`]): the engine keeps it while the
/// total stays (the hedge layers change only with the step), and each
/// decision then tests the equity and computes the impact on integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaccPass {
    /// The hedge total it was prepared for.
    pub wanted: Decimal,
    /// The scale of the equity it reads.
    pub scale: u32,
    /// Equity whose mantissa at `scale` is above this is clearly inside.
    threshold: u128,
    /// `wanted`'s mantissa at `scale` (the impact divides by `E + H`).
    wanted_at: u128,
    /// The places of the impact.
    dp: u32,
    /// `wanted × slope_bps` aligned for the division, and the power of ten
    /// the denominator takes (1 unless the numerator has more places).
    num: u128,
    den_pow: u128,
    /// Whether the impact is negative (the slope's sign).
    negative: bool,
}

// ---------------------------------------------------------------------------
// Quick ratio under stress.

/// One open iron condor, for the quick ratio. Amounts are for the whole
/// position (all contracts), in dollars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OpenCondor {
    /// The short put's strike.
    pub short_put: Decimal,
    /// The short call's strike.
    pub short_call: Decimal,
    /// The wing width in index points (the same on both sides).
    pub wing_width: Decimal,
    /// How many condors.
    pub contracts: u32,
    /// The credit received, in dollars.
    pub credit: Decimal,
    /// The most it can lose, in dollars: its stop, or for the most
    /// conservative reading the full `wing_width × 100 × contracts − credit`.
    pub max_loss: Decimal,
}

impl OpenCondor {
    fn check(&self) -> Result<()> {
        non_negative(self.short_put, "short put strike")?;
        non_negative(self.short_call, "short call strike")?;
        non_negative(self.wing_width, "wing width")?;
        non_negative_money(self.credit, "credit")?;
        non_negative_money(self.max_loss, "max loss")?;
        Ok(())
    }

    /// The margin an iron condor ties up, as exchanges and brokers compute
    /// it: one side only (the index cannot finish beyond both short strikes),
    /// `wing_width × 100 × contracts − credit`, and never below zero.
    pub fn margin_requirement(&self) -> Result<Decimal> {
        self.check()?;
        let what = "margin requirement";
        let gross = mul(
            mul(self.wing_width, CONTRACT_MULTIPLIER, what)?,
            Decimal::from(self.contracts),
            what,
        )?;
        Ok(sub(gross, self.credit, what)?.max(Decimal::ZERO))
    }
}

/// The stress of a quick-ratio guard: SPX moves by
/// `m = sigmas × vix/100 × sqrt(dte_days/365)` (a fraction of the price),
/// that is over `[spx × (1 − m), spx × (1 + m)]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Stress {
    /// SPX now.
    pub spx: Decimal,
    /// VIX now (annualized volatility in percent: 20 for 20%).
    pub vix: Decimal,
    /// `N` in `under N sigma`.
    pub sigmas: Decimal,
    /// The horizon in days (the condors' days to expiry).
    pub dte_days: u32,
}

impl Stress {
    fn check(&self) -> Result<()> {
        if self.spx <= Decimal::ZERO {
            return Err(GuardError::NonPositivePrice { spx: self.spx });
        }
        non_negative(self.vix, "vix")?;
        non_negative(self.sigmas, "number of sigmas")?;
        Ok(())
    }

    /// `m²`, exactly: `(sigmas × vix/100)² × dte/365`.
    fn move_squared(&self) -> Result<Decimal> {
        self.check()?;
        let what = "stress move";
        let per_year = div(
            mul(self.sigmas, self.vix, what)?,
            Decimal::ONE_HUNDRED,
            what,
        )?;
        let years = div(Decimal::from(self.dte_days), DAYS_PER_YEAR, what)?;
        mul(mul(per_year, per_year, what)?, years, what)
    }

    /// The relative move `m` (0.21 for 21%), in `f64`: for display only;
    /// the guard compares `m²` exactly.
    pub fn relative_move(&self) -> f64 {
        let f = |d: Decimal| d.to_f64().unwrap_or(f64::NAN);
        f(self.sigmas) * f(self.vix) / 100.0 * (f64::from(self.dte_days) / 365.0).sqrt()
    }

    /// Whether the move reaches a short strike `distance` points away on
    /// its side (`spx − short_put` or `short_call − spx`): a short put is
    /// reached when `spx × (1 − m) ≤ short_put`, a short call when
    /// `spx × (1 + m) ≥ short_call`; both are `m ≥ distance / spx`, compared
    /// squared (`m² ≥ (distance / spx)²`) so no square root is taken. A
    /// strike at or through the price (`distance ≤ 0`) is reached.
    fn reaches(&self, distance: Decimal, m2: Decimal) -> Result<bool> {
        if distance <= Decimal::ZERO {
            return Ok(true);
        }
        let what = "stress move";
        let relative = div(distance, self.spx, what)?;
        Ok(m2 >= mul(relative, relative, what)?)
    }
}

/// The cash side of the quick ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct QuickInputs {
    /// Free cash, in dollars.
    pub cash: Decimal,
    /// The marked value of the marketable hedges already held, in dollars.
    pub hedges: Decimal,
    /// What a newly bought hedge is worth under the stress, per dollar of
    /// premium: 0 (the default) counts the premium as spent; 1 counts the
    /// hedge at its cost (then buying a hedge leaves the ratio unchanged).
    pub hedge_stress_multiple: Decimal,
}

impl QuickInputs {
    /// `cash`, no hedges held, the conservative multiple of 0.
    pub fn new(cash: Decimal) -> Self {
        QuickInputs {
            cash,
            hedges: Decimal::ZERO,
            hedge_stress_multiple: Decimal::ZERO,
        }
    }

    fn check(&self) -> Result<()> {
        non_negative_money(self.hedges, "value of the hedges held")?;
        non_negative(self.hedge_stress_multiple, "hedge stress multiple")?;
        Ok(())
    }
}

/// The margin requirement of the open condors: the sum of
/// [`OpenCondor::margin_requirement`].
pub fn margin_requirement(open: &[OpenCondor]) -> Result<Decimal> {
    open.iter().try_fold(Decimal::ZERO, |sum, c| {
        add(sum, c.margin_requirement()?, "margin requirement")
    })
}

/// The open condors' loss under the stress, by the conservative rule: a
/// condor loses its whole `max_loss` when the move reaches one of its short
/// strikes (`spx × (1 − m) ≤ short_put` or `spx × (1 + m) ≥ short_call`),
/// and nothing otherwise. The move is taken both ways at once (a condor
/// whose put the down move reaches and one whose call the up move reaches
/// both count): a stop triggered on the way down is not undone by a rally.
pub fn stressed_loss(open: &[OpenCondor], stress: &Stress) -> Result<Decimal> {
    let m2 = stress.move_squared()?;
    let what = "stressed loss";
    let mut loss = Decimal::ZERO;
    for c in open {
        c.check()?;
        let put = stress.reaches(sub(stress.spx, c.short_put, what)?, m2)?;
        let call = stress.reaches(sub(c.short_call, stress.spx, what)?, m2)?;
        if put || call {
            loss = add(loss, c.max_loss, what)?;
        }
    }
    Ok(loss)
}

/// The quick ratio now: `(cash + hedges) / margin requirement`; `None` when
/// nothing is open (no margin requirement: nothing to cover).
pub fn quick_ratio(quick: &QuickInputs, open: &[OpenCondor]) -> Result<Option<Decimal>> {
    quick.check()?;
    let margin = margin_requirement(open)?;
    if margin.is_zero() {
        return Ok(None);
    }
    let what = "quick ratio";
    Ok(Some(div(
        add(quick.cash, quick.hedges, what)?,
        margin,
        what,
    )?))
}

/// The numerator of the stressed quick ratio after buying a hedge of
/// notional `hedge`: `cash − hedge − stressed loss + hedges + k × hedge`.
fn stressed_liquidity(
    quick: &QuickInputs,
    loss: Decimal,
    hedge: Decimal,
    what: &'static str,
) -> Result<Decimal> {
    let before = add(sub(quick.cash, loss, what)?, quick.hedges, what)?;
    let spent = mul(Decimal::ONE - quick.hedge_stress_multiple, hedge, what)?;
    sub(before, spent, what)
}

/// The quick ratio under the stress, after buying a hedge layer of notional
/// `hedge` (0 for none):
///
/// ```text
/// (cash − hedge − stressed_loss + hedges + k × hedge) / margin_requirement
/// ```
///
/// The hedge's premium leaves the cash; under the stress the new hedge is
/// worth `k × hedge` (`k` = `hedge_stress_multiple`, 0 by default: the
/// conservative reading, premium spent). Hedges already held count at
/// their marked value. `None` when nothing is open.
pub fn stressed_quick_ratio(
    quick: &QuickInputs,
    open: &[OpenCondor],
    stress: &Stress,
    hedge: Decimal,
) -> Result<Option<Decimal>> {
    quick.check()?;
    let hedge = non_negative_money(hedge, "hedge notional")?;
    let margin = margin_requirement(open)?;
    let loss = stressed_loss(open, stress)?;
    if margin.is_zero() {
        return Ok(None);
    }
    let what = "stressed quick ratio";
    let liquidity = stressed_liquidity(quick, loss, hedge, what)?;
    Ok(Some(div(liquidity, margin, what)?))
}

/// The largest hedge notional `H` in `[0, wanted]`, to the cent, keeping the
/// stressed quick ratio at or above `floor`: 0 when the ratio is already
/// below the floor with no hedge (the guard then blocks the entry, see
/// [`quick_ratio_guard`]); `wanted` when nothing is open or when `k ≥ 1`
/// (a hedge then costs the ratio nothing).
///
/// Closed form: with `S = cash − stressed_loss + hedges` and `M` the margin
/// requirement, the ratio is `(S − (1 − k) × H) / M ≥ floor`, so
/// `H ≤ (S − floor × M) / (1 − k)`. The test is made as
/// `numerator ≥ floor × M`, exactly (no division), and the bound rounded
/// down to the cent.
pub fn max_hedge_under_quick_ratio(
    quick: &QuickInputs,
    open: &[OpenCondor],
    stress: &Stress,
    floor: Decimal,
    wanted: Decimal,
) -> Result<Decimal> {
    Ok(quick_ratio_bound(quick, open, stress, floor, wanted)?.max)
}

/// What the quick-ratio guard needs: the margin, the loss, and the answer.
struct QuickBound {
    margin: Decimal,
    max: Decimal,
    /// Whether the ratio is below the floor before any hedge.
    blocked: bool,
}

fn quick_ratio_bound(
    quick: &QuickInputs,
    open: &[OpenCondor],
    stress: &Stress,
    floor: Decimal,
    wanted: Decimal,
) -> Result<QuickBound> {
    quick.check()?;
    let wanted = non_negative_money(wanted, "hedge notional")?;
    let floor = non_negative(floor, "quick ratio floor")?;
    let margin = margin_requirement(open)?;
    let loss = stressed_loss(open, stress)?;
    if margin.is_zero() {
        return Ok(QuickBound {
            margin,
            max: wanted,
            blocked: false,
        });
    }
    let what = "largest hedge under the quick ratio floor";
    let Some(required) = floor.checked_mul(margin) else {
        // `floor × margin` is beyond the largest decimal, so above any
        // liquidity a decimal can hold: the ratio is below the floor before
        // any hedge, provably, once that liquidity is known (the checker
        // keeps floors at most 100; this is for a guard built by hand).
        stressed_liquidity(quick, loss, Decimal::ZERO, what)?;
        return Ok(QuickBound {
            margin,
            max: Decimal::ZERO,
            blocked: true,
        });
    };
    let holds =
        |h: Decimal| -> Result<bool> { Ok(stressed_liquidity(quick, loss, h, what)? >= required) };
    if !holds(Decimal::ZERO)? {
        return Ok(QuickBound {
            margin,
            max: Decimal::ZERO,
            blocked: true,
        });
    }
    let k = quick.hedge_stress_multiple;
    let max = if k >= Decimal::ONE {
        wanted
    } else {
        let room = sub(
            stressed_liquidity(quick, loss, Decimal::ZERO, what)?,
            required,
            what,
        )?;
        let guess = div(room, Decimal::ONE - k, what)?;
        largest_holding(guess, wanted, holds)?
    };
    Ok(QuickBound {
        margin,
        max,
        blocked: false,
    })
}

/// The quick-ratio guard's decision for a hedge layer of notional `wanted`:
/// [`GuardOutcome::Blocked`] when the stressed ratio is below `floor`
/// before any hedge (the entry is blocked), [`GuardOutcome::Pass`] when it
/// holds at `wanted`, else [`GuardOutcome::Capped`] at
/// [`max_hedge_under_quick_ratio`]. `value` is the stressed ratio (`None`
/// when nothing is open). To test an entry, include the condor about to be
/// opened in `open`.
pub fn quick_ratio_guard(
    quick: &QuickInputs,
    open: &[OpenCondor],
    stress: &Stress,
    floor: Decimal,
    wanted: Decimal,
) -> Result<GuardOutcome> {
    let bound = quick_ratio_bound(quick, open, stress, floor, wanted)?;
    let guard = GuardKind::QuickRatio;
    let sigma = format!("a {} sigma move", stress.sigmas.normalize());
    if bound.blocked {
        let ratio = stressed_quick_ratio(quick, open, stress, Decimal::ZERO)?;
        return Ok(GuardOutcome::Blocked {
            guard,
            value: ratio,
            limit: floor,
            reason: format!(
                "the quick ratio under {sigma} is {} before any hedge, below the {} floor (margin requirement {})",
                ratio.map_or_else(|| "undefined".to_string(), fmt_ratio),
                fmt_ratio(floor),
                fmt_money(bound.margin)
            ),
        });
    }
    if bound.max >= wanted {
        return Ok(GuardOutcome::Pass {
            guard,
            amount: wanted,
            value: stressed_quick_ratio(quick, open, stress, wanted)?,
            limit: floor,
        });
    }
    let at_wanted = stressed_quick_ratio(quick, open, stress, wanted)?;
    let at_max = stressed_quick_ratio(quick, open, stress, bound.max)?;
    Ok(GuardOutcome::Capped {
        guard,
        from: wanted,
        to: bound.max,
        value: at_max,
        limit: floor,
        reason: format!(
            "a {} hedge brings the quick ratio under {sigma} to {}, below the {} floor; {} keeps it at {}",
            fmt_money(wanted),
            at_wanted.map_or_else(|| "undefined".to_string(), fmt_ratio),
            fmt_ratio(floor),
            fmt_money(bound.max),
            at_max.map_or_else(|| "undefined".to_string(), fmt_ratio),
        ),
    })
}

/// How many standard deviations of the move to expiry a short strike at
/// `delta` (absolute, in (0, 1)) sits from the price: `z = Φ⁻¹(1 − delta)`,
/// 0.8416 for a 0.20-delta strike, 1.0364 for 0.15. To first order (no
/// drift, no volatility skew) the strike is `z × VIX/100 × sqrt(DTE/365)`
/// of the price away, so under an `N sigma` stress it is reached exactly
/// when `N ≥ z`. The engine uses it to place the next condor's short
/// strikes when they are not known yet. Φ⁻¹ by Acklam's rational
/// approximation (relative error below 1.2e-9). `NaN` outside (0, 1).
pub fn strike_sigmas(delta: f64) -> f64 {
    normal_quantile(1.0 - delta)
}

/// The standard normal quantile Φ⁻¹(p) (Acklam); `NaN` outside (0, 1).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e2,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    const LOW: f64 = 0.02425;
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    }
}

// ---------------------------------------------------------------------------
// Exposure.

/// The risk a new condor may still add under an exposure limit:
/// `max(0, max − open_risk)`, with `open_risk` the summed risk of the open
/// condors (what each can lose) and `max` the guard's limit in dollars
/// (`25% of capital` → $25,000 on $100,000). Saturates instead of
/// overflowing.
pub fn exposure_room(max: Decimal, open_risk: Decimal) -> Decimal {
    max.saturating_sub(open_risk).max(Decimal::ZERO)
}

/// The exposure guard's decision for a new condor risking `new_risk`:
/// [`GuardOutcome::Pass`] when `open_risk + new_risk ≤ max`, else
/// [`GuardOutcome::Blocked`] (a guard never resizes a condor). `value` is the
/// exposure with the new condor.
pub fn exposure_guard(max: Decimal, open_risk: Decimal, new_risk: Decimal) -> GuardOutcome {
    let total = open_risk.saturating_add(new_risk);
    if new_risk <= exposure_room(max, open_risk) {
        return GuardOutcome::Pass {
            guard: GuardKind::Exposure,
            amount: new_risk,
            value: Some(total),
            limit: max,
        };
    }
    GuardOutcome::Blocked {
        guard: GuardKind::Exposure,
        value: Some(total),
        limit: max,
        reason: format!(
            "open risk {} plus this condor's {} makes {}, above the {} limit",
            fmt_money(open_risk),
            fmt_money(new_risk),
            fmt_money(total),
            fmt_money(max)
        ),
    }
}
