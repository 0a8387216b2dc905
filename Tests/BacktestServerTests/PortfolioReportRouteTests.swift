import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// `POST /v1/reports` with a portfolio body (the body of `POST /v1/portfolios`): the
/// portfolio's report page.
@Suite(.serialized) struct PortfolioReportRouteTests {
    static let body = #"""
        {"tickers":["AAPL","MSFT","GOOG"],"start":"2020-01-01","end":"2021-12-31",
         "allocation":{"type":"equal"},"schedule":{"type":"monthly"},"commission":0.001}
        """#

    @Test("a portfolio body answers the portfolio's page, with the statistics of POST /v1/portfolios")
    func portfolioPage() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let reply = try await server.send(.POST, "/v1/reports", json: Self.body)
        ReportRouteTests.expectPage(reply)
        let data = try ReportRouteTests.data(reply.text)
        #expect(data["kind"] as? String == "portfolio")
        #expect(data["title"] as? String == "equal weight of AAPL, MSFT, GOOG, rebalanced monthly")
        #expect(data["tickers"] as? [String] == ["AAPL", "MSFT", "GOOG"])
        let time = try #require(data["time"] as? [Int])
        #expect((data["equity"] as? [Any])?.count == time.count && (data["weights"] as? [Any])?.count == time.count)
        #expect(((data["orders"] as? [Any])?.count ?? 0) > 20)

        let portfolio = try await server.send(.POST, "/v1/portfolios", json: Self.body).object()
        let want = try #require(portfolio["stats"] as? [String: Any])
        let stats = try #require(data["stats"] as? [String: Any])
        #expect(Set(stats.keys) == Set(want.keys))
        let returnPct = try #require(want["return_pct"] as? Double)
        #expect(stats["return_pct"] as? Double == returnPct && stats["sharpe_ratio"] as? Double == want["sharpe_ratio"] as? Double)
        // The contributions add up to the return.
        let contributions = try #require(data["contributions"] as? [[String: Any]])
        let sum = contributions.compactMap { $0["return_pct"] as? Double }.reduce(0, +)
        #expect(contributions.count == 3 && abs(sum - returnPct) <= 1e-9 * max(1, abs(returnPct)))
        // The bundled MSFT ends on 2021-03-31, inside the window.
        let coverage = try #require(data["coverage"] as? [[String: Any]])
        #expect(coverage.count == 1 && coverage.first?["ticker"] as? String == "MSFT" && coverage.first?["ends_early"] as? Bool == true)
    }

    @Test(
        "a bad portfolio body is a 422 problem naming the field; an unknown ticker a 404",
        arguments: [
            (#""allocation":{"type":"kelly"},"schedule":{"type":"monthly"}"#, 422, "allocation.type"),
            (#""allocation":{"type":"equal"},"schedule":{"type":"every_n_bars","n":0}"#, 422, "schedule.n"),
            (#""allocation":{"type":"fixed","weights":{"AAPL":0.7,"MSFT":0.6}},"schedule":{"type":"monthly"}"#, 422, "allocation.weights"),
        ]
    )
    func badBody(_ members: String, _ status: Int, _ field: String) async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let reply = try await server.send(.POST, "/v1/reports", json: #"{"tickers":["AAPL","MSFT"],"# + members + "}")
        #expect(reply.status == status, "\(reply.text)")
        #expect(reply.headers.first(name: "content-type") == "application/problem+json")
        #expect(try reply.object()["field"] as? String == field, "\(reply.text)")
        let unknown = try await server.send(
            .POST,
            "/v1/reports",
            json: #"{"tickers":["AAPL","NOPE"],"allocation":{"type":"equal"},"schedule":{"type":"monthly"}}"#
        )
        #expect(unknown.status == 404, "\(unknown.text)")
    }
}
