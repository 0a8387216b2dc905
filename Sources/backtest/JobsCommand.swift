import ArgumentParser
import BacktestAPI
import BacktestClient
import Foundation

/// `backtest jobs`: the asynchronous job API.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Submit, inspect, follow, cancel and delete asynchronous batch and portfolio jobs on a server.",
        subcommands: [Submit.self, Status.self, Watch.self, Cancel.self, Delete.self]
    )

    /// `backtest jobs submit TICKER…` or `backtest jobs submit --portfolios FILE`: prints the job id.
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit",
            abstract: "Submit tickers (or --portfolios FILE) as a job; prints the job id (and follows it with --watch)."
        )

        @OptionGroup var input: TickerBatchOptions
        @OptionGroup var remote: RemoteOptions

        @Option(
            help: ArgumentHelp(
                "Submit portfolios instead of tickers: a JSON list of POST /v1/portfolios bodies, or {\"portfolios\": [...]}.",
                valueName: "file"
            )
        )
        var portfolios: String?

        @Flag(help: "Follow the job until it ends, like `jobs watch`.")
        var watch = false

        func validate() throws {
            if portfolios != nil {
                if let given = JobsCommand.tickerFormFlag(input) {
                    throw ValidationError("--portfolios gives each portfolio's tickers, dates and settings; drop the \(given)")
                }
            } else {
                guard !input.tickers.isEmpty else { throw ValidationError("give at least one ticker (or --portfolios FILE)") }
            }
        }

        func run() async throws {
            if let portfolios { return try await submit(try JobsCommand.portfolioRequests(file: portfolios)) }
            let requests = try input.requests()
            try await remote.withClient(embeddedFallback: false) { client in
                let created = try await JobsCommand.checked { () async throws(BacktestClientError) in try await client.submitJob(requests) }
                Terminal.stdout(created.id + "\n")
                if watch { try await JobsCommand.follow(created.id, client: client) }
            }
        }

        /// Submits the portfolios as one job; prints its id, then follows it with --watch.
        private func submit(_ portfolios: [PortfolioRequest]) async throws {
            try await remote.withClient(embeddedFallback: false) { client in
                let created = try await JobsCommand.checked { () async throws(BacktestClientError) in
                    try await client.submitPortfolioJob(portfolios)
                }
                Terminal.stdout(created.id + "\n")
                if watch { try await JobsCommand.followPortfolios(created.id, client: client) }
            }
        }
    }

    /// `backtest jobs status ID`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show a job's state and progress (--json: the full status with results)."
        )

        @Argument(help: "The job id.")
        var id: String

        @OptionGroup var remote: RemoteOptions

        @Flag(help: "Print the status reply as JSON.")
        var json = false

        func run() async throws {
            let any = try await remote.withClient(embeddedFallback: false) { client in
                try await JobsCommand.checked { () async throws(BacktestClientError) in try await JobsCommand.anyStatus(id, client: client) }
            }
            guard case .batch(let status) = any else {
                if case .portfolios(let status) = any {
                    Terminal.stdout(json ? JobsCommand.json(status) : JobsCommand.table(status))
                    if status.status == .failed { throw ExitCode(1) }
                }
                return
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                Terminal.stdout(String(decoding: try encoder.encode(status), as: UTF8.self) + "\n")
            } else {
                Terminal.stdout("\(status.id)  \(status.status.rawValue)  \(status.progress.done)/\(status.progress.total)\n")
                if let results = status.results {
                    Terminal.stdout(BatchSummary(results: JobsCommand.batchResults(results), sort: nil).table())
                }
            }
            if status.status == .failed { throw ExitCode(1) }
        }
    }

    /// `backtest jobs watch ID`.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch",
            abstract: "Follow a job's event stream with a progress bar, then print its summary."
        )

        @Argument(help: "The job id.")
        var id: String

        @OptionGroup var remote: RemoteOptions

        func run() async throws {
            try await remote.withClient(embeddedFallback: false) { client in
                try await JobsCommand.follow(id, client: client)
            }
        }
    }

    /// `backtest jobs cancel ID`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job and keep its record; finished items are kept.")

        @Argument(help: "The job id.")
        var id: String

        @OptionGroup var remote: RemoteOptions

        func run() async throws {
            let line = try await remote.withClient(embeddedFallback: false) { client in
                try await JobsCommand.checked { () async throws(BacktestClientError) -> String? in
                    if let status = try await client.cancelJob(id) {
                        return "\(status.id)  \(status.status.rawValue)  \(status.progress.done)/\(status.progress.total)"
                    }
                    // Not a batch's status: a portfolio job's (cancelling again returns it unchanged).
                    guard let status = try? await client.cancelPortfolioJob(id) else { return nil }
                    return "\(status.id)  \(status.status.rawValue)  \(status.progress.done)/\(status.progress.total)"
                }
            }
            Terminal.stdout((line ?? "\(id)  cancelled") + "\n")
        }
    }

    /// `backtest jobs delete ID`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Delete a job (a batch or a search) and its results, cancelling it first if it still runs."
        )

        @Argument(help: "The job id.")
        var id: String

        @OptionGroup var remote: RemoteOptions

        func run() async throws {
            try await remote.withClient(embeddedFallback: false) { client in
                try await JobsCommand.checked { () async throws(BacktestClientError) in try await client.deleteJob(id) }
            }
            Terminal.stdout("\(id)  deleted\n")
        }
    }

    /// Follows a job's events with progress on stderr, then prints the summary table.
    /// Exits 1 when the job failed or some items failed.
    static func follow(_ id: String, client: BacktestClient) async throws {
        let reporter = ProgressReporter(enabled: true, terminal: Terminal.stderrIsTerminal)
        let clock = ContinuousClock()
        let start = clock.now
        var failed = 0
        var final: JobStatus?
        do {
            for try await event in client.jobStreamEvents(id) {
                switch event {
                case .item(let progress, let item):
                    if item.error != nil { failed += 1 }
                    reporter.report(BatchProgress(done: progress.done, total: progress.total, failed: failed, elapsed: (clock.now - start).seconds))
                case .done(let status):
                    final = status
                case .other:
                    break
                }
            }
        } catch let error as BacktestClientError {
            reporter.finish()
            // A portfolio job's items are not backtests: followed by its status instead.
            if error.code == .invalidReply, case .portfolios? = try? await anyStatus(id, client: client) {
                return try await followPortfolios(id, client: client)
            }
            throw RemoteCommandFailure(error: error)
        }
        reporter.finish()
        var status = try await checked { () async throws(BacktestClientError) in try await client.jobStatus(id) }
        // The stream ended without `done` (the server shut down): poll until the job ends
        // (the client fails over to another server when there is one).
        while final == nil, !status.status.hasEnded {
            try await Task.sleep(for: .milliseconds(500))
            status = try await checked { () async throws(BacktestClientError) in try await client.jobStatus(id) }
        }
        Terminal.stdout("\(status.id)  \((final ?? status).status.rawValue)  \(status.progress.done)/\(status.progress.total)\n")
        let summary = BatchSummary(results: batchResults(status.results ?? []), sort: nil)
        Terminal.stdout(summary.table())
        if status.status == .failed || summary.failed > 0 { throw ExitCode(1) }
    }

    /// A job's items as batch results (the request is rebuilt from the ticker only).
    static func batchResults(_ items: [BatchItem]) -> [BatchResult] {
        items.map { item in
            let request = BacktestRequest(ticker: item.ticker, strategy: item.result?.strategy ?? "")
            if let result = item.result { return BatchResult(index: item.index, request: request, result: .success(result)) }
            return BatchResult(index: item.index, request: request, result: .failure(BacktestClientError(item: item.error)))
        }
    }

    /// Runs a client call, turning its error into a command failure (exit 1).
    static func checked<T>(_ body: () async throws(BacktestClientError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw RemoteCommandFailure(error: error)
        }
    }
}
