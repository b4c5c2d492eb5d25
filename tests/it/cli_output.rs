//! Where the CLI's output goes: files written into what the user named
//! (links followed, FIFOs and devices written, permissions and hard links
//! kept), stdout write errors reported (exit 2, never a panic), and I/O
//! errors reported once and in the data.

use crate::common::{command_in, root, text, vixshield};
use std::path::Path;
use std::process::{Output, Stdio};

const S: &str = "strategies/spx-mastery.vxs";
const J: &str = "tests/fixtures/journals/progression.csv";
const LONG: &str = "tests/fixtures/journals/long.csv";

/// `run S --journal J` to stdout: what every `--out` below must hold.
fn run_output() -> String {
    let out = vixshield(&["run", S, "--journal", J]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// The table, whatever the target's name (a `.csv` or `.json` name would
/// choose that format without `--format`).
fn run_out(target: &Path) -> Output {
    let target = target.display().to_string();
    vixshield(&[
        "run",
        S,
        "--journal",
        J,
        "--format",
        "table",
        "--out",
        &target,
    ])
}

/// `run --out FILE` without `--format` writes the format FILE's extension
/// names, as `backtest --trades` does: a `.csv` held the table (found by the
/// JSON audit). `--summary`, which has no CSV form, writes its table to a
/// `.csv` name; `--format` chooses over the name.
#[test]
fn run_out_takes_its_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = |format: &str, summary: bool| {
        let mut args = vec!["run", S, "--journal", J, "--format", format];
        if summary {
            args.push("--summary");
        }
        let out = vixshield(&args);
        ok(&out);
        text(&out.stdout)
    };
    let written = |name: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        let target = path.display().to_string();
        let mut args = vec!["run", S, "--journal", J, "--out", &target];
        args.extend(extra);
        ok(&vixshield(&args));
        std::fs::read_to_string(&path).unwrap()
    };
    assert_eq!(written("d.json", &[]), stdout("json", false));
    assert_eq!(written("d.CSV", &[]), stdout("csv", false));
    assert_eq!(written("d.txt", &[]), stdout("table", false));
    assert_eq!(
        written("d2.csv", &["--format", "json"]),
        stdout("json", false)
    );
    assert_eq!(written("s.csv", &["--summary"]), stdout("table", true));
    assert_eq!(written("s.json", &["--summary"]), stdout("json", true));
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

// ------------------------------------------------------ files written into

#[cfg(unix)]
#[test]
fn out_through_a_symlink_writes_the_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.csv");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink("target.csv", &link).unwrap();
    ok(&run_out(&link));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("target.csv"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), run_output());
    // A dangling link creates the file it points to.
    let dangling = dir.path().join("dangling.csv");
    std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
    ok(&run_out(&dangling));
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("made.csv")).unwrap(),
        run_output()
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[cfg(unix)]
#[test]
fn out_keeps_the_mode_of_an_existing_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private.csv");
    std::fs::write(&private, "old\n").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    ok(&run_out(&private));
    let meta = std::fs::metadata(&private).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert_eq!(std::fs::read_to_string(&private).unwrap(), run_output());
}

/// A file the user may not write is not replaced by one renamed over it
/// (which needs only the folder's permission): `fmt` and `--out` refuse it
/// as writing into it would be refused, exit 2 naming it, and it keeps its
/// contents. `fmt` rewrote a `chmod a-w` strategy file and said `formatted`.
#[cfg(unix)]
#[test]
fn a_read_only_file_is_not_replaced() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let read_only = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        path
    };
    let unformatted = std::fs::read_to_string(root().join(S))
        .unwrap()
        .replace("    steps = 4", "    steps   =   4");
    let vxs = read_only("s.vxs", &unformatted);
    let csv = read_only("out.csv", "old\n");
    let journal = root().join(J).display().to_string();
    let strategy = root().join(S).display().to_string();
    let runs: [(&[&str], &Path, &str); 2] = [
        (
            &["fmt", "s.vxs"],
            &vxs,
            "error: cannot write `s.vxs`: permission denied",
        ),
        (
            &["run", &strategy, "--journal", &journal, "--out", "out.csv"],
            &csv,
            "error: cannot write `out.csv`: permission denied",
        ),
    ];
    for (args, file, message) in runs {
        let before = std::fs::read(file).unwrap();
        let out = crate::common::bound_by_permissions(dir.path(), args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert_eq!(std::fs::read(file).unwrap(), before, "{args:?}");
        let meta = std::fs::metadata(file).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o444);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// A writable file in a folder the user may not write: no new copy can be
/// made beside it, and the error says so (it said `cannot write `s.vxs`:
/// permission denied`, of a file the user may write), leaving it as it is.
#[cfg(unix)]
#[test]
fn a_writable_file_in_a_read_only_folder_says_what_could_not_be_written() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    let vxs = folder.join("s.vxs");
    let unformatted = std::fs::read_to_string(root().join(S))
        .unwrap()
        .replace("    steps = 4", "    steps   =   4");
    std::fs::write(&vxs, &unformatted).unwrap();
    std::fs::set_permissions(&vxs, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = crate::common::bound_by_permissions(&folder, &["fmt", "s.vxs"]);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err,
        "error: cannot write `s.vxs`: cannot create its new copy in `.`: permission denied (a file is replaced whole, by renaming a complete copy over it, so its folder must be writable)\n"
    );
    assert_eq!(std::fs::read_to_string(&vxs).unwrap(), unformatted);
}

/// A file rewritten by a user who may not give it back its owner (another
/// user's file, writable by a group both belong to, in a shared folder)
/// keeps its group: the new file was the writer's, group included, so the
/// team's group lost its write permission. (The setup, another user's
/// file, takes root: as root the run drops `CAP_CHOWN` and joins the group.)
#[cfg(unix)]
#[test]
fn a_rewritten_file_keeps_its_group_when_its_owner_cannot_be_kept() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    if !rustix::process::geteuid().is_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let vxs = dir.path().join("s.vxs");
    let unformatted = std::fs::read_to_string(root().join(S))
        .unwrap()
        .replace("    steps = 4", "    steps   =   4");
    std::fs::write(&vxs, unformatted).unwrap();
    std::os::unix::fs::chown(&vxs, Some(1234), Some(4321)).unwrap();
    std::fs::set_permissions(&vxs, std::fs::Permissions::from_mode(0o664)).unwrap();
    let drop = "-dac_override,-dac_read_search,-chown,-fowner";
    let out =
        crate::common::without_capabilities(dir.path(), &["fmt", "s.vxs"], drop, Some("4321"));
    ok(&out);
    let meta = std::fs::metadata(&vxs).unwrap();
    assert_eq!(meta.gid(), 4321, "the group is kept");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o664);
    assert_eq!(
        std::fs::read_to_string(&vxs).unwrap(),
        std::fs::read_to_string(root().join(S)).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn out_to_a_fifo_writes_into_it_and_leaves_a_fifo() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    ok(&run_out(&fifo));
    assert_eq!(reader.join().unwrap(), run_output());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[cfg(unix)]
#[test]
fn out_to_dev_null_leaves_it_a_character_device() {
    use std::os::unix::fs::FileTypeExt as _;
    ok(&run_out(Path::new("/dev/null")));
    let meta = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());
}

#[cfg(unix)]
#[test]
fn out_to_a_hard_linked_file_writes_in_place_so_every_name_sees_it() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "old\n").unwrap();
    std::fs::hard_link(&a, &b).unwrap();
    let inode = std::fs::metadata(&a).unwrap().ino();
    ok(&run_out(&a));
    let (ma, mb) = (
        std::fs::metadata(&a).unwrap(),
        std::fs::metadata(&b).unwrap(),
    );
    assert_eq!((ma.ino(), mb.ino(), ma.nlink()), (inode, inode, 2));
    assert_eq!(std::fs::read_to_string(&b).unwrap(), run_output());
}

/// `backtest --trades --chart`: when one file cannot be written, the command
/// fails and neither is written (nor a half-written temporary file left),
/// whichever of the two fails, a device that fails its write too; an
/// existing file keeps its old contents.
#[test]
fn backtest_writes_both_files_or_neither() {
    let dir = tempfile::tempdir().unwrap();
    let good = |name: &str| dir.path().join(name).display().to_string();
    let missing = dir.path().join("no/such/folder/x").display().to_string();
    let left = || -> Vec<_> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    };
    let backtest = |trades: &str, chart: &str| {
        vixshield(&[
            "backtest",
            S,
            "--from",
            "2020-01-01",
            "--to",
            "2020-06-30",
            "--trades",
            trades,
            "--chart",
            chart,
        ])
    };
    for (trades, chart) in [
        (good("t.csv"), format!("{missing}.svg")),
        (format!("{missing}.csv"), good("c.svg")),
    ] {
        let out = backtest(&trades, &chart);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        assert!(
            text(&out.stderr).contains("no such file"),
            "{}",
            text(&out.stderr)
        );
        assert!(
            left().is_empty(),
            "written by a failing backtest: {:?}",
            left()
        );
    }
    // A device whose write fails at the end (`/dev/full`): the file beside
    // it is not put in place either (it was renamed first and left).
    let out = backtest(&good("t.csv"), "/dev/full");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no space left"),
        "{}",
        text(&out.stderr)
    );
    assert!(left().is_empty(), "written beside /dev/full: {:?}", left());
    // An existing file is left as it was.
    std::fs::write(good("t.csv"), "old\n").unwrap();
    let out = backtest(&good("t.csv"), &format!("{missing}.svg"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(good("t.csv")).unwrap(), "old\n");
    // Both written when both can be.
    ok(&backtest(&good("t.csv"), &good("c.svg")));
    assert!(
        std::fs::read_to_string(good("t.csv"))
            .unwrap()
            .starts_with("trade,")
    );
    assert!(
        std::fs::read_to_string(good("c.svg"))
            .unwrap()
            .starts_with("<svg")
    );
}

#[cfg(unix)]
#[test]
fn every_writer_follows_links_and_keeps_modes() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let linked = |name: &str| {
        let real = dir.path().join(format!("real-{name}"));
        std::fs::write(&real, "old\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join(name);
        std::os::unix::fs::symlink(&real, &link).unwrap();
        (link.display().to_string(), real)
    };
    let check = |real: &Path, starts: &str| {
        let meta = std::fs::symlink_metadata(real).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
        let body = std::fs::read_to_string(real).unwrap();
        assert!(body.starts_with(starts), "{real:?}: {body:.80}");
    };
    let (trades, trades_real) = linked("trades.csv");
    let (chart, chart_real) = linked("chart.svg");
    ok(&vixshield(&[
        "backtest",
        S,
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
        "--trades",
        &trades,
        "--chart",
        &chart,
    ]));
    check(&trades_real, "trade,entry,exit");
    check(&chart_real, "<svg");

    let fixture = "tests/fixtures/strategies/spx-mastery-params.vxs";
    let (sweep, sweep_real) = linked("sweep.json");
    let sweep_args = [
        "sweep",
        fixture,
        "--set",
        "mult=1.4x..1.6x:0.2x",
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
        "--format",
        "json",
        "--out",
        &sweep,
    ];
    ok(&vixshield(&sweep_args));
    check(&sweep_real, "{");
    let (merged, merged_real) = linked("merged.json");
    ok(&vixshield(&["sweep", "merge", &sweep, "--out", &merged]));
    check(&merged_real, "{");

    let (vxs, vxs_real) = linked("s.vxs");
    let unformatted = std::fs::read_to_string(root().join(S))
        .unwrap()
        .replace("    steps = 4", "    steps   =   4");
    std::fs::write(&vxs_real, unformatted).unwrap();
    ok(&vixshield(&["fmt", &vxs]));
    check(&vxs_real, "// SPX Mastery");
    assert_eq!(
        std::fs::read_to_string(&vxs_real).unwrap(),
        std::fs::read_to_string(root().join(S)).unwrap()
    );
    assert!(
        std::fs::symlink_metadata(&vxs)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

// ------------------------------------------------ stdout write errors

/// Every command that prints data, with the arguments to print some.
const PRINTERS: &[&[&str]] = &[
    &["graph", S],
    &["graph", S, "--format", "dot"],
    &["next", S, "--journal", J],
    &["next", S, "--journal", J, "--format", "json"],
    &["diff", S, "strategies/conservative.vxs", "--journal", J],
    &[
        "diff",
        S,
        "strategies/conservative.vxs",
        "--journal",
        J,
        "--format",
        "json",
    ],
    &["check", "--format", "json", S],
    &["check", "--explain", S],
    &["check", "--explain", "--format", "json", S],
    &["run", S, "--journal", J],
    // CSV and JSON go through their crates' writers, whose errors wrap the
    // pipe's when the output outgrows the writer's buffer.
    &["run", S, "--journal", LONG, "--format", "csv"],
    &["run", S, "--journal", LONG, "--format", "json"],
    &["backtest", S, "--from", "2020-01-01", "--to", "2020-12-31"],
    &[
        "sweep",
        "tests/fixtures/strategies/spx-mastery-params.vxs",
        "--set",
        "mult=1.2x..2.1x:0.1x",
        "--set",
        "take=30%..75%:5%",
        "--from",
        "2020-01-01",
        "--to",
        "2020-12-31",
        "--format",
        "csv",
    ],
    &[
        "risk",
        "--loss-rate",
        "0.25",
        "--trades",
        "100",
        "--run",
        "4",
    ],
    &["signal", "vix"],
    &["plugin", "list"],
    &["plugin", "list", "--format", "json"],
    &["plugin", "inspect", "plugins/theta_decay"],
    &[
        "plugin",
        "inspect",
        "plugins/theta_decay",
        "--format",
        "json",
    ],
    &["plugin", "test", "plugins/theta_decay"],
    &["plugin", "test", "plugins/theta_decay", "--format", "json"],
    &["plugin", "cache"],
    &["plugin", "cache", "--format", "json"],
    &["--help"],
    &["--version"],
];

fn assert_stdout_error(args: &[&str], out: &Output, reason: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.contains(&format!("error: cannot write to stdout: {reason}")),
        "{args:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_an_error_with_a_message_in_every_command() {
    let mut printers = PRINTERS.to_vec();
    // `fmt --check` lists an unformatted file on stdout.
    let dir = tempfile::tempdir().unwrap();
    let unformatted = dir.path().join("s.vxs");
    std::fs::write(
        &unformatted,
        std::fs::read_to_string(root().join(S))
            .unwrap()
            .replace("    steps = 4", "    steps   =   4"),
    )
    .unwrap();
    let unformatted = unformatted.display().to_string();
    let fmt_check = ["fmt", "--check", unformatted.as_str()];
    printers.push(&fmt_check);
    for args in printers {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = command_in(root(), args)
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        assert_stdout_error(args, &out, "no space left on device");
    }
}

/// A reader that stops reading (`| head -1`) is not trouble to report: every
/// command stops with status 2 (as `SIGPIPE` gives a C program a non-zero
/// status) and says nothing, where a full disk above is an error message.
#[cfg(unix)]
#[test]
fn a_closed_pipe_stops_every_command_quietly_with_status_2() {
    for args in PRINTERS {
        // A pipe whose reading end is closed before the command starts.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = command_in(root(), args)
            .stdout(Stdio::from(writer))
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("cannot write"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

// ------------------------------------------ check: unreadable files in the data

#[test]
fn check_json_lists_an_unreadable_file_as_an_entry() {
    let out = vixshield(&[
        "check",
        "--format",
        "json",
        "strategies/aggressive.vxs",
        "no/such/file.vxs",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert!(list.iter().any(|d| d["code"] == "W0103"), "{v}");
    let io: Vec<_> = list.iter().filter(|d| d["code"] == "io").collect();
    assert_eq!(io.len(), 1, "{v}");
    assert_eq!(io[0]["file"], "no/such/file.vxs");
    assert_eq!(io[0]["severity"], "error");
    assert_eq!(io[0]["line"], 0);
    assert_eq!(
        io[0]["message"],
        "cannot read `no/such/file.vxs`: no such file"
    );
    // With --explain the entry is among the diagnostics.
    let out = vixshield(&["check", "--format", "json", "--explain", "no/such/file.vxs"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "io", "{v}");
}

#[test]
fn check_summary_counts_an_unreadable_file_as_an_error() {
    let out = vixshield(&["check", "no/such/file.vxs"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("checked 1 file: 1 error, 0 warnings (1 file could not be read)"),
        "{stderr}"
    );
    assert!(!stderr.contains("0 errors"), "{stderr}");
    let out = vixshield(&["check", S, "no/such/file.vxs"]);
    assert!(
        text(&out.stderr)
            .contains("checked 2 files: 1 error, 0 warnings (1 file could not be read)")
    );
}

// ------------------------------------------------------- clap's colour

#[test]
fn clap_errors_follow_color() {
    let esc = |args: &[&str]| {
        let out = vixshield(args);
        assert_eq!(out.status.code(), Some(2));
        text(&out.stderr).contains('\u{1b}')
    };
    // Not a terminal, NO_COLOR set (as in every run of the suite): `always` still colours.
    assert!(esc(&["backtest", "--color", "always", "--bogus"]));
    assert!(esc(&["backtest", "--bogus", "--color=always"]));
    assert!(!esc(&["backtest", "--color", "never", "--bogus"]));
    assert!(!esc(&["backtest", "--bogus"]));
    // A `--color` after `--` is an argument, not the flag.
    assert!(!esc(&["check", "--bogus", "--", "--color", "always"]));
}

/// Under a terminal (`script` gives the command one), `--color never` and
/// `NO_COLOR` keep clap's errors plain, and `auto` colours them.
#[cfg(target_os = "linux")]
#[test]
fn clap_errors_on_a_terminal_follow_color() {
    let bin = env!("CARGO_BIN_EXE_vixshield");
    let Ok(probe) = std::process::Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .output()
    else {
        eprintln!("no `script` here: skipped");
        return;
    };
    if !probe.status.success() {
        eprintln!("`script` cannot run here: skipped");
        return;
    }
    let on_term = |cmd: &str, no_color: bool, term: &str| {
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &format!("{bin} {cmd}"), "/dev/null"]);
        c.env_remove("NO_COLOR");
        c.env("TERM", term);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let out = c.output().unwrap();
        text(&out.stdout).contains('\u{1b}')
    };
    let on_tty = |cmd: &str, no_color: bool| on_term(cmd, no_color, "xterm");
    assert!(!on_tty("backtest --color never --bogus", false));
    assert!(!on_tty("backtest --bogus", true));
    assert!(on_tty("backtest --bogus", false));
    // `TERM=dumb` shows escapes as text: `auto` leaves clap's errors and
    // the diagnostics plain there, and `always` still colours.
    let bad = root().join("tests/cases/check/e0104_unknown_setting.vxs");
    let check = format!("check {}", bad.display());
    assert!(on_tty(&check, false));
    assert!(!on_term(&check, false, "dumb"));
    assert!(!on_term("backtest --bogus", false, "dumb"));
    assert!(on_term(
        &format!("check --color always {}", bad.display()),
        false,
        "dumb"
    ));
}

// ------------------------------------------------ --no-market

/// `--no-market` evaluates decisions over a journal without market data; a
/// backtest and `signal` refuse it, as each command's `--help` says (it
/// said "every signal is `unknown`" on `backtest`, `sweep` and `signal` too).
#[test]
fn no_market_is_for_journals_and_the_help_says_so() {
    let params = "tests/fixtures/strategies/spx-mastery-params.vxs";
    let refused: [&[&str]; 5] = [
        &["backtest", S],
        &["sweep", params, "--set", "mult=1.4x"],
        &["signal", "vix"],
        &["risk", S, "--backtest"],
        &["diff", S, "strategies/conservative.vxs", "--backtest"],
    ];
    for args in refused {
        let mut with = args.to_vec();
        with.push("--no-market");
        let out = vixshield(&with);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{with:?}: {}",
            text(&out.stderr)
        );
    }
    let taken: [&[&str]; 4] = [
        &["run", S, "--journal", J],
        &["next", S, "--journal", J],
        &["risk", S, "--journal", J],
        &["diff", S, "strategies/conservative.vxs", "--journal", J],
    ];
    for args in taken {
        let mut with = args.to_vec();
        with.push("--no-market");
        let out = vixshield(&with);
        assert_ne!(
            out.status.code(),
            Some(2),
            "{with:?}: {}",
            text(&out.stderr)
        );
    }
    for command in ["run", "next", "signal", "backtest", "diff", "risk", "sweep"] {
        let out = vixshield(&[command, "--help"]);
        let help = text(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            help.contains("a backtest and `signal` need market data and refuse it"),
            "{command} --help: {help}"
        );
    }
}

// ------------------------------------------------ diff: each error once

#[test]
fn diff_says_each_input_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing_journal = dir.path().join("nope.csv").display().to_string();
    let missing_market = dir.path().join("vix.csv").display().to_string();
    let market = format!("vix={missing_market}");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--journal", &missing_journal],
            "nope.csv: cannot read the journal",
        ),
        (
            &["--journal", J, "--market", &market],
            "vix.csv: cannot read",
        ),
        (&["--backtest", "--market", &market], "vix.csv: cannot read"),
        (
            &["--backtest", "--no-market"],
            "a backtest needs market data",
        ),
    ];
    for (extra, want) in cases {
        let mut args = vec!["diff", S, "strategies/conservative.vxs"];
        args.extend_from_slice(extra);
        let out = vixshield(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert_eq!(stderr.matches(want).count(), 1, "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{extra:?}: {stderr}");
    }
    // Both versions are checked: each file's diagnostics, once each (two
    // files: the same file on both sides is checked once).
    let bad = dir.path().join("bad.vxs");
    let bad2 = dir.path().join("bad2.vxs");
    for f in [&bad, &bad2] {
        std::fs::write(f, "strategy \"x\" {\n    version = 1.0.0\n}\n").unwrap();
    }
    let (bad, bad2) = (bad.display().to_string(), bad2.display().to_string());
    let out = vixshield(&["diff", &bad, &bad2, "--journal", J]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    let first = stderr.lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("error["), "{stderr}");
    assert_eq!(stderr.matches(&first).count(), 2, "{stderr}");
}

/// A stderr that cannot be written loses the messages, never the exit
/// status (std's `eprintln!` panicked: exit 101).
#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_keeps_the_exit_status() {
    let cases: [(&[&str], i32); 5] = [
        (&["check", "no/such/file.vxs"], 2),
        (&["check", "strategies/aggressive.vxs"], 0),
        (&["check", "tests/cases/check/e0001_syntax.vxs"], 1),
        (&["backtest", "--bogus"], 2),
        (&["graph", S], 2), // stdout is /dev/full too
    ];
    for (args, want) in cases {
        let full = || {
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap()
        };
        let status = command_in(root(), args)
            .stdout(if want == 2 && args[0] == "graph" {
                Stdio::from(full())
            } else {
                Stdio::null()
            })
            .stderr(Stdio::from(full()))
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(want), "{args:?}");
    }
}

/// `run`'s table says over its columns that a row is a closed trade and
/// the decision after it, the next trade's: a trader read `loss -$3,380`
/// beside `step 2, $6,750` as the step and size of the trade that lost.
#[test]
fn run_table_says_its_step_and_size_are_the_next_trades() {
    let table = run_output();
    let mut lines = table.lines();
    let groups = lines.next().unwrap_or_default();
    let header = lines.next().unwrap_or_default();
    assert!(groups.starts_with("the trade closed "), "{table}");
    assert!(header.starts_with("trade  date"), "{table}");
    // The second group starts over the first column it names.
    let decision = groups.find("the decision after it, for the next trade: step, size");
    assert!(decision.is_some(), "{table}");
    assert_eq!(decision, header.find("step"), "{table}");
}

/// A hedge's budget lines up from row to row in `run`'s table, its
/// trigger's word in a slot after it: `$150 ?` and `$270 no`, right
/// aligned together, put the dollars a column apart. As the table's last
/// column (no roll, no guards) its slot is not padded.
#[test]
fn run_table_hedge_budgets_line_up() {
    let table = run_output();
    let rows: Vec<&str> = table.lines().collect();
    let end = |row: usize, cell: &str| rows.get(row).and_then(|r| r.find(cell)).map(|i| i + 4);
    // Trade 0's trigger is unknown (no bar), trade 1's did not fire.
    assert_eq!(end(2, "$150 ?"), end(3, "$270 no"), "{table}");
    assert!(end(2, "$150 ?").is_some(), "{table}");

    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(root().join(S)).unwrap();
    let cut = source.find("roll {").unwrap_or(source.len());
    let path = dir.path().join("no-roll.vxs");
    std::fs::write(&path, &source[..cut]).unwrap();
    let path = path.display().to_string();
    let out = vixshield(&["run", &path, "--journal", J]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bare = text(&out.stdout);
    assert!(bare.lines().all(|l| l == l.trim_end()), "{bare:?}");
}

/// A run killed while writing `--out FILE` leaves its new copy
/// (`.FILE.XXXXXX.vixshield.tmp`) beside FILE; the next write of FILE
/// removes the copies of FILE an hour old or more, and leaves a younger one
/// (another run's, still being written), other files' copies and other
/// files alone. Killed jobs had filled a folder with them.
#[test]
fn a_write_removes_the_copies_killed_runs_left() {
    let dir = tempfile::tempdir().expect("a folder");
    let hours_ago = |path: &std::path::Path, hours: u64| {
        std::fs::write(path, "half a file").expect("file");
        let then = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600);
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(then))
            .expect("set its time");
    };
    let stale = dir.path().join(".out.json.a1B2c3.vixshield.tmp");
    let young = dir.path().join(".out.json.d4E5f6.vixshield.tmp");
    let other = dir.path().join(".other.json.a1B2c3.vixshield.tmp");
    // `out.json.bak`'s copy begins as `out.json`'s copies do.
    let longer = dir.path().join(".out.json.bak.a1B2c3.vixshield.tmp");
    let unrelated = dir.path().join("notes.vixshield.tmp");
    hours_ago(&stale, 2);
    hours_ago(&young, 0);
    hours_ago(&other, 2);
    hours_ago(&longer, 2);
    hours_ago(&unrelated, 2);
    let out = dir.path().join("out.json");
    let o = out.to_string_lossy();
    let run = crate::common::vixshield(&[
        "run",
        "strategies/spx-mastery.vxs",
        "--journal",
        "tests/fixtures/journals/progression.csv",
        "--out",
        &o,
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        crate::common::text(&run.stderr)
    );
    assert!(out.exists());
    assert!(!stale.exists(), "an hour-old copy of out.json is removed");
    assert!(young.exists(), "a copy being written is left");
    assert!(other.exists(), "another file's copy is left");
    assert!(longer.exists(), "out.json.bak's copy is left");
    assert!(unrelated.exists());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("listing")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.json.") && !n.starts_with(".out.json.bak."))
        .collect();
    assert_eq!(left, [".out.json.d4E5f6.vixshield.tmp"], "and no new one");
}
