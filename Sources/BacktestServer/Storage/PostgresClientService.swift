import Logging
import PostgresNIO
import ServiceLifecycle

/// Runs a ``PostgresClient``'s connection pool as a service whose stop is bounded: once
/// graceful shutdown (or cancellation) reaches it, the pool is stopped and waited for at most
/// ``stopTimeout``. A connection left leased by a query PostgresNIO never answered (see
/// ``BoundedPostgresClient``) would otherwise keep the pool, and so the process, from stopping.
struct PostgresClientService: Service, CustomStringConvertible {
    let client: PostgresClient
    let logger: Logger
    /// How long the pool may take to stop. Default 5 s.
    var stopTimeout: Duration = .seconds(5)

    var description: String { "PostgresClient" }

    func run() async throws {
        let client = self.client
        // Not a child task: a pool that never stops must not hold this service.
        let pool = Task { await client.run() }
        try? await gracefulShutdown()
        pool.cancel()
        do {
            try await StorageDeadline(limit: stopTimeout).run("stopping the database client") { await pool.value }
        } catch {
            logger.warning("the database client did not stop within \(stopTimeout); leaving it (a connection lost in an outage)")
        }
    }
}
