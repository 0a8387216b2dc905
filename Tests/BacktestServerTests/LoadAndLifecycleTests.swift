import BacktestAPI
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Admission control, auth, bind refusal and graceful drain.
@Suite("Load, auth and lifecycle", .serialized)
struct LoadAndLifecycleTests {
    @Test("a flooded queue gets 429 with Retry-After while /health still answers")
    func overload() async throws {
        let server = try await TestServer.start {
            $0.workers = 1
            $0.queueLimit = 2
            $0.cacheEnabled = false
            // Timing test: the reply check (a parse and validation of every large reply, in a
            // debug build) would compete with /health for the two cores.
            $0.checksReplies = false
        }
        let json = #"{"ticker":"GOOG","strategy":"macd_cross","include":["equity","trades"]}"#
        let statuses = try await withThrowingTaskGroup(of: TestServer.Reply.self) { group in
            for _ in 0..<60 { group.addTask { try await server.send(.POST, "/v1/backtests", json: json) } }
            group.addTask {
                // /health answers in the middle of the flood, not behind the queue: 60 backtests
                // with equity and trades take far longer (the bound is generous: parallel test
                // suites share two cores; 5.4 s once with a build running beside them).
                try await Task.sleep(for: .milliseconds(5))
                let started = ContinuousClock.now
                let health = try await server.send(.GET, "/health")
                #expect(ContinuousClock.now - started < .seconds(15))
                return health
            }
            var replies: [TestServer.Reply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        let rejected = statuses.filter { $0.status == 429 }
        #expect(!rejected.isEmpty, "no 429 among \(statuses.map(\.status))")
        #expect(statuses.contains { $0.status == 200 })
        #expect(statuses.allSatisfy { [200, 429].contains($0.status) })
        let first = try #require(rejected.first)
        #expect(Int(first.headers["Retry-After"].first ?? "") ?? 0 >= 1)
        #expect(try first.decode(Problem.self).code == .overloaded)
        let metrics = try await server.send(.GET, "/metrics").text
        #expect(metrics.contains("backtest_rejected_total \(rejected.count)"))
        try await server.stop()
    }

    @Test("batches are admitted as a whole: once their waiting items reach the queue limit, more batches get 429")
    func batchAdmission() async throws {
        let server = try await TestServer.start {
            $0.workers = 1
            $0.queueLimit = 4
            $0.cacheEnabled = false
        }
        let tickers = Array(repeating: #""GOOG""#, count: 40).joined(separator: ",")
        let json = #"{"tickers":[\#(tickers)],"strategy":"sma_cross","start":"2015-01-01","end":"2020-12-31"}"#
        let replies = try await withThrowingTaskGroup(of: TestServer.Reply.self) { group in
            for _ in 0..<12 { group.addTask { try await server.send(.POST, "/v1/backtests/batch", json: json) } }
            group.addTask {
                try await Task.sleep(for: .milliseconds(20))
                return try await server.send(.GET, "/health")
            }
            var replies: [TestServer.Reply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        let rejected = replies.filter { $0.status == 429 }
        // 480 items offered to one worker behind a limit of 4: the first batch is admitted,
        // most of the others are refused instead of queueing 40 items each.
        #expect(rejected.count >= 6, "statuses: \(replies.map(\.status))")
        #expect(replies.filter { $0.status == 200 }.count >= 2, "a batch and /health succeed")
        #expect(replies.allSatisfy { [200, 429].contains($0.status) })
        for reply in rejected {
            #expect(Int(reply.headers["Retry-After"].first ?? "") ?? 0 >= 1)
            #expect(try reply.decode(Problem.self).code == .overloaded)
        }
        // Once the admitted work is done the server serves normally.
        let after = try await server.send(.POST, "/v1/backtests/batch", json: json)
        #expect(after.status == 200)
        #expect(try after.decode(BatchReply.self).results.allSatisfy { $0.result != nil })
        #expect(try await server.send(.GET, "/health").decode(Health.self).queued == 0)
        try await server.stop()
    }

    @Test("with keys every route but /health and /ready needs 'Authorization: Bearer KEY'")
    func authOn() async throws {
        let server = try await TestServer.start { $0.apiKeys = ["k-one", "k-two"] }
        #expect(try await server.send(.GET, "/health").status == 200)
        #expect(try await server.send(.GET, "/ready").status == 200)
        let missing = try await server.send(.GET, "/v1/strategies")
        #expect(missing.status == 401)
        #expect(missing.headers["WWW-Authenticate"].first == "Bearer")
        #expect(try missing.decode(Problem.self).code == .unauthorized)
        #expect(try await server.send(.GET, "/v1/strategies", headers: [("Authorization", "Bearer nope")]).status == 401)
        #expect(try await server.send(.GET, "/v1/strategies", headers: [("Authorization", "Basic k-one")]).status == 401)
        #expect(try await server.send(.GET, "/v1/strategies", headers: [("Authorization", "Bearer k-one")]).status == 200)
        #expect(try await server.send(.GET, "/metrics", headers: [("Authorization", "Bearer k-two")]).status == 200)
        #expect(try await server.send(.POST, "/v1/backtests", json: #"{"ticker":"AAPL","strategy":"sma_cross"}"#).status == 401)
        let ok = try await server.send(
            .POST,
            "/v1/backtests",
            json: #"{"ticker":"AAPL","strategy":"sma_cross"}"#,
            headers: [("Authorization", "Bearer k-two")]
        )
        #expect(ok.status == 200)
        try await server.stop()
    }

    @Test("without keys the loopback server needs none")
    func authOff() async throws {
        let server = try await TestServer.start()
        #expect(try await server.send(.GET, "/v1/strategies").status == 200)
        #expect(try await server.send(.GET, "/v1/tickers", headers: [("Authorization", "Bearer anything")]).status == 200)
        try await server.stop()
    }

    @Test("binding a public address without keys is refused unless --insecure-no-auth")
    func refusePublicBind() throws {
        let refused = #expect(throws: ServerError.self) {
            _ = try BacktestServer(configuration: .init(host: "0.0.0.0", port: 0))
        }
        #expect(refused?.code == .insecureBind)
        #expect(refused?.message.contains("--api-key-file") == true)
        #expect(refused?.message.contains("--insecure-no-auth") == true)
        var behindProxy = BacktestServer.Configuration(host: "0.0.0.0", port: 0, apiKeys: ["k"])
        behindProxy.plaintextBehindProxy = true
        _ = try BacktestServer(configuration: behindProxy)
        behindProxy.apiKeys = []
        behindProxy.insecureNoAuth = true
        _ = try BacktestServer(configuration: behindProxy)
        _ = try BacktestServer(configuration: .init(host: "127.0.0.5", port: 0))
        _ = try BacktestServer(configuration: .init(host: "localhost", port: 0))
    }

    @Test("graceful drain: /ready and new work get 503, in-flight requests finish, the server exits")
    func drain() async throws {
        let server = try await TestServer.start {
            $0.workers = 1
            $0.itemConcurrency = 1
            $0.cacheEnabled = false
            // The window in which the draining server still answers (with 503s); generous because
            // parallel suites share two cores.
            $0.drainDelay = .seconds(2)
        }
        let tickers = Array(repeating: "\"GOOG\"", count: 150).joined(separator: ",")
        let inFlight = Task { try await server.send(.POST, "/v1/backtests/batch", json: "{\"tickers\":[\(tickers)],\"strategy\":\"bollinger\"}") }
        // Wait until the batch is running.
        for _ in 0..<200 {
            let health = try await server.send(.GET, "/health").decode(Health.self)
            if health.inFlight + health.queued > 0 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        await server.beginShutdown()
        // The shutdown signal reaches the server asynchronously: wait for /ready to turn.
        var ready = try await server.send(.GET, "/ready")
        for _ in 0..<300 where ready.status != 503 {
            try await Task.sleep(for: .milliseconds(5))
            ready = try await server.send(.GET, "/ready")
        }
        #expect(ready.status == 503)
        #expect(try ready.decode(Problem.self).code == .draining)
        let refused = try await server.send(.POST, "/v1/backtests", json: #"{"ticker":"AAPL","strategy":"sma_cross"}"#)
        #expect(refused.status == 503)
        #expect(refused.headers["Retry-After"].first != nil)
        #expect(try await server.send(.GET, "/health").decode(Health.self).status == "draining")

        let batch = try await inFlight.value
        #expect(batch.status == 200)
        #expect(try batch.decode(BatchReply.self).results.allSatisfy { $0.result != nil })
        try await server.waitStopped()
    }
}
