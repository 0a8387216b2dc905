"""Searches over a portfolio from Python (issues 21 and 24): ``client.optimize(portfolio=...)``
against a real `backtest serve` (``POST /v1/optimizations`` with ``portfolio``), and bad input
refused before any request."""

from __future__ import annotations

import asyncio
import json
import math
import re

import pytest

from backtest_client import (
    AsyncBacktestingClient,
    AsyncOptimizationResult,
    BacktestingClient,
    InvalidRequestError,
    NotFoundError,
    OptimizationResult,
    Progress,
    Report,
)

BODY = {
    "tickers": ["AAPL", "MSFT", "NVDA", "GOOG"],
    "start": "2016-01-01",
    "end": "2020-12-31",
    "allocation": {"type": "momentum", "lookback": 60, "top_k": 2},
    "schedule": {"type": "monthly"},
    "commission": 0.001,
}
GRID = {"lookback": range(20, 140, 20), "top": range(1, 4)}  # 6 x 3 = 18 combinations


def report_data(report: Report) -> dict:
    match = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', report.html, re.S)
    assert match
    return json.loads(match.group(1).replace("\\u003c", "<"))


def test_portfolio_search_on_the_server(server) -> None:
    pd = pytest.importorskip("pandas")
    seen: list[Progress] = []
    with BacktestingClient(base_url=server.url) as client:
        search = client.optimize(portfolio=BODY, grid=GRID, top=3, progress=seen.append)
        best = search.best
        plain = client.run_portfolio(
            BODY["tickers"],
            BODY["start"],
            BODY["end"],
            allocation="momentum",
            lookback=best["params"]["lookback"],
            top=best["params"]["top"],
            rebalance="monthly",
            commission=0.001,
        )
        report = search.report()
        page = search.page()
    assert isinstance(search, OptimizationResult) and search.raw["status"] == "done"
    assert search.request == {"portfolio": BODY, "grid": ["lookback=20..120:20", "top=1..3:1"], "top": 3}
    assert "backtest" not in search.request and search.portfolio == BODY
    assert seen and seen[-1].done == seen[-1].total == 18
    assert search.result["combinations"] == 18 and search.result["evaluated"] == 18
    assert search.objective == "sharpe_ratio" and search.maximizing  # the portfolio's default
    assert search.tickers == BODY["tickers"]

    # The winner is a plain portfolio run with its parameters.
    assert list(best["params"]) == ["lookback", "top"]
    assert best["params"]["lookback"] in GRID["lookback"] and best["params"]["top"] in GRID["top"]
    assert math.isclose(best["objective"], best["stats"]["sharpe_ratio"])
    assert best["stats"]["sharpe_ratio"] == plain["sharpe_ratio"] and math.isfinite(plain["sharpe_ratio"])
    assert best["stats"]["return_pct"] == plain["return_pct"]
    assert best["stats"]["trades"] > 0

    top = search.top
    assert top.shape[0] == 3 and list(top.columns[:2]) == ["lookback", "top"]
    assert top["sharpe_ratio"].is_monotonic_decreasing
    heatmap = search.heatmap
    assert heatmap.shape == (6, 3) and heatmap.index.name == "lookback" and heatmap.columns.name == "top"
    assert list(heatmap.index) == list(GRID["lookback"]) and list(heatmap.columns) == [1, 2, 3]
    assert pd.api.types.is_float_dtype(heatmap.dtypes.iloc[0]) and heatmap.notna().all().all()
    assert math.isclose(heatmap.max().max(), best["objective"])
    assert math.isclose(heatmap.loc[best["params"]["lookback"], best["params"]["top"]], best["objective"])
    assert len(search.combinations) == 18
    assert re.match(
        r"^<OptimizationResult \S+ AAPL, MSFT, NVDA, GOOG: best lookback=\d+ top=\d sharpe_ratio=", repr(search)
    )

    # report(): the portfolio's page with the best parameters; page(): the search's page.
    assert search.best_request() == {
        **BODY,
        "allocation": {"type": "momentum", "lookback": best["params"]["lookback"], "top_k": best["params"]["top"]},
    }
    assert isinstance(report, Report) and report.kind == "portfolio"
    assert report_data(report)["stats"]["sharpe_ratio"] == best["stats"]["sharpe_ratio"]
    assert page.kind == "optimization" and "AAPL, MSFT, NVDA, GOOG" in page.html
    with pytest.raises(ValueError, match="a portfolio search has one best run"):
        search.best_request("AAPL")


def test_run_portfolio_arguments_as_the_portfolio(server) -> None:
    """``run_portfolio``'s arguments as a dict: what the grid varies may be left out (its first
    value fills it); the same winner as the body form."""
    pytest.importorskip("pandas")
    arguments = {
        "tickers": BODY["tickers"],
        "start_date": "2016-01-01",
        "end_date": "2020-12-31",
        "allocation": "momentum",
        "commission": 0.001,
        "include": ["equity"],  # dropped: a search reports statistics
    }
    with BacktestingClient(base_url=server.url) as client:
        search = client.optimize(portfolio=arguments, grid={"lookback": "20..120:20", "top": [1, 2, 3]}, progress=False)
        body_form = client.optimize(portfolio=BODY, grid=GRID, progress=False, heatmap=False)
        schedule = client.optimize(
            portfolio={"tickers": ["AAPL", "MSFT"], "start_date": "2018-01-01", "end_date": "2020-12-31"},
            grid={"every": range(10, 70, 10), "commission": [0, 0.001, 0.002]},
            minimize="max_drawdown_pct",
            progress=False,
        )
    assert search.request["portfolio"] == {
        **BODY,
        "allocation": {"type": "momentum", "lookback": 20, "top_k": 1},
    }
    assert search.best["params"] == body_form.best["params"]
    assert search.best["stats"]["sharpe_ratio"] == body_form.best["stats"]["sharpe_ratio"]
    assert search.heatmap.shape == (6, 3)

    assert schedule.request["portfolio"]["schedule"] == {"type": "every_n_bars", "n": 10}
    assert schedule.request["portfolio"]["allocation"] == {"type": "equal"}
    assert schedule.objective == "max_drawdown_pct" and not schedule.maximizing
    assert schedule.heatmap.shape == (6, 3) and list(schedule.heatmap.columns) == [0, 0.001, 0.002]
    assert math.isclose(schedule.heatmap.min().min(), schedule.best["objective"])
    best = schedule.best_request()
    assert best["schedule"] == {"type": "every_n_bars", "n": schedule.best["params"]["every"]}
    assert best["commission"] == schedule.best["params"]["commission"]


def test_bad_portfolio_searches_are_refused_before_any_request(fake_factory) -> None:
    fake = fake_factory()  # records every request; none may arrive
    equal = {"tickers": ["AAPL", "MSFT"], "allocation": {"type": "equal"}, "schedule": {"type": "monthly"}}
    bad = [
        ({"ticker": "AAPL"}, GRID, r"^ticker: a portfolio search takes portfolio= alone"),
        ({"ticker": ["AAPL", "MSFT"]}, GRID, r"^ticker: a portfolio search"),
        ({"tickers": ["AAPL", "MSFT"]}, GRID, r"^tickers: a portfolio search"),
        ({"walk_forward": {"train": 500, "tests": 250}}, GRID, r"^walk_forward: unknown key\(s\) tests"),
        ({"walk_forward": 500}, GRID, r"^walk_forward must be 'train=N,test=M"),
        ({"start_date": "2016-01-01"}, GRID, r"^start_date: a portfolio search"),
        ({"strategy": "sma_cross"}, GRID, r"^strategy: a portfolio search"),
        ({"rules": "enter long when close > 1"}, GRID, r"^rules: a portfolio search"),
        ({"params": {"fast": 5}}, GRID, r"^params: a portfolio search"),
        ({"commission": 0.002}, GRID, r"^commission: a portfolio search"),
        (
            {},
            {"fast": range(5, 55, 5)},
            r"grid\['fast'\]: not a portfolio parameter; .* lookback, top, every, commission",
        ),
        ({}, {"lookback": "20..120"}, r"grid\['lookback'\]: '20..120' is not LO..HI:STEP"),
        ({}, {"top": range(3, 1)}, r"grid\['top'\]: range\(3, 1\) is empty"),
        ({}, {}, "grid is empty"),
        ({"method": "annealing"}, GRID, "method must be one of grid, random"),
        ({"min_trades": -1}, GRID, "min_trades must be a whole number"),
        ({"robustness_blocks": 7}, GRID, "robustness_blocks must be an even whole number from 2 to 16"),
        ({"robustness_blocks": 18}, GRID, "robustness_blocks must be an even whole number from 2 to 16"),
        ({"robustness_blocks": True}, GRID, "robustness_blocks must be an even whole number from 2 to 16"),
        ({"maximize": "sharpe_ratio", "minimize": "max_drawdown_pct"}, GRID, "give maximize or minimize"),
    ]
    with BacktestingClient(base_url=fake.url) as client:
        for extra, grid, message in bad:
            with pytest.raises(ValueError, match=message):
                client.optimize(portfolio=BODY, grid=grid, **extra)
        for portfolio, grid, message in [
            (
                equal,
                {"lookback": [20, 40]},
                r"grid\['lookback'\]: not a parameter of this portfolio \(equal allocation\); it has commission",
            ),
            (equal, {"every": [5, 10]}, r"grid\['every'\]: not a parameter of this portfolio .* it has commission"),
            (
                {**equal, "allocation": {"type": "inverse_volatility", "lookback": 20}},
                {"top": [1, 2]},
                r"it has lookback, commission",
            ),
            ("AAPL,MSFT", GRID, "portfolio must be a dict"),
            ({**BODY, "tickers": []}, GRID, r"portfolio\['tickers'\] must be a non-empty list"),
            ({**BODY, "tickers": "AAPL"}, GRID, r"portfolio\['tickers'\] must be a non-empty list"),
            ({**BODY, "allocation": {"type": "random"}}, GRID, r"portfolio\['allocation'\]\['type'\] must be one of"),
            (
                {"tickers": ["AAPL"], "allocation": "equal", "start": "2016-01-01"},
                GRID,
                r"portfolio\['start'\]: not an argument of run_portfolio",
            ),
            ({"allocation": "momentum"}, GRID, r"portfolio\['tickers'\] is missing"),
            (
                {"tickers": ["AAPL"], "allocation": "fixed"},
                {"commission": [0, 0.001]},
                "weights must be a non-empty dict",
            ),
            ({"tickers": ["AAPL"], "allocation": "momentum"}, {"commission": [0, 0.001]}, "needs lookback="),
            ({"tickers": ["AAPL"], "rebalance": "daily"}, {"commission": [0, 0.001]}, "rebalance must be one of"),
        ]:
            with pytest.raises(ValueError, match=message):
                client.optimize(portfolio=portfolio, grid=grid)
    assert fake.requests == []


def test_portfolio_walk_forward_on_the_server(server) -> None:
    pd = pytest.importorskip("pandas")
    with BacktestingClient(base_url=server.url) as client:
        wf = client.optimize(
            portfolio=BODY,
            grid={"lookback": [20, 60, 100], "top": [1, 2]},
            walk_forward={"train": 500, "test": 250},
            progress=False,
        )
        with pytest.raises(InvalidRequestError) as caught:
            client.optimize(portfolio=BODY, grid=GRID, walk_forward="train=5000,test=250", progress=False)
        assert caught.value.status == 422 and caught.value.problem.get("field") == "walk_forward"
        assert "1259 bars" in caught.value.message
    assert wf.request["walk_forward"] == "train=500,test=250" and "portfolio" in wf.request
    assert wf.heatmap is None and wf.result["walk_forward"] == "train=500,test=250,step=250"
    # 1,259 calendar bars: tests on 500..749, 750..999, 1000..1249 and 1250..1258.
    folds = wf.folds
    assert isinstance(folds.index, pd.DatetimeIndex) and len(folds) == 4
    assert {"lookback", "top", "in_sample_objective", "efficiency"} <= set(folds.columns)
    assert wf.best["stats"]["trades"] > 0 and wf.best["stats"]["equity_final"] > 0


def test_server_side_errors_name_the_portfolio_field(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        with pytest.raises(InvalidRequestError) as caught:
            client.optimize(portfolio={**BODY, "cash": -5}, grid=GRID, progress=False)
        assert caught.value.status == 422 and caught.value.problem.get("field") == "portfolio.cash"
        with pytest.raises(InvalidRequestError) as caught:
            client.optimize(portfolio=BODY, grid=GRID, maximize="no_such_statistic", progress=False)
        assert caught.value.status == 422 and "no_such_statistic" in caught.value.message
        with pytest.raises(NotFoundError):
            client.optimize(portfolio={**BODY, "tickers": ["AAPL", "TSLA"]}, grid=GRID, progress=False)


def test_async_portfolio_search(server) -> None:
    pytest.importorskip("pandas")

    async def main() -> tuple[AsyncOptimizationResult, Report]:
        async with AsyncBacktestingClient(base_url=server.url) as client:
            with pytest.raises(ValueError, match=r"^ticker: a portfolio search"):
                await client.optimize("AAPL", portfolio=BODY, grid=GRID)
            search = await client.optimize(portfolio=BODY, grid=GRID, progress=False)
            return search, await search.report()

    search, report = asyncio.run(main())
    with BacktestingClient(base_url=server.url) as client:
        sync = client.optimize(portfolio=BODY, grid=GRID, progress=False, heatmap=False)
    assert isinstance(search, AsyncOptimizationResult) and search.heatmap.shape == (6, 3)
    assert search.best["params"] == sync.best["params"] and search.best["objective"] == sync.best["objective"]
    assert report.kind == "portfolio"
