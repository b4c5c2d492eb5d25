#!/usr/bin/env python3
"""Generate the journal fixtures in tests/fixtures/journals/ (byte for byte).

    python3 scripts/gen_journals.py            # rewrites the fixtures
    python3 scripts/gen_journals.py --check    # fails if a committed fixture differs

The small fixtures are literal text below (written from here so that the
byte-order mark and CRLF line ends of messy.csv are exact). long.csv is 1,000
trades drawn from a seeded generator (Python's `random.Random(SEED)`, whose
Mersenne Twister sequence is stable across Python versions):

- dates every 7 days from 2005-01-07 (a Friday);
- a win with probability 0.75: pnl +100..+400 whole dollars; otherwise a loss
  of -300..-2,500 whole dollars;
- a credit of $300.00..$1,500.00 in cents, always;
- a hedge_pnl of -400..+900 whole dollars on about 30% of the rows (empty
  otherwise);
- amounts of four digits or more are written with a thousands separator and
  quoted (`"-1,234"`), a few wins with a `$` (`$250`).

The script prints a summary of long.csv (trade count, wins, and the sums of
pnl, credit and hedge_pnl); tests/journal.rs asserts the same numbers.
"""

import argparse
import datetime
import pathlib
import random
import sys

SEED = 20050107
ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "journals"

PROGRESSION = """\
date,pnl,credit
2024-01-19,-900,1000
2024-02-23,"-1,500","1,800"
2024-03-22,"-2,000","2,900"
2024-04-19,"-3,100","4,600"
2024-05-17,"7,800","8,700"
"""

RECOVERY = """\
date,pnl,credit
2024-01-05,-900,1000
2024-02-09,"-1,600","1,800"
2024-03-08,450,"2,900"
2024-04-05,300,1000
2024-04-05,250,1000
2024-05-03,500,1000
2024-06-07,"2,400","2,900"
"""

# Columns in another order than the usual one, every optional column used.
HEDGED = """\
date,short_put,short_call,credit,pnl,hedge_pnl
2024-01-19,4550,4950,1000,-900,350
2024-02-23,4700,5125,"1,800","-1,500",-120
2024-03-22,4900,5300,"2,900",1450,
2024-04-19,4825,5275,1000,500,-75.50
2024-05-17,5050,5450,1000,-900,"1,240.25"
"""

# Trades closing around the VIX spikes of February 2018 and March 2020, with
# FOMC meetings (2018-03-21; 2020-03-03, 03-15, 03-19, 03-23) and a CPI release
# (2021-02-10) the day after some closes: the decisions' guards read the
# market there (tests/decisions.rs snapshots every strategy on it).
SPIKES = """\
date,pnl,credit,hedge_pnl
2018-01-19,450,1000,
2018-02-02,-900,1000,-150
2018-02-05,"-1,600","1,800","2,100"
2018-02-06,"-1,900","2,900",640
2018-02-08,"-3,000","4,600",900
2018-02-09,500,1000,
2018-03-20,450,1000,
2020-02-21,500,1000,
2020-03-02,-900,1000,-150
2020-03-06,"-1,600","1,800",600
2020-03-09,"-2,500","2,900","1,800"
2020-03-12,"-4,000","4,600","3,500"
2020-03-13,500,1000,
2020-03-16,-900,1000,-150
2020-03-18,"-1,600","1,800",420
2020-03-20,"2,200","2,900",
2021-02-09,450,1000,
2021-02-12,450,1000,
"""

MESSY_LINES = [
    " Date , PnL ,notes, Credit ,HEDGE_PNL",
    '2024-01-05, -$900 ,"first, of the cycle",$1000,',
    "",
    '2024-02-09,"$-1,500.50",,"$1,800", +$75 ',
    "   ",
    '2024-03-08," $2,880 ","said ""enough""",  "2,900.00" ,"-$1,200"',
    "",
]
# BOM, CRLF line ends, blank and whitespace-only lines.
MESSY = "\ufeff" + "\r\n".join(MESSY_LINES)

BAD = {
    "bad_date.csv": """\
date,pnl
2024-01-05,-900
2024-02-09,"-1,500"
2024-13-01,450
""",
    "bad_amount.csv": """\
date,pnl,credit
2024-01-05,-900,1000
2024-02-09,12x,1800
""",
    "missing_column.csv": """\
date,credit,hedge_pnl
2024-01-05,1000,
""",
    "empty.csv": "",
    "header_only.csv": "date,pnl,credit\n",
    "backwards.csv": """\
date,pnl
2024-01-05,-900
2024-02-09,-1500
2024-03-01,-2000
2024-02-01,3100
""",
    "field_count.csv": """\
date,pnl,credit
2024-01-05,-900,1000
2024-02-09,-1,500,1800
""",
}


def money(amount, dollar=False):
    """Whole dollars: `-1,234` quoted when grouped, `$250` when asked."""
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,}"
    body = f"{sign}${text}" if dollar else f"{sign}{text}"
    return f'"{body}"' if "," in text else body


def long_journal():
    rng = random.Random(SEED)
    day = datetime.date(2005, 1, 7)
    rows = ["date,pnl,credit,hedge_pnl"]
    wins = 0
    sum_pnl = sum_credit_cents = sum_hedge = 0
    for _ in range(1000):
        if rng.random() < 0.75:
            pnl = rng.randint(100, 400)
            wins += 1
        else:
            pnl = -rng.randint(300, 2500)
        cents = rng.randint(30000, 150000)
        hedge = rng.randint(-400, 900) if rng.random() < 0.30 else None
        dollar = pnl > 0 and rng.random() < 0.1
        credit = f"{cents // 100}.{cents % 100:02d}"
        if cents >= 100000:
            credit = f'"{cents // 100:,}.{cents % 100:02d}"'
        rows.append(
            ",".join(
                [
                    day.isoformat(),
                    money(pnl, dollar),
                    credit,
                    "" if hedge is None else money(hedge),
                ]
            )
        )
        sum_pnl += pnl
        sum_credit_cents += cents
        sum_hedge += hedge or 0
        day += datetime.timedelta(days=7)
    summary = (
        f"long.csv: 1000 trades, {wins} wins, pnl {sum_pnl}, "
        f"credit {sum_credit_cents // 100}.{sum_credit_cents % 100:02d}, hedge_pnl {sum_hedge}, "
        f"last date {(day - datetime.timedelta(days=7)).isoformat()}"
    )
    return "\n".join(rows) + "\n", summary


def fixtures():
    text, summary = long_journal()
    files = {
        "progression.csv": PROGRESSION,
        "recovery.csv": RECOVERY,
        "hedged.csv": HEDGED,
        "spikes.csv": SPIKES,
        "messy.csv": MESSY,
        "long.csv": text,
    }
    files.update({f"bad/{name}": body for name, body in BAD.items()})
    return files, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    files, summary = fixtures()
    stale = []
    for name, body in files.items():
        path = ROOT / name
        data = body.encode("utf-8")
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    print(summary)
    if stale:
        print("differs from the generator: " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
