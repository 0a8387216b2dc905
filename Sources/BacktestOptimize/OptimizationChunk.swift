import BacktestAPI
import BacktestEngine
import BacktestResearch

/// The outcome of one unit of work of a search: the combinations `plan.order[range]`.
///
/// Units are independent: a local search runs them on all cores, a server stores each one as
/// a job item (so a restart reruns only the missing ones), and ``OptimizationMerger`` folds
/// them, in run order, into the search's result.
public struct OptimizationChunk: Sendable {
    /// The positions in the run order it covers.
    public var range: Range<Int>
    /// Every combination's heatmap row, in run order.
    public var rows: [HeatmapRow] = []
    /// Its best combinations (at least one when any traded), best first.
    public var top: [Candidate] = []
    /// Its first combination: the best of a search where nothing trades.
    public var first: Candidate?
    /// Runs that made no trade.
    public var withoutTrades = 0
    /// Runs that traded fewer times than the objective's floor (``Objective/minTrades``).
    public var belowMinTrades = 0
    /// Every combination's block statistics, in run order, when the search computes
    /// robustness (``Optimizer/Configuration/robustnessBlocks``) and the target could.
    public var trials: TrialBlockStatistics?

    /// An empty unit for `range`.
    public init(range: Range<Int>) {
        self.range = range
    }
}

/// Folds units of work (``OptimizationChunk``), added in run order, into a search's result
/// with backtesting.py's choice: the best objective, of equal ones the earliest, and when no
/// run traded the first combination.
///
/// ```swift
/// var merger = OptimizationMerger(configuration: optimizer.configuration)
/// for range in ranges { merger.add(try optimizer.evaluate(plan, range: range)) }
/// let result = try merger.result(plan: plan, combinations: optimizer.space.count, seconds: 0)
/// ```
public struct OptimizationMerger: Sendable {
    private var top: TopList
    private var best: TopList
    private var first: Candidate?
    /// Runs without trades so far.
    public private(set) var withoutTrades = 0
    /// Runs below the trade floor so far.
    public private(set) var belowMinTrades = 0
    /// Combinations merged so far.
    public private(set) var evaluated = 0
    /// The merged block statistics; `nil` once a unit came without them.
    private var trials: TrialBlockStatistics?
    private var trialsComplete = true

    /// The number of combinations the units will bring (room for their block statistics is
    /// made once, at the first unit); 0 when unknown.
    private let expectedTrials: Int

    /// A merger for a search with this configuration, of `combinations` combinations when known
    /// (default 0: unknown; the merged block statistics then grow as units arrive).
    public init<Target>(configuration: Optimizer<Target>.Configuration, combinations: Int = 0) {
        top = TopList(capacity: configuration.topCount, objective: configuration.objective)
        best = TopList(capacity: 1, objective: configuration.objective)
        expectedTrials = combinations
    }

    /// Adds the next unit (units arrive in run order; the earliest first candidate is kept).
    public mutating func add(_ chunk: OptimizationChunk) {
        if first == nil || (chunk.first.map { $0.sequence < (first?.sequence ?? .max) } ?? false) { first = chunk.first }
        for candidate in chunk.top {
            top.insert(candidate)
            best.insert(candidate)
        }
        withoutTrades += chunk.withoutTrades
        belowMinTrades += chunk.belowMinTrades
        evaluated += chunk.range.count
        if let unit = chunk.trials, trialsComplete {
            if trials == nil {
                trials = unit
                trials?.reserveCapacity(trials: max(0, expectedTrials - unit.trialCount))
            } else {
                do { try trials?.merge(unit) } catch { trialsComplete = false }
            }
        } else {
            trialsComplete = false
        }
    }

    /// The sequences of the candidates the result would hold now: the top, the best and
    /// the first combination.
    var keptSequences: Set<Int> {
        var kept = Set(top.items.map(\.sequence))
        if let best = best.items.first { kept.insert(best.sequence) }
        if let first { kept.insert(first.sequence) }
        return kept
    }

    /// The result.
    ///
    /// - Throws: ``OptimizeError`` `empty_grid` when nothing was merged.
    public func result<Target>(plan: Optimizer<Target>.Plan, combinations: Int, seconds: Double) throws(OptimizeError) -> OptimizationResult {
        guard let chosen = best.items.first ?? first else {
            throw OptimizeError(code: .emptyGrid, message: "no combination was run")
        }
        return OptimizationResult(
            best: chosen,
            top: top.items,
            combinations: combinations,
            admissible: plan.admissible,
            evaluated: evaluated,
            withoutTrades: withoutTrades,
            belowMinTrades: belowMinTrades,
            seconds: seconds,
            trials: trialsComplete ? trials : nil
        )
    }
}

/// The combinations of a search over several tickers ranked by their mean objective (as
/// backtesting.py's `MultiBacktest`: a ticker where a combination has no value, e.g. no
/// trades, is left out of its mean). Every ticker runs the same plan, so rows meet by their
/// position in the run order.
public struct ObjectiveRanking: Sendable {
    private var sums: [Double]
    private var counts: [Int]
    private var values: [[ParameterValue]]
    private let objective: Objective
    private let column: Int

    /// A ranking of `count` combinations; the objective is column `column` of each row's
    /// statistics.
    public init(count: Int, objective: Objective, column: Int) {
        sums = [Double](repeating: 0, count: count)
        counts = [Int](repeating: 0, count: count)
        values = [[ParameterValue]](repeating: [], count: count)
        self.objective = objective
        self.column = column
    }

    /// Adds one ticker's rows.
    public mutating func add(_ rows: [HeatmapRow]) {
        for row in rows where values.indices.contains(row.sequence) {
            values[row.sequence] = row.values
            guard row.statistics.indices.contains(column), !row.statistics[column].isNaN else { continue }
            sums[row.sequence] += row.statistics[column]
            counts[row.sequence] += 1
        }
    }

    /// The best `top` (at least one) by mean objective; of equal means the earlier one.
    public func ranked(names: [String], top: Int) -> [OptimizationReport.Ranked] {
        let ranked = sums.indices.filter { counts[$0] > 0 }.sorted { a, b in
            let x = sums[a] / Double(counts[a])
            let y = sums[b] / Double(counts[b])
            if objective.isBetter(x, than: y) { return true }
            if objective.isBetter(y, than: x) { return false }
            return a < b
        }
        return ranked.prefix(max(1, top)).map { i in
            OptimizationReport.Ranked(
                params: ParameterList(Array(zip(names, values[i])).map { (name: $0.0, value: $0.1) }),
                meanObjective: sums[i] / Double(counts[i]),
                tickers: counts[i]
            )
        }
    }
}
