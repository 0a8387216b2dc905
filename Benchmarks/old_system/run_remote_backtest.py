"""The users' old client, rebuilt from its description for the benchmark: `requests` with a
new connection per request (no session), one 600 s timeout, tickers on a thread pool of
`max_workers`, a failed ticker as {"ticker", "error"}."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import requests


class BacktestingClient:
    def __init__(self, vm_ip=None, port=8000, timeout=600):
        vm_ip = vm_ip or os.environ.get("OLD_VM_IP", "127.0.0.1")
        self.base_url = f"http://{vm_ip}:{port}"
        self.timeout = timeout

    def run_backtest(self, ticker, start_date, end_date, strategy="sma_cross", params=None):
        body = {"ticker": ticker, "start_date": start_date, "end_date": end_date, "strategy": strategy,
                "params": params}
        response = requests.post(f"{self.base_url}/backtest", json=body, timeout=self.timeout)
        response.raise_for_status()
        return response.json()

    def run_batch_backtests(self, tickers, start_date, end_date, parallel=True, max_workers=4):
        def one(ticker):
            try:
                return self.run_backtest(ticker, start_date, end_date)
            except Exception as e:  # noqa: BLE001 (the old client's way)
                return {"ticker": ticker, "error": str(e)}

        if not parallel:
            return [one(t) for t in tickers]
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            return list(pool.map(one, tickers))

    def print_summary(self, results):
        print(f"{'Ticker':<8}{'Return %':>10}{'Sharpe':>8}{'Max DD %':>10}{'Trades':>8}")
        for r in results:
            if "error" in r:
                print(f"{r['ticker']:<8} error: {r['error']}")
            else:
                print(f"{r['ticker']:<8}{r['return_pct']:>10.2f}{r['sharpe_ratio'] or 0:>8.2f}"
                      f"{r['max_drawdown_pct']:>10.2f}{r['trades']:>8}")

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
