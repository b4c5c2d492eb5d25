//! The journal reader: every fixture to the exact values it holds, every
//! error to its exact `path:line:col: message`, and property tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::{Decimal, dec};
use vixshield::journal::{
    Journal, JournalError, Trade, parse_journal, parse_journal_bytes, read_journal,
};

const DIR: &str = "tests/fixtures/journals";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn read(name: &str) -> Journal {
    let path = format!("{DIR}/{name}");
    match read_journal(Path::new(&path)) {
        Ok(j) => j,
        Err(e) => panic!("{e}"),
    }
}

/// The rendered error of the fixture `bad/NAME`.
fn read_error(name: &str) -> String {
    let path = format!("{DIR}/bad/{name}");
    match read_journal(Path::new(&path)) {
        Ok(j) => panic!("{name}: read {} trades, expected an error", j.trades.len()),
        Err(e) => e.to_string(),
    }
}

/// The rendered error of `text` read as `journal.csv`.
fn error(text: &str) -> String {
    match parse_journal("journal.csv", text) {
        Ok(j) => panic!("read {} trades, expected an error", j.trades.len()),
        Err(e) => e.to_string(),
    }
}

fn trade(line: usize, d: &str, pnl: Decimal, credit: Option<Decimal>) -> Trade {
    Trade {
        line,
        date: date(d),
        pnl,
        credit,
        hedge_pnl: None,
        short_put: None,
        short_call: None,
        contracts: 1,
    }
}

#[test]
fn progression() {
    let j = read("progression.csv");
    assert_eq!(
        j.trades,
        [
            trade(2, "2024-01-19", dec!(-900), Some(dec!(1000))),
            trade(3, "2024-02-23", dec!(-1500), Some(dec!(1800))),
            trade(4, "2024-03-22", dec!(-2000), Some(dec!(2900))),
            trade(5, "2024-04-19", dec!(-3100), Some(dec!(4600))),
            trade(6, "2024-05-17", dec!(7800), Some(dec!(8700))),
        ]
    );
    assert!(j.warnings.is_empty());
    // The four losses sum to the cycle's $7,500; the win recovers it.
    let losses: Decimal = j.trades.iter().take(4).map(|t| t.pnl).sum();
    assert_eq!(losses, dec!(-7500));
}

#[test]
fn recovery() {
    let j = read("recovery.csv");
    assert_eq!(
        j.trades,
        [
            trade(2, "2024-01-05", dec!(-900), Some(dec!(1000))),
            trade(3, "2024-02-09", dec!(-1600), Some(dec!(1800))),
            trade(4, "2024-03-08", dec!(450), Some(dec!(2900))),
            trade(5, "2024-04-05", dec!(300), Some(dec!(1000))),
            // Same day as the trade above: allowed.
            trade(6, "2024-04-05", dec!(250), Some(dec!(1000))),
            trade(7, "2024-05-03", dec!(500), Some(dec!(1000))),
            trade(8, "2024-06-07", dec!(2400), Some(dec!(2900))),
        ]
    );
    // The small wins do not recover the two losses; the big win does.
    let before_big: Decimal = j.trades.iter().take(6).map(|t| t.pnl).sum();
    assert_eq!(before_big, dec!(-1000));
}

#[test]
fn hedged() {
    let j = read("hedged.csv");
    let t = |line, d, put, call, credit, pnl, hedge| Trade {
        line,
        date: date(d),
        pnl,
        credit: Some(credit),
        hedge_pnl: hedge,
        short_put: Some(put),
        short_call: Some(call),
        contracts: 1,
    };
    assert_eq!(
        j.trades,
        [
            t(
                2,
                "2024-01-19",
                dec!(4550),
                dec!(4950),
                dec!(1000),
                dec!(-900),
                Some(dec!(350))
            ),
            t(
                3,
                "2024-02-23",
                dec!(4700),
                dec!(5125),
                dec!(1800),
                dec!(-1500),
                Some(dec!(-120))
            ),
            t(
                4,
                "2024-03-22",
                dec!(4900),
                dec!(5300),
                dec!(2900),
                dec!(1450),
                None
            ),
            t(
                5,
                "2024-04-19",
                dec!(4825),
                dec!(5275),
                dec!(1000),
                dec!(500),
                Some(dec!(-75.50))
            ),
            t(
                6,
                "2024-05-17",
                dec!(5050),
                dec!(5450),
                dec!(1000),
                dec!(-900),
                Some(dec!(1240.25))
            ),
        ]
    );
    assert!(j.warnings.is_empty());
}

#[test]
fn messy() {
    let path = format!("{DIR}/messy.csv");
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "messy.csv lost its BOM");
    assert!(
        bytes.windows(2).any(|w| w == b"\r\n"),
        "messy.csv lost its CRLF"
    );
    let j = read("messy.csv");
    let t = |line, d, pnl, credit, hedge| Trade {
        line,
        date: date(d),
        pnl,
        credit,
        hedge_pnl: hedge,
        short_put: None,
        short_call: None,
        contracts: 1,
    };
    assert_eq!(
        j.trades,
        [
            t(2, "2024-01-05", dec!(-900), Some(dec!(1000)), None),
            t(
                4,
                "2024-02-09",
                dec!(-1500.50),
                Some(dec!(1800)),
                Some(dec!(75))
            ),
            t(
                6,
                "2024-03-08",
                dec!(2880),
                Some(dec!(2900.00)),
                Some(dec!(-1200))
            ),
        ]
    );
    // Exactly as written, scale included.
    assert_eq!(j.trades[1].pnl.to_string(), "-1500.50");
    assert_eq!(j.trades[2].credit.unwrap().to_string(), "2900.00");
    assert_eq!(
        j.warnings,
        [format!("{path}:1:14: unknown column `notes` ignored")]
    );
}

#[test]
fn long() {
    let path = format!("{DIR}/long.csv");
    let j = read("long.csv");
    assert_eq!(j.trades.len(), 1000);
    assert!(j.warnings.is_empty());
    // The summary printed by scripts/gen_journals.py.
    let wins = j.trades.iter().filter(|t| t.pnl > Decimal::ZERO).count();
    assert_eq!(wins, 739);
    let sum = |f: fn(&Trade) -> Option<Decimal>| -> Decimal { j.trades.iter().filter_map(f).sum() };
    assert_eq!(sum(|t| Some(t.pnl)), dec!(-184523));
    assert_eq!(sum(|t| t.credit), dec!(889145.13));
    assert_eq!(sum(|t| t.hedge_pnl), dec!(76214));
    let mut day = date("2005-01-07");
    for (i, t) in j.trades.iter().enumerate() {
        assert_eq!(t.line, i + 2);
        assert_eq!(t.date, day);
        assert!(t.credit.is_some());
        let pnl = t.pnl;
        assert!(
            (dec!(100)..=dec!(400)).contains(&pnl) || (dec!(-2500)..=dec!(-300)).contains(&pnl),
            "line {}: {pnl}",
            t.line
        );
        day += chrono::TimeDelta::days(7);
    }
    assert_eq!(j.trades.last().unwrap().date, date("2024-03-01"));

    // An independent reading with the csv crate gives the same values.
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let plain = |s: &str| -> Option<Decimal> {
        let s: String = s.chars().filter(|c| *c != '$' && *c != ',').collect();
        (!s.is_empty()).then(|| Decimal::from_str(&s).unwrap())
    };
    let mut n = 0;
    for (record, t) in reader.records().zip(&j.trades) {
        let record = record.unwrap();
        assert_eq!(date(&record[0]), t.date);
        assert_eq!(plain(&record[1]), Some(t.pnl));
        assert_eq!(plain(&record[2]), t.credit);
        assert_eq!(plain(&record[3]), t.hedge_pnl);
        n += 1;
    }
    assert_eq!(n, 1000);
}

#[test]
fn bad_fixtures() {
    let p = |name: &str| format!("{DIR}/bad/{name}");
    let cases = [
        (
            "bad_date.csv",
            ":4:1: `2024-13-01` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)",
        ),
        (
            "bad_amount.csv",
            ":3:12: `12x` is not an amount in column `pnl` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)",
        ),
        (
            "missing_column.csv",
            ":1:1: missing required column `pnl` in header `date,credit,hedge_pnl`",
        ),
        (
            "empty.csv",
            ":1:1: the journal is empty (expected a header with `date` and `pnl`)",
        ),
        (
            "header_only.csv",
            ":2:1: the journal has a header but no trades",
        ),
        (
            "backwards.csv",
            ":5:1: date `2024-02-01` is before `2024-03-01` on line 4; trades must be in date order",
        ),
        (
            "field_count.csv",
            ":3:19: expected 3 fields, found 4 (quote amounts with thousands separators: `\"$1,800\"`)",
        ),
    ];
    for (name, want) in cases {
        assert_eq!(read_error(name), format!("{}{want}", p(name)), "{name}");
    }
}

#[test]
fn io_error_names_the_path() {
    let e = read_journal(Path::new("tests/fixtures/journals/nope.csv")).unwrap_err();
    assert!(matches!(e, JournalError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("tests/fixtures/journals/nope.csv: cannot read the journal: "),
        "{e}"
    );
    assert_eq!(e.location(), None);
}

#[test]
fn inline_errors() {
    for (text, want) in [
        (
            "date,pnl\n2024-01-05,-900\n2024-01-06,caf\u{e9}\n",
            "journal.csv:3:12: `caf\u{e9}` is not an amount in column `pnl` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)",
        ),
        (
            "date,pnl,PnL\n",
            "journal.csv:1:10: column `pnl` appears twice in the header",
        ),
        (
            "pnl,credit\n",
            "journal.csv:1:1: missing required column `date` in header `pnl,credit`",
        ),
        // A spreadsheet's names for the column: the error says which to rename.
        (
            "date,P&L,credit\n2024-01-05,-900,1000\n",
            "journal.csv:1:1: missing required column `pnl` in header `date,P&L,credit`; if `P&L` is it, name it `pnl`",
        ),
        (
            "Trade Date,P/L\n2024-01-05,-900\n",
            "journal.csv:1:1: missing required column `date` in header `Trade Date,P/L`; if `Trade Date` is it, name it `date`",
        ),
        (
            "date,amount\n2024-01-05,-900\n",
            "journal.csv:1:1: missing required column `pnl` in header `date,amount`",
        ),
        // A trade's exit is the day it closed; a header that is not all of
        // a backtest's trades file is not read as one, so `exit` is named.
        (
            "entry,exit,pnl\n2024-01-02,2024-01-05,-900\n",
            "journal.csv:1:1: missing required column `date` in header `entry,exit,pnl`; if `exit` is it, name it `date`",
        ),
        (
            "date,pnl\n2024-01-05\n",
            "journal.csv:2:11: expected 2 fields, found 1",
        ),
        (
            "date,pnl\n2024-01-05,\"-900\n",
            "journal.csv:2:12: quoted field is not closed before the end of the line",
        ),
        (
            "date,pnl\n2024-01-05,\"-900\" x\n",
            "journal.csv:2:19: unexpected `x` after a closing quote (expected `,` or the end of the line)",
        ),
        (
            "date,pnl\n2024-01-05,\n",
            "journal.csv:2:12: the `pnl` field is empty",
        ),
        (
            "date,pnl\n  ,5\n",
            "journal.csv:2:1: the `date` field is empty",
        ),
        (
            "date,pnl\n2024-02-30,5\n",
            "journal.csv:2:1: `2024-02-30` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)",
        ),
        (
            "date,pnl\n  2024-1-05 ,5\n",
            "journal.csv:2:3: `2024-1-05` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)",
        ),
        (
            "date,pnl\n2024-01-05,99999999999999999999999999999\n",
            "journal.csv:2:12: `99999999999999999999999999999` is too large for a decimal (column `pnl`)",
        ),
        (
            "date,pnl,credit\n2024-01-05,1,0.00000000000000000000000000001\n",
            "journal.csv:2:14: `0.00000000000000000000000000001` has more digits than a decimal can hold exactly (column `credit`)",
        ),
        // A credit is at least a cent: a smaller one is refused where it is.
        (
            "date,pnl,credit\n2024-01-05,-900,0.009\n",
            "journal.csv:2:17: `0.009` is not a credit: a condor opens for a credit of at least $0.01 (column `credit`)",
        ),
        (
            "date,pnl,credit\n2024-01-05,-900,-1000\n",
            "journal.csv:2:17: `-1000` is not a credit: a condor opens for a credit of at least $0.01 (column `credit`)",
        ),
        (
            "date,credit,pnl\n2024-01-05,\" -$1,000 \",5\n2024-01-06,0,5\n",
            "journal.csv:2:12: `-$1,000` is not a credit: a condor opens for a credit of at least $0.01 (column `credit`)",
        ),
        (
            "date,pnl,credit\n2024-01-05,5,1000\n2024-01-06,5,  $0.00\n",
            "journal.csv:3:16: `$0.00` is not a credit: a condor opens for a credit of at least $0.01 (column `credit`)",
        ),
        (
            "date,pnl,short_put\n2024-01-05,1,\"4,60\"\n",
            "journal.csv:2:14: `4,60` is not an amount in column `short_put` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)",
        ),
        (
            "\n  \n\r\n",
            "journal.csv:1:1: the journal is empty (expected a header with `date` and `pnl`)",
        ),
        (
            "\u{feff}",
            "journal.csv:1:1: the journal is empty (expected a header with `date` and `pnl`)",
        ),
        // The column is counted in characters, after the BOM.
        (
            "\u{feff}date,pnl\r\n2024-01-05,\u{e9}\r\n",
            "journal.csv:2:12: `\u{e9}` is not an amount in column `pnl` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)",
        ),
        (
            "date,notes,pnl\n2024-01-05,caf\u{e9} \u{e9},x\n",
            "journal.csv:2:19: `x` is not an amount in column `pnl` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)",
        ),
    ] {
        assert_eq!(error(text), want, "{text:?}");
    }
}

#[test]
fn not_utf8() {
    let bytes = b"date,pnl\n2024-01-05,-900,caf\xE9\n";
    let e = parse_journal_bytes("journal.csv", bytes).unwrap_err();
    assert_eq!(
        e.to_string(),
        "journal.csv:2:20: the journal is not valid UTF-8 (save it as UTF-8, a spreadsheet's \"CSV UTF-8\"; the byte there is from another encoding, such as Windows-1252)"
    );
}

#[test]
fn the_leftmost_bad_field_is_reported() {
    assert_eq!(
        error("pnl,date\nx,2024-13-01\n"),
        "journal.csv:2:1: `x` is not an amount in column `pnl` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)"
    );
}

/// A row repeated to the letter on its day is likely pasted twice: it is
/// still a trade (two condors can close alike), with a warning naming both
/// lines; a row that differs in any field, or comes on another day, is not.
#[test]
fn a_row_repeated_on_its_day_warns() {
    let j = parse_journal(
        "j.csv",
        "date,pnl,credit\n2026-01-09,300,600\n2026-01-16,-500,600\n2026-01-16,-500,700\n2026-01-16,-500,600\n2026-01-23,300,600\n",
    )
    .unwrap();
    assert_eq!(j.trades.len(), 5);
    assert_eq!(
        j.warnings,
        [
            "j.csv:5:1: the same trade as line 3 (every field equal); it counts as a second trade: delete it if it is a copy"
        ]
    );
    let j = parse_journal(
        "j.csv",
        "date,pnl,credit\n2026-01-09,300,600\n2026-01-16,300,600\n2026-01-16,300,\n",
    )
    .unwrap();
    assert!(j.warnings.is_empty(), "{:?}", j.warnings);
    // The same amount written another way is the same field (`-500.00`,
    // `$-500`); a third copy names the copy before it; the same row on
    // another day, after a day between, is no copy.
    let j = parse_journal(
        "j.csv",
        "date,pnl,credit\n2026-01-16,-500,600\n2026-01-16,-500.00,600.0\n2026-01-16,$-500,600\n\
         2026-01-23,-500,600\n2026-01-30,1,1\n2026-01-30,-500,600\n",
    )
    .unwrap();
    assert_eq!(
        j.warnings,
        [
            "j.csv:3:1: the same trade as line 2 (every field equal); it counts as a second trade: delete it if it is a copy",
            "j.csv:4:1: the same trade as line 3 (every field equal); it counts as a second trade: delete it if it is a copy",
        ]
    );
    // Many trades on one day, all different but one copy at the end.
    let mut text = String::from("date,pnl\n");
    for i in 0..5000 {
        text += &format!("2026-01-16,{i}\n");
    }
    text += "2026-01-16,17\n";
    let j = parse_journal("j.csv", &text).unwrap();
    assert_eq!(
        j.warnings,
        [
            "j.csv:5002:1: the same trade as line 19 (every field equal); it counts as a second trade: delete it if it is a copy"
        ]
    );
}

#[test]
fn unknown_columns_warn_and_are_ignored() {
    let j = parse_journal(
        "j.csv",
        "date,Notes,pnl,\"strategy\"\n2024-01-05,anything at all,5,\"x, y\"\n",
    )
    .unwrap();
    assert_eq!(
        j.warnings,
        [
            "j.csv:1:6: unknown column `Notes` ignored",
            "j.csv:1:16: unknown column `strategy` ignored"
        ]
    );
    assert_eq!(
        j.trades,
        [trade(2, "2024-01-05", dec!(5), None)],
        "unknown cells are not read"
    );
}

#[test]
fn crlf_and_bom_variants_read_the_same() {
    let text = std::fs::read_to_string(format!("{DIR}/hedged.csv")).unwrap();
    let want = parse_journal("h.csv", &text).unwrap();
    let crlf = text.replace('\n', "\r\n");
    let variants = [
        crlf.clone(),
        format!("\u{feff}{text}"),
        format!("\u{feff}{crlf}"),
        // No line end at the end of the file.
        crlf.trim_end().to_string(),
        // Blank and whitespace-only lines anywhere.
        text.replace('\n', "\n \t\n\n"),
        format!("\n\r\n{crlf}\r\n\r\n"),
    ];
    for v in variants {
        let got = parse_journal("h.csv", &v).unwrap();
        let strip = |j: &Journal| -> Vec<Trade> {
            j.trades
                .iter()
                .map(|t| Trade {
                    line: 0,
                    ..t.clone()
                })
                .collect()
        };
        assert_eq!(strip(&got), strip(&want), "{v:?}");
    }
    // Line numbers follow the file, blank lines included.
    let j = parse_journal("h.csv", &format!("\n\r\n{crlf}")).unwrap();
    assert_eq!(j.trades[0].line, 4);
}

/// A spreadsheet's old-Mac CSV ends its lines with a lone `\r`: the whole
/// file was one header, `missing required column `pnl` in header
/// `date,pnl\u{d}2024-01-05,...``, at 1:1. Its lines are lines, in errors too.
#[test]
fn lone_cr_line_ends_are_lines() {
    let text = std::fs::read_to_string(format!("{DIR}/hedged.csv")).unwrap();
    let want = parse_journal("h.csv", &text).unwrap();
    let cr = text.replace('\n', "\r");
    let got = parse_journal("h.csv", &cr).unwrap();
    assert_eq!(got.trades, want.trades);
    let e = parse_journal("j.csv", "date,pnl\r2024-01-05,-900\r2024-01-06,12x\r").unwrap_err();
    assert_eq!(
        e.to_string(),
        "j.csv:3:12: `12x` is not an amount in column `pnl` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)"
    );
    let e = parse_journal_bytes("j.csv", b"date,pnl\r2024-01-05,caf\xE9\r").unwrap_err();
    assert_eq!(
        e.to_string(),
        "j.csv:2:15: the journal is not valid UTF-8 (save it as UTF-8, a spreadsheet's \"CSV UTF-8\"; the byte there is from another encoding, such as Windows-1252)"
    );
}

#[test]
fn no_partial_results() {
    // An error on the last line returns no trades at all.
    let mut text = std::fs::read_to_string(format!("{DIR}/long.csv")).unwrap();
    text.push_str("2024-03-08,oops,1.00,\n");
    let e = parse_journal("long.csv", &text).unwrap_err();
    assert_eq!(e.location().map(|l| l.line), Some(1002));
}

/// Every accepted way to write `d`, as a CSV field.
fn styles(d: Decimal) -> Vec<String> {
    let negative = d.is_sign_negative();
    let abs = d.abs().to_string();
    let (int, frac) = match abs.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (abs.clone(), String::new()),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let grouped = format!("{grouped}{frac}");
    let sign = if negative { "-" } else { "" };
    let mut out = vec![
        d.to_string(),
        format!("{sign}{abs}"),
        format!("{sign}${abs}"),
        format!("${sign}{abs}"),
        format!("\"{sign}{grouped}\""),
        format!("\"{sign}${grouped}\""),
        format!("\"${sign}{grouped}\""),
        format!("  {sign}${abs} "),
        format!(" \" {sign}${grouped} \" "),
        format!("\"{sign}{abs}\""),
    ];
    if !negative {
        out.push(format!("+{abs}"));
        out.push(format!("+${abs}"));
        out.push(format!("$+{abs}"));
        out.push(format!("\"+${grouped}\""));
    }
    out
}

fn any_decimal() -> impl Strategy<Value = Decimal> {
    (
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        0u32..=28,
    )
        .prop_map(|(lo, mid, hi, negative, scale)| {
            Decimal::from_parts(lo, mid, hi, negative, scale)
        })
}

fn small_decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=6).prop_map(|(n, scale)| Decimal::new(n, scale))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn amounts_round_trip_exactly(d in prop_oneof![any_decimal(), small_decimal()]) {
        for style in styles(d) {
            let text = format!("date,hedge_pnl,pnl\n2024-01-05,{style},{style}\n");
            let j = match parse_journal("p.csv", &text) {
                Ok(j) => j,
                Err(e) => return Err(TestCaseError::fail(format!("{style:?}: {e}"))),
            };
            let t = &j.trades[0];
            prop_assert_eq!(t.pnl, d, "{:?}", style);
            prop_assert_eq!(t.pnl.scale(), d.scale(), "{:?}", style);
            prop_assert_eq!(t.hedge_pnl, Some(d), "{:?}", style);
        }
        // A credit round-trips when at least a cent and is refused, where it is, otherwise.
        for x in [d, -d] {
            for style in styles(x) {
                let text = format!("date,credit,pnl\n2024-01-05,{style},1\n");
                match parse_journal("p.csv", &text) {
                    Ok(j) => {
                        let c = j.trades[0].credit.unwrap_or_default();
                        prop_assert!(x >= vixshield::journal::MIN_CREDIT && c == x && c.scale() == x.scale(), "{:?}", style);
                    }
                    Err(e) => prop_assert!(
                        x < vixshield::journal::MIN_CREDIT
                            && matches!(e, JournalError::NonPositiveCredit { .. })
                            && e.to_string().starts_with("p.csv:2:"),
                        "{:?}: {}", style, e
                    ),
                }
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_journal_bytes("r.csv", &bytes);
        let mut with_header = b"date,pnl,credit\n".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = parse_journal_bytes("r.csv", &with_header);
    }

    #[test]
    fn csv_like_text_never_panics_and_errors_point_inside(
        body in "[-0-9$,.\" \r\n\u{feff}éx+]{0,300}",
        header in prop_oneof![
            Just("date,pnl\n"),
            Just("pnl,date,credit\n"),
            Just("\"date\",pnl,notes,hedge_pnl\n"),
            Just(""),
        ],
    ) {
        let text = format!("{header}{body}");
        match parse_journal("r.csv", &text) {
            Ok(j) => {
                prop_assert!(!j.trades.is_empty());
                prop_assert!(j.trades.windows(2).all(|w| w[0].date <= w[1].date));
            }
            Err(e) => {
                let at = e.location().unwrap();
                // Lines as the reader counts them: `\n`, `\r\n` or a lone `\r`.
                let lines = vixshield::source::line_starts(&text).len();
                prop_assert!(at.line >= 1 && at.line <= lines + 1, "{}", e);
                prop_assert!(at.column >= 1);
                let shown = e.to_string();
                prop_assert!(shown.starts_with("r.csv:"));
                prop_assert!(!shown.ends_with('.'));
            }
        }
    }
}

/// `read_history` takes a header without trades as an empty history (the
/// state before the first trade); anything else reads as `read_journal`.
/// `run` over a journal holding only its header (a new account's, a nightly
/// job's first night) gives the decision before any trade, as `next` does:
/// it exited 1, "the journal has a header but no trades", where `next`
/// decided (found by the JSON audit). The summary says there is no cycle
/// yet instead of an empty table.
#[test]
fn run_over_a_journal_of_only_its_header_gives_the_first_decision() {
    let journal = "tests/fixtures/journals/bad/header_only.csv";
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "strategies/spx-mastery.vxs", "--journal", journal];
        args.extend(extra);
        let out = crate::common::vixshield(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            crate::common::text(&out.stderr)
        );
        crate::common::text(&out.stdout)
    };
    let decisions: serde_json::Value =
        serde_json::from_str(&run(&["--format", "json"])).expect("json");
    let decisions = decisions.as_array().expect("a list");
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(decisions[0]["trade"], 0);
    assert_eq!(decisions[0]["event"], "start");
    let next: serde_json::Value = serde_json::from_str(&{
        let out = crate::common::vixshield(&[
            "next",
            "strategies/spx-mastery.vxs",
            "--journal",
            journal,
            "--format",
            "json",
        ]);
        crate::common::text(&out.stdout)
    })
    .expect("json");
    for key in ["step", "size", "equity", "hedges", "guards"] {
        assert_eq!(decisions[0][key], next["decision"][key], "{key}");
    }
    let summary = run(&["--summary"]);
    assert!(
        summary.starts_with("no cycles: no trade yet\n"),
        "{summary}"
    );
    assert!(summary.contains("trades 0, wins 0, losses 0"), "{summary}");
    // `diff --journal` compares the two versions' first decisions the same
    // way (it exited 1 on the journal, found by the review): conservative's
    // front layer budgets less, so they differ (exit 1), and a version
    // against itself does not (exit 0).
    let diff = |new: &str| {
        crate::common::vixshield(&[
            "diff",
            "strategies/spx-mastery.vxs",
            new,
            "--journal",
            journal,
            "--format",
            "json",
        ])
    };
    let out = diff("strategies/conservative.vxs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["changed"][0]["trade"], 0, "{v}");
    let same = diff("strategies/spx-mastery.vxs");
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        crate::common::text(&same.stderr)
    );
}

#[test]
fn a_history_may_be_only_a_header() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("written");
        p
    };
    let header = write("h.csv", "date,pnl,credit,notes\n\n");
    let h = vixshield::journal::read_history(&header).expect("an empty history");
    assert!(h.trades.is_empty());
    assert_eq!(h.warnings.len(), 1, "the unknown column still warns");
    assert!(matches!(
        read_journal(&header),
        Err(JournalError::NoTrades { .. })
    ));
    let empty = write("e.csv", "");
    assert!(matches!(
        vixshield::journal::read_history(&empty),
        Err(JournalError::Empty { .. })
    ));
    let bad = write("b.csv", "date,pnl\n2024-01-05,x\n");
    assert!(matches!(
        vixshield::journal::read_history(&bad),
        Err(JournalError::BadAmount { .. })
    ));
    let one = write("o.csv", "date,pnl\n2024-01-05,5\n");
    assert_eq!(
        vixshield::journal::read_history(&one)
            .map(|j| j.trades.len())
            .ok(),
        Some(1)
    );
}

/// An amount that overflows while a journal is replayed is an error at the
/// line of the trade it happened at, in `run`, `next`, `diff` and `risk`.
#[test]
fn an_overflow_while_replaying_names_the_trades_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("overflow.csv");
    let big = "9".repeat(28);
    let mut text = String::from("date,pnl,credit\n");
    for month in 1..=9 {
        text.push_str(&format!("2024-{month:02}-05,{big},{big}\n"));
    }
    std::fs::write(&path, text).unwrap();
    let journal = path.to_str().unwrap();
    let s = "strategies/spx-mastery.vxs";
    let expected = format!(
        "error: {journal}:9:1: after trade 8: amount overflows the largest representable decimal\n"
    );
    for (args, code) in [
        (vec!["run", s, "--journal", journal], 1),
        (vec!["next", s, "--journal", journal], 1),
        (
            vec![
                "diff",
                s,
                "strategies/conservative.vxs",
                "--journal",
                journal,
            ],
            2,
        ),
        // `risk` said `overflow.csv: after trade 8: ...`, without the line.
        (vec!["risk", s, "--journal", journal], 1),
    ] {
        let out = crate::common::vixshield(&args);
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        assert_eq!(crate::common::text(&out.stderr), expected, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// `run strategies/spx-mastery.vxs --journal J --summary EXTRA...` over a
/// journal holding `text`.
fn run_summary(text: &str, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.csv");
    std::fs::write(&path, text).unwrap();
    let mut args = vec![
        "run",
        "strategies/spx-mastery.vxs",
        "--journal",
        path.to_str().unwrap(),
        "--summary",
    ];
    args.extend_from_slice(extra);
    crate::common::vixshield(&args)
}

/// The summary's JSON writes its money as `run`'s decisions, `next` and
/// `risk --journal` write the same amounts: normalized (`"97829.9"`), not
/// with the journal's trailing zeros (`"97829.90"`, `"2800.10"`, a
/// break-even `"4960.00"` the table shows as `4960`), so the final equity
/// read the same as the last decision's equity only when the journal wrote
/// no `.00`.
#[test]
fn summary_json_writes_amounts_as_run_and_risk_do() {
    let journal = "date,short_put,short_call,credit,pnl,hedge_pnl\n\
                   2024-01-19,4550.50,4950,1000.00,-900.00,350.00\n\
                   2024-02-23,4700,5125,\"1,800.10\",\"-1,500\",-120.10\n";
    let out = run_summary(journal, &["--no-market", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let o = &v["overall"];
    // By hand: -900 - 1,500; 350 - 120.10; the loss 120.10; 1,000 + 1,800.10;
    // 120.10 / 2,800.10 = 0.0428913… (6 places); 100,000 - 2,400 + 229.90.
    assert_eq!(o["condor_pnl"], "-2400");
    assert_eq!(o["hedge_pnl"], "229.9");
    assert_eq!(o["hedge_loss"], "120.1");
    assert_eq!(o["credit"], "2800.1");
    assert_eq!(o["hedge_loss_to_credit"], "0.042891");
    assert_eq!(v["final_equity"], "97829.9");
    assert_eq!(v["lowest_equity"], "97829.9");
    assert_eq!(v["cycles"][0]["condor_pnl"], "-2400");
    // 4,550.50 - 10 and 4,950 + 10; 4,700 - 18.001 and 5,125 + 18.001.
    let be: Vec<(&str, &str)> = v["break_evens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["lower"].as_str().unwrap(), b["upper"].as_str().unwrap()))
        .collect();
    assert_eq!(be, [("4540.5", "4960"), ("4681.999", "5143.001")]);
    // The same amounts as `run`'s last decision and `risk --journal`.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.csv");
    std::fs::write(&path, journal).unwrap();
    let path = path.to_str().unwrap();
    let run = crate::common::vixshield(&[
        "run",
        "strategies/spx-mastery.vxs",
        "--journal",
        path,
        "--no-market",
        "--format",
        "json",
    ]);
    let run: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(run[2]["equity"], v["final_equity"]);
    let risk = crate::common::vixshield(&[
        "risk",
        "strategies/spx-mastery.vxs",
        "--journal",
        path,
        "--format",
        "json",
    ]);
    let risk: serde_json::Value = serde_json::from_slice(&risk.stdout).unwrap();
    assert_eq!(risk["journal"]["lowest_equity"], v["lowest_equity"]);
    // The table shows the break-evens so.
    let table = crate::common::text(&run_summary(journal, &["--no-market"]).stdout);
    assert!(table.contains("4540.5 .. 4960\n"), "{table}");
}

/// A run that ends where it started has an IRR of 0.00%, never -0.00% (the
/// root finder lands a hair below zero).
#[test]
fn a_flat_run_has_an_irr_of_zero_not_minus_zero() {
    let out = run_summary("date,pnl\n2024-01-05,100\n2024-02-05,-100\n", &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = crate::common::text(&out.stdout);
    assert!(stdout.contains("IRR 0.00%"), "{stdout}");
    assert!(!stdout.contains("-0.00%"), "{stdout}");
}

/// The summary's sums can overflow where the replay does not: a journal's
/// amounts are each within a decimal's range, their sums (the credit
/// collected) and a strike plus its credit in points (a break-even) need not
/// be. That is an error at the trade's line, exit 1, nothing on stdout, in
/// the table and in JSON; it panicked (`Addition overflowed`).
#[test]
fn a_summary_sum_beyond_a_decimal_is_an_error_at_the_trades_line() {
    let max = "79228162514264337593543950335";
    for (journal, line, trade) in [
        // Two credits of the largest decimal.
        (
            format!("date,pnl,credit\n2024-01-05,100,{max}\n2024-02-05,100,{max}\n"),
            3,
            2,
        ),
        // A short call of the largest decimal, plus $10 of credit in points.
        (
            format!(
                "date,pnl,credit,short_put,short_call\n\
                 2024-01-05,100,1000,4500,4900\n\
                 2024-02-05,100,1000,4500,{max}\n"
            ),
            3,
            2,
        ),
    ] {
        for format in ["table", "json"] {
            let out = run_summary(&journal, &["--no-market", "--format", format]);
            let stderr = crate::common::text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{journal}\n{stderr}");
            assert!(out.stdout.is_empty(), "{journal}");
            assert!(
                stderr.starts_with("error: ")
                    && stderr.ends_with(&format!(
                        "journal.csv:{line}:1: summing trade {trade}: \
                         amount overflows the largest representable decimal\n"
                    )),
                "{journal}\n{stderr}"
            );
        }
    }
}

/// The summary's ratio and break-evens: hedge losses count toward "hedge
/// loss to credit" only on trades whose credit is known, and a position of
/// several condors spreads its credit over them for the break-even.
#[test]
fn summary_ratio_uses_trades_with_a_credit_and_break_evens_use_contracts() {
    let out = run_summary(
        "date,pnl,credit,hedge_pnl,short_put,short_call,contracts\n\
         2024-01-05,500,1000,-100,4600,4900,2\n\
         2024-02-09,400,,-300,,,\n\
         2024-03-08,300,\"$1,500\",,4700,5000,\n",
        &["--no-market", "--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let overall = &v["overall"];
    // Every hedge loss is a cost ($400), but the ratio is $100 / $2,500:
    // the $300 lost beside a trade of unknown credit has no credit to set
    // against.
    assert_eq!(overall["hedge_loss"], "400");
    assert_eq!(overall["credit"], "2500");
    assert_eq!(overall["hedge_loss_to_credit"], "0.04");
    // $1,000 over two condors is 5 points each; $1,500 over one (blank
    // `contracts`) is 15.
    let be: Vec<(String, String)> = v["break_evens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["lower"].to_string(), b["upper"].to_string()))
        .collect();
    assert_eq!(
        be,
        [
            ("\"4595\"".to_string(), "\"4905\"".to_string()),
            ("\"4685\"".to_string(), "\"5015\"".to_string())
        ]
    );
}

/// Hedge loss to credit rounds half away from zero, as every figure of the
/// summary does: $0.02 of hedge lost on a $1,600 credit is exactly
/// 0.0000125, which is 0.000013 to 6 places (it was 0.000012, half to
/// even), and $50.90 on $2,000 is 0.02545, 2.55% in the table (was 2.54%).
#[test]
fn hedge_loss_to_credit_rounds_half_away_from_zero() {
    let journal = "date,pnl,credit,hedge_pnl\n\
                   2024-01-05,500,\"1,600\",-0.02\n\
                   2024-02-09,400,\"2,000\",-50.90\n";
    let out = run_summary(journal, &["--no-market", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ratios: Vec<&str> = v["cycles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["hedge_loss_to_credit"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ratios, ["0.000013", "0.02545"]);
    let table = crate::common::text(&run_summary(journal, &["--no-market"]).stdout);
    let second = table.lines().nth(2).unwrap_or("");
    assert!(second.contains(" 2.55% "), "{table}");
}

/// A position's credit spread over its condors need not end in points:
/// $999.99 over 7 condors is 1.42855714… points. The break-evens are to 4
/// places (a cent of one condor's credit), in JSON and the table; they were
/// 28 digits (`4598.5714428571428571428571429`).
#[test]
fn break_evens_over_several_condors_are_to_four_places() {
    let journal = "date,pnl,credit,short_put,short_call,contracts\n\
                   2024-01-19,300,999.99,4600,5000,7\n\
                   2024-01-26,300,$1234.56,4600,5000,1\n";
    let out = run_summary(journal, &["--no-market", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let be: Vec<(&str, &str)> = v["break_evens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["lower"].as_str().unwrap_or(""),
                b["upper"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(be, [("4598.5714", "5001.4286"), ("4587.6544", "5012.3456")]);
    let out = run_summary(journal, &["--no-market"]);
    let table = crate::common::text(&out.stdout);
    assert!(
        table.contains("2024-01-19  4598.5714 .. 5001.4286\n"),
        "{table}"
    );
}

/// The summary is a table or JSON. Asked for as CSV it was written as the
/// table (into `--out summary.csv` too, exit 0); now it is a usage error, said
/// before anything is read or written.
#[test]
fn a_summary_has_no_csv_form() {
    let journal = "date,pnl\n2024-01-05,100\n2024-02-05,-100\n";
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("summary.csv");
    for extra in [
        vec!["--format", "csv"],
        vec!["--format", "csv", "--out", out_file.to_str().unwrap()],
    ] {
        let out = run_summary(journal, &extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(out.stdout.is_empty(), "{extra:?}");
        assert_eq!(
            crate::common::text(&out.stderr),
            "error: `--summary` has no CSV form; use `--format table` or `--format json`\n"
        );
    }
    assert!(!out_file.exists(), "nothing written");
    // The table and JSON say the same numbers.
    let table = run_summary(journal, &["--format", "table"]);
    let json = run_summary(journal, &["--format", "json"]);
    assert_eq!(
        (table.status.code(), json.status.code()),
        (Some(0), Some(0))
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["overall"]["trades"], 2);
    assert!(
        crate::common::text(&table.stdout).contains("trades 2, wins 1, losses 1,"),
        "{}",
        crate::common::text(&table.stdout)
    );
}

#[test]
fn contracts_must_be_a_whole_number_from_one() {
    for field in ["1.5", "0", "-2", "$3", "4294967296"] {
        let text = format!(
            "date,pnl,credit,hedge_pnl,short_put,short_call,contracts\n2024-01-05,500,1000,,4600,4900,{field}\n"
        );
        assert_eq!(
            error(&text),
            format!(
                "journal.csv:2:32: `{field}` is not a number of contracts: a whole number from 1 (column `contracts`)"
            )
        );
    }
    let j = parse_journal(
        "journal.csv",
        "date,pnl,contracts\n2024-01-05,500,\"1,000\"\n2024-01-06,500,\n",
    )
    .unwrap();
    let got: Vec<u32> = j.trades.iter().map(|t| t.contracts).collect();
    assert_eq!(got, [1000, 1]);
}

/// The summary's ratios show two places, as `backtest`'s do: a cycle
/// without hedges costs `0.00%` of its credit (it read `0%`, and 2% read
/// `2%`, where `backtest` shows `0.00%` and `2.00%`).
#[test]
fn summary_ratios_show_two_places_as_backtest_does() {
    let journal = "date,pnl,credit,hedge_pnl\n\
                   2024-01-05,500,\"1,000\",\n\
                   2024-02-09,400,\"1,000\",-20\n";
    let out = run_summary(journal, &["--no-market"]);
    let table = crate::common::text(&out.stdout);
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows.get(1).is_some_and(|l| l.contains(" 0.00% ")),
        "{table}"
    );
    assert!(
        rows.get(2).is_some_and(|l| l.contains(" 2.00% ")),
        "{table}"
    );
    assert!(table.contains("hedge loss to credit 1.00%, "), "{table}");
}

/// A journal that ruins spx-mastery's $100,000: $500, then −$150,000
/// (−$49,500 on 2024-02-23), then $800.
const RUINOUS: &str =
    "date,pnl,credit\n2024-01-19,500,1000\n2024-02-23,\"-150,000\",1800\n2024-03-22,800,1000\n";

/// A journal whose equity falls to $0 or below says so: `run --summary`
/// gives the lowest equity and its date, and `ruined_on`, the first day at
/// or below $0 (JSON; a `RUINED` line in the table), and `next` says it
/// beside the size it still gives (`ruined_on` in its JSON). They printed
/// a final equity of −$48,700 and sized the next condor with no word of
/// ruin. A healthy journal's lowest equity is its running minimum, and no
/// ruin.
#[test]
fn a_ruined_journal_says_so_in_the_summary_and_next() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ruinous = dir.path().join("ruin.csv");
    std::fs::write(&ruinous, RUINOUS).expect("written");
    let strategy = "strategies/spx-mastery.vxs";
    let summary = |journal: &str| -> serde_json::Value {
        let out = crate::common::vixshield(&[
            "run",
            strategy,
            "--journal",
            journal,
            "--summary",
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let journal = ruinous.to_str().expect("utf-8");
    let v = summary(journal);
    // $100,000 + $500 − $150,000 = −$49,500 on 2024-02-23; + $800 after.
    assert_eq!(v["lowest_equity"], "-49500");
    assert_eq!(v["lowest_equity_on"], "2024-02-23");
    assert_eq!(v["ruined_on"], "2024-02-23");
    assert_eq!(v["final_equity"], "-48700");
    let table = crate::common::text(
        &crate::common::vixshield(&["run", strategy, "--journal", journal, "--summary"]).stdout,
    );
    assert!(
        table.contains("\nlowest equity after a trade -$49,500 on 2024-02-23\n"),
        "{table}"
    );
    assert!(
        table.contains("\nRUINED: on 2024-02-23 the equity fell to $0 or below;"),
        "{table}"
    );
    let next = crate::common::vixshield(&["next", strategy, "--journal", journal]);
    assert_eq!(next.status.code(), Some(0));
    assert!(
        crate::common::text(&next.stdout)
            .contains("\nRUINED: on 2024-02-23 the equity fell to $0 or below;"),
        "{}",
        crate::common::text(&next.stdout)
    );
    let next =
        crate::common::vixshield(&["next", strategy, "--journal", journal, "--format", "json"]);
    let n: serde_json::Value = serde_json::from_slice(&next.stdout).expect("json");
    assert_eq!(n["ruined_on"], "2024-02-23");
    // A healthy journal: the running minimum of capital + the P&L so far.
    let healthy = "tests/fixtures/journals/progression.csv";
    let mut equity = dec!(100000);
    let mut lowest = (equity, serde_json::Value::Null);
    for t in read("progression.csv").trades {
        equity += t.pnl + t.hedge_pnl.unwrap_or_default();
        if equity < lowest.0 {
            lowest = (equity, serde_json::Value::String(t.date.to_string()));
        }
    }
    let v = summary(healthy);
    assert_eq!(v["lowest_equity"], lowest.0.normalize().to_string());
    assert_eq!(v["lowest_equity_on"], lowest.1);
    assert_eq!(v["ruined_on"], serde_json::Value::Null);
    let next =
        crate::common::vixshield(&["next", strategy, "--journal", healthy, "--format", "json"]);
    let n: serde_json::Value = serde_json::from_slice(&next.stdout).expect("json");
    assert_eq!(n["ruined_on"], serde_json::Value::Null);
}

/// `risk --journal` with a strategy says when the journal's account was
/// ruined, before the odds computed from its trades (a `RUINED` row; JSON
/// `journal` with `lowest_equity`, `lowest_equity_on`, `ruined_on`, as the
/// summary gives them); it gave a Kelly fraction of −10,521.57% with no
/// word of ruin. Without a strategy there is no capital, and no `journal`.
#[test]
fn risk_over_a_ruined_journal_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ruinous = dir.path().join("ruin.csv");
    std::fs::write(&ruinous, RUINOUS).expect("written");
    let journal = ruinous.to_str().expect("utf-8");
    let strategy = "strategies/spx-mastery.vxs";
    let table = crate::common::vixshield(&["risk", strategy, "--journal", journal]);
    assert_eq!(table.status.code(), Some(0));
    let text = crate::common::text(&table.stdout);
    assert_eq!(
        text.lines().nth(3),
        Some(
            "RUINED                      the journal's equity fell to $0 or below on 2024-02-23 (lowest -$49,500)"
        ),
        "{text}"
    );
    let json = |args: &[&str]| -> serde_json::Value {
        let out = crate::common::vixshield(args);
        assert_eq!(out.status.code(), Some(0));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let v = json(&["risk", strategy, "--journal", journal, "--format", "json"]);
    let summary = json(&[
        "run",
        strategy,
        "--journal",
        journal,
        "--summary",
        "--format",
        "json",
    ]);
    for key in ["lowest_equity", "lowest_equity_on", "ruined_on"] {
        assert_eq!(v["journal"][key], summary[key], "{key}");
    }
    assert_eq!(v["journal"]["ruined_on"], "2024-02-23");
    let healthy = json(&[
        "risk",
        strategy,
        "--journal",
        "tests/fixtures/journals/progression.csv",
        "--format",
        "json",
    ]);
    assert_eq!(healthy["journal"]["ruined_on"], serde_json::Value::Null);
    let bare = json(&[
        "risk",
        "--run",
        "4",
        "--journal",
        journal,
        "--format",
        "json",
    ]);
    assert!(
        bare.get("journal").is_some_and(serde_json::Value::is_null),
        "{bare}"
    );
}

/// docs/engine.md, the summary: `hedge_cost` counts every trade's hedge losses, while
/// the ratio counts only those of the trades with a credit (so it is not
/// `hedge_cost` ÷ `credit` here), and an equity that never fell below the
/// capital has the capital as its `lowest_equity` and no date (an
/// independent model built from the README read `null` for both).
#[test]
fn summary_hedge_cost_and_lowest_equity_are_as_the_readme_says() {
    let journal = "date,credit,pnl,hedge_pnl\n\
                   2024-01-19,1000,500,-100\n\
                   2024-02-23,,200,-50\n";
    let out = run_summary(journal, &["--no-market", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let o = &v["overall"];
    assert_eq!(o["hedge_loss"], "150");
    assert_eq!(o["credit"], "1000");
    assert_eq!(o["hedge_loss_to_credit"], "0.1");
    assert_eq!(v["lowest_equity"], "100000");
    assert_eq!(v["lowest_equity_on"], serde_json::Value::Null);
}

/// `run` says when journal trades lost more than the max loss the engine
/// decided for them (their credit × the step's max loss): a stop was
/// passed, which the ladder's worst case does not allow for. It said
/// nothing (found by the independent model of the engine). The count and
/// the first are those of the decisions' own JSON; a journal whose losses
/// all stayed within their stops gets no warning.
#[test]
fn run_says_when_trades_lost_past_their_stop() {
    let run = |journal: &str, format: &str| {
        crate::common::vixshield(&[
            "run",
            "strategies/spx-mastery.vxs",
            "--journal",
            journal,
            "--format",
            format,
        ])
    };
    let journal = "tests/fixtures/journals/spikes.csv";
    let out = run(journal, "json");
    assert_eq!(out.status.code(), Some(0));
    let decisions: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let decisions = decisions.as_array().expect("a list");
    let money = |v: &serde_json::Value| v.as_str().and_then(|s| Decimal::from_str(s).ok());
    let past: Vec<(u64, String, Decimal, Decimal)> = decisions
        .windows(2)
        .filter_map(|w| {
            let (max_loss, pnl) = (money(&w[0]["max_loss"])?, money(&w[1]["pnl"])?);
            (pnl < -max_loss).then(|| {
                (
                    w[1]["trade"].as_u64().unwrap_or(0),
                    w[1]["date"].as_str().unwrap_or("").to_string(),
                    pnl,
                    max_loss,
                )
            })
        })
        .collect();
    assert!(
        past.len() >= 2,
        "the fixture's spikes pass their stops: {past:?}"
    );
    let (trade, date, ..) = &past[0];
    for format in ["json", "table", "csv"] {
        let stderr = crate::common::text(&run(journal, format).stderr);
        assert!(
            stderr.contains(&format!(
                "warning: {} trades lost more than the max loss decided for them, so a stop was passed"
            , past.len())) && stderr.contains(&format!("the first is trade {trade} on {date}, ")),
            "{format}: {stderr}"
        );
    }
    let quiet = run("tests/fixtures/journals/hedged.csv", "table");
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        !crate::common::text(&quiet.stderr).contains("max loss"),
        "{}",
        crate::common::text(&quiet.stderr)
    );
}

/// A US spreadsheet's `MM/DD/YYYY` is read month first, as market files
/// read it; a day-first date is refused saying what to write, and slash
/// dates none of which has a day past the 12th are refused as either
/// (`09/05/2025`: September 5 or 9 May), never read one way silently.
#[test]
fn us_dates_are_read_month_first_and_day_first_ones_are_refused() {
    let iso = parse_journal(
        "j.csv",
        "date,pnl\n2025-09-05,100\n2025-09-26,-50\n2026-01-02,7\n",
    )
    .unwrap();
    for text in [
        "date,pnl\n09/05/2025,100\n09/26/2025,-50\n01/02/2026,7\n",
        "date,pnl\n9/5/2025,100\n9/26/2025,-50\n1/2/2026,7\n",
        "date,pnl\n2025-09-05,100\n09/26/2025,-50\n2026-01-02,7\n",
    ] {
        assert_eq!(parse_journal("j.csv", text).unwrap(), iso, "{text}");
    }
    assert_eq!(
        error("date,pnl\n26/09/2025,100\n"),
        "journal.csv:2:1: `26/09/2025` is not a date (expected YYYY-MM-DD or MM/DD/YYYY; this one is day first, DD/MM/YYYY: write it `2025-09-26`)"
    );
    // Day first, its early days read month first until the 13th refuses it.
    assert_eq!(
        error("date,pnl\n05/09/2025,100\n 13/09/2025,100\n"),
        "journal.csv:3:2: `13/09/2025` is not a date (expected YYYY-MM-DD or MM/DD/YYYY; this one is day first, DD/MM/YYYY: write it `2025-09-13`)"
    );
    // Day first, its early days misread month first out of order: the
    // day-first date further down is the cause, not the order (it said to
    // sort the file, which would not have mended it).
    assert_eq!(
        error("date,pnl\n10/01/2024,1\n02/02/2024,2\n05/03/2024,3\n20/03/2024,4\n"),
        "journal.csv:5:1: `20/03/2024` is not a date (expected YYYY-MM-DD or MM/DD/YYYY; this one is day first, DD/MM/YYYY: write it `2024-03-20`)"
    );
    // Nothing tells: refused at the first date that could be either.
    assert_eq!(
        error("date,pnl\n2025-01-02,1\n05/05/2025,100\n09/05/2025,-50\n10/11/2025,3\n"),
        "journal.csv:4:1: `09/05/2025` may be September 5 (MM/DD/YYYY) or 9 May (DD/MM/YYYY), and no date in the journal has a day past the 12th to tell: write the dates as YYYY-MM-DD (`2025-09-05` or `2025-05-09`)"
    );
    // A day the same either way needs no telling.
    assert_eq!(
        parse_journal("j.csv", "date,pnl\n05/05/2025,1\n")
            .unwrap()
            .trades[0]
            .date,
        date("2025-05-05")
    );
}

/// An optional column written another way (`Hedge P&L`) would be ignored
/// and the trades sized without it: it is an error naming the column to
/// write; a name only near one is still ignored, its warning saying which
/// it may be. Exact names are matched without regard to case.
#[test]
fn optional_columns_written_another_way_are_refused() {
    for (name, column) in [
        ("hedge pnl", "hedge_pnl"),
        ("Hedge P&L", "hedge_pnl"),
        ("hedge_p&l", "hedge_pnl"),
        ("HedgePnL", "hedge_pnl"),
        ("Hedge P/L", "hedge_pnl"),
        ("hedge-pnl", "hedge_pnl"),
        ("Credits", "credit"),
        ("Short Put", "short_put"),
        ("shortcall", "short_call"),
        ("Contract", "contracts"),
    ] {
        assert_eq!(
            error(&format!("date,pnl,{name}\n2024-01-05,-900,1\n")),
            format!(
                "journal.csv:1:10: column `{name}` is not a column the journal reads; did you mean `{column}`? (rename it `{column}`: a name this close to one the journal reads is taken for a typo and stops the run, where a column named otherwise would be ignored)"
            ),
            "{name}"
        );
    }
    let j = parse_journal(
        "j.csv",
        "Date,PnL,CREDIT,Hedge_PnL,Contracts,Short Put Strike,notes\n2024-01-05,-900,1000,50,2,4600,x\n",
    )
    .unwrap();
    assert_eq!(j.trades[0].credit, Some(dec!(1000)));
    assert_eq!(j.trades[0].hedge_pnl, Some(dec!(50)));
    assert_eq!(j.trades[0].contracts, 2);
    assert_eq!(
        j.warnings,
        [
            "j.csv:1:37: unknown column `Short Put Strike` ignored; did you mean `short_put`?",
            "j.csv:1:54: unknown column `notes` ignored"
        ]
    );
    // Beside the column itself, a look-alike is only ignored.
    let j = parse_journal(
        "j.csv",
        "date,pnl,hedge_pnl,Hedge P&L\n2024-01-05,-900,50,x\n",
    )
    .unwrap();
    assert_eq!(
        j.warnings,
        ["j.csv:1:20: unknown column `Hedge P&L` ignored; did you mean `hedge_pnl`?"]
    );
}

/// A journal each of whose trades is dated before the one above it is read
/// oldest first, with a warning saying so; newest first with two trades on
/// one day is refused (whether the export reversed their order too cannot
/// be told), saying to sort the file oldest first.
#[test]
fn a_newest_first_journal_is_read_oldest_first() {
    let j = parse_journal(
        "j.csv",
        "date,pnl,credit\n2024-03-01,-300,1000\n\n2024-02-01,200,\n2024-01-05,-900,1250\n",
    )
    .unwrap();
    assert_eq!(
        j.trades,
        [
            trade(5, "2024-01-05", dec!(-900), Some(dec!(1250))),
            trade(4, "2024-02-01", dec!(200), None),
            trade(2, "2024-03-01", dec!(-300), Some(dec!(1000))),
        ]
    );
    assert_eq!(
        j.warnings,
        [
            "j.csv:2:1: the trades are newest first (each dated before the one above it); they are read oldest first, from line 5 (2024-01-05) to line 2 (2024-03-01)"
        ]
    );
    let hint = "(this file looks newest first: sort it by date ascending, oldest first, keeping the trades of one day in the order they closed)";
    let not_newest_first = "the first two trades are newest first (line 3 before line 2), and a newest-first journal is read only when every trade is dated before the one above it: sort the file by date ascending, oldest first, keeping the trades of one day in the order they closed (or, if the date on line 3 or 2 is mistyped, fix it)";
    assert_eq!(
        error("date,pnl\n2024-03-01,-300\n2024-02-01,200\n2024-02-01,-900\n"),
        format!(
            "journal.csv:4:1: date `2024-02-01` is not before `2024-02-01` on line 3; {not_newest_first}"
        )
    );
    // An oldest-first file with a mistyped year on line 3.
    assert_eq!(
        error("date,pnl\n2024-03-01,-300\n2023-03-08,200\n2024-03-15,-900\n"),
        format!(
            "journal.csv:4:1: date `2024-03-15` is not before `2023-03-08` on line 3; {not_newest_first}"
        )
    );
    // Two trades newest first are as likely a mistyped date: not reversed.
    assert_eq!(
        error("date,pnl\n2024-03-01,-300\n2024-02-01,200\n"),
        format!(
            "journal.csv:3:1: date `2024-02-01` is before `2024-03-01` on line 2; trades must be in date order {hint}"
        )
    );
    assert_eq!(
        error("date,pnl\n2024-03-01,-300\n2024-03-01,200\n2024-02-01,-900\n"),
        format!(
            "journal.csv:4:1: date `2024-02-01` is before `2024-03-01` on line 3; trades must be in date order {hint}"
        )
    );
    // The decisions are those of the same trades oldest first.
    let oldest = run_summary(
        "date,pnl\n2024-01-05,-900\n2024-02-01,-1500\n2024-03-01,300\n",
        &[],
    );
    let newest = run_summary(
        "date,pnl\n2024-03-01,300\n2024-02-01,-1500\n2024-01-05,-900\n",
        &[],
    );
    assert!(oldest.status.success() && newest.status.success());
    let stdout = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();
    // The table names each trade's line; the rest is the same.
    let lines = |o: &std::process::Output| {
        stdout(o)
            .lines()
            .filter(|l| !l.contains("line"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&oldest), lines(&newest));
    assert!(String::from_utf8_lossy(&newest.stderr).contains("the trades are newest first"));
}

/// A file `backtest --trades` wrote is a journal as it is: `exit` is the
/// day a trade closed and `credit` (per contract there) times `contracts`
/// the position's credit, and its other columns draw no warning. An audit
/// fed one to `run`: it stopped at the missing `date`, and with `exit`
/// renamed `date` it ran on a credit per contract as the position's, its
/// break-evens and hedge loss to credit wrong without a word. Here the file
/// as written, and with `exit` renamed, give what the journal written from
/// it by hand gives, decision for decision and in the summary.
#[test]
fn a_backtest_trades_file_is_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let trades = at("trades.csv");
    let out = crate::common::vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2008-01-01",
        "--to",
        "2009-12-31",
        "--trades",
        &trades,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let written = std::fs::read_to_string(&trades).unwrap();
    let mut rows = written.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut by_hand = String::from("date,pnl,credit,hedge_pnl,short_put,short_call,contracts\n");
    let mut several = 0;
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        let contracts: u32 = f[col("contracts")].parse().unwrap();
        several += usize::from(contracts > 1);
        let credit: rust_decimal::Decimal = f[col("credit")].parse().unwrap();
        by_hand += &format!(
            "{},{},{},{},{},{},{}\n",
            f[col("exit")],
            f[col("pnl")],
            credit * rust_decimal::Decimal::from(contracts),
            f[col("hedge_pnl")],
            f[col("short_put")],
            f[col("short_call")],
            contracts
        );
    }
    // Per contract and per position differ only past one contract.
    assert!(several > 0, "no trade of several contracts:\n{written}");
    std::fs::write(at("by_hand.csv"), by_hand).unwrap();
    std::fs::write(at("renamed.csv"), written.replacen(",exit,", ",date,", 1)).unwrap();
    for extra in [&["--summary"][..], &[]] {
        let run = |journal: &str| {
            let mut args = vec![
                "run",
                "strategies/spx-mastery.vxs",
                "--journal",
                journal,
                "--format",
                "json",
            ];
            args.extend_from_slice(extra);
            crate::common::vixshield(&args)
        };
        let want = run(&at("by_hand.csv"));
        assert_eq!(
            want.status.code(),
            Some(0),
            "{}",
            crate::common::text(&want.stderr)
        );
        for journal in ["trades.csv", "renamed.csv"] {
            let got = run(&at(journal));
            assert_eq!(
                got.status.code(),
                Some(0),
                "{journal}: {}",
                crate::common::text(&got.stderr)
            );
            assert!(
                got.stdout == want.stdout,
                "{journal} {extra:?} differs from the journal by hand"
            );
            assert_eq!(
                crate::common::text(&got.stderr),
                crate::common::text(&want.stderr),
                "{journal}"
            );
        }
    }
}
