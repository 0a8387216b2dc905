import BacktestAPI

/// The outcome of one request of a batch.
public struct BatchResult: Sendable {
    /// The request's position in the batch.
    public var index: Int
    /// The request.
    public var request: BacktestRequest
    /// The reply, or why there is none.
    public var result: Result<BacktestReply, BacktestClientError>

    /// Creates a result.
    public init(index: Int, request: BacktestRequest, result: Result<BacktestReply, BacktestClientError>) {
        self.index = index
        self.request = request
        self.result = result
    }

    /// The result as an item of the batch route's reply shape.
    public var item: BatchItem {
        switch result {
        case .success(let reply): BatchItem(index: index, ticker: request.ticker, result: reply)
        case .failure(let error): BatchItem(index: index, ticker: request.ticker, error: error.asProblem)
        }
    }
}
