//! `vixshield plugin new`: the crate it makes builds and runs as made.
//!
//! `tests/fixtures/plugin_template/` holds two crates `plugin new` made, and
//! the modules built from them (`cargo build --release` in each, the `.wasm`
//! copied next to its `plugin.toml`). The first test keeps the committed
//! sources equal to what `plugin new` makes now, so the committed modules
//! are what its crates build to; the second runs those modules. After a
//! change to the template: `rm -rf` a fixture's folder, make it again with
//! the arguments in `MADE`, build it (`rustup target add
//! wasm32-unknown-unknown` once) and copy its `.wasm` in.

use crate::common::{text, vixshield};
use std::path::{Path, PathBuf};

/// Each fixture's name and the arguments that made it.
const MADE: [(&str, &[&str]); 2] = [
    (
        "spread",
        &[
            "--inputs",
            "2",
            "--param",
            "scale=1",
            "--param",
            "shift=-0.5",
        ],
    ),
    ("rising", &["--output", "bool"]),
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugin_template")
}

/// Every file under `dir`, relative to it, sorted; what a build in it
/// leaves (`target/`, `Cargo.lock`) left out.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1
                || !["target", "Cargo.lock"].contains(&e.file_name().to_str().unwrap_or(""))
        })
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    found.sort();
    found
}

#[test]
fn plugin_new_makes_the_committed_crates() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in MADE {
        let dir = tmp.path().join(name);
        let dir_text = dir.to_str().unwrap();
        let mut argv = vec!["plugin", "new", dir_text];
        argv.extend_from_slice(args);
        let out = vixshield(&argv);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.starts_with(&format!("made plugin `{name}` in {dir_text}:\n")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!(
                "cp target/wasm32-unknown-unknown/release/{name}.wasm .\n"
            )),
            "{stdout}"
        );
        let fixture = fixtures().join(name);
        let module = PathBuf::from(format!("{name}.wasm"));
        let committed: Vec<PathBuf> = files(&fixture)
            .into_iter()
            .filter(|f| *f != module)
            .collect();
        assert_eq!(files(&dir), committed, "{name}: the files made");
        for f in &committed {
            assert_eq!(
                text(&std::fs::read(dir.join(f)).unwrap()),
                text(&std::fs::read(fixture.join(f)).unwrap()),
                "{name}/{}: the template changed; make the fixture again (see this file's header)",
                f.display()
            );
        }
    }
}

/// `(date, value)` of every bar of `signal EXPR --format json` over the
/// bundled data, with the fixtures' plugins.
fn signal(expr: &str) -> Vec<(String, serde_json::Value)> {
    let plugins = fixtures();
    let out = vixshield(&[
        "signal",
        expr,
        "--format",
        "json",
        "--plugins",
        plugins.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{expr}: {}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|r| (r["date"].as_str().unwrap().to_string(), r["value"].clone()))
        .collect()
}

/// The modules built from what `plugin new` makes do what their first
/// `compute` says: a number plugin passes its first series through, a bool
/// plugin says whether its first series rose since the bar before.
#[test]
fn the_crates_plugin_new_makes_run_as_made() {
    let vix = signal("vix");
    assert!(vix.len() > 9000);
    assert_eq!(signal("spread(vix, vix3m, 1, -0.5)"), vix);

    let rising = signal("rising(vix)");
    assert_eq!(rising.len(), vix.len());
    assert_eq!(
        rising[0].1,
        serde_json::Value::Null,
        "no value on the first bar"
    );
    for t in 1..vix.len() {
        let (now, before) = (vix[t].1.as_f64(), vix[t - 1].1.as_f64());
        let rose = matches!((now, before), (Some(a), Some(b)) if a > b);
        // Booleans are 0 and 1 in `signal`'s output.
        let expected = serde_json::json!(if rose { 1.0 } else { 0.0 });
        assert_eq!(rising[t], (vix[t].0.clone(), expected), "bar {t}");
    }
    // Both kinds of value occur: the comparison is not constant.
    assert!(rising.iter().any(|(_, v)| *v == serde_json::json!(1.0)));
    assert!(rising.iter().any(|(_, v)| *v == serde_json::json!(0.0)));

    // Called with other counts than its manifest declares, the crate
    // returns 1, which the manifest it made explains.
    let m = std::fs::read_to_string(fixtures().join("spread/plugin.toml")).unwrap();
    assert!(
        m.ends_with("[errors]\n1 = \"not called with 2 input series and 2 params\"\n"),
        "{m}"
    );
}

#[test]
fn plugin_new_refuses_what_would_not_be_a_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    std::fs::create_dir(tmp.path().join("taken")).unwrap();
    std::fs::write(tmp.path().join("afile"), "").unwrap();
    let cases: Vec<(String, Vec<&str>, String)> = vec![
        (
            at("taken"),
            vec![],
            format!("error: cannot make `{}`: it exists already: give a new folder\n", at("taken")),
        ),
        // A file where a folder above it goes: it said "exists already".
        (
            at("afile/sub"),
            vec![],
            format!("error: cannot make `{}`: `{}` is a file, not a folder\n", at("afile/sub"), at("afile")),
        ),
        (
            at("vix-zscore"),
            vec![],
            "error: `vix-zscore` is not a plugin name: a strategy calls a plugin by its name, which must be an identifier (letters, digits, `_`, not starting with a digit); did you mean `vix_zscore`?\n".into(),
        ),
        (
            at("2fast"),
            vec![],
            "error: `2fast` is not a plugin name: a strategy calls a plugin by its name, which must be an identifier (letters, digits, `_`, not starting with a digit)\n".into(),
        ),
        (
            at("rsi"),
            vec![],
            "error: `rsi` is the name of a built-in signal; a strategy could not call the plugin: choose another name\n".into(),
        ),
        (
            at("vix3m"),
            vec![],
            "error: `vix3m` is the name of a market series; a strategy could not call the plugin: choose another name\n".into(),
        ),
        (
            at("within"),
            vec![],
            "error: `within` is a keyword of the language; a strategy could not call the plugin: choose another name\n".into(),
        ),
        (
            at("zero"),
            vec!["--inputs", "0"],
            "error: a plugin takes 1 to 64 input series, not 0\n".into(),
        ),
        (
            at("noeq"),
            vec!["--param", "period"],
            "error: `--param period`: write NAME=DEFAULT (`--param period=14`)\n".into(),
        ),
        (
            at("nan"),
            vec!["--param", "period=NaN"],
            "error: `--param period=NaN`: `NaN` is not a finite number (write `14`, `-0.5` or `5%`)\n".into(),
        ),
        (
            at("twice"),
            vec!["--param", "p=1", "--param", "p=2"],
            "error: param `p`: given twice\n".into(),
        ),
        (
            at("badparam"),
            vec!["--param", "my-p=1"],
            "error: param `my-p`: a param's name must be an identifier\n".into(),
        ),
        (
            at("escape"),
            vec!["--description", "a\u{1b}[2Jb"],
            "error: `--description`: the description must be one line without control characters, found U+001B\n".into(),
        ),
    ];
    for (path, args, message) in cases {
        let mut argv = vec!["plugin", "new", path.as_str()];
        argv.extend(args);
        let out = vixshield(&argv);
        assert_eq!(out.status.code(), Some(2), "{path}");
        assert!(out.stdout.is_empty(), "{path}");
        assert_eq!(text(&out.stderr), message, "{path}");
    }
    // Nothing was made, and the folder that existed is as it was.
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["afile", "taken"]);
    assert_eq!(
        std::fs::read_dir(tmp.path().join("taken")).unwrap().count(),
        0
    );
}

/// `compute`'s error code cannot be 0: an `Err(0)` reached the host as
/// success, which then read `out` (untouched, all zeros) as the signal.
/// With `NonZeroI32` an `Err(0)` does not compile.
#[test]
fn the_crate_plugin_new_makes_cannot_return_err_0() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("zs");
    let out = vixshield(&["plugin", "new", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(lib.contains(") -> Result<(), NonZeroI32> {\n"), "{lib}");
    assert!(lib.contains("Err(code) => code.get(),\n"), "{lib}");
    assert!(!lib.contains("Result<(), i32>"), "{lib}");
}

/// The crate `plugin new` makes runs its unit tests natively (`cargo test
/// --target host-tuple`, as its README says): the wasm-only parts (the
/// panic handler, `vxs_alloc`, `no_std`) are left out of a native build.
/// Its `cargo test` failed with "duplicate lang item `panic_impl`", though
/// plugins/README.md says to unit-test the maths natively. Runs cargo on
/// the made crate (no dependencies, its own target folder).
#[test]
fn the_crate_plugin_new_makes_runs_its_tests_natively() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("flag", &["--output", "bool", "--param", "level=5%"][..]),
        ("pair", &["--inputs", "2"][..]),
    ] {
        let dir = tmp.path().join(name);
        let mut argv = vec!["plugin", "new", dir.to_str().unwrap()];
        argv.extend_from_slice(args);
        let out = vixshield(&argv);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args(["test", "--offline", "--target", "host-tuple"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", tmp.path().join("target"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .output()
            .unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{name}: {all}");
        assert!(
            all.contains("test tests::computes_one_value_a_bar ... ok"),
            "{name}: {all}"
        );
        assert!(all.contains("test result: ok. 1 passed"), "{name}: {all}");
    }
}

/// A build newer than the copy `plugin.toml` names, left in the crate's
/// `target/` (the step a first plugin forgets: copy the `.wasm` again), is
/// said on stderr by `plugin test`, which still runs the copy; a build the
/// same as the copy, or older, is not.
#[test]
fn plugin_test_says_when_the_copy_is_older_than_the_build() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spread");
    let release = dir.join("target/wasm32-unknown-unknown/release");
    std::fs::create_dir_all(&release).unwrap();
    for f in ["plugin.toml", "spread.wasm"] {
        std::fs::copy(fixtures().join("spread").join(f), dir.join(f)).unwrap();
    }
    let built = release.join("spread.wasm");
    let set_time = |path: &Path, secs: u64| {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let warned = || {
        let out = vixshield(&["plugin", "test", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with("plugin spread "));
        text(&out.stderr)
    };
    // Another module, built after the copy.
    std::fs::copy(fixtures().join("rising/rising.wasm"), &built).unwrap();
    set_time(&dir.join("spread.wasm"), 1_700_000_000);
    set_time(&built, 1_700_000_100);
    let stderr = warned();
    assert_eq!(
        stderr,
        format!(
            "warning: `{}` is a newer build than the `spread.wasm` the plugin loads; copy it to test it: cp {} {}\n",
            built.display(),
            built.display(),
            dir.join("spread.wasm").display()
        )
    );
    // Built before the copy: nothing to say.
    set_time(&built, 1_600_000_000);
    assert_eq!(warned(), "");
    // Newer but the same module (copied already): nothing to say.
    std::fs::copy(dir.join("spread.wasm"), &built).unwrap();
    set_time(&built, 1_700_000_100);
    assert_eq!(warned(), "");
}
