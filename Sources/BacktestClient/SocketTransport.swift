import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The client's HTTP/1.1 transport for `http://` endpoints: keep-alive connections on plain
/// sockets, each exchange on a thread of its own.
///
/// AsyncHTTPClient carries `https://` (and event streams); for plain HTTP its start-up (an
/// event loop group, and the runtime's conformance scans that its first connection sets off
/// in a large static binary) was most of a short command's time (BENCHMARKS.md, "Start-up").
/// This transport keeps what the client relies on:
/// - a connect timeout apart from the read timeout (each wait to send, and for reply bytes);
/// - keep-alive: at most `maximumIdle` idle connections per endpoint, dropped after 60 s idle;
///   an idle connection the server closed is not reused, and a reused one that fails before
///   any reply byte is replaced by a new one once (the server closed it while idle: not a
///   failure of the server);
/// - replies framed as ``HTTPReplyDecoder`` reads them, up to a size limit;
/// - cancellation: cancelling the task shuts the socket down and the call throws `cancelled`.
///
/// The blocking calls run on a new thread, never on the cooperative pool, which an
/// in-process server's handlers need while the client waits for them.
final class SocketTransport: @unchecked Sendable {
    /// Why an exchange failed; ``BacktestClient`` words it for people.
    enum Failure: Error, Sendable, Equatable {
        /// No connection within the connect timeout.
        case connectTimeout
        /// No chance to send, or no reply byte, within the read timeout.
        case readTimeout
        /// The host name does not resolve.
        case hostNotFound
        /// A socket call failed with this `errno`.
        case system(CInt)
        /// The reply could not be read.
        case reply(HTTPReplyDecoder.Failure)
        /// The task was cancelled.
        case cancelled
    }

    /// One request.
    struct Request: Sendable {
        var method: String
        var path: String
        /// Header fields besides `Host` and `Content-Length`.
        var headers: [HTTPReplyDecoder.Field]
        var body: [UInt8]?
    }

    /// Idle connections are closed after this long.
    static let idleTimeout: Duration = .seconds(60)

    private let lock = NSLock()
    private var idle: [Endpoint: [SocketConnection]] = [:]
    private let maximumIdle: Int
    private let maximumReplyBytes: Int
    private let counters: ConnectionCounter

    /// A transport keeping at most `maximumIdle` idle connections per endpoint and refusing
    /// replies over `maximumReplyBytes`; `counters` counts the connections it opens.
    init(maximumIdle: Int, maximumReplyBytes: Int, counters: ConnectionCounter) {
        self.maximumIdle = max(1, maximumIdle)
        self.maximumReplyBytes = maximumReplyBytes
        self.counters = counters
    }

    /// Sends `request` to `endpoint` and reads the whole reply.
    func execute(
        _ request: Request,
        on endpoint: Endpoint,
        connectTimeout: Duration,
        readTimeout: Duration
    ) async throws(Failure) -> HTTPReplyDecoder.Reply {
        let message = Self.message(request, endpoint: endpoint)
        let exchange = Exchange()
        let outcome = await withTaskCancellationHandler {
            await Self.onOwnThread {
                do throws(Failure) {
                    let timeouts = (connectTimeout, readTimeout)
                    return Outcome(
                        result: .success(try self.exchange(message, method: request.method, on: endpoint, exchange: exchange, timeouts: timeouts))
                    )
                } catch {
                    return Outcome(result: .failure(error))
                }
            }
        } onCancel: {
            exchange.cancel()
        }
        return try outcome.result.get()
    }

    /// Closes the idle connections.
    func shutdown() {
        let closing = lock.withLock {
            defer { idle = [:] }
            return idle
        }
        _ = closing  // deinit closes each socket
    }

    /// The exchange, blocking: a kept-alive connection or a new one, the request, the reply.
    private func exchange(
        _ message: [UInt8],
        method: String,
        on endpoint: Endpoint,
        exchange: Exchange,
        timeouts: (connect: Duration, read: Duration)
    ) throws(Failure) -> HTTPReplyDecoder.Reply {
        while true {
            let reused = takeIdle(endpoint)
            let connection: SocketConnection
            if let reused {
                connection = reused
                guard exchange.attach(connection) else { throw .cancelled }
            } else {
                do throws(Failure) {
                    connection = try SocketConnection.open(host: endpoint.host, port: endpoint.port, timeout: timeouts.connect) {
                        exchange.attach($0)
                    }
                } catch {
                    throw exchange.isCancelled ? .cancelled : error
                }
                counters.opened()
            }
            var decoder = HTTPReplyDecoder(maximumBodyBytes: maximumReplyBytes, headRequest: method == "HEAD")
            do throws(Failure) {
                try connection.sendAll(message, timeout: timeouts.read)
                let reply = try Self.readReply(from: connection, into: &decoder, timeout: timeouts.read)
                // A cancellation from now on must not shut down a connection another request may be using.
                exchange.detach()
                if reply.keepAlive { giveBack(connection, to: endpoint) }
                return reply
            } catch {
                if exchange.isCancelled { throw .cancelled }
                // Closed by the server while it sat idle here: a new connection, once per idle one.
                if reused != nil, !decoder.hasStarted, Self.closedWhileIdle(error) { continue }
                throw error
            }
        }
    }

    /// Reads until `decoder` has a whole reply.
    private static func readReply(
        from connection: SocketConnection,
        into decoder: inout HTTPReplyDecoder,
        timeout: Duration
    ) throws(Failure) -> HTTPReplyDecoder.Reply {
        while true {
            let more = try connection.receive(into: &decoder, timeout: timeout)
            do throws(HTTPReplyDecoder.Failure) {
                if let reply = try decoder.reply(atEnd: !more) { return reply }
            } catch {
                throw .reply(error)
            }
        }
    }

    /// A failure that means the server had closed the connection before the request.
    private static func closedWhileIdle(_ failure: Failure) -> Bool {
        switch failure {
        case .system(let code): [ECONNRESET, EPIPE, ECONNABORTED].contains(code)
        case .reply(let reply): reply.kind == .closedWithoutReply
        default: false
        }
    }

    /// An idle connection to `endpoint` the server has not closed, if there is one.
    private func takeIdle(_ endpoint: Endpoint) -> SocketConnection? {
        let now = ContinuousClock.now
        return lock.withLock {
            while let connection = idle[endpoint]?.popLast() {
                if connection.idleSince.duration(to: now) < Self.idleTimeout, !connection.closedByPeer { return connection }
            }
            return nil
        }
    }

    /// Keeps `connection` for the next request to `endpoint`, unless enough are kept.
    private func giveBack(_ connection: SocketConnection, to endpoint: Endpoint) {
        connection.idleSince = .now
        lock.withLock {
            if idle[endpoint, default: []].count < maximumIdle { idle[endpoint, default: []].append(connection) }
        }
    }

    /// The request's bytes: request line, `Host`, the fields, `Content-Length`, the body.
    static func message(_ request: Request, endpoint: Endpoint) -> [UInt8] {
        let host = endpoint.host.utf8.contains(UInt8(ascii: ":")) ? "[\(endpoint.host)]" : endpoint.host
        var head = "\(request.method) \(request.path) HTTP/1.1\r\nHost: \(host):\(endpoint.port)\r\n"
        for field in request.headers { head += "\(field.name): \(field.value)\r\n" }
        if let body = request.body {
            head += "Content-Length: \(body.count)\r\n"
        } else if request.method == "POST" || request.method == "PUT" {
            head += "Content-Length: 0\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if let body = request.body { bytes += body }
        return bytes
    }
}

extension SocketTransport {
    /// The result of one exchange, carried out of its thread (a struct: see the TaskGroup
    /// pitfall in the developers' guide).
    private struct Outcome: Sendable {
        var result: Result<HTTPReplyDecoder.Reply, Failure>
    }

    /// The connection an exchange is using, so that cancelling can shut it down.
    private final class Exchange: @unchecked Sendable {
        private let lock = NSLock()
        private var connection: SocketConnection?
        private var cancelled = false

        var isCancelled: Bool { lock.withLock { cancelled } }

        /// Records the connection in use; `false` when the exchange is already cancelled.
        func attach(_ connection: SocketConnection) -> Bool {
            lock.withLock {
                self.connection = connection
                return !cancelled
            }
        }

        /// Forgets the connection: the exchange is over and the connection may be reused.
        func detach() {
            lock.withLock { connection = nil }
        }

        func cancel() {
            lock.withLock {
                cancelled = true
                connection?.cancel()
            }
        }
    }

    /// Runs `body` on a new thread and waits for it without holding a cooperative thread.
    private static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            startThread { continuation.resume(returning: body()) }
        }
    }

    /// Starts a detached thread running `body` (runs it here if no thread can be started).
    private static func startThread(_ body: @escaping @Sendable () -> Void) {
        #if canImport(Glibc)
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread,
            nil,
            { argument in
                guard let argument else { return nil }
                Unmanaged<Box>.fromOpaque(argument).takeRetainedValue().body()
                return nil
            },
            box
        )
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body()
        }
        #else
        Thread.detachNewThread(body)
        #endif
    }
}
