import BacktestEngine
import BacktestJSON
import BacktestRules

/// One ticker in `GET /v1/tickers`.
public struct TickerInfo: Sendable, Codable, Equatable {
    public var ticker: String
    /// First bar's date-time.
    public var first: String
    /// Last bar's date-time.
    public var last: String
    /// Number of bars.
    public var bars: Int
    /// Where the data comes from: `data-dir`, `bundled`, `database`.
    public var source: String
    public init(ticker: String, first: String, last: String, bars: Int, source: String) {
        self.ticker = ticker
        self.first = first
        self.last = last
        self.bars = bars
        self.source = source
    }
}

/// The reply to `GET /v1/tickers`.
public struct TickerList: Sendable, Codable {
    public var tickers: [TickerInfo]
    public init(tickers: [TickerInfo]) { self.tickers = tickers }
}
