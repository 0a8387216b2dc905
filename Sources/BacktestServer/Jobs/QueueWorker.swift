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
/// - A node extends only the leases of the items it holds (``held``): running, waiting to run,
///   or being written. A result write that fails is retried until it succeeds (the database
///   was away), and every database call is bounded by ``Configuration/storageDeadline``, so a
///   call that never returns cannot stop the node's work while its leases keep others away.
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
        /// How long each of the worker's database calls may take (see ``StorageDeadline``).
        var storageDeadline = StorageDeadline()
        /// The waits between attempts at a result write that failed: doubling from the first
        /// to the last. Default 0.1 s to 5 s.
        var storeRetry: ClosedRange<Duration> = .milliseconds(100) ... .seconds(5)
    }

    /// The result of one item, wrapped (not a tuple) for the task group.
    struct ItemOutcome: Sendable {
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
    var storing: Task<Void, Never>?
    /// Writes started and not finished.
    var pendingStores = 0
    /// The items this node holds: claimed and not yet stored (running, waiting to run, or
    /// being written). Only their leases are extended: an item this node no longer holds is
    /// free for any node once its lease expires.
    var held: Set<ItemKey> = []
    /// Graceful shutdown has begun: a failed write is no longer retried (its items run again
    /// after a restart, or on another node once their leases expire).
    var stopping = false

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
            stopping = true
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
        let (queue, node, lease) = (self.queue, configuration.node, configuration.leaseSeconds)
        do {
            let claimed = try await configuration.storageDeadline.run("claiming work") {
                try await queue.claim(node: node, limit: limit, leaseSeconds: lease)
            }
            held.formUnion(claimed.lazy.map(\.key))
            if !claimed.isEmpty { metrics.recordClaims(claimed.count, reclaimed: claimed.filter(\.reclaimed).count) }
            return claimed
        } catch {
            // Cancelled: the worker is stopping, nothing went wrong.
            if !Task.isCancelled { logger.error("claiming work failed", metadata: ["error": "\(error)"]) }
            return []
        }
    }

    /// The claimed items whose jobs still run, with their work; a job cancelled (or failed) on
    /// any node since its items were queued, or deleted, is skipped, and one whose work cannot
    /// be decoded fails. The items of a job that cannot be read at the moment (the database is
    /// away) are given back: no longer held, they run once their leases expire. Each job is
    /// looked up once (a batch is mostly one job's items).
    private func runnable(_ claimed: [QueuedItem]) async -> [(QueuedItem, any JobWork)] {
        var works: [String: any JobWork] = [:]
        let (jobs, directory, deadline) = (self.jobs, self.directory, configuration.storageDeadline)
        for job in Set(claimed.map(\.jobID)) where !directory.hasEnded(job) {
            // Ended or deleted: skipped. One whose header cannot be read now runs if its work
            // is known (its results are stored only while it runs).
            let header: StoredJobHeader??
            do { header = .some(try await deadline.run("looking up a job") { try await jobs.jobHeader(id: job) }) } catch { header = nil }
            if case .some(let stored) = header, stored?.state.hasEnded ?? true {
                await directory.markEnded(job)
                continue
            }
            do {
                works[job] = try await deadline.run("reading a job's work") { try await directory.work(for: job) }
            } catch let error as UnreadableWork {
                logger.error("a queued item's job cannot be read back; failing the job", metadata: ["job": "\(job)", "error": "\(error.reason)"])
                await directory.markEnded(job)
                _ = try? await deadline.run("failing a job") { try await jobs.finishJob(id: job, state: .failed) }
                _ = try? await deadline.run("dequeuing a job") { try await self.queue.dequeue(jobID: job) }
            } catch {
                logger.warning(
                    "a claimed job cannot be read now; its items run when their leases expire",
                    metadata: ["job": "\(job)", "error": "\(error)"]
                )
            }
        }
        held.subtract(claimed.lazy.filter { works[$0.jobID] == nil }.map(\.key))
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
                    guard !ended.contains(item.jobID) else {
                        held.remove(item.key)
                        continue
                    }
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
}
