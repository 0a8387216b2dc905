import ArgumentParser
import BacktestAPI
import BacktestClient
import Foundation

/// `backtest endpoint`: which server the other commands would use, and why.
struct EndpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint",
        abstract:
            "Show which server the remote commands use and why (resolution order: --server, BACKTEST_URL, config file, discovery, 127.0.0.1:8000, embedded)."
    )

    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        let configuration = remote.settings.clientConfiguration()
        let client = BacktestClient(configuration: configuration, logger: remote.settings.logger())
        let outcome: Result<EndpointResolver.Resolution, BacktestClientError>
        do {
            outcome = .success(try await client.resolve())
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        switch outcome {
        case .success(let r):
            Terminal.stdout(
                """
                endpoint: \(r.endpoints.map(\.url).joined(separator: ", "))
                source:   \(r.source.rawValue) (\(r.reason))
                api key:  \(r.apiKeySource.map { "from \($0)" } ?? "none")
                ca cert:  \(r.caCertificate.map { "\($0) (from \(r.caCertificateSource ?? "--ca-cert"))" } ?? "none (the system's roots)")

                """
            )
            for line in r.skipped { Terminal.stdout("  skipped \(line)\n") }
        case .failure(let error) where error.code == .noEndpoint:
            Terminal.stdout(
                """
                endpoint: embedded
                source:   embedded (no server found; `backtest batch` and `backtest run --ticker` start one in-process on 127.0.0.1 with the bundled data)

                """
            )
            let lines = error.message.split(separator: "\n").dropFirst()
            for line in lines { Terminal.stdout("  skipped \(line.trimmingCharacters(in: .whitespaces))\n") }
        case .failure(let error):
            Terminal.stderr("error: \(error.message)\n")
            throw ExitCode(2)
        }
    }
}
