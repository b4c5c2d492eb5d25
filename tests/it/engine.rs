//! The sizing engine on hand-made journals: the semantics docs/engine.md states.

use chrono::NaiveDate;
use rust_decimal::{Decimal, dec};
use vixshield::check::{self, Env};
use vixshield::compile::{Compiled, compile};
use vixshield::decision::Event;
use vixshield::eval::{self, ClosedTrade};
use vixshield::model::Strategy;
use vixshield::source::SourceFile;

fn strategy(name: &str) -> Strategy {
    let path = format!("{}/strategies/{name}", env!("CARGO_MANIFEST_DIR"));
    let src = SourceFile::from_bytes(path.clone(), &std::fs::read(&path).unwrap_or_default());
    check::check_source(&src, &Env::default())
        .strategy
        .expect("the strategy checks")
}

/// `text` checked (it must pass) and compiled.
fn checked(name: &str, text: impl Into<String>) -> (Strategy, Compiled) {
    let s = check::check_source(&SourceFile::new(name, text.into()), &Env::default())
        .strategy
        .expect("the strategy checks");
    let c = compile(&s, &[]).expect("compiles");
    (s, c)
}

fn trades(pnls: &[Decimal]) -> Vec<ClosedTrade> {
    let start = NaiveDate::from_ymd_opt(2024, 1, 5).unwrap_or_default();
    pnls.iter()
        .enumerate()
        .map(|(i, p)| ClosedTrade {
            date: start + chrono::Days::new(7 * i as u64),
            pnl: *p,
            credit: None,
            hedge_pnl: None,
        })
        .collect()
}

#[test]
fn the_canonical_progression() {
    // docs/engine.md: after -900, -1,500, -2,000, -3,100 and a win: 1,000, 1,800, 2,900, 4,600, 1,000 (stopped out), 1,000.
    let s = strategy("spx-mastery.vxs");
    let c = compile(&s, &[]).expect("compiles");
    let d = eval::run(
        &s,
        &c,
        None,
        &trades(&[dec!(-900), dec!(-1500), dec!(-2000), dec!(-3100), dec!(250)]),
    )
    .expect("runs");
    let sizes: Vec<Decimal> = d.iter().map(|d| d.size).collect();
    assert_eq!(
        sizes,
        vec![
            dec!(1000),
            dec!(1800),
            dec!(2900),
            dec!(4600),
            dec!(1000),
            dec!(1000)
        ]
    );
    let steps: Vec<u32> = d.iter().map(|d| d.step).collect();
    assert_eq!(steps, vec![1, 2, 3, 4, 1, 1]);
    assert_eq!(d[4].event, Event::StoppedOut);
    assert_eq!(d[4].cycle_result, Some(dec!(-7500)));
    assert_eq!(d[4].equity, dec!(92500));
    assert_eq!(d[3].max_loss_pct, dec!(0.65));
    assert_eq!(
        d[2].derivation()[1],
        "step 3: $1,800 × 1.6 = $2,880 → nearest $100 = $2,900 (cap $10,000 not binding); max loss 65% of credit (from step 3)"
    );
}

#[test]
fn reset_on_recovery_holds_until_the_cycle_is_whole() {
    let s = strategy("conservative.vxs");
    let c = compile(&s, &[]).expect("compiles");
    // base 1,000; loss → 1,600; small win (cycle -900) → held at 1,600; win of 1,000 → cycle +100 → step 1.
    let d = eval::run(&s, &c, None, &trades(&[dec!(-1000), dec!(100), dec!(1000)])).expect("runs");
    let got: Vec<(u32, Decimal, Event)> = d.iter().map(|d| (d.step, d.size, d.event)).collect();
    assert_eq!(
        got,
        vec![
            (1, dec!(1000), Event::Start),
            (2, dec!(1600), Event::Loss),
            (2, dec!(1600), Event::Held),
            (1, dec!(1000), Event::Win),
        ]
    );
}

#[test]
fn a_binding_cap_is_named_in_the_derivation() {
    let path = format!("{}/strategies/spx-mastery.vxs", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("layer_cap = 10% of capital", "layer_cap = 3% of capital");
    let (s, c) = checked("capped.vxs", text);
    let d = eval::run(
        &s,
        &c,
        None,
        &trades(&[dec!(-900), dec!(-1500), dec!(-2000)]),
    )
    .expect("runs");
    assert!(d[3].capped);
    assert_eq!(d[3].size, dec!(3000));
    assert_eq!(
        d[3].derivation()[1],
        "step 4: $2,900 × 1.6 = $4,640 → nearest $100 = $4,600 → capped at $3,000; max loss 65% of credit (from step 3)"
    );
}

#[test]
fn a_held_size_is_clamped_again_when_a_cap_of_equity_falls() {
    // The auditor's case: base $2,000, 2x, reset on recovery, cap 8% of
    // equity. A loss of $1,800 caps step 2 at $3,800 (8% of $48,200 =
    // $3,856, down to $100). A $100 win with a $20,000 hedge loss holds
    // step 2 with equity at $28,300, whose cap is $2,264 → $2,200.
    let path = format!("{}/strategies/conservative.vxs", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("capital = $100,000", "capital = $50,000");
    let sizing = text
        .find("sizing {")
        .and_then(|a| text[a..].find('}').map(|b| a..a + b + 1))
        .expect("conservative.vxs has a sizing block");
    let text = format!(
        "{}sizing {{\n    base = $2,000\n    steps = 4\n    multiplier = 2x\n    reset = on recovery\n    round = nearest $100\n    layer_cap = 8% of equity\n    max_loss = 90% of credit\n}}{}",
        &text[..sizing.start],
        &text[sizing.end..]
    );
    let (s, c) = checked("held.vxs", text);
    let mut t = trades(&[dec!(-1800), dec!(100)]);
    t[1].hedge_pnl = Some(dec!(-20000));
    let d = eval::run(&s, &c, None, &t).expect("runs");
    let got: Vec<(u32, Decimal, bool, Event)> = d
        .iter()
        .map(|d| (d.step, d.size, d.capped, d.event))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, dec!(2000), false, Event::Start),
            (2, dec!(3800), true, Event::Loss),
            (2, dec!(2200), true, Event::Held),
        ]
    );
    assert_eq!(d[2].equity, dec!(28300));
    assert!(
        d[2].derivation()[1].starts_with(
            "step 2: held at $3,800 until the cycle recovers (cycle P&L -$1,700) \
             → capped at 8% of equity $28,300 = $2,264 → down $100 = $2,200;"
        ),
        "{}",
        d[2].derivation()[1]
    );
}

/// A strategy of the spreadsheet audit: `base $1,000`, `1.6x`, a front layer
/// active from step 2 only, so a hedge profit at step 1 has no layer to go to.
const CARRY: &str = r#"strategy "Carry" {
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
    wing_width = 25pt
}
sizing {
    base = $1,000
    steps = 3
    multiplier = 1.6x
    round = nearest $100
    max_loss = 90% of credit
}
hedge front {
    instrument = vix_calls
    dte = 14d..30d
    allocation = 15% of size
    active = from step 2
}
roll {
    coefficient = 0.55
}
"#;

/// [`CARRY`] with a layer cap.
fn carry_with_cap(cap: &str) -> String {
    CARRY.replace(
        "    round = nearest $100\n",
        &format!("    round = nearest $100\n    layer_cap = {cap}\n"),
    )
}

#[test]
fn a_carried_roll_is_said_apart_from_the_profit_it_adds_to() {
    // $100 × 0.55 = $55, carried (no layer at step 1); then $200 × 0.55 =
    // $110, plus the $55 carried, $165, carried again; then a loss with no
    // hedge profit: $0 × 0.55 = $0, plus $165 carried, into the front layer.
    // The derivation said `$200 × 0.55 = $165` and `$0 × 0.55 = $165`.
    let (s, c) = checked("carry.vxs", CARRY);
    let mut t = trades(&[dec!(100), dec!(100), dec!(-100)]);
    t[0].hedge_pnl = Some(dec!(100));
    t[1].hedge_pnl = Some(dec!(200));
    let d = eval::run(&s, &c, None, &t).expect("runs");
    let roll = |i: usize| {
        d[i].derivation()
            .into_iter()
            .find(|l| l.starts_with("roll:"))
            .unwrap_or_default()
    };
    assert_eq!(
        roll(1),
        "roll: hedge profit $100 × 0.55 = $55 → carried (no active layer)"
    );
    assert_eq!(
        roll(2),
        "roll: hedge profit $200 × 0.55 = $110 + carried $55 = $165 → carried (no active layer)"
    );
    assert_eq!(
        roll(3),
        "roll: hedge profit $0 × 0.55 = $0 + carried $165 = $165 → hedge front"
    );
    assert_eq!(d[3].hedges[0].budget, dec!(405));
}

#[test]
fn a_size_about_to_be_rounded_is_shown_to_its_last_digit() {
    // 0.1% of equity, down to $100: after a $2 loss, 0.1% of $99,998 is
    // $99.998, which rounds down to $0. To the cent it read `base 0.1% of
    // equity = $100 → down $100 = $0`.
    let text = CARRY
        .replace(
            "    capital = $100,000\n",
            "    capital = $100,000\n    percent_of = equity\n",
        )
        .replace("base = $1,000", "base = 0.1%")
        .replace("steps = 3", "steps = 2")
        .replace("multiplier = 1.6x", "multiplier = 2x")
        .replace("round = nearest $100", "round = down $100");
    let (s, c) = checked("tiny.vxs", text);
    let d = eval::run(&s, &c, None, &trades(&[dec!(-1), dec!(-1)])).expect("runs");
    assert_eq!(d[2].size, dec!(0));
    assert!(
        d[2].derivation()[1]
            .starts_with("step 1: base 0.1% of equity = $99.998 → down $100 = $0 (no cap);"),
        "{}",
        d[2].derivation()[1]
    );
    // Whole cents are shown as before.
    assert!(
        d[0].derivation()[0].starts_with("step 1: base 0.1% of equity = $100 → down $100 = $100"),
        "{}",
        d[0].derivation()[0]
    );
}

#[test]
fn a_cap_of_equity_shows_how_it_came_about() {
    // 2% of equity, down to $100: after a $2,246 loss the cap is 2% of
    // $97,754 = $1,955.08, down to $1,900, above step 2's $1,600; after a
    // second loss it binds on step 3's $2,600. It read `(cap $1,900 not
    // binding)` and `capped at $1,900`, which a spreadsheet could not check
    // without the equity (found by the spreadsheet audit).
    let text = carry_with_cap("2% of equity");
    let (s, c) = checked("cap.vxs", text);
    let d = eval::run(&s, &c, None, &trades(&[dec!(-2246), dec!(-1500)])).expect("runs");
    let step = |i: usize| d[i].derivation()[1].clone();
    assert!(
        step(1).starts_with(
            "step 2: $1,000 × 1.6 = $1,600 → nearest $100 = $1,600 \
             (cap 2% of equity $97,754 = $1,955.08 → down $100 = $1,900 not binding);"
        ),
        "{}",
        step(1)
    );
    assert_eq!(d[2].size, dec!(1900));
    assert!(
        step(2).starts_with(
            "step 3: $1,600 × 1.6 = $2,560 → nearest $100 = $2,600 \
             → capped at 2% of equity $96,254 = $1,925.08 → down $100 = $1,900;"
        ),
        "{}",
        step(2)
    );
    // A cap of capital that is a round figure reads as before.
    let text = carry_with_cap("10% of capital");
    let (s, c) = checked("cap.vxs", text);
    let d = eval::run(&s, &c, None, &trades(&[dec!(-900)])).expect("runs");
    assert!(
        d[1].derivation()[1].contains("(cap $10,000 not binding)"),
        "{}",
        d[1].derivation()[1]
    );
}

#[test]
fn a_cap_of_equity_below_zero_says_it_counts_as_zero() {
    // A loss past the capital leaves equity at -$1,000; 2% of it is
    // taken as of $0 (docs/engine.md: an equity at or below zero counts as $0).
    // It read `capped at 2% of equity -$1,000 = $0`, which is -$20.
    let text = carry_with_cap("2% of equity");
    let (s, c) = checked("cap.vxs", text);
    let d = eval::run(&s, &c, None, &trades(&[dec!(-101000)])).expect("runs");
    assert_eq!(d[1].size, dec!(0));
    assert!(
        d[1].derivation()[1].contains("→ capped at 2% of equity -$1,000 (counts as $0) = $0;"),
        "{}",
        d[1].derivation()[1]
    );
}

#[test]
fn a_held_size_capped_by_a_cap_of_equity_shows_how() {
    // Reset on recovery: step 3's $2,600 is capped at 2% of $96,254 down to
    // $1,900; a $100 win whose hedge lost $5,000 holds that size while the
    // equity falls to $91,354, whose 2% is $1,827.08, down to $1,800. The
    // held size read `capped at $1,800`, without the arithmetic a size of
    // the ladder shows (`a_cap_of_equity_shows_how_it_came_about`).
    let text = CARRY
        .replace(
            "    round = nearest $100\n",
            "    round = nearest $100\n    layer_cap = 2% of equity\n    reset = on recovery\n",
        )
        .replace("    steps = 3\n", "    steps = 4\n");
    let (s, c) = checked("held.vxs", text);
    let mut t = trades(&[dec!(-2246), dec!(-1500), dec!(100)]);
    t[2].hedge_pnl = Some(dec!(-5000));
    let d = eval::run(&s, &c, None, &t).expect("runs");
    assert_eq!(d[3].size, dec!(1800));
    assert!(
        d[3].derivation()[1].starts_with(
            "step 3: held at $1,900 until the cycle recovers (cycle P&L -$3,646) \
             → capped at 2% of equity $91,354 = $1,827.08 → down $100 = $1,800;"
        ),
        "{}",
        d[3].derivation()[1]
    );
}

/// A coefficient the clamp changed says what it was: `× 0.65 (clamped
/// from 0.8)`; it read `× 0.65 (clamped)` (found by the spreadsheet audit).
/// JSON keeps `clamped: true`.
#[test]
fn a_clamped_roll_coefficient_says_what_it_was() {
    let text = CARRY.replace(
        "    coefficient = 0.55\n",
        "    coefficient = 0.8\n    clamp = 0.45..0.65\n",
    );
    let (s, c) = checked("clamp.vxs", text);
    let d = eval::run(&s, &c, None, &trades(&[dec!(-100)])).expect("runs");
    let roll = d[1]
        .derivation()
        .into_iter()
        .find(|l| l.starts_with("roll:"))
        .expect("a roll line");
    assert_eq!(roll, "roll: hedge profit $0 × 0.65 (clamped from 0.8) = $0");
    let json = serde_json::to_value(&d[1]).expect("json");
    assert_eq!(json["roll"]["clamped"], true, "{json}");
    assert_eq!(json["roll"]["coefficient"], "0.65", "{json}");
}

#[test]
fn a_roll_rounded_down_past_half_a_cent_says_so() {
    // $101.01 × 0.55 is $55.5555: the roll keeps $55.55 (down to the cent),
    // which to the cent read `$101.01 × 0.55 = $55.55` against a product
    // that rounds to $55.56. $333.33 × 0.55 = $183.3315 reads as it did.
    let (s, c) = checked("carry.vxs", CARRY);
    let mut t = trades(&[dec!(-100), dec!(-100)]);
    t[0].hedge_pnl = Some(dec!(101.01));
    t[1].hedge_pnl = Some(dec!(333.33));
    let d = eval::run(&s, &c, None, &t).expect("runs");
    let roll = |i: usize| {
        d[i].derivation()
            .into_iter()
            .find(|l| l.starts_with("roll:"))
            .unwrap_or_default()
    };
    assert_eq!(
        roll(1),
        "roll: hedge profit $101.01 × 0.55 = $55.5555, down to the cent $55.55 → hedge front"
    );
    assert_eq!(
        roll(2),
        "roll: hedge profit $333.33 × 0.55 = $183.33 → hedge front"
    );
    assert_eq!(d[1].roll.as_ref().map(|r| r.amount), Some(dec!(55.55)));
}
