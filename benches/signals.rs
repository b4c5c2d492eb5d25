//! Benchmarks: the built-ins the SPX Mastery strategy uses over the full VIX
//! history (target: at most 2 ms together), loading the bundled data
//! (target: at most 20 ms), and the evaluator's market phase: loading the
//! bundled data and computing every market node of spx-mastery through
//! `MarketValues::compute`.
//!
//! `cargo bench --bench signals`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmarks fail by panicking"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vixshield::check::{self, Env};
use vixshield::compile::compile;
use vixshield::eval::MarketValues;
use vixshield::market::{Calendar, Market};
use vixshield::signals::{self, Builtin};
use vixshield::source::SourceFile;

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

/// spx-mastery's rule graph: its market nodes are the series, the built-ins of
/// its trigger and `theta_press`, the comparisons, and the FOMC/CPI/PPI window.
fn spx_mastery_graph() -> vixshield::graph::Graph {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/strategies/spx-mastery.vxs");
    let src = SourceFile::from_bytes(path, &std::fs::read(path).unwrap());
    let strategy = check::check_source(&src, &Env::default()).strategy.unwrap();
    compile(&strategy, &[]).unwrap().graph
}

fn bench_market_values(c: &mut Criterion) {
    let graph = spx_mastery_graph();
    let market = Market::bundled().unwrap();
    let calendar = Calendar::bundled().unwrap();
    let mut group = c.benchmark_group("market phase, spx-mastery");
    group.bench_function(
        "MarketValues::compute (every market node, 9,235 bars)",
        |b| b.iter(|| MarketValues::compute(black_box(&graph), &market, &calendar, None).unwrap()),
    );
    group.bench_function(
        "load bundled data + calendar + MarketValues::compute",
        |b| {
            b.iter(|| {
                let market = Market::bundled().unwrap();
                let calendar = Calendar::bundled().unwrap();
                MarketValues::compute(black_box(&graph), &market, &calendar, None).unwrap()
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench_signals, bench_load, bench_market_values);
criterion_main!(benches);
