//! `vixshield check` on a generated 10,000-line strategy file (target: at most 50 ms).
//!
//! Run: `cargo bench --bench check`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vixshield::check::{self, Env};
use vixshield::source::SourceFile;

/// The canonical strategy, then hedge layers and signals until the file has `lines` lines.
fn generated(lines: usize) -> String {
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/strategies/spx-mastery.vxs"
    ))
    .unwrap_or_default();
    let mut i = 0;
    while text.lines().count() < lines {
        text.push_str(&format!(
            "\n// layer {i}\nsignal fear{i} = rsi(vix, {p}) > 70 and ratio(vix, vix3m) > 1.0{d}\n\nhedge layer{i} {{\n    instrument = vix_calls\n    dte = 14d..30d\n    allocation = 1% of size\n    active = from step {s}\n    trigger = fear{i} or macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9)\n}}\n",
            p = 2 + i % 20,
            d = i % 10,
            s = 1 + i % 4,
        ));
        i += 1;
    }
    text
}

fn bench(c: &mut Criterion) {
    let text = generated(10_000);
    assert!(text.lines().count() >= 10_000);
    let src = SourceFile::new("generated.vxs", text);
    let env = Env::default();
    let checked = check::check_source(&src, &env);
    assert!(
        checked.strategy.is_some(),
        "the generated file checks clean"
    );
    c.bench_function("check 10,000-line strategy", |b| {
        b.iter(|| check::check_source(black_box(&src), &env))
    });
    c.bench_function("parse 10,000-line strategy", |b| {
        b.iter(|| vixshield::parse::parse(black_box(&src)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
