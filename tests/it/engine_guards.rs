//! Guards evaluated by the engine on the bundled real market data: each
//! decision records every guard's outcome with its numbers; guards block
//! entries or cap the hedge layers' notional, and never change a condor's
//! step or size.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::sync::OnceLock;

use chrono::NaiveDate;
use rust_decimal::{Decimal, dec};
use vixshield::check::{self, Env};
use vixshield::compile::{Compiled, compile};
use vixshield::decision::{Decision, GuardKind, GuardVerdict, LeafValue, Trigger};
use vixshield::eval::{self, ClosedTrade, MarketValues};
use vixshield::guards::{self, WaccInputs};
use vixshield::market::{Calendar, Market};
use vixshield::model::Strategy;
use vixshield::source::SourceFile;

fn market() -> &'static (Market, Calendar) {
    static M: OnceLock<(Market, Calendar)> = OnceLock::new();
    M.get_or_init(|| {
        (
            Market::bundled().expect("bundled market"),
            Calendar::bundled().expect("bundled calendar"),
        )
    })
}

fn file(name: &str) -> String {
    let path = format!("{}/strategies/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("strategy file")
}

fn strategy(text: &str) -> Strategy {
    let src = SourceFile::new("test.vxs", text);
    let checked = check::check_source(&src, &Env::default());
    match checked.strategy {
        Some(s) => s,
        None => panic!("does not check: {:?}", checked.diagnostics),
    }
}

/// The strategy file with its `guards { ... }` block replaced.
fn with_guards(name: &str, guards: &str) -> String {
    let text = file(name);
    let start = text.find("guards {").expect("a guards block");
    let end = start + text[start..].find('}').expect("its end") + 1;
    format!("{}{guards}{}", &text[..start], &text[end..])
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

fn trade(d: &str, pnl: Decimal) -> ClosedTrade {
    ClosedTrade {
        date: date(d),
        pnl,
        credit: None,
        hedge_pnl: None,
    }
}

fn decide(s: &Strategy, trades: &[ClosedTrade], with_market: bool) -> (Compiled, Vec<Decision>) {
    let c = compile(s, &[]).expect("compiles");
    let (m, cal) = market();
    let values = MarketValues::compute(&c.graph, m, cal, None).expect("market values");
    let d = eval::run(s, &c, with_market.then_some(&values), trades).expect("runs");
    (c, d)
}

fn guard(d: &Decision, kind: GuardKind) -> &GuardVerdict {
    &d.guards
        .iter()
        .find(|g| g.kind == kind)
        .expect("the guard")
        .outcome
}

fn spikes() -> Vec<ClosedTrade> {
    let path = format!(
        "{}/tests/fixtures/journals/spikes.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    vixshield::journal::read_journal(std::path::Path::new(&path))
        .expect("the spikes journal")
        .trades
        .iter()
        .map(ClosedTrade::from)
        .collect()
}

#[test]
fn guards_never_change_a_step_or_a_size() {
    let trades = spikes();
    for name in ["spx-mastery.vxs", "conservative.vxs"] {
        let guarded = strategy(&file(name));
        let bare = strategy(&with_guards(name, ""));
        assert!(!guarded.guards.is_empty() && bare.guards.is_empty());
        let (_, a) = decide(&guarded, &trades, true);
        let (_, b) = decide(&bare, &trades, true);
        assert!(
            a.iter().any(|d| d.blocked),
            "{name}: some decision is blocked"
        );
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (x.step, x.size, x.max_loss, x.equity, x.event),
                (y.step, y.size, y.max_loss, y.equity, y.event),
                "{name}: trade {}",
                x.trade
            );
            // Nothing capped here: the hedge budgets are the same too.
            let budgets = |d: &Decision| d.hedges.iter().map(|h| h.budget).collect::<Vec<_>>();
            assert_eq!(budgets(x), budgets(y));
            assert_eq!(x.guards.len(), guarded.guards.len());
            assert!(y.guards.is_empty() && !y.blocked);
            assert_eq!(
                x.blocked,
                x.guards
                    .iter()
                    .any(|g| matches!(g.outcome, GuardVerdict::Blocked { .. }))
            );
        }
    }
}

#[test]
fn the_blackout_blocks_the_day_before_an_fomc_meeting_and_names_it() {
    let s = strategy(&file("spx-mastery.vxs"));
    let (_, d) = decide(
        &s,
        &[
            trade("2020-04-28", dec!(-900)),
            trade("2020-04-30", dec!(500)),
        ],
        true,
    );
    let blocked = &d[1];
    assert_eq!(blocked.market_date, Some(date("2020-04-28")));
    assert!(blocked.blocked);
    assert_eq!((blocked.step, blocked.size), (2, dec!(1800)));
    assert_eq!(
        guard(blocked, GuardKind::Blackout),
        &GuardVerdict::Blocked {
            value: None,
            limit: None,
            reason: "FOMC on 2020-04-29, 1 day away".into()
        }
    );
    let lines = blocked.derivation();
    assert!(
        lines.contains(
            &"guard no entry within 1d of FOMC, CPI, PPI: blocked (FOMC on 2020-04-29, 1 day away)"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.contains(
            &"blocked: no new entry while a guard blocks; step 2 and size $1,800 stand".to_string()
        ),
        "{lines:#?}"
    );
    // 2020-03-20: FOMC on 03-23 is 3 days away, the March CPI and PPI came
    // out on 03-11 and 03-12: nothing in the window, and every kind known.
    let after = &d[2];
    assert!(!after.blocked);
    assert!(matches!(
        guard(after, GuardKind::Blackout),
        GuardVerdict::Pass { .. }
    ));
}

/// In a month whose release date was never found (the June 2002 CPI,
/// released in July 2002: `data/cpi-ppi-unknown.csv`), the blackout cannot
/// say: unknown, naming the kind, never a silent pass.
#[test]
fn the_blackout_is_unknown_in_a_month_whose_release_was_never_found() {
    let s = strategy(&file("spx-mastery.vxs"));
    let (_, d) = decide(
        &s,
        &[
            trade("2002-07-19", dec!(300)),
            trade("2002-08-09", dec!(300)),
        ],
        true,
    );
    let in_gap = &d[1];
    assert_eq!(in_gap.market_date, Some(date("2002-07-19")));
    assert!(!in_gap.blocked);
    match guard(in_gap, GuardKind::Blackout) {
        GuardVerdict::Unknown { reason } => assert_eq!(
            reason,
            "no FOMC, PPI in the window, but the event calendar does not cover CPI around 2002-07-19"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_blackout_passes_only_where_the_calendar_covers_every_kind() {
    let s = strategy(&file("spx-mastery.vxs"));
    let (_, d) = decide(
        &s,
        &[
            trade("2021-02-09", dec!(450)),
            trade("2021-02-12", dec!(450)),
            // After the last known CPI and PPI releases (June 2026).
            trade("2026-07-10", dec!(450)),
        ],
        true,
    );
    assert_eq!(
        guard(&d[1], GuardKind::Blackout),
        &GuardVerdict::Blocked {
            value: None,
            limit: None,
            reason: "CPI on 2021-02-10, 1 day away".into()
        }
    );
    assert!(matches!(
        guard(&d[2], GuardKind::Blackout),
        GuardVerdict::Pass { .. }
    ));
    match guard(&d[3], GuardKind::Blackout) {
        GuardVerdict::Unknown { reason } => assert_eq!(
            reason,
            "no FOMC in the window, but the event calendar does not cover CPI, PPI around 2026-07-10: \
             CPI known to 2026-06-10, PPI known to 2026-06-11; add later dates with --calendar"
        ),
        other => panic!("{other:?}"),
    }
    // Before any trade there is no bar to read.
    assert!(matches!(
        guard(&d[0], GuardKind::Blackout),
        GuardVerdict::Unknown { .. }
    ));
}

#[test]
fn a_weekend_close_reads_the_bar_before_it() {
    let s = strategy(&file("conservative.vxs"));
    // Sunday 2024-02-11 reads Friday 2024-02-09's bar; the event window
    // (2 days in conservative) counts from the trade's date: CPI on Tuesday
    // 02-13 is 2 days away (4 from the bar's date).
    let (_, d) = decide(&s, &[trade("2024-02-11", dec!(100))], true);
    assert_eq!(d[1].market_date, Some(date("2024-02-09")));
    assert_eq!(
        guard(&d[1], GuardKind::Blackout),
        &GuardVerdict::Blocked {
            value: None,
            limit: None,
            reason: "CPI on 2024-02-13, 2 days away".into()
        }
    );
}

/// A live journal runs past the bundled market data (VIX ends 2026-07-23).
/// The blackout was read at the bar's date: a trade closed on 2026-07-28,
/// the day before the FOMC of 2026-07-29, read the 07-23 bar and passed
/// (`no event in the window on 2026-07-23`), and one more than 5 days past
/// the data was unknown though the calendar knows the FOMC. The calendar
/// needs no market bar: the window counts from the trade's date.
#[test]
fn the_blackout_is_read_at_the_trade_date_past_the_market_data() {
    let s = strategy(&file("spx-mastery.vxs").replace(
        "no entry within 1d of FOMC, CPI, PPI",
        "no entry within 1d of FOMC",
    ));
    let (_, d) = decide(
        &s,
        &[
            trade("2026-07-28", dec!(100)),
            trade("2026-12-08", dec!(100)),
        ],
        true,
    );
    assert_eq!(d[1].market_date, Some(date("2026-07-23")));
    assert_eq!(d[2].market_date, None);
    for (d, on) in [(&d[1], "2026-07-29"), (&d[2], "2026-12-09")] {
        assert_eq!(
            guard(d, GuardKind::Blackout),
            &GuardVerdict::Blocked {
                value: None,
                limit: None,
                reason: format!("FOMC on {on}, 1 day away").into()
            }
        );
        assert!(d.blocked);
    }
    // A guard that reads the market says where the data ends, and the cure.
    match guard(&d[2], GuardKind::QuickRatio) {
        GuardVerdict::Unknown { reason } => assert_eq!(
            &**reason,
            "the market data ends on 2026-07-23 (VIX's last bar), more than 5 days \
             before 2026-12-08: give newer data with --market"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_market_condition_blocks_while_false_and_records_its_values() {
    let s = strategy(&file("conservative.vxs"));
    let trades = [
        trade("2018-01-19", dec!(100)),
        trade("2020-03-16", dec!(100)),
    ];
    let (_, d) = decide(&s, &trades, true);
    let calm = d[1]
        .guards
        .iter()
        .find(|g| g.kind == GuardKind::Condition)
        .expect("vix < 40");
    assert_eq!(&*calm.guard, "vix < 40");
    assert!(matches!(calm.outcome, GuardVerdict::Pass { .. }));
    assert_eq!(calm.inputs[0].value, Some(LeafValue::Num(11.27)));
    let spike = d[2]
        .guards
        .iter()
        .find(|g| g.kind == GuardKind::Condition)
        .expect("vix < 40");
    assert_eq!(
        spike.outcome,
        GuardVerdict::Blocked {
            value: None,
            limit: None,
            reason: "`vix < 40` does not hold on 2020-03-16: no entry while it is false".into()
        }
    );
    assert_eq!(&*spike.inputs[0].name, "vix");
    assert_eq!(spike.inputs[0].value, Some(LeafValue::Num(82.69)));
    assert!(d[2].blocked);
    assert!(d[2].derivation().contains(
        &"guard vix < 40: blocked (`vix < 40` does not hold on 2020-03-16: no entry while it is false; vix = 82.69)"
            .to_string()
    ));
    // Without market data every market guard is unknown, and nothing blocks.
    let (_, d) = decide(&s, &trades, false);
    for x in &d {
        assert!(!x.blocked);
        for kind in [
            GuardKind::Condition,
            GuardKind::Blackout,
            GuardKind::QuickRatio,
        ] {
            assert_eq!(
                guard(x, kind),
                &GuardVerdict::Unknown {
                    reason: "no market data".into()
                }
            );
        }
        assert!(matches!(
            guard(x, GuardKind::WaccImpact),
            GuardVerdict::Pass { .. }
        ));
    }
}

fn spx_wacc() -> WaccInputs {
    WaccInputs {
        risk_free_rate: dec!(0.045),
        beta: dec!(1),
        equity_risk_premium: dec!(0.055),
        margin_rate: dec!(0.065),
        tax_rate: dec!(0.21),
    }
}

#[test]
fn the_wacc_guard_caps_the_hedges_total_and_scales_each_layer() {
    let s = strategy(&with_guards(
        "spx-mastery.vxs",
        "guards {\n    wacc_impact < 0.5bps\n}",
    ));
    let losses = [
        trade("2024-01-19", dec!(-900)),
        trade("2024-02-23", dec!(-1500)),
        trade("2024-03-22", dec!(-2000)),
    ];
    let (_, d) = decide(&s, &losses, true);
    // Step 3: front $435 + back $290 = $725 moves the wacc by less than 0.5bps.
    assert!(matches!(
        guard(&d[2], GuardKind::WaccImpact),
        GuardVerdict::Pass { .. }
    ));
    // Step 4: front $690 + back $460 = $1,150 is too much on equity $95,600.
    let x = &d[3];
    assert_eq!((x.step, x.size, x.equity), (4, dec!(4600), dec!(95600)));
    let cap =
        guards::max_hedge_under_wacc(&spx_wacc(), dec!(95600), dec!(0), dec!(0.5), dec!(1150))
            .expect("cap");
    assert!(cap < dec!(1150) && cap > dec!(900), "{cap}");
    match guard(x, GuardKind::WaccImpact) {
        GuardVerdict::Capped {
            from, to, limit, ..
        } => assert_eq!((*from, *to, *limit), (dec!(1150), cap, dec!(0.5))),
        other => panic!("{other:?}"),
    }
    assert!(!x.blocked, "the wacc guard never blocks");
    let asked: Vec<Option<Decimal>> = x.hedges.iter().map(|h| h.capped_from).collect();
    assert_eq!(asked, vec![Some(dec!(690)), Some(dec!(460))]);
    let total: Decimal = x.hedges.iter().map(|h| h.budget).sum();
    assert!(
        total <= cap && cap - total <= dec!(0.02),
        "{total} vs {cap}"
    );
    // Proportional: each layer keeps its share, to the cent.
    for h in &x.hedges {
        let exact = h.capped_from.unwrap_or_default() * cap / dec!(1150);
        assert!(h.budget <= exact && exact - h.budget < dec!(0.01));
    }
    assert!(
        x.derivation()
            .iter()
            .any(|l| l.starts_with("hedge front: 15% of $4,600 = $690, scaled to $")),
        "{:#?}",
        x.derivation()
    );
}

#[test]
fn the_quick_ratio_blocks_when_the_stressed_cash_is_short_and_caps_otherwise() {
    let with_cash = |cash: &str, sigma: &str| {
        let text = with_guards(
            "spx-mastery.vxs",
            &format!("guards {{\n    quick_ratio >= 1.4 under {sigma} sigma\n}}"),
        )
        .replace("cash = $100,000", &format!("cash = {cash}"));
        strategy(&text)
    };
    // Cash $1,000, a loss of $900 → cash $100 (cash + realized P&L); the next
    // condor ($1,800) counts as open with margin $1,800 and, its 0.20-delta
    // short strikes being 0.84 sigma away, loses $1,800 under 3 sigma.
    let s = with_cash("$1,000", "3");
    let (_, d) = decide(&s, &[trade("2020-03-16", dec!(-900))], true);
    let x = &d[1];
    assert!(x.blocked);
    assert_eq!((x.step, x.size), (2, dec!(1800)));
    match guard(x, GuardKind::QuickRatio) {
        GuardVerdict::Blocked {
            value,
            limit,
            reason,
        } => {
            // (100 − 1,800) / 1,800
            assert_eq!(*value, Some(dec!(-0.944444)));
            assert_eq!(*limit, Some(dec!(1.4)));
            assert!(reason.contains("below the 1.4 floor"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let inputs = &x.guards[0].inputs;
    assert_eq!(
        inputs.iter().map(|l| &*l.name).collect::<Vec<_>>(),
        ["spx", "vix"]
    );
    assert_eq!(inputs[1].value, Some(LeafValue::Num(82.69)));

    // Cash $2,500, a win of $0: (2,500 − H − 1,000) ≥ 1.4 × 1,000 caps the
    // front layer's $150 at $100.
    let s = with_cash("$2,500", "3");
    let (_, d) = decide(&s, &[trade("2020-03-13", dec!(0))], true);
    let x = &d[1];
    assert!(!x.blocked);
    match guard(x, GuardKind::QuickRatio) {
        GuardVerdict::Capped { from, to, .. } => assert_eq!((*from, *to), (dec!(150), dec!(100))),
        other => panic!("{other:?}"),
    }
    assert_eq!(x.hedges[0].budget, dec!(100));
    assert_eq!(x.hedges[0].capped_from, Some(dec!(150)));

    // Under 0.5 sigma the strikes (0.84 sigma away) are not reached: no
    // stressed loss, (2,500 − 150) / 1,000 = 2.35.
    let s = with_cash("$2,500", "0.5");
    let (_, d) = decide(&s, &[trade("2020-03-13", dec!(0))], true);
    match guard(&d[1], GuardKind::QuickRatio) {
        GuardVerdict::Pass { value, .. } => assert_eq!(*value, Some(dec!(2.35))),
        other => panic!("{other:?}"),
    }
    // No SPX after 2025-08-15: unknown.
    let (_, d) = decide(&s, &[trade("2026-01-09", dec!(0))], true);
    assert_eq!(
        guard(&d[1], GuardKind::QuickRatio),
        &GuardVerdict::Unknown {
            reason: "no spx or vix value on 2026-01-09 for the stress".into()
        }
    );
}

#[test]
fn the_exposure_guard_blocks_a_condor_that_does_not_fit() {
    let s = strategy(&with_guards(
        "spx-mastery.vxs",
        "guards {\n    exposure <= $1,500\n}",
    ));
    let (_, d) = decide(&s, &[trade("2024-01-19", dec!(-900))], false);
    assert!(matches!(
        guard(&d[0], GuardKind::Exposure),
        GuardVerdict::Pass { .. }
    ));
    assert!(d[1].blocked);
    assert_eq!(d[1].size, dec!(1800));
    assert_eq!(
        guard(&d[1], GuardKind::Exposure),
        &GuardVerdict::Blocked {
            value: Some(dec!(1800)),
            limit: Some(dec!(1500)),
            reason: "open risk $0 plus this condor's $1,800 makes $1,800, above the $1,500 limit"
                .into()
        }
    );
}

#[test]
fn a_hedge_decision_records_its_trigger_values() {
    let s = strategy(&file("spx-mastery.vxs"));
    let (_, d) = decide(&s, &[trade("2018-02-05", dec!(-900))], true);
    let front = &d[1].hedges[0];
    assert_eq!(front.trigger, Trigger::Fired);
    let names: Vec<&str> = front.trigger_values.iter().map(|l| &*l.name).collect();
    assert_eq!(
        names,
        [
            "macd(vix, 12, 26, 9)",
            "macd_signal(vix, 12, 26, 9)",
            "rsi(vix, 14)"
        ]
    );
    let (m, _) = market();
    let vix = m.get("vix").expect("vix").close().to_vec();
    let rsi = vixshield::signals::rsi(&vix, 14).expect("rsi");
    let bar = m.index_of(date("2018-02-05")).expect("a bar");
    assert_eq!(
        front.trigger_values[2].value,
        rsi[bar].map(LeafValue::Num),
        "the value the trigger read"
    );
    assert!(
        d[1].derivation()
            .iter()
            .any(|l| l.contains("trigger fired (") && l.contains("rsi(vix, 14) = 91.0375")),
        "{:#?}",
        d[1].derivation()
    );
    // A layer without trigger has no values.
    assert!(d[1].hedges[1].trigger_values.is_empty());
}

/// Without market data (`--no-market`) the engine keeps the event calendar
/// (`Engine::with_calendar`): the blackout is what it is with the market,
/// decision by decision (blocked, pass, unknown past the calendar), since
/// its window counts from the trade's date and needs no bar; the guards
/// reading the market stay unknown. Before this the blackout was `unknown`
/// (`no market data`) on every decision without a market.
#[test]
fn without_a_market_the_blackout_reads_the_calendar_alone() {
    let s = strategy(&file("spx-mastery.vxs"));
    let trades = [
        trade("2020-04-28", dec!(-900)),
        trade("2020-03-20", dec!(500)),
        trade("2021-02-09", dec!(450)),
        trade("2002-07-19", dec!(300)),
        trade("2024-02-11", dec!(100)),
        trade("2026-07-10", dec!(450)),
        trade("2026-12-08", dec!(100)),
    ];
    let (c, with) = decide(&s, &trades, true);
    let (_, cal) = market();
    let mut engine = eval::Engine::new(&s, &c, None).with_calendar(Some(cal));
    let mut without = vec![engine.decide(None).expect("decides")];
    for t in &trades {
        engine.apply(t).expect("applies");
        without.push(engine.decide(None).expect("decides"));
    }
    assert_eq!(
        guard(&without[0], GuardKind::Blackout),
        &GuardVerdict::Unknown {
            reason: "no trade yet: the decision has no date to count the window from".into()
        }
    );
    for (w, m) in without.iter().zip(&with).skip(1) {
        assert_eq!(
            guard(w, GuardKind::Blackout),
            guard(m, GuardKind::Blackout),
            "{:?}",
            w.date
        );
        assert_eq!(w.blocked, m.blocked, "{:?}", w.date);
        assert_eq!(
            guard(w, GuardKind::QuickRatio),
            &GuardVerdict::Unknown {
                reason: "no market data".into()
            }
        );
    }
    let outcomes: Vec<&str> = without[1..]
        .iter()
        .map(|d| match guard(d, GuardKind::Blackout) {
            GuardVerdict::Blocked { .. } => "blocked",
            GuardVerdict::Pass { .. } => "pass",
            _ => "unknown",
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "blocked", "pass", "blocked", "unknown", "pass", "unknown", "blocked"
        ]
    );
}
