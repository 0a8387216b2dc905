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

/// The backtest HTTP server: Hummingbird routes in front of the bar store, the worker
/// pool, the results cache and the job runner, all in one service group.
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
    private let tls: (configuration: TLSConfiguration, expiry: Date)?

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
        self.tls = try configuration.tls?.load()
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    /// Opens the database and runs until graceful shutdown.
    public func run() async throws {
        let configuration = self.configuration
        let logger = self.logger
        let state = ServerState()
        let metrics = ServerMetrics()
        let database: any ServerStorage
        if let url = configuration.databaseURL {
            database = try await PostgresStorage.open(url: url, logger: logger)
            logger.info("storing results and jobs in \(url)")
        } else {
            database = try await ServerDatabase.open(path: configuration.databasePath, logger: logger)
        }
        let pool = WorkerPool(
            configuration: .init(workers: configuration.workers, queueLimit: configuration.queueLimit),
            onServiceTime: { metrics.recordBacktest(seconds: $0) }
        )
        // Resolution order: imported (SQLite) store, then --data-dir, then the bundled set.
        let imported: SQLiteBarStore
        do {
            imported = try SQLiteBarStore(path: configuration.databasePath)
        } catch {
            await database.close()
            throw ServerError(code: .database, message: "cannot open the bar store in \(configuration.databasePath): \(error.message)")
        }
        let store = LayeredBarStore([imported, CSVBarStore(configuration: .init(dataDirectory: configuration.dataDirectory))])
        let cache =
            configuration.cacheEnabled
            ? ResultCache(
                capacity: configuration.memoryCacheEntries,
                storedLimit: configuration.storedResultsLimit,
                database: database,
                logger: logger
            ) : nil
        let pipeline = BacktestPipeline(store: store, pool: pool, cache: cache, metrics: metrics)
        var jobConfiguration = JobRunner.Configuration()
        // Items wait on the worker pool's queue, so a few per worker keep every worker busy
        // while results go to the database.
        jobConfiguration.concurrency = configuration.itemConcurrency * 4
        jobConfiguration.retention = configuration.jobRetention
        jobConfiguration.leaseSeconds = configuration.leaseSeconds
        jobConfiguration.address = "\(configuration.host):\(configuration.port)"
        let jobs = JobRunner(
            database: database,
            storage: .standard(pipeline: pipeline, maxCombinations: configuration.maxCombinations),
            metrics: metrics,
            configuration: jobConfiguration,
            logger: logger
        )
        let routes = BacktestRoutes(
            configuration: configuration,
            state: state,
            metrics: metrics,
            pool: pool,
            store: store,
            pipeline: pipeline,
            cache: cache,
            jobs: jobs,
            startedAt: .now,
            importer: BarImporter(store: imported),
            shared: database.isShared ? database : nil,
            logger: logger
        )

        if configuration.apiKeys.isEmpty && !Configuration.isLoopback(configuration.host) {
            logger.warning("INSECURE: serving \(configuration.host) to the network WITHOUT API keys (--insecure-no-auth)")
        }
        if tls == nil && !Configuration.isLoopback(configuration.host) {
            logger.warning(
                "serving plain HTTP on \(configuration.host) (--no-tls): API keys travel unencrypted to the TLS-terminating proxy; keep that hop private"
            )
        }
        if let expiry = tls?.expiry {
            let days = Int(expiry.timeIntervalSinceNow / 86_400)
            if days < 30 {
                logger.warning(
                    "the TLS certificate \(days < 0 ? "expired \(-days) days ago" : "expires in \(days) days"): clients will refuse it; issue a new one with backtest cert init"
                )
            }
        }
        let onListening = self.onListening
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.seconds * 1e9))))
        let app = Application(
            router: routes.makeRouter(),
            server: try tls.map { try .tls(http1, tlsConfiguration: $0.configuration) } ?? http1,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 1024),
            onServerRunning: { channel in
                state.enter(.ready)
                let port = channel.localAddress?.port ?? configuration.port
                let host = configuration.host.contains(":") && !configuration.host.hasPrefix("[") ? "[\(configuration.host)]" : configuration.host
                await jobs.listening(at: "\(host):\(port)")
                await onListening("\(configuration.scheme)://\(host):\(port)")
            },
            logger: logger
        )

        var services: [any Service] = []
        if let cache { services.append(cache) }
        services.append(jobs)
        services.append(SharedBarsReplica(storage: database, importer: BarImporter(store: imported), logger: logger))
        services.append(app)
        services.append(DrainService(state: state, delay: configuration.drainDelay, logger: logger))
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = configuration.drainTimeout
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            pool.shutdown()
            await database.close()
            throw error
        }
        pool.shutdown()
        await database.close()
        logger.info("stopped")
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
