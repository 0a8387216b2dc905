import BacktestAPI
import BacktestEngine
import BacktestOptimize
import Foundation

extension SearchUnits {
    /// Fold `index` of a walk-forward analysis as a stored unit: the search on its training
    /// window (all of it, on this worker), then the winner on its test window. Once `stop` is
    /// raised it throws `CancellationError` before its next chunk of
    /// ``OptimizationJob/maxChunkSize`` combinations.
    static func fold<Target: WalkForwardTarget>(
        _ optimizer: Optimizer<Target>,
        folds: [WalkForwardSpec.Windows],
        index: Int,
        stop: CancellationFlag
    ) throws -> StoredUnit {
        guard folds.indices.contains(index) else { throw Problem(code: .invalidField, detail: "no fold \(index)") }
        let training = try optimizer.trainingSearch(folds[index])
        let plan = try training.plan()
        var merger = OptimizationMerger(configuration: training.configuration)
        for start in stride(from: 0, to: plan.order.count, by: OptimizationJob.maxChunkSize) {
            try stop.check()
            merger.add(try training.evaluate(plan, range: start..<min(plan.order.count, start + OptimizationJob.maxChunkSize)))
        }
        let best = try merger.result(plan: plan, combinations: training.space.count, seconds: 0).best
        let tested = try optimizer.outOfSample(best.parameters, windows: folds[index])
        var unit = StoredUnit(start: index, count: 1)
        unit.best = StoredFold(params: ParameterList(best.parameters), stats: best.statistics, outOfSample: tested.statistics)
        return unit
    }

    /// The walk-forward report: each fold's stored winner, and the stitched out-of-sample
    /// run (each winner run again on its test window: one backtest per fold) with its dates
    /// for the page.
    static func walkForward<Target: WalkForwardTarget>(
        _ optimizer: Optimizer<Target>,
        units: [Int: StoredUnit],
        spec: WalkForwardSpec,
        folds: [WalkForwardSpec.Windows]
    ) throws -> SearchAssembly {
        var results: [WalkForwardFold] = []
        var tested: [Target.TestRun] = []
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
            let timestamps = optimizer.target.timestamps
            let times = folds.flatMap { $0.test.map { timestamps[$0] } }
            return SearchAssembly(report: report, stitched: (times, equity))
        } catch {
            throw Problem(error)
        }
    }
}
