#!/usr/bin/env bash
# The Python client benchmark (issue 14): a 60-ticker run_batch_backtests as a whole Python
# process against a running release server, next to `python -c "import backtest_client"`
# (the floor: interpreter and imports), and the old stack rebuilt from its description
# (Benchmarks/old_system: FastAPI + backtesting.py 0.6.6 on uvicorn with 2 workers, and the
# old requests-based client with a thread pool of 4) running the same 60 backtests.
#
# Usage: bash Benchmarks/python-client.sh [PATH/TO/backtest] [RUNS]   (defaults:
#        .build/release/backtest, 20 runs per command)
#
# hyperfine times each command; then, because a Python start-up on this shared VM varies by
# tens of milliseconds from one minute to the next, the client's overhead over its import is
# also measured paired: 2*RUNS rounds, each running the import and the two batches back to
# back, and the median of the per-round differences is reported.
#
# Needs hyperfine. Virtual environments: .build/python-client-venv (made by
# .ci/python-client.sh, which is run when it is missing) and .build/old-system-venv (made here,
# pinned). Only 127.0.0.1 is used; every server started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/backtest}")
RUNS=${2:-20}
command -v hyperfine >/dev/null || { echo "python-client bench: hyperfine is not installed" >&2; exit 2; }

NEW=$PWD/.build/python-client-venv
OLD=$PWD/.build/old-system-venv
OLD_PINS="fastapi==0.165.0 uvicorn==0.54.0 backtesting==0.6.6 requests==2.34.2 pandas==3.1.1 numpy==2.4.6"
[ -x "$NEW/bin/python" ] || bash .ci/python-client.sh "$BIN"
if [ "$(cat "$OLD/.old-system-requirements" 2>/dev/null)" != "$OLD_PINS" ]; then
    echo "== installing the old stack ($OLD_PINS) into $OLD"
    rm -rf "$OLD"
    python3 -m venv "$OLD"
    # shellcheck disable=SC2086
    "$OLD/bin/python" -m pip install --quiet --disable-pip-version-check $OLD_PINS
    echo "$OLD_PINS" >"$OLD/.old-system-requirements"
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

serve() {  # serve NAME ARGS...: starts `backtest serve --port 0`, sets URL to its address
    local name=$1
    shift
    "$BIN" serve --port 0 --db "$WORK/$name.sqlite" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    PIDS+=($!)
    for _ in $(seq 100); do
        if head -1 "$WORK/$name.out" 2>/dev/null | grep -q "^listening on "; then break; fi
        sleep 0.05
    done
    URL=$(head -1 "$WORK/$name.out" | sed 's/^listening on //')
    [ -n "$URL" ] || { echo "python-client bench: backtest serve did not start" >&2; cat "$WORK/$name.err" >&2; exit 1; }
}
serve nocache --no-cache
NOCACHE=$URL
serve cached
CACHED=$URL
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$OLD/bin/python" -m uvicorn --app-dir Benchmarks/old_system server:app --workers 2 --host 127.0.0.1 \
    --port "$PORT" --log-level warning >"$WORK/old.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
done
echo "== servers: $NOCACHE (--no-cache), $CACHED (cache), old stack on http://127.0.0.1:$PORT (uvicorn, 2 workers)"
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $("$NEW/bin/python" --version)"

# Warm every server (the old workers parse their CSVs once; our cache gets filled).
for url in "$NOCACHE" "$CACHED"; do "$NEW/bin/python" Benchmarks/python_client_batch.py "$url"; done
for _ in 1 2 3; do (cd Benchmarks/old_system && "$OLD/bin/python" batch60.py "$PORT"); done

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/results.json" \
    -n "import backtest_client" "$NEW/bin/python -c 'import backtest_client'" \
    -n "run_batch_backtests, 60 (--no-cache)" "$NEW/bin/python Benchmarks/python_client_batch.py $NOCACHE" \
    -n "run_batch_backtests, 60 (cached)" "$NEW/bin/python Benchmarks/python_client_batch.py $CACHED" \
    -n "import requests (old client)" "$OLD/bin/python -c 'import requests'" \
    -n "old client, 60 on FastAPI + backtesting.py" \
    "$OLD/bin/python Benchmarks/old_system/batch60.py $PORT" >"$WORK/hyperfine.out"

python3 - "$WORK/results.json" <<'PY'
import json, sys
rows = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = lambda s: s * 1000
print(f"{'command':44} {'mean ± sd':>18} {'median':>9} {'min':>9}")
for name, r in rows.items():
    print(f"{name:44} {ms(r['mean']):8.1f} ± {ms(r['stddev']):5.1f} ms {ms(r['median']):6.1f} ms {ms(r['min']):6.1f} ms")
floor = rows["import backtest_client"]
old = rows["old client, 60 on FastAPI + backtesting.py"]
for name in ("run_batch_backtests, 60 (--no-cache)", "run_batch_backtests, 60 (cached)"):
    r = rows[name]
    print(f"{name}: {ms(r['median'] - floor['median']):+.1f} ms over the import (median), "
          f"{ms(r['mean'] - floor['mean']):+.1f} ms (mean); old stack {old['median'] / r['median']:.1f}x slower (median)")
PY

echo "== paired: $((RUNS * 2)) rounds of (import, batch --no-cache, batch cached), interleaved"
python3 - "$((RUNS * 2))" "$NEW/bin/python" "$NOCACHE" "$CACHED" <<'PY'
import statistics, subprocess, sys, time
rounds, python, nocache, cached = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
commands = {
    "import backtest_client": [python, "-c", "import backtest_client"],
    "run_batch_backtests, 60 (--no-cache)": [python, "Benchmarks/python_client_batch.py", nocache, "--time"],
    "run_batch_backtests, 60 (cached)": [python, "Benchmarks/python_client_batch.py", cached, "--time"],
}
times = {name: [] for name in commands}
inside = {name: [] for name in commands}
for _ in range(rounds):
    for name, command in commands.items():
        start = time.perf_counter()
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        times[name].append((time.perf_counter() - start) * 1000)
        if out.strip():
            inside[name].append(float(out))
floor = times["import backtest_client"]
for name, values in times.items():
    deltas = sorted(v - f for v, f in zip(values, floor))
    q1, q3 = deltas[len(deltas) // 4], deltas[3 * len(deltas) // 4]
    line = (f"{name:38} median {statistics.median(values):6.1f} ms, min {min(values):6.1f} ms; minus the "
            f"import of the same round: median {statistics.median(deltas):+5.1f} ms (quartiles {q1:+.1f}, {q3:+.1f})")
    if inside[name]:
        line += f"; in-process after the import: median {statistics.median(inside[name]):.1f} ms"
    print(line)
PY
