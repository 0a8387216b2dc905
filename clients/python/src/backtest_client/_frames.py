"""pandas frames of searches and portfolios. pandas is optional: it is imported on first use,
and a missing pandas is one ``ImportError`` line saying how to install it."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # pragma: no cover
    import pandas

__all__ = ["equity_frame", "orders_frame", "pandas_module", "weights_frame"]


def pandas_module(what: str) -> Any:
    """``import pandas``, or an ``ImportError`` naming ``what`` needs it and how to install it."""
    try:
        import pandas
    except ImportError:
        raise ImportError(
            f"{what} needs pandas, which is not installed: "
            "pip install 'backtest-client[pandas]' (or pip install pandas)"
        ) from None
    return pandas


def _numbers(values: Sequence[Any]) -> list[Any]:
    from ._core import _number

    return [_number(v) for v in values]


_AS_SENT = {"trades", "tickers", "start", "end"}
"""Columns kept as the server sends them (counts stay integers, dates text)."""


def params_stats_frame(entries: Sequence[Mapping[str, Any]], parameters: Sequence[str], what: str) -> pandas.DataFrame:
    """``[{"params": {...}, "stats": {...}}, ...]`` as one row each (the parameters, then the
    statistics), indexed by rank from 1."""
    pd = pandas_module(what)
    rows = []
    for entry in entries:
        row: dict[str, Any] = {}
        params = entry.get("params") or {}
        for name in parameters:
            row[name] = params.get(name)
        for name, value in params.items():
            row.setdefault(name, value)
        for key, value in entry.items():
            if key not in ("params", "stats"):
                row[key] = value
        for key, value in (entry.get("stats") or {}).items():
            row[key] = value
        rows.append({k: (v if k in parameters or k in _AS_SENT else _numbers([v])[0]) for k, v in row.items()})
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else list(parameters))
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
    return cast("pandas.DataFrame", frame)


def combinations_frame(csv_text: str) -> pandas.DataFrame:
    """The heatmap CSV (every combination with its statistics, in run order) as a frame."""
    pd = pandas_module("OptimizationResult.combinations")
    return cast("pandas.DataFrame", pd.read_csv(io.StringIO(csv_text)))


def heatmap_frame(
    combinations: pandas.DataFrame,
    parameters: Sequence[str],
    objective: str,
    maximize: bool,
    axes: Mapping[str, Sequence[Any]],
) -> pandas.DataFrame:
    """The heatmap of a search:

    - one parameter: indexed by its values (the grid's, in order), a column per statistic;
    - two or more: the objective with the first parameter down the index and the second across
      the columns, each cell the best objective over the other parameters (as the search page
      draws it), shape ``(len(first's values), len(second's values))``; a combination the
      constraint excluded, or whose runs made no trade, is NaN.

    Several tickers: each combination's statistics are first averaged over the tickers.
    """
    frame = combinations
    stats = [c for c in frame.columns if c not in parameters and c != "ticker"]
    if "ticker" in frame.columns:
        frame = frame.groupby(list(parameters), sort=False)[stats].mean().reset_index()
    first = parameters[0]
    if len(parameters) == 1:
        out = frame.set_index(first)[stats]
        return out.reindex(list(axes.get(first) or out.index))
    second = parameters[1]
    grouped = frame.groupby([first, second], sort=False)[objective]
    best = grouped.max() if maximize else grouped.min()
    out = best.unstack(second)
    out = out.reindex(index=list(axes.get(first) or out.index), columns=list(axes.get(second) or out.columns))
    out.index.name, out.columns.name = first, second
    return out


def folds_frame(folds: Sequence[Mapping[str, Any]], parameters: Sequence[str]) -> pandas.DataFrame:
    """Walk-forward folds, indexed by each test window's start (a ``DatetimeIndex``): the
    windows, the parameters chosen, the in-sample objective, the winner's in-sample annualised
    return (``in_sample_return_ann_pct``), its walk-forward ``efficiency`` (out-of-sample over
    in-sample annualised return; NaN when undefined) and the out-of-sample statistics."""
    pd = pandas_module("OptimizationResult.folds")
    rows = []
    for fold in folds:
        train, test = fold.get("train") or {}, fold.get("test") or {}
        row: dict[str, Any] = {
            "test_start": test.get("start"),
            "test_end": test.get("end"),
            "test_bars": test.get("bars"),
            "train_start": train.get("start"),
            "train_end": train.get("end"),
            "train_bars": train.get("bars"),
        }
        row.update({name: (fold.get("params") or {}).get(name) for name in parameters})
        row["in_sample_objective"] = _numbers([fold.get("in_sample_objective")])[0]
        row["in_sample_return_ann_pct"] = _numbers([fold.get("in_sample_return_ann_pct")])[0]
        row["efficiency"] = _numbers([fold.get("efficiency")])[0]
        for key, value in (fold.get("stats") or {}).items():
            if key not in ("start", "end") and not isinstance(value, (dict, list)):
                row[key] = _numbers([value])[0] if key != "trades" else value
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("test_start", "test_end", "train_start", "train_end"):
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
    if "test_start" in frame.columns:
        frame = frame.set_index(pd.DatetimeIndex(frame.pop("test_start"), name="test_start"))
    return cast("pandas.DataFrame", frame)


def equity_frame(result: Mapping[str, Any]) -> pandas.DataFrame:
    """A portfolio's equity curve (``run_portfolio(..., include=["equity"])``) indexed by date
    (a ``DatetimeIndex``): ``equity`` and ``drawdown_pct`` (from the running peak)."""
    pd = pandas_module("equity_frame")
    dates, equity = result.get("dates"), result.get("equity")
    if not isinstance(dates, list) or not isinstance(equity, list):
        raise ValueError("equity_frame needs a result with 'dates' and 'equity' (run it with include=['equity'])")
    if len(dates) != len(equity):
        raise ValueError(f"equity_frame: {len(dates)} dates but {len(equity)} equity values")
    frame = pd.DataFrame(
        {"equity": [float(v) for v in _numbers(equity)]},
        index=pd.DatetimeIndex(pd.to_datetime(dates), name="date"),
    )
    peak = frame["equity"].cummax()
    frame["drawdown_pct"] = (frame["equity"] / peak - 1.0) * 100.0
    return cast("pandas.DataFrame", frame)


def orders_frame(result: Mapping[str, Any]) -> pandas.DataFrame:
    """A portfolio's orders (``run_portfolio(..., include=["orders"])``), one row each,
    indexed by date (a ``DatetimeIndex``): ``ticker``, ``size``, ``price``, ``commission`` and
    ``value`` (size × price)."""
    pd = pandas_module("orders_frame")
    orders = result.get("orders")
    if not isinstance(orders, list):
        raise ValueError("orders_frame needs a result with 'orders' (run it with include=['orders'])")
    frame = pd.DataFrame(orders, columns=sorted({k for o in orders for k in o}, key=_order_key) or _ORDER_COLUMNS)
    for column in ("size", "price", "commission"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column].map(lambda v: _numbers([v])[0]), errors="coerce")
    if "size" in frame.columns and "price" in frame.columns:
        frame["value"] = frame["size"] * frame["price"]
    dates = frame.pop("date") if "date" in frame.columns else []
    frame.index = pd.DatetimeIndex(pd.to_datetime(list(dates)), name="date")
    return cast("pandas.DataFrame", frame)


_ORDER_COLUMNS = ["date", "ticker", "size", "price", "commission"]


def _order_key(column: str) -> tuple[int, str]:
    return (_ORDER_COLUMNS.index(column) if column in _ORDER_COLUMNS else len(_ORDER_COLUMNS), column)


def weights_frame(result: Mapping[str, Any]) -> pandas.DataFrame:
    """A portfolio's weights (``run_portfolio(..., include=["equity", "weights"])``): each
    ticker's share of equity per date, one column per ticker, indexed by date (a
    ``DatetimeIndex``)."""
    pd = pandas_module("weights_frame")
    dates, weights = result.get("dates"), result.get("weights")
    if not isinstance(dates, list) or not isinstance(weights, Mapping):
        raise ValueError("weights_frame needs a result with 'dates' and 'weights' (include=['equity', 'weights'])")
    columns = {str(t): [float(v) for v in _numbers(list(w))] for t, w in weights.items()}
    for ticker, values in columns.items():
        if len(values) != len(dates):
            raise ValueError(f"weights_frame: {len(dates)} dates but {len(values)} weights for {ticker}")
    index = pd.DatetimeIndex(pd.to_datetime(dates), name="date")
    return cast("pandas.DataFrame", pd.DataFrame(columns, index=index))
