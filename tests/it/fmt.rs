//! The formatter: idempotent, keeps comments, and its output parses to the
//! same tree, over every strategy and every check case that parses.

use std::path::Path;
use vixshield::parse;
use vixshield::source::SourceFile;

fn files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = Vec::new();
    for dir in [
        "strategies",
        "tests/cases/check",
        "tests/cases/fmt",
        "tests/fixtures/strategies",
    ] {
        for e in std::fs::read_dir(root.join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            if e.path().extension().is_some_and(|x| x == "vxs") {
                v.push(e.path());
            }
        }
    }
    v.sort();
    v
}

/// Formats `text`, asserting the properties; returns the formatted text.
fn round_trip(name: &str, text: &str) -> Option<String> {
    let src = SourceFile::new(name, text);
    let parsed = parse::parse(&src);
    if !parsed.diagnostics.is_empty() {
        return None;
    }
    let once = vixshield::fmt::format(&src, &parsed);
    let src2 = SourceFile::new(name, once.clone());
    let parsed2 = parse::parse(&src2);
    assert!(
        parsed2.diagnostics.is_empty(),
        "{name}: formatted output does not parse:\n{once}"
    );
    assert_eq!(
        parsed.file, parsed2.file,
        "{name}: formatting changed the tree"
    );
    assert_eq!(
        parsed.comments.len(),
        parsed2.comments.len(),
        "{name}: formatting lost a comment"
    );
    let texts = |s: &SourceFile, p: &parse::Parsed| -> Vec<String> {
        p.comments
            .iter()
            .map(|c| s.slice(c.span).trim_end().to_string())
            .collect()
    };
    assert_eq!(
        texts(&src, &parsed),
        texts(&src2, &parsed2),
        "{name}: comments changed"
    );
    assert_eq!(
        anchors(&src, &parsed),
        anchors(&src2, &parsed2),
        "{name}: a comment moved past a word:\n{once}"
    );
    let twice = vixshield::fmt::format(&src2, &parsed2);
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    Some(once)
}

/// Where each comment sits among the file's words: how many names and
/// keywords (strings, numbers and the operators `and` / `or`, which the
/// formatter may put on either side of a line break, not counted) come
/// before it. A comment that moves to another item, another setting or
/// another operand changes its count.
fn anchors(src: &SourceFile, parsed: &parse::Parsed) -> Vec<usize> {
    let text = src.text();
    let mut out = Vec::new();
    let mut words = 0;
    let mut at = 0;
    for c in &parsed.comments {
        let code = &text[at..c.span.start as usize];
        let mut in_str = false;
        let mut word = String::new();
        for ch in code.chars().chain([' ']) {
            if ch == '"' {
                in_str = !in_str;
            }
            if !in_str && (ch.is_ascii_alphanumeric() || ch == '_') {
                word.push(ch);
                continue;
            }
            if word.starts_with(|f: char| f.is_ascii_alphabetic() || f == '_')
                && word != "and"
                && word != "or"
            {
                words += 1;
            }
            word.clear();
        }
        out.push(words);
        at = c.span.end as usize;
    }
    out
}

/// Each `(text, want)`: `text` formats as `want` (through [`round_trip`]).
fn formats_as(name: &str, cases: &[(&str, &str)]) {
    for (text, want) in cases {
        let out = round_trip(name, text).expect("parses");
        assert_eq!(out, *want, "from:\n{text}");
    }
}

#[test]
fn idempotent_and_tree_preserving_over_all_files() {
    let mut formatted = 0;
    for path in files() {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
        if round_trip(&path.display().to_string(), &text).is_some() {
            formatted += 1;
        }
    }
    assert!(formatted >= 30, "only {formatted} files parsed");
}

/// The plugin environment the check cases use: the project's plugins and
/// the fixture plugins.
fn env() -> &'static vixshield::check::Env {
    static ENV: std::sync::OnceLock<vixshield::check::Env> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = vec![root.join("plugins"), root.join("tests/fixtures/plugins")];
        vixshield::plugin::PluginSetup::new(vixshield::plugin::PluginRegistry::from_dirs(dirs))
            .env()
    })
}

/// The checked strategy of `text`, if it checks without errors, with its
/// plugin calls' places left out (the layout moves them).
fn strategy(text: &str) -> Option<vixshield::model::Strategy> {
    let src = SourceFile::new("meaning.vxs", text);
    let mut s = vixshield::check::check_source(&src, env()).strategy?;
    for (span, at) in &mut s.plugin_calls {
        *span = vixshield::source::Span::new(0, 0);
        at.clear();
    }
    Some(s)
}

/// Signals that test the printer's operators, `within` lists, literals and
/// comments, added to the canonical strategy.
const TRICKY: &str = "
signal t1 = vix - (vix3m - 1) - -vix
signal t2 = -(-vix) * 2 / (1 + vix) > - - 1
signal t3 = not not (vix > 1) and not vix < 2 or vix == 3 and vix != 4
signal t4 = (vix > 1 or vix < 2) and (vix3m >= 3 or vix <= 4)
signal t5 = vix crosses\tabove ema(vix, 10) or vix crosses below vix3m * 1.050
signal t6 = within 1d of FOMC, CPI or not within 2d of PPI
signal t7 = ema(vix, 10) > 1 and // why
    // more
    rsi(vix, 14) < 70 or ( // inside
    vix > 2
    ) // after
signal t8 = vix > 20 and rsi(vix, 14) > 70 and ema(vix, 10) < vix3m and ratio(vix, vix3m) < 0.9 or vix > 40
signal t9 = vix > 1.50 and vix < 1000000.50 // ünïcödé ✓
param   big=$1000000.50
";

/// Formatting keeps the meaning: every file that checks without errors
/// checks, formatted, to the same strategy (and so compiles to the same
/// graph); so does the canonical strategy with tricky signals added.
#[test]
fn formatting_keeps_the_checked_strategy() {
    let mut texts: Vec<(String, String)> = files()
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            (p.display().to_string(), text)
        })
        .collect();
    let canonical = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("strategies/spx-mastery.vxs"),
    )
    .expect("the canonical strategy");
    texts.push(("tricky".into(), format!("{canonical}{TRICKY}")));
    let mut checked = 0;
    for (name, text) in texts {
        let Some(before) = strategy(&text) else {
            assert_ne!(name, "tricky", "the tricky signals check");
            continue;
        };
        let out = round_trip(&name, &text).expect("a file that checks parses");
        assert_eq!(strategy(&out).as_ref(), Some(&before), "{name}:\n{out}");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} files checked");
}

#[test]
fn messy_layout_becomes_canonical() {
    let messy = "// header comment\n\n\nstrategy   \"x\"{version=1.0.0\n  language =   1   // pinned\n}\naccount {\n\n\n  capital=$100000\n\n  // cash defaults to capital\n  cash = $5,000.50 }\nsignal a=vix>20 and(rsi(vix,14)>70)\nsignal b = not a\nparam m = 1.6x\n\n\n\n// trailing\n";
    let out = round_trip("messy.vxs", messy).expect("parses");
    insta::assert_snapshot!(out);
}

#[test]
fn long_triggers_break_before_or() {
    let text = "hedge h {\n    trigger = macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9) or rsi(vix, 14) > 70 or vix > 40\n}\n";
    let out = round_trip("long.vxs", text).expect("parses");
    assert_eq!(
        out,
        "hedge h {\n    trigger = macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9)\n        or rsi(vix, 14) > 70\n        or vix > 40\n}\n"
    );
}

#[test]
fn crlf_bom_and_tabs_are_normalized() {
    let text = "\u{feff}account {\r\n\tcapital = $1,000\r\n}\r\n";
    let out = round_trip("crlf.vxs", text).expect("parses");
    assert_eq!(out, "account {\n    capital = $1,000\n}\n");
}

/// A `within` before a comma and an argument that starts with anything but
/// a word (`5`, `-1`, `(`) needs no parentheses: the list cannot read it as
/// an event, and the formatted tree is the source's (a fuzz case:
/// `theta_decay(vix, within 1d of vix3m, 5)` gained parentheses).
#[test]
fn a_within_before_a_number_keeps_its_tree() {
    for text in [
        "signal s = theta_decay(vix, within 1d of vix3m, 5)\n",
        "signal s = f(within 1d of FOMC, -1, (vix))\n",
    ] {
        let src = SourceFile::new("within.vxs", text);
        let parsed = parse::parse(&src);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(vixshield::fmt::format(&src, &parsed), text);
    }
}

/// A `within` list ends at a line break; on one line the comma after it
/// would read the next argument as one more event. So where a comma follows
/// a `within`, the formatter writes it in parentheses (the only place it
/// adds any): the formatted text keeps the meaning, and formats to itself.
#[test]
fn a_within_before_a_comma_gets_parentheses() {
    let text = "signal s = ema(within 1d of FOMC, CPI, // events\n    vix) > 0 and f(a, vix > 1 and within 2d of PPI,\n    b)\n";
    let src = SourceFile::new("within.vxs", text);
    let parsed = parse::parse(&src);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let once = vixshield::fmt::format(&src, &parsed);
    assert_eq!(
        once,
        "signal s = ema((within 1d of FOMC, CPI), // events\n    vix) > 0\n    and f(a, vix > 1 and (within 2d of PPI), b)\n"
    );
    let src2 = SourceFile::new("within.vxs", once.clone());
    let parsed2 = parse::parse(&src2);
    assert!(parsed2.diagnostics.is_empty(), "{:?}", parsed2.diagnostics);
    assert_eq!(vixshield::fmt::format(&src2, &parsed2), once);
    // The same calls: two arguments to `ema`, three to `f`, and the lists
    // hold only their events.
    let calls = |text: &str| -> Vec<usize> {
        let mut n = Vec::new();
        let mut depth = Vec::new();
        for c in text.chars() {
            match c {
                '(' => depth.push(1),
                ',' => {
                    if let Some(d) = depth.last_mut() {
                        *d += 1;
                    }
                }
                ')' => n.extend(depth.pop()),
                _ => {}
            }
        }
        n
    };
    assert_eq!(calls(&once), vec![2, 2, 1, 3]);
}

/// A comment inside an expression that spans lines stays where it is: the
/// line still ends at it and the expression goes on on the next line (`and`
/// / `or` starting it, any other operator ending the line before; a `)`
/// after a comment at the statement's indent). Joined onto one line, the
/// comments were all put after the statement, where they read as one.
#[test]
fn comments_inside_an_expression_stay_where_they_are() {
    let cases = [
        (
            "signal s = vix > 1 and // one\n    vix < 2 and // two\n    vix3m > 3 // three\n",
            "signal s = vix > 1 // one\n    and vix < 2 // two\n    and vix3m > 3 // three\n",
        ),
        (
            "signal t = rsi(\n    vix, // the series\n    14 // the period\n) > 70\n",
            "signal t = rsi(vix, // the series\n    14 // the period\n) > 70\n",
        ),
        (
            "signal u = (\n    // inside\n    vix > 1)\n",
            "signal u = (\n    // inside\n    vix > 1)\n",
        ),
        (
            "hedge h {\n    trigger = vix > 1\n        // between\n        or vix < 2\n        and vix3m > 0 // end\n}\n",
            "hedge h {\n    trigger = vix > 1\n        // between\n        or vix < 2 and vix3m > 0 // end\n}\n",
        ),
        (
            "roll {\n    coefficient = 0.45 when vix > 1 and // c\n        vix < 2 priority 2\n}\n",
            "roll {\n    coefficient = 0.45 when vix > 1 // c\n        and vix < 2 priority 2\n}\n",
        ),
        (
            "entry {\n    short_delta = 0.1 + // c\n     0.05..0.20\n}\n",
            "entry {\n    short_delta = 0.1 + // c\n        0.05..0.20\n}\n",
        ),
        (
            "guards {\n    vix > 1 // one\n    or vix < 2 under 3 sigma // two\n}\n",
            "guards {\n    vix > 1 // one\n        or vix < 2 under 3 sigma // two\n}\n",
        ),
        (
            "signal w = f(a // c\n    , b) + g(\n    ) // d\n",
            "signal w = f(a, // c\n    b) + g() // d\n",
        ),
        // Broken for length and for a comment: the comment ends its line.
        (
            "hedge h {\n    trigger = macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9) or // momentum\n        rsi(vix, 14) > 70 or vix > 40\n}\n",
            "hedge h {\n    trigger = macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9) // momentum\n        or rsi(vix, 14) > 70\n        or vix > 40\n}\n",
        ),
    ];
    formats_as("inside.vxs", &cases);
}

/// A block written on one line: a comment after its setting stays with the
/// setting, a comment after its `}` stays after the `}` (both went to the
/// header line, `account { // ...`, as if they were about the section).
#[test]
fn comments_on_a_one_line_block_stay_with_their_statement() {
    let cases = [
        (
            "account { capital = $1 // in dollars\n}\n",
            "account {\n    capital = $1 // in dollars\n}\n",
        ),
        (
            "account { capital = $1 } // after\nentry { dte = 45d }\n",
            "account {\n    capital = $1\n} // after\n\nentry {\n    dte = 45d\n}\n",
        ),
        (
            "guards { vix < 40 // the guard\n}\n",
            "guards {\n    vix < 40 // the guard\n}\n",
        ),
        (
            "guards { vix < 40 } // after\n",
            "guards {\n    vix < 40\n} // after\n",
        ),
        ("account { } // after\n", "account {\n} // after\n"),
        (
            "account { // the header\n    capital = $1\n}\n",
            "account { // the header\n    capital = $1\n}\n",
        ),
    ];
    formats_as("one-line.vxs", &cases);
}

/// A comment set apart from what follows it by a blank line (a heading)
/// keeps the blank line, for items, settings and guards; one written right
/// above its statement stays right above it. Several blank lines become one.
#[test]
fn a_comment_set_apart_by_a_blank_line_stays_apart() {
    let cases = [
        (
            "account {\n    capital = $1\n}\n\n// Hedging\n\nentry {\n    dte = 45d\n}\n",
            "account {\n    capital = $1\n}\n\n// Hedging\n\nentry {\n    dte = 45d\n}\n",
        ),
        (
            "account {\n    capital = $1\n}\n// about entry\nentry {\n    dte = 45d\n}\n",
            "account {\n    capital = $1\n}\n\n// about entry\nentry {\n    dte = 45d\n}\n",
        ),
        (
            "entry {\n    dte = 45d\n\n    // the wings\n\n\n    wing_width = 25pt\n}\n",
            "entry {\n    dte = 45d\n\n    // the wings\n\n    wing_width = 25pt\n}\n",
        ),
        (
            "guards {\n    // the calendar\n\n    no entry within 1d of FOMC\n}\n",
            "guards {\n    // the calendar\n\n    no entry within 1d of FOMC\n}\n",
        ),
        (
            "// the file\n\nsignal a = 1\n",
            "// the file\n\nsignal a = 1\n",
        ),
        // Before a `}` the blank line goes: nothing follows the comment there.
        (
            "entry {\n    dte = 45d\n    // the end\n\n}\n",
            "entry {\n    dte = 45d\n    // the end\n}\n",
        ),
    ];
    formats_as("apart.vxs", &cases);
}

/// A lone `\r` ends a line as `\n` does. The formatter counted lines by
/// `\n` only: a comment ran on to the end of the file's `\n` line, code
/// after it was written twice (`signal b` defined twice), and a `}` was
/// put inside a comment (the output did not parse).
#[test]
fn lone_carriage_returns_end_lines() {
    let cases = [
        (
            "signal a = 1\r// about b\rsignal b = 2\r",
            "signal a = 1\n// about b\nsignal b = 2\n",
        ),
        (
            "account {\r    capital = $1 // c\r}\r",
            "account {\n    capital = $1 // c\n}\n",
        ),
        (
            "account {\r\r    capital = $1\r\r    // own\r    cash = $2\r}\r\n// end\r",
            "account {\n    capital = $1\n\n    // own\n    cash = $2\n}\n// end\n",
        ),
    ];
    for (text, want) in cases {
        // The comments parse finds count `\n` lines too, so `round_trip`'s
        // comparison of comments does not apply: the wanted text says where
        // they go.
        let src = SourceFile::new("cr.vxs", text);
        let parsed = parse::parse(&src);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let out = vixshield::fmt::format(&src, &parsed);
        assert_eq!(out, want, "from:\n{text:?}");
        assert_eq!(round_trip("cr.vxs", &out).as_deref(), Some(want));
        let formatted = parse::parse(&SourceFile::new("cr.vxs", out));
        assert_eq!(parsed.file, formatted.file, "from:\n{text:?}");
    }
}

/// `fmt --check` on a pipe: the text is read once. It was read a second
/// time to compare with the formatted text, and a pipe gives nothing the
/// second time, so a formatted strategy was called unformatted (exit 1).
#[cfg(unix)]
#[test]
fn fmt_check_reads_a_pipe_once() {
    use std::io::Write as _;
    use std::process::Stdio;
    let formatted = std::fs::read(crate::common::root().join("strategies/spx-mastery.vxs"))
        .expect("the strategy");
    let unformatted = b"account {\n  capital=$1\n}\n".to_vec();
    for (text, code, listed) in [(formatted, 0, ""), (unformatted, 1, "/dev/stdin\n")] {
        let mut child =
            crate::common::command_in(crate::common::root(), &["fmt", "--check", "/dev/stdin"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&text)
            .expect("written");
        let out = child.wait_with_output().expect("it ends");
        let err = crate::common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{err}");
        assert_eq!(crate::common::text(&out.stdout), listed, "{err}");
    }
}

/// `fmt` (rewriting) on a pipe has no file to rewrite: it says so and
/// points to `--stdout` (exit 2); it said "cannot write `/dev/stdin`: no
/// such file". A formatted text on a pipe needs no writing (exit 0).
#[cfg(unix)]
#[test]
fn fmt_on_a_pipe_says_it_cannot_rewrite_it() {
    use std::io::Write as _;
    use std::process::Stdio;
    let formatted = std::fs::read(crate::common::root().join("strategies/spx-mastery.vxs"))
        .expect("the strategy");
    let unformatted = b"account {\n  capital=$1\n}\n".to_vec();
    for (text, code) in [(formatted, 0), (unformatted, 2)] {
        let mut child = crate::common::command_in(crate::common::root(), &["fmt", "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&text)
            .expect("written");
        let out = child.wait_with_output().expect("it ends");
        let err = crate::common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{err}");
        if code == 2 {
            assert_eq!(
                err,
                "error: cannot format `/dev/stdin` in place: it is not a regular file (a pipe?); `fmt --stdout` writes the formatted text to stdout\n"
            );
        }
    }
}

/// `fmt /dev/stdin < x.vxs` names a stream: it says it cannot rewrite it
/// (exit 2) and leaves `x.vxs` as it was; it rewrote `x.vxs` in place,
/// `/dev/stdin` leading to it.
#[cfg(unix)]
#[test]
fn fmt_of_stdin_redirected_from_a_file_leaves_the_file_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.vxs");
    let unformatted = "account{capital=$1}\n";
    std::fs::write(&path, unformatted).expect("written");
    for name in ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"] {
        let out = crate::common::command_in(crate::common::root(), &["fmt", name])
            .stdin(std::fs::File::open(&path).expect("opened"))
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert_eq!(
            crate::common::text(&out.stderr),
            format!(
                "error: cannot format `{name}` in place: it names a stream or a device, not a file; `fmt --stdout` writes the formatted text to stdout\n"
            )
        );
        assert!(out.stdout.is_empty());
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            unformatted,
            "{name}"
        );
    }
    // A file that lives under /dev (a tmpfs such as /dev/shm) is a file:
    // it is formatted in place.
    if std::path::Path::new("/dev/shm").is_dir() {
        let shm = tempfile::Builder::new()
            .suffix(".vxs")
            .tempfile_in("/dev/shm")
            .expect("a file in /dev/shm");
        std::fs::write(shm.path(), unformatted).expect("written");
        let name = shm.path().to_str().expect("utf-8");
        let out = crate::common::vixshield(&["fmt", name]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            crate::common::text(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(shm.path()).expect("read"),
            "account {\n    capital = $1\n}\n"
        );
    }
}

/// `fmt --stdout` writes the formatted text to stdout and leaves the file
/// as it was (a pipe works too); it takes one file, not with `--check`, and
/// a file with syntax errors gives its diagnostics and no output.
#[test]
fn fmt_stdout_prints_the_formatted_text_and_changes_nothing() {
    use std::io::Write as _;
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.vxs");
    let unformatted = "account{capital=$1}\n";
    std::fs::write(&path, unformatted).expect("written");
    let file = path.to_str().expect("UTF-8 path");
    let out = crate::common::vixshield(&["fmt", "--stdout", file]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        crate::common::text(&out.stdout),
        "account {\n    capital = $1\n}\n"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), unformatted);
    // The canonical file prints as itself, through a pipe.
    let canonical = std::fs::read(crate::common::root().join("strategies/spx-mastery.vxs"))
        .expect("the strategy");
    let mut child =
        crate::common::command_in(crate::common::root(), &["fmt", "--stdout", "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&canonical)
        .expect("written");
    let out = child.wait_with_output().expect("it ends");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, canonical);
    for args in [
        vec!["fmt", "--stdout", file, file],
        vec!["fmt", "--stdout", "--check", file],
    ] {
        let out = crate::common::vixshield(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    std::fs::write(&path, "account{capital=$1\n").expect("written");
    let out = crate::common::vixshield(&["fmt", "--stdout", file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(crate::common::text(&out.stderr).contains(&format!("{file}:1:8")));
}

/// `fmt --check` names the first line that differs, line ends included: a
/// file with `\r\n` line ends differs at line 1 (it was said to differ
/// after its last line), one without its last line end at its last line.
#[test]
fn fmt_check_names_the_first_line_that_differs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("crlf.vxs", "account {\r\n    capital = $1\r\n}\r\n", 1),
        ("no-eol.vxs", "account {\n    capital = $1\n}", 3),
        ("blank-at-end.vxs", "account {\n    capital = $1\n}\n\n", 4),
        ("second.vxs", "account {\n  capital = $1\n}\n", 2),
    ];
    for (name, text, line) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let out = crate::common::vixshield(&["fmt", "--check", &path.to_string_lossy()]);
        let err = crate::common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains(&format!(
                "is not formatted (first difference at line {line})"
            )) || err.contains(&format!(
                "is not formatted (first difference at line {line}: "
            )),
            "{name}: {err}"
        );
    }
}

/// A difference nothing on the screen shows is named: `\r\n` line ends
/// (a file from Windows), a byte-order mark, a missing last line end,
/// spaces or tabs at the end of a line, blank lines at the end.
#[test]
fn fmt_check_says_when_only_the_line_ends_or_a_bom_differ() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "crlf.vxs",
            "account {\r\n    capital = $1\r\n}\r\n",
            "(first difference at line 1: the line ends with `\\r\\n`; the canonical layout ends lines with `\\n`)",
        ),
        (
            "crlf-later.vxs",
            "account {\n    capital = $1\r\n}\n",
            "(first difference at line 2: the line ends with `\\r\\n`",
        ),
        (
            "bom.vxs",
            "\u{feff}account {\n    capital = $1\n}\n",
            "(first difference at line 1: a byte-order mark, which the canonical layout drops)",
        ),
        (
            "crlf-and-layout.vxs",
            "account {\r\n  capital = $1\r\n}\r\n",
            "(first difference at line 1: the line ends",
        ),
        (
            "layout.vxs",
            "account {\n  capital = $1\n}\n",
            "(first difference at line 2)",
        ),
        // These three were named by line only, with nothing to see there.
        (
            "no-eol.vxs",
            "account {\n    capital = $1\n}",
            "(first difference at line 3: the file's last line has no line end; the canonical layout ends it with `\\n`)",
        ),
        (
            "trailing-space.vxs",
            "account {\n    capital = $1 \t\n}\n",
            "(first difference at line 2: spaces or tabs at the end of the line, which the canonical layout drops)",
        ),
        (
            "blank-at-end.vxs",
            "account {\n    capital = $1\n}\n\n\n",
            "(first difference at line 4: blank lines at the end of the file, which the canonical layout drops)",
        ),
        // And these two by line only: old-Mac line ends, a file of only a BOM.
        (
            "lone-cr.vxs",
            "account {\r    capital = $1\r}\r",
            "(first difference at line 1: the line ends with a lone `\\r`; the canonical layout ends lines with `\\n`)",
        ),
        (
            "lone-cr-later.vxs",
            "account {\n    capital = $1\r}\n",
            "(first difference at line 2: the line ends with a lone `\\r`",
        ),
        (
            "only-a-bom.vxs",
            "\u{feff}",
            "(first difference at line 1: a byte-order mark, which the canonical layout drops)",
        ),
        // A byte-order mark and a line end (Notepad's empty file) said
        // only "first difference at line 1".
        (
            "a-bom-and-a-line-end.vxs",
            "\u{feff}\r\n",
            "(first difference at line 1: a byte-order mark, which the canonical layout drops)",
        ),
    ];
    for (name, text, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let out = crate::common::vixshield(&["fmt", "--check", &path.to_string_lossy()]);
        let err = crate::common::text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(says), "{name}: {err}");
    }
}

/// A setting of several terms longer than the width breaks too, in its last
/// term (a roll override's condition); the terms before it stay on the
/// first line. It stayed one line of any length.
#[test]
fn a_long_setting_of_several_terms_breaks_in_its_last_term() {
    let text = "roll {\n    coefficient = 0.55\n    coefficient = 0.45 when vix > 20 and rsi(vix, 14) > 70 and ema(vix, 10) < vix3m or vix > 40\n    coefficient = 0.65 when vix > 20 and rsi(vix, 14) > 70 and ema(vix, 10) < vix3m and vix3m > 1\n}\n";
    let out = round_trip("roll.vxs", text).expect("parses");
    assert_eq!(
        out,
        "roll {\n    coefficient = 0.55\n    coefficient = 0.45 when vix > 20 and rsi(vix, 14) > 70 and ema(vix, 10) < vix3m\n        or vix > 40\n    coefficient = 0.65 when vix > 20\n        and rsi(vix, 14) > 70\n        and ema(vix, 10) < vix3m\n        and vix3m > 1\n}\n"
    );
}

/// A comment ends at its line's end, a lone `\r` (an old Mac's) as much as
/// `\n`: its span ran on over the code after it to the next `\n`
/// (`// own\r    cash = $2\r}`), found by fuzzing the formatter.
#[test]
fn a_comment_ends_at_a_lone_carriage_return() {
    let src = vixshield::source::SourceFile::new(
        "cr.vxs",
        "account {\r\r    capital = $1\r\r    // own\r    cash = $2\r}\r\n// end\r",
    );
    let parsed = vixshield::parse::parse(&src);
    let comments: Vec<&str> = parsed.comments.iter().map(|c| src.slice(c.span)).collect();
    assert_eq!(comments, ["// own", "// end"]);
    assert!(parsed.comments.iter().all(|c| c.own_line));
}
