import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestResearch
import Foundation
import MarketData

extension BenchCommand {
    /// Times CSCV with S = 16 (12,870 splits) over 10,000 synthetic trials of 512 periods
    /// (the time does not depend on the periods: CSCV reads only the block statistics), 3 runs
    /// after a warm-up, on all cores; the building of the block statistics (once); then the
    /// overhead of the robustness block on a 10,000-combination search.
    func benchmarkRobustness() async throws {
        let trials = 10_000
        let periods = 512
        let clock = ContinuousClock()
        let columns = SyntheticReturns.columns(periods: periods, trials: trials, seed: 22)
        var statistics: TrialBlockStatistics
        let buildStart = clock.now
        do {
            statistics = TrialBlockStatistics(layout: try BlockLayout(periods: periods, blocks: 16))
            for column in columns { try statistics.append(returns: column) }
        } catch {
            throw CLIError(message: error.message, exitCode: 1)
        }
        let build = (clock.now - buildStart).seconds
        var samples: [Double] = []
        var pbo = 0.0
        for run in 0...3 {
            let start = clock.now
            let estimate: OverfittingEstimate
            do {
                estimate = try OverfittingEstimate(statistics)
            } catch {
                throw CLIError(message: error.message, exitCode: 1)
            }
            if run > 0 { samples.append((clock.now - start).seconds) }
            pbo = estimate.pbo
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let name = "robustness CSCV S=16 (12870 splits) over \(trials) trials"
        if json {
            let figure = Figure(
                name: name,
                bars: periods,
                runs: samples.count,
                medianS: median,
                barsPerS: 0,
                combinations: 12_870,
                backtestsPerS: nil
            )
            Terminal.stdout(try ReportJSON.encode(figure) + "\n")
        } else {
            Terminal.stdout(
                String(
                    format: "%@  %d runs  median %.3f s  (PBO %.3f; block statistics of %d x %d returns built in %.3f s)\n",
                    name,
                    samples.count,
                    median,
                    pbo,
                    periods,
                    trials,
                    build
                )
            )
        }
        try await benchmarkSearchOverhead()
    }

    /// Times the 10,000-combination grid of `--optimize` (sma_cross on GOOG, fast 1..100 ×
    /// slow 101..200, maximise SQN) without and with the robustness block (block statistics in
    /// every unit of work, then CSCV with S = 16, the winner's rerun and its bootstrap), 3 runs
    /// each after a warm-up; prints both medians and the overhead.
    func benchmarkSearchOverhead() async throws {
        guard let goog = BundledData.benchmarkFile("GOOG.csv") else {
            throw CLIError(message: "benchmark fixtures are missing from the installation", exitCode: 1)
        }
        let bars = try CSVBarsParser.load(path: goog.path)
        var request = BacktestRequest(strategy: "sma_cross")
        request.commission = Commission(relative: 0.002)
        let target = try StrategyTarget(bars: bars, request: request)
        let space = try SearchSpace(
            axes: [try ParameterAxis(parsing: "fast=1..100:1"), try ParameterAxis(parsing: "slow=101..200:1")],
            constraint: nil
        )
        var medians: [Double] = []
        for robust in [false, true] {
            var configuration = Optimizer<StrategyTarget>.Configuration(objective: try Objective(maximize: "sqn"), topCount: 10)
            configuration.robustnessBlocks = robust ? BlockLayout.defaultBlocks : nil
            let optimizer = Optimizer(space: space, target: target, configuration: configuration)
            let plan = try optimizer.plan()
            var samples: [Double] = []
            for run in 0...3 {
                let clock = ContinuousClock()
                let start = clock.now
                let result = try await optimizer.run(plan)
                if robust { _ = try optimizer.robustness(of: result, plan: plan) }
                if run > 0 { samples.append((clock.now - start).seconds) }
            }
            samples.sort()
            medians.append(samples[samples.count / 2])
        }
        Terminal.stdout(
            String(
                format: "optimize sma_cross GOOG 10,000 combinations  without robustness %.3f s  with %.3f s  overhead %.0f %%\n",
                medians[0],
                medians[1],
                (medians[1] / medians[0] - 1) * 100
            )
        )
    }
}
