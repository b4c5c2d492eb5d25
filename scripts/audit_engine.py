#!/usr/bin/env python3
"""An independent reference model of `vixshield run`, `next` and `run --summary`,
built from docs/language.md, docs/engine.md and docs/guards.md alone, checked against the binary on random
strategies and journals.

    cargo build --release --locked
    python3 scripts/audit_engine.py [--binary PATH] [--seeds 0..300] [--keep DIR]

(from anywhere: paths are the repository's; the binary defaults to
target/release/vixshield). Not run by `cargo test`; 300 seeds take about
half a minute on one core, and the model is exact (fractions.Fraction for
money, no float) except for the quick-ratio guard's z = Phi^-1(1 - delta)
and the theta press's EMA, floats as the engine's: a value within 1e-6
(1e-9) of its boundary is counted in the coverage (qr_boundary,
theta_near_tie), where a difference would be the float's, not a finding.

Each seed writes a strategy (capital, percent_of, a base of money or a
percentage of capital or equity, 1 to 8 steps with multipliers per range,
reset on win or on recovery, nearest or down to $0.01..$100, a layer cap of
money or a percentage, a total cap, max loss per step range, 0-3 hedge layers
with allocations to 0.01%, activation ranges and `vix` triggers, a roll with
exclusive or prioritized `vix` overrides or the canonical theta press
(`vix < ema(vix, 10) and ratio(vix, vix3m) < 0.9`, VIX3M carried over its
gaps as the market join does) and a clamp, guards: wacc_impact,
quick_ratio under N sigma, exposure of money/capital/equity, blackouts of
the bundled calendar, `vix` conditions), keeps those `vixshield check`
accepts, and for a random VIX, VIX3M and SPX market (`--market`) and three random
journals (wins, losses within and beyond the stop, zero P&L, hedge profits
and losses, rows without a credit, dates past the data's end; sometimes a
header alone, for `next`) compares every field of every decision of
`run --format json` (step, size, capped, held, event, max loss and its
percent, credit, equity, cycle P&L and result, each layer's activity,
trigger, budget, roll and capped_from, the roll's profit, coefficient,
applied and unknown overrides, clamp, amount and target, each guard's
outcome and amount, value, limit, from and to, blocked, market_date), the
summary (trades, wins, losses, max step, stopped-out cycles, P&L, hedge
P&L and loss, credit, hedge loss to credit, final and lowest equity and its
date, ruin; IRR apart), `next --format json` (with and without --credit)
and `next`'s buy / no buy now / no buy, BLOCKED and NO TRADE lines.
Prints how many strategies and journals agreed, the coverage of the rarer
paths, and each kind of difference with a seed to reproduce it; exits 1 if
any.
"""

import argparse
import bisect
import collections
import csv
import datetime
import json
import math
import os
import pathlib
import random
import subprocess
import sys
import tempfile
from decimal import Decimal
from fractions import Fraction as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = str(ROOT / 'target' / 'release' / 'vixshield')
D = None  # the work folder, set by main
COV = collections.Counter()
CENT = F(1, 100)

# ---------------------------------------------------------------- the model


def floor_to(x, inc):
    return F(math.floor(x / inc)) * inc


def nearest_to(x, inc):
    # half away from zero
    q = x / inc
    n = math.floor(abs(q) + F(1, 2))
    return F(n if q >= 0 else -n) * inc


def round_size(x, spec):
    inc = spec['round_inc']
    if spec['round_mode'] == 'nearest':
        return nearest_to(x, inc)
    return floor_to(x, inc)


def round6(x):
    # half away from zero to 6 places
    return nearest_to(x, F(1, 10**6))


def load_calendar():
    """The bundled FOMC (scheduled, corrected), CPI and PPI dates."""
    root = str(ROOT / 'data') + '/'
    fomc = set()
    for row in csv.DictReader(l for l in open(root + 'fomc-dates.csv') if not l.startswith('#')):
        if row['fed_meeting_date_indicator'] == '1' and row['fed_non_scheduled_meeting_indicator'] == '0':
            fomc.add(row['date'])
    for row in csv.DictReader(l for l in open(root + 'fomc-corrections.csv') if not l.startswith('#')):
        if row['replaces']:
            fomc.discard(row['replaces'])
        fomc.add(row['date'])
    cal = {'FOMC': sorted(fomc), 'CPI': [], 'PPI': []}
    for row in csv.DictReader(l for l in open(root + 'cpi-ppi-dates.csv') if not l.startswith('#')):
        cal[row['event']].append(row['date'])
    for k in cal:
        cal[k].sort()
    return cal


CAL = load_calendar()


def blackout(date, n, kinds):
    if date is None:
        return 'unknown'
    d = datetime.date.fromisoformat(date)
    end = (d + datetime.timedelta(n)).isoformat()
    hit = any(date <= e <= end for k in kinds for e in CAL[k])
    if hit:
        return 'blocked'
    covered = all(CAL[k][0] <= date and end <= CAL[k][-1] for k in kinds)
    return 'pass' if covered else 'unknown'


class Market:
    def __init__(self, rows, spx=(), vix3m=()):  # rows: list of (date str, Fraction)
        self.dates = [r[0] for r in rows]
        self.vals = [r[1] for r in rows]
        self.spx = dict(spx)
        self.spx_last = max(self.spx) if self.spx else None
        # theta_press = vix < ema(vix, 10) and ratio(vix, vix3m) < 0.9, per bar:
        # TA-Lib's EMA (the first on bar 10, the mean of the first ten, then
        # k = 2/11), in floats as the engine's indicators are; three-valued
        # `and` (false and unknown is false).
        # VIX3M on VIX's dates: a missing row carries the last value, but not
        # past the series' last date (docs/market-data.md: the join).
        v3 = {}
        last3 = max(dict(vix3m)) if vix3m else ''
        given = dict(vix3m)
        carried = None
        for d, _ in rows:
            carried = given.get(d, carried)
            if d <= last3 and carried is not None:
                v3[d] = carried
        self.theta = {}
        ema = None
        for i, (d, v) in enumerate(rows):
            x = float(v)
            if i == 9:
                ema = sum(float(r[1]) for r in rows[:10]) / 10
            elif i > 9:
                ema = ema + (2 / 11) * (x - ema)
            below = None if ema is None else x < ema
            if ema is not None and abs(x - ema) < 1e-9:
                COV['theta_near_tie'] += 1
            ratio = None if d not in v3 else (v / v3[d] < F(9, 10))
            if below is False or ratio is False:
                self.theta[d] = False
            elif below is None or ratio is None:
                self.theta[d] = None
            else:
                self.theta[d] = True

    def bar(self, date):
        if date is None:
            return None, None
        i = bisect.bisect_right(self.dates, date) - 1
        if i < 0:
            return None, None
        if i == len(self.dates) - 1 and (datetime.date.fromisoformat(date) - datetime.date.fromisoformat(self.dates[i])).days > 5:
            return None, None
        return self.dates[i], self.vals[i]


def cmp(op, a, b):
    return {'>': a > b, '<': a < b, '>=': a >= b, '<=': a <= b}[op]


def eval_cond(cond, vix, theta=None):
    # cond: (op, threshold) on vix, or ('theta',); returns True/False/None
    if cond[0] == 'theta':
        return theta
    if vix is None:
        return None
    return cmp(cond[0], vix, cond[1])


def amount_of(spec_amt, capital, equity):
    # spec_amt: ('money', v) | ('pct', p, 'capital'|'equity')
    if spec_amt[0] == 'money':
        return spec_amt[1]
    _, p, of = spec_amt
    base = capital if of == 'capital' else max(equity, F(0))
    return p * base


def step_pct(table, step):
    for lo, hi, v in table:
        if lo <= step <= hi:
            return v
    raise KeyError(step)


def decide(spec, journal, market, trade_index, st, credit_next):
    """Build one decision given state st (already updated by the trade)."""
    capital = spec['capital']
    equity = st['equity']
    step = st['step']
    size = st['size']
    d = {}
    d['step'] = step
    d['size'] = size
    d['capped'] = st['capped']
    mlp = step_pct(spec['max_loss'], step)
    d['max_loss_pct'] = mlp
    d['credit'] = credit_next
    d['max_loss'] = None if credit_next is None else mlp * credit_next
    d['equity'] = equity
    d['cycle_pnl'] = st['cycle_pnl']
    d['cycle_result'] = st['cycle_result']
    d['held'] = st['held']
    date = st['date']
    mdate, vix = market.bar(date)
    spx = market.spx.get(mdate) if mdate else None
    if mdate and spx is None and market.spx_last and mdate > market.spx_last:
        spx = None
    d['market_date'] = mdate
    # roll
    profit = st['last_hedge'] if st['last_hedge'] is not None and st['last_hedge'] > 0 else F(0)
    coef = spec['roll_coef']
    applied = None
    unknown = []
    for ov in spec['overrides_order']:
        v = eval_cond(ov['cond'], vix, market.theta.get(mdate) if mdate else None)
        if v is None:
            unknown.append(ov['text'])
            continue
        if v:
            coef = ov['coef']
            applied = ov['text']
            break
    clamped = False
    if spec['clamp'] is not None:
        lo, hi = spec['clamp']
        c2 = min(max(coef, lo), hi)
        clamped = c2 != coef
        coef = c2
    rolled = floor_to(profit * coef, CENT) if spec['has_roll'] else F(0)
    active = [h for h in spec['hedges'] if h['lo'] <= step <= h['hi']]
    amount = rolled + st['carried']
    to = active[0]['name'] if active else None
    d['roll'] = None if not spec['has_roll'] else dict(profit=profit, coefficient=coef, applied=applied, unknown=unknown,
                     clamped=clamped, amount=amount, to=to)
    new_carried = F(0) if active else amount
    # How often the rarer paths were taken (printed as the coverage).
    for name, taken in [
        ('carried_added_to_layer', st['carried'] > 0 and active),
        ('carried_still_carried', st['carried'] > 0 and not active),
        ('clamped', clamped), ('override_applied', applied is not None),
        ('equity<=0', equity <= 0), ('held', st['held']), ('capped', st['capped']),
        ('held_capped', st['held'] and st['capped']), ('size0', size == 0),
    ]:
        COV[name] += bool(taken)
    hedges = []
    for h in spec['hedges']:
        act = h['lo'] <= step <= h['hi']
        if h['trigger'] is None:
            trig = 'always'
        else:
            v = eval_cond(h['trigger'], vix)
            trig = 'unknown' if v is None else ('fired' if v else 'not_fired')
        r = amount if (act and h['name'] == to) else F(0)
        budget = h['alloc'] * size + r if act else F(0)
        hedges.append(dict(layer=h['name'], active=act, trigger=trig, budget=budget,
                           roll=r, capped_from=None))
    # guards
    guards = []
    total = sum((h['budget'] for h in hedges if h['active']), F(0))
    asked = total
    blocked = False
    for g in spec['guards']:
        if g['kind'] == 'wacc_impact':
            if equity <= 0:
                guards.append(dict(kind='wacc_impact', outcome='unknown'))
                continue
            a = spec['rf'] + spec['beta'] * spec['erp']
            b = (1 - spec['tax']) * (spec['beta'] * spec['erp'] + spec['margin'])
            L = g['bps'] / 10000
            E = equity

            def impact(H):
                return H * (b - a) / (E + H) * 10000
            if abs(b - a) <= L:
                cap = None
            else:
                cap = floor_to(L * E / (abs(b - a) - L), CENT)
            if cap is None or total <= cap:
                guards.append(dict(kind='wacc_impact', outcome='pass', amount=total,
                                   value=round6(impact(total)), limit=g['bps']))
            else:
                cap = max(cap, F(0))
                guards.append(dict(kind='wacc_impact', outcome='capped', frm=total, to=cap,
                                   value=round6(impact(cap)), limit=g['bps']))
                total = cap
                COV['wacc_capped'] += 1
                COV['wacc_cap0'] += cap == 0
        elif g['kind'] == 'quick_ratio':
            if vix is None or spx is None:
                guards.append(dict(kind='quick_ratio', outcome='unknown'))
                continue
            from statistics import NormalDist
            z = NormalDist().inv_cdf(1 - float(spec['delta_hi']))
            T = spec['dte'] / 365
            dist = z * float(vix) / 100 * math.sqrt(T)
            m = float(g['n']) * float(vix) / 100 * math.sqrt(T)
            reached = float(g['n']) >= z or (dist >= 1 and m >= 1)
            if abs(float(g['n']) - z) < 1e-6 or abs(dist - 1) < 1e-6:
                COV['qr_boundary'] += 1
            cash = spec['cash'] + (equity - capital)
            M = size
            Ls = size if reached else F(0)
            if M == 0:
                guards.append(dict(kind='quick_ratio', outcome='pass', amount=total))
                COV['qr_size0'] += 1
                continue
            fl = g['floor']
            r0 = (cash - Ls) / M
            if r0 < fl:
                guards.append(dict(kind='quick_ratio', outcome='blocked', value=round6(r0), limit=fl))
                blocked = True
                COV['qr_blocked'] += 1
                continue
            cap = floor_to(cash - Ls - fl * M, CENT)
            if total <= cap:
                guards.append(dict(kind='quick_ratio', outcome='pass', amount=total, value=round6((cash - total - Ls) / M), limit=fl))
            else:
                cap = max(cap, F(0))
                guards.append(dict(kind='quick_ratio', outcome='capped', frm=total, to=cap, value=round6((cash - cap - Ls) / M), limit=fl))
                total = cap
                COV['qr_capped'] += 1
        elif g['kind'] == 'blackout':
            o = blackout(date, g['n'], g['kinds'])
            if o == 'blocked':
                blocked = True
                COV['blackout_blocked'] += 1
            if o == 'pass':
                COV['blackout_pass'] += 1
            guards.append(dict(kind='blackout', outcome=o))
        elif g['kind'] == 'exposure':
            lim = amount_of(g['limit'], capital, equity)
            if size <= lim:
                guards.append(dict(kind='exposure', outcome='pass', amount=size, value=size, limit=lim))
            else:
                guards.append(dict(kind='exposure', outcome='blocked', value=size, limit=lim))
                blocked = True
        elif g['kind'] == 'condition':
            v = eval_cond(g['cond'], vix)
            o = 'unknown' if v is None else ('pass' if v else 'blocked')
            if v is False:
                blocked = True
            guards.append(dict(kind='condition', outcome=o))
    if total < asked:
        for h in hedges:
            if h['active']:
                h['capped_from'] = h['budget']
                h['budget'] = floor_to(h['budget'] * total / asked, CENT)
    d['hedges'] = hedges
    d['guards'] = guards
    d['blocked'] = blocked
    return d, new_carried


def size_for(spec, step, prev_size, equity, held=False):
    capital = spec['capital']
    if step == 1:
        raw = amount_of(spec['base'], capital, equity)
    elif held:
        raw = prev_size
    else:
        raw = prev_size * spec['mult'][step]
    s = raw if held else round_size(raw, spec)
    capped = False
    if spec['layer_cap'] is not None:
        cap = floor_to(amount_of(spec['layer_cap'], capital, equity), spec['round_inc'])
        if s > cap:
            s = cap
            capped = True
        elif s == cap:
            COV['size_eq_cap'] += 1
    return s, capped


def run(spec, journal, market):
    """journal: list of dict(date, pnl, credit, hedge_pnl). Returns decisions."""
    capital = spec['capital']
    st = dict(step=1, equity=capital, cycle_pnl=F(0), cycle_result=None, held=False,
              date=None, last_hedge=None, carried=F(0))
    st['size'], st['capped'] = size_for(spec, 1, None, capital)
    out = []
    credit0 = journal[0]['credit'] if journal else None
    d, carried = decide(spec, journal, market, 0, st, credit0)
    d['event'] = 'start'
    out.append(d)
    st['carried'] = carried
    for i, t in enumerate(journal):
        pnl = t['pnl']
        hp = t['hedge_pnl'] or F(0)
        st['equity'] = st['equity'] + pnl + hp
        st['cycle_pnl'] += pnl
        st['date'] = t['date']
        st['last_hedge'] = t['hedge_pnl']
        step = st['step']
        st['held'] = False
        st['cycle_result'] = None
        if step >= spec['steps']:
            event = 'stopped_out' if st['cycle_pnl'] < 0 else 'cycle_ended'
            st['cycle_result'] = st['cycle_pnl']
            st['cycle_pnl'] = F(0)
            st['step'] = 1
            st['size'], st['capped'] = size_for(spec, 1, None, st['equity'])
        elif pnl < 0:
            event = 'loss'
            st['step'] = step + 1
            st['size'], st['capped'] = size_for(spec, step + 1, st['size'], st['equity'])
        else:
            if spec['reset'] == 'win' or st['cycle_pnl'] >= 0:
                event = 'win'
                st['cycle_result'] = st['cycle_pnl']
                st['cycle_pnl'] = F(0)
                st['step'] = 1
                st['size'], st['capped'] = size_for(spec, 1, None, st['equity'])
            else:
                event = 'held'
                st['held'] = True
                st['size'], st['capped'] = size_for(spec, step, st['size'], st['equity'], held=True)
        credit_next = journal[i + 1]['credit'] if i + 1 < len(journal) else None
        d, carried = decide(spec, journal, market, i + 1, st, credit_next)
        st['carried'] = carried
        d['event'] = event
        out.append(d)
    return out


def summary(spec, journal, decisions):
    capital = spec['capital']
    def agg(trs):
        o = dict(trades=len(trs), wins=sum(1 for t, s, e in trs if t['pnl'] >= 0),
                 losses=sum(1 for t, s, e in trs if t['pnl'] < 0),
                 max_step_reached=max((s for t, s, e in trs), default=0),
                 cycles_stopped_out=sum(1 for t, s, e in trs if e == 'stopped_out'),
                 condor_pnl=sum((t['pnl'] for t, s, e in trs), F(0)),
                 hedge_pnl=sum((t['hedge_pnl'] or 0 for t, s, e in trs), F(0)))
        withc = [t for t, s, e in trs if t['credit'] is not None]
        o['hedge_loss'] = sum((-t['hedge_pnl'] for t, s, e in trs if t['hedge_pnl'] is not None and t['hedge_pnl'] < 0), F(0))
        hc = sum((-t['hedge_pnl'] for t in withc if t['hedge_pnl'] is not None and t['hedge_pnl'] < 0), F(0))
        o['credit'] = sum((t['credit'] for t in withc), F(0))
        o['hedge_loss_to_credit'] = round6(hc / o['credit']) if o['credit'] else None
        return o
    trs = []
    for i, t in enumerate(journal):
        trs.append((t, decisions[i]['step'], decisions[i + 1]['event']))
    out = dict(overall=agg(trs))
    eq = capital
    low = capital; low_on = None; ruined = None
    for t in journal:
        eq += t['pnl'] + (t['hedge_pnl'] or 0)
        if eq < low:
            low, low_on = eq, t['date']
        if eq <= 0 and ruined is None:
            ruined = t['date']
    out['final_equity'] = eq
    out['lowest_equity'] = low
    out['lowest_equity_on'] = low_on
    out['ruined_on'] = ruined
    cycles = []
    cur = []
    for x in trs:
        cur.append(x)
        if x[2] in ('win', 'stopped_out', 'cycle_ended'):
            cycles.append((cur, False)); cur = []
    if cur:
        cycles.append((cur, True))
    out['cycles'] = []
    for n, (c, op) in enumerate(cycles, 1):
        o = agg(c)
        o.update(number=n, start=c[0][0]['date'], end=c[-1][0]['date'], open=op)
        out['cycles'].append(o)
    return out


# ------------------------------------------------------ the generator


def fmt_money(x):
    # x Fraction with at most 2 decimals
    d = Decimal(x.numerator) / Decimal(x.denominator)
    d = d.quantize(Decimal('0.01')) if d != d.to_integral() else d.quantize(Decimal(1))
    s = f"{d:,}"
    return ('-$' + s[1:]) if s.startswith('-') else '$' + s


def pct_text(p):  # p Fraction -> "12.5%"
    d = Decimal(p.numerator * 100) / Decimal(p.denominator)
    return f"{d.normalize():f}%"


def rnd_pct(r, lo, hi, places):
    v = F(r.randint(int(lo * 10**places), int(hi * 10**places)), 10**places)
    return v / 100  # fraction


def partition(r, lo, hi):
    """contiguous ranges covering lo..hi"""
    cuts = sorted(r.sample(range(lo + 1, hi + 1), r.randint(0, min(3, hi - lo))))
    out = []
    start = lo
    for c in cuts + [hi + 1]:
        out.append((start, c - 1))
        start = c
    return out


def sel_text(r, lo, hi, limit, word_style):
    if lo == hi:
        return f"step {lo}" if word_style != 'from' or hi != limit else r.choice([f"step {lo}", f"from step {lo}"])
    if hi == limit and r.random() < 0.5:
        return f"from step {lo}"
    return f"steps {lo}..{hi}"


def gen_strategy(r):
    spec = {}
    capital = F(r.choice([50000, 100000, 250000, 75000, 1234567, 5000, 10000, 20000])) + (F(r.randint(0, 99), 100) if r.random() < 0.2 else 0)
    spec['capital'] = capital
    percent_of = r.choice(['capital', 'equity'])
    spec['dte'] = r.choice([30, 45, 60, 90])
    dl = r.choice([(F(15,100), F(20,100)), (F(16,100), F(16,100)), (F(5,100), F(10,100)), (F(25,100), F(30,100)), (F(12,100), F(16,100))])
    spec['delta_hi'] = dl[1]
    spec['delta_text'] = f'{float(dl[0])}..{float(dl[1])}' if dl[0] != dl[1] else f'{float(dl[0])}'
    cash = None
    if r.random() < 0.4:
        cash = capital * F(r.randint(5, 150), 100)
        cash = F(round(cash))
    spec['cash'] = cash if cash is not None else capital
    spec['rf'] = rnd_pct(r, 0, 8, 2); spec['beta'] = F(r.randint(50, 200), 100)
    spec['erp'] = rnd_pct(r, 2, 8, 1); spec['margin'] = rnd_pct(r, 1, 12, 2)
    spec['tax'] = rnd_pct(r, 0, 45, 0)
    L = []
    L += ['strategy "G" {', '    version = 1.0.0', '    language = 1', '}', 'account {',
          f'    capital = {fmt_money(capital)}', f'    percent_of = {percent_of}',
          f'    risk_free_rate = {pct_text(spec["rf"])}', f'    beta = {Decimal(spec["beta"].numerator)/Decimal(spec["beta"].denominator)}',
          f'    equity_risk_premium = {pct_text(spec["erp"])}', f'    margin_rate = {pct_text(spec["margin"])}',
          f'    tax_rate = {pct_text(spec["tax"])}'] + ([f'    cash = {fmt_money(cash)}'] if cash is not None else []) + ['}',
          'entry {', '    underlying = SPX', f'    dte = {spec["dte"]}d', f'    short_delta = {spec["delta_text"]}', '    wing_width = 25pt',
          '    target_return = 15%', '    take_profit = 50% of credit', '}', 'sizing {']
    # base
    k = r.random()
    if k < 0.3:
        base = F(r.choice([500, 1000, 1500, 2000, 777])) + (F(r.randint(0, 99), 100) if r.random() < 0.3 else 0)
        spec['base'] = ('money', base); L.append(f'    base = {fmt_money(base)}')
    else:
        p = rnd_pct(r, 0.2, 3, 2)
        of = r.choice(['capital', 'equity', None])
        spec['base'] = ('pct', p, of or percent_of)
        L.append(f'    base = {pct_text(p)}' + (f' of {of}' if of else ''))
    steps = r.randint(1, 8)
    spec['steps'] = steps
    L.append(f'    steps = {steps}')
    spec['mult'] = {}
    if steps >= 2:
        parts = partition(r, 2, steps)
        default = r.random() < 0.3
        for i, (lo, hi) in enumerate(parts):
            m = F(r.randint(105, 250), 100) if r.random() < 0.7 else F(r.randint(1001, 2500), 1000)
            for s in range(lo, hi + 1):
                spec['mult'][s] = m
            ms = f'{Decimal(m.numerator) / Decimal(m.denominator)}x'
            if default and i == len(parts) - 1:
                L.append(f'    multiplier = {ms}')
            else:
                st_ = sel_text(r, lo, hi, steps, "into")
                L.append(f'    multiplier = {ms} ' + (st_ if st_.startswith('from') else 'into ' + st_))
    spec['reset'] = r.choice(['win', 'recovery'])
    L.append(f'    reset = on {spec["reset"]}')
    spec['round_mode'] = r.choice(['nearest', 'down'])
    spec['round_inc'] = F(r.choice([1, 100, 100, 50, 25, 10, 1])) if r.random() < 0.85 else F(r.choice([1, 5, 50]), 100)
    L.append(f'    round = {spec["round_mode"]} {fmt_money(spec["round_inc"])}')
    spec['layer_cap'] = None
    if r.random() < 0.7:
        k = r.random()
        if k < 0.4:
            cap = F(r.choice([3000, 5000, 8000, 10000, 4321]))
            spec['layer_cap'] = ('money', cap); L.append(f'    layer_cap = {fmt_money(cap)}')
        else:
            p = rnd_pct(r, 2, 12, 1)
            of = r.choice(['capital', 'equity', None])
            spec['layer_cap'] = ('pct', p, of or percent_of)
            L.append(f'    layer_cap = {pct_text(p)}' + (f' of {of}' if of else ''))
    if r.random() < 0.4:
        L.append(f'    total_cap = {pct_text(rnd_pct(r, 3, 20, 0))} of capital')
    spec['max_loss'] = []
    for lo, hi in partition(r, 1, steps):
        p = rnd_pct(r, 30, 100, 1)
        spec['max_loss'].append((lo, hi, p))
        L.append(f'    max_loss = {pct_text(p)} of credit at {sel_text(r, lo, hi, steps, "at")}'.replace('at from', 'from'))
    L.append('}')
    # hedges
    spec['hedges'] = []
    for hn in range(r.randint(0, 3)):
        name = f'h{hn}'
        alloc = rnd_pct(r, 1, 25, r.choice([0, 1, 2]))
        h = dict(name=name, alloc=alloc, lo=1, hi=steps, trigger=None)
        L += [f'hedge {name} {{', '    instrument = vix_calls', '    dte = 14d..30d', f'    allocation = {pct_text(alloc)} of size']
        k = r.random()
        if k < 0.35:
            lo = r.randint(1, steps); h['lo'] = lo
            L.append(f'    active = from step {lo}')
        elif k < 0.6:
            lo = r.randint(1, steps); hi = r.randint(lo, steps)
            h['lo'], h['hi'] = lo, hi
            L.append(f'    active = at steps {lo}..{hi}' if lo != hi else f'    active = at step {lo}')
        if r.random() < 0.5:
            op = r.choice(['>', '<', '>=', '<='])
            th = F(r.randint(1500, 4000), 100)
            h['trigger'] = (op, th)
            L.append(f'    trigger = vix {op} {Decimal(th.numerator)/Decimal(th.denominator)}')
        L.append('}')
        spec['hedges'].append(h)
    # roll
    spec['roll_coef'] = F(r.randint(20, 90), 100)
    spec['clamp'] = None
    spec['overrides_order'] = []
    spec['has_roll'] = r.random() < 0.85
    if spec['has_roll']:
        L += ['roll {', f'    coefficient = {Decimal(spec["roll_coef"].numerator)/Decimal(spec["roll_coef"].denominator)}']
        ovs = []
        kind = r.random()
        if kind < 0.4:  # exclusive pair / single
            hi_t = F(r.randint(2200, 3500), 100); lo_t = F(r.randint(1200, 2100), 100)
            cand = [dict(cond=('>', hi_t), coef=F(r.randint(10, 95), 100)),
                    dict(cond=('<', lo_t), coef=F(r.randint(10, 95), 100))]
            ovs = cand[:r.randint(1, 2)]
            r.shuffle(ovs)
            for o in ovs:
                o['prio'] = None
        elif kind < 0.7:  # overlapping with priorities
            n = r.randint(2, 3)
            prios = r.sample(range(1, 5), n)
            for i in range(n):
                ovs.append(dict(cond=('>', F(r.randint(1500, 4000), 100)), coef=F(r.randint(10, 95), 100), prio=prios[i]))
        elif kind < 0.9:  # the canonical theta press, alone or under a vix override
            ovs.append(dict(cond=('theta',), coef=F(r.randint(10, 95), 100), prio=None))
            if r.random() < 0.5:
                ovs[0]['prio'] = 2
                ovs.append(dict(cond=('>', F(r.randint(1500, 4000), 100)), coef=F(r.randint(10, 95), 100), prio=1))
            L.insert(L.index('roll {'), 'signal theta_press = vix < ema(vix, 10) and ratio(vix, vix3m) < 0.9')
        for o in ovs:
            if o['cond'][0] == 'theta':
                o['text'] = 'theta_press'
                line = f'    coefficient = {Decimal(o["coef"].numerator)/Decimal(o["coef"].denominator)} when theta_press'
                if o['prio'] is not None:
                    line += f' priority {o["prio"]}'
                L.append(line)
                continue
            th = o['cond'][1]
            o['text'] = f'vix {o["cond"][0]} {Decimal(th.numerator)/Decimal(th.denominator)}'
            line = f'    coefficient = {Decimal(o["coef"].numerator)/Decimal(o["coef"].denominator)} when {o["text"]}'
            if o['prio'] is not None:
                line += f' priority {o["prio"]}'
            L.append(line)
        pr = sorted([o for o in ovs if o['prio'] is not None], key=lambda o: o['prio'])
        spec['overrides_order'] = pr + [o for o in ovs if o['prio'] is None]
        if r.random() < 0.5:
            lo = F(r.randint(10, 50), 100); hi = F(r.randint(int(lo * 100), 95), 100)
            spec['clamp'] = (lo, hi)
            L.append(f'    clamp = {Decimal(lo.numerator)/Decimal(lo.denominator)}..{Decimal(hi.numerator)/Decimal(hi.denominator)}')
        L.append('}')
    # guards
    spec['guards'] = []
    G = []
    for _ in range(r.randint(0, 3)):
        k = r.random()
        if k < 0.12:
            n = r.randint(0, 6)
            kinds = r.sample(['FOMC', 'CPI', 'PPI'], r.randint(1, 3))
            spec['guards'].append(dict(kind='blackout', n=n, kinds=kinds))
            G.append(f'    no entry within {n}d of ' + ', '.join(kinds))
        elif k < 0.2:
            fl = F(r.randint(10, 500), 100) if r.random() < 0.8 else F(r.randint(1, 100))
            n = r.choice([0, F(1, 2), 1, 2, 3, 4])
            spec['guards'].append(dict(kind='quick_ratio', floor=fl, n=F(n)))
            G.append(f'    quick_ratio >= {Decimal(fl.numerator)/Decimal(fl.denominator)}' + (f' under {n if n != F(1, 2) else 0.5} sigma' if n or r.random() < 0.5 else ''))
        elif k < 0.4:
            bps = F(r.randint(1, 300), 100) if r.random() < 0.7 else (F(r.randint(1, 30)) if r.random() < 0.7 else F(r.randint(1, 99), 10000))
            spec['guards'].append(dict(kind='wacc_impact', bps=bps))
            G.append(f'    wacc_impact {r.choice(["<", "<="])} {Decimal(bps.numerator)/Decimal(bps.denominator)}bps')
        elif k < 0.7:
            if r.random() < 0.5:
                lim = F(r.choice([2000, 3000, 5000, 10000, 2500]))
                spec['guards'].append(dict(kind='exposure', limit=('money', lim)))
                G.append(f'    exposure <= {fmt_money(lim)}')
            else:
                p = rnd_pct(r, 1, 15, 1); of = r.choice(['capital', 'equity'])
                spec['guards'].append(dict(kind='exposure', limit=('pct', p, of)))
                G.append(f'    exposure <= {pct_text(p)} of {of}')
        else:
            op = r.choice(['<', '<=', '>', '>='])
            th = F(r.randint(1200, 4500), 100)
            spec['guards'].append(dict(kind='condition', cond=(op, th)))
            G.append(f'    vix {op} {Decimal(th.numerator)/Decimal(th.denominator)}')
    if G:
        L += ['guards {'] + G + ['}']
    return '\n'.join(L) + '\n', spec


def gen_market(r):
    rows = []
    d = datetime.date(2023, 6, 1)
    end = datetime.date(2026, 6, 1) if r.random() < 0.7 else datetime.date(2024, r.randint(1, 12), r.randint(1, 28))
    while d < end:
        if d.weekday() < 5 and r.random() > 0.03:
            rows.append((d.isoformat(), F(r.randint(1000, 6000), 100)))
        d += datetime.timedelta(1)
    return rows


def gen_spx(r, vrows):
    out = []
    v = F(4000)
    for d, _ in vrows:
        v = v * F(r.randint(970, 1030), 1000)
        v = F(round(v * 100), 100)
        out.append((d, v))
    return out


def gen_vix3m(r, vrows):
    out = []
    for d, v in vrows:
        if r.random() < 0.02:
            continue  # a bar without VIX3M: theta_press unknown unless vix >= ema
        w = F(round(v * F(r.randint(800, 1250), 1000) * 100), 100)
        if v * 10 == w * 9:  # an exact 0.9: the engine's float ratio could go either way
            w += F(1, 100)
        out.append((d, w))
    return out


def gen_journal(r, spec):
    n = r.randint(1, 40)
    d = datetime.date(2023, r.choice([3, 7, 9]), 1) + datetime.timedelta(r.randint(0, 60))
    rows = []
    for _ in range(n):
        d += datetime.timedelta(r.randint(0, 40))
        credit = F(r.randint(100, 900000), 100) if r.random() < 0.9 else None
        c = credit or F(1000)
        k = r.random()
        if k < 0.45:
            pnl = F(r.randint(0, int(c * 100)), 100)
        elif k < 0.5:
            pnl = F(0)
        elif k < 0.85:
            pnl = -F(r.randint(1, int(c * 100)), 100)
        else:
            pnl = -F(r.randint(int(c * 100), int(c * r.choice([300, 300, 1000]))), 100)  # beyond the stop
        hp = None
        k = r.random()
        if k < 0.3:
            hp = F(r.randint(1, 300000), 100)
        elif k < 0.5:
            hp = -F(r.randint(1, 100000), 100)
        elif k < 0.55:
            hp = F(0)
        rows.append(dict(date=d.isoformat(), pnl=pnl, credit=credit, hedge_pnl=hp))
    return rows


def dec(x):
    if x is None:
        return ''
    return str(Decimal(x.numerator) / Decimal(x.denominator))


def write_journal(path, rows):
    with open(path, 'w') as f:
        f.write('date,pnl,credit,hedge_pnl\n')
        for t in rows:
            f.write(f"{t['date']},{dec(t['pnl'])},{dec(t['credit'])},{dec(t['hedge_pnl'])}\n")


def write_market(path, rows):
    with open(path, 'w') as f:
        f.write('date,close\n')
        for dte, v in rows:
            f.write(f'{dte},{dec(v)}\n')


# ------------------------------------------------------ the comparison


def P(s):
    return None if s is None else F(s)


def cmp_dec(diffs, where, name, mine, theirs):
    t = P(theirs) if isinstance(theirs, (str, type(None))) else F(str(theirs))
    if mine != t:
        diffs.append(f'{where}.{name}: model {mine if mine is None else float(mine)!r} ({mine}) engine {theirs}')


def compare(md, ed, i, diffs):
    w = f'd{i}'
    for k in ['step', 'capped', 'held', 'event', 'blocked', 'market_date']:
        if md[k] != ed[k]:
            diffs.append(f'{w}.{k}: model {md[k]} engine {ed[k]}')
    for k in ['size', 'max_loss_pct', 'max_loss', 'credit', 'equity', 'cycle_pnl', 'cycle_result']:
        cmp_dec(diffs, w, k, md[k], ed[k])
    mr, er = md['roll'], ed['roll']
    if mr is None or er is None:
        if mr != er: diffs.append(f'{w}.roll: model {mr} engine {er}')
        mr = er = {}
    for k in (['profit', 'coefficient', 'amount'] if mr else []):
        cmp_dec(diffs, w, 'roll.' + k, mr[k], er[k])
    for k in (['applied', 'unknown', 'clamped', 'to'] if mr else []):
        if mr[k] != er[k]:
            diffs.append(f'{w}.roll.{k}: model {mr[k]} engine {er[k]}')
    if len(md['hedges']) != len(ed['hedges']):
        diffs.append(f'{w}.hedges len')
    for mh, eh in zip(md['hedges'], ed['hedges']):
        hw = f'{w}.hedge[{mh["layer"]}]'
        for k in ['active', 'trigger', 'layer']:
            if mh[k] != eh[k]:
                diffs.append(f'{hw}.{k}: model {mh[k]} engine {eh[k]}')
        for k in ['budget', 'roll', 'capped_from']:
            cmp_dec(diffs, hw, k, mh[k], eh[k])
    if len(md['guards']) != len(ed['guards']):
        diffs.append(f'{w}.guards len')
    for j, (mg, eg) in enumerate(zip(md['guards'], ed['guards'])):
        gw = f'{w}.guard{j}[{mg["kind"]}]'
        if mg['outcome'] != eg['outcome']:
            diffs.append(f'{gw}.outcome: model {mg["outcome"]} engine {eg["outcome"]} ({eg.get("reason")})')
            continue
        for k, ek in [('amount', 'amount'), ('value', 'value'), ('limit', 'limit'), ('frm', 'from'), ('to', 'to')]:
            if k in mg:
                cmp_dec(diffs, gw, k, mg[k], eg.get(ek))


def one(seed, keep=False):
    r = random.Random(seed)
    text, spec = gen_strategy(r)
    d = f'{D}/{seed}'
    os.makedirs(d, exist_ok=True)
    sp = f'{d}/s.vxs'
    open(sp, 'w').write(text)
    c = subprocess.run([BIN, 'check', sp], capture_output=True, text=True)
    if c.returncode != 0:
        return 'rejected', c.stderr[-600:], []
    mrows = gen_market(r)
    mp = f'{d}/vix.csv'
    write_market(mp, mrows)
    srows = gen_spx(r, mrows)
    if r.random() < 0.15:
        srows = srows[: len(srows) // 2]
    sp2 = f'{d}/spx.csv'
    write_market(sp2, srows)
    v3rows = gen_vix3m(r, mrows)
    v3p = f'{d}/vix3m.csv'
    write_market(v3p, v3rows)
    market = Market(mrows, srows, v3rows)
    results = []
    for jn in range(3):
        rows = gen_journal(r, spec)
        if jn == 2 and r.random() < 0.1:
            rows = []
        jp = f'{d}/j{jn}.csv'
        write_journal(jp, rows)
        if not rows:
            e = subprocess.run(['true'], capture_output=True, text=True); e.stdout = '[]'
        else:
          e = subprocess.run([BIN, 'run', sp, '--journal', jp, '--market', f'vix={mp}', '--market', f'spx={sp2}', '--market', f'vix3m={v3p}', '--format', 'json'],
                           capture_output=True, text=True)
        if e.returncode != 0:
            results.append((jn, ['engine failed: ' + e.stderr[-400:]]))
            continue
        eng = json.loads(e.stdout)
        mine = run(spec, rows, market)
        diffs = []
        if rows and len(eng) != len(mine):
            diffs.append(f'len {len(mine)} vs {len(eng)}')
        for i, (md, ed) in enumerate(zip(mine, eng)):
            compare(md, ed, i, diffs)
        # summary
        if rows:
            e2 = subprocess.run([BIN, 'run', sp, '--journal', jp, '--market', f'vix={mp}', '--market', f'spx={sp2}', '--market', f'vix3m={v3p}', '--summary', '--format', 'json'], capture_output=True, text=True)
            es = json.loads(e2.stdout)
            ms = summary(spec, rows, mine)
            def cs(m, e, w):
                for k, v in m.items():
                    if k == 'cycles':
                        if len(v) != len(e[k]): diffs.append(f'{w}.cycles len {len(v)} vs {len(e[k])}')
                        for i, (a, b) in enumerate(zip(v, e[k])): cs(a, b, f'{w}.cycle')
                    elif k == 'overall':
                        cs(v, e[k], 'sum.overall')
                    elif isinstance(v, F) or (v is None and isinstance(e.get(k), str)):
                        cmp_dec(diffs, w, k, v, e.get(k))
                    elif v != e.get(k):
                        diffs.append(f'{w}.{k}: model {v} engine {e.get(k)}')
            cs(ms, es, 'sum')
        # next
        credit = None
        args = [BIN, 'next', sp, '--journal', jp, '--market', f'vix={mp}', '--market', f'spx={sp2}', '--market', f'vix3m={v3p}', '--format', 'json']
        if r.random() < 0.5:
            credit = F(r.randint(100, 500000), 100)
            args += ['--credit', dec(credit)]
        n = subprocess.run(args, capture_output=True, text=True)
        if n.returncode != 0:
            diffs.append('next failed: ' + n.stderr[-300:])
        else:
            nd = json.loads(n.stdout)['decision']
            last = dict(mine[-1])
            last['credit'] = credit
            last['max_loss'] = None if credit is None else last['max_loss_pct'] * credit
            nd2 = []
            compare(last, nd, 'next', nd2)
            diffs += ['next:' + x for x in nd2]
        # next, human: each active layer's buy status
        hn = subprocess.run([a for a in args if a not in ('--format', 'json')], capture_output=True, text=True)
        lines = [l for l in hn.stdout.split('\n\n')[0].splitlines() if l.startswith('hedge ')]
        got = {}
        for l in lines:
            name = l.split(':')[0][6:]
            st_ = l.split(', ', 1)[1] if ', ' in l else l
            got[name] = 'no buy now' if st_.startswith('no buy now') else ('no buy' if st_.startswith('no buy') else ('buy' if st_.startswith('buy') else st_))
        want = {}
        for h in last['hedges']:
            if not h['active']:
                continue
            if last['blocked'] or h['budget'] == 0 or last['size'] == 0:
                want[h['layer']] = 'no buy'
            elif h['trigger'] in ('always', 'fired'):
                want[h['layer']] = 'buy'
            else:
                want[h['layer']] = 'no buy now'
        if got != want:
            diffs.append(f'next_human: model {want} engine {got} :: {lines}')
        if (last['size'] == 0) != ('NO TRADE' in hn.stdout):
            diffs.append(f'next_human NO TRADE: size {last["size"]}')
        if last['blocked'] != ('BLOCKED' in hn.stdout):
            diffs.append(f'next_human BLOCKED')
        results.append((jn, diffs))
    return 'ok', text, results


def main():
    global BIN, D
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--binary', default=BIN)
    ap.add_argument('--seeds', default='0..300', help='FROM..TO, TO excluded')
    ap.add_argument('--keep', help='write the cases here (else a temporary folder)')
    a = ap.parse_args()
    BIN = a.binary
    lo, hi = (int(x) for x in a.seeds.split('..'))
    tmp = None
    if a.keep:
        D = a.keep
        os.makedirs(D, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory()
        D = tmp.name
    stats = collections.Counter()
    kinds = collections.Counter()
    examples = {}
    for seed in range(lo, hi):
        st, info, res = one(seed)
        stats[st] += 1
        if st == 'rejected':
            continue
        for jn, diffs in res:
            stats['journals'] += 1
            if diffs:
                stats['journals_differing'] += 1
            for x in diffs:
                key = x.split(':')[0]
                key = key.split('.', 1)[1] if '.' in key else key
                key = ''.join(ch for ch in key if not ch.isdigit())
                kinds[key] += 1
                examples.setdefault(key, (seed, jn, x))
    print(f"strategies checked {stats['ok']} (rejected by check {stats['rejected']}), "
          f"journals {stats['journals']}, differing {stats['journals_differing']}")
    print('coverage:', dict(COV))
    for k, v in kinds.most_common():
        seed, jn, x = examples[k]
        print(f'{v} x {k}: seed {seed} journal j{jn}: {x}')
    if kinds:
        print(f'reproduce: python3 {sys.argv[0]} --seeds SEED..SEED+1 --keep DIR '
              '(then DIR/SEED/s.vxs, jN.csv, vix.csv, spx.csv)')
    return 1 if kinds else 0


if __name__ == '__main__':
    sys.exit(main())
