import Foundation
import Testing

/// Issue 25 through the command line: `optimize --min-trades` and its warnings, and a batch row
/// whose data covers less than asked.
@Suite("results that cannot mislead")
struct MisleadingResultsCLITests {
    let goog = CLI.fixtures.appendingPathComponent("data/GOOG.csv").path
    /// Long averages trade a handful of times on GOOG; short ones dozens.
    var search: [String] {
        [
            "optimize", "--csv", goog, "--strategy", "sma_cross", "--grid", "fast=5,10,150,190", "--grid", "slow=20,30,300,370",
            "--constraint", "fast < slow", "--maximize", "sqn", "--top", "3",
        ]
    }

    @Test("without a floor a winner on few trades gets a warning line naming --min-trades; with --min-trades 30 the winner has 30+")
    func minTrades() throws {
        let plain = try CLI.run(search + ["--format", "json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let best = try #require(report["best"] as? [String: Any])
        let trades = try #require((best["stats"] as? [String: Any])?["trades"] as? Int)
        let warnings = try #require(report["warnings"] as? [String])
        #expect(warnings.isEmpty == (trades >= 10))
        let table = try CLI.run(search)
        #expect(table.stdout.contains("warning: ") == (trades < 10))

        let floored = try CLI.run(search + ["--min-trades", "30", "--format", "json"])
        #expect(floored.status == 0, "\(floored.stderr)")
        let f = try #require(try JSONSerialization.jsonObject(with: Data(floored.stdout.utf8)) as? [String: Any])
        #expect(f["min_trades"] as? Int == 30)
        #expect((f["below_min_trades"] as? Int ?? 0) >= 1)
        let fBest = try #require(f["best"] as? [String: Any])
        #expect(((fBest["stats"] as? [String: Any])?["trades"] as? Int ?? 0) >= 30)
        #expect((f["warnings"] as? [String])?.isEmpty == true)
        let floorTable = try CLI.run(search + ["--min-trades", "30"])
        #expect(floorTable.stdout.contains("below --min-trades 30"))

        let negative = try CLI.run(search + ["--min-trades=-1"])
        #expect(negative.status == 2)
        #expect(negative.stdout.isEmpty)
        #expect(negative.stderr.contains("--min-trades"))
    }

    @Test("backtest batch and run flag MSFT (bundled data ends 2021-03-31) in the table, the CSV and the JSON")
    func batchCoverage() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["BACKTEST_URL"] == nil, env["BACKTEST_DISCOVER"] == nil else { return }
        let table = try CLI.run(["batch", "AAPL", "MSFT", "--start", "2015-01-01", "--end", "2022-12-31"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("MSFT*"))
        #expect(!table.stdout.contains("AAPL*"))
        #expect(table.stdout.contains("MSFT: data 2015-04-01 – 2021-03-31, asked 2015-01-01 – 2022-12-31"))
        let csv = try CLI.run(["batch", "AAPL", "MSFT", "--start", "2015-01-01", "--end", "2022-12-31", "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first?.contains("first_bar,last_bar,short_window") == true)
        #expect(lines.contains { $0.hasPrefix("MSFT,") && $0.hasSuffix("2015-04-01,2021-03-31,true,") })
        #expect(lines.contains { $0.hasPrefix("AAPL,") && $0.hasSuffix(",false,") })
        let full = try CLI.run(["batch", "AAPL", "--start", "2020-01-01", "--end", "2020-12-31"])
        #expect(!full.stdout.contains("covers less than asked"))
        let run = try CLI.run(["run", "--ticker", "MSFT", "--start", "2015-01-01", "--end", "2022-12-31", "--strategy", "sma_cross"])
        #expect(run.stdout.contains("* covers less than asked: MSFT: data 2015-04-01 – 2021-03-31, asked 2015-01-01 – 2022-12-31"))
        let json = try CLI.run([
            "run", "--ticker", "MSFT", "--start", "2015-01-01", "--end", "2022-12-31", "--strategy", "sma_cross", "--format", "json",
        ])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let coverage = try #require(object["coverage"] as? [String: Any])
        #expect(coverage["short"] as? Bool == true)
        #expect(coverage["last_bar"] as? String == "2021-03-31T00:00:00")
    }
}
