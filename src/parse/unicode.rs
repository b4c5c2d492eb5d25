//! Characters outside ASCII where the language has none: names, numbers and
//! operators are ASCII, so a non-ASCII character outside a string or a
//! comment is always an error. Most arrive by copy and paste and look like
//! the ASCII they replace (a no-break space, `−` for `-`, `×` for `x`, a
//! Cyrillic `а`), so the error names the character and what to type instead.

use crate::diag::{Code, Diagnostic};
use crate::source::Span;

/// The first non-ASCII character of `text` outside strings and `//`
/// comments, with its byte offset.
pub(super) fn first_foreign(text: &str) -> Option<(usize, char)> {
    let mut in_string = false;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => in_string = !in_string,
            '\n' | '\r' => in_string = false,
            _ if in_string => {}
            '/' if chars.peek().is_some_and(|&(_, n)| n == '/') => {
                // To the end of the line.
                for (_, n) in chars.by_ref() {
                    if n == '\n' || n == '\r' {
                        break;
                    }
                }
            }
            _ if !c.is_ascii() => return Some((at, c)),
            _ => {}
        }
    }
    None
}

/// `text` with each look-alike replaced by the ASCII it stands for (and
/// invisible ones removed): how a swallowed statement's key is read, so that
/// `cаpital` with a Cyrillic `а` still counts as a `capital` written.
pub(super) fn skeleton(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match look_alike(c) {
            Some((_, ascii)) => out.push_str(ascii),
            None => out.push(c),
        }
    }
    out
}

/// The error for `c` at byte `at` of the file.
pub(super) fn foreign_char(at: usize, c: char) -> Diagnostic {
    let span = Span::new(at, at + c.len_utf8());
    let code = format!("U+{:04X}", u32::from(c));
    let invisible = c.is_whitespace()
        || look_alike(c).is_some_and(|(_, a)| a.is_empty())
        || unicode_width::UnicodeWidthChar::width(c) == Some(0);
    let shown = if invisible {
        // An invisible character (a combining accent, which would sit on
        // the backtick before it) is named, not shown.
        code.clone()
    } else {
        format!("`{c}` ({code})")
    };
    if let Some((what, word, example)) = symbol_for_word(c) {
        // Not a look-alike of any ASCII: a symbol for a word the language
        // spells out (`3σ` for `3 sigma`).
        return Diagnostic::new(
            Code::Syntax,
            span,
            format!("{shown}, {what}, is not allowed outside strings and comments"),
        )
        .label(format!("write `{word}`"))
        .help(format!(
            "write the word `{word}`, after a space: {example} (strategy files are ASCII outside strings and comments)"
        ));
    }
    if c == '\u{00D7}' {
        // `1.6×` is a multiplier, `sma(vix, 20) × 1.2` a product: the help
        // gives both (it said `x` alone, which a product cannot take).
        return Diagnostic::new(
            Code::Syntax,
            span,
            format!("{shown}, a multiplication sign, is not ASCII"),
        )
        .label("not `x` or `*`")
        .help(
            "type `x` right after a number for a multiplier (`1.6x`), or `*` to multiply (`sma(vix, 20) * 1.2`): strategy files are ASCII outside strings and comments",
        );
    }
    match look_alike(c) {
        Some((what, "")) => Diagnostic::new(
            Code::Syntax,
            span,
            format!("invisible character {shown}, {what}"),
        )
        .label("an invisible character is here")
        .help("delete it: strategy files are ASCII outside strings and comments"),
        Some((what, ascii)) => {
            let ascii = match ascii {
                " " => "a plain space".to_string(),
                _ => format!("`{ascii}`"),
            };
            Diagnostic::new(
                Code::Syntax,
                span,
                format!("{shown}, {what}, looks like {ascii} but is not ASCII"),
            )
            .label(format!("not {ascii}"))
            .help(format!(
                "type {ascii}: strategy files are ASCII outside strings and comments"
            ))
        }
        None => Diagnostic::new(
            Code::Syntax,
            span,
            format!("{shown} is not allowed outside strings and comments"),
        )
        .label("not ASCII")
        .help(
            "names, numbers and operators are ASCII; keep other characters to strings and comments",
        ),
    }
}

/// A symbol a trader writes for a word of the language: what it is, the
/// word, and the word in use.
fn symbol_for_word(c: char) -> Option<(&'static str, &'static str, &'static str)> {
    match c {
        'σ' => Some((
            "a Greek sigma",
            "sigma",
            "`quick_ratio >= 1.4 under 3 sigma`",
        )),
        _ => None,
    }
}

/// What `c` is and the ASCII it passes for (empty: an invisible character).
fn look_alike(c: char) -> Option<(&'static str, &'static str)> {
    Some(match c {
        '\u{00A0}' => ("a no-break space", " "),
        '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
            ("a wide or narrow space", " ")
        }
        '\u{200B}' => ("a zero-width space", ""),
        '\u{200C}' => ("a zero-width non-joiner", ""),
        '\u{200D}' => ("a zero-width joiner", ""),
        '\u{2060}' => ("a word joiner", ""),
        '\u{FEFF}' => ("a zero-width no-break space (byte-order mark)", ""),
        '\u{00AD}' => ("a soft hyphen", ""),
        '\u{2212}' => ("a minus sign", "-"),
        '\u{2010}' | '\u{2011}' => ("a hyphen", "-"),
        '\u{2012}' | '\u{2013}' => ("an en dash", "-"),
        '\u{2014}' | '\u{2015}' => ("an em dash", "-"),
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}' => {
            ("a typographic double quote", "\"")
        }
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => ("a typographic single quote", "'"),
        '\u{00D7}' => ("a multiplication sign", "x"),
        '\u{2026}' => ("an ellipsis", ".."),
        '\u{2024}' => ("a one-dot leader", "."),
        '\u{2264}' => ("a less-than-or-equal sign", "<="),
        '\u{2265}' => ("a greater-than-or-equal sign", ">="),
        '\u{2260}' => ("a not-equal sign", "!="),
        '\u{2215}' | '\u{2044}' => ("a division slash", "/"),
        '\u{FF01}'..='\u{FF5E}' => return fullwidth(c),
        _ => return cyrillic_or_greek(c),
    })
}

/// A fullwidth form of an ASCII character (`％`, `＄`, `１`).
fn fullwidth(c: char) -> Option<(&'static str, &'static str)> {
    const ASCII: &str = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    let i = (u32::from(c) - 0xFF01) as usize;
    Some(("a fullwidth form", ASCII.get(i..=i)?))
}

/// A Cyrillic or Greek letter drawn like a Latin one.
fn cyrillic_or_greek(c: char) -> Option<(&'static str, &'static str)> {
    const CYRILLIC: &[(char, &str)] = &[
        ('а', "a"),
        ('е', "e"),
        ('о', "o"),
        ('р', "p"),
        ('с', "c"),
        ('у', "y"),
        ('х', "x"),
        ('і', "i"),
        ('ј', "j"),
        ('ѕ', "s"),
        ('ԁ', "d"),
        ('һ', "h"),
        ('ԛ', "q"),
        ('ԝ', "w"),
        ('А', "A"),
        ('В', "B"),
        ('Е', "E"),
        ('К', "K"),
        ('М', "M"),
        ('Н', "H"),
        ('О', "O"),
        ('Р', "P"),
        ('С', "C"),
        ('Т', "T"),
        ('Х', "X"),
        ('І', "I"),
        ('Ј', "J"),
        ('Ѕ', "S"),
    ];
    const GREEK: &[(char, &str)] = &[
        ('ο', "o"),
        ('α', "a"),
        ('ν', "v"),
        ('ρ', "p"),
        ('ι', "i"),
        ('κ', "k"),
        ('Α', "A"),
        ('Β', "B"),
        ('Ε', "E"),
        ('Ζ', "Z"),
        ('Η', "H"),
        ('Ι', "I"),
        ('Κ', "K"),
        ('Μ', "M"),
        ('Ν', "N"),
        ('Ο', "O"),
        ('Ρ', "P"),
        ('Τ', "T"),
        ('Χ', "X"),
        ('Υ', "Y"),
    ];
    if let Some(&(_, a)) = CYRILLIC.iter().find(|(l, _)| *l == c) {
        return Some(("a Cyrillic letter", a));
    }
    GREEK
        .iter()
        .find(|(l, _)| *l == c)
        .map(|&(_, a)| ("a Greek letter", a))
}
