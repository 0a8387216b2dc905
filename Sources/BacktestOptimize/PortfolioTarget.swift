import BacktestAPI
import BacktestEngine

/// A portfolio backtest as a search's target: grid values set the allocation's `lookback`
/// and `top` (momentum's top_k), the `every` of an every-N-bars schedule, or the
/// `commission`.
///
/// In a portfolio search `trades` counts the fills, so, as for one ticker, a combination that
/// never trades is never chosen.
///
/// ```swift
/// let target = try PortfolioTarget(portfolio: try PortfolioBacktest(tickers: tickers, bars: bars, settings: settings))
/// let space = try SearchSpace(axes: [ParameterAxis(parsing: "lookback=20..250:10"), ParameterAxis(parsing: "top=1..5")])
/// ```
public struct PortfolioTarget: OptimizationTarget {
    /// The portfolio each combination varies.
    public let portfolio: PortfolioBacktest
    public let parameterNames: [String]

    /// Every parameter a portfolio search may vary.
    public static let allParameters = ["lookback", "top", "every", "commission"]

    /// A target over `portfolio`; the parameters its allocation and schedule have.
    public init(portfolio: PortfolioBacktest) {
        self.portfolio = portfolio
        var names: [String] = []
        switch portfolio.settings.allocation {
        case .momentum: names += ["lookback", "top"]
        case .inverseVolatility: names += ["lookback"]
        default: break
        }
        if case .everyNBars? = portfolio.settings.schedule { names.append("every") }
        parameterNames = names + ["commission"]
    }

    public func check(_ parameters: [String: ParameterValue]) throws(BacktestError) {
        _ = try portfolio.with(settings: settings(parameters))
    }

    public func run(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> Statistics {
        let result = try portfolio.with(settings: settings(parameters)).run()
        var statistics = result.statistics
        statistics.trades = result.orders.count
        return statistics
    }

    /// A combination for the robustness block: its statistics and the bar-to-bar returns of
    /// its equity (a portfolio has no closed trades, so no trade bootstrap).
    public func runTrial(_ parameters: [String: ParameterValue], cache: IndicatorCache?) throws(BacktestError) -> TrialRun? {
        let result = try portfolio.with(settings: settings(parameters)).run()
        var statistics = result.statistics
        statistics.trades = result.orders.count
        return TrialRun(statistics: statistics, equity: result.equity, trades: [])
    }

    /// The portfolio's settings with a combination's values.
    public func settings(_ parameters: [String: ParameterValue]) throws(BacktestError) -> PortfolioSettings {
        var s = portfolio.settings
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            switch (name, s.allocation, s.schedule) {
            case ("lookback", .momentum(_, let top), _): s.allocation = .momentum(lookback: try Self.whole(value, name), top: top)
            case ("lookback", .inverseVolatility, _): s.allocation = .inverseVolatility(lookback: try Self.whole(value, name))
            case ("top", .momentum(let lookback, _), _): s.allocation = .momentum(lookback: lookback, top: try Self.whole(value, name))
            case ("every", _, .everyNBars?): s.schedule = .everyNBars(try Self.whole(value, name))
            case ("commission", _, _): s.commission = try Self.number(value, name)
            default:
                throw BacktestError(
                    code: .unknownParameter,
                    message: "\(name) is not a parameter of this portfolio; it has \(parameterNames.joined(separator: ", "))",
                    field: name
                )
            }
        }
        return s
    }

    private static func number(_ value: ParameterValue, _ name: String) throws(BacktestError) -> Double {
        guard case .number(let v) = value else {
            throw BacktestError(code: .invalidParameter, message: "\(name) must be a number, got \(value)", field: name)
        }
        return v
    }

    private static func whole(_ value: ParameterValue, _ name: String) throws(BacktestError) -> Int {
        let v = try number(value, name)
        guard v.isFinite, v == v.rounded(), abs(v) < 1e9 else {
            throw BacktestError(code: .invalidParameter, message: "\(name) must be a whole number, got \(v)", field: name)
        }
        return Int(v)
    }
}
