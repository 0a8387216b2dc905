import BacktestAPI

extension BacktestClient {
    /// One portfolio backtest as an HTML report page, made by the server (`POST /v1/reports`
    /// with the body of `POST /v1/portfolios`).
    public func portfolioReport(_ request: PortfolioRequest) async throws(BacktestClientError) -> String {
        let reply = try await send(.post, "/v1/reports", body: Self.encode(request))
        return String(decoding: reply.bytes, as: UTF8.self)
    }
}
