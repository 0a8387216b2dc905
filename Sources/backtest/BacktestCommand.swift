import ArgumentParser
import BacktestEngine
import Foundation
import MarketData

/// The `backtest` command-line tool.
@main
struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Run trading-strategy backtests locally or on a Backtest server.",
        version: BacktestVersion.current,
        subcommands: [
            RunCommand.self, BatchCommand.self, PortfolioCommand.self, OptimizeCommand.self, ReportCommand.self, StrategiesCommand.self,
            RulesCommand.self, StatsCommand.self,
            RobustnessCommand.self, BenchCommand.self,
            ServeCommand.self,
            HealthCommand.self, EndpointCommand.self, JobsCommand.self, DataCommand.self, ConfigCommand.self, CertCommand.self,
        ]
    )

    /// Parses and runs; every usage or input error prints one line on stderr and exits 2.
    ///
    /// `batch`, `run` and `health` in their plain spellings skip ArgumentParser's reflection
    /// (``FastCommandLine``); everything else, help and every usage error go through it.
    static func main() async {
        do {
            if let command = FastCommandLine.command(Array(CommandLine.arguments.dropFirst())) {
                try await command.run()
                return
            }
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode where code != .validationFailure {
            // What the handling below does for it (no message), without ArgumentParser
            // building a usage text to throw away.
            Foundation.exit(code.rawValue)
        } catch let error as CLIError {
            Terminal.error(error.message)
            Foundation.exit(error.exitCode)
        } catch let failure as RemoteCommandFailure {
            // a remote call that failed after its retries: the work failed, not the usage
            Terminal.stderr("\(failure)\n")
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help / --version
                let text = fullMessage(for: error)
                if !text.isEmpty { print(text) }
                Foundation.exit(0)
            }
            if code == .validationFailure {
                Terminal.error(message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage")
                Foundation.exit(2)
            }
            let text = message(for: error)
            if !text.isEmpty { Terminal.error(text) }
            Foundation.exit(code.rawValue)
        }
    }
}

/// The tool's version.
enum BacktestVersion {
    static let current = "0.1.0"
}

/// An error that ends the command with a message on stderr and an exit code (2: bad usage
/// or input; 1: the work itself failed).
struct CLIError: Error {
    var message: String
    var exitCode: Int32 = 2

    init(message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }

    /// An input error from the engine or the data layer, as a usage error (exit 2).
    init(_ error: any Error) {
        switch error {
        case let e as CLIError: self = e
        case let e as BacktestError: self.init(message: e.message)
        case let e as MarketDataError: self.init(message: e.description)
        default: self.init(message: "\(error)")
        }
    }
}
