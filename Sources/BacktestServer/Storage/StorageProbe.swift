import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Whether this node can reach its database, asked every ``Configuration/interval``: a ping
/// that fails, or does not answer within ``Configuration/timeout``, marks the database
/// unreachable until one answers again. `/ready` reads it (503 while unreachable, so a load
/// balancer sends work elsewhere), and ``StorageGuardMiddleware`` ends requests that wait on an
/// unreachable database with 503 instead of letting them hang.
final class StorageProbe: Service, Sendable {
    /// How often and how patiently to ask.
    struct Configuration: Sendable {
        /// Time between two pings. Default 1 s.
        var interval: Duration = .seconds(1)
        /// A ping slower than this counts as a failure (a busy pool is slow, not gone). Default 5 s.
        var timeout: Duration = .seconds(5)
    }

    private struct State {
        var reachable = true
        var lastError = ""
    }

    private let cluster: any ClusterRegistry
    private let configuration: Configuration
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(cluster: any ClusterRegistry, configuration: Configuration = .init(), logger: Logger) {
        self.cluster = cluster
        self.configuration = configuration
        self.logger = logger
    }

    /// Whether the last ping answered (true until the first one fails).
    var isReachable: Bool { state.withLockedValue { $0.reachable } }

    /// Why the last ping failed ("" while reachable).
    var lastError: String { state.withLockedValue { $0.lastError } }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    self.record(await self.ping())
                    try? await Task.sleep(for: self.configuration.interval)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// One ping, bounded by the timeout: nil when it answered, else why not.
    private func ping() async -> String? {
        let cluster = self.cluster
        let timeout = configuration.timeout
        return await withTaskGroup(of: PingOutcome.self) { group in
            group.addTask {
                do {
                    try await cluster.ping()
                    return PingOutcome(failure: nil)
                } catch {
                    return PingOutcome(failure: "\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return PingOutcome(failure: "no answer within \(timeout)")
            }
            let first = await group.next() ?? PingOutcome(failure: "no answer")
            group.cancelAll()
            return first.failure
        }
    }

    /// The outcome of a ping, wrapped (not a tuple) for the task group.
    private struct PingOutcome: Sendable {
        var failure: String?
    }

    private func record(_ failure: String?) {
        let changed = state.withLockedValue { s -> Bool in
            let reachable = failure == nil
            defer {
                s.reachable = reachable
                s.lastError = failure ?? ""
            }
            return s.reachable != reachable
        }
        guard changed else { return }
        if let failure {
            logger.error("the database is unreachable; /ready answers 503 until it is back", metadata: ["error": "\(failure)"])
        } else {
            logger.info("the database is reachable again")
        }
    }
}
