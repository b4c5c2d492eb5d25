//! Data-driven checker tests: every file under `tests/cases/check/` is a case.
//!
//! Its rendered diagnostics are an insta snapshot. The file name also states an
//! expectation checked here: `eNNNN_*` / `wNNNN_*` must report that code, `ok_*`
//! must report nothing. And every diagnostic code must have a case.
//!
//! Cases can call the project's plugins (`plugins/`) and the fixture plugins
//! of `tests/fixtures/plugins/` (a broken one, one named like a built-in...).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vixshield::check::{self, Env};
use vixshield::diag::{self, Code};
use vixshield::plugin::{PluginRegistry, PluginSetup};
use vixshield::source::SourceFile;

/// The plugin environment of every case. Relative folders (tests run in the
/// package root) so that paths in messages are the same on every machine.
fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dirs = vec![
            PathBuf::from("plugins"),
            PathBuf::from("tests/fixtures/plugins"),
        ];
        PluginSetup::new(PluginRegistry::from_dirs(dirs)).env()
    })
}

fn check_file(path: &Path) -> (SourceFile, check::Checked) {
    let bytes = std::fs::read(path).unwrap_or_default();
    let name = format!(
        "cases/check/{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("?")
    );
    let src = SourceFile::from_bytes(name, &bytes);
    let checked = check::check_source(&src, env());
    (src, checked)
}

#[test]
fn every_case_renders_its_diagnostics() {
    insta::glob!("../cases/check", "*.vxs", |path| {
        let (src, checked) = check_file(path);
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let codes: BTreeSet<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        if let Some(ok) = stem.strip_prefix("ok_") {
            assert!(
                codes.is_empty(),
                "{ok}: expected no diagnostics, got {codes:?}"
            );
            assert!(
                checked.strategy.is_some(),
                "{ok}: a clean file yields a strategy"
            );
        } else if let Some(code) = stem.get(..5).filter(|c| c.starts_with(['e', 'w'])) {
            let code = code.to_uppercase();
            assert!(
                codes.contains(code.as_str()),
                "{stem}: expected {code}, got {codes:?}"
            );
        }
        if checked.has_errors() {
            assert!(
                checked.strategy.is_none(),
                "{stem}: no strategy when there are errors"
            );
        }
        insta::assert_snapshot!(diag::render_human(&src, &checked.diagnostics, false));
    });
}

#[test]
fn every_code_has_a_case() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let (_, checked) = check_file(&entry.path());
        seen.extend(checked.diagnostics.iter().map(|d| d.code));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a case in tests/cases/check: {missing:?}"
    );
}

#[test]
fn diagnostics_come_in_source_order() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check/many_errors_at_once.vxs");
    let (_, checked) = check_file(&path);
    assert!(
        checked.diagnostics.len() >= 10,
        "many problems reported at once: {}",
        checked.diagnostics.len()
    );
    let starts: Vec<u32> = checked.diagnostics.iter().map(|d| d.span.start).collect();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(starts, sorted);
}
