import BacktestEngine

/// An error reading market data, pointing at the file, line and column at fault.
///
/// ```
/// prices.csv:14: column Close: 'abc' is not a number
/// ```
public struct MarketDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: see ``Code``.
    public var code: Code
    /// Human explanation (without the location).
    public var message: String
    /// The file or source name.
    public var source: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// The column name, when the problem is in one column.
    public var column: String?

    /// Creates an error.
    public init(code: Code, message: String, source: String, line: Int? = nil, column: String? = nil) {
        self.code = code
        self.message = message
        self.source = source
        self.line = line
        self.column = column
    }

    /// `source:line: column NAME: message`.
    public var description: String {
        var s = source
        if let line { s += ":\(line)" }
        s += ": "
        if let column { s += "column \(column): " }
        return s + message
    }
}

extension MarketDataError {
    /// The kind of a ``MarketDataError``.
    ///
    /// New codes may be added; switch over them with a `default` branch.
    public struct Code: Hashable, Sendable, CaseIterable, CustomStringConvertible {
        private enum Base: String, CaseIterable, Sendable {
            case missingColumn = "missing_column"
            case invalidNumber = "invalid_number"
            case invalidDate = "invalid_date"
            case invalidPrice = "invalid_price"
            case highBelowLow = "high_below_low"
            case duplicateTimestamp = "duplicate_timestamp"
            case empty
            case unreadable
            case unknownTicker = "unknown_ticker"
            case invalidTicker = "invalid_ticker"
            case database
            case databaseBusy = "database_busy"
            case network
            case rateLimited = "rate_limited"
            case providerHTTP = "provider_http"
            case providerError = "provider_error"
            case malformedPayload = "malformed_payload"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        // Bad bars (a CSV file, an upload, a provider's reply).

        /// A required column is missing, or a row has too few fields.
        public static let missingColumn = Code(.missingColumn)
        /// A field is not a number, or a volume is negative.
        public static let invalidNumber = Code(.invalidNumber)
        /// A timestamp is not an ISO date or date-time.
        public static let invalidDate = Code(.invalidDate)
        /// A price is not positive and finite.
        public static let invalidPrice = Code(.invalidPrice)
        /// A bar's high is below its low.
        public static let highBelowLow = Code(.highBelowLow)
        /// Two bars share a timestamp.
        public static let duplicateTimestamp = Code(.duplicateTimestamp)
        /// No bars (an empty file, an empty range).
        public static let empty = Code(.empty)
        /// The file cannot be read.
        public static let unreadable = Code(.unreadable)

        // Tickers.

        /// No store holds the ticker.
        public static let unknownTicker = Code(.unknownTicker)
        /// The text is not a ticker symbol.
        public static let invalidTicker = Code(.invalidTicker)

        // The store.

        /// The SQLite store failed (cannot open, bad stored bars, ...).
        public static let database = Code(.database)
        /// The SQLite store is locked by another writer.
        public static let databaseBusy = Code(.databaseBusy)

        // Providers (`data fetch`).

        /// The provider cannot be reached.
        public static let network = Code(.network)
        /// The provider refuses for now (HTTP 429, a daily limit).
        public static let rateLimited = Code(.rateLimited)
        /// The provider answered an unexpected HTTP status.
        public static let providerHTTP = Code(.providerHTTP)
        /// The provider reported an error in its reply.
        public static let providerError = Code(.providerError)
        /// The provider's reply is not in the format expected (or too large).
        public static let malformedPayload = Code(.malformedPayload)

        /// Every code.
        public static var allCases: [Code] { Base.allCases.map(Code.init) }

        /// The wire form, e.g. `invalid_number`.
        public var rawValue: String { base.rawValue }

        public var description: String { rawValue }
    }
}
