import BacktestResearch
import Foundation
import Testing

@Suite("backtest robustness")
struct RobustnessCLITests {
    static let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BacktestResearchTests/Fixtures/reference.json")

    /// Writes `text` to a temporary CSV file and returns its path.
    static func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("returns-\(UUID().uuidString).csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func close(_ value: Any?, _ expected: Any?) -> Bool {
        guard let v = value as? Double, let e = expected as? Double else { return value is NSNull && expected is NSNull }
        return abs(v - e) <= 1e-9 * max(1, abs(e))
    }

    @Test func seededMatrixEqualsTheReferenceScriptsOutput() throws {
        let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.reference)) as? [String: Any])
        let cases = try #require(fixture["cases"] as? [[String: Any]])
        let expected = try #require(cases.first { $0["name"] as? String == "seeded_2520x120" })
        let columns = SyntheticReturns.columns(periods: 2520, trials: 120, seed: 2026)
        var csv = (0..<120).map { "t" + String(repeating: "0", count: 3 - String($0).count) + String($0) }.joined(separator: ",") + "\n"
        for t in 0..<2520 { csv += columns.map { "\($0[t])" }.joined(separator: ",") + "\n" }
        let url = try Self.file(csv)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CLI.run(["robustness", "--returns", url.path, "--blocks", "16", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(got["trials"] as? Int == 120)
        #expect(got["periods"] as? Int == 2520)
        #expect(got["blocks"] as? Int == 16)
        #expect(got["combinations"] as? Int == 12_870)
        #expect(got["best_trial"] as? String == String(format: "t%03d", try #require(expected["best_trial"] as? Int)))
        for key in ["sharpe", "sharpe_std", "expected_max_sharpe", "psr", "dsr", "pbo", "prob_oos_loss"] {
            #expect(Self.close(got[key], expected[key]), "\(key): \(String(describing: got[key])) vs \(String(describing: expected[key]))")
        }
        let line = try #require(got["degradation"] as? [String: Any])
        let expectedLine = try #require(expected["degradation"] as? [String: Any])
        #expect(Self.close(line["slope"], expectedLine["slope"]))
        #expect(Self.close(line["intercept"], expectedLine["intercept"]))
        #expect(got["bootstrap"] == nil)
    }

    @Test func tableSaysWhatPBOAndDSRMean() throws {
        let columns = SyntheticReturns.columns(periods: 64, trials: 4, seed: 1)
        var csv = "a,b,c,d\n"
        for t in 0..<64 { csv += columns.map { "\($0[t])" }.joined(separator: ",") + "\n" }
        let url = try Self.file(csv)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CLI.run(["robustness", "--returns", url.path, "--blocks", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("PBO "))
        #expect(r.stdout.contains("ranked at or below the median"))
        #expect(r.stdout.contains("DSR "))
        #expect(r.stdout.contains("the best of 4 trials without skill"))
    }

    @Test(arguments: [
        ("a,b\n0.1,0.2\n0.1\n", [String](), ":3: 1 values; the header names 2 trials"),
        ("a,b\n0.1,0.2\n0.1,abc\n", [], ":3: column b: 'abc' is not a finite number"),
        ("a,b\n0.1,nan\n", [], ":2: column b: 'nan' is not a finite number"),
        ("a\n0.1\n0.2\n", [], ":1: one trial ('a')"),
        ("a,,c\n0.1,0.2,0.3\n", [], ":1: column 2 has no trial name"),
        ("", [], "empty file"),
        ("a,b\n0.1,0.2\n0.3,0.4\n0.1,0.2\n0.3,0.4\n", ["--blocks", "3"], "--blocks 3: blocks must be an even number"),
        ("a,b\n0.1,0.2\n0.3,0.4\n0.1,0.2\n0.3,0.4\n", ["--blocks", "4"], "--blocks 4: 4 blocks need at least 8 periods"),
    ])
    func badInputExitsTwoWithOneLine(_ text: String, _ extra: [String], _ fragment: String) throws {
        let url = try Self.file(text)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CLI.run(["robustness", "--returns", url.path] + extra)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func optimizeCarriesTheRobustnessBlock() throws {
        let goog = CLI.fixtures.appendingPathComponent("data/GOOG.csv").path
        let search = [
            "optimize", "--csv", goog, "--strategy", "sma_cross", "--grid", "fast=5..50:5", "--grid", "slow=10..200:10", "--constraint",
            "fast < slow", "--maximize", "sharpe_ratio",
        ]
        let r = try CLI.run(search + ["--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let robustness = try #require(got["robustness"] as? [String: Any])
        #expect(robustness["trials"] as? Int == 175)
        #expect(robustness["periods"] as? Int == 2147)
        #expect(robustness["combinations"] as? Int == 12_870)
        for key in ["pbo", "dsr", "psr", "winner_psr", "prob_oos_loss"] {
            let value = try #require(robustness[key] as? Double, "\(key)")
            #expect((0...1).contains(value), "\(key) = \(value)")
        }
        let best = try #require(got["best"] as? [String: Any])
        let params = try #require(best["params"] as? [String: Any])
        #expect(robustness["winner"] as? String == "fast=\(params["fast"] ?? ""), slow=\(params["slow"] ?? "")")
        let bootstrap = try #require(robustness["bootstrap"] as? [String: Any])
        #expect(bootstrap["samples"] as? Int == 1000)
        let table = try CLI.run(search)
        #expect(table.status == 0)
        #expect(table.stdout.contains("Robustness (DSR and PBO pick by per-bar Sharpe ratio, whatever the objective):"))
        #expect(table.stdout.contains("PBO "))
        #expect(!table.stdout.contains("rather than 16"), "175 combinations keep 16 blocks")
    }

    @Test func optimizeTakesTheBlocksItIsGiven() throws {
        let goog = CLI.fixtures.appendingPathComponent("data/GOOG.csv").path
        let search = ["optimize", "--csv", goog, "--strategy", "sma_cross", "--grid", "fast=5..50:5", "--grid", "slow=60..100:10"]
        let r = try CLI.run(search + ["--robustness-blocks", "6", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let robustness = try #require(got["robustness"] as? [String: Any])
        #expect(robustness["blocks"] as? Int == 6 && robustness["combinations"] as? Int == 20)
        for bad in ["7", "18", "0"] {
            let refused = try CLI.run(search + ["--robustness-blocks", bad])
            #expect(refused.status == 2, "\(bad): \(refused.stderr)")
            #expect(refused.stderr.contains("--robustness-blocks") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        }
    }

    /// The data a filled page carries (`<script id="report-data" type="application/json">`).
    static func pageData(_ html: String) throws -> [String: Any] {
        let open = #"<script id="report-data" type="application/json">"#
        let start = try #require(html.range(of: open)).upperBound
        let end = try #require(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        return try #require(try JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
    }

    @Test func optimizeHTMLPageHasTheRobustnessPanelsData() throws {
        let goog = CLI.fixtures.appendingPathComponent("data/GOOG.csv").path
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("optimize-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: page) }
        let r = try CLI.run([
            "optimize", "--csv", goog, "--strategy", "sma_cross", "--grid", "fast=5..50:5", "--grid", "slow=10..200:10", "--constraint",
            "fast < slow", "--format", "json", "--html", page.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let expected = try #require(printed["robustness"] as? [String: Any])
        let data = try Self.pageData(try String(contentsOf: page, encoding: .utf8))
        let robustness = try #require(data["robustness"] as? [String: Any], "the page's data has the block")
        #expect(robustness["trials"] as? Int == 175)
        for key in ["best_trial", "winner"] { #expect(robustness[key] as? String == expected[key] as? String, "\(key)") }
        for key in ["sharpe", "sharpe_std", "expected_max_sharpe", "psr", "dsr", "pbo", "prob_oos_loss", "winner_psr"] {
            let got = String(describing: robustness[key])
            #expect(Self.close(robustness[key], expected[key]), "\(key): \(got) vs \(String(describing: expected[key]))")
        }
        let notes = try #require(data["robustness_notes"] as? [String])
        #expect(notes.count == 2 && notes.allSatisfy { !$0.isEmpty }, "the panel's two sentences")
    }

    @Test func aMissingFileExitsTwo() throws {
        let r = try CLI.run(["robustness", "--returns", "/nonexistent/returns.csv"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/returns.csv"))
    }
}
