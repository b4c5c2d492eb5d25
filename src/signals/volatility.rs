//! Realized (historical) volatility. TA-Lib has no such function.

use super::error::{SignalError, check_period};
use super::{Indicator, run};

/// Trading days in a year, the annualization factor's square.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// Annualized close-to-close volatility over the last `n` log returns:
///
/// ```text
/// r_t = ln(x_t / x_{t-1}), computed as ln_1p((x_t - x_{t-1}) / x_{t-1})
/// realized_vol_t = sqrt( sum((r - mean(r))^2) / (n - 1) ) * sqrt(252)
/// ```
///
/// over `r_{t-n+1} ..= r_t`: the sample standard deviation (`n - 1`
/// denominator, numpy's `std(ddof=1)`) times `sqrt(252)`. `n` returns need
/// `n + 1` prices, so the first value is at bar `n`; `n` must be at least 2.
/// The result is a fraction (0.85 is 85%).
///
/// Prices must be positive: a bar whose price is not finite or not above 0
/// is skipped, like a missing value.
///
/// The window's moments (count, mean, sum of squared deviations) are kept
/// as a queue of two stacks, amortized O(1) per bar: returns enter a back
/// stack whose moments grow by Welford's update, and leave from a front
/// stack holding, for each of its returns, the moments of it and every
/// return after it in the front (built when the back is moved over). The
/// window's moments are the front's and the back's, merged by Chan et al.'s
/// formula. No step subtracts a return that leaves, so nothing cancels: every
/// term of the sum of squares is non-negative, the result is within a few
/// ulps per return of the two-pass value (relatively, however small the
/// variance), and a window of equal returns gives exactly 0.
#[derive(Clone, Debug)]
pub struct RealizedVol {
    period: usize,
    previous: Option<f64>,
    /// Returns that entered since the last move, oldest first.
    back: Vec<f64>,
    /// The moments of `back`.
    back_moments: Moments,
    /// The older returns' suffix moments, the oldest return's last: entry
    /// `i` covers that return and every newer one in the front.
    front: Vec<Moments>,
}

/// Count, mean and sum of squared deviations from the mean of some returns.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Moments {
    count: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// With one more return (Welford: both factors of the added term have
    /// the sign of `r - mean`, so it is never negative).
    fn with(self, r: f64) -> Moments {
        let count = self.count + 1.0;
        let delta = r - self.mean;
        let mean = self.mean + delta / count;
        Moments {
            count,
            mean,
            m2: self.m2 + delta * (r - mean),
        }
    }

    /// The moments of two disjoint sets of returns together (Chan, Golub
    /// and LeVeque): no subtraction but of the two means.
    fn merge(self, other: Moments) -> Moments {
        if self.count == 0.0 {
            return other;
        }
        if other.count == 0.0 {
            return self;
        }
        let count = self.count + other.count;
        let delta = other.mean - self.mean;
        Moments {
            count,
            mean: self.mean + delta * (other.count / count),
            m2: self.m2 + other.m2 + delta * delta * (self.count * other.count / count),
        }
    }
}

impl RealizedVol {
    /// `realized_vol(s, period)`; `period` in `2..=MAX_PERIOD`.
    pub fn new(period: usize) -> Result<RealizedVol, SignalError> {
        Ok(RealizedVol {
            period: check_period("realized_vol", "period", 2, period)?,
            previous: None,
            back: Vec::new(),
            back_moments: Moments::default(),
            front: Vec::new(),
        })
    }

    /// Drops the oldest return of the window.
    fn pop_oldest(&mut self) {
        if self.front.is_empty() {
            // Move the back over, newest first, each entry the moments of
            // its return and every newer one.
            let mut suffix = Moments::default();
            for &r in self.back.iter().rev() {
                suffix = suffix.with(r);
                self.front.push(suffix);
            }
            self.back.clear();
            self.back_moments = Moments::default();
        }
        self.front.pop();
    }
}

impl Indicator for RealizedVol {
    fn update(&mut self, x: f64) -> Option<f64> {
        if !(x.is_finite() && x > 0.0) {
            return None;
        }
        let Some(previous) = self.previous else {
            self.previous = Some(x);
            return None;
        };
        // ln(x / previous) as ln_1p of the relative change: the quotient
        // x / previous is off by up to half an ulp of 1 (1.1e-16), which for
        // a move of 1e-9 is a relative error of 1e-7 in the return; the
        // difference is exact while x is within a factor 2 of previous.
        let r = ((x - previous) / previous).ln_1p();
        if !r.is_finite() {
            return None; // the ratio under- or overflows: skip the bar
        }
        self.previous = Some(x);
        self.back.push(r);
        self.back_moments = self.back_moments.with(r);
        if self.back.len() + self.front.len() > self.period {
            self.pop_oldest();
        }
        if self.back.len() + self.front.len() < self.period {
            return None;
        }
        let window = self
            .front
            .last()
            .copied()
            .unwrap_or_default()
            .merge(self.back_moments);
        let variance = window.m2.max(0.0) / (self.period - 1) as f64;
        Some(variance.sqrt() * TRADING_DAYS_PER_YEAR.sqrt())
    }

    fn reset(&mut self) {
        self.previous = None;
        self.back.clear();
        self.back_moments = Moments::default();
        self.front.clear();
    }

    fn lookback(&self) -> usize {
        self.period
    }
}

/// `realized_vol(xs, period)` over a slice.
pub fn realized_vol(xs: &[f64], period: usize) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(run(RealizedVol::new(period)?, xs))
}
