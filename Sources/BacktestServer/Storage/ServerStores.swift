import Logging
import ServiceLifecycle

/// One database in its roles: the parts of the server each take the role they need (the
/// result cache a ``ResultStore``, the workers a ``WorkQueue``, ...). ``ServerDatabase`` (the
/// embedded SQLite file, the zero-configuration default) and ``PostgresStorage`` (`--database
/// postgres://…`, shared by several servers) play every role; the storage suite runs each
/// role on both.
struct ServerStores: Sendable {
    var results: any ResultStore
    var jobs: any JobStore
    var items: any JobItemStore
    var queue: any WorkQueue
    var cluster: any ClusterRegistry
    /// The imported bars the nodes of a cluster share; nil on a database one node uses.
    var sharedBars: (any SharedBarStorage)?
    /// What must run while the stores are used (PostgreSQL's connection pool), first in the
    /// service group so that it stops last.
    var services: [any Service]
    /// Closes the connection(s) once every service has stopped.
    var close: @Sendable () async -> Void

    /// The embedded SQLite file's roles.
    init(_ database: ServerDatabase) {
        results = database
        jobs = database
        items = database
        queue = database
        cluster = database
        sharedBars = nil
        services = []
        close = { await database.close() }
    }

    /// PostgreSQL's roles; its connection pool runs as a service (``PostgresClientService``).
    init(_ database: PostgresStorage, logger: Logger) {
        results = database
        jobs = database
        items = database
        queue = database
        cluster = database
        sharedBars = database
        services = [PostgresClientService(client: database.client, logger: logger)]
        close = {}
    }

    /// Opens the database `configuration` names: PostgreSQL with ``BacktestServer/Configuration/databaseURL``
    /// (migrated, see ``PostgresMigrations``), else the SQLite file at
    /// ``BacktestServer/Configuration/databasePath``.
    ///
    /// - Throws: ``ServerError`` `database` when it cannot be opened.
    static func open(_ configuration: BacktestServer.Configuration, logger: Logger) async throws(ServerError) -> ServerStores {
        if let url = configuration.databaseURL {
            let stores = ServerStores(try await PostgresStorage.prepare(url: url, logger: logger), logger: logger)
            logger.info("storing results and jobs in \(url)")
            return stores
        }
        return ServerStores(try await ServerDatabase.open(path: configuration.databasePath, logger: logger))
    }
}
