/// Indicators shared by the runs of a search on the same bars: each distinct window is
/// computed once and reused by every run that asks for it (an optimisation over `fast` and
/// `slow` computes 30 moving averages instead of 350).
///
/// Owned by one task at a time: a search hands each worker its own cache (it is not
/// thread-safe; `@unchecked Sendable` only so it can be handed over). Bounded: beyond
/// ``capacity`` entries it starts again empty.
///
/// ```swift
/// let cache = IndicatorCache()
/// for fast in [5, 10], slow in [20, 30] {
///     _ = try Backtest(bars: bars).run(SMACross(fast: fast, slow: slow), cache: cache)
/// }
/// ```
public final class IndicatorCache: @unchecked Sendable {
    /// The most entries kept (default 512).
    public let capacity: Int
    private var runningSMAs: [Key: RunningSMA] = [:]

    /// A series (by the identity of its storage, which a cached entry keeps alive) and a window.
    private struct Key: Hashable {
        var storage: UnsafeRawPointer?
        var count: Int
        var period: Int
    }

    /// Creates an empty cache.
    public init(capacity: Int = 512) {
        self.capacity = max(1, capacity)
    }

    /// Entries cached now.
    public var count: Int { runningSMAs.count }

    /// The running SMA of `x` over `n` bars, computed on first use.
    public func runningSMA(_ x: [Double], _ n: Int) -> RunningSMA {
        let key = x.withUnsafeBufferPointer { Key(storage: UnsafeRawPointer($0.baseAddress), count: $0.count, period: n) }
        if let cached = runningSMAs[key] { return cached }
        if runningSMAs.count >= capacity { runningSMAs.removeAll(keepingCapacity: true) }
        let computed = RunningSMA(x, n)
        runningSMAs[key] = computed
        return computed
    }
}
