import DequeModule
import Foundation
import NIOConcurrencyHelpers

/// A fixed pool of threads that runs CPU-heavy work (backtests) off the event loops, with
/// an admission queue.
///
/// Callers `await` ``run(admission:_:)``; the work waits in a FIFO queue until a worker
/// thread takes it. When ``Configuration/queueLimit`` items already wait, limited
/// submissions fail at once with ``Overloaded`` carrying a retry delay computed from the
/// queue length and the measured service time.
///
/// ```swift
/// let pool = WorkerPool(configuration: .init(workers: 2, queueLimit: 64))
/// let sum = try await pool.run { (1...1000).reduce(0, +) }
/// pool.shutdown()
/// ```
public final class WorkerPool: @unchecked Sendable {
    // All mutable state is guarded by `condition`.
    /// Pool size and queue bound.
    public struct Configuration: Sendable {
        /// Items that may wait when no limit is given: 256. The one definition the pool, the
        /// server's configuration and `backtest serve --queue-limit` use.
        public static let defaultQueueLimit = 256

        /// Worker threads. Default: the number of cores.
        public var workers: Int
        /// Items that may wait before limited submissions are refused. Default
        /// ``defaultQueueLimit`` (256).
        public var queueLimit: Int
        /// Creates a configuration.
        public init(workers: Int = ProcessInfo.processInfo.activeProcessorCount, queueLimit: Int = Configuration.defaultQueueLimit) {
            self.workers = max(1, workers)
            self.queueLimit = max(0, queueLimit)
        }
    }

    /// Whether a submission respects the queue limit.
    public enum Admission: Sendable {
        /// Refuse with ``Overloaded`` when the queue is full (interactive requests).
        case limited
        /// Always queue (items of a batch or job already admitted as a whole).
        case always
    }

    /// The queue was full; retry after `retryAfterSeconds`.
    public struct Overloaded: Error, Sendable {
        /// Suggested delay before retrying, in whole seconds (at least 1).
        public var retryAfterSeconds: Int
        /// Items waiting when the submission was refused.
        public var queued: Int
    }

    /// The pool was shut down before the work ran.
    public struct ShutDown: Error, Sendable {}

    /// A point-in-time view of the pool.
    public struct Snapshot: Sendable {
        /// Worker threads.
        public var workers: Int
        /// Items running now.
        public var inFlight: Int
        /// Items waiting for a worker.
        public var queued: Int
        /// Exponentially weighted mean service time, in seconds.
        public var meanServiceSeconds: Double
    }

    /// The key under which a worker thread's `threadDictionary` holds its index.
    public static let workerIndexKey = "backtest.worker-index"

    /// The configuration in use.
    public let configuration: Configuration
    private var state = State()
    private let condition = NSCondition()
    private let onServiceTime: @Sendable (Double) -> Void

    /// Creates the pool and starts its threads. `onServiceTime` is called on the worker
    /// thread with each item's running time in seconds (for metrics).
    public init(configuration: Configuration, onServiceTime: @escaping @Sendable (Double) -> Void = { _ in }) {
        self.configuration = configuration
        self.onServiceTime = onServiceTime
        for index in 0..<configuration.workers {
            let thread = Thread { [self] in
                // Named from inside: Linux applies a name set before start to no thread.
                Thread.current.name = "bt-worker-\(index)"
                Thread.current.threadDictionary[WorkerPool.workerIndexKey] = index
                self.workerLoop()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// The current load.
    public var snapshot: Snapshot {
        condition.lock()
        defer { condition.unlock() }
        return Snapshot(
            workers: configuration.workers,
            inFlight: state.inFlight,
            queued: state.queue.count + state.reserved,
            meanServiceSeconds: state.meanService
        )
    }

    /// Whether a limited submission would be refused now.
    public func isOverloaded() -> Overloaded? {
        condition.lock()
        defer { condition.unlock() }
        return isFull(state) ? overloaded(state) : nil
    }

    /// Admits the `count` items of a batch as a whole, or refuses it like a limited
    /// submission when the waiting work is at ``Configuration/queueLimit``. The items wait
    /// as *reserved* (counted as queued) until the batch submits each one
    /// (``BatchReservation/take()``) or ends (``BatchReservation/release()``), so many
    /// large batches cannot hide behind a short queue: a batch is admitted while less than
    /// `queueLimit` items wait, and one batch larger than the limit is admitted when the
    /// pool has nothing waiting.
    public func admit(batchOf count: Int) throws(Overloaded) -> BatchReservation {
        condition.lock()
        defer { condition.unlock() }
        if isFull(state) { throw overloaded(state) }
        state.reserved += count
        return BatchReservation(pool: self, count: count)
    }

    /// Items of an admitted batch not submitted yet; see ``WorkerPool/admit(batchOf:)``.
    public final class BatchReservation: Sendable {
        private let pool: WorkerPool
        private let remaining: NIOLockedValueBox<Int>

        fileprivate init(pool: WorkerPool, count: Int) {
            self.pool = pool
            remaining = NIOLockedValueBox(count)
        }

        /// One item is being submitted: it now waits in the queue, not in the reservation.
        public func take() {
            let taken = remaining.withLockedValue { count -> Bool in
                guard count > 0 else { return false }
                count -= 1
                return true
            }
            if taken { pool.unreserve(1) }
        }

        /// The batch ended: whatever it did not submit is no longer waiting.
        public func release() {
            let left = remaining.withLockedValue { count -> Int in
                defer { count = 0 }
                return count
            }
            if left > 0 { pool.unreserve(left) }
        }

        deinit { release() }
    }

    private func unreserve(_ count: Int) {
        condition.lock()
        state.reserved -= count
        condition.unlock()
    }

    /// Runs `work` on a worker thread and returns its result.
    ///
    /// - Throws: ``Overloaded`` (limited admission, full queue), `CancellationError` if the
    ///   calling task was cancelled before a worker picked the item, ``ShutDown``.
    /// - Parameter measured: whether the run counts towards the measured backtest service
    ///   time (the `Retry-After` estimate and the latency metric); `false` for other work,
    ///   such as an upload's import.
    public func run<T: Sendable>(
        admission: Admission = .limited,
        measured: Bool = true,
        _ work: @escaping @Sendable () -> T
    ) async throws -> T {
        let item = WorkItem()
        item.measured = measured
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<T, any Error>) in
                let body: (_ cancelled: (any Error)?) -> Void = { cancelled in
                    if let cancelled {
                        continuation.resume(throwing: cancelled)
                    } else {
                        continuation.resume(returning: work())
                    }
                }
                if let refusal = enqueue(item, body: body, admission: admission) {
                    continuation.resume(throwing: refusal)
                }
            }
        } onCancel: {
            cancel(item)
        }
    }

    /// Stops the threads once the queue is empty; queued work still runs, later
    /// submissions fail with ``ShutDown``.
    public func shutdown() {
        condition.lock()
        state.stopped = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: - Internals

    /// One queued item; `body` is touched only under the condition's lock, or by the
    /// worker that dequeued it.
    private final class WorkItem: @unchecked Sendable {
        var body: ((_ cancelled: (any Error)?) -> Void)?
        var cancelled = false
        var dequeued = false
        /// Set before the item is queued, read by the worker that runs it.
        var measured = true
    }

    private struct State {
        var queue = Deque<WorkItem>()
        /// Items of admitted batches that have not been submitted yet.
        var reserved = 0
        var inFlight = 0
        var stopped = false
        var meanService = 0.000_05
    }

    /// Whether one more item would wait behind `queueLimit` others (an idle worker takes
    /// an item at once, so it does not count as waiting).
    private func isFull(_ s: State) -> Bool {
        let idle = configuration.workers - s.inFlight
        return s.queue.count + s.reserved - max(0, idle) >= configuration.queueLimit
    }

    private func overloaded(_ s: State) -> Overloaded {
        let waiting = s.queue.count + s.reserved
        let wait = Double(waiting + 1) * s.meanService / Double(configuration.workers)
        return Overloaded(retryAfterSeconds: max(1, Int(wait.rounded(.up))), queued: waiting)
    }

    private func enqueue(_ item: WorkItem, body: @escaping ((any Error)?) -> Void, admission: Admission) -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        if state.stopped { return ShutDown() }
        if item.cancelled { return CancellationError() }
        if admission == .limited && isFull(state) { return overloaded(state) }
        item.body = body
        state.queue.append(item)
        condition.signal()
        return nil
    }

    private func cancel(_ item: WorkItem) {
        condition.lock()
        item.cancelled = true
        // A queued item is answered here; the worker will skip it.
        let body: ((any Error)?) -> Void
        if !item.dequeued, let b = item.body {
            body = b
            item.body = nil
        } else {
            condition.unlock()
            return
        }
        if let index = state.queue.firstIndex(where: { $0 === item }) { state.queue.remove(at: index) }
        condition.unlock()
        body(CancellationError())
    }

    private func workerLoop() {
        while true {
            condition.lock()
            var next: WorkItem?
            while next == nil {
                if let item = state.queue.popFirst() {
                    state.inFlight += 1
                    next = item
                } else if state.stopped {
                    condition.unlock()
                    return
                } else {
                    condition.wait()
                }
            }
            guard let item = next else {
                condition.unlock()
                return
            }
            item.dequeued = true
            let body = item.body
            let measured = item.measured
            item.body = nil
            condition.unlock()

            let started = DispatchTime.now().uptimeNanoseconds
            body?(nil)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds &- started) / 1e9
            if measured { onServiceTime(seconds) }
            condition.lock()
            state.inFlight -= 1
            if measured { state.meanService = state.meanService * 0.95 + seconds * 0.05 }
            condition.unlock()
        }
    }
}
