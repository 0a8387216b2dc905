import ArgumentParser
import BacktestEngine
import BacktestServer
import Foundation
import MarketData

/// `backtest data list`: the imported tickers.
struct DataListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the imported tickers.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let entries: [CatalogEntry]
        do {
            entries = try database.open().catalog()
        } catch let error as MarketDataError {
            throw error.cliError
        }
        guard !entries.isEmpty else {
            Terminal.stderr("no imported tickers in \(database.path); add one with 'backtest data import FILE.csv'\n")
            return
        }
        var rows = [["TICKER", "BARS", "FIRST", "LAST", "SOURCE", "IMPORTED", "HASH"]]
        for e in entries {
            let imported = Timestamp.format(Int64(e.importedAt)).replacingOccurrences(of: "T", with: " ") + "Z"
            rows.append([
                e.ticker, DataFormat.count(e.count), DataFormat.time(e.first), DataFormat.time(e.last), e.source, imported,
                String(e.contentHash.prefix(12)),
            ])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for row in rows {
            out +=
                row.enumerated().map { c, cell in
                    c == 1
                        ? String(repeating: " ", count: widths[c] - cell.count) + cell : cell + String(repeating: " ", count: widths[c] - cell.count)
                }.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        Terminal.stdout(out)
    }
}

/// `backtest data show T [--start --end]`: the stored bars as CSV.
struct DataShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a ticker's stored bars as CSV (Date,Open,High,Low,Close,Volume)."
    )

    @Argument(help: "The ticker.")
    var ticker: String

    @OptionGroup var range: DateRangeOptions

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let (start, end) = try range.range()
        let stored: StoredBars
        do {
            stored = try database.open().bars(for: ticker, from: start, through: end)
        } catch let error as MarketDataError {
            throw error.cliError
        }
        let b = stored.bars
        var out = "Date,Open,High,Low,Close,Volume\n"
        out.reserveCapacity(64 * (b.count + 1))
        for i in 0..<b.count {
            let volume =
                b.volume[i].isNaN
                ? "" : (b.volume[i] == b.volume[i].rounded() && abs(b.volume[i]) < 1e15 ? String(Int64(b.volume[i])) : "\(b.volume[i])")
            out += "\(DataFormat.time(b.timestamps[i])),\(b.open[i]),\(b.high[i]),\(b.low[i]),\(b.close[i]),\(volume)\n"
        }
        Terminal.stdout(out)
        Terminal.stderr("\(stored.ticker): \(DataFormat.count(b.count)) of \(DataFormat.count(stored.summary.count)) bars\n")
    }
}

/// `backtest data remove T`.
struct DataRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an imported ticker and its bars.")

    @Argument(help: "The ticker.")
    var ticker: String

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let removed: CatalogEntry?
        do {
            removed = try database.open().remove(ticker: ticker)
        } catch let error as MarketDataError {
            throw error.cliError
        }
        guard let removed else {
            throw CLIError(message: "'\(ticker.uppercased())' is not imported in \(database.path) ('backtest data list' shows what is)")
        }
        Terminal.stdout("removed \(removed.ticker): \(DataFormat.count(removed.count)) bars\n")
        try await database.withShared { shared in
            try await shared.remove(ticker: removed.ticker)
            Terminal.stdout("removed from every node of the cluster\n")
        }
    }
}
