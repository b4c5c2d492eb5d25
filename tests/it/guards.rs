//! The guards' arithmetic: hand-computed examples (the arithmetic is in the
//! comments), monotonicity and cap properties, and no panic on any input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use proptest::prelude::*;
use rust_decimal::{Decimal, dec};
use vixshield::guards::{
    GuardError, GuardKind, GuardOutcome, OpenCondor, QuickInputs, Stress, WaccInputs,
    exposure_guard, exposure_room, margin_requirement, max_hedge_under_quick_ratio,
    max_hedge_under_wacc, quick_ratio, quick_ratio_guard, stressed_loss, stressed_quick_ratio,
    wacc, wacc_guard, wacc_impact_bps,
};

/// The `account` of strategies/spx-mastery.vxs.
fn spx_mastery() -> WaccInputs {
    WaccInputs {
        risk_free_rate: dec!(0.045),
        beta: dec!(1),
        equity_risk_premium: dec!(0.055),
        margin_rate: dec!(0.065),
        tax_rate: dec!(0.21),
    }
}

fn close(a: Decimal, b: Decimal, tolerance: Decimal) -> bool {
    (a - b).abs() <= tolerance
}

// ---------------------------------------------------------------------------
// WACC, by hand.

#[test]
fn wacc_without_debt_is_the_capm_cost_of_equity() {
    let i = spx_mastery();
    // β_L = 1 × (1 + 0.79 × 0) = 1; Ke = 0.045 + 1 × 0.055 = 0.10; D = 0.
    assert_eq!(i.levered_beta(dec!(100000), dec!(0)), Ok(dec!(1)));
    assert_eq!(wacc(&i, dec!(100000), dec!(0)), Ok(dec!(0.10)));
    // Kd = 0.065 × (1 − 0.21) = 0.065 × 0.79 = 0.05135.
    assert_eq!(i.cost_of_debt(), Ok(dec!(0.05135)));
}

#[test]
fn wacc_with_debt_by_hand() {
    let i = spx_mastery();
    // E = 100,000, D = 10,000: D/E = 0.1.
    // β_L = 1 × (1 + 0.79 × 0.1) = 1.079
    // Ke  = 0.045 + 1.079 × 0.055 = 0.045 + 0.059345 = 0.104345
    // WACC = 100/110 × 0.104345 + 10/110 × 0.05135
    //      = (10 × 0.104345 + 0.05135) / 11 = 1.0948 / 11 = 0.0995272727...
    assert_eq!(i.levered_beta(dec!(100000), dec!(10000)), Ok(dec!(1.079)));
    assert_eq!(
        i.cost_of_equity(dec!(100000), dec!(10000)),
        Ok(dec!(0.104345))
    );
    let w = wacc(&i, dec!(100000), dec!(10000)).unwrap();
    assert!(close(w, dec!(1.0948) / dec!(11), dec!(1e-26)), "{w}");
    // Impact of H = 10,000 from D = 0: (1.0948/11 − 0.10) × 10,000
    //   = (1.0948 − 1.1) / 11 × 10,000 = −52/11 bps = −4.7272... bps.
    // (Closed form: H × (b − W) / (V + H) with b = 0.79 × (0.055 + 0.065)
    //  = 0.0948: 10,000 × −0.0052 / 110,000 × 10,000 = −52/11.)
    let impact = wacc_impact_bps(&i, dec!(100000), dec!(0), dec!(10000)).unwrap();
    assert!(close(impact, dec!(-52) / dec!(11), dec!(1e-22)), "{impact}");
    assert_eq!(
        wacc_impact_bps(&i, dec!(100000), dec!(0), dec!(0)),
        Ok(dec!(0))
    );
}

#[test]
fn more_debt_can_raise_the_wacc() {
    // rf 5%, β 1, ERP 5%, margin 10%, no tax: a = 0.10 < b = 1 × (0.05 + 0.10) = 0.15.
    let i = WaccInputs {
        risk_free_rate: dec!(0.05),
        beta: dec!(1),
        equity_risk_premium: dec!(0.05),
        margin_rate: dec!(0.10),
        tax_rate: dec!(0),
    };
    // H = 25,000 on E = 100,000: β_L = 1.25, Ke = 0.05 + 1.25 × 0.05 = 0.1125,
    // WACC = 0.8 × 0.1125 + 0.2 × 0.10 = 0.09 + 0.02 = 0.11: +100bps exactly.
    assert_eq!(
        wacc_impact_bps(&i, dec!(100000), dec!(0), dec!(25000)),
        Ok(dec!(100))
    );
    // Limit 100bps: H ≤ L V / (|b − W| − L) = 0.01 × 100,000 / (0.05 − 0.01) = 25,000.
    assert_eq!(
        max_hedge_under_wacc(&i, dec!(100000), dec!(0), dec!(100), dec!(1000000)),
        Ok(dec!(25000))
    );
    assert!(wacc_impact_bps(&i, dec!(100000), dec!(0), dec!(25000.01)).unwrap() > dec!(100));
}

#[test]
fn max_hedge_under_wacc_by_hand() {
    let i = spx_mastery();
    // D = 0: W = 0.10, b = 0.0948, |b − W| = 0.0052, L = 18bps = 0.0018.
    // H ≤ 0.0018 × 100,000 / (0.0052 − 0.0018) = 180 / 0.0034 = 52,941.176...
    let h = max_hedge_under_wacc(&i, dec!(100000), dec!(0), dec!(18), dec!(1000000)).unwrap();
    assert_eq!(h, dec!(52941.17));
    let at = |h| wacc_impact_bps(&i, dec!(100000), dec!(0), h).unwrap();
    assert!(at(dec!(52941.17)).abs() <= dec!(18));
    assert!(at(dec!(52941.18)).abs() > dec!(18));

    // D = 20,000: W = (100,000 × 0.10 + 20,000 × 0.0948) / 120,000 = 11,896/120,000
    // = 0.0991333..., |b − W| = 13/3000, minus L = 7.6/3000;
    // H ≤ 0.0018 × 120,000 × 3000 / 7.6 = 648,000 / 7.6 = 85,263.157...
    assert_eq!(
        max_hedge_under_wacc(&i, dec!(100000), dec!(20000), dec!(18), dec!(1000000)),
        Ok(dec!(85263.15))
    );

    // Less than the cap: all of it.
    assert_eq!(
        max_hedge_under_wacc(&i, dec!(100000), dec!(0), dec!(18), dec!(690)),
        Ok(dec!(690))
    );
    // |b − W| = 52bps ≤ a 60bps limit: no hedge can break it.
    assert_eq!(
        max_hedge_under_wacc(&i, dec!(100000), dec!(0), dec!(60), dec!(1e15)),
        Ok(dec!(1e15))
    );
    // A zero limit allows no hedge at all (b ≠ W).
    assert_eq!(
        max_hedge_under_wacc(&i, dec!(100000), dec!(0), dec!(0), dec!(5000)),
        Ok(dec!(0))
    );
}

#[test]
fn wacc_guard_outcomes() {
    let i = spx_mastery();
    // The front layer at step 4: 15% of $4,600 = $690.
    // Impact: 690 × −0.0052 / 100,690 × 10,000 = −35.88/100.69 = −0.35634...bps.
    let pass = wacc_guard(&i, dec!(100000), dec!(0), dec!(18), dec!(690)).unwrap();
    let GuardOutcome::Pass {
        guard,
        amount,
        value: Some(value),
        limit,
    } = pass
    else {
        panic!("{pass:?}")
    };
    assert_eq!(
        (guard, amount, limit),
        (GuardKind::WaccImpact, dec!(690), dec!(18))
    );
    assert!(
        close(value, dec!(-35.88) / dec!(100.69), dec!(1e-22)),
        "{value}"
    );

    let capped = wacc_guard(&i, dec!(100000), dec!(0), dec!(18), dec!(60000)).unwrap();
    assert_eq!(capped.allowed(), Some(dec!(52941.17)));
    let GuardOutcome::Capped {
        from, to, reason, ..
    } = &capped
    else {
        panic!("{capped:?}")
    };
    assert_eq!((*from, *to), (dec!(60000), dec!(52941.17)));
    // 60,000 × 0.0052 / 160,000 = 0.00195 = 19.5bps.
    assert_eq!(
        reason,
        "a $60,000 hedge moves the book's wacc by -19.5bps, more than the 18bps limit; $52,941.17 keeps it within"
    );
}

/// A hedge whose impact is exactly the limit passes (the limits are
/// inclusive to the cent). With `V = E + D` the impact is
/// `10^4 × H × E × (b − a) / (V × (V + H))` bps (docs/guards.md), here a
/// terminating decimal, so the limit can be written as exactly that.
#[test]
fn a_hedge_exactly_at_the_wacc_limit_passes() {
    // rf 1.03%, β 2.5, ERP 4.4%, m 7.39%, t 59%: a = 1.03% + 2.5 × 4.4% = 12.03%,
    // b = 0.41 × (2.5 × 4.4% + 7.39%) = 0.41 × 18.39% = 7.5399%, b − a = −4.4901%.
    let i = WaccInputs {
        risk_free_rate: dec!(0.0103),
        beta: dec!(2.5),
        equity_risk_premium: dec!(0.044),
        margin_rate: dec!(0.0739),
        tax_rate: dec!(0.59),
    };
    // (E, D, H, the impact in bps, the largest hedge under one unit of the
    // limit's last place less), by hand:
    let cases = [
        // D = 0: 10^4 × 5,000 × −0.044901 / 500,000 = −4.4901bps. Under
        // 4.49bps: H ≤ 0.000449 × 495,000 / (0.044901 − 0.000449)
        // = 222.255 / 0.044452 = 4,999.887...
        (
            dec!(495000),
            dec!(0),
            dec!(5000),
            dec!(4.4901),
            dec!(4999.88),
        ),
        // D = 0: 10^4 × 1,000 × 0.044901 / 80,000 = 5.612625bps. Under
        // 5.612624bps: H ≤ 0.0005612624 × 79,000 / (0.044901 − 0.0005612624)
        // = 44.3397296 / 0.0443397376 = 999.99981...
        (
            dec!(79000),
            dec!(0),
            dec!(1000),
            dec!(5.612625),
            dec!(999.99),
        ),
        // D = 100,000, V = 500,000, V + H = 640,000:
        // 10^4 × 140,000 × 400,000 × 0.044901 / (500,000 × 640,000) = 78.57675bps.
        // Under 78.57674bps: |b − W| = 0.044901 × 400,000 / 500,000 = 0.0359208,
        // H ≤ 0.007857674 × 500,000 / (0.0359208 − 0.007857674) = 3,928.837 /
        // 0.028063126 = 139,999.977...
        (
            dec!(400000),
            dec!(100000),
            dec!(140000),
            dec!(78.57675),
            dec!(139999.97),
        ),
    ];
    for (e, d, h, bps, below) in cases {
        let outcome = wacc_guard(&i, e, d, bps, h).unwrap();
        assert!(
            matches!(outcome, GuardOutcome::Pass { amount, .. } if amount == h),
            "E {e}, D {d}: a ${h} hedge moves the wacc by exactly {bps}bps: {outcome:?}"
        );
        assert_eq!(max_hedge_under_wacc(&i, e, d, bps, h), Ok(h));
        let less = bps - Decimal::new(1, bps.scale());
        assert_eq!(max_hedge_under_wacc(&i, e, d, less, h), Ok(below), "{less}");
    }
}

#[test]
fn wacc_errors() {
    let i = spx_mastery();
    let e = wacc(&i, dec!(0), dec!(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "equity must be above zero to weigh the cost of capital, found $0"
    );
    assert_eq!(
        wacc(&i, dec!(-5), dec!(0)),
        Err(GuardError::NonPositiveEquity { equity: dec!(-5) })
    );
    assert_eq!(
        wacc(&i, dec!(100), dec!(-5)).unwrap_err().to_string(),
        "the margin debt cannot be negative, found -$5"
    );
    assert_eq!(
        wacc_impact_bps(&i, dec!(100), dec!(0), dec!(-1))
            .unwrap_err()
            .to_string(),
        "the hedge notional cannot be negative, found -$1"
    );
    let taxed = WaccInputs {
        tax_rate: dec!(1.5),
        ..i
    };
    assert_eq!(
        wacc(&taxed, dec!(100), dec!(0)).unwrap_err().to_string(),
        "the tax rate must be between 0 and 1, found 1.5"
    );
    assert_eq!(
        wacc(&i, Decimal::MAX, Decimal::MAX)
            .unwrap_err()
            .to_string(),
        "amounts too large to compute the wacc"
    );
    assert!(matches!(
        max_hedge_under_wacc(
            &i,
            dec!(0.0000000000000000000000000001),
            dec!(1e27),
            dec!(18),
            dec!(1)
        ),
        Err(GuardError::Overflow { .. })
    ));
}

// ---------------------------------------------------------------------------
// Quick ratio, by hand.

/// SPX 5,000, VIX 20, 3 sigma over 45 days:
/// m² = (3 × 20/100)² × 45/365 = 0.36 × 0.12328... = 0.04438...; m = 21.07%.
fn three_sigma() -> Stress {
    Stress {
        spx: dec!(5000),
        vix: dec!(20),
        sigmas: dec!(3),
        dte_days: 45,
    }
}

/// Two condors, each with its full max loss (width × 100 × contracts − credit).
fn book() -> Vec<OpenCondor> {
    vec![
        // 50 × 100 × 2 − 1,000 = 9,000.
        OpenCondor {
            short_put: dec!(4700),
            short_call: dec!(5250),
            wing_width: dec!(50),
            contracts: 2,
            credit: dec!(1000),
            max_loss: dec!(9000),
        },
        // 50 × 100 × 4 − 1,800 = 18,200.
        OpenCondor {
            short_put: dec!(4650),
            short_call: dec!(5300),
            wing_width: dec!(50),
            contracts: 4,
            credit: dec!(1800),
            max_loss: dec!(18200),
        },
    ]
}

#[test]
fn margin_requirement_by_hand() {
    assert_eq!(book()[0].margin_requirement(), Ok(dec!(9000)));
    assert_eq!(margin_requirement(&book()), Ok(dec!(27200)));
    assert_eq!(margin_requirement(&[]), Ok(dec!(0)));
    // A credit above the wing's value cannot make the margin negative.
    let odd = OpenCondor {
        contracts: 0,
        ..book()[0]
    };
    assert_eq!(odd.margin_requirement(), Ok(dec!(0)));
}

#[test]
fn stressed_loss_by_hand() {
    let stress = three_sigma();
    assert!((stress.relative_move() - 0.6 * (45.0f64 / 365.0).sqrt()).abs() < 1e-12);
    // Down: 5,000 × (1 − 0.2107) = 3,946.6 ≤ 4,700 and 4,650: both reached.
    assert_eq!(stressed_loss(&book(), &stress), Ok(dec!(27200)));

    // VIX 12, 1 sigma: m² = 0.0144 × 45/365 = 0.0017753...; m = 4.21%.
    let calm = Stress {
        vix: dec!(12),
        sigmas: dec!(1),
        ..stress
    };
    // 4,700/5,250: (300/5000)² = 0.0036 and (250/5000)² = 0.0025 > m²: not reached.
    // 4,800/5,300: (200/5000)² = 0.0016 ≤ m²: the put is reached.
    let near = OpenCondor {
        short_put: dec!(4800),
        max_loss: dec!(1234),
        ..book()[0]
    };
    assert_eq!(stressed_loss(&[book()[0]], &calm), Ok(dec!(0)));
    assert_eq!(stressed_loss(&[book()[0], near], &calm), Ok(dec!(1234)));

    // Exactly at the edge: 1 sigma of VIX 10 over 365 days is m = 0.1 exactly,
    // so the move spans 4,500..5,500. A strike on the edge is reached.
    let year = Stress {
        spx: dec!(5000),
        vix: dec!(10),
        sigmas: dec!(1),
        dte_days: 365,
    };
    let at = |put, call| OpenCondor {
        short_put: put,
        short_call: call,
        wing_width: dec!(50),
        contracts: 1,
        credit: dec!(500),
        max_loss: dec!(100),
    };
    assert_eq!(
        stressed_loss(&[at(dec!(4500), dec!(6000))], &year),
        Ok(dec!(100))
    );
    assert_eq!(
        stressed_loss(&[at(dec!(4499.99), dec!(6000))], &year),
        Ok(dec!(0))
    );
    assert_eq!(
        stressed_loss(&[at(dec!(4000), dec!(5500))], &year),
        Ok(dec!(100))
    );
    assert_eq!(
        stressed_loss(&[at(dec!(4000), dec!(5500.01))], &year),
        Ok(dec!(0))
    );
    // Both ways at once: one condor hit on the way down, one on the way up.
    assert_eq!(
        stressed_loss(
            &[at(dec!(4500), dec!(9000)), at(dec!(1000), dec!(5500))],
            &year
        ),
        Ok(dec!(200))
    );
    // A strike already through the price is reached even with no move.
    let none = Stress {
        sigmas: dec!(0),
        ..year
    };
    assert_eq!(
        stressed_loss(&[at(dec!(5100), dec!(6000))], &none),
        Ok(dec!(100))
    );
    assert_eq!(
        stressed_loss(&[at(dec!(4900), dec!(5100))], &none),
        Ok(dec!(0))
    );
}

#[test]
fn quick_ratio_by_hand() {
    let q = QuickInputs::new(dec!(100000));
    let stress = three_sigma();
    // Now: 100,000 / 27,200 = 3.6764...
    let now = quick_ratio(&q, &book()).unwrap().unwrap();
    assert!(close(now, dec!(100000) / dec!(27200), dec!(1e-26)));
    // Stressed, no hedge: (100,000 − 27,200) / 27,200 = 72,800 / 27,200 = 2.6764...
    let stressed = stressed_quick_ratio(&q, &book(), &stress, dec!(0))
        .unwrap()
        .unwrap();
    assert!(close(stressed, dec!(72800) / dec!(27200), dec!(1e-26)));
    // A $10,000 hedge, premium spent (k = 0): 62,800 / 27,200 = 2.3088...
    let hedged = stressed_quick_ratio(&q, &book(), &stress, dec!(10000))
        .unwrap()
        .unwrap();
    assert!(close(hedged, dec!(62800) / dec!(27200), dec!(1e-26)));
    // Floor 1.4: H ≤ 72,800 − 1.4 × 27,200 = 72,800 − 38,080 = 34,720, exactly.
    assert_eq!(
        max_hedge_under_quick_ratio(&q, &book(), &stress, dec!(1.4), dec!(50000)),
        Ok(dec!(34720))
    );
    assert_eq!(
        stressed_quick_ratio(&q, &book(), &stress, dec!(34720)),
        Ok(Some(dec!(1.4)))
    );
    assert!(
        stressed_quick_ratio(&q, &book(), &stress, dec!(34720.01))
            .unwrap()
            .unwrap()
            < dec!(1.4)
    );
    // k = 0.5: half the premium counts under stress: H ≤ 34,720 / 0.5 = 69,440.
    let half = QuickInputs {
        hedge_stress_multiple: dec!(0.5),
        ..q
    };
    assert_eq!(
        max_hedge_under_quick_ratio(&half, &book(), &stress, dec!(1.4), dec!(100000)),
        Ok(dec!(69440))
    );
    // k = 1: a hedge at its cost leaves the ratio unchanged.
    let at_cost = QuickInputs {
        hedge_stress_multiple: dec!(1),
        ..q
    };
    assert_eq!(
        max_hedge_under_quick_ratio(&at_cost, &book(), &stress, dec!(1.4), dec!(100000)),
        Ok(dec!(100000))
    );
    // Hedges already held count at their mark: +10,000 → room 44,720.
    let held = QuickInputs {
        hedges: dec!(10000),
        ..q
    };
    assert_eq!(
        max_hedge_under_quick_ratio(&held, &book(), &stress, dec!(1.4), dec!(50000)),
        Ok(dec!(44720))
    );
    // Nothing open: no ratio, nothing to cover.
    assert_eq!(quick_ratio(&q, &[]), Ok(None));
    assert_eq!(
        max_hedge_under_quick_ratio(&q, &[], &stress, dec!(1.4), dec!(5000)),
        Ok(dec!(5000))
    );
}

#[test]
fn quick_ratio_guard_outcomes() {
    let stress = three_sigma();
    let q = QuickInputs::new(dec!(100000));
    let pass = quick_ratio_guard(&q, &book(), &stress, dec!(1.4), dec!(10000)).unwrap();
    assert_eq!(pass.guard(), GuardKind::QuickRatio);
    assert_eq!(pass.allowed(), Some(dec!(10000)));

    let capped = quick_ratio_guard(&q, &book(), &stress, dec!(1.4), dec!(50000)).unwrap();
    assert_eq!(
        capped,
        GuardOutcome::Capped {
            guard: GuardKind::QuickRatio,
            from: dec!(50000),
            to: dec!(34720),
            value: Some(dec!(1.4)),
            limit: dec!(1.4),
            // (72,800 − 50,000) / 27,200 = 0.838...
            reason: "a $50,000 hedge brings the quick ratio under a 3 sigma move to 0.84, below the 1.4 floor; $34,720 keeps it at 1.4".into(),
        }
    );

    // Cash 30,000: (30,000 − 27,200) / 27,200 = 0.1029 < 1.4 before any hedge.
    let poor = QuickInputs::new(dec!(30000));
    assert_eq!(
        max_hedge_under_quick_ratio(&poor, &book(), &stress, dec!(1.4), dec!(5000)),
        Ok(dec!(0))
    );
    let blocked = quick_ratio_guard(&poor, &book(), &stress, dec!(1.4), dec!(5000)).unwrap();
    assert_eq!(blocked.allowed(), None);
    let GuardOutcome::Blocked { reason, .. } = &blocked else {
        panic!("{blocked:?}")
    };
    assert_eq!(
        reason,
        "the quick ratio under a 3 sigma move is 0.1 before any hedge, below the 1.4 floor (margin requirement $27,200)"
    );
}

#[test]
fn quick_ratio_errors() {
    let q = QuickInputs::new(dec!(1000));
    let bad_spx = Stress {
        spx: dec!(0),
        ..three_sigma()
    };
    assert_eq!(
        stressed_loss(&book(), &bad_spx).unwrap_err().to_string(),
        "the spx price must be above zero, found 0"
    );
    let bad_k = QuickInputs {
        hedge_stress_multiple: dec!(-1),
        ..q
    };
    assert_eq!(
        quick_ratio(&bad_k, &book()).unwrap_err().to_string(),
        "the hedge stress multiple cannot be negative, found -1"
    );
    let bad_condor = OpenCondor {
        max_loss: dec!(-3),
        ..book()[0]
    };
    assert_eq!(
        margin_requirement(&[bad_condor]).unwrap_err().to_string(),
        "the max loss cannot be negative, found -$3"
    );
}

// ---------------------------------------------------------------------------
// Exposure, by hand.

#[test]
fn exposure_by_hand() {
    // 25% of $100,000 = $25,000; a full losing cycle of spx-mastery risks $10,300.
    assert_eq!(exposure_room(dec!(25000), dec!(10300)), dec!(14700));
    assert_eq!(exposure_room(dec!(25000), dec!(30000)), dec!(0));
    assert_eq!(exposure_room(Decimal::MAX, Decimal::MIN), Decimal::MAX);
    assert_eq!(
        exposure_guard(dec!(25000), dec!(10300), dec!(4600)),
        GuardOutcome::Pass {
            guard: GuardKind::Exposure,
            amount: dec!(4600),
            value: Some(dec!(14900)),
            limit: dec!(25000),
        }
    );
    // Exactly at the limit passes.
    assert_eq!(
        exposure_guard(dec!(25000), dec!(10300), dec!(14700)).allowed(),
        Some(dec!(14700))
    );
    let blocked = exposure_guard(dec!(25000), dec!(20000), dec!(6000));
    assert_eq!(
        blocked,
        GuardOutcome::Blocked {
            guard: GuardKind::Exposure,
            value: Some(dec!(26000)),
            limit: dec!(25000),
            reason:
                "open risk $20,000 plus this condor's $6,000 makes $26,000, above the $25,000 limit"
                    .into(),
        }
    );
}

#[test]
fn outcomes_serialize() {
    let capped = wacc_guard(&spx_mastery(), dec!(100000), dec!(0), dec!(18), dec!(60000)).unwrap();
    let json = serde_json::to_value(&capped).unwrap();
    assert_eq!(json["outcome"], "capped");
    assert_eq!(json["guard"], "wacc_impact");
    assert_eq!(json["from"], "60000");
    assert_eq!(json["to"], "52941.17");
    assert_eq!(json["limit"], "18");
    let blocked = exposure_guard(dec!(25000), dec!(20000), dec!(6000));
    assert_eq!(
        serde_json::to_string(&blocked).unwrap(),
        r#"{"outcome":"blocked","guard":"exposure","value":"26000","limit":"25000","reason":"open risk $20,000 plus this condor's $6,000 makes $26,000, above the $25,000 limit"}"#
    );
}

// ---------------------------------------------------------------------------
// Properties.

/// An independent answer: bisection over whole cents of `holds` on [0, wanted].
fn bisect_reference(wanted: Decimal, holds: impl Fn(Decimal) -> bool) -> Decimal {
    if holds(wanted) {
        return wanted;
    }
    let cents = |c: i128| Decimal::from_i128_with_scale(c, 2);
    let mut low: i128 = 0;
    let mut high: i128 = (wanted * dec!(100)).floor().try_into().unwrap();
    if holds(cents(high)) {
        return cents(high);
    }
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if holds(cents(mid)) {
            low = mid;
        } else {
            high = mid;
        }
    }
    cents(low)
}

/// `|impact(H)| ≤ limit`, exactly, on integers: with `V = E + D` the impact
/// is `10^4 × H × E × (b − a) / (V × (V + H))` bps (docs/guards.md), so the
/// test is `10^4 × H × E × |b − a| ≤ limit × V × (V + H)`. For the ranges
/// the properties draw (rates of 4 places, amounts to 10^9 in cents), both
/// sides fit an `i128`.
fn exactly_within(i: &WaccInputs, e: Decimal, d: Decimal, h: Decimal, limit: Decimal) -> bool {
    let a = i.risk_free_rate + i.beta * i.equity_risk_premium;
    let b = (Decimal::ONE - i.tax_rate) * (i.beta * i.equity_risk_premium + i.margin_rate);
    let side = |xs: &[Decimal]| {
        xs.iter().fold((1i128, 0u32), |(m, s), x| {
            (m.checked_mul(x.mantissa().abs()).unwrap(), s + x.scale())
        })
    };
    let (l, ls) = side(&[dec!(10000), h, e, (b - a).abs()]);
    let (r, rs) = side(&[limit, e + d, e + d + h]);
    let ten = |k: u32| 10i128.checked_pow(k).unwrap();
    if ls < rs {
        l.checked_mul(ten(rs - ls)).unwrap() <= r
    } else {
        l <= r.checked_mul(ten(ls - rs)).unwrap()
    }
}

fn rate(max_bp: i64) -> impl Strategy<Value = Decimal> {
    (0..=max_bp).prop_map(|n| Decimal::new(n, 4))
}

fn money(max: i64) -> impl Strategy<Value = Decimal> {
    (0..=max).prop_map(|c| Decimal::new(c, 2))
}

fn wacc_inputs() -> impl Strategy<Value = WaccInputs> {
    (rate(1000), 0i64..300, rate(1000), rate(2500), rate(6000)).prop_map(|(rf, beta, erp, m, t)| {
        WaccInputs {
            risk_free_rate: rf,
            beta: Decimal::new(beta, 2),
            equity_risk_premium: erp,
            margin_rate: m,
            tax_rate: t,
        }
    })
}

fn condor() -> impl Strategy<Value = OpenCondor> {
    (
        3000i64..5000,
        5000i64..7000,
        prop_oneof![Just(25i64), Just(50), Just(100)],
        1u32..20,
        10i64..4000,
        0i64..1_000_000,
    )
        .prop_map(
            |(put, call, wing, contracts, credit_per, loss)| OpenCondor {
                short_put: Decimal::from(put),
                short_call: Decimal::from(call),
                wing_width: Decimal::from(wing),
                contracts,
                credit: Decimal::from(credit_per * i64::from(contracts)),
                max_loss: Decimal::new(loss, 2),
            },
        )
}

fn stress() -> impl Strategy<Value = Stress> {
    (4000i64..6000, 900i64..8000, 0i64..50, 1u32..120).prop_map(|(spx, vix, sigmas, dte)| Stress {
        spx: Decimal::from(spx),
        vix: Decimal::new(vix, 2),
        sigmas: Decimal::new(sigmas, 1),
        dte_days: dte,
    })
}

fn any_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            0u32..=28
        )
            .prop_map(|(lo, mid, hi, neg, scale)| Decimal::from_parts(lo, mid, hi, neg, scale)),
        Just(Decimal::ZERO),
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        (-10i64..10).prop_map(Decimal::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn impact_grows_with_the_hedge(
        i in wacc_inputs(),
        equity in money(100_000_000_000).prop_filter("equity > 0", |e| *e > Decimal::ZERO),
        debt in money(100_000_000_000),
        h1 in money(100_000_000_000),
        h2 in money(100_000_000_000),
    ) {
        let (small, large) = if h1 <= h2 { (h1, h2) } else { (h2, h1) };
        let a = wacc_impact_bps(&i, equity, debt, small).unwrap();
        let b = wacc_impact_bps(&i, equity, debt, large).unwrap();
        prop_assert!(a.abs() <= b.abs() + dec!(1e-18), "{} then {}", a, b);
        // And never changes sign: the whole path is on b's side of W.
        prop_assert!(a.is_zero() || b.is_zero() || a.is_sign_negative() == b.is_sign_negative());
    }

    #[test]
    fn max_hedge_under_wacc_is_the_largest_that_holds(
        i in wacc_inputs(),
        equity in money(100_000_000_000).prop_filter("equity > 0", |e| *e > Decimal::ZERO),
        debt in money(100_000_000_000),
        limit in (0i64..10_000).prop_map(|n| Decimal::new(n, 1)),
        wanted in money(100_000_000_000),
    ) {
        let h = max_hedge_under_wacc(&i, equity, debt, limit, wanted).unwrap();
        let impact = |h| wacc_impact_bps(&i, equity, debt, h).unwrap().abs();
        let holds = |h| exactly_within(&i, equity, debt, h, limit);
        prop_assert!(h >= Decimal::ZERO && h <= wanted);
        prop_assert!(holds(h), "{} at {}", impact(h), h);
        // The 28-digit impact agrees but for its last digits.
        prop_assert!(impact(h) <= limit + dec!(1e-18), "{} at {}", impact(h), h);
        if h < wanted {
            prop_assert!(!holds(h + dec!(0.01)));
            prop_assert!(impact(h + dec!(1)) > limit);
        }
        // The closed form agrees with a plain bisection over cents.
        prop_assert_eq!(h, bisect_reference(wanted, holds));
    }

    #[test]
    fn max_hedge_under_quick_ratio_is_the_largest_that_holds(
        cash in money(10_000_000_000),
        hedges in money(1_000_000_000),
        k in (0i64..150).prop_map(|n| Decimal::new(n, 2)),
        open in proptest::collection::vec(condor(), 0..5),
        s in stress(),
        floor in (0i64..400).prop_map(|n| Decimal::new(n, 2)),
        wanted in money(10_000_000_000),
    ) {
        let q = QuickInputs { cash, hedges, hedge_stress_multiple: k };
        let h = max_hedge_under_quick_ratio(&q, &open, &s, floor, wanted).unwrap();
        let ratio = |h| stressed_quick_ratio(&q, &open, &s, h).unwrap();
        prop_assert!(h >= Decimal::ZERO && h <= wanted);
        let outcome = quick_ratio_guard(&q, &open, &s, floor, wanted).unwrap();
        match ratio(Decimal::ZERO) {
            None => prop_assert_eq!(h, wanted),
            Some(r0) if r0 < floor => {
                prop_assert_eq!(h, Decimal::ZERO);
                let blocked = matches!(outcome, GuardOutcome::Blocked { .. });
                prop_assert!(blocked);
            }
            Some(_) => {
                prop_assert!(ratio(h).unwrap() >= floor);
                if h < wanted {
                    prop_assert!(ratio(h + dec!(0.01)).unwrap() < floor);
                }
                prop_assert_eq!(outcome.allowed(), Some(h));
                prop_assert_eq!(h, bisect_reference(wanted, |x| ratio(x).unwrap() >= floor));
            }
        }
        // With k ≤ 1 the stressed ratio never rises with the hedge; above 1
        // it never falls.
        if let (Some(a), Some(b)) = (ratio(Decimal::ZERO), ratio(wanted)) {
            if k <= Decimal::ONE {
                prop_assert!(b <= a);
            } else {
                prop_assert!(b >= a);
            }
        }
    }

    #[test]
    fn stressed_loss_grows_with_the_move(
        open in proptest::collection::vec(condor(), 0..6),
        s in stress(),
        more in 0i64..30,
    ) {
        let bigger = Stress { sigmas: s.sigmas + Decimal::new(more, 1), ..s };
        let a = stressed_loss(&open, &s).unwrap();
        let b = stressed_loss(&open, &bigger).unwrap();
        prop_assert!(a <= b);
        let total: Decimal = open.iter().map(|c| c.max_loss).sum();
        prop_assert!(b <= total);
    }

    #[test]
    fn no_panic_on_extreme_inputs(
        d in proptest::collection::vec(any_decimal(), 20),
        contracts in any::<u32>(),
        dte in any::<u32>(),
    ) {
        let i = WaccInputs {
            risk_free_rate: d[0],
            beta: d[1],
            equity_risk_premium: d[2],
            margin_rate: d[3],
            tax_rate: d[4],
        };
        let _ = wacc(&i, d[5], d[6]);
        let _ = wacc_impact_bps(&i, d[5], d[6], d[7]);
        let _ = max_hedge_under_wacc(&i, d[5], d[6], d[8], d[9]);
        let _ = wacc_guard(&i, d[5], d[6], d[8], d[9]);
        let c = OpenCondor {
            short_put: d[10],
            short_call: d[11],
            wing_width: d[12],
            contracts,
            credit: d[13],
            max_loss: d[14],
        };
        let s = Stress { spx: d[15], vix: d[16], sigmas: d[17], dte_days: dte };
        let q = QuickInputs { cash: d[18], hedges: d[19], hedge_stress_multiple: d[0] };
        let _ = stressed_loss(&[c, c], &s);
        let _ = quick_ratio(&q, &[c]);
        let _ = stressed_quick_ratio(&q, &[c], &s, d[9]);
        let _ = max_hedge_under_quick_ratio(&q, &[c], &s, d[8], d[9]);
        let _ = quick_ratio_guard(&q, &[c], &s, d[8], d[9]);
        let _ = exposure_room(d[5], d[6]);
        let _ = exposure_guard(d[5], d[6], d[7]);
        let _ = s.relative_move();
    }

    /// With sane rates and a tax rate in range, a positive equity and
    /// non-negative amounts, the only possible error is overflow.
    #[test]
    fn extreme_amounts_give_overflow_or_an_answer(
        i in wacc_inputs(),
        equity in any_decimal().prop_filter("equity > 0", |e| *e > Decimal::ZERO),
        debt in any_decimal().prop_map(|d| d.abs()),
        wanted in any_decimal().prop_map(|d| d.abs()),
    ) {
        match max_hedge_under_wacc(&i, equity, debt, dec!(18), wanted) {
            Ok(h) => prop_assert!(h >= Decimal::ZERO && h <= wanted),
            Err(GuardError::Overflow { .. }) => {}
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}

#[test]
fn strike_sigmas_is_the_normal_quantile_of_one_minus_delta() {
    // Φ⁻¹(0.80), Φ⁻¹(0.85), Φ⁻¹(0.5), Φ⁻¹(0.99) to 7 digits (tables).
    for (delta, z) in [
        (0.20, 0.841_621_2),
        (0.15, 1.036_433_4),
        (0.50, 0.0),
        (0.01, 2.326_347_9),
        (0.99, -2.326_347_9),
    ] {
        let got = vixshield::guards::strike_sigmas(delta);
        assert!((got - z).abs() < 1e-6, "delta {delta}: {got} vs {z}");
    }
    assert!(vixshield::guards::strike_sigmas(0.0).is_nan());
    assert!(vixshield::guards::strike_sigmas(1.0).is_nan());
    assert!(vixshield::guards::strike_sigmas(f64::NAN).is_nan());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The engine's prepared guard decides exactly as `wacc_guard` with no
    /// margin debt; only the impact's last decimals may differ.
    #[test]
    fn the_prepared_wacc_guard_is_wacc_guard_without_debt(
        i in wacc_inputs(),
        equity in money(100_000_000_000),
        limit in (0i64..10_000).prop_map(|n| Decimal::new(n, 1)),
        wanted in money(100_000_000_000),
    ) {
        let reference = wacc_guard(&i, equity, Decimal::ZERO, limit, wanted);
        let prepared = vixshield::guards::WaccGuard::new(&i, limit).and_then(|g| g.check(equity, wanted));
        match (reference, prepared) {
            (Ok(GuardOutcome::Pass { amount: a1, value: Some(v1), limit: l1, .. }),
             Ok(GuardOutcome::Pass { amount: a2, value: Some(v2), limit: l2, .. })) => {
                prop_assert_eq!((a1, l1), (a2, l2));
                prop_assert!((v1 - v2).abs() <= dec!(1e-18), "{} vs {}", v1, v2);
            }
            (r, p) => prop_assert_eq!(r, p),
        }
    }
}

#[test]
fn the_prepared_wacc_guard_near_its_limit() {
    // spx-mastery: the cap on $100,000 is $52,941.17.
    let g = vixshield::guards::WaccGuard::new(&spx_mastery(), dec!(18)).unwrap();
    for wanted in [
        dec!(52941.16),
        dec!(52941.17),
        dec!(52941.18),
        dec!(60000),
        dec!(0),
    ] {
        assert_eq!(
            g.check(dec!(100000), wanted).unwrap(),
            wacc_guard(&spx_mastery(), dec!(100000), dec!(0), dec!(18), wanted).unwrap(),
            "{wanted}"
        );
    }
    assert!(
        g.check(dec!(0), dec!(100)).is_err(),
        "equity at zero is an error, as in wacc_guard"
    );
}

/// `a / b` as an exact rational rounded half away from zero to `dp` places,
/// as a decimal string: the reference for `money::div_round`.
fn exact_div_round(a: Decimal, b: Decimal, dp: u32) -> String {
    use num_bigint::BigInt;
    use num_rational::BigRational;
    use num_traits::Signed;
    let rat =
        |d: Decimal| BigRational::new(BigInt::from(d.mantissa()), BigInt::from(10).pow(d.scale()));
    let q = rat(a) / rat(b) * BigRational::from_integer(BigInt::from(10).pow(dp));
    let half = BigRational::new(BigInt::from(1), BigInt::from(2));
    let r = if q.is_negative() {
        -((-q) + half).floor()
    } else {
        (q + half).floor()
    };
    let n = i128::try_from(r.to_integer()).expect("fits");
    Decimal::from_i128_with_scale(n, dp).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// One rounding on the mantissas equals the exact quotient rounded.
    #[test]
    fn div_round_is_the_exact_quotient_rounded(
        a in (-10_000_000_000_000i64..10_000_000_000_000, 0u32..12),
        b in (-10_000_000_000i64..10_000_000_000, 0u32..8),
        dp in 0u32..9,
    ) {
        let (a, b) = (Decimal::new(a.0, a.1), Decimal::new(b.0, b.1));
        prop_assume!(!b.is_zero());
        let got = vixshield::money::div_round(a, b, dp);
        prop_assert_eq!(got.map(|g| g.to_string()), Some(exact_div_round(a, b, dp)));
    }

    /// The product comparison and the product quotient on mantissas are exact.
    #[test]
    fn product_lt_and_mul_div_round_are_exact(
        a in (-1_000_000_000_000i64..1_000_000_000_000, 0u32..10),
        b in (-1_000_000_000i64..1_000_000_000, 0u32..10),
        c in (-1_000_000_000_000i64..1_000_000_000_000, 0u32..10),
        d in (1i64..1_000_000_000, 0u32..10),
        dp in 0u32..9,
    ) {
        let dec = |(m, s): (i64, u32)| Decimal::new(m, s);
        let (a, b, c, d) = (dec(a), dec(b), dec(c), dec(d));
        // `None` (beyond i128 once the scales are aligned) sends callers to
        // the general decimal path; an answer must be the exact one.
        let lt = vixshield::money::product_lt(a, b, c, d);
        prop_assert!(lt.is_none_or(|lt| lt == (a * b < c * d)), "{:?}", lt);
        if (a.scale() + b.scale()).abs_diff(c.scale() + d.scale()) <= 16 {
            prop_assert!(lt.is_some(), "products under 10^21 aligned by at most 10^16 stay in i128");
        }
        prop_assume!(!c.is_zero());
        let q = vixshield::money::mul_div_round(a, b, c, dp);
        prop_assert!(
            q.is_none_or(|q| q.to_string() == exact_div_round(a * b, c, dp)),
            "{:?}",
            q
        );
    }

    /// The prepared clear pass, on integers, answers only when the rounded
    /// check passes, and then with its impact, to the bit; with typical
    /// amounts it answers.
    #[test]
    fn the_prepared_clear_pass_is_the_rounded_check(
        i in wacc_inputs(),
        equity in (1i64..100_000_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
        limit in (0i64..10_000).prop_map(|n| Decimal::new(n, 1)),
        wanted in (0i64..10_000_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
    ) {
        let Ok(g) = vixshield::guards::WaccGuard::new(&i, limit) else {
            return Ok(());
        };
        let rounded = g.check_rounded(equity, wanted, 6);
        let pass = g.prepare_pass(wanted, equity.scale(), 6);
        // (Otherwise `None` only when the arithmetic leaves 128 bits.)
        if wanted.scale() > equity.scale() {
            prop_assert!(pass.is_none());
        }
        let quick = pass.and_then(|p| g.quick_pass(&p, equity));
        if let Some(impact) = quick {
            match &rounded {
                Ok(GuardOutcome::Pass { amount, value: Some(v), limit: l, .. }) => {
                    prop_assert_eq!(v.serialize(), impact.serialize(), "{} against {}", v, impact);
                    prop_assert_eq!((*amount, *l), (wanted, limit));
                }
                other => prop_assert!(false, "quick pass {} where the check gives {:?}", impact, other),
            }
        }
        // Clearly inside by a wide margin: the quick pass must answer.
        if let (Some(_), Ok(GuardOutcome::Pass { value: Some(v), .. })) = (pass, &rounded)
            && v.abs() * Decimal::from(2) < limit
        {
            prop_assert!(quick.is_some(), "no quick pass at {} bps against {}", v, limit);
        }
    }

    /// The engine's rounded check is the prepared guard, rounded once to 6 places.
    #[test]
    fn the_rounded_wacc_check_is_the_check_rounded(
        i in wacc_inputs(),
        equity in money(100_000_000_000),
        limit in (0i64..10_000).prop_map(|n| Decimal::new(n, 1)),
        wanted in money(100_000_000_000),
    ) {
        let g = vixshield::guards::WaccGuard::new(&i, limit);
        let (Ok(g), Ok(reference)) = (g, wacc_guard(&i, equity, Decimal::ZERO, limit, wanted)) else {
            return Ok(());
        };
        let rounded = g.check_rounded(equity, wanted, 6).expect("as the reference");
        match (reference, rounded) {
            (GuardOutcome::Pass { amount: a1, value: Some(v1), limit: l1, .. },
             GuardOutcome::Pass { amount: a2, value: Some(v2), limit: l2, .. }) => {
                prop_assert_eq!((a1, l1), (a2, l2));
                prop_assert_eq!(
                    v1.round_dp_with_strategy(6, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
                    v2
                );
                prop_assert!(v2.scale() <= 6);
            }
            (r, p) => prop_assert_eq!(r, p),
        }
    }
}

/// With spx-mastery's account, the engine's case: the prepared pass answers
/// for every hedge total of its ladder on a range of equities, with the
/// rounded check's impact; on equity written to other places, or a total
/// with more places than the equity, it is not used.
#[test]
fn the_prepared_clear_pass_answers_for_spx_mastery() {
    let inputs = WaccInputs {
        risk_free_rate: dec!(0.045),
        beta: dec!(1),
        equity_risk_premium: dec!(0.055),
        margin_rate: dec!(0.065),
        tax_rate: dec!(0.21),
    };
    let g = vixshield::guards::WaccGuard::new(&inputs, dec!(18)).expect("valid inputs");
    for wanted in [dec!(150.00), dec!(270.00), dec!(725.00), dec!(1150.00)] {
        let pass = g.prepare_pass(wanted, 2, 6).expect("prepared");
        for equity in [
            dec!(50000.00),
            dec!(100000.00),
            dec!(123456.78),
            dec!(5000000.00),
        ] {
            let quick = g.quick_pass(&pass, equity).expect("clearly inside");
            let Ok(GuardOutcome::Pass { value: Some(v), .. }) = g.check_rounded(equity, wanted, 6)
            else {
                panic!("{wanted} on {equity} passes");
            };
            assert_eq!(quick.serialize(), v.serialize(), "{wanted} on {equity}");
        }
        assert_eq!(
            g.quick_pass(&pass, dec!(100000.5)),
            None,
            "equity at 1 place"
        );
    }
    assert!(g.prepare_pass(dec!(150.005), 2, 6).is_none());
    assert!(g.prepare_pass(dec!(-150.00), 2, 6).is_none());
}

#[test]
fn div_round_rounds_half_away_from_zero_and_refuses_zero() {
    use vixshield::money::div_round;
    assert_eq!(div_round(dec!(1), dec!(8), 2), Some(dec!(0.13)));
    assert_eq!(div_round(dec!(-1), dec!(8), 2), Some(dec!(-0.13)));
    assert_eq!(div_round(dec!(1), dec!(-8), 2), Some(dec!(-0.13)));
    assert_eq!(div_round(dec!(2), dec!(3), 6), Some(dec!(0.666667)));
    assert_eq!(div_round(dec!(1), dec!(3), 0), Some(dec!(0)));
    assert_eq!(div_round(dec!(1), dec!(0), 2), None);
}
