import BacktestAPI
import Foundation
import MarketData
import Testing

@testable import BacktestServer

/// The small parts: hashing, keys, the LRU, the worker pool.
@Suite("Parts")
struct UnitTests {
    @Test("content hashes are lowercase hex SHA-256 (FIPS 180-4 vectors)")
    func sha256() {
        #expect(ContentHash.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHash.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ContentHash.digest(of: Array("abc".utf8)).count == 32)
    }

    @Test("a job has ended once done, failed or cancelled; the storage's SQL lists come from the enum")
    func jobStates() {
        #expect(JobState.allCases.filter(\.hasEnded) == [.done, .failed, .cancelled])
        #expect(JobState.ended == [.done, .failed, .cancelled] && JobState.active == [.queued, .running])
        #expect(JobState.sqlList(JobState.active) == "'queued', 'running'")
    }

    @Test("API keys: only configured keys pass")
    func apiKeys() {
        let keys = APIKeys(["alpha", "beta", ""])
        #expect(keys.accepts("alpha"))
        #expect(keys.accepts("beta"))
        #expect(!keys.accepts(""))
        #expect(!keys.accepts("alph"))
        #expect(!keys.accepts("alphaa"))
        #expect(APIKeys([]).isEmpty)
    }

    @Test("the LRU evicts the least recently used entry")
    func lru() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.set("a", 1)
        cache.set("b", 2)
        #expect(cache.get("a") == 1)
        cache.set("c", 3)
        #expect(cache.get("b") == nil)
        #expect(cache.get("a") == 1)
        #expect(cache.get("c") == 3)
        cache.set("a", 10)
        cache.set("d", 4)
        #expect(cache.get("c") == nil)
        #expect(cache.get("a") == 10)
        #expect(cache.count == 2)
    }

    @Test("the worker pool runs work off the caller, refuses beyond the queue limit and cancels queued work")
    func workerPool() async throws {
        let pool = WorkerPool(configuration: .init(workers: 1, queueLimit: 1))
        defer { pool.shutdown() }
        let worker = try await pool.run { Thread.current.threadDictionary[WorkerPool.workerIndexKey] as? Int }
        #expect(worker == 0)

        let gate = Gate()
        let blocker = Task {
            try await pool.run {
                gate.wait()
                return 1
            }
        }
        while pool.snapshot.inFlight == 0 { try await Task.sleep(for: .milliseconds(1)) }
        let waiting = Task { try await pool.run { 2 } }
        while pool.snapshot.queued == 0 { try await Task.sleep(for: .milliseconds(1)) }
        await #expect(throws: WorkerPool.Overloaded.self) { try await pool.run { 3 } }
        // Admitted work queues past the limit, and leaves the queue when cancelled.
        let admitted = Task { try await pool.run(admission: .always) { 4 } }
        while pool.snapshot.queued < 2 { try await Task.sleep(for: .milliseconds(1)) }
        admitted.cancel()
        await #expect(throws: CancellationError.self) { try await admitted.value }
        #expect(pool.snapshot.queued == 1)
        gate.open()
        #expect(try await blocker.value == 1)
        #expect(try await waiting.value == 2)
    }

    @Test("unmeasured work (uploads) leaves the backtest service time alone")
    func unmeasuredWork() async throws {
        let timings = LockedCounter()
        let pool = WorkerPool(configuration: .init(workers: 1, queueLimit: 4), onServiceTime: { _ in timings.increment() })
        defer { pool.shutdown() }
        _ = try await pool.run { 1 }
        _ = try await pool.run(measured: false) {
            Thread.sleep(forTimeInterval: 0.01)
            return 2
        }
        _ = try await pool.run { 3 }
        #expect(timings.value == 2)
    }
}

/// A counter shared with worker threads.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// A one-shot gate a worker thread can wait on.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    func wait() {
        condition.lock()
        while !isOpen { condition.wait() }
        condition.unlock()
    }

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }
}
