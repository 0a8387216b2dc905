import AsyncHTTPClient
import BacktestAPI
import NIOCore
import NIOHTTP1

extension BacktestClient {
    /// Submits a batch as an asynchronous job (`POST /v1/jobs`). Jobs live on the server
    /// that accepted them: with several endpoints, the job API uses the first one.
    public func submitJob(_ requests: [BacktestRequest]) async throws(BacktestClientError) -> JobCreated {
        let reply = try await send(.post, "/v1/jobs", body: Self.requestBody(BatchRequest(requests: requests)), pinned: firstEndpoint())
        return try Self.decode(JobCreated.self, from: reply)
    }

    /// A job's status and, once finished, its results (`GET /v1/jobs/{id}`).
    public func jobStatus(_ id: String) async throws(BacktestClientError) -> JobStatus {
        try Self.decode(JobStatus.self, from: await send(.get, "/v1/jobs/\(try Self.pathSegment(id))", pinned: firstEndpoint()))
    }

    /// Cancels a job and keeps its record (`POST /v1/jobs/{id}/cancel`): its queued items are
    /// dropped, its finished ones kept. Returns its status when the server sends one that reads
    /// as a batch's: nil for a portfolio job, whose status ``cancelPortfolioJob(_:)`` returns.
    public func cancelJob(_ id: String) async throws(BacktestClientError) -> JobStatus? {
        let reply = try await send(.post, "/v1/jobs/\(try Self.pathSegment(id))/cancel", pinned: firstEndpoint())
        if reply.body.readableBytes == 0 { return nil }
        return try? Self.decode(JobStatus.self, from: reply)
    }

    /// Deletes a job (a batch or a search) with its results (`DELETE /v1/jobs/{id}`),
    /// cancelling it first if it still runs; a later ``jobStatus(_:)`` is `404 unknown_job`.
    public func deleteJob(_ id: String) async throws(BacktestClientError) {
        _ = try await send(.delete, "/v1/jobs/\(try Self.pathSegment(id))", pinned: firstEndpoint())
    }

    /// Follows a job's event stream (`GET /v1/jobs/{id}/events`, server-sent events) until
    /// the server ends it. Not retried: a broken stream ends with an error, and
    /// ``jobStatus(_:)`` tells where the job stands.
    public func jobEvents(_ id: String) -> AsyncThrowingStream<ServerSentEvent, any Error> {
        events { () throws(BacktestClientError) in "/v1/jobs/\(try Self.pathSegment(id))/events" }
    }

    /// Follows the server-sent events at `path` on the first endpoint until the server ends
    /// the stream.
    func events(_ path: @escaping @Sendable () throws(BacktestClientError) -> String) -> AsyncThrowingStream<ServerSentEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ServerSentEvent.self)
        let task = Task {
            var endpoint: Endpoint?
            do {
                let first = try await self.firstEndpoint()
                endpoint = first
                let apiKey = try await self.pool.resolved().apiKey
                var request = HTTPClientRequest(url: first.url + (try path()))
                request.headers.add(name: "Accept", value: "text/event-stream")
                if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
                let response = try await self.https.client.execute(request, deadline: .distantFuture, logger: self.logger)
                guard response.status.code == 200 else {
                    let body = try await response.body.collect(upTo: 1 << 20)
                    let raw = RawReply(status: Int(response.status.code), retryAfter: nil, body: body, endpoint: first)
                    throw Self.statusError(raw)
                }
                var parser = ServerSentEventParser()
                for try await chunk in response.body {
                    for event in parser.feed(chunk.readableBytesView) { continuation.yield(event) }
                }
                continuation.finish()
            } catch let error as BacktestClientError {
                continuation.finish(throwing: error)
            } catch {
                continuation.finish(throwing: endpoint.map { self.transportError(error, endpoint: $0) } ?? error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The endpoint of the APIs whose state lives on one server (jobs, the store): the first.
    func firstEndpoint() async throws(BacktestClientError) -> Endpoint {
        guard let first = try await pool.resolved().endpoints.first else { throw .noEndpoint("no server endpoints") }
        return first
    }

    static func pathSegment(_ id: String) throws(BacktestClientError) -> String {
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw BacktestClientError(code: .invalidJobID, message: "'\(id)' is not a job id")
        }
        return id
    }
}
