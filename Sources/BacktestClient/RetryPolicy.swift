/// When and how long to wait before trying a failed request again.
///
/// The default retries 3 times with exponential backoff (1 s, 2 s, 4 s) and full jitter
/// (each wait is drawn uniformly from zero up to that step), every wait capped at
/// ``maximumDelay``. Backtests are pure functions of their request, so retrying a `POST`
/// is safe.
///
/// Retried: connect failures, timeouts, connection resets (any transport failure), and the
/// statuses in ``retryableStatuses`` (429, 500, 502, 503, 504; a 500 is a server fault that
/// may be transient, like a crashed worker). A 429's `Retry-After` replaces the
/// computed wait, still capped by ``maximumDelay``. Never retried: every other status,
/// in particular 400, 401, 404, 413 and 422.
public struct RetryPolicy: Sendable, Hashable {
    /// How many times a request is retried after its first attempt (default 3).
    public var maximumRetries: Int
    /// The first backoff step, in seconds (default 1); step `n` is `initialDelay * multiplier^n`.
    public var initialDelay: Double
    /// The growth factor between steps (default 2).
    public var multiplier: Double
    /// The longest single wait, in seconds, including `Retry-After` waits (default 30).
    public var maximumDelay: Double
    /// Draw each wait uniformly from `[0, step]` (full jitter; default true).
    public var jitter: Bool
    /// The HTTP statuses that are retried (default 429, 500, 502, 503, 504).
    public var retryableStatuses: Set<Int>

    /// Creates a policy; the defaults are the documented ones.
    public init(
        maximumRetries: Int = 3,
        initialDelay: Double = 1,
        multiplier: Double = 2,
        maximumDelay: Double = 30,
        jitter: Bool = true,
        retryableStatuses: Set<Int> = [429, 500, 502, 503, 504]
    ) {
        self.maximumRetries = max(0, maximumRetries)
        self.initialDelay = max(0, initialDelay)
        self.multiplier = max(1, multiplier)
        self.maximumDelay = max(0, maximumDelay)
        self.jitter = jitter
        self.retryableStatuses = retryableStatuses
    }

    /// The default policy.
    public static let `default` = RetryPolicy()

    /// A policy that never retries.
    public static let never = RetryPolicy(maximumRetries: 0)

    /// The outcome of one attempt, as the policy sees it.
    public enum Outcome: Sendable, Hashable {
        /// The server answered with this status; `retryAfter` is its `Retry-After`, in seconds.
        case status(Int, retryAfter: Double?)
        /// No usable answer: connect failure, timeout, reset, closed connection.
        case transportFailure
    }

    /// Whether `outcome` may be retried (ignoring the retry count).
    public func isRetryable(_ outcome: Outcome) -> Bool {
        switch outcome {
        case .transportFailure: true
        case .status(let status, _): retryableStatuses.contains(status)
        }
    }

    /// The wait before retry number `retry` (0 for the first retry) after `outcome`, or
    /// `nil` when the request must not be retried again.
    ///
    /// - Parameter random: draws the jitter fraction in `[0, 1]`; injectable for tests.
    public func delay(
        beforeRetry retry: Int,
        after outcome: Outcome,
        random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) -> Double? {
        guard retry >= 0, retry < maximumRetries, isRetryable(outcome) else { return nil }
        if case .status(_, let retryAfter?) = outcome {
            return min(max(0, retryAfter), maximumDelay)
        }
        let step = min(initialDelay * pow(multiplier, retry), maximumDelay)
        return jitter ? step * random(0...1) : step
    }

    private func pow(_ base: Double, _ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<exponent { value *= base }
        return value
    }
}
