import ArgumentParser
import BacktestAPI

/// `backtest stats --explain`: what each statistic the product reports means (the one table
/// the pages and `docs/statistics.md` share: ``StatisticDefinition/all``).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Explain the statistics: each one's name, definition and unit, and which mean little on few trades.",
        discussion: "backtest stats --explain [--format table|json|markdown]"
    )

    /// How the table is printed.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, markdown
    }

    @Flag(help: "Print every statistic's key, name and one-line definition (required).")
    var explain = false

    @Option(help: "Output format: table, json or markdown (the table of docs/statistics.md).")
    var format: Format = .table

    func validate() throws {
        guard explain else { throw ValidationError("say --explain: backtest stats --explain [--format table|json|markdown]") }
    }

    func run() async throws {
        switch format {
        case .json:
            let table = Explained(
                fewTradesThreshold: StatisticDefinition.fewTradesThreshold,
                fewTradesNote: StatisticDefinition.fewTradesNote,
                statistics: StatisticDefinition.all
            )
            Terminal.stdout(try ReportJSON.encode(table) + "\n")
        case .markdown:
            Terminal.stdout(StatisticDefinition.markdownTable())
        case .table:
            Terminal.stdout(Self.table())
        }
    }

    /// Key, name, a `*` for the few-trades ones, the definition; then the note on `*`.
    static func table() -> String {
        var rows = [["key", "name", "", "definition"]]
        for d in StatisticDefinition.all { rows.append([d.key, d.name, d.fewTrades ? "*" : "", d.definition]) }
        let lines = TextColumns.render(rows, alignLeft: true).split(separator: "\n").map { line in
            String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
        return lines.joined(separator: "\n") + "\n\n* " + StatisticDefinition.fewTradesNote + "\n"
    }

    /// The JSON form: `{"few_trades_threshold", "few_trades_note", "statistics": [...]}`.
    struct Explained: Encodable {
        var fewTradesThreshold: Int
        var fewTradesNote: String
        var statistics: [StatisticDefinition]

        enum CodingKeys: String, CodingKey {
            case statistics
            case fewTradesThreshold = "few_trades_threshold"
            case fewTradesNote = "few_trades_note"
        }
    }
}
