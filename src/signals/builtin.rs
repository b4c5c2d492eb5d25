//! The table of built-ins the language can call, and a dynamic [`Signal`]
//! the evaluator feeds bar by bar.

use super::Indicator;
use super::combine::ratio_of;
use super::error::{SignalError, check_period_i64};
use super::{Ema, Highest, Lowest, Macd, MacdOutput, RealizedVol, Rsi, Sma};

/// A built-in signal function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `sma(s, period)`
    Sma,
    /// `ema(s, period)`
    Ema,
    /// `rsi(s, period)`
    Rsi,
    /// `macd(s, fast, slow, signal)`: the MACD line
    Macd,
    /// `macd_signal(s, fast, slow, signal)`
    MacdSignal,
    /// `macd_hist(s, fast, slow, signal)`
    MacdHist,
    /// `ratio(a, b)`
    Ratio,
    /// `realized_vol(s, period)`
    RealizedVol,
    /// `highest(s, period)`
    Highest,
    /// `lowest(s, period)`
    Lowest,
}

/// Every built-in, in a stable order.
pub const BUILTINS: &[Builtin] = &[
    Builtin::Sma,
    Builtin::Ema,
    Builtin::Rsi,
    Builtin::Macd,
    Builtin::MacdSignal,
    Builtin::MacdHist,
    Builtin::Ratio,
    Builtin::RealizedVol,
    Builtin::Highest,
    Builtin::Lowest,
];

/// The built-in called `name` (exact, lowercase), if any.
pub fn lookup(name: &str) -> Option<Builtin> {
    BUILTINS.iter().copied().find(|b| b.name() == name)
}

/// What a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A series: a market series (`vix`) or another signal's output.
    Series,
    /// An integer number of bars, at least `min` and at most
    /// [`MAX_PERIOD`](super::MAX_PERIOD).
    Period {
        /// The smallest value accepted.
        min: usize,
    },
}

/// One parameter of a built-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// Its name, as used in messages.
    pub name: &'static str,
    /// What it takes.
    pub kind: ParamKind,
}

/// A built-in's name and parameters. Series parameters always come first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The name strategies call it by.
    pub name: &'static str,
    /// Its parameters, in order.
    pub params: &'static [Param],
    /// One line saying what it computes.
    pub summary: &'static str,
}

impl Signature {
    /// Number of arguments.
    pub fn arity(&self) -> usize {
        self.params.len()
    }

    /// The series parameters.
    pub fn series(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.kind == ParamKind::Series)
    }

    /// The period parameters.
    pub fn periods(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.kind != ParamKind::Series)
    }
}

const fn series(name: &'static str) -> Param {
    Param {
        name,
        kind: ParamKind::Series,
    }
}

const fn period(name: &'static str, min: usize) -> Param {
    Param {
        name,
        kind: ParamKind::Period { min },
    }
}

const ONE_PERIOD: &[Param] = &[series("s"), period("period", 1)];
const TWO_SERIES: &[Param] = &[series("a"), series("b")];
const VOL_PARAMS: &[Param] = &[series("s"), period("period", 2)];
const MACD_PARAMS: &[Param] = &[
    series("s"),
    period("fast", 1),
    period("slow", 1),
    period("signal", 1),
];

impl Builtin {
    /// The name strategies call it by, e.g. `macd_signal`.
    pub fn name(self) -> &'static str {
        self.signature().name
    }

    /// Its name and parameters.
    pub fn signature(self) -> Signature {
        let (name, params, summary) = match self {
            Builtin::Sma => ("sma", ONE_PERIOD, "simple moving average (TA-Lib SMA)"),
            Builtin::Ema => ("ema", ONE_PERIOD, "exponential moving average (TA-Lib EMA)"),
            Builtin::Rsi => (
                "rsi",
                ONE_PERIOD,
                "relative strength index, 0..100 (TA-Lib RSI)",
            ),
            Builtin::Macd => (
                "macd",
                MACD_PARAMS,
                "MACD line: ema(fast) - ema(slow) (TA-Lib MACD)",
            ),
            Builtin::MacdSignal => (
                "macd_signal",
                MACD_PARAMS,
                "MACD signal line: ema of the MACD line (TA-Lib MACD)",
            ),
            Builtin::MacdHist => (
                "macd_hist",
                MACD_PARAMS,
                "MACD histogram: line - signal (TA-Lib MACD)",
            ),
            Builtin::Ratio => ("ratio", TWO_SERIES, "a / b per bar; missing when b is 0"),
            Builtin::RealizedVol => (
                "realized_vol",
                VOL_PARAMS,
                "annualized close-to-close volatility of log returns, a fraction",
            ),
            Builtin::Highest => (
                "highest",
                ONE_PERIOD,
                "highest value over a window (TA-Lib MAX)",
            ),
            Builtin::Lowest => (
                "lowest",
                ONE_PERIOD,
                "lowest value over a window (TA-Lib MIN)",
            ),
        };
        Signature {
            name,
            params,
            summary,
        }
    }

    /// A fresh [`Signal`] with these period arguments (in signature order).
    ///
    /// # Errors
    /// [`SignalError::Arity`] for the wrong number of periods, and the period
    /// errors for a value out of range.
    pub fn instantiate(self, periods: &[i64]) -> Result<Signal, SignalError> {
        let signature = self.signature();
        let params: Vec<&Param> = signature.periods().collect();
        if periods.len() != params.len() {
            return Err(SignalError::Arity {
                function: signature.name,
                what: if params.len() == 1 {
                    "period"
                } else {
                    "periods"
                },
                expected: params.len(),
                found: periods.len(),
            });
        }
        let mut p = [0usize; 3];
        for ((slot, param), &value) in p.iter_mut().zip(&params).zip(periods) {
            let min = match param.kind {
                ParamKind::Period { min } => min,
                ParamKind::Series => 1,
            };
            *slot = check_period_i64(signature.name, param.name, min, value)?;
        }
        let [a, b, c] = p;
        Ok(match self {
            Builtin::Sma => Signal::Sma(Sma::new(a)?),
            Builtin::Ema => Signal::Ema(Ema::new(a)?),
            Builtin::Rsi => Signal::Rsi(Rsi::new(a)?),
            Builtin::Macd => Signal::Macd(Macd::new(a, b, c, MacdOutput::Line)?),
            Builtin::MacdSignal => Signal::Macd(Macd::new(a, b, c, MacdOutput::Signal)?),
            Builtin::MacdHist => Signal::Macd(Macd::new(a, b, c, MacdOutput::Hist)?),
            Builtin::Ratio => Signal::Ratio,
            Builtin::RealizedVol => Signal::RealizedVol(RealizedVol::new(a)?),
            Builtin::Highest => Signal::Highest(Highest::new(a)?),
            Builtin::Lowest => Signal::Lowest(Lowest::new(a)?),
        })
    }

    /// Runs the built-in over whole series (`NaN` = missing): one output per
    /// bar, as long as the longest series.
    ///
    /// # Errors
    /// [`SignalError::Arity`] for the wrong number of series or periods, and
    /// the period errors.
    pub fn compute(
        self,
        series: &[&[f64]],
        periods: &[i64],
    ) -> Result<Vec<Option<f64>>, SignalError> {
        self.compute_fresh(series, periods, &[])
    }

    /// [`Builtin::compute`], taking only the bars where `fresh` is true (or
    /// absent): on another bar (every series it reads carried forward, no
    /// new observation) the built-in keeps its state and gives the value it
    /// gave on the bar before, so `sma(spx, 10)` averages SPX's last 10
    /// closes, not a close counted twice on a day only VIX printed.
    ///
    /// # Errors
    /// As [`Builtin::compute`].
    pub fn compute_fresh(
        self,
        series: &[&[f64]],
        periods: &[i64],
        fresh: &[bool],
    ) -> Result<Vec<Option<f64>>, SignalError> {
        let signature = self.signature();
        let expected = signature.series().count();
        if series.len() != expected {
            return Err(SignalError::Arity {
                function: signature.name,
                what: "series",
                expected,
                found: series.len(),
            });
        }
        let mut signal = self.instantiate(periods)?;
        let bars = series.iter().map(|s| s.len()).max().unwrap_or(0);
        let mut inputs = [f64::NAN; 2];
        let mut last = None;
        Ok((0..bars)
            .map(|i| {
                if fresh.get(i).copied().unwrap_or(true) {
                    for (slot, s) in inputs.iter_mut().zip(series) {
                        *slot = s.get(i).copied().unwrap_or(f64::NAN);
                    }
                    last = signal.update(inputs.get(..expected).unwrap_or(&inputs));
                }
                last
            })
            .collect())
    }
}

/// A running built-in: the state of one call such as `rsi(vix, 14)`.
#[derive(Clone, Debug)]
pub enum Signal {
    /// `sma`
    Sma(Sma),
    /// `ema`
    Ema(Ema),
    /// `rsi`
    Rsi(Rsi),
    /// `macd`, `macd_signal`, `macd_hist`
    Macd(Macd),
    /// `ratio` (stateless)
    Ratio,
    /// `realized_vol`
    RealizedVol(RealizedVol),
    /// `highest`
    Highest(Highest),
    /// `lowest`
    Lowest(Lowest),
}

impl Signal {
    /// Takes one bar: one value per series argument, in order (`NaN` for a
    /// missing value; absent values count as missing). Returns the signal's
    /// value at this bar.
    pub fn update(&mut self, inputs: &[f64]) -> Option<f64> {
        let x = inputs.first().copied().unwrap_or(f64::NAN);
        match self {
            Signal::Sma(s) => s.update(x),
            Signal::Ema(s) => s.update(x),
            Signal::Rsi(s) => s.update(x),
            Signal::Macd(s) => s.update(x),
            Signal::Ratio => ratio_of(x, inputs.get(1).copied().unwrap_or(f64::NAN)),
            Signal::RealizedVol(s) => s.update(x),
            Signal::Highest(s) => s.update(x),
            Signal::Lowest(s) => s.update(x),
        }
    }

    /// Forgets every bar.
    pub fn reset(&mut self) {
        match self {
            Signal::Sma(s) => s.reset(),
            Signal::Ema(s) => s.reset(),
            Signal::Rsi(s) => s.reset(),
            Signal::Macd(s) => s.reset(),
            Signal::Ratio => {}
            Signal::RealizedVol(s) => s.reset(),
            Signal::Highest(s) => s.reset(),
            Signal::Lowest(s) => s.reset(),
        }
    }

    /// Bars before the first value, when none is missing.
    pub fn lookback(&self) -> usize {
        match self {
            Signal::Sma(s) => s.lookback(),
            Signal::Ema(s) => s.lookback(),
            Signal::Rsi(s) => s.lookback(),
            Signal::Macd(s) => s.lookback(),
            Signal::Ratio => 0,
            Signal::RealizedVol(s) => s.lookback(),
            Signal::Highest(s) => s.lookback(),
            Signal::Lowest(s) => s.lookback(),
        }
    }
}
