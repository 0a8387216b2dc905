import BacktestAPI
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The server's storage in PostgreSQL (`backtest serve --database postgres://…`), which several
/// servers can share: the result cache, jobs and their items.
///
/// Opening it applies the schema's migrations (``PostgresMigrations``) under an advisory lock,
/// so of several nodes starting at once one migrates while the others wait; a database whose
/// schema is newer than this binary is refused.
final class PostgresStorage: ResultStore, JobStore, JobItemStore, WorkQueue, ClusterRegistry, SharedBarStorage {
    let url: DatabaseURL
    let client: PostgresClient
    /// The client's queries, each bounded by a deadline: every query below goes through it.
    let bounded: BoundedPostgresClient
    /// The task running ``client`` when ``open(url:logger:)`` started it (tools and tests);
    /// the server runs it as a service instead (``prepare(url:logger:)``).
    private let running: Task<Void, Never>?

    private init(url: DatabaseURL, client: PostgresClient, running: Task<Void, Never>?) {
        self.url = url
        self.client = client
        self.bounded = BoundedPostgresClient(client: client)
        self.running = running
    }

    /// Connects, migrates and returns the storage, its client running in a task of its own
    /// until ``close()`` (for tests; the server uses ``prepare(url:logger:)``).
    ///
    /// - Throws: ``ServerError`` `database`: the server is unreachable, refuses the login, or
    ///   its schema is newer than this binary's.
    static func open(url: DatabaseURL, logger: Logger) async throws(ServerError) -> PostgresStorage {
        let client = PostgresClient(configuration: configuration(url), backgroundLogger: logger)
        let running = Task { await client.run() }
        // Let the client start running before the first query leases a connection.
        await Task.yield()
        let storage = PostgresStorage(url: url, client: client, running: running)
        do {
            try await PostgresMigrations.apply(on: client, logger: logger)
        } catch let error as ServerError {
            await storage.close()
            throw error
        } catch {
            await storage.close()
            throw ServerError(code: .database, message: "cannot use the database \(url): \(Self.describe(error))")
        }
        return storage
    }

    /// Migrates the database (with a connection of its own, closed before returning) and
    /// returns the storage on a client that is not running yet: the server runs it as a
    /// service of its group (``ServerStores/services``), which stops it last.
    ///
    /// - Throws: ``ServerError`` `database`: the server is unreachable, refuses the login, or
    ///   its schema is newer than this binary's.
    static func prepare(url: DatabaseURL, logger: Logger) async throws(ServerError) -> PostgresStorage {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let migrator = PostgresClient(configuration: configuration(url), backgroundLogger: logger)
                group.addTask { await migrator.run() }
                defer { group.cancelAll() }
                try await PostgresMigrations.apply(on: migrator, logger: logger)
            }
        } catch let error as ServerError {
            throw error
        } catch {
            throw ServerError(code: .database, message: "cannot use the database \(url): \(Self.describe(error))")
        }
        let client = PostgresClient(configuration: configuration(url), backgroundLogger: logger)
        return PostgresStorage(url: url, client: client, running: nil)
    }

    static func configuration(_ url: DatabaseURL) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch url.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration: PostgresClient.Configuration
        if let socket = url.socketDirectory {
            configuration = .init(
                unixSocketPath: "\(socket)/.s.PGSQL.\(url.port)",
                username: url.user,
                password: url.password,
                database: url.database
            )
        } else {
            configuration = .init(
                host: url.host ?? "127.0.0.1",
                port: url.port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: tls
            )
        }
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 16
        return configuration
    }

    /// A PostgreSQL error's own message (`PSQLError` hides it from `description`).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }

    /// Stops the client ``open(url:logger:)`` started.
    func close() async {
        running?.cancel()
        await running?.value
    }

    // MARK: - Results

    func result(forKey key: String) async throws -> [UInt8]? {
        let rows = try await bounded.query("SELECT report FROM results WHERE key = \(key)")
        for try await report in rows.decode(ByteBuffer.self) { return Array(report.readableBytesView) }
        return nil
    }

    func storeResults(_ rows: [(key: String, report: [UInt8])]) async throws {
        guard !rows.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        for part in rows.slices(of: Self.resultsPerStatement) {
            // One statement per chunk, in the given order (it is the pruning order); a key
            // given twice keeps its last report, at its last place.
            var last: [String: Int] = [:]
            for (offset, row) in part.enumerated() { last[row.key] = offset }
            let kept = part.enumerated().filter { last[$0.element.key] == $0.offset }.map(\.element)
            let keys = kept.map(\.key)
            let reports = kept.map { ByteBuffer(bytes: $0.report) }
            try await bounded.query(
                """
                INSERT INTO results (key, report, created_at)
                SELECT key, report, \(now) FROM unnest(\(keys)::text[], \(reports)::bytea[]) WITH ORDINALITY AS t(key, report, n) ORDER BY n
                ON CONFLICT (key) DO UPDATE SET report = EXCLUDED.report, created_at = EXCLUDED.created_at, seq = nextval('results_seq_seq')
                """
            )
        }
    }

    /// Reports stored per statement.
    static let resultsPerStatement = 500

    func resultCount() async throws -> Int {
        try await count("SELECT COUNT(*) FROM results")
    }

    func pruneResults(above limit: Int, keeping target: Int) async throws -> (removed: Int, remaining: Int) {
        let count = try await resultCount()
        let excess = count > max(0, limit) ? count - max(0, min(target, limit)) : 0
        guard excess > 0 else { return (0, count) }
        try await bounded.query("DELETE FROM results WHERE key IN (SELECT key FROM results ORDER BY seq LIMIT \(excess))")
        return (excess, count - excess)
    }

    // MARK: - Jobs

    func insertJob(_ job: StoredJob, finished: [FinishedItem], queued: [Int]) async throws {
        let now = Date().timeIntervalSince1970
        let ended: Double? = job.state.hasEnded ? now : nil
        try await bounded.withTransaction(logger: Self.transactionLogger) { connection in
            try await connection.query(
                """
                INSERT INTO jobs (id, kind, requests, state, total, created_at, finished_at)
                VALUES (\(job.id), \(job.kind.rawValue), \(ByteBuffer(bytes: job.requests)), \(job.state.rawValue), \(job.total), \(now), \(ended))
                """,
                logger: Self.transactionLogger
            )
            if !finished.isEmpty {
                let indices = finished.map(\.index)
                let bytes = finished.map { ByteBuffer(bytes: $0.item) }
                try await connection.query(
                    """
                    INSERT INTO job_items (job_id, idx, item)
                    SELECT \(job.id), i, b FROM unnest(\(indices)::int[], \(bytes)::bytea[]) WITH ORDINALITY AS t(i, b, n) ORDER BY n
                    ON CONFLICT DO NOTHING
                    """,
                    logger: Self.transactionLogger
                )
            }
            for part in queued.slices(of: Self.enqueueChunk) {
                try await connection.query(Self.newJobQueueQuery(jobID: job.id, indices: Array(part)), logger: Self.transactionLogger)
            }
        }
        if !queued.isEmpty { try await notify("") }
    }

    /// The logger of the statements run inside a transaction (PostgresNIO asks for one).
    private static let transactionLogger = Logger(label: "backtest.postgres")

    func job(id: String) async throws -> StoredJob? {
        try await jobs("SELECT id, kind, requests, state, total FROM jobs WHERE id = \(id)").first
    }

    func deleteFinishedJobs(endedBefore cutoff: Double) async throws -> [String] {
        let rows = try await bounded.query(
            """
            DELETE FROM jobs WHERE state = ANY(\(Self.ended)::text[]) AND COALESCE(finished_at, created_at) < \(cutoff)
            RETURNING id
            """
        )
        var ids: [String] = []
        for try await id in rows.decode(String.self) { ids.append(id) }
        if !ids.isEmpty { try await bounded.query("DELETE FROM job_items WHERE job_id = ANY(\(ids)::text[])") }
        return ids
    }

    func deleteJob(id: String) async throws -> Bool {
        // The job row first: from then on the job is unknown (404) and no item of it is stored.
        let rows = try await bounded.query("DELETE FROM jobs WHERE id = \(id) RETURNING id")
        var deleted = false
        for try await _ in rows.decode(String.self) { deleted = true }
        try await bounded.query("DELETE FROM job_queue WHERE job_id = \(id)")
        try await bounded.query("DELETE FROM job_items WHERE job_id = \(id)")
        if deleted { try await bounded.query("SELECT pg_notify(\(Self.channel), \(id))") }
        return deleted
    }

    func unfinishedJobs() async throws -> [StoredJob] {
        try await jobs("SELECT id, kind, requests, state, total FROM jobs WHERE state = ANY(\(Self.active)::text[]) ORDER BY created_at, id")
    }

    func jobItems(jobID: String) async throws -> [(index: Int, item: [UInt8])] {
        let rows = try await bounded.query("SELECT idx, item FROM job_items WHERE job_id = \(jobID) ORDER BY idx")
        var items: [(index: Int, item: [UInt8])] = []
        for try await (index, item) in rows.decode((Int, ByteBuffer).self) { items.append((index, Array(item.readableBytesView))) }
        return items
    }

    func recentJobs(limit: Int) async throws -> [StoredJobRow] {
        let rows = try await bounded.query(
            """
            SELECT id, kind, state, total, created_at, (SELECT COUNT(*) FROM job_items WHERE job_id = jobs.id) AS finished
            FROM jobs ORDER BY created_at DESC, id DESC LIMIT \(max(0, limit))
            """
        )
        var jobs: [StoredJobRow] = []
        for try await (id, kind, state, total, created, finished) in rows.decode((String, String, String, Int, Double, Int).self) {
            jobs.append(
                StoredJobRow(
                    id: id,
                    kind: try JobKind(stored: kind, column: "jobs.kind"),
                    state: try JobState(stored: state, column: "jobs.state"),
                    total: total,
                    finished: finished,
                    createdAt: created
                )
            )
        }
        return jobs
    }

    // MARK: - Helpers

    /// The states a job may still run in, and those it never runs again after, as bound arrays.
    static let active = JobState.active.map(\.rawValue)
    static let ended = JobState.ended.map(\.rawValue)

    private func count(_ query: PostgresQuery) async throws -> Int {
        let rows = try await bounded.query(query)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    private func jobs(_ query: PostgresQuery) async throws -> [StoredJob] {
        let rows = try await bounded.query(query)
        var jobs: [StoredJob] = []
        for try await (id, kind, requests, state, total) in rows.decode((String, String, ByteBuffer, String, Int).self) {
            jobs.append(
                StoredJob(
                    id: id,
                    kind: try JobKind(stored: kind, column: "jobs.kind"),
                    requests: Array(requests.readableBytesView),
                    state: try JobState(stored: state, column: "jobs.state"),
                    total: total
                )
            )
        }
        return jobs
    }
}
