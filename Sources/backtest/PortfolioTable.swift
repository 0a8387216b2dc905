import BacktestAPI
import BacktestEngine
import BacktestJSON
import Foundation

/// Renders a portfolio reply: the statistics the way backtesting.py prints them, then the
/// final holdings; or the statistics as one CSV row.
enum PortfolioTable {
    /// The reported statistics with their backtesting.py labels, in output order.
    static let rows: [(key: String, label: String, kind: Kind)] = [
        ("start", "Start", .time), ("end", "End", .time), ("duration_days", "Duration", .duration),
        ("exposure_time_pct", "Exposure Time [%]", .number), ("equity_final", "Equity Final [$]", .number),
        ("equity_peak", "Equity Peak [$]", .number), ("commissions", "Commissions [$]", .number),
        ("return_pct", "Return [%]", .number), ("buy_hold_return_pct", "Buy & Hold Return [%]", .number),
        ("return_ann_pct", "Return (Ann.) [%]", .number), ("volatility_ann_pct", "Volatility (Ann.) [%]", .number),
        ("cagr_pct", "CAGR [%]", .number), ("sharpe_ratio", "Sharpe Ratio", .number),
        ("sortino_ratio", "Sortino Ratio", .number), ("calmar_ratio", "Calmar Ratio", .number),
        ("max_drawdown_pct", "Max. Drawdown [%]", .number), ("avg_drawdown_pct", "Avg. Drawdown [%]", .number),
        ("max_drawdown_duration_days", "Max. Drawdown Duration", .duration),
        ("avg_drawdown_duration_days", "Avg. Drawdown Duration", .duration),
    ]

    enum Kind {
        case time, duration, number
    }

    static func render(_ reply: JSONValue, request: PortfolioRequest) -> String {
        guard case .object(let root) = reply, case .object(let stats)? = root["stats"] else { return "\n" }
        var lines: [(String, String)] = rows.map { row in (row.label, value(stats[row.key], row.kind)) }
        lines.append(("Allocation", describe(request)))
        if case .object(let positions)? = root["positions"] {
            for ticker in request.tickers {
                if case .number(let q)? = positions[ticker], q != 0 { lines.append(("Holding \(ticker)", StatsTable.number(q))) }
            }
        }
        if case .number(let cash)? = root["cash"] { lines.append(("Cash [$]", StatsTable.number(cash))) }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { label, value in label.padding(toLength: width + 4, withPad: " ", startingAt: 0) + value }
            .joined(separator: "\n") + "\n"
    }

    /// A header of the statistics' keys and one row of values.
    static func csv(_ reply: JSONValue) -> String {
        guard case .object(let root) = reply, case .object(let stats)? = root["stats"] else { return "\n" }
        let cells: [String] = rows.map { row in
            switch stats[row.key] {
            case .string(let s)?: return s
            case .number(let x)?: return "\(x)"
            default: return ""
            }
        }
        return rows.map(\.key).joined(separator: ",") + "\n" + cells.joined(separator: ",") + "\n"
    }

    private static func value(_ json: JSONValue?, _ kind: Kind) -> String {
        switch (json, kind) {
        case (.string(let s)?, .time): return Timestamp.parse(s).map(StatsTable.time) ?? s
        case (.number(let x)?, .duration): return StatsTable.duration(x)
        case (.number(let x)?, _): return StatsTable.number(x)
        default: return "NaN"
        }
    }

    private static func describe(_ request: PortfolioRequest) -> String {
        let schedule: String
        switch request.schedule {
        case .everyNBars(let n)?: schedule = "every \(n) bars"
        case let s?: schedule = s.name
        case nil: schedule = "on the schedule's dates"
        }
        switch request.allocation {
        case .momentum(let lookback, let top): return "momentum, top \(top) of \(request.tickers.count) over \(lookback) bars, \(schedule)"
        case .inverseVolatility(let lookback): return "inverse volatility over \(lookback) bars, \(schedule)"
        case let a: return "\(a.name), \(schedule)"
        }
    }
}
