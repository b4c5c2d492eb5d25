//! The source as diagnostics show it: long lines cut to a window around
//! their labels, so a minified or generated file (a 10,000-character line)
//! still gives a readable snippet. `--> file:line:col` keeps the column of
//! the file itself.

use std::ops::Range;

use codespan_reporting::files::{self, Files, Location};

use crate::source::line_starts;

/// Lines wider than this many screen columns are shown as a window.
const MAX_SHOWN_COLUMNS: usize = 240;
/// Screen columns shown before the first label of a cut line.
const CONTEXT_BEFORE: usize = 40;
/// The columns a tab takes on the screen: codespan's default `tab_width`.
const TAB_COLUMNS: usize = 4;
/// What stands for the cut part of a line.
const CUT: &str = "...";

/// The shown text, with the map back to the file's.
pub(super) struct Shown<'a> {
    name: &'a str,
    /// The file's text (already terminal-safe), for columns.
    original: &'a str,
    original_starts: Vec<usize>,
    /// The text as shown.
    text: String,
    starts: Vec<usize>,
    /// The kept pieces, in order: (shown start, file start, length).
    pieces: Vec<(usize, usize, usize)>,
}

/// The screen columns `c` takes as the snippet shows it: two for a wide
/// (CJK, emoji) character, none for a zero-width one, [`TAB_COLUMNS`] for
/// a tab. The text is terminal-safe already: no controls but line ends.
fn columns_of(c: char) -> usize {
    use unicode_width::UnicodeWidthChar;
    if c == '\t' {
        TAB_COLUMNS
    } else {
        c.width().unwrap_or(0)
    }
}

/// The screen columns `text` takes.
fn columns(text: &str) -> usize {
    text.chars().map(columns_of).sum()
}

/// The byte offset after as many characters from `from` in `text` as fit
/// in `n` screen columns (or its end).
fn columns_after(text: &str, from: usize, n: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.get(from..).unwrap_or("").char_indices() {
        used += columns_of(c);
        if used > n {
            return from + i;
        }
    }
    text.len()
}

/// The byte offset of the first of as many characters before `to` in
/// `text` as fit in `n` screen columns (not before `floor`).
fn columns_before(text: &str, floor: usize, to: usize, n: usize) -> usize {
    let mut used = 0;
    let mut at = to;
    for (i, c) in text.get(floor..to).unwrap_or("").char_indices().rev() {
        used += columns_of(c);
        if used > n {
            break;
        }
        at = floor + i;
    }
    at
}

impl<'a> Shown<'a> {
    /// Cuts each line of `original` wider than [`MAX_SHOWN_COLUMNS`] that one
    /// of `points` (byte offsets) falls on to a window around them; when
    /// they do not all fit, around the first of `anchors` (the primary
    /// labels' starts, whose columns the headers give) on that line.
    pub(super) fn new(
        name: &'a str,
        original: &'a str,
        points: &[usize],
        anchors: &[usize],
    ) -> Shown<'a> {
        let original_starts = line_starts(original);
        // Sorted once, so each line finds its points by binary search (a
        // scan of every point per line took seconds for 40,000 warnings).
        let mut sorted = points.to_vec();
        sorted.sort_unstable();
        let mut anchors = anchors.to_vec();
        anchors.sort_unstable();
        let mut text = String::with_capacity(original.len().min(1 << 16));
        let mut pieces = Vec::new();
        let mut keep = |text: &mut String, range: Range<usize>| {
            if let Some(s) = original.get(range.clone()) {
                pieces.push((text.len(), range.start, range.len()));
                text.push_str(s);
            }
        };
        for (i, &start) in original_starts.iter().enumerate() {
            let next = original_starts
                .get(i + 1)
                .copied()
                .unwrap_or(original.len());
            // Before the line end: `\n`, `\r\n` or a lone `\r`.
            let body_end = original.get(start..next).map_or(next, |l| {
                start + l.trim_end_matches('\n').trim_end_matches('\r').len()
            });
            let line = original.get(start..body_end).unwrap_or("");
            let here = &sorted[sorted.partition_point(|&p| p < start)
                ..sorted.partition_point(|&p| p <= body_end)];
            let (Some(&first), Some(&last)) = (here.first(), here.last()) else {
                keep(&mut text, start..next);
                continue;
            };
            if columns(line) <= MAX_SHOWN_COLUMNS {
                keep(&mut text, start..next);
                continue;
            }
            let window = MAX_SHOWN_COLUMNS - 2 * CUT.len();
            // From the line's start when the points fit, else from a little
            // before the first.
            let from_start = original.get(start..last).map_or(0, columns);
            let mut from = if from_start < window {
                start
            } else {
                columns_before(original, start, first, CONTEXT_BEFORE)
            };
            // Slide right so the last point is inside, if the window allows.
            let to_last = original.get(from..last).map_or(0, columns);
            if to_last >= window {
                let span = original.get(first..last).map_or(0, columns);
                let anchor = anchors
                    .get(anchors.partition_point(|&a| a < start))
                    .copied()
                    .filter(|&a| a <= body_end)
                    .unwrap_or(first);
                from = if span < window {
                    columns_before(original, start, last, window - 1)
                } else {
                    columns_before(original, first, anchor, CONTEXT_BEFORE)
                };
            }
            let to = columns_after(original, from, window).min(body_end);
            if from > start {
                text.push_str(CUT);
            }
            keep(&mut text, from..to);
            if to < body_end {
                text.push_str(CUT);
            }
            keep(&mut text, body_end..next);
        }
        let starts = line_starts(&text);
        Shown {
            name,
            original,
            original_starts,
            text,
            starts,
            pieces,
        }
    }

    /// Where the file's byte `at` is shown: inside its piece, or at the edge
    /// of the window nearest to it when it was cut away.
    pub(super) fn map(&self, at: usize) -> usize {
        let i = self.pieces.partition_point(|&(_, o, _)| o <= at);
        match i.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(&(shown, o, len)) if at <= o + len => shown + (at - o),
            Some(&(shown, _, len)) => shown + len,
            None => 0,
        }
    }

    /// Whether the file's byte `at` is shown where it is (not cut away).
    pub(super) fn shows(&self, at: usize) -> bool {
        self.unmap(self.map(at)) == at
    }

    /// The file's byte shown at `shown`.
    fn unmap(&self, shown: usize) -> usize {
        let i = self.pieces.partition_point(|&(s, _, _)| s <= shown);
        match i.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some(&(s, o, len)) => o + (shown - s).min(len),
            None => 0,
        }
    }
}

impl<'f> Files<'f> for Shown<'_> {
    type FileId = ();
    type Name = &'f str;
    type Source = &'f str;

    fn name(&'f self, (): ()) -> Result<&'f str, files::Error> {
        Ok(self.name)
    }

    fn source(&'f self, (): ()) -> Result<&'f str, files::Error> {
        Ok(&self.text)
    }

    fn line_index(&'f self, (): (), byte_index: usize) -> Result<usize, files::Error> {
        Ok(self
            .starts
            .partition_point(|&s| s <= byte_index)
            .saturating_sub(1))
    }

    fn line_range(&'f self, (): (), line_index: usize) -> Result<Range<usize>, files::Error> {
        let start = *self
            .starts
            .get(line_index)
            .ok_or(files::Error::LineTooLarge {
                given: line_index,
                max: self.starts.len().saturating_sub(1),
            })?;
        let end = self
            .starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(self.text.len());
        Ok(start..end)
    }

    /// The line as shown (lines are never merged or split), the column in
    /// the file's own line.
    fn location(&'f self, (): (), byte_index: usize) -> Result<Location, files::Error> {
        let line_index = self.line_index((), byte_index)?;
        let at = self.unmap(byte_index);
        let line_start = self.original_starts.get(line_index).copied().unwrap_or(0);
        let column = self
            .original
            .get(line_start..at.max(line_start))
            .map_or(0, |s| s.chars().count());
        Ok(Location {
            line_number: line_index + 1,
            column_number: column + 1,
        })
    }
}
