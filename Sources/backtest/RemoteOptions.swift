import ArgumentParser
import BacktestAPI
import BacktestClient
import Foundation
import Logging

/// The flags of every command that talks to a server: where it is, the API key, timeouts.
struct RemoteOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Server URL(s), comma-separated (default: BACKTEST_URL, the config file, BACKTEST_DISCOVER, http://127.0.0.1:8000).",
            valueName: "url"
        )
    )
    var server: String?

    @Option(help: ArgumentHelp("API key (default: BACKTEST_API_KEY or the config file).", valueName: "key"))
    var apiKey: String?

    @Option(
        name: .customLong("ca-cert"),
        help: ArgumentHelp(
            "PEM file of a private CA to trust for https:// servers, besides the system's (default: BACKTEST_CA_CERT or the config file's ca_cert).",
            valueName: "pem"
        )
    )
    var caCert: String?

    @Option(help: ArgumentHelp("Seconds allowed to connect (default 30).", valueName: "seconds"))
    var connectTimeout: Double = 30

    @Option(help: ArgumentHelp("Seconds allowed between bytes of a reply (default 600).", valueName: "seconds"))
    var readTimeout: Double = 600

    @Option(help: ArgumentHelp("Retries of a failed request (default 3).", valueName: "n"))
    var retries: Int = 3

    @Flag(help: "Log every request attempt on stderr.")
    var verbose = false

    func validate() throws {
        guard connectTimeout > 0, connectTimeout.isFinite else { throw ValidationError("--connect-timeout must be positive") }
        guard readTimeout > 0, readTimeout.isFinite else { throw ValidationError("--read-timeout must be positive") }
        guard retries >= 0 else { throw ValidationError("--retries must be 0 or more") }
    }

    /// The client configuration these flags and the process environment describe.
    func clientConfiguration() -> BacktestClient.Configuration {
        var configuration = BacktestClient.Configuration(
            resolution: EndpointResolver.Inputs(
                servers: server,
                apiKey: apiKey,
                caCertificate: caCert,
                environment: ProcessInfo.processInfo.environment
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

/// A client error as a command failure: the message on stderr, exit status 1.
struct RemoteCommandFailure: Error, CustomStringConvertible {
    var error: BacktestClientError
    var description: String { "error: \(error.message)" }
}
