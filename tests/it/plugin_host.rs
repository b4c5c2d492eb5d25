//! The WebAssembly plugin host: sandbox failure classes (one WAT fixture
//! each), the committed example plugins, determinism, the two compiler tiers
//! and NaN canonicalisation, cache swapping, discovery and manifests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vixshield::plugin::{
    HostConfig, Manifest, OutputKind, PluginError, PluginHost, PluginRegistry, PluginSetup, Tier,
    Tiering,
};

// ---------------------------------------------------------------- helpers

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn host() -> PluginHost {
    PluginHost::new(HostConfig::default()).expect("engine")
}

fn tier_host(tiering: Tiering) -> PluginHost {
    PluginHost::new(HostConfig::default().with_tiering(tiering)).expect("engine")
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Compile `tests/fixtures/wat/NAME.wat`.
fn wat(name: &str) -> Vec<u8> {
    let path = repo()
        .join("tests/fixtures/wat")
        .join(format!("{name}.wat"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Write a plugin folder `dir/NAME` with `wasm` and a manifest; return the manifest.
fn install(dir: &Path, name: &str, wasm: &[u8], extra: &str) -> Manifest {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(format!("{name}.wasm")), wasm).unwrap();
    let toml = format!(
        "name = \"{name}\"\nversion = \"0.0.1\"\nabi = 1\nwasm = \"{name}.wasm\"\n\
         description = \"test plugin\"\ninputs = 1\noutput = \"number\"\n{extra}"
    );
    let path = folder.join("plugin.toml");
    std::fs::write(&path, toml).unwrap();
    Manifest::from_file(&path).unwrap()
}

/// Install fixture `fixture` as plugin `name` in a fresh tempdir.
fn fixture_plugin(fixture: &str, name: &str, extra: &str) -> (tempfile::TempDir, Manifest) {
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), name, &wat(fixture), extra);
    (dir, m)
}

/// Run fixture `fixture` on 10 bars; return the error, its text, and how long it took.
fn run_failing(fixture: &str, name: &str, extra: &str) -> (PluginError, String, Duration) {
    let (_dir, m) = fixture_plugin(fixture, name, extra);
    let plugin = host().load(&m).expect("loads");
    let bars: Vec<f64> = (0..10).map(f64::from).collect();
    let t = Instant::now();
    let err = plugin
        .compute(&[&bars], &[])
        .expect_err("must fail, not succeed");
    let took = t.elapsed();
    let text = err.to_string();
    eprintln!("{fixture}: {text} ({took:?})");
    assert!(took < QUICK, "{fixture} took {took:?}");
    (err, text, took)
}

fn load_error(fixture: &str, name: &str) -> (PluginError, String) {
    let (_dir, m) = fixture_plugin(fixture, name, "");
    let err = host().load(&m).expect_err("must be rejected at load");
    let text = err.to_string();
    eprintln!("{fixture}: {text}");
    (err, text)
}

/// A failing plugin must be stopped well within this. Not a speed goal (the
/// benchmarks have those): it catches a sandbox that never stops a plugin.
/// Burning the default budget of 10^9 fuel units in an endless loop takes
/// about 1 s on the optimized tier and 3–4 s on the baseline tier, more on a
/// busy machine running the tests in parallel.
const QUICK: Duration = Duration::from_secs(30);

fn read_closes(file: &str, date_col: &str) -> Vec<(String, f64)> {
    let mut rdr = csv::Reader::from_path(repo().join("data").join(file)).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let di = headers.iter().position(|h| h == date_col).unwrap();
    let ci = headers.iter().position(|h| h == "CLOSE").unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[di].to_string(), r[ci].parse::<f64>().unwrap())
        })
        .collect()
}

fn vix_closes() -> Vec<f64> {
    read_closes("vix-daily.csv", "DATE")
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

/// Reference RSI, Wilder smoothing, exactly as TA-Lib's classic `TA_RSI`.
fn reference_rsi(x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if x.len() <= n {
        return out;
    }
    let p = n as f64;
    let (mut gain, mut loss) = (0.0_f64, 0.0_f64);
    for i in 1..=n {
        let d = x[i] - x[i - 1];
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
    for i in n + 1..x.len() {
        let d = x[i] - x[i - 1];
        gain *= p - 1.0;
        loss *= p - 1.0;
        if d < 0.0 {
            loss -= d;
        } else {
            gain += d;
        }
        gain /= p;
        loss /= p;
        out[i] = value(gain, loss);
    }
    out
}

fn same(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol
}

// ------------------------------------------------------- failure classes

#[test]
fn endless_loop_runs_out_of_fuel_quickly() {
    let (err, text, took) = run_failing("endless_loop", "spin", "");
    assert!(matches!(err, PluginError::OutOfFuel { .. }), "{err:?}");
    assert!(
        text.contains("plugin `spin` ran out of its budget"),
        "{text}"
    );
    assert!(text.contains("vxs_compute"), "{text}");
    assert!(took < QUICK, "took {took:?}");
}

/// The tier a host with `tiering` loads a module with, when nothing stops it.
fn load_tier(tiering: Tiering) -> Tier {
    match tiering {
        Tiering::Optimized => Tier::Optimized,
        _ => Tier::Baseline,
    }
}

/// Fuel must count the bytes a bulk-memory operator writes, or a loop of
/// them escapes the budget: Winch (wasmtime 48) charges them a flat cost, so
/// the host meters them itself, on both compilers.
#[test]
fn an_endless_loop_of_bulk_fills_runs_out_of_fuel_quickly() {
    for tiering in [Tiering::Adaptive, Tiering::Baseline, Tiering::Optimized] {
        let (_dir, m) = fixture_plugin("fill_loop", "filler", "");
        let plugin = tier_host(tiering).load(&m).unwrap();
        assert_eq!(plugin.tier(), load_tier(tiering), "{tiering:?}");
        let t = Instant::now();
        let err = plugin.compute(&[&[1.0, 2.0]], &[]).unwrap_err();
        assert!(t.elapsed() < QUICK, "{tiering:?}: {:?}", t.elapsed());
        assert_eq!(
            err.to_string(),
            "plugin `filler` ran out of its budget of 1000000000 fuel units in `vxs_compute` (a plugin that needs more asks for it with `[limits] fuel` in its manifest)"
        );
    }
}

/// An ABI-1 module whose `vxs_compute` runs `line` once per bar.
fn per_bar_module(line: &str) -> Vec<u8> {
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/endless_loop.wat")).unwrap();
    let head = &scaffold[..scaffold.find("  (func (export \"vxs_compute\")").unwrap()];
    wat::parse_str(format!(
        r#"{head}
  (table 1 funcref)
  (elem $e func $noop)
  (data $d "abc")
  (func $noop)
  (func (export "vxs_compute") (param i32 i32 i32 i32 i32 i32) (result i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (local.get 2)))
      {line}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0)))"#
    ))
    .unwrap()
}

/// Operators that wasmtime carries out by calling into its runtime take far
/// longer than one instruction: each costs 32 units (`ref.func` 64), the
/// same on every tier, so that no endless loop of them outlasts the default
/// budget's second or two (a `ref.func` loop took 33 s at one unit).
/// `memory.fill` and `memory.copy` of nothing cost that plus their metering
/// helper's fixed cost; `br` costs two units.
#[test]
fn operators_that_call_the_runtime_cost_their_time() {
    use vixshield::plugin::{BRANCH_COST, BULK_CALL_COST, REF_FUNC_COST, RUNTIME_CALL_COST};
    let call = u64::from(RUNTIME_CALL_COST);
    let dir = tempfile::tempdir().unwrap();
    // (the operator with its operands, the operands alone, its cost)
    let cases = [
        (
            "(drop (memory.grow (i32.const 0)))",
            "(drop (i32.const 0))",
            call,
        ),
        (
            "(drop (table.grow (ref.null func) (i32.const 0)))",
            "(drop (ref.null func)) (drop (i32.const 0))",
            call,
        ),
        ("(drop (ref.func $noop))", "", u64::from(REF_FUNC_COST)),
        // Not a runtime call, but each loop iteration's fuel check costs
        // about two instructions' time: `br` is charged two units.
        ("(block (br 0))", "", u64::from(BRANCH_COST)),
        ("(elem.drop $e)", "", call),
        ("(data.drop $d)", "", call),
        (
            "(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))",
            "(drop (i32.const 0)) (drop (i32.const 0)) (drop (i32.const 0))",
            call + BULK_CALL_COST,
        ),
        (
            "(memory.copy (i32.const 0) (i32.const 0) (i32.const 63))",
            "(drop (i32.const 0)) (drop (i32.const 0)) (drop (i32.const 63))",
            call + BULK_CALL_COST,
        ),
        (
            "(table.fill (i32.const 0) (ref.null func) (i32.const 0))",
            "(drop (i32.const 0)) (drop (ref.null func)) (drop (i32.const 0))",
            call,
        ),
    ];
    let bars: Vec<f64> = (0..100).map(f64::from).collect();
    for tiering in [Tiering::Adaptive, Tiering::Baseline, Tiering::Optimized] {
        let host = tier_host(tiering);
        let fuel = |name: &str, line: &str| {
            let m = install(dir.path(), name, &per_bar_module(line), "");
            host.load(&m)
                .unwrap()
                .compute(&[&bars], &[])
                .unwrap()
                .fuel_used
        };
        for (i, (op, operands, cost)) in cases.iter().enumerate() {
            let with = fuel(&format!("op{i}"), op);
            let without = fuel(&format!("operands{i}"), operands);
            assert_eq!(with - without, 100 * cost, "{op} on {tiering:?}");
        }
    }
}

/// The baseline compiler zeroes a function's locals on every call, one
/// store per 8 bytes, which no operator pays for: a loop calling a function
/// of 49,990 i64 locals spent 10 million fuel units in 26.6 s, so the
/// default budget would have lasted some 44 minutes. A call now pays
/// `BULK_BLOCK_COST` per `LOCAL_BLOCK_BYTES` of locals beyond
/// `FREE_LOCAL_BYTES`, the same on every tier; a function with no more than
/// that is charged nothing more.
#[test]
fn a_call_pays_for_the_locals_it_zeroes() {
    use vixshield::plugin::{BULK_BLOCK_COST, FREE_LOCAL_BYTES, LOCAL_BLOCK_BYTES};
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/endless_loop.wat")).unwrap();
    let head = &scaffold[..scaffold.find("  (func (export \"vxs_compute\")").unwrap()];
    // `$callee` declares `locals` i64s; `vxs_compute` calls it once per bar.
    let module = |locals: usize| {
        wat::parse_str(format!(
            r#"{head}
  (func $callee (local {}))
  (func (export "vxs_compute") (param i32 i32 i32 i32 i32 i32) (result i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (local.get 2)))
      (call $callee)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0)))"#,
            "i64 ".repeat(locals)
        ))
        .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let bars: Vec<f64> = (0..10).map(f64::from).collect();
    let free = usize::try_from(FREE_LOCAL_BYTES / 8).unwrap();
    let mut fuel_by_tier = Vec::new();
    for tiering in [Tiering::Adaptive, Tiering::Baseline, Tiering::Optimized] {
        let host = tier_host(tiering);
        let fuel = |name: &str, locals: usize| {
            let m = install(dir.path(), name, &module(locals), "");
            host.load(&m)
                .unwrap()
                .compute(&[&bars], &[])
                .unwrap()
                .fuel_used
        };
        let (none, free_ones, many) = (fuel("none", 0), fuel("free", free), fuel("many", 49_990));
        assert_eq!(free_ones, none, "{tiering:?}");
        let blocks = (49_990 * 8 - FREE_LOCAL_BYTES) / LOCAL_BLOCK_BYTES;
        let per_call = (many - none) / 10;
        assert!(
            (blocks * BULK_BLOCK_COST..blocks * BULK_BLOCK_COST + 10).contains(&per_call),
            "{tiering:?}: {per_call} units per call for {blocks} blocks"
        );
        fuel_by_tier.push((none, many));
    }
    assert!(
        fuel_by_tier.windows(2).all(|w| w[0] == w[1]),
        "{fuel_by_tier:?}"
    );

    // So a budget of 10^8 runs out after some 800 such calls (uncharged,
    // all 3,000 ran on it).
    let m = install(
        dir.path(),
        "fat",
        &module(49_990),
        "[limits]\nfuel = 100_000_000\n",
    );
    let plugin = tier_host(Tiering::Baseline).load(&m).unwrap();
    let t = Instant::now();
    let err = plugin.compute(&[&[0.0; 3000]], &[]).unwrap_err();
    assert!(matches!(err, PluginError::OutOfFuel { .. }), "{err}");
    assert!(t.elapsed() < QUICK, "{:?}", t.elapsed());
}

/// The compilers' time and memory grow with a module's functions and types,
/// whatever their size: 999,990 empty functions (4 MB) took Winch, which has
/// no deadline, 20–28 s and 5.2 GB. A module with more than the host
/// accepts is refused before it is compiled, by `plugin inspect` too.
#[test]
fn too_many_functions_or_types_are_refused_before_compiling() {
    use vixshield::plugin::{MAX_FUNCTIONS, MAX_TYPES};
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let end = scaffold.rfind(')').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "funcs",
            "(func)".repeat(MAX_FUNCTIONS as usize),
            "function count of 20003,",
        ),
        (
            "types",
            (0..MAX_TYPES)
                .map(|i| {
                    format!(
                        "(type (func (param i32) (result {})))",
                        "i64 ".repeat(i as usize % 9 + 1)
                    )
                })
                .collect::<String>(),
            "type count of 10003,",
        ),
    ];
    for (name, extra, count) in cases {
        let m = install(
            dir.path(),
            name,
            &wat::parse_str(format!("{}{extra})", &scaffold[..end])).unwrap(),
            "",
        );
        let t = Instant::now();
        let err = host().load(&m).unwrap_err().to_string();
        assert!(
            err.contains(count) && err.contains("more than the"),
            "{err}"
        );
        let bytes = std::fs::read(m.wasm_path()).unwrap();
        assert_eq!(host().describe(&m, &bytes).unwrap_err().to_string(), err);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
}

/// Globals, exports and element segments are capped before compiling too
/// (1,000,000 globals took 1.4 s and 150 MB to compile before the pool
/// refused the instance; 999,000 exports 3.9 s and 490 MB, and loaded), and
/// so are imports where they are allowed, in `plugin inspect`'s listing
/// (500,000 took it 5.1 s and 490 MB): a load refuses the first import.
#[test]
fn too_many_globals_exports_elements_or_imports_are_refused_before_compiling() {
    use vixshield::plugin::{MAX_ELEMENT_SEGMENTS, MAX_EXPORTS, MAX_GLOBALS, MAX_IMPORTS};
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let end = scaffold.rfind(')').unwrap();
    let with = |extra: String| format!("{}{extra})", &scaffold[..end]);
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "globals",
            with("(global i32 (i32.const 0))".repeat(MAX_GLOBALS as usize)),
            "has a global count of 10001, more than the 10000 the host accepts",
        ),
        (
            "exports",
            with(
                (0..MAX_EXPORTS)
                    .map(|i| format!("(export \"e{i}\" (global $next))"))
                    .collect(),
            ),
            "has an export count of 10004, more than the 10000 the host accepts",
        ),
        (
            "elements",
            with(format!(
                "(table 1 funcref){}",
                "(elem (i32.const 0) func 0)".repeat(MAX_ELEMENT_SEGMENTS as usize + 1)
            )),
            "has an element segment count of 10001, more than the 10000 the host accepts",
        ),
    ];
    for (name, wat, want) in cases {
        let bytes = wat::parse_str(wat).unwrap();
        let m = install(dir.path(), name, &bytes, "");
        let t = Instant::now();
        let err = host().load(&m).unwrap_err().to_string();
        assert!(err.ends_with(want), "{err}");
        assert_eq!(host().describe(&m, &bytes).unwrap_err().to_string(), err);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
    // Imports: a load names the first; a listing of more than the cap is
    // refused.
    let imports: String = (0..=MAX_IMPORTS)
        .map(|i| format!("(import \"m\" \"g{i}\" (global i32))"))
        .collect();
    let bytes =
        wat::parse_str(scaffold.replacen("(module", &format!("(module {imports}"), 1)).unwrap();
    let m = install(dir.path(), "imports", &bytes, "");
    let t = Instant::now();
    let err = host().load(&m).unwrap_err();
    assert!(matches!(err, PluginError::Import { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("plugin `imports` imports `m.g0`;"),
        "{err}"
    );
    let err = host().describe(&m, &bytes).unwrap_err().to_string();
    assert!(
        err.ends_with("has an import count of 10001, more than the 10000 the host accepts"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// A module that imports anything is refused before any compiler sees it,
/// naming its first import as before: here its code is not even valid (a
/// function that returns an `i64` as an `i32`), which compiling it would
/// have reported instead. `plugin inspect` still lists what it imports.
#[test]
fn an_import_is_refused_before_compiling() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (import "env" "abort" (func))
        (func (result i32) (i64.const 0)))"#;
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "early", &wat::parse_str(wat).unwrap(), "");
    let err = host().load(&m).unwrap_err();
    assert!(matches!(err, PluginError::Import { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "plugin `early` imports `wasi_snapshot_preview1.fd_write`; plugins must import nothing"
        ),
        "{err}"
    );
    let (_dir, m) = fixture_plugin("import", "chatty", "");
    let bytes = std::fs::read(m.wasm_path()).unwrap();
    let info = host().describe(&m, &bytes).unwrap();
    assert_eq!(info.imports.len(), 1);
    assert_eq!(info.imports[0].name, "wasi_snapshot_preview1.fd_write");
}

/// A module whose compile would take much memory or time is refused before
/// any compiler sees it: one function of 2,000,000 nested blocks (6 MB) took
/// Winch 7.3 s and 2.3 GB; the host compiles functions up to 256 KiB and
/// 4 MiB of code in all (found by the sandbox review; 1 MiB and 16 MiB let
/// sixteen 1 MiB functions of `br_table`s take Winch 243 MB, and one of
/// plain instructions take Cranelift 50 MB on each core).
#[test]
fn a_function_or_code_too_large_is_refused_before_compiling() {
    use vixshield::plugin::{MAX_CODE_BYTES, MAX_FUNCTION_BYTES};
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, FunctionSection, MemorySection, MemoryType, Module,
        TypeSection, ValType,
    };
    // The ABI's exports around `n` copies of one body of nested blocks.
    let module = |depth: usize, n: u32| {
        let mut types = TypeSection::new();
        types.ty().function([], []);
        types.ty().function([ValType::I32], [ValType::I32]);
        types.ty().function([ValType::I32; 6], [ValType::I32]);
        let mut funcs = FunctionSection::new();
        funcs.function(1).function(2);
        for _ in 0..n {
            funcs.function(0);
        }
        let mut memory = MemorySection::new();
        memory.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        let mut exports = ExportSection::new();
        exports
            .export("memory", ExportKind::Memory, 0)
            .export("vxs_alloc", ExportKind::Func, 0)
            .export("vxs_compute", ExportKind::Func, 1)
            .export("vxs_signal_v1", ExportKind::Func, 2);
        let mut code = CodeSection::new();
        code.raw(&[0, 0x41, 8, 0x0B]).raw(&[0, 0x41, 0, 0x0B]);
        let mut nested = vec![0];
        nested.extend(std::iter::repeat_n([0x02, 0x40], depth).flatten());
        nested.extend(std::iter::repeat_n(0x0B, depth + 1));
        for _ in 0..n {
            code.raw(&nested);
        }
        let mut m = Module::new();
        m.section(&types)
            .section(&funcs)
            .section(&memory)
            .section(&exports)
            .section(&code);
        m.finish()
    };
    let dir = tempfile::tempdir().unwrap();
    let depth = MAX_FUNCTION_BYTES / 3 + 1;
    let deep = format!(
        "one of its functions is {} bytes, more than the {MAX_FUNCTION_BYTES}",
        3 * depth + 2
    );
    let cases = [
        ("deep", module(depth, 1), deep.as_str()),
        // Functions up to 1 MiB were compiled: 100,000 nested blocks took
        // Winch 0.2 s and 120 MB.
        (
            "large",
            module(100_000, 1),
            "one of its functions is 300002 bytes, more than the 262144",
        ),
        (
            "wide",
            module(
                MAX_FUNCTION_BYTES / 3 - 10,
                (MAX_CODE_BYTES / MAX_FUNCTION_BYTES) as u32 + 1,
            ),
            "its code is ",
        ),
    ];
    for (name, bytes, want) in cases {
        let m = install(dir.path(), name, &bytes, "");
        let t = Instant::now();
        let err = host().load(&m).unwrap_err().to_string();
        assert!(
            err.contains(want) && err.contains("the host compiles"),
            "{err}"
        );
        assert_eq!(host().describe(&m, &bytes).unwrap_err().to_string(), err);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
}

/// `const_one.wat` with `extra` before its last parenthesis.
fn const_one_with(extra: &str) -> Vec<u8> {
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let end = scaffold.rfind(')').unwrap();
    wat::parse_str(format!("{}{extra})", &scaffold[..end])).unwrap()
}

/// `at_cap` loads; `over` is refused before any compiler sees it (quickly,
/// by `plugin inspect` too) with an error ending in `want`.
fn capped(name: &str, at_cap: &[u8], over: &[u8], want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), &format!("{name}_at_cap"), at_cap, "");
    if let Err(e) = host().load(&m) {
        panic!("{e}");
    }
    let m = install(dir.path(), name, over, "");
    let t = Instant::now();
    let err = host().load(&m).unwrap_err();
    assert!(matches!(err, PluginError::InvalidModule { .. }), "{err:?}");
    let err = err.to_string();
    assert!(
        err.starts_with(&format!("plugin `{name}`: ")) && err.ends_with(want),
        "{err}"
    );
    assert_eq!(host().describe(&m, over).unwrap_err().to_string(), err);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

/// Compiling a function takes memory for each of its blocks, branches and
/// calls: a 1 MiB function of 349,000 nested blocks took Winch 400 MB
/// (about 1.1 KB a level), one of 175,000 `if`s Cranelift 540 MB (3 KB
/// each), a 256 KiB function of 87,000 calls Cranelift 263 MB, of 52,000
/// indirect calls 963 MB before its deadline, all within the caps on size;
/// the functions compile one per core. A function of more than the host
/// compiles is refused before compiling, nested or not, whatever the mix.
#[test]
fn a_function_of_too_many_blocks_branches_and_calls_is_refused_before_compiling() {
    use vixshield::plugin::MAX_FUNCTION_BRANCHES;
    let module = |branches: usize| {
        const_one_with(&format!("(table 1 funcref){}", branches_function(branches)))
    };
    capped(
        "branches",
        &module(MAX_FUNCTION_BRANCHES),
        &module(MAX_FUNCTION_BRANCHES + 1),
        "one of its functions has 5001 blocks, branches and calls (an indirect call counting 6), more than the 5000 the host compiles",
    );
}

/// A function of `branches` blocks, branches and calls as the host counts
/// them: a sixth each of nested blocks, loops, ifs, `br_if`s and calls,
/// the rest indirect calls (each counting [`INDIRECT_CALL_WEIGHT`]) and
/// `memory.grow`s. Its module needs a table.
fn branches_function(branches: usize) -> String {
    use vixshield::plugin::INDIRECT_CALL_WEIGHT;
    let sixth = branches / 6;
    let rest = branches - 5 * sixth;
    let indirect = rest / INDIRECT_CALL_WEIGHT;
    format!(
        "(func {}{}{}{}{}{}{})",
        "(block ".repeat(sixth) + &")".repeat(sixth),
        "(loop)".repeat(sixth),
        "(if (i32.const 0) (then))".repeat(sixth),
        "(br_if 0 (i32.const 0))".repeat(sixth),
        "(call 0)".repeat(sixth),
        "(call_indirect (i32.const 0))".repeat(indirect),
        "(drop (memory.grow (i32.const 0)))".repeat(rest - indirect * INDIRECT_CALL_WEIGHT),
    )
}

/// Each call costs both compilers some 130–200 bytes kept until the whole
/// module is compiled: 130 functions of 9,990 calls, each within the cap on
/// a function, took Winch 246 MB and Cranelift over 260 MB. More blocks,
/// branches and calls in all than the host compiles are refused before
/// compiling.
#[test]
fn too_many_blocks_branches_and_calls_in_all_are_refused_before_compiling() {
    use vixshield::plugin::{MAX_FUNCTION_BRANCHES, MAX_MODULE_BRANCHES};
    // `const_one.wat`'s functions count 6 (two ifs, a `memory.grow`, a
    // block, a loop and a `br_if`); functions at the cap, and one of what
    // is left.
    let module = |branches: usize| {
        let full = (branches - 6) / MAX_FUNCTION_BRANCHES;
        let mut funcs = branches_function(MAX_FUNCTION_BRANCHES).repeat(full);
        funcs.push_str(&branches_function(
            branches - 6 - full * MAX_FUNCTION_BRANCHES,
        ));
        const_one_with(&format!("(table 1 funcref){funcs}"))
    };
    capped(
        "calls",
        &module(MAX_MODULE_BRANCHES),
        &module(MAX_MODULE_BRANCHES + 1),
        "its functions have 200001 blocks, branches and calls in all (an indirect call counting 6), more than the 200000 the host compiles",
    );
}

/// Winch zeroes every declared local at each call with code of its own
/// (about two bytes of code a byte of locals), all of it kept while the
/// module compiles: 2,000 functions of 50,000 `v128` locals, 120 KB of
/// module, took 20 s and 4.3 GB; 19,990 of 50,000 `i64`s, 12 GB before
/// Winch failed. More locals in all than the host compiles are refused
/// before compiling.
#[test]
fn too_many_locals_in_all_are_refused_before_compiling() {
    use vixshield::plugin::MAX_LOCAL_BYTES;
    // `v128` locals, 16 bytes each, in functions of 50,000 (the most a
    // function may declare), besides the 12 bytes `const_one.wat` declares,
    // and `i32s` more.
    let locals = |i32s: usize| {
        let mut left = (MAX_LOCAL_BYTES - 12) / 16;
        let mut funcs = String::new();
        while left > 0 {
            let n = left.min(50_000);
            left -= n;
            funcs.push_str(&format!("(func (local {}))", "v128 ".repeat(n as usize)));
        }
        funcs.push_str(&format!("(func (local {}))", "i32 ".repeat(i32s)));
        const_one_with(&funcs)
    };
    capped(
        "locals",
        &locals(1),
        &locals(2),
        "its functions declare 4194308 bytes of locals, more than the 4194304 the host compiles",
    );
}

/// wasmtime takes some 3.6 KB to compile each element of an element
/// segment: one passive segment of 1,000,000 (2 MB of module) took 20 s and
/// 3.5 GB. More elements in all than the host accepts are refused before
/// compiling, whether function indices or expressions.
#[test]
fn too_many_elements_in_all_are_refused_before_compiling() {
    use vixshield::plugin::MAX_ELEMENTS;
    let elements = |n: u64| {
        let half = n / 2;
        const_one_with(&format!(
            "(elem func {})(elem funcref {})",
            "0 ".repeat(half as usize),
            "(ref.func 0) ".repeat((n - half) as usize)
        ))
    };
    capped(
        "elements",
        &elements(MAX_ELEMENTS),
        &elements(MAX_ELEMENTS + 1),
        "its element segments hold 10001 elements, more than the 10000 the host accepts",
    );
}

/// wasmtime compiles code for each function type and each function whose
/// size grows with their parameters and results: 9,990 types of 1,000
/// parameters took Winch 18 s and 600 MB, 2,000 functions of 1,000
/// parameters and 1,000 results in a table 40 s and 474 MB. More in all
/// (each type once, and once more for each function of it) than the host
/// accepts are refused before compiling.
#[test]
fn too_many_parameters_and_results_are_refused_before_compiling() {
    // `const_one.wat`'s types have 9 and its functions 9; `n` types of
    // 1,000 parameters and 1,000 results, and a function of the first.
    let types = |n: usize| {
        const_one_with(&format!(
            "{}(func (type $t0) unreachable)",
            (0..n)
                .map(|i| format!(
                    "(type $t{i} (func (param {0}) (result {0})))",
                    "i64 ".repeat(1000)
                ))
                .collect::<String>()
        ))
    };
    capped(
        "signatures",
        &types(48),
        &types(49),
        "its types and functions have 100018 parameters and results in all, more than the 100000 the host accepts",
    );
}

/// wasmtime keeps a few copies of a module's data while it loads it (a 60
/// MiB segment took 240 MB), and of its `name` section (60 MiB of names,
/// 240 MB). A larger data or `name` section than the host accepts is
/// refused before compiling.
#[test]
fn too_much_data_or_too_many_names_are_refused_before_compiling() {
    use vixshield::plugin::{MAX_DATA_BYTES, MAX_NAME_SECTION_BYTES};
    // One passive segment of `n` bytes: the section holds its count, its
    // flag and its length (4 bytes) besides.
    let data = |n: usize| const_one_with(&format!("(data \"{}\")", "a".repeat(n)));
    capped(
        "data",
        &data(MAX_DATA_BYTES - 8),
        &data(MAX_DATA_BYTES),
        "its data section is 4194310 bytes, more than the 4194304 the host accepts",
    );
    // A `name` section naming function 0 with `n` bytes.
    let names = |n: usize| {
        let leb = |mut v: usize, out: &mut Vec<u8>| loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        };
        let mut map = vec![1, 0];
        leb(n, &mut map);
        map.extend(std::iter::repeat_n(b'f', n));
        let mut payload = vec![4];
        payload.extend(b"name");
        payload.push(1);
        leb(map.len(), &mut payload);
        payload.extend(map);
        let mut module = const_one_with("");
        module.push(0);
        leb(payload.len(), &mut module);
        module.extend(payload);
        module
    };
    capped(
        "names",
        &names(MAX_NAME_SECTION_BYTES - 16),
        &names(MAX_NAME_SECTION_BYTES),
        "its `name` section is 4194315 bytes, more than the 4194304 the host accepts",
    );
}

/// A module Cranelift takes seconds over and Winch milliseconds (never
/// called): one function of 3,000 additions among 1,000 locals, a loop
/// every 50, the locals live across them. With `table_op`, a `table.fill`
/// sends it to Cranelift at load.
fn slow_for_cranelift(table_op: bool) -> Vec<u8> {
    let mut body = String::new();
    body.push_str(&format!("(local {})", "i64 ".repeat(1000)));
    for i in 0..3000_usize {
        if i % 50 == 0 {
            body.push_str("(block (loop (br_if 1 (i64.eqz (local.get 1)))");
        }
        let (a, b, c) = (
            (i * 7919) % 1000 + 1,
            (i * 104_729) % 1000 + 1,
            (i * 31) % 1000 + 1,
        );
        body.push_str(&format!(
            "(local.set {c} (i64.add (local.get {a}) (local.get {b})))"
        ));
        if i % 50 == 49 {
            body.push_str("(br_if 0 (i64.eqz (local.get 2)))))");
        }
    }
    let mut table = "";
    if table_op {
        body.push_str("(table.fill (i32.const 0) (ref.null func) (i32.const 0))");
        table = "(table 1 funcref)";
    }
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let head = scaffold.trim_end().strip_suffix(')').unwrap();
    wat::parse_str(format!(
        "{head}\n  {table}\n  (func $slow (param i64) {body}))\n"
    ))
    .unwrap()
}

/// A hostile module must not stall a command in the optimizing compiler: a
/// load that needs Cranelift gives up at the host's deadline, and a tier-up
/// that misses it leaves the plugin on the fast tier.
#[test]
fn the_optimizing_compiler_has_a_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let deadline = Duration::from_millis(50);
    let config = HostConfig::default().with_compile_deadline(deadline);

    let m = install(dir.path(), "bomb", &slow_for_cranelift(true), "");
    let t = Instant::now();
    let err = PluginHost::new(config).unwrap().load(&m).unwrap_err();
    assert!(t.elapsed() < QUICK, "{:?}", t.elapsed());
    assert!(matches!(err, PluginError::CompileTimeout { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "plugin `bomb`: the optimizing compiler (Cranelift) did not finish compiling"
        ),
        "{err}"
    );
    assert!(err.to_string().contains("within 0.05 s"), "{err}");

    // Without the table operator Winch takes it; tiering up times out.
    let m = install(dir.path(), "slow", &slow_for_cranelift(false), "");
    let host = PluginHost::new(config.with_tier_up_fuel_per_byte(0)).unwrap();
    let p = host.load(&m).unwrap();
    assert_eq!(p.tier(), Tier::Baseline);
    let bars = [1.0, 2.0];
    let first = p.compute(&[&bars], &[]).unwrap();
    let second = p.compute(&[&bars], &[]).unwrap();
    assert_eq!((first.tier, second.tier), (Tier::Baseline, Tier::Baseline));
}

#[test]
fn bulk_memory_is_charged_per_block_on_every_tier() {
    use vixshield::plugin::{BULK_BLOCK_BYTES, BULK_BLOCK_COST};
    let closes = vix_closes();
    let mut fuel = Vec::new();
    for tiering in [Tiering::Adaptive, Tiering::Baseline, Tiering::Optimized] {
        let (_dir, m) = fixture_plugin("bulk_identity", "bulk", "");
        let plugin = tier_host(tiering).load(&m).unwrap();
        // Metered by the host, so Winch takes it.
        assert_eq!(plugin.tier(), load_tier(tiering), "{tiering:?}");
        let short = plugin.compute(&[&closes[..10]], &[]).unwrap();
        let long = plugin.compute(&[&closes], &[]).unwrap();
        assert_eq!(bits(&long.values), bits(&closes));
        assert_eq!(bits(&short.values), bits(&closes[..10]));
        // No loop: the only difference is what the fill and the copy are
        // charged for their bytes, 8 a bar each.
        let blocks = |bars: usize| u64::try_from(8 * bars).unwrap() / u64::from(BULK_BLOCK_BYTES);
        assert_eq!(
            long.fuel_used - short.fuel_used,
            2 * BULK_BLOCK_COST * (blocks(closes.len()) - blocks(10)),
            "{tiering:?}"
        );
        fuel.push((short.fuel_used, long.fuel_used));
    }
    assert!(fuel.windows(2).all(|w| w[0] == w[1]), "{fuel:?}");
}

/// The host's metering leaves what a bulk operator does alone: copies that
/// overlap either way, and a copy out of bounds, which traps as before.
#[test]
fn metered_bulk_operators_keep_their_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/bulk_identity.wat")).unwrap();
    let head = &scaffold[..scaffold.find("  (func (export \"vxs_compute\")").unwrap()];
    // Copy the input to the output, then shift it one bar later (an
    // overlapping copy forwards) and two bars earlier (backwards), then
    // `len` bytes to offset `dst`.
    let module = |dst: i64, len: i64| {
        wat::parse_str(format!(
            r#"{head}
  (func (export "vxs_compute") (param $in i32) (param $ni i32) (param $nb i32) (param $p i32) (param $np i32) (param $out i32) (result i32)
    (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $nb) (i32.const 3)))
    (memory.copy (local.get $out) (local.get $in) (local.get $bytes))
    (memory.copy (i32.add (local.get $out) (i32.const 8)) (local.get $out) (i32.sub (local.get $bytes) (i32.const 8)))
    (memory.copy (local.get $out) (i32.add (local.get $out) (i32.const 16)) (i32.sub (local.get $bytes) (i32.const 16)))
    (memory.fill (i32.const {dst}) (i32.const 0) (i32.const {len}))
    (i32.const 0)))"#
        ))
        .unwrap()
    };
    let input: Vec<f64> = (0..200).map(f64::from).collect();
    for tiering in [Tiering::Baseline, Tiering::Optimized] {
        let host = tier_host(tiering);
        let m = install(dir.path(), "shift", &module(0, 0), "");
        let p = host.load(&m).unwrap();
        assert_eq!(p.tier(), load_tier(tiering));
        let c = p.compute(&[&input], &[]).unwrap();
        // out[i] = in[i + 1] for i < 198; the last two bars keep the forward shift's values.
        let mut want: Vec<f64> = (1..199).map(f64::from).collect();
        want.extend([197.0, 198.0]);
        assert_eq!(bits(&c.values), bits(&want), "{tiering:?}");

        let m = install(dir.path(), "wild", &module(4 * 65_536 - 3, 7), "");
        let err = host.load(&m).unwrap().compute(&[&input], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin `wild`: `vxs_compute` trapped: out of bounds memory access (in a Rust plugin, often its stack overflowing: a large local array or deep recursion needs more than the `-zstack-size` its `.cargo/config.toml` sets, 64 KiB from `plugin new`)",
            "{tiering:?}"
        );
    }
}

/// An invalid module with bulk operators is reported at the offsets of its
/// own file, not of the module the host compiles (its calls are shorter).
#[test]
fn an_invalid_module_with_bulk_operators_is_reported_at_its_own_offsets() {
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let head = scaffold.trim_end().strip_suffix(')').unwrap();
    // `wat` encodes without type-checking: `i32.add` of an f32 is invalid.
    let bytes = wat::parse_str(format!(
        "{head}\n  (func (param i32) (result i32)\n    \
         (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))\n    \
         (i32.add (local.get 0) (f32.const 2.0))))\n"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "typo", &bytes, "");
    let err = host().load(&m).unwrap_err();
    assert!(matches!(err, PluginError::InvalidModule { .. }), "{err:?}");
    let text = err.to_string();
    // wasmtime writes the offset in hex (validation) or decimal (compilation).
    let offset = text
        .split("at offset ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next())
        .and_then(|n| match n.strip_prefix("0x") {
            Some(hex) => usize::from_str_radix(hex, 16).ok(),
            None => n.parse().ok(),
        })
        .unwrap_or_else(|| panic!("no offset in {text}"));
    // The offset is the `i32.add` (0x6A) after the f32 constant 2.0.
    assert_eq!(
        &bytes[offset - 5..=offset],
        &[0x43, 0, 0, 0, 0x40, 0x6A],
        "{text}"
    );
}

#[test]
fn memory_growth_past_the_cap_is_stopped() {
    // Default cap (256 MiB).
    let (err, text, took) = run_failing("memory_grow", "hog", "");
    assert!(
        matches!(err, PluginError::MemoryLimit { limit_mib: 256, .. }),
        "{err:?}"
    );
    assert!(
        text.starts_with("plugin `hog`: `vxs_compute` exceeded its memory limit of 256 MiB"),
        "{text}"
    );
    assert!(took < QUICK, "took {took:?}");
    // A tighter cap from the manifest.
    let (err, text, _) = run_failing("memory_grow", "hog", "[limits]\nmemory_mib = 4\n");
    assert!(
        matches!(err, PluginError::MemoryLimit { limit_mib: 4, .. }),
        "{err:?}"
    );
    assert!(text.contains("memory limit of 4 MiB"), "{text}");
}

/// A memory that starts above the plugin's limit could never be
/// instantiated: refused when the plugin loads (so `check` and `plugin
/// inspect` say so), not at its first computation. Within a limit that
/// allows it, the same module loads and is instantiated.
#[test]
fn initial_memory_over_the_cap_is_refused() {
    let (err, text) = load_error("huge_initial_memory", "big");
    assert!(matches!(err, PluginError::MemoryTooLarge { .. }), "{err:?}");
    assert_eq!(
        text,
        "plugin `big`: its memory starts at 313 MiB, more than its limit of 256 MiB (`[limits] memory_mib` in its manifest)"
    );
    let (_dir, m) = fixture_plugin("huge_initial_memory", "big", "[limits]\nmemory_mib = 313\n");
    let plugin = host().load(&m).expect("loads within its limit");
    let bars: Vec<f64> = (0..10).map(f64::from).collect();
    // Instantiated, it gets as far as its allocator (which hands out one
    // offset for every buffer: this fixture is only about memory).
    let out = plugin.compute(&[&bars], &[]);
    assert!(matches!(out, Err(PluginError::BadAlloc { .. })), "{out:?}");
}

#[test]
fn unreachable_is_reported_as_a_trap() {
    let (err, text, _) = run_failing("unreachable", "boom", "");
    assert!(matches!(err, PluginError::Trap { .. }), "{err:?}");
    assert_eq!(
        text,
        "plugin `boom`: `vxs_compute` trapped: wasm `unreachable` instruction executed \
             (a Rust plugin's panic ends there: an index out of bounds, an `unwrap` of `None`, \
             an overflow in a debug build, ...)"
    );
}

#[test]
fn endless_recursion_is_a_stack_overflow() {
    let (err, text, took) = run_failing("recursion", "deep", "");
    assert!(matches!(err, PluginError::Trap { .. }), "{err:?}");
    assert_eq!(text, "plugin `deep`: `vxs_compute` trapped: stack overflow");
    assert!(took < QUICK, "took {took:?}");
}

#[test]
fn out_of_bounds_store_is_a_trap() {
    let (_, text, _) = run_failing("oob_store", "wild", "");
    assert_eq!(
        text,
        "plugin `wild`: `vxs_compute` trapped: out of bounds memory access (in a Rust plugin, often its stack overflowing: a large local array or deep recursion needs more than the `-zstack-size` its `.cargo/config.toml` sets, 64 KiB from `plugin new`)"
    );
}

#[test]
fn division_by_zero_is_a_trap() {
    let (_, text, _) = run_failing("div_by_zero", "div", "");
    assert_eq!(
        text,
        "plugin `div`: `vxs_compute` trapped: integer divide by zero"
    );
}

#[test]
fn non_zero_status_is_reported() {
    let (err, text, _) = run_failing("status_code", "grumpy", "");
    assert!(
        matches!(err, PluginError::Status { code: 7, .. }),
        "{err:?}"
    );
    // What it was given is said: a plugin whose code expects other counts
    // than its manifest declares shows it there.
    assert_eq!(
        text,
        "plugin `grumpy`: `vxs_compute` returned error code 7 \
         (called with 1 input series of 10 bars and no params)"
    );
    // The manifest's `[errors]` says what a code means; a code it does not
    // list is still reported bare.
    let (_, text, _) = run_failing(
        "status_code",
        "grumpy",
        "[errors]\n7 = \"the moon is in the wrong phase\"\n",
    );
    assert_eq!(
        text,
        "plugin `grumpy`: `vxs_compute` returned error code 7: the moon is in the wrong phase \
         (called with 1 input series of 10 bars and no params)"
    );
    let (_, text, _) = run_failing("status_code", "grumpy", "[errors]\n8 = \"not this one\"\n");
    assert_eq!(
        text,
        "plugin `grumpy`: `vxs_compute` returned error code 7 \
         (called with 1 input series of 10 bars and no params)"
    );
}

#[test]
fn alloc_past_the_end_of_memory_is_refused() {
    let (err, text, _) = run_failing("alloc_past_end", "liar", "");
    assert!(matches!(err, PluginError::BadAlloc { .. }), "{err:?}");
    assert_eq!(
        text,
        "plugin `liar`: `vxs_alloc` returned offset 2147418112 for 80 bytes (inputs), \
         which is past the end of its 65536-byte memory"
    );
    // A range that starts inside memory but ends outside it.
    let (err, text, _) = run_failing("alloc_straddles_end", "liar", "");
    assert!(
        matches!(err, PluginError::BadAlloc { offset: 65528, .. }),
        "{err:?}"
    );
    assert!(
        text.contains("past the end of its 65536-byte memory"),
        "{text}"
    );
}

#[test]
fn alloc_failure_and_overlap_are_refused() {
    let (err, text, _) = run_failing("alloc_zero", "broke", "");
    assert!(
        matches!(err, PluginError::AllocFailed { size: 80, .. }),
        "{err:?}"
    );
    assert_eq!(
        text,
        "plugin `broke`: `vxs_alloc` returned 0 for 80 bytes (inputs), which means it could not \
         allocate them (no buffer may start at offset 0: an allocator must not hand out the first \
         bytes of memory, which the first `memory.grow` of a memory that starts empty does)"
    );
    // The allocator that does what the message says: its memory starts
    // empty and it hands out the pages it grows, so its first buffer is at 0.
    let (err, text, _) = run_failing("alloc_page_zero", "empty", "");
    assert!(
        matches!(err, PluginError::AllocFailed { size: 80, .. }),
        "{err:?}"
    );
    assert!(
        text.starts_with("plugin `empty`: `vxs_alloc` returned 0 for 80 bytes (inputs)"),
        "{text}"
    );
    let (err, text, _) = run_failing("alloc_overlap", "twice", "");
    assert!(matches!(err, PluginError::BadAlloc { .. }), "{err:?}");
    assert!(
        text.contains("(output), which is overlapping the inputs buffer"),
        "{text}"
    );
}

#[test]
fn an_import_is_rejected_at_load_naming_it() {
    let (err, text) = load_error("import", "chatty");
    assert!(matches!(err, PluginError::Import { .. }), "{err:?}");
    assert!(
        text.starts_with("plugin `chatty` imports `wasi_snapshot_preview1.fd_write`"),
        "{text}"
    );
    assert!(
        text.ends_with("(build for wasm32-unknown-unknown without WASI or JS bindings)"),
        "{text}"
    );
    // AssemblyScript's runtime imports `env.abort`: the message says which
    // `asc` option removes it, not the Rust target.
    let (err, text) = load_error("import_env_abort", "assembly");
    assert!(matches!(err, PluginError::Import { .. }), "{err:?}");
    assert_eq!(
        text,
        "plugin `assembly` imports `env.abort`; plugins must import nothing \
         (AssemblyScript's runtime imports it to report an error: build with \
         `asc ... --use abort=`, which makes an abort a trap)"
    );
}

#[test]
fn missing_abi_marker_is_rejected_before_any_code_runs() {
    // Same module, with and without the marker; its start function traps.
    let (err, text) = load_error("no_marker", "alien");
    assert!(
        matches!(err, PluginError::MissingAbiMarker { .. }),
        "{err:?}"
    );
    assert_eq!(
        text,
        "plugin `alien` does not export `vxs_signal_v1`; it is not a vixshield plugin for ABI version 1 \
         (a plugin declares it with an exported function that takes and returns nothing; \
         in Rust: `#[unsafe(no_mangle)] pub extern \"C\" fn vxs_signal_v1() {}`)"
    );
    // With the marker, loading still runs nothing; the trap only comes when
    // the module is instantiated to compute. So the rejection above came
    // before any of the module's code could run.
    let (err, text, _) = run_failing("start_trap", "alien", "");
    assert!(matches!(err, PluginError::Trap { .. }), "{err:?}");
    assert_eq!(
        text,
        "plugin `alien`: `instantiation` trapped: wasm `unreachable` instruction executed \
         (a Rust plugin's panic ends there: an index out of bounds, an `unwrap` of `None`, \
         an overflow in a debug build, ...)"
    );
}

#[test]
fn wrong_export_types_are_rejected_at_load() {
    let (err, text) = load_error("wrong_alloc_type", "w");
    assert!(
        matches!(
            err,
            PluginError::ExportType {
                export: "vxs_alloc",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        text,
        "plugin `w`: export `vxs_alloc` has the wrong type: expected (func (param i32) (result i32)), \
         found (func (param i64) (result i64)); \
         in Rust: `#[unsafe(no_mangle)] pub extern \"C\" fn vxs_alloc(size: i32) -> i32`"
    );
    let (_, text) = load_error("wrong_compute_type", "w");
    assert_eq!(
        text,
        "plugin `w`: export `vxs_compute` has the wrong type: expected \
         (func (param i32 i32 i32 i32 i32 i32) (result i32)), found (func (param i32 i32 i32 i32 i32)); \
         in Rust: `#[unsafe(no_mangle)] pub extern \"C\" fn vxs_compute(inputs: i32, n_inputs: i32, \
         n_bars: i32, params: i32, n_params: i32, out: i32) -> i32`"
    );
    let (_, text) = load_error("wrong_marker_type", "w");
    assert_eq!(
        text,
        "plugin `w`: export `vxs_signal_v1` has the wrong type: expected (func), found a global; \
         in Rust: `#[unsafe(no_mangle)] pub extern \"C\" fn vxs_signal_v1() {}`"
    );
    let (err, text) = load_error("no_memory", "w");
    assert!(
        matches!(
            err,
            PluginError::MissingExport {
                export: "memory",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(text.contains("does not export `memory`"), "{text}");
    // `memory` is no Rust function: no Rust declaration to suggest.
    assert!(!text.contains("in Rust"), "{text}");
}

/// A Rust function left without `#[unsafe(no_mangle)]` is not exported:
/// the error shows the declaration to write.
#[test]
fn a_missing_function_export_shows_its_rust_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let module = wat::parse_str(
        r#"(module
             (memory (export "memory") 1)
             (func (export "vxs_signal_v1"))
             (func (export "vxs_alloc") (param i32) (result i32) i32.const 8))"#,
    )
    .unwrap();
    let m = install(dir.path(), "mangled", &module, "");
    let err = host().load(&m).expect_err("no vxs_compute");
    assert_eq!(
        err.to_string(),
        "plugin `mangled` does not export `vxs_compute` (expected \
         (func (param i32 i32 i32 i32 i32 i32) (result i32)); in Rust: \
         `#[unsafe(no_mangle)] pub extern \"C\" fn vxs_compute(inputs: i32, n_inputs: i32, \
         n_bars: i32, params: i32, n_params: i32, out: i32) -> i32`)"
    );
}

/// A plugin whose module is not there yet (not built, or built but not
/// copied next to its manifest: a first plugin's usual slip) is told how to
/// get it there, not just "No such file or directory (os error 2)".
#[test]
fn a_missing_module_says_to_build_and_copy_it() {
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "unbuilt", &wat("const_one"), "");
    std::fs::remove_file(m.wasm_path()).unwrap();
    let err = host().load(&m).expect_err("no module");
    assert!(matches!(err, PluginError::Io { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read {}: no such file: build the plugin and copy its module there, \
             under the name `wasm` gives in its plugin.toml (a Rust crate's is \
             `target/wasm32-unknown-unknown/release/<crate>.wasm` after \
             `cargo build --release --target wasm32-unknown-unknown`)",
            m.wasm_path().display()
        )
    );
}

#[test]
fn garbage_and_mutated_modules_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "junk", b"not wasm at all", "");
    let err = host().load(&m).unwrap_err();
    assert!(matches!(err, PluginError::InvalidModule { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("is not a valid WebAssembly module")
    );

    // Flip bytes all over a valid module: every outcome must be a value.
    let good = wat("const_one");
    let bars = [1.0, 2.0, 3.0];
    let host = host();
    let mut state = 0x2545_f491_u32;
    for _ in 0..150 {
        let mut bytes = good.clone();
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let i = state as usize % bytes.len();
            bytes[i] ^= (state >> 24) as u8 | 1;
        }
        if let Ok(p) = host.load_bytes(&m, &bytes) {
            let _ = p.compute(&[&bars], &[]);
        }
    }
}

#[test]
fn argument_checks() {
    let (_dir, m) = fixture_plugin(
        "const_one",
        "one",
        "[[params]]\nname = \"k\"\ndefault = 2\n",
    );
    let p = host().load(&m).unwrap();
    let a = [1.0, 2.0];
    let err = p.compute(&[&a, &a], &[1.0]).unwrap_err();
    assert_eq!(err.to_string(), "plugin `one` takes 1 input series, got 2");
    let err = p.compute(&[&a], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `one` takes 1 parameters (k), got 0"
    );
    let c = p.compute(&[&a], &[3.0]).unwrap();
    assert_eq!(c.values, vec![1.0, 1.0]);
    let c = p.compute_with_defaults(&[&[]]).unwrap();
    assert!(c.values.is_empty());
}

#[test]
fn manifest_limits_over_the_host_maximum_are_refused() {
    let (_dir, m) = fixture_plugin("const_one", "greedy", "[limits]\nmemory_mib = 4096\n");
    let err = host().load(&m).unwrap_err();
    // At the value in the manifest (it had no position: the manifest's own
    // range, 1 to 4096, let it through to the load).
    assert_eq!(
        err.to_string(),
        format!(
            "{}:9:14: plugin `greedy` asks for memory_mib 4096; the host allows at most 1024",
            m.path.display()
        )
    );
    let (_dir, m) = fixture_plugin("const_one", "hungry", "[limits]\nfuel = 100000000000\n");
    let err = host().load(&m).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:9:8: plugin `hungry` asks for fuel 100000000000; the host allows at most 50000000000",
            m.path.display()
        )
    );
    let (_dir, m) = fixture_plugin("endless_loop", "brief", "[limits]\nfuel = 1000\n");
    let p = host().load(&m).unwrap();
    assert_eq!(p.fuel_budget(), 1000);
    let err = p.compute(&[&[1.0]], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `brief` ran out of its budget of 1000 fuel units in `vxs_compute` (a plugin that needs more asks for it with `[limits] fuel` in its manifest)"
    );
}

#[test]
fn host_types_are_shareable_across_threads() {
    fn shareable<T: Send + Sync + Clone>() {}
    fn send_sync<T: Send + Sync>() {}
    shareable::<PluginHost>();
    shareable::<vixshield::plugin::LoadedPlugin>();
    send_sync::<PluginRegistry>();
    send_sync::<PluginError>();

    // The same loaded plugin used from several threads at once.
    let (_dir, m) = fixture_plugin("const_one", "par", "");
    let p = host().load(&m).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let c = p.compute(&[&[1.0, 2.0, 3.0]], &[]).unwrap();
                assert_eq!(c.values, vec![1.0; 3]);
            });
        }
    });
}

// ------------------------------------------------------ example plugins

fn examples() -> PluginRegistry {
    PluginRegistry::from_dirs(vec![repo().join("plugins")])
}

#[test]
fn committed_wasm_loads_and_matches_its_manifest() {
    let reg = examples();
    assert!(reg.problems().is_empty(), "{:?}", reg.problems());
    assert_eq!(reg.names(), vec!["theta_decay", "wilder_rsi"]);
    let host = host();

    let rsi = reg.find("wilder_rsi").unwrap();
    assert_eq!((rsi.inputs, rsi.output), (1, OutputKind::Number));
    assert_eq!(rsi.params.len(), 1);
    assert_eq!(
        (rsi.params[0].name.as_str(), rsi.params[0].default),
        ("period", 14.0)
    );

    let theta = reg.find("theta_decay").unwrap();
    assert_eq!((theta.inputs, theta.output), (2, OutputKind::Bool));
    let params: Vec<(&str, f64)> = theta
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.default))
        .collect();
    assert_eq!(
        params,
        vec![("lookback", 5.0), ("drop", 0.10), ("contango", 0.9)]
    );

    for m in [rsi, theta] {
        let size = std::fs::metadata(m.wasm_path()).unwrap().len();
        assert!(size < 50_000, "{} is {size} bytes", m.wasm);
        let p = host.load(m).unwrap();
        // No bulk-memory operators: they load with the fast compiler.
        let tier = tier_host(Tiering::Baseline).load(m).unwrap().tier();
        assert_eq!(tier, Tier::Baseline, "{}", m.wasm);
        let series: Vec<f64> = (0..40).map(|i| 20.0 + f64::from(i % 7)).collect();
        let inputs: Vec<&[f64]> = (0..m.inputs).map(|_| series.as_slice()).collect();
        let c = p.compute_with_defaults(&inputs).unwrap();
        assert_eq!(c.values.len(), 40);
        assert!(c.fuel_used > 0);
    }
}

#[test]
fn wilder_rsi_equals_the_reference_on_real_vix() {
    let closes = vix_closes();
    assert_eq!(closes.len(), 9235);
    let p = examples().load(&host(), "wilder_rsi").unwrap();
    for period in [14usize, 2, 5, 30, 200] {
        let got = p.compute(&[&closes], &[period as f64]).unwrap();
        let want = reference_rsi(&closes, period);
        assert_eq!(got.values.len(), want.len());
        assert!(
            got.values[..period].iter().all(|v| v.is_nan()),
            "NaN before bar {period}"
        );
        assert!(!got.values[period].is_nan(), "first value at bar {period}");
        let worst = got
            .values
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .filter(|d| !d.is_nan())
            .fold(0.0_f64, f64::max);
        for (i, (a, b)) in got.values.iter().zip(&want).enumerate() {
            assert!(same(*a, *b, 1e-12), "period {period}, bar {i}: {a} vs {b}");
        }
        // Bit for bit the built-in `rsi` (TA-Lib 0.6+'s operations).
        let builtin: Vec<f64> = vixshield::signals::rsi(&closes, period)
            .unwrap()
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect();
        assert_eq!(bits(&got.values), bits(&builtin), "period {period}");
        eprintln!(
            "period {period}: worst |diff| {worst:e}, fuel {}",
            got.fuel_used
        );
    }
    // A flat series: avg gain + avg loss == 0 gives 0.
    let flat = [5.0; 20];
    let c = p.compute(&[&flat], &[14.0]).unwrap();
    assert_eq!(c.values[14], 0.0);
    // Too short: all NaN.
    let c = p.compute(&[&closes[..14]], &[14.0]).unwrap();
    assert!(c.values.iter().all(|v| v.is_nan()));
    // Invalid period: the plugin's error code 2.
    for bad in [1.0, 2.5, f64::NAN, -3.0] {
        let err = p.compute(&[&closes], &[bad]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "plugin `wilder_rsi`: `vxs_compute` returned error code 2: \
                 `period` must be a whole number from 2 to 100000 \
                 (called with 1 input series of {} bars and 1 param (period = {bad}))",
                closes.len()
            )
        );
    }
}

/// VIX closes with VIX3M closes aligned by date (NaN before VIX3M starts).
fn vix_and_vix3m() -> (Vec<f64>, Vec<f64>) {
    let vix = read_closes("vix-daily.csv", "DATE");
    let vix3m: HashMap<String, f64> = read_closes("vix3m-daily-cboe-format.csv", "DATE")
        .into_iter()
        .map(|(d, c)| {
            // MM/DD/YYYY -> YYYY-MM-DD
            let parts: Vec<&str> = d.split('/').collect();
            (format!("{}-{}-{}", parts[2], parts[0], parts[1]), c)
        })
        .collect();
    let aligned = vix
        .iter()
        .map(|(d, _)| vix3m.get(d).copied().unwrap_or(f64::NAN))
        .collect();
    (vix.into_iter().map(|(_, c)| c).collect(), aligned)
}

/// The definition in plugins/theta_decay/README.md.
fn reference_theta(
    vix: &[f64],
    vix3m: &[f64],
    lookback: usize,
    drop: f64,
    contango: f64,
) -> Vec<f64> {
    let ok = |x: f64| x.is_finite() && x > 0.0;
    (0..vix.len())
        .map(|t| {
            if t < lookback {
                return f64::NAN;
            }
            let (then, now, far) = (vix[t - lookback], vix[t], vix3m[t]);
            if !(ok(then) && ok(now) && ok(far)) {
                return f64::NAN;
            }
            let fired = (then - now) / then >= drop && now / far < contango;
            if fired { 1.0 } else { 0.0 }
        })
        .collect()
}

#[test]
fn theta_decay_matches_its_definition_on_real_data() {
    let (vix, vix3m) = vix_and_vix3m();
    let known = vix3m.iter().filter(|v| !v.is_nan()).count();
    assert!(known > 4000, "{known} aligned VIX3M bars");
    let p = examples().load(&host(), "theta_decay").unwrap();
    for (lookback, drop, contango) in [(5, 0.10, 0.9), (3, 0.05, 0.85), (10, 0.2, 1.0)] {
        let got = p
            .compute(&[&vix, &vix3m], &[lookback as f64, drop, contango])
            .unwrap();
        let want = reference_theta(&vix, &vix3m, lookback, drop, contango);
        for (i, (a, b)) in got.values.iter().zip(&want).enumerate() {
            assert!(same(*a, *b, 0.0), "bar {i}: {a} vs {b}");
        }
        let fired = got.values.iter().filter(|v| **v == 1.0).count();
        eprintln!("theta_decay({lookback}, {drop}, {contango}): fired on {fired} bars");
        assert!(fired > 0);
    }
    // Small hand-made case: a 12% fall in steep contango fires, 8% does not.
    let vix = [20.0, 19.0, 18.0, 17.6, 18.4];
    let far = [25.0; 5];
    let c = p.compute(&[&vix, &far], &[3.0, 0.10, 0.9]).unwrap();
    let show: Vec<String> = c.values.iter().map(|v| v.to_string()).collect();
    assert_eq!(show, ["NaN", "NaN", "NaN", "1", "0"]);
    // Bad params give the documented codes.
    let code = |params: [f64; 3]| match p.compute(&[&vix, &far], &params) {
        Err(PluginError::Status { code, .. }) => code,
        other => panic!("{other:?}"),
    };
    assert_eq!(code([0.0, 0.1, 0.9]), 2);
    assert_eq!(code([5.0, 1.5, 0.9]), 3);
    assert_eq!(code([5.0, 0.1, -1.0]), 4);
}

#[test]
fn fuel_and_values_are_deterministic() {
    let closes = vix_closes();
    let reg = examples();
    let first = reg
        .load(&host(), "wilder_rsi")
        .unwrap()
        .compute(&[&closes], &[14.0])
        .unwrap();
    for _ in 0..3 {
        // A fresh host and registry each time; same fuel, same bits.
        let again = examples()
            .load(&host(), "wilder_rsi")
            .unwrap()
            .compute(&[&closes], &[14.0])
            .unwrap();
        assert_eq!(again.fuel_used, first.fuel_used);
        let a: Vec<u64> = again.values.iter().map(|v| v.to_bits()).collect();
        let b: Vec<u64> = first.values.iter().map(|v| v.to_bits()).collect();
        assert_eq!(a, b);
    }
    eprintln!(
        "wilder_rsi over {} bars: {} fuel",
        closes.len(),
        first.fuel_used
    );
    // The default budget is comfortably above what the real plugins need.
    assert!(first.fuel_used * 100 < vixshield::plugin::DEFAULT_FUEL);
}

/// The host's metering appends two functions, so a file that refers to a
/// function just past its own last one would become valid once rewritten:
/// it must still be refused as the invalid module it is.
#[test]
fn a_module_calling_past_its_last_function_stays_invalid() {
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let head = scaffold.trim_end().strip_suffix(')').unwrap();
    // Functions 0..=3 exist; 4 and 5 are what the host appends.
    for reference in [
        "(export \"helper\" (func 4))",
        "(func (call 5 (i32.const 0) (i32.const 0) (i32.const 0)))",
    ] {
        let bytes = wat::parse_str(format!(
            "{head}\n  (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))\n  {reference})\n"
        ))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let m = install(dir.path(), "beyond", &bytes, "");
        for tiering in [Tiering::Baseline, Tiering::Optimized] {
            let err = tier_host(tiering).load(&m).map(|_| ()).unwrap_err();
            assert!(
                matches!(err, PluginError::InvalidModule { .. }),
                "{reference}: {err:?}"
            );
            assert!(
                err.to_string().contains("out of bounds"),
                "{reference}: {err}"
            );
        }
    }
}

/// A module with a `memory.fill` that the host cannot rewrite (its function
/// has a type it never declares) is refused with the validator's reason,
/// never compiled unmetered.
#[test]
fn a_module_whose_bulk_operators_cannot_be_metered_is_refused() {
    let module = [
        &b"\0asm\x01\0\0\0"[..],
        // Function section: one function, of type 0 (there is no type 0).
        &[3, 2, 1, 0],
        // Code section: one body of 11 bytes, no locals:
        // memory.fill (i32.const 0) (i32.const 0) (i32.const 0), end.
        &[
            10, 13, 1, 11, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x0B, 0, 0x0B,
        ],
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "untyped", &module, "");
    for tiering in [Tiering::Baseline, Tiering::Optimized] {
        let err = tier_host(tiering).load(&m).unwrap_err();
        assert!(matches!(err, PluginError::InvalidModule { .. }), "{err:?}");
        assert!(
            err.to_string().contains("type index out of bounds"),
            "{err}"
        );
    }
}

/// The load benchmark's realistic module (`benches/fixtures/std_plugin`): a
/// plugin written with Rust's `std` (global allocator, `Vec`, a sort, float
/// formatting) runs in the sandbox like the hand-tuned `no_std` examples and
/// reports its own error code. Its `memcpy` and `memset` are bulk-memory
/// operators, which the host meters itself: it loads with Winch, and uses
/// the same fuel on both compilers.
#[test]
fn a_plugin_written_with_std_runs_on_both_compilers_with_the_same_fuel() {
    let m = Manifest::from_file(&repo().join("benches/fixtures/std_plugin/plugin.toml")).unwrap();
    let size = std::fs::metadata(m.wasm_path()).unwrap().len();
    assert!((40_000..50_000).contains(&size), "{size} bytes");
    let closes = vix_closes();
    let mut runs = Vec::new();
    for tiering in [Tiering::Baseline, Tiering::Optimized] {
        let p = tier_host(tiering).load(&m).unwrap();
        assert_eq!(p.tier(), load_tier(tiering));
        let c = p.compute_with_defaults(&[&closes]).unwrap();
        // No value until the 63-bar window is full, then one every bar.
        assert!(c.values[..63].iter().all(|v| v.is_nan()));
        assert!(c.values[63..].iter().all(|v| v.is_finite()));
        let err = p.compute(&[&closes], &[1.0, 10.0, 30.0]).unwrap_err();
        assert!(
            matches!(err, PluginError::Status { code: 2, .. }),
            "{err:?}"
        );
        runs.push(c);
    }
    assert_eq!(bits(&runs[0].values), bits(&runs[1].values));
    assert_eq!(runs[0].fuel_used, runs[1].fuel_used);
}

// ------------------------------------------- compiler tiers, NaNs, the pool

#[test]
fn both_tiers_give_the_same_values_and_fuel() {
    let closes = vix_closes();
    let (vix, vix3m) = vix_and_vix3m();
    let reg = examples();
    let (baseline, optimized) = (tier_host(Tiering::Baseline), tier_host(Tiering::Optimized));

    let (b, o) = (
        reg.load(&baseline, "wilder_rsi").unwrap(),
        reg.load(&optimized, "wilder_rsi").unwrap(),
    );
    assert_eq!((b.tier(), o.tier()), (Tier::Baseline, Tier::Optimized));
    for period in [2.0, 14.0, 200.0] {
        let x = b.compute(&[&closes], &[period]).unwrap();
        let y = o.compute(&[&closes], &[period]).unwrap();
        assert_eq!((x.tier, y.tier), (Tier::Baseline, Tier::Optimized));
        assert_eq!(x.fuel_used, y.fuel_used, "period {period}");
        assert_eq!(bits(&x.values), bits(&y.values), "period {period}");
    }

    let (b, o) = (
        reg.load(&baseline, "theta_decay").unwrap(),
        reg.load(&optimized, "theta_decay").unwrap(),
    );
    let x = b.compute_with_defaults(&[&vix, &vix3m]).unwrap();
    let y = o.compute_with_defaults(&[&vix, &vix3m]).unwrap();
    assert_eq!(x.fuel_used, y.fuel_used);
    assert_eq!(bits(&x.values), bits(&y.values));

    // The smallest budget that suffices is the same on both tiers. (It is a
    // little below the fuel used: fuel is checked at function entries and
    // loop headers, so the last few instructions may overdraw it.)
    let needed = reg
        .load(&baseline, "wilder_rsi")
        .unwrap()
        .compute(&[&closes], &[14.0])
        .unwrap()
        .fuel_used;
    let dir = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(repo().join("plugins/wilder_rsi/wilder_rsi.wasm")).unwrap();
    let smallest_budget = |host: &PluginHost| {
        let passes = |fuel: u64| {
            let extra =
                format!("[[params]]\nname = \"period\"\ndefault = 14\n[limits]\nfuel = {fuel}\n");
            let m = install(dir.path(), "budget", &wasm, &extra);
            match host.load(&m).unwrap().compute_with_defaults(&[&closes]) {
                Ok(_) => true,
                Err(PluginError::OutOfFuel { .. }) => false,
                Err(e) => panic!("{e}"),
            }
        };
        let (mut fails, mut ok) = (needed / 2, needed);
        assert!(passes(ok) && !passes(fails));
        while ok - fails > 1 {
            let mid = fails + (ok - fails) / 2;
            if passes(mid) {
                ok = mid;
            } else {
                fails = mid;
            }
        }
        ok
    };
    let smallest = smallest_budget(&baseline);
    eprintln!("wilder_rsi(vix, 14): uses {needed} fuel, needs a budget of {smallest}");
    assert!(smallest <= needed && smallest > needed - 1000);
    assert_eq!(smallest_budget(&optimized), smallest);
}

#[test]
fn the_sandbox_holds_on_both_tiers() {
    for tiering in [Tiering::Baseline, Tiering::Optimized] {
        let host = tier_host(tiering);
        let fail = |fixture: &str, name: &str, extra: &str| -> String {
            let (_dir, m) = fixture_plugin(fixture, name, extra);
            let plugin = host.load(&m).expect("loads");
            let expected = match tiering {
                Tiering::Optimized => Tier::Optimized,
                _ => Tier::Baseline,
            };
            assert_eq!(plugin.tier(), expected);
            let bars: Vec<f64> = (0..10).map(f64::from).collect();
            let t = Instant::now();
            let err = plugin.compute(&[&bars], &[]).expect_err("must fail");
            eprintln!(
                "{fixture} on the {expected} tier: {err} ({:?})",
                t.elapsed()
            );
            assert!(
                t.elapsed() < QUICK,
                "{fixture} on {expected}: {:?}",
                t.elapsed()
            );
            err.to_string()
        };
        let text = fail("endless_loop", "spin", "");
        assert_eq!(
            text,
            "plugin `spin` ran out of its budget of 1000000000 fuel units in `vxs_compute` (a plugin that needs more asks for it with `[limits] fuel` in its manifest)"
        );
        let text = fail("memory_grow", "hog", "[limits]\nmemory_mib = 4\n");
        assert!(
            text.starts_with("plugin `hog`: `vxs_compute` exceeded its memory limit of 4 MiB"),
            "{text}"
        );
        let (_dir, big) = fixture_plugin("huge_initial_memory", "big", "");
        assert!(matches!(
            host.load(&big),
            Err(PluginError::MemoryTooLarge { .. })
        ));
        assert_eq!(
            fail("recursion", "deep", ""),
            "plugin `deep`: `vxs_compute` trapped: stack overflow"
        );
        assert_eq!(
            fail("oob_store", "wild", ""),
            "plugin `wild`: `vxs_compute` trapped: out of bounds memory access (in a Rust plugin, often its stack overflowing: a large local array or deep recursion needs more than the `-zstack-size` its `.cargo/config.toml` sets, 64 KiB from `plugin new`)"
        );
        assert_eq!(
            fail("div_by_zero", "div", ""),
            "plugin `div`: `vxs_compute` trapped: integer divide by zero"
        );
        assert_eq!(
            fail("unreachable", "boom", ""),
            "plugin `boom`: `vxs_compute` trapped: wasm `unreachable` instruction executed \
             (a Rust plugin's panic ends there: an index out of bounds, an `unwrap` of `None`, \
             an overflow in a debug build, ...)"
        );
    }
}

/// `const_one` writing `value` instead of 1.0: a module no other test loads
/// (compiled modules are shared per process, by their bytes).
fn unique_const(value: &str) -> Vec<u8> {
    let source = std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let changed = source.replace("(f64.const 1.0)", &format!("(f64.const {value})"));
    assert_ne!(changed, source);
    wat::parse_str(&changed).unwrap()
}

#[test]
fn adaptive_tiering_moves_a_busy_plugin_to_the_optimizing_compiler() {
    let dir = tempfile::tempdir().unwrap();
    let bars = vec![0.0; 1000];

    // With the default threshold, one computation stays on the baseline tier.
    let once = install(dir.path(), "once", &unique_const("2.25"), "");
    let p = host().load(&once).unwrap();
    assert_eq!(p.tier(), Tier::Baseline);
    assert_eq!(p.compute(&[&bars], &[]).unwrap().tier, Tier::Baseline);
    assert_eq!(p.tier(), Tier::Baseline);

    // A low threshold: 100 fuel per module byte.
    let module = unique_const("2.5");
    let busy = install(dir.path(), "busy", &module, "");
    let host = PluginHost::new(HostConfig::default().with_tier_up_fuel_per_byte(100)).unwrap();
    let p = host.load(&busy).unwrap();
    assert_eq!(p.tier(), Tier::Baseline);
    let first = p.compute(&[&bars], &[]).unwrap();
    assert_eq!(first.tier, Tier::Baseline);
    assert!(first.values.iter().all(|v| *v == 2.5));
    let mut on_baseline = 1;
    while p.tier() == Tier::Baseline {
        let c = p.compute(&[&bars], &[]).unwrap();
        assert_eq!(c.tier, Tier::Baseline);
        on_baseline += 1;
        assert!(on_baseline < 1000, "never moved up");
    }
    // It moved as soon as the baseline computations had used the threshold.
    let threshold = 100 * module.len() as u64;
    assert_eq!(on_baseline, threshold.div_ceil(first.fuel_used));
    let after = p.compute(&[&bars], &[]).unwrap();
    assert_eq!(after.tier, Tier::Optimized);
    assert_eq!(after.fuel_used, first.fuel_used);
    assert_eq!(bits(&after.values), bits(&first.values));
    // Other loads of the same module share the optimized code...
    assert_eq!(host.load(&busy).unwrap().tier(), Tier::Optimized);
    assert_eq!(p.clone().tier(), Tier::Optimized);
    // ...unless their host asks for the baseline tier only.
    let baseline = tier_host(Tiering::Baseline).load(&busy).unwrap();
    assert_eq!(
        baseline.compute(&[&bars], &[]).unwrap().tier,
        Tier::Baseline
    );
}

#[test]
fn a_module_only_the_optimizing_compiler_takes_loads_on_that_tier() {
    // `return_call` (tail calls): Cranelift compiles it, Winch does not.
    let source = std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let tail = source.replacen(
        "(func (export \"vxs_signal_v1\"))",
        "(func (export \"vxs_signal_v1\") (return_call $nothing))\n  (func $nothing)",
        1,
    );
    assert_ne!(tail, source);
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "tail", &wat::parse_str(&tail).unwrap(), "");
    for tiering in [Tiering::Adaptive, Tiering::Baseline, Tiering::Optimized] {
        let p = tier_host(tiering).load(&m).unwrap();
        assert_eq!(p.tier(), Tier::Optimized, "{tiering:?}");
        let c = p.compute(&[&[1.0, 2.0]], &[]).unwrap();
        assert_eq!((c.values, c.tier), (vec![1.0, 1.0], Tier::Optimized));
    }
    // A module neither takes is reported as invalid, with Cranelift's reason.
    let err = host().load_bytes(&m, b"\0asm\x01\0\0\0\x01").unwrap_err();
    assert!(matches!(err, PluginError::InvalidModule { .. }), "{err:?}");
}

#[test]
fn nan_canonicalization_is_a_setting() {
    let (_dir, m) = fixture_plugin("nan_sign", "nan_sign", "");
    let bars = [0.0, 2.0, -0.0, -3.0];
    for tiering in [Tiering::Baseline, Tiering::Optimized] {
        let run = |canonical: bool| {
            let config = HostConfig::default()
                .with_tiering(tiering)
                .with_nan_canonicalization(canonical);
            PluginHost::new(config)
                .unwrap()
                .load(&m)
                .unwrap()
                .compute(&[&bars], &[])
                .unwrap()
        };
        let canonical = run(true);
        assert_eq!(canonical.values, [1.0, 1.0, 1.0, 1.0], "{tiering:?}");
        let native = run(false);
        assert_eq!(native.fuel_used, canonical.fuel_used);
        assert_eq!(native.values[1], 1.0);
        assert_eq!(native.values[3], 1.0);
        // x86-64's 0/0 is the "default NaN", whose sign bit is set.
        if cfg!(target_arch = "x86_64") {
            assert_eq!(native.values, [-1.0, 1.0, -1.0, 1.0], "{tiering:?}");
        }
    }
}

#[test]
fn vixshield_toml_can_turn_nan_canonicalization_on() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    install(&root.join("plugins"), "nan_sign", &wat("nan_sign"), "");
    let run = |setup: &PluginSetup| {
        setup
            .load("nan_sign")
            .unwrap()
            .compute(&[&[0.0]], &[])
            .unwrap()
            .values
    };

    let reg = PluginRegistry::discover(root, &[]).unwrap();
    assert!(!reg.canonicalize_nans());
    let setup = PluginSetup::new(reg);
    assert!(!setup.host().unwrap().config().canonicalize_nans);
    if cfg!(target_arch = "x86_64") {
        assert_eq!(run(&setup), [-1.0]);
    }

    write(
        &root.join("vixshield.toml"),
        "[plugins]\ncanonicalize_nans = true\n",
    );
    let reg = PluginRegistry::discover(root, &[]).unwrap();
    assert!(reg.canonicalize_nans());
    let setup = PluginSetup::new(reg);
    assert!(setup.host().unwrap().config().canonicalize_nans);
    assert_eq!(run(&setup), [1.0]);

    write(
        &root.join("vixshield.toml"),
        "[plugins]\ncanonicalize_nans = \"yes\"\n",
    );
    let err = PluginRegistry::discover(root, &[]).unwrap_err();
    assert!(matches!(err, PluginError::ProjectFile { .. }), "{err:?}");
    assert!(err.to_string().contains("vixshield.toml:2:"), "{err}");
}

#[test]
fn identity_returns_its_input_bit_for_bit() {
    // The host's copies in and out keep every bit, NaN payloads included,
    // through a reused pool slot (the second run gets a wiped slot).
    let (_dir, m) = fixture_plugin("identity", "same", "");
    let mut bars: Vec<f64> = vix_closes();
    bars.extend([
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_dead_beef),
        -0.0,
        f64::INFINITY,
        f64::MIN_POSITIVE / 2.0,
    ]);
    for tiering in [Tiering::Baseline, Tiering::Optimized] {
        let plugin = tier_host(tiering).load(&m).unwrap();
        for _ in 0..2 {
            let c = plugin.compute(&[&bars], &[]).unwrap();
            assert_eq!(bits(&c.values), bits(&bars), "{tiering:?}");
        }
        let short = plugin.compute(&[&bars[..3]], &[]).unwrap();
        assert_eq!(bits(&short.values), bits(&bars[..3]));
    }
}

#[test]
fn more_computations_at_once_than_pool_slots_all_finish() {
    // The pool has at most 64 slots; the others wait for a free one.
    let (_dir, m) = fixture_plugin("const_one", "crowd", "");
    let plugin = host().load(&m).unwrap();
    let bars = vec![0.0; 100];
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..80)
            .map(|_| s.spawn(|| plugin.compute(&[&bars], &[]).unwrap()))
            .collect();
        for run in runs {
            assert!(run.join().unwrap().values.iter().all(|v| *v == 1.0));
        }
    });
}

#[test]
fn swapping_the_wasm_changes_the_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("wilder_rsi");
    std::fs::create_dir_all(&dst).unwrap();
    for f in ["plugin.toml", "wilder_rsi.wasm"] {
        std::fs::copy(repo().join("plugins/wilder_rsi").join(f), dst.join(f)).unwrap();
    }
    let closes = vix_closes();
    let before = PluginRegistry::from_dirs(vec![tmp.path().to_path_buf()])
        .load(&host(), "wilder_rsi")
        .unwrap()
        .compute(&[&closes], &[14.0])
        .unwrap();
    assert!(
        before.values[14..]
            .iter()
            .all(|v| (0.0..=100.0).contains(v))
    );

    // Same name, same manifest; different module: writes 1.0 everywhere.
    std::fs::write(dst.join("wilder_rsi.wasm"), wat("const_one")).unwrap();
    let after = PluginRegistry::from_dirs(vec![tmp.path().to_path_buf()])
        .load(&host(), "wilder_rsi")
        .unwrap()
        .compute(&[&closes], &[14.0])
        .unwrap();
    assert!(after.values.iter().all(|v| *v == 1.0));
    assert_ne!(before.values[100], after.values[100]);
}

// ------------------------------------------------ discovery and manifests

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn discovery_via_vixshield_toml_and_lazy_loading() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        &root.join("vixshield.toml"),
        "[plugins]\npaths = [\"vendor/signals\"]\n",
    );
    // plugins/: a good plugin, a broken manifest, a plugin whose wasm is junk,
    // one whose wasm is missing, and a folder that is not a plugin.
    install(&root.join("plugins"), "one", &wat("const_one"), "");
    write(
        &root.join("plugins/broken/plugin.toml"),
        "name = \"broken\"\ncolour = 3\n",
    );
    install(&root.join("plugins"), "junk", b"\0asm junk", "");
    let gone = install(&root.join("plugins"), "gone", &wat("const_one"), "");
    std::fs::remove_file(gone.wasm_path()).unwrap();
    std::fs::create_dir_all(root.join("plugins/notes")).unwrap();
    // vendor/signals: the real theta_decay.
    let vendor = root.join("vendor/signals/theta_decay");
    std::fs::create_dir_all(&vendor).unwrap();
    for f in ["plugin.toml", "theta_decay.wasm"] {
        std::fs::copy(repo().join("plugins/theta_decay").join(f), vendor.join(f)).unwrap();
    }
    // An extra --plugins dir.
    let extra = tempfile::tempdir().unwrap();
    install(extra.path(), "extra_one", &wat("const_one"), "");

    // Discover from a nested folder: the nearest vixshield.toml wins.
    let nested = root.join("strategies/deep");
    std::fs::create_dir_all(&nested).unwrap();
    let reg = PluginRegistry::discover(&nested, &[extra.path().to_path_buf()]).unwrap();
    assert_eq!(
        reg.project_file(),
        Some(root.join("vixshield.toml").as_path())
    );
    assert_eq!(reg.dirs().len(), 3);
    assert_eq!(
        reg.names(),
        vec!["extra_one", "gone", "junk", "one", "theta_decay"]
    );
    // The broken manifest is a problem, reported with path and line:col...
    let problems: Vec<String> = reg.problems().iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let broken = root.join("plugins/broken/plugin.toml");
    assert!(
        problems[0].starts_with(&format!("{}:2:1: unknown field `colour`", broken.display())),
        "{}",
        problems[0]
    );
    // ...and asking for it by name gives that error.
    let err = reg.lookup("broken").unwrap_err();
    assert!(matches!(err, PluginError::Manifest { .. }), "{err:?}");

    // find reads manifests only: a plugin whose wasm is missing or junk is
    // found; it fails only when loaded, and does not affect the others.
    assert!(reg.find("gone").is_some());
    assert!(reg.find("junk").is_some());
    let host = host();
    assert!(matches!(
        reg.load(&host, "gone"),
        Err(PluginError::Io { .. })
    ));
    assert!(matches!(
        reg.load(&host, "junk"),
        Err(PluginError::InvalidModule { .. })
    ));
    let one = reg.load(&host, "one").unwrap();
    assert_eq!(
        one.compute(&[&[3.0, 4.0]], &[]).unwrap().values,
        vec![1.0, 1.0]
    );
    assert!(reg.load(&host, "theta_decay").is_ok());
    assert!(reg.load(&host, "extra_one").is_ok());

    let err = reg.lookup("nope").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no plugin named `nope` (searched "),
        "{err}"
    );
}

#[test]
fn without_vixshield_toml_the_start_dir_is_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    install(&tmp.path().join("plugins"), "here", &wat("const_one"), "");
    let reg = PluginRegistry::discover(tmp.path(), &[]).unwrap();
    assert_eq!(reg.project_file(), None);
    assert!(reg.find("here").is_some());
}

#[test]
fn a_name_clash_names_both_paths() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ma = install(a.path(), "twin", &wat("const_one"), "");
    let mb = install(b.path(), "twin", &wat("const_one"), "");
    install(b.path(), "single", &wat("const_one"), "");
    let reg = PluginRegistry::from_dirs(vec![a.path().to_path_buf(), b.path().to_path_buf()]);
    assert!(reg.find("twin").is_none());
    let err = reg.lookup("twin").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "two plugins are named `twin`: {} and {}",
            ma.path.display(),
            mb.path.display()
        )
    );
    assert_eq!(reg.problems().len(), 1);
    assert!(reg.names().contains(&"twin"));
    // The other plugin in the same folder still works.
    assert!(reg.load(&host(), "single").is_ok());
    // The same folder listed twice is not a clash.
    let reg = PluginRegistry::from_dirs(vec![a.path().to_path_buf(), a.path().to_path_buf()]);
    assert!(reg.find("twin").is_some());
}

#[test]
fn bad_project_files_and_dirs_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        &tmp.path().join("vixshield.toml"),
        "[plugins]\npaths = \"one\"\n",
    );
    let err = PluginRegistry::discover(tmp.path(), &[]).unwrap_err();
    assert!(matches!(err, PluginError::ProjectFile { .. }), "{err:?}");
    assert!(err.to_string().contains("vixshield.toml:2:"), "{err}");

    write(
        &tmp.path().join("vixshield.toml"),
        "[plugins]\npaths = [\"missing\"]\n",
    );
    let err = PluginRegistry::discover(tmp.path(), &[]).unwrap_err();
    assert!(matches!(err, PluginError::ListedFolder { .. }), "{err:?}");
    assert!(err.to_string().contains("missing"), "{err}");

    let other = tempfile::tempdir().unwrap();
    let err = PluginRegistry::discover(other.path(), &[other.path().join("nope")]).unwrap_err();
    assert!(err.to_string().starts_with("cannot read "), "{err}");

    // A misspelt table is an error at its line, not silently ignored.
    write(
        &tmp.path().join("vixshield.toml"),
        "[plugin]
paths = [\"vendor\"]\n",
    );
    let err = PluginRegistry::discover(tmp.path(), &[]).unwrap_err();
    assert!(matches!(err, PluginError::ProjectFile { .. }), "{err:?}");
    assert!(
        err.to_string()
            .ends_with("vixshield.toml:1:2: unknown field `plugin`, expected `plugins`"),
        "{err}"
    );
    // The same after a byte-order mark, which is not a column (it was 1:3).
    write(
        &tmp.path().join("vixshield.toml"),
        "\u{feff}[plugin]\npaths = [\"vendor\"]\n",
    );
    let err = PluginRegistry::discover(tmp.path(), &[]).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("vixshield.toml:1:2: unknown field `plugin`, expected `plugins`"),
        "{err}"
    );
    // A folder called vixshield.toml marks the project and cannot be read.
    let dir_project = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir_project.path().join("vixshield.toml")).unwrap();
    let err = PluginRegistry::discover(dir_project.path(), &[]).unwrap_err();
    assert!(matches!(err, PluginError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("vixshield.toml"), "{err}");
}

/// A folder `[plugins] paths` lists that cannot be searched is said at its
/// place in `vixshield.toml` (I/O trouble, exit 2), not as a bare path.
#[test]
fn a_listed_plugin_folder_that_is_missing_is_said_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("there")).unwrap();
    write(&tmp.path().join("not-a-folder"), "x");
    write(
        &tmp.path().join("vixshield.toml"),
        "[plugins]\npaths = [\"there\",\n  \"vendor/signals\"]\n",
    );
    let file = tmp.path().join("vixshield.toml");
    let err = PluginRegistry::discover(tmp.path(), &[]).unwrap_err();
    assert!(matches!(err, PluginError::ListedFolder { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3:3: plugin folder `vendor/signals` ({}) cannot be searched: no such folder",
            file.display(),
            tmp.path().join("vendor/signals").display()
        )
    );
    write(&file, "[plugins]\npaths = [\"not-a-folder\"]\n");
    let err = PluginRegistry::discover(tmp.path(), &[]).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{}:2:10: plugin folder `not-a-folder` (",
            file.display()
        )) && err
            .to_string()
            .ends_with("cannot be searched: not a folder"),
        "{err}"
    );
    // The command says the same and exits 2, with nothing on stdout.
    write(&file, "[plugins]\npaths = [\"vendor\"]\n");
    let out = crate::common::vixshield_in(tmp.path(), &["plugin", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = crate::common::text(&out.stderr);
    assert!(
        stderr.contains("vixshield.toml:2:10: plugin folder `vendor` ("),
        "{stderr}"
    );
}

/// A `plugin.toml` or `vixshield.toml` that is not UTF-8 is an error at the
/// first byte that is not (exit 1, as a journal's), not an I/O error
/// without a place.
#[test]
fn manifests_that_are_not_utf8_are_said_at_the_bad_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("p/plugin.toml");
    std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
    std::fs::write(&manifest, b"name = \"p\"\n# caf\xc3\xa9 \xff\n").unwrap();
    let err = Manifest::from_file(&manifest).unwrap_err();
    assert!(matches!(err, PluginError::Manifest { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{}:2:8: the file is not UTF-8 text", manifest.display())
    );
    let out = crate::common::vixshield_in(tmp.path(), &["plugin", "inspect", "p"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());

    let project = tmp.path().join("vixshield.toml");
    std::fs::write(&project, b"[plugins]\npaths = [\"\xfe\"]\n").unwrap();
    let err = PluginRegistry::discover(tmp.path(), &[]).unwrap_err();
    assert!(matches!(err, PluginError::ProjectFile { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{}:2:11: the file is not UTF-8 text", project.display())
    );
}

#[test]
fn manifest_errors_name_the_path_and_position() {
    let path = Path::new("plugins/x/plugin.toml");
    let base = "name = \"x\"\nversion = \"1\"\nabi = 1\nwasm = \"x.wasm\"\ndescription = \"d\"\ninputs = 1\noutput = \"number\"\n";
    let err = |text: &str| Manifest::parse(text, path).unwrap_err().to_string();

    assert_eq!(
        err(&format!("{base}colour = \"red\"\n")),
        "plugins/x/plugin.toml:8:1: unknown field `colour`, expected one of `name`, `version`, `abi`, `wasm`, `description`, `inputs`, `output`, `params`, `limits`, `errors`"
    );
    assert!(err(&base.replace("abi = 1", "abi = 2")).starts_with(
        "plugins/x/plugin.toml:3:7: unsupported `abi = 2`; this host supports `abi = 1`"
    ));
    assert!(err(&base.replace("\"number\"", "\"string\"")).starts_with("plugins/x/plugin.toml:7:"));
    assert!(err(&base.replace("x.wasm", "../x.wasm")).contains("`wasm` must be a file name"));
    assert!(
        err(&base.replace("inputs = 1", "inputs = 0"))
            .contains("`inputs` must be between 1 and 64")
    );
    assert!(
        err(&base.replace("name = \"x\"", "name = \"x-y\""))
            .contains("`name` must be an identifier")
    );
    assert!(
        err(&format!(
            "{base}[[params]]\nname = \"p\"\ndefault = 1\nstep = 2\n"
        ))
        .contains("unknown field `step`")
    );
    assert!(
        err(&format!("{base}[limits]\nmemory_mib = 0\n"))
            .contains("`memory_mib` must be between 1 and 4096")
    );
    assert!(err(&base.replace("wasm = \"x.wasm\"\n", "")).contains("missing field `wasm`"));
    // A byte-order mark (Windows' Notepad writes one) is not a column, and
    // a lone `\r` ends a line, as in strategy files: the mark made this 1:9.
    assert!(
        err(&format!(
            "\u{feff}{}",
            base.replace("name = \"x\"", "name = 5")
        ))
        .starts_with("plugins/x/plugin.toml:1:8: invalid type: integer `5`"),
        "{}",
        err(&format!(
            "\u{feff}{}",
            base.replace("name = \"x\"", "name = 5")
        ))
    );
    // `[errors]`: the codes `vxs_compute` returns, each a non-zero whole
    // number once, with one line of text.
    for (table, message) in [
        (
            "0 = \"ok\"",
            "plugins/x/plugin.toml:9:5: `[errors]` code 0 is success, not an error: give the non-zero codes `vxs_compute` returns",
        ),
        (
            "two = \"bad\"",
            "plugins/x/plugin.toml:9:7: `[errors]` keys are the codes `vxs_compute` returns, whole numbers written in quotes or bare (`2 = \"...\"`), found \"two\"",
        ),
        (
            "1e3 = \"bad\"",
            "plugins/x/plugin.toml:9:7: `[errors]` keys are the codes `vxs_compute` returns, whole numbers written in quotes or bare (`2 = \"...\"`), found \"1e3\"",
        ),
        (
            "\"2\" = \"a\"\n\"02\" = \"b\"",
            "plugins/x/plugin.toml:10:8: `[errors]` gives code 2 twice (\"02\" is another spelling of it)",
        ),
        (
            "3 = \" \"",
            "plugins/x/plugin.toml:9:5: `[errors]` text for code 3 must not be empty",
        ),
        (
            "3 = \"a\\u001b[2Jb\"",
            "plugins/x/plugin.toml:9:5: `[errors]` text for code 3 must be one line without control characters, found U+001B",
        ),
        (
            "3 = 4",
            "plugins/x/plugin.toml:9:5: invalid type: integer `4`, expected a string",
        ),
    ] {
        assert_eq!(
            err(&format!("{base}[errors]\n{table}\n")),
            message,
            "{table}"
        );
    }
    let m = Manifest::parse(
        &format!("{base}[errors]\n-1 = \" below zero \"\n\"7\" = \"seven\"\n"),
        path,
    )
    .unwrap();
    assert_eq!(
        m.errors.into_iter().collect::<Vec<_>>(),
        [(-1, "below zero".to_string()), (7, "seven".to_string())]
    );
    // Printed by `plugin list` and `plugin inspect`: no escape sequences, one line.
    assert_eq!(
        err(&base.replace("\"d\"", "\"d\\u001b[2J\"")),
        "plugins/x/plugin.toml:5:15: `description` must be one line without control characters, found U+001B"
    );
    assert!(err(&base.replace("\"d\"", "\"\"\"two\nlines\"\"\"")).contains("found U+000A"));
    assert!(
        err(&base.replace("version = \"1\"", "version = \"1\\u009b\""))
            .starts_with("plugins/x/plugin.toml:2:11: `version` must be one line")
    );

    let m = Manifest::parse(
        &format!(
            "{base}[[params]]\nname = \"p\"\ndefault = 1\n[limits]\nfuel = 5\nmemory_mib = 8\n"
        ),
        path,
    )
    .unwrap();
    assert_eq!(m.default_params(), vec![1.0]);
    assert_eq!((m.limits.fuel, m.limits.memory_mib), (Some(5), Some(8)));
    assert_eq!(m.wasm_path(), Path::new("plugins/x/x.wasm"));
}

/// A file that is not WebAssembly at all gets a one-line error (wasmparser
/// prints the magic bytes as an indented list, which would break up `plugin
/// list`, `plugin inspect` and diagnostics).
#[test]
fn a_file_that_is_not_wasm_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "text", b"garbage, not wasm\n", "");
    let err = host().load(&m).expect_err("not wasm");
    let text = err.to_string();
    assert!(matches!(err, PluginError::InvalidModule { .. }), "{err:?}");
    assert!(!text.contains('\n'), "{text}");
    assert!(
        text.contains("expected=[0x0, 0x61, 0x73, 0x6d] actual=[0x67, 0x61, 0x72, 0x62]"),
        "{text}"
    );
}

/// A bar the plugin does not write has no value: the host fills the output
/// with NaN before `vxs_compute`, where the bars it left read 0.0, fresh
/// memory's, a valid number and `false` for a bool plugin (the plugin-author
/// audit: `computed 9235 of 9235 bars`, last value 0, from a plugin that
/// wrote half).
#[test]
fn bars_a_plugin_does_not_write_have_no_value() {
    let (_dir, m) = fixture_plugin("half_output", "half", "");
    let plugin = host().load(&m).expect("loads");
    let bars: Vec<f64> = (1..=10).map(f64::from).collect();
    let c = plugin.compute(&[&bars], &[]).expect("computes");
    assert_eq!(c.values[..5], bars[..5]);
    assert!(c.values[5..].iter().all(|v| v.is_nan()), "{:?}", c.values);
}

/// WebAssembly text saved under the module's name is named as text to
/// assemble (it read "bad magic number - expected=[0x0, 0x61, 0x73, 0x6d]
/// actual=[0x28, 0x6d, ...]"), and a key given twice in a manifest is named
/// ("duplicate key" alone): the plugin-author audit.
#[test]
fn wat_text_and_a_duplicate_manifest_key_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let m = install(
        dir.path(),
        "texty",
        b";; a plugin\n(module (memory (export \"memory\") 1))\n",
        "",
    );
    let err = host().load(&m).expect_err("text is no module").to_string();
    assert!(
        err.ends_with(
            "is not a valid WebAssembly module: it is WebAssembly text (WAT), not a binary module: \
             assemble it first (`wat2wasm`, or `wasm-tools parse`)"
        ),
        "{err}"
    );
    let folder = dir.path().join("twice");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("plugin.toml");
    std::fs::write(
        &path,
        "name = \"twice\"\nversion = \"1\"\nabi = 1\nwasm = \"twice.wasm\"\ndescription = \"d\"\n\
         inputs = 1\noutput = \"number\"\n[[params]]\nname = \"a\"\ndefault = 1\ndefault = 2\n",
    )
    .unwrap();
    let err = Manifest::from_file(&path)
        .expect_err("a key twice")
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}:11:1: duplicate key `default`: each key is given once",
            path.display()
        )
    );
}

/// A module missing beside its manifest while cargo's build of it is in the
/// plugin's folder (built, not copied) gets the command that copies it, not
/// only "build the plugin and copy its module there".
#[test]
fn a_module_built_but_not_copied_gets_the_copy_command() {
    let dir = tempfile::tempdir().unwrap();
    let m = install(dir.path(), "uncopied", &wat("const_one"), "");
    std::fs::remove_file(m.wasm_path()).unwrap();
    let err = host().load(&m).expect_err("no module").to_string();
    assert!(err.contains("no such file: build the plugin"), "{err}");
    let release = m.dir().join("target/wasm32-unknown-unknown/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::write(release.join("uncopied.wasm"), wat("const_one")).unwrap();
    let err = host().load(&m).expect_err("still no module").to_string();
    assert!(
        err.ends_with(&format!(
            "no such file, but its crate's build is beside it: copy it there \
             (`cp target/wasm32-unknown-unknown/release/uncopied.wasm .` in {})",
            m.dir().display()
        )),
        "{err}"
    );
}
