//! Loading the real bundled files, and the same text in other encodings.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use chrono::NaiveDate;
use vixshield::market::{Market, Series, bundled, data_dir, load_series, load_series_from_str};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn load(name: &str, file: &bundled::BundledFile) -> Series {
    load_series_from_str(name, &file.shown_path(), file.text).unwrap()
}

#[test]
fn vix_daily() {
    let vix = load("vix", &bundled::VIX);
    assert_eq!(vix.len(), 9_235);
    assert_eq!(vix.span(), Some((date("1990-01-02"), date("2026-07-23"))));
    assert_eq!(vix.close.first(), Some(&17.24));
    assert_eq!(vix.close.last(), Some(&18.70));
    // OHLC kept, one value per row.
    for column in [&vix.open, &vix.high, &vix.low] {
        assert_eq!(column.as_ref().map(Vec::len), Some(9_235));
    }
    assert_eq!(vix.high.as_ref().and_then(|h| h.last()), Some(&20.31));
    assert_eq!(vix.path, "data/vix-daily.csv");
}

#[test]
fn spx_daily_close_with_float_noise() {
    let spx = load("spx", &bundled::SPX);
    assert_eq!(spx.len(), 6_444);
    assert_eq!(spx.span(), Some((date("2000-01-03"), date("2025-08-15"))));
    assert_eq!(spx.close.first(), Some(&1455.219970703125));
    assert_eq!(spx.close.last(), Some(&6454.66015625));
    assert_eq!(spx.open, None, "`date,close` has no open column");
}

#[test]
fn vix3m_cboe_us_dates() {
    let vix3m = load("vix3m", &bundled::VIX3M);
    assert_eq!(vix3m.len(), 4_136);
    assert_eq!(vix3m.span(), Some((date("2009-09-18"), date("2026-02-27"))));
    assert_eq!(vix3m.close.first(), Some(&26.54));
    assert_eq!(vix3m.close.last(), Some(&21.56));
}

#[test]
fn files_on_disk_equal_the_embedded_ones() {
    for (name, file) in bundled::SERIES {
        let on_disk = load_series(name, &data_dir().join(file.file)).unwrap();
        let embedded = load(name, &file);
        assert_eq!(on_disk.dates, embedded.dates, "{name}");
        assert_eq!(on_disk.close, embedded.close, "{name}");
    }
    let (from_dir, bundled) = (
        Market::from_dir(&data_dir(), None).unwrap(),
        Market::bundled().unwrap(),
    );
    assert!(from_dir.dates() == bundled.dates());
    for (a, b) in from_dir.series().zip(bundled.series()) {
        let bits = |s: &vixshield::market::AlignedSeries| {
            s.close().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        assert_eq!(a.name(), b.name());
        assert!(bits(a) == bits(b), "{}", a.name());
        assert!(a.carried() == b.carried(), "{}", a.name());
    }
}

/// The real VIX text with a BOM, CRLF line ends and trailing blank lines
/// loads to the same series.
#[test]
fn crlf_bom_and_trailing_blank_lines() {
    let plain = load("vix", &bundled::VIX);
    let crlf = bundled::VIX.text.replace('\n', "\r\n");
    let variants = [
        format!("\u{feff}{}", bundled::VIX.text),
        crlf.clone(),
        format!("\u{feff}{crlf}\r\n\r\n  \r\n"),
        format!("{}\n\n\n", bundled::VIX.text.trim_end()),
        bundled::VIX.text.trim_end().to_owned(), // no final line end
    ];
    for (i, text) in variants.iter().enumerate() {
        let series = load_series_from_str("vix", "data/vix-daily.csv", text).unwrap();
        assert!(series == plain, "variant {i}");
    }
}

/// The real VIX3M text (US dates) with CRLF and a BOM.
#[test]
fn cboe_format_with_crlf_and_bom() {
    let plain = load("vix3m", &bundled::VIX3M);
    let text = format!("\u{feff}{}", bundled::VIX3M.text.replace('\n', "\r\n"));
    let series = load_series_from_str("vix3m", "data/vix3m-daily-cboe-format.csv", &text).unwrap();
    assert!(series == plain);
}

#[test]
fn header_names_are_case_insensitive_trimmed_and_in_any_order() {
    let text = " Close , DATE ,volume\n17.5, 2024-01-02 ,100\n18.25,01/03/2024,200\n";
    let s = load_series_from_str("x", "x.csv", text).unwrap();
    assert_eq!(s.dates, [date("2024-01-02"), date("2024-01-03")]);
    assert_eq!(s.close, [17.5, 18.25]);
    assert_eq!((s.open, s.high, s.low), (None, None, None));
}

#[test]
fn blank_lines_inside_are_skipped_but_counted() {
    let text = "date,close\n2024-01-02,1\n\n2024-01-03,x\n";
    let e = load_series_from_str("x", "x.csv", text).unwrap_err();
    assert_eq!(e.to_string(), "x.csv:4:12: `x` is not a number");
}

/// Zero is a price an open, high or low may hold (they are kept as written
/// and not used), not a close: `market_errors::implausible_closes_are_errors`.
#[test]
fn zero_is_a_valid_open() {
    let text = "date,open,close\n2024-01-02,0,9.5\n2024-01-03,1e1,1e1\n";
    let s = load_series_from_str("x", "x.csv", text).unwrap();
    assert_eq!(s.open, Some(vec![0.0, 10.0]));
    assert_eq!(s.close, [9.5, 10.0]);
}

/// Newest first, as Bloomberg, Nasdaq and Investing.com export: the real VIX
/// file reversed (with CBOE dates) loads as the file itself, open, high and
/// low included. Its order must hold to the end, and a file whose first two
/// rows are ascending is still read as ascending.
#[test]
fn descending_files_load_as_ascending() {
    let plain = load("vix", &bundled::VIX);
    let mut lines: Vec<&str> = bundled::VIX.text.lines().collect();
    lines[1..].reverse();
    let text = lines.join("\n");
    let reversed = load_series_from_str("vix", &bundled::VIX.shown_path(), &text).unwrap();
    assert!(reversed == plain);

    let s = load_series_from_str(
        "spx",
        "s.csv",
        "Date,Close\n01/06/2020,3246.28\n01/03/2020,3234.85\n01/02/2020,3257.85\n",
    )
    .unwrap();
    assert_eq!(
        s.dates,
        [date("2020-01-02"), date("2020-01-03"), date("2020-01-06")]
    );
    assert_eq!(s.close, [3257.85, 3234.85, 3246.28]);

    let text = "date,close\n2020-01-06,3246.28\n2020-01-03,3234.85\n2020-01-07,3237.18\n";
    let e = load_series_from_str("spx", "s.csv", text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.csv:4:1: date `2020-01-07` comes after `2020-01-03` (line 3); rows must be in descending date order, as the first two are (or all ascending)"
    );
    let text = "date,close\n2020-01-06,3246.28\n2020-01-06,3234.85\n";
    let e = load_series_from_str("spx", "s.csv", text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.csv:3:1: duplicate date `2020-01-06` (first on line 2)"
    );
}

/// FRED's downloads (`observation_date,VIXCLS` with empty values on
/// holidays; before 2024 `DATE,VIXCLS` with `.`) and Yahoo Finance's
/// (`null` rows): a row without any price is a day without data, skipped as
/// if the file had no row, never read as 0. The value column is the
/// series' FRED id (VIXCLS, VXVCLS, SP500), for that series only.
#[test]
fn fred_and_yahoo_files_skip_days_without_data() {
    let days = [date("2024-01-02"), date("2024-01-03")];
    for text in [
        "observation_date,VIXCLS\n2024-01-01,\n2024-01-02,13.20\n2024-01-03,14.04\n",
        "DATE,VIXCLS\r\n2024-01-01,.\r\n2024-01-02,13.20\r\n2024-01-03,14.04\r\n",
    ] {
        let s = load_series_from_str("vix", "v.csv", text).unwrap();
        assert_eq!(s.dates, days, "{text}");
        assert_eq!(s.close, [13.2, 14.04], "{text}");
    }
    let yahoo = "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,13.21,14.22,13.1,13.20,13.20,0\n\
                 2024-01-03,null,NULL,null,null,null,null\n2024-01-04,14.1,14.5,13.6,14.04,14.04,0\n";
    let s = load_series_from_str("vix", "v.csv", yahoo).unwrap();
    assert_eq!(s.dates, [date("2024-01-02"), date("2024-01-04")]);
    assert_eq!(s.high, Some(vec![14.22, 14.5]));
    let vix3m = load_series_from_str("vix3m", "f.csv", "DATE,VXVCLS\n2024-01-02,15.5\n").unwrap();
    assert_eq!(vix3m.close, [15.5]);
    let spx = load_series_from_str(
        "spx",
        "f.csv",
        "observation_date,SP500\n2024-01-02,4742.83\n",
    )
    .unwrap();
    assert_eq!(spx.close, [4742.83]);
    // Another series' FRED file is not this one's.
    let e = load_series_from_str("spx", "f.csv", "observation_date,VIXCLS\n2024-01-02,13.2\n")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "f.csv:1:1: missing required column `close` in header `observation_date,VIXCLS`"
    );
    // Only days without data: no rows.
    let e =
        load_series_from_str("vix", "f.csv", "observation_date,VIXCLS\n2024-01-01,\n").unwrap_err();
    assert_eq!(e.to_string(), "f.csv:2:1: no data rows after the header");
}

/// Fields in double quotes (Excel, Investing.com) are read without them, in
/// the header and the rows, and Nasdaq.com's `Close/Last` is the close: its
/// export (US dates, newest first) loads.
#[test]
fn quoted_fields_and_nasdaq_close_last() {
    let text = "\"Date\",\"Open\",\"Close\"\r\n\"2024-01-02\", \"13.21\" ,\"13.20\"\r\n\"01/03/2024\",\"14.1\",\"14.04\"\r\n";
    let s = load_series_from_str("vix", "q.csv", text).unwrap();
    assert_eq!(s.dates, [date("2024-01-02"), date("2024-01-03")]);
    assert_eq!(s.close, [13.2, 14.04]);
    assert_eq!(s.open, Some(vec![13.21, 14.1]));
    let nasdaq = "Date,Close/Last,Open,High,Low\n01/03/2024,4704.81,4725.07,4729.29,4699.71\n01/02/2024,4742.83,4745.2,4754.33,4722.67\n";
    let s = load_series_from_str("spx", "n.csv", nasdaq).unwrap();
    assert_eq!(s.dates, [date("2024-01-02"), date("2024-01-03")]);
    assert_eq!(s.close, [4742.83, 4704.81]);
    // Calendar files too.
    let mut calendar = vixshield::market::Calendar::new();
    let n = calendar
        .add_events_from_str("c.csv", "\"date\",\"event\"\n\"2026-07-14\",\"CPI\"\n")
        .unwrap();
    assert_eq!((n, calendar.dates("CPI")), (1, &[date("2026-07-14")][..]));
    // A quote that does not close the field leaves it as written.
    let e = load_series_from_str("vix", "q.csv", "date,close\n2024-01-02,\"13.2\"x\n").unwrap_err();
    assert_eq!(e.to_string(), "q.csv:2:12: `\"13.2\"x` is not a number");
}
