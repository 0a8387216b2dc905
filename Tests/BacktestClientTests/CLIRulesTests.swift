import Foundation
import Testing

/// Strategies in the rules language at the command line.
@Suite(.serialized) struct CLIRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = root.appendingPathComponent("Examples/rules")

    @Test("run --rules prints the built-in's JSON byte for byte, for every shipped example")
    func examplesEqualBuiltins() async throws {
        for name in ["sma_cross", "sma_cross_reverse", "rsi_reversion", "bollinger", "macd_cross", "donchian", "buy_and_hold"] {
            let rules = try await CLITests.backtest([
                "run", "--csv", CLIOptimizeTests.goog, "--rules", Self.examples.appendingPathComponent("\(name).rules").path,
                "--format", "json", "--include", "trades,equity",
            ])
            let builtin = try await CLITests.backtest([
                "run", "--csv", CLIOptimizeTests.goog, "--strategy", name, "--format", "json", "--include", "trades,equity",
            ])
            #expect(rules.status == 0 && builtin.status == 0, "\(name): \(rules.stderr) \(builtin.stderr)")
            #expect(rules.stdout == builtin.stdout, "\(name)")
        }
    }

    @Test("rules check prints parameters and indicators, or the error at line:column with exit 2; optimize and report take --rules")
    func checkOptimizeReport() async throws {
        let ok = try await CLITests.backtest(["rules", "check", Self.examples.appendingPathComponent("bollinger.rules").path])
        #expect(ok.status == 0 && ok.stdout.contains("bbands(close, period, k)") && ok.stdout.contains("allow_short"), "\(ok.stdout)")
        let bad = try await CLITests.backtest(["run", "--csv", CLIOptimizeTests.goog, "--rules-text", "enter long when close >"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("1:24: expected an expression"), "\(bad.stderr)")
        let shown = try await CLITests.backtest(["rules", "show", "macd_cross"])
        #expect(shown.stdout == (try String(contentsOf: Self.examples.appendingPathComponent("macd_cross.rules"), encoding: .utf8)))

        let grid = ["--grid", "fast=5..50:5", "--grid", "slow=10..200:10", "--constraint", "fast < slow", "--format", "json"]
        let rules = try await CLITests.backtest(
            ["optimize", "--csv", CLIOptimizeTests.goog, "--rules", Self.examples.appendingPathComponent("sma_cross.rules").path] + grid
        )
        let builtin = try await CLITests.backtest(["optimize", "--csv", CLIOptimizeTests.goog, "--strategy", "sma_cross"] + grid)
        #expect(rules.status == 0, "\(rules.stderr)")
        let a = try CLIOptimizeTests.json(rules.stdout)
        let b = try CLIOptimizeTests.json(builtin.stdout)
        #expect(NSDictionary(dictionary: a["best"] as? [String: Any] ?? [:]).isEqual(to: b["best"] as? [String: Any] ?? [:]))

        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let report = try await CLITests.backtest([
            "report", "--csv", CLIOptimizeTests.goog, "--rules", Self.examples.appendingPathComponent("rsi_reversion.rules").path,
            "--out", folder.path + "/r.html",
        ])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(
            try String(contentsOfFile: folder.path + "/r.html", encoding: .utf8).contains("\"title\":\"rules(period=14,lower=30,upper=70) on GOOG\"")
        )
    }
}
