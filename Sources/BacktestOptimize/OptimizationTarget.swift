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
    /// Runs one combination for a search's robustness block: its statistics, the bar-to-bar
    /// returns of its equity and its trades' returns; `nil` when the target has no equity
    /// curve (the search then has no robustness block). Default: `nil`.
    func runTrial(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> TrialRun?
    /// Runs one combination computing the statistics of `scope` (its ``ScopedStatistics``
    /// completes them). Default: every statistic, from ``run(_:cache:)``.
    func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?, scope: StatisticsScope) throws(BacktestError) -> ScopedStatistics
    /// A copy for another worker thread: it runs every combination as this one does, and
    /// shares no reference-counted storage that its runs copy (each copy updates the counts,
    /// and counts that two cores write make every copy a cache miss). Default: `self`.
    func replica() -> Self
    /// ``run(_:cache:scope:)`` for a search that keeps block statistics: sets `equity` to the
    /// run's equity curve (a value per bar; the array is shared, not copied), or leaves it `nil`
    /// when the target has none (as ``runTrial(_:cache:)`` returns `nil`). Default: every
    /// statistic and the curve of ``runTrial(_:cache:)``, or ``run(_:cache:scope:)`` without a
    /// curve.
    func run(
        _ parameters: [String: ParameterValue],
        cache: IndicatorCache?,
        scope: StatisticsScope,
        equity: inout [Double]?
    ) throws(BacktestError) -> ScopedStatistics
}

extension OptimizationTarget {
    /// Every statistic, whatever `scope` asks for.
    public func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?, scope: StatisticsScope) throws(BacktestError) -> ScopedStatistics
    {
        ScopedStatistics(statistics: try run(parameters, cache: cache))
    }

    /// `self`: a target whose runs copy nothing shared.
    public func replica() -> Self { self }

    /// No equity curve: no robustness block.
    public func runTrial(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> TrialRun? { nil }

    /// The trial's curve and every statistic, whatever `scope` asks for; without a trial, the
    /// scoped run alone.
    public func run(
        _ parameters: [String: ParameterValue],
        cache: IndicatorCache?,
        scope: StatisticsScope,
        equity: inout [Double]?
    ) throws(BacktestError) -> ScopedStatistics {
        guard let trial = try runTrial(parameters, cache: cache) else { return try run(parameters, cache: cache, scope: scope) }
        equity = trial.equity
        return ScopedStatistics(statistics: trial.statistics)
    }
}

/// A request's strategy (a built-in or a rules program) on fixed bars and settings: grid
/// values override the request's parameters; `sl_pct` and `tp_pct` are parameters too (the
/// brackets).
///
/// ```swift
/// let target = try StrategyTarget(bars: bars, request: BacktestRequest(strategy: "sma_cross"))
/// ```
public struct StrategyTarget: OptimizationTarget {
    /// The price data.
    public let bars: Bars
    /// The broker settings.
    public let settings: BacktestSettings
    /// The request: its strategy (or rules), parameters not on the grid, brackets not on it.
    public let request: BacktestRequest
    public let parameterNames: [String]

    /// The bracket parameters every strategy takes.
    public static let bracketNames = ["sl_pct", "tp_pct"]

    /// A target from a request (its data fields are ignored: `bars` is the data).
    ///
    /// - Throws: the request's validation error (settings, unknown strategy, rules that do
    ///   not compile).
    public init(bars: Bars, request: BacktestRequest) throws(BacktestError) {
        let settings = try request.settings()
        try settings.validate()
        self.init(bars: bars, settings: settings, request: request, parameterNames: try request.strategyParameters().map(\.name) + Self.bracketNames)
    }

    /// A target from its parts (a window of another target's bars).
    init(bars: Bars, settings: BacktestSettings, request: BacktestRequest, parameterNames: [String]) {
        self.bars = bars
        self.settings = settings
        self.request = request
        self.parameterNames = parameterNames
    }

    public func check(_ parameters: [String: ParameterValue]) throws(BacktestError) {
        _ = try make(parameters)
    }

    /// The same target on a ``Bars/replica()`` of its bars, which every run copies.
    public func replica() -> StrategyTarget {
        StrategyTarget(bars: bars.replica(), settings: settings, request: request, parameterNames: parameterNames)
    }

    public func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> Statistics {
        try Backtest(bars: bars, settings: settings).run(try make(parameters), cache: cache).statistics
    }

    /// The run computes `scope`'s statistics; the rest, when asked for, come from the same run.
    public func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?, scope: StatisticsScope) throws(BacktestError) -> ScopedStatistics
    {
        var equity: [Double]?
        return try run(parameters, cache: cache, scope: scope, equity: &equity)
    }

    /// The same run, its curve set in `equity` (the scoped statistics go back as they do without
    /// it, not inside another value).
    public func run(
        _ parameters: [String: ParameterValue],
        cache: IndicatorCache?,
        scope: StatisticsScope,
        equity: inout [Double]?
    ) throws(BacktestError) -> ScopedStatistics {
        let backtest = Backtest(bars: bars, settings: settings)
        let result = try backtest.run(try make(parameters), cache: cache, statistics: scope)
        equity = result.equity
        return Self.scoped(result, of: backtest, scope: scope)
    }

    /// `result`'s statistics, completed from it when `scope` left some out.
    private static func scoped(_ result: BacktestResult, of backtest: Backtest, scope: StatisticsScope) -> ScopedStatistics {
        guard scope != .all else { return ScopedStatistics(statistics: result.statistics) }
        return ScopedStatistics(statistics: result.statistics) { backtest.statistics(of: result) }
    }

    public func runTrial(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> TrialRun? {
        TrialRun(try Backtest(bars: bars, settings: settings).run(try make(parameters), cache: cache))
    }

    func make(_ parameters: [String: ParameterValue]) throws(BacktestError) -> RequestStrategy {
        var brackets = Brackets(slPct: request.slPct, tpPct: request.tpPct)
        var overlay = parameters
        for (name, value) in parameters {
            switch name {
            case "sl_pct": brackets.slPct = try Self.number(value, name)
            case "tp_pct": brackets.tpPct = try Self.number(value, name)
            default: continue
            }
            overlay[name] = nil
        }
        return try request.makeStrategy(overriding: overlay, brackets: brackets)
    }

    /// A bracket distance; its range is the strategy's to check.
    private static func number(_ value: ParameterValue, _ name: String) throws(BacktestError) -> Double {
        guard case .number(let v) = value else {
            throw BacktestError(code: .invalidParameter, message: "\(name) must be a number, got \(value)", field: name)
        }
        return v
    }
}
