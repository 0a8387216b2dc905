import BacktestAPI
import BacktestEngine
import BacktestOptimize
import BacktestResearch
import Foundation

/// A parameter search as a self-contained HTML page (`optimize.html`): the best combination
/// and its statistics, the top list, a heatmap for each pair of parameters (the best
/// objective over the others, the best cell marked) or the objective along the only one,
/// the walk-forward folds with the stitched out-of-sample equity, or the ranking of several
/// tickers.
///
/// ```swift
/// var grid = ObjectiveGrid(axes: optimizer.space.axes, objective: objective, column: optimizer.objectiveColumn)
/// grid.add(rows)
/// let page = try OptimizationPage(title: "sma_cross on GOOG", report: report, grid: grid).html()
/// ```
public struct OptimizationPage: Sendable {
    /// The heading.
    public var title: String
    /// The line under it.
    public var subtitle: String
    /// The search's result.
    public var report: OptimizationReport
    /// Its objective over the parameters (one ticker's grid or random search).
    public var grid: ObjectiveGrid?
    /// The stitched out-of-sample equity and its bar times (walk-forward).
    public var stitched: (time: [Int64], equity: [Double])?

    /// Creates a page.
    public init(
        title: String,
        subtitle: String = "",
        report: OptimizationReport,
        grid: ObjectiveGrid? = nil,
        stitched: (time: [Int64], equity: [Double])? = nil
    ) {
        self.title = title
        self.subtitle = subtitle
        self.report = report
        self.grid = grid
        self.stitched = stitched
    }

    /// The page.
    public func html() throws(ReportError) -> String {
        try ReportTemplate.optimization.page(data: try data())
    }

    /// The page's data (see `Tools/report/README.md`).
    public func data() throws(ReportError) -> String {
        var out = "{\"kind\":\"optimization\",\"title\":\(HTMLReport.string(title)),\"subtitle\":\(HTMLReport.string(subtitle)),"
        out += "\"definitions\":\(StatisticDefinition.pageJSON),"
        out += "\"objective\":\(try HTMLReport.encoded(report.objective)),"
        out += "\"parameters\":\(try HTMLReport.encoded(report.parameters)),\"statistics\":\(try HTMLReport.encoded(report.statistics)),"
        out += "\"best\":\(try report.best.map { best throws(ReportError) in try HTMLReport.encoded(best) } ?? "null"),"
        out += "\"top\":\(try HTMLReport.encoded(report.top)),"
        out += "\"heatmaps\":[" + (grid?.pairs ?? []).map(Self.heatmap).joined(separator: ",") + "],"
        out += "\"lines\":[" + (grid?.line.map { [Self.line($0)] } ?? []).joined(separator: ",") + "],"
        out += "\"folds\":\(try HTMLReport.encoded(report.folds)),"
        if let stitched {
            out +=
                "\"stitched\":{\"time\":[\(stitched.time.map(String.init).joined(separator: ","))],\"equity\":\(HTMLReport.numbers(stitched.equity))},"
        } else {
            out += "\"stitched\":null,"
        }
        out += "\"tickers\":\(try report.tickers.map { t throws(ReportError) in try HTMLReport.encoded(t) } ?? "null"),"
        out += "\"ranking\":\(try report.ranking.map { r throws(ReportError) in try HTMLReport.encoded(r) } ?? "null"),"
        out += "\"coverage_notes\":{" + Self.coverageNotes(report.tickers ?? []).joined(separator: ",") + "},"
        out += "\"warnings\":\(try HTMLReport.encoded(report.warnings)),"
        out += "\"robustness\":\(try report.robustness.map { r throws(ReportError) in try HTMLReport.encoded(r) } ?? "null"),"
        out += "\"robustness_notes\":\(try HTMLReport.encoded(report.robustness?.searchExplanation ?? []))"
        return out + "}"
    }

    /// `"TICKER":"footnote"` for each ticker whose data covers less than asked (the badge's title).
    static func coverageNotes(_ tickers: [OptimizationReport.TickerResult]) -> [String] {
        tickers.compactMap { t in
            guard let c = t.coverage, c.isShort else { return nil }
            return "\(HTMLReport.string(t.ticker)):\(HTMLReport.string(c.footnote(t.ticker)))"
        }
    }

    static func heatmap(_ pair: ObjectiveGrid.Pair) -> String {
        let rows = pair.z.map { row in "[" + row.map { $0.map(HTMLReport.number) ?? "null" }.joined(separator: ",") + "]" }
        let best = pair.best.map { "[\($0.x),\($0.y)]" } ?? "null"
        return "{\"x\":\(HTMLReport.string(pair.x)),\"y\":\(HTMLReport.string(pair.y)),\"xs\":\(values(pair.xs)),\"ys\":\(values(pair.ys)),"
            + "\"z\":[\(rows.joined(separator: ","))],\"best\":\(best)}"
    }

    static func line(_ line: ObjectiveGrid.Line) -> String {
        "{\"x\":\(HTMLReport.string(line.x)),\"xs\":\(values(line.xs)),\"ys\":["
            + line.ys.map { $0.map(HTMLReport.number) ?? "null" }.joined(separator: ",") + "],\"best\":\(line.best.map(String.init) ?? "null")}"
    }

    static func values(_ values: [ParameterValue]) -> String {
        "["
            + values.map { value in
                switch value {
                case .bool(let b): return b ? "true" : "false"
                case .number(let v): return HTMLReport.number(v)
                }
            }.joined(separator: ",") + "]"
    }
}
