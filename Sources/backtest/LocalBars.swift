import BacktestAPI
import BacktestEngine
import Foundation
import MarketData

/// Bars for a command that computes in-process: a CSV file, or a ticker of the local store
/// (the imported data in the server's database, then the bundled sample set), cut to a
/// request's dates.
enum LocalBars {
    /// The bars of `csv` or `ticker` (exactly one), within `request`'s `start`/`end`; a ticker
    /// is looked up in `database` first when it exists.
    static func load(csv: String?, ticker: String?, request: BacktestRequest, database: String? = nil) throws -> Bars {
        let range = try request.dateRange()
        if let csv {
            var bars = try CSVBarsParser.load(path: csv)
            if range.start != nil || range.end != nil { bars = bars.slice(from: range.start, through: range.end) }
            return bars
        }
        guard let ticker else { throw CLIError(message: "give the data: --csv FILE or --ticker T") }
        var layers: [any BarStore] = []
        if let database, FileManager.default.fileExists(atPath: database) { layers.append(try SQLiteBarStore(path: database)) }
        layers.append(CSVBarStore(configuration: .init()))
        return try LayeredBarStore(layers).bars(for: ticker, from: range.start, through: range.end).bars
    }
}
