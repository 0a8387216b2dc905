"""Many portfolios as one job from Python (issue 21): ``run_portfolios([...])`` against a real
`backtest serve` (``POST /v1/jobs`` with ``portfolios``), the flat dicts in order, failures as
their items, and bad entries refused before anything is sent."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from backtest_client import AsyncBacktestingClient, BacktestingClient, Progress, results_frame

EQUAL = {
    "tickers": ["AAPL", "MSFT", "GOOG"],
    "start": "2018-01-01",
    "end": "2020-12-31",
    "allocation": {"type": "equal"},
    "schedule": {"type": "monthly"},
    "include": ["equity"],
}
FIXED_ARGS = {
    "tickers": ["AAPL", "MSFT"],
    "start_date": "2019-01-01",
    "end_date": "2021-03-31",
    "allocation": "fixed",
    "weights": {"AAPL": 0.6, "MSFT": 0.4},
    "rebalance": "quarterly",
    "commission": 0.001,
}


def test_run_portfolios_in_order(server) -> None:
    seen: list[Progress] = []
    entries = [
        EQUAL,
        FIXED_ARGS,
        {"tickers": ["AAPL", "NOPE"], "allocation": {"type": "equal"}, "schedule": {"type": "monthly"}},
        {"tickers": ["AAPL", "MSFT"], "allocation": {"type": "fixed", "weights": {"AAPL": 0.7, "MSFT": 0.6}},
         "schedule": {"type": "monthly"}},
        {"tickers": ["GOOG", "NVDA", "META"], "allocation": "momentum", "lookback": 40, "top": 2,
         "rebalance": "weekly"},
    ]
    with BacktestingClient(base_url=server.url) as client:
        results = client.run_portfolios(entries, progress=seen.append)
        one_equal = client.run_portfolio(
            EQUAL["tickers"], EQUAL["start"], EQUAL["end"], allocation="equal", rebalance="monthly", include=["equity"]
        )
        one_fixed = client.run_portfolio(**{k: v for k, v in FIXED_ARGS.items()})
    assert len(results) == 5
    assert [r["tickers"] for r in results] == [e["tickers"] for e in entries]
    # Each success is run_portfolio's flat dict for the same portfolio.
    for got, want in ((results[0], one_equal), (results[1], one_fixed)):
        assert set(got) == set(want)
        for key, value in want.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got[key]), key
            else:
                assert got[key] == value, key
    assert len(results[0]["equity"]) == len(results[0]["dates"]) > 500
    assert results[4]["allocation"] == "momentum" and isinstance(results[4]["sharpe_ratio"], float)
    # Failures are their items, with the server's code and status, and no statistics.
    assert results[2]["error_code"] == "unknown_ticker" and results[2]["error_status"] == 404
    assert results[3]["error_code"] == "invalid_field" and results[3]["error_status"] == 422
    assert "allocation.weights" in results[3]["error"]
    assert "return_pct" not in results[2] and "return_pct" not in results[3]
    # Progress after every item.
    assert len(seen) == 5 and seen[-1].total == 5 and seen[-1].failed == 2
    assert sorted(p.done for p in seen) == [1, 2, 3, 4, 5]
    frame = results_frame(results) if _has_pandas() else None
    if frame is not None:
        assert len(frame) == 5


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_portfolio_job_status_and_report(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        job_id = client.submit_portfolio_job([EQUAL, FIXED_ARGS])
        for event, _ in client.job_events(job_id):
            if event == "done":
                break
        status = client.job_status(job_id)
        page = client.job_report(job_id)
        item = client.job_report(job_id, 1)
    listed = [j for j in httpx.get(f"{server.url}/v1/jobs?limit=50").json()["jobs"] if j["id"] == job_id]
    assert status["status"] == "done" and [r["index"] for r in status["results"]] == [0, 1]
    assert set(status["results"][0]["result"]) >= {"tickers", "stats", "positions", "cash", "dates", "equity"}
    assert "equal: AAPL, MSFT, GOOG" in page.html and "fixed: AAPL, MSFT" in page.html
    assert '"kind":"portfolio"' in item.html.replace(" ", "")
    assert [(j["kind"], j["report_url"]) for j in listed] == [("portfolios", f"/v1/jobs/{job_id}/report")]


def test_async_run_portfolios(server) -> None:
    async def main() -> list[dict]:
        async with AsyncBacktestingClient(base_url=server.url) as client:
            return await client.run_portfolios([FIXED_ARGS, EQUAL])

    results = asyncio.run(main())
    assert [r["allocation"] for r in results] == ["fixed", "equal"]
    assert all(isinstance(r["return_pct"], float) for r in results)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([42], r"portfolios\[0\] must be a dict"),
        (
            [EQUAL, {"tickers": ["AAPL"], "strategy": "sma_cross"}],
            r"portfolios\[1\]\['strategy'\]: not an argument of run_portfolio",
        ),
        ([{"allocation": "equal"}], r"portfolios\[0\]\['tickers'\] is missing"),
        ([{"tickers": ["AAPL"], "allocation": "kelly"}], r"portfolios\[0\]: .*allocation"),
        (
            [{"tickers": "AAPL", "allocation": {"type": "equal"}}],
            r"portfolios\[0\]\['tickers'\] must be a non-empty list",
        ),
    ],
)
def test_bad_entries_are_refused_before_sending(entries, message) -> None:
    # No server: a request would fail with a transport error, not this ValueError.
    with BacktestingClient(base_url="http://127.0.0.1:9", retries=0) as client:
        with pytest.raises(ValueError, match=message):
            client.run_portfolios(entries)
        with pytest.raises(ValueError, match=message):
            client.submit_portfolio_job(entries)


def test_empty_list() -> None:
    with BacktestingClient(base_url="http://127.0.0.1:9", retries=0) as client:
        assert client.run_portfolios([]) == []
        with pytest.raises(ValueError, match="portfolios is empty"):
            client.submit_portfolio_job([])
