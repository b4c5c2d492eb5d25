//! The `--format json` contract, as a program reading it sees it: stdout is
//! one JSON document whatever the exit status, and a document that comes
//! with exit 1 says why in the data, not only on stderr.

use crate::common::{text, vixshield};

/// Stdout as JSON, strictly: `NaN` and `Infinity` are no JSON.
fn json(stdout: &[u8]) -> serde_json::Value {
    let s = text(stdout);
    assert!(
        !s.contains("NaN") && !s.contains("Infinity"),
        "not JSON: {s}"
    );
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// `plugin test` and `plugin list` exit 1 for a plugin no strategy can call
/// (its name is a built-in's or a series'); their JSON said nothing of it,
/// so a script saw a clean document beside a failing status. Each entry
/// now has `error`, as `plugin inspect`'s document has: the reason, or
/// `null`.
#[test]
fn plugin_json_says_why_it_fails() {
    let out = vixshield(&[
        "plugin",
        "test",
        "--format",
        "json",
        "tests/fixtures/plugins/lowest",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    let error = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error: {v}"));
    assert!(error.contains("built-in signal"), "{error}");
    assert!(text(&out.stderr).contains(error), "{}", text(&out.stderr));

    let out = vixshield(&[
        "plugin",
        "test",
        "--format",
        "json",
        "tests/fixtures/plugins/const_one",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(v["error"], serde_json::Value::Null, "{v}");

    let out = vixshield(&[
        "plugin",
        "list",
        "--format",
        "json",
        "--plugins",
        "tests/fixtures/plugins",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    let entries = v.as_array().unwrap_or_else(|| panic!("not a list: {v}"));
    let error = |name: &str| {
        let p = entries
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {v}"));
        assert!(p.get("error").is_some(), "{p}");
        p["error"].as_str().map(str::to_string)
    };
    assert_eq!(error("theta_decay"), None);
    assert_eq!(error("const_one"), None);
    assert!(error("lowest").is_some_and(|e| e.contains("built-in signal")));
    assert!(error("vix3m").is_some_and(|e| e.contains("market series")));
}

/// `max_loss` is money wherever a decision or a trade has it (`run`,
/// `next`, the backtest's trades); the max loss as a fraction of the credit
/// is `max_loss_pct` (`run`, `next`). `check --explain`'s rungs and a
/// journal `diff` called the fraction `max_loss` (`old_max_loss`), so the
/// same key held `"0.9"` in one command and `"900"` in the next.
#[test]
fn max_loss_is_money_and_its_fraction_is_max_loss_pct() {
    let out = vixshield(&[
        "check",
        "--explain",
        "--format",
        "json",
        "strategies/spx-mastery.vxs",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    let rung = &v["exposure"][0]["exposure"]["rungs"][0];
    assert_eq!(rung["max_loss_pct"], "0.9", "{rung}");
    assert!(rung.get("max_loss").is_none(), "{rung}");

    let out = vixshield(&[
        "run",
        "strategies/spx-mastery.vxs",
        "--journal",
        "tests/fixtures/journals/progression.csv",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(v[0]["max_loss_pct"], "0.9", "{}", v[0]);
    assert_eq!(v[0]["max_loss"], "900", "{}", v[0]);

    let out = vixshield(&[
        "diff",
        "strategies/spx-mastery.vxs",
        "strategies/aggressive.vxs",
        "--journal",
        "tests/fixtures/journals/progression.csv",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    let first = &v["changed"][0];
    assert_eq!(first["old_max_loss_pct"], "0.9", "{first}");
    assert_eq!(first["new_max_loss_pct"], "0.9", "{first}");
    assert!(first.get("old_max_loss").is_none(), "{first}");
    assert!(first.get("new_max_loss").is_none(), "{first}");
}
