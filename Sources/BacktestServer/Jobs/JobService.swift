import BacktestAPI
import BacktestEngine
import Foundation

/// The jobs as the routes see them (`POST /v1/jobs`, `POST /v1/optimizations` and their
/// status, cancel, delete and list routes): any node answers for any job, from the storage.
/// The work itself runs in ``QueueWorker``; live feeds are ``JobEvents``.
struct JobService: Sendable {
    let jobs: any JobStore
    let items: any JobItemStore
    let queue: any WorkQueue
    let cluster: any ClusterRegistry
    let directory: JobDirectory
    let events: JobEvents
    let metrics: ServerMetrics
    /// This node's id, and how long a claim holds (nodes seen in the last three leases are listed).
    let node: String
    let leaseSeconds: Double
    /// Bounds each database call while the database is unreachable (503, never a hang).
    var storageGuard = StorageGuard(probe: nil)

    /// A job not found (404).
    static func notFound(_ id: String) -> Problem {
        Problem(code: .unknownJob, detail: "no job with id '\(id.prefix(64))'", field: "id")
    }

    /// A job of the other kind than a route serves (404).
    static func wrongKind(_ id: String, expected: JobKind, actual: JobKind) -> Problem {
        let shown = id.prefix(64)
        return Problem(
            code: .unknownJob,
            detail: "no \(expected.noun) with id '\(shown)' (it is \(actual.aNoun): \(actual.route)/\(shown))",
            field: "id"
        )
    }

    /// Creates a job; `initial` are items already decided (a batch's entries that did not
    /// decode fail at once). The rest wait in the queue for any node.
    func create(_ work: any JobWork, initial: [JobItemOutcome] = []) async throws -> String {
        try await storageGuard.run { try await insert(work, initial: initial) }
    }

    /// Stores the job, its items decided at creation and its queued work as one unit
    /// (``JobStore/insertJob(_:finished:queued:)``): a job whose every item was decided is
    /// stored done.
    private func insert(_ work: any JobWork, initial: [JobItemOutcome]) async throws -> String {
        let id = UUID().uuidString.lowercased()
        let decided = Set(initial.map(\.index))
        let queued = (0..<work.itemCount).filter { !decided.contains($0) }
        let job = StoredJob(id: id, kind: work.kind, requests: try work.encoded(), state: queued.isEmpty ? .done : .queued, total: work.itemCount)
        try await jobs.insertJob(job, finished: initial.map { FinishedItem(jobID: id, index: $0.index, item: $0.bytes) }, queued: queued)
        await directory.remember(work, for: id)
        if queued.isEmpty {
            metrics.recordJobFinished(.done)
        } else {
            directory.workQueued.signal()
        }
        return id
    }

    /// What is stored of a job: its kind, its work, its state, its finished items, and its
    /// progress by weight (combinations for a search).
    struct Snapshot: Sendable {
        var kind: JobKind
        var work: [UInt8]
        var state: JobState
        var total: Int
        /// Its finished items; none while it is queued or running (``activeProgress`` then).
        var items: [(index: Int, bytes: [UInt8])]
        /// The progress by weight, while the job is queued or running.
        var activeProgress: JobProgress?
    }

    /// Checks that job `id` exists and is of one of `kinds` (the first names it in the error),
    /// from its header only; a job of another kind is unknown on these kinds' routes (404
    /// naming the route it belongs to).
    func require(_ id: String, is kinds: JobKind...) async throws {
        guard let header = try await db({ try await jobs.jobHeader(id: id) }) else { throw Self.notFound(id) }
        guard kinds.contains(header.kind) else { throw Self.wrongKind(id, expected: kinds.first ?? header.kind, actual: header.kind) }
    }

    /// The stored state of job `id`, which must be of one of `kinds` (for ``JobWork`` types
    /// that assemble a result from their items, such as a search).
    func snapshot(_ id: String, of kinds: JobKind...) async throws -> Snapshot {
        guard let stored = try await db({ try await jobs.job(id: id) }) else { throw Self.notFound(id) }
        guard kinds.contains(stored.kind) else { throw Self.wrongKind(id, expected: kinds.first ?? stored.kind, actual: stored.kind) }
        var snapshot = Snapshot(kind: stored.kind, work: stored.requests, state: stored.state, total: stored.total, items: [])
        if !stored.state.hasEnded, let work = try? await directory.work(for: id, stored: stored) {
            // Only the indices: a search's units hold its heatmap rows, read once it is done.
            let done = try await db { try await items.finishedIndices(jobID: id) }
            snapshot.activeProgress = JobProgress(done: work.weight(of: done), total: work.totalWeight)
        } else {
            snapshot.items = try await db { try await items.jobItems(jobID: id) }.map { (index: $0.index, bytes: $0.item) }
        }
        return snapshot
    }

    /// The `limit` most recent jobs, newest first (progress in items: a search's units).
    func recent(limit: Int) async throws -> [JobSummary] {
        try await db { try await jobs.recentJobs(limit: limit) }.map { row in
            JobSummary(
                id: row.id,
                kind: row.kind.rawValue,
                status: row.state,
                progress: JobProgress(done: row.finished, total: row.total),
                createdAt: Timestamp.format(Int64(row.createdAt)) + "Z"
            )
        }
    }

    /// Counts of active jobs by state, for `/metrics`.
    func activeCounts() async -> [JobState: Int] {
        (try? await db { try await jobs.jobCounts() }) ?? [:]
    }

    /// The nodes seen in the last three leases, and the queue.
    func clusterStatus() async throws -> ClusterSnapshot {
        let since = Date().timeIntervalSince1970 - 3 * leaseSeconds
        var snapshot = try await db { try await cluster.clusterStatus(since: since) }
        snapshot.node = node
        return snapshot
    }

    /// The status of a job (a batch's results once it has ended; a search's progress counts
    /// its units here, its combinations at `GET /v1/optimizations/{id}`).
    func status(_ id: String) async throws -> StoredJobStatus {
        guard let header = try await db({ try await jobs.jobHeader(id: id) }) else { throw Self.notFound(id) }
        // While the job runs (or for a search) only the count: the items are read once it ended.
        guard header.kind == .backtests || header.kind == .portfolios, header.state.hasEnded else {
            let progress = JobProgress(done: try await db { try await items.finishedCount(jobID: id) }, total: header.total)
            return StoredJobStatus(status: JobStatus(id: id, status: header.state, progress: progress))
        }
        // The items as stored (each a BatchItem's or a portfolio item's JSON), not decoded and encoded again.
        let stored = try await db { try await items.jobItems(jobID: id) }.map(\.item).filter(StoredJobStatus.isObject)
        return StoredJobStatus(
            status: JobStatus(id: id, status: header.state, progress: JobProgress(done: stored.count, total: header.total)),
            results: stored
        )
    }

    /// Cancels a job on every node (its queued items are dropped; items running finish and
    /// are kept); an ended job is returned unchanged.
    func cancel(_ id: String) async throws -> StoredJobStatus {
        guard try await db({ try await jobs.jobHeader(id: id) }) != nil else { throw Self.notFound(id) }
        try await cancelIfActive(id)
        return try await status(id)
    }

    /// Deletes a job on every node: cancels it first if it is still queued or running, then
    /// removes it with its items, so that a later read is 404. Items another node is running
    /// finish there and are dropped (``WorkQueue/complete(_:)`` keeps only a live job's).
    func delete(_ id: String) async throws {
        guard try await db({ try await jobs.jobHeader(id: id) }) != nil else { throw Self.notFound(id) }
        try await cancelIfActive(id)
        guard try await db({ try await jobs.deleteJob(id: id) }) else { throw Self.notFound(id) }
        await directory.markEnded(id)
        directory.jobsChanged.signal()
    }

    /// Events of a job: finished items so far, then live ones until the `done` event.
    func feed(_ id: String) async throws -> JobEvents.Feed {
        guard try await db({ try await jobs.jobHeader(id: id) }) != nil else { throw Self.notFound(id) }
        return await events.subscribe(to: id)
    }

    /// Ends a queued or running job as cancelled and drops its queued items.
    private func cancelIfActive(_ id: String) async throws {
        guard try await db({ try await jobs.finishJob(id: id, state: .cancelled) }) else { return }
        await directory.markEnded(id)
        try await db { try await queue.dequeue(jobID: id) }
        metrics.recordJobFinished(.cancelled)
        directory.jobsChanged.signal()
    }

    /// A database call, bounded by ``storageGuard``.
    private func db<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async throws -> T {
        try await storageGuard.run(call)
    }
}
