import BacktestAPI
import BacktestEngine

/// What a search runs: one backtest per combination of parameters.
public protocol OptimizationTarget: Sendable {
    /// The names a grid may use.
    var parameterNames: [String] { get }
    /// Checks a combination without running it (called for every admissible combination
    /// before the first run, so a bad one stops the search before it starts).
    func check(_ parameters: [String: ParameterValue]) throws(BacktestError)
    /// Runs one combination and returns its statistics; `cache` holds the indicators the
    /// worker's earlier runs computed (the result is the same without it).
    func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> Statistics
}

/// A built-in strategy on fixed bars and settings: grid values override the request's
/// parameters; `sl_pct` and `tp_pct` are parameters too (the brackets).
///
/// ```swift
/// let target = try BuiltinTarget(bars: bars, request: BacktestRequest(strategy: "sma_cross"))
/// ```
public struct BuiltinTarget: OptimizationTarget {
    /// The price data.
    public let bars: Bars
    /// The broker settings.
    public let settings: BacktestSettings
    /// The strategy's name.
    public let strategy: String
    /// Parameters not on the grid.
    public let baseParameters: [String: ParameterValue]
    /// Brackets not on the grid.
    public let baseBrackets: Brackets
    public let parameterNames: [String]

    /// The bracket parameters every strategy takes.
    public static let bracketNames = ["sl_pct", "tp_pct"]

    /// A target from a request (its data fields are ignored: `bars` is the data).
    ///
    /// - Throws: the request's validation error.
    public init(bars: Bars, request: BacktestRequest) throws(BacktestError) {
        let settings = try request.settings()
        try settings.validate()
        guard let spec = StrategyCatalog.all.first(where: { $0.name == request.strategy }) else {
            throw BacktestError(code: .unknownStrategy, message: "unknown strategy '\(request.strategy)'", field: "strategy")
        }
        self.bars = bars
        self.settings = settings
        self.strategy = request.strategy
        self.baseParameters = request.params
        self.baseBrackets = Brackets(slPct: request.slPct, tpPct: request.tpPct)
        self.parameterNames = spec.parameters.map(\.name) + Self.bracketNames
    }

    /// A target from its parts (a window of another target's bars).
    init(bars: Bars, settings: BacktestSettings, strategy: String, baseParameters: [String: ParameterValue], baseBrackets: Brackets) {
        self.bars = bars
        self.settings = settings
        self.strategy = strategy
        self.baseParameters = baseParameters
        self.baseBrackets = baseBrackets
        self.parameterNames = (StrategyCatalog.all.first { $0.name == strategy }?.parameters.map(\.name) ?? []) + Self.bracketNames
    }

    public func check(_ parameters: [String: ParameterValue]) throws(BacktestError) {
        _ = try make(parameters)
    }

    public func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> Statistics {
        try Backtest(bars: bars, settings: settings).run(try make(parameters), cache: cache).statistics
    }

    func make(_ parameters: [String: ParameterValue]) throws(BacktestError) -> BuiltinStrategy {
        var params = baseParameters
        var brackets = baseBrackets
        for (name, value) in parameters {
            switch name {
            case "sl_pct": brackets.slPct = try Self.number(value, name)
            case "tp_pct": brackets.tpPct = try Self.number(value, name)
            default: params[name] = value
            }
        }
        return try StrategyCatalog.make(name: strategy, params: params, brackets: brackets)
    }

    /// A bracket distance; its range is the catalog's to check.
    private static func number(_ value: ParameterValue, _ name: String) throws(BacktestError) -> Double {
        guard case .number(let v) = value else {
            throw BacktestError(code: .invalidParameter, message: "\(name) must be a number, got \(value)", field: name)
        }
        return v
    }
}
