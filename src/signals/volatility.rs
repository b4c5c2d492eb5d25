//! Realized (historical) volatility. TA-Lib has no such function.

use std::collections::VecDeque;

use super::error::{SignalError, check_period};
use super::{Indicator, run};

/// Trading days in a year, the annualization factor's square.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// Annualized close-to-close volatility over the last `n` log returns:
///
/// ```text
/// r_t = ln(x_t / x_{t-1})
/// realized_vol_t = sqrt( sum((r - mean(r))^2) / (n - 1) ) * sqrt(252)
/// ```
///
/// over `r_{t-n+1} ..= r_t`: the sample standard deviation (`n - 1`
/// denominator, numpy's `std(ddof=1)`) times `sqrt(252)`. `n` returns need
/// `n + 1` prices, so the first value is at bar `n`; `n` must be at least 2.
/// The result is a fraction (0.85 is 85%).
///
/// Prices must be positive: a bar whose price is not finite or not above 0
/// is skipped, like a missing value. The window's mean and sum of squared
/// deviations are updated in O(1) per bar (a sliding Welford update) and
/// recomputed exactly every `n` bars, so rounding cannot drift.
#[derive(Clone, Debug)]
pub struct RealizedVol {
    period: usize,
    previous: Option<f64>,
    returns: VecDeque<f64>,
    mean: f64,
    /// Sum of squared deviations from `mean`.
    m2: f64,
    /// Window slides since the last exact recomputation.
    slides: usize,
}

impl RealizedVol {
    /// `realized_vol(s, period)`; `period` in `2..=MAX_PERIOD`.
    pub fn new(period: usize) -> Result<RealizedVol, SignalError> {
        Ok(RealizedVol {
            period: check_period("realized_vol", "period", 2, period)?,
            previous: None,
            returns: VecDeque::new(),
            mean: 0.0,
            m2: 0.0,
            slides: 0,
        })
    }

    /// Mean and squared deviations of the window, by two passes.
    fn recompute(&mut self) {
        let n = self.returns.len() as f64;
        self.mean = self.returns.iter().sum::<f64>() / n;
        self.m2 = self.returns.iter().map(|r| (r - self.mean).powi(2)).sum();
        self.slides = 0;
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
        let r = (x / previous).ln();
        if !r.is_finite() {
            return None; // the ratio under- or overflows: skip the bar
        }
        self.previous = Some(x);
        self.returns.push_back(r);
        if self.returns.len() > self.period {
            let old = self.returns.pop_front().unwrap_or(r);
            self.slides += 1;
            if self.slides >= self.period {
                self.recompute();
            } else {
                let n = self.period as f64;
                let old_mean = self.mean;
                self.mean += (r - old) / n;
                self.m2 += (r - old) * (r - self.mean + old - old_mean);
            }
        } else {
            let n = self.returns.len() as f64;
            let delta = r - self.mean;
            self.mean += delta / n;
            self.m2 += delta * (r - self.mean);
        }
        if self.returns.len() < self.period {
            return None;
        }
        let variance = self.m2.max(0.0) / (self.period - 1) as f64;
        Some(variance.sqrt() * TRADING_DAYS_PER_YEAR.sqrt())
    }

    fn reset(&mut self) {
        self.previous = None;
        self.returns.clear();
        self.mean = 0.0;
        self.m2 = 0.0;
        self.slides = 0;
    }

    fn lookback(&self) -> usize {
        self.period
    }
}

/// `realized_vol(xs, period)` over a slice.
pub fn realized_vol(xs: &[f64], period: usize) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(run(RealizedVol::new(period)?, xs))
}
