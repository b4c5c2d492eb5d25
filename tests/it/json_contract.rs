//! The `--format json` contract, as a program reading it sees it: stdout is
//! one JSON document whatever the exit status, and a document that comes
//! with exit 1 says why in the data, not only on stderr.

use crate::common::{root, text, vixshield, vixshield_in};

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

/// `check --format json` answers with its list on every exit: a file it
/// cannot read is an `io` entry (exit 2). A plugin setup it could not make
/// (a `--plugins` folder that is not there, a broken `vixshield.toml`)
/// stopped it before any file with nothing on stdout, exit 1 or 2, and
/// a script reading the list read nothing. It is now the list's one entry:
/// `io` (exit 2) or `project` (exit 1), at the file and position it names.
#[test]
fn check_json_reports_a_plugin_setup_it_cannot_make() {
    let s = root().join("strategies/spx-mastery.vxs");
    let s = s.to_str().unwrap_or_else(|| panic!("a UTF-8 path"));
    let out = vixshield(&[
        "check",
        "--format",
        "json",
        "--plugins",
        "no/such/folder",
        s,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["code"], "io", "{v}");
    assert_eq!(v[0]["severity"], "error", "{v}");
    assert_eq!(v[0]["file"], "no/such/folder", "{v}");
    assert_eq!(v[0]["line"], 0, "{v}");

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("vixshield.toml"), "[plugins]\npaths = [\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = vixshield_in(dir.path(), &["check", "--format", "json", s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["code"], "project", "{v}");
    let file = v[0]["file"].as_str().unwrap_or_default();
    assert!(file.ends_with("vixshield.toml"), "{v}");
    assert_eq!(v[0]["line"], 2, "{v}");
    assert!(v[0]["column"].as_u64().is_some_and(|c| c > 0), "{v}");
    assert!(
        !v[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("vixshield.toml"),
        "{v}"
    );
    // With `--explain`, the same entry in the document's `diagnostics`.
    let out = vixshield_in(dir.path(), &["check", "--format", "json", "--explain", s]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(v["diagnostics"][0]["code"], "project", "{v}");
    assert_eq!(v["exposure"], serde_json::json!([]), "{v}");
    // A folder `vixshield.toml` lists that is not there: `io` (exit 2) at
    // its line, the message without the place the entry gives.
    std::fs::write(
        dir.path().join("vixshield.toml"),
        "[plugins]\npaths = [\"vendor\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = vixshield_in(dir.path(), &["check", "--format", "json", s]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(v[0]["code"], "io", "{v}");
    assert_eq!(v[0]["line"], 2, "{v}");
    let message = v[0]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("plugin folder `vendor`"), "{v}");
}

/// A guard's JSON keys follow its outcome, as docs/guards.md says
/// (`unknown` has no `value`): a program reading `value` must look at
/// `outcome` first. Pins each outcome's keys.
#[test]
fn a_guards_keys_follow_its_outcome() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = std::fs::read_to_string(root().join("strategies/spx-mastery.vxs"))
        .unwrap_or_else(|e| panic!("{e}"));
    let capped = dir.path().join("capped.vxs");
    std::fs::write(
        &capped,
        src.replace("wacc_impact < 18bps", "wacc_impact < 0.5bps"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let capped = capped.to_str().unwrap_or_else(|| panic!("a UTF-8 path"));
    let runs = [
        (capped, "tests/fixtures/journals/progression.csv"),
        (
            "strategies/conservative.vxs",
            "tests/fixtures/journals/spikes.csv",
        ),
    ];
    let mut seen = std::collections::BTreeMap::new();
    for (strategy, journal) in runs {
        let out = vixshield(&["run", strategy, "--journal", journal, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v = json(&out.stdout);
        for g in v
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|d| d["guards"].as_array().cloned().unwrap_or_default())
        {
            let outcome = g["outcome"].as_str().unwrap_or_default().to_string();
            let mut keys: Vec<String> = g
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            let was = seen.insert(outcome.clone(), keys.clone());
            assert!(was.is_none_or(|w| w == keys), "{outcome}: {g}");
            for input in g["inputs"].as_array().into_iter().flatten() {
                let k: Vec<&String> = input
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                assert_eq!(k, ["name", "value"], "{input}");
            }
        }
    }
    let keys = |ks: &[&str]| {
        let mut v: Vec<String> = ["guard", "kind", "outcome", "inputs"]
            .iter()
            .chain(ks)
            .map(|s| s.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(seen["pass"], keys(&["amount", "value", "limit"]));
    assert_eq!(
        seen["capped"],
        keys(&["from", "to", "value", "limit", "reason"])
    );
    assert_eq!(seen["blocked"], keys(&["value", "limit", "reason"]));
    assert_eq!(seen["unknown"], keys(&["reason"]));
}

/// The keys of a JSON object, sorted.
fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// `words` sorted, to compare with [`keys`].
fn sorted(words: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The backtest's `worst_cycles` and `unknown_guards` and `run --summary`'s
/// document hold the keys docs/backtest.md and docs/engine.md name for them (they were not named).
#[test]
fn backtest_and_summary_json_keys_are_as_documented() {
    let out = vixshield(&[
        "backtest",
        "strategies/spx-mastery.vxs",
        "--from",
        "2000-01-01",
        "--to",
        "2000-03-01",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert_eq!(
        keys(&v["worst_cycles"][0]),
        sorted(&[
            "start",
            "end",
            "trades",
            "max_step",
            "trough",
            "pnl",
            "hedge_pnl",
            "stopped_out"
        ]),
        "{v}"
    );
    assert_eq!(
        keys(&v["unknown_guards"][0]),
        sorted(&["guard", "entries"]),
        "{v}"
    );

    let out = vixshield(&[
        "run",
        "strategies/spx-mastery.vxs",
        "--journal",
        "tests/fixtures/journals/hedged.csv",
        "--summary",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    let overall = [
        "trades",
        "wins",
        "losses",
        "max_step_reached",
        "cycles_stopped_out",
        "condor_pnl",
        "hedge_pnl",
        "hedge_loss",
        "credit",
        "hedge_loss_to_credit",
        "irr",
    ];
    assert_eq!(
        keys(&v),
        sorted(&[
            "overall",
            "final_equity",
            "lowest_equity",
            "lowest_equity_on",
            "ruined_on",
            "cycles",
            "break_evens"
        ])
    );
    assert_eq!(keys(&v["overall"]), sorted(&overall), "{v}");
    let cycle: Vec<&str> = overall
        .iter()
        .copied()
        .chain(["number", "start", "end", "open"])
        .collect();
    assert_eq!(keys(&v["cycles"][0]), sorted(&cycle), "{v}");
    assert_eq!(
        keys(&v["break_evens"][0]),
        sorted(&["trade", "date", "lower", "upper"]),
        "{v}"
    );
    assert!(v["break_evens"][0]["lower"].is_string(), "{v}");
}

/// `plugin list --plugins` naming a folder that cannot be read is I/O
/// trouble, and its JSON is the list's one entry, as `check --format json`
/// gives it: it wrote nothing on stdout (the robustness audit).
#[test]
fn plugin_list_json_names_a_folder_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("nope");
    let missing = missing.to_str().unwrap_or_default();
    let out = vixshield_in(
        dir.path(),
        &["plugin", "list", "--plugins", missing, "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let list = v.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["manifest"], "nope", "{v}");
    assert!(
        list[0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("no such folder"),
        "{v}"
    );
    assert!(list[0]["name"].is_null(), "{v}");
    // The table says it on stderr only.
    let out = vixshield_in(dir.path(), &["plugin", "list", "--plugins", missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

/// `plugin list` exits 1 for a broken manifest or two plugins of one name;
/// its JSON listed neither (the broken one is no plugin, and both clashing
/// ones looked clean). A clash is now the `error` of both entries it names,
/// and a manifest that cannot be read an entry of its own: `manifest` and
/// `error`, its other keys `null`.
#[test]
fn plugin_list_json_holds_every_problem() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fixture = root().join("tests/fixtures/plugins/const_one");
    for side in ["a", "b"] {
        let to = dir.path().join(side).join("const_one");
        std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{e}"));
        for f in ["plugin.toml", "const_one.wasm"] {
            std::fs::copy(fixture.join(f), to.join(f)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let broken = dir.path().join("c").join("broken");
    std::fs::create_dir_all(&broken).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        broken.join("plugin.toml"),
        "name = \"broken\"\ncolour = 1\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let folder = |s: &str| dir.path().join(s).display().to_string();
    let (a, b, c) = (folder("a"), folder("b"), folder("c"));
    let out = vixshield(&[
        "plugin",
        "list",
        "--format",
        "json",
        "--plugins",
        &a,
        "--plugins",
        &b,
        "--plugins",
        &c,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    let entries = v.as_array().cloned().unwrap_or_default();
    let clashing: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|p| p["name"] == "const_one")
        .collect();
    assert_eq!(clashing.len(), 2, "{v}");
    for p in clashing {
        let e = p["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {p}"));
        assert!(e.contains("two plugins are named `const_one`"), "{e}");
    }
    let broken: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|p| {
            p["manifest"]
                .as_str()
                .is_some_and(|m| m.ends_with("broken/plugin.toml"))
        })
        .collect();
    assert_eq!(broken.len(), 1, "{v}");
    assert_eq!(broken[0]["name"], serde_json::Value::Null, "{v}");
    assert!(
        broken[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("colour")),
        "{v}"
    );
    // The same keys as a plugin's entry.
    assert_eq!(keys(broken[0]), keys(&entries[0]), "{v}");
}

/// `plugin inspect --format json` is the verdict, valid or not: every
/// document has the same keys (`null` where the plugin leaves one unknown:
/// no `tier` without a module that loads; `bytes`, `imports` and the rest
/// were left out instead), and a manifest that says something wrong (exit 1)
/// is a document too, `valid` false with the `error`, where stdout was
/// empty.
#[test]
fn plugin_inspect_json_has_every_key_valid_or_not() {
    let mut first: Option<Vec<String>> = None;
    for (plugin, code) in [
        ("plugins/theta_decay", 0),
        ("tests/fixtures/plugins/no_marker", 1),
        ("tests/fixtures/plugins/lowest", 1),
        ("tests/fixtures/plugins/bad_manifest", 1),
    ] {
        let out = vixshield(&["plugin", "inspect", "--format", "json", plugin]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{plugin}: {}",
            text(&out.stderr)
        );
        let v = json(&out.stdout);
        assert_eq!(v["valid"], code == 0, "{plugin}: {v}");
        assert_eq!(v["error"].is_string(), code != 0, "{plugin}: {v}");
        let k = keys(&v);
        assert!(k.contains(&"tier".to_string()), "{plugin}: {v}");
        match &first {
            None => first = Some(k),
            Some(f) => assert_eq!(&k, f, "{plugin}: {v}"),
        }
    }
    let out = vixshield(&[
        "plugin",
        "inspect",
        "--format",
        "json",
        "tests/fixtures/plugins/bad_manifest",
    ]);
    let v = json(&out.stdout);
    assert_eq!(
        v["manifest"], "tests/fixtures/plugins/bad_manifest/plugin.toml",
        "{v}"
    );
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("colour")),
        "{v}"
    );
    assert_eq!(v["name"], serde_json::Value::Null, "{v}");
}

/// A capital of $10^15 sizes condors of trillions, more contracts than a
/// trade records (`u32::MAX`): the backtest trades that many, less than
/// the size, and its JSON (valid, money as text) cannot say so; stderr now
/// does. A backtest of ordinary sizes says nothing.
#[test]
fn a_backtest_past_the_contract_limit_says_so() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = std::fs::read_to_string(root().join("strategies/spx-mastery.vxs"))
        .unwrap_or_else(|e| panic!("{e}"));
    let big = dir.path().join("big.vxs");
    std::fs::write(&big, src.replace("$100,000", "$1,000,000,000,000,000"))
        .unwrap_or_else(|e| panic!("{e}"));
    let big = big.to_str().unwrap_or_else(|| panic!("a UTF-8 path"));
    let range = [
        "--from",
        "2019-01-01",
        "--to",
        "2019-03-01",
        "--format",
        "json",
    ];
    let out = vixshield(&[&["backtest", big][..], &range[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    assert!(v["final_equity"].is_string(), "{v}");
    // The report's JSON counts them too, for a program reading it.
    assert_eq!(v["trades_at_contract_limit"], v["trades"], "{v}");
    assert_eq!(v["trades"], 2, "{v}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("hold 4294967295 contracts") && stderr.contains("the most a trade records"),
        "{stderr}"
    );
    let out = vixshield(&[&["backtest", "strategies/spx-mastery.vxs"][..], &range[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("4294967295"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(json(&out.stdout)["trades_at_contract_limit"], 0);
    // `diff --backtest` says it of the side it is true of.
    let out = vixshield(
        &[
            &["diff", "strategies/spx-mastery.vxs", big, "--backtest"][..],
            &range[..],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    json(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning: new: "), "{stderr}");
    assert!(!stderr.contains("warning: old: "), "{stderr}");
    // `risk --backtest` measures its returns from the same trades: said too.
    let out = vixshield(&[&["risk", big, "--backtest"][..], &range[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    json(&out.stdout);
    assert!(
        text(&out.stderr).contains("hold 4294967295 contracts"),
        "{}",
        text(&out.stderr)
    );
}

/// One condor past the contract limit is said in the singular: "1 condor
/// (entered ...) holds", not "1 condor (the first entered ...) hold"; two
/// or more keep the plural and say which was first.
#[test]
fn one_condor_past_the_contract_limit_is_said_in_the_singular() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = std::fs::read_to_string(root().join("strategies/spx-mastery.vxs"))
        .unwrap_or_else(|e| panic!("{e}"));
    let big = dir.path().join("big.vxs");
    std::fs::write(&big, src.replace("$100,000", "$1,000,000,000,000,000"))
        .unwrap_or_else(|e| panic!("{e}"));
    let big = big.to_str().unwrap_or_else(|| panic!("a UTF-8 path"));
    let warning = |to: &str| {
        let out = vixshield(&[
            "backtest",
            big,
            "--from",
            "2019-01-01",
            "--to",
            to,
            "--format",
            "json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v = json(&out.stdout);
        (v["trades"].clone(), text(&out.stderr))
    };
    let (trades, stderr) = warning("2019-01-20");
    assert_eq!(trades, 1, "{stderr}");
    assert!(
        stderr.contains(
            "warning: 1 condor (entered 2019-01-02) holds 4294967295 contracts, or hedges of \
             that many, the most a trade records: its size asked for more, and its max loss"
        ),
        "{stderr}"
    );
    let (trades, stderr) = warning("2019-03-01");
    assert_eq!(trades, 2, "{stderr}");
    assert!(
        stderr.contains(
            "warning: 2 condors (the first entered 2019-01-02) hold 4294967295 contracts, or \
             hedges of that many, the most a trade records: their size asked for more"
        ),
        "{stderr}"
    );
}

/// `check --format json` carries what the human output shows beside the
/// message: the note under the caret (`label`) and the other places the
/// diagnostic points at (`related`: a section given twice is "first
/// defined here", at its own line). Only the primary place was given, so
/// a program could not say where the first definition is.
#[test]
fn check_json_carries_the_label_and_the_related_places() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut src = std::fs::read_to_string(root().join("strategies/spx-mastery.vxs"))
        .unwrap_or_else(|e| panic!("{e}"));
    let first = src
        .lines()
        .position(|l| l.starts_with("roll {"))
        .unwrap_or_else(|| panic!("a roll section"))
        + 1;
    src.push_str("roll {\n    coefficient = 0.5\n}\n");
    let second = src.lines().count() - 2;
    let file = dir.path().join("dup.vxs");
    std::fs::write(&file, src).unwrap_or_else(|e| panic!("{e}"));
    let file = file.to_str().unwrap_or_else(|| panic!("a UTF-8 path"));
    let out = vixshield(&["check", "--format", "json", file, "no/such.vxs"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let v = json(&out.stdout);
    let d = &v[0];
    assert_eq!(d["code"], "E0102", "{v}");
    assert_eq!(d["line"], second, "{v}");
    assert_eq!(d["label"], "second definition", "{v}");
    assert_eq!(
        d["related"],
        serde_json::json!([{
            "line": first, "column": 1, "end_line": first, "end_column": 5,
            "message": "first defined here",
        }]),
        "{v}"
    );
    // Every entry has both keys, an unreadable file's too.
    let io = &v[1];
    assert_eq!(io["code"], "io", "{v}");
    assert_eq!(io["label"], serde_json::Value::Null, "{v}");
    assert_eq!(io["related"], serde_json::json!([]), "{v}");
}
