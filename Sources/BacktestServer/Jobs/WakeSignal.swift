import NIOConcurrencyHelpers

/// A wake-up for one waiting loop: ``signal()`` wakes the waiter, or the next ``wait(upTo:)``
/// returns at once; signals while nobody waits collapse into one.
///
/// ```swift
/// let work = WakeSignal()
/// // the loop:        await work.wait(upTo: .milliseconds(500))
/// // a producer:      work.signal()
/// ```
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Bumped by each wait, so a late cancellation does not touch the next one.
        var generation = 0
        var cancelledGeneration = -1
    }

    private let state = NIOLockedValueBox(State())

    /// Wakes the waiter (or the next one).
    func signal() {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else {
                s.pending = true
                return nil
            }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Returns at the next signal (at once if one is pending), after `limit`, or when the
    /// task is cancelled.
    func wait(upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: limit) }
            group.addTask { await self.next() }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func next() async {
        let generation = state.withLockedValue { s -> Int in
            s.generation += 1
            return s.generation
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { s -> Bool in
                    if s.pending || s.cancelledGeneration == generation {
                        s.pending = false
                        return true
                    }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
                s.cancelledGeneration = generation
                let w = s.waiter
                s.waiter = nil
                return w
            }
            waiter?.resume()
        }
    }
}
