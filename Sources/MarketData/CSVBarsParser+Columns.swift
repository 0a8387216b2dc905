extension CSVBarsParser {
    /// Where each field of a row is, from the header's names (case-insensitive: `Open`,
    /// `High`, `Low`, `Close`, optional `Adj Close` and `Volume`; the time is the first of
    /// `Date`, `Datetime`, `Timestamp`, `Time` or an unnamed column, else the first column).
    struct Columns {
        var time = -1, open = -1, high = -1, low = -1, close = -1, adjClose = -1, volume = -1
        /// The header's names, as written.
        let names: [String]
        /// The number of fields a row needs.
        var count: Int { names.count }
        /// The time column's name in errors (`timestamp` when it has none).
        var timeName: String { names[time].isEmpty ? "timestamp" : names[time] }

        /// The columns of header `names`, read on line `line`.
        ///
        /// - Throws: `missing_column` for a price column the header lacks, or for `Adj Close`
        ///   when `options.adjust` needs it.
        init(header names: [String], line: Int, source: String, options: Options) throws(MarketDataError) {
            self.names = names
            for (i, raw) in names.enumerated() {
                switch raw.lowercased() {
                case "open": open = i
                case "high": high = i
                case "low": low = i
                case "close": close = i
                case "adj close", "adj_close", "adjclose": adjClose = i
                case "volume": volume = i
                case "date", "datetime", "timestamp", "time", "": if time < 0 { time = i }
                default: break
                }
            }
            if time < 0 { time = 0 }
            for (name, index) in [("Open", open), ("High", high), ("Low", low), ("Close", close)] where index < 0 {
                throw MarketDataError(
                    code: .missingColumn,
                    message: "missing column '\(name)' (header has: \(names.map { $0.isEmpty ? "<unnamed>" : $0 }.joined(separator: ", ")))",
                    source: source,
                    line: line,
                    column: name
                )
            }
            if options.adjust && adjClose < 0 {
                throw MarketDataError(
                    code: .missingColumn,
                    message: "--adjust needs an 'Adj Close' column",
                    source: source,
                    line: line,
                    column: "Adj Close"
                )
            }
        }

        /// The name of column `index` in errors (the time column's name when it has none).
        func name(_ index: Int) -> String {
            names[index].isEmpty ? timeName : names[index]
        }
    }
}
