import BacktestAPI

/// Bounds a database call by the database's reachability: the call's own result while the
/// database answers, or 503 `database_unavailable` within ``grace`` of the ``StorageProbe``
/// finding it unreachable (a query waiting for a connection to a stopped database would
/// otherwise wait for as long as the pool keeps retrying). The call itself is cancelled and
/// left to end on its own; what it had stored stays stored.
///
/// ```swift
/// let header = try await storageGuard.run { try await jobs.jobHeader(id: id) }
/// ```
struct StorageGuard: Sendable {
    /// Nil: calls run unbounded (tests that build parts without a probe).
    let probe: StorageProbe?
    /// How long a call may go on after the database was found unreachable. Default 2 s.
    var grace: Duration = .seconds(2)
    /// How often a running call looks at the probe. Default 0.25 s.
    var checkInterval: Duration = .milliseconds(250)

    /// Runs `call`, bounded as described above.
    func run<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let probe else { return try await call() }
        guard probe.isReachable else { throw Self.unavailable(probe) }
        let outcome = FirstOutcome<T>()
        let work = Task {
            do { outcome.give(.success(try await call())) } catch { outcome.give(.failure(error)) }
        }
        let (grace, interval) = (self.grace, checkInterval)
        let watcher = Task {
            while probe.isReachable { try await Task.sleep(for: interval) }
            try await Task.sleep(for: grace)
            work.cancel()
            outcome.give(.failure(Self.unavailable(probe)))
        }
        defer { watcher.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
            watcher.cancel()
        }
    }

    /// The 503 while the database is unreachable.
    static func unavailable(_ probe: StorageProbe) -> Problem {
        let reason = probe.lastError.isEmpty ? "" : " (\(probe.lastError.prefix(200)))"
        return Problem(code: .databaseUnavailable, detail: "the server cannot reach its database\(reason); retry shortly")
    }
}
