import Foundation
import Logging
import ServiceLifecycle

/// Deletes jobs that ended longer ago than the retention, at start and then every
/// ``Configuration/interval``, until graceful shutdown.
struct JobRetention: Service {
    /// How long ended jobs are kept.
    struct Configuration: Sendable {
        /// Ended jobs are deleted this long after they ended. Default 7 days.
        var retention: Duration = .seconds(7 * 86_400)
        /// How often to look for expired jobs. Default 1 hour.
        var interval: Duration = .seconds(3_600)
    }

    let jobs: any JobStore
    var configuration = Configuration()
    /// The time now, in seconds since 1970 (injected by tests).
    var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }
    let logger: Logger

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    await deleteExpiredJobs()
                    try? await Task.sleep(for: configuration.interval)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Deletes the jobs that ended before now minus the retention; returns their ids.
    @discardableResult
    func deleteExpiredJobs() async -> [String] {
        let cutoff = now() - configuration.retention.seconds
        do {
            let removed = try await jobs.deleteFinishedJobs(endedBefore: cutoff)
            if !removed.isEmpty { logger.info("deleted expired jobs", metadata: ["count": "\(removed.count)"]) }
            return removed
        } catch {
            logger.error("deleting expired jobs failed", metadata: ["error": "\(error)"])
            return []
        }
    }
}
