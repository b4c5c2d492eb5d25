//! One test per loader error, asserting the exact `path:line:col: message`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::path::Path;

use chrono::NaiveDate;
use vixshield::market::{
    Calendar, Market, MarketError, bundled, load_series, load_series_from_str,
};

/// Loads `text` as `data/vix.csv` and returns the rendered error.
fn error(text: &str) -> (MarketError, String) {
    match load_series_from_str("vix", "data/vix.csv", text) {
        Ok(s) => panic!("loaded {} rows, expected an error", s.len()),
        Err(e) => {
            let shown = e.to_string();
            (e, shown)
        }
    }
}

/// The first `n` lines of the real VIX file, then `last` as line `n + 1`.
fn real_vix_then(n: usize, last: &str) -> String {
    let mut text: String = bundled::VIX
        .text
        .lines()
        .take(n)
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str(last);
    text.push('\n');
    text
}

#[test]
fn bad_number_names_line_and_column() {
    // Line 17 of the real file is `1990-01-23,24.720000,...`; break its open.
    let text = real_vix_then(16, "1990-01-23,12.3x,24.720000,24.720000,24.720000");
    let (e, shown) = error(&text);
    assert!(matches!(e, MarketError::BadNumber { .. }));
    assert_eq!(shown, "data/vix.csv:17:12: `12.3x` is not a number");
}

/// A row with some prices and not others is an error at the first missing
/// one (a row with none is a day without data, skipped:
/// `market_load::fred_and_yahoo_files_skip_days_without_data`).
#[test]
fn empty_field_is_not_a_number() {
    for missing in ["  ", ".", "null"] {
        let (_, shown) = error(&format!("date,open,close\n2024-01-02,13.1,{missing}\n"));
        // What to do: a row of no prices at all is a day without data.
        assert_eq!(
            shown,
            format!(
                "data/vix.csv:2:17: `{}` is not a number (a row gives every price, or none for a day without data, which is skipped)",
                missing.trim()
            )
        );
    }
}

#[test]
fn bad_date() {
    let (e, shown) = error(&real_vix_then(4, "1990-02-30,1,1,1,1"));
    assert!(matches!(e, MarketError::BadDate { .. }));
    assert_eq!(
        shown,
        "data/vix.csv:5:1: `1990-02-30` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"
    );
    // Day-first dates are not US dates.
    let (_, shown) = error("date,close\n  18/09/2009,1\n");
    assert_eq!(
        shown,
        "data/vix.csv:2:3: `18/09/2009` is not a date (expected YYYY-MM-DD or MM/DD/YYYY; this one is day first, DD/MM/YYYY: save the dates as YYYY-MM-DD)"
    );
}

#[test]
fn missing_required_column() {
    let (e, shown) = error("DATE,OPEN,HIGH,LOW\n1990-01-02,1,1,1\n");
    assert!(matches!(
        e,
        MarketError::MissingColumn {
            column: "close",
            ..
        }
    ));
    assert_eq!(
        shown,
        "data/vix.csv:1:1: missing required column `close` in header `DATE,OPEN,HIGH,LOW`"
    );
    // A file without a header: its first row is read as one.
    let (_, shown) = error("1990-01-02,17.24\n");
    assert_eq!(
        shown,
        "data/vix.csv:1:1: missing required column `date` in header `1990-01-02,17.24` (the first non-blank line must be the header, naming `date` and `close` among its columns: add one, or remove a title above it)"
    );
    // A header of thousands of names is quoted in part (it was quoted
    // whole, a megabyte in one message), and a name given twice among them
    // is still found.
    let wide: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
    let header = wide.join(",");
    let (_, shown) = error(&format!("{header}\n"));
    assert!(
        shown.starts_with(&format!(
            "data/vix.csv:1:1: missing required column `date` in header `{}… ({} characters in all)`",
            &header[..200],
            header.len()
        )),
        "{shown}"
    );
    let (_, shown) = error(&format!("date,close,{header},C17\n"));
    assert_eq!(
        shown,
        format!(
            "data/vix.csv:1:{}: column `c17` appears twice in the header",
            "date,close,".len() + header.len() + 2
        )
    );
}

/// The files a trader saves from Excel or a terminal, which the loader does
/// not read, say what to change: a `;` separator (European Excel), a title
/// line above the header (Bloomberg), thousands separators, day-first dates
/// (`23.11.2026`, `13/01/2000`), a time after the date (yfinance), and
/// yfinance's header of three lines (`Price`, `Ticker`, `Date`).
#[test]
fn formats_not_read_say_how_to_fix_them() {
    let cases = [
        (
            "\u{feff}Date;Close\r\n03.01.2000;1455,22\r\n",
            "data/vix.csv:1:1: missing required column `date` in header `Date;Close` (the fields are separated by `;`, as a European Excel saves CSV: save it with `,` between fields and `.` for decimals)",
        ),
        (
            "SPX Index - S&P 500 INDEX\n\nDate,Close\n2000-01-03,1455.22\n",
            "data/vix.csv:1:1: missing required column `date` in header `SPX Index - S&P 500 INDEX` (the first non-blank line must be the header, naming `date` and `close` among its columns: add one, or remove a title above it)",
        ),
        (
            "Date,Close\r\n1/3/2000,\"1,455.22\"\r\n",
            "data/vix.csv:2:10: `1,455.22` is not a number (write numbers without thousands separators, with `.` for decimals: 4512.58)",
        ),
        (
            "date,close\n23.11.2026,17.5\n",
            "data/vix.csv:2:1: `23.11.2026` is not a date (expected YYYY-MM-DD or MM/DD/YYYY; this one is day first, DD.MM.YYYY: save the dates as YYYY-MM-DD)",
        ),
        (
            "Date,Close\n01/02/20,12.47\n",
            "data/vix.csv:2:1: `01/02/20` is not a date (expected YYYY-MM-DD or MM/DD/YYYY; the year needs four digits: 01/03/2000, not 01/03/00)",
        ),
        (
            "Date,Close\n2020-01-02 00:00:00-05:00,12.47\n",
            "data/vix.csv:2:1: `2020-01-02 00:00:00-05:00` is not a date (expected YYYY-MM-DD or MM/DD/YYYY; write the date alone, without a time)",
        ),
        (
            "Price,Close,High,Low,Open,Volume\nTicker,^VIX,^VIX,^VIX,^VIX,^VIX\nDate,,,,,\n2024-01-02,13.2,14.22,13.1,13.21,0\n",
            "data/vix.csv:1:1: missing required column `date` in header `Price,Close,High,Low,Open,Volume` (a yfinance header of three lines, `Price,...`, `Ticker,...` and `Date,...`: make it one line, `Date,Close,High,Low,Open,Volume`, or download with `multi_level_index=False`)",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(error(text).1, want, "{text:?}");
    }
    // A close under another name is not guessed; the usual ones are named.
    assert_eq!(
        error("\"Date\",\"Price\",\"Open\"\n\"01/02/2020\",\"12.47\",\"13.46\"\n").1,
        "data/vix.csv:1:1: missing required column `close` in header `\"Date\",\"Price\",\"Open\"` (if that column is the day's close, as Investing.com's `Price` or Bloomberg's `PX_LAST`, name it `close`)"
    );
    assert_eq!(
        error("Date,Open\n2020-01-02,12.47\n").1,
        "data/vix.csv:1:1: missing required column `close` in header `Date,Open`"
    );
}

/// A calendar file saved by a European Excel (`;` between fields) says so.
#[test]
fn a_calendar_file_separated_by_semicolons_says_so() {
    let e = Calendar::new()
        .add_events_from_str("events.csv", "\u{feff}date;event\r\n2026-07-14;CPI\r\n")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "events.csv:1:11: expected 2 fields, found 1 (the fields are separated by `;`, as a European Excel saves CSV: save it with `,` between fields and `.` for decimals)"
    );
}

#[test]
fn duplicate_column() {
    let (e, shown) = error("\u{feff}date,close,Close\n2024-01-02,1,2\n");
    assert!(matches!(e, MarketError::DuplicateColumn { .. }));
    assert_eq!(
        shown,
        "data/vix.csv:1:12: column `close` appears twice in the header"
    );
}

#[test]
fn unsorted_dates() {
    let text = real_vix_then(3, "1990-01-02,1,1,1,1");
    let (e, shown) = error(&text);
    assert!(matches!(
        e,
        MarketError::UnsortedDates {
            previous_line: 3,
            ..
        }
    ));
    assert_eq!(
        shown,
        "data/vix.csv:4:1: date `1990-01-02` comes after `1990-01-03` (line 3); rows must be in ascending date order, as the first two are (or all descending)"
    );
}

/// A close broken over two lines by a quote (`"1` then `7.5"` on the next
/// line): said as the journal says it, where it read "expected 5 fields,
/// found 2" or "`\"1` is not a number" (the robustness audit).
#[test]
fn a_quote_not_closed_on_its_line() {
    for (row, column) in [
        ("1990-01-03,1,1,1,\"1\n7.5\"", 18),
        ("1990-01-03,\"1\n7.5\",1,1,1", 12),
    ] {
        let (e, shown) = error(&real_vix_then(2, row));
        assert!(matches!(e, MarketError::UnclosedQuote { .. }), "{shown}");
        assert_eq!(
            shown,
            format!(
                "data/vix.csv:3:{column}: quoted field is not closed before the end of the line (a field is on one line: join the value that runs on to the next)"
            )
        );
    }
    // Quotes closed on their line are fields as any other.
    let text = real_vix_then(2, "1990-01-03,\"1\",\"1\",\"1\",\"17.5\"");
    assert!(load_series_from_str("vix", "data/vix.csv", &text).is_ok());
}

#[test]
fn duplicate_dates() {
    let text = real_vix_then(3, "1990-01-03,1,1,1,1");
    let (e, shown) = error(&text);
    assert!(matches!(
        e,
        MarketError::DuplicateDate { first_line: 3, .. }
    ));
    assert_eq!(
        shown,
        "data/vix.csv:4:1: duplicate date `1990-01-03` (first on line 3)"
    );
}

#[test]
fn empty_file() {
    for text in ["", "\n\n", "\u{feff}", " \r\n\t\r\n"] {
        let (e, shown) = error(text);
        assert!(matches!(e, MarketError::Empty { .. }));
        assert_eq!(shown, "data/vix.csv:1:1: the file is empty", "{text:?}");
    }
}

#[test]
fn header_without_rows() {
    let (e, shown) = error("DATE,OPEN,HIGH,LOW,CLOSE\r\n\r\n");
    assert!(matches!(e, MarketError::NoRows { .. }));
    assert_eq!(shown, "data/vix.csv:2:1: no data rows after the header");
}

#[test]
fn non_finite_price() {
    for (field, column) in [("inf", 18), ("NaN", 18), ("-infinity", 18)] {
        let text = real_vix_then(8, &format!("1990-01-11,1,1,1,{field}"));
        let (e, shown) = error(&text);
        assert!(matches!(e, MarketError::NonFinitePrice { .. }), "{field}");
        assert_eq!(
            shown,
            format!("data/vix.csv:9:{column}: `{field}` is not a finite price")
        );
    }
}

#[test]
fn negative_price() {
    let (e, shown) = error(&real_vix_then(8, "1990-01-11,1,1,1,-1.5"));
    assert!(matches!(e, MarketError::NegativePrice { .. }));
    assert_eq!(shown, "data/vix.csv:9:18: `-1.5` is a negative price");
}

/// A close no index could have is an error at its field, not a level read
/// as real: zero (a missing value written as 0), a VIX in fractions (a file
/// scaled by 1/100 ran a backtest that lost the account), a bad print such as
/// `1e308` or `1e-300` beside real closes.
#[test]
fn implausible_closes_are_errors() {
    for zero in ["0", "-0", "0.000"] {
        let (e, shown) = error(&format!(
            "date,close\n2008-10-09,63.92\n2008-10-10,{zero}\n"
        ));
        assert!(matches!(e, MarketError::ZeroClose { .. }), "{zero}");
        assert_eq!(
            shown,
            format!(
                "data/vix.csv:3:12: `{zero}` is not a close: an index never closes at zero (a missing value? delete the row)"
            )
        );
    }
    let (e, shown) = error("DATE,OPEN,HIGH,LOW,CLOSE\n1990-01-02,0.1724,0.1724,0.1724,0.1724\n");
    assert!(matches!(e, MarketError::VolatilityInFractions { .. }));
    assert_eq!(
        shown,
        "data/vix.csv:2:33: `0.1724` is not a VIX level: VIX is quoted in points (17.24, not 0.1724); multiply the file's values by 100"
    );
    let e = load_series_from_str("vix3m", "v.csv", "date,close\n2009-09-18,0.2654\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "v.csv:2:12: `0.2654` is not a VIX3M level: VIX3M is quoted in points (17.24, not 0.1724); multiply the file's values by 100"
    );
    for (bad, how) in [
        ("1e308", "more than 10 times"),
        ("1e-300", "less than a tenth of"),
    ] {
        let text = format!("date,close\n2008-10-08,984.94\n2008-10-09,909.92\n2008-10-10,{bad}\n");
        let e = load_series_from_str("spx", "spx.csv", &text).unwrap_err();
        assert!(
            matches!(
                e,
                MarketError::CloseJump {
                    previous_line: 3,
                    ..
                }
            ),
            "{bad}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "spx.csv:4:12: close `{bad}` is {how} the close of line 3 (`909.92`): no index moves so far in days; check both rows (a bad print, or prices in another scale)"
            )
        );
    }
    // The real extremes load: VIX more than doubling in a day, SPX's worst
    // days, and closes far apart in time (a gap of weeks) are not compared.
    let vix = "date,close\n2018-02-02,17.31\n2018-02-05,37.32\n2020-03-16,82.69\n";
    assert!(load_series_from_str("vix", "v.csv", vix).is_ok());
    let spx = "date,close\n1987-10-16,282.70\n1987-10-19,224.84\n2020-01-02,3257.85\n";
    assert!(load_series_from_str("spx", "s.csv", spx).is_ok());
    // The S&P 500's file given as VIX or VIX3M (a mix-up of names ran the
    // canonical backtest on a VIX3M of 1,455 with no message).
    for name in ["vix", "vix3m"] {
        let e =
            load_series_from_str(name, "spx.csv", "date,close\n2000-01-03,1455.22\n").unwrap_err();
        assert!(matches!(e, MarketError::VolatilityTooHigh { .. }));
        assert_eq!(
            e.to_string(),
            format!(
                "spx.csv:2:12: `1455.22` is not a {} level (above 250 points; the highest close of VIX or VIX3M is 82.69, VIX on 2020-03-16): is this another index's file?",
                name.to_ascii_uppercase()
            )
        );
    }
    assert!(load_series_from_str("vix", "v.csv", "date,close\n1987-10-19,150.19\n").is_ok());
    // Only VIX and VIX3M are levels in points; a fraction elsewhere is a price.
    assert!(load_series_from_str("spx", "s.csv", "date,close\n2020-01-02,0.5\n").is_ok());
}

#[test]
fn wrong_field_count() {
    // Too few: the column is one past the end of the line.
    let (e, shown) = error(&real_vix_then(2, "1990-01-04,17.2"));
    assert!(matches!(
        e,
        MarketError::FieldCount {
            expected: 5,
            found: 2,
            ..
        }
    ));
    assert_eq!(shown, "data/vix.csv:3:16: expected 5 fields, found 2");
    // Too many: the column of the first extra field.
    let (_, shown) = error("date,close\r\n2024-01-02,1,2\r\n");
    assert_eq!(shown, "data/vix.csv:2:14: expected 2 fields, found 3");
}

#[test]
fn not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.csv");
    std::fs::write(&path, b"date,close\n2024-01-02,1\n2024-01-03,caf\xe9\n").unwrap();
    let e = load_series("x", &path).unwrap_err();
    assert!(matches!(e, MarketError::NotUtf8 { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3:15: the file is not valid UTF-8 (save it as UTF-8, a spreadsheet's \"CSV UTF-8\"; the byte there is from another encoding, such as Windows-1252)",
            path.display()
        )
    );
}

#[test]
fn io_error_names_the_path() {
    let e = load_series("vix", Path::new("/nonexistent/vix.csv")).unwrap_err();
    assert!(matches!(e, MarketError::Io { .. }));
    assert!(e.location().is_none());
    let shown = e.to_string();
    assert!(
        shown.starts_with("/nonexistent/vix.csv: cannot read the file: "),
        "{shown}"
    );
}

#[test]
fn bad_fomc_flag() {
    let text = "date, fed_meeting_date_indicator, fed_minutes_date_indicator\n2024-01-31, yes, 0\n";
    let e = Calendar::new()
        .add_fomc_from_str("fomc.csv", text)
        .unwrap_err();
    assert!(matches!(e, MarketError::BadFlag { .. }));
    assert_eq!(e.to_string(), "fomc.csv:2:13: `yes` is not 0 or 1");
}

/// Unscheduled meetings (`fed_non_scheduled_meeting_indicator` 1) are not
/// filed: no one could plan around them the day before. Without that
/// column every meeting row counts; a bad flag there is named like the
/// meeting flag's.
#[test]
fn unscheduled_fomc_meetings_are_left_out() {
    let text = "date,fed_meeting_date_indicator,fed_non_scheduled_meeting_indicator\n\
                2008-10-07,1,1\n2008-10-29,1,0\n2008-11-25,0,0\n";
    let mut calendar = Calendar::new();
    assert_eq!(calendar.add_fomc_from_str("fomc.csv", text).ok(), Some(1));
    let d = |s: &str| s.parse::<chrono::NaiveDate>().expect("a date");
    assert_eq!(calendar.dates("FOMC"), [d("2008-10-29")]);
    let mut calendar = Calendar::new();
    let text = "date,fed_meeting_date_indicator\n2008-10-07,1\n2008-10-29,1\n";
    assert_eq!(calendar.add_fomc_from_str("fomc.csv", text).ok(), Some(2));
    let text = "date,fed_meeting_date_indicator,fed_non_scheduled_meeting_indicator\n\
                2008-10-07,1,maybe\n";
    let e = Calendar::new()
        .add_fomc_from_str("fomc.csv", text)
        .unwrap_err();
    assert_eq!(e.to_string(), "fomc.csv:2:14: `maybe` is not 0 or 1");
}

#[test]
fn fomc_file_without_meeting_column() {
    let e = Calendar::new()
        .add_fomc_from_str(
            "fomc.csv",
            "date,fed_minutes_date_indicator\n2024-01-31,1\n",
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "fomc.csv:1:1: missing required column `fed_meeting_date_indicator` in header `date,fed_minutes_date_indicator`"
    );
}

#[test]
fn bad_event_name() {
    let text = "# my events\ndate,event\n2024-01-11,CPI\n2024-02-13,CPI release\n";
    let e = Calendar::new()
        .add_events_from_str("events.csv", text)
        .unwrap_err();
    assert!(matches!(e, MarketError::BadEventName { .. }));
    assert_eq!(
        e.to_string(),
        "events.csv:4:12: `CPI release` is not an event name (use letters, digits and `_`)"
    );
    let e = Calendar::new()
        .add_events_from_str("events.csv", "2024-01-11,\n")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "events.csv:1:12: `` is not an event name (use letters, digits and `_`)"
    );
}

#[test]
fn corrections_move_add_and_refuse_a_missing_target() {
    let mut calendar = Calendar::new();
    calendar
        .add_events_from_str("events.csv", "2023-02-02,FOMC\n2023-03-23,FOMC\n")
        .unwrap();
    let text = "# fixes\ndate,event,replaces\n2023-02-01,fomc,2023-02-02\n2023-11-01,FOMC,\n";
    assert_eq!(
        calendar
            .apply_corrections_from_str("fix.csv", text)
            .unwrap(),
        2
    );
    let dates: Vec<String> = calendar
        .dates("FOMC")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(dates, ["2023-02-01", "2023-03-23", "2023-11-01"]);

    // Replacing a date the calendar does not have is an error at that field,
    // and so is applying the same move twice.
    for (text, shown) in [
        (
            "2023-03-22,FOMC,2023-03-21\n",
            "fix.csv:1:17: no FOMC on 2023-03-21 to replace",
        ),
        (
            "2023-02-01,FOMC,2023-02-02\n",
            "fix.csv:1:17: no FOMC on 2023-02-02 to replace",
        ),
        (
            "2023-03-22,CPI,2023-03-23\n",
            "fix.csv:1:16: no CPI on 2023-03-23 to replace",
        ),
        (
            "2023-03-22,FOMC,2023-02-30\n",
            "fix.csv:1:17: `2023-02-30` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)",
        ),
        (
            "2023-03-22,FOMC\n",
            "fix.csv:1:16: expected 3 fields, found 2",
        ),
    ] {
        let e = calendar
            .clone()
            .apply_corrections_from_str("fix.csv", text)
            .unwrap_err();
        assert_eq!(e.to_string(), shown);
        assert!(e.location().is_some());
    }
}

#[test]
fn event_file_errors_use_the_shared_checks() {
    let e = Calendar::new()
        .add_events_from_str("events.csv", "2024-13-11,CPI\n")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "events.csv:1:1: `2024-13-11` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)"
    );
    let e = Calendar::new()
        .add_events_from_str("events.csv", "2024-01-11,CPI,8:30\n")
        .unwrap_err();
    assert_eq!(e.to_string(), "events.csv:1:16: expected 2 fields, found 3");
}

#[test]
fn empty_range() {
    let vix = load_series_from_str("vix", "data/vix-daily.csv", bundled::VIX.text).unwrap();
    let start = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
    let end = NaiveDate::from_ymd_opt(1980, 12, 31).unwrap();
    let e = Market::new(&vix, Some(start..=end)).unwrap_err();
    assert!(matches!(e, MarketError::EmptyRange { .. }));
    assert_eq!(
        e.to_string(),
        "data/vix-daily.csv: no rows between 1980-01-01 and 1980-12-31"
    );
}

#[test]
fn a_calendar_file_with_a_replaces_header_moves_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fix.csv");
    std::fs::write(
        &path,
        "# move one meeting, add one\ndate,event,replaces\n2024-02-01,FOMC,2024-01-31\n2028-01-26,FOMC,\n",
    )
    .unwrap();
    let mut calendar = Calendar::bundled().unwrap();
    assert_eq!(calendar.load_events(&path).unwrap(), 2);
    let fomc = calendar.dates("FOMC");
    assert!(fomc.contains(&"2024-02-01".parse().unwrap()));
    assert!(!fomc.contains(&"2024-01-31".parse().unwrap()));
    assert_eq!(fomc.last(), Some(&"2028-01-26".parse().unwrap()));

    // Loaded twice, the move has nothing left to move.
    let e = calendar.load_events(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}:3:17: no FOMC on 2024-01-31 to replace", path.display())
    );
    // Without that header the file is read as events, three fields refused.
    std::fs::write(&path, "2024-02-01,FOMC,2024-01-31\n").unwrap();
    assert!(Calendar::new().load_events(&path).is_err());
}

/// A calendar file whose lines end in a lone `\r` (old Mac line ends) is
/// read as its lines, as a journal or a strategy file is: it had been one
/// line, taken for the header (its first field is `date`), every event in
/// it skipped with exit 0, and then an error telling the user to save the
/// file again. The same events with `\r\n` or `\n` give the same output,
/// and an error in such a file is at its own line.
#[test]
fn a_calendar_file_with_lone_cr_line_ends_is_read_as_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    let file = path.to_str().unwrap();
    let signal = |text: &str| {
        std::fs::write(&path, text).unwrap();
        crate::common::vixshield(&[
            "signal",
            "within 1d of CPI",
            "--calendar",
            file,
            "--from",
            "2021-06-22",
            "--to",
            "2021-06-22",
        ])
    };
    // No CPI near 2021-06-22 in the bundled calendar: the file's is the one.
    for text in [
        "date,event\r\n2021-06-23,CPI\r\n",
        "date,event\r2021-06-23,CPI\r",
        "\u{feff}date,event\r# a comment\r\r2021-06-23,CPI",
    ] {
        let out = signal(text);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text:?}: {}",
            crate::common::text(&out.stderr)
        );
        assert_eq!(
            crate::common::text(&out.stdout),
            "date,value\n2021-06-22,1\n",
            "{text:?}"
        );
    }
    // A file of spans, whose header decides its kind, likewise; a bad date
    // on its third line is named there.
    std::fs::write(&path, "date,event,until\r2021-06-01,CPI,2021-06-30\r").unwrap();
    let mut calendar = Calendar::bundled().unwrap();
    assert_eq!(calendar.load_events(&path).unwrap(), 1);
    std::fs::write(
        &path,
        "date,event,until\r2021-06-01,CPI,2021-06-30\r2021-13-01,PPI,2021-12-31\r",
    )
    .unwrap();
    let e = Calendar::bundled().unwrap().load_events(&path).unwrap_err();
    assert_eq!(
        e.location().map(|l| (l.line, l.column)),
        Some((3, 1)),
        "{e}"
    );
}

/// A series file saved by old Mac Excel ("CSV (Macintosh)") ends its lines
/// in a lone `\r`: it was read as one line, and the error was about its
/// header (``column `17.240000` appears twice in the header``), later that
/// the file should be saved again. It reads as the same file with `\n` line
/// ends, a stray `\r` inside a CRLF file too, and its errors and a byte not
/// UTF-8 are at their own lines.
#[test]
fn a_series_file_with_lone_cr_line_ends_is_read_as_its_lines() {
    let lf = load_series_from_str(
        "vix",
        "v.csv",
        "DATE,CLOSE\n1990-01-02,17.24\n1990-01-03,18.19\n",
    )
    .unwrap();
    for text in [
        "\u{feff}DATE,CLOSE\r1990-01-02,17.24\r1990-01-03,18.19\r",
        "DATE,CLOSE\r\n1990-01-02,17.24\r\r\n1990-01-03,18.19",
    ] {
        let s = load_series_from_str("vix", "v.csv", text).unwrap();
        assert_eq!(s, lf, "{text:?}");
    }
    let (_, shown) = error("DATE,CLOSE\r1990-01-02,17.24\r1990-01-03,x\r");
    assert!(shown.starts_with("data/vix.csv:3:12: "), "{shown}");
    let path = tempfile::tempdir().unwrap();
    let file = path.path().join("v.csv");
    std::fs::write(&file, b"DATE,CLOSE\r1990-01-02,17.24\r1990-01-03,1\xff\r").unwrap();
    let e = load_series("vix", &file).unwrap_err();
    assert_eq!(
        e.location().map(|l| (l.line, l.column)),
        Some((3, 13)),
        "{e}"
    );
}

#[test]
fn a_calendar_file_with_an_until_header_marks_unknown_spans() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaps.csv");
    std::fs::write(
        &path,
        "date,event,until\n2024-03-01,CPI,2024-03-31\n# a comment\n2024-05-10,opex,2024-05-20\n",
    )
    .unwrap();
    let mut calendar = Calendar::bundled().unwrap();
    let d = |s: &str| -> NaiveDate { s.parse().unwrap() };
    assert!(calendar.knows("CPI", d("2024-03-01"), d("2024-03-02")));
    assert_eq!(calendar.load_events(&path).unwrap(), 2);
    assert_eq!(
        calendar.unknown_spans("cpi").last(),
        Some(&(d("2024-03-01"), d("2024-03-31")))
    );
    // Any overlap with the span is not known, the days around it are.
    assert!(!calendar.knows("CPI", d("2024-02-28"), d("2024-03-01")));
    assert!(!calendar.knows("CPI", d("2024-03-31"), d("2024-04-02")));
    assert!(calendar.knows("CPI", d("2024-02-27"), d("2024-02-29")));
    assert!(calendar.knows("CPI", d("2024-04-01"), d("2024-04-02")));
    // The known releases stay: the March 2024 CPI is still an event.
    assert!(calendar.dates("CPI").contains(&d("2024-03-12")));
    assert_eq!(calendar.unknown_spans("OPEX").len(), 1);

    // A bad `until` is an error at its line and column.
    std::fs::write(&path, "date,event,until\n2024-03-01,CPI,March\n").unwrap();
    let e = Calendar::new().load_events(&path).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:2:16: ", path.display())),
        "{e}"
    );
}

#[test]
fn a_reversed_unknown_span_is_an_error_at_its_until() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaps.csv");
    std::fs::write(&path, "date,event,until\n2026-03-03,FOMC,2026-03-01\n").unwrap();
    let e = Calendar::new().load_events(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2:17: the span ends (2026-03-01) before it starts (2026-03-03)",
            path.display()
        )
    );
    // A one-day span (until = date) is fine.
    std::fs::write(&path, "date,event,until\n2026-03-03,FOMC,2026-03-03\n").unwrap();
    assert_eq!(Calendar::new().load_events(&path).unwrap(), 1);
}

/// Read for a strategy, a calendar file may hold only the events strategies
/// can name, in any case; in any of the three kinds of file. The library's
/// plain `load_events` takes any event name.
#[test]
fn a_calendar_file_for_strategies_holds_only_their_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    let kinds = ["FOMC", "CPI", "PPI"];
    for (text, column) in [
        ("date,event\n2030-06-10,cpi\n2030-06-11,NFP\n", 12),
        ("date,event,until\n2030-06-10,NFP,2030-06-12\n", 12),
        ("date,event,replaces\n2030-06-10,NFP,\n", 12),
    ] {
        std::fs::write(&path, text).unwrap();
        let e = Calendar::new().load_events_of(&path, &kinds).unwrap_err();
        let line = text.lines().position(|l| l.contains("NFP")).unwrap() + 1;
        assert_eq!(
            e.to_string(),
            format!(
                "{}:{line}:{column}: `NFP` is not an event strategies know (FOMC, CPI, PPI)",
                path.display()
            ),
            "{text}"
        );
        assert!(Calendar::new().load_events(&path).is_ok(), "{text}");
    }
    std::fs::write(&path, "date,event\n2030-06-10,cpi\n2030-06-11,Fomc\n").unwrap();
    let mut calendar = Calendar::new();
    assert_eq!(calendar.load_events_of(&path, &kinds).unwrap(), 2);
    assert_eq!(calendar.dates("FOMC").len(), 1);
}
