import Foundation
import Testing

/// `backtest portfolio --html FILE`: the report page beside the usual output, from a local run
/// or made by the server.
@Suite("backtest portfolio --html")
struct PortfolioHTMLCLITests {
    static let flags = [
        "--tickers", "AAPL,MSFT,GOOG", "--start", "2020-01-01", "--end", "2021-12-31", "--allocation", "equal", "--rebalance", "monthly",
        "--format", "json",
    ]

    /// The JSON a page carries in its `report-data` element.
    static func pageData(_ file: URL) throws -> [String: Any] {
        let page = try String(contentsOf: file, encoding: .utf8)
        let start = try #require(page.range(of: "<script id=\"report-data\" type=\"application/json\">"))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = page[start.upperBound..<end.lowerBound].replacingOccurrences(of: "\\u003c", with: "<")
        #expect(page.contains("http-equiv=\"Content-Security-Policy\"") && !page.contains("'unsafe-inline'"))
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    /// Runs `portfolio` with `extra` and `--html`, checks the page against the printed statistics.
    static func check(_ extra: [String]) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CLI.run(["portfolio"] + extra + flags + ["--html", file.path])
        #expect(r.status == 0, "\(r.stderr)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stats = try #require(printed["stats"] as? [String: Any])
        let data = try pageData(file)
        #expect(data["kind"] as? String == "portfolio")
        #expect(data["tickers"] as? [String] == ["AAPL", "MSFT", "GOOG"])
        let pageStats = try #require(data["stats"] as? [String: Any])
        #expect(pageStats["return_pct"] as? Double == stats["return_pct"] as? Double)
        #expect(pageStats["max_drawdown_pct"] as? Double == stats["max_drawdown_pct"] as? Double)
        #expect((data["weights"] as? [Any])?.count == (data["time"] as? [Any])?.count)
        #expect((data["coverage"] as? [[String: Any]])?.first?["ticker"] as? String == "MSFT")
        #expect(r.stderr.contains("wrote \(file.path)"))
    }

    @Test("--local: the page from this process's run, its statistics those printed")
    func local() throws {
        try Self.check(["--local"])
    }

    @Test("on a server (an embedded one here): the page made by the server from the same request")
    func remote() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["BACKTEST_URL"] == nil, env["BACKTEST_DISCOVER"] == nil else { return }
        try Self.check([])
    }

    @Test("an unwritable --html path is one line on stderr, exit 1")
    func unwritable() throws {
        let r = try CLI.run(["portfolio", "--local"] + Self.flags + ["--html", "/nonexistent-dir/p.html"])
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.contains("cannot write /nonexistent-dir/p.html"))
    }
}
