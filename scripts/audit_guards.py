#!/usr/bin/env python3
"""Recompute the engine's guards independently, in exact rationals.

    python3 scripts/audit_guards.py [--cases N] [--seed S] [--binary PATH]

Writes N random strategies (accounts, ladders, hedge layers and the four
numeric/calendar guards in a random order) and journals (random dates from
2000 to 2025, P&L, hedge P&L, credits), runs `vixshield run --format json`
on each, and recomputes every decision's guards from docs/guards.md with `fractions.Fraction`:

- wacc_impact: impact(H) = H (b - a) / (E + H) x 10^4 bps (D = 0), with
  a = rf + beta ERP and b = (1 - t)(beta ERP + m), also checked against
  Hamada/CAPM/WACC written out; the cap is the largest cent H <= asked with
  |impact(H)| <= limit;
- quick_ratio: cash = account cash + equity - capital; the next condor's
  margin and stressed loss are its size, the loss counted when N >= z,
  z = inverse normal of (1 - upper short delta); blocked when
  (cash - loss) / size < floor, else capped at the largest cent H with
  (cash - loss - H) / size >= floor;
- exposure: blocked when size > limit (% of capital, % of equity, money);
- blackout: scripts/ref_calendar.py at the decision's market date;
- the guards in file order, each on what the ones before it left; layers
  scaled by to/from, rounded down to the cent.

Compares outcomes, amounts, values (6 places, half away from zero), limits,
the capped reasons' figures and the derivation's guard lines, and prints
every difference. Exit 1 on any.

Known: a pass line prints the recorded 6-place value rounded again to 2
places, so a value such as 2.5249996bps shows as 2.53 (exactly: 2.52); the
script reports those (about one decision in 10,000).
"""

import argparse
import datetime
import json
import os
import pathlib
import random
import statistics
import subprocess
import sys
import tempfile
from decimal import Decimal, localcontext
from fractions import Fraction as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import ref_calendar  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS, UNKNOWN = ref_calendar.load()
VIX_DATES = []
for _line in (ROOT / "data" / "vix-daily.csv").read_text().splitlines()[1:]:
    if _line.strip():
        VIX_DATES.append(datetime.date.fromisoformat(_line.split(",")[0]))


# --------------------------------------------------------------------------
# Exact helpers.

def fr(s):
    return F(Decimal(str(s)))


def round_half_away(x, dp):
    q = F(10) ** dp
    y = abs(x) * q
    n = y.numerator // y.denominator
    if y - n >= F(1, 2):
        n += 1
    r = F(n) / q
    return -r if x < 0 else r


def cents_down(x):
    # amounts here are never negative
    n = (x * 100).numerator // (x * 100).denominator
    return F(n, 100)


def dec(x):
    """A Fraction with a terminating decimal expansion as a normalized string."""
    with localcontext() as ctx:
        ctx.prec = 60
        d = Decimal(x.numerator) / Decimal(x.denominator)
    s = format(d.normalize(), "f")
    if s == "-0":
        s = "0"
    return s


def money(x):
    """$1,234.5 -> as the engine prints money: $1,234.50, whole dollars bare."""
    neg = x < 0
    x = abs(x)
    cents = x * 100
    assert cents.denominator == 1, x
    whole, c = divmod(cents.numerator, 100)
    s = f"{whole:,}"
    if c:
        s += f".{c:02d}"
    return ("-$" if neg else "$") + s


def two(x):
    """Rounded half away from zero to 2 places, trailing zeros dropped."""
    return dec(round_half_away(x, 2))


# --------------------------------------------------------------------------
# Random strategies and journals.

def pct(rng, lo, hi, dp=2):
    v = round(rng.uniform(lo, hi), dp)
    return Decimal(str(v))


def fmt_money_lit(x):
    d = Decimal(x)
    whole = int(d)
    frac = d - whole
    s = f"${whole:,}"
    if frac:
        s += str(frac)[1:]
    return s


def make_case(rng):
    capital = Decimal(rng.choice([10_000, 25_000, 100_000, 250_000, 1_000_000, rng.randint(5_000, 3_000_000),
                                  rng.randint(10**8, 10**13)]))
    cash = (capital * Decimal(str(round(rng.uniform(0.005, 1.5), 3)))).quantize(Decimal(1))
    rf = pct(rng, 0, 8)
    beta = Decimal(str(round(rng.uniform(0.2, 2.5), 2)))
    erp = pct(rng, 1, 9)
    margin = pct(rng, 0.5, 15)
    tax = pct(rng, 0, 60)
    base_pct = pct(rng, 0.2, 4, 1)
    base_of = rng.choice(["capital", "equity"])
    steps = rng.randint(1, 6)
    mult = Decimal(str(round(rng.uniform(1.1, 2.6), 1)))
    reset = rng.choice(["on win", "on recovery"])
    rnd = rng.choice(["nearest $100", "down $100", "nearest $10", "down $1"])
    lo_delta = round(rng.uniform(0.05, 0.30), 2)
    hi_delta = round(lo_delta + rng.uniform(0.0, 0.2), 2)
    hi_delta = min(hi_delta, 0.45)
    dte = rng.choice([7, 30, 45, 60, 90, rng.randint(1, 400), rng.randint(400, 3650)])
    front = pct(rng, 1, 60, 0)
    back = pct(rng, 1, 40, 0)
    back_from = rng.randint(1, steps)
    guards = []
    wacc_bps = rng.choice([Decimal(str(round(rng.uniform(0, 3), 2))), Decimal(str(round(rng.uniform(0, 40), 1))),
                           Decimal(str(rng.randint(0, 50)))])
    guards.append(("wacc", f"wacc_impact {rng.choice(['<', '<='])} {wacc_bps}bps", wacc_bps))
    floor = Decimal(str(round(rng.choice([rng.uniform(0.05, 3), rng.uniform(0.05, 100)]), 2)))
    if rng.random() < 0.5:
        # near the ratio the first decision sees, so that caps happen
        est = float(cash) / (float(base_pct) / 100 * float(capital)) - 1 - rng.uniform(0, 0.8)
        floor = Decimal(str(round(min(max(est, 0.05), 100), 2)))
    if floor <= 0:
        floor = Decimal("0.05")
    sigma = Decimal(str(round(rng.choice([rng.uniform(0, 6), 3.0, 0.5, 1.0]), rng.choice([0, 1, 2, 4]))))
    sig_txt = f" under {sigma} sigma" if rng.random() < 0.9 else ""
    if not sig_txt:
        sigma = Decimal(0)
    guards.append(("quick", f"quick_ratio >= {floor}{sig_txt}", (floor, sigma)))
    kinds = rng.sample(["FOMC", "CPI", "PPI"], rng.randint(1, 3))
    days = rng.choice([0, 1, 2, 3, 7, 14, rng.randint(0, 40)])
    guards.append(("blackout", f"no entry within {days}d of {', '.join(kinds)}", (days, kinds)))
    exp_kind = rng.choice(["capital", "equity", "money"])
    if exp_kind == "money":
        lim = Decimal(rng.randint(100, 200_000))
        guards.append(("exposure", f"exposure <= {fmt_money_lit(lim)}", ("money", lim)))
    else:
        p = pct(rng, 0.5, 30, 1)
        guards.append(("exposure", f"exposure <= {p}% of {exp_kind}", (exp_kind, p / 100)))
    rng.shuffle(guards)
    guards = [g for g in guards if rng.random() < 0.85] or guards[:1]
    mult_lines = f"    multiplier = {mult}x\n" if steps > 1 else ""
    text = f"""strategy "Audit" {{
    version = 1.0.0
    language = 1
}}

account {{
    capital = {fmt_money_lit(capital)}
    percent_of = capital
    risk_free_rate = {rf}%
    beta = {beta}
    equity_risk_premium = {erp}%
    margin_rate = {margin}%
    tax_rate = {tax}%
    cash = {fmt_money_lit(cash)}
}}

entry {{
    underlying = SPX
    dte = {dte}d
    short_delta = {lo_delta}..{hi_delta}
    wing_width = 25pt
    target_return = 15%
    take_profit = 50% of credit
}}

sizing {{
    base = {base_pct}% of {base_of}
    steps = {steps}
{mult_lines}    reset = {reset}
    round = {rnd}
    max_loss = 90% of credit
}}

hedge front {{
    instrument = vix_calls
    dte = 14d..30d
    allocation = {front}% of size
    active = from step 1
}}

hedge back {{
    instrument = vix_futures_spread
    dte = 60d..120d
    allocation = {back}% of size
    active = from step {back_from}
}}

roll {{
    coefficient = 0.55
}}

guards {{
""" + "".join(f"    {g[1]}\n" for g in guards) + "}\n"
    account = dict(capital=F(capital), cash=F(cash), rf=fr(rf) / 100, beta=fr(beta), erp=fr(erp) / 100,
                   m=fr(margin) / 100, t=fr(tax) / 100, hi_delta=hi_delta, dte=dte)
    # journal
    n = rng.randint(5, 80)
    d = datetime.date(2000, 1, 3) + datetime.timedelta(days=rng.randint(0, 9300))
    rows = ["date,pnl,credit,hedge_pnl"]
    scale = float(capital) / 100_000
    for _ in range(n):
        d += datetime.timedelta(days=rng.randint(0, 25))
        if rng.random() < 0.65:
            pnl = round(rng.uniform(1, 1500) * scale, rng.choice([0, 2, 2, 4]))
        else:
            pnl = -round(rng.uniform(1, 6000) * scale, rng.choice([0, 2]))
        if rng.random() < 0.02:
            pnl = -round(float(capital) * rng.uniform(0.2, 1.2))  # a big hit
        credit = round(rng.uniform(50, 3000) * scale, 2)
        hp = ""
        if rng.random() < 0.3:
            hp = str(round(rng.uniform(-800, 3000) * scale, rng.choice([0, 2])))
        rows.append(f"{d.isoformat()},{pnl},{credit},{hp}")
    return text, "\n".join(rows) + "\n", account, guards


# --------------------------------------------------------------------------
# The reference.

def z_of(delta):
    return statistics.NormalDist().inv_cdf(1 - delta)


def bar_on_or_before(date):
    import bisect
    i = bisect.bisect_right(VIX_DATES, date)
    if i == 0 or date > VIX_DATES[-1] + datetime.timedelta(days=5):
        return None
    return VIX_DATES[i - 1]


def check_decision(dec_json, acc, guards, problems, where):
    E = fr(dec_json["equity"])
    size = fr(dec_json["size"])
    hedges = [h for h in dec_json["hedges"] if h["active"]]
    asked = sum((fr(h["capped_from"] if h["capped_from"] is not None else h["budget"]) for h in hedges), F(0))
    allowed = asked
    blocked = False
    date = datetime.date.fromisoformat(dec_json["date"]) if dec_json.get("date") else None
    mdate = dec_json.get("market_date")
    want_mdate = bar_on_or_before(date) if date else None
    if (mdate and datetime.date.fromisoformat(mdate)) != want_mdate:
        problems.append(f"{where}: market_date {mdate}, reference {want_mdate}")
    a = acc["rf"] + acc["beta"] * acc["erp"]
    b = (1 - acc["t"]) * (acc["beta"] * acc["erp"] + acc["m"])

    def wacc_full(Eq, D):
        bl = acc["beta"] * (1 + (1 - acc["t"]) * D / Eq)
        ke = acc["rf"] + bl * acc["erp"]
        kd = acc["m"] * (1 - acc["t"])
        return Eq / (Eq + D) * ke + D / (Eq + D) * kd

    got = dec_json["guards"]
    if len(got) != len(guards):
        problems.append(f"{where}: {len(got)} guards, {len(guards)} written")
        return
    lines = [l for l in dec_json["derivation"] if l.startswith("guard ")]
    for i, (kind, text, arg) in enumerate(guards):
        g = got[i]
        line = lines[i] if i < len(lines) else ""
        exp = {}
        if kind == "wacc":
            L = fr(arg)
            if E <= 0:
                exp = dict(outcome="unknown")
            else:
                def impact(H):
                    return H * (b - a) / (E + H) * 10_000
                assert impact(F(1234)) == (wacc_full(E, F(1234)) - wacc_full(E, F(0))) * 10_000
                if abs(impact(allowed)) <= L:
                    v = round_half_away(impact(allowed), 6)
                    exp = dict(outcome="pass", amount=allowed, value=v, limit=L)
                    want_line = (f"guard {g['guard']}: pass (hedges {money(allowed)} move the wacc by "
                                 f"{two(impact(allowed))}bps, within {two(L)}bps)")
                else:
                    gap = abs(b - a)
                    Lf = L / 10_000
                    cap = cents_down(Lf * E / (gap - Lf))
                    cap = max(F(0), min(cap, allowed))
                    assert abs(impact(cap)) <= L and (cap + F(1, 100) > allowed or abs(impact(cap + F(1, 100))) > L)
                    exp = dict(outcome="capped", **{"from": allowed}, to=cap, value=round_half_away(impact(cap), 6),
                               limit=L)
                    want_line = (f"guard {g['guard']}: capped (a {money(allowed)} hedge moves the book's wacc by "
                                 f"{two(impact(allowed))}bps, more than the {two(L)}bps limit; {money(cap)} keeps it within; "
                                 f"hedges scaled down)")
                    allowed = cap
                if line != want_line:
                    problems.append(f"{where}: line\n   got  {line}\n   want {want_line}")
        elif kind == "quick":
            floor, sigma = fr(arg[0]), fr(arg[1])
            inputs = {x["name"]: x["value"] for x in g["inputs"]}
            if inputs.get("spx") is None or inputs.get("vix") is None:
                exp = dict(outcome="unknown")
            else:
                z = z_of(acc["hi_delta"])
                if abs(float(sigma) - z) < 1e-4:
                    continue  # at the boundary the strikes' rounding to cents decides
                reached = float(sigma) >= z
                cash = acc["cash"] + E - acc["capital"]
                loss = size if reached else F(0)
                if size == 0:
                    exp = dict(outcome="pass", amount=allowed, value=None, limit=floor)
                elif (cash - loss) < floor * size:
                    r0 = (cash - loss) / size
                    exp = dict(outcome="blocked", value=round_half_away(r0, 6), limit=floor)
                    blocked = True
                else:
                    cap = cents_down(cash - loss - floor * size)
                    if cap >= allowed:
                        exp = dict(outcome="pass", amount=allowed, value=round_half_away((cash - loss - allowed) / size, 6),
                                   limit=floor)
                    else:
                        exp = dict(outcome="capped", **{"from": allowed}, to=cap,
                                   value=round_half_away((cash - loss - cap) / size, 6), limit=floor)
                        want_reason = (f"a {money(allowed)} hedge brings the quick ratio under a {dec(sigma)} sigma move "
                                       f"to {two((cash - loss - allowed) / size)}, below the {two(floor)} floor; "
                                       f"{money(cap)} keeps it at {two((cash - loss - cap) / size)}")
                        if g.get("reason") != want_reason:
                            problems.append(f"{where}: reason\n   got  {g.get('reason')}\n   want {want_reason}")
                        allowed = cap
        elif kind == "exposure":
            how, val = arg
            if how == "money":
                lim = fr(val)
            elif how == "capital":
                lim = fr(val) * acc["capital"]
            else:
                lim = fr(val) * max(E, F(0))
            if size <= lim:
                exp = dict(outcome="pass", amount=size, value=size, limit=lim)
            else:
                exp = dict(outcome="blocked", value=size, limit=lim)
                blocked = True
        elif kind == "blackout":
            days, kinds = arg
            if mdate is None:
                exp = dict(outcome="unknown")
            else:
                md = datetime.date.fromisoformat(mdate)
                w = ref_calendar.within(EVENTS, UNKNOWN, kinds, md, days)
                if w is True:
                    k, on = ref_calendar.nearest(EVENTS, kinds, md, days)
                    away = (on - md).days
                    words = {0: "that day", 1: "1 day away"}.get(away, f"{away} days away")
                    exp = dict(outcome="blocked", reason=f"{k} on {on}, {words}")
                    blocked = True
                elif w is False:
                    exp = dict(outcome="pass")
                else:
                    exp = dict(outcome="unknown")
        for key, want in exp.items():
            have = g.get(key)
            if key in ("outcome", "reason"):
                ok = have == want
            elif want is None:
                ok = have is None
            else:
                ok = have is not None and fr(have) == want
            if not ok:
                problems.append(f"{where}: guard `{text}` {key}: got {have}, reference {dec(want) if isinstance(want, F) else want}"
                                f" (E={dec(E)}, size={dec(size)}, asked={dec(asked)})")
    if dec_json["blocked"] != blocked:
        problems.append(f"{where}: blocked {dec_json['blocked']}, reference {blocked}")
    for h in hedges:
        orig = fr(h["capped_from"] if h["capped_from"] is not None else h["budget"])
        want = cents_down(orig * allowed / asked) if allowed < asked else orig
        if fr(h["budget"]) != want or ((allowed < asked) != (h["capped_from"] is not None)):
            problems.append(f"{where}: layer {h['layer']} budget {h['budget']} (from {h['capped_from']}), reference {dec(want)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=str(ROOT / "target" / "release" / "vixshield"))
    ap.add_argument("--keep", help="folder to keep failing cases in")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    problems = []
    decisions = 0
    outcomes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for c in range(args.cases):
            text, journal, acc, guards = make_case(rng)
            s = os.path.join(tmp, "s.vxs")
            j = os.path.join(tmp, "j.csv")
            open(s, "w").write(text)
            open(j, "w").write(journal)
            p = subprocess.run([args.binary, "run", s, "--journal", j, "--format", "json"], capture_output=True, text=True)
            if p.returncode == 1 and ("E0502" in p.stderr or "E0410" in p.stderr):
                continue
            if p.returncode != 0:
                problems.append(f"case {c}: exit {p.returncode}: {p.stderr[:400]}")
                continue
            before = len(problems)
            for k, d in enumerate(json.loads(p.stdout)):
                decisions += 1
                for g in d["guards"]:
                    outcomes[(g["kind"], g["outcome"])] = outcomes.get((g["kind"], g["outcome"]), 0) + 1
                check_decision(d, acc, guards, problems, f"case {c} decision {k}")
            if len(problems) > before and args.keep:
                os.makedirs(args.keep, exist_ok=True)
                open(os.path.join(args.keep, f"case{c}.vxs"), "w").write(text)
                open(os.path.join(args.keep, f"case{c}.csv"), "w").write(journal)
    for p in problems[:60]:
        print(p)
    print(f"{args.cases} strategies, {decisions} decisions, {len(problems)} differences")
    print("outcomes:", dict(sorted(outcomes.items())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
