import BacktestAPI
import Foundation
import Testing

/// ``Coverage``: the window a result covers against the one asked for (issue 25).
@Suite("coverage")
struct CoverageTests {
    @Test("a start on the next trading day is on time; MSFT's bundled data ending 2021-03-31 is flagged")
    func flags() {
        let full = Coverage(requestedStart: "2015-01-01", requestedEnd: "2022-12-31", firstBar: "2015-01-02T00:00:00", lastBar: "2022-12-30T00:00:00")
        #expect(full.lateDays == 1)
        #expect(full.earlyDays == 0)
        #expect(!full.isShort)
        let msft = Coverage(requestedStart: "2015-01-01", requestedEnd: "2022-12-31", firstBar: "2015-01-02T00:00:00", lastBar: "2021-03-31T00:00:00")
        #expect(msft.isShort)
        #expect(msft.earlyDays > 400)
        #expect(msft.footnote("MSFT") == "MSFT: data 2015-01-02 – 2021-03-31, asked 2015-01-01 – 2022-12-31")
    }

    @Test("five trading days late is tolerated, six is flagged; weekends do not count")
    func tolerance() {
        // 2020-01-06 is a Monday: a first bar on Monday 2020-01-13 is 5 weekdays late.
        let five = Coverage(requestedStart: "2020-01-06", requestedEnd: nil, firstBar: "2020-01-13T00:00:00", lastBar: "2020-12-31T00:00:00")
        #expect(five.lateDays == 5)
        #expect(!five.isShort)
        let six = Coverage(requestedStart: "2020-01-06", requestedEnd: nil, firstBar: "2020-01-14T00:00:00", lastBar: "2020-12-31T00:00:00")
        #expect(six.lateDays == 6)
        #expect(six.isShort)
        // Asked to end on Sunday 2020-12-27, data to Friday 2020-12-25: no trading day missed.
        let weekend = Coverage(requestedStart: nil, requestedEnd: "2020-12-27", firstBar: "2020-01-02T00:00:00", lastBar: "2020-12-25T00:00:00")
        #expect(weekend.earlyDays == 0)
        #expect(weekend.footnote("X") == "X: data 2020-01-02 – 2020-12-25, asked … – 2020-12-27")
    }

    @Test("unreadable dates or no request flag nothing; the JSON keys are snake_case")
    func edges() throws {
        let open = Coverage(requestedStart: nil, requestedEnd: nil, firstBar: "2020-01-02T00:00:00", lastBar: "2020-12-31T00:00:00", bars: 252)
        #expect(!open.isShort)
        let garbage = Coverage(requestedStart: "yesterday", requestedEnd: "2020-13-40", firstBar: "2020-01-02", lastBar: "2020-12-31")
        #expect(garbage.lateDays == 0 && garbage.earlyDays == 0)
        let json = String(decoding: try JSONEncoder().encode(open), as: UTF8.self)
        #expect(json.contains("\"first_bar\"") && json.contains("\"last_bar\"") && json.contains("\"bars\":252"))
        #expect(try JSONDecoder().decode(Coverage.self, from: Data(json.utf8)) == open)
    }
}
