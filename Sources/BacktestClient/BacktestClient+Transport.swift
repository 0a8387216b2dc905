import AsyncHTTPClient
import BacktestAPI
import Foundation
import Logging
import NIOCore

/// The HTTP methods the client uses.
enum RequestMethod: String, Sendable {
    case get = "GET", post = "POST", delete = "DELETE"
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

extension BacktestClient {
    /// Statuses that take an endpoint out of rotation (it is probed again later).
    static let endpointFailureStatuses: Set<Int> = [502, 503, 504]

    /// The largest reply body accepted (64 MiB; a 1000-item batch with equity curves fits).
    static let maximumReplyBytes = 64 << 20

    /// Sends one request with retries and failover; returns the first 2xx reply, or throws the
    /// last error (a non-retryable status right away).
    func send(_ method: RequestMethod, _ path: String, body: [UInt8]? = nil, pinned: Endpoint? = nil) async throws(BacktestClientError) -> RawReply {
        let policy = configuration.retryPolicy
        let apiKey = try await pool.resolved().apiKey
        var retry = 0
        var failovers = 0
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw BacktestClientError(code: "cancelled", message: "cancelled") }
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
                if error.code == "cancelled" { throw error }
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
            logger.debug("retry \(retry)/\(policy.maximumRetries) of \(method.rawValue) \(path) in \(String(format: "%.3f", delay)) s after: \(failure.message)")
            do {
                try await configuration.sleep(delay)
            } catch {
                throw BacktestClientError(code: "cancelled", message: "cancelled")
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
                let healthy = await Self.probe(endpoint, http: http, timeout: configuration.probeTimeout, logger: logger) != nil
                logger.debug("probe \(endpoint)/health: \(healthy ? "up" : "still down")")
                await pool.probed(endpoint, healthy: healthy)
            case .none:
                throw BacktestClientError.noEndpoint("no server endpoints")
            }
        }
    }

    /// One attempt, no retries.
    private func execute(
        _ method: RequestMethod, _ path: String, body: [UInt8]?, on endpoint: Endpoint, apiKey: String?
    ) async throws(BacktestClientError) -> RawReply {
        var request = HTTPClientRequest(url: endpoint.url + path)
        request.method = switch method {
        case .get: .GET
        case .post: .POST
        case .delete: .DELETE
        }
        request.headers.add(name: "Accept", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, deadline: .distantFuture, logger: logger)
            let buffer = try await response.body.collect(upTo: Self.maximumReplyBytes)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Double($0.trimmingWhitespace()) }
            return RawReply(status: Int(response.status.code), retryAfter: retryAfter, body: buffer, endpoint: endpoint)
        } catch {
            throw Self.transportError(error, endpoint: endpoint)
        }
    }

    /// Sends `GET /health` to `endpoint` once, within `timeout`; `nil` when it does not answer 200.
    static func probe(_ endpoint: Endpoint, http: HTTPClient, timeout: Duration, logger: Logger) async -> Health? {
        var request = HTTPClientRequest(url: endpoint.url + "/health")
        request.method = .GET
        do {
            let response = try await http.execute(request, timeout: .milliseconds(timeout.milliseconds), logger: logger)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { return nil }
            return try JSONDecoder().decode(Health.self, from: Data(body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? []))
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
                code: "invalid_reply", message: "\(reply.endpoint) sent a reply that is not a valid \(T.self): \(error)",
                status: reply.status, endpoint: reply.endpoint.url)
        }
    }

    /// Decodes a 2xx reply's JSON body with ``JSONReader`` (several times faster than
    /// `JSONDecoder` on backtest replies); a body it refuses goes through `JSONDecoder`,
    /// which either reads it or gives the error.
    static func decode<T: Decodable>(
        _ type: T.Type, from reply: RawReply, reading read: (JSONValue) throws(JSONReadError) -> T
    ) throws(BacktestClientError) -> T {
        do {
            return try read(try JSONReader.parse(reply.bytes))
        } catch {
            return try decode(type, from: reply)
        }
    }

    /// Encodes a request body.
    static func encode<T: Encodable>(_ value: T) throws(BacktestClientError) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(value))
        } catch {
            throw BacktestClientError(code: "invalid_request", message: "cannot encode the request: \(error)")
        }
    }

    /// The error for a non-2xx reply: the server's problem document when it sent one.
    static func statusError(_ reply: RawReply) -> BacktestClientError {
        let problem = try? JSONDecoder().decode(Problem.self, from: Data(reply.bytes))
        let detail = problem.map { "\($0.title): \($0.detail)" }
            ?? String(decoding: reply.bytes.prefix(200), as: UTF8.self).trimmingWhitespace()
        return BacktestClientError(
            code: problem?.code ?? "http_\(reply.status)",
            message: "\(reply.status) from \(reply.endpoint)" + (detail.isEmpty ? "" : ": \(detail)"),
            status: reply.status, problem: problem, endpoint: reply.endpoint.url)
    }

    /// The error for a failed attempt: timeouts, refused or reset connections.
    static func transportError(_ error: any Error, endpoint: Endpoint) -> BacktestClientError {
        if error is CancellationError { return BacktestClientError(code: "cancelled", message: "cancelled") }
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return BacktestClientError(code: "connect_timeout", message: "connecting to \(endpoint) timed out", endpoint: endpoint.url)
            case .readTimeout, .deadlineExceeded:
                return BacktestClientError(code: "read_timeout", message: "\(endpoint) did not answer in time", endpoint: endpoint.url)
            case .remoteConnectionClosed:
                return BacktestClientError(code: "connection_closed", message: "\(endpoint) closed the connection", endpoint: endpoint.url)
            case .cancelled:
                return BacktestClientError(code: "cancelled", message: "cancelled")
            default:
                break
            }
        }
        return BacktestClientError(code: "unreachable", message: "cannot reach \(endpoint): \(error)", endpoint: endpoint.url)
    }
}
