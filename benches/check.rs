//! `vixshield check` on a generated 10,000-line strategy file (target: at most 50 ms,
//! for the command).
//!
//! Run: `cargo bench --bench check`. The benchmark also writes the file to
//! `target/tmp/check-10000.vxs` (and a copy with one syntax error to
//! `target/tmp/check-10000-error.vxs`), for `hyperfine` or `valgrind`:
//!
//! ```sh
//! hyperfine -N 'target/release/vixshield check target/tmp/check-10000.vxs'
//! valgrind --tool=callgrind target/release/vixshield check target/tmp/check-10000.vxs
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use vixshield::check::{self, Env};
use vixshield::source::SourceFile;

/// The canonical strategy, then hedge layers and signals until the file has
/// `lines` lines: each layer a comment, a signal (RSI and a VIX/VIX3M ratio),
/// a blank line and a five-setting hedge section with a MACD-crossover trigger.
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

/// Writes `text` to `target/tmp/NAME` and gives the path.
fn write(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("cannot write {}: {e}", path.display());
    }
    path
}

fn bench(c: &mut Criterion) {
    let text = generated(10_000);
    assert!(text.lines().count() >= 10_000);
    // One syntax error in a value half-way down (`allocation = 1% of`).
    let at = text
        .get(text.len() / 2..)
        .and_then(|rest| rest.find("1% of size"))
        .map_or(0, |i| i + text.len() / 2);
    let broken = format!(
        "{}1% of{}",
        text.get(..at).unwrap_or(""),
        text.get(at + "1% of size".len()..).unwrap_or("")
    );
    let clean_path = write("check-10000.vxs", &text);
    let broken_path = write("check-10000-error.vxs", &broken);

    let src = SourceFile::new("generated.vxs", text);
    let env = Env::default();
    let checked = check::check_source(&src, &env);
    assert!(
        checked.strategy.is_some(),
        "the generated file checks clean"
    );
    let broken_src = SourceFile::new("generated.vxs", broken);
    assert_eq!(check::check_source(&broken_src, &env).diagnostics.len(), 1);

    c.bench_function("check 10,000-line strategy", |b| {
        b.iter(|| check::check_source(black_box(&src), &env))
    });
    c.bench_function("check 10,000-line strategy, one syntax error", |b| {
        b.iter(|| check::check_source(black_box(&broken_src), &env))
    });
    c.bench_function("parse 10,000-line strategy", |b| {
        b.iter(|| vixshield::parse::parse(black_box(&src)))
    });
    c.bench_function("parse 10,000-line strategy, full grammar only", |b| {
        b.iter(|| vixshield::parse::parse_full(black_box(&src)))
    });
    for (name, path) in [
        (
            "vixshield check, 10,000-line strategy (whole process)",
            &clean_path,
        ),
        (
            "vixshield check, 10,000-line strategy with one syntax error (whole process)",
            &broken_path,
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                Command::new(env!("CARGO_BIN_EXE_vixshield"))
                    .arg("check")
                    .arg(path)
                    .output()
                    .map(|o| o.stderr.len())
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
