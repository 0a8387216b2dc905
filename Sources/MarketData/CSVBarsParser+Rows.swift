import BacktestEngine

extension CSVBarsParser {
    /// The bars read so far, a column per field, with the line each came from.
    struct ParsedRows {
        var timestamps: [Int64] = []
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var close: [Double] = []
        var volume: [Double] = []
        /// The line of each bar (for a duplicate's error).
        var lines: [Int32] = []
        /// Whether every timestamp so far is after the one before.
        private var sorted = true

        /// Room for about `capacity` bars.
        init(capacity: Int) {
            timestamps.reserveCapacity(capacity)
            open.reserveCapacity(capacity)
            high.reserveCapacity(capacity)
            low.reserveCapacity(capacity)
            close.reserveCapacity(capacity)
            volume.reserveCapacity(capacity)
            lines.reserveCapacity(capacity)
        }

        /// Adds the bar on the reader's current line, checked: enough fields, an ISO time,
        /// positive finite prices, `High >= Low`, a volume >= 0 when given; with
        /// `options.adjust`, the prices scaled by `Adj Close / Close`.
        ///
        /// - Throws: ``MarketDataError`` naming the line and column at fault.
        mutating func append(_ row: CSVLineReader, columns: Columns, source: String, options: Options) throws(MarketDataError) {
            let line = row.lineNumber
            guard row.fields.count >= columns.count else {
                throw MarketDataError(
                    code: .missingColumn,
                    message: "expected \(columns.count) fields, found \(row.fields.count)",
                    source: source,
                    line: line,
                    column: columns.name(min(row.fields.count, columns.count - 1))
                )
            }
            guard let time = Timestamp.parse(bytes: row.field(columns.time)) else {
                throw MarketDataError(
                    code: .invalidDate,
                    message: "'\(row.text(ofField: columns.time))' is not an ISO date or date-time",
                    source: source,
                    line: line,
                    column: columns.timeName
                )
            }
            func number(_ index: Int, _ name: String, price: Bool) throws(MarketDataError) -> Double {
                try CSVBarsParser.number(row, field: index, column: name, price: price, source: source)
            }
            var open = try number(columns.open, "Open", price: true)
            var high = try number(columns.high, "High", price: true)
            var low = try number(columns.low, "Low", price: true)
            var close = try number(columns.close, "Close", price: true)
            var volume = Double.nan
            if columns.volume >= 0, !row.fields[columns.volume].isEmpty {
                volume = try number(columns.volume, "Volume", price: false)
                guard volume >= 0 || volume.isNaN else {
                    throw MarketDataError(
                        code: .invalidNumber,
                        message: "volume must be >= 0, got \(row.text(ofField: columns.volume))",
                        source: source,
                        line: line,
                        column: "Volume"
                    )
                }
            }
            guard high >= low else {
                throw MarketDataError(
                    code: .highBelowLow,
                    message: "High \(row.text(ofField: columns.high)) is below Low \(row.text(ofField: columns.low))",
                    source: source,
                    line: line,
                    column: "High"
                )
            }
            if options.adjust {
                let adjusted = try number(columns.adjClose, "Adj Close", price: true)
                let ratio = adjusted / close
                open *= ratio
                high *= ratio
                low *= ratio
                close = adjusted
            }
            if let last = timestamps.last, time <= last { sorted = false }
            timestamps.append(time)
            self.open.append(open)
            self.high.append(high)
            self.low.append(low)
            self.close.append(close)
            self.volume.append(volume)
            lines.append(Int32(truncatingIfNeeded: line))
        }

        /// Puts the bars in time order when they were not.
        mutating func sortByTime() {
            guard !sorted else { return }
            let order = timestamps.indices.sorted { timestamps[$0] < timestamps[$1] }
            timestamps = order.map { timestamps[$0] }
            open = order.map { open[$0] }
            high = order.map { high[$0] }
            low = order.map { low[$0] }
            close = order.map { close[$0] }
            volume = order.map { volume[$0] }
            lines = order.map { lines[$0] }
            sorted = true
        }

        /// - Throws: `duplicate_timestamp` for the first time (in order) that two bars share,
        ///   naming both lines.
        func checkUniqueTimestamps(source: String, column: String) throws(MarketDataError) {
            for i in 1..<max(1, timestamps.count) where timestamps[i] == timestamps[i - 1] {
                throw MarketDataError(
                    code: .duplicateTimestamp,
                    message: "duplicate timestamp \(Timestamp.format(timestamps[i])) (also on line \(min(lines[i], lines[i - 1])))",
                    source: source,
                    line: Int(max(lines[i], lines[i - 1])),
                    column: column
                )
            }
        }
    }

    /// Field `index` of `row` as a number; a price must be positive and finite.
    ///
    /// - Throws: `invalid_number` for text that is not one, `invalid_price` for a bad price.
    static func number(_ row: CSVLineReader, field index: Int, column: String, price: Bool, source: String) throws(MarketDataError) -> Double {
        let line = row.lineNumber
        guard let value = parseDouble(row.field(index)) else {
            let raw = row.text(ofField: index)
            throw MarketDataError(
                code: .invalidNumber,
                message: raw.isEmpty ? "empty value" : "'\(raw)' is not a number",
                source: source,
                line: line,
                column: column
            )
        }
        guard price else { return value }
        guard !value.isNaN else {
            throw MarketDataError(code: .invalidPrice, message: "price is NaN", source: source, line: line, column: column)
        }
        guard value.isFinite, value > 0 else {
            throw MarketDataError(
                code: .invalidPrice,
                message: "price must be positive and finite, got \(row.text(ofField: index))",
                source: source,
                line: line,
                column: column
            )
        }
        return value
    }
}
