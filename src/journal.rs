//! The trader's journal of closed condors: a CSV file read into [`Trade`]s.
//!
//! # Format
//!
//! A header line, then one closed condor a line:
//!
//! ```text
//! date,pnl,credit,hedge_pnl,short_put,short_call,contracts
//! 2024-01-05,-900,"$1,250",,4600,4900,2
//! ```
//!
//! - `date` and `pnl` are required; `credit`, `hedge_pnl`, `short_put`,
//!   `short_call` and `contracts` are optional. `credit` is what the whole
//!   position took in; `contracts` (a whole number from 1, 1 when absent or
//!   blank) is how many condors it was, for the break-even prices. Columns
//!   come in any order; names are matched without regard to case or
//!   surrounding spaces. A column with any other name is ignored with a
//!   warning (the header `date,pnl,notes` gives
//!   ``journal.csv:1:10: unknown column `notes` ignored``), which says
//!   which optional column it may be when it is near one (`Short Put
//!   Strike`: did you mean `short_put`?); a name given twice is an error,
//!   and so is an optional column's name written another way when the
//!   column itself is not there (compared without case, spaces, `_`, `-`,
//!   `&`, `/`, `P&L` as `pnl`, one letter off at most: `Hedge P&L`,
//!   `hedge pnl`, `Credits`), since ignoring it would size the trades
//!   without it: [`JournalError::LookalikeColumn`].
//! - A file `backtest --trades` wrote is a journal too: a header with every
//!   column of [`crate::backtest::TRADES_FILE_COLUMNS`] (its `exit` perhaps
//!   renamed `date`) is read with `exit` as the date unless there is a
//!   `date`, and its `credit`, per contract there, times `contracts` as the
//!   position's credit; its other columns draw no warning.
//! - Dates are ISO `YYYY-MM-DD` or US `MM/DD/YYYY` (month and day of one or
//!   two digits), read by the market files' reader: a slash date is month
//!   first. A day-first date past the 12th (`26/09/2025`) is an error saying
//!   what to write (`2025-09-26`); so are slash dates none of which has a
//!   day past the 12th, where month first and day first cannot be told
//!   apart (`09/05/2025`, unless another slash date such as `09/26/2025`
//!   shows the order; a day equal to the month is either way).
//! - Trades are oldest first and never go backwards (several trades may
//!   close the same day, in the order they closed). A journal whose second
//!   trade is dated before its first is newest first: it is read when it
//!   holds three trades or more, each dated strictly before the one above
//!   it, reversed, with a warning saying so (two trades could as well be
//!   an oldest-first file with a mistyped date: an error); a trade on or after the day of the one above it is
//!   then an error saying to sort the file oldest first (two trades on one
//!   day in a newest-first file could be in either order, and their order
//!   moves the ladder).
//! - Amounts (`pnl`, `credit`, `hedge_pnl`) and strikes (`short_put`,
//!   `short_call`) are read exactly as [`Decimal`]s: digits with an optional
//!   fraction (`1800`, `1800.50`), an optional `$`, thousands separators that
//!   group three digits (`1,800`; a field holding a comma must be quoted:
//!   `"$1,800"`), one optional sign before or after the `$` (`-900`, `-$900`,
//!   `$-900`, `+900`), and spaces around it all. An empty optional field is
//!   `None`; an empty required field is an error. A `credit` is above zero
//!   (a condor opens for a credit; its max loss is a share of it).
//! - Fields may be quoted with `"` (a `""` inside stands for one `"`); a
//!   quoted field does not span lines. A UTF-8 byte-order mark is dropped,
//!   `\r\n`, `\n` and a lone `\r` end a line, and lines holding only
//!   whitespace are skipped wherever they are.
//!
//! # Errors
//!
//! Reading stops at the first problem and returns no trades: a journal is
//! used whole or not at all. Every error that points into the file renders
//! as `PATH:LINE:COLUMN: what is wrong` (1-based; the column counts the
//! characters of the raw line before the offending field's first non-blank
//! character, or before the field when it is blank; a byte-order mark is not
//! counted). See [`JournalError`].

use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use crate::market::Location;

/// One closed condor.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Trade {
    /// The 1-based line of the journal it was read from.
    pub line: usize,
    /// The day it was closed.
    pub date: NaiveDate,
    /// Its realized profit (negative: a loss), in dollars.
    pub pnl: Decimal,
    /// The credit received when it was opened, in dollars.
    pub credit: Option<Decimal>,
    /// The realized profit of the hedge closed with it, in dollars.
    pub hedge_pnl: Option<Decimal>,
    /// The short put's strike.
    pub short_put: Option<Decimal>,
    /// The short call's strike.
    pub short_call: Option<Decimal>,
    /// How many condors the position was (at least 1; 1 when not given).
    pub contracts: u32,
}

/// A whole journal: its trades in file order, and warnings about the file
/// (`PATH:LINE:COLUMN: message`, e.g. an unknown column).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Journal {
    /// The trades, oldest first: in file order, or reversed for a
    /// newest-first file.
    pub trades: Vec<Trade>,
    /// Warnings, each rendered `PATH:LINE:COLUMN: message`.
    pub warnings: Vec<String>,
}

/// What can go wrong when reading a journal. Each variant names an input
/// that triggers it and what it renders as.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file cannot be read, e.g. `nope.csv` does not exist:
    /// `nope.csv: cannot read the journal: no such file`.
    #[error("{path}: cannot read the journal: {}", crate::input::reason(.source))]
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The file is not UTF-8, e.g. a Latin-1 `\xE9` in `2024-01-05,-900,caf\xE9`
    /// on line 2: `journal.csv:2:20: the journal is not valid UTF-8 (save it as UTF-8 ...)`.
    #[error(
        "{at}: the journal is not valid UTF-8 (save it as UTF-8, a spreadsheet's \"CSV UTF-8\"; the byte there is from another encoding, such as Windows-1252)"
    )]
    NotUtf8 {
        /// Where the first invalid byte is.
        at: Location,
    },

    /// The file is empty or holds only blank lines:
    /// ``journal.csv:1:1: the journal is empty (expected a header with `date` and `pnl`)``.
    #[error("{at}: the journal is empty (expected a header with `date` and `pnl`)")]
    Empty {
        /// Line 1, column 1.
        at: Location,
    },

    /// A header but no trades, e.g. a file holding only `date,pnl`:
    /// `journal.csv:2:1: the journal has a header but no trades`.
    #[error("{at}: the journal has a header but no trades")]
    NoTrades {
        /// Column 1 of the line after the header.
        at: Location,
    },

    /// The header lacks `date` or `pnl`, e.g. `date,credit`:
    /// ``journal.csv:1:1: missing required column `pnl` in header `date,credit` ``.
    #[error("{at}: missing required column `{column}` in header `{}`{}", crate::source::excerpt(header), likely.as_ref().map(|l| format!("; if `{l}` is it, name it `{column}`")).unwrap_or_default())]
    MissingColumn {
        /// Column 1 of the header line.
        at: Location,
        /// The missing column.
        column: &'static str,
        /// The header line as written.
        header: String,
        /// An ignored column that is probably the missing one, as written
        /// (`P&L`, `P/L`, `Trade Date`).
        likely: Option<String>,
    },

    /// A known column appears twice in the header, e.g. `date,pnl,PnL`:
    /// ``journal.csv:1:10: column `pnl` appears twice in the header``.
    #[error("{at}: column `{column}` appears twice in the header")]
    DuplicateColumn {
        /// The second occurrence.
        at: Location,
        /// The column name, lowercase.
        column: &'static str,
    },

    /// A row has more or fewer fields than the header, e.g. `2024-01-05,-900,12`
    /// under `date,pnl`: `journal.csv:2:17: expected 2 fields, found 3`. When
    /// there are too many, the message adds a hint about quoting amounts with
    /// thousands separators. The column is that of the first extra field, or
    /// one past the end of the line when fields are missing.
    #[error("{at}: expected {expected} fields, found {found}{}", field_count_hint(*.expected, *.found))]
    FieldCount {
        /// Where the row goes wrong.
        at: Location,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },

    /// A field with an opening quote and no closing one, e.g. `2024-01-05,"-900`:
    /// `journal.csv:2:12: quoted field is not closed before the end of the line`.
    #[error("{at}: quoted field is not closed before the end of the line")]
    UnclosedQuote {
        /// The opening quote.
        at: Location,
    },

    /// Text after the closing quote of a field, e.g. `2024-01-05,"-900"x`:
    /// ``journal.csv:2:18: unexpected `x` after a closing quote (expected `,` or the end of the line)``.
    #[error(
        "{at}: unexpected `{found}` after a closing quote (expected `,` or the end of the line)"
    )]
    TextAfterQuote {
        /// The first character after the closing quote (and any spaces).
        at: Location,
        /// That character.
        found: char,
    },

    /// A required field (`date` or `pnl`) is blank, e.g. `2024-01-05,`:
    /// ``journal.csv:2:12: the `pnl` field is empty``.
    #[error("{at}: the `{column}` field is empty")]
    EmptyField {
        /// The blank field.
        at: Location,
        /// Its column's name.
        column: &'static str,
    },

    /// A date is neither `YYYY-MM-DD` nor `MM/DD/YYYY`, or not a calendar
    /// date, e.g. `2024-13-01` on line 4:
    /// ``journal.csv:4:1: `2024-13-01` is not a date (expected YYYY-MM-DD or MM/DD/YYYY)``.
    /// A day-first date says what to write: ``journal.csv:2:1: `26/09/2025`
    /// is not a date (expected YYYY-MM-DD or MM/DD/YYYY; this one is day
    /// first, DD/MM/YYYY: write it `2025-09-26`)``.
    #[error(
        "{at}: `{text}` is not a date (expected YYYY-MM-DD or MM/DD/YYYY{})",
        date_hint(text)
    )]
    BadDate {
        /// The field.
        at: Location,
        /// Its text, trimmed.
        text: String,
    },

    /// Slash dates none of which has a day past the 12th, so that month
    /// first and day first cannot be told apart, e.g. `09/05/2025` on line 2
    /// and no slash date after the 12th of a month:
    /// ``journal.csv:2:1: `09/05/2025` may be September 5 (MM/DD/YYYY) or 9 May (DD/MM/YYYY), and no date in the journal has a day past the 12th to tell: write the dates as YYYY-MM-DD (`2025-09-05` or `2025-05-09`)``.
    #[error(
        "{at}: `{text}` may be {} (MM/DD/YYYY) or {} (DD/MM/YYYY), and no date in the journal has a day past the 12th to tell: write the dates as YYYY-MM-DD (`{month_first}` or `{day_first}`)",
        month_first.format("%B %-d"),
        day_first.format("%-d %B")
    )]
    AmbiguousDate {
        /// The first such date.
        at: Location,
        /// Its text, trimmed.
        text: String,
        /// The date read month first.
        month_first: NaiveDate,
        /// The date read day first.
        day_first: NaiveDate,
    },

    /// A header name that is an optional column's written another way
    /// (compared without case, spaces, `_`, `-`, `&`, `/`, with `P&L` as
    /// `pnl`, one letter off at most), e.g. `Hedge P&L` in
    /// `date,pnl,Hedge P&L`: ignoring it would size the trades without it:
    /// ``journal.csv:1:10: column `Hedge P&L` is not a column the journal reads; did you mean `hedge_pnl`? (rename it `hedge_pnl`: a name this close to one the journal reads is taken for a typo and stops the run, where a column named otherwise would be ignored)``.
    #[error(
        "{at}: column `{text}` is not a column the journal reads; did you mean `{column}`? (rename it `{column}`: a name this close to one the journal reads is taken for a typo and stops the run, where a column named otherwise would be ignored)"
    )]
    LookalikeColumn {
        /// The header field.
        at: Location,
        /// Its text, trimmed.
        text: String,
        /// The column it looks like.
        column: &'static str,
    },

    /// An amount or strike is not a number in an accepted form, e.g. `12x`
    /// in `pnl` on line 3: ``journal.csv:3:12: `12x` is not an amount in column `pnl` (expected e.g. `-900`, `1800.50`, `"$1,800"`)``.
    #[error(
        "{at}: `{text}` is not an amount in column `{column}` (expected e.g. `-900`, `1800.50`, `\"$1,800\"`)"
    )]
    BadAmount {
        /// The field.
        at: Location,
        /// Its column's name.
        column: &'static str,
        /// Its text, trimmed.
        text: String,
    },

    /// An amount beyond the largest decimal (about 7.9 × 10^28), e.g.
    /// `99999999999999999999999999999` in `pnl` on line 2:
    /// ``journal.csv:2:12: `99999999999999999999999999999` is too large for a decimal (column `pnl`)``.
    #[error("{at}: `{text}` is too large for a decimal (column `{column}`)")]
    AmountTooLarge {
        /// The field.
        at: Location,
        /// Its column's name.
        column: &'static str,
        /// Its text, trimmed.
        text: String,
    },

    /// An amount with more digits than a decimal holds exactly (28 after the
    /// point, about 28 significant digits in all), e.g. `0.00000000000000000000000000001`:
    /// ``journal.csv:2:12: `0.00000000000000000000000000001` has more digits than a decimal can hold exactly (column `pnl`)``.
    #[error("{at}: `{text}` has more digits than a decimal can hold exactly (column `{column}`)")]
    AmountTooPrecise {
        /// The field.
        at: Location,
        /// Its column's name.
        column: &'static str,
        /// Its text, trimmed.
        text: String,
    },

    /// A credit below a cent ([`MIN_CREDIT`]), e.g. `-1000` in `credit` on
    /// line 2: a condor opens for a credit, and its max loss is a share of it:
    /// ``journal.csv:2:17: `-1000` is not a credit: a condor opens for a credit of at least $0.01 (column `credit`)``.
    #[error(
        "{at}: `{text}` is not a credit: a condor opens for a credit of at least $0.01 (column `credit`)"
    )]
    NonPositiveCredit {
        /// The field.
        at: Location,
        /// Its text, trimmed.
        text: String,
    },

    /// A `contracts` field that is not a whole number from 1 to
    /// 4,294,967,295, e.g. `1.5` in `2024-01-05,500,1000,,4600,4900,1.5` on
    /// line 2:
    /// ``journal.csv:2:32: `1.5` is not a number of contracts: a whole number from 1 (column `contracts`)``.
    #[error(
        "{at}: `{text}` is not a number of contracts: a whole number from 1 (column `contracts`)"
    )]
    BadContracts {
        /// The field.
        at: Location,
        /// Its text, trimmed.
        text: String,
    },

    /// A trade dated before the trade above it, e.g. `2024-03-01` on line 4
    /// then `2024-02-01` on line 5:
    /// ``journal.csv:5:1: date `2024-02-01` is before `2024-03-01` on line 4; trades must be in date order``.
    /// When every row above is on or before the one above it (the file
    /// looks newest first, but two trades share a day, so their order
    /// cannot be told, or it holds only two trades, too few to tell it
    /// from a mistyped date), it says so: ``…; trades must be in date order (this
    /// file looks newest first: sort it by date ascending, oldest first,
    /// keeping the trades of one day in the order they closed)``.
    #[error(
        "{at}: date `{date}` is before `{previous}` on line {previous_line}; trades must be in date order{}",
        if *newest_first { NEWEST_FIRST_HINT } else { "" }
    )]
    Backwards {
        /// The later row's date field.
        at: Location,
        /// Its date.
        date: NaiveDate,
        /// The date of the trade above.
        previous: NaiveDate,
        /// The line of the trade above.
        previous_line: usize,
        /// Whether the rows above are newest first.
        newest_first: bool,
    },

    /// A journal whose first two trades are newest first (the second's date
    /// before the first's) with a later trade on or after the day of the
    /// one above it, e.g. `2024-03-01`, `2024-02-01`, `2024-02-01`:
    /// ``journal.csv:4:1: date `2024-02-01` is not before `2024-02-01` on line 3; the first two trades are newest first (line 3 before line 2), and a newest-first journal is read only when every trade is dated before the one above it: sort the file by date ascending, oldest first, keeping the trades of one day in the order they closed (or, if the date on line 3 or 2 is mistyped, fix it)``.
    /// Two trades on one day are refused in a newest-first file: whether
    /// the export reversed them too cannot be told, and their order moves
    /// the ladder.
    #[error(
        "{at}: date `{date}` is not before `{previous}` on line {previous_line}; the first two trades are newest first (line {second_line} before line {first_line}), and a newest-first journal is read only when every trade is dated before the one above it: sort the file by date ascending, oldest first, keeping the trades of one day in the order they closed (or, if the date on line {second_line} or {first_line} is mistyped, fix it)"
    )]
    NotNewestFirst {
        /// The row's date field.
        at: Location,
        /// Its date.
        date: NaiveDate,
        /// The date of the trade above.
        previous: NaiveDate,
        /// The line of the trade above.
        previous_line: usize,
        /// The line of the first trade.
        first_line: usize,
        /// The line of the second trade, dated before the first.
        second_line: usize,
    },
}

/// What to do about a journal that looks newest first but cannot be read so.
const NEWEST_FIRST_HINT: &str = " (this file looks newest first: sort it by date ascending, oldest first, keeping the trades of one day in the order they closed)";

/// What to do about a date in a form the journal does not read, when it can be told.
fn date_hint(text: &str) -> String {
    match day_first(text) {
        Some(date) => format!("; this one is day first, DD/MM/YYYY: write it `{date}`"),
        None => String::new(),
    }
}

/// `DD/MM/YYYY` with a day past the 12th (`26/09/2025`), as a date.
fn day_first(text: &str) -> Option<NaiveDate> {
    let (day, month, year) = slash_parts(text)?;
    if day <= 12 {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The three numbers of `A/B/YYYY`, as the market loaders split them.
fn slash_parts(text: &str) -> Option<(u32, u32, u32)> {
    crate::market::text::numeric_date_parts(text, '/')
}

fn field_count_hint(expected: usize, found: usize) -> &'static str {
    if found > expected {
        " (quote amounts with thousands separators: `\"$1,800\"`)"
    } else {
        ""
    }
}

impl JournalError {
    /// Where in the file the error is (all but [`JournalError::Io`]).
    pub fn location(&self) -> Option<&Location> {
        match self {
            JournalError::Io { .. } => None,
            JournalError::NotUtf8 { at }
            | JournalError::Empty { at }
            | JournalError::NoTrades { at }
            | JournalError::MissingColumn { at, .. }
            | JournalError::DuplicateColumn { at, .. }
            | JournalError::FieldCount { at, .. }
            | JournalError::UnclosedQuote { at }
            | JournalError::TextAfterQuote { at, .. }
            | JournalError::EmptyField { at, .. }
            | JournalError::BadDate { at, .. }
            | JournalError::AmbiguousDate { at, .. }
            | JournalError::LookalikeColumn { at, .. }
            | JournalError::NotNewestFirst { at, .. }
            | JournalError::BadAmount { at, .. }
            | JournalError::AmountTooLarge { at, .. }
            | JournalError::AmountTooPrecise { at, .. }
            | JournalError::NonPositiveCredit { at, .. }
            | JournalError::BadContracts { at, .. }
            | JournalError::Backwards { at, .. } => Some(at),
        }
    }
}

/// Reads the journal at `path` (shown in messages as given).
pub fn read_journal(path: &Path) -> Result<Journal, JournalError> {
    read(path, false)
}

/// Reads a journal that may hold no trade yet, only its header: the history
/// before the first trade (`vixshield next` decides the first trade from
/// it). Everything else is read and refused as [`read_journal`] does.
pub fn read_history(path: &Path) -> Result<Journal, JournalError> {
    read(path, true)
}

fn read(path: &Path, empty_ok: bool) -> Result<Journal, JournalError> {
    let name = path.display().to_string();
    let bytes = crate::input::read(path, crate::input::CSV).map_err(|source| JournalError::Io {
        path: name.clone(),
        source,
    })?;
    parse_bytes(&name, &bytes, empty_ok)
}

/// Parses a journal held in memory as bytes; `display_name` stands for the
/// path in messages. Bytes that are not UTF-8 are an error.
pub fn parse_journal_bytes(display_name: &str, bytes: &[u8]) -> Result<Journal, JournalError> {
    parse_bytes(display_name, bytes, false)
}

fn parse_bytes(display_name: &str, bytes: &[u8], empty_ok: bool) -> Result<Journal, JournalError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_text(display_name, text, empty_ok),
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            let at = crate::source::line_col(prefix, prefix.len());
            Err(JournalError::NotUtf8 {
                at: Location::new(display_name, at.line, at.column),
            })
        }
    }
}

/// Parses a journal held in memory; `display_name` stands for the path in messages.
pub fn parse_journal(display_name: &str, text: &str) -> Result<Journal, JournalError> {
    parse_text(display_name, text, false)
}

/// [`parse_journal`]; with `empty_ok`, a header without trades is an empty history.
fn parse_text(display_name: &str, text: &str, empty_ok: bool) -> Result<Journal, JournalError> {
    let path = display_name;
    let mut lines = lines(text);
    let Some(header) = lines.next() else {
        return Err(JournalError::Empty {
            at: Location::new(path, 1, 1),
        });
    };
    let mut warnings = Vec::new();
    let columns = read_header(path, &header, &mut warnings)?;

    let mut trades: Vec<Trade> = Vec::new();
    // The rows of the day being read, field for field (the line left out),
    // with the last line of each: a copy is found in one look-up however
    // many trades share the day (a scan back over the day's rows was
    // quadratic, 64 s for 80,000 rows of one date).
    let mut day_rows: std::collections::HashMap<Trade, usize> = std::collections::HashMap::new();
    let mut fields = Vec::with_capacity(columns.kinds.len());
    // When the trades are newest first (the second before the first), the
    // error if they turn out too few to tell it from a typo.
    let mut newest_first: Option<JournalError> = None;
    // Whether a slash date has a day past the 12th (so they are month
    // first), and the first one that could be either.
    let mut month_first_shown = false;
    let mut ambiguous: Option<(Location, String)> = None;
    // A date-order error held while the slash dates may be day first.
    let mut order_error: Option<JournalError> = None;
    for line in lines {
        line.split_into(path, &mut fields)?;
        if fields.len() != columns.kinds.len() {
            return Err(field_count_error(path, &line, &fields, columns.kinds.len()));
        }
        let trade = read_row(path, &line, &fields, &columns)?;
        let date_field = fields.get(columns.date).copied().unwrap_or_default();
        if let Some((month, day, _)) = slash_parts(&date_field.text) {
            if day > 12 {
                month_first_shown = true;
            } else if month != day && ambiguous.is_none() {
                ambiguous = Some((line.at(path, date_field), date_field.text.to_string()));
            }
        }
        // A date-order error while the slash dates could still be day
        // first is held until the rest of the file tells: a day-first date
        // past the 12th further down (its own error, saying what to write)
        // or none (ambiguous) is the cause, not the order.
        let mut order: Option<JournalError> = None;
        if let Some(previous) = trades.last().filter(|_| order_error.is_none()) {
            if trades.len() == 1 && trade.date < previous.date {
                newest_first = Some(JournalError::Backwards {
                    at: line.at(path, date_field),
                    date: trade.date,
                    previous: previous.date,
                    previous_line: previous.line,
                    newest_first: true,
                });
            } else if newest_first.is_some() && trade.date >= previous.date {
                order = Some(JournalError::NotNewestFirst {
                    at: line.at(path, date_field),
                    date: trade.date,
                    previous: previous.date,
                    previous_line: previous.line,
                    first_line: trades.first().map_or(previous.line, |t| t.line),
                    second_line: previous.line,
                });
            } else if newest_first.is_none() && trade.date < previous.date {
                order = Some(JournalError::Backwards {
                    at: line.at(path, date_field),
                    date: trade.date,
                    previous: previous.date,
                    previous_line: previous.line,
                    newest_first: trades.windows(2).all(|w| match w {
                        [a, b] => b.date <= a.date,
                        _ => true,
                    }),
                });
            }
        }
        if let Some(e) = order {
            if ambiguous.is_some() && !month_first_shown {
                order_error = Some(e);
            } else {
                return Err(e);
            }
        }
        // A row repeated to the letter on its day is more often pasted twice
        // than two trades: it moves the ladder, so say so.
        if trades.last().is_some_and(|t| t.date != trade.date) {
            day_rows.clear();
        }
        let fields = Trade {
            line: 0,
            ..trade.clone()
        };
        if let Some(same) = day_rows.insert(fields, line.number) {
            warnings.push(format!(
                "{}: the same trade as line {same} (every field equal); it counts as a second trade: delete it if it is a copy",
                Location::new(path, line.number, 1),
            ));
        }
        trades.push(trade);
    }
    if let Some((at, text)) = ambiguous
        && !month_first_shown
        && let Some((month, day, year)) = slash_parts(&text)
        && let Ok(year) = i32::try_from(year)
        && let (Some(month_first), Some(day_first)) = (
            NaiveDate::from_ymd_opt(year, month, day),
            NaiveDate::from_ymd_opt(year, day, month),
        )
    {
        return Err(JournalError::AmbiguousDate {
            at,
            text,
            month_first,
            day_first,
        });
    }
    if let Some(e) = order_error {
        return Err(e);
    }
    if let Some(backwards) = newest_first {
        // Two trades, the second before the first, are as likely an
        // oldest-first file with a mistyped date (2023 for 2024) as a
        // newest-first one: three strictly falling dates are not.
        if trades.len() < 3 {
            return Err(backwards);
        }
        trades.reverse();
        if let (Some(first), Some(last)) = (trades.first(), trades.last()) {
            warnings.push(format!(
                "{}: the trades are newest first (each dated before the one above it); they are read oldest first, from line {} ({}) to line {} ({})",
                Location::new(path, last.line, 1),
                first.line,
                first.date,
                last.line,
                last.date
            ));
        }
    }
    if trades.is_empty() && !empty_ok {
        return Err(JournalError::NoTrades {
            at: Location::new(path, header.number + 1, 1),
        });
    }
    Ok(Journal { trades, warnings })
}

/// The columns a journal knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Date,
    Pnl,
    Credit,
    HedgePnl,
    ShortPut,
    ShortCall,
    Contracts,
}

impl Column {
    const ALL: [Column; 7] = [
        Column::Date,
        Column::Pnl,
        Column::Credit,
        Column::HedgePnl,
        Column::ShortPut,
        Column::ShortCall,
        Column::Contracts,
    ];

    fn name(self) -> &'static str {
        match self {
            Column::Date => "date",
            Column::Pnl => "pnl",
            Column::Credit => "credit",
            Column::HedgePnl => "hedge_pnl",
            Column::ShortPut => "short_put",
            Column::ShortCall => "short_call",
            Column::Contracts => "contracts",
        }
    }
}

/// The header's meaning: the column of each field (`None`: ignored), the
/// index of the date field, and whether `credit` is per contract (a file
/// `backtest --trades` wrote).
struct Columns {
    kinds: Vec<Option<Column>>,
    date: usize,
    credit_per_contract: bool,
}

/// Whether a header (its names in lowercase) is the one `backtest --trades`
/// writes: every column of [`crate::backtest::TRADES_FILE_COLUMNS`], its
/// `exit` perhaps renamed `date`, whatever else it has.
fn is_trades_file(names: &[String]) -> bool {
    let has = |name: &str| names.iter().any(|n| n == name);
    crate::backtest::TRADES_FILE_COLUMNS
        .iter()
        .all(|&c| has(c) || (c == "exit" && has("date")))
}

fn read_header(
    path: &str,
    header: &Line<'_>,
    warnings: &mut Vec<String>,
) -> Result<Columns, JournalError> {
    let mut fields = Vec::new();
    header.split_into(path, &mut fields)?;
    let names: Vec<String> = fields.iter().map(|f| f.text.to_lowercase()).collect();
    // A backtest's trades: closed on `exit` (unless renamed `date`), credit
    // per contract, its other columns read by nobody and no surprise.
    let trades_file = is_trades_file(&names);
    let exit_is_date = trades_file && !names.iter().any(|n| n == "date");
    let mut kinds: Vec<Option<Column>> = Vec::with_capacity(fields.len());
    for (field, name) in fields.iter().zip(&names) {
        let kind = if exit_is_date && name == "exit" {
            Some(Column::Date)
        } else {
            Column::ALL.into_iter().find(|c| c.name() == name)
        };
        let known_elsewhere =
            trades_file && crate::backtest::TRADES_FILE_COLUMNS.contains(&name.as_str());
        match kind {
            Some(column) if kinds.contains(&Some(column)) => {
                return Err(JournalError::DuplicateColumn {
                    at: header.at(path, *field),
                    column: column.name(),
                });
            }
            Some(_) => {}
            None if known_elsewhere => {}
            None => warnings.push(format!(
                "{}: unknown column `{}` ignored{}",
                header.at(path, *field),
                crate::source::excerpt(&field.text.to_string()),
                near_miss(&field.text)
                    .map(|c| format!("; did you mean `{}`?", c.name()))
                    .unwrap_or_default()
            )),
        }
        kinds.push(kind);
    }
    let index = |c: Column| kinds.iter().position(|k| *k == Some(c));
    let date = index(Column::Date);
    let pnl = index(Column::Pnl);
    let missing = match (date, pnl) {
        (Some(date), Some(_)) => {
            // An optional column written another way would be ignored, and
            // the trades sized without it: refused, naming the column.
            for ((field, kind), name) in fields.iter().zip(&kinds).zip(&names) {
                if kind.is_none()
                    && !(trades_file
                        && crate::backtest::TRADES_FILE_COLUMNS.contains(&name.as_str()))
                    && let Some(column) = lookalike(&field.text)
                    && !kinds.contains(&Some(column))
                {
                    return Err(JournalError::LookalikeColumn {
                        at: header.at(path, *field),
                        text: field.text.to_string(),
                        column: column.name(),
                    });
                }
            }
            return Ok(Columns {
                kinds,
                date,
                credit_per_contract: trades_file,
            });
        }
        (None, _) => Column::Date,
        (Some(_), None) => Column::Pnl,
    };
    let likely = fields
        .iter()
        .zip(&kinds)
        .filter(|(_, k)| k.is_none())
        .map(|(f, _)| f.text)
        .find(|text| looks_like(text, missing))
        .map(|text| text.to_string());
    Err(JournalError::MissingColumn {
        at: header.start(path),
        column: missing.name(),
        header: header.raw.to_owned(),
        likely,
    })
}

/// The optional column an unknown column's name is probably, written
/// another way: compared in lowercase without spaces, `_`, `-`, `&` and `/`,
/// with `p&l` and `p/l` as `pnl`, and one letter off at most (`Hedge P&L`,
/// `hedge pnl`, `HedgePnL`, `Short Put`, `contract`, `credits`).
fn lookalike(text: &str) -> Option<Column> {
    let name = squeeze(text);
    OPTIONAL
        .into_iter()
        .find(|c| strsim::damerau_levenshtein(&name, &squeeze(c.name())) <= 1)
}

/// The optional column an unknown column's name may mean, for a "did you
/// mean" in its warning: squeezed as in [`lookalike`], two letters off at
/// most or holding the column's name (`Short Put Strike`, `credit received`).
fn near_miss(text: &str) -> Option<Column> {
    let name = squeeze(text);
    OPTIONAL.into_iter().find(|c| {
        let want = squeeze(c.name());
        strsim::damerau_levenshtein(&name, &want) <= 2 || name.contains(&want)
    })
}

/// The optional columns.
const OPTIONAL: [Column; 5] = [
    Column::Credit,
    Column::HedgePnl,
    Column::ShortPut,
    Column::ShortCall,
    Column::Contracts,
];

/// A column name in lowercase without spaces, `_`, `-`, `&` and `/`, with
/// `p&l` and `p/l` as `pnl`: `Hedge P&L` is `hedgepnl`.
fn squeeze(name: &str) -> String {
    name.to_lowercase()
        .replace("p&l", "pnl")
        .replace("p/l", "pnl")
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '&' | '/'))
        .collect()
}

/// Whether an unknown column's name is probably `column` as a spreadsheet
/// writes it: `P&L`, `P/L`, `PnL $`, `Trade Date`, `Close date`.
fn looks_like(text: &str, column: Column) -> bool {
    let letters: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    match column {
        Column::Pnl => [
            "pl",
            "pnl",
            "profit",
            "profitloss",
            "netpl",
            "netpnl",
            "realizedpl",
            "realizedpnl",
        ]
        .contains(&letters.as_str()),
        Column::Date => letters.ends_with("date") || letters == "exit",
        _ => false,
    }
}

fn read_row(
    path: &str,
    line: &Line<'_>,
    fields: &[Field<'_>],
    columns: &Columns,
) -> Result<Trade, JournalError> {
    let mut date = None;
    let mut pnl = None;
    let mut trade = Trade {
        line: line.number,
        date: NaiveDate::MIN,
        pnl: Decimal::ZERO,
        credit: None,
        hedge_pnl: None,
        short_put: None,
        short_call: None,
        contracts: 1,
    };
    let mut credit_field = None;
    for (field, kind) in fields.iter().zip(&columns.kinds) {
        let Some(kind) = *kind else { continue };
        let at = || line.at(path, *field);
        if kind == Column::Contracts {
            if !field.text.is_empty() {
                trade.contracts =
                    parse_contracts(&field.text).ok_or_else(|| JournalError::BadContracts {
                        at: at(),
                        text: field.text.to_string(),
                    })?;
            }
            continue;
        }
        if kind == Column::Date {
            if field.text.is_empty() {
                return Err(JournalError::EmptyField {
                    at: at(),
                    column: kind.name(),
                });
            }
            date = Some(crate::market::parse_date(&field.text).ok_or_else(|| {
                JournalError::BadDate {
                    at: at(),
                    text: field.text.to_string(),
                }
            })?);
            continue;
        }
        let value = if field.text.is_empty() {
            if kind == Column::Pnl {
                return Err(JournalError::EmptyField {
                    at: at(),
                    column: kind.name(),
                });
            }
            None
        } else {
            let column = kind.name();
            let text = || field.text.to_string();
            Some(parse_amount(&field.text).map_err(|problem| match problem {
                AmountProblem::Syntax => JournalError::BadAmount {
                    at: at(),
                    column,
                    text: text(),
                },
                AmountProblem::TooLarge => JournalError::AmountTooLarge {
                    at: at(),
                    column,
                    text: text(),
                },
                AmountProblem::TooPrecise => JournalError::AmountTooPrecise {
                    at: at(),
                    column,
                    text: text(),
                },
            })?)
        };
        match kind {
            Column::Date | Column::Contracts => {}
            Column::Pnl => pnl = value,
            Column::Credit => {
                if value.is_some_and(|c| c < MIN_CREDIT) {
                    return Err(JournalError::NonPositiveCredit {
                        at: line.at(path, *field),
                        text: field.text.to_string(),
                    });
                }
                trade.credit = value;
                credit_field = Some(*field);
            }
            Column::HedgePnl => trade.hedge_pnl = value,
            Column::ShortPut => trade.short_put = value,
            Column::ShortCall => trade.short_call = value,
        }
    }
    // A backtest's credit is per contract; a journal's, the position's.
    if columns.credit_per_contract
        && let (Some(credit), Some(field)) = (trade.credit, credit_field)
    {
        trade.credit = Some(
            credit
                .checked_mul(Decimal::from(trade.contracts))
                .ok_or_else(|| JournalError::AmountTooLarge {
                    at: line.at(path, field),
                    column: Column::Credit.name(),
                    text: format!("{} × {} contracts", field.text, trade.contracts),
                })?,
        );
    }
    // Both are present: the header has both columns and every field of the
    // row was read (blank ones are errors above).
    if let (Some(date), Some(pnl)) = (date, pnl) {
        trade.date = date;
        trade.pnl = pnl;
    }
    Ok(trade)
}

/// A number of contracts: digits (thousands separators allowed, as in
/// amounts), a whole number from 1 to `u32::MAX`.
fn parse_contracts(text: &str) -> Option<u32> {
    let n = parse_amount(text).ok()?;
    if n.fract() != Decimal::ZERO || n < Decimal::ONE || text.contains('$') {
        return None;
    }
    u32::try_from(n.trunc()).ok()
}

fn field_count_error(
    path: &str,
    line: &Line<'_>,
    fields: &[Field<'_>],
    expected: usize,
) -> JournalError {
    let at = match fields.get(expected) {
        Some(extra) => line.at(path, *extra),
        None => Location::new(path, line.number, line.raw.chars().count() + 1),
    };
    JournalError::FieldCount {
        at,
        expected,
        found: fields.len(),
    }
}

/// The smallest credit a trade can open for, a journal's or `next
/// --credit`'s: one cent (a smaller one would show, and size the max loss,
/// as `$0`).
pub const MIN_CREDIT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// Reads an amount of money the way a journal's fields are read (`-900`,
/// `1800.50`, `$1,800`, `-$1,000.25`; thousands separators group three
/// digits, so `1,50` is refused), exactly: what the command line's money
/// flags take too. `Err` says why in words.
pub fn parse_money(text: &str) -> Result<Decimal, &'static str> {
    parse_amount(text).map_err(|problem| match problem {
        AmountProblem::Syntax => {
            "not an amount of money (e.g. `1500`, `$1,500.50`; thousands separators group three digits)"
        }
        AmountProblem::TooLarge => "too large for a decimal",
        AmountProblem::TooPrecise => "more digits than a decimal can hold exactly",
    })
}

/// Why an amount could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AmountProblem {
    Syntax,
    TooLarge,
    TooPrecise,
}

/// Parses an amount (see the module doc for the accepted forms) exactly.
fn parse_amount(text: &str) -> Result<Decimal, AmountProblem> {
    let mut rest = text.trim();
    let mut negative = false;
    let mut signed = false;
    let mut take_sign = |rest: &mut &str| {
        if let Some(r) = rest.strip_prefix('-') {
            negative = true;
            *rest = r;
            true
        } else if let Some(r) = rest.strip_prefix('+') {
            *rest = r;
            true
        } else {
            false
        }
    };
    signed |= take_sign(&mut rest);
    if let Some(r) = rest.strip_prefix('$') {
        rest = r;
        if !signed {
            take_sign(&mut rest);
        }
    }
    let (int, frac) = match rest.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (rest, None),
    };
    let mut digits = String::with_capacity(rest.len() + 1);
    if negative {
        digits.push('-');
    }
    if int.contains(',') {
        for (i, group) in int.split(',').enumerate() {
            let len_ok = if i == 0 {
                (1..=3).contains(&group.len())
            } else {
                group.len() == 3
            };
            if !len_ok || !group.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AmountProblem::Syntax);
            }
            digits.push_str(group);
        }
    } else {
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountProblem::Syntax);
        }
        // Leading zeros carry nothing; rust_decimal would count them.
        let significant = int.trim_start_matches('0');
        digits.push_str(if significant.is_empty() {
            "0"
        } else {
            significant
        });
    }
    if let Some(frac) = frac {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountProblem::Syntax);
        }
        digits.push('.');
        digits.push_str(frac);
    }
    // The syntax is checked above, so rust_decimal can only object to the
    // size: too many fractional digits (underflow) or too many in all.
    Decimal::from_str_exact(&digits).map_err(|e| match e {
        rust_decimal::Error::Underflow => AmountProblem::TooPrecise,
        _ => AmountProblem::TooLarge,
    })
}

/// A non-blank line: its 1-based number and its raw text (without the line end).
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    number: usize,
    raw: &'a str,
}

/// One field of a line: its text (unquoted, without surrounding whitespace)
/// and the byte offset in the line where it starts (its first non-blank
/// character, the opening quote of a quoted field, or the field's first
/// byte when it is blank).
#[derive(Clone, Copy, Debug, Default)]
struct Field<'a> {
    text: FieldText<'a>,
    offset: usize,
}

/// A field's text: a slice of the line, or (for a quoted field with `""`
/// inside) an owned copy.
#[derive(Clone, Copy, Debug, Default)]
struct FieldText<'a> {
    slice: &'a str,
    /// Whether `slice` holds doubled quotes to be read as one.
    doubled_quotes: bool,
}

impl FieldText<'_> {
    fn is_empty(&self) -> bool {
        self.slice.is_empty()
    }

    fn to_lowercase(self) -> String {
        self.to_string().to_lowercase()
    }
}

impl std::ops::Deref for FieldText<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.slice
    }
}

impl std::fmt::Display for FieldText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.doubled_quotes {
            f.write_str(&self.slice.replace("\"\"", "\""))
        } else {
            f.write_str(self.slice)
        }
    }
}

impl<'a> Line<'a> {
    /// Splits the line into `fields` (cleared first).
    fn split_into(&self, path: &str, fields: &mut Vec<Field<'a>>) -> Result<(), JournalError> {
        fields.clear();
        let raw = self.raw;
        let mut pos = 0;
        loop {
            let rest = raw.get(pos..).unwrap_or_default();
            let start = pos + (rest.len() - rest.trim_start().len());
            let from_start = raw.get(start..).unwrap_or_default();
            if let Some(inner) = from_start.strip_prefix('"') {
                // A quoted field: up to the next `"` not doubled.
                let mut end = 0;
                let mut doubled = false;
                loop {
                    let Some(q) = inner.get(end..).and_then(|s| s.find('"')) else {
                        return Err(JournalError::UnclosedQuote {
                            at: self.at_offset(path, start),
                        });
                    };
                    end += q;
                    if inner.get(end + 1..end + 2) == Some("\"") {
                        doubled = true;
                        end += 2;
                    } else {
                        break;
                    }
                }
                let content = inner.get(..end).unwrap_or_default();
                fields.push(Field {
                    text: FieldText {
                        slice: content.trim(),
                        doubled_quotes: doubled,
                    },
                    offset: start,
                });
                // After the closing quote: spaces, then `,` or the end.
                let after_quote = start + 1 + end + 1;
                let after = raw.get(after_quote..).unwrap_or_default();
                let next = after_quote + (after.len() - after.trim_start().len());
                let tail = raw.get(next..).unwrap_or_default();
                match tail.chars().next() {
                    None => return Ok(()),
                    Some(',') => pos = next + 1,
                    Some(found) => {
                        return Err(JournalError::TextAfterQuote {
                            at: self.at_offset(path, next),
                            found,
                        });
                    }
                }
            } else {
                let (field, more) = match rest.find(',') {
                    Some(comma) => (rest.get(..comma).unwrap_or_default(), Some(comma)),
                    None => (rest, None),
                };
                let text = field.trim();
                fields.push(Field {
                    text: FieldText {
                        slice: text,
                        doubled_quotes: false,
                    },
                    offset: if text.is_empty() { pos } else { start },
                });
                match more {
                    Some(comma) => pos += comma + 1,
                    None => return Ok(()),
                }
            }
        }
    }

    /// Where a field of this line is.
    fn at(&self, path: &str, field: Field<'_>) -> Location {
        self.at_offset(path, field.offset)
    }

    /// Where a byte offset of this line is.
    fn at_offset(&self, path: &str, offset: usize) -> Location {
        let column = self
            .raw
            .get(..offset)
            .map_or(1, |before| before.chars().count() + 1);
        Location::new(path, self.number, column)
    }

    /// Column 1 of this line.
    fn start(&self, path: &str) -> Location {
        Location::new(path, self.number, 1)
    }
}

/// The non-blank lines of `text`, numbered from 1 as in the file
/// ([`crate::source::numbered_lines`]).
fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    crate::source::numbered_lines(text).map(|(number, raw)| Line { number, raw })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn amounts_in_every_form() {
        for (text, want) in [
            ("-900", dec!(-900)),
            ("-$900", dec!(-900)),
            ("$-900", dec!(-900)),
            ("+900", dec!(900)),
            ("$1,800", dec!(1800)),
            ("1,800.50", dec!(1800.50)),
            ("  $12,345,678.9 ", dec!(12345678.9)),
            ("0", dec!(0)),
            ("0.0001", dec!(0.0001)),
        ] {
            assert_eq!(parse_amount(text), Ok(want), "{text}");
        }
        for bad in [
            "", "$", "-", "1,80", "18,00", "1,8000", ",800", "1.", ".5", "1.2.3", "--9", "$$9",
            "-$-9", "1e3", "12x", "1 000", "1,800,", "NaN",
        ] {
            assert_eq!(parse_amount(bad), Err(AmountProblem::Syntax), "{bad}");
        }
        assert_eq!(
            parse_amount("99999999999999999999999999999"),
            Err(AmountProblem::TooLarge)
        );
        assert_eq!(
            parse_amount("0.00000000000000000000000000001"),
            Err(AmountProblem::TooPrecise)
        );
        assert_eq!(
            parse_amount("-79,228,162,514,264,337,593,543,950,336"),
            Err(AmountProblem::TooLarge)
        );
        assert_eq!(
            parse_amount("$-79,228,162,514,264,337,593,543,950,335"),
            Ok(Decimal::MIN)
        );
        assert_eq!(
            parse_amount("98765432109876543210.987654321"),
            Err(AmountProblem::TooPrecise)
        );
        assert_eq!(
            parse_amount("00000000000000000000000000000000012.50"),
            Ok(dec!(12.50))
        );
    }

    #[test]
    fn fields_know_their_columns() {
        let line = Line {
            number: 1,
            raw: "a, \"b,\"\"c\" ,  ,é,x",
        };
        let mut fields = Vec::new();
        line.split_into("p", &mut fields).ok();
        let cols: Vec<_> = fields
            .iter()
            .map(|f| (f.text.to_string(), line.at("p", *f).column))
            .collect();
        assert_eq!(
            cols,
            [
                ("a".to_string(), 1),
                ("b,\"c".to_string(), 4),
                (String::new(), 13),
                ("é".to_string(), 16),
                ("x".to_string(), 18)
            ]
        );
    }
}
