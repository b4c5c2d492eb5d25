#!/usr/bin/env python3
"""Bad-input audit of every vixshield command (rerunnable).

Runs the release binary on hostile inputs (files and flag values) and flags
what breaks the project's rules: a panic (exit 101 or `panicked`), a hang
(timeout), an exit status outside 0/1/2, output on stdout with an error
(partial output), or an error about a file's contents that does not name
`file:line:col`. Usage: `cargo build --release && scripts/audit_inputs.py [-v]`.
Exit 1 when anything is flagged.
"""
import os, re, subprocess, sys, tempfile, shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "vixshield")
STRAT = os.path.join(ROOT, "strategies", "conservative.vxs")
AGGR = os.path.join(ROOT, "strategies", "aggressive.vxs")
VERBOSE = "-v" in sys.argv
T = tempfile.mkdtemp(prefix="vx-audit-")
flagged = []


def f(name, data):
    p = os.path.join(T, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as h:
        h.write(data if isinstance(data, bytes) else data.encode())
    return p


def run(label, args, *, loc=None, ok=(0, 1, 2), data_on_error=False, cwd=None, stdin=None, env=None):
    """Runs one case. `loc`: a regex stderr must match (e.g. the file:line:col)."""
    e = dict(os.environ, NO_COLOR="1")
    e.setdefault("VIXSHIELD_CACHE_DIR", os.path.join(T, "cache"))
    if env:
        e.update(env)
    try:
        p = subprocess.run([BIN] + args, capture_output=True, timeout=20, cwd=cwd or T, input=stdin, env=e)
    except subprocess.TimeoutExpired:
        flagged.append((label, "HANG (timeout 20s)"))
        print(f"HANG  {label}")
        return
    err = p.stderr.decode(errors="replace")
    problems = []
    if p.returncode == 101 or "panicked" in err:
        problems.append("PANIC")
    if p.returncode not in ok:
        problems.append(f"exit {p.returncode} not in {ok}")
    if p.returncode != 0 and p.stdout and not data_on_error:
        problems.append(f"partial stdout ({len(p.stdout)} bytes)")
    if loc and not re.search(loc, err):
        problems.append(f"stderr lacks /{loc}/")
    first = err.strip().splitlines()[-1] if err.strip() else ""
    errline = next((l for l in err.splitlines() if l.startswith("error")), first)
    if problems:
        flagged.append((label, "; ".join(problems) + " :: " + errline[:200]))
        print(f"FLAG  {label}: {'; '.join(problems)}\n      {errline[:300]}")
    elif VERBOSE:
        print(f"ok    {label}: exit {p.returncode}: {errline[:200]}")


# ---------------------------------------------------------------- strategies
good = open(STRAT).read()
strategy_texts = {
    "empty": "",
    "bom_only": "\ufeff",
    "not_utf8": b"strategy \"x\" {\n\xff\xfe\x80\n}\n",
    "nul_bytes": "strategy \"x\" {\n\0\0\0\n}\n",
    "lone_cr": good.replace("\n", "\r"),
    "crlf_no_final_newline": good.replace("\n", "\r\n").rstrip(),
    "nbsp": good.replace("capital = $100,000", "capital\u00a0= $100,000"),
    "cyrillic_a": good.replace("capital = $100,000", "c\u0430pital = $100,000"),
    "huge_money": good.replace("$100,000", "$99999999999999999999999999999"),
    "huge_money_1e400": good.replace("$100,000", "$1e400"),
    "huge_percent": good.replace("risk_free_rate = 4.5%", "risk_free_rate = 1e400%"),
    "huge_digits_percent": good.replace("risk_free_rate = 4.5%", "risk_free_rate = 99999999999999999999999999999999%"),
    "neg_zero_beta": good.replace("beta = 1", "beta = -0"),
    "nan_beta": good.replace("beta = 1", "beta = NaN"),
    "inf_beta": good.replace("beta = 1", "beta = inf"),
    "huge_steps": good.replace("steps = 3", "steps = 99999999999999999999"),
    "steps_4b": good.replace("steps = 3", "steps = 4294967296"),
    "huge_mult": good.replace("multiplier = 1.6x", "multiplier = 99999999999999999999999x"),
    "tiny_mult": good.replace("multiplier = 1.6x", "multiplier = 1.0000000000000000000000000001x"),
    "huge_dte": good.replace("dte = 45d", "dte = 99999999999d"),
    "huge_dte_range": good.replace("dte = 21d..35d", "dte = 21d..4294967296d"),
    "huge_wing": good.replace("wing_width = 25pt", "wing_width = 1e30pt"),
    "huge_rsi_period": good.replace("rsi(vix, 14)", "rsi(vix, 99999999999999999999)"),
    "rsi_period_u32max": good.replace("rsi(vix, 14)", "rsi(vix, 4294967295)"),
    "sma_period_huge": good.replace("sma(vix, 20)", "sma(vix, 1000000000)"),
    "sigma_huge": good.replace("3 sigma", "1e300 sigma"),
    "within_huge_days": good.replace("within 2d", "within 99999999d"),
    "duplicate_section": good + "\naccount {\n    capital = $1\n}\n",
    "duplicate_key": good.replace("beta = 1", "beta = 1\n    beta = 2"),
    "version_huge": good.replace("version = 1.0.0", "version = 99999999999999999999.0.0"),
    "language_huge": good.replace("language = 1", "language = 99999999999999999999"),
    "long_line": good.replace("description = \"", "description = \"" + "x" * 200000),
    "deep_and": good.replace("trigger = rsi(vix, 14) > 65", "trigger = " + " and ".join(["vix > 1"] * 3000)),
    "deep_not": good.replace("trigger = rsi(vix, 14) > 65", "trigger = " + "not " * 3000 + "vix > 1"),
    "deep_minus": good.replace("trigger = rsi(vix, 14) > 65", "trigger = vix > " + "-" * 3000 + "1"),
    "number_tokens": good.replace("trigger = rsi(vix, 14) > 65", "trigger = vix > 1e400"),
    "number_tokens2": good.replace("trigger = rsi(vix, 14) > 65", "trigger = vix > 99999999999999999999999999999999999999"),
    "round_huge": good.replace("round = down $100", "round = down $99999999999999999999999999"),
    "cap_huge_pct": good.replace("layer_cap = 8% of capital", "layer_cap = 999999999999999999999999% of capital"),
    "tab_indent": good.replace("    ", "\t"),
}
strategy_files = {k: f(f"s/{k}.vxs", v) for k, v in strategy_texts.items()}
os.makedirs(os.path.join(T, "adir.vxs"), exist_ok=True)
strategy_files["directory"] = os.path.join(T, "adir.vxs")
strategy_files["missing"] = os.path.join(T, "nope.vxs")
journal_ok = f("j/ok.csv", "date,pnl,credit\n2024-01-05,-900,1000\n2024-02-05,500,1000\n")

for k, p in strategy_files.items():
    content_err = None if k in ("directory", "missing", "empty", "bom_only") else re.escape(os.path.basename(p)) + r":\d+:\d+"
    run(f"check {k}", ["check", p])
    run(f"check --format json {k}", ["check", "--format", "json", p], data_on_error=True)
    run(f"check --explain {k}", ["check", "--explain", p], data_on_error=False)
    run(f"fmt --stdout {k}", ["fmt", "--stdout", p])
    run(f"fmt --check {k}", ["fmt", "--check", p], data_on_error=True)
    run(f"graph {k}", ["graph", p])
    run(f"graph json {k}", ["graph", "--format", "json", p])
    run(f"run {k}", ["run", p, "--journal", journal_ok, "--no-market"])
    run(f"run json {k}", ["run", p, "--journal", journal_ok, "--format", "json"])
    run(f"next {k}", ["next", p, "--journal", journal_ok, "--no-market"])
    run(f"risk {k}", ["risk", p, "--loss-rate", "0.3", "--trades", "100"])
    run(f"signal --strategy {k}", ["signal", "vix", "--strategy", p, "--from", "2024-01-01"])
    run(f"diff {k}", ["diff", STRAT, p, "--journal", journal_ok, "--no-market"], data_on_error=True)

# Heavy commands on a few interesting files only.
for k in ("huge_money", "huge_mult", "tiny_mult", "huge_rsi_period", "sma_period_huge", "huge_dte", "huge_dte_range", "round_huge", "cap_huge_pct", "within_huge_days", "sigma_huge", "neg_zero_beta"):
    p = strategy_files[k]
    run(f"backtest {k}", ["backtest", p, "--from", "2019-01-01", "--to", "2020-12-31"])
    run(f"backtest json {k}", ["backtest", p, "--from", "2019-01-01", "--to", "2020-12-31", "--format", "json"])
    run(f"risk --paths {k}", ["risk", p, "--paths", "50", "--from", "2019-01-01", "--to", "2020-12-31"])
    run(f"diff --backtest {k}", ["diff", STRAT, p, "--backtest", "--from", "2019-01-01", "--to", "2020-12-31"], data_on_error=True)

# ------------------------------------------------------------------ journals
journals = {
    "empty": "",
    "bom_only": "\ufeff",
    "header_only_no_newline": "date,pnl",
    "not_utf8": b"date,pnl\n2024-01-05,\xff900\n",
    "lone_cr": "date,pnl\r2024-01-05,-900\r2024-01-06,100\r",
    "crlf": "date,pnl\r\n2024-01-05,-900\r\n2024-01-06,100",
    "nbsp_amount": "date,pnl\n2024-01-05,\u00a0-900\n",
    "cyrillic_header": "d\u0430te,pnl\n2024-01-05,-900\n",
    "date_0000": "date,pnl\n0000-01-01,-900\n",
    "date_9999": "date,pnl\n9999-12-31,-900\n",
    "date_feb29": "date,pnl\n2023-02-29,-900\n",
    "date_neg_year": "date,pnl\n-0001-01-01,-900\n",
    "date_5digit": "date,pnl\n+10000-01-01,-900\n",
    "nan_pnl": "date,pnl\n2024-01-05,NaN\n",
    "inf_pnl": "date,pnl\n2024-01-05,-inf\n",
    "exp_pnl": "date,pnl\n2024-01-05,1e3\n",
    "huge_pnl": "date,pnl\n2024-01-05,99999999999999999999999999999\n",
    "huge_pnl_frac": "date,pnl\n2024-01-05,7922816251426433759354395033.5\n",
    "neg_zero": "date,pnl,credit\n2024-01-05,-0,-0\n",
    "contracts_huge": "date,pnl,contracts\n2024-01-05,-900,99999999999999999999\n",
    "contracts_u32max": "date,pnl,credit,short_put,short_call,contracts\n2024-01-05,-900,1000,4500,4900,4294967295\n",
    "strikes_huge": "date,pnl,credit,short_put,short_call\n2024-01-05,-900,79228162514264337593543950335,79228162514264337593543950335,79228162514264337593543950335\n",
    "strikes_neg": "date,pnl,credit,short_put,short_call\n2024-01-05,-900,1000,-4500,-4900\n",
    "strike_inverted": "date,pnl,credit,short_put,short_call\n2024-01-05,-900,1000,4900,4500\n",
    "hedge_huge": "date,pnl,credit,hedge_pnl\n2024-01-05,-900,1000,79228162514264337593543950335\n2024-01-06,-900,1000,79228162514264337593543950335\n",
    "many_losses_huge_credit": "date,pnl,credit\n" + "".join(f"2024-01-{d:02},-79228162514264337593543950,79228162514264337593543950335\n" for d in range(1, 29)),
    "dup_header": "date,pnl,Date\n2024-01-05,-900,2024-01-05\n",
    "unclosed_quote": "date,pnl\n2024-01-05,\"-900\n",
    "long_line": "date,pnl\n2024-01-05," + "9" * 300000 + "\n",
    "many_columns": "date,pnl" + ",x" * 100000 + "\n2024-01-05,-900" + ",1" * 100000 + "\n",
    "tab_sep": "date\tpnl\n2024-01-05\t-900\n",
    "backwards": "date,pnl\n2024-01-06,-900\n2024-01-05,-900\n",
}
journal_files = {k: f(f"j/{k}.csv", v) for k, v in journals.items()}
journal_files["directory"] = T
journal_files["missing"] = os.path.join(T, "nope.csv")
for k, p in journal_files.items():
    run(f"run --journal {k}", ["run", STRAT, "--journal", p, "--no-market"])
    run(f"run --journal {k} market", ["run", STRAT, "--journal", p])
    run(f"run --summary json --journal {k}", ["run", STRAT, "--journal", p, "--summary", "--format", "json", "--no-market"])
    run(f"run csv --journal {k}", ["run", STRAT, "--journal", p, "--format", "csv"])
    run(f"next --journal {k}", ["next", STRAT, "--journal", p, "--credit", "$1,000"])
    run(f"risk --journal {k}", ["risk", STRAT, "--journal", p])
    run(f"risk nostrategy --journal {k}", ["risk", "--journal", p, "--run", "3"])
    run(f"diff --journal {k}", ["diff", STRAT, AGGR, "--journal", p, "--no-market"], data_on_error=True)

# ------------------------------------------------------------- market CSVs
vix_rows = "".join(f"2020-01-{d:02},{15 + d/10:.2f}\n" for d in range(2, 31))
markets = {
    "empty": "",
    "bom_only": "\ufeff",
    "header_only": "date,close\n",
    "no_final_newline": "date,close\n" + vix_rows.rstrip("\n"),
    "lone_cr": ("date,close\n" + vix_rows).replace("\n", "\r"),
    "not_utf8": b"date,close\n2020-01-02,1\xff5\n",
    "nan": "date,close\n2020-01-02,NaN\n",
    "nan_lower": "date,close\n2020-01-02,nan\n",
    "inf": "date,close\n2020-01-02,+Infinity\n",
    "1e400": "date,close\n2020-01-02,1e400\n",
    "1e308": "date,close\n2020-01-02,1e308\n2020-01-03,1e308\n",
    "neg_zero": "date,close\n2020-01-02,-0\n",
    "zero": "date,close\n2020-01-02,0\n2020-01-03,0\n",
    "subnormal": "date,close\n2020-01-02,5e-324\n2020-01-03,5e-324\n",
    "huge_int": "date,close\n2020-01-02,99999999999999999999999999999\n",
    "date_0000": "date,close\n0000-01-01,15\n",
    "date_9999": "date,close\n9999-12-31,15\n",
    "date_feb29": "date,close\n2023-02-29,15\n",
    "cboe_bad": "DATE,OPEN,HIGH,LOW,CLOSE\n13/45/2020,1,1,1,1\n",
    "cboe_2digit_year": "DATE,OPEN,HIGH,LOW,CLOSE\n01/02/20,1,1,1,1\n",
    "nbsp": "date,close\n2020-01-02,\u00a015\n",
    "tabs": "date\tclose\n2020-01-02\t15\n",
    "long_line": "date,close\n2020-01-02," + "1" * 300000 + "\n",
    "dup_col": "date,close,close\n2020-01-02,1,2\n",
}
market_files = {k: f(f"m/{k}.csv", v) for k, v in markets.items()}
market_files["directory"] = T
market_files["missing"] = os.path.join(T, "nope.csv")
for k, p in market_files.items():
    loc = None
    run(f"signal --market vix={k}", ["signal", "vix", "--market", f"vix={p}"])
    run(f"signal rsi json --market vix={k}", ["signal", "rsi(vix, 2)", "--market", f"vix={p}", "--format", "json"])
    run(f"backtest --market vix={k}", ["backtest", STRAT, "--market", f"vix={p}"])
    run(f"backtest --market spx={k}", ["backtest", STRAT, "--market", f"spx={p}"])
    run(f"run --market vix3m={k}", ["run", STRAT, "--journal", journal_ok, "--market", f"vix3m={p}"])
    run(f"risk --paths --market spx={k}", ["risk", STRAT, "--paths", "20", "--market", f"spx={p}"])

for bad in ("vix", "vix=", "=x", "VIX=" + market_files["no_final_newline"], "foo=x", "vix=a=b"):
    run(f"--market {bad!r}", ["signal", "vix", "--market", bad])
run("--market twice", ["signal", "vix", "--market", "vix=" + market_files["no_final_newline"], "--market", "vix=" + market_files["no_final_newline"]])
run("--market with --no-market", ["signal", "vix", "--market", "vix=" + market_files["no_final_newline"], "--no-market"])

# --------------------------------------------------------------- calendars
calendars = {
    "empty": "",
    "bom_only": "\ufeff",
    "header_only": "date,event\n",
    "not_utf8": b"date,event\n2020-01-02,FO\xffMC\n",
    "bad_event": "date,event\n2020-01-02,XYZ\n",
    "date_0000": "date,event\n0000-01-01,FOMC\n",
    "date_9999": "date,event\n9999-12-31,CPI\n",
    "replaces_missing": "date,event,replaces\n2020-01-02,FOMC,1999-01-01\n",
    "until_reversed": "date,event,until\n2020-01-05,CPI,2020-01-01\n",
    "until_huge": "date,event,until\n0001-01-01,CPI,9999-12-31\n",
    "lone_cr": "date,event\r2020-01-02,FOMC\r",
    "nbsp": "date,event\n2020-01-02,\u00a0FOMC\n",
    "lowercase": "date,event\n2020-01-02,fomc\n",
    "dup": "date,event\n2020-01-02,FOMC\n2020-01-02,FOMC\n",
}
cal_files = {k: f(f"c/{k}.csv", v) for k, v in calendars.items()}
cal_files["directory"] = T
cal_files["missing"] = os.path.join(T, "nope.csv")
for k, p in cal_files.items():
    # A lone-CR file is one line: an error there, never an empty calendar.
    loc = r"lone_cr\.csv:1:\d+" if k == "lone_cr" else None
    run(f"signal --calendar {k} (located)", ["signal", "vix", "--calendar", p, "--from", "2024-01-01"], loc=loc)
    run(f"run --calendar {k}", ["run", STRAT, "--journal", journal_ok, "--calendar", p])
    run(f"backtest --calendar {k}", ["backtest", STRAT, "--calendar", p, "--from", "2019-06-01", "--to", "2020-06-01"])
    run(f"signal --calendar {k}", ["signal", "vix", "--calendar", p, "--from", "2024-01-01"])

# ------------------------------------------------------------------- flags
flag_cases = [
    ["next", STRAT, "--journal", journal_ok, "--credit", v] for v in ("NaN", "1e400", "-1", "0", "$-0", "99999999999999999999999999999999", "$1,50", "")
] + [
    ["risk", "--loss-rate", v, "--run", "3", "--trades", "10"] for v in ("NaN", "nan%", "inf", "-0", "1", "0", "1.5", "100%", "1e-400", "0.5%%", "", "50 %", "1e400%")
] + [
    ["risk", "--loss-rate", "0.3", "--run", v, "--trades", "10"] for v in ("0", "-1", "99999999999999999999", "4294967296", "1000000")
] + [
    ["risk", "--loss-rate", "0.3", "--run", "3", "--trades", v] for v in ("0", "99999999999999999999", "18446744073709551615", "1000000000", "-0")
] + [
    ["risk", "--loss-rate", "0.3", "--run", "3", "--trades", "10", "--avg-win", w, "--avg-loss", l]
    for w, l in (("NaN", "1"), ("1", "0"), ("$1", "0.5"), ("1e400", "1"), ("0", "1"), ("-1", "1"), ("1", "-1"), ("$0", "$0"), ("99999999999999999999999999999", "0.0000000000000000000000000001"))
] + [
    ["risk", STRAT, "--paths", v, "--to", "2001-12-31"] for v in ("0", "-1", "99999999999999999999", "18446744073709551615")
] + [
    ["risk", STRAT, "--paths", "10", "--block", v, "--to", "2001-12-31"] for v in ("0", "auto", "AUTO", "NaN", "99999999999999999999", "1e9", "4294967296")
] + [
    ["risk", STRAT, "--paths", "10", "--ruin-level", v, "--to", "2001-12-31"] for v in ("0", "0%", "100%", "101%", "NaN", "-0", "1e400", "inf%")
] + [
    ["risk", STRAT, "--paths", "10", "--seed", v, "--to", "2001-12-31"] for v in ("-1", "18446744073709551616", "NaN")
] + [
    ["risk", STRAT, "--paths", "10", "--trades", v, "--to", "2001-12-31"] for v in ("0", "100000000000", "18446744073709551615")
] + [
    ["risk", STRAT, "--backtest", "--journal", journal_ok],
    ["risk", STRAT, "--backtest", "--loss-rate", "0.3", "--from", "2020-03-01", "--to", "2020-03-02"],
    ["risk", STRAT, "--backtest", "--from", "2020-03-07", "--to", "2020-03-08"],
    ["risk", STRAT, "--paths", "10", "--from", "2020-03-07", "--to", "2020-03-08"],
    ["risk", STRAT, "--paths", "10", "--from", "2020-03-02", "--to", "2020-03-03"],
    ["risk", STRAT, "--paths", "10", "--journal", journal_ok],
    ["risk"],
    ["risk", "--run", "3"],
    ["backtest", STRAT, "--from", "2020-03-07", "--to", "2020-03-08"],
    ["backtest", STRAT, "--from", "2020-03-09", "--to", "2020-03-09"],
    ["backtest", STRAT, "--from", "2020-03-09", "--to", "2020-03-09", "--format", "json"],
    ["backtest", STRAT, "--to", "1999-01-01"],
    ["backtest", STRAT, "--from", "+10000-01-01"],
    ["backtest", STRAT, "--from", "2020-1-5"],
    ["backtest", STRAT, "--from", "01/05/2020"],
    ["backtest", STRAT, "--from", "2020-01-05T00:00"],
    ["backtest", STRAT, "--from", " 2020-01-05"],
    ["backtest", STRAT, "--trades", "/dev/full", "--to", "2001-01-01"],
    ["backtest", STRAT, "--trades", T, "--to", "2001-01-01"],
    ["backtest", STRAT, "--chart", "/dev/full", "--to", "2001-01-01"],
    ["backtest", STRAT, "--chart", os.path.join(T, "nodir", "x.svg"), "--to", "2001-01-01"],
    ["backtest", STRAT, "--trades", STRAT, "--to", "2001-01-01"],
    ["backtest", STRAT, "--trades", os.path.join(T, "same.csv"), "--chart", os.path.join(T, "same.csv"), "--to", "2001-01-01"],
    ["backtest", STRAT, "--chart", os.path.join(T, "c.svg"), "--from", "2020-03-09", "--to", "2020-03-09"],
    ["backtest", STRAT, "--trades", os.path.join(T, "t.csv"), "--from", "2020-03-09", "--to", "2020-03-09"],
    ["backtest", STRAT, "--worst", "18446744073709551615", "--to", "2001-01-01"],
    ["backtest", STRAT, "--no-market"],
    ["run", STRAT, "--journal", journal_ok, "--out", "/dev/full"],
    ["run", STRAT, "--journal", journal_ok, "--out", T],
    ["run", STRAT, "--journal", journal_ok, "--out", journal_ok],
    ["run", STRAT, "--journal", journal_ok, "--out", STRAT],
    ["run", STRAT, "--journal", journal_ok, "--summary", "--format", "csv"],
    ["run", STRAT, "--journal", "/dev/null"],
    ["next", STRAT, "--journal", "/dev/null"],
    ["diff", STRAT, STRAT, "--journal", journal_ok, "--backtest"],
    ["diff", STRAT, STRAT, "--journal", journal_ok, "--from", "2020-01-01"],
    ["diff", STRAT, STRAT, "--backtest", "--from", "2020-03-07", "--to", "2020-03-08"],
    ["diff", STRAT, STRAT, "--backtest", "--no-market"],
    ["diff", STRAT, STRAT, "--backtest", "--from", "2021-01-01", "--to", "2020-01-01"],
    ["signal", ""],
    ["signal", " "],
    ["signal", "vix >"],
    ["signal", "(" * 5000 + "vix" + ")" * 5000],
    ["signal", "not " * 5000 + "vix > 1"],
    ["signal", "-" * 5000 + "vix"],
    ["signal", " + ".join(["vix"] * 20000)],
    ["signal", "vix\n> 1"],
    ["signal", "vix\r"],
    ["signal", "vix > 1e400"],
    ["signal", "vix > NaN"],
    ["signal", "sma(vix, 0)"],
    ["signal", "sma(vix, -1)"],
    ["signal", "sma(vix, 99999999999999999999)"],
    ["signal", "sma(vix, 1e9)"],
    ["signal", "sma(vix, 2.5)"],
    ["signal", "rsi(vix, 4294967296)"],
    ["signal", "vix / 0"],
    ["signal", "vix\u00a0> 1"],
    ["signal", "v\u0456x"],
    ["signal", "vix", "--from", "2020-01-05", "--to", "2020-01-05", "--format", "json"],
    ["signal", "vix", "--from", "2020-01-05", "--to", "2020-01-05", "--format", "table"],
    ["signal", "vix", "--no-market"],
    ["signal", "vix", "--strategy", "/dev/null"],
    ["graph", STRAT, "--format", "dot", "--color", "always"],
    ["check", STRAT, STRAT, strategy_files["missing"]],
    ["check", "--format", "json", STRAT, strategy_files["directory"]],
    ["fmt", "--stdout", STRAT, STRAT],
    ["fmt", "--stdout", "--check", STRAT],
    ["fmt", "/dev/null"],
    ["fmt", "--check", "/dev/null"],
    ["fmt", "--stdout", "/dev/null"],
    ["fmt", STRAT, "--check", STRAT],
]
for i, a in enumerate(flag_cases):
    # `check --format json` reports an unreadable file as an `io` entry on stdout (docs/commands.md).
    run("flags " + " ".join(x if len(x) < 40 else x[:37] + "..." for x in a).replace(T, "$T").replace(ROOT, "."), a,
        data_on_error=a[:3] == ["check", "--format", "json"])

# stdin for fmt --stdout and check
run("fmt --stdout /dev/stdin", ["fmt", "--stdout", "/dev/stdin"], stdin=good.encode())
run("check /dev/stdin", ["check", "/dev/stdin"], stdin=good.encode())
run("check /dev/stdin not utf8", ["check", "/dev/stdin"], stdin=b"\xff\xfe", loc=r"stdin")
run("fmt --stdout stdin empty", ["fmt", "--stdout", "/dev/stdin"], stdin=b"")
run("fmt in place on /dev/stdin", ["fmt", "/dev/stdin"], stdin=good.encode())
ro = f("ro/strategy.vxs", good.replace("    ", "  "))
os.chmod(ro, 0o444)
run("fmt read-only file", ["fmt", ro])
os.chmod(os.path.dirname(ro), 0o555)
run("fmt file in read-only dir", ["fmt", ro])
os.chmod(os.path.dirname(ro), 0o755)

# ------------------------------------------------------------------ sweeps
sweep_flags = [
    ["--set", "x=1..2:0"], ["--set", "x=1..2:-1"], ["--set", "x=2..1:1"], ["--set", "x=1..99999999999:1"],
    ["--set", "x=NaN..2:1"], ["--set", "x=1e400..2:1"], ["--set", "x"], ["--set", "=1"], ["--set", "x=1", "--set", "x=2"],
    ["--set", "x=1", "--shard", "1/0"], ["--set", "x=1", "--shard", "1/1"], ["--set", "x=1", "--shard", "0/99999999999999999999"],
    ["--set", "x=1", "--shard", "-1/2"], ["--set", "x=1", "--shard", "0/2/3"],
    ["--set", "x=1", "--walk-forward", "0y/1y"], ["--set", "x=1", "--walk-forward", "1y/0y"], ["--set", "x=1", "--walk-forward", "99999999999y/1y"],
    ["--set", "x=1", "--walk-forward", "100y/1y"], ["--set", "x=1", "--walk-forward", "5y"], ["--set", "x=1", "--walk-forward", "4294967296m/1m"],
    ["--set", "x=1", "--rank", "nope"], ["--set", "x=1", "--rank", ""],
    ["--set", "x=1", "--out", "/dev/full"], ["--set", "x=1", "--out", T],
    ["--set", "x=0.0000000000000000000000000001..0.0000000000000000000000000009:0.0000000000000000000000000001"],
]
param_strat = f("p/param.vxs", good.replace("multiplier = 1.6x", "multiplier = mult").replace("strategy \"SPX Conservative\" {", "param mult = 1.6x\n\nstrategy \"SPX Conservative\" {").replace("sma(vix, 20)", "sma(vix, period)").replace("param mult = 1.6x", "param mult = 1.6x\nparam period = 20"))
run("check param strategy", ["check", param_strat])
for sf in sweep_flags:
    a = ["sweep", param_strat, "--to", "2001-06-30"] + [x.replace("x=", "mult=").replace("x", "mult") if x.startswith("x") else x for x in sf]
    run("sweep " + " ".join(sf).replace(T, "$T"), a)
    a = ["sweep", param_strat, "--to", "2001-06-30"] + [x.replace("x=", "period=").replace("x", "period") if x.startswith("x") else x for x in sf]
    # Variants the checker refuses are listed under `failed` on stdout (exit 1).
    run("sweep period " + " ".join(sf).replace(T, "$T"), a, data_on_error=True)

shard0 = os.path.join(T, "shard0.json")
shard1 = os.path.join(T, "shard1.json")
subprocess.run([BIN, "sweep", param_strat, "--to", "2001-06-30", "--set", "mult=1.5x..1.8x:0.1x", "--shard", "0/2", "--out", shard0], capture_output=True)
subprocess.run([BIN, "sweep", param_strat, "--to", "2001-06-30", "--set", "mult=1.5x..1.8x:0.1x", "--shard", "1/2", "--out", shard1], capture_output=True)
run("sweep merge ok", ["sweep", "merge", shard0, shard1])
s0 = open(shard0).read() if os.path.exists(shard0) else "{}"
import json
merges = {
    "empty": "", "bom_only": "\ufeff", "not_json": "hello", "not_utf8": b"{\xff}", "null": "null", "list": "[]",
    "deep": "[" * 100000 + "]" * 100000, "truncated": s0[: len(s0) // 2], "nan": s0.replace("1", "NaN", 1),
    "huge_num": re.sub(r'": (\d+\.\d+)', r'": 1e400', s0, count=3), "bom_json": "\ufeff" + s0, "crlf": s0.replace("\n", "\r\n"),
    "dup_keys": s0.replace("{", "{\"shard\": 1, ", 1),
}
merge_files = {k: f(f"w/{k}.json", v) for k, v in merges.items()}
for k, p in merge_files.items():
    run(f"sweep merge {k}", ["sweep", "merge", p, shard1])
run("sweep merge same shard twice", ["sweep", "merge", shard0, shard0])
run("sweep merge one shard of two", ["sweep", "merge", shard0])
run("sweep merge directory", ["sweep", "merge", T])
run("sweep merge missing", ["sweep", "merge", os.path.join(T, "nope.json")])
run("sweep merge rank nope", ["sweep", "merge", shard0, shard1, "--rank", "nope"])
run("sweep merge out /dev/full", ["sweep", "merge", shard0, shard1, "--out", "/dev/full"])
run("sweep merge out onto input", ["sweep", "merge", shard0, shard1, "--out", shard0])
if os.path.exists(shard0):
    d = json.loads(s0)
    def mutate(path, value):
        dd = json.loads(s0)
        cur = dd
        for key in path[:-1]:
            cur = cur[key]
        cur[path[-1]] = value
        return json.dumps(dd)
    for key in list(d.keys()):
        for val in (None, -1, 1e308, "x", [], 18446744073709551616):
            p = f(f"w/mut_{key}_{type(val).__name__}_{str(val)[:5]}.json", mutate([key], val))
            run(f"sweep merge {key}={val!r}", ["sweep", "merge", p, shard1])

# ----------------------------------------------------------------- plugins
wasm = open(os.path.join(ROOT, "plugins", "wilder_rsi", "wilder_rsi.wasm"), "rb").read()
manifest = open(os.path.join(ROOT, "plugins", "wilder_rsi", "plugin.toml")).read()
manifests = {
    "empty": "", "bom_only": "\ufeff", "not_utf8": b"name = \"\xff\"\n", "dup_key": manifest + 'name = "x"\n',
    "dup_table": manifest + "\n[[params]]\nname = \"period\"\ndefault = 3\n",
    "abi_huge": manifest.replace("abi = 1", "abi = 99999999999999999999"),
    "abi_neg": manifest.replace("abi = 1", "abi = -1"),
    "inputs_huge": manifest.replace("inputs = 1", "inputs = 4294967297"),
    "inputs_zero": manifest.replace("inputs = 1", "inputs = 0"),
    "default_nan": manifest.replace("default = 14", "default = nan"),
    "default_inf": manifest.replace("default = 14", "default = -inf"),
    "default_huge": manifest.replace("default = 14", "default = 1e308"),
    "default_neg_zero": manifest.replace("default = 14", "default = -0.0"),
    "default_string": manifest.replace("default = 14", "default = \"x\""),
    "name_empty": manifest.replace('name = "wilder_rsi"', 'name = ""'),
    "name_unicode": manifest.replace('name = "wilder_rsi"', 'name = "wilder_rs\u0456"'),
    "name_builtin": manifest.replace('name = "wilder_rsi"', 'name = "rsi"'),
    "wasm_abs": manifest.replace('wasm = "wilder_rsi.wasm"', 'wasm = "/etc/passwd"'),
    "wasm_dotdot": manifest.replace('wasm = "wilder_rsi.wasm"', 'wasm = "../../../etc/passwd"'),
    "wasm_dir": manifest.replace('wasm = "wilder_rsi.wasm"', 'wasm = "."'),
    "wasm_devzero": manifest.replace('wasm = "wilder_rsi.wasm"', 'wasm = "/dev/zero"'),
    "version_bad": manifest.replace('version = "0.1.0"', 'version = "x"'),
    "output_bad": manifest.replace('output = "number"', 'output = "nope"'),
    "many_params": manifest + "".join(f"\n[[params]]\nname = \"p{i}\"\ndefault = 1\n" for i in range(2000)),
    "param_bad_name": manifest.replace('name = "period"', 'name = "per iod"'),
    "unknown_key": manifest + "zzz = 1\n",
    "crlf": manifest.replace("\n", "\r\n"),
    "lone_cr": manifest.replace("\n", "\r"),
    "deep_inline": manifest + "x = " + "[" * 10000 + "]" * 10000 + "\n",
}
wasms = {"empty": b"", "garbage": b"\0asm\x01\0\0\0garbage", "text": b"hello", "truncated": wasm[: len(wasm) // 2], "ok": wasm}
plugin_dirs = {}
for k, v in manifests.items():
    d = os.path.join(T, "plugins_m", k)
    f(f"plugins_m/{k}/plugin.toml", v)
    f(f"plugins_m/{k}/wilder_rsi.wasm", wasm)
    plugin_dirs["manifest_" + k] = d
for k, v in wasms.items():
    d = os.path.join(T, "plugins_w", k)
    f(f"plugins_w/{k}/plugin.toml", manifest)
    f(f"plugins_w/{k}/wilder_rsi.wasm", v)
    plugin_dirs["wasm_" + k] = d
os.makedirs(os.path.join(T, "plugins_x", "tomldir", "plugin.toml"), exist_ok=True)
plugin_dirs["toml_is_dir"] = os.path.join(T, "plugins_x", "tomldir")
plugin_dirs["missing"] = os.path.join(T, "plugins_x", "nope")
use = f("p/use_plugin.vxs", good.replace("rsi(vix, 14)", "wilder_rsi(vix, 14)"))
for k, d in plugin_dirs.items():
    run(f"plugin inspect {k}", ["plugin", "inspect", d], data_on_error=True)
    run(f"plugin inspect json {k}", ["plugin", "inspect", "--format", "json", d], data_on_error=True)
    # `plugin test` prints the run, then a verdict that fails (a built-in's name).
    run(f"plugin test {k}", ["plugin", "test", d], data_on_error=True)
    run(f"plugin test json {k}", ["plugin", "test", "--format", "json", d], data_on_error=True)
    parent = os.path.dirname(d)
    for sub in os.listdir(parent):
        pass
    iso = os.path.join(T, "iso", k)
    if os.path.isdir(d):
        shutil.rmtree(iso, ignore_errors=True)
        shutil.copytree(d, os.path.join(iso, "wilder_rsi"))
        # A broken plugin folder is reported; the others are still listed (plugins/README.md).
        run(f"plugin list --plugins {k}", ["plugin", "list", "--plugins", iso], cwd=T, data_on_error=True)
        run(f"check --plugins {k}", ["check", use, "--plugins", iso], cwd=T)
        run(f"signal --plugins {k}", ["signal", "wilder_rsi(vix, 3)", "--plugins", iso, "--from", "2025-01-01"], cwd=T)

# vixshield.toml in a project folder
tomls = {
    "empty": "", "bom_only": "\ufeff", "not_utf8": b"[plugins]\npaths = [\"\xff\"]\n", "dup_section": "[plugins]\npaths = []\n[plugins]\npaths = []\n",
    "paths_not_list": "[plugins]\npaths = 3\n", "paths_missing_dir": "[plugins]\npaths = [\"nope\"]\n", "paths_abs": "[plugins]\npaths = [\"/\"]\n",
    "paths_file": "[plugins]\npaths = [\"vixshield.toml\"]\n", "nan_flag": "[plugins]\ncanonicalize_nans = nan\n", "unknown": "[zzz]\n", "garbage": "= = =\n",
    "canon_string": "[plugins]\ncanonicalize_nans = \"yes\"\n",
}
for k, v in tomls.items():
    proj = os.path.join(T, "proj", k)
    os.makedirs(os.path.join(proj, "sub"), exist_ok=True)
    f(f"proj/{k}/vixshield.toml", v)
    run(f"vixshield.toml {k}: plugin list", ["plugin", "list"], cwd=os.path.join(proj, "sub"))
    run(f"vixshield.toml {k}: check", ["check", STRAT], cwd=os.path.join(proj, "sub"))
    run(f"vixshield.toml {k}: signal", ["signal", "vix", "--from", "2025-08-01"], cwd=proj)
proj = os.path.join(T, "proj", "toml_is_dir")
os.makedirs(os.path.join(proj, "vixshield.toml"), exist_ok=True)
run("vixshield.toml is a directory", ["check", STRAT], cwd=proj)
proj = os.path.join(T, "proj", "toml_fifo")
os.makedirs(proj, exist_ok=True)
if not os.path.exists(os.path.join(proj, "vixshield.toml")):
    os.mkfifo(os.path.join(proj, "vixshield.toml"))
run("vixshield.toml is a FIFO", ["check", STRAT], cwd=proj)
run("plugin cache json", ["plugin", "cache", "--format", "json"])
run("plugin cache with a file as cache dir", ["plugin", "cache"], env={"VIXSHIELD_CACHE_DIR": STRAT})
run("plugin cache clear with a file as cache dir", ["plugin", "cache", "--clear"], env={"VIXSHIELD_CACHE_DIR": STRAT})
run("plugin cache relative dir", ["plugin", "cache"], env={"VIXSHIELD_CACHE_DIR": "rel"})
run("plugin cache empty var", ["plugin", "cache"], env={"VIXSHIELD_CACHE_DIR": ""})

# ------------------------------------------------------------- stdout trouble
for a in (["check", "--format", "json", STRAT], ["graph", STRAT], ["signal", "vix"], ["run", STRAT, "--journal", journal_ok],
          ["backtest", STRAT, "--to", "2001-01-01"], ["plugin", "list"], ["risk", "--loss-rate", "0.3", "--run", "3", "--trades", "10"]):
    with open("/dev/full", "wb") as full:
        p = subprocess.run([BIN] + a, stdout=full, stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode()
    if p.returncode != 2 or "cannot write to stdout" not in err or "panicked" in err:
        flagged.append(("stdout /dev/full " + a[0], f"exit {p.returncode}: {err[:200]}"))
        print(f"FLAG  stdout /dev/full {a[0]}: exit {p.returncode}: {err[:200]}")

print(f"\n{len(flagged)} flagged (files under {T})")
sys.exit(1 if flagged else 0)
