import ArgumentParser
import Foundation
import MarketData
import MarketDataProviders

/// `backtest data fetch T [--start --end] [--source yahoo|stooq]`: downloads daily bars and
/// imports them.
struct DataFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download daily bars from Yahoo Finance or Stooq and import them.",
        discussion: "Base URLs: --yahoo-url / BACKTEST_YAHOO_URL, --stooq-url / BACKTEST_STOOQ_URL. A failed download imports nothing."
    )

    @Argument(help: "The ticker.")
    var ticker: String

    @OptionGroup var range: DateRangeOptions

    @Option(help: "Provider: yahoo or stooq.")
    var source: String = "yahoo"

    @Flag(help: "Yahoo: scale prices by Adj Close / Close (Stooq's prices are adjusted already).")
    var adjust = false

    @Option(name: .customLong("yahoo-url"), help: "Yahoo chart API base URL (default https://query1.finance.yahoo.com).")
    var yahooURL: String?

    @Option(name: .customLong("stooq-url"), help: "Stooq base URL (default https://stooq.com).")
    var stooqURL: String?

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        guard let provider = BarDownloader.Source(rawValue: source.lowercased()) else {
            throw CLIError(message: "--source must be yahoo or stooq, got '\(source)'")
        }
        guard MarketDataError.isValidTicker(ticker) else {
            throw CLIError(message: "'\(ticker.prefix(40))' is not a ticker symbol (letters, digits, '.', '-', '_', '^', '='; at most 32)")
        }
        if adjust && provider == .stooq { throw CLIError(message: "--adjust applies to --source yahoo (Stooq's prices are adjusted already)") }
        let (start, end) = try range.range()
        let environment = ProcessEnvironment.variables()
        var configuration = BarDownloader.Configuration()
        if let url = yahooURL ?? environment["BACKTEST_YAHOO_URL"].flatMap({ $0.isEmpty ? nil : $0 }) { configuration.yahooBaseURL = url }
        if let url = stooqURL ?? environment["BACKTEST_STOOQ_URL"].flatMap({ $0.isEmpty ? nil : $0 }) { configuration.stooqBaseURL = url }
        let importer = BarImporter(store: try database.open())
        do {
            let download = try await BarDownloader(configuration: configuration).download(
                ticker,
                from: provider,
                start: start,
                end: end,
                adjust: adjust
            )
            if download.skipped > 0 { Terminal.stderr("warning: skipped \(download.skipped) entries without prices\n") }
            let result = try importer.importBars(download.bars, ticker: ticker, source: provider.rawValue + (adjust ? " (adjusted)" : ""))
            DataFormat.printWarnings(result.quality)
            Terminal.stdout(DataFormat.summary(result.entry, replaced: result.replaced, verb: "fetched"))
        } catch {
            // A provider failure (even an empty range) is operational: exit 1.
            throw CLIError(message: error.description, exitCode: error.code == .invalidTicker ? 2 : 1)
        }
    }
}
