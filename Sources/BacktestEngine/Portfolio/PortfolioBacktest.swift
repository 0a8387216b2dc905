/// A backtest of one cash account over several tickers, rebalanced to target weights
/// (PORTFOLIO.md): decisions at a bar's close from data up to it, fills at the next bar's
/// open (or the same close with trade-on-close), sells before buys, whole or fractional
/// units, and backtesting.py's equity-based statistics.
///
/// Pure and deterministic: the bars come in already cut to the window.
///
/// ```swift
/// let portfolio = try PortfolioBacktest(
///     tickers: ["AAPL", "MSFT"], bars: [aapl, msft],
///     settings: PortfolioSettings(allocation: .equal, schedule: .monthly))
/// let result = portfolio.run()
/// print(result.statistics.returnPct)
/// ```
public struct PortfolioBacktest: Sendable {
    /// The tickers, in portfolio order (ties in every sort go by this order).
    public let tickers: [String]
    /// Each ticker's bars within the window.
    public let bars: [Bars]
    /// The allocation, schedule and costs.
    public let settings: PortfolioSettings
    let calendar: PortfolioCalendar
    /// The decision bars and, for a weights schedule or fixed weights, their weights.
    let plan: DecisionPlan

    /// Validates the inputs (PORTFOLIO.md section 1) and builds the calendar.
    ///
    /// - Throws: ``BacktestError`` naming the field at fault: `tickers`, `allocation.*`,
    ///   `schedule`, `cash` or `commission`.
    public init(tickers: [String], bars: [Bars], settings: PortfolioSettings) throws(BacktestError) {
        try Self.validate(tickers: tickers, bars: bars, settings: settings)
        let calendar = PortfolioCalendar(bars)
        guard calendar.count >= 2 else {
            throw BacktestError(
                code: .insufficientData,
                message: "the portfolio's calendar has \(calendar.count) bar(s); it needs at least 2",
                field: "start"
            )
        }
        try Self.validate(settings.allocation, calendarBars: calendar.count)
        self.tickers = tickers
        self.bars = bars
        self.settings = settings
        self.calendar = calendar
        plan = try DecisionPlan(settings: settings, tickers: tickers, dates: calendar.dates)
    }

    /// A backtest from parts already validated.
    init(tickers: [String], bars: [Bars], settings: PortfolioSettings, calendar: PortfolioCalendar, plan: DecisionPlan) {
        self.tickers = tickers
        self.bars = bars
        self.settings = settings
        self.calendar = calendar
        self.plan = plan
    }

    /// The calendar: the union of the tickers' bar timestamps in the window, ascending.
    public var dates: [Int64] { calendar.dates }

    /// PORTFOLIO.md section 7: the cash split equally, bought fractionally without commission
    /// at each ticker's first fill opportunity from a decision on bar `first` on, and held to
    /// its last close.
    func buyAndHoldReturnPct(from first: Int = 0) -> Double {
        let cash = settings.cash
        let share = cash / Double(tickers.count)
        let n = calendar.count
        var total = 0.0
        for (i, own) in calendar.own.enumerated() {
            let range = settings.tradeOnClose ? first..<(n - 1) : (first + 1)..<n
            guard let b = range.first(where: { own[$0] >= 0 }), let last = bars[i].close.last else {
                total += share
                continue
            }
            let k = Int(own[b])
            let price = settings.tradeOnClose ? bars[i].close[k] : bars[i].open[k]
            total += share / price * last
        }
        return (total - cash) / cash * 100
    }
}
