# The users' old example (run_remote_backtest.py's interface), with only the import changed.
from backtest_client import BacktestingClient  # was: from run_remote_backtest import BacktestingClient

client = BacktestingClient()                      # finds the VM's IP on its own
result = client.run_backtest(ticker="AAPL", start_date="2020-01-01", end_date="2020-12-31")
print(f"Sharpe: {result['sharpe_ratio']:.3f}")
results = client.run_batch_backtests(tickers=["AAPL", "AMZN", "GOOGL", "META", "MSFT", "TSLA"],
    start_date="2020-01-01", end_date="2020-12-31", parallel=True, max_workers=4)
client.print_summary(results)
client.close()                                    # or: with BacktestingClient() as client: ...
client = BacktestingClient(vm_ip="35.123.45.67")  # manual override
