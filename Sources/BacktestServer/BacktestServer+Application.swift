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

/// Builds the backtest server as a Hummingbird application: the database in its roles, the
/// worker pool, the result cache, the job system and the routes, with every long-lived part a
/// service of the application's group. `serve`, the CLI's embedded server and the tests all
/// build it here.
///
/// ```swift
/// let app = try await buildApplication(configuration: .init(port: 0), logger: logger)
/// try await app.runService()
/// ```
///
/// Services start in this order and stop in the reverse one: the database's client, the
/// resource closer (worker pool, database), the database probe (PostgreSQL), the result cache (flushes on
/// shutdown), the queue worker, the live feeds, retention, the shared-bars replica, then the
/// HTTP server (which Hummingbird always starts last and stops first).
///
/// - Parameters:
///   - state: the server's phase, which `/ready` reads; ``BacktestServer`` shares it with its
///     drain step.
///   - onListening: called once the socket is bound, with `http://HOST:PORT` (or `https://`).
/// - Throws: ``ServerError`` for a configuration that does not validate, TLS files that cannot
///   be read, or a database or bar store that cannot be opened.
public func buildApplication(
    configuration: BacktestServer.Configuration,
    logger: Logger = Logger(label: "backtest.server"),
    state: ServerState = ServerState(),
    onListening: @escaping @Sendable (String) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try configuration.validate()
    let tls = try configuration.tls?.load()
    BacktestServer.warnAboutExposure(configuration, tlsExpiry: tls?.expiry, logger: logger)
    let parts = try await ServerParts(configuration: configuration, state: state, logger: logger)
    let worker = parts.worker
    let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.seconds * 1e9))))
    return Application(
        router: parts.routes.makeRouter(),
        server: try tls.map { try .tls(http1, tlsConfiguration: $0.configuration) } ?? http1,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil, backlog: 1024),
        services: parts.services,
        onServerRunning: { channel in
            state.enter(.ready)
            let port = channel.localAddress?.port ?? configuration.port
            let host = configuration.host.contains(":") && !configuration.host.hasPrefix("[") ? "[\(configuration.host)]" : configuration.host
            await worker.listening(at: "\(host):\(port)")
            await onListening("\(configuration.scheme)://\(host):\(port)")
        },
        logger: logger
    )
}

/// The server's parts, wired: what ``buildApplication(configuration:logger:state:onListening:)``
/// puts behind the router and into the service group.
struct ServerParts {
    let routes: BacktestRoutes
    let worker: QueueWorker
    let services: [any Service]
    /// What ``ResourceCloser`` stops and closes (a test that builds the parts without running
    /// them closes them itself).
    let pool: WorkerPool
    let stores: ServerStores

    init(configuration: BacktestServer.Configuration, state: ServerState, logger: Logger) async throws(ServerError) {
        let metrics = ServerMetrics()
        let stores = try await ServerStores.open(configuration, logger: logger)
        // Resolution order: imported (SQLite) store, then --data-dir, then the bundled set.
        let imported: SQLiteBarStore
        do {
            imported = try SQLiteBarStore(path: configuration.databasePath)
        } catch {
            await stores.close()
            throw ServerError(code: .database, message: "cannot open the bar store in \(configuration.databasePath): \(error.message)")
        }
        let pool = WorkerPool(
            configuration: .init(workers: configuration.workers, queueLimit: configuration.queueLimit),
            onServiceTime: { metrics.recordBacktest(seconds: $0) }
        )
        // A database over the network can go away under a running node; the embedded file
        // cannot (a slow write there is not an outage, and must not turn `/ready` to 503).
        let probe = stores.queue.isShared ? StorageProbe(cluster: stores.cluster, logger: logger) : nil
        let store = LayeredBarStore([imported, CSVBarStore(configuration: .init(dataDirectory: configuration.dataDirectory))])
        let cache =
            configuration.cacheEnabled
            ? ResultCache(
                capacity: configuration.memoryCacheEntries,
                storedLimit: configuration.storedResultsLimit,
                database: stores.results,
                databaseReachable: { probe?.isReachable ?? true },
                logger: logger
            ) : nil
        let pipeline = BacktestPipeline(store: store, pool: pool, cache: cache, metrics: metrics)
        var jobs = JobSystem(configuration: configuration, stores: stores, pipeline: pipeline, metrics: metrics, logger: logger)
        jobs.service.storageGuard = StorageGuard(probe: probe)
        var routes = BacktestRoutes(
            configuration: configuration,
            state: state,
            metrics: metrics,
            pool: pool,
            store: store,
            pipeline: pipeline,
            cache: cache,
            jobs: jobs.service,
            startedAt: .now,
            importer: BarImporter(store: imported),
            shared: stores.sharedBars,
            logger: logger
        )
        routes.probe = probe
        routes.searchReports = SearchReportCache(metrics: metrics)
        var services = stores.services
        services.append(ResourceCloser(pool: pool, stores: stores, logger: logger))
        if let probe { services.append(probe) }
        if let cache { services.append(cache) }
        services += jobs.services
        if let shared = stores.sharedBars {
            services.append(SharedBarsReplica(storage: shared, importer: BarImporter(store: imported), logger: logger))
        }
        self.routes = routes
        self.worker = jobs.worker
        self.services = services
        self.pool = pool
        self.stores = stores
    }
}

/// The job system's parts on one node: what the routes call, the queue worker, the live
/// feeds and retention.
struct JobSystem {
    var service: JobService
    let worker: QueueWorker
    let events: JobEvents
    let retention: JobRetention

    /// Its services, in start order.
    var services: [any Service] { [worker, events, retention] }

    init(configuration: BacktestServer.Configuration, stores: ServerStores, pipeline: BacktestPipeline, metrics: ServerMetrics, logger: Logger) {
        let directory = JobDirectory(
            jobs: stores.jobs,
            decoder: JobWorkDecoder(pipeline: pipeline, maxCombinations: configuration.maxCombinations)
        )
        var workerConfiguration = QueueWorker.Configuration()
        // Items wait on the worker pool's queue, so a few per worker keep every worker busy
        // while results go to the database.
        workerConfiguration.concurrency = configuration.itemConcurrency * 4
        workerConfiguration.leaseSeconds = configuration.leaseSeconds
        workerConfiguration.address = "\(configuration.host):\(configuration.port)"
        worker = QueueWorker(
            jobs: stores.jobs,
            items: stores.items,
            queue: stores.queue,
            cluster: stores.cluster,
            directory: directory,
            metrics: metrics,
            configuration: workerConfiguration,
            logger: logger
        )
        events = JobEvents(jobs: stores.jobs, items: stores.items, directory: directory, logger: logger)
        retention = JobRetention(jobs: stores.jobs, configuration: .init(retention: configuration.jobRetention), logger: logger)
        service = JobService(
            jobs: stores.jobs,
            items: stores.items,
            queue: stores.queue,
            cluster: stores.cluster,
            directory: directory,
            events: events,
            metrics: metrics,
            node: workerConfiguration.node,
            leaseSeconds: workerConfiguration.leaseSeconds
        )
    }
}

/// Stops the worker pool and closes the database once every service after it has stopped
/// (it is the first after the database's client, so among the last to stop).
struct ResourceCloser: Service {
    let pool: WorkerPool
    let stores: ServerStores
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        pool.shutdown()
        await stores.close()
        logger.info("stopped")
    }
}
