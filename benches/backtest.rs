//! A backtest of spx-mastery over the full bundled history: engine time
//! (target ≤ 20 ms) and the whole process including loading data (≤ 150 ms).
//!
//! Run: `cargo bench --bench backtest`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::process::Command;
use vixshield::backtest::{self, Config};
use vixshield::check::{self, Env};
use vixshield::compile::compile;
use vixshield::eval::MarketValues;
use vixshield::market::{Calendar, Market};
use vixshield::source::SourceFile;

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/strategies/spx-mastery.vxs");
    let src = SourceFile::from_bytes(path, &std::fs::read(path).unwrap_or_default());
    let s = check::check_source(&src, &Env::default())
        .strategy
        .expect("checks");
    let compiled = compile(&s, &[]).expect("compiles");
    let market = Market::bundled().expect("bundled data");
    let calendar = Calendar::bundled().expect("calendar");
    let values = MarketValues::compute(&compiled.graph, &market, &calendar, None).expect("signals");
    let config = Config::default();
    let mut g = c.benchmark_group("backtest");
    g.sample_size(20);
    g.bench_function("spx-mastery, full history, engine", |b| {
        b.iter(|| {
            backtest::run(
                black_box(&s),
                &compiled,
                &market,
                &values,
                &config,
                |_, _| {},
            )
            .map(|bt| bt.trades.len())
        })
    });
    g.bench_function("spx-mastery, signals over the full history", |b| {
        b.iter(|| {
            MarketValues::compute(black_box(&compiled.graph), &market, &calendar, None)
                .map(|v| v.dates().len())
        })
    });
    g.bench_function(
        "spx-mastery, whole process (vixshield backtest --format json)",
        |b| {
            b.iter(|| {
                Command::new(env!("CARGO_BIN_EXE_vixshield"))
                    .args(["backtest", path, "--format", "json"])
                    .output()
                    .map(|o| o.stdout.len())
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
