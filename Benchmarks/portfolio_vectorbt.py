"""vectorbt's side of Benchmarks/portfolio-vectorbt.sh: the portfolio request of
Benchmarks/portfolio-equal-monthly.json run with vectorbt's Portfolio.from_orders, as
conformance/portfolio/PORTFOLIO.md section 9 writes the call, and timed.

Usage: python portfolio_vectorbt.py REQUEST.json DATA_DIR [CALLS]

REQUEST.json is the engine's portfolio request (tickers, start, end, cash, commission; the
allocation must be `equal` and the schedule `monthly`, the only pair built here). DATA_DIR holds
<TICKER>.csv in the Yahoo layout (Date,Open,High,Low,Close,...); only Open and Close are used,
parsed with Python's float() (correctly rounded, like the engine's parser; pandas' default
parser is not).

Prints one JSON object on stdout: the package versions, the calendar's bar count, the final
value, and the median (over CALLS calls, default 20, after one JIT warm-up call) of
  prepare_s         union calendar + Open/Close/valuation/weight matrices from the loaded bars
  from_orders_s     Portfolio.from_orders on prepared matrices (the simulation: order records)
  from_orders_value_s   the same + pf.value() (the equity curve)
  from_orders_stats_s   the same + pf.stats() (vectorbt's statistics)
  end_to_end_s      prepare + from_orders + value + stats
"""

import csv
import json
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
import vectorbt as vbt


def fail(message):
    print(f"portfolio_vectorbt: {message}", file=sys.stderr)
    sys.exit(2)


def load_request(path):
    with open(path, encoding="utf-8") as handle:
        request = json.load(handle)
    if request.get("allocation", {}).get("type") != "equal":
        fail(f"{path}: allocation must be {{'type': 'equal'}} (the only one built here)")
    if request.get("schedule", {}).get("type") != "monthly":
        fail(f"{path}: schedule must be {{'type': 'monthly'}} (the only one built here)")
    if request.get("fractional", False) or request.get("trade_on_close", False):
        fail(f"{path}: only whole units filled at the next open are built here")
    return request


def load_bars(data_dir, ticker, start, end):
    """One ticker's (dates, opens, closes) inside [start, end], in file order."""
    dates, opens, closes = [], [], []
    path = f"{data_dir}/{ticker}.csv"
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if start <= row["Date"] <= end:
                    dates.append(row["Date"])
                    opens.append(float(row["Open"]))
                    closes.append(float(row["Close"]))
    except OSError:
        fail(f"no data for {ticker} ({path})")
    if not dates:
        fail(f"{ticker} has no bar in [{start}, {end}]")
    return dates, opens, closes


def prepare(frames, tickers):
    """PORTFOLIO.md sections 2-4 for `equal` + `monthly`, as vectorbt's inputs."""
    both = pd.concat(frames, axis=1, keys=tickers)  # the union of dates, sorted
    price = both.xs("Open", axis=1, level=1)
    close = both.xs("Close", axis=1, level=1)
    has = close.notna().to_numpy()
    val_price = price.where(price.notna(), close.ffill())
    index = close.index
    month = index.year * 12 + index.month
    decision = np.ones(len(index), dtype=bool)
    decision[1:] = month[1:] != month[:-1]
    decision[-1] = False  # a decision on the last bar is never executed
    weights = np.full(has.shape, np.nan)
    rows = np.flatnonzero(decision)
    counts = has[rows].sum(axis=1)
    equal = np.divide(1.0, counts, out=np.zeros(len(rows)), where=counts > 0)
    weights[rows + 1] = np.where(has[rows], equal[:, None], 0.0)
    size = pd.DataFrame(weights, index=index, columns=close.columns)
    return close.ffill().bfill(), price, val_price, size


def from_orders(inputs, request):
    close, price, val_price, size = inputs
    return vbt.Portfolio.from_orders(
        close=close,
        price=price,
        size=size,
        size_type="targetpercent",
        direction="longonly",
        val_price=val_price,
        fees=float(request["commission"]),
        size_granularity=1.0,
        min_size=1e-8,
        allow_partial=True,
        init_cash=float(request["cash"]),
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        update_value=False,
        freq="1D",
    )


def median_time(calls, body):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    if len(sys.argv) not in (3, 4):
        fail("usage: portfolio_vectorbt.py REQUEST.json DATA_DIR [CALLS]")
    request = load_request(sys.argv[1])
    calls = int(sys.argv[3]) if len(sys.argv) == 4 else 20
    if calls < 1:
        fail("CALLS must be >= 1")
    tickers = request["tickers"]
    frames = []
    for ticker in tickers:
        dates, opens, closes = load_bars(sys.argv[2], ticker, request["start"], request["end"])
        frames.append(pd.DataFrame({"Open": opens, "Close": closes}, index=pd.DatetimeIndex(dates)))
    warnings.simplefilter("ignore")  # vectorbt's notes on metrics it cannot compute here

    inputs = prepare(frames, tickers)
    pf = from_orders(inputs, request)  # JIT warm-up of the simulation
    pf.value()
    pf.stats()  # and of the statistics
    final_value = float(pf.final_value())

    def end_to_end():
        p = from_orders(prepare(frames, tickers), request)
        p.value()
        p.stats()

    def with_value():
        from_orders(inputs, request).value()

    def with_stats():
        p = from_orders(inputs, request)
        p.value()
        p.stats()

    figures = {
        "prepare_s": median_time(calls, lambda: prepare(frames, tickers)),
        "from_orders_s": median_time(calls, lambda: from_orders(inputs, request)),
        "from_orders_value_s": median_time(calls, with_value),
        "from_orders_stats_s": median_time(calls, with_stats),
        "end_to_end_s": median_time(calls, end_to_end),
    }
    print(
        json.dumps(
            {
                "vectorbt": vbt.__version__,
                "numba": __import__("numba").__version__,
                "pandas": pd.__version__,
                "numpy": np.__version__,
                "python": sys.version.split()[0],
                "bars": len(inputs[0].index),
                "orders": int(pf.orders.count()),
                "calls": calls,
                "final_value": final_value,
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
