#!/usr/bin/env bash
# Job throughput: a 10,000-item job of short backtests (sma_cross on one year of daily bars;
# the nodes run --no-cache, so every item is computed) on one node with SQLite, one node with
# PostgreSQL, and two nodes sharing PostgreSQL. Prints items/s for each, and the CPU time per
# item of the nodes and of the database's processes (user + system, from /proc: steadier than
# items/s on a machine whose other work takes a varying share of the cores).
# Usage: bash Benchmarks/job-throughput.sh PATH/TO/backtest [ITEMS]
set -euo pipefail
[ $# -ge 1 ] && [ -x "$1" ] || { echo "usage: bash Benchmarks/job-throughput.sh PATH/TO/backtest [ITEMS]" >&2; exit 2; }
BIN=$(realpath "$1")
ITEMS=${2:-10000}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d "${TMPDIR:-/tmp}/backtest-jobs.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -z "${PG_CI_DIR:-}" ] || bash .ci/postgres.sh stop "$PG_CI_DIR"
    rm -rf "$TMP"
}
trap cleanup EXIT
eval "$(bash .ci/postgres.sh start 2>/dev/null)"
python3 - "$ITEMS" >"$TMP/job.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"tickers": ["AAPL"] * n, "start": "2020-01-01", "end": "2020-12-31", "strategy": "sma_cross"}))
PY
start() {  # start NAME [flags…]: sets PORT (not in a subshell, so cleanup knows the pid)
    : >"$TMP/$1.out"  # read below before the node may have written it
    "$BIN" serve --host 127.0.0.1 --port 0 --db "$TMP/$1.sqlite" --no-cache "${@:2}" >"$TMP/$1.out" 2>"$TMP/$1.log" &
    PIDS+=($!)
    PORT=""
    for _ in $(seq 1 300); do
        PORT=$(sed -n '1s#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$TMP/$1.out")
        [ -n "$PORT" ] && return
        sleep 0.1
    done
    echo "node $1 did not start" >&2
    exit 1
}
cpu_ticks() {  # cpu_ticks PID…: user + system clock ticks of these processes (0 for gone ones)
    local total=0 pid fields
    for pid in "$@"; do
        fields=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        fields=${fields##*) }  # after the command name, which may hold spaces
        set -- $fields
        total=$((total + ${12} + ${13}))
    done
    echo "$total"
}
database_pids() {  # the PostgreSQL server and its backends
    local main
    main=$(head -1 "$PG_CI_DIR/data/postmaster.pid" 2>/dev/null) || return 0
    echo "$main" $(pgrep -P "$main")
}
measure() {  # measure LABEL PORT: submits the job, waits for it, prints items/s and CPU per item
    local seconds nodes0 db0
    nodes0=$(cpu_ticks "${PIDS[@]}")
    db0=$(cpu_ticks $(database_pids))
    # One Python process submits the job and polls it (a curl and a python3 per poll would
    # take a quarter of a core from the nodes being measured); it prints the seconds taken.
    seconds=$(python3 - "$2" "$TMP/job.json" <<'PY'
import json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}/v1/jobs"
body = open(sys.argv[2], "rb").read()
t0 = time.time()
request = urllib.request.Request(base, data=body, headers={"content-type": "application/json"})
job = json.load(urllib.request.urlopen(request))["id"]
while json.load(urllib.request.urlopen(f"{base}/{job}"))["status"] != "done":
    time.sleep(0.02)
print(time.time() - t0)
PY
)
    local nodes db hz
    nodes=$(($(cpu_ticks "${PIDS[@]}") - nodes0))
    db=$(($(cpu_ticks $(database_pids)) - db0))
    hz=$(getconf CLK_TCK)
    python3 -c "s = $seconds; n = $nodes / $hz * 1e6 / $ITEMS; d = $db / $hz * 1e6 / $ITEMS
print(f'$1: $ITEMS items in {s:.2f} s, {$ITEMS / s:,.0f} items/s; CPU per item: nodes {n:.0f} µs, PostgreSQL {d:.0f} µs')"
}
start sqlite
measure "one node, SQLite" "$PORT"
start pg1 --database "$BACKTEST_TEST_POSTGRES_URL"
first=$PORT
measure "one node, PostgreSQL" "$first"
start pg2 --database "$BACKTEST_TEST_POSTGRES_URL"
measure "two nodes, PostgreSQL" "$first"
