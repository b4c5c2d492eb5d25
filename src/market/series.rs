//! One daily price series read from a CSV file.

use std::path::Path;

use chrono::NaiveDate;

use super::error::{Location, MarketError};
use super::text::{self, Line};

/// A daily price series: one row per date, dates strictly ascending.
///
/// `close` is what the signals use. `open`, `high` and `low` are kept when
/// the file has those columns. All vectors have the length of `dates`, and
/// every price is finite and non-negative (the loader guarantees it; code that
/// builds a `Series` by hand should keep it so).
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
/// `open`, `high` and `low` are kept when present, other columns are ignored.
/// So both `DATE,OPEN,HIGH,LOW,CLOSE` (CBOE) and `date,close` work. Dates are
/// `YYYY-MM-DD` or `MM/DD/YYYY`; prices are decimal numbers (float noise such
/// as `1455.219970703125` is fine), finite and not negative. Rows must be in
/// strictly ascending date order. A UTF-8 byte-order mark, `\r\n` line ends
/// and blank lines (trailing or not) are accepted.
pub fn load_series_from_str(name: &str, path: &str, text: &str) -> Result<Series, MarketError> {
    let mut lines = text::lines(text);
    let Some(header_line) = lines.next() else {
        return Err(MarketError::Empty {
            at: Location::new(path, 1, 1),
        });
    };
    let header = Header::parse(path, &header_line)?;
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
            if date < prev {
                return Err(MarketError::UnsortedDates {
                    at: at(),
                    date,
                    previous: prev,
                    previous_line: prev_line,
                });
            }
        }
        previous = Some((date, line.number));

        // Parse in file order, so the first bad field on the line is the one reported.
        let mut row = [0.0; 4];
        for &(i, price) in &header.prices {
            if let Some(slot) = row.get_mut(price as usize) {
                *slot = text::price_field(path, &line, field(i))?;
            }
        }
        let [open, high, low, close] = row;

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
    Ok(series)
}

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
    /// Each price column present, as (field index, which price), in file order.
    prices: Vec<(usize, Price)>,
    open: Option<usize>,
    high: Option<usize>,
    low: Option<usize>,
    width: usize,
}

impl Header {
    fn parse(path: &str, line: &Line<'_>) -> Result<Header, MarketError> {
        let fields = line.fields();
        let mut seen: Vec<String> = Vec::with_capacity(fields.len());
        for &field in &fields {
            let name = field.text.to_ascii_lowercase();
            if !name.is_empty() && seen.contains(&name) {
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
        let date = required("date")?;
        let close = required("close")?;
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
            prices,
            open,
            high,
            low,
            width: fields.len(),
        })
    }
}
