#!/usr/bin/env bash
# The deployment checks: the systemd unit and the VM tooling, with no cloud.
#
# Usage: bash .ci/deploy-tests.sh [PATH/TO/backtest]
#
#   1. systemd-analyze (Debian's systemd package; installed with apt-get when missing):
#      `verify` on deploy/systemd/backtest.service as shipped, with and without the low-port
#      drop-in, and `security --offline` as a hardening floor (deploy/tests/test_systemd_unit.py).
#   2. The fake-gcloud suite (deploy/tests, pytest in .build/deploy-venv): every verb of
#      deploy/gcp/manage_vm.sh with its exact gcloud commands, --dry-run, the refusals
#      (--allow-from, no gcloud, no login, unknown VM), the VM side (deploy/gcp/startup.sh:
#      provisioning, certificates after an IP change, rollback), and re-discovery after an
#      IP change. With a backtest binary, also its `config set` / `cert init` and a TLS batch
#      against 127.0.0.2 then 127.0.0.3 (skipped, saying so, when the binary lacks them).
#      With a real gcloud installed, every command --dry-run prints is parsed by it, in a
#      network namespace with no network (skipped otherwise).
#
# Only 127.0.0.1/8 is used; no cloud is contacted. Prints `N passed, N failed` last; exits
# non-zero on any failure. Bounded: the suite is killed after 110 s.
set -euo pipefail

if [ $# -gt 1 ]; then
    echo "usage: bash .ci/deploy-tests.sh [PATH/TO/backtest]" >&2
    exit 2
fi
BIN=""
if [ $# -eq 1 ]; then
    [ -x "$1" ] || { echo "deploy-tests: $1 is not an executable" >&2; exit 2; }
    BIN=$(realpath "$1")
fi
cd "$(dirname "$0")/.."
PYTEST_VERSION=8.3.5
VENV=$PWD/.build/deploy-venv
STAMP="$VENV/.deploy-requirements"
REQUIREMENTS="pytest==$PYTEST_VERSION"
LIMIT=110

# ---- 1. systemd-analyze ---------------------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "== deploy: systemd-analyze missing: installing Debian's systemd package"
    command -v apt-get >/dev/null 2>&1 || { echo "deploy-tests: no systemd-analyze and no apt-get to install it" >&2; exit 1; }
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
echo "== deploy: $(systemd-analyze --version | head -1)"

# ---- 2. the virtual environment ---------------------------------------------------------------
venv_ok() {
    [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$REQUIREMENTS" ] &&
        "$VENV/bin/python" -c 'import pytest' 2>/dev/null
}
if venv_ok; then
    echo "== deploy: reusing $VENV ($REQUIREMENTS)"
else
    echo "== deploy: installing $REQUIREMENTS into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$REQUIREMENTS"
    echo "$REQUIREMENTS" >"$STAMP"
    venv_ok || { echo "deploy-tests: the virtual environment does not import pytest" >&2; exit 1; }
fi

# ---- 3. the suite -------------------------------------------------------------------------------
LOGS=$PWD/.build/deploy-last
rm -rf "$LOGS"
mkdir -p "$LOGS"
if [ -n "$BIN" ]; then
    echo "== deploy: fake-gcloud suite, backtest binary $BIN"
else
    echo "== deploy: fake-gcloud suite, no backtest binary (its assertions are skipped)"
fi
set +e
(
    cd deploy/tests &&
        exec env BACKTEST_BIN="$BIN" PYTHONDONTWRITEBYTECODE=1 timeout --kill-after=10 "$LIMIT" \
            "$VENV/bin/python" -m pytest -p no:cacheprovider -q --junitxml="$LOGS/junit.xml" \
            --basetemp="$LOGS/tmp" .
) 2>&1 | tee "$LOGS/pytest.out"
STATUS=${PIPESTATUS[0]}
set -e
rm -rf "$LOGS/tmp"
if [ "$STATUS" -eq 124 ] || [ "$STATUS" -eq 137 ]; then
    echo "deploy-tests: the suite overran ${LIMIT} s and was killed"
fi

# The closing line, from the JUnit report: N passed, N failed.
python3 .ci/junit-summary.py "$LOGS/junit.xml" "$STATUS" deploy
