import BacktestAPI
import BacktestEngine
import BacktestJSON
import BacktestRules
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Strategies in the rules language through the server: runs, batches, searches, reports,
/// refusals with line and column, and the cache by canonical text.
@Suite(.serialized) struct RulesRouteTests {
    static let smaCross = BuiltinRules.source(for: "sma_cross") ?? ""

    static func body(_ members: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: members), as: UTF8.self)
    }

    @Test("a rules backtest equals its built-in; the same program spelled otherwise is a cache hit; every built-in lists its rules")
    func runsAndCache() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let base: [String: Any] = ["ticker": "AAPL", "start": "2018-01-01", "end": "2020-12-31", "params": ["fast": 5, "slow": 20]]
        let builtin = try await server.send(.POST, "/v1/backtests", json: try Self.body(base.merging(["strategy": "sma_cross"]) { a, _ in a }))
            .decode(BacktestReply.self)
        let rules = try await server.send(.POST, "/v1/backtests", json: try Self.body(base.merging(["rules": Self.smaCross]) { a, _ in a }))
            .decode(BacktestReply.self)
        #expect(rules.strategy == "rules")
        #expect(rules.params == builtin.params)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(try encoder.encode(rules.stats) == (try encoder.encode(builtin.stats)))
        #expect(rules.cached == false)
        let respelled = "# the same, spelled otherwise\n" + Self.smaCross.replacingOccurrences(of: " = ", with: "=") + "\n\n"
        let again = try await server.send(.POST, "/v1/backtests", json: try Self.body(base.merging(["rules": respelled]) { a, _ in a }))
            .decode(BacktestReply.self)
        #expect(again.cached == true)

        let strategies = try await server.send(.GET, "/v1/strategies").decode(StrategyList.self)
        #expect(strategies.strategies.allSatisfy { !$0.rules.isEmpty && (try? RulesProgram.compile($0.rules)) != nil })
    }

    @Test("bad rules are 422 with line and column; limits and bounds are named; a batch of rules runs")
    func refusalsAndBatch() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let cases: [([String: Any], String, String)] = [
            (["rules": "param fast = 10\nenter long when crossover(sma(close, fast), sma(close 30))"], "rules", "2:55"),
            (["rules": "enter long when nonsense(close)"], "rules", "1:17"),
            (["rules": String(repeating: "# padding\n", count: 2_000) + "enter long when true"], "rules", "16384"),
            (["rules": Self.smaCross, "params": ["fast": 0]], "params.fast", "fast"),
            (["rules": Self.smaCross, "params": ["speed": 3]], "params.speed", "speed"),
            (["rules": Self.smaCross, "strategy": "sma_cross"], "strategy", "not both"),
            (["rules": "param n = 5000 (1..100000)\nenter long when close > sma(close, n)", "start": "2020-01-01"], "rules", "looks back"),
        ]
        for (members, field, text) in cases {
            let reply = try await server.send(.POST, "/v1/backtests", json: try Self.body(["ticker": "AAPL"].merging(members) { a, _ in a }))
            #expect(reply.status == 422, "\(members): \(reply.text)")
            let problem = try reply.decode(Problem.self)
            #expect(problem.field == field, "\(reply.text)")
            #expect(problem.detail.contains(text), "\(reply.text)")
        }
        let batch = try await server.send(
            .POST,
            "/v1/backtests/batch",
            json: try Self.body(["tickers": ["AAPL", "MSFT", "NOPE"], "rules": BuiltinRules.source(for: "rsi_reversion") ?? ""])
        ).decode(BatchReply.self)
        #expect(batch.results.map { $0.result != nil } == [true, true, false])
        #expect(batch.results.first?.result?.params["period"] == .number(14))
    }

    @Test("a rules strategy is optimised on the server, with the built-in's best")
    func optimised() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        var results: [OptimizationReport] = []
        for strategy in [["strategy": "sma_cross"], ["rules": Self.smaCross]] {
            let body = try Self.body([
                "backtest": (["ticker": "GOOG"] as [String: Any]).merging(strategy) { a, _ in a },
                "grid": ["fast=5..50:5", "slow=10..200:10"], "constraint": "fast < slow",
            ])
            let created = try await server.send(.POST, "/v1/optimizations", json: body).decode(JobCreated.self)
            #expect(parseEvents(try await server.send(.GET, created.eventsUrl).text).last?.name == "done")
            let status = try await server.send(.GET, created.statusUrl).decode(OptimizationStatus.self)
            results.append(try #require(status.result))
        }
        #expect(results[0].best?.params == results[1].best?.params)
        #expect(results[0].best?.stats.sqn == results[1].best?.stats.sqn)
        #expect(results[0].top.map(\.params) == results[1].top.map(\.params))
    }
}
