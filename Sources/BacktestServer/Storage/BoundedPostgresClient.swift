import Logging
import PostgresNIO

/// A ``PostgresClient`` whose calls are each bounded by a ``StorageDeadline``: every query of
/// ``PostgresStorage`` goes through it.
///
/// PostgresNIO can leave a query unanswered for good when its connection closes under it (the
/// query is written to a channel that has just closed, and nothing fails it): seen when
/// PostgreSQL stops while a node is busy. Unbounded, such a call stalled a node's work after
/// the database returned, and kept the process from exiting. Bounded, it fails with
/// ``StorageError`` `timed_out`, and its caller tries again or reports it.
///
/// ```swift
/// let rows = try await bounded.query("SELECT 1")
/// ```
struct BoundedPostgresClient: Sendable {
    let client: PostgresClient
    /// The bound of each call (its default: ``StorageDeadline/limit``).
    var deadline = StorageDeadline()

    /// Runs `query` (see `PostgresClient.query`), bounded.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        let client = self.client
        return try await deadline.run("a database query") { try await client.query(query) }
    }

    /// Runs `body` in a transaction (see `PostgresClient.withTransaction`), bounded.
    func withTransaction<T: Sendable>(
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let client = self.client
        return try await deadline.run("a database transaction") {
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }
}
