#!/usr/bin/env bash
# The CLI's start-up (issue 23, item 3): whole-process times of the commands people run in loops,
# for one or more `backtest` binaries side by side in one run (interleaved by hyperfine), against
# one running server started from the first binary: `--help`, `health`, `run --csv` (GOOG, local),
# `run --ticker` and `batch` of 60 one-year backtests (the 7 bundled tickers repeated).
#
# Usage: bash Benchmarks/cli-startup.sh BIN [BIN...]   (hyperfine -N --warmup 5 --runs RUNS)
#        RUNS=40 by default; NOCACHE=1 starts the server with --no-cache.
# Only 127.0.0.1 is used; the server started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bash Benchmarks/cli-startup.sh BIN [BIN...]" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "cli-startup: needs hyperfine (apt-get install -y hyperfine)" >&2; exit 2; }
BINS=()
for b in "$@"; do BINS+=("$(realpath "$b")"); done
RUNS=${RUNS:-40}

WORK=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

CACHE=()
[ "${NOCACHE:-0}" = 1 ] && CACHE=(--no-cache)
"${BINS[0]}" serve --host 127.0.0.1 --port 0 --db "$WORK/serve.sqlite" "${CACHE[@]}" >"$WORK/serve.out" 2>"$WORK/serve.err" &
PID=$!
for _ in $(seq 100); do
    if head -1 "$WORK/serve.out" 2>/dev/null | grep -q "^listening on "; then break; fi
    sleep 0.05
done
URL=$(head -1 "$WORK/serve.out" | sed 's/^listening on //')
[ -n "$URL" ] || { echo "cli-startup: backtest serve did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }

TICKERS=$(for _ in $(seq 9); do echo AAPL AMZN GOOG META MSFT NFLX NVDA; done | tr ' ' '\n' | head -60 | tr '\n' ' ')
GOOG=Tests/BacktestEngineTests/Fixtures/data/GOOG.csv
NAMES=("--help" "health" "run --csv" "run --ticker" "batch 60")
ARGS=(
    "--help"
    "health --server $URL"
    "run --csv $GOOG --strategy sma_cross"
    "run --ticker AAPL --start 2020-01-01 --end 2020-12-31 --strategy sma_cross --server $URL"
    "batch $TICKERS --start 2020-01-01 --end 2020-12-31 --server $URL"
)
echo "== server $URL (${BINS[0]}${CACHE:+, --no-cache}); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!NAMES[@]}"; do
    args=${ARGS[$i]}
    for bin in "${BINS[@]}"; do "$bin" $args >/dev/null 2>&1 || { echo "cli-startup: $bin $args failed" >&2; exit 1; }; done
    HF=()
    for bin in "${BINS[@]}"; do HF+=(-n "$(basename "$bin") ${NAMES[$i]}" "$bin $args"); done
    hyperfine -N --warmup 5 --runs "$RUNS" --style basic "${HF[@]}" 2>&1 | grep -E "^Benchmark|Time \(mean|Range" | sed 's/^ *//'
done
