//! The sizing engine per journal row (target: at most 200 ns for spx-mastery),
//! beside a hand-written Rust implementation of the same progression as the
//! baseline (target: engine ≤ 3× baseline).
//!
//! Run: `cargo bench --bench engine`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::{Decimal, RoundingStrategy};
use std::hint::black_box;
use vixshield::check::{self, Env};
use vixshield::compile::compile;
use vixshield::eval::{ClosedTrade, Engine};
use vixshield::source::SourceFile;

const ROWS: usize = 100_000;

/// A deterministic journal: about 3 wins in 4 (averaging $400 against $1,000
/// for a loss), with credits. The drift is positive, so the account is never
/// ruined and every guard does its arithmetic on every row (an earlier
/// journal drifted below zero after ~1,600 rows, and the WACC guard then
/// answered "equity at or below zero" without computing).
fn journal() -> Vec<ClosedTrade> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let start = NaiveDate::from_ymd_opt(2000, 1, 3).unwrap_or_default();
    (0..ROWS)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let win = !x.is_multiple_of(4);
            let cents = (x >> 8) % 200_000;
            ClosedTrade {
                date: start + chrono::Days::new(i as u64),
                pnl: if win {
                    Decimal::new(cents as i64 * 2 / 5, 2)
                } else {
                    -Decimal::new(cents as i64, 2)
                },
                credit: Some(Decimal::new(150_000, 2)),
                hedge_pnl: None,
            }
        })
        .collect()
}

/// The same progression written by hand for spx-mastery: base 1% of $100,000,
/// 1.8x then 1.6x, 4 steps, reset on win, nearest $100, cap 10% of capital,
/// max loss 90% / 65% of the credit, hedge layers of 15% (every step) and 10%
/// (from step 3) of the size. The same outputs as the engine's decision.
fn baseline(trades: &[ClosedTrade]) -> Decimal {
    let (base, cap, inc) = (
        Decimal::from(1000),
        Decimal::from(10_000),
        Decimal::from(100),
    );
    let mults = [
        Decimal::new(18, 1),
        Decimal::new(16, 1),
        Decimal::new(16, 1),
    ];
    let max_loss = [
        Decimal::new(90, 2),
        Decimal::new(90, 2),
        Decimal::new(65, 2),
        Decimal::new(65, 2),
    ];
    let (front, back) = (Decimal::new(15, 2), Decimal::new(10, 2));
    let (mut step, mut size, mut equity, mut total) =
        (1usize, base, Decimal::from(100_000), Decimal::ZERO);
    for t in trades {
        equity += t.pnl;
        if t.pnl < Decimal::ZERO && step < 4 {
            let raw = size * mults[step - 1];
            let rounded =
                (raw / inc).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * inc;
            size = rounded.min(cap);
            step += 1;
        } else {
            step = 1;
            size = base;
        }
        let loss = t.credit.map(|c| c * max_loss[step - 1]).unwrap_or_default();
        let hedge = size * front
            + if step >= 3 {
                size * back
            } else {
                Decimal::ZERO
            };
        total += size + loss + hedge;
    }
    total + equity
}

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/strategies/spx-mastery.vxs");
    let src = SourceFile::from_bytes(path, &std::fs::read(path).unwrap_or_default());
    let strategy = check::check_source(&src, &Env::default())
        .strategy
        .expect("checks");
    let compiled = compile(&strategy, &[]).expect("compiles");
    let trades = journal();
    let mut group = c.benchmark_group("sizing");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("engine, spx-mastery, per 100k rows", |b| {
        b.iter(|| {
            let mut engine = Engine::new(&strategy, &compiled, None);
            let mut size = engine.next_decision(None).expect("decides").size;
            for t in black_box(&trades) {
                engine.apply(t).expect("applies");
                size = engine.next_decision(t.credit).expect("decides").size;
            }
            size
        })
    });
    group.bench_function("hand-written baseline, per 100k rows", |b| {
        b.iter(|| baseline(black_box(&trades)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
