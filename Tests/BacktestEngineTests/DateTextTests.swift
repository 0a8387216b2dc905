import Testing

@testable import BacktestAPI
@testable import BacktestEngine

/// The fast date texts (`Timestamp.format`, `formatDate`, `Coverage.day`) held to the general
/// forms they replace on the common path.
@Suite struct DateTextTests {
    static func padded(_ t: Int64, time: Bool) -> String {
        let d = Timestamp.dayNumber(t)
        let (y, m, dd) = Timestamp.civil(days: d)
        return Timestamp.paddedFormat(year: y, month: m, day: dd, seconds: time ? Int(t - d * 86_400) : nil)
    }

    @Test func formatWritesWhatThePaddedFormGives() {
        let first: Int64 = -62_167_219_200  // 0000-01-01T00:00:00
        let last: Int64 = 253_402_300_799  // 9999-12-31T23:59:59
        var random = SplitMix64(seed: 23)
        let edges: [Int64] = [first, first - 1, last, last + 1, 0, -1, 86_399, 86_400, 951_782_400, 1_700_000_000]
        for t in edges + (0..<20_000).map({ _ in Int64.random(in: first - 86_400 * 800...last + 86_400 * 800, using: &random) }) {
            #expect(Timestamp.format(t) == Self.padded(t, time: true), "\(t)")
            #expect(Timestamp.formatDate(t) == Self.padded(t, time: false), "\(t)")
        }
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00")
        #expect(Timestamp.format(first) == "0000-01-01T00:00:00")
        #expect(Timestamp.format(last) == "9999-12-31T23:59:59")
        #expect(Timestamp.format(last + 1) == "10000-01-01T00:00:00")
        #expect(Timestamp.formatDate(first - 1) == "00-1-12-31")  // as it always was: zeros before the sign
    }

    @Test func coverageDayReadsAsTheGeneralReading() {
        var random = SplitMix64(seed: 25)
        let pieces = ["2020", "1999", "0000", "01", "12", "13", "00", "31", "32", "1", "-", "--", "T", "x", "é", "\u{301}", " ", "+5", "9"]
        var texts = ["2020-01-01", "2020-01-01T00:00:00", "2020-02-30", "2020-1-1", "2020-01-01\u{301}", "2020-01-0\u{301}1", "+202-01-01", ""]
        for _ in 0..<20_000 {
            texts.append((0..<Int.random(in: 0..<7, using: &random)).compactMap { _ in pieces.randomElement(using: &random) }.joined())
        }
        for _ in 0..<5_000 {
            let y = Int.random(in: 0...9999, using: &random)
            let m = Int.random(in: 0...13, using: &random)
            let d = Int.random(in: 0...32, using: &random)
            let year = String(y)
            let date =
                String(repeating: "0", count: 4 - year.count) + year + "-" + (m < 10 ? "0" : "") + String(m) + "-" + (d < 10 ? "0" : "") + String(d)
            texts.append(date + (["", "T12:00:00", "Z", "é", "\u{301}"].randomElement(using: &random) ?? ""))
        }
        var read = 0
        for text in texts {
            let day = Coverage.day(text)
            #expect(day == Coverage.generalDay(text), "\(text)")
            if day != nil { read += 1 }
        }
        #expect(read > 3_000)
        #expect(Coverage.day("1970-01-02") == 1)
    }
}
