import BacktestAPI
import BacktestClient
import BacktestEngine
import BacktestJSON
import Foundation
import Testing

/// `backtest jobs submit --portfolios FILE` against the real server: the file's portfolios as
/// one job, its id printed (and followed with --watch); a bad file is one line and exit 2
/// with nothing sent.
@Suite(.serialized) struct PortfolioJobCLITests {
    @Test func submitAListAndWatchIt() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let unknown = PortfolioRequest(tickers: ["NOPE"], allocation: .equal, schedule: .monthly)
        let list = String(decoding: try JSONEncoder().encode([PortfolioJobClientTests.equal, unknown]), as: UTF8.self)
        let file = try folder.write("portfolios.json", list)
        try await RealServer.with { server in
            let submit = try await CLITests.backtest(["jobs", "submit", "--portfolios", file, "--server", server.url, "--watch"])
            // One portfolio failed (its ticker is unknown): exit 1, as `jobs watch`.
            #expect(submit.status == 1, "\(submit.stderr)")
            let id = String(submit.stdout.split(separator: "\n").first ?? "")
            #expect(!id.isEmpty && !id.contains(" "), "\(submit.stdout)")
            #expect(submit.stdout.contains("\(id)  done  2/2"), "\(submit.stdout)")
            #expect(submit.stdout.contains("AAPL,MSFT,GOOG") && submit.stdout.contains("unknown_ticker"), "\(submit.stdout)")
            #expect(submit.stdout.contains("1 succeeded, 1 failed"), "\(submit.stdout)")
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                let status = try await client.portfolioJobStatus(id)
                let items = try #require(status.items)
                #expect(items.map(\.index) == [0, 1])
                let direct = try JSONReader.parse(try await client.portfolio(PortfolioJobClientTests.equal))
                #expect(items[0].result == direct)
                #expect(items[1].error?.code == .unknownTicker)
            }
        }
    }

    @Test func submitTheJobBodyPrintsTheIdOnly() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let body = """
            {"portfolios": [
              {"tickers": ["AAPL", "MSFT"], "start": "2019-01-01", "end": "2020-12-31",
               "allocation": {"type": "fixed", "weights": {"AAPL": 0.6, "MSFT": 0.4}}, "schedule": {"type": "quarterly"}},
              {"tickers": ["AAPL", "AMZN", "GOOG", "NVDA"], "start": "2019-01-01", "end": "2020-12-31",
               "allocation": {"type": "momentum", "lookback": 60, "top_k": 2}, "schedule": {"type": "weekly"}, "include": ["equity"]}
            ]}
            """
        let file = try folder.write("job.json", body)
        try await RealServer.with { server in
            let submit = try await CLITests.backtest(["jobs", "submit", "--portfolios", file, "--server", server.url])
            #expect(submit.status == 0, "\(submit.stderr)")
            let lines = submit.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 1, "\(submit.stdout)")
            let id = try #require(lines.first)
            try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                var status = try await client.portfolioJobStatus(id)
                var polls = 0
                while !status.status.hasEnded, polls < 500 {
                    polls += 1
                    try await Task.sleep(for: .milliseconds(20))
                    status = try await client.portfolioJobStatus(id)
                }
                #expect(status.status == .done && status.progress == JobProgress(done: 2, total: 2))
                let items = try #require(status.items)
                #expect(items.allSatisfy { $0.error == nil && $0.statistic("return_pct")?.isFinite == true })
                guard case .object(let second)? = items.last?.result else {
                    Issue.record("no result for the second portfolio")
                    return
                }
                #expect(second["equity"] != nil && second["tickers"] == .array(["AAPL", "AMZN", "GOOG", "NVDA"].map { .string($0) }))
            }
        }
    }

    /// Each bad file or flag: exit 2, one line on stderr naming the problem, nothing on stdout.
    /// The server URL has nothing listening: had anything been sent, the command would have
    /// failed reaching it (exit 1) instead.
    @Test func aBadFileIsOneLineAndExitTwoWithNothingSent() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let good = #"{"tickers": ["AAPL"], "allocation": {"type": "equal"}, "schedule": {"type": "monthly"}}"#
        let goodWith = { (member: String) -> String in "[\(good.dropLast()), \(member)}]" }
        let cases: [(file: String?, extra: [String], expected: String)] = [
            (nil, [], "--portfolios: cannot read"),
            ("[\(good),", [], "not JSON"),
            (good, [], "one portfolio; expected a list of portfolios"),
            (#"{"portfolios": []}"#, [], "no portfolios; a job takes 1 to 10000"),
            (#"{"portfolios": [\#(good)], "strategy": "sma_cross"}"#, [], "unknown member 'strategy'"),
            (#"{"portfolios": 3}"#, [], "portfolios: expected a list"),
            ("[\(good), 42]", [], "portfolios[1]: expected a portfolio request object"),
            (#"[\#(good), {"allocation": {"type": "equal"}}]"#, [], "portfolios[1]: missing required field 'tickers'"),
            (goodWith(#""include": ["bogus"]"#), [], "portfolios[0]: include: unknown item 'bogus'"),
            (goodWith(#""end": "2019-01-01", "start": "2020-01-01""#), [], "portfolios[0]: end: end (2019-01-01) is before start"),
            (goodWith(#""leverage": 2"#), [], "portfolios[0]: unknown field 'leverage'"),
            ("[\(good)]", ["AAPL"], "drop the tickers"),
            ("[\(good)]", ["--start", "2020-01-01"], "drop the --start"),
            ("[\(good)]", ["--strategy", "sma_cross"], "drop the engine flags"),
            ("[\(String(repeating: "\(good),", count: 10_000))\(good)]", [], "10001 portfolios; at most 10000 in a job"),
        ]
        for (k, c) in cases.enumerated() {
            let path = try c.file.map { try folder.write("bad-\(k).json", $0) } ?? folder.path + "/missing.json"
            let run = try await CLITests.backtest(["jobs", "submit", "--portfolios", path, "--server", "http://127.0.0.1:1"] + c.extra)
            #expect(run.status == 2, "case \(k): \(run.stderr)")
            #expect(run.stdout.isEmpty, "case \(k): \(run.stdout)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && run.stderr.contains(c.expected), "case \(k): \(run.stderr)")
        }
        // Without tickers or --portfolios: the usage names both.
        let neither = try await CLITests.backtest(["jobs", "submit", "--server", "http://127.0.0.1:1"])
        #expect(neither.status == 2 && neither.stderr.contains("give at least one ticker (or --portfolios FILE)"), "\(neither.stderr)")
    }

    @Test func cancelPrintsAPortfolioJobsStatus() async throws {
        try await RealServer.with(workers: 1) { server in
            let many = PortfolioJobClientTests.slowPortfolios
            let id = try await BacktestClient.withClient(configuration: .testing(server.url)) { client in
                try await client.submitPortfolioJob(many).id
            }
            let cancel = try await CLITests.backtest(["jobs", "cancel", id, "--server", server.url])
            #expect(cancel.status == 0, "\(cancel.stderr)")
            #expect(cancel.stdout.hasPrefix("\(id)  cancelled  ") && cancel.stdout.hasSuffix("/1000\n"), "\(cancel.stdout)")
        }
    }
}
