import BacktestEngine
import Foundation
import MarketData
import Testing

/// Suspicious-bar warnings and intraday data through the store and the engine.
@Suite("Quality and intraday")
struct QualityAndIntradayTests {
    @Test("gaps of more than N trading days and large one-bar moves are reported")
    func warnings() throws {
        let csv = """
            Date,Open,High,Low,Close
            2021-01-04,10,11,9,10
            2021-01-05,10,11,9,10
            2021-01-15,10,11,9,10
            2021-01-18,10,11,9,10
            2021-01-19,4,5,4,4.5
            2021-01-20,4,5,4,4.6
            2021-01-25,4,5,4,4.6
            """
        let bars = try CSVBarsParser.parse(csv, source: "q")
        let report = BarQualityCheck().report(for: bars)
        #expect(report.warnings.map(\.code) == [.gap, .largeMove])
        #expect(report.warnings[0].message.contains("gap of 7 trading days"))
        #expect(report.warnings[0].message.contains("2021-01-05 and 2021-01-15"))
        #expect(report.warnings[1].message.contains("-55.0%"))
        #expect(report.warnings[1].message.contains("2021-01-19"))
        // Weekends are never gaps; a threshold of 1 also catches the 2 weekdays missing before 01-25.
        let strict = BarQualityCheck(configuration: .init(maxGapTradingDays: 1, maxMove: 0.5, maxListed: 1)).report(for: bars)
        #expect(strict.total == 3)
        #expect(strict.warnings.count == 1)
    }

    @Test("the bundled daily files are clean and the EURUSD hourly file has no false gaps")
    func cleanData() throws {
        for name in ["GOOG.csv", "EURUSD.csv"] {
            let path = try #require(BundledData.benchmarkFile(name)).path
            let report = BarQualityCheck().report(for: try CSVBarsParser.load(path: path))
            #expect(report.total == 0, "\(name): \(report.warnings.prefix(3))")
        }
    }

    @Test("hourly bars: import, store, range query by time of day and a backtest equal to the one on the file")
    func intradayBacktest() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try #require(BundledData.benchmarkFile("EURUSD.csv")).path
        let data = try #require(FileManager.default.contents(atPath: path))
        let importer = BarImporter(store: try SQLiteBarStore(path: folder + "/db.sqlite"))
        let result = try importer.importCSV(data, ticker: "EURUSD", source: "file EURUSD.csv")
        #expect(result.entry.count == 5_000)
        #expect(result.entry.first == Timestamp.parse("2017-04-19T09:00"))

        // A range that starts and ends inside a day.
        let lo = try #require(Timestamp.parse("2017-05-02T10:00"))
        let hi = try #require(Timestamp.parse("2017-05-03T15:30"))
        let window = try importer.store.bars(for: "eurusd", from: lo, through: hi)
        #expect(window.bars.timestamps.first == lo)
        #expect(window.bars.timestamps.last == Timestamp.parse("2017-05-03T15:00"))
        #expect(window.bars.timestamps.allSatisfy { $0 % 3_600 == 0 })

        let fromFile = try CSVBarsParser.parse(data, source: path)
        let stored = try importer.store.bars(for: "EURUSD", from: nil, through: nil).bars
        #expect(stored == fromFile)
        let settings = BacktestSettings(cash: 10_000, commission: .init(relative: 0.0002))
        let strategy = try StrategyCatalog.make(name: "sma_cross", params: ["fast": .number(10), "slow": .number(30)])
        let a = try Backtest(bars: stored, settings: settings).run(strategy)
        let b = try Backtest(bars: fromFile, settings: settings).run(strategy)
        // Statistics hold NaNs (undefined ratios), so compare their printed form.
        #expect(String(describing: a.statistics) == String(describing: b.statistics))
        #expect(a.statistics.trades > 0)
        // Hourly period rules: the data period is one hour.
        #expect(a.statistics.dataPeriodSeconds == 3_600)
    }
}
