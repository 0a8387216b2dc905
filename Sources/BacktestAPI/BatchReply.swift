import BacktestEngine
import BacktestJSON
import BacktestRules

/// One item of a batch reply: the result or the error of request `index`.
public struct BatchItem: Sendable, Codable {
    /// Position of the request in the batch.
    public var index: Int
    /// The request's ticker (if it had one).
    public var ticker: String?
    /// The result, on success.
    public var result: BacktestReply?
    /// The error, on failure.
    public var error: Problem?

    /// Creates an item.
    public init(index: Int, ticker: String?, result: BacktestReply? = nil, error: Problem? = nil) {
        self.index = index
        self.ticker = ticker
        self.result = result
        self.error = error
    }
}

/// The reply to `POST /v1/backtests/batch`: one item per request, in request order.
public struct BatchReply: Sendable, Codable {
    /// The items, in request order.
    public var results: [BatchItem]
    /// Creates a reply.
    public init(results: [BatchItem]) { self.results = results }
}
