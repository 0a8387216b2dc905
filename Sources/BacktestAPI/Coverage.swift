import BacktestEngine
import Foundation

/// The window a result actually covers against the one requested: a ticker whose data starts
/// after the requested start or ends before the requested end covers less, and its statistics
/// are not comparable with a full window's.
///
/// ```swift
/// let coverage = Coverage(requestedStart: "2015-01-01", requestedEnd: "2022-12-31",
///                         firstBar: "2015-01-02T00:00:00", lastBar: "2021-03-31T00:00:00")
/// coverage.isShort            // true: it ends 459 trading days early
/// coverage.footnote("MSFT")   // "MSFT: data 2015-01-02 – 2021-03-31, asked 2015-01-01 – 2022-12-31"
/// ```
public struct Coverage: Sendable, Hashable, Codable {
    /// The requested first date (`YYYY-MM-DD`), when one was given.
    public var requestedStart: String?
    /// The requested last date, when one was given.
    public var requestedEnd: String?
    /// The first bar's date-time.
    public var firstBar: String
    /// The last bar's date-time.
    public var lastBar: String
    /// Bars in the window, when known.
    public var bars: Int?

    /// A window shorter than this many trading days (weekdays) at either end is flagged.
    public static let toleranceDays = 5

    /// Creates a coverage.
    public init(requestedStart: String?, requestedEnd: String?, firstBar: String, lastBar: String, bars: Int? = nil) {
        self.requestedStart = requestedStart
        self.requestedEnd = requestedEnd
        self.firstBar = firstBar
        self.lastBar = lastBar
        self.bars = bars
    }

    /// The coverage of `bars` (the window a run used) against the requested dates.
    public init(requestedStart: String?, requestedEnd: String?, bars: Bars) {
        self.init(
            requestedStart: requestedStart,
            requestedEnd: requestedEnd,
            firstBar: Timestamp.format(bars.timestamps.first ?? 0),
            lastBar: Timestamp.format(bars.timestamps.last ?? 0),
            bars: bars.count
        )
    }

    enum CodingKeys: String, CodingKey {
        case bars, short
        case requestedStart = "requested_start"
        case requestedEnd = "requested_end"
        case firstBar = "first_bar"
        case lastBar = "last_bar"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requestedStart = try c.decodeIfPresent(String.self, forKey: .requestedStart)
        requestedEnd = try c.decodeIfPresent(String.self, forKey: .requestedEnd)
        firstBar = try c.decode(String.self, forKey: .firstBar)
        lastBar = try c.decode(String.self, forKey: .lastBar)
        bars = try c.decodeIfPresent(Int.self, forKey: .bars)
    }

    /// Encodes the window and `short` (``isShort``).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(requestedStart, forKey: .requestedStart)
        try c.encodeIfPresent(requestedEnd, forKey: .requestedEnd)
        try c.encode(firstBar, forKey: .firstBar)
        try c.encode(lastBar, forKey: .lastBar)
        try c.encodeIfPresent(bars, forKey: .bars)
        try c.encode(isShort, forKey: .short)
    }

    /// Trading days (weekdays) from the requested start to the day before the first bar; 0
    /// without a requested start or when the data starts on time.
    public var lateDays: Int {
        guard let requestedStart, let from = Self.day(requestedStart), let to = Self.day(firstBar) else { return 0 }
        return Self.weekdays(from: from, to: to)
    }

    /// Trading days (weekdays) from the day after the last bar to the requested end; 0 without
    /// a requested end or when the data reaches it.
    public var earlyDays: Int {
        guard let requestedEnd, let from = Self.day(lastBar), let to = Self.day(requestedEnd) else { return 0 }
        return Self.weekdays(from: from + 1, to: to + 1)
    }

    /// Whether the data starts more than ``toleranceDays`` trading days late or ends more than
    /// that early.
    public var isShort: Bool { lateDays > Self.toleranceDays || earlyDays > Self.toleranceDays }

    /// `MSFT: data 2015-01-02 – 2021-03-31, asked 2015-01-01 – 2022-12-31` (an open end of
    /// the request reads `…`).
    public func footnote(_ ticker: String) -> String {
        "\(ticker): data \(firstBar.prefix(10)) – \(lastBar.prefix(10)), asked \(requestedStart?.prefix(10) ?? "…") – \(requestedEnd?.prefix(10) ?? "…")"
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD…` text.
    static func day(_ text: String) -> Int? {
        // The common form, eight ASCII digits in place, read from the bytes (the general reading
        // below was 3 % of a server's batch call: BENCHMARKS.md, "Sixth round").
        if let day = text.utf8.withContiguousStorageIfAvailable(plainDay) ?? nil { return day }
        return generalDay(text)
    }

    /// The day of `YYYY-MM-DD` followed by nothing or by a byte below 0x80 (one that cannot
    /// join the tenth character into a longer one); `nil` for anything else.
    static func plainDay(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes.count == 10 || bytes[10] < 0x80 else {
            return nil
        }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                let b = bytes[i]
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            return value
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), (1...12).contains(m), (1...31).contains(d) else {
            return nil
        }
        return Int(Timestamp.days(year: y, month: m, day: d))
    }

    /// Days since 1970-01-01 of the first ten characters split at `-` (three numbers: year,
    /// month 1...12, day 1...31).
    static func generalDay(_ text: String) -> Int? {
        let parts = text.prefix(10).split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        return Int(Timestamp.days(year: y, month: m, day: d))
    }

    /// Weekdays in the days `from..<to` (days since 1970-01-01, a Thursday); 0 when `to <= from`.
    static func weekdays(from: Int, to: Int) -> Int {
        guard to > from else { return 0 }
        func before(_ day: Int) -> Int {
            // Weekdays in 0..<day, counting from Monday 1970-01-05 (day 4) in whole weeks.
            let shifted = day + 3  // day 0 is a Thursday: shift so that day -3 (a Monday) is 0
            let weeks = shifted >= 0 ? shifted / 7 : (shifted - 6) / 7
            let rest = shifted - weeks * 7
            return weeks * 5 + min(rest, 5)
        }
        return before(to) - before(from)
    }
}
