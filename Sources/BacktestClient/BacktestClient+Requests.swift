import BacktestAPI
import BacktestJSON

extension BacktestClient {
    /// Runs one backtest remotely (`POST /v1/backtests`), with retries and failover.
    public func run(_ request: BacktestRequest) async throws(BacktestClientError) -> BacktestReply {
        let reply = try await send(.post, "/v1/backtests", body: Self.requestBody(request))
        return try Self.decode(BacktestReply.self, from: reply) { (json) throws(JSONReadError) in try BacktestReply(json: json) }
    }

    /// Sends explicit requests as one `POST /v1/backtests/batch` call (at most
    /// `BatchRequest.maxItems`); the reply's items are in request order.
    public func runBatchCall(_ requests: [BacktestRequest]) async throws(BacktestClientError) -> BatchReply {
        let reply = try await send(.post, "/v1/backtests/batch", body: Self.requestBody(BatchRequest(requests: requests)))
        return try Self.decode(BatchReply.self, from: reply) { (json) throws(JSONReadError) in try BatchReply(json: json) }
    }

    /// The health of the first endpoint (`GET /health`), with retries.
    public func health() async throws(BacktestClientError) -> Health {
        try Self.decode(Health.self, from: await send(.get, "/health"))
    }

    /// The health of every endpoint, each asked once; `nil` for an endpoint that does not answer.
    public func healthOfEndpoints() async throws(BacktestClientError) -> [(endpoint: Endpoint, health: Health?)] {
        let endpoints = try await pool.resolved().endpoints
        var result: [(endpoint: Endpoint, health: Health?)] = []
        for endpoint in endpoints {
            result.append((endpoint, await Self.probe(endpoint, sockets: sockets, https: https, timeout: configuration.probeTimeout, logger: logger)))
        }
        return result
    }

    /// The built-in strategies (`GET /v1/strategies`).
    public func strategies() async throws(BacktestClientError) -> StrategyList {
        try Self.decode(StrategyList.self, from: await send(.get, "/v1/strategies"))
    }

    /// The tickers the server has data for (`GET /v1/tickers`).
    public func tickers() async throws(BacktestClientError) -> TickerList {
        try Self.decode(TickerList.self, from: await send(.get, "/v1/tickers"))
    }

    /// The default batch concurrency: the sum of the `workers` the endpoints report in
    /// `/health`, or ``Configuration/fallbackConcurrency`` when none says.
    public func serverConcurrency() async -> Int {
        guard let all = try? await healthOfEndpoints() else { return configuration.fallbackConcurrency }
        let workers = all.compactMap { $0.health?.workers }.filter { $0 > 0 }.reduce(0, +)
        return workers > 0 ? workers : configuration.fallbackConcurrency
    }
}
