#!/usr/bin/env bash
# The Python client's start-up (issue 23, item 5): `import backtest_client` over `python -c pass`,
# and a 60-ticker run_batch_backtests as a whole process over the import, for the working tree's
# package and, with a git REF, that commit's package, side by side in one run against one
# running server (Benchmarks/python_client_startup.py does the rounds).
#
# Usage: bash Benchmarks/python-client-startup.sh [PATH/TO/backtest] [ROUNDS] [REF]
#        (defaults: .build/release/backtest, 30 rounds, no REF)
#
# Needs .build/python-client-venv (made by .ci/python-client.sh, which is run when it is missing);
# the packages compared are copied, compiled and put first on PYTHONPATH, so the one installed
# there does not matter.
# Only 127.0.0.1 is used; the server started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/backtest}")
ROUNDS=${2:-30}
REF=${3:-}
VENV=$PWD/.build/python-client-venv
[ -x "$VENV/bin/python" ] || bash .ci/python-client.sh "$BIN"

# shellcheck source=Benchmarks/cli-commands.sh
source Benchmarks/cli-commands.sh
cli_server "$BIN"

# Each version is copied and compiled to byte code first, as an installed package is.
VERSIONS=()
if [ -n "$REF" ]; then
    mkdir -p "$WORK/before"
    git archive "$REF" clients/python/src | tar -x -C "$WORK/before"
    VERSIONS+=("$REF=$WORK/before/clients/python/src")
fi
mkdir -p "$WORK/after"
cp -r clients/python/src "$WORK/after/"
rm -rf "$WORK/after/src/backtest_client/__pycache__"
VERSIONS+=("working tree=$WORK/after/src")
"$VENV/bin/python" -m compileall -q "$WORK"/*/
echo "== server $URL ($BIN); $("$VENV/bin/python" --version); httpx $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("httpx"))')"
python3 Benchmarks/python_client_startup.py "$VENV/bin/python" "$URL" "$ROUNDS" "${VERSIONS[@]}"
