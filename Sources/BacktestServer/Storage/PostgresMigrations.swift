import Logging
import PostgresNIO

/// The PostgreSQL schema as numbered migrations, applied in order at start.
///
/// The node that takes the advisory lock migrates; others starting at the same moment wait
/// for the lock and then find nothing left to do. The schema's version is kept in
/// `backtest_schema`; a database at a version this binary does not know (a newer binary
/// migrated it) is refused, so an old node never writes into a schema it does not understand.
enum PostgresMigrations {
    /// The advisory lock's key (any constant shared by every node: "backtest" in ASCII).
    static let lockKey: Int64 = 0x6261_636B_7465_7374

    /// The migrations, version 1 first. Never edit one that shipped: add the next.
    static let all: [[String]] = [
        [
            """
            CREATE TABLE results (key TEXT PRIMARY KEY, report BYTEA NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                seq BIGSERIAL NOT NULL)
            """,
            "CREATE INDEX results_by_seq ON results (seq)",
            """
            CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, requests BYTEA NOT NULL, state TEXT NOT NULL,
                total INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION)
            """,
            "CREATE INDEX jobs_by_state ON jobs (state)",
            "CREATE INDEX jobs_by_created ON jobs (created_at)",
            "CREATE TABLE job_items (job_id TEXT NOT NULL, idx INTEGER NOT NULL, item BYTEA NOT NULL, PRIMARY KEY (job_id, idx))",
        ],
        // The work queue shared by the nodes, the finishing order of items, the nodes.
        [
            """
            CREATE TABLE job_queue (job_id TEXT NOT NULL, idx INTEGER NOT NULL, claimed_by TEXT, lease_until DOUBLE PRECISION,
                attempts INTEGER NOT NULL DEFAULT 0, seq BIGSERIAL NOT NULL, PRIMARY KEY (job_id, idx))
            """,
            "CREATE INDEX job_queue_by_seq ON job_queue (seq)",
            "CREATE INDEX job_queue_by_node ON job_queue (claimed_by)",
            "ALTER TABLE job_items ADD COLUMN seq BIGSERIAL NOT NULL",
            "CREATE INDEX job_items_by_seq ON job_items (job_id, seq)",
            "CREATE TABLE nodes (id TEXT PRIMARY KEY, address TEXT NOT NULL, seen_at DOUBLE PRECISION NOT NULL)",
        ],
        // Imported bars, shared: every node keeps a copy in its own bar store.
        [
            """
            CREATE TABLE shared_bars (ticker TEXT PRIMARY KEY, source TEXT NOT NULL, content_hash TEXT NOT NULL, bars BYTEA NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL)
            """
        ],
        // Claims and lease extensions change rows in place (HOT updates, no index entries): no
        // index on `claimed_by` (extending and giving back leases scan the queue, which holds
        // only unfinished items), and room on each page for a row's new version. A 128-item
        // claim halfway through a 10,000-item job touches 740-950 buffers instead of
        // 1,650-1,830, in half the time or less.
        [
            "DROP INDEX job_queue_by_node",
            "ALTER TABLE job_queue SET (fillfactor = 50)",
        ],
    ]

    /// The version this binary's schema has.
    static var latest: Int { all.count }

    /// Applies the missing migrations, under the advisory lock.
    ///
    /// - Throws: ``ServerError`` `database` for a schema newer than ``latest``; database errors.
    static func apply(on client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                try await migrate(connection, logger: logger)
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
        }
    }

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("CREATE TABLE IF NOT EXISTS backtest_schema (version INTEGER NOT NULL)", logger: logger)
        var current = 0
        for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM backtest_schema", logger: logger)
            .decode(Int.self)
        {
            current = version
        }
        guard current <= latest else {
            throw ServerError(
                code: .database,
                message: "the database's schema is version \(current), newer than this binary's \(latest): upgrade backtest on this node"
            )
        }
        for version in (current + 1)..<(latest + 1) {
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in all[version - 1] { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO backtest_schema (version) VALUES (\(version))", logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            logger.info("database migrated", metadata: ["version": "\(version)"])
        }
    }
}
