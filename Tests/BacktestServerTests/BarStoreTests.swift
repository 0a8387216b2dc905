import BacktestEngine
import Foundation
import MarketData
import Testing

/// The CSV bar store: data folder over the bundled set, reloads, removals, bad symbols.
@Suite("Bar store")
struct BarStoreTests {
    func makeFolder() throws -> String {
        let dir = TestScratch.path("backtest-store")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("the data folder overrides a bundled ticker and removals fall back to it")
    func overrideAndRemove() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = CSVBarStore(configuration: .init(dataDirectory: dir))
        let bundled = try store.bars(for: "goog", from: nil, through: nil)
        #expect(bundled.summary.source == "bundled")
        #expect(bundled.bars.count == 2699)

        try ",Open,High,Low,Close\n2020-01-02,10,11,9,10.5\n2020-01-03,10.5,12,10,11\n2020-01-06,11,11.5,10.5,11.2\n"
            .write(toFile: dir + "/GOOG.csv", atomically: true, encoding: .utf8)
        let local = try store.bars(for: "GOOG", from: nil, through: nil)
        #expect(local.summary.source == "data-dir")
        #expect(local.bars.count == 3)
        #expect(local.contentHash != bundled.contentHash)
        let sliced = try store.bars(for: "GOOG", from: Timestamp.parse("2020-01-03"), through: nil)
        #expect(sliced.bars.count == 2)
        #expect(sliced.contentHash == local.contentHash)

        try FileManager.default.removeItem(atPath: dir + "/GOOG.csv")
        #expect(try store.bars(for: "GOOG", from: nil, through: nil).summary.source == "bundled")
    }

    @Test("a range asked again is the same bars, and a changed file's new ones")
    func cachedRanges() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = CSVBarStore(configuration: .init(dataDirectory: dir, includeSampleData: false))
        let path = dir + "/ABC.csv"
        try ",Open,High,Low,Close\n2020-01-02,10,11,9,10.5\n2020-01-03,10.5,12,10,11\n2020-01-06,11,11.5,10.5,11.2\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let start = Timestamp.parse("2020-01-03")
        let first = try store.bars(for: "ABC", from: start, through: nil)
        #expect(first.bars.close == [11, 11.2])
        #expect(try store.bars(for: "abc", from: start, through: nil).bars.close == first.bars.close)
        try ",Open,High,Low,Close\n2020-01-02,10,11,9,10.5\n2020-01-03,10.5,12,10,13\n2020-01-06,11,11.5,10.5,11.2\n2020-01-07,11,12,10,12\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let changed = try store.bars(for: "ABC", from: start, through: nil)
        #expect(changed.bars.close == [13, 11.2, 12])
        #expect(changed.contentHash != first.contentHash)
    }

    @Test("unknown and malformed tickers are refused with a clear error")
    func badTickers() throws {
        let store = CSVBarStore(configuration: .init(dataDirectory: nil))
        let unknown = #expect(throws: MarketDataError.self) { try store.bars(for: "QQQQ", from: nil, through: nil) }
        #expect(unknown?.code == .unknownTicker)
        #expect(unknown?.message.contains("7 tickers") == true)
        #expect(unknown?.message.contains("QQQQ.csv") == true)
        for bad in ["", "../GOOG", "GO/OG", ".hidden", String(repeating: "A", count: 33)] {
            let error = #expect(throws: MarketDataError.self) { try store.bars(for: bad, from: nil, through: nil) }
            #expect(error?.code == .invalidTicker, "\(bad)")
        }
    }

    @Test("a file without the bundled set is the only ticker")
    func onlyDataFolder() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "Date,Open,High,Low,Close,Volume\n2021-03-01,1,2,0.5,1.5,100\n2021-03-02,1.5,2,1,1.8,120\n"
            .write(toFile: dir + "/btc-usd.csv", atomically: true, encoding: .utf8)
        let store = CSVBarStore(configuration: .init(dataDirectory: dir, includeSampleData: false))
        let list = try store.tickers()
        #expect(list.map(\.ticker) == ["BTC-USD"])
        #expect(list.first?.count == 2)
        #expect(list.first?.first == Timestamp.parse("2021-03-01"))
    }
}
