//! `vixshield fmt [--check | --stdout] FILE...`

use super::{exit, io_reason};
use crate::diag;
use std::path::PathBuf;
use std::process::ExitCode;

/// Format strategy files in the canonical layout (in place).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Strategy files (`.vxs`), or folders: the `.vxs` files under each.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit 1 if any.
    #[arg(long)]
    check: bool,
    /// Change nothing: write the formatted text of the one FILE to stdout
    /// (for editors and pipes: `vixshield fmt --stdout /dev/stdin`).
    #[arg(long, conflicts_with = "check")]
    stdout: bool,
    /// With `--check`: `human` lists the files on stdout, `github` gives a
    /// GitHub Actions annotation for each file that is not formatted or has
    /// errors (on stdout; the reasons stay on stderr for the log).
    #[arg(long, value_enum, default_value_t = Format::Human, requires = "check")]
    format: Format,
}

/// How `fmt --check` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The files that are not formatted, one a line.
    Human,
    /// A GitHub Actions `::error` workflow command a file.
    Github,
}

pub fn run(args: Args, color: bool) -> ExitCode {
    let files = super::strategy_files(&args.files);
    if args.stdout && files.len() > 1 {
        say!(
            "error: `--stdout` formats one file; {} were given",
            files.len()
        );
        return exit::trouble();
    }
    let mut trouble = false;
    let mut findings = false;
    let github = args.format == Format::Github;
    // In `--format github`, diagnostics as annotations on stdout too.
    let annotate = |src: &crate::source::SourceFile, diags: &[diag::Diagnostic]| {
        if !github {
            return Ok(());
        }
        super::output::print(|w| {
            for entry in diag::to_json(src, diags) {
                writeln!(w, "{}", diag::github_annotation(&entry))?;
            }
            Ok(())
        })
    };
    // A file or folder that cannot be read, as `check --format github`
    // gives it: the file and the reason, no line.
    let unreadable = |path: &std::path::Path, msg: &str| {
        if !github {
            return Ok(());
        }
        let line = diag::github_annotation(&diag::JsonDiagnostic::file_error(
            path.display().to_string(),
            0,
            "io",
            msg,
        ));
        super::output::print(|w| writeln!(w, "{line}"))
    };
    for file in &files {
        let path = match file {
            Ok(path) => path,
            Err((path, msg)) => {
                say!("{msg}");
                if let Err(code) = unreadable(path, msg) {
                    return code;
                }
                trouble = true;
                continue;
            }
        };
        // Read once: a pipe (`/dev/stdin`) gives its text only once, and a
        // file may change between two reads.
        let raw = match crate::input::read(path, crate::input::STRATEGY) {
            Ok(raw) => raw,
            Err(e) => {
                let msg = format!("error: cannot read `{}`: {}", path.display(), io_reason(&e));
                say!("{msg}");
                if let Err(code) = unreadable(path, &msg) {
                    return code;
                }
                trouble = true;
                continue;
            }
        };
        let src = crate::source::SourceFile::from_bytes(path.display().to_string(), &raw);
        if src.invalid_utf8_at().is_some() {
            let checked = crate::check::check_source(&src, &crate::check::Env::default());
            eprint!("{}", diag::render_human(&src, &checked.diagnostics, color));
            if let Err(code) = annotate(&src, &checked.diagnostics) {
                return code;
            }
            findings = true;
            continue;
        }
        let parsed = crate::parse::parse(&src);
        if !parsed.diagnostics.is_empty() {
            eprint!("{}", diag::render_human(&src, &parsed.diagnostics, color));
            if let Err(code) = annotate(&src, &parsed.diagnostics) {
                return code;
            }
            say!("error: `{}` has syntax errors; not formatted", src.name());
            findings = true;
            continue;
        }
        let controls = crate::check::control_char_diagnostics(src.text());
        if !controls.is_empty() {
            eprint!("{}", diag::render_human(&src, &controls, color));
            if let Err(code) = annotate(&src, &controls) {
                return code;
            }
            say!(
                "error: `{}` has control characters; not formatted",
                src.name()
            );
            findings = true;
            continue;
        }
        let formatted = crate::fmt::format(&src, &parsed);
        if args.stdout {
            if let Err(code) = super::output::print(|w| w.write_all(formatted.as_bytes())) {
                return code;
            }
            continue;
        }
        if formatted.as_bytes() == raw.as_slice() {
            continue;
        }
        if args.check {
            let difference = first_difference(&String::from_utf8_lossy(&raw), &formatted);
            let message = difference.as_ref().map(|(line, why)| {
                format!(
                    "`{}` is not formatted (first difference at line {line}{})",
                    src.name(),
                    why.as_ref().map(|w| format!(": {w}")).unwrap_or_default()
                )
            });
            let listed = if github {
                let line = difference.as_ref().map_or(0, |(line, _)| *line);
                let said = message
                    .clone()
                    .unwrap_or_else(|| format!("`{}` is not formatted", src.name()));
                let mut entry =
                    diag::JsonDiagnostic::file_error(src.name().to_string(), line, "fmt", &said);
                // The command that fixes it, where `fmt` can rewrite the
                // file: not a pipe or a stream (`/dev/stdin`), which it
                // refuses (below).
                entry.help = (std::fs::metadata(path).is_ok_and(|m| m.is_file())
                    && !is_stream(path))
                .then(|| format!("run `vixshield fmt {}`", shell_word(src.name())));
                diag::github_annotation(&entry)
            } else {
                src.name().to_string()
            };
            if let Err(code) = super::output::print(|w| writeln!(w, "{listed}")) {
                return code;
            }
            if let Some(message) = message {
                say!("{message}");
            }
            findings = true;
        } else if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            // A pipe (`/dev/stdin` from `cat x.vxs |`) or a device has no
            // file to rewrite: writing there failed with "no such file".
            say!(
                "error: cannot format `{}` in place: it is not a regular file (a pipe?); `fmt --stdout` writes the formatted text to stdout",
                src.name()
            );
            trouble = true;
        } else if is_stream(path) {
            // `/dev/stdin < x.vxs` leads to a file, but the user named a
            // stream: rewriting `x.vxs` through it is not what was asked.
            say!(
                "error: cannot format `{}` in place: it names a stream or a device, not a file; `fmt --stdout` writes the formatted text to stdout",
                src.name()
            );
            trouble = true;
        } else if let Err(e) =
            // Through a link, keeping permissions and hard links; a crash
            // never leaves half a file (see `output::write_file`).
            super::output::write_file(path, |w| w.write_all(formatted.as_bytes()))
        {
            say!("error: cannot write `{}`: {}", src.name(), io_reason(&e));
            trouble = true;
        } else {
            say!("formatted {}", src.name());
        }
    }
    if trouble {
        exit::trouble()
    } else if findings {
        exit::findings()
    } else {
        exit::ok()
    }
}

/// Whether `path` names a stream of this process (`/dev/stdin`, `/dev/fd/0`,
/// `/proc/self/fd/0`) that leads to a file elsewhere: a path under `/dev`
/// or `/proc` whose file is not there. A file that is there (`/dev/shm`'s)
/// is a file like any other.
fn is_stream(path: &std::path::Path) -> bool {
    let special = |p: &std::path::Path| p.starts_with("/dev") || p.starts_with("/proc");
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    special(&absolute) && std::fs::canonicalize(path).is_ok_and(|real| !special(&real))
}

/// The first line (1-based) where `a` and `b` differ, line ends included
/// (a `\r\n`, a missing last `\n`); `None` when they are equal. With it,
/// what differs when nothing on the screen would show it: a `\r\n` or a
/// lone `\r` line end, a byte-order mark (a file of only one too), a last line without its line end, spaces or tabs
/// at the end of a line, blank lines at the end of the file.
fn first_difference(a: &str, b: &str) -> Option<(usize, Option<&'static str>)> {
    let (mut la, mut lb) = (a.split_inclusive('\n'), b.split_inclusive('\n'));
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (Some(x), Some(y)) if x != y => {
                let x = if n == 1 {
                    x.trim_start_matches('\u{feff}')
                } else {
                    x
                };
                let why = if x == y {
                    Some("a byte-order mark, which the canonical layout drops")
                } else if x.trim_end_matches(['\r', '\n']) == y.trim_end_matches('\n')
                    && x.contains('\r')
                {
                    Some("the line ends with `\\r\\n`; the canonical layout ends lines with `\\n`")
                } else if x
                    .strip_prefix(y.trim_end_matches('\n'))
                    .is_some_and(|rest| rest.starts_with('\r') && !rest.starts_with("\r\n"))
                {
                    Some(
                        "the line ends with a lone `\\r`; the canonical layout ends lines with `\\n`",
                    )
                } else if !x.ends_with('\n') && x == y.trim_end_matches('\n') {
                    Some(
                        "the file's last line has no line end; the canonical layout ends it with `\\n`",
                    )
                } else if x
                    .trim_end_matches(['\r', '\n'])
                    .trim_end_matches([' ', '\t'])
                    == y.trim_end_matches('\n')
                {
                    Some("spaces or tabs at the end of the line, which the canonical layout drops")
                } else {
                    None
                };
                return Some((n, why));
            }
            // A file of only a byte-order mark, blank lines after it or not.
            (Some(x), None)
                if n == 1
                    && x.starts_with('\u{feff}')
                    && x.trim_start_matches('\u{feff}').trim().is_empty() =>
            {
                return Some((
                    n,
                    Some("a byte-order mark, which the canonical layout drops"),
                ));
            }
            (Some(x), None) if x.trim().is_empty() => {
                return Some((
                    n,
                    Some("blank lines at the end of the file, which the canonical layout drops"),
                ));
            }
            (x, y) if x != y => return Some((n, None)),
            _ => n += 1,
        }
    }
}

/// `word` as one word of a POSIX shell command: as it is when it holds only
/// characters no shell treats specially, else in single quotes (`'my
/// strat.vxs'`, a quote inside as `'\''`).
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./-+,:@%=".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
