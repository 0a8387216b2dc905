#!/usr/bin/env bash
# The release binary on a bare Debian 12: no Swift toolchain, no Swift libraries.
#
# Usage: bash .ci/bare-debian.sh PATH/TO/backtest
#
# Makes a minimal Debian 12 root with debootstrap (--variant=minbase, from the machine's own
# Debian mirror; cached in $BACKTEST_DEBIAN_ROOT, default /var/cache/backtest-ci/debian-12-minbase,
# so a warm machine skips it), checks it holds no Swift library, copies the binary and its
# *.resources folders in, and inside a chroot runs: --help, a local backtest, `cert init`,
# `serve` with TLS and an API key on 127.0.0.1 (port 0), then `health` and a two-ticker
# `batch` against it over https with the private CA. Needs root (chroot, mount).
set -euo pipefail
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: bash .ci/bare-debian.sh PATH/TO/backtest" >&2; exit 2; }
BIN=$(realpath "$1")
ROOT=${BACKTEST_DEBIAN_ROOT:-/var/cache/backtest-ci/debian-12-minbase}
[ "$(id -u)" -eq 0 ] || { echo "bare-debian: needs root (debootstrap, chroot, mount)" >&2; exit 1; }

if [ ! -f "$ROOT/.backtest-ci-complete" ]; then
    if ! command -v debootstrap >/dev/null 2>&1; then
        echo "== bare-debian: installing debootstrap"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    fi
    # The mirror this machine's apt uses (deb822 or one-line sources), else Debian's own.
    MIRROR=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
    [ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" && $2 ~ /\/debian$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
    echo "== bare-debian: debootstrap --variant=minbase bookworm $ROOT $MIRROR"
    rm -rf "$ROOT"
    mkdir -p "$(dirname "$ROOT")"
    debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$(dirname "$ROOT")/debootstrap.log" 2>&1 ||
        { tail -20 "$(dirname "$ROOT")/debootstrap.log"; echo "bare-debian: debootstrap failed" >&2; exit 1; }
    touch "$ROOT/.backtest-ci-complete"
else
    echo "== bare-debian: reusing $ROOT"
fi
echo "== bare-debian: $(cat "$ROOT/etc/debian_version" | sed 's/^/Debian /'), $(du -sh "$ROOT" | cut -f1)"

APP=$ROOT/opt/backtest
rm -rf "$APP" "$ROOT/tmp/backtest-ci"
swift_libraries=$(find "$ROOT" \( -name 'libswift*' -o -name 'libFoundation*' -o -name 'libdispatch*' \) -print | head -5)
[ -z "$swift_libraries" ] || { echo "bare-debian: the root has Swift libraries: $swift_libraries" >&2; exit 1; }
mkdir -p "$APP" "$ROOT/tmp/backtest-ci"
cp "$BIN" "$APP/backtest"
for resources in "$(dirname "$BIN")"/*.resources; do [ -e "$resources" ] && cp -r "$resources" "$APP/"; done

mount -t proc proc "$ROOT/proc"   # Foundation reads the arguments from /proc/self/cmdline
SERVER=""
cleanup() {
    [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
    umount "$ROOT/proc" 2>/dev/null || true
}
trap cleanup EXIT
inside() { chroot "$ROOT" /usr/bin/env -i HOME=/tmp/backtest-ci PATH=/usr/bin:/bin /opt/backtest/backtest "$@"; }

echo "== bare-debian: backtest --help"
inside --help | head -3
echo "== bare-debian: a local backtest on the bundled data"
inside run --ticker AAPL --strategy sma_cross --start 2020-01-01 --end 2020-12-31 | tee "$ROOT/tmp/backtest-ci/run.out" | head -8
grep -q "Return" "$ROOT/tmp/backtest-ci/run.out" || { echo "bare-debian: no statistics from backtest run" >&2; exit 1; }

echo "== bare-debian: cert init, serve with TLS, health and batch over https"
inside cert init --host 127.0.0.1 --out /tmp/backtest-ci/tls | head -2
echo "ci-key-0123456789abcdef" >"$ROOT/tmp/backtest-ci/keys"
chmod 0400 "$ROOT/tmp/backtest-ci/keys"
# Started directly (not through a function's subshell): chroot and env exec, so $! is the server.
chroot "$ROOT" /usr/bin/env -i HOME=/tmp/backtest-ci PATH=/usr/bin:/bin /opt/backtest/backtest serve --port 0 --tls-cert /tmp/backtest-ci/tls/server.pem --tls-key /tmp/backtest-ci/tls/server-key.pem \
    --api-key-file /tmp/backtest-ci/keys --db /tmp/backtest-ci/db.sqlite >"$ROOT/tmp/backtest-ci/serve.out" 2>"$ROOT/tmp/backtest-ci/serve.err" &
SERVER=$!
URL=""
for _ in $(seq 1 100); do
    URL=$(sed -n '1s/^listening on \(https:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$ROOT/tmp/backtest-ci/serve.out")
    [ -z "$URL" ] || break
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.1
done
[ -n "$URL" ] || { cat "$ROOT/tmp/backtest-ci/serve.err"; echo "bare-debian: serve did not print 'listening on https://127.0.0.1:PORT'" >&2; exit 1; }
echo "server: $URL"
remote=(--server "$URL" --ca-cert /tmp/backtest-ci/tls/ca.pem --api-key ci-key-0123456789abcdef)
inside health "${remote[@]}"
inside batch AAPL MSFT --start 2020-01-01 --end 2020-12-31 "${remote[@]}" | tail -2
kill -TERM "$SERVER"
wait "$SERVER" || { echo "bare-debian: serve did not stop cleanly on SIGTERM" >&2; exit 1; }
SERVER=""
echo "bare-debian: passed"
