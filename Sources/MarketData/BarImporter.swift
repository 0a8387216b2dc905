import BacktestEngine
import Foundation

/// The one way bars enter the imported store, for every path in (CSV file, upload,
/// provider): validate completely, check quality, then replace the ticker's bars in one
/// transaction. Input that fails validation imports nothing.
///
/// ```swift
/// let importer = BarImporter(store: try SQLiteBarStore(path: db))
/// let result = try importer.importCSV(data, ticker: "GOOG", source: "file GOOG.csv")
/// for warning in result.quality.warnings { print("warning: \(warning)") }
/// ```
public struct BarImporter: Sendable {
    /// What an import did.
    public struct Result: Sendable {
        /// The new catalog entry.
        public var entry: CatalogEntry
        /// Bars of the previous series that were replaced (0 for a new ticker).
        public var replaced: Int
        /// Suspicious bars found (imported anyway).
        public var quality: BarQualityCheck.Report
    }

    /// The store written to.
    public let store: SQLiteBarStore
    /// The checks run on every import.
    public var qualityCheck: BarQualityCheck

    /// Creates an importer writing to `store`.
    public init(store: SQLiteBarStore, qualityCheck: BarQualityCheck = BarQualityCheck()) {
        self.store = store
        self.qualityCheck = qualityCheck
    }

    /// Parses CSV (either layout ``CSVBarsParser`` reads) and imports it as `ticker`.
    ///
    /// - Throws: the parser's ``MarketDataError`` naming the line at fault (nothing is
    ///   imported), `invalid_ticker`, or a `database` error.
    @discardableResult
    public func importCSV(
        _ data: Data,
        ticker: String,
        source: String,
        name: String? = nil,
        options: CSVBarsParser.Options = .init()
    ) throws(MarketDataError) -> Result {
        _ = try SQLiteBarStore.symbol(ticker)
        let bars = try CSVBarsParser.parse(data, source: name ?? source, options: options)
        return try importBars(bars, ticker: ticker, source: source)
    }

    /// Imports already validated bars as `ticker`.
    @discardableResult
    public func importBars(_ bars: Bars, ticker: String, source: String) throws(MarketDataError) -> Result {
        let quality = qualityCheck.report(for: bars)
        let (entry, replaced) = try store.replace(ticker: ticker, with: bars, source: source)
        return Result(entry: entry, replaced: replaced, quality: quality)
    }

    /// The ticker a file imports as when none is given: its name without the extension,
    /// upper-cased (`data/goog.csv` → `GOOG`), or `nil` when that is not a valid symbol.
    public static func defaultTicker(forFile path: String) -> String? {
        let name = (path as NSString).lastPathComponent
        let stem = name.contains(".") ? String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)]) : name
        return MarketDataError.isValidTicker(stem) ? stem.uppercased() : nil
    }
}
