//! `vixshield signal EXPR`: exit statuses, CSV/JSON/table shapes, date
//! filters, diagnostics with carets.

#![allow(clippy::expect_used, reason = "tests fail by panicking")]

use crate::common::{text, vixshield};

#[test]
fn csv_is_date_value_with_an_empty_warm_up() {
    let out = vixshield(&["signal", "rsi(vix, 14)", "--to", "1990-01-25"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "date,value");
    assert_eq!(lines[1], "1990-01-02,");
    // TA-Lib's RSI(14) has its first value on the 15th bar.
    assert_eq!(lines[14], "1990-01-19,");
    assert!(lines[15].starts_with("1990-01-22,71.2298"), "{}", lines[15]);
    assert_eq!(lines.last(), Some(&"1990-01-25,66.4864331076887"));
    assert!(out.stderr.is_empty());
}

#[test]
fn json_is_a_list_of_dates_and_values_with_null_before_the_warm_up() {
    let out = vixshield(&[
        "signal",
        "rsi(vix, 14) > 70",
        "--format",
        "json",
        "--from",
        "2020-03-11",
        "--to",
        "2020-03-13",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v,
        serde_json::json!([
            {"date": "2020-03-11", "value": 1.0},
            {"date": "2020-03-12", "value": 1.0},
            {"date": "2020-03-13", "value": 0.0}
        ])
    );
    let out = vixshield(&[
        "signal",
        "sma(vix, 3)",
        "--format",
        "json",
        "--to",
        "1990-01-03",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v,
        serde_json::json!([{"date": "1990-01-02", "value": null}, {"date": "1990-01-03", "value": null}])
    );
}

#[test]
fn dates_print_iso_whatever_the_input_format() {
    // The VIX3M file has US dates (MM/DD/YYYY).
    let out = vixshield(&[
        "signal",
        "vix3m",
        "--market",
        "vix3m=data/vix3m-daily-cboe-format.csv",
        "--to",
        "2009-09-22",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "date,value");
    assert!(lines[1].starts_with("2009-09-18,"), "{stdout}");
    assert_eq!(lines.len(), 4, "{stdout}");
}

#[test]
fn table_for_people() {
    let out = vixshield(&[
        "signal",
        "vix",
        "--format",
        "table",
        "--from",
        "2020-03-16",
        "--to",
        "2020-03-16",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "date                 value\n2020-03-16           82.69\n"
    );
}

/// The table rounds what CSV and JSON print in full (docs/signals.md): at most 4
/// decimals, within half a unit of the 4th of the CSV's value, the same
/// dates and the same bars without a value.
#[test]
fn the_table_rounds_the_csv_values_to_four_decimals() {
    let run = |format: &str| {
        let out = vixshield(&[
            "signal",
            "ratio(vix, vix3m) / 1000",
            "--format",
            format,
            "--from",
            "2009-09-10",
            "--to",
            "2009-10-10",
        ]);
        assert_eq!(out.status.code(), Some(0));
        text(&out.stdout)
    };
    let (csv, table) = (run("csv"), run("table"));
    let csv: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let (d, v) = l.split_once(',').expect("date,value");
            (d.to_string(), v.to_string())
        })
        .collect();
    let table: Vec<(String, String)> = table
        .lines()
        .skip(1)
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().to_string(), w.next().unwrap().to_string())
        })
        .collect();
    assert_eq!(csv.len(), table.len());
    let mut valued = 0;
    for ((d1, full), (d2, shown)) in csv.iter().zip(&table) {
        assert_eq!(d1, d2);
        if full.is_empty() {
            assert_eq!(shown, "-", "{d1}");
            continue;
        }
        valued += 1;
        let (x, y): (f64, f64) = (full.parse().unwrap(), shown.parse().unwrap());
        assert!(full.len() > 8, "the CSV prints {full} in full");
        assert!(
            shown.split_once('.').is_none_or(|(_, f)| f.len() <= 4),
            "{shown}"
        );
        assert!(
            (x - y).abs() <= 0.5e-4 + 1e-12,
            "{d1}: {full} shown as {shown}"
        );
    }
    assert!(
        valued > 5 && valued < csv.len(),
        "VIX3M starts on 2009-09-18"
    );
}

#[test]
fn a_strategy_brings_its_named_signals() {
    let out = vixshield(&[
        "signal",
        "theta_press",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-05",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[E0203]: unknown name `theta_press`"));
    let out = vixshield(&[
        "signal",
        "theta_press",
        "--strategy",
        "strategies/spx-mastery.vxs",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-05",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    assert!(
        stdout
            .lines()
            .skip(1)
            .all(|l| l.ends_with(",0") || l.ends_with(",1")),
        "{stdout}"
    );
}

/// The expression's warnings are shown as `check` shows a file's, on
/// stderr; the values still go to stdout (exit 0): `vix > 30%` checked
/// silently and read `vix > 0.3`, true on every bar.
#[test]
fn the_expressions_warnings_are_shown_and_the_values_given() {
    for extra in [&[][..], &["--strategy", "strategies/spx-mastery.vxs"][..]] {
        let mut args = vec![
            "signal",
            "vix > 30%",
            "--from",
            "2024-01-02",
            "--to",
            "2024-01-05",
        ];
        args.extend_from_slice(extra);
        let out = vixshield(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("warning[W0107]: `vix` is quoted in points"),
            "{err}"
        );
        assert!(err.contains("--> <expr>:1:7"), "{err}");
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().count(), 5, "{stdout}");
        assert!(
            stdout.lines().skip(1).all(|l| l.ends_with(",1")),
            "{stdout}"
        );
    }
    // Without a warning, nothing on stderr.
    let out = vixshield(&[
        "signal",
        "vix > 30",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-05",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_function_exits_1_with_e0201_and_a_caret() {
    let out = vixshield(&["signal", "rsii(vix, 14) > 70"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E0201]: unknown signal function `rsii`"),
        "{err}"
    );
    assert!(err.contains("--> <expr>:1:1"), "{err}");
    assert!(err.contains("1 | rsii(vix, 14) > 70"), "{err}");
    assert!(
        err.contains("  | ^^^^ no built-in or plugin has this name"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `rsi`?"), "{err}");
}

/// A plugin the expression calls that cannot be loaded is reported as
/// `check` reports it in a file: `E0207` at the call.
#[test]
fn a_plugin_that_cannot_load_is_e0207_at_its_call() {
    let out = vixshield(&[
        "signal",
        "vix > 1 and no_marker(vix) > 0",
        "--plugins",
        "tests/fixtures/plugins",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E0207]: plugin `no_marker` cannot be loaded"),
        "{err}"
    );
    assert!(err.contains("--> <expr>:1:13"), "{err}");
    assert!(err.contains("does not export `vxs_signal_v1`"), "{err}");
}

#[test]
fn every_error_of_the_expression_at_once() {
    let out = vixshield(&["signal", "rsi(vixx, 14) > foo(vix)"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("E0203") && err.contains("E0201"), "{err}");
    let out = vixshield(&["signal", "rsi(vix,"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[E0001]"));
}

#[test]
fn usage_and_io_trouble_exit_2() {
    for args in [
        vec!["signal"],
        vec!["signal", "vix", "--from", "2020-13-01"],
        vec![
            "signal",
            "vix",
            "--from",
            "2020-03-02",
            "--to",
            "2020-03-01",
        ],
        vec!["signal", "vix", "--no-market"],
        vec!["signal", "vix", "--format", "xml"],
        vec!["signal", "vix", "--market", "vix=no/such.csv"],
        vec!["signal", "vix", "--strategy", "no/such.vxs"],
    ] {
        let out = vixshield(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_broken_strategy_exits_1() {
    let out = vixshield(&[
        "signal",
        "vix",
        "--strategy",
        "tests/cases/check/e0104_unknown_setting.vxs",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[E0104]"));
}

/// A plugin is called like a built-in here too: the project's `plugins/`,
/// or `--plugins DIR` from anywhere.
#[test]
fn plugins_are_signals_too() {
    let values = |out: &std::process::Output| -> Vec<String> {
        text(&out.stdout)
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap_or("").to_string())
            .collect()
    };
    let args = [
        "signal",
        "wilder_rsi(vix, 14) - rsi(vix, 14)",
        "--to",
        "1990-12-31",
    ];
    let out = vixshield(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let diffs = values(&out);
    assert!(diffs.len() > 200);
    // The plugin is TA-Lib's RSI, as the built-in is: no value where the
    // built-in has none, and the same value where it has one.
    assert!(diffs.iter().take(14).all(String::is_empty), "{diffs:?}");
    for d in diffs.iter().skip(14) {
        let d: f64 = d.parse().expect("a number");
        assert!(d.abs() <= 1e-12, "{d}");
    }

    // Outside the project no plugin is found, unless `--plugins` names them.
    let elsewhere = tempfile::tempdir().expect("a temp dir");
    let out = crate::common::vixshield_in(elsewhere.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error[E0201]"),
        "{}",
        text(&out.stderr)
    );
    let plugins = crate::common::root().join("plugins");
    let mut with = args.to_vec();
    with.extend(["--plugins", plugins.to_str().expect("a UTF-8 path")]);
    let out = crate::common::vixshield_in(elsewhere.path(), &with);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(values(&out), diffs);
}

/// A series given twice with `--market` is a usage error naming both, in
/// every command that reads market data; the second one used to be
/// silently ignored.
#[test]
fn a_market_series_given_twice_is_a_usage_error() {
    let a = "--market=vix=data/vix-daily.csv";
    let b = "--market=vix=tests/no/such.csv";
    for command in [
        vec!["signal", "vix"],
        vec!["backtest", "strategies/spx-mastery.vxs"],
        vec![
            "next",
            "strategies/spx-mastery.vxs",
            "--journal",
            "tests/fixtures/journals/progression.csv",
        ],
    ] {
        let mut args = command.clone();
        args.extend([a, "--market=spx=data/spx-daily.csv", b]);
        let out = vixshield(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(
                "`--market vix=tests/no/such.csv`: series `vix` is already given (`--market vix=data/vix-daily.csv`)"
            ),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // Different series are fine.
    let out = vixshield(&[
        "signal",
        "vix",
        "--market=vix=data/vix-daily.csv",
        "--market=vix3m=data/vix3m-daily-cboe-format.csv",
        "--to",
        "1990-01-03",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// `--calendar` files may only hold events a strategy can name, and their
/// unknown spans may not run backwards: each an error at file:line:col,
/// exit 1, nothing on stdout.
#[test]
fn a_calendar_file_with_an_event_strategies_cannot_name_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content, message) in [
        (
            "events.csv",
            "date,event\n2030-06-10,XYZ\n",
            ":2:12: `XYZ` is not an event strategies know (FOMC, CPI, PPI)",
        ),
        (
            "gaps.csv",
            "date,event,until\n2026-03-03,FOMC,2026-03-01\n",
            ":2:17: the span ends (2026-03-01) before it starts (2026-03-03)",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        let path = path.to_str().expect("UTF-8 path");
        let out = vixshield(&["signal", "vix", "--to", "1990-01-03", "--calendar", path]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        assert_eq!(text(&out.stderr), format!("error: {path}{message}\n"));
    }
}

/// The bundled calendar does not know the June 2002 CPI's release day, so
/// a CPI window in July 2002 is unknown. A `--calendar` file giving that day
/// settles it: the window is true around the day and false elsewhere in the
/// month (the unknown span stood, and the month stayed unknown).
#[test]
fn a_calendar_date_inside_an_unknown_span_settles_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cpi.csv");
    std::fs::write(&path, "date,event\n2002-07-16,CPI\n").expect("written");
    let path = path.to_str().expect("UTF-8 path");
    let window = |extra: &[&str]| {
        let mut args = vec![
            "signal",
            "within 1d of CPI",
            "--from",
            "2002-07-10",
            "--to",
            "2002-07-18",
        ];
        args.extend_from_slice(extra);
        let out = vixshield(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert_eq!(
        window(&[]),
        "date,value\n2002-07-10,\n2002-07-11,\n2002-07-12,\n2002-07-15,\n2002-07-16,\n2002-07-17,\n2002-07-18,\n"
    );
    assert_eq!(
        window(&["--calendar", path]),
        "date,value\n2002-07-10,0\n2002-07-11,0\n2002-07-12,0\n2002-07-15,1\n2002-07-16,1\n2002-07-17,0\n2002-07-18,0\n"
    );
}

/// A VIX date where SPX has no row (Thanksgiving 2022, VIX printed) reads
/// SPX's last close, and the output says so (docs/market-data.md: carried
/// forward and flagged): JSON names the carried series read, the table marks
/// the row; CSV stays `date,value`. A series the expression does not read is
/// not named.
#[test]
fn values_carried_forward_are_flagged() {
    let run = |expr: &str, format: &str| {
        let out = vixshield(&[
            "signal",
            expr,
            "--format",
            format,
            "--from",
            "2022-11-23",
            "--to",
            "2022-11-25",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let v: serde_json::Value = serde_json::from_str(&run("spx", "json")).expect("json");
    assert_eq!(
        v,
        serde_json::json!([
            {"date": "2022-11-23", "value": 4027.260009765625},
            {"date": "2022-11-24", "value": 4027.260009765625, "carried": ["spx"]},
            {"date": "2022-11-25", "value": 4026.1201171875}
        ])
    );
    let v: serde_json::Value = serde_json::from_str(&run("vix", "json")).expect("json");
    assert!(
        v.as_array()
            .expect("list")
            .iter()
            .all(|row| row.get("carried").is_none()),
        "{v}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&run("vix > 30 or spx > 5000", "json")).expect("json");
    assert_eq!(v[1]["carried"], serde_json::json!(["spx"]), "{v}");
    assert_eq!(
        run("spx", "table"),
        "date                 value\n\
         2022-11-23         4027.26\n\
         2022-11-24         4027.26 *\n\
         2022-11-25       4026.1201\n\
         * carried forward (spx): a series without a row that day keeps its last value\n"
    );
    assert_eq!(
        run("spx", "csv"),
        "date,value\n2022-11-23,4027.260009765625\n2022-11-24,4027.260009765625\n2022-11-25,4026.1201171875\n"
    );
}
