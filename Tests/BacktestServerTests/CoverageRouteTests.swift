import BacktestAPI
import BacktestJSON
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// `coverage` on every backtest result (issue 25): the window the data covers against the one
/// asked for, flagged when it starts or ends more than 5 trading days off.
@Suite(.serialized) struct CoverageRouteTests {
    @Test("POST /v1/backtests: MSFT's bundled data ends 2021-03-31 and is flagged; a full window is not; no dates, no request")
    func runReply() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let body = #"{"ticker":"MSFT","strategy":"sma_cross","start":"2015-01-01","end":"2022-12-31"}"#
        let reply = try await server.send(.POST, "/v1/backtests", json: body)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.text.contains(#""short":true"#))
        let msft = try #require(try reply.decode(BacktestReply.self).coverage)
        #expect(msft.requestedStart == "2015-01-01" && msft.requestedEnd == "2022-12-31")
        #expect(msft.lastBar.hasPrefix("2021-03-31"))
        #expect(msft.isShort)
        #expect((msft.bars ?? 0) > 1_000)
        // The client's reader sees the same.
        let read = try BacktestReply(json: try JSONReader.parse(Array(reply.body)))
        #expect(read.coverage == msft)

        let full = try await server.send(
            .POST,
            "/v1/backtests",
            json: #"{"ticker":"AAPL","strategy":"sma_cross","start":"2020-01-01","end":"2020-12-31"}"#
        )
        let aapl = try #require(try full.decode(BacktestReply.self).coverage)
        #expect(!aapl.isShort)
        #expect(full.text.contains(#""short":false"#))
        let open = try await server.send(.POST, "/v1/backtests", json: #"{"ticker":"AAPL","strategy":"sma_cross"}"#)
        let none = try #require(try open.decode(BacktestReply.self).coverage)
        #expect(none.requestedStart == nil && none.requestedEnd == nil && !none.isShort)
    }

    @Test("a batch job's items carry their coverage")
    func jobItems() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let body = #"{"tickers":["AAPL","MSFT"],"strategy":"sma_cross","start":"2015-01-01","end":"2022-12-31"}"#
        let created = try await server.send(.POST, "/v1/jobs", json: body)
        #expect(created.status == 202, "\(created.text)")
        let job = try created.decode(JobCreated.self)
        _ = try await server.send(.GET, job.eventsUrl)
        let status = try await server.send(.GET, job.statusUrl).decode(JobStatus.self)
        let results = try #require(status.results)
        let short = results.compactMap { item in item.result.flatMap { $0.coverage?.isShort == true ? $0.ticker : nil } }
        #expect(short == ["MSFT"])
    }
}
