import BacktestEngine
import BacktestJSON

/// A portfolio run as the wire shows it: the statistics (the keys PORTFOLIO.md reports, with
/// the single-asset files' names and units), the final holdings and, when asked, the
/// calendar with the equity, the orders and the weights.
///
/// ```json
/// {"tickers": ["AAPL", "MSFT"], "stats": {"return_pct": 61.2, …},
///  "positions": {"AAPL": 120, "MSFT": 85}, "cash": 1234.5,
///  "dates": ["2020-01-02", …], "equity": [100000, …],
///  "orders": [{"date": "2020-01-03", "ticker": "AAPL", "size": 120, "price": 74.3, "commission": 8.9}]}
/// ```
public struct PortfolioReply: Sendable, JSONWritable {
    /// The run.
    public var result: PortfolioResult
    /// Whether to write `dates` and `equity`.
    public var includeEquity: Bool
    /// Whether to write `orders`.
    public var includeOrders: Bool
    /// Whether to write `weights` (each ticker's share of equity per bar) and `decisions`.
    public var includeWeights: Bool

    /// Creates a reply.
    public init(result: PortfolioResult, includeEquity: Bool = false, includeOrders: Bool = false, includeWeights: Bool = false) {
        self.result = result
        self.includeEquity = includeEquity
        self.includeOrders = includeOrders
        self.includeWeights = includeWeights
    }

    /// Writes the reply object.
    public func write(to writer: inout JSONWriter) {
        let r = result
        writer.object { w in
            w.key("tickers")
            w.array { a in for t in r.tickers { a.string(t) } }
            w.key("stats")
            Self.writeStatistics(r.statistics, to: &w)
            w.key("positions")
            w.object { o in
                for (t, q) in zip(r.tickers, r.positions) {
                    o.key(t)
                    o.number(q)
                }
            }
            w.key("cash")
            w.number(r.cash)
            if includeEquity {
                w.key("dates")
                w.array { a in for d in r.dates { a.string(Timestamp.formatDate(d)) } }
                w.key("equity")
                w.array { a in for e in r.equity { a.number(e) } }
            }
            if includeOrders { writeOrders(to: &w) }
            if includeWeights { writeWeights(to: &w) }
        }
    }

    /// The statistics object with the keys a portfolio reports, in the usual order.
    public static func writeStatistics(_ s: Statistics, to writer: inout JSONWriter) {
        writer.object { w in
            w.key("start")
            w.string(Timestamp.format(s.start))
            w.key("end")
            w.string(Timestamp.format(s.end))
            for (key, path) in Statistics.wireFields where PortfolioResult.reportedStatistics.contains(key.rawValue) {
                w.key(key.rawValue)
                w.number(s[keyPath: path])
            }
        }
    }

    private func writeOrders(to w: inout JSONWriter) {
        let r = result
        w.key("orders")
        w.array { a in
            for order in r.orders {
                a.object { o in
                    o.key("date")
                    o.string(Timestamp.formatDate(r.dates[order.bar]))
                    o.key("ticker")
                    o.string(r.tickers[order.ticker])
                    o.key("size")
                    o.number(order.size)
                    o.key("price")
                    o.number(order.price)
                    o.key("commission")
                    o.number(order.commission)
                    o.key("decision_date")
                    o.string(Timestamp.formatDate(r.dates[order.decisionBar]))
                    o.key("partial")
                    o.bool(order.partial)
                }
            }
        }
    }

    private func writeWeights(to w: inout JSONWriter) {
        let r = result
        w.key("decisions")
        w.array { a in
            for decision in r.decisions {
                a.object { o in
                    o.key("date")
                    o.string(Timestamp.formatDate(r.dates[decision.bar]))
                    o.key("executed")
                    o.bool(decision.executed)
                    o.key("weights")
                    o.object { ws in
                        for (t, x) in zip(r.tickers, decision.weights) {
                            ws.key(t)
                            ws.number(x)
                        }
                    }
                }
            }
        }
        guard let weights = r.weights else { return }
        w.key("weights")
        w.object { o in
            for (i, t) in r.tickers.enumerated() {
                o.key(t)
                o.array { a in for row in weights { a.number(row[i]) } }
            }
        }
    }
}
