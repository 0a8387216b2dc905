import BacktestEngine
import BacktestJSON
import BacktestRules

/// The reply to `POST /v1/backtests`: the request's identity, the statistics, optional
/// trades and equity, and whether it came from the cache.
public struct BacktestReply: Sendable, Codable {
    /// The ticker that was run.
    public var ticker: String
    /// First bar's timestamp (`YYYY-MM-DDTHH:MM:SS`).
    public var start: String
    /// Last bar's timestamp.
    public var end: String
    /// The strategy name.
    public var strategy: String
    /// Every strategy parameter with the value used (defaults filled in).
    public var params: [String: ParameterValue]
    /// The statistics, as `backtest run --format json` prints them.
    public var stats: Statistics
    /// Closed trades, when `include` asked for them.
    public var trades: [TradeRecord]?
    /// The equity curve, when `include` asked for it.
    public var equity: [Double]?
    /// `true` when the result came from the cache.
    public var cached: Bool
    /// Server-side time spent on this request, in milliseconds.
    public var elapsedMs: Double
    /// The window the data covers against the requested one.
    public var coverage: Coverage?

    enum CodingKeys: String, CodingKey {
        case ticker, start, end, strategy, params, stats, trades, equity, cached, coverage
        case elapsedMs = "elapsed_ms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ticker = try c.decode(String.self, forKey: .ticker)
        start = try c.decode(String.self, forKey: .start)
        end = try c.decode(String.self, forKey: .end)
        strategy = try c.decode(String.self, forKey: .strategy)
        params = try c.decode([String: ParameterValue].self, forKey: .params)
        stats = try c.decode(Statistics.self, forKey: .stats)
        trades = try c.decodeIfPresent([TradeRecord].self, forKey: .trades)
        equity = try c.decodeIfPresent(WireDoubleList.self, forKey: .equity)?.values
        cached = try c.decode(Bool.self, forKey: .cached)
        elapsedMs = try c.decode(Double.self, forKey: .elapsedMs)
        coverage = try c.decodeIfPresent(Coverage.self, forKey: .coverage)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ticker, forKey: .ticker)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encode(strategy, forKey: .strategy)
        try c.encode(params, forKey: .params)
        try c.encode(stats, forKey: .stats)
        try c.encodeIfPresent(trades, forKey: .trades)
        try c.encodeIfPresent(equity.map(WireDoubleList.init), forKey: .equity)
        try c.encode(cached, forKey: .cached)
        try c.encode(elapsedMs, forKey: .elapsedMs)
        try c.encodeIfPresent(coverage, forKey: .coverage)
    }

    /// Creates a reply.
    public init(
        ticker: String,
        start: String,
        end: String,
        strategy: String,
        params: [String: ParameterValue],
        stats: Statistics,
        trades: [TradeRecord]? = nil,
        equity: [Double]? = nil,
        cached: Bool = false,
        elapsedMs: Double = 0,
        coverage: Coverage? = nil
    ) {
        self.ticker = ticker
        self.start = start
        self.end = end
        self.strategy = strategy
        self.params = params
        self.stats = stats
        self.trades = trades
        self.equity = equity
        self.cached = cached
        self.elapsedMs = elapsedMs
        self.coverage = coverage
    }
}
