//! Errors of the market-data loaders.
//!
//! Every error that points into a file renders as `PATH:LINE:COLUMN: what is
//! wrong`, with a 1-based line and a 1-based column counted in characters of
//! the raw line (a UTF-8 byte-order mark at the start of the file is not
//! counted). Errors about a whole file (it cannot be read, a date range selects
//! nothing) render as `PATH: what is wrong`.

use std::fmt;

use chrono::NaiveDate;

/// A place in a text file: path as shown to the user, 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The path as given by the caller (shown as is).
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    pub(crate) fn new(path: &str, line: usize, column: usize) -> Self {
        Location {
            path: path.to_owned(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::diag::shown_name(&self.path);
        write!(f, "{path}:{}:{}", self.line, self.column)
    }
}

/// What can go wrong when loading market data or an event calendar.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// The file cannot be read, e.g. `data/nope.csv` does not exist:
    /// `data/nope.csv: cannot read the file: no such file`.
    #[error("{path}: cannot read the file: {}", crate::input::reason(.source))]
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The file is not UTF-8, e.g. a Latin-1 `\xE9` byte in `2024-01-03,caf\xE9`
    /// on line 3: `vix.csv:3:15: the file is not valid UTF-8 (save it as UTF-8 ...)`.
    #[error(
        "{at}: the file is not valid UTF-8 (save it as UTF-8, a spreadsheet's \"CSV UTF-8\"; the byte there is from another encoding, such as Windows-1252)"
    )]
    NotUtf8 {
        /// Where the first invalid byte is.
        at: Location,
    },

    /// The file is empty or holds only blank lines: `vix.csv:1:1: the file is empty`.
    #[error("{at}: the file is empty")]
    Empty {
        /// Line 1, column 1.
        at: Location,
    },

    /// A header but no data rows, e.g. a file holding only `date,close`:
    /// `vix.csv:2:1: no data rows after the header`.
    #[error("{at}: no data rows after the header")]
    NoRows {
        /// The line after the last line of the file.
        at: Location,
    },

    /// The header lacks a required column, e.g. `DATE,OPEN,HIGH,LOW` (no `CLOSE`):
    /// ``vix.csv:1:1: missing required column `close` in header `DATE,OPEN,HIGH,LOW` ``.
    /// A header separated by `;`, with neither `date` nor `close` (a title
    /// line above it), or yfinance's three header lines, adds what to do.
    #[error(
        "{at}: missing required column `{column}` in header `{}`{}",
        crate::source::excerpt(header),
        header_hint(column, header)
    )]
    MissingColumn {
        /// Line 1, column 1.
        at: Location,
        /// The required column, lowercase.
        column: &'static str,
        /// The header line as written.
        header: String,
    },

    /// A column name appears twice in the header, e.g. `date,close,Close`:
    /// ``vix.csv:1:12: column `close` appears twice in the header``.
    #[error("{at}: column `{column}` appears twice in the header")]
    DuplicateColumn {
        /// The second occurrence.
        at: Location,
        /// The column name, lowercase.
        column: String,
    },

    /// A row with a `"` that no `"` closes on its line, e.g. a close
    /// written `"1` with the rest of the field on the next line:
    /// `vix.csv:102:14: quoted field is not closed before the end of the line`.
    #[error(
        "{at}: quoted field is not closed before the end of the line (a field is on one line: join the value that runs on to the next)"
    )]
    UnclosedQuote {
        /// The opening `"`.
        at: Location,
    },

    /// A row has more or fewer fields than the header, e.g. `2020-01-02,17.2`
    /// under a five-column header: `vix.csv:3:16: expected 5 fields, found 2`.
    /// The column is that of the first extra field, or one past the end of the
    /// line when fields are missing.
    /// A line of one field holding a `;` adds what to do: ``events.csv:1:11:
    /// expected 2 fields, found 1 (the fields are separated by `;`, ...)``.
    #[error(
        "{at}: expected {expected} fields, found {found}{}",
        if *.semicolons { SEMICOLONS } else { "" }
    )]
    FieldCount {
        /// Where the row goes wrong.
        at: Location,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
        /// Whether the line is one field holding a `;`: a file separated
        /// by `;`, as a European Excel saves CSV.
        semicolons: bool,
    },

    /// A price is not a number, e.g. the open of `1990-01-23,12.3x,...` on
    /// line 17: ``vix.csv:17:12: `12.3x` is not a number``.
    /// An empty field, on a row whose other prices are there, reads ``` `` is
    /// not a number (a row gives every price, or none for a day without
    /// data, which is skipped)```; so do FRED's `.` and Yahoo's `null`.
    /// A comma in it reads ``vix.csv:2:12: `4,512.58` is not a number (write
    /// numbers without thousands separators, with `.` for decimals: 4512.58)``.
    #[error("{at}: `{text}` is not a number{}", number_hint(text))]
    BadNumber {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
    },

    /// A date is neither `YYYY-MM-DD` nor `MM/DD/YYYY`, or is not a calendar
    /// date, e.g. `1990-02-30` on line 5:
    /// ``vix.csv:5:1: `1990-02-30` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)``.
    /// A day-first date adds how to fix it: ``vix.csv:10:1: `13/01/2000` is
    /// not a date (expected YYYY-MM-DD or MM/DD/YYYY; this one is day first,
    /// DD/MM/YYYY: save the dates as YYYY-MM-DD)``.
    #[error(
        "{at}: `{text}` is not a date (expected YYYY-MM-DD or MM/DD/YYYY{})",
        date_hint(text)
    )]
    BadDate {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
    },

    /// A price is `NaN` or infinite, e.g. the close of `1990-01-11,1,1,1,inf`
    /// on line 9: ``vix.csv:9:18: `inf` is not a finite price``.
    #[error("{at}: `{text}` is not a finite price")]
    NonFinitePrice {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
    },

    /// A price is below zero, e.g. the close of `1990-01-11,1,1,1,-1.5` on
    /// line 9: ``vix.csv:9:18: `-1.5` is a negative price``.
    #[error("{at}: `{text}` is a negative price")]
    NegativePrice {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
    },

    /// A close of zero, e.g. the close of `2008-10-10,0` on line 9:
    /// ``spx.csv:9:12: `0` is not a close: an index never closes at zero (a missing value? delete the row)``.
    #[error(
        "{at}: `{text}` is not a close: an index never closes at zero (a missing value? delete the row)"
    )]
    ZeroClose {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
    },

    /// A VIX or VIX3M close below 1 point: the file holds fractions (0.1724)
    /// where VIX is quoted in points (17.24), e.g. on line 2:
    /// ``vix.csv:2:12: `0.1724` is not a VIX level: VIX is quoted in points (17.24, not 0.1724); multiply the file's values by 100``.
    #[error(
        "{at}: `{text}` is not a {series} level: {series} is quoted in points (17.24, not 0.1724); multiply the file's values by 100"
    )]
    VolatilityInFractions {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
        /// `VIX` or `VIX3M`.
        series: String,
    },

    /// A VIX or VIX3M close above 250 points: another index's file (the
    /// S&P 500's, say) given for it, e.g. on line 2:
    /// ``vix.csv:2:12: `1455.22` is not a VIX level (above 250 points; the highest close of VIX or VIX3M is 82.69, VIX on 2020-03-16): is this another index's file?``.
    #[error(
        "{at}: `{text}` is not a {series} level (above 250 points; the highest close of VIX or VIX3M is 82.69, VIX on 2020-03-16): is this another index's file?"
    )]
    VolatilityTooHigh {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
        /// `VIX` or `VIX3M`.
        series: String,
    },

    /// A close more than 10 times larger or smaller than the close before it
    /// in the file, at most 14 days away: a bad print (`1e308`) or a change
    /// of scale, e.g. on line 2208:
    /// ``spx.csv:2208:12: close `1e308` is more than 10 times the close of line 2207 (`899.22`): no index moves so far in days; check both rows (a bad print, or prices in another scale)``.
    #[error(
        "{at}: close `{text}` is {} the close of line {previous_line} (`{previous}`): no index moves so far in days; check both rows (a bad print, or prices in another scale)",
        if *.larger { "more than 10 times" } else { "less than a tenth of" }
    )]
    CloseJump {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
        /// Whether it is larger than the close before it.
        larger: bool,
        /// The close before it in the file.
        previous: f64,
        /// Its line.
        previous_line: usize,
    },

    /// A row out of the file's date order, which its first two rows set:
    /// ascending, e.g. `2020-01-03` then `2020-01-02` on line 4:
    /// ``vix.csv:4:1: date `2020-01-02` comes after `2020-01-03` (line 3); rows must be in ascending date order, as the first two are (or all descending)``,
    /// or newest first, e.g. `2020-01-06` after `2020-01-03` on line 4:
    /// ``vix.csv:4:1: date `2020-01-06` comes after `2020-01-03` (line 3); rows must be in descending date order, as the first two are (or all ascending)``.
    #[error(
        "{at}: date `{date}` comes after `{previous}` (line {previous_line}); rows must be in {}",
        if *.descending { "descending date order, as the first two are (or all ascending)" } else { "ascending date order, as the first two are (or all descending)" }
    )]
    UnsortedDates {
        /// The date field of the later row.
        at: Location,
        /// Its date.
        date: NaiveDate,
        /// The date of the row before.
        previous: NaiveDate,
        /// The line of the row before.
        previous_line: usize,
        /// Whether the file is newest first.
        descending: bool,
    },

    /// Two rows share a date, e.g. `2020-01-02` on lines 3 and 4:
    /// ``vix.csv:4:1: duplicate date `2020-01-02` (first on line 3)``.
    #[error("{at}: duplicate date `{date}` (first on line {first_line})")]
    DuplicateDate {
        /// The date field of the second row.
        at: Location,
        /// The date.
        date: NaiveDate,
        /// The line of the first row with it.
        first_line: usize,
    },

    /// A flag column of the FOMC file holds something other than `0` or `1`,
    /// e.g. `yes`: ``fomc.csv:2:12: `yes` is not 0 or 1``.
    #[error("{at}: `{text}` is not 0 or 1")]
    BadFlag {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
    },

    /// An event name in a calendar file is empty or not an identifier, e.g.
    /// `CPI release`: ``events.csv:3:12: `CPI release` is not an event name (use letters, digits and `_`)``.
    #[error("{at}: `{text}` is not an event name (use letters, digits and `_`)")]
    BadEventName {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
    },

    /// An event a strategy cannot name, in a calendar file read for one, e.g.
    /// ``events.csv:3:12: `NFP` is not an event strategies know (FOMC, CPI, PPI)``.
    #[error("{at}: `{text}` is not an event strategies know ({known})")]
    UnknownEvent {
        /// The field.
        at: Location,
        /// The field's text, trimmed.
        text: String,
        /// The events they know, comma-separated.
        known: String,
    },

    /// A span of unknown dates ends before it starts, e.g.
    /// ``gaps.csv:2:16: the span ends (2026-03-01) before it starts (2026-03-03)``.
    #[error("{at}: the span ends ({until}) before it starts ({from})")]
    ReversedSpan {
        /// The `until` field.
        at: Location,
        /// The span's first day.
        from: NaiveDate,
        /// Its last day.
        until: NaiveDate,
    },

    /// A correction replaces an event the calendar does not have, e.g.
    /// ``fomc-corrections.csv:9:17: no FOMC on 2008-09-28 to replace``.
    #[error("{at}: no {kind} on {date} to replace")]
    NothingToReplace {
        /// The `replaces` field.
        at: Location,
        /// The event kind, upper case.
        kind: String,
        /// The date that was to be replaced.
        date: NaiveDate,
    },

    /// A date range selects no bar of the primary series, e.g. 1980-01-01..=1980-12-31
    /// on VIX: `data/vix-daily.csv: no rows between 1980-01-01 and 1980-12-31`.
    #[error("{path}: no rows between {start} and {end}")]
    EmptyRange {
        /// The primary series' path.
        path: String,
        /// First day of the range.
        start: NaiveDate,
        /// Last day of the range.
        end: NaiveDate,
    },
}

/// What to do about a file separated by `;`.
const SEMICOLONS: &str = " (the fields are separated by `;`, as a European Excel saves CSV: save it with `,` between fields and `.` for decimals)";

/// What to do about a field that is not a number, when it can be told.
fn number_hint(text: &str) -> &'static str {
    if text.contains(',') {
        " (write numbers without thousands separators, with `.` for decimals: 4512.58)"
    } else if ["", ".", "null"].contains(&text) {
        " (a row gives every price, or none for a day without data, which is skipped)"
    } else {
        ""
    }
}

/// What to do about a date in a form the loaders do not read, when it can be told.
fn date_hint(text: &str) -> &'static str {
    let day_first = |sep: char| {
        super::text::numeric_date_parts(text, sep)
            .is_some_and(|(day, month, _)| (1..=12).contains(&month) && (1..=31).contains(&day))
    };
    if text.contains('.') && day_first('.') {
        "; this one is day first, DD.MM.YYYY: save the dates as YYYY-MM-DD"
    } else if day_first('/') {
        "; this one is day first, DD/MM/YYYY: save the dates as YYYY-MM-DD"
    } else if two_digit_year(text) {
        "; the year needs four digits: 01/03/2000, not 01/03/00"
    } else if text.len() > 10 && text.get(..10).and_then(super::text::parse_date).is_some() {
        "; write the date alone, without a time"
    } else {
        ""
    }
}

/// `MM/DD/YY` (or `DD/MM/YY`): numbers with a two-digit last part.
fn two_digit_year(text: &str) -> bool {
    let parts: Vec<&str> = text.split('/').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.get(2).is_some_and(|y| y.len() == 2)
}

/// What to do about a header without a required column, when it can be told.
fn header_hint(column: &str, header: &str) -> &'static str {
    if !matches!(column, "date" | "close") {
        return "";
    }
    let names: Vec<String> = header
        .split(',')
        .map(|n| n.trim().trim_matches('"').trim().to_ascii_lowercase())
        .collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    if header.contains(';') && !header.contains(',') {
        SEMICOLONS
    } else if column == "date" && has("price") && has("close") {
        // yfinance's `download(...).to_csv()` since 0.2.51: `Price,Close,...`,
        // `Ticker,^VIX,...` and `Date,,...` above the rows.
        " (a yfinance header of three lines, `Price,...`, `Ticker,...` and `Date,...`: make it one line, `Date,Close,High,Low,Open,Volume`, or download with `multi_level_index=False`)"
    } else if !has("date") && !has("close") && !has("observation_date") {
        " (the first non-blank line must be the header, naming `date` and `close` among its columns: add one, or remove a title above it)"
    } else if column == "close" && has("value") && has("date") {
        " (if `value` is the day's close, as `vixshield signal vix` writes it, name it `close`)"
    } else if column == "close" && (has("price") || has("last") || has("px_last")) {
        " (if that column is the day's close, as Investing.com's `Price` or Bloomberg's `PX_LAST`, name it `close`)"
    } else {
        ""
    }
}

impl MarketError {
    /// Where in a file the error is, if it points into one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            MarketError::Io { .. } | MarketError::EmptyRange { .. } => None,
            MarketError::NotUtf8 { at }
            | MarketError::Empty { at }
            | MarketError::NoRows { at }
            | MarketError::MissingColumn { at, .. }
            | MarketError::DuplicateColumn { at, .. }
            | MarketError::FieldCount { at, .. }
            | MarketError::UnclosedQuote { at }
            | MarketError::BadNumber { at, .. }
            | MarketError::BadDate { at, .. }
            | MarketError::NonFinitePrice { at, .. }
            | MarketError::NegativePrice { at, .. }
            | MarketError::ZeroClose { at, .. }
            | MarketError::VolatilityInFractions { at, .. }
            | MarketError::VolatilityTooHigh { at, .. }
            | MarketError::CloseJump { at, .. }
            | MarketError::UnsortedDates { at, .. }
            | MarketError::DuplicateDate { at, .. }
            | MarketError::BadFlag { at, .. }
            | MarketError::BadEventName { at, .. }
            | MarketError::UnknownEvent { at, .. }
            | MarketError::ReversedSpan { at, .. }
            | MarketError::NothingToReplace { at, .. } => Some(at),
        }
    }
}
