import Foundation
import Testing

/// Runs the built `backtest` executable and checks exit codes and output.
struct CLI {
    static let executable: URL = {
        // The test bundle sits next to the products in .build/<triple>/<config>/.
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("backtest").path) {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("backtest")
    }()

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BacktestEngineTests/Fixtures")

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Output {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite("backtest CLI")
struct CLITests {
    let goog = CLI.fixtures.appendingPathComponent("data/GOOG.csv").path

    @Test func runPrintsTheStatsTable() throws {
        let r = try CLI.run(["run", "--csv", goog, "--strategy", "sma_cross", "--param", "fast=10", "--param", "slow=30", "--commission", "0.002"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Return [%]"))
        #expect(r.stdout.contains("404.624061"))
        #expect(r.stdout.contains("sma_cross(fast=10,slow=30)"))
    }

    @Test func requestFileReproducesTheReference() throws {
        let caseFile = CLI.fixtures.appendingPathComponent("cases/goog_rsi_reversion_14_30_70.json")
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: caseFile)) as? [String: Any])
        var request = try #require(ref["case"] as? [String: Any])
        request["data"] = "../data/GOOG.csv"
        let dir = CLI.fixtures.appendingPathComponent("cases-cli-tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("req.json")
        try JSONSerialization.data(withJSONObject: request).write(to: file)
        let r = try CLI.run(["run", "--request", file.path, "--format", "json", "--include", "trades,equity"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stats = try #require(got["stats"] as? [String: Any])
        #expect((stats["trades"] as? Int) == 9)
        #expect((got["trades"] as? [Any])?.count == 9)
        #expect((got["equity"] as? [Any])?.count == 2148)
        let expected = try #require((ref["stats"] as? [String: Any])?["sharpe_ratio"] as? Double)
        #expect(abs((stats["sharpe_ratio"] as? Double ?? 0) - expected) < 1e-9 * expected)
    }

    @Test(arguments: [
        (["run", "--csv", "GOOG", "--strategy", "nope"], "unknown strategy"),
        (["run", "--strategy", "sma_cross", "--param", "fast=40"], "fast (40) must be below slow"),
        (["run", "--strategy", "sma_cross", "--param", "fats=4"], "unknown parameter 'fats'"),
        (["run", "--strategy", "sma_cross", "--param", "fast=2.5"], "whole number"),
        (["run", "--strategy", "sma_cross", "--commission", "0.2"], "commission"),
        (["run", "--strategy", "sma_cross", "--commission", "1,2,3"], "FIXED,R"),
        (["run", "--strategy", "sma_cross", "--cash", "0"], "cash"),
        (["run", "--strategy", "sma_cross", "--cash", "abc"], "--cash"),
        (["run", "--strategy", "sma_cross", "--include", "orders"], "include"),
        (["run", "--strategy", "sma_cross", "--bogus"], "--bogus"),
        (["run"], "--csv"),
    ])
    func badInputExitsTwoWithOneLine(_ args: [String], _ fragment: String) throws {
        var args = args
        if let i = args.firstIndex(of: "--csv") { args[i + 1] = goog } else if args.count > 1 { args += ["--csv", goog] }
        let r = try CLI.run(args)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func badCSVNamesFileLineAndColumn() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv")
        try "Date,Open,High,Low,Close\n2020-01-01,1,2,1,1\n2020-01-02,1,x,1,1\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CLI.run(["run", "--csv", file.path, "--strategy", "buy_and_hold"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(file.path):3: column High"))
    }

    @Test func runOnATickerGoesThroughAServer() throws {
        // No server configured: the CLI starts an embedded one with the bundled data.
        let env = ProcessInfo.processInfo.environment
        guard env["BACKTEST_URL"] == nil, env["BACKTEST_DISCOVER"] == nil else { return }
        let r = try CLI.run([
            "run", "--ticker", "AAPL", "--start", "2020-01-01", "--end", "2020-12-31", "--strategy", "sma_cross", "--format", "json", "--include",
            "trades",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let stats = try #require(got["stats"] as? [String: Any])
        #expect(stats["start"] as? String == "2020-01-02T00:00:00")
        #expect((got["trades"] as? [Any])?.count == stats["trades"] as? Int)
        let unknown = try CLI.run(["run", "--ticker", "TSLA", "--strategy", "sma_cross"])
        #expect(unknown.status != 0)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr.contains("TSLA"))
    }

    @Test func strategiesListsParametersAndDefaults() throws {
        let r = try CLI.run(["strategies"])
        #expect(r.status == 0)
        for name in ["buy_and_hold", "sma_cross", "sma_cross_reverse", "rsi_reversion", "bollinger", "macd_cross", "donchian"] {
            #expect(r.stdout.contains(name))
        }
        #expect(r.stdout.contains("--param n_entry=<int>  (default 20"))
    }

    @Test func benchPrintsJSONLines() throws {
        let r = try CLI.run(["bench", "--runs", "3", "--json"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 3)  // the built-in sma_cross, the same in the rules language, macd_cross
        #expect(lines.contains { $0.contains("\"rules sma_cross(10,30) GOOG\"") })
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(o.keys) == ["name", "bars", "runs", "median_s", "bars_per_s"])
            #expect((o["median_s"] as? Double ?? 0) > 0)
        }
    }

    @Test func clientBenchAgainstTheEmbeddedServerPrintsEveryFigure() throws {
        let r = try CLI.run(["bench", "--client", "--runs", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = try r.stdout.split(separator: "\n").map { line in
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(o.keys) == ["name", "seconds", "requests_per_s", "connections"])
            #expect((o["requests_per_s"] as? Double ?? 0) > 0)
            return o["name"] as? String ?? ""
        }
        #expect(names.count == 8)
        #expect(names.last == "600 requests, runBatch --workers 4")
    }

    @Test(arguments: [
        (["bench", "--server", "http://127.0.0.1:1"], "--server needs --client"),
        (["bench", "--client", "--strategy", "sma_cross"], "--client takes no engine case"),
    ])
    func benchFlagMisuseExitsTwo(_ args: [String], _ fragment: String) throws {
        let r = try CLI.run(args)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
    }

    @Test(
        arguments: [
            (["serve", "--port", "70000"], [:], "--port must be in 0...65535"),
            (["serve", "--cache-max-results=-5"], [:], "--cache-max-results must be in"),
            (["serve", "--job-retention-hours", "0"], [:], "--job-retention-hours must be in"),
            (["serve"], ["BACKTEST_WORKERS": "many"], "BACKTEST_WORKERS must be a whole number"),
            (["serve"], ["BACKTEST_CACHE_MAX_RESULTS": "1e3"], "BACKTEST_CACHE_MAX_RESULTS must be a whole number"),
        ] as [([String], [String: String], String)]
    )
    func serveRefusesBadSettingsBeforeBinding(_ args: [String], _ environment: [String: String], _ fragment: String) throws {
        let r = try CLI.run(args + ["--port", "0"].filter { _ in !args.contains("--port") }, environment: environment)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
    }
}
