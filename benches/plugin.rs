//! Plugin host benchmarks:
//! * `rsi/plugin_wilder_rsi`: the `wilder_rsi` plugin over the full VIX
//!   history (9,235 bars), module compiled and cached, fuel on; includes the
//!   per-computation instantiation and copying;
//! * `rsi/native`: the same RSI in plain Rust over the same data;
//! * `load/cold_compile`: loading (validating + compiling with Cranelift) the
//!   `wilder_rsi` plugin with an empty module cache;
//! * `load/cold_compile_48k`: the same for a generated ~48 KB module
//!   (hundreds of small numeric functions), near the 50 KB plugin size target;
//! * `load/cached`: loading it again (hash + cache hit).
//!
//! `cargo bench --bench plugin`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use vixshield::plugin::{HostConfig, Manifest, PluginHost, PluginRegistry};

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

/// A valid ABI-1 module of about 48 KB: the `const_one` fixture plus filler
/// functions with loops, loads, float arithmetic and branches.
fn big_module() -> Vec<u8> {
    let fixture = std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let body = fixture.trim_end().strip_suffix(')').unwrap().to_string();
    let mut wat = body;
    for i in 0..380 {
        wat.push_str(&format!(
            r#"
  (func $f{i} (param $p i32) (param $n i32) (result f64)
    (local $i i32) (local $acc f64) (local $x f64)
    (block $done (loop $l
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $x (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $acc (f64.add (f64.mul (local.get $acc) (f64.const 0.{i}))
                               (f64.div (local.get $x) (f64.const {i}.5))))
      (if (f64.lt (local.get $x) (local.get $acc))
        (then (local.set $acc (f64.sub (local.get $acc) (local.get $x)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $acc))"#
        ));
    }
    wat.push_str(")\n");
    wat::parse_str(&wat).unwrap()
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
    // Fixed cost per computation (instantiate, allocate, copy, call): 16 bars.
    let short = &closes[..16];
    g.bench_function("plugin_wilder_rsi_16_bars", |b| {
        b.iter(|| {
            plugin
                .compute(black_box(&[short]), black_box(&[14.0]))
                .unwrap()
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
    let big = big_module();
    let dir = tempfile::tempdir().unwrap();
    let big_manifest_path = dir.path().join("plugin.toml");
    std::fs::write(
        &big_manifest_path,
        "name = \"big\"\nversion = \"0\"\nabi = 1\nwasm = \"big.wasm\"\n\
         description = \"filler\"\ninputs = 1\noutput = \"number\"\n",
    )
    .unwrap();
    let big_manifest = Manifest::from_file(&big_manifest_path).unwrap();
    eprintln!("generated module: {} bytes", big.len());
    g.bench_function("cold_compile_48k", |b| {
        b.iter(|| {
            PluginHost::clear_module_cache();
            host.load_bytes(black_box(&big_manifest), black_box(&big))
                .unwrap()
        })
    });
    g.bench_function("cached", |b| {
        b.iter(|| host.load(black_box(&manifest)).unwrap())
    });
    g.finish();
}

criterion_group!(plugin, benches);
criterion_main!(plugin);
