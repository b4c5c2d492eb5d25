#!/usr/bin/env python3
"""An independent Monte Carlo of spx-mastery's ladder, to check `vixshield risk --paths`.

    python3 scripts/ref_monte_carlo.py [--binary PATH] [--paths P] [--blocks 1,3,auto,20]

Takes the backtest's trades (`vixshield backtest --trades`), turns each into
returns on risk (condor P&L / size, hedge P&L / size, exact decimals), and
replays docs/risk.md's Monte Carlo ("Monte Carlo") with Python's own generator:
the stationary bootstrap (first draw uniform; then with probability 1/L a new
uniform draw, else the next trade, wrapping), spx-mastery's ladder written out
by hand (base $1,000; x1.8 into step 2, x1.6 into steps 3..4, nearest $100,
cap $10,000; reset on win; any trade at step 4 ends the cycle, stopped out
when the cycle's condor P&L is negative), P&L rounded to cents half away from
zero, a path stopping at zero equity.

It then runs `vixshield risk strategies/spx-mastery.vxs --paths P --block L
--format json` and compares, for each L:
- the percentiles of final equity and max drawdown, by where each of
  vixshield's values falls in the reference's distribution: F(x_q) - q
  within 4 standard errors, sqrt(q (1 - q) (1/P + 1/P_ref));
- P(drawdown >= 25%), P(drawdown >= 50%), P(ruin), P(run of K losses):
  difference within 4 standard errors of two binomial proportions;
- mean stopped cycles: within 4 standard errors of the difference of means;
- with L = 1, P(run of K losses) against the exact odds (risk's DP) too.
"""

import argparse
import bisect
import csv
import json
import math
import pathlib
import random
import subprocess
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal, getcontext

ROOT = pathlib.Path(__file__).resolve().parent.parent
STRATEGY = ROOT / "strategies" / "spx-mastery.vxs"
getcontext().prec = 50
CENT = Decimal("0.01")

CAPITAL = Decimal(100_000)
BASE = Decimal(1_000)
MULT = {2: Decimal("1.8"), 3: Decimal("1.6"), 4: Decimal("1.6")}
STEPS = 4
CAP = Decimal(10_000)


def nearest_100(x):
    return (x / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100


def samples(binary):
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "t.csv"
        subprocess.run([binary, "backtest", str(STRATEGY), "--trades", str(path)], check=True,
                       capture_output=True)
        rows = list(csv.DictReader(open(path)))
    # the engine's returns are 28-digit decimals; these are exact to 50 digits
    return [(Decimal(r["pnl"]) / Decimal(r["size"]), Decimal(r["hedge_pnl"]) / Decimal(r["size"]))
            for r in rows if Decimal(r["size"]) > 0]


def path(rng, s, n_trades, block, ruin, run):
    n = len(s)
    equity = CAPITAL
    step, size, cycle = 1, BASE, Decimal(0)
    peak, max_dd = float(CAPITAL), 0.0
    ruined = False
    streak = longest = stopped = 0
    i = 0
    for t in range(n_trades):
        if block <= 1 or t == 0 or rng.random() < 1.0 / block:
            i = rng.randrange(n)
        else:
            i = (i + 1) % n
        c, h = s[i]
        pnl = (c * size).quantize(CENT, rounding=ROUND_HALF_UP)
        hedge = (h * size).quantize(CENT, rounding=ROUND_HALF_UP)
        equity += pnl + hedge
        cycle += pnl
        if step == STEPS:
            if cycle < 0:
                stopped += 1
            step, size, cycle = 1, BASE, Decimal(0)
        elif pnl < 0:
            step += 1
            size = min(nearest_100(size * MULT[step]), CAP)
        else:
            step, size, cycle = 1, BASE, Decimal(0)
        if pnl < 0:
            streak += 1
            longest = max(longest, streak)
        else:
            streak = 0
        e = float(equity)
        if e > peak:
            peak = e
        elif peak > 0:
            max_dd = max(max_dd, (peak - e) / peak)
        if e < ruin or e <= 0:
            ruined = True
        if e <= 0:
            break
    return equity, max_dd, ruined, longest >= run, stopped


def exact_run_odds(q, n, k):
    """P(a run of k losses in n independent trades), by docs/risk.md's DP (floats suffice here)."""
    v = [1.0] + [0.0] * (k - 1)
    a = 0.0
    for _ in range(n):
        nv = [0.0] * k
        nv[0] = (1 - q) * sum(v)
        for s in range(k - 1):
            nv[s + 1] = q * v[s]
        a += q * v[k - 1]
        v = nv
    return a


def markov_run_odds(block, n, k):
    """P(k losses in a row among n trades) when a path resamples two trades,
    a loss and a win, in stationary-bootstrap blocks of mean length `block`:
    the next draw is the other trade (the next one, wrapping) with probability
    1 - 1/L, a new uniform draw with 1/L, so the last trade repeats with
    probability 1/(2L). Exact: a dynamic programme over (trade, losing streak)
    in fractions. tests/it/risk_mc.rs holds the engine's Monte Carlo to it."""
    from fractions import Fraction
    same = Fraction(1, 2 * block)
    states = {(0, 1): Fraction(1, 2), (1, 0): Fraction(1, 2)}  # trade 0 loses
    absorbed = Fraction(0)
    if k <= 1:
        return Fraction(1) - Fraction(1, 2) ** n
    for _ in range(1, n):
        nxt = {}
        for (t, streak), p in states.items():
            for u, q in ((t, same), (1 - t, 1 - same)):
                s = streak + 1 if u == 0 else 0
                if s >= k:
                    absorbed += p * q
                else:
                    nxt[(u, s)] = nxt.get((u, s), 0) + p * q
        states = nxt
    return absorbed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "vixshield"))
    ap.add_argument("--paths", type=int, default=20_000)
    ap.add_argument("--ref-paths", type=int, default=20_000)
    ap.add_argument("--blocks", default="1,3,auto,20")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markov", action="store_true", help="print the two-trade chain's exact odds and exit")
    args = ap.parse_args()
    if args.markov:
        for block in (1, 2, 3, 7):
            print(f"L = {block}: P(3 losses in a row in 30 trades) = {float(markov_run_odds(block, 30, 3))!r}")
        return 0
    s = samples(args.binary)
    n = len(s)
    auto = max(1, round(n ** (1 / 3)))
    losses = sum(1 for c, _ in s if c < 0)
    print(f"{n} backtest returns, {losses} losses, auto block {auto}")
    bad = 0
    for b in args.blocks.split(","):
        block = auto if b == "auto" else int(b)
        out = subprocess.run([args.binary, "risk", str(STRATEGY), "--paths", str(args.paths), "--seed",
                              str(args.seed), "--block", b, "--format", "json"], check=True,
                             capture_output=True, text=True).stdout
        mc = json.loads(out)["monte_carlo"]
        assert mc["block"] == block and mc["samples"] == n and mc["trades"] == n, mc
        rng = random.Random(args.seed * 1000 + block)
        ref = [path(rng, s, n, block, float(CAPITAL) * 0.5, 4) for _ in range(args.ref_paths)]
        eq = sorted(float(r[0]) for r in ref)
        dd = sorted(r[1] for r in ref)
        m = args.ref_paths
        print(f"block {block}:")

        def rank(sorted_xs, x):
            lo = bisect.bisect_left(sorted_xs, x)
            hi = bisect.bisect_right(sorted_xs, x)
            return (lo + hi) / 2 / len(sorted_xs)

        for name, xs, got in (("final equity", eq, mc["final_equity"]), ("max drawdown", dd, mc["max_drawdown"])):
            for key, q in (("p5", .05), ("p25", .25), ("p50", .5), ("p75", .75), ("p95", .95)):
                x = float(got[key])
                f = rank(xs, x)
                se = math.sqrt(q * (1 - q) * (1 / args.paths + 1 / m))
                z = (f - q) / se
                flag = "  <-- off" if abs(z) > 4 else ""
                bad += abs(z) > 4
                print(f"  {name} {key}: vixshield {x:.6g}, reference rank {f:.4f} (z = {z:+.2f}){flag}")
        for name, key, want in (("P(dd >= 25%)", "p_drawdown_25", sum(r[1] >= .25 for r in ref) / m),
                                ("P(dd >= 50%)", "p_drawdown_50", sum(r[1] >= .5 for r in ref) / m),
                                ("P(ruin)", "p_ruin", sum(r[2] for r in ref) / m),
                                ("P(run of 4)", "p_losing_run", sum(r[3] for r in ref) / m)):
            got = mc[key]
            p = (got * args.paths + want * m) / (args.paths + m)
            se = math.sqrt(max(p * (1 - p), 1e-12) * (1 / args.paths + 1 / m))
            z = (got - want) / se
            flag = "  <-- off" if abs(z) > 4 else ""
            bad += abs(z) > 4
            print(f"  {name}: vixshield {got:.5f}, reference {want:.5f} (z = {z:+.2f}){flag}")
        st = [r[4] for r in ref]
        mean = sum(st) / m
        var = sum((x - mean) ** 2 for x in st) / (m - 1)
        se = math.sqrt(var / m + var / args.paths)
        z = (mc["mean_stopped_cycles"] - mean) / se
        bad += abs(z) > 4
        print(f"  mean stopped cycles: vixshield {mc['mean_stopped_cycles']:.5f}, reference {mean:.5f} (z = {z:+.2f})")
        if block == 1:
            exact = exact_run_odds(losses / n, n, 4)
            se = math.sqrt(exact * (1 - exact) / args.paths)
            z = (mc["p_losing_run"] - exact) / se
            bad += abs(z) > 4
            print(f"  P(run of 4) exact {exact:.5f}: vixshield within {z:+.2f} standard errors")
    print("differences beyond 4 standard errors:", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
