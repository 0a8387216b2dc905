import Synchronization

/// A flag that a task's cancellation handler raises and work on a worker thread checks
/// between steps (a worker thread sees no task cancellation).
///
/// ```swift
/// let stop = CancellationFlag()
/// try await withTaskCancellationHandler {
///     try await pool.run { stop.isRaised ? nil : step() }
/// } onCancel: {
///     stop.raise()
/// }
/// ```
final class CancellationFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Marks the work as cancelled.
    func raise() {
        raised.store(true, ordering: .relaxed)
    }

    /// Whether ``raise()`` was called.
    var isRaised: Bool {
        raised.load(ordering: .relaxed)
    }

    /// Throws `CancellationError` once ``raise()`` was called.
    func check() throws(CancellationError) {
        if isRaised { throw CancellationError() }
    }
}
