import BacktestEngine
import Foundation

/// Reads OHLCV bars from CSV text in backtesting.py's layout (unnamed first column holding
/// the timestamp: `,Open,High,Low,Close,Volume`) or Yahoo Finance's
/// (`Date,Open,High,Low,Close,Adj Close,Volume`). Timestamps are ISO dates or date-times.
///
/// Rows are validated (numbers, dates, positive finite prices, `High >= Low`, unique
/// timestamps); unsorted rows are sorted. `Volume` is optional.
///
/// ```swift
/// let bars = try CSVBarsParser.load(path: "GOOG.csv")
/// ```
public enum CSVBarsParser {
    /// Options for reading.
    public struct Options: Sendable {
        /// Scale Open/High/Low/Close by `Adj Close / Close` (needs an `Adj Close` column).
        public var adjust: Bool
        /// Creates options; `adjust` defaults to `false`.
        public init(adjust: Bool = false) { self.adjust = adjust }
    }

    /// Loads and parses a CSV file.
    public static func load(path: String, options: Options = Options()) throws(MarketDataError) -> Bars {
        if let bytes = FileBytes.contents(ofPath: path) {
            return try bytes.withUnsafeBufferPointer { (buffer) throws(MarketDataError) -> Bars in
                try parse(buffer, source: path, options: options)
            }
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw MarketDataError(code: .unreadable, message: "cannot read file: \(error.localizedDescription)", source: path)
        }
        return try parse(data, source: path, options: options)
    }

    /// Parses CSV bytes; `source` names the input in errors.
    public static func parse(_ data: Data, source: String, options: Options = Options()) throws(MarketDataError) -> Bars {
        let bytes = [UInt8](data)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(MarketDataError) -> Bars in
            try parse(buffer, source: source, options: options)
        }
    }

    /// Parses CSV text; `source` names the input in errors.
    public static func parse(_ text: String, source: String, options: Options = Options()) throws(MarketDataError) -> Bars {
        try parse(Data(text.utf8), source: source, options: options)
    }

    /// Reads the header, then every row into columns of values; sorts them by time when
    /// they were not, and checks that no timestamp repeats.
    private static func parse(_ b: UnsafeBufferPointer<UInt8>, source: String, options: Options) throws(MarketDataError) -> Bars {
        var reader = CSVLineReader(b)
        guard reader.next() else {
            throw MarketDataError(code: .empty, message: "the file is empty (expected a header row and bars)", source: source)
        }
        let columns = try Columns(header: reader.fields.map(reader.text), line: reader.lineNumber, source: source, options: options)
        var rows = ParsedRows(capacity: b.count / 48)
        while reader.next() {
            try rows.append(reader, columns: columns, source: source, options: options)
        }
        guard !rows.timestamps.isEmpty else {
            throw MarketDataError(code: .empty, message: "no bars after the header", source: source, line: reader.lineNumber)
        }
        rows.sortByTime()
        try rows.checkUniqueTimestamps(source: source, column: columns.timeName)
        do {
            return try Bars(
                timestamps: rows.timestamps,
                open: rows.open,
                high: rows.high,
                low: rows.low,
                close: rows.close,
                volume: rows.volume
            )
        } catch {
            throw MarketDataError(code: .invalidPrice, message: error.message, source: source)
        }
    }

    /// Parses a decimal number (correctly rounded), rejecting empty text.
    static func parseDouble(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !b.isEmpty, b.count < 64 else { return nil }
        // Fast path for plain decimals is Swift's own correctly rounded parser.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: b.count + 1) { tmp -> Double? in
            for k in 0..<b.count { tmp[k] = CChar(bitPattern: b[k]) }
            tmp[b.count] = 0
            guard let base = tmp.baseAddress else { return nil }
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(base, &end)
            guard let end, end == base + b.count else { return nil }
            // strtod accepts hex and "inf"/"nan" words; keep NaN (reported as invalid price)
            return value
        }
    }
}
