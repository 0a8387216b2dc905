import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// `POST /v1/portfolios`: the reference cases over HTTP, and bad input refused with the field
/// named and nothing run.
@Suite(.serialized) struct PortfolioRouteTests {
    static let cases = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("BacktestEngineTests/Fixtures/portfolio")

    static func close(_ a: Double, _ e: Double) -> Bool {
        a == e || abs(a - e) <= 1e-9 * max(abs(a), abs(e))
    }

    @Test("a reference case's body answers the case's statistics, orders and equity", arguments: ["faang_equal_monthly", "momentum_weekly_tie"])
    func referenceCase(_ name: String) async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let file = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.cases.appendingPathComponent("\(name).json"))) as? [String: Any]
        )
        var body = try #require(file["case"] as? [String: Any])
        body["include"] = ["equity", "orders"]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let reply = try await server.send(.POST, "/v1/portfolios", json: json)
        #expect(reply.status == 200, "\(reply.text.prefix(300))")
        let got = try reply.object()
        let expected = try #require(file["expected"] as? [String: Any])
        let stats = try #require(got["stats"] as? [String: Any])
        for (key, value) in try #require(expected["stats"] as? [String: Any]) {
            if let number = value as? Double {
                #expect(Self.close(try #require(stats[key] as? Double), number), "\(key)")
            } else {
                #expect(stats[key] as? String == value as? String, "\(key)")
            }
        }
        #expect(stats["sqn"] == nil && stats["trades"] == nil)
        let equity = try #require(got["equity"] as? [Double])
        let want = try #require(expected["equity"] as? [Double])
        #expect(equity.count == want.count && zip(equity, want).allSatisfy(Self.close))
        #expect((got["orders"] as? [Any])?.count == (expected["orders"] as? [Any])?.count)
        // The same body again is answered from memory, byte for byte.
        let again = try await server.send(.POST, "/v1/portfolios", json: json)
        #expect(again.body == reply.body)
    }

    @Test(
        "bad input is a problem naming the field",
        arguments: [
            (#""allocation":{"type":"fixed","weights":{"AAPL":0.7,"MSFT":0.6}},"schedule":{"type":"monthly"}"#, 422, "allocation.weights"),
            (#""allocation":{"type":"fixed","weights":{"AAPL":-0.1}},"schedule":{"type":"monthly"}"#, 422, "allocation.weights.AAPL"),
            (#""allocation":{"type":"fixed","weights":{"GOOG":0.5}},"schedule":{"type":"monthly"}"#, 422, "allocation.weights.GOOG"),
            (#""allocation":{"type":"kelly"},"schedule":{"type":"monthly"}"#, 422, "allocation.type"),
            (#""allocation":{"type":"equal"},"schedule":{"type":"daily"}"#, 422, "schedule.type"),
            (#""allocation":{"type":"equal"},"schedule":{"type":"every_n_bars","n":0}"#, 422, "schedule.n"),
            (#""allocation":{"type":"equal"},"schedule":{"type":"every_n_bars","n":1000001}"#, 422, "schedule.n"),
            (#""allocation":{"type":"momentum","lookback":2000000,"top_k":1},"schedule":{"type":"monthly"}"#, 422, "allocation.lookback"),
            (#""allocation":{"type":"equal"}"#, 422, "schedule"),
            (#""allocation":{"type":"momentum","lookback":20,"top_k":3},"schedule":{"type":"monthly"}"#, 422, "allocation.top_k"),
            (#""allocation":{"type":"inverse_volatility","lookback":400},"schedule":{"type":"monthly"}"#, 422, "allocation.lookback"),
            (#""allocation":{"type":"equal"},"schedule":{"type":"monthly"},"cash":0"#, 422, "cash"),
            (#""allocation":{"type":"equal"},"schedule":{"type":"monthly"},"bogus":1"#, 422, "bogus"),
        ]
    )
    func badInput(_ members: String, _ status: Int, _ field: String) async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let json = #"{"tickers":["AAPL","MSFT"],"start":"2019-01-01","end":"2019-12-31","# + members + "}"
        let reply = try await server.send(.POST, "/v1/portfolios", json: json)
        #expect(reply.status == status, "\(reply.text)")
        #expect(reply.headers.first(name: "content-type") == "application/problem+json")
        #expect(try reply.object()["field"] as? String == field, "\(reply.text)")
    }

    @Test("an unknown ticker is a 404")
    func unknownTicker() async throws {
        let server = try await TestServer.start()
        defer { Task { try? await server.stop() } }
        let reply = try await server.send(
            .POST,
            "/v1/portfolios",
            json: #"{"tickers":["AAPL","NOPE"],"allocation":{"type":"equal"},"schedule":{"type":"never"}}"#
        )
        #expect(reply.status == 404, "\(reply.text)")
        #expect(reply.text.contains("NOPE"))
    }
}
