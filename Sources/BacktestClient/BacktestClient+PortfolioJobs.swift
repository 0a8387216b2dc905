import BacktestAPI
import BacktestJSON

extension BacktestClient {
    /// Submits many portfolio backtests as one job (`POST /v1/jobs` with `portfolios`): each
    /// portfolio is an item that any node of the server's cluster runs. Jobs live on the server
    /// that accepted them: with several endpoints, the job API uses the first one.
    public func submitPortfolioJob(_ portfolios: [PortfolioRequest]) async throws(BacktestClientError) -> JobCreated {
        let body = try Self.encode(PortfolioJobRequest(portfolios: portfolios))
        return try Self.decode(JobCreated.self, from: await send(.post, "/v1/jobs", body: body, pinned: firstEndpoint()))
    }

    /// A portfolio job's status and, once it has ended, its items (`GET /v1/jobs/{id}`).
    public func portfolioJobStatus(_ id: String) async throws(BacktestClientError) -> PortfolioJobStatus {
        try Self.portfolioJobStatus(from: await send(.get, "/v1/jobs/\(try Self.pathSegment(id))", pinned: firstEndpoint()))
    }

    /// Cancels a portfolio job and keeps its record (`POST /v1/jobs/{id}/cancel`): its queued
    /// portfolios are dropped, its finished ones kept. Returns its status after cancelling, with
    /// the items that finished; an ended job is returned unchanged. (``cancelJob(_:)`` reads the
    /// reply as a batch's and returns nil for a portfolio job.)
    ///
    /// - Throws: `invalid_reply` when the job is not a portfolio job (its items are not
    ///   portfolio replies); it is cancelled all the same.
    public func cancelPortfolioJob(_ id: String) async throws(BacktestClientError) -> PortfolioJobStatus {
        try Self.portfolioJobStatus(from: await send(.post, "/v1/jobs/\(try Self.pathSegment(id))/cancel", pinned: firstEndpoint()))
    }

    /// A status reply read as a portfolio job's; `invalid_reply` naming the member when it is not.
    private static func portfolioJobStatus(from reply: RawReply) throws(BacktestClientError) -> PortfolioJobStatus {
        do {
            return try PortfolioJobStatus(json: try JSONReader.parse(reply.bytes))
        } catch {
            throw BacktestClientError(
                code: .invalidReply,
                message: "\(reply.endpoint) sent a status that is not a portfolio job's: \(error)",
                status: reply.status,
                endpoint: reply.endpoint.url
            )
        }
    }

    /// Runs the portfolios as one job and waits for it to end (polling its status every
    /// `pollInterval`): the items in request order, each a result or an error. A job that ends
    /// cancelled or failed returns what finished.
    public func runPortfolioJob(
        _ portfolios: [PortfolioRequest],
        pollInterval: Duration = .milliseconds(100)
    )
        async throws(BacktestClientError) -> [PortfolioJobItem]
    {
        let created = try await submitPortfolioJob(portfolios)
        while true {
            let status = try await portfolioJobStatus(created.id)
            if let items = status.items, status.status.hasEnded { return items }
            do {
                try await Task.sleep(for: pollInterval)
            } catch {
                throw BacktestClientError(code: .cancelled, message: "cancelled while waiting for portfolio job \(created.id)")
            }
        }
    }
}

/// The body of `POST /v1/jobs` for portfolios.
private struct PortfolioJobRequest: Encodable {
    var portfolios: [PortfolioRequest]
}
