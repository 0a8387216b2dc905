import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestReport
import Foundation

extension RunCommand {
    /// What `backtest run` was asked, as a plain value (``FastCommandLine`` builds it without
    /// ArgumentParser); runs the backtest locally or on a server and prints it.
    struct Settings: Equatable, Sendable {
        /// `--csv FILE`.
        var csv: String?
        /// `--request FILE`.
        var request: String?
        /// `--ticker`: run remotely.
        var ticker: String?
        /// `--start`.
        var start: String?
        /// `--end`.
        var end: String?
        /// Which server, how to talk to it (with `--ticker`).
        var remote = RemoteSettings()
        /// The strategy and broker flags.
        var engine = EngineSettings()
        /// `--format` (default table).
        var format = OutputFormat.table
        /// `--include`.
        var include: String?
        /// `--html FILE`.
        var html: String?

        /// Runs the backtest (locally, or on a server with `--ticker`) and prints it.
        func run() async throws {
            if let ticker {
                guard html == nil else {
                    throw CLIError(message: "--html makes a report of a local run (--csv or --request); use `backtest report --ticker`")
                }
                try await runRemotely(ticker)
                return
            }
            let (request, csvPath) = try makeRequest()
            let (bars, result) = try RunCommand.runLocally(request, csvPath: csvPath)
            if let html {
                do {
                    let source = URL(fileURLWithPath: csvPath).deletingPathExtension().lastPathComponent
                    try ReportCommand.write(HTMLReport.make(request: request, source: source, bars: bars, result: result), to: html)
                } catch let error as ReportError {
                    throw CLIError(message: error.message, exitCode: 1)
                } catch let error as CLIError {
                    throw error
                } catch {
                    throw CLIError(error)
                }
            }
            let wanted = try request.includes()
            switch format {
            case .json:
                let report = BacktestReport(result, trades: wanted.trades, equity: wanted.equity)
                Terminal.stdout(try ReportJSON.encode(report) + "\n")
            case .table:
                Terminal.stdout(StatsTable.render(result.statistics, strategy: request.strategy, params: request.params))
            }
        }

        /// Sends the request to a server (resolved like `batch`, with the embedded fallback).
        func runRemotely(_ ticker: String) async throws {
            guard csv == nil, request == nil else {
                throw CLIError(message: "--ticker runs remotely; it does not go with --csv or --request")
            }
            var req = try engine.request()
            req.ticker = ticker
            req.start = start
            req.end = end
            if let include {
                req.include = include.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            do {
                _ = try req.validated()
            } catch {
                throw CLIError(message: error.message)
            }
            let reply: BacktestReply
            do {
                reply = try await remote.withClient(embeddedFallback: true) { client in try await client.run(req) }
            } catch let error as BacktestClientError {
                // The server judged the input (4xx): a usage error; otherwise the run failed.
                let status = error.status ?? 0
                throw CLIError(message: error.description, exitCode: (400..<500).contains(status) && status != 429 ? 2 : 1)
            }
            switch format {
            case .json:
                var report = BacktestReport(stats: reply.stats, trades: reply.trades, equity: reply.equity)
                report.coverage = reply.coverage
                Terminal.stdout(try ReportJSON.encode(report) + "\n")
            case .table:
                Terminal.stdout(StatsTable.render(reply.stats, strategy: reply.strategy, params: reply.params))
                if let coverage = reply.coverage, coverage.isShort {
                    Terminal.stdout("\n* covers less than asked: \(coverage.footnote(reply.ticker))\n")
                }
            }
        }

        /// Builds the request from the flags or the request file; returns the CSV path to read.
        func makeRequest() throws(CLIError) -> (BacktestRequest, String) {
            var req: BacktestRequest
            let path: String
            switch (csv, request) {
            case (let csv?, nil):
                req = try engine.request()
                req.data = csv
                req.start = start
                req.end = end
                path = csv
            case (nil, let file?):
                guard engine.isEmpty, start == nil, end == nil else {
                    throw CLIError(message: "--request takes every setting from the file; drop the engine flags")
                }
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError(message: "--request: cannot read \(file)")
                }
                do {
                    req = try JSONDecoder().decode(BacktestRequest.self, from: data)
                } catch let error as BacktestError {
                    throw CLIError(message: "\(file): \(error.message)")
                } catch {
                    throw CLIError(message: "\(file): not a valid JSON request (\(RunCommand.describe(error)))")
                }
                guard let data = req.data else {
                    throw CLIError(message: "\(file): missing field 'data' (the CSV path)")
                }
                let base = URL(fileURLWithPath: file).deletingLastPathComponent()
                path = data.hasPrefix("/") ? data : base.appendingPathComponent(data).path
            case (nil, nil):
                throw CLIError(message: "give --csv FILE or --ticker T (with --strategy), or --request FILE.json")
            case (_?, _?):
                throw CLIError(message: "--csv and --request are exclusive")
            }
            if let include {
                req.include = include.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            return (req, path)
        }
    }
}
