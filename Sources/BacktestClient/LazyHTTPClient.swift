import AsyncHTTPClient
import Foundation
import Logging

/// An AsyncHTTPClient made on first use, for the requests ``SocketTransport`` does not carry
/// (`https://` endpoints and event streams).
///
/// A client that only speaks plain HTTP then never starts an event loop group, which is most
/// of a short command's start-up in a large static binary (BENCHMARKS.md, "Start-up").
final class LazyHTTPClient: @unchecked Sendable {
    private let lock = NSLock()
    private var made: HTTPClient?
    private let configuration: @Sendable () -> HTTPClient.Configuration
    private let logger: Logger

    /// A client to be made on the shared event loop group, with the settings `configuration`
    /// gives when it is first needed (making TLS settings has a cost of its own).
    init(logger: Logger, configuration: @escaping @Sendable () -> HTTPClient.Configuration) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The client, made now if this is the first use.
    var client: HTTPClient {
        lock.withLock {
            if let made { return made }
            let client = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: configuration(),
                backgroundActivityLogger: logger
            )
            made = client
            return client
        }
    }

    /// Shuts the client down if it was made.
    func shutdown() async throws {
        let client = lock.withLock {
            defer { made = nil }
            return made
        }
        try await client?.shutdown()
    }
}
