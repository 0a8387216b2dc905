import BacktestAPI
import BacktestClient
import Foundation
import Logging

/// Where the server is and how to talk to it: the values of ``RemoteOptions``, as a plain value
/// that ``FastCommandLine`` also builds (without ArgumentParser's property wrappers, whose
/// first use costs scans of the binary's conformance records: BENCHMARKS.md, "Start-up").
struct RemoteSettings: Equatable, Sendable {
    /// Server URL(s), comma-separated; `nil`: resolved (BACKTEST_URL, the config file, …).
    var server: String?
    /// The API key; `nil`: BACKTEST_API_KEY or the config file.
    var apiKey: String?
    /// A PEM file of a private CA for https:// servers.
    var caCert: String?
    /// Seconds allowed to connect (default 30).
    var connectTimeout: Double = 30
    /// Seconds allowed between bytes of a reply (default 600).
    var readTimeout: Double = 600
    /// Retries of a failed request (default 3).
    var retries: Int = 3
    /// Log every request attempt on stderr.
    var verbose = false

    /// The defaults, which `--help` prints.
    static let defaults = RemoteSettings()

    /// The first value out of range, in the words of a usage error; `nil` when all are good.
    var problem: String? {
        guard connectTimeout > 0, connectTimeout.isFinite else { return "--connect-timeout must be positive" }
        guard readTimeout > 0, readTimeout.isFinite else { return "--read-timeout must be positive" }
        guard retries >= 0 else { return "--retries must be 0 or more" }
        return nil
    }

    /// The client configuration these flags and the process environment describe.
    func clientConfiguration() -> BacktestClient.Configuration {
        var configuration = BacktestClient.Configuration(
            resolution: EndpointResolver.Inputs(
                servers: server,
                apiKey: apiKey,
                caCertificate: caCert,
                environment: ProcessEnvironment.variables()
            )
        )
        configuration.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        configuration.readTimeout = .milliseconds(Int64(readTimeout * 1000))
        configuration.retryPolicy.maximumRetries = retries
        return configuration
    }

    /// A logger on stderr: debug level with `--verbose`, warnings otherwise.
    func logger() -> Logger {
        var logger = Logger(label: "backtest.client") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// Runs `body` with a client whose endpoints are resolved; a client error (resolution or
    /// a call in `body`) becomes a ``RemoteCommandFailure`` (exit status 1).
    ///
    /// With `embeddedFallback`, when no server is found, starts an ``EmbeddedServer`` on
    /// 127.0.0.1 (a free port, the bundled data), announces it on stderr, and stops it
    /// afterwards: resolution step 6, the zero-configuration default.
    func withClient<Result: Sendable>(
        embeddedFallback: Bool,
        _ body: (BacktestClient) async throws -> Result
    ) async throws -> Result {
        try await BacktestClient.withClient(configuration: clientConfiguration(), logger: logger()) { client in
            do {
                do {
                    _ = try await client.resolve()
                } catch let error as BacktestClientError where error.code == .noEndpoint && embeddedFallback {
                    return try await EmbeddedServer.withServer { endpoint in
                        Terminal.stderr(
                            "No backtest server found (see `backtest endpoint`); started an embedded one at \(endpoint) with the bundled data.\n"
                        )
                        await client.use([endpoint], source: .embedded, reason: "no server found; started one in-process")
                        return try await body(client)
                    }
                }
                return try await body(client)
            } catch let error as BacktestClientError {
                throw RemoteCommandFailure(error: error)
            }
        }
    }
}
