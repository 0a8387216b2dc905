import BacktestAPI
import Foundation
import Logging
import ServiceLifecycle

/// Runs jobs' items from the storage's work queue, so that any number of servers sharing one
/// database share the work. What an item is (a backtest, a unit of a search) is the job's
/// ``JobWork``.
///
/// - Every node claims items in batches with a lease (``Configuration/leaseSeconds``) that it
///   extends while it runs them, stores each result (once: a second result of an item is
///   ignored) and takes the item off the queue. A node that dies stops extending its leases;
///   other nodes claim its items when they expire. The node that finishes a job's last item
///   marks it done.
/// - On a queue only this node uses (SQLite), a restart takes back every claim at once.
actor QueueWorker: Service {
    /// How this node takes part.
    struct Configuration: Sendable {
        /// This node's id (a new one per process).
        var node = UUID().uuidString.lowercased()
        /// Where this node listens, for `/v1/cluster`'s list of nodes (known once it listens).
        var address = ""
        /// Items run at once.
        var concurrency = 2
        /// How long a claim holds without being extended. Default 10 s.
        var leaseSeconds = 10.0
        /// The longest wait before looking for work again. Default 0.5 s.
        var pollInterval: Duration = .milliseconds(500)
    }

    /// The result of one item, wrapped (not a tuple) for the task group.
    private struct ItemOutcome: Sendable {
        var jobID: String
        var outcome: JobItemOutcome?
    }

    /// A claimed batch: how many items were claimed, and those to run with their work.
    private struct ClaimedBatch: Sendable {
        var count: Int
        var runnable: [(QueuedItem, any JobWork)]
    }

    let configuration: Configuration
    private(set) var address: String
    let jobs: any JobStore
    let items: any JobItemStore
    let queue: any WorkQueue
    let cluster: any ClusterRegistry
    let directory: JobDirectory
    let metrics: ServerMetrics
    let logger: Logger
    /// The results being written, in order, while the workers go on (see ``store(_:)``).
    private var storing: Task<Void, Never>?
    /// Writes started and not finished.
    private var pendingStores = 0

    init(
        jobs: any JobStore,
        items: any JobItemStore,
        queue: any WorkQueue,
        cluster: any ClusterRegistry,
        directory: JobDirectory,
        metrics: ServerMetrics,
        configuration: Configuration,
        logger: Logger
    ) {
        self.jobs = jobs
        self.items = items
        self.queue = queue
        self.cluster = cluster
        self.directory = directory
        self.metrics = metrics
        self.configuration = configuration
        self.address = configuration.address
        self.logger = logger
    }

    /// Records where this node listens (its port is known only then), for `/v1/cluster`.
    func listening(at address: String) {
        self.address = address
    }

    /// Takes part in the work until graceful shutdown, then gives back this node's claims
    /// (their items run again here after a restart, or on another node at once).
    func run() async throws {
        await prepareQueue()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.workLoop() }
            group.addTask { await self.leaseLoop() }
            group.addTask { await self.listen() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        do {
            try await queue.releaseClaims(node: configuration.node)
        } catch {
            logger.error("giving back claims failed (they expire after the lease)", metadata: ["error": "\(error)"])
        }
    }

    /// Claims batches of items and runs them until cancelled.
    private func workLoop() async {
        let batch = max(64, configuration.concurrency * 16)
        // The next batch, claimed and its jobs looked up while the current one runs (no idle
        // round trip between batches).
        var ahead: Task<ClaimedBatch, Never>?
        while !Task.isCancelled {
            let claimed: ClaimedBatch
            if let ahead { claimed = await ahead.value } else { claimed = await claimBatch(batch) }
            ahead = nil
            if claimed.count == 0 {
                // Until work is queued here or announced by another node, or the poll interval.
                await directory.workQueued.wait(upTo: configuration.pollInterval)
                continue
            }
            if claimed.count == batch { ahead = Task { await self.claimBatch(batch) } }
            await run(claimed.runnable)
        }
        // Every result is written, and the claims made ahead are known, before the worker
        // gives this node's claims back.
        await storing?.value
        _ = await ahead?.value
    }

    /// Claims up to `limit` items and keeps those whose jobs still run, with their work.
    private func claimBatch(_ limit: Int) async -> ClaimedBatch {
        let claimed = await claim(limit)
        return ClaimedBatch(count: claimed.count, runnable: claimed.isEmpty ? [] : await runnable(claimed))
    }

    /// Claims up to `limit` items for this node (none when the storage fails: logged).
    private func claim(_ limit: Int) async -> [QueuedItem] {
        do {
            let claimed = try await queue.claim(node: configuration.node, limit: limit, leaseSeconds: configuration.leaseSeconds)
            if !claimed.isEmpty { metrics.recordClaims(claimed.count, reclaimed: claimed.filter(\.reclaimed).count) }
            return claimed
        } catch {
            logger.error("claiming work failed", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// The claimed items whose jobs still run, with their work; a job cancelled (or failed) on
    /// any node since its items were queued, or deleted, is skipped, and one whose work cannot
    /// be read back fails. Each job is looked up once (a batch is mostly one job's items).
    private func runnable(_ claimed: [QueuedItem]) async -> [(QueuedItem, any JobWork)] {
        var works: [String: any JobWork] = [:]
        for job in Set(claimed.map(\.jobID)) where !directory.hasEnded(job) {
            // Ended or deleted: skipped. One that cannot be looked up now runs (its results are
            // stored only while it runs).
            if (try? await jobs.jobHeader(id: job)).map({ $0?.state.hasEnded ?? true }) == true {
                await directory.markEnded(job)
                continue
            }
            if let work = try? await directory.work(for: job) {
                works[job] = work
            } else {
                logger.error("a queued item's job cannot be read back; failing the job", metadata: ["job": "\(job)"])
                await directory.markEnded(job)
                _ = try? await jobs.finishJob(id: job, state: .failed)
                try? await queue.dequeue(jobID: job)
            }
        }
        return claimed.compactMap { item in works[item.jobID].map { (item, $0) } }
    }

    /// Runs claimed items, `concurrency` at a time, storing results in small batches.
    private func run(_ runnable: [(QueuedItem, any JobWork)]) async {
        let concurrency = configuration.concurrency
        var finished: [ItemOutcome] = []
        // Results are written together: at least 32 (or 8 per item running at once) in one write,
        // or sooner once the oldest of them has waited `storeDelay` (slow items still show).
        let storeEvery = max(32, concurrency * 8)
        var oldest: ContinuousClock.Instant?
        let batchJobs = Set(runnable.map(\.0.jobID))
        await withTaskGroup(of: ItemOutcome.self) { group in
            var iterator = runnable.makeIterator()
            // Starts the next item, skipping jobs that ended (cancelled here or on any node
            // while this batch ran: the rest of their items do not start).
            func addNext(skipping ended: Set<String>) -> Bool {
                while !Task.isCancelled, let (item, work) = iterator.next() {
                    guard !ended.contains(item.jobID) else { continue }
                    group.addTask { ItemOutcome(jobID: item.jobID, outcome: await work.run(item: item.index, requestID: item.jobID)) }
                    return true
                }
                return false
            }
            for _ in 0..<concurrency {
                guard addNext(skipping: directory.ended(among: batchJobs)) else { break }
            }
            while let next = await group.next() {
                finished.append(next)
                let now = ContinuousClock.now
                if finished.count >= storeEvery || now - (oldest ?? now) >= Self.storeDelay {
                    store(finished)
                    finished = []
                    oldest = nil
                } else if oldest == nil {
                    oldest = now
                }
                _ = addNext(skipping: directory.ended(among: batchJobs))
            }
        }
        // Cancelled mid-way (shutdown): what finished is kept; the rest is given back.
        store(finished)
        // The next batch starts while these results are written, unless the writes fall behind.
        if pendingStores > 2 { await storing?.value }
    }

    /// How long a finished item waits at most for others to be written with it (checked as
    /// items finish).
    static let storeDelay: Duration = .milliseconds(100)

    /// Stores finished items, ends the jobs they complete (or fail), and wakes the feeds:
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
        let drained: Set<String>
        do {
            drained = try await queue.complete(done.map { FinishedItem(jobID: $0.0, index: $0.1.index, item: $0.1.bytes) })
        } catch {
            logger.error("storing results failed (the items run again when their lease expires)", metadata: ["error": "\(error)"])
            return
        }
        for job in Set(done.map(\.0)) {
            let failed = done.contains { $0.0 == job && $0.1.failsJob }
            do {
                if failed {
                    await directory.markEnded(job)
                    if try await jobs.finishJob(id: job, state: .failed) { metrics.recordJobFinished(.failed) }
                    try await queue.dequeue(jobID: job)
                } else if drained.contains(job) {
                    if try await jobs.finishJob(id: job, state: .done) { metrics.recordJobFinished(.done) }
                }
            } catch {
                logger.error("ending a job failed", metadata: ["job": "\(job)", "error": "\(error)"])
            }
        }
        directory.jobsChanged.signal()
    }
}
