import BacktestResearch
import Foundation

extension BenchCommand {
    /// Times CSCV with S = 16 (12,870 splits) over 10,000 synthetic trials of 512 periods
    /// (the time does not depend on the periods: CSCV reads only the block statistics), 3 runs
    /// after a warm-up, on all cores; and the building of the block statistics (once).
    func benchmarkRobustness() throws {
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
    }
}
