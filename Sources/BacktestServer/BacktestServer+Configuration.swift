import Foundation

extension BacktestServer {
    /// Everything `backtest serve` can set, with the documented defaults.
    public struct Configuration: Sendable {
        /// Address to bind. Default `127.0.0.1`.
        public var host: String
        /// Port to bind; `0` picks a free one. Default `8000`.
        public var port: Int
        /// Folder of `TICKER.csv` files served before the bundled sample set. Default: none.
        public var dataDirectory: String?
        /// SQLite database for cached results and jobs. Default: ``defaultDatabasePath()``.
        public var databasePath: String
        /// Backtest worker threads. Default: the number of cores.
        public var workers: Int
        /// Backtests that may wait for a worker before new work gets 429. Default
        /// ``WorkerPool/Configuration/defaultQueueLimit`` (256).
        public var queueLimit: Int
        /// Accepted API keys (`Authorization: Bearer KEY`); empty means no auth. Default: none.
        public var apiKeys: [String]
        /// Allow binding a non-loopback address without keys. Default `false`.
        public var insecureNoAuth: Bool
        /// Cache results in memory and in the database. Default `true`.
        public var cacheEnabled: Bool
        /// Results kept in the in-memory LRU. Default `10_000`.
        public var memoryCacheEntries: Int
        /// Results kept in the database; beyond it the oldest are deleted. Default `100_000`.
        public var storedResultsLimit: Int = 100_000
        /// Jobs that ended (done, failed, cancelled) longer ago than this are deleted with
        /// their results (checked at start and hourly). Default 7 days.
        public var jobRetention: Duration = .seconds(7 * 86_400)
        /// Largest request body accepted (413 beyond). Default 1 MiB.
        public var maxBodyBytes: Int
        /// A PostgreSQL database for the result cache and jobs, which several servers can share
        /// (`--database`); `nil` keeps them in the SQLite file at ``databasePath`` (the
        /// default). Imported bars stay in that file either way.
        public var databaseURL: DatabaseURL?
        /// How long a node's claim on a job item holds without being extended; a node that
        /// dies loses its items to the others after this long (`--lease-seconds`). Default 10 s.
        public var leaseSeconds: Double = 10
        /// The most combinations one parameter search may have (before its constraint);
        /// a larger grid is refused with 413 `too_many_combinations`. Default 1,000,000.
        public var maxCombinations: Int = 1_000_000
        /// Largest CSV upload (`PUT /v1/tickers/{T}/bars`) accepted (413 beyond). Default 64 MiB.
        public var maxUploadBytes: Int = 64 << 20
        /// Close connections idle (no bytes read) for this long. Default 30 s.
        public var idleTimeout: Duration
        /// Time between refusing new work and stopping the listener, so load balancers see
        /// `/ready` fail. Default 0 s.
        public var drainDelay: Duration
        /// Longest graceful shutdown before in-flight work is cancelled. Default 20 s.
        public var drainTimeout: Duration
        /// Backtests of one job (or one batch) that may run at once. Default: `workers`.
        public var itemConcurrency: Int
        /// Serve HTTPS with this certificate and key. Default: none (plain HTTP, which only a
        /// loopback address or ``plaintextBehindProxy`` allows).
        public var tls: TLSFiles?
        /// Serve plain HTTP on a non-loopback address, for a server behind a TLS-terminating
        /// proxy (`--no-tls`); a warning says that keys travel unencrypted to the proxy.
        /// Default `false`.
        public var plaintextBehindProxy = false
        /// Check every reply against the API document (``APIDocument``) and answer a 500
        /// `contract_violation` problem in place of one that breaks it. For test servers:
        /// it costs a parse per reply. Default `false`.
        public var checksReplies = false

        /// Creates a configuration with the defaults above.
        public init(
            host: String = "127.0.0.1",
            port: Int = 8000,
            dataDirectory: String? = nil,
            databasePath: String = Configuration.defaultDatabasePath(),
            workers: Int = ProcessInfo.processInfo.activeProcessorCount,
            queueLimit: Int = WorkerPool.Configuration.defaultQueueLimit,
            apiKeys: [String] = [],
            insecureNoAuth: Bool = false,
            cacheEnabled: Bool = true,
            memoryCacheEntries: Int = 10_000,
            maxBodyBytes: Int = 1 << 20,
            idleTimeout: Duration = .seconds(30),
            drainDelay: Duration = .zero,
            drainTimeout: Duration = .seconds(20),
            itemConcurrency: Int? = nil
        ) {
            self.host = host
            self.port = port
            self.dataDirectory = dataDirectory
            self.databasePath = databasePath
            self.workers = max(1, workers)
            self.queueLimit = max(0, queueLimit)
            self.apiKeys = apiKeys
            self.insecureNoAuth = insecureNoAuth
            self.cacheEnabled = cacheEnabled
            self.memoryCacheEntries = max(1, memoryCacheEntries)
            self.maxBodyBytes = maxBodyBytes
            self.idleTimeout = idleTimeout
            self.drainDelay = drainDelay
            self.drainTimeout = drainTimeout
            self.itemConcurrency = max(1, itemConcurrency ?? max(1, workers))
        }

        /// `$XDG_DATA_HOME/backtest/backtest.sqlite`, else `~/.local/share/backtest/backtest.sqlite`.
        public static func defaultDatabasePath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
            let base: String
            if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
                base = xdg
            } else {
                let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
                base = (home as NSString).appendingPathComponent(".local/share")
            }
            return ((base as NSString).appendingPathComponent("backtest") as NSString).appendingPathComponent("backtest.sqlite")
        }

        /// The PEM files of a TLS server: the certificate chain (the server's certificate first)
        /// and its private key.
        public struct TLSFiles: Sendable, Hashable {
            /// The certificate chain, PEM (`--tls-cert`, `BACKTEST_TLS_CERT`).
            public var certificatePath: String
            /// The private key, PEM (`--tls-key`, `BACKTEST_TLS_KEY`); mode 0600 or 0400 is fine.
            public var privateKeyPath: String

            /// Creates the pair.
            public init(certificatePath: String, privateKeyPath: String) {
                self.certificatePath = certificatePath
                self.privateKeyPath = privateKeyPath
            }
        }

        /// `https` with TLS, else `http`.
        public var scheme: String { tls == nil ? "http" : "https" }

        /// Whether `host` names a loopback address (`localhost`, `127.0.0.0/8`, `::1`).
        public static func isLoopback(_ host: String) -> Bool {
            let h = host.lowercased()
            return h == "localhost" || h.hasPrefix("127.") || h == "::1" || h == "[::1]"
        }

        /// Checks the combination of settings.
        ///
        /// - Throws: ``ServerError`` `insecure_bind` when asked to bind a non-loopback
        ///   address without API keys (unless ``insecureNoAuth``), `tls_required` when asked to
        ///   bind one without TLS (unless ``plaintextBehindProxy``), `invalid_configuration`
        ///   for out-of-range values.
        public func validate() throws(ServerError) {
            guard (0...65_535).contains(port) else {
                throw ServerError(code: .invalidConfiguration, message: "port must be in 0...65535, got \(port)")
            }
            guard maxBodyBytes > 0 else {
                throw ServerError(code: .invalidConfiguration, message: "the body limit must be positive")
            }
            if apiKeys.isEmpty && !insecureNoAuth && !Self.isLoopback(host) {
                throw ServerError(
                    code: .insecureBind,
                    message: "refusing to listen on \(host) without API keys: anyone on the network could use this server. "
                        + "Give keys with --api-key-file FILE or BACKTEST_API_KEYS=key1,key2, bind 127.0.0.1, "
                        + "or pass --insecure-no-auth to accept unauthenticated requests from the network"
                )
            }
            if tls == nil && !plaintextBehindProxy && !Self.isLoopback(host) {
                throw ServerError(
                    code: .tlsRequired,
                    message: "refusing to listen on \(host) without TLS: API keys would cross the network in clear text. "
                        + "Give --tls-cert FILE --tls-key FILE (make them with `backtest cert init --host ADDR --out DIR`), "
                        + "bind 127.0.0.1, or pass --no-tls behind a TLS-terminating proxy"
                )
            }
        }
    }
}
