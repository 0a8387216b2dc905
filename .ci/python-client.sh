#!/usr/bin/env bash
# The Python client (clients/python): its pytest suite against real `backtest serve` processes.
#
# Usage: bash .ci/python-client.sh PATH/TO/backtest
#
#   1. A virtual environment at .build/python-client-venv with the pinned requirements below,
#      reused while its stamp matches them (and clients/python/pyproject.toml); the package
#      itself, ./clients/python[test,pandas,progress], is reinstalled on every run (no build
#      isolation, so nothing is downloaded when the environment is reused).
#   2. pytest in clients/python/tests with BACKTEST_BIN=the binary: the users' old example
#      script with only its import changed, retries and backoff against local fakes, dead
#      servers, timeouts, failover between two servers, the resolution order (config file,
#      discovery command), TLS with `backtest cert init`, API keys, run_job over SSE,
#      results_frame, the async client; what `import backtest_client` loads (no httpx, ssl,
#      pandas or tqdm) and the synchronous client's own HTTP/1.1 transport
#      (tests/test_transport.py); searches (optimize: grids, heatmap, top, reports, retries,
#      walk-forward, several tickers), Report inline, portfolios and portfolio searches
#      (optimize(portfolio=…): tests/test_portfolio_search.py; portfolios skipped while the
#      server has no POST /v1/portfolios), portfolio jobs (run_portfolios:
#      tests/test_portfolio_jobs.py); and the tutorial notebook
#      clients/python/examples/research.ipynb run top to bottom with nbclient against a live
#      server (tests/test_notebook.py: no cell errors, the report cell is the sandboxed iframe,
#      the heatmap has the grid's shape; about 5 s).
#
# Only 127.0.0.1 is used, on ports the OS picks. Prints `N passed, N failed` last; exits
# non-zero on any failure. Bounded: the suite is killed after 100 s.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: bash .ci/python-client.sh PATH/TO/backtest" >&2
    exit 2
fi
[ -x "$1" ] || { echo "python-client: $1 is not an executable" >&2; exit 2; }
BIN=$(realpath "$1")
cd "$(dirname "$0")/.."
VENV=$PWD/.build/python-client-venv
STAMP="$VENV/.python-client-requirements"
# Pinned: the package's own ranges (pyproject.toml) allow these.
PINS="hatchling==1.27.0 httpx==0.28.1 pytest==8.3.5 pytest-timeout==2.4.0 pandas==2.2.3 tqdm==4.67.1 nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0"
REQUIREMENTS="$PINS pyproject:$(sha256sum clients/python/pyproject.toml | cut -c1-16) $(python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')"
LIMIT=100

# ---- 1. the virtual environment ---------------------------------------------------------------
venv_ok() {
    [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$REQUIREMENTS" ] &&
        "$VENV/bin/python" -c 'import httpx, pytest, pandas, tqdm, hatchling, nbclient, nbformat, ipykernel' 2>/dev/null
}
if venv_ok; then
    echo "== python-client: reusing $VENV"
else
    echo "== python-client: installing $PINS into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PINS
    echo "$REQUIREMENTS" >"$STAMP"
    venv_ok || { echo "python-client: the virtual environment does not import its requirements" >&2; exit 1; }
fi
# The package itself, built and installed afresh each run, offline: its requirements (the
# extras included) must already be in the environment, else pip fails here and says which.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-index \
    "./clients/python[test,pandas,progress]"
echo "== python-client: $("$VENV/bin/python" --version), backtest-client $("$VENV/bin/python" -c 'import backtest_client; print(backtest_client.__version__)'), binary $BIN"

# ---- 2. the suite ---------------------------------------------------------------------------------
LOGS=$PWD/.build/python-client-last
rm -rf "$LOGS"
mkdir -p "$LOGS"
set +e
(
    cd clients/python &&
        exec env BACKTEST_BIN="$BIN" PYTHONDONTWRITEBYTECODE=1 timeout --kill-after=10 "$LIMIT" \
            "$VENV/bin/python" -m pytest -p no:cacheprovider -q --junitxml="$LOGS/junit.xml" \
            --basetemp="$LOGS/tmp" tests
) 2>&1 | tee "$LOGS/pytest.out"
STATUS=${PIPESTATUS[0]}
set -e
rm -rf "$LOGS/tmp"
if [ "$STATUS" -eq 124 ] || [ "$STATUS" -eq 137 ]; then
    echo "python-client: the suite overran ${LIMIT} s and was killed"
fi

# The closing line, from the JUnit report: N passed, N failed.
python3 .ci/junit-summary.py "$LOGS/junit.xml" "$STATUS" python-client
