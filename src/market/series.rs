//! One daily price series read from a CSV file.

use std::path::Path;

use chrono::NaiveDate;

use super::error::{Location, MarketError};
use super::text::{self, Line};

/// A daily price series: one row per date, dates strictly ascending.
///
/// `close` is what the signals use. `open`, `high` and `low` are kept when
/// the file has those columns. All vectors have the length of `dates`, and
/// every price is finite and non-negative, every close above zero (the loader
/// guarantees it; code that builds a `Series` by hand should keep it so).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The name the strategy uses, e.g. `vix`.
    pub name: String,
    /// Where the data came from, as shown in messages.
    pub path: String,
    /// Trading dates, strictly ascending.
    pub dates: Vec<NaiveDate>,
    /// Closing values.
    pub close: Vec<f64>,
    /// Opening values, when the file has an `open` column.
    pub open: Option<Vec<f64>>,
    /// Highs, when the file has a `high` column.
    pub high: Option<Vec<f64>>,
    /// Lows, when the file has a `low` column.
    pub low: Option<Vec<f64>>,
}

impl Series {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// Whether there are no rows (never true for a loaded series).
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// First and last date.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((*self.dates.first()?, *self.dates.last()?))
    }
}

/// Reads a series from a CSV file. See [`load_series_from_str`] for the format.
pub fn load_series(name: &str, path: &Path) -> Result<Series, MarketError> {
    let shown = path.display().to_string();
    let bytes = crate::input::read(path, crate::input::CSV).map_err(|source| MarketError::Io {
        path: shown.clone(),
        source,
    })?;
    let text = text::decode(&shown, bytes)?;
    load_series_from_str(name, &shown, &text)
}

/// Reads a series from CSV text; `path` is only used in error messages.
///
/// The first non-blank line is the header. Column names are matched without
/// regard to case or surrounding whitespace: `date` and `close` are required,
/// `open`, `high` and `low` are kept when present, other columns are ignored
/// (`Close/Last`, Nasdaq.com's name, is the close; a field in double quotes
/// is read without them). So both `DATE,OPEN,HIGH,LOW,CLOSE` (CBOE) and `date,close` work, and so
/// does a FRED download: `observation_date` (or `date`) and the series' FRED
/// id (`VIXCLS`, `VXVCLS`, `SP500`: `FRED`) as the close when there is no
/// `close`. A row whose prices are all empty, `.` (FRED) or `null` (Yahoo
/// Finance) is a day without data and is skipped. Dates are
/// `YYYY-MM-DD` or `MM/DD/YYYY`; prices are decimal numbers (float noise such
/// as `1455.219970703125` is fine), finite and not negative. A close must be
/// one an index could have (`plausible_close`): above zero, from 1 to 250
/// for `vix` and `vix3m` (quoted in points), and within 10 times of the close
/// before it when they are at most 14 days apart. Rows must be in
/// strictly ascending date order, or strictly descending (newest first, as
/// Bloomberg, Nasdaq and Investing.com export), as the first two rows are;
/// the series is ascending either way. A UTF-8 byte-order mark, `\r\n` or
/// lone `\r` line ends and blank lines (trailing or not) are accepted.
pub fn load_series_from_str(name: &str, path: &str, text: &str) -> Result<Series, MarketError> {
    let mut lines = text::lines(text);
    let Some(header_line) = lines.next() else {
        return Err(MarketError::Empty {
            at: Location::new(path, 1, 1),
        });
    };
    let header = Header::parse(path, name, &header_line)?;
    let mut fields = Vec::with_capacity(header.width);

    let rows = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = || Vec::with_capacity(rows);
    let mut series = Series {
        name: name.to_owned(),
        path: path.to_owned(),
        dates: Vec::with_capacity(rows),
        close: column(),
        open: header.open.map(|_| column()),
        high: header.high.map(|_| column()),
        low: header.low.map(|_| column()),
    };
    let mut previous: Option<(NaiveDate, usize)> = None;
    let mut descending: Option<bool> = None;
    let mut last_close: Option<(NaiveDate, f64, usize)> = None;
    for line in lines {
        line.split_into(&mut fields);
        text::check_width(path, &line, &fields, header.width)?;
        // In range: the width was checked, and the header's indices are below it.
        let field = |i: usize| fields.get(i).copied().unwrap_or_default();

        let date_field = field(header.date);
        let date = text::date_field(path, &line, date_field)?;
        if let Some((prev, prev_line)) = previous {
            let at = || line.at(path, date_field);
            if date == prev {
                return Err(MarketError::DuplicateDate {
                    at: at(),
                    date,
                    first_line: prev_line,
                });
            }
            // The first two rows set the order: ascending, or newest first
            // (as Bloomberg, Nasdaq and Investing.com export), reversed below.
            let later = date > prev;
            match descending {
                None => descending = Some(!later),
                Some(newest_first) if newest_first == later => {
                    return Err(MarketError::UnsortedDates {
                        at: at(),
                        date,
                        previous: prev,
                        previous_line: prev_line,
                        descending: newest_first,
                    });
                }
                Some(_) => {}
            }
        }
        previous = Some((date, line.number));

        // A day without data: every price empty (FRED's new files), `.`
        // (FRED's older ones) or `null` (Yahoo Finance). No row that day, as
        // if the file had none; a row with only some prices is an error.
        if header
            .prices
            .iter()
            .all(|&(i, _)| text::is_no_value(field(i).text))
        {
            continue;
        }

        // Parse in file order, so the first bad field on the line is the one reported.
        let mut row = [0.0; 4];
        for &(i, price) in &header.prices {
            if let Some(slot) = row.get_mut(price as usize) {
                *slot = text::price_field(path, &line, field(i))?;
            }
        }
        let [open, high, low, close] = row;
        let close_field = field(header.close);
        plausible_close(path, name, &line, close_field, close, date, last_close)?;
        last_close = Some((date, close, line.number));

        series.dates.push(date);
        series.close.push(close);
        for (column, value) in [
            (series.open.as_mut(), open),
            (series.high.as_mut(), high),
            (series.low.as_mut(), low),
        ] {
            if let Some(column) = column {
                column.push(value);
            }
        }
    }

    if series.dates.is_empty() {
        return Err(MarketError::NoRows {
            at: Location::new(path, header_line.number + 1, 1),
        });
    }
    if descending == Some(true) {
        series.dates.reverse();
        series.close.reverse();
        for column in [&mut series.open, &mut series.high, &mut series.low]
            .into_iter()
            .flatten()
        {
            column.reverse();
        }
    }
    Ok(series)
}

/// How many times larger or smaller than the close before it (at most
/// [`JUMP_DAYS`] calendar days earlier) a close may be. VIX, VIX3M and the
/// S&P 500 never moved so far: their largest one-day moves are about 2.2
/// times (VIX, 2018-02-05), 1.7 and 1.14 (1987-10-19).
const MAX_JUMP: f64 = 10.0;

/// The highest VIX or VIX3M close the loader takes: three times the highest
/// there has been (VIX 82.69 on 2020-03-16; VXO, its forerunner, 150.19 on
/// 1987-10-19), far below any S&P 500 close since 1986, so another index's
/// file given as `vix` is refused.
const MAX_VOLATILITY: f64 = 250.0;

/// Closes further apart than this (a gap of weeks in a file) are not compared.
const JUMP_DAYS: i64 = 14;

/// Refuses a close no index could have: zero, a VIX below 1 point (a file
/// scaled to fractions, 0.1724 for 17.24) or above [`MAX_VOLATILITY`], or one more than [`MAX_JUMP`]
/// times larger or smaller than the close before it in the file (a bad
/// print such as `1e308`, or a change of scale). Each would otherwise be
/// read as a real level and silently drive the signals and the backtest.
fn plausible_close(
    path: &str,
    name: &str,
    line: &Line<'_>,
    field: text::Field<'_>,
    close: f64,
    date: NaiveDate,
    before: Option<(NaiveDate, f64, usize)>,
) -> Result<(), MarketError> {
    let at = || line.at(path, field);
    let text = || field.text.to_owned();
    if close == 0.0 {
        return Err(MarketError::ZeroClose {
            at: at(),
            text: text(),
        });
    }
    if matches!(name, "vix" | "vix3m") && close < 1.0 {
        return Err(MarketError::VolatilityInFractions {
            at: at(),
            text: text(),
            series: name.to_ascii_uppercase(),
        });
    }
    if matches!(name, "vix" | "vix3m") && close > MAX_VOLATILITY {
        return Err(MarketError::VolatilityTooHigh {
            at: at(),
            text: text(),
            series: name.to_ascii_uppercase(),
        });
    }
    if let Some((previous_date, previous, previous_line)) = before
        && (date - previous_date).num_days().abs() <= JUMP_DAYS
        && (close / previous > MAX_JUMP || previous / close > MAX_JUMP)
    {
        return Err(MarketError::CloseJump {
            at: at(),
            text: text(),
            larger: close > previous,
            previous,
            previous_line,
        });
    }
    Ok(())
}

/// The FRED id of each series, lower case: a FRED download's value column
/// (`observation_date,VIXCLS`), read as its close.
const FRED: &[(&str, &str)] = &[("vix", "vixcls"), ("vix3m", "vxvcls"), ("spx", "sp500")];

/// The price columns a series keeps, in the order of a parsed row.
#[derive(Clone, Copy, Debug)]
enum Price {
    Open = 0,
    High = 1,
    Low = 2,
    Close = 3,
}

/// Where the columns are.
struct Header {
    date: usize,
    close: usize,
    /// Each price column present, as (field index, which price), in file order.
    prices: Vec<(usize, Price)>,
    open: Option<usize>,
    high: Option<usize>,
    low: Option<usize>,
    width: usize,
}

impl Header {
    fn parse(path: &str, series: &str, line: &Line<'_>) -> Result<Header, MarketError> {
        let fields = line.fields();
        let mut seen: Vec<String> = Vec::with_capacity(fields.len());
        // A set beside the list: a header of 200,000 names looked each up
        // in the names before it, 31 s.
        let mut names = std::collections::HashSet::with_capacity(fields.len());
        for &field in &fields {
            let name = field.text.to_ascii_lowercase();
            if !name.is_empty() && !names.insert(name.clone()) {
                return Err(MarketError::DuplicateColumn {
                    at: line.at(path, field),
                    column: name,
                });
            }
            seen.push(name);
        }
        let find = |name: &str| seen.iter().position(|s| s == name);
        let required = |name: &'static str| {
            find(name).ok_or_else(|| MarketError::MissingColumn {
                at: line.start(path),
                column: name,
                header: line.raw.trim().to_owned(),
            })
        };
        // FRED's files: `observation_date` (`DATE` before 2024) and one
        // column named by the series' FRED id.
        let fred = FRED
            .iter()
            .find(|(name, _)| *name == series)
            .map(|(_, id)| *id);
        let date = match find("date").or_else(|| find("observation_date")) {
            Some(date) => date,
            None => required("date")?,
        };
        // Nasdaq.com's exports call it `Close/Last`.
        let close = match (
            find("close").or_else(|| find("close/last")),
            fred.and_then(&find),
        ) {
            (Some(close), _) | (None, Some(close)) => close,
            (None, None) => required("close")?,
        };
        let (open, high, low) = (find("open"), find("high"), find("low"));
        let mut prices: Vec<(usize, Price)> = [
            (open, Price::Open),
            (high, Price::High),
            (low, Price::Low),
            (Some(close), Price::Close),
        ]
        .into_iter()
        .filter_map(|(i, price)| Some((i?, price)))
        .collect();
        prices.sort_by_key(|&(i, _)| i);
        Ok(Header {
            date,
            close,
            prices,
            open,
            high,
            low,
            width: fields.len(),
        })
    }
}
