"""60 one-year backtests (the 7 bundled tickers repeated) with the old client: the benchmark's
old-stack side. Usage: python batch60.py PORT"""

import sys

from run_remote_backtest import BacktestingClient

TICKERS = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"]
tickers = [TICKERS[i % len(TICKERS)] for i in range(60)]
client = BacktestingClient(vm_ip="127.0.0.1", port=int(sys.argv[1]))
results = client.run_batch_backtests(tickers, "2020-01-01", "2020-12-31", parallel=True, max_workers=4)
client.close()
assert len(results) == 60 and all("error" not in r for r in results), results[:2]
