import Foundation
import Logging
import ServiceLifecycle

/// A backtest server running in this process, once it listens: the CLI's embedded server and
/// the test suites' live servers start it here (one harness for all of them).
///
/// ```swift
/// try await withRunningServer(configuration: .init(port: 0, databasePath: path)) { server in
///     print(server.url)  // http://127.0.0.1:PORT
/// }
/// ```
public final class RunningServer: Sendable {
    /// Where it listens: `http://HOST:PORT` (or `https://`).
    public let url: String
    /// The configuration it runs with.
    public let configuration: BacktestServer.Configuration
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(url: String, configuration: BacktestServer.Configuration, group: ServiceGroup, task: Task<Void, any Error>) {
        self.url = url
        self.configuration = configuration
        self.group = group
        self.task = task
    }

    /// Starts a server and returns once it listens.
    ///
    /// - Throws: ``ServerError`` from the configuration's checks, or the error that stopped the
    ///   server before it listened (e.g. a database that cannot be opened).
    public static func start(configuration: BacktestServer.Configuration, logger: Logger) async throws -> RunningServer {
        let (addresses, announce) = AsyncStream.makeStream(of: String.self)
        let server = try BacktestServer(configuration: configuration, logger: logger) { address in
            announce.yield(address)
            announce.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let task = Task {
            defer { announce.finish() }
            try await group.run()
        }
        guard let url = await addresses.first(where: { _ in true }) else {
            // It stopped before listening: its error says why.
            try await task.value
            throw ServerError(code: .invalidConfiguration, message: "the server stopped before listening")
        }
        return RunningServer(url: url, configuration: configuration, group: group, task: task)
    }

    /// Shuts down gracefully and waits until the server has stopped (its database closed).
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// Begins graceful shutdown without waiting.
    public func beginShutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// Waits until the server has stopped.
    public func waitStopped() async throws {
        try await task.value
    }
}

/// Runs `body` with a server started from `configuration`, then stops it gracefully (whether
/// `body` returned or threw).
public func withRunningServer<Result: Sendable>(
    configuration: BacktestServer.Configuration,
    logger: Logger = Logger(label: "backtest.server"),
    _ body: (RunningServer) async throws -> Result
) async throws -> Result {
    let server = try await RunningServer.start(configuration: configuration, logger: logger)
    let result: Result
    do {
        result = try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
    return result
}
