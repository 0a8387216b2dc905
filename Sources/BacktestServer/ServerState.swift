import NIOConcurrencyHelpers

/// The server's phase, read by `/ready`, `/health` and every work route.
public final class ServerState: Sendable {
    /// Where the server is in its life.
    public enum Phase: String, Sendable {
        case starting, ready, draining
    }

    /// Thrown by work routes while draining (503).
    struct Draining: Error, Sendable {}

    private let phase = NIOLockedValueBox(Phase.starting)

    /// Creates a server state, starting.
    public init() {}

    /// The current phase.
    public var current: Phase { phase.withLockedValue { $0 } }

    /// Moves to `next`; a draining server never becomes ready again.
    func enter(_ next: Phase) {
        phase.withLockedValue { p in
            if p != .draining { p = next }
        }
    }

    /// Throws ``Draining`` when the server no longer accepts work.
    func checkAcceptingWork() throws {
        if current == .draining { throw Draining() }
    }
}
