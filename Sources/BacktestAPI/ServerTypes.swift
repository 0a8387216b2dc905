import BacktestEngine
import BacktestJSON
import BacktestRules

/// The reply to `POST /v1/backtests`: the request's identity, the statistics, optional
/// trades and equity, and whether it came from the cache.
public struct BacktestReply: Sendable, Codable {
    /// The ticker that was run.
    public var ticker: String
    /// First bar's timestamp (`YYYY-MM-DDTHH:MM:SS`).
    public var start: String
    /// Last bar's timestamp.
    public var end: String
    /// The strategy name.
    public var strategy: String
    /// Every strategy parameter with the value used (defaults filled in).
    public var params: [String: ParameterValue]
    /// The statistics, as `backtest run --format json` prints them.
    public var stats: Statistics
    /// Closed trades, when `include` asked for them.
    public var trades: [TradeRecord]?
    /// The equity curve, when `include` asked for it.
    public var equity: [Double]?
    /// `true` when the result came from the cache.
    public var cached: Bool
    /// Server-side time spent on this request, in milliseconds.
    public var elapsedMs: Double
    /// The window the data covers against the requested one.
    public var coverage: Coverage?

    enum CodingKeys: String, CodingKey {
        case ticker, start, end, strategy, params, stats, trades, equity, cached, coverage
        case elapsedMs = "elapsed_ms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ticker = try c.decode(String.self, forKey: .ticker)
        start = try c.decode(String.self, forKey: .start)
        end = try c.decode(String.self, forKey: .end)
        strategy = try c.decode(String.self, forKey: .strategy)
        params = try c.decode([String: ParameterValue].self, forKey: .params)
        stats = try c.decode(Statistics.self, forKey: .stats)
        trades = try c.decodeIfPresent([TradeRecord].self, forKey: .trades)
        equity = try c.decodeIfPresent(WireDoubleList.self, forKey: .equity)?.values
        cached = try c.decode(Bool.self, forKey: .cached)
        elapsedMs = try c.decode(Double.self, forKey: .elapsedMs)
        coverage = try c.decodeIfPresent(Coverage.self, forKey: .coverage)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ticker, forKey: .ticker)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encode(strategy, forKey: .strategy)
        try c.encode(params, forKey: .params)
        try c.encode(stats, forKey: .stats)
        try c.encodeIfPresent(trades, forKey: .trades)
        try c.encodeIfPresent(equity.map(WireDoubleList.init), forKey: .equity)
        try c.encode(cached, forKey: .cached)
        try c.encode(elapsedMs, forKey: .elapsedMs)
        try c.encodeIfPresent(coverage, forKey: .coverage)
    }

    /// Creates a reply.
    public init(
        ticker: String,
        start: String,
        end: String,
        strategy: String,
        params: [String: ParameterValue],
        stats: Statistics,
        trades: [TradeRecord]? = nil,
        equity: [Double]? = nil,
        cached: Bool = false,
        elapsedMs: Double = 0,
        coverage: Coverage? = nil
    ) {
        self.ticker = ticker
        self.start = start
        self.end = end
        self.strategy = strategy
        self.params = params
        self.stats = stats
        self.trades = trades
        self.equity = equity
        self.cached = cached
        self.elapsedMs = elapsedMs
        self.coverage = coverage
    }
}

/// An RFC 9457 problem document (`application/problem+json`), the body of every error reply.
///
/// The server's problems always carry an HTTP ``status``; a problem the client reports
/// itself (``ProblemCode/unreachable`` in a batch's output, say) has none, since no server
/// answered.
public struct Problem: Error, Sendable, Codable, Equatable, CustomStringConvertible {
    /// A URI naming the problem type, e.g. `https://backtest.dev/problems/invalid_field`.
    public var type: String
    /// A short summary of the type (`Invalid field`).
    public var title: String
    /// The HTTP status; `nil` (and absent on the wire) for a failure on the client side.
    public var status: Int?
    /// What exactly went wrong.
    public var detail: String
    /// The request field at fault, if one.
    public var field: String?
    /// The server's request id (for 500s, to find the log line).
    public var requestId: String?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, field
        case requestId = "request_id"
    }

    /// Creates a problem with the code's title and status (none for a client-side code).
    public init(code: ProblemCode, detail: String, field: String? = nil, requestId: String? = nil) {
        self.init(code: code, title: code.title, status: code.status, detail: detail, field: field, requestId: requestId)
    }

    /// Creates a problem. `code` becomes the last path segment of `type`.
    public init(code: ProblemCode, title: String, status: Int?, detail: String, field: String? = nil, requestId: String? = nil) {
        self.init(type: code.type, title: title, status: status, detail: detail, field: field, requestId: requestId)
    }

    /// Creates a problem with any `type` URI (as read from the wire).
    public init(type: String, title: String, status: Int?, detail: String, field: String? = nil, requestId: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.field = field
        self.requestId = requestId
    }

    /// The stable code: the last path segment of `type` (kept verbatim when this build does
    /// not know it).
    public var code: ProblemCode { ProblemCode(type: type) }

    public var description: String { (status.map { "\($0) " } ?? "") + "\(title): \(detail)" }
}

/// The body of `POST /v1/backtests/batch` and `POST /v1/jobs`: either explicit requests or
/// tickers sharing the other fields.
///
/// ```json
/// {"requests": [{"ticker": "AAPL", "strategy": "sma_cross"}, {"ticker": "MSFT", "strategy": "buy_and_hold"}]}
/// {"tickers": ["AAPL", "MSFT"], "strategy": "sma_cross", "params": {"fast": 10, "slow": 30}}
/// ```
public struct BatchRequest: Sendable, Codable {
    /// The individual backtests, in order.
    public var requests: [BacktestRequest]

    /// The most items one batch may hold.
    public static let maxItems = 1_000
    /// The most items of an asynchronous job (`POST /v1/jobs`), which runs from the work queue.
    public static let maxJobItems = 10_000

    /// Creates a batch of explicit requests.
    public init(requests: [BacktestRequest]) { self.requests = requests }

    public init(from decoder: any Decoder) throws {
        let any = try decoder.container(keyedBy: AnyCodingKey.self)
        if any.contains(AnyCodingKey(stringValue: "requests")) {
            for key in any.allKeys where key.stringValue != "requests" {
                throw BacktestError(
                    code: .unknownField,
                    message: "unknown field '\(key.stringValue)' next to 'requests'",
                    field: key.stringValue
                )
            }
            do {
                requests = try any.decode([BacktestRequest].self, forKey: AnyCodingKey(stringValue: "requests"))
            } catch let error as BacktestError {
                throw error
            } catch {
                throw BacktestError.invalid("requests", "expected a list of backtest requests")
            }
        } else if any.contains(AnyCodingKey(stringValue: "tickers")) {
            let tickers: [String]
            do {
                tickers = try any.decode([String].self, forKey: AnyCodingKey(stringValue: "tickers"))
            } catch {
                throw BacktestError.invalid("tickers", "expected a list of ticker symbols")
            }
            // The shared fields are one request without a ticker.
            let shared = try SharedFields(from: decoder).request
            requests = tickers.map { t in
                var r = shared
                r.ticker = t
                return r
            }
        } else {
            throw BacktestError(code: .missingField, message: "a batch needs 'requests' or 'tickers'", field: "requests")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(requests, forKey: AnyCodingKey(stringValue: "requests"))
    }

    /// Decodes the shared fields of a `tickers` batch (every request key but `ticker`/`data`).
    struct SharedFields: Decodable {
        var request: BacktestRequest

        init(from decoder: any Decoder) throws {
            let any = try decoder.container(keyedBy: AnyCodingKey.self)
            for key in any.allKeys where key.stringValue == "ticker" || key.stringValue == "data" {
                throw BacktestError(code: .unknownField, message: "'\(key.stringValue)' is not allowed next to 'tickers'", field: key.stringValue)
            }
            request = try BacktestRequest(from: FilteredDecoder(base: decoder, dropping: "tickers"))
        }
    }
}

/// A decoder that hides one key of its keyed container (so the shared fields of a
/// `tickers` batch decode as a request).
struct FilteredDecoder: Decoder {
    let base: any Decoder
    let dropping: String
    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Filtered<Key>(inner: try base.container(keyedBy: Key.self), dropping: dropping))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try base.unkeyedContainer() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { try base.singleValueContainer() }

    struct Filtered<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let inner: KeyedDecodingContainer<Key>
        let dropping: String
        var codingPath: [any CodingKey] { inner.codingPath }
        var allKeys: [Key] { inner.allKeys.filter { $0.stringValue != dropping } }
        func contains(_ key: Key) -> Bool { key.stringValue != dropping && inner.contains(key) }
        func decodeNil(forKey key: Key) throws -> Bool { try inner.decodeNil(forKey: key) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try inner.decode(type, forKey: key) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try inner.nestedContainer(keyedBy: type, forKey: key)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try inner.nestedUnkeyedContainer(forKey: key) }
        func superDecoder() throws -> any Decoder { try inner.superDecoder() }
        func superDecoder(forKey key: Key) throws -> any Decoder { try inner.superDecoder(forKey: key) }
    }
}

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

/// The reply to `GET /health`.
public struct Health: Sendable, Codable, Equatable {
    /// `ok` while serving, `draining` during shutdown.
    public var status: String
    /// The server's version.
    public var version: String
    /// Seconds since start.
    public var uptimeS: Double
    /// Backtest worker threads.
    public var workers: Int
    /// Backtests running now.
    public var inFlight: Int
    /// Backtests waiting for a worker.
    public var queued: Int

    enum CodingKeys: String, CodingKey {
        case status, version, workers, queued
        case uptimeS = "uptime_s"
        case inFlight = "in_flight"
    }

    /// Creates a health reply.
    public init(status: String, version: String, uptimeS: Double, workers: Int, inFlight: Int, queued: Int) {
        self.status = status
        self.version = version
        self.uptimeS = uptimeS
        self.workers = workers
        self.inFlight = inFlight
        self.queued = queued
    }
}

/// One strategy in `GET /v1/strategies`.
public struct StrategyInfo: Sendable, Codable, Equatable {
    /// One parameter.
    public struct Parameter: Sendable, Codable, Equatable {
        public var name: String
        /// `int`, `float` or `bool`.
        public var type: String
        public var `default`: ParameterValue?
        public var minimum: Double?
        public var maximum: Double?
        public var description: String
    }
    public var name: String
    public var description: String
    public var parameters: [Parameter]
    /// The strategy in the rules language (`POST /v1/backtests` with `rules` runs it, bit
    /// for bit the same).
    public var rules: String

    /// Describes a built-in strategy.
    public init(_ spec: StrategySpec) {
        name = spec.name
        description = spec.summary
        rules = BuiltinRules.source(for: spec.name) ?? ""
        parameters = spec.parameters.map {
            Parameter(
                name: $0.name,
                type: $0.kind.rawValue,
                default: $0.defaultValue,
                minimum: $0.minimum,
                maximum: $0.maximum,
                description: $0.summary
            )
        }
    }
}

/// The reply to `GET /v1/strategies`.
public struct StrategyList: Sendable, Codable {
    public var strategies: [StrategyInfo]
    public init(strategies: [StrategyInfo]) { self.strategies = strategies }
}

/// One ticker in `GET /v1/tickers`.
public struct TickerInfo: Sendable, Codable, Equatable {
    public var ticker: String
    /// First bar's date-time.
    public var first: String
    /// Last bar's date-time.
    public var last: String
    /// Number of bars.
    public var bars: Int
    /// Where the data comes from: `data-dir`, `bundled`, `database`.
    public var source: String
    public init(ticker: String, first: String, last: String, bars: Int, source: String) {
        self.ticker = ticker
        self.first = first
        self.last = last
        self.bars = bars
        self.source = source
    }
}

/// The reply to `GET /v1/tickers`.
public struct TickerList: Sendable, Codable {
    public var tickers: [TickerInfo]
    public init(tickers: [TickerInfo]) { self.tickers = tickers }
}

/// The life cycle of an asynchronous job.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, done, failed, cancelled

    /// Whether a job in this state has ended (done, failed or cancelled): it never runs again.
    public var hasEnded: Bool {
        self != .queued && self != .running
    }
}

/// The reply to `POST /v1/jobs` (202 Accepted).
public struct JobCreated: Sendable, Codable {
    public var id: String
    public var statusUrl: String
    public var eventsUrl: String
    enum CodingKeys: String, CodingKey {
        case id
        case statusUrl = "status_url"
        case eventsUrl = "events_url"
    }
    public init(id: String, statusUrl: String, eventsUrl: String) {
        self.id = id
        self.statusUrl = statusUrl
        self.eventsUrl = eventsUrl
    }
}

/// Progress of a job.
public struct JobProgress: Sendable, Codable, Equatable {
    public var done: Int
    public var total: Int
    public init(done: Int, total: Int) {
        self.done = done
        self.total = total
    }
}

/// The reply to `GET /v1/jobs/{id}`; `results` once the job is done (or partially, when
/// cancelled), in request order.
public struct JobStatus: Sendable, Codable {
    public var id: String
    public var status: JobState
    public var progress: JobProgress
    public var results: [BatchItem]?
    public init(id: String, status: JobState, progress: JobProgress, results: [BatchItem]? = nil) {
        self.id = id
        self.status = status
        self.progress = progress
        self.results = results
    }
}

/// One job in `GET /v1/jobs`: a batch or a parameter search, with where to follow it.
public struct JobSummary: Sendable, Codable {
    /// The job's id.
    public var id: String
    /// `backtests` (a batch), `portfolios` (a portfolio job) or `optimization` (a search).
    public var kind: String
    /// Its state.
    public var status: JobState
    /// Its items (a search's units) finished and in all.
    public var progress: JobProgress
    /// When it was created (ISO 8601, UTC).
    public var createdAt: String
    /// Its status, events and report URLs.
    public var statusUrl: String
    public var eventsUrl: String
    public var reportUrl: String

    enum CodingKeys: String, CodingKey {
        case id, kind, status, progress
        case createdAt = "created_at"
        case statusUrl = "status_url"
        case eventsUrl = "events_url"
        case reportUrl = "report_url"
    }

    /// Creates a summary; the URLs follow from the kind.
    public init(id: String, kind: String, status: JobState, progress: JobProgress, createdAt: String) {
        self.id = id
        self.kind = kind
        self.status = status
        self.progress = progress
        self.createdAt = createdAt
        let base = kind == "optimization" ? "/v1/optimizations/\(id)" : "/v1/jobs/\(id)"
        statusUrl = base
        eventsUrl = base + "/events"
        reportUrl = base + "/report"
    }
}

/// The reply to `GET /v1/jobs`: the most recent jobs, newest first.
public struct JobList: Sendable, Codable {
    public var jobs: [JobSummary]
    public init(jobs: [JobSummary]) { self.jobs = jobs }
}
