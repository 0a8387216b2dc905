import BacktestEngine

/// A search's run of one combination: the statistics of the scope it asked for, and a way to
/// complete them from the same run for the combinations it keeps.
///
/// ```swift
/// let run = try target.run(parameters, cache: cache, scope: .trades)
/// let sqn = run.statistics.sqn          // computed
/// let all = run.completed()             // every statistic, as a plain run's
/// ```
public struct ScopedStatistics: Sendable {
    /// The statistics computed so far (those outside the scope are NaN).
    public var statistics: Statistics
    private let complete: (@Sendable () -> Statistics)?

    /// Statistics that are already complete.
    public init(statistics: Statistics) {
        self.statistics = statistics
        complete = nil
    }

    /// Statistics of a narrower scope, and the computation of all of them.
    public init(statistics: Statistics, complete: @escaping @Sendable () -> Statistics) {
        self.statistics = statistics
        self.complete = complete
    }

    /// Every statistic of the run.
    public func completed() -> Statistics {
        complete?() ?? statistics
    }
}
