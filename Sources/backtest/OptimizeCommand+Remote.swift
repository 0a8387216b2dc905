import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestOptimize
import Foundation

extension OptimizeCommand {
    /// `--ticker …` without `--local`: the search runs on the server (resolved like `batch`;
    /// with none found, an embedded one on the bundled data), as `POST /v1/optimizations`,
    /// with live progress; `--heatmap` downloads the server's CSV.
    func runRemote() async throws {
        try await runRemote(try searchRequest(), source: tickers.joined(separator: ","), strategy: engine.strategy ?? "")
    }

    /// Runs `request` on the server and prints its report as `source` (the table's first
    /// line) searched with `strategy` (the statistics' `_strategy` row).
    func runRemote(_ request: OptimizationRequest, source: String, strategy: String) async throws {
        if let objective = try? request.searchObjective() { Self.noteDrawdown(objective) }
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let started = ContinuousClock.now
        let outcome: (id: String, status: OptimizationStatus, heatmap: String?)
        do {
            outcome = try await remote.withClient(embeddedFallback: true) { client in
                let (id, status) = try await client.optimize(request) { p in
                    reporter.report(BatchProgress(done: p.done, total: p.total, failed: 0, elapsed: (ContinuousClock.now - started).seconds))
                }
                let heatmap = heatmap != nil && status.status == .done ? try await client.optimizationHeatmap(id) : nil
                if let html, status.status == .done { try BatchCommand.write(try await client.optimizationReport(id), to: html) }
                return (id, status, heatmap)
            }
        } catch let failure as RemoteCommandFailure {
            reporter.finish()
            // The server refused the search itself (a bad grid, statistic, …): bad input, exit 2.
            if let status = failure.error.status, (400..<500).contains(status), status != 401, status != 429 {
                throw CLIError(message: failure.error.message)
            }
            throw failure
        }
        reporter.finish()
        if let path = heatmap, let text = outcome.heatmap {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw CLIError(message: "--heatmap: cannot write \(path)")
            }
        }
        let status = outcome.status
        switch status.status {
        case .done:
            guard let report = status.result else { throw CLIError(message: "the server's reply has no result", exitCode: 1) }
            var text = try report.render(format, source: source, bars: nil, strategy: strategy)
            // The server's robustness block (one ticker or a portfolio), as a local search prints it.
            if format == .table, let robustness = report.robustness { text += "\n" + robustness.searchTable() }
            Terminal.stdout(text)
        default:
            let why = status.error.map { ": \($0.detail)" } ?? ""
            throw CLIError(message: "optimization \(outcome.id) \(status.status.rawValue)\(why)", exitCode: 1)
        }
    }
}
