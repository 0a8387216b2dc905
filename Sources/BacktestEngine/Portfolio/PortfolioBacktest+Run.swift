extension PortfolioBacktest {
    /// Runs the simulation. With `recordWeights`, the result carries each ticker's share of
    /// equity after every bar (for the report's weights chart).
    ///
    /// Holdings change only on fill bars, so the equity between two fills is written a
    /// ticker at a time over the whole stretch (`0.0 + q₁·L₁ + q₂·L₂ + …` per bar, in ticker
    /// order, as PORTFOLIO.md section 6 adds them), which the compiler vectorises.
    public func run(recordWeights: Bool = false) -> PortfolioResult {
        let run = simulate(plan, recordWeights: recordWeights)
        var statistics = Statistics.equityStatistics(timestamps: calendar.dates, equity: run.equity.values, calendar: calendar.statistics)
        statistics.exposureTimePct = Double(run.equity.exposedBars) / Double(calendar.count) * 100
        statistics.commissions = run.commissions
        statistics.buyHoldReturnPct = buyAndHoldReturnPct()
        return PortfolioResult(
            tickers: tickers,
            dates: calendar.dates,
            equity: run.equity.values,
            orders: run.broker.orders,
            positions: run.broker.positions,
            cash: run.broker.cash,
            decisions: run.decisions,
            statistics: statistics,
            weights: recordWeights ? run.equity.weights : nil
        )
    }

    /// What a simulation leaves: the equity (with the exposed bars and the weights), the
    /// broker (orders, holdings, cash) and the decisions.
    struct Simulation {
        var equity: EquityWriter
        var broker: PortfolioBroker
        var decisions: [PortfolioDecision]

        /// The commissions of every order, added in execution order.
        var commissions: Double {
            var total = 0.0
            for order in broker.orders { total += order.commission }
            return total
        }
    }

    /// Simulates the calendar with the decision bars of `plan`; until the first one the
    /// account holds its cash.
    func simulate(_ plan: DecisionPlan, recordWeights: Bool) -> Simulation {
        let n = calendar.count
        let count = tickers.count
        let targets = TargetWeights(bars: bars, calendar: calendar)
        var broker = PortfolioBroker(
            cash: settings.cash,
            tickers: count,
            commission: settings.commission,
            fractional: settings.fractional
        )
        // Room for one order per ticker and decision (their most), so appending rarely moves them.
        broker.orders.reserveCapacity(min(plan.bars.count * count, 1 << 16))
        var equity = EquityWriter(bars: n, tickers: count, recordWeights: recordWeights)
        var decisions: [PortfolioDecision] = []
        decisions.reserveCapacity(plan.bars.count)
        var prices = [Double](repeating: .nan, count: count)
        var lastClose = [Double](repeating: .nan, count: count)
        for t in plan.bars {
            let weights = targets.weights(settings.allocation, fixed: plan.weights(at: t), at: t)
            decisions.append(PortfolioDecision(bar: t, executed: t < n - 1, weights: weights))
            guard t < n - 1 else { continue }
            let f = settings.tradeOnClose ? t : t + 1
            equity.write(upTo: f, broker: broker, lastClose: calendar.lastClose)
            for i in 0..<count {
                let k = Int(calendar.own[i][f])
                prices[i] = k < 0 ? .nan : (settings.tradeOnClose ? bars[i].close[k] : bars[i].open[k])
                lastClose[i] = calendar.lastClose[i][f]
            }
            broker.rebalance(to: weights, prices: prices, lastClose: lastClose, bar: f, decisionBar: t)
        }
        equity.write(upTo: n, broker: broker, lastClose: calendar.lastClose)
        return Simulation(equity: equity, broker: broker, decisions: decisions)
    }
}

/// The equity curve, written a stretch of constant holdings at a time.
struct EquityWriter {
    /// Cash plus holdings after each bar's fills.
    var values: [Double]
    /// Bars holding anything.
    var exposedBars = 0
    /// Each ticker's share of equity per bar, when recorded.
    var weights: [[Double]]
    /// The first bar not written yet.
    private var next = 0
    private let recordWeights: Bool

    init(bars: Int, tickers: Int, recordWeights: Bool) {
        values = [Double](repeating: 0, count: bars)
        weights = []
        self.recordWeights = recordWeights
        if recordWeights { weights.reserveCapacity(bars) }
    }

    /// Writes bars `next..<end` with the broker's current holdings.
    mutating func write(upTo end: Int, broker: PortfolioBroker, lastClose: [[Double]]) {
        let start = next
        guard end > start else { return }
        next = end
        let cash = broker.cash
        var exposed = false
        values.withUnsafeMutableBufferPointer { out in
            for b in start..<end { out[b] = 0.0 }
            for (i, q) in broker.positions.enumerated() where q != 0 {
                exposed = true
                lastClose[i].withUnsafeBufferPointer { close in
                    for b in start..<end { out[b] = out[b] + q * close[b] }
                }
            }
            for b in start..<end { out[b] = cash + out[b] }
        }
        if exposed { exposedBars += end - start }
        guard recordWeights else { return }
        for b in start..<end {
            let e = values[b]
            weights.append(broker.positions.enumerated().map { i, q in q == 0 ? 0 : q * lastClose[i][b] / e })
        }
    }
}
