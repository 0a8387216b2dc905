import ArgumentParser
import BacktestServer
import Foundation
import MarketData

/// `backtest data import FILE.csv [--ticker T] [--adjust]`.
struct DataImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a CSV file of bars into the store (replacing the ticker's bars atomically).",
        discussion:
            "A file that fails validation imports nothing; the error names its line. Suspicious bars (long gaps, big one-bar moves) are imported and reported as warnings on stderr."
    )

    @OptionGroup var input: BarsFileOptions

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let (symbol, data) = try input.read()
        let importer = BarImporter(store: try database.open())
        do {
            let name = (input.file as NSString).lastPathComponent
            let result = try importer.importCSV(
                data,
                ticker: symbol,
                source: "file \(name)\(input.adjust ? " (adjusted)" : "")",
                name: input.file,
                options: .init(adjust: input.adjust)
            )
            DataFormat.printWarnings(result.quality)
            Terminal.stdout(DataFormat.summary(result.entry, replaced: result.replaced))
            let bars = try importer.store.bars(for: result.entry.ticker, from: nil, through: nil).bars
            try await database.withShared { shared in
                try await shared.put(result.entry, bars: bars)
                Terminal.stdout("shared with every node of the cluster\n")
            }
        } catch let error as MarketDataError {
            throw error.cliError
        }
    }
}

/// `FILE [--ticker T] [--adjust]`: a CSV file of bars, shared by `data import` and `data push`.
struct BarsFileOptions: ParsableArguments {
    @Argument(help: "CSV file (Date,Open,High,Low,Close[,Adj Close][,Volume] or backtesting.py's layout).")
    var file: String

    @Option(help: "Ticker (default: the file name without extension).")
    var ticker: String?

    @Flag(help: "Scale Open/High/Low by Adj Close / Close (removes splits and dividends).")
    var adjust = false

    /// The ticker (`--ticker`, else the file name) and the file's bytes; usage errors (exit 2)
    /// for a ticker that is not a symbol or a file that cannot be read.
    func read() throws(CLIError) -> (ticker: String, data: Data) {
        guard let symbol = ticker ?? BarImporter.defaultTicker(forFile: file) else {
            throw CLIError(message: "cannot derive a ticker from the file name '\(file)'; pass --ticker")
        }
        guard MarketDataError.isValidTicker(symbol) else {
            throw CLIError(message: "--ticker: '\(symbol)' is not a ticker symbol (letters, digits, '.', '-', '_', '^', '='; at most 32)")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError(message: "cannot read \(file)")
        }
        return (symbol, data)
    }
}
