//! The command line: one file per subcommand. The only place that prints.
//!
//! Conventions: data on stdout, diagnostics on stderr; `--format json` wherever
//! output is data; colour only on a terminal and never with `NO_COLOR`.
//! Exit status: 0 ok, 1 findings (errors, differences), 2 usage or I/O trouble.

// In the CLI, `eprint!` and `eprintln!` are these: std's panic when stderr
// cannot be written (`2>/dev/full`); these drop the message instead (there
// is nowhere left to say anything), and the exit status still tells. Being
// `macro_rules!` defined above the submodules, they shadow std's there.
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprintln!` for messages that may quote user text (a CSV field, a
/// manifest value, a path): control characters other than line feed and tab
/// are escaped, so no input can send escape sequences to the terminal (see
/// [`crate::diag::terminal_safe`]).
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::diag::terminal_safe(&format!($($arg)*)))
    };
}

mod backtest;
mod check;
mod common;
mod diff;
mod fmt;
mod graph;
mod next;
mod output;
mod plugin;
mod risk;
mod run;
mod signal;
mod sweep;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal as _;
use std::process::ExitCode;

/// vixshield: size SPX iron condors with a capped martingale and a layered VIX hedge.
#[derive(Parser, Debug)]
#[command(name = "vixshield", version, about, propagate_version = true)]
pub struct Cli {
    /// When to use colour on stderr.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate strategy files: every problem at once, with codes and help.
    Check(check::Args),
    /// Format strategy files in the canonical layout.
    Fmt(fmt::Args),
    /// Print the rule graph a strategy compiles to.
    Graph(graph::Args),
    /// Replay a journal of closed trades: every decision, with its derivation.
    Run(run::Args),
    /// The decision for the next trade, with its derivation.
    Next(next::Args),
    /// Replay a strategy over real SPX/VIX history.
    Backtest(backtest::Args),
    /// Compare two versions of a strategy: decisions and report deltas (exit 1 when they differ).
    Diff(diff::Args),
    /// Print a signal expression's value on every market bar.
    Signal(signal::Args),
    /// Custom signals in WebAssembly: list, inspect and test plugins.
    Plugin(plugin::Args),
    /// Risk of ruin: exact losing-run odds, stopped-out cycles, Kelly; a Monte Carlo with `--paths`.
    Risk(risk::Args),
    /// Backtest every combination of param values and rank them (`sweep merge` joins shards).
    Sweep(sweep::Args),
    /// Print a completion script for a shell (`vixshield completions bash >
    /// ~/.local/share/bash-completion/completions/vixshield`).
    Completions(CompletionsArgs),
}

/// `vixshield completions SHELL`.
#[derive(clap::Args, Debug)]
struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// When to colour.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output format of commands that print data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// For programs.
    Json,
}

/// Exit statuses.
pub mod exit {
    use std::process::ExitCode;
    /// Everything fine.
    pub fn ok() -> ExitCode {
        ExitCode::SUCCESS
    }
    /// Findings: errors in a file, differences.
    pub fn findings() -> ExitCode {
        ExitCode::from(1)
    }
    /// Usage or I/O trouble.
    pub fn trouble() -> ExitCode {
        ExitCode::from(2)
    }
}

/// Whether stderr gets colour.
fn stderr_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && !dumb_terminal()
                && std::io::stderr().is_terminal()
        }
    }
}

/// `TERM=dumb`: a terminal that shows escape sequences as text (Emacs'
/// shell, some CI logs), which `auto` does not colour.
fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// The `--color` the command line asks for, read before clap parses it, so
/// that clap's own errors follow it too: the last `--color WHEN` or
/// `--color=WHEN` before a `--` (an unknown value counts as `auto`).
fn color_flag(args: &[std::ffi::OsString]) -> Color {
    let mut color = Color::Auto;
    let mut args = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = args.next() {
        let value = match a.as_ref() {
            "--" => break,
            "--color" => args.next(),
            other => other
                .strip_prefix("--color=")
                .map(|v| std::borrow::Cow::Owned(v.to_string())),
        };
        if let Some(v) = value {
            color = Color::from_str(&v, false).unwrap_or(Color::Auto);
        }
    }
    color
}

/// Clap's colour for its own messages (usage errors on stderr, help and
/// version on stdout): `--color`, and `NO_COLOR`; with `auto` clap looks at
/// whether the stream it writes is a terminal.
fn clap_color(c: Color) -> clap::ColorChoice {
    match c {
        Color::Always => clap::ColorChoice::Always,
        Color::Never => clap::ColorChoice::Never,
        Color::Auto
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) || dumb_terminal() =>
        {
            clap::ColorChoice::Never
        }
        Color::Auto => clap::ColorChoice::Auto,
    }
}

/// Every flag that takes a value takes a negative number as that value
/// (`--inputs -1`, `--format -1`, `--out -1`), to use or refuse with the
/// flag's own message, never as an unknown flag `-1`; the numeric flags also
/// take any value starting with `-` (`--credit -$1,500`), set on each.
fn negative_values(command: clap::Command) -> clap::Command {
    command
        .mut_args(|a| {
            if a.get_long().is_some() && a.get_action().takes_values() {
                a.allow_negative_numbers(true)
            } else {
                a
            }
        })
        .mut_subcommands(negative_values)
}

/// `diff --journal` replays a journal and simulates nothing, so the
/// backtest's model flags go with `--backtest` only, as `--from` and `--to`
/// do: given with `--journal` they are refused, not silently ignored.
fn model_flags_need_a_backtest(command: clap::Command) -> clap::Command {
    use clap::Args as _;
    let model: Vec<clap::Id> = backtest::Assumptions::augment_args(clap::Command::new("model"))
        .get_arguments()
        .map(|a| a.get_id().clone())
        .collect();
    command.mut_subcommand("diff", |mut diff| {
        for id in &model {
            diff = diff.mut_arg(id, |a| {
                // Its help says so, as `--from`'s does.
                let help = a.get_help().map(|h| {
                    let h = h.to_string();
                    let mut chars = h.chars();
                    let first = chars.next().map(|c| c.to_lowercase().to_string());
                    format!(
                        "With `--backtest`: {}{}",
                        first.unwrap_or_default(),
                        chars.as_str()
                    )
                });
                let a = a.conflicts_with("journal");
                match help {
                    Some(h) => a.help(h),
                    None => a,
                }
            });
        }
        diff
    })
}

/// Runs the command line.
pub fn main() -> ExitCode {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut command = model_flags_need_a_backtest(negative_values(Cli::command()))
        .color(clap_color(color_flag(&args)));
    let cli = match command
        .try_get_matches_from_mut(&args)
        .and_then(|m| Cli::from_arg_matches(&m).map_err(|e| e.format(&mut command)))
    {
        Ok(cli) => cli,
        Err(e) => {
            let printed = e.print();
            if e.use_stderr() {
                return exit::trouble();
            }
            // `--help` and `--version` go to stdout.
            return match printed {
                Ok(()) => exit::ok(),
                Err(err) => output::stdout_failed(&err),
            };
        }
    };
    let color = stderr_color(cli.color);
    match cli.command {
        Command::Check(args) => check::run(args, color),
        Command::Fmt(args) => fmt::run(args, color),
        Command::Graph(args) => graph::run(args, color),
        Command::Run(args) => run::run(args, color),
        Command::Next(args) => next::run(args, color),
        Command::Backtest(args) => backtest::run(args, color),
        Command::Diff(args) => diff::run(args, color),
        Command::Signal(args) => signal::run(args, color),
        Command::Plugin(args) => plugin::run(args, color),
        Command::Risk(args) => risk::run(args, color),
        Command::Sweep(args) => sweep::run(args, color),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut command, "vixshield", &mut script);
            match output::print(|w| w.write_all(&script)) {
                Ok(()) => exit::ok(),
                Err(code) => code,
            }
        }
    }
}

/// The strategy files `paths` name: a file as given (any name, `/dev/stdin`
/// too), a folder as the `.vxs` files under it, sorted, hidden entries
/// skipped, and FIFOs and devices too (links to them included). A folder holding none, or one that cannot be walked, is an
/// `Err` of the path and the message, in its place.
pub(crate) fn strategy_files(
    paths: &[std::path::PathBuf],
) -> Vec<Result<std::path::PathBuf, (std::path::PathBuf, String)>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(Ok(path.clone()));
            continue;
        }
        let before = files.len();
        let walk = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() || e.path_is_symlink() => {
                    // A link to a FIFO or a device is passed over, as one
                    // found here itself is: opening a FIFO blocks until
                    // something writes into it. (A dangling link, or one to
                    // a folder, is kept, and said it cannot be read.)
                    let special = e.path_is_symlink()
                        && std::fs::metadata(e.path()).is_ok_and(|m| !m.is_file() && !m.is_dir());
                    if !special && e.path().extension().is_some_and(|x| x == "vxs") {
                        files.push(Ok(e.into_path()));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let at = e.path().unwrap_or(path).to_path_buf();
                    let reason = match e.io_error() {
                        Some(io) => io_reason(io),
                        None => e.to_string(),
                    };
                    let msg = format!(
                        "error: cannot read `{}`: {reason}",
                        crate::diag::shown_name(&at.display().to_string())
                    );
                    files.push(Err((at, msg)));
                }
            }
        }
        if files.len() == before {
            let msg = format!(
                "error: no `.vxs` file in `{}`",
                crate::diag::shown_name(&path.display().to_string())
            );
            files.push(Err((path.clone(), msg)));
        }
    }
    files
}

/// Reads a source file, or says why it cannot.
pub(crate) fn read_source(path: &std::path::Path) -> Result<crate::source::SourceFile, String> {
    let name = path.display().to_string();
    let bytes = crate::input::read(path, crate::input::STRATEGY).map_err(|e| {
        format!(
            "error: cannot read `{}`: {}",
            crate::diag::shown_name(&name),
            io_reason(&e)
        )
    })?;
    Ok(crate::source::SourceFile::from_bytes(name, &bytes))
}

/// An I/O error in words.
pub(crate) use crate::input::reason as io_reason;

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// No value name holds a `:`: zsh's completion script puts value names
    /// unescaped between `:`s, so `NAME=FROM..TO:STEP` made zsh run `STEP`
    /// as a command when `sweep --set` was completed.
    #[test]
    fn value_names_have_no_colon() {
        fn walk(c: &clap::Command, path: &str, found: &mut Vec<String>) {
            for a in c.get_arguments() {
                for name in a.get_value_names().unwrap_or_default() {
                    if name.contains(':') {
                        found.push(format!("{path} {}: {name}", a.get_id()));
                    }
                }
            }
            for sub in c.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), found);
            }
        }
        let mut found = Vec::new();
        walk(&super::Cli::command(), "vixshield", &mut found);
        assert_eq!(found, Vec::<String>::new());
    }
}
