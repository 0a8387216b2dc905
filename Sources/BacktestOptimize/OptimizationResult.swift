import BacktestEngine
import BacktestResearch

/// One evaluated combination, as the heatmap lists it.
public struct HeatmapRow: Sendable, Hashable {
    /// Its position in the run order (0-based).
    public var sequence: Int
    /// The combination's values, in axis order.
    public var values: [ParameterValue]
    /// The reported statistics, in ``Optimizer/Configuration/statistics`` order; the
    /// objective's column is NaN for a run without trades (as backtesting.py's heatmap) or below
    /// the trade floor (``Objective/minTrades``).
    public var statistics: [Double]

    /// Creates a row.
    public init(sequence: Int, values: [ParameterValue], statistics: [Double]) {
        self.sequence = sequence
        self.values = values
        self.statistics = statistics
    }
}

/// A combination with its objective and full statistics (the best and the top list).
public struct Candidate: Sendable {
    /// Its position in the run order: of equal objectives the lower one wins.
    public var sequence: Int
    /// The parameters, in axis order.
    public var parameters: [(name: String, value: ParameterValue)]
    /// The objective value; `nil` for a run without trades (only the best can be such, when
    /// no run traded).
    public var objective: Double?
    /// The run's statistics.
    public var statistics: Statistics

    /// Creates a candidate.
    public init(sequence: Int, parameters: [(name: String, value: ParameterValue)], objective: Double?, statistics: Statistics) {
        self.sequence = sequence
        self.parameters = parameters
        self.objective = objective
        self.statistics = statistics
    }
}

/// Progress of a search.
public struct OptimizationProgress: Sendable {
    /// Combinations run.
    public var done: Int
    /// Combinations to run.
    public var total: Int
    /// Seconds since the first run started.
    public var elapsed: Double
}

/// The outcome of a search.
public struct OptimizationResult: Sendable {
    /// The best combination: the first with the best objective; when no run made a trade,
    /// the first combination run (as backtesting.py).
    public var best: Candidate
    /// The best `topCount` combinations, best first (runs without trades excluded).
    public var top: [Candidate]
    /// Combinations in the product, before the constraint.
    public var combinations: Int
    /// Combinations the constraint admits.
    public var admissible: Int
    /// Combinations run.
    public var evaluated: Int
    /// Runs that made no trade (no objective value).
    public var withoutTrades: Int
    /// Runs that traded, but fewer times than the floor (no objective value).
    public var belowMinTrades = 0
    /// Seconds the runs took (the plan excluded).
    public var seconds: Double
    /// Every combination's block statistics, in run order, when the search computed them.
    public var trials: TrialBlockStatistics? = nil
}

/// The best `capacity` candidates seen, best first; ties keep the earlier sequence.
struct TopList: Sendable {
    let capacity: Int
    let objective: Objective
    private(set) var items: [Candidate] = []

    init(capacity: Int, objective: Objective) {
        self.capacity = max(0, capacity)
        self.objective = objective
    }

    func ranksBefore(_ a: Candidate, _ b: Candidate) -> Bool {
        ranks(a.objective, sequence: a.sequence, before: b)
    }

    /// Whether a candidate with objective value `x` run at `sequence` ranks before `b`.
    private func ranks(_ x: Double?, sequence: Int, before b: Candidate) -> Bool {
        guard let x else { return false }
        guard let y = b.objective else { return true }
        if objective.isBetter(x, than: y) { return true }
        if objective.isBetter(y, than: x) { return false }
        return sequence < b.sequence
    }

    /// Whether ``insert(_:)`` would keep `candidate`.
    func accepts(_ candidate: Candidate) -> Bool {
        accepts(objective: candidate.objective, sequence: candidate.sequence)
    }

    /// Whether ``insert(_:)`` would keep a candidate with objective value `value` run at
    /// `sequence`: a search asks before it builds the candidate.
    func accepts(objective value: Double?, sequence: Int) -> Bool {
        guard capacity > 0, value != nil else { return false }
        guard items.count == capacity, let last = items.last else { return true }
        return ranks(value, sequence: sequence, before: last)
    }

    mutating func insert(_ candidate: Candidate) {
        guard accepts(candidate) else { return }
        var at = items.count
        while at > 0, ranksBefore(candidate, items[at - 1]) { at -= 1 }
        items.insert(candidate, at: at)
        if items.count > capacity { items.removeLast() }
    }
}
