import BacktestAPI
import Foundation
import Logging
import MarketData
import ServiceLifecycle
import Synchronization
import Testing

@testable import BacktestServer

/// The queue worker when its database misbehaves: a result write that fails is retried until
/// it is stored, a call that never returns is abandoned at the worker's deadline, and a job
/// whose row cannot be read for a moment is not failed. Every job still ends with each item
/// stored exactly once. The storage is a real SQLite file behind ``FaultInjectingQueue``.
@Suite struct QueueWorkerTests {
    /// A worker on a fresh SQLite file whose queue is `queue(database)`, running in a service
    /// group for `body`, then shut down gracefully.
    static func withWorker(
        queue makeQueue: (ServerDatabase) -> any WorkQueue,
        jobs makeJobs: (ServerDatabase) -> any JobStore = { $0 },
        run body: (ServerDatabase, BacktestPipeline) async throws -> Void
    ) async throws {
        let database = try await ServerDatabase.open(path: TestServer.temporaryDatabase(), logger: Logger(label: "test.worker"))
        let pool = WorkerPool(configuration: .init(workers: 1, queueLimit: 64))
        let pipeline = BacktestPipeline(store: CSVBarStore(), pool: pool, cache: nil, metrics: ServerMetrics())
        let jobs = makeJobs(database)
        var configuration = QueueWorker.Configuration()
        configuration.storageDeadline = StorageDeadline(limit: .milliseconds(500))
        configuration.storeRetry = .milliseconds(20) ... .milliseconds(100)
        configuration.leaseSeconds = 30
        let worker = QueueWorker(
            jobs: jobs,
            items: database,
            queue: makeQueue(database),
            cluster: database,
            directory: JobDirectory(jobs: jobs, decoder: JobWorkDecoder(pipeline: pipeline, maxCombinations: 1_000)),
            metrics: ServerMetrics(),
            configuration: configuration,
            logger: Logger(label: "test.worker")
        )
        let group = ServiceGroup(services: [worker], logger: Logger(label: "test.worker"))
        let running = Task { try await group.run() }
        var failure: (any Error)?
        do { try await body(database, pipeline) } catch { failure = error }
        await group.triggerGracefulShutdown()
        let stopped = await running.result
        pool.shutdown()
        await database.close()
        if let failure { throw failure }
        try stopped.get()
    }

    /// Stores a queued batch job of `count` backtests on the bundled GOOG data.
    static func insertJob(_ id: String, count: Int, in database: ServerDatabase, pipeline: BacktestPipeline) async throws {
        let work = BatchJob(requests: Array(repeating: BacktestRequest(ticker: "GOOG", strategy: "sma_cross"), count: count), pipeline: pipeline)
        let job = StoredJob(id: id, kind: .backtests, requests: try work.encoded(), state: .queued, total: count)
        try await database.insertJob(job, finished: [], queued: Array(0..<count))
    }

    /// Waits (up to 60 s) for job `id` to end, and returns its state.
    static func ended(_ id: String, in database: ServerDatabase) async throws -> JobState? {
        for _ in 0..<600 {
            if let state = try await database.jobHeader(id: id)?.state, state.hasEnded { return state }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await database.jobHeader(id: id)?.state
    }

    /// A fault of the queue, how many times, and the job's size.
    struct QueueFault: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var failingCompletes = 0
        var hangingCompletes = 0
        var hangingClaims = 0
        var items = 40

        /// How many of the faults were injected (all of them, once the job is done).
        func injected(_ counts: FaultInjectingQueue.Faults.Counts) -> Int {
            counts.failedCompletes + counts.hungCompletes + counts.hungClaims
        }
    }

    @Test(
        "a queue that fails or hangs: the job still ends done, with every item stored once",
        arguments: [
            QueueFault(testDescription: "result writes failing 3 times are retried", failingCompletes: 3),
            QueueFault(testDescription: "a write that never returns is abandoned at the deadline and written again", hangingCompletes: 1),
            QueueFault(testDescription: "a claim that never returns is abandoned at the deadline", hangingClaims: 1, items: 10),
        ]
    )
    func queueFaults(fault: QueueFault) async throws {
        let faults = FaultInjectingQueue.Faults(
            failingCompletes: fault.failingCompletes,
            hangingCompletes: fault.hangingCompletes,
            hangingClaims: fault.hangingClaims
        )
        let queue = { (database: ServerDatabase) -> any WorkQueue in FaultInjectingQueue(base: database, faults: faults) }
        try await Self.withWorker(queue: queue) { database, pipeline in
            try await Self.insertJob("faulty", count: fault.items, in: database, pipeline: pipeline)
            #expect(try await Self.ended("faulty", in: database) == .done)
            #expect(try await database.finishedIndices(jobID: "faulty") == Array(0..<fault.items))
            #expect(try await !database.hasQueuedItems(jobID: "faulty"))
        }
        #expect(fault.injected(faults.counts) == fault.failingCompletes + fault.hangingCompletes + fault.hangingClaims)
    }

    @Test("a job whose row cannot be read for a moment is not failed: its items run once their leases expire")
    func unreadableForAMoment() async throws {
        let faults = FaultInjectingQueue.Faults()
        // Short leases: the items given back are claimed again soon.
        faults.leaseOverride(seconds: 1)
        let reads = FailingJobReads(failures: 2)
        let queue = { (database: ServerDatabase) -> any WorkQueue in FaultInjectingQueue(base: database, faults: faults) }
        let jobs = { (database: ServerDatabase) -> any JobStore in FailingJobReads.Store(base: database, reads: reads) }
        try await Self.withWorker(queue: queue, jobs: jobs) { database, pipeline in
            try await Self.insertJob("moment", count: 5, in: database, pipeline: pipeline)
            #expect(try await Self.ended("moment", in: database) == .done)
            #expect(try await database.finishedIndices(jobID: "moment") == Array(0..<5))
        }
        #expect(reads.failed == 2)
    }
}

/// A ``WorkQueue`` over a real one, with faults: `complete` failing or never returning, `claim`
/// never returning, a given number of times each. A call that "never returns" waits an hour
/// in a task of its own, ignoring cancellation, as a query stuck on a dead connection would.
final class FaultInjectingQueue: WorkQueue {
    /// The faults still to inject and those injected, shared with the test.
    final class Faults: Sendable {
        struct Counts: Sendable {
            var failingCompletes = 0
            var hangingCompletes = 0
            var hangingClaims = 0
            var failedCompletes = 0
            var hungCompletes = 0
            var hungClaims = 0
            /// A lease length used instead of the worker's (seconds), if set.
            var lease: Double?
        }

        private let state: Mutex<Counts>

        init(failingCompletes: Int = 0, hangingCompletes: Int = 0, hangingClaims: Int = 0) {
            state = Mutex(Counts(failingCompletes: failingCompletes, hangingCompletes: hangingCompletes, hangingClaims: hangingClaims))
        }

        var counts: Counts { state.withLock { $0 } }

        /// Claims from now on hold for `seconds`, whatever the worker asks.
        func leaseOverride(seconds: Double) { state.withLock { $0.lease = seconds } }

        /// Takes one fault of a kind if any is left.
        func take(_ left: WritableKeyPath<Counts, Int>, counting done: WritableKeyPath<Counts, Int>) -> Bool {
            state.withLock { counts in
                guard counts[keyPath: left] > 0 else { return false }
                counts[keyPath: left] -= 1
                counts[keyPath: done] += 1
                return true
            }
        }
    }

    struct InjectedFault: Error {}

    let base: any WorkQueue
    let faults: Faults

    init(base: any WorkQueue, faults: Faults) {
        self.base = base
        self.faults = faults
    }

    /// Waits an hour, and is not cancelled with its caller.
    static func hang() async {
        await Task { try? await Task.sleep(for: .seconds(3_600)) }.value
    }

    var isShared: Bool { base.isShared }

    func enqueue(jobID: String, indices: [Int]) async throws {
        try await base.enqueue(jobID: jobID, indices: indices)
    }

    func claim(node: String, limit: Int, leaseSeconds: Double) async throws -> [QueuedItem] {
        if faults.take(\.hangingClaims, counting: \.hungClaims) { await Self.hang() }
        return try await base.claim(node: node, limit: limit, leaseSeconds: faults.counts.lease ?? leaseSeconds)
    }

    func complete(_ items: [FinishedItem]) async throws -> Set<String> {
        if faults.take(\.failingCompletes, counting: \.failedCompletes) { throw InjectedFault() }
        if faults.take(\.hangingCompletes, counting: \.hungCompletes) { await Self.hang() }
        return try await base.complete(items)
    }

    func extendLeases(node: String, items: [ItemKey], leaseSeconds: Double) async throws {
        try await base.extendLeases(node: node, items: items, leaseSeconds: faults.counts.lease ?? leaseSeconds)
    }

    func releaseClaims(node: String?) async throws { try await base.releaseClaims(node: node) }
    func dequeue(jobID: String) async throws { try await base.dequeue(jobID: jobID) }
    func hasQueuedItems(jobID: String) async throws -> Bool { try await base.hasQueuedItems(jobID: jobID) }
    func changes() -> AsyncStream<String> { base.changes() }
}

/// Reads of whole jobs (``JobStore/job(id:)``) that fail a given number of times, as while the
/// database is away; every other call goes to the real store.
final class FailingJobReads: Sendable {
    private let left: Mutex<(failures: Int, failed: Int)>

    init(failures: Int) {
        left = Mutex((failures, 0))
    }

    /// How many reads failed.
    var failed: Int { left.withLock { $0.failed } }

    /// Whether this read fails.
    func fails() -> Bool {
        left.withLock { state in
            guard state.failures > 0 else { return false }
            state.failures -= 1
            state.failed += 1
            return true
        }
    }

    /// The store whose reads fail.
    struct Store: JobStore {
        let base: any JobStore
        let reads: FailingJobReads

        func insertJob(_ job: StoredJob, finished: [FinishedItem], queued: [Int]) async throws {
            try await base.insertJob(job, finished: finished, queued: queued)
        }

        func job(id: String) async throws -> StoredJob? {
            if reads.fails() { throw FaultInjectingQueue.InjectedFault() }
            return try await base.job(id: id)
        }

        func jobHeader(id: String) async throws -> StoredJobHeader? { try await base.jobHeader(id: id) }
        func finishJob(id: String, state: JobState) async throws -> Bool { try await base.finishJob(id: id, state: state) }
        func deleteJob(id: String) async throws -> Bool { try await base.deleteJob(id: id) }
        func deleteFinishedJobs(endedBefore cutoff: Double) async throws -> [String] { try await base.deleteFinishedJobs(endedBefore: cutoff) }
        func unfinishedJobs() async throws -> [StoredJob] { try await base.unfinishedJobs() }
        func recentJobs(limit: Int) async throws -> [StoredJobRow] { try await base.recentJobs(limit: limit) }
        func jobCounts() async throws -> [JobState: Int] { try await base.jobCounts() }
    }
}
