extension PortfolioBacktest {
    /// The same portfolio on calendar bars `range` (a walk-forward window): each ticker's bars
    /// within those dates, the same settings. A ticker without a bar in the window is kept
    /// and never held there (as before a late start); the allocation's lookback is checked
    /// against the window by each run's settings (``with(settings:)``), not here.
    ///
    /// - Throws: ``BacktestError`` `insufficient_data` (field `walk_forward`) unless `range`
    ///   holds at least 2 of the calendar's bars.
    public func restricted(to range: Range<Int>) throws(BacktestError) -> PortfolioBacktest {
        guard range.count >= 2, range.lowerBound >= 0, range.upperBound <= calendar.count else {
            throw BacktestError(
                code: .insufficientData,
                message: "walk_forward: a window needs at least 2 of the calendar's \(calendar.count) bars, got \(range)",
                field: "walk_forward"
            )
        }
        let first = calendar.dates[range.lowerBound]
        let last = calendar.dates[range.upperBound - 1]
        let window = bars.map { $0.slice(from: first, through: last) }
        let calendar = PortfolioCalendar(window)
        return PortfolioBacktest(
            tickers: tickers,
            bars: window,
            settings: settings,
            calendar: calendar,
            plan: try DecisionPlan(settings: settings, tickers: tickers, dates: calendar.dates)
        )
    }

    /// Runs the portfolio over its whole calendar, deciding only from bar `first` on (a
    /// walk-forward fold's test run: the bars before it warm the lookbacks up), and returns
    /// the part from bar `first` on.
    ///
    /// The account holds its cash until then; bar `first` is a decision bar and the schedule
    /// (or a weights schedule's dates) runs as in a plain run over `first...`: so where no
    /// lookback reaches back before `first` (`equal`, `fixed`, `weights`) the part is that
    /// plain run, bit for bit. The part's bars, orders and decisions count from `first`
    /// (bar 0), its statistics are those of its equity, and its buy & hold buys at the first
    /// fill from bar `first` on. `first` 0 is ``run(recordWeights:)``.
    ///
    /// - Throws: ``BacktestError`` `insufficient_data` (field `walk_forward`) unless at
    ///   least 2 bars remain from `first`.
    public func run(from first: Int, recordWeights: Bool = false) throws(BacktestError) -> PortfolioResult {
        guard first >= 0, first <= calendar.count - 2 else {
            throw BacktestError(
                code: .insufficientData,
                message: "walk_forward: a test run needs at least 2 bars from bar \(first) of \(calendar.count)",
                field: "walk_forward"
            )
        }
        guard first > 0 else { return run(recordWeights: recordWeights) }
        let dates = Array(calendar.dates[first...])
        let window = try DecisionPlan(settings: settings, tickers: tickers, dates: dates).shifted(by: first)
        let run = simulate(window, recordWeights: recordWeights)
        let equity = Array(run.equity.values[first...])
        var statistics = Statistics.equityStatistics(timestamps: dates, equity: equity, calendar: Statistics.calendar(dates))
        statistics.exposureTimePct = Double(run.equity.exposedBars) / Double(dates.count) * 100
        statistics.commissions = run.commissions
        statistics.buyHoldReturnPct = buyAndHoldReturnPct(from: first)
        return PortfolioResult(
            tickers: tickers,
            dates: dates,
            equity: equity,
            orders: run.broker.orders.map { order in
                var o = order
                o.bar -= first
                o.decisionBar -= first
                return o
            },
            positions: run.broker.positions,
            cash: run.broker.cash,
            decisions: run.decisions.map { decision in
                var d = decision
                d.bar -= first
                return d
            },
            statistics: statistics,
            weights: recordWeights ? Array(run.equity.weights[first...]) : nil
        )
    }
}

extension PortfolioBacktest {
    /// The statistics of a walk-forward analysis's stitched out-of-sample curve: `equity` on
    /// `dates` (the test windows' bars), chained from `runs` (each fold's test run, scaled by
    /// `scales[k]`). Exposure is the share of those bars holding anything, commissions the
    /// runs' scaled, `trades` every fill, and buy & hold is this portfolio's over `span`
    /// (from the first test window's first bar to the last one's last).
    ///
    /// - Throws: ``BacktestError`` when `span` holds fewer than 2 bars.
    public func stitchedStatistics(
        dates: [Int64],
        equity: [Double],
        runs: [PortfolioResult],
        scales: [Double],
        span: Range<Int>
    ) throws(BacktestError) -> Statistics {
        var statistics = Statistics.equityStatistics(timestamps: dates, equity: equity, calendar: Statistics.calendar(dates))
        var exposed = 0.0
        var commissions = 0.0
        var fills = 0
        for (run, scale) in zip(runs, scales) {
            exposed += (run.statistics.exposureTimePct * Double(run.equity.count) / 100).rounded()
            commissions += run.statistics.commissions * scale
            fills += run.orders.count
        }
        statistics.exposureTimePct = exposed / Double(dates.count) * 100
        statistics.commissions = commissions
        statistics.trades = fills
        statistics.buyHoldReturnPct = try restricted(to: span).buyAndHoldReturnPct()
        return statistics
    }
}
