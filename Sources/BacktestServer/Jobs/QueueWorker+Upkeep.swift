import BacktestAPI
import Foundation
import Logging

/// The queue's upkeep on this node: what it finds at start, its leases and heartbeat, and
/// other nodes' announcements.
extension QueueWorker {
    /// A node alone on its storage takes back every claim (its own, from before a restart);
    /// every node queues again what an unfinished job lost (a job stored before the queue
    /// existed).
    func prepareQueue() async {
        do {
            if !queue.isShared { try await queue.releaseClaims(node: nil) }
            for job in try await jobs.unfinishedJobs() {
                guard try await !queue.hasQueuedItems(jobID: job.id) else { continue }
                let finished = Set(try await items.finishedIndices(jobID: job.id))
                let missing = (0..<job.total).filter { !finished.contains($0) }
                if missing.isEmpty {
                    _ = try await jobs.finishJob(id: job.id, state: .done)
                } else {
                    try await queue.enqueue(jobID: job.id, indices: missing)
                    logger.info("queued the missing items of a job", metadata: ["job": "\(job.id)", "items": "\(missing.count)"])
                }
            }
        } catch {
            logger.error("cannot prepare the work queue", metadata: ["error": "\(error)"])
        }
    }

    /// Extends the leases of the items this node holds and records it alive, three times per
    /// lease.
    func leaseLoop() async {
        let period = Duration.milliseconds(Int64(configuration.leaseSeconds * 1000 / 3))
        let (queue, cluster, node, lease) = (self.queue, self.cluster, configuration.node, configuration.leaseSeconds)
        while !Task.isCancelled {
            let items = Array(held)
            let address = self.address
            do {
                try await configuration.storageDeadline.run("extending leases") {
                    try await queue.extendLeases(node: node, items: items, leaseSeconds: lease)
                }
                try await configuration.storageDeadline.run("recording this node alive") {
                    try await cluster.heartbeat(node: node, address: address)
                }
            } catch {
                logger.error("extending leases failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: period)
        }
    }

    /// Other nodes' changes: queued work wakes the workers, a job's change the feeds.
    func listen() async {
        for await change in queue.changes() {
            if change.isEmpty { directory.workQueued.signal() } else { directory.jobsChanged.signal() }
        }
    }
}
