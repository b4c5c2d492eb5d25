//! `vixshield run` on a 1,000,000-row journal with CSV output, against a
//! hand-written Rust program that reads the same journal and writes the same
//! CSV (the same columns, numbers and derivation text) for spx-mastery.
//! Target: vixshield at most 3× the baseline.
//!
//! Run: `cargo bench --bench run_process`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::{Decimal, RoundingStrategy};
use std::io::Write;
use std::process::Command;
use vixshield::money::fmt_money;

const ROWS: usize = 1_000_000;

fn journal(path: &std::path::Path) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let _ = writeln!(w, "date,pnl,credit");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 3).unwrap_or_default();
    for i in 0..ROWS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let cents = (x >> 8) % 200_000;
        let pnl = if !x.is_multiple_of(4) {
            Decimal::new(cents as i64 / 4, 2)
        } else {
            -Decimal::new(cents as i64, 2)
        };
        let _ = writeln!(
            w,
            "{},{pnl},1500",
            start + chrono::Days::new((i / 3) as u64)
        );
    }
}

/// The hand-written baseline: read, size by hand, write the same CSV.
fn baseline(input: &std::path::Path, output: &std::path::Path) {
    let mut rdr = csv::Reader::from_path(input).expect("read");
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(
        std::fs::File::create(output).expect("create"),
    ));
    let _ = w.write_record([
        "trade",
        "date",
        "event",
        "pnl",
        "step",
        "size",
        "capped",
        "max_loss_pct",
        "max_loss",
        "equity",
        "cycle_pnl",
        "hedge_front",
        "hedge_front_trigger",
        "hedge_back",
        "hedge_back_trigger",
        "roll",
        "derivation",
    ]);
    let (base, inc, cap) = (
        Decimal::from(1000),
        Decimal::from(100),
        Decimal::from(10_000),
    );
    let mults = [
        Decimal::new(18, 1),
        Decimal::new(16, 1),
        Decimal::new(16, 1),
    ];
    let ml = [
        Decimal::new(90, 2),
        Decimal::new(90, 2),
        Decimal::new(65, 2),
        Decimal::new(65, 2),
    ];
    let (mut step, mut size, mut equity, mut cycle) =
        (1usize, base, Decimal::from(100_000), Decimal::ZERO);
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.expect("record");
        let pnl: Decimal = rec.get(1).and_then(|s| s.parse().ok()).unwrap_or_default();
        let credit: Decimal = rec.get(2).and_then(|s| s.parse().ok()).unwrap_or_default();
        equity += pnl;
        cycle += pnl;
        let (event, derivation);
        if step == 4 || pnl >= Decimal::ZERO {
            event = if step == 4 && cycle < Decimal::ZERO {
                "stopped_out"
            } else {
                "win"
            };
            step = 1;
            size = base;
            cycle = Decimal::ZERO;
            derivation = format!(
                "trade {}: {event} {} → step 1 | step 1: base 1% of capital = $1,000 → nearest $100 = $1,000 (cap $10,000 not binding); max loss 90% of credit (at steps 1..2) = 90% of {} credit = {}",
                i + 1,
                fmt_money(pnl),
                fmt_money(credit),
                fmt_money(credit * ml[0])
            );
        } else {
            let raw = size * mults[step - 1];
            let rounded =
                (raw / inc).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * inc;
            let prev = size;
            size = rounded.min(cap);
            step += 1;
            event = "loss";
            derivation = format!(
                "trade {}: loss {} → step {step} | step {step}: {} × {} = {} → nearest $100 = {} (cap $10,000 not binding); max loss {}% of credit = {}",
                i + 1,
                fmt_money(pnl),
                fmt_money(prev),
                mults[step - 2].normalize(),
                fmt_money(raw),
                fmt_money(size),
                (ml[step - 1] * Decimal::ONE_HUNDRED).normalize(),
                fmt_money(credit * ml[step - 1])
            );
        }
        let front = (size * Decimal::new(15, 2)).normalize();
        let back = if step >= 3 {
            (size * Decimal::new(10, 2)).normalize()
        } else {
            Decimal::ZERO
        };
        let _ = w.write_record([
            (i + 1).to_string(),
            rec.get(0).unwrap_or("").to_string(),
            event.to_string(),
            pnl.normalize().to_string(),
            step.to_string(),
            size.to_string(),
            "false".into(),
            ml[step - 1].normalize().to_string(),
            (credit * ml[step - 1]).normalize().to_string(),
            equity.normalize().to_string(),
            cycle.normalize().to_string(),
            front.to_string(),
            "unknown".into(),
            back.to_string(),
            "always".into(),
            "0".into(),
            derivation,
        ]);
    }
    let _ = w.flush();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("journal.csv");
    let out = dir.path().join("out.csv");
    journal(&input);
    let strategy = concat!(env!("CARGO_MANIFEST_DIR"), "/strategies/spx-mastery.vxs");
    let mut g = c.benchmark_group("run 1,000,000-row journal to CSV");
    g.sample_size(10);
    g.bench_function("vixshield run --format csv --no-market", |b| {
        b.iter(|| {
            Command::new(env!("CARGO_BIN_EXE_vixshield"))
                .args(["run", strategy, "--journal"])
                .arg(&input)
                .args(["--format", "csv", "--no-market", "--out"])
                .arg(&out)
                .status()
                .map(|s| s.success())
        })
    });
    g.bench_function("hand-written baseline", |b| {
        b.iter(|| baseline(&input, &out))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
