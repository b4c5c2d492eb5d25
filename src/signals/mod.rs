//! Built-in signals: technical indicators computed incrementally, O(1) per bar.
//!
//! Each indicator is a struct with `new(periods) -> Result<Self, SignalError>`
//! and `update(x) -> Option<f64>` (`None` until warmed up), and a batch helper
//! of the same name as the built-in (`sma(xs, 10)`) giving one
//! `Option<f64>` per input bar. [`Builtin`] names them for the language;
//! [`Builtin::instantiate`] makes a [`Signal`] the evaluator can feed.
//!
//! # Definitions
//!
//! They are TA-Lib's (default "classic" compatibility, unstable period 0),
//! checked against the real library on the full VIX history
//! (`tests/it/signals_talib.rs`):
//!
//! | built-in | first value (0-based bar, no gaps) |
//! |---|---|
//! | [`sma`]`(s, n)` | `n-1` |
//! | [`ema`]`(s, n)`, `k = 2/(n+1)`, seeded with the mean of the first `n` | `n-1` |
//! | [`rsi`]`(s, n)`, Wilder smoothing seeded with the mean of the first `n` gains/losses | `n` |
//! | [`macd`], [`macd_signal`], [`macd_hist`]`(s, fast, slow, signal)` | `slow+signal-2` |
//! | [`highest`], [`lowest`]`(s, n)` (TA-Lib MAX/MIN) | `n-1` |
//! | [`realized_vol`]`(s, n)` (not in TA-Lib, see [`RealizedVol`]) | `n` |
//! | [`ratio`]`(a, b)` | `0` |
//!
//! [`crosses_above`] and [`crosses_below`] implement the language's
//! `a crosses above b` / `a crosses below b` operators; they are not callable
//! built-ins.
//!
//! Periods must be at least 1 (2 for `realized_vol`) and at most
//! [`MAX_PERIOD`]; anything else is a [`SignalError`], never a panic.
//! TA-Lib itself rejects period 1 for SMA, EMA, RSI, MAX, MIN and the MACD
//! averages; here period 1 follows the same formulas (an EMA of period 1 is
//! each input itself, exactly, as TA-Lib's MACD signal line of period 1 is).
//! The language's checker refuses a MACD whose `fast` is not below `slow`;
//! [`Macd`] itself swaps a reversed pair, as TA-Lib does.
//!
//! # Missing and non-finite values
//!
//! A bar is **skipped** (its `update` returns `None` and the indicator's state
//! is left exactly as it was) when
//! - its input is not finite (`NaN` means a missing value, e.g. a secondary
//!   series before its first date; `±inf` is treated the same), or
//! - taking it would overflow the indicator's state (e.g. a running sum or a
//!   price difference of values near `f64::MAX`), or, for [`realized_vol`],
//!   the price is not positive.
//!
//! The bars around a skipped one continue as if it were not there: windows
//! hold the last `n` *taken* values, and `rsi`/`realized_vol` difference
//! against the last taken value. So a series with leading `NaN`s warms up from
//! its first value, as TA-Lib's Python wrapper does. Every `Some` value is
//! finite. (Inside TA-Lib, by contrast, a `NaN` poisons an EMA forever.)

mod average;
mod builtin;
mod combine;
mod error;
mod extremes;
mod macd;
mod rsi;
mod volatility;

pub use average::{Ema, Sma, ema, sma};
pub use builtin::{BUILTINS, Builtin, Param, ParamKind, Signal, Signature, lookup};
pub use combine::{Cross, CrossDirection, crosses_above, crosses_below, ratio, ratio_of};
pub use error::{MAX_PERIOD, SignalError};
pub use extremes::{Highest, Lowest, highest, lowest};
pub use macd::{Macd, MacdOutput, MacdValue, macd, macd_hist, macd_signal};
pub use rsi::{Rsi, rsi};
pub use volatility::{RealizedVol, TRADING_DAYS_PER_YEAR, realized_vol};

/// An indicator over one series, fed one bar at a time.
pub trait Indicator {
    /// Takes the next bar; returns the indicator's value at that bar, or
    /// `None` while warming up and for a skipped bar (see the module docs).
    fn update(&mut self, x: f64) -> Option<f64>;

    /// Forgets every bar, back to the state of `new`.
    fn reset(&mut self);

    /// How many bars (without gaps) come before the first value: TA-Lib's
    /// "lookback".
    fn lookback(&self) -> usize;
}

/// Runs an indicator over a slice, one output per input bar.
pub fn run<I: Indicator>(mut indicator: I, xs: &[f64]) -> Vec<Option<f64>> {
    xs.iter().map(|&x| indicator.update(x)).collect()
}
