import BacktestClient
import BacktestServer
import Foundation
import Logging
import ServiceLifecycle

/// A backtest server run in-process for the CLI when no server is configured or reachable:
/// 127.0.0.1 on a free port, the bundled sample data, a throw-away database. It lives as
/// long as the body of ``withServer(_:)``.
enum EmbeddedServer {
    /// Why the embedded server could not start.
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the server, runs `body` with its endpoint, then stops the server.
    static func withServer<Result: Sendable>(
        cacheEnabled: Bool = true,
        _ body: (Endpoint) async throws -> Result
    ) async throws -> Result {
        let database = NSTemporaryDirectory() + "backtest-embedded-\(UUID().uuidString).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        }
        var logger = Logger(label: "backtest.embedded-server") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        var configuration = BacktestServer.Configuration(host: "127.0.0.1", port: 0, databasePath: database, drainTimeout: .seconds(2))
        configuration.cacheEnabled = cacheEnabled
        let server: RunningServer
        do {
            server = try await RunningServer.start(configuration: configuration, logger: logger)
        } catch {
            throw StartFailure(description: "cannot start the embedded server: \(error)")
        }
        guard let endpoint = Endpoint(parsing: server.url) else {
            try? await server.stop()
            throw StartFailure(description: "cannot start the embedded server: it listens at \(server.url)")
        }
        // Stopped by graceful shutdown (not cancellation), so the server closes its database.
        let result: Result
        do {
            result = try await body(endpoint)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        return result
    }
}
