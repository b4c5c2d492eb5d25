//! Moving average convergence/divergence (TA-Lib MACD).

use super::Indicator;
use super::average::{Ema, Peek, smoothing};
use super::error::{SignalError, check_period};

/// The three MACD outputs at one bar.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdValue {
    /// `ema(fast) - ema(slow)`.
    pub macd: f64,
    /// The EMA of the MACD line over `signal` bars.
    pub signal: f64,
    /// `macd - signal`.
    pub hist: f64,
}

/// Which MACD output a [`Macd`] gives through [`Indicator::update`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacdOutput {
    /// `macd(s, fast, slow, signal)`.
    Line,
    /// `macd_signal(s, fast, slow, signal)`.
    Signal,
    /// `macd_hist(s, fast, slow, signal)`.
    Hist,
}

impl MacdValue {
    /// One of the three outputs.
    pub fn get(&self, output: MacdOutput) -> f64 {
        match output {
            MacdOutput::Line => self.macd,
            MacdOutput::Signal => self.signal,
            MacdOutput::Hist => self.hist,
        }
    }
}

/// MACD as TA-Lib's `TA_MACD` computes it.
///
/// - If `fast > slow` the two are swapped, as TA-Lib does.
/// - Both EMAs start at bar `slow - 1`: the slow one seeded with the mean of
///   the first `slow` values, the fast one with the mean of the `fast` values
///   ending at bar `slow - 1` (not of its own first `fast` values).
/// - The signal line is an EMA of the MACD line seeded with the mean of the
///   first `signal` MACD values.
/// - All three outputs start together, at bar `slow + signal - 2`; before
///   that even the MACD line is `None`, as in TA-Lib.
#[derive(Clone, Debug)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
    fast_period: usize,
    slow_period: usize,
    signal_period: usize,
    /// Bars taken so far, up to `slow` (to know when the fast seed starts).
    taken: usize,
    output: MacdOutput,
}

impl Macd {
    /// `macd(s, fast, slow, signal)` giving `output` through
    /// [`Indicator::update`]; each period in `1..=MAX_PERIOD`.
    pub fn new(
        fast: usize,
        slow: usize,
        signal: usize,
        output: MacdOutput,
    ) -> Result<Macd, SignalError> {
        let name = match output {
            MacdOutput::Line => "macd",
            MacdOutput::Signal => "macd_signal",
            MacdOutput::Hist => "macd_hist",
        };
        let fast = check_period(name, "fast", 1, fast)?;
        let slow = check_period(name, "slow", 1, slow)?;
        let signal = check_period(name, "signal", 1, signal)?;
        let (fast, slow) = if fast > slow {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Ok(Macd {
            fast: Ema::with_k(fast, smoothing(fast)),
            slow: Ema::with_k(slow, smoothing(slow)),
            signal: Ema::with_k(signal, smoothing(signal)),
            fast_period: fast,
            slow_period: slow,
            signal_period: signal,
            taken: 0,
            output,
        })
    }

    /// Takes the next bar and gives all three outputs once warmed up.
    pub fn update_all(&mut self, x: f64) -> Option<MacdValue> {
        if !x.is_finite() {
            return None;
        }
        let slow = self.slow.peek(x);
        // The fast EMA's seed is the `fast` values ending where the slow seed ends.
        let fast_started = self.taken + self.fast_period >= self.slow_period;
        let fast = if fast_started {
            self.fast.peek(x)
        } else {
            Peek::Seeding(0.0)
        };
        let line = match (slow, fast) {
            (Peek::Skip, _) | (_, Peek::Skip) => return None,
            (Peek::Seeded(s) | Peek::Value(s), Peek::Seeded(f) | Peek::Value(f)) => Some(f - s),
            _ => None,
        };
        let signal = match line {
            Some(line) if !line.is_finite() => return None,
            Some(line) => Some((line, self.signal.peek(line))),
            None => None,
        };
        if let Some((_, Peek::Skip)) = signal {
            return None;
        }

        // Every step is finite: take the bar.
        self.slow.commit(slow);
        if fast_started {
            self.fast.commit(fast);
        }
        self.taken = (self.taken + 1).min(self.slow_period);
        let (line, peek) = signal?;
        let signal = self.signal.commit(peek)?;
        Some(MacdValue {
            macd: line,
            signal,
            hist: line - signal,
        })
    }
}

impl Indicator for Macd {
    fn update(&mut self, x: f64) -> Option<f64> {
        self.update_all(x).map(|v| v.get(self.output))
    }

    fn reset(&mut self) {
        for ema in [&mut self.fast, &mut self.slow, &mut self.signal] {
            ema.reset();
        }
        self.taken = 0;
    }

    fn lookback(&self) -> usize {
        self.slow_period + self.signal_period - 2
    }
}

fn run_macd(
    xs: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    output: MacdOutput,
) -> Result<Vec<Option<f64>>, SignalError> {
    Ok(super::run(Macd::new(fast, slow, signal, output)?, xs))
}

/// `macd(xs, fast, slow, signal)`: the MACD line.
pub fn macd(
    xs: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
) -> Result<Vec<Option<f64>>, SignalError> {
    run_macd(xs, fast, slow, signal, MacdOutput::Line)
}

/// `macd_signal(xs, fast, slow, signal)`: the signal line.
pub fn macd_signal(
    xs: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
) -> Result<Vec<Option<f64>>, SignalError> {
    run_macd(xs, fast, slow, signal, MacdOutput::Signal)
}

/// `macd_hist(xs, fast, slow, signal)`: MACD line minus signal line.
pub fn macd_hist(
    xs: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
) -> Result<Vec<Option<f64>>, SignalError> {
    run_macd(xs, fast, slow, signal, MacdOutput::Hist)
}
