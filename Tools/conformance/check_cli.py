#!/usr/bin/env python3
"""Checks that `backtest run --request CASE --format json --include trades,equity`
reproduces every reference file's stats, trades and equity (1e-9 relative, null == NaN).

Usage: python3 Tools/conformance/check_cli.py PATH/TO/backtest [CASES_DIR...]
"""
import json, math, os, subprocess, sys, tempfile

def close(a, e, tol=1e-9):
    if e is None: return a is None
    if isinstance(e, str) or isinstance(a, str): return a == e
    if a is None: return False
    if a == e: return True
    return abs(a - e) <= tol * max(abs(a), abs(e))

def main():
    exe = sys.argv[1]
    root = os.path.join(os.path.dirname(__file__), '..', '..', 'Tests', 'BacktestEngineTests', 'Fixtures')
    dirs = sys.argv[2:] or [os.path.join(root, 'cases'), os.path.join(root, 'cases-extra')]
    failures = 0
    for d in dirs:
        for name in sorted(os.listdir(d)):
            ref = json.load(open(os.path.join(d, name)))
            case = dict(ref['case'])
            case['data'] = os.path.abspath(os.path.join(root, 'data', case['data']))
            with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
                json.dump(case, f)
            out = subprocess.run([exe, 'run', '--request', f.name, '--format', 'json', '--include', 'trades,equity'],
                                 capture_output=True, text=True)
            os.unlink(f.name)
            if out.returncode != 0:
                print(f'FAIL {name}: exit {out.returncode}: {out.stderr.strip()}'); failures += 1; continue
            got = json.loads(out.stdout)
            bad = [k for k, v in ref['stats'].items() if not close(got['stats'].get(k), v)]
            if len(got['trades']) != len(ref['trades']): bad.append('trade count')
            for i, (a, e) in enumerate(zip(got['trades'], ref['trades'])):
                bad += [f'trades[{i}].{k}' for k, v in e.items() if not close(a.get(k), v)]
            if len(got['equity']) != len(ref['equity']) or not all(close(a, e) for a, e in zip(got['equity'], ref['equity'])):
                bad.append('equity')
            print(('ok   ' if not bad else 'FAIL ') + name + ('' if not bad else ': ' + ', '.join(bad[:8])))
            failures += bool(bad)
    sys.exit(1 if failures else 0)

main()
