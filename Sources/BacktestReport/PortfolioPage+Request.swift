import BacktestAPI
import BacktestEngine
import Foundation

extension PortfolioPage {
    /// A page titled after the request: `equal weight of AAPL, MSFT, GOOG, rebalanced
    /// monthly`, with the dates, bars and settings under it.
    public static func make(request: PortfolioRequest, bars: [Bars], result: PortfolioResult) -> PortfolioPage {
        var subtitle = ""
        if let first = result.dates.first, let last = result.dates.last {
            subtitle = "\(Timestamp.formatDate(first)) – \(Timestamp.formatDate(last)) · \(result.dates.count) bars"
        }
        subtitle += " · cash \(HTMLReport.short(request.cash))"
        if request.commission != 0 { subtitle += " · commission \(HTMLReport.short(request.commission))" }
        if request.fractional { subtitle += " · fractional units" }
        if request.tradeOnClose { subtitle += " · trade on close" }
        return PortfolioPage(title: title(request), subtitle: subtitle, result: result, bars: bars, cash: request.cash)
    }

    /// `equal weight of AAPL, MSFT, rebalanced monthly`, `momentum (lookback 60, top 3) of …`.
    public static func title(_ request: PortfolioRequest) -> String {
        let tickers =
            request.tickers.count > 10
            ? request.tickers.prefix(8).joined(separator: ", ") + " and \(request.tickers.count - 8) more"
            : request.tickers.joined(separator: ", ")
        let allocation: String
        switch request.allocation {
        case .equal: allocation = "equal weight"
        case .fixed: allocation = "fixed weights"
        case .weights(let entries): allocation = "\(entries.count) dated weights"
        case .momentum(let lookback, let top): allocation = "momentum (lookback \(lookback), top \(top))"
        case .inverseVolatility(let lookback): allocation = "inverse volatility (lookback \(lookback))"
        }
        let schedule: String
        switch request.schedule {
        case .monthly: schedule = ", rebalanced monthly"
        case .weekly: schedule = ", rebalanced weekly"
        case .quarterly: schedule = ", rebalanced quarterly"
        case .everyNBars(let n): schedule = ", rebalanced every \(n) bars"
        case .never: schedule = ", bought and held"
        case nil: schedule = ""
        }
        return "\(allocation) of \(tickers)\(schedule)"
    }
}
