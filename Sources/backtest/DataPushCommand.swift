import ArgumentParser
import BacktestAPI
import BacktestClient
import Foundation
import MarketData

/// `backtest data push FILE.csv [--server URL]`: uploads a CSV to a server's store
/// (`PUT /v1/tickers/{T}/bars`) through the client, so it finds the server, sends the key
/// and retries like every remote command.
struct DataPushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a CSV file of bars to a Backtest server (PUT /v1/tickers/{T}/bars).",
        discussion: """
            The server validates the file the same way `data import` does; a refused file imports nothing \
            (exit status 2, the error names its line). The server is found like every remote command's \
            (--server, BACKTEST_URL, the config file, BACKTEST_DISCOVER, http://127.0.0.1:8000); with several \
            servers, the first one gets the file.
            """
    )

    @OptionGroup var input: BarsFileOptions

    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        let (symbol, data) = try input.read()
        let environment = ProcessEnvironment.variables()
        if remote.server == nil, environment["BACKTEST_URL"] == nil, environment["BACKTEST_SERVER"] != nil {
            Terminal.stderr("warning: BACKTEST_SERVER is not read (any more); set BACKTEST_URL, as for every command\n")
        }
        let (reply, endpoint) = try await remote.withClient(embeddedFallback: false) { client in
            do {
                let reply = try await client.uploadBars(data, ticker: symbol.uppercased(), adjust: input.adjust)
                return (reply, await client.endpoints.first?.url ?? "the server")
            } catch let error as BacktestClientError where Self.isRefusal(error) {
                // The server refusing the file, the ticker or the key is bad input (exit 2),
                // not an operational failure.
                throw CLIError(message: error.message)
            }
        }
        for warning in reply.warnings { Terminal.stderr("warning: \(warning)\n") }
        Terminal.stdout(
            "uploaded \(reply.ticker) to \(endpoint): \(DataFormat.count(reply.bars)) bars \(reply.first) .. \(reply.last)"
                + (reply.replaced > 0 ? " (replaced \(DataFormat.count(reply.replaced)) bars)" : "") + "\n"
        )
    }

    /// A 4xx other than 429: the server will refuse it again.
    static func isRefusal(_ error: BacktestClientError) -> Bool {
        guard let status = error.status else { return false }
        return (400..<500).contains(status) && status != 429
    }
}
