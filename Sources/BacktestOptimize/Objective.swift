import BacktestAPI
import BacktestEngine

/// What a search optimises: one statistic, maximised or minimised.
///
/// As backtesting.py's `optimize`, a run without trades has no objective value (it is never
/// chosen), nor has a run whose statistic is NaN; of equal values the earlier combination wins.
///
/// ```swift
/// let objective = try Objective(maximize: "sqn")
/// ```
public struct Objective: Sendable, Hashable, CustomStringConvertible {
    /// The statistic.
    public var statistic: StatisticKey
    /// `true` to maximise, `false` to minimise.
    public var maximizes: Bool

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

    /// The objective value of a run: `nil` without trades or when the statistic is NaN.
    public func value(of statistics: Statistics) -> Double? {
        guard statistics.trades > 0 else { return nil }
        let v = statistic.value(in: statistics)
        return v.isNaN ? nil : v
    }

    /// Whether `a` is strictly better than `b`.
    @inline(__always)
    public func isBetter(_ a: Double, than b: Double) -> Bool {
        maximizes ? a > b : a < b
    }

    public var description: String { "\(maximizes ? "maximize" : "minimize") \(statistic.name)" }
}
