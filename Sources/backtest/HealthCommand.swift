import ArgumentParser
import BacktestAPI
import BacktestClient
import Foundation

/// `backtest health`: is the server up, how busy is it.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Show the health of the server(s): status, version, workers, load. Exit 1 when one does not answer."
    )

    @OptionGroup var remote: RemoteOptions

    @Flag(help: "Print the /health replies as JSON.")
    var json = false

    /// The values given, as a plain value that does the work.
    var settings: Settings { Settings(remote: remote.settings, json: json) }

    func run() async throws {
        try await settings.run()
    }

    /// What `backtest health` was asked (``FastCommandLine`` builds it without ArgumentParser).
    struct Settings: Equatable, Sendable {
        /// Which server(s), how to talk to them.
        var remote = RemoteSettings()
        /// `--json`.
        var json = false

        /// Prints every endpoint's `/health`; exit status 1 when one does not answer.
        func run() async throws {
            let all = try await remote.withClient(embeddedFallback: false) { client in
                try await client.healthOfEndpoints()
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let objects = all.map { HealthEntry(endpoint: $0.endpoint.url, health: $0.health) }
                Terminal.stdout(String(decoding: try encoder.encode(objects), as: UTF8.self) + "\n")
            } else {
                for (endpoint, health) in all {
                    if let h = health {
                        Terminal.stdout(
                            "\(endpoint)  \(h.status)  version \(h.version)  up \(FixedPoint.string(h.uptimeS, decimals: 0)) s  "
                                + "workers \(h.workers)  in flight \(h.inFlight)  queued \(h.queued)\n"
                        )
                    } else {
                        Terminal.stdout("\(endpoint)  not answering\n")
                    }
                }
            }
            if all.contains(where: { $0.health == nil }) { throw ExitCode(1) }
        }
    }

    struct HealthEntry: Encodable {
        var endpoint: String
        var health: Health?
    }
}
