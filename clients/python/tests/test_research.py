"""Searches, reports and portfolios from Python (issue 24), against real `backtest serve`
processes: optimize with its grid, heatmap, top list, report and page; Report inline; the
frames; bad grids refused before any request; retries and a broken event stream; the async
client; imports that stay light."""

from __future__ import annotations

import asyncio
import html
import io
import json
import math
import re
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path

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
    RetryPolicy,
    equity_frame,
    orders_frame,
    weights_frame,
)
from helpers import PYTHON, Sleeps, problem

GOOG = ("GOOG", "2013-01-01", "2023-09-21")
GRID = {"fast": range(5, 55, 5), "slow": range(10, 210, 10)}
SMALL = {"fast": [5, 10, 20], "slow": range(30, 90, 20)}  # every combination admissible


def report_data(report: Report) -> object:
    match = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', report.html, re.S)
    assert match
    return json.loads(match.group(1))


def test_optimize_the_issue_example(server) -> None:
    pd = pytest.importorskip("pandas")
    with BacktestingClient(base_url=server.url) as client:
        search = client.optimize(*GOOG, strategy="sma_cross", grid=GRID, constraint="fast < slow", progress=False)
        best_run = client.run_backtest("GOOG", GOOG[1], GOOG[2], params=search.best["params"])
    assert isinstance(search, OptimizationResult)
    assert search.request["grid"] == ["fast=5..50:5", "slow=10..200:10"]
    assert search.raw["status"] == "done" and search.raw["id"] == search.id
    assert search.result["admissible"] == 175 and search.result["combinations"] == 200
    best = search.best
    assert set(best["params"]) == {"fast", "slow"} and best["params"]["fast"] < best["params"]["slow"]
    assert math.isclose(best["objective"], best["stats"]["sqn"])
    assert math.isclose(best["stats"]["sqn"], best_run["sqn"], rel_tol=1e-12)  # the best run is a plain run
    assert search.objective == "sqn" and search.maximizing

    top = search.top
    assert list(top.columns[:2]) == ["fast", "slow"] and "sqn" in top.columns and "trades" in top.columns
    assert top.shape[0] == 10 and list(top.index) == list(range(1, 11)) and top.index.name == "rank"
    assert top.iloc[0]["fast"] == best["params"]["fast"] and top.iloc[0]["slow"] == best["params"]["slow"]
    assert top["sqn"].is_monotonic_decreasing

    heatmap = search.heatmap
    assert heatmap.shape == (10, 20)
    assert list(heatmap.index) == list(range(5, 55, 5)) and list(heatmap.columns) == list(range(10, 210, 10))
    assert heatmap.index.name == "fast" and heatmap.columns.name == "slow"
    assert math.isnan(heatmap.loc[50, 20])  # fast < slow excluded it
    assert math.isclose(heatmap.loc[best["params"]["fast"], best["params"]["slow"]], best["objective"])
    assert math.isclose(heatmap.max().max(), best["objective"])
    assert heatmap.notna().sum().sum() <= 175
    combinations = search.combinations
    assert list(combinations.columns[:2]) == ["fast", "slow"] and len(combinations) == 175
    assert pd.api.types.is_float_dtype(heatmap.dtypes.iloc[0])
    assert search.robustness == search.result.get("robustness")
    robustness = search.robustness  # the server's block, as `backtest optimize --format json` prints it
    assert isinstance(robustness, dict) and robustness["trials"] == 175 and robustness["blocks"] == 16
    assert robustness["combinations"] == 12870 and robustness["winner"] == ", ".join(f"{k}={v}" for k, v in best["params"].items())
    for key in ("sharpe", "sharpe_std", "expected_max_sharpe", "pbo", "prob_oos_loss", "winner_sharpe"):
        assert math.isfinite(robustness[key]), key
    assert 0 <= robustness["pbo"] <= 1 and 0 <= robustness["prob_oos_loss"] <= 1
    assert set(robustness["degradation"]) == {"slope", "intercept"}
    assert robustness["bootstrap"]["samples"] == 1000 and robustness["bootstrap"]["trades"] > 0
    # What the page's charts draw: every split's logit in bins (those at or below 0 are PBO's),
    # and every 13th split's Sharpe ratios.
    histogram, sample = robustness["logit_histogram"], robustness["split_sample"]
    assert sum(histogram["counts"]) == 12870 and histogram["width"] == 0.25
    at_or_below = sum(c for k, c in enumerate(histogram["counts"]) if round(histogram["lower"] / histogram["width"]) + k + 1 <= 0)
    assert at_or_below / 12870 == robustness["pbo"]
    assert sample["step"] == 13 and len(sample["in_sample_sharpe"]) == len(sample["out_of_sample_sharpe"]) == 990
    assert search.folds is None
    assert re.match(r"^<OptimizationResult \S+ GOOG: best fast=\d+ slow=\d+ sqn=", repr(search))


def test_optimize_with_progress_callback_and_rules(server) -> None:
    pytest.importorskip("pandas")
    program = (
        "param period = 14 (2..100)\nenter long when rsi(close, period) < 30\nexit long when rsi(close, period) > 70\n"
    )
    seen: list[Progress] = []
    with BacktestingClient(base_url=server.url) as client:
        search = client.optimize(
            "AAPL",
            "2015-01-01",
            "2020-12-31",
            rules=program,
            grid={"period": "5..30:5"},
            maximize="return_pct",
            stats=["return_pct", "sharpe_ratio", "trades"],
            progress=seen.append,
        )
    assert seen and seen[-1].done == seen[-1].total == 6 and all(isinstance(p, Progress) for p in seen)
    assert search.request["backtest"]["rules"] == program and search.request["backtest"]["strategy"] == "rules"
    heatmap = search.heatmap  # one parameter: indexed by its values, a column per statistic
    assert list(heatmap.index) == [5, 10, 15, 20, 25, 30] and heatmap.index.name == "period"
    assert list(heatmap.columns) == ["return_pct", "sharpe_ratio", "trades"]
    assert math.isclose(heatmap["return_pct"].max(), search.best["objective"])


def test_bad_grids_are_refused_before_any_request(fake_factory) -> None:
    fake = fake_factory()  # records every request; none may arrive
    bad = [
        ({}, "grid is empty"),
        ({"fast": range(5, 5)}, r"grid\['fast'\]: range\(5, 5\) is empty"),
        ({"fast": []}, r"grid\['fast'\]: no values"),
        ({"slow": ["a", "b"]}, r"grid\['slow'\]: 'a' \(str\) is not a number or a boolean"),
        ({"slow": [10, float("nan")]}, r"grid\['slow'\]: nan is not a finite number"),
        ({"fast": "5..50"}, r"grid\['fast'\]: '5..50' is not LO..HI:STEP"),
        ({"fast": "5..50:0"}, r"grid\['fast'\]: the step must be positive"),
        ({"fast": "50..5:5"}, r"grid\['fast'\]: LO 50 is above HI 5"),
        ({"fast": {5, 10}}, r"grid\['fast'\]: a set has no order"),
        ({"fast": None}, r"grid\['fast'\]: NoneType is not a grid"),
        ({"fast": object()}, r"grid\['fast'\]: object is not a grid"),
        ({"fast range": [1]}, r"grid key 'fast range' is not a parameter name"),
        ({"fast": range(0, 2_000_000)}, r"grid\['fast'\]: 2000000 values, over the limit"),
    ]
    with BacktestingClient(base_url=fake.url) as client:
        for grid, message in bad:
            with pytest.raises(ValueError, match=message):
                client.optimize(*GOOG, grid=grid)
        with pytest.raises(ValueError, match="method must be one of grid, random"):
            client.optimize(*GOOG, grid=SMALL, method="annealing")
        with pytest.raises(TypeError, match="unknown engine option"):
            client.optimize(*GOOG, grid=SMALL, comission=0.1)
    assert fake.requests == []


def test_grid_specs() -> None:
    from backtest_client import grid_axes

    axes = grid_axes(
        {
            "fast": range(5, 55, 5),
            "k": [1.5, 2, 2.5],
            "short": [False, True],
            "n": 3,
            "down": range(10, 0, -4),
            "p": "0.5..1.5:0.5",
            "q": "1,2,true",
        }
    )
    assert [a.spec for a in axes] == [
        "fast=5..50:5",
        "k=1.5,2,2.5",
        "short=false,true",
        "n=3",
        "down=10,6,2",
        "p=0.5..1.5:0.5",
        "q=1,2,true",
    ]
    assert axes[5].values == [0.5, 1.0, 1.5] and axes[6].values == [1, 2, True]


def test_server_side_errors_name_the_field(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        with pytest.raises(InvalidRequestError) as caught:
            client.optimize(*GOOG, grid=SMALL, constraint="fast <")
        assert caught.value.status == 422 and caught.value.problem.get("field") == "constraint"
        with pytest.raises(InvalidRequestError) as caught:
            client.optimize(*GOOG, grid={"nope": [1, 2]})
        assert caught.value.status == 422
        with pytest.raises(NotFoundError) as caught:
            client.optimize("TSLA", grid=SMALL)
        assert caught.value.code == "unknown_ticker"


def test_min_trades_floor_and_warnings(server, fake_factory) -> None:
    fake = fake_factory()  # records every request; none may arrive
    grid = {"fast": [5, 10, 150, 190], "slow": [20, 30, 300, 370]}
    with BacktestingClient(base_url=server.url) as client:
        plain = client.optimize(*GOOG, grid=grid, constraint="fast < slow", heatmap=False, progress=False)
        floored = client.optimize(*GOOG, grid=grid, constraint="fast < slow", min_trades=30, progress=False)
    assert isinstance(plain.warnings, list) and "min_trades" not in plain.result
    few = plain.best["stats"]["trades"] < 10
    assert bool(plain.warnings) == few
    if few:
        assert "--min-trades" in plain.warnings[0] and "warning:" in repr(plain)
    assert floored.request["min_trades"] == 30
    assert floored.result["min_trades"] == 30 and floored.result["below_min_trades"] >= 1
    assert floored.best["stats"]["trades"] >= 30 and floored.warnings == []
    combos = floored.combinations
    assert combos is not None
    below = combos[combos["trades"] < 30]
    assert len(below) >= 1 and below["sqn"].isna().all()  # listed, no objective value
    with BacktestingClient(base_url=fake.url) as client:
        for bad in (-1, 2.5, True, "30"):
            with pytest.raises(ValueError, match="min_trades must be a whole number"):
                client.optimize(*GOOG, grid=SMALL, min_trades=bad)
    assert fake.requests == []


def test_walk_forward_and_several_tickers(server) -> None:
    pd = pytest.importorskip("pandas")
    with BacktestingClient(base_url=server.url) as client:
        wf = client.optimize(
            *GOOG, grid=SMALL, constraint="fast < slow", walk_forward={"train": 500, "test": 250}, progress=False
        )
        several = client.optimize(
            ["AAPL", "MSFT"], "2016-01-01", "2020-12-31", grid=SMALL, constraint="fast < slow", progress=False
        )
        report = several.report("MSFT")
    assert wf.request["walk_forward"] == "train=500,test=250"
    assert wf.heatmap is None and wf.combinations is None  # a walk-forward analysis has no heatmap
    folds = wf.folds
    assert isinstance(folds.index, pd.DatetimeIndex) and folds.index.name == "test_start" and len(folds) >= 2
    assert {"fast", "slow", "in_sample_objective", "test_end", "in_sample_return_ann_pct", "efficiency"} <= set(folds.columns)
    assert folds.index.is_monotonic_increasing
    # Walk-forward efficiency: out-of-sample over in-sample annualised return, NaN when the
    # in-sample one is not above 0; over the folds, the ratio of the means.
    defined = folds["in_sample_return_ann_pct"] > 0
    expected = folds["return_ann_pct"] / folds["in_sample_return_ann_pct"]
    assert (abs(folds.loc[defined, "efficiency"] - expected[defined]) <= 1e-9 * abs(expected[defined])).all()
    assert folds.loc[~defined, "efficiency"].isna().all()
    overall = folds["return_ann_pct"].mean() / folds["in_sample_return_ann_pct"].mean()
    assert abs(wf.result["walk_forward_efficiency"] - overall) <= 1e-9 * abs(overall)

    assert several.tickers == ["AAPL", "MSFT"] and "tickers" in several.request
    assert several.heatmap.shape == (3, 3)
    assert list(several.combinations.columns[:3]) == ["ticker", "fast", "slow"]
    assert set(several.tickers_best) == {"AAPL", "MSFT"}
    assert several.best["params"] == dict(several.top.iloc[0][["fast", "slow"]].astype(int))
    assert several.best_request("MSFT")["params"] == several.tickers_best["MSFT"]["params"]
    assert report.kind == "report" and "MSFT" in report.title


def test_report_inline(server, tmp_path: Path) -> None:
    with BacktestingClient(base_url=server.url) as client:
        report = client.report(
            "GOOG", "2018-01-01", "2020-12-31", strategy="sma_cross", params={"fast": 10, "slow": 30}
        )
    assert isinstance(report, Report)
    assert report.html.lstrip().lower().startswith("<!doctype html>") and report.kind == "report"
    assert report.size == len(report.html.encode()) > 50_000
    line = repr(report)
    assert "\n" not in line and re.match(r"^<Report '.*GOOG.*' \d+\.\d KB>$", line), line
    frame = report._repr_html_()
    match = re.fullmatch(
        r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" title="[^"]*" '
        r'referrerpolicy="no-referrer" style="width: 100%; height: (\d+)px; [^"]*"></iframe>',
        frame,
    )
    assert match, frame[:200]
    assert html.unescape(match.group(1)) == report.html  # escaped, so the page cannot end the attribute
    assert "<" not in match.group(1) and '"' not in match.group(1)
    assert int(match.group(2)) == report.height == 1400
    assert "height: 640px" in Report(report.html, height=640)._repr_html_()
    saved = report.save(tmp_path / "goog.html")
    assert saved.read_text(encoding="utf-8") == report.html


def test_search_report_and_page(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        search = client.optimize(*GOOG, grid=SMALL, constraint="fast < slow", commission=0.002, progress=False)
        best = client.report(GOOG[0], GOOG[1], GOOG[2], params=search.best["params"], commission=0.002)
        report = search.report()
        page = search.page()
    # The best run's report is POST /v1/reports with the best parameters (same data; the
    # server's JSON objects need not list their keys in the same order twice).
    assert report_data(report) == report_data(best) and report.title == best.title
    assert search.best_request()["commission"] == 0.002
    assert page.kind == "optimization" and page.height == 1850
    assert '"kind":"optimization"' in page.html


def test_optimize_retries_and_survives_a_broken_event_stream(server, fake_factory) -> None:
    fake = fake_factory(server.url)
    sleeps = Sleeps()
    # The first POST meets a 503 (retried after the backoff), the event stream ends at once
    # without `done` (the client polls the status instead).
    fake.script = [(503, {"Retry-After": "1"}, problem(503, "draining"))]
    fake.overrides["/events"] = (200, {"Content-Type": "text/event-stream"}, b": keep-alive\n\n")
    with BacktestingClient(base_url=fake.url, sleep=sleeps, retry_policy=RetryPolicy(max_retries=2)) as client:
        search = client.optimize(*GOOG, grid=SMALL, constraint="fast < slow", progress=False, poll_interval=0.05)
    assert sleeps.waits == [1.0]
    assert fake.count("/v1/optimizations") == 2
    assert search.raw["status"] == "done" and search.heatmap.shape == (3, 3)


def test_async_optimize_and_report(server) -> None:
    pytest.importorskip("pandas")

    async def main() -> tuple[AsyncOptimizationResult, Report, Report]:
        async with AsyncBacktestingClient(base_url=server.url) as client:
            search = await client.optimize(*GOOG, grid=GRID, constraint="fast < slow", progress=False)
            return search, await search.report(), await search.page()

    search, report, page = asyncio.run(main())
    assert search.heatmap.shape == (10, 20) and search.top.shape[0] == 10
    assert report.kind == "report" and page.kind == "optimization"


def test_progress_bar_is_tqdm_auto_and_a_missing_tqdm_is_one_line(server, monkeypatch) -> None:
    from backtest_client import _results

    with BacktestingClient(base_url=server.url) as client:
        err = io.StringIO()
        with redirect_stderr(err):
            client.optimize(*GOOG, grid=SMALL, progress=True)
        assert "optimize GOOG" in err.getvalue()  # tqdm's bar, on stderr outside Jupyter

        monkeypatch.setattr(_results, "_TQDM_MISSING_SAID", False)
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
        err = io.StringIO()
        with redirect_stderr(err):
            first = client.optimize(*GOOG, grid=SMALL, progress=True)
            client.optimize(*GOOG, grid=SMALL, progress=True)
    assert err.getvalue() == (
        "backtest_client: no progress bar without tqdm (pip install 'backtest-client[progress]')\n"
    )
    assert first.raw["status"] == "done"


def test_frames_without_pandas_say_how_to_get_it(server, monkeypatch) -> None:
    with BacktestingClient(base_url=server.url) as client:
        search = client.optimize(*GOOG, grid=SMALL, progress=False)
    monkeypatch.setitem(sys.modules, "pandas", None)
    for attribute in ("top", "heatmap"):
        with pytest.raises(ImportError, match=r"needs pandas.*pip install 'backtest-client\[pandas\]'"):
            getattr(search, attribute)
    with pytest.raises(ImportError, match=r"equity_frame needs pandas"):
        equity_frame({"dates": [], "equity": []})
    assert search.best["params"]  # the rest works without pandas


def test_import_does_not_load_pandas_or_tqdm() -> None:
    code = "import sys, backtest_client; print(sorted(m for m in ('pandas', 'tqdm', 'numpy') if m in sys.modules))"
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


# -- portfolios ---------------------------------------------------------------------------------


def test_portfolio_requests_are_checked_before_sending(fake_factory) -> None:
    fake = fake_factory()
    with BacktestingClient(base_url=fake.url) as client:
        for kwargs, message in [
            ({"allocation": "random"}, "allocation must be one of equal, fixed, weights"),
            ({"allocation": "fixed"}, "weights must be a non-empty dict"),
            ({"allocation": "fixed", "weights": {"AAPL": "half"}}, r"weights\['AAPL'\]: 'half' is not a finite"),
            ({"allocation": "momentum", "lookback": 60}, "needs top="),
            ({"allocation": "inverse_volatility"}, "needs lookback="),
            ({"allocation": "equal", "lookback": 20}, "lookback= and top= apply to"),
            ({"rebalance": "daily"}, "rebalance must be one of monthly, weekly, quarterly, never"),
            ({"rebalance": 0}, "needs N >= 1"),
            ({"include": ["trades"]}, "include: unknown item"),
        ]:
            with pytest.raises(ValueError, match=message):
                client.run_portfolio(["AAPL", "MSFT"], "2020-01-01", "2020-12-31", **kwargs)
    assert fake.requests == []
    from backtest_client._portfolio import portfolio_request

    body = portfolio_request(
        ["AAPL", "MSFT"],
        "2020-01-01",
        None,
        allocation="momentum",
        rebalance=21,
        weights=None,
        lookback=60,
        top=1,
        cash=50_000,
        commission=0.001,
        fractional=True,
        trade_on_close=None,
        include=["equity"],
    )
    assert body == {
        "tickers": ["AAPL", "MSFT"],
        "start": "2020-01-01",
        "allocation": {"type": "momentum", "lookback": 60, "top_k": 1},
        "schedule": {"type": "every_n_bars", "n": 21},
        "cash": 50_000,
        "commission": 0.001,
        "fractional": True,
        "include": ["equity"],
    }


def test_run_portfolio_live(server) -> None:
    pd = pytest.importorskip("pandas")
    tickers = ["AAPL", "MSFT", "GOOG"]
    with BacktestingClient(base_url=server.url) as client:
        try:
            result = client.run_portfolio(
                tickers,
                "2018-01-01",
                "2020-12-31",
                allocation="equal",
                rebalance="monthly",
                include=["equity", "orders", "weights"],
            )
        except NotFoundError as error:
            if error.code != "not_found":
                raise
            pytest.skip(f"this server has no POST /v1/portfolios yet ({error.message})")
    assert result["tickers"] == tickers and result["allocation"] == "equal" and result["schedule"] == "monthly"
    assert isinstance(result["return_pct"], float) and isinstance(result["sharpe_ratio"], float)
    equity = equity_frame(result)
    assert isinstance(equity.index, pd.DatetimeIndex) and list(equity.columns) == ["equity", "drawdown_pct"]
    assert len(equity) == len(result["dates"]) and equity.index.is_monotonic_increasing
    assert (equity["drawdown_pct"] <= 0).all()
    orders = orders_frame(result)
    assert isinstance(orders.index, pd.DatetimeIndex) and len(orders) == len(result["orders"]) > 0
    assert {"ticker", "size", "price", "commission", "value"} <= set(orders.columns)
    assert set(orders["ticker"]) == set(tickers)
    weights = weights_frame(result)
    assert list(weights.columns) == tickers and weights.index.equals(equity.index)
    assert ((weights.sum(axis=1) <= 1 + 1e-9) & (weights >= 0).all(axis=1)).all()


def test_portfolio_frames_from_a_reply() -> None:
    pd = pytest.importorskip("pandas")
    from backtest_client import flat_portfolio

    request = {
        "tickers": ["A", "B"],
        "start": "2020-01-01",
        "allocation": {"type": "equal"},
        "schedule": {"type": "monthly"},
    }
    reply = {
        "stats": {"return_pct": 10, "sharpe_ratio": None, "trades": 2},
        "dates": ["2020-01-02", "2020-01-03", "2020-01-06"],
        "equity": [100, 110, 99],
        "orders": [{"date": "2020-01-02", "ticker": "A", "size": 2, "price": 25.0, "commission": 0.1}],
        "positions": {"A": 2},
        "cash": 50,
    }
    flat = flat_portfolio(reply, request)
    assert flat["return_pct"] == 10.0 and math.isnan(flat["sharpe_ratio"]) and flat["trades"] == 2
    assert flat["cash"] == 50.0 and flat["positions"] == {"A": 2} and flat["allocation"] == "equal"
    equity = equity_frame(flat)
    assert list(equity.index) == list(pd.to_datetime(reply["dates"]))
    assert equity["drawdown_pct"].round(6).tolist() == [0.0, 0.0, -10.0]
    orders = orders_frame(flat)
    assert orders.index[0] == pd.Timestamp("2020-01-02") and orders.iloc[0]["value"] == 50.0
    with pytest.raises(ValueError, match=r"include=\['equity'\]"):
        equity_frame({"stats": {}})
    weights = weights_frame({**flat, "weights": {"A": [0.5, 0.5, 0.49], "B": [0, 0.5, None]}})
    assert list(weights.columns) == ["A", "B"] and isinstance(weights.index, pd.DatetimeIndex)
    assert weights["A"].tolist() == [0.5, 0.5, 0.49] and math.isnan(weights.loc["2020-01-06", "B"])


def test_job_report_and_item_report(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        job_id = client.submit_job(["AAPL", "MSFT"], "2020-01-01", "2020-12-31")
        for _ in client.job_events(job_id):  # until `done`
            pass
        page = client.job_report(job_id)
        item = client.job_report(job_id, item=1, height=500)
    assert page.kind == "batch" and page.height == 800
    assert item.kind == "report" and "MSFT" in item.title and "height: 500px" in item._repr_html_()


def test_walk_forward_and_allocation_forms() -> None:
    from backtest_client._portfolio import portfolio_request
    from backtest_client._search import walk_forward_text

    assert walk_forward_text({"train": 500, "test": 250, "step": 100, "anchored": True}) == (
        "train=500,test=250,step=100,anchored"
    )
    assert walk_forward_text("train=500,test=250") == "train=500,test=250"
    with pytest.raises(ValueError, match="walk_forward: unknown key"):
        walk_forward_text({"train": 500, "tests": 250})
    dated = portfolio_request(
        "AAPL",
        None,
        None,
        allocation="weights",
        rebalance=None,
        lookback=None,
        top=None,
        cash=None,
        commission=None,
        fractional=None,
        trade_on_close=None,
        include=None,
        weights={"2020-01-01": {"AAPL": 1.0}, "2021-01-04": {}},
    )
    assert dated == {
        "tickers": ["AAPL"],
        "allocation": {
            "type": "weights",
            "schedule": [{"date": "2020-01-01", "weights": {"AAPL": 1.0}}, {"date": "2021-01-04", "weights": {}}],
        },
    }
    fixed = portfolio_request(
        ["AAPL", "MSFT"],
        None,
        None,
        allocation="fixed",
        rebalance="quarterly",
        weights={"AAPL": 0.6, "MSFT": 0.4},
        lookback=None,
        top=None,
        cash=None,
        commission=None,
        fractional=None,
        trade_on_close=True,
        include="orders",
    )
    assert fixed["allocation"] == {"type": "fixed", "weights": {"AAPL": 0.6, "MSFT": 0.4}}
    assert fixed["schedule"] == {"type": "quarterly"} and fixed["include"] == ["orders"]
    assert fixed["trade_on_close"] is True


def test_random_search_and_minimize(server) -> None:
    pytest.importorskip("pandas")
    with BacktestingClient(base_url=server.url) as client:
        random = client.optimize(
            *GOOG, grid=GRID, constraint="fast < slow", method="random", max_tries=7, seed=3, progress=False
        )
        shallow = client.optimize(*GOOG, grid=SMALL, minimize="max_drawdown_pct", progress=False)
    assert random.request["method"] == "random" and random.request["max_tries"] == 7
    assert random.result["evaluated"] == 7 and len(random.combinations) == 7
    assert random.heatmap.shape == (10, 20) and int(random.heatmap.notna().sum().sum()) <= 7
    assert not shallow.maximizing and shallow.objective == "max_drawdown_pct"
    assert math.isclose(shallow.heatmap.min().min(), shallow.best["objective"])  # the best cell is the lowest
