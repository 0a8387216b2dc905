/// The outcome of a portfolio backtest: the equity per calendar bar, every order, the final
/// holdings and the statistics (PORTFOLIO.md sections 5–7).
public struct PortfolioResult: Sendable {
    /// The tickers, in the portfolio's order (the order of ``positions`` and of order tickers).
    public var tickers: [String]
    /// The calendar: the union of the tickers' bar timestamps in the window.
    public var dates: [Int64]
    /// Cash plus holdings at their last close, after each bar's fills.
    public var equity: [Double]
    /// Every fill, in execution order.
    public var orders: [PortfolioOrder]
    /// Units held at the end, per ticker.
    public var positions: [Double]
    /// Cash at the end.
    public var cash: Double
    /// The target weights of every decision bar.
    public var decisions: [PortfolioDecision]
    /// backtesting.py's equity-based statistics (trade statistics, alpha and beta are NaN:
    /// see ``PortfolioResult/reportedStatistics``).
    public var statistics: Statistics
    /// Each ticker's share of equity after each bar's fills (`weights[bar][ticker]`), when
    /// the run was asked to record them.
    public var weights: [[Double]]?

    /// The statistics a portfolio reports; the others (trade-based ones, alpha, beta) are
    /// not defined for it.
    public static let reportedStatistics: Set<String> = [
        "start", "end", "duration_days", "exposure_time_pct", "equity_final", "equity_peak", "commissions",
        "return_pct", "buy_hold_return_pct", "return_ann_pct", "volatility_ann_pct", "cagr_pct", "sharpe_ratio",
        "sortino_ratio", "calmar_ratio", "max_drawdown_pct", "avg_drawdown_pct", "max_drawdown_duration_days",
        "avg_drawdown_duration_days",
    ]
}

/// One fill of a portfolio backtest.
public struct PortfolioOrder: Sendable, Hashable {
    /// The calendar bar of the fill.
    public var bar: Int
    /// The calendar bar whose close made the decision.
    public var decisionBar: Int
    /// The ticker's index in the portfolio.
    public var ticker: Int
    /// Units: positive bought, negative sold.
    public var size: Double
    /// The fill price (the bar's open, or its close with trade-on-close).
    public var price: Double
    /// The commission paid.
    public var commission: Double
    /// A buy cut short by the cash left.
    public var partial: Bool
}

/// The target weights chosen on one decision bar.
public struct PortfolioDecision: Sendable, Hashable {
    /// The decision bar.
    public var bar: Int
    /// Whether a fill followed (a decision on the last bar never fills).
    public var executed: Bool
    /// The target weight of each ticker, in portfolio order.
    public var weights: [Double]
}
