import BacktestAPI
import BacktestContract
import Foundation
import Hummingbird
import Logging
import MarketData
import NIOHTTP1
import Testing

@testable import BacktestServer

/// The OpenAPI document describes exactly the router's routes, with their bodies and errors.
@Suite("OpenAPI")
struct OpenAPITests {
    static func document() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(APIDocument.bytes))
        return try #require(object as? [String: Any])
    }

    /// The routes of the real router, built from real parts (as ``buildApplication`` wires them).
    static func routes() async throws -> [(path: String, method: String)] {
        let configuration = BacktestServer.Configuration(databasePath: TestServer.temporaryDatabase(), workers: 1)
        let parts = try await ServerParts(configuration: configuration, state: ServerState(), logger: Logger(label: "test.openapi"))
        let list = parts.routes.makeRouter().routes.map { ("\($0.path)", $0.method.rawValue.lowercased()) }
        parts.pool.shutdown()
        await parts.stores.close()
        return list
    }

    @Test("every route is in the document and every documented operation is a route")
    func routesMatch() async throws {
        let doc = try Self.document()
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "post", "put", "delete", "patch"]
        let documented = Set(paths.flatMap { path, item in item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
        let routed = Set(try await Self.routes().map { "\($0.method.uppercased()) \($0.path)" })
        #expect(routed.count >= 12)
        #expect(documented == routed, "only routed: \(routed.subtracting(documented)); only documented: \(documented.subtracting(routed))")
    }

    @Test("each operation documents its body and error replies")
    func bodiesAndErrors() throws {
        let doc = try Self.document()
        let paths = try #require(doc["paths"] as? [String: [String: Any]])
        for (path, item) in paths {
            for (method, value) in item where method != "parameters" {
                let operation = try #require(value as? [String: Any])
                let replies = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                #expect(replies.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) has no success reply")
                if !["/health", "/ready", "/"].contains(path) {
                    #expect(replies["401"] != nil, "\(method) \(path) lacks 401")
                }
                if method == "post" && path.hasSuffix("/cancel") {
                    #expect(operation["requestBody"] == nil, "\(method) \(path) takes no body")
                } else if method == "post" {
                    #expect(operation["requestBody"] != nil, "\(method) \(path) lacks a body")
                    for status in ["400", "413", "422", "503"] {
                        #expect(replies[status] != nil, "\(method) \(path) lacks \(status)")
                    }
                }
                if path.contains("{id}") { #expect(replies["404"] != nil, "\(method) \(path) lacks 404") }
            }
        }
        let statuses = Set(paths.values.flatMap { $0.values.compactMap { ($0 as? [String: Any])?["responses"] as? [String: Any] }.flatMap(\.keys) })
        for status in ["400", "401", "404", "413", "422", "429", "503"] { #expect(statuses.contains(status), "no route documents \(status)") }
    }

    @Test("GET /openapi.json serves the document")
    func served() async throws {
        let server = try await TestServer.start()
        let reply = try await server.send(.GET, "/openapi.json")
        #expect(reply.status == 200)
        #expect(reply.text == String(decoding: APIDocument.bytes, as: UTF8.self))
        try await server.stop()
    }
}
