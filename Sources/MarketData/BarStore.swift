import BacktestEngine

/// A source of daily bars by ticker.
///
/// Implementations resolve tickers case-insensitively (symbols are upper-cased), keep
/// parsed bars in memory, and expose a content hash so results computed from the same
/// data can be cached.
public protocol BarStore: Sendable {
    /// Every ticker the store can serve, sorted by symbol.
    func tickers() throws(MarketDataError) -> [TickerSummary]

    /// The bars of `ticker` whose timestamps lie in `start...end` (either bound optional).
    ///
    /// - Throws: ``MarketDataError`` with code `unknown_ticker` (saying how many tickers are
    ///   known and how to add one), `invalid_ticker` for a malformed symbol, or a parse
    ///   error of the underlying file.
    func bars(for ticker: String, from start: Int64?, through end: Int64?) throws(MarketDataError) -> StoredBars
}

/// What a ``BarStore`` knows about one ticker.
public struct TickerSummary: Sendable, Equatable {
    /// The upper-case symbol.
    public var ticker: String
    /// Timestamp of the first bar.
    public var first: Int64
    /// Timestamp of the last bar.
    public var last: Int64
    /// Number of bars.
    public var count: Int
    /// Where the data comes from, e.g. `data-dir` or `bundled`.
    public var source: String

    /// Creates a summary.
    public init(ticker: String, first: Int64, last: Int64, count: Int, source: String) {
        self.ticker = ticker
        self.first = first
        self.last = last
        self.count = count
        self.source = source
    }
}

/// Bars returned by a ``BarStore``, with the identity of the data they came from.
public struct StoredBars: Sendable {
    /// The upper-case symbol.
    public var ticker: String
    /// The bars (already restricted to the requested range).
    public var bars: Bars
    /// Hex SHA-256 of the whole data set of the ticker (not only the range).
    public var contentHash: String
    /// The full data set's summary (for error messages about empty ranges).
    public var summary: TickerSummary

    /// Creates stored bars.
    public init(ticker: String, bars: Bars, contentHash: String, summary: TickerSummary) {
        self.ticker = ticker
        self.bars = bars
        self.contentHash = contentHash
        self.summary = summary
    }
}

extension MarketDataError {
    /// Whether `symbol` is a plausible ticker (letters, digits, `.`, `-`, `_`, `^`, `=`;
    /// 1 to 32 characters), so it can never name a path outside the data folder.
    public static func isValidTicker(_ symbol: String) -> Bool {
        guard (1...32).contains(symbol.utf8.count) else { return false }
        return symbol.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x2E || c == 0x2D || c == 0x5F || c == 0x5E || c == 0x3D
        } && symbol.first != "."
    }
}
