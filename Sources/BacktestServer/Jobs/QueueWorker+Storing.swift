import BacktestAPI
import Foundation
import Logging

/// Writing finished items: in order, beside the work, retried until the database takes them.
extension QueueWorker {
    /// How long a finished item waits at most for others to be written with it (checked as
    /// items finish).
    static let storeDelay: Duration = .milliseconds(100)

    /// Stores finished items, ends the jobs they complete (or fail), and wakes the feeds:
    /// after the writes before it, in a task of its own, so that the workers go on meanwhile
    /// (a write is a few round trips to the database) and a shutdown cancelling the work loop
    /// does not also cancel the storing of what already finished.
    func store(_ outcomes: [ItemOutcome]) {
        guard !outcomes.isEmpty else { return }
        let previous = storing
        pendingStores += 1
        storing = Task {
            await previous?.value
            await self.storeNow(outcomes)
            self.pendingStores -= 1
        }
    }

    /// Writes `outcomes` (an item interrupted by shutdown has none: it stays held, and its
    /// claim is given back when the worker stops), then ends the jobs they finish or fail.
    private func storeNow(_ outcomes: [ItemOutcome]) async {
        let done = outcomes.compactMap { o in o.outcome.map { (o.jobID, $0) } }
        guard !done.isEmpty else { return }
        let finished = done.map { FinishedItem(jobID: $0.0, index: $0.1.index, item: $0.1.bytes) }
        let queue = self.queue
        guard let drained = await retrying("storing results", { try await queue.complete(finished) }) else { return }
        held.subtract(finished.lazy.map { ItemKey(jobID: $0.jobID, index: $0.index) })
        for job in Set(done.map(\.0)) {
            if done.contains(where: { $0.0 == job && $0.1.failsJob }) {
                await directory.markEnded(job)
                if await retrying("failing a job", { try await self.jobs.finishJob(id: job, state: .failed) }) == true {
                    metrics.recordJobFinished(.failed)
                }
                _ = await retrying("dequeuing a failed job", { try await queue.dequeue(jobID: job) })
            } else if drained.contains(job) {
                // Its last items: nobody else will see it drained, so this must reach the database.
                if await retrying("ending a job", { try await self.jobs.finishJob(id: job, state: .done) }) == true {
                    metrics.recordJobFinished(.done)
                }
            }
        }
        directory.jobsChanged.signal()
    }

    /// Runs `call` (bounded by ``Configuration/storageDeadline``) until it succeeds, waiting
    /// longer after each failure (``Configuration/storeRetry``); every failure is logged. Once
    /// the worker is stopping, a failure ends the attempts: nil (the items it concerned run
    /// again after a restart, or elsewhere once their leases expire; a job left unended is
    /// ended by the next node to start, see ``prepareQueue()``).
    private func retrying<T: Sendable>(_ what: String, _ call: @escaping @Sendable () async throws -> T) async -> T? {
        var wait = configuration.storeRetry.lowerBound
        var attempt = 1
        while true {
            do {
                let value = try await configuration.storageDeadline.run(what, call)
                if attempt > 1 { logger.info("\(what) succeeded after \(attempt) attempts") }
                return value
            } catch {
                if stopping {
                    logger.error("\(what) failed while stopping; given up", metadata: ["error": "\(error)"])
                    return nil
                }
                logger.error("\(what) failed; trying again", metadata: ["attempt": "\(attempt)", "in": "\(wait)", "error": "\(error)"])
            }
            // Not cancellable: the storing task is not cancelled by shutdown (see `stopping`).
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, configuration.storeRetry.upperBound)
            attempt += 1
        }
    }
}
