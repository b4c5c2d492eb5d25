//! Monte Carlo: determinism (same seed, any thread count: identical output;
//! another seed: different), convergence to the exact losing-run odds, and
//! the `risk` command line.

use crate::common;
use rust_decimal::Decimal;
use std::process::Output;
use vixshield::check::{Env, check_source};
use vixshield::compile::{Compiled, compile};
use vixshield::model::Strategy;
use vixshield::risk::exact::losing_run;
use vixshield::risk::monte_carlo::{self, Config, Sample};
use vixshield::source::SourceFile;

fn vixshield(args: &[&str], threads: Option<&str>) -> Output {
    let mut c = common::command_in(common::root(), args);
    if let Some(t) = threads {
        c.env("RAYON_NUM_THREADS", t);
    }
    c.output().expect("the binary runs")
}

fn strategy(path: &str) -> (Strategy, Compiled) {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("the strategy exists");
    let s = check_source(&SourceFile::new(path, text), &Env::default())
        .strategy
        .expect("the strategy checks");
    let c = compile(&s, &[]).expect("it compiles");
    (s, c)
}

/// Three wins of half the risk, one loss of the whole risk: q = 1/4 exactly.
fn iid() -> Vec<Sample> {
    let win = Sample {
        condor: Decimal::new(5, 1),
        hedge: Decimal::ZERO,
    };
    let loss = Sample {
        condor: Decimal::NEGATIVE_ONE,
        hedge: Decimal::ZERO,
    };
    vec![win, win, win, loss]
}

/// Runs `vixshield` (default threads), expects exit 0, and parses its JSON.
fn json_ok(args: &[&str]) -> serde_json::Value {
    let out = vixshield(args, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

/// The stationary bootstrap's mean block length, measured. With two samples,
/// a loss and a win, a path goes on to the other sample (the next one,
/// wrapping) with probability 1 − 1/L and draws anew (either, evenly) with
/// 1/L, so it repeats the last sample with probability 1/(2L): a two-state
/// Markov chain whose odds of 3 losses in a row among 30 trades are exact
/// (`markov_run_odds` in scripts/ref_monte_carlo.py, a dynamic programme in
/// fractions). A block length off by one trade (renewing with 1/(L + 1))
/// would put L = 7 at 0.0504, six standard errors off.
#[test]
fn the_mean_block_length_is_l() {
    let (s, c) = strategy("strategies/spx-mastery.vxs");
    let samples = vec![
        Sample {
            condor: Decimal::new(-5, 1),
            hedge: Decimal::ZERO,
        },
        Sample {
            condor: Decimal::new(3, 1),
            hedge: Decimal::ZERO,
        },
    ];
    let exact = [
        (1, 0.9078455418348312),
        (2, 0.5115424652097176),
        (3, 0.28688200310633094),
        (7, 0.06477478848246694),
    ];
    for (block, p) in exact {
        let cfg = Config {
            paths: 10_000,
            trades: 30,
            seed: 9,
            ruin_level: 0.5,
            run: 3,
            block,
        };
        let got = monte_carlo::run(&s, &c, &samples, &cfg, &|| {})
            .expect("runs")
            .p_losing_run;
        let se = (p * (1.0 - p) / cfg.paths as f64).sqrt();
        assert!(
            ((got - p) / se).abs() < 4.0,
            "L = {block}: {got} against the exact {p}, {:.1} standard errors",
            (got - p) / se
        );
    }
}

/// The final-equity percentiles in JSON are rounded to the cent as money is
/// everywhere (half away from zero, as the table prints them): two paths
/// ending at $100,000.01 and $100,000.04 have a median of $100,000.025.
#[test]
fn final_equity_percentiles_round_half_away_from_zero() {
    let path = |cents: i64| monte_carlo::PathStats {
        final_equity: Decimal::new(cents, 2),
        max_drawdown: 0.0,
        ruined: false,
        longest_losing_run: 0,
        stopped_cycles: 0,
        trades: 1,
    };
    let cfg = Config {
        paths: 2,
        trades: 1,
        seed: 0,
        ruin_level: 0.5,
        run: 4,
        block: 1,
    };
    let samples = [
        monte_carlo::Sample {
            condor: Decimal::new(30, 2),
            hedge: Decimal::ZERO,
        },
        monte_carlo::Sample {
            condor: Decimal::new(-90, 2),
            hedge: Decimal::new(5, 2),
        },
    ];
    let summary = monte_carlo::summarize(&[path(10_000_001), path(10_000_004)], &samples, &cfg);
    assert_eq!(summary.samples, 2);
    // The worst trade a path can draw: condor and hedges together.
    assert_eq!(summary.worst_return, Some(Decimal::new(-85, 2)));
    assert_eq!(summary.final_equity.p50, Decimal::new(100_000_025, 3));
    let json = serde_json::to_value(&summary).expect("serializes");
    // Linear interpolation at (n − 1) × q: 100,000.01 + q × 0.03.
    let want = [
        ("p5", "100000.01"),  // 100,000.0115
        ("p25", "100000.02"), // 100,000.0175
        ("p50", "100000.03"), // 100,000.025
        ("p75", "100000.03"), // 100,000.0325
        ("p95", "100000.04"), // 100,000.0385
    ];
    for (k, v) in want {
        assert_eq!(json["final_equity"][k], v, "{k}");
    }
}

#[test]
fn same_seed_same_paths_whatever_the_threads() {
    let (s, c) = strategy("strategies/spx-mastery.vxs");
    let samples = iid();
    let cfg = Config {
        paths: 300,
        trades: 60,
        seed: 42,
        ruin_level: 0.5,
        run: 4,
        block: 1,
    };
    let one = in_pool(1, || {
        monte_carlo::simulate_paths(&s, &c, &samples, &cfg, &|| {})
    })
    .expect("runs");
    let two = in_pool(2, || {
        monte_carlo::simulate_paths(&s, &c, &samples, &cfg, &|| {})
    })
    .expect("runs");
    let four = in_pool(4, || {
        monte_carlo::simulate_paths(&s, &c, &samples, &cfg, &|| {})
    })
    .expect("runs");
    assert_eq!(one, two);
    assert_eq!(one, four);
    let other = monte_carlo::simulate_paths(&s, &c, &samples, &Config { seed: 43, ..cfg }, &|| {})
        .expect("runs");
    assert_ne!(one, other, "another seed gives other paths");
    // A path depends on its index only: path 17 alone equals path 17 of the batch.
    let alone = monte_carlo::simulate_path(&s, &c, &samples, &cfg, 17).expect("runs");
    assert_eq!(Some(&alone), one.get(17));
}

#[test]
fn losing_run_frequency_converges_to_the_exact_odds() {
    // i.i.d. trades losing with q = 1/4: the share of paths with 4 losses in a row
    // among 40 trades must sit within a few standard errors of the exact value.
    let (s, c) = strategy("strategies/spx-mastery.vxs");
    let cfg = Config {
        paths: 4000,
        trades: 40,
        seed: 2024,
        ruin_level: 0.5,
        run: 4,
        block: 1,
    };
    let summary = monte_carlo::run(&s, &c, &iid(), &cfg, &|| {}).expect("runs");
    let exact = losing_run(0.25, 4, 40).expect("valid").p_losing_run;
    let se = (exact * (1.0 - exact) / cfg.paths as f64).sqrt();
    let z = (summary.p_losing_run - exact) / se;
    assert!(
        z.abs() < 4.0,
        "Monte Carlo {} vs exact {exact}: {z:.2} standard errors",
        summary.p_losing_run
    );
    // Stopped cycles: with reset on win, the engine stops a cycle out whenever its
    // step-4 trade leaves the cycle negative, which here is every time step 4 is
    // reached (a step-4 win of half its size never repays steps 1-3), so the
    // engine's count is the expected count of 3 losses in a row that start a cycle
    // and are followed by any trade: at least the exact K-loss count.
    let k_loss = vixshield::risk::exact::expected_stopped_cycles(0.25, 4, 40).expect("valid");
    assert!(summary.mean_stopped_cycles >= k_loss * 0.9);
}

#[test]
fn the_engine_sizes_the_resampled_returns() {
    // Every trade a loss: the ladder climbs 1,000 → 1,800 → 2,900 → 4,600 and
    // resets; 8 trades lose two full cycles: 2 × 10,300.
    let (s, c) = strategy("strategies/spx-mastery.vxs");
    let loss = vec![Sample {
        condor: Decimal::NEGATIVE_ONE,
        hedge: Decimal::ZERO,
    }];
    let cfg = Config {
        paths: 1,
        trades: 8,
        seed: 1,
        ruin_level: 0.5,
        run: 4,
        block: 1,
    };
    let p = monte_carlo::simulate_path(&s, &c, &loss, &cfg, 0).expect("runs");
    assert_eq!(p.final_equity, Decimal::from(100_000 - 2 * 10_300));
    assert_eq!(p.stopped_cycles, 2);
    assert_eq!(p.longest_losing_run, 8);
    assert!((p.max_drawdown - 0.206).abs() < 1e-12);
}

/// A one-trade history whose outcome is known: the backtest's 2001-02-05
/// condor lost $677.45 of its $1,000, a return of −0.67745. Every draw is that
/// trade; the ladder loses 677.45, 0.67745 × 1,800 = 1,219.41 and
/// 0.67745 × 2,900 = 1,964.605, to the cent half away from zero (as money is
/// rounded everywhere) 1,964.61: $3,861.47 in all.
#[test]
fn a_one_trade_history_gives_the_ladder_by_hand() {
    let (s, c) = strategy("strategies/spx-mastery.vxs");
    let loss = vec![Sample {
        condor: Decimal::new(-67745, 2) / Decimal::from(1000),
        hedge: Decimal::ZERO,
    }];
    let cfg = Config {
        paths: 1,
        trades: 3,
        seed: 1,
        ruin_level: 0.5,
        run: 3,
        block: 1,
    };
    let p = monte_carlo::simulate_path(&s, &c, &loss, &cfg, 0).expect("runs");
    assert_eq!(p.final_equity, Decimal::new(9_613_853, 2));
    assert_eq!((p.longest_losing_run, p.stopped_cycles), (3, 0));
    assert!(
        (p.max_drawdown - 0.0386147).abs() < 1e-12,
        "{}",
        p.max_drawdown
    );
}

/// Blocks replay stretches of the backtest in order: the one losing streak of
/// the samples survives them, and independent draws break it up.
#[test]
fn blocks_keep_losing_streaks_that_independent_draws_break_up() {
    let (s, c) = strategy("strategies/spx-mastery.vxs");
    let loss = Sample {
        condor: Decimal::new(-5, 1),
        hedge: Decimal::ZERO,
    };
    let win = Sample {
        condor: Decimal::new(3, 1),
        hedge: Decimal::ZERO,
    };
    // Four losses in a row, then 36 wins: q = 0.1.
    let samples: Vec<Sample> = std::iter::repeat_n(loss, 4)
        .chain(std::iter::repeat_n(win, 36))
        .collect();
    let cfg = Config {
        paths: 2000,
        // One lap of the 40 samples from any start, plus 3: the streak is
        // always whole in a path that never jumps.
        trades: 43,
        seed: 11,
        ruin_level: 0.5,
        run: 4,
        block: u32::MAX,
    };
    let blocks = monte_carlo::run(&s, &c, &samples, &cfg, &|| {}).expect("runs");
    assert_eq!(blocks.block, u32::MAX);
    assert_eq!(blocks.p_losing_run, 1.0);
    let independent =
        monte_carlo::run(&s, &c, &samples, &Config { block: 1, ..cfg }, &|| {}).expect("runs");
    let exact = losing_run(0.1, 4, 43).expect("valid").p_losing_run;
    assert!(exact < 0.005);
    assert!(
        independent.p_losing_run < 0.02,
        "{}",
        independent.p_losing_run
    );
    // Mean blocks of 7: in between, and still far above independent draws.
    let seven =
        monte_carlo::run(&s, &c, &samples, &Config { block: 7, ..cfg }, &|| {}).expect("runs");
    assert!(
        seven.p_losing_run > 0.2 && seven.p_losing_run < 1.0,
        "{}",
        seven.p_losing_run
    );
    assert_eq!(monte_carlo::auto_block(390), 7);
    assert_eq!(monte_carlo::auto_block(1), 1);
    assert_eq!(monte_carlo::auto_block(0), 1);
}

/// The backtest's own losing streaks, beside the odds for independent
/// trades; `--block` chooses the draws.
#[test]
fn risk_reports_what_the_backtest_did_and_blocks_by_default() {
    let args = [
        "risk",
        "strategies/spx-mastery.vxs",
        "--paths",
        "200",
        "--seed",
        "3",
        "--format",
        "json",
    ];
    let v = json_ok(&args);
    let n = v["trades"].as_u64().expect("trades");
    let want = (n as f64).cbrt().round();
    assert_eq!(v["monte_carlo"]["block"].as_f64(), Some(want));
    let obs = &v["observed"];
    let stopped = obs["stopped_cycles"].as_u64().expect("observed");
    let expected = v["expected_stopped_cycles"].as_f64().expect("expected");
    assert!(stopped as f64 > expected, "{stopped} vs {expected}");
    assert!(obs["longest_losing_run"].as_u64() >= Some(4));
    let p = obs["p_at_least_if_independent"].as_f64().expect("p");
    assert_eq!(p, vixshield::risk::poisson_tail(expected, stopped));

    let mut independent = args.to_vec();
    independent.extend(["--block", "1"]);
    let one = json_ok(&independent);
    assert_eq!(one["monte_carlo"]["block"], 1);
    let median_dd = |v: &serde_json::Value| v["monte_carlo"]["max_drawdown"]["p50"].as_f64();
    assert!(median_dd(&v) > median_dd(&one), "blocks keep the drawdowns");
    // The backtest's own path, to hold the percentiles against.
    assert_eq!(v["backtest"]["trades"].as_u64(), Some(n));
    let own = v["backtest"]["max_drawdown"].as_f64().expect("drawdown");
    assert!(own > 0.0 && own < 1.0);
    // Where it stands among the simulated drawdowns: further out when the
    // draws break its losing streaks up.
    let rank = |v: &serde_json::Value| {
        v["backtest"]["drawdown_percentile"]
            .as_f64()
            .expect("a rank")
    };
    assert!(rank(&v) > 0.0 && rank(&v) <= 1.0);
    assert!(rank(&one) > rank(&v), "{} vs {}", rank(&one), rank(&v));

    // No path draws a trade worse than the backtest's worst, condor and
    // hedges on its size, which the JSON and the table give.
    let dir = tempfile::tempdir().expect("tempdir");
    let trades = dir.path().join("trades.json");
    let out = vixshield(
        &[
            "backtest",
            "strategies/spx-mastery.vxs",
            "--trades",
            trades.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&trades).expect("trades")).expect("JSON");
    let dec =
        |v: &serde_json::Value| -> Decimal { v.as_str().expect("text").parse().expect("dec") };
    let worst = rows
        .iter()
        .map(|t| (dec(&t["pnl"]) + dec(&t["hedge_pnl"])) / dec(&t["size"]))
        .min()
        .expect("trades");
    assert_eq!(dec(&v["monte_carlo"]["worst_return"]), worst);
    assert!(
        worst < Decimal::NEGATIVE_ONE,
        "a loss past the size: {worst}"
    );

    // The table says it in words.
    let table = vixshield(&args[..6], None);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!(
            "no path draws a trade worse than the backtest's worst, {}× its size",
            worst.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        )),
        "{text}"
    );
    assert!(text.contains("observed runs of 4 losses"), "{text}");
    assert!(text.contains("in blocks of 7 on average"), "{text}");
    assert!(text.contains("the backtest itself"), "{text}");
    // The note on clustering comes exactly when the observed runs would be
    // a 1-in-100 event for independent trades.
    let plain = vixshield(&["risk", "strategies/spx-mastery.vxs", "--backtest"], None);
    let text = String::from_utf8_lossy(&plain.stdout);
    let p = json_ok(&[
        "risk",
        "strategies/spx-mastery.vxs",
        "--backtest",
        "--format",
        "json",
    ])["observed"]["p_at_least_if_independent"]
        .as_f64()
        .expect("p");
    assert_eq!(
        text.contains("note: the backtest's losses cluster"),
        p < 0.01,
        "p = {p}: {text}"
    );
    // Sixty weekly trades losing in three blocks of four (spx-mastery's
    // ladder has four steps): q = 0.2, and three runs of four are a
    // 1-in-10,000 event for independent trades.
    let dir = tempfile::tempdir().expect("a temp dir");
    let journal = dir.path().join("clustered.csv");
    let mut csv = String::from("date,pnl,credit\n");
    let start = chrono::NaiveDate::from_ymd_opt(2022, 1, 7).expect("a date");
    for i in 0..60_u64 {
        let date = start + chrono::Days::new(7 * i);
        let loss = [10, 30, 50].iter().any(|&b| (b..b + 4).contains(&i));
        csv.push_str(&format!("{date},{},600\n", if loss { -500 } else { 300 }));
    }
    std::fs::write(&journal, csv).expect("written");
    let journal = journal.to_str().expect("utf-8");
    let clustered = json_ok(&[
        "risk",
        "strategies/spx-mastery.vxs",
        "--journal",
        journal,
        "--format",
        "json",
    ]);
    assert_eq!(clustered["observed"]["stopped_cycles"], 3);
    assert!(clustered["observed"]["p_at_least_if_independent"].as_f64() < Some(0.01));
    let table = vixshield(
        &["risk", "strategies/spx-mastery.vxs", "--journal", journal],
        None,
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("note: the journal's losses cluster"),
        "{text}"
    );

    // Given q or N, there is nothing observed to compare.
    let g = json_ok(&[
        "risk",
        "strategies/spx-mastery.vxs",
        "--backtest",
        "--trades",
        "100",
        "--format",
        "json",
    ]);
    assert_eq!(g["observed"], serde_json::Value::Null);
    assert_eq!(
        g["backtest"]["drawdown_percentile"],
        serde_json::Value::Null
    );
}

#[test]
fn no_observed_run_says_no_probability() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // No run of four: the count and the longest run, without the P(≥ 0) = 1
    // that says nothing.
    let calm = dir.path().join("calm.csv");
    std::fs::write(
        &calm,
        "date,pnl,credit\n2024-01-05,300,600\n2024-01-12,-500,600\n2024-01-19,-500,600\n2024-01-26,300,600\n",
    )
    .expect("written");
    let calm = calm.to_str().expect("utf-8");
    let table = vixshield(
        &["risk", "strategies/spx-mastery.vxs", "--journal", calm],
        None,
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("observed runs of 4 losses   0 in the journal, longest losing run 2\n"),
        "{text}"
    );
    assert!(!text.contains("P(≥ 0)"), "{text}");
}

#[test]
fn binary_output_is_identical_for_one_and_two_threads() {
    let args = [
        "risk",
        "strategies/spx-mastery.vxs",
        "--paths",
        "300",
        "--trades",
        "100",
        "--seed",
        "7",
        "--from",
        "2015-01-01",
        "--to",
        "2019-12-31",
        "--format",
        "json",
    ];
    let one = vixshield(&args, Some("1"));
    let two = vixshield(&args, Some("2"));
    assert_eq!(
        one.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    assert_eq!(one.stdout, two.stdout, "RAYON_NUM_THREADS=1 and 2 agree");
    let mut other_args = args.to_vec();
    other_args[7] = "8";
    let other = vixshield(&other_args, Some("2"));
    assert_ne!(one.stdout, other.stdout, "another seed differs");
    let v: serde_json::Value = serde_json::from_slice(&one.stdout).expect("json");
    let mc = &v["monte_carlo"];
    assert_eq!(mc["paths"], 300);
    assert_eq!(mc["trades"], 100);
    for k in ["p5", "p25", "p50", "p75", "p95"] {
        assert!(mc["final_equity"][k].is_string(), "{k}");
        assert!(mc["max_drawdown"][k].is_number(), "{k}");
    }
    let e = |k: &str| {
        mc["final_equity"][k]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    assert!(e("p5") <= e("p50") && e("p50") <= e("p95"));
    assert!(v["p_losing_run"].as_f64().is_some());
    assert_eq!(v["loss_rate_source"], "backtest");
    assert!(
        one.stderr.iter().all(|&c| c != b'\r'),
        "no progress bar when stderr is not a terminal"
    );
}

#[test]
fn risk_from_the_command_line() {
    let out = vixshield(
        &[
            "risk",
            "--loss-rate",
            "0.25",
            "--trades",
            "100",
            "--run",
            "4",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let want = losing_run(0.25, 4, 100).expect("valid").p_losing_run;
    assert_eq!(v["p_losing_run"].as_f64(), Some(want));
    assert_eq!(v["ladder"], serde_json::Value::Null);
    // Every key is there, `null` when it does not apply (`journal` was
    // left out where `backtest` was `null`).
    for key in [
        "observed",
        "measured",
        "kelly",
        "monte_carlo",
        "backtest",
        "journal",
        "pace",
    ] {
        assert!(
            v.get(key).is_some_and(serde_json::Value::is_null),
            "{key}: {v}"
        );
    }
    // With the strategy: K is its step limit, and the ladder and Kelly appear.
    let out = vixshield(
        &[
            "risk",
            "strategies/spx-mastery.vxs",
            "--loss-rate",
            "25%",
            "--trades",
            "100",
            "--avg-win",
            "0.5",
            "--avg-loss",
            "1",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["run"], 4);
    assert_eq!(v["p_losing_run"].as_f64(), Some(want));
    assert_eq!(v["ladder"]["worst_cycle_loss"], "10300");
    assert_eq!(v["ladder"]["deepest_step_size"], "4600");
    let kelly = v["kelly"]["fraction"].as_f64().unwrap_or(f64::NAN);
    assert!((kelly - 0.25).abs() < 1e-12, "f* = 0.75 − 0.25/0.5 = 0.25");
    assert_eq!(v["kelly"]["deepest_step_exceeds"], false);
    // The table's Kelly line for these averages; it says the share it
    // compares, as the ladder's row gives it.
    let kelly_line = |win: &str, loss: &str| {
        let out = vixshield(
            &[
                "risk",
                "strategies/spx-mastery.vxs",
                "--loss-rate",
                "25%",
                "--trades",
                "100",
                "--avg-win",
                win,
                "--avg-loss",
                loss,
            ],
            None,
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .find(|l| l.starts_with("Kelly fraction"))
            .unwrap_or_else(|| panic!("{text}"))
            .to_string()
    };
    // A thin edge: f* = 0.75 − 0.25/0.34 ≈ 0.015 < the deepest step's 4.6%.
    let thin = kelly_line("$340", "$1,000");
    assert!(
        thin.ends_with(" — the deepest step, 4.6% of capital, EXCEEDS it"),
        "{thin}"
    );
    assert_eq!(
        kelly_line("0.5", "1"),
        "Kelly fraction              f* = p − q/b = 25.00% — the deepest step, 4.6% of capital, is below it"
    );
}

#[test]
fn risk_from_a_journal() {
    let out = vixshield(
        &[
            "risk",
            "strategies/spx-mastery.vxs",
            "--journal",
            "tests/fixtures/journals/progression.csv",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["loss_rate_source"], "journal");
    let m = &v["measured"];
    let (n, l) = (
        m["trades"].as_u64().unwrap_or(0),
        m["losses"].as_u64().unwrap_or(0),
    );
    assert!(n > 0);
    assert_eq!(v["trades"].as_u64(), Some(n));
    assert!((v["loss_rate"].as_f64().unwrap_or(f64::NAN) - l as f64 / n as f64).abs() < 1e-15);
    assert_eq!(m["on_risk"], true, "sizes come from the strategy's engine");
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[&[&str]] = &[
        &["risk", "--loss-rate", "1.5", "--trades", "10", "--run", "3"],
        &[
            "risk",
            "--loss-rate",
            "-0.1",
            "--trades",
            "10",
            "--run",
            "3",
        ],
        &["risk", "--loss-rate", "abc", "--trades", "10", "--run", "3"],
        &["risk", "--loss-rate", "0.2", "--trades", "-1", "--run", "3"],
        &["risk", "--loss-rate", "0.2", "--trades", "10", "--run", "0"],
        &[
            "risk",
            "strategies/spx-mastery.vxs",
            "--paths",
            "10",
            "--block",
            "0",
        ],
        &[
            "risk",
            "strategies/spx-mastery.vxs",
            "--paths",
            "10",
            "--block",
            "seven",
        ],
        &["risk", "--loss-rate", "0.2", "--trades", "10"],
        &["risk", "--loss-rate", "0.2", "--run", "3"],
        &["risk", "--trades", "10", "--run", "3"],
        &[
            "risk",
            "--loss-rate",
            "0.2",
            "--trades",
            "10",
            "--run",
            "3",
            "--paths",
            "10",
        ],
        &[
            "risk",
            "--loss-rate",
            "0.2",
            "--trades",
            "10",
            "--run",
            "3",
            "--avg-win",
            "1",
        ],
        &[
            "risk",
            "--loss-rate",
            "0.2",
            "--trades",
            "10",
            "--run",
            "3",
            "--avg-win",
            "1",
            "--avg-loss",
            "0",
        ],
        &[
            "risk",
            "strategies/spx-mastery.vxs",
            "--paths",
            "10",
            "--ruin-level",
            "150%",
        ],
    ];
    for args in cases {
        let out = vixshield(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// A negative value after a flag is that flag's value, and `risk` says what
/// is wrong with it. Clap read `--loss-rate -0.1` as an unknown flag `-0`
/// ("unexpected argument '-0' found"), and so `--avg-loss -1`, `--seed -1`,
/// `--block -1` and `--ruin-level -0.5`, though `--trades -1` was already
/// the command's own error.
#[test]
fn negative_values_are_the_flags_values() {
    let base = ["--loss-rate", "0.2", "--trades", "10", "--run", "3"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut a = vec!["risk"];
        a.extend_from_slice(extra);
        a
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            with(&["--loss-rate", "-0.1", "--trades", "10", "--run", "3"]),
            "`-0.1` is not a probability",
        ),
        (
            [with(&base), vec!["--avg-win", "1", "--avg-loss", "-1"]].concat(),
            "`--avg-loss -1`: give a positive amount",
        ),
        (
            [with(&base), vec!["--avg-win", "-1", "--avg-loss", "1"]].concat(),
            "`--avg-win -1`: give a positive amount",
        ),
        (
            with(&[
                "strategies/spx-mastery.vxs",
                "--paths",
                "10",
                "--seed",
                "-1",
            ]),
            "invalid value '-1' for '--seed",
        ),
        (
            with(&[
                "strategies/spx-mastery.vxs",
                "--paths",
                "10",
                "--block",
                "-1",
            ]),
            "`-1` is not a whole number or `auto`",
        ),
        (
            with(&[
                "strategies/spx-mastery.vxs",
                "--paths",
                "10",
                "--ruin-level",
                "-0.5",
            ]),
            "`--ruin-level`: `-0.5`",
        ),
        // A value that is no plain number (a percentage, money) is the
        // flag's value too: clap took `-5%` for an unknown flag `-5`.
        (
            with(&["--loss-rate", "-5%", "--trades", "10", "--run", "3"]),
            "`--loss-rate`: `-5%` is not a probability",
        ),
        (
            with(&[
                "strategies/spx-mastery.vxs",
                "--paths",
                "10",
                "--ruin-level",
                "-5%",
            ]),
            "`--ruin-level`: `-5%`",
        ),
        (
            [
                with(&base),
                vec!["--avg-win", "-$1,200", "--avg-loss", "$900"],
            ]
            .concat(),
            "`--avg-win -$1,200`: give a positive amount",
        ),
        (
            vec![
                "next",
                "strategies/spx-mastery.vxs",
                "--journal",
                "tests/fixtures/journals/progression.csv",
                "--credit",
                "-$1,500",
            ],
            "`--credit`: `-$1,500` is not a credit",
        ),
        (
            vec![
                "backtest",
                "strategies/spx-mastery.vxs",
                "--put-skew",
                "-5%",
            ],
            "invalid value '-5%' for '--put-skew",
        ),
        (
            vec!["backtest", "strategies/spx-mastery.vxs", "--worst", "-1"],
            "invalid value '-1' for '--worst",
        ),
    ];
    for (args, want) in cases {
        let out = vixshield(&args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// Path and simulated-trade counts are bounded before anything is
/// allocated or backtested: with or without `--trades`, at the cap, past
/// `usize`. Before the fix these aborted allocating tens of GB or panicked
/// with "capacity overflow".
#[test]
fn huge_monte_carlo_counts_are_usage_errors_before_any_work() {
    let s = "strategies/spx-mastery.vxs";
    let cases: &[(&[&str], &str)] = &[
        (&["--paths", "1000000000"], "at most 1000000 paths"),
        (&["--paths", "100000000"], "at most 1000000 paths"),
        (
            &["--paths", "10000000000", "--trades", "1"],
            "at most 1000000 paths",
        ),
        (
            &["--paths", "18446744073709551615", "--trades", "0"],
            "at most 1000000 paths",
        ),
        (
            &["--paths", "1000000", "--trades", "10001"],
            "`--paths 1000000 --trades 10001`: 10001000000 simulated trades; at most 10000000000",
        ),
    ];
    for (extra, want) in cases {
        let mut args = vec!["risk", s];
        args.extend_from_slice(extra);
        let started = std::time::Instant::now();
        let out = vixshield(&args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{args:?}: refused before the backtest"
        );
    }
    // At the caps exactly, the counts are accepted (a tiny run: one path).
    let v = json_ok(&[
        "risk", s, "--paths", "1", "--trades", "3", "--format", "json",
    ]);
    assert_eq!(v["monte_carlo"]["paths"], 1);
}

/// Kelly's averages share a unit: dollars against a return on risk is a
/// usage error, not b = 1333 and f* = 74.98% with exit 0.
#[test]
fn kelly_averages_in_mixed_units_are_a_usage_error() {
    let base = [
        "risk",
        "--loss-rate",
        "0.25",
        "--trades",
        "100",
        "--run",
        "4",
    ];
    for (win, loss, first, second) in [
        ("$1,200", "0.9", "is money", "is a return on risk"),
        ("0.35", "$900", "is a return on risk", "is money"),
    ] {
        let mut args = base.to_vec();
        args.extend(["--avg-win", win, "--avg-loss", loss]);
        let out = vixshield(&args, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "`--avg-win {win}` {first} but `--avg-loss {loss}` {second}"
            )),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    // One unit either way is fine: the same b from dollars as from returns.
    for (win, loss) in [("$450", "$900"), ("0.5", "1")] {
        let mut args = base.to_vec();
        args.extend(["--avg-win", win, "--avg-loss", loss, "--format", "json"]);
        let v = json_ok(&args);
        assert_eq!(v["kelly"]["payoff_ratio"].as_f64(), Some(0.5), "{args:?}");
    }
}

/// `risk` checks, compiles and replays strategies whose signals call
/// plugins (spx-theta calls `wilder_rsi` and `theta_decay`).
#[test]
fn risk_runs_strategies_with_plugin_signals() {
    for source in [
        &["--backtest"][..],
        &["--journal", "tests/fixtures/journals/progression.csv"][..],
    ] {
        let mut args = vec!["risk", "strategies/spx-theta.vxs", "--format", "json"];
        args.extend(source);
        let v = json_ok(&args);
        let (q, n) = (
            v["loss_rate"].as_f64().expect("q"),
            v["trades"].as_u64().expect("n"),
        );
        let want = losing_run(q, 4, n).expect("valid").p_losing_run;
        assert_eq!(v["p_losing_run"].as_f64(), Some(want), "{args:?}");
    }
}

#[test]
fn monte_carlo_shares_say_their_error_and_what_ruin_is() {
    let line = |args: &[&str], label: &str| {
        let out = vixshield(args, None);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no `{label}` in {text}"))
    };
    let mut args = vec![
        "risk",
        "strategies/spx-mastery.vxs",
        "--paths",
        "20000",
        "--seed",
        "10",
        "--trades",
        "200",
    ];
    // Two paths in 20,000: not `0.00%`, and with its standard error.
    assert_eq!(line(&args, "P(drawdown ≥ 50%)"), "0.0100% ± 0.0071%");
    assert_eq!(line(&args, "P(drawdown ≥ 25%)"), "1.10% ± 0.07%");
    // What ruin is, with the level as given.
    args.extend(["--ruin-level", "0.875"]);
    assert_eq!(
        line(&args, "P(ruin)"),
        "5.21% ± 0.16%; ruin is equity ever below 87.5% of the initial capital (`--ruin-level`)"
    );
    // None of the paths: said so, with the 95% bound, not 0.
    args.truncate(8);
    args.extend(["--block", "1"]);
    assert_eq!(
        line(&args, "P(drawdown ≥ 50%)"),
        "0 of 20000 paths (under 0.015% at 95% confidence)"
    );
}

#[test]
fn kelly_averages_in_dollars_show_as_dollars() {
    let out = vixshield(
        &[
            "risk",
            "--loss-rate",
            "25%",
            "--trades",
            "100",
            "--run",
            "4",
            "--avg-win",
            "$340",
            "--avg-loss",
            "$1,000.5",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("avg win $340, avg loss $1,000.50, b = 0.3398\n"),
        "{text}"
    );
}

/// What N trades mean in time: the measured trades' pace (a backtest's over
/// the days it replayed, a journal's between its first and last close) and
/// N at that pace, in the JSON and in the table; nothing without measured
/// trades.
#[test]
fn the_pace_of_the_measured_trades_says_what_n_means_in_years() {
    let s = "strategies/spx-mastery.vxs";
    let range = ["--from", "2010-01-01", "--to", "2019-12-31"];
    let mut args = vec!["risk", s, "--backtest", "--format", "json"];
    args.extend(range);
    let v = json_ok(&args);
    let mut bt = vec!["backtest", s, "--format", "json"];
    bt.extend(range);
    let report = json_ok(&bt);
    let day = |k: &str| {
        chrono::NaiveDate::parse_from_str(report[k].as_str().expect("a date"), "%Y-%m-%d")
            .expect("a date")
    };
    let years = (day("end") - day("start")).num_days() as f64 / 365.25;
    let trades = report["trades"].as_f64().expect("trades");
    let pace = &v["pace"];
    assert_eq!(pace["from"], report["start"]);
    assert_eq!(pace["to"], report["end"]);
    let per_year = pace["trades_per_year"].as_f64().expect("a pace");
    assert!((per_year - trades / years).abs() < 1e-9, "{pace}");
    let for_n = pace["years_for_trades"].as_f64().expect("years");
    assert!(
        (for_n - years).abs() < 1e-9,
        "N is the measured trades: {pace}"
    );
    // A given N at the same pace.
    args.extend(["--trades", "1000"]);
    let given = json_ok(&args);
    let for_n = given["pace"]["years_for_trades"].as_f64().expect("years");
    assert!((for_n - 1000.0 / per_year).abs() < 1e-9, "{given}");
    let mut table = vec!["risk", s, "--backtest"];
    table.extend(range);
    let text = String::from_utf8_lossy(&vixshield(&table, None).stdout).into_owned();
    let want = format!(
        "trades N                    {trades} (about {years:.1} years at the backtest's pace, {per_year:.1} a year)\n"
    );
    assert!(text.contains(&want), "{want}{text}");

    // A journal of 13 weekly closes: 12 intervals over 84 days.
    let dir = tempfile::tempdir().expect("a temp dir");
    let journal = dir.path().join("weekly.csv");
    let mut csv = String::from("date,pnl,credit\n");
    let start = chrono::NaiveDate::from_ymd_opt(2023, 1, 6).expect("a date");
    for i in 0..13_u64 {
        let date = start + chrono::Days::new(7 * i);
        csv.push_str(&format!(
            "{date},{},600\n",
            if i % 4 == 3 { -500 } else { 300 }
        ));
    }
    std::fs::write(&journal, csv).expect("written");
    let journal = journal.to_str().expect("utf-8");
    let v = json_ok(&["risk", s, "--journal", journal, "--format", "json"]);
    assert_eq!(v["pace"]["from"], "2023-01-06");
    assert_eq!(v["pace"]["to"], "2023-03-31");
    let per_year = v["pace"]["trades_per_year"].as_f64().expect("a pace");
    assert!((per_year - 12.0 / (84.0 / 365.25)).abs() < 1e-9, "{v}");
    let text = String::from_utf8_lossy(&vixshield(&["risk", s, "--journal", journal], None).stdout)
        .into_owned();
    assert!(
        text.contains(
            "trades N                    13 (about 3 months at the journal's pace, 52.2 a year)\n"
        ),
        "{text}"
    );
    // q given on the command line: the pace is still the journal's.
    let text = String::from_utf8_lossy(
        &vixshield(
            &["risk", s, "--journal", journal, "--loss-rate", "0.2"],
            None,
        )
        .stdout,
    )
    .into_owned();
    assert!(
        text.contains(
            "trades N                    13 (about 3 months at the journal's pace, 52.2 a year)\n"
        ),
        "{text}"
    );

    // Given q and N only: no pace.
    let v = json_ok(&[
        "risk",
        "--loss-rate",
        "0.2",
        "--trades",
        "100",
        "--run",
        "4",
        "--format",
        "json",
    ]);
    assert!(v["pace"].is_null(), "{v}");
}

/// `risk --backtest`'s `backtest` object gives the lowest equity, its day
/// and the day of ruin as the backtest's report does (its `journal` object
/// gives all three; the backtest's left `lowest_equity_on` out).
#[test]
fn risk_gives_the_backtests_lowest_equity_and_its_day_as_the_report_does() {
    let range = ["--from", "2018-01-01", "--to", "2018-12-31"];
    let mut args = vec![
        "risk",
        "strategies/spx-mastery.vxs",
        "--backtest",
        "--paths",
        "10",
        "--format",
        "json",
    ];
    args.extend(range);
    let risk = json_ok(&args);
    let mut args = vec!["backtest", "strategies/spx-mastery.vxs", "--format", "json"];
    args.extend(range);
    let report = json_ok(&args);
    assert!(report["lowest_equity_on"].is_string(), "{report}");
    for key in ["lowest_equity", "lowest_equity_on", "ruined_on"] {
        assert_eq!(risk["backtest"][key], report[key], "{key}: {risk}");
    }
}

/// `risk --backtest` sets the backtest's worst cycle beside the ladder's
/// planned worst: it gave the plan alone ($10,300 for spx-mastery) while
/// the backtest's 2017–18 cycle lost $15,720.25, through stops passed on a
/// gap. The cycle is the report's deepest, whatever the range.
#[test]
fn risk_sets_the_backtests_worst_cycle_beside_the_plan() {
    for range in [&[][..], &["--from", "2019-01-01", "--to", "2019-12-31"][..]] {
        let mut args = vec![
            "risk",
            "strategies/spx-mastery.vxs",
            "--backtest",
            "--format",
            "json",
        ];
        args.extend(range);
        let risk = json_ok(&args);
        let mut args = vec!["backtest", "strategies/spx-mastery.vxs", "--format", "json"];
        args.extend(range);
        let report = json_ok(&args);
        let got = &risk["ladder"]["observed_worst_cycle"];
        let want = &report["worst_cycles"][0];
        for key in ["start", "end", "trades"] {
            assert_eq!(got[key], want[key], "{key}: {got} against {want}");
        }
        assert_eq!(got["max_step"], want["max_step"], "{got}");
        let money = |v: &serde_json::Value| {
            v.as_str()
                .and_then(|s| s.parse::<rust_decimal::Decimal>().ok())
                .unwrap_or_else(|| panic!("money: {v}"))
        };
        let loss = money(&got["loss"]);
        assert_eq!(loss, -money(&want["trough"]), "{got}");
        let plan = money(&risk["ladder"]["worst_cycle_loss"]);
        assert_eq!(got["beyond_plan"], loss > plan, "{got}");
        let mut args = vec!["risk", "strategies/spx-mastery.vxs", "--backtest"];
        args.extend(range);
        let table = vixshield(&args, None);
        let table = String::from_utf8_lossy(&table.stdout);
        let line = table
            .lines()
            .find(|l| l.starts_with("worst cycle in the backtest "))
            .unwrap_or_else(|| panic!("{table}"));
        assert_eq!(
            line.contains("over the planned worst"),
            loss > plan,
            "{line}"
        );
        if range.is_empty() {
            // docs/risk.md's example: the whole history passes the plan.
            assert!(loss > plan, "{got}");
            assert!(
                line.contains(&format!(
                    "{} .. {}",
                    want["start"].as_str().unwrap_or("?"),
                    want["end"].as_str().unwrap_or("?")
                )),
                "{line}"
            );
        } else {
            assert!(loss > rust_decimal::Decimal::ZERO && loss <= plan, "{got}");
        }
    }
}

/// `risk --journal` with a strategy finds the journal's cycles through the
/// engine and gives the deepest: a stop-out at step 4 that lost $11,400
/// against the plan's $10,300 is past the plan by $1,100; a journal of
/// wins has no cycle below $0; without a strategy there are no cycles.
#[test]
fn risk_sets_the_journals_worst_cycle_beside_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let past = dir.path().join("past.csv");
    // A win, four losses (the engine's steps 1–4, a stop-out), a win, a
    // loss won back.
    std::fs::write(
        &past,
        "date,pnl\n2024-01-05,300\n2024-02-02,-1000\n2024-03-01,-1700\n\
         2024-04-05,-2900\n2024-05-03,-5800\n2024-06-07,400\n2024-07-05,-200\n\
         2024-08-02,350\n",
    )
    .unwrap();
    let wins = dir.path().join("wins.csv");
    std::fs::write(&wins, "date,pnl\n2024-01-05,300\n2024-02-02,400\n").unwrap();
    let json = |journal: &std::path::Path, strategy: bool| {
        let j = journal.display().to_string();
        let mut args = vec!["risk", "--journal", &j, "--format", "json"];
        if strategy {
            args.insert(1, "strategies/spx-mastery.vxs");
        } else {
            args.extend(["--run", "4"]);
        }
        json_ok(&args)
    };
    let got = &json(&past, true)["ladder"]["observed_worst_cycle"];
    assert_eq!(got["start"], "2024-02-02", "{got}");
    assert_eq!(got["end"], "2024-05-03", "{got}");
    assert_eq!(got["trades"], 4, "{got}");
    assert_eq!(got["max_step"], 4, "{got}");
    assert_eq!(got["loss"], "11400", "{got}");
    assert_eq!(got["beyond_plan"], true, "{got}");
    let p = past.display().to_string();
    let table = vixshield(
        &["risk", "strategies/spx-mastery.vxs", "--journal", &p],
        None,
    );
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.lines().any(|l| l
            == "worst cycle in the journal  $11,400 (11.4% of capital), 2024-02-02 .. 2024-05-03, \
                4 trades, deepest step 4; $1,100 over the planned worst: a loss went past its stop"),
        "{table}"
    );

    let got = &json(&wins, true)["ladder"]["observed_worst_cycle"];
    assert_eq!(got["loss"], "0", "{got}");
    assert_eq!(got["beyond_plan"], false, "{got}");
    let w = wins.display().to_string();
    let table = vixshield(
        &["risk", "strategies/spx-mastery.vxs", "--journal", &w],
        None,
    );
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table
            .lines()
            .any(|l| l == "worst cycle in the journal  none went below $0"),
        "{table}"
    );

    // No strategy, no engine, no ladder.
    assert!(json(&past, false)["ladder"].is_null());
}

/// A cycle that lost more than the plan's worst (sized at the capital) but
/// less than its own trades' sizes, each loss within its max loss: its
/// steps were sized of an equity that had doubled, and no stop was passed
/// (`run` says none was), so `risk` must not say one was.
#[test]
fn a_worst_cycle_sized_above_the_plan_passed_no_stop() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("strategies/spx-mastery.vxs").unwrap();
    assert!(
        text.contains("base = 1% of capital"),
        "the strategy changed"
    );
    let strategy = dir.path().join("equity.vxs");
    std::fs::write(
        &strategy,
        text.replace("base = 1% of capital", "base = 1% of equity"),
    )
    .unwrap();
    // A win that doubles the equity, then four losses at the engine's
    // steps (sizes $2,000, $3,600, $5,800, $9,300), each its max loss:
    // 90% of a credit of the size at steps 1..2, 65% from step 3.
    let journal = dir.path().join("journal.csv");
    std::fs::write(
        &journal,
        "date,pnl,credit\n2024-01-05,100000,1500\n2024-02-05,-1800,2000\n\
         2024-03-05,-3240,3600\n2024-04-05,-3770,5800\n2024-05-06,-6045,9300\n",
    )
    .unwrap();
    let (s, j) = (
        strategy.display().to_string(),
        journal.display().to_string(),
    );
    let run = vixshield(&["run", &s, "--journal", &j], None);
    assert_eq!(run.status.code(), Some(0), "{}", text_of(&run.stderr));
    assert!(
        !text_of(&run.stderr).contains("lost more than the max loss"),
        "{}",
        text_of(&run.stderr)
    );
    let got = &json_ok(&["risk", &s, "--journal", &j, "--format", "json"])["ladder"];
    assert_eq!(got["worst_cycle_loss"], "10300", "{got}");
    assert_eq!(got["observed_worst_cycle"]["loss"], "14855", "{got}");
    assert_eq!(got["observed_worst_cycle"]["beyond_plan"], true, "{got}");
    let table = vixshield(&["risk", &s, "--journal", &j], None);
    let table = text_of(&table.stdout);
    assert!(
        table.lines().any(|l| l
            == "worst cycle in the journal  $14,855 (14.86% of capital), 2024-02-05 .. 2024-05-06, \
                4 trades, deepest step 4; $4,555 over the planned worst: its trades were sized \
                above the plan's steps ($20,700 in all, more than it lost)"),
        "{table}"
    );
    assert!(!table.contains("past its stop"), "{table}");
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
