"""Portfolio backtests (``POST /v1/portfolios``): the request body and the flat result."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from ._core import _number, date_text

__all__ = ["flat_portfolio", "portfolio_request"]

ALLOCATIONS = ("equal", "fixed", "weights", "momentum", "inverse_volatility")
SCHEDULES = ("monthly", "weekly", "quarterly", "never")
INCLUDES = ("orders", "equity", "weights")


def _weights(name: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{name} must be a non-empty dict of ticker -> weight, got {value!r}")
    out: dict[str, float] = {}
    for ticker, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not math.isfinite(float(weight)):
            raise ValueError(f"{name}[{ticker!r}]: {weight!r} is not a finite number")
        out[str(ticker)] = float(weight)
    return out


def _allocation(allocation: str, weights: Any, lookback: int | None, top: int | None) -> dict[str, Any]:
    """The ``allocation`` member: ``{"type": "fixed", "weights": {ticker: w}}``,
    ``{"type": "weights", "schedule": [{"date", "weights"}]}``, ``{"type": "momentum",
    "lookback": N, "top_k": K}``, ``{"type": "inverse_volatility", "lookback": N}`` or
    ``{"type": "equal"}``."""
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)}, got {allocation!r}")
    body: dict[str, Any] = {"type": allocation}
    if allocation == "fixed":
        body["weights"] = _weights("weights", weights)
    elif allocation == "weights":
        # Dated weights: {date: {ticker: weight}} (each applies from the first bar on or after its date).
        if not isinstance(weights, Mapping) or not weights:
            raise ValueError("allocation='weights' needs weights={date: {ticker: weight}, ...}")
        body["schedule"] = [
            {"date": date_text(day), "weights": _weights(f"weights[{date_text(day)!r}]", w) if w else {}}
            for day, w in weights.items()
        ]
    elif weights is not None:
        raise ValueError(f"weights= applies to allocation='fixed' or 'weights', not {allocation!r}")
    if allocation in ("momentum", "inverse_volatility"):
        if lookback is None:
            raise ValueError(f"allocation={allocation!r} needs lookback= (bars)")
        body["lookback"] = int(lookback)
        if allocation == "momentum":
            if top is None:
                raise ValueError("allocation='momentum' needs top= (how many tickers to hold)")
            body["top_k"] = int(top)
    elif lookback is not None or top is not None:
        raise ValueError(f"lookback= and top= apply to momentum or inverse_volatility, not {allocation!r}")
    return body


def _schedule(rebalance: str | int | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(rebalance, Mapping):
        return dict(rebalance)
    if isinstance(rebalance, int) and not isinstance(rebalance, bool):
        if rebalance < 1:
            raise ValueError(f"rebalance every N bars needs N >= 1, got {rebalance}")
        return {"type": "every_n_bars", "n": rebalance}
    if rebalance not in SCHEDULES:
        raise ValueError(f"rebalance must be one of {', '.join(SCHEDULES)} or a number of bars, got {rebalance!r}")
    return {"type": rebalance}


def portfolio_request(
    tickers: str | Iterable[str],
    start_date: Any,
    end_date: Any,
    *,
    allocation: str,
    rebalance: str | int | Mapping[str, Any] | None,
    weights: Any,
    lookback: int | None,
    top: int | None,
    cash: float | None,
    commission: float | None,
    fractional: bool | None,
    trade_on_close: bool | None,
    include: Iterable[str] | None,
) -> dict[str, Any]:
    """The ``POST /v1/portfolios`` body; a ``ValueError`` naming the argument before anything
    is sent."""
    names = [tickers] if isinstance(tickers, str) else [str(t) for t in tickers]
    if not names:
        raise ValueError("run_portfolio needs at least one ticker")
    body: dict[str, Any] = {"tickers": names}
    if start_date is not None:
        body["start"] = date_text(start_date)
    if end_date is not None:
        body["end"] = date_text(end_date)
    body["allocation"] = _allocation(allocation, weights, lookback, top)
    if allocation != "weights":  # dated weights are their own schedule
        body["schedule"] = _schedule(rebalance if rebalance is not None else "monthly")
    elif rebalance is not None:
        raise ValueError("allocation='weights' rebalances on its own dates; leave rebalance out")
    for key, value in (
        ("cash", cash),
        ("commission", commission),
        ("fractional", fractional),
        ("trade_on_close", trade_on_close),
    ):
        if value is not None:
            body[key] = value
    if include is not None:
        items = [include] if isinstance(include, str) else list(include)
        unknown = [i for i in items if i not in INCLUDES]
        if unknown:
            raise ValueError(f"include: unknown item(s) {', '.join(map(str, unknown))}; known: {', '.join(INCLUDES)}")
        body["include"] = items
    return body


def flat_portfolio(reply: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """``run_backtest``'s flat style for a portfolio: ``tickers``, ``start_date``, ``end_date``,
    ``allocation``, ``schedule``, every statistic by its key (floats, NaN for ``null``), the
    ``cash`` left at the end and the final ``positions``, and with ``include`` the ``dates``/``equity``, ``orders``
    and ``weights``."""
    out: dict[str, Any] = {
        "tickers": list(request.get("tickers") or []),
        "start_date": request.get("start"),
        "end_date": request.get("end"),
        "allocation": request.get("allocation", {}).get("type"),
        "schedule": (request.get("schedule") or {}).get("type"),
    }
    for key, value in (reply.get("stats") or {}).items():
        out[key] = value if key in ("start", "end", "trades") or isinstance(value, (dict, list)) else _number(value)
    for key, value in reply.items():
        if key == "stats":
            continue
        if key == "equity" and isinstance(value, list):
            out[key] = [_number(v) for v in value]
        elif key == "cash":  # the cash left at the end
            out[key] = _number(value)
        else:
            out[key] = value
    return out
