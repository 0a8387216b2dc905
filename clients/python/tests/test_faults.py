"""The manners on the wire: retries with backoff and full jitter, Retry-After, no retry on
other 4xx, dead servers failing within the backoff budget, timeouts, failover."""

from __future__ import annotations

import time

import pytest

from backtest_client import (
    BacktestingClient,
    InvalidRequestError,
    RetryPolicy,
    ServiceUnavailableError,
    TransportError,
)
from helpers import YEAR, FullBacklogListener, Sleeps, free_port, problem


def client_for(url: str, sleeps: Sleeps, **kwargs) -> BacktestingClient:
    return BacktestingClient(base_url=url, sleep=sleeps, random=lambda: 0.5, **kwargs)


def test_503_twice_then_success_is_retried_with_exponential_backoff_and_jitter(server, fake_factory) -> None:
    fake = fake_factory(server.url)
    fake.script = [(503, {}, problem(503, "draining")), (503, {}, problem(503, "draining"))]
    sleeps = Sleeps()
    with client_for(fake.url, sleeps) as client:
        result = client.run_backtest("AAPL", *YEAR)
    assert result["trades"] == 2
    assert fake.count("/v1/backtests") == 3
    assert sleeps.waits == [0.5, 1.0]  # steps 1 s, 2 s, each times the jitter draw 0.5


def test_a_batch_call_answered_503_twice_is_retried(server, fake_factory) -> None:
    fake = fake_factory(server.url)
    fake.script = [(503, {}, b"busy"), (502, {}, b"bad gateway")]
    sleeps = Sleeps()
    with client_for(fake.url, sleeps) as client:
        results = client.run_batch_backtests(["AAPL", "MSFT", "TSLA"], *YEAR, parallel=False)
    assert [("error" in r) for r in results] == [False, False, True]
    assert fake.count("/v1/backtests/batch") == 3
    assert sleeps.waits == [0.5, 1.0]


def test_full_jitter_draws_each_wait_between_zero_and_the_step() -> None:
    policy = RetryPolicy()
    assert [policy.delay(r, random=lambda: 1.0) for r in range(4)] == [1.0, 2.0, 4.0, None]
    assert [policy.delay(r, random=lambda: 0.0) for r in range(3)] == [0.0, 0.0, 0.0]
    assert policy.delay(0, status=422) is None
    assert policy.delay(0, status=429, retry_after=100) == 30.0


def test_429_honours_retry_after_capped_at_30_seconds(server, fake_factory) -> None:
    fake = fake_factory(server.url)
    fake.script = [
        (429, {"Retry-After": "7"}, problem(429, "overloaded")),
        (429, {"Retry-After": "120"}, problem(429, "overloaded")),
    ]
    sleeps = Sleeps()
    with client_for(fake.url, sleeps) as client:
        assert client.run_backtest("AAPL", *YEAR)["ticker"] == "AAPL"
    assert sleeps.waits == [7.0, 30.0]


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422])
def test_other_4xx_are_never_retried(server, fake_factory, status: int) -> None:
    fake = fake_factory(server.url)
    fake.script = [(status, {}, problem(status, "invalid_field", "params.fast must be below params.slow"))]
    sleeps = Sleeps()
    with client_for(fake.url, sleeps) as client:
        with pytest.raises(Exception) as caught:
            client.run_backtest("AAPL", *YEAR)
    assert caught.value.status == status
    assert caught.value.code == "invalid_field"
    assert f"{status} from {fake.url}" in str(caught.value)
    assert fake.count("/v1/backtests") == 1
    assert sleeps.waits == []


def test_the_real_servers_422_is_not_retried(server) -> None:
    sleeps = Sleeps()
    with client_for(server.url, sleeps) as client:
        with pytest.raises(InvalidRequestError) as caught:
            client.run_backtest("AAPL", *YEAR, params={"fast": 50, "slow": 10})
    assert caught.value.status == 422
    assert sleeps.waits == []


def test_retries_exhausted_raise_the_last_error(fake_factory) -> None:
    fake = fake_factory()
    fake.script = [(503, {"Retry-After": "1"}, problem(503, "draining"))] * 4
    sleeps = Sleeps()
    with client_for(fake.url, sleeps) as client:
        with pytest.raises(ServiceUnavailableError) as caught:
            client.run_backtest("AAPL", *YEAR)
    assert caught.value.code == "draining"
    assert sleeps.waits == [1.0, 1.0, 1.0]
    assert fake.count("/v1/backtests") == 4


def test_a_dead_server_fails_within_the_backoff_budget() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    sleeps = Sleeps()
    started = time.monotonic()
    with BacktestingClient(base_url=url, sleep=sleeps, random=lambda: 1.0) as client:
        with pytest.raises(TransportError) as caught:
            client.run_backtest("AAPL", *YEAR)
    assert time.monotonic() - started < 5
    assert sleeps.waits == [1.0, 2.0, 4.0]  # the whole budget: 7 s at most with real waits
    assert caught.value.code == "unreachable"
    assert str(caught.value) == f"cannot reach {url}: connection refused"


def test_a_dead_server_with_real_sleeps_and_jitter_stays_within_the_budget() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    policy = RetryPolicy(max_retries=3, initial_delay=0.05)
    with BacktestingClient(base_url=url, retry_policy=policy) as client:
        with pytest.raises(TransportError):
            client.run_backtest("AAPL", *YEAR)
    assert time.monotonic() - started < 0.05 + 0.1 + 0.2 + 3  # backoff budget plus slack


def test_a_batch_against_a_dead_server_reports_every_item() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with BacktestingClient(base_url=url, sleep=Sleeps()) as client:
        results = client.run_batch_backtests(["AAPL", "MSFT"], *YEAR)
    assert [r["error_code"] for r in results] == ["unreachable", "unreachable"]
    assert all("connection refused" in r["error"] for r in results)


def test_connect_timeout_is_separate_from_the_read_timeout() -> None:
    listener = FullBacklogListener()
    try:
        url = f"http://127.0.0.1:{listener.port}"
        sleeps = Sleeps()
        started = time.monotonic()
        with BacktestingClient(base_url=url, connect_timeout=0.3, read_timeout=600, retries=1, sleep=sleeps) as client:
            with pytest.raises(TransportError) as caught:
                client.run_backtest("AAPL", *YEAR)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert caught.value.code == "connect_timeout"
    assert str(caught.value) == f"cannot reach {url}: timed out after 0.3 s connecting"
    assert len(sleeps.waits) == 1
    assert elapsed < 10


def test_read_timeout(fake_factory) -> None:
    fake = fake_factory()
    fake.script = ["hang"]
    with BacktestingClient(base_url=fake.url, read_timeout=0.3, retries=0) as client:
        with pytest.raises(TransportError) as caught:
            client.run_backtest("AAPL", *YEAR)
    assert caught.value.code == "read_timeout"
    assert str(caught.value) == f"no reply from {fake.url}: timed out after 0.3 s"


def test_the_old_single_timeout_is_the_read_timeout_only() -> None:
    client = BacktestingClient(vm_ip="127.0.0.1", timeout=42)
    assert (client.connect_timeout, client.read_timeout) == (30.0, 42.0)
    default = BacktestingClient(vm_ip="127.0.0.1")
    assert (default.connect_timeout, default.read_timeout) == (30.0, 600.0)
    assert default.retry_policy == RetryPolicy()


def test_failover_to_a_second_server_when_the_first_is_stopped(server_factory) -> None:
    first, second = server_factory(), server_factory()
    sleeps = Sleeps()
    with BacktestingClient(base_url=f"{first.url},{second.url}", sleep=sleeps) as client:
        before = client.run_batch_backtests(["AAPL", "MSFT", "NVDA"] * 4, *YEAR)
        first.stop()
        after = client.run_batch_backtests(["AAPL", "MSFT", "NVDA"] * 4, *YEAR)
        single = client.run_backtest("GOOG", *YEAR)
    assert all("error" not in r for r in before + after)
    assert [r["sharpe_ratio"] for r in after] == [r["sharpe_ratio"] for r in before]
    assert single["ticker"] == "GOOG"
    assert sleeps.waits == []  # failover, not backoff


def test_failover_when_the_first_of_two_servers_is_dead_from_the_start(server) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    sleeps = Sleeps()
    with BacktestingClient(base_url=[dead, server.url], sleep=sleeps) as client:
        results = [client.run_backtest("AAPL", *YEAR) for _ in range(3)]
    assert all(r["trades"] == 2 for r in results)
    assert sleeps.waits == []


def test_a_503_from_one_server_sends_the_request_to_the_other(server, fake_factory) -> None:
    draining = fake_factory()
    draining.script = [(503, {"Retry-After": "5"}, problem(503, "draining"))] * 10
    sleeps = Sleeps()
    with BacktestingClient(base_url=f"{draining.url},{server.url}", sleep=sleeps) as client:
        assert client.run_backtest("AAPL", *YEAR)["trades"] == 2
    assert sleeps.waits == []


def test_one_pooled_keep_alive_connection(server, fake_factory) -> None:
    fake = fake_factory(server.url)
    with BacktestingClient(base_url=fake.url) as client:
        for _ in range(10):
            client.run_backtest("AAPL", *YEAR)
        client.run_batch_backtests(["AAPL", "MSFT"] * 40, *YEAR, parallel=False)
    assert fake.count("/v1/backtests") == 10
    assert fake.connections == 1
