//! Backtests on the bundled real data: reports locked by snapshots, a sanity
//! check against published research, known events, charts, trade exports.

use crate::common::vixshield;

fn report(strategy: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["backtest", strategy, "--format", "json"];
    args.extend_from_slice(extra);
    let out = vixshield(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

#[test]
fn every_strategy_report_is_locked_and_deterministic() {
    let mut names: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/strategies"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
    names.sort();
    for name in names {
        let path = format!("strategies/{name}");
        let a = vixshield(&["backtest", &path, "--format", "json"]);
        let b = vixshield(&["backtest", &path, "--format", "json"]);
        assert_eq!(
            a.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&a.stderr)
        );
        assert_eq!(a.stdout, b.stdout, "{name}: byte-identical");
        assert!(
            a.stderr.iter().all(|&c| c != b'\r'),
            "no progress bar when stderr is not a terminal"
        );
        insta::assert_snapshot!(
            format!("report__{}", name.trim_end_matches(".vxs")),
            String::from_utf8_lossy(&a.stdout)
        );
    }
}

#[test]
fn research_baseline_win_rate() {
    // tastytrade's SPX and SPY studies: 45 DTE, 16-delta iron condors managed at
    // 50% of max profit win 75-90% of the time. The issue asks for 70-90%.
    let r = report("tests/fixtures/strategies/tasty-16-delta.vxs", &[]);
    let w = r["win_rate"].as_f64().unwrap_or_default();
    assert!((0.70..=0.90).contains(&w), "win rate {w}");
    assert!(
        r["trades"].as_u64().unwrap_or_default() > 300,
        "about one condor a month over 25 years"
    );
}

#[test]
fn known_events_show_up_in_the_worst_cycles() {
    let r = report("strategies/spx-mastery.vxs", &[]);
    let worst = r["worst_cycles"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        worst.len(),
        10,
        "the report lists ten worst cycles by default"
    );
    assert!(
        r["cycles"].as_u64().unwrap_or_default() > 50,
        "{}",
        r["cycles"]
    );
    let covers = |c: &serde_json::Value, day: &str| {
        let (s, e) = (
            c["start"].as_str().unwrap_or(""),
            c["end"].as_str().unwrap_or(""),
        );
        s <= day && day <= e
    };
    let rank = |day: &str| worst.iter().position(|c| covers(c, day));
    // The October 2008 crash (Lehman, 2008-09-15; SPX -17% in the week of
    // 2008-10-06), the February 2018 VIX spike (2018-02-05), and March 2020.
    for (day, event) in [
        ("2008-10-06", "the October 2008 crash"),
        ("2018-02-05", "the February 2018 VIX spike"),
        ("2020-03-09", "the March 2020 crash"),
    ] {
        assert!(rank(day).is_some(), "{event}: {worst:?}");
    }
    // Ranked by depth: both stopped-out ladders (2018, 2020) lose more than
    // the 2008 cycle, which a step-3 win closed.
    assert!(rank("2018-02-05") < rank("2008-10-06"));
    assert!(rank("2020-03-09") < rank("2008-10-06"));
    for w in worst.windows(2) {
        let trough = |c: &serde_json::Value| {
            c["trough"]
                .as_str()
                .and_then(|t| t.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        assert!(trough(&w[0]) <= trough(&w[1]), "worst first: {w:?}");
    }
    // `--worst N` lists N.
    let three = report("strategies/spx-mastery.vxs", &["--worst", "3"]);
    assert_eq!(three["worst_cycles"].as_array().map(Vec::len), Some(3));
    assert_eq!(three["worst_cycles"][0], worst[0]);
}

/// The chart `backtest STRATEGY --from FROM --to TO --chart DIR/NAME`
/// draws, with `extra` arguments; the command must succeed.
fn chart_of(
    dir: &std::path::Path,
    name: &str,
    strategy: &str,
    range: (&str, &str),
    extra: &[&str],
) -> String {
    let path = dir.join(name);
    let mut args = vec![
        "backtest",
        strategy,
        "--from",
        range.0,
        "--to",
        range.1,
        "--chart",
        path.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let out = vixshield(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&path).expect("the chart")
}

#[test]
fn chart_structure_and_series() {
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = chart_of(
        dir.path(),
        "chart.svg",
        "strategies/spx-mastery.vxs",
        ("2019-06-01", "2020-12-31"),
        &[],
    );
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    for title in [
        "equity (marked to market) and its running peak",
        "step of the open condor",
        "VIX, with the days a hedge trigger fired",
    ] {
        assert!(svg.contains(title), "panel `{title}`");
    }
    // Each series is named in its panel's legend (labels were set, no
    // legend was drawn).
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1))
        .map(|t| t.split('<').next().unwrap_or("").trim())
        .collect();
    for label in [
        "equity",
        "running peak (drawdown below it)",
        "VIX",
        "the trigger of hedge `front` fired",
    ] {
        assert!(texts.contains(&label), "legend `{label}`: {texts:?}");
    }
    // The dates under each panel fall on the first of every other month
    // and say only the month: plotters' own ticks fell a fixed number of
    // days apart (`2019-06-03`, `2019-08-12`, ...).
    let months: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|t| t.len() >= 7 && t.starts_with("20") && t.as_bytes()[4] == b'-')
        .collect();
    let every_other = [
        "2019-07", "2019-09", "2019-11", "2020-01", "2020-03", "2020-05", "2020-07", "2020-09",
        "2020-11",
    ];
    assert_eq!(months, every_other.repeat(3), "{texts:?}");
    // The equity, its running peak and VIX: polylines with one point a day.
    // One point a day in the range with both a VIX and a real SPX close (a
    // VIX-only day carries SPX's last close and is no trading day).
    let spx = data_dates("spx-daily.csv");
    let days = data_dates("vix-daily.csv")
        .iter()
        .filter(|d| ("2019-06-01"..="2020-12-31").contains(&d.as_str()) && spx.contains(*d))
        .count();
    let lines: Vec<(bool, Vec<(f64, f64)>)> = svg
        .split("<polyline")
        .skip(1)
        .map(|p| p.split("/>").next().unwrap_or(""))
        .map(|p| {
            let points = p.split("points=\"").nth(1).map_or(Vec::new(), |q| {
                q.split('"')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|xy| xy.split_once(','))
                    .filter_map(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
                    .collect()
            });
            (p.contains("stroke=\"#000000\""), points)
        })
        .filter(|(_, points)| points.len() > 100)
        .collect();
    let daily: Vec<usize> = lines
        .iter()
        .filter(|(black, _)| !black)
        .map(|(_, p)| p.len())
        .collect();
    assert_eq!(daily, [days, days, days], "three daily series");
    // The ladder is stairs: a day's point, and where the step changed a
    // point on that day at the step before, so every segment is level or
    // upright (a line from day to day drew every change as a ramp).
    let ladders: Vec<&Vec<(f64, f64)>> = lines
        .iter()
        .filter(|(black, _)| *black)
        .map(|(_, p)| p)
        .collect();
    assert_eq!(ladders.len(), 1, "one ladder");
    let ladder = ladders[0];
    let changes = ladder.windows(2).filter(|w| w[0].1 != w[1].1).count();
    assert!(changes > 20, "the ladder moves in 2019-20: {changes}");
    assert_eq!(
        ladder.len(),
        days + changes,
        "a point a day and one a change"
    );
    for w in ladder.windows(2) {
        assert!(
            w[0].0 == w[1].0 || w[0].1 == w[1].1,
            "a ramp from {:?} to {:?}",
            w[0],
            w[1]
        );
    }
    assert!(
        svg.matches("<circle").count() >= 5,
        "hedge-trigger markers in 2020"
    );
}

/// Each hedge layer's trigger has its own markers, named in the legend: the
/// dots said only that some trigger fired (a leftover of the output audit).
/// A `back` layer given `trigger = vix > 25` has one orange dot a day VIX
/// closed above 25 (as the `--equity` file gives the days), and `front`'s
/// green dots stay.
#[test]
fn each_hedge_layer_has_its_own_markers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let two = spx_mastery_variant(
        dir.path(),
        "two.vxs",
        "    active = from step 3\n",
        "    active = from step 3\n    trigger = vix > 25\n",
    );
    let equity = dir.path().join("equity.csv");
    let svg = chart_of(
        dir.path(),
        "two.svg",
        &two,
        ("2019-06-01", "2020-12-31"),
        &["--equity", equity.to_str().expect("utf-8")],
    );
    for label in [
        "the trigger of hedge `front` fired",
        "the trigger of hedge `back` fired",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    let days_above: usize = std::fs::read_to_string(&equity)
        .expect("the equity file")
        .lines()
        .skip(1)
        .filter(|l| {
            l.split(',')
                .nth(4)
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|v| v > 25.0)
        })
        .count();
    assert!(days_above > 50, "{days_above}");
    // The layer's dots and its legend's one.
    let dots = |fill: &str| {
        svg.split("<circle")
            .skip(1)
            .filter(|c| c.contains(&format!("fill=\"{fill}\"")))
            .count()
    };
    assert_eq!(dots("#E67800"), days_above + 1);
    assert!(dots("#00AA00") > 10, "front's markers");
}

/// The chart's equity axis is in dollars (`$150,000`; it read `150000.0`),
/// each legend sits above its panel's data (it hid the equity curve of a
/// run that rose near the top of its range), and a run that went to $0 or
/// below shows the $0 line it crossed, named in the legend.
#[test]
fn chart_legends_clear_the_data_and_the_equity_axis_is_in_dollars() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ruinous = spx_mastery_variant(
        dir.path(),
        "ruinous.vxs",
        "    base = 1% of capital\n",
        "    base = 30% of capital\n",
    );
    let text = std::fs::read_to_string(&ruinous)
        .expect("read")
        .replace("layer_cap = 10% of capital", "layer_cap = 100% of capital")
        .replace("    wacc_impact < 18bps\n", "")
        .replace("    quick_ratio >= 1.4 under 3 sigma\n", "");
    std::fs::write(&ruinous, text).expect("written");
    let chart = |strategy: &str, name: &str, from: &str| -> String {
        chart_of(dir.path(), name, strategy, (from, "2019-12-31"), &[])
    };
    let points = |svg: &str, colour: &str| -> Vec<(f64, f64)> {
        svg.split("<polyline")
            .skip(1)
            .find(|p| p.contains(&format!("stroke=\"{colour}\"")))
            .and_then(|p| p.split("points=\"").nth(1))
            .map(|q| {
                q.split('"')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .filter_map(|xy| xy.split_once(','))
                    .filter_map(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    // The legends' frames: x, y, width, height.
    let frames = |svg: &str| -> Vec<[f64; 4]> {
        svg.split("<rect")
            .skip(1)
            .filter(|r| r.contains("fill=\"none\" stroke=\"#000000\""))
            .map(|r| {
                ["x", "y", "width", "height"].map(|k| {
                    r.split(&format!(" {k}=\""))
                        .nth(1)
                        .and_then(|v| v.split('"').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(f64::NAN)
                })
            })
            .collect()
    };
    for (strategy, name, from, ruined) in [
        (ruinous.as_str(), "ruin.svg", "2017-06-01", true),
        (
            "strategies/spx-mastery.vxs",
            "main.svg",
            "2017-06-01",
            false,
        ),
        // Ruined in its fifth week: the marker is at the left edge, where
        // the legend sat over it.
        (ruinous.as_str(), "early.svg", "2018-01-01", true),
    ] {
        let svg = chart(strategy, name, from);
        let boxes = frames(&svg);
        assert_eq!(boxes.len(), 2, "{name}: the equity and VIX legends");
        for (colour, [x, y, w, h]) in [("#0000FF", boxes[0]), ("#FF00FF", boxes[1])] {
            let line = points(&svg, colour);
            assert!(line.len() > 100, "{name}: {colour}");
            let hidden: Vec<_> = line
                .iter()
                .filter(|(px, py)| (x..=x + w).contains(px) && (y..=y + h).contains(py))
                .collect();
            assert!(
                hidden.is_empty(),
                "{name}: {colour} under its legend: {hidden:?}"
            );
        }
        assert!(
            svg.contains(">$100,000<") || svg.contains(">$100,000 <") || svg.contains("$100,000"),
            "{name}"
        );
        assert!(!svg.contains("100000.0"), "{name}");
        assert_eq!(svg.contains("$0: ruined below it"), ruined, "{name}");
        // The day of ruin is marked: on a long run's scale the dip below
        // $0 was a pixel, and the curve read as healthy.
        assert_eq!(svg.contains("RUINED on 20"), ruined, "{name}");
        // The marker is one upright line, clear of the equity legend.
        let marker = points(&svg, "#A00000");
        assert_eq!(marker.len(), if ruined { 2 } else { 0 }, "{name}");
        if let Some(&(x, _)) = marker.first() {
            let [left, _, width, _] = boxes[0];
            assert!(
                !(left..=left + width).contains(&x),
                "{name}: the ruin marker at x {x} under the legend at {left}..{}",
                left + width
            );
        }
    }
}

/// A chart of a strategy without hedges says no trigger fired and draws no
/// markers (its VIX panel promised triggers and named an empty series); a
/// range of one day draws each series as a point (it drew nothing) on an
/// equity axis whose labels differ (a flat curve's axis read `$100,001`,
/// `$100,001`, `$100,000`, ...); and a chart named other than `.svg` is
/// written, with a warning that it is SVG whatever its name says.
#[test]
fn a_chart_of_one_day_without_hedges() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The chart of one day of a strategy without hedges, to `dir/name`: its
    // SVG and what the command said on stderr.
    let chart = |name: &str| {
        let path = dir.path().join(name);
        let out = vixshield(&[
            "backtest",
            "strategies/aggressive.vxs",
            "--from",
            "2025-08-15",
            "--to",
            "2025-08-15",
            "--chart",
            path.to_str().expect("utf-8"),
        ]);
        let err = crate::common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        (std::fs::read_to_string(&path).expect("the chart"), err)
    };
    let (svg, err) = chart("one.png");
    assert!(err.contains("warning: `--chart` draws SVG: `"), "{err}");
    assert!(svg.contains("VIX (no hedge trigger fired)"), "{svg}");
    assert!(!svg.contains("the trigger of hedge"));
    // The equity, its peak, the step and VIX, each a point.
    assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
    let dollars: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1))
        .map(|t| t.split('<').next().unwrap_or("").trim())
        .filter(|t| t.starts_with('$'))
        .collect();
    assert!(dollars.len() >= 3, "{dollars:?}");
    let distinct: std::collections::BTreeSet<&&str> = dollars.iter().collect();
    assert_eq!(distinct.len(), dollars.len(), "{dollars:?}");
    // Named `.svg`, or with no extension at all (`/dev/null`), no warning.
    for name in ["one.svg", "chart", "ONE.SVG"] {
        let (_, err) = chart(name);
        assert!(!err.contains("--chart"), "{name}: {err}");
    }
}

#[test]
fn trades_export_and_ranges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("trades.csv");
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2020-01-01",
        "--to",
        "2020-06-30",
        "--trades",
        path.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "trade,entry,exit,expiry,spx_entry,vix_entry,long_put,short_put,short_call,long_call,credit,contracts,step,size,max_loss,pnl,hedge_pnl,exit_reason"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 4);
    for r in &rows {
        let num = |i: usize| {
            r.get(i)
                .and_then(|x| x.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        assert!(
            num(6) < num(7) && num(7) < num(8) && num(8) < num(9),
            "strikes in order: {r:?}"
        );
        assert!(
            [6, 7, 8, 9].iter().all(|&i| num(i) % 5.0 == 0.0),
            "strikes on the 5-point grid"
        );
        assert!(num(11) >= 1.0, "whole contracts");
        assert!(r.get(1).copied().unwrap_or("") >= "2020-01-01");
    }
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2030-01-01",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // Past the data's end: the range runs to the end, not "the start".
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "no market data with both SPX and VIX between 2030-01-01 and the end of the data (the data has both from 2000-01-03 to 2025-08-15)"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--to",
        "1995-01-01",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "no market data with both SPX and VIX between the start of the data and 1995-01-01"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // VIX without SPX (past SPX's last day) is no data to trade either: it
    // reported an empty backtest (`- .. -`) with exit 0.
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2025-08-16",
        "--to",
        "2025-09-01",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "between 2025-08-16 and 2025-09-01 (the data has both from 2000-01-03 to 2025-08-15)"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn diff_lists_changed_sizes_and_exits_like_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/strategies/spx-mastery.vxs"
    ))
    .unwrap_or_default();
    let changed = dir.path().join("changed.vxs");
    std::fs::write(
        &changed,
        text.replace(
            "multiplier = 1.8x into step 2",
            "multiplier = 2x into step 2",
        ),
    )
    .expect("write");
    let c = changed.to_str().unwrap_or_default();
    let journal = "tests/fixtures/journals/progression.csv";
    let out = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        c,
        "--journal",
        journal,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "differences exit 1");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sizes: Vec<(String, String)> = v["changed"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| (c["old_size"].to_string(), c["new_size"].to_string()))
                .collect()
        })
        .unwrap_or_default();
    // 1,000 × 2 = 2,000 instead of 1,800; then × 1.6 → 3,200 and 5,100 instead of 2,900 and 4,600.
    let want = [("1800", "2000"), ("2900", "3200"), ("4600", "5100")];
    assert_eq!(
        sizes,
        want.iter()
            .map(|(a, b)| (format!("\"{a}\""), format!("\"{b}\"")))
            .collect::<Vec<_>>()
    );
    let same = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        "strategies/spx-mastery.vxs",
        "--journal",
        journal,
    ]);
    assert_eq!(same.status.code(), Some(0), "identical strategies exit 0");
    let same = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        "strategies/spx-mastery.vxs",
        "--backtest",
    ]);
    assert_eq!(same.status.code(), Some(0));
    let out = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        c,
        "--backtest",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["report"].as_array().is_some_and(|r| !r.is_empty()),
        "report deltas listed"
    );
    // As docs/commands.md says: only the metrics that differ, and per condor the
    // keys it names (`new_date` only when the entry moved).
    for r in v["report"].as_array().into_iter().flatten() {
        assert_ne!(r["old"], r["new"], "{r}");
    }
    let documented = [
        "trade",
        "date",
        "new_date",
        "old_step",
        "new_step",
        "old_size",
        "new_size",
        "old_exit",
        "new_exit",
        "old_pnl",
        "new_pnl",
        "old_hedge_premium",
        "new_hedge_premium",
        "old_hedge_pnl",
        "new_hedge_pnl",
    ];
    for c in v["changed"].as_array().into_iter().flatten() {
        let keys: Vec<&String> = c
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert!(keys.iter().all(|k| documented.contains(&k.as_str())), "{c}");
        assert!(c.get("new_date").is_none_or(|d| d != &c["date"]), "{c}");
    }
    // A range with no trading day: 2 for `diff` (1 would read "different"),
    // 1 for `backtest`.
    let empty = ["--from", "2020-01-04", "--to", "2020-01-05"];
    let mut args = vec!["diff", "strategies/spx-mastery.vxs", c, "--backtest"];
    args.extend(empty);
    assert_eq!(vixshield(&args).status.code(), Some(2));
    let mut args = vec!["backtest", "strategies/spx-mastery.vxs"];
    args.extend(empty);
    assert_eq!(vixshield(&args).status.code(), Some(1));
    let trouble = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        "no/such.vxs",
        "--journal",
        journal,
    ]);
    assert_eq!(trouble.status.code(), Some(2), "trouble exits 2");
}

/// `diff A B --backtest --format json` over `range`, which must differ (exit 1).
fn backtest_diff_json(a: &str, b: &str, range: &[&str]) -> serde_json::Value {
    let mut args = vec!["diff", a, b, "--backtest", "--format", "json"];
    args.extend_from_slice(range);
    let out = vixshield(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        crate::common::text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// spx-mastery's text, and `run --format json` of a strategy over a journal.
fn spx_mastery_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/strategies/spx-mastery.vxs"
    ))
    .expect("the strategy")
}

/// spx-mastery with `from` (which it must hold) replaced by `to`, written to
/// `name` in `dir`; its path.
fn spx_mastery_variant(dir: &std::path::Path, name: &str, from: &str, to: &str) -> String {
    let text = spx_mastery_text();
    assert!(text.contains(from), "{from}");
    let path = dir.join(name);
    std::fs::write(&path, text.replace(from, to)).expect("write");
    path.to_str().expect("utf-8").to_string()
}

fn run_decisions(strategy: &str, journal: &str) -> Vec<serde_json::Value> {
    let out = vixshield(&["run", strategy, "--journal", journal, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{strategy}");
    serde_json::from_slice(&out.stdout).expect("json")
}

/// What `diff --journal --format json` lists, from `run --format json` of
/// each side: the decisions whose step, size, blocked flag, max loss, hedge
/// budgets (all layers, summed) or hedge buys (the budgets of the active
/// layers whose trigger fired or that have none, none when the decision is
/// blocked or its size is $0: no condor) or buying layers (each with its
/// budget) differ.
fn journal_diff_from_runs(
    a: &[serde_json::Value],
    b: &[serde_json::Value],
) -> Vec<serde_json::Value> {
    let budget = |h: &serde_json::Value| {
        h["budget"]
            .as_str()
            .expect("a budget")
            .parse::<rust_decimal::Decimal>()
            .expect("a decimal")
    };
    let layers = |d: &serde_json::Value, buying: bool| {
        d["hedges"]
            .as_array()
            .expect("hedges")
            .iter()
            .filter(|h| {
                !buying
                    || (d["blocked"] == false
                        && d["size"]
                            .as_str()
                            .expect("a size")
                            .parse::<rust_decimal::Decimal>()
                            .expect("a decimal")
                            > rust_decimal::Decimal::ZERO
                        && h["active"] == true
                        && (h["trigger"] == "fired" || h["trigger"] == "always")
                        && budget(h) > rust_decimal::Decimal::ZERO)
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    let sum = |d: &serde_json::Value, buying: bool| {
        layers(d, buying)
            .iter()
            .map(budget)
            .sum::<rust_decimal::Decimal>()
            .normalize()
            .to_string()
    };
    let buying = |d: &serde_json::Value| {
        layers(d, true)
            .iter()
            .map(|h| serde_json::json!({ "layer": h["layer"], "budget": budget(h).normalize().to_string() }))
            .collect::<Vec<_>>()
    };
    let hedges = |d: &serde_json::Value| sum(d, false);
    let buys = |d: &serde_json::Value| sum(d, true);
    let compared = |d: &serde_json::Value| {
        (
            d["step"].clone(),
            d["size"].clone(),
            d["blocked"].clone(),
            d["max_loss_pct"].clone(),
            hedges(d),
            buys(d),
            buying(d),
        )
    };
    a.iter()
        .zip(b)
        .filter(|(x, y)| compared(x) != compared(y))
        .map(|(x, y)| {
            serde_json::json!({
                "trade": x["trade"], "date": x["date"],
                "old_step": x["step"], "new_step": y["step"],
                "old_size": x["size"], "new_size": y["size"],
                "old_blocked": x["blocked"], "new_blocked": y["blocked"],
                "old_max_loss_pct": x["max_loss_pct"], "new_max_loss_pct": y["max_loss_pct"],
                "old_hedges": hedges(x), "new_hedges": hedges(y),
                "old_hedge_buys": buys(x), "new_hedge_buys": buys(y),
                "old_hedge_layers_buying": buying(x), "new_hedge_layers_buying": buying(y),
            })
        })
        .collect()
}

/// A changed max loss or hedge allocation changes decisions at the same step
/// and size: `diff --journal` lists them (it compared step, size and the
/// blocked flag only, and said "no decision differs", exit 0), with the
/// max-loss and hedge columns shown only when some decision's differ.
#[test]
fn a_journal_diff_lists_a_changed_max_loss_and_hedge_allocation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = spx_mastery_text();
    let journal = "tests/fixtures/journals/spikes.csv";
    let old = "strategies/spx-mastery.vxs";
    for (from, to, header) in [
        (
            "max_loss = 90% of credit at steps 1..2",
            "max_loss = 80% of credit at steps 1..2",
            "old max loss  new max loss",
        ),
        (
            "allocation = 15% of size",
            "allocation = 12% of size",
            "old hedges  new hedges",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let changed = dir.path().join("changed.vxs");
        std::fs::write(&changed, text.replace(from, to)).expect("write");
        let new = changed.to_str().expect("utf-8");
        let want =
            journal_diff_from_runs(&run_decisions(old, journal), &run_decisions(new, journal));
        assert!(!want.is_empty(), "{to}");
        assert!(
            want.iter()
                .all(|c| c["old_step"] == c["new_step"] && c["old_size"] == c["new_size"]),
            "{to}: only the max loss or the hedges change"
        );
        let out = vixshield(&["diff", old, new, "--journal", journal, "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{to}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["changed"], serde_json::Value::Array(want), "{to}");
        let human = vixshield(&["diff", old, new, "--journal", journal]);
        assert_eq!(human.status.code(), Some(1));
        let text = crate::common::text(&human.stdout);
        let head = text.lines().nth(1).expect("a header");
        assert!(head.contains(header), "{head}");
        let other = if header.contains("hedges") {
            "max loss"
        } else {
            "hedges"
        };
        assert!(!head.contains(other), "{head}");
    }
}

/// A guard added changes decisions without changing a step or a size: the
/// new decision is blocked (no new entry). `diff --journal` lists exactly the
/// decisions whose step, size or blocked flag differ between `run` of each
/// side, with both flags, and exits 1; it said "no decision differs" and
/// exited 0.
#[test]
fn a_journal_diff_lists_decisions_a_guard_added_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = spx_mastery_text();
    let guarded = dir.path().join("guarded.vxs");
    let line = "    no entry within 1d of FOMC, CPI, PPI\n";
    assert!(text.contains(line));
    std::fs::write(
        &guarded,
        text.replace(line, &format!("{line}    vix < 20\n")),
    )
    .expect("write");
    let (old, new) = (
        "strategies/spx-mastery.vxs",
        guarded.to_str().expect("utf-8"),
    );
    let journal = "tests/fixtures/journals/spikes.csv";
    let want = journal_diff_from_runs(&run_decisions(old, journal), &run_decisions(new, journal));
    // The decision after the trade closed on 2018-02-05 (VIX 37.32) is
    // blocked by `vix < 20` only in the new version, at the same step and size.
    let spike = want
        .iter()
        .find(|c| c["date"] == "2018-02-05")
        .expect("the 2018-02-05 decision differs");
    assert_eq!(spike["old_step"], spike["new_step"]);
    assert_eq!(spike["old_size"], spike["new_size"]);
    assert_eq!(
        (&spike["old_blocked"], &spike["new_blocked"]),
        (&serde_json::json!(false), &serde_json::json!(true))
    );
    let out = vixshield(&["diff", old, new, "--journal", journal, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "the decisions differ");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["changed"], serde_json::Value::Array(want.clone()));
    let human = vixshield(&["diff", old, new, "--journal", journal]);
    assert_eq!(human.status.code(), Some(1));
    let text = crate::common::text(&human.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("{} decisions differ:", want.len()));
    assert!(lines[1].ends_with("old blocked  new blocked"), "{text}");
    let row = lines
        .iter()
        .find(|l| l.contains("2018-02-05"))
        .expect("its row");
    assert!(row.ends_with("no          yes"), "{row}");
    // Identical files still differ in nothing.
    let same = vixshield(&["diff", old, old, "--journal", journal]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(
        crate::common::text(&same.stdout),
        "no decision differs\n\nthe reports are the same\n"
    );
}

/// A blocked decision enters no condor and so buys no hedge, as the
/// backtest decides: `next` says `no buy (a guard blocks the entry)` and a
/// journal diff counts no hedge buys for it. `next` said `buy (no trigger)`
/// above its BLOCKED line, and the diff counted the budget as bought (found
/// by the review of d415264).
#[test]
fn a_blocked_decision_buys_no_hedge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trigger = "    trigger = macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9)\n        or rsi(vix, 14) > 70\n";
    let always = spx_mastery_variant(dir.path(), "always.vxs", trigger, "");
    let always = always.as_str();
    // The day before the FOMC meeting of 2020-04-29: blocked.
    let journal = dir.path().join("j.csv");
    std::fs::write(&journal, "date,pnl\n2020-04-28,100\n").expect("write");
    let journal = journal.to_str().unwrap_or_default();
    let out = vixshield(&["next", always, "--journal", journal]);
    let text = crate::common::text(&out.stdout);
    assert!(text.contains("\nBLOCKED: "), "{text}");
    assert!(
        text.contains("hedge front: budget $150, no buy (a guard blocks the entry)\n"),
        "{text}"
    );
    // Only the first decision, before any trade and not blocked, differs.
    let out = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        always,
        "--journal",
        journal,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let trades: Vec<_> = v["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .map(|c| c["trade"].as_u64())
        .collect();
    assert_eq!(trades, [Some(0)], "{v}");
}

/// Over a backtest, a condor entered alike (same entry, step and size) can
/// still differ in its exit, P&L and hedges: a hedge trigger changed buys
/// other hedges, a target changed closes it on another day. The diff
/// matched condors on entry, step and size alone and said "no condor
/// differs in its entry, step or size" above a report with the hedge P&L
/// changed; it lists those condors with the columns that differ, each value
/// as the trades file of each side gives it (hedge premium: the hedges' costs
/// summed).
#[test]
fn a_backtest_diff_lists_condors_entered_alike_whose_exit_or_hedges_differ() {
    let dir = tempfile::tempdir().expect("tempdir");
    let range = ["--from", "2019-01-01", "--to", "2019-12-31"];
    let trades = |strategy: &str, name: &str| -> Vec<serde_json::Value> {
        let path = dir.path().join(name);
        let mut args = vec![
            "backtest",
            strategy,
            "--trades",
            path.to_str().expect("utf-8"),
        ];
        args.extend(range);
        assert_eq!(vixshield(&args).status.code(), Some(0));
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json")
    };
    let money = |v: &serde_json::Value| {
        v.as_str()
            .expect("text")
            .parse::<rust_decimal::Decimal>()
            .expect("money")
    };
    let cost = |t: &serde_json::Value| {
        t["hedges"]
            .as_array()
            .expect("hedges")
            .iter()
            .map(|h| money(&h["cost"]))
            .sum::<rust_decimal::Decimal>()
    };
    for (name, from, to, columns) in [
        (
            "trigger.vxs",
            "or rsi(vix, 14) > 70",
            "or rsi(vix, 14) > 30",
            "old hedge premium  new hedge premium  old hedge P&L  new hedge P&L",
        ),
        (
            "target.vxs",
            "target_return = 15%",
            "target_return = 20%",
            "old exit    new exit       old P&L       new P&L",
        ),
    ] {
        let new = spx_mastery_variant(dir.path(), name, from, to);
        let (a, b) = (
            trades("strategies/spx-mastery.vxs", "a.json"),
            trades(&new, "b.json"),
        );
        // The condors entered alike whose exit, P&L or hedges differ.
        let alike: Vec<(&serde_json::Value, &serde_json::Value)> = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| {
                (&x["entry"], &x["step"], &x["size"]) == (&y["entry"], &y["step"], &y["size"])
                    && (&x["exit"], &x["pnl"], cost(x), &x["hedge_pnl"])
                        != (&y["exit"], &y["pnl"], cost(y), &y["hedge_pnl"])
            })
            .collect();
        assert!(!alike.is_empty(), "{to}");
        let mut args = vec![
            "diff",
            "strategies/spx-mastery.vxs",
            &new,
            "--backtest",
            "--format",
            "json",
        ];
        args.extend(range);
        let out = vixshield(&args);
        assert_eq!(out.status.code(), Some(1), "{to}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let listed = v["changed"].as_array().expect("changed");
        for (x, y) in &alike {
            let c = listed
                .iter()
                .find(|c| c["trade"] == x["trade"])
                .unwrap_or_else(|| panic!("{to}: condor {} is listed", x["trade"]));
            assert_eq!(
                (&c["old_exit"], &c["new_exit"]),
                (&x["exit"], &y["exit"]),
                "{c}"
            );
            assert_eq!(
                (&c["old_pnl"], &c["new_pnl"]),
                (&x["pnl"], &y["pnl"]),
                "{c}"
            );
            assert_eq!(
                (
                    money(&c["old_hedge_premium"]),
                    money(&c["new_hedge_premium"])
                ),
                (cost(x), cost(y)),
                "{c}"
            );
            assert_eq!(
                (&c["old_hedge_pnl"], &c["new_hedge_pnl"]),
                (&x["hedge_pnl"], &y["hedge_pnl"]),
                "{c}"
            );
        }
        args.truncate(4);
        args.extend(range);
        let text = crate::common::text(&vixshield(&args).stdout);
        assert!(
            text.lines()
                .next()
                .is_some_and(|l| l.ends_with(" condors differ:")),
            "{text}"
        );
        let head = text.lines().nth(1).expect("a header");
        assert!(head.contains(columns), "{head}");
    }
    // A change that changes nothing.
    let same = spx_mastery_variant(
        dir.path(),
        "same.vxs",
        "take_profit = 50%",
        "take_profit = 60%",
    );
    let mut args = vec!["diff", "strategies/spx-mastery.vxs", &same, "--backtest"];
    args.extend(range);
    let out = vixshield(&args);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        crate::common::text(&out.stdout),
        "no condor differs\n\nthe reports are the same\n"
    );
}

/// A hedge trigger changed alters what the hedges buy, with every step,
/// size, max loss and budget the same: `diff --journal` lists those
/// decisions with their hedge buys (the budgets of the layers that buy, as
/// `next` and the backtest decide) and exits 1; it said "no decision
/// differs" and exited 0.
#[test]
fn a_journal_diff_lists_decisions_a_changed_hedge_trigger_alters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let changed = spx_mastery_variant(
        dir.path(),
        "trigger.vxs",
        "or rsi(vix, 14) > 70",
        "or rsi(vix, 14) > 30",
    );
    let (old, new) = ("strategies/spx-mastery.vxs", changed.as_str());
    let journal = "tests/fixtures/journals/progression.csv";
    let want = journal_diff_from_runs(&run_decisions(old, journal), &run_decisions(new, journal));
    assert!(!want.is_empty());
    assert!(
        want.iter().all(|c| c["old_hedges"] == c["new_hedges"]
            && c["old_size"] == c["new_size"]
            && c["old_hedge_buys"] != c["new_hedge_buys"]),
        "{want:?}"
    );
    let out = vixshield(&["diff", old, new, "--journal", journal, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "the decisions differ");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["changed"], serde_json::Value::Array(want));
    assert_eq!(v["report"][0]["metric"], "hedge_buys");
    let human = vixshield(&["diff", old, new, "--journal", journal]);
    assert_eq!(human.status.code(), Some(1));
    let text = crate::common::text(&human.stdout);
    let head = text.lines().nth(1).expect("a header");
    assert!(head.contains("old buys    new buys"), "{text}");
    assert!(!head.contains("old hedges"), "{text}");
    // The first loss (2024-01-19): the front layer's $270 buys only in the
    // new version, whose trigger fires.
    let row = text
        .lines()
        .find(|l| l.contains("2024-01-19"))
        .expect("its row");
    assert!(row.contains("$0        $270"), "{row}");
}

/// Two layers of equal allocation whose triggers swap buy the same sums on
/// every decision, from the other layer: `diff --journal` lists those
/// decisions with the layers that buy on each side (it compared the sums
/// only, said "no decision differs" and exited 0).
#[test]
fn a_journal_diff_lists_decisions_whose_buying_layers_swap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = spx_mastery_text();
    let front = "    trigger = macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9)\n        or rsi(vix, 14) > 70\n}";
    let back = "    allocation = 10% of size\n    active = from step 3\n}";
    assert!(text.contains(front) && text.contains(back));
    let version = |name: &str, first: &str, second: &str| {
        let path = dir.path().join(name);
        let text = text
            .replace("allocation = 15% of size", "allocation = 10% of size")
            .replace(front, &format!("    trigger = {first}\n}}"))
            .replace(
                back,
                &format!("    allocation = 10% of size\n    active = from step 1\n    trigger = {second}\n}}"),
            );
        std::fs::write(&path, text).expect("write");
        path.to_str().expect("utf-8").to_string()
    };
    let (high, low) = ("rsi(vix, 14) > 50", "rsi(vix, 14) <= 50");
    let (old, new) = (version("old.vxs", high, low), version("new.vxs", low, high));
    let journal = "tests/fixtures/journals/progression.csv";
    let want = journal_diff_from_runs(&run_decisions(&old, journal), &run_decisions(&new, journal));
    assert!(!want.is_empty());
    assert!(
        want.iter().all(|c| c["old_hedges"] == c["new_hedges"]
            && c["old_hedge_buys"] == c["new_hedge_buys"]
            && c["old_size"] == c["new_size"]
            && c["old_hedge_layers_buying"] != c["new_hedge_layers_buying"]),
        "{want:?}"
    );
    let out = vixshield(&["diff", &old, &new, "--journal", journal, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "the decisions differ");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["changed"], serde_json::Value::Array(want));
    let human = vixshield(&["diff", &old, &new, "--journal", journal]);
    assert_eq!(human.status.code(), Some(1));
    let text = crate::common::text(&human.stdout);
    let head = text.lines().nth(1).expect("a header");
    assert!(
        head.contains("old layers buying  new layers buying"),
        "{text}"
    );
    assert!(!head.contains("old buys"), "{text}");
    // The first loss (2024-01-19, $1,800 at step 2): RSI at or under 50,
    // so the layer with that trigger buys its 10%.
    let row = text
        .lines()
        .find(|l| l.contains("2024-01-19"))
        .expect("its row");
    assert!(row.contains("back $180          front $180"), "{row}");
    assert!(text.lines().all(|l| l == l.trim_end()), "{text:?}");
}

/// One decision that differs is "1 decision differs:" (it read "1
/// decisions differ:").
#[test]
fn a_diff_of_one_decision_says_decision_differs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let changed = spx_mastery_variant(
        dir.path(),
        "cap.vxs",
        "layer_cap = 10% of capital",
        "layer_cap = 3% of capital",
    );
    let out = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        &changed,
        "--journal",
        "tests/fixtures/journals/progression.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // Only step 4's $4,600 is capped, at $3,000.
    let text = crate::common::text(&out.stdout);
    assert_eq!(text.lines().next(), Some("1 decision differs:"), "{text}");
    assert!(text.contains("$4,600      $3,000"), "{text}");
}

/// `diff --journal` gives the report deltas too (it gave none): what each
/// side decides of the journal, each metric from `run` of that side (its
/// `--summary` and its decisions). The journal's P&L is the same on both.
#[test]
fn a_journal_diff_gives_the_report_deltas() {
    let journal = "tests/fixtures/journals/spikes.csv";
    let (old, new) = ("strategies/spx-mastery.vxs", "strategies/conservative.vxs");
    let metrics = |strategy: &str| {
        let out = vixshield(&[
            "run",
            strategy,
            "--journal",
            journal,
            "--summary",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{strategy}");
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let decisions = run_decisions(strategy, journal);
        let money = |v: &serde_json::Value| {
            v.as_str()
                .expect("money")
                .parse::<rust_decimal::Decimal>()
                .expect("a decimal")
        };
        let largest = decisions
            .iter()
            .map(|d| money(&d["size"]))
            .max()
            .expect("a decision");
        let budgets: rust_decimal::Decimal = decisions
            .iter()
            .flat_map(|d| d["hedges"].as_array().expect("hedges").iter())
            .map(|h| money(&h["budget"]))
            .sum();
        let buys: rust_decimal::Decimal = decisions
            .iter()
            .filter(|d| d["blocked"] == false)
            .flat_map(|d| d["hedges"].as_array().expect("hedges").iter())
            .filter(|h| {
                h["active"] == true && (h["trigger"] == "fired" || h["trigger"] == "always")
            })
            .map(|h| money(&h["budget"]))
            .sum();
        let blocked = decisions.iter().filter(|d| d["blocked"] == true).count();
        vec![
            (
                "cycles",
                summary["cycles"]
                    .as_array()
                    .expect("cycles")
                    .len()
                    .to_string(),
            ),
            (
                "cycles_stopped_out",
                summary["overall"]["cycles_stopped_out"].to_string(),
            ),
            (
                "max_step_reached",
                summary["overall"]["max_step_reached"].to_string(),
            ),
            ("largest_size", largest.normalize().to_string()),
            ("hedge_budgets", budgets.normalize().to_string()),
            ("hedge_buys", buys.normalize().to_string()),
            ("blocked", blocked.to_string()),
        ]
    };
    let want: Vec<serde_json::Value> = metrics(old)
        .into_iter()
        .zip(metrics(new))
        .filter(|(a, b)| a.1 != b.1)
        .map(|((k, a), (_, b))| serde_json::json!({"metric": k, "old": a, "new": b}))
        .collect();
    assert!(want.len() >= 4, "{want:?}");
    let out = vixshield(&["diff", old, new, "--journal", journal, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["report"], serde_json::Value::Array(want));
    let human = crate::common::text(&vixshield(&["diff", old, new, "--journal", journal]).stdout);
    let report: Vec<&str> = human.lines().skip_while(|l| *l != "report:").collect();
    assert!(
        report
            .iter()
            .any(|l| l.trim_start().starts_with("largest size")
                && l.contains("$4,600 →")
                && l.ends_with("(-$2,100)")),
        "{human}"
    );
}

/// A report metric one side has no value for (a profit factor without a
/// loss) is JSON `null` in `diff --backtest`'s deltas and `-` in its table,
/// as `backtest` shows it; it was the string "null" in both. Every delta
/// is the metric of `backtest --format json` of each side.
#[test]
fn a_backtest_diff_shows_a_missing_metric_as_null() {
    let (a, b) = (
        "strategies/spx-mastery.vxs",
        "tests/fixtures/strategies/tasty-16-delta.vxs",
    );
    let range = ["--from", "2004-01-01", "--to", "2004-12-31"];
    let (ra, rb) = (report(a, &range), report(b, &range));
    assert!(
        ra["profit_factor"].is_number(),
        "spx-mastery lost once in 2004"
    );
    assert!(
        rb["profit_factor"].is_null(),
        "tasty-16-delta never lost in 2004"
    );
    let v = backtest_diff_json(a, b, &range);
    let deltas = v["report"].as_array().expect("report deltas");
    let text = |x: &serde_json::Value| match x {
        serde_json::Value::String(s) => serde_json::json!(s),
        serde_json::Value::Null => serde_json::Value::Null,
        x => serde_json::json!(x.to_string()),
    };
    for d in deltas {
        let m = d["metric"].as_str().expect("a metric");
        assert_eq!(d["old"], text(&ra[m]), "{m}");
        assert_eq!(d["new"], text(&rb[m]), "{m}");
    }
    let pf = deltas
        .iter()
        .find(|d| d["metric"] == "profit_factor")
        .expect("the profit factor differs");
    assert!(pf["new"].is_null(), "{pf}");
    let mut args = vec!["diff", a, b, "--backtest"];
    args.extend_from_slice(&range);
    let human = crate::common::text(&vixshield(&args).stdout);
    let line = human
        .lines()
        .find(|l| l.trim_start().starts_with("profit factor"))
        .expect("its line");
    assert_eq!(line.split(" → ").nth(1).map(str::trim), Some("-"), "{line}");

    // Each row of the table shows both sides as `backtest`'s own table does
    // (money, percentages, two decimals; they were raw JSON numbers such as
    // 0.017818295376948345), under its label there.
    let table = |s: &str| {
        let mut args = vec!["backtest", s];
        args.extend_from_slice(&range);
        let out = crate::common::text(&vixshield(&args).stdout);
        out.lines()
            .filter_map(|l| {
                Some((
                    l.get(..28)?.trim_end().to_string(),
                    l.get(28..)?.to_string(),
                ))
            })
            .collect::<std::collections::BTreeMap<String, String>>()
    };
    let (ta, tb) = (table(a), table(b));
    let rows: Vec<&str> = human
        .lines()
        .skip_while(|l| *l != "report:")
        .skip(1)
        .collect();
    assert_eq!(rows.len(), deltas.len(), "{human}");
    let mut compared = 0;
    for row in rows {
        let (left, right) = row.split_once(" → ").expect("old → new");
        let (label, old) = left.trim().rsplit_once("  ").expect("label and value");
        let new = right.trim().split("  ").next().expect("the new value");
        let label = label.trim();
        let want = |t: &std::collections::BTreeMap<String, String>| {
            // `backtest` gives the lowest equity's day beside it.
            t.get(label).map(|v| {
                v.trim()
                    .split(" on ")
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
        };
        if [
            "entry days skipped",
            "cycles",
            "planned cycle risk",
            "losses past the stop",
            "worst loss to max loss",
        ]
        .contains(&label)
        {
            // Not rows of `backtest`'s table (its `skipped` row gives the
            // reasons, its `losses past the stop` row both of the last two
            // in a sentence): checked against the JSON above.
            continue;
        }
        assert_eq!(Some(old.trim().to_string()), want(&ta), "{row}");
        assert_eq!(Some(new.to_string()), want(&tb), "{row}");
        compared += 1;
    }
    assert!(compared >= 8, "{human}");
}

/// A change to the ladder shows what a full losing cycle now risks as
/// planned (`check --explain`'s cycle risk, each backtest report's
/// `planned_cycle_risk`) among `diff --backtest`'s deltas; a change that
/// leaves the ladder alone does not list it.
#[test]
fn a_backtest_diff_shows_the_planned_cycle_risk_when_the_ladder_changes() {
    let range = ["--from", "2004-01-01", "--to", "2004-12-31"];
    let (a, b) = ("strategies/spx-mastery.vxs", "strategies/conservative.vxs");
    let (ra, rb) = (report(a, &range), report(b, &range));
    assert_eq!(ra["planned_cycle_risk"], "10300");
    assert_ne!(ra["planned_cycle_risk"], rb["planned_cycle_risk"]);
    let v = backtest_diff_json(a, b, &range);
    let plan: Vec<&serde_json::Value> = v["report"]
        .as_array()
        .expect("report deltas")
        .iter()
        .filter(|d| d["metric"] == "planned_cycle_risk")
        .collect();
    assert_eq!(
        plan,
        [&serde_json::json!({
            "metric": "planned_cycle_risk",
            "old": ra["planned_cycle_risk"],
            "new": rb["planned_cycle_risk"],
        })]
    );
    let mut args = vec!["diff", a, b, "--backtest"];
    args.extend_from_slice(&range);
    let human = crate::common::text(&vixshield(&args).stdout);
    let money = |v: &serde_json::Value| {
        vixshield::money::fmt_money(
            v.as_str()
                .expect("money as text")
                .parse()
                .expect("a decimal"),
        )
    };
    let line = human
        .lines()
        .find(|l| l.starts_with("  planned cycle risk "))
        .expect("its row");
    let (left, right) = line.split_once(" → ").expect("old → new");
    assert!(left.ends_with(&money(&ra["planned_cycle_risk"])), "{line}");
    assert!(
        right
            .trim_start()
            .starts_with(&money(&rb["planned_cycle_risk"])),
        "{line}"
    );

    // Only the hedge's allocation changed (in 2008, when its trigger
    // fired): the same ladder, no such delta.
    let text = std::fs::read_to_string(a).unwrap();
    let old = "allocation = 15% of size";
    assert!(text.contains(old));
    let file = tempfile::Builder::new().suffix(".vxs").tempfile().unwrap();
    std::fs::write(file.path(), text.replace(old, "allocation = 25% of size")).unwrap();
    let v = backtest_diff_json(
        a,
        file.path().to_str().unwrap(),
        &["--from", "2008-01-01", "--to", "2008-12-31"],
    );
    let metrics: Vec<&serde_json::Value> = v["report"]
        .as_array()
        .expect("report deltas")
        .iter()
        .map(|d| &d["metric"])
        .collect();
    assert!(
        metrics.contains(&&serde_json::json!("hedge_pnl")),
        "{metrics:?}"
    );
    assert!(
        !metrics.contains(&&serde_json::json!("planned_cycle_risk")),
        "{metrics:?}"
    );
}

/// A ratio with nothing in its numerator is 0, never -0: the profit factor
/// of a backtest without a winning condor (spx-mastery from 2018-01-16 to
/// 2018-02-06: one loss) showed `-0.00` in the table and `-0.0` in JSON,
/// and the hedge cost ratio of a strategy without hedges (aggressive) was
/// `-0.0`, which `sweep` ranked ahead of a true 0 whatever the variant order.
#[test]
fn ratios_of_nothing_are_zero_not_negative_zero() {
    let range = ["--from", "2018-01-16", "--to", "2018-02-06"];
    let r = report("strategies/spx-mastery.vxs", &range);
    assert_eq!(r["trades"], 1);
    assert_eq!(r["win_rate"], 0.0, "a condor, no win");
    let pf = r["profit_factor"]
        .as_f64()
        .expect("a loss, so a profit factor");
    assert!(pf == 0.0 && pf.is_sign_positive(), "{pf}");
    let mut args = vec!["backtest", "strategies/spx-mastery.vxs"];
    args.extend_from_slice(&range);
    let table = crate::common::text(&vixshield(&args).stdout);
    assert!(
        table.contains("\nprofit factor               0.00\n"),
        "{table}"
    );
    let r = report("strategies/aggressive.vxs", &["--to", "2001-12-31"]);
    let ratio = r["hedge_cost_to_credit"].as_f64().expect("a number");
    assert!(ratio == 0.0 && ratio.is_sign_positive(), "{ratio}");
    // Ranked by that ratio, a variant that trades without hedges (lim = 41)
    // comes before one that never trades (lim = 1, no credit: no ratio,
    // `null`, ranked last; it was 0 and took the tie by variant index).
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/strategies/aggressive.vxs"
    ))
    .expect("the strategy");
    let path = dir.path().join("lim.vxs");
    std::fs::write(
        &path,
        text.replace(
            "sizing {",
            "param lim = 40\n\nguards {\n    vix < lim\n}\n\nsizing {",
        ),
    )
    .expect("write");
    let out = vixshield(&[
        "sweep",
        path.to_str().expect("utf-8"),
        "--set",
        "lim=1..41:40",
        "--rank",
        "hedge_cost_to_credit",
        "--to",
        "2001-12-31",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let ranked: Vec<(u64, u64)> = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["variant"].as_u64().expect("variant"),
                r["metrics"]["trades"].as_u64().expect("trades"),
            )
        })
        .collect();
    assert_eq!(ranked.len(), 2);
    assert!(ranked[0].0 == 1 && ranked[0].1 > 0, "{ranked:?}");
    assert_eq!(ranked[1], (0, 0), "{ranked:?}");
}

/// An entry taken while a guard could not say is counted, by guard: the
/// bundled calendar marks the month whose CPI release date was never found
/// as unknown (`data/cpi-ppi-unknown.csv`: July 2002, when the June 2002 CPI
/// came out), so spx-mastery's blackout is unknown at entries of that month
/// it did not block (2002-07-12 and 2002-07-23) and before the CPI and PPI
/// calendar begins (2000-01-14 and 2000-01-13: the first entry, 2000-01-03),
/// and at none from 2003 to 2009, where every release date is known.
#[test]
fn entries_taken_with_a_guard_unknown_are_counted() {
    let early = report("strategies/spx-mastery.vxs", &["--to", "2002-12-31"]);
    let trades = early["trades"].as_u64().expect("trades");
    assert!(trades > 30);
    let unknown = early["entries_with_unknown_guard"]
        .as_u64()
        .expect("a count");
    assert!(unknown > 0 && unknown < trades, "{unknown} of {trades}");
    assert_eq!(
        early["unknown_guards"],
        serde_json::json!([{"guard": "no entry within 1d of FOMC, CPI, PPI", "entries": unknown}])
    );
    for (from, to) in [("2003-01-01", "2009-12-31"), ("2021-02-01", "2023-08-31")] {
        let covered = report("strategies/spx-mastery.vxs", &["--from", from, "--to", to]);
        assert!(covered["trades"].as_u64() > Some(10));
        assert_eq!(covered["entries_with_unknown_guard"], 0, "{from}..{to}");
        assert_eq!(covered["unknown_guards"], serde_json::json!([]));
    }

    let table = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--to",
        "2002-12-31",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!(
            "guards unknown              at {unknown} of {trades} entries, which went ahead"
        )),
        "{text}"
    );
}

/// A quick-ratio guard that scales a condor's size scales its hedge budgets
/// by the same fraction, `budget × allowed / asked`; on an account of
/// $10^15 a step-2 budget and size are each some $10^14, and their product
/// left a decimal's 28 digits: the backtest stopped with `after trade 2:
/// amount overflows the largest representable decimal`, though the scaled
/// budget is smaller than the budget. Found by fuzzing; it runs now, and its
/// money still adds up.
#[test]
fn a_guard_scaling_a_huge_hedge_budget_does_not_overflow() {
    let head = "strategy \"Huge\" {\n    version = 1.0.0\n    language = 1\n}\n\
         account {\n    capital = $1,000,000,000,000,000\n}\n";
    let cases: &[(&str, &[&str])] = &[
        (
            "entry {\n    underlying = SPX\n    dte = 120d\n    short_delta = 0.04..0.05\n    \
             wing_width = 5pt\n}\n\
             sizing {\n    base = 23.89% of equity\n    steps = 4\n    multiplier = 2.34x\n    \
             max_loss = 42% of credit\n}\n\
             hedge h0 {\n    instrument = etf_spread\n    dte = 35d..51d\n    \
             allocation = 51.5% of size\n}\n\
             guards {\n    quick_ratio >= 0.6 under 1 sigma\n}\n",
            &[
                "--put-skew",
                "0.087",
                "--call-skew",
                "0.104",
                "--hedge-otm",
                "0.62",
                "--spread-width",
                "1.58",
            ],
        ),
        // A budget of ten places (a size of equity, a roll): its product
        // with the size leaves 128 bits too.
        (
            "entry {\n    underlying = SPX\n    dte = 1d\n    short_delta = 0.25..0.34\n    \
             wing_width = 25pt\n}\n\
             sizing {\n    base = 29.47% of equity\n    steps = 10\n    multiplier = 1.6x\n    \
             max_loss = 42.11% of credit at steps 1..9\n    \
             max_loss = 100% of credit at step 10\n}\n\
             hedge h0 {\n    instrument = etf_spread\n    dte = 34d..109d\n    \
             allocation = 57.3% of size\n}\n\
             hedge h1 {\n    instrument = etf_spread\n    dte = 20d..106d\n    \
             allocation = 47.1% of size\n}\n\
             roll {\n    coefficient = 0.27\n}\n\
             guards {\n    quick_ratio >= 1.3 under 0 sigma\n}\n",
            &[
                "--commission",
                "0.01",
                "--call-skew",
                "0.097",
                "--vol-of-vol",
                "2.68",
                "--from",
                "2023-05-07",
            ],
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (n, (body, flags)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("huge{n}.vxs"));
        std::fs::write(&path, format!("{head}{body}")).expect("written");
        let r = report(path.to_str().expect("utf-8"), flags);
        assert!(r["trades"].as_u64().expect("trades") > 2, "{n}: {r}");
        let d = |k: &str| -> rust_decimal::Decimal { r[k].as_str().expect(k).parse().expect(k) };
        assert_eq!(
            d("final_equity"),
            rust_decimal::Decimal::new(1_000_000_000_000_000, 0) + d("net_pnl"),
            "{n}"
        );
    }
}

/// `--commission` is whole cents, as every amount the backtest writes: a
/// fraction of a cent ran, and left the costs, P&L and equity after it off
/// the cent (`--commission 0.655` on spx-mastery: a hedge cost of $79.235,
/// a final equity of $158,143.965). It is a usage error naming the flag in
/// every command that takes it; trailing zeros (`0.650`) are whole cents.
#[test]
fn commission_in_fractions_of_a_cent_is_a_usage_error() {
    let s = "strategies/spx-mastery.vxs";
    for command in [
        &["backtest", s][..],
        &["risk", s, "--backtest"],
        &["diff", s, "strategies/conservative.vxs", "--backtest"],
    ] {
        for value in ["0.655", "$0.001", "9.999"] {
            let arg = format!("--commission={value}");
            let mut args = command.to_vec();
            args.push(&arg);
            let out = vixshield(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(&format!("'{value}'"))
                    && err.contains("--commission")
                    && err.contains("whole cents"),
                "{args:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
    let r = report(
        s,
        &[
            "--from",
            "2020-01-01",
            "--to",
            "2020-12-31",
            "--commission",
            "0.650",
        ],
    );
    let d = report(s, &["--from", "2020-01-01", "--to", "2020-12-31"]);
    assert_eq!(r["final_equity"], d["final_equity"]);
}

/// Every assumption flag is range-checked when the command line is read,
/// in each command that takes them (backtest, risk, sweep, diff): NaN,
/// infinities, negatives and values the model gives no meaning are usage
/// errors (exit 2) naming the flag, the value and the range, before any
/// work. They used to run and report garbage with exit 0 (`--call-skew NaN`:
/// final equity −$15,396; `--commission=-100`: a 100% win rate).
#[test]
fn assumption_flags_out_of_range_are_usage_errors() {
    let cases: &[(&str, &str, &str)] = &[
        ("--commission", "-100", "from $0 to $10"),
        ("--commission", "10.01", "from $0 to $10"),
        ("--commission", "abc", "not an amount"),
        ("--slippage", "NaN", "from 0 to 1"),
        ("--slippage", "-0.01", "from 0 to 1"),
        ("--put-skew", "1e308", "from -0.2 to 0.2"),
        ("--put-skew", "-inf", "from -0.2 to 0.2"),
        ("--call-skew", "NaN", "from -0.2 to 0.2"),
        ("--vol-of-vol", "inf", "from 0.2 to 3"),
        ("--vol-of-vol", "0", "from 0.2 to 3"),
        ("--hedge-otm", "0", "from 0.5 to 3"),
        ("--hedge-otm", "NaN", "from 0.5 to 3"),
        ("--spread-width", "0.5", "above 1 and at most 3"),
        ("--spread-width", "1", "above 1 and at most 3"),
        ("--spread-width", "3.5", "above 1 and at most 3"),
    ];
    let s = "strategies/spx-mastery.vxs";
    let commands: &[&[&str]] = &[
        &["backtest", s],
        &["risk", s, "--backtest"],
        &[
            "sweep",
            "tests/fixtures/strategies/spx-mastery-params.vxs",
            "--set",
            "mult=1.6x",
        ],
        &["diff", s, "strategies/conservative.vxs", "--backtest"],
    ];
    for command in commands {
        for (flag, value, range) in cases {
            let arg = format!("{flag}={value}");
            let mut args = command.to_vec();
            args.push(&arg);
            let out = vixshield(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(&format!("'{value}'")) && err.contains(flag) && err.contains(range),
                "{args:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
    // The ends of each range are accepted, with or without `=`.
    let ok = report(
        s,
        &[
            "--from",
            "2020-01-01",
            "--to",
            "2020-03-31",
            "--commission",
            "0",
            "--slippage",
            "1",
            "--put-skew",
            "-0.2",
            "--call-skew",
            "0.2",
            "--vol-of-vol",
            "3",
            "--hedge-otm",
            "0.5",
            "--spread-width",
            "3",
        ],
    );
    assert!(ok["trades"].as_u64().is_some());
}

/// A hedge spread's short strike is at least one VIX point above its long
/// one, however near 1 the width: `--spread-width 1.01` used to round to a
/// spread of nothing, bought by the thousand for its commission.
#[test]
fn hedge_spreads_are_at_least_one_point_wide() {
    let config = vixshield::backtest::Config {
        spread_width: 1.01,
        ..vixshield::backtest::Config::default()
    };
    let (bt, _) = library_backtest("strategies/spx-mastery.vxs", &config);
    let spreads: Vec<_> = bt
        .trades
        .iter()
        .flat_map(|t| &t.hedges)
        .filter_map(|h| h.short_strike.map(|k| (h.strike, k)))
        .collect();
    assert!(!spreads.is_empty(), "spx-mastery buys VIX futures spreads");
    for (long, short) in spreads {
        assert!(short >= long + 1.0, "{long}/{short}");
    }
}

/// The dates of a bundled data file's rows (its first column, ISO).
fn data_dates(file: &str) -> std::collections::BTreeSet<String> {
    std::fs::read_to_string(format!("{}/data/{file}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.get(..10))
        .filter(|d| d.starts_with("19") || d.starts_with("20"))
        .map(str::to_string)
        .collect()
}

/// The backtest's trades (`--trades`), each row by column name.
fn trades_of(strategy: &str, extra: &[&str]) -> Vec<std::collections::HashMap<String, String>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("trades.csv");
    let mut args = vec![
        "backtest",
        strategy,
        "--trades",
        path.to_str().unwrap_or_default(),
    ];
    args.extend_from_slice(extra);
    let out = vixshield(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Days in the VIX file only (US market holidays VIX printed on from 2022,
/// and the national days of mourning 2004-06-11 and 2025-01-09) carry SPX's
/// last close: no SPX option trades then, so no condor is entered or closed
/// on one. Condors were opened on 2022-07-04, 2024-07-04, 2025-01-20 and
/// 2025-06-19 and one closed on 2025-05-26, at the stale close.
#[test]
fn no_condor_is_entered_or_closed_on_a_day_spx_did_not_trade() {
    let (spx, vix) = (data_dates("spx-daily.csv"), data_dates("vix-daily.csv"));
    let carried: Vec<&String> = vix
        .iter()
        .filter(|d| !spx.contains(*d) && d.as_str() > "2000-01-03" && d.as_str() < "2025-08-15")
        .collect();
    for holiday in [
        "2022-07-04",
        "2024-07-04",
        "2025-01-20",
        "2025-05-26",
        "2025-06-19",
    ] {
        assert!(carried.iter().any(|d| *d == holiday), "{holiday}");
    }
    for strategy in [
        "strategies/spx-mastery.vxs",
        "strategies/aggressive.vxs",
        "strategies/conservative.vxs",
        "strategies/spx-theta.vxs",
    ] {
        let trades = trades_of(strategy, &[]);
        assert!(trades.len() > 300, "{strategy}");
        for t in &trades {
            for key in ["entry", "exit"] {
                let day = t.get(key).cloned().unwrap_or_default();
                assert!(
                    spx.contains(&day),
                    "{strategy}: {key} {day} has no SPX close: {t:?}"
                );
            }
        }
    }
    // A range of carried days only has no day to trade on.
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2022-07-02",
        "--to",
        "2022-07-04",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no market data with both SPX and VIX"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `diff --backtest` pairs condors by number: one that entered on another
/// day is listed with both dates even when its step and size agree, and the
/// condors only the longer backtest has are listed with the other side
/// blank.
#[test]
fn a_backtest_diff_shows_moved_entries_and_condors_one_side_lacks() {
    let (a, b) = ("strategies/spx-mastery.vxs", "strategies/conservative.vxs");
    let range = ["--to", "2003-12-31"];
    let count = |s: &str| report(s, &range)["trades"].as_u64().expect("a count") as usize;
    let (na, nb) = (count(a), count(b));
    assert_ne!(
        na, nb,
        "the two strategies trade a different number of condors"
    );
    let v = backtest_diff_json(a, b, &range);
    let changed = v["changed"].as_array().expect("changed");
    let alike: Vec<&serde_json::Value> = changed
        .iter()
        .filter(|c| c["old_step"] == c["new_step"] && c["old_size"] == c["new_size"])
        .collect();
    assert!(
        alike.iter().any(|c| c["new_date"].is_string()),
        "some condors differ by their day with the same step and size"
    );
    for c in &alike {
        // Listed for a new day, or, entered alike, for its exit or hedges.
        let outcome = |side: &str| {
            ["exit", "pnl", "hedge_premium", "hedge_pnl"].map(|k| c[format!("{side}_{k}")].clone())
        };
        assert!(
            (c["new_date"].is_string() && c["new_date"] != c["date"])
                || outcome("old") != outcome("new"),
            "a condor listed with the same step and size names its new day or its other outcome: {c}"
        );
    }
    let one_sided: Vec<u64> = changed
        .iter()
        .filter(|c| c["old_step"].is_null() || c["new_step"].is_null())
        .filter_map(|c| c["trade"].as_u64())
        .collect();
    let want: Vec<u64> = (na.min(nb) as u64 + 1..=na.max(nb) as u64).collect();
    assert_eq!(one_sided, want);
    // A date range belongs to backtests: with a journal it is a usage error.
    let journal = vixshield(&[
        "diff",
        a,
        b,
        "--journal",
        "tests/fixtures/journals/progression.csv",
        "--to",
        "2003-12-31",
    ]);
    assert_eq!(journal.status.code(), Some(2));
    assert!(journal.stdout.is_empty());
}

/// `path` backtested on the bundled data through the library, with `config`.
fn library_backtest(
    path: &str,
    config: &vixshield::backtest::Config,
) -> (vixshield::backtest::Backtest, vixshield::model::Strategy) {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .expect("the strategy");
    library_backtest_source(path, text, config)
}

/// A strategy's `text` (named `path`) backtested as [`library_backtest`] does.
fn library_backtest_source(
    path: &str,
    text: String,
    config: &vixshield::backtest::Config,
) -> (vixshield::backtest::Backtest, vixshield::model::Strategy) {
    use vixshield::check::{Env, check_source};
    use vixshield::eval::MarketValues;
    use vixshield::market::{Calendar, Market};
    use vixshield::source::SourceFile;
    let s = check_source(&SourceFile::new(path, text), &Env::default())
        .strategy
        .expect("it checks");
    let c = vixshield::compile::compile(&s, &[]).expect("it compiles");
    let (m, cal) = (
        Market::bundled().expect("market"),
        Calendar::bundled().expect("calendar"),
    );
    let values = MarketValues::compute(&c.graph, &m, &cal, None).expect("values");
    let bt = vixshield::backtest::run(&s, &c, &m, &values, config, |_, _| {}).expect("it runs");
    (bt, s)
}

/// Options expire on a trading day: the last day with a real SPX close on
/// or before entry + DTE (a Saturday or Sunday expiry was settled at the next
/// trading day's close, after expiry: 171 of 377 expiries fell on a weekend),
/// condors and VIX hedges alike. Past the data's last SPX close (condors
/// entered in its last weeks), a weekend goes back to the Friday.
#[test]
fn options_expire_on_the_last_trading_day_on_or_before_entry_plus_dte() {
    use chrono::{Datelike, NaiveDate};
    use vixshield::backtest::{Config, ExitReason};
    let spx: std::collections::BTreeSet<NaiveDate> = data_dates("spx-daily.csv")
        .iter()
        .filter_map(|d| d.parse().ok())
        .collect();
    let last = spx.last().copied().expect("SPX closes");
    // The expiry an option bought on `from` for `days` days must have.
    let expiry = |from: NaiveDate, days: u64| {
        let nominal = from + chrono::Days::new(days);
        if nominal <= last {
            spx.range(..=nominal).next_back().copied()
        } else {
            Some(match nominal.weekday() {
                chrono::Weekday::Sat => nominal - chrono::Days::new(1),
                chrono::Weekday::Sun => nominal - chrono::Days::new(2),
                _ => nominal,
            })
        }
    };
    for path in [
        "strategies/spx-mastery.vxs",
        "strategies/aggressive.vxs",
        "strategies/conservative.vxs",
    ] {
        let (bt, s) = library_backtest(path, &Config::default());
        assert!(bt.trades.len() > 300, "{path}");
        let mut weekends = 0;
        for t in &bt.trades {
            let nominal = t.entry + chrono::Days::new(u64::from(s.entry.dte));
            weekends += usize::from(nominal.weekday().number_from_monday() > 5);
            assert_eq!(
                Some(t.expiry),
                expiry(t.entry, u64::from(s.entry.dte)),
                "{path}: {t:?}"
            );
            assert!(t.exit <= t.expiry, "{path}: exit after expiry: {t:?}");
            assert!(spx.contains(&t.exit), "{path}: exit on no SPX close: {t:?}");
            assert!(
                spx.contains(&t.expiry) || t.expiry > last,
                "{path}: expiry on no SPX close: {t:?}"
            );
            if t.exit_reason == ExitReason::Expiry {
                assert_eq!(t.exit, t.expiry, "{path}: settled on its expiry: {t:?}");
            }
            for h in &t.hedges {
                let layer = s
                    .hedges
                    .iter()
                    .find(|l| l.name == h.layer)
                    .expect("its layer");
                let days = (f64::from(layer.dte.0) + f64::from(layer.dte.1)) / 2.0;
                assert_eq!(
                    Some(h.expiry),
                    expiry(t.entry, days.round() as u64),
                    "{path}: {h:?}"
                );
                assert!(
                    spx.contains(&h.expiry) || h.expiry > last,
                    "{path}: hedge expiry on no SPX close: {h:?}"
                );
            }
        }
        assert!(
            weekends > 50,
            "{path}: {weekends} nominal expiries on a weekend"
        );
    }
    // The auditor's case: entered Thursday 2017-09-21, 45 days ahead is
    // Sunday 2017-11-05; it expires and settles on Friday 2017-11-03 (it
    // was settled on Monday 2017-11-06, at that day's close).
    let trades = trades_of(
        "strategies/spx-mastery.vxs",
        &["--from", "2017-09-21", "--to", "2017-11-10"],
    );
    let first = trades.first().cloned().unwrap_or_default();
    let get = |k: &str| first.get(k).map_or("", String::as_str);
    assert_eq!(
        (get("entry"), get("expiry"), get("exit"), get("exit_reason")),
        ("2017-09-21", "2017-11-03", "2017-11-03", "expiry"),
        "{first:?}"
    );
}

/// A hedge that would expire on the day it is bought (a 1d layer bought on a
/// Friday: its Saturday expiry goes back to that Friday) has no time left and
/// is not bought. It was bought at its intrinsic value, nothing for a call
/// 20% out of the money, so the budget bought commissions (1,538 calls for
/// $1,000), and settled at the next trading day's VIX, after its expiry: the
/// condor entered on Friday 2011-08-05 (VIX 32) made $1,537,000.30 on its
/// "hedge" from Monday's VIX of 48, and the whole run $2.78 million on a
/// $1 million account.
#[test]
fn a_hedge_that_would_expire_on_its_entry_day_is_not_bought() {
    use chrono::{Datelike, NaiveDate};
    use rust_decimal::Decimal;
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/strategies/tasty-16-delta.vxs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the strategy")
        + "hedge overnight {\n    instrument = vix_calls\n    dte = 1d\n    \
           allocation = 10% of size\n    active = from step 1\n}\n";
    let (bt, _) = library_backtest_source(
        "overnight.vxs",
        text,
        &vixshield::backtest::Config::default(),
    );
    assert!(bt.trades.len() > 300);
    let (mut fridays, mut bought) = (0, 0);
    for t in &bt.trades {
        for h in &t.hedges {
            assert!(h.expiry > t.entry, "bought as it expires: {t:?}");
        }
        if t.entry.weekday() == chrono::Weekday::Fri {
            fridays += 1;
            assert!(t.hedges.is_empty(), "{t:?}");
            assert_eq!(t.hedge_pnl, Decimal::ZERO, "{t:?}");
        } else {
            bought += usize::from(!t.hedges.is_empty());
        }
    }
    assert!(fridays > 50, "{fridays} condors entered on a Friday");
    assert!(
        bought > 200,
        "the other days still buy their hedge: {bought}"
    );
    let day = NaiveDate::from_ymd_opt(2011, 8, 5);
    let t = bt
        .trades
        .iter()
        .find(|t| Some(t.entry) == day)
        .expect("a condor entered on 2011-08-05");
    assert_eq!(t.hedge_pnl, Decimal::ZERO, "{t:?}");
}

/// The books balance, exactly: initial capital + net P&L = final equity, and
/// the trades' condor and hedge P&L sum to the net P&L. At the end of the
/// data the open condor's P&L was its mark less the closed equity and the
/// hedges' realized P&L, which already held the open hedges' mark; the
/// hedges were then valued again (on VIX alone) and booked as hedge P&L too:
/// the full run reported $58,512.33 of net P&L beside a final equity of
/// $158,646.35. Now the last day closes the condor at its own mark and its
/// hedges once, as any exit does.
#[test]
fn capital_plus_net_pnl_is_the_final_equity() {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    use vixshield::backtest::{Config, ExitReason, report};
    let date = |d: &str| chrono::NaiveDate::from_str(d).ok();
    let windows: &[(Option<&str>, Option<&str>)] = &[
        (None, None),
        // A condor and a VIX call open at the end.
        (Some("2000-11-10"), Some("2000-11-20")),
        // A condor closed the day before the last, when a new one would
        // open on the last day.
        (Some("2022-06-01"), Some("2022-07-08")),
        (Some("2008-09-01"), Some("2008-10-20")),
        (Some("2020-02-01"), Some("2020-03-20")),
        (Some("2017-09-21"), Some("2017-11-10")),
    ];
    for path in [
        "strategies/spx-mastery.vxs",
        "strategies/aggressive.vxs",
        "strategies/conservative.vxs",
    ] {
        for (from, to) in windows {
            let config = Config {
                from: from.and_then(date),
                to: to.and_then(date),
                ..Config::default()
            };
            let (bt, s) = library_backtest(path, &config);
            let r = report::report(&bt, s.account.capital);
            let sum: Decimal = bt.trades.iter().map(|t| t.pnl + t.hedge_pnl).sum();
            assert_eq!(sum, r.net_pnl, "{path} {from:?}..{to:?}");
            assert_eq!(
                s.account.capital + r.net_pnl,
                r.final_equity,
                "{path} {from:?}..{to:?}"
            );
            let last = bt.days.last().expect("days");
            assert_eq!(last.equity, last.closed_equity, "{path} {from:?}..{to:?}");
            // Nothing enters on the last day: it could only close at once,
            // at its entry's mark, a round trip of costs (2022-07-08 had a
            // spx-mastery condor for -$45.20 that way).
            assert!(
                bt.trades.iter().all(|t| t.entry < last.date),
                "{path} {from:?}..{to:?}: {:?}",
                bt.trades.last().map(|t| (t.entry, t.exit, t.pnl))
            );
            let ends = bt
                .trades
                .iter()
                .filter(|t| t.exit_reason == ExitReason::EndOfData)
                .count();
            assert!(ends <= 1, "{path} {from:?}..{to:?}");
        }
    }
    // The auditor's window: the condor's P&L is its own mark on 2000-11-20
    // (the independent simulator gives the same), the VIX call's its mark
    // less its cost and the commission to sell it.
    let trades = trades_of(
        "strategies/spx-mastery.vxs",
        &["--from", "2000-11-10", "--to", "2000-11-20"],
    );
    let first = trades.first().cloned().unwrap_or_default();
    let get = |k: &str| first.get(k).map_or("", String::as_str);
    assert_eq!(
        (
            get("exit"),
            get("pnl"),
            get("hedge_pnl"),
            get("exit_reason")
        ),
        ("2000-11-20", "129.78", "-61.44", "end_of_data"),
        "{first:?}"
    );
    // What a user sees: the JSON report and the trades file agree.
    let r = report("strategies/spx-mastery.vxs", &[]);
    let dec = |v: &serde_json::Value| Decimal::from_str(v.as_str().unwrap_or("x")).ok();
    let (net, fin) = (dec(&r["net_pnl"]), dec(&r["final_equity"]));
    assert!(net.is_some(), "{}", r["net_pnl"]);
    assert_eq!(net.map(|n| n + Decimal::from(100_000)), fin);
    let sum: Decimal = trades_of("strategies/spx-mastery.vxs", &[])
        .iter()
        .map(|t| {
            let d = |k: &str| t.get(k).and_then(|x| Decimal::from_str(x).ok());
            d("pnl").unwrap_or_default() + d("hedge_pnl").unwrap_or_default()
        })
        .sum();
    assert_eq!(Some(sum), net);
}

/// A backtest without a condor has no win rate: `-` in the table and `null`
/// in JSON, as the per-year rows and the profit factor show it (it said
/// 0.00%, as if every condor had lost), and its exits say `none`. On
/// 2020-04-28 spx-mastery's one entry falls in the FOMC blackout (the
/// meeting of 2020-04-29), the last day takes no entry.
#[test]
fn a_backtest_without_a_condor_has_no_win_rate() {
    let range = ["--from", "2020-04-28", "--to", "2020-04-29"];
    let r = report("strategies/spx-mastery.vxs", &range);
    assert_eq!(r["trades"], 0);
    assert_eq!(r["skipped"], 1);
    assert_eq!(r["win_rate"], serde_json::Value::Null);
    let mut args = vec!["backtest", "strategies/spx-mastery.vxs"];
    args.extend_from_slice(&range);
    let out = vixshield(&args);
    assert_eq!(out.status.code(), Some(0));
    let table = crate::common::text(&out.stdout);
    assert!(
        table.contains("\nwin rate                    -\n"),
        "{table}"
    );
    assert!(
        table.contains("\nexits                       none\n"),
        "{table}"
    );
}

/// `underlying = XSP` (the Mini-SPX index, a tenth of SPX, $1 strikes) is
/// priced at SPX/10 on a 1-point grid with `wing_width` in XSP points: an
/// XSP condor with a tenth of the SPX one's wing gets a tenth of its
/// strikes (up to the grids' rounding) and of its credit per contract, and
/// is marked and settled on XSP (it can never lose more than its wings). It
/// was priced as an SPX condor: SPX strikes, a 5-point grid, SPX credits.
#[test]
fn an_xsp_condor_is_priced_at_a_tenth_of_spx_on_a_one_point_grid() {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;
    use vixshield::backtest::Config;
    let spx_text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/strategies/tasty-16-delta.vxs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the strategy");
    assert!(spx_text.contains("underlying = SPX") && spx_text.contains("wing_width = 50pt"));
    let xsp_text = spx_text
        .replace("underlying = SPX", "underlying = XSP")
        .replace("wing_width = 50pt", "wing_width = 5pt");
    let config = Config::default();
    let (spx, _) = library_backtest_source("spx.vxs", spx_text, &config);
    let (xsp, _) = library_backtest_source("xsp.vxs", xsp_text, &config);
    assert!(xsp.trades.len() > 250, "{}", xsp.trades.len());
    let f = |d: Decimal| d.to_f64().unwrap_or(f64::NAN);
    let mut same_day = 0;
    for x in &xsp.trades {
        let strikes = [x.long_put, x.short_put, x.short_call, x.long_call];
        assert!(
            strikes.iter().all(|k| k.fract() == 0.0),
            "$1 strikes: {x:?}"
        );
        assert_eq!(
            (x.short_put - x.long_put, x.long_call - x.short_call),
            (5.0, 5.0)
        );
        // Around XSP (SPX/10), never at SPX's level.
        let level = x.spx_entry / 10.0;
        assert!(x.short_put < level && x.short_call > level, "{x:?}");
        assert!(
            x.short_put > level * 0.5 && x.short_call < level * 2.0,
            "{x:?}"
        );
        // Marked and settled on XSP: a loss never passes the wings (5
        // points × $100 a contract) and the round trip's commissions.
        let worst = f64::from(x.contracts) * (5.0 * 100.0 + 8.0 * 0.65);
        assert!(f(x.pnl) >= -worst, "{x:?}");
        let Some(s) = spx.trades.iter().find(|s| s.entry == x.entry) else {
            continue;
        };
        same_day += 1;
        for (k, ks) in [(x.short_put, s.short_put), (x.short_call, s.short_call)] {
            assert!((k - ks / 10.0).abs() <= 1.0, "{x:?}\n{s:?}");
        }
        let ratio = f(x.credit) / f(s.credit);
        assert!((0.08..=0.12).contains(&ratio), "{ratio}: {x:?}\n{s:?}");
    }
    assert!(same_day > 50, "{same_day} condors entered on the same day");
    let first = (&xsp.trades[0], &spx.trades[0]);
    assert_eq!(first.0.entry, first.1.entry);
}

/// A condor that would expire on its entry day (a 1d condor entered on a
/// Friday: its Saturday expiry goes back to that Friday) is skipped for that
/// reason, as a hedge in that case is not bought; it was skipped as "no
/// credit for a 0.16-delta condor", priced at its intrinsic value.
#[test]
fn a_condor_that_would_expire_on_its_entry_day_says_so() {
    use chrono::Datelike;
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/strategies/tasty-16-delta.vxs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the strategy");
    assert!(text.contains("dte = 45d"));
    let text = text.replace("dte = 45d", "dte = 1d");
    let (bt, _) = library_backtest_source(
        "overnight.vxs",
        text,
        &vixshield::backtest::Config::default(),
    );
    let on_friday: Vec<_> = bt
        .skips
        .iter()
        .filter(|s| s.date.weekday() == chrono::Weekday::Fri)
        .collect();
    assert!(on_friday.len() > 100, "{} Friday skips", on_friday.len());
    for s in &on_friday {
        assert_eq!(
            s.reason,
            format!(
                "a 1d condor entered on {} would expire on its entry day",
                s.date
            ),
            "{s:?}"
        );
    }
    for s in &bt.skips {
        assert!(!s.reason.contains("no credit"), "{s:?}");
    }
    for t in &bt.trades {
        assert!(t.expiry > t.entry, "{t:?}");
    }
}

/// A skip below one contract names the step's max loss as the strategy
/// gives it: 66.6% of the credit read "67%" (rounded to a whole percent),
/// which a spreadsheet does not give back the dollar figure from (found by
/// the spreadsheet audit).
#[test]
fn a_skip_below_one_contract_names_the_max_loss_as_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tasty = std::fs::read_to_string(format!(
        "{}/tests/fixtures/strategies/tasty-16-delta.vxs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the strategy");
    let small = tasty
        .replace("base = $10,000", "base = $100")
        .replace("max_loss = 100% of credit", "max_loss = 66.6% of credit");
    let path = dir.path().join("small.vxs");
    std::fs::write(&path, &small).expect("write");
    let r = report(path.to_str().unwrap_or_default(), &["--to", "2000-03-31"]);
    let why = r["skipped_by"][0]["first_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(why.contains(" (66.6% of a $"), "{why}");
}

/// The report says why entries were skipped: by kind of reason (numbers
/// apart), each with its count and its first and last day, in JSON
/// (`skipped_by`) and in the table under the trades line. It gave only the
/// count ("trades 224 (2598 entries skipped)").
#[test]
fn the_report_counts_skipped_entries_by_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tasty = std::fs::read_to_string(format!(
        "{}/tests/fixtures/strategies/tasty-16-delta.vxs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the strategy");
    // Too small for a 50-point condor at most steps; a 1d condor entered on
    // a Friday would expire that day.
    let small = tasty
        .replace("capital = $1,000,000", "capital = $50,000")
        .replace(
            "base = $10,000\n    steps = 1",
            "base = 2% of capital\n    steps = 5\n    multiplier = 2x\n    layer_cap = 8% of capital",
        );
    let overnight = tasty.replace("dte = 45d", "dte = 1d");
    let (small_path, overnight_path) = (dir.path().join("small.vxs"), dir.path().join("1d.vxs"));
    std::fs::write(&small_path, &small).expect("write");
    std::fs::write(&overnight_path, &overnight).expect("write");
    let (small_path, overnight_path) = (
        small_path.to_str().unwrap_or_default(),
        overnight_path.to_str().unwrap_or_default(),
    );
    let reasons = |r: &serde_json::Value| -> Vec<(String, u64)> {
        let by = r["skipped_by"].as_array().cloned().unwrap_or_default();
        let sum: u64 = by.iter().filter_map(|c| c["entries"].as_u64()).sum();
        assert_eq!(Some(sum), r["skipped"].as_u64(), "{by:?}");
        for c in &by {
            let (first, last) = (c["first"].as_str(), c["last"].as_str());
            assert!(first.is_some() && first <= last, "{c}");
        }
        by.iter()
            .map(|c| {
                let reason = c["reason"].as_str().unwrap_or_default().to_string();
                (reason, c["entries"].as_u64().unwrap_or_default())
            })
            .collect()
    };
    let r = report(small_path, &[]);
    let by = reasons(&r);
    assert!(r["skipped"].as_u64() > Some(1000), "{}", r["skipped"]);
    assert_eq!(
        by.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["size below one contract's max loss"],
        "{by:?}"
    );
    let r = report("strategies/spx-mastery.vxs", &[]);
    assert_eq!(
        reasons(&r),
        [(
            "blocked by guard `no entry within 1d of FOMC, CPI, PPI`".to_string(),
            187
        )]
    );
    let r = report(overnight_path, &[]);
    let by = reasons(&r);
    assert!(
        by.iter()
            .any(|(k, n)| k == "would expire on its entry day" && *n > 100),
        "{by:?}"
    );
    // The table: a line for each kind under the trades line.
    let out = vixshield(&["backtest", small_path]);
    let table = crate::common::text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("trades "))
        .expect("the trades line");
    let next = lines.get(at + 1).copied().unwrap_or_default();
    assert!(
        next.starts_with("skipped ") && next.contains(" size below one contract's max loss, 2000-"),
        "{table}"
    );
    // With the numbers of its first skip, which the JSON gives too, and
    // what to change: the kind alone left a small account's user guessing.
    let r = report(small_path, &[]);
    let first = &r["skipped_by"][0];
    let why = first["first_reason"].as_str().unwrap_or_default();
    let dollars: Vec<f64> = why
        .split('$')
        .skip(1)
        .map(|m| {
            let number: String = m
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
                .filter(|c| *c != ',')
                .collect();
            number.trim_end_matches('.').parse().unwrap()
        })
        .collect();
    assert!(
        why.starts_with("size $") && why.contains(" is below one contract's max loss $"),
        "{why}"
    );
    // size < max loss = the strategy's max_loss (100%) of the credit.
    let [size, max_loss, credit] = dollars[..] else {
        panic!("{why}")
    };
    assert!(size < max_loss, "{why}");
    assert!(why.contains("(100% of a $"), "{why}");
    assert!((max_loss - credit).abs() < 0.01, "{why}");
    assert_eq!(
        lines.get(at + 2).copied().unwrap_or_default().trim(),
        format!(
            "first on {}: {why}",
            first["first"].as_str().unwrap_or_default()
        ),
        "{table}"
    );
    assert!(
        lines.get(at + 3).copied().unwrap_or_default().contains(
            "raise `capital` or `base`, narrow `wing_width`, or trade XSP (`underlying = XSP`"
        ),
        "{table}"
    );
    // A guard's skip names the guard already: no such lines.
    let out = vixshield(&["backtest", "strategies/spx-mastery.vxs"]);
    let table = crate::common::text(&out.stdout);
    assert!(!table.contains("first on "), "{table}");
}

/// `--trades FILE.json` writes the trades as JSON (it wrote CSV whatever the
/// name): the same fields and values as the CSV, whole numbers and prices as
/// numbers, money as text as everywhere in vixshield's JSON.
#[test]
fn a_trades_file_named_json_is_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv_path, json_path) = (dir.path().join("t.csv"), dir.path().join("t.JSON"));
    for path in [&csv_path, &json_path] {
        let out = vixshield(&[
            "backtest",
            "strategies/spx-mastery.vxs",
            "--to",
            "2002-12-31",
            "--trades",
            path.to_str().expect("utf-8"),
        ]);
        assert_eq!(out.status.code(), Some(0));
    }
    let mut csv = csv::Reader::from_path(&csv_path).expect("csv");
    let headers = csv.headers().expect("headers").clone();
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("a row")).collect();
    let json: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&json_path).expect("json file")).expect("json");
    assert!(rows.len() > 40, "{}", rows.len());
    assert_eq!(json.len(), rows.len());
    for (row, object) in rows.iter().zip(&json) {
        // The CSV's columns, and the condor's hedges (JSON only).
        assert_eq!(
            object.as_object().expect("an object").len(),
            headers.len() + 1
        );
        assert!(object["hedges"].is_array(), "{object}");
        for (name, text) in headers.iter().zip(row) {
            let v = &object[name];
            match name {
                "trade" | "contracts" | "step" => {
                    assert_eq!(v.as_u64().map(|n| n.to_string()).as_deref(), Some(text))
                }
                "spx_entry" | "vix_entry" | "long_put" | "short_put" | "short_call"
                | "long_call" => {
                    let n = v.as_f64().expect("a number");
                    assert_eq!(Some(n), text.parse::<f64>().ok(), "{name}");
                }
                _ => assert_eq!(v.as_str(), Some(text), "{name}"),
            }
        }
    }
}

/// A range of one trading day in the FOMC blackout takes no condor:
/// `hedge_cost_to_credit` is `null` there, as `win_rate` is and as `run --summary`'s is without a
/// credit (it was 0.0, which `sweep --rank hedge_cost_to_credit` ranked
/// first among variants that do trade); the table shows `-`.
#[test]
fn hedge_cost_to_credit_is_null_without_a_condor() {
    let range = ["--from", "2020-01-28", "--to", "2020-01-28"];
    let mut args = vec!["backtest", "strategies/spx-mastery.vxs", "--format", "json"];
    args.extend(range);
    let out = vixshield(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["trades"], 0);
    assert!(v["win_rate"].is_null(), "{v}");
    assert!(v["hedge_cost_to_credit"].is_null(), "{v}");
    let mut args = vec!["backtest", "strategies/spx-mastery.vxs"];
    args.extend(range);
    let table = crate::common::text(&vixshield(&args).stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("hedge cost to credit") && l.trim_end().ends_with(" -")),
        "{table}"
    );
}

/// A backtest that takes no condor has daily returns that never vary: its
/// Sharpe and Sortino ratios have no value and are `null` (the table `-`);
/// they were 0.00, which `sweep --rank sharpe` ranked above every variant
/// with a negative ratio. A range with losing days has both.
#[test]
fn sharpe_and_sortino_are_null_without_a_condor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/strategies/spx-mastery.vxs"
    ))
    .expect("the strategy");
    let path = dir.path().join("never.vxs");
    // A guard no day passes: VIX was never below 1.
    std::fs::write(&path, text.replacen("guards {", "guards {\n    vix < 1", 1)).expect("write");
    let path = path.to_str().expect("utf-8");
    let range = ["--from", "2019-01-01", "--to", "2019-12-31"];
    let v = report(path, &range);
    assert_eq!(v["trades"], 0, "{v}");
    assert!(v["sharpe"].is_null(), "{v}");
    assert!(v["sortino"].is_null(), "{v}");
    let mut args = vec!["backtest", path];
    args.extend(range);
    let table = crate::common::text(&vixshield(&args).stdout);
    for name in ["Sharpe", "Sortino"] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(name) && l.trim_end().ends_with(" -")),
            "{name}: {table}"
        );
    }
    let v = report("strategies/spx-mastery.vxs", &range);
    assert!(v["trades"].as_u64() > Some(0), "{v}");
    assert!(v["sharpe"].as_f64().is_some_and(f64::is_finite), "{v}");
    assert!(v["sortino"].as_f64().is_some_and(f64::is_finite), "{v}");
}

#[test]
fn worst_cycles_say_trade_for_one_trade() {
    // A cycle won at step 1 is one trade: "1 trade", not "1 trades".
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2021-01-01",
        "--to",
        "2021-12-31",
        "--worst",
        "40",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("   1 trade, max step 1"), "{text}");
    assert!(!text.contains(" 1 trades"), "{text}");
}

#[test]
fn a_backtest_without_a_condor_says_so_instead_of_an_empty_list() {
    // A $100 base is below one contract's max loss: no entry, no cycle.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tiny.vxs");
    let text = std::fs::read_to_string("strategies/spx-mastery.vxs").expect("read");
    assert!(text.contains("base = 1% of capital"));
    std::fs::write(&path, text.replace("base = 1% of capital", "base = $100")).expect("write");
    let path = path.display().to_string();
    let out = vixshield(&[
        "backtest",
        &path,
        "--from",
        "2021-01-01",
        "--to",
        "2021-03-31",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("trades                      0 ("), "{text}");
    assert!(
        text.contains("\nno cycles: no condor was traded\n"),
        "{text}"
    );
    assert!(!text.contains("worst 0 of 0"), "{text}");
}

/// The bundled FOMC calendar holds the scheduled meetings only: the
/// unscheduled meetings and conference calls (`data/fomc-unscheduled.csv`)
/// no one could know of the day before, and some were public only in the
/// minutes, so a blackout that counted them avoided their eves with
/// hindsight (it did). The 2008 cycle docs/backtest.md describes shows it: the step-3
/// condor is entered on 2008-10-07 and stopped out, and the ladder goes to
/// step 4; counting the unscheduled calls, the call of 2008-10-07 blocked
/// that day, and the condor entered on 2008-10-08 reached its target.
#[test]
fn the_blackout_knows_only_the_scheduled_fomc_meetings() {
    let hindsight = ["--calendar", "data/fomc-unscheduled.csv"];
    let bundled = report("strategies/spx-mastery.vxs", &[]);
    assert_eq!(bundled["trades"], 383);
    assert_eq!(bundled["net_pnl"], "58164.92");
    assert_eq!(bundled["hedge_pnl"], "9344.39");
    assert_eq!(bundled["cycles_stopped_out"], 4);
    let with = report("strategies/spx-mastery.vxs", &hindsight);
    assert_eq!(with["trades"], 382);
    assert_eq!(with["net_pnl"], "57208.57");
    assert_eq!(with["cycles_stopped_out"], 3);
    let entry = |rows: &[std::collections::HashMap<String, String>], date: &str| {
        rows.iter().find(|t| t["entry"] == date).map(|t| {
            (
                t["step"].clone(),
                t["pnl"].clone(),
                t["exit_reason"].clone(),
            )
        })
    };
    let scheduled = trades_of("strategies/spx-mastery.vxs", &[]);
    assert_eq!(
        entry(&scheduled, "2008-10-07"),
        Some(("3".into(), "-2783.85".into(), "max_loss".into()))
    );
    assert_eq!(
        entry(&scheduled, "2008-10-30").map(|t| t.0),
        Some("4".into())
    );
    let with = trades_of("strategies/spx-mastery.vxs", &hindsight);
    assert_eq!(entry(&with, "2008-10-07"), None);
    assert_eq!(
        entry(&with, "2008-10-08"),
        Some(("3".into(), "1533.55".into(), "profit_target".into()))
    );
}

/// The Sharpe ratio comes with its standard error: over 25.6 years of
/// spx-mastery's daily returns (skewness −4.0, kurtosis 108) it is 0.22
/// (Mertens, 2002), so 0.69 is anywhere from about 0.25 to 1.1, and sweep
/// variants a few hundredths apart are not told apart by it. The expected
/// value was computed apart, with numpy and scipy on the daily returns.
#[test]
fn the_sharpe_ratio_says_its_standard_error() {
    let v = report("strategies/spx-mastery.vxs", &[]);
    let se = v["sharpe_se"].as_f64().unwrap_or(f64::NAN);
    assert!((se - 0.218_752_655_352_230).abs() < 1e-9, "{se}");
    let table = crate::common::text(&vixshield(&["backtest", "strategies/spx-mastery.vxs"]).stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("Sharpe standard error") && l.ends_with(" 0.22")),
        "{table}"
    );
    // Without a condor there is no ratio, and no error of one.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/strategies/spx-mastery.vxs"
    ))
    .expect("the strategy");
    let path = dir.path().join("never.vxs");
    std::fs::write(&path, text.replacen("guards {", "guards {\n    vix < 1", 1)).expect("write");
    let v = report(
        path.to_str().expect("utf-8"),
        &["--from", "2019-01-01", "--to", "2019-12-31"],
    );
    assert!(v["sharpe_se"].is_null(), "{v}");
}

/// A size of more contracts than a `u32` holds buys `u32::MAX` of them, and
/// the trade's max loss and its hedges' cost are that count's: they were
/// the whole size's (a max loss of $100 trillion on the `u32::MAX`
/// contracts recorded, $23,283 a contract on a 25-point condor).
#[test]
fn a_size_past_u32_max_contracts_is_priced_on_the_contracts_it_holds() {
    use rust_decimal::Decimal;
    use vixshield::backtest::Config;
    let text = std::fs::read_to_string(format!(
        "{}/strategies/conservative.vxs",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the strategy")
    .replace("$100,000", "$100,000,000,000,000,000");
    let config = Config {
        from: "2020-01-01".parse().ok(),
        to: "2020-06-30".parse().ok(),
        ..Config::default()
    };
    let (bt, _) = library_backtest_source("big.vxs", text, &config);
    assert!(!bt.trades.is_empty());
    let mut hedges = 0;
    for t in &bt.trades {
        assert_eq!(t.contracts, u32::MAX, "{t:?}");
        let n = Decimal::from(t.contracts);
        // A 25-point condor loses at most $2,500 a contract.
        assert!(t.max_loss / n <= Decimal::from(2_500), "{t:?}");
        for h in &t.hedges {
            hedges += 1;
            assert_eq!(h.contracts, u32::MAX, "{h:?}");
            // A VIX call costs less than VIX itself, and its commission.
            let bound = Decimal::try_from(t.vix_entry * 200.0 + 10.0).expect("a number");
            assert!(h.cost / Decimal::from(h.contracts) <= bound, "{h:?}");
        }
    }
    assert!(hedges > 0);
}

/// A run whose marked equity falls to $0 or below (ruin; sizes of capital
/// trade on) has no Sharpe or Sortino ratio: a return on no equity is
/// none, and those measured on the few dollars it climbs back from are not
/// returns (+1,983% in a day from $37.28). spx-mastery at 30% of capital a
/// condor went to -$123,839 in February 2018 and ended 2019 up, and read
/// Sharpe 0.99, Sortino 5.64, which `sweep --rank sortino` would have
/// ranked; a null Sortino ranks it last, not as a run that never lost.
#[test]
fn a_ruined_run_has_no_sharpe_or_sortino() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = spx_mastery_text()
        .replace("base = 1% of capital", "base = 30% of capital")
        .replace("layer_cap = 10% of capital", "layer_cap = 100% of capital")
        .replace("    wacc_impact < 18bps\n", "")
        .replace("    quick_ratio >= 1.4 under 3 sigma\n", "");
    let path = dir.path().join("ruin.vxs");
    std::fs::write(&path, text).expect("write");
    let v = report(
        path.to_str().expect("utf-8"),
        &["--from", "2017-06-01", "--to", "2019-12-31"],
    );
    let dd = v["max_drawdown_intra_trade"].as_f64().unwrap_or(0.0);
    assert!(dd > 1.0, "the equity went below $0: {v}");
    for key in ["sharpe", "sharpe_se", "sortino"] {
        assert!(v[key].is_null(), "{key}: {v}");
    }
    let metrics = v.as_object().expect("an object");
    assert_eq!(vixshield::sweep::rank_value("sortino", metrics), None);
}

/// A year's return and drawdown start from the equity before it, the first
/// year's from the capital: a two-day run, whose condor is entered on the
/// first day and closed at the second's mark, lost that much in its year
/// too. The year row of a one-day run read a return and drawdown of 0 beside
/// the loss (its base was that day's equity, marked after the entry).
#[test]
fn a_short_runs_year_starts_from_the_capital() {
    let v = report(
        "strategies/spx-mastery.vxs",
        &["--from", "2025-08-04", "--to", "2025-08-05"],
    );
    assert_eq!(v["trades"], 1, "{v}");
    let final_equity: f64 = v["final_equity"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    assert!(final_equity < 100_000.0, "the day's condor lost: {v}");
    let year = &v["years"][0];
    let ret = year["return_pct"].as_f64().unwrap_or(f64::NAN);
    assert!(
        (ret - (final_equity / 100_000.0 - 1.0)).abs() < 1e-12,
        "{v}"
    );
    assert_eq!(year["max_drawdown"], v["max_drawdown_intra_trade"], "{v}");
}

/// Money in the backtest is decimal from the fill on: the model's price of
/// a contract is rounded to the cent once, and everything after is exact.
/// So a condor's P&L plus its entry commissions (4 legs × $0.65) is its
/// contracts times a whole number of cents (credit less exit, less the exit
/// costs), a hedge's cost is its contracts times a price in cents, and a
/// condor's hedge P&L is the sum of its hedges'. The simulation kept money
/// in `f64` and rounded each total: 35 of the 383 condors' P&L were no
/// number of cents per contract.
#[test]
fn backtest_money_is_whole_cents_per_contract() {
    use rust_decimal::Decimal;
    let dir = tempfile::tempdir().expect("tempdir");
    let trades = dir.path().join("trades.json");
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--trades",
        trades.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&trades).expect("read")).expect("json");
    let money =
        |x: &serde_json::Value| x.as_str().expect("text").parse::<Decimal>().expect("money");
    let cents = |d: Decimal| d == d.round_dp(2);
    let mut hedges = 0;
    // spx-mastery's stops: 90% of the credit at steps 1..2, 65% from step 3.
    let text = spx_mastery_text();
    assert!(text.contains("max_loss = 90% of credit at steps 1..2"));
    assert!(text.contains("max_loss = 65% of credit from step 3"));
    for t in &v {
        let n = Decimal::from(t["contracts"].as_u64().expect("contracts"));
        let per_contract = (money(&t["pnl"]) + Decimal::new(260, 2) * n) / n;
        assert!(cents(per_contract), "{t}");
        // The position's stop, to the cent half away from zero (as every
        // amount shown; it rounded half to even: $639.045 showed $639.04).
        let pct = if t["step"].as_u64() <= Some(2) {
            Decimal::new(90, 2)
        } else {
            Decimal::new(65, 2)
        };
        let stop = (pct * money(&t["credit"]) * n)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(money(&t["max_loss"]), stop, "{t}");
        let mut sum = Decimal::ZERO;
        for h in t["hedges"].as_array().expect("hedges") {
            let k = Decimal::from(h["contracts"].as_u64().expect("contracts"));
            assert!(cents(money(&h["cost"]) / k), "{h}");
            sum += money(&h["pnl"]);
            hedges += 1;
        }
        assert_eq!(sum, money(&t["hedge_pnl"]), "{t}");
    }
    assert_eq!(v.len(), 383);
    assert!(hedges > 0);
}

/// spx-mastery at 30% of capital a condor, its layer cap 100% and its WACC
/// and quick-ratio guards gone: the ruinous variant (its equity goes to
/// about −$123,839 in February 2018), written into `dir`.
fn ruinous_strategy(dir: &std::path::Path) -> String {
    let text = spx_mastery_text()
        .replace("base = 1% of capital", "base = 30% of capital")
        .replace("layer_cap = 10% of capital", "layer_cap = 100% of capital")
        .replace("    wacc_impact < 18bps\n", "")
        .replace("    quick_ratio >= 1.4 under 3 sigma\n", "");
    let path = dir.join("ruin.vxs");
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf-8").to_string()
}

/// A year begun with the marked equity at $0 or below has no return (no
/// base to grow from), and one spent there from before it on has no
/// drawdown (no peak to fall from): `null` in JSON, `-` in the table. Both
/// read 0 (`0.00%`), a silent zero beside a year that gained $90,197.91.
#[test]
fn a_year_begun_at_ruin_has_no_return() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ruinous_strategy(dir.path());
    let v = report(&path, &["--from", "2017-09-01", "--to", "2019-12-31"]);
    let y2019 = &v["years"][2];
    assert_eq!(y2019["year"], 2019, "{v}");
    assert!(y2019["return_pct"].is_null(), "{y2019}");
    assert!(y2019["max_drawdown"].as_f64().is_some(), "{y2019}");
    let out = vixshield(&[
        "backtest",
        &path,
        "--from",
        "2017-09-01",
        "--to",
        "2019-12-31",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with("2019 "))
        .expect("a 2019 row");
    assert!(row.contains("$90,197.91         -  "), "{row}");
    // 2003 begins and ends below $0: no return, no drawdown.
    let v = report(&path, &["--from", "2002-03-01", "--to", "2003-12-31"]);
    let y2003 = &v["years"][1];
    assert_eq!(y2003["year"], 2003, "{v}");
    assert!(y2003["return_pct"].is_null(), "{y2003}");
    assert!(y2003["max_drawdown"].is_null(), "{y2003}");
}

/// A run whose marked equity went to $0 or below says so: the report gives
/// the day (`ruined_on`) and how deep (`lowest_equity`, on its day), CAGR
/// is `null` (`- (ruined)` in the table, as Sharpe and Sortino), and
/// `risk`, `sweep` and `diff --backtest` say it too. The report read a CAGR
/// of +8.58% as if nothing had happened, and nothing said ruined.
#[test]
fn a_ruined_run_says_so_everywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = ruinous_strategy(dir.path());
    let range = ["--from", "2017-06-01", "--to", "2019-12-31"];
    let v = report(&path, &range);
    assert_eq!(v["ruined_on"], "2018-02-02", "{v}");
    assert_eq!(v["lowest_equity"], "-123842.43", "{v}");
    assert_eq!(v["lowest_equity_on"], "2018-02-09", "{v}");
    assert!(v["cagr"].is_null(), "{v}");
    let mut args = vec!["backtest", path.as_str()];
    args.extend(range);
    let out = vixshield(&args);
    let table = String::from_utf8_lossy(&out.stdout);
    for line in [
        "lowest equity               -$123,842.43 on 2018-02-09\n",
        "RUINED                      on 2018-02-02 the marked equity fell to $0 or below",
        "CAGR                        - (ruined)\n",
        "Sharpe                      - (ruined)\n",
        "Sortino                     - (ruined)\n",
    ] {
        assert!(table.contains(line), "{line}\n{table}");
    }
    // The canonical strategy never came near: no ruin, its CAGR.
    let v = report("strategies/spx-mastery.vxs", &range);
    assert!(v["ruined_on"].is_null(), "{v}");
    assert!(v["cagr"].as_f64().is_some(), "{v}");

    // risk: the backtest the odds come from was ruined.
    let mut args = vec!["risk", path.as_str(), "--backtest"];
    args.extend(range);
    let out = vixshield(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "RUINED                      the backtest's marked equity fell to $0 or below on 2018-02-02 (lowest -$123,842.43)"
        ),
        "{text}"
    );
    args.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&vixshield(&args).stdout).expect("json");
    assert_eq!(v["backtest"]["ruined_on"], "2018-02-02", "{v}");
    assert_eq!(v["backtest"]["lowest_equity"], "-123842.43", "{v}");

    // diff --backtest: the new side's ruin is a report delta.
    let mut args = vec![
        "diff",
        "strategies/spx-mastery.vxs",
        path.as_str(),
        "--backtest",
    ];
    args.extend(range);
    let out = vixshield(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("  ruined on                             - →   2018-02-02\n"),
        "{text}"
    );
    assert!(text.contains("  lowest equity "), "{text}");
    args.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&vixshield(&args).stdout).expect("json");
    let ruin = v["report"]
        .as_array()
        .and_then(|r| r.iter().find(|d| d["metric"] == "ruined_on"))
        .expect("a ruined_on delta");
    assert_eq!(ruin["old"], serde_json::Value::Null, "{v}");
    assert_eq!(ruin["new"], "2018-02-02", "{v}");

    // sweep: the ruined variant ranks last by CAGR and says why.
    let params = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/strategies/spx-mastery-params.vxs"
    ))
    .expect("the fixture")
    .replace("layer_cap = 10% of capital", "layer_cap = 100% of capital")
    .replace("    wacc_impact < 18bps\n", "")
    .replace("    quick_ratio >= 1.4 under 3 sigma\n", "");
    let sweep_path = dir.path().join("params.vxs");
    std::fs::write(&sweep_path, params).expect("write");
    let sweep_path = sweep_path.to_str().expect("utf-8");
    let mut args = vec!["sweep", sweep_path, "--set", "base=1%..30%:29%"];
    args.extend(range);
    let out = vixshield(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.contains(" 30% ") && last.contains("- (ruined)"),
        "{text}"
    );
    args.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&vixshield(&args).stdout).expect("json");
    let ruined = &v["results"][1];
    assert_eq!(ruined["params"]["base"], "30%", "{v}");
    assert!(ruined["metrics"]["cagr"].is_null(), "{v}");
    assert_eq!(ruined["metrics"]["lowest_equity"], "-123842.43", "{v}");
    // Walk-forward: a window ruined out of sample has no CAGR, so the mean
    // over the others (the survivors') is none; one whose only variant was
    // ruined in sample says that, not that it could not be backtested.
    let args = [
        "sweep",
        sweep_path,
        "--set",
        "base=30%",
        "--walk-forward",
        "6m/6m",
        "--from",
        "2017-02-01",
        "--to",
        "2019-12-31",
    ];
    let text = String::from_utf8_lossy(&vixshield(&args).stdout).into_owned();
    assert!(
        text.contains("mean out-of-sample cagr: - (1 of 5 windows ruined out of sample)"),
        "{text}"
    );
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&vixshield(&args).stdout).expect("json");
    assert!(v["windows"][0]["out_of_sample"]["cagr"].is_null(), "{v}");
    assert!(v["mean_out_of_sample"].is_null(), "{v}");
    assert_eq!(
        v["windows"][1]["error"], "no variant has a cagr in sample: 1 of 1 ruined",
        "{v}"
    );
}

/// A worst cycle deeper than `check --explain`'s full losing cycle is what a
/// trader takes for a broken ladder: the table says so under the worst
/// cycles, with the plan's amount and where the reason is, and says
/// nothing when every listed cycle stayed within it.
#[test]
fn worst_cycles_past_the_plan_are_said_in_the_table() {
    let table = |range: &[&str]| {
        let mut args = vec!["backtest", "strategies/spx-mastery.vxs", "--worst", "2"];
        args.extend_from_slice(range);
        let out = crate::common::vixshield(&args);
        assert_eq!(out.status.code(), Some(0));
        crate::common::text(&out.stdout)
    };
    // The whole history: the 2017-18 cycle (-$15,720.25) and the 2002 one
    // (-$10,366.96) both went past the plan's $10,300.
    let all = table(&[]);
    assert!(
        all.ends_with(
            "\n  all 2 went deeper than the plan's full losing cycle, $10,300 (`check --explain`): \
             a loss past its stop, or sizes grown with equity (`risk STRATEGY --backtest` says why for the worst)\n"
        ),
        "{all}"
    );
    // 2019: the worst cycle lost $978.06, within the plan.
    let calm = table(&["--from", "2019-01-01", "--to", "2019-12-31"]);
    assert!(!calm.contains("deeper than the plan"), "{calm}");
}

/// The figures docs/backtest.md quotes (the losses past the stop, and "How
/// far these numbers go")
/// are what the backtest gives: each figure, computed here, is in the text
/// as written. `--call-skew -0.04`'s net had drifted from $34,742.51 to
/// $34,787.71 with nothing to notice it.
#[test]
fn the_sensitivities_the_backtest_docs_quote_hold() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/backtest.md"))
        .expect("docs/backtest.md");
    // The docs' lines are wrapped: compare with every run of spaces and
    // line ends as one space.
    let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = "strategies/spx-mastery.vxs";
    let money = |r: &serde_json::Value, key: &str| {
        vixshield::money::fmt_money(
            r[key]
                .as_str()
                .expect("money as text")
                .parse()
                .expect("a decimal"),
        )
    };
    let sharpe = |r: &serde_json::Value| format!("{:.2}", r["sharpe"].as_f64().expect("a Sharpe"));
    let base = report(s, &[]);
    let skew4 = report(s, &["--call-skew", "-0.04"]);
    let skew5 = report(s, &["--call-skew", "-0.05"]);
    let slip = report(s, &["--slippage", "0.1"]);
    let fomc = report(s, &["--calendar", "data/fomc-unscheduled.csv"]);
    let wide = report(s, &["--slippage", "0.25"]);
    let fees = report(s, &["--commission", "1.30"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let no_rate = report(
        &spx_mastery_variant(
            dir.path(),
            "rate0.vxs",
            "risk_free_rate = 4.5%",
            "risk_free_rate = 0%",
        ),
        &[],
    );
    let losing = base["trades"].as_u64().expect("a count")
        - (base["win_rate"].as_f64().expect("a rate") * base["trades"].as_f64().expect("a count"))
            .round() as u64;
    for want in [
        format!(
            "{} of the {losing} losing condors lost more than their max loss (`losses past the stop`, \
             the worst {:.2}× it)",
            base["losses_past_stop"],
            base["worst_loss_to_max_loss"].as_f64().expect("a ratio"),
        ),
        format!(
            "with `--call-skew -0.04` the same backtest nets {} (Sharpe {}), with `-0.05` {} ({}), \
             against {} ({}) at the default −0.02.",
            money(&skew4, "net_pnl"),
            sharpe(&skew4),
            money(&skew5, "net_pnl"),
            sharpe(&skew5),
            money(&base, "net_pnl"),
            sharpe(&base),
        ),
        format!(
            "the backtest nets {}, of which {} from the hedges",
            money(&slip, "net_pnl"),
            money(&slip, "hedge_pnl"),
        ),
        format!(
            "through the years of near-zero rates too (at 0%, {}),",
            money(&no_rate, "net_pnl")
        ),
        format!(
            "`--slippage 0.25` (a quarter point a leg, a wide market) nets {}, the condors alone \
             losing;",
            money(&wide, "net_pnl")
        ),
        format!(
            "nets {}, and its hedges {} instead of {} over the same {} condors.",
            money(&fees, "net_pnl"),
            money(&fees, "hedge_pnl"),
            money(&base, "hedge_pnl"),
            fees["trades"],
        ),
        format!(
            "the backtest gives {} condors, {} cycles stopped out and {}.",
            fomc["trades"],
            fomc["cycles_stopped_out"],
            money(&fomc, "net_pnl"),
        ),
    ] {
        assert!(docs.contains(&want), "docs/backtest.md should say: {want}");
    }
    // What the docs say of those figures in words.
    let dec = |r: &serde_json::Value, key: &str| -> rust_decimal::Decimal {
        r[key]
            .as_str()
            .expect("money as text")
            .parse()
            .expect("a decimal")
    };
    assert!(
        dec(&wide, "net_pnl") < dec(&wide, "hedge_pnl"),
        "the condors alone lose"
    );
    assert_eq!(fees["trades"], base["trades"], "the same condors");
}

/// The report says how near each numeric guard came to its limit over the
/// entry decisions (a trader's audit found spx-mastery's WACC and quick
/// ratio guards never bind, which nothing said): every entry decision is
/// counted, a guard that never binds has its closest value inside its limit,
/// and one that blocks counts the blocks the skips list for it.
#[test]
fn the_report_says_how_near_each_guard_came_to_its_limit() {
    let dec = |v: &serde_json::Value| -> rust_decimal::Decimal {
        v.as_str()
            .expect("decimal text")
            .parse()
            .expect("a decimal")
    };
    let base = report("strategies/spx-mastery.vxs", &[]);
    let judged =
        base["trades"].as_u64().expect("trades") + base["skipped"].as_u64().expect("skipped");
    let margins = base["guard_margins"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let kinds: Vec<&str> = margins.iter().filter_map(|m| m["kind"].as_str()).collect();
    assert_eq!(kinds, ["wacc_impact", "quick_ratio"], "{margins:?}");
    for m in &margins {
        assert_eq!(m["judged"].as_u64(), Some(judged), "{m}");
        assert_eq!(
            (m["capped"].as_u64(), m["blocked"].as_u64()),
            (Some(0), Some(0)),
            "{m}"
        );
    }
    assert!(
        dec(&margins[0]["closest"]) < dec(&margins[0]["limit"]),
        "WACC under its limit"
    );
    assert!(
        dec(&margins[1]["closest"]) > dec(&margins[1]["limit"]),
        "ratio above its floor"
    );
    // The table says it.
    let out = vixshield(&["backtest", "strategies/spx-mastery.vxs"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!(
            "guard margins               wacc_impact < 18bps: highest {}bps on {} (limit 18bps); capped 0, blocked 0 of {judged} entry decisions",
            dec(&margins[0]["closest"])
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
                .normalize(),
            margins[0]["closest_on"].as_str().unwrap_or("")
        )),
        "{table}"
    );
    // A floor the history breaks: it blocks, and its blocks are the skips'.
    let dir = tempfile::tempdir().expect("tempdir");
    let strict = spx_mastery_variant(
        dir.path(),
        "strict.vxs",
        "quick_ratio >= 1.4 under 3 sigma",
        "quick_ratio >= 25 under 3 sigma",
    );
    let r = report(&strict, &[]);
    let m = r["guard_margins"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["kind"] == "quick_ratio").cloned())
        .expect("the ratio's margin");
    let blocks: u64 = r["skipped_by"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["reason"]
                .as_str()
                .is_some_and(|t| t.contains("`quick_ratio >= 25 under 3 sigma`"))
        })
        .filter_map(|c| c["entries"].as_u64())
        .sum();
    assert!(blocks > 0);
    assert_eq!(m["blocked"].as_u64(), Some(blocks), "{m}");
    assert!(dec(&m["closest"]) < dec(&m["limit"]), "{m}");
    assert_eq!(
        m["judged"].as_u64(),
        Some(r["trades"].as_u64().unwrap_or(0) + r["skipped"].as_u64().unwrap_or(0))
    );
}

/// The report counts the condors that lost more than their max loss, the
/// stop the ladder's planned worst case assumes holds (the backtest sees a
/// stop only at a day's close, so a gap passes it), and gives the worst
/// loss as a multiple of its max loss: recomputed here from the trades file.
/// Only `run` over a journal said so before (an audit found 58 of
/// spx-mastery's 59 losing condors past their stop, and the report silent).
#[test]
fn the_report_counts_losses_past_the_stop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trades = dir.path().join("t.csv");
    let args = [
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2017-06-01",
        "--to",
        "2018-12-31",
    ];
    let mut json_args = args.to_vec();
    json_args.extend([
        "--format",
        "json",
        "--trades",
        trades.to_str().expect("utf-8"),
    ]);
    let out = vixshield(&json_args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let csv = std::fs::read_to_string(&trades).expect("trades");
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (mut losing, mut past, mut worst) = (0, 0, 0.0f64);
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        let pnl: rust_decimal::Decimal = f[col("pnl")].parse().expect("pnl");
        let max_loss: rust_decimal::Decimal = f[col("max_loss")].parse().expect("max_loss");
        if pnl < rust_decimal::Decimal::ZERO {
            losing += 1;
            let ratio: f64 = (-pnl / max_loss).to_string().parse().expect("a ratio");
            worst = worst.max(ratio);
        }
        past += usize::from(pnl < -max_loss);
    }
    assert!(
        past > 0 && losing > past / 2,
        "the 2017-18 cycle passed stops: {past} of {losing}"
    );
    assert_eq!(r["losses_past_stop"], past);
    let got = r["worst_loss_to_max_loss"].as_f64().expect("a number");
    assert!((got - worst).abs() < 1e-9, "{got} against {worst}");
    let table = crate::common::text(&vixshield(&args).stdout);
    let want = format!(
        "losses past the stop        {past} of {losing} losing condors, the worst {worst:.2}× its max loss\n"
    );
    assert!(table.contains(&want), "{want}\n{table}");
}

/// `--equity` exports every market day (an audit could not check Sharpe,
/// Sortino or the intra-trade drawdown: no command gave the daily marked
/// equity they are computed from). The report's daily figures are
/// recomputed here from the file as docs/backtest.md defines them: Sharpe
/// and Sortino of the daily returns annualized by √252, the drawdown of the
/// marked equity from the capital, the lowest equity and its day, the share
/// of days in the market, the peak capital at risk; the JSON form holds the
/// same days.
#[test]
fn the_equity_file_gives_the_days_the_report_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (csv_path, json_path) = (dir.path().join("days.csv"), dir.path().join("days.json"));
    let range = ["--from", "2019-06-01", "--to", "2020-12-31"];
    let run = |path: &std::path::Path, format: &[&str]| {
        let mut args = vec!["backtest", "strategies/spx-mastery.vxs"];
        args.extend(range);
        args.extend(format);
        args.extend(["--equity", path.to_str().expect("utf-8")]);
        let out = vixshield(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            crate::common::text(&out.stderr)
        );
        out.stdout
    };
    let r: serde_json::Value =
        serde_json::from_slice(&run(&csv_path, &["--format", "json"])).expect("json");
    run(&json_path, &[]);
    let csv = std::fs::read_to_string(&csv_path).expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("date,equity,closed_equity,step,vix,hedge_signal,at_risk")
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let days: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json")).expect("a list");
    assert_eq!(rows.len(), days.len());
    for (row, day) in rows.iter().zip(&days) {
        assert_eq!(row[0], day["date"].as_str().expect("a date"));
        assert_eq!(row[1], day["equity"].as_str().expect("money as text"));
        assert_eq!(row[3], day["step"].to_string());
        assert_eq!(row[5], day["hedge_signal"].to_string());
    }
    // One row a day with both a VIX and a real SPX close, as the chart.
    let spx = data_dates("spx-daily.csv");
    let want = data_dates("vix-daily.csv")
        .iter()
        .filter(|d| ("2019-06-01"..="2020-12-31").contains(&d.as_str()) && spx.contains(*d))
        .count();
    assert_eq!(rows.len(), want);
    let num = |s: &str| s.parse::<f64>().expect("a number");
    let equity: Vec<f64> = rows.iter().map(|r| num(&r[1])).collect();
    let close = |got: &serde_json::Value, want: f64, what: &str| {
        let got = got.as_f64().expect(what);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{what}: {got} against {want}"
        );
    };
    assert_eq!(
        r["final_equity"].as_str(),
        rows.last().map(|r| r[1].as_str())
    );
    let lowest = rows
        .iter()
        .min_by(|a, b| num(&a[1]).total_cmp(&num(&b[1])))
        .expect("days");
    assert_eq!(r["lowest_equity"].as_str(), Some(lowest[1].as_str()));
    assert_eq!(r["lowest_equity_on"].as_str(), Some(lowest[0].as_str()));
    let returns: Vec<f64> = equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let sd = (returns.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let down = (returns.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
    close(&r["sharpe"], mean / sd * 252f64.sqrt(), "sharpe");
    close(&r["sortino"], mean / down * 252f64.sqrt(), "sortino");
    let (mut peak, mut dd) = (100_000.0f64, 0.0f64);
    for e in &equity {
        peak = peak.max(*e);
        dd = dd.max((peak - e) / peak);
    }
    close(&r["max_drawdown_intra_trade"], dd, "drawdown");
    let in_market = rows.iter().filter(|r| r[3] != "0").count() as f64 / rows.len() as f64;
    close(&r["time_in_market"], in_market, "time in market");
    let at_risk = rows
        .iter()
        .map(|r| r[6].parse::<rust_decimal::Decimal>().expect("money"))
        .max()
        .expect("days");
    assert_eq!(
        r["peak_capital_at_risk"].as_str(),
        Some(at_risk.normalize().to_string().as_str())
    );
    assert!(rows.iter().any(|r| r[5] == "true"), "2020's triggers");
}

/// `diff`'s tables keep each value under its label: the hedge premium
/// columns' values sat three columns left of their labels (the header was
/// widened to `old hedge premium`, the rows were not), and a date column of
/// `-` alone (only the decision before any trade differs) put the header
/// three columns right of its rows. Each right-aligned value ends where its
/// label ends; the date starts where `date` starts (the audit_diff script).
#[test]
fn diff_tables_keep_each_value_under_its_label() {
    let dir = tempfile::tempdir().expect("tempdir");
    let more_hedge = spx_mastery_variant(
        dir.path(),
        "hedge.vxs",
        "    allocation = 15% of size\n",
        "    allocation = 20% of size\n",
    );
    let bigger = spx_mastery_variant(
        dir.path(),
        "base.vxs",
        "    base = 1% of capital\n",
        "    base = 2% of capital\n",
    );
    let header_only = dir.path().join("j.csv");
    std::fs::write(&header_only, "date,pnl\n").expect("written");
    let s = "strategies/spx-mastery.vxs";
    for args in [
        vec![
            "diff",
            s,
            &more_hedge,
            "--backtest",
            "--from",
            "2008-01-01",
            "--to",
            "2009-12-31",
        ],
        vec![
            "diff",
            s,
            &bigger,
            "--journal",
            header_only.to_str().expect("utf-8"),
            "--no-market",
        ],
    ] {
        let out = vixshield(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            crate::common::text(&out.stderr)
        );
        let text = crate::common::text(&out.stdout);
        let lines: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).collect();
        let (header, rows) = lines.split_first().expect("a header");
        assert!(!rows.is_empty(), "{text}");
        // The labels: runs of text two spaces apart.
        let mut labels = Vec::new();
        let mut start = None;
        let chars: Vec<char> = header.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            let gap = *c == ' ' && chars.get(i + 1).is_none_or(|n| *n == ' ');
            match (start, gap || i + 1 == chars.len()) {
                (None, false) if *c != ' ' => start = Some(i),
                (Some(s), true) => {
                    let end = if gap { i } else { i + 1 };
                    labels.push((s, end, chars[s..end].iter().collect::<String>()));
                    start = None;
                }
                _ => {}
            }
        }
        assert!(labels.iter().any(|l| l.2 == "date"), "{header}");
        if args.contains(&"--backtest") {
            assert!(
                labels.iter().any(|l| l.2 == "old hedge premium"),
                "{header}"
            );
        }
        for row in rows {
            let r: Vec<char> = row.chars().collect();
            let at = |i: usize| r.get(i).copied().unwrap_or(' ');
            for (s, e, label) in &labels {
                let fits = if label == "date" {
                    at(*s) != ' ' && (*s == 0 || at(s - 1) == ' ')
                } else {
                    at(e - 1) != ' ' && at(*e) == ' '
                };
                assert!(fits, "`{label}` is not over its value:\n{header}\n{row}");
            }
        }
    }
}
