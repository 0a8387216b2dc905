import BacktestAPI
import BacktestEngine
import Foundation
import Logging
import ServiceLifecycle

/// Runs asynchronous jobs (`POST /v1/jobs`) and keeps them in the database.
///
/// A job's requests are stored when it is created, every finished item as it finishes,
/// and the final state at the end, so a restart loses no finished result: on start,
/// ``run()`` resumes every job still `queued` or `running` from its missing items.
/// Active jobs live in memory (for progress and live events); finished ones are read
/// back from the database until they ended longer ago than the retention (default 7 days).
actor JobRunner: Service {
    /// One message of a job's live event stream.
    enum Event: Sendable {
        case item(JobItemEvent)
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
        var requests: [BacktestRequest?]
        var results: [BatchItem?]
        var finishedOrder: [Int] = []
        var state: JobState = .queued
        var subscribers: [Int: AsyncStream<Event>.Continuation] = [:]
        var task: Task<Void, Never>?
        var progress: JobProgress { JobProgress(done: finishedOrder.count, total: results.count) }
    }

    /// The result of one item, wrapped (not a tuple) for the task group.
    private struct ItemOutcome: Sendable {
        var item: BatchItem
    }

    private let database: ServerDatabase
    private let pipeline: BacktestPipeline
    private let metrics: ServerMetrics
    private let logger: Logger
    private let concurrency: Int
    private var jobs: [String: ActiveJob] = [:]
    private var nextSubscriber = 0
    private var shuttingDown = false
    private let retention: Duration

    init(
        database: ServerDatabase,
        pipeline: BacktestPipeline,
        metrics: ServerMetrics,
        concurrency: Int,
        retention: Duration = .seconds(7 * 86_400),
        logger: Logger
    ) {
        self.retention = retention
        self.database = database
        self.pipeline = pipeline
        self.metrics = metrics
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    // MARK: - Service

    /// Resumes unfinished jobs, then waits for graceful shutdown, when running jobs are
    /// stopped (their finished items are already stored; they resume on next start).
    func run() async throws {
        await resumeUnfinished()
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

    /// Counts of active jobs by state, for `/metrics`.
    func activeCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for job in jobs.values { counts[job.state.rawValue, default: 0] += 1 }
        return counts
    }

    // MARK: - API

    /// Creates a job from decoded entries (bad entries become failed items at once).
    func create(_ entries: [Result<BacktestRequest, BacktestError>], requestID: String) async throws -> String {
        let id = UUID().uuidString.lowercased()
        let requests: [BacktestRequest?] = entries.map { try? $0.get() }
        let encoded = try JSONCoding.encoder.encode(requests)
        try await database.insertJob(.init(id: id, requests: Array(encoded), state: JobState.queued.rawValue, total: entries.count))
        jobs[id] = ActiveJob(requests: requests, results: Array(repeating: nil, count: entries.count))
        for (index, entry) in entries.enumerated() {
            if case .failure = entry {
                let item = await pipeline.item(index: index, entry, requestID: requestID)
                await record(id, item)
            }
        }
        start(id)
        return id
    }

    /// The status of a job (results once it has ended).
    func status(_ id: String) async throws -> JobStatus {
        if let job = jobs[id] {
            return JobStatus(id: id, status: job.state, progress: job.progress)
        }
        guard let stored = try await database.job(id: id) else { throw Self.notFound(id) }
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
        guard var job = jobs[id] else { return try await status(id) }
        job.state = .cancelled
        job.task?.cancel()
        jobs[id] = job
        try await database.updateJobState(id: id, state: JobState.cancelled.rawValue)
        return end(id, job)
    }

    /// Events of a job: finished items so far, then live ones until the `done` event.
    func feed(_ id: String) async throws -> Feed {
        if var job = jobs[id] {
            var replay: [Event] = []
            for (n, index) in job.finishedOrder.enumerated() {
                if let item = job.results[index] {
                    replay.append(.item(JobItemEvent(progress: JobProgress(done: n + 1, total: job.results.count), item: item)))
                }
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
        let pending: [(Int, BacktestRequest)] = job.requests.enumerated().compactMap { index, request in
            guard job.results[index] == nil, let request else { return nil }
            return (index, request)
        }
        let pipeline = self.pipeline
        let concurrency = self.concurrency
        jobs[id]?.task = Task.detached { [weak self] in
            guard let self else { return }
            await self.markRunning(id)
            await withTaskGroup(of: ItemOutcome.self) { group in
                var iterator = pending.makeIterator()
                func addNext() -> Bool {
                    guard !Task.isCancelled, let (index, request) = iterator.next() else { return false }
                    group.addTask { ItemOutcome(item: await pipeline.item(index: index, .success(request), requestID: id)) }
                    return true
                }
                for _ in 0..<concurrency where !addNext() { break }
                while let outcome = await group.next() {
                    await self.record(id, outcome.item)
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

    private func record(_ id: String, _ item: BatchItem) async {
        guard !shuttingDown, var job = jobs[id], job.state == .queued || job.state == .running,
            job.results.indices.contains(item.index), job.results[item.index] == nil
        else { return }
        job.results[item.index] = item
        job.finishedOrder.append(item.index)
        jobs[id] = job
        // Publish in the same actor turn as the state change, so a subscriber gets each
        // item once: in its replay or live, never both.
        let event = Event.item(JobItemEvent(progress: job.progress, item: item))
        for subscriber in job.subscribers.values { subscriber.yield(event) }
        do {
            try await database.insertJobItem(jobID: id, index: item.index, item: item.jsonBytes())
        } catch {
            logger.error("storing a job item failed", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    private func complete(_ id: String) async {
        guard !shuttingDown, var job = jobs[id], job.state == .running || job.state == .queued else { return }
        job.state = job.finishedOrder.count == job.results.count ? .done : .failed
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
        let unfinished: [ServerDatabase.StoredJob]
        do {
            unfinished = try await database.unfinishedJobs()
        } catch {
            logger.error("cannot read unfinished jobs", metadata: ["error": "\(error)"])
            return
        }
        for stored in unfinished {
            guard let requests = try? JSONCoding.decoder.decode([BacktestRequest?].self, from: Data(stored.requests)),
                requests.count == stored.total
            else {
                try? await database.updateJobState(id: stored.id, state: JobState.failed.rawValue)
                continue
            }
            var job = ActiveJob(requests: requests, results: Array(repeating: nil, count: stored.total))
            for item in (try? await storedItems(stored.id)) ?? [] where job.results.indices.contains(item.index) {
                job.results[item.index] = item
                job.finishedOrder.append(item.index)
            }
            job.state = JobState(rawValue: stored.state) ?? .queued
            jobs[stored.id] = job
            logger.info("resuming job", metadata: ["job": "\(stored.id)", "done": "\(job.finishedOrder.count)", "total": "\(stored.total)"])
            start(stored.id)
        }
    }
}
