//! XIRR against independently known values, its errors, and properties.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use chrono::{NaiveDate, TimeDelta};
use proptest::prelude::*;
use vixshield::irr::{IrrError, npv, xirr};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The sum of the discounted flows' absolute values: what a rounding error
/// of the NPV is relative to.
fn scale(rate: f64, flows: &[(NaiveDate, f64)]) -> f64 {
    let d0 = flows[0].0;
    flows
        .iter()
        .map(|&(date, cf)| cf.abs() * (1.0 + rate).powf(-((date - d0).num_days() as f64) / 365.0))
        .sum()
}

#[test]
fn excel_documented_example() {
    // Microsoft's XIRR help page: =XIRR(values, dates) returns 0.373362535.
    let flows = [
        (d(2008, 1, 1), -10_000.0),
        (d(2008, 3, 1), 2_750.0),
        (d(2008, 10, 30), 4_250.0),
        (d(2009, 2, 15), 3_250.0),
        (d(2009, 4, 1), 2_750.0),
    ];
    let r = xirr(&flows).unwrap();
    assert!((r - 0.373362535).abs() < 1e-6, "{r}");
    assert!(npv(r, &flows).abs() < 1e-8, "{}", npv(r, &flows));
}

#[test]
fn exact_constructed_cases() {
    // 2023 is not a leap year: 365 days, so 1000 × 1.10 = 1100.
    let r = xirr(&[(d(2023, 1, 1), -1000.0), (d(2024, 1, 1), 1100.0)]).unwrap();
    assert!((r - 0.10).abs() < 1e-12, "{r}");
    // Two periods of 365 days: 1000 × 1.1² = 1210.
    let r = xirr(&[(d(2021, 1, 1), -1000.0), (d(2023, 1, 1), 1210.0)]).unwrap();
    assert!((r - 0.10).abs() < 1e-12, "{r}");
    // A loss: 1000 → 900 in 365 days is −10%.
    let r = xirr(&[(d(2023, 1, 1), -1000.0), (d(2024, 1, 1), 900.0)]).unwrap();
    assert!((r + 0.10).abs() < 1e-12, "{r}");
    // 2024 is a leap year: 366 days are 366/365 years, so r = 1.1^(365/366) − 1.
    let r = xirr(&[(d(2024, 1, 1), -1000.0), (d(2025, 1, 1), 1100.0)]).unwrap();
    assert!(
        (r - (1.1f64.powf(365.0 / 366.0) - 1.0)).abs() < 1e-12,
        "{r}"
    );
    // The sign convention does not matter: borrowing 1000 and repaying 1100.
    let r = xirr(&[(d(2023, 1, 1), 1000.0), (d(2024, 1, 1), -1100.0)]).unwrap();
    assert!((r - 0.10).abs() < 1e-12, "{r}");
}

#[test]
fn discounting_starts_at_the_first_flow_given() {
    // Excel's convention: t is measured from the first flow of the list,
    // here a year after the second: 1100 − 1000 × (1 + r) = 0.
    let r = xirr(&[(d(2024, 1, 1), 1100.0), (d(2023, 1, 1), -1000.0)]).unwrap();
    assert!((r - 0.10).abs() < 1e-12, "{r}");
}

#[test]
fn extreme_but_representable_rates() {
    // Almost everything lost: 1000 → 1 in a year is −99.9%.
    let r = xirr(&[(d(2023, 1, 1), -1000.0), (d(2024, 1, 1), 1.0)]).unwrap();
    assert!((r + 0.999).abs() < 1e-12, "{r}");
    // 1000 → 1,000,000 in a year: +99,900%.
    let r = xirr(&[(d(2023, 1, 1), -1000.0), (d(2024, 1, 1), 1e6)]).unwrap();
    assert!((r - 999.0).abs() < 1e-9, "{r}");
    // Tenfold in 73 days (a fifth of a year): 10^5 − 1.
    let r = xirr(&[(d(2023, 1, 1), -1.0), (d(2023, 3, 15), 10.0)]).unwrap();
    assert!((r / (1e5 - 1.0) - 1.0).abs() < 1e-12, "{r}");
}

#[test]
fn many_flows_the_same_day_and_zero_flows() {
    let flows = [
        (d(2023, 1, 1), -600.0),
        (d(2023, 1, 1), -400.0),
        (d(2023, 6, 1), 0.0),
        (d(2024, 1, 1), 1100.0),
    ];
    let r = xirr(&flows).unwrap();
    assert!((r - 0.10).abs() < 1e-12, "{r}");
}

#[test]
fn errors() {
    assert_eq!(xirr(&[]), Err(IrrError::TooFewFlows { found: 0 }));
    assert_eq!(
        xirr(&[(d(2024, 1, 1), -1000.0)]).unwrap_err().to_string(),
        "xirr needs at least two cash flows, found 1"
    );
    assert_eq!(
        xirr(&[(d(2024, 1, 1), 1000.0), (d(2024, 6, 1), 500.0)])
            .unwrap_err()
            .to_string(),
        "all cash flows are positive: a rate of return needs at least one negative and one positive flow"
    );
    assert_eq!(
        xirr(&[(d(2024, 1, 1), -1000.0), (d(2024, 6, 1), -500.0)]),
        Err(IrrError::NoSignChange { sign: "negative" })
    );
    assert_eq!(
        xirr(&[(d(2024, 1, 1), 0.0), (d(2024, 6, 1), 0.0)]),
        Err(IrrError::NoSignChange { sign: "zero" })
    );
    assert_eq!(
        xirr(&[(d(2024, 1, 1), 0.0), (d(2024, 6, 1), 10.0)]),
        Err(IrrError::NoSignChange {
            sign: "zero or positive"
        })
    );
    assert_eq!(
        xirr(&[(d(2024, 1, 1), -1000.0), (d(2024, 6, 1), f64::NAN)])
            .unwrap_err()
            .to_string(),
        "cash flow 2 (NaN on 2024-06-01) is not a finite number"
    );
    assert!(matches!(
        xirr(&[(d(2024, 1, 1), f64::INFINITY), (d(2024, 6, 1), -1.0)]),
        Err(IrrError::NotFinite { number: 1, .. })
    ));
    // -100 + 300x - 250x² < 0 for every x = 1/(1+r): no root at all.
    let no_root = [
        (d(2021, 1, 1), -100.0),
        (d(2022, 1, 1), 300.0),
        (d(2023, 1, 1), -250.0),
    ];
    assert_eq!(
        xirr(&no_root).unwrap_err().to_string(),
        "no rate makes the net present value zero (searched annual rates from -0.99999999 to 1e9)"
    );
    // A root beyond any representable search: 1 → 10^6 in a day.
    assert_eq!(
        xirr(&[(d(2024, 1, 1), -1.0), (d(2024, 1, 2), 1e6)]),
        Err(IrrError::NoConvergence)
    );
}

#[test]
fn npv_by_hand() {
    let flows = [(d(2023, 1, 1), -1000.0), (d(2024, 1, 1), 1100.0)];
    assert!(npv(0.10, &flows).abs() < 1e-9);
    // At 0% the NPV is the plain sum.
    assert_eq!(npv(0.0, &flows), 100.0);
    // At 21%: -1000 + 1100 / 1.21 = -90.9090...
    assert!((npv(0.21, &flows) - (-1000.0 + 1100.0 / 1.21)).abs() < 1e-9);
    assert_eq!(npv(0.1, &[]), 0.0);
    assert!(npv(-1.0, &flows).is_nan());
    assert!(npv(-2.0, &flows).is_nan());
    assert!(npv(f64::NAN, &flows).is_nan());
}

/// Dated flows: the first at 2000-01-01, the others `gaps` days apart.
fn dated(amounts: &[f64], gaps: &[i64]) -> Vec<(NaiveDate, f64)> {
    let mut day = d(2000, 1, 1);
    let mut out = Vec::new();
    for (i, &a) in amounts.iter().enumerate() {
        if i > 0 {
            day += TimeDelta::days(gaps.get(i - 1).copied().unwrap_or(1));
        }
        out.push((day, a));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// An investment then returns between a third and three times it, each
    /// at least 30 days apart: a unique rate exists in the searched range,
    /// and xirr finds it.
    #[test]
    fn conventional_flows_have_their_rate_found(
        invest in 100.0f64..1e7,
        shares in proptest::collection::vec(0.01f64..1.0, 1..12),
        total in 0.34f64..3.0,
        gaps in proptest::collection::vec(30i64..400, 12),
    ) {
        let sum: f64 = shares.iter().sum();
        let mut amounts = vec![-invest];
        amounts.extend(shares.iter().map(|s| s / sum * total * invest));
        let flows = dated(&amounts, &gaps);
        let r = xirr(&flows).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let value = npv(r, &flows);
        prop_assert!(value.abs() <= 1e-9 * scale(r, &flows), "r {} npv {}", r, value);
        // More back than put in is a positive rate, less a negative one.
        prop_assert_eq!(r > 0.0, total > 1.0, "r {}", r);
    }

    /// Any flows with a sign change: a returned rate is a root; the only
    /// possible error is that none was found; nothing panics.
    #[test]
    fn mixed_flows_return_a_root_or_say_none(
        amounts in proptest::collection::vec(-1e6f64..1e6, 2..15),
        gaps in proptest::collection::vec(0i64..2000, 15),
    ) {
        let flows = dated(&amounts, &gaps);
        let sign_change = amounts.iter().any(|a| *a > 0.0) && amounts.iter().any(|a| *a < 0.0);
        match xirr(&flows) {
            Ok(r) => {
                prop_assert!(sign_change);
                prop_assert!(r > -1.0 && r.is_finite());
                let value = npv(r, &flows);
                prop_assert!(value.abs() <= 1e-9 * scale(r, &flows), "r {} npv {}", r, value);
            }
            Err(IrrError::NoConvergence) => prop_assert!(sign_change),
            Err(IrrError::NoSignChange { .. }) => prop_assert!(!sign_change),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    #[test]
    fn any_input_never_panics(
        raw in proptest::collection::vec((any::<f64>(), -100_000i64..100_000), 0..10),
    ) {
        let flows: Vec<_> = raw
            .iter()
            .map(|&(a, off)| (d(2000, 1, 1) + TimeDelta::days(off), a))
            .collect();
        let _ = xirr(&flows);
        let _ = npv(0.1, &flows);
    }
}
