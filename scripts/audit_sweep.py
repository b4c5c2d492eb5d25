#!/usr/bin/env python3
"""Check `vixshield sweep` against plain backtests, shards and merge.

    python3 scripts/audit_sweep.py [--binary PATH]

For several grids over tests/fixtures/strategies/spx-mastery-params.vxs
(and a few `--from/--to` and assumption flags):
- the grid's values are recomputed with exact decimals (every value from
  FROM to TO inclusive, STEP apart) and the variant order is the mixed radix
  of the axes, the last fastest;
- every variant's metrics equal those of `vixshield backtest --format json`
  of the file with the param's default replaced by the variant's value in
  the text (same flags);
- shards I/N (several N) hold each variant exactly once, i mod N = I, and
  `sweep merge` of them (in a shuffled order) is byte-identical to the
  unsharded `--out` file.
"""

import argparse
import itertools
import json
import pathlib
import random
import re
import subprocess
import sys
import tempfile
from decimal import Decimal

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILE = ROOT / "tests" / "fixtures" / "strategies" / "spx-mastery-params.vxs"
METRICS = ["cagr", "sharpe", "sortino", "net_pnl", "final_equity", "profit_factor", "win_rate", "hedge_pnl",
           "trades", "time_in_market", "max_drawdown", "max_drawdown_intra_trade", "max_consecutive_losses",
           "max_step_reached", "cycles_stopped_out", "losses_past_stop", "peak_capital_at_risk", "hedge_cost_to_credit", "skipped"]

def values(spec):
    name, rng = spec.split("=", 1)
    if ".." not in rng:
        return name, [rng]
    frm, rest = rng.split("..", 1)
    to, step = rest.rsplit(":", 1)
    unit = re.sub(r"[-0-9.,$]", "", frm)
    num = lambda s: Decimal(s.replace(unit, "").replace("$", "").replace(",", ""))
    a, b, s = num(frm), num(to), num(step)
    out = []
    v = a
    while v <= b:
        t = format(v.normalize(), "f")
        out.append(("$" + t) if frm.startswith("$") else t + unit)
        v += s
    return name, out


def run(binary, *args):
    p = subprocess.run([binary, *args], capture_output=True, text=True)
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "vixshield"))
    args = ap.parse_args()
    b = args.binary
    text = FILE.read_text()
    cases = [
        (["mult=1.2x..2.1x:0.1x"], []),
        (["mult=1.4x..2.0x:0.2x", "take=40%..60%:10%"], ["--from", "2005-01-01", "--to", "2012-12-31"]),
        (["base=0.5%..2%:0.25%", "first=1.5x..2.1x:0.3x"], ["--slippage", "0.1", "--commission", "$1"]),
        (["take=33%..34%:0.1%"], ["--to", "2009-06-30"]),
        (["mult=1x..1.3x:0.15x", "take=50%"], ["--from", "2015-03-01"]),
    ]
    bad = 0
    rnd = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for sets, flags in cases:
            axes = [values(s) for s in sets]
            grid = list(itertools.product(*[v for _, v in axes]))
            setargs = [x for s in sets for x in ("--set", s)]
            out = tmp / "all.json"
            p = run(b, "sweep", str(FILE), *setargs, *flags, "--out", str(out), "--format", "json")
            if p.returncode not in (0,):
                print("sweep failed", sets, p.stderr[:500])
            doc = json.loads(out.read_text())
            got_grid = [(a["name"], a["values"]) for a in doc["grid"]]
            if got_grid != [(n, v) for n, v in axes]:
                bad += 1
                print("grid differs", got_grid, axes)
            if doc["variants"] != len(grid):
                bad += 1
                print("variant count", doc["variants"], len(grid))
            byvar = {r["variant"]: r for r in doc["results"]}
            failed = {f["variant"]: f for f in doc["failed"]}
            for i, combo in enumerate(grid):
                params = dict(zip([n for n, _ in axes], combo))
                src = text
                for n, v in params.items():
                    src, k = re.subn(rf"^param {n} = .*$", f"param {n} = {v}", src, flags=re.M)
                    assert k == 1
                f = tmp / "v.vxs"
                f.write_text(src)
                bt = run(b, "backtest", str(f), "--format", "json", *flags)
                if bt.returncode != 0:
                    if i not in failed:
                        bad += 1
                        print(f"variant {i} {params}: backtest fails ({bt.stderr[:200]}) but the sweep ranked it")
                    continue
                if i not in byvar:
                    bad += 1
                    print(f"variant {i} {params}: backtest runs, sweep lists it as {failed.get(i)}")
                    continue
                r = byvar[i]
                if r["params"] != params:
                    bad += 1
                    print(f"variant {i}: params {r['params']} != {params}")
                rep = json.loads(bt.stdout)
                for m in METRICS:
                    if rep.get(m) != r["metrics"].get(m):
                        bad += 1
                        print(f"variant {i} {params}: {m} sweep {r['metrics'].get(m)} backtest {rep.get(m)}")
            print(f"{sets} {flags}: {len(grid)} variants, {len(doc['failed'])} failed, compared with backtests")
            # shards and merge
            for n in (1, 2, 3, 7, len(grid), len(grid) + 2):
                parts = []
                for i in range(n):
                    po = tmp / f"part{i}.json"
                    p = run(b, "sweep", str(FILE), *setargs, *flags, "--shard", f"{i}/{n}", "--out", str(po),
                            "--format", "csv")
                    part = json.loads(po.read_text())
                    vs = sorted([r["variant"] for r in part["results"]] + [f["variant"] for f in part["failed"]])
                    if vs != [v for v in range(len(grid)) if v % n == i]:
                        bad += 1
                        print(f"shard {i}/{n}: variants {vs}")
                    parts.append(str(po))
                rnd.shuffle(parts)
                mo = tmp / "merged.json"
                p = run(b, "sweep", "merge", *parts, "--out", str(mo), "--format", "csv")
                if p.returncode != 0 or mo.read_bytes() != out.read_bytes():
                    bad += 1
                    print(f"merge of {n} shards differs from the unsharded sweep (exit {p.returncode}) {p.stderr[:300]}")
            print(f"  shards 1..{len(grid) + 2} partition and merge back byte for byte")
    print("differences:", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
