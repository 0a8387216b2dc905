import BacktestAPI

extension BacktestClient {
    /// One backtest as an HTML report page, made by the server (`POST /v1/reports`).
    public func report(_ request: BacktestRequest) async throws(BacktestClientError) -> String {
        let reply = try await send(.post, "/v1/reports", body: Self.encode(request))
        return String(decoding: reply.bytes, as: UTF8.self)
    }

    /// A finished search's HTML report (`GET /v1/optimizations/{id}/report`).
    public func optimizationReport(_ id: String) async throws(BacktestClientError) -> String {
        let reply = try await send(.get, "/v1/optimizations/\(try Self.pathSegment(id))/report", pinned: firstEndpoint())
        return String(decoding: reply.bytes, as: UTF8.self)
    }
}
