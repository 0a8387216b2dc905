"""Parameter searches (``POST /v1/optimizations``): the request body and ``OptimizationResult``."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from ._core import _number, build_request
from ._errors import BacktestClientError
from ._grid import GridAxis, grid_axes
from ._portfolio import SEARCH_PARAMETERS, portfolio_parameters, search_portfolio, with_search_parameters

if TYPE_CHECKING:  # pragma: no cover
    import pandas

    from ._report import Report

__all__ = ["AsyncOptimizationResult", "OptimizationResult", "optimization_request"]

_SEARCH_METHODS = ("grid", "random")
_WALK_FORWARD_KEYS = ("train", "test", "step", "anchored")


def backtest_body(
    ticker: str | None,
    start_date: Any,
    end_date: Any,
    strategy: str | None,
    rules: str | None,
    params: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    """A ``BacktestRequest`` body with a built-in ``strategy`` (default ``sma_cross``) or a
    ``rules`` program (then ``strategy`` is ``rules`` or absent)."""
    if rules is not None:
        if not isinstance(rules, str) or not rules.strip():
            raise ValueError("rules must be the text of a rules program (docs/rules.md)")
        if strategy not in (None, "rules"):
            raise ValueError(f"give strategy or rules, not both (strategy={strategy!r})")
        body = build_request(ticker or "", start_date, end_date, "rules", params, options)
        body["rules"] = rules
    else:
        body = build_request(ticker or "", start_date, end_date, strategy or "sma_cross", params, options)
    if ticker is None:
        body.pop("ticker")
    return body


def walk_forward_text(value: str | Mapping[str, Any] | None) -> str | None:
    """``"train=500,test=250"`` as is; ``{"train": 500, "test": 250, "step": 250, "anchored": True}``
    in that form."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"walk_forward must be 'train=N,test=M[,step=K][,anchored]' or a dict, got {value!r}")
    unknown = sorted(set(value) - set(_WALK_FORWARD_KEYS))
    if unknown:
        raise ValueError(f"walk_forward: unknown key(s) {', '.join(unknown)}; known: {', '.join(_WALK_FORWARD_KEYS)}")
    parts = []
    for key in ("train", "test", "step"):
        if value.get(key) is not None:
            parts.append(f"{key}={int(value[key])}")
    if value.get("anchored"):
        parts.append("anchored")
    return ",".join(parts)


def optimization_request(
    tickers: str | Sequence[str] | None,
    start_date: Any,
    end_date: Any,
    *,
    strategy: str | None,
    rules: str | None,
    params: Mapping[str, Any] | None,
    grid: Mapping[str, Any],
    constraint: str | None,
    maximize: str | None,
    minimize: str | None,
    method: str | None,
    max_tries: int | None,
    seed: int | None,
    stats: Iterable[str] | None,
    top: int | None,
    walk_forward: str | Mapping[str, Any] | None,
    options: Mapping[str, Any],
    min_trades: int | None = None,
    portfolio: Any = None,
    robustness_blocks: int | None = None,
) -> tuple[dict[str, Any], list[GridAxis]]:
    """The ``OptimizationRequest`` body and the grid's axes; a ``ValueError`` (the grid, the
    method, the tickers) or ``TypeError`` (an unknown engine option) before anything is sent.
    With ``portfolio`` (see ``search_portfolio``) the body has ``portfolio`` instead of
    ``backtest``: no ticker, dates, strategy, rules, params or engine options; ``walk_forward``
    counts the portfolio's calendar bars."""
    axes = grid_axes(grid)
    if portfolio is not None:
        given = {
            "ticker": tickers,
            "start_date": start_date,
            "end_date": end_date,
            "strategy": strategy,
            "rules": rules,
            "params": params,
            **options,
        }
        for key, value in given.items():
            if value is not None:
                raise ValueError(
                    f"{key}: a portfolio search takes portfolio= alone (its tickers, dates and commission are "
                    "the portfolio's)"
                )
        for axis in axes:
            if axis.name not in SEARCH_PARAMETERS:
                raise ValueError(
                    f"grid[{axis.name!r}]: not a portfolio parameter; a portfolio search varies "
                    f"{', '.join(SEARCH_PARAMETERS)}"
                )
        searched = search_portfolio(portfolio, {axis.name: axis.values[0] for axis in axes})
        known = portfolio_parameters(searched)
        for axis in axes:
            if axis.name not in known:
                raise ValueError(
                    f"grid[{axis.name!r}]: not a parameter of this portfolio "
                    f"({searched['allocation'].get('type')} allocation); it has {', '.join(known)}"
                )
        search: dict[str, Any] = {"portfolio": searched, "grid": [axis.spec for axis in axes]}
        search.update(
            _search_fields(
                constraint, maximize, minimize, method, max_tries, seed, stats, top, walk_forward, min_trades,
                robustness_blocks,
            )
        )
        return search, axes
    if isinstance(tickers, str):
        names = [tickers]
    elif tickers is None:
        raise ValueError("optimize needs a ticker (or a list of tickers)")
    else:
        names = [str(t) for t in tickers]
        if not names:
            raise ValueError("optimize needs a ticker (or a list of tickers); the list is empty")
    extras = _search_fields(
        constraint, maximize, minimize, method, max_tries, seed, stats, top, walk_forward, min_trades,
        robustness_blocks,
    )
    backtest = backtest_body(
        names[0] if len(names) == 1 else None, start_date, end_date, strategy, rules, params, options
    )
    body: dict[str, Any] = {"backtest": backtest, "grid": [axis.spec for axis in axes]}
    if len(names) > 1:
        body["tickers"] = names
    body.update(extras)
    return body, axes


def _search_fields(
    constraint: str | None,
    maximize: str | None,
    minimize: str | None,
    method: str | None,
    max_tries: int | None,
    seed: int | None,
    stats: Iterable[str] | None,
    top: int | None,
    walk_forward: str | Mapping[str, Any] | None,
    min_trades: int | None,
    robustness_blocks: int | None = None,
) -> dict[str, Any]:
    """The search's own fields that are set, checked (a ``ValueError`` naming the field)."""
    if maximize is not None and minimize is not None:
        raise ValueError("give maximize or minimize, not both")
    if method is not None and method not in _SEARCH_METHODS:
        raise ValueError(f"method must be one of {', '.join(_SEARCH_METHODS)}, got {method!r}")
    if min_trades is not None and (isinstance(min_trades, bool) or not isinstance(min_trades, int) or min_trades < 0):
        raise ValueError(f"min_trades must be a whole number, 0 or more, got {min_trades!r}")
    if robustness_blocks is not None and (
        isinstance(robustness_blocks, bool)
        or not isinstance(robustness_blocks, int)
        or not 2 <= robustness_blocks <= 16
        or robustness_blocks % 2
    ):
        raise ValueError(f"robustness_blocks must be an even whole number from 2 to 16, got {robustness_blocks!r}")
    extras = {
        "constraint": constraint,
        "maximize": maximize,
        "minimize": minimize,
        "method": method,
        "max_tries": max_tries,
        "seed": seed,
        "stats": list(stats) if stats is not None else None,
        "top": top,
        "walk_forward": walk_forward_text(walk_forward),
        "min_trades": min_trades,
        "robustness_blocks": robustness_blocks,
    }
    return {k: v for k, v in extras.items() if v is not None}


def _stats(stats: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        k: (v if k in ("start", "end", "trades") or isinstance(v, (dict, list)) else _number(v))
        for k, v in (stats or {}).items()
    }


def _ordered(params: Mapping[str, Any] | None, parameters: Sequence[str]) -> dict[str, Any]:
    """The parameters in grid order, then any others."""
    params = params or {}
    out = {name: params[name] for name in parameters if name in params}
    out.update({k: v for k, v in params.items() if k not in out})
    return out


def _entry(entry: Mapping[str, Any] | None, parameters: Sequence[str]) -> dict[str, Any] | None:
    if not isinstance(entry, Mapping):
        return None
    out = dict(entry)
    out["params"] = _ordered(entry.get("params"), parameters)
    if "objective" in out:
        out["objective"] = _number(out["objective"])
    if "stats" in out:
        out["stats"] = _stats(out["stats"])
    return out


class OptimizationResult:
    """A finished search (``client.optimize(...)``).

    - ``best``: ``{"params", "objective", "stats"}`` (every statistic of the best run; several
      tickers: the best combination by mean objective, ``{"params", "objective", "tickers"}``,
      with each ticker's own best in ``tickers_best``);
    - ``top``: a pandas frame of the best combinations, best first, indexed by rank from 1
      (the parameters, then the statistics; several tickers: the ranking by mean objective);
    - ``heatmap``: a frame from ``GET /v1/optimizations/{id}/heatmap``: two or more parameters
      give the objective with the first parameter down the index and the second across, shape
      ``(len(first's values), len(second's values))``, each cell the best over any further
      parameters; one parameter gives a frame indexed by its values with a column per statistic.
      ``None`` for a walk-forward analysis (it has no heatmap) or with ``heatmap=False``;
    - ``combinations``: every combination with its statistics, in run order (the CSV);
    - ``folds``: walk-forward folds indexed by test start (a ``DatetimeIndex``), else ``None``;
    - ``robustness``: the search's robustness statistics when the server reports them, else ``None``;
    - ``warnings``: plain sentences about what could mislead (e.g. a winner on fewer than 10
      trades: pass ``min_trades=`` to ``optimize``), also shown by ``repr``;
    - ``raw``: the search's status JSON (``GET /v1/optimizations/{id}``), ``result`` its report;
    - ``report()``: the best run's backtest report (a portfolio search: the portfolio's report with
      the best parameters), ``page()``: the search's own page (``Report``);
    - ``portfolio``: a portfolio search's ``POST /v1/portfolios`` body, else ``None``.
    """

    def __init__(
        self,
        client: Any,
        raw: Mapping[str, Any],
        request: Mapping[str, Any],
        axes: Sequence[GridAxis],
        heatmap_csv: str | None,
    ) -> None:
        self._client = client
        self.raw: dict[str, Any] = dict(raw)
        self.request: dict[str, Any] = copy.deepcopy(dict(request))
        self.axes = list(axes)
        self.heatmap_csv = heatmap_csv
        self._frames: dict[str, Any] = {}

    # -- what the server said -----------------------------------------------------------------

    @property
    def id(self) -> str:
        """The search's id (``/v1/optimizations/{id}``)."""
        return str(self.raw.get("id"))

    @property
    def result(self) -> dict[str, Any]:
        """The search's report (``OptimizationReport``: best, top, folds, counts, ...)."""
        result = self.raw.get("result")
        return dict(result) if isinstance(result, Mapping) else {}

    @property
    def parameters(self) -> list[str]:
        names = self.result.get("parameters")
        return [str(n) for n in names] if isinstance(names, list) else [a.name for a in self.axes]

    @property
    def objective(self) -> str:
        """The statistic optimised (``sqn`` by default)."""
        objective = self.result.get("objective") or {}
        return str(objective.get("statistic") or self.request.get("maximize") or self.request.get("minimize") or "sqn")

    @property
    def maximizing(self) -> bool:
        objective = self.result.get("objective") or {}
        direction = objective.get("direction", "minimize" if self.request.get("minimize") else "maximize")
        return bool(direction == "maximize")

    @property
    def portfolio(self) -> dict[str, Any] | None:
        """A portfolio search's portfolio (the ``POST /v1/portfolios`` body searched), else ``None``."""
        portfolio = self.request.get("portfolio")
        return copy.deepcopy(dict(portfolio)) if isinstance(portfolio, Mapping) else None

    @property
    def tickers(self) -> list[str]:
        if isinstance(self.request.get("tickers"), list):
            return list(self.request["tickers"])
        if isinstance(self.request.get("portfolio"), Mapping):
            return [str(t) for t in self.request["portfolio"].get("tickers") or []]
        return [str(self.request["backtest"].get("ticker"))]

    @property
    def best(self) -> dict[str, Any]:
        """The best combination: ``{"params", "objective", "stats"}`` (see the class)."""
        best = _entry(self.result.get("best"), self.parameters)
        if best is not None:
            return best
        ranking = self.result.get("ranking")
        if isinstance(ranking, list) and ranking:
            first = ranking[0]
            return {
                "params": _ordered(first.get("params"), self.parameters),
                "objective": _number(first.get("mean_objective")),
                "tickers": first.get("tickers"),
                "stats": {},
            }
        raise BacktestClientError(f"search {self.id} has no best combination (no run made a trade?)", code="no_best")

    @property
    def tickers_best(self) -> dict[str, dict[str, Any]]:
        """Several tickers: each ticker's best combination (``{"params", "objective", "stats"}``)."""
        out: dict[str, dict[str, Any]] = {}
        for item in self.result.get("tickers") or []:
            best = _entry(item.get("best"), self.parameters)
            if best is not None:
                out[str(item.get("ticker"))] = best
        return out

    @property
    def coverage(self) -> dict[str, dict[str, Any]]:
        """Several tickers: the window each ticker's data covers, ``{"first_bar", "last_bar",
        "bars", "short_window"}`` by ticker (``short_window`` true when it starts more than 5
        trading days late or ends more than 5 early: its statistics are not comparable with
        the others'); empty when the server does not report it."""
        out: dict[str, dict[str, Any]] = {}
        for item in self.result.get("tickers") or []:
            coverage = item.get("coverage") if isinstance(item, Mapping) else None
            if isinstance(coverage, Mapping):
                out[str(item.get("ticker"))] = {
                    "first_bar": coverage.get("first_bar"),
                    "last_bar": coverage.get("last_bar"),
                    "bars": coverage.get("bars"),
                    "short_window": bool(coverage.get("short")),
                }
        return out

    @property
    def warnings(self) -> list[str]:
        """The search's warnings (e.g. a winner that rests on fewer than 10 trades)."""
        warnings = self.result.get("warnings")
        return [str(w) for w in warnings] if isinstance(warnings, list) else []

    @property
    def robustness(self) -> Any:
        """The ``robustness`` member of the search's result (or status) when the server has it."""
        result = self.result
        if "robustness" in result:
            return result["robustness"]
        return self.raw.get("robustness")

    # -- frames ---------------------------------------------------------------------------------

    @property
    def top(self) -> pandas.DataFrame:
        """The best combinations as a frame, best first, indexed by rank (see the class)."""
        if "top" not in self._frames:
            from ._frames import params_stats_frame

            entries = self.result.get("top")
            if not entries and isinstance(self.result.get("ranking"), list):
                entries = [
                    {"params": r.get("params"), "mean_objective": r.get("mean_objective"), "tickers": r.get("tickers")}
                    for r in self.result["ranking"]
                ]
            self._frames["top"] = params_stats_frame(entries or [], self.parameters, "OptimizationResult.top")
        return cast("pandas.DataFrame", self._frames["top"])

    @property
    def combinations(self) -> pandas.DataFrame | None:
        """Every combination with its statistics, in run order (the heatmap CSV as a frame;
        a ``ticker`` column first for several tickers); ``None`` without a heatmap."""
        if self.heatmap_csv is None:
            return None
        if "combinations" not in self._frames:
            from ._frames import combinations_frame

            self._frames["combinations"] = combinations_frame(self.heatmap_csv)
        return cast("pandas.DataFrame", self._frames["combinations"])

    @property
    def heatmap(self) -> pandas.DataFrame | None:
        """The heatmap frame (see the class); ``None`` for a walk-forward analysis."""
        combinations = self.combinations
        if combinations is None:
            return None
        if "heatmap" not in self._frames:
            from ._frames import heatmap_frame

            self._frames["heatmap"] = heatmap_frame(
                combinations,
                self.parameters,
                self.objective,
                self.maximizing,
                {a.name: a.values for a in self.axes},
            )
        return cast("pandas.DataFrame", self._frames["heatmap"])

    @property
    def folds(self) -> pandas.DataFrame | None:
        """Walk-forward folds indexed by test start (a ``DatetimeIndex``); ``None`` otherwise."""
        folds = self.result.get("folds")
        if not folds:
            return None
        if "folds" not in self._frames:
            from ._frames import folds_frame

            self._frames["folds"] = folds_frame(folds, self.parameters)
        return cast("pandas.DataFrame", self._frames["folds"])

    # -- reports --------------------------------------------------------------------------------

    def best_request(self, ticker: str | None = None) -> dict[str, Any]:
        """The ``POST /v1/reports`` body of the best run: the search's backtest with the best
        parameters (several tickers: ``ticker``'s own best, default the first ticker; a
        walk-forward analysis: the last fold's winner over the whole period; a portfolio
        search: the portfolio with the best ``lookback``, ``top``, ``every``, ``commission``)."""
        portfolio = self.portfolio
        if portfolio is not None:
            if ticker is not None:
                raise ValueError(f"ticker={ticker!r}: a portfolio search has one best run, over all its tickers")
            return with_search_parameters(portfolio, self.best["params"])
        body: dict[str, Any] = copy.deepcopy(self.request["backtest"])
        tickers = self.tickers
        if ticker is None:
            ticker = tickers[0]
        elif ticker not in tickers:
            raise ValueError(f"{ticker!r} is not one of the search's tickers ({', '.join(tickers)})")
        body["ticker"] = ticker
        best = self.tickers_best.get(ticker) if len(tickers) > 1 else None
        params = dict((best or self.best)["params"])
        for key in ("sl_pct", "tp_pct"):  # a grid over them overrides the backtest's setting
            if key in params:
                body[key] = params.pop(key)
        body["params"] = {**(body.get("params") or {}), **params}
        return body

    def report(self, ticker: str | None = None, *, height: int | None = None) -> Report:
        """The best run's backtest report (``POST /v1/reports``; see ``best_request``)."""
        return self._client._report_body(self.best_request(ticker), height=height)  # type: ignore[no-any-return]

    def page(self, *, height: int | None = None) -> Report:
        """The search's own page (``GET /v1/optimizations/{id}/report``): heatmaps, top list, folds."""
        return self._client.optimization_page(self.id, height=height)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        result = self.result
        try:
            best = self.best
            what = (
                " ".join(f"{k}={v}" for k, v in best["params"].items()) + f" {self.objective}={best['objective']:.4g}"
            )
        except (BacktestClientError, KeyError, TypeError, ValueError):
            what = "no best"
        counts = f"{result.get('evaluated', '?')} runs" if "evaluated" in result else ""
        text = f"<OptimizationResult {self.id} {', '.join(self.tickers)}: best {what}{'; ' + counts if counts else ''}>"
        return text + "".join(f"\nwarning: {w}" for w in self.warnings)


class AsyncOptimizationResult(OptimizationResult):
    """``OptimizationResult`` of ``AsyncBacktestingClient``: ``report()`` and ``page()`` are
    coroutines."""

    async def report(self, ticker: str | None = None, *, height: int | None = None) -> Report:  # type: ignore[override]
        return await self._client._report_body(self.best_request(ticker), height=height)  # type: ignore[no-any-return]

    async def page(self, *, height: int | None = None) -> Report:  # type: ignore[override]
        return await self._client.optimization_page(self.id, height=height)  # type: ignore[no-any-return]
