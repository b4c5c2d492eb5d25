//! Values at the edges of what they mean: day counts too long for the
//! calendar (a panic in the backtest once), `--from` after `--to` (a usage
//! error in every command), a range with no market data in a sweep (said
//! once), and a quick ratio floor so high that its arithmetic overflowed
//! (which made the guard `unknown` and let every entry through).

use crate::common::{text, vixshield};
use rust_decimal::Decimal;
use std::str::FromStr;
use vixshield::backtest::{self, Backtest, BacktestError, Config};
use vixshield::check::{Env, check_source};
use vixshield::eval::MarketValues;
use vixshield::market::{Calendar, Market};
use vixshield::model::Strategy;
use vixshield::source::SourceFile;

const S: &str = "strategies/spx-mastery.vxs";
const PARAMS: &str = "tests/fixtures/strategies/spx-mastery-params.vxs";

fn spx_mastery() -> Strategy {
    let text = std::fs::read_to_string(format!("{}/{S}", env!("CARGO_MANIFEST_DIR")))
        .expect("the strategy");
    check_source(&SourceFile::new(S, text), &Env::default())
        .strategy
        .expect("it checks")
}

/// `s` over 2020, as a library user who built it by hand would run it.
fn backtest_2020(s: &Strategy) -> Result<Backtest, BacktestError> {
    let c = vixshield::compile::compile(s, &[]).expect("it compiles");
    let (m, cal) = (
        Market::bundled().expect("market"),
        Calendar::bundled().expect("calendar"),
    );
    let values = MarketValues::compute(&c.graph, &m, &cal, None).expect("values");
    let config = Config {
        from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
        to: chrono::NaiveDate::from_ymd_opt(2020, 12, 31),
        ..Config::default()
    };
    backtest::run(s, &c, &m, &values, &config, |_, _| {})
}

/// A strategy the checker would refuse, built directly: the backtest's date
/// arithmetic is checked, so no day count panics.
#[test]
fn day_counts_past_the_calendar_do_not_panic_the_backtest() {
    let base = backtest_2020(&spx_mastery()).expect("it runs");
    assert!(
        base.trades.len() > 1,
        "spx-mastery trades several times in 2020"
    );

    // A wait that never ends: one condor, then no other.
    let mut s = spx_mastery();
    s.entry.reentry = u32::MAX;
    let bt = backtest_2020(&s).expect("it runs");
    assert_eq!(bt.trades.len(), 1);

    // A condor that would expire past the last date there is: never entered.
    let mut s = spx_mastery();
    s.entry.dte = u32::MAX;
    let bt = backtest_2020(&s).expect("it runs");
    assert!(bt.trades.is_empty());
    assert!(
        bt.skips
            .iter()
            .any(|k| k.reason.contains("would expire past")),
        "{:?}",
        bt.skips.first()
    );

    // A hedge layer that would: the entries that buy it are skipped, with
    // the layer named.
    for dte in [100_000_000, u32::MAX] {
        let mut s = spx_mastery();
        for h in &mut s.hedges {
            h.dte = (dte, dte);
        }
        let bt = backtest_2020(&s).expect("it runs");
        assert!(
            bt.skips
                .iter()
                .any(|k| k.reason.contains("hedge `front`") && k.reason.contains("expire past")),
            "{dte}: {:?}",
            bt.skips.first()
        );
    }
}

/// The reproducers of the panics, through the CLI: `check` refuses them,
/// and so does every command that would have backtested them.
#[test]
fn day_counts_past_ten_years_are_errors_in_every_command() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bounds-day-counts");
    std::fs::create_dir_all(&dir).expect("a folder");
    let src = std::fs::read_to_string(format!("{}/{S}", env!("CARGO_MANIFEST_DIR")))
        .expect("the strategy");
    let hedge = src.replace("dte = 14d..30d", "dte = 100000000d..100000000d");
    let reentry = src.replace(
        "    dte = 45d\n",
        "    dte = 45d\n    reentry = 100000000d\n",
    );
    assert_ne!(hedge, src);
    assert_ne!(reentry, src);
    for (name, body, at, setting) in [
        (
            "hedge.vxs",
            &hedge,
            ":48:11",
            "`dte` must be from 1d to 3650d",
        ),
        (
            "reentry.vxs",
            &reentry,
            ":23:15",
            "`reentry` must be from 0d to 3650d",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("written");
        let p = path.to_str().expect("a UTF-8 path");
        for args in [
            vec!["check", p],
            vec!["backtest", p],
            vec!["risk", p, "--paths", "10"],
            vec!["diff", S, p, "--backtest"],
        ] {
            let out = vixshield(&args);
            let err = text(&out.stderr);
            // `diff` says trouble (2) when a side does not check.
            let code = if args[0] == "diff" { 2 } else { 1 };
            assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            assert!(err.contains("error[E0108]"), "{args:?}: {err}");
            assert!(err.contains(setting), "{args:?}: {err}");
            assert!(err.contains(&format!("{name}{at}")), "{args:?}: {err}");
        }
    }
}

/// `--from` after `--to` is a usage error (exit 2) in every command that
/// takes them, said before any work, with nothing on stdout.
#[test]
fn reversed_date_ranges_are_usage_errors_everywhere() {
    let range = ["--from", "2024-01-01", "--to", "2023-01-01"];
    for mut args in [
        vec!["signal", "vix"],
        vec!["backtest", S],
        vec!["risk", S, "--backtest"],
        vec!["risk", S, "--paths", "10"],
        vec![
            "risk",
            "--loss-rate",
            "0.25",
            "--trades",
            "100",
            "--run",
            "4",
        ],
        vec!["sweep", PARAMS, "--set", "mult=1.1x..2.0x:0.01x"],
        vec![
            "sweep",
            PARAMS,
            "--set",
            "mult=1.1x..1.3x:0.1x",
            "--walk-forward",
            "5y/1y",
        ],
    ] {
        args.extend(range);
        let out = vixshield(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim_end(),
            "error: `--from 2024-01-01` is after `--to 2023-01-01`",
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // One day is a range.
    let out = vixshield(&[
        "signal",
        "vix",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-02",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A range with no market data: `backtest` says so (exit 1), and `sweep`
/// says the same once, before running any variant (it ran all 91 and
/// printed a `failed` warning for each).
#[test]
fn a_sweep_over_no_market_data_says_so_once() {
    let backtest = vixshield(&["backtest", S, "--from", "2030-01-01"]);
    assert_eq!(backtest.status.code(), Some(1));
    let said = text(&backtest.stderr);
    assert!(said.contains("no market data"), "{said}");
    for extra in [&[][..], &["--walk-forward", "5y/1y"][..]] {
        let mut args = vec![
            "sweep",
            PARAMS,
            "--set",
            "mult=1.1x..2.0x:0.01x",
            "--from",
            "2030-01-01",
        ];
        args.extend(extra);
        let out = vixshield(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err, said, "{args:?}: the backtest's message, once");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A floor so high that `floor × margin` overflows a decimal is above any
/// liquidity a decimal holds: the guard blocks, as a floor of 10^22 does,
/// instead of giving up (`unknown`, which lets the entry go ahead).
#[test]
fn a_quick_ratio_floor_past_any_decimal_blocks() {
    use vixshield::guards::{GuardOutcome, OpenCondor, QuickInputs, Stress, quick_ratio_guard};
    let d = |s: &str| Decimal::from_str(s).expect("a decimal");
    let condor = OpenCondor {
        short_put: d("4000"),
        short_call: d("6000"),
        wing_width: d("50"),
        contracts: 1,
        credit: d("100"),
        max_loss: d("1000"),
    };
    let stress = Stress {
        spx: d("5000"),
        vix: d("20"),
        sigmas: d("3"),
        dte_days: 45,
    };
    let cash = QuickInputs::new(d("100000"));
    for floor in [
        "1.4",
        "10000000000000000000000",
        "100000000000000000000000000",
    ] {
        let outcome = quick_ratio_guard(&cash, &[condor], &stress, d(floor), d("150"));
        match (floor, outcome) {
            ("1.4", Ok(GuardOutcome::Pass { .. })) => {}
            ("1.4", other) => panic!("a floor of 1.4 holds: {other:?}"),
            (_, Ok(GuardOutcome::Blocked { .. })) => {}
            (_, other) => panic!("a floor of {floor} blocks: {other:?}"),
        }
    }
}

/// `short_delta = 0.16` is the range `0.16..0.16` (it was refused as "a
/// plain number"); one delta keeps the range's bounds and units.
#[test]
fn one_short_delta_is_its_own_range() {
    let path = "tests/fixtures/strategies/tasty-16-delta.vxs";
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("the strategy");
    assert!(
        text.contains("short_delta = 0.16..0.16"),
        "the fixture's range"
    );
    let checked = |delta: &str| {
        let t = text.replace(
            "short_delta = 0.16..0.16",
            &format!("short_delta = {delta}"),
        );
        check_source(&SourceFile::new(path, t), &Env::default())
    };
    let one = checked("0.16");
    assert!(one.diagnostics.is_empty(), "{:?}", one.diagnostics);
    let range = checked("0.16..0.16").strategy.expect("it checks");
    let d = Decimal::from_str("0.16").expect("a decimal");
    assert_eq!(one.strategy.expect("it checks").entry.short_delta, (d, d));
    assert_eq!(range.entry.short_delta, (d, d));
    for (bad, code) in [("1.2", "E0405"), ("0", "E0405"), ("16%", "E0301")] {
        let codes: Vec<&str> = checked(bad)
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, [code], "short_delta = {bad}");
    }
}

/// A capital at the largest decimal: the first day a condor gains, the
/// equity is past a decimal's range, an error naming the day (the backtest
/// panicked, `Addition overflowed`, in every command that runs one).
#[test]
fn an_equity_past_any_decimal_is_an_error_in_the_backtest() {
    let path = "strategies/conservative.vxs";
    let max = "$79,228,162,514,264,337,593,543,950,335";
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("the strategy")
        .replace("capital = $100,000", &format!("capital = {max}"))
        .replace("cash = $100,000", &format!("cash = {max}"))
        .replace("base = 1% of capital", "base = $100,000")
        .replace("    wacc_impact < 15bps\n", "")
        .replace("    quick_ratio >= 1.6 under 3 sigma\n", "");
    let s = check_source(&SourceFile::new(path, text), &Env::default())
        .strategy
        .expect("it checks");
    match backtest_2020(&s) {
        Err(e @ BacktestError::Overflow { .. }) => {
            let e = e.to_string();
            assert!(
                e.starts_with("on 2020-")
                    && e.ends_with("overflows the largest representable decimal"),
                "{e}"
            );
        }
        other => panic!("an overflow: {:?}", other.map(|b| b.trades.len())),
    }
}
