import BacktestEngine

/// A portfolio backtest as clients send it: the `case` object of PORTFOLIO.md's reference
/// files, plus `include`.
///
/// ```json
/// {"tickers": ["AAPL", "MSFT", "GOOG"], "start": "2016-01-01", "end": "2020-12-31",
///  "allocation": {"type": "equal"}, "schedule": {"type": "monthly"},
///  "cash": 100000, "commission": 0.001, "include": ["orders"]}
/// ```
///
/// Unknown keys are refused, as for every request.
public struct PortfolioRequest: Sendable, Hashable, Codable {
    /// The tickers, in portfolio order (ties go by this order).
    public var tickers: [String]
    /// First date (inclusive), `YYYY-MM-DD`.
    public var start: String?
    /// Last date (inclusive).
    public var end: String?
    /// How target weights are chosen.
    public var allocation: PortfolioAllocation
    /// Which bars are decision bars; absent or `null` for a `weights` allocation.
    public var schedule: RebalanceSchedule?
    /// Starting cash (default ``PortfolioSettings/defaultCash``).
    public var cash: Double
    /// Commission rate in `[0, 0.1)` (default 0).
    public var commission: Double
    /// Any positive size instead of whole units (default false).
    public var fractional: Bool
    /// Fill at the decision bar's close (default false).
    public var tradeOnClose: Bool
    /// Extra outputs: `equity` (with `dates`), `orders`, `weights`.
    public var include: [String]?

    /// The extra outputs a reply may carry.
    public static let includeItems = ["equity", "orders", "weights"]

    /// Creates a request.
    public init(
        tickers: [String],
        start: String? = nil,
        end: String? = nil,
        allocation: PortfolioAllocation,
        schedule: RebalanceSchedule?,
        cash: Double = PortfolioSettings.defaultCash,
        commission: Double = 0,
        fractional: Bool = false,
        tradeOnClose: Bool = false,
        include: [String]? = nil
    ) {
        self.tickers = tickers
        self.start = start
        self.end = end
        self.allocation = allocation
        self.schedule = schedule
        self.cash = cash
        self.commission = commission
        self.fractional = fractional
        self.tradeOnClose = tradeOnClose
        self.include = include
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tickers, start, end, allocation, schedule, cash, commission, fractional
        case tradeOnClose = "trade_on_close"
        case include
    }

    /// The keys a request may carry.
    public static let fieldNames: [String] = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        try AnyCodingKey.rejectUnknown(in: decoder, allowed: Self.fieldNames)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let tickers = try c.field([String].self, .tickers, expected: "a list of ticker symbols") else {
            throw BacktestError(code: .missingField, message: "missing required field 'tickers'", field: "tickers")
        }
        self.tickers = tickers
        start = try c.field(String.self, .start, expected: "a date (YYYY-MM-DD)")
        end = try c.field(String.self, .end, expected: "a date (YYYY-MM-DD)")
        guard let allocation = try c.field(PortfolioAllocation.self, .allocation, expected: "an allocation object") else {
            throw BacktestError(code: .missingField, message: "missing required field 'allocation'", field: "allocation")
        }
        self.allocation = allocation
        schedule = try c.field(RebalanceSchedule.self, .schedule, expected: "a schedule object or null")
        cash = try c.field(Double.self, .cash, expected: "a number") ?? PortfolioSettings.defaultCash
        commission = try c.field(Double.self, .commission, expected: "a number") ?? 0
        fractional = try c.field(Bool.self, .fractional, expected: "true or false") ?? false
        tradeOnClose = try c.field(Bool.self, .tradeOnClose, expected: "true or false") ?? false
        include = try c.field([String].self, .include, expected: "a list of \"equity\", \"orders\", \"weights\"")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tickers, forKey: .tickers)
        try c.encodeIfPresent(start, forKey: .start)
        try c.encodeIfPresent(end, forKey: .end)
        try c.encode(allocation, forKey: .allocation)
        if let schedule { try c.encode(schedule, forKey: .schedule) } else { try c.encodeNil(forKey: .schedule) }
        try c.encode(cash, forKey: .cash)
        try c.encode(commission, forKey: .commission)
        try c.encode(fractional, forKey: .fractional)
        try c.encode(tradeOnClose, forKey: .tradeOnClose)
        try c.encodeIfPresent(include, forKey: .include)
    }

    /// The engine's settings.
    public var settings: PortfolioSettings {
        PortfolioSettings(
            allocation: allocation,
            schedule: schedule,
            cash: cash,
            commission: commission,
            fractional: fractional,
            tradeOnClose: tradeOnClose
        )
    }

    /// The requested extra outputs, validated.
    public func includes() throws(BacktestError) -> (equity: Bool, orders: Bool, weights: Bool) {
        var out = (equity: false, orders: false, weights: false)
        for item in include ?? [] {
            switch item {
            case "equity": out.equity = true
            case "orders": out.orders = true
            case "weights": out.weights = true
            default: throw .invalid("include", "unknown item '\(item)'; allowed: \(Self.includeItems.joined(separator: ", "))")
            }
        }
        return out
    }

    /// The parsed `start`/`end` bounds in seconds (a bare date as `end` includes that day),
    /// checked to be in order.
    public func dateRange() throws(BacktestError) -> (start: Int64?, end: Int64?) {
        let range = try BacktestRequest(start: start, end: end, strategy: "buy_and_hold").dateRange()
        if let a = range.start, let b = range.end, b < a {
            throw .invalid("end", "end (\(end ?? "")) is before start (\(start ?? ""))")
        }
        return range
    }

    /// Everything that can be checked without the data: tickers, settings, includes, dates.
    public func validate() throws(BacktestError) {
        guard !tickers.isEmpty else { throw .invalid("tickers", "give at least one ticker") }
        guard tickers.count <= PortfolioSettings.maxTickers else {
            throw .invalid("tickers", "\(tickers.count) tickers; a portfolio holds at most \(PortfolioSettings.maxTickers)")
        }
        _ = try includes()
        _ = try dateRange()
    }
}
