import BacktestAPI
import BacktestEngine
import BacktestResearch
import Foundation

/// Runs a search: every admissible combination of a ``SearchSpace`` (grid), or a
/// reproducible sample of them (random), on all cores, with backtesting.py 0.6.6's rules for
/// choosing the best (see ``Objective``).
///
/// ```swift
/// let space = try SearchSpace(axes: [ParameterAxis(parsing: "fast=5..50:5"), ParameterAxis(parsing: "slow=10..200:10")],
///                             constraint: "fast < slow")
/// let optimizer = Optimizer(space: space, target: target, configuration: .init(objective: try Objective(maximize: "sqn")))
/// let result = try await optimizer.run()
/// print(result.best.parameters, result.best.statistics.sqn)
/// ```
public struct Optimizer<Target: OptimizationTarget>: Sendable {
    /// How to search and what to report.
    public struct Configuration: Sendable {
        /// Every admissible combination, or a sample.
        public enum Method: Sendable, Hashable {
            /// All admissible combinations, in product order.
            case grid
            /// `maxTries` distinct admissible combinations drawn with a generator seeded by
            /// `seed` (all of them, shuffled, when there are fewer).
            case random(maxTries: Int, seed: UInt64)
        }

        /// The method. Default `.grid`.
        public var method: Method
        /// What to optimise.
        public var objective: Objective
        /// The statistics each heatmap row reports; the objective is always among them (put
        /// first when missing). Default: the objective and `trades`.
        public var statistics: [StatisticKey]
        /// How many of the best combinations to keep. Default 10.
        public var topCount: Int
        /// Runs at once. Default: the number of cores.
        public var concurrency: Int
        /// Combinations per unit of work handed to a core. Default 32.
        public var chunkSize: Int
        /// How a search with a robustness block chooses S, its CSCV blocks.
        public enum RobustnessBlocks: Sendable, Hashable {
            /// ``BlockLayout/searchBlocks(trials:periods:)``: the largest even S ≤ 16 whose
            /// CSCV fits ``BlockLayout/searchBudget`` for the search's combinations.
            case automatic
            /// This S, as the user asked (even, at least 2).
            case fixed(Int)
        }

        /// The robustness block (every combination's returns kept as block statistics) and
        /// its S; `nil`: none. Default `nil`.
        public var robustnessBlocks: RobustnessBlocks? = nil
        /// Searches of more combinations keep no block statistics: they cost 2·S + 3 numbers per
        /// combination, and CSCV C(S, S/2) steps per combination. Default 20,000.
        public var robustnessMaxTrials = 20_000

        /// Whether a search of `trials` combinations keeps their block statistics: it has a
        /// robustness block and at most ``robustnessMaxTrials`` combinations.
        public func keepsBlockStatistics(trials: Int) -> Bool {
            robustnessBlocks != nil && trials <= robustnessMaxTrials
        }

        /// S for a search of `trials` combinations over `periods` returns, or `nil` when it
        /// keeps no block statistics (no robustness block, or over ``robustnessMaxTrials``).
        public func robustnessBlockCount(trials: Int, periods: Int) -> Int? {
            guard keepsBlockStatistics(trials: trials) else { return nil }
            switch robustnessBlocks {
            case nil: return nil
            case .automatic: return BlockLayout.searchBlocks(trials: trials, periods: periods)
            case .fixed(let blocks): return blocks
            }
        }

        /// Creates a configuration; the defaults are the documented ones.
        public init(
            method: Method = .grid,
            objective: Objective,
            statistics: [StatisticKey]? = nil,
            topCount: Int = 10,
            concurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
            chunkSize: Int = 32
        ) {
            self.method = method
            self.objective = objective
            var reported = statistics ?? [objective.statistic]
            if statistics == nil, let trades = try? StatisticKey(name: "trades") { reported.append(trades) }
            if !reported.contains(objective.statistic) { reported.insert(objective.statistic, at: 0) }
            self.statistics = reported
            self.topCount = max(0, topCount)
            self.concurrency = max(1, concurrency)
            self.chunkSize = max(1, chunkSize)
        }
    }

    /// The column of the objective in each heatmap row's statistics.
    public var objectiveColumn: Int { configuration.statistics.firstIndex(of: configuration.objective.statistic) ?? 0 }

    /// The combinations.
    public let space: SearchSpace
    /// What runs them.
    public let target: Target
    /// How.
    public let configuration: Configuration

    /// Creates an optimizer.
    public init(space: SearchSpace, target: Target, configuration: Configuration) {
        self.space = space
        self.target = target
        self.configuration = configuration
    }

    /// What a search will run.
    public struct Plan: Sendable {
        /// Indices into the product, in run order.
        public var order: [Int]
        /// Combinations the constraint admits (all of them run for a grid).
        public var admissible: Int
    }

    /// The combinations to run, in run order (indices into the product), after checking
    /// that every grid parameter exists and every admissible combination is valid.
    ///
    /// - Throws: ``OptimizeError``: `unknown_parameter`, `empty_grid`, `invalid_combination`.
    public func plan() throws(OptimizeError) -> Plan {
        for axis in space.axes where !target.parameterNames.contains(axis.name) {
            throw OptimizeError(
                code: .unknownParameter,
                message: "--grid \(axis.name): not a parameter of this strategy (parameters: \(target.parameterNames.joined(separator: ", ")))",
                field: "grid"
            )
        }
        var order = space.admissible()
        let admissible = order.count
        guard !order.isEmpty else {
            throw OptimizeError(
                code: .emptyGrid,
                message: "no combination of the \(space.count) in the grid satisfies the constraint '\(space.constraint?.text ?? "")'",
                field: "constraint"
            )
        }
        for index in order {
            let parameters = space.parameters(at: index)
            do {
                try target.check(parameters)
            } catch {
                throw OptimizeError(
                    code: .invalidCombination,
                    message: "combination \(describe(parameters)) is refused: \(error.message)"
                        + (space.constraint == nil ? " (exclude such combinations with --constraint)" : ""),
                    field: "grid"
                )
            }
        }
        if case .random(let tries, let seed) = configuration.method {
            var generator = SplitMix64(seed: seed)
            let n = min(max(1, tries), order.count)
            for i in 0..<n {
                let j = i + Int(generator.next() % UInt64(order.count - i))
                order.swapAt(i, j)
            }
            order.removeLast(order.count - n)
        }
        return Plan(order: order, admissible: admissible)
    }

    /// `fast=10, slow=30`, in axis order.
    public func describe(_ parameters: [String: ParameterValue]) -> String {
        space.axes.map { "\($0.name)=\(parameters[$0.name].map(\.description) ?? "?")" }.joined(separator: ", ")
    }

    /// Runs the search.
    ///
    /// - Parameters:
    ///   - progress: called after each unit of work.
    ///   - rows: receives every evaluated combination, in run order, a unit of work at a time
    ///     (write the heatmap here; memory stays bounded however large the grid).
    /// - Throws: ``OptimizeError`` from ``plan()``, or the first run that fails (naming its
    ///   combination), or `CancellationError`.
    public func run(
        progress: (@Sendable (OptimizationProgress) -> Void)? = nil,
        rows: (([HeatmapRow]) throws -> Void)? = nil
    ) async throws -> OptimizationResult {
        try await run(try plan(), progress: progress, rows: rows)
    }

    /// The outcome of one unit of work in the task group (a struct, never a tuple: see the
    /// TaskGroup note in the project's notes on Swift 6.3 release builds).
    struct ChunkOutcome: Sendable {
        var chunk: Int
        var result: Result<EvaluatedChunk, OptimizeError>
        /// The worker, handed back for the next unit of work.
        var worker: Worker
    }

    /// What one worker thread of a search keeps from one unit of work to the next: its
    /// indicator cache, and this search on its replica of the target
    /// (``OptimizationTarget/replica()``).
    struct Worker: Sendable {
        var optimizer: Optimizer
        var cache = IndicatorCache()
    }

    /// A unit of work whose kept candidates (its top and its first) still carry the
    /// statistics of the search's scope, with their runs to complete them: a search in
    /// process completes only the candidates that end in its result.
    struct EvaluatedChunk: Sendable {
        var chunk: OptimizationChunk
        /// The runs of the chunk's kept candidates, by sequence.
        var pending: [Int: ScopedStatistics]
    }

    /// Runs a plan from ``plan()``; see ``run(progress:rows:)``.
    public func run(
        _ plan: Plan,
        progress: (@Sendable (OptimizationProgress) -> Void)? = nil,
        rows: (([HeatmapRow]) throws -> Void)? = nil
    ) async throws -> OptimizationResult {
        let order = plan.order
        let clock = ContinuousClock()
        let started = clock.now
        // Enough units of work to balance the cores (a few per core), none larger than configured.
        let chunkSize = min(configuration.chunkSize, max(1, order.count / (4 * configuration.concurrency)))
        let chunks = (order.count + chunkSize - 1) / chunkSize
        var merger = OptimizationMerger(configuration: configuration, combinations: order.count)
        var waiting: [Int: EvaluatedChunk] = [:]
        // The runs of the candidates the merged units keep so far, completed at the end.
        var kept: [Int: ScopedStatistics] = [:]
        var nextToEmit = 0
        progress?(OptimizationProgress(done: 0, total: order.count, elapsed: 0))

        try await withThrowingTaskGroup(of: ChunkOutcome.self) { group in
            var nextChunk = 0
            var running = 0
            // One indicator cache and one replica of the target per worker, handed from each
            // unit of work to the next (the first worker runs the target itself); no more
            // workers than units, so a small search copies no bars it will not use.
            var workers = (0..<min(configuration.concurrency, chunks)).map { k in
                Worker(optimizer: k == 0 ? self : Optimizer(space: space, target: target.replica(), configuration: configuration))
            }
            func addChunk() {
                let chunk = nextChunk
                nextChunk += 1
                running += 1
                let range = (chunk * chunkSize)..<min(order.count, (chunk + 1) * chunkSize)
                let worker = workers.popLast() ?? Worker(optimizer: self)
                group.addTask {
                    do throws(OptimizeError) {
                        let evaluated = try worker.optimizer.evaluateDeferred(plan, range: range, cache: worker.cache)
                        return ChunkOutcome(chunk: chunk, result: .success(evaluated), worker: worker)
                    } catch {
                        return ChunkOutcome(chunk: chunk, result: .failure(error), worker: worker)
                    }
                }
            }
            // The reorder buffer stays bounded: while it is full, the chunk everyone waits for
            // is still running, so no new work starts until it is in.
            func refill() {
                while nextChunk < chunks, running < configuration.concurrency, waiting.count < 4 * configuration.concurrency,
                    !Task.isCancelled
                {
                    addChunk()
                }
            }
            refill()
            while let outcome = try await group.next() {
                running -= 1
                workers.append(outcome.worker)
                waiting[outcome.chunk] = try outcome.result.get()
                // Hand rows over in run order.
                while let ready = waiting.removeValue(forKey: nextToEmit) {
                    try rows?(ready.chunk.rows)
                    merger.add(ready.chunk)
                    kept.merge(ready.pending) { earlier, _ in earlier }
                    nextToEmit += 1
                }
                let keep = merger.keptSequences
                kept = kept.filter { keep.contains($0.key) }
                progress?(OptimizationProgress(done: merger.evaluated, total: order.count, elapsed: (clock.now - started).seconds))
                refill()
            }
        }
        try Task.checkCancellation()
        var result = try merger.result(plan: plan, combinations: space.count, seconds: 0)
        Self.complete(&result, from: kept)
        result.seconds = (clock.now - started).seconds
        return result
    }

    /// Runs the combinations `plan.order[range]` on the calling thread: their heatmap rows,
    /// their own best `topCount` (at least 1), and their first candidate (the fallback best
    /// of a search where nothing trades). A unit of work of ``run(_:progress:rows:)``, or
    /// of a server job, which stores each unit and merges them with ``OptimizationMerger``.
    ///
    /// - Throws: ``OptimizeError`` `invalid_combination` naming the first run that fails.
    public func evaluate(_ plan: Plan, range: Range<Int>, cache: IndicatorCache = IndicatorCache()) throws(OptimizeError) -> OptimizationChunk {
        let evaluated = try evaluateDeferred(plan, range: range, cache: cache)
        var chunk = evaluated.chunk
        Self.complete(&chunk, from: evaluated.pending)
        return chunk
    }

    /// ``evaluate(_:range:cache:)`` without completing the statistics of the candidates it
    /// keeps: their runs come with the chunk.
    func evaluateDeferred(_ plan: Plan, range: Range<Int>, cache: IndicatorCache) throws(OptimizeError) -> EvaluatedChunk {
        let objective = configuration.objective
        let reported = configuration.statistics
        var local = TopList(capacity: max(1, configuration.topCount), objective: objective)
        var chunk = OptimizationChunk(range: range)
        chunk.rows.reserveCapacity(range.count)
        let keepsTrials = configuration.keepsBlockStatistics(trials: plan.order.count)
        // The objective and the reported statistics (`trades` among them) decide what each run
        // computes; the combinations kept (this unit's top and first) get every statistic.
        let scope = ([objective.statistic] + reported).scope
        var pending: [Int: ScopedStatistics] = [:]
        for sequence in range {
            let values = space.values(at: plan.order[sequence])
            var parameters = [String: ParameterValue](minimumCapacity: values.count)
            for (axis, value) in zip(space.axes, values) { parameters[axis.name] = value }
            let scoped: ScopedStatistics
            do throws(BacktestError) {
                let first = sequence == range.lowerBound
                if keepsTrials {
                    // Not a closure: one inside this generic method looks up the metadata of
                    // the optimizer's type at every call.
                    var equity: [Double]?
                    scoped = try target.run(parameters, cache: cache, scope: scope, equity: &equity)
                    record(equity, into: &chunk, first: first, trials: plan.order.count)
                } else {
                    scoped = try target.run(parameters, cache: cache, scope: scope)
                }
            } catch {
                throw OptimizeError(code: .invalidCombination, message: "combination \(describe(parameters)) failed: \(error.message)", field: "grid")
            }
            let statistics = scoped.statistics
            let value = objective.value(of: statistics)
            if statistics.trades == 0 { chunk.withoutTrades += 1 }
            if objective.isBelowFloor(statistics) { chunk.belowMinTrades += 1 }
            let row = reported.map { key -> Double in key == objective.statistic && value == nil ? .nan : key.value(in: statistics) }
            chunk.rows.append(HeatmapRow(sequence: sequence, values: values, statistics: row))
            // Most runs are not kept: the candidate (its statistics and named parameters) is
            // built only for those that are.
            guard chunk.first == nil || local.accepts(objective: value, sequence: sequence) else { continue }
            let candidate = Candidate(
                sequence: sequence,
                parameters: Array(zip(space.axes.map(\.name), values)).map { (name: $0.0, value: $0.1) },
                objective: value,
                statistics: statistics
            )
            if chunk.first == nil { chunk.first = candidate }
            local.insert(candidate)
            pending[sequence] = scoped
            if pending.count > 4 * local.capacity + 4 { Self.prune(&pending, keeping: local, first: range.lowerBound) }
        }
        chunk.top = local.items
        Self.prune(&pending, keeping: local, first: range.lowerBound)
        return EvaluatedChunk(chunk: chunk, pending: pending)
    }

    /// Drops the runs of candidates no longer kept (pushed out of the top).
    private static func prune(_ pending: inout [Int: ScopedStatistics], keeping top: TopList, first: Int) {
        let kept = Set(top.items.map(\.sequence)).union([first])
        pending = pending.filter { kept.contains($0.key) }
    }

    /// Every statistic for the candidates a unit keeps (its top and its first), from their
    /// runs: the others never need them.
    private static func complete(_ chunk: inout OptimizationChunk, from pending: [Int: ScopedStatistics]) {
        var completion = Completion(pending: pending)
        chunk.top = chunk.top.map { completion.complete($0) }
        chunk.first = chunk.first.map { completion.complete($0) }
    }

    /// Every statistic for the candidates a search returns (its best and its top), from
    /// their runs: a search in process completes those alone, not each unit's.
    private static func complete(_ result: inout OptimizationResult, from pending: [Int: ScopedStatistics]) {
        var completion = Completion(pending: pending)
        result.top = result.top.map { completion.complete($0) }
        result.best = completion.complete(result.best)
    }

    /// Completes candidates from their runs, each run once.
    private struct Completion {
        let pending: [Int: ScopedStatistics]
        var completed: [Int: Statistics] = [:]

        mutating func complete(_ candidate: Candidate) -> Candidate {
            guard let run = pending[candidate.sequence] else { return candidate }
            var candidate = candidate
            if let statistics = completed[candidate.sequence] {
                candidate.statistics = statistics
            } else {
                candidate.statistics = run.completed()
                completed[candidate.sequence] = candidate.statistics
            }
            return candidate
        }
    }

    /// Adds a run's equity returns to the unit's block statistics, in the S the configuration
    /// chooses for `trials` combinations (at the unit's first run: the others have as many
    /// bars); without a run, or when they do not fit (too few bars for the blocks, or a run
    /// with another number of bars), the unit has none.
    private func record(_ equity: [Double]?, into chunk: inout OptimizationChunk, first: Bool, trials: Int) {
        guard let equity else {
            chunk.trials = nil
            return
        }
        if first {
            let periods = equity.count - 1
            chunk.trials = configuration.robustnessBlockCount(trials: trials, periods: periods)
                .flatMap { try? BlockLayout(periods: periods, blocks: $0) }
                .map(TrialBlockStatistics.init)
            chunk.trials?.reserveCapacity(trials: chunk.range.count)
        }
        do {
            try chunk.trials?.append(equity: equity)
        } catch {
            chunk.trials = nil
        }
    }

    /// The candidate of `plan.order[sequence]` with its objective and statistics (a stored
    /// unit of work read back: its parameters are not stored).
    public func candidate(_ plan: Plan, sequence: Int, statistics: Statistics) -> Candidate {
        let values = plan.order.indices.contains(sequence) ? space.values(at: plan.order[sequence]) : []
        return Candidate(
            sequence: sequence,
            parameters: Array(zip(space.axes.map(\.name), values)).map { (name: $0.0, value: $0.1) },
            objective: configuration.objective.value(of: statistics),
            statistics: statistics
        )
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
