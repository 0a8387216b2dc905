import BacktestAPI
import BacktestEngine
import Foundation
import MarketData
import Testing

@testable import BacktestReport

@Suite("HTML reports")
struct HTMLReportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BacktestEngineTests/Fixtures/data")

    func report(_ strategy: String, _ params: [String: ParameterValue] = [:], file: String = "GOOG.csv", title: String = "t") throws -> HTMLReport {
        let bars = try CSVBarsParser.load(path: Self.fixtures.appendingPathComponent(file).path)
        let result = try Backtest(bars: bars).run(try StrategyCatalog.make(name: strategy, params: params))
        return HTMLReport(title: title, subtitle: "s", bars: bars, result: result, cash: 10_000)
    }

    @Test("the data is JSON with every bar, the equity, trades, indicators and statistics")
    func data() throws {
        let report = try report("macd_cross", ["allow_short": .bool(true)], file: "EURUSD.csv")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try report.data().utf8)) as? [String: Any])
        let bars = try #require(object["bars"] as? [String: [Any]])
        #expect(bars["time"]?.count == report.bars.count && bars["close"]?.count == report.bars.count)
        #expect((object["equity"] as? [Any])?.count == report.bars.count)
        #expect((object["trades"] as? [[String: Any]])?.count == report.result.trades.count)
        let indicators = try #require(object["indicators"] as? [[String: Any]])
        #expect(indicators.map { $0["panel"] as? String } == ["MACD", "MACD", "MACD"])
        #expect(indicators.last?["style"] as? String == "histogram")
        // NaN (the indicators' warm-up) is null, not a number.
        #expect((indicators[0]["values"] as? [Any])?.first is NSNull)
        let stats = try #require(object["stats"] as? [String: Any])
        #expect(stats["trades"] as? Int == report.result.statistics.trades)
    }

    @Test("the page: the template with the data in place of the placeholder, '<' escaped, the CSP kept")
    func page() throws {
        let page = try report("sma_cross", title: "</script><script>alert(1)</script>").html()
        #expect(!page.contains(HTMLReport.placeholder))
        #expect(!page.contains("</script><script>alert(1)"))
        #expect(page.contains("\\u003cscript>alert(1)"))
        #expect(page.contains("http-equiv=\"Content-Security-Policy\""))
        #expect(!page.contains("'unsafe-inline'"))
        #expect(!page.contains("src=\"http"))
        // Exactly one data block, and it parses back.
        let start = try #require(page.range(of: "<script id=\"report-data\" type=\"application/json\">"))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = String(page[start.upperBound..<end.lowerBound])
        #expect(
            (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["title"] as? String == "</script><script>alert(1)</script>"
        )
    }

    @Test("the template is installed and has exactly one placeholder")
    func template() throws {
        let template = try HTMLReport.template()
        #expect(template.components(separatedBy: HTMLReport.placeholder).count == 2)
        #expect(template.contains("uPlot"))
    }
}
