import BacktestAPI
import BacktestContract
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BacktestServer

/// `ContractCheckMiddleware`: with reply checking on (every test server), a reply that breaks the
/// API document becomes a 500 `contract_violation` naming the violation.
@Suite("Contract check middleware")
struct ContractCheckMiddlewareTests {
    @Test("with reply checking on, a reply that breaks the document becomes a 500 contract_violation")
    func middlewareReplacesBadReplies() async throws {
        let router = Router()
        router.add(middleware: ContractCheckMiddleware(logger: Logger(label: "test.contract")))
        router.get("/v1/tickers") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: .init(string: #"{"tickers": [{"ticker": "A"}]}"#))
            )
        }
        router.get("/v1/strategies") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: #"{"strategies": []}"#)))
        }
        router.get("/health") { _, _ in Response(status: .accepted) }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/tickers", method: .get) { response in
                #expect(response.status == .internalServerError)
                let problem = try JSONDecoder().decode(Problem.self, from: Data(response.body.readableBytesView))
                #expect(problem.code == .contractViolation)
                #expect(problem.detail.contains("$.tickers[0]: missing required member 'first'"), "\(problem.detail)")
            }
            try await client.execute(uri: "/v1/strategies", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"strategies": []}"#)
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .internalServerError, "202 is not documented for /health")
            }
        }
    }
}
