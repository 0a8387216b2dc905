import BacktestAPI
import BacktestEngine
import Foundation
import Logging
import ServiceLifecycle

/// Runs asynchronous jobs (`POST /v1/jobs`, `POST /v1/optimizations`) from the storage's work
/// queue, so that any number of servers sharing one database share the work. What an item is
/// (a backtest, a unit of a search) is the job's ``JobWork``.
///
/// - A job's work and its items are stored when it is created; its unfinished items wait in
///   the queue.
/// - Every node claims items in batches with a lease (``Configuration/leaseSeconds``) that it
///   extends while it runs them, stores each result (once: a second result of an item is
///   ignored) and takes the item off the queue. A node that dies stops extending its leases;
///   other nodes claim its items when they expire. The node that finishes a job's last item
///   marks it done.
/// - Any node answers for any job: status, cancellation and live events read the storage
///   (events poll it, woken at once by this node's own results and, on PostgreSQL, by other
///   nodes' `NOTIFY`).
/// - On a storage only this node uses (SQLite), a restart takes back every claim at once.
actor JobRunner: Service {
    /// One message of a job's live event stream.
    enum Event: Sendable {
        /// A batch's backtest finished.
        case item(JobItemEvent)
        /// A unit of a search finished (the progress so far).
        case progress(JobProgress)
        /// The job ended.
        case done(JobStatus)
        /// Nothing new for ``Configuration/keepAlive``: an SSE comment, so that proxies keep
        /// the stream open and a client that left is noticed (the write fails).
        case keepAlive
    }

    /// What a subscriber gets: events so far, then live ones (nil once the job ended).
    struct Feed: Sendable {
        var replay: [Event]
        var live: AsyncStream<Event>?
    }

    /// How this node takes part.
    struct Configuration: Sendable {
        /// This node's id (a new one per process).
        var node = UUID().uuidString.lowercased()
        /// Where this node listens, for `/health`'s list of nodes.
        var address = ""
        /// Items run at once.
        var concurrency = 2
        /// How long a claim holds without being extended. Default 10 s.
        var leaseSeconds = 10.0
        /// The longest wait before looking for work or progress again. Default 0.5 s.
        var pollInterval: Duration = .milliseconds(500)
        /// Ended jobs are deleted this long after they ended. Default 7 days.
        var retention: Duration = .seconds(7 * 86_400)
        /// A live event stream quiet this long gets a keep-alive comment. Default 15 s.
        var keepAlive: Duration = .seconds(15)
    }

    /// A job not found (404).
    static func notFound(_ id: String) -> Problem {
        Problem(code: .unknownJob, detail: "no job with id '\(id.prefix(64))'", field: "id")
    }

    /// Rebuilds a stored job's work, and reads back a stored item.
    struct Storage: Sendable {
        /// The work of a stored job.
        var work: @Sendable (JobKind, [UInt8]) async throws -> any JobWork
        /// The outcome of a stored item of a job of this kind.
        var outcome: @Sendable (JobKind, Int, [UInt8]) -> JobItemOutcome?
    }

    /// The result of one item, wrapped (not a tuple) for the task group.
    private struct ItemOutcome: Sendable {
        var jobID: String
        var outcome: JobItemOutcome?
    }

    /// A live event stream on this node.
    private struct Subscriber {
        var jobID: String
        var continuation: AsyncStream<Event>.Continuation
        /// The last stored item sent (finishing order).
        var lastSeq: Int64 = 0
        var sent: Set<Int> = []
        var doneWeight = 0
        /// When it was last sent anything.
        var lastSent = ContinuousClock.now
    }

    let configuration: Configuration
    /// Where this node listens (known once it does).
    private var address: String
    private let database: any ServerStorage
    private let storage: Storage
    private let metrics: ServerMetrics
    private let logger: Logger
    /// Works of jobs this node runs or follows, by job id.
    private var works: [String: any JobWork] = [:]
    /// Jobs this node saw end (cancelled, failed): their claimed items do not start.
    private var ended: Set<String> = []
    private var subscribers: [Int: Subscriber] = [:]
    private var nextSubscriber = 0
    /// Work was queued (here or, announced, on another node).
    private let wakeWork = WakeSignal()
    /// Items were stored or a job ended.
    private let wakeWatch = WakeSignal()
    /// The results being written, in order, while the workers go on (see ``store(_:)``).
    private var storing: Task<Void, Never>?
    /// Writes started and not finished.
    private var pendingStores = 0

    init(database: any ServerStorage, storage: Storage, metrics: ServerMetrics, configuration: Configuration, logger: Logger) {
        self.database = database
        self.storage = storage
        self.metrics = metrics
        self.configuration = configuration
        self.address = configuration.address
        self.logger = logger
    }

    /// Records where this node listens (its port is known only then), for `/v1/cluster`.
    func listening(at address: String) {
        self.address = address
    }

    // MARK: - Service

    /// Takes part in the work until graceful shutdown, then gives back this node's claims
    /// (their items run again here after a restart, or on another node at once).
    func run() async throws {
        await prepareQueue()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.workLoop() }
            group.addTask { await self.watchLoop() }
            group.addTask { await self.leaseLoop() }
            group.addTask { await self.listen() }
            group.addTask {
                while !Task.isCancelled {
                    await self.deleteExpiredJobs()
                    try? await Task.sleep(for: .seconds(3_600))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        for subscriber in subscribers.values { subscriber.continuation.finish() }
        subscribers = [:]
        do {
            try await database.releaseClaims(node: configuration.node)
        } catch {
            logger.error("giving back claims failed (they expire after the lease)", metadata: ["error": "\(error)"])
        }
    }

    /// A node alone on its storage takes back every claim (its own, from before a restart);
    /// every node queues again what an unfinished job lost (a job stored before the queue
    /// existed).
    private func prepareQueue() async {
        do {
            if !database.isShared { try await database.releaseClaims(node: nil) }
            for job in try await database.unfinishedJobs() {
                guard try await !database.hasQueuedItems(jobID: job.id) else { continue }
                let finished = Set(try await database.jobItems(jobID: job.id).map(\.index))
                let missing = (0..<job.total).filter { !finished.contains($0) }
                if missing.isEmpty {
                    _ = try await database.finishJob(id: job.id, state: JobState.done.rawValue)
                } else {
                    try await database.enqueue(jobID: job.id, indices: missing)
                    logger.info("queued the missing items of a job", metadata: ["job": "\(job.id)", "items": "\(missing.count)"])
                }
            }
        } catch {
            logger.error("cannot prepare the work queue", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - API

    /// Creates a job; `initial` are items already decided (a batch's entries that did not
    /// decode fail at once). The rest wait in the queue for any node.
    func create(_ work: any JobWork, initial: [JobItemOutcome] = []) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await database.insertJob(
            StoredJob(id: id, kind: work.kind.rawValue, requests: try work.encoded(), state: JobState.queued.rawValue, total: work.itemCount)
        )
        works[id] = work
        try await database.complete(initial.map { FinishedItem(jobID: id, index: $0.index, item: $0.bytes) })
        let decided = Set(initial.map(\.index))
        let queued = (0..<work.itemCount).filter { !decided.contains($0) }
        if queued.isEmpty {
            _ = try await database.finishJob(id: id, state: JobState.done.rawValue)
            metrics.recordJobFinished(.done)
        } else {
            try await database.enqueue(jobID: id, indices: queued)
            wakeWork.signal()
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

    /// Checks that job `id` exists and is of `kind`, from its header only; a job of the
    /// other kind is unknown on that kind's routes (404 naming the route it belongs to).
    func require(_ id: String, is kind: JobKind) async throws {
        guard let header = try await database.jobHeader(id: id) else { throw Self.notFound(id) }
        let actual = JobKind(rawValue: header.kind) ?? .backtests
        guard actual == kind else { throw Self.wrongKind(id, expected: kind, actual: actual) }
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

    /// The stored state of job `id`, which must be of `kind` (for ``JobWork`` types that
    /// assemble a result from their items, such as a search).
    func snapshot(_ id: String, of kind: JobKind) async throws -> Snapshot {
        guard let stored = try await database.job(id: id) else { throw Self.notFound(id) }
        let actual = JobKind(rawValue: stored.kind) ?? .backtests
        guard actual == kind else { throw Self.wrongKind(id, expected: kind, actual: actual) }
        let state = JobState(rawValue: stored.state) ?? .failed
        var snapshot = Snapshot(kind: actual, work: stored.requests, state: state, total: stored.total, items: [])
        if !state.hasEnded, let work = try? await self.work(for: id, stored: stored) {
            // Only the indices: a search's units hold its heatmap rows, read once it is done.
            let done = try await database.finishedIndices(jobID: id)
            snapshot.activeProgress = JobProgress(done: work.weight(of: done), total: work.totalWeight)
        } else {
            snapshot.items = try await database.jobItems(jobID: id).map { (index: $0.index, bytes: $0.item) }
        }
        return snapshot
    }

    /// The `limit` most recent jobs, newest first (progress in items: a search's units).
    func recent(limit: Int) async throws -> [JobSummary] {
        try await database.recentJobs(limit: limit).map { row in
            JobSummary(
                id: row.id,
                kind: row.kind,
                status: JobState(rawValue: row.state) ?? .failed,
                progress: JobProgress(done: row.finished, total: row.total),
                createdAt: Timestamp.format(Int64(row.createdAt)) + "Z"
            )
        }
    }

    /// Counts of active jobs by state, for `/metrics`.
    func activeCounts() async -> [String: Int] {
        (try? await database.jobCounts()) ?? [:]
    }

    /// The nodes seen in the last three leases, and the queue.
    func cluster() async throws -> ClusterSnapshot {
        var snapshot = try await database.clusterStatus(since: Date().timeIntervalSince1970 - 3 * configuration.leaseSeconds)
        snapshot.node = configuration.node
        return snapshot
    }

    /// The status of a job (a batch's results once it has ended; a search's progress counts
    /// its units here, its combinations at `GET /v1/optimizations/{id}`).
    func status(_ id: String) async throws -> StoredJobStatus {
        guard let stored = try await database.jobHeader(id: id) else { throw Self.notFound(id) }
        let state = JobState(rawValue: stored.state) ?? .failed
        // While the job runs (or for a search) only the count: the items are read once it ended.
        guard stored.kind == JobKind.backtests.rawValue, state.hasEnded else {
            let progress = JobProgress(done: try await database.finishedCount(jobID: id), total: stored.total)
            return StoredJobStatus(status: JobStatus(id: id, status: state, progress: progress))
        }
        // The items as stored (each a BatchItem's JSON), not decoded and encoded again.
        let items = try await database.jobItems(jobID: id).map(\.item).filter(StoredJobStatus.isObject)
        return StoredJobStatus(
            status: JobStatus(id: id, status: state, progress: JobProgress(done: items.count, total: stored.total)),
            results: items
        )
    }

    /// Cancels a job on every node (its queued items are dropped; items running finish and
    /// are kept); an ended job is returned unchanged.
    func cancel(_ id: String) async throws -> StoredJobStatus {
        guard try await database.jobHeader(id: id) != nil else { throw Self.notFound(id) }
        try await cancelIfActive(id)
        return try await status(id)
    }

    /// Deletes a job on every node: cancels it first if it is still queued or running, then
    /// removes it with its items, so that a later read is 404. Items another node is running
    /// finish there and are dropped (``ServerStorage/complete(_:)`` keeps only a live job's).
    func delete(_ id: String) async throws {
        guard try await database.jobHeader(id: id) != nil else { throw Self.notFound(id) }
        try await cancelIfActive(id)
        guard try await database.deleteJob(id: id) else { throw Self.notFound(id) }
        works[id] = nil
        wakeWatch.signal()
    }

    /// Ends a queued or running job as cancelled and drops its queued items.
    private func cancelIfActive(_ id: String) async throws {
        guard try await database.finishJob(id: id, state: JobState.cancelled.rawValue) else { return }
        ended.insert(id)
        try await database.dequeue(jobID: id)
        metrics.recordJobFinished(.cancelled)
        wakeWatch.signal()
    }

    /// Events of a job: finished items so far, then live ones until the `done` event.
    func feed(_ id: String) async throws -> Feed {
        guard try await database.jobHeader(id: id) != nil else { throw Self.notFound(id) }
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        let key = nextSubscriber
        nextSubscriber += 1
        continuation.onTermination = { _ in Task { await self.unsubscribe(key) } }
        subscribers[key] = Subscriber(jobID: id, continuation: continuation)
        await poll(key)
        return Feed(replay: [], live: stream)
    }

    private func unsubscribe(_ key: Int) {
        subscribers[key] = nil
    }

    // MARK: - Running

    /// The work of job `id`, from this node's cache or rebuilt from the storage.
    private func work(for id: String, stored: StoredJob? = nil) async throws -> any JobWork {
        if let work = works[id] { return work }
        var job = stored
        if job == nil { job = try await database.job(id: id) }
        guard let job else { throw Self.notFound(id) }
        let work = try await storage.work(JobKind(rawValue: job.kind) ?? .backtests, job.requests)
        works[id] = work
        return work
    }

    /// Claims batches of items and runs them until cancelled.
    private func workLoop() async {
        let batch = max(64, configuration.concurrency * 16)
        // The next batch, claimed while the current one runs (no idle round trip between).
        var ahead: Task<[QueuedItem], Never>?
        while !Task.isCancelled {
            let claimed: [QueuedItem]
            if let ahead { claimed = await ahead.value } else { claimed = await claim(batch) }
            ahead = nil
            if claimed.isEmpty {
                // Until work is queued here or announced by another node, or the poll interval.
                await wakeWork.wait(upTo: configuration.pollInterval)
                continue
            }
            if claimed.count == batch { ahead = Task { await self.claim(batch) } }
            await run(claimed)
        }
        // Every result is written, and the claims made ahead are known, before the runner
        // gives this node's claims back.
        await storing?.value
        _ = await ahead?.value
    }

    /// Claims up to `limit` items for this node (none when the storage fails: logged).
    private func claim(_ limit: Int) async -> [QueuedItem] {
        do {
            let claimed = try await database.claim(node: configuration.node, limit: limit, leaseSeconds: configuration.leaseSeconds)
            if !claimed.isEmpty { metrics.recordClaims(claimed.count, reclaimed: claimed.filter(\.reclaimed).count) }
            return claimed
        } catch {
            logger.error("claiming work failed", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// Runs claimed items, `concurrency` at a time, storing results in small batches.
    private func run(_ claimed: [QueuedItem]) async {
        var runnable: [(QueuedItem, any JobWork)] = []
        // A job cancelled (or failed) on any node since its items were queued, or deleted:
        // skip them.
        for job in Set(claimed.map(\.jobID)) where !ended.contains(job) {
            let header: StoredJobHeader?
            do { header = try await database.jobHeader(id: job) } catch { continue }
            if header.map({ StoredJobStates.ended.contains($0.state) }) ?? true {
                ended.insert(job)
                works[job] = nil
            }
        }
        for item in claimed where !ended.contains(item.jobID) {
            if let work = try? await work(for: item.jobID) {
                runnable.append((item, work))
            } else {
                logger.error("a queued item's job cannot be read back; failing the job", metadata: ["job": "\(item.jobID)"])
                _ = try? await database.finishJob(id: item.jobID, state: JobState.failed.rawValue)
                try? await database.dequeue(jobID: item.jobID)
            }
        }
        let concurrency = configuration.concurrency
        var finished: [ItemOutcome] = []
        await withTaskGroup(of: ItemOutcome.self) { group in
            var iterator = runnable.makeIterator()
            func addNext() -> Bool {
                guard !Task.isCancelled, var (item, work) = iterator.next() else { return false }
                // Cancelled here while this batch ran: the rest of its items do not start.
                while ended.contains(item.jobID) {
                    guard let next = iterator.next() else { return false }
                    (item, work) = next
                }
                group.addTask { ItemOutcome(jobID: item.jobID, outcome: await work.run(item: item.index, requestID: item.jobID)) }
                return true
            }
            for _ in 0..<concurrency where !addNext() { break }
            while let next = await group.next() {
                finished.append(next)
                if finished.count >= 32 {
                    store(finished)
                    finished = []
                }
                _ = addNext()
            }
        }
        // Cancelled mid-way (shutdown): what finished is kept; the rest is given back.
        store(finished)
        // The next batch starts while these results are written, unless the writes fall behind.
        if pendingStores > 2 { await storing?.value }
    }

    /// Stores finished items, ends the jobs they complete (or fail), and wakes the streams:
    /// after the writes before it, in a task of its own, so that the workers go on meanwhile
    /// (a write is a few round trips to the database) and a shutdown cancelling the work loop
    /// does not also cancel the storing of what already finished.
    private func store(_ outcomes: [ItemOutcome]) {
        guard !outcomes.isEmpty else { return }
        let previous = storing
        pendingStores += 1
        storing = Task {
            await previous?.value
            await self.storeNow(outcomes)
            self.pendingStores -= 1
        }
    }

    private func storeNow(_ outcomes: [ItemOutcome]) async {
        let done = outcomes.compactMap { o in o.outcome.map { (o.jobID, $0) } }
        guard !done.isEmpty else { return }
        do {
            try await database.complete(done.map { FinishedItem(jobID: $0.0, index: $0.1.index, item: $0.1.bytes) })
        } catch {
            logger.error("storing results failed (the items run again when their lease expires)", metadata: ["error": "\(error)"])
            return
        }
        for job in Set(done.map(\.0)) {
            let failed = done.contains { $0.0 == job && $0.1.failsJob }
            do {
                if failed {
                    ended.insert(job)
                    if try await database.finishJob(id: job, state: JobState.failed.rawValue) { metrics.recordJobFinished(.failed) }
                    try await database.dequeue(jobID: job)
                } else if try await !database.hasQueuedItems(jobID: job) {
                    if try await database.finishJob(id: job, state: JobState.done.rawValue) { metrics.recordJobFinished(.done) }
                }
            } catch {
                logger.error("ending a job failed", metadata: ["job": "\(job)", "error": "\(error)"])
            }
        }
        wakeWatch.signal()
    }

    /// Extends this node's leases and records it alive, three times per lease.
    private func leaseLoop() async {
        let period = Duration.milliseconds(Int64(configuration.leaseSeconds * 1000 / 3))
        while !Task.isCancelled {
            do {
                try await database.extendLeases(node: configuration.node, leaseSeconds: configuration.leaseSeconds)
                try await database.heartbeat(node: configuration.node, address: address)
            } catch {
                logger.error("extending leases failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: period)
        }
    }

    /// Other nodes' changes: queued work wakes the workers, a job's change the streams.
    private func listen() async {
        for await change in database.changes() {
            if change.isEmpty { wakeWork.signal() } else { wakeWatch.signal() }
        }
    }

    // MARK: - Live events

    /// Sends new items and the end to every stream, when woken or every poll interval.
    private func watchLoop() async {
        while !Task.isCancelled {
            for key in Array(subscribers.keys) { await poll(key) }
            await wakeWatch.wait(upTo: configuration.pollInterval)
        }
    }

    /// Sends subscriber `key` the items stored since its last, then `done` once its job ended.
    private func poll(_ key: Int) async {
        guard var subscriber = subscribers[key] else { return }
        let id = subscriber.jobID
        do {
            guard let stored = try await database.jobHeader(id: id) else {
                subscriber.continuation.finish()
                subscribers[key] = nil
                return
            }
            let kind = JobKind(rawValue: stored.kind) ?? .backtests
            let work = kind == .optimization ? try await self.work(for: id) : nil
            let total = work?.totalWeight ?? stored.total
            let sentBefore = subscriber.sent.count
            for item in try await database.jobItems(jobID: id, after: subscriber.lastSeq) {
                subscriber.lastSeq = item.seq
                guard subscriber.sent.insert(item.index).inserted else { continue }
                if let work {
                    subscriber.doneWeight += work.weight(of: CollectionOfOne(item.index))
                    subscriber.continuation.yield(.progress(JobProgress(done: subscriber.doneWeight, total: total)))
                } else if let outcome = storage.outcome(kind, item.index, item.item), let batchItem = outcome.item {
                    let progress = JobProgress(done: subscriber.sent.count, total: stored.total)
                    subscriber.continuation.yield(.item(JobItemEvent(progress: progress, item: batchItem)))
                }
            }
            let state = JobState(rawValue: stored.state) ?? .failed
            if state.hasEnded {
                let done = work == nil ? subscriber.sent.count : subscriber.doneWeight
                subscriber.continuation.yield(.done(JobStatus(id: id, status: state, progress: JobProgress(done: done, total: total))))
                subscriber.continuation.finish()
                subscribers[key] = nil
                if !subscribers.values.contains(where: { $0.jobID == id }) { works[id] = nil }
                return
            }
            let now = ContinuousClock.now
            if subscriber.sent.count > sentBefore {
                subscriber.lastSent = now
            } else if now - subscriber.lastSent >= configuration.keepAlive {
                subscriber.continuation.yield(.keepAlive)
                subscriber.lastSent = now
            }
            subscribers[key] = subscriber
        } catch {
            logger.error("reading a job's progress failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    /// Deletes jobs that ended longer ago than the retention.
    func deleteExpiredJobs() async {
        let cutoff = Date().timeIntervalSince1970 - Double(configuration.retention.components.seconds)
        do {
            let removed = try await database.deleteFinishedJobs(endedBefore: cutoff)
            if !removed.isEmpty { logger.info("deleted expired jobs", metadata: ["count": "\(removed.count)"]) }
        } catch {
            logger.error("deleting expired jobs failed", metadata: ["error": "\(error)"])
        }
    }
}
