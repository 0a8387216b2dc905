import BacktestAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Testing

@testable import BacktestServer

/// HTTP as RFC 9110 says: a known path refuses a method it does not serve with 405 and
/// `Allow`, answers OPTIONS with 204 and `Allow`, and serves HEAD wherever it serves GET;
/// an unknown path stays 404.
@Suite("Methods")
struct MethodRoutingTests {
    static let routes: [(path: RouterPath, method: HTTPRequest.Method)] = [
        ("/", .get), ("/v1/jobs", .get), ("/v1/jobs", .post), ("/v1/jobs/:id", .get), ("/v1/jobs/:id", .delete),
        ("/v1/jobs/:id/cancel", .post), ("/v1/tickers/:ticker/bars", .put),
    ]

    @Test(
        "the methods of a path come from the templates that match it",
        arguments: [
            ("/", "GET, HEAD, OPTIONS"), ("/v1/jobs", "GET, HEAD, POST, OPTIONS"), ("/v1/jobs/", "GET, HEAD, POST, OPTIONS"),
            ("/v1/jobs/42", "GET, HEAD, DELETE, OPTIONS"), ("/v1/jobs/42/cancel", "POST, OPTIONS"),
            ("/v1/tickers/AAPL/bars", "PUT, OPTIONS"),
        ]
    )
    func allowedMethods(path: String, allow: String) throws {
        let methods = try #require(AllowedMethods(Self.routes).methods(for: path))
        #expect(AllowedMethods.allowField(methods) == allow)
    }

    @Test("a path no template matches has no methods", arguments: ["/v2", "/v1/jobs/42/cancel/now", "/v1/tickers/AAPL", "/v1"])
    func unknownPaths(path: String) {
        #expect(AllowedMethods(Self.routes).methods(for: path) == nil)
    }

    @Test("on a router: TRACE is 405 with Allow, OPTIONS 204 with Allow, HEAD follows GET, an unknown path 404")
    func router() async throws {
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: ProblemMiddleware())
        router.get("/v1/tickers") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: .init(string: "list")))
        }
        router.delete("/v1/tickers/:ticker") { _, _ in Response(status: .noContent) }
        router.add(middleware: MethodNotAllowedMiddleware(allowed: AllowedMethods(router.routes.map { ($0.path, $0.method) })))
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/v1/tickers", method: .trace) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD, OPTIONS")
                #expect(response.headers[.contentType] == "application/problem+json")
                let problem = try JSONDecoder().decode(Problem.self, from: Data(response.body.readableBytesView))
                #expect(problem.code == .methodNotAllowed && problem.status == 405)
                #expect(problem.detail.contains("TRACE") && problem.detail.contains("GET, HEAD, OPTIONS"), "\(problem.detail)")
            }
            try await client.execute(uri: "/v1/tickers/AAPL", method: .options) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.allow] == "DELETE, OPTIONS")
            }
            try await client.execute(uri: "/v1/tickers", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v1/nothing", method: .trace) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.allow] == nil)
            }
        }
    }

    @Test("on the server: every route's path refuses other methods with 405 and Allow")
    func server() async throws {
        let server = try await TestServer.start()
        let trace = try await server.send(.TRACE, "/v1/tickers")
        #expect(trace.status == 405, "\(trace.text)")
        #expect(trace.headers["Allow"].first == "GET, HEAD, OPTIONS")
        #expect(try trace.decode(Problem.self).code == .methodNotAllowed)
        let put = try await server.send(.PUT, "/v1/backtests", json: "{}")
        #expect(put.status == 405 && put.headers["Allow"].first == "POST, OPTIONS", "\(put.text)")
        let job = try await server.send(.PATCH, "/v1/jobs/any-id")
        #expect(job.status == 405, "\(job.text)")
        #expect(job.headers["Allow"].first?.hasPrefix("GET, HEAD") == true && job.headers["Allow"].first?.contains("DELETE") == true)
        let options = try await server.send(.OPTIONS, "/v1/strategies")
        #expect(options.status == 204 && options.headers["Allow"].first == "GET, HEAD, OPTIONS", "\(options.text)")
        let head = try await server.send(.HEAD, "/v1/strategies")
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(head.headers["Content-Type"].first == "application/json")
        let unknown = try await server.send(.TRACE, "/v2/anything")
        #expect(unknown.status == 404 && unknown.headers["Allow"].isEmpty)
        try await server.stop()
    }
}
