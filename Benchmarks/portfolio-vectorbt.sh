#!/usr/bin/env bash
# Our portfolio backtest next to vectorbt's Portfolio.from_orders, measured in the same run on
# the same machine: Benchmarks/portfolio-equal-monthly.json (7 tickers, equal weight, monthly
# decisions at the close of each month's first bar, filled at the next open, 0.1% commission,
# whole units, 2013-01-01..2023-09-21: 2,699 calendar bars).
#
# Usage: bash Benchmarks/portfolio-vectorbt.sh [PATH/TO/backtest] [RUNS] [CALLS]
#        (defaults: .build/release/backtest, 1000 runs of ours, 20 calls of vectorbt's)
#
# Ours: `backtest bench --portfolio ... --json --runs RUNS` (the run with its calendar built,
# the run alone, a 1,000-combination momentum search) and `backtest portfolio --local` for the
# final equity. vectorbt's: Benchmarks/portfolio_vectorbt.py, the call of
# conformance/portfolio/PORTFOLIO.md section 9, medians of CALLS calls after a JIT warm-up.
# The two final values must agree to 1e-9 relative, or the script exits 1.
#
# Virtual environment: .build/vectorbt-venv, created with vectorbt 1.2.0 (PyPI; numba, pandas,
# numpy come with it) when absent; the first run compiles vectorbt's numba code (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/backtest}")
RUNS=${2:-1000}
CALLS=${3:-20}
REQUEST=Benchmarks/portfolio-equal-monthly.json
DATA=Sources/MarketData/Resources/sample
VENV=$PWD/.build/vectorbt-venv
[ -x "$BIN" ] || { echo "portfolio-vectorbt bench: $BIN is not an executable" >&2; exit 2; }

if [ ! -x "$VENV/bin/python" ]; then
    echo "== installing vectorbt 1.2.0 into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "vectorbt==1.2.0"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== ours: $BIN bench --portfolio $REQUEST --json --runs $RUNS" >&2
"$BIN" bench --portfolio "$REQUEST" --json --runs "$RUNS" >"$WORK/ours.jsonl"
"$BIN" portfolio --request "$REQUEST" --local --format json >"$WORK/ours-run.json"
echo "== vectorbt: Portfolio.from_orders, $CALLS calls" >&2
"$VENV/bin/python" Benchmarks/portfolio_vectorbt.py "$REQUEST" "$DATA" "$CALLS" >"$WORK/vectorbt.json"

"$VENV/bin/python" - "$WORK" <<'PY'
import json
import sys

work = sys.argv[1]
ours = {}
with open(f"{work}/ours.jsonl") as handle:
    for line in handle:
        figure = json.loads(line)
        name = figure["name"]
        key = "calendar" if name.endswith("with calendar") else "search" if "search" in name else "run"
        ours[key] = figure
with open(f"{work}/ours-run.json") as handle:
    ours_final = json.load(handle)["stats"]["equity_final"]
with open(f"{work}/vectorbt.json") as handle:
    vbt = json.load(handle)

print(f"vectorbt {vbt['vectorbt']} (numba {vbt['numba']}, pandas {vbt['pandas']}, "
      f"numpy {vbt['numpy']}, Python {vbt['python']}); {vbt['bars']} calendar bars, "
      f"{vbt['orders']} orders")
print(f"final value  ours {ours_final!r}  vectorbt {vbt['final_value']!r}", end="")
relative = abs(ours_final - vbt["final_value"]) / max(abs(ours_final), abs(vbt["final_value"]))
print(f"  relative difference {relative:.3g}")
if ours["run"]["bars"] != vbt["bars"]:
    print(f"calendar bars differ: ours {ours['run']['bars']}, vectorbt {vbt['bars']}", file=sys.stderr)
    sys.exit(1)
if not relative <= 1e-9:
    print("final values differ by more than 1e-9 relative", file=sys.stderr)
    sys.exit(1)

run, calendar, search = ours["run"], ours["calendar"], ours["search"]
rows = [
    ("run: orders (vbt: from_orders)", run["median_s"], vbt["from_orders_s"]),
    ("run: + equity (vbt: + pf.value())", run["median_s"], vbt["from_orders_value_s"]),
    ("run: + statistics (vbt: + pf.stats())", run["median_s"], vbt["from_orders_stats_s"]),
    ("calendar + run (vbt: + matrices from bars)", calendar["median_s"], vbt["end_to_end_s"]),
]
print()
print(f"{'median per run':<44} {'ours':>12} {'vectorbt':>12} {'vectorbt/ours':>14}")
for label, ours_s, vbt_s in rows:
    print(f"{label:<44} {ours_s * 1e6:>9.1f} µs {vbt_s * 1e3:>9.2f} ms {vbt_s / ours_s:>13.0f}x")
print(f"{'(vbt: matrices from bars alone)':<44} {'':>12} {vbt['prepare_s'] * 1e3:>9.2f} ms")
print(f"{'momentum search, ' + str(search['combinations']) + ' combinations':<44} "
      f"{search['median_s'] * 1e3:>9.1f} ms {'-':>12} {'-':>14}")
print(f"(ours: {run['runs']} runs each, our run always includes equity and statistics; "
      f"vectorbt: {vbt['calls']} calls each, after a JIT warm-up)")
PY
