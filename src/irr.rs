//! XIRR: the annual internal rate of return of dated cash flows.
//!
//! The convention is Excel's `XIRR`: with `d_0` the date of the **first flow
//! given** (not necessarily the earliest) and `t_i = (d_i − d_0) / 365` in
//! days (actual/365), the rate is the `r > −1` with
//!
//! ```text
//! NPV(r) = Σ cf_i / (1 + r)^t_i = 0
//! ```
//!
//! Rates are fractions (`0.10` is 10% a year) and `f64`: a rate of return is
//! not money. The solver is Newton's method from 10% (Excel's default guess),
//! and when that does not settle on a root, a bracketing search: `NPV` is
//! evaluated on a fixed grid of rates from −99.999999% to 10^9 (a billion
//! times the money), and the sign change nearest the guess is bisected to
//! full precision. Every loop is bounded: at most 50 Newton steps, 40 grid
//! points and 200 bisection steps, so a call never runs away and never
//! panics, whatever the input.
//!
//! Several rates can solve the equation when the flows change sign more than
//! once; this returns the one Newton's method finds from 10%, or else the one
//! nearest 10% on the grid.

use chrono::NaiveDate;

/// Why no rate was found.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum IrrError {
    /// Fewer than two flows, e.g. one flow of −1000:
    /// `xirr needs at least two cash flows, found 1`.
    #[error("xirr needs at least two cash flows, found {found}")]
    TooFewFlows {
        /// How many flows were given.
        found: usize,
    },

    /// A flow is NaN or infinite, e.g. the second of `[-1000, NaN]`:
    /// `cash flow 2 (NaN on 2024-01-01) is not a finite number`.
    #[error("cash flow {number} ({amount} on {date}) is not a finite number")]
    NotFinite {
        /// Its 1-based position in the list.
        number: usize,
        /// Its date.
        date: NaiveDate,
        /// Its amount.
        amount: f64,
    },

    /// No sign change, e.g. `[1000, 500]`:
    /// `all cash flows are positive: a rate of return needs at least one negative and one positive flow`.
    /// `sign` is `positive`, `negative`, `zero`, `zero or positive` or
    /// `zero or negative`.
    #[error(
        "all cash flows are {sign}: a rate of return needs at least one negative and one positive flow"
    )]
    NoSignChange {
        /// What all the flows are.
        sign: &'static str,
    },

    /// Neither Newton's method nor the bracketing search found a rate, e.g.
    /// `[-100, +300, -250]` one year apart each, whose NPV is negative at
    /// every rate: `no rate makes the net present value zero (searched
    /// annual rates from -0.99999999 to 1e9)`.
    #[error(
        "no rate makes the net present value zero (searched annual rates from -0.99999999 to 1e9)"
    )]
    NoConvergence,
}

/// Newton steps before falling back to the bracketing search.
const NEWTON_STEPS: usize = 50;
/// Bisection steps at most (the bracket shrinks to the precision of `f64`
/// long before).
const BISECTION_STEPS: usize = 200;
/// Excel's default guess.
const GUESS: f64 = 0.1;
/// Rates at which the bracketing search evaluates the NPV, in order.
const GRID: [f64; 40] = [
    -0.99999999,
    -0.9999999,
    -0.999999,
    -0.99999,
    -0.9999,
    -0.999,
    -0.995,
    -0.99,
    -0.98,
    -0.95,
    -0.9,
    -0.8,
    -0.7,
    -0.6,
    -0.5,
    -0.4,
    -0.3,
    -0.2,
    -0.1,
    -0.05,
    0.0,
    0.05,
    0.1,
    0.2,
    0.35,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    3.0,
    5.0,
    10.0,
    30.0,
    100.0,
    1e3,
    1e4,
    1e5,
    1e7,
    1e9,
];

/// The net present value of `flows` at the annual `rate`, discounted from
/// the first flow's date (actual/365). Zero for no flows; NaN when `rate` is
/// not above −1 or not finite (no such discount factor). May be infinite
/// when a discount factor overflows (a rate near −1 over many years).
pub fn npv(rate: f64, flows: &[(NaiveDate, f64)]) -> f64 {
    match flows.first() {
        None => 0.0,
        Some(&(d0, _)) => terms(rate, d0, flows).0,
    }
}

/// `(Σ cf_i v_i, Σ −t_i cf_i v_i / (1 + r), Σ |cf_i| v_i)` with
/// `v_i = (1 + r)^−t_i`: the NPV, its derivative in `r`, and the scale of its
/// terms (what a rounding error of the sum is relative to).
fn terms(rate: f64, d0: NaiveDate, flows: &[(NaiveDate, f64)]) -> (f64, f64, f64) {
    if !rate.is_finite() || rate <= -1.0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let ln_base = rate.ln_1p();
    let (mut value, mut slope, mut scale) = (0.0, 0.0, 0.0);
    for &(date, cf) in flows {
        let t = years(d0, date);
        let v = (-t * ln_base).exp();
        value += cf * v;
        slope += -t * cf * v / (1.0 + rate);
        scale += cf.abs() * v;
    }
    (value, slope, scale)
}

/// `(d − d0) / 365`, in years of 365 days.
fn years(d0: NaiveDate, d: NaiveDate) -> f64 {
    (d - d0).num_days() as f64 / 365.0
}

/// The annual rate `r` at which the flows' NPV is zero (see the module doc).
pub fn xirr(flows: &[(NaiveDate, f64)]) -> Result<f64, IrrError> {
    let Some(&(d0, _)) = flows.first() else {
        return Err(IrrError::TooFewFlows { found: 0 });
    };
    if flows.len() < 2 {
        return Err(IrrError::TooFewFlows { found: flows.len() });
    }
    if let Some((i, &(date, amount))) = flows.iter().enumerate().find(|(_, f)| !f.1.is_finite()) {
        return Err(IrrError::NotFinite {
            number: i + 1,
            date,
            amount,
        });
    }
    let positive = flows.iter().any(|f| f.1 > 0.0);
    let negative = flows.iter().any(|f| f.1 < 0.0);
    let zero = flows.iter().any(|f| f.1 == 0.0);
    let sign = match (positive, negative, zero) {
        (true, true, _) => None,
        (true, false, false) => Some("positive"),
        (true, false, true) => Some("zero or positive"),
        (false, true, false) => Some("negative"),
        (false, true, true) => Some("zero or negative"),
        (false, false, _) => Some("zero"),
    };
    if let Some(sign) = sign {
        return Err(IrrError::NoSignChange { sign });
    }

    if let Some(rate) = newton(d0, flows) {
        return Ok(rate);
    }
    bracketed(d0, flows).ok_or(IrrError::NoConvergence)
}

/// Whether the NPV at `rate` is zero up to rounding: within 10^−10 of the
/// size of its terms.
fn is_root(value: f64, scale: f64) -> bool {
    value.is_finite() && scale.is_finite() && value.abs() <= 1e-10 * scale
}

/// Newton's method from [`GUESS`]; `None` when it leaves the domain, stalls
/// or ends anywhere but on a root.
fn newton(d0: NaiveDate, flows: &[(NaiveDate, f64)]) -> Option<f64> {
    let mut rate = GUESS;
    for _ in 0..NEWTON_STEPS {
        let (value, slope, scale) = terms(rate, d0, flows);
        if !value.is_finite() || !slope.is_finite() || slope == 0.0 {
            return None;
        }
        if value == 0.0 {
            return Some(rate);
        }
        let mut next = rate - value / slope;
        if !next.is_finite() {
            return None;
        }
        if next <= -1.0 {
            // Stay in the domain: halfway to −1.
            next = (rate - 1.0) / 2.0;
        }
        if (next - rate).abs() <= 1e-13 * rate.abs().max(1.0) {
            let (value, _, scale_next) = terms(next, d0, flows);
            return (is_root(value, scale_next) || is_root(value, scale)).then_some(next);
        }
        rate = next;
    }
    None
}

/// The bracketing search: the grid's sign change nearest [`GUESS`], bisected.
fn bracketed(d0: NaiveDate, flows: &[(NaiveDate, f64)]) -> Option<f64> {
    let values = GRID.map(|r| terms(r, d0, flows).0);
    let mut best: Option<(f64, f64, f64)> = None; // (distance, low, high)
    for i in 0..GRID.len() {
        let (Some(&r), Some(&v)) = (GRID.get(i), values.get(i)) else {
            break;
        };
        if v == 0.0 {
            return Some(r);
        }
        let (Some(&r2), Some(&v2)) = (GRID.get(i + 1), values.get(i + 1)) else {
            break;
        };
        if v.is_finite() && v2.is_finite() && (v < 0.0) != (v2 < 0.0) && v2 != 0.0 {
            let distance = if (r..=r2).contains(&GUESS) {
                0.0
            } else {
                (r - GUESS).abs().min((r2 - GUESS).abs())
            };
            if best.is_none_or(|(d, _, _)| distance < d) {
                best = Some((distance, r, r2));
            }
        }
    }
    let (_, mut low, mut high) = best?;
    let mut low_value = terms(low, d0, flows).0;
    for _ in 0..BISECTION_STEPS {
        let mid = low + (high - low) / 2.0;
        if mid <= low || mid >= high {
            break;
        }
        let value = terms(mid, d0, flows).0;
        if value == 0.0 {
            return Some(mid);
        }
        if !value.is_finite() {
            return None;
        }
        if (value < 0.0) == (low_value < 0.0) {
            low = mid;
            low_value = value;
        } else {
            high = mid;
        }
    }
    Some(low + (high - low) / 2.0)
}
