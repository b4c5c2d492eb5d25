//! The small CSV dialect shared by the loaders.
//!
//! Step one of every loader: cut the text into numbered lines and the lines
//! into trimmed fields that remember their column. The files are plain
//! comma-separated values (as CBOE and the bundled republications write
//! them); a field may be in double quotes, as Excel writes them, without
//! escaped quotes inside. A UTF-8 byte-order mark is dropped, `\r\n`,
//! `\n` and a lone `\r` end a line (as in journals and strategy files), whitespace around a field is ignored, and lines
//! holding only whitespace are skipped wherever they are.

use chrono::NaiveDate;

use super::error::{Location, MarketError};

/// One field of a line: its text without surrounding whitespace, and the
/// byte offset in the line of its first non-blank character (of the field's
/// start when it is blank). Columns are only counted when an error needs one.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Field<'a> {
    pub text: &'a str,
    offset: usize,
}

/// A non-blank line: its 1-based number and its raw text (without the line end).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line<'a> {
    pub number: usize,
    pub raw: &'a str,
}

impl<'a> Line<'a> {
    /// Splits the line on commas into `fields` (cleared first, so one buffer
    /// serves a whole file). A field in double quotes (`"2024-01-02"`, as
    /// Excel and Investing.com write them) is its text between the quotes,
    /// commas included (`"4,512.58"` is one field, which is then not a
    /// number); a quote not closed before the next comma or the line's end,
    /// or followed by more text, leaves the field as written.
    pub fn split_into(&self, fields: &mut Vec<Field<'a>>) {
        fields.clear();
        let raw = self.raw;
        let mut start = 0;
        loop {
            let rest = raw.get(start..).unwrap_or("");
            let leading = rest.len() - rest.trim_start().len();
            let (text, offset, end) = match quoted(rest, leading) {
                Some((inner, after)) => (inner.trim(), start + leading, start + after),
                None => {
                    let len = rest.find(',').unwrap_or(rest.len());
                    let part = rest.get(..len).unwrap_or("");
                    let text = part.trim();
                    let offset = if text.is_empty() {
                        start
                    } else {
                        start + leading
                    };
                    (text, offset, start + len)
                }
            };
            fields.push(Field { text, offset });
            if end >= raw.len() {
                break;
            }
            start = end + 1;
        }
    }

    /// The fields of the line, in a new vector.
    pub fn fields(&self) -> Vec<Field<'a>> {
        let mut fields = Vec::new();
        self.split_into(&mut fields);
        fields
    }

    /// Where a field of this line is.
    pub fn at(&self, path: &str, field: Field<'_>) -> Location {
        Location::new(path, self.number, self.column_at(field.offset))
    }

    /// Column 1 of this line.
    pub fn start(&self, path: &str) -> Location {
        Location::new(path, self.number, 1)
    }

    /// 1-based column, in characters, of a byte offset.
    fn column_at(&self, offset: usize) -> usize {
        self.raw
            .get(..offset)
            .map_or(1, |before| before.chars().count() + 1)
    }
}

/// A field of `rest` in double quotes, its quote at byte `leading`: the text
/// between the quotes and the byte after the field (at the comma or the
/// line's end). `None` when the field does not start with a quote, or its
/// closing quote is followed by anything but blanks before the comma.
fn quoted(rest: &str, leading: usize) -> Option<(&str, usize)> {
    let body = rest.get(leading..)?.strip_prefix('"')?;
    let close = body.find('"')?;
    let inner = body.get(..close)?;
    let after = leading + 1 + close + 1;
    let tail = rest.get(after..)?;
    let blanks = tail.len() - tail.trim_start().len();
    let next = tail.get(blanks..)?;
    (next.is_empty() || next.starts_with(',')).then_some((inner, after + blanks))
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
        let at = crate::source::line_col(prefix, prefix.len());
        MarketError::NotUtf8 {
            at: Location::new(path, at.line, at.column),
        }
    })
}

/// The non-blank lines of `text`, numbered from 1 as in the file
/// ([`crate::source::numbered_lines`]).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    crate::source::numbered_lines(text).map(|(number, raw)| Line { number, raw })
}

/// Parses `YYYY-MM-DD` (ISO) or `MM/DD/YYYY` (CBOE, US). Month and day may
/// have one digit in the US form; the year always has four.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    let (year, month, day) = if let Some((y, rest)) = text.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        (digits(y, 4, 4)?, digits(m, 2, 2)?, digits(d, 2, 2)?)
    } else {
        let (m, d, y) = numeric_date_parts(text, '/')?;
        (y, m, d)
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The three numbers of `A/B/YYYY` (with `sep` for `/`): one or two digits,
/// one or two, then four. Which of `A` and `B` is the month is the
/// caller's to tell (`parse_date` reads US month-first; the journal and the
/// error hints look for a day past the 12th).
pub(crate) fn numeric_date_parts(text: &str, sep: char) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(sep);
    let (Some(a), Some(b), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some((digits(a, 1, 2)?, digits(b, 1, 2)?, digits(y, 4, 4)?))
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
    line: &Line<'_>,
    field: Field<'_>,
) -> Result<NaiveDate, MarketError> {
    parse_date(field.text).ok_or_else(|| MarketError::BadDate {
        at: line.at(path, field),
        text: field.text.to_owned(),
    })
}

/// Whether a price field says there is no value: empty, `.` (FRED) or
/// `null` (Yahoo Finance).
pub(crate) fn is_no_value(text: &str) -> bool {
    matches!(text, "" | ".") || text.eq_ignore_ascii_case("null")
}

/// Parses a price field: a finite number, zero or more.
pub(crate) fn price_field(
    path: &str,
    line: &Line<'_>,
    field: Field<'_>,
) -> Result<f64, MarketError> {
    let text = || field.text.to_owned();
    let value: f64 = field.text.parse().map_err(|_| MarketError::BadNumber {
        at: line.at(path, field),
        text: text(),
    })?;
    if !value.is_finite() {
        return Err(MarketError::NonFinitePrice {
            at: line.at(path, field),
            text: text(),
        });
    }
    if value < 0.0 {
        return Err(MarketError::NegativePrice {
            at: line.at(path, field),
            text: text(),
        });
    }
    Ok(value)
}

/// Checks that a data line has as many fields as the header.
pub(crate) fn check_width(
    path: &str,
    line: &Line<'_>,
    fields: &[Field<'_>],
    expected: usize,
) -> Result<(), MarketError> {
    // `2020-01-02,"1` and `7.5",...` on the next line: a field broken over
    // two lines, which neither a count of fields nor a bad number explains.
    if line.raw.matches('"').count() % 2 == 1
        && let Some(open) = line.raw.rfind('"')
    {
        return Err(MarketError::UnclosedQuote {
            at: Location::new(path, line.number, line.column_at(open)),
        });
    }
    if fields.len() == expected {
        return Ok(());
    }
    // The first extra field, or one past the end of the line.
    let at = match fields.get(expected) {
        Some(&extra) => line.at(path, extra),
        None => Location::new(path, line.number, line.raw.chars().count() + 1),
    };
    Err(MarketError::FieldCount {
        at,
        expected,
        found: fields.len(),
        semicolons: fields.len() == 1 && line.raw.contains(';'),
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
        let line = Line {
            number: 1,
            raw: "a, bb ,  ,é,x",
        };
        let cols: Vec<_> = line
            .fields()
            .into_iter()
            .map(|f| (f.text, line.at("p", f).column))
            .collect();
        assert_eq!(cols, [("a", 1), ("bb", 4), ("", 8), ("é", 11), ("x", 13)]);
    }
}
