"""60 one-year backtests (the 7 bundled tickers repeated) through the Python client, as a whole
process: the benchmark's new-stack side.

Usage: python python_client_batch.py URL [--time]   (--time: print the milliseconds from after
the import to the end, i.e. the client's own share of the process)"""

import sys
import time

from backtest_client import BacktestingClient

start = time.perf_counter()
TICKERS = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"]
tickers = [TICKERS[i % len(TICKERS)] for i in range(60)]
with BacktestingClient(base_url=sys.argv[1]) as client:
    results = client.run_batch_backtests(tickers, "2020-01-01", "2020-12-31", parallel=True, max_workers=4)
assert len(results) == 60 and all("error" not in r for r in results), results[:2]
if "--time" in sys.argv:
    print(f"{(time.perf_counter() - start) * 1000:.2f}")
