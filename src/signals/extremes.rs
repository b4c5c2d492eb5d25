//! Highest and lowest value over a window (TA-Lib MAX and MIN).

use std::collections::VecDeque;

use super::error::{SignalError, check_period};
use super::{Indicator, run};

/// A window extreme kept with a monotonic deque: O(1) amortized per bar.
#[derive(Clone, Debug)]
struct Extreme {
    period: usize,
    /// Bars taken so far.
    taken: u64,
    /// (bar, value), values strictly decreasing (for a maximum) from the front.
    deque: VecDeque<(u64, f64)>,
}

impl Extreme {
    fn new(period: usize) -> Extreme {
        Extreme {
            period,
            taken: 0,
            deque: VecDeque::new(),
        }
    }

    /// `beats(a, b)`: `a` evicts `b` (for a maximum: `a >= b`).
    fn update(&mut self, x: f64, beats: fn(f64, f64) -> bool) -> Option<f64> {
        if !x.is_finite() {
            return None;
        }
        while self.deque.back().is_some_and(|&(_, v)| beats(x, v)) {
            self.deque.pop_back();
        }
        let bar = self.taken;
        self.deque.push_back((bar, x));
        self.taken += 1;
        let period = self.period as u64;
        while self.deque.front().is_some_and(|&(b, _)| b + period <= bar) {
            self.deque.pop_front();
        }
        if self.taken < period {
            return None;
        }
        self.deque.front().map(|&(_, v)| v)
    }

    fn reset(&mut self) {
        self.taken = 0;
        self.deque.clear();
    }
}

/// Highest of the last `n` values (TA-Lib `MAX`); first value at bar `n - 1`.
#[derive(Clone, Debug)]
pub struct Highest(Extreme);

impl Highest {
    /// `highest(s, period)`; `period` in `1..=MAX_PERIOD`.
    pub fn new(period: usize) -> Result<Highest, SignalError> {
        Ok(Highest(Extreme::new(check_period(
            "highest", "period", 1, period,
        )?)))
    }
}

impl Indicator for Highest {
    fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x, |new, old| new >= old)
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    fn lookback(&self) -> usize {
        self.0.period - 1
    }
}

/// Lowest of the last `n` values (TA-Lib `MIN`); first value at bar `n - 1`.
#[derive(Clone, Debug)]
pub struct Lowest(Extreme);

impl Lowest {
    /// `lowest(s, period)`; `period` in `1..=MAX_PERIOD`.
    pub fn new(period: usize) -> Result<Lowest, SignalError> {
        Ok(Lowest(Extreme::new(check_period(
            "lowest", "period", 1, period,
        )?)))
    }
}

impl Indicator for Lowest {
    fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x, |new, old| new <= old)
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    fn lookback(&self) -> usize {
        self.0.period - 1
    }
}

/// `highest(xs, period)` over a slice.
pub fn highest(xs: &[f64], period: usize) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(run(Highest::new(period)?, xs))
}

/// `lowest(xs, period)` over a slice.
pub fn lowest(xs: &[f64], period: usize) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(run(Lowest::new(period)?, xs))
}
