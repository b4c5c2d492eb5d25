//! Differential tests: every built-in against the real TA-Lib (and numpy for
//! `realized_vol`) on the full VIX history, warm-up index included.
//!
//! The fixtures come from `scripts/gen_talib_fixtures.py`. The committed ones
//! hold every bar of the warm-up and the first values, then every 10th bar
//! and the last 60; the indicators run over all 9,235 bars either way. Set
//! `VIXSHIELD_TALIB_FIXTURES=DIR` to compare against a `--full` set instead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::path::PathBuf;

use vixshield::market::{Series, bundled_series};
use vixshield::signals::{self, Builtin};

const TOLERANCE: f64 = 1e-9;
/// Rows the generator writes for every bar at the start of each fixture.
const WARMUP_ROWS: usize = 120;

fn vix() -> Series {
    match bundled_series("vix") {
        Some(Ok(series)) => series,
        other => panic!("bundled vix: {other:?}"),
    }
}

fn fixture_dir() -> PathBuf {
    std::env::var_os("VIXSHIELD_TALIB_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/talib"))
}

/// (bar, expected) rows of a fixture, bars located by date in the VIX series.
fn fixture(name: &str, series: &Series) -> Vec<(usize, Option<f64>)> {
    let path = fixture_dir().join(format!("{name}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("date,value"), "{name}: header");
    let rows: Vec<(usize, Option<f64>)> = lines
        .map(|line| {
            let (date, value) = line
                .split_once(',')
                .unwrap_or_else(|| panic!("{name}: `{line}`"));
            let date = date
                .parse()
                .unwrap_or_else(|e| panic!("{name}: `{date}`: {e}"));
            let bar = series
                .dates
                .binary_search(&date)
                .unwrap_or_else(|_| panic!("{name}: {date} is not a VIX date"));
            let value = (!value.is_empty()).then(|| {
                value
                    .parse::<f64>()
                    .unwrap_or_else(|e| panic!("{name}: `{value}`: {e}"))
            });
            (bar, value)
        })
        .collect();
    // The warm-up is covered bar by bar, so the first value's index is checked exactly.
    let head: Vec<usize> = rows.iter().take(WARMUP_ROWS).map(|(bar, _)| *bar).collect();
    assert_eq!(
        head,
        (0..WARMUP_ROWS).collect::<Vec<_>>(),
        "{name}: warm-up rows"
    );
    assert_eq!(
        rows.last().map(|r| r.0),
        Some(series.len() - 1),
        "{name}: last bar"
    );
    rows
}

/// Asserts `ours` matches the fixture: `None` exactly where TA-Lib has NaN,
/// values within [`TOLERANCE`]. Returns how many values were bit-identical.
fn check(name: &str, ours: &[Option<f64>]) {
    let series = vix();
    assert_eq!(ours.len(), series.len(), "{name}: one output per bar");
    let rows = fixture(name, &series);
    let (mut exact, mut worst) = (0, 0.0f64);
    for &(bar, expected) in &rows {
        let got = ours[bar];
        match (got, expected) {
            (None, None) => {}
            (Some(g), Some(e)) => {
                let diff = (g - e).abs();
                assert!(
                    diff <= TOLERANCE,
                    "{name}: bar {bar} ({}): got {g:?}, TA-Lib {e:?}",
                    series.dates[bar]
                );
                worst = worst.max(diff);
                exact += usize::from(g.to_bits() == e.to_bits());
            }
            _ => panic!(
                "{name}: bar {bar} ({}): got {got:?}, TA-Lib {expected:?}",
                series.dates[bar]
            ),
        }
    }
    let values = rows.iter().filter(|r| r.1.is_some()).count();
    eprintln!(
        "{name}: {} rows, {exact}/{values} values bit-identical, max |diff| {worst:e}",
        rows.len()
    );
}

/// Checks a built-in both through its batch helper and through
/// [`Builtin::compute`] (the evaluator's path).
fn check_both(name: &str, batch: Vec<Option<f64>>, builtin: Builtin, periods: &[i64]) {
    check(name, &batch);
    let close = vix().close;
    let dynamic = builtin
        .compute(&[&close], periods)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        batch, dynamic,
        "{name}: Builtin::compute differs from the batch helper"
    );
}

#[test]
fn sma_10() {
    let close = vix().close;
    check_both(
        "sma_10",
        signals::sma(&close, 10).unwrap(),
        Builtin::Sma,
        &[10],
    );
}

#[test]
fn ema_10_and_26() {
    let close = vix().close;
    check_both(
        "ema_10",
        signals::ema(&close, 10).unwrap(),
        Builtin::Ema,
        &[10],
    );
    check_both(
        "ema_26",
        signals::ema(&close, 26).unwrap(),
        Builtin::Ema,
        &[26],
    );
}

#[test]
fn rsi_14_and_2() {
    let close = vix().close;
    check_both(
        "rsi_14",
        signals::rsi(&close, 14).unwrap(),
        Builtin::Rsi,
        &[14],
    );
    check_both(
        "rsi_2",
        signals::rsi(&close, 2).unwrap(),
        Builtin::Rsi,
        &[2],
    );
}

#[test]
fn macd_12_26_9() {
    let close = vix().close;
    let p = [12, 26, 9];
    check_both(
        "macd_12_26_9",
        signals::macd(&close, 12, 26, 9).unwrap(),
        Builtin::Macd,
        &p,
    );
    check_both(
        "macd_signal_12_26_9",
        signals::macd_signal(&close, 12, 26, 9).unwrap(),
        Builtin::MacdSignal,
        &p,
    );
    check_both(
        "macd_hist_12_26_9",
        signals::macd_hist(&close, 12, 26, 9).unwrap(),
        Builtin::MacdHist,
        &p,
    );
}

/// TA-Lib swaps fast and slow when fast > slow.
#[test]
fn macd_swaps_fast_and_slow() {
    let close = vix().close;
    let p = [26, 12, 9];
    check_both(
        "macd_26_12_9",
        signals::macd(&close, 26, 12, 9).unwrap(),
        Builtin::Macd,
        &p,
    );
    check_both(
        "macd_signal_26_12_9",
        signals::macd_signal(&close, 26, 12, 9).unwrap(),
        Builtin::MacdSignal,
        &p,
    );
    assert_eq!(
        signals::macd(&close, 26, 12, 9).unwrap(),
        signals::macd(&close, 12, 26, 9).unwrap()
    );
}

#[test]
fn max_and_min_20() {
    let close = vix().close;
    check_both(
        "max_20",
        signals::highest(&close, 20).unwrap(),
        Builtin::Highest,
        &[20],
    );
    check_both(
        "min_20",
        signals::lowest(&close, 20).unwrap(),
        Builtin::Lowest,
        &[20],
    );
}

#[test]
fn realized_vol_20_matches_numpy() {
    let close = vix().close;
    check_both(
        "realized_vol_20",
        signals::realized_vol(&close, 20).unwrap(),
        Builtin::RealizedVol,
        &[20],
    );
}

/// The warm-up lengths the module documents, on the real data.
#[test]
fn first_values_are_where_ta_lib_puts_them() {
    let close = vix().close;
    let first = |xs: Vec<Option<f64>>| xs.iter().position(Option::is_some);
    assert_eq!(first(signals::sma(&close, 10).unwrap()), Some(9));
    assert_eq!(first(signals::ema(&close, 26).unwrap()), Some(25));
    assert_eq!(first(signals::rsi(&close, 14).unwrap()), Some(14));
    assert_eq!(first(signals::macd(&close, 12, 26, 9).unwrap()), Some(33));
    assert_eq!(
        first(signals::macd_hist(&close, 12, 26, 9).unwrap()),
        Some(33)
    );
    assert_eq!(first(signals::highest(&close, 20).unwrap()), Some(19));
    assert_eq!(first(signals::realized_vol(&close, 20).unwrap()), Some(20));
    assert_eq!(first(signals::ratio(&close, &close)), Some(0));
}

/// Period 1 makes k = 1: TA-Lib's MACD signal line of period 1 is the MACD
/// line itself and its histogram 0.0 on every bar, even where the line
/// jumps by seven orders of magnitude (a fused `(x - ema) * 1 + ema` would
/// round `x - ema` first and leave a histogram of an ulp of the previous
/// line: -7.45e-9 on bar 7). `ema(s, 1)`, which TA-Lib rejects, is `s`.
/// Expected values: `talib.MACD(xs, 2, 3, 1)` with TA-Lib 0.6 (C library
/// 0.8.1, Python binding 0.8.2), printed with repr().
#[test]
fn period_one_is_the_series_itself() {
    let xs = [
        0.0,
        73.00134225987507,
        390625000.0,
        157.87914173322895,
        0.0,
        1000.0,
        867.0932924291451,
        390625000.0,
    ];
    let talib_line = [
        None,
        None,
        Some(65104178.83355704),
        Some(26.313190303742886),
        Some(-10850700.857791215),
        Some(-9042088.433691062),
        Some(-5726645.702895279),
        Some(61838832.13765368),
    ];
    let talib_hist: Vec<Option<f64>> = talib_line.iter().map(|v| v.map(|_| 0.0)).collect();
    for (builtin, expected) in [
        (Builtin::Macd, talib_line.to_vec()),
        (Builtin::MacdSignal, talib_line.to_vec()),
        (Builtin::MacdHist, talib_hist),
    ] {
        let got = builtin.compute(&[&xs], &[2, 3, 1]).unwrap();
        let bits = |v: &[Option<f64>]| -> Vec<Option<u64>> {
            v.iter().map(|x| x.map(f64::to_bits)).collect()
        };
        assert_eq!(bits(&got), bits(&expected), "{builtin:?}(xs, 2, 3, 1)");
    }
    let exact: Vec<Option<f64>> = xs.iter().copied().map(Some).collect();
    assert_eq!(signals::ema(&xs, 1).unwrap(), exact);
    assert_eq!(Builtin::Ema.compute(&[&xs], &[1]).unwrap(), exact);
}

/// Every built-in at its edges, against `tests/fixtures/talib/edges.tsv`
/// (`scripts/gen_talib_edges.py`): flat, one spike, monotone, near-flat
/// (moves of 1e-9, under the 1e-8 that TA-Lib 0.4 called zero) and 1 to 3
/// bar series, at periods 1 (TA-Lib rejects it: the exact values from the
/// definition), 2, 3, the length less one, the length and one past it, and
/// MACD with fast == slow, fast > slow (the library swaps them as TA-Lib
/// does; the checker rejects both) and signal 1. The bars without a value
/// (TA-Lib's lookback) must match exactly, the values to 1e-12 relative.
#[test]
fn edges_match_talib() {
    let path = fixture_dir().join("edges.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let numbers = |field: &str| -> Vec<f64> {
        field
            .split(' ')
            .map(|v| v.parse::<f64>().unwrap_or_else(|e| panic!("`{v}`: {e}")))
            .collect()
    };
    let (mut lines, mut exact) = (0, 0);
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [call, source, input, expected] = fields[..] else {
            panic!("`{line}`: four fields");
        };
        let (name, args) = call.split_once("(s, ").unwrap();
        let periods: Vec<i64> = args
            .trim_end_matches(')')
            .split(", ")
            .map(|p| p.parse().unwrap())
            .collect();
        let builtin = signals::lookup(name).unwrap_or_else(|| panic!("{call}: no built-in"));
        let xs = numbers(input);
        let got = builtin
            .compute(&[&xs], &periods)
            .unwrap_or_else(|e| panic!("{call}: {e}"));
        let want = numbers(expected);
        assert_eq!(got.len(), want.len(), "{call} over {input}");
        for (bar, (g, w)) in got.iter().zip(&want).enumerate() {
            match (g, w.is_nan()) {
                (None, true) => {}
                (Some(g), false) => {
                    let scale = g.abs().max(w.abs());
                    assert!(
                        (g - w).abs() <= 1e-12 * scale,
                        "{call} ({source}) over {input}: bar {bar}: got {g:?}, expected {w:?}"
                    );
                    exact += usize::from(g.to_bits() == w.to_bits());
                }
                _ => panic!("{call} ({source}) over {input}: bar {bar}: got {g:?}, expected {w:?}"),
            }
        }
        lines += 1;
    }
    assert!(lines > 400, "{lines} cases");
    eprintln!("edges: {lines} cases, {exact} values bit-identical");
}
