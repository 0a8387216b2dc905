#!/usr/bin/env python3
"""Reference timings for parameter optimisation (for the BENCHMARKS.md record, not CI).

Run with the venv of Tools/conformance (backtesting==0.6.6, pandas, numpy; vectorbt optional):

    .build/optimize-venv/bin/python Benchmarks/optimize_reference.py [--repeats 7] [--only NAME ...]

Measurements (grid 1 of Tools/conformance/generate_optimize.py: SmaCross on GOOG, commission
0.002, cash 10000, fast = 5..50 step 5, slow = 10..200 step 10, fast < slow -> 175 admissible
of 200 combinations, maximize SQN):

  bt_optimize        backtesting.py Backtest.optimize(method='grid') with its default
                     multiprocessing Pool (one process per CPU), incl. the final re-run of the
                     best params.
  bt_run_loop        the same 175 combinations as a plain single-process loop of Backtest.run,
                     argmax of SQN (a single-core baseline).
  vbt_sweep_cold     vectorbt: first sweep in the process (includes numba JIT compilation).
  vbt_sweep          vectorbt broadcast sweep: MA.run over the 175 (fast, slow) window columns,
                     ma_crossed_above/below signals, Portfolio.from_signals(fees=0.002,
                     init_cash=10000), closed-trade SQN per column and its argmax.
                     NB: vectorbt fills at the signal bar close and buys fractional size, so its
                     numbers differ from backtesting.py; this is a cost reference only.

Prints one line per measurement: name, repetitions, min and median seconds, all times.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

os.environ.setdefault('TQDM_DISABLE', '1')

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..')
sys.path.insert(0, os.path.join(ROOT, 'Tools', 'conformance'))

import generate_cases as gc  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import backtesting  # noqa: E402
from backtesting import Backtest  # noqa: E402

DATA_DIR = os.path.join(ROOT, 'Tests', 'BacktestEngineTests', 'Fixtures', 'data')
FAST = list(range(5, 51, 5))
SLOW = list(range(10, 201, 10))
COMBOS = [(f, s) for f in FAST for s in SLOW if f < s]  # backtesting.py enumeration order


def constraint(p):
    return p.fast < p.slow


def timeit(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def report(name, times, extra=''):
    print(f'{name:16s} n={len(times):2d}  min {min(times):8.3f} s  median '
          f'{statistics.median(times):8.3f} s  [{", ".join(f"{t:.3f}" for t in times)}]'
          f'{"  " + extra if extra else ""}', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeats', type=int, default=7)
    ap.add_argument('--only', nargs='*',
                    help='subset of: bt_optimize bt_run_loop vbt_sweep')
    args = ap.parse_args()
    want = set(args.only or ['bt_optimize', 'bt_run_loop', 'vbt_sweep'])

    warnings.simplefilter('ignore')
    df, _ = gc.load_data(DATA_DIR, 'GOOG.csv')
    print(f'# python {platform.python_version()}  backtesting {backtesting.__version__}  '
          f'pandas {pd.__version__}  numpy {np.__version__}  cpus {os.cpu_count()}  '
          f'bars {len(df)}  combos {len(COMBOS)}/{len(FAST) * len(SLOW)}', flush=True)

    def new_bt():
        return Backtest(df, gc.SmaCross, cash=10000.0, commission=0.002)

    if 'bt_optimize' in want:
        bt = new_bt()
        out = {}

        def opt():
            out['stats'], out['heatmap'] = bt.optimize(
                fast=FAST, slow=SLOW, constraint=constraint, maximize='SQN',
                method='grid', return_heatmap=True)
        times = timeit(opt, args.repeats)
        s = out['stats']['_strategy']
        report('bt_optimize', times, f'combos {len(out["heatmap"])} best fast={s.fast} '
               f'slow={s.slow} SQN={float(out["stats"]["SQN"])!r}')

    if 'bt_run_loop' in want:
        bt = new_bt()
        out = {}

        def loop():
            best, arg = -np.inf, None
            for f, s in COMBOS:
                st = bt.run(fast=f, slow=s)
                v = st['SQN'] if st['# Trades'] else np.nan
                if v > best:  # NaN never wins; first maximum kept
                    best, arg = v, (f, s)
            out["best"] = (arg, float(best))
        times = timeit(loop, args.repeats)
        report('bt_run_loop', times, f'best {out["best"]}')

    if 'vbt_sweep' in want:
        try:
            import vectorbt as vbt
        except ImportError as e:
            print(f'vbt_sweep        skipped: {e}')
            return 0
        close = df['Close'].astype(float)
        fast_w = [f for f, _ in COMBOS]
        slow_w = [s for _, s in COMBOS]
        out = {}

        def sweep():
            fast_ma = vbt.MA.run(close, window=fast_w, short_name='fast')
            slow_ma = vbt.MA.run(close, window=slow_w, short_name='slow')
            entries = fast_ma.ma_crossed_above(slow_ma)
            exits = fast_ma.ma_crossed_below(slow_ma)
            pf = vbt.Portfolio.from_signals(close, entries, exits, fees=0.002,
                                            init_cash=10000.0, freq='1D')
            sqn = pf.trades.closed.sqn()
            out['ncols'] = sqn.shape[0]
            out["best"] = (tuple(int(x) for x in sqn.idxmax()), float(sqn.max()))

        cold = timeit(sweep, 1)
        report('vbt_sweep_cold', cold, f'vectorbt {vbt.__version__}')
        times = timeit(sweep, args.repeats)
        report('vbt_sweep', times, f'columns {out["ncols"]} best {out["best"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
