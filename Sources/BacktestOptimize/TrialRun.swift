import BacktestEngine

/// One combination's run as a search's robustness block needs it: its statistics, its equity
/// curve (the block statistics read its bar-to-bar returns straight from it) and its closed
/// trades' returns.
public struct TrialRun: Sendable {
    /// The run's statistics.
    public var statistics: Statistics
    /// The equity at every bar.
    public var equity: [Double]
    /// Each closed trade's return (`return_pct` as a fraction: 0.05 = +5 %).
    public var tradeReturns: [Double]

    /// Creates a run.
    public init(statistics: Statistics, equity: [Double], tradeReturns: [Double]) {
        self.statistics = statistics
        self.equity = equity
        self.tradeReturns = tradeReturns
    }

    /// The run of a backtest's result.
    public init(_ result: BacktestResult) {
        self.init(statistics: result.statistics, equity: result.equity, tradeReturns: result.trades.map(\.returnPct))
    }

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
