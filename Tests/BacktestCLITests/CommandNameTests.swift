import ArgumentParser
import Testing

@testable import backtest

/// Every command names itself. Without `commandName`, ArgumentParser derives the name from
/// `String(describing: Self.self)` each time it builds the command tree (every parse, every
/// `--help`), and each such call makes dynamic casts whose first use per type scans all of the
/// binary's conformance records: half the instructions of `backtest --help` (BENCHMARKS.md,
/// "Seventh round").
@Suite("Command names")
struct CommandNameTests {
    static func commands(_ root: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
        [root] + root.configuration.subcommands.flatMap { commands($0) }
    }

    @Test("Every command in the tree sets commandName; the formerly derived ones keep their names")
    func everyCommandIsNamed() {
        let all = Self.commands(BacktestCommand.self)
        #expect(all.count > 30)
        for command in all {
            #expect(command.configuration.commandName != nil, "\(command) has no commandName")
        }
        // The seven that ArgumentParser used to name from their types keep those names.
        let derived: [any ParsableCommand.Type] = [
            JobsCommand.Submit.self, JobsCommand.Status.self, JobsCommand.Watch.self, JobsCommand.Cancel.self, JobsCommand.Delete.self,
            RulesCommand.Check.self, RulesCommand.Show.self,
        ]
        for command in derived {
            #expect(command.configuration.commandName == String(describing: command).lowercased(), "\(command)")
        }
    }
}
