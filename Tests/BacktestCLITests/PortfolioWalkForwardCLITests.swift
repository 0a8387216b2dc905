import Foundation
import Testing

/// `backtest optimize --portfolio FILE --walk-forward SPEC`: folds in the portfolio's calendar
/// bars, on the (embedded) server by default and in this process with `--local`, the same
/// folds and stitched statistics either way, in the outputs of a single ticker's analysis.
@Suite("backtest optimize --portfolio --walk-forward")
struct PortfolioWalkForwardCLITests {
    static let portfolio = PortfolioSearchCLITests.portfolio
    static let search = ["--grid", "lookback=20..100:40", "--grid", "top=1..2:1", "--walk-forward", "train=500,test=250"]

    @Test("on the (embedded) server: the in-process analysis's folds and stitched statistics; table, CSV and page")
    func remoteMatchesLocal() throws {
        guard PortfolioSearchCLITests.embedded else { return }
        let request = try PortfolioSearchCLITests.file(Self.portfolio, ".json")
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-wf-\(UUID().uuidString).html")
        defer {
            for url in [request, page] { try? FileManager.default.removeItem(at: url) }
        }
        let args = ["optimize", "--portfolio", request.path] + Self.search

        let remote = try CLI.run(args + ["--format", "json", "--html", page.path])
        #expect(remote.status == 0, "\(remote.stderr)")
        let local = try CLI.run(args + ["--format", "json", "--local"])
        #expect(local.status == 0, "\(local.stderr)")
        var got = try PortfolioSearchCLITests.json(remote.stdout)
        var expected = try PortfolioSearchCLITests.json(local.stdout)
        #expect(got["walk_forward"] as? String == "train=500,test=250,step=250")
        // 1,259 calendar bars: tests on 500..<750, 750..<1000, 1000..<1250, 1250..<1259.
        let folds = try #require(got["folds"] as? [[String: Any]])
        #expect(folds.count == 4)
        #expect((folds[0]["train"] as? [String: Any])?["bars"] as? Int == 500)
        #expect((folds[3]["test"] as? [String: Any])?["bars"] as? Int == 9)
        #expect(folds.allSatisfy { ($0["params"] as? [String: Int]).map { Set($0.keys) } == ["lookback", "top"] })
        let stats = try #require((got["best"] as? [String: Any])?["stats"] as? [String: Any])
        #expect((stats["trades"] as? Int ?? 0) > 0 && (stats["equity_final"] as? Double ?? 0) > 0)
        got["seconds"] = nil
        expected["seconds"] = nil
        #expect(NSDictionary(dictionary: got).isEqual(to: expected), "\(remote.stdout)\n\(local.stdout)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("portfolio (momentum) on AAPL, MSFT, NVDA, GOOG: walk-forward"))

        let table = try CLI.run(args)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasPrefix("AAPL,MSFT,NVDA,GOOG: walk-forward train=500,test=250,step=250, 4 folds, maximize sharpe_ratio"))
        #expect(table.stdout.contains("Walk-forward efficiency"))
        #expect(table.stdout.contains("Stitched out-of-sample (759 bars):"), "\(table.stdout)")

        let csv = try CLI.run(args + ["--format", "csv", "--local"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "fold,train_start,train_end,test_start,test_end,lookback,top,in_sample,out_of_sample,trades,efficiency")
        #expect(lines.count == 5)
    }

    @Test(
        "bad input is one line on stderr and exit 2, nothing on stdout, on the server and with --local",
        arguments: [
            (["--walk-forward", "train=5000,test=250"], "1259 bars"),
            (["--walk-forward", "train=60,test=50"], "first training window (60 bars)"),
            (["--walk-forward", "train=500"], "needs train=N and test=M"),
            (["--walk-forward", "train=500,test=250", "--heatmap", "h.csv"], "--heatmap does not go with --walk-forward"),
        ]
    )
    func badInput(_ extra: [String], _ fragment: String) throws {
        guard PortfolioSearchCLITests.embedded else { return }
        let request = try PortfolioSearchCLITests.file(Self.portfolio, ".json")
        defer { try? FileManager.default.removeItem(at: request) }
        for local in [false, true] {
            let grid = ["--grid", "lookback=20..100:40", "--grid", "top=1..2:1"]
            let r = try CLI.run(["optimize", "--portfolio", request.path] + grid + extra + (local ? ["--local"] : []))
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
            let lines = r.stderr.split(separator: "\n").filter { !$0.contains("started an embedded one") }
            #expect(lines.count == 1 && lines[0].contains(fragment), "local \(local): \(r.stderr)")
        }
    }
}
