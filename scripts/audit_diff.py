#!/usr/bin/env python3
"""Check `vixshield diff` against running each side alone.

    python3 scripts/audit_diff.py [--binary PATH]

Pairs of strategies with known differences (identical files, a comment
changed, one multiplier changed, a guard added, the base changed, a hedge
allocation changed, a hedge trigger changed) are diffed over journals
(`--journal`, a journal of its header only among them) and over backtests
(`--backtest`, with and without `--from/--to` and assumption flags), in both
formats, as docs/commands.md (`diff`) describes it:
- over a journal, the decisions listed must be exactly those of
  `run --format json` on each side whose step, size, max loss, hedge budgets
  summed, hedge buys (the budgets of the layers that buy: active, trigger
  fired or none, not blocked, a size and a budget above $0) and the layers
  buying, or blocked flag differ, with the old and new values; the report
  the metrics of the two sides that differ (cycles, stopped out and max step
  as `run --summary` counts them, the largest size, budgets and buys summed,
  decisions blocked);
- over backtests, the condors listed must be exactly those whose entry,
  step, size, exit, P&L, hedge premium (the cost of its layers) or hedge P&L
  differ in the two `backtest --trades` JSON files, paired by number (a
  condor only one side has shows `-`/null on the other), and the report
  deltas exactly the listed metrics whose `backtest --format json` values
  differ, with those values;
- the human table has the columns the rules show, each row's values as the
  JSON gives them and under their column; each delta's line shows the
  values as `backtest` does and the change between the values shown (the
  exact change, to its first digit, when they show the same);
- exit 0 when nothing differs, 1 otherwise, 2 for trouble (a missing or
  broken file, a range without a trading day); the human output says the
  same as the JSON.
Prints each difference; exits 1 if any.
"""

import argparse
import json
import re
import pathlib
import subprocess
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal

ROOT = pathlib.Path(__file__).resolve().parent.parent
D = Decimal
# The backtest report's metrics diff compares, in its order (docs/commands.md,
# `diff`; losses_past_stop and worst_loss_to_max_loss from beeb703).
METRICS = ["trades", "skipped", "win_rate", "net_pnl", "hedge_pnl", "final_equity", "lowest_equity", "ruined_on",
           "cagr", "max_drawdown", "max_drawdown_intra_trade", "profit_factor", "sharpe", "sortino",
           "max_consecutive_losses", "max_step_reached", "cycles", "cycles_stopped_out", "losses_past_stop",
           "worst_loss_to_max_loss", "planned_cycle_risk", "peak_capital_at_risk", "hedge_cost_to_credit",
           "time_in_market"]
# Over a journal: what each side decides of it (docs/commands.md, `diff`).
JOURNAL_METRICS = ["cycles", "cycles_stopped_out", "max_step_reached", "largest_size", "hedge_budgets", "hedge_buys",
                   "blocked"]
# The table's label of each metric (as `backtest`'s table names it) and how
# its value is shown there.
SHOWN = {
    "trades": ("trades", "count"), "skipped": ("entry days skipped", "count"), "win_rate": ("win rate", "pct"),
    "net_pnl": ("net P&L", "money"), "hedge_pnl": ("hedge P&L", "money"), "final_equity": ("final equity", "money"),
    "lowest_equity": ("lowest equity", "money"), "ruined_on": ("ruined on", "date"), "cagr": ("CAGR", "pct"),
    "max_drawdown": ("max drawdown (closed)", "pct"), "max_drawdown_intra_trade": ("max drawdown (intra-trade)", "pct"),
    "profit_factor": ("profit factor", "ratio1"), "sharpe": ("Sharpe", "ratio"), "sortino": ("Sortino", "ratio"),
    "max_consecutive_losses": ("max consecutive losses", "count"), "max_step_reached": ("max step reached", "count"),
    "cycles": ("cycles", "count"), "cycles_stopped_out": ("cycles stopped out", "count"),
    "losses_past_stop": ("losses past the stop", "count"),
    "worst_loss_to_max_loss": ("worst loss to max loss", "ratio1"),
    "planned_cycle_risk": ("planned cycle risk", "money"), "peak_capital_at_risk": ("peak capital at risk", "money"),
    "hedge_cost_to_credit": ("hedge cost to credit", "pct"), "time_in_market": ("time in market", "pct"),
    "largest_size": ("largest size", "money"), "hedge_budgets": ("hedge budgets, summed", "money"),
    "hedge_buys": ("hedge buys, summed", "money"), "blocked": ("decisions blocked", "count"),
}


def run(b, *args):
    return subprocess.run([b, *args], capture_output=True, text=True)


def fmt_money(d):
    """Money as the tables show it: to the cent, half away from zero; whole dollars without cents."""
    d = D(d).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    whole, _, frac = f"{abs(d):f}".partition(".")
    if frac.strip("0"):
        return f"{sign}${int(whole):,}.{frac.ljust(2, '0')}"
    return f"{sign}${int(whole):,}"


def shown(kind, v):
    """A report value as the table shows it, and the number shown (None for `-` or a date)."""
    if v is None:
        return "-", None
    if kind == "date":
        return v, None
    if kind == "count":
        return str(int(D(str(v)))), D(str(v))
    if kind == "money":
        x = D(str(v)).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        return fmt_money(x), x
    x = D(repr(v)) if isinstance(v, float) else D(str(v))
    if kind == "pct":
        x = (x * 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        return f"{x:f}%", x
    # A ratio whose meaning turns at 1 (a profit factor) shows more places
    # while two would show `1.00` for a value on either side of 1 (63d0065).
    places = 2
    while kind == "ratio1" and x != 1 and places < 8 and \
            x.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP) == 1:
        places += 1
    x = x.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{x:f}", x


def first_digit(x):
    """An exact change kept to its first significant digit, half away from zero."""
    e = x.adjusted()
    return x.quantize(D(1).scaleb(e), rounding=ROUND_HALF_UP)


def change(kind, old, new):
    """The change shown beside two values (c0e77d0): that of the values shown
    when they show apart, else the exact change to its first digit; none
    beside `-` or a date."""
    so, xo = shown(kind, old)
    sn, xn = shown(kind, new)
    if xo is None or xn is None:
        return None
    if so != sn:
        d = xn - xo
    else:
        raw = lambda v: D(repr(v)) if isinstance(v, float) else D(str(v))
        d = raw(new) - raw(old)
        if kind == "pct":
            d *= 100
        if d == 0:
            return None
        d = first_digit(d)
    sign = "+" if d > 0 else "-"
    if kind == "money":
        return sign + fmt_money(abs(d))
    if kind == "pct":
        return f"{sign}{abs(d):f} pp"
    return f"{sign}{abs(d):f}"


def fmt_pct(d):
    """A fraction as a percentage, without trailing zeros (90%, 55.5%)."""
    return f"{(D(d) * 100).normalize():f}%"


def cells(line):
    """The cells of a table line (text a single space apart) with where each starts and ends."""
    return [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def check_human_table(columns, rows, text, bad, label):
    """The changed rows of the human table: a header of `columns` (name,
    left-aligned?, shown only when), then one row a changed entry, each value
    shown as the JSON has it, under its column (right-aligned values end where
    their label ends, left-aligned ones start where it starts)."""
    columns = [(n, left) for n, left, shown_ in columns if shown_]
    lines = text.splitlines()
    if not rows:
        return
    head = cells(lines[1]) if len(lines) > 1 else []
    if [c[0] for c in head] != [n for n, _ in columns]:
        bad.append(f"{label}: human header {[c[0] for c in head]}, want {[n for n, _ in columns]}")
        return
    body = lines[2:2 + len(rows)]
    # One difference a kind (a row's values, a value not under its column),
    # with the first row and how many rows have it.
    wrong, off = [], []
    for r, ln in zip(rows, body):
        got = cells(ln)
        if [c[0] for c in got] != r:
            wrong.append(f"{[c[0] for c in got]}, want {r}")
            continue
        for (n, left), h, g in zip(columns, head, got):
            if (g[1] != h[1]) if left else (g[2] != h[2]):
                off.append(f"trade {r[0]}: {g[0]!r} is not under {n!r} (label at columns {h[1]}..{h[2]}, "
                           f"value at {g[1]}..{g[2]})")
                break
    if wrong:
        bad.append(f"{label}: {len(wrong)} human rows differ, the first {wrong[0]}")
    if off:
        bad.append(f"{label}: {len(off)} human rows misaligned, the first {off[0]}")


def check_human_report(deltas, values, text, bad, label):
    """Each delta's line in the human table: label, the values shown, the change."""
    lines = text.splitlines()
    for d in deltas:
        name, kind = SHOWN[d["metric"]]
        old, new = values[d["metric"]]
        so, sn = shown(kind, old)[0], shown(kind, new)[0]
        ch = change(kind, old, new)
        # The label, then one value (no value shown has a space), so that
        # `cycles` is not `cycles stopped out`.
        hit = [ln for ln in lines if ln.startswith(f"  {name} ") and " → " in ln
               and len(ln[2 + len(name):].partition(" → ")[0].split()) == 1]
        if len(hit) != 1:
            bad.append(f"{label}: human has {len(hit)} lines for {name!r}")
            continue
        left, _, right = hit[0][2 + len(name):].partition(" → ")
        right = right.strip()
        got_ch = None
        if right.endswith(")") and "  (" in right:
            right, _, got_ch = right.rpartition("  (")
            right, got_ch = right.strip(), got_ch[:-1]
        if (left.strip(), right, got_ch) != (so, sn, ch):
            bad.append(f"{label}: human {hit[0].strip()!r}, want {name} {so} → {sn} ({ch})")


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
    put("trigger", base.replace("or rsi(vix, 14) > 70", "or rsi(vix, 14) > 60"))
    return str(ROOT / "strategies" / "spx-mastery.vxs"), out


def compared(x):
    """What diff compares of a decision of `run --format json`: step, size,
    max loss (the step's share of the credit), the hedge budgets summed, the
    layers that buy (active, trigger fired or none, a condor entered: not
    blocked and a size above $0, a budget to spend, as `next` says) with
    their budgets, and whether a guard blocks it."""
    buying = [dict(layer=h["layer"], budget=D(h["budget"])) for h in x["hedges"]
              if h["active"] and h["trigger"] in ("fired", "always") and not x["blocked"] and D(x["size"]) > 0
              and D(h["budget"]) > 0]
    return dict(step=x["step"], size=D(x["size"]), max_loss_pct=D(x["max_loss_pct"]),
                hedges=sum((D(h["budget"]) for h in x["hedges"]), D(0)),
                hedge_buys=sum((h["budget"] for h in buying), D(0)), hedge_layers_buying=buying,
                blocked=x["blocked"])


def as_numbers(c):
    """A changed entry of diff's JSON with its amounts as numbers, to compare."""
    out = dict(c)
    for k, v in c.items():
        if v is None:
            continue
        if k.endswith(("_size", "_hedges", "_hedge_buys", "_max_loss_pct", "_pnl", "_hedge_premium")):
            out[k] = D(v)
        elif k.endswith("_hedge_layers_buying"):
            out[k] = [dict(layer=h["layer"], budget=D(h["budget"])) for h in v]
    return out


def journal_case(b, old, new, journal, bad, label):
    ja = json.loads(run(b, "run", old, "--journal", journal, "--format", "json").stdout)
    jb = json.loads(run(b, "run", new, "--journal", journal, "--format", "json").stdout)
    want = []
    for x, y in zip(ja, jb):
        cx, cy = compared(x), compared(y)
        if cx != cy:
            c = dict(trade=x["trade"], date=x["date"])
            for k in cx:
                c[f"old_{k}"], c[f"new_{k}"] = cx[k], cy[k]
            want.append(c)
    # The report: cycles as `run --summary` counts them, the rest over every decision.
    values = {}
    for side, (f, js) in (("old", (old, ja)), ("new", (new, jb))):
        sm = json.loads(run(b, "run", f, "--journal", journal, "--summary", "--format", "json").stdout)
        cs = [compared(x) for x in js]
        values[side] = dict(cycles=len(sm["cycles"]), cycles_stopped_out=sm["overall"]["cycles_stopped_out"],
                            max_step_reached=sm["overall"]["max_step_reached"],
                            largest_size=max(c["size"] for c in cs),
                            hedge_budgets=sum((c["hedges"] for c in cs), D(0)),
                            hedge_buys=sum((c["hedge_buys"] for c in cs), D(0)),
                            blocked=sum(1 for c in cs if c["blocked"]))
    deltas = [dict(metric=m, old=D(values["old"][m]), new=D(values["new"][m])) for m in JOURNAL_METRICS
              if values["old"][m] != values["new"][m]]
    differs = bool(want or deltas)
    p = run(b, "diff", old, new, "--journal", journal, "--format", "json")
    if p.returncode != (1 if differs else 0):
        bad.append(f"{label}: exit {p.returncode}, want {1 if differs else 0} ({len(want)} decisions differ)")
    if p.returncode not in (0, 1):
        bad.append(f"{label}: {p.stderr.strip()}")
        return
    gj = json.loads(p.stdout)
    got = [as_numbers(c) for c in gj["changed"]]
    if got != want:
        bad.append(f"{label}: changed {got[:2]} ... want {want[:2]} ... ({len(got)} vs {len(want)})")
    gr = [dict(metric=r["metric"], old=D(r["old"]), new=D(r["new"])) for r in gj["report"]]
    if gr != deltas:
        bad.append(f"{label}: report {gj['report']} want {deltas}")
    h = run(b, "diff", old, new, "--journal", journal)
    if h.returncode != p.returncode:
        bad.append(f"{label}: human exit {h.returncode}, json {p.returncode}")
    first = h.stdout.splitlines()[0] if h.stdout else ""
    wf = (f"{len(want)} decision{'' if len(want) == 1 else 's'} differ{'s' if len(want) == 1 else ''}:"
          if want else "no decision differs")
    if first != wf:
        bad.append(f"{label}: human says {first!r}, want {wf!r}")
    check_human_report(deltas, {m: (values["old"][m], values["new"][m]) for m in JOURNAL_METRICS}, h.stdout, bad,
                       label)
    # The table: the max loss, hedges and buys where some decision's differ,
    # the layers buying where they differ with both sums the same.
    apart = lambda k: any(c[f"old_{k}"] != c[f"new_{k}"] for c in want)
    layers = any(c["old_hedge_layers_buying"] != c["new_hedge_layers_buying"] and c["old_hedges"] == c["new_hedges"]
                 and c["old_hedge_buys"] == c["new_hedge_buys"] for c in want)
    cols = [("trade", False, True), ("date", True, True), ("old step", False, True), ("new step", False, True),
            ("old size", False, True), ("new size", False, True), ("old max loss", False, apart("max_loss_pct")),
            ("new max loss", False, apart("max_loss_pct")), ("old hedges", False, apart("hedges")),
            ("new hedges", False, apart("hedges")), ("old buys", False, apart("hedge_buys")),
            ("new buys", False, apart("hedge_buys")), ("old layers buying", True, layers),
            ("new layers buying", True, layers), ("old blocked", False, True), ("new blocked", False, True)]
    buying = lambda v: ", ".join(f"{x['layer']} {fmt_money(x['budget'])}" for x in v) or "none"
    rows = []
    for c in want:
        r = [str(c["trade"]), c["date"] or "-", str(c["old_step"]), str(c["new_step"]), fmt_money(c["old_size"]),
             fmt_money(c["new_size"])]
        if apart("max_loss_pct"):
            r += [fmt_pct(c["old_max_loss_pct"]), fmt_pct(c["new_max_loss_pct"])]
        if apart("hedges"):
            r += [fmt_money(c["old_hedges"]), fmt_money(c["new_hedges"])]
        if apart("hedge_buys"):
            r += [fmt_money(c["old_hedge_buys"]), fmt_money(c["new_hedge_buys"])]
        if layers:
            r += [buying(c["old_hedge_layers_buying"]), buying(c["new_hedge_layers_buying"])]
        r += ["yes" if c["old_blocked"] else "no", "yes" if c["new_blocked"] else "no"]
        rows.append(r)
    check_human_table(cols, rows, h.stdout, bad, label)


def condor(t):
    """What diff compares of a condor of a `backtest --trades` JSON file; the
    hedge premium is the cost (premium and commissions) of all its layers."""
    if t is None:
        return None
    return dict(date=t["entry"], step=t["step"], size=D(t["size"]), exit=t["exit"], pnl=D(t["pnl"]),
                hedge_premium=sum((D(h["cost"]) for h in t["hedges"]), D(0)), hedge_pnl=D(t["hedge_pnl"]))


def backtest_case(b, old, new, flags, bad, label, tmp):
    ta, tb = tmp / "a.json", tmp / "b.json"
    ra = json.loads(run(b, "backtest", old, "--format", "json", "--trades", str(ta), *flags).stdout)
    rb = json.loads(run(b, "backtest", new, "--format", "json", "--trades", str(tb), *flags).stdout)
    xa, xb = json.loads(ta.read_text()), json.loads(tb.read_text())
    want = []
    for i in range(max(len(xa), len(xb))):
        x = condor(xa[i] if i < len(xa) else None)
        y = condor(xb[i] if i < len(xb) else None)
        if x == y:
            continue
        c = dict(trade=i + 1, date=(x or y)["date"])
        if x and y and x["date"] != y["date"]:
            c["new_date"] = y["date"]
        for k in ("step", "size", "exit", "pnl", "hedge_premium", "hedge_pnl"):
            c[f"old_{k}"], c[f"new_{k}"] = (x or {}).get(k), (y or {}).get(k)
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
    gc = [as_numbers(c) for c in got["changed"]]
    if gc != want:
        bad.append(f"{label}: changed {gc[:2]} ... want {want[:2]} ... ({len(gc)} vs {len(want)})")
    if got["report"] != deltas:
        bad.append(f"{label}: report {got['report']} want {deltas}")
    h = run(b, "diff", old, new, "--backtest", *flags)
    if h.returncode != p.returncode:
        bad.append(f"{label}: human exit {h.returncode}")
    check_human_report(deltas, {m: (ra[m], rb[m]) for m in METRICS}, h.stdout, bad, label)
    # The values shown are `backtest`'s: each delta's value, as formatted
    # here, is the first word of the line of its label in that side's table
    # where the table has one.
    for side, f, r in (("old", old, ra), ("new", new, rb)):
        table = run(b, "backtest", f, *flags).stdout.splitlines()
        for d in deltas:
            name, kind = SHOWN[d["metric"]]
            line = [ln for ln in table if re.match(re.escape(name) + r"\s{2,}\S", ln)]
            if line and line[0][len(name):].split()[0] != shown(kind, r[d["metric"]])[0]:
                bad.append(f"{label}: {side} backtest shows {line[0]!r}, the diff's value "
                           f"{shown(kind, r[d['metric']])[0]}")
    if not deltas and "the reports are the same" not in h.stdout:
        bad.append(f"{label}: human does not say the reports are the same")
    if not want and "no condor differs" not in h.stdout:
        bad.append(f"{label}: human does not say no condor differs")
    first = h.stdout.splitlines()[0] if h.stdout else ""
    wf = (f"{len(want)} condor{'' if len(want) == 1 else 's'} differ{'s' if len(want) == 1 else ''}:"
          if want else "no condor differs")
    if first != wf:
        bad.append(f"{label}: human says {first!r}, want {wf!r}")
    # The table: exits, P&L and hedges where some condor's differ; an entry
    # on another day shows both days; a side without the condor shows `-`.
    apart = lambda k: any(c[f"old_{k}"] != c[f"new_{k}"] for c in want)
    cols = [("trade", False, True), ("date", True, True), ("old step", False, True), ("new step", False, True),
            ("old size", False, True), ("new size", False, True), ("old exit", False, apart("exit")),
            ("new exit", False, apart("exit")), ("old P&L", False, apart("pnl")), ("new P&L", False, apart("pnl")),
            ("old hedge premium", False, apart("hedge_premium")), ("new hedge premium", False, apart("hedge_premium")),
            ("old hedge P&L", False, apart("hedge_pnl")), ("new hedge P&L", False, apart("hedge_pnl"))]
    opt = lambda v, f: "-" if v is None else f(v)
    rows = []
    for c in want:
        r = [str(c["trade"]), c["date"] + (f" → {c['new_date']}" if "new_date" in c else ""),
             opt(c["old_step"], str), opt(c["new_step"], str), opt(c["old_size"], fmt_money),
             opt(c["new_size"], fmt_money)]
        for k, f in (("exit", str), ("pnl", fmt_money), ("hedge_premium", fmt_money), ("hedge_pnl", fmt_money)):
            if apart(k):
                r += [opt(c[f"old_{k}"], f), opt(c[f"new_{k}"], f)]
        rows.append(r)
    check_human_table(cols, rows, h.stdout, bad, label)


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
        # A new account's journal (its header only: the first decisions are
        # compared) and one of a single trade.
        (tmp / "header.csv").write_text("date,pnl,credit\n")
        (tmp / "one.csv").write_text("date,pnl,credit\n2024-01-05,-100,1000\n")
        journals += [str(tmp / "header.csv"), str(tmp / "one.csv")]
        for name, new in vs.items():
            for j in journals:
                journal_case(b, old, new, j, bad, f"journal {name} {pathlib.Path(j).name}")
            for flags in ([], ["--from", "2017-06-01", "--to", "2018-06-30"], ["--to", "2004-12-31", "--slippage", "0.1"]):
                backtest_case(b, old, new, flags, bad, f"backtest {name} {' '.join(flags)}", tmp)
            print(name, "done")
        # Two layers swapping which buys (both from step 1, 15% each, the
        # trigger moved from the front layer to the back one): the same sums,
        # other layers buying.
        src = pathlib.Path(old).read_text()
        trig = ("    trigger = macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9)\n"
                "        or rsi(vix, 14) > 70\n")
        back = ("    allocation = 10% of size\n    active = from step 3\n",
                "    allocation = 15% of size\n    active = from step 1\n")
        (tmp / "swap_a.vxs").write_text(src.replace(*back))
        (tmp / "swap_b.vxs").write_text(src.replace(trig, "").replace(back[0], back[1] + trig))
        for j in journals:
            journal_case(b, str(tmp / "swap_a.vxs"), str(tmp / "swap_b.vxs"), j, bad,
                         f"journal swap {pathlib.Path(j).name}")
        backtest_case(b, str(tmp / "swap_a.vxs"), str(tmp / "swap_b.vxs"), ["--to", "2004-12-31"], bad,
                      "backtest swap", tmp)
        # Two different strategy files.
        backtest_case(b, old, str(ROOT / "strategies" / "conservative.vxs"), ["--to", "2003-12-31"], bad,
                      "backtest conservative", tmp)
        # One side without a loss: no profit factor.
        backtest_case(b, old, str(ROOT / "tests" / "fixtures" / "strategies" / "tasty-16-delta.vxs"),
                      ["--from", "2004-01-01", "--to", "2004-12-31"], bad, "backtest tasty 2004", tmp)
        for j in journals:
            journal_case(b, old, str(ROOT / "strategies" / "aggressive.vxs"), j, bad, f"journal aggressive {j}")
        # Trouble is exit 2: a file that cannot be read or does not check, a
        # range with no trading day (which `backtest` exits 1 for).
        (tmp / "broken.vxs").write_text('strategy "x" {\n')
        for args_ in ([old, str(tmp / "missing.vxs"), "--journal", journals[0]],
                      [old, str(tmp / "broken.vxs"), "--backtest"],
                      [old, vs["mult"], "--backtest", "--from", "2020-01-04", "--to", "2020-01-05"]):
            p = run(b, "diff", *args_)
            if p.returncode != 2 or not p.stderr.strip():
                bad.append(f"diff {' '.join(args_[1:])}: exit {p.returncode}, want 2 with an error")
        p = run(b, "backtest", old, "--from", "2020-01-04", "--to", "2020-01-05")
        if p.returncode != 1:
            bad.append(f"backtest over a range with no trading day: exit {p.returncode}, want 1")
    for x in bad:
        print(x)
    print("differences:", len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
