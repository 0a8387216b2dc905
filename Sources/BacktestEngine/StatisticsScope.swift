/// Which statistics a run computes.
///
/// A search ranks thousands of runs by one statistic and keeps a few: when that statistic
/// and the ones it reports need only the trades, the equity curve's passes (returns, logs,
/// drawdowns: about a third of a run) are skipped for the runs it drops, and the kept runs'
/// statistics are completed from the same run with ``Backtest/statistics(of:)``, bit for bit
/// those of a plain run.
///
/// ```swift
/// let backtest = Backtest(bars: bars)
/// let quick = try backtest.run(SMACross(fast: 10, slow: 30), statistics: .trades)
/// print(quick.statistics.sqn)              // as in a plain run
/// let full = backtest.statistics(of: quick) // every statistic
/// ```
public enum StatisticsScope: Sendable, Hashable {
    /// Every statistic (the default).
    case all
    /// Only the statistics of the trades and the bars: `trades`, `commissions`,
    /// `exposure_time_pct`, `buy_hold_return_pct`, and the trade statistics (win rate,
    /// best, worst and average trade, trade durations, profit factor, expectancy, SQN,
    /// Kelly). Every statistic of the equity curve is NaN, and so is alpha.
    case trades
}
