//! The join policy of `Market` and the event `Calendar`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use chrono::NaiveDate;
use vixshield::market::{Calendar, Market, Series, load_series_from_str};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn series(name: &str, rows: &str) -> Series {
    load_series_from_str(name, &format!("{name}.csv"), &format!("date,close\n{rows}")).unwrap()
}

/// The policy on a small case: values, carried flags and missing bars.
#[test]
fn join_policy() {
    let primary = series(
        "vix",
        "2024-01-01,10\n2024-01-02,11\n2024-01-03,12\n2024-01-04,13\n2024-01-05,14\n2024-01-08,15\n",
    );
    // Starts after the primary, skips 01-04, has a date only it knows
    // (01-06, dropped), and ends before the primary.
    let other = series(
        "vix3m",
        "2024-01-02,20\n2024-01-03,21\n2024-01-05,22\n2024-01-06,23\n",
    );
    let market = Market::new(&primary, None).unwrap().with(&other);
    assert_eq!(market.len(), 6);
    let s = market.get("vix3m").unwrap();
    let got: Vec<Option<f64>> = (0..market.len()).map(|i| s.get(i)).collect();
    // 01-01 before its start: missing; 01-04 carried from 01-03;
    // 01-08 is after its last date (01-06): missing, not carried.
    assert_eq!(
        got,
        [None, Some(20.0), Some(21.0), Some(21.0), Some(22.0), None]
    );
    assert_eq!(s.carried(), [false, false, false, true, false, false]);
    assert_eq!((s.carried_count(), s.missing_count()), (1, 2));
    assert!(s.close()[0].is_nan());
    // The primary is never carried or missing.
    let p = market.primary();
    assert_eq!(
        (p.name(), p.carried_count(), p.missing_count()),
        ("vix", 0, 0)
    );
    assert_eq!(p.close(), [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]);
    assert_eq!(market.index_of(date("2024-01-06")), None);
}

/// A range restricts the calendar; values from before it are carried in.
#[test]
fn range_carries_values_from_before_it() {
    let primary = series("vix", "2024-01-01,10\n2024-01-02,11\n2024-01-03,12\n");
    let other = series("spx", "2023-12-29,100\n2024-01-03,101\n");
    let market = Market::new(&primary, Some(date("2024-01-02")..=date("2024-01-03")))
        .unwrap()
        .with(&other);
    assert_eq!(market.dates(), [date("2024-01-02"), date("2024-01-03")]);
    let spx = market.get("spx").unwrap();
    assert_eq!((spx.get(0), spx.is_carried(0)), (Some(100.0), true));
    assert_eq!((spx.get(1), spx.is_carried(1)), (Some(101.0), false));
}

#[test]
fn adding_a_series_again_replaces_it() {
    let primary = series("vix", "2024-01-01,10\n");
    let market = Market::new(&primary, None)
        .unwrap()
        .with(&series("spx", "2024-01-01,1\n"))
        .with(&series("spx", "2024-01-01,2\n"));
    assert_eq!(market.series().count(), 2);
    assert_eq!(market.get("spx").unwrap().get(0), Some(2.0));
    assert!(market.get("nope").is_none());
}

/// The bundled market: VIX sets the calendar; SPX and VIX3M are carried on
/// the VIX-only dates (US holidays since 2022, 2004-06-11, 2025-01-09) and
/// missing outside their own spans.
#[test]
fn bundled_market() {
    let market = Market::bundled().unwrap();
    assert_eq!(market.len(), 9_235);
    assert_eq!(market.dates().first(), Some(&date("1990-01-02")));
    assert_eq!(market.dates().last(), Some(&date("2026-07-23")));
    let names: Vec<&str> = market.series().map(|s| s.name()).collect();
    assert_eq!(names, ["vix", "vix3m", "spx"]);

    let spx = market.get("spx").unwrap();
    assert_eq!(spx.carried_count(), 26);
    // 2,524 VIX bars before 2000-01-03 and 241 after 2025-08-15.
    assert_eq!(spx.missing_count(), 2_524 + 241);
    let memorial_day = market.index_of(date("2022-05-30")).unwrap();
    assert!(spx.is_carried(memorial_day));
    assert_eq!(spx.get(memorial_day), spx.get(memorial_day - 1));

    let vix3m = market.get("vix3m").unwrap();
    assert_eq!(vix3m.carried_count(), 29);
    assert_eq!(vix3m.missing_count(), 4_967 + 103);
    let jan9 = market.index_of(date("2025-01-09")).unwrap();
    assert_eq!(
        (vix3m.get(jan9), vix3m.is_carried(jan9)),
        (Some(19.34), true)
    );
    let last = market.len() - 1;
    assert_eq!((vix3m.get(last), spx.get(last)), (None, None));
    // The bundled files' carried bars are holidays, none longer than two
    // bars in a row, and no row is left out.
    for s in [spx, vix3m] {
        assert!(s.longest_carried_run().is_some_and(|(_, _, n)| n <= 2));
        assert_eq!(s.dropped_rows(), (0, None));
    }
}

/// What the join does to a file's rows that the file does not say: a gap of
/// weeks in SPX is carried over (its longest run of carried bars), and rows
/// on days VIX has no bar for (a Saturday) are left out (counted). The
/// command line warns of both for `--market` files; the bundled ones give no
/// warning.
#[test]
fn gaps_and_left_out_rows_are_told() {
    let primary = series(
        "vix",
        "2024-01-02,10\n2024-01-03,11\n2024-01-04,12\n2024-01-05,13\n2024-01-08,14\n2024-01-09,15\n",
    );
    let other = series(
        "spx",
        "2024-01-02,100\n2024-01-06,101\n2024-01-07,102\n2024-01-09,103\n",
    );
    let market = Market::new(&primary, None).unwrap().with(&other);
    let spx = market.get("spx").unwrap();
    assert_eq!(
        spx.longest_carried_run(),
        Some((date("2024-01-03"), date("2024-01-08"), 4))
    );
    assert_eq!(spx.dropped_rows(), (2, Some(date("2024-01-06"))));

    let dir = tempfile::tempdir().unwrap();
    let vix = dir.path().join("vix.csv");
    let spx = dir.path().join("spx.csv");
    let bundled = std::fs::read_to_string("data/spx-daily.csv").unwrap();
    let mut gap = String::new();
    for line in bundled.lines() {
        if !("2008-09-15".."2008-11-01").contains(&line.get(..10).unwrap_or("")) {
            gap.push_str(line);
            gap.push('\n');
        }
        if line.starts_with("2010-06-04,") {
            gap.push_str("2010-06-05,1064.88\n");
        }
    }
    std::fs::write(&spx, gap).unwrap();
    std::fs::copy("data/vix-daily.csv", &vix).unwrap();
    let (vix, spx) = (vix.display().to_string(), spx.display().to_string());
    let run = |spx_file: &str| {
        let out = crate::common::vixshield(&[
            "signal",
            "spx",
            "--from",
            "2026-07-23",
            "--market",
            &format!("vix={vix}"),
            "--market",
            &format!("spx={spx_file}"),
            "--market",
            "vix3m=data/vix3m-daily-cboe-format.csv",
        ]);
        assert_eq!(out.status.code(), Some(0));
        crate::common::text(&out.stderr)
    };
    assert_eq!(
        run(&spx),
        format!(
            "warning: {spx}: no row from 2008-09-15 to 2008-10-31: its last close before them stands in for those 35 bars of the market (give the missing rows)\n\
             warning: {spx}: 1 row left out (the first on 2010-06-05): the market's days are those of `vix` ({vix}), which has no row on that date\n"
        )
    );
    assert_eq!(run("data/spx-daily.csv"), "");
}

#[test]
fn bundled_range() {
    let market = Market::bundled_range(Some(date("2024-01-01")..=date("2024-12-31"))).unwrap();
    assert_eq!(market.dates().first(), Some(&date("2024-01-02")));
    assert_eq!(market.dates().last(), Some(&date("2024-12-31")));
    assert_eq!(market.get("spx").unwrap().missing_count(), 0);
}

#[test]
fn bundled_fomc_meetings() {
    let calendar = Calendar::bundled().unwrap();
    let fomc = calendar.dates("FOMC");
    // 546 rows with fed_meeting_date_indicator = 1, all on distinct dates,
    // of which 139 are unscheduled (fed_non_scheduled_meeting_indicator = 1)
    // and left out; data/fomc-corrections.csv adds back 3 scheduled ones
    // flagged so, moves 10 and adds the 34 meetings from 2023-11-01 to
    // 2027-12-08.
    assert_eq!(fomc.len(), 546 - 139 + 3 + 34);
    // Unscheduled: the calls of 2008-10-07 and 2020-03-15 (a Sunday), and
    // the call of 2008-09-29 the file dates 2008-09-27.
    for d in ["2008-10-07", "2020-03-15", "2008-09-27", "2008-09-29"] {
        assert!(!fomc.contains(&date(d)), "{d}");
    }
    // Scheduled meetings the file flags as unscheduled are in.
    for d in ["2020-09-16", "2021-04-28", "2021-07-28", "2008-10-29"] {
        assert!(fomc.contains(&date(d)), "{d}");
    }
    assert_eq!(
        calendar.coverage("fomc"),
        Some((date("1975-01-21"), date("2027-12-08")))
    );
    // A moved meeting is on its corrected date only.
    assert!(fomc.contains(&date("2023-09-20")));
    assert!(!fomc.contains(&date("2023-09-21")));
    assert!(fomc.contains(&date("2020-01-29")));
    assert!(!fomc.contains(&date("2020-01-27")));
    // Minutes-only rows are not meetings.
    assert!(!fomc.contains(&date("2023-10-11")));
    let kinds: Vec<&str> = calendar.kinds().collect();
    assert_eq!(kinds, ["CPI", "FOMC", "PPI"]);
}

#[test]
fn days_to_next() {
    let calendar = Calendar::bundled().unwrap();
    // The September 2023 meeting ended on 2023-09-20 (the downloaded file
    // says 2023-09-21; data/fomc-corrections.csv moves it); the next was
    // 2023-11-01, the last known 2027-12-08.
    assert_eq!(calendar.days_to_next("FOMC", date("2023-09-19")), Some(1));
    assert_eq!(calendar.days_to_next("FOMC", date("2023-09-20")), Some(0));
    assert_eq!(calendar.days_to_next("FOMC", date("2023-09-21")), Some(41));
    assert_eq!(calendar.days_to_next("FOMC", date("2025-12-11")), Some(48));
    assert_eq!(calendar.days_to_next("FOMC", date("2027-12-09")), None);
    assert_eq!(calendar.days_to_next("CPI", date("2024-01-09")), Some(2));
    assert_eq!(calendar.days_to_next("NFP", date("2024-01-09")), None);
}

/// `no entry within 1d of FOMC, CPI`: the event day and the day before.
#[test]
fn within_blocks_the_days_before_an_event_and_the_day_itself() {
    let calendar = Calendar::bundled().unwrap();
    let events = ["FOMC", "CPI"];
    // CPI on Thursday 2024-01-11.
    assert!(!calendar.within(&events, date("2024-01-09"), 1));
    assert!(calendar.within(&events, date("2024-01-10"), 1));
    assert!(calendar.within(&events, date("2024-01-11"), 1));
    assert!(!calendar.within(&events, date("2024-01-12"), 1));
    assert!(calendar.within(&events, date("2024-01-09"), 2));
    assert!(calendar.within(&events, date("2024-01-11"), 0));
    assert!(!calendar.within(&events, date("2024-01-10"), 0));
    assert!(!calendar.within(&[], date("2024-01-11"), 5));
    assert!(!calendar.within(&["nope"], date("2024-01-11"), 5));
}

#[test]
fn user_event_file() {
    let mut calendar = Calendar::new();
    let text = "\u{feff}# my desk's events\r\nDate,Event\r\n2024-03-15,opex\r\n\r\n01/19/2024,OPEX\r\n2024-03-15,OpEx\r\n";
    assert_eq!(calendar.add_events_from_str("events.csv", text).unwrap(), 3);
    // Case-insensitive kinds, merged duplicates, sorted dates.
    assert_eq!(
        calendar.dates("opex"),
        [date("2024-01-19"), date("2024-03-15")]
    );
    assert!(calendar.has_kind("OPEX"));
    // No header is fine too.
    calendar
        .add_events_from_str("more.csv", "2024-04-19,OPEX")
        .unwrap();
    assert_eq!(calendar.dates("OPEX").len(), 3);
}

/// Dates added past what the calendar covered, further apart than a kind's
/// releases ever are, leave the days between unknown: a file holding only
/// December's CPI no longer makes July to November "known, no CPI" (a
/// trade on 2026-09-10 passed the blackout that way). A file that carries
/// the monthly dates on covers them; a kind of the user's own has no rule.
#[test]
fn added_dates_far_past_the_coverage_leave_the_gap_unknown() {
    let bundled = Calendar::bundled().unwrap();
    let (_, last) = bundled.coverage("CPI").expect("bundled CPI");
    assert_eq!(last, date("2026-06-10"));
    let mut calendar = bundled.clone();
    calendar
        .add_events_from_str("late.csv", "2026-12-10,CPI\n2026-12-11,PPI\n")
        .unwrap();
    assert!(!calendar.knows("CPI", date("2026-09-10"), date("2026-09-11")));
    assert!(!calendar.knows("PPI", date("2026-09-10"), date("2026-09-11")));
    assert_eq!(
        calendar.unknown_spans("CPI").last(),
        Some(&(date("2026-06-11"), date("2026-12-09")))
    );
    // The bundled months and the added date itself stay known.
    assert!(calendar.knows("CPI", date("2026-05-01"), date("2026-06-10")));
    assert!(calendar.knows("CPI", date("2026-12-10"), date("2026-12-10")));
    // Monthly dates carried on: known through.
    let mut monthly = bundled.clone();
    monthly
        .add_events_from_str(
            "monthly.csv",
            "2026-07-14,CPI\n2026-08-12,CPI\n2026-09-11,CPI\n2026-10-14,CPI\n2026-11-12,CPI\n2026-12-10,CPI\n",
        )
        .unwrap();
    assert!(monthly.knows("CPI", date("2026-06-01"), date("2026-12-10")));
    assert_eq!(monthly.unknown_spans("CPI"), bundled.unknown_spans("CPI"));
    // A skipped month inside the added dates is a gap too.
    let mut skipped = bundled.clone();
    skipped
        .add_events_from_str("skipped.csv", "2026-07-14,CPI\n2026-10-14,CPI\n")
        .unwrap();
    assert!(skipped.knows("CPI", date("2026-07-01"), date("2026-07-14")));
    assert!(!skipped.knows("CPI", date("2026-08-20"), date("2026-08-21")));
    // FOMC by its own spacing.
    let (_, fomc_last) = bundled.coverage("FOMC").expect("bundled FOMC");
    let mut fomc = bundled.clone();
    let far = fomc_last + chrono::Days::new(200);
    fomc.add_events_from_str("fomc.csv", &format!("{far},FOMC\n"))
        .unwrap();
    let mid = fomc_last + chrono::Days::new(100);
    assert!(!fomc.knows("FOMC", mid, mid));
    // A kind of the user's own: dates as given, no spacing known.
    let mut own = Calendar::new();
    own.add_events_from_str("own.csv", "2024-01-19,OPEX\n")
        .unwrap();
    own.add_events_from_str("own2.csv", "2024-09-20,OPEX\n")
        .unwrap();
    assert!(own.knows("OPEX", date("2024-05-01"), date("2024-05-02")));
}

#[test]
fn bundled_cpi_and_ppi() {
    let calendar = Calendar::bundled().unwrap();
    assert_eq!(
        calendar.coverage("CPI"),
        Some((date("2000-01-14"), date("2026-06-10")))
    );
    assert_eq!(
        calendar.coverage("PPI"),
        Some((date("2000-01-13"), date("2026-06-11")))
    );
    // One release a month, less the ones never found, which leave their
    // month unknown rather than empty.
    for (kind, missing) in [("CPI", 1), ("PPI", 0)] {
        let before_2021 = calendar
            .dates(kind)
            .iter()
            .filter(|d| **d < date("2021-01-01"))
            .count();
        assert_eq!(before_2021 + missing, 252, "{kind}");
        let spans = calendar.unknown_spans(kind);
        assert_eq!(spans.len(), missing, "{kind}");
        for (from, to) in spans {
            assert!(
                !calendar.dates(kind).iter().any(|d| from <= d && d <= to),
                "{kind}: a known release inside {from}..{to}"
            );
            assert!(!calendar.knows(kind, *from, *from));
        }
    }
    assert!(calendar.knows("CPI", date("2003-01-01"), date("2009-12-31")));
    assert!(!calendar.knows("CPI", date("2002-06-28"), date("2002-07-01")));
    assert!(calendar.knows("PPI", date("2002-06-28"), date("2002-07-01")));
    assert!(calendar.knows("CPI", date("2002-08-01"), date("2002-08-31")));
    for kind in ["CPI", "PPI"] {
        for year in 2000..=2024 {
            let n = calendar
                .dates(kind)
                .iter()
                .filter(|d| d.format("%Y").to_string() == year.to_string())
                .count();
            // The June 2002 CPI is the one release not found.
            let expected = if (kind, year) == ("CPI", 2002) {
                11
            } else {
                12
            };
            assert_eq!(n, expected, "{kind} {year}");
        }
    }
}

/// VIX's file sets the market's days, so its rows dated on a weekend (a
/// typo, or a whole file shifted a day by a time zone) would be bars no index
/// closed on: the command line warns, naming the first.
#[test]
fn a_vix_file_dated_on_weekends_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let vix = dir.path().join("vix.csv");
    let bundled = std::fs::read_to_string("data/vix-daily.csv").unwrap();
    let run = |text: &str| {
        std::fs::write(&vix, text).unwrap();
        let out = crate::common::vixshield(&[
            "signal",
            "vix",
            "--from",
            "2026-07-23",
            "--market",
            &format!("vix={}", vix.display()),
            "--market",
            "vix3m=data/vix3m-daily-cboe-format.csv",
            "--market",
            "spx=data/spx-daily.csv",
        ]);
        assert_eq!(out.status.code(), Some(0));
        crate::common::text(&out.stderr)
    };
    let shown = vix.display();
    let saturday = bundled.replace(
        "2010-06-04,32.930000,36.120000,31.810000,35.480000\n",
        "2010-06-04,32.930000,36.120000,31.810000,35.480000\n2010-06-05,32.930000,36.120000,31.810000,35.480000\n",
    );
    assert!(saturday != bundled, "the row to copy");
    assert_eq!(
        run(&saturday),
        format!(
            "warning: {shown}: a row dated 2010-06-05, a Saturday, when no index closes: are the dates right (a typo, or shifted a day by a time zone)?\n"
        )
    );
    let shifted: String = bundled
        .lines()
        .map(
            |line| match line.get(..10).and_then(|d| d.parse::<NaiveDate>().ok()) {
                Some(day) => format!("{}{}\n", day.pred_opt().unwrap(), &line[10..]),
                None => format!("{line}\n"),
            },
        )
        .collect();
    assert!(run(&shifted).starts_with(&format!(
        "warning: {shown}: 1755 rows dated on a Saturday or Sunday (the first 1990-01-07, a Sunday), when"
    )));
    assert_eq!(run(&bundled), "");
}

/// `--market` replaces the bundled data as a whole: a series it does not
/// name is not there. A backtest given VIX and SPX but not VIX3M ran with
/// `ratio(vix, vix3m)` unknown on every bar and other results, without a
/// word; each series not given that the command reads is warned of, naming
/// the bundled file. One it does not read is no matter: `signal vix` over a
/// VIX file alone warned of VIX3M and SPX.
#[test]
fn a_series_not_given_with_market_is_warned_of() {
    let vix3m = "warning: no `--market vix3m=FILE`: with `--market` the bundled data is not used, so `vix3m` is unknown on every bar; give its file too (the bundled one is data/vix3m-daily-cboe-format.csv)\n";
    let spx = "warning: no `--market spx=FILE`: with `--market` the bundled data is not used, so `spx` is unknown on every bar; give its file too (the bundled one is data/spx-daily.csv)\n";
    let signal = |expr: &str, from: &str| {
        crate::common::vixshield(&[
            "signal",
            expr,
            "--from",
            from,
            "--to",
            from,
            "--market",
            "vix=data/vix-daily.csv",
        ])
    };
    let out = signal("ratio(vix, vix3m) + spx * 0", "2024-01-02");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(crate::common::text(&out.stderr), format!("{vix3m}{spx}"));
    assert_eq!(
        crate::common::text(&out.stdout),
        "date,value\n2024-01-02,\n"
    );
    let out = signal("vix", "2026-07-23");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(crate::common::text(&out.stderr), "");
    assert_eq!(
        crate::common::text(&out.stdout),
        "date,value\n2026-07-23,18.7\n"
    );
    // A backtest reads every series: it prices SPX, and its hedges on VIX
    // and VIX3M.
    let out = crate::common::vixshield(&[
        "backtest",
        "strategies/conservative.vxs",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-31",
        "--market",
        "vix=data/vix-daily.csv",
        "--market",
        "spx=data/spx-daily.csv",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(crate::common::text(&out.stderr), vix3m);
    let all = crate::common::vixshield(&[
        "signal",
        "vix",
        "--from",
        "2026-07-23",
        "--market",
        "vix=data/vix-daily.csv",
        "--market",
        "vix3m=data/vix3m-daily-cboe-format.csv",
        "--market",
        "spx=data/spx-daily.csv",
    ]);
    assert_eq!(crate::common::text(&all.stderr), "");
}

/// A calendar file is read whole, then put in: its dates in any order (a
/// file newest first was quadratic, one insertion into the sorted dates a
/// line), a correction removing a date and another adding it back, an
/// event settling the unknown span it falls in, and spans out of order;
/// a file with an error leaves the calendar as it was (it had kept the
/// lines before the error).
#[test]
fn a_calendar_file_is_put_in_whole() {
    let mut calendar = Calendar::new();
    let newest_first: String = (0..3000)
        .map(|i| format!("{},CPI\n", date("2030-01-01") - chrono::Days::new(i)))
        .collect();
    calendar
        .add_events_from_str("cpi.csv", &newest_first)
        .unwrap();
    let dates = calendar.dates("CPI");
    assert_eq!(dates.len(), 3000);
    assert!(dates.windows(2).all(|w| w[0] < w[1]));
    // Spans out of order, sorted in; an event inside one settles it.
    calendar
        .add_unknown_from_str(
            "spans.csv",
            "date,event,until\n2031-05-01,CPI,2031-05-31\n2031-02-01,CPI,2031-02-28\n",
        )
        .unwrap();
    assert_eq!(
        calendar.unknown_spans("CPI"),
        [
            (date("2031-02-01"), date("2031-02-28")),
            (date("2031-05-01"), date("2031-05-31"))
        ]
    );
    calendar
        .add_events_from_str("may.csv", "2031-05-14,CPI\n")
        .unwrap();
    // May's span is settled; the months between the last date before and
    // this one, past the coverage, are unknown (as any date added far out).
    assert_eq!(
        calendar.unknown_spans("CPI"),
        [
            (date("2030-01-02"), date("2031-05-13")),
            (date("2031-02-01"), date("2031-02-28"))
        ]
    );
    // Corrections in file order: moved, then moved back.
    calendar
        .apply_corrections_from_str(
            "fix.csv",
            "date,event,replaces\n2029-12-30,OPEX,\n2029-12-31,OPEX,2029-12-30\n2029-12-30,OPEX,2029-12-31\n",
        )
        .unwrap();
    assert_eq!(calendar.dates("OPEX"), [date("2029-12-30")]);
    // An error on the last line: nothing of the file is kept.
    let before = calendar.clone();
    assert!(
        calendar
            .add_events_from_str(
                "bad.csv",
                "2032-01-14,CPI\n2032-02-11,PPI\n2032-13-01,CPI\n"
            )
            .is_err()
    );
    assert_eq!(calendar.dates("CPI"), before.dates("CPI"));
    assert!(calendar.dates("PPI").is_empty());
}
