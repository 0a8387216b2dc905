/// Calendar helpers for timestamps stored as seconds since 1970-01-01 (proleptic Gregorian,
/// no time zone), without Foundation.
public enum Timestamp {
    /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    @inlinable
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number.
    @inlinable
    public static func civil(days z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// Floor division of seconds into days.
    @inlinable
    public static func dayNumber(_ t: Int64) -> Int64 {
        t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
    }

    /// Day of week with Monday = 0 ... Sunday = 6 (pandas' `dayofweek`).
    @inlinable
    public static func weekday(_ t: Int64) -> Int {
        let d = dayNumber(t)
        return Int(((d + 3) % 7 + 7) % 7)
    }

    /// Formats as `YYYY-MM-DDTHH:MM:SS` (a year outside 0...9999 as
    /// ``paddedFormat(year:month:day:seconds:)`` writes it).
    public static func format(_ t: Int64) -> String {
        let d = dayNumber(t)
        let (y, m, dd) = civil(days: d)
        let s = Int(t - d * 86_400)
        guard (0...9999).contains(y) else { return paddedFormat(year: y, month: m, day: dd, seconds: s) }
        // The bytes written straight (the interpolation of six padded numbers was 3 % of a
        // server's batch call: BENCHMARKS.md, "Sixth round").
        return String(unsafeUninitializedCapacity: 19) { text in
            writeDate(year: y, month: m, day: dd, into: text)
            text[10] = UInt8(ascii: "T")
            writeTwoDigits(s / 3600, into: text, at: 11)
            text[13] = UInt8(ascii: ":")
            writeTwoDigits(s / 60 % 60, into: text, at: 14)
            text[16] = UInt8(ascii: ":")
            writeTwoDigits(s % 60, into: text, at: 17)
            return 19
        }
    }

    /// Formats as `YYYY-MM-DD`.
    public static func formatDate(_ t: Int64) -> String {
        let (y, m, dd) = civil(days: dayNumber(t))
        guard (0...9999).contains(y) else { return paddedFormat(year: y, month: m, day: dd, seconds: nil) }
        return String(unsafeUninitializedCapacity: 10) { text in
            writeDate(year: y, month: m, day: dd, into: text)
            return 10
        }
    }

    /// `format` or (without `seconds`) `formatDate` of any year: each field's decimal text
    /// padded in front with zeros to its width (the year to 4; a year of -1 is `00-1`).
    static func paddedFormat(year y: Int, month m: Int, day dd: Int, seconds s: Int?) -> String {
        let date = "\(pad(y, 4))-\(pad(m, 2))-\(pad(dd, 2))"
        guard let s else { return date }
        return date + "T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))"
    }

    /// `YYYY-MM-DD` at the start of `text` (a year in 0...9999).
    private static func writeDate(year: Int, month: Int, day: Int, into text: UnsafeMutableBufferPointer<UInt8>) {
        writeTwoDigits(year / 100, into: text, at: 0)
        writeTwoDigits(year % 100, into: text, at: 2)
        text[4] = UInt8(ascii: "-")
        writeTwoDigits(month, into: text, at: 5)
        text[7] = UInt8(ascii: "-")
        writeTwoDigits(day, into: text, at: 8)
    }

    /// `value` (0...99) as two digits at `offset`.
    private static func writeTwoDigits(_ value: Int, into text: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        text[offset] = UInt8(truncatingIfNeeded: 0x30 + value / 10)
        text[offset + 1] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
    }

    /// Parses `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.fff]]`, and
    /// an optional `Z` or `+00:00` suffix (other offsets are converted to UTC).
    /// Returns `nil` when the text is not such a date.
    public static func parse<S: StringProtocol>(_ text: S) -> Int64? {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0D { bytes.removeLast() }
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        return bytes.withUnsafeBufferPointer { parse(bytes: UnsafeBufferPointer(rebasing: $0[start...])) }
    }

    /// Parses a timestamp from raw UTF-8 bytes; see ``parse(_:)``.
    public static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(0x2D), let m = digits(2), expect(0x2D), let d = digits(2) else { return nil }
        guard (1...12).contains(m), d >= 1, d <= daysInMonth(year: y, month: m) else { return nil }
        var seconds = days(year: y, month: m, day: d) * 86_400
        if i == b.count { return seconds }
        guard b[i] == 0x54 || b[i] == 0x20 else { return nil }
        i += 1
        guard let hh = digits(2), expect(0x3A), let mm = digits(2), hh < 24, mm < 60 else { return nil }
        var ss = 0
        if expect(0x3A) {
            guard let s = digits(2), s < 60 else { return nil }
            ss = s
            if expect(0x2E) {  // fractional seconds are accepted and dropped
                let before = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                guard i > before else { return nil }
            }
        }
        seconds += Int64(hh * 3600 + mm * 60 + ss)
        if i == b.count { return seconds }
        if b[i] == 0x5A { return i + 1 == b.count ? seconds : nil }
        guard b[i] == 0x2B || b[i] == 0x2D else { return nil }
        let sign: Int64 = b[i] == 0x2B ? 1 : -1
        i += 1
        guard let oh = digits(2) else { return nil }
        _ = expect(0x3A)
        guard let om = digits(2), i == b.count else { return nil }
        return seconds - sign * Int64(oh * 3600 + om * 60)
    }

    @inlinable
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
