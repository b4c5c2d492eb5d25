//! Plugin host benchmarks:
//! * `rsi/plugin_wilder_rsi`: the `wilder_rsi` plugin over the full VIX
//!   history (9,235 bars), module compiled and cached, fuel on; includes the
//!   per-computation instantiation and copying;
//! * `rsi/native`: the same RSI in plain Rust over the same data;
//! * `load/cold_compile`: loading (validating + compiling with Cranelift) the
//!   `wilder_rsi` plugin with an empty module cache;
//! * `load/cached`: loading it again (hash + cache hit).
//!
//! `cargo bench --bench plugin`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use vixshield::plugin::{HostConfig, PluginHost, PluginRegistry};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vix_closes() -> Vec<f64> {
    let mut rdr = csv::Reader::from_path(repo().join("data/vix-daily.csv")).unwrap();
    let ci = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "CLOSE")
        .unwrap();
    rdr.records()
        .map(|r| r.unwrap()[ci].parse::<f64>().unwrap())
        .collect()
}

/// Plain Rust RSI, TA-Lib classic (the same algorithm as the plugin).
fn native_rsi(x: &[f64], n: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(x.len(), f64::NAN);
    if x.len() <= n {
        return;
    }
    let p = n as f64;
    let (mut gain, mut loss) = (0.0_f64, 0.0_f64);
    for w in x[..=n].windows(2) {
        let d = w[1] - w[0];
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
    }
    gain /= p;
    loss /= p;
    let value = |g: f64, l: f64| {
        if g + l == 0.0 {
            0.0
        } else {
            100.0 * (g / (g + l))
        }
    };
    out[n] = value(gain, loss);
    let mut prev = x[n];
    for (&v, o) in x[n + 1..].iter().zip(&mut out[n + 1..]) {
        let d = v - prev;
        prev = v;
        gain *= p - 1.0;
        loss *= p - 1.0;
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
        gain /= p;
        loss /= p;
        *o = value(gain, loss);
    }
}

fn benches(c: &mut Criterion) {
    let closes = vix_closes();
    let host = PluginHost::new(HostConfig::default()).unwrap();
    let registry = PluginRegistry::from_dirs(vec![repo().join("plugins")]);
    let manifest = registry.lookup("wilder_rsi").unwrap().clone();
    let plugin = host.load(&manifest).unwrap();
    let wasm_size = std::fs::metadata(manifest.wasm_path()).unwrap().len();
    eprintln!("wilder_rsi.wasm: {wasm_size} bytes; {} bars", closes.len());

    let mut g = c.benchmark_group("rsi");
    g.bench_function("plugin_wilder_rsi", |b| {
        b.iter(|| {
            plugin
                .compute(black_box(&[&closes]), black_box(&[14.0]))
                .unwrap()
        })
    });
    let mut out = Vec::new();
    g.bench_function("native", |b| {
        b.iter(|| {
            native_rsi(black_box(&closes), black_box(14), &mut out);
            black_box(&out);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("load");
    g.bench_function("cold_compile", |b| {
        b.iter(|| {
            PluginHost::clear_module_cache();
            host.load(black_box(&manifest)).unwrap()
        })
    });
    g.bench_function("cached", |b| {
        b.iter(|| host.load(black_box(&manifest)).unwrap())
    });
    g.finish();
}

criterion_group!(plugin, benches);
criterion_main!(plugin);
