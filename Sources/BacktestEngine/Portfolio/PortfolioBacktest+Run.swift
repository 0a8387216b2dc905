extension PortfolioBacktest {
    /// Runs the simulation. With `recordWeights`, the result carries each ticker's share of
    /// equity after every bar (for the report's weights chart).
    ///
    /// Holdings change only on fill bars, so the simulation records each stretch of bars
    /// between two fills with its holdings, and the equity is written once at the end, a
    /// ticker at a time over every stretch (`0.0 + q₁·L₁ + q₂·L₂ + …` per bar, in ticker
    /// order, as PORTFOLIO.md section 6 adds them, then the cash), which the compiler
    /// vectorises.
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
        var commissions: Double { broker.commissions }
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
        var equity = EquityWriter(bars: n, tickers: count, stretches: plan.bars.count + 1, recordWeights: recordWeights)
        var decisions: [PortfolioDecision] = []
        decisions.reserveCapacity(plan.bars.count)
        var prices = [Double](repeating: .nan, count: count)
        var lastClose = [Double](repeating: .nan, count: count)
        for t in plan.bars {
            let weights = targets.weights(settings.allocation, plan: plan, at: t, previous: decisions.last?.weights)
            decisions.append(PortfolioDecision(bar: t, executed: t < n - 1, weights: weights))
            guard t < n - 1 else { continue }
            let f = settings.tradeOnClose ? t : t + 1
            equity.record(upTo: f, broker: broker)
            prices.withUnsafeMutableBufferPointer { prices in
                lastClose.withUnsafeMutableBufferPointer { lastClose in
                    for i in 0..<count {
                        let k = calendar.complete[i] ? f : Int(calendar.own[i][f])
                        prices[i] = k < 0 ? .nan : (settings.tradeOnClose ? bars[i].close[k] : bars[i].open[k])
                        lastClose[i] = calendar.lastClose[i][f]
                    }
                }
            }
            broker.rebalance(to: weights, prices: prices, lastClose: lastClose, bar: f, decisionBar: t)
        }
        equity.finish(broker: broker, lastClose: calendar.lastClose)
        return Simulation(equity: equity, broker: broker, decisions: decisions)
    }
}

/// The equity curve: the holdings of each stretch of bars between two fills are recorded as
/// the simulation goes, and the curve is written once at the end (``finish(broker:lastClose:)``).
struct EquityWriter {
    /// Cash plus holdings after each bar's fills.
    var values: [Double]
    /// Bars holding anything.
    var exposedBars = 0
    /// Each ticker's share of equity per bar, when recorded.
    var weights: [[Double]]
    /// The first bar not recorded yet.
    private var next = 0
    private let recordWeights: Bool
    private let bars: Int
    private let tickers: Int
    /// Each stretch's bars and cash, and its units per ticker (`tickers` a stretch).
    private var stretches: [(bars: Range<Int>, cash: Double)] = []
    private var holdings: [Double] = []

    init(bars: Int, tickers: Int, stretches: Int, recordWeights: Bool) {
        values = []
        weights = []
        self.recordWeights = recordWeights
        self.bars = bars
        self.tickers = tickers
        self.stretches.reserveCapacity(stretches)
        holdings.reserveCapacity(stretches * tickers)
        if recordWeights { weights.reserveCapacity(bars) }
    }

    /// Records bars `next..<end` as held with the broker's current cash and units.
    mutating func record(upTo end: Int, broker: PortfolioBroker) {
        let start = next
        guard end > start else { return }
        next = end
        stretches.append((start..<end, broker.cash))
        holdings.append(contentsOf: broker.positions)
        if broker.positions.contains(where: { $0 != 0 }) { exposedBars += end - start }
    }

    /// Records the bars left with the broker's holdings, then writes every bar: `cash + (0.0 +
    /// q₁·L₁ + q₂·L₂ + …)` over the tickers held, in ticker order (PORTFOLIO.md section 6). A
    /// block of bars at a time, their sums kept in registers across the tickers, so each bar
    /// is stored once.
    mutating func finish(broker: PortfolioBroker, lastClose: [[Double]]) {
        record(upTo: bars, broker: broker)
        let count = tickers
        let stretches = self.stretches
        let bars = self.bars
        values = Self.withRows(lastClose) { rows in
            holdings.withUnsafeBufferPointer { holdings in
                // The stretches cover bars 0..<bars one after another: every element is
                // written below, so the array skips its zero fill.
                [Double](unsafeUninitializedCapacity: bars) { out, written in
                    guard let out = out.baseAddress else { return }
                    for (s, stretch) in stretches.enumerated() {
                        let q = UnsafeBufferPointer(rebasing: holdings[(s * count)..<(s * count + count)])
                        Self.write(stretch.bars, cash: stretch.cash, holdings: q, rows: rows, into: out)
                    }
                    written = bars
                }
            }
        }
        guard recordWeights else { return }
        for (s, stretch) in stretches.enumerated() {
            let base = s * count
            for b in stretch.bars {
                let e = values[b]
                weights.append((0..<count).map { i in holdings[base + i] == 0 ? 0 : holdings[base + i] * lastClose[i][b] / e })
            }
        }
    }

    /// Writes `bars` of `out` from the units `q` held and the closes `rows` (a pointer to each
    /// ticker's last closes): in blocks of 12 bars (4 for short stretches), whose sums are
    /// independent chains of additions the processor runs side by side.
    private static func write(
        _ bars: Range<Int>,
        cash: Double,
        holdings q: UnsafeBufferPointer<Double>,
        rows: UnsafeBufferPointer<UnsafePointer<Double>?>,
        into out: UnsafeMutablePointer<Double>
    ) {
        if bars.count >= 12 {
            blocksOf12(bars, cash: cash, holdings: q, rows: rows, into: out)
        } else if bars.count >= 4 {
            blocks(of: SIMD4<Double>.self, bars, cash: cash, holdings: q, rows: rows, into: out)
        } else {
            for b in bars {
                var sum = 0.0
                for i in q.indices where q[i] != 0 {
                    guard let row = rows[i] else { continue }
                    sum = sum + q[i] * row[b]
                }
                out[b] = cash + sum
            }
        }
    }

    /// Writes `bars` (at least 12 of them) 12 bars at a time, as three sums of 4 (six
    /// registers: the processor keeps them, the loaded closes and the units without spilling);
    /// the last block ends on the last bar, as in ``blocks(of:_:cash:holdings:rows:into:)``.
    private static func blocksOf12(
        _ bars: Range<Int>,
        cash: Double,
        holdings q: UnsafeBufferPointer<Double>,
        rows: UnsafeBufferPointer<UnsafePointer<Double>?>,
        into out: UnsafeMutablePointer<Double>
    ) {
        var b = bars.lowerBound
        while b < bars.upperBound {
            let start = min(b, bars.upperBound - 12)
            var sum0 = SIMD4<Double>(repeating: 0.0)
            var sum1 = sum0
            var sum2 = sum0
            for i in q.indices where q[i] != 0 {
                guard let row = rows[i] else { continue }
                let units = SIMD4(repeating: q[i])
                let closes = UnsafeRawPointer(row + start)
                sum0 = sum0 + units * closes.loadUnaligned(as: SIMD4<Double>.self)
                sum1 = sum1 + units * closes.loadUnaligned(fromByteOffset: 32, as: SIMD4<Double>.self)
                sum2 = sum2 + units * closes.loadUnaligned(fromByteOffset: 64, as: SIMD4<Double>.self)
            }
            let cash = SIMD4(repeating: cash)
            let target = UnsafeMutableRawPointer(out + start)
            target.storeBytes(of: cash + sum0, as: SIMD4<Double>.self)
            target.storeBytes(of: cash + sum1, toByteOffset: 32, as: SIMD4<Double>.self)
            target.storeBytes(of: cash + sum2, toByteOffset: 64, as: SIMD4<Double>.self)
            b = start + 12
        }
    }

    /// Writes `bars` (at least `V.scalarCount` of them) a block of `V.scalarCount` bars at a
    /// time; the last block ends on the last bar, so it may write some bars of the one before
    /// again (with the same values).
    @inline(__always)
    private static func blocks<V: SIMD>(
        of _: V.Type,
        _ bars: Range<Int>,
        cash: Double,
        holdings q: UnsafeBufferPointer<Double>,
        rows: UnsafeBufferPointer<UnsafePointer<Double>?>,
        into out: UnsafeMutablePointer<Double>
    ) where V.Scalar == Double {
        let width = V.scalarCount
        var b = bars.lowerBound
        while b < bars.upperBound {
            let start = min(b, bars.upperBound - width)
            var sum = V(repeating: 0.0)
            for i in q.indices where q[i] != 0 {
                guard let row = rows[i] else { continue }
                sum = sum + V(repeating: q[i]) * UnsafeRawPointer(row + start).loadUnaligned(as: V.self)
            }
            UnsafeMutableRawPointer(out + start).storeBytes(of: V(repeating: cash) + sum, as: V.self)
            b = start + width
        }
    }

    /// Calls `body` with a pointer to each row's elements, all valid during the call (each
    /// taken in a nested `withUnsafeBufferPointer`).
    private static func withRows<R>(_ rows: [[Double]], _ body: (UnsafeBufferPointer<UnsafePointer<Double>?>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UnsafePointer<Double>?.self, capacity: rows.count) { pointers in
            func nest(_ i: Int) -> R {
                guard i < rows.count else { return body(UnsafeBufferPointer(pointers)) }
                return rows[i].withUnsafeBufferPointer { row in
                    pointers.initializeElement(at: i, to: row.baseAddress)
                    return nest(i + 1)
                }
            }
            return nest(0)
        }
    }
}
