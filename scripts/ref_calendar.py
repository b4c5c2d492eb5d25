#!/usr/bin/env python3
"""An independent reading of the bundled event calendar (data/), for audits.

Reads data/fomc-dates.csv (meeting rows only), applies
data/fomc-corrections.csv in file order, adds data/cpi-ppi-dates.csv and the
unknown spans of data/cpi-ppi-unknown.csv, and evaluates `within Nd of
KINDS` as docs/market-data.md ("Event windows") states it: true when an event of a named
kind falls in [date, date + N] (calendar days, both ends included); false
only when every named kind's calendar covers the whole window (between its
first and last known dates, meeting none of its unknown spans); otherwise
unknown (None).

    python3 scripts/ref_calendar.py [BINARY]

compares that with `vixshield signal "within Nd of ..."` on every market bar
for several windows and kinds (BINARY defaults to target/release/vixshield),
and prints the number of bars compared and any difference.
"""

import bisect
import csv
import datetime
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def _date(s):
    return datetime.date.fromisoformat(s.strip())


def _rows(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        if fields[0].lower() == "date":
            continue
        yield fields


def load():
    """{kind: sorted dates}, {kind: [(from, to)]}"""
    events = {}
    with open(DATA / "fomc-dates.csv", newline="") as f:
        reader = csv.DictReader(f)
        reader.fieldnames = [n.strip().lower() for n in reader.fieldnames]
        for row in reader:
            if row["fed_meeting_date_indicator"].strip() == "1":
                events.setdefault("FOMC", set()).add(_date(row["date"]))
    for fields in _rows(DATA / "fomc-corrections.csv"):
        kind = fields[1].upper()
        if len(fields) > 2 and fields[2]:
            old = _date(fields[2])
            events[kind].remove(old)  # KeyError: a correction that misses
        events.setdefault(kind, set()).add(_date(fields[0]))
    for fields in _rows(DATA / "cpi-ppi-dates.csv"):
        events.setdefault(fields[1].upper(), set()).add(_date(fields[0]))
    unknown = {}
    for fields in _rows(DATA / "cpi-ppi-unknown.csv"):
        unknown.setdefault(fields[1].upper(), []).append((_date(fields[0]), _date(fields[2])))
    return {k: sorted(v) for k, v in events.items()}, unknown


def within(events, unknown, kinds, date, days):
    end = date + datetime.timedelta(days=days)
    known = True
    for kind in kinds:
        dates = events.get(kind.upper(), [])
        i = bisect.bisect_left(dates, date)
        if i < len(dates) and dates[i] <= end:
            return True
        covered = bool(dates) and dates[0] <= date and end <= dates[-1]
        covered = covered and not any(a <= end and date <= b for a, b in unknown.get(kind.upper(), []))
        known = known and covered
    return False if known else None


def nearest(events, kinds, date, days):
    """The first event of `kinds` in [date, date + days]: (kind, date) or None."""
    end = date + datetime.timedelta(days=days)
    best = None
    for kind in kinds:
        dates = events.get(kind.upper(), [])
        i = bisect.bisect_left(dates, date)
        if i < len(dates) and dates[i] <= end and (best is None or dates[i] < best[1]):
            best = (kind, dates[i])
    return best


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "release" / "vixshield")
    events, unknown = load()
    print({k: (len(v), v[0], v[-1]) for k, v in events.items()}, unknown)
    cases = [
        (1, ["FOMC", "CPI", "PPI"]),
        (0, ["FOMC"]),
        (0, ["CPI", "PPI"]),
        (2, ["CPI"]),
        (3, ["PPI", "FOMC"]),
        (7, ["FOMC", "CPI", "PPI"]),
        (30, ["CPI"]),
        (45, ["FOMC", "CPI"]),
    ]
    bad = 0
    total = 0
    for days, kinds in cases:
        expr = f"within {days}d of {', '.join(kinds)}"
        out = subprocess.run([binary, "signal", expr], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines()[1:]:
            d, v = line.split(",")
            got = None if v == "" else v == "1"
            want = within(events, unknown, kinds, _date(d), days)
            total += 1
            if got != want:
                bad += 1
                if bad < 20:
                    print(f"{expr} on {d}: vixshield {got}, reference {want}")
    print(f"{total} bars compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
