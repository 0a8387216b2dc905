"""backtesting.py 0.6.6 on the two reference cases of `backtest bench`, for the side-by-side
figure of issue 23: sma_cross 10/30 on GOOG daily (long only: buy on the cross up when flat,
close on the cross down) and macd_cross 12/26/9 long/short with SL 0.4 % / TP 0.8 % on EURUSD
hourly (reverse on each cross), cash 10,000, no commission: the rules of SEMANTICS.md
section 11 written as a backtesting.py user would (pandas rolling and ewm indicators,
backtesting.lib.crossover). The work is the same but for the EMA's seed (pandas' ewm starts at
the first close, SEMANTICS.md's EMA at an SMA), so macd_cross makes a few trades more or fewer
than the engine's run (380 against 377); sma_cross makes the same 32.

    python Benchmarks/engine_backtestingpy.py DATA_DIR RUNS   # prints name, median ms, trades
"""

import statistics
import sys
import time
import warnings

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

warnings.filterwarnings("ignore")


def sma(close, n):
    return pd.Series(close).rolling(n).mean()


def ema(series, n):
    return pd.Series(series).ewm(span=n, adjust=False).mean()


def macd_line(close, fast, slow):
    return ema(close, fast) - ema(close, slow)


def macd_signal(close, fast, slow, signal):
    return ema(macd_line(close, fast, slow), signal)


class SmaCross(Strategy):
    fast = 10
    slow = 30

    def init(self):
        self.a = self.I(sma, self.data.Close, self.fast)
        self.b = self.I(sma, self.data.Close, self.slow)

    def next(self):
        if crossover(self.a, self.b):
            if not self.trades:
                self.buy()
        elif crossover(self.b, self.a):
            self.position.close()


class MacdCross(Strategy):
    fast = 12
    slow = 26
    signal = 9
    sl_pct = 0.004
    tp_pct = 0.008

    def init(self):
        self.line = self.I(macd_line, self.data.Close, self.fast, self.slow)
        self.sig = self.I(macd_signal, self.data.Close, self.fast, self.slow, self.signal)

    def next(self):
        c = self.data.Close[-1]
        if crossover(self.line, self.sig):
            self.position.close()
            self.buy(sl=c * (1 - self.sl_pct), tp=c * (1 + self.tp_pct))
        elif crossover(self.sig, self.line):
            self.position.close()
            self.sell(sl=c * (1 + self.sl_pct), tp=c * (1 - self.tp_pct))


def load(path):
    df = pd.read_csv(path, index_col=0, parse_dates=True)
    return df[["Open", "High", "Low", "Close", "Volume"]]


def time_case(name, data, strategy, runs):
    bt = Backtest(data, strategy, cash=10_000, commission=0)
    stats = bt.run()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        bt.run()
        times.append(time.perf_counter() - t0)
    print(f"backtesting.py {name}  {len(data)} bars  {runs} runs  median {statistics.median(times) * 1e3:.2f} ms/run  trades {stats['# Trades']}")


def main():
    data_dir, runs = sys.argv[1], int(sys.argv[2])
    time_case("sma_cross(10,30) GOOG", load(f"{data_dir}/GOOG.csv"), SmaCross, runs)
    time_case("macd_cross(12,26,9) long/short SL/TP EURUSD", load(f"{data_dir}/EURUSD.csv"), MacdCross, runs)


if __name__ == "__main__":
    main()
