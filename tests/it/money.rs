//! `money`'s arithmetic shortcuts give exactly what `rust_decimal` gives,
//! representation included (scale, and the sign of a zero): the engine
//! compares amounts by representation to know what changed, and the output
//! prints them as they are.

use proptest::prelude::*;
use rust_decimal::Decimal;

/// Mantissas around the shortcut's edges (zero, 32 and 64 bits) and beyond,
/// either sign (negative zero included), scales mostly shared.
fn amount(scale: u32) -> impl Strategy<Value = Decimal> {
    let mantissa = prop_oneof![
        Just(0u128),
        1u128..1000,
        (0u128..3).prop_map(|k| u128::from(u32::MAX) - 1 + k),
        (0u128..3).prop_map(|k| u128::from(u64::MAX) - 1 + k),
        any::<u64>().prop_map(u128::from),
        any::<u128>().prop_map(|m| m >> 32),
    ];
    let scale = prop_oneof![Just(scale), 0u32..=28];
    (mantissa, any::<bool>(), scale).prop_map(|(m, negative, scale)| raw(m, negative, scale))
}

/// A decimal from its parts as given: unlike `Decimal::from_parts`, a zero
/// may be negative (as a parsed `-0.00` is).
fn raw(m: u128, negative: bool, scale: u32) -> Decimal {
    let flags = (scale << 16) | if negative { 1 << 31 } else { 0 };
    let mut bytes = [0u8; 16];
    for (i, word) in [flags, m as u32, (m >> 32) as u32, (m >> 64) as u32]
        .into_iter()
        .enumerate()
    {
        bytes[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
    Decimal::deserialize(bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn add_is_checked_add_to_the_bit(
        (a, b, opposite) in (0u32..=28).prop_flat_map(|s| (amount(s), amount(s), any::<bool>()))
    ) {
        // Half the cases sum to zero.
        let b = if opposite { -a } else { b };
        let ours = vixshield::money::add(a, b).ok();
        let theirs = a.checked_add(b);
        prop_assert_eq!(ours.map(|d| d.serialize()), theirs.map(|d| d.serialize()), "{} + {}", a, b);
    }

    #[test]
    fn mul_is_checked_mul_to_the_bit(
        (a, b) in (0u32..=20).prop_flat_map(|s| (amount(s), amount(s)))
    ) {
        let ours = vixshield::money::mul(a, b).ok();
        let theirs = a.checked_mul(b);
        prop_assert_eq!(ours.map(|d| d.serialize()), theirs.map(|d| d.serialize()), "{} × {}", a, b);
    }
}

#[test]
fn a_zero_sum_is_a_positive_zero_at_the_operands_scale() {
    let (five, minus_five) = (Decimal::new(5, 2), Decimal::new(-5, 2));
    for (a, b) in [(minus_five, five), (five, minus_five)] {
        let sum = vixshield::money::add(a, b).expect("adds");
        assert!(
            sum.is_zero() && sum.is_sign_positive(),
            "{a} + {b} = {sum:?}"
        );
        assert_eq!(sum.scale(), 2);
    }
    // A zero operand leaves the other as it is, negative zero included.
    let negative_zero = raw(0, true, 3);
    assert!(negative_zero.is_sign_negative());
    let sum = vixshield::money::add(five, negative_zero).expect("adds");
    assert_eq!(sum.serialize(), five.serialize());
    let sum = vixshield::money::add(negative_zero, negative_zero).expect("adds");
    assert_eq!(sum.serialize(), negative_zero.serialize());
}

/// `fmt_money` as it was written before it became a `Display` (string
/// conversions and decimal arithmetic): the reference for the integer one.
fn fmt_money_reference(amount: Decimal) -> String {
    use rust_decimal::RoundingStrategy;
    let neg = amount.is_sign_negative() && !amount.is_zero();
    let abs = amount
        .abs()
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let whole = abs.trunc();
    let cents = ((abs - whole) * Decimal::ONE_HUNDRED).trunc();
    let digits = whole.to_string();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('$');
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if !cents.is_zero() {
        out.push_str(&format!(".{:02}", cents));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn money_is_written_as_before(
        m in prop_oneof![any::<i64>().prop_map(i128::from), -1_000_000i128..1_000_000, Just(0i128)],
        scale in 0u32..=10,
    ) {
        let d = Decimal::from_i128_with_scale(m, scale);
        prop_assert_eq!(vixshield::money::fmt_money(d), fmt_money_reference(d));
    }
}

#[test]
fn money_examples() {
    use vixshield::money::fmt_money;
    let cases = [
        ("0", "$0"),
        ("-0.004", "-$0"),
        ("1.05", "$1.05"),
        ("1.005", "$1.01"),
        ("-1234.5", "-$1,234.50"),
        ("999", "$999"),
        ("1000", "$1,000"),
        ("123456789.999", "$123,456,790"),
        (
            "79228162514264337593543950335",
            "$79,228,162,514,264,337,593,543,950,335",
        ),
    ];
    for (input, want) in cases {
        let d: Decimal = input.parse().expect("a decimal");
        assert_eq!(fmt_money(d), want, "{input}");
        assert_eq!(fmt_money_reference(d), want, "{input} (reference)");
    }
}
