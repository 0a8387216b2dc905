import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

@testable import BacktestServer

/// A real server on 127.0.0.1, port 0, with its own SQLite file, for one test.
struct TestServer {
    let server: RunningServer
    var baseURL: String { server.url }
    var configuration: BacktestServer.Configuration { server.configuration }

    /// A fresh temporary database path.
    static func temporaryDatabase() -> String {
        TestScratch.path("backtest-test", suffix: ".sqlite")
    }

    /// A fresh data folder holding `LONG.csv`: `bars` daily bars, so that each backtest on it
    /// takes long enough (milliseconds in a debug build) for a test to catch a job mid-way
    /// without depending on timing.
    static func longDataDirectory(bars: Int = 5_000) throws -> String {
        let dir = TestScratch.path("backtest-long")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let csv = DataRouteTests.csv(count: bars) { 100 + 20 * sin(Double($0) / 9) + Double($0 % 7) }
        try csv.write(to: URL(fileURLWithPath: dir + "/LONG.csv"))
        return dir
    }

    /// Starts a server and waits for it to listen.
    static func start(_ configure: (inout BacktestServer.Configuration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = BacktestServer.Configuration(host: "127.0.0.1", port: 0, databasePath: temporaryDatabase(), workers: 2)
        // Every reply a test provokes is held to the API document (500 contract_violation if not).
        configuration.checksReplies = true
        configure(&configuration)
        if StorageKind.current == .postgres, configuration.databaseURL == nil {
            configuration.databaseURL = try await StorageKind.postgresDatabase(forPath: configuration.databasePath)
        }
        var logger = Logger(label: "test.server")
        logger.logLevel = .warning
        return TestServer(server: try await RunningServer.start(configuration: configuration, logger: logger))
    }

    /// Shuts down gracefully and waits for the server to stop.
    func stop() async throws {
        try await server.stop()
    }

    /// Begins graceful shutdown without waiting.
    func beginShutdown() async {
        await server.beginShutdown()
    }

    /// Waits for the server task to end.
    func waitStopped() async throws {
        try await server.waitStopped()
    }

    /// Sends a request and collects the reply.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        json: String? = nil,
        body: Data? = nil,
        headers: [(String, String)] = [],
        timeout: TimeAmount = .seconds(60)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        } else if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    /// An HTTP reply.
    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(T.self, from: body)
        }

        /// The reply as a JSON object.
        func object() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(text)")
            }
            return object
        }
    }
}

/// A failure inside test support code.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
