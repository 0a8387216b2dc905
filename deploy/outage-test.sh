#!/usr/bin/env bash
# A node whose PostgreSQL goes away under a running job, end to end (issue 19's readiness):
#
#  1. a throw-away PostgreSQL (.ci/postgres.sh) and one node on it; a job of ITEMS backtests
#     (default 4,000: a few hundred finish before the outage, the rest after it) is submitted
#     and gets under way;
#  2. PostgreSQL is stopped (pg_ctl -m fast). Checks: /ready turns 503 with Retry-After and the
#     code database_unavailable; /health stays 200; reading the job and submitting a new one get
#     503 database_unavailable + Retry-After, each within 10 s (never a hang, never a 500);
#  3. PostgreSQL starts again on the same port. Checks: /ready is 200 again, and the job
#     finishes with ITEMS results, each index exactly once (nothing accepted before is lost);
#  4. SIGTERM: the node exits within 30 s.
#
# Prints the figures (time to 503, time of a request during the outage, time back to ready,
# time to the job's end) and `outage: PASSED`.
# Usage: bash deploy/outage-test.sh PATH/TO/backtest [ITEMS]
set -euo pipefail
[ $# -ge 1 ] && [ -x "$1" ] || { echo "usage: bash deploy/outage-test.sh PATH/TO/backtest [ITEMS]" >&2; exit 2; }
BIN=$(realpath "$1")
ITEMS=${2:-4000}
cd "$(dirname "$0")/.."
ROOT=$PWD
TMP=$(mktemp -d "${TMPDIR:-/tmp}/backtest-outage.XXXXXX")
chmod 755 "$TMP"
NODE=""

cleanup() {
    local status=$?
    [ -z "$NODE" ] || { kill -TERM "$NODE" 2>/dev/null || true; wait "$NODE" 2>/dev/null || true; }
    [ -z "${PG_CI_DIR:-}" ] || bash "$ROOT/.ci/postgres.sh" stop "$PG_CI_DIR"
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
fail() { echo "outage: FAILED: $*"; echo "--- node log"; tail -20 "$TMP/node.log"; exit 1; }
now() { python3 -c 'import time; print(time.time())'; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# 1. PostgreSQL, data, one node, a job under way.
eval "$(bash .ci/postgres.sh start)"
PG_PORT=${BACKTEST_TEST_POSTGRES_URL##*:}
PG_PORT=${PG_PORT%%/*}
mkdir -p "$TMP/data"
python3 deploy/synthetic_data.py bars "$TMP/data/LONG.csv" 50000
python3 deploy/synthetic_data.py job "$ITEMS" >"$TMP/job.json"
env -u BACKTEST_API_KEYS "$BIN" serve --host 127.0.0.1 --port 0 --db "$TMP/node.sqlite" --data-dir "$TMP/data" --workers 1 \
    --database "$BACKTEST_TEST_POSTGRES_URL" --lease-seconds 3 >"$TMP/node.out" 2>"$TMP/node.log" &
NODE=$!
PORT=""
for _ in $(seq 1 300); do
    kill -0 "$NODE" 2>/dev/null || fail "the node exited at start"
    PORT=$(sed -n '1s#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$TMP/node.out")
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || fail "the node did not listen"
BASE="http://127.0.0.1:$PORT"
curl -sf "$BASE/ready" >/dev/null || fail "/ready is not 200 at start"
ID=$(curl -sf -H 'content-type: application/json' --data-binary @"$TMP/job.json" "$BASE/v1/jobs" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
done_items() { curl -sf --max-time 5 "$BASE/v1/jobs/$ID" | python3 -c 'import json, sys; print(json.load(sys.stdin)["progress"]["done"])'; }
for _ in $(seq 1 600); do
    [ "$(done_items || echo 0)" -ge 5 ] && break
    sleep 0.05
done
BEFORE=$(done_items)
[ "$BEFORE" -lt "$ITEMS" ] || fail "the job finished before the outage (raise ITEMS)"
echo "== outage: job $ID under way ($BEFORE of $ITEMS items); stopping PostgreSQL"

# 2. The outage.
T_STOP=$(now)
as_postgres "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -m fast -w stop >/dev/null
# `check NAME EXPECTED-STATUS curl-args…`: the status, the code, Retry-After; prints seconds taken.
check_503() {
    local what=$1
    shift
    local t0 t1 status
    t0=$(now)
    status=$(curl -s --max-time 15 -o "$TMP/reply" -D "$TMP/headers" -w '%{http_code}' "$@") || status="timeout"
    t1=$(now)
    [ "$status" = "503" ] || fail "$what answered $status during the outage: $(cat "$TMP/reply" 2>/dev/null)"
    grep -qi '^retry-after: [0-9]' "$TMP/headers" || fail "$what: 503 without Retry-After"
    grep -q 'database_unavailable' "$TMP/reply" || fail "$what: 503 is not database_unavailable: $(cat "$TMP/reply")"
    python3 -c "s = $t1 - $t0; print(f'{s:.2f}'); assert s < 10, s" || fail "$what took 10 s or more"
}
READY_S=""
for _ in $(seq 1 300); do
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$BASE/ready" || true)
    if [ "$code" = "503" ]; then READY_S=$(python3 -c "print(f'{$(now) - $T_STOP:.2f}')"); break; fi
    sleep 0.1
done
[ -n "$READY_S" ] || fail "/ready did not turn 503 within 30 s of the outage"
check_503 "/ready" "$BASE/ready" >/dev/null
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$BASE/health")" = "200" ] || fail "/health is not 200 during the outage"
STATUS_S=$(check_503 "GET /v1/jobs/{id}" "$BASE/v1/jobs/$ID")
CREATE_S=$(check_503 "POST /v1/jobs" -H 'content-type: application/json' -d '{"tickers":["LONG"],"strategy":"sma_cross"}' "$BASE/v1/jobs")
echo "== outage: /ready 503 after ${READY_S} s; during the outage a status read answered 503 in ${STATUS_S} s, a new job in ${CREATE_S} s; /health 200"

# 3. PostgreSQL back on the same port.
T_START=$(now)
as_postgres "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -l "$PG_CI_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_CI_DIR -c fsync=off -c max_connections=200" start >/dev/null
BACK_S=""
for _ in $(seq 1 300); do
    if curl -sf --max-time 5 "$BASE/ready" >/dev/null; then BACK_S=$(python3 -c "print(f'{$(now) - $T_START:.2f}')"); break; fi
    sleep 0.1
done
[ -n "$BACK_S" ] || fail "/ready did not return to 200 within 30 s of PostgreSQL's return"
for _ in $(seq 1 1800); do
    state=$(curl -sf --max-time 5 "$BASE/v1/jobs/$ID" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])') || state=""
    [ "$state" = "done" ] && break
    case "$state" in failed | cancelled) fail "the job ended $state" ;; esac
    sleep 0.1
done
[ "$state" = "done" ] || fail "the job did not finish after the outage"
DONE_S=$(python3 -c "print(f'{$(now) - $T_START:.2f}')")
curl -sf "$BASE/v1/jobs/$ID" | python3 -c '
import json, sys
n = int(sys.argv[1])
status = json.load(sys.stdin)
indices = sorted(item["index"] for item in status["results"])
assert indices == list(range(n)), f"results: {len(indices)} of {n}, duplicates or gaps"
assert all(item.get("result") for item in status["results"]), "an item failed"
' "$ITEMS" || fail "the job's results are not every item exactly once"
echo "== outage: /ready 200 again ${BACK_S} s after PostgreSQL returned; the job finished ${DONE_S} s after it, with all $ITEMS items, each once"

# 4. A graceful stop still ends the process (nothing left waiting on a connection lost in the outage).
kill -TERM "$NODE"
for _ in $(seq 1 300); do
    kill -0 "$NODE" 2>/dev/null || break
    sleep 0.1
done
! kill -0 "$NODE" 2>/dev/null || fail "the node did not exit within 30 s of SIGTERM"
wait "$NODE" || true
NODE=""
echo "== outage: the node stopped on SIGTERM"
echo "outage: PASSED"
