import ArgumentParser
import BacktestAPI
import BacktestClient

/// The flags of every command that talks to a server: where it is, the API key, timeouts
/// (ArgumentParser's declaration of ``RemoteSettings``).
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
    var connectTimeout: Double = RemoteSettings.defaults.connectTimeout

    @Option(help: ArgumentHelp("Seconds allowed between bytes of a reply (default 600).", valueName: "seconds"))
    var readTimeout: Double = RemoteSettings.defaults.readTimeout

    @Option(help: ArgumentHelp("Retries of a failed request (default 3).", valueName: "n"))
    var retries: Int = RemoteSettings.defaults.retries

    @Flag(help: "Log every request attempt on stderr.")
    var verbose = false

    func validate() throws {
        if let problem = settings.problem { throw ValidationError(problem) }
    }

    /// The values given, as a plain value (``RemoteSettings``) that does the work.
    var settings: RemoteSettings {
        RemoteSettings(
            server: server,
            apiKey: apiKey,
            caCert: caCert,
            connectTimeout: connectTimeout,
            readTimeout: readTimeout,
            retries: retries,
            verbose: verbose
        )
    }

    /// ``RemoteSettings/withClient(embeddedFallback:_:)`` of these flags.
    func withClient<Result: Sendable>(
        embeddedFallback: Bool,
        _ body: (BacktestClient) async throws -> Result
    ) async throws -> Result {
        try await settings.withClient(embeddedFallback: embeddedFallback, body)
    }
}

/// A client error as a command failure: the message on stderr, exit status 1.
struct RemoteCommandFailure: Error, CustomStringConvertible {
    var error: BacktestClientError
    var description: String { "error: \(error.message)" }
}
