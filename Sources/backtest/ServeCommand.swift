import ArgumentParser
import BacktestServer
import Foundation
import Logging

/// `backtest serve`: runs the HTTP API server.
///
/// Every option also reads an environment variable (the flag wins). The first line on
/// stdout is `listening on http://HOST:PORT` (`https://` with TLS), so scripts can use
/// `--port 0`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the backtest HTTP server.",
        discussion: """
            Environment: BACKTEST_HOST, BACKTEST_PORT, BACKTEST_DATA_DIR, BACKTEST_DB, BACKTEST_DATABASE_URL, BACKTEST_WORKERS, \
            BACKTEST_QUEUE_LIMIT, BACKTEST_API_KEYS (comma-separated keys), BACKTEST_CACHE_MAX_RESULTS, \
            BACKTEST_JOB_RETENTION_HOURS, BACKTEST_TLS_CERT, BACKTEST_TLS_KEY. A non-loopback address needs \
            API keys (or --insecure-no-auth) and TLS (or --no-tls behind a TLS-terminating proxy).
            """
    )

    @Option(help: "Address to bind (env BACKTEST_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to bind, 0 for any free port (env BACKTEST_PORT; default 8000).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Folder of TICKER.csv files served before the bundled sample set (env BACKTEST_DATA_DIR).")
    var dataDir: String?

    @Option(help: "SQLite database for cached results and jobs (env BACKTEST_DB; default $XDG_DATA_HOME/backtest/backtest.sqlite).")
    var db: String?

    @Option(
        help: ArgumentHelp(
            "PostgreSQL for cached results and jobs, shared by several servers: postgres://USER[:PASS]@HOST[:PORT]/DB[?sslmode=…] (env BACKTEST_DATABASE_URL; imported bars stay in --db).",
            valueName: "url"
        )
    )
    var database: String?

    @Option(help: "Backtest worker threads (env BACKTEST_WORKERS; default: number of cores).")
    var workers: Int?

    @Option(
        name: .customLong("queue-limit"),
        help: "Backtests that may wait before new ones get 429 (env BACKTEST_QUEUE_LIMIT; default \(WorkerPool.Configuration.defaultQueueLimit))."
    )
    var queueLimit: Int?

    @Option(name: .customLong("api-key-file"), help: "File of API keys, one per line (keys from BACKTEST_API_KEYS are added).")
    var apiKeyFile: String?

    @Option(name: .customLong("max-upload-mb"), help: "Largest CSV upload (PUT /v1/tickers/{T}/bars) in MiB (default 64).")
    var maxUploadMB: Int?

    @Option(
        help: "Seconds a node's claim on a job item holds without being extended; a dead node's items move to the others after this (default 10)."
    )
    var leaseSeconds: Double?

    @Option(help: "Most combinations of one parameter search, before its constraint (413 beyond; default 1000000).")
    var maxCombinations: Int?

    @Option(
        name: .customLong("cache-max-results"),
        help: "Cached results kept in the database; beyond it the oldest are deleted, down to 90 % (env BACKTEST_CACHE_MAX_RESULTS; default 100000)."
    )
    var cacheMaxResults: Int?

    @Option(
        name: .customLong("job-retention-hours"),
        help: "Ended jobs are deleted this long after they ended (env BACKTEST_JOB_RETENTION_HOURS; default 168 = 7 days)."
    )
    var jobRetentionHours: Int?

    @Option(
        name: .customLong("tls-cert"),
        help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (env BACKTEST_TLS_CERT; see `backtest cert init`).", valueName: "pem")
    )
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The PEM private key of --tls-cert (env BACKTEST_TLS_KEY).", valueName: "pem"))
    var tlsKey: String?

    @Flag(
        name: .customLong("no-tls"),
        help: "Serve plain HTTP on a non-loopback address, behind a TLS-terminating proxy (keys travel unencrypted to it)."
    )
    var noTLS = false

    @Flag(name: .customLong("no-cache"), help: "Do not cache results (memory or database).")
    var noCache = false

    @Flag(name: .customLong("insecure-no-auth"), help: "Allow binding a non-loopback address without API keys.")
    var insecureNoAuth = false

    mutating func run() async throws {
        let environment = ProcessEnvironment.variables()
        func integer(_ flag: Int?, _ name: String, _ variable: String, _ range: ClosedRange<Int>) throws -> Int? {
            if let flag {
                guard range.contains(flag) else { throw ValidationError("\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(flag)") }
                return flag
            }
            guard let text = environment[variable], !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw ValidationError("\(variable) must be a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
            }
            return value
        }
        var keys = (environment["BACKTEST_API_KEYS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        if let apiKeyFile { keys += try APIKeys.load(file: apiKeyFile) }

        let defaults = BacktestServer.Configuration()
        var configuration = BacktestServer.Configuration(
            host: host ?? environment["BACKTEST_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? defaults.host,
            port: try integer(port, "--port", "BACKTEST_PORT", 0...65_535) ?? defaults.port,
            dataDirectory: dataDir ?? environment["BACKTEST_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 },
            databasePath: db ?? environment["BACKTEST_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? defaults.databasePath,
            workers: try integer(workers, "--workers", "BACKTEST_WORKERS", 1...1_024) ?? defaults.workers,
            queueLimit: try integer(queueLimit, "--queue-limit", "BACKTEST_QUEUE_LIMIT", 0...1_000_000) ?? defaults.queueLimit,
            apiKeys: keys,
            insecureNoAuth: insecureNoAuth,
            cacheEnabled: !noCache
        )
        if let limit = try integer(cacheMaxResults, "--cache-max-results", "BACKTEST_CACHE_MAX_RESULTS", 0...1_000_000_000) {
            configuration.storedResultsLimit = limit
        }
        if let hours = try integer(jobRetentionHours, "--job-retention-hours", "BACKTEST_JOB_RETENTION_HOURS", 1...1_000_000) {
            configuration.jobRetention = .seconds(hours * 3_600)
        }
        if let text = database ?? environment["BACKTEST_DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                configuration.databaseURL = try DatabaseURL(parsing: text)
            } catch {
                throw ValidationError(error.message)
            }
        }
        if let leaseSeconds {
            guard leaseSeconds.isFinite, (1...3_600).contains(leaseSeconds) else {
                throw ValidationError("--lease-seconds must be in 1...3600, got \(leaseSeconds)")
            }
            configuration.leaseSeconds = leaseSeconds
        }
        if let maxCombinations {
            guard maxCombinations >= 1 else { throw ValidationError("--max-combinations must be at least 1, got \(maxCombinations)") }
            configuration.maxCombinations = maxCombinations
        }
        if let maxUploadMB {
            guard (1...4_096).contains(maxUploadMB) else { throw ValidationError("--max-upload-mb must be in 1...4096, got \(maxUploadMB)") }
            configuration.maxUploadBytes = maxUploadMB << 20
        }
        configuration.tls = try tlsFiles(environment: environment)
        configuration.plaintextBehindProxy = noTLS
        if let dir = configuration.dataDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--data-dir \(dir) is not a folder")
            }
        }
        var logger = Logger(label: "backtest.server")
        logger.logLevel = .info
        let server = try BacktestServer(configuration: configuration, logger: logger) { address in
            Terminal.stdout("listening on \(address)\n")
        }
        try await server.runUntilSignalled()
    }

    /// The TLS certificate and key from the flags or the environment: both or neither.
    private func tlsFiles(environment: [String: String]) throws -> BacktestServer.Configuration.TLSFiles? {
        let certificate = tlsCert ?? environment["BACKTEST_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 }
        let key = tlsKey ?? environment["BACKTEST_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case (let certificate?, let key?):
            if noTLS { throw ValidationError("--no-tls contradicts --tls-cert/--tls-key (or BACKTEST_TLS_CERT/BACKTEST_TLS_KEY)") }
            return .init(certificatePath: certificate, privateKeyPath: key)
        case (nil, _?):
            throw ValidationError("--tls-key needs --tls-cert (or BACKTEST_TLS_CERT)")
        case (_?, nil):
            throw ValidationError("--tls-cert needs --tls-key (or BACKTEST_TLS_KEY)")
        }
    }
}
