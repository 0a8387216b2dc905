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
        let (listening, announce) = AsyncStream.makeStream(of: String.self)
        let server: BacktestServer
        do {
            server = try BacktestServer(configuration: configuration, logger: logger) { url in
                announce.yield(url)
                announce.finish()
            }
        } catch {
            throw StartFailure(description: "cannot start the embedded server: \(error)")
        }
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { announce.finish() }
                try await services.run()
            }
            var url: String?
            for await u in listening {
                url = u
                break
            }
            guard let url, let endpoint = Endpoint(parsing: url) else {
                // The server ended before listening: its error says why.
                var reason = "it stopped before listening"
                do { try await group.next() } catch { reason = "\(error)" }
                throw StartFailure(description: "cannot start the embedded server: \(reason)")
            }
            // Stop by graceful shutdown (not cancellation), so the server closes its database.
            let result: Result
            do {
                result = try await body(endpoint)
            } catch {
                await services.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return result
        }
    }
}
