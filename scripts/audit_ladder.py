#!/usr/bin/env python3
"""Check `vixshield run` and `next` over journals against the rules of docs/engine.md.

    python3 scripts/audit_ladder.py [--binary PATH]

Each case is a strategy written from a small description (below) and a
journal with an edge case (a header only, one row, quoted thousands, CRLF,
a BOM, a `contracts` column, a win that exactly recovers a cycle, a loss at
the last step, a held size under a cap of equity, a roll carried while no
layer is active, ...). A reference engine, written from docs/engine.md ("Sizing
semantics" in exact decimals, gives every decision: event, step, size and
whether the cap bound, max loss % and $, equity, cycle P&L, each hedge
layer's budget and whether it is active, and the roll. They are compared
with `run --format json` (every decision; a journal of its header only
gives the decision before any trade), with `run`'s warning on stderr of the
trades that lost more than the max loss decided for them, then
`run --format csv` and the table (under its title line and header) are
compared with the JSON field by field, `next --format json` and the human
`next` with `run`'s last decision, and `run --summary` (table and JSON:
counts, P&L, hedge loss, credit, hedge loss to credit, the lowest equity
after a trade, cycles, break-evens to 4 places; no cycle without a trade)
with the trades. Everything runs with `--no-market`: no market value is
known, so triggers are `unknown` and roll overrides never apply.
Prints each difference; exits 1 if any.
"""

import argparse
import csv
import io
import json
import pathlib
import subprocess
import sys
import tempfile
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ROOT = pathlib.Path(__file__).resolve().parent.parent
D = Decimal


def vxs(s):
    """The strategy file of a description."""
    out = [f'strategy "{s["name"]}" {{', "    version = 1.0.0", "    language = 1", "}", "",
           "account {", f"    capital = ${s['capital']:,}", f"    percent_of = {s.get('percent_of', 'capital')}", "}",
           "", "entry {", "    underlying = SPX", "    dte = 45d", "    short_delta = 0.15..0.20",
           "    wing_width = 25pt", "    take_profit = 50% of credit", "}", "", "sizing {",
           f"    base = {s['base_text']}", f"    steps = {s['steps']}"]
    out += [f"    multiplier = {m}" for m in s["mult_text"]]
    out += [f"    reset = {s['reset']}", f"    round = {s['round_text']}"]
    if s.get("cap_text"):
        out.append(f"    layer_cap = {s['cap_text']}")
    out += [f"    max_loss = {m}" for m in s["max_loss_text"]]
    out.append("}")
    for h in s.get("hedges", []):
        out += ["", f"hedge {h['name']} {{", "    instrument = vix_calls", "    dte = 14d..30d",
                f"    allocation = {h['alloc_text']}", f"    active = {h['active_text']}"]
        if h.get("trigger"):
            out.append(f"    trigger = {h['trigger']}")
        out.append("}")
    if s.get("roll"):
        out += ["", "roll {", f"    coefficient = {s['roll']['coef']}"]
        if s["roll"].get("clamp"):
            out.append(f"    clamp = {s['roll']['clamp'][0]}..{s['roll']['clamp'][1]}")
        out.append("}")
    return "\n".join(out) + "\n"


def rnd(x, mode, inc):
    q = (x / inc)
    q = q.quantize(D(1), rounding=ROUND_HALF_UP if mode == "nearest" else ROUND_DOWN)
    return q * inc


class Ref:
    """docs/engine.md's engine: sizes, steps, caps, max loss, hedges, roll."""

    def __init__(self, s):
        self.s = s
        self.equity = D(s["capital"])
        self.step = 1
        self.prev = None
        self.held = None
        self.cycle = D(0)
        self.hedge_profit = D(0)
        self.carry = D(0)
        self.event = "start"

    def amount(self, spec):
        kind, v = spec
        if kind == "money":
            return D(v)
        base = D(self.s["capital"]) if kind == "capital" else self.equity
        return D(v) * base

    def decide(self, credit):
        s = self.s
        mode, inc = s["round"]
        cap = None
        if s.get("cap"):
            cap = rnd(self.amount(s["cap"]), "down", inc)
        if self.held is not None:
            size = self.held
        elif self.step == 1:
            size = rnd(self.amount(s["base"]), mode, inc)
        else:
            size = rnd(self.prev * D(s["mult"][self.step]), mode, inc)
        capped = cap is not None and size > cap
        if capped:
            size = cap
        pct = D(s["max_loss"][self.step])
        max_loss = None if credit is None else pct * credit
        hedges = []
        for h in s.get("hedges", []):
            active = self.step in h["active"]
            hedges.append({"layer": h["name"], "active": active,
                           "budget": D(h["alloc"]) * size if active else D(0), "roll": D(0)})
        roll = None
        if s.get("roll"):
            c = D(s["roll"]["coef"])
            if s["roll"].get("clamp"):
                lo, hi = map(D, s["roll"]["clamp"])
                c = min(max(c, lo), hi)
            amt = (self.hedge_profit * c).quantize(D("0.01"), rounding=ROUND_DOWN) + self.carry
            to = next((h for h in hedges if h["active"]), None)
            if to is not None:
                to["roll"] = amt
                to["budget"] += amt
            roll = {"amount": amt, "to": None if to is None else to["layer"]}
        return dict(event=self.event, step=self.step, size=size, capped=capped, max_loss_pct=pct,
                    max_loss=max_loss, equity=self.equity, cycle_pnl=self.cycle, hedges=hedges, roll=roll)

    def apply(self, d, pnl, hedge):
        s = self.s
        self.equity += pnl + (hedge or 0)
        self.cycle += pnl
        self.carry = D(0) if d["roll"] is None or d["roll"]["to"] is not None else d["roll"]["amount"]
        self.hedge_profit = hedge if hedge is not None and hedge > 0 else D(0)
        if d["step"] >= s["steps"]:
            self.event = "stopped_out" if self.cycle < 0 else "cycle_ended"
            self.reset()
        elif pnl < 0:
            self.event = "loss"
            self.step = d["step"] + 1
            self.prev = d["size"]
            self.held = None
        elif s["reset"] == "on win" or self.cycle >= 0:
            self.event = "win"
            self.reset()
        else:
            self.event = "held"
            self.held = d["size"]

    def reset(self):
        self.cycle = D(0)
        self.step = 1
        self.prev = None
        self.held = None


MASTERY = dict(
    name="ref mastery", capital=100000, base_text="1% of capital", base=("capital", "0.01"), steps=4,
    mult_text=["1.8x into step 2", "1.6x into steps 3..4"], mult={2: "1.8", 3: "1.6", 4: "1.6"},
    reset="on win", round_text="nearest $100", round=("nearest", D(100)),
    cap_text="10% of capital", cap=("capital", "0.10"),
    max_loss_text=["90% of credit at steps 1..2", "65% of credit from step 3"],
    max_loss={1: "0.9", 2: "0.9", 3: "0.65", 4: "0.65"},
    hedges=[dict(name="front", alloc_text="15% of size", alloc="0.15", active_text="from step 1",
                 active={1, 2, 3, 4}, trigger="rsi(vix, 14) > 70"),
            dict(name="back", alloc_text="10% of size", alloc="0.10", active_text="from step 3", active={3, 4})],
    roll=dict(coef="0.55", clamp=("0.45", "0.65")),
)

# Reset on recovery, sizes of equity, a cap of equity that binds, rounding
# down, and a hedge only at the deeper steps (so that a roll is carried).
EQUITY = dict(
    name="ref equity", capital=50000, percent_of="equity", base_text="3% of equity", base=("equity", "0.03"),
    steps=3, mult_text=["2.5x"], mult={2: "2.5", 3: "2.5"}, reset="on recovery", round_text="down $50",
    round=("down", D(50)), cap_text="8% of equity", cap=("equity", "0.08"),
    max_loss_text=["100% of credit"], max_loss={1: "1", 2: "1", 3: "1"},
    hedges=[dict(name="deep", alloc_text="20% of size", alloc="0.2", active_text="from step 2", active={2, 3})],
    roll=dict(coef="0.7"),
)

# A fixed base in dollars with a rounding of $1 and odd multipliers, so that
# budgets and max losses have cents and sizes round half away from zero.
ODD = dict(
    name="ref odd", capital=20000, base_text="$333", base=("money", "333"), steps=5,
    mult_text=["1.5x into step 2", "1.35x into steps 3..5"], mult={2: "1.5", 3: "1.35", 4: "1.35", 5: "1.35"},
    reset="on win", round_text="nearest $1", round=("nearest", D(1)), cap_text="$1,000", cap=("money", "1000"),
    max_loss_text=["77% of credit at steps 1..2", "55.5% of credit from step 3"],
    max_loss={1: "0.77", 2: "0.77", 3: "0.555", 4: "0.555", 5: "0.555"},
    hedges=[dict(name="a", alloc_text="12.5% of size", alloc="0.125", active_text="at steps 2..3", active={2, 3}),
            dict(name="b", alloc_text="7% of size", alloc="0.07", active_text="from step 1", active={1, 2, 3, 4, 5})],
    roll=dict(coef="0.33"),
)

ONE = dict(
    name="ref one step", capital=100000, base_text="$2,000", base=("money", "2000"), steps=1, mult_text=[], mult={},
    reset="on recovery", round_text="nearest $100", round=("nearest", D(100)),
    max_loss_text=["90% of credit"], max_loss={1: "0.9"},
)

JOURNALS = {
    "header only": "date,pnl,credit\n",
    "one row": "date,pnl,credit\n2024-01-05,-900,1000\n",
    "quoted thousands": 'date,pnl,credit,hedge_pnl\n2024-01-05,"-1,900","$2,100.50","1,234.56"\n'
                        '2024-01-12,"-$2,345.67","2,000",\n2024-01-19,"12,345","1,000",-5\n',
    "crlf and bom": "\ufeffdate,pnl,credit\r\n2024-01-05,-900,1000\r\n2024-01-12,-100,1000\r\n\r\n",
    "contracts": "date,pnl,credit,hedge_pnl,short_put,short_call,contracts\n"
                 "2024-01-05,-900,2000,100,4500,5000,2\n2024-01-12,-1500,3000,,4550,5050,3\n"
                 "2024-01-19,2400,1000,,4600,5100,\n",
    "exact recovery": "date,pnl,credit\n2024-01-05,-900,1000\n2024-01-12,-1600,1800\n2024-01-19,2500,2900\n"
                      "2024-01-26,-100,1000\n2024-02-02,100,1000\n",
    "loss at the last step": "date,pnl,credit,hedge_pnl\n2024-01-05,-900,1000,\n2024-01-12,-1500,1800,50\n"
                             "2024-01-19,-2000,2900,\n2024-01-26,-3100,4600,700\n2024-02-02,300,1000,\n",
    "win at the last step, cycle negative": "date,pnl,credit\n2024-01-05,-900,1000\n2024-01-12,-1500,1800\n"
                                            "2024-01-19,-2000,2900\n2024-01-26,3100,4600\n",
    "win at the last step, cycle recovered": "date,pnl,credit\n2024-01-05,-900,1000\n2024-01-12,-1500,1800\n"
                                             "2024-01-19,-2000,2900\n2024-01-26,6000,4600\n2024-02-02,-1,1\n",
    "held wins and hedges": "date,pnl,credit,hedge_pnl\n2024-01-05,-1500,1500,10\n2024-01-12,200,1000,333.33\n"
                            "2024-01-19,300,1000,\n2024-01-26,-2000,2000,-50\n2024-02-02,5000,1000,0.01\n"
                            "2024-02-09,-10,1000,999.99\n2024-02-16,-10,0.01,\n2024-02-23,-10,1,1\n",
    "held under a falling cap": "date,pnl,credit,hedge_pnl\n2024-01-05,-1500,1500,\n2024-01-12,100,1000,-10000\n"
                                "2024-01-19,50,1000,\n2024-01-26,-700,1000,\n2024-02-02,-10,1000,25000\n"
                                "2024-02-09,3000,1000,\n",
    "zero pnl": "date,pnl,credit\n2024-01-05,0,1000\n2024-01-12,-0,1000\n2024-01-19,-0.01,1000\n2024-01-26,0.00,1000\n",
    "same dates, no credit": "date,pnl\n2024-01-05,-500\n2024-01-05,-700\n2024-01-05,800\n2024-01-05,400\n",
}


def num(x):
    return None if x is None else D(x)


def read_journal(text):
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    head = [h.strip().lower() for h in rows[0]]
    out = []
    for r in rows[1:]:
        if not any(c.strip() for c in r):
            continue
        rec = dict(zip(head, r))
        m = lambda k: (None if not rec.get(k, "").strip()
                       else D(rec[k].strip().replace("$", "").replace(",", "")))
        out.append(dict(date=rec["date"].strip(), pnl=m("pnl"), credit=m("credit"), hedge=m("hedge_pnl"),
                        contracts=int(rec["contracts"]) if rec.get("contracts", "").strip() else 1,
                        short_put=m("short_put"), short_call=m("short_call")))
    return out


def fmt_money(d):
    """The text's money: to the cent, half away from zero; whole dollars without cents."""
    d = D(d).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    whole, _, frac = f"{abs(d):f}".partition(".")
    if frac.strip("0"):
        frac = frac.ljust(2, "0")
        return f"{sign}${int(whole):,}.{frac}"
    return f"{sign}${int(whole):,}"


def fmt_pct(d):
    p = (D(d) * 100).normalize()
    return f"{p:f}%"


def run(b, *args):
    return subprocess.run([b, *args], capture_output=True, text=True)


def compare(b, name, s, jname, jtext, tmp):
    bad = []
    sf, jf = tmp / "s.vxs", tmp / "j.csv"
    sf.write_text(vxs(s))
    jf.write_bytes(jtext.encode())
    chk = run(b, "check", str(sf))
    if chk.returncode != 0:
        return [f"strategy does not check: {chk.stdout}{chk.stderr}"]
    trades = read_journal(jtext)

    def same(what, g, w):
        if g != w:
            bad.append(f"{what}: got {g!r}, want {w!r}")

    ref = Ref(s)
    want = []
    for i in range(len(trades) + 1):
        credit = trades[i]["credit"] if i < len(trades) else None
        d = ref.decide(credit)
        want.append(d)
        if i < len(trades):
            ref.apply(d, trades[i]["pnl"], trades[i]["hedge"])
    p = run(b, "run", str(sf), "--journal", str(jf), "--no-market", "--format", "json")
    if p.returncode != 0:
        return [f"run exit {p.returncode}: {p.stderr.strip()}"]
    got = json.loads(p.stdout)
    # A trade that lost more than the max loss decided for it (its credit x
    # the step's max loss) passed its stop: a warning on stderr counts them
    # and names the first (docs/commands.md, `run`).
    past = [(i + 1, t) for i, t in enumerate(trades)
            if want[i]["max_loss"] is not None and t["pnl"] < -want[i]["max_loss"]]
    if past:
        n1, t1 = past[0]
        w = (f"warning: {len(past)} trade{'' if len(past) == 1 else 's'} lost more than the max loss decided for "
             f"{'it' if len(past) == 1 else 'them'}, so a stop was passed")
        if w not in p.stderr:
            bad.append(f"run stderr lacks {w!r}: {p.stderr.strip()!r}")
        w = (f"the first is trade {n1} on {t1['date']}, {fmt_money(t1['pnl'])} against a max loss of "
             f"{fmt_money(want[n1 - 1]['max_loss'])}")
        if w not in p.stderr:
            bad.append(f"run stderr lacks {w!r}")
    elif "lost more than the max loss" in p.stderr:
        bad.append(f"run warns of a stop passed where no trade lost more than its max loss: {p.stderr.strip()!r}")

    same("decisions", len(got), len(want))
    for i, (g, w) in enumerate(zip(got, want)):
        same(f"#{i} trade", g["trade"], i)
        same(f"#{i} date", g["date"], trades[i - 1]["date"] if i else None)
        same(f"#{i} pnl", num(g["pnl"]), trades[i - 1]["pnl"] if i else None)
        for k in ("event", "step", "capped"):
            same(f"#{i} {k}", g[k], w[k])
        for k in ("size", "max_loss_pct", "max_loss", "equity", "cycle_pnl"):
            same(f"#{i} {k}", num(g[k]), w[k])
        same(f"#{i} credit", num(g["credit"]), trades[i]["credit"] if i < len(trades) else None)
        gh = [(h["layer"], h["active"], D(h["budget"]), D(h["roll"])) for h in g["hedges"]]
        wh = [(h["layer"], h["active"], h["budget"], h["roll"]) for h in w["hedges"]]
        same(f"#{i} hedges", gh, wh)
        gr = None if g["roll"] is None else {"amount": D(g["roll"]["amount"]), "to": g["roll"]["to"]}
        same(f"#{i} roll", gr, w["roll"])

    # CSV and table against JSON.
    c = run(b, "run", str(sf), "--journal", str(jf), "--no-market", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(c.stdout)))
    same("csv rows", len(rows), len(got))
    for i, (r, g) in enumerate(zip(rows, got)):
        for k in ("trade", "step"):
            same(f"csv #{i} {k}", int(r[k]), g[k])
        same(f"csv #{i} event", r["event"], g["event"])
        same(f"csv #{i} date", r["date"] or None, g["date"])
        same(f"csv #{i} capped", r["capped"], str(g["capped"]).lower())
        for k in ("pnl", "size", "max_loss_pct", "max_loss", "equity", "cycle_pnl"):
            same(f"csv #{i} {k}", num(r[k] or None), num(g[k]))
        for h in g["hedges"]:
            same(f"csv #{i} hedge {h['layer']}", D(r[f"hedge_{h['layer']}"]), D(h["budget"]))
            same(f"csv #{i} hedge {h['layer']} trigger", r[f"hedge_{h['layer']}_trigger"],
                 h["trigger"] if h["active"] else "inactive")
        if g["roll"] is not None:
            same(f"csv #{i} roll", D(r["roll"]), D(g["roll"]["amount"]))
        same(f"csv #{i} derivation", r["derivation"], " | ".join(g["derivation"]))
        same(f"csv #{i} blocked", r["blocked"], str(g["blocked"]).lower())
    t = run(b, "run", str(sf), "--journal", str(jf), "--no-market")
    lines = t.stdout.splitlines()
    # A title line says a row is the trade closed and the decision after it
    # (docs/commands.md, `run`), then the header, then the rows.
    if not lines or not lines[0].startswith("the trade closed"):
        bad.append(f"table title: {lines[:1]!r}")
    if len(lines) < 2 or lines[1].split()[:3] != ["trade", "date", "event"]:
        bad.append(f"table header: {lines[1:2]!r}")
    body = lines[2:2 + len(got)]
    for i, (ln, g) in enumerate(zip(body, got)):
        cells = ln.split()
        word = {"stopped_out": "cycle stopped out", "cycle_ended": "cycle ended"}.get(g["event"], g["event"])
        want_cells = [str(g["trade"]), g["date"] or "-", word]
        ev = want_cells[2].split()
        want_cells = want_cells[:2] + ev + [
            fmt_money(g["pnl"]) if g["pnl"] is not None else "-", str(g["step"]),
            fmt_money(g["size"]) + ("*" if g["capped"] else ""), fmt_pct(g["max_loss_pct"]),
            fmt_money(g["max_loss"]) if g["max_loss"] is not None else "-", fmt_money(g["equity"]),
            fmt_money(g["cycle_pnl"])]
        for h in g["hedges"]:
            if h["active"]:
                want_cells += [fmt_money(h["budget"])]
                if h["trigger"] != "always":
                    want_cells += [{"fired": "fired", "not_fired": "no", "unknown": "?"}[h["trigger"]]]
            else:
                want_cells += ["-"]
        if g["roll"] is not None:
            want_cells += [fmt_money(g["roll"]["amount"])]
        same(f"table #{i}", cells, want_cells)

    # next: the last decision.
    n = run(b, "next", str(sf), "--journal", str(jf), "--no-market", "--format", "json")
    if n.returncode != 0:
        bad.append(f"next exit {n.returncode}: {n.stderr.strip()}")
    else:
        nj = json.loads(n.stdout)
        last = dict(got[-1])
        nd = nj["decision"]
        for k in ("trade", "date", "event", "step", "size", "capped", "max_loss_pct", "max_loss", "equity",
                  "cycle_pnl", "hedges", "roll", "blocked"):
            same(f"next {k}", nd.get(k), last.get(k))
        same("next derivation", nj.get("derivation"), last["derivation"])
        nh = run(b, "next", str(sf), "--journal", str(jf), "--no-market")
        for ln in last["derivation"]:
            if ln not in nh.stdout:
                bad.append(f"next (human) lacks the derivation line {ln!r}")
        if fmt_money(nd["size"]) not in nh.stdout:
            bad.append(f"next (human) lacks the size {fmt_money(nd['size'])}")
        # With --credit: the max loss of that credit.
        nc = run(b, "next", str(sf), "--journal", str(jf), "--no-market", "--format", "json", "--credit", "$1,234.56")
        if nc.returncode == 0:
            ncd = json.loads(nc.stdout)["decision"]
            same("next --credit max_loss", num(ncd["max_loss"]), D(nd["max_loss_pct"]) * D("1234.56"))
        else:
            bad.append(f"next --credit exit {nc.returncode}: {nc.stderr.strip()}")

    # Summary (a journal of its header only: no trade, no cycle).
    if True:
        sm = run(b, "run", str(sf), "--journal", str(jf), "--no-market", "--summary", "--format", "json")
        if sm.returncode != 0:
            bad.append(f"summary exit {sm.returncode}: {sm.stderr.strip()}")
        else:
            sj = json.loads(sm.stdout)
            o = sj["overall"]
            same("summary trades", o["trades"], len(trades))
            same("summary wins", o["wins"], sum(1 for t in trades if t["pnl"] >= 0))
            same("summary losses", o["losses"], sum(1 for t in trades if t["pnl"] < 0))
            same("summary condor_pnl", D(o["condor_pnl"]), sum((t["pnl"] for t in trades), D(0)))
            same("summary hedge_pnl", D(o["hedge_pnl"]), sum((t["hedge"] or D(0) for t in trades), D(0)))
            same("summary final equity", D(sj["final_equity"]), want[-1]["equity"])
            # hedge_loss: the hedge losses of every trade; credit: that of the
            # trades that give one; hedge_loss_to_credit: the hedge losses of
            # the trades with a credit over that credit, to 6 places half away
            # from zero (docs/engine.md, the summary).
            def losses(ts):
                credit = sum((t["credit"] for t in ts if t["credit"] is not None), D(0))
                with_credit = sum((-t["hedge"] for t in ts if t["credit"] is not None and t["hedge"] is not None
                                   and t["hedge"] < 0), D(0))
                ratio = None if credit == 0 else (with_credit / credit).quantize(D("0.000001"), rounding=ROUND_HALF_UP)
                return (sum((-t["hedge"] for t in ts if t["hedge"] is not None and t["hedge"] < 0), D(0)), credit, ratio)
            same("summary hedge_loss, credit, hedge_loss_to_credit",
                 (D(o["hedge_loss"]), D(o["credit"]), num(o["hedge_loss_to_credit"])), losses(trades))
            # The lowest equity after a trade, the capital when it never fell below it.
            eq = [(w["equity"], t["date"]) for w, t in zip(want[1:], trades)]
            low = min(eq, key=lambda x: x[0], default=None)
            low = (D(s["capital"]), None) if low is None or low[0] >= D(s["capital"]) else low
            same("summary lowest equity", (D(sj["lowest_equity"]), sj["lowest_equity_on"]), low)
            same("summary ruined_on", sj["ruined_on"], next((d for e, d in eq if e <= 0), None))
            same("summary max step", o["max_step_reached"], max((w["step"] for w in want[:-1]), default=0))
            same("summary stopped", o["cycles_stopped_out"], sum(1 for w in want[1:] if w["event"] == "stopped_out"))
            ncyc = sum(1 for w in want[1:] if w["event"] in ("win", "stopped_out", "cycle_ended"))
            if trades and want[-1]["event"] not in ("win", "stopped_out", "cycle_ended"):
                ncyc += 1
            same("summary cycles", len(sj["cycles"]), ncyc)
            # Cycle by cycle: a cycle ends with the trade after which the
            # engine returns to step 1 (a win, a stop-out, a cycle ended).
            cyc, cur = [], []
            for i, t in enumerate(trades):
                cur.append((t, want[i]["step"]))
                ev = want[i + 1]["event"]
                if ev in ("win", "stopped_out", "cycle_ended") or i + 1 == len(trades):
                    cyc.append((cur, ev))
                    cur = []
            got_c = [(c["start"], c["end"], c["open"], c["trades"], c["wins"], c["losses"], c["max_step_reached"],
                      c["cycles_stopped_out"], D(c["condor_pnl"]), D(c["hedge_pnl"]),
                      (D(c["hedge_loss"]), D(c["credit"]), num(c["hedge_loss_to_credit"]))) for c in sj["cycles"]]
            want_c = [(ts[0][0]["date"], ts[-1][0]["date"], ev not in ("win", "stopped_out", "cycle_ended"),
                       len(ts), sum(1 for t, _ in ts if t["pnl"] >= 0), sum(1 for t, _ in ts if t["pnl"] < 0),
                       max(st for _, st in ts), 1 if ev == "stopped_out" else 0,
                       sum((t["pnl"] for t, _ in ts), D(0)), sum((t["hedge"] or D(0) for t, _ in ts), D(0)),
                       losses([t for t, _ in ts]))
                      for ts, ev in cyc]
            same("summary cycle rows", got_c, want_c)
            be = []
            for i, t in enumerate(trades):
                if t["credit"] is not None and t["short_put"] is not None and t["short_call"] is not None:
                    # The credit in points, to 4 places, half away from zero.
                    pts = (t["credit"] / (100 * t["contracts"])).quantize(D("0.0001"), rounding=ROUND_HALF_UP)
                    be.append((i + 1, t["short_put"] - pts, t["short_call"] + pts))
            same("break-evens", [(x["trade"], D(x["lower"]), D(x["upper"])) for x in sj["break_evens"]], be)
            st = run(b, "run", str(sf), "--journal", str(jf), "--no-market", "--summary")
            tl = st.stdout
            want_line = (f"trades {o['trades']}, wins {o['wins']}, losses {o['losses']}, max step reached "
                         f"{o['max_step_reached']}, cycles {len(sj['cycles'])} ({o['cycles_stopped_out']} stopped out)")
            if want_line not in tl:
                bad.append(f"summary table lacks {want_line!r}")
            want_line = (f"condor P&L {fmt_money(o['condor_pnl'])}, hedge P&L {fmt_money(o['hedge_pnl'])}, "
                         f"final equity {fmt_money(sj['final_equity'])}")
            if want_line not in tl:
                bad.append(f"summary table lacks {want_line!r}")
            want_line = f"lowest equity after a trade {fmt_money(low[0])}" + (f" on {low[1]}" if low[1] else "")
            if want_line not in tl.splitlines():
                bad.append(f"summary table lacks {want_line!r}")
            r = losses(trades)[2]
            r = "-" if r is None else f"{(r * 100).quantize(D('0.01'), rounding=ROUND_HALF_UP)}%"
            if not any(ln.startswith(f"hedge loss to credit {r}, IRR ") for ln in tl.splitlines()):
                bad.append(f"summary table lacks 'hedge loss to credit {r}, IRR ...'")
            if not trades and "no cycles: no trade yet" not in tl:
                bad.append("summary table of no trade lacks 'no cycles: no trade yet'")
            for x in sj["break_evens"]:
                w = f"{D(x['lower']).normalize():f} .. {D(x['upper']).normalize():f}"
                if w not in tl:
                    bad.append(f"summary table lacks break-even {w}")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "vixshield"))
    args = ap.parse_args()
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for s in (MASTERY, EQUITY, ODD, ONE):
            for jname, jtext in JOURNALS.items():
                bad = compare(args.binary, s["name"], s, jname, jtext, pathlib.Path(tmp))
                print(f"{s['name']} / {jname}: {'ok' if not bad else f'{len(bad)} differences'}")
                for x in bad[:12]:
                    print("   ", x)
                total += len(bad)
    print("differences:", total)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
