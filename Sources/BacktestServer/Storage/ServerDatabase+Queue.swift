import BacktestAPI
import Foundation
import NIOCore
import SQLiteNIO

/// The work queue in the SQLite file: one node, so claims only matter across a restart.
extension ServerDatabase {
    var isShared: Bool { false }

    /// One node: nobody else changes anything.
    func changes() -> AsyncStream<String> {
        AsyncStream { $0.finish() }
    }

    func enqueue(jobID: String, indices: [Int]) async throws {
        for part in indices.slices(of: Self.rowsPerStatement) {
            let values = Array(repeating: "(?, ?)", count: part.count).joined(separator: ", ")
            var binds: [SQLiteData] = []
            binds.reserveCapacity(part.count * 2)
            for index in part { binds += [.text(jobID), .integer(SQLiteInt64(index))] }
            _ = try await connection.query("INSERT OR IGNORE INTO job_queue (job_id, idx) VALUES \(values)", binds)
        }
    }

    func claim(node: String, limit: Int, leaseSeconds: Double) async throws -> [QueuedItem] {
        let now = Date().timeIntervalSince1970
        let rows = try await connection.query(
            """
            UPDATE job_queue SET claimed_by = ?, lease_until = ?, attempts = attempts + 1
            WHERE rowid IN (SELECT rowid FROM job_queue WHERE lease_until IS NULL OR lease_until < ? ORDER BY rowid LIMIT ?)
            RETURNING job_id, idx, attempts
            """,
            [.text(node), .float(now + leaseSeconds), .float(now), .integer(SQLiteInt64(max(0, limit)))]
        )
        let items = rows.compactMap { row -> QueuedItem? in
            guard let job = row.column("job_id")?.string, let index = row.column("idx")?.integer else { return nil }
            return QueuedItem(jobID: job, index: Int(index), reclaimed: (row.column("attempts")?.integer ?? 1) > 1)
        }
        for job in Set(items.map(\.jobID)) {
            _ = try await connection.query(
                "UPDATE jobs SET state = ? WHERE id = ? AND state = ?",
                [.text(JobState.running.rawValue), .text(job), .text(JobState.queued.rawValue)]
            )
        }
        return items.sorted { ($0.jobID, $0.index) < ($1.jobID, $1.index) }
    }

    @discardableResult
    func complete(_ items: [FinishedItem]) async throws -> Set<String> {
        var drained: Set<String> = []
        for job in Set(items.map(\.jobID)) {
            let rows = items.filter { $0.jobID == job }
            for part in rows.slices(of: Self.rowsPerStatement) {
                var binds: [SQLiteData] = []
                binds.reserveCapacity(part.count * 2 + 1)
                for item in part { binds += [.integer(SQLiteInt64(item.index)), .blob(ByteBuffer(bytes: item.item))] }
                binds.append(.text(job))
                let values = Array(repeating: "(?, ?)", count: part.count).joined(separator: ", ")
                // Only while the job is queued or running: a cancelled job keeps what had finished.
                _ = try await connection.query(
                    """
                    INSERT OR IGNORE INTO job_items (job_id, idx, item)
                    SELECT j.id, v.column1, v.column2 FROM (VALUES \(values)) AS v, jobs AS j
                    WHERE j.id = ? AND j.state IN (\(JobState.sqlList(JobState.active)))
                    """,
                    binds
                )
                let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
                _ = try await connection.query(
                    "DELETE FROM job_queue WHERE job_id = ? AND idx IN (\(marks))",
                    [.text(job)] + part.map { .integer(SQLiteInt64($0.index)) }
                )
            }
            if try await !hasQueuedItems(jobID: job) { drained.insert(job) }
        }
        return drained
    }

    func extendLeases(node: String, items: [ItemKey], leaseSeconds: Double) async throws {
        let until = Date().timeIntervalSince1970 + leaseSeconds
        for (job, held) in Dictionary(grouping: items, by: \.jobID) {
            for part in held.slices(of: Self.rowsPerStatement) {
                let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
                _ = try await connection.query(
                    "UPDATE job_queue SET lease_until = ? WHERE claimed_by = ? AND job_id = ? AND idx IN (\(marks))",
                    [.float(until), .text(node), .text(job)] + part.map { .integer(SQLiteInt64($0.index)) }
                )
            }
        }
    }

    func releaseClaims(node: String?) async throws {
        if let node {
            _ = try await connection.query("UPDATE job_queue SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?", [.text(node)])
        } else {
            _ = try await connection.query("UPDATE job_queue SET claimed_by = NULL, lease_until = NULL")
        }
    }

    func dequeue(jobID: String) async throws {
        _ = try await connection.query("DELETE FROM job_queue WHERE job_id = ?", [.text(jobID)])
    }

    func jobHeader(id: String) async throws -> StoredJobHeader? {
        let rows = try await connection.query("SELECT kind, state, total FROM jobs WHERE id = ?", [.text(id)])
        guard let row = rows.first, let state = row.column("state")?.string, let total = row.column("total")?.integer else { return nil }
        return StoredJobHeader(kind: try Self.kind(row), state: try JobState(stored: state, column: "jobs.state"), total: Int(total))
    }

    func hasQueuedItems(jobID: String) async throws -> Bool {
        let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM job_queue WHERE job_id = ?) AS queued", [.text(jobID)])
        return rows.first?.column("queued")?.integer == 1
    }

    func finishedCount(jobID: String) async throws -> Int {
        let rows = try await connection.query("SELECT COUNT(*) AS n FROM job_items WHERE job_id = ?", [.text(jobID)])
        return rows.first?.column("n")?.integer.map { Int($0) } ?? 0
    }

    func finishedIndices(jobID: String) async throws -> [Int] {
        let rows = try await connection.query("SELECT idx FROM job_items WHERE job_id = ? ORDER BY idx", [.text(jobID)])
        return rows.compactMap { $0.column("idx")?.integer.map { Int($0) } }
    }

    func jobItems(jobID: String, after seq: Int64) async throws -> [StoredItem] {
        let rows = try await connection.query(
            "SELECT rowid AS seq, idx, item FROM job_items WHERE job_id = ? AND rowid > ? ORDER BY rowid",
            [.text(jobID), .integer(SQLiteInt64(seq))]
        )
        return rows.compactMap { row in
            guard let s = row.column("seq")?.integer, let index = row.column("idx")?.integer, let item = row.column("item")?.blob else { return nil }
            return StoredItem(index: Int(index), item: Array(item.readableBytesView), seq: Int64(s))
        }
    }

    func finishJob(id: String, state: JobState) async throws -> Bool {
        let rows = try await connection.query(
            "UPDATE jobs SET state = ?, finished_at = ? WHERE id = ? AND state IN (\(JobState.sqlList(JobState.active))) RETURNING id",
            [.text(state.rawValue), .float(Date().timeIntervalSince1970), .text(id)]
        )
        return !rows.isEmpty
    }

    func jobCounts() async throws -> [JobState: Int] {
        let rows = try await connection.query(
            "SELECT state, COUNT(*) AS n FROM jobs WHERE state IN (\(JobState.sqlList(JobState.active))) GROUP BY state"
        )
        var counts: [JobState: Int] = [:]
        for row in rows {
            if let state = row.column("state")?.string, let n = row.column("n")?.integer {
                counts[try JobState(stored: state, column: "jobs.state")] = Int(n)
            }
        }
        return counts
    }

    func ping() async throws {
        _ = try await connection.query("SELECT 1")
    }

    func heartbeat(node: String, address: String) async throws {
        _ = try await connection.query(
            "INSERT OR REPLACE INTO nodes (id, address, seen_at) VALUES (?, ?, ?)",
            [.text(node), .text(address), .float(Date().timeIntervalSince1970)]
        )
    }

    func clusterStatus(since: Double) async throws -> ClusterSnapshot {
        let now = Date().timeIntervalSince1970
        let rows = try await connection.query("SELECT id, address, seen_at FROM nodes WHERE seen_at >= ? ORDER BY id", [.float(since)])
        let nodes = rows.compactMap { row -> ClusterSnapshot.Node? in
            guard let id = row.column("id")?.string, let address = row.column("address")?.string, let seen = row.column("seen_at")?.double else {
                return nil
            }
            return ClusterSnapshot.Node(id: id, address: address, seenSecondsAgo: max(0, now - seen))
        }
        let counts = try await connection.query(
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN lease_until >= ? THEN 1 ELSE 0 END), 0) AS claimed FROM job_queue",
            [.float(now)]
        )
        let total = counts.first?.column("n")?.integer.map { Int($0) } ?? 0
        let claimed = counts.first?.column("claimed")?.integer.map { Int($0) } ?? 0
        return ClusterSnapshot(nodes: nodes, queued: total - claimed, claimed: claimed)
    }
}
