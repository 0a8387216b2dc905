import ArgumentParser
import BacktestAPI
import BacktestClient
import BacktestEngine

extension BatchCommand {
    /// What `backtest batch` was asked, as a plain value (``FastCommandLine`` builds it without
    /// ArgumentParser); runs the batch on a server and prints the summary.
    struct Settings: Equatable, Sendable {
        /// The tickers, dates and engine flags.
        var input = TickerBatchSettings()
        /// `--workers`: requests in flight at once (default: the server's workers).
        var workers: Int?
        /// Which server(s), how to talk to them.
        var remote = RemoteSettings()
        /// `--format` (default table).
        var format = Format.table
        /// `--sort`.
        var sort: SortKey?
        /// `--html FILE`.
        var html: String?

        /// The first value out of range, in the words of a usage error; `nil` when all are good.
        var problem: String? {
            guard !input.tickers.isEmpty else { return "give at least one ticker, e.g. `backtest batch AAPL MSFT`" }
            if let workers, workers < 1 { return "--workers must be at least 1" }
            return nil
        }

        /// Runs the batch on the server (or an embedded one) and prints the summary; exit
        /// status 1 when an item failed.
        func run() async throws {
            var requests = try input.requests()
            if html != nil {
                // The page draws each equity curve.
                for i in requests.indices where !(requests[i].include ?? []).contains("equity") {
                    requests[i].include = (requests[i].include ?? []) + ["equity"]
                }
            }
            let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
            let clock = ContinuousClock()
            let started = clock.now
            let outcome: (results: [BatchResult], endpoints: [Endpoint], connections: Int)
            do {
                outcome = try await remote.withClient(embeddedFallback: true) { client in
                    let results = await client.runBatch(requests, maxConcurrency: workers) { reporter.report($0) }
                    let batch = zip(requests.indices, results).map { BatchResult(index: $0, request: requests[$0], result: $1) }
                    if let html { try await BatchCommand.writeHTML(batch, to: html, client: client) }
                    return (batch, await client.endpoints, client.connectionsOpened)
                }
            } catch let failure as RemoteCommandFailure {
                reporter.finish()
                Terminal.stderr("\(failure)\n")
                throw ExitCode(1)
            }
            reporter.finish()
            // Every item failed for one reason that is not the items' (a refused certificate, a
            // bad key): say it once.
            let errors = outcome.results.compactMap { if case .failure(let error) = $0.result { error } else { nil } }
            if let first = errors.first, errors.count == outcome.results.count, first.failsEveryRequest,
                errors.allSatisfy({ $0.code == first.code })
            {
                Terminal.stderr("error: \(first.message)\n")
                throw ExitCode(1)
            }
            let elapsed = (clock.now - started).seconds
            let summary = BatchSummary(results: outcome.results, sort: sort)
            switch format {
            case .json: Terminal.stdout(try summary.json())
            case .csv: Terminal.stdout(summary.csv())
            case .table:
                Terminal.stdout(summary.table())
                Terminal.stdout(summary.totals(elapsed: elapsed, endpoints: outcome.endpoints, connections: outcome.connections))
            }
            if summary.failed > 0 {
                if format != .table { Terminal.stderr(summary.failures()) }
                throw ExitCode(1)
            }
        }
    }
}
