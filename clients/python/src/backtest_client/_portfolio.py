"""Portfolio backtests (``POST /v1/portfolios``): the request body and the flat result."""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from ._core import _number, date_text

__all__ = ["flat_portfolio", "portfolio_parameters", "portfolio_request", "search_portfolio", "with_search_parameters"]

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


# -- searches over a portfolio (``POST /v1/optimizations`` with ``portfolio``) ----------------------

SEARCH_PARAMETERS = ("lookback", "top", "every", "commission")
"""Every parameter a portfolio search may vary (the server's ``PortfolioTarget.allParameters``)."""

_RUN_PORTFOLIO_KEYS = (
    "tickers",
    "start_date",
    "end_date",
    "allocation",
    "rebalance",
    "weights",
    "lookback",
    "top",
    "cash",
    "commission",
    "fractional",
    "trade_on_close",
    "include",
)


def portfolio_parameters(body: Mapping[str, Any]) -> list[str]:
    """The parameters a search may vary on this ``POST /v1/portfolios`` body: ``lookback`` and
    ``top`` (momentum), ``lookback`` (inverse volatility), ``every`` (an every-N-bars schedule),
    and ``commission``, as the server has them."""
    allocation = body.get("allocation")
    kind = allocation.get("type") if isinstance(allocation, Mapping) else None
    names = {"momentum": ["lookback", "top"], "inverse_volatility": ["lookback"]}.get(str(kind), [])
    schedule = body.get("schedule")
    if isinstance(schedule, Mapping) and schedule.get("type") == "every_n_bars":
        names.append("every")
    return names + ["commission"]


def search_portfolio(portfolio: Any, first: Mapping[str, Any]) -> dict[str, Any]:
    """The ``portfolio`` member of a search: a ``POST /v1/portfolios`` body as it is (an
    ``allocation`` that is a dict: ``{"type": "momentum", "lookback": 60, "top_k": 2}``), or
    ``run_portfolio``'s keyword arguments as a dict (``{"tickers": [...], "allocation":
    "momentum", "lookback": 60, "top": 2, "rebalance": "monthly"}``). With the keyword form a
    momentum or inverse-volatility ``lookback``/``top`` and ``rebalance`` (an every-N-bars
    schedule) the grid varies may be left out: ``first`` (each grid parameter's first value)
    fills them. ``include`` is dropped (a search reports statistics). A ``ValueError`` naming
    the key for anything else."""
    if not isinstance(portfolio, Mapping):
        raise ValueError(
            f"portfolio must be a dict (a POST /v1/portfolios body, or run_portfolio's arguments), "
            f"got {type(portfolio).__name__}"
        )
    if isinstance(portfolio.get("allocation"), Mapping):
        body = _body_as_given(portfolio, "portfolio", keep_include=False)
        kind = body["allocation"].get("type")
        if kind not in ALLOCATIONS:
            raise ValueError(f"portfolio['allocation']['type'] must be one of {', '.join(ALLOCATIONS)}, got {kind!r}")
        return body
    args = _checked_arguments(portfolio, "portfolio")
    allocation = args.get("allocation", "equal")
    if allocation in ("momentum", "inverse_volatility") and args.get("lookback") is None and "lookback" in first:
        args["lookback"] = first["lookback"]
    if allocation == "momentum" and args.get("top") is None and "top" in first:
        args["top"] = first["top"]
    if args.get("rebalance") is None and "every" in first and allocation != "weights":
        args["rebalance"] = int(first["every"])
    return _request(args, allocation, include=None)


def with_search_parameters(body: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The portfolio ``body`` with a search's combination in it (``lookback`` and ``top`` into
    the allocation, ``every`` into the schedule, ``commission``): the run the search made."""
    out = copy.deepcopy(dict(body))
    for name, value in params.items():
        if name == "lookback":
            out["allocation"]["lookback"] = int(value)
        elif name == "top":
            out["allocation"]["top_k"] = int(value)
        elif name == "every":
            out["schedule"] = {"type": "every_n_bars", "n": int(value)}
        elif name == "commission":
            out["commission"] = value
        else:
            raise ValueError(f"{name!r} is not a portfolio search parameter ({', '.join(SEARCH_PARAMETERS)})")
    return out


# -- many portfolios as a job (``POST /v1/jobs`` with ``portfolios``) -------------------------------


def job_portfolio(entry: Any, index: int) -> dict[str, Any]:
    """One entry of ``run_portfolios``: a ``POST /v1/portfolios`` body as it is (its
    ``allocation`` a dict), or ``run_portfolio``'s keyword arguments as a dict (``{"tickers":
    [...], "allocation": "fixed", "weights": {...}, "rebalance": "quarterly"}``). A
    ``ValueError`` naming ``portfolios[index]`` and the key before anything is sent."""
    where = f"portfolios[{index}]"
    if not isinstance(entry, Mapping):
        raise ValueError(
            f"{where} must be a dict (a POST /v1/portfolios body, or run_portfolio's arguments), "
            f"got {type(entry).__name__}"
        )
    if isinstance(entry.get("allocation"), Mapping):
        return _body_as_given(entry, where, keep_include=True)
    args = _checked_arguments(entry, where)
    try:
        return _request(args, args.get("allocation", "equal"), include=args.get("include"))
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def _body_as_given(entry: Mapping[str, Any], where: str, *, keep_include: bool) -> dict[str, Any]:
    """A ``POST /v1/portfolios`` body given as it is: its tickers a non-empty list of strings,
    its dates as text (``include`` dropped unless ``keep_include``)."""
    body = {str(k): v for k, v in entry.items() if keep_include or k != "include"}
    tickers = body.get("tickers")
    if isinstance(tickers, str) or not isinstance(tickers, Iterable) or not list(tickers):
        raise ValueError(f"{where}['tickers'] must be a non-empty list of tickers, got {tickers!r}")
    body["tickers"] = [str(t) for t in tickers]
    for key in ("start", "end"):
        if body.get(key) is not None:
            body[key] = date_text(body[key])
    return body


def _checked_arguments(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``run_portfolio``'s keyword arguments given as a dict: only its keys, ``tickers`` among
    them; a copy."""
    unknown = [str(k) for k in entry if k not in _RUN_PORTFOLIO_KEYS]
    if unknown:
        raise ValueError(
            f"{where}[{unknown[0]!r}]: not an argument of run_portfolio (known: {', '.join(_RUN_PORTFOLIO_KEYS)}; "
            "or give a POST /v1/portfolios body, its allocation a dict)"
        )
    if "tickers" not in entry:
        raise ValueError(f"{where}['tickers'] is missing: the tickers the portfolio holds")
    return dict(entry)


def _request(args: Mapping[str, Any], allocation: Any, *, include: Any) -> dict[str, Any]:
    """``portfolio_request`` from ``run_portfolio``'s keyword arguments in ``args``."""
    return portfolio_request(
        args["tickers"],
        args.get("start_date"),
        args.get("end_date"),
        allocation=allocation,
        rebalance=args.get("rebalance"),
        weights=args.get("weights"),
        lookback=args.get("lookback"),
        top=args.get("top"),
        cash=args.get("cash"),
        commission=args.get("commission"),
        fractional=args.get("fractional"),
        trade_on_close=args.get("trade_on_close"),
        include=include,
    )


def flat_portfolio_error(error: Any, request: Mapping[str, Any]) -> dict[str, Any]:
    """A failed portfolio: ``flat_portfolio``'s identification plus ``error`` (the message),
    ``error_code`` and ``error_status``, as ``run_job``'s failed items have."""
    allocation = request.get("allocation")
    schedule = request.get("schedule")
    return {
        "tickers": list(request.get("tickers") or []),
        "start_date": request.get("start"),
        "end_date": request.get("end"),
        "allocation": allocation.get("type") if isinstance(allocation, Mapping) else None,
        "schedule": schedule.get("type") if isinstance(schedule, Mapping) else None,
        "error": error.message,
        "error_code": error.code,
        "error_status": error.status,
    }
