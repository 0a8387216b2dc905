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

    /// The walk-forward report (``SearchUnits/walkForward(_:units:spec:folds:)``).
    private func walkForwardReport(_ units: [Int: StoredUnit], spec: WalkForwardSpec, folds: [WalkForwardSpec.Windows]) throws -> SearchAssembly {
        try SearchUnits.walkForward(searches[0].optimizer, units: units, spec: spec, folds: folds)
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
