//! Source files and spans.
//!
//! A [`Span`] is a pair of byte offsets into one file's text: small and `Copy`.
//! Lines and columns are only computed when a diagnostic is rendered.

use std::ops::Range;

/// A byte range in a source file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span of bytes `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// This span moved `by` bytes to the right.
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }

    /// As a `Range` of byte offsets.
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A location ignored by equality, so that syntax trees compare by content.
///
/// `Loc(a) == Loc(b)` for any `a` and `b`: two ASTs parsed from differently
/// formatted texts are equal when they say the same thing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Loc(pub Span);

impl PartialEq for Loc {
    fn eq(&self, _: &Loc) -> bool {
        true
    }
}

/// A 1-based line and column; the column counts characters, a tab counts one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl std::fmt::Display for LineCol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The 1-based line and column of byte `offset` in `text` (clamped to the
/// text, and back to a character's start), as every position the tool
/// reports counts them: lines end as in [`line_starts`], columns count
/// characters (a tab one), and a byte-order mark that starts the text is
/// not counted. For text read whole, such as a TOML file, that a parser saw
/// with its byte-order mark; [`SourceFile::line_col`] does the same for a
/// strategy file, whose mark was dropped on reading.
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut at = position(text, &line_starts(text), offset);
    if at.line == 1 && offset >= bom && bom > 0 {
        at.column -= 1;
    }
    at
}

/// The line and column of byte `offset` in `text`, whose lines start at
/// `starts` ([`line_starts`]): clamped to the text and back to a
/// character's start, the column in characters.
fn position(text: &str, starts: &[usize], offset: usize) -> LineCol {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line = starts.partition_point(|&s| s <= at).max(1);
    let start = starts.get(line - 1).copied().unwrap_or(0);
    LineCol {
        line,
        column: text.get(start..at).map_or(0, |s| s.chars().count()) + 1,
    }
}

/// `text` as a message quotes it: whole up to 200 characters, else its first
/// 200 and how long it is (a header of a million characters was quoted
/// whole in its error).
pub fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    const MOST: usize = 200;
    match text.char_indices().nth(MOST) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} characters in all)",
            text.get(..cut).unwrap_or(text),
            text.chars().count()
        )),
    }
}

/// Byte offsets at which the lines of `text` start: 0, and after each line
/// end, which is the grammar's `NEWLINE`: `\n`, `\r\n` or a lone `\r`.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i + 1),
        )
        .collect()
}

/// The non-blank lines of a comma-separated file (a journal, a market
/// series, a calendar), each with its 1-based number as [`line_starts`]
/// counts lines: a leading byte-order mark dropped, a line ending at `\n`,
/// `\r\n` or a lone `\r` (a spreadsheet's old-Mac CSV), the line end not
/// included, lines holding only whitespace skipped.
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n')
        .flat_map(|raw| raw.strip_suffix('\r').unwrap_or(raw).split('\r'))
        .enumerate()
        .filter(|(_, raw)| !raw.trim().is_empty())
        .map(|(i, raw)| (i + 1, raw))
}

/// One source file: its display name and its text.
///
/// A leading UTF-8 byte-order mark is dropped on construction (and remembered), so
/// that offsets and columns refer to what the user sees.
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
    had_bom: bool,
    invalid_utf8_at: Option<usize>,
}

impl SourceFile {
    /// A source file named `name` (usually its path as given) with `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let mut text: String = text.into();
        let had_bom = text.starts_with('\u{feff}');
        if had_bom {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let line_starts = line_starts(&text);
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            had_bom,
            invalid_utf8_at: None,
        }
    }

    /// A source file from raw bytes: decoded as UTF-8, or lossily with the first
    /// bad byte remembered (see [`SourceFile::invalid_utf8_at`]).
    pub fn from_bytes(name: impl Into<String>, bytes: &[u8]) -> SourceFile {
        match std::str::from_utf8(bytes) {
            Ok(text) => SourceFile::new(name, text),
            Err(_) => SourceFile::new(name, String::from_utf8_lossy(bytes).into_owned())
                .with_invalid_utf8(bytes),
        }
    }

    /// Marks a file read from `bytes` that are not all UTF-8 (its text is the
    /// lossy decoding): checking reports it instead of parsing noise.
    fn with_invalid_utf8(mut self, bytes: &[u8]) -> SourceFile {
        let valid = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
        let bom = if self.had_bom {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        self.invalid_utf8_at = valid.map(|v| v.saturating_sub(bom));
        self
    }

    /// Where the first byte that is not UTF-8 was, if any.
    pub fn invalid_utf8_at(&self) -> Option<usize> {
        self.invalid_utf8_at
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text, without a byte-order mark.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the file started with a UTF-8 byte-order mark.
    pub fn had_bom(&self) -> bool {
        self.had_bom
    }

    /// The text under `span` (empty if the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// Byte offsets at which lines start (see [`line_starts`]).
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }

    /// The 1-based line and column of byte `offset` (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        position(&self.text, &self.line_starts, offset)
    }

    /// [`SourceFile::line_col`] of each of `offsets`, in their order, in one
    /// walk: each column counted on from the one before it on its line,
    /// where one call each counts from the line's start (a long line with
    /// many positions on it, 400,000 diagnostics on one line of 800 KB, took
    /// 20 s).
    pub fn line_cols(&self, offsets: &[usize]) -> Vec<LineCol> {
        let text = self.text.as_str();
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        order.sort_by_key(|&i| offsets.get(i).copied().unwrap_or(0));
        let mut out = vec![LineCol { line: 1, column: 1 }; offsets.len()];
        // The last position counted: its byte and where it is.
        let mut last: Option<(usize, LineCol)> = None;
        for i in order {
            let mut at = offsets.get(i).copied().unwrap_or(0).min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let line = self.line_starts.partition_point(|&s| s <= at).max(1);
            let here = match last {
                Some((byte, before)) if before.line == line && byte <= at => LineCol {
                    line,
                    column: before.column + text.get(byte..at).map_or(0, |s| s.chars().count()),
                },
                _ => position(text, &self.line_starts, at),
            };
            if let Some(slot) = out.get_mut(i) {
                *slot = here;
            }
            last = Some((at, here));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_keep_short_text_whole() {
        assert_eq!(excerpt("date,close"), "date,close");
        let long = "é".repeat(250);
        assert_eq!(
            excerpt(&long),
            format!("{}… (250 characters in all)", "é".repeat(200))
        );
        assert_eq!(excerpt(&"a".repeat(200)), "a".repeat(200));
    }

    /// Many positions at once are where each is alone.
    #[test]
    fn line_cols_are_line_col_of_each() {
        let f = SourceFile::new("a.vxs", "ab\n\tcé d\r\nx\ré\u{1F600}z\n");
        let offsets: Vec<usize> = (0..=f.text().len() + 2).rev().chain([8, 3, 3, 0]).collect();
        let want: Vec<LineCol> = offsets.iter().map(|&o| f.line_col(o)).collect();
        assert_eq!(f.line_cols(&offsets), want);
        assert!(f.line_cols(&[]).is_empty());
    }

    #[test]
    fn line_col_counts_chars_and_lines() {
        let f = SourceFile::new("a.vxs", "ab\n\tcé d\r\nx");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // `d` sits after a tab, `c`, `é` (two bytes) and a space
        assert_eq!(f.line_col(8), LineCol { line: 2, column: 5 });
        assert_eq!(f.line_col(11), LineCol { line: 3, column: 1 });
        assert_eq!(f.line_col(999), LineCol { line: 3, column: 2 });
    }

    #[test]
    fn a_lone_cr_ends_a_line_as_in_the_grammar() {
        let f = SourceFile::new("a.vxs", "ab\rc\r\nd\r");
        assert_eq!(f.line_starts(), [0, 3, 6, 8]);
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        assert_eq!(f.line_col(6), LineCol { line: 3, column: 1 });
        assert_eq!(f.line_col(8), LineCol { line: 4, column: 1 });
    }

    #[test]
    fn bom_is_dropped() {
        let f = SourceFile::new("a.vxs", "\u{feff}x");
        assert!(f.had_bom());
        assert_eq!(f.text(), "x");
    }
}
