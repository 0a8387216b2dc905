"""Issue 25 in Python: a search over several tickers says what each ticker's data covers
(``OptimizationResult.coverage``), against a real `backtest serve`."""

from __future__ import annotations

from backtest_client import BacktestingClient


def test_search_over_tickers_reports_each_coverage(server) -> None:
    """MSFT's bundled data ends 2021-03-31, so over 2015-2022 it is flagged and AAPL is not."""
    with BacktestingClient(base_url=server.url) as client:
        search = client.optimize(
            ["AAPL", "MSFT"], "2015-01-01", "2022-12-31", strategy="sma_cross",
            grid={"fast": [5, 10], "slow": [20, 40]}, progress=False, heatmap=False,
        )
    coverage = search.coverage
    assert set(coverage) == {"AAPL", "MSFT"}
    assert coverage["AAPL"]["short_window"] is False
    assert coverage["MSFT"]["short_window"] is True
    assert coverage["MSFT"]["first_bar"].startswith("2015-04-01")
    assert coverage["MSFT"]["last_bar"].startswith("2021-03-31") and coverage["MSFT"]["bars"] > 1000
