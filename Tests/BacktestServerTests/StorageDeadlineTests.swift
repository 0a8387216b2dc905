import NIOConcurrencyHelpers
import Testing

@testable import BacktestServer

/// ``StorageDeadline`` and its ``StorageWatchdog``: a call's own outcome when it comes in time,
/// `timed_out` when it does not (even for a call that ignores cancellation), and one watchdog
/// task that runs only while some call is watched.
@Suite(.timeLimit(.minutes(1))) struct StorageDeadlineTests {
    struct Refused: Error, Equatable {}

    /// A call that never returns until ``release()``, whatever cancels it: what PostgresNIO's
    /// query on a connection that has just closed does.
    final class HungCall: Sendable {
        private let waiters = NIOLockedValueBox<[CheckedContinuation<Void, Never>]>([])
        private let released = NIOLockedValueBox(false)

        func call() async {
            await withCheckedContinuation { continuation in
                let resumeNow = released.withLockedValue { released in
                    if !released { waiters.withLockedValue { $0.append(continuation) } }
                    return released
                }
                if resumeNow { continuation.resume() }
            }
        }

        func release() {
            released.withLockedValue { $0 = true }
            let waiting = waiters.withLockedValue { waiters in
                defer { waiters = [] }
                return waiters
            }
            for waiter in waiting { waiter.resume() }
        }
    }

    static func deadline(_ limit: Duration, watchdog: StorageWatchdog) -> StorageDeadline {
        var deadline = StorageDeadline(limit: limit)
        deadline.watchdog = watchdog
        return deadline
    }

    @Test func aCallInTimeGivesItsOwnOutcome() async throws {
        let watchdog = StorageWatchdog(tick: .milliseconds(20))
        let deadline = Self.deadline(.seconds(30), watchdog: watchdog)
        #expect(try await deadline.run("adding") { 40 + 2 } == 42)
        await #expect(throws: Refused()) { try await deadline.run("refusing") { () async throws -> Int in throw Refused() } }
        #expect(watchdog.watchedCount == 0)
    }

    @Test func aHungCallTimesOutNamingItsWork() async throws {
        let watchdog = StorageWatchdog(tick: .milliseconds(20))
        let hung = HungCall()
        defer { hung.release() }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await Self.deadline(.milliseconds(200), watchdog: watchdog).run("claiming work") { await hung.call() }
            Issue.record("a call that never returns returned")
        } catch let error as StorageError {
            #expect(error.code == .timedOut)
            #expect(error.message == "claiming work did not finish within 0.2 seconds")
        }
        // Not before its limit. (How long after it depends on the machine's load: the suite's
        // time limit stands for "it returned".)
        #expect(clock.now - start >= .milliseconds(200))
        #expect(watchdog.watchedCount == 0)
    }

    @Test func aCancelledCallerCancelsTheCall() async throws {
        let watchdog = StorageWatchdog(tick: .milliseconds(20))
        let deadline = Self.deadline(.seconds(30), watchdog: watchdog)
        let caller = Task { try await deadline.run("sleeping") { try await Task.sleep(for: .seconds(3_600)) } }
        try await Task.sleep(for: .milliseconds(50))
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(watchdog.watchedCount == 0)
    }

    /// The watchdog's task ends once nothing is watched, and a later call starts it again.
    @Test func theWatchdogLooksOnlyWhileCallsAreWatched() async throws {
        let watchdog = StorageWatchdog(tick: .milliseconds(20))
        let hung = HungCall()
        defer { hung.release() }
        for round in 0..<2 {
            await #expect(throws: StorageError.self, "round \(round)") {
                try await Self.deadline(.milliseconds(60), watchdog: watchdog).run("waiting") { await hung.call() }
            }
            // Its next tick finds nothing watched (under load, a tick can come late).
            var waited = 0
            while watchdog.isLooking && waited < 1_000 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(!watchdog.isLooking, "round \(round)")
        }
    }
}
