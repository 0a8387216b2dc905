"""results_frame, the job API with live progress, the async client, the progress bar."""

from __future__ import annotations

import asyncio
import io
import math
import sys

import pytest

from backtest_client import (
    AsyncBacktestingClient,
    BacktestingClient,
    NotFoundError,
    Progress,
    TransportError,
    results_frame,
)
from helpers import BUNDLED, YEAR, free_port, problem


def test_results_frame(server) -> None:
    pd = pytest.importorskip("pandas")
    with BacktestingClient(base_url=server.url) as client:
        results = client.run_batch_backtests(["AAPL", "TSLA", "MSFT"], *YEAR)
        frame = client.results_frame(results)
    assert list(frame["ticker"]) == ["AAPL", "TSLA", "MSFT"]
    assert list(frame.columns[:5]) == ["ticker", "strategy", "start_date", "end_date", "params"]
    assert list(frame.columns[-3:]) == ["error", "error_code", "error_status"]
    assert frame.loc[0, "trades"] == 2
    assert math.isclose(frame.loc[0, "sharpe_ratio"], results[0]["sharpe_ratio"])
    assert math.isnan(frame.loc[1, "sharpe_ratio"])
    assert frame.loc[1, "error_code"] == "unknown_ticker"
    assert pd.api.types.is_datetime64_any_dtype(frame["start"])
    assert frame.loc[2, "start"] == pd.Timestamp("2020-01-02")
    assert frame["return_pct"].dtype == float


def test_coverage_in_summary_and_frame(server) -> None:
    """Issue 25: MSFT's bundled data ends 2021-03-31, so a 2015-2022 row is flagged."""
    pd = pytest.importorskip("pandas")
    from backtest_client import summary_text

    with BacktestingClient(base_url=server.url) as client:
        results = client.run_batch_backtests(["AAPL", "MSFT"], "2015-01-01", "2022-12-31")
        frame = client.results_frame(results)
    assert [r["short_window"] for r in results] == [False, True]
    assert results[1]["last_bar"].startswith("2021-03-31") and results[1]["bars"] > 1000
    text = summary_text(results)
    assert "MSFT*" in text and "AAPL*" not in text
    assert "MSFT: data 2015-04-01 – 2021-03-31, asked 2015-01-01 – 2022-12-31" in text
    assert list(frame["short_window"]) == [False, True]
    assert {"first_bar", "last_bar", "bars"} <= set(frame.columns)
    full = summary_text([{**results[0]}])
    assert "covers less than asked" not in full


def test_results_frame_without_pandas_says_how_to_get_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"results_frame needs pandas.*pip install 'backtest-client\[pandas\]'"):
        results_frame([{"ticker": "AAPL"}])


def test_run_job_follows_the_event_stream_with_progress(server) -> None:
    tickers = BUNDLED + ["TSLA"]
    seen: list[Progress] = []
    with BacktestingClient(base_url=server.url) as client:
        results = client.run_job(tickers, *YEAR, strategy="macd_cross", progress=seen.append)
        batch = client.run_batch_backtests(tickers, *YEAR, strategy="macd_cross")
    assert [r["ticker"] for r in results] == tickers
    assert len(seen) == len(tickers)  # one call per finished item
    assert [p.done for p in seen] == list(range(1, len(tickers) + 1))
    assert all(p.total == len(tickers) for p in seen)
    assert seen[-1].failed == 1
    assert sorted(p.results[0]["ticker"] for p in seen) == sorted(tickers)
    assert results[-1]["error_code"] == "unknown_ticker"
    assert [r.get("sharpe_ratio") for r in results[:-1]] == [r.get("sharpe_ratio") for r in batch[:-1]]


def test_job_status_and_cancel(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        job_id = client.submit_job(["AAPL", "MSFT"], *YEAR)
        events = list(client.job_events(job_id))
        status = client.job_status(job_id)
        assert status["status"] == "done" and status["progress"] == {"done": 2, "total": 2}
        assert [e for e, _ in events].count("item") == 2 and events[-1][0] == "done"
        client.cancel_job(job_id)  # an ended job: nothing to cancel, no error
        with pytest.raises(NotFoundError) as caught:
            client.job_status("no-such-job")
    assert caught.value.code == "unknown_job"


def test_cancel_keeps_the_record_and_delete_removes_it(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        job_id = client.submit_job(["AAPL"] * 2_000, *YEAR, strategy="macd_cross")
        cancelled = client.cancel_job(job_id)
        assert cancelled is not None and cancelled["status"] in ("cancelled", "done")
        assert client.job_status(job_id)["status"] == cancelled["status"]  # kept
        client.delete_job(job_id)
        with pytest.raises(NotFoundError) as caught:
            client.job_status(job_id)
        assert caught.value.code == "unknown_job"
        with pytest.raises(NotFoundError):
            client.delete_job(job_id)


def test_run_job_polls_when_the_stream_breaks(server, fake_factory) -> None:
    fake = fake_factory(server.url)
    with BacktestingClient(base_url=fake.url) as client:
        # The stream ends after a comment, without any item or `done`: the client polls the status.
        fake.overrides["/events"] = (200, {"Content-Type": "text/event-stream"}, b": keep-alive\n\n")
        results = client.run_job(["AAPL", "MSFT"], *YEAR, poll_interval=0.05)
    assert [r["trades"] for r in results] == [2, 4]
    assert sum(1 for _, path in fake.requests if path.startswith("/v1/jobs/") and "/events" not in path) >= 1


def test_the_async_client_has_the_same_methods(server) -> None:
    async def main() -> tuple:
        async with AsyncBacktestingClient(base_url=server.url) as client:
            one = await client.run_backtest("AAPL", *YEAR)
            many = await client.run_batch_backtests(BUNDLED * 9 + ["TSLA"], *YEAR, max_workers=4)
            progress: list[Progress] = []
            job = await client.run_job(["AAPL", "TSLA"], *YEAR, progress=progress.append)
            health = await client.health()
            tickers = await client.tickers()
            return one, many, job, progress, health, tickers

    one, many, job, progress, health, tickers = asyncio.run(main())
    assert one["trades"] == 2
    assert len(many) == 64 and [("error" in r) for r in many].count(True) == 1
    assert [r["ticker"] for r in many[:7]] == BUNDLED
    assert [("error" in r) for r in job] == [False, True] and len(progress) == 2
    assert health["status"] == "ok"
    assert {"AAPL", "GOOGL"} <= {t["ticker"] for t in tickers}


def test_the_async_client_retries_and_fails_over(server, fake_factory) -> None:
    fake = fake_factory(server.url)
    fake.script = [(503, {}, problem(503, "draining")), (503, {}, problem(503, "draining"))]
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> None:
        async with AsyncBacktestingClient(base_url=fake.url, sleep=record, random=lambda: 1.0) as client:
            assert (await client.run_backtest("AAPL", *YEAR))["trades"] == 2
        dead = f"http://127.0.0.1:{free_port()}"
        async with AsyncBacktestingClient(base_url=[dead, server.url], sleep=record) as client:
            results = await client.run_batch_backtests(["AAPL", "MSFT"], *YEAR)
            assert all("error" not in r for r in results)
        async with AsyncBacktestingClient(base_url=dead, sleep=record, random=lambda: 1.0) as client:
            with pytest.raises(TransportError, match="connection refused"):
                await client.run_backtest("AAPL", *YEAR)

    asyncio.run(main())
    assert waits == [1.0, 2.0, 1.0, 2.0, 4.0]


def test_progress_bar_only_on_a_terminal(server, capsys) -> None:
    with BacktestingClient(base_url=server.url) as client:
        client.run_batch_backtests(BUNDLED * 6, *YEAR)
    assert capsys.readouterr().err == ""  # stderr is not a terminal here: silent
    pytest.importorskip("tqdm")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    old, sys.stderr = sys.stderr, terminal
    try:
        with BacktestingClient(base_url=server.url) as client:
            client.run_batch_backtests(BUNDLED * 6, *YEAR)
    finally:
        sys.stderr = old
    drawn = terminal.getvalue()
    assert "backtests:" in drawn and "/42 [" in drawn  # a tqdm bar, cleared at the end (leave=False)
