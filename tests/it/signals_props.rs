//! Property tests of the built-in signals: incremental use agrees with the
//! batch helpers, nothing panics on any input, the missing-value policy
//! holds, and each indicator agrees with a naive reference model.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use proptest::prelude::*;
use vixshield::signals::{
    self, BUILTINS, Builtin, Ema, Highest, Indicator, Lowest, ParamKind, Rsi, Sma,
};

/// Any double, with the awkward ones made likely.
fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => -1e3..1e3f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(1e308),
        1 => Just(-1e308),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(5e-324),
        2 => proptest::num::f64::ANY,
    ]
}

/// Prices: positive and moderate, so no bar is skipped for overflow.
fn price() -> impl Strategy<Value = f64> {
    0.5..200.0f64
}

/// Prices with missing bars (`NaN`, `±inf`) among them.
fn price_or_missing() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => price(),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

/// A built-in with valid random periods (small, the minimum included).
fn builtin_with_periods() -> impl Strategy<Value = (Builtin, Vec<i64>)> {
    (0..BUILTINS.len(), proptest::collection::vec(0..12i64, 3)).prop_map(|(i, raw)| {
        let builtin = BUILTINS[i];
        let periods = builtin
            .signature()
            .periods()
            .zip(raw)
            .map(|(p, r)| match p.kind {
                ParamKind::Period { min } => min as i64 + r,
                ParamKind::Series => unreachable!(),
            })
            .collect();
        (builtin, periods)
    })
}

/// The per-built-in batch helper (a second path to the same numbers).
fn batch(builtin: Builtin, a: &[f64], b: &[f64], p: &[i64]) -> Vec<Option<f64>> {
    let u = |i: usize| p[i] as usize;
    match builtin {
        Builtin::Sma => signals::sma(a, u(0)).unwrap(),
        Builtin::Ema => signals::ema(a, u(0)).unwrap(),
        Builtin::Rsi => signals::rsi(a, u(0)).unwrap(),
        Builtin::Macd => signals::macd(a, u(0), u(1), u(2)).unwrap(),
        Builtin::MacdSignal => signals::macd_signal(a, u(0), u(1), u(2)).unwrap(),
        Builtin::MacdHist => signals::macd_hist(a, u(0), u(1), u(2)).unwrap(),
        Builtin::Ratio => signals::ratio(a, b),
        Builtin::RealizedVol => signals::realized_vol(a, u(0)).unwrap(),
        Builtin::Highest => signals::highest(a, u(0)).unwrap(),
        Builtin::Lowest => signals::lowest(a, u(0)).unwrap(),
    }
}

fn series_args<'a>(builtin: Builtin, a: &'a [f64], b: &'a [f64]) -> Vec<&'a [f64]> {
    if builtin == Builtin::Ratio {
        vec![a, b]
    } else {
        vec![a]
    }
}

/// Bit-level equality of outputs (`Some(NaN)` never occurs, but be exact).
fn same(x: &[Option<f64>], y: &[Option<f64>]) -> bool {
    x.len() == y.len()
        && x.iter()
            .zip(y)
            .all(|(a, b)| a.map(f64::to_bits) == b.map(f64::to_bits))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

fn close_all(ours: &[Option<f64>], reference: &[Option<f64>]) -> Result<(), TestCaseError> {
    prop_assert_eq!(ours.len(), reference.len());
    for (i, (o, r)) in ours.iter().zip(reference).enumerate() {
        match (o, r) {
            (None, None) => {}
            (Some(o), Some(r)) => {
                prop_assert!(close(*o, *r), "bar {}: {} vs reference {}", i, o, r)
            }
            _ => prop_assert!(false, "bar {}: {:?} vs reference {:?}", i, o, r),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Feeding a `Signal` bar by bar, the batch helper, and `Builtin::compute`
    /// agree; the values at bar t do not depend on later bars; `reset`
    /// restores the fresh state; every `Some` is finite. On any input.
    #[test]
    fn incremental_equals_batch(
        (builtin, periods) in builtin_with_periods(),
        a in proptest::collection::vec(any_value(), 0..120),
        b in proptest::collection::vec(any_value(), 0..120),
        junk in proptest::collection::vec(any_value(), 0..20),
        cut in 0..120usize,
    ) {
        let args = series_args(builtin, &a, &b);
        let full = builtin.compute(&args, &periods).unwrap();
        prop_assert!(same(&full, &batch(builtin, &a, &b, &periods)));
        prop_assert!(full.iter().flatten().all(|v| v.is_finite()));

        // Incremental, after a reset from a dirty state.
        let mut signal = builtin.instantiate(&periods).unwrap();
        for &x in &junk {
            signal.update(&[x, x]);
        }
        signal.reset();
        let bars = full.len();
        let at = |s: &[f64], i: usize| s.get(i).copied().unwrap_or(f64::NAN);
        let stepped: Vec<Option<f64>> = (0..bars).map(|i| signal.update(&[at(&a, i), at(&b, i)])).collect();
        prop_assert!(same(&stepped, &full));

        // No look-ahead: a prefix gives the prefix.
        let cut = cut.min(a.len());
        let prefix_args: Vec<&[f64]> = args.iter().map(|s| &s[..cut.min(s.len())]).collect();
        let prefix = builtin.compute(&prefix_args, &periods).unwrap();
        prop_assert!(same(&prefix, &full[..prefix.len()]));
    }

    /// A missing bar (NaN, ±inf) gives `None` and is skipped: the other bars
    /// get exactly the values of the series without it.
    #[test]
    fn missing_bars_are_skipped(
        (builtin, periods) in builtin_with_periods(),
        xs in proptest::collection::vec(price_or_missing(), 0..150),
    ) {
        prop_assume!(builtin != Builtin::Ratio);
        let with_gaps = builtin.compute(&[&xs], &periods).unwrap();
        let taken: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        let mut dense = builtin.compute(&[&taken], &periods).unwrap().into_iter();
        for (x, got) in xs.iter().zip(&with_gaps) {
            if x.is_finite() {
                let want = dense.next().flatten();
                prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
            } else {
                prop_assert_eq!(*got, None);
            }
        }
    }

    /// highest/lowest equal a naive max/min over the last n values.
    #[test]
    fn highest_lowest_equal_naive_window(
        xs in proptest::collection::vec(prop_oneof![-50.0..50.0f64, (-3..3i32).prop_map(f64::from)], 0..150),
        n in 1..25usize,
    ) {
        let (mut hi, mut lo) = (Highest::new(n).unwrap(), Lowest::new(n).unwrap());
        for (t, &x) in xs.iter().enumerate() {
            let (h, l) = (hi.update(x), lo.update(x));
            if t + 1 < n {
                prop_assert_eq!((h, l), (None, None));
            } else {
                let window = &xs[t + 1 - n..=t];
                let max = window.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let min = window.iter().copied().fold(f64::INFINITY, f64::min);
                prop_assert_eq!((h, l), (Some(max), Some(min)));
            }
        }
    }

    /// sma, ema, rsi, macd and realized_vol against straightforward
    /// re-implementations of their definitions.
    #[test]
    fn indicators_match_reference_models(
        xs in proptest::collection::vec(price(), 0..150),
        n in 1..20usize,
        (fast, slow, sig) in (1..15usize, 1..30usize, 1..12usize),
    ) {
        close_all(&signals::sma(&xs, n).unwrap(), &reference::sma(&xs, n))?;
        close_all(&signals::ema(&xs, n).unwrap(), &reference::ema(&xs, n))?;
        close_all(&signals::rsi(&xs, n).unwrap(), &reference::rsi(&xs, n))?;
        let [line, signal, hist] = reference::macd(&xs, fast, slow, sig);
        close_all(&signals::macd(&xs, fast, slow, sig).unwrap(), &line)?;
        close_all(&signals::macd_signal(&xs, fast, slow, sig).unwrap(), &signal)?;
        close_all(&signals::macd_hist(&xs, fast, slow, sig).unwrap(), &hist)?;
        if n >= 2 {
            close_all(&signals::realized_vol(&xs, n).unwrap(), &reference::realized_vol(&xs, n))?;
        }
    }

    /// `crosses above/below` against the definition.
    #[test]
    fn crosses_match_the_definition(
        a in proptest::collection::vec(prop_oneof![4 => (-3..3i32).prop_map(|v| Some(f64::from(v))), 1 => Just(None)], 0..60),
        b in proptest::collection::vec(prop_oneof![4 => (-3..3i32).prop_map(|v| Some(f64::from(v))), 1 => Just(None)], 0..60),
    ) {
        let above = signals::crosses_above(&a, &b);
        let below = signals::crosses_below(&a, &b);
        prop_assert_eq!(above.len(), a.len().max(b.len()));
        let get = |s: &[Option<f64>], i: usize| s.get(i).copied().flatten();
        for t in 0..above.len() {
            let now = get(&a, t).zip(get(&b, t));
            let before = t.checked_sub(1).and_then(|p| get(&a, p).zip(get(&b, p)));
            let (want_above, want_below) = match (before, now) {
                (Some((a0, b0)), Some((a1, b1))) => (Some(a1 > b1 && a0 <= b0), Some(a1 < b1 && a0 >= b0)),
                _ => (None, None),
            };
            prop_assert_eq!(above[t], want_above, "above at {}", t);
            prop_assert_eq!(below[t], want_below, "below at {}", t);
        }
    }

    /// Period validation never panics and accepts exactly min..=MAX_PERIOD.
    #[test]
    fn periods_are_validated(builtin in (0..BUILTINS.len()).prop_map(|i| BUILTINS[i]), p in any::<i64>()) {
        let count = builtin.signature().periods().count();
        let periods = vec![p; count];
        let min = if builtin == Builtin::RealizedVol { 2 } else { 1 };
        let ok = builtin.instantiate(&periods).is_ok();
        prop_assert_eq!(ok, count == 0 || (min..=signals::MAX_PERIOD as i64).contains(&p));
    }
}

#[test]
fn period_errors_are_clear() {
    let e = Builtin::Rsi.instantiate(&[0]).unwrap_err();
    assert_eq!(e.to_string(), "`rsi`: `period` must be at least 1, got 0");
    let e = Builtin::RealizedVol.instantiate(&[1]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`realized_vol`: `period` must be at least 2, got 1"
    );
    let e = Builtin::Macd.instantiate(&[12, -26, 9]).unwrap_err();
    assert_eq!(e.to_string(), "`macd`: `slow` must be at least 1, got -26");
    let e = Builtin::Sma.instantiate(&[1_000_000]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`sma`: `period` must be at most 100000, got 1000000"
    );
    let e = Builtin::Rsi.instantiate(&[]).unwrap_err();
    assert_eq!(e.to_string(), "`rsi` takes 1 period, got 0");
    let e = Builtin::MacdHist.instantiate(&[1]).unwrap_err();
    assert_eq!(e.to_string(), "`macd_hist` takes 3 periods, got 1");
    let e = Builtin::Ratio.compute(&[&[1.0]], &[]).unwrap_err();
    assert_eq!(e.to_string(), "`ratio` takes 2 series, got 1");
    assert!(Sma::new(0).is_err() && Ema::new(usize::MAX).is_err() && Rsi::new(0).is_err());
}

#[test]
fn builtin_table() {
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name()).collect();
    assert_eq!(
        names,
        [
            "sma",
            "ema",
            "rsi",
            "macd",
            "macd_signal",
            "macd_hist",
            "ratio",
            "realized_vol",
            "highest",
            "lowest"
        ]
    );
    for &b in BUILTINS {
        assert_eq!(signals::lookup(b.name()), Some(b));
        let sig = b.signature();
        // Series come first.
        let first_period = sig.params.iter().position(|p| p.kind != ParamKind::Series);
        assert!(
            sig.params[first_period.unwrap_or(sig.arity())..]
                .iter()
                .all(|p| p.kind != ParamKind::Series)
        );
    }
    assert_eq!(signals::lookup("RSI"), None);
    assert_eq!(signals::lookup("crosses above"), None);
    let macd = Builtin::MacdSignal.signature();
    assert_eq!(
        (macd.arity(), macd.series().count(), macd.periods().count()),
        (4, 1, 3)
    );
    let ratio = Builtin::Ratio.signature();
    assert_eq!((ratio.arity(), ratio.series().count()), (2, 2));
}

/// TA-Lib outputs 0 (not NaN, not 50) when the window is flat.
#[test]
fn rsi_of_a_flat_window_is_zero() {
    let flat = [5.0; 10];
    let out = signals::rsi(&flat, 3).unwrap();
    assert_eq!(out[..3], [None, None, None]);
    assert!(out[3..].iter().all(|v| *v == Some(0.0)));
    // It recovers once prices move.
    let mut rsi = Rsi::new(2).unwrap();
    for x in [5.0, 5.0, 5.0, 6.0] {
        rsi.update(x);
    }
    assert_eq!(rsi.update(6.0), Some(100.0));
}

#[test]
fn ratio_edge_cases() {
    assert_eq!(signals::ratio_of(1.0, 0.0), None);
    assert_eq!(signals::ratio_of(1.0, -0.0), None);
    assert_eq!(signals::ratio_of(f64::NAN, 2.0), None);
    assert_eq!(signals::ratio_of(1e308, 1e-10), None);
    assert_eq!(signals::ratio_of(0.0, 2.0), Some(0.0));
    assert_eq!(
        signals::ratio(&[1.0, 4.0, 9.0], &[2.0, 2.0]),
        [Some(0.5), Some(2.0), None]
    );
}

/// Huge values: the bar that would overflow is skipped, later bars go on.
#[test]
fn overflow_skips_the_bar() {
    let mut sma = Sma::new(2).unwrap();
    assert_eq!(sma.update(f64::MAX), None);
    assert_eq!(sma.update(f64::MAX), None, "MAX + MAX overflows: skipped");
    assert_eq!(sma.update(0.0), Some(f64::MAX / 2.0));
    let mut ema = Ema::new(2).unwrap();
    assert_eq!(ema.update(f64::MAX), None);
    assert_eq!(
        ema.update(f64::MAX),
        None,
        "MAX + MAX overflows the seed: skipped"
    );
    assert_eq!(ema.update(0.0), Some(f64::MAX / 2.0));
    assert_eq!(
        ema.update(-f64::MAX),
        None,
        "-MAX - MAX/2 overflows: skipped"
    );
    assert_eq!(ema.update(f64::MAX / 2.0), Some(f64::MAX / 2.0));
    // Period 1 is each input itself: nothing to overflow.
    let mut ema = Ema::new(1).unwrap();
    assert_eq!(ema.update(f64::MAX), Some(f64::MAX));
    assert_eq!(ema.update(-f64::MAX), Some(-f64::MAX));
}

/// `realized_vol` is its definition (the two-pass sample standard deviation
/// of the window's log returns, numpy's `std(ddof=1)`, times sqrt(252)) to
/// 1e-9 *relative*, on the bundled closes, and exactly 0 over a window of
/// equal returns. An O(1) update that subtracts the leaving return's share
/// cancels when the variance falls: on the real VIX3M, `realized_vol(vix3m,
/// 2)` on 2018-10-22 (two nearly equal returns, -0.0010076 and -0.0010086)
/// came out 8e-7 off relative, and a flat window after a volatile one was
/// not 0, so `realized_vol(x, n) == 0` was false.
#[test]
fn realized_vol_is_relatively_exact() {
    for name in ["vix3m", "spx", "vix"] {
        let series = match vixshield::market::bundled_series(name) {
            Some(Ok(series)) => series,
            other => panic!("bundled {name}: {other:?}"),
        };
        for n in [2, 3, 5, 10, 21] {
            let ours = signals::realized_vol(&series.close, n).unwrap();
            let want = reference::realized_vol(&series.close, n);
            for (t, (o, w)) in ours.iter().zip(&want).enumerate() {
                let ok = match (o, w) {
                    (Some(o), Some(w)) => (o - w).abs() <= 1e-9 * w.abs(),
                    (o, w) => o.is_none() && w.is_none(),
                };
                assert!(
                    ok,
                    "realized_vol({name}, {n}) on {}: {o:?}, definition {w:?}",
                    series.dates[t]
                );
            }
        }
    }
    // Two rises, then flat: from bar n + 2 on, the window's returns are all
    // 0 (the sliding update gave 3.0e-8 at n = 3 and 1.7e-8 at n = 4).
    let xs = [10.0, 11.0, 13.0, 13.0, 13.0, 13.0, 13.0];
    for n in 2..=4 {
        let out = signals::realized_vol(&xs, n).unwrap();
        assert_eq!(out[n + 2..], vec![Some(0.0); 5 - n], "n = {n}: {out:?}");
    }
}

#[allow(
    clippy::needless_range_loop,
    reason = "the reference models index like the formulas"
)]
mod reference {
    //! Naive definitions, written for clarity, not speed.

    pub fn sma(xs: &[f64], n: usize) -> Vec<Option<f64>> {
        (0..xs.len())
            .map(|t| (t + 1 >= n).then(|| xs[t + 1 - n..=t].iter().sum::<f64>() / n as f64))
            .collect()
    }

    /// EMA with seed at `seed_end` = mean of the `n` values ending there.
    fn ema_from(xs: &[f64], n: usize, seed_end: usize) -> Vec<Option<f64>> {
        let k = 2.0 / (n as f64 + 1.0);
        let mut out = vec![None; xs.len()];
        if seed_end >= xs.len() || seed_end + 1 < n {
            return out;
        }
        let mut e = xs[seed_end + 1 - n..=seed_end].iter().sum::<f64>() / n as f64;
        out[seed_end] = Some(e);
        for t in seed_end + 1..xs.len() {
            e += k * (xs[t] - e);
            out[t] = Some(e);
        }
        out
    }

    pub fn ema(xs: &[f64], n: usize) -> Vec<Option<f64>> {
        ema_from(xs, n, n - 1)
    }

    pub fn rsi(xs: &[f64], n: usize) -> Vec<Option<f64>> {
        let mut out = vec![None; xs.len()];
        if xs.len() <= n {
            return out;
        }
        let change = |t: usize| xs[t] - xs[t - 1];
        let mut gain = (1..=n).map(|t| change(t).max(0.0)).sum::<f64>() / n as f64;
        let mut loss = (1..=n).map(|t| (-change(t)).max(0.0)).sum::<f64>() / n as f64;
        let value = |g: f64, l: f64| {
            if g + l == 0.0 {
                0.0
            } else {
                100.0 - 100.0 / (1.0 + g / l)
            }
        };
        out[n] = Some(value(gain, loss));
        for t in n + 1..xs.len() {
            gain = (gain * (n - 1) as f64 + change(t).max(0.0)) / n as f64;
            loss = (loss * (n - 1) as f64 + (-change(t)).max(0.0)) / n as f64;
            out[t] = Some(value(gain, loss));
        }
        out
    }

    pub fn macd(xs: &[f64], fast: usize, slow: usize, signal: usize) -> [Vec<Option<f64>>; 3] {
        let (fast, slow) = (fast.min(slow), fast.max(slow));
        let f = ema_from(xs, fast, slow - 1);
        let s = ema_from(xs, slow, slow - 1);
        let line: Vec<f64> = f
            .iter()
            .zip(&s)
            .filter_map(|(f, s)| Some((*f)? - (*s)?))
            .collect();
        let sig = ema_from(&line, signal, signal - 1);
        let mut out = [
            vec![None; xs.len()],
            vec![None; xs.len()],
            vec![None; xs.len()],
        ];
        for (j, g) in sig.iter().enumerate() {
            if let Some(g) = g {
                let t = slow - 1 + j;
                out[0][t] = Some(line[j]);
                out[1][t] = Some(*g);
                out[2][t] = Some(line[j] - g);
            }
        }
        out
    }

    pub fn realized_vol(xs: &[f64], n: usize) -> Vec<Option<f64>> {
        (0..xs.len())
            .map(|t| {
                (t >= n).then(|| {
                    let r: Vec<f64> = (t + 1 - n..=t).map(|i| (xs[i] / xs[i - 1]).ln()).collect();
                    let mean = r.iter().sum::<f64>() / n as f64;
                    let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
                    var.sqrt() * 252f64.sqrt()
                })
            })
            .collect()
    }
}
