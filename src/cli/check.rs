//! `vixshield check FILE...`

use super::{exit, read_source};
use crate::check::{self, exposure};
use crate::diag::{self, Severity};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Validate strategy files like a compiler: every problem of every file at once.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Strategy files (`.vxs`), or folders: the `.vxs` files under each.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// `human` diagnostics on stderr, a JSON list on stdout, or `github`:
    /// GitHub Actions annotations on stdout, the human diagnostics on stderr.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Print the exposure analysis (the ladder of a full losing cycle) of each file that checks.
    #[arg(long)]
    explain: bool,
    #[command(flatten)]
    plugins: super::common::PluginArgs,
}

/// How `check` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: diagnostics with carets on stderr.
    Human,
    /// For programs: a JSON list on stdout.
    Json,
    /// For GitHub Actions: one `::error`/`::warning` workflow command a
    /// diagnostic on stdout, which the runner shows on the file's lines in a
    /// pull request, and the human diagnostics on stderr for the log.
    Github,
}

pub fn run(args: Args, color: bool) -> ExitCode {
    let env = match super::common::try_env(&args.plugins) {
        Ok((env, _)) => env,
        Err(e) => {
            say!("error: {e}");
            // JSON is the whole answer, a failing one too: the plugin setup
            // that stopped the run is its one entry, as an unreadable file is.
            if args.format == Format::Github {
                let line = diag::github_annotation(&setup_error(&e));
                if let Err(code) = super::output::print(|w| writeln!(w, "{line}")) {
                    return code;
                }
            }
            if args.format == Format::Json {
                let entry = setup_error(&e);
                let value = if args.explain {
                    serde_json::json!({ "diagnostics": [entry], "exposure": [] })
                } else {
                    serde_json::json!([entry])
                };
                if let Err(code) = super::output::print(|w| {
                    writeln!(
                        w,
                        "{}",
                        serde_json::to_string_pretty(&value).unwrap_or_default()
                    )
                }) {
                    return code;
                }
            }
            return super::common::env_exit(&e);
        }
    };
    let mut trouble = false;
    let (mut errors, mut warnings, mut unreadable) = (0usize, 0usize, 0usize);
    // The first write error on stdout: reported once, at the end.
    let mut write_error: Option<std::io::Error> = None;
    let mut json = Vec::new();
    let mut explained = Vec::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let files = super::strategy_files(&args.files);
    for (i, file) in files.iter().enumerate() {
        let read = match file {
            Ok(path) => read_source(path).map_err(|msg| (path, msg)),
            Err((path, msg)) => Err((path, msg.clone())),
        };
        let src = match read {
            Ok(src) => src,
            Err((path, msg)) => {
                say!("{msg}");
                trouble = true;
                unreadable += 1;
                if args.format != Format::Human {
                    // The file is in the data too: one entry, its reason in the message.
                    json.push(diag::JsonDiagnostic::file_error(
                        path.display().to_string(),
                        0,
                        "io",
                        &msg,
                    ));
                }
                continue;
            }
        };
        let checked = check::check_source(&src, &env);
        errors += checked
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .count();
        warnings += checked
            .diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Warning)
            .count();
        match args.format {
            Format::Human => eprint!("{}", diag::render_human(&src, &checked.diagnostics, color)),
            Format::Json => json.extend(diag::to_json(&src, &checked.diagnostics)),
            Format::Github => {
                eprint!("{}", diag::render_human(&src, &checked.diagnostics, color));
                json.extend(diag::to_json(&src, &checked.diagnostics));
            }
        }
        if args.explain
            && let Some(strategy) = &checked.strategy
        {
            match exposure::analyze(&strategy.sizing, &strategy.account) {
                Ok(e) if args.format != Format::Json => {
                    if write_error.is_none()
                        && let Err(err) = writeln!(out, "{}", exposure::render(strategy, &e))
                    {
                        write_error = Some(err);
                    }
                }
                Ok(e) => explained.push(serde_json::json!({ "file": src.name(), "exposure": e })),
                Err(_) => say!("error: {}: the ladder's sizes overflow", src.name()),
            }
        }
        if i + 1 == files.len() {
            // The process ends after the last file: its syntax tree and model
            // go back to the OS with it, not node by node (a tenth of the
            // time `check` takes on a 10,000-line file).
            std::mem::forget(checked);
        }
    }
    match args.format {
        Format::Json => {
            let value = if args.explain {
                serde_json::json!({ "diagnostics": json, "exposure": explained })
            } else {
                serde_json::to_value(&json).unwrap_or_default()
            };
            if write_error.is_none()
                && let Err(err) = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                )
            {
                write_error = Some(err);
            }
        }
        Format::Human | Format::Github => {
            if args.format == Format::Github {
                for entry in &json {
                    if write_error.is_none()
                        && let Err(err) = writeln!(out, "{}", diag::github_annotation(entry))
                    {
                        write_error = Some(err);
                    }
                }
            }
            let files = files.len();
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            // A file that cannot be read counts as an error: never "0 errors".
            // With `--deny-warnings`, why a run without errors exits 1.
            say!(
                "checked {}: {}, {}{}{}",
                plural(files, "file"),
                plural(errors + unreadable, "error"),
                plural(warnings, "warning"),
                if args.deny_warnings && warnings > 0 {
                    " (denied by --deny-warnings)"
                } else {
                    ""
                },
                match unreadable {
                    0 => String::new(),
                    n => format!(" ({} could not be read)", plural(n, "file")),
                }
            );
        }
    }
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        return super::output::stdout_failed(&e);
    }
    if trouble {
        exit::trouble()
    } else if errors > 0 || (args.deny_warnings && warnings > 0) {
        exit::findings()
    } else {
        exit::ok()
    }
}

/// A plugin setup that failed (an unreadable `--plugins` folder, a broken
/// `vixshield.toml`) as a JSON entry: at the file and position it names,
/// `code` `io` when a file or folder cannot be read (exit 2), `project`
/// otherwise (exit 1).
fn setup_error(e: &crate::plugin::PluginError) -> diag::JsonDiagnostic {
    use crate::plugin::PluginError;
    // The message without the position the entry gives, where it has one.
    let (file, pos, message) = match e {
        PluginError::Io { path, .. } => (path.display().to_string(), None, e.to_string()),
        PluginError::ProjectFile { path, pos, message }
        | PluginError::Manifest { path, pos, message } => {
            (path.display().to_string(), *pos, message.clone())
        }
        PluginError::ListedFolder { file, pos, .. } => {
            // `vixshield.toml:2:10: plugin folder ...`: the entry has the place.
            let text = e.to_string();
            let place = match pos {
                Some(p) => format!("{}:{p}: ", file.display()),
                None => format!("{}: ", file.display()),
            };
            let message = text.strip_prefix(&place).unwrap_or(&text).to_string();
            (file.display().to_string(), *pos, message)
        }
        _ => (String::new(), None, e.to_string()),
    };
    let (line, column) = pos.map_or((0, 0), |p| (p.line, p.column));
    diag::JsonDiagnostic {
        file,
        line,
        column,
        end_line: line,
        end_column: column,
        severity: Severity::Error,
        code: if super::common::env_unreadable(e) {
            "io"
        } else {
            "project"
        },
        message,
        help: None,
        label: None,
        related: Vec::new(),
    }
}
