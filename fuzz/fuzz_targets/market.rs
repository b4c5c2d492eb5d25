//! Market CSV bytes → the series reader as `--market vix=F` and
//! `--market spx=F` read it (UTF-8 check, then `load_series_from_str`),
//! joined with fixed series and evaluated over a fixed strategy's graph
//! (`MarketValues::compute`); and the same bytes as a `--calendar` file
//! (`Calendar::load_events_of`, through a file: it sniffs the header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vixshield::compile::Compiled;
use vixshield::eval::MarketValues;
use vixshield::market::{Calendar, Market, Series, load_series_from_str};
use vixshield::source::SourceFile;

struct Fixed {
    compiled: Compiled,
    calendar: Calendar,
    vix: Series,
    vix3m: Series,
    spx: Series,
    calendar_file: std::path::PathBuf,
}

fn fixed() -> &'static Fixed {
    static F: OnceLock<Fixed> = OnceLock::new();
    F.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../strategies/spx-mastery.vxs");
        let text = std::fs::read_to_string(path).unwrap();
        let src = SourceFile::new("spx-mastery.vxs", text);
        let checked = vixshield::check::check_source(&src, &vixshield::check::Env::default());
        let strategy = checked.strategy.expect("spx-mastery.vxs checks");
        let compiled = vixshield::compile::compile(&strategy, &[]).unwrap();
        let day0 = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let (mut vix, mut vix3m, mut spx) = (
            String::from("date,close\n"),
            String::from("date,close\n"),
            String::from("date,close\n"),
        );
        for i in 0..60u64 {
            let d = day0 + chrono::Days::new(i);
            let v = 15.0 + ((i * 7) % 11) as f64 * 0.8;
            vix.push_str(&format!("{d},{v:.2}\n"));
            vix3m.push_str(&format!("{d},{:.2}\n", v + 1.5));
            spx.push_str(&format!("{d},{:.2}\n", 4700.0 + (i % 13) as f64 * 9.5));
        }
        let dir = std::env::temp_dir().join(format!("vxs-fuzz-market-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Fixed {
            compiled,
            calendar: Calendar::bundled().unwrap(),
            vix: load_series_from_str("vix", "vix", &vix).unwrap(),
            vix3m: load_series_from_str("vix3m", "vix3m", &vix3m).unwrap(),
            spx: load_series_from_str("spx", "spx", &spx).unwrap(),
            calendar_file: dir.join("calendar.csv"),
        }
    })
}

fn shown(e: &vixshield::market::MarketError) {
    let s = e.to_string();
    assert!(!s.is_empty());
    if let Some(at) = e.location() {
        assert!(at.line >= 1 && at.column >= 1, "bad location {at:?}: {s}");
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixed();
    if let Ok(text) = std::str::from_utf8(data) {
        // As the primary series: its dates are the market's calendar.
        match load_series_from_str("vix", "m.csv", text) {
            Ok(s) => {
                if let Ok(m) = Market::new(&s, None) {
                    let m = m.with(&f.vix3m).with(&f.spx);
                    for a in m.series() {
                        let _ = a.longest_carried_run();
                        let _ = a.dropped_rows();
                    }
                    let _ = MarketValues::compute(&f.compiled.graph, &m, &f.calendar, None);
                }
            }
            Err(e) => shown(&e),
        }
        // As a secondary series, joined on VIX's calendar.
        for name in ["spx", "vix3m"] {
            match load_series_from_str(name, "m.csv", text) {
                Ok(s) => {
                    let mut m = Market::new(&f.vix, None).unwrap();
                    if name == "spx" {
                        m = m.with(&f.vix3m);
                    } else {
                        m = m.with(&f.spx);
                    }
                    let m = m.with(&s);
                    for a in m.series() {
                        let _ = a.longest_carried_run();
                        let _ = a.dropped_rows();
                    }
                    let _ = MarketValues::compute(&f.compiled.graph, &m, &f.calendar, None);
                }
                Err(e) => shown(&e),
            }
        }
    }
    // As a `--calendar` file.
    std::fs::write(&f.calendar_file, data).unwrap();
    let mut calendar = f.calendar.clone();
    match calendar.load_events_of(&f.calendar_file, &["FOMC", "CPI", "PPI"]) {
        Ok(_) => {
            let m = Market::new(&f.vix, None)
                .unwrap()
                .with(&f.vix3m)
                .with(&f.spx);
            let _ = MarketValues::compute(&f.compiled.graph, &m, &calendar, None);
        }
        Err(e) => shown(&e),
    }
});
