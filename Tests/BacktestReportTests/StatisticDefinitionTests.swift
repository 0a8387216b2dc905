import BacktestAPI
import BacktestEngine
import Foundation
import Testing

@testable import BacktestReport

/// The one table of statistic definitions (issue 25, part 3): it covers every statistic the
/// product reports, the pages get it from their data (never a copy in their scripts), its
/// names are the pages' labels, and `docs/statistics.md` carries it verbatim.
@Suite("statistic definitions")
struct StatisticDefinitionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test("one definition per key of the statistics object, in its order; each with a name and a line that names its unit")
    func coversEveryStatistic() throws {
        let encoded = try JSONEncoder().encode(Statistics())
        let keys = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any]).keys
        #expect(Set(keys) == Set(StatisticDefinition.all.map(\.key)))
        #expect(StatisticDefinition.all.map(\.key) == ["start", "end"] + StatisticKey.all.map(\.name))
        #expect(Set(StatisticDefinition.all.map(\.key)).count == StatisticDefinition.all.count)
        for d in StatisticDefinition.all {
            #expect(!d.name.isEmpty && d.definition.hasSuffix("."), "\(d.key)")
            #expect(!d.definition.contains("\n") && d.definition.count <= 130, "\(d.key): one short line")
        }
        for key in StatisticKey.all { #expect(key.definition.key == key.name && !key.definition.definition.isEmpty) }
        // A statistic in percent says so; a duration says days.
        for d in StatisticDefinition.all where d.key.hasSuffix("_pct") { #expect(d.definition.contains("percent"), "\(d.key)") }
        for d in StatisticDefinition.all where d.key.hasSuffix("_days") { #expect(d.definition.contains("days"), "\(d.key)") }
    }

    @Test("SQN, Kelly and profit factor, and the trade averages and win rate, are marked as meaning little on few trades")
    func fewTrades() {
        let few = Set(StatisticDefinition.all.filter(\.fewTrades).map(\.key))
        #expect(few == ["sqn", "kelly_criterion", "profit_factor", "win_rate_pct", "expectancy_pct", "avg_trade_pct"])
        #expect(StatisticDefinition.fewTradesNote.contains("\(StatisticDefinition.fewTradesThreshold)"))
    }

    @Test("each page's data carries the table; the page templates hold no definition of their own")
    func pagesCarryTheTable() throws {
        let expected = try Self.object(StatisticDefinition.pageJSON)
        let statistics = try #require(expected["statistics"] as? [String: [String: Any]])
        #expect(statistics.count == StatisticDefinition.all.count)
        #expect(statistics["sqn"]?["few_trades"] as? Bool == true)
        #expect(statistics["return_pct"]?["definition"] as? String == StatisticDefinition.named("return_pct")?.definition)

        let bars = try Bars(
            timestamps: (0..<60).map { 1_577_836_800 + Int64($0) * 86_400 },
            open: (0..<60).map { 100 + Double($0 % 9) },
            high: (0..<60).map { 101 + Double($0 % 9) },
            low: (0..<60).map { 99 + Double($0 % 9) },
            close: (0..<60).map { 100 + Double($0 % 9) }
        )
        let result = try Backtest(bars: bars).run(try StrategyCatalog.make(name: "sma_cross", params: ["fast": .number(3), "slow": .number(8)]))
        let datas = [
            try HTMLReport(title: "t", bars: bars, result: result, cash: 10_000).data(),
            try BatchPage(title: "b", rows: [BatchPage.Row(ticker: "X", statistics: result.statistics, equity: result.equity)]).data(),
        ]
        for data in datas {
            let definitions = try #require(try Self.object(data)["definitions"] as? [String: Any])
            #expect(definitions["few_trades_note"] as? String == StatisticDefinition.fewTradesNote)
            #expect(NSDictionary(dictionary: definitions).isEqual(to: expected))
        }
        for template in ReportTemplate.allCases {
            let text = try template.text()
            for d in StatisticDefinition.all {
                #expect(!text.contains(d.definition), "\(template.rawValue).html repeats the definition of \(d.key)")
            }
            #expect(!text.contains(StatisticDefinition.fewTradesNote))
        }
    }

    @Test("the names are the labels the pages show (lib/stats.js in every page)")
    func namesAreThePagesLabels() throws {
        for template in [ReportTemplate.backtest, .optimization, .batch, .portfolio] {
            let text = try template.text()
            for d in StatisticDefinition.all {
                let label = d.name.replacingOccurrences(of: "'", with: "\\'")
                #expect(text.contains("['\(d.key)', '\(label)'"), "\(template.rawValue).html: \(d.key) is not labelled '\(d.name)'")
            }
            #expect(text.contains("useDefinitions(") && text.contains("statTitle("))
        }
    }

    @Test("docs/statistics.md carries the table exactly (regenerate: backtest stats --explain --format markdown)")
    func docsMatchTheTable() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/statistics.md"), encoding: .utf8)
        let begin = "<!-- statistics table: generated by `backtest stats --explain --format markdown` -->\n"
        let end = "<!-- end of the statistics table -->"
        let start = try #require(docs.range(of: begin), "docs/statistics.md lacks the table's opening marker")
        let stop = try #require(docs.range(of: end, range: start.upperBound..<docs.endIndex))
        #expect(String(docs[start.upperBound..<stop.lowerBound]) == StatisticDefinition.markdownTable())
        #expect(docs.contains(StatisticDefinition.fewTradesNote))
    }
}
