//! Plugin host benchmarks (`cargo bench --bench plugin`). Every computation
//! includes creating a fresh instance (from the pool), allocating, copying
//! the series in and out; fuel metering is always on.
//!
//! * `rsi/builtin`: the built-in `rsi(vix, 14)` over the full VIX history
//!   (9,235 bars): what the plugin is measured against;
//! * `rsi/native`: the same arithmetic as the plugin in plain Rust;
//! * `rsi/plugin_optimized`: the `wilder_rsi` plugin, compiled module cached,
//!   on the optimized tier (Cranelift): what a plugin computed repeatedly
//!   runs once [`Tiering::Adaptive`] has moved it up;
//! * `rsi/plugin_baseline`: the same on the baseline tier (Winch): what a
//!   command that computes a plugin once runs;
//! * `rsi/plugin_optimized_canonical_nans`: optimized, with NaN
//!   canonicalisation on (`vixshield.toml` `[plugins] canonicalize_nans`);
//! * `rsi/plugin_optimized_16_bars`: the fixed cost of one computation;
//! * `per_bar/identity_{9235,16}_bars`: a plugin that copies its input to
//!   its output (optimized tier): the host's own cost per bar is the
//!   difference divided by 9,219;
//! * `load/cold_{baseline,optimized}`: loading (validating + compiling)
//!   `wilder_rsi` with an empty module cache, with each compiler;
//! * `load/cold_48k_{baseline,optimized}`: the same for a generated ~48 KB
//!   module (380 small numeric functions), near the 50 KB target;
//! * `load/cold_std_plugin`: the same for the 49 KB plugin in
//!   `benches/fixtures/std_plugin`, written with Rust's `std` (about 90
//!   functions of rustc's making), on the default tiering: its
//!   `memory.copy` and `memory.fill` are metered by the host (see
//!   `src/plugin/metering.rs`), so it compiles with Winch;
//! * `load/cached`: loading it again (hash + cache hit);
//! * `load/disk_{rsi,48k,std_plugin}`: loading with the process's cache
//!   empty but the disk cache holding the module an earlier run compiled
//!   (what every command after the first one does; the CLI's default);
//! * `sandbox/endless_loop_{baseline,optimized}`: how long `(loop (br 0))`
//!   runs before it has spent the default fuel budget (target: "a second or
//!   two").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use vixshield::plugin::{
    DiskCache, HostConfig, Manifest, PluginHost, PluginRegistry, Tier, Tiering,
};

#[path = "support/mod.rs"]
mod support;
use support::{big_module, repo, vix_closes};

/// Plain Rust RSI with the plugin's arithmetic (TA-Lib 0.6+: `* (1 / n)`).
fn native_rsi(x: &[f64], n: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(x.len(), f64::NAN);
    if x.len() <= n {
        return;
    }
    let inv = 1.0 / n as f64;
    let keep = n as f64 - 1.0;
    let (mut gain, mut loss) = (0.0_f64, 0.0_f64);
    for w in x[..=n].windows(2) {
        let d = w[1] - w[0];
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
    }
    gain *= inv;
    loss *= inv;
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
        let (up, down) = if d < 0.0 { (0.0, -d) } else { (d, 0.0) };
        gain = (gain * keep + up) * inv;
        loss = (loss * keep + down) * inv;
        *o = value(gain, loss);
    }
}

/// A manifest for a one-input, no-param plugin in `dir`.
fn manifest(dir: &std::path::Path, name: &str) -> Manifest {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "name = \"{name}\"\nversion = \"0\"\nabi = 1\nwasm = \"{name}.wasm\"\n\
             description = \"bench\"\ninputs = 1\noutput = \"number\"\n"
        ),
    )
    .unwrap();
    Manifest::from_file(&path).unwrap()
}

fn host(tiering: Tiering) -> PluginHost {
    PluginHost::new(HostConfig::default().with_tiering(tiering)).unwrap()
}

fn benches(c: &mut Criterion) {
    let closes = vix_closes();
    let registry = PluginRegistry::from_dirs(vec![repo().join("plugins")]);
    let rsi = registry.lookup("wilder_rsi").unwrap().clone();
    let optimized = host(Tiering::Optimized);
    let baseline = host(Tiering::Baseline);
    let canonical = PluginHost::new(
        HostConfig::default()
            .with_tiering(Tiering::Optimized)
            .with_nan_canonicalization(true),
    )
    .unwrap();
    let rsi_optimized = optimized.load(&rsi).unwrap();
    let rsi_baseline = baseline.load(&rsi).unwrap();
    let rsi_canonical = canonical.load(&rsi).unwrap();
    assert_eq!(rsi_optimized.tier(), Tier::Optimized);
    assert_eq!(rsi_baseline.tier(), Tier::Baseline);
    let wasm_size = std::fs::metadata(rsi.wasm_path()).unwrap().len();
    eprintln!("wilder_rsi.wasm: {wasm_size} bytes; {} bars", closes.len());

    let mut g = c.benchmark_group("rsi");
    g.bench_function("builtin", |b| {
        b.iter(|| vixshield::signals::rsi(black_box(&closes), black_box(14)).unwrap())
    });
    let mut out = Vec::new();
    g.bench_function("native", |b| {
        b.iter(|| {
            native_rsi(black_box(&closes), black_box(14), &mut out);
            black_box(&out);
        })
    });
    for (name, plugin) in [
        ("plugin_optimized", &rsi_optimized),
        ("plugin_baseline", &rsi_baseline),
        ("plugin_optimized_canonical_nans", &rsi_canonical),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                plugin
                    .compute(black_box(&[&closes]), black_box(&[14.0]))
                    .unwrap()
            })
        });
    }
    let short = &closes[..16];
    g.bench_function("plugin_optimized_16_bars", |b| {
        b.iter(|| {
            rsi_optimized
                .compute(black_box(&[short]), black_box(&[14.0]))
                .unwrap()
        })
    });
    g.finish();

    let dir = tempfile::tempdir().unwrap();
    let identity_manifest = manifest(dir.path(), "identity");
    let identity_wasm = wat::parse_file(repo().join("tests/fixtures/wat/identity.wat")).unwrap();
    let identity = optimized
        .load_bytes(&identity_manifest, &identity_wasm)
        .unwrap();
    let mut g = c.benchmark_group("per_bar");
    for bars in [closes.len(), 16] {
        let series = &closes[..bars];
        g.bench_function(format!("identity_{bars}_bars"), |b| {
            b.iter(|| identity.compute(black_box(&[series]), &[]).unwrap())
        });
    }
    g.finish();

    let big = big_module(380, 1);
    let big_manifest = manifest(dir.path(), "big");
    eprintln!("generated module: {} bytes", big.len());
    let mut g = c.benchmark_group("load");
    g.measurement_time(Duration::from_secs(10));
    for (name, host) in [("baseline", &baseline), ("optimized", &optimized)] {
        g.bench_function(format!("cold_{name}"), |b| {
            b.iter(|| {
                PluginHost::clear_module_cache();
                host.load(black_box(&rsi)).unwrap()
            })
        });
    }
    g.bench_function("cold_48k_baseline", |b| {
        b.iter(|| {
            PluginHost::clear_module_cache();
            baseline
                .load_bytes(black_box(&big_manifest), black_box(&big))
                .unwrap()
        })
    });
    let std_plugin =
        Manifest::from_file(&repo().join("benches/fixtures/std_plugin/plugin.toml")).unwrap();
    g.sample_size(10);
    g.bench_function("cold_std_plugin", |b| {
        b.iter(|| {
            PluginHost::clear_module_cache();
            baseline.load(black_box(&std_plugin)).unwrap()
        })
    });
    g.bench_function("cold_48k_optimized", |b| {
        b.iter(|| {
            PluginHost::clear_module_cache();
            optimized
                .load_bytes(black_box(&big_manifest), black_box(&big))
                .unwrap()
        })
    });
    g.sample_size(100);
    g.bench_function("cached", |b| {
        b.iter(|| baseline.load(black_box(&rsi)).unwrap())
    });
    let disk_dir = tempfile::tempdir().unwrap();
    let on_disk = host(Tiering::Baseline).with_disk_cache(Some(DiskCache::at(disk_dir.path())));
    let big_bytes = big.clone();
    type Load<'a> = Box<dyn Fn() -> vixshield::plugin::LoadedPlugin + 'a>;
    let loads: [(&str, Load); 3] = [
        (
            "disk_rsi",
            Box::new(|| on_disk.load(black_box(&rsi)).unwrap()),
        ),
        (
            "disk_48k",
            Box::new(|| {
                on_disk
                    .load_bytes(black_box(&big_manifest), black_box(&big_bytes))
                    .unwrap()
            }),
        ),
        (
            "disk_std_plugin",
            Box::new(|| on_disk.load(black_box(&std_plugin)).unwrap()),
        ),
    ];
    for (name, load) in &loads {
        // The first load compiles and writes the disk cache.
        PluginHost::clear_module_cache();
        load();
        g.bench_function(*name, |b| {
            b.iter(|| {
                PluginHost::clear_module_cache();
                load()
            })
        });
    }
    g.finish();

    // How long the sandbox lets an endless loop run: the cheapest loop there
    // is, `(loop (br 0))`, spending the default budget.
    let spin_manifest = manifest(dir.path(), "spin");
    let spin_wasm = wat::parse_file(repo().join("tests/fixtures/wat/endless_loop.wat")).unwrap();
    let mut g = c.benchmark_group("sandbox");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    for (name, host) in [("baseline", &baseline), ("optimized", &optimized)] {
        let spin = host.load_bytes(&spin_manifest, &spin_wasm).unwrap();
        g.bench_function(format!("endless_loop_{name}"), |b| {
            b.iter(|| spin.compute(black_box(&[&[1.0]]), &[]).unwrap_err())
        });
    }
    g.finish();
}

criterion_group!(plugin, benches);
criterion_main!(plugin);
