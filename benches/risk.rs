//! Risk and sweeps (BENCHMARKS.md, "Risk and sweeps"):
//!
//! - the exact losing-run probability for N = 100,000 and K = 10 (target ≤ 10 ms);
//! - a Monte Carlo of 1,000,000 trades through the sizing engine
//!   (1,000 paths × 1,000 trades; target ≤ 1 s on 2 cores);
//! - a sweep of 8 variants of spx-mastery over the full bundled history, to
//!   extrapolate the 1,000-variant target (≤ 30 s on 2 cores).
//!
//! Run: `cargo bench --bench risk`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vixshield::backtest::{self, Config};
use vixshield::check::{Env, check_source};
use vixshield::compile::compile;
use vixshield::eval::MarketValues;
use vixshield::market::{Calendar, Market};
use vixshield::risk::{exact, monte_carlo};
use vixshield::source::SourceFile;
use vixshield::sweep::{self, Grid, Plan, Rank, Runner};

fn source(path: &str) -> SourceFile {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_default();
    SourceFile::new(path, text)
}

fn exact_odds(c: &mut Criterion) {
    c.bench_function("exact P(run of 10) in 100,000 trades", |b| {
        b.iter(|| exact::losing_run(black_box(0.25), black_box(10), black_box(100_000)))
    });
    c.bench_function("exact E[stopped cycles], K 10, N 100,000", |b| {
        b.iter(|| {
            exact::expected_stopped_cycles(black_box(0.25), black_box(10), black_box(100_000))
        })
    });
    c.bench_function("exact P(run of 4) in 100,000 trades", |b| {
        b.iter(|| exact::losing_run(black_box(0.25), black_box(4), black_box(100_000)))
    });
}

fn monte_carlo(c: &mut Criterion) {
    let src = source("strategies/spx-mastery.vxs");
    let Some(s) = check_source(&src, &Env::default()).strategy else {
        return;
    };
    let Ok(compiled) = compile(&s, &[]) else {
        return;
    };
    let (Ok(market), Ok(calendar)) = (Market::bundled(), Calendar::bundled()) else {
        return;
    };
    let Ok(values) = MarketValues::compute(&compiled.graph, &market, &calendar, None) else {
        return;
    };
    let Ok(bt) = backtest::run(
        &s,
        &compiled,
        &market,
        &values,
        &Config::default(),
        |_, _| {},
    ) else {
        return;
    };
    let samples = monte_carlo::samples(&bt);
    let cfg = monte_carlo::Config {
        paths: 1_000,
        trades: 1_000,
        seed: 1,
        ruin_level: 0.5,
        run: 4,
        block: 1,
    };
    let mut g = c.benchmark_group("monte carlo");
    g.sample_size(10);
    g.bench_function("1,000 paths x 1,000 trades through the engine", |b| {
        b.iter(|| monte_carlo::run(&s, &compiled, &samples, black_box(&cfg), &|| {}))
    });
    g.finish();
}

fn sweeps(c: &mut Criterion) {
    let src = source("tests/fixtures/strategies/spx-mastery-params.vxs");
    let env = Env::default();
    let (Ok(market), Ok(calendar)) = (Market::bundled(), Calendar::bundled()) else {
        return;
    };
    let config = Config::default();
    let axes = ["mult=1.4x..2.0x:0.2x", "take=40%..60%:20%"]
        .iter()
        .filter_map(|s| sweep::parse_set(s).ok())
        .collect();
    let Ok(grid) = Grid::new(axes) else { return };
    let runner = Runner {
        source: &src,
        env: &env,
        plugins: &vixshield::plugin::PluginSetup::empty(),
        market: &market,
        calendar: &calendar,
        config: &config,
    };
    let plan = Plan {
        name: "bench",
        grid: &grid,
        rank: Rank {
            metric: "cagr".into(),
            better: sweep::Better::Higher,
        },
        shard: None,
    };
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    g.bench_function("8 variants over the full history", |b| {
        b.iter(|| sweep::run(&runner, &plan, &|| {}))
    });
    g.bench_function("1 variant over the full history (one core)", |b| {
        b.iter(|| runner.report(&grid.variant(0), None))
    });
    g.finish();
}

criterion_group!(benches, exact_odds, monte_carlo, sweeps);
criterion_main!(benches);
