//! Relative strength index (TA-Lib RSI).

use super::error::{SignalError, check_period};
use super::{Indicator, run};

/// Relative strength index (TA-Lib `RSI`, classic Wilder smoothing).
///
/// With `d` the change from the previous bar, gains are `max(d, 0)` and
/// losses `max(-d, 0)`. The first averages are the simple means of the first
/// `n` gains and losses (first output at bar `n`); then
/// `avg = (avg * (n - 1) + today) * (1 / n)`. The output is
/// `100 * (gain / (gain + loss))`, and **0 when `gain + loss` is 0** (a flat
/// window), as TA-Lib gives. The operations are TA-Lib 0.6+'s, in its order,
/// so results are bit-identical to it.
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    /// `1 / period`.
    inv: f64,
    previous: Option<f64>,
    /// Changes seen while seeding.
    seed_count: usize,
    /// Sums while seeding, averages after.
    gain: f64,
    loss: f64,
    warm: bool,
}

impl Rsi {
    /// `rsi(s, period)`; `period` in `1..=MAX_PERIOD`.
    pub fn new(period: usize) -> Result<Rsi, SignalError> {
        let period = check_period("rsi", "period", 1, period)?;
        Ok(Rsi {
            period,
            inv: 1.0 / period as f64,
            previous: None,
            seed_count: 0,
            gain: 0.0,
            loss: 0.0,
            warm: false,
        })
    }

    fn output(gain: f64, loss: f64) -> f64 {
        let total = gain + loss;
        if total == 0.0 {
            0.0
        } else if total.is_finite() {
            100.0 * (gain / total)
        } else {
            // Both averages are finite but their sum overflows: halve them.
            100.0 * ((gain * 0.5) / (gain * 0.5 + loss * 0.5))
        }
    }
}

impl Indicator for Rsi {
    fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return None;
        }
        let Some(previous) = self.previous else {
            self.previous = Some(x);
            return None;
        };
        let change = x - previous;
        let (up, down) = if change < 0.0 {
            (0.0, -change)
        } else {
            (change, 0.0)
        };
        let (gain, loss) = if self.warm {
            let kept = (self.period - 1) as f64;
            (
                (self.gain * kept + up) * self.inv,
                (self.loss * kept + down) * self.inv,
            )
        } else if self.seed_count + 1 == self.period {
            ((self.gain + up) * self.inv, (self.loss + down) * self.inv)
        } else {
            (self.gain + up, self.loss + down)
        };
        if !(change.is_finite() && gain.is_finite() && loss.is_finite()) {
            return None; // overflow: skip the bar
        }
        self.previous = Some(x);
        self.gain = gain;
        self.loss = loss;
        if !self.warm {
            self.seed_count += 1;
            if self.seed_count < self.period {
                return None;
            }
            self.warm = true;
        }
        Some(Rsi::output(gain, loss))
    }

    fn reset(&mut self) {
        self.previous = None;
        self.seed_count = 0;
        self.gain = 0.0;
        self.loss = 0.0;
        self.warm = false;
    }

    fn lookback(&self) -> usize {
        self.period
    }
}

/// `rsi(xs, period)` over a slice.
pub fn rsi(xs: &[f64], period: usize) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(run(Rsi::new(period)?, xs))
}
