#!/usr/bin/env python3
"""Generate backtesting.py 0.6.6 `Backtest.optimize` reference fixtures (grid search).

Uses the reference strategies, indicators and stats serialisation of generate_cases.py
(imported, not copied) and writes one JSON file per optimisation case:

    {name, description, generator, case{..., method, grid, constraint, objective},
     data_sha256, best{params, stats}, heatmap[{params, value}], combinations, semantics}

`heatmap` lists EVERY admissible combination in the order backtesting.py enumerates them
(itertools.product over the parameters in the order given, first parameter outermost, then
filtered by the constraint) with the objective value, null where backtesting.py's heatmap is
NaN (zero closed trades, or a NaN objective such as SQN of a single trade).

Usage (same venv as generate_cases.py: backtesting==0.6.6, pandas, numpy):

    python generate_optimize.py [--out DIR] [--only NAME ...] [--crosscheck]
    python generate_optimize.py --verify DIR     # re-run and compare with existing files

--crosscheck additionally re-runs every combination with Backtest.run() and checks the
heatmap value against the single run's objective (NaN iff zero trades or NaN objective).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import warnings
from itertools import product

os.environ.setdefault('TQDM_DISABLE', '1')  # no progress bars if tqdm happens to be installed

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate_cases as gc  # noqa: E402  (strategies, indicators, stats serialisation)

import backtesting  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from backtesting import Backtest  # noqa: E402

STAT_KEY = dict(gc.STAT_KEYS)  # library label -> snake_case reference key

CONSTRAINTS = {
    'fast < slow': lambda p: p.fast < p.slow,
}

SEMANTICS = {
    'enumeration': 'itertools.product over the grid parameters in the order given (first '
                   'parameter outermost, last parameter varies fastest), keeping only the '
                   'combinations for which the constraint is true',
    'heatmap_order': 'heatmap index = enumeration order (MultiIndex.from_tuples of the '
                     'admissible combinations, not sorted)',
    'nan': 'a heatmap value is NaN (null here) when the run has zero closed trades (the '
           'worker returns None and the value stays NaN) or when the objective itself is NaN',
    'best': 'heatmap.idxmax(skipna=True): the first maximal non-NaN value in enumeration order '
            '(ties -> earliest combination); the returned stats are a fresh run with those '
            'params',
    'all_nan': 'if every heatmap value is NaN, the returned stats are a run of the first '
               'admissible combination',
}


def opt_case(name, description, data, strategy, grid, constraint, maximize, *,
             fixed_params=None, **settings):
    base = gc.case(name, description, data, strategy, fixed_params, **settings)
    c = base['case']
    c['method'] = 'grid'
    c['max_tries'] = None
    c['grid'] = [{'name': k, 'values': list(v)} for k, v in grid]
    c['constraint'] = constraint
    c['objective'] = {'key': STAT_KEY[maximize], 'label': maximize, 'maximize': True}
    return {'name': name, 'description': description, 'case': c}


OPT_CASES = [
    opt_case('goog_sma_cross_grid',
             'Long-only SMA crossover on GOOG, 0.2% commission, final open trade not closed '
             '(settings of goog_sma_cross_10_30); exhaustive grid fast 5..50 step 5 x slow '
             '10..200 step 10 with fast < slow, maximizing SQN.',
             'GOOG.csv', 'sma_cross',
             [('fast', range(5, 51, 5)), ('slow', range(10, 201, 10))],
             'fast < slow', 'SQN', commission=0.002),
    opt_case('goog_sma_cross_sltp_grid',
             'Long-only SMA crossover on GOOG, 0.2% commission, final open trade not closed; '
             'grid over fast, slow and the bracket percentages sl_pct / tp_pct (class '
             'attributes of the strategy; the case-level sl_pct/tp_pct null values are '
             'overridden by the grid), fast < slow, maximizing Return [%].',
             'GOOG.csv', 'sma_cross',
             [('fast', (5, 10, 20)), ('slow', (30, 60, 100)), ('sl_pct', (0.02, 0.05)),
              ('tp_pct', (0.05, 0.1))],
             'fast < slow', 'Return [%]', commission=0.002),
    # Edge cases of the optimize semantics (not exercised by the two grids above).
    opt_case('goog_sma_cross_nan_grid',
             'Edge case: long SMA windows so that some runs have zero closed trades (heatmap '
             'NaN because the run is dropped) and some have exactly one (SQN = NaN since the '
             'sample std of one trade is NaN); constraint fast < slow; best is '
             'the max over the non-NaN values.',
             'GOOG.csv', 'sma_cross',
             [('fast', (100, 200, 400)), ('slow', (300, 500, 1000))],
             'fast < slow', 'SQN', commission=0.002),
    opt_case('goog_sma_cross_all_nan_grid',
             'Edge case: cash 50 is below every price, so every entry is cancelled and every '
             'run has zero trades; the heatmap is all NaN and backtesting.py returns a run of '
             'the first admissible combination.',
             'GOOG.csv', 'sma_cross',
             [('fast', (5, 10)), ('slow', (20, 30))],
             'fast < slow', 'SQN', cash=50.0, commission=0.002),
    opt_case('goog_sma_cross_tie_grid',
             'Edge case: tp_pct swept over two take-profit levels that are never reached '
             '(+2000% / +1000%), listed first and in descending order; runs differing only in '
             'tp_pct tie exactly on Return [%], and idxmax picks the first one in enumeration '
             'order (tp_pct = 20.0), not the smaller/sorted value.',
             'GOOG.csv', 'sma_cross',
             [('tp_pct', (20.0, 10.0)), ('fast', (5, 10)), ('slow', (20, 30))],
             'fast < slow', 'Return [%]', commission=0.002),
]


class _AttrDict(dict):
    def __getattr__(self, item):
        return self[item]


def enumerate_combos(c):
    names = [g['name'] for g in c['grid']]
    cons = CONSTRAINTS[c['constraint']]
    out = []
    for vals in product(*(g['values'] for g in c['grid'])):
        p = _AttrDict(zip(names, vals))
        if cons(p):
            out.append(dict(p))
    return out


def make_backtest(c, df):
    commission = c['commission']
    if isinstance(commission, list):
        commission = tuple(commission)
    return Backtest(df, gc.STRATEGIES[c['strategy']], cash=c['cash'], commission=commission,
                    spread=c['spread'], margin=c['margin'], trade_on_close=c['trade_on_close'],
                    hedging=c['hedging'], exclusive_orders=c['exclusive_orders'],
                    finalize_trades=c['finalize_trades'])


def fixed_run_params(c):
    """Non-swept params passed to every run (sl_pct/tp_pct only when not swept and set)."""
    p = dict(c['params'])
    swept = {g['name'] for g in c['grid']}
    for k in ('sl_pct', 'tp_pct'):
        if k not in swept and c[k] is not None:
            p[k] = c[k]
    return p


def stats_json(stats):
    """Series -> the `stats` object of the single-run cases (same keys, units, types)."""
    out = {}
    for label, key in gc.STAT_KEYS:
        if key in ('start', 'end'):
            out[key] = gc.ts(stats[label])
        elif key == 'commissions':
            out[key] = gc.num(stats[label]) if label in stats.index else 0.0
        elif key == 'trades':
            out[key] = int(stats[label])
        else:
            v = gc.num(stats[label])
            out[key] = float(v) if isinstance(v, (int, float)) else v
    return out


def py(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def run_optimize(defn, data_dir, crosscheck=False):
    c = defn['case']
    df, sha = gc.load_data(data_dir, c['data'])
    names = [g['name'] for g in c['grid']]
    combos = enumerate_combos(c)
    fixed = fixed_run_params(c)
    if fixed:
        # optimize() would turn any extra kwarg into a (1-valued) grid dimension
        raise NotImplementedError('fixed non-default params are not supported here')
    label = c['objective']['label']

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        bt = make_backtest(c, df)
        kwargs = {g['name']: list(g['values']) for g in c['grid']}  # insertion order = grid
        stats, heatmap = bt.optimize(maximize=label, method='grid',
                                     constraint=CONSTRAINTS[c['constraint']],
                                     return_heatmap=True, **kwargs)

    # heatmap order must be exactly the enumeration order
    hm_index = [tuple(py(x) for x in t) for t in heatmap.index]
    enum = [tuple(p[k] for k in names) for p in combos]
    assert list(heatmap.index.names) == names, heatmap.index.names
    assert hm_index == enum, 'heatmap index order differs from the product enumeration'

    values = [gc.fnum(v) for v in heatmap.values]
    for v in values:
        assert v is None or isinstance(v, float), v  # no +-inf expected
    finite = [(i, v) for i, v in enumerate(values) if v is not None]
    if finite:
        vmax = max(v for _, v in finite)
        best_i = next(i for i, v in finite if v == vmax)  # first maximal, enumeration order
        ties = sum(1 for _, v in finite if v == vmax)
    else:
        best_i, ties, vmax = 0, 0, None
    best_params = dict(combos[best_i])

    strat = stats['_strategy']
    got_params = {k: py(getattr(strat, k)) for k in names}
    assert got_params == best_params, (got_params, best_params)
    best_stats = stats_json(stats)
    if vmax is not None:
        assert best_stats[c['objective']['key']] == vmax, (best_stats, vmax)

    # same numbers as a single generate_cases run of the best params
    single = {'name': defn['name'], 'split': 'optimize', 'description': '',
              'case': {**{k: v for k, v in c.items()
                          if k not in ('method', 'max_tries', 'grid', 'constraint',
                                       'objective')},
                       'params': {k: v for k, v in best_params.items()
                                  if k not in ('sl_pct', 'tp_pct')},
                       'sl_pct': best_params.get('sl_pct', c['sl_pct']),
                       'tp_pct': best_params.get('tp_pct', c['tp_pct'])}}
    single_res, _ = gc.run_case(single, data_dir)
    assert single_res['stats'] == best_stats, 'optimize best stats != single run stats'

    if crosscheck:
        key = c['objective']['key']
        for p, v in zip(combos, values):
            sp = {k: v2 for k, v2 in p.items() if k not in ('sl_pct', 'tp_pct')}
            sd = {'name': 'x', 'split': 'x', 'description': '',
                  'case': {**single['case'], 'params': sp,
                           'sl_pct': p.get('sl_pct', c['sl_pct']),
                           'tp_pct': p.get('tp_pct', c['tp_pct'])}}
            r, _ = gc.run_case(sd, data_dir)
            exp = r['stats'][key] if r['stats']['trades'] > 0 else None
            assert exp == v, (p, exp, v)

    result = {
        'name': defn['name'],
        'description': defn['description'],
        'generator': {
            'backtesting': backtesting.__version__,
            'pandas': pd.__version__,
            'numpy': np.__version__,
            'python': platform.python_version(),
        },
        'case': c,
        'data_sha256': sha,
        'best': {'params': best_params, 'stats': best_stats},
        'heatmap': [{'params': dict(p), 'value': v} for p, v in zip(combos, values)],
        'combinations': len(combos),
        'grid_size': int(np.prod([len(g['values']) for g in c['grid']])),
        'nan_count': sum(1 for v in values if v is None),
        'best_index': best_i,
        'ties_at_best': ties,
        'semantics': SEMANTICS,
        'units': gc.UNITS,
    }
    return json.loads(json.dumps(result, allow_nan=False))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    fixtures = os.path.join(HERE, '..', '..', 'Tests', 'BacktestEngineTests', 'Fixtures')
    ap.add_argument('--data-dir', default=os.path.join(fixtures, 'data'))
    ap.add_argument('--out', default=os.path.join(fixtures, 'optimize'))
    ap.add_argument('--only', nargs='*')
    ap.add_argument('--crosscheck', action='store_true')
    ap.add_argument('--verify', metavar='DIR')
    args = ap.parse_args(argv)

    defs = [d for d in OPT_CASES if not args.only or d['name'] in args.only]
    ok = True
    if not args.verify:
        os.makedirs(args.out, exist_ok=True)
    for d in defs:
        res = run_optimize(d, args.data_dir, crosscheck=args.crosscheck)
        b = res['best']
        key = res['case']['objective']['key']
        line = (f'{d["name"]:28s} combos {res["combinations"]:4d}/{res["grid_size"]:4d}  '
                f'nan {res["nan_count"]:3d}  best {b["params"]}  {key}={b["stats"][key]!r}  '
                f'ties {res["ties_at_best"]}')
        if args.verify:
            with open(os.path.join(args.verify, d['name'] + '.json')) as f:
                ref = json.load(f)
            same = ref == res
            ok &= same
            line += '  ' + ('OK' if same else 'MISMATCH')
        else:
            gc.dump(res, os.path.join(args.out, d['name'] + '.json'))
        print(line)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
