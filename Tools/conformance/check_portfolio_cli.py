#!/usr/bin/env python3
"""Checks that `backtest portfolio --request CASE --format json --include orders,equity`
reproduces every portfolio reference case (PORTFOLIO.md section 8's tolerances): equity,
every order, final positions and cash, and the statistics.

Usage: python3 Tools/conformance/check_portfolio_cli.py PATH/TO/backtest [CASES_DIR]
"""
import json, os, subprocess, sys, tempfile

def close(a, e, tol=1e-9, floor=0.0):
    if e is None: return a is None
    if isinstance(e, str) or isinstance(a, str): return a == e
    if a is None: return False
    return a == e or abs(a - e) <= max(tol * max(abs(a), abs(e)), floor)

def check(got, ref):
    exp, case = ref['expected'], ref['case']
    floor = 1e-9 * case['cash']
    bad = [k for k, v in exp['stats'].items() if not close(got['stats'].get(k), v)]
    bad += [k for k in ref['not_reported'] if k in got['stats']]
    if got['dates'] != exp['dates']: bad.append('dates')
    if len(got['equity']) != len(exp['equity']) or not all(close(a, e) for a, e in zip(got['equity'], exp['equity'])):
        bad.append('equity')
    if len(got['orders']) != len(exp['orders']): bad.append('order count')
    for i, (a, e) in enumerate(zip(got['orders'], exp['orders'])):
        if (a['date'], a['ticker']) != (e['date'], e['ticker']): bad.append(f'orders[{i}] date/ticker')
        bad += [f'orders[{i}].{k}' for k in ('size', 'price') if not close(a[k], e[k])]
        if not close(a['commission'], e['commission'], floor=floor): bad.append(f'orders[{i}].commission')
    bad += [f'positions.{t}' for t, q in exp['positions'].items() if not close(got['positions'].get(t), q, floor=floor)]
    if not close(got['cash'], exp['cash'], floor=floor): bad.append('cash')
    return bad

def main():
    exe = sys.argv[1]
    root = os.path.join(os.path.dirname(__file__), '..', '..', 'Tests', 'BacktestEngineTests', 'Fixtures', 'portfolio')
    folder = sys.argv[2] if len(sys.argv) > 2 else root
    failures = 0
    for name in sorted(n for n in os.listdir(folder) if n.endswith('.json')):
        ref = json.load(open(os.path.join(folder, name)))
        with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
            json.dump(ref['case'], f)
        out = subprocess.run([exe, 'portfolio', '--request', f.name, '--format', 'json', '--include', 'orders,equity'],
                             capture_output=True, text=True)
        os.unlink(f.name)
        if out.returncode != 0:
            print(f'FAIL {name}: exit {out.returncode}: {out.stderr.strip()}'); failures += 1; continue
        bad = check(json.loads(out.stdout), ref)
        print(('ok   ' if not bad else 'FAIL ') + name + ('' if not bad else ': ' + ', '.join(bad[:8])))
        failures += bool(bad)
    sys.exit(1 if failures else 0)

main()
