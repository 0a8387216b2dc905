import BacktestAPI
import BacktestEngine
import Foundation

/// A batch as a self-contained HTML page (`batch.html`): one sortable row per ticker with
/// its main statistics and an equity sparkline, each linking to that ticker's own report.
///
/// ```swift
/// let page = try BatchPage(title: "sma_cross on 6 tickers", rows: rows).html()
/// ```
public struct BatchPage: Sendable {
    /// One ticker.
    public struct Row: Sendable {
        /// The ticker.
        public var ticker: String
        /// Its statistics, or `nil` when it failed.
        public var statistics: Statistics?
        /// Its equity curve (downsampled for the sparkline), or `nil`.
        public var equity: [Double]?
        /// Why it failed.
        public var error: String?
        /// Where its own report is (a file name beside the page, or a server path).
        public var report: String?
        /// The window its data covers against the requested one (a badge when short).
        public var coverage: Coverage?

        /// Creates a row.
        public init(
            ticker: String,
            statistics: Statistics? = nil,
            equity: [Double]? = nil,
            error: String? = nil,
            report: String? = nil,
            coverage: Coverage? = nil
        ) {
            self.ticker = ticker
            self.statistics = statistics
            self.equity = equity
            self.error = error
            self.report = report
            self.coverage = coverage
        }
    }

    /// The statistics in the table, in order.
    public static let columns = ["return_pct", "sharpe_ratio", "max_drawdown_pct", "win_rate_pct", "trades", "sqn"]
    /// Points of a sparkline at most.
    public static let sparklinePoints = 200

    /// The heading.
    public var title: String
    /// The line under it.
    public var subtitle: String
    /// The tickers.
    public var rows: [Row]
    /// The reports are server paths that need the API key (the page fetches them with it).
    public var fetchesReports: Bool

    /// Creates a page.
    public init(title: String, subtitle: String = "", rows: [Row], fetchesReports: Bool = false) {
        self.title = title
        self.subtitle = subtitle
        self.rows = rows
        self.fetchesReports = fetchesReports
    }

    /// The page.
    public func html() throws(ReportError) -> String {
        try ReportTemplate.batch.page(data: try data())
    }

    /// The page's data (see `Tools/report/README.md`).
    public func data() throws(ReportError) -> String {
        var out = "{\"kind\":\"batch\",\"title\":\(HTMLReport.string(title)),\"subtitle\":\(HTMLReport.string(subtitle)),"
        out += "\"definitions\":\(StatisticDefinition.pageJSON),"
        out += "\"report_fetch\":\(fetchesReports),\"columns\":\(try HTMLReport.encoded(Self.columns)),\"rows\":["
        var first = true
        for row in rows {
            if !first { out += "," }
            first = false
            out += "{\"ticker\":\(HTMLReport.string(row.ticker)),\"error\":\(row.error.map(HTMLReport.string) ?? "null"),"
            out += "\"stats\":\(try row.statistics.map { s throws(ReportError) in try HTMLReport.encoded(s) } ?? "null"),"
            out += "\"equity\":\(row.equity.map { HTMLReport.numbers(Self.downsample($0)) } ?? "null"),"
            out += "\"report\":\(row.report.map(HTMLReport.string) ?? "null"),"
            out += "\"coverage\":\(try row.coverage.map { c throws(ReportError) in try HTMLReport.encoded(c) } ?? "null"),"
            let note = row.coverage.flatMap { $0.isShort ? $0.footnote(row.ticker) : nil }
            out += "\"coverage_note\":\(note.map(HTMLReport.string) ?? "null")}"
        }
        return out + "]}"
    }

    /// At most ``sparklinePoints`` evenly spaced values, the last one kept.
    public static func downsample(_ values: [Double]) -> [Double] {
        guard values.count > sparklinePoints, let last = values.last else { return values }
        let step = Double(values.count - 1) / Double(sparklinePoints - 1)
        var out = (0..<(sparklinePoints - 1)).map { values[Int(Double($0) * step)] }
        out.append(last)
        return out
    }
}
