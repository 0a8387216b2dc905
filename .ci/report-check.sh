#!/usr/bin/env bash
# The HTML report, end to end: the template is what Tools/report/build_template.py builds
# from its sources, and reports written by the binary render in headless Chromium without a
# console error, an exception, a CSP violation or a network request, with every panel drawn.
#
# Usage: bash .ci/report-check.sh PATH/TO/backtest
#
# Installs Debian's chromium with apt-get only when `chromium` is missing. Screenshots go to
# .build/report-check/. Prints `N passed, N failed` last.
set -euo pipefail
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: bash .ci/report-check.sh PATH/TO/backtest" >&2; exit 2; }
BIN=$(realpath "$1")
cd "$(dirname "$0")/.."
OUT=$PWD/.build/report-check
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== report: the template is built from Tools/report/src"
python3 Tools/report/build_template.py --check

if ! command -v chromium >/dev/null 2>&1; then
    echo "== report: installing Debian's chromium"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
echo "== report: $(chromium --version 2>/dev/null | head -1)"

DATA=Tests/BacktestEngineTests/Fixtures/data
"$BIN" report --csv "$DATA/GOOG.csv" --strategy sma_cross --commission 0.002 --out "$OUT/goog.html"
"$BIN" run --csv "$DATA/EURUSD.csv" --strategy macd_cross --param allow_short=true --sl-pct 0.004 --tp-pct 0.008 \
    --html "$OUT/eurusd.html" >/dev/null
"$BIN" report --csv "$DATA/BTCUSD.csv" --strategy sma_cross --param fast=3 --param slow=6 --out "$OUT/btc.html"
"$BIN" report --csv "$DATA/GOOG.csv" --strategy bollinger --param allow_short=true --out "$OUT/bollinger.html"
"$BIN" report --ticker AAPL --start 2020-01-01 --end 2020-12-31 --strategy rsi_reversion --out "$OUT/aapl.html"

passed=0
failed=0
for report in goog eurusd btc bollinger aapl; do
    if timeout 120 python3 Tools/report/render_check.py "$OUT/$report.html" --png "$OUT/$report.png" >"$OUT/$report.log" 2>&1; then
        passed=$((passed + 1))
        echo "report $report: ok ($(grep -o 'page [0-9]* chars' "$OUT/$report.log" | head -1))"
    else
        failed=$((failed + 1))
        echo "report $report: FAILED"
        cat "$OUT/$report.log"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
