#!/usr/bin/env bash
# A client generated from the live OpenAPI document works: what a user of another language
# does first (download GET /openapi.json, run a generator), checked end to end.
#
# Usage: bash .ci/generated-client.sh PATH/TO/backtest
#
#   1. openapi-python-client (pinned, from PyPI) in a virtual environment at
#      .build/openapi-gen-venv, created only when absent or not the pinned version.
#   2. Starts `backtest serve` on 127.0.0.1 (a free port, a throw-away database, a random API
#      key) and downloads /openapi.json.
#   3. Generates the client (--fail-on-warning; the generator's ruff post-hooks run): any
#      warning ("Unable to process schema", "Unsupported content type", a skipped
#      integration) fails the script.
#   4. Tools/generated-client/smoke.py imports every generated module and calls every
#      operation once against the server, each reply parsed into its generated type: the
#      strategies, a backtest, a batch in both body forms, a portfolio, a report, an upload,
#      a job and a search followed to done with their events, reports, heatmap, cancel and
#      delete (about 10 s).
#
# The generated client and the logs stay in .build/generated-client-last/. Exits non-zero
# on any warning or failed call. Only 127.0.0.1 is used.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: bash .ci/generated-client.sh PATH/TO/backtest" >&2
    exit 2
fi
[ -x "$1" ] || { echo "generated-client: $1 is not an executable" >&2; exit 2; }
BIN=$(realpath "$1")
cd "$(dirname "$0")/.."
GENERATOR_VERSION=0.29.1
VENV=$PWD/.build/openapi-gen-venv
OUT=$PWD/.build/generated-client-last
LIMIT=60                                   # the smoke script is killed past this

# ---- 1. the generator ---------------------------------------------------------------------
generator_ok() {
    [ -x "$VENV/bin/openapi-python-client" ] &&
        [ "$("$VENV/bin/openapi-python-client" --version 2>/dev/null)" = "openapi-python-client version: $GENERATOR_VERSION" ]
}
if generator_ok; then
    echo "== generated-client: reusing $VENV (openapi-python-client $GENERATOR_VERSION)"
else
    echo "== generated-client: installing openapi-python-client==$GENERATOR_VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "openapi-python-client==$GENERATOR_VERSION"
    generator_ok || { echo "generated-client: the virtual environment has no openapi-python-client $GENERATOR_VERSION" >&2; exit 1; }
fi

# ---- 2. the server ------------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/backtest-genclient.XXXXXX")
SERVER_PID=""
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

KEY=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
printf '%s\n' "$KEY" >"$TMP/keys"
chmod 600 "$TMP/keys"
env -u BACKTEST_API_KEYS -u BACKTEST_DATA_DIR -u BACKTEST_HOST -u BACKTEST_PORT -u BACKTEST_DB \
    -u BACKTEST_WORKERS -u BACKTEST_QUEUE_LIMIT -u BACKTEST_CACHE_MAX_RESULTS -u BACKTEST_JOB_RETENTION_HOURS \
    "$BIN" serve --host 127.0.0.1 --port 0 --db "$TMP/server.sqlite" --api-key-file "$TMP/keys" \
    >"$TMP/server.out" 2>"$OUT/server.log" &
SERVER_PID=$!
port=""
for _ in $(seq 1 300); do                  # up to 30 s
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "generated-client: the server exited during start-up:" >&2; cat "$OUT/server.log" >&2; exit 1; }
    port=$(sed -n '1s#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$TMP/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "generated-client: no 'listening on' line within 30 s" >&2; cat "$OUT/server.log" >&2; exit 1; }
BASE="http://127.0.0.1:$port"
curl -sS --fail-with-body --max-time 10 -H "Authorization: Bearer $KEY" "$BASE/openapi.json" -o "$OUT/openapi.json"
echo "== generated-client: server pid $SERVER_PID at $BASE; document $(wc -c <"$OUT/openapi.json") bytes"

# ---- 3. generation ------------------------------------------------------------------------
# The venv's bin first: the generator's post-hooks run its own ruff.
set +e
(cd "$OUT" && PATH="$VENV/bin:$PATH" "$VENV/bin/openapi-python-client" generate --path openapi.json \
    --output-path "$OUT/backtest_server_client" --meta none --fail-on-warning) >"$OUT/generate.log" 2>&1
GEN_STATUS=$?
set -e
cat "$OUT/generate.log"
WARNINGS=$(grep -ciE 'warning|unable to|unsupported|skipping|error' "$OUT/generate.log" || true)
if [ "$GEN_STATUS" -ne 0 ] || [ "$WARNINGS" -ne 0 ]; then
    echo "generated-client: FAILED: openapi-python-client $GENERATOR_VERSION exit $GEN_STATUS, $WARNINGS warning line(s)"
    exit 1
fi
echo "== generated-client: openapi-python-client $GENERATOR_VERSION: $(find "$OUT/backtest_server_client" -name '*.py' | wc -l) modules, 0 warnings"

# ---- 4. every operation once --------------------------------------------------------------
started=$SECONDS
SMOKE_STATUS=0
PYTHONPATH="$OUT" BACKTEST_KEY="$KEY" timeout --kill-after=5 "$LIMIT" \
    "$VENV/bin/python" Tools/generated-client/smoke.py backtest_server_client "$BASE" || SMOKE_STATUS=$?
if [ "$SMOKE_STATUS" -ne 0 ]; then
    echo "generated-client: FAILED: the smoke script exited $SMOKE_STATUS after $((SECONDS - started)) s (124: killed at ${LIMIT} s; server log: $OUT/server.log)"
    exit 1
fi
echo "generated-client: PASSED: 0 generator warnings; smoke in $((SECONDS - started)) s"
