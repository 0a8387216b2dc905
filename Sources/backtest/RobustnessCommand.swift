import ArgumentParser
import BacktestResearch
import Foundation

/// `backtest robustness`: PSR, DSR and PBO (by CSCV) of your own trials' returns.
struct RobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "Whether the best of a set of trials is skill or luck: Deflated Sharpe Ratio and Probability of Backtest Overfitting.",
        discussion: """
            The CSV's header row names the trials; each following row holds one period's simple \
            returns (0.01 = +1 %), one per trial. Sharpe ratios are per period (mean / std, ddof = 1), \
            not annualised. The first T mod S rows are dropped for CSCV, and every block needs at least \
            2 rows. No bootstrap here: it needs trades. The formulas: docs/robustness.md.
            Example:
              backtest robustness --returns trials.csv --blocks 16 --format json
            """
    )

    @Option(help: ArgumentHelp("CSV of returns: a header naming the trials, one row per period.", valueName: "file"))
    var returns: String

    @Option(help: ArgumentHelp("S: CSCV blocks, even (default 16).", valueName: "S"))
    var blocks: Int = BlockLayout.defaultBlocks

    @Option(help: "Output format: table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let table = try TrialReturnsCSV.read(returns)
        let summary = try Self.summary(of: table, blocks: blocks, path: returns)
        switch format {
        case .json: Terminal.stdout(try ReportJSON.encode(summary) + "\n")
        case .table: Terminal.stdout(Self.render(summary))
        }
    }

    /// The robustness of `table`'s trials over `blocks` blocks.
    static func summary(of table: TrialReturnsCSV, blocks: Int, path: String) throws(CLIError) -> RobustnessSummary {
        do {
            let layout = try BlockLayout(periods: table.columns[0].count, blocks: blocks)
            var statistics = TrialBlockStatistics(layout: layout)
            for column in table.columns { try statistics.append(returns: column) }
            let report = try RobustnessReport(statistics, bestMoments: SampleMoments(table.columns[statistics.bestTrial]))
            return RobustnessSummary(report, bestTrial: table.names[report.bestTrial])
        } catch {
            switch error.code {
            case .invalidBlocks: throw CLIError(message: "--blocks \(blocks): \(error.message) in \(path)")
            default: throw CLIError(message: "\(path): \(error.message)")
            }
        }
    }

    /// The table: the figures, then what DSR and PBO mean for them.
    static func render(_ summary: RobustnessSummary) -> String {
        func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "undefined" }
        let rows: [(String, String)] = [
            ("Trials", "\(summary.trials)"),
            ("Periods", "\(summary.periods)"),
            ("Blocks (splits)", "\(summary.blocks) (\(summary.combinations))"),
            ("Best trial", summary.bestTrial),
            ("Sharpe (per period)", number(summary.sharpe)),
            ("Sharpe std (trials)", number(summary.sharpeStd)),
            ("Expected max Sharpe", number(summary.expectedMaxSharpe)),
            ("PSR", number(summary.psr)),
            ("DSR", number(summary.dsr)),
            ("PBO", number(summary.pbo)),
            ("P(loss out of sample)", number(summary.probOOSLoss)),
            ("Degradation", "OOS = \(number(summary.degradation.slope)) × IS + \(number(summary.degradation.intercept))"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        var text = rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        text += "\n\n" + summary.explanation.joined(separator: "\n") + "\n"
        return text
    }
}
