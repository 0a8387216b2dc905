#!/usr/bin/env bash
# Two backtest nodes sharing one PostgreSQL behind nginx (TLS at nginx), end to end:
#
#  1. a throw-away PostgreSQL (.ci/postgres.sh), Debian's nginx (installed when missing) with
#     deploy/nginx/backtest.conf rendered for the two nodes, a certificate from `backtest cert init`;
#  2. a single-node run of the job on SQLite, for reference;
#  3. the same job of ITEMS backtests (default 2,000) submitted through nginx; once it is under
#     way, the node holding the most leases is killed with SIGKILL;
#  4. checks: the job finishes with ITEMS results, each index exactly once, identical to the
#     single-node run; the dead node's items ran elsewhere within the lease + 1 s;
#  5. every node restarts: the finished job and a cached result are still served through nginx;
#  6. a portfolio search (POST /v1/optimizations with `portfolio`: momentum over the seven bundled
#     tickers, SEARCH_GRID) submitted through nginx; once its first units are stored, the node
#     holding its units is killed and the other one runs the rest: the search completes across
#     both nodes with the single node's best combination, top list and statistics;
#  7. the killed node restarts, and a portfolio job (POST /v1/jobs with `portfolios`: PORTFOLIOS
#     momentum portfolios over the seven bundled tickers, default 1,000, and one bad entry) runs
#     through nginx on both nodes: each index once, identical to the single node's, the bad entry
#     failed as its item naming its field, the job's page and an item's portfolio page served.
#
# Prints the figures (items/s, time to take over a dead node's items) and `cluster: PASSED`.
# Usage: bash deploy/cluster-test.sh PATH/TO/backtest [ITEMS]
#   SEARCH_GRID='lookback=10..250:10 top=1..6:1 every=5..60:5' makes the search smaller (5,880
#   combinations by default: about 2 s on one release worker; a debug binary is ~30 times slower).
#   PORTFOLIOS=200 makes the portfolio job smaller.
set -euo pipefail
[ $# -ge 1 ] && [ -x "$1" ] || { echo "usage: bash deploy/cluster-test.sh PATH/TO/backtest [ITEMS]" >&2; exit 2; }
BIN=$(realpath "$1")
ITEMS=${2:-2000}
LEASE=3
cd "$(dirname "$0")/.."
ROOT=$PWD
TMP=$(mktemp -d "${TMPDIR:-/tmp}/backtest-cluster.XXXXXX")
chmod 755 "$TMP"
declare -A PIDS=()
NGINX_UP=""

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -z "$NGINX_UP" ] || nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -s stop 2>/dev/null || true
    [ -z "${PG_CI_DIR:-}" ] || bash "$ROOT/.ci/postgres.sh" stop "$PG_CI_DIR"
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
fail() { echo "cluster: FAILED: $*"; for f in "$TMP"/*.log; do echo "--- $f"; tail -15 "$f"; done; exit 1; }
now() { python3 -c 'import time; print(time.time())'; }

# 1. PostgreSQL, nginx, TLS, data.
eval "$(bash .ci/postgres.sh start)"
PSQL=("$PG_CI_BIN/psql" "$BACKTEST_TEST_POSTGRES_URL" -qtAX)
if ! command -v nginx >/dev/null 2>&1; then
    echo "== cluster: installing Debian's nginx"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null 2>&1 ||
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
"$BIN" cert init --host 127.0.0.1 --out "$TMP/tls" >/dev/null
mkdir -p "$TMP/data"
python3 deploy/synthetic_data.py bars "$TMP/data/LONG.csv" 100000
# ITEMS distinct backtests (no cache hits inside the job): sma_cross over a grid of periods.
python3 deploy/synthetic_data.py job "$ITEMS" >"$TMP/job.json"

# PORTFOLIOS distinct portfolios (momentum over the seven bundled tickers, lookback, top and
# rebalancing period varied), then one whose weights sum above 1: it fails as its item.
PORTFOLIOS=${PORTFOLIOS:-1000}
python3 - "$PORTFOLIOS" >"$TMP/portfolios.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
tickers = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"]
portfolios = [{"tickers": tickers, "start": "2014-01-01", "end": "2023-09-21",
               "allocation": {"type": "momentum", "lookback": 10 + 5 * (k % 40), "top_k": 1 + (k // 40) % 6},
               "schedule": {"type": "every_n_bars", "n": 1 + k % 21}, "commission": 0.001} for k in range(n)]
portfolios.append({"tickers": ["AAPL", "MSFT"], "allocation": {"type": "fixed", "weights": {"AAPL": 0.7, "MSFT": 0.6}},
                   "schedule": {"type": "monthly"}})
print(json.dumps({"portfolios": portfolios}))
EOF

# A node: `start_node NAME [serve flags…]` sets PORT_NAME and records the pid.
start_node() {
    local name=$1
    shift
    env -u BACKTEST_API_KEYS -u BACKTEST_DATABASE_URL "$BIN" serve --host 127.0.0.1 --port 0 --db "$TMP/$name.sqlite" \
        --data-dir "$TMP/data" --workers 1 "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
    PIDS[$name]=$!
    local port=""
    for _ in $(seq 1 300); do
        kill -0 "${PIDS[$name]}" 2>/dev/null || fail "node $name exited at start"
        port=$(sed -n '1s#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$TMP/$name.out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || fail "node $name did not listen"
    printf -v "PORT_$name" '%s' "$port"
}

# `run_job BASE [curl flags…]`: submits the job, waits for it, prints "ID SECONDS".
run_job() {
    local base=$1
    shift
    local t0 id
    t0=$(now)
    id=$(curl -sf "$@" -H 'content-type: application/json' --data-binary @"${JOB_FILE:-$TMP/job.json}" "$base/v1/jobs" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
    echo "$id $t0"
}
wait_job() {
    local base=$1 id=$2
    shift 2
    for _ in $(seq 1 1200); do
        state=$(curl -sf "$@" "$base/v1/jobs/$id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])') || state=""
        [ "$state" = "done" ] && return 0
        case "$state" in failed | cancelled) fail "job $id $state" ;; esac
        sleep 0.1
    done
    fail "job $id did not finish"
}
results() {  # `results BASE ID [curl flags…]` > file: index → stats, as JSON
    local base=$1 id=$2
    shift 2
    curl -sf "$@" "$base/v1/jobs/$id" | python3 -c '
import json, sys
status = json.load(sys.stdin)
print(json.dumps({str(i["index"]): i["result"]["stats"] for i in status["results"]}, sort_keys=True))'
}

portfolio_results() {  # `portfolio_results BASE ID [curl flags…]` > file: index → stats, or the error's type and field
    local base=$1 id=$2
    shift 2
    curl -sf "$@" "$base/v1/jobs/$id" | python3 -c '
import json, sys
status = json.load(sys.stdin)
out = {str(i["index"]): i["result"]["stats"] if "result" in i else {"error": i["error"]["type"], "field": i["error"].get("field")}
       for i in status["results"]}
print(json.dumps(out, sort_keys=True))'
}

# A portfolio search: its body, and helpers as for the job.
SEARCH_GRID=${SEARCH_GRID:-lookback=10..250:5 top=1..6:1 every=3..60:3}
python3 - "$SEARCH_GRID" >"$TMP/search.json" <<'EOF'
import json, sys
portfolio = {"tickers": ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"], "start": "2014-01-01",
             "end": "2023-09-21", "allocation": {"type": "momentum", "lookback": 60, "top_k": 3},
             "schedule": {"type": "every_n_bars", "n": 21}, "commission": 0.001}
print(json.dumps({"portfolio": portfolio, "grid": sys.argv[1].split(), "top": 5}))
EOF
submit_search() {  # `submit_search BASE [curl flags…]`: prints the search's id
    local base=$1
    shift
    curl -sf "$@" -H 'content-type: application/json' --data-binary @"$TMP/search.json" "$base/v1/optimizations" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
search_best() {  # `search_best BASE ID [curl flags…]`: waits for the search; prints its best, top and counts as JSON
    local base=$1 id=$2 doc state
    shift 2
    for _ in $(seq 1 1200); do
        doc=$(curl -sf "$@" "$base/v1/optimizations/$id") || doc=""
        state=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["status"])' "$doc" 2>/dev/null) || state=""
        if [ "$state" = "done" ]; then
            python3 -c '
import json, sys
r = json.loads(sys.argv[1])["result"]
print(json.dumps({k: r[k] for k in ("best", "top", "combinations", "evaluated")}, sort_keys=True))' "$doc"
            return 0
        fi
        case "$state" in failed | cancelled) fail "search $id $state" ;; esac
        sleep 0.1
    done
    fail "search $id did not finish"
}
claimed() {  # `claimed PORT`: the node's backtest_job_items_claimed_total
    curl -sf "http://127.0.0.1:$1/metrics" | awk '$1 == "backtest_job_items_claimed_total" { n = $2 } END { print n + 0 }'
}

# 2. The reference: one node on SQLite.
start_node single
BASE_SINGLE="http://127.0.0.1:$PORT_single"
read -r ID T0 <<<"$(run_job "$BASE_SINGLE")"
wait_job "$BASE_SINGLE" "$ID"
T1=$(now)
results "$BASE_SINGLE" "$ID" >"$TMP/single.json"
S0=$(now)
SEARCH_ID=$(submit_search "$BASE_SINGLE")
search_best "$BASE_SINGLE" "$SEARCH_ID" >"$TMP/single-search.json"
S1=$(now)
SEARCH_SINGLE_S=$(python3 -c "print(f'{$S1 - $S0:.2f}')")
SEARCH_COMBINATIONS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["combinations"])' "$TMP/single-search.json")
read -r PID T0P <<<"$(JOB_FILE="$TMP/portfolios.json" run_job "$BASE_SINGLE")"
wait_job "$BASE_SINGLE" "$PID"
T1P=$(now)
portfolio_results "$BASE_SINGLE" "$PID" >"$TMP/single-portfolios.json"
PORTFOLIO_SINGLE_S=$(python3 -c "print(f'{$T1P - $T0P:.2f}')")
kill -TERM "${PIDS[single]}"
wait "${PIDS[single]}" || true
unset 'PIDS[single]'
SINGLE_S=$(python3 -c "print(f'{$T1 - $T0:.2f}')")
echo "== cluster: single node (SQLite): $ITEMS items in $SINGLE_S s; a portfolio search of $SEARCH_COMBINATIONS combinations in $SEARCH_SINGLE_S s; a job of $PORTFOLIOS portfolios in $PORTFOLIO_SINGLE_S s"

# 3. Two nodes on PostgreSQL behind nginx.
NODE_FLAGS=(--database "$BACKTEST_TEST_POSTGRES_URL" --lease-seconds "$LEASE")
start_node a "${NODE_FLAGS[@]}"
start_node b "${NODE_FLAGS[@]}"
NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP/nginx/logs"
bash deploy/nginx/render.sh "127.0.0.1:$NGINX_PORT ssl" "$TMP/tls/server.pem" "$TMP/tls/server-key.pem" \
    "127.0.0.1:$PORT_a" "127.0.0.1:$PORT_b" >"$TMP/nginx/backtest.conf"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon on;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    include $TMP/nginx/backtest.conf;
}
EOF
nginx -t -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" 2>"$TMP/nginx-t.log" || fail "nginx -t: $(cat "$TMP/nginx-t.log")"
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"
NGINX_UP=1
BASE="https://127.0.0.1:$NGINX_PORT"
TLS=(--cacert "$TMP/tls/ca.pem")
curl -sf "${TLS[@]}" "$BASE/ready" >/dev/null || fail "nginx does not reach the nodes"
echo "== cluster: nginx $(nginx -v 2>&1 | sed 's#.*/##') on $BASE (TLS) in front of :$PORT_a and :$PORT_b"

# A cached result made through nginx, for after the restarts.
CACHED='{"ticker":"LONG","strategy":"sma_cross","params":{"fast":7,"slow":70}}'
curl -sf "${TLS[@]}" -H 'content-type: application/json' -d "$CACHED" "$BASE/v1/backtests" >/dev/null

read -r ID T0 <<<"$(run_job "$BASE" "${TLS[@]}")"
# Once a tenth is done, kill the node holding the most leases.
for _ in $(seq 1 600); do
    done_items=$("${PSQL[@]}" -c "SELECT COUNT(*) FROM job_items WHERE job_id = '$ID'")
    [ "$done_items" -ge $((ITEMS / 10)) ] && break
    sleep 0.05
done
VICTIM_ID=$("${PSQL[@]}" -c "SELECT claimed_by FROM job_queue WHERE job_id = '$ID' AND claimed_by IS NOT NULL
    GROUP BY claimed_by ORDER BY COUNT(*) DESC LIMIT 1")
[ -n "$VICTIM_ID" ] || fail "no node holds a lease at $done_items of $ITEMS items"
VICTIM=""
for name in a b; do
    port_var="PORT_$name"
    node=$(curl -sf "http://127.0.0.1:${!port_var}/v1/cluster" | python3 -c 'import json, sys; print(json.load(sys.stdin)["node"])')
    [ "$node" = "$VICTIM_ID" ] && VICTIM=$name
done
[ -n "$VICTIM" ] || fail "lease holder $VICTIM_ID is neither node"
HELD=$("${PSQL[@]}" -c "SELECT COUNT(*) FROM job_queue WHERE claimed_by = '$VICTIM_ID'")
kill -KILL "${PIDS[$VICTIM]}"
T_KILL=$(now)
{ wait "${PIDS[$VICTIM]}"; } 2>/dev/null || true
unset "PIDS[$VICTIM]"
# Until the first of its items is claimed by the other node.
for _ in $(seq 1 600); do
    moved=$("${PSQL[@]}" -c "SELECT COUNT(*) FROM job_queue WHERE job_id = '$ID' AND attempts > 1 AND claimed_by <> '$VICTIM_ID'")
    stored_after=$("${PSQL[@]}" -c "SELECT COUNT(*) FROM job_queue WHERE claimed_by = '$VICTIM_ID'")
    [ "$moved" -gt 0 ] || [ "$stored_after" -eq 0 ] && break
    sleep 0.05
done
T_MOVED=$(now)
TAKEOVER=$(python3 -c "print(f'{$T_MOVED - $T_KILL:.2f}')")
echo "== cluster: killed node $VICTIM (SIGKILL) at $done_items/$ITEMS items, holding $HELD leases; its items ran elsewhere after $TAKEOVER s (lease $LEASE s)"
python3 -c "import sys; sys.exit(0 if $T_MOVED - $T_KILL <= $LEASE + 1.5 else 1)" || fail "take-over took $TAKEOVER s, over the lease + 1 s"
wait_job "$BASE" "$ID" "${TLS[@]}"
T1=$(now)
CLUSTER_S=$(python3 -c "print(f'{$T1 - $T0:.2f}')")

# 4. Every index exactly once, the same results as on one node.
read -r COUNT DISTINCT <<<"$("${PSQL[@]}" -F ' ' -c "SELECT COUNT(*), COUNT(DISTINCT idx) FROM job_items WHERE job_id = '$ID'")"
[ "$COUNT" -eq "$ITEMS" ] && [ "$DISTINCT" -eq "$ITEMS" ] || fail "$COUNT results, $DISTINCT distinct, expected $ITEMS"
results "$BASE" "$ID" "${TLS[@]}" >"$TMP/cluster.json"
cmp -s "$TMP/single.json" "$TMP/cluster.json" || fail "the cluster's results differ from the single node's"
echo "== cluster: $ITEMS results, each index once, identical to the single node's; $ITEMS items in $CLUSTER_S s with a node killed"

# 5. Every node restarts: the job and the cached result are still served.
for name in "${!PIDS[@]}"; do
    kill -TERM "${PIDS[$name]}"
    wait "${PIDS[$name]}" || true
    unset "PIDS[$name]"
done
start_node a "${NODE_FLAGS[@]}"
start_node b "${NODE_FLAGS[@]}"
bash deploy/nginx/render.sh "127.0.0.1:$NGINX_PORT ssl" "$TMP/tls/server.pem" "$TMP/tls/server-key.pem" \
    "127.0.0.1:$PORT_a" "127.0.0.1:$PORT_b" >"$TMP/nginx/backtest.conf"
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -s reload
sleep 0.5
results "$BASE" "$ID" "${TLS[@]}" >"$TMP/after.json"
cmp -s "$TMP/single.json" "$TMP/after.json" || fail "the finished job is not served the same after the restarts"
cached=$(curl -sf "${TLS[@]}" -H 'content-type: application/json' -d "$CACHED" "$BASE/v1/backtests" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["cached"])')
[ "$cached" = "True" ] || fail "the result cached before the restarts was computed again"
echo "== cluster: after restarting every node, the job and the cached result are served through nginx"

# 6. A portfolio search through nginx, across both nodes. One node claims all its units (a claim
# takes up to 64 items and a search has at most 64 units) and stores them 32 at a time, so once
# the first ones are stored that node is killed, and the other one takes the rest over when the
# leases run out.
declare -A NODE_NAME=()
for name in a b; do
    port_var="PORT_$name"
    node=$(curl -sf "http://127.0.0.1:${!port_var}/v1/cluster" | python3 -c 'import json, sys; print(json.load(sys.stdin)["node"])')
    NODE_NAME[$node]=$name
done
BEFORE_a=$(claimed "$PORT_a")
BEFORE_b=$(claimed "$PORT_b")
S0=$(now)
SEARCH_ID=$(submit_search "$BASE" "${TLS[@]}")
UNITS=$("${PSQL[@]}" -c "SELECT total FROM jobs WHERE id = '$SEARCH_ID'")
[ "${UNITS:-0}" -ge 2 ] || fail "the search has ${UNITS:-no} units; it needs two or more to run on two nodes"
for _ in $(seq 1 3000); do
    read -r stored HOLDER_ID <<<"$("${PSQL[@]}" -F ' ' -c "SELECT (SELECT COUNT(*) FROM job_items WHERE job_id = '$SEARCH_ID'),
        (SELECT claimed_by FROM job_queue WHERE job_id = '$SEARCH_ID' AND claimed_by IS NOT NULL
         GROUP BY claimed_by ORDER BY COUNT(*) DESC LIMIT 1)")"
    [ "$stored" -ge 1 ] && break
    sleep 0.01
done
# On a fast machine the holder may store every unit before the kill lands: then the result is
# still checked against the single node's, and the take-over is reported as not exercised.
if [ -z "${HOLDER_ID:-}" ]; then
    [ "${stored:-0}" -ge "$UNITS" ] || fail "no node holds the search's units at ${stored:-0} of $UNITS stored"
    HOLDER_ID=$(curl -sf "http://127.0.0.1:$PORT_a/v1/cluster" | python3 -c 'import json, sys; print(json.load(sys.stdin)["node"])')
fi
HOLDER=${NODE_NAME[$HOLDER_ID]:-}
[ -n "$HOLDER" ] || fail "the search's lease holder $HOLDER_ID is neither node"
OTHER=$([ "$HOLDER" = a ] && echo b || echo a)
OTHER_PORT_VAR="PORT_$OTHER"
OTHER_BEFORE_VAR="BEFORE_$OTHER"
[ "$(claimed "${!OTHER_PORT_VAR}")" -eq "${!OTHER_BEFORE_VAR}" ] || fail "node $OTHER ran units of the search before the kill"
kill -KILL "${PIDS[$HOLDER]}"
{ wait "${PIDS[$HOLDER]}"; } 2>/dev/null || true
unset "PIDS[$HOLDER]"
# A write the killed node sent just before the kill can still commit after it (PostgreSQL
# finishes a statement whose client has gone): the count is read once those have landed, well
# before its leases (3 s) let the other node take anything over.
sleep 0.5
AT_KILL=$("${PSQL[@]}" -c "SELECT COUNT(*) FROM job_items WHERE job_id = '$SEARCH_ID'")
[ "$AT_KILL" -lt "$UNITS" ] || echo "== cluster: note: the search ended on node $HOLDER before the kill; take-over not exercised (make SEARCH_GRID larger)"
search_best "$BASE" "$SEARCH_ID" "${TLS[@]}" >"$TMP/cluster-search.json"
S1=$(now)
SEARCH_CLUSTER_S=$(python3 -c "print(f'{$S1 - $S0:.2f}')")
read -r COUNT DISTINCT <<<"$("${PSQL[@]}" -F ' ' -c "SELECT COUNT(*), COUNT(DISTINCT idx) FROM job_items WHERE job_id = '$SEARCH_ID'")"
[ "$COUNT" -eq "$UNITS" ] && [ "$DISTINCT" -eq "$UNITS" ] || fail "search: $COUNT units stored, $DISTINCT distinct, expected $UNITS"
TAKEN=$(($(claimed "${!OTHER_PORT_VAR}") - ${!OTHER_BEFORE_VAR}))
[ "$TAKEN" -ge $((UNITS - AT_KILL)) ] || fail "node $OTHER claimed $TAKEN units, fewer than the $((UNITS - AT_KILL)) left at the kill"
cmp -s "$TMP/single-search.json" "$TMP/cluster-search.json" ||
    fail "the cluster's search differs from the single node's: $(cat "$TMP/single-search.json") vs $(cat "$TMP/cluster-search.json")"
BEST=$(python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["best"]
print(" ".join(f"{k}={v}" for k, v in sorted(b["params"].items())), "sharpe_ratio %.6f" % b["objective"])' "$TMP/cluster-search.json")
echo "== cluster: a portfolio search through nginx ($SEARCH_COMBINATIONS combinations, $UNITS units): $AT_KILL units on node $HOLDER (killed), $((UNITS - AT_KILL)) on node $OTHER; the single node's best ($BEST), top list and statistics, in $SEARCH_CLUSTER_S s"

# 7. The killed node restarts; a portfolio job through nginx runs on both nodes.
start_node "$HOLDER" "${NODE_FLAGS[@]}"
bash deploy/nginx/render.sh "127.0.0.1:$NGINX_PORT ssl" "$TMP/tls/server.pem" "$TMP/tls/server-key.pem" \
    "127.0.0.1:$PORT_a" "127.0.0.1:$PORT_b" >"$TMP/nginx/backtest.conf"
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -s reload
sleep 0.5
curl -sf "${TLS[@]}" "$BASE/ready" >/dev/null || fail "nginx does not reach the restarted node"
BEFORE_a=$(claimed "$PORT_a")
BEFORE_b=$(claimed "$PORT_b")
read -r PID T0P <<<"$(JOB_FILE="$TMP/portfolios.json" run_job "$BASE" "${TLS[@]}")"
[ -n "$PID" ] || fail "the portfolio job was not accepted"
wait_job "$BASE" "$PID" "${TLS[@]}"
T1P=$(now)
PORTFOLIO_CLUSTER_S=$(python3 -c "print(f'{$T1P - $T0P:.2f}')")
TOTAL_P=$((PORTFOLIOS + 1))
read -r COUNT DISTINCT <<<"$("${PSQL[@]}" -F ' ' -c "SELECT COUNT(*), COUNT(DISTINCT idx) FROM job_items WHERE job_id = '$PID'")"
[ "$COUNT" -eq "$TOTAL_P" ] && [ "$DISTINCT" -eq "$TOTAL_P" ] || fail "portfolio job: $COUNT items stored, $DISTINCT distinct, expected $TOTAL_P"
RAN_a=$(($(claimed "$PORT_a") - BEFORE_a))
RAN_b=$(($(claimed "$PORT_b") - BEFORE_b))
[ "$RAN_a" -gt 0 ] && [ "$RAN_b" -gt 0 ] || fail "the portfolio job ran on one node only (a: $RAN_a items, b: $RAN_b)"
portfolio_results "$BASE" "$PID" "${TLS[@]}" >"$TMP/cluster-portfolios.json"
cmp -s "$TMP/single-portfolios.json" "$TMP/cluster-portfolios.json" || fail "the cluster's portfolio results differ from the single node's"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
bad = r[str(int(sys.argv[2]))]
sys.exit(0 if bad == {"error": "https://backtest.dev/problems/invalid_field", "field": "allocation.weights"} else 1)' "$TMP/cluster-portfolios.json" "$PORTFOLIOS" ||
    fail "the portfolio job's bad entry did not fail as its item naming allocation.weights"
for path in "/v1/jobs/$PID/report" "/v1/jobs/$PID/report?item=0"; do
    type=$(curl -sf "${TLS[@]}" -o /dev/null -w '%{content_type}' "$BASE$path") || fail "GET $path failed"
    case "$type" in text/html*) ;; *) fail "GET $path answered $type" ;; esac
done
echo "== cluster: a job of $PORTFOLIOS portfolios (and a bad one) through nginx: $RAN_a items claimed on node a, $RAN_b on node b; each index once, the single node's results; its page and an item's page served; in $PORTFOLIO_CLUSTER_S s"
echo "cluster: PASSED ($ITEMS items: single node $SINGLE_S s, two nodes with one killed $CLUSTER_S s; take-over $TAKEOVER s; portfolio search: single node $SEARCH_SINGLE_S s, two nodes with one killed $SEARCH_CLUSTER_S s; $PORTFOLIOS portfolios: single node $PORTFOLIO_SINGLE_S s, two nodes $PORTFOLIO_CLUSTER_S s)"
