//! Input files: I/O trouble on every kind of input is exit 2 naming the file.

use crate::common::{text, vixshield};

const S: &str = "strategies/spx-mastery.vxs";
const J: &str = "tests/fixtures/journals/progression.csv";

/// A `--calendar` file that cannot be read is I/O trouble (exit 2, the file
/// named), as a `--market` file is, in every command that takes one.
#[test]
fn an_unreadable_calendar_file_is_trouble() {
    let cal = "/nonexistent/calendar.csv";
    let runs: [&[&str]; 7] = [
        &["backtest", S, "--calendar", cal],
        &["signal", "vix", "--calendar", cal],
        &["run", S, "--journal", J, "--calendar", cal],
        &["next", S, "--journal", J, "--calendar", cal],
        &["risk", S, "--backtest", "--trades", "10", "--calendar", cal],
        &[
            "sweep",
            "tests/fixtures/strategies/spx-mastery-params.vxs",
            "--set",
            "mult=1.5x..1.6x:0.1x",
            "--calendar",
            cal,
        ],
        &[
            "diff",
            S,
            "strategies/conservative.vxs",
            "--journal",
            J,
            "--calendar",
            cal,
        ],
    ];
    for args in runs {
        let out = vixshield(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("error: /nonexistent/calendar.csv: cannot read the file"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// Runs the binary in `dir`, killed after 20 s: a run that hangs fails
/// the test instead of hanging the suite.
fn bounded_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    use std::time::{Duration, Instant};
    let mut child = crate::common::command_in(dir, args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not finish within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn bounded(args: &[&str]) -> std::process::Output {
    bounded_in(crate::common::root(), args)
}

/// An endless input (`/dev/zero`) of every kind is refused at its kind's
/// size limit (exit 2, the file and the limit named) instead of memory
/// growing until the machine runs out.
#[cfg(unix)]
#[test]
fn endless_inputs_stop_at_their_size_limit() {
    let runs: [(&[&str], &str); 6] = [
        (
            &["check", "/dev/zero"],
            "cannot read `/dev/zero`: larger than the limit of 64 MiB for a strategy file",
        ),
        (
            &["signal", "vix", "--strategy", "/dev/zero"],
            "cannot read `/dev/zero`: larger than the limit of 64 MiB for a strategy file",
        ),
        (
            &["run", S, "--journal", "/dev/zero"],
            "/dev/zero: cannot read the journal: larger than the limit of 256 MiB for a CSV file",
        ),
        (
            &["backtest", S, "--market", "vix=/dev/zero"],
            "/dev/zero: cannot read the file: larger than the limit of 256 MiB for a CSV file",
        ),
        (
            &["backtest", S, "--calendar", "/dev/zero"],
            "/dev/zero: cannot read the file: larger than the limit of 256 MiB for a CSV file",
        ),
        (
            &["sweep", "merge", "/dev/zero"],
            "cannot read `/dev/zero`: larger than the limit of 256 MiB for a sweep file",
        ),
    ];
    for (args, message) in runs {
        let out = bounded(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    // A strategy may still come from a pipe.
    let mut child = crate::common::command_in(crate::common::root(), &["check", "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let strategy = std::fs::read(S).unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &strategy).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A plugin's manifest and module must be regular files: a module linked
/// to `/dev/zero` or a FIFO in place of either is refused from its metadata
/// (a FIFO is never opened, so nothing blocks).
#[cfg(unix)]
#[test]
fn plugin_files_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let src = crate::common::root().join("plugins/wilder_rsi");
    let mkfifo = |p: &std::path::Path| {
        let ok = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap();
        assert!(ok.success());
    };
    for name in ["zero", "fifo_wasm", "fifo_toml"] {
        std::fs::create_dir(root.join(name)).unwrap();
    }
    for name in ["zero", "fifo_wasm"] {
        std::fs::copy(src.join("plugin.toml"), root.join(name).join("plugin.toml")).unwrap();
    }
    std::os::unix::fs::symlink("/dev/zero", root.join("zero/wilder_rsi.wasm")).unwrap();
    mkfifo(&root.join("fifo_wasm/wilder_rsi.wasm"));
    mkfifo(&root.join("fifo_toml/plugin.toml"));
    let refused = "not a regular file (a pipe, a device or a socket)";
    for (plugin, file) in [
        ("zero", "zero/wilder_rsi.wasm"),
        ("fifo_wasm", "fifo_wasm/wilder_rsi.wasm"),
        ("fifo_toml", "fifo_toml/plugin.toml"),
    ] {
        for command in ["inspect", "test"] {
            let out = bounded_in(root, &["plugin", command, plugin]);
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(
                all.contains(&format!("cannot read `{file}`: {refused}"))
                    || all.contains(&format!("cannot read {file}: {refused}")),
                "{command} {plugin}: {all}"
            );
            // `inspect` reports an unreadable module as its verdict (1);
            // `test` cannot run it (2); an unreadable manifest is 2 for both.
            let expected = if command == "inspect" && plugin != "fifo_toml" {
                1
            } else {
                2
            };
            assert_eq!(
                out.status.code(),
                Some(expected),
                "{command} {plugin}: {all}"
            );
        }
    }
    // A FIFO as the project file is refused too, by every command.
    std::fs::remove_dir_all(root.join("fifo_toml")).unwrap();
    mkfifo(&root.join("vixshield.toml"));
    let out = bounded_in(root, &["plugin", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(refused), "{}", text(&out.stderr));
}

/// An output file that is one of the command's inputs, or another of its
/// outputs, is a usage error before any work, and the input is left whole.
#[cfg(unix)]
#[test]
fn an_output_onto_an_input_or_another_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let journal = std::fs::read(crate::common::root().join(J)).unwrap();
    let strategy = std::fs::read(crate::common::root().join(S)).unwrap();
    std::fs::write(root.join("j.csv"), &journal).unwrap();
    std::fs::write(root.join("s.vxs"), &strategy).unwrap();
    std::os::unix::fs::symlink("j.csv", root.join("link.csv")).unwrap();
    std::fs::hard_link(root.join("s.vxs"), root.join("hard.vxs")).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    let cases: [(&[&str], &str); 8] = [
        (
            &["run", "s.vxs", "--journal", "j.csv", "--out", "j.csv"],
            "error: `--out j.csv` is the journal `j.csv`: writing it would replace the input",
        ),
        (
            &["run", "s.vxs", "--journal", "j.csv", "--out", "link.csv"],
            "error: `--out link.csv` is the journal `j.csv`",
        ),
        (
            &[
                "run",
                "s.vxs",
                "--journal",
                "j.csv",
                "--out",
                "sub/../hard.vxs",
            ],
            "error: `--out sub/../hard.vxs` is the strategy `s.vxs`",
        ),
        (
            &[
                "run",
                "s.vxs",
                "--journal",
                "j.csv",
                "--calendar",
                "j.csv",
                "--out",
                "./j.csv",
            ],
            "error: `--out ./j.csv` is the journal `j.csv`",
        ),
        (
            &[
                "backtest",
                "s.vxs",
                "--trades",
                "new.csv",
                "--chart",
                "sub/../new.csv",
            ],
            "error: `--chart sub/../new.csv` is the same file as `--trades new.csv`; give each output its own file",
        ),
        (
            &[
                "backtest",
                "s.vxs",
                "--trades",
                "new.csv",
                "--equity",
                "./new.csv",
            ],
            "error: `--equity ./new.csv` is the same file as `--trades new.csv`; give each output its own file",
        ),
        (
            &[
                "backtest",
                "s.vxs",
                "--market",
                "vix=j.csv",
                "--chart",
                "j.csv",
            ],
            "error: `--chart j.csv` is the `--market vix` file `j.csv`",
        ),
        (
            &["sweep", "merge", "j.csv", "--out", "j.csv"],
            "error: `--out j.csv` is the sweep file `j.csv`",
        ),
    ];
    for (args, message) in cases {
        let out = bounded_in(root, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(std::fs::read(root.join("j.csv")).unwrap(), journal);
    assert_eq!(std::fs::read(root.join("s.vxs")).unwrap(), strategy);
    assert!(!root.join("new.csv").exists());
    // Distinct files, and devices shared by two outputs, are fine.
    let out = bounded_in(
        root,
        &["run", "s.vxs", "--journal", "j.csv", "--out", "r.csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(root.join("r.csv").exists());
    let args = [
        "backtest",
        "s.vxs",
        "--to",
        "2001-06-01",
        "--trades",
        "/dev/null",
        "--chart",
        "/dev/null",
    ];
    let out = bounded_in(root, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// A folder given to `check` or `fmt` stands for its `.vxs` files: a
/// `.vxs` link in it to a FIFO (or a device) is passed over, as a FIFO
/// named `.vxs` there is, instead of being opened and blocking the run until
/// something writes into the pipe.
#[cfg(unix)]
#[test]
fn a_folder_with_a_vxs_link_to_a_fifo_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let folder = root.join("strategies");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(crate::common::root().join(S), folder.join("a.vxs")).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(root.join("fifo"))
        .status()
        .unwrap();
    assert!(ok.success());
    std::os::unix::fs::symlink(root.join("fifo"), folder.join("b.vxs")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", folder.join("c.vxs")).unwrap();
    for args in [
        &["check", "strategies"][..],
        &["fmt", "--check", "strategies"],
    ] {
        let out = bounded_in(root, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
    let out = bounded_in(root, &["check", "strategies"]);
    assert!(
        text(&out.stderr).contains("checked 1 file: 0 errors"),
        "{}",
        text(&out.stderr)
    );
}
