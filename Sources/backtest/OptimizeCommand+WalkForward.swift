import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import BacktestReport
import Foundation

extension OptimizeCommand {
    /// `--walk-forward`: the search on each training window, its winner on the next test
    /// window, and the stitched out-of-sample result.
    func runWalkForward(_ optimizer: Optimizer<StrategyTarget>, spec text: String, source: String) async throws {
        let spec: WalkForwardSpec
        do {
            spec = try WalkForwardSpec(parsing: text)
            _ = try spec.folds(barCount: optimizer.target.barCount)
            _ = try optimizer.plan()
        } catch {
            throw CLIError(message: error.message)
        }
        let result = try await Self.walkForward(optimizer, spec: spec)
        let report = OptimizationReport(walkForward: result, optimizer: optimizer, spec: spec)
        if let html {
            let bars = optimizer.target.bars
            let times = result.folds.flatMap { $0.windows.test.map { bars.timestamps[$0] } }
            let page = OptimizationPage(title: pageTitle(source), subtitle: pageSubtitle(optimizer), report: report, stitched: (times, result.equity))
            try BatchCommand.write(try page.html(), to: html)
        }
        Terminal.stdout(try report.render(format, source: source, bars: optimizer.target.barCount, strategy: engine.strategy ?? ""))
    }

    /// Runs the analysis of `spec` (checked already) with a progress line on stderr; a
    /// failure while it runs is exit 1.
    static func walkForward<Target: WalkForwardTarget>(_ optimizer: Optimizer<Target>, spec: WalkForwardSpec) async throws -> WalkForwardResult {
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        do {
            let result = try await optimizer.walkForward(spec) {
                reporter.report(BatchProgress(done: $0.done, total: $0.total, failed: 0, elapsed: $0.elapsed))
            }
            reporter.finish()
            return result
        } catch let error as OptimizeError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        } catch let error as BacktestError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        }
    }
}
