#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection for ``SocketTransport``: blocking calls, each bounded by `poll`.
///
/// Used by one thread at a time (the transport hands it over through its idle list, under a
/// lock), so it holds no lock of its own. ``cancel()`` may come from another thread: it shuts
/// the socket down, which wakes a blocked `poll`.
final class SocketConnection: @unchecked Sendable {
    /// The socket.
    let descriptor: CInt
    /// When it was last given back to the idle list.
    var idleSince = ContinuousClock.now
    /// Where `recv` puts bytes (one buffer for the connection's life).
    private var chunk = [UInt8](repeating: 0, count: 65_536)

    private init(descriptor: CInt) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Connects to `host:port`, each address in `getaddrinfo`'s order, within `timeout` each.
    /// `attach` sees each socket before it connects (so that a cancellation can shut it down)
    /// and returns `false` to give up (`cancelled`).
    static func open(
        host: String,
        port: Int,
        timeout: Duration,
        attach: (SocketConnection) -> Bool
    ) throws(SocketTransport.Failure) -> SocketConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamSocket
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        // "[::1]" in a URL is "::1" to getaddrinfo.
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(name, String(port), &hints, &list) == 0, let first = list else { throw .hostNotFound }
        defer { freeaddrinfo(list) }
        var failure = SocketTransport.Failure.hostNotFound
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            do {
                return try open(address.pointee, timeout: timeout, attach: attach)
            } catch {
                if error == .cancelled { throw error }
                failure = error
            }
        }
        throw failure
    }

    /// Connects to one address without blocking past `timeout`.
    private static func open(
        _ address: addrinfo,
        timeout: Duration,
        attach: (SocketConnection) -> Bool
    ) throws(SocketTransport.Failure) -> SocketConnection {
        let descriptor = socket(address.ai_family, streamSocket, 0)
        guard descriptor >= 0 else { throw .system(errno) }
        let connection = SocketConnection(descriptor: descriptor)
        guard attach(connection) else { throw .cancelled }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        #if canImport(Darwin)
        var on: CInt = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<CInt>.size))
        #endif
        let flags = fcntl(descriptor, F_GETFL, 0)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        if connect(descriptor, address.ai_addr, address.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw .system(errno) }
            guard try connection.wait(for: Int16(POLLOUT), timeout: timeout) else { throw .connectTimeout }
            var error: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw .system(error) }
        }
        var one: CInt = 1
        setsockopt(descriptor, CInt(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
        return connection
    }

    /// Writes all of `bytes`, waiting at most `timeout` for each chance to write.
    func sendAll(_ bytes: [UInt8], timeout: Duration) throws(SocketTransport.Failure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset, noSignal)
            }
            if written >= 0 {
                offset += written
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                guard try wait(for: Int16(POLLOUT), timeout: timeout) else { throw .readTimeout }
            } else if errno != EINTR {
                throw .system(errno)
            }
        }
    }

    /// Reads what is there into `decoder`, waiting at most `timeout` for bytes; `false` at
    /// the end of the connection.
    func receive(into decoder: inout HTTPReplyDecoder, timeout: Duration) throws(SocketTransport.Failure) -> Bool {
        while true {
            let count = chunk.withUnsafeMutableBytes { raw in recv(descriptor, raw.baseAddress, raw.count, 0) }
            if count > 0 {
                chunk.withUnsafeBytes { decoder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                return true
            }
            if count == 0 { return false }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                guard try wait(for: Int16(POLLIN), timeout: timeout) else { throw .readTimeout }
            } else if errno != EINTR {
                throw .system(errno)
            }
        }
    }

    /// Whether an idle connection can be read: the server closed it (or sent stray bytes),
    /// so it must not carry a request.
    var closedByPeer: Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) != 0
    }

    /// Wakes a thread blocked on this connection; its call then fails.
    func cancel() {
        shutdown(descriptor, CInt(SHUT_RDWR))
    }

    /// Waits until `events` or `timeout`; `false` on time-out.
    private func wait(for events: Int16, timeout: Duration) throws(SocketTransport.Failure) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, CInt(clamping: max(1, left.milliseconds)))
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { throw .system(errno) }
        }
    }
}

#if canImport(Glibc)
/// `SOCK_STREAM` as `socket` and `addrinfo` take it.
private let streamSocket = CInt(SOCK_STREAM.rawValue)
/// `send` must not raise `SIGPIPE` when the server has closed the connection.
private let noSignal = CInt(MSG_NOSIGNAL)
#else
private let streamSocket = SOCK_STREAM
private let noSignal: CInt = 0  // SO_NOSIGPIPE is set on the socket instead
#endif
