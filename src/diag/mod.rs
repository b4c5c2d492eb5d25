//! Diagnostics: what `vixshield check` reports, and how it is rendered.
//!
//! Every kind of problem has a stable [`Code`]. Messages are lowercase, with no
//! final period, and put the user's text in backticks; help sits beside them.
//! Rendering (human, with source line and caret, or JSON) happens in one place:
//! [`render_human`] and [`to_json`].

use crate::source::{LineCol, SourceFile, Span};
use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, Severity as CsSeverity,
};
use codespan_reporting::term::{self, Chars, Config};
use serde::Serialize;

mod shown;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file is wrong: `check` exits 1.
    Error,
    /// The file is legal but probably not what you want.
    Warning,
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $name:ident = $code:literal, $sev:ident, $title:literal;)*) => {
        /// The stable code of each kind of diagnostic.
        ///
        /// docs/language.md ("Diagnostics") lists them with what triggers each; `tests/cases/check/` holds at
        /// least one case per code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[doc = $doc])* $name,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The code as printed: `E0401`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$name => $code,)* }
            }

            /// The severity of this kind of diagnostic.
            pub fn severity(self) -> Severity {
                match self { $(Code::$name => Severity::$sev,)* }
            }

            /// A short title for documentation.
            pub fn title(self) -> &'static str {
                match self { $(Code::$name => $title,)* }
            }
        }
    };
}

codes! {
    /// Text that is not valid syntax: `multiplier = 1.6x into step` with a stray `}`.
    Syntax = "E0001", Error, "syntax error";
    /// A literal that cannot be read: `$1,80`, a number too large for a decimal.
    BadLiteral = "E0002", Error, "invalid literal";
    /// Parentheses or braces nested more than 64 deep, or signals defined through 200 others.
    TooDeep = "E0003", Error, "nesting too deep";
    /// The file is not UTF-8 text.
    NotText = "E0004", Error, "not a text file";
    /// A control character other than tab and line ends: an escape sequence
    /// pasted into a name (`strategy "SPX\u{1b}[31m"`), which a terminal
    /// showing the file or a report would obey.
    ControlChar = "E0005", Error, "control character";
    /// A top-level line that is no item: `sizng { ... }`.
    UnknownSection = "E0101", Error, "unknown section";
    /// A section given twice: two `sizing` blocks, two hedges named `front`.
    DuplicateSection = "E0102", Error, "duplicate section";
    /// A required section is absent: no `sizing`.
    MissingSection = "E0103", Error, "missing section";
    /// A setting the section does not have: `multiplyer = 1.6x`.
    UnknownSetting = "E0104", Error, "unknown setting";
    /// A setting given twice where only one is allowed: two `base`.
    DuplicateSetting = "E0105", Error, "duplicate setting";
    /// A required setting is absent: `sizing` without `base`.
    MissingSetting = "E0106", Error, "missing setting";
    /// `language = 2` when this vixshield speaks language 1.
    UnsupportedLanguage = "E0107", Error, "unsupported language version";
    /// A value of the wrong shape: `reset = sometimes`.
    BadValue = "E0108", Error, "invalid value";
    /// A call to a function that does not exist: `rsii(vix, 14)`.
    UnknownFunction = "E0201", Error, "unknown signal function";
    /// A call with the wrong number of arguments: `rsi(vix)`.
    WrongArity = "E0202", Error, "wrong number of arguments";
    /// A name that is no series, signal or param: `vixx`.
    UnknownName = "E0203", Error, "unknown name";
    /// Two signals, params or hedges with one name, or a name that shadows a built-in.
    DuplicateName = "E0204", Error, "duplicate name";
    /// Signals defined in terms of each other: `signal a = b > 1`, `signal b = a`.
    Cycle = "E0205", Error, "cyclic definition";
    /// An event that is not in the calendar: `within 1d of NFP`.
    UnknownEvent = "E0206", Error, "unknown event";
    /// A plugin the file calls that cannot be loaded: its manifest is broken,
    /// its module lacks the ABI marker, imports something, has an export of
    /// the wrong type, or two plugins share its name.
    PluginUnavailable = "E0207", Error, "plugin cannot be loaded";
    /// A value with the wrong unit: `base = 1.6x` where money is expected.
    UnitMismatch = "E0301", Error, "unit mismatch";
    /// An operand of the wrong type: `rsi(vix, 14) and 3`, `vix + (vix > 2)`.
    TypeMismatch = "E0302", Error, "type mismatch";
    /// A multiplier of 1 or less: `multiplier = 0.8x into step 2`.
    MultiplierTooSmall = "E0401", Error, "multiplier not above 1";
    /// A roll coefficient outside 0..1: `coefficient = 1.2`.
    CoefficientRange = "E0402", Error, "coefficient out of range";
    /// A percentage above 100% or not above 0: `allocation = 150% of size`.
    PercentRange = "E0403", Error, "percentage out of range";
    /// A step limit below 1 (or above 12): `steps = 0`.
    StepLimitRange = "E0404", Error, "step limit out of range";
    /// A delta outside (0, 1): `short_delta = 0.15..1.2`.
    DeltaRange = "E0405", Error, "delta out of range";
    /// A range whose low end is above its high end: `clamp = 0.65..0.45`.
    ReversedRange = "E0406", Error, "range bounds reversed";
    /// A step outside the ladder: `max_loss = 65% of credit from step 6` with 4 steps, or a multiplier into step 1.
    StepOutOfRange = "E0407", Error, "step outside the ladder";
    /// A hedge layer activated after the last step: `active = from step 5` with 4 steps.
    LayerNeverActive = "E0408", Error, "hedge layer never active";
    /// Per-step settings with a gap or an overlap: no multiplier into step 3.
    StepCoverage = "E0409", Error, "steps not covered exactly once";
    /// A value that must be positive is not: `capital = $0`, `rsi(vix, 0)`.
    NotPositive = "E0410", Error, "value not positive";
    /// Two roll overrides that can both apply, with no order between them.
    AmbiguousOverride = "E0501", Error, "overlapping roll overrides";
    /// A cap the ladder can never respect: a base above the layer cap.
    ImpossibleCap = "E0502", Error, "impossible cap";
    /// The ladder reaches the layer cap: sizes are clamped from that step on.
    CapBinds = "W0101", Warning, "layer cap binds";
    /// A full losing cycle risks more than the total cap.
    TotalCapExceeded = "W0102", Warning, "cumulative risk above total cap";
    /// Multipliers with no cap and no hedge layer: the "promoter" profile.
    Promoter = "W0103", Warning, "uncapped, unhedged martingale";
    /// A signal or param that nothing uses.
    Unused = "W0104", Warning, "unused definition";
    /// The maximum loss loosens deeper in the ladder.
    LooseningStop = "W0105", Warning, "max loss loosens with depth";
    /// A roll coefficient the clamp always changes: `coefficient = 0.7`
    /// with `clamp = 0.45..0.65`.
    ClampedAway = "W0106", Warning, "roll coefficient outside its clamp";
    /// A market level compared with a percentage: `vix > 30%` is `vix > 0.3`,
    /// always true, where `vix > 30` was meant.
    LevelVsPercent = "W0107", Warning, "market level compared with a percentage";
    /// A constant where a series is expected: `sma(5, 10)`, or
    /// `theta_decay(vix, 5)` for a plugin of two series.
    ConstantSeries = "W0108", Warning, "constant where a series is expected";
    /// A measure compared with a plain number on another scale:
    /// `rsi(vix, 14) > 0.7` (an RSI runs 0 to 100), `vix > 0.3` (points),
    /// `ratio(vix, vix3m) < 90`, `realized_vol(spx, 20) > 25` (fractions).
    ScaleMismatch = "W0109", Warning, "number on another scale than the measure";
    /// Two guard conditions that never hold together (`vix < 15` and
    /// `vix > 40`): every entry is blocked.
    GuardsExclusive = "W0110", Warning, "guards that never hold together";
    /// An event blackout as long as the time between two events: it blocks
    /// half the days or more (`within 30d of CPI`).
    LongBlackout = "W0111", Warning, "blackout window as long as the time between events";
}

/// One finding, with where it is and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The kind of problem.
    pub code: Code,
    /// One line, lowercase, no final period.
    pub message: String,
    /// Where, in the file being checked.
    pub span: Span,
    /// A short note under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places worth showing (`first defined here`).
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// A diagnostic of kind `code` at `span`.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: shorten(message.into()),
            span,
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    /// With a label under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(shorten(label.into()));
        self
    }

    /// With help.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(shorten(help.into()));
        self
    }

    /// With a secondary location.
    pub fn related(mut self, span: Span, note: impl Into<String>) -> Diagnostic {
        self.related.push((span, shorten(note.into())));
        self
    }

    /// Its severity.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// `text` with each word of over 200 characters quoted in part
/// ([`crate::source::excerpt`]), its closing quote kept: a word that long
/// is the file's data, not prose (a 10 MB name in `unknown section `...``
/// made a 10 MB message, on the terminal, in JSON and in an annotation).
fn shorten(text: String) -> String {
    const MOST: usize = 200;
    if !text
        .split_whitespace()
        .any(|w| w.chars().nth(MOST).is_some())
    {
        return text;
    }
    let mut out = String::with_capacity(4 * MOST);
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let space = piece.get(word.len()..).unwrap_or("");
        if word.chars().nth(MOST).is_some() {
            let quotes = ['`', '\'', '"', '(', ')', ',', ':', ';', '.'];
            let body = word.trim_end_matches(quotes);
            let tail = word.get(body.len()..).unwrap_or("");
            let inner = body.trim_start_matches(quotes);
            out.push_str(body.get(..body.len() - inner.len()).unwrap_or(""));
            out.push_str(&crate::source::excerpt(inner));
            out.push_str(tail);
        } else {
            out.push_str(word);
        }
        out.push_str(space);
    }
    out
}

/// Sorts diagnostics into the order they are reported: by position, then code.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.span.start, a.span.end, a.code, &a.message).cmp(&(
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
}

/// "did you mean `x`?" for the candidate closest to `name`, if any is close.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate `name` is most likely a typo of, as [`did_you_mean`] names it.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(d, c)| d <= (name.len().max(c.len()) / 3).max(1) && d > 0)
        .min()
        .map(|(_, c)| c)
}

fn to_codespan(d: &Diagnostic, map: impl Fn(usize) -> usize) -> CsDiagnostic<()> {
    let range = |s: Span| map(s.start as usize)..map(s.end as usize);
    let severity = match d.severity() {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let mut primary = CsLabel::primary((), range(d.span));
    if let Some(l) = &d.label {
        primary = primary.with_message(terminal_safe(l));
    }
    let mut labels = vec![primary];
    labels.extend(
        d.related
            .iter()
            .map(|(s, m)| CsLabel::secondary((), range(*s)).with_message(terminal_safe(m))),
    );
    let mut out = CsDiagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(terminal_safe(&d.message))
        .with_labels(labels);
    if let Some(h) = &d.help {
        out = out.with_notes(vec![format!("help: {}", terminal_safe(h))]);
    }
    out
}

/// Where the text has control characters a terminal could act on (all but
/// tab, line feed and carriage return): their byte offsets and characters.
pub fn control_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    text.char_indices()
        .filter(|&(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Invisible characters that format text rather than show: zero-width
/// spaces, joiners and marks, bidirectional controls, a byte-order mark
/// inside the text. A terminal may reorder a line for one (its caret then
/// under something else) or draw a joined sequence narrower than counted.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
    )
}

/// A visible character of `c`'s length in bytes, one column wide.
fn stand_in(c: char) -> char {
    match c.len_utf8() {
        1 => '?',
        2 => '\u{bf}',
        3 => '\u{fffd}',
        _ => '\u{1d400}',
    }
}

/// `text` with every control character [`control_chars`] finds replaced by
/// a visible one of the same length in bytes and characters (`?` for the
/// one-byte ones, `¿` for U+0080..=U+009F), so spans and columns stay right
/// and a file cannot send escape sequences to the terminal showing it. So
/// are invisible formatting characters (`�` for a zero-width space or a
/// right-to-left override), and a zero-width character a label starts on
/// (a combining accent), which would have no caret.
fn terminal_safe_source<'t>(text: &'t str, label_starts: &[usize]) -> std::borrow::Cow<'t, str> {
    use unicode_width::UnicodeWidthChar;
    let zero_width_label = |at: usize| {
        text.get(at..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| !c.is_ascii() && c.width() == Some(0))
    };
    let mut label_starts: Vec<usize> = label_starts
        .iter()
        .copied()
        .filter(|&at| zero_width_label(at))
        .collect();
    label_starts.sort_unstable();
    if control_chars(text).next().is_none()
        && label_starts.is_empty()
        && !text.chars().any(is_invisible_format)
    {
        return text.into();
    }
    text.char_indices()
        .map(|(at, c)| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() || is_invisible_format(c) => stand_in(c),
            c if label_starts.binary_search(&at).is_ok() => stand_in(c),
            c => c,
        })
        .collect::<String>()
        .into()
}

/// `text` with control characters other than line feed and tab written as
/// escapes (`\u{1b}`): for messages and names, which no span points into.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let harmful = |c: char| (c.is_control() && !matches!(c, '\n' | '\t')) || is_invisible_format(c);
    if !text.chars().any(harmful) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if harmful(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A file's name as a message shows it: [`terminal_safe`], and a line end
/// escaped too (`\u{a}`), so that a name never starts a line of its own
/// (which a CI runner reading stderr could take for a command).
pub fn shown_name(name: &str) -> std::borrow::Cow<'_, str> {
    match terminal_safe(name) {
        std::borrow::Cow::Borrowed(s) if !s.contains('\n') => std::borrow::Cow::Borrowed(s),
        other => other.replace('\n', "\\u{a}").into(),
    }
}

/// Renders diagnostics the way rustc does: header, `--> path:line:col`, the
/// source line, a caret underline, help. With `color`, ANSI colours. Control
/// characters in the file, its name or the messages are shown harmlessly
/// (see [`terminal_safe`]); a line wider than 240 screen columns is shown as a
/// window around its labels, its column still the file's.
pub fn render_human(file: &SourceFile, diags: &[Diagnostic], color: bool) -> String {
    if diags.is_empty() {
        return String::new();
    }
    let label_starts: Vec<usize> = diags
        .iter()
        .flat_map(|d| std::iter::once(d.span).chain(d.related.iter().map(|(s, _)| *s)))
        .map(|s| s.start as usize)
        .collect();
    let text = terminal_safe_source(file.text(), &label_starts);
    let name = shown_name(file.name());
    let points: Vec<usize> = diags
        .iter()
        .flat_map(|d| std::iter::once(d.span).chain(d.related.iter().map(|(s, _)| *s)))
        .flat_map(|s| [s.start as usize, s.end as usize])
        .collect();
    let starts: Vec<usize> = diags.iter().map(|d| d.span.start as usize).collect();
    let shared = shown::Shown::new(&name, &text, &points, &starts);
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let mut out = String::new();
    // A primary label the shared window of its long line cut away (two
    // diagnostics far apart on one line) gets a window of its own, so the
    // header's column is its own and its caret is under it; the diagnostics
    // after it use that window while it shows their labels (thousands on one line
    // need one a window, not one each). Each costs a copy of the text: past
    // `OWN_WINDOWS_BYTES` of copies the rest keep the shared window.
    const OWN_WINDOWS_BYTES: usize = 1 << 28;
    let mut budget = OWN_WINDOWS_BYTES;
    let mut own: Option<shown::Shown<'_>> = None;
    for d in diags {
        let start = d.span.start as usize;
        let cut = !shared.shows(start);
        let spans = || std::iter::once(d.span).chain(d.related.iter().map(|(s, _)| *s));
        // The last own window serves when it shows every label's start: a
        // related label it cut away would have its mark under the `...`.
        let serves = |o: &shown::Shown<'_>| spans().all(|s| o.shows(s.start as usize));
        if cut && !own.as_ref().is_some_and(serves) && budget >= text.len() {
            budget -= text.len();
            let mine: Vec<usize> = spans()
                .flat_map(|s| [s.start as usize, s.end as usize])
                .collect();
            own = Some(shown::Shown::new(&name, &text, &mine, &[start]));
        }
        let files = match &own {
            Some(o) if cut && o.shows(start) => o,
            _ => &shared,
        };
        let cs = to_codespan(d, |at| files.map(at));
        if color {
            let styles = term::Styles::default();
            let mut buffer = term::termcolor::Buffer::ansi();
            let mut writer = term::StylesWriter::new(&mut buffer, &styles);
            let _ = term::emit_to_write_style(&mut writer, &config, files, &cs);
            out.push_str(&String::from_utf8_lossy(buffer.as_slice()));
        } else {
            let _ = term::emit_to_string(&mut out, &config, files, &cs);
        }
    }
    out
}

/// A diagnostic as data: the `--format json` shape.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JsonDiagnostic {
    /// The file, as given.
    pub file: String,
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column of the start, in characters.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column one past the end.
    pub end_column: usize,
    /// `error` or `warning`.
    pub severity: Severity,
    /// `E0401`.
    pub code: &'static str,
    /// The one-line message.
    pub message: String,
    /// Help, or null.
    pub help: Option<String>,
    /// The note under the caret (`second definition`), or null.
    pub label: Option<String>,
    /// Other places the human output shows with it, each with its note
    /// (`first defined here`); empty when none.
    pub related: Vec<JsonRelated>,
}

impl JsonDiagnostic {
    /// An error about a whole file, or a whole line of it (`line` 0: none):
    /// a file that cannot be read (`io`), one not formatted (`fmt`). A
    /// message given as said on stderr loses its `error: `.
    pub fn file_error(file: String, line: usize, code: &'static str, message: &str) -> Self {
        JsonDiagnostic {
            file,
            line,
            column: 0,
            end_line: line,
            end_column: 0,
            severity: Severity::Error,
            code,
            message: message
                .strip_prefix("error: ")
                .unwrap_or(message)
                .to_string(),
            help: None,
            label: None,
            related: Vec::new(),
        }
    }
}

/// Another place a diagnostic points at, in the same file.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct JsonRelated {
    /// 1-based line of the start.
    pub line: usize,
    /// 1-based column of the start, in characters.
    pub column: usize,
    /// 1-based line of the end.
    pub end_line: usize,
    /// 1-based column one past the end.
    pub end_column: usize,
    /// What is there: `first defined here`.
    pub message: String,
}

/// A diagnostic as a GitHub Actions workflow command:
/// `::error file=s.vxs,line=3,col=5,endColumn=7,title=E0108::message`, its
/// help on a line of its own in the message. Columns only for a span on one
/// line (GitHub takes none otherwise) and not 0 (the whole line);
/// `endColumn` is the last character's.
/// Values are escaped as `@actions/core` escapes them.
pub fn github_annotation(d: &JsonDiagnostic) -> String {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = vec![format!("file={}", property(&d.file))];
    if d.line > 0 {
        props.push(format!("line={}", d.line));
        // A span that ends just past a line end ends on that line.
        let ends_past = d.end_column == 1 && d.end_line > d.line;
        let end_line = if ends_past {
            d.end_line - 1
        } else {
            d.end_line
        };
        if end_line != d.line {
            props.push(format!("endLine={end_line}"));
        } else if d.column > 0 && !ends_past {
            props.push(format!("col={}", d.column));
            props.push(format!(
                "endColumn={}",
                d.end_column.saturating_sub(1).max(d.column)
            ));
        }
    }
    props.push(format!("title={}", property(d.code)));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!("::{kind} {}::{}", props.join(","), data(&message))
}

/// Diagnostics as data.
pub fn to_json(file: &SourceFile, diags: &[Diagnostic]) -> Vec<JsonDiagnostic> {
    // Every position at once, in one walk of the text.
    let spans = diags
        .iter()
        .flat_map(|d| std::iter::once(d.span).chain(d.related.iter().map(|(s, _)| *s)));
    let offsets: Vec<usize> = spans
        .flat_map(|s| [s.start as usize, s.end as usize])
        .collect();
    let mut positions = file.line_cols(&offsets).into_iter();
    let mut next = move || positions.next().unwrap_or(LineCol { line: 1, column: 1 });
    diags
        .iter()
        .map(|d| {
            let start = next();
            let end = next();
            JsonDiagnostic {
                file: file.name().to_string(),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                severity: d.severity(),
                code: d.code.as_str(),
                message: d.message.clone(),
                help: d.help.clone(),
                label: d.label.clone(),
                related: d
                    .related
                    .iter()
                    .map(|(_, message)| {
                        let start = next();
                        let end = next();
                        JsonRelated {
                            line: start.line,
                            column: start.column,
                            end_line: end.line,
                            end_column: end.column,
                            message: message.clone(),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::shorten;

    /// A word of the file's quoted in a message is cut at 200 characters,
    /// its quotes kept; prose and short words are left alone.
    #[test]
    fn long_words_are_quoted_in_part() {
        let long = "a".repeat(100_000);
        let m = shorten(format!("unknown section `{long}`, really"));
        assert_eq!(
            m,
            format!(
                "unknown section `{}… (100000 characters in all)`, really",
                "a".repeat(200)
            )
        );
        let short = "expected `)` or an operator, found `,`".to_string();
        assert_eq!(shorten(short.clone()), short);
        let multibyte = "é".repeat(300);
        assert!(shorten(multibyte).starts_with(&"é".repeat(200)));
    }
}
