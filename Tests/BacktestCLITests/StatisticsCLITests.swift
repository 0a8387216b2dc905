import Foundation
import Testing

/// Issue 25, part 3 through the command line: `backtest stats --explain` prints the one table of
/// statistic definitions; a search over several tickers flags a ticker whose data is short.
@Suite("statistics explained, coverage of multi-ticker searches")
struct StatisticsCLITests {
    @Test("stats --explain: every statistic with its name and definition, the few-trades ones marked; json and markdown forms")
    func explain() throws {
        let table = try CLI.run(["stats", "--explain"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        let sqn = try #require(lines.first { $0.hasPrefix("sqn ") })
        #expect(sqn.contains("SQN") && sqn.contains("*") && sqn.contains("System Quality Number"))
        let ret = try #require(lines.first { $0.hasPrefix("return_pct ") })
        #expect(!ret.contains("*") && ret.contains("Return [%]") && ret.contains("percent"))
        #expect(lines.last?.hasPrefix("* Means little on few trades") == true)

        let json = try CLI.run(["stats", "--explain", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["few_trades_threshold"] as? Int == 30)
        let stats = try #require(object["statistics"] as? [[String: Any]])
        #expect(stats.count == 32)
        #expect(stats.first?["key"] as? String == "start" && stats.last?["key"] as? String == "kelly_criterion")
        let few = Set(stats.filter { $0["few_trades"] as? Bool == true }.compactMap { $0["key"] as? String })
        #expect(few.isSuperset(of: ["sqn", "kelly_criterion", "profit_factor"]))
        #expect(!few.contains("return_pct") && !few.contains("trades"))
        #expect(stats.allSatisfy { ($0["definition"] as? String)?.isEmpty == false && ($0["name"] as? String)?.isEmpty == false })

        let markdown = try CLI.run(["stats", "--explain", "--format", "markdown"])
        #expect(markdown.stdout.hasPrefix("| key | name | definition | few trades |\n|---|---|---|---|\n"))
        #expect(markdown.stdout.split(separator: "\n").count == 2 + 32)
    }

    @Test("stats without --explain is a usage error naming it")
    func needsExplain() throws {
        let bare = try CLI.run(["stats"])
        #expect(bare.status == 2)
        #expect(bare.stdout.isEmpty)
        #expect(bare.stderr.contains("--explain"))
        let format = try CLI.run(["stats", "--explain", "--format", "yaml"])
        #expect(format.status == 2)
        #expect(format.stderr.contains("format"))
    }

    @Test("optimize --ticker AAPL,MSFT --local over 2015–2022: MSFT marked with its real window in the table, JSON and page")
    func searchCoverage() throws {
        let args = [
            "optimize", "--ticker", "AAPL,MSFT", "--local", "--strategy", "sma_cross", "--grid", "fast=5,10", "--grid", "slow=20,40",
            "--maximize", "sqn", "--start", "2015-01-01", "--end", "2022-12-31",
        ]
        let table = try CLI.run(args)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("MSFT*"))
        #expect(!table.stdout.contains("AAPL*"))
        #expect(table.stdout.contains("MSFT: data 2015-04-01 – 2021-03-31, asked 2015-01-01 – 2022-12-31"))

        let json = try CLI.run(args + ["--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let tickers = try #require(report["tickers"] as? [[String: Any]])
        let short = tickers.map { (($0["coverage"] as? [String: Any])?["short"] as? Bool) }
        #expect(short == [false, true])
        #expect((tickers[1]["coverage"] as? [String: Any])?["last_bar"] as? String == "2021-03-31T00:00:00")

        let html = NSTemporaryDirectory() + "search-coverage-\(UUID().uuidString).html"
        defer { try? FileManager.default.removeItem(atPath: html) }
        let page = try CLI.run(args + ["--html", html])
        #expect(page.status == 0, "\(page.stderr)")
        let text = try String(contentsOfFile: html, encoding: .utf8)
        #expect(text.contains(#""coverage_notes":{"MSFT":"MSFT: data 2015-04-01 – 2021-03-31, asked 2015-01-01 – 2022-12-31"}"#))
        #expect(text.contains(#""definitions":{"few_trades_note":"#))
    }

    @Test("optimize --ticker AAPL,MSFT on the (embedded) server: the same mark and footnote from the server's report")
    func serverSearchCoverage() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["BACKTEST_URL"] == nil, env["BACKTEST_DISCOVER"] == nil else { return }
        let table = try CLI.run([
            "optimize", "--ticker", "AAPL,MSFT", "--strategy", "sma_cross", "--grid", "fast=5,10", "--grid", "slow=20,40",
            "--maximize", "sqn", "--start", "2015-01-01", "--end", "2022-12-31",
        ])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("MSFT*") && !table.stdout.contains("AAPL*"))
        #expect(table.stdout.contains("MSFT: data 2015-04-01 – 2021-03-31, asked 2015-01-01 – 2022-12-31"))
    }
}
