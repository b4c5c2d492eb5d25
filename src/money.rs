//! Money: `rust_decimal` amounts, with rounding and formatting in one place.
//!
//! Money is never `f64`. Arithmetic that can overflow goes through the
//! `checked_*` helpers here and reports [`Overflow`] instead of wrapping or panicking.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt::Write as _;

/// An amount too large for a decimal (about 7.9 × 10^28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("amount overflows the largest representable decimal")]
pub struct Overflow;

/// `a × b`, or [`Overflow`]: `Decimal::checked_mul`'s result, the same
/// representation included, with shortcuts for a zero operand (a plain
/// zero) and two mantissas within 32 bits whose scales add up to at most 28
/// (one 64-bit product). A test compares the two to the bit.
#[inline(always)]
pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    let (x, y) = (a.unpack(), b.unpack());
    if x.hi | x.mid | x.lo == 0 || y.hi | y.mid | y.lo == 0 {
        return Ok(Decimal::ZERO);
    }
    let scale = x.scale + y.scale;
    if x.hi | x.mid | y.hi | y.mid == 0 && scale <= Decimal::MAX_SCALE {
        let m = u64::from(x.lo) * u64::from(y.lo);
        return Ok(Decimal::from_parts(
            m as u32,
            (m >> 32) as u32,
            0,
            x.negative != y.negative,
            scale,
        ));
    }
    checked_mul(a, b)
}

#[inline(never)]
fn checked_mul(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_mul(b).ok_or(Overflow)
}

/// `a + b`, or [`Overflow`]: `Decimal::checked_add`'s result, the same
/// representation included, with shortcuts for the engine's common cases: a
/// zero operand (the other is the sum, as it stands), and two amounts of the
/// same scale within 32 bits (about $42.9 million in cents), one 64-bit
/// addition or subtraction. A test compares the two to the bit.
#[inline(always)]
pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    let (x, y) = (a.unpack(), b.unpack());
    if x.hi | x.mid | x.lo == 0 {
        return Ok(b);
    }
    if y.hi | y.mid | y.lo == 0 {
        return Ok(a);
    }
    if x.scale == y.scale && x.hi | x.mid | y.hi | y.mid == 0 {
        let (l, r) = (u64::from(x.lo), u64::from(y.lo));
        // `from_parts` makes a zero sum a positive zero, as `checked_add` does.
        let (m, negative) = if x.negative == y.negative {
            (l + r, x.negative)
        } else if l >= r {
            (l - r, x.negative)
        } else {
            (r - l, y.negative)
        };
        return Ok(Decimal::from_parts(
            m as u32,
            (m >> 32) as u32,
            0,
            negative,
            x.scale,
        ));
    }
    checked_add(a, b)
}

#[inline(never)]
fn checked_add(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

/// `a − b`, or [`Overflow`].
pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal, Overflow> {
    a.checked_sub(b).ok_or(Overflow)
}

/// How sizes are rounded to their increment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoundMode {
    /// To the nearest multiple; halves away from zero.
    Nearest,
    /// Down to the multiple at or below.
    Down,
}

impl RoundMode {
    /// The word used in strategy files.
    pub fn word(self) -> &'static str {
        match self {
            RoundMode::Nearest => "nearest",
            RoundMode::Down => "down",
        }
    }
}

/// `num / den` rounded half away from zero to `dp` decimal places in one
/// rounding, on the decimals' integer mantissas: cheaper than a 28-digit
/// quotient rounded afterwards, and never rounded twice. `None` when `den` is
/// zero or the arithmetic leaves 128 bits (callers then take the general path).
pub fn div_round(num: Decimal, den: Decimal, dp: u32) -> Option<Decimal> {
    let (m, negative) = magnitude(num);
    div_round_parts(m, negative, num.scale(), den, dp)
}

/// `a × b / den`, the product exact, rounded as [`div_round`] rounds.
pub fn mul_div_round(a: Decimal, b: Decimal, den: Decimal, dp: u32) -> Option<Decimal> {
    let ((am, an), (bm, bn)) = (magnitude(a), magnitude(b));
    div_round_parts(
        mul_magnitudes(am, bm)?,
        an != bn,
        a.scale().checked_add(b.scale())?,
        den,
        dp,
    )
}

/// Whether `a × b < c × d`, exactly, on the mantissas; `None` when the
/// products leave u128.
pub fn product_lt(a: Decimal, b: Decimal, c: Decimal, d: Decimal) -> Option<bool> {
    let ((am, an), (bm, bn)) = (magnitude(a), magnitude(b));
    let ((cm, cn), (dm, dn)) = (magnitude(c), magnitude(d));
    let (l, sl) = (mul_magnitudes(am, bm)?, a.scale() + b.scale());
    let (r, sr) = (mul_magnitudes(cm, dm)?, c.scale() + d.scale());
    let (l_negative, r_negative) = (an != bn && l != 0, cn != dn && r != 0);
    Some(match (l_negative, r_negative) {
        (true, false) => true,
        (false, true) => false,
        (false, false) => magnitude_lt(l, sl, r, sr)?,
        (true, true) => magnitude_lt(r, sr, l, sl)?,
    })
}

/// Whether `d < 0` (a negative zero is not), without a general comparison.
pub fn is_negative(d: Decimal) -> bool {
    d.is_sign_negative() && !d.is_zero()
}

/// A decimal's mantissa as a magnitude and whether it is below zero.
pub fn magnitude(d: Decimal) -> (u128, bool) {
    let m = d.mantissa();
    (m.unsigned_abs(), m < 0)
}

/// `a × b`; two 64-bit magnitudes (every amount of money) multiply without
/// an overflow check.
pub fn mul_magnitudes(a: u128, b: u128) -> Option<u128> {
    if a <= u128::from(u64::MAX) && b <= u128::from(u64::MAX) {
        Some(a * b)
    } else {
        a.checked_mul(b)
    }
}

/// Whether `l / 10^sl < r / 10^sr`.
fn magnitude_lt(l: u128, sl: u32, r: u128, sr: u32) -> Option<bool> {
    let pow = |k: u32| POW10.get(k as usize).copied();
    Some(if sl < sr {
        l.checked_mul(pow(sr - sl)?)? < r
    } else {
        l < r.checked_mul(pow(sl - sr)?)?
    })
}

/// 10^0 ..= 10^38: every power of ten a u128 holds.
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `±mn / 10^sn / den` (`negative` the numerator's sign), rounded half away
/// from zero to `dp` places, on magnitudes: one unsigned division.
fn div_round_parts(mn: u128, negative: bool, sn: u32, den: Decimal, dp: u32) -> Option<Decimal> {
    let (md, den_negative) = magnitude(den);
    // num / den × 10^dp = mn × 10^e / md with e = sd + dp − sn.
    let e = i64::from(den.scale()) + i64::from(dp) - i64::from(sn);
    let (n, d) = aligned(mn, md, e)?;
    decimal_of(round_div(n, d)?, negative != den_negative, dp)
}

/// `n / d` rounded half away from zero; `None` when `d` is zero.
#[inline]
pub fn round_div(n: u128, d: u128) -> Option<u128> {
    if d == 0 {
        return None;
    }
    // Up when the remainder is at least half of d: `r ≥ d − r`, written so
    // that nothing overflows (a round-up needs d ≥ 2, so q + 1 fits). In 64
    // bits when both fit: 128-bit division is a library call several times
    // slower.
    Some(match (u64::try_from(n), u64::try_from(d)) {
        (Ok(n), Ok(d)) => {
            let (q, r) = (n / d, n % d);
            u128::from(if r >= d - r { q + 1 } else { q })
        }
        _ => {
            let (q, r) = (n / d, n % d);
            if r >= d - r { q + 1 } else { q }
        }
    })
}

/// `±m / 10^dp` as a decimal, when it fits its 96 bits and 28 places (a
/// zero comes out positive).
#[inline]
pub fn decimal_of(m: u128, negative: bool, dp: u32) -> Option<Decimal> {
    (m >> 96 == 0 && dp <= Decimal::MAX_SCALE)
        .then(|| Decimal::from_parts(m as u32, (m >> 32) as u32, (m >> 64) as u32, negative, dp))
}

/// `(n × 10^e, d)` for `e ≥ 0`, else `(n, d × 10^−e)`: the two sides of
/// `n × 10^e / d` as integers; `None` when one leaves u128.
pub fn aligned(n: u128, d: u128, e: i64) -> Option<(u128, u128)> {
    let pow = |k: i64| POW10.get(usize::try_from(k).ok()?).copied();
    Some(if e >= 0 {
        (mul_magnitudes(n, pow(e)?)?, d)
    } else {
        (n, mul_magnitudes(d, pow(-e)?)?)
    })
}

/// The smallest integer `t` with `t / 10^s ≥ (n / 10^sn) / (d / 10^sd)`:
/// a quotient of magnitudes rounded up to `s` places, as a mantissa at
/// scale `s`. `None` when `d` is zero or the arithmetic leaves 128 bits.
pub fn ceil_quotient_at((n, sn): (u128, u32), (d, sd): (u128, u32), s: u32) -> Option<u128> {
    let (n, d) = aligned(n, d, i64::from(sd) + i64::from(s) - i64::from(sn))?;
    if d == 0 {
        return None;
    }
    let q = n / d;
    Some(if q * d == n { q } else { q + 1 })
}

/// `m × 10^k`, `None` beyond u128.
pub fn scale_up(m: u128, k: u32) -> Option<u128> {
    mul_magnitudes(m, *POW10.get(k as usize)?)
}

/// `amount` rounded to a multiple of `increment` (a positive amount).
pub fn round_to(amount: Decimal, increment: Decimal, mode: RoundMode) -> Result<Decimal, Overflow> {
    if increment <= Decimal::ZERO {
        return Ok(amount);
    }
    let units = amount.checked_div(increment).ok_or(Overflow)?;
    let strategy = match mode {
        RoundMode::Nearest => RoundingStrategy::MidpointAwayFromZero,
        RoundMode::Down => RoundingStrategy::ToNegativeInfinity,
    };
    mul(units.round_dp_with_strategy(0, strategy), increment)
}

/// `$1,800`, `$2,880.50`, `-$900`: thousands separators, cents only when there are any.
pub fn fmt_money(amount: Decimal) -> String {
    Money(amount).to_string()
}

/// An amount as [`fmt_money`] writes it, for `write!` without allocating:
/// `-$1,234.5` → `-$1,234.50`, `$1,000`.
#[derive(Clone, Copy, Debug)]
pub struct Money(pub Decimal);

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let amount = self.0;
        let neg = amount.is_sign_negative() && !amount.is_zero();
        // To the cent, half away from zero: at most two places, so the
        // mantissa at two places is whole dollars × 100 + cents.
        let abs = amount
            .abs()
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let (m, _) = magnitude(abs);
        let m = m * POW10[2 - abs.scale().min(2) as usize];
        let (whole, cents) = (m / 100, m % 100);
        let mut digits = StackStr::<40>::new();
        write!(digits, "{whole}")?;
        let digits = digits.as_str();
        if neg {
            f.write_char('-')?;
        }
        f.write_char('$')?;
        let first = match digits.len() % 3 {
            0 => 3,
            k => k,
        };
        let (head, mut rest) = digits.split_at(first.min(digits.len()));
        f.write_str(head)?;
        while !rest.is_empty() {
            let (group, tail) = rest.split_at(3.min(rest.len()));
            f.write_char(',')?;
            f.write_str(group)?;
            rest = tail;
        }
        if cents != 0 {
            write!(f, ".{cents:02}")?;
        }
        Ok(())
    }
}

/// An amount to its last digit: as [`Money`] when it is whole cents, else
/// with every decimal it has (`$99.998`, `$1,975.3086`), for a figure about
/// to be rounded, where the cents alone could hide which way it goes
/// (`$99.998` shown as `$100`, then `down $100 = $0`).
#[derive(Clone, Copy, Debug)]
pub struct ExactMoney(pub Decimal);

impl std::fmt::Display for ExactMoney {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let amount = self.0.normalize();
        if amount.scale() <= 2 {
            return Money(amount).fmt(f);
        }
        if amount.is_sign_negative() {
            f.write_char('-')?;
        }
        let abs = amount.abs();
        Money(abs.trunc()).fmt(f)?;
        let fraction = abs.fract();
        let width = fraction.scale() as usize;
        write!(f, ".{:0width$}", fraction.mantissa())
    }
}

/// A fraction as a percentage, as [`fmt_percent`] writes it: `0.65` → `65%`.
#[derive(Clone, Copy, Debug)]
pub struct Percent(pub Decimal);

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.checked_mul(Decimal::ONE_HUNDRED) {
            Some(p) => write!(f, "{}%", p.normalize()),
            // Beyond the decimal's range: the fraction itself.
            None => write!(f, "{} × 100%", self.0.normalize()),
        }
    }
}

/// A few bytes of text on the stack (digits before grouping).
struct StackStr<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    fn new() -> Self {
        StackStr {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl<const N: usize> std::fmt::Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `15%`, `12.5%` from a fraction (0.15, 0.125).
pub fn fmt_percent(fraction: Decimal) -> String {
    Percent(fraction).to_string()
}

/// A share of capital as every figure is shown: to 0.01%, half away from
/// zero, without trailing zeros (`round_dp` alone rounds half to even:
/// 12.345% showed 12.34%). `check --explain` and `risk` both show shares so.
pub fn fmt_share(fraction: Decimal) -> String {
    fmt_percent(fraction.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero))
}

/// `amount` as a share of `capital` ([`fmt_share`]; 0% of no capital).
pub fn share_of_capital(amount: Decimal, capital: Decimal) -> String {
    fmt_share(amount.checked_div(capital).unwrap_or_default())
}

/// A fraction given as an `f64` (a rate, a probability) as a percentage with
/// two decimals: `0.00195` is `0.20%`. It rounds the shortest decimal that
/// reads back as the same `f64` (what JSON prints), half away from zero, not
/// `x × 100` in binary, which makes `0.00195` 0.19499…% and shows `0.19%`.
/// A negative zero shows as `0.00%`.
pub fn fmt_percent_f64(x: f64) -> String {
    let exact = format!("{x}")
        .parse::<Decimal>()
        .ok()
        .and_then(|d| d.checked_mul(Decimal::ONE_HUNDRED));
    match exact {
        Some(p) => {
            let mut p = p.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            if p.is_zero() {
                p.set_sign_positive(true);
            }
            format!("{p:.2}%")
        }
        // Beyond `Decimal`'s range (NaN, infinities, |x| ≥ 7.9e26).
        None => format!("{:.2}%", x * 100.0 + 0.0),
    }
}

/// A ratio whose meaning turns at 1 (a profit factor, a loss over its max
/// loss) with two decimals, or as many more as it takes not to show a value
/// on either side of 1 as `1.00`: a profit factor of 0.998 is a losing
/// record and shows `0.998`, 1.0004 shows `1.0004`.
pub fn fmt_ratio_to_one(x: f64) -> String {
    let mut places = 2;
    while places < 8 && x != 1.0 && format!("{x:.places$}").parse::<f64>() == Ok(1.0) {
        places += 1;
    }
    format!("{x:.places$}")
}

/// Serializes amounts as exact decimal strings without trailing zeros
/// (`"2610"`, `"-1500.5"`), for `#[serde(with = "crate::money::serde_plain")]`.
pub mod serde_plain {
    use rust_decimal::Decimal;

    /// Serializes a decimal.
    pub fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.normalize().to_string())
    }

    /// Serializes an optional decimal.
    pub mod option {
        use rust_decimal::Decimal;

        /// Serializes an optional decimal (null when absent).
        pub fn serialize<S: serde::Serializer>(
            d: &Option<Decimal>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_str(&d.normalize().to_string()),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A profit factor of 0.998 showed `1.00`, the break-even a losing
    /// record is not.
    #[test]
    fn a_ratio_to_one_shows_its_side_of_one() {
        assert_eq!(fmt_ratio_to_one(0.998), "0.998");
        assert_eq!(fmt_ratio_to_one(1.0004), "1.0004");
        assert_eq!(fmt_ratio_to_one(0.99999), "0.99999");
        assert_eq!(fmt_ratio_to_one(1.0), "1.00");
        assert_eq!(fmt_ratio_to_one(2.236), "2.24");
        assert_eq!(fmt_ratio_to_one(0.994), "0.99");
        assert_eq!(fmt_ratio_to_one(1.005), "1.005");
        // Closer than eight places: as close as it shows.
        assert_eq!(fmt_ratio_to_one(1.0 + 1e-12), "1.00000000");
    }

    #[test]
    fn f64_percentages_round_the_decimal_json_shows() {
        // 39 / 20,000 is 0.00195 exactly; in binary 0.00195 × 100 is
        // 0.19499…, which `{:.2}` shows as 0.19.
        assert_eq!(fmt_percent_f64(39.0 / 20_000.0), "0.20%");
        assert_eq!(fmt_percent_f64(-0.00195), "-0.20%");
        assert_eq!(fmt_percent_f64(0.8435), "84.35%");
        assert_eq!(fmt_percent_f64(-0.0), "0.00%");
        assert_eq!(fmt_percent_f64(-0.00001), "0.00%");
        assert_eq!(fmt_percent_f64(1e-300), "0.00%");
        assert_eq!(fmt_percent_f64(f64::NAN), "NaN%");
        assert_eq!(fmt_percent_f64(-67_499.25), "-6749925.00%");
    }

    use super::*;
    use rust_decimal::dec;

    #[test]
    fn formats_money() {
        assert_eq!(fmt_money(dec!(1800)), "$1,800");
        assert_eq!(fmt_money(dec!(2880.5)), "$2,880.50");
        assert_eq!(fmt_money(dec!(-900)), "-$900");
        assert_eq!(fmt_money(dec!(100000)), "$100,000");
        assert_eq!(fmt_money(dec!(0)), "$0");
        assert_eq!(fmt_money(dec!(999.999)), "$1,000");
    }

    #[test]
    fn exact_money_keeps_every_decimal_past_the_cents() {
        let f = |d: Decimal| ExactMoney(d).to_string();
        assert_eq!(f(dec!(99.998)), "$99.998");
        assert_eq!(f(dec!(1975.30860)), "$1,975.3086");
        assert_eq!(f(dec!(0.0205)), "$0.0205");
        assert_eq!(f(dec!(-0.005)), "-$0.005");
        assert_eq!(f(dec!(2880.50)), "$2,880.50");
        assert_eq!(f(dec!(1800.000)), "$1,800");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(
            round_to(dec!(2880), dec!(100), RoundMode::Nearest),
            Ok(dec!(2900))
        );
        assert_eq!(
            round_to(dec!(4640), dec!(100), RoundMode::Nearest),
            Ok(dec!(4600))
        );
        assert_eq!(
            round_to(dec!(2850), dec!(100), RoundMode::Nearest),
            Ok(dec!(2900))
        );
        assert_eq!(
            round_to(dec!(2899), dec!(100), RoundMode::Down),
            Ok(dec!(2800))
        );
        assert_eq!(
            round_to(dec!(-2850), dec!(100), RoundMode::Nearest),
            Ok(dec!(-2900))
        );
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(mul(Decimal::MAX, dec!(2)), Err(Overflow));
    }
}
