extension PortfolioBacktest {
    /// PORTFOLIO.md section 1's errors that need no calendar.
    static func validate(tickers: [String], bars: [Bars], settings: PortfolioSettings) throws(BacktestError) {
        try validate(tickers: tickers, bars: bars)
        try validate(settings, tickers: tickers)
    }

    /// The tickers and their bars: at least one, at most ``PortfolioSettings/maxTickers``, no
    /// duplicate, each with a bar, at most ``PortfolioSettings/maxCells`` ticker-bars.
    static func validate(tickers: [String], bars: [Bars]) throws(BacktestError) {
        guard !tickers.isEmpty else { throw .invalid("tickers", "give at least one ticker") }
        guard tickers.count <= PortfolioSettings.maxTickers else {
            throw .invalid("tickers", "\(tickers.count) tickers; a portfolio holds at most \(PortfolioSettings.maxTickers)")
        }
        guard bars.count == tickers.count else { throw .invalid("tickers", "\(tickers.count) tickers but \(bars.count) bar series") }
        var seen = Set<String>()
        for (ticker, series) in zip(tickers, bars) {
            guard seen.insert(ticker).inserted else { throw .invalid("tickers", "'\(ticker)' is listed twice") }
            guard series.count > 0 else {
                throw BacktestError(code: .insufficientData, message: "tickers: \(ticker) has no bar in the window", field: "tickers")
            }
        }
        let cells = bars.reduce(0) { $0 + $1.count }
        guard cells <= PortfolioSettings.maxCells else {
            throw .invalid("tickers", "\(cells) ticker-bars; a portfolio simulates at most \(PortfolioSettings.maxCells)")
        }
    }

    /// The settings against the tickers: cash, commission, schedule, weights, top.
    static func validate(_ settings: PortfolioSettings, tickers: [String]) throws(BacktestError) {
        guard settings.cash.isFinite, settings.cash > 0, settings.cash <= PortfolioSettings.maxCash else {
            throw .invalid("cash", "must be a number above 0 and at most \(PortfolioSettings.maxCash), got \(settings.cash)")
        }
        guard settings.commission.isFinite, settings.commission >= 0, settings.commission < 0.1 else {
            throw .invalid("commission", "must be in [0, 0.1)")
        }
        switch (settings.allocation, settings.schedule) {
        case (.weights, .some): throw .invalid("schedule", "a weights schedule sets its own dates; give no schedule")
        case (.weights, .none): break
        case (_, .none):
            throw BacktestError(code: .missingField, message: "schedule: this allocation needs a rebalancing schedule", field: "schedule")
        case (_, .some(.everyNBars(let n))) where n < 1 || n > PortfolioSettings.maxPeriodBars:
            throw .invalid("schedule.n", "must be in 1...\(PortfolioSettings.maxPeriodBars), got \(n)")
        default: break
        }
        try validateWeights(settings.allocation, tickers: Set(tickers))
    }

    private static func validateWeights(_ allocation: PortfolioAllocation, tickers: Set<String>) throws(BacktestError) {
        switch allocation {
        case .fixed(let weights):
            try check(weights, tickers: tickers, field: "allocation.weights")
        case .weights(let entries):
            var dates = Set<Int64>()
            for (k, entry) in entries.enumerated() {
                guard dates.insert(entry.date).inserted else {
                    throw .invalid("allocation.schedule[\(k)].date", "\(Timestamp.formatDate(entry.date)) is listed twice")
                }
                try check(entry.weights, tickers: tickers, field: "allocation.schedule[\(k)].weights")
            }
        case .momentum(_, let top):
            guard top >= 1, top <= tickers.count else {
                throw .invalid("allocation.top_k", "must be in 1...\(tickers.count) (the number of tickers), got \(top)")
            }
        default: break
        }
    }

    private static func check(_ weights: [String: Double], tickers: Set<String>, field: String) throws(BacktestError) {
        var sum = 0.0
        for (ticker, w) in weights.sorted(by: { $0.key < $1.key }) {
            guard tickers.contains(ticker) else { throw .invalid("\(field).\(ticker)", "\(ticker) is not one of the portfolio's tickers") }
            guard w.isFinite, w >= 0 else { throw .invalid("\(field).\(ticker)", "must be a number >= 0, got \(w)") }
            sum += w
        }
        guard sum <= 1 + 1e-9 else { throw .invalid(field, "the weights sum to \(sum); at most 1 (the rest is cash)") }
    }

    /// The lookback bounds, which need the calendar's length.
    static func validate(_ allocation: PortfolioAllocation, calendarBars n: Int) throws(BacktestError) {
        switch allocation {
        case .momentum(let lookback, _):
            guard lookback >= 1, lookback <= PortfolioSettings.maxPeriodBars else {
                throw .invalid("allocation.lookback", "must be in 1...\(PortfolioSettings.maxPeriodBars), got \(lookback)")
            }
            guard lookback < n else {
                throw .invalid("allocation.lookback", "\(lookback) bars is not shorter than the data (\(n) bars)")
            }
        case .inverseVolatility(let lookback):
            guard lookback >= 2, lookback <= PortfolioSettings.maxPeriodBars else {
                throw .invalid("allocation.lookback", "must be in 2...\(PortfolioSettings.maxPeriodBars), got \(lookback)")
            }
            guard lookback < n else {
                throw .invalid("allocation.lookback", "\(lookback) bars is not shorter than the data (\(n) bars)")
            }
        default: break
        }
    }
}

extension PortfolioBacktest {
    /// The same tickers and calendar with other settings (a search's combination): validated
    /// as the initializer does, without building the calendar again.
    /// (The tickers and bars are this portfolio's, checked when it was made; a walk-forward
    /// window's may hold a ticker without a bar in it.)
    public func with(settings: PortfolioSettings) throws(BacktestError) -> PortfolioBacktest {
        try Self.validate(settings, tickers: tickers)
        try Self.validate(settings.allocation, calendarBars: calendar.count)
        // The decision bars of equal, momentum and inverse volatility are the schedule's alone:
        // a search's combinations of lookback, top or commission share this plan.
        var plan = self.plan
        if settings.schedule != self.settings.schedule || !settings.allocation.decidesBySchedule
            || !self.settings.allocation.decidesBySchedule
        {
            plan = try DecisionPlan(settings: settings, tickers: tickers, dates: calendar.dates)
        }
        return PortfolioBacktest(tickers: tickers, bars: bars, settings: settings, calendar: calendar, plan: plan)
    }
}
