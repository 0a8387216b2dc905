import BacktestAPI
import BacktestClient
import BacktestServer
import Foundation
import Logging
import ServiceLifecycle

/// The real backtest server, in-process on 127.0.0.1 and a free port, with the bundled data
/// and a throw-away database. Stopped by graceful shutdown.
final class RealServer: Sendable {
    private let server: RunningServer
    private let database: String
    var url: String { server.url }

    /// Starts a server and waits until it listens.
    init(
        workers: Int = 2,
        apiKeys: [String] = [],
        port: Int = 0,
        cache: Bool = true,
        tls: BacktestServer.Configuration.TLSFiles? = nil
    ) async throws {
        database = NSTemporaryDirectory() + "backtest-client-tests-\(UUID().uuidString).sqlite"
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        var configuration = BacktestServer.Configuration(
            host: "127.0.0.1",
            port: port,
            databasePath: database,
            workers: workers,
            apiKeys: apiKeys,
            cacheEnabled: cache,
            drainTimeout: .seconds(2)
        )
        // Every reply the client tests provoke is held to the API document.
        configuration.checksReplies = true
        configuration.tls = tls
        do {
            server = try await RunningServer.start(configuration: configuration, logger: logger)
        } catch {
            throw BacktestClientError(code: .noEndpoint, message: "the test server did not start: \(error)")
        }
    }

    /// The port it listens on.
    var port: Int { Endpoint(parsing: url)?.port ?? 0 }

    /// Stops the server gracefully and waits until it is gone.
    func stop() async {
        try? await server.stop()
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }

    /// Runs `body` with a fresh server, stopping it afterwards.
    static func with<R>(workers: Int = 2, apiKeys: [String] = [], _ body: (RealServer) async throws -> R) async throws -> R {
        let server = try await RealServer(workers: workers, apiKeys: apiKeys)
        do {
            let r = try await body(server)
            await server.stop()
            return r
        } catch {
            await server.stop()
            throw error
        }
    }
}
