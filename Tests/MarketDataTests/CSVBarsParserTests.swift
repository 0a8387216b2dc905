import BacktestEngine
import Foundation
import MarketData
import Testing

@Suite("CSV loading")
struct CSVBarsParserTests {
    func parse(_ text: String, adjust: Bool = false) throws(MarketDataError) -> Bars {
        try CSVBarsParser.parse(text, source: "t.csv", options: .init(adjust: adjust))
    }

    func failure(_ text: String) -> MarketDataError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func backtestingPyLayout() throws {
        let bars = try parse(
            ",Open,High,Low,Close,Volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n2004-08-20,101.01,109.08,100.5,108.31,11428600\n"
        )
        #expect(bars.count == 2)
        #expect(bars.close == [100.34, 108.31])
        #expect(Timestamp.format(bars.timestamps[0]) == "2004-08-19T00:00:00")
        #expect(bars.volume[1] == 11_428_600)
    }

    @Test func yahooLayoutWithDateTimesAndCRLF() throws {
        let text =
            "Date,Open,High,Low,Close,Adj Close,Volume\r\n2017-04-19 09:00:00,1.0716,1.0722,1.07083,1.07219,1.07,1413\r\n2017-04-19T10:00:00,1.07214,1.07296,1.07214,1.0726,1.07,1241\r\n"
        let bars = try parse(text)
        #expect(bars.count == 2)
        #expect(bars.timestamps[1] - bars.timestamps[0] == 3600)
        let adjusted = try parse(text, adjust: true)
        #expect(adjusted.close[0] == 1.07)
        #expect(abs(adjusted.open[0] - 1.0716 * 1.07 / 1.07219) < 1e-15)
    }

    @Test func optionalVolumeAndBOM() throws {
        let bars = try parse("\u{FEFF}Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n")
        #expect(bars.count == 1)
        #expect(bars.volume[0].isNaN)
    }

    @Test func unsortedRowsAreSorted() throws {
        let bars = try parse("Date,Open,High,Low,Close\n2020-01-03,2,2,2,2\n2020-01-01,1,1,1,1\n2020-01-02,3,3,3,3\n")
        #expect(bars.close == [1, 3, 2])
    }

    @Test func missingColumn() {
        let e = failure("Date,Open,High,Close\n2020-01-01,1,1,1\n")
        #expect(e?.code == .missingColumn)
        #expect(e?.column == "Low")
        #expect(e?.line == 1)
        #expect(e?.description.contains("t.csv:1") == true)
    }

    @Test func shortRow() {
        let e = failure("Date,Open,High,Low,Close\n2020-01-01,1,1,1,1\n2020-01-02,1,1\n")
        #expect(e?.code == .missingColumn)
        #expect(e?.line == 3)
    }

    @Test func unparsableNumber() {
        let e = failure("Date,Open,High,Low,Close\n2020-01-01,1,1,1,1\n2020-01-02,1,abc,1,1\n")
        #expect(e?.code == .invalidNumber)
        #expect(e?.line == 3)
        #expect(e?.column == "High")
        #expect(e?.message.contains("abc") == true)
    }

    @Test func emptyValue() {
        let e = failure("Date,Open,High,Low,Close\n2020-01-01,1,,1,1\n")
        #expect(e?.code == .invalidNumber)
        #expect(e?.column == "High")
    }

    @Test(arguments: ["2020-13-01", "2020-02-30", "01/02/2020", "yesterday", "2020-01-01X"])
    func unparsableDate(_ date: String) {
        let e = failure("Date,Open,High,Low,Close\n\(date),1,1,1,1\n")
        #expect(e?.code == .invalidDate)
        #expect(e?.line == 2)
        #expect(e?.column == "Date")
    }

    @Test(arguments: ["nan", "NaN", "-1", "0", "inf"])
    func badPrices(_ price: String) {
        let e = failure(",Open,High,Low,Close\n2020-01-01,1,2,1,1\n2020-01-02,1,2,1,\(price)\n")
        #expect(e?.code == .invalidPrice)
        #expect(e?.line == 3)
        #expect(e?.column == "Close")
    }

    @Test func highBelowLow() {
        let e = failure("Date,Open,High,Low,Close\n2020-01-01,1,1,2,1\n")
        #expect(e?.code == .highBelowLow)
        #expect(e?.line == 2)
    }

    @Test func duplicateTimestamps() {
        let e = failure("Date,Open,High,Low,Close\n2020-01-01,1,1,1,1\n2020-01-02,1,1,1,1\n2020-01-01,1,1,1,1\n")
        #expect(e?.code == .duplicateTimestamp)
        #expect(e?.line == 4)
        #expect(e?.message.contains("line 2") == true)
    }

    @Test func emptyInputs() {
        #expect(failure("")?.code == .empty)
        #expect(failure("Date,Open,High,Low,Close\n")?.code == .empty)
    }

    @Test func negativeVolume() {
        #expect(failure("Date,Open,High,Low,Close,Volume\n2020-01-01,1,1,1,1,-5\n")?.column == "Volume")
    }

    @Test func unreadableFile() {
        #expect(throws: MarketDataError.self) { try CSVBarsParser.load(path: "/nonexistent/x.csv") }
    }

    @Test func bundledSampleLoads() throws {
        let dir = try #require(BundledData.sampleDirectory)
        for ticker in ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"] {
            let bars = try CSVBarsParser.load(path: dir.appendingPathComponent("\(ticker).csv").path)
            #expect(bars.count > 1000, "\(ticker)")
        }
    }
}
