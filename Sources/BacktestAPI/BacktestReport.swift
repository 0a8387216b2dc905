import BacktestEngine

/// The JSON shape of a run's output: `{"stats": {...}, "trades": [...], "equity": [...]}`,
/// with the reference files' keys and units (trade `return_pct` a fraction, durations in
/// days, NaN as `null`).
public struct BacktestReport: Sendable, Codable {
    /// The statistics.
    public var stats: Statistics
    /// Closed trades, when asked for.
    public var trades: [TradeRecord]?
    /// The equity curve, when asked for.
    public var equity: [Double]?
    /// The window the data covers against the requested one (a run through a server).
    public var coverage: Coverage?

    /// Builds a report from a result, with trades and equity as requested.
    public init(_ result: BacktestResult, trades: Bool = false, equity: Bool = false) {
        self.stats = result.statistics
        self.trades = trades ? result.trades : nil
        self.equity = equity ? result.equity : nil
    }

    /// Creates a report from its parts.
    public init(stats: Statistics, trades: [TradeRecord]?, equity: [Double]?) {
        self.stats = stats
        self.trades = trades
        self.equity = equity
    }
}
