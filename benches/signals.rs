//! Benchmarks: the built-ins the SPX Mastery strategy uses over the full VIX
//! history (target: at most 2 ms together), and loading the bundled data
//! (target: at most 20 ms).
//!
//! `cargo bench --bench signals`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail by panicking"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vixshield::market::{Calendar, Market};
use vixshield::signals::{self, Builtin};

/// VIX and VIX3M closes on the VIX calendar (9,235 bars; VIX3M `NaN` where missing).
fn closes() -> (Vec<f64>, Vec<f64>) {
    let market = Market::bundled().unwrap();
    let vix = market.get("vix").unwrap().close().to_vec();
    let vix3m = market.get("vix3m").unwrap().close().to_vec();
    (vix, vix3m)
}

/// `ema(vix, 10)`, `rsi(vix, 14)`, `macd` and `macd_signal(vix, 12, 26, 9)`,
/// `ratio(vix, vix3m)`: one full pass each.
fn spx_mastery(vix: &[f64], vix3m: &[f64]) -> usize {
    let outputs = [
        signals::ema(vix, 10).unwrap(),
        signals::rsi(vix, 14).unwrap(),
        signals::macd(vix, 12, 26, 9).unwrap(),
        signals::macd_signal(vix, 12, 26, 9).unwrap(),
        signals::ratio(vix, vix3m),
    ];
    outputs.iter().map(Vec::len).sum()
}

fn bench_signals(c: &mut Criterion) {
    let (vix, vix3m) = closes();
    assert_eq!(vix.len(), 9_235);
    let mut group = c.benchmark_group("signals over 9,235 VIX bars");
    group.bench_function("spx-mastery built-ins (all five)", |b| {
        b.iter(|| spx_mastery(black_box(&vix), black_box(&vix3m)))
    });
    group.bench_function("ema(vix, 10)", |b| {
        b.iter(|| signals::ema(black_box(&vix), 10))
    });
    group.bench_function("rsi(vix, 14)", |b| {
        b.iter(|| signals::rsi(black_box(&vix), 14))
    });
    group.bench_function("macd(vix, 12, 26, 9)", |b| {
        b.iter(|| signals::macd(black_box(&vix), 12, 26, 9))
    });
    group.bench_function("ratio(vix, vix3m)", |b| {
        b.iter(|| signals::ratio(black_box(&vix), black_box(&vix3m)))
    });
    group.bench_function("evaluator path: Builtin::instantiate + update", |b| {
        b.iter(|| {
            let mut s = Builtin::MacdSignal.instantiate(&[12, 26, 9]).unwrap();
            black_box(&vix)
                .iter()
                .filter_map(|&x| s.update(&[x]))
                .count()
        })
    });
    group.finish();
}

fn bench_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("bundled data");
    group.bench_function("Market::bundled (vix, vix3m, spx)", |b| {
        b.iter(|| Market::bundled().unwrap())
    });
    group.bench_function("Calendar::bundled (FOMC, CPI, PPI)", |b| {
        b.iter(|| Calendar::bundled().unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_signals, bench_load);
criterion_main!(benches);
