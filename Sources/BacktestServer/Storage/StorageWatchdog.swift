import NIOConcurrencyHelpers

/// Ends the bounded calls of every ``StorageDeadline`` that run past their limit, from one task
/// for the whole process, instead of a timer task for each call (which cost a bounded call about
/// 33 µs of CPU, against 20 µs with this watchdog: BENCHMARKS.md, "Ninth round").
///
/// A call is watched from its start until it returns. The watchdog looks every ``tick`` and
/// ends each call whose time is up, so a call ends at most one tick after its limit. The
/// watchdog's task runs only while some call is watched.
///
/// ```swift
/// let watch = StorageWatchdog.shared.watch(until: .now + .seconds(30)) { work.cancel() }
/// defer { StorageWatchdog.shared.unwatch(watch) }
/// ```
final class StorageWatchdog: Sendable {
    /// The process's watchdog, with a ``tick`` of 100 ms.
    static let shared = StorageWatchdog(tick: .milliseconds(100))

    /// How often the watchdog looks for calls past their time.
    let tick: Duration

    private struct Watched {
        let deadline: ContinuousClock.Instant
        let expire: @Sendable () -> Void
    }

    private struct State {
        var nextID: UInt64 = 0
        var watched: [UInt64: Watched] = [:]
        var looking = false
    }

    private let state = NIOLockedValueBox(State())

    /// A watchdog that looks every `tick`.
    init(tick: Duration) {
        self.tick = tick
    }

    /// Watches a call until ``unwatch(_:)``: past `deadline`, `expire` runs (once, on the
    /// watchdog's task, so it must be quick: it delays every other call's expiry). Returns the
    /// watch's id.
    func watch(until deadline: ContinuousClock.Instant, expire: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, startLooking) = state.withLockedValue { state -> (UInt64, Bool) in
            state.nextID += 1
            state.watched[state.nextID] = Watched(deadline: deadline, expire: expire)
            defer { state.looking = true }
            return (state.nextID, !state.looking)
        }
        // Detached: the loop serves every caller, so it takes none's priority or task locals.
        if startLooking { Task.detached { await self.look() } }
        return id
    }

    /// Stops watching a call: its `expire` does not run unless the watchdog had already found it
    /// past its deadline (then it runs once, and must tolerate the call having returned).
    func unwatch(_ id: UInt64) {
        _ = state.withLockedValue { $0.watched.removeValue(forKey: id) }
    }

    /// The number of calls watched now.
    var watchedCount: Int { state.withLockedValue { $0.watched.count } }

    /// Whether the watchdog's task is running.
    var isLooking: Bool { state.withLockedValue { $0.looking } }

    /// Every tick, ends the calls past their deadline; returns once nothing is watched.
    private func look() async {
        while true {
            // Not cancellable: it ends by itself once nothing is watched.
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let expired = state.withLockedValue { state -> [Watched]? in
                if state.watched.isEmpty {
                    state.looking = false
                    return nil
                }
                let due = state.watched.filter { $0.value.deadline <= now }
                for id in due.keys { state.watched.removeValue(forKey: id) }
                return Array(due.values)
            }
            guard let expired else { return }
            for call in expired { call.expire() }
        }
    }
}
