import ArgumentParser
import Foundation
import Testing

@testable import backtest

/// The hand-written parser of `batch`, `run` and `health`: its tables are the commands'
/// declarations, it builds exactly the values ArgumentParser builds, and it leaves to
/// ArgumentParser every line it does not fully understand.
@Suite("FastCommandLine")
struct FastCommandLineTests {
    /// One argument of `backtest COMMAND --experimental-dump-help`.
    struct DumpedArgument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: String
        var names: [Name]?
        var isRepeating: Bool
        var defaultValue: String?
    }

    struct Dump: Decodable {
        struct Command: Decodable {
            var arguments: [DumpedArgument]
        }

        var command: Command
    }

    @Test("the tables list every option of the command, with its kind and default", arguments: ["batch", "run", "health"])
    func tablesMatchTheDeclarations(_ name: String) throws {
        let r = try CLI.run([name, "--experimental-dump-help"])
        #expect(r.status == 0, "\(r.stderr)")
        let arguments = try JSONDecoder().decode(Dump.self, from: Data(r.stdout.utf8)).command.arguments
        let table = try #require(FastCommandLine.table(name))
        var declared: [String: FastCommandLine.Spec] = [:]
        var positionals = 0
        for argument in arguments {
            guard argument.kind != "positional" else {
                positionals += 1
                #expect(argument.isRepeating, "one repeating positional (the tickers) is all the parser knows")
                continue
            }
            let names = argument.names ?? []
            #expect(names.count == 1 || names.contains { $0.name == "help" }, "\(names.map(\.name))")
            #expect(names.allSatisfy { $0.kind == "long" || $0.name == "h" })
            guard let long = names.first(where: { $0.kind == "long" })?.name, long != "help", long != "version" else { continue }
            let kind: FastCommandLine.Kind = argument.kind == "flag" ? .flag : argument.isRepeating ? .values : .value
            declared[long] = FastCommandLine.Spec(kind: kind, defaultValue: argument.kind == "flag" ? nil : argument.defaultValue)
        }
        #expect(positionals == (table.takesPositionals ? 1 : 0))
        #expect(declared.count == table.options.count)
        #expect(Set(table.options.map(\.name)).count == table.options.count, "an option is listed twice")
        for (option, spec) in declared {
            #expect(table.spec(option) == spec, "--\(option)")
        }
        for option in table.options.map(\.name) where declared[option] == nil {
            Issue.record("--\(option) is in the table but not declared")
        }
    }

    static let remoteFlags = [
        "--server", "http://a:1,http://b:2", "--api-key", "k", "--ca-cert", "ca.pem", "--connect-timeout", "2.5", "--read-timeout=9",
        "--retries", "0", "--verbose",
    ]
    static let engineFlags = [
        "--strategy", "rules", "--rules", "r.txt", "--rules-text=entry: x", "--param", "fast=5", "--param=slow=20", "--cash", "5000",
        "--commission", "1,0.002", "--spread", "0.001", "--margin", "0.5", "--trade-on-close", "--hedging", "--exclusive-orders",
        "--finalize-trades", "--sl-pct", "0.05", "--tp-pct", "0.1",
    ]

    @Test(
        "the values are ArgumentParser's",
        arguments: [
            ["batch", "AAPL"],
            ["batch", "AAPL", "msft", "--start", "2020-01-01", "GOOG", "--end=2020-12-31", "--workers", "+4", "--format", "csv", "--sort", "return"],
            ["batch", "AAPL", "--html", "out.html", "--format=json"] + remoteFlags + engineFlags,
            ["run", "--csv", "GOOG.csv", "--strategy", "sma_cross"],
            ["run", "--ticker", "AAPL", "--start", "2020-01-01", "--include", "trades,equity", "--format", "json", "--html", "x.html"]
                + remoteFlags + engineFlags,
            ["run", "--request", "case.json"],
            ["run"],
            ["health"],
            ["health", "--json"] + remoteFlags,
        ]
    )
    func sameValuesAsArgumentParser(_ line: [String]) throws {
        let fast = try #require(FastCommandLine.command(line), "\(line) went to ArgumentParser")
        let parsed = try BacktestCommand.parseAsRoot(line)
        switch (fast, parsed) {
        case (let a as BatchCommand.Settings, let b as BatchCommand): #expect(a == b.settings)
        case (let a as RunCommand.Settings, let b as RunCommand): #expect(a == b.settings)
        case (let a as HealthCommand.Settings, let b as HealthCommand): #expect(a == b.settings)
        default: Issue.record("\(type(of: fast)) against \(type(of: parsed))")
        }
    }

    @Test(
        "lines it does not fully understand go to ArgumentParser",
        arguments: [
            [], ["--help"], ["batch"], ["batch", "--help"], ["batch", "-h"], ["batch", "help"], ["batch", "AAPL", "--version"],
            ["batch", "AAPL", "--"], ["batch", "--", "AAPL"], ["batch", "AAPL", "-x"], ["batch", "AAPL", ""], ["batch", "AAPL", "--bogus"],
            ["batch", "AAPL", "--json"], ["batch", "AAPL", "--workers"], ["batch", "AAPL", "--workers", "0"], ["batch", "AAPL", "--workers", "x"],
            ["batch", "AAPL", "--workers", "-1"], ["batch", "AAPL", "--workers=-1"], ["batch", "AAPL", "--start", "a", "--start", "b"],
            ["batch", "AAPL", "--verbose", "--verbose"], ["batch", "AAPL", "--verbose=true"], ["batch", "AAPL", "--format", "xml"],
            ["batch", "AAPL", "--sort", "alpha"], ["batch", "AAPL", "--start="], ["batch", "AAPL", "--strategy", "help"],
            ["batch", "AAPL", "--connect-timeout", "0"], ["batch", "AAPL", "--read-timeout", "inf"], ["batch", "AAPL", "--retries", "1.5"],
            ["batch", "AAPL", "--experimental-dump-help"], ["run", "extra"], ["run", "--csv"], ["run", "--format", "xml"],
            ["run", "--tickers", "AAPL"], ["health", "extra"], ["health", "--json=yes"], ["health", "--connect-timeout", "nan"],
            ["health", "--strategy", "x"], ["jobs", "status", "x"], ["help", "batch"], ["Batch", "AAPL"],
        ]
    )
    func fallsBack(_ line: [String]) {
        #expect(FastCommandLine.command(line) == nil)
    }
}
