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
[ $# -ge 1 ] || { echo "usage: bash Benchmarks/cli-startup.sh BIN [BIN...]" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "cli-startup: needs hyperfine (apt-get install -y hyperfine)" >&2; exit 2; }
BINS=()
for b in "$@"; do BINS+=("$(realpath "$b")"); done
cd "$(dirname "$0")/.."
RUNS=${RUNS:-40}

CACHE=()
[ "${NOCACHE:-0}" = 1 ] && CACHE=(--no-cache)
# shellcheck source=Benchmarks/cli-commands.sh
source Benchmarks/cli-commands.sh
cli_server "${BINS[0]}" "${CACHE[@]}"
cli_commands
echo "== server $URL (${BINS[0]}${CACHE:+, --no-cache}); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!NAMES[@]}"; do
    args=${ARGS[$i]}
    for bin in "${BINS[@]}"; do "$bin" $args >/dev/null 2>&1 || { echo "cli-startup: $bin $args failed" >&2; exit 1; }; done
    HF=()
    for bin in "${BINS[@]}"; do HF+=(-n "$(basename "$bin") ${NAMES[$i]}" "$bin $args"); done
    hyperfine -N --warmup 5 --runs "$RUNS" --style basic "${HF[@]}" 2>&1 | grep -E "^Benchmark|Time \(mean|Range" | sed 's/^ *//'
done
