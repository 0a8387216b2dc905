/// How a batch of requests is cut into calls: contiguous index ranges, each sent as one
/// `POST /v1/backtests/batch` (or `POST /v1/backtests` when it holds one item).
///
/// With no more items than the concurrency, every item is its own call. Otherwise items are
/// packed so that each concurrent slot makes about ``callsPerSlot`` calls, no call holding
/// more than ``maximumItemsPerCall`` items: the whole batch costs few round trips, yet there
/// are enough calls to balance the load across endpoints and report progress. A call holds
/// at least ``minimumItemsPerCall`` items (as the batch allows): the server runs a call's
/// items in parallel on its workers, so splitting a small batch only adds round trips (on
/// loopback, one call of 6 items takes about half the time of 6 single calls).
public struct BatchPlan: Sendable, Hashable {
    /// The number of requests.
    public var count: Int
    /// The number of calls in flight at once.
    public var concurrency: Int
    /// The most items in one call (default and server limit: 1000).
    public var maximumItemsPerCall: Int
    /// Calls per concurrent slot when packing (default 2).
    public var callsPerSlot: Int
    /// The fewest items a packed call holds (default 8).
    public var minimumItemsPerCall: Int

    /// Creates a plan.
    public init(count: Int, concurrency: Int, maximumItemsPerCall: Int = 1_000, callsPerSlot: Int = 2, minimumItemsPerCall: Int = 8) {
        self.count = max(0, count)
        self.concurrency = max(1, concurrency)
        self.maximumItemsPerCall = max(1, maximumItemsPerCall)
        self.callsPerSlot = max(1, callsPerSlot)
        self.minimumItemsPerCall = max(1, minimumItemsPerCall)
    }

    /// The items per call.
    public var itemsPerCall: Int {
        guard count > concurrency else { return 1 }
        let calls = concurrency * callsPerSlot
        return min(maximumItemsPerCall, max(minimumItemsPerCall, (count + calls - 1) / calls))
    }

    /// The calls, as index ranges covering `0..<count` in order, each index exactly once.
    public var calls: [Range<Int>] {
        let size = itemsPerCall
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }
}
