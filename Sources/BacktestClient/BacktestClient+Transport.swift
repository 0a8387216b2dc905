import AsyncHTTPClient
import BacktestAPI
import BacktestJSON
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The HTTP methods the client uses.
enum RequestMethod: String, Sendable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
}

/// A request body and its media type.
struct RequestBody: Sendable {
    var bytes: ByteBuffer
    var contentType: String

    /// A JSON body.
    static func json(_ bytes: [UInt8]) -> RequestBody {
        RequestBody(bytes: ByteBuffer(bytes: bytes), contentType: "application/json")
    }
}

/// A reply as the transport returns it: status, `Retry-After`, body, and who answered.
struct RawReply: Sendable {
    var status: Int
    /// `Retry-After` in seconds (delay-seconds form; an HTTP date is ignored).
    var retryAfter: Double?
    var body: ByteBuffer
    var endpoint: Endpoint

    var bytes: [UInt8] { body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [] }
}

extension RawReply {
    /// A `Retry-After` field's delay in seconds (the delay-seconds form; an HTTP date is `nil`).
    static func seconds(retryAfter field: String?) -> Double? {
        field.flatMap { Double($0.trimmingWhitespace()) }
    }

    /// The reply ``SocketTransport`` read from `endpoint`.
    init(_ reply: HTTPReplyDecoder.Reply, from endpoint: Endpoint) {
        self.init(
            status: reply.status,
            retryAfter: Self.seconds(retryAfter: reply.value(of: "retry-after")),
            body: ByteBuffer(bytes: reply.body),
            endpoint: endpoint
        )
    }
}

extension BacktestClient {
    /// Statuses that take an endpoint out of rotation (it is probed again later).
    static let endpointFailureStatuses: Set<Int> = [502, 503, 504]

    /// The largest reply body accepted (64 MiB; a 1000-item batch with equity curves fits).
    static let maximumReplyBytes = 64 << 20

    /// Sends one request with retries and failover; returns the first 2xx reply, or throws the
    /// last error (a non-retryable status right away).
    func send(
        _ method: RequestMethod,
        _ path: String,
        body: RequestBody? = nil,
        pinned: Endpoint? = nil
    ) async throws(BacktestClientError) -> RawReply {
        let policy = configuration.retryPolicy
        let apiKey = try await pool.resolved().apiKey
        var retry = 0
        var failovers = 0
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw BacktestClientError(code: .cancelled, message: "cancelled") }
            let endpoint: Endpoint
            if let pinned { endpoint = pinned } else { endpoint = try await acquireEndpoint() }
            let outcome: RetryPolicy.Outcome
            let failure: BacktestClientError
            var endpointFailed = false
            do {
                let reply = try await execute(method, path, body: body, on: endpoint, apiKey: apiKey)
                logger.debug("attempt \(attempt): \(method.rawValue) \(endpoint)\(path) -> \(reply.status)")
                // A gateway error or 503 (e.g. a draining server) sends work elsewhere, like a transport failure.
                endpointFailed = Self.endpointFailureStatuses.contains(reply.status)
                if pinned == nil { await pool.finished(endpoint, transportFailure: endpointFailed) }
                if (200..<300).contains(reply.status) { return reply }
                failure = Self.statusError(reply)
                outcome = .status(reply.status, retryAfter: reply.retryAfter)
            } catch {
                if pinned == nil { await pool.finished(endpoint, transportFailure: true) }
                logger.debug("attempt \(attempt): \(method.rawValue) \(endpoint)\(path) failed: \(error.message)")
                if error.code == .cancelled || error.code == .tlsFailed { throw error }
                // Trying again cannot change a certificate: say why it was refused and stop.
                if error.code == .certificateRejected { throw await explainRefusal(error, endpoint: endpoint) }
                failure = error
                outcome = .transportFailure
                endpointFailed = true
            }
            if endpointFailed, pinned == nil, failovers < 8, await pool.hasOtherUpEndpoint(than: endpoint) {
                failovers += 1
                logger.debug("\(endpoint) marked down (\(failure.message)); sending \(path) to another endpoint")
                continue
            }
            guard let delay = policy.delay(beforeRetry: retry, after: outcome, random: configuration.random) else {
                if case .transportFailure = outcome, pinned == nil, await pool.rediscover() {
                    logger.debug("rediscovered the server; trying \(path) again")
                    continue
                }
                throw failure
            }
            retry += 1
            logger.debug(
                "retry \(retry)/\(policy.maximumRetries) of \(method.rawValue) \(path) in \(String(format: "%.3f", delay)) s after: \(failure.message)"
            )
            do {
                try await configuration.sleep(delay)
            } catch {
                throw BacktestClientError(code: .cancelled, message: "cancelled")
            }
        }
    }

    /// Picks an endpoint, probing down ones whose recheck time has come.
    private func acquireEndpoint() async throws(BacktestClientError) -> Endpoint {
        while true {
            switch try await pool.pick() {
            case .use(let endpoint):
                return endpoint
            case .probe(let endpoint):
                let healthy = await Self.probe(endpoint, sockets: sockets, https: https, timeout: configuration.probeTimeout, logger: logger) != nil
                logger.debug("probe \(endpoint)/health: \(healthy ? "up" : "still down")")
                await pool.probed(endpoint, healthy: healthy)
            case .none:
                throw BacktestClientError.noEndpoint("no server endpoints")
            }
        }
    }

    /// One attempt, no retries: over ``SocketTransport`` for `http://`, AsyncHTTPClient for `https://`.
    private func execute(
        _ method: RequestMethod,
        _ path: String,
        body: RequestBody?,
        on endpoint: Endpoint,
        apiKey: String?
    ) async throws(BacktestClientError) -> RawReply {
        var headers = [HTTPReplyDecoder.Field(name: "Accept", value: "application/json")]
        if let apiKey { headers.append(HTTPReplyDecoder.Field(name: "Authorization", value: "Bearer \(apiKey)")) }
        if let body { headers.append(HTTPReplyDecoder.Field(name: "Content-Type", value: body.contentType)) }
        if endpoint.scheme == "http" {
            let request = SocketTransport.Request(
                method: method.rawValue,
                path: path,
                headers: headers,
                body: body.map { Array($0.bytes.readableBytesView) }
            )
            do throws(SocketTransport.Failure) {
                let reply = try await sockets.execute(
                    request,
                    on: endpoint,
                    connectTimeout: configuration.connectTimeout,
                    readTimeout: configuration.readTimeout
                )
                return RawReply(reply, from: endpoint)
            } catch {
                throw transportError(error, endpoint: endpoint)
            }
        }
        var request = HTTPClientRequest(url: endpoint.url + path)
        request.method = HTTPMethod(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name, value: field.value) }
        if let body { request.body = .bytes(body.bytes) }
        do {
            let response = try await https.client.execute(request, deadline: .distantFuture, logger: logger)
            let buffer = try await response.body.collect(upTo: Self.maximumReplyBytes)
            let retryAfter = RawReply.seconds(retryAfter: response.headers.first(name: "Retry-After"))
            return RawReply(status: Int(response.status.code), retryAfter: retryAfter, body: buffer, endpoint: endpoint)
        } catch {
            throw transportError(error, endpoint: endpoint)
        }
    }

    /// Sends `GET /health` to `endpoint` once, within `timeout`; `nil` when it does not answer 200.
    static func probe(_ endpoint: Endpoint, sockets: SocketTransport, https: LazyHTTPClient, timeout: Duration, logger: Logger) async -> Health? {
        if endpoint.scheme == "http" {
            let request = SocketTransport.Request(method: "GET", path: "/health", headers: [], body: nil)
            guard let reply = try? await sockets.execute(request, on: endpoint, connectTimeout: timeout, readTimeout: timeout), reply.status == 200
            else { return nil }
            return try? health(from: reply.body)
        }
        var request = HTTPClientRequest(url: endpoint.url + "/health")
        request.method = .GET
        do {
            let response = try await https.client.execute(request, timeout: .milliseconds(timeout.milliseconds), logger: logger)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { return nil }
            return try health(from: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [])
        } catch {
            return nil
        }
    }

    /// Decodes a 2xx reply's JSON body.
    static func decode<T: Decodable>(_ type: T.Type, from reply: RawReply) throws(BacktestClientError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(reply.bytes))
        } catch {
            throw BacktestClientError(
                code: .invalidReply,
                message: "\(reply.endpoint) sent a reply that is not a valid \(T.self): \(error)",
                status: reply.status,
                endpoint: reply.endpoint.url
            )
        }
    }

    /// Decodes a 2xx reply's JSON body with ``JSONReader`` (several times faster than
    /// `JSONDecoder` on backtest replies); a body it refuses goes through `JSONDecoder`,
    /// which either reads it or gives the error.
    static func decode<T: Decodable>(
        _ type: T.Type,
        from reply: RawReply,
        reading read: (JSONValue) throws(JSONReadError) -> T
    ) throws(BacktestClientError) -> T {
        do {
            return try read(try JSONReader.parse(reply.bytes))
        } catch {
            return try decode(type, from: reply)
        }
    }

    /// Encodes a JSON request body.
    static func encode<T: Encodable>(_ value: T) throws(BacktestClientError) -> RequestBody {
        do {
            return .json(Array(try JSONEncoder().encode(value)))
        } catch {
            throw BacktestClientError(code: .invalidRequest, message: "cannot encode the request: \(error)")
        }
    }

    /// The error for a non-2xx reply: the server's problem document when it sent one.
    static func statusError(_ reply: RawReply) -> BacktestClientError {
        let problem = try? JSONDecoder().decode(Problem.self, from: Data(reply.bytes))
        let detail =
            problem.map { "\($0.title): \($0.detail)" }
            ?? String(decoding: reply.bytes.prefix(200), as: UTF8.self).trimmingWhitespace()
        return BacktestClientError(
            code: problem?.code ?? .http(reply.status),
            message: "\(reply.status) from \(reply.endpoint)" + (detail.isEmpty ? "" : ": \(detail)"),
            status: reply.status,
            problem: problem,
            endpoint: reply.endpoint.url
        )
    }

    /// The error for a failed attempt, in a person's words: `cannot reach URL: connection
    /// refused`, `cannot reach URL: timed out after 30 s connecting`, `no reply from URL:
    /// timed out after 600 s`.
    func transportError(_ error: any Error, endpoint: Endpoint) -> BacktestClientError {
        Self.transportError(error, endpoint: endpoint, connectTimeout: configuration.connectTimeout, readTimeout: configuration.readTimeout)
    }

    /// The error for a failed attempt with the timeouts it ran under (named in the message).
    static func transportError(_ error: any Error, endpoint: Endpoint, connectTimeout: Duration, readTimeout: Duration) -> BacktestClientError {
        func unreachable(_ phrase: String, code: ProblemCode = .unreachable) -> BacktestClientError {
            Self.unreachable(endpoint, phrase, code: code)
        }
        let connectTimedOut = connectTimeoutError(endpoint, connectTimeout)
        let cancelled = BacktestClientError(code: .cancelled, message: "cancelled")
        switch error {
        case is CancellationError:
            return cancelled
        case let e as SocketTransport.Failure:
            return transportError(e, endpoint: endpoint, connectTimeout: connectTimeout, readTimeout: readTimeout)
        case let e as HTTPClientError:
            switch e {
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return connectTimedOut
            case .readTimeout, .deadlineExceeded:
                return readTimeoutError(endpoint, readTimeout)
            case .remoteConnectionClosed:
                return noReply(endpoint, "the server closed the connection" + plainToTLSHint(endpoint), code: .connectionClosed)
            case .cancelled:
                return cancelled
            case .tlsHandshakeTimeout:
                return unreachable("the TLS handshake timed out")
            default:
                return unreachable(String(describing: e))
            }
        case let e as NIOConnectionError:
            if e.dnsAError != nil || e.dnsAAAAError != nil { return unreachable("host not found") }
            // Every address failed; the first one's reason stands for all.
            guard let first = e.connectionErrors.first else { return unreachable("no address to connect to") }
            return transportError(first.error, endpoint: endpoint, connectTimeout: connectTimeout, readTimeout: readTimeout)
        case is SocketAddressError.UnknownHost:
            return unreachable("host not found")
        case let e as IOError:
            return unreachable(phrase(errno: e.errnoCode))
        case ChannelError.connectTimeout:
            return connectTimedOut
        case let e as NIOSSLExtraError where e == .failedToValidateHostname:
            return unreachable("TLS certificate is for another host", code: .certificateRejected)
        case NIOSSLError.unableToValidateCertificate:
            return unreachable("TLS certificate not trusted", code: .certificateRejected)
        case NIOSSLError.handshakeFailed(let e) where "\(e)".contains("CERTIFICATE_VERIFY_FAILED"):
            return unreachable("TLS certificate not trusted", code: .certificateRejected)
        case NIOSSLError.handshakeFailed(let e) where "\(e)".contains("WRONG_VERSION_NUMBER"):
            return unreachable("TLS handshake failed: the server does not speak TLS (use http://)", code: .tlsFailed)
        case let e as NIOSSLError:
            return unreachable("TLS handshake failed: \(e)", code: .tlsFailed)
        case is BoringSSLError where !hasSystemTrustRoots:
            return unreachable(
                "TLS: this machine has no system CA certificates (install ca-certificates) and no --ca-cert was given",
                code: .tlsFailed
            )
        case let e as BoringSSLError:
            return unreachable("TLS setup failed: \(e)", code: .tlsFailed)
        default:
            return unreachable(String(describing: error))
        }
    }

    /// The error for a failed exchange over ``SocketTransport``, in the words used for AsyncHTTPClient's.
    static func transportError(
        _ failure: SocketTransport.Failure,
        endpoint: Endpoint,
        connectTimeout: Duration,
        readTimeout: Duration
    ) -> BacktestClientError {
        let hint = plainToTLSHint(endpoint)
        switch failure {
        case .connectTimeout: return connectTimeoutError(endpoint, connectTimeout)
        case .readTimeout: return readTimeoutError(endpoint, readTimeout)
        case .hostNotFound: return unreachable(endpoint, "host not found")
        case .system(let code): return unreachable(endpoint, phrase(errno: code))
        case .cancelled: return BacktestClientError(code: .cancelled, message: "cancelled")
        case .reply(let reply):
            switch reply.kind {
            case .closedWithoutReply: return noReply(endpoint, "the server closed the connection" + hint, code: .connectionClosed)
            case .notHTTP: return noReply(endpoint, "the server \(reply.message)" + hint, code: .connectionClosed)
            case .closedEarly: return noReply(endpoint, "the server \(reply.message)", code: .connectionClosed)
            case .malformed, .tooLarge: return noReply(endpoint, "the server \(reply.message)", code: .invalidReply)
            }
        }
    }

    /// `cannot reach URL: <phrase>`: no connection, or it failed before the request went out.
    static func unreachable(_ endpoint: Endpoint, _ phrase: String, code: ProblemCode = .unreachable) -> BacktestClientError {
        BacktestClientError(code: code, message: "cannot reach \(endpoint): \(phrase)", endpoint: endpoint.url)
    }

    /// `no reply from URL: <phrase>`: the request went out, no whole reply came back.
    static func noReply(_ endpoint: Endpoint, _ phrase: String, code: ProblemCode) -> BacktestClientError {
        BacktestClientError(code: code, message: "no reply from \(endpoint): \(phrase)", endpoint: endpoint.url)
    }

    /// The connect timeout fired (the message names it).
    static func connectTimeoutError(_ endpoint: Endpoint, _ timeout: Duration) -> BacktestClientError {
        unreachable(endpoint, "timed out after \(format(timeout)) connecting", code: .connectTimeout)
    }

    /// The read timeout fired (the message names it).
    static func readTimeoutError(_ endpoint: Endpoint, _ timeout: Duration) -> BacktestClientError {
        noReply(endpoint, "timed out after \(format(timeout))", code: .readTimeout)
    }

    /// A TLS server closes a plain-HTTP connection, or answers it with an alert: for an
    /// `http://` endpoint, the hint that it may want `https://`.
    static func plainToTLSHint(_ endpoint: Endpoint) -> String {
        endpoint.scheme == "http" ? " (if it serves HTTPS, use https://)" : ""
    }

    /// A short phrase for a socket error number (`connection refused`).
    static func phrase(errno code: CInt) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case ECONNABORTED: return "connection aborted"
        case EPIPE: return "connection closed"
        case ETIMEDOUT: return "timed out connecting"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case EADDRNOTAVAIL: return "address not available"
        default:
            // strerror's text with a lower-case first letter ("Permission denied" -> "permission denied").
            guard let text = strerror(code).map({ String(cString: $0) }), let first = text.first else { return "error \(code)" }
            return first.lowercased() + text.dropFirst()
        }
    }

    /// `30 s`, `0.5 s`.
    static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        return seconds == seconds.rounded() ? "\(Int64(seconds)) s" : String(format: "%g s", seconds)
    }
}
