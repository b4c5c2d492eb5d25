//! Built-in signals (indicators), computed incrementally.

/// What a built-in's argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A series: any numeric expression.
    Series,
    /// A whole number of bars, fixed in the file.
    Period,
}

/// The built-in signals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `sma(s, n)`
    Sma,
    /// `ema(s, n)`
    Ema,
    /// `rsi(s, n)`
    Rsi,
    /// `macd(s, fast, slow, signal)`: the MACD line
    Macd,
    /// `macd_signal(s, fast, slow, signal)`
    MacdSignal,
    /// `macd_hist(s, fast, slow, signal)`
    MacdHist,
    /// `ratio(a, b)`
    Ratio,
    /// `realized_vol(s, n)`: annualized
    RealizedVol,
    /// `highest(s, n)`
    Highest,
    /// `lowest(s, n)`
    Lowest,
}

impl Builtin {
    /// Every built-in.
    pub const ALL: &'static [Builtin] = &[
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

    /// Its name in expressions.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Sma => "sma",
            Builtin::Ema => "ema",
            Builtin::Rsi => "rsi",
            Builtin::Macd => "macd",
            Builtin::MacdSignal => "macd_signal",
            Builtin::MacdHist => "macd_hist",
            Builtin::Ratio => "ratio",
            Builtin::RealizedVol => "realized_vol",
            Builtin::Highest => "highest",
            Builtin::Lowest => "lowest",
        }
    }

    /// The built-in called `name`.
    pub fn lookup(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// Its arguments.
    pub fn args(self) -> &'static [ArgKind] {
        use ArgKind::{Period as P, Series as S};
        match self {
            Builtin::Sma
            | Builtin::Ema
            | Builtin::Rsi
            | Builtin::RealizedVol
            | Builtin::Highest
            | Builtin::Lowest => &[S, P],
            Builtin::Macd | Builtin::MacdSignal | Builtin::MacdHist => &[S, P, P, P],
            Builtin::Ratio => &[S, S],
        }
    }

    /// How to call it: `rsi(s, n)`.
    pub fn usage(self) -> &'static str {
        match self {
            Builtin::Sma => "sma(series, n)",
            Builtin::Ema => "ema(series, n)",
            Builtin::Rsi => "rsi(series, n)",
            Builtin::Macd => "macd(series, fast, slow, signal)",
            Builtin::MacdSignal => "macd_signal(series, fast, slow, signal)",
            Builtin::MacdHist => "macd_hist(series, fast, slow, signal)",
            Builtin::Ratio => "ratio(a, b)",
            Builtin::RealizedVol => "realized_vol(series, n)",
            Builtin::Highest => "highest(series, n)",
            Builtin::Lowest => "lowest(series, n)",
        }
    }
}
