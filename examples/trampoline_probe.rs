//! How much of a plugin's first compile goes to the trampolines wasmtime 48
//! compiles with Cranelift (BENCHMARKS.md, "Seventh round"): compile a module
//! and variants of it that remove what makes wasmtime compile some of them,
//! with the baseline tier's compiler settings, and time each.
//!
//! ```sh
//! cargo build --release --example trampoline_probe
//! target/release/examples/trampoline_probe benches/fixtures/std_plugin/std_plugin.wasm all 100
//! ```
//!
//! Variants (cumulative; they are for timing only, none of them is a working
//! plugin): `orig`; `noelem`, without the element section, so the 15
//! functions in its table no longer escape and need no array-to-wasm
//! trampoline (a host rewrite that turned `call_indirect` into direct calls
//! could get this far); `nosig`, without the `vxs_signal_v1` export (one
//! trampoline); `nodata`, without data segments (the two module-startup
//! trampolines). `all` runs the four interleaved, three rounds; a variant's
//! name compiles only it, N times, for `valgrind --tool=callgrind`. The
//! compiled code's symbols are written to `$PROBE_OUT/VARIANT.cwasm` when
//! `PROBE_OUT` is set (`readelf -sW` lists its trampolines).
//!
//! The settings copy the host's baseline tier (`src/plugin/host.rs`) except
//! its fuel costs per operator and the pooling allocator, which do not change
//! what is compiled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use wasm_encoder::{ExportKind, ExportSection, RawSection};
use wasmtime::wasmparser::{ExternalKind, Parser, Payload};
use wasmtime::{Config, Engine, Module, OptLevel, Strategy};

const VARIANTS: [&str; 4] = ["orig", "noelem", "nosig", "nodata"];

/// The module without what the variants up to `level` remove.
fn variant(bytes: &[u8], level: usize) -> Vec<u8> {
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.unwrap();
        match &payload {
            Payload::ElementSection(_) if level >= 1 => continue,
            Payload::DataSection(_) | Payload::DataCountSection { .. } if level >= 3 => continue,
            Payload::ExportSection(exports) if level >= 2 => {
                let mut kept = ExportSection::new();
                for export in exports.clone() {
                    let export = export.unwrap();
                    if export.name == "vxs_signal_v1" {
                        continue;
                    }
                    let kind = match export.kind {
                        ExternalKind::Func => ExportKind::Func,
                        ExternalKind::Memory => ExportKind::Memory,
                        ExternalKind::Table => ExportKind::Table,
                        ExternalKind::Global => ExportKind::Global,
                        other => panic!("export kind {other:?}"),
                    };
                    kept.export(export.name, kind, export.index);
                }
                out.section(&kept);
                continue;
            }
            _ => {}
        }
        if let Some((id, range)) = payload.as_section() {
            out.section(&RawSection {
                id,
                data: &bytes[range],
            });
        }
    }
    out.finish()
}

fn time(engine: &Engine, bytes: &[u8], n: usize) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            let module = Module::new(engine, bytes).unwrap();
            let took = start.elapsed();
            drop(module);
            took
        })
        .collect();
    times.sort();
    (times[0], times[n / 2])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, which, n] = args.as_slice() else {
        panic!("usage: trampoline_probe FILE.wasm {{all|orig|noelem|nosig|nodata}} N");
    };
    let bytes = std::fs::read(file).unwrap();
    let n: usize = n.parse().unwrap();
    let mut config = Config::new();
    config
        .strategy(Strategy::Winch)
        .parallel_compilation(true)
        .consume_fuel(true)
        .wasm_relaxed_simd(false)
        .relaxed_simd_deterministic(true)
        .wasm_backtrace_max_frames(None)
        .generate_address_map(false)
        .native_unwind_info(false)
        .cranelift_opt_level(OptLevel::None);
    let engine = Engine::new(&config).unwrap();
    let variants: Vec<(&str, Vec<u8>)> = VARIANTS
        .iter()
        .enumerate()
        .map(|(level, name)| (*name, variant(&bytes, level)))
        .collect();
    if let Some(dir) = std::env::var_os("PROBE_OUT") {
        for (name, module) in &variants {
            let compiled = Module::new(&engine, module).unwrap().serialize().unwrap();
            std::fs::write(
                std::path::Path::new(&dir).join(format!("{name}.cwasm")),
                compiled,
            )
            .unwrap();
        }
    }
    if which == "all" {
        for round in 0..3 {
            for (name, module) in &variants {
                let (fastest, median) = time(&engine, module, n);
                println!(
                    "round {round} {name:>6}: fastest {:.2} ms, median {:.2} ms of {n}",
                    fastest.as_secs_f64() * 1e3,
                    median.as_secs_f64() * 1e3
                );
            }
        }
    } else {
        let (_, module) = variants
            .iter()
            .find(|(name, _)| name == which)
            .unwrap_or_else(|| panic!("unknown variant {which}"));
        let (fastest, median) = time(&engine, module, n);
        println!(
            "{which}: fastest {:.2} ms, median {:.2} ms of {n}",
            fastest.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3
        );
    }
}
