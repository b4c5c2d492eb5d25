//! Errors of the signals: bad periods and wrong argument counts.

/// The largest period accepted, as in TA-Lib.
pub const MAX_PERIOD: usize = 100_000;

/// Why a signal cannot be built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// A period below its minimum, e.g. `rsi(vix, 0)`:
    /// ``` `rsi`: `period` must be at least 1, got 0 ```.
    #[error("`{function}`: `{param}` must be at least {min}, got {value}")]
    PeriodTooSmall {
        /// The built-in, e.g. `rsi`.
        function: &'static str,
        /// The parameter, e.g. `period`.
        param: &'static str,
        /// The smallest value accepted.
        min: usize,
        /// The value given.
        value: i64,
    },

    /// A period above [`MAX_PERIOD`], e.g. `sma(vix, 1000000)`:
    /// ``` `sma`: `period` must be at most 100000, got 1000000 ```.
    #[error("`{function}`: `{param}` must be at most {max}, got {value}")]
    PeriodTooLarge {
        /// The built-in.
        function: &'static str,
        /// The parameter.
        param: &'static str,
        /// The largest value accepted.
        max: usize,
        /// The value given.
        value: i64,
    },

    /// The wrong number of series or periods for a built-in, e.g.
    /// `Builtin::Rsi.instantiate(&[])`: `` `rsi` takes 1 period, got 0 ``.
    #[error("`{function}` takes {expected} {what}, got {found}")]
    Arity {
        /// The built-in.
        function: &'static str,
        /// `series` or `period(s)`.
        what: &'static str,
        /// How many it takes.
        expected: usize,
        /// How many were given.
        found: usize,
    },
}

/// Checks a period given as a `usize`.
pub(crate) fn check_period(
    function: &'static str,
    param: &'static str,
    min: usize,
    value: usize,
) -> Result<usize, SignalError> {
    check_period_i64(
        function,
        param,
        min,
        i64::try_from(value).unwrap_or(i64::MAX),
    )
}

/// Checks a period given as a signed integer (as the language has them).
pub(crate) fn check_period_i64(
    function: &'static str,
    param: &'static str,
    min: usize,
    value: i64,
) -> Result<usize, SignalError> {
    let too_small = SignalError::PeriodTooSmall {
        function,
        param,
        min,
        value,
    };
    if value < i64::try_from(min).unwrap_or(i64::MAX) {
        return Err(too_small);
    }
    if value > i64::try_from(MAX_PERIOD).unwrap_or(i64::MAX) {
        return Err(SignalError::PeriodTooLarge {
            function,
            param,
            max: MAX_PERIOD,
            value,
        });
    }
    usize::try_from(value).map_err(|_| too_small)
}
