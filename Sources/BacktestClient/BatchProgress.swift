/// A batch's progress, as the progress callback sees it.
public struct BatchProgress: Sendable, Hashable {
    /// Items finished (succeeded or failed).
    public var done: Int
    /// Items in the batch.
    public var total: Int
    /// Items that failed.
    public var failed: Int
    /// Seconds since the batch started.
    public var elapsed: Double

    /// Creates a progress report.
    public init(done: Int, total: Int, failed: Int, elapsed: Double) {
        self.done = done
        self.total = total
        self.failed = failed
        self.elapsed = elapsed
    }

    /// Finished items per second, or `nil` before anything finished.
    public var rate: Double? {
        guard done > 0, elapsed > 0 else { return nil }
        return Double(done) / elapsed
    }

    /// Estimated seconds until the batch is done (`0` when done; `nil` before anything finished).
    public var eta: Double? {
        if done >= total { return 0 }
        guard let rate else { return nil }
        return Double(total - done) / rate
    }

    /// The fraction done, 0…1.
    public var fraction: Double { total == 0 ? 1 : Double(done) / Double(total) }
}
