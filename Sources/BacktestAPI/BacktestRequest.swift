import BacktestEngine
import BacktestRules

/// One backtest as clients send it: a strategy with parameters and broker settings, over
/// either a CSV file (`data`, local runs) or a ticker and date range (server runs).
///
/// JSON keys are snake_case, every field but `strategy` is optional and defaults as in
/// backtesting.py; unknown keys are rejected so a typo never silently falls back to a
/// default:
///
/// ```json
/// {"ticker": "AAPL", "start": "2020-01-01", "end": "2020-12-31",
///  "strategy": "sma_cross", "params": {"fast": 10, "slow": 30},
///  "commission": 0.002, "include": ["trades"]}
/// ```
public struct BacktestRequest: Sendable, Hashable, Codable {
    /// CSV path (local runs; relative to the request file's folder).
    public var data: String?
    /// Ticker (server runs).
    public var ticker: String?
    /// First date (inclusive), `YYYY-MM-DD` or a date-time.
    public var start: String?
    /// Last date (inclusive).
    public var end: String?
    /// Built-in strategy name; `rules` for a ``rules`` program.
    public var strategy: String
    /// A strategy in the rules language (docs/rules.md), instead of a built-in: `strategy`
    /// is then `rules` (or absent), and `params` override its declared defaults.
    public var rules: String?
    /// Strategy parameters.
    public var params: [String: ParameterValue]
    /// Starting cash (default ``BacktestSettings/defaultCash``, 10,000).
    public var cash: Double
    /// Commission: a relative rate, or `[fixed, relative]`.
    public var commission: Commission
    /// Spread fraction (default 0).
    public var spread: Double
    /// Margin requirement (default 1).
    public var margin: Double
    /// Fill at the signal bar's close (default false).
    public var tradeOnClose: Bool
    /// Allow opposite trades to coexist (default false).
    public var hedging: Bool
    /// New orders replace pending ones and close trades (default false).
    public var exclusiveOrders: Bool
    /// Close open trades at the end (default false).
    public var finalizeTrades: Bool
    /// Stop-loss distance as a fraction of the signal close.
    public var slPct: Double?
    /// Take-profit distance as a fraction of the signal close.
    public var tpPct: Double?
    /// Extra outputs: `trades`, `equity`.
    public var include: [String]?

    /// Creates a request with backtesting.py's defaults.
    public init(
        data: String? = nil,
        ticker: String? = nil,
        start: String? = nil,
        end: String? = nil,
        strategy: String,
        params: [String: ParameterValue] = [:],
        cash: Double = BacktestSettings.defaultCash,
        commission: Commission = Commission(),
        spread: Double = 0,
        margin: Double = 1,
        tradeOnClose: Bool = false,
        hedging: Bool = false,
        exclusiveOrders: Bool = false,
        finalizeTrades: Bool = false,
        slPct: Double? = nil,
        tpPct: Double? = nil,
        include: [String]? = nil,
        rules: String? = nil
    ) {
        self.rules = rules
        self.data = data
        self.ticker = ticker
        self.start = start
        self.end = end
        self.strategy = strategy
        self.params = params
        self.cash = cash
        self.commission = commission
        self.spread = spread
        self.margin = margin
        self.tradeOnClose = tradeOnClose
        self.hedging = hedging
        self.exclusiveOrders = exclusiveOrders
        self.finalizeTrades = finalizeTrades
        self.slPct = slPct
        self.tpPct = tpPct
        self.include = include
    }

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case data, ticker, start, end, strategy, params, cash, commission, spread, margin
        case tradeOnClose = "trade_on_close"
        case hedging
        case exclusiveOrders = "exclusive_orders"
        case finalizeTrades = "finalize_trades"
        case slPct = "sl_pct"
        case tpPct = "tp_pct"
        case include, rules
    }

    /// The keys a request may carry.
    public static let fieldNames: [String] = CodingKeys.allCases.map(\.rawValue)

    public init(from decoder: any Decoder) throws {
        try AnyCodingKey.rejectUnknown(in: decoder, allowed: Self.fieldNames)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rules = try c.field(String.self, .rules, expected: "a rules program (text)")
        let named = try c.field(String.self, .strategy, expected: "a strategy name")
        if rules != nil, let named, named != Self.rulesStrategy {
            throw BacktestError.invalid(
                "strategy",
                "give a built-in strategy or rules, not both (with rules, strategy is '\(Self.rulesStrategy)' or absent)"
            )
        }
        guard let strategy = named ?? (rules != nil ? Self.rulesStrategy : nil) else {
            throw BacktestError(code: .missingField, message: "missing required field 'strategy' (or 'rules')", field: "strategy")
        }
        if strategy == Self.rulesStrategy, rules == nil {
            throw BacktestError(code: .missingField, message: "strategy 'rules' needs the program in 'rules'", field: "rules")
        }
        self.strategy = strategy
        data = try c.field(String.self, .data, expected: "a CSV path")
        ticker = try c.field(String.self, .ticker, expected: "a ticker symbol")
        start = try c.field(String.self, .start, expected: "a date (YYYY-MM-DD)")
        end = try c.field(String.self, .end, expected: "a date (YYYY-MM-DD)")
        do {
            params = try c.decodeIfPresent([String: ParameterValue].self, forKey: .params) ?? [:]
        } catch {
            throw BacktestError.invalid("params", "expected an object of numbers and booleans")
        }
        cash = try c.field(Double.self, .cash, expected: "a number") ?? BacktestSettings.defaultCash
        if let pair = try? c.decodeIfPresent([Double].self, forKey: .commission) {
            guard pair.count == 2 else {
                throw BacktestError.invalid("commission", "expected a number or [fixed, relative], got \(pair.count) values")
            }
            commission = Commission(fixed: pair[0], relative: pair[1])
        } else {
            commission = Commission(relative: try c.field(Double.self, .commission, expected: "a number or [fixed, relative]") ?? 0)
        }
        spread = try c.field(Double.self, .spread, expected: "a number") ?? 0
        margin = try c.field(Double.self, .margin, expected: "a number") ?? 1
        tradeOnClose = try c.field(Bool.self, .tradeOnClose, expected: "true or false") ?? false
        hedging = try c.field(Bool.self, .hedging, expected: "true or false") ?? false
        exclusiveOrders = try c.field(Bool.self, .exclusiveOrders, expected: "true or false") ?? false
        finalizeTrades = try c.field(Bool.self, .finalizeTrades, expected: "true or false") ?? false
        slPct = try c.field(Double.self, .slPct, expected: "a number or null")
        tpPct = try c.field(Double.self, .tpPct, expected: "a number or null")
        include = try c.field([String].self, .include, expected: "a list of \"trades\", \"equity\"")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(data, forKey: .data)
        try c.encodeIfPresent(ticker, forKey: .ticker)
        try c.encodeIfPresent(start, forKey: .start)
        try c.encodeIfPresent(end, forKey: .end)
        try c.encode(strategy, forKey: .strategy)
        try c.encode(params, forKey: .params)
        try c.encode(cash, forKey: .cash)
        if commission.fixed != 0 {
            try c.encode([commission.fixed, commission.relative], forKey: .commission)
        } else {
            try c.encode(commission.relative, forKey: .commission)
        }
        try c.encode(spread, forKey: .spread)
        try c.encode(margin, forKey: .margin)
        try c.encode(tradeOnClose, forKey: .tradeOnClose)
        try c.encode(hedging, forKey: .hedging)
        try c.encode(exclusiveOrders, forKey: .exclusiveOrders)
        try c.encode(finalizeTrades, forKey: .finalizeTrades)
        try c.encodeIfPresent(slPct, forKey: .slPct)
        try c.encodeIfPresent(tpPct, forKey: .tpPct)
        try c.encodeIfPresent(include, forKey: .include)
        try c.encodeIfPresent(rules, forKey: .rules)
    }

    /// The broker settings, validated.
    public func settings() throws(BacktestError) -> BacktestSettings {
        let s = BacktestSettings(
            cash: cash,
            commission: commission,
            spread: spread,
            margin: margin,
            tradeOnClose: tradeOnClose,
            hedging: hedging,
            exclusiveOrders: exclusiveOrders,
            finalizeTrades: finalizeTrades
        )
        try s.validate()
        return s
    }

    /// The `strategy` of a request that carries a rules program.
    public static let rulesStrategy = "rules"

    /// The strategy, validated: a built-in, or the rules program compiled (from the shared
    /// cache, by canonical text) with the parameters and brackets.
    public func makeStrategy() throws(BacktestError) -> RequestStrategy {
        try makeStrategy(params: params, brackets: Brackets(slPct: slPct, tpPct: tpPct))
    }

    /// The strategy with other parameters and brackets.
    public func makeStrategy(params: [String: ParameterValue], brackets: Brackets) throws(BacktestError) -> RequestStrategy {
        if let program = try rulesProgram() {
            do {
                return .rules(try program.strategy(params: params, brackets: brackets))
            } catch {
                throw error.backtestError()
            }
        }
        return .builtin(try StrategyCatalog.make(name: strategy, params: params, brackets: brackets))
    }

    /// The strategy with `overlay`'s parameter values in place of the request's, and
    /// `brackets` (a search's combination): a built-in is checked and built without merging
    /// the two (``StrategyCatalog/make(name:params:overriding:brackets:)``).
    public func makeStrategy(overriding overlay: [String: ParameterValue], brackets: Brackets) throws(BacktestError) -> RequestStrategy {
        guard rules == nil else { return try makeStrategy(params: params.merging(overlay) { $1 }, brackets: brackets) }
        return .builtin(try StrategyCatalog.make(name: strategy, params: params, overriding: overlay, brackets: brackets))
    }

    /// The compiled rules program, when the request carries one.
    public func rulesProgram() throws(BacktestError) -> RulesProgram? {
        guard let rules else { return nil }
        let program: RulesProgram
        do {
            program = try RulesProgramCache.shared.program(for: rules)
        } catch {
            throw error.backtestError()
        }
        guard program.actionCount > 0 else {
            throw .invalid("rules", "the program has no action (enter, exit or reverse … when …): it would never trade")
        }
        return program
    }

    /// The strategy's parameters: the built-in's, or those the program declares.
    public func strategyParameters() throws(BacktestError) -> [ParameterSpec] {
        if let program = try rulesProgram() { return program.parameters }
        guard let spec = StrategyCatalog.spec(named: strategy) else {
            throw BacktestError(code: .unknownStrategy, message: "unknown strategy '\(strategy)'", field: "strategy")
        }
        return spec.parameters
    }

    /// Every parameter with the value the run uses (defaults filled in).
    public func resolvedParameters() throws(BacktestError) -> [String: ParameterValue] {
        if let program = try rulesProgram() {
            do {
                return try program.resolve(params: params)
            } catch {
                throw error.backtestError()
            }
        }
        return try StrategyCatalog.resolve(name: strategy, params: params).1
    }

    /// The requested extra outputs, validated.
    public func includes() throws(BacktestError) -> (trades: Bool, equity: Bool) {
        var trades = false
        var equity = false
        for item in include ?? [] {
            switch item {
            case "trades": trades = true
            case "equity": equity = true
            default: throw .invalid("include", "unknown item '\(item)'; allowed: trades, equity")
            }
        }
        return (trades, equity)
    }

    /// Validates everything that does not need the data: settings, strategy, includes,
    /// dates. Returns what the engine needs.
    public func validated() throws(BacktestError) -> (settings: BacktestSettings, strategy: RequestStrategy) {
        let s = try settings()
        let strategy = try makeStrategy()
        _ = try includes()
        let range = try dateRange()
        if let a = range.start, let b = range.end, b < a {
            throw .invalid("end", "end (\(end ?? "")) is before start (\(start ?? ""))")
        }
        return (s, strategy)
    }

    /// The parsed `start`/`end` bounds in seconds; a bare date as `end` includes that day.
    public func dateRange() throws(BacktestError) -> (start: Int64?, end: Int64?) {
        var a: Int64? = nil
        var b: Int64? = nil
        if let start {
            guard let t = Timestamp.parse(start) else { throw .invalid("start", "'\(start)' is not a date (YYYY-MM-DD)") }
            a = t
        }
        if let end {
            guard let t = Timestamp.parse(end) else { throw .invalid("end", "'\(end)' is not a date (YYYY-MM-DD)") }
            b = end.count <= 10 ? t + 86_399 : t
        }
        return (a, b)
    }
}

/// A coding key for any string, used to detect unknown fields.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Refuses an object with a key not in `allowed` (`unknown_field`, naming the key and the
    /// allowed ones): a typo never silently falls back to a default.
    static func rejectUnknown(in decoder: any Decoder, allowed: [String]) throws {
        let known = Set(allowed)
        for key in try decoder.container(keyedBy: AnyCodingKey.self).allKeys where !known.contains(key.stringValue) {
            throw BacktestError(
                code: .unknownField,
                message: "unknown field '\(key.stringValue)'; allowed: \(allowed.joined(separator: ", "))",
                field: key.stringValue
            )
        }
    }
}
