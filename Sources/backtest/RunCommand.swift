import ArgumentParser
import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestReport
import Foundation
import MarketData

/// `backtest run`: one backtest on a local CSV file or a request file.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one backtest: locally on a CSV file or a request file, or remotely on a ticker.",
        discussion: """
            Examples:
              backtest run --csv GOOG.csv --strategy sma_cross --param fast=10 --param slow=30 --commission 0.002
              backtest run --request case.json --format json --include trades,equity
              backtest run --ticker AAPL --start 2020-01-01 --end 2020-12-31 --strategy rsi_reversion
            """
    )

    @Option(help: "CSV file of bars (backtesting.py or Yahoo Finance layout).")
    var csv: String?

    @Option(help: "A request file: the `case` object of a reference file; `data` is relative to it.")
    var request: String?

    @Option(help: "Run remotely on this ticker's data (see `backtest endpoint` for which server).")
    var ticker: String?

    @Option(help: ArgumentHelp("First date (YYYY-MM-DD), with --csv or --ticker.", valueName: "date"))
    var start: String?

    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD, inclusive), with --csv or --ticker.", valueName: "date"))
    var end: String?

    @OptionGroup var remote: RemoteOptions

    @OptionGroup var engine: EngineOptions

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Option(help: ArgumentHelp("Extra outputs for json: trades, equity (comma-separated).", valueName: "list"))
    var include: String?

    @Option(help: ArgumentHelp("Also write the run as an interactive HTML report (a local run: --csv or --request).", valueName: "file"))
    var html: String?

    func run() async throws {
        if let ticker {
            guard html == nil else {
                throw CLIError(message: "--html makes a report of a local run (--csv or --request); use `backtest report --ticker`")
            }
            try await runRemotely(ticker)
            return
        }
        let (request, csvPath) = try makeRequest()
        let (bars, result) = try Self.runLocally(request, csvPath: csvPath)
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
                throw CLIError(message: "\(file): not a valid JSON request (\(Self.describe(error)))")
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

    /// Loads the CSV (cut to the request's dates) and runs the request's strategy; returns the
    /// bars with the result. Every input problem is a `CLIError`.
    static func runLocally(_ request: BacktestRequest, csvPath: String) throws(CLIError) -> (Bars, BacktestResult) {
        do {
            let (settings, strategy) = try request.validated()
            let bars = try LocalBars.load(csv: csvPath, ticker: nil, request: request)
            return (bars, try Backtest(bars: bars, settings: settings).run(strategy))
        } catch {
            throw CLIError(error)
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.keyNotFound(let k, _): return "missing field '\(k.stringValue)'"
        default: return "\(error)"
        }
    }
}

/// Output formats of `run`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// JSON rendering of reports.
enum ReportJSON {
    /// Keys sorted: the same result prints the same bytes (an encoder's key order otherwise
    /// varies from process to process).
    static func encode<T: Encodable>(_ value: T) throws(CLIError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw CLIError(message: "cannot encode the result: \(error)", exitCode: 1)
        }
    }
}
