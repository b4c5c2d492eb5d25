//! The exact losing-run odds and expected stopped-out cycles against values
//! computed independently with exact rational arithmetic: a different
//! recursion (conditioning on the first win) and, for short horizons, brute
//! force over every sequence of wins and losses.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, ToPrimitive, Zero};
use vixshield::risk::exact::{expected_stopped_cycles, losing_run, stopped_cycle_rate};

/// q as an exact fraction a / d (every f64 is one, with d a power of two).
fn frac(q: f64) -> (BigInt, BigInt) {
    let r = BigRational::from_float(q).expect("a finite probability");
    (r.numer().clone(), r.denom().clone())
}

fn pow(x: &BigInt, k: usize) -> BigInt {
    let mut r = BigInt::one();
    for _ in 0..k {
        r *= x;
    }
    r
}

/// P(no run of k losses in n trades), exactly, by conditioning on the losses
/// before the first win: the first k trades all lose (a run), or the first win
/// comes after j < k losses and the rest starts afresh:
/// f(m) = Σ_{j<k} q^j·p·f(m−1−j) for m ≥ k, f(m) = 1 for m < k.
/// With q = a/d, F(m) = f(m)·d^m is an integer and
/// F(m) = Σ_{j<k} a^j·(d−a)·F(m−1−j): no gcd on the way, one division at the end.
fn no_run(q: f64, k: usize, n: usize) -> BigRational {
    let (a, d) = frac(q);
    let c: Vec<BigInt> = (0..k).map(|j| pow(&a, j) * (&d - &a)).collect();
    let mut big_f: Vec<BigInt> = Vec::with_capacity(n + 1);
    for m in 0..=n {
        if m < k {
            big_f.push(pow(&d, m));
        } else {
            let mut s = BigInt::zero();
            for (j, cj) in c.iter().enumerate() {
                s += cj * &big_f[m - 1 - j];
            }
            big_f.push(s);
        }
    }
    BigRational::new(big_f.pop().unwrap_or_else(BigInt::one), pow(&d, n))
}

/// E[stopped-out cycles in n trades], exactly, by the same conditioning:
/// g(m) = q^k·(1 + g(m−k)) + Σ_{j<k} q^j·p·g(m−1−j) for m ≥ k, else 0;
/// in integers G(m) = g(m)·d^m = a^k·(d^(m−k) + G(m−k)) + Σ_{j<k} a^j·(d−a)·G(m−1−j).
fn stopped(q: f64, k: usize, n: usize) -> BigRational {
    let (a, d) = frac(q);
    let ak = pow(&a, k);
    let c: Vec<BigInt> = (0..k).map(|j| pow(&a, j) * (&d - &a)).collect();
    let mut dp = vec![BigInt::one()];
    for _ in 0..n {
        let next = dp.last().cloned().unwrap_or_else(BigInt::one) * &d;
        dp.push(next);
    }
    let mut g: Vec<BigInt> = Vec::with_capacity(n + 1);
    for m in 0..=n {
        if m < k {
            g.push(BigInt::zero());
        } else {
            let mut s = &ak * (&dp[m - k] + &g[m - k]);
            for (j, cj) in c.iter().enumerate() {
                s += cj * &g[m - 1 - j];
            }
            g.push(s);
        }
    }
    BigRational::new(g.pop().unwrap_or_else(BigInt::zero), dp[n].clone())
}

/// Brute force: every one of the 2^n sequences, weighted exactly
/// (a sequence with L losses and W wins weighs a^L·(d−a)^W / d^n).
fn brute(q: f64, k: usize, n: usize) -> (BigRational, BigRational) {
    let (a, d) = frac(q);
    let b = &d - &a;
    let (mut run, mut cycles) = (BigInt::zero(), BigInt::zero());
    for bits in 0u32..(1u32 << n) {
        let losses = (bits.count_ones()) as usize;
        let w = pow(&a, losses) * pow(&b, n - losses);
        let (mut streak, mut longest, mut count, mut cyc) = (0usize, 0usize, 0usize, 0usize);
        for i in 0..n {
            if bits >> i & 1 == 1 {
                streak += 1;
                longest = longest.max(streak);
                cyc += 1;
                if cyc == k {
                    count += 1;
                    cyc = 0;
                }
            } else {
                streak = 0;
                cyc = 0;
            }
        }
        if longest >= k {
            run += &w;
        }
        cycles += w * BigInt::from(count);
    }
    let dn = pow(&d, n);
    (
        BigRational::new(run, dn.clone()),
        BigRational::new(cycles, dn),
    )
}

fn f(x: &BigRational) -> f64 {
    x.to_f64().expect("a representable value")
}

fn close(got: f64, want: &BigRational, what: &str) {
    let w = f(want);
    assert!(
        (got - w).abs() <= 1e-12,
        "{what}: got {got:e}, exact {w:e}, off by {:e}",
        (got - w).abs()
    );
}

const CASES: &[(f64, u64, u64)] = &[
    (0.3, 3, 50),
    (0.3, 4, 300),
    (0.25, 4, 1000),
    (0.5, 1, 20),    // K = 1: any loss
    (0.5, 10, 1000), // the matrix-power path
    (0.75, 12, 400),
    (0.9, 4, 200),
    (0.05, 2, 400),
    (0.15, 4, 300),
    (0.999, 3, 100), // a run almost surely
    (0.001, 5, 300), // a run almost never: relative precision matters
    (0.25, 5, 3),    // K > N
    (0.4, 7, 7),     // K = N
    (0.0, 2, 10),    // never a loss
    (1.0, 4, 10),    // always a loss
    (1.0, 4, 3),     // always, but too short
];

#[test]
fn probability_matches_exact_rationals() {
    for &(q, k, n) in CASES {
        let o = losing_run(q, k, n).expect("valid");
        let exact_none = no_run(q, k as usize, n as usize);
        let exact_run = BigRational::one() - &exact_none;
        close(
            o.p_losing_run,
            &exact_run,
            &format!("P(run) q={q} K={k} N={n}"),
        );
        close(
            o.p_no_losing_run,
            &exact_none,
            &format!("P(none) q={q} K={k} N={n}"),
        );
        // Tiny values keep their relative precision (they are not 1 − something).
        let want = f(&exact_run);
        if want > 0.0 && want < 1e-6 {
            assert!(
                ((o.p_losing_run - want) / want).abs() < 1e-12,
                "relative precision of a tiny P(run): {} vs {want}",
                o.p_losing_run
            );
        }
    }
}

#[test]
fn expected_stopped_cycles_match_exact_rationals() {
    for &(q, k, n) in CASES {
        let e = expected_stopped_cycles(q, k, n).expect("valid");
        close(
            e,
            &stopped(q, k as usize, n as usize),
            &format!("E[stopped] q={q} K={k} N={n}"),
        );
    }
}

#[test]
fn brute_force_agrees_on_short_horizons() {
    for &(q, k) in &[(0.3, 1u64), (0.3, 2), (0.6, 3), (0.5, 4), (0.1, 2)] {
        for n in [0u64, 1, 2, 5, 9, 12] {
            let (run, cycles) = brute(q, k as usize, n as usize);
            let o = losing_run(q, k, n).expect("valid");
            close(o.p_losing_run, &run, &format!("brute P q={q} K={k} N={n}"));
            let e = expected_stopped_cycles(q, k, n).expect("valid");
            close(e, &cycles, &format!("brute E q={q} K={k} N={n}"));
        }
    }
}

#[test]
fn closed_forms_at_the_edges() {
    // K = 1: P = 1 − p^N; expected stopped cycles = N·q.
    let o = losing_run(0.2, 1, 30).expect("valid");
    assert!((o.p_losing_run - (1.0 - 0.8f64.powi(30))).abs() < 1e-15);
    let e = expected_stopped_cycles(0.2, 1, 30).expect("valid");
    assert!((e - 6.0).abs() < 1e-12);
    // K = N: P = q^N.
    let o = losing_run(0.5, 8, 8).expect("valid");
    assert!((o.p_losing_run - 0.5f64.powi(8)).abs() < 1e-18);
    // The renewal rate.
    let r = stopped_cycle_rate(0.5, 2);
    assert!((r - 0.5 * 0.25 / 0.75).abs() < 1e-15);
}

/// The long-run rate p·q^K / (1 − q^K) keeps its relative precision where
/// q^K is near 1: 1 − q^K computed as written cancelled (q = 0.999, K = 12
/// was off by 8e-15 relatively; q = 0.99999999, K = 2 by 6e-10).
#[test]
fn stopped_cycle_rate_matches_exact_rationals() {
    for &(q, k) in &[
        (0.999, 12u64),
        (0.9999, 3),
        (0.99999999, 2),
        (0.5, 2),
        (0.15, 4),
        (0.001, 5),
        (0.75, 12),
        (0.3, 1),
    ] {
        let (a, d) = frac(q);
        let kk = k as usize;
        // p·q^K / (1 − q^K) = (d − a)·a^K / (d·(d^K − a^K)) for q = a/d.
        let want = BigRational::new((&d - &a) * pow(&a, kk), &d * (pow(&d, kk) - pow(&a, kk)));
        let w = f(&want);
        let got = stopped_cycle_rate(q, k);
        assert!(
            ((got - w) / w).abs() <= 4.0 * f64::EPSILON,
            "rate q={q} K={k}: got {got:e}, exact {w:e}, off by {:e} relatively",
            ((got - w) / w).abs()
        );
    }
}

#[test]
fn bad_inputs_are_errors() {
    assert!(losing_run(-0.1, 3, 10).is_err());
    assert!(losing_run(1.5, 3, 10).is_err());
    assert!(losing_run(f64::NAN, 3, 10).is_err());
    assert!(losing_run(0.5, 0, 10).is_err());
    assert!(expected_stopped_cycles(0.5, 0, 10).is_err());
    // Too large to compute is an error at once: K = u64::MAX made `K + 1`
    // wrap to 0 in the cost estimate, which then passed, and the command ran
    // without end.
    for (k, n) in [
        (u64::MAX, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (1 << 40, 1 << 41),
    ] {
        assert!(losing_run(0.2, k, n).is_err(), "K = {k}, N = {n}");
        assert!(
            expected_stopped_cycles(0.2, k, n).is_err(),
            "K = {k}, N = {n}"
        );
    }
}

#[test]
fn large_horizons_are_fast_and_sane() {
    // N = 10^9 through the matrix power: still a probability, monotone in N.
    let a = losing_run(0.25, 10, 1_000_000).expect("valid");
    let b = losing_run(0.25, 10, 1_000_000_000).expect("valid");
    assert!(a.p_losing_run < b.p_losing_run && b.p_losing_run <= 1.0);
    assert!((a.p_losing_run + a.p_no_losing_run - 1.0).abs() < 1e-15);
}

/// The table's line for `label` with the command line's q, N and K.
fn table_line(q: &str, n: &str, k: &str, label: &str) -> String {
    let out = crate::common::command_in(
        crate::common::root(),
        &["risk", "--loss-rate", q, "--trades", n, "--run", k],
    )
    .output()
    .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no `{label}` in {text}"))
}

#[test]
fn the_table_says_0_or_1_only_when_exact() {
    // 1 − 2.98e-16 is not 1, nor 0.01^8 · (…) a count of 0.
    let no_run = "P(no such run)";
    assert_eq!(table_line("0.01", "10", "8", no_run), "1 − 2.980000e-16");
    assert_eq!(
        table_line("0.01", "10", "8", "expected runs of 8 losses"),
        "2.980000e-16 (long run: one per 1.010e16 trades)"
    );
    // 1 − (1 − q)^N with q = 0.9999, N = 10: 1 − 10⁻⁴⁰, not 1.
    assert_eq!(
        table_line("0.9999", "10", "1", "P(≥ 1 losses in a row)"),
        "1 − 1.000000e-40"
    );
    assert_eq!(table_line("0.9999", "10", "1", no_run), "1.000000e-40");
    // Beyond f64: said as a bound, never 0 or 1.
    assert_eq!(
        table_line("0.999", "1000", "3", "P(≥ 3 losses in a row)"),
        "above 1 − 2.2e-308"
    );
    assert_eq!(table_line("0.999", "1000", "3", no_run), "below 2.2e-308");
    // Not 12 decimals where the line above has 6.
    assert_eq!(table_line("0.25", "100", "4", no_run), "0.749084");
    // The exact edges stay 0 and 1.
    assert_eq!(table_line("0", "4", "4", "P(≥ 4 losses in a row)"), "0");
    assert_eq!(table_line("0", "4", "4", no_run), "1");
    assert_eq!(table_line("1", "4", "4", "P(≥ 4 losses in a row)"), "1");
    assert_eq!(table_line("0.5", "3", "4", no_run), "1");
    // A tiny loss rate is not 0.00%.
    assert_eq!(
        table_line("0.00003", "10", "1", "loss rate q"),
        "0.0030% (given)"
    );
}

/// Brute force over the ladder itself: the exact probability that some
/// trade of `n` is played at step `steps` (a loss moves up a step, a win
/// resets to step 1, and the cycle ends at the last step, won or lost).
fn brute_reach(q: f64, steps: usize, n: usize) -> BigRational {
    let (a, d) = frac(q);
    let b = &d - &a;
    let mut reach = BigInt::zero();
    for bits in 0u32..(1u32 << n) {
        let losses = (bits.count_ones()) as usize;
        let mut step = 1;
        let mut reached = false;
        for i in 0..n {
            if step == steps {
                reached = true;
                step = 1;
            } else if bits >> i & 1 == 1 {
                step += 1;
            } else {
                step = 1;
            }
        }
        if reached {
            reach += pow(&a, losses) * pow(&b, n - losses);
        }
    }
    BigRational::new(reach, pow(&d, n))
}

/// `risk STRATEGY`'s `p_reach_last_step` (spx-mastery: 4 steps, reset on a
/// win) is the chance that the ladder reaches its last step, worked out by
/// playing it on every sequence: the figure a trader asks for ("will I hit
/// the step limit?"), far above P(≥ 4 losses in a row), which the table
/// gave alone. The table says it in words.
#[test]
fn the_chance_of_reaching_the_last_step_is_the_ladders() {
    for (q, n) in [(0.3, 10), (0.149, 15), (0.5, 4), (0.5, 3), (0.05, 12)] {
        let out = crate::common::vixshield(&[
            "risk",
            "strategies/spx-mastery.vxs",
            "--loss-rate",
            &q.to_string(),
            "--trades",
            &n.to_string(),
            "--format",
            "json",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got = v["ladder"]["p_reach_last_step"].as_f64().unwrap();
        close(got, &brute_reach(q, 4, n), &format!("q {q}, n {n}"));
        // Above the odds of a whole losing cycle whenever one is possible.
        let run = v["p_losing_run"].as_f64().unwrap();
        assert!(got >= run, "q {q}, n {n}: {got} < {run}");
    }
    let out = crate::common::vixshield(&[
        "risk",
        "strategies/spx-mastery.vxs",
        "--loss-rate",
        "14.9%",
        "--trades",
        "75",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.lines().any(|l| l.starts_with("P(reaching step 4)")
            && l.ends_with(
                " in 75 trades: after 3 losses in a row; the cycle ends there, won or lost"
            )),
        "{table}"
    );
}

/// `risk STRATEGY` shows the worst cycle's share of capital as `check
/// --explain` does (exact, half away from zero, no trailing zeros): it
/// printed `10.30%` beside `--explain`'s `10.3%` for the same $10,300. A
/// capital of $99,999 makes the share a repeating fraction, 10.3001…%.
#[test]
fn risk_shows_shares_of_capital_as_check_explain_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("strategies/spx-mastery.vxs").unwrap();
    let odd = dir.path().join("odd.vxs");
    std::fs::write(
        &odd,
        text.replace("capital = $100,000", "capital = $99,999"),
    )
    .unwrap();
    for file in [
        "strategies/aggressive.vxs".to_string(),
        "strategies/conservative.vxs".to_string(),
        "strategies/spx-mastery.vxs".to_string(),
        odd.display().to_string(),
    ] {
        let explain = crate::common::vixshield(&["check", "--explain", &file]);
        let explain = String::from_utf8_lossy(&explain.stdout);
        let want = explain
            .lines()
            .find_map(|l| l.strip_prefix("a full losing cycle risks "))
            .unwrap_or_else(|| panic!("{file}: {explain}"));
        let risk =
            crate::common::vixshield(&["risk", &file, "--loss-rate", "0.2", "--trades", "100"]);
        let risk = String::from_utf8_lossy(&risk.stdout);
        let got = risk
            .lines()
            .find_map(|l| l.strip_prefix("worst cycle loss"))
            .unwrap_or_else(|| panic!("{file}: {risk}"))
            .trim_start();
        let want = want.strip_suffix(')').unwrap_or(want);
        assert!(
            got.starts_with(want),
            "{file}: risk `{got}`, --explain `{want}`"
        );
        // The deepest step's share the same way: $4,600 of $99,999 is
        // 4.60004…%, shown 4.6% (it showed 4.60%).
        if file.ends_with("odd.vxs") {
            assert!(
                risk.lines().any(|l| l.starts_with("deepest step (4)")
                    && l.ends_with(" $4,600 (4.6% of capital)")),
                "{risk}"
            );
        }
    }
}
