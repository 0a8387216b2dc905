import Foundation

/// Counts the TCP connections a client opened (thread-safe).
final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func opened() {
        lock.lock()
        value += 1
        lock.unlock()
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
