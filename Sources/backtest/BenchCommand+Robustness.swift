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
    /// every unit of work, then CSCV with the S the search chooses, the reruns of the best and
    /// the winner, the bootstrap). The two alternate, 15 runs each after a warm-up of both, so
    /// that a drift of the machine's speed touches both alike; prints both medians of wall time
    /// and of the process's CPU time (user + system: steadier when other work shares the cores),
    /// the overheads, and the quartiles of the CPU overhead round by round (each robust search
    /// against the plain one just before it: how far one round strays).
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
        var configuration = Optimizer<StrategyTarget>.Configuration(objective: try Objective(maximize: "sqn"), topCount: 10)
        let plain = Optimizer(space: space, target: target, configuration: configuration)
        configuration.robustnessBlocks = .automatic
        let robust = Optimizer(space: space, target: target, configuration: configuration)
        let plan = try plain.plan()
        var wall: [[Double]] = [[], []]
        var cpu: [[Double]] = [[], []]
        var blocks = 0
        var robustResult: OptimizationResult?
        for run in 0...15 {
            for (k, optimizer) in [plain, robust].enumerated() {
                let clock = ContinuousClock()
                let start = clock.now
                let cpuStart = Self.processCPUSeconds()
                let result = try await optimizer.run(plan)
                if k == 1 {
                    blocks = try optimizer.robustness(of: result, plan: plan)?.blocks ?? 0
                    robustResult = result
                }
                guard run > 0 else { continue }
                wall[k].append((clock.now - start).seconds)
                cpu[k].append(Self.processCPUSeconds() - cpuStart)
            }
        }
        let median = ClientBenchmark.median
        let (w0, w1, c0, c1) = (median(wall[0]), median(wall[1]), median(cpu[0]), median(cpu[1]))
        let rounds = zip(cpu[0], cpu[1]).map { ($1 / $0 - 1) * 100 }.sorted()
        Terminal.stdout(
            String(
                format: "optimize sma_cross GOOG 10,000 combinations  without robustness %.3f s (%.3f CPU-s)  with (S = %d) %.3f s (%.3f CPU-s)"
                    + "  overhead %.1f %% wall, %.1f %% CPU (round by round: quartiles %.1f to %.1f %% CPU)\n",
                w0,
                c0,
                blocks,
                w1,
                c1,
                (w1 / w0 - 1) * 100,
                (c1 / c0 - 1) * 100,
                rounds[rounds.count / 4],
                rounds[rounds.count * 3 / 4]
            )
        )
        if let robustResult { try benchmarkRobustnessParts(robust, result: robustResult, plan: plan) }
    }

    /// Where the robustness block's time goes, on a finished search: the pass that reads a
    /// trial's equity curve into the block statistics (32 of the search's curves, spread over
    /// its plan, in turn, as many times as the search has trials, on one thread: the search
    /// spreads it over its workers), CSCV over the search's block statistics, and the whole
    /// block after the search (CSCV, the reruns of the best and the winner, PSR and DSR, the
    /// bootstrap). Medians of 3 (and the block's mean CPU time, every thread). The curves differ
    /// in where they are flat, as a search's do: one curve read again and again lets the CPU
    /// learn its pattern of flat groups (0.32 against 0.37 ns a return on this VM).
    func benchmarkRobustnessParts(_ optimizer: Optimizer<StrategyTarget>, result: OptimizationResult, plan: Optimizer<StrategyTarget>.Plan) throws {
        guard let trials = result.trials else { return }
        var curves: [[Double]] = []
        for k in 0..<32 {
            let parameters = optimizer.space.parameters(at: plan.order[k * plan.order.count / 32])
            guard let curve = try optimizer.target.runTrial(parameters, cache: nil)?.equity else { return }
            curves.append(curve)
        }
        let clock = ContinuousClock()
        func median(_ body: () throws -> Void) rethrows -> Double {
            var samples: [Double] = []
            for _ in 0..<3 {
                let start = clock.now
                try body()
                samples.append((clock.now - start).seconds)
            }
            return ClientBenchmark.median(samples)
        }
        let pass = try median {
            var statistics = TrialBlockStatistics(layout: trials.layout)
            statistics.reserveCapacity(trials: trials.trialCount)
            for k in 0..<trials.trialCount { try statistics.append(equity: curves[k % curves.count]) }
        }
        let cscv = try median { _ = try OverfittingEstimate(trials) }
        let blockCPUStart = Self.processCPUSeconds()
        let block = try median { _ = try optimizer.robustness(of: result, plan: plan) }
        let blockCPU = (Self.processCPUSeconds() - blockCPUStart) / 3
        let returns = Double(trials.trialCount * trials.layout.periods)
        Terminal.stdout(
            String(
                format: "  of which: block statistics %.2f ns a return (%.1f ms for %d curves of %d returns, 32 of the search's in turn, one thread);"
                    + " after the search %.2f ms (%.2f ms CPU), CSCV (S = %d) %.2f ms of it\n",
                pass / returns * 1e9,
                pass * 1e3,
                trials.trialCount,
                trials.layout.periods,
                block * 1e3,
                blockCPU * 1e3,
                trials.layout.blocks,
                cscv * 1e3
            )
        )
    }

    /// CPU seconds of this process so far, every thread (C's `clock()`).
    static func processCPUSeconds() -> Double {
        Double(clock()) / Double(CLOCKS_PER_SEC)
    }
}
