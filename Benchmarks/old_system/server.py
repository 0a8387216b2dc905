"""The old system's server, rebuilt from its description for the Python client benchmark:
FastAPI + backtesting.py 0.6.6 on uvicorn (2 workers), one backtest per `POST /backtest`,
the statistics returned as a flat JSON object.

Generous to the old stack: each worker parses a ticker's CSV once and keeps it (the old VM
read it per request). Data: the bundled sample set (OLD_DATA_DIR, default the repository's
Sources/MarketData/Resources/sample).

    uvicorn --app-dir Benchmarks/old_system server:app --workers 2 --port 8001
"""

from __future__ import annotations

import math
import os
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

warnings.filterwarnings("ignore")
DATA = Path(os.environ.get("OLD_DATA_DIR", Path(__file__).resolve().parents[2] / "Sources/MarketData/Resources/sample"))
app = FastAPI(title="backtesting API (old)")


class SmaCross(Strategy):
    fast = 10
    slow = 30

    def init(self):
        self.a = self.I(SMA, self.data.Close, self.fast)
        self.b = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        if crossover(self.a, self.b):
            if not self.position:
                self.buy()
        elif crossover(self.b, self.a):
            self.position.close()


STRATEGIES = {"sma_cross": SmaCross}


class BacktestRequest(BaseModel):
    ticker: str
    start_date: str | None = None
    end_date: str | None = None
    strategy: str = "sma_cross"
    params: dict[str, float] | None = None
    cash: float = 10_000
    commission: float = 0.0


@lru_cache(maxsize=None)
def bars(ticker: str) -> pd.DataFrame:
    path = DATA / f"{ticker}.csv"
    if not path.exists():
        raise HTTPException(status_code=404, detail=f"no data for ticker {ticker}")
    df = pd.read_csv(path, index_col=0, parse_dates=True)
    return df[["Open", "High", "Low", "Close", "Volume"]]


def key(name: str) -> str:
    k = name.lower().replace("[%]", "pct").replace("[$]", "").replace("#", "").replace("&", "")
    k = k.replace(".", "").replace("(", "").replace(")", "").strip().replace("  ", " ").replace(" ", "_")
    return {"trades": "trades", "max_drawdown_pct": "max_drawdown_pct"}.get(k, k)


def jsonable(value):
    if isinstance(value, (pd.Timestamp, pd.Timedelta)):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return value.item()
    except AttributeError:
        return value


@app.post("/backtest")
def run_backtest(request: BacktestRequest) -> dict:
    if request.strategy not in STRATEGIES:
        raise HTTPException(status_code=422, detail=f"unknown strategy {request.strategy}")
    df = bars(request.ticker).loc[request.start_date : request.end_date]
    bt = Backtest(df, STRATEGIES[request.strategy], cash=request.cash, commission=request.commission)
    stats = bt.run(**(request.params or {}))
    out = {"ticker": request.ticker, "strategy": request.strategy}
    for name, value in stats.items():
        if not name.startswith("_"):
            out[key(name)] = jsonable(value)
    return out


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}
