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
    var format: OutputFormat = Settings().format

    @Option(help: ArgumentHelp("Extra outputs for json: trades, equity (comma-separated).", valueName: "list"))
    var include: String?

    @Option(help: ArgumentHelp("Also write the run as an interactive HTML report (a local run: --csv or --request).", valueName: "file"))
    var html: String?

    /// The values given, as a plain value that does the work.
    var settings: Settings {
        Settings(
            csv: csv,
            request: request,
            ticker: ticker,
            start: start,
            end: end,
            remote: remote.settings,
            engine: engine.settings,
            format: format,
            include: include,
            html: html
        )
    }

    func run() async throws {
        try await settings.run()
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
