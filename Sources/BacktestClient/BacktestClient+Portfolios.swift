import BacktestAPI

extension BacktestClient {
    /// One portfolio backtest on the server (`POST /v1/portfolios`): the reply's JSON bytes
    /// (``BacktestAPI/PortfolioReply``'s layout), so a caller can print or decode them.
    public func portfolio(_ request: PortfolioRequest) async throws(BacktestClientError) -> [UInt8] {
        try await send(.post, "/v1/portfolios", body: Self.encode(request)).bytes
    }
}
