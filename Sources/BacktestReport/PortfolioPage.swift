import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation

/// A portfolio backtest as a self-contained HTML page (`portfolio.html`): equity and
/// drawdown, each ticker's share of equity over time as a stacked area, each ticker's
/// contribution to the return, the orders, the statistics, and the tickers whose data starts
/// late or ends early in the window.
///
/// ```swift
/// let result = try PortfolioBacktest(tickers: tickers, bars: bars, settings: settings).run(recordWeights: true)
/// let page = try PortfolioPage(title: "equal weight, monthly", result: result, bars: bars, cash: 100_000).html()
/// ```
public struct PortfolioPage: Sendable {
    /// The heading.
    public var title: String
    /// The line under it.
    public var subtitle: String
    /// The run (its ``PortfolioResult/weights`` recorded, else the weights chart is left out).
    public var result: PortfolioResult
    /// Each ticker's bars in the window, in portfolio order (for the last close that values
    /// the final holding, and for late starts and early ends).
    public var bars: [Bars]
    /// The starting cash.
    public var cash: Double

    /// Creates a page.
    public init(title: String, subtitle: String = "", result: PortfolioResult, bars: [Bars], cash: Double) {
        self.title = title
        self.subtitle = subtitle
        self.result = result
        self.bars = bars
        self.cash = cash
    }

    /// The page.
    public func html() throws(ReportError) -> String {
        try ReportTemplate.portfolio.page(data: data())
    }

    /// The page's data (see `Tools/report/README.md`).
    public func data() -> String {
        let r = result
        var out = "{\"kind\":\"portfolio\",\"title\":\(HTMLReport.string(title)),\"subtitle\":\(HTMLReport.string(subtitle)),"
        out += "\"definitions\":\(StatisticDefinition.pageJSON),"
        out += "\"cash\":\(HTMLReport.number(cash)),\"tickers\":[\(r.tickers.map(HTMLReport.string).joined(separator: ","))],"
        out += "\"time\":[\(r.dates.map(String.init).joined(separator: ","))],\"equity\":\(HTMLReport.numbers(r.equity)),"
        out += "\"weights\":\(r.weights.map(Self.weightRows) ?? "null"),"
        out += "\"contributions\":[" + contributions().map(Self.contribution).joined(separator: ",") + "],"
        out += "\"orders\":[" + r.orders.map(order).joined(separator: ",") + "],"
        out += "\"coverage\":[" + coverage().map(Self.span).joined(separator: ",") + "],"
        var writer = JSONWriter()
        PortfolioReply.writeStatistics(r.statistics, to: &writer)
        out += "\"stats\":" + String(decoding: writer.bytes, as: UTF8.self)
        return out + "}"
    }

    /// What one ticker added to the portfolio's return.
    public struct Contribution: Sendable, Equatable {
        /// The ticker.
        public var ticker: String
        /// The cash its fills brought in (sells) less the cash they took (buys), commissions
        /// included, plus its final holding at its last close in the window.
        public var pnl: Double
        /// ``pnl`` as a percentage of the starting cash (the contributions add up to the
        /// portfolio's return in percent).
        public var returnPct: Double
        /// Units held at the end.
        public var position: Double
        /// Its last close in the window (values the final holding; NaN without bars).
        public var lastClose: Double
    }

    /// Each ticker's P&L: the sum over its fills of `−size × price − commission`, plus its
    /// final position at its last close in the window; divided by the starting cash. They add
    /// up to `equity_final − cash`.
    public func contributions() -> [Contribution] {
        let r = result
        var flows = [Double](repeating: 0, count: r.tickers.count)
        for order in r.orders where flows.indices.contains(order.ticker) {
            flows[order.ticker] -= order.size * order.price + order.commission
        }
        return r.tickers.indices.map { i in
            let position = r.positions.indices.contains(i) ? r.positions[i] : 0
            let close = bars.indices.contains(i) ? (bars[i].close.last ?? .nan) : .nan
            let holding = position == 0 ? 0 : position * close
            let pnl = flows[i] + holding
            return Contribution(ticker: r.tickers[i], pnl: pnl, returnPct: cash > 0 ? pnl / cash * 100 : .nan, position: position, lastClose: close)
        }
    }

    /// A ticker whose data does not cover the whole window.
    public struct Span: Sendable, Equatable {
        /// The ticker.
        public var ticker: String
        /// Its first bar in the window (Unix seconds; `nil` when it has none).
        public var first: Int64?
        /// Its last bar in the window.
        public var last: Int64?
        /// Its first bar comes after the window's first.
        public var startsLate: Bool
        /// Its last bar comes before the window's last.
        public var endsEarly: Bool
    }

    /// The tickers that start after the calendar's first bar or end before its last, in
    /// portfolio order.
    public func coverage() -> [Span] {
        guard let start = result.dates.first, let end = result.dates.last else { return [] }
        return result.tickers.indices.compactMap { i in
            let stamps = bars.indices.contains(i) ? bars[i].timestamps : []
            let first = stamps.first
            let last = stamps.last
            let late = first.map { $0 > start } ?? true
            let early = last.map { $0 < end } ?? true
            guard late || early else { return nil }
            return Span(ticker: result.tickers[i], first: first, last: last, startsLate: late, endsEarly: early)
        }
    }

    /// Weights per bar, rounded to 1e-5 (ample for a picture, a third of the text).
    static func weightRows(_ rows: [[Double]]) -> String {
        "[" + rows.map { row in "[" + row.map(Self.rounded).joined(separator: ",") + "]" }.joined(separator: ",") + "]"
    }

    static func rounded(_ v: Double) -> String {
        guard v.isFinite else { return HTMLReport.number(v) }
        let r = (v * 100_000).rounded() / 100_000
        return r == 0 ? "0" : HTMLReport.number(r)
    }

    func order(_ o: PortfolioOrder) -> String {
        let time = result.dates.indices.contains(o.bar) ? String(result.dates[o.bar]) : "null"
        let ticker = result.tickers.indices.contains(o.ticker) ? HTMLReport.string(result.tickers[o.ticker]) : "null"
        return "{\"bar\":\(o.bar),\"time\":\(time),\"ticker\":\(ticker),\"size\":\(HTMLReport.number(o.size)),"
            + "\"price\":\(HTMLReport.number(o.price)),\"commission\":\(HTMLReport.number(o.commission)),\"partial\":\(o.partial)}"
    }

    static func contribution(_ c: Contribution) -> String {
        "{\"ticker\":\(HTMLReport.string(c.ticker)),\"pnl\":\(HTMLReport.number(c.pnl)),\"return_pct\":\(HTMLReport.number(c.returnPct)),"
            + "\"position\":\(HTMLReport.number(c.position)),\"last_close\":\(HTMLReport.number(c.lastClose))}"
    }

    static func span(_ s: Span) -> String {
        "{\"ticker\":\(HTMLReport.string(s.ticker)),\"first\":\(s.first.map(String.init) ?? "null"),\"last\":\(s.last.map(String.init) ?? "null"),"
            + "\"starts_late\":\(s.startsLate),\"ends_early\":\(s.endsEarly)}"
    }
}
