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

    /// Runs the simulation. With `recordWeights`, the result carries each ticker's share of
    /// equity after every bar (for the report's weights chart).
    public func run(recordWeights: Bool = false) -> PortfolioResult {
        let n = calendar.count
        let count = tickers.count
        let targets = TargetWeights(bars: bars, calendar: calendar)
        var broker = PortfolioBroker(
            cash: settings.cash,
            tickers: count,
            commission: settings.commission,
            fractional: settings.fractional
        )
        var lastClose = [Double](repeating: .nan, count: count)
        var prices = [Double](repeating: .nan, count: count)
        var equity = [Double](repeating: 0, count: n)
        var decisions: [PortfolioDecision] = []
        var weightsOverTime: [[Double]] = []
        var pending: (bar: Int, weights: [Double])? = nil
        var exposed = 0
        for b in 0..<n {
            // The decision of this bar, when it fills at this bar's close.
            var decided: [Double]? = nil
            if plan.isDecision[b] {
                let w = targets.weights(settings.allocation, fixed: plan.weights(at: b), at: b)
                decisions.append(PortfolioDecision(bar: b, executed: b < n - 1, weights: w))
                decided = w
            }
            if settings.tradeOnClose, b < n - 1, let w = decided {
                pending = (b, w)
            }
            if let order = pending {
                for i in 0..<count {
                    let k = Int(calendar.own[i][b])
                    prices[i] = k < 0 ? .nan : (settings.tradeOnClose ? bars[i].close[k] : bars[i].open[k])
                }
                broker.rebalance(to: order.weights, prices: prices, lastClose: lastClose, bar: b, decisionBar: order.bar)
                pending = nil
            }
            if !settings.tradeOnClose, b < n - 1, let w = decided { pending = (b, w) }
            var held = 0.0
            var isExposed = false
            for i in 0..<count {
                let k = Int(calendar.own[i][b])
                if k >= 0 { lastClose[i] = bars[i].close[k] }
                let q = broker.positions[i]
                if q != 0 {
                    held = held + q * lastClose[i]
                    isExposed = true
                }
            }
            equity[b] = broker.cash + held
            if isExposed { exposed += 1 }
            if recordWeights {
                let e = equity[b]
                weightsOverTime.append((0..<count).map { i in broker.positions[i] == 0 ? 0 : broker.positions[i] * lastClose[i] / e })
            }
        }
        var statistics = Statistics.equityStatistics(
            timestamps: calendar.dates,
            equity: equity,
            calendar: Statistics.calendar(calendar.dates)
        )
        statistics.exposureTimePct = Double(exposed) / Double(n) * 100
        var commissions = 0.0
        for order in broker.orders { commissions += order.commission }
        statistics.commissions = commissions
        statistics.buyHoldReturnPct = buyAndHoldReturnPct()
        return PortfolioResult(
            tickers: tickers,
            dates: calendar.dates,
            equity: equity,
            orders: broker.orders,
            positions: broker.positions,
            cash: broker.cash,
            decisions: decisions,
            statistics: statistics,
            weights: recordWeights ? weightsOverTime : nil
        )
    }

    /// PORTFOLIO.md section 7: the cash split equally, bought fractionally without commission
    /// at each ticker's first fill opportunity, and held to its last close.
    func buyAndHoldReturnPct() -> Double {
        let cash = settings.cash
        let share = cash / Double(tickers.count)
        let n = calendar.count
        var total = 0.0
        for (i, own) in calendar.own.enumerated() {
            let range = settings.tradeOnClose ? 0..<(n - 1) : 1..<n
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
