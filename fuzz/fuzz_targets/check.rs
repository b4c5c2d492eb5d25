//! Strategy text → parse → check → every diagnostic rendered (human, JSON,
//! GitHub) → compile → the engine over a small fixed journal and market.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vixshield::check::{self, Env};
use vixshield::diag::{self, Severity};
use vixshield::eval::{ClosedTrade, Engine, MarketValues};
use vixshield::market::{Calendar, Market};
use vixshield::plugin::PluginSetup;
use vixshield::source::SourceFile;

struct Fixed {
    env: Env,
    setup: Option<PluginSetup>,
    market: Market,
    calendar: Calendar,
    trades: Vec<ClosedTrade>,
}

/// The project's plugins (signatures only: nothing is loaded), a small
/// market (80 bars of VIX, VIX3M and SPX) and a journal of six trades.
fn fixed() -> &'static Fixed {
    static F: OnceLock<Fixed> = OnceLock::new();
    F.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let setup = PluginSetup::discover(&root, &[]).ok();
        let mut env = setup.as_ref().map(|s| s.env()).unwrap_or_default();
        env.loader = None;
        let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let (mut vix, mut vix3m, mut spx) = (
            String::from("date,close\n"),
            String::from("date,close\n"),
            String::from("date,close\n"),
        );
        for i in 0..80u64 {
            let d = day0 + chrono::Days::new(i);
            let v = 15.0 + ((i * 7) % 11) as f64 * 0.8;
            vix.push_str(&format!("{d},{v:.2}\n"));
            vix3m.push_str(&format!("{d},{:.2}\n", v + 1.5));
            spx.push_str(&format!("{d},{:.2}\n", 4700.0 + (i % 13) as f64 * 9.5));
        }
        let s = |n: &str, t: &str| vixshield::market::load_series_from_str(n, n, t).unwrap();
        let market = Market::new(&s("vix", &vix), None)
            .unwrap()
            .with(&s("vix3m", &vix3m))
            .with(&s("spx", &spx));
        let calendar = Calendar::bundled().unwrap();
        let dec = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        let trades = [
            ("2024-01-10", "420", Some("600"), None),
            ("2024-01-17", "-1800", Some("600"), Some("250")),
            ("2024-01-24", "-2900", None, None),
            ("2024-02-01", "-4100", Some("900"), Some("-75")),
            ("2024-02-08", "700", Some("900"), None),
            ("2024-03-01", "-9000", Some("1000"), None),
        ]
        .iter()
        .map(|(d, p, c, h)| ClosedTrade {
            date: d.parse().unwrap(),
            pnl: dec(p),
            credit: c.map(dec),
            hedge_pnl: h.map(dec),
        })
        .collect();
        Fixed {
            env,
            setup,
            market,
            calendar,
            trades,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixed();
    let src = SourceFile::from_bytes("fuzz.vxs", data);
    let checked = check::check_source(&src, &f.env);
    let len = src.text().len() as u32;
    for d in &checked.diagnostics {
        assert!(
            d.span.start <= d.span.end && d.span.end <= len,
            "span out of bounds: {d:?}"
        );
        assert!(!d.message.is_empty(), "empty message: {d:?}");
    }
    let has_errors = checked
        .diagnostics
        .iter()
        .any(|d| d.severity() == Severity::Error);
    assert_eq!(checked.strategy.is_some(), !has_errors);
    // As `check` renders them: human (with and without colour), JSON, GitHub.
    let _ = diag::render_human(&src, &checked.diagnostics, false);
    let _ = diag::render_human(&src, &checked.diagnostics, true);
    let json = diag::to_json(&src, &checked.diagnostics);
    for entry in &json {
        let _ = diag::github_annotation(entry);
    }
    let _ = serde_json::to_string_pretty(&json);
    let Some(strategy) = &checked.strategy else {
        return;
    };
    let _ = check::exposure::analyze(&strategy.sizing, &strategy.account)
        .map(|e| check::exposure::render(strategy, &e));
    let defaults = f.setup.as_ref().map(|s| s.defaults()).unwrap_or_default();
    let Ok(compiled) = vixshield::compile::compile(strategy, &defaults) else {
        return;
    };
    let _ = compiled.graph.topo_order();
    // Without market data, with the calendar (as `run --no-market`).
    let mut engine = Engine::new(strategy, &compiled, None).with_calendar(Some(&f.calendar));
    run_engine(&mut engine, &f.trades);
    // Over the small market (plugins are not run: a graph calling one fails).
    if let Ok(values) = MarketValues::compute(&compiled.graph, &f.market, &f.calendar, None) {
        let mut engine = Engine::new(strategy, &compiled, Some(&values));
        run_engine(&mut engine, &f.trades);
    }
});

fn run_engine(engine: &mut Engine<'_>, trades: &[ClosedTrade]) {
    let mut credit = trades.first().and_then(|t| t.credit);
    for (i, t) in trades.iter().enumerate() {
        match engine.next_decision(credit) {
            Ok(d) => {
                let _ = d.derivation();
            }
            Err(_) => return,
        }
        if engine.apply(t).is_err() {
            return;
        }
        credit = trades.get(i + 1).and_then(|t| t.credit);
    }
    if let Ok(d) = engine.next_decision(credit) {
        let _ = d.derivation();
    }
}
