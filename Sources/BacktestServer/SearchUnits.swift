import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestResearch
import Foundation

/// The steps every search job's units share, whatever they search (a strategy, a portfolio):
/// running a unit on a worker, a range of the plan as a stored unit, the units merged back.
enum SearchUnits {
    /// A unit's outcome, wrapped (not a tuple) for the worker pool; nil when it was cancelled.
    struct Outcome: Sendable {
        var unit: StoredUnit?
    }

    /// Runs `work` on a worker of `pool` as item `index`: its stored unit, nil when cancelled
    /// (shutdown: `stop` is raised and the unit runs again later), a unit with the error that
    /// fails the search when it cannot run.
    static func execute(
        index: Int,
        requestID: String,
        pool: WorkerPool,
        _ work: @escaping @Sendable (CancellationFlag) throws -> StoredUnit
    ) async -> JobItemOutcome? {
        let started = ContinuousClock.now
        let stop = CancellationFlag()
        let job: @Sendable () -> Outcome = {
            do {
                return Outcome(unit: try work(stop))
            } catch is CancellationError {
                return Outcome(unit: nil)
            } catch {
                return Outcome(unit: StoredUnit(error: Problem(error, requestID: requestID)))
            }
        }
        var unit: StoredUnit
        do {
            let outcome = try await withTaskCancellationHandler {
                try await pool.run(admission: .always, measured: false, job)
            } onCancel: {
                stop.raise()
            }
            guard let finished = outcome.unit else { return nil }
            unit = finished
        } catch is CancellationError {
            return nil
        } catch {
            unit = StoredUnit(error: Problem(error, requestID: requestID))
        }
        unit.seconds = (ContinuousClock.now - started).seconds
        let bytes = (try? JSONCoding.encoder.encode(unit)).map { Array($0) } ?? []
        return JobItemOutcome(index: index, bytes: bytes, failsJob: unit.error != nil)
    }

    /// The combinations `range` of `plan` run: their heatmap rows, top and first candidates.
    static func run<Target>(_ optimizer: Optimizer<Target>, plan: Optimizer<Target>.Plan, range: Range<Int>) throws -> StoredUnit {
        let chunk = try optimizer.evaluate(plan, range: range)
        let csv = HeatmapCSV(parameters: optimizer.space.axes.map(\.name), statistics: optimizer.configuration.statistics.map(\.name))
        var unit = StoredUnit(
            start: range.lowerBound,
            count: range.count,
            rows: csv.lines(chunk.rows),
            top: chunk.top.map { StoredCandidate(sequence: $0.sequence, stats: $0.statistics) },
            first: chunk.first.map { StoredCandidate(sequence: $0.sequence, stats: $0.statistics) },
            withoutTrades: chunk.withoutTrades
        )
        unit.belowMinTrades = chunk.belowMinTrades
        unit.trials = chunk.trials
        return unit
    }

    /// One search's result from its units `indices` (in plan order); its `trials` only when
    /// every unit stored them.
    static func result<Target>(
        _ optimizer: Optimizer<Target>,
        plan: Optimizer<Target>.Plan,
        units: [Int: StoredUnit],
        indices: some Sequence<Int>,
        seconds: Double,
        name: String
    ) throws -> OptimizationResult {
        var merger = OptimizationMerger(configuration: optimizer.configuration)
        for (r, index) in indices.enumerated() {
            guard let unit = units[index] else { throw Problem(code: .internal, detail: "unit \(r) of \(name) is missing") }
            var chunk = OptimizationChunk(range: unit.start..<(unit.start + unit.count))
            chunk.top = unit.top.map { optimizer.candidate(plan, sequence: $0.sequence, statistics: $0.stats) }
            chunk.first = unit.first.map { optimizer.candidate(plan, sequence: $0.sequence, statistics: $0.stats) }
            chunk.withoutTrades = unit.withoutTrades
            chunk.belowMinTrades = unit.belowMinTrades ?? 0
            chunk.trials = unit.trials
            merger.add(chunk)
        }
        do {
            return try merger.result(plan: plan, combinations: optimizer.space.count, seconds: seconds)
        } catch {
            throw Problem(error)
        }
    }

    /// The robustness block of `result` (``Optimizer/robustness(of:plan:cache:)``): nil when the
    /// units kept no block statistics (older units, a search over too many combinations).
    static func robustness<Target>(
        _ optimizer: Optimizer<Target>,
        plan: Optimizer<Target>.Plan,
        result: OptimizationResult
    ) throws -> RobustnessSummary? {
        do {
            return try optimizer.robustness(of: result, plan: plan)
        } catch {
            throw Problem(error)
        }
    }

    /// The objective over the parameters, from the units' heatmap rows (the search page's grid).
    static func grid<Target>(_ optimizer: Optimizer<Target>, plan: Optimizer<Target>.Plan, units: [Int: StoredUnit]) -> ObjectiveGrid {
        var grid = ObjectiveGrid(axes: optimizer.space.axes, objective: optimizer.configuration.objective, column: optimizer.objectiveColumn)
        for index in units.keys.sorted() {
            guard let unit = units[index] else { continue }
            grid.add(rows(unit, parameterCount: optimizer.space.axes.count, search: optimizer, plan: plan))
        }
        return grid
    }

    /// A unit's heatmap rows read back from its CSV lines.
    static func rows<Target>(_ unit: StoredUnit, parameterCount: Int, search: Optimizer<Target>, plan: Optimizer<Target>.Plan) -> [HeatmapRow] {
        var rows: [HeatmapRow] = []
        rows.reserveCapacity(unit.count)
        for (offset, line) in unit.rows.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let sequence = unit.start + offset
            guard plan.order.indices.contains(sequence) else { break }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).dropFirst(parameterCount)
            rows.append(
                HeatmapRow(
                    sequence: sequence,
                    values: search.space.values(at: plan.order[sequence]),
                    statistics: cells.map { Double($0) ?? .nan }
                )
            )
        }
        return rows
    }
}
