#!/usr/bin/env python3
"""Generate the reference fixtures in tests/fixtures/talib/ from the real TA-Lib.

    pip install ta-lib numpy
    python3 scripts/gen_talib_fixtures.py               # the committed, sampled fixtures
    python3 scripts/gen_talib_fixtures.py --full /tmp/talib-full
    VIXSHIELD_TALIB_FIXTURES=/tmp/talib-full cargo test --test it signals_talib
                                                        # every bar, not committed

Reads the closes of data/vix-daily.csv and writes one CSV per indicator:
`date,value`, the value printed with repr() (the shortest text that reads
back to the same double, at most 17 significant digits) and left empty where
TA-Lib gives NaN (the warm-up).

To keep the committed fixtures small (a few hundred KB), each file holds
every bar of the first WARMUP_ROWS (warm-up and the first values, so the exact
warm-up index is checked), every STRIDE-th bar after that, and the last
TAIL_ROWS bars. The indicators are still computed over the full history, by
TA-Lib here and by the Rust tests there; only the comparison is sampled.

realized_vol is not a TA-Lib function: it is computed with numpy as
std(ln(x_t / x_{t-1}) over the last n returns, ddof=1) * sqrt(252).
"""

import argparse
import csv
import pathlib
import sys

import numpy as np
import talib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "vix-daily.csv"
OUT = ROOT / "tests" / "fixtures" / "talib"

WARMUP_ROWS = 120
STRIDE = 10
TAIL_ROWS = 60


def load_vix():
    with open(SOURCE, newline="") as f:
        rows = list(csv.DictReader(f))
    dates = [r["DATE"] for r in rows]
    close = np.array([float(r["CLOSE"]) for r in rows], dtype=np.float64)
    return dates, close


def realized_vol(close, n):
    returns = np.log(close[1:] / close[:-1])
    out = np.full(close.shape, np.nan)
    for t in range(n, len(close)):
        out[t] = np.std(returns[t - n : t], ddof=1) * np.sqrt(252.0)
    return out


def keep(i, total, full):
    return full or i < WARMUP_ROWS or i % STRIDE == 0 or i >= total - TAIL_ROWS


def write(out, name, dates, values, full):
    path = out / f"{name}.csv"
    total = len(values)
    with open(path, "w", newline="") as f:
        f.write("date,value\n")
        for i, (d, v) in enumerate(zip(dates, values)):
            if keep(i, total, full):
                f.write(f"{d},{'' if np.isnan(v) else repr(float(v))}\n")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", metavar="DIR", type=pathlib.Path,
                        help="write every bar to DIR instead of the sampled fixtures")
    args = parser.parse_args()
    out = args.full or OUT
    full = args.full is not None

    dates, close = load_vix()
    assert len(close) == 9235, len(close)
    out.mkdir(parents=True, exist_ok=True)

    macd, macd_signal, macd_hist = talib.MACD(close, 12, 26, 9)
    swapped, swapped_signal, _ = talib.MACD(close, 26, 12, 9)
    fixtures = {
        "sma_10": talib.SMA(close, 10),
        "ema_10": talib.EMA(close, 10),
        "ema_26": talib.EMA(close, 26),
        "rsi_14": talib.RSI(close, 14),
        "rsi_2": talib.RSI(close, 2),
        "macd_12_26_9": macd,
        "macd_signal_12_26_9": macd_signal,
        "macd_hist_12_26_9": macd_hist,
        "macd_26_12_9": swapped,
        "macd_signal_26_12_9": swapped_signal,
        "max_20": talib.MAX(close, 20),
        "min_20": talib.MIN(close, 20),
        "realized_vol_20": realized_vol(close, 20),
    }
    for name, values in fixtures.items():
        path = write(out, name, dates, values, full)
        first = int(np.argmax(~np.isnan(values)))
        print(f"{path}: first value at bar {first}", file=sys.stderr)
    print(f"ta-lib {talib.__version__} (C library {talib.__ta_version__.decode()}), numpy {np.__version__}")


if __name__ == "__main__":
    main()
