#!/usr/bin/env bash
# Load benchmark of POST /v1/backtests (sma_cross 10/30, one year of AAPL daily bars,
# cache disabled) at 8 and 32 keep-alive connections on 127.0.0.1, with the server's
# peak RSS. Needs wrk (apt-get install wrk) and a release build:
#
#   flock /tmp/swift-build.lock swift build -c release --product backtest
#   Benchmarks/server-load.sh [DURATION_SECONDS]
#
# Env: BACKTEST_BIN (default .build/release/backtest), CONNECTIONS (default "8 32"),
# WRK_THREADS (default 2), WORKERS (server --workers, default: cores), TLS=1 (serve HTTPS
# with a certificate from `backtest cert init`; wrk keeps its connections, so this measures
# encryption, not handshakes).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
bin="${BACKTEST_BIN:-.build/release/backtest}"
connections="${CONNECTIONS:-8 32}"
threads="${WRK_THREADS:-2}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin not found; build it with: swift build -c release --product backtest" >&2; exit 2; }

work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
workers_flag=()
[ -n "${WORKERS:-}" ] && workers_flag=(--workers "$WORKERS")
tls_flags=()
if [ "${TLS:-0}" = 1 ]; then
  "$bin" cert init --host 127.0.0.1 --out "$work/tls" >/dev/null
  tls_flags=(--tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server-key.pem")
fi
"$bin" serve --host 127.0.0.1 --port 0 --no-cache --db "$work/bench.sqlite" "${workers_flag[@]}" "${tls_flags[@]}" >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 100); do grep -q '^listening on ' "$work/out" 2>/dev/null && break; sleep 0.1; done
url="$(head -1 "$work/out" | sed 's/^listening on //')"
[ -n "$url" ] || { echo "server did not start:" >&2; cat "$work/err" >&2; exit 1; }
echo "server: $url (pid $server, $(nproc) cores), wrk threads: $threads, duration: ${duration}s"

# Warm up (connections, allocator, bar store).
wrk -t1 -c4 -d2s -s Benchmarks/server-load.lua "$url" >/dev/null

for c in $connections; do
  line="$(wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s Benchmarks/server-load.lua "$url" | grep '^RESULT')"
  echo "connections=$c ${line#RESULT }"
done
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$server/status")"

kill -TERM "$server"
status=0
wait "$server" || status=$?
echo "server exit status after SIGTERM: $status"
