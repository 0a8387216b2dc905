import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation

extension OptimizationJob {
    /// The units read back from `job_items`, by index.
    static func units(_ items: [(index: Int, bytes: [UInt8])]) -> [Int: StoredUnit] {
        var units: [Int: StoredUnit] = [:]
        for item in items {
            if let unit = try? JSONCoding.decoder.decode(StoredUnit.self, from: Data(item.bytes)) { units[item.index] = unit }
        }
        return units
    }

    /// The search's report from its finished units (all of them: call it once the job is done).
    ///
    /// - Throws: ``Problem`` when a unit is missing or unreadable (500).
    func report(_ units: [Int: StoredUnit]) throws -> OptimizationReport {
        try assemble(units, pictures: false).report
    }

    /// A search's report and what its page draws: the objective over the parameters (one
    /// ticker) or the stitched out-of-sample equity (walk-forward).
    struct Assembly {
        var report: OptimizationReport
        var grid: ObjectiveGrid?
        var stitched: (time: [Int64], equity: [Double])?
    }

    /// The report, and with `pictures` the page's grid or stitched equity.
    func assemble(_ units: [Int: StoredUnit], pictures: Bool) throws -> Assembly {
        guard units.count == itemCount else {
            throw Problem(code: .internal, detail: "the search has \(units.count) of its \(itemCount) units stored")
        }
        if let walkForward, let folds { return try walkForwardReport(units, spec: walkForward, folds: folds) }
        let report = try searchReport(units)
        guard pictures, searches.count == 1 else { return Assembly(report: report) }
        let optimizer = searches[0].optimizer
        var grid = ObjectiveGrid(axes: optimizer.space.axes, objective: optimizer.configuration.objective, column: optimizer.objectiveColumn)
        for index in units.keys.sorted() {
            guard let unit = units[index] else { continue }
            grid.add(Self.rows(unit, parameterCount: optimizer.space.axes.count, search: optimizer, plan: plan))
        }
        return Assembly(report: report, grid: grid)
    }

    private func searchReport(_ units: [Int: StoredUnit]) throws -> OptimizationReport {
        let seconds = units.values.reduce(0) { $0 + $1.seconds }
        var results: [(ticker: String, result: OptimizationResult)] = []
        for (t, search) in searches.enumerated() {
            var merger = OptimizationMerger(configuration: search.optimizer.configuration)
            for r in ranges.indices {
                guard let unit = units[t * ranges.count + r] else {
                    throw Problem(code: .internal, detail: "unit \(r) of \(search.ticker) is missing")
                }
                var chunk = OptimizationChunk(range: unit.start..<(unit.start + unit.count))
                chunk.top = unit.top.map { search.optimizer.candidate(plan, sequence: $0.sequence, statistics: $0.stats) }
                chunk.first = unit.first.map { search.optimizer.candidate(plan, sequence: $0.sequence, statistics: $0.stats) }
                chunk.withoutTrades = unit.withoutTrades
                chunk.belowMinTrades = unit.belowMinTrades ?? 0
                merger.add(chunk)
            }
            do {
                results.append((search.ticker, try merger.result(plan: plan, combinations: search.optimizer.space.count, seconds: seconds)))
            } catch {
                throw Problem(error)
            }
        }
        let first = searches[0].optimizer
        guard searches.count > 1 else { return OptimizationReport(result: results[0].result, optimizer: first) }
        var ranking = ObjectiveRanking(count: plan.order.count, objective: first.configuration.objective, column: first.objectiveColumn)
        let parameterCount = first.space.axes.count
        for index in units.keys.sorted() {
            guard let unit = units[index] else { continue }
            ranking.add(Self.rows(unit, parameterCount: parameterCount, search: first, plan: plan))
        }
        return OptimizationReport(
            tickers: results,
            ranking: ranking.ranked(names: first.space.axes.map(\.name), top: first.configuration.topCount),
            optimizer: first
        )
    }

    /// A unit's heatmap rows read back from its CSV lines.
    static func rows(_ unit: StoredUnit, parameterCount: Int, search: Optimizer<StrategyTarget>, plan: Optimizer<StrategyTarget>.Plan) -> [HeatmapRow]
    {
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

    /// The walk-forward report: each fold's stored winner, and the stitched out-of-sample
    /// run (each winner run again on its test window: one backtest per fold).
    private func walkForwardReport(_ units: [Int: StoredUnit], spec: WalkForwardSpec, folds: [WalkForwardSpec.Windows]) throws -> Assembly {
        let optimizer = searches[0].optimizer
        var results: [WalkForwardFold] = []
        var tested: [BacktestResult] = []
        for (k, windows) in folds.enumerated() {
            guard let fold = units[k]?.best else { throw Problem(code: .internal, detail: "fold \(k + 1) is missing") }
            let parameters = fold.params.items.map { (name: $0.name, value: $0.value) }
            let best = Candidate(
                sequence: 0,
                parameters: parameters,
                objective: optimizer.configuration.objective.value(of: fold.stats),
                statistics: fold.stats
            )
            results.append(WalkForwardFold(windows: windows, best: best, outOfSample: fold.outOfSample))
            do {
                tested.append(try optimizer.outOfSample(parameters, windows: windows))
            } catch {
                throw Problem(error)
            }
        }
        do {
            let (equity, statistics) = try optimizer.stitch(tested, folds: folds)
            let report = OptimizationReport(
                walkForward: WalkForwardResult(folds: results, equity: equity, statistics: statistics),
                optimizer: optimizer,
                spec: spec
            )
            let times = folds.flatMap { $0.test.map { optimizer.target.bars.timestamps[$0] } }
            return Assembly(report: report, stitched: (times, equity))
        } catch {
            throw Problem(error)
        }
    }

    /// The heatmap as CSV: every combination in run order (a `ticker` column first when the
    /// search has several).
    ///
    /// - Throws: ``Problem`` `not_found` for a walk-forward analysis (it has no heatmap).
    func heatmap(_ units: [Int: StoredUnit]) throws -> String {
        guard folds == nil else {
            throw Problem(code: .notFound, detail: "a walk-forward analysis has no heatmap (GET the optimization for its folds)")
        }
        let optimizer = searches[0].optimizer
        let csv = HeatmapCSV(parameters: optimizer.space.axes.map(\.name), statistics: optimizer.configuration.statistics.map(\.name))
        let several = searches.count > 1
        var out = several ? "ticker," + csv.header : csv.header
        for (t, search) in searches.enumerated() {
            for r in ranges.indices {
                guard let unit = units[t * ranges.count + r] else { continue }
                if several {
                    for line in unit.rows.split(separator: "\n") { out += "\(search.ticker),\(line)\n" }
                } else {
                    out += unit.rows
                }
            }
        }
        return out
    }
}
