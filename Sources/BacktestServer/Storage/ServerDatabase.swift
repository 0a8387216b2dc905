import BacktestAPI
import Foundation
import Logging
import NIOCore
import SQLiteNIO

/// The embedded SQLite database at `--db`: cached results, jobs and their finished items.
///
/// Schema (created on open):
/// - `results(key TEXT PRIMARY KEY, report BLOB, created_at REAL)`: a `BacktestReport` as
///   JSON per cache key; the oldest rows (by insertion) beyond the configured limit are pruned.
/// - `jobs(id TEXT PRIMARY KEY, requests BLOB, state TEXT, total INTEGER, created_at REAL,
///   finished_at REAL, kind TEXT)`: a job's header (`kind`: `backtests`, a batch;
///   `optimization`, a search); ended jobs are deleted after the configured retention.
///   `requests` is empty since `job_work` exists (older jobs keep their work there).
/// - `job_work(job_id TEXT PRIMARY KEY, requests BLOB)`: the job's work as JSON (a batch's
///   requests, a search). Apart from the header, because SQLite reads a row's columns in
///   order, through every overflow page of a large blob before them: with the work in `jobs`,
///   each read of a 10,000-request job's state walked 3 MB.
/// - `job_items(job_id TEXT, idx INTEGER, item BLOB)`: one finished item each (a `BatchItem`,
///   or a unit of a search); the rowid is the finishing order.
/// - `job_queue(job_id, idx, claimed_by, lease_until, attempts)`: items not finished yet, and
///   who holds them (see ``WorkQueue``); `nodes(id, address, seen_at)`.
final class ServerDatabase: ResultStore, JobStore, JobItemStore, WorkQueue, ClusterRegistry {
    let path: String
    let connection: SQLiteConnection

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    /// Opens (creating the folder and the schema if needed) the database at `path`.
    static func open(path: String, logger: Logger) async throws(ServerError) -> ServerDatabase {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ServerError(code: .database, message: "cannot create the database folder \(folder): \(error.localizedDescription)")
            }
        }
        do {
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let db = ServerDatabase(path: path, connection: connection)
            try await db.migrate()
            return db
        } catch {
            throw ServerError(code: .database, message: "cannot open the database \(path): \(error)")
        }
    }

    private func migrate() async throws {
        _ = try await connection.query("PRAGMA journal_mode=WAL")
        _ = try await connection.query("PRAGMA synchronous=NORMAL")
        _ = try await connection.query("PRAGMA busy_timeout=5000")
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, report BLOB NOT NULL, created_at REAL NOT NULL)")
        _ = try await connection.query(
            "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, requests BLOB NOT NULL, state TEXT NOT NULL, total INTEGER NOT NULL, created_at REAL NOT NULL)"
        )
        _ = try await connection.query(
            "CREATE TABLE IF NOT EXISTS job_items (job_id TEXT NOT NULL, idx INTEGER NOT NULL, item BLOB NOT NULL, PRIMARY KEY (job_id, idx))"
        )
        // Added after the first release: when a job ended (retention counts from there).
        let columns = try await connection.query("PRAGMA table_info(jobs)").compactMap { $0.column("name")?.string }
        if !columns.contains("finished_at") {
            _ = try await connection.query("ALTER TABLE jobs ADD COLUMN finished_at REAL")
        }
        // Added with parameter searches: what kind of work a job is.
        if !columns.contains("kind") {
            _ = try await connection.query("ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'backtests'")
        }
        // Added with the work queue (the same model as PostgreSQL's, one node).
        _ = try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS job_queue (job_id TEXT NOT NULL, idx INTEGER NOT NULL, claimed_by TEXT, lease_until REAL,
                attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (job_id, idx))
            """
        )
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, address TEXT NOT NULL, seen_at REAL NOT NULL)")
        // Added when a job's header and its work were parted.
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS job_work (job_id TEXT PRIMARY KEY, requests BLOB NOT NULL)")
    }

    /// Closes the connection.
    func close() async {
        try? await connection.close()
    }

    /// A database whose server never ran its services (shut down before they started) still
    /// closes its file: the close holds the connection until it is done.
    deinit {
        if !connection.isClosed { _ = connection.close() }
    }

    // MARK: - Results

    /// The stored report for a cache key.
    func result(forKey key: String) async throws -> [UInt8]? {
        let rows = try await connection.query("SELECT report FROM results WHERE key = ?", [.text(key)])
        return rows.first?.column("report")?.blob.map { Array($0.readableBytesView) }
    }

    /// Stores reports in one statement.
    func storeResults(_ rows: [(key: String, report: [UInt8])]) async throws {
        guard !rows.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        for part in rows.slices(of: Self.rowsPerStatement) {
            let values = Array(repeating: "(?, ?, ?)", count: part.count).joined(separator: ", ")
            var binds: [SQLiteData] = []
            binds.reserveCapacity(part.count * 3)
            for row in part { binds += [.text(row.key), .blob(ByteBuffer(bytes: row.report)), .float(now)] }
            _ = try await connection.query("INSERT OR REPLACE INTO results (key, report, created_at) VALUES \(values)", binds)
        }
    }

    /// Number of stored results.
    func resultCount() async throws -> Int {
        let rows = try await connection.query("SELECT COUNT(*) AS n FROM results")
        return rows.first?.column("n")?.integer.map { Int($0) } ?? 0
    }

    /// When more than `limit` results are stored, deletes the oldest (by insertion: a
    /// replaced row counts as new) so that `target` remain; returns how many went and how
    /// many are left.
    func pruneResults(above limit: Int, keeping target: Int) async throws -> (removed: Int, remaining: Int) {
        let count = try await resultCount()
        let excess = count > max(0, limit) ? count - max(0, min(target, limit)) : 0
        guard excess > 0 else { return (0, count) }
        _ = try await connection.query(
            "DELETE FROM results WHERE rowid IN (SELECT rowid FROM results ORDER BY rowid LIMIT ?)",
            [.integer(SQLiteInt64(excess))]
        )
        return (excess, count - excess)
    }

    // MARK: - Jobs

    /// Inserts a new job: its work, then its header (a job is visible once its work is there).
    func insertJob(_ job: StoredJob, finished: [FinishedItem], queued: [Int]) async throws {
        let now = Date().timeIntervalSince1970
        _ = try await connection.query(
            "INSERT INTO job_work (job_id, requests) VALUES (?, ?)",
            [.text(job.id), .blob(ByteBuffer(bytes: job.requests))]
        )
        _ = try await connection.query(
            "INSERT INTO jobs (id, kind, requests, state, total, created_at, finished_at) VALUES (?, ?, x'', ?, ?, ?, ?)",
            [
                .text(job.id), .text(job.kind.rawValue), .text(job.state.rawValue), .integer(SQLiteInt64(job.total)),
                .float(now), job.state.hasEnded ? .float(now) : .null,
            ]
        )
        for part in finished.slices(of: Self.rowsPerStatement) {
            var binds: [SQLiteData] = []
            binds.reserveCapacity(part.count * 3)
            for item in part { binds += [.text(job.id), .integer(SQLiteInt64(item.index)), .blob(ByteBuffer(bytes: item.item))] }
            let values = Array(repeating: "(?, ?, ?)", count: part.count).joined(separator: ", ")
            _ = try await connection.query("INSERT OR IGNORE INTO job_items (job_id, idx, item) VALUES \(values)", binds)
        }
        try await enqueue(jobID: job.id, indices: queued)
    }

    /// The columns of a ``StoredJob``, its work from `job_work` (or, for a job stored before
    /// that table, from `jobs`).
    private static let storedJobColumns = """
        SELECT jobs.id AS id, kind, COALESCE(job_work.requests, jobs.requests) AS requests, state, total
        FROM jobs LEFT JOIN job_work ON job_work.job_id = jobs.id
        """

    /// A job by id.
    func job(id: String) async throws -> StoredJob? {
        let rows = try await connection.query("\(Self.storedJobColumns) WHERE jobs.id = ?", [.text(id)])
        return try rows.first.flatMap(Self.storedJob)
    }

    /// Deletes jobs that ended (done, failed, cancelled) before `cutoff` (seconds since
    /// 1970; jobs stored before `finished_at` existed count from their creation), then
    /// their items; returns the jobs' ids.
    func deleteFinishedJobs(endedBefore cutoff: Double) async throws -> [String] {
        let expired = "state IN (\(JobState.sqlList(JobState.ended))) AND COALESCE(finished_at, created_at) < ?"
        let rows = try await connection.query("SELECT id FROM jobs WHERE \(expired)", [.float(cutoff)])
        let ids = rows.compactMap { $0.column("id")?.string }
        guard !ids.isEmpty else { return [] }
        // The job rows first: from then on the job is unknown (404), never "done" without
        // its results; then every item whose job is gone.
        _ = try await connection.query("DELETE FROM jobs WHERE \(expired)", [.float(cutoff)])
        _ = try await connection.query("DELETE FROM job_items WHERE job_id NOT IN (SELECT id FROM jobs)")
        _ = try await connection.query("DELETE FROM job_work WHERE job_id NOT IN (SELECT id FROM jobs)")
        return ids
    }

    func deleteJob(id: String) async throws -> Bool {
        // The job row first: from then on the job is unknown (404) and no item of it is stored.
        let rows = try await connection.query("DELETE FROM jobs WHERE id = ? RETURNING id", [.text(id)])
        _ = try await connection.query("DELETE FROM job_queue WHERE job_id = ?", [.text(id)])
        _ = try await connection.query("DELETE FROM job_items WHERE job_id = ?", [.text(id)])
        _ = try await connection.query("DELETE FROM job_work WHERE job_id = ?", [.text(id)])
        return !rows.isEmpty
    }

    /// Jobs that were queued or running when the server stopped.
    func unfinishedJobs() async throws -> [StoredJob] {
        let rows = try await connection.query(
            "\(Self.storedJobColumns) WHERE state IN (\(JobState.sqlList(JobState.active))) ORDER BY created_at"
        )
        return try rows.compactMap(Self.storedJob)
    }

    /// The `limit` most recent jobs, newest first.
    func recentJobs(limit: Int) async throws -> [StoredJobRow] {
        let rows = try await connection.query(
            """
            SELECT id, kind, state, total, created_at, (SELECT COUNT(*) FROM job_items WHERE job_id = jobs.id) AS finished
            FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?
            """,
            [.integer(SQLiteInt64(max(0, limit)))]
        )
        return try rows.compactMap { row in
            guard let id = row.column("id")?.string, let state = row.column("state")?.string, let total = row.column("total")?.integer,
                let finished = row.column("finished")?.integer, let created = row.column("created_at")?.double
            else { return nil }
            return StoredJobRow(
                id: id,
                kind: try Self.kind(row),
                state: try JobState(stored: state, column: "jobs.state"),
                total: Int(total),
                finished: Int(finished),
                createdAt: created
            )
        }
    }

    /// The finished items of a job, by index.
    func jobItems(jobID: String) async throws -> [(index: Int, item: [UInt8])] {
        let rows = try await connection.query("SELECT idx, item FROM job_items WHERE job_id = ? ORDER BY idx", [.text(jobID)])
        return rows.compactMap { row in
            guard let index = row.column("idx")?.integer, let item = row.column("item")?.blob else { return nil }
            return (Int(index), Array(item.readableBytesView))
        }
    }

    /// The job in `row`; nil when a column is missing.
    ///
    /// - Throws: ``StorageError`` for a state or kind this server does not know.
    private static func storedJob(_ row: SQLiteRow) throws -> StoredJob? {
        guard let id = row.column("id")?.string, let requests = row.column("requests")?.blob,
            let state = row.column("state")?.string, let total = row.column("total")?.integer
        else { return nil }
        return StoredJob(
            id: id,
            kind: try kind(row),
            requests: Array(requests.readableBytesView),
            state: try JobState(stored: state, column: "jobs.state"),
            total: Int(total)
        )
    }

    /// The `kind` column (the migration gave jobs stored before it `backtests`).
    static func kind(_ row: SQLiteRow) throws -> JobKind {
        guard let raw = row.column("kind")?.string else { throw StorageError.unknownValue("NULL", column: "jobs.kind") }
        return try JobKind(stored: raw, column: "jobs.kind")
    }
}
