#!/usr/bin/env python3
"""Generate tests/fixtures/talib/edges.tsv: the built-ins at their edges.

    pip install ta-lib numpy
    python3 scripts/gen_talib_edges.py

Short series (flat, one spike, monotone up and down, a random walk, a near
flat one moving by 1e-9, lengths 1 to 3) through every built-in at the
smallest periods, at the series' length and one past it, and MACD with
fast == slow, fast > slow and signal 1. Each line is

    call <TAB> source <TAB> input values <TAB> expected values

`call` as the language writes it with `s` for the series (`rsi(s, 2)`);
`source` is `talib` (the real TA-Lib: Python `ta-lib` 0.8.2, C library
0.8.1), `exact` (Python `fractions`/`decimal` from the definition, where
TA-Lib has no such call: period 1, which TA-Lib rejects, and
`realized_vol`, to 60 digits then rounded to a double). Values are repr()
of doubles, `nan` where there is no value. tests/it/signals_talib.rs
(`edges_match_talib`) reads it.
"""

import math
import pathlib
import random
from decimal import Decimal, getcontext

import numpy as np
import talib

getcontext().prec = 60
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "talib" / "edges.tsv"

random.seed(7)
walk = [20.0]
for _ in range(39):
    walk.append(round(min(80, max(10, walk[-1] * math.exp(random.gauss(0, 0.08)))), 2))

SERIES = {
    "flat": [20.0] * 20,
    "spike": [20.0] * 8 + [60.0] + [20.0] * 11,
    "up": [10.0 + i for i in range(20)],
    "down": [40.0 - i for i in range(20)],
    "walk": walk,
    "near_flat": [20.0 + (1e-9 if i % 3 == 0 else 0.0) for i in range(20)],
    "len1": [15.0],
    "len2": [15.0, 16.5],
    "len3": [15.0, 16.5, 14.25],
}

TALIB = {"sma": "SMA", "ema": "EMA", "rsi": "RSI", "highest": "MAX", "lowest": "MIN"}


def period_one(name, x):
    if name == "rsi":
        return [math.nan] + [100.0 if b > a else 0.0 for a, b in zip(x, x[1:])]
    return list(x)  # sma, ema, highest, lowest of one bar: the bar


def realized_vol(x, n):
    out = [math.nan] * len(x)
    r = [None] + [(Decimal(b) / Decimal(a)).ln() for a, b in zip(x, x[1:])]
    for t in range(n, len(x)):
        w = r[t - n + 1 : t + 1]
        m = sum(w) / n
        out[t] = float((sum((v - m) ** 2 for v in w) / (n - 1)).sqrt() * Decimal(252).sqrt())
    return out


def fmt(xs):
    return " ".join("nan" if math.isnan(v) else repr(float(v)) for v in xs)


def main():
    lines = []
    for x in SERIES.values():
        a = np.array(x, dtype=np.float64)
        n = len(x)
        for name, fn in TALIB.items():
            for p in sorted({1, 2, 3, max(1, n - 1), n, n + 1}):
                if p == 1:
                    lines.append((f"{name}(s, 1)", "exact", x, period_one(name, x)))
                else:
                    lines.append((f"{name}(s, {p})", "talib", x, getattr(talib, fn)(a, timeperiod=p)))
        for p in sorted({2, 3, max(2, n - 1), max(2, n), n + 1}):
            lines.append((f"realized_vol(s, {p})", "exact", x, realized_vol(x, p)))
        for f, s, g in [(2, 3, 1), (3, 3, 2), (5, 3, 2), (2, 5, 1), (12, 26, 9), (2, max(2, n - 1), 1), (2, max(2, n), 1), (2, n + 1, 1)]:
            m, sig, hist = talib.MACD(a, fastperiod=f, slowperiod=s, signalperiod=g)
            for out, values in (("macd", m), ("macd_signal", sig), ("macd_hist", hist)):
                lines.append((f"{out}(s, {f}, {s}, {g})", "talib", x, values))
    with open(OUT, "w") as f:
        for call, source, x, y in lines:
            f.write(f"{call}\t{source}\t{fmt(x)}\t{fmt(y)}\n")
    print(f"{OUT}: {len(lines)} lines")


if __name__ == "__main__":
    main()
