import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import Foundation

extension OptimizeCommand {
    /// `--walk-forward`: the search on each training window, its winner on the next test
    /// window, and the stitched out-of-sample result.
    func runWalkForward(_ optimizer: Optimizer<BuiltinTarget>, spec text: String, source: String) async throws {
        let spec: WalkForwardSpec
        do {
            spec = try WalkForwardSpec(parsing: text)
            _ = try spec.folds(barCount: optimizer.target.barCount)
            _ = try optimizer.plan()
        } catch {
            throw CLIError(message: error.message)
        }
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let result: WalkForwardResult
        do {
            result = try await optimizer.walkForward(spec) {
                reporter.report(BatchProgress(done: $0.done, total: $0.total, failed: 0, elapsed: $0.elapsed))
            }
        } catch let error as OptimizeError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        } catch let error as BacktestError {
            reporter.finish()
            throw CLIError(message: error.message, exitCode: 1)
        }
        reporter.finish()
        let report = OptimizationReport(walkForward: result, optimizer: optimizer, spec: spec)
        Terminal.stdout(try report.render(format, source: source, bars: optimizer.target.barCount, strategy: engine.strategy ?? ""))
    }
}
