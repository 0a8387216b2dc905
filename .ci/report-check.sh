#!/usr/bin/env bash
# The HTML pages, end to end: report.html, optimize.html, batch.html, portfolio.html and dashboard.html are what
# Tools/report/build_template.py builds from its sources; reports written by the binary render
# in headless Chromium without a console error, an exception, a CSP violation or a network
# request, with every panel drawn; the optimisation and batch pages draw exactly the panels their
# data calls for; the dashboard served by `backtest serve` at GET / fills every panel, fetching
# from its own origin only.
#
# The Python client's inline view of a report and of a search page (a host page holding the
# page in a sandboxed iframe, as Jupyter shows Report._repr_html_) passes the same checks.
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

# The optimisation and batch pages, made by the binary: a two-parameter grid (one heatmap), a
# one-parameter search (the objective line), a rules strategy over three parameters (three
# heatmaps), a walk-forward analysis, three tickers, and a batch with a failed ticker (its own
# reports written beside it; one of them is checked too).
GRID=(--grid fast=5..50:5 --grid slow=10..200:10 --constraint 'fast < slow')
"$BIN" optimize --csv "$DATA/GOOG.csv" --strategy sma_cross "${GRID[@]}" --commission 0.002 --html "$OUT/optimize-grid.html" >/dev/null
"$BIN" optimize --csv "$DATA/GOOG.csv" --strategy rsi_reversion --grid period=5..30:1 --html "$OUT/optimize-line.html" >/dev/null
"$BIN" optimize --csv "$DATA/GOOG.csv" --rules Examples/rules/bollinger.rules --grid period=10..30:5 --grid k=1.5..2.5:0.5 \
    --grid allow_short=false,true --html "$OUT/optimize-rules.html" >/dev/null
"$BIN" optimize --csv "$DATA/GOOG.csv" --strategy sma_cross "${GRID[@]}" --walk-forward train=500,test=250 \
    --html "$OUT/optimize-walkforward.html" >/dev/null
"$BIN" optimize --ticker AAPL,MSFT,GOOG --local --start 2015-01-01 --end 2020-12-31 --strategy sma_cross "${GRID[@]}" \
    --html "$OUT/optimize-tickers.html" >/dev/null
set +e
"$BIN" batch AAPL MSFT GOOG NOPE --start 2020-01-01 --end 2020-12-31 --strategy sma_cross --html "$OUT/batch.html" >/dev/null 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || { echo "report: batch --html exited $status, expected 1 (NOPE fails)"; exit 1; }
cp "$OUT/batch-reports/MSFT.html" "$OUT/batch-msft.html"
# Portfolio pages: equal weight monthly over seven tickers (MSFT's bundled data starts late and
# ends early in the window), and momentum with a commission (partial fills, cash left over).
PORTFOLIO=(--local --tickers AAPL,AMZN,GOOG,META,MSFT,NFLX,NVDA --start 2013-01-01 --end 2023-09-21)
"$BIN" portfolio "${PORTFOLIO[@]}" --allocation equal --rebalance monthly --html "$OUT/portfolio.html" >/dev/null 2>&1
"$BIN" portfolio "${PORTFOLIO[@]}" --allocation momentum --lookback 60 --top 3 --rebalance weekly --commission 0.001 \
    --html "$OUT/portfolio-momentum.html" >/dev/null 2>&1
PAGES="optimize-grid optimize-line optimize-rules optimize-walkforward optimize-tickers batch batch-msft portfolio portfolio-momentum"

passed=0
failed=0
for report in goog eurusd btc bollinger aapl $PAGES; do
    if timeout 120 python3 Tools/report/render_check.py "$OUT/$report.html" --png "$OUT/$report.png" >"$OUT/$report.log" 2>&1; then
        passed=$((passed + 1))
        echo "report $report: ok ($(grep -o 'page [0-9]* chars' "$OUT/$report.log" | head -1))"
    else
        failed=$((failed + 1))
        echo "report $report: FAILED"
        cat "$OUT/$report.log"
    fi
done
# The Python client's Report as Jupyter shows it (Report._repr_html_): the page in an
# <iframe srcdoc sandbox="allow-scripts"> inside a host page; the framed page passes the same checks.
for page in goog optimize-grid; do
    python3 Tools/report/notebook_frame.py "$OUT/$page.html" "$OUT/inline-$page.html"
    if timeout 120 python3 Tools/report/render_check.py --frame "$OUT/inline-$page.html" --png "$OUT/inline-$page.png" \
        >"$OUT/inline-$page.log" 2>&1; then
        passed=$((passed + 1))
        echo "report inline-$page: ok ($(grep -o 'page [0-9]* chars' "$OUT/inline-$page.log" | head -1), in a sandboxed iframe)"
    else
        failed=$((failed + 1))
        echo "report inline-$page: FAILED"
        cat "$OUT/inline-$page.log"
    fi
done
# The dashboard (and a portfolio page from POST /v1/reports), served by the binary: a server without keys on a free loopback port.
SERVER_PID=""
PORTFOLIO_BODY_OK=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT
env -u BACKTEST_API_KEYS -u BACKTEST_HOST -u BACKTEST_PORT -u BACKTEST_DB \
    "$BIN" serve --host 127.0.0.1 --port 0 --db "$OUT/dash.sqlite" >"$OUT/serve.out" 2>"$OUT/serve.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 300); do              # up to 30 s for `listening on http://127.0.0.1:PORT`
    kill -0 "$SERVER_PID" 2>/dev/null || break
    PORT=$(sed -n '1s#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$OUT/serve.out")
    [ -n "$PORT" ] && break
    sleep 0.1
done
if [ -n "$PORT" ]; then
    # Something for the jobs panel: a finished batch job, a portfolio job and a finished search
    # (render_check fails on a kind the page shows without its label).
    curl -sf -H 'content-type: application/json' "http://127.0.0.1:$PORT/v1/jobs" \
        -d '{"tickers":["AAPL","MSFT"],"strategy":"sma_cross"}' >/dev/null
    curl -sf -H 'content-type: application/json' "http://127.0.0.1:$PORT/v1/jobs" \
        -d '{"portfolios":[{"tickers":["AAPL","MSFT"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"}}]}' >/dev/null
    curl -sf -H 'content-type: application/json' "http://127.0.0.1:$PORT/v1/optimizations" \
        -d '{"backtest":{"ticker":"GOOG","strategy":"sma_cross"},"grid":["fast=5..50:5","slow=10..200:10"],"constraint":"fast < slow"}' >/dev/null
    curl -sf -H 'content-type: application/json' "http://127.0.0.1:$PORT/v1/reports" -o "$OUT/portfolio-server.html" \
        -d '{"tickers":["AAPL","MSFT","GOOG"],"start":"2015-01-01","end":"2022-12-31","allocation":{"type":"inverse_volatility","lookback":60},"schedule":{"type":"quarterly"}}' \
        && PORTFOLIO_BODY_OK=1
fi
if [ -z "$PORT" ]; then
    failed=$((failed + 1))
    echo "dashboard: FAILED: the server printed no 'listening on http://127.0.0.1:PORT'"
    cat "$OUT/serve.out" "$OUT/serve.log"
elif timeout 120 python3 Tools/report/render_check.py --url "http://127.0.0.1:$PORT/" \
        --expect health,strategies,tickers,queue --png "$OUT/dashboard.png" >"$OUT/dashboard.log" 2>&1; then
    passed=$((passed + 1))
    echo "dashboard: ok ($(head -1 "$OUT/dashboard.log" | sed 's#^http://[^ ]*: ##'))"
else
    failed=$((failed + 1))
    echo "dashboard: FAILED"
    cat "$OUT/dashboard.log"
    tail -20 "$OUT/serve.log"
fi
if [ -n "$PORTFOLIO_BODY_OK" ] && timeout 120 python3 Tools/report/render_check.py "$OUT/portfolio-server.html" \
        --png "$OUT/portfolio-server.png" >"$OUT/portfolio-server.log" 2>&1; then
    passed=$((passed + 1))
    echo "report portfolio-server: ok (POST /v1/reports with a portfolio body)"
else
    failed=$((failed + 1))
    echo "report portfolio-server: FAILED"
    cat "$OUT/portfolio-server.log" 2>/dev/null || true
fi
stop_server

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
