//! Journal CSV bytes → the journal reader, then what `run` does with a
//! journal that reads: the trades as closed trades, the engine over them
//! (a fixed strategy, no market: `run --no-market`), and `run --summary`'s
//! summary (XIRR included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vixshield::eval::{ClosedTrade, Engine};
use vixshield::market::Calendar;
use vixshield::model::Strategy;
use vixshield::source::SourceFile;

struct Fixed {
    strategy: Strategy,
    compiled: vixshield::compile::Compiled,
    calendar: Calendar,
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
        Fixed {
            strategy,
            compiled,
            calendar: Calendar::bundled().unwrap(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let journal = match vixshield::journal::parse_journal_bytes("j.csv", data) {
        Ok(j) => j,
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.is_empty());
            if let Some(at) = e.location() {
                assert!(
                    at.line >= 1 && at.column >= 1,
                    "bad location {at:?}: {shown}"
                );
            }
            return;
        }
    };
    let closed: Vec<ClosedTrade> = journal.trades.iter().map(ClosedTrade::from).collect();
    let f = fixed();
    let mut engine = Engine::new(&f.strategy, &f.compiled, None).with_calendar(Some(&f.calendar));
    let mut decisions = Vec::new();
    let mut credit = closed.first().and_then(|t| t.credit);
    for (i, t) in closed.iter().enumerate() {
        match engine.next_decision(credit) {
            Ok(d) => decisions.push(d.clone()),
            Err(_) => return,
        }
        if engine.apply(t).is_err() {
            return;
        }
        credit = closed.get(i + 1).and_then(|t| t.credit);
    }
    match engine.next_decision(credit) {
        Ok(d) => decisions.push(d.clone()),
        Err(_) => return,
    }
    for d in &decisions {
        let _ = d.derivation();
    }
    let _ = vixshield::summary::summarize(f.strategy.account.capital, &journal.trades, &decisions);
});
