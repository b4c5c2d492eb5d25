#!/usr/bin/env python3
"""Check `vixshield diff` against running each side alone.

    python3 scripts/audit_diff.py [--binary PATH]

Pairs of strategies with known differences (identical files, a comment
changed, one multiplier changed, a guard added, the base changed, a hedge
allocation changed) are diffed over journals (`--journal`) and over
backtests (`--backtest`, with and without `--from/--to` and assumption
flags), in both formats:
- over a journal, the decisions listed must be exactly those of
  `run --format json` on each side whose step, size or blocked flag differ,
  with the old and new values;
- over backtests, the condors listed must be exactly those whose entry, step
  or size differ in the two `backtest --trades` files, paired by number (a
  condor only one side has shows `-`/null on the other), and the report
  deltas exactly the listed metrics whose `backtest --format json` values
  differ, with those values;
- exit 0 when nothing differs, 1 otherwise; the human output says the same
  as the JSON.
Prints each difference; exits 1 if any.
"""

import argparse
import csv
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
METRICS = ["trades", "win_rate", "net_pnl", "final_equity", "cagr", "max_drawdown", "max_drawdown_intra_trade",
           "profit_factor", "sharpe", "sortino", "max_consecutive_losses", "max_step_reached", "cycles_stopped_out",
           "losses_past_stop", "worst_loss_to_max_loss", "peak_capital_at_risk", "hedge_cost_to_credit", "time_in_market"]


def run(b, *args):
    return subprocess.run([b, *args], capture_output=True, text=True)


def variants(tmp):
    base = (ROOT / "strategies" / "spx-mastery.vxs").read_text()
    out = {}

    def put(name, text):
        p = tmp / f"{name}.vxs"
        p.write_text(text)
        out[name] = str(p)

    put("same", base)
    put("comment", base.replace("// percentages refer", "// (a changed comment) percentages refer"))
    put("mult", base.replace("multiplier = 1.8x into step 2", "multiplier = 1.7x into step 2"))
    put("guard", base.replace("    no entry within 1d of FOMC, CPI, PPI\n",
                              "    no entry within 1d of FOMC, CPI, PPI\n    vix < 20\n"))
    put("base", base.replace("base = 1% of capital", "base = 1.5% of capital"))
    put("alloc", base.replace("allocation = 15% of size", "allocation = 20% of size"))
    return str(ROOT / "strategies" / "spx-mastery.vxs"), out


def journal_case(b, old, new, journal, bad, label):
    ja = json.loads(run(b, "run", old, "--journal", journal, "--format", "json").stdout)
    jb = json.loads(run(b, "run", new, "--journal", journal, "--format", "json").stdout)
    want = []
    for x, y in zip(ja, jb):
        if (x["step"], x["size"], x["blocked"]) != (y["step"], y["size"], y["blocked"]):
            want.append(dict(trade=x["trade"], date=x["date"], old_step=x["step"], new_step=y["step"],
                             old_size=x["size"], new_size=y["size"], old_blocked=x["blocked"],
                             new_blocked=y["blocked"]))
    p = run(b, "diff", old, new, "--journal", journal, "--format", "json")
    if p.returncode != (1 if want else 0):
        bad.append(f"{label}: exit {p.returncode}, want {1 if want else 0} ({len(want)} decisions differ)")
    if p.returncode not in (0, 1):
        bad.append(f"{label}: {p.stderr.strip()}")
        return
    got = json.loads(p.stdout)["changed"]
    if got != want:
        bad.append(f"{label}: changed {got[:3]} ... want {want[:3]} ... ({len(got)} vs {len(want)})")
    h = run(b, "diff", old, new, "--journal", journal)
    if h.returncode != p.returncode:
        bad.append(f"{label}: human exit {h.returncode}, json {p.returncode}")
    first = h.stdout.splitlines()[0] if h.stdout else ""
    wf = f"{len(want)} decisions differ:" if want else "no decision differs"
    if first != wf:
        bad.append(f"{label}: human says {first!r}, want {wf!r}")


def backtest_case(b, old, new, flags, bad, label, tmp):
    ta, tb = tmp / "a.csv", tmp / "b.csv"
    ra = json.loads(run(b, "backtest", old, "--format", "json", "--trades", str(ta), *flags).stdout)
    rb = json.loads(run(b, "backtest", new, "--format", "json", "--trades", str(tb), *flags).stdout)
    xa, xb = list(csv.DictReader(open(ta))), list(csv.DictReader(open(tb)))
    want = []
    for i in range(max(len(xa), len(xb))):
        x = xa[i] if i < len(xa) else None
        y = xb[i] if i < len(xb) else None
        k = lambda t: None if t is None else (t["entry"], t["step"], t["size"])
        if k(x) == k(y):
            continue
        c = dict(trade=i + 1, date=(x or y)["entry"])
        if x and y and x["entry"] != y["entry"]:
            c["new_date"] = y["entry"]
        c.update(old_step=int(x["step"]) if x else None, new_step=int(y["step"]) if y else None,
                 old_size=x["size"] if x else None, new_size=y["size"] if y else None)
        want.append(c)
    text = lambda v: None if v is None else v if isinstance(v, str) else json.dumps(v)
    deltas = [dict(metric=m, old=text(ra[m]), new=text(rb[m])) for m in METRICS if ra[m] != rb[m]]
    p = run(b, "diff", old, new, "--backtest", "--format", "json", *flags)
    differs = bool(want or deltas)
    if p.returncode != (1 if differs else 0):
        bad.append(f"{label}: exit {p.returncode}, want {1 if differs else 0}")
    if p.returncode not in (0, 1):
        bad.append(f"{label}: {p.stderr.strip()}")
        return
    got = json.loads(p.stdout)
    if got["changed"] != want:
        bad.append(f"{label}: changed {got['changed'][:2]} ... want {want[:2]} ... "
                   f"({len(got['changed'])} vs {len(want)})")
    if got["report"] != deltas:
        bad.append(f"{label}: report {got['report']} want {deltas}")
    h = run(b, "diff", old, new, "--backtest", *flags)
    if h.returncode != p.returncode:
        bad.append(f"{label}: human exit {h.returncode}")
    for d in deltas:
        line = f"  {d['metric']:<26} {d['old'] or '-'} → {d['new'] or '-'}"
        if line not in h.stdout.splitlines():
            bad.append(f"{label}: human lacks {line!r}")
    if not deltas and "the reports are the same" not in h.stdout:
        bad.append(f"{label}: human does not say the reports are the same")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "vixshield"))
    args = ap.parse_args()
    b = args.binary
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        old, vs = variants(tmp)
        journals = [str(ROOT / "tests" / "fixtures" / "journals" / j)
                    for j in ("spikes.csv", "progression.csv", "recovery.csv", "hedged.csv", "long.csv")]
        for name, new in vs.items():
            for j in journals:
                journal_case(b, old, new, j, bad, f"journal {name} {pathlib.Path(j).name}")
            for flags in ([], ["--from", "2017-06-01", "--to", "2018-06-30"], ["--to", "2004-12-31", "--slippage", "0.1"]):
                backtest_case(b, old, new, flags, bad, f"backtest {name} {' '.join(flags)}", tmp)
            print(name, "done")
        # Two different strategy files.
        backtest_case(b, old, str(ROOT / "strategies" / "conservative.vxs"), ["--to", "2003-12-31"], bad,
                      "backtest conservative", tmp)
        # One side without a loss: no profit factor.
        backtest_case(b, old, str(ROOT / "tests" / "fixtures" / "strategies" / "tasty-16-delta.vxs"),
                      ["--from", "2004-01-01", "--to", "2004-12-31"], bad, "backtest tasty 2004", tmp)
        for j in journals:
            journal_case(b, old, str(ROOT / "strategies" / "aggressive.vxs"), j, bad, f"journal aggressive {j}")
    for x in bad:
        print(x)
    print("differences:", len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
