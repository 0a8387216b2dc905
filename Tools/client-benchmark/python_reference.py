#!/usr/bin/env python3
"""The reference Python stack's compute for the client benchmark's seed scenario: six
one-year sma_cross(10, 30) backtests with backtesting.py 0.6.6, sequential and on 4
threads (as the users' old client did), without any HTTP. A lower bound for the old stack.

Usage: /work/refgen-venv/bin/python python_reference.py Sources/MarketData/Resources/sample
"""
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

warnings.filterwarnings("ignore")
TICKERS = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NVDA"]


class SmaCross(Strategy):
    fast, slow = 10, 30

    def init(self):
        self.a = self.I(SMA, self.data.Close, self.fast)
        self.b = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        if crossover(self.a, self.b):
            if not self.position:
                self.buy()
        elif crossover(self.b, self.a):
            self.position.close()


def run(folder, ticker):
    df = pd.read_csv(f"{folder}/{ticker}.csv", index_col=0, parse_dates=True)
    df = df.loc["2020-01-01":"2020-12-31"]
    return Backtest(df, SmaCross, cash=10_000).run()


def main():
    folder = sys.argv[1]
    run(folder, "AAPL")  # warm up imports and caches
    for label, workers in (("sequential", 1), ("4 threads", 4)):
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(lambda tk: run(folder, tk), TICKERS))
            best = min(best, time.perf_counter() - t)
        print(f"{label}: {best * 1000:.1f} ms (best of 5)")


main()
