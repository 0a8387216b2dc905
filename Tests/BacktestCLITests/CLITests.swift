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

    /// Runs `backtest args`: with `environment` over this process's, or as its whole
    /// environment when `inheritsEnvironment` is false.
    static func run(_ args: [String], environment: [String: String] = [:], inheritsEnvironment: Bool = true) throws -> Output {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if !inheritsEnvironment {
            p.environment = environment
        } else if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
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

@Suite("backtest portfolio")
struct PortfolioCLITests {
    @Test("--request on every reference case prints the case's statistics", arguments: ["aapl_single_buy_hold", "weights_schedule_trade_on_close"])
    func referenceCase(_ name: String) throws {
        let file = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: CLI.fixtures.appendingPathComponent("portfolio/\(name).json")))
                as? [String: Any]
        )
        let request = FileManager.default.temporaryDirectory.appendingPathComponent("portfolio-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: try #require(file["case"])).write(to: request)
        defer { try? FileManager.default.removeItem(at: request) }
        let r = try CLI.run(["portfolio", "--request", request.path, "--format", "json", "--include", "orders,equity"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let expected = try #require(file["expected"] as? [String: Any])
        let stats = try #require(got["stats"] as? [String: Any])
        for (key, value) in try #require(expected["stats"] as? [String: Any]) {
            if let e = value as? Double, let a = stats[key] as? Double {
                #expect(a == e || abs(a - e) <= 1e-9 * max(abs(a), abs(e)), "\(key)")
            } else {
                #expect(stats[key] as? String == value as? String, "\(key)")
            }
        }
        #expect((got["orders"] as? [Any])?.count == (expected["orders"] as? [Any])?.count)
    }

    @Test("flags run locally and print the table")
    func flags() throws {
        let r = try CLI.run([
            "portfolio", "--local", "--tickers", "AAPL,MSFT,GOOG", "--start", "2018-01-01", "--end", "2019-12-31",
            "--allocation", "fixed", "--weights", "AAPL=0.5,MSFT=0.3", "--rebalance", "quarterly", "--commission", "0.001",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Return [%]") && r.stdout.contains("Holding AAPL") && r.stdout.contains("fixed, quarterly"))
        #expect(!r.stdout.contains("SQN"))
    }

    @Test(
        "bad input: one line naming the flag or field, exit 2, nothing on stdout",
        arguments: [
            (["--allocation", "fixed", "--weights", "AAPL=0.7,MSFT=0.6", "--rebalance", "monthly"], "allocation.weights"),
            (["--allocation", "fixed", "--weights", "AAPL=-1", "--rebalance", "monthly"], "allocation.weights.AAPL"),
            (["--allocation", "fixed", "--weights", "TSLA=0.5", "--rebalance", "monthly"], "TSLA is not one of"),
            (["--allocation", "kelly", "--rebalance", "monthly"], "--allocation: unknown allocation 'kelly'"),
            (["--allocation", "equal", "--rebalance", "daily"], "--rebalance: unknown schedule 'daily'"),
            (["--allocation", "equal", "--rebalance", "every:0"], "every:0"),
            (["--allocation", "momentum", "--lookback", "20", "--top", "5", "--rebalance", "monthly"], "allocation.top_k"),
            (["--allocation", "inverse_volatility", "--lookback", "5000", "--rebalance", "monthly"], "allocation.lookback"),
        ]
    )
    func badInput(_ flags: [String], _ message: String) throws {
        let r = try CLI.run(["portfolio", "--local", "--tickers", "AAPL,MSFT"] + flags)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    @Test("a weights CSV with a bad date or number names its line; an unknown ticker is refused")
    func weightsFile() throws {
        let dir = FileManager.default.temporaryDirectory
        let bad = dir.appendingPathComponent("weights-\(UUID().uuidString).csv")
        try "date,AAPL,MSFT\n2019-01-02,0.5,0.5\n2019-02-30x,0.2,0.2\n".write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        var r = try CLI.run(["portfolio", "--local", "--tickers", "AAPL,MSFT", "--allocation", "weights", "--weights-csv", bad.path])
        #expect(r.status == 2 && r.stderr.contains("\(bad.path):3:") && r.stderr.contains("not a date"), "\(r.stderr)")
        try "date,AAPL,MSFT\n2019-01-02,0.5,abc\n".write(to: bad, atomically: true, encoding: .utf8)
        r = try CLI.run(["portfolio", "--local", "--tickers", "AAPL,MSFT", "--allocation", "weights", "--weights-csv", bad.path])
        #expect(r.status == 2 && r.stderr.contains("\(bad.path):2:") && r.stderr.contains("'abc' is not a number"), "\(r.stderr)")
        try "date,AAPL,MSFT\n2019-01-02,0.5,0.25\n2019-06-03,,1\n".write(to: bad, atomically: true, encoding: .utf8)
        r = try CLI.run([
            "portfolio", "--local", "--tickers", "AAPL,MSFT", "--start", "2019-01-01", "--end", "2019-12-31", "--allocation", "weights",
            "--weights-csv", bad.path, "--format", "json", "--include", "weights",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"decisions\""))
        r = try CLI.run(["portfolio", "--local", "--tickers", "AAPL,NOPE", "--allocation", "equal", "--rebalance", "never"])
        #expect(r.status == 2 && r.stderr.contains("NOPE"), "\(r.stderr)")
    }
}
