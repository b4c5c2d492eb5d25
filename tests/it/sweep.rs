//! Sweeps: param overrides in the checker, the `--set` grammar and its
//! errors, shards merged equal to the unsharded sweep, ranking by every metric
//! in its direction, failed variants, walk-forward.

use crate::common::vixshield;
use std::process::Output;
use vixshield::ast::Literal;
use vixshield::check::{Env, check_source_with};
use vixshield::source::SourceFile;
use vixshield::sweep::{self, Better, METRICS};

const FIXTURE: &str = "tests/fixtures/strategies/spx-mastery-params.vxs";

fn ok(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json on stdout")
}

fn fixture() -> SourceFile {
    let text = std::fs::read_to_string(format!("{}/{FIXTURE}", env!("CARGO_MANIFEST_DIR")))
        .expect("the fixture exists");
    SourceFile::new(FIXTURE, text)
}

#[test]
fn overrides_replace_param_defaults_before_checking() {
    let src = fixture();
    let env = Env::default();
    let d = rust_decimal::Decimal::new;
    let c = check_source_with(
        &src,
        &env,
        &[("mult".into(), Literal::Multiplier(d(20, 1)))],
    );
    let s = c.strategy.expect("checks");
    assert_eq!(s.sizing.multipliers, vec![d(18, 1), d(20, 1), d(20, 1)]);
    assert!(
        s.params
            .iter()
            .any(|p| p.name == "mult" && p.value == Literal::Multiplier(d(20, 1)))
    );
    // An unknown name: E0203 with a suggestion.
    let c = check_source_with(&src, &env, &[("mlt".into(), Literal::Multiplier(d(2, 0)))]);
    assert!(c.strategy.is_none());
    let e = c
        .diagnostics
        .iter()
        .find(|x| x.code.as_str() == "E0203")
        .expect("an unknown-name error");
    assert!(e.message.contains("mlt"), "{}", e.message);
    assert_eq!(e.help.as_deref(), Some("did you mean `mult`?"));
    // The wrong unit: E0301.
    let c = check_source_with(&src, &env, &[("mult".into(), Literal::Percent(d(2, 0)))]);
    assert!(c.strategy.is_none());
    assert!(c.diagnostics.iter().any(|x| x.code.as_str() == "E0301"));
    // A value the checker rejects, as for a literal written in the file: E0401.
    let c = check_source_with(&src, &env, &[("mult".into(), Literal::Multiplier(d(1, 0)))]);
    assert!(c.diagnostics.iter().any(|x| x.code.as_str() == "E0401"));
}

#[test]
fn the_fixture_defaults_are_spx_mastery() {
    // The params fixture at its defaults backtests exactly like the canonical file.
    let range = [
        "--from",
        "2016-01-01",
        "--to",
        "2018-12-31",
        "--format",
        "json",
    ];
    let mut a = vec!["backtest", "strategies/spx-mastery.vxs"];
    a.extend(range);
    let mut b = vec!["backtest", FIXTURE];
    b.extend(range);
    assert_eq!(ok(&vixshield(&a)), ok(&vixshield(&b)));
}

#[test]
fn bad_set_syntax_is_a_usage_error() {
    let cases: &[(&str, &str)] = &[
        ("mult", "expected NAME=FROM..TO:STEP"),
        ("=1.6x", "not a param name"),
        ("mult=1.6x..2.0x", "needs a step"),
        ("mult=1.6x:0.1x", "needs a range"),
        ("mult=1.6x..2.0x:0", "same unit"),
        ("mult=1.6x..2%:0.1x", "same unit"),
        ("mult=2.0x..1.6x:0.1x", "FROM is above TO"),
        ("mult=1.6x..2.0x:-0.1x", "step must be positive"),
        ("mult=1.6x..2.0x:0x", "step must be positive"),
        ("mult=abc..2x:1x", "not a number with a unit"),
        ("mult=1.6y..2x:1x", "not a value"),
        ("mult=", "a value is missing"),
        ("mult=0..1000000000:1", "at most"),
        // Spans and counts past Decimal's range (they panicked: "Subtraction
        // overflowed", "Division overflowed").
        ("mult=1x..1000x:0.0000000000000000000000000001x", "at most"),
        (
            "base=-79228162514264337593543950335..79228162514264337593543950335:0.5",
            "more than 1000000 values",
        ),
        // A step the values' 28 digits cannot hold: `v + step` rounded back
        // to `v`, and the range never ended (out of memory).
        (
            "mult=70000000000000000000000000000x..70000000000000000000000000001x:0.5x",
            "below the precision",
        ),
    ];
    // A span past Decimal's range with a step to match is a few values,
    // not "more than 1000000" (it said so), and the last value's step past
    // the largest Decimal ends the range (it said "values overflow").
    let max = "79228162514264337593543950335";
    let few = [
        (
            format!("mult=-1x..{max}x:39614081257132168796771975168x"),
            [
                "-1x".to_string(),
                "39614081257132168796771975167x".to_string(),
                format!("{max}x"),
            ],
        ),
        (
            format!("base=-{max}..{max}:{max}"),
            [format!("-{max}"), "0".to_string(), max.to_string()],
        ),
    ];
    for (spec, want) in few {
        let axis = sweep::parse_set(&spec).expect(&spec);
        let got: Vec<String> = axis.values.iter().map(sweep::literal_text).collect();
        assert_eq!(got, want, "{spec}");
    }
    for (spec, want) in cases {
        let err = sweep::parse_set(spec).expect_err(spec);
        assert!(err.contains(want), "{spec}: {err}");
        let out = vixshield(&["sweep", FIXTURE, "--set", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{spec}: {stderr}");
    }
    // Names and units against the strategy's params, before any backtest.
    let cases: &[(&[&str], &str)] = &[
        (&["--set", "mlt=1.6x..2x:0.2x"], "did you mean `mult`?"),
        (
            &["--set", "mult=1%..2%:1%"],
            "is a multiplier (1.6x), the values given are a percentage: write `--set mult=1x..2x:1x`",
        ),
        (
            &["--set", "mult=1.2..2.0:0.2"],
            "the values given are a plain number: write `--set mult=1.2x..2x:0.2x`",
        ),
        (
            &["--set", "take=30..75:5"],
            "is a percentage (50%), the values given are a plain number: write `--set take=30%..75%:5%`",
        ),
        (&["--set", "mult=1.6x", "--set", "mult=1.8x"], "given twice"),
        (
            &["--set", "mult=1.6x", "--rank", "cagrr"],
            "did you mean `cagr`?",
        ),
        (&["--set", "mult=1.6x", "--shard", "2/2"], "--shard 2/2"),
        (&["--set", "mult=1.6x", "--shard", "x"], "expected I/N"),
        (&["--set", "mult=1.6x", "--walk-forward", "5y"], "IN/OUT"),
        (&["--set", "mult=1.6x", "--walk-forward", "5w/1y"], "IN/OUT"),
    ];
    for (extra, want) in cases {
        let mut args = vec!["sweep", FIXTURE];
        args.extend_from_slice(extra);
        let out = vixshield(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{extra:?}: {stderr}");
    }
    // What the unit error says to write is taken.
    let mut args = vec!["sweep", FIXTURE, "--set", "mult=1.2x..2x:0.2x"];
    args.extend_from_slice(RANGE);
    let out = vixshield(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const RANGE: &[&str] = &["--from", "2016-01-01", "--to", "2018-12-31"];

fn sweep_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "sweep",
        FIXTURE,
        "--set",
        "mult=1.4x..2.0x:0.2x",
        "--set",
        "take=40%..60%:20%",
    ];
    a.extend_from_slice(RANGE);
    a.extend_from_slice(extra);
    a
}

#[test]
fn shards_merged_equal_the_unsharded_sweep() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let p = |n: &str| dir.path().join(n).display().to_string();
    let all = p("all.json");
    let v = ok(&vixshield(&sweep_args(&[
        "--out", &all, "--format", "json",
    ])));
    assert_eq!(v["variants"], 8);
    assert_eq!(v["results"].as_array().map(Vec::len), Some(8));
    let mut shards = Vec::new();
    for i in 0..3 {
        let f = p(&format!("shard{i}.json"));
        let shard = format!("{i}/3");
        let s = ok(&vixshield(&sweep_args(&[
            "--shard", &shard, "--out", &f, "--format", "json",
        ])));
        let idx: Vec<u64> = s["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["variant"].as_u64())
            .collect();
        assert!(idx.iter().all(|v| v % 3 == i), "round-robin: {idx:?}");
        shards.push(f);
    }
    let merged = p("merged.json");
    let mut args = vec!["sweep", "merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--out", &merged, "--format", "json"]);
    let out = vixshield(&args);
    ok(&out);
    let a = std::fs::read(&all).expect("all.json");
    let b = std::fs::read(&merged).expect("merged.json");
    assert_eq!(
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&b),
        "the merged ranking is byte-identical to the unsharded one"
    );
    assert_eq!(out.stdout, a, "stdout JSON is the same document");
    // A missing shard, or one given twice, is refused.
    let out = vixshield(&["sweep", "merge", &shards[0], &shards[1]]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
    let out = vixshield(&[
        "sweep", "merge", &shards[0], &shards[0], &shards[1], &shards[2],
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("twice"));

    // Ranking by every metric, through `merge --rank` (no new backtests).
    for (metric, better) in METRICS {
        let v = ok(&vixshield(&[
            "sweep", "merge", &all, "--rank", metric, "--format", "json",
        ]));
        assert_eq!(v["rank"]["metric"], *metric);
        let rows = v["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), 8);
        let vals: Vec<Option<f64>> = rows
            .iter()
            .map(|r| match &r["metrics"][*metric] {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            })
            .collect();
        for (i, w) in rows.windows(2).enumerate() {
            assert_eq!(w[0]["rank"].as_u64(), Some(i as u64 + 1));
            let (x, y) = (vals[i], vals[i + 1]);
            match (x, y) {
                (Some(x), Some(y)) => {
                    let in_order = match better {
                        Better::Higher => x >= y,
                        Better::Lower => x <= y,
                    };
                    assert!(in_order, "{metric}: {x} then {y}");
                    if x == y {
                        assert!(w[0]["variant"].as_u64() < w[1]["variant"].as_u64());
                    }
                }
                (None, Some(_)) => panic!("{metric}: a missing value ranks last"),
                _ => {}
            }
        }
    }
    // Table and CSV views of the same file.
    let out = vixshield(&["sweep", "merge", &all, "--rank", "max_drawdown"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ranked by max_drawdown (lower is better)"),
        "{text}"
    );
    let out = vixshield(&["sweep", "merge", &all, "--format", "csv"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("rank,variant,mult,take,cagr,"), "{text}");
    assert_eq!(text.lines().count(), 9);
}

/// A variant's metrics are its backtest's report: every number the report
/// gives is a metric (`cycles` was missing), with the same value.
#[test]
fn a_variants_metrics_are_its_backtest_report() {
    let range = ["--from", "2016-01-01", "--to", "2016-12-31"];
    let mut args = vec!["sweep", FIXTURE, "--set", "take=50%", "--format", "json"];
    args.extend(range);
    let v = ok(&vixshield(&args));
    let metrics = v["results"][0]["metrics"]
        .as_object()
        .cloned()
        .expect("one variant's metrics");
    let mut args = vec!["backtest", FIXTURE, "--format", "json"];
    args.extend(range);
    let report = ok(&vixshield(&args));
    let report = report.as_object().expect("a report");
    // A count of entries a guard could not judge: a caveat on the data, not
    // a result to rank by; and the Sharpe ratio's standard error, the
    // uncertainty of a metric rather than one, which is carried beside
    // them with the days of the lowest equity and of ruin, and the count of
    // condors at the contract limit (a caveat too). The plan's cycle risk is
    // the strategy's, not a result of its backtest (a sweep leaves it out).
    let not_ranked = [
        "entries_with_unknown_guard",
        "sharpe_se",
        "trades_at_contract_limit",
        "planned_cycle_risk",
        // Carried beside the metrics (below), a ratio no ranking reads.
        "worst_loss_to_max_loss",
    ];
    let mut compared = 0;
    for (key, value) in report {
        let numeric = match value {
            serde_json::Value::Number(_) => true,
            serde_json::Value::String(s) => s.parse::<f64>().is_ok(),
            _ => false,
        };
        if !numeric || not_ranked.contains(&key.as_str()) {
            continue;
        }
        assert_eq!(metrics.get(key), Some(value), "{key}");
        compared += 1;
    }
    assert_eq!(compared, METRICS.len(), "{metrics:?}");
    // Beside them (it lacked them: a sweep could not say which variant was
    // ruined, or whether two Sharpe ratios differ beyond their error).
    for key in sweep::ALONGSIDE {
        assert!(report.contains_key(*key), "{key}");
        assert_eq!(metrics.get(*key), report.get(*key), "{key}");
    }
    assert!(metrics["sharpe_se"].as_f64().is_some_and(|x| x > 0.0));
    assert!(metrics["lowest_equity_on"].is_string());
    assert_eq!(metrics.len(), METRICS.len() + sweep::ALONGSIDE.len());
}

/// A sweep of one variant says so in the singular (it said "1 variants").
#[test]
fn one_variant_is_one_variant() {
    let out = vixshield(&[
        "sweep",
        FIXTURE,
        "--set",
        "take=50%",
        "--from",
        "2016-01-01",
        "--to",
        "2016-03-31",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let first = crate::common::text(&out.stdout);
    let first = first.lines().next().unwrap_or("");
    assert!(first.contains(": 1 variant, ranked by"), "{first}");
}

#[test]
fn ranking_directions_on_synthetic_rows() {
    use serde_json::{Map, Value, json};
    let rows: Vec<sweep::Row> = [(0, 0.1, "-50"), (1, 0.3, "200"), (2, 0.2, "200")]
        .iter()
        .map(|(i, x, m)| {
            let mut metrics = Map::new();
            metrics.insert("cagr".into(), json!(x));
            metrics.insert("max_drawdown".into(), json!(x));
            metrics.insert("net_pnl".into(), json!(m));
            metrics.insert(
                "profit_factor".into(),
                if *i == 1 { Value::Null } else { json!(x) },
            );
            sweep::Row {
                rank: 0,
                variant: *i,
                params: Map::new(),
                metrics,
            }
        })
        .collect();
    let mut f = sweep::SweepFile {
        vixshield_sweep: 1,
        strategy: "s".into(),
        source_sha256: String::new(),
        grid: Vec::new(),
        variants: 3,
        config: Value::Null,
        rank: sweep::Rank {
            metric: "cagr".into(),
            better: Better::Higher,
        },
        shard: None,
        results: rows,
        failed: Vec::new(),
    };
    let order = |f: &sweep::SweepFile| f.results.iter().map(|r| r.variant).collect::<Vec<_>>();
    f.rerank();
    assert_eq!(order(&f), [1, 2, 0]);
    f.rank = sweep::Rank {
        metric: "max_drawdown".into(),
        better: sweep::metric("max_drawdown").expect("a metric"),
    };
    f.rerank();
    assert_eq!(order(&f), [0, 2, 1]);
    f.rank = sweep::Rank {
        metric: "net_pnl".into(),
        better: Better::Higher,
    };
    f.rerank();
    assert_eq!(order(&f), [1, 2, 0], "ties by variant index");
    f.rank = sweep::Rank {
        metric: "profit_factor".into(),
        better: Better::Higher,
    };
    f.rerank();
    assert_eq!(order(&f), [2, 0, 1], "no value ranks last");
    assert!(sweep::metric("nope").is_err());
}

/// A ratio without a value because nothing was lost is the best a variant
/// can do: a profit factor with wins and no losing condor, a Sortino ratio
/// with a gain and no losing day rank first (+∞); without a gain (or without
/// a condor) the value is missing and ranks last.
#[test]
fn a_ratio_without_a_loss_ranks_first_and_a_missing_one_last() {
    use serde_json::{Map, Value, json};
    let m = |pairs: &[(&str, Value)]| -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect()
    };
    // As a report gives them: the win rate counts condors at $0 as won; the
    // condors' P&L is the net less the hedges'.
    let pf = |v: Value, win_rate: Value, net: &str, hedge: &str| {
        m(&[
            ("profit_factor", v),
            ("win_rate", win_rate),
            ("net_pnl", json!(net)),
            ("hedge_pnl", json!(hedge)),
        ])
    };
    assert_eq!(
        sweep::rank_value("profit_factor", &pf(Value::Null, json!(1.0), "120.5", "0")),
        Some(f64::INFINITY)
    );
    assert_eq!(
        sweep::rank_value("profit_factor", &pf(Value::Null, json!(1.0), "-50", "-150")),
        Some(f64::INFINITY),
        "the condors won $100; the hedges lost more"
    );
    assert_eq!(
        sweep::rank_value("profit_factor", &pf(Value::Null, Value::Null, "0", "0")),
        None,
        "no condor"
    );
    assert_eq!(
        sweep::rank_value("profit_factor", &pf(Value::Null, json!(1.0), "30", "30")),
        None,
        "every condor closed at $0: 0 over 0, no profit to be unbounded"
    );
    assert_eq!(
        sweep::rank_value("profit_factor", &pf(json!(2.5), json!(0.5), "10", "0")),
        Some(2.5)
    );
    let so = |v: Value, net: &str| m(&[("sortino", v), ("net_pnl", json!(net))]);
    assert_eq!(
        sweep::rank_value("sortino", &so(Value::Null, "12.50")),
        Some(f64::INFINITY)
    );
    assert_eq!(sweep::rank_value("sortino", &so(Value::Null, "0")), None);
    assert_eq!(
        sweep::rank_value("sortino", &so(json!(-0.3), "5")),
        Some(-0.3)
    );
    // Other metrics are never unbounded.
    assert_eq!(
        sweep::rank_value(
            "sharpe",
            &m(&[("sharpe", Value::Null), ("net_pnl", json!("5"))])
        ),
        None
    );
}

/// April to September 2016: with a 30% take-profit no condor lost, so that
/// variant's profit factor has no value; it ranks above the 45% to 75%
/// variants' 78.51 (it was the other way round: a missing value ranked
/// last, which would put it fourth) and the table says why. (March to
/// August 2017 showed it until the last day stopped taking entries: its
/// 30% variant's one loss was a condor entered and closed on 2017-08-31.)
#[test]
fn sweep_ranks_a_profit_factor_without_losses_first() {
    let args = [
        "sweep",
        FIXTURE,
        "--set",
        "take=30%..75%:15%",
        "--from",
        "2016-04-01",
        "--to",
        "2016-09-01",
        "--rank",
        "profit_factor",
    ];
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let v = ok(&vixshield(&json_args));
    let rows = v["results"].as_array().expect("results");
    let order: Vec<_> = rows.iter().map(|r| r["variant"].as_u64()).collect();
    assert_eq!(order, [Some(0), Some(1), Some(2), Some(3)], "{v}");
    assert!(rows[0]["metrics"]["profit_factor"].is_null(), "{v}");
    assert_eq!(rows[0]["metrics"]["win_rate"], 1.0, "{v}");
    for r in &rows[1..] {
        assert!(r["metrics"]["profit_factor"].as_f64().is_some(), "{r}");
    }
    let out = vixshield(&args);
    assert_eq!(out.status.code(), Some(0));
    let table = String::from_utf8_lossy(&out.stdout);
    let first = table
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .expect("a first row");
    assert!(
        first.contains("30%") && first.contains("∞ (no loss)"),
        "{table}"
    );
}

/// A file that is not a sweep file (not JSON, a field missing) is named
/// `FILE:LINE:COL:` like a journal's or a calendar's bad line, for editors
/// and CI annotations (it said "`FILE` is not a sweep file ...: EOF while
/// parsing an object at line 2 column 0").
#[test]
fn merge_names_a_file_that_is_no_sweep_file_at_line_and_column() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let b = dir.path().join("b.json");
    std::fs::write(&b, shard_file(1).to_string()).expect("written");
    let b = b.display().to_string();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, "{\n").expect("written");
    let mut f = shard_file(0);
    f.as_object_mut().map(|o| o.remove("grid"));
    let missing = dir.path().join("missing.json");
    std::fs::write(&missing, serde_json::to_string_pretty(&f).expect("json")).expect("written");
    // serde counts the column in bytes and lines at `\n` only: the error
    // (`tru` at `}`) was at 1:54 in the first, 1:33 in the second.
    let wide = dir.path().join("wide.json");
    std::fs::write(
        &wide,
        "{\"vixshield_sweep\": 1, \"x\": \"中文中文\", \t\"y\": tru }",
    )
    .expect("written");
    let cr = dir.path().join("cr.json");
    std::fs::write(&cr, "{\"vixshield_sweep\": 1,\r \"a\": tru}").expect("written");
    // A byte that is not UTF-8 is at its place too (it was I/O trouble,
    // exit 2, "stream did not contain valid UTF-8").
    let latin = dir.path().join("latin.json");
    std::fs::write(&latin, b"{\n  \"s\": \"caf\xe9\"}").expect("written");
    for (file, want) in [
        (
            &latin,
            ":2:12: not a sweep file (`sweep --out` writes them): not UTF-8\n",
        ),
        (
            &wide,
            ":1:46: not a sweep file (`sweep --out` writes them): expected ident\n",
        ),
        (
            &cr,
            ":2:10: not a sweep file (`sweep --out` writes them): expected ident\n",
        ),
        (
            &cut,
            ":2:1: not a sweep file (`sweep --out` writes them): EOF while parsing an object\n",
        ),
        (
            &missing,
            ":53:1: not a sweep file (`sweep --out` writes them): missing field `grid`\n",
        ),
    ] {
        let file = file.display().to_string();
        let out = vixshield(&["sweep", "merge", &file, &b]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err, format!("error: {file}{want}"));
        assert!(out.stdout.is_empty());
    }
}

/// One shard of a two-variant grid, as `sweep --shard I/2 --out` writes it.
/// A variant's metrics as a sweep writes them: each key of its kind.
fn metrics(cagr: f64) -> serde_json::Value {
    serde_json::json!({
        "cagr": cagr, "sharpe": 0.29, "sortino": 0.41, "net_pnl": "1390.18",
        "final_equity": "101390.18", "lowest_equity": "93540.36", "profit_factor": 1.29,
        "win_rate": 0.8, "hedge_pnl": "-574.75", "trades": 20, "cycles": 16,
        "time_in_market": 0.86, "max_drawdown": 0.058, "max_drawdown_intra_trade": 0.068,
        "max_consecutive_losses": 3, "max_step_reached": 4, "cycles_stopped_out": 1,
        "losses_past_stop": 4, "peak_capital_at_risk": "6288.78",
        "hedge_cost_to_credit": 0.025, "skipped": 14, "sharpe_se": 1.0,
        "lowest_equity_on": "2020-03-18", "ruined_on": null, "trades_at_contract_limit": 0,
        "worst_loss_to_max_loss": 1.46
    })
}

fn shard_file(index: u64) -> serde_json::Value {
    serde_json::json!({
        "vixshield_sweep": 1,
        "strategy": "t",
        "source_sha256": "00",
        "grid": [{"name": "mult", "values": ["1.4x", "1.6x"]}],
        "variants": 2,
        "config": {},
        "rank": {"metric": "cagr", "better": "higher"},
        "shard": {"index": index, "count": 2},
        "results": [{
            "rank": 1,
            "variant": index,
            "params": {"mult": if index == 0 { "1.4x" } else { "1.6x" }},
            "metrics": metrics(0.01 * index as f64)
        }],
        "failed": []
    })
}

/// What a sweep file says about itself is checked before merge sizes
/// anything by it, and every error names the file: a `variants` count
/// edited to 10^12 (it aborted allocating 1 TB), a shard index past its
/// count (5/3 merged with exit 0), another format version (it said
/// "missing field"), a variant outside its shard, a variant given twice.
#[test]
fn merge_checks_each_file_and_names_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let write = |name: &str, v: &serde_json::Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, v.to_string()).expect("written");
        p.display().to_string()
    };
    let a = write("a.json", &shard_file(0));
    let b = write("b.json", &shard_file(1));
    let v = ok(&vixshield(&["sweep", "merge", &a, &b, "--format", "json"]));
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["results"][0]["variant"], 1, "ranked by cagr");

    let tampered = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut f = shard_file(0);
        edit(&mut f);
        write(name, &f)
    };
    let cases: Vec<(String, &str)> = vec![
        (
            tampered("huge.json", &|f| {
                f["variants"] = 1_000_000_000_000u64.into()
            }),
            "`variants` is 1000000000000, but its grid has 2",
        ),
        (
            tampered("shard.json", &|f| {
                f["shard"] = serde_json::json!({"index": 5, "count": 3})
            }),
            "its shard 5/3 is not a shard",
        ),
        (
            tampered("v2.json", &|f| {
                f["vixshield_sweep"] = 2.into();
                f.as_object_mut().map(|o| o.remove("variants"));
            }),
            "unsupported sweep file version 2",
        ),
        (
            tampered("other.json", &|f| f["results"][0]["variant"] = 1.into()),
            "variant 1 is not in its shard 0/2",
        ),
        (
            tampered("outside.json", &|f| {
                f["shard"] = serde_json::Value::Null;
                f["results"][0]["variant"] = 7.into();
            }),
            "variant 7 is outside its grid of 2 variants",
        ),
        // A file edited by hand: its params or metrics are not what a
        // sweep writes, which the merge would rank and show as they are.
        (
            tampered("params.json", &|f| {
                f["results"][0]["params"]["mult"] = "9x".into()
            }),
            "variant 0's params are not its grid values (mult = ",
        ),
        (
            tampered("text.json", &|f| {
                f["results"][0]["metrics"]["cagr"] = "oops".into()
            }),
            "variant 0: its `cagr` is \"oops\", not a number or null",
        ),
        (
            tampered("count.json", &|f| {
                f["results"][0]["metrics"]["trades"] = (-5).into()
            }),
            "variant 0: its `trades` is -5, not a whole number of 0 or more",
        ),
        (
            tampered("money.json", &|f| {
                f["results"][0]["metrics"]["final_equity"] = "abc".into()
            }),
            "its `final_equity` is \"abc\", not an amount as decimal text",
        ),
        (
            tampered("gone.json", &|f| {
                f["results"][0]["metrics"]
                    .as_object_mut()
                    .map(|m| m.remove("sharpe"));
            }),
            "variant 0: its metrics have no `sharpe`",
        ),
        (
            tampered("extra.json", &|f| {
                f["results"][0]["metrics"]["alpha"] = 1.into()
            }),
            "its metrics have `alpha`, which no sweep writes",
        ),
    ];
    for (file, want) in &cases {
        let out = vixshield(&["sweep", "merge", file, &b]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(&format!("`{file}`")), "names the file: {err}");
        assert!(err.contains(want), "{file}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = vixshield(&["sweep", "merge", &a, &b, &a]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("variant 0 appears twice (`{a}` and `{a}`)")),
        "{err}"
    );
}

#[test]
fn invalid_variants_are_listed_not_fatal() {
    let mut args = vec!["sweep", FIXTURE, "--set", "mult=0.8x..1.2x:0.2x"];
    args.extend_from_slice(RANGE);
    args.extend(["--format", "json"]);
    let out = vixshield(&args);
    let v = ok(&out);
    assert_eq!(v["results"].as_array().map(Vec::len), Some(1));
    let failed = v["failed"].as_array().cloned().unwrap_or_default();
    assert_eq!(failed.len(), 2);
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap_or("")
            .starts_with("E0401")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: variant 0 (mult=0.8x) failed"));
    // Every variant failed: still the whole document, and exit 1 (a finding).
    let mut args = vec!["sweep", FIXTURE, "--set", "mult=0.5x..0.9x:0.4x"];
    args.extend_from_slice(RANGE);
    args.extend(["--format", "json"]);
    let out = vixshield(&args);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the document");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["failed"].as_array().map(Vec::len), Some(2));
}

#[test]
fn walk_forward_picks_in_sample_and_reports_out_of_sample() {
    let out = vixshield(&[
        "sweep",
        FIXTURE,
        "--set",
        "mult=1.4x..2.0x:0.6x",
        "--walk-forward",
        "24m/1y",
        "--from",
        "2012-01-01",
        "--to",
        "2016-06-30",
        "--rank",
        "net_pnl",
        "--format",
        "json",
    ]);
    let v = ok(&out);
    let w = v["windows"].as_array().cloned().unwrap_or_default();
    assert_eq!(w.len(), 3, "{v}");
    assert_eq!(w[0]["in_from"], "2012-01-01");
    assert_eq!(w[0]["in_to"], "2013-12-31");
    assert_eq!(w[0]["out_from"], "2014-01-01");
    assert_eq!(w[0]["out_to"], "2014-12-31");
    assert_eq!(w[2]["out_to"], "2016-06-30");
    for r in &w {
        assert!(r["best"].is_u64(), "{r}");
        assert!(r["out_of_sample"]["net_pnl"].is_string(), "{r}");
    }
    // The keys docs/sweep.md documents (with Walk-forward), and no others.
    let keys = |o: &serde_json::Value| {
        let mut k: Vec<String> = o
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    let want = |k: &[&str]| {
        let mut k: Vec<String> = k.iter().map(|s| s.to_string()).collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        want(&[
            "strategy",
            "source_sha256",
            "grid",
            "variants",
            "config",
            "in_months",
            "out_months",
            "rank",
            "windows",
            "mean_out_of_sample"
        ])
    );
    // What it ran, as a sweep file says it: the same text, grid and
    // assumptions give the same values.
    let plain = ok(&vixshield(&[
        "sweep",
        FIXTURE,
        "--set",
        "mult=1.4x..2.0x:0.6x",
        "--from",
        "2012-01-01",
        "--to",
        "2016-06-30",
        "--format",
        "json",
    ]));
    for key in ["source_sha256", "grid", "variants", "config"] {
        assert_eq!(v[key], plain[key], "{key}");
    }
    assert_eq!(v["variants"], 2);
    assert_eq!(v["source_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(
        keys(&w[0]),
        want(&[
            "in_from",
            "in_to",
            "out_from",
            "out_to",
            "best",
            "params",
            "in_sample",
            "out_of_sample",
            "error"
        ])
    );
    assert!(
        w[0]["error"].is_null() && w[0]["in_sample"].is_f64(),
        "{}",
        w[0]
    );
}

/// Walk-forward windows from a month's end: window k's in-sample starts k ×
/// OUT after the start, its out-of-sample IN after that, each date counted
/// from the start, so the out-of-sample windows follow each other with no
/// day left out (chained month additions had 2000-04-29 and 2000-08-30 in
/// no out-of-sample window: Jan 31 + 1m = Feb 29, + 1m = Mar 29).
#[test]
fn walk_forward_windows_from_a_month_end_leave_no_day_out() {
    let d = |s: &str| s.parse::<chrono::NaiveDate>().expect("a date");
    let w = sweep::windows(d("2000-01-31"), d("2000-08-31"), 1, 1);
    let got: Vec<[String; 4]> = w
        .iter()
        .map(|w| [w.in_from, w.in_to, w.out_from, w.out_to].map(|x| x.to_string()))
        .collect();
    // start + k months, start + (k + 1) months, less a day for the ends.
    let want = [
        ["2000-01-31", "2000-02-28", "2000-02-29", "2000-03-30"],
        ["2000-02-29", "2000-03-30", "2000-03-31", "2000-04-29"],
        ["2000-03-31", "2000-04-29", "2000-04-30", "2000-05-30"],
        ["2000-04-30", "2000-05-30", "2000-05-31", "2000-06-29"],
        ["2000-05-31", "2000-06-29", "2000-06-30", "2000-07-30"],
        ["2000-06-30", "2000-07-30", "2000-07-31", "2000-08-30"],
        ["2000-07-31", "2000-08-30", "2000-08-31", "2000-08-31"],
    ];
    assert_eq!(got, want.map(|r| r.map(String::from)));
    // Years from February 29: the out-of-sample windows tile too.
    let w = sweep::windows(d("2000-02-29"), d("2025-08-15"), 60, 12);
    for pair in w.windows(2) {
        assert_eq!(
            pair[0].out_to.succ_opt(),
            Some(pair[1].out_from),
            "{pair:?}"
        );
        assert_eq!(pair[0].in_to.succ_opt(), Some(pair[0].out_from), "{pair:?}");
    }
    assert_eq!(w.last().map(|w| w.out_to), Some(d("2025-08-15")));
}

/// A strategy whose signals call plugins sweeps like any other: the project's
/// `wilder_rsi` in place of the built-in `rsi` (TA-Lib's RSI both) ranks the
/// same variants with the same numbers.
#[test]
fn a_strategy_with_plugin_signals_sweeps() {
    let original = "tests/fixtures/strategies/spx-mastery-params.vxs";
    let text = std::fs::read_to_string(crate::common::root().join(original))
        .expect("the fixture")
        .replace("rsi(vix, 14)", "wilder_rsi(vix, 14)");
    assert!(text.contains("wilder_rsi(vix, 14)"));
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("plugin-params.vxs");
    std::fs::write(&path, text).expect("written");
    let args = |file: &str| {
        crate::common::vixshield(&[
            "sweep",
            file,
            "--set",
            "mult=1.6x..1.8x:0.2x",
            "--format",
            "csv",
        ])
    };
    let with = args(path.to_str().expect("a UTF-8 path"));
    assert_eq!(
        with.status.code(),
        Some(0),
        "{}",
        crate::common::text(&with.stderr)
    );
    let without = args(original);
    assert_eq!(with.stdout, without.stdout);
    assert_eq!(crate::common::text(&with.stdout).lines().count(), 3);
}

/// `--walk-forward IN/OUT`: each period in years or months; a period of no
/// length or too long to count in months is named as such, a bad shape gets
/// the expected form.
#[test]
fn walk_forward_periods_are_read_and_their_errors_say_what_is_wrong() {
    use vixshield::sweep::parse_walk;
    assert_eq!(parse_walk("5y/1y"), Ok((60, 12)));
    assert_eq!(parse_walk("60m/12m"), Ok((60, 12)));
    assert_eq!(
        parse_walk("99999999999y/1y").unwrap_err(),
        "`--walk-forward 99999999999y/1y`: `99999999999y` is too long to count in months"
    );
    assert_eq!(
        parse_walk("5y/0m").unwrap_err(),
        "`--walk-forward 5y/0m`: `0m` is no time at all; a period is at least 1m"
    );
    for bad in ["5y", "5y/1x", "y/1y", "-1y/1y", "5y/1y/1y"] {
        assert!(
            parse_walk(bad).unwrap_err().contains("expected IN/OUT"),
            "{bad}"
        );
    }
}

/// spx-mastery with its blackout window and its quick-ratio stress as params
/// (`window` also in `theta_press`, so a signal's `within` reads it too).
fn within_and_stress_params() -> String {
    let text = std::fs::read_to_string(format!(
        "{}/strategies/spx-mastery.vxs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("spx-mastery");
    let text = text
        .replace("within 1d of", "within window of")
        .replace("under 3 sigma", "under stress sigma");
    assert!(text.contains("within window of") && text.contains("under stress sigma"));
    format!("param window = 1d\nparam stress = 3\n\n{text}")
}

/// A param can stand where a statement's syntax fixes a count: the days of
/// `within Nd of ...` (in a guard and in a signal) and the N of `under N
/// sigma`. They were a syntax error (`expected a value, found `window``)
/// with the param called never used, so a sweep could not vary the
/// blackout window or the stress.
#[test]
fn params_set_the_days_of_within_and_the_stress() {
    use rust_decimal::Decimal;
    use vixshield::model::Guard;
    let text = within_and_stress_params();
    let src = SourceFile::new("params.vxs", text.clone());
    let env = Env::default();
    let guards = |overrides: &[(String, Literal)]| {
        let c = check_source_with(&src, &env, overrides);
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        c.strategy.expect("checks").guards
    };
    let at = |gs: &[Guard]| {
        let days = gs.iter().find_map(|g| match g {
            Guard::Blackout { days, .. } => Some(*days),
            _ => None,
        });
        let sigma = gs.iter().find_map(|g| match g {
            Guard::QuickRatio { sigma, .. } => Some(*sigma),
            _ => None,
        });
        (days, sigma)
    };
    assert_eq!(at(&guards(&[])), (Some(1), Some(Decimal::from(3))));
    let set = [
        ("window".to_string(), Literal::Days(Decimal::from(5))),
        ("stress".to_string(), Literal::Number(Decimal::new(25, 1))),
    ];
    assert_eq!(at(&guards(&set)), (Some(5), Some(Decimal::new(25, 1))));
    // The wrong unit from a sweep is the file's error: E0301.
    let c = check_source_with(
        &src,
        &env,
        &[("window".into(), Literal::Number(Decimal::from(2)))],
    );
    assert!(c.strategy.is_none());
    assert!(c.diagnostics.iter().any(|d| d.code.as_str() == "E0301"));

    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("params.vxs");
    std::fs::write(&path, &text).expect("write");
    let path = path.display().to_string();
    // At the defaults it decides as spx-mastery does, to the byte; `fmt` keeps
    // the names.
    let next = |file: &str| {
        vixshield(&[
            "next",
            file,
            "--journal",
            "tests/fixtures/journals/progression.csv",
            "--format",
            "json",
        ])
    };
    let canonical = ok(&next("strategies/spx-mastery.vxs"));
    assert_eq!(ok(&next(&path)), canonical);
    let out = vixshield(&["fmt", "--stdout", &path]);
    let formatted = String::from_utf8_lossy(&out.stdout);
    assert!(formatted.contains("no entry within window of FOMC, CPI, PPI"));
    assert!(formatted.contains("quick_ratio >= 1.4 under stress sigma"));

    // A signal's `within` reads the param too, and a sweep varies both.
    let with_signal = text.replace(
        "signal theta_press = vix < ema(vix, 10) and",
        "signal theta_press = vix < ema(vix, 10) and not within window of FOMC and",
    );
    assert_ne!(with_signal, text);
    std::fs::write(&path, &with_signal).expect("write");
    let v = ok(&vixshield(&[
        "sweep",
        &path,
        "--set",
        "window=0d..6d:6d",
        "--set",
        "stress=0..6:6",
        "--from",
        "2016-01-01",
        "--to",
        "2018-12-31",
        "--format",
        "json",
    ]));
    assert_eq!(v["failed"].as_array().map(Vec::len), Some(0), "{v}");
    let skipped = |window: &str| {
        v["results"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["params"]["window"] == window)
            .map(|r| r["metrics"]["skipped"].clone())
    };
    let (none, six) = (skipped("0d"), skipped("6d"));
    assert!(none.is_some() && six.is_some());
    assert_ne!(none, six, "a longer blackout skips other days");
}

/// A param whose values all give the same backtest is named on stderr: a
/// hedge trigger at an RSI above 100 never fires, so `spike=101..102:1`
/// ranks two identical backtests by variant order, which read as a finding.
/// A param that changes something, and a shard (too few pairs), are not
/// named; `sweep merge` of the shards is the whole grid again.
#[test]
fn a_param_that_changed_nothing_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = fixture().text().to_string();
    assert!(text.contains("or rsi(vix, 14) > 70"), "the fixture changed");
    let strategy = dir.path().join("spike.vxs");
    std::fs::write(
        &strategy,
        text.replace("or rsi(vix, 14) > 70", "or rsi(vix, 14) > spike")
            .replace("param take = 50%", "param take = 50%\nparam spike = 70"),
    )
    .unwrap();
    let s = strategy.display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["sweep", s.as_str(), "--format", "json"];
        args.extend(RANGE);
        args.extend(extra);
        vixshield(&args)
    };
    let named = |out: &Output, name: &str| {
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "warning: `--set {name}`: its 2 values gave the same backtest"
        ))
    };

    let inert = run(&["--set", "spike=101..102:1", "--set", "base=1%..2%:1%"]);
    let v = ok(&inert);
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    // What the warning says, from the results themselves.
    for r in results {
        let twin = results
            .iter()
            .find(|o| o["params"]["base"] == r["params"]["base"] && o["variant"] != r["variant"])
            .expect("a twin");
        assert_eq!(r["metrics"], twin["metrics"], "{r}");
    }
    assert!(
        named(&inert, "spike"),
        "{}",
        String::from_utf8_lossy(&inert.stderr)
    );
    assert!(
        !named(&inert, "base"),
        "{}",
        String::from_utf8_lossy(&inert.stderr)
    );

    let live = run(&["--set", "spike=60..70:10", "--set", "base=1%..2%:1%"]);
    ok(&live);
    assert!(
        !String::from_utf8_lossy(&live.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );

    let mut parts = Vec::new();
    for i in 0..2 {
        let part = dir.path().join(format!("part{i}.json"));
        let shard = format!("{i}/2");
        let out = run(&[
            "--set",
            "spike=101..102:1",
            "--shard",
            &shard,
            "--out",
            part.to_str().unwrap(),
        ]);
        ok(&out);
        assert!(
            !named(&out, "spike"),
            "a shard: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        parts.push(part.display().to_string());
    }
    let mut args = vec!["sweep", "merge"];
    args.extend(parts.iter().map(String::as_str));
    let merged = vixshield(&args);
    assert_eq!(merged.status.code(), Some(0));
    assert!(
        named(&merged, "spike"),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
}

/// A value whose every variant failed gave no backtest: the warning about
/// a param that changed nothing counts the values that ran, not the grid's
/// (`take=0%` is E0403, 50% and 100% never bind over 2016-2018: it said
/// "its 3 values gave the same backtest").
#[test]
fn a_param_that_changed_nothing_counts_only_the_values_that_ran() {
    let out = vixshield(&[
        "sweep",
        FIXTURE,
        "--set",
        "take=0%..100%:50%",
        "--format",
        "json",
        "--from",
        "2016-01-01",
        "--to",
        "2018-12-31",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = ok(&out);
    assert_eq!(v["failed"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2), "{v}");
    assert!(
        stderr.contains(
            "warning: `--set take`: the 2 of its 3 values that did not fail gave the same backtest"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("its 3 values gave"), "{stderr}");
}

/// A capital of $10^15 sizes condors past `u32::MAX` contracts, so each
/// variant trades less than it sizes. `backtest`, `diff --backtest` and
/// `risk` said so on stderr; a sweep of such variants said nothing and its
/// metrics could not show it. Now each variant's metrics count them
/// (`trades_at_contract_limit`) and stderr names the first variant; an
/// ordinary sweep counts 0 and says nothing.
#[test]
fn a_sweep_past_the_contract_limit_says_so() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = fixture();
    let big = dir.path().join("big.vxs");
    std::fs::write(
        &big,
        src.text().replace("$100,000", "$1,000,000,000,000,000"),
    )
    .expect("written");
    let big = big.to_str().expect("a UTF-8 path");
    let range = ["--from", "2019-01-01", "--to", "2019-03-01"];
    let run = |file: &str, set: &str| {
        let out = vixshield(
            &[
                &["sweep", file, "--set", set, "--format", "json"][..],
                &range,
            ]
            .concat(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (ok(&out), stderr)
    };
    let (v, stderr) = run(big, "mult=1.4x..1.6x:0.2x");
    for row in v["results"].as_array().expect("results") {
        assert_eq!(row["metrics"]["trades_at_contract_limit"], 2, "{row}");
    }
    assert!(
        stderr.contains(
            "warning: 2 variants, the first variant 0 (mult=1.4x), hold condors or hedges at \
             4294967295 contracts, the most a trade records"
        ),
        "{stderr}"
    );
    let (_, stderr) = run(big, "mult=1.6x");
    assert!(
        stderr.contains("warning: variant 0 (mult=1.6x) holds condors or hedges at 4294967295"),
        "{stderr}"
    );
    let (v, stderr) = run(FIXTURE, "mult=1.4x..1.6x:0.2x");
    for row in v["results"].as_array().expect("results") {
        assert_eq!(row["metrics"]["trades_at_contract_limit"], 0, "{row}");
    }
    assert!(!stderr.contains("4294967295"), "{stderr}");
}

/// A sweep of a strategy that declares no params said only "the strategy
/// declares no params", leaving a first-time user to find the syntax in
/// README. It now says what to write, in the grid's unit, and doing what
/// it says makes the sweep run.
#[test]
fn a_strategy_without_params_is_told_how_to_declare_one() {
    let out = vixshield(&[
        "sweep",
        "strategies/spx-mastery.vxs",
        "--set",
        "mult=1.4x..1.6x:0.2x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the strategy declares no params: declare it at the top of the file \
             (`param mult = 1.4x`) and write `mult` in place of the value it varies \
             (`multiplier = mult`)"
        ),
        "{stderr}"
    );
    let out = vixshield(&[
        "sweep",
        "strategies/spx-mastery.vxs",
        "--set",
        "take=40%..60%:10%",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(`param take = 40%`)"), "{stderr}");
    // Done as it says, the sweep runs.
    let dir = tempfile::tempdir().expect("a temp dir");
    let src = std::fs::read_to_string("strategies/spx-mastery.vxs").expect("bundled");
    let edited = format!(
        "param mult = 1.4x\n{}",
        src.replace("multiplier = 1.6x into", "multiplier = mult into")
    );
    let file = dir.path().join("mine.vxs");
    std::fs::write(&file, edited).expect("written");
    let mut args = vec![
        "sweep",
        file.to_str().expect("utf-8"),
        "--set",
        "mult=1.4x..1.6x:0.2x",
        "--format",
        "json",
    ];
    args.extend_from_slice(RANGE);
    let v = ok(&vixshield(&args));
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2), "{v}");
}
