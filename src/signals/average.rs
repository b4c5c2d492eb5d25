//! Simple and exponential moving averages (TA-Lib SMA and EMA).

use std::collections::VecDeque;

use super::error::{SignalError, check_period};
use super::{Indicator, run};

/// Simple moving average of the last `n` values (TA-Lib `SMA`).
///
/// As in TA-Lib, a running total is kept: each bar adds the new value, the
/// output is `total / n`, then the value leaving the window is subtracted.
#[derive(Clone, Debug)]
pub struct Sma {
    period: usize,
    /// The last `period - 1` values once warmed up (the oldest leaves after output).
    window: VecDeque<f64>,
    total: f64,
}

impl Sma {
    /// `sma(s, period)`; `period` in `1..=MAX_PERIOD`.
    pub fn new(period: usize) -> Result<Sma, SignalError> {
        Ok(Sma {
            period: check_period("sma", "period", 1, period)?,
            window: VecDeque::new(),
            total: 0.0,
        })
    }
}

impl Indicator for Sma {
    fn update(&mut self, x: f64) -> Option<f64> {
        let total = self.total + x;
        if !total.is_finite() {
            return None; // a non-finite input, or an overflowing total: skip the bar
        }
        self.total = total;
        self.window.push_back(x);
        if self.window.len() < self.period {
            return None;
        }
        let mean = self.total / self.period as f64;
        if let Some(oldest) = self.window.pop_front() {
            self.total -= oldest;
        }
        Some(mean)
    }

    fn reset(&mut self) {
        self.window.clear();
        self.total = 0.0;
    }

    fn lookback(&self) -> usize {
        self.period - 1
    }
}

/// `sma(xs, period)` over a slice.
pub fn sma(xs: &[f64], period: usize) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(run(Sma::new(period)?, xs))
}

/// Exponential moving average (TA-Lib `EMA`): `k = 2 / (n + 1)`, seeded with
/// the simple mean of the first `n` values (first output at bar `n - 1`), then
/// `ema = (x - ema) * k + ema` computed as one fused multiply-add, as the
/// TA-Lib 0.6+ C library does (so results are bit-identical to it). Period 1
/// (which TA-Lib's EMA rejects, and its MACD allows for the signal line) gives
/// each input itself, exactly, as TA-Lib's MACD signal line of period 1 does.
#[derive(Clone, Debug)]
pub struct Ema {
    period: usize,
    k: f64,
    /// Sum and count of the seed values, until the seed is complete.
    seed_total: f64,
    seed_count: usize,
    value: Option<f64>,
}

impl Ema {
    /// `ema(s, period)`; `period` in `1..=MAX_PERIOD`.
    pub fn new(period: usize) -> Result<Ema, SignalError> {
        let period = check_period("ema", "period", 1, period)?;
        Ok(Ema::with_k(period, smoothing(period)))
    }

    pub(crate) fn with_k(period: usize, k: f64) -> Ema {
        Ema {
            period,
            k,
            seed_total: 0.0,
            seed_count: 0,
            value: None,
        }
    }

    /// The current value, if warmed up.
    pub fn value(&self) -> Option<f64> {
        self.value
    }

    /// The value `x` would give, without taking it; `None` when it would
    /// skip the bar. Used by MACD to update several averages all or nothing.
    pub(crate) fn peek(&self, x: f64) -> Peek {
        match self.value {
            Some(ema) => {
                // Period 1 (k = 1) is the input itself: the fused step
                // would round `x - ema` first, off by up to an ulp of `ema`
                // (TA-Lib's MACD signal line of period 1 is its line exactly).
                let next = if self.period == 1 {
                    x
                } else {
                    (x - ema).mul_add(self.k, ema)
                };
                if next.is_finite() {
                    Peek::Value(next)
                } else {
                    Peek::Skip
                }
            }
            None => {
                let total = self.seed_total + x;
                if !total.is_finite() {
                    Peek::Skip
                } else if self.seed_count + 1 == self.period {
                    Peek::Seeded(total / self.period as f64)
                } else {
                    Peek::Seeding(total)
                }
            }
        }
    }

    /// Takes what [`Ema::peek`] computed for the same input.
    pub(crate) fn commit(&mut self, peek: Peek) -> Option<f64> {
        match peek {
            Peek::Skip => None,
            Peek::Seeding(total) => {
                self.seed_total = total;
                self.seed_count += 1;
                None
            }
            Peek::Seeded(value) | Peek::Value(value) => {
                self.value = Some(value);
                Some(value)
            }
        }
    }
}

/// TA-Lib's `PER_TO_K`: `2 / (period + 1)`.
pub(crate) fn smoothing(period: usize) -> f64 {
    2.0 / (period as f64 + 1.0)
}

/// The outcome of one EMA step, before it is taken.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Peek {
    /// The bar would be skipped.
    Skip,
    /// Still collecting the seed: the new seed total.
    Seeding(f64),
    /// The seed is complete: the first value.
    Seeded(f64),
    /// The next value.
    Value(f64),
}

impl Indicator for Ema {
    fn update(&mut self, x: f64) -> Option<f64> {
        let peek = self.peek(x);
        self.commit(peek)
    }

    fn reset(&mut self) {
        *self = Ema::with_k(self.period, self.k);
    }

    fn lookback(&self) -> usize {
        self.period - 1
    }
}

/// `ema(xs, period)` over a slice.
pub fn ema(xs: &[f64], period: usize) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(run(Ema::new(period)?, xs))
}
