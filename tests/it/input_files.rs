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
