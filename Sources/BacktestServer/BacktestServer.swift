import BacktestAPI
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import MarketData
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// The backtest HTTP server as a service: the application ``buildApplication(configuration:logger:state:onListening:)``
/// builds, and the drain step before it stops.
///
/// Run it as a service (it stops gracefully when its group shuts down):
///
/// ```swift
/// let server = try BacktestServer(configuration: .init(port: 0)) { address in
///     print("listening on \(address)")
/// }
/// let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
///
/// Shutdown order: `/ready` turns 503 and new work gets 503 (``Configuration/drainDelay``),
/// the listener closes and in-flight requests finish, jobs stop (finished items are
/// stored; the rest resume on next start), pending cache rows are written, the workers
/// stop and the database closes.
public struct BacktestServer: Service {
    /// The server's version, reported by `/health`.
    public static let version = "0.1.0"

    /// The configuration in use.
    public let configuration: Configuration
    private let logger: Logger
    private let onListening: @Sendable (String) async -> Void

    /// Creates a server after checking the configuration.
    ///
    /// - Parameters:
    ///   - onListening: called once the socket is bound, with `http://HOST:PORT` (or
    ///     `https://` with ``Configuration/tls``).
    /// - Throws: ``ServerError`` (e.g. `insecure_bind`, `tls_required`, `tls` for a
    ///   certificate or key that cannot be read).
    public init(
        configuration: Configuration,
        logger: Logger = Logger(label: "backtest.server"),
        onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) throws(ServerError) {
        try configuration.validate()
        // Read now, so that a certificate that cannot be read stops `serve` before anything runs.
        _ = try configuration.tls?.load()
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    /// Builds the application (``buildApplication(configuration:logger:state:onListening:)``)
    /// and runs it until graceful shutdown, which starts with the drain step.
    public func run() async throws {
        let state = ServerState()
        let app = try await buildApplication(configuration: configuration, logger: logger, state: state, onListening: onListening)
        // The drain step is listed last, so it hears graceful shutdown first: `/ready` turns
        // 503 for `drainDelay` before the application (listener first) stops.
        var group = ServiceGroupConfiguration(
            services: [app, DrainService(state: state, delay: configuration.drainDelay, logger: logger)],
            logger: logger
        )
        group.maximumGracefulShutdownDuration = configuration.drainTimeout
        try await ServiceGroup(configuration: group).run()
    }

    /// Logs what a person running this configuration should know: no API keys or no TLS on a
    /// network address, a certificate that expires soon.
    static func warnAboutExposure(_ configuration: Configuration, tlsExpiry: Date?, logger: Logger) {
        if configuration.apiKeys.isEmpty && !Configuration.isLoopback(configuration.host) {
            logger.warning("INSECURE: serving \(configuration.host) to the network WITHOUT API keys (--insecure-no-auth)")
        }
        if tlsExpiry == nil && !Configuration.isLoopback(configuration.host) {
            logger.warning(
                "serving plain HTTP on \(configuration.host) (--no-tls): API keys travel unencrypted to the TLS-terminating proxy; keep that hop private"
            )
        }
        if let expiry = tlsExpiry {
            let days = Int(expiry.timeIntervalSinceNow / 86_400)
            if days < 30 {
                logger.warning(
                    "the TLS certificate \(days < 0 ? "expired \(-days) days ago" : "expires in \(days) days"): clients will refuse it; issue a new one with backtest cert init"
                )
            }
        }
    }
}

/// The first service to hear graceful shutdown: marks the server draining (so `/ready`
/// and new work get 503), waits ``BacktestServer/Configuration/drainDelay``, then lets
/// the HTTP server stop.
struct DrainService: Service {
    let state: ServerState
    let delay: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        state.enter(.draining)
        logger.info("draining")
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}

extension BacktestServer {
    /// Runs the server until SIGTERM or SIGINT, then shuts down gracefully (bounded by
    /// ``Configuration/drainTimeout``). For command-line use.
    public func runUntilSignalled() async throws {
        var configuration = ServiceGroupConfiguration(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = self.configuration.drainTimeout + self.configuration.drainDelay
        try await ServiceGroup(configuration: configuration).run()
    }
}
