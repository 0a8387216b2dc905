# Sourced by cli-startup.sh, cli-instructions.sh and python-client-startup.sh (not run on its
# own): one running server, and the CLI commands whose start-up the first two measure.
#
#   cli_server BIN [SERVE-ARGS...]   starts `BIN serve` on 127.0.0.1, port 0, in a temporary
#                                    folder; sets WORK, PID and URL; stopped and removed at exit
#   cli_commands                     sets NAMES and ARGS: `--help`, `health`, `run --csv` (GOOG,
#                                    local), `run --ticker` and `batch` of 60 one-year backtests
#                                    (the 7 bundled tickers repeated) against URL

cli_server() {
    local bin=$1
    shift
    WORK=$(mktemp -d)
    PID=
    trap 'if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT
    "$bin" serve --host 127.0.0.1 --port 0 --db "$WORK/serve.sqlite" "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
    PID=$!
    for _ in $(seq 100); do
        if head -1 "$WORK/serve.out" 2>/dev/null | grep -q "^listening on "; then break; fi
        sleep 0.05
    done
    URL=$(head -1 "$WORK/serve.out" | sed 's/^listening on //')
    [ -n "$URL" ] || { echo "$(basename "$0"): backtest serve did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }
}

cli_commands() {
    local tickers goog
    tickers=$(for _ in $(seq 9); do echo AAPL AMZN GOOG META MSFT NFLX NVDA; done | tr ' ' '\n' | head -60 | tr '\n' ' ')
    goog=Tests/BacktestEngineTests/Fixtures/data/GOOG.csv
    NAMES=("--help" "health" "run --csv" "run --ticker" "batch 60")
    ARGS=(
        "--help"
        "health --server $URL"
        "run --csv $goog --strategy sma_cross"
        "run --ticker AAPL --start 2020-01-01 --end 2020-12-31 --strategy sma_cross --server $URL"
        "batch $tickers --start 2020-01-01 --end 2020-12-31 --server $URL"
    )
}
