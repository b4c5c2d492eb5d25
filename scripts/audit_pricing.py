#!/usr/bin/env python3
"""Independent recomputation of `vixshield backtest` pricing and trade mechanics.

Written from docs/backtest.md ("Backtest assumptions"), not from src/backtest/. For
each trade the engine exported (`--trades`), it takes the entry date, step and
size (the sizing ladder is audited elsewhere) and recomputes, from the bundled
data: expiry, strikes, credit, contracts, the daily marks, the exit (date,
reason, P&L) and the hedges' P&L; then it compares field by field.

Usage:
    vixshield backtest STRATEGY --trades /tmp/t.csv
    python3 scripts/audit_pricing.py STRATEGY /tmp/t.csv [--verbose]
        [--report REPORT.json] [the backtest's assumption flags, --from, --to]

Hedge triggers and the roll are not recomputed (the signals and the engine
are audited elsewhere): each trade's hedge P&L must match some choice of the
layers that fire (those without a trigger always buy) and of the roll
(none, or the previous trade's hedge profit x a coefficient, to the cent).
With --report, the daily marked equity (intra-trade drawdown, Sharpe,
Sortino) and the report's totals are recomputed too.

Result on 2025-08-15 data: every trade of strategies/*.vxs and
tasty-16-delta matches in every field to half a cent (--tol 0.005), and so
do the flags' variants. (Until 2026-11-23 the reference priced in unrounded
dollars and needed $0.02 x contracts; three hedges were then $0.02 apart.
It now rounds each model price to the cent per contract, as docs/backtest.md's "money
from the fill on" says, and no difference is left.)

The strategy's parameters are read with a few regexes (enough for the files in
strategies/ and tests/fixtures/strategies/tasty-16-delta.vxs).

Model, as docs/backtest.md documents it:
- trading days: days with a real SPX close (all of which have a VIX close);
- expiry: last trading day on or before entry + dte; T = calendar days / 365;
- SPX legs: Black-Scholes, rate = risk_free_rate (else 0), no dividend, vol =
  VIX/100 + put skew (puts) or + call skew (calls), floored at 0.01;
- short strikes: of the two 5-point grid strikes around the strike of
  |delta| = middle of short_delta, the one whose |delta| is nearer; wings
  wing_width further out;
- underlying = XSP: the index is SPX/10 (pricing, marks, settlement), the
  grid 1 point, wing_width in XSP points, slippage a tenth of --slippage
  (which is in SPX points); commissions per contract as for SPX;
- credit (points) = the four legs' model prices, less slippage per leg;
- money from the fill on: each model price (credit, close, settlement, a
  hedge's premium or value) is one contract's dollars to the cent, half away
  from zero, and the stop (max_loss% x credit x contracts) to the cent;
- contracts = floor(size / (max_loss% x credit x 100));
- commission per contract per leg, at entry and at any exit except expiry;
- each close: the P&L of closing (model, plus slippage per leg, and the
  commissions both ways, per contract) against the profit target
  = min(take_profit x credit, target_return x (wing - credit)); max loss =
  max_loss% x credit; exit_dte; expiry at intrinsic; end of data at the mark;
- hedges: Black-76, vol of vol 0.9, forward = VIX + (VIX3M - VIX) x days/93
  (flat past 93 days; VIX alone without VIX3M), strike = 1.2 x forward
  (whole points, half away from zero), spreads short 1.5 x long; expiry like
  condors at entry + middle of the layer's dte (one expiring on its entry day
  is not bought);
  close at expiry (intrinsic on spot VIX) or with the condor (at the mark).
  Not in docs/backtest.md, taken as the engine does it: whole hedge contracts (the
  budget / (premium + commission per leg)), commission per leg again when
  closed before expiry.
"""

import argparse
from decimal import ROUND_HALF_UP, Decimal
import bisect
import csv
import datetime as dt
import math
import os
import re
import sys

from scipy.stats import norm

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "data")


def d(s):
    return dt.date.fromisoformat(s)


def load():
    spx = {}
    for r in csv.DictReader(open(os.path.join(DATA, "spx-daily.csv"))):
        spx[d(r["date"])] = float(r["close"])
    vix = {}
    for r in csv.DictReader(open(os.path.join(DATA, "vix-daily.csv"))):
        vix[d(r["DATE"])] = float(r["CLOSE"])
    vix3m = {}
    for r in csv.DictReader(open(os.path.join(DATA, "vix3m-daily-cboe-format.csv"))):
        m, dd, y = r["DATE"].split("/")
        vix3m[dt.date(int(y), int(m), int(dd))] = float(r["CLOSE"])
    return spx, vix, vix3m


def parse_strategy(path):
    src = open(path).read()
    src = re.sub(r"//[^\n]*", "", src)

    def num(pat, default=None):
        m = re.search(pat, src)
        return float(m.group(1)) if m else default

    s = {}
    s["capital"] = float(re.search(r"capital\s*=\s*\$([\d,]+)", src).group(1).replace(",", ""))
    s["rate"] = num(r"risk_free_rate\s*=\s*([\d.]+)%", 0.0) / 100
    s["dte"] = int(num(r"\bdte\s*=\s*(\d+)d\s*\n"))
    m = re.search(r"short_delta\s*=\s*([\d.]+)\.\.([\d.]+)", src)
    s["delta"] = (float(m.group(1)) + float(m.group(2))) / 2
    s["wing"] = num(r"wing_width\s*=\s*([\d.]+)pt")
    m = re.search(r"underlying\s*=\s*(\w+)", src)
    s["underlying"] = m.group(1) if m else "SPX"
    tr = num(r"target_return\s*=\s*([\d.]+)%")
    s["target_return"] = tr / 100 if tr is not None else None
    tp = num(r"take_profit\s*=\s*([\d.]+)% of credit")
    s["take_profit"] = tp / 100 if tp is not None else None
    ed = num(r"exit_dte\s*=\s*(\d+)d")
    s["exit_dte"] = int(ed) if ed is not None else None
    # max_loss = P% of credit [at step(s) a[..b] | from step a]
    rules = []
    for m in re.finditer(r"max_loss\s*=\s*([\d.]+)% of credit([^\n]*)", src):
        pct = float(m.group(1)) / 100
        rest = m.group(2)
        lo, hi = 1, 99
        mm = re.search(r"at steps? (\d+)(?:\.\.(\d+))?", rest)
        if mm:
            lo = int(mm.group(1))
            hi = int(mm.group(2) or mm.group(1))
        mm = re.search(r"from step (\d+)", rest)
        if mm:
            lo = int(mm.group(1))
        rules.append((lo, hi, pct))
    s["max_loss"] = rules
    hedges = []
    for m in re.finditer(r"hedge (\w+) \{(.*?)\n\}", src, re.S):
        body = m.group(2)
        inst = re.search(r"instrument\s*=\s*(\w+)", body).group(1)
        m2 = re.search(r"dte\s*=\s*(\d+)d(?:\.\.(\d+)d)?", body)
        a, b = m2.group(1), m2.group(2) or m2.group(1)
        alloc = float(re.search(r"allocation\s*=\s*([\d.]+)% of size", body).group(1)) / 100
        step_from = int(re.search(r"active\s*=\s*from step (\d+)", body).group(1))
        trig = "trigger" in body
        hedges.append(
            dict(name=m.group(1), inst=inst, dte=math.floor((int(a) + int(b)) / 2 + 0.5),
                 alloc=alloc, from_step=step_from, trigger=trig)
        )
    s["hedges"] = hedges
    coefs = [float(x) for x in re.findall(r"coefficient\s*=\s*([\d.]+)", src)]
    s["roll"] = coefs
    return s


def max_loss_pct(strat, step):
    for lo, hi, pct in strat["max_loss"]:
        if lo <= step <= hi:
            return pct
    raise ValueError(step)


# ---------------------------------------------------------------- pricing


def bs(kind, S, K, T, vol, r):
    if T <= 0:
        return max(S - K, 0.0) if kind == "c" else max(K - S, 0.0)
    sd = vol * math.sqrt(T)
    d1 = (math.log(S / K) + (r + vol * vol / 2) * T) / sd
    d2 = d1 - sd
    if kind == "c":
        return S * norm.cdf(d1) - K * math.exp(-r * T) * norm.cdf(d2)
    return K * math.exp(-r * T) * norm.cdf(-d2) - S * norm.cdf(-d1)


def strike_for_delta(kind, S, T, vol, r, delta):
    """The strike whose BS delta is delta (call) or -delta (put)."""
    if kind == "c":
        d1 = norm.ppf(delta)
    else:
        d1 = norm.ppf(1 - delta)
    return S * math.exp(-(d1 * vol * math.sqrt(T)) + (r + vol * vol / 2) * T)


def bs_delta(kind, S, K, T, vol, r):
    d1 = (math.log(S / K) + (r + vol * vol / 2) * T) / (vol * math.sqrt(T))
    return norm.cdf(d1) if kind == "c" else norm.cdf(d1) - 1


def grid_strike(kind, S, T, vol, r, delta, step=5.0):
    """Of the two grid strikes around the exact one, the one whose |delta| is nearer."""
    k = strike_for_delta(kind, S, T, vol, r, delta)
    lo = math.floor(k / step) * step
    cands = [lo, lo + step]
    return min(cands, key=lambda x: (abs(abs(bs_delta(kind, S, x, T, vol, r)) - delta), x))


def black76_call(F, K, T, vol, r):
    if T <= 0:
        return max(F - K, 0.0)
    sd = vol * math.sqrt(T)
    d1 = (math.log(F / K) + vol * vol / 2 * T) / sd
    d2 = d1 - sd
    return math.exp(-r * T) * (F * norm.cdf(d1) - K * norm.cdf(d2))


# ---------------------------------------------------------------- model


class Model:
    def __init__(self, strat, opts):
        self.s = strat
        self.o = opts
        spx, self.vix, self.vix3m = load()
        self.days = sorted(spx)  # every SPX day has a VIX close
        assert all(x in self.vix for x in self.days)
        # The index traded: SPX, or XSP at SPX/10 on $1 strikes.
        xsp = strat["underlying"] == "XSP"
        self.scale, self.grid = (0.1, 1.0) if xsp else (1.0, 5.0)
        self.spx = {day: close * self.scale for day, close in spx.items()}
        self.slippage = opts.slippage * self.scale
        self.vix3m_days = sorted(self.vix3m)

    def expiry_for(self, entry, ndays):
        nominal = entry + dt.timedelta(days=ndays)
        if nominal > self.days[-1]:
            while nominal.weekday() >= 5:
                nominal -= dt.timedelta(days=1)
            return nominal
        i = bisect.bisect_right(self.days, nominal) - 1
        return self.days[i]

    def vols(self, day):
        v = self.vix[day] / 100
        return max(v + self.o.put_skew, 0.01), max(v + self.o.call_skew, 0.01)

    def condor_value(self, day, legs, expiry):
        """Model value (points) of the short condor (what buying it back costs, before slippage)."""
        lp, sp, sc, lc = legs
        S = self.spx[day]
        T = (expiry - day).days / 365
        pv, cv = self.vols(day)
        r = self.s["rate"]
        return (bs("p", S, sp, T, pv, r) - bs("p", S, lp, T, pv, r)
                + bs("c", S, sc, T, cv, r) - bs("c", S, lc, T, cv, r))

    def intrinsic(self, S, legs):
        lp, sp, sc, lc = legs
        return max(sp - S, 0) - max(lp - S, 0) + max(S - sc, 0) - max(S - lc, 0)

    def forward(self, day, ndays):
        v = self.vix[day]
        v3 = self.vix3m.get(day)
        if v3 is None:
            # carried (a VIX day without VIX3M) or before 2009
            i = bisect.bisect_right(self.vix3m_days, day) - 1
            if i < 0:
                return v
            v3 = self.vix3m[self.vix3m_days[i]]
        return v + (v3 - v) * min(ndays / 93, 1.0)  # interpolated, not extrapolated

    def hedge_unit(self, h, day, expiry, strikes=None):
        """Price (VIX points) of one hedge unit, and its strikes."""
        ndays = (expiry - day).days
        T = ndays / 365
        F = self.forward(day, ndays)
        r = self.s["rate"]
        if strikes is None:
            # whole VIX points, half away from zero (52.5 -> 53)
            k1 = max(math.floor(self.o.hedge_otm * F + 0.5), 1)
            k2 = None
            if h["inst"] != "vix_calls":
                k2 = max(math.floor(self.o.spread_width * k1 + 0.5), k1 + 1)
            strikes = (k1, k2)
        k1, k2 = strikes
        if T <= 0:
            spot = self.vix[day]
            p = max(spot - k1, 0) - (max(spot - k2, 0) if k2 else 0)
        else:
            p = black76_call(F, k1, T, self.o.vol_of_vol, r)
            if k2:
                p -= black76_call(F, k2, T, self.o.vol_of_vol, r)
        return p, strikes

    def run_trade(self, entry, step, size, end_day=None):
        s, o = self.s, self.o
        end_day = end_day or self.days[-1]
        S = self.spx[entry]
        expiry = self.expiry_for(entry, s["dte"])
        T = (expiry - entry).days / 365
        pv, cv = self.vols(entry)
        r = s["rate"]
        sp = grid_strike("p", S, T, pv, r, s["delta"], self.grid)
        sc = grid_strike("c", S, T, cv, r, s["delta"], self.grid)
        legs = (sp - s["wing"], sp, sc, sc + s["wing"])
        credit_pts = self.condor_value(entry, legs, expiry) - 4 * self.slippage
        credit = cents(credit_pts)  # per contract
        mlp = max_loss_pct(s, step)
        contracts = math.floor(size / (mlp * credit)) if credit > 0 else 0
        # the stop, exact (decimal), then to the cent half away from zero
        exact = Decimal(str(mlp)) * Decimal(str(credit)) * contracts
        max_loss = float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        res = dict(entry=entry, expiry=expiry, legs=legs, credit=credit, contracts=contracts,
                   max_loss=max_loss)
        if contracts < 1:
            res["skip"] = True
            return res
        targets = []
        if s["take_profit"] is not None:
            targets.append(s["take_profit"] * credit)
        if s["target_return"] is not None:
            targets.append(s["target_return"] * (s["wing"] * 100 - credit))
        target = min(targets) if targets else None
        # both for the position: the P&L of closing is compared to them
        target = None if target is None else target * contracts
        stop = mlp * credit * contracts
        entry_comm = 4 * contracts * o.commission
        exit_costs = 4 * o.commission + cents(4 * self.slippage)
        i = bisect.bisect_left(self.days, entry) + 1
        exit_day, reason, close_pts = None, None, None
        while True:
            day = self.days[i]
            if day == expiry:
                close = cents(self.intrinsic(self.spx[day], legs))
                pnl = (credit - close) * contracts - entry_comm
                exit_day, reason = day, "expiry"
                break
            close = cents(self.condor_value(day, legs, expiry)) + exit_costs
            # the P&L the exit would book: after both ways' commissions
            pnl = (credit - close) * contracts - entry_comm
            if target is not None and pnl >= target:
                exit_day, reason = day, "profit_target"
                break
            if pnl <= -stop:
                exit_day, reason = day, "max_loss"
                break
            if s["exit_dte"] is not None and (expiry - day).days <= s["exit_dte"]:
                exit_day, reason = day, "exit_dte"
                break
            if day >= end_day:
                exit_day, reason = day, "end_of_data"
                break
            i += 1
        res.update(exit=exit_day, reason=reason, pnl=pnl)
        return res

    def hedge_pnl(self, h, entry, exit_day, budget):
        if budget <= 0:
            return 0.0, None
        expiry = self.expiry_for(entry, h["dte"])
        if expiry <= entry:
            return 0.0, None  # it would expire as it is bought: not bought
        unit, strikes = self.hedge_unit(h, entry, expiry)
        if unit <= 0:
            return 0.0, None
        legs = 1 if strikes[1] is None else 2
        cost_one = cents(unit) + legs * self.o.commission
        qty = math.floor(budget / cost_one)
        if qty < 1:
            return 0.0, None
        close_day = min(expiry, exit_day)
        close_unit, _ = self.hedge_unit(h, close_day, expiry, strikes)
        # closed before its expiry: commissions again; settled at expiry: none
        close_comm = 0 if close_day == expiry else legs * self.o.commission * qty
        pnl = qty * cents(close_unit) - qty * cost_one - close_comm
        return pnl, dict(expiry=expiry, strikes=strikes, unit=unit,
                                                     qty=qty, close_day=close_day, close_unit=close_unit)


# ---------------------------------------------------------------- compare


def cents(points):
    """One contract's dollars (100 x points) to the cent, half away from zero,
    as docs/backtest.md's "money from the fill on" says every model price becomes:
    Rust's f64::round of points x 10,000, then hundredths."""
    x = abs(points) * 10000.0
    whole = math.floor(x)
    whole += 1 if x - whole >= 0.5 else 0
    return math.copysign(whole, points) / 100


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("strategy")
    ap.add_argument("trades")
    ap.add_argument("--commission", type=float, default=0.65)
    ap.add_argument("--slippage", type=float, default=0.05)
    ap.add_argument("--put-skew", type=float, default=0.04)
    ap.add_argument("--call-skew", type=float, default=-0.02)
    ap.add_argument("--vol-of-vol", type=float, default=0.9)
    ap.add_argument("--hedge-otm", type=float, default=1.2)
    ap.add_argument("--spread-width", type=float, default=1.5)
    ap.add_argument("--to", default=None)
    ap.add_argument("--from", dest="from_", default=None)
    ap.add_argument("--report", default=None, help="the engine's --format json report, to compare the daily marks")
    ap.add_argument("--tol", type=float, default=0.005, help="dollars")
    ap.add_argument("--verbose", "-v", action="store_true")
    o = ap.parse_args()
    strat = parse_strategy(o.strategy)
    m = Model(strat, o)
    end_day = d(o.to) if o.to else None
    rows = list(csv.DictReader(open(o.trades)))
    fields = ["entry", "expiry", "strikes", "credit", "contracts", "max_loss", "exit", "reason", "pnl", "hedge"]
    # Nothing enters on the last trading day (docs/backtest.md): a condor there could
    # only close at once, at the mark it was entered at.
    last_day = max(x for x in m.days if end_day is None or x <= end_day)
    bad = {f: 0 for f in fields}
    prev_hedge = 0.0
    done = []
    for row in rows:
        entry = d(row["entry"])
        step = int(row["step"])
        size = float(row["size"])
        if entry >= last_day:
            bad["entry"] += 1
            print(f"trade {row['trade']}: entered on the last day, {entry}")
            continue
        r = m.run_trade(entry, step, size, end_day)
        errs = []
        if r["expiry"].isoformat() != row["expiry"]:
            errs.append(("expiry", row["expiry"], r["expiry"]))
        mine = tuple(int(x) for x in r["legs"])
        theirs = tuple(int(row[k]) for k in ("long_put", "short_put", "short_call", "long_call"))
        if mine != theirs:
            errs.append(("strikes", theirs, mine))
        if abs(r["credit"] - float(row["credit"])) > o.tol:
            errs.append(("credit", row["credit"], round(r["credit"], 2)))
        if r["contracts"] != int(row["contracts"]):
            errs.append(("contracts", row["contracts"], r["contracts"]))
        if abs(r["max_loss"] - float(row["max_loss"])) > o.tol:
            errs.append(("max_loss", row["max_loss"], round(r["max_loss"], 2)))
        if not r.get("skip"):
            if r["exit"].isoformat() != row["exit"]:
                errs.append(("exit", row["exit"], r["exit"]))
            if r["reason"] != row["exit_reason"]:
                errs.append(("reason", row["exit_reason"], r["reason"]))
            if abs(r["pnl"] - float(row["pnl"])) > o.tol:
                errs.append(("pnl", row["pnl"], round(r["pnl"], 2)))
            # Hedges, on the engine's exit date: try each layer on/off (triggers
            # are audited elsewhere) and the roll candidates for the first
            # active layer, and accept a combination that matches.
            hp = float(row["hedge_pnl"])
            exit_day = d(row["exit"])
            active = [h for h in strat["hedges"] if step >= h["from_step"]]
            roll_cands = [0.0]
            if prev_hedge > 0:
                roll_cands += [math.floor(prev_hedge * c * 100) / 100 for c in strat["roll"]]
            best = None
            for mask in range(1 << len(active)):
                for roll in roll_cands:
                    tot = 0.0
                    bought = []
                    for j, h in enumerate(active):
                        if not (mask >> j) & 1:
                            if h["trigger"]:
                                continue
                            break
                        budget = h["alloc"] * size + (roll if j == 0 else 0)
                        p, detail = m.hedge_pnl(h, entry, exit_day, budget)
                        tot += p
                        if detail:
                            bought.append(detail)
                    else:
                        diff = abs(tot - hp)
                        if best is None or diff < best[0]:
                            best = (diff, tot, mask, roll, bought)
            if best is not None:
                r["hedges"] = best[4]
            if best is None or best[0] > o.tol:
                errs.append(("hedge", hp, None if best is None else (round(best[1], 2), best[2], best[3])))
            prev_hedge = hp
        r["engine_pnl"] = float(row["pnl"])
        r["engine_hedge_pnl"] = float(row["hedge_pnl"])
        done.append(r)
        for e in errs:
            bad[e[0]] += 1
        if errs and o.verbose:
            print(row["trade"], row["entry"], "step", step, "size", size, errs)
    n = len(rows)
    print(f"{o.strategy}: {n} trades")
    for f in fields:
        print(f"  {f:10s} {n - bad[f]}/{n} match")
    ok = not any(bad.values())
    # Re-entry: the next condor opens on the first trading day on or after the
    # last exit + 1 day; each trading day in between is an entry skipped (a
    # guard, or a size below one contract), which the report counts.
    start = d(o.from_) if o.from_ else m.days[0]
    waits = 0
    expect = start
    for row in rows:
        entry = d(row["entry"])
        j = bisect.bisect_left(m.days, expect)
        k = bisect.bisect_left(m.days, entry)
        if k < j:
            print("  entry before the re-entry day:", row["trade"], row["entry"])
            ok = False
        waits += k - j
        expect = d(row["exit"]) + dt.timedelta(days=1)
    print(f"  entry days skipped between trades: {waits}")
    if o.report:
        import json

        skipped = json.load(open(o.report))["skipped"]
        if skipped != waits:
            # a skip after the last exit has no next trade to show it
            print(f"  the report says {skipped} skipped")
    if o.report:
        ok &= compare_report(m, strat, done, o)
    return 0 if ok else 1


def daily_equity(m, strat, trades, o):
    """Marked equity at each close, from the reference's own trades."""
    capital = strat["capital"]
    start = d(o.from_) if o.from_ else m.days[0]
    end = d(o.to) if o.to else m.days[-1]
    days = [x for x in m.days if start <= x <= end]
    closed = capital
    out = []
    k = 0
    for day in days:
        eq = closed
        while k < len(trades) and trades[k].get("skip"):
            k += 1
        t = trades[k] if k < len(trades) else None
        if t is not None and t["entry"] <= day:
            if day >= t["exit"]:
                closed += t["engine_pnl"] + t["engine_hedge_pnl"]
                eq = closed
                k += 1
            elif day > t["entry"]:
                close = cents(m.condor_value(day, t["legs"], t["expiry"])) + cents(4 * m.slippage)
                pnl = (t["credit"] - close - 8 * o.commission) * t["contracts"]
                hedges = 0.0
                for h in t.get("hedges", []):
                    legs = 1 if h["strikes"][1] is None else 2
                    cost_one = cents(h["unit"]) + legs * o.commission
                    if h["expiry"] <= day:  # settled at its expiry on spot VIX
                        hedges += h["qty"] * cents(m.hedge_unit(None, h["expiry"], h["expiry"], h["strikes"])[0])
                    else:
                        hedges += h["qty"] * cents(m.hedge_unit(None, day, h["expiry"], h["strikes"])[0])
                    hedges -= h["qty"] * cost_one
                eq = closed + pnl + hedges
            else:
                eq = closed  # entered at this close
        out.append((day, eq))
    return capital, out


def compare_report(m, strat, trades, o):
    import json

    rep = json.load(open(o.report))
    capital, eq = daily_equity(m, strat, trades, o)
    peak, worst = capital, 0.0
    for _, x in eq:
        peak = max(peak, x)
        worst = max(worst, (peak - x) / peak)
    rets = [b[1] / a[1] - 1 for a, b in zip(eq, eq[1:])]
    n = len(rets)
    mean = sum(rets) / n
    var = sum((x - mean) ** 2 for x in rets) / (n - 1)
    down = sum(min(x, 0) ** 2 for x in rets) / n
    sharpe = mean / math.sqrt(var) * math.sqrt(252)
    sortino = mean / math.sqrt(down) * math.sqrt(252)
    net = sum(t["engine_pnl"] + t["engine_hedge_pnl"] for t in trades)
    wins = sum(1 for t in trades if t["engine_pnl"] >= 0)
    def hedge_cost(h):
        legs = 1 if h["strikes"][1] is None else 2
        return round(h["qty"] * (h["unit"] * 100 + legs * o.commission), 2)

    costs = sum(hedge_cost(h) for t in trades for h in t.get("hedges", []))
    credit = sum(t["credit"] * t["contracts"] for t in trades if not t.get("skip"))
    # capital at risk on a day a condor is open (entry day included): its
    # stop plus its hedges' premium
    at_risk = max((t["max_loss"] + sum(hedge_cost(h) for h in t.get("hedges", []))
                   for t in trades if not t.get("skip")), default=0.0)
    mine = dict(max_drawdown_intra_trade=worst, sharpe=sharpe, sortino=sortino,
                final_equity=capital + net, win_rate=wins / len(trades),
                hedge_cost_to_credit=costs / credit, peak_capital_at_risk=at_risk)
    ok = True
    for k, v in mine.items():
        theirs = float(rep[k])
        good = abs(theirs - v) <= 1e-3 * max(1, abs(v))
        ok &= good
        print(f"  {k:26s} engine {theirs:.6f} reference {v:.6f} {'ok' if good else 'MISMATCH'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
