import NIOConcurrencyHelpers

/// The first of several possible outcomes; later ones are ignored.
final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var outcome: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = NIOLockedValueBox(State())

    /// Offers an outcome; only the first one counts.
    func give(_ outcome: Result<T, any Error>) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<T, any Error>? in
            guard s.outcome == nil else { return nil }
            s.outcome = outcome
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: outcome)
    }

    /// The first outcome, once there is one.
    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLockedValue { s -> Result<T, any Error>? in
                if let outcome = s.outcome { return outcome }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
