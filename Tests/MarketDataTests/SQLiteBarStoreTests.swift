import BacktestEngine
import Foundation
import MarketData
import Testing

/// The imported store on a real SQLite file: import, replace, remove, range reads,
/// refused files, concurrent readers.
@Suite("SQLite bar store")
struct SQLiteBarStoreTests {
    @Test("import, read back, replace and remove round trip on a real file")
    func roundTrip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/nested/db.sqlite"
        let importer = BarImporter(store: try SQLiteBarStore(path: path))
        let csv = dailyCSV(count: 300) { 100 + Double($0) }
        let first = try importer.importCSV(Data(csv.utf8), ticker: "test", source: "file TEST.csv")
        #expect(first.replaced == 0)
        #expect(first.entry.ticker == "TEST")
        #expect(first.entry.count == 300)
        #expect(first.entry.first == Timestamp.parse("2021-01-04"))
        #expect(first.entry.source == "file TEST.csv")

        // A second store on the same file (another process, in effect) sees the data.
        let reader = try SQLiteBarStore(path: path)
        let all = try reader.bars(for: "Test", from: nil, through: nil)
        let parsed = try CSVBarsParser.parse(csv, source: "csv")
        #expect(all.bars == parsed)
        #expect(all.contentHash == first.entry.contentHash)
        #expect(all.contentHash == BarsDigest.hex(of: parsed))
        #expect(
            try reader.tickers() == [TickerSummary(ticker: "TEST", first: first.entry.first, last: first.entry.last, count: 300, source: "database")]
        )

        // A range reads exactly that range.
        let lo = try #require(Timestamp.parse("2021-02-01"))
        let hi = try #require(Timestamp.parse("2021-02-05"))
        let week = try reader.bars(for: "TEST", from: lo, through: hi)
        #expect(week.bars.timestamps == parsed.slice(from: lo, through: hi).timestamps)
        #expect(week.bars.count == 5)
        #expect(week.summary.count == 300)

        // Replace: new bars, new hash, cached range invalidated in the other store too.
        let second = try importer.importCSV(Data(dailyCSV(count: 20) { 50 + Double($0) }.utf8), ticker: "TEST", source: "upload")
        #expect(second.replaced == 300)
        #expect(second.entry.contentHash != first.entry.contentHash)
        let after = try reader.bars(for: "TEST", from: lo, through: hi)
        #expect(after.contentHash == second.entry.contentHash)
        #expect(after.bars.count == 0)
        #expect(try reader.bars(for: "TEST", from: nil, through: nil).bars.count == 20)
        #expect(try reader.catalog().map(\.source) == ["upload"])

        // Remove.
        #expect(try importer.store.remove(ticker: "test")?.count == 20)
        #expect(try importer.store.remove(ticker: "test") == nil)
        #expect(try reader.catalog().isEmpty)
        #expect(throws: MarketDataError.self) { try reader.bars(for: "TEST", from: nil, through: nil) }
        do {
            _ = try reader.bars(for: "TEST", from: nil, through: nil)
        } catch {
            #expect(error.code == .unknownTicker)
        }
    }

    @Test("a refused file imports nothing, names its line and keeps the previous series")
    func refusedFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let importer = BarImporter(store: try SQLiteBarStore(path: folder + "/db.sqlite"))
        let good = try importer.importCSV(Data(dailyCSV(count: 10) { 10 + Double($0) }.utf8), ticker: "T", source: "a")
        let bad = "Date,Open,High,Low,Close\n2021-01-04,1,2,0.5,1.5\n2021-01-05,1,2,0.5,1.5\n2021-01-06,1,0.5,2,1\n"
        do {
            _ = try importer.importCSV(Data(bad.utf8), ticker: "T", source: "b", name: "bad.csv")
            Issue.record("the bad file was accepted")
        } catch {
            #expect(error.code == .highBelowLow)
            #expect(error.line == 4)
            #expect(error.description.hasPrefix("bad.csv:4: column High:"))
        }
        let kept = try importer.store.bars(for: "T", from: nil, through: nil)
        #expect(kept.bars.count == 10)
        #expect(kept.contentHash == good.entry.contentHash)
        #expect(try importer.store.catalog().map(\.source) == ["a"])
        // A new ticker from a bad file does not appear at all.
        #expect(throws: MarketDataError.self) { try importer.importCSV(Data(bad.utf8), ticker: "NEW", source: "b") }
        #expect(try importer.store.entry(for: "NEW") == nil)
        #expect(throws: MarketDataError.self) {
            try importer.importCSV(Data(dailyCSV(count: 3) { Double($0 + 1) }.utf8), ticker: "../x", source: "b")
        }
    }

    @Test("a reader during re-imports sees the old series or the new one, never a mix")
    func concurrentReader() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/db.sqlite"
        let writer = BarImporter(store: try SQLiteBarStore(path: path))
        // Two versions: A has 3,000 bars all closing at 10, B has 1,000 bars closing at 20.
        let a = try CSVBarsParser.parse(dailyCSV(count: 3_000) { _ in 10 }, source: "a")
        let b = try CSVBarsParser.parse(dailyCSV(count: 1_000) { _ in 20 }, source: "b")
        try writer.importBars(a, ticker: "FLIP", source: "a")
        let hashes = [BarsDigest.hex(of: a): (3_000, 10.0), BarsDigest.hex(of: b): (1_000, 20.0)]
        let reader = try SQLiteBarStore(configuration: .init(path: path, cachedRanges: 0))

        let reads = Task.detached { () -> [String] in
            var problems: [String] = []
            for _ in 0..<400 {
                do {
                    let stored = try reader.bars(for: "FLIP", from: nil, through: nil)
                    guard let (count, close) = hashes[stored.contentHash] else {
                        problems.append("unknown hash")
                        continue
                    }
                    if stored.bars.count != count || stored.summary.count != count || stored.bars.close.contains(where: { $0 != close }) {
                        problems.append("mixed read: \(stored.bars.count) bars, summary \(stored.summary.count)")
                    }
                } catch {
                    problems.append("\(error)")
                }
            }
            return problems
        }
        for i in 0..<40 { try writer.importBars(i % 2 == 0 ? b : a, ticker: "FLIP", source: "flip") }
        let problems = await reads.value
        #expect(problems.isEmpty, "\(problems.prefix(3))")
    }

    @Test("content hash does not depend on where the bars came from")
    func digest() throws {
        let csv = dailyCSV(count: 5) { 1 + Double($0) }
        let a = try CSVBarsParser.parse(csv, source: "a")
        let b = try CSVBarsParser.parse(csv.replacingOccurrences(of: "\n", with: "\r\n"), source: "b")
        #expect(BarsDigest.hex(of: a) == BarsDigest.hex(of: b))
        let c = try CSVBarsParser.parse(dailyCSV(count: 5) { 1 + Double($0) + ($0 == 4 ? 0.01 : 0) }, source: "c")
        #expect(BarsDigest.hex(of: a) != BarsDigest.hex(of: c))
    }

    @Test("the layered store serves imported bars before the CSV folders and bundled set")
    func layered() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let imported = try SQLiteBarStore(path: folder + "/db.sqlite")
        try BarImporter(store: imported).importCSV(Data(dailyCSV(count: 30) { 5 + Double($0) }.utf8), ticker: "AAPL", source: "upload")
        let layered = LayeredBarStore([imported, CSVBarStore()])
        let aapl = try layered.bars(for: "aapl", from: nil, through: nil)
        #expect(aapl.bars.count == 30)
        #expect(aapl.summary.source == "database")
        #expect(try layered.bars(for: "MSFT", from: nil, through: nil).summary.source == "bundled")
        let list = try layered.tickers()
        #expect(list.map(\.ticker) == ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"])
        #expect(list.first?.source == "database")
        do {
            _ = try layered.bars(for: "ZZZZ", from: nil, through: nil)
            Issue.record("unknown ticker served")
        } catch {
            #expect(error.code == .unknownTicker)
            #expect(error.message.contains("7 tickers"))
        }
    }
}
