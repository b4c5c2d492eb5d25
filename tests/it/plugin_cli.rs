//! Plugins integrated end to end: the checker (unknown, broken, clashing
//! plugins), the pipeline (a plugin equals its built-in twin on the real VIX
//! history; a bool plugin is a condition), the built binary (a plugin swapped
//! on disk changes the output with no rebuild) and `vixshield plugin
//! list | inspect | test`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{plugin_folder, text, vixshield, vixshield_in};
use std::path::PathBuf;

use vixshield::check::{self, Env};
use vixshield::compile::compile;
use vixshield::diag::Code;
use vixshield::eval::{Column, MarketValues};
use vixshield::market::{Calendar, Market};
use vixshield::plugin::{PluginRegistry, PluginSetup};
use vixshield::source::SourceFile;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wat(name: &str) -> Vec<u8> {
    wat::parse_file(
        repo()
            .join("tests/fixtures/wat")
            .join(format!("{name}.wat")),
    )
    .unwrap()
}

// ------------------------------------------------------------ fixtures

/// The committed fixture modules are their WAT sources, compiled.
/// `VIXSHIELD_BLESS=1` rewrites them.
#[test]
fn fixture_modules_match_their_wat() {
    let bless = std::env::var_os("VIXSHIELD_BLESS").is_some();
    for (module, source) in [
        ("const_one/const_one.wasm", "const_one"),
        ("no_marker/no_marker.wasm", "no_marker"),
        ("bad_manifest/bad_manifest.wasm", "const_one"),
        ("lowest/lowest.wasm", "const_one"),
        ("vix3m/vix3m.wasm", "const_one"),
    ] {
        let path = repo().join("tests/fixtures/plugins").join(module);
        let want = wat(source);
        if bless {
            std::fs::write(&path, &want).unwrap();
        }
        let got = std::fs::read(&path).unwrap_or_default();
        assert!(
            got == want,
            "{} is not {source}.wat compiled (VIXSHIELD_BLESS=1 rewrites it)",
            path.display()
        );
    }
}

// ------------------------------------------------------------ the pipeline

fn project_plugins() -> PluginSetup {
    PluginSetup::discover(&repo(), &[]).expect("the project's plugins")
}

const HEADER: &str = r#"strategy "t" {
    version = 1.0.0
    language = 1
}

account {
    capital = $100,000
}

entry {
    underlying = SPX
    dte = 45d
    short_delta = 0.15..0.20
    wing_width = 50pt
}

sizing {
    base = 1% of capital
    steps = 3
    multiplier = 1.6x
    layer_cap = 10% of capital
    max_loss = 90% of credit
}
"#;

/// Check, compile and evaluate `body` (after a fixed header) over the
/// bundled market; the named signals' columns, in definition order.
fn signal_columns(setup: &PluginSetup, body: &str) -> Vec<(String, Column)> {
    let src = SourceFile::new("t.vxs", format!("{HEADER}{body}"));
    let checked = check::check_source(&src, &setup.env());
    let strategy = checked
        .strategy
        .unwrap_or_else(|| panic!("checks: {:?}", checked.diagnostics));
    let compiled = compile(&strategy, &setup.defaults()).expect("compiles");
    let runner = setup.runner(&compiled.graph).expect("plugins load");
    let market = Market::bundled().unwrap();
    let calendar = Calendar::bundled().unwrap();
    let values = MarketValues::compute(&compiled.graph, &market, &calendar, Some(&runner))
        .expect("evaluates");
    compiled
        .ids
        .signals
        .iter()
        .map(|(name, id)| (name.clone(), values.column(*id).cloned().expect("column")))
        .collect()
}

#[test]
fn wilder_rsi_plugin_equals_the_builtin_rsi_on_the_real_vix_history() {
    let cols = signal_columns(
        &project_plugins(),
        "signal builtin = rsi(vix, 14)\nsignal plugin = wilder_rsi(vix, 14)\nsignal plugin_default = wilder_rsi(vix)\n\
         guards {\n    builtin > 0 and plugin > 0 and plugin_default > 0\n}\n",
    );
    let num = |c: &Column| match c {
        Column::Num(v) => v.clone(),
        Column::Bool(_) => panic!("a number column"),
    };
    let builtin = num(&cols[0].1);
    let plugin = num(&cols[1].1);
    assert_eq!(num(&cols[2].1), plugin, "the default period is 14");
    assert!(builtin.len() > 9000, "the whole VIX history");
    let mut compared = 0;
    for (i, (b, p)) in builtin.iter().zip(&plugin).enumerate() {
        match (b, p) {
            (Some(b), Some(p)) => {
                assert!((b - p).abs() <= 1e-12, "bar {i}: rsi {b}, wilder_rsi {p}");
                compared += 1;
            }
            (None, None) => {}
            _ => panic!("bar {i}: rsi {b:?}, wilder_rsi {p:?}"),
        }
    }
    assert_eq!(compared, builtin.len() - 14);
}

/// `vix3m` has no value before December 2007 and after its last close: the
/// plugin skips those bars as the built-in does (a NaN input had made every
/// later bar NaN, so `wilder_rsi(vix3m, 14)` had no value anywhere where
/// `rsi(vix3m, 14)` has 4,151; found by the plugin-author audit).
#[test]
fn wilder_rsi_plugin_takes_a_series_with_gaps_as_the_builtin_does() {
    let cols = signal_columns(
        &project_plugins(),
        "signal builtin = rsi(vix3m, 14)\nsignal plugin = wilder_rsi(vix3m, 14)\n\
         guards {\n    builtin > 0 and plugin > 0\n}\n",
    );
    let num = |c: &Column| match c {
        Column::Num(v) => v.clone(),
        Column::Bool(_) => panic!("a number column"),
    };
    let (builtin, plugin) = (num(&cols[0].1), num(&cols[1].1));
    assert_eq!(builtin.len(), plugin.len());
    assert!(
        builtin.first() == Some(&None),
        "vix3m starts later than vix"
    );
    let valued = builtin.iter().filter(|b| b.is_some()).count();
    assert!(valued > 4000, "{valued} bars with a value");
    // Bit for bit: the same operations in the same order.
    assert_eq!(builtin, plugin);
}

/// `plugin test --input vix3m` feeds the plugin the bars a strategy's call
/// does (not VIX3M's carried days, where its value is the bar before's),
/// so its first and last values and its count are `signal`'s: it passed the
/// whole aligned series and ended on 54.694443 where `signal "wilder_rsi(vix3m,
/// 14)"` ends on 54.932951 (found by the TA-Lib audit).
#[test]
fn plugin_test_feeds_the_bars_a_strategy_does() {
    let json = |args: &[&str]| -> serde_json::Value {
        let out = vixshield(args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let test = json(&[
        "plugin",
        "test",
        "plugins/wilder_rsi",
        "--input",
        "vix3m",
        "--format",
        "json",
    ]);
    let signal = json(&["signal", "wilder_rsi(vix3m, 14)", "--format", "json"]);
    let rows = signal.as_array().expect("rows");
    let valued: Vec<(usize, &serde_json::Value)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r["value"].is_null())
        .collect();
    assert_eq!(test["bars"].as_u64(), Some(rows.len() as u64));
    assert_eq!(test["computed"].as_u64(), Some(valued.len() as u64));
    for (point, (bar, row)) in [
        (&test["first"], valued.first().expect("a value")),
        (&test["last"], valued.last().expect("a value")),
    ] {
        assert_eq!(point["bar"].as_u64(), Some(*bar as u64), "{point}");
        assert_eq!(point["date"], row["date"], "{point}");
        assert_eq!(point["value"], row["value"], "{point}");
    }
}

/// `plugin test` says how many bars the plugin was given when the days every
/// series fed was carried forward are left out (its `9235 bars` read as if
/// the plugin got them all, where it got 9,206: the plugin-author audit),
/// as `bars_passed` in JSON: VIX3M is carried on the days only VIX printed.
#[test]
fn plugin_test_says_how_many_bars_the_plugin_was_given() {
    let run = |input: &str, json: bool| {
        let mut args = vec!["plugin", "test", "plugins/wilder_rsi", "--input", input];
        if json {
            args.extend(["--format", "json"]);
        }
        let out = vixshield(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        out.stdout
    };
    let market = Market::bundled().unwrap();
    let vix3m = market.get("vix3m").expect("vix3m");
    let fresh = vixshield::eval::fresh_bars([vix3m])
        .map_or(market.dates().len(), |b| b.iter().filter(|f| **f).count());
    let v: serde_json::Value = serde_json::from_slice(&run("vix3m", true)).unwrap();
    assert_eq!(v["bars"], market.dates().len());
    assert_eq!(v["bars_passed"], fresh);
    assert!(fresh < market.dates().len());
    let human = text(&run("vix3m", false));
    assert!(
        human.lines().next().unwrap_or("").contains(&format!(
            "; {fresh} passed to the plugin, the days every series given was carried forward left out)"
        )),
        "{human}"
    );
    let v: serde_json::Value = serde_json::from_slice(&run("vix", true)).unwrap();
    assert_eq!(v["bars_passed"], v["bars"]);
    assert!(!text(&run("vix", false)).contains("passed to the plugin"));
}

/// A plugin that gives no value on any bar is tested without error (a
/// warm-up longer than the history is no bug), but says so on stderr: it
/// printed `computed 0 of 9235 bars` and nothing else, and a strategy
/// calling it reads `unknown` on every bar.
#[test]
fn plugin_test_warns_of_a_plugin_without_any_value() {
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
      (memory (export "memory") 4)
      (global $next (mut i32) (i32.const 1024))
      (func (export "vxs_signal_v1"))
      (func (export "vxs_alloc") (param $size i32) (result i32)
        (local $start i32)
        (local.set $start (global.get $next))
        (global.set $next (i32.add (local.get $start) (local.get $size)))
        (if (i32.gt_u (global.get $next) (i32.const 262144)) (then (return (i32.const 0))))
        (local.get $start))
      (func (export "vxs_compute") (param i32 i32 i32 i32 i32 i32) (result i32)
        (i32.const 0)))"#;
    plugin_folder(dir.path(), "silent", Some(wat), "");
    let folder = dir.path().join("silent");
    let out = vixshield(&["plugin", "test", folder.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("computed 0 of "),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("warning: plugin `silent` gave no value on any of the "),
        "{}",
        text(&out.stderr)
    );
    // A plugin with values: no warning.
    let out = vixshield(&["plugin", "test", "plugins/wilder_rsi"]);
    assert!(
        !text(&out.stderr).contains("gave no value"),
        "{}",
        text(&out.stderr)
    );
}

/// `theta_decay`'s definition (plugins/theta_decay/README.md), in Rust.
fn theta_reference(
    vix: &[f64],
    vix3m: &[f64],
    l: usize,
    drop: f64,
    contango: f64,
) -> Vec<Option<bool>> {
    let ok = |x: f64| x.is_finite() && x > 0.0;
    (0..vix.len())
        .map(|t| {
            if t < l || !ok(vix[t]) || !ok(vix[t - l]) || !ok(vix3m[t]) {
                return None;
            }
            let fall = (vix[t - l] - vix[t]) / vix[t - l];
            Some(fall >= drop && vix[t] / vix3m[t] < contango)
        })
        .collect()
}

#[test]
fn a_bool_plugin_is_a_condition_with_unknown_where_it_has_no_value() {
    let cols = signal_columns(
        &project_plugins(),
        "signal press = theta_decay(vix, vix3m)\nsignal steep = theta_decay(vix, vix3m, 10, 15%, 0.85)\n\
         guards {\n    not press or steep\n}\n",
    );
    let market = Market::bundled().unwrap();
    let vix = market.get("vix").unwrap().close();
    let vix3m = market.get("vix3m").unwrap().close();
    for ((name, col), want) in cols.iter().zip([
        theta_reference(vix, vix3m, 5, 0.10, 0.9),
        theta_reference(vix, vix3m, 10, 0.15, 0.85),
    ]) {
        let Column::Bool(got) = col else {
            panic!("{name}: a condition column")
        };
        assert_eq!(got, &want, "{name}");
        assert!(got.contains(&Some(true)) && got.contains(&Some(false)) && got.contains(&None));
    }
}

/// A plugin that writes `copysign(1, x)` for its param `x` on every bar.
const SIGN_WAT: &str = r#"(module
  (memory (export "memory") 8)
  (global $next (mut i32) (i32.const 1024))
  (func (export "vxs_signal_v1"))
  (func (export "vxs_alloc") (param $s i32) (result i32) (local $r i32)
    (local.set $r (global.get $next))
    (global.set $next (i32.add (local.get $r) (local.get $s)))
    (local.get $r))
  (func (export "vxs_compute") (param $in i32) (param $ni i32) (param $nb i32)
    (param $pp i32) (param $np i32) (param $out i32) (result i32) (local $t i32)
    (block $d (loop $l
      (br_if $d (i32.ge_s (local.get $t) (local.get $nb)))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 3)))
        (f64.copysign (f64.const 1) (f64.load (local.get $pp))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $l)))
    (i32.const 0)))"#;

/// `text` checked, compiled and computed over the bundled market with the
/// plugins of `setup`: its graph's node count and its value on every bar.
fn plugin_expr_values(setup: &PluginSetup, text: &str) -> (usize, Vec<Option<f64>>) {
    let src = SourceFile::new("<expr>", text);
    let expr = check::check_expr(&src, &setup.env())
        .unwrap_or_else(|d| panic!("`{text}` does not check: {d:?}"))
        .expr;
    let (graph, id) =
        vixshield::compile::compile_expr(&expr, None, &setup.defaults(), &[]).expect("compiles");
    let runner = setup.runner(&graph).expect("the plugin loads");
    let market = Market::bundled().unwrap();
    let calendar = Calendar::bundled().unwrap();
    let values = MarketValues::compute_for(&graph, &[id], &market, &calendar, Some(&runner))
        .expect("evaluates");
    let column = (0..values.dates().len())
        .map(|bar| values.value_at(id, bar))
        .collect();
    (graph.nodes.len(), column)
}

/// Calls whose params differ only in the sign of a zero are two nodes: the
/// plugin can tell `0` from `-0`, so sharing one column would be wrong
/// (`sign(vix, 0) + sign(vix, -0)` was 2 instead of 1 + -1). Calls with
/// the same params are still one node.
#[test]
fn plugin_calls_with_0_and_minus_0_are_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    plugin_folder(
        dir.path(),
        "sign",
        Some(SIGN_WAT),
        "[[params]]\nname = \"x\"\ndefault = 0\n",
    );
    let setup = PluginSetup::new(PluginRegistry::from_dirs(vec![dir.path().to_path_buf()]));
    let eval = |text: &str| plugin_expr_values(&setup, text);
    // `v` on every bar (the first bar that is not, if any).
    let every = |column: &[Option<f64>], v: f64| {
        assert!(column.len() > 9000, "the whole VIX history");
        let other = column.iter().enumerate().find(|(_, x)| **x != Some(v));
        assert_eq!(other, None, "not {v} on every bar");
    };
    every(&eval("sign(vix, 0)").1, 1.0);
    every(&eval("sign(vix, -0)").1, -1.0);
    let (nodes, sum) = eval("sign(vix, 0) + sign(vix, -0)");
    every(&sum, 0.0);
    let (shared, twice) = eval("sign(vix, 0) + sign(vix, 0)");
    every(&twice, 2.0);
    assert_eq!(shared + 1, nodes, "the same call twice is one node");
    // The default is 0, so a call without the param is the call with `0`.
    let (default_nodes, default) = eval("sign(vix) + sign(vix, 0)");
    every(&default, 2.0);
    assert_eq!(default_nodes, shared);
}

// ------------------------------------------------------------ the checker

fn codes(env: &Env, body: &str) -> Vec<Code> {
    let src = SourceFile::new("t.vxs", format!("{HEADER}{body}"));
    check::check_source(&src, env)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn a_broken_plugin_that_is_not_called_does_not_get_in_the_way() {
    let setup = PluginSetup::new(PluginRegistry::from_dirs(vec![
        repo().join("plugins"),
        repo().join("tests/fixtures/plugins"),
    ]));
    assert!(
        !setup.registry().problems().is_empty(),
        "bad_manifest is reported"
    );
    let env = setup.env();
    let fine = "signal a = wilder_rsi(vix) > 70\nguards {\n    a\n}\n";
    assert_eq!(codes(&env, fine), vec![]);
    // Only the plugins called are loaded.
    let graph_free = "guards {\n    vix < 40\n}\n";
    assert_eq!(codes(&env, graph_free), vec![]);
    let broken = "signal a = no_marker(vix) > 70\nguards {\n    a\n}\n";
    assert_eq!(codes(&env, broken), vec![Code::PluginUnavailable]);
    let manifest = "signal a = bad_manifest(vix) > 70\nguards {\n    a\n}\n";
    assert_eq!(codes(&env, manifest), vec![Code::PluginUnavailable]);
    let unknown = "signal a = nosuch(vix) > 70\nguards {\n    a\n}\n";
    assert_eq!(codes(&env, unknown), vec![Code::UnknownFunction]);
    // A manifest that cannot even be read (not UTF-8; a folder called
    // plugin.toml) makes its folder's name a broken plugin too, not an
    // unknown one.
    let odd = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(odd.path().join("latin1")).unwrap();
    std::fs::write(
        odd.path().join("latin1/plugin.toml"),
        b"name = \"latin1\"\ndescription = \"caf\xe9\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(odd.path().join("folder/plugin.toml")).unwrap();
    let odd_env = PluginSetup::new(PluginRegistry::from_dirs(vec![odd.path().to_path_buf()])).env();
    for (name, reason) in [
        (
            "latin1",
            "latin1/plugin.toml:2:19: the file is not UTF-8 text",
        ),
        ("folder", "not a file"),
    ] {
        let body = format!("signal a = {name}(vix) > 70\nguards {{\n    a\n}}\n");
        assert_eq!(
            codes(&odd_env, &body),
            vec![Code::PluginUnavailable],
            "{name}"
        );
        let u = odd_env
            .unavailable
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("{name} not unavailable"));
        assert!(u.reason.contains(reason), "{}", u.reason);
    }
    // Signatures only (no loader): nothing is loaded, so no E0207.
    let signatures_only = Env {
        loader: None,
        ..env.clone()
    };
    assert_eq!(codes(&signatures_only, broken), vec![]);
}

#[test]
fn two_plugins_of_one_name_are_unusable_by_that_name() {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["a", "b"] {
        let src = repo().join("plugins/wilder_rsi");
        let dst = dir.path().join(folder).join("wilder_rsi");
        std::fs::create_dir_all(&dst).unwrap();
        for f in ["plugin.toml", "wilder_rsi.wasm"] {
            std::fs::copy(src.join(f), dst.join(f)).unwrap();
        }
    }
    let setup = PluginSetup::new(PluginRegistry::from_dirs(vec![
        dir.path().join("a"),
        dir.path().join("b"),
    ]));
    let src = SourceFile::new(
        "t.vxs",
        format!("{HEADER}signal a = wilder_rsi(vix) > 70\nguards {{\n    a\n}}\n"),
    );
    let checked = check::check_source(&src, &setup.env());
    let d = &checked.diagnostics;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, Code::PluginUnavailable);
    assert!(
        d[0].help
            .as_deref()
            .unwrap_or("")
            .contains("two plugins are named `wilder_rsi`"),
        "{d:?}"
    );
}

// ------------------------------------------------------------ the binary

/// A project in a tempdir: `vixshield.toml`, `plugins/` with both example
/// plugins, a strategy whose hedge fires on `wilder_rsi(vix) > 5` (almost
/// always true for an RSI, never for a constant 1), and a journal.
fn temp_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("vixshield.toml"), "[plugins]\npaths = []\n").unwrap();
    for p in ["wilder_rsi", "theta_decay"] {
        let dst = root.join("plugins").join(p);
        std::fs::create_dir_all(&dst).unwrap();
        for f in ["plugin.toml", &format!("{p}.wasm")] {
            std::fs::copy(repo().join("plugins").join(p).join(f), dst.join(f)).unwrap();
        }
    }
    let strategy = format!(
        "{HEADER}\nhedge front {{\n    instrument = vix_calls\n    dte = 14d..30d\n    allocation = 15% of size\n    trigger = wilder_rsi(vix) > 5\n}}\n\nroll {{\n    coefficient = 0.55\n    coefficient = 0.45 when theta_decay(vix, vix3m)\n}}\n"
    );
    std::fs::write(root.join("strategy.vxs"), strategy).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/journals/hedged.csv"),
        root.join("journal.csv"),
    )
    .unwrap();
    dir
}

#[test]
fn swapping_a_plugin_module_changes_the_output_without_a_rebuild() {
    let project = temp_project();
    let root = project.path();
    let sub = root.join("strategies");
    std::fs::create_dir_all(&sub).unwrap();
    let run = || {
        let out = vixshield_in(
            root,
            &[
                "run",
                "strategy.vxs",
                "--journal",
                "journal.csv",
                "--format",
                "csv",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let before = run();
    assert!(
        before.contains(",fired,"),
        "wilder_rsi > 5 fires:\n{before}"
    );
    let test_before = vixshield_in(root, &["plugin", "test", "plugins/wilder_rsi"]);
    assert!(
        text(&test_before.stdout).contains("first    71.22980251346499 on 1990-01-22 (bar 14)")
    );
    // Found from a subfolder too, through vixshield.toml.
    let from_sub = vixshield_in(&sub, &["check", "../strategy.vxs"]);
    assert_eq!(
        from_sub.status.code(),
        Some(0),
        "{}",
        text(&from_sub.stderr)
    );

    // Another valid module under the same name: 1.0 on every bar.
    let module = root.join("plugins/wilder_rsi/wilder_rsi.wasm");
    std::fs::write(&module, wat("const_one")).unwrap();
    let after = run();
    assert_ne!(before, after);
    assert!(!after.contains(",fired,"), "1.0 > 5 never fires:\n{after}");
    assert!(after.contains(",not_fired,"), "{after}");
    let next = vixshield_in(
        root,
        &[
            "next",
            "strategy.vxs",
            "--journal",
            "journal.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(next.status.code(), Some(0), "{}", text(&next.stderr));
    let test_after = vixshield_in(root, &["plugin", "test", "plugins/wilder_rsi"]);
    assert!(text(&test_after.stdout).contains("first    1 on 1990-01-02 (bar 0)"));

    // A module that is no plugin: `check` and `run` say so at the call.
    std::fs::write(&module, wat("no_marker")).unwrap();
    for args in [
        vec!["check", "strategy.vxs"],
        vec!["run", "strategy.vxs", "--journal", "journal.csv"],
    ] {
        let out = vixshield_in(root, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("error[E0207]: plugin `wilder_rsi` cannot be loaded"),
            "{err}"
        );
        assert!(err.contains("--> strategy.vxs:"), "{err}");
        assert!(err.contains("does not export `vxs_signal_v1`"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn check_reports_unknown_and_broken_plugins_and_ignores_unused_broken_ones() {
    let project = temp_project();
    let root = project.path();
    // A broken plugin nothing calls: everything still works.
    let broken = root.join("plugins/broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("plugin.toml"), "name = \"broken\"\n").unwrap();
    let out = vixshield_in(root, &["check", "strategy.vxs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = vixshield_in(root, &["run", "strategy.vxs", "--journal", "journal.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let call = |expr: &str| {
        let body = format!("{HEADER}signal a = {expr}\nguards {{\n    a\n}}\n");
        std::fs::write(root.join("t.vxs"), body).unwrap();
    };
    call("nosuch(vix) > 1");
    let out = vixshield_in(root, &["check", "t.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E0201]: unknown signal function `nosuch`"),
        "{err}"
    );
    // Where they were found, and from where (a strategy run from another
    // folder finds that folder's plugins: the help said only their names).
    assert!(
        err.contains(&format!(
            "; the plugins found in {}, from the project file {} are theta_decay, wilder_rsi; \
             plugins are found from the current folder upward, not the strategy's",
            root.join("plugins").display(),
            root.join("vixshield.toml").display()
        )),
        "{err}"
    );
    call("broken(vix) > 1");
    let out = vixshield_in(root, &["check", "--format", "json", "t.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["code"], "E0207", "{v}");
    assert!(
        v[0]["help"]
            .as_str()
            .unwrap_or("")
            .contains("missing field"),
        "{v}"
    );

    // `--plugins DIR` adds a folder; every command that checks takes it.
    let fixtures = repo().join("tests/fixtures/plugins");
    let fixtures = fixtures.to_str().unwrap();
    call("const_one(vix) == 1");
    let out = vixshield_in(root, &["check", "t.vxs"]);
    assert_eq!(out.status.code(), Some(1), "not found without --plugins");
    for args in [
        vec!["check", "--plugins", fixtures, "t.vxs"],
        vec!["graph", "--plugins", fixtures, "t.vxs"],
        vec![
            "run",
            "--plugins",
            fixtures,
            "t.vxs",
            "--journal",
            "journal.csv",
        ],
        vec![
            "next",
            "--plugins",
            fixtures,
            "t.vxs",
            "--journal",
            "journal.csv",
        ],
    ] {
        let out = vixshield_in(root, &args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = vixshield_in(root, &["check", "--plugins", "no/such/dir", "t.vxs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no/such/dir"),
        "{}",
        text(&out.stderr)
    );
    call("lowest(vix, 3) > 1");
    let out = vixshield_in(root, &["check", "--plugins", fixtures, "t.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error[E0204]: `lowest` is both a built-in signal and a plugin")
    );
}

#[test]
fn graph_shows_plugin_nodes_and_bool_plugins_as_conditions() {
    let out = vixshield(&["graph", "strategies/spx-theta.vxs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let g = text(&out.stdout);
    assert!(g.contains("market  plugin wilder_rsi(·, 14)"), "{g}");
    assert!(
        g.contains("market  plugin theta_decay(·, ·, 5, 0.1, 0.9)"),
        "{g}"
    );
    assert!(g.contains("market  !="), "{g}");
}

// ------------------------------------------------------------ plugin list | inspect | test

#[test]
fn plugin_list() {
    let out = vixshield(&["plugin", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty());
    insta::assert_snapshot!("plugin_list", text(&out.stdout));

    let out = vixshield(&["plugin", "list", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["theta_decay", "wilder_rsi"]);
    let rsi = &v[1];
    assert_eq!(rsi["abi"], 1);
    assert_eq!(rsi["inputs"], 1);
    assert_eq!(rsi["output"], "number");
    assert_eq!(rsi["params"][0]["name"], "period");
    assert_eq!(rsi["params"][0]["default"], 14.0);
    assert_eq!(rsi["module"], "plugins/wilder_rsi/wilder_rsi.wasm");
    assert_eq!(rsi["sha256"].as_str().map(str::len), Some(64));

    // Broken and clashing plugins are listed as problems (exit 1); the good ones still listed.
    let out = vixshield(&["plugin", "list", "--plugins", "tests/fixtures/plugins"]);
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("wilder_rsi 0.1.0") && stdout.contains("const_one 1.0.0"),
        "{stdout}"
    );
    assert!(
        stderr.contains("bad_manifest/plugin.toml:8:1: unknown field `colour`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("plugin `lowest` (tests/fixtures/plugins/lowest/plugin.toml) has the name of a built-in signal"),
        "{stderr}"
    );
    assert!(
        stderr.contains("plugin `vix3m` (tests/fixtures/plugins/vix3m/plugin.toml) has the name of a market series"),
        "{stderr}"
    );
}

#[test]
fn plugin_inspect() {
    let out = vixshield(&["plugin", "inspect", "plugins/wilder_rsi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("plugin_inspect_wilder_rsi", text(&out.stdout));

    let out = vixshield(&[
        "plugin",
        "inspect",
        "tests/fixtures/plugins/no_marker/plugin.toml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("plugin_inspect_no_marker", text(&out.stdout));

    let out = vixshield(&[
        "plugin",
        "inspect",
        "--format",
        "json",
        "plugins/theta_decay",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["imports"], serde_json::json!([]));
    assert_eq!(v["output"], "bool");
    assert_eq!(v["tier"], "baseline");
    assert_eq!(v["tier_reason"], serde_json::Value::Null);
    assert_eq!(v["host_metered_operators"], 0);
    // The manifest's `[errors]`, in code order.
    let codes: Vec<&serde_json::Value> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["code"])
        .collect();
    assert_eq!(codes, [1, 2, 3, 4]);
    assert_eq!(
        v["errors"][2]["meaning"],
        "`drop` must be at least 0 and below 1"
    );

    // A plugin built with std copies with `memory.copy`, which the host
    // meters itself: it loads with Winch like the examples.
    let out = vixshield(&["plugin", "inspect", "benches/fixtures/std_plugin"]);
    assert_eq!(out.status.code(), Some(0));
    let wasm = std::fs::read(repo().join("benches/fixtures/std_plugin/std_plugin.wasm")).unwrap();
    let sites = vixshield::plugin::host_metered_operators(&wasm);
    assert!(sites > 10, "{sites}");
    assert!(
        text(&out.stdout).contains(&format!(
            "\n  compiler    baseline (Winch)\n  metering    {sites} `memory.copy`/`memory.fill` \
             charged by the host: 10 fuel units a call, 5 per 64 bytes\n"
        )),
        "{}",
        text(&out.stdout)
    );
    // One with a table operator gets Cranelift: inspect says so, and why.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("tabled");
    std::fs::create_dir_all(&folder).unwrap();
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let head = scaffold.trim_end().strip_suffix(')').unwrap();
    let wat = format!(
        "{head}\n  (table 1 funcref)\n  \
         (func (table.fill (i32.const 0) (ref.null func) (i32.const 1))))\n"
    );
    std::fs::write(folder.join("tabled.wasm"), wat::parse_str(wat).unwrap()).unwrap();
    std::fs::write(
        folder.join("plugin.toml"),
        "name = \"tabled\"\nversion = \"0.0.1\"\nabi = 1\nwasm = \"tabled.wasm\"\n\
         description = \"test\"\ninputs = 1\noutput = \"number\"\n",
    )
    .unwrap();
    let out = vixshield(&["plugin", "inspect", folder.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains(
            "\n  compiler    optimized (Cranelift): it uses `memory.init` or table operators, \
             which only Cranelift charges fuel for per byte or element\n"
        ),
        "{}",
        text(&out.stdout)
    );

    let out = vixshield(&["plugin", "inspect", "tests/fixtures/plugins/bad_manifest"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unknown field `colour`"));
    let out = vixshield(&["plugin", "inspect", "no/such/plugin"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("error: cannot read `no/such/plugin`: no such file"));
}

/// `plugin inspect` reports the functions the host charges for their
/// locals (5 fuel units a call per 16 bytes beyond 128), as its rewrite
/// does: it counted only `memory.copy`/`memory.fill`.
#[test]
fn plugin_inspect_shows_the_functions_charged_for_their_locals() {
    let dir = tempfile::tempdir().unwrap();
    let scaffold =
        std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let head = scaffold.trim_end().strip_suffix(')').unwrap();
    // 100 i64s (800 bytes: 42 blocks of 16 beyond 128) and 17 (136 bytes:
    // none); `vxs_alloc`'s two i32s are free too.
    let wat = format!(
        "{head}\n  (func (export \"fat\") (local {}))\n  (func (local {})))\n",
        "i64 ".repeat(100),
        "i64 ".repeat(17)
    );
    plugin_folder(dir.path(), "fat", Some(&wat), "");
    let folder = dir.path().join("fat");
    let out = vixshield(&["plugin", "inspect", folder.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(
            "\n  compiler    baseline (Winch)\n  metering    1 function charged for its locals at each \
             call: 5 fuel units per 16 bytes beyond 128\n                func 3 (`fat`): 800 bytes of \
             locals, 210 fuel units a call\nimports: none\n"
        ),
        "{}",
        text(&out.stdout)
    );
    let out = vixshield(&[
        "plugin",
        "inspect",
        "--format",
        "json",
        folder.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["host_metered_operators"], 0);
    assert_eq!(
        v["host_charged_locals"],
        serde_json::json!([{"function": 3, "export": "fat", "local_bytes": 800, "fuel_per_call": 210}])
    );
    // The examples have none.
    let out = vixshield(&[
        "plugin",
        "inspect",
        "--format",
        "json",
        "plugins/wilder_rsi",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["host_charged_locals"], serde_json::json!([]));
}

/// A module given where its plugin is meant (`plugin inspect x.wasm`) is
/// said to be one, with what to give instead; it was read as a manifest and
/// refused as not UTF-8 ('stream did not contain valid UTF-8').
#[test]
fn a_module_given_for_its_plugin_is_named_as_a_module() {
    for command in ["inspect", "test"] {
        let out = vixshield(&["plugin", command, "plugins/wilder_rsi/wilder_rsi.wasm"]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(out.stdout.is_empty(), "{command}");
        assert_eq!(
            text(&out.stderr),
            "error: `plugins/wilder_rsi/wilder_rsi.wasm` is a WebAssembly module, not a \
             plugin manifest: give its plugin's folder or `plugin.toml` (which names the \
             module)\n",
            "{command}"
        );
    }
}

/// A plugin not built yet (or built but not copied next to its manifest):
/// `plugin inspect` and `plugin test` say to build and copy its module, and
/// where a Rust crate leaves it, not just "no such file".
#[test]
fn an_unbuilt_plugin_is_told_to_build_and_copy_its_module() {
    let dir = tempfile::tempdir().unwrap();
    plugin_folder(dir.path(), "unbuilt", None, "");
    let folder = dir.path().join("unbuilt");
    let folder = folder.to_str().unwrap();
    let hint = "no such file: build the plugin and copy its module there, under the name \
                `wasm` gives in its plugin.toml (a Rust crate's is \
                `target/wasm32-unknown-unknown/release/<crate>.wasm` after \
                `cargo build --release --target wasm32-unknown-unknown`)";
    let out = vixshield(&["plugin", "inspect", folder]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "verdict: invalid: cannot read `{folder}/unbuilt.wasm`: {hint}"
        )),
        "{stdout}"
    );
    let out = vixshield(&["plugin", "test", folder]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("error: cannot read {folder}/unbuilt.wasm: {hint}\n")
    );
}

/// `plugin test` output without its timing line (the only unstable one).
fn without_time(s: &str) -> String {
    s.lines()
        .filter(|l| !l.starts_with("time "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn plugin_test() {
    let out = vixshield(&["plugin", "test", "plugins/wilder_rsi"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.lines().any(|l| l.starts_with("time     load ")), "{s}");
    insta::assert_snapshot!("plugin_test_wilder_rsi", without_time(&s));

    let out = vixshield(&["plugin", "test", "plugins/theta_decay/plugin.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    insta::assert_snapshot!("plugin_test_theta_decay", without_time(&text(&out.stdout)));

    let out = vixshield(&["plugin", "test", "--format", "json", "plugins/wilder_rsi"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fuel_used"], 545_866);
    // Computed once: the baseline compiler's code (see `Tiering::Adaptive`).
    assert_eq!(v["tier"], "baseline");
    assert_eq!(v["first"]["bar"], 14);

    let out = vixshield(&["plugin", "test", "tests/fixtures/plugins/no_marker"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("error: plugin `no_marker` does not export `vxs_signal_v1`"),
        "{}",
        text(&out.stderr)
    );
    let out = vixshield(&["plugin", "test", "no/such"]);
    assert_eq!(out.status.code(), Some(2));

    // Named like a built-in: `plugin inspect` says invalid, so `plugin test`
    // runs it but fails with the same reason.
    // So does one named like a market series.
    for (name, what) in [
        ("lowest", "a built-in signal"),
        ("vix3m", "a market series"),
    ] {
        let out = vixshield(&["plugin", "test", &format!("tests/fixtures/plugins/{name}")]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with(&format!("plugin {name} ")));
        assert!(
            text(&out.stderr).contains(&format!(
                "error: `{name}` is the name of {what}; strategies cannot call this plugin: rename it"
            )),
            "{}",
            text(&out.stderr)
        );
    }
}

/// `(bar, date, value)` of the first and last bars of `signal`'s JSON with
/// a value, and how many have one; booleans as 0 and 1, as `plugin test`
/// shows them.
fn signal_ends(expr: &str) -> ((u64, String, f64), (u64, String, f64), u64) {
    let out = vixshield(&["signal", expr, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let valued: Vec<(u64, String, f64)> = (0u64..)
        .zip(&rows)
        .filter_map(|(i, r)| {
            let v = match &r["value"] {
                serde_json::Value::Bool(b) => f64::from(u8::from(*b)),
                v => v.as_f64()?,
            };
            Some((i, r["date"].as_str()?.to_string(), v))
        })
        .collect();
    let (first, last) = (valued[0].clone(), valued[valued.len() - 1].clone());
    (first, last, valued.len() as u64)
}

/// `plugin test --param NAME=VALUE` runs the plugin with that value in place
/// of the default, exactly as a strategy passing it does: the bars computed
/// and the first and last values are `signal`'s for the same call.
#[test]
fn plugin_test_takes_params() {
    let cases: [(&[&str], &str, serde_json::Value); 2] = [
        (
            &["plugins/wilder_rsi", "--param", "period=7"],
            "wilder_rsi(vix, 7)",
            serde_json::json!([{"name": "period", "value": 7.0, "given": true}]),
        ),
        (
            // A percentage as in a strategy; the params not given keep
            // their defaults.
            &["plugins/theta_decay", "--param", "drop=5%"],
            "theta_decay(vix, vix3m, 5, 5%, 0.9)",
            serde_json::json!([
                {"name": "lookback", "value": 5.0, "given": false},
                {"name": "drop", "value": 0.05, "given": true},
                {"name": "contango", "value": 0.9, "given": false},
            ]),
        ),
    ];
    for (args, expr, params) in cases {
        let mut argv = vec!["plugin", "test", "--format", "json"];
        argv.extend_from_slice(args);
        let out = vixshield(&argv);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["params"], params);
        let (first, last, computed) = signal_ends(expr);
        assert_eq!(v["computed"], computed, "{expr}");
        for (point, (bar, date, value)) in [(&v["first"], first), (&v["last"], last)] {
            assert_eq!(point["bar"], bar, "{expr}");
            assert_eq!(point["date"], date.as_str(), "{expr}");
            assert_eq!(point["value"].as_f64(), Some(value), "{expr}");
        }
    }
    // The default's value differs: the param reached the plugin.
    let (default_first, ..) = signal_ends("wilder_rsi(vix, 14)");
    let (given_first, ..) = signal_ends("wilder_rsi(vix, 7)");
    assert_ne!(default_first, given_first);

    let out = vixshield(&[
        "plugin",
        "test",
        "plugins/wilder_rsi",
        "--param",
        "period=7",
    ]);
    assert!(
        text(&out.stdout).contains("\nparams   period = 7 (given)\n"),
        "{}",
        text(&out.stdout)
    );
    let out = vixshield(&[
        "plugin",
        "test",
        "plugins/theta_decay",
        "--param",
        "contango=1.2",
    ]);
    assert!(
        text(&out.stdout).contains(
            "\nparams   lookback = 5 (default), drop = 0.1 (default), contango = 1.2 (given)\n"
        ),
        "{}",
        text(&out.stdout)
    );

    // A value outside the manifest's limits is refused before any load,
    // an exclusive bound as an inclusive one: `contango` is `above = 0`.
    let out = vixshield(&[
        "plugin",
        "test",
        "plugins/theta_decay",
        "--param",
        "contango=0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "error: `--param contango=0`: `contango` must be a number above 0, as the manifest's \
         limits say\n"
    );

    // A value the plugin refuses is its error (exit 1), naming the value:
    // the same call with the manifest's `above = 0` taken out.
    let copy = tempfile::tempdir().unwrap();
    let folder = copy.path().join("theta_decay");
    std::fs::create_dir_all(&folder).unwrap();
    let example = repo().join("plugins/theta_decay");
    std::fs::copy(
        example.join("theta_decay.wasm"),
        folder.join("theta_decay.wasm"),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(example.join("plugin.toml")).unwrap();
    assert!(manifest.contains("above = 0\n"));
    std::fs::write(
        folder.join("plugin.toml"),
        manifest.replace("above = 0\n", ""),
    )
    .unwrap();
    let out = vixshield(&[
        "plugin",
        "test",
        folder.to_str().unwrap(),
        "--param",
        "contango=0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains(
            "returned error code 4: `contango` must be a finite number greater than 0 (called \
             with 2 input series of 9235 bars and 3 params (lookback = 5, drop = 0.1, contango = 0))"
        ),
        "{}",
        text(&out.stderr)
    );

    // A `--param` that cannot be passed is a usage error, before any load.
    for (given, message) in [
        (
            vec!["perod=7"],
            "error: `--param perod=7`: plugin `wilder_rsi` has no param `perod`; did you mean `period`? its params are period\n",
        ),
        (
            vec!["size=7"],
            "error: `--param size=7`: plugin `wilder_rsi` has no param `size`; its params are period\n",
        ),
        (
            vec!["period"],
            "error: `--param period`: write NAME=VALUE (`--param period=7`)\n",
        ),
        (
            vec!["period=seven"],
            "error: `--param period=seven`: `seven` is not a finite number (write `7`, `-0.5` or `5%`)\n",
        ),
        (
            vec!["period=inf"],
            "error: `--param period=inf`: `inf` is not a finite number (write `7`, `-0.5` or `5%`)\n",
        ),
        (
            vec!["period=7", "period=8"],
            "error: `--param period` is given twice\n",
        ),
    ] {
        let mut argv = vec!["plugin", "test", "plugins/wilder_rsi"];
        for g in &given {
            argv.extend(["--param", g]);
        }
        let out = vixshield(&argv);
        assert_eq!(out.status.code(), Some(2), "{given:?}");
        assert!(out.stdout.is_empty(), "{given:?}");
        assert_eq!(text(&out.stderr), message, "{given:?}");
    }
}

/// A plugin that writes +inf on bar 0, -inf on bar 1, NaN on bar 2 and
/// +inf on the last bar, and the bar's index everywhere else.
const NON_FINITE_WAT: &str = r#"(module
  (memory (export "memory") 8)
  (global $next (mut i32) (i32.const 1024))
  (func (export "vxs_signal_v1"))
  (func (export "vxs_alloc") (param $s i32) (result i32) (local $r i32)
    (local.set $r (global.get $next))
    (global.set $next (i32.add (local.get $r) (local.get $s)))
    (local.get $r))
  (func (export "vxs_compute") (param $in i32) (param $ni i32) (param $nb i32)
    (param $pp i32) (param $np i32) (param $out i32) (result i32)
    (local $t i32) (local $v f64)
    (block $d (loop $l
      (br_if $d (i32.ge_s (local.get $t) (local.get $nb)))
      (local.set $v (f64.convert_i32_s (local.get $t)))
      (if (i32.eq (local.get $t) (i32.const 0)) (then (local.set $v (f64.const inf))))
      (if (i32.eq (local.get $t) (i32.const 1)) (then (local.set $v (f64.const -inf))))
      (if (i32.eq (local.get $t) (i32.const 2)) (then (local.set $v (f64.const nan))))
      (if (i32.eq (local.get $t) (i32.sub (local.get $nb) (i32.const 1)))
        (then (local.set $v (f64.const inf))))
      (f64.store (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 3))) (local.get $v))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $l)))
    (i32.const 0)))"#;

/// NaN, +inf and -inf from a plugin are all "no value" (plugins/README.md),
/// to the evaluator and to `plugin test` alike: `plugin test` counted an
/// infinite output as a value and showed `inf` as the first one, where a
/// strategy saw nothing.
#[test]
fn non_finite_plugin_output_is_no_value_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    plugin_folder(dir.path(), "edges", Some(NON_FINITE_WAT), "");

    // The evaluator.
    let setup = PluginSetup::new(PluginRegistry::from_dirs(vec![dir.path().to_path_buf()]));
    let (_, column) = plugin_expr_values(&setup, "edges(vix)");
    let bars = column.len();
    assert!(bars > 9000, "the whole VIX history");
    for (bar, got) in column.iter().enumerate() {
        let want = (bar > 2 && bar + 1 < bars).then_some(bar as f64);
        assert_eq!(*got, want, "bar {bar}");
    }

    // `plugin test`: the same bars without a value, first and last finite.
    let out = vixshield_in(dir.path(), &["plugin", "test", "edges"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let human = text(&out.stdout);
    let market = Market::bundled().unwrap();
    let dates = market.dates();
    for line in [
        format!("computed {} of {bars} bars (4 without a value)", bars - 4),
        format!("first    3 on {} (bar 3)", dates[3]),
        format!(
            "last     {} on {} (bar {})",
            bars - 2,
            dates[bars - 2],
            bars - 2
        ),
    ] {
        assert!(human.lines().any(|l| l == line), "no `{line}` in\n{human}");
    }
    let out = vixshield_in(dir.path(), &["plugin", "test", "--format", "json", "edges"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bars"], bars);
    assert_eq!(v["computed"], bars - 4);
    assert_eq!(v["first"]["bar"], 3);
    assert_eq!(v["first"]["value"], 3.0);
    assert_eq!(v["last"]["bar"], bars - 2);
    assert_eq!(v["last"]["value"], (bars - 2) as f64);
}

/// A plugin that fails while running (a trap) fails `plugin test` and `run`
/// with the host's message, not a crash.
#[test]
fn a_plugin_that_traps_is_an_error_not_a_crash() {
    let project = temp_project();
    let root = project.path();
    // const_one.wat whose `vxs_compute` starts with `unreachable` (a Rust panic).
    let source = std::fs::read_to_string(repo().join("tests/fixtures/wat/const_one.wat")).unwrap();
    let trapping = source.replacen("(block $done", "unreachable\n    (block $done", 1);
    assert_ne!(trapping, source);
    let module = wat::parse_str(&trapping).unwrap();
    std::fs::write(root.join("plugins/wilder_rsi/wilder_rsi.wasm"), module).unwrap();
    let out = vixshield_in(root, &["plugin", "test", "plugins/wilder_rsi"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`vxs_compute` trapped"),
        "{}",
        text(&out.stderr)
    );
    let out = vixshield_in(root, &["run", "strategy.vxs", "--journal", "journal.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`vxs_compute` trapped"),
        "{}",
        text(&out.stderr)
    );
    // Checking does not run plugins: the module itself is valid.
    let out = vixshield_in(root, &["check", "strategy.vxs"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // `signal` says where the failing call is, in the expression or in the
    // `--strategy` file's signal it names (it gave no location).
    let out = vixshield_in(root, &["signal", "1 + wilder_rsi(vix)"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .starts_with("error: <expr>:1:5: plugin `wilder_rsi`: `vxs_compute` trapped"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(
        root.join("named.vxs"),
        format!("{HEADER}\nsignal hot = wilder_rsi(vix) > 5\n"),
    )
    .unwrap();
    let line = HEADER.lines().count() + 2;
    let out = vixshield_in(root, &["signal", "hot", "--strategy", "named.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!(
            "error: named.vxs:{line}:14: plugin `wilder_rsi`: `vxs_compute` trapped"
        )),
        "{}",
        text(&out.stderr)
    );
}

/// plugins/README.md's example of where a plugin's error points
/// (`spx-theta.vxs:L:C`) is where `strategies/spx-theta.vxs` first calls a
/// plugin, as the checker records it; it said 52:12 after the file changed.
#[test]
fn the_plugin_readme_error_location_is_the_first_call_in_spx_theta() {
    let readme = std::fs::read_to_string(repo().join("plugins/README.md")).unwrap();
    let example = readme
        .split('`')
        .find_map(|s| s.strip_prefix("spx-theta.vxs:"))
        .and_then(|s| s.split(": ").next())
        .expect("an example location in plugins/README.md");
    let text = std::fs::read_to_string(repo().join("strategies/spx-theta.vxs")).unwrap();
    let src = SourceFile::new("spx-theta.vxs", text);
    let checked = check::check_source(&src, &project_plugins().env());
    let strategy = checked
        .strategy
        .unwrap_or_else(|| panic!("checks: {:?}", checked.diagnostics));
    // The earliest call of all: (line, column) from `file:line:col`.
    let position = |at: &str| -> (u32, u32) {
        let mut parts = at.rsplit(':').map(|n| n.parse().unwrap());
        let column = parts.next().unwrap();
        (parts.next().unwrap(), column)
    };
    let first = strategy
        .plugin_calls
        .iter()
        .map(|(_, at)| at.as_str())
        .min_by_key(|at| position(at))
        .expect("spx-theta.vxs calls plugins");
    assert_eq!(format!("spx-theta.vxs:{example}"), first);
}

/// spx-mastery with its `rsi(vix, 14) > 70` written `replacement`, in a
/// temporary folder: the folder, the file's path, and the line and column
/// of `failing` (the call expected to fail) in it. The folder is a project
/// (`vixshield.toml`) whose `plugins/wilder_rsi` is the example's module
/// with a manifest that declares no limits, so `check` lets a period of 0
/// through and the plugin's own error at run time is what is said (the
/// example's manifest has `check` refuse it where it is written).
fn spx_mastery_calling(
    replacement: &str,
    failing: &str,
) -> (tempfile::TempDir, String, usize, usize) {
    let text = std::fs::read_to_string(repo().join("strategies/spx-mastery.vxs")).unwrap();
    let call = "rsi(vix, 14) > 70";
    assert!(text.contains(call));
    let text = text.replace(call, replacement);
    let (line, column) = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find(failing).map(|c| (i + 1, c + 1)))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.vxs");
    std::fs::write(&path, &text).unwrap();
    std::fs::write(dir.path().join("vixshield.toml"), "").unwrap();
    let plugin = dir.path().join("plugins/wilder_rsi");
    std::fs::create_dir_all(&plugin).unwrap();
    let example = repo().join("plugins/wilder_rsi");
    std::fs::copy(
        example.join("wilder_rsi.wasm"),
        plugin.join("wilder_rsi.wasm"),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(example.join("plugin.toml")).unwrap();
    let limits = "min = 2\nmax = 100000\ninteger = true\n";
    assert!(manifest.contains(limits));
    std::fs::write(plugin.join("plugin.toml"), manifest.replace(limits, "")).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path, line, column)
}

/// An error a plugin gives while a command evaluates a strategy says where
/// the file makes the call, like every other error about the file:
/// `wilder_rsi` refuses a period of 0 with status 2.
#[test]
fn a_plugin_error_while_evaluating_names_where_the_file_calls_it() {
    let (dir, path, line, column) = spx_mastery_calling("wilder_rsi(vix, 0) > 70", "wilder_rsi");
    let path = path.as_str();
    let journal = repo().join("tests/fixtures/journals/progression.csv");
    for args in [
        vec!["backtest", path],
        vec!["run", path, "--journal", journal.to_str().unwrap()],
    ] {
        let out = crate::common::vixshield_in(dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            crate::common::text(&out.stderr),
            period_0_error(path, line, column),
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// When a file calls a plugin more than once, an error names the call that
/// failed, not the plugin's first call: `wilder_rsi(vix, 14)` runs, a
/// second call with a period of 0 fails.
#[test]
fn a_plugin_error_names_the_call_that_failed_not_the_first() {
    let (dir, path, line, column) = spx_mastery_calling(
        "wilder_rsi(vix, 14) > 70 or wilder_rsi(vix, 0) > 70",
        "wilder_rsi(vix, 0)",
    );
    let out = crate::common::vixshield_in(dir.path(), &["backtest", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        crate::common::text(&out.stderr),
        period_0_error(&path, line, column)
    );
    assert!(out.stdout.is_empty());
}

/// What `wilder_rsi(vix, 0)` at `path:line:column` says over the bundled
/// VIX history: its error code, what its manifest's `[errors]` says the
/// code means, and what it was given.
fn period_0_error(path: &str, line: usize, column: usize) -> String {
    let bars = vixshield::market::bundled_series("vix")
        .expect("a bundled series")
        .expect("it loads")
        .len();
    format!(
        "error: {path}:{line}:{column}: plugin `wilder_rsi`: `vxs_compute` returned error code 2: \
         `period` must be a whole number from 2 to 100000 \
         (called with 1 input series of {bars} bars and 1 param (period = 0))\n"
    )
}

// src/check/expr.rs. Uses the `inf` repro plugin's shape: 1 input, no params.
/// A plugin's arity message agrees in number: "1 argument", "2 arguments".
#[test]
fn a_plugin_arity_message_says_1_argument() {
    let dir = tempfile::tempdir().unwrap();
    plugin_folder(dir.path(), "one", None, "");
    plugin_folder(
        dir.path(),
        "two",
        None,
        "[[params]]\nname = \"p\"\ndefault = 1\n",
    );
    let env = Env {
        loader: None,
        ..PluginSetup::new(PluginRegistry::from_dirs(vec![dir.path().to_path_buf()])).env()
    };
    for (text, message) in [
        ("one(vix, 1)", "plugin `one` takes 1 argument, found 2"),
        (
            "two(vix, 1, 2)",
            "plugin `two` takes 1 to 2 arguments, found 3",
        ),
    ] {
        let src = SourceFile::new("<expr>", text);
        let diags = check::check_expr(&src, &env).expect_err(text);
        assert_eq!(diags[0].code, Code::WrongArity, "{text}");
        assert_eq!(diags[0].message, message);
    }
}

/// `plugin test --input` passes the bundled series a plugin's calls pass:
/// one taking `(spx, vix)` was fed vix and vix3m, with no way to say
/// otherwise, and its values meant nothing. The fixture `spread` passes its
/// first series through.
#[test]
fn plugin_test_takes_the_input_series() {
    let spread = "tests/fixtures/plugin_template/spread";
    let out = vixshield(&[
        "plugin", "test", spread, "--format", "json", "--input", "spx", "--input", "vix",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["inputs"], serde_json::json!(["spx", "vix"]));
    let (first, last, computed) = signal_ends("spx");
    assert_eq!(v["computed"], computed);
    assert_eq!(v["first"]["value"].as_f64(), Some(first.2));
    assert_eq!(v["last"]["value"].as_f64(), Some(last.2));

    let out = vixshield(&["plugin", "test", spread, "--input", "spx"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: plugin `spread` takes 2 input series, and 1 `--input` given: give one for each, in the order a strategy passes them (`--input spx --input vix`), or none for vix, vix3m\n"
    );
    let out = vixshield(&["plugin", "test", spread, "--input", "SPX", "--input", "vix"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("[possible values: vix, vix3m, spx]"));
}

/// A search folder that cannot be read (the project's `plugins`, a
/// `[plugins] paths` folder) may hold the plugin a file calls: its `E0201`
/// says the folder could not be read, and why, not only `plugin list`.
#[cfg(unix)]
#[test]
fn an_unreadable_plugin_search_folder_is_named_in_an_unknown_functions_help() {
    use std::os::unix::fs::PermissionsExt as _;
    let project = temp_project();
    let root = project.path();
    let folder = root.join("plugins");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = crate::common::bound_by_permissions(root, &["check", "strategy.vxs"]);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error[E0201]: unknown signal function `wilder_rsi`"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "no plugin was found in {}, from the project file {} (plugins are searched in the \
             `plugins/` folder beside the nearest `vixshield.toml`, from the current folder \
             upward, the folders it lists, and `--plugins DIR`; `vixshield plugin list` shows \
             them); a plugin folder could not be read: {}: permission denied",
            folder.display(),
            root.join("vixshield.toml").display(),
            folder.display()
        )),
        "{err}"
    );

    // A listed folder: the plugins of `plugins/` are still there.
    let vendor = root.join("vendor");
    std::fs::create_dir_all(&vendor).unwrap();
    std::fs::write(
        root.join("vixshield.toml"),
        "[plugins]\npaths = [\"vendor\"]\n",
    )
    .unwrap();
    let body = format!("{HEADER}signal a = vendored(vix) > 1\nguards {{\n    a\n}}\n");
    std::fs::write(root.join("t.vxs"), body).unwrap();
    std::fs::set_permissions(&vendor, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = crate::common::bound_by_permissions(root, &["check", "--format", "json", "t.vxs"]);
    std::fs::set_permissions(&vendor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["code"], "E0201", "{v}");
    let help = v[0]["help"].as_str().unwrap_or("");
    assert!(
        help.starts_with("the built-ins are ")
            && help.ends_with(&format!(
                "; the plugins found in {}, {}, from the project file {} are theta_decay, \
                 wilder_rsi; plugins are found from the current folder upward, not the \
                 strategy's; a plugin folder could not be read: {}: permission denied",
                root.join("plugins").display(),
                vendor.display(),
                root.join("vixshield.toml").display(),
                vendor.display()
            )),
        "{v}"
    );
}

/// A plugin folder that cannot be looked into (permission denied) may well
/// hold the plugin a file calls: the call is `E0207` saying why, not an
/// unknown signal function (`E0201`), which sent people looking for a typo.
#[cfg(unix)]
#[test]
fn a_plugin_folder_that_cannot_be_read_is_a_broken_plugin_not_an_unknown_one() {
    use std::os::unix::fs::PermissionsExt as _;
    let project = temp_project();
    let root = project.path();
    let folder = root.join("plugins/wilder_rsi");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = crate::common::bound_by_permissions(root, &["check", "strategy.vxs"]);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("error[E0207]: plugin `wilder_rsi` cannot be loaded"),
        "{err}"
    );
    assert!(
        err.contains("plugins/wilder_rsi/plugin.toml: permission denied"),
        "{err}"
    );
}

/// `--plugins plugins/wilder_rsi` gives one plugin's folder where the folder
/// of plugin folders goes: `plugin list` said only "no plugins found", and
/// a lookup's error listed the folder as searched. Both now say to give its
/// parent.
#[test]
fn a_plugin_folder_given_as_a_search_folder_says_to_give_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let folder = repo().join("plugins/wilder_rsi");
    let f = folder.display().to_string();
    let out = vixshield_in(dir.path(), &["plugin", "list", "--plugins", &f]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let parent = repo().join("plugins").display().to_string();
    assert!(
        text(&out.stdout).contains(&format!(
            "no plugins found\nnote: `{f}` is itself a plugin's folder: a search folder holds plugin folders, so give its parent, `{parent}`\n"
        )),
        "{}",
        text(&out.stdout)
    );
    let error = vixshield::plugin::PluginError::NotFound {
        name: "wilder_rsi".into(),
        searched: vec![folder, repo().join("plugins")],
    };
    assert_eq!(
        error.to_string(),
        format!(
            "no plugin named `wilder_rsi` (searched {f} (itself a plugin's folder: a search folder holds plugin folders, so give its parent, `{parent}`), {parent})"
        )
    );
    // The right folder lists it, with no note.
    let out = vixshield_in(dir.path(), &["plugin", "list", "--plugins", &parent]);
    assert!(
        !text(&out.stdout).contains("note:"),
        "{}",
        text(&out.stdout)
    );
}

/// A manifest may declare the values each param takes (`min`, `max`,
/// `integer` under `[[params]]`); `check` holds a strategy's values to
/// them where they are written, literal or through a `param`, so
/// `wilder_rsi(vix, 1)` is an error at its `1` before anything runs (it was
/// found only at run time, by the plugin's own status code). `plugin test
/// --param` keeps to them too, and a manifest whose default breaks its own
/// limits, or whose `max` is below its `min`, is refused at the line.
#[test]
fn declared_param_limits_are_checked_where_the_value_is_written() {
    // Run from the project root: the example's manifest, with its limits
    // (the temporary folder's copy has none).
    let (_dir, path, line, column) = spx_mastery_calling("wilder_rsi(vix, 1.5) > 70", "1.5");
    let out = crate::common::vixshield(&["check", &path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = crate::common::text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error[E0108]: param `period` of plugin `wilder_rsi` must be a whole number from 2 to \
             100000, found 1.5\n   --> {path}:{line}:{column}\n"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("outside the values the plugin takes"),
        "{stderr}"
    );
    // Through a param: said at the call's argument, which names the param.
    let text = std::fs::read_to_string(&path).unwrap();
    let text = format!(
        "param period = 100001\n{}",
        text.replace("wilder_rsi(vix, 1.5)", "wilder_rsi(vix, period)")
    );
    std::fs::write(&path, text).unwrap();
    let out = crate::common::vixshield(&["check", &path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = crate::common::text(&out.stderr);
    assert!(
        stderr.contains("must be a whole number from 2 to 100000, found 100001"),
        "{stderr}"
    );
    // In range: checks.
    let out = crate::common::vixshield(&["check", "strategies/spx-theta.vxs"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );

    let out = crate::common::vixshield(&[
        "plugin",
        "test",
        "plugins/wilder_rsi",
        "--param",
        "period=1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        crate::common::text(&out.stderr).contains(
            "error: `--param period=1`: `period` must be a whole number from 2 to 100000, as the \
             manifest's limits say"
        ),
        "{}",
        crate::common::text(&out.stderr)
    );

    // Exclusive bounds, `theta_decay`'s `drop` (`min = 0`, `below = 1`)
    // and `contango` (`above = 0`), each said at its value.
    let spx = std::fs::read_to_string(repo().join("strategies/spx-theta.vxs")).unwrap();
    let call = "theta_decay(vix, vix3m)";
    assert!(spx.contains(call));
    for (args, value, want) in [
        (
            "5, 1",
            "1",
            "param `drop` of plugin `theta_decay` must be a number of at least 0 and below 1, found 1",
        ),
        (
            "5, -0.1",
            "-0.1",
            "param `drop` of plugin `theta_decay` must be a number of at least 0 and below 1, found -0.1",
        ),
        (
            "5, 0.1, 0",
            "0",
            "param `contango` of plugin `theta_decay` must be a number above 0, found 0",
        ),
    ] {
        let changed = spx.replace(call, &format!("theta_decay(vix, vix3m, {args})"));
        let (line, column) = changed
            .lines()
            .enumerate()
            .find_map(|(i, l)| {
                l.find(&format!("theta_decay(vix, vix3m, {args})"))
                    .map(|c| {
                        (
                            i + 1,
                            c + "theta_decay(vix, vix3m, ".len() + args.len() - value.len() + 1,
                        )
                    })
            })
            .unwrap();
        let file = tempfile::Builder::new().suffix(".vxs").tempfile().unwrap();
        std::fs::write(file.path(), changed).unwrap();
        let shown = file.path().to_str().unwrap();
        let out = crate::common::vixshield(&["check", shown]);
        assert_eq!(out.status.code(), Some(1), "{args}");
        let stderr = crate::common::text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "error[E0108]: {want}\n   --> {shown}:{line}:{column}\n"
            )),
            "{args}: {stderr}"
        );
        assert_eq!(stderr.matches("error[").count(), 1, "{args}: {stderr}");
    }
    // Just inside them, it checks.
    let changed = spx.replace(call, "theta_decay(vix, vix3m, 5, 0, 0.000001)");
    let file = tempfile::Builder::new().suffix(".vxs").tempfile().unwrap();
    std::fs::write(file.path(), changed).unwrap();
    let out = crate::common::vixshield(&["check", file.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );

    // Manifests that contradict themselves.
    let manifest = std::fs::read_to_string(repo().join("plugins/wilder_rsi/plugin.toml")).unwrap();
    let theta = std::fs::read_to_string(repo().join("plugins/theta_decay/plugin.toml")).unwrap();
    for (plugin, from, to, want) in [
        (
            "theta_decay",
            "below = 1\n",
            "below = 1\nabove = 0.5\n",
            "parameter `drop` has both `min` and `above`; give one (`min` takes its value, `above` does not)",
        ),
        (
            "theta_decay",
            "above = 0\n",
            "above = 0\nbelow = 0\n",
            "parameter `contango`: `above` 0 and `below` 0 leave no value between them",
        ),
        (
            "theta_decay",
            "below = 1\n",
            "below = -1\n",
            "parameter `drop`: `below` -1 is below `min` 0",
        ),
        (
            "theta_decay",
            "below = 1\n",
            "below = 0.1\n",
            "default 0.1 of parameter `drop` is not a number of at least 0 and below 0.1, as its limits ask",
        ),
        (
            "theta_decay",
            "above = 0\n",
            "above = inf\n",
            "a limit of parameter `contango` must be a finite number",
        ),
        (
            "wilder_rsi",
            "min = 2\n",
            "min = 20\n",
            "default 14 of parameter `period` is not a whole number from 20 to 100000, as its limits ask",
        ),
        (
            "wilder_rsi",
            "max = 100000\n",
            "max = 1\n",
            "parameter `period`: `max` 1 is below `min` 2",
        ),
        (
            "wilder_rsi",
            "default = 14\n",
            "default = 14.5\n",
            "default 14.5 of parameter `period` is not a whole number from 2 to 100000",
        ),
    ] {
        let bad = tempfile::tempdir().unwrap();
        let folder = bad.path().join(plugin);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(
            repo().join(format!("plugins/{plugin}/{plugin}.wasm")),
            folder.join(format!("{plugin}.wasm")),
        )
        .unwrap();
        let manifest = if plugin == "wilder_rsi" {
            &manifest
        } else {
            &theta
        };
        assert!(manifest.contains(from));
        std::fs::write(folder.join("plugin.toml"), manifest.replace(from, to)).unwrap();
        let out = crate::common::vixshield(&["plugin", "inspect", folder.to_str().unwrap()]);
        assert_ne!(out.status.code(), Some(0), "{to}");
        let stderr = crate::common::text(&out.stderr);
        assert!(stderr.contains(want), "{to}: {stderr}");
        assert!(stderr.contains("plugin.toml:"), "{to}: {stderr}");
    }
}
