import Foundation
import Testing

/// `backtest optimize --portfolio FILE`: on a server by default (an embedded one when none is
/// configured), in this process with `--local`; the same winner either way.
@Suite("backtest optimize --portfolio")
struct PortfolioSearchCLITests {
    static let portfolio =
        #"{"tickers":["AAPL","MSFT","NVDA","GOOG"],"start":"2016-01-01","end":"2020-12-31","allocation":{"type":"momentum","lookback":60,"top_k":2},"schedule":{"type":"monthly"},"commission":0.001}"#

    /// A temporary file holding `text`; the caller removes it.
    static func file(_ text: String, _ suffix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-search-\(UUID().uuidString)\(suffix)")
        try Data(text.utf8).write(to: url)
        return url
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// No server configured: the CLI resolves none and starts an embedded one.
    static var embedded: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["BACKTEST_URL"] == nil && env["BACKTEST_DISCOVER"] == nil
    }

    @Test("on the (embedded) server: the in-process search's winner, the table, the server's heatmap CSV and page")
    func remoteMatchesLocal() throws {
        guard Self.embedded else { return }
        let request = try Self.file(Self.portfolio, ".json")
        let heatmap = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-heatmap-\(UUID().uuidString).csv")
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-search-\(UUID().uuidString).html")
        defer {
            for url in [request, heatmap, page] { try? FileManager.default.removeItem(at: url) }
        }
        let search = ["optimize", "--portfolio", request.path, "--grid", "lookback=20..120:20", "--grid", "top=1..3:1", "--top", "3"]

        let remote = try CLI.run(search + ["--format", "json", "--heatmap", heatmap.path, "--html", page.path])
        #expect(remote.status == 0, "\(remote.stderr)")
        #expect(remote.stderr.contains("started an embedded one"), "\(remote.stderr)")
        let local = try CLI.run(search + ["--format", "json", "--local"])
        #expect(local.status == 0, "\(local.stderr)")
        let got = try Self.json(remote.stdout)
        let expected = try Self.json(local.stdout)
        #expect(got["combinations"] as? Int == 18 && got["evaluated"] as? Int == 18)
        #expect((got["objective"] as? [String: Any])?["statistic"] as? String == "sharpe_ratio")
        let best = try #require(got["best"] as? [String: Any])
        let localBest = try #require(expected["best"] as? [String: Any])
        let params = try #require(best["params"] as? [String: Int])
        #expect(Set(params.keys) == ["lookback", "top"])
        #expect(params == localBest["params"] as? [String: Int])
        let objective = try #require(best["objective"] as? Double)
        #expect(objective.isFinite && objective == localBest["objective"] as? Double)
        let stats = try #require(best["stats"] as? [String: Any])
        #expect(stats["return_pct"] as? Double == (localBest["stats"] as? [String: Any])?["return_pct"] as? Double)
        #expect((got["top"] as? [Any])?.count == 3)
        // All of it the same as this process's search (its robustness block too), but the time.
        var remoteReport = got
        var localReport = expected
        remoteReport["seconds"] = nil
        localReport["seconds"] = nil
        #expect(got["robustness"] != nil && NSDictionary(dictionary: remoteReport).isEqual(to: localReport))

        let csv = try String(contentsOf: heatmap, encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "lookback,top,sharpe_ratio,trades" && csv.count == 19, "\(csv.prefix(3))")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("portfolio (momentum) on AAPL, MSFT, NVDA, GOOG"))

        let table = try CLI.run(search)
        #expect(table.status == 0, "\(table.stderr)")
        let lookback = params["lookback"] ?? 0
        let top = params["top"] ?? 0
        #expect(table.stdout.hasPrefix("AAPL,MSFT,NVDA,GOOG: 18 combinations, 18 admissible, 18 run in "), "\(table.stdout.prefix(200))")
        #expect(table.stdout.contains("best: lookback=\(lookback) top=\(top)  sharpe_ratio = "))
        #expect(table.stdout.contains("portfolio (momentum)(lookback=\(lookback),top=\(top))"), "\(table.stdout)")
        #expect(table.stdout.contains("Top 3 (maximize sharpe_ratio):"))
        #expect(table.stdout.contains("Robustness (DSR and PBO pick by per-bar Sharpe ratio, whatever the objective):"))
    }

    @Test(
        "bad input is one line on stderr and exit 2, nothing on stdout",
        arguments: [
            (["--grid", "fast=5..10:5"], "fast"),
            (["--grid", "lookback=20..120"], "lookback=20..120"),
            (["--grid", "top=1..3:1", "--local", "--html", "page.html"], "drop --local"),
            (["--grid", "top=1..3:1", "--ticker", "AAPL"], "drop --csv and --ticker"),
        ]
    )
    func badInput(_ extra: [String], _ fragment: String) throws {
        guard Self.embedded else { return }
        let request = try Self.file(Self.portfolio, ".json")
        defer { try? FileManager.default.removeItem(at: request) }
        let r = try CLI.run(["optimize", "--portfolio", request.path] + extra)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n").filter { !$0.contains("started an embedded one") }
        #expect(lines.count == 1 && lines[0].contains(fragment), "\(r.stderr)")
    }

    @Test("a portfolio the server refuses (an unknown ticker, cash below 0) names it, exit 2")
    func refusedPortfolio() throws {
        guard Self.embedded else { return }
        for (body, fragment) in [
            (#"{"tickers":["AAPL","NOPE"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"}}"#, "NOPE"),
            (#"{"tickers":["AAPL"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"},"cash":-5}"#, "cash"),
        ] {
            let request = try Self.file(body, ".json")
            defer { try? FileManager.default.removeItem(at: request) }
            let r = try CLI.run(["optimize", "--portfolio", request.path, "--grid", "commission=0..0.002:0.001"])
            #expect(r.status == 2 && r.stdout.isEmpty, "\(r.stderr)")
            #expect(r.stderr.contains(fragment), "\(r.stderr)")
        }
    }
}
