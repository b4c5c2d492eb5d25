//! The `vixshield` binary: exit statuses, streams, formats.
//! 0 ok, 1 findings, 2 usage or I/O trouble; data on stdout, diagnostics on stderr.

use crate::common::{text, vixshield};
use std::path::Path;

#[test]
fn clean_strategy_exits_0() {
    let out = vixshield(&["check", "strategies/spx-mastery.vxs"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "nothing on stdout without --explain");
    assert!(text(&out.stderr).contains("checked 1 file: 0 errors, 0 warnings"));
}

#[test]
fn errors_exit_1_with_location_code_caret_and_help() {
    let out = vixshield(&["check", "tests/cases/check/e0104_unknown_setting.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E0104]: `sizing` has no setting `multiplyer`"),
        "{err}"
    );
    assert!(
        err.contains("--> tests/cases/check/e0104_unknown_setting.vxs:20:5"),
        "{err}"
    );
    assert!(err.contains("^^^^^^^^^^ unknown setting"), "{err}");
    assert!(err.contains("help: did you mean `multiplier`?"), "{err}");
}

#[test]
fn every_file_is_checked_in_one_run() {
    let out = vixshield(&[
        "check",
        "tests/cases/check/e0401_multiplier.vxs",
        "strategies/spx-mastery.vxs",
        "tests/cases/check/e0404_step_limit.vxs",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let (a, b) = (
        err.find("E0401").unwrap_or(usize::MAX),
        err.find("E0404").unwrap_or(0),
    );
    assert!(a < b, "files in the order given: {err}");
    assert!(
        err.contains("checked 3 files: 3 errors, 0 warnings"),
        "{err}"
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let out = vixshield(&["check", "strategies/aggressive.vxs"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("warning[W0103]"));
    assert!(text(&out.stderr).ends_with("checked 1 file: 0 errors, 1 warning\n"));
    let out = vixshield(&["check", "--deny-warnings", "strategies/aggressive.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    // The summary says why a run without errors fails (it did not).
    assert!(
        text(&out.stderr)
            .ends_with("checked 1 file: 0 errors, 1 warning (denied by --deny-warnings)\n"),
        "{}",
        text(&out.stderr)
    );
}

/// `diff` of a file against itself (the same path, or another spelling of
/// it) checks it once: its warnings are said once; a copy elsewhere is
/// another file, whose warnings are said too.
#[test]
fn diff_of_a_file_with_itself_says_its_warnings_once() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.vxs");
    let file = "tests/cases/check/w0104_unused.vxs";
    std::fs::copy(file, &copy).unwrap();
    let journal = "tests/fixtures/journals/spikes.csv";
    let warnings = |new: &str| {
        let out = vixshield(&["diff", file, new, "--journal", journal]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("warning["))
            .count()
    };
    let once = warnings(file);
    assert!(once > 0, "the file has warnings");
    assert_eq!(
        warnings("tests/cases/check/../check/w0104_unused.vxs"),
        once
    );
    assert_eq!(warnings(copy.to_str().unwrap()), 2 * once);
}

#[test]
fn missing_file_is_named_and_exits_2() {
    let out = vixshield(&["check", "strategies/spx-mastery.vxs", "no/such/file.vxs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("error: cannot read `no/such/file.vxs`: no such file"));
    // Every command that reads a strategy says it the same way, once
    // (`sweep` said `error: error: cannot read ...`).
    let journal = "tests/fixtures/journals/progression.csv";
    for args in [
        &["graph", "no/such/file.vxs"][..],
        &["backtest", "no/such/file.vxs"],
        &["sweep", "no/such/file.vxs", "--set", "x=1..2:1"],
        &[
            "risk",
            "no/such/file.vxs",
            "--loss-rate",
            "0.1",
            "--trades",
            "10",
        ],
        &["run", "no/such/file.vxs", "--journal", journal],
        &["next", "no/such/file.vxs", "--journal", journal],
        &[
            "diff",
            "no/such/file.vxs",
            "strategies/spx-mastery.vxs",
            "--journal",
            journal,
        ],
        &["signal", "vix", "--strategy", "no/such/file.vxs"],
    ] {
        let out = vixshield(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: cannot read `no/such/file.vxs`: no such file\n"),
            "{args:?}: {err}"
        );
    }
}

/// Every file a command reads says an I/O failure in the same words,
/// `no such file`, `it is a directory`, never the system's `Is a directory
/// (os error 21)` (a journal, a market file, a calendar and a plugin folder
/// did).
#[test]
fn io_errors_are_said_in_words_for_every_input() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path().to_str().expect("utf-8");
    let missing = dir.path().join("nope.csv");
    let missing = missing.to_str().expect("utf-8");
    let vix_dir = format!("vix={d}");
    let vix_missing = format!("vix={missing}");
    let s = "strategies/spx-mastery.vxs";
    let cases: &[(&[&str], String)] = &[
        (
            &["run", s, "--journal", d],
            format!("{d}: cannot read the journal: it is a directory"),
        ),
        (
            &["run", s, "--journal", missing],
            format!("{missing}: cannot read the journal: no such file"),
        ),
        (
            &["backtest", s, "--market", &vix_dir],
            format!("{d}: cannot read the file: it is a directory"),
        ),
        (
            &["backtest", s, "--market", &vix_missing],
            format!("{missing}: cannot read the file: no such file"),
        ),
        (
            &["backtest", s, "--calendar", d],
            format!("{d}: cannot read the file: it is a directory"),
        ),
        (
            &["backtest", s, "--plugins", missing],
            format!("cannot read {missing}: no such folder"),
        ),
    ];
    for (args, want) in cases {
        let out = vixshield(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains(want.as_str()),
            "{args:?}: want {want}, got {err}"
        );
        assert!(!err.contains("os error"), "{args:?}: {err}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(vixshield(&["check"]).status.code(), Some(2));
    assert_eq!(vixshield(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        vixshield(&["check", "--format", "xml", "x.vxs"])
            .status
            .code(),
        Some(2)
    );
}

/// `risk --backtest` over a backtest that traded nothing says why (every
/// entry skipped, the first's reason), not only "no trades": a 50pt condor
/// does not fit a $1,000 base.
#[test]
fn risk_over_a_backtest_without_trades_says_why() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("too-small.vxs");
    let src = std::fs::read_to_string("strategies/aggressive.vxs")
        .expect("aggressive.vxs")
        .replace("wing_width = 25pt", "wing_width = 50pt")
        .replace("capital = $100,000", "capital = $50,000");
    assert!(src.contains("wing_width = 50pt"), "{src}");
    std::fs::write(&path, src).expect("write");
    let p = path.to_str().expect("utf-8 path");
    let out = vixshield(&[
        "risk",
        p,
        "--backtest",
        "--from",
        "2020-01-01",
        "--to",
        "2020-03-31",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no trades to measure the loss rate from: the backtest skipped all"),
        "{err}"
    );
    assert!(err.contains("is below one contract's max loss"), "{err}");
    assert!(err.contains("`--loss-rate Q`"), "{err}");
}

/// Every `--from`/`--to` says what a date looks like; chrono's own reasons
/// ("premature end of input" for `2020`) did not, outside `signal`.
#[test]
fn a_bad_date_flag_says_yyyy_mm_dd_in_every_command() {
    let s = "strategies/spx-mastery.vxs";
    let cases: [&[&str]; 6] = [
        &["backtest", s, "--from", "2020"],
        &["backtest", s, "--to", "2020-13-01"],
        &["risk", s, "--backtest", "--from", "1/1/2020"],
        &["sweep", s, "--set", "base=1%", "--to", "2020"],
        &["diff", s, s, "--backtest", "--from", "2020"],
        &["signal", "vix", "--from", "2020"],
    ];
    for args in cases {
        let out = vixshield(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("is not a date; write YYYY-MM-DD"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn json_diagnostics_on_stdout() {
    let out = vixshield(&[
        "check",
        "--format",
        "json",
        "tests/cases/check/e0405_delta.vxs",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    let d = &v[0];
    assert_eq!(d["file"], "tests/cases/check/e0405_delta.vxs");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(13), Some(19))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(13), Some(28))
    );
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "E0405");
    assert_eq!(d["message"], "delta `1.2` lies outside (0, 1)");
    assert!(d["help"].is_string());
    let keys: Vec<&str> = d
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // With the note under the caret and the related places (docs/commands.md).
    assert_eq!(keys.len(), 11, "{keys:?}");
}

/// A name of 100,000 characters is quoted in part in every format: it made
/// a message as long as the file, on the terminal, in JSON and in a GitHub
/// annotation (the robustness audit).
#[test]
fn a_huge_name_is_quoted_in_part() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.vxs");
    std::fs::write(&path, format!("{}\n", "a".repeat(100_000))).expect("written");
    let path = path.to_str().expect("utf-8");
    for format in ["human", "json", "github"] {
        let out = vixshield(&["check", path, "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = out.stdout.len() + out.stderr.len();
        assert!(all < 4_000, "{format}: {all} bytes");
        let both = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(
            both.contains("… (100000 characters in all)"),
            "{format}: {both}"
        );
    }
}

#[test]
fn explain_prints_the_ladder_on_stdout() {
    let out = vixshield(&["check", "--explain", "strategies/spx-mastery.vxs"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(
        s.contains("$2,900 × 1.6 = $4,640 → nearest $100 = $4,600 (cap $10,000 not binding)"),
        "{s}"
    );
    assert!(
        s.contains("a full losing cycle risks $10,300 (10.3% of capital)"),
        "{s}"
    );
    // The plan's worst case says what it assumes: every stop holds.
    assert!(
        s.contains("worst case as planned: every step of the cycle loses its whole size, each condor closed at its max loss"),
        "{s}"
    );
    assert!(
        s.contains("if every stop holds: a condor that gaps past its stop loses more"),
        "{s}"
    );
    assert!(s.contains(", 4 steps, reset on win"), "{s}");
    // One step is one step (it read "1 steps").
    let out = vixshield(&[
        "check",
        "--explain",
        "tests/fixtures/strategies/tasty-16-delta.vxs",
    ]);
    let s = text(&out.stdout);
    assert!(s.contains(", 1 step, reset"), "{s}");
    let out = vixshield(&[
        "check",
        "--explain",
        "--format",
        "json",
        "strategies/spx-mastery.vxs",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["exposure"][0]["exposure"]["cycle_risk"], "10300");
    assert_eq!(v["exposure"][0]["exposure"]["rungs"][3]["size"], "4600");
    // Exact decimals as `run` gives them: no trailing zeros of the
    // arithmetic's scale ("0.90", "1000.00", "1800.0" before).
    let first = &v["exposure"][0]["exposure"]["rungs"][0];
    assert_eq!(first["max_loss_pct"], "0.9");
    assert_eq!(first["raw"], "1000");
    assert_eq!(v["exposure"][0]["exposure"]["rungs"][1]["raw"], "1800");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let out = vixshield(&["check", "tests/cases/check/e0404_step_limit.vxs"]);
    assert!(
        !text(&out.stderr).contains('\x1b'),
        "no colour when stderr is not a terminal"
    );
    let out = vixshield(&[
        "--color",
        "always",
        "check",
        "tests/cases/check/e0404_step_limit.vxs",
    ]);
    assert!(text(&out.stderr).contains('\x1b'), "colour when asked");
}

#[test]
fn fmt_check_and_rewrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("messy.vxs");
    std::fs::write(&path, "account {\n  capital=$100000\n}\n").expect("write");
    let p = path.to_str().unwrap_or_default();
    let out = vixshield(&["fmt", "--check", p]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout).trim(),
        p,
        "the unformatted file is listed on stdout"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        "account {\n  capital=$100000\n}\n",
        "--check changes nothing"
    );
    let out = vixshield(&["fmt", p]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        "account {\n    capital = $100,000\n}\n"
    );
    assert_eq!(vixshield(&["fmt", "--check", p]).status.code(), Some(0));
}

#[test]
fn fmt_refuses_files_with_syntax_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.vxs");
    let original = "account {\n  capital = $1 )\n}\n";
    std::fs::write(&path, original).expect("write");
    let out = vixshield(&["fmt", path.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0001"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        original,
        "left as it was"
    );
}

#[test]
fn bundled_strategies_pass_check_and_fmt_check() {
    let files: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("strategies"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| format!("strategies/{}", e.file_name().to_string_lossy()))
            .collect();
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    assert_eq!(vixshield(&args).status.code(), Some(0));
    args[0] = "fmt";
    args.insert(1, "--check");
    assert_eq!(vixshield(&args).status.code(), Some(0));
}

/// The binary's big stack lets pest follow deep nesting the pre-scan missed;
/// the pre-scan must not miss it (lone `\r` line ends after an open quote).
#[test]
fn deep_nesting_after_a_lone_cr_is_an_error_not_a_crash() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("deep.vxs");
    let deep = format!(
        "signal x = \"\rsignal y = {}a{}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    std::fs::write(&path, deep)?;
    let out = vixshield(&["check", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("error[E0003]"));
    Ok(())
}

/// A file or an expression with escape sequences: exit 1, `E0005`, and not
/// one control byte on stderr, even with `--color always`.
#[test]
fn control_characters_never_reach_stderr() {
    let out = vixshield(&["check", "tests/cases/check/e0005_control_char.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[E0005]"));
    assert!(!out.stderr.contains(&0x1b), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains('\u{9b}'));

    let out = vixshield(&[
        "--color",
        "always",
        "check",
        "tests/cases/check/e0005_control_char.vxs",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stderr).contains("\u{1b}[31m red"));

    // `fmt` leaves such a file alone.
    let out = vixshield(&["fmt", "--check", "tests/cases/check/e0005_control_char.vxs"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("has control characters; not formatted"),
        "{}",
        text(&out.stderr)
    );
    assert!(!out.stderr.contains(&0x1b));

    let out = vixshield(&["signal", "vix > 20 \u{1b}[2J"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0005"), "{}", text(&out.stderr));
    assert!(!out.stderr.contains(&0x1b), "{}", text(&out.stderr));
}

/// An error quoting a field of a data file escapes its control characters.
#[test]
fn data_file_errors_escape_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.csv");
    std::fs::write(
        &journal,
        "date,pnl,credit,hedge_pnl\n2005-01-07,12\u{1b}]0;x\u{7},630.75,\n",
    )
    .unwrap();
    let out = vixshield(&[
        "run",
        "strategies/spx-mastery.vxs",
        "--journal",
        journal.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("journal.csv:2:12: `12\\u{1b}]0;x\\u{7}` is not an amount"),
        "{err}"
    );
    assert!(!out.stderr.contains(&0x1b) && !out.stderr.contains(&0x07));
}

/// A folder stands for the `.vxs` files under it, sorted, hidden folders and
/// other files left out (it was refused: "it is a directory"); a folder
/// without any is I/O trouble, never a silent pass.
#[test]
fn check_and_fmt_take_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let clean = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("strategies/spx-mastery.vxs"),
    )
    .expect("strategy");
    let broken = clean.replace("    language = 1\n", "    language = ?\n");
    for (path, body) in [
        ("b/deep/one.vxs", clean.as_str()),
        ("a.vxs", broken.as_str()),
        (".git/hidden.vxs", broken.as_str()),
        ("notes.txt", "not a strategy"),
    ] {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("folder");
        std::fs::write(p, body).expect("file");
    }
    std::fs::create_dir(root.join("empty")).expect("folder");
    let r = root.to_string_lossy();

    let out = vixshield(&["check", "--format", "json", &r]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let files: std::collections::BTreeSet<&str> = v
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|d| d["file"].as_str())
        .collect();
    let a = root.join("a.vxs");
    assert_eq!(files.into_iter().collect::<Vec<_>>(), [a.to_string_lossy()]);
    let out = vixshield(&["check", &r]);
    assert!(
        text(&out.stderr).ends_with("checked 2 files: 1 error, 0 warnings\n"),
        "{}",
        text(&out.stderr)
    );

    let empty = root.join("empty");
    let out = vixshield(&["check", &empty.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("error: no `.vxs` file in `{}`", empty.display())),
        "{}",
        text(&out.stderr)
    );

    // fmt: the clean file is formatted; the broken one has a syntax error.
    let deep = root.join("b");
    let out = vixshield(&["fmt", "--check", &deep.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = vixshield(&["fmt", "--check", &r]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("a.vxs` has syntax errors"),
        "{}",
        text(&out.stderr)
    );
    let out = vixshield(&["fmt", "--stdout", &r]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`--stdout` formats one file; 2 were given"));
    assert!(out.stdout.is_empty());
}

/// Every flag that takes a value, in every command, takes a negative number
/// as that value (`plugin new --inputs -1`, `--format -1`, `--out -1`), used
/// or refused with the flag's own message, never read as an unknown flag
/// `-1` ("unexpected argument '-1' found ... use '-- -1'"). The flags are
/// read from the command line's own definition, so a new one is covered.
#[test]
fn a_negative_number_after_any_flag_is_its_value() {
    use clap::CommandFactory as _;
    fn flags(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for a in cmd.get_arguments() {
            if let Some(long) = a.get_long()
                && a.get_action().takes_values()
            {
                let mut args = path.to_vec();
                args.extend([format!("--{long}"), "-1".to_string()]);
                out.push(args);
            }
        }
        for sub in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            flags(sub, &p, out);
        }
    }
    let mut cases = Vec::new();
    flags(&vixshield::cli::Cli::command(), &[], &mut cases);
    assert!(cases.len() > 50, "{cases:?}");
    assert!(
        cases
            .iter()
            .any(|c| c.join(" ") == "plugin new --inputs -1")
    );
    // In an empty folder: without their required arguments, no command
    // does any work or writes anything.
    let dir = tempfile::tempdir().unwrap();
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = crate::common::vixshield_in(dir.path(), &args);
        let err = text(&out.stderr);
        assert!(!err.contains("unexpected argument '-1'"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // The count flags say what is wrong with the number.
    for (args, want) in [
        (
            &["plugin", "new", "x", "--inputs", "-1"][..],
            "a plugin takes 1 to 64 input series, not -1",
        ),
        (
            &["backtest", "strategies/spx-mastery.vxs", "--worst", "-1"],
            "`-1` is negative; give a whole number, 0 or more",
        ),
        (
            &["backtest", "strategies/spx-mastery.vxs", "--worst", "1.5"],
            "`1.5` is not a whole number",
        ),
        // A whole number past the type's range is too large, not "not a
        // whole number".
        (
            &[
                "backtest",
                "strategies/spx-mastery.vxs",
                "--worst",
                "99999999999999999999999",
            ],
            "`99999999999999999999999` is too large: at most 18446744073709551615",
        ),
        // The seed had Rust's own words ("invalid digit found in string"),
        // and `--run -1` was told "0 or more", where 0 is refused too.
        (
            &[
                "risk",
                "--loss-rate",
                "0.2",
                "--trades",
                "10",
                "--seed",
                "-1",
            ],
            "`-1` is negative; give a whole number, 0 or more",
        ),
        (
            &[
                "risk",
                "--loss-rate",
                "0.2",
                "--trades",
                "10",
                "--run",
                "-1",
            ],
            "`-1` is negative; give a whole number, 1 or more: a run is at least one loss",
        ),
        (
            &["risk", "--loss-rate", "0.2", "--trades", "10", "--run", "0"],
            "`0` is too small; give a whole number, 1 or more: a run is at least one loss",
        ),
        (
            &[
                "plugin",
                "new",
                "x",
                "--inputs",
                "99999999999999999999999999999999999999999",
            ],
            "a plugin takes 1 to 64 input series, not 99999999999999999999999999999999999999999",
        ),
    ] {
        let out = vixshield(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(want),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// `check --explain`'s shares of capital round half away from zero, as
/// every figure vixshield shows: a base of $12,345 on $100,000 is 12.35%
/// (it rounded half to even, 12.34%), in the table and in the cycle line.
#[test]
fn explain_rounds_shares_of_capital_half_away_from_zero() {
    let mut edited = std::fs::read_to_string("strategies/conservative.vxs").expect("read");
    for (from, to) in [
        ("base = 1% of capital", "base = $12,345"),
        ("steps = 3", "steps = 2"),
        ("round = down $100", "round = nearest $0.01"),
        ("layer_cap = 8% of capital", "layer_cap = 20% of capital"),
        ("total_cap = 6% of capital", "total_cap = 30% of capital"),
        ("exposure <= 10% of capital", "exposure <= 50% of capital"),
    ] {
        assert!(edited.contains(from), "{from}");
        edited = edited.replace(from, to);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tie.vxs");
    std::fs::write(&path, edited).expect("written");
    let out = vixshield(&["check", "--explain", path.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let step1 = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .expect("step 1's row");
    assert!(step1.contains("$12,345     12.35%"), "{step1}");
}

/// `check --explain` derives each step as `run` does when a journal loses
/// the ladder's whole sizes: the layer cap with its arithmetic when it is a
/// percentage of equity, or one that rounding changed (`capped at 3.33% of
/// capital $100,000 = $3,330 → down $100 = $3,300`), where the ladder read
/// `capped at $3,300` beside `run`'s arithmetic for the same step.
#[test]
fn explain_derives_each_step_as_run_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "strategies/spx-mastery.vxs",
            vec![("layer_cap = 10% of capital", "layer_cap = 3.33% of capital")],
            // The progression journal's losses: $1,000, $1,800, $2,900, capped.
            "date,pnl\n2024-01-19,-1000\n2024-02-23,-1800\n2024-03-22,-2900\n",
            "capped at 3.33% of capital $100,000 = $3,330 → down $100 = $3,300",
        ),
        (
            "strategies/aggressive.vxs",
            vec![
                (
                    "multiplier = 2x",
                    "multiplier = 2x\n    layer_cap = 5% of equity",
                ),
                ("round = nearest $100", "round = down $100"),
            ],
            // 2% of $100,000; $4,000 under 5% of $98,000; then 5% of
            // $94,000 = $4,700 and 5% of $89,300 = $4,465 → $4,400.
            "date,pnl\n2024-01-19,-2000\n2024-02-23,-4000\n2024-03-22,-4700\n",
            "capped at 5% of equity $89,300 = $4,465 → down $100 = $4,400",
        ),
    ];
    for (i, (file, edits, journal, capped)) in cases.into_iter().enumerate() {
        let mut text_ = std::fs::read_to_string(file).expect("read");
        for (from, to) in edits {
            assert!(text_.contains(from), "{from}");
            text_ = text_.replace(from, to);
        }
        let s = dir.path().join(format!("s{i}.vxs"));
        let j = dir.path().join(format!("j{i}.csv"));
        std::fs::write(&s, text_).expect("written");
        std::fs::write(&j, journal).expect("written");
        let (s, j) = (s.to_str().expect("utf-8"), j.to_str().expect("utf-8"));
        let out = vixshield(&["check", "--explain", "--format", "json", s]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let ladder: Vec<String> = v["exposure"][0]["exposure"]["rungs"]
            .as_array()
            .expect("rungs")
            .iter()
            .map(|r| r["derivation"].as_str().unwrap_or("").to_string())
            .collect();
        let out = vixshield(&["run", s, "--journal", j, "--no-market", "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let run: Vec<String> = v
            .as_array()
            .expect("decisions")
            .iter()
            .map(|d| {
                let line = d["derivation"]
                    .as_array()
                    .and_then(|l| {
                        l.iter()
                            .filter_map(|x| x.as_str())
                            .find(|x| x.starts_with("step "))
                    })
                    .unwrap_or("");
                // `step 3: ...; max loss ...`: the size's derivation.
                let size = line.split_once(": ").map_or("", |(_, rest)| rest);
                size.split("; max loss").next().unwrap_or("").to_string()
            })
            .collect();
        assert_eq!(ladder.len(), 4);
        assert_eq!(run, ladder, "{file}");
        assert!(ladder.iter().any(|l| l.ends_with(capped)), "{ladder:?}");
    }
}

// ------------------------------------------- --no-market keeps the calendar

/// The blackout guard of `vixshield STRATEGY ... --no-market` over `journal`
/// (the last decision's, for `run`): its outcome and reason, and the exit.
fn blackout_without_market(
    strategy: &str,
    journal: &str,
    calendar: Option<&str>,
) -> (String, String, bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = dir.path().join("j.csv");
    std::fs::write(&j, journal).expect("written");
    let j = j.to_str().expect("utf-8");
    let mut args = vec!["run", strategy, "--journal", j, "--no-market"];
    if let Some(c) = calendar {
        args.extend(["--calendar", c]);
    }
    args.extend(["--format", "json"]);
    let out = vixshield(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let last = v.as_array().and_then(|d| d.last()).expect("a decision");
    let g = last["guards"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["kind"] == "blackout")
        .expect("the blackout");
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    (
        s(&g["outcome"]),
        s(&g["reason"]),
        last["blocked"].as_bool().expect("blocked"),
    )
}

/// docs/commands.md: `--no-market` keeps the bundled calendar, so the day
/// before an FOMC meeting (2024-01-31) the blackout blocks in `next`, `run`
/// and `diff --journal` as it does with market data; it was `unknown` (`no
/// market data`).
#[test]
fn no_market_keeps_the_bundled_calendar_for_the_blackout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = dir.path().join("j.csv");
    std::fs::write(&journal, "date,pnl\n2024-01-19,-900\n2024-01-30,500\n").expect("written");
    let j = journal.to_str().expect("utf-8");
    let out = vixshield(&[
        "next",
        "strategies/spx-mastery.vxs",
        "--journal",
        j,
        "--no-market",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let human = text(&out.stdout);
    assert!(
        human.contains("\nBLOCKED: a guard blocks a new entry now"),
        "{human}"
    );
    assert!(
        human.contains(
            "guard no entry within 1d of FOMC, CPI, PPI: blocked (FOMC on 2024-01-31, 1 day away)"
        ),
        "{human}"
    );
    assert!(
        human.contains(
            "\nmarket: none (--no-market): every signal, trigger and guard reading it is unknown; \
             the blackout reads the event calendar alone, its window counted from 2024-01-30 \
             (the last trade's date)\n"
        ),
        "{human}"
    );
    // Only the market's guards are unknown.
    assert!(
        human.contains("guard quick_ratio >= 1.4 under 3 sigma: unknown (no market data"),
        "{human}"
    );
    let out = vixshield(&[
        "next",
        "strategies/spx-mastery.vxs",
        "--journal",
        j,
        "--no-market",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["decision"]["blocked"], true, "{v}");
    let (outcome, reason, blocked) = blackout_without_market(
        "strategies/spx-mastery.vxs",
        "date,pnl\n2024-01-19,-900\n2024-01-30,500\n",
        None,
    );
    assert_eq!(
        (outcome.as_str(), reason.as_str(), blocked),
        ("blocked", "FOMC on 2024-01-31, 1 day away", true)
    );
    // diff --journal: the version without the guard is not blocked there.
    let text_ = std::fs::read_to_string("strategies/spx-mastery.vxs").expect("read");
    assert!(text_.contains("no entry within 1d of FOMC, CPI, PPI"));
    let unguarded = dir.path().join("unguarded.vxs");
    std::fs::write(
        &unguarded,
        text_.replace("no entry within 1d of FOMC, CPI, PPI", ""),
    )
    .expect("written");
    let out = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        unguarded.to_str().expect("utf-8"),
        "--journal",
        j,
        "--no-market",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let changed = v["changed"].as_array().expect("changed");
    assert!(
        changed
            .iter()
            .any(|c| c["trade"] == 2 && c["old_blocked"] == true && c["new_blocked"] == false),
        "{v}"
    );
}

/// A `--calendar` file given with `--no-market` is used, not only checked:
/// its FOMC on 2024-01-06 blocks conservative's 2-day window from
/// 2024-01-05, which the bundled calendar alone lets pass (the next events
/// are the CPI of 01-11 and the PPI of 01-12).
#[test]
fn no_market_honours_a_calendar_file() {
    let journal = "date,pnl\n2024-01-05,100\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let calendar = dir.path().join("cal.csv");
    std::fs::write(&calendar, "date,event\n2024-01-06,FOMC\n").expect("written");
    let (outcome, reason, blocked) =
        blackout_without_market("strategies/conservative.vxs", journal, calendar.to_str());
    assert_eq!(
        (outcome.as_str(), reason.as_str(), blocked),
        ("blocked", "FOMC on 2024-01-06, 1 day away", true)
    );
    // The file's event, not the bundled calendar's: without it, a pass.
    let (outcome, _, blocked) =
        blackout_without_market("strategies/conservative.vxs", journal, None);
    assert_eq!((outcome.as_str(), blocked), ("pass", false));
}

/// Far from any event (2024-01-05: the next ones are the CPI of 01-11,
/// the PPI of 01-12 and the FOMC of 01-31) the blackout passes under
/// `--no-market`, and `next` says no BLOCKED; past the calendar's CPI and
/// PPI dates it stays unknown, saying where they end.
#[test]
fn no_market_passes_the_blackout_far_from_any_event() {
    let (outcome, reason, blocked) = blackout_without_market(
        "strategies/spx-mastery.vxs",
        "date,pnl\n2024-01-05,100\n",
        None,
    );
    assert_eq!(
        (outcome.as_str(), reason.as_str(), blocked),
        ("pass", "", false)
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = dir.path().join("j.csv");
    std::fs::write(&journal, "date,pnl\n2024-01-05,100\n").expect("written");
    let out = vixshield(&[
        "next",
        "strategies/spx-mastery.vxs",
        "--journal",
        journal.to_str().expect("utf-8"),
        "--no-market",
    ]);
    let human = text(&out.stdout);
    assert!(!human.contains("BLOCKED"), "{human}");
    assert!(
        human.contains("guard no entry within 1d of FOMC, CPI, PPI: pass (no event in the window)"),
        "{human}"
    );
    let (outcome, reason, _) = blackout_without_market(
        "strategies/spx-mastery.vxs",
        "date,pnl\n2026-07-10,100\n",
        None,
    );
    assert_eq!(outcome, "unknown");
    assert!(
        reason.ends_with(
            "CPI known to 2026-06-10, PPI known to 2026-06-11; add later dates with --calendar"
        ),
        "{reason}"
    );
}

/// `check --format github` gives one GitHub Actions workflow command a
/// diagnostic on stdout, at the file, line and columns the JSON gives, with
/// the code as its title and the help on a line of its own; the human
/// diagnostics stay on stderr for the log, and the exit status is as ever.
#[test]
fn check_format_github_annotates_each_diagnostic() {
    let dir = tempfile::tempdir().expect("a folder");
    let text_of = std::fs::read_to_string("strategies/aggressive.vxs").expect("aggressive");
    // A comma in the name and a `%` in a message: both escaped.
    let path = dir.path().join("a,b.vxs");
    std::fs::write(&path, &text_of).expect("file");
    let p = path.to_string_lossy().to_string();
    let e = "tests/cases/check/e0104_unknown_setting.vxs";
    let missing = dir.path().join("gone.vxs");
    let m = missing.to_string_lossy().to_string();

    let json = vixshield(&["check", "--format", "json", e, &p]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).expect("json");
    assert!(entries.len() >= 2, "{entries:?}");

    let out = vixshield(&["check", "--format", "github", e, &p, &m]);
    assert_eq!(out.status.code(), Some(2), "a file that cannot be read");
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), entries.len() + 1, "{lines:?}");
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    for (entry, line) in entries.iter().zip(&lines) {
        let (l, c, el, ec) = (
            entry["line"].as_u64().expect("line"),
            entry["column"].as_u64().expect("column"),
            entry["end_line"].as_u64().expect("end line"),
            entry["end_column"].as_u64().expect("end column"),
        );
        let place = if el == l {
            format!("line={l},col={c},endColumn={}", (ec - 1).max(c))
        } else {
            format!("line={l},endLine={el}")
        };
        let mut message = entry["message"].as_str().expect("message").to_string();
        if let Some(help) = entry["help"].as_str() {
            message = format!("{message}\nhelp: {help}");
        }
        let want = format!(
            "::{} file={},{place},title={}::{}",
            entry["severity"].as_str().expect("severity"),
            entry["file"]
                .as_str()
                .expect("file")
                .replace('%', "%25")
                .replace(':', "%3A")
                .replace(',', "%2C"),
            entry["code"].as_str().expect("code"),
            escape(&message)
        );
        assert_eq!(line, &want);
    }
    // The two kinds, spelt out once.
    assert!(
        lines.contains(&format!(
            "::error file={e},line=20,col=5,endColumn=14,title=E0104::`sizing` has no setting \
             `multiplyer`%0Ahelp: did you mean `multiplier`?"
        )),
        "{lines:?}"
    );
    let comma = p.replace(',', "%2C");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "::warning file={comma},line=22,col=1,endColumn=6,title=W0103::"
        )) && l.contains("(30%25 of capital)%0Ahelp: ")),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some(format!("::error file={m},title=io::cannot read `{m}`: no such file").as_str())
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("error[E0104]: `sizing` has no setting `multiplyer`"),
        "{err}"
    );
    assert!(
        err.ends_with("checked 3 files: 2 errors, 1 warning (1 file could not be read)\n"),
        "{err}"
    );

    // A clean file: nothing on stdout, exit 0.
    let out = vixshield(&["check", "--format", "github", "strategies/spx-mastery.vxs"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

/// `fmt --check --format github` annotates each file that is not formatted
/// at its first difference, and each syntax error where it is; `--format`
/// without `--check` is a usage error.
#[test]
fn fmt_check_format_github_annotates_unformatted_files() {
    let dir = tempfile::tempdir().expect("a folder");
    let loose = dir.path().join("loose.vxs");
    std::fs::write(
        &loose,
        "strategy \"x\" {\nversion = 1.0.0\n    language = 1\n}\n",
    )
    .expect("file");
    let broken = dir.path().join("broken.vxs");
    std::fs::write(&broken, "strategy \"x\" {\n    version = \n}\n").expect("file");
    let (l, b) = (loose.to_string_lossy(), broken.to_string_lossy());
    let out = vixshield(&[
        "fmt",
        "--check",
        "--format",
        "github",
        &l,
        "strategies/spx-mastery.vxs",
        &b,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "::error file={l},line=2,title=fmt::`{l}` is not formatted (first difference at line 2)\
             %0Ahelp: run `vixshield fmt {l}`\n\
             ::error file={b},line=2,col=14,endColumn=14,title=E0001::expected a value, found end of \
             line%0Ahelp: the value is missing\n"
        )
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "`{l}` is not formatted (first difference at line 2)"
        )),
        "{err}"
    );
    assert!(err.contains("error[E0001]"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&loose)
            .expect("loose")
            .lines()
            .nth(1),
        Some("version = 1.0.0")
    );

    // A file or folder that cannot be read is annotated as `check` does
    // it, and the command to run is one shell word however the name is
    // spelt.
    let odd = dir.path().join("my strat's.vxs");
    std::fs::write(
        &odd,
        "strategy \"x\" {\nversion = 1.0.0\n    language = 1\n}\n",
    )
    .expect("file");
    let o = odd.to_string_lossy();
    let missing = dir.path().join("gone.vxs");
    let m = missing.to_string_lossy();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("folder");
    let e = empty.to_string_lossy();
    let out = vixshield(&["fmt", "--check", "--format", "github", &o, &m, &e]);
    assert_eq!(out.status.code(), Some(2));
    let quoted = format!("'{}'", o.replace('\'', "'\\''"));
    assert_eq!(
        text(&out.stdout),
        format!(
            "::error file={o},line=2,title=fmt::`{o}` is not formatted (first difference at line \
             2)%0Ahelp: run `vixshield fmt {quoted}`\n\
             ::error file={m},title=io::cannot read `{m}`: no such file\n\
             ::error file={e},title=io::no `.vxs` file in `{e}`\n"
        )
    );
    let sh = std::process::Command::new("sh")
        .args(["-c", &format!("printf '%s\\n' {quoted}")])
        .output()
        .expect("sh runs");
    assert_eq!(text(&sh.stdout), format!("{o}\n"), "one word, the name");

    // A pipe gets no command to run: `fmt` cannot rewrite it.
    let out = crate::common::command_in(
        Path::new("."),
        &["fmt", "--check", "--format", "github", "/dev/stdin"],
    )
    .stdin(std::fs::File::open(&loose).expect("loose"))
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "::error file=/dev/stdin,line=2,title=fmt::`/dev/stdin` is not formatted (first difference at line 2)\n"
    );

    let out = vixshield(&["fmt", "--format", "github", &l]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--check"),
        "{}",
        text(&out.stderr)
    );
}

/// `vixshield completions bash` prints a script that bash loads and that
/// completes the commands, their flags and a flag's values from the CLI's
/// own definition; an unknown shell is a usage error.
#[test]
fn completions_complete_commands_flags_and_values_in_bash() {
    let out = vixshield(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dir = tempfile::tempdir().expect("a folder");
    let script = dir.path().join("vixshield.bash");
    std::fs::write(&script, &out.stdout).expect("script");
    // Each case: the words typed so far, the one being completed last.
    let complete = |words: &[&str]| {
        let cword = words.len() - 1;
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _vixshield vixshield '{}' '{}'; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            quoted.join(" "),
            words[cword],
            words[cword - 1],
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &program])
            .output()
            .expect("bash runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(complete(&["vixshield", "che"]), ["check"]);
    assert_eq!(
        complete(&["vixshield", "check", "--format", ""]),
        ["human", "json", "github"]
    );
    assert_eq!(complete(&["vixshield", "backtest", "--tr"]), ["--trades"]);
    // `sweep --rank` offers the metrics, not file names.
    let metrics = complete(&["vixshield", "sweep", "--rank", ""]);
    assert_eq!(
        metrics,
        vixshield::sweep::METRICS
            .iter()
            .map(|(name, _)| name.to_string())
            .collect::<Vec<_>>()
    );
    let plugin = complete(&["vixshield", "plugin", ""]);
    for sub in ["list", "inspect", "test"] {
        assert!(plugin.iter().any(|w| w == sub), "{plugin:?}");
    }

    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = vixshield(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        // Each names `check`'s `--deny-warnings` (fish without its dashes).
        assert!(text(&out.stdout).contains("deny-warnings"), "{shell}");
    }
    let out = vixshield(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("[possible values: bash, elvish, fish, powershell, zsh]"));
}

/// A market whose calendar series is not VIX (`--market spx=FILE` alone)
/// says that series' last bar where the data ends; it said "VIX's" for
/// SPX's last row.
#[test]
fn the_end_of_the_market_data_names_the_series_that_ends_it() {
    let dir = tempfile::tempdir().expect("a folder");
    let spx = std::fs::read_to_string("data/spx-daily.csv").expect("bundled SPX");
    let cut: String = spx.lines().take(5000).map(|l| format!("{l}\n")).collect();
    let last = cut
        .lines()
        .last()
        .and_then(|l| l.split(',').next())
        .expect("a last date")
        .to_string();
    let file = dir.path().join("spx.csv");
    std::fs::write(&file, cut).expect("file");
    let market = format!("spx={}", file.display());
    let out = vixshield(&[
        "next",
        "strategies/spx-mastery.vxs",
        "--journal",
        "tests/fixtures/journals/progression.csv",
        "--market",
        &market,
    ]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "the market data ends on {last} (SPX's last bar), more than 5 days before 2024-05-17"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("VIX's last bar"), "{stdout}");
}

/// A new account's first `next` has no day to judge its market guards on:
/// the UNGUARDED line says to give `--on DATE`; with it, they are judged.
#[test]
fn a_new_accounts_first_next_says_to_give_the_entry_day() {
    let dir = tempfile::tempdir().expect("a folder");
    let journal = dir.path().join("new.csv");
    std::fs::write(&journal, "date,pnl,credit,hedge_pnl\n").expect("file");
    let j = journal.to_string_lossy();
    let hint =
        "\n  no trade yet, so no day to judge them on: give `--on DATE`, the day you enter\n";
    let out = vixshield(&["next", "strategies/spx-mastery.vxs", "--journal", &j]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("\nUNGUARDED: "), "{stdout}");
    assert!(stdout.contains(hint), "{stdout}");
    let out = vixshield(&[
        "next",
        "strategies/spx-mastery.vxs",
        "--journal",
        &j,
        "--on",
        "2025-07-29",
    ]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("\nBLOCKED: "), "{stdout}");
    assert!(!stdout.contains(hint), "{stdout}");
}

/// What `vixshield signal vix` writes (`date,value`) fed back as a market
/// file is refused with the rename that makes it one.
#[test]
fn a_signal_output_given_as_market_data_says_to_name_its_column_close() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = vixshield(&["signal", "vix", "--to", "2000-02-01"]);
    assert_eq!(out.status.code(), Some(0));
    let file = dir.path().join("vix.csv");
    std::fs::write(&file, &out.stdout).expect("file");
    let market = format!("vix={}", file.display());
    let out = vixshield(&["signal", "vix", "--market", &market]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}:1:1: missing required column `close` in header `date,value` (if `value` is \
             the day's close, as `vixshield signal vix` writes it, name it `close`)\n",
            file.display()
        )
    );
}

/// `plugin list` where no `vixshield.toml` marks a project says how one
/// would make its `plugins/` found.
#[test]
fn plugin_list_outside_a_project_says_what_marks_one() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = crate::common::vixshield_in(dir.path(), &["plugin", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "plugin folders: none: no `plugins/` here and no `--plugins DIR`\n(a `vixshield.toml`, \
         even an empty one, marks a project's root: its `plugins/` is found from any folder \
         below it)\nno plugins found\n"
    );
    std::fs::write(dir.path().join("vixshield.toml"), "").expect("file");
    let out = crate::common::vixshield_in(dir.path(), &["plugin", "list"]);
    assert!(
        !text(&out.stdout).contains("marks a project's root"),
        "{}",
        text(&out.stdout)
    );
}

/// Each missing required section's help is a section to paste, one
/// setting a line: the four helps of an empty file, pasted as they are,
/// make a strategy that checks clean and is already formatted. The
/// `account` help was the one-line `account { capital = $100,000 }`.
#[test]
fn the_missing_sections_helps_paste_into_a_strategy_that_checks() {
    let dir = tempfile::tempdir().expect("a folder");
    let empty = dir.path().join("empty.vxs");
    std::fs::write(&empty, "// nothing yet\n").expect("file");
    let out = vixshield(&["check", "--format", "json", &empty.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let sections: Vec<String> = entries
        .iter()
        .map(|e| {
            assert_eq!(e["code"], "E0103", "{e}");
            let help = e["help"].as_str().expect("a help");
            let (intro, section) = help.split_once(":\n").expect("a section after the intro");
            assert!(intro.ends_with("one setting a line"), "{help}");
            section.to_string()
        })
        .collect();
    assert_eq!(sections.len(), 4, "{entries:?}");
    assert!(
        sections.iter().any(|s| s.starts_with("account {\n")),
        "{sections:?}"
    );
    let pasted = dir.path().join("pasted.vxs");
    std::fs::write(&pasted, format!("{}\n", sections.join("\n\n"))).expect("file");
    let p = pasted.to_string_lossy();
    let out = vixshield(&["check", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).ends_with("checked 1 file: 0 errors, 0 warnings\n"));
    let out = vixshield(&["fmt", "--check", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// `diff --journal` simulates nothing, so the backtest's model flags are
/// refused with it, as `--from` is, instead of running as if they were not
/// given; with `--backtest` they apply.
#[test]
fn diff_over_a_journal_refuses_the_backtest_model_flags() {
    let (old, new) = ("strategies/spx-mastery.vxs", "strategies/conservative.vxs");
    let journal = "tests/fixtures/journals/progression.csv";
    for (flag, value) in [
        ("--commission", "1"),
        ("--slippage", "0.1"),
        ("--put-skew", "0.05"),
        ("--call-skew", "-0.05"),
        ("--vol-of-vol", "1"),
        ("--hedge-otm", "1.3"),
        ("--spread-width", "2"),
    ] {
        let out = vixshield(&["diff", old, new, "--journal", journal, flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(out.stdout.is_empty(), "{flag}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "error: the argument '--journal <FILE>' cannot be used with '{flag} <"
            )),
            "{flag}: {err}"
        );
    }
    // `diff --help` says so, flag by flag; `backtest --help` does not.
    let help = text(&vixshield(&["diff", "--help"]).stdout);
    assert!(
        help.contains("--call-skew <CALL_SKEW>\n          With `--backtest`: volatility added"),
        "{help}"
    );
    let help = text(&vixshield(&["backtest", "--help"]).stdout);
    assert!(!help.contains("With `--backtest`"), "{help}");

    let range = ["--from", "2008-01-01", "--to", "2008-03-01"];
    let mut plain = vec!["diff", old, new, "--backtest", "--format", "json"];
    plain.extend_from_slice(&range);
    let mut skewed = plain.clone();
    skewed.extend_from_slice(&["--call-skew", "-0.05"]);
    let (a, b) = (vixshield(&plain), vixshield(&skewed));
    assert_eq!(b.status.code(), Some(1), "{}", text(&b.stderr));
    assert_ne!(a.stdout, b.stdout, "the skew changes the backtests");
}

/// `next --format json`'s decision has `run`'s keys in `run`'s order (the
/// order docs/engine.md lists them in), its hedges' and guards' too; a
/// `json!` map had sorted them, so a script reading text saw two orders.
/// The document's own keys are in the documented order.
#[test]
fn next_json_keeps_runs_key_order() {
    let (strategy, journal) = (
        "strategies/spx-mastery.vxs",
        "tests/fixtures/journals/progression.csv",
    );
    // Key order as written, read without a map that sorts.
    fn keys(text: &str, depth_wanted: usize) -> Vec<String> {
        let (mut depth, mut keys, mut chars) = (0usize, Vec::new(), text.char_indices().peekable());
        while let Some((i, c)) = chars.next() {
            match c {
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                '"' => {
                    let mut end = i + 1;
                    while let Some((j, c)) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '"' {
                            end = j;
                            break;
                        }
                    }
                    let after = text[end + 1..].trim_start();
                    if depth == depth_wanted && after.starts_with(':') {
                        keys.push(text[i + 1..end].to_string());
                    }
                }
                _ => {}
            }
        }
        keys
    }
    let next = vixshield(&["next", strategy, "--journal", journal, "--format", "json"]);
    assert_eq!(next.status.code(), Some(0));
    let next = text(&next.stdout);
    assert_eq!(
        keys(&next, 1),
        ["decision", "derivation", "ruined_on", "on"]
    );
    let run = vixshield(&["run", strategy, "--journal", journal, "--format", "json"]);
    let run = text(&run.stdout);
    let last = run
        .lines()
        .rev()
        .find(|l| l.starts_with("  {"))
        .expect("a decision");
    let mut run_keys = keys(last, 1);
    assert_eq!(run_keys.pop().as_deref(), Some("derivation"));
    assert_eq!(run_keys[..4], ["trade", "date", "event", "pnl"]);
    // The decision's own keys sit at depth 2 of next's document.
    let decision = &next[next.find("\"decision\"").expect("decision")
        ..next.find("\"derivation\": [").expect("derivation")];
    assert_eq!(keys(decision, 1), run_keys);
    // Nested: each hedge's and guard's keys, as `run` writes them.
    let first_of = |doc: &str, list: &str| {
        let from = doc.find(&format!("\"{list}\":")).expect(list);
        let open = from + doc[from..].find('{').expect("an entry");
        // Its matching `}` (strings here hold no braces).
        let mut depth = 0;
        let close = open
            + doc[open..]
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .expect("its end")
                .0;
        keys(&doc[open..=close], 1)
    };
    for list in ["hedges", "guards"] {
        assert_eq!(first_of(decision, list), first_of(last, list), "{list}");
    }
}

/// A line end in a file's name is escaped in the human diagnostics' header,
/// so that under `--format github` no line of stderr is a workflow command
/// the name smuggled in (the annotation on stdout escapes it as its format
/// says).
#[test]
fn a_line_end_in_a_file_name_starts_no_line_of_its_own() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir
        .path()
        .join("x\n::warning file=README.md,line=1::injected\n.vxs");
    std::fs::copy("tests/cases/check/e0104_unknown_setting.vxs", &path).expect("copy");
    let p = path.to_string_lossy().to_string();
    let out = vixshield(&["check", "--format", "github", &p]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(!err.lines().any(|l| l.starts_with("::")), "{err}");
    assert!(
        err.contains("x\\u{a}::warning file=README.md,line=1::injected\\u{a}.vxs:20:5"),
        "{err}"
    );
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("::error file="), "{stdout}");

    // So in every message that names a file: a file that cannot be read, a
    // journal's bad row.
    let missing = dir.path().join("gone\n::warning::x\n.vxs");
    let out = vixshield(&["check", &missing.to_string_lossy()]);
    let err = text(&out.stderr);
    assert!(!err.lines().any(|l| l.starts_with("::")), "{err}");
    assert!(
        err.contains("gone\\u{a}::warning::x\\u{a}.vxs`: no such file"),
        "{err}"
    );
    let journal = dir.path().join("j\n::warning::x\n.csv");
    std::fs::write(&journal, "date,pnl\n2025-01-02,x\n").expect("journal");
    let out = vixshield(&[
        "run",
        "strategies/spx-mastery.vxs",
        "--journal",
        &journal.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(!err.lines().any(|l| l.starts_with("::")), "{err}");
    assert!(
        err.contains("j\\u{a}::warning::x\\u{a}.csv:2:12: "),
        "{err}"
    );
}

/// A span's annotation: columns on one line, `endLine` across lines, and a
/// span that ends just past a line end (column 1 of the next) ends on the
/// line before.
#[test]
fn github_annotations_place_spans_across_lines() {
    use vixshield::diag::{JsonDiagnostic, Severity, github_annotation};
    let at = |line, column, end_line, end_column| JsonDiagnostic {
        file: "s.vxs".into(),
        line,
        column,
        end_line,
        end_column,
        severity: Severity::Error,
        code: "E0001",
        message: "m".into(),
        help: None,
        label: None,
        related: Vec::new(),
    };
    let cases = [
        (
            at(3, 5, 3, 8),
            "::error file=s.vxs,line=3,col=5,endColumn=7,title=E0001::m",
        ),
        (
            at(3, 5, 3, 5),
            "::error file=s.vxs,line=3,col=5,endColumn=5,title=E0001::m",
        ),
        (
            at(3, 5, 6, 2),
            "::error file=s.vxs,line=3,endLine=6,title=E0001::m",
        ),
        (
            at(3, 5, 6, 1),
            "::error file=s.vxs,line=3,endLine=5,title=E0001::m",
        ),
        (at(3, 5, 4, 1), "::error file=s.vxs,line=3,title=E0001::m"),
        (at(0, 0, 0, 0), "::error file=s.vxs,title=E0001::m"),
    ];
    for (d, want) in cases {
        assert_eq!(github_annotation(&d), want);
    }
}

/// docs/commands.md says it gives every command and flag: every long flag of
/// every command (read from the command line's own definition, so a new one
/// is covered) is in a row of that command's table, or, for the flags that
/// several commands share, in the paragraph on them. An audit found a dozen
/// missing: `--no-plugin-cache`, `risk --avg-win`, `sweep --from`, the model
/// flags, `sweep merge --rank`.
#[test]
fn commands_md_gives_every_flag_of_every_command() {
    use clap::CommandFactory as _;
    let doc = std::fs::read_to_string(crate::common::root().join("docs/commands.md")).unwrap();
    // Documented once, beside the commands that take them.
    const SHARED: [&str; 13] = [
        "color",
        "market",
        "calendar",
        "no-market",
        "plugins",
        "no-plugin-cache",
        "commission",
        "slippage",
        "put-skew",
        "call-skew",
        "vol-of-vol",
        "hedge-otm",
        "spread-width",
    ];
    let shared_text: String = doc
        .lines()
        .filter(|l| !l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<(String, String)>) {
        for a in cmd.get_arguments() {
            if let Some(long) = a.get_long()
                && !["help", "version"].contains(&long)
            {
                out.push((path.join(" "), long.to_string()));
            }
        }
        for sub in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, out);
        }
    }
    let mut flags = Vec::new();
    walk(&vixshield::cli::Cli::command(), &[], &mut flags);
    assert!(flags.len() > 60, "{flags:?}");
    let mut missing = Vec::new();
    for (command, flag) in &flags {
        let name = format!("`--{flag}");
        let plain = format!("--{flag}");
        let documented = if SHARED.contains(&flag.as_str()) {
            shared_text.contains(&plain)
        } else {
            let head = format!("| `vixshield {command}");
            doc.lines()
                .filter(|l| {
                    l.strip_prefix(&head)
                        .is_some_and(|rest| rest.starts_with([' ', '`']))
                })
                .any(|l| {
                    [' ', '[', '(']
                        .iter()
                        .any(|c| l.contains(&format!("{c}{plain}")))
                        || l.contains(&name)
                })
        };
        if !documented {
            missing.push(format!("{command} --{flag}"));
        }
    }
    assert!(missing.is_empty(), "not in docs/commands.md: {missing:#?}");
}
