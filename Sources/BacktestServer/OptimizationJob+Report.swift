import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation

extension OptimizationJob {
    /// The report, and with `pictures` the page's grid or stitched equity.
    func assemble(_ units: [Int: StoredUnit], pictures: Bool) throws -> SearchAssembly {
        guard units.count == itemCount else {
            throw Problem(code: .internal, detail: "the search has \(units.count) of its \(itemCount) units stored")
        }
        if let walkForward, let folds { return try walkForwardReport(units, spec: walkForward, folds: folds) }
        let report = try searchReport(units)
        guard pictures, searches.count == 1 else { return SearchAssembly(report: report) }
        return SearchAssembly(report: report, grid: SearchUnits.grid(searches[0].optimizer, plan: plan, units: units))
    }

    private func searchReport(_ units: [Int: StoredUnit]) throws -> OptimizationReport {
        let seconds = units.values.reduce(0) { $0 + $1.seconds }
        var results: [(ticker: String, result: OptimizationResult)] = []
        for (t, search) in searches.enumerated() {
            let indices = ranges.indices.map { t * ranges.count + $0 }
            let result = try SearchUnits.result(search.optimizer, plan: plan, units: units, indices: indices, seconds: seconds, name: search.ticker)
            results.append((search.ticker, result))
        }
        let first = searches[0].optimizer
        guard searches.count > 1 else {
            var report = OptimizationReport(result: results[0].result, optimizer: first)
            report.robustness = try SearchUnits.robustness(first, plan: plan, result: results[0].result)
            return report
        }
        var ranking = ObjectiveRanking(count: plan.order.count, objective: first.configuration.objective, column: first.objectiveColumn)
        let parameterCount = first.space.axes.count
        for index in units.keys.sorted() {
            guard let unit = units[index] else { continue }
            ranking.add(SearchUnits.rows(unit, parameterCount: parameterCount, search: first, plan: plan))
        }
        var report = OptimizationReport(
            tickers: results,
            ranking: ranking.ranked(names: first.space.axes.map(\.name), top: first.configuration.topCount),
            optimizer: first
        )
        report.noteCoverage(searches.map(\.optimizer.target.coverage))
        return report
    }

    /// The walk-forward report: each fold's stored winner, and the stitched out-of-sample
    /// run (each winner run again on its test window: one backtest per fold).
    private func walkForwardReport(_ units: [Int: StoredUnit], spec: WalkForwardSpec, folds: [WalkForwardSpec.Windows]) throws -> SearchAssembly {
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
            return SearchAssembly(report: report, stitched: (times, equity))
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
