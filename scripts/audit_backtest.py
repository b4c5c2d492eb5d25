#!/usr/bin/env python3
"""Check `vixshield backtest`'s report against its own trades and chart.

    cargo build --release --locked
    python3 scripts/audit_backtest.py [--binary PATH]

(from the repository's root or anywhere: paths are the repository's; the
binary defaults to target/release/vixshield). Not run by `cargo test`; it
takes about a minute.

For several strategies, `--from/--to` windows and assumption flags, runs
`backtest --format json --trades T.csv --chart C.svg` and the table, then:
- every figure of the table equals the JSON's after the documented rounding
  (money to the cent, percentages to 0.01% half away from zero of the
  decimal JSON shows, ratios to 2 places);
- from the trades CSV alone, in exact fractions: trades, win rate (P&L >= 0),
  net and hedge P&L, final equity (capital + net P&L), CAGR (from the report's
  first to last day, 365.25-day years), the closed drawdown (equity at exits),
  profit factor, longest losing run, deepest step, exits by reason, cycles
  (a cycle ends before a trade at step 1), stopped-out cycles and the worst
  cycles by trough, and per year (by exit date) trades, win rate and P&L;
- time in market from the data files' trading days (a real SPX close and a
  VIX close) and the trades' entry and exit dates;
- ruin: `ruined_on` is null exactly when `lowest_equity` is above $0, and
  then CAGR, Sharpe and Sortino are null (`- (ruined)` in the table, with
  a RUINED line); the lowest equity is at most the capital and every
  exit's closed equity;
- the chart: one equity point per trading day, x increasing with the date,
  the point of each exit day within 1.5 px of capital + the P&L closed so
  far (the y axis fitted from its tick labels), the running-peak line never
  below the equity line, the step line at the open trade's step.
Prints each difference; exits 1 if any.
"""

import argparse
import csv
import datetime as dt
import json
import pathlib
import re
import subprocess
import sys
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUIN = object()  # the ruinous variant of spx-mastery, written at run time


def pct(x):
    """The table's percentage of a JSON float: its shortest decimal × 100, half away from zero."""
    d = Decimal(repr(x)) * 100
    d = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)
    return f"{d}%"


def pct_or(x, none="-"):
    return none if x is None else pct(x)


def money(d):
    d = Decimal(d)
    sign = "-" if d < 0 else ""
    d = abs(d)
    whole, _, frac = f"{d:f}".partition(".")
    whole = f"{int(whole):,}"
    if frac.strip("0"):
        frac = frac.ljust(2, "0")
        return f"{sign}${whole}.{frac}"
    return f"{sign}${whole}"


def trading_days():
    spx = set()
    with open(ROOT / "data" / "spx-daily.csv") as f:
        for row in csv.DictReader(f):
            if row["close"].strip():
                spx.add(dt.date.fromisoformat(row["date"]))
    vix = set()
    with open(ROOT / "data" / "vix-daily.csv") as f:
        for row in csv.DictReader(f):
            m, d, y = (None, None, None)
            s = row["DATE"]
            if "/" in s:
                m, d, y = s.split("/")
                day = dt.date(int(y), int(m), int(d))
            else:
                day = dt.date.fromisoformat(s)
            if row["CLOSE"].strip():
                vix.add(day)
    return sorted(spx & vix)


def capital_of(path):
    m = re.search(r"capital\s*=\s*\$([0-9,\.]+)", pathlib.Path(path).read_text())
    return Fraction(Decimal(m.group(1).replace(",", "")))


def steps_of(path):
    return int(re.search(r"steps\s*=\s*(\d+)", pathlib.Path(path).read_text()).group(1))


def parse_table(text):
    lines = text.splitlines()
    head = {}
    years = []
    worst = []
    section = "head"
    for ln in lines[2:]:
        if ln.startswith("year "):
            section = "years"
            continue
        if ln.startswith("worst ") or ln.startswith("no cycles"):
            section = "worst"
            head["worst_title"] = ln
            continue
        if not ln.strip():
            continue
        if section == "head":
            head[ln[:28].strip()] = ln[28:]
        elif section == "years":
            years.append(ln.split())
        else:
            worst.append(ln.strip())
    return lines[0], head, years, worst


def polylines(svg):
    out = []
    for m in re.finditer(r'<polyline[^>]*stroke="(#[0-9A-F]+)"[^>]*points="([^"]*)"', svg):
        pts = [tuple(int(v) for v in p.split(",")) for p in m.group(2).split()]
        out.append((m.group(1), pts))
    return out


def audit(binary, strategy, flags, days_all, tmp):
    bad = []
    tcsv, svgf = tmp / "t.csv", tmp / "c.svg"
    p = subprocess.run([binary, "backtest", strategy, "--format", "json", "--trades", str(tcsv), "--chart",
                        str(svgf), "--worst", "1000", *flags], capture_output=True, text=True)
    if p.returncode != 0:
        return [f"exit {p.returncode}: {p.stderr.strip()}"]
    r = json.loads(p.stdout)
    t = subprocess.run([binary, "backtest", strategy, "--worst", "1000", *flags], capture_output=True, text=True)
    title, head, yrows, wrows = parse_table(t.stdout)

    def same(what, got, want):
        if got != want:
            bad.append(f"{what}: {got!r} != {want!r}")

    # Table against JSON.
    same("title dates", title.split(": ")[-1], f"{r['start']} .. {r['end']}")
    same("trades", head["trades"], f"{r['trades']} ({r['skipped']} entry days skipped)")
    ruined = r["ruined_on"] is not None
    # After ruin CAGR, Sharpe and Sortino are null and say why.
    none = "- (ruined)" if ruined else "-"
    same("CAGR", head["CAGR"], pct_or(r["cagr"], none))
    for key, label in [("win_rate", "win rate"), ("max_drawdown", "max drawdown (closed)"),
                       ("max_drawdown_intra_trade", "max drawdown (intra-trade)"),
                       ("hedge_cost_to_credit", "hedge cost to credit"), ("time_in_market", "time in market")]:
        same(label, head[label], pct_or(r[key]))
    lowest = money(r["lowest_equity"])
    if r["lowest_equity_on"] is not None:
        lowest += f" on {r['lowest_equity_on']}"
    same("lowest equity", head["lowest equity"], lowest)
    same("RUINED line", head.get("RUINED"),
         f"on {r['ruined_on']} the marked equity fell to $0 or below, so CAGR, Sharpe and Sortino have no value"
         if ruined else None)
    same("ruined_on iff lowest <= 0", ruined, Decimal(r["lowest_equity"]) <= 0)
    if ruined:
        for key in ("cagr", "sharpe", "sharpe_se", "sortino"):
            same(f"{key} after ruin", r[key], None)
        same("ruined no later than the lowest day", r["ruined_on"] <= r["lowest_equity_on"], True)
    for key, label in [("net_pnl", "net P&L"), ("hedge_pnl", "hedge P&L"), ("final_equity", "final equity"),
                       ("peak_capital_at_risk", "peak capital at risk")]:
        same(label, head[label], money(r[key]))
    for key, label in [("sharpe", "Sharpe"), ("sharpe_se", "Sharpe standard error"), ("sortino", "Sortino")]:
        same(label, head[label], none if r[key] is None else f"{r[key]:.2f}")
    same("profit factor", head["profit factor"], "-" if r["profit_factor"] is None else f"{r['profit_factor']:.2f}")
    for key, label in [("max_consecutive_losses", "max consecutive losses"), ("max_step_reached", "max step reached"),
                       ("cycles_stopped_out", "cycles stopped out")]:
        same(label, head[label], str(r[key]))
    same("exits", head["exits"], ", ".join(f"{e['reason']} {e['trades']}" for e in r["exits"]) or "none")
    same("year rows", len(yrows), len(r["years"]))
    for row, y in zip(yrows, r["years"]):
        want = [str(y["year"]), str(y["trades"]), "-" if y["win_rate"] is None else pct(y["win_rate"]),
                money(y["net_pnl"]), pct_or(y["return_pct"]), pct_or(y["max_drawdown"])]
        same(f"year {y['year']}", row, want)
    same("worst title", head.get("worst_title", ""),
         f"worst {len(r['worst_cycles'])} of {r['cycles']} cycles (by trough: the deepest the ladder's cycle P&L went):"
         if r["cycles"] else "no cycles: no condor was traded")
    for row, c in zip(wrows, r["worst_cycles"]):
        plural = "" if c["trades"] == 1 else "s"
        want = (f"{c['start']} .. {c['end']}  {c['trades']:>2} trade{plural}, max step {c['max_step']}, trough "
                f"{money(c['trough'])}, condors {money(c['pnl'])}, hedges {money(c['hedge_pnl'])}"
                + (", stopped out" if c["stopped_out"] else ""))
        same("worst row", row, want)

    # Recomputed from the trades CSV.
    cap = capital_of(strategy)
    steps = steps_of(strategy)
    with open(tcsv) as f:
        tr = list(csv.DictReader(f))
    for x in tr:
        for k in ("pnl", "hedge_pnl", "credit", "size", "max_loss"):
            x[k] = Fraction(Decimal(x[k]))
        x["step"] = int(x["step"])
        x["exit"] = dt.date.fromisoformat(x["exit"])
        x["entry"] = dt.date.fromisoformat(x["entry"])
    n = len(tr)
    same("trades (csv)", r["trades"], n)
    same("trade numbers", [int(x["trade"]) for x in tr], list(range(1, n + 1)))
    wins = sum(1 for x in tr if x["pnl"] >= 0)
    same("win_rate (csv)", r["win_rate"], float(Fraction(wins, n)) if n else None)
    net = sum((x["pnl"] + x["hedge_pnl"] for x in tr), Fraction(0))
    same("net_pnl (csv)", Fraction(Decimal(r["net_pnl"])), net)
    same("hedge_pnl (csv)", Fraction(Decimal(r["hedge_pnl"])), sum((x["hedge_pnl"] for x in tr), Fraction(0)))
    same("final_equity (csv)", Fraction(Decimal(r["final_equity"])), cap + net)
    start, end = dt.date.fromisoformat(r["start"]), dt.date.fromisoformat(r["end"])
    same("no entry on the last day", [x["trade"] for x in tr if x["entry"] == end], [])
    years = max((end - start).days / 365.25, 1 / 365.25)
    if not ruined:
        cagr = float((cap + net) / cap) ** (1 / years) - 1
        if abs(cagr - r["cagr"]) > 1e-12:
            bad.append(f"cagr {r['cagr']} != {cagr}")
    eq, peak, dd, low = cap, cap, Fraction(0), cap
    for x in tr:
        eq += x["pnl"] + x["hedge_pnl"]
        peak = max(peak, eq)
        dd = max(dd, (peak - eq) / peak)
        low = min(low, eq)
    # An exit day's marked equity is its closed equity; the first day's the capital.
    if Fraction(Decimal(r["lowest_equity"])) > low:
        bad.append(f"lowest_equity {r['lowest_equity']} above the closed equity's {float(low)}")
    if abs(float(dd) - r["max_drawdown"]) > 1e-12:
        bad.append(f"max_drawdown {r['max_drawdown']} != {float(dd)}")
    gw = sum((x["pnl"] for x in tr if x["pnl"] > 0), Fraction(0))
    gl = -sum((x["pnl"] for x in tr if x["pnl"] < 0), Fraction(0))
    pf = None if gl == 0 else float(gw / gl)
    if (pf is None) != (r["profit_factor"] is None) or (pf is not None and abs(pf - r["profit_factor"]) > 1e-12):
        bad.append(f"profit_factor {r['profit_factor']} != {pf}")
    run = best = 0
    for x in tr:
        run = run + 1 if x["pnl"] < 0 else 0
        best = max(best, run)
    same("max_consecutive_losses", r["max_consecutive_losses"], best)
    same("max_step_reached", r["max_step_reached"], max((x["step"] for x in tr), default=0))
    exits = {}
    for x in tr:
        exits[x["exit_reason"]] = exits.get(x["exit_reason"], 0) + 1
    same("exits", {e["reason"]: e["trades"] for e in r["exits"]}, exits)
    # Cycles: a trade at step 1 starts one.
    cycles = []
    for x in tr:
        if x["step"] == 1 or not cycles:
            cycles.append([])
        cycles[-1].append(x)
    same("cycles", r["cycles"], len(cycles))
    rows = []
    for c in cycles:
        acc, trough = Fraction(0), Fraction(0)
        for x in c:
            acc += x["pnl"]
            trough = min(trough, acc)
        pnl = sum((x["pnl"] for x in c), Fraction(0))
        last = c[-1]
        # A trade at the step limit ends its cycle, the backtest's last too.
        stopped = last["step"] == steps and pnl < 0
        rows.append(dict(start=c[0]["entry"].isoformat(), end=last["exit"].isoformat(), trades=len(c),
                         max_step=max(x["step"] for x in c), trough=trough, pnl=pnl,
                         hedge_pnl=sum((x["hedge_pnl"] for x in c), Fraction(0)), stopped_out=stopped))
    same("cycles_stopped_out", r["cycles_stopped_out"], sum(1 for c in rows if c["stopped_out"]))
    # Condors past their stop, and the worst loss as a multiple of its stop.
    losing = [x for x in tr if x["pnl"] < 0]
    past = sum(1 for x in tr if x["pnl"] < -x["max_loss"])
    same("losses_past_stop", r["losses_past_stop"], past)
    worst = max((-x["pnl"] / x["max_loss"] for x in losing if x["max_loss"] > 0), default=None)
    got = r["worst_loss_to_max_loss"]
    if (worst is None) != (got is None) or (worst is not None and abs(float(worst) - got) > 1e-12 * float(worst)):
        bad.append(f"worst_loss_to_max_loss: {got!r} != {worst!r}")
    same("losses past the stop", head["losses past the stop"],
         "0 (no losing condor)" if worst is None else
         f"{past} of {len(losing)} losing condor{'' if len(losing) == 1 else 's'}, the worst {float(worst):.2f}× its max loss")
    rows.sort(key=lambda c: (c["trough"], c["start"]))
    got = [dict(c, trough=Fraction(Decimal(c["trough"])), pnl=Fraction(Decimal(c["pnl"])),
                hedge_pnl=Fraction(Decimal(c["hedge_pnl"]))) for c in r["worst_cycles"]]
    same("worst cycles", got, rows[:1000])
    ys = {}
    for x in tr:
        ys.setdefault(x["exit"].year, []).append(x)
    for y in r["years"]:
        xs = ys.get(y["year"], [])
        same(f"year {y['year']} trades", y["trades"], len(xs))
        wr = float(Fraction(sum(1 for x in xs if x["pnl"] >= 0), len(xs))) if xs else None
        same(f"year {y['year']} win rate", y["win_rate"], wr)
        same(f"year {y['year']} net", Fraction(Decimal(y["net_pnl"])),
             sum((x["pnl"] + x["hedge_pnl"] for x in xs), Fraction(0)))
    same("years listed", [y["year"] for y in r["years"]], list(range(start.year, end.year + 1)))
    # Time in market from the trading days.
    days = [d for d in days_all if start <= d <= end]
    same("first/last trading day", (days[0], days[-1]), (start, end))
    inside = 0
    for d in days:
        if any(x["entry"] <= d < x["exit"] for x in tr):
            inside += 1
    tim = inside / len(days)
    if abs(tim - r["time_in_market"]) > 1e-12:
        bad.append(f"time_in_market {r['time_in_market']} != {tim} ({inside}/{len(days)})")

    # The chart.
    svg = svgf.read_text()
    lines = polylines(svg)
    # Each series also draws its legend's sample, a two-point line, after
    # it: the series is the first line of its colour.
    colour = lambda c: [pts for col, pts in lines if col == c][:1]
    # The step line is the last black polyline of the middle panel.
    middle = [pts for col, pts in lines if col == "#000000" and all(300 < y < 600 for _, y in pts)]
    if len(colour("#0000FF")) != 1 or len(colour("#FF0000")) != 1 or len(colour("#FF00FF")) != 1 or not middle:
        bad.append("chart: the data series are not there")
        return bad
    (equity,), (peakline,), stepline = colour("#0000FF"), colour("#FF0000"), middle[-1]
    same("chart equity points", len(equity), len(days))
    xs = [p[0] for p in equity]
    if xs != sorted(xs):
        bad.append("chart: x not increasing")
    if any(pk[1] > e[1] for pk, e in zip(peakline, equity)):
        bad.append("chart: running peak below equity")
    ticks = []
    # The y axes' tick labels (right-aligned, where the dates below each
    # panel are centred): plain numbers, and the equity axis's dollars
    # (`-$50,000`).
    texts = [(y, v.replace("$", "").replace(",", ""))
             for y, v in re.findall(r'<text x="\d+" y="(\d+)" dy="0.5ex" text-anchor="end"[^>]*>\s*([-$0-9.,]+)\s*</text>', svg)]
    for y, v in texts:
        if int(y) < 300:
            ticks.append((int(y), float(v)))
    if len(ticks) < 2:
        bad.append(f"chart: {len(ticks)} equity axis labels found")
    if len(ticks) >= 2 and len(equity) == len(days):
        (y0, v0), (y1, v1) = ticks[0], ticks[-1]
        to_px = lambda v: y0 + (v - v0) * (y1 - y0) / (v1 - v0)
        closed = float(cap)
        idx = {d: i for i, d in enumerate(days)}
        worst = 0
        for x in tr:
            closed += float(x["pnl"] + x["hedge_pnl"])
            i = idx[x["exit"]]
            worst = max(worst, abs(equity[i][1] - to_px(closed)))
        if worst > 1.5:
            bad.append(f"chart: an exit day's equity is {worst:.1f} px from the closed equity")
        # The intra-trade drawdown, read back from the plotted points (to a
        # pixel: the tolerance is two pixels' worth over the peak).
        from_px = lambda y: v0 + (y - y0) * (v1 - v0) / (y1 - y0)
        pk, dd_px = float(cap), 0.0
        for _, y in equity:
            e = from_px(y)
            pk = max(pk, e)
            dd_px = max(dd_px, (pk - e) / pk)
        tol = 2 * abs((v1 - v0) / (y1 - y0)) / float(cap)
        if abs(dd_px - r["max_drawdown_intra_trade"]) > tol:
            bad.append(f"chart: intra-trade drawdown {dd_px:.4f} from the plot, {r['max_drawdown_intra_trade']:.4f} reported")
    # Step line: plotted y for each step from the panel's tick labels.
    sticks = {}
    for y, v in texts:
        if 300 < int(y) < 600:
            sticks[int(float(v))] = int(y)
    open_step = []
    for d in days:
        s = 0
        for x in tr:
            if x["entry"] <= d < x["exit"]:
                s = x["step"]
        open_step.append(s)
    # Stairs: a point a day at its step, and where the step changed a point
    # before it on the same day at the step before.
    changes = sum(1 for a, b in zip(open_step, open_step[1:]) if a != b)
    same("chart step points", len(stepline), len(days) + changes)
    if not sticks:
        bad.append("chart: no step axis labels found")
    elif len(stepline) == len(days) + changes:
        at_day, k = [], 0
        for i, s in enumerate(open_step):
            if i and s != open_step[i - 1]:
                if abs(stepline[k][1] - sticks.get(open_step[i - 1], -99)) > 1 or stepline[k][0] != stepline[k + 1][0]:
                    bad.append(f"chart: the step's change on {days[i]} is no upright")
                k += 1
            at_day.append(stepline[k])
            k += 1
        mism = [(d, s, p[1]) for d, s, p in zip(days, open_step, at_day) if abs(p[1] - sticks.get(s, -99)) > 1]
        if mism:
            bad.append(f"chart: step line differs on {len(mism)} days, first {mism[:3]}")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "vixshield"))
    args = ap.parse_args()
    days_all = trading_days()
    cases = [
        ("strategies/spx-mastery.vxs", []),
        ("strategies/spx-mastery.vxs", ["--from", "2008-01-01", "--to", "2009-12-31"]),
        ("strategies/spx-mastery.vxs", ["--from", "2017-06-01", "--to", "2018-03-01", "--slippage", "0.2"]),
        ("strategies/conservative.vxs", []),
        ("strategies/conservative.vxs", ["--from", "2020-01-01", "--commission", "$2", "--put-skew", "0.1"]),
        ("strategies/aggressive.vxs", []),
        ("strategies/aggressive.vxs", ["--to", "2003-06-30", "--call-skew", "0"]),
        ("tests/fixtures/strategies/tasty-16-delta.vxs", []),
        ("strategies/spx-mastery.vxs", ["--vol-of-vol", "2", "--hedge-otm", "1", "--spread-width", "2"]),
        ("strategies/spx-mastery.vxs", ["--from", "2025-08-14"]),
        ("strategies/spx-mastery.vxs", ["--slippage", "1", "--commission", "$10"]),
        ("strategies/spx-mastery.vxs", ["--from", "2022-12-24", "--to", "2023-07-04"]),
        ("strategies/spx-theta.vxs", ["--from", "2019-11-28", "--to", "2021-01-01"]),
        ("strategies/conservative.vxs", ["--put-skew", "-0.2", "--call-skew", "0.2", "--vol-of-vol", "0.2"]),
        # The last day takes no entry: no condor, a report of nothing.
        ("strategies/spx-mastery.vxs", ["--from", "2025-08-15"]),
        ("strategies/spx-mastery.vxs", ["--from", "2025-08-04"]),
        # Ruinous: 30% of capital a condor, no WACC or quick-ratio guard
        # (the marked equity goes to about -$123,842 in February 2018).
        (RUIN, ["--from", "2017-06-01", "--to", "2019-12-31"]),
        (RUIN, ["--from", "2002-03-01", "--to", "2003-12-31"]),
    ]
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        text = (ROOT / "strategies" / "spx-mastery.vxs").read_text()
        for a, b in [("base = 1% of capital", "base = 30% of capital"),
                     ("layer_cap = 10% of capital", "layer_cap = 100% of capital"),
                     ("    wacc_impact < 18bps\n", ""), ("    quick_ratio >= 1.4 under 3 sigma\n", "")]:
            text = text.replace(a, b)
        (pathlib.Path(tmp) / "ruin.vxs").write_text(text)
        cases = [(str(pathlib.Path(tmp) / "ruin.vxs") if s is RUIN else s, flags) for s, flags in cases]
        for s, flags in cases:
            bad = audit(args.binary, str(ROOT / s), flags, days_all, pathlib.Path(tmp))
            print(f"{s} {' '.join(flags)}: {'ok' if not bad else f'{len(bad)} differences'}")
            for b in bad:
                print("  ", b)
            total += len(bad)
    print("differences:", total)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
