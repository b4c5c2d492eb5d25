#!/usr/bin/env python3
"""An independent reference for `vixshield signal`, written from the docs'
definitions (docs/language.md, docs/market-data.md, docs/signals.md) (not from the Rust code), to audit the expression semantics on
the bundled data.

    pip install ta-lib numpy
    cargo build --release
    python3 scripts/ref_signals.py                 # the built-in audit list
    python3 scripts/ref_signals.py "EXPR" ...      # these expressions
    python3 scripts/ref_signals.py --calendar F "within 1d of CPI"
    python3 scripts/ref_signals.py --market vix=V.csv --market spx=S.csv "spx / vix"
    python3 scripts/ref_signals.py --random 200 --seed 7   # random expressions

For each expression it evaluates the reference over every bar and runs
`target/release/vixshield signal EXPR --format json` (with the same
`--calendar` and `--market` files), then compares bar by bar: unknown (`null`) exactly where
the reference is unknown, numbers within 1e-9 relative (1e-12 absolute near
zero), conditions exactly. Exit 1 on any difference.

What the reference implements (docs/language.md "Expressions", docs/market-data.md,
"Signals on the command line"):
- the join: VIX's dates are the calendar; SPX and VIX3M take their own close
  on a date they have, else their last close carried forward between their
  first and last dates, and are missing before the first and after the last;
- literals: numbers as written, `15%` as 0.15, `18bps` as 0.0018;
- arithmetic and comparisons are unknown when an operand is; a quotient (or
  any result) that is not a finite number is unknown;
- `and` / `or` / `not` are Kleene's three-valued logic;
- `a crosses above b` at t: a[t] > b[t] and a[t-1] <= b[t-1] (below: a[t] <
  b[t] and a[t-1] >= b[t-1]); unknown on the first bar and when either bar
  lacks a value (no cross is seen across a gap);
- built-ins are TA-Lib's (SMA, EMA, RSI, MACD, MAX, MIN) over the bars where
  their input has a value (a missing bar is skipped: the indicator continues
  from the last value it took), period 1 by the same formulas (TA-Lib refuses
  it, so it is computed here by hand); realized_vol(s, n) is numpy's
  std(ddof=1) of the last n log returns times sqrt(252) (a price not above 0
  skipped like a missing one); ratio(a, b) is a / b, unknown when b is 0;
- `within Nd of K1, K2`: true when an event of a named kind falls in
  [date, date + N]; false only when, for every named kind, the window lies
  between the kind's first and last dates and meets none of its unknown
  spans; otherwise unknown. The calendar is the bundled FOMC meetings
  (fomc-dates.csv rows with the meeting flag 1, fomc-corrections.csv
  applied), CPI/PPI dates and unknown spans, then each `--calendar` file:
  `date,event` adds, `date,event,replaces` moves, `date,event,until` marks a
  span unknown.
"""

import argparse
import bisect
import csv
import datetime as dt
import json
import math
import pathlib
import re
import subprocess
import sys

import numpy as np
import talib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
BIN = ROOT / "target" / "release" / "vixshield"


# ---------------------------------------------------------------- data


def parse_date(text):
    text = text.strip()
    if "/" in text:
        m, d, y = text.split("/")
        return dt.date(int(y), int(m), int(d))
    return dt.date.fromisoformat(text)


def load_series(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip().lower() for h in rows[0]]
    di, ci = header.index("date"), header.index("close")
    out = [(parse_date(r[di]), float(r[ci])) for r in rows[1:] if r]
    return [d for d, _ in out], [c for _, c in out]


def join(dates, sdates, sclose):
    """docs/market-data.md's join of a secondary series on VIX's dates."""
    out = []
    for d in dates:
        k = bisect.bisect_right(sdates, d) - 1  # the last row on or before d
        if k < 0 or d > sdates[-1]:
            out.append(None)  # before its first date or after its last
        else:
            out.append(sclose[k])  # its own close, or the last one carried
    return out


def load_market(market=()):
    """The bundled files, or, with `--market NAME=PATH` specs, those files
    only (VIX sets the calendar when given, else the first one)."""
    if not market:
        market = [f"vix={DATA / 'vix-daily.csv'}", f"spx={DATA / 'spx-daily.csv'}",
                  f"vix3m={DATA / 'vix3m-daily-cboe-format.csv'}"]
    loaded = {}
    for spec in market:
        name, path = spec.split("=", 1)
        loaded[name] = load_series(path)
    primary = "vix" if "vix" in loaded else market[0].split("=", 1)[0]
    dates = loaded[primary][0]
    series = {name: join(dates, *loaded[name]) for name in loaded}
    for name in ("vix", "vix3m", "spx"):
        series.setdefault(name, [None] * len(dates))
    return dates, series


class Calendar:
    def __init__(self):
        self.events = {}
        self.unknown = {}

    def add(self, kind, date):
        self.events.setdefault(kind.upper(), set()).add(date)

    def remove(self, kind, date):
        s = self.events.get(kind.upper(), set())
        if date not in s:
            raise ValueError(f"nothing to replace: {kind} {date}")
        s.remove(date)

    def read(self, path):
        lines = [l.strip() for l in open(path, encoding="utf-8-sig")]
        lines = [l for l in lines if l and not l.startswith("#")]
        header = [h.strip().lower() for h in lines[0].split(",")]
        body = lines[1:] if header[0] == "date" else lines
        for line in body:
            f = [x.strip() for x in line.split(",")]
            date, kind = parse_date(f[0]), f[1]
            if header == ["date", "event", "replaces"]:
                if len(f) > 2 and f[2]:
                    self.remove(kind, parse_date(f[2]))
                self.add(kind, date)
            elif header == ["date", "event", "until"]:
                until = parse_date(f[2])
                assert until >= date
                self.unknown.setdefault(kind.upper(), []).append((date, until))
            else:
                self.add(kind, date)

    @staticmethod
    def bundled():
        c = Calendar()
        with open(DATA / "fomc-dates.csv", newline="") as f:
            for r in csv.DictReader(f):
                r = {k.strip(): v for k, v in r.items()}
                if r["fed_meeting_date_indicator"].strip() == "1":
                    c.add("FOMC", parse_date(r["date"]))
        c.read(DATA / "fomc-corrections.csv")
        c.read(DATA / "cpi-ppi-dates.csv")
        c.read(DATA / "cpi-ppi-unknown.csv")
        return c

    def within(self, kinds, date, days):
        end = date + dt.timedelta(days=days)
        known = True
        for k in kinds:
            ds = self.events.get(k.upper(), set())
            if any(date <= d <= end for d in ds):
                return True
            if not ds or not (min(ds) <= date and end <= max(ds)):
                known = False
            for a, b in self.unknown.get(k.upper(), []):
                if a <= end and date <= b:
                    known = False
        return False if known else None


# ---------------------------------------------------------------- indicators


def compress(xs):
    idx = [i for i, x in enumerate(xs) if x is not None]
    return idx, np.array([xs[i] for i in idx], dtype=np.float64)


def scatter(n, idx, values):
    out = [None] * n
    for i, v in zip(idx, values):
        if not math.isnan(v):
            out[i] = float(v)
    return out


def sma1(a):  # TA-Lib refuses period 1; by the same formula it is the value itself
    return a.copy()


def ema_manual(a, n):
    out = np.full(a.shape, np.nan)
    if len(a) < n:
        return out
    k = 2.0 / (n + 1)
    e = a[:n].sum() / n
    out[n - 1] = e
    for i in range(n, len(a)):
        e = (a[i] - e) * k + e
        out[i] = e
    return out


def rsi_manual(a, n):
    out = np.full(a.shape, np.nan)
    if len(a) <= n:
        return out
    d = np.diff(a)
    g, l = np.maximum(d, 0), np.maximum(-d, 0)
    ag, al = g[:n].sum() / n, l[:n].sum() / n
    out[n] = 0.0 if ag + al == 0 else 100 * (ag / (ag + al))  # TA-Lib's order
    for i in range(n, len(d)):
        ag = (ag * (n - 1) + g[i]) / n
        al = (al * (n - 1) + l[i]) / n
        out[i + 1] = 0.0 if ag + al == 0 else 100 * (ag / (ag + al))
    return out


def macd_manual(a, fast, slow, sig):
    """TA-Lib's MACD by hand (for periods TA-Lib refuses): both EMAs start at
    bar slow-1, the fast one seeded with the mean of the fast values ending
    there; the signal an EMA of the line; all outputs from slow+sig-2."""
    if fast > slow:
        fast, slow = slow, fast
    n = len(a)
    line = np.full(n, np.nan)
    if n >= slow:
        es = ema_manual(a, slow)
        ef = np.full(n, np.nan)
        sub = ema_manual(a[slow - fast:], fast)
        ef[slow - fast:] = sub
        line = ef - es
        line[: slow - 1] = np.nan
    signal = np.full(n, np.nan)
    valid = ~np.isnan(line)
    if valid.any():
        s0 = int(np.argmax(valid))
        signal[s0:] = ema_manual(line[s0:], sig)
    line = np.where(np.isnan(signal), np.nan, line)
    return line, signal, line - signal


def builtin(name, args, periods):
    n = len(args[0])
    if name == "ratio":
        a, b = args
        out = []
        for x, y in zip(a, b):
            if x is None or y is None or y == 0:
                out.append(None)
            else:
                q = x / y
                out.append(q if math.isfinite(q) else None)
        return out
    idx, a = compress(args[0])
    p = periods
    if name == "sma":
        v = sma1(a) if p[0] == 1 else (talib.SMA(a, p[0]) if len(a) else a)
    elif name == "ema":
        v = ema_manual(a, 1) if p[0] == 1 else (talib.EMA(a, p[0]) if len(a) else a)
    elif name == "rsi":
        v = rsi_manual(a, 1) if p[0] == 1 else (talib.RSI(a, p[0]) if len(a) else a)
    elif name in ("highest", "lowest"):
        f = talib.MAX if name == "highest" else talib.MIN
        v = a.copy() if p[0] == 1 else (f(a, p[0]) if len(a) else a)
    elif name == "realized_vol":
        # prices that are not positive have no log return: skipped like missing ones
        keep = [k for k, x in enumerate(a) if x > 0]
        idx, a = [idx[k] for k in keep], a[keep]
        m = p[0]
        v = np.full(a.shape, np.nan)
        with np.errstate(all="ignore"):
            r = np.log(a[1:] / a[:-1])
        for t in range(m, len(a)):
            v[t] = np.std(r[t - m : t], ddof=1) * math.sqrt(252.0)
    elif name in ("macd", "macd_signal", "macd_hist"):
        which = ("macd", "macd_signal", "macd_hist").index(name)
        if min(p[:2]) >= 2 and len(a):  # TA-Lib takes a signal period of 1
            v = talib.MACD(a, p[0], p[1], p[2])[which]
        else:
            v = macd_manual(a, *p)[which]
    else:
        raise ValueError(name)
    return scatter(n, idx, v)


# ---------------------------------------------------------------- expressions

TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)(?P<unit>%|bps|d\b)?|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\(|\)|,))"
)


def tokenize(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SyntaxError(f"at {pos}: {text[pos:]}")
        pos = m.end()
        if m.group("num"):
            out.append(("num", m.group("num"), m.group("unit")))
        elif m.group("name"):
            out.append(("name", m.group("name"), None))
        else:
            out.append(("op", m.group("op"), None))
    return out


class Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None, None)

    def take(self, kind=None, value=None):
        t = self.peek()
        if (kind and t[0] != kind) or (value and t[1] != value):
            raise SyntaxError(f"expected {value or kind}, got {t}")
        self.i += 1
        return t

    def parse(self):
        e = self.or_()
        if self.i != len(self.toks):
            raise SyntaxError(f"trailing {self.toks[self.i:]}")
        return e

    def or_(self):
        e = self.and_()
        while self.peek()[1] == "or":
            self.take()
            e = ("or", e, self.and_())
        return e

    def and_(self):
        e = self.not_()
        while self.peek()[1] == "and":
            self.take()
            e = ("and", e, self.not_())
        return e

    def not_(self):
        if self.peek()[1] == "not":
            self.take()
            return ("not", self.not_())
        return self.cmp()

    def cmp(self):
        e = self.add()
        t = self.peek()
        if t[1] in ("<", "<=", ">", ">=", "==", "!="):
            self.take()
            return (t[1], e, self.add())
        if t[1] == "crosses":
            self.take()
            d = self.take("name")[1]
            assert d in ("above", "below")
            return ("crosses " + d, e, self.add())
        return e

    def add(self):
        e = self.mul()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            e = (op, e, self.mul())
        return e

    def mul(self):
        e = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            e = (op, e, self.unary())
        return e

    def unary(self):
        if self.peek()[1] == "-":
            self.take()
            return ("neg", self.unary())
        return self.atom()

    def atom(self):
        t = self.peek()
        if t[0] == "num":
            self.take()
            v = float(t[1])
            if t[2] == "%":
                v = float(t[1]) / 100
            elif t[2] == "bps":
                v = float(t[1]) / 10000
            return ("const", v)
        if t[1] == "(":
            self.take()
            e = self.or_()
            self.take("op", ")")
            return e
        if t[1] == "within":
            self.take()
            n = self.take("num")
            assert n[2] == "d"
            self.take("name", "of")
            kinds = [self.take("name")[1]]
            while self.peek()[1] == ",":
                self.take()
                kinds.append(self.take("name")[1])
            return ("within", int(n[1]), kinds)
        name = self.take("name")[1]
        if self.peek()[1] == "(":
            self.take()
            args = [self.or_()]
            while self.peek()[1] == ",":
                self.take()
                args.append(self.or_())
            self.take("op", ")")
            return ("call", name, args)
        return ("series", name)


class Evaluator:
    def __init__(self, dates, series, calendar):
        self.dates, self.series, self.calendar = dates, series, calendar
        self.n = len(dates)

    def num(self, v):
        return v if v is not None and math.isfinite(v) else None

    def ev(self, e):
        n, op = self.n, e[0]
        if op == "const":
            return [e[1]] * n
        if op == "series":
            return list(self.series[e[1]])
        if op == "neg":
            return [None if x is None else -x for x in self.ev(e[1])]
        if op == "not":
            return [None if x is None else not x for x in self.ev(e[1])]
        if op in ("and", "or"):
            a, b = self.ev(e[1]), self.ev(e[2])
            out = []
            for x, y in zip(a, b):
                if op == "and":
                    out.append(False if (x is False or y is False) else (True if (x and y) else None))
                else:
                    out.append(True if (x is True or y is True) else (False if (x is False and y is False) else None))
            return out
        if op in ("+", "-", "*", "/"):
            a, b = self.ev(e[1]), self.ev(e[2])
            out = []
            for x, y in zip(a, b):
                if x is None or y is None:
                    out.append(None)
                elif op == "/" and y == 0:
                    out.append(None)
                else:
                    r = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else math.nan}[op]
                    out.append(self.num(r))
            return out
        if op in ("<", "<=", ">", ">=", "==", "!="):
            a, b = self.ev(e[1]), self.ev(e[2])
            f = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__,
                 "==": float.__eq__, "!=": float.__ne__}[op]
            return [None if x is None or y is None else f(float(x), float(y)) for x, y in zip(a, b)]
        if op.startswith("crosses"):
            a, b = self.ev(e[1]), self.ev(e[2])
            out = [None]
            for t in range(1, n):
                if None in (a[t], b[t], a[t - 1], b[t - 1]):
                    out.append(None)
                elif op == "crosses above":
                    out.append(a[t] > b[t] and a[t - 1] <= b[t - 1])
                else:
                    out.append(a[t] < b[t] and a[t - 1] >= b[t - 1])
            return out
        if op == "within":
            return [self.calendar.within(e[2], d, e[1]) for d in self.dates]
        if op == "call":
            name, args = e[1], e[2]
            nseries = 2 if name == "ratio" else 1
            cols = [self.ev(a) for a in args[:nseries]]
            periods = [int(a[1]) for a in args[nseries:]]
            return builtin(name, cols, periods)
        raise ValueError(op)


# ---------------------------------------------------------------- comparison


def run_cli(expr, calendars, market=()):
    cmd = [str(BIN), "signal", expr, "--format", "json"]
    for c in calendars:
        cmd += ["--calendar", str(c)]
    for m in market:
        cmd += ["--market", m]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{expr}: exit {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


def close_enough(x, y):
    return abs(x - y) <= max(1e-9 * max(abs(x), abs(y)), 1e-12)


def compare(expr, dates, ev, calendars, market=(), show=5):
    ref = ev.ev(Parser(expr).parse())
    got = run_cli(expr, calendars, market)
    assert len(got) == len(dates), (len(got), len(dates))
    bad, known, worst = [], 0, 0.0
    for d, r, g in zip(dates, ref, got):
        assert g["date"] == d.isoformat(), (g["date"], d)
        v = g["value"]
        if isinstance(r, bool):
            r = 1.0 if r else 0.0
        if r is None or v is None:
            if r is not v:
                bad.append((d, r, v))
            continue
        known += 1
        if not close_enough(r, v):
            bad.append((d, r, v))
        elif r != v and max(abs(r), abs(v)) > 1e-12:
            worst = max(worst, abs(r - v) / max(abs(r), abs(v)))
    status = "ok" if not bad else f"{len(bad)} DIFFERENCES"
    print(f"{status:>16}  {expr}  ({known} known values, worst rel {worst:.1e})")
    for b in bad[:show]:
        print(f"{'':18}{b[0]}: reference {b[1]!r}, vixshield {b[2]!r}")
    return not bad


AUDIT = [
    # series and the join
    "vix", "vix3m", "spx", "vix3m - vix", "spx / vix",
    # arithmetic with unknowns, division by zero, literals
    "vix / (vix - 20)", "(vix - vix) / (vix - vix)", "1 / (spx - spx)", "-vix3m * 2 + 1",
    "ratio(vix, vix3m)", "ratio(vix, vix - 20)", "ratio(vix3m, spx - spx)", "vix * 5% + 18bps",
    # comparisons and Kleene logic
    "vix3m > vix", "vix3m == vix3m", "vix != vix3m", "spx >= 2000",
    "vix > 20 and vix3m > 20", "vix > 20 or vix3m > 20", "not (vix3m > 20)",
    "vix < 15 and ratio(vix, vix3m) < 0.9", "vix > 30 or ratio(vix, vix3m) > 1",
    "rsi(vix, 14) > 70 or vix3m > 1000", "sma(vix, 50) > 0 and spx < 0",
    "not (vix3m > 0 and within 1d of CPI)", "within 2d of FOMC or vix3m > 25",
    # crosses
    "vix crosses above 20", "vix crosses below 20", "vix3m crosses above vix",
    "vix crosses below vix3m", "macd(vix, 12, 26, 9) crosses above macd_signal(vix, 12, 26, 9)",
    "macd(vix, 12, 26, 9) crosses below macd_signal(vix, 12, 26, 9)",
    "spx crosses above sma(spx, 200)", "vix crosses above vix", "rsi(vix, 2) crosses above 90",
    # built-ins on every series, periods at their limits
    "sma(vix, 1)", "sma(spx, 10)", "sma(vix3m, 20)", "sma(vix, 9235)", "sma(vix, 9236)", "sma(vix3m, 5000)",
    "ema(vix, 1)", "ema(vix3m, 10)", "ema(spx, 200)", "ema(vix, 9235)", "ema(vix, 9236)",
    "rsi(vix, 1)", "rsi(vix3m, 14)", "rsi(spx, 14)", "rsi(vix, 9234)", "rsi(vix, 9235)",
    "macd(vix3m, 12, 26, 9)", "macd_signal(spx, 12, 26, 9)", "macd_hist(spx, 12, 26, 9)",
    "macd(vix, 1, 1, 1)", "macd_signal(vix, 1, 2, 1)", "macd_hist(vix, 2, 3, 1)", "macd(vix, 5, 5, 5)",
    "macd_signal(vix, 3, 10, 16)", "macd_hist(vix, 26, 12, 9)",
    "highest(vix, 1)", "highest(vix3m, 20)", "lowest(spx, 252)", "lowest(vix, 9235)", "highest(vix, 9236)",
    "realized_vol(vix, 2)", "realized_vol(spx, 20)", "realized_vol(vix3m, 60)", "realized_vol(vix, 9234)",
    "realized_vol(vix, 9235)", "realized_vol(vix3m, 2)", "realized_vol(highest(vix, 30), 3)",
    "realized_vol(lowest(spx, 50), 4)",
    # built-ins of derived series (warm-ups and missing bars inside)
    "sma(vix3m - vix, 10)", "ema(ratio(vix, vix3m), 5)", "rsi(sma(vix, 10), 14)",
    "highest(rsi(vix, 14), 10)", "realized_vol(ema(spx, 5), 10)",
    "sma(vix / (vix - 20), 3)",
    # event windows
    "within 0d of FOMC", "within 1d of FOMC, CPI, PPI", "within 3d of CPI", "within 10d of PPI",
    "within 30d of CPI, PPI", "within 3650d of FOMC", "within 1d of CPI",
]


def random_exprs(count, seed):
    """Random well-typed expressions over the series, built-ins, operators and
    event windows, to exercise unknowns and their combinations."""
    import random

    rng = random.Random(seed)

    def num(depth):
        r = rng.random()
        if depth <= 0 or r < 0.25:
            return rng.choice(["vix", "vix3m", "spx", "vix", "vix3m"])
        if r < 0.35:
            return rng.choice(["20", "0", "1", "15%", "0.9", "25"])
        if r < 0.6:
            f = rng.choice(["sma", "ema", "rsi", "highest", "lowest", "realized_vol"])
            p = rng.choice([1, 2, 3, 5, 14, 20]) if f != "realized_vol" else rng.choice([2, 3, 10])
            return f"{f}({num(depth - 1)}, {p})"
        if r < 0.7:
            f = rng.choice(["macd", "macd_signal", "macd_hist"])
            a, b, c = rng.choice([(12, 26, 9), (1, 2, 1), (3, 3, 2), (5, 2, 3)])
            return f"{f}({num(depth - 1)}, {a}, {b}, {c})"
        if r < 0.8:
            return f"ratio({num(depth - 1)}, {num(depth - 1)})"
        if r < 0.9:
            return f"({num(depth - 1)} {rng.choice(['+', '-', '*', '/'])} {num(depth - 1)})"
        return f"-{num(depth - 1)}"

    def cond(depth):
        r = rng.random()
        if depth <= 0 or r < 0.35:
            if rng.random() < 0.2:
                return f"within {rng.choice([0, 1, 2, 5])}d of {rng.choice(['FOMC', 'CPI', 'PPI', 'CPI, PPI'])}"
            op = rng.choice(["<", "<=", ">", ">=", "==", "!=", "crosses above", "crosses below"])
            return f"{num(depth - 1)} {op} {num(depth - 1)}"
        if r < 0.75:
            return f"({cond(depth - 1)} {rng.choice(['and', 'or'])} {cond(depth - 1)})"
        return f"not ({cond(depth - 1)})"

    return [cond(3) if rng.random() < 0.6 else num(3) for _ in range(count)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("exprs", nargs="*")
    ap.add_argument("--calendar", action="append", default=[], type=pathlib.Path)
    ap.add_argument("--market", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--random", type=int, default=0, metavar="N",
                    help="also compare N random expressions (seeded by --seed)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    dates, series = load_market(args.market)
    cal = Calendar.bundled()
    for c in args.calendar:
        cal.read(c)
    ev = Evaluator(dates, series, cal)
    exprs = args.exprs or ([] if args.random else AUDIT)
    exprs += random_exprs(args.random, args.seed)
    ok = all([compare(e, dates, ev, args.calendar, args.market) for e in exprs])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
