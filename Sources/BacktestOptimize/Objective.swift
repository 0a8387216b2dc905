import BacktestAPI
import BacktestEngine

/// What a search optimises: one statistic, maximised or minimised.
///
/// As backtesting.py's `optimize`, a run without trades has no objective value (it is never
/// chosen), nor has a run whose statistic is NaN; of equal values the earlier combination wins.
/// With a floor (``minTrades``), a run with fewer trades has no value either: it is counted and
/// listed, never chosen (the default 0 keeps backtesting.py's choice).
///
/// ```swift
/// let objective = try Objective(maximize: "sqn")
/// ```
public struct Objective: Sendable, Hashable, CustomStringConvertible {
    /// The statistic.
    public var statistic: StatisticKey
    /// `true` to maximise, `false` to minimise.
    public var maximizes: Bool
    /// The fewest trades a run needs to have a value (0: any run with a trade, as
    /// backtesting.py).
    public var minTrades = 0
    /// A winner with fewer trades than this gets a warning in the report.
    public static let fewTrades = 10

    /// Creates an objective from a statistic's reference key.
    ///
    /// - Throws: ``OptimizeError`` `unknown_statistic` listing the keys.
    public init(statistic name: String, maximizes: Bool) throws(OptimizeError) {
        do {
            self.statistic = try StatisticKey(name: name)
        } catch {
            throw OptimizeError(code: .unknownStatistic, message: error.message, field: "objective")
        }
        self.maximizes = maximizes
    }

    /// Maximise `name`.
    public init(maximize name: String) throws(OptimizeError) { try self.init(statistic: name, maximizes: true) }

    /// Minimise `name`.
    public init(minimize name: String) throws(OptimizeError) { try self.init(statistic: name, maximizes: false) }

    /// The objective value of a run: `nil` without trades, with fewer than ``minTrades``, or
    /// when the statistic is NaN.
    public func value(of statistics: Statistics) -> Double? {
        guard statistics.trades > 0, statistics.trades >= minTrades else { return nil }
        let v = statistic.value(in: statistics)
        return v.isNaN ? nil : v
    }

    /// The same objective without a trade floor (for out-of-sample statistics, which the
    /// floor does not judge).
    public var unfloored: Objective {
        var objective = self
        objective.minTrades = 0
        return objective
    }

    /// Whether a run traded, but fewer times than the floor (inadmissible, not tradeless).
    public func isBelowFloor(_ statistics: Statistics) -> Bool {
        statistics.trades > 0 && statistics.trades < minTrades
    }

    /// Whether `a` is strictly better than `b`.
    @inline(__always)
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        maximizes ? a > b : a < b
    }

    public var description: String { "\(maximizes ? "maximize" : "minimize") \(statistic.name)" }
}
