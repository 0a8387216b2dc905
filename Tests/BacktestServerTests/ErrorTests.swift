import BacktestAPI
import Foundation
import NIOHTTP1
import Testing

@testable import BacktestServer

/// Every error status: problem+json with a stable code and the field at fault.
@Suite("Errors", .serialized)
struct ErrorTests {
    /// Sends `json` and checks status, code and field.
    func expectProblem(
        _ server: TestServer,
        _ method: NIOHTTP1.HTTPMethod = .POST,
        _ path: String = "/v1/backtests",
        json: String? = nil,
        body: Data? = nil,
        status: Int,
        code: ProblemCode,
        field: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Problem {
        let reply = try await server.send(method, path, json: json, body: body)
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.headers["Content-Type"].first == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try reply.decode(Problem.self)
        #expect(problem.status == status, sourceLocation: sourceLocation)
        #expect(problem.code == code, "\(problem)", sourceLocation: sourceLocation)
        #expect(problem.field == field, "\(problem)", sourceLocation: sourceLocation)
        #expect(!problem.detail.isEmpty, sourceLocation: sourceLocation)
        return problem
    }

    @Test("400 for malformed JSON, a non-object body and an empty body")
    func malformed() async throws {
        let server = try await TestServer.start()
        _ = try await expectProblem(server, json: #"{"ticker": "AAPL", "#, status: 400, code: .malformedJSON)
        _ = try await expectProblem(server, json: #"[1, 2]"#, status: 400, code: .malformedJSON)
        _ = try await expectProblem(server, json: "", status: 400, code: .malformedJSON)
        _ = try await expectProblem(server, .POST, "/v1/backtests/batch", json: "nope", status: 400, code: .malformedJSON)
        try await server.stop()
    }

    @Test("422 names the invalid field")
    func invalidFields() async throws {
        let server = try await TestServer.start()
        // Found by the fuzzer: these crashed the server (an order size beyond Int).
        for body in [
            #"{"ticker":"AAPL","strategy":"buy_and_hold","cash":1e30}"#, #"{"ticker":"AAPL","strategy":"buy_and_hold","margin":5e-324}"#,
        ] {
            _ = try await expectProblem(server, json: body, status: 422, code: .invalidField, field: "cash")
        }
        _ = try await expectProblem(server, json: #"{"ticker":"AAPL","strategy":"moon"}"#, status: 422, code: .unknownStrategy, field: "strategy")
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","params":{"fats":3}}"#,
            status: 422,
            code: .unknownParameter,
            field: "params.fats"
        )
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","params":{"fast":40,"slow":30}}"#,
            status: 422,
            code: .invalidParameter,
            field: "params.fast"
        )
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","start":"2020-05-01","end":"2020-01-01"}"#,
            status: 422,
            code: .invalidField,
            field: "end"
        )
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","cash":0}"#,
            status: 422,
            code: .invalidField,
            field: "cash"
        )
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","cash":"lots"}"#,
            status: 422,
            code: .invalidField,
            field: "cash"
        )
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","colour":"red"}"#,
            status: 422,
            code: .unknownField,
            field: "colour"
        )
        _ = try await expectProblem(server, json: #"{"ticker":"AAPL"}"#, status: 422, code: .missingField, field: "strategy")
        _ = try await expectProblem(server, json: #"{"strategy":"sma_cross"}"#, status: 422, code: .missingField, field: "ticker")
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","start":"yesterday"}"#,
            status: 422,
            code: .invalidField,
            field: "start"
        )
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","include":["charts"]}"#,
            status: 422,
            code: .invalidField,
            field: "include"
        )
        _ = try await expectProblem(
            server,
            json: #"{"ticker":"../etc/passwd","strategy":"sma_cross"}"#,
            status: 422,
            code: .invalidField,
            field: "ticker"
        )
        _ = try await expectProblem(
            server,
            json: #"{"data":"/etc/passwd","ticker":"AAPL","strategy":"sma_cross"}"#,
            status: 422,
            code: .invalidField,
            field: "data"
        )
        let empty = try await expectProblem(
            server,
            json: #"{"ticker":"AAPL","strategy":"sma_cross","start":"1990-01-01","end":"1990-12-31"}"#,
            status: 422,
            code: .emptyRange,
            field: "start"
        )
        #expect(empty.detail.contains("2013-01-02"))
        try await server.stop()
    }

    @Test("404 for an unknown ticker says how many are known and how to add one")
    func unknownTicker() async throws {
        let server = try await TestServer.start()
        let problem = try await expectProblem(
            server,
            json: #"{"ticker":"ZZZZ","strategy":"sma_cross"}"#,
            status: 404,
            code: .unknownTicker,
            field: "ticker"
        )
        #expect(problem.detail.contains("7 tickers"))
        #expect(problem.detail.contains("ZZZZ.csv"))
        #expect(problem.detail.contains("--data-dir"))
        try await server.stop()
    }

    @Test("404 for an unknown job or route")
    func unknownJobAndRoute() async throws {
        let server = try await TestServer.start()
        _ = try await expectProblem(server, .GET, "/v1/jobs/no-such-job", status: 404, code: .unknownJob, field: "id")
        _ = try await expectProblem(server, .DELETE, "/v1/jobs/no-such-job", status: 404, code: .unknownJob, field: "id")
        _ = try await expectProblem(server, .POST, "/v1/jobs/no-such-job/cancel", status: 404, code: .unknownJob, field: "id")
        _ = try await expectProblem(server, .GET, "/v1/jobs/no-such-job/events", status: 404, code: .unknownJob, field: "id")
        _ = try await expectProblem(server, .GET, "/v2/anything", status: 404, code: .notFound)
        try await server.stop()
    }

    @Test("413 for a body over 1 MiB")
    func tooLarge() async throws {
        let server = try await TestServer.start()
        let big = Data(("{\"ticker\":\"AAPL\",\"strategy\":\"sma_cross\",\"start\":\"" + String(repeating: "x", count: 1 << 20) + "\"}").utf8)
        _ = try await expectProblem(server, body: big, status: 413, code: .bodyTooLarge)
        _ = try await expectProblem(server, .POST, "/v1/jobs", body: big, status: 413, code: .bodyTooLarge)
        // The server still serves after refusing.
        #expect(try await server.send(.GET, "/health").status == 200)
        try await server.stop()
    }

    @Test("a broken data file is a logged 500 that carries the request id")
    func brokenDataFile() async throws {
        let dir = TestScratch.path("backtest-bad")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "Date,Open,High,Low,Close\n2020-01-02,abc,1,1,1\n".write(toFile: dir + "/BAD.csv", atomically: true, encoding: .utf8)
        let server = try await TestServer.start { $0.dataDirectory = dir }
        let problem = try await expectProblem(server, json: #"{"ticker":"BAD","strategy":"buy_and_hold"}"#, status: 500, code: .badMarketData)
        #expect(problem.requestId?.isEmpty == false)
        #expect(problem.detail.contains("BAD.csv:2"))
        try await server.stop()
    }

    @Test("an unexpected error maps to a 500 with the request id")
    func serverFaultCarriesRequestID() {
        let problem = Problem(TestFailure("boom"), requestID: "abc123")
        #expect(problem.status == 500)
        #expect(problem.requestId == "abc123")
        #expect(problem.detail.contains("abc123"))
    }
}
