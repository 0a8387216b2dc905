import BacktestClient
import Testing

@Suite struct RetryPolicyTests {
    @Test func defaultBackoffIsOneTwoFourSecondsThenGivesUp() {
        let policy = RetryPolicy(jitter: false)
        #expect(policy.delay(beforeRetry: 0, after: .transportFailure) == 1)
        #expect(policy.delay(beforeRetry: 1, after: .transportFailure) == 2)
        #expect(policy.delay(beforeRetry: 2, after: .status(503, retryAfter: nil)) == 4)
        #expect(policy.delay(beforeRetry: 3, after: .transportFailure) == nil)
    }

    @Test func fullJitterDrawsBetweenZeroAndTheStep() {
        let policy = RetryPolicy()
        #expect(policy.delay(beforeRetry: 2, after: .transportFailure, random: { _ in 0.25 }) == 1)
        #expect(policy.delay(beforeRetry: 1, after: .transportFailure, random: { $0.upperBound }) == 2)
        for _ in 0..<100 {
            let d = policy.delay(beforeRetry: 2, after: .transportFailure) ?? -1
            #expect(d >= 0 && d <= 4)
        }
    }

    @Test func stepsAreCapped() {
        let policy = RetryPolicy(maximumRetries: 10, maximumDelay: 5, jitter: false)
        #expect(policy.delay(beforeRetry: 8, after: .transportFailure) == 5)
    }

    @Test func retryAfterReplacesTheBackoffButIsCapped() {
        let policy = RetryPolicy(maximumDelay: 10)
        #expect(policy.delay(beforeRetry: 0, after: .status(429, retryAfter: 3), random: { _ in 0 }) == 3)
        #expect(policy.delay(beforeRetry: 0, after: .status(429, retryAfter: 120)) == 10)
    }

    @Test(arguments: [400, 401, 404, 413, 422])
    func clientErrorsAreNeverRetried(status: Int) {
        #expect(RetryPolicy.default.delay(beforeRetry: 0, after: .status(status, retryAfter: 1)) == nil)
    }

    @Test(arguments: [429, 500, 502, 503, 504])
    func transientStatusesAreRetried(status: Int) {
        #expect(RetryPolicy.default.isRetryable(.status(status, retryAfter: nil)))
    }

    @Test func neverMeansNoRetry() {
        #expect(RetryPolicy.never.delay(beforeRetry: 0, after: .transportFailure) == nil)
    }
}
