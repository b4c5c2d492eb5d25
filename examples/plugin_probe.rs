//! Run plugin computations or cold loads a given number of times, for
//! instruction counts under callgrind (deterministic, unlike wall-clock time
//! on a shared machine). The difference between two counts divided by the
//! difference in repetitions is the cost of one:
//!
//! ```sh
//! cargo build --release --example plugin_probe
//! P=target/release/examples/plugin_probe
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null $P compute rsi optimized 1
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null $P compute rsi optimized 11
//! ```
//!
//! `compute {rsi|identity|builtin} {baseline|optimized|canonical} N`: N
//! computations over the 9,235 VIX closes (`builtin`: the built-in `rsi`;
//! `canonical`: optimized with NaN canonicalisation); `PROBE_BARS=16` uses
//! only the first 16 bars;
//! `load {rsi|48k|PATH/plugin.toml} {baseline|optimized} N`: N cold loads
//! (cache cleared each time; `PROBE_DROP=1` times the clearing too, which
//! drops the previous load's compiled module, as `benches/plugin.rs` does);
//! `48k` is `big_module(PROBE_FUNCS, PROBE_LOOPS)`, 380 functions of one
//! loop unless those are set; `PROBE_DISK=DIR` keeps compiled modules in a
//! disk cache at DIR, filled by one untimed load first, so the N loads are
//! reads from it.
//!
//! It prints the fastest and the median of the N wall-clock times: on a busy
//! machine the fastest is the best estimate of the undisturbed cost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use vixshield::plugin::{DiskCache, HostConfig, Manifest, PluginHost, Tiering};

#[path = "../benches/support/mod.rs"]
mod support;
use support::{big_module, repo, vix_closes};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [what, module, tier, n] = args.as_slice() else {
        panic!("usage: plugin_probe {{compute|load}} MODULE TIER N");
    };
    let n: usize = n.parse().unwrap();
    let config = match tier.as_str() {
        "baseline" => HostConfig::default().with_tiering(Tiering::Baseline),
        "optimized" => HostConfig::default().with_tiering(Tiering::Optimized),
        "canonical" => HostConfig::default()
            .with_tiering(Tiering::Optimized)
            .with_nan_canonicalization(true),
        other => panic!("unknown tier {other}"),
    };
    let disk = std::env::var_os("PROBE_DISK").map(DiskCache::at);
    let on_disk = disk.is_some();
    let host = PluginHost::new(config).unwrap().with_disk_cache(disk);
    let dir = tempfile::tempdir().unwrap();
    let (manifest, bytes) = match module.as_str() {
        "rsi" | "builtin" => {
            let path = repo().join("plugins/wilder_rsi/plugin.toml");
            let m = Manifest::from_file(&path).unwrap();
            let bytes = std::fs::read(m.wasm_path()).unwrap();
            (m, bytes)
        }
        path if path.ends_with(".toml") => {
            let m = Manifest::from_file(std::path::Path::new(path)).unwrap();
            let bytes = std::fs::read(m.wasm_path()).unwrap();
            (m, bytes)
        }
        "identity" | "48k" => {
            let path = dir.path().join("plugin.toml");
            std::fs::write(
                &path,
                "name = \"probe\"\nversion = \"0\"\nabi = 1\nwasm = \"probe.wasm\"\n\
                 description = \"probe\"\ninputs = 1\noutput = \"number\"\n",
            )
            .unwrap();
            let bytes = if module == "48k" {
                let var = |name: &str, default: usize| {
                    std::env::var(name).map_or(default, |v| v.parse().unwrap())
                };
                let module = big_module(var("PROBE_FUNCS", 380), var("PROBE_LOOPS", 1));
                eprintln!("generated module: {} bytes", module.len());
                module
            } else {
                wat::parse_file(repo().join("tests/fixtures/wat/identity.wat")).unwrap()
            };
            (Manifest::from_file(&path).unwrap(), bytes)
        }
        other => panic!("unknown module {other}"),
    };
    let mut times: Vec<Duration> = Vec::with_capacity(n);
    let mut timed = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    };
    match what.as_str() {
        "compute" => {
            let mut closes = vix_closes();
            if let Ok(bars) = std::env::var("PROBE_BARS") {
                closes.truncate(bars.parse().unwrap());
            }
            if module == "builtin" {
                for _ in 0..n {
                    timed(&mut || {
                        black_box(vixshield::signals::rsi(black_box(&closes), 14).unwrap());
                    });
                }
            } else {
                let plugin = host.load_bytes(&manifest, &bytes).unwrap();
                let params: &[f64] = if module == "rsi" { &[14.0] } else { &[] };
                for _ in 0..n {
                    timed(&mut || {
                        black_box(plugin.compute(&[&closes], params).unwrap());
                    });
                }
            }
        }
        "load" => {
            // `PROBE_DROP=1` also times dropping the previous load's module
            // (clearing the cache), as the criterion benchmark does.
            let with_drop = std::env::var_os("PROBE_DROP").is_some();
            if on_disk {
                black_box(host.load_bytes(&manifest, &bytes).unwrap());
            }
            for _ in 0..n {
                if !with_drop {
                    PluginHost::clear_module_cache();
                }
                timed(&mut || {
                    if with_drop {
                        PluginHost::clear_module_cache();
                    }
                    black_box(host.load_bytes(&manifest, &bytes).unwrap());
                });
            }
        }
        other => panic!("unknown command {other}"),
    }
    times.sort();
    if let (Some(first), Some(median)) = (times.first(), times.get(times.len() / 2)) {
        println!("{what} {module} {tier}: fastest {first:?}, median {median:?} of {n}");
    }
}
