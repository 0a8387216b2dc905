import BacktestEngine

/// One combination's run as a search's robustness block needs it: its statistics, its equity
/// curve (the block statistics read its bar-to-bar returns straight from it) and its closed
/// trades (only the winner's rerun reads their returns, for the bootstrap).
public struct TrialRun: Sendable {
    /// The run's statistics.
    public var statistics: Statistics
    /// The equity at every bar.
    public var equity: [Double]
    /// The closed trades.
    public var trades: [TradeRecord]

    /// Creates a run.
    public init(statistics: Statistics, equity: [Double], trades: [TradeRecord]) {
        self.statistics = statistics
        self.equity = equity
        self.trades = trades
    }

    /// The run of a backtest's result (its arrays are shared, not copied).
    public init(_ result: BacktestResult) {
        self.init(statistics: result.statistics, equity: result.equity, trades: result.trades)
    }

    /// Each closed trade's return (`return_pct` as a fraction: 0.05 = +5 %), built on each call.
    public var tradeReturns: [Double] { trades.map(\.returnPct) }

    /// equity[i] / equity[i − 1] − 1 for every bar after the first (built on each call).
    public var returns: [Double] { Self.returns(ofEquity: equity) }

    /// The bar-to-bar simple returns of `equity` (one fewer than its values); 0 where the
    /// previous equity is not positive (after a ruin).
    public static func returns(ofEquity equity: [Double]) -> [Double] {
        guard equity.count > 1 else { return [] }
        var returns = [Double](repeating: 0, count: equity.count - 1)
        for i in 1..<equity.count where equity[i - 1] > 0 {
            returns[i - 1] = equity[i] / equity[i - 1] - 1
        }
        return returns
    }
}
