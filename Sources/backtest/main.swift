// TEMPORARY (branch `client`): a root command for the client's commands until main's
// BacktestCommand (run/strategies/bench) is merged; then delete this file and add
// BatchCommand, HealthCommand, EndpointCommand and JobsCommand to its subcommands.
import ArgumentParser
import Foundation

struct ClientCommandsRoot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Run trading-strategy backtests on a Backtest server.",
        subcommands: [BatchCommand.self, HealthCommand.self, EndpointCommand.self, JobsCommand.self]
    )
}

func runAsync<Command: AsyncParsableCommand>(_ command: inout Command) async throws {
    try await command.run()
}

// Usage errors exit 2; a failed remote call prints its message and exits 1.
do {
    var command = try ClientCommandsRoot.parseAsRoot()
    if var asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(&asyncCommand)
    } else {
        try command.run()
    }
} catch let failure as RemoteCommandFailure {
    ClientConsole.stderr("\(failure)\n")
    exit(1)
} catch {
    let code = ClientCommandsRoot.exitCode(for: error)
    if code == .validationFailure {
        ClientConsole.stderr("error: " + ClientCommandsRoot.message(for: error) + "\n")
        exit(2)
    }
    ClientCommandsRoot.exit(withError: error)
}
