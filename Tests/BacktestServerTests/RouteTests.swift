import BacktestAPI
import BacktestEngine
import Foundation
import MarketData
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Every route's happy path against a live server.
@Suite("Routes", .serialized)
struct RouteTests {
    static let smaCross = #"{"ticker":"AAPL","start":"2020-01-01","end":"2020-12-31","strategy":"sma_cross","params":{"fast":10,"slow":30}}"#

    @Test("GET /health and /ready answer without a key")
    func healthAndReady() async throws {
        let server = try await TestServer.start { $0.apiKeys = ["secret"] }
        let health = try await server.send(.GET, "/health")
        #expect(health.status == 200)
        let body = try health.decode(Health.self)
        #expect(body.status == "ok")
        #expect(body.version == BacktestServer.version)
        #expect(body.workers == 2)
        #expect(body.uptimeS >= 0)
        let ready = try await server.send(.GET, "/ready")
        #expect(ready.status == 200)
        try await server.stop()
    }

    @Test("GET /v1/strategies lists parameters with type, default and bounds")
    func strategies() async throws {
        let server = try await TestServer.start()
        let reply = try await server.send(.GET, "/v1/strategies")
        #expect(reply.status == 200)
        let list = try reply.decode(StrategyList.self)
        #expect(list.strategies.map(\.name) == StrategyCatalog.all.map(\.name))
        let sma = try #require(list.strategies.first { $0.name == "sma_cross" })
        let fast = try #require(sma.parameters.first { $0.name == "fast" })
        #expect(fast.type == "int")
        #expect(fast.default == .number(10))
        #expect(fast.minimum != nil)
        try await server.stop()
    }

    @Test("GET /v1/tickers lists the bundled set with dates and counts")
    func tickers() async throws {
        let server = try await TestServer.start()
        let reply = try await server.send(.GET, "/v1/tickers")
        #expect(reply.status == 200)
        let list = try reply.decode(TickerList.self)
        #expect(list.tickers.map(\.ticker) == ["AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA"])
        let aapl = try #require(list.tickers.first)
        #expect(aapl.first == "2013-01-02")
        #expect(aapl.bars == 2699)
        #expect(aapl.source == "bundled")
        try await server.stop()
    }

    @Test("POST /v1/backtests runs the engine on the stored bars and caches the result")
    func backtest() async throws {
        let server = try await TestServer.start()
        let reply = try await server.send(.POST, "/v1/backtests", json: Self.smaCross)
        #expect(reply.status == 200, "\(reply.text)")
        let result = try reply.decode(BacktestReply.self)
        #expect(result.ticker == "AAPL")
        #expect(result.start.hasPrefix("2020-01-02"))
        #expect(result.end.hasPrefix("2020-12-31"))
        #expect(result.params == ["fast": .number(10), "slow": .number(30)])
        #expect(result.cached == false)
        #expect(result.trades == nil && result.equity == nil)

        // The same numbers as running the engine directly on the same bars.
        let store = CSVBarStore()
        let bars = try store.bars(for: "AAPL", from: Timestamp.parse("2020-01-01"), through: Timestamp.parse("2020-12-31").map { $0 + 86_399 })
        let direct = try Backtest(bars: bars.bars).run(.smaCross(SMACross(fast: 10, slow: 30)))
        #expect(try statsJSON(result.stats) == statsJSON(direct.statistics))
        #expect(result.stats.trades > 0)

        let again = try await server.send(.POST, "/v1/backtests", json: Self.smaCross)
        let cached = try again.decode(BacktestReply.self)
        #expect(cached.cached == true)
        #expect(try statsJSON(cached.stats) == statsJSON(result.stats))

        // Spelling the defaults out is the same request.
        let explicit =
            #"{"ticker":"aapl","start":"2020-01-01","end":"2020-12-31","strategy":"sma_cross","params":{"fast":10,"slow":30},"cash":10000,"commission":0}"#
        #expect(try await server.send(.POST, "/v1/backtests", json: explicit).decode(BacktestReply.self).cached == true)
        try await server.stop()
    }

    @Test("include adds trades and equity")
    func includes() async throws {
        let server = try await TestServer.start { $0.cacheEnabled = false }
        let json = #"{"ticker":"MSFT","start":"2019-01-01","end":"2019-12-31","strategy":"sma_cross","include":["trades","equity"]}"#
        let reply = try await server.send(.POST, "/v1/backtests", json: json)
        #expect(reply.status == 200, "\(reply.text)")
        let result = try reply.decode(BacktestReply.self)
        #expect(result.equity?.count == 252)
        #expect(result.trades?.count == result.stats.trades)
        try await server.stop()
    }

    @Test("GET /metrics reports requests, latency, queue, cache and jobs")
    func metrics() async throws {
        let server = try await TestServer.start()
        _ = try await server.send(.POST, "/v1/backtests", json: Self.smaCross)
        _ = try await server.send(.POST, "/v1/backtests", json: Self.smaCross)
        _ = try await server.send(.POST, "/v1/backtests", json: #"{"strategy":"nope","ticker":"AAPL"}"#)
        let reply = try await server.send(.GET, "/metrics")
        #expect(reply.status == 200)
        #expect(reply.headers["Content-Type"].first?.hasPrefix("text/plain") == true)
        let text = reply.text
        #expect(text.contains(#"backtest_http_requests_total{route="/v1/backtests",method="POST",status="200"} 2"#))
        #expect(text.contains(#"backtest_http_requests_total{route="/v1/backtests",method="POST",status="422"} 1"#))
        #expect(text.contains("backtest_backtest_duration_seconds_count 1"))
        #expect(text.contains("backtest_cache_hits_total 1"))
        #expect(text.contains("backtest_cache_misses_total 1"))
        #expect(text.contains("backtest_queue_depth 0.0"))
        #expect(text.contains(#"backtest_jobs{status="done"} 0.0"#))
        try await server.stop()
    }

    @Test("a --data-dir file is served first, case-insensitively, and re-read when it changes")
    func dataDirectory() async throws {
        let dir = TestScratch.path("backtest-data")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sample = try String(contentsOf: try #require(BundledData.sampleDirectory).appendingPathComponent("GOOG.csv"), encoding: .utf8)
        let lines = sample.split(whereSeparator: \.isNewline)
        let path = dir + "/xyz.csv"
        try (lines.prefix(301).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)

        let server = try await TestServer.start { $0.dataDirectory = dir }
        let list = try await server.send(.GET, "/v1/tickers").decode(TickerList.self)
        let xyz = try #require(list.tickers.first { $0.ticker == "XYZ" })
        #expect(xyz.bars == 300)
        #expect(xyz.source == "data-dir")
        let first = try await server.send(.POST, "/v1/backtests", json: #"{"ticker":"Xyz","strategy":"buy_and_hold"}"#)
        #expect(first.status == 200, "\(first.text)")
        #expect(try first.decode(BacktestReply.self).cached == false)

        try (lines.prefix(401).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let second = try await server.send(.POST, "/v1/backtests", json: #"{"ticker":"XYZ","strategy":"buy_and_hold"}"#)
        let result = try second.decode(BacktestReply.self)
        #expect(result.cached == false, "a changed file is a different data set")
        let list2 = try await server.send(.GET, "/v1/tickers").decode(TickerList.self)
        #expect(list2.tickers.first { $0.ticker == "XYZ" }?.bars == 400)
        try await server.stop()
    }
}

/// Statistics as canonical JSON (NaN-safe comparison).
func statsJSON(_ stats: Statistics) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(stats), as: UTF8.self)
}
