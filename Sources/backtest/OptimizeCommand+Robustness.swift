import BacktestAPI
import BacktestOptimize
import BacktestResearch
import Foundation

extension OptimizeCommand {
    /// `optimizer` keeping every combination's block statistics for the robustness block, in
    /// `--robustness-blocks` blocks or the number the search's size allows
    /// (``BlockLayout/searchBlocks(trials:periods:)``).
    func withRobustness<Target>(_ optimizer: Optimizer<Target>) -> Optimizer<Target> {
        optimizer.withRobustness(blocks: robustnessBlocks)
    }

    /// The search's output: the report in `format`, with the robustness block in JSON (key
    /// `robustness`) and in the table ("Robustness"); CSV is the report's alone.
    static func render(
        _ report: OptimizationReport,
        robustness: RobustnessSummary?,
        format: Format,
        source: String,
        bars: Int,
        strategy: String
    ) throws -> String {
        switch format {
        case .json:
            var report = report
            report.robustness = robustness
            return try ReportJSON.encode(report) + "\n"
        case .csv: return try report.render(format, source: source, bars: bars, strategy: strategy)
        case .table:
            let text = try report.render(format, source: source, bars: bars, strategy: strategy)
            return robustness.map { text + "\n" + $0.searchTable() } ?? text
        }
    }
}

extension RobustnessSummary {
    /// The "Robustness" block of a search's table: the figures, then what DSR and PBO mean.
    func searchTable() -> String {
        func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "undefined" }
        var rows: [[String]] = [
            ["Combinations (trials)", "\(trials), \(periods) bar-to-bar returns each, \(blocks) blocks, \(combinations) splits"],
            ["Best by Sharpe ratio", "\(bestTrial): \(number(sharpe)) per bar, PSR \(number(psr))"],
        ]
        if let winner { rows.append(["Chosen winner", "\(winner): \(number(winnerSharpe)) per bar, PSR \(number(winnerPSR))"]) }
        rows += [
            ["Expected max Sharpe", "\(number(expectedMaxSharpe)) (std over combinations \(number(sharpeStd)))"],
            ["DSR", number(dsr)],
            ["PBO", number(pbo)],
            ["P(loss out of sample)", number(probOOSLoss)],
            ["Degradation", "OOS = \(number(degradation.slope)) × IS + \(number(degradation.intercept))"],
        ]
        if let bootstrap {
            rows.append([
                "Bootstrap of its trades",
                String(
                    format: "return %.1f %% / %.1f %% / %.1f %%, max drawdown %.1f %% / %.1f %% / %.1f %% (5/50/95th of %d)",
                    bootstrap.totalReturn.p5 * 100,
                    bootstrap.totalReturn.p50 * 100,
                    bootstrap.totalReturn.p95 * 100,
                    bootstrap.maxDrawdown.p5 * 100,
                    bootstrap.maxDrawdown.p50 * 100,
                    bootstrap.maxDrawdown.p95 * 100,
                    bootstrap.samples
                ),
            ])
        }
        let width = rows.map { $0[0].count }.max() ?? 0
        var text = "Robustness (DSR and PBO pick by per-bar Sharpe ratio, whatever the objective):\n"
        text += rows.map { $0[0].padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0[1] }.joined(separator: "\n") + "\n"
        return text + searchExplanation.joined(separator: "\n") + "\n"
    }
}
