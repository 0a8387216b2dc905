#!/usr/bin/env bash
# The engine beside backtesting.py 0.6.6 in one run (issue 23): `backtest bench` (sma_cross on
# GOOG, macd_cross long/short SL/TP on EURUSD, the bundled benchmark data) and the same two cases
# in backtesting.py (Benchmarks/engine_backtestingpy.py), then the ratios.
# Usage: bash Benchmarks/engine-vs-backtestingpy.sh [PATH/TO/backtest] [BACKTEST_RUNS] [PYTHON_RUNS]
# (a release build: swift build -c release --product backtest --static-swift-stdlib).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/backtest}")
RUNS=${2:-2000}
PY_RUNS=${3:-30}
VENV=$PWD/.build/backtestingpy-venv
PINS="backtesting==0.6.6 pandas==3.1.1 numpy==2.4.6"
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$PINS" ]; then
    echo "== installing $PINS into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PINS
    echo "$PINS" >"$VENV/.requirements"
fi
ours=$("$BIN" bench --runs "$RUNS" | grep -E "^(sma_cross|macd_cross)")
theirs=$("$VENV/bin/python" Benchmarks/engine_backtestingpy.py Sources/MarketData/Resources/benchmark "$PY_RUNS")
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import re, sys
ours = {m[0]: float(m[1]) for m in re.findall(r"^(\S+\(\S+\)) .*median ([0-9.]+) µs/run", sys.argv[1], re.M)}
theirs = {m[0]: float(m[1]) * 1000 for m in re.findall(r"^backtesting\.py (\S+\(\S+\)) .*median ([0-9.]+) ms/run", sys.argv[2], re.M)}
for name, us in ours.items():
    if name in theirs:
        print(f"{name}: {us:.1f} µs vs backtesting.py {theirs[name] / 1000:.2f} ms: {theirs[name] / us:,.0f}x")
PY
