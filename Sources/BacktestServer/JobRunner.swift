import BacktestAPI
import BacktestEngine
import Foundation
import Logging
import ServiceLifecycle

/// Runs asynchronous jobs (`POST /v1/jobs`, `POST /v1/optimizations`) and keeps them in the
/// database. What an item is (a backtest, a unit of a search) is the job's ``JobWork``.
///
/// A job's work is stored when it is created, every finished item as it finishes,
/// and the final state at the end, so a restart loses no finished result: on start,
/// ``run()`` resumes every job still `queued` or `running` from its missing items.
/// Active jobs live in memory (for progress and live events); finished ones are read
/// back from the database until they ended longer ago than the retention (default 7 days).
actor JobRunner: Service {
    /// One message of a job's live event stream.
    enum Event: Sendable {
        /// A batch's backtest finished.
        case item(JobItemEvent)
        /// A unit of a search finished (the progress so far).
        case progress(JobProgress)
        /// The job ended.
        case done(JobStatus)
    }

    /// What a subscriber gets: events so far, then live ones (nil once the job ended).
    struct Feed: Sendable {
        var replay: [Event]
        var live: AsyncStream<Event>?
    }

    /// A job not found (404).
    static func notFound(_ id: String) -> Problem {
        Problem(code: .unknownJob, detail: "no job with id '\(id.prefix(64))'", field: "id")
    }

    private struct ActiveJob {
        var work: any JobWork
        /// Which items have finished (their outcomes are in the database).
        var finished: [Bool]
        /// A batch's finished items, for replays.
        var items: [Int: BatchItem] = [:]
        var finishedOrder: [Int] = []
        var doneWeight = 0
        var totalWeight: Int
        /// An item failed the job.
        var failed = false
        var state: JobState = .queued
        var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
        var task: Task<Void, Never>?
        var progress: JobProgress { JobProgress(done: doneWeight, total: totalWeight) }

        init(work: any JobWork) {
            self.work = work
            finished = Array(repeating: false, count: work.itemCount)
            totalWeight = (0..<work.itemCount).reduce(0) { $0 + work.weight(of: $1) }
        }

        mutating func add(_ outcome: JobItemOutcome) {
            finished[outcome.index] = true
            finishedOrder.append(outcome.index)
            doneWeight += work.weight(of: outcome.index)
            if let item = outcome.item { items[outcome.index] = item }
            if outcome.failsJob { failed = true }
        }
    }

    /// The outcome of one item, wrapped (not a tuple) for the task group.
    private struct ItemOutcome: Sendable {
        var outcome: JobItemOutcome
    }

    /// Rebuilds a stored job's work (on a restart), and reads back a stored item.
    struct Storage: Sendable {
        /// The work of a stored job.
        var work: @Sendable (JobKind, [UInt8]) async throws -> any JobWork
        /// The outcome of a stored item of a job of this kind.
        var outcome: @Sendable (JobKind, Int, [UInt8]) -> JobItemOutcome?
    }

    private let database: any ServerStorage
    private let storage: Storage
    private let metrics: ServerMetrics
    private let logger: Logger
    private let concurrency: Int
    private var jobs: [String: ActiveJob] = [:]
    private var nextSubscriber = 0
    private var shuttingDown = false
    /// Unfinished jobs are back in memory (until then, a stored job's state is not yet
    /// known: it may be about to resume).
    private var resumed = false
    private var resumeWaiters: [CheckedContinuation<Void, Never>] = []
    private let retention: Duration

    init(
        database: any ServerStorage,
        storage: Storage,
        metrics: ServerMetrics,
        concurrency: Int,
        retention: Duration = .seconds(7 * 86_400),
        logger: Logger
    ) {
        self.retention = retention
        self.database = database
        self.storage = storage
        self.metrics = metrics
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    // MARK: - Service

    /// Resumes unfinished jobs, then waits for graceful shutdown, when running jobs are
    /// stopped (their finished items are already stored; they resume on next start).
    func run() async throws {
        await resumeUnfinished()
        resumed = true
        for waiter in resumeWaiters { waiter.resume() }
        resumeWaiters = []
        // Finished jobs past the retention are deleted now and every hour.
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    await self.deleteExpiredJobs()
                    try? await Task.sleep(for: .seconds(3_600))
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        shuttingDown = true
        let tasks = jobs.values.compactMap(\.task)
        for task in tasks { task.cancel() }
        // Live event streams end without a `done` event: the job is not done, it resumes
        // on the next start.
        for job in jobs.values {
            for subscriber in job.subscribers.values { subscriber.finish() }
        }
        for task in tasks { await task.value }
    }

    /// Waits until the unfinished jobs of the last run are back in memory, so a question
    /// about one of them is never answered from its stored state while it resumes.
    private func waitResumed() async {
        if resumed { return }
        await withCheckedContinuation { resumeWaiters.append($0) }
    }

    /// Counts of active jobs by state, for `/metrics`.
    func activeCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for job in jobs.values { counts[job.state.rawValue, default: 0] += 1 }
        return counts
    }

    // MARK: - API

    /// Creates a job; `initial` are items already decided (a batch's entries that did not
    /// decode fail at once).
    func create(_ work: any JobWork, initial: [JobItemOutcome] = []) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await database.insertJob(
            .init(id: id, kind: work.kind.rawValue, requests: try work.encoded(), state: JobState.queued.rawValue, total: work.itemCount)
        )
        jobs[id] = ActiveJob(work: work)
        for outcome in initial { await record(id, outcome) }
        start(id)
        return id
    }

    /// What is stored of a job: its kind, its work, its state, its finished items'
    /// outcomes, and its progress while it is active.
    struct Snapshot: Sendable {
        var kind: JobKind
        var work: [UInt8]
        var state: JobState
        var total: Int
        var items: [(index: Int, bytes: [UInt8])]
        /// The progress by weight, while the job is active (a stored job's work knows it).
        var activeProgress: JobProgress?
    }

    /// The stored state of a job (for ``JobWork`` types that assemble a result from their
    /// items, such as a search).
    func snapshot(_ id: String) async throws -> Snapshot {
        await waitResumed()
        guard let stored = try await database.job(id: id) else { throw Self.notFound(id) }
        let items = try await database.jobItems(jobID: id)
        let job = jobs[id]
        return Snapshot(
            kind: JobKind(rawValue: stored.kind) ?? .backtests,
            work: stored.requests,
            state: job?.state ?? JobState(rawValue: stored.state) ?? .failed,
            total: stored.total,
            items: items.map { (index: $0.index, bytes: $0.item) },
            activeProgress: job?.progress
        )
    }

    /// The `limit` most recent jobs, newest first (progress in items: a search's units).
    func recent(limit: Int) async throws -> [JobSummary] {
        await waitResumed()
        return try await database.recentJobs(limit: limit).map { row in
            let active = jobs[row.id]
            let done = active.map { $0.finishedOrder.count } ?? row.finished
            return JobSummary(
                id: row.id,
                kind: row.kind,
                status: active?.state ?? JobState(rawValue: row.state) ?? .failed,
                progress: JobProgress(done: done, total: row.total),
                createdAt: Timestamp.format(Int64(row.createdAt)) + "Z"
            )
        }
    }

    /// The status of a job (results once it has ended).
    func status(_ id: String) async throws -> JobStatus {
        await waitResumed()
        if let job = jobs[id] {
            return JobStatus(id: id, status: job.state, progress: job.progress)
        }
        guard let stored = try await database.job(id: id) else { throw Self.notFound(id) }
        guard stored.kind == JobKind.backtests.rawValue else {
            // A search's units: GET /v1/optimizations/{id} counts its combinations.
            let count = try await database.jobItems(jobID: id).count
            return JobStatus(id: id, status: JobState(rawValue: stored.state) ?? .failed, progress: JobProgress(done: count, total: stored.total))
        }
        let items = try await storedItems(id)
        return JobStatus(
            id: id,
            status: JobState(rawValue: stored.state) ?? .failed,
            progress: JobProgress(done: items.count, total: stored.total),
            results: items
        )
    }

    /// Cancels a job; an ended job is returned unchanged.
    func cancel(_ id: String) async throws -> JobStatus {
        await waitResumed()
        guard var job = jobs[id] else { return try await status(id) }
        job.state = .cancelled
        job.task?.cancel()
        jobs[id] = job
        try await database.updateJobState(id: id, state: JobState.cancelled.rawValue)
        return end(id, job)
    }

    /// Events of a job: finished items so far, then live ones until the `done` event.
    func feed(_ id: String) async throws -> Feed {
        await waitResumed()
        if var job = jobs[id] {
            var replay: [Event] = []
            if job.work.kind == .backtests {
                for (n, index) in job.finishedOrder.enumerated() {
                    if let item = job.items[index] {
                        replay.append(.item(JobItemEvent(progress: JobProgress(done: n + 1, total: job.finished.count), item: item)))
                    }
                }
            } else if job.doneWeight > 0 {
                replay.append(.progress(job.progress))
            }
            let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
            let key = nextSubscriber
            nextSubscriber += 1
            continuation.onTermination = { _ in Task { await self.unsubscribe(id, key) } }
            job.subscribers[key] = continuation
            jobs[id] = job
            return Feed(replay: replay, live: stream)
        }
        let status = try await status(id)
        let items = status.results ?? []
        var replay: [Event] = items.enumerated().map { n, item in
            .item(JobItemEvent(progress: JobProgress(done: n + 1, total: status.progress.total), item: item))
        }
        replay.append(.done(JobStatus(id: id, status: status.status, progress: status.progress)))
        return Feed(replay: replay, live: nil)
    }

    // MARK: - Running

    private func unsubscribe(_ id: String, _ key: Int) {
        jobs[id]?.subscribers[key] = nil
    }

    private func start(_ id: String) {
        guard let job = jobs[id] else { return }
        let pending = job.finished.indices.filter { !job.finished[$0] }
        let work = job.work
        let concurrency = self.concurrency
        jobs[id]?.task = Task.detached { [weak self] in
            guard let self else { return }
            await self.markRunning(id)
            await withTaskGroup(of: ItemOutcome.self) { group in
                var iterator = pending.makeIterator()
                func addNext() -> Bool {
                    guard !Task.isCancelled, let index = iterator.next() else { return false }
                    group.addTask { ItemOutcome(outcome: await work.run(item: index, requestID: id)) }
                    return true
                }
                for _ in 0..<concurrency where !addNext() { break }
                while let next = await group.next() {
                    await self.record(id, next.outcome)
                    // A unit of a search that failed fails the search: stop the rest.
                    if next.outcome.failsJob { group.cancelAll() }
                    _ = addNext()
                }
            }
            await self.complete(id)
        }
    }

    private func markRunning(_ id: String) async {
        guard jobs[id]?.state == .queued else { return }
        jobs[id]?.state = .running
        try? await database.updateJobState(id: id, state: JobState.running.rawValue)
    }

    private func record(_ id: String, _ outcome: JobItemOutcome) async {
        guard !shuttingDown, var job = jobs[id], job.state == .queued || job.state == .running,
            job.finished.indices.contains(outcome.index), !job.finished[outcome.index]
        else { return }
        job.add(outcome)
        jobs[id] = job
        // Publish in the same actor turn as the state change, so a subscriber gets each
        // item once: in its replay or live, never both.
        let event = outcome.item.map { Event.item(JobItemEvent(progress: job.progress, item: $0)) } ?? .progress(job.progress)
        for subscriber in job.subscribers.values { subscriber.yield(event) }
        do {
            try await database.insertJobItem(jobID: id, index: outcome.index, item: outcome.bytes)
        } catch {
            logger.error("storing a job item failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    private func complete(_ id: String) async {
        guard !shuttingDown, var job = jobs[id], job.state == .running || job.state == .queued else { return }
        job.state = job.finishedOrder.count == job.finished.count && !job.failed ? .done : .failed
        jobs[id] = job
        do {
            try await database.updateJobState(id: id, state: job.state.rawValue)
        } catch {
            logger.error("storing a job state failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
        _ = end(id, job)
    }

    /// Sends the final event, closes the streams and forgets the job (the database has it).
    private func end(_ id: String, _ job: ActiveJob) -> JobStatus {
        // `job` is the caller's copy from before it stored the state; a stream that
        // subscribed during that wait is only in the current entry, and must get `done` too.
        let subscribers = (jobs[id] ?? job).subscribers
        let status = JobStatus(id: id, status: job.state, progress: job.progress)
        for subscriber in subscribers.values {
            subscriber.yield(.done(status))
            subscriber.finish()
        }
        metrics.recordJobFinished(job.state)
        jobs[id] = nil
        return status
    }

    private func storedItems(_ id: String) async throws -> [BatchItem] {
        try await database.jobItems(jobID: id).compactMap { row in try? JSONCoding.decoder.decode(BatchItem.self, from: Data(row.item)) }
    }

    /// Deletes jobs that ended longer ago than the retention.
    func deleteExpiredJobs() async {
        let cutoff = Date().timeIntervalSince1970 - Double(retention.components.seconds)
        do {
            let removed = try await database.deleteFinishedJobs(endedBefore: cutoff)
            if !removed.isEmpty {
                logger.info("deleted expired jobs", metadata: ["count": "\(removed.count)"])
            }
        } catch {
            logger.error("deleting expired jobs failed", metadata: ["error": "\(error)"])
        }
    }

    private func resumeUnfinished() async {
        let unfinished: [StoredJob]
        do {
            unfinished = try await database.unfinishedJobs()
        } catch {
            logger.error("cannot read unfinished jobs", metadata: ["error": "\(error)"])
            return
        }
        for stored in unfinished {
            let kind = JobKind(rawValue: stored.kind) ?? .backtests
            guard let work = try? await storage.work(kind, stored.requests), work.itemCount == stored.total else {
                logger.error("cannot resume job: its work does not read back", metadata: ["job": "\(stored.id)"])
                try? await database.updateJobState(id: stored.id, state: JobState.failed.rawValue)
                continue
            }
            var job = ActiveJob(work: work)
            for row in (try? await database.jobItems(jobID: stored.id)) ?? [] where job.finished.indices.contains(row.index) {
                if let outcome = storage.outcome(kind, row.index, row.item) { job.add(outcome) }
            }
            job.state = JobState(rawValue: stored.state) ?? .queued
            jobs[stored.id] = job
            logger.info(
                "resuming job",
                metadata: ["job": "\(stored.id)", "done": "\(job.finishedOrder.count)", "total": "\(stored.total)", "kind": "\(kind.rawValue)"]
            )
            start(stored.id)
        }
    }
}
