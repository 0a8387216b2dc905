"""Python client of the Backtest server, with the old ``run_remote_backtest.py`` interface.

Migrating a script takes one line::

    from backtest_client import BacktestingClient   # was: from run_remote_backtest import BacktestingClient

    with BacktestingClient() as client:              # finds the server as the `backtest` CLI does
        result = client.run_backtest(ticker="AAPL", start_date="2020-01-01", end_date="2020-12-31")
        print(f"Sharpe: {result['sharpe_ratio']:.3f}")
        results = client.run_batch_backtests(tickers=["AAPL", "MSFT", "TSLA"],
                                             start_date="2020-01-01", end_date="2020-12-31")
        client.print_summary(results)

``AsyncBacktestingClient`` has the same methods as coroutines; ``results_frame`` turns results
into a pandas DataFrame; exceptions derive from ``BacktestClientError``.

For research (``examples/research.ipynb``): ``client.optimize(...)`` runs a parameter search on
the server and returns an ``OptimizationResult`` (``best``, ``top``, ``heatmap``, ``report()``);
``client.report(...)`` returns a ``Report`` that shows inline in Jupyter;
``client.run_portfolio(...)`` runs a portfolio (``equity_frame``, ``orders_frame``). pandas and
tqdm are imported on first use only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import BacktestingClient
from ._core import Progress, RetryPolicy
from ._endpoint import Endpoint
from ._errors import (
    AuthenticationError,
    BacktestClientError,
    ConfigurationError,
    InvalidReplyError,
    InvalidRequestError,
    NoEndpointError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    TLSError,
    TransportError,
)
from ._frames import equity_frame, orders_frame, weights_frame
from ._grid import GridAxis, grid_axes
from ._portfolio import flat_portfolio
from ._report import Report
from ._resolve import Resolution
from ._results import print_summary, results_frame, summary_text
from ._search import AsyncOptimizationResult, OptimizationResult

if TYPE_CHECKING:  # pragma: no cover
    from ._async import AsyncBacktestingClient

__version__ = "0.1.0"

__all__ = [
    "AsyncBacktestingClient",
    "AsyncOptimizationResult",
    "AuthenticationError",
    "BacktestClientError",
    "BacktestingClient",
    "ConfigurationError",
    "Endpoint",
    "GridAxis",
    "InvalidReplyError",
    "InvalidRequestError",
    "NoEndpointError",
    "NotFoundError",
    "OptimizationResult",
    "Progress",
    "Report",
    "Resolution",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "TLSError",
    "TransportError",
    "equity_frame",
    "flat_portfolio",
    "grid_axes",
    "orders_frame",
    "print_summary",
    "results_frame",
    "summary_text",
    "weights_frame",
]


def __getattr__(name: str) -> Any:
    # The async client (and asyncio) is imported on first use: scripts that only use the
    # synchronous client start faster.
    if name == "AsyncBacktestingClient":
        from ._async import AsyncBacktestingClient

        return AsyncBacktestingClient
    raise AttributeError(f"module 'backtest_client' has no attribute '{name}'")
