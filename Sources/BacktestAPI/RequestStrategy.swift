import BacktestEngine
import BacktestRules

/// The strategy a request runs: a built-in, or a program in the rules language.
public enum RequestStrategy: Sendable {
    /// A built-in strategy.
    case builtin(BuiltinStrategy)
    /// A rules program with its parameters.
    case rules(RulesStrategy)

    /// The longest lookback of a rules program (0 for a built-in).
    public var lookback: Int {
        if case .rules(let strategy) = self { return strategy.lookback }
        return 0
    }
}

extension Backtest {
    /// Runs a request's strategy (statically dispatched: no existential in the bar loop).
    ///
    /// - Parameters:
    ///   - cache: indicators shared with other runs on the same bars (a search).
    ///   - scope: the statistics to compute (default all of them).
    public func run(
        _ strategy: RequestStrategy,
        cache: IndicatorCache? = nil,
        statistics scope: StatisticsScope = .all
    ) throws(BacktestError) -> BacktestResult {
        switch strategy {
        case .builtin(let builtin): return try run(builtin, cache: cache, statistics: scope)
        case .rules(let rules): return try run(rules, cache: cache, statistics: scope)
        }
    }
}
