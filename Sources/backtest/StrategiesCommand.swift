import ArgumentParser
import BacktestAPI
import BacktestEngine

/// `backtest strategies`: the built-in strategies with their parameters and defaults.
struct StrategiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strategies",
        abstract: "List the built-in strategies with their parameters and defaults."
    )

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() async throws {
        switch format {
        case .json:
            Terminal.stdout(try ReportJSON.encode(StrategyList(strategies: StrategyCatalog.all.map(StrategyInfo.init))) + "\n")
        case .table:
            var out = ""
            for spec in StrategyCatalog.all {
                out += "\(spec.name)\n    \(spec.summary)\n"
                for p in spec.parameters {
                    var bounds = ""
                    if let lo = p.minimum, let hi = p.maximum {
                        bounds = ", \(ParameterValue.number(lo))..\(ParameterValue.number(hi))"
                    }
                    let def = p.defaultValue.map { "default \($0)" } ?? "required"
                    out += "    --param \(p.name)=<\(p.kind.rawValue)>  (\(def)\(bounds))  \(p.summary)\n"
                }
                if spec.parameters.isEmpty { out += "    (no parameters)\n" }
            }
            out += "\nEvery strategy also takes --sl-pct and --tp-pct (stop-loss / take-profit distances).\n"
            Terminal.stdout(out)
        }
    }
}
