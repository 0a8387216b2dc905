import ArgumentParser
import BacktestAPI
import BacktestEngine
import BacktestReport
import Foundation
import MarketData

/// `backtest report`: one backtest as a self-contained interactive HTML page.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run one backtest and write it as an interactive HTML report (opens offline).",
        discussion: """
            Panels: equity (with drawdown, peak, final and max-drawdown markers), drawdown, trade P/L, \
            candles with trades, volume, the strategy's indicators; the statistics and a sortable trades \
            table. All panels zoom and pan together.
            Examples:
              backtest report --csv GOOG.csv --strategy sma_cross --param fast=10 --param slow=30 --out goog.html
              backtest report --ticker AAPL --start 2020-01-01 --strategy rsi_reversion --out aapl.html
            """
    )

    @Option(help: "CSV file of bars (backtesting.py or Yahoo Finance layout).")
    var csv: String?

    @Option(help: "A ticker of the local store (imported data, then the bundled sample set).")
    var ticker: String?

    @Option(help: ArgumentHelp("First date (YYYY-MM-DD).", valueName: "date"))
    var start: String?

    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD, inclusive).", valueName: "date"))
    var end: String?

    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var out: String

    @OptionGroup var engine: EngineOptions

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard (csv == nil) != (ticker == nil) else { throw CLIError(message: "give the data: --csv FILE or --ticker T (one of them)") }
        var request = try engine.request()
        request.start = start
        request.end = end
        let source = csv.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? ticker?.uppercased() ?? ""
        do {
            let (settings, strategy) = try request.validated()
            let bars = try LocalBars.load(csv: csv, ticker: ticker, request: request, database: database.path)
            let result = try Backtest(bars: bars, settings: settings).run(strategy)
            try Self.write(HTMLReport.make(request: request, source: source, bars: bars, result: result), to: out)
            Terminal.stderr("wrote \(out) (\(bars.count) bars, \(result.trades.count) trades)\n")
        } catch let error as CLIError {
            throw error
        } catch let error as ReportError {
            throw CLIError(message: error.message, exitCode: 1)
        } catch {
            throw CLIError(error)
        }
    }

    /// Writes the page, or says why not (exit 1).
    static func write(_ report: HTMLReport, to path: String) throws {
        let page = try report.html()
        do {
            try page.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError(message: "cannot write \(path): \(error.localizedDescription)", exitCode: 1)
        }
    }
}
