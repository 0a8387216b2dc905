"""The old `run_remote_backtest.py` interface: the users' example script, unchanged but for
its import, against a real `backtest serve`."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backtest_client import BacktestingClient, NotFoundError, print_summary, summary_text
from helpers import BUNDLED, TESTS, YEAR

HEADER = "Ticker  Return %  Sharpe  Max DD %  Trades  Win %  B&H %"


def test_the_old_script_runs_with_only_its_import_changed(server, tmp_path: Path) -> None:
    script = TESTS / "data" / "old_script.py"
    env = {**os.environ, "BACKTEST_URL": server.url, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Sharpe: 1.123\n"), out
    assert HEADER in out
    rows = {line.split()[0]: line for line in out.splitlines() if line[:1].isupper() and line.split()[0].isupper()}
    for ticker in ("AAPL", "AMZN", "GOOGL", "META", "MSFT"):
        assert ticker in rows, out
    assert "AAPL       47.68    1.12    -32.08       2   50.0  63.38" in out
    assert "Failed (1):" in out
    assert "  TSLA: Unknown ticker: unknown ticker 'TSLA'" in out
    assert "5 succeeded, 1 failed" in out
    assert result.stderr == ""  # not a terminal: no progress bar, no noise


def test_run_backtest_returns_a_flat_dict_with_the_reference_keys(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        result = client.run_backtest(ticker="AAPL", start_date=YEAR[0], end_date=YEAR[1])
    assert result["ticker"] == "AAPL"
    assert result["strategy"] == "sma_cross"
    assert result["params"] == {"fast": 10, "slow": 30}
    assert (result["start_date"], result["end_date"]) == YEAR
    assert result["start"] == "2020-01-02T00:00:00"
    assert math.isclose(result["sharpe_ratio"], 1.1232146942752088, rel_tol=1e-12)
    assert math.isclose(result["return_pct"], 47.678050000000006, rel_tol=1e-12)
    assert math.isclose(result["max_drawdown_pct"], -32.08218353870023, rel_tol=1e-12)
    assert result["trades"] == 2
    for key in ("sqn", "win_rate_pct", "buy_hold_return_pct", "equity_final", "profit_factor", "cagr_pct"):
        assert isinstance(result[key], float)


def test_engine_options_and_params_reach_the_server(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        plain = client.run_backtest("GOOG", *YEAR, strategy="rsi_reversion")
        tuned = client.run_backtest(
            "GOOG", *YEAR, strategy="rsi_reversion", params={"period": 10}, commission=0.002, cash=50_000
        )
        detail = client.run_backtest("AAPL", *YEAR, include=["trades", "equity"])
    assert tuned["params"]["period"] == 10
    assert tuned["equity_final"] != plain["equity_final"]
    assert tuned["commissions"] > 0
    assert len(detail["trade_list"]) == detail["trades"]
    assert len(detail["equity"]) == 253


def test_unknown_option_is_refused_before_sending(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        with pytest.raises(TypeError, match="unknown engine option.*comission"):
            client.run_backtest("AAPL", *YEAR, comission=0.01)


def test_an_unknown_ticker_is_one_clear_error_naming_the_server(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        with pytest.raises(NotFoundError) as caught:
            client.run_backtest("TSLA", *YEAR)
    error = caught.value
    assert error.code == "unknown_ticker"
    assert error.status == 404
    assert error.endpoint == server.url
    assert str(error).startswith(f"404 from {server.url}: Unknown ticker: unknown ticker 'TSLA'")
    assert error.problem is not None and error.problem["field"] == "ticker"


def test_batch_keeps_order_and_a_failed_ticker_does_not_stop_the_others(server) -> None:
    tickers = ["NVDA", "TSLA", "AAPL", "NOPE", "MSFT"]
    with BacktestingClient(base_url=server.url) as client:
        results = client.run_batch_backtests(tickers, *YEAR, parallel=True, max_workers=4)
    assert [r["ticker"] for r in results] == tickers
    assert [("error" in r) for r in results] == [False, True, False, True, False]
    assert results[1]["error_code"] == "unknown_ticker"
    assert results[1]["error_status"] == 404
    assert "unknown ticker 'TSLA'" in results[1]["error"]
    assert results[0]["trades"] == 4


def test_sixty_tickers_are_a_handful_of_batch_calls(server, fake_factory) -> None:
    fake = fake_factory(server.url)  # proxies to the server, counting the calls
    tickers = [BUNDLED[i % len(BUNDLED)] for i in range(60)]
    calls = []
    with BacktestingClient(base_url=fake.url) as client:
        results = client.run_batch_backtests(tickers, *YEAR, progress=calls.append)
        assert fake.count("/v1/backtests/batch") == 1
        sequential = client.run_batch_backtests(tickers * 10, *YEAR, parallel=False)
        assert fake.count("/v1/backtests/batch") == 4  # 600 tickers: 3 calls of 200
        parallel = client.run_batch_backtests(tickers * 10, *YEAR, max_workers=4)
        assert fake.count("/v1/backtests/batch") == 14  # 10 calls of 60, 4 in flight: no 429
    assert fake.count("/v1/backtests") == 0 and fake.connections <= 4
    assert [r["ticker"] for r in results] == tickers
    assert all("error" not in r for r in results)
    assert len(calls) == 1  # one progress report per batch call
    assert calls[-1].done == 60 and calls[-1].total == 60 and calls[-1].failed == 0
    assert sum(len(p.results) for p in calls) == 60
    assert [r["sharpe_ratio"] for r in sequential] == [r["sharpe_ratio"] for r in results] * 10
    assert [r["sharpe_ratio"] for r in parallel] == [r["sharpe_ratio"] for r in sequential]


def test_batch_plan() -> None:
    from backtest_client._core import batch_calls

    def sizes(count: int, workers: int, **limits: int) -> list[int]:
        calls = batch_calls(count, workers, **limits)
        assert [i for call in calls for i in call] == list(range(count))
        return [len(call) for call in calls]

    assert sizes(60, 4) == [60]
    assert sizes(128, 4) == [64, 64]
    assert sizes(600, 4) == [60] * 10  # 4 calls in flight hold at most 256 items
    assert sizes(600, 2) == [120] * 5
    assert sizes(600, 1) == [200] * 3
    assert sizes(2000, 1, max_items_per_call=100) == [100] * 20
    assert sizes(0, 4) == []


def test_batch_items_may_be_requests_of_their_own(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        results = client.run_batch_backtests(
            [
                {"ticker": "AAPL", "params": {"fast": 5, "slow": 20}},
                {"ticker": "AAPL", "strategy": "buy_and_hold"},
                "AAPL",
            ],
            *YEAR,
        )
    assert results[0]["params"] == {"fast": 5, "slow": 20}
    assert results[1]["strategy"] == "buy_and_hold" and results[1]["params"] == {}
    assert results[2]["params"] == {"fast": 10, "slow": 30}


def test_bad_parameters_fail_their_item_with_the_field_named(server) -> None:
    with BacktestingClient(base_url=server.url) as client:
        results = client.run_batch_backtests(["AAPL", "MSFT"], *YEAR, params={"fast": 30, "slow": 10})
    assert all(r["error_status"] == 422 for r in results)
    assert "fast" in results[0]["error"]


def test_print_summary_columns(capsys: pytest.CaptureFixture[str]) -> None:
    results = [
        {
            "ticker": "AAPL",
            "return_pct": 47.678,
            "sharpe_ratio": 1.1232,
            "max_drawdown_pct": -32.08,
            "trades": 2,
            "win_rate_pct": 50.0,
            "buy_hold_return_pct": 63.376,
        },
        {
            "ticker": "ZERO",
            "return_pct": 0.0,
            "sharpe_ratio": float("nan"),
            "max_drawdown_pct": -0.0,
            "trades": 0,
            "win_rate_pct": float("nan"),
            "buy_hold_return_pct": 1.0,
        },
        {"ticker": "TSLA", "error": "Unknown ticker: unknown ticker 'TSLA'"},
    ]
    print_summary(results)
    out = capsys.readouterr().out
    assert out == summary_text(results) + "\n"
    lines = out.splitlines()
    assert lines[0] == HEADER
    assert lines[2] == "AAPL       47.68    1.12    -32.08       2   50.0  63.38"
    assert lines[3] == "ZERO        0.00     n/a     -0.00       0    n/a   1.00"
    assert "  TSLA: Unknown ticker: unknown ticker 'TSLA'" in lines
    assert lines[-1] == "2 succeeded, 1 failed; mean return 23.84 %, mean Sharpe 1.12, mean B&H 32.19 %, 2 trades"


def test_nothing_is_sent_before_the_first_call() -> None:
    client = BacktestingClient(vm_ip="203.0.113.7")  # a documentation address: never contacted
    assert client.resolution is None
    client.close()
