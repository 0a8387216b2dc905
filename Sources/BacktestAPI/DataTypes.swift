/// The reply to `PUT /v1/tickers/{T}/bars`: what the server's store now holds for the
/// ticker.
public struct TickerImport: Sendable, Codable, Equatable {
    /// The upper-case symbol.
    public var ticker: String
    /// Bars stored.
    public var bars: Int
    /// First bar (`YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS` for intraday bars).
    public var first: String
    /// Last bar.
    public var last: String
    /// Where the bars came from (`upload`).
    public var source: String
    /// SHA-256 of the stored bars; changes whenever they do.
    public var contentHash: String
    /// Bars of the previous series that were replaced (0 for a new ticker).
    public var replaced: Int
    /// Suspicious bars found (imported anyway): long gaps, large one-bar moves.
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case ticker, bars, first, last, source, replaced, warnings
        case contentHash = "content_hash"
    }

    /// Creates a reply.
    public init(ticker: String, bars: Int, first: String, last: String, source: String, contentHash: String, replaced: Int, warnings: [String]) {
        self.ticker = ticker
        self.bars = bars
        self.first = first
        self.last = last
        self.source = source
        self.contentHash = contentHash
        self.replaced = replaced
        self.warnings = warnings
    }
}

/// The reply to `DELETE /v1/tickers/{T}`.
public struct TickerRemoval: Sendable, Codable, Equatable {
    /// The upper-case symbol.
    public var ticker: String
    /// Bars removed.
    public var bars: Int

    /// Creates a reply.
    public init(ticker: String, bars: Int) {
        self.ticker = ticker
        self.bars = bars
    }
}
