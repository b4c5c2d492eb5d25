//! The small CSV dialect shared by the loaders.
//!
//! Step one of every loader: cut the text into numbered lines and the lines
//! into trimmed fields that remember their column. The files are plain
//! comma-separated values without quoting (as CBOE and the bundled
//! republications write them). A UTF-8 byte-order mark is dropped, `\r\n` and
//! `\n` both end a line, whitespace around a field is ignored, and lines
//! holding only whitespace are skipped wherever they are.

use chrono::NaiveDate;

use super::error::{Location, MarketError};

/// One field of a line: its text without surrounding whitespace, and the
/// 1-based column (in characters) of its first non-blank character, or of the
/// field's start when it is blank.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field<'a> {
    pub text: &'a str,
    pub column: usize,
}

/// A non-blank line: its 1-based number, its raw text (without the line end)
/// and its fields.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    pub number: usize,
    pub raw: &'a str,
    pub fields: Vec<Field<'a>>,
}

impl Line<'_> {
    /// The column just past the end of the line, where a missing field would start.
    pub fn end_column(&self) -> usize {
        self.raw.chars().count() + 1
    }
}

/// Decodes file bytes as UTF-8, pointing at the first invalid byte otherwise.
pub(crate) fn decode(path: &str, bytes: Vec<u8>) -> Result<String, MarketError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = e
            .as_bytes()
            .get(..valid)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("");
        let prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
        let line = prefix.matches('\n').count() + 1;
        let last = prefix.rsplit('\n').next().unwrap_or("");
        MarketError::NotUtf8 {
            at: Location::new(path, line, last.chars().count() + 1),
        }
    })
}

/// The non-blank lines of `text`, numbered from 1 as in the file.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').enumerate().filter_map(|(i, raw)| {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            return None;
        }
        Some(Line {
            number: i + 1,
            raw,
            fields: split_fields(raw),
        })
    })
}

/// Splits a line on commas into trimmed fields with their columns.
fn split_fields(raw: &str) -> Vec<Field<'_>> {
    let mut start_column = 1;
    raw.split(',')
        .map(|part| {
            let text = part.trim();
            let leading = part.chars().take_while(|c| c.is_whitespace()).count();
            let column = if text.is_empty() {
                start_column
            } else {
                start_column + leading
            };
            start_column += part.chars().count() + 1;
            Field { text, column }
        })
        .collect()
}

/// Parses `YYYY-MM-DD` (ISO) or `MM/DD/YYYY` (CBOE, US). Month and day may
/// have one digit in the US form; the year always has four.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let (year, month, day) = if let Some((y, rest)) = text.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        (digits(y, 4, 4)?, digits(m, 2, 2)?, digits(d, 2, 2)?)
    } else {
        let (m, rest) = text.split_once('/')?;
        let (d, y) = rest.split_once('/')?;
        (digits(y, 4, 4)?, digits(m, 1, 2)?, digits(d, 1, 2)?)
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// A run of `min..=max` ASCII digits as a number.
fn digits(text: &str, min: usize, max: usize) -> Option<u32> {
    if text.len() < min || text.len() > max || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses a date field or says why not.
pub(crate) fn date_field(
    path: &str,
    line: usize,
    field: Field<'_>,
) -> Result<NaiveDate, MarketError> {
    parse_date(field.text).ok_or_else(|| MarketError::BadDate {
        at: Location::new(path, line, field.column),
        text: field.text.to_owned(),
    })
}

/// Parses a price field: a finite number, zero or more.
pub(crate) fn price_field(path: &str, line: usize, field: Field<'_>) -> Result<f64, MarketError> {
    let at = || Location::new(path, line, field.column);
    let value: f64 = field.text.parse().map_err(|_| MarketError::BadNumber {
        at: at(),
        text: field.text.to_owned(),
    })?;
    if !value.is_finite() {
        return Err(MarketError::NonFinitePrice {
            at: at(),
            text: field.text.to_owned(),
        });
    }
    if value < 0.0 {
        return Err(MarketError::NegativePrice {
            at: at(),
            text: field.text.to_owned(),
        });
    }
    Ok(value)
}

/// Checks that a data line has as many fields as the header.
pub(crate) fn check_width(path: &str, line: &Line<'_>, expected: usize) -> Result<(), MarketError> {
    let found = line.fields.len();
    if found == expected {
        return Ok(());
    }
    let column = match line.fields.get(expected) {
        Some(extra) => extra.column,
        None => line.end_column(),
    };
    Err(MarketError::FieldCount {
        at: Location::new(path, line.number, column),
        expected,
        found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_forms() {
        let d = NaiveDate::from_ymd_opt(2009, 9, 18);
        assert_eq!(parse_date("2009-09-18"), d);
        assert_eq!(parse_date("09/18/2009"), d);
        assert_eq!(parse_date("9/18/2009"), d);
        for bad in [
            "2009-9-18",
            "2009-02-30",
            "18/09/2009",
            "2009/09/18",
            "+009-09-18",
            "",
            "-",
            "//",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn fields_know_their_columns() {
        let f = split_fields("a, bb ,  ,é,x");
        let cols: Vec<_> = f.iter().map(|f| (f.text, f.column)).collect();
        assert_eq!(cols, [("a", 1), ("bb", 4), ("", 8), ("é", 11), ("x", 13)]);
    }
}
