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

    private struct Columns {
        var time = -1, open = -1, high = -1, low = -1, close = -1, adjClose = -1, volume = -1
        var names: [String] = []
        var count: Int { names.count }
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>, source: String, options: Options) throws(MarketDataError) -> Bars {
        var pos = 0
        var lineNumber = 0
        // Splits the next line into field ranges; returns false at end of input.
        var fields: [Range<Int>] = []
        func nextLine() -> Bool {
            while pos < b.count {
                lineNumber += 1
                let start = pos
                while pos < b.count, b[pos] != 0x0A { pos += 1 }
                var end = pos
                if pos < b.count { pos += 1 }
                if end > start, b[end - 1] == 0x0D { end -= 1 }
                if end == start { continue }  // blank line
                fields.removeAll(keepingCapacity: true)
                var f = start
                var k = start
                while k <= end {
                    if k == end || b[k] == 0x2C {
                        var lo = f
                        var hi = k
                        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
                        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 { hi -= 1 }
                        if hi - lo >= 2, b[lo] == 0x22, b[hi - 1] == 0x22 {
                            lo += 1
                            hi -= 1
                        }
                        fields.append(lo..<hi)
                        f = k + 1
                    }
                    k += 1
                }
                return true
            }
            return false
        }
        func text(_ r: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
        }

        // Header.
        var skip = 0
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { skip = 3 }
        pos = skip
        guard nextLine() else {
            throw MarketDataError(code: .empty, message: "the file is empty (expected a header row and bars)", source: source)
        }
        var cols = Columns()
        cols.names = fields.map(text)
        for (i, raw) in cols.names.enumerated() {
            let name = raw.lowercased()
            switch name {
            case "open": cols.open = i
            case "high": cols.high = i
            case "low": cols.low = i
            case "close": cols.close = i
            case "adj close", "adj_close", "adjclose": cols.adjClose = i
            case "volume": cols.volume = i
            case "date", "datetime", "timestamp", "time", "": if cols.time < 0 { cols.time = i }
            default: break
            }
        }
        if cols.time < 0 { cols.time = 0 }
        for (name, idx) in [("Open", cols.open), ("High", cols.high), ("Low", cols.low), ("Close", cols.close)] where idx < 0 {
            throw MarketDataError(
                code: .missingColumn,
                message: "missing column '\(name)' (header has: \(cols.names.map { $0.isEmpty ? "<unnamed>" : $0 }.joined(separator: ", ")))",
                source: source,
                line: lineNumber,
                column: name
            )
        }
        if options.adjust && cols.adjClose < 0 {
            throw MarketDataError(
                code: .missingColumn,
                message: "--adjust needs an 'Adj Close' column",
                source: source,
                line: lineNumber,
                column: "Adj Close"
            )
        }
        let timeName = cols.names[cols.time].isEmpty ? "timestamp" : cols.names[cols.time]

        var t: [Int64] = []
        var o: [Double] = []
        var h: [Double] = []
        var l: [Double] = []
        var c: [Double] = []
        var v: [Double] = []
        var lines: [Int32] = []
        let estimate = b.count / 48
        t.reserveCapacity(estimate)
        o.reserveCapacity(estimate)
        h.reserveCapacity(estimate)
        l.reserveCapacity(estimate)
        c.reserveCapacity(estimate)
        v.reserveCapacity(estimate)
        lines.reserveCapacity(estimate)

        func number(_ idx: Int, _ name: String, price: Bool) throws(MarketDataError) -> Double {
            let r = fields[idx]
            guard let value = parseDouble(UnsafeBufferPointer(rebasing: b[r])) else {
                let raw = text(r)
                throw MarketDataError(
                    code: .invalidNumber,
                    message: raw.isEmpty ? "empty value" : "'\(raw)' is not a number",
                    source: source,
                    line: lineNumber,
                    column: name
                )
            }
            if price {
                guard !value.isNaN else {
                    throw MarketDataError(code: .invalidPrice, message: "price is NaN", source: source, line: lineNumber, column: name)
                }
                guard value.isFinite, value > 0 else {
                    throw MarketDataError(
                        code: .invalidPrice,
                        message: "price must be positive and finite, got \(text(r))",
                        source: source,
                        line: lineNumber,
                        column: name
                    )
                }
            }
            return value
        }

        var sorted = true
        while nextLine() {
            guard fields.count >= cols.count else {
                throw MarketDataError(
                    code: .missingColumn,
                    message: "expected \(cols.count) fields, found \(fields.count)",
                    source: source,
                    line: lineNumber,
                    column: cols.names[min(fields.count, cols.count - 1)].isEmpty ? timeName : cols.names[min(fields.count, cols.count - 1)]
                )
            }
            guard let ts = Timestamp.parse(bytes: UnsafeBufferPointer(rebasing: b[fields[cols.time]])) else {
                throw MarketDataError(
                    code: .invalidDate,
                    message: "'\(text(fields[cols.time]))' is not an ISO date or date-time",
                    source: source,
                    line: lineNumber,
                    column: timeName
                )
            }
            var open = try number(cols.open, "Open", price: true)
            var high = try number(cols.high, "High", price: true)
            var low = try number(cols.low, "Low", price: true)
            var close = try number(cols.close, "Close", price: true)
            var volume = Double.nan
            if cols.volume >= 0, !fields[cols.volume].isEmpty {
                volume = try number(cols.volume, "Volume", price: false)
                guard volume >= 0 || volume.isNaN else {
                    throw MarketDataError(
                        code: .invalidNumber,
                        message: "volume must be >= 0, got \(text(fields[cols.volume]))",
                        source: source,
                        line: lineNumber,
                        column: "Volume"
                    )
                }
            }
            guard high >= low else {
                throw MarketDataError(
                    code: .highBelowLow,
                    message: "High \(text(fields[cols.high])) is below Low \(text(fields[cols.low]))",
                    source: source,
                    line: lineNumber,
                    column: "High"
                )
            }
            if options.adjust {
                let adj = try number(cols.adjClose, "Adj Close", price: true)
                let ratio = adj / close
                open *= ratio
                high *= ratio
                low *= ratio
                close = adj
            }
            if let last = t.last, ts <= last { sorted = false }
            t.append(ts)
            o.append(open)
            h.append(high)
            l.append(low)
            c.append(close)
            v.append(volume)
            lines.append(Int32(truncatingIfNeeded: lineNumber))
        }
        guard !t.isEmpty else {
            throw MarketDataError(code: .empty, message: "no bars after the header", source: source, line: lineNumber)
        }
        if !sorted {
            let order = t.indices.sorted { t[$0] < t[$1] }
            t = order.map { t[$0] }
            o = order.map { o[$0] }
            h = order.map { h[$0] }
            l = order.map { l[$0] }
            c = order.map { c[$0] }
            v = order.map { v[$0] }
            lines = order.map { lines[$0] }
        }
        for i in 1..<max(1, t.count) where t[i] == t[i - 1] {
            throw MarketDataError(
                code: .duplicateTimestamp,
                message: "duplicate timestamp \(Timestamp.format(t[i])) (also on line \(min(lines[i], lines[i - 1])))",
                source: source,
                line: Int(max(lines[i], lines[i - 1])),
                column: timeName
            )
        }
        do {
            return try Bars(timestamps: t, open: o, high: h, low: l, close: c, volume: v)
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
