import BacktestEngine

/// An error reading market data, pointing at the file, line and column at fault.
///
/// ```
/// prices.csv:14: column Close: 'abc' is not a number
/// ```
public struct MarketDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable identifier: `missing_column`, `invalid_number`, `invalid_date`, `invalid_price`,
    /// `high_below_low`, `duplicate_timestamp`, `empty`, `unreadable`, `unknown_ticker`.
    public var code: String
    /// Human explanation (without the location).
    public var message: String
    /// The file or source name.
    public var source: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// The column name, when the problem is in one column.
    public var column: String?

    /// Creates an error.
    public init(code: String, message: String, source: String, line: Int? = nil, column: String? = nil) {
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
