//! A section that lost its `}`.
//!
//! Without its `}`, a section runs on to the next `}` in the file: the
//! items after it (`signal ...`, `hedge front { ...`) are read as lines of
//! the section, each an error, and the settings of the next section as
//! settings of this one (`sizing` has no setting `instrument`), while the
//! signals those items define are unknown where used. Sections do not nest
//! and no setting starts with an item's keyword, so a line inside a section
//! that starts an item shows where the `}` was meant to be. This pass
//! closes the section there, reads the rest of its text again as items,
//! and replaces what that text gave (its errors included) with those items,
//! their own errors and one error that says which `}` is missing.
//!
//! Spans stay the file's: the text read again is the file's, with every
//! byte outside that stretch blanked (line ends kept).
//!
//! The other way round, a `}` can close a section too early (`steps = 3 }`,
//! or a `}` line): the section's last settings then stand outside any
//! section, each an error, and its own `}` below them is unexpected.
//! `closed_early` finds that shape (only that section's settings, or guard
//! lines after `guards`, then a `}` alone on its line), and `parse` reads
//! the file again with the early `}` blanked and says it once.

use crate::ast::{self, Item};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;

/// The most sections one file has closed this way; past it, a section
/// without its `}` is reported as the grammar reads it.
pub(super) const MAX_CLOSED: usize = 16;

/// The item keywords that open a block.
const BLOCK_KEYWORDS: &[&str] = &[
    "strategy", "account", "entry", "sizing", "hedge", "roll", "guards",
];

/// Whether `line` (a line's text, leading blanks included) starts an item:
/// a section or `guards` keyword with a `{` later on the line, or `signal
/// NAME =` / `param NAME =`.
fn starts_item(line: &str) -> bool {
    let line = line.trim_start();
    let word_len = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (word, rest) = line.split_at(word_len);
    if BLOCK_KEYWORDS.contains(&word) {
        return rest.starts_with([' ', '\t', '{', '"']) && rest.contains('{');
    }
    // `sizng {`, `hedgee front {`: a misspelt section's head, which no
    // setting or guard line looks like (a word, a label, then `{`).
    if !word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit()) {
        let rest = rest.trim_start();
        let label_len = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"').map_or(0, |n| n + 2)
        } else {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())
        };
        if rest[label_len..].trim_start().starts_with('{') {
            return true;
        }
    }
    if word == "signal" || word == "param" {
        let name = rest.trim_start();
        let name_len = name
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(name.len());
        let after = name[name_len..].trim_start();
        return name_len > 0
            && name.len() < rest.len()
            && after.starts_with('=')
            && !after.starts_with("==");
    }
    false
}

/// The byte offset of the first line inside `span` (after the line it
/// starts on) that starts an item, if any.
fn first_item_line(text: &str, span: Span) -> Option<usize> {
    let (start, end) = (span.start as usize, (span.end as usize).min(text.len()));
    let inside = text.get(start..end)?;
    // Lines end as the grammar ends them: `\n`, `\r\n` or a lone `\r`.
    let starts = crate::source::line_starts(inside);
    let ends = starts.iter().skip(1).copied().chain([inside.len()]);
    starts
        .iter()
        .zip(ends)
        .skip(1)
        .find(|&(&a, b)| inside.get(a..b).is_some_and(starts_item))
        .map(|(&a, _)| start + a)
}

/// `text` with every byte outside `keep` a space, line ends kept, so that
/// parsing it gives the file's own spans, lines and columns for that stretch.
pub(super) fn blanked(text: &str, keep: std::ops::Range<usize>) -> String {
    let bytes: Vec<u8> = text
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            if keep.contains(&i) || b == b'\n' || b == b'\r' {
                b
            } else {
                b' '
            }
        })
        .collect();
    // Only whole characters are kept (`keep` starts at a line start and ends
    // at a section's end), and the rest are ASCII spaces: valid UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// A one-line `param` or `signal` written inside a section that its own
/// `}` closes (the caller checks that every `{` of the file is closed): the
/// line's byte range, its first word, and the section's name. A section
/// that really lost its `}` runs on over other items to a later one's `}`,
/// so an item line after this one rules it out.
pub(super) fn misplaced_item(
    text: &str,
    file: &ast::File,
) -> Option<(usize, usize, String, String)> {
    file.items.iter().find_map(|item| {
        if !matches!(item, Item::Section(_) | Item::Guards(_)) {
            return None;
        }
        let span = item.span();
        let at = first_item_line(text, span)?;
        let end = (span.end as usize).min(text.len());
        let line_end = text
            .get(at..end)?
            .find(['\n', '\r'])
            .map_or(end, |n| at + n);
        let word: String = text
            .get(at..line_end)?
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let closed_here = text.get(..end)?.trim_end().ends_with('}');
        let another = first_item_line(text, Span::new(at, end)).is_some();
        (["param", "signal"].contains(&word.as_str()) && closed_here && !another)
            .then(|| (at, line_end, word, item_name(item)))
    })
}

/// Adds what `from`'s statements that did not parse left (their keys, the
/// names they use and define) to `into`'s, and gives `from`'s items, for a
/// stretch of the file read again.
pub(super) fn take_names(into: &mut ast::File, from: ast::File) -> Vec<Item> {
    let ast::File {
        items,
        recovered,
        unparsed_names,
        unparsed_defs,
    } = from;
    for (into, from) in [
        (&mut into.recovered, recovered),
        (&mut into.unparsed_names, unparsed_names),
        (&mut into.unparsed_defs, unparsed_defs),
    ] {
        into.extend(from);
        into.sort();
        into.dedup();
    }
    items
}

/// How a section is named in messages: `sizing`, `hedge front`, `guards`.
fn item_name(item: &Item) -> String {
    match item {
        Item::Section(s) => match &s.label {
            Some(ast::Label::Name(name)) => format!("{} {}", s.kind.keyword(), name.name),
            _ => s.kind.keyword().to_string(),
        },
        Item::Guards(_) => "guards".into(),
        Item::Signal(_) | Item::Param(_) => String::new(),
    }
}

/// Closes each section of `file` whose text holds the start of another
/// item, as described in the module's documentation, while `budget` lasts
/// (one a section closed); `parse` reads a text (the same way the file was
/// read, with the same budget) into items and diagnostics.
pub(super) fn close_unclosed(
    text: &str,
    file_text: &str,
    file: &mut ast::File,
    diags: &mut Vec<Diagnostic>,
    budget: &std::cell::Cell<usize>,
    parse: &dyn Fn(&str) -> (ast::File, Vec<Diagnostic>),
) {
    let mut i = 0;
    while i < file.items.len() && budget.get() > 0 {
        let item = &file.items[i];
        let span = item.span();
        let (Some(at), name) = (
            matches!(item, Item::Section(_) | Item::Guards(_))
                .then(|| first_item_line(text, span))
                .flatten(),
            item_name(item),
        ) else {
            i += 1;
            continue;
        };
        budget.set(budget.get() - 1);
        let end = (span.end as usize).min(text.len());
        // What the section really holds ends with its last statement before
        // the item: the section's span ends there.
        let last = text[..at].trim_end().len();
        let opened_line = line_of(file_text, span.start as usize);
        match &mut file.items[i] {
            Item::Section(s) => {
                s.settings.retain(|st| (st.loc.0.start as usize) < at);
                s.loc.0 = Span::new(s.loc.0.start as usize, last);
            }
            Item::Guards(g) => {
                g.guards.retain(|gd| (gd.span().start as usize) < at);
                g.loc.0 = Span::new(g.loc.0.start as usize, last);
            }
            Item::Signal(_) | Item::Param(_) => {}
        }
        diags.retain(|d| !(at..end).contains(&(d.span.start as usize)));
        let (again, again_diags) = parse(&blanked(text, at..end));
        let word: String = text[at..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let word_at = at + (text[at..].len() - text[at..].trim_start().len());
        diags.push(
            Diagnostic::new(
                Code::Syntax,
                Span::new(word_at, word_at + word.len()),
                format!("`{name}` (line {opened_line}) is not closed before this `{word}`"),
            )
            .label("the next item starts here")
            .help(format!(
                "a section ends with `}}`: add it on the line above to close `{name}`"
            )),
        );
        diags.extend(again_diags);
        let items = take_names(file, again);
        let n = items.len();
        file.items.splice(i + 1..i + 1, items);
        // The items read again were closed (or had their own `}` missing
        // said) by that reading: go on after them.
        i += 1 + n;
    }
    diags.sort_by_key(|d| (d.span.start, d.span.end));
}

/// Ends `item`'s span at `end` (a section read as closed where the file ends).
pub(super) fn end_item_at(item: &mut Item, end: usize) {
    match item {
        Item::Section(s) => s.loc.0 = Span::new(s.loc.0.start as usize, end),
        Item::Guards(g) => g.loc.0 = Span::new(g.loc.0.start as usize, end),
        Item::Signal(_) | Item::Param(_) => {}
    }
}

/// The line of the file (`file_text`, as given, not a text read again with
/// bytes changed) that byte `at` is on, 1-based.
fn line_of(file_text: &str, at: usize) -> usize {
    crate::source::line_starts(file_text.get(..at).unwrap_or(file_text)).len()
}

/// A line's code: the text before a `//` comment outside a string, trimmed.
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let bytes = line.as_bytes();
    let mut end = line.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    line.get(..end).unwrap_or(line).trim()
}

/// `text` with the label of the section head whose string opens at `at`
/// and is not closed on its line closed in place (`strategy "SPX Mastery {`
/// read as `strategy "SPX Mastery"{`): the same number of bytes, the
/// label's text kept but for what its closing quote takes (a blank before
/// the `{`, else its last character). `None` unless the line is a
/// section's head ending with `{`.
pub(super) fn head_label_closed(text: &str, at: usize) -> Option<String> {
    let start = text.get(..at)?.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let end = text
        .get(at..)?
        .find(['\n', '\r'])
        .map_or(text.len(), |i| at + i);
    let line = text.get(start..end)?;
    let word = line.split([' ', '\t']).next()?;
    if !BLOCK_KEYWORDS.contains(&word) || !line.trim_end().ends_with('{') {
        return None;
    }
    let brace = start + line.trim_end().len() - 1;
    // Between the quote and the `{`: the label's text, then its new quote.
    let inside = text.get(at + 1..brace)?.trim_end();
    let room = (brace - at).checked_sub(2)?;
    let mut kept = inside;
    while kept.len() > room {
        let mut chars = kept.chars();
        chars.next_back();
        kept = chars.as_str();
    }
    let mut label = String::with_capacity(brace - at);
    label.push('"');
    label.push_str(kept);
    label.push('"');
    while label.len() < brace - at {
        label.push(' ');
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..at)?);
    out.push_str(&label);
    out.push_str(text.get(brace..)?);
    Some(out)
}

/// A section closed too early, as [`closed_early`] finds it.
pub(super) struct Early {
    /// The section's first byte.
    pub start: usize,
    /// The `}` that closes it too early.
    pub early: usize,
    /// The `}` alone on its line that was meant to close it.
    pub late: usize,
    /// How the section is named in messages.
    pub name: String,
}

/// The first section of `file` closed by a `}` before lines that belong in
/// it: after its `}` (`steps = 3 }`, or a `}` line) come only lines that
/// are settings of that section (a guard's lines for `guards`; blank and
/// comment lines aside), each otherwise "outside any section", then a `}`
/// alone on its line, itself otherwise "unexpected". Setting keys of
/// another section only (a lost `sizing {` line) are no such case.
pub(super) fn closed_early(text: &str, file: &ast::File) -> Option<Early> {
    file.items.iter().enumerate().find_map(|(i, item)| {
        let kind = match item {
            Item::Section(s) => Some(s.kind),
            Item::Guards(_) => None,
            Item::Signal(_) | Item::Param(_) => return None,
        };
        let span = item.span();
        let early = (span.end as usize).checked_sub(1)?;
        if text.as_bytes().get(early) != Some(&b'}') {
            return None;
        }
        let next = file
            .items
            .get(i + 1)
            .map_or(text.len(), |n| n.span().start as usize);
        let after = text.get(early + 1..next)?;
        let late = early + 1 + body_end(after, kind)?;
        Some(Early {
            start: span.start as usize,
            early,
            late,
            name: item_name(item),
        })
    })
}

/// Where a section's lines end in `after` (text from the end of a line that
/// holds nothing more): the offset of the `}` alone on its line that
/// follows only lines of a section of `kind` (`None`: `guards`), blank and
/// comment lines aside, at least one. Settings of another section only (a
/// lost section head) are not such lines.
fn body_end(after: &str, kind: Option<ast::SectionKind>) -> Option<usize> {
    let starts = crate::source::line_starts(after);
    let ends = starts.iter().skip(1).copied().chain([after.len()]);
    let mut ours = 0;
    for (n, (&a, b)) in starts.iter().zip(ends).enumerate() {
        let line = after.get(a..b)?;
        let code = code_of(line);
        if n == 0 || code.is_empty() {
            // The rest of the first line must hold nothing else.
            if code.is_empty() {
                continue;
            }
            return None;
        }
        if code == "}" {
            return line.find('}').map(|i| a + i).filter(|_| ours > 0);
        }
        if starts_item(line) || code.contains(['{', '}']) {
            return None;
        }
        let word_len = code
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(code.len());
        let (word, rest) = code.split_at(word_len);
        let rest = rest.trim_start();
        let is_setting = !word.is_empty() && rest.starts_with('=') && !rest.starts_with("==");
        match (kind, is_setting) {
            (Some(kind), true) => {
                if crate::check::section_has_key(kind, word) {
                    ours += 1;
                } else if !crate::check::sections_with_key(word).is_empty() {
                    return None;
                }
            }
            // A setting is no guard: `guards` did not lose these.
            (None, true) => return None,
            (None, false) => ours += 1,
            // A line continuing an expression (`or rsi(vix, 14) > 70`)
            // can only be the section's.
            (Some(_), false) if matches!(word, "and" | "or") => ours += 1,
            (Some(_), false) => {}
        }
    }
    None
}

/// A section head without its `{` (`entry` alone on its line), as
/// [`lost_open`] finds it.
pub(super) struct LostOpen {
    /// The head's first byte.
    pub head: usize,
    /// The bytes to read as blanks, and the one to read as `{`.
    pub blank: std::ops::Range<usize>,
    pub brace: usize,
    /// The error to say instead of what the head gave.
    pub error: Diagnostic,
}

/// The first line of `text` that is a section's head without its `{`
/// (`entry`, `hedge front`, `strategy "x"`): followed by a line starting
/// with `{` (its `{` a line too low), or by lines of that section and a
/// `}` alone on its line (its `{` left out).
pub(super) fn lost_open(text: &str) -> Option<LostOpen> {
    let starts = crate::source::line_starts(text);
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    starts.iter().zip(ends).find_map(|(&a, b)| {
        let line = text.get(a..b)?;
        let code = code_of(line);
        let word_len = code
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(code.len());
        let (word, label) = code.split_at(word_len);
        let label = label.trim();
        let kind = match word {
            "guards" if label.is_empty() => None,
            _ => Some(ast::SectionKind::from_keyword(word)?),
        };
        let label_ok = label.is_empty()
            || label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || (label.len() >= 2 && label.starts_with('"') && label.ends_with('"'));
        if !label_ok || line.trim_start() != line {
            return None;
        }
        let head_end = a + line.find(code)? + code.len();
        let name = if label.starts_with('"') || label.is_empty() {
            word.to_string()
        } else {
            format!("{word} {label}")
        };
        // Its `{` on the next line that holds code.
        let rest = text.get(head_end..)?;
        let next = rest
            .split_inclusive(['\n', '\r'])
            .scan(0, |at, l| {
                let here = *at;
                *at += l.len();
                Some((here, l))
            })
            .skip(1)
            .find(|(_, l)| !code_of(l).is_empty());
        if let Some((at, l)) = next
            && code_of(l).starts_with('{')
        {
            let brace = head_end + at + l.find('{')?;
            return Some(LostOpen {
                head: a,
                blank: head_end..brace,
                brace,
                error: Diagnostic::new(
                    Code::Syntax,
                    Span::new(brace, brace + 1),
                    format!("the `{{` of `{name}` is on the line after it"),
                )
                .label("a section's `{` ends the line of its head")
                .related(Span::new(a, head_end), "the section")
                .help(format!("move this `{{` to the end of the `{name}` line")),
            });
        }
        body_end(rest, kind)?;
        // Read as `{`: the blank or line end after the head.
        if !matches!(
            text.as_bytes().get(head_end),
            Some(b' ' | b'\t' | b'\n' | b'\r')
        ) {
            return None;
        }
        Some(LostOpen {
            head: a,
            blank: head_end..head_end,
            brace: head_end,
            error: Diagnostic::new(
                Code::Syntax,
                Span::new(head_end, head_end),
                format!("`{name}` has no `{{`"),
            )
            .label("its `{` goes here")
            .help(format!(
                "a section opens with `{{` at the end of its first line: `{name} {{`"
            )),
        })
    })
}

/// The error for a section closed too early (`Early`): at the `}` that
/// closes it, naming the one meant to.
pub(super) fn closed_early_error(text: &str, e: &Early) -> Diagnostic {
    let line_of = |at: usize| line_of(text, at);
    Diagnostic::new(
        Code::Syntax,
        Span::new(e.early, e.early + 1),
        format!(
            "this `}}` closes `{}` (line {}) before its last lines",
            e.name,
            line_of(e.start)
        ),
    )
    .label(format!("`{}` ends here", e.name))
    .related(Span::new(e.late, e.late + 1), "the `}` meant to close it")
    .help(format!(
        "remove this `}}`: the lines after it, down to line {}, belong in `{}`",
        line_of(e.late),
        e.name
    ))
}

#[cfg(test)]
mod tests {
    use super::{head_label_closed, starts_item};

    /// The label is closed in place, the same bytes long: before a blank
    /// and `{`, or taking the label's last character (whole, even a wide
    /// one); nothing on a line that is no head, or with no room for a quote.
    #[test]
    fn a_head_label_is_closed_in_place() {
        let close = |t: &str| head_label_closed(t, t.find('"').unwrap_or(0));
        assert_eq!(
            close("x\nstrategy \"SPX Mastery {\n}").as_deref(),
            Some("x\nstrategy \"SPX Mastery\"{\n}")
        );
        assert_eq!(
            close("hedge \"front{\r\n}").as_deref(),
            Some("hedge \"fron\"{\r\n}")
        );
        assert_eq!(
            close("strategy \"ä€{").as_deref(),
            Some("strategy \"ä\"  {")
        );
        assert_eq!(close("strategy \"{"), None);
        assert_eq!(close("name = \"abc {"), None);
        assert_eq!(close("strategy \"abc"), None);
    }

    #[test]
    fn item_starts() {
        for line in [
            "hedge front {",
            "  sizing {",
            "guards {",
            "strategy \"x\" {",
            "signal theta_press = vix < 20",
            "param mult=1.6x",
            "sizng {",
            "hedgee front {",
            "strateg \"x\" {",
        ] {
            assert!(starts_item(line), "{line}");
        }
        for line in [
            "    instrument = vix_calls",
            "hedge = 3",
            "signal == 3",
            "signals = 3",
            "    trigger = signal_x > 3",
            "param",
            "sizing",
            "    trigger = x {",
            "    vix < 40 {",
            "    12 {",
        ] {
            assert!(!starts_item(line), "{line}");
        }
    }
}
