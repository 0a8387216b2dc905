import BacktestAPI
import BacktestEngine
import Foundation

/// One backtest as a self-contained, interactive HTML page (equity, drawdown, trades on the
/// price chart, volume, the strategy's indicators, the statistics and trades tables), which
/// opens offline: the template inlines its scripts and styles (see `Resources/VENDOR.md`),
/// and this type fills in the run's data.
///
/// ```swift
/// let result = try Backtest(bars: bars).run(strategy)
/// let page = try HTMLReport(title: "sma_cross on GOOG", bars: bars, result: result, cash: 10_000).html()
/// try page.write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
public struct HTMLReport: Sendable {
    /// The heading, e.g. `sma_cross(fast=10,slow=30) on GOOG`.
    public var title: String
    /// The line under it (dates, bars, settings).
    public var subtitle: String
    /// The bars the run used.
    public var bars: Bars
    /// The run.
    public var result: BacktestResult
    /// The starting cash (equity is drawn relative to it).
    public var cash: Double

    /// The text of the template the data replaces.
    public static let placeholder = "__REPORT_DATA__"

    /// Creates a report.
    public init(title: String, subtitle: String = "", bars: Bars, result: BacktestResult, cash: Double) {
        self.title = title
        self.subtitle = subtitle
        self.bars = bars
        self.result = result
        self.cash = cash
    }

    /// The page: the bundled template with this run's data.
    ///
    /// - Throws: ``ReportError`` when the template is missing from the installation.
    public func html() throws(ReportError) -> String {
        Self.fill(try Self.template(), with: try data())
    }

    /// The run as the template reads it: `{"title", "subtitle", "cash", "bars": {"time",
    /// "open", "high", "low", "close", "volume"}, "equity", "trades", "indicators", "stats"}`
    /// (trades and stats as `backtest run --format json` writes them; NaN is `null`).
    public func data() throws(ReportError) -> String {
        var out = "{"
        out += "\"title\":\(Self.string(title)),\"subtitle\":\(Self.string(subtitle)),\"cash\":\(Self.number(cash)),"
        out += "\"bars\":{\"time\":[\(bars.timestamps.map(String.init).joined(separator: ","))],"
        out += "\"open\":\(Self.numbers(bars.open)),\"high\":\(Self.numbers(bars.high)),\"low\":\(Self.numbers(bars.low)),"
        out += "\"close\":\(Self.numbers(bars.close)),\"volume\":\(Self.numbers(bars.volume))},"
        out += "\"equity\":\(Self.numbers(result.equity)),"
        out += "\"trades\":\(try Self.encoded(result.trades)),"
        out += "\"indicators\":[" + result.indicators.map(Self.indicator).joined(separator: ",") + "],"
        out += "\"stats\":\(try Self.encoded(result.statistics)),"
        out += "\"definitions\":\(StatisticDefinition.pageJSON)"
        out += "}"
        return out
    }

    /// Puts `data` into `template` in place of ``placeholder``, with every `<` escaped so the
    /// data cannot end its script element.
    public static func fill(_ template: String, with data: String) -> String {
        template.replacingOccurrences(of: placeholder, with: data.replacingOccurrences(of: "<", with: "\\u003c"))
    }

    /// The bundled template.
    public static func template() throws(ReportError) -> String {
        try ReportTemplate.backtest.text()
    }

    static func indicator(_ plot: IndicatorPlot) -> String {
        "{\"name\":\(string(plot.name)),\"panel\":\(string(plot.panel)),\"style\":\(string(plot.style.rawValue)),"
            + "\"levels\":\(numbers(plot.levels)),\"values\":\(numbers(plot.values))}"
    }

    static func encoded<T: Encodable>(_ value: T) throws(ReportError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            throw ReportError(code: .encoding, message: "cannot encode the report data: \(error)")
        }
    }

    /// A JSON number; NaN is `null`, infinities the strings the API uses.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "null" }
        if v.isInfinite { return v > 0 ? "\"Infinity\"" : "\"-Infinity\"" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func numbers(_ values: [Double]) -> String {
        var out = "["
        out.reserveCapacity(values.count * 10)
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            out += number(v)
        }
        return out + "]"
    }

    static func string(_ text: String) -> String {
        (try? String(decoding: JSONEncoder().encode(text), as: UTF8.self)) ?? "\"\""
    }
}

/// A report that cannot be made: a stable ``code`` and a message.
public struct ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of a ``ReportError``.
    public enum Code: String, Sendable {
        /// The template is not installed beside the binary.
        case missingTemplate = "missing_template"
        /// The run's data could not be encoded.
        case encoding
    }

    /// What kind of error.
    public var code: Code
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
