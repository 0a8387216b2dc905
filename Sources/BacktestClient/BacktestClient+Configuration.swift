extension BacktestClient {
    /// How a client finds servers, connects, times out and retries.
    public struct Configuration: Sendable {
        /// Where the endpoints come from: explicit URLs, environment, config file, discovery
        /// command (see ``EndpointResolver``). Default: nothing given, so only
        /// `http://127.0.0.1:8000` is tried.
        public var resolution: EndpointResolver.Inputs
        /// Time allowed to establish a TCP connection (default 30 s). A dead host fails
        /// within this time.
        public var connectTimeout: Duration
        /// Time allowed between bytes of a reply once the request was sent (default 600 s).
        public var readTimeout: Duration
        /// Time allowed for a `/health` probe during resolution and failover (default 2 s).
        public var probeTimeout: Duration
        /// When and how long to wait before retrying (default ``RetryPolicy/default``).
        public var retryPolicy: RetryPolicy
        /// Keep-alive connections per endpoint at most (default 16).
        public var maximumConnectionsPerEndpoint: Int
        /// Seconds an endpoint that failed stays out of rotation before it is probed with
        /// `/health` again (default 5).
        public var recheckInterval: Double
        /// The most items sent in one `/v1/backtests/batch` call (default 1000, the server's limit).
        public var maximumItemsPerCall: Int
        /// Concurrency when the server's `/health` cannot say (default 4).
        public var fallbackConcurrency: Int
        /// Waits between retries, in seconds; injectable so tests need not wait (default:
        /// `Task.sleep`).
        public var sleep: @Sendable (Double) async throws -> Void
        /// Draws the jitter fraction for a range; injectable for tests (default: uniform).
        public var random: @Sendable (ClosedRange<Double>) -> Double

        /// Creates a configuration; the defaults are the documented ones.
        public init(
            resolution: EndpointResolver.Inputs = EndpointResolver.Inputs(),
            connectTimeout: Duration = .seconds(30),
            readTimeout: Duration = .seconds(600),
            probeTimeout: Duration = .seconds(2),
            retryPolicy: RetryPolicy = .default,
            maximumConnectionsPerEndpoint: Int = 16,
            recheckInterval: Double = 5,
            maximumItemsPerCall: Int = 1_000,
            fallbackConcurrency: Int = 4,
            sleep: @escaping @Sendable (Double) async throws -> Void = { seconds in
                try await Task.sleep(for: .milliseconds(Int((seconds * 1000).rounded())))
            },
            random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
        ) {
            self.resolution = resolution
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.probeTimeout = probeTimeout
            self.retryPolicy = retryPolicy
            self.maximumConnectionsPerEndpoint = max(1, maximumConnectionsPerEndpoint)
            self.recheckInterval = recheckInterval
            self.maximumItemsPerCall = max(1, maximumItemsPerCall)
            self.fallbackConcurrency = max(1, fallbackConcurrency)
            self.sleep = sleep
            self.random = random
        }

        /// A configuration for explicit servers (`http://host:port`, comma-separated).
        public static func servers(_ urls: String, apiKey: String? = nil) -> Configuration {
            Configuration(resolution: EndpointResolver.Inputs(servers: urls, apiKey: apiKey))
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    /// The duration in whole milliseconds (at least 1).
    var milliseconds: Int64 {
        let (s, atto) = components
        return max(1, s * 1000 + atto / 1_000_000_000_000_000)
    }
}
