//! The bundled strategies: each checks, each is formatted, and each says what
//! its profile is (spx-mastery and conservative clean, aggressive warned).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vixshield::check::{self, Env};
use vixshield::diag::{Code, Severity};
use vixshield::source::SourceFile;

fn strategies() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("strategies");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "vxs"))
        .collect();
    v.sort();
    v
}

/// The project's plugin environment (`plugins/`, found through `vixshield.toml`),
/// as `vixshield check` builds it in the project root.
fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        vixshield::plugin::PluginSetup::discover(Path::new(env!("CARGO_MANIFEST_DIR")), &[])
            .map(|s| s.env())
            .expect("the project's plugins are discovered")
    })
}

fn load(path: &Path) -> SourceFile {
    SourceFile::from_bytes(
        path.display().to_string(),
        &std::fs::read(path).unwrap_or_default(),
    )
}

#[test]
fn at_least_three_strategies_all_check_without_errors() {
    let all = strategies();
    assert!(all.len() >= 3, "{all:?}");
    for path in &all {
        let checked = check::check_source(&load(path), env());
        let errors: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert!(checked.strategy.is_some());
    }
}

#[test]
fn every_strategy_is_formatted() {
    for path in strategies() {
        let src = load(&path);
        let parsed = vixshield::parse::parse(&src);
        assert_eq!(
            vixshield::fmt::format(&src, &parsed),
            src.text(),
            "{} is not formatted",
            path.display()
        );
    }
}

fn codes(name: &str) -> Vec<Code> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("strategies")
        .join(name);
    check::check_source(&load(&path), env())
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn spx_mastery_and_conservative_are_clean() {
    assert_eq!(codes("spx-mastery.vxs"), vec![]);
    assert_eq!(codes("conservative.vxs"), vec![]);
}

#[test]
fn spx_theta_is_clean_with_the_project_plugins_only() {
    assert_eq!(codes("spx-theta.vxs"), vec![]);
    // Without plugins, its two plugin calls are unknown functions.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("strategies/spx-theta.vxs");
    let without: Vec<Code> = check::check_source(&load(&path), &Env::default())
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(without, vec![Code::UnknownFunction, Code::UnknownFunction]);
}

#[test]
fn aggressive_is_warned_as_a_promoter() {
    assert_eq!(codes("aggressive.vxs"), vec![Code::Promoter]);
}

#[test]
fn spx_mastery_is_the_canonical_method() {
    use rust_decimal::dec;
    use vixshield::model::{Amount, Basis, Reset};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("strategies/spx-mastery.vxs");
    let s = check::check_source(&load(&path), env())
        .strategy
        .expect("checks");
    assert_eq!(s.account.capital, dec!(100000));
    assert_eq!(s.account.percent_of, Basis::Capital);
    assert_eq!(
        s.sizing.base,
        Amount::Percent {
            fraction: dec!(0.01),
            of: Basis::Capital
        }
    );
    assert_eq!(s.sizing.steps, 4);
    assert_eq!(s.sizing.multipliers, vec![dec!(1.8), dec!(1.6), dec!(1.6)]);
    assert_eq!(s.sizing.reset, Reset::OnWin);
    assert_eq!(
        s.sizing.layer_cap,
        Some(Amount::Percent {
            fraction: dec!(0.10),
            of: Basis::Capital
        })
    );
    assert_eq!(
        s.sizing.max_loss,
        vec![dec!(0.9), dec!(0.9), dec!(0.65), dec!(0.65)]
    );
    assert_eq!(s.entry.dte, 45);
    assert_eq!(s.entry.short_delta, (dec!(0.15), dec!(0.20)));
    assert_eq!(s.entry.target_return, Some(dec!(0.15)));
    assert_eq!(s.hedges.len(), 2);
    assert_eq!(
        (s.hedges[0].allocation, s.hedges[0].active_from),
        (dec!(0.15), 1)
    );
    assert_eq!(s.hedges[1].active_from, 3);
    let roll = s.roll.expect("roll");
    assert_eq!(
        (roll.coefficient, roll.clamp),
        (dec!(0.55), Some((dec!(0.45), dec!(0.65))))
    );
    assert_eq!(roll.overrides[0].coefficient, dec!(0.45));
    assert_eq!(s.guards.len(), 3);
    // The ladder of a full losing cycle: 1,000, 1,800, 2,880 → 2,900, 4,640 → 4,600.
    let e = vixshield::check::exposure::analyze(&s.sizing, &s.account).expect("no overflow");
    let sizes: Vec<_> = e.rungs.iter().map(|r| r.size.size).collect();
    assert_eq!(sizes, vec![dec!(1000), dec!(1800), dec!(2900), dec!(4600)]);
    assert_eq!(e.cycle_risk, dec!(10300));
    assert_eq!(e.cap_binds_at, None);
}
