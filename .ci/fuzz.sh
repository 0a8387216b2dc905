#!/usr/bin/env bash
# Fuzz the live server's HTTP API with Schemathesis against its own OpenAPI document.
#
# Usage: bash .ci/fuzz.sh PATH/TO/backtest [SECONDS]
#
#   1. Python tools: a virtual environment at .build/fuzz-venv with pinned Schemathesis and
#      openapi-spec-validator (installed once; a warm machine reuses it).
#   2. Starts `backtest serve` on 127.0.0.1 with a free port, a throw-away database and a
#      random API key; stops it and removes the temporary files on exit.
#   3. Fetches /openapi.json (with the key) and validates it with openapi-spec-validator.
#   4. Runs Schemathesis on every operation for SECONDS (default 150; the run is killed
#      after 180 s) with every check (`--checks all`) but the exceptions listed, each for
#      one operation and one check with its reason, in .ci/schemathesis.toml. Each failure
#      prints a curl command that reproduces it.
#   5. Checks the key gate: every secured operation in the document answers 401 without a
#      key and with a wrong one; /health and /ready answer 200 without a key (on a fresh
#      server if the fuzzing crashed the first one).
#   6. Stops the fuzzed server with SIGTERM: it must exit 0 within 15 s.
#
# Prints one closing summary line and exits non-zero on any failure. The logs of the last
# run (Schemathesis output, JUnit report, server log, the document) stay in
# .build/fuzz-last/. Only 127.0.0.1 is used.
set -euo pipefail

# ---- arguments and constants ------------------------------------------------------------
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: bash .ci/fuzz.sh PATH/TO/backtest [seconds]" >&2
    exit 2
fi
BIN=$(realpath "$1")                       # absolute: we cd to the repository below
BUDGET=${2:-150}                           # Schemathesis' time budget (--max-time)
HARD_LIMIT=180                             # the Schemathesis run is killed past this
# Schemathesis finishes the scenarios in flight (and shrinks failures) after the budget is
# spent, so the budget must leave room below the hard limit.
if ! [[ "$BUDGET" =~ ^[0-9]+$ ]] || [ "$BUDGET" -lt 10 ] || [ "$BUDGET" -gt 160 ]; then
    echo "fuzz: seconds must be a whole number in 10...160 (the run is killed at ${HARD_LIMIT} s), got '$BUDGET'" >&2
    exit 2
fi
[ -x "$BIN" ] || { echo "fuzz: $BIN is not an executable" >&2; exit 2; }

cd "$(dirname "$0")/.."
SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
SEED=20250101                              # fixed: the same inputs every run
VENV=$PWD/.build/fuzz-venv
STAMP="$VENV/.fuzz-requirements"           # records what the venv was built with
REQUIREMENTS="schemathesis==$SCHEMATHESIS_VERSION openapi-spec-validator==$VALIDATOR_VERSION"
LOGS=$PWD/.build/fuzz-last                 # kept after the run, for reading or CI artifacts

# ---- 1. the virtual environment ---------------------------------------------------------
# Reused when its stamp names the same pinned versions and both packages import.
venv_ok() {
    [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$REQUIREMENTS" ] &&
        "$VENV/bin/python" -c 'import schemathesis, openapi_spec_validator' 2>/dev/null
}
if venv_ok; then
    echo "== fuzz: reusing $VENV ($REQUIREMENTS)"
else
    echo "== fuzz: installing $REQUIREMENTS into $VENV"
    started=$SECONDS
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086  # REQUIREMENTS is a list of words on purpose
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $REQUIREMENTS
    echo "$REQUIREMENTS" >"$STAMP"
    venv_ok || { echo "fuzz: the virtual environment does not import schemathesis" >&2; exit 1; }
    echo "   installed in $((SECONDS - started)) s"
fi

# ---- 2. the server ----------------------------------------------------------------------
rm -rf "$LOGS"
mkdir -p "$LOGS"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/backtest-fuzz.XXXXXX")
SERVER_PID=""

# stop_server: SIGTERM (graceful drain), SIGKILL if still there after STOP_LIMIT seconds.
# Sets STOP_TENTHS (tenths of a second it took) and STOP_STATUS (the server's exit status).
STOP_LIMIT=15
stop_server() {
    STOP_TENTHS=0 STOP_STATUS=0
    [ -n "$SERVER_PID" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        while kill -0 "$SERVER_PID" 2>/dev/null && [ "$STOP_TENTHS" -lt $((STOP_LIMIT * 10)) ]; do
            sleep 0.1
            STOP_TENTHS=$((STOP_TENTHS + 1))
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || STOP_STATUS=$?
    SERVER_PID=""
}
ST_PID="" TAIL_PID=""                      # the Schemathesis run and its live output
cleanup() {
    local status=$?
    if [ -n "$ST_PID" ]; then kill -TERM "$ST_PID" 2>/dev/null || true; wait "$ST_PID" 2>/dev/null || true; fi
    if [ -n "$TAIL_PID" ]; then kill "$TAIL_PID" 2>/dev/null || true; fi
    stop_server
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

KEY=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
printf '%s\n' "$KEY" >"$TMP/keys"
chmod 600 "$TMP/keys"

# start_server NAME: starts the server with a fresh database, logging to $LOGS/NAME.log;
# sets SERVER_PID and BASE.
start_server() {
    local name=$1 port=""
    # Environment variables would add keys or change the data served: clear them.
    env -u BACKTEST_API_KEYS -u BACKTEST_DATA_DIR -u BACKTEST_HOST -u BACKTEST_PORT -u BACKTEST_DB \
        -u BACKTEST_WORKERS -u BACKTEST_QUEUE_LIMIT -u BACKTEST_CACHE_MAX_RESULTS \
        -u BACKTEST_JOB_RETENTION_HOURS \
        "$BIN" serve --host 127.0.0.1 --port 0 --db "$TMP/$name.sqlite" --api-key-file "$TMP/keys" \
        --queue-limit 64 --max-combinations 20000 >"$TMP/$name.out" 2>"$LOGS/$name.log" &
    SERVER_PID=$!
    # The first stdout line is `listening on http://HOST:PORT`.
    for _ in $(seq 1 300); do              # up to 30 s
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "fuzz: the server exited during start-up:" >&2
            cat "$TMP/$name.out" "$LOGS/$name.log" >&2
            exit 1
        fi
        port=$(sed -n '1s#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$TMP/$name.out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "fuzz: no 'listening on http://127.0.0.1:PORT' line within 30 s:" >&2
        cat "$TMP/$name.out" "$LOGS/$name.log" >&2
        exit 1
    fi
    BASE="http://127.0.0.1:$port"
    echo "== fuzz: server pid $SERVER_PID at $BASE (log: $LOGS/$name.log)"
}

# crash_report LOG: the fatal error and the crashed thread's frames from a Swift backtrace.
crash_report() {
    grep -m3 -E 'Fatal error|Program crashed' "$1" || true
    sed -n '/ crashed:$/,/^\.\.\.$/p' "$1" | head -25
}

start_server server

# ---- 3. the OpenAPI document ------------------------------------------------------------
if ! curl -sS --fail-with-body --max-time 10 -H "Authorization: Bearer $KEY" "$BASE/openapi.json" \
    -o "$LOGS/openapi.json"; then
    echo; echo "fuzz: FAILED: GET /openapi.json with the key did not answer 200"
    exit 1
fi
echo "== fuzz: validating the OpenAPI document ($(wc -c <"$LOGS/openapi.json") bytes)"
if ! "$VENV/bin/openapi-spec-validator" --validation-errors all "$LOGS/openapi.json" >"$TMP/validator.out" 2>&1; then
    cat "$TMP/validator.out"
    echo "fuzz: FAILED: /openapi.json is not a valid OpenAPI document"
    exit 1
fi
cat "$TMP/validator.out"

# ---- 4. Schemathesis --------------------------------------------------------------------
# - every operation; all four phases: the document's examples, coverage (boundary and
#   invalid values of every keyword), random fuzzing, and stateful sequences (links are
#   inferred from Location headers: POST /v1/jobs -> GET/DELETE /v1/jobs/{id}, .../events);
# - --mode all: schema-valid and schema-invalid input (negative_data_rejection needs both);
# - 1 worker: with 2, Hypothesis' strategy descriptions race on a shared cache in
#   Schemathesis' generator threads ("Inconsistent results" raised while drawing, not a
#   server reply; seen in CI), and the server needs a core anyway;
# - --max-time bounds the run; `timeout` kills it if it overruns the hard limit anyway;
# - --request-timeout: no request holds a worker longer (an event stream is read until it
#   ends or this passes; one that never ends shows up at shutdown, step 6);
# - nothing carried over between runs, so the seed decides: no example database, the
#   failure cache off (.ci/schemathesis.toml, which also keeps any other config out), and the
#   run's working directory (.hypothesis/ and .schemathesis/) is the temporary one.
# Checks: all of them (`--checks all`): every response documented (status, content type,
# headers, body schema; the events of the SSE stream too), no 5xx, schema-invalid input
# refused with a 4xx and schema-valid input accepted, 405 and Allow for undocumented
# methods, a request without the key not served, a created resource readable and a deleted
# one gone. The exceptions, each limited to one operation and one check with its reason,
# are listed in one place: .ci/schemathesis.toml (which also turns the failure cache off and
# turns every check on). There is no --checks option: the command line's checks override
# the config file's per-operation ones, so `--checks all` would undo the exceptions.
# shellcheck disable=SC2054  # the commas are in option values, not between elements
ST_CMD=(
    "$VENV/bin/schemathesis" --config-file "$PWD/.ci/schemathesis.toml" run "$LOGS/openapi.json"
    --url "$BASE"
    --header "Authorization: Bearer $KEY"
    --phases examples,coverage,fuzzing,stateful
    --mode all
    --workers 1
    --seed "$SEED"
    --max-time "$BUDGET"
    --request-timeout 10
    --generation-database none
    --suppress-health-check too_slow
    --report junit --report-junit-path "$LOGS/junit.xml"
    --no-color
)
echo "== fuzz: schemathesis $SCHEMATHESIS_VERSION, seed $SEED, ${BUDGET} s budget (killed at ${HARD_LIMIT} s)"
echo "   ${ST_CMD[*]//"$KEY"/KEY}"
started=$SECONDS
# In the background, so that a signal to this script ends the run at once (the traps run
# during `wait`); `tail` shows the output as it comes. A caller's SCHEMATHESIS_HOOKS must
# not change the run.
(cd "$TMP" && exec env -u SCHEMATHESIS_HOOKS timeout --kill-after=10 "$HARD_LIMIT" "${ST_CMD[@]}") \
    >"$LOGS/schemathesis.out" 2>&1 &
ST_PID=$!
tail -n +1 -f --pid="$ST_PID" "$LOGS/schemathesis.out" &
TAIL_PID=$!
ST_STATUS=0
wait "$ST_PID" || ST_STATUS=$?
ST_PID=""
wait "$TAIL_PID" || true
TAIL_PID=""
ST_SECONDS=$((SECONDS - started))
if [ "$ST_STATUS" -eq 124 ] || [ "$ST_STATUS" -eq 137 ]; then
    echo "fuzz: schemathesis overran the ${HARD_LIMIT} s hard limit and was killed"
fi

# The server must have survived the fuzzing; if it crashed, say why and use a fresh one.
SERVER_STATE=up
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    SERVER_STATE=CRASHED
    echo "fuzz: the server died during the fuzzing (full log: $LOGS/server.log):"
    crash_report "$LOGS/server.log"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    start_server server-auth
fi

# ---- 5. the key gate --------------------------------------------------------------------
echo "== fuzz: API key gate (401 without or with a wrong key; /health and /ready open)"
set +e
"$VENV/bin/python" .ci/fuzz_auth.py "$LOGS/openapi.json" "$BASE"
AUTH_STATUS=$?
set -e

# ---- 6. graceful shutdown ---------------------------------------------------------------
# After the fuzzing the server must still stop cleanly on SIGTERM: promptly (no request or
# event stream left hanging, which would hold the drain) and with exit status 0 (no crash
# on the way out, e.g. a failed assertion in a debug build).
SHUTDOWN=ok
if [ "$SERVER_STATE" = up ]; then
    # What the server was doing when asked to stop: shown should the stop fail.
    curl -sS --max-time 5 -H "Authorization: Bearer $KEY" "$BASE/health" >"$LOGS/before-stop.txt" 2>&1 || true
    echo >>"$LOGS/before-stop.txt"
    curl -sS --max-time 5 -H "Authorization: Bearer $KEY" "$BASE/v1/jobs?limit=5" >>"$LOGS/before-stop.txt" 2>&1 || true
    stop_server
    stop_text="$((STOP_TENTHS / 10)).$((STOP_TENTHS % 10)) s, exit status $STOP_STATUS"
    if [ "$STOP_TENTHS" -ge $((STOP_LIMIT * 10)) ] || [ "$STOP_STATUS" -ne 0 ]; then
        SHUTDOWN="FAILED ($stop_text)"
        echo "fuzz: the server did not stop cleanly on SIGTERM ($stop_text; limit ${STOP_LIMIT} s);" \
            "connections still open at the end are a likely cause. Log: $LOGS/server.log"
        crash_report "$LOGS/server.log"
        grep -m3 -E 'Assertion failed|Precondition failed' "$LOGS/server.log" || true
        echo "fuzz: /health and the latest jobs when SIGTERM was sent:"
        cut -c1-2000 "$LOGS/before-stop.txt"
        echo; echo "fuzz: the server log's last lines:"
        tail -n 20 "$LOGS/server.log" | cut -c1-400
    else
        SHUTDOWN="ok ($stop_text)"
    fi
    echo "== fuzz: graceful shutdown $SHUTDOWN"
else
    SHUTDOWN="not checked (crashed)"
fi

# ---- summary ----------------------------------------------------------------------------
# Schemathesis' own closing line, e.g. "=== 3 failures, 2 warnings in 45.87s ===".
ST_SUMMARY=$(grep -E '^=+ .* in [0-9.]+s =+$' "$LOGS/schemathesis.out" | tail -1 | sed -E 's/^=+ (.*) =+$/\1/' || true)
RESULT=PASSED
if [ "$ST_STATUS" -ne 0 ] || [ "$AUTH_STATUS" -ne 0 ] || [ "$SERVER_STATE" != up ] || [ "${SHUTDOWN%% *}" != ok ]; then
    RESULT=FAILED
fi
echo "fuzz: $RESULT: document valid; schemathesis exit $ST_STATUS (${ST_SUMMARY:-no summary}) in ${ST_SECONDS} s;" \
    "key gate $([ "$AUTH_STATUS" -eq 0 ] && echo ok || echo FAILED); server $SERVER_STATE; shutdown $SHUTDOWN"
[ "$RESULT" = PASSED ]
