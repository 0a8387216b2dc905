import BacktestAPI
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The work queue in PostgreSQL, shared by every node: claims with `FOR UPDATE SKIP LOCKED`
/// and leases on the database's clock, changes announced with `NOTIFY backtest`.
extension PostgresStorage {
    /// The LISTEN/NOTIFY channel.
    static let channel = "backtest"

    var isShared: Bool { true }

    func enqueue(jobID: String, indices: [Int]) async throws {
        for part in indices.slices(of: Self.enqueueChunk) {
            try await bounded.query(Self.enqueueQuery(jobID: jobID, indices: Array(part)))
        }
        try await notify("")
    }

    /// Items queued per statement.
    static let enqueueChunk = 10_000

    /// Queues `indices` of job `jobID` in their order; an item already queued is left alone.
    static func enqueueQuery(jobID: String, indices: [Int]) -> PostgresQuery {
        """
        INSERT INTO job_queue (job_id, idx) SELECT \(jobID), i FROM unnest(\(indices)::int[]) WITH ORDINALITY AS t(i, n) ORDER BY n
        ON CONFLICT DO NOTHING
        """
    }

    /// Queues the items of a job being created (nothing of it can be queued yet): a plain insert,
    /// about a third cheaper than one that checks each row for a conflict.
    static func newJobQueueQuery(jobID: String, indices: [Int]) -> PostgresQuery {
        "INSERT INTO job_queue (job_id, idx) SELECT \(jobID), i FROM unnest(\(indices)::int[]) WITH ORDINALITY AS t(i, n) ORDER BY n"
    }

    func claim(node: String, limit: Int, leaseSeconds: Double) async throws -> [QueuedItem] {
        // One statement: the oldest free rows are picked and locked (`SKIP LOCKED` passes over
        // rows other nodes are claiming), updated by their row ids (a TID scan: a join back to
        // the queue by key was a hash join over the whole queue), and their jobs marked running.
        // A row another transaction changed after this statement began has a new row id and is
        // not updated: it is passed over, never claimed twice, and stays for the next claim.
        let rows = try await bounded.query(
            """
            WITH now AS (SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS t),
            claimed AS (
                UPDATE job_queue SET claimed_by = \(node), lease_until = (SELECT t FROM now) + \(leaseSeconds), attempts = attempts + 1
                WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM job_queue WHERE lease_until IS NULL OR lease_until < (SELECT t FROM now)
                    ORDER BY seq LIMIT \(max(0, limit)) FOR UPDATE SKIP LOCKED
                ))
                RETURNING job_id, idx, attempts
            ),
            started AS (
                UPDATE jobs SET state = \(JobState.running.rawValue)
                WHERE id IN (SELECT job_id FROM claimed) AND state = \(JobState.queued.rawValue)
            )
            SELECT job_id, idx, attempts FROM claimed
            """
        )
        var items: [QueuedItem] = []
        for try await (job, index, attempts) in rows.decode((String, Int, Int).self) {
            items.append(QueuedItem(jobID: job, index: index, reclaimed: attempts > 1))
        }
        return items.sorted { ($0.jobID, $0.index) < ($1.jobID, $1.index) }
    }

    @discardableResult
    func complete(_ items: [FinishedItem]) async throws -> Set<String> {
        guard !items.isEmpty else { return [] }
        let jobs = items.map(\.jobID)
        let indices = items.map(\.index)
        let bytes = items.map { ByteBuffer(bytes: $0.item) }
        // Stored and taken off the queue in one statement (one transaction): a node that dies
        // before it commits leaves the items queued, they run again elsewhere, and a second
        // result of an item is ignored. The queue's rows are found through the primary key
        // (`job_id = ANY … AND idx = ANY …`: joined on the pairs alone, the planner took a hash
        // join over the whole queue for 64 rows) and matched by key, not by row id (a lease
        // extended at the same moment writes a new version, which a row id would miss).
        let distinct = Array(Set(jobs))
        try await bounded.query(
            """
            WITH stored AS (
                INSERT INTO job_items (job_id, idx, item)
                SELECT j, i, b FROM unnest(\(jobs)::text[], \(indices)::int[], \(bytes)::bytea[]) WITH ORDINALITY AS t(j, i, b, n)
                WHERE EXISTS (SELECT 1 FROM jobs WHERE id = t.j AND state = ANY(\(Self.active)::text[])) ORDER BY n
                ON CONFLICT DO NOTHING
            )
            DELETE FROM job_queue WHERE job_id = ANY(\(distinct)::text[]) AND idx = ANY(\(indices)::int[])
                AND (job_id, idx) IN (SELECT * FROM unnest(\(jobs)::text[], \(indices)::int[]))
            """
        )
        // After the commit (a statement's snapshot would still show the items another node is
        // taking off at the same moment, and then neither would end the job): the jobs'
        // announcements and which of them have nothing left queued, in one round trip.
        let rows = try await bounded.query(
            """
            SELECT j, EXISTS (SELECT 1 FROM job_queue WHERE job_id = j)
            FROM unnest(\(distinct)::text[]) AS j, LATERAL pg_notify(\(Self.channel), j) AS announced
            """
        )
        var drained: Set<String> = []
        for try await (job, queued) in rows.decode((String, Bool).self) where !queued { drained.insert(job) }
        return drained
    }

    func extendLeases(node: String, items: [ItemKey], leaseSeconds: Double) async throws {
        guard !items.isEmpty else { return }
        let jobs = items.map(\.jobID)
        let indices = items.map(\.index)
        // The rows found through the primary key, as in `complete`.
        try await bounded.query(
            """
            UPDATE job_queue SET lease_until = EXTRACT(EPOCH FROM clock_timestamp())::float8 + \(leaseSeconds)
            WHERE claimed_by = \(node) AND job_id = ANY(\(Array(Set(jobs)))::text[]) AND idx = ANY(\(indices)::int[])
                AND (job_id, idx) IN (SELECT * FROM unnest(\(jobs)::text[], \(indices)::int[]))
            """
        )
    }

    func releaseClaims(node: String?) async throws {
        if let node {
            try await bounded.query("UPDATE job_queue SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = \(node)")
            try await notify("")
        }
        // Every claim (a node alone restarting): never on a shared database, where other
        // nodes' claims are live.
    }

    func dequeue(jobID: String) async throws {
        try await bounded.query("DELETE FROM job_queue WHERE job_id = \(jobID)")
        try await notify(jobID)
    }

    func jobHeader(id: String) async throws -> StoredJobHeader? {
        let rows = try await bounded.query("SELECT kind, state, total FROM jobs WHERE id = \(id)")
        for try await (kind, state, total) in rows.decode((String, String, Int).self) {
            return StoredJobHeader(
                kind: try JobKind(stored: kind, column: "jobs.kind"),
                state: try JobState(stored: state, column: "jobs.state"),
                total: total
            )
        }
        return nil
    }

    func hasQueuedItems(jobID: String) async throws -> Bool {
        let rows = try await bounded.query("SELECT EXISTS (SELECT 1 FROM job_queue WHERE job_id = \(jobID))")
        for try await queued in rows.decode(Bool.self) { return queued }
        return false
    }

    func finishedCount(jobID: String) async throws -> Int {
        let rows = try await bounded.query("SELECT COUNT(*)::int8 FROM job_items WHERE job_id = \(jobID)")
        for try await n in rows.decode(Int.self) { return n }
        return 0
    }

    func finishedIndices(jobID: String) async throws -> [Int] {
        let rows = try await bounded.query("SELECT idx FROM job_items WHERE job_id = \(jobID) ORDER BY idx")
        var indices: [Int] = []
        for try await index in rows.decode(Int.self) { indices.append(index) }
        return indices
    }

    func jobItems(jobID: String, after seq: Int64) async throws -> [StoredItem] {
        let rows = try await bounded.query("SELECT idx, item, seq FROM job_items WHERE job_id = \(jobID) AND seq > \(seq) ORDER BY seq")
        var items: [StoredItem] = []
        for try await (index, item, s) in rows.decode((Int, ByteBuffer, Int64).self) {
            items.append(StoredItem(index: index, item: Array(item.readableBytesView), seq: s))
        }
        return items
    }

    func finishJob(id: String, state: JobState) async throws -> Bool {
        let rows = try await bounded.query(
            """
            UPDATE jobs SET state = \(state.rawValue), finished_at = \(Date().timeIntervalSince1970)
            WHERE id = \(id) AND state = ANY(\(Self.active)::text[]) RETURNING id
            """
        )
        var changed = false
        for try await _ in rows.decode(String.self) { changed = true }
        if changed { try await notify(id) }
        return changed
    }

    func jobCounts() async throws -> [JobState: Int] {
        let rows = try await bounded.query("SELECT state, COUNT(*)::int8 FROM jobs WHERE state = ANY(\(Self.active)::text[]) GROUP BY state")
        var counts: [JobState: Int] = [:]
        for try await (state, n) in rows.decode((String, Int).self) { counts[try JobState(stored: state, column: "jobs.state")] = n }
        return counts
    }

    func ping() async throws {
        try await bounded.query("SELECT 1")
    }

    func heartbeat(node: String, address: String) async throws {
        try await bounded.query(
            """
            INSERT INTO nodes (id, address, seen_at) VALUES (\(node), \(address), EXTRACT(EPOCH FROM clock_timestamp())::float8)
            ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, seen_at = EXCLUDED.seen_at
            """
        )
    }

    func clusterStatus(since: Double) async throws -> ClusterSnapshot {
        var nodes: [ClusterSnapshot.Node] = []
        let rows = try await bounded.query(
            """
            SELECT id, address, EXTRACT(EPOCH FROM clock_timestamp())::float8 - seen_at FROM nodes
            WHERE seen_at >= EXTRACT(EPOCH FROM clock_timestamp())::float8 - \(Date().timeIntervalSince1970 - since) ORDER BY id
            """
        )
        for try await (id, address, ago) in rows.decode((String, String, Double).self) {
            nodes.append(ClusterSnapshot.Node(id: id, address: address, seenSecondsAgo: max(0, ago)))
        }
        let counts = try await bounded.query(
            """
            SELECT COUNT(*)::int8, COALESCE(SUM(CASE WHEN lease_until >= EXTRACT(EPOCH FROM clock_timestamp())::float8 THEN 1 ELSE 0 END), 0)::int8
            FROM job_queue
            """
        )
        var total = 0
        var claimed = 0
        for try await (n, c) in counts.decode((Int, Int).self) {
            total = n
            claimed = c
        }
        return ClusterSnapshot(nodes: nodes, queued: total - claimed, claimed: claimed)
    }

    func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1_024))
        let client = self.client
        let task = Task {
            // One connection listens; it reconnects after a failure, while polling covers the gap.
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            for try await notification in notifications { continuation.yield(notification.payload) }
                        }
                    }
                } catch {
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Announces a change on ``channel`` (`payload`: a job id, `bars:TICKER`, or empty for new work).
    func notify(_ payload: String) async throws {
        try await bounded.query("SELECT pg_notify(\(Self.channel), \(payload))")
    }
}

/// Imported bars shared by the nodes; a change is announced as `bars:TICKER`.
extension PostgresStorage {
    func sharedBarsCatalog() async throws -> [String: String] {
        var catalog: [String: String] = [:]
        for try await (ticker, hash) in try await bounded.query("SELECT ticker, content_hash FROM shared_bars").decode((String, String).self) {
            catalog[ticker] = hash
        }
        return catalog
    }

    func sharedBars(ticker: String) async throws -> (source: String, bars: [UInt8])? {
        let rows = try await bounded.query("SELECT source, bars FROM shared_bars WHERE ticker = \(ticker)")
        for try await (source, bars) in rows.decode((String, ByteBuffer).self) { return (source, Array(bars.readableBytesView)) }
        return nil
    }

    func putSharedBars(ticker: String, source: String, contentHash: String, bars: [UInt8]) async throws {
        try await bounded.query(
            """
            INSERT INTO shared_bars (ticker, source, content_hash, bars, updated_at)
            VALUES (\(ticker), \(source), \(contentHash), \(ByteBuffer(bytes: bars)), \(Date().timeIntervalSince1970))
            ON CONFLICT (ticker) DO UPDATE SET source = EXCLUDED.source, content_hash = EXCLUDED.content_hash, bars = EXCLUDED.bars,
                updated_at = EXCLUDED.updated_at
            """
        )
        try await notify("bars:" + ticker)
    }

    func removeSharedBars(ticker: String) async throws {
        try await bounded.query("DELETE FROM shared_bars WHERE ticker = \(ticker)")
        try await notify("bars:" + ticker)
    }
}
