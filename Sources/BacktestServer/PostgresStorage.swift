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
final class PostgresStorage: ServerStorage {
    let url: DatabaseURL
    let client: PostgresClient
    private let running: Task<Void, Never>

    private init(url: DatabaseURL, client: PostgresClient, running: Task<Void, Never>) {
        self.url = url
        self.client = client
        self.running = running
    }

    /// Connects, migrates and returns the storage.
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

    func close() async {
        running.cancel()
        await running.value
    }

    // MARK: - Results

    func result(forKey key: String) async throws -> [UInt8]? {
        let rows = try await client.query("SELECT report FROM results WHERE key = \(key)")
        for try await report in rows.decode(ByteBuffer.self) { return Array(report.readableBytesView) }
        return nil
    }

    func storeResults(_ rows: [(key: String, report: [UInt8])]) async throws {
        guard !rows.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        for chunk in stride(from: 0, to: rows.count, by: 500) {
            let part = rows[chunk..<min(rows.count, chunk + 500)]
            // One statement per chunk, in the given order (it is the pruning order); a key
            // given twice keeps its last report, at its last place.
            var last: [String: Int] = [:]
            for (offset, row) in part.enumerated() { last[row.key] = offset }
            let kept = part.enumerated().filter { last[$0.element.key] == $0.offset }.map(\.element)
            let keys = kept.map(\.key)
            let reports = kept.map { ByteBuffer(bytes: $0.report) }
            try await client.query(
                """
                INSERT INTO results (key, report, created_at)
                SELECT key, report, \(now) FROM unnest(\(keys)::text[], \(reports)::bytea[]) WITH ORDINALITY AS t(key, report, n) ORDER BY n
                ON CONFLICT (key) DO UPDATE SET report = EXCLUDED.report, created_at = EXCLUDED.created_at, seq = nextval('results_seq_seq')
                """
            )
        }
    }

    func resultCount() async throws -> Int {
        try await count("SELECT COUNT(*) FROM results")
    }

    func pruneResults(above limit: Int, keeping target: Int) async throws -> (removed: Int, remaining: Int) {
        let count = try await resultCount()
        let excess = count > max(0, limit) ? count - max(0, min(target, limit)) : 0
        guard excess > 0 else { return (0, count) }
        try await client.query("DELETE FROM results WHERE key IN (SELECT key FROM results ORDER BY seq LIMIT \(excess))")
        return (excess, count - excess)
    }

    // MARK: - Jobs

    func insertJob(_ job: StoredJob) async throws {
        let now = Date().timeIntervalSince1970
        try await client.query(
            """
            INSERT INTO jobs (id, kind, requests, state, total, created_at)
            VALUES (\(job.id), \(job.kind), \(ByteBuffer(bytes: job.requests)), \(job.state), \(job.total), \(now))
            """
        )
    }

    func updateJobState(id: String, state: String) async throws {
        if StoredJobStates.ended.contains(state) {
            try await client.query("UPDATE jobs SET state = \(state), finished_at = \(Date().timeIntervalSince1970) WHERE id = \(id)")
        } else {
            try await client.query("UPDATE jobs SET state = \(state) WHERE id = \(id)")
        }
    }

    func insertJobItem(jobID: String, index: Int, item: [UInt8]) async throws {
        try await client.query(
            "INSERT INTO job_items (job_id, idx, item) VALUES (\(jobID), \(index), \(ByteBuffer(bytes: item))) ON CONFLICT DO NOTHING"
        )
    }

    func job(id: String) async throws -> StoredJob? {
        try await jobs("SELECT id, kind, requests, state, total FROM jobs WHERE id = \(id)").first
    }

    func deleteFinishedJobs(endedBefore cutoff: Double) async throws -> [String] {
        let rows = try await client.query(
            """
            DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND COALESCE(finished_at, created_at) < \(cutoff)
            RETURNING id
            """
        )
        var ids: [String] = []
        for try await id in rows.decode(String.self) { ids.append(id) }
        if !ids.isEmpty { try await client.query("DELETE FROM job_items WHERE job_id = ANY(\(ids)::text[])") }
        return ids
    }

    func deleteJob(id: String) async throws -> Bool {
        // The job row first: from then on the job is unknown (404) and no item of it is stored.
        let rows = try await client.query("DELETE FROM jobs WHERE id = \(id) RETURNING id")
        var deleted = false
        for try await _ in rows.decode(String.self) { deleted = true }
        try await client.query("DELETE FROM job_queue WHERE job_id = \(id)")
        try await client.query("DELETE FROM job_items WHERE job_id = \(id)")
        if deleted { try await client.query("SELECT pg_notify(\(Self.channel), \(id))") }
        return deleted
    }

    func unfinishedJobs() async throws -> [StoredJob] {
        try await jobs("SELECT id, kind, requests, state, total FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at, id")
    }

    func jobItems(jobID: String) async throws -> [(index: Int, item: [UInt8])] {
        let rows = try await client.query("SELECT idx, item FROM job_items WHERE job_id = \(jobID) ORDER BY idx")
        var items: [(index: Int, item: [UInt8])] = []
        for try await (index, item) in rows.decode((Int, ByteBuffer).self) { items.append((index, Array(item.readableBytesView))) }
        return items
    }

    func recentJobs(limit: Int) async throws -> [StoredJobRow] {
        let rows = try await client.query(
            """
            SELECT id, kind, state, total, created_at, (SELECT COUNT(*) FROM job_items WHERE job_id = jobs.id) AS finished
            FROM jobs ORDER BY created_at DESC, id DESC LIMIT \(max(0, limit))
            """
        )
        var jobs: [StoredJobRow] = []
        for try await (id, kind, state, total, created, finished) in rows.decode((String, String, String, Int, Double, Int).self) {
            jobs.append(StoredJobRow(id: id, kind: kind, state: state, total: total, finished: finished, createdAt: created))
        }
        return jobs
    }

    // MARK: - Helpers

    private func count(_ query: PostgresQuery) async throws -> Int {
        let rows = try await client.query(query)
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    private func jobs(_ query: PostgresQuery) async throws -> [StoredJob] {
        let rows = try await client.query(query)
        var jobs: [StoredJob] = []
        for try await (id, kind, requests, state, total) in rows.decode((String, String, ByteBuffer, String, Int).self) {
            jobs.append(StoredJob(id: id, kind: kind, requests: Array(requests.readableBytesView), state: state, total: total))
        }
        return jobs
    }
}
