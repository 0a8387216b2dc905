import ArgumentParser
import BacktestEngine
import BacktestRules
import Foundation

/// `backtest rules`: strategies in the rules language (docs/rules.md).
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check a strategy written in the rules language, or print a built-in's.",
        subcommands: [Check.self, Show.self]
    )

    /// `backtest rules check FILE`: the parameters, indicators and warnings, or the errors.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Compile a rules file: print its parameters, indicators and warnings, or its errors (line:column; exit 2)."
        )

        @Argument(help: "The rules file ('-' reads standard input).")
        var file: String

        func run() throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data else { throw CLIError(message: "cannot read \(file)") }
            guard let source = String(data: data, encoding: .utf8) else { throw CLIError(message: "\(file): not UTF-8 text") }
            let program: RulesProgram
            do {
                program = try RulesProgram.compile(source)
            } catch {
                throw CLIError(message: "\(file):\(error.description)")
            }
            Terminal.stdout(Self.describe(program, name: file))
        }

        static func describe(_ program: RulesProgram, name: String) -> String {
            var out = "\(name): ok, \(program.parameters.count) parameters, \(program.indicatorSummaries.count) indicators\n"
            if !program.parameters.isEmpty {
                var rows = [["parameter", "type", "default", "bounds", "description"]]
                for p in program.parameters {
                    let bounds =
                        p.minimum != nil || p.maximum != nil ? "\(p.minimum.map(Self.number) ?? "")..\(p.maximum.map(Self.number) ?? "")" : ""
                    rows.append([p.name, p.kind.rawValue, p.defaultValue.map(\.description) ?? "", bounds, p.summary])
                }
                out += "\n" + TextColumns.render(rows, alignLeft: true)
            }
            if !program.indicatorSummaries.isEmpty {
                out += "\nindicators:\n" + program.indicatorSummaries.map { "  \($0)\n" }.joined()
            }
            if !program.warnings.isEmpty {
                out += "\nwarnings:\n" + program.warnings.map { "  \($0)\n" }.joined()
            }
            return out
        }

        static func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        }
    }

    /// `backtest rules show NAME`: a built-in strategy in the rules language.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a built-in strategy written in the rules language.")

        @Argument(help: "A built-in strategy's name (see `backtest strategies`).")
        var name: String

        func run() throws {
            guard let source = BuiltinRules.source(for: name) else {
                throw CLIError(message: "no built-in strategy '\(name)' (built-ins: \(BuiltinRules.sources.keys.sorted().joined(separator: ", ")))")
            }
            Terminal.stdout(source + "\n")
        }
    }
}
