/// Bounds a database call by time: the call's own result if it comes within ``limit``, else
/// ``StorageError`` `timed_out`. The call is then cancelled and left to end on its own (a
/// query that ignores cancellation cannot hold its caller); what it stored stays stored, so
/// the calls bounded this way are ones that may run again.
///
/// The queue worker bounds its calls this way: a call that never returns would otherwise stop
/// the node's work for good while the node still looks alive.
///
/// ```swift
/// let claimed = try await StorageDeadline(limit: .seconds(30)).run("claiming work") {
///     try await queue.claim(node: node, limit: 64, leaseSeconds: 10)
/// }
/// ```
struct StorageDeadline: Sendable {
    /// How long a call may take. Default 30 s: far above a healthy database's milliseconds,
    /// and well below the time an operator would notice a stalled node.
    var limit: Duration = .seconds(30)
    /// What ends the calls past ``limit``. Default: the process's ``StorageWatchdog/shared``.
    var watchdog = StorageWatchdog.shared

    /// Runs `call` (described by `what` in the error), bounded by ``limit`` (ended by the
    /// ``watchdog`` at most one of its ticks after it). A caller that is
    /// cancelled cancels the call, and still waits at most until then.
    ///
    /// - Throws: what `call` throws, or ``StorageError`` `timed_out` naming `what` and the limit.
    func run<T: Sendable>(_ what: String, _ call: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = FirstOutcome<T>()
        let work = Task {
            do { outcome.give(.success(try await call())) } catch { outcome.give(.failure(error)) }
        }
        let limit = self.limit
        let watchdog = self.watchdog
        let watch = watchdog.watch(until: .now + limit) {
            // The caller first: cancelling the call runs its cancellation handlers right here.
            outcome.give(.failure(StorageError.timedOut(what, after: limit)))
            work.cancel()
        }
        defer { watchdog.unwatch(watch) }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }
}
